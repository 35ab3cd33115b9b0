//! A large catch-up keeps the watcher responsive: real inotify, real SeaweedFS.

mod common;

use std::time::{Duration, Instant};

use common::watching::*;
use common::*;
use hoist_core::EngineEvent;
use tokio::sync::broadcast::error::TryRecvError;

const FILES: usize = 50_000;

/// One test at a time: each measures how long the watcher takes to answer.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// `watch list`, keeping the slowest answer in `slowest`.
async fn timed_list(
    manager: &hoist_core::WatchManager,
    slowest: &mut Duration,
) -> Vec<hoist_core::WatchStatus> {
    let t = Instant::now();
    let list = tokio::time::timeout(Duration::from_secs(30), manager.list())
        .await
        .expect("watch list answers")
        .unwrap();
    *slowest = (*slowest).max(t.elapsed());
    list
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_catch_up_of_50000_files_answers_at_once_and_uploads_early() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let bucket = bucket("watch-load").await;
    let (tmpdir, dir) = tmp();
    let root = dir.join("archive");
    std::fs::create_dir(&root).unwrap();
    let writer_root = root.clone();
    let t = Instant::now();
    tokio::task::spawn_blocking(move || {
        let body = vec![b'x'; 4096];
        for d in 0..(FILES / 500) {
            let folder = writer_root.join(format!("{d:03}"));
            std::fs::create_dir(&folder).unwrap();
            for f in 0..500 {
                std::fs::write(folder.join(format!("{f:03}.dat")), &body).unwrap();
            }
        }
    })
    .await
    .unwrap();
    eprintln!("{FILES} files written in {:.1}s", t.elapsed().as_secs_f64());

    let (engine, manager) = start(&dir, fast_settings()).await;
    let mut events = engine.subscribe();
    let t0 = Instant::now();
    let w = manager.add(spec(&root, &bucket, "", false)).await.unwrap();
    let added = t0.elapsed();

    let mut first_upload = None;
    let mut slowest_list = Duration::ZERO;
    while t0.elapsed() < Duration::from_secs(8) {
        let list = timed_list(&manager, &mut slowest_list).await;
        assert_eq!(list.len(), 1);
        loop {
            match events.try_recv() {
                Ok(EngineEvent::Completed { .. }) => {
                    first_upload.get_or_insert(t0.elapsed());
                }
                Ok(_) | Err(TryRecvError::Lagged(_)) => {}
                Err(_) => break,
            }
        }
        if list[0].synced_files > 0 {
            first_upload.get_or_insert(t0.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = manager.status(w.id).await.unwrap();
    let t = Instant::now();
    tokio::time::timeout(Duration::from_secs(30), manager.stop())
        .await
        .expect("the watcher stops")
        .unwrap();
    let stopped = t.elapsed();
    let t = Instant::now();
    engine.shutdown().await.unwrap();
    eprintln!("engine shutdown took {:.3}s", t.elapsed().as_secs_f64());
    eprintln!(
        "catch-up of {FILES}: add answered in {:.3}s, slowest `watch list` {:.3}s, first upload verified after {}, \
         {} synced after 8s, stop took {:.3}s",
        added.as_secs_f64(),
        slowest_list.as_secs_f64(),
        first_upload.map_or("never".into(), |d| format!("{:.2}s", d.as_secs_f64())),
        status.synced_files,
        stopped.as_secs_f64()
    );
    let t = Instant::now();
    drop(tmpdir);
    eprintln!(
        "removing the {FILES} files took {:.1}s",
        t.elapsed().as_secs_f64()
    );
    assert!(added < Duration::from_secs(1), "add took {added:?}");
    assert!(
        slowest_list < Duration::from_secs(1),
        "`watch list` took {slowest_list:?}"
    );
    let first = first_upload.expect("an upload finished within 8 s");
    assert!(
        first < Duration::from_secs(5),
        "first upload after {first:?}"
    );
    assert!(stopped < Duration::from_secs(2), "stop took {stopped:?}");
}

/// A slow journal (a busy disk, the uploads' own fsyncs) slows the watch's work, never
/// its answers: the actor leaves every periodic journal call to the background, so
/// `watch list` answers while each journal call takes 400 ms, and the files still sync.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_journal_never_holds_up_watch_list() {
    const DELAY: Duration = Duration::from_millis(400);
    let _alone = ONE_AT_A_TIME.lock().await;
    let bucket = bucket("watch-slow-journal").await;
    let (_tmpdir, dir) = tmp();
    let root = dir.join("photos");
    for d in 0..4 {
        let folder = root.join(format!("{d}"));
        std::fs::create_dir_all(&folder).unwrap();
        for f in 0..250 {
            std::fs::write(folder.join(format!("{f:03}.jpg")), [b'p'; 512]).unwrap();
        }
    }
    let (engine, manager) = start(&dir, fast_settings()).await;
    let w = manager.add(spec(&root, &bucket, "", false)).await.unwrap();
    engine.journal().slow_down_for_tests(DELAY);

    let t0 = Instant::now();
    let mut slowest = Duration::ZERO;
    let mut synced = 0;
    while t0.elapsed() < Duration::from_secs(60) {
        synced = timed_list(&manager, &mut slowest).await[0].synced_files;
        // Past a few syncs the actor has written records and read the config (every
        // 2 s) at least once each.
        if synced >= 10 && t0.elapsed() > Duration::from_secs(5) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!(
        "journal calls slowed to {DELAY:?}: slowest `watch list` {:.3}s, {synced} synced after {:.1}s",
        slowest.as_secs_f64(),
        t0.elapsed().as_secs_f64()
    );
    engine.journal().slow_down_for_tests(Duration::ZERO);
    assert_eq!(manager.status(w.id).await.unwrap().id, w.id);
    manager.stop().await.unwrap();
    engine.shutdown().await.unwrap();
    assert!(synced >= 10, "only {synced} files synced in 60 s");
    assert!(
        slowest < DELAY / 2,
        "`watch list` took {slowest:?}: the actor waited for the journal"
    );
}
