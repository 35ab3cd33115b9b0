//! Sources that map to one key, against SeaweedFS: found before anything is sent,
//! within one add and against the queue. `rename` gives each its own key, `skip` skips
//! the later one and says why, `overwrite` lets the later win and reports the earlier
//! as replaced, never verified. No source's bytes are ever silently lost.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;
use hoist_core::{AddOptions, ConflictPolicy, EngineEvent, UploadId};

const LIMIT: Duration = Duration::from_secs(60);

/// `a/x.txt` and `b/x.txt` with different bytes.
fn two_sources(dir: &Path) -> (PathBuf, Vec<u8>, PathBuf, Vec<u8>) {
    for d in ["a", "b"] {
        std::fs::create_dir_all(dir.join(d)).unwrap();
    }
    let a = dir.join("a/x.txt");
    let b = dir.join("b/x.txt");
    let da = write_random(&a, 3000, 1);
    let db = write_random(&b, 4000, 2);
    (a, da, b, db)
}

fn options(conflict: ConflictPolicy) -> AddOptions {
    AddOptions {
        conflict,
        ..AddOptions::default()
    }
}

fn verified(events: &[EngineEvent], id: UploadId) -> bool {
    events
        .iter()
        .any(|e| matches!(e, EngineEvent::Completed { id: i, .. } if *i == id))
}

fn skip_reason(events: &[EngineEvent], id: UploadId) -> Option<String> {
    events.iter().find_map(|e| match e {
        EngineEvent::Skipped { id: i, reason, .. } if *i == id => Some(reason.clone()),
        _ => None,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rename_gives_each_same_name_source_its_own_key() {
    let (_d, dir) = tmp();
    let (a, da, b, db) = two_sources(&dir);
    let bucket = bucket("samerename").await;
    let engine = engine(&dir, fast_settings()).await;
    let rx = engine.subscribe();
    let ids = engine
        .add(vec![a, b], target(&bucket), options(ConflictPolicy::Rename))
        .await
        .unwrap();
    let events = drain_until_idle(&engine, rx, LIMIT).await;
    assert!(
        verified(&events, ids[0]) && verified(&events, ids[1]),
        "{events:?}"
    );
    assert_eq!(keys(&bucket).await, vec!["x (1).txt", "x.txt"]);
    assert_eq!(object(&bucket, "x.txt").await.unwrap(), da);
    assert_eq!(object(&bucket, "x (1).txt").await.unwrap(), db);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rename_keeps_two_folders_of_the_same_name_apart() {
    let (_d, dir) = tmp();
    let mut data = Vec::new();
    for (i, d) in ["a/photos", "b/photos"].iter().enumerate() {
        std::fs::create_dir_all(dir.join(d)).unwrap();
        for n in ["1.jpg", "2.jpg"] {
            data.push(write_random(
                &dir.join(d).join(n),
                2000 + i * 10,
                i as u64 * 7 + 3,
            ));
        }
    }
    let bucket = bucket("samefolders").await;
    let engine = engine(&dir, fast_settings()).await;
    let rx = engine.subscribe();
    let ids = engine
        .add(
            vec![dir.join("a/photos"), dir.join("b/photos")],
            target(&bucket),
            options(ConflictPolicy::Rename),
        )
        .await
        .unwrap();
    let events = drain_until_idle(&engine, rx, LIMIT).await;
    assert_eq!(ids.len(), 4);
    assert!(ids.iter().all(|id| verified(&events, *id)), "{events:?}");
    let stored = keys(&bucket).await;
    assert_eq!(stored.len(), 4, "{stored:?}");
    let mut got = Vec::new();
    for k in &stored {
        got.push(object(&bucket, k).await.unwrap());
    }
    for d in &data {
        assert!(got.contains(d), "a source's bytes are missing: {stored:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skip_skips_the_later_source_and_says_why() {
    let (_d, dir) = tmp();
    let (a, da, b, _db) = two_sources(&dir);
    let bucket = bucket("sameskip").await;
    let engine = engine(&dir, fast_settings()).await;
    let rx = engine.subscribe();
    let ids = engine
        .add(vec![a, b], target(&bucket), options(ConflictPolicy::Skip))
        .await
        .unwrap();
    let events = drain_until_idle(&engine, rx, LIMIT).await;
    assert!(verified(&events, ids[0]), "{events:?}");
    assert!(!verified(&events, ids[1]), "{events:?}");
    let reason = skip_reason(&events, ids[1]).expect("the later source is skipped");
    assert!(reason.contains("a/x.txt"), "{reason}");
    assert_eq!(keys(&bucket).await, vec!["x.txt"]);
    assert_eq!(object(&bucket, "x.txt").await.unwrap(), da);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overwrite_lets_the_later_win_and_reports_the_earlier_replaced() {
    let (_d, dir) = tmp();
    let (a, _da, b, db) = two_sources(&dir);
    let bucket = bucket("sameover").await;
    let engine = engine(&dir, fast_settings()).await;
    let rx = engine.subscribe();
    let ids = engine
        .add(
            vec![a, b],
            target(&bucket),
            options(ConflictPolicy::Overwrite),
        )
        .await
        .unwrap();
    let events = drain_until_idle(&engine, rx, LIMIT).await;
    assert!(
        !verified(&events, ids[0]),
        "the earlier is never verified: {events:?}"
    );
    let reason = skip_reason(&events, ids[0]).expect("the earlier is reported");
    assert!(
        reason.contains("replaced") && reason.contains("b/x.txt"),
        "{reason}"
    );
    assert!(verified(&events, ids[1]), "{events:?}");
    assert_eq!(object(&bucket, "x.txt").await.unwrap(), db);
    let history = engine.journal().history(10).unwrap();
    assert!(
        !history
            .iter()
            .any(|h| h.upload == ids[0] && h.result == "verified"),
        "{history:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_waiting_in_the_queue_is_reserved_for_later_adds() {
    let (_d, dir) = tmp();
    let (a, da, b, db) = two_sources(&dir);
    let bucket = bucket("samequeue").await;
    let engine = engine(&dir, fast_settings()).await;
    let rx = engine.subscribe();
    // The first waits (paused) in the queue: nothing of it is on the store yet.
    let first = engine
        .add(
            vec![a.clone()],
            target(&bucket),
            AddOptions {
                conflict: ConflictPolicy::Rename,
                start_paused: true,
                ..AddOptions::default()
            },
        )
        .await
        .unwrap()[0];
    let second = engine
        .add(vec![b], target(&bucket), options(ConflictPolicy::Rename))
        .await
        .unwrap()[0];
    engine.resume(first).await.unwrap();
    let events = drain_until_idle(&engine, rx, LIMIT).await;
    assert!(
        verified(&events, first) && verified(&events, second),
        "{events:?}"
    );
    assert_eq!(keys(&bucket).await, vec!["x (1).txt", "x.txt"]);
    assert_eq!(object(&bucket, "x.txt").await.unwrap(), da);
    assert_eq!(object(&bucket, "x (1).txt").await.unwrap(), db);

    // Overwrite against the queue: the waiting earlier one is replaced, not sent.
    let rx = engine.subscribe();
    let third = engine
        .add(
            vec![a],
            target(&bucket),
            AddOptions {
                start_paused: true,
                ..AddOptions::default()
            },
        )
        .await
        .unwrap()[0];
    let fourth = engine
        .add(
            vec![dir.join("b/x.txt")],
            target(&bucket),
            options(ConflictPolicy::Overwrite),
        )
        .await
        .unwrap()[0];
    let events = drain_until_idle(&engine, rx, LIMIT).await;
    let reason = skip_reason(&events, third).expect("the waiting one is replaced");
    assert!(reason.contains("replaced"), "{reason}");
    assert!(verified(&events, fourth), "{events:?}");
    assert_eq!(object(&bucket, "x.txt").await.unwrap(), db);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overwrite_stops_a_running_upload_to_the_same_key() {
    let (_d, dir) = tmp();
    std::fs::create_dir_all(dir.join("a")).unwrap();
    std::fs::create_dir_all(dir.join("b")).unwrap();
    write_random(&dir.join("a/big.bin"), 40 * hoist_core::MIB as usize, 5);
    let later = write_random(&dir.join("b/big.bin"), 3000, 6);
    let bucket = bucket("samerunning").await;
    let mut settings = fast_settings();
    settings.concurrency = 1;
    let engine = engine(&dir, settings).await;
    let mut rx = engine.subscribe();
    let all = engine.subscribe();
    let first = engine
        .add(
            vec![dir.join("a/big.bin")],
            target(&bucket),
            AddOptions::default(),
        )
        .await
        .unwrap()[0];
    next_event(&mut rx, |e| match e {
        EngineEvent::PartDone { id, .. } if *id == first => Some(()),
        _ => None,
    })
    .await;
    let second = engine
        .add(
            vec![dir.join("b/big.bin")],
            target(&bucket),
            AddOptions::default(),
        )
        .await
        .unwrap()[0];
    let events = drain_until_idle(&engine, all, LIMIT).await;
    assert!(!verified(&events, first), "{events:?}");
    assert!(skip_reason(&events, first).is_some_and(|r| r.contains("replaced")));
    assert!(verified(&events, second), "{events:?}");
    assert_eq!(object(&bucket, "big.bin").await.unwrap(), later);
    assert_eq!(
        pending_multiparts(&bucket).await,
        0,
        "the partial upload is aborted"
    );
}

/// A new small file under `rename` costs three requests (HEAD its key, PUT, HEAD to
/// verify), not four: once the bucket is known to exist, a HEAD's 404 is the key's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renamed_small_file_asks_for_its_bucket_once_per_store() {
    let (_d, dir) = tmp();
    let b = bucket("same-requests").await;
    let (proxy, t) = watched_target(&b).await;
    let engine = engine(&dir, fast_settings()).await;
    let files: Vec<PathBuf> = (0..20)
        .map(|i| {
            let p = dir.join(format!("s{i:02}.txt"));
            write_random(&p, 100, i);
            p
        })
        .collect();
    let ids = engine
        .add(files, t, options(ConflictPolicy::Rename))
        .await
        .unwrap();
    assert_eq!(ids.len(), 20);
    engine.wait_idle().await.unwrap();
    assert_eq!(keys(&b).await.len(), 20);
    let bucket_heads = proxy.faults.requests("head ", &format!("/{b}/ "));
    let requests = proxy.faults.request_lines.lock().unwrap().len();
    assert!(
        bucket_heads <= 1,
        "the bucket was asked for {bucket_heads} times"
    );
    assert!(
        requests <= 20 * 3 + 1,
        "{requests} requests for 20 small files"
    );
}
