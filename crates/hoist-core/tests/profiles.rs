//! Profiles against real parts: the Secret Service (GNOME Keyring, started by
//! `scripts/with-keyring.sh`) and the SeaweedFS test store.

mod common;

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use common::*;
use hoist_core::profiles::{
    ChecksumPreference, ProblemKind, Profile, ProfileSecret, ProfileStore, ProfileUpdate,
    test_profile,
};
use hoist_core::{AddOptions, ChecksumMode, EngineEvent, EngineOptions, ProfileCredentials};

static SEQ: AtomicU32 = AtomicU32::new(0);

fn unique(hint: &str) -> String {
    format!(
        "{hint}-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::SeqCst)
    )
}

/// Profiles in a fresh config dir, secrets in the session's real keyring.
fn real_store(dir: &std::path::Path) -> Arc<ProfileStore> {
    let store = ProfileStore::open(dir);
    if let Some(problem) = store.keyring_problem() {
        panic!(
            "no Secret Service: run the tests with scripts/test.sh (it uses scripts/with-keyring.sh): {problem}"
        );
    }
    Arc::new(store)
}

fn seaweed_profile(name: &str, bucket: Option<&str>) -> Profile {
    Profile {
        name: name.into(),
        endpoint: Some(endpoint()),
        region: Some("us-east-1".into()),
        bucket: bucket.map(str::to_owned),
        prefix: String::new(),
        path_style: None,
        checksum: ChecksumPreference::Auto,
        probed_checksum: None,
        access_key_id: std::env::var("AWS_ACCESS_KEY_ID").expect("test store key id"),
        session_expires_at: None,
        upload_defaults: Default::default(),
        key_template: None,
    }
}

fn test_secret() -> String {
    std::env::var("AWS_SECRET_ACCESS_KEY").expect("test store secret")
}

fn save(store: &ProfileStore, profile: Profile, secret: &str) {
    store
        .save(ProfileUpdate {
            profile,
            previous_name: None,
            secret: Some(ProfileSecret::new(secret, None)),
        })
        .expect("profile saved");
}

/// What `secret-tool` (libsecret, not Hoist's code) finds in the keyring.
fn secret_tool_lookup(name: &str) -> Option<String> {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", hoist_core::profiles::KEYRING_SERVICE])
        .args(["username", name])
        .output()
        .expect("secret-tool runs (package libsecret-tools)");
    (out.status.success() && !out.stdout.is_empty()).then(|| String::from_utf8(out.stdout).unwrap())
}

/// The embedded store's keys are made once and kept in the real keyring, so links made
/// against it last across restarts; no file holds them.
#[test]
fn local_store_keys_are_kept_in_the_real_keyring() {
    use hoist_core::profiles::{LocalKeysOrigin, LocalStoreKeys};
    let (first, origin) = LocalStoreKeys::from_system_keyring();
    assert!(
        matches!(origin, LocalKeysOrigin::Kept | LocalKeysOrigin::Created),
        "{origin:?}"
    );
    let (again, origin) = LocalStoreKeys::from_system_keyring();
    assert_eq!(origin, LocalKeysOrigin::Kept);
    assert_eq!(
        (again.access_key.as_str(), again.secret_key()),
        (first.access_key.as_str(), first.secret_key())
    );
    let seen = secret_tool_lookup("hoist-local").expect("secret-tool sees the entry");
    assert!(seen.contains(first.secret_key()));
}

#[test]
fn secrets_live_in_the_real_keyring_and_leave_with_the_profile() {
    let (_d, dir) = tmp();
    let store = real_store(&dir);
    let name = unique("kr");
    save(&store, seaweed_profile(&name, None), "first-secret-value");
    let seen = secret_tool_lookup(&name).expect("secret-tool sees the entry");
    assert!(seen.contains("first-secret-value"), "{seen}");
    let file = std::fs::read_to_string(store.path()).unwrap();
    assert!(file.contains(&name) && !file.contains("first-secret-value"));

    // Update: the keyring entry changes, the file still has no secret.
    store
        .save(ProfileUpdate {
            profile: seaweed_profile(&name, None),
            previous_name: None,
            secret: Some(ProfileSecret::new(
                "second-secret-value",
                Some("session-token-value".into()),
            )),
        })
        .unwrap();
    let seen = secret_tool_lookup(&name).unwrap();
    assert!(seen.contains("second-secret-value") && seen.contains("session-token-value"));
    let creds = store.credentials(&name).unwrap();
    assert_eq!(creds.secret_access_key(), "second-secret-value");
    assert_eq!(creds.session_token(), Some("session-token-value"));
    let file = std::fs::read_to_string(store.path()).unwrap();
    assert!(!file.contains("second-secret-value") && !file.contains("session-token-value"));

    store.remove(&name).unwrap();
    assert_eq!(secret_tool_lookup(&name), None, "the keyring entry is gone");
    assert!(store.get(&name).unwrap().is_none());
}

#[tokio::test]
async fn connection_test_names_each_failure() {
    let (_d, dir) = tmp();
    let store = real_store(&dir);
    let base = hoist_core::s3::load_base_config().await;
    let bucket = bucket("probe").await;

    let good = unique("good");
    save(
        &store,
        seaweed_profile(&good, Some(&bucket)),
        &test_secret(),
    );
    let report = test_profile(store.clone(), &base, &good, None)
        .await
        .unwrap();
    assert!(report.ok, "{report:?}");
    let support = report.checksum.expect("writes were probed");
    assert!(support.content_md5, "{support:?}");
    let recommended = support.recommended.expect("a mode was found");
    // Auto profiles remember what the store supports.
    assert_eq!(
        store.require(&good).unwrap().probed_checksum,
        Some(recommended)
    );
    assert!(
        keys(&bucket).await.is_empty(),
        "probe objects are cleaned up"
    );

    let cases = [
        ("wrong-secret", ProblemKind::WrongSecret),
        ("wrong-key", ProblemKind::WrongAccessKey),
        ("no-bucket", ProblemKind::NoSuchBucket),
        ("unreachable", ProblemKind::Unreachable),
    ];
    let mut messages = Vec::new();
    for (case, expected) in cases {
        let name = unique(case);
        let mut p = seaweed_profile(&name, Some(&bucket));
        let mut secret = test_secret();
        match case {
            "wrong-secret" => secret = "not-the-secret".into(),
            "wrong-key" => p.access_key_id = "NOSUCHKEYID".into(),
            "no-bucket" => p.bucket = Some(format!("{bucket}-missing")),
            _ => {
                // A port nobody listens on.
                let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
                p.endpoint = Some(format!("http://{}", l.local_addr().unwrap()));
            }
        }
        save(&store, p, &secret);
        let report = test_profile(store.clone(), &base, &name, None)
            .await
            .unwrap();
        let problem = report.problem.expect("the test fails");
        assert_eq!(problem.kind, expected, "{case}: {}", problem.message);
        assert!(!report.ok);
        messages.push(problem.message);
        store.remove(&name).unwrap();
    }
    messages.dedup();
    assert_eq!(
        messages.len(),
        cases.len(),
        "each failure has its own words"
    );
    store.remove(&good).unwrap();
}

#[tokio::test]
async fn uploads_take_their_credentials_from_the_keyring() {
    let (_d, dir) = tmp();
    let store = real_store(&dir.join("config"));
    let bucket = bucket("krup").await;
    let good = unique("up");
    let bad = unique("upbad");
    save(
        &store,
        seaweed_profile(&good, Some(&bucket)),
        &test_secret(),
    );
    save(&store, seaweed_profile(&bad, Some(&bucket)), "wrong-secret");
    let file = dir.join("hello.txt");
    std::fs::write(&file, b"uploaded with keyring credentials").unwrap();

    let mut o = EngineOptions::new(dir.join("journal.sqlite"));
    o.settings = fast_settings();
    o.credentials = Arc::new(ProfileCredentials::new(store.clone()));
    let engine = hoist_core::Engine::start(o).await.unwrap();
    let rx = engine.subscribe();
    let good_target = store.require(&good).unwrap().target(None).unwrap();
    let mut bad_target = store.require(&bad).unwrap().target(None).unwrap();
    bad_target.prefix = "bad/".into();
    assert_eq!(good_target.checksum, ChecksumMode::Crc32c);
    engine
        .add(vec![file.clone()], good_target, AddOptions::default())
        .await
        .unwrap();
    engine
        .add(vec![file], bad_target, AddOptions::default())
        .await
        .unwrap();
    let events = drain_until_idle(&engine, rx, LIMIT).await;
    assert_eq!(completed(&events).len(), 1, "{events:?}");
    let failed: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            EngineEvent::Failed { key, error, .. } => Some((key.clone(), error.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(failed.len(), 1, "{events:?}");
    assert_eq!(failed[0].0, "bad/hello.txt");
    assert_eq!(failed[0].1.code, hoist_core::ErrorCode::Auth);
    assert_eq!(
        object(&bucket, "hello.txt").await.as_deref(),
        Some(&b"uploaded with keyring credentials"[..])
    );
    engine.shutdown().await.unwrap();
    store.remove(&good).unwrap();
    store.remove(&bad).unwrap();
}
