//! A large catch-up keeps the watcher responsive: real inotify, real SeaweedFS.

mod common;

use std::time::{Duration, Instant};

use common::watching::*;
use common::*;
use hoist_core::EngineEvent;
use tokio::sync::broadcast::error::TryRecvError;

const FILES: usize = 50_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_catch_up_of_50000_files_answers_at_once_and_uploads_early() {
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
        let t = Instant::now();
        let list = tokio::time::timeout(Duration::from_secs(30), manager.list())
            .await
            .expect("watch list answers")
            .unwrap();
        slowest_list = slowest_list.max(t.elapsed());
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
