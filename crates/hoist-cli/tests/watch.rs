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

/// Stops `watch run` with SIGTERM; returns what it printed on stderr.
async fn stop(child: Child) -> String {
    let pid = child.id().unwrap() as i32;
    // SAFETY: signalling our own child process.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let out = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("watch run stops on SIGTERM")
        .unwrap();
    assert!(out.status.success(), "{:?}", out.status);
    String::from_utf8_lossy(&out.stderr).into_owned()
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

    // The whole disk is not a folder anyone means.
    let out = hoist(&journal)
        .args(["watch", "add", "/", "--bucket", &bucket])
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("whole disk"));

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
    // Without --json this time: the status lines a person reads.
    let child = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .arg("--journal")
        .arg(&journal)
        .args(["watch", "run"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    wait_keys(
        &bucket,
        &[
            "shots/2026/live.png",
            "shots/before.png",
            "shots/offline.png",
        ],
    )
    .await;
    let printed = stop(child).await;
    // The folder's name as it is (Linux paths are case-sensitive), phases in words.
    assert!(printed.contains("/Screenshots → s3://"), "{printed}");
    assert!(printed.contains(": watching, "), "{printed}");
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

#[tokio::test]
async fn watch_trash_list_restore_and_deletion_answers() {
    let bucket = bucket("cli-trash").await;
    let (_d, dir) = tmp();
    let journal = dir.join("journal.sqlite");
    let folder = dir.join("Inbox");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("keep.txt"), b"keep").unwrap();
    std::fs::write(folder.join("Note.txt"), b"first version").unwrap();
    let added = json_out(hoist(&journal).args([
        "watch",
        "add",
        folder.to_str().unwrap(),
        "--bucket",
        &bucket,
        "--endpoint",
        &endpoint(),
        "--delete-remote",
    ]))
    .await;
    let id = added["id"].as_i64().unwrap().to_string();
    let child = run(&journal);
    wait_keys(&bucket, &["Note.txt", "keep.txt"]).await;
    std::fs::remove_file(folder.join("Note.txt")).unwrap();
    let t0 = Instant::now();
    let trash = loop {
        let t = json_out(hoist(&journal).args(["watch", "trash", "list", &id])).await;
        if t.as_array().unwrap().len() == 1 && keys(&bucket).await.len() == 2 {
            break t;
        }
        assert!(t0.elapsed() < LIMIT, "the trash never held Note.txt: {t}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(trash[0]["path"], "Note.txt");
    let trash_key = trash[0]["trash_key"].as_str().unwrap().to_owned();
    assert!(
        trash_key.starts_with("hoist-trash/Note.txt/"),
        "{trash_key}"
    );

    // Nothing is held: answering is refused in words.
    let out = hoist(&journal)
        .args(["watch", "deletions", &id, "--approve"])
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("holds no deletions"));

    let restored =
        json_out(hoist(&journal).args(["watch", "trash", "restore", &id, &trash_key])).await;
    assert!(
        restored["restored"]
            .as_str()
            .unwrap()
            .ends_with("/Inbox/Note.txt")
    );
    assert_eq!(
        std::fs::read(folder.join("Note.txt")).unwrap(),
        b"first version"
    );
    let t0 = Instant::now();
    while object(&bucket, "Note.txt").await.as_deref() != Some(&b"first version"[..]) {
        assert!(t0.elapsed() < LIMIT, "the restored file was never uploaded");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    stop(child).await;
    // Restoring over a file that is there is refused.
    let out = hoist(&journal)
        .args(["watch", "trash", "restore", &id, &trash_key])
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already"));
}
