//! ProfileStore against keyring-core's mock store (the real Secret Service is in
//! `tests/profiles.rs`).

use super::*;
use crate::profiles::*;

pub(crate) fn mock_store(dir: &Path) -> ProfileStore {
    ProfileStore::with_vault(
        dir,
        Ok(SecretVault::with_store(
            keyring_core::mock::Store::new().unwrap(),
            "test",
        )),
    )
}

pub(crate) fn profile(name: &str) -> Profile {
    Profile {
        name: name.into(),
        endpoint: Some("http://127.0.0.1:9000".into()),
        region: Some("us-east-1".into()),
        bucket: Some("photos".into()),
        prefix: "2026".into(),
        path_style: None,
        checksum: ChecksumPreference::Auto,
        probed_checksum: None,
        access_key_id: "AKIDEXAMPLE".into(),
        session_expires_at: None,
        upload_defaults: Default::default(),
        key_template: None,
    }
}

fn add(store: &ProfileStore, name: &str, secret: &str) -> Profile {
    store
        .save(ProfileUpdate {
            profile: profile(name),
            previous_name: None,
            secret: Some(ProfileSecret::new(secret, None)),
        })
        .unwrap()
}

#[test]
fn profiles_round_trip_without_their_secret_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = mock_store(dir.path());
    add(&store, "work", "s3cr3t-value");
    let file = std::fs::read_to_string(store.path()).unwrap();
    assert!(file.contains("AKIDEXAMPLE"));
    assert!(!file.contains("s3cr3t-value"));
    let list = store.list().unwrap();
    assert_eq!(list.profiles.len(), 1);
    assert_eq!(list.profiles[0].secret_stored, Some(true));
    assert!(list.keyring_problem.is_none());
    let creds = store.credentials("work").unwrap();
    assert_eq!(creds.secret_access_key(), "s3cr3t-value");
    let t = store.require("work").unwrap().target(None).unwrap();
    assert_eq!((t.bucket.as_str(), t.prefix.as_str()), ("photos", "2026/"));
    assert_eq!(t.profile.as_deref(), Some("work"));
}

#[test]
fn update_keeps_the_secret_unless_given_and_rename_moves_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = mock_store(dir.path());
    add(&store, "work", "one");
    store.set_active(Some("work")).unwrap();
    let mut p = profile("office");
    p.region = Some("eu-west-1".into());
    store
        .save(ProfileUpdate {
            profile: p,
            previous_name: Some("work".into()),
            secret: None,
        })
        .unwrap();
    assert!(store.get("work").unwrap().is_none());
    assert_eq!(
        store.credentials("office").unwrap().secret_access_key(),
        "one"
    );
    assert!(store.vault().unwrap().get("work").unwrap().is_none());
    assert_eq!(store.active().unwrap().unwrap().name, "office");
    // A new key id without its secret is refused.
    let mut p = profile("office");
    p.access_key_id = "OTHER".into();
    let err = store
        .save(ProfileUpdate {
            profile: p,
            previous_name: None,
            secret: None,
        })
        .unwrap_err();
    assert_eq!(err.code(), crate::ErrorCode::InvalidInput);
}

#[test]
fn remove_deletes_the_keyring_entry() {
    let dir = tempfile::tempdir().unwrap();
    let store = mock_store(dir.path());
    add(&store, "gone", "x");
    store.set_active(Some("gone")).unwrap();
    store.remove("gone").unwrap();
    assert!(store.vault().unwrap().get("gone").unwrap().is_none());
    assert!(store.list().unwrap().profiles.is_empty());
    assert!(store.active().unwrap().is_none());
    assert_eq!(
        store.remove("gone").unwrap_err().code(),
        crate::ErrorCode::NoSuchProfile
    );
}

#[test]
fn without_a_keyring_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let store = ProfileStore::with_vault(
        dir.path(),
        Err(vault::keyring_error(keyring_core::Error::PlatformFailure(
            "no D-Bus session".into(),
        ))),
    );
    let err = store
        .save(ProfileUpdate {
            profile: profile("work"),
            previous_name: None,
            secret: Some(ProfileSecret::new("plain", None)),
        })
        .unwrap_err();
    assert_eq!(err.code(), crate::ErrorCode::Keyring);
    assert!(err.to_string().contains("plain text"), "{err}");
    assert!(!store.path().exists());
    assert!(store.list().unwrap().keyring_problem.is_some());
}

#[test]
fn names_and_fields_are_validated() {
    let dir = tempfile::tempdir().unwrap();
    let store = mock_store(dir.path());
    for bad in ["", "a b", "hoist-local", ".hidden", "x/y"] {
        let mut p = profile("ok");
        p.name = bad.into();
        assert!(
            store
                .save(ProfileUpdate {
                    profile: p,
                    previous_name: None,
                    secret: Some(ProfileSecret::new("s", None)),
                })
                .is_err(),
            "{bad:?} accepted"
        );
    }
    let mut p = profile("ok");
    p.endpoint = Some("ftp://x".into());
    assert!(p.validate().is_err());
    let mut p = profile("ok");
    p.bucket = Some("Bad Bucket".into());
    assert!(p.validate().is_err());
    let mut p = profile("ok");
    p.access_key_id = "has space".into();
    assert!(p.validate().is_err());
    // A new profile needs a secret.
    assert!(
        store
            .save(ProfileUpdate {
                profile: profile("ok"),
                previous_name: None,
                secret: None,
            })
            .is_err()
    );
}

#[test]
fn temporary_credentials_carry_their_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let store = mock_store(dir.path());
    let mut p = profile("sts");
    p.session_expires_at = Some(1_900_000_000_000);
    store
        .save(ProfileUpdate {
            profile: p,
            previous_name: None,
            secret: Some(ProfileSecret::new("s", Some("token".into()))),
        })
        .unwrap();
    let c = store.credentials("sts").unwrap();
    assert_eq!(c.session_token(), Some("token"));
    let expiry = c.expiry().unwrap();
    assert_eq!(
        expiry
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
        1_900_000_000_000
    );
    assert!(store.list().unwrap().profiles[0].has_session_token);
}

#[test]
fn targets_come_from_the_named_or_active_profile() {
    let dir = tempfile::tempdir().unwrap();
    let store = mock_store(dir.path());
    add(&store, "work", "s");
    let req = |profile: Option<&str>, bucket: Option<&str>| TargetRequest {
        profile: profile.map(str::to_owned),
        bucket: bucket.map(str::to_owned),
        ..Default::default()
    };
    let t = store.resolve_target(req(Some("work"), None)).unwrap();
    assert_eq!(
        (t.bucket.as_str(), t.profile.as_deref()),
        ("photos", Some("work"))
    );
    let t = store
        .resolve_target(req(Some("work"), Some("other")))
        .unwrap();
    assert_eq!(t.bucket, "other");
    // No profile named and none active: the request alone (AWS chain).
    assert!(store.resolve_target(req(None, None)).is_err());
    let t = store.resolve_target(req(None, Some("bkt"))).unwrap();
    assert_eq!(t.profile, None);
    store.set_active(Some("work")).unwrap();
    let t = store.resolve_target(req(None, None)).unwrap();
    assert_eq!(t.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
    // An explicit endpoint is an ad-hoc target: the active profile stays out.
    let t = store
        .resolve_target(TargetRequest {
            endpoint: Some("http://10.0.0.1:9000".into()),
            ..req(None, Some("bkt"))
        })
        .unwrap();
    assert_eq!(t.profile, None);
    // A name that is not a Hoist profile is an AWS profile.
    let t = store
        .resolve_target(req(Some("aws-dev"), Some("bkt")))
        .unwrap();
    assert_eq!(t.profile.as_deref(), Some("aws-dev"));
}

#[test]
fn timestamps_parse_and_print() {
    let ms = parse_timestamp("2030-01-01T00:00:00Z").unwrap();
    assert_eq!(ms, 1_893_456_000_000);
    assert_eq!(format_timestamp(ms), "2030-01-01T00:00:00Z");
    assert!(parse_timestamp("tomorrow").is_err());
}

#[test]
fn auto_checksum_follows_the_probe() {
    let mut p = profile("x");
    assert_eq!(p.checksum_mode(), ChecksumMode::Crc32c);
    p.probed_checksum = Some(ChecksumMode::ContentMd5);
    assert_eq!(p.checksum_mode(), ChecksumMode::ContentMd5);
    p.checksum = ChecksumPreference::Full;
    assert_eq!(p.checksum_mode(), ChecksumMode::Crc32c);
}

/// A page (or anyone) editing a profile cannot point its stored secret at another
/// server or pair it with another key id: that needs the secret again.
#[test]
fn a_stored_secret_never_follows_a_new_endpoint_or_key_id() {
    let dir = tempfile::tempdir().unwrap();
    let store = mock_store(dir.path());
    let original = add(&store, "work", "the-secret");
    let attacker = Some("https://attacker.example".to_owned());
    let edits: Vec<(&str, Profile, Option<&str>)> = vec![
        (
            "endpoint",
            Profile {
                endpoint: attacker.clone(),
                ..profile("work")
            },
            None,
        ),
        (
            "endpoint",
            Profile {
                endpoint: None,
                ..profile("work")
            },
            None,
        ),
        (
            "endpoint",
            Profile {
                endpoint: attacker.clone(),
                ..profile("renamed")
            },
            Some("work"),
        ),
        (
            "access key id",
            Profile {
                access_key_id: "AKIDOTHER".into(),
                ..profile("renamed")
            },
            Some("work"),
        ),
    ];
    for (what, edited, previous) in edits {
        let err = store
            .save(ProfileUpdate {
                profile: edited.clone(),
                previous_name: previous.map(str::to_owned),
                secret: None,
            })
            .unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::InvalidInput, "{err}");
        let message = err.to_string();
        assert!(
            message.contains(what) && message.contains("secret access key again"),
            "the refusal says why: {message}"
        );
        assert_eq!(store.get("work").unwrap().as_ref(), Some(&original));
        assert!(store.get("renamed").unwrap().is_none());
        assert_eq!(
            store.credentials("work").unwrap().secret_access_key(),
            "the-secret"
        );
    }
    // Other fields change without the secret; with it, the endpoint changes too.
    let mut bucket_only = profile("work");
    bucket_only.bucket = Some("other-bucket".into());
    store
        .save(ProfileUpdate {
            profile: bucket_only,
            previous_name: None,
            secret: None,
        })
        .unwrap();
    let moved = store
        .save(ProfileUpdate {
            profile: Profile {
                endpoint: attacker.clone(),
                ..profile("work")
            },
            previous_name: None,
            secret: Some(ProfileSecret::new("typed-again", None)),
        })
        .unwrap();
    assert_eq!(moved.endpoint, attacker);
}

#[test]
fn upload_defaults_are_checked_kept_across_edits_and_resolved_for_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let store = mock_store(dir.path());
    add(&store, "work", "s3cr3t-value");
    let mut defaults = ObjectOptions::default();
    defaults.metadata.insert("team".into(), "blue".into());
    defaults.storage_class = Some("standard_ia".into());
    let saved = store
        .set_upload_defaults("work", defaults.clone(), Some("{yyyy}/{name}".into()))
        .unwrap();
    assert_eq!(
        saved.upload_defaults.storage_class.as_deref(),
        Some("STANDARD_IA")
    );
    // Bad values are refused and the saved ones stay.
    let bad = ObjectOptions {
        storage_class: Some("FAST".into()),
        ..Default::default()
    };
    assert!(store.set_upload_defaults("work", bad, None).is_err());
    let e = store
        .set_upload_defaults("work", defaults.clone(), Some("{year}".into()))
        .unwrap_err();
    assert!(e.to_string().contains("unknown placeholder"), "{e}");
    // Editing the connection (a settings form that does not carry the defaults)
    // keeps them.
    store
        .save(ProfileUpdate {
            profile: Profile {
                region: Some("eu-west-1".into()),
                ..profile("work")
            },
            previous_name: Some("work".into()),
            secret: None,
        })
        .unwrap();
    let p = store.require("work").unwrap();
    assert_eq!(p.upload_defaults.metadata["team"], "blue");
    assert_eq!(p.key_template.as_deref(), Some("{yyyy}/{name}"));
    // Account-wide calls need no bucket.
    let mut nameless = profile("nobucket");
    nameless.bucket = None;
    store
        .save(ProfileUpdate {
            profile: nameless,
            previous_name: None,
            secret: Some(ProfileSecret::new("x", None)),
        })
        .unwrap();
    let t = store
        .resolve_account(TargetRequest {
            profile: Some("nobucket".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(t.bucket, "");
    assert_eq!(t.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
}
