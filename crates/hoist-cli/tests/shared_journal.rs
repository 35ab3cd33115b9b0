//! One journal for the desktop app and the CLI: what the app's engine records, `hoist
//! history` lists; while the app runs it owns the transfers and `hoist upload` says
//! so; and writers on two connections at once never fail with SQLITE_BUSY.

#[path = "../../hoist-core/tests/common/mod.rs"]
mod common;

use std::time::Duration;

use common::*;
use hoist_core::objects::share::{LinkMethod, ShareLink};
use hoist_core::{AddOptions, Engine, EngineOptions, UploadJournal, journal};
use serde_json::Value;
use tokio::process::Command;

fn hoist(data: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hoist"));
    // No --journal: the CLI finds the shared data folder itself.
    c.env("HOIST_DATA_DIR", data);
    c.env("HOIST_CONFIG_DIR", data.with_file_name("hoist-config"));
    c
}

fn link(i: usize) -> ShareLink {
    ShareLink {
        id: None,
        url: format!("https://example.invalid/b/k{i}"),
        method: LinkMethod::Get,
        endpoint: None,
        bucket: "b".into(),
        key: format!("k{i}"),
        content_type: None,
        disposition: None,
        created_at: hoist_core::now_ms(),
        expires_at: hoist_core::now_ms() + 3_600_000,
        limited_by_credentials: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_cli_sees_the_app_s_uploads_and_leaves_the_transfers_to_it() {
    let (_tmp, dir) = tmp();
    let data = dir.join("data");
    // The desktop app's engine path: the shared folder's journal.
    let journal_path = journal::journal_in(&data);
    let mut options = EngineOptions::new(&journal_path);
    options.settings = fast_settings();
    let engine = Engine::start(options).await.unwrap();
    let bucket = bucket("shared-journal").await;
    let files = dir.join("files");
    std::fs::create_dir_all(&files).unwrap();
    for i in 0..40 {
        std::fs::write(files.join(format!("f{i:02}.txt")), format!("file {i}")).unwrap();
    }
    let rx = engine.subscribe();
    engine
        .add(vec![files.clone()], target(&bucket), AddOptions::default())
        .await
        .unwrap();
    // Meanwhile another connection (the CLI's `hoist share` records links this way)
    // writes 300 rows: with WAL and the busy timeout, none fails.
    let writer = {
        let journal_path = journal_path.clone();
        std::thread::spawn(move || {
            let j = UploadJournal::open(&journal_path).unwrap();
            for i in 0..300 {
                j.record_link(&link(i))
                    .expect("a concurrent write never fails busy");
            }
        })
    };
    let readers: Vec<_> = (0..3)
        .map(|_| hoist(&data).args(["--json", "history"]).output())
        .collect();
    for r in readers {
        let out = r.await.unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    drain_until_idle(&engine, rx, Duration::from_secs(120)).await;
    writer.join().unwrap();

    let out = hoist(&data)
        .args(["--json", "history", "--limit", "100"])
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let listed: Vec<String> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .flat_map(|v| match v {
            Value::Array(a) => a,
            v => vec![v],
        })
        .filter_map(|v| v.get("key").and_then(|k| k.as_str()).map(str::to_owned))
        .collect();
    assert!(
        listed.iter().any(|k| k.ends_with("f07.txt")),
        "hoist history lists the app's upload: {text}"
    );

    // The app runs: `hoist upload` says so plainly and uploads nothing.
    let extra = dir.join("extra.txt");
    std::fs::write(&extra, b"x").unwrap();
    let out = hoist(&data)
        .args(["upload", "--bucket", &bucket, "--endpoint", &endpoint()])
        .arg(&extra)
        .output()
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("already running") && err.contains("pid"),
        "{err}"
    );
    assert!(!keys(&bucket).await.iter().any(|k| k.ends_with("extra.txt")));
    engine.shutdown().await.unwrap();
}
