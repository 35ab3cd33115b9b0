//! The `hoist` binary against the real S3 server: crash (kill -9) and resume, exit
//! codes and messages.

#[path = "../../hoist-core/tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::Ordering;
use std::time::Duration;

use common::*;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const MIB: u64 = 1024 * 1024;

/// `hoist --json` with `journal`.
fn hoist(journal: &Path) -> Command {
    let mut c = hoist_human(journal);
    c.arg("--json");
    c
}

/// `hoist` with `journal`, its output for people (lines on stderr).
fn hoist_human(journal: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hoist"));
    c.arg("--journal").arg(journal);
    // Profiles of the user running the tests stay out of them.
    c.env("HOIST_CONFIG_DIR", journal.with_file_name("hoist-config"));
    c
}

fn lines(out: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(out)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Starts `hoist upload`, kills it with SIGKILL after `parts` parts are done.
async fn upload_and_kill(journal: &Path, file: &Path, bucket: &str, endpoint: &str, parts: usize) {
    let mut child = hoist(journal)
        .args([
            "upload",
            "--bucket",
            bucket,
            "--endpoint",
            endpoint,
            "--part-size",
            "5MiB",
            "-c",
            "4",
        ])
        .arg(file)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut done = 0;
    while done < parts {
        let line = tokio::time::timeout(Duration::from_secs(60), out.next_line())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_ne!(
            v["event"], "completed",
            "the upload finished before it could be killed"
        );
        if v["event"] == "part_done" {
            done += 1;
        }
    }
    child.start_kill().unwrap(); // SIGKILL: no chance to clean up
    let status = child.wait().await.unwrap();
    assert!(!status.success());
}

/// Runs `hoist resume`, which must succeed, and returns its events.
async fn resume_ok(journal: &Path) -> Vec<Value> {
    let out = hoist(journal).arg("resume").output().await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    lines(&out.stdout)
}

async fn status(journal: &Path) -> Vec<Value> {
    let out = hoist(journal).arg("status").output().await.unwrap();
    assert!(out.status.success());
    lines(&out.stdout)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_upload_then_resume_resends_at_most_the_parts_in_flight() {
    let (_d, dir) = tmp();
    let file = dir.join("big.bin");
    let size = 80 * MIB;
    let data = write_random(&file, size as usize, 21);
    let journal = dir.join("journal.sqlite");
    let bucket = bucket("kill9").await;
    let proxy = proxy::FaultProxy::start(upstream_addr()).await;
    proxy.faults.rate.store(8 * MIB, Ordering::SeqCst);

    upload_and_kill(&journal, &file, &bucket, &proxy.endpoint(), 5).await;
    let st = status(&journal).await;
    assert_eq!(st.len(), 1, "{st:?}");
    assert_eq!(st[0]["state"], "queued");
    let bytes_done = st[0]["bytes_done"].as_u64().unwrap();
    assert!(bytes_done >= 5 * 5 * MIB && bytes_done < size, "{st:?}");

    proxy.faults.rate.store(0, Ordering::SeqCst);
    let events = resume_ok(&journal).await;
    let done = events
        .iter()
        .find(|e| e["event"] == "completed")
        .expect("completed event");
    let (sent, resent) = (
        done["bytes_sent"].as_u64().unwrap(),
        done["bytes_resent"].as_u64().unwrap(),
    );
    println!(
        "resume sent {sent} bytes, re-sent {resent}; {bytes_done} were journaled before the kill"
    );
    assert!(
        resent <= 4 * 5 * MIB,
        "re-sent {resent} bytes: more than the 4 parts in flight"
    );
    assert!(
        sent <= size - bytes_done,
        "sent {sent}: parts the journal had verified went again"
    );
    assert_eq!(done["verification"], "crc32c");
    let summary = events.iter().find(|e| e["event"] == "summary").unwrap();
    assert_eq!(summary["verified"], 1);
    assert_eq!(object(&bucket, "big.bin").await.unwrap(), data);
    assert!(status(&journal).await.is_empty());
    assert_eq!(pending_multiparts(&bucket).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_then_the_file_changes_resume_restarts_with_the_new_content() {
    let (_d, dir) = tmp();
    let file = dir.join("edit.bin");
    write_random(&file, 40 * MIB as usize, 22);
    let journal = dir.join("journal.sqlite");
    let bucket = bucket("kill9edit").await;
    let proxy = proxy::FaultProxy::start(upstream_addr()).await;
    proxy.faults.rate.store(8 * MIB, Ordering::SeqCst);
    upload_and_kill(&journal, &file, &bucket, &proxy.endpoint(), 2).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let new = write_random(&file, 41 * MIB as usize, 23);
    proxy.faults.rate.store(0, Ordering::SeqCst);
    let events = resume_ok(&journal).await;
    assert!(
        events.iter().any(|e| e["event"] == "restarted"),
        "{events:?}"
    );
    assert_eq!(object(&bucket, "edit.bin").await.unwrap(), new);
    assert_eq!(
        pending_multiparts(&bucket).await,
        0,
        "the old multipart upload was aborted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_file_of_a_large_batch_gets_its_line() {
    // 3,000 files queue at once: thousands of events in a burst. The human output
    // must keep up and print one "ok" line per file (it used to fall behind the
    // engine's event buffer and lose lines, and drain the rest a millisecond each).
    let (_d, dir) = tmp();
    let folder = dir.join("many");
    std::fs::create_dir(&folder).unwrap();
    for i in 0..3000 {
        std::fs::write(folder.join(format!("f{i:04}.txt")), [b'x']).unwrap();
    }
    let journal = dir.join("journal.sqlite");
    let bucket = bucket("manylines").await;
    let out = hoist_human(&journal)
        .args(["upload", "--bucket", &bucket])
        .arg(&folder)
        .output()
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let ok = err.lines().filter(|l| l.starts_with("ok ")).count();
    assert_eq!(
        ok,
        3000,
        "one line per file; the end: {}",
        &err[err.len().saturating_sub(300)..]
    );
    assert!(
        !err.contains("fell behind"),
        "{}",
        &err[..err.len().min(300)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_give_a_clear_message_and_a_nonzero_exit() {
    let (_d, dir) = tmp();
    write_random(&dir.join("a.txt"), 10, 24);
    let journal = dir.join("journal.sqlite");
    let bucket = bucket("exitcode").await;

    // Missing local path: refused before anything is queued.
    let out = hoist(&journal)
        .args(["upload", "--bucket", &bucket])
        .arg(dir.join("nope.txt"))
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.txt"));

    // Missing bucket: the item fails, exit 1, the reason in words.
    let out = hoist_human(&journal)
        .args(["upload", "--bucket", "bucket-that-is-not-there"])
        .arg(dir.join("a.txt"))
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("\"bucket-that-is-not-there\" does not exist"),
        "{err}"
    );

    // Success: exit 0, and history shows both attempts.
    let out = hoist(&journal)
        .args(["upload", "--bucket", &bucket])
        .arg(dir.join("a.txt"))
        .output()
        .await
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = hoist(&journal).arg("history").output().await.unwrap();
    let h = lines(&out.stdout);
    assert_eq!(h.len(), 2);
    assert_eq!(h[0]["result"], "verified");
    assert_eq!(h[1]["result"], "failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_goes_away_stops_the_upload_for_resume_without_a_panic() {
    // `hoist upload … | head -1`: the pipe closes while parts are in flight.
    let (_d, dir) = tmp();
    let file = dir.join("piped.bin");
    let data = write_random(&file, (40 * MIB) as usize, 25);
    let journal = dir.join("journal.sqlite");
    let bucket = bucket("pipe").await;
    let proxy = proxy::FaultProxy::start(upstream_addr()).await;
    proxy.faults.rate.store(4 * MIB, Ordering::SeqCst);

    let mut child = hoist(&journal)
        .args([
            "upload",
            "--bucket",
            &bucket,
            "--endpoint",
            &proxy.endpoint(),
        ])
        .args(["--part-size", "5MiB"])
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = out.next_line().await.unwrap().unwrap();
    assert!(first.contains("\"queued\""), "{first}");
    drop(out);
    let ended = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
        .await
        .expect("hoist went on after its reader left")
        .unwrap();
    let err = String::from_utf8_lossy(&ended.stderr);
    assert_eq!(ended.status.code(), Some(141), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains("hoist resume"), "{err}");
    let st = status(&journal).await;
    assert_eq!(st.len(), 1, "stopped before the end: {st:?}");

    proxy.faults.rate.store(0, Ordering::SeqCst);
    let events = resume_ok(&journal).await;
    assert!(
        events.iter().any(|e| e["event"] == "completed"),
        "{events:?}"
    );
    assert_eq!(object(&bucket, "piped.bin").await.unwrap(), data);
}
