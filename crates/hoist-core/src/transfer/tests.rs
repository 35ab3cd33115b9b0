//! The queue against the in-memory store: scheduling, retries, progress and failure
//! handling in milliseconds. The same behaviours run against SeaweedFS in
//! `tests/engine.rs`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;

use super::*;
use crate::error::HoistError;
use crate::events::{EngineEvent, UploadId, Verification};
use crate::s3::Target;
use crate::s3::memory::{Call, MemoryStore};
use crate::transfer::plan::MIB;
use crate::transfer::retry::RetryPolicy;

pub(super) struct Harness {
    pub engine: Engine,
    pub store: Arc<MemoryStore>,
    pub dir: tempfile::TempDir,
}

pub(super) async fn start(concurrency: usize) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(MemoryStore::new());
    let mut options = EngineOptions::new(dir.path().join("journal.sqlite"));
    options.settings = EngineSettings {
        concurrency,
        part_size: 5 * MIB,
        // These tests count parts; the memory store takes them at once, so they would grow.
        grow_parts: false,
        multipart_threshold: 5 * MIB,
        progress_interval: Duration::from_millis(10),
        retry: RetryPolicy {
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            ..RetryPolicy::default()
        },
        ..EngineSettings::default()
    };
    options.store_override = Some(store.clone());
    let engine = Engine::start(options).await.unwrap();
    Harness { engine, store, dir }
}

pub(super) fn target() -> Target {
    Target {
        endpoint: Some("http://127.0.0.1:9".into()),
        ..Target::new("bucket")
    }
}

pub(super) fn write(dir: &Path, name: &str, len: usize) -> (PathBuf, Vec<u8>) {
    let data: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
    let path = dir.join(name);
    std::fs::write(&path, &data).unwrap();
    (path, data)
}

/// Collects events until `id` ends (verified, failed or skipped).
pub(super) async fn until_done(
    events: &mut broadcast::Receiver<EngineEvent>,
    id: UploadId,
) -> Vec<EngineEvent> {
    let mut seen = Vec::new();
    loop {
        let e = tokio::time::timeout(Duration::from_secs(20), events.recv())
            .await
            .expect("the upload ends")
            .expect("events flow");
        let end = matches!(&e,
            EngineEvent::Completed { id: i, .. } | EngineEvent::Failed { id: i, .. }
                | EngineEvent::Skipped { id: i, .. } if *i == id);
        seen.push(e);
        if end {
            return seen;
        }
    }
}

#[tokio::test]
async fn multipart_lands_whole_with_progress_up_to_its_size() {
    let h = start(4).await;
    let mut events = h.engine.subscribe();
    let (path, data) = write(h.dir.path(), "big.bin", 23 * MIB as usize + 17);
    let ids = h
        .engine
        .add(vec![path], target(), AddOptions::default())
        .await
        .unwrap();
    let seen = until_done(&mut events, ids[0]).await;

    let object = h.store.object("big.bin").expect("the object exists");
    assert!(object.data == data, "the store holds the file's bytes");
    assert_eq!(h.store.calls(Call::UploadPart), 5);
    assert_eq!(h.store.open_uploads(), 0);
    let verification = seen.iter().find_map(|e| match e {
        EngineEvent::Completed { verification, .. } => Some(*verification),
        _ => None,
    });
    assert_eq!(verification, Some(Verification::Crc32c));
    let mut last = 0;
    for e in &seen {
        if let EngineEvent::Progress {
            bytes_done,
            bytes_total,
            ..
        } = e
        {
            assert!(*bytes_done >= last, "progress never goes back");
            assert_eq!(*bytes_total, data.len() as u64);
            last = *bytes_done;
        }
    }
    let history = h.engine.journal().history(10).unwrap();
    assert_eq!(history[0].result, "verified");
    assert_eq!(history[0].bytes_sent, data.len() as u64);
}

#[tokio::test]
async fn md5_mode_multipart_completes_on_a_strict_store_at_the_first_attempt() {
    // The store refuses a Complete that lists checksums the upload was not created
    // with, as Garage does; md5 mode creates uploads without one.
    let h = start(4).await;
    let mut events = h.engine.subscribe();
    let (path, data) = write(h.dir.path(), "md5.bin", 12 * MIB as usize);
    let t = Target {
        checksum: crate::s3::ChecksumMode::ContentMd5,
        ..target()
    };
    let ids = h
        .engine
        .add(vec![path], t, AddOptions::default())
        .await
        .unwrap();
    let seen = until_done(&mut events, ids[0]).await;
    let verification = seen.iter().find_map(|e| match e {
        EngineEvent::Completed { verification, .. } => Some(*verification),
        _ => None,
    });
    assert_eq!(verification, Some(Verification::Md5), "{seen:?}");
    assert_eq!(h.store.calls(Call::Complete), 1);
    assert!(h.store.object("md5.bin").unwrap().data == data);
}

#[tokio::test]
async fn temporary_failures_are_retried_and_reported() {
    let h = start(2).await;
    h.store.fail_next(
        Call::UploadPart,
        vec![
            HoistError::Network("connection reset".into()),
            HoistError::StoreBusy {
                status: 503,
                message: "SlowDown".into(),
            },
        ],
    );
    let mut events = h.engine.subscribe();
    let (path, data) = write(h.dir.path(), "f.bin", 12 * MIB as usize);
    let ids = h
        .engine
        .add(vec![path], target(), AddOptions::default())
        .await
        .unwrap();
    let seen = until_done(&mut events, ids[0]).await;
    let retries = seen
        .iter()
        .filter(|e| matches!(e, EngineEvent::Retrying { .. }))
        .count();
    assert_eq!(retries, 2, "each failed part attempt is reported once");
    assert!(h.store.object("f.bin").unwrap().data == data);
    assert_eq!(h.store.calls(Call::UploadPart), 3 + 2);
}

#[tokio::test]
async fn a_permanent_failure_fails_one_file_and_the_queue_goes_on() {
    let h = start(1).await;
    h.store.fail_next(
        Call::Put,
        vec![HoistError::Auth {
            code: "AccessDenied".into(),
            message: "no".into(),
        }],
    );
    let mut events = h.engine.subscribe();
    let (a, _) = write(h.dir.path(), "a.txt", 100);
    let (b, b_data) = write(h.dir.path(), "b.txt", 200);
    let ids = h
        .engine
        .add(vec![a, b], target(), AddOptions::default())
        .await
        .unwrap();
    let mut ended = Vec::new();
    while ended.len() < 2 {
        match events.recv().await.unwrap() {
            EngineEvent::Failed { id, .. } => ended.push((id, false)),
            EngineEvent::Completed { id, .. } => ended.push((id, true)),
            _ => {}
        }
    }
    ended.sort();
    assert_eq!(ended, vec![(ids[0], false), (ids[1], true)]);
    assert_eq!(
        h.store.calls(Call::Put),
        2,
        "an auth failure is not retried"
    );
    assert!(h.store.object("b.txt").unwrap().data == b_data);
    let status = h.engine.snapshot().await.unwrap();
    assert_eq!(status[0].state, ItemState::Failed);
    assert!(status[0].error.as_deref().unwrap().contains("AccessDenied"));
}

#[tokio::test]
async fn higher_priority_starts_first() {
    let h = start(1).await;
    let (low, _) = write(h.dir.path(), "low.txt", 10);
    let (high, _) = write(h.dir.path(), "high.txt", 10);
    let paused = AddOptions {
        start_paused: true,
        ..AddOptions::default()
    };
    h.engine
        .add(vec![low], target(), paused.clone())
        .await
        .unwrap();
    h.engine
        .add(
            vec![high],
            target(),
            AddOptions {
                priority: 5,
                ..paused
            },
        )
        .await
        .unwrap();
    h.engine.resume_all().await.unwrap();
    h.engine.wait_idle().await.unwrap();
    assert_eq!(h.store.started_order(), vec!["high.txt", "low.txt"]);
}

#[tokio::test]
async fn write_only_credentials_land_the_object_unverified_without_resending() {
    let h = start(4).await;
    // Write-only credentials: the HEAD that verifies is refused.
    h.store.fail_next(
        Call::Head,
        vec![HoistError::Auth {
            code: "AccessDenied".into(),
            message: String::new(),
        }],
    );
    let mut events = h.engine.subscribe();
    let (path, data) = write(h.dir.path(), "w.bin", 12 * MIB as usize);
    let ids = h
        .engine
        .add(vec![path], target(), AddOptions::default())
        .await
        .unwrap();
    let seen = until_done(&mut events, ids[0]).await;
    let verification = seen.iter().find_map(|e| match e {
        EngineEvent::Completed { verification, .. } => Some(*verification),
        _ => None,
    });
    assert_eq!(
        verification,
        Some(Verification::NoReadPermission),
        "landed, not a failure: {seen:?}"
    );
    assert_eq!(h.store.calls(Call::UploadPart), 3, "nothing sent again");
    assert!(h.store.object("w.bin").unwrap().data == data);
    let status = h.engine.snapshot().await.unwrap();
    assert_eq!(
        status[0].state,
        ItemState::Landed,
        "never shown as verified"
    );
    assert_eq!(status[0].bytes_done, 12 * MIB);
    let history = h.engine.journal().history(10).unwrap();
    assert!(
        history[0]
            .message
            .as_deref()
            .is_some_and(|m| m.contains("no read permission")),
        "{history:?}"
    );
}

#[tokio::test]
async fn a_small_file_behind_a_large_one_starts_within_two_seconds() {
    let h = start(4).await;
    // 40 MiB at 4 MiB/s keeps every slot busy for about 10 s.
    h.engine.set_rate_limit(Some(4 * MIB));
    let mut events = h.engine.subscribe();
    let (big, _) = write(h.dir.path(), "big.bin", 40 * MIB as usize);
    let (small, _) = write(h.dir.path(), "small.txt", 1024);
    let big_id = h
        .engine
        .add(vec![big], target(), AddOptions::default())
        .await
        .unwrap()[0];
    loop {
        if let Ok(EngineEvent::PartDone { id, .. }) = events.recv().await
            && id == big_id
        {
            break;
        }
    }
    let added = std::time::Instant::now();
    let small_id = h
        .engine
        .add(vec![small], target(), AddOptions::default())
        .await
        .unwrap()[0];
    until_done(&mut events, small_id).await;
    assert!(
        added.elapsed() < Duration::from_secs(2),
        "the small file waited {:?} behind the large one's parts",
        added.elapsed()
    );
}

#[tokio::test]
async fn pause_then_resume_at_once_is_never_lost() {
    let h = start(4).await;
    h.engine.set_rate_limit(Some(8 * MIB));
    let mut events = h.engine.subscribe();
    let (path, data) = write(h.dir.path(), "f.bin", 12 * MIB as usize);
    let id = h
        .engine
        .add(vec![path], target(), AddOptions::default())
        .await
        .unwrap()[0];
    loop {
        if let Ok(EngineEvent::Started { id: i, .. }) = events.recv().await
            && i == id
        {
            break;
        }
    }
    h.engine.pause(id).await.unwrap();
    h.engine.resume(id).await.unwrap();
    let seen = until_done(&mut events, id).await;
    assert!(
        seen.iter()
            .any(|e| matches!(e, EngineEvent::Completed { id: i, .. } if *i == id)),
        "{seen:?}"
    );
    assert!(h.store.object("f.bin").unwrap().data == data);
}

/// A slow journal (fsyncs on a busy disk) blocks only the threads that wait for it:
/// the queue's actor, workers and the progress aggregator never call it on a runtime
/// thread. One runtime thread here, so a single call on it would stall everything.
/// Small files only, so that nothing else keeps the thread busy for long.
#[tokio::test(flavor = "current_thread")]
async fn a_slow_journal_never_stalls_the_runtime() {
    let h = start(4).await;
    let files: Vec<PathBuf> = (0..3)
        .map(|i| write(h.dir.path(), &format!("{i}.txt"), 1000).0)
        .collect();
    h.engine
        .journal()
        .slow_down_for_tests(Duration::from_millis(1000));
    let stop = tokio_util::sync::CancellationToken::new();
    let ticker = tokio::spawn({
        let stop = stop.clone();
        async move {
            let mut worst = Duration::ZERO;
            let mut last = std::time::Instant::now();
            while !stop.is_cancelled() {
                tokio::time::sleep(Duration::from_millis(5)).await;
                worst = worst.max(last.elapsed());
                last = std::time::Instant::now();
            }
            worst
        }
    });
    let ids = h
        .engine
        .add(files, target(), AddOptions::default())
        .await
        .unwrap();
    h.engine.pause(ids[2]).await.unwrap();
    h.engine.resume(ids[2]).await.unwrap();
    tokio::time::timeout(Duration::from_secs(60), h.engine.wait_idle())
        .await
        .unwrap()
        .unwrap();
    let status = h.engine.snapshot().await.unwrap();
    stop.cancel();
    let worst = ticker.await.unwrap();
    assert!(
        status.iter().all(|s| s.state == ItemState::Verified),
        "{status:?}"
    );
    // A journal call on the runtime stalls it for the whole second; a busy shared
    // machine alone, for a few hundred ms at most.
    assert!(
        worst < Duration::from_millis(500),
        "the runtime stalled for {worst:?}: a journal call ran on it"
    );
}

/// Cancelling was a decision the user may take back: "retry" on a cancelled upload
/// sends it again, from its first byte (its parts were aborted).
#[tokio::test]
async fn a_cancelled_upload_can_be_retried() {
    let h = start(2).await;
    let mut events = h.engine.subscribe();
    let (path, data) = write(h.dir.path(), "undo.bin", 7 * MIB as usize);
    let options = AddOptions {
        start_paused: true,
        ..AddOptions::default()
    };
    let ids = h.engine.add(vec![path], target(), options).await.unwrap();
    h.engine.cancel(ids[0]).await.unwrap();
    let state = |h: &Harness| {
        let id = ids[0];
        let engine = h.engine.clone();
        async move {
            engine
                .snapshot()
                .await
                .unwrap()
                .into_iter()
                .find(|i| i.id == id)
                .map(|i| i.state)
        }
    };
    for _ in 0..100 {
        if state(&h).await == Some(ItemState::Cancelled) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(state(&h).await, Some(ItemState::Cancelled));
    h.engine.retry(ids[0]).await.unwrap();
    until_done(&mut events, ids[0]).await;
    assert_eq!(state(&h).await, Some(ItemState::Verified));
    assert!(h.store.object("undo.bin").unwrap().data == data);
}

/// "Move to top": the chosen upload starts before the ones queued ahead of it.
#[tokio::test]
async fn move_to_top_starts_an_upload_next() {
    let h = start(1).await;
    let paused = AddOptions {
        start_paused: true,
        ..AddOptions::default()
    };
    let mut paths = Vec::new();
    for n in 0..5 {
        paths.push(write(h.dir.path(), &format!("f{n}.txt"), 100).0);
    }
    let ids = h.engine.add(paths, target(), paused).await.unwrap();
    h.engine.move_to_top(vec![ids[4], ids[3]]).await.unwrap();
    let err = h.engine.move_to_top(vec![9999]).await.unwrap_err();
    assert!(err.to_string().contains("no upload 9999"), "{err}");
    h.engine.resume_all().await.unwrap();
    h.engine.wait_idle().await.unwrap();
    let order = h.store.started_order();
    assert_eq!(&order[..2], ["f4.txt", "f3.txt"], "{order:?}");
    let prios: Vec<i32> = h
        .engine
        .journal()
        .uploads_in(&[UploadState::Done])
        .unwrap()
        .iter()
        .map(|r| r.priority)
        .collect();
    assert!(prios.iter().any(|p| *p > 0), "priorities are journaled");
}

/// "Clear finished" takes verified, skipped and cancelled uploads out of the queue and
/// leaves failed ones (they still need the user).
#[tokio::test]
async fn clear_finished_keeps_failed_and_unfinished_uploads() {
    let h = start(2).await;
    let (a, _) = write(h.dir.path(), "a.txt", 10);
    let (b, _) = write(h.dir.path(), "b.txt", 10);
    let done = h
        .engine
        .add(vec![a, b], target(), AddOptions::default())
        .await
        .unwrap();
    h.engine.wait_idle().await.unwrap();
    let (c, _) = write(h.dir.path(), "c.txt", 10);
    let paused = AddOptions {
        start_paused: true,
        ..AddOptions::default()
    };
    let waiting = h.engine.add(vec![c], target(), paused).await.unwrap();
    assert_eq!(h.engine.remove_finished().await.unwrap(), 2);
    let left: Vec<UploadId> = h
        .engine
        .snapshot()
        .await
        .unwrap()
        .iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(left, waiting);
    assert!(!left.contains(&done[0]));
    assert_eq!(h.engine.journal().history(10).unwrap().len(), 2);
}

/// Before anything is sent, the batch says which keys exist; the user's per-key
/// decisions are applied (here: rename one, skip another).
#[tokio::test]
async fn a_planned_batch_reports_existing_keys_and_applies_decisions() {
    let h = start(2).await;
    let (a, _) = write(h.dir.path(), "a.txt", 10);
    let (b, _) = write(h.dir.path(), "b.txt", 10);
    h.engine
        .add(vec![a.clone(), b.clone()], target(), AddOptions::default())
        .await
        .unwrap();
    h.engine.wait_idle().await.unwrap();
    let (c, _) = write(h.dir.path(), "c.txt", 10);
    let plan = h
        .engine
        .plan_add(vec![a, b, c], target(), AddOptions::default())
        .await
        .unwrap();
    assert_eq!(plan.existing, ["a.txt", "b.txt"]);
    assert!(
        h.store.object("c.txt").is_none(),
        "nothing sent by the check"
    );
    let decisions = [
        ("a.txt".to_owned(), ConflictPolicy::Rename),
        ("b.txt".to_owned(), ConflictPolicy::Skip),
    ]
    .into_iter()
    .collect();
    let ids = h
        .engine
        .add_planned(plan, &decisions, ConflictPolicy::Overwrite)
        .await
        .unwrap();
    assert_eq!(ids.len(), 3);
    h.engine.wait_idle().await.unwrap();
    assert!(
        h.store.object("a (1).txt").is_some(),
        "renamed beside the original"
    );
    assert!(h.store.object("b (1).txt").is_none());
    assert!(h.store.object("c.txt").is_some());
    let results: Vec<String> = h
        .engine
        .journal()
        .history(10)
        .unwrap()
        .into_iter()
        .map(|e| format!("{} {}", e.key, e.result))
        .collect();
    assert!(
        results.iter().any(|r| r.starts_with("b.txt skipped")),
        "{results:?}"
    );
}

/// The checksum pass read ahead for the next part holds a buffer of the memory budget
/// too. At the smallest budget (one streamed part's room) the pass and the parts take
/// turns: nothing may hold room while it waits for something that needs room (a part
/// waits for its pass before it takes its own), or the upload hangs.
#[tokio::test]
async fn the_pass_read_ahead_waits_for_room_without_hanging_the_upload() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(MemoryStore::new());
    let mut options = EngineOptions::new(dir.path().join("journal.sqlite"));
    options.settings = EngineSettings {
        concurrency: 4,
        part_size: 5 * MIB,
        grow_parts: false,
        multipart_threshold: 5 * MIB,
        memory_budget: super::upload::STREAMED_MEMORY,
        ..EngineSettings::default()
    };
    options.store_override = Some(store.clone());
    let engine = Engine::start(options).await.unwrap();
    let (path, data) = write(dir.path(), "tight.bin", 23 * MIB as usize);
    engine
        .add(vec![path], target(), AddOptions::default())
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(60), engine.wait_idle())
        .await
        .expect("the upload never hangs on its memory")
        .unwrap();
    assert_eq!(store.calls(Call::UploadPart), 5);
    assert!(store.object("tight.bin").unwrap().data == data);
}
