//! `abort-orphans` never aborts an upload that another Hoist journal on this machine
//! (the desktop app's, another CLI journal) still intends to finish. Against SeaweedFS;
//! the journals' list is a private one (`HOIST_JOURNAL_REGISTRY`; this file holds one
//! test, so no other test shares the variable).

mod common;

use std::time::Duration;

use common::*;
use hoist_core::{AddOptions, EngineEvent, MIB};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abort_orphans_spares_uploads_another_journal_will_finish() {
    let (_d, dir) = tmp();
    // SAFETY: set before any thread of this test binary reads the environment.
    unsafe { std::env::set_var("HOIST_JOURNAL_REGISTRY", dir.join("journals.txt")) };
    let bucket = bucket("orphans").await;
    std::fs::create_dir_all(dir.join("app")).unwrap();
    std::fs::create_dir_all(dir.join("cli")).unwrap();

    // The "desktop app": a large upload paused after its first part.
    let file = dir.join("big.bin");
    write_random(&file, 12 * MIB as usize, 51);
    let app = engine(&dir.join("app"), fast_settings()).await;
    app.set_rate_limit(Some(4 * MIB));
    let mut rx = app.subscribe();
    let id = app
        .add(vec![file], target(&bucket), AddOptions::default())
        .await
        .unwrap()[0];
    next_event(&mut rx, part_done).await;
    app.pause(id).await.unwrap();
    next_event(&mut rx, |e| {
        matches!(e, EngineEvent::Paused { .. }).then_some(())
    })
    .await;
    assert_eq!(pending_multiparts(&bucket).await, 1);

    // A real orphan: begun by nobody's journal.
    s3().await
        .create_multipart_upload()
        .bucket(&bucket)
        .key("lost.bin")
        .send()
        .await
        .unwrap();

    // The CLI, with its own journal, cleans up.
    let cli = engine(&dir.join("cli"), fast_settings()).await;
    let aborted = cli
        .abort_orphans(target(&bucket), Duration::ZERO)
        .await
        .unwrap();
    let keys: Vec<_> = aborted.iter().map(|u| u.key.as_str()).collect();
    assert_eq!(keys, vec!["lost.bin"], "only the real orphan is aborted");
    assert_eq!(
        pending_multiparts(&bucket).await,
        1,
        "the app's upload is kept"
    );

    // And the app's upload still finishes.
    app.set_rate_limit(None);
    let all = app.subscribe();
    app.resume(id).await.unwrap();
    let events = drain_until_idle(&app, all, Duration::from_secs(60)).await;
    assert_eq!(completed(&events).len(), 1, "{events:?}");
}
