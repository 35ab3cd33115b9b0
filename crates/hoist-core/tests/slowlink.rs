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

/// What one upload did over time: when each part finished, and how many parts were
/// in flight at each progress report (seconds since the start).
struct Timeline {
    took: f64,
    parts_done: Vec<f64>,
    in_flight: Vec<(f64, u32)>,
    events: Vec<EngineEvent>,
}

async fn timeline(
    engine: &hoist_core::Engine,
    file: std::path::PathBuf,
    t: hoist_core::Target,
) -> Timeline {
    let mut rx = engine.subscribe();
    let started = Instant::now();
    engine
        .add(vec![file], t, AddOptions::default())
        .await
        .unwrap();
    let (mut parts_done, mut in_flight, mut events) = (Vec::new(), Vec::new(), Vec::new());
    loop {
        let e = tokio::time::timeout(Duration::from_secs(90), rx.recv())
            .await
            .expect("the upload ends")
            .unwrap();
        let at = started.elapsed().as_secs_f64();
        match &e {
            EngineEvent::PartDone { .. } => parts_done.push(at),
            EngineEvent::Progress {
                parts_in_flight, ..
            } => in_flight.push((at, *parts_in_flight)),
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
    Timeline {
        took: started.elapsed().as_secs_f64(),
        parts_done,
        in_flight,
        events,
    }
}

/// Default flags but 5 MiB parts (as the issue ran it): 24 parts could go at once. On
/// a 2 MB/s uplink shared by all eight of them each would crawl and all would finish
/// only at the end; following the link, a few go at once and each finishes in turn.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_link_ends_with_few_parts_in_flight_each_finishing_in_turn() {
    let (_d, dir) = tmp();
    let file = dir.join("s.bin");
    let size = 40 * MIB as usize;
    let data = write_random(&file, size, 42);
    let bucket = bucket("fewparts").await;
    let (proxy, t) = proxied_target(&bucket).await;
    let rate = 2_000_000u64;
    proxy.faults.shared_rate.store(rate, SeqCst);
    proxy.faults.latency_ms.store(50, SeqCst);
    let mut settings = EngineSettings::default();
    settings.part_size = 5 * MIB;
    let engine = engine(&dir, settings).await;
    let run = timeline(&engine, file, t).await;
    let ideal = size as f64 / rate as f64;
    let late: Vec<u32> = run
        .in_flight
        .iter()
        .filter(|(at, _)| *at > run.took / 2.0)
        .map(|(_, n)| *n)
        .collect();
    eprintln!(
        "40 MiB in 5 MiB parts over 2 MB/s: {:.1} s (ideal {ideal:.1}), parts done at {:?}, in flight in the second half {late:?}",
        run.took, run.parts_done
    );
    assert_eq!(completed(&run.events).len(), 1, "{:?}", run.events);
    assert_eq!(object(&bucket, "s.bin").await.unwrap(), data);
    assert!(
        run.took < ideal * 1.3,
        "took {:.1} s, ideal {ideal:.1} s",
        run.took
    );
    assert!(
        late.iter().all(|&n| n <= 4) && !late.is_empty(),
        "more than a few parts in flight on a slow link: {late:?}"
    );
    // Parts finish in turn, not all at the end (where eight parts sharing the link
    // from the start would all finish).
    assert!(
        run.parts_done[0] < run.took * 0.6,
        "the first part finished at {:.1} s of {:.1} s",
        run.parts_done[0],
        run.took
    );
}

/// Loopback: the link would take any number of parts, but the store shares the
/// machine and does not get faster with more streams (SeaweedFS here: 24 parts of a
/// 1 GiB file at once gave 95 MB/s, 4 gave 152). The file probes beyond its first two
/// parts and stops where more stop paying, well below its share of the pool (24 of
/// the default 32 requests), which the link alone would have allowed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_probes_more_parts_but_stops_where_they_stop_paying() {
    let (_d, dir) = tmp();
    let file = dir.join("l.bin");
    // Long enough to outlast the first probe (after two one-second windows) on a
    // quiet machine: 200 MiB took 1.5 s and ended before it.
    let size = 640 * MIB as usize;
    let data = write_random(&file, size, 43);
    let bucket = bucket("probeconc").await;
    let mut settings = EngineSettings::default();
    settings.part_size = 5 * MIB;
    // Probing small parts; grown ones would soon fill the link two at a time.
    settings.grow_parts = false;
    let engine = engine(&dir, settings).await;
    let run = timeline(&engine, file, target(&bucket)).await;
    let most = run.in_flight.iter().map(|(_, n)| *n).max().unwrap_or(0);
    eprintln!(
        "640 MiB in 5 MiB parts on loopback: {:.1} s, at most {most} parts in flight: {:?}",
        run.took, run.in_flight
    );
    assert_eq!(completed(&run.events).len(), 1, "{:?}", run.events);
    assert_eq!(object(&bucket, "l.bin").await.unwrap(), data);
    assert!(
        most >= 4,
        "never probed beyond two parts: {:?}",
        run.in_flight
    );
    assert!(
        most < 24,
        "the whole share went at once: {:?}",
        run.in_flight
    );
}
