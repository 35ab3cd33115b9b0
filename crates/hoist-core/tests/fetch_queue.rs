//! Upload from a URL as a queue item (`Engine::fetch`): a local HTTP server
//! (tests/common/http_source.rs, slow on demand, with or without Range) feeds the real
//! S3 server through the queue: events, pause, cancel, resume after a restart.

mod common;

use std::time::{Duration, Instant};

use common::http_source::{HttpSource, expected_crc};
use common::*;
use hoist_core::{
    EngineEvent, ErrorCode, FetchRequest, ItemState, MIB, OriginLimits, Verification,
};

fn request(key: &str) -> FetchRequest {
    FetchRequest {
        key: key.into(),
        ..Default::default()
    }
}

fn crc_of(data: &[u8]) -> u32 {
    crc32c::crc32c(data)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_fetch_reports_progress_pauses_and_lands_verified() {
    let (_d, dir) = tmp();
    let src = HttpSource::start().await;
    let b = bucket("fq-ok").await;
    let engine = engine(&dir, fast_settings()).await;
    let mut rx = engine.subscribe();
    let size = 12 * MIB + 5;
    // About 2.5 s at 5 MB/s: long enough to pause between parts.
    let url = src.url(&format!(
        "/bytes?size={size}&seed=7&type=image/png&range=1&rate=5000000"
    ));
    let mut req = request("in/pic.png");
    req.limits.allowed_types = vec!["image/*".into()];
    let started = Instant::now();
    let id = engine.fetch(&url, target(&b), req).await.unwrap();

    // The queue shows it at once, with the URL as its source.
    let snap = engine.snapshot().await.unwrap();
    let item = snap.iter().find(|s| s.id == id).expect("in the queue");
    assert_eq!(item.path.to_str(), Some(url.as_str()));
    assert_eq!(item.key, "in/pic.png");

    let mut events = Vec::new();
    loop {
        let e = tokio::time::timeout(LIMIT, rx.recv())
            .await
            .unwrap()
            .unwrap();
        let first_part = matches!(e, EngineEvent::PartDone { id: i, .. } if i == id);
        events.push(e);
        if first_part {
            break;
        }
    }
    let running = engine.snapshot().await.unwrap();
    assert_eq!(running[0].state, ItemState::Running);
    assert_eq!(
        running[0].size, size,
        "the size is known once the body began"
    );
    engine.pause(id).await.unwrap();
    next_event(&mut rx, |e| {
        matches!(e, EngineEvent::Paused { id: i } if *i == id).then_some(())
    })
    .await;
    let paused = engine.snapshot().await.unwrap();
    assert_eq!(paused[0].state, ItemState::Paused);
    assert!(paused[0].bytes_done >= 5 * MIB, "{paused:?}");
    engine.resume(id).await.unwrap();
    events.extend(drain_until_idle(&engine, rx, LIMIT).await);
    let elapsed = started.elapsed();

    let progress: Vec<(u64, u64)> = events
        .iter()
        .filter_map(|e| match e {
            EngineEvent::Progress {
                id: i,
                bytes_done,
                bytes_total,
                ..
            } if *i == id => Some((*bytes_done, *bytes_total)),
            _ => None,
        })
        .collect();
    assert!(progress.len() >= 3, "progress events: {progress:?}");
    assert!(progress.iter().all(|(_, t)| *t == size), "{progress:?}");
    assert!(
        progress.iter().any(|(d, _)| *d > 0 && *d < size),
        "{progress:?}"
    );
    let starts: Vec<bool> = events
        .iter()
        .filter_map(|e| match e {
            EngineEvent::Started { id: i, resumed, .. } if *i == id => Some(*resumed),
            _ => None,
        })
        .collect();
    assert_eq!(
        starts,
        vec![false, true],
        "started, then resumed after the pause"
    );
    let done = completed(&events);
    assert_eq!(done.len(), 1, "{events:?}");
    match done[0] {
        EngineEvent::Completed {
            size: s,
            verification,
            ..
        } => {
            assert_eq!(*s, size);
            assert_eq!(*verification, Verification::Crc32c);
        }
        _ => unreachable!(),
    }
    let got = object(&b, "in/pic.png").await.unwrap();
    assert_eq!(got.len() as u64, size);
    assert_eq!(crc_of(&got), expected_crc(size, 7));
    let head = s3()
        .await
        .head_object()
        .bucket(&b)
        .key("in/pic.png")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type(), Some("image/png"));
    let snap = engine.snapshot().await.unwrap();
    assert_eq!(snap[0].state, ItemState::Verified);
    assert_eq!(snap[0].size, size);
    let history = engine.journal().history(5).unwrap();
    assert_eq!(history[0].result, "verified");
    assert_eq!(history[0].path.to_str(), Some(url.as_str()));
    println!(
        "fetched {} MiB through the queue in {:.2} s (origin capped at 5 MB/s), origin served {} bytes for {size}",
        size / MIB,
        elapsed.as_secs_f64(),
        src.served()
    );
    let ranges = src.ranges();
    assert_eq!(ranges.len(), 2, "{ranges:?}");
    assert!(
        ranges[1].starts_with("bytes=") && ranges[1] != "bytes=0-",
        "the pause resumed with Range: {ranges:?}"
    );
    assert!(src.served() < 2 * size, "{} bytes served", src.served());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_leaves_no_object_and_no_multipart_upload() {
    let (_d, dir) = tmp();
    let src = HttpSource::start().await;
    let b = bucket("fq-cancel").await;
    let engine = engine(&dir, fast_settings()).await;
    let mut rx = engine.subscribe();
    let size = 30 * MIB;
    let url = src.url(&format!("/bytes?size={size}&seed=8&range=1&rate=4000000"));
    let id = engine
        .fetch(&url, target(&b), request("big.bin"))
        .await
        .unwrap();
    next_event(&mut rx, part_done).await;
    assert_eq!(
        pending_multiparts(&b).await,
        1,
        "a multipart upload is open"
    );
    engine.cancel(id).await.unwrap();
    next_event(&mut rx, |e| {
        matches!(e, EngineEvent::Cancelled { id: i } if *i == id).then_some(())
    })
    .await;
    assert_eq!(pending_multiparts(&b).await, 0, "the upload was aborted");
    assert!(keys(&b).await.is_empty(), "no object: {:?}", keys(&b).await);
    let snap = engine.snapshot().await.unwrap();
    assert_eq!(snap[0].state, ItemState::Cancelled);
    assert!(src.served() < size, "the origin was not read to its end");
}

/// Stops the engine once `parts` parts are stored, starts a new one on the same
/// journal and lets it finish. Returns the events of the second run and the bytes
/// the origin served before the restart.
async fn restart_after_parts(
    dir: &std::path::Path,
    src: &HttpSource,
    url: &str,
    b: &str,
    parts: usize,
) -> (Vec<EngineEvent>, u64) {
    {
        let engine = engine(dir, fast_settings()).await;
        let mut rx = engine.subscribe();
        engine
            .fetch(url, target(b), request("r.bin"))
            .await
            .unwrap();
        // Parts finish in any order: wait for the first `parts` of them.
        let mut stored = std::collections::BTreeSet::new();
        while (1..=parts as u32).any(|n| !stored.contains(&n)) {
            let n = next_event(&mut rx, |e| match e {
                EngineEvent::PartDone { part, .. } => Some(*part),
                _ => None,
            })
            .await;
            stored.insert(n);
        }
        engine.shutdown().await.unwrap();
    }
    let before = src.served();
    let engine = engine(dir, fast_settings()).await;
    let rx = engine.subscribe();
    let ids = engine.resume_unfinished().await.unwrap();
    assert_eq!(ids.len(), 1, "the journal kept the fetch queued");
    (drain_until_idle(&engine, rx, LIMIT).await, before)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_mid_fetch_resumes_with_range() {
    let (_d, dir) = tmp();
    let src = HttpSource::start().await;
    let b = bucket("fq-resume").await;
    let size = 24 * MIB + 321;
    let url = src.url(&format!("/bytes?size={size}&seed=9&range=1&rate=8000000"));
    let (events, before) = restart_after_parts(&dir, &src, &url, &b, 2).await;
    let second = src.served() - before;
    let resumed = events.iter().any(|e| {
        matches!(
            e,
            EngineEvent::Started {
                resumed: true,
                parts_done: 2..,
                ..
            }
        )
    });
    assert!(resumed, "{events:?}");
    assert_eq!(completed(&events).len(), 1, "{events:?}");
    let ranges = src.ranges();
    assert!(
        ranges.last().unwrap().starts_with("bytes="),
        "the second run asked for a range: {ranges:?}"
    );
    assert!(
        second < size - 9 * MIB,
        "after the restart the origin served {second} of {size} bytes"
    );
    let got = object(&b, "r.bin").await.unwrap();
    assert_eq!(got.len() as u64, size);
    assert_eq!(crc_of(&got), expected_crc(size, 9));
    assert_eq!(pending_multiparts(&b).await, 0);
    println!(
        "resume with Range: {second} of {size} bytes fetched again after the restart ({} MiB saved)",
        (size - second) / MIB
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_range_a_restart_starts_over_and_still_ends_correct() {
    let (_d, dir) = tmp();
    let src = HttpSource::start().await;
    let b = bucket("fq-norange").await;
    let size = 16 * MIB + 77;
    let url = src.url(&format!("/bytes?size={size}&seed=10&rate=8000000"));
    let (events, before) = restart_after_parts(&dir, &src, &url, &b, 1).await;
    let second = src.served() - before;
    let restarted: Vec<&String> = events
        .iter()
        .filter_map(|e| match e {
            EngineEvent::Restarted { reason, .. } => Some(reason),
            _ => None,
        })
        .collect();
    assert_eq!(restarted.len(), 1, "{events:?}");
    assert!(restarted[0].contains("no Range support"), "{restarted:?}");
    assert!(second >= size, "the whole body again: {second} of {size}");
    let got = object(&b, "r.bin").await.unwrap();
    assert_eq!(crc_of(&got), expected_crc(size, 10));
    assert_eq!(
        pending_multiparts(&b).await,
        0,
        "the first upload was aborted"
    );
}

async fn failure(
    engine: &hoist_core::Engine,
    rx: &mut tokio::sync::broadcast::Receiver<EngineEvent>,
    url: &str,
    b: &str,
    limits: OriginLimits,
) -> hoist_core::ErrorReport {
    let mut req = request("refused.bin");
    req.limits = limits;
    let id = engine.fetch(url, target(b), req).await.unwrap();
    next_event(rx, |e| match e {
        EngineEvent::Failed { id: i, error, .. } if *i == id => Some(error.clone()),
        EngineEvent::Completed { id: i, .. } if *i == id => panic!("{url} was fetched"),
        _ => None,
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disallowed_type_oversize_or_missing_url_fails_clearly() {
    let (_d, dir) = tmp();
    let src = HttpSource::start().await;
    let b = bucket("fq-refuse").await;
    let engine = engine(&dir, fast_settings()).await;
    let mut rx = engine.subscribe();
    let png = src.url("/bytes?size=70000&seed=1&type=image/png");
    let e = failure(
        &engine,
        &mut rx,
        &png,
        &b,
        OriginLimits {
            allowed_types: vec!["application/pdf".into()],
            max_size: None,
        },
    )
    .await;
    assert_eq!(e.code, ErrorCode::NotAllowedType);
    assert!(e.message.contains("image/png"), "{}", e.message);

    let big = src.url(&format!("/bytes?size={}&seed=2", 12 * MIB));
    let limit = OriginLimits {
        allowed_types: vec![],
        max_size: Some(MIB),
    };
    let e = failure(&engine, &mut rx, &big, &b, limit.clone()).await;
    assert_eq!(e.code, ErrorCode::TooLarge);
    assert!(e.message.contains("Content-Length"), "{}", e.message);

    // No length given: refused while streaming, after parts were sent.
    let chunked = src.url(&format!("/bytes?size={}&seed=2&chunked=1", 12 * MIB));
    let limit = OriginLimits {
        max_size: Some(11 * MIB),
        ..limit
    };
    let e = failure(&engine, &mut rx, &chunked, &b, limit).await;
    assert_eq!(e.code, ErrorCode::TooLarge);
    assert!(e.message.contains("its body"), "{}", e.message);

    let e = failure(
        &engine,
        &mut rx,
        &src.url("/missing"),
        &b,
        Default::default(),
    )
    .await;
    assert_eq!(e.code, ErrorCode::NotFound);
    assert!(e.message.contains("404"), "{}", e.message);

    let cut = src.url(&format!("/bytes?size={}&seed=3&cut={}", 12 * MIB, 6 * MIB));
    let e = failure(&engine, &mut rx, &cut, &b, Default::default()).await;
    assert_eq!(e.code, ErrorCode::Network);
    assert!(e.message.contains("lost"), "{}", e.message);

    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(keys(&b).await.is_empty(), "{:?}", keys(&b).await);
    // The refused ones left nothing; the lost connection keeps its parts for a retry.
    assert_eq!(pending_multiparts(&b).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bandwidth_cap_holds_fetches_too() {
    let (_d, dir) = tmp();
    let src = HttpSource::start().await;
    let b = bucket("fq-cap").await;
    let engine = engine(&dir, fast_settings()).await;
    engine.set_rate_limit(Some(2_000_000));
    let size = 8 * MIB;
    let url = src.url(&format!("/bytes?size={size}&seed=11&range=1"));
    let started = Instant::now();
    engine
        .fetch(&url, target(&b), request("cap.bin"))
        .await
        .unwrap();
    let events = drain_until_idle(&engine, engine.subscribe(), LIMIT).await;
    let took = started.elapsed().as_secs_f64();
    let rate = size as f64 / took;
    println!(
        "8 MiB fetched under a 2 MB/s cap in {took:.2} s ({:.2} MB/s)",
        rate / 1e6
    );
    assert!(rate < 2_400_000.0, "{rate} B/s; {events:?}");
    let got = object(&b, "cap.bin").await.unwrap();
    assert_eq!(crc_of(&got), expected_crc(size, 11));
}

/// Not a limit, a number: an unthrottled origin through the queue (debug build).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_throughput_unthrottled() {
    let (_d, dir) = tmp();
    let src = HttpSource::start().await;
    let b = bucket("fq-speed").await;
    let mut settings = fast_settings();
    settings.part_size = 16 * MIB;
    let engine = engine(&dir, settings).await;
    let size = 128 * MIB;
    let url = src.url(&format!("/bytes?size={size}&seed=12&range=1"));
    let rx = engine.subscribe();
    let started = Instant::now();
    engine
        .fetch(&url, target(&b), request("speed.bin"))
        .await
        .unwrap();
    let events = drain_until_idle(&engine, rx, LIMIT).await;
    let took = started.elapsed().as_secs_f64();
    assert_eq!(completed(&events).len(), 1, "{events:?}");
    // The same body straight into the bucket, without the queue, for comparison.
    let access = hoist_core::BucketAccess::connect(&hoist_core::AwsChainCredentials, target(&b))
        .await
        .unwrap();
    let mut opts = hoist_core::FetchOptions::new("direct.bin");
    opts.part_size = 16 * MIB;
    let t = Instant::now();
    hoist_core::objects::fetch::fetch_url(&access, &url, &opts, |_, _| {})
        .await
        .unwrap();
    let direct = t.elapsed().as_secs_f64();
    println!(
        "queued fetch: {} MiB in {took:.2} s = {:.0} MB/s; direct fetch_url: {direct:.2} s = {:.0} MB/s (debug build, origin and store on loopback)",
        size / MIB,
        size as f64 / took / 1e6,
        size as f64 / direct / 1e6
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_origin_connection_goes_on_with_range() {
    let (_d, dir) = tmp();
    let src = HttpSource::start().await;
    let b = bucket("fq-drop").await;
    let engine = engine(&dir, fast_settings()).await;
    let size = 16 * MIB + 3;
    // The first answer stops after 12 MiB: two parts are stored by then.
    let url = src.url(&format!(
        "/bytes?size={size}&seed=13&range=1&cutfirst={}",
        12 * MIB
    ));
    let rx = engine.subscribe();
    engine
        .fetch(&url, target(&b), request("d.bin"))
        .await
        .unwrap();
    let events = drain_until_idle(&engine, rx, LIMIT).await;
    let retried = events
        .iter()
        .filter(|e| {
            matches!(
                e,
                EngineEvent::Retrying {
                    code: ErrorCode::Network,
                    ..
                }
            )
        })
        .count();
    assert_eq!(retried, 1, "{events:?}");
    assert_eq!(completed(&events).len(), 1, "{events:?}");
    let ranges = src.ranges();
    assert_eq!(ranges.len(), 2, "{ranges:?}");
    assert!(
        ranges[1].starts_with("bytes=") && ranges[1] != "bytes=0-",
        "{ranges:?}"
    );
    assert!(src.served() < size + 12 * MIB, "{} served", src.served());
    let got = object(&b, "d.bin").await.unwrap();
    assert_eq!(crc_of(&got), expected_crc(size, 13));
}

/// An origin answering 503 (overloaded, or restarting behind its proxy) is asked again,
/// as a dropped connection is; a 404 is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_origin_answering_503_is_asked_again() {
    let (_d, dir) = tmp();
    let src = HttpSource::start().await;
    let b = bucket("fq-busy").await;
    let engine = engine(&dir, fast_settings()).await;
    let size = 3 * MIB + 1;
    let url = src.url(&format!("/bytes?size={size}&seed=21&busyfirst=2"));
    let rx = engine.subscribe();
    engine
        .fetch(&url, target(&b), request("busy.bin"))
        .await
        .unwrap();
    engine
        .fetch(&src.url("/missing"), target(&b), request("missing.bin"))
        .await
        .unwrap();
    let events = drain_until_idle(&engine, rx, LIMIT).await;
    let busy: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            EngineEvent::Retrying { reason, .. } => Some(reason.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(busy.len(), 2, "{events:?}");
    assert!(busy.iter().all(|r| r.contains("503")), "{busy:?}");
    assert_eq!(completed(&events).len(), 1, "{events:?}");
    let failed: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            EngineEvent::Failed { error, .. } => Some(error.message.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(failed.len(), 1, "{events:?}");
    assert!(failed[0].contains("404"), "{failed:?}");
    // Two refusals, then the body.
    assert_eq!(src.ranges().len(), 3, "{:?}", src.ranges());
    let got = object(&b, "busy.bin").await.unwrap();
    assert_eq!(crc_of(&got), expected_crc(size, 21));
}
