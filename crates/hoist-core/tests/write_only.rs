//! Write-only credentials against SeaweedFS (the test server's `writeonly` identity:
//! PUT, UploadPart, Complete and Abort are allowed; HEAD, HeadBucket, ListParts and
//! ListMultipartUploads are 403). An upload with such keys lands, but it cannot be read
//! back: the queue must say "landed, not verified", never "verified", never "failed",
//! and never send the file twice.

mod common;

use std::sync::Arc;
use std::time::Duration;

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use common::*;
use hoist_core::s3::CredentialResolver;
use hoist_core::{
    AddOptions, ConflictPolicy, Engine, EngineEvent, EngineOptions, ItemState, MIB, UploadId,
    Verification,
};

struct WriteOnly;
impl CredentialResolver for WriteOnly {
    fn resolve(
        &self,
        _profile: Option<&str>,
    ) -> hoist_core::Result<Option<SharedCredentialsProvider>> {
        let key = std::env::var("HOIST_TEST_WRITEONLY_ACCESS_KEY")
            .unwrap_or_else(|_| "hoistwriteonlykey".into());
        let secret = std::env::var("HOIST_TEST_WRITEONLY_SECRET_KEY")
            .unwrap_or_else(|_| "hoistwriteonlysecret".into());
        Ok(Some(SharedCredentialsProvider::new(Credentials::new(
            key, secret, None, None, "test",
        ))))
    }
}

async fn write_only_engine(dir: &std::path::Path) -> Engine {
    let mut o = EngineOptions::new(dir.join("journal.sqlite"));
    o.settings = fast_settings();
    o.credentials = Arc::new(WriteOnly);
    Engine::start(o).await.expect("engine starts")
}

/// The test server really refuses reads to these keys (else the test proves nothing).
async fn reads_are_refused(bucket: &str) {
    let base = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .credentials_provider(WriteOnly.resolve(None).unwrap().unwrap())
        .load()
        .await;
    let conf = aws_sdk_s3::config::Builder::from(&base)
        .endpoint_url(endpoint())
        .force_path_style(true)
        .build();
    let c = aws_sdk_s3::Client::from_conf(conf);
    let head = c.head_bucket().bucket(bucket).send().await;
    assert!(
        head.is_err(),
        "the write-only identity can read: is scripts/s3-test-server.sh up to date?"
    );
}

fn state_of(snapshot: &[hoist_core::ItemStatus], id: UploadId) -> ItemState {
    snapshot.iter().find(|s| s.id == id).unwrap().state
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multipart_upload_with_write_only_keys_lands_unverified_and_says_so() {
    let (_d, dir) = tmp();
    let data = write_random(&dir.join("big.bin"), 12 * MIB as usize, 41);
    let bucket = bucket("writeonlymp").await;
    reads_are_refused(&bucket).await;
    let engine = write_only_engine(&dir).await;
    let rx = engine.subscribe();
    let id = engine
        .add(
            vec![dir.join("big.bin")],
            target(&bucket),
            AddOptions::default(),
        )
        .await
        .unwrap()[0];
    let events = drain_until_idle(&engine, rx, LIMIT).await;
    let done = events.iter().find_map(|e| match e {
        EngineEvent::Completed {
            verification,
            bytes_sent,
            ..
        } => Some((*verification, *bytes_sent)),
        _ => None,
    });
    assert_eq!(
        done,
        Some((Verification::NoReadPermission, 12 * MIB)),
        "landed once, not verified: {events:?}"
    );
    assert!(
        !events.iter().any(|e| matches!(
            e,
            EngineEvent::Failed { .. } | EngineEvent::Restarted { .. }
        )),
        "{events:?}"
    );
    assert_eq!(
        state_of(&engine.snapshot().await.unwrap(), id),
        ItemState::Landed,
        "the queue must not say verified"
    );
    let history = engine.journal().history(5).unwrap();
    assert_eq!(history[0].result, "landed");
    assert!(
        history[0]
            .message
            .as_deref()
            .is_some_and(|m| m.contains("no read permission"))
    );
    assert_eq!(object(&bucket, "big.bin").await.unwrap(), data);
    assert_eq!(pending_multiparts(&bucket).await, 0);
}

/// A single PUT never HEADs: the store's answer to the PUT carries the CRC32C it
/// computed over the bytes it received, the same proof read-write keys get. It lands
/// verified by that checksum, once, with nothing read back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_put_with_write_only_keys_lands_once_checked_by_the_stores_answer() {
    let (_d, dir) = tmp();
    let data = write_random(&dir.join("small.bin"), 300_000, 42);
    let bucket = bucket("writeonlyput").await;
    let engine = write_only_engine(&dir).await;
    let rx = engine.subscribe();
    let id = engine
        .add(
            vec![dir.join("small.bin")],
            target(&bucket),
            AddOptions::default(),
        )
        .await
        .unwrap()[0];
    let events = drain_until_idle(&engine, rx, LIMIT).await;
    let done = events.iter().find_map(|e| match e {
        EngineEvent::Completed {
            verification,
            bytes_sent,
            ..
        } => Some((*verification, *bytes_sent)),
        _ => None,
    });
    assert_eq!(done, Some((Verification::Crc32c, 300_000)), "{events:?}");
    assert!(
        !events.iter().any(|e| matches!(
            e,
            EngineEvent::Failed { .. }
                | EngineEvent::Restarted { .. }
                | EngineEvent::Retrying { .. }
        )),
        "{events:?}"
    );
    assert_eq!(
        state_of(&engine.snapshot().await.unwrap(), id),
        ItemState::Verified
    );
    assert_eq!(object(&bucket, "small.bin").await.unwrap(), data);
}

/// ListParts is refused to write-only keys: a paused upload resumes from the
/// journal's parts (each was recorded only after the store acknowledged it) instead
/// of failing or sending everything again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_upload_with_write_only_keys_resumes_from_the_journal() {
    let (_d, dir) = tmp();
    let data = write_random(&dir.join("resume.bin"), 20 * MIB as usize, 43);
    let bucket = bucket("writeonlyresume").await;
    let engine = write_only_engine(&dir).await;
    // Slow enough that the pause comes with parts still unsent.
    engine.set_rate_limit(Some(8 * MIB));
    let mut rx = engine.subscribe();
    let id = engine
        .add(
            vec![dir.join("resume.bin")],
            target(&bucket),
            AddOptions::default(),
        )
        .await
        .unwrap()[0];
    next_event(&mut rx, part_done).await;
    engine.pause(id).await.unwrap();
    tokio::time::timeout(LIMIT, engine.wait_idle())
        .await
        .unwrap()
        .unwrap();
    let kept = engine.journal().parts(id).unwrap().len();
    assert!(kept >= 1 && kept < 4, "{kept} parts kept");
    engine.set_rate_limit(None);
    let rx = engine.subscribe();
    engine.resume(id).await.unwrap();
    let events = drain_until_idle(&engine, rx, LIMIT).await;
    let done = events.iter().find_map(|e| match e {
        EngineEvent::Completed {
            verification,
            bytes_sent,
            ..
        } => Some((*verification, *bytes_sent)),
        _ => None,
    });
    let (verification, sent) = done.unwrap_or_else(|| panic!("not landed: {events:?}"));
    assert_eq!(verification, Verification::NoReadPermission);
    assert!(
        sent <= (20 - 5 * kept as u64) * MIB,
        "{sent} bytes sent after the resume: the journal's {kept} parts were sent again"
    );
    assert_eq!(
        state_of(&engine.snapshot().await.unwrap(), id),
        ItemState::Landed
    );
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(object(&bucket, "resume.bin").await.unwrap(), data);
    assert_eq!(pending_multiparts(&bucket).await, 0);
}

/// Skip and rename need to know whether the key exists, which write-only keys cannot
/// see: the item fails at once, in words, with nothing sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skip_with_write_only_keys_fails_in_words_without_sending() {
    let (_d, dir) = tmp();
    write_random(&dir.join("c.bin"), 1000, 44);
    let bucket = bucket("writeonlyskip").await;
    let engine = write_only_engine(&dir).await;
    let rx = engine.subscribe();
    let skip = AddOptions {
        conflict: hoist_core::ConflictPolicy::Skip,
        ..AddOptions::default()
    };
    engine
        .add(vec![dir.join("c.bin")], target(&bucket), skip)
        .await
        .unwrap();
    let events = drain_until_idle(&engine, rx, LIMIT).await;
    let error = events
        .iter()
        .find_map(|e| match e {
            EngineEvent::Failed { error, .. } => Some(error.message.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{events:?}"));
    assert!(
        error.contains("may not read") && error.contains("\"skip\""),
        "{error}"
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, EngineEvent::Retrying { .. }))
    );
    assert!(keys(&bucket).await.is_empty());
}

/// The app's default asks before overwriting, which needs to know what exists: keys
/// that may neither list nor HEAD cannot tell. A folder dropped with such keys is held
/// for the user's answer (not refused with a bare 403, not queued as if nothing
/// existed); only "overwrite" can be answered, and then each file lands once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn asking_first_with_write_only_keys_holds_the_folder_for_an_answer() {
    let (_d, dir) = tmp();
    let folder = dir.join("drop");
    std::fs::create_dir(&folder).unwrap();
    // Enough files that the check lists the folder first (then falls back to HEAD).
    for i in 0..70 {
        std::fs::write(folder.join(format!("{i:02}.txt")), format!("file {i}")).unwrap();
    }
    let bucket = bucket("writeonlyask").await;
    reads_are_refused(&bucket).await;
    let engine = write_only_engine(&dir).await;
    let ask = || {
        engine.add_or_ask(
            vec![folder.clone()],
            target(&bucket),
            None,
            AddOptions::default(),
        )
    };
    let batch = match ask().await.expect("a write-only drop is held, not refused") {
        hoist_core::Added::NeedsDecision(batch) => batch,
        other => panic!("queued without knowing what it would overwrite: {other:?}"),
    };
    assert!(batch.unchecked && batch.existing.is_empty(), "{batch:?}");
    assert_eq!(batch.files.len(), 70);
    let refused = engine
        .add_planned(batch, &Default::default(), ConflictPolicy::Rename)
        .await
        .expect_err("rename cannot tell which names are free");
    assert!(refused.to_string().contains("overwrite"), "{refused}");
    let hoist_core::Added::NeedsDecision(batch) = ask().await.unwrap() else {
        panic!("asked again")
    };
    let rx = engine.subscribe();
    let ids = engine
        .add_planned(batch, &Default::default(), ConflictPolicy::Overwrite)
        .await
        .unwrap();
    assert_eq!(ids.len(), 70);
    let events = drain_until_idle(&engine, rx, LIMIT).await;
    let snapshot = engine.snapshot().await.unwrap();
    let failed: Vec<_> = snapshot
        .iter()
        .filter(|s| s.state == ItemState::Failed)
        .collect();
    assert!(failed.is_empty(), "{failed:?} {events:?}");
    assert_eq!(
        object(&bucket, "drop/07.txt").await.unwrap(),
        b"file 7".to_vec()
    );
}
