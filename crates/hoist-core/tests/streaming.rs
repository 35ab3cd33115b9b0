//! Parts streamed from the file, against SeaweedFS (through the fault proxy where a
//! link must misbehave): a stalled uplink fails the attempt as "stalled" and the
//! upload recovers; progress moves byte by byte inside a part; one bandwidth cap
//! holds across requests; a file rewritten while it is sent is never stored mixed.

mod common;

use std::sync::atomic::Ordering::SeqCst;
use std::time::{Duration, Instant};

use common::*;
use hoist_core::{AddOptions, EngineEvent, MIB};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_uplink_fails_as_stalled_and_the_upload_recovers() {
    let (_d, dir) = tmp();
    let file = dir.join("f.bin");
    let data = write_random(&file, 12 * MIB as usize, 11);
    let bucket = bucket("stall").await;
    let (proxy, t) = proxied_target(&bucket).await;
    let mut settings = fast_settings();
    settings.stall_timeout = Duration::from_secs(2);
    let engine = engine(&dir, settings).await;
    let mut rx = engine.subscribe();
    let all = engine.subscribe();
    engine
        .add(vec![file], t, AddOptions::default())
        .await
        .unwrap();
    next_event(&mut rx, |e| {
        matches!(e, EngineEvent::Started { .. }).then_some(())
    })
    .await;
    proxy.faults.freeze.store(true, SeqCst);
    // The parts in flight stop moving: within the stall timeout (plus a second) an
    // attempt fails as stalled, not after a whole-request deadline.
    let frozen = Instant::now();
    let reason = tokio::time::timeout(
        Duration::from_secs(8),
        next_event(&mut rx, |e| match e {
            EngineEvent::Retrying { reason, .. } => Some(reason.clone()),
            _ => None,
        }),
    )
    .await
    .expect("a stalled part is retried within seconds");
    assert!(
        reason.contains("stalled: no bytes accepted for 2 s"),
        "{reason}"
    );
    assert!(frozen.elapsed() < Duration::from_secs(5));
    proxy.faults.freeze.store(false, SeqCst);
    let events = drain_until_idle(&engine, all, LIMIT).await;
    assert_eq!(completed(&events).len(), 1, "{events:?}");
    assert_eq!(object(&bucket, "f.bin").await.unwrap(), data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_moves_inside_a_part_and_the_cap_holds() {
    let (_d, dir) = tmp();
    let file = dir.join("f.bin");
    let data = write_random(&file, 8 * MIB as usize, 12);
    let bucket = bucket("caprate").await;
    let engine = engine(&dir, fast_settings()).await;
    engine.set_rate_limit(Some(2 * MIB));
    let rx = engine.subscribe();
    let started = Instant::now();
    engine
        .add(vec![file], target(&bucket), AddOptions::default())
        .await
        .unwrap();
    let events = drain_until_idle(&engine, rx, LIMIT).await;
    let took = started.elapsed().as_secs_f64();
    assert_eq!(object(&bucket, "f.bin").await.unwrap(), data);
    // 8 MiB at 2 MiB/s: 4 s, within the bucket's first burst and the requests around.
    assert!((3.5..5.5).contains(&took), "took {took:.2} s");
    let done: Vec<u64> = events
        .iter()
        .filter_map(|e| match e {
            EngineEvent::Progress { bytes_done, .. } => Some(*bytes_done),
            _ => None,
        })
        .collect();
    let inside_a_part = done
        .iter()
        .filter(|d| **d > 0 && **d < 8 * MIB && **d != 5 * MIB)
        .count();
    assert!(
        inside_a_part >= 4,
        "progress only at part boundaries: {done:?}"
    );
    assert!(
        done.windows(2).all(|w| w[1] >= w[0]),
        "progress never goes back without a retry: {done:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_rewritten_while_it_is_sent_is_never_stored_mixed() {
    let (_d, dir) = tmp();
    let file = dir.join("f.bin");
    let old = write_random(&file, 4 * MIB as usize, 13);
    let bucket = bucket("rewrite").await;
    let engine = engine(&dir, fast_settings()).await;
    engine.set_rate_limit(Some(2 * MIB));
    let mut rx = engine.subscribe();
    let all = engine.subscribe();
    engine
        .add(vec![file.clone()], target(&bucket), AddOptions::default())
        .await
        .unwrap();
    next_event(&mut rx, |e| match e {
        EngineEvent::Progress { bytes_done, .. } if *bytes_done > 0 => Some(()),
        _ => None,
    })
    .await;
    // Rewritten in place, same size, while the PUT streams it.
    let new = {
        let mut rng = fastrand::Rng::with_seed(14);
        let mut d = vec![0u8; old.len()];
        rng.fill(&mut d);
        d
    };
    std::fs::write(&file, &new).unwrap();
    let events = drain_until_idle(&engine, all, LIMIT).await;
    let stored = object(&bucket, "f.bin").await;
    let verified = !completed(&events).is_empty();
    if verified {
        assert_eq!(
            stored.as_deref(),
            Some(&new[..]),
            "a verified object is one version"
        );
    } else {
        assert!(stored.is_none_or(|s| s == old || s == new));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_grows_during_a_single_put_is_sent_again_whole() {
    let (_d, dir) = tmp();
    let file = dir.join("log.txt");
    write_random(&file, 4 * MIB as usize, 15);
    let bucket = bucket("grows").await;
    let engine = engine(&dir, fast_settings()).await;
    engine.set_rate_limit(Some(4 * MIB));
    let mut rx = engine.subscribe();
    let all = engine.subscribe();
    engine
        .add(vec![file.clone()], target(&bucket), AddOptions::default())
        .await
        .unwrap();
    next_event(&mut rx, |e| match e {
        EngineEvent::Progress { bytes_done, .. } if *bytes_done > 0 => Some(()),
        _ => None,
    })
    .await;
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&file)
            .unwrap();
        f.write_all(&vec![b'x'; 512 * 1024]).unwrap();
    }
    let events = drain_until_idle(&engine, all, LIMIT).await;
    let now = std::fs::read(&file).unwrap();
    assert_eq!(completed(&events).len(), 1, "{events:?}");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, EngineEvent::Restarted { .. })),
        "the change is noticed: {events:?}"
    );
    assert_eq!(
        object(&bucket, "log.txt").await.unwrap(),
        now,
        "a verified object is the whole file, not the first 4 MiB of it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uplink_that_pauses_for_seconds_is_waited_for_not_retried() {
    // A slow link's socket buffers are full for seconds at a time: the transport does
    // not take bytes, yet the link moves. The SDK's own upload stall check failed
    // such a body after 5 s; Hoist waits up to its stall timeout.
    let (_d, dir) = tmp();
    let file = dir.join("f.bin");
    let data = write_random(&file, 6 * MIB as usize, 16);
    let bucket = bucket("pauses").await;
    let (proxy, t) = proxied_target(&bucket).await;
    let engine = engine(&dir, fast_settings()).await;
    let mut rx = engine.subscribe();
    let all = engine.subscribe();
    engine
        .add(vec![file], t, AddOptions::default())
        .await
        .unwrap();
    next_event(&mut rx, |e| {
        matches!(e, EngineEvent::Started { .. }).then_some(())
    })
    .await;
    proxy.faults.freeze.store(true, SeqCst);
    tokio::time::sleep(Duration::from_secs(8)).await;
    proxy.faults.freeze.store(false, SeqCst);
    let events = drain_until_idle(&engine, all, LIMIT).await;
    let retries: Vec<_> = events
        .iter()
        .filter(|e| matches!(e, EngineEvent::Retrying { .. }))
        .collect();
    assert!(retries.is_empty(), "{retries:?}");
    assert_eq!(object(&bucket, "f.bin").await.unwrap(), data);
}
