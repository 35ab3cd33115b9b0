//! `hoist watch` against the real S3 server with real inotify: add, list, run until
//! SIGTERM (files written meanwhile land), catch-up on the next run, remove.

#[path = "../../hoist-core/tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;
use tokio::process::{Child, Command};

fn hoist(journal: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hoist"));
    c.arg("--json").arg("--journal").arg(journal);
    c
}

async fn json_out(c: &mut Command) -> Value {
    let out = c.output().await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn wait_keys(bucket: &str, want: &[&str]) {
    let t0 = Instant::now();
    loop {
        if keys(bucket).await == want {
            return;
        }
        assert!(t0.elapsed() < LIMIT, "bucket never held {want:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn run(journal: &Path) -> Child {
    hoist(journal)
        .args(["watch", "run"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

async fn stop(mut child: Child) {
    let pid = child.id().unwrap() as i32;
    // SAFETY: signalling our own child process.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("watch run stops on SIGTERM")
        .unwrap();
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn watch_add_list_run_and_remove() {
    let bucket = bucket("cli-watch").await;
    let (_d, dir) = tmp();
    let journal = dir.join("journal.sqlite");
    let folder = dir.join("Screenshots");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("before.png"), b"already here").unwrap();
    std::fs::write(folder.join("half.crdownload"), b"partial").unwrap();

    let added = json_out(hoist(&journal).args([
        "watch",
        "add",
        folder.to_str().unwrap(),
        "--bucket",
        &bucket,
        "--endpoint",
        &endpoint(),
        "--prefix",
        "shots",
    ]))
    .await;
    let id = added["id"].as_i64().unwrap();
    assert_eq!(added["prefix"], "shots/");

    // A missing folder or a bad bucket is refused with a clear message.
    let out = hoist(&journal)
        .args(["watch", "add", "/no/such/folder", "--bucket", &bucket])
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/folder"));

    let child = run(&journal);
    wait_keys(&bucket, &["shots/before.png"]).await;
    std::fs::create_dir(folder.join("2026")).unwrap();
    std::fs::write(folder.join("2026/live.png"), b"while running").unwrap();
    wait_keys(&bucket, &["shots/2026/live.png", "shots/before.png"]).await;
    stop(child).await;

    // Written while no `watch run` was running: the next run catches up.
    std::fs::write(folder.join("offline.png"), b"while stopped").unwrap();
    let list = json_out(hoist(&journal).args(["watch", "list"])).await;
    assert_eq!(list[0]["id"], id);
    assert_eq!(list[0]["synced_files"], 2);
    let child = run(&journal);
    wait_keys(
        &bucket,
        &[
            "shots/2026/live.png",
            "shots/before.png",
            "shots/offline.png",
        ],
    )
    .await;
    stop(child).await;
    assert_eq!(
        object(&bucket, "shots/offline.png").await.unwrap(),
        b"while stopped"
    );

    let status = hoist(&journal)
        .args(["watch", "remove", &id.to_string()])
        .status()
        .await
        .unwrap();
    assert!(status.success());
    let list = json_out(hoist(&journal).args(["watch", "list"])).await;
    assert_eq!(list, serde_json::json!([]));
    // Removing a watch leaves its objects alone.
    assert_eq!(keys(&bucket).await.len(), 3);
}
