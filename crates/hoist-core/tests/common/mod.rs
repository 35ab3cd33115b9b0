//! Shared helpers for tests against the real SeaweedFS server that
//! `scripts/s3-test-server.sh` starts (its endpoint and keys come in the environment).

#![allow(dead_code)]

pub mod http_source;
pub mod proxy;
pub mod stores;
pub mod watching;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use aws_sdk_s3::Client;
use hoist_core::{Engine, EngineEvent, EngineOptions, EngineSettings, Target};
use tokio::sync::broadcast;

pub fn endpoint() -> String {
    std::env::var("HOIST_TEST_ENDPOINT").expect(
        "HOIST_TEST_ENDPOINT is not set: run the tests with scripts/test.sh, which starts the S3 test server",
    )
}

/// Whether the suite runs against the embedded local store (scripts/test.sh runs some
/// suites again against it), not SeaweedFS.
pub fn on_embedded_store() -> bool {
    std::env::var("HOIST_TEST_STORE").is_ok_and(|s| s == "embedded")
}

pub fn upstream_addr() -> std::net::SocketAddr {
    let ep = endpoint();
    ep.trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .expect("endpoint is http://IP:PORT")
}

/// The tests' own client, for setup and checks. Checksums only where an operation
/// requires them: stores such as Garage refuse the SDK's default streamed checksums
/// over plain http, and the suites also run against them (bench/compat.sh).
pub async fn s3() -> Client {
    let base = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    let conf = aws_sdk_s3::config::Builder::from(&base)
        .endpoint_url(endpoint())
        .force_path_style(true)
        .request_checksum_calculation(aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired)
        .build();
    Client::from_conf(conf)
}

static SEQ: AtomicU32 = AtomicU32::new(0);

/// A bucket name no other test uses.
pub fn unique_name(hint: &str) -> String {
    let n = SEQ.fetch_add(1, Ordering::SeqCst);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{hint}-{}-{n}-{nanos}", std::process::id())
}

/// A fresh bucket for one test.
pub async fn bucket(hint: &str) -> String {
    let name = unique_name(hint);
    s3().await
        .create_bucket()
        .bucket(&name)
        .send()
        .await
        .expect("create bucket");
    name
}

/// How long a test waits for the queue or for one event.
pub const LIMIT: Duration = Duration::from_secs(120);

/// A target whose endpoint is a fault-injecting proxy in front of the test store.
pub async fn proxied_target(bucket: &str) -> (proxy::FaultProxy, Target) {
    let proxy = proxy::FaultProxy::start(upstream_addr()).await;
    let t = Target {
        endpoint: Some(proxy.endpoint()),
        ..Target::new(bucket)
    };
    (proxy, t)
}

/// A proxied target whose requests are relayed one by one and their lines kept, to
/// count what an operation asked of the store (`proxy.faults.requests`).
pub async fn watched_target(bucket: &str) -> (proxy::FaultProxy, Target) {
    let (proxy, t) = proxied_target(bucket).await;
    proxy
        .faults
        .watch_requests
        .store(true, std::sync::atomic::Ordering::SeqCst);
    (proxy, t)
}

/// Waits (up to `LIMIT`) for the next event `pick` accepts, and returns what it picked.
pub async fn next_event<T>(
    rx: &mut broadcast::Receiver<EngineEvent>,
    mut pick: impl FnMut(&EngineEvent) -> Option<T>,
) -> T {
    loop {
        let event = tokio::time::timeout(LIMIT, rx.recv())
            .await
            .expect("the event came in time")
            .expect("the event stream is open");
        if let Some(t) = pick(&event) {
            return t;
        }
    }
}

pub fn part_done(e: &EngineEvent) -> Option<()> {
    matches!(e, EngineEvent::PartDone { .. }).then_some(())
}

pub fn target(bucket: &str) -> Target {
    Target {
        endpoint: Some(endpoint()),
        ..Target::new(bucket)
    }
}

pub fn fast_settings() -> EngineSettings {
    let mut s = EngineSettings::default();
    s.part_size = 5 * hoist_core::MIB;
    // Tests count parts: every part the part size (growing parts have tests of their own).
    s.grow_parts = false;
    s.multipart_threshold = 5 * hoist_core::MIB;
    s.concurrency = 4;
    s.retry.base_delay = Duration::from_millis(20);
    s.retry.max_delay = Duration::from_millis(500);
    s.progress_interval = Duration::from_millis(100);
    s
}

pub async fn engine(dir: &Path, settings: EngineSettings) -> Engine {
    let mut o = EngineOptions::new(dir.join("journal.sqlite"));
    o.settings = settings;
    Engine::start(o).await.expect("engine starts")
}

/// Waits until the queue is idle (or `limit` passes) and returns every event seen.
pub async fn drain_until_idle(
    engine: &Engine,
    mut rx: broadcast::Receiver<EngineEvent>,
    limit: Duration,
) -> Vec<EngineEvent> {
    tokio::time::timeout(limit, engine.wait_idle())
        .await
        .expect("queue finished in time")
        .unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let mut events = Vec::new();
    while let Ok(e) = rx.try_recv() {
        events.push(e);
    }
    events
}

pub async fn object(bucket: &str, key: &str) -> Option<Vec<u8>> {
    match s3().await.get_object().bucket(bucket).key(key).send().await {
        Ok(o) => Some(o.body.collect().await.unwrap().into_bytes().to_vec()),
        Err(_) => None,
    }
}

pub async fn keys(bucket: &str) -> Vec<String> {
    let out = s3()
        .await
        .list_objects_v2()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    let mut k: Vec<String> = out
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_owned))
        .collect();
    k.sort();
    k
}

pub async fn pending_multiparts(bucket: &str) -> usize {
    let out = s3()
        .await
        .list_multipart_uploads()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    out.uploads().len()
}

/// Deterministic pseudo-random bytes (different per seed), written to `path`.
pub fn write_random(path: &Path, len: usize, seed: u64) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut data = vec![0u8; len];
    rng.fill(&mut data);
    std::fs::write(path, &data).unwrap();
    data
}

pub fn completed(events: &[EngineEvent]) -> Vec<&EngineEvent> {
    events
        .iter()
        .filter(|e| matches!(e, EngineEvent::Completed { .. }))
        .collect()
}

pub fn tmp() -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().to_path_buf();
    (d, p)
}
