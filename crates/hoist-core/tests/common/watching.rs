//! Helpers for the watched-folder tests (real inotify in temp dirs, real SeaweedFS).

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use hoist_core::{
    Engine, EngineSettings, WatchManager, WatchPhase, WatchSettings, WatchSpec, WatchStatus,
};

use super::*;

#[allow(clippy::needless_update)]
pub fn watch_settings() -> WatchSettings {
    WatchSettings {
        debounce: Duration::from_millis(100),
        quiet: Duration::from_millis(250),
        open_limit: Duration::from_secs(30),
        reconcile_every: Duration::from_secs(3),
        delete_grace: Duration::from_millis(500),
        tick: Duration::from_millis(50),
        ..WatchSettings::default()
    }
}

pub async fn start_with(
    journal_dir: &Path,
    settings: EngineSettings,
    watch: WatchSettings,
) -> (Engine, WatchManager) {
    let engine = engine(journal_dir, settings).await;
    let manager = WatchManager::start(engine.clone(), watch)
        .await
        .expect("watcher starts");
    (engine, manager)
}

pub async fn start(journal_dir: &Path, settings: EngineSettings) -> (Engine, WatchManager) {
    start_with(journal_dir, settings, watch_settings()).await
}

pub async fn stop(engine: Engine, manager: WatchManager) {
    manager.stop().await.unwrap();
    engine.shutdown().await.unwrap();
}

pub fn spec(root: &Path, bucket: &str, prefix: &str, delete_remote: bool) -> WatchSpec {
    WatchSpec {
        root: root.to_path_buf(),
        target: hoist_core::Target {
            prefix: prefix.into(),
            ..target(bucket)
        },
        include: vec![],
        exclude: None,
        delete_remote,
        trash_prefix: None,
        allow_home: false,
    }
}

/// Polls the watch's status until `done` accepts it.
pub async fn wait_status(
    m: &WatchManager,
    id: i64,
    what: &str,
    done: impl Fn(&WatchStatus) -> bool,
) -> WatchStatus {
    let t0 = Instant::now();
    loop {
        let s = m.status(id).await.unwrap();
        if done(&s) {
            return s;
        }
        assert!(t0.elapsed() < LIMIT, "timed out waiting for {what}: {s:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn wait_synced(m: &WatchManager, id: i64, files: u64) -> WatchStatus {
    wait_status(m, id, &format!("{files} synced files"), |s| {
        s.phase == WatchPhase::Watching && s.pending == 0 && s.synced_files == files
    })
    .await
}

/// Waits until the object at `key` holds `want`.
pub async fn wait_object(bucket: &str, key: &str, want: &[u8]) {
    let t0 = Instant::now();
    loop {
        if object(bucket, key).await.as_deref() == Some(want) {
            return;
        }
        assert!(t0.elapsed() < LIMIT, "{key} never got the expected content");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every object in the bucket: key → (size, ETag without quotes), paging through.
pub async fn listing(bucket: &str) -> HashMap<String, (u64, String)> {
    let s3 = s3().await;
    let mut out = HashMap::new();
    let mut token = None;
    loop {
        let page = s3
            .list_objects_v2()
            .bucket(bucket)
            .set_continuation_token(token)
            .send()
            .await
            .unwrap();
        for o in page.contents() {
            let prev = out.insert(
                o.key().unwrap().to_owned(),
                (
                    o.size().unwrap_or(0) as u64,
                    o.e_tag().unwrap_or("").trim_matches('"').to_owned(),
                ),
            );
            assert!(prev.is_none(), "a key listed twice");
        }
        match page.next_continuation_token() {
            Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_owned()),
            _ => return out,
        }
    }
}

/// Every key in the bucket, sorted, paging through.
pub async fn all_keys(bucket: &str) -> Vec<String> {
    let mut k: Vec<String> = listing(bucket).await.into_keys().collect();
    k.sort();
    k
}

/// The finished uploads the journal's history has for this key (any result).
pub fn history_for(engine: &Engine, key: &str) -> Vec<String> {
    engine
        .journal()
        .history(1_000_000)
        .unwrap()
        .into_iter()
        .filter(|h| h.key == key)
        .map(|h| h.result)
        .collect()
}

pub fn set_mtime(path: &Path, at: std::time::SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(at)
        .unwrap();
}

/// Whether this process runs as root (where permission bits block nothing).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|e| e == "0"))
        })
        .unwrap_or(false)
}

/// Set in the child when a test runs its body again in another process (as another
/// user, or in a private mount namespace).
pub const INNER: &str = "HOIST_TEST_INNER";

pub fn is_inner() -> bool {
    std::env::var_os(INNER).is_some()
}

/// Runs this same test binary's test `name` in a child process behind `wrapper`
/// (e.g. `setpriv ...` or `unshare -m`), with `INNER` set, and asserts it passed.
pub fn run_inner(wrapper: &[&str], name: &str) {
    let exe = std::env::current_exe().unwrap();
    let (cmd, rest) = wrapper.split_first().expect("a wrapper command");
    let out = std::process::Command::new(cmd)
        .args(rest)
        .arg(&exe)
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(INNER, "1")
        .output()
        .expect("the wrapper runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("--- inner run of {name} ---\n{text}--- end ---");
    assert!(out.status.success(), "inner run of {name} failed");
    assert!(
        text.contains("1 passed"),
        "the inner run did not run the test"
    );
}
