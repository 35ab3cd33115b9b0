//! Uploads through the link emulator (the fault proxy with one bandwidth cap shared
//! by all connections, as a home uplink is, and added latency), with default
//! settings. Sizes are scaled so each test stays well under a minute: 24 MiB over
//! 2 MB/s with 100 ms RTT instead of the 40 MiB over 300 KB/s (the full-size
//! runs, and other tools on the same link, are in `bench/slowlink.sh`).

mod common;

use std::sync::atomic::Ordering::SeqCst;
use std::time::{Duration, Instant};

use common::*;
use hoist_core::{AddOptions, EngineEvent, EngineSettings, MIB};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_slow_uplink_finishes_near_its_ideal_time_with_steady_progress() {
    let (_d, dir) = tmp();
    let file = dir.join("f.bin");
    let size = 24 * MIB as usize;
    let data = write_random(&file, size, 41);
    let bucket = bucket("slowlink").await;
    let (proxy, t) = proxied_target(&bucket).await;
    let rate = 2_000_000u64;
    proxy.faults.shared_rate.store(rate, SeqCst);
    proxy.faults.latency_ms.store(50, SeqCst);
    let engine = engine(&dir, EngineSettings::default()).await;
    let rx = engine.subscribe();
    let started = Instant::now();
    engine
        .add(vec![file], t, AddOptions::default())
        .await
        .unwrap();
    let mut events = Vec::new();
    let mut rx = rx;
    let mut last_progress: Option<Instant> = None;
    let mut longest_gap = Duration::ZERO;
    let mut running = false;
    loop {
        let e = tokio::time::timeout(Duration::from_secs(60), rx.recv())
            .await
            .expect("the upload ends")
            .unwrap();
        match &e {
            EngineEvent::Started { .. } => {
                running = true;
                last_progress = Some(Instant::now());
            }
            EngineEvent::Progress { .. } if running => {
                let now = Instant::now();
                if let Some(l) = last_progress {
                    longest_gap = longest_gap.max(now - l);
                }
                last_progress = Some(now);
            }
            EngineEvent::Finishing { .. } => running = false,
            _ => {}
        }
        let end = matches!(
            e,
            EngineEvent::Completed { .. } | EngineEvent::Failed { .. }
        );
        events.push(e);
        if end {
            break;
        }
    }
    let took = started.elapsed().as_secs_f64();
    let ideal = size as f64 / rate as f64;
    eprintln!(
        "24 MiB over 2 MB/s, 100 ms RTT: {took:.1} s, ideal {ideal:.1} s, longest progress gap {longest_gap:?}"
    );
    assert_eq!(completed(&events).len(), 1, "{events:?}");
    assert_eq!(object(&bucket, "f.bin").await.unwrap(), data);
    assert!(took < ideal * 1.3, "took {took:.1} s, ideal {ideal:.1} s");
    // Once a second, plus one progress tick of scheduling slack on a busy machine.
    assert!(
        longest_gap <= Duration::from_millis(1250),
        "a running upload showed no progress for {longest_gap:?}"
    );
}
