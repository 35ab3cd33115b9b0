//! Compatible (md5) mode and strict stores, against a real S3 server: SeaweedFS, and
//! the embedded store, which holds Complete to S3's checksum rules as Garage and AWS
//! do (scripts/test.sh runs this suite against both).

mod common;

use std::sync::atomic::Ordering::SeqCst;

use common::*;
use hoist_core::{AddOptions, ChecksumMode, EngineEvent, ErrorCode, MIB, Verification};

fn retries(events: &[EngineEvent]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, EngineEvent::Retrying { .. }))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn md5_mode_multipart_of_70_mib_lands_and_verifies() {
    let (_d, dir) = tmp();
    let data = write_random(&dir.join("big.bin"), 70 * MIB as usize, 21);
    let bucket = bucket("md5big").await;
    let engine = engine(&dir, fast_settings()).await;
    let rx = engine.subscribe();
    let mut t = target(&bucket);
    t.checksum = ChecksumMode::ContentMd5;
    engine
        .add(vec![dir.join("big.bin")], t, AddOptions::default())
        .await
        .unwrap();
    let events = drain_until_idle(&engine, rx, LIMIT).await;
    let failed: Vec<_> = events
        .iter()
        .filter(|e| matches!(e, EngineEvent::Failed { .. }))
        .collect();
    assert!(failed.is_empty(), "{failed:?}");
    let done = completed(&events);
    assert_eq!(done.len(), 1, "{events:?}");
    let EngineEvent::Completed { verification, .. } = done[0] else {
        unreachable!()
    };
    assert_eq!(
        *verification,
        Verification::Md5,
        "the multipart ETag matched"
    );
    assert_eq!(retries(&events), 0, "no request was refused");
    assert_eq!(object(&bucket, "big.bin").await.unwrap(), data);
    assert_eq!(pending_multiparts(&bucket).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_md5_mode_upload_resumes_in_md5_mode() {
    let (_d, dir) = tmp();
    let data = write_random(&dir.join("movie.mov"), 40 * MIB as usize, 22);
    let bucket = bucket("md5resume").await;
    // A slow link (through the proxy) so the stop lands mid-upload.
    let (proxy, mut t) = proxied_target(&bucket).await;
    t.checksum = ChecksumMode::ContentMd5;
    proxy.faults.rate.store(20 * MIB, SeqCst);
    let id = {
        let engine = engine(&dir, fast_settings()).await;
        let mut rx = engine.subscribe();
        let id = engine
            .add(vec![dir.join("movie.mov")], t, AddOptions::default())
            .await
            .unwrap()[0];
        for _ in 0..2 {
            next_event(&mut rx, part_done).await;
        }
        engine.shutdown().await.unwrap();
        id
    };
    let row = hoist_core::UploadJournal::open(&dir.join("journal.sqlite"))
        .unwrap()
        .upload(id)
        .unwrap()
        .unwrap();
    assert!(row.multipart_id.is_some(), "stopped mid-upload");
    assert_eq!(row.target.checksum, ChecksumMode::ContentMd5);
    let done_before = row.bytes_done;
    assert!(done_before > 0 && done_before < 40 * MIB);

    proxy.faults.rate.store(0, SeqCst);
    let engine = engine(&dir, fast_settings()).await;
    let rx = engine.subscribe();
    assert_eq!(engine.resume_unfinished().await.unwrap(), vec![id]);
    let events = drain_until_idle(&engine, rx, LIMIT).await;
    assert!(
        events
            .iter()
            .any(|e| matches!(e, EngineEvent::Started { resumed: true, .. })),
        "{events:?}"
    );
    let Some(EngineEvent::Completed {
        verification,
        bytes_sent,
        ..
    }) = completed(&events).first().cloned()
    else {
        panic!("no completion in {events:?}")
    };
    assert_eq!(*verification, Verification::Md5);
    assert!(
        *bytes_sent <= 40 * MIB - done_before,
        "sent {bytes_sent}, {done_before} were done before"
    );
    assert_eq!(retries(&events), 0, "no request was refused");
    assert_eq!(object(&bucket, "movie.mov").await.unwrap(), data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_complete_fails_after_one_attempt_in_the_stores_words() {
    // The store refuses the part list (Garage's answer to the md5-mode bug, word for
    // word): retrying the same list cannot help, and the bytes were never damaged.
    let (_d, dir) = tmp();
    write_random(&dir.join("big.bin"), 12 * MIB as usize, 23);
    let bucket = bucket("refused").await;
    let (proxy, t) = proxied_target(&bucket).await;
    let words = "Invalid checksum for part 1: in request = Some(Crc32c(..)), uploaded part = None";
    proxy.faults.refuse_complete(400, "InvalidDigest", words);
    let engine = engine(&dir, fast_settings()).await;
    let rx = engine.subscribe();
    let id = engine
        .add(vec![dir.join("big.bin")], t, AddOptions::default())
        .await
        .unwrap()[0];
    let events = drain_until_idle(&engine, rx, LIMIT).await;
    let error = events
        .iter()
        .find_map(|e| match e {
            EngineEvent::Failed { id: i, error, .. } if *i == id => Some(error.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("the upload fails: {events:?}"));
    assert_eq!(proxy.faults.completes.load(SeqCst), 1, "one attempt");
    assert_eq!(retries(&events), 0);
    assert_eq!(error.code, ErrorCode::Rejected, "{}", error.message);
    assert!(error.message.contains(words), "{}", error.message);
    assert!(error.message.contains("InvalidDigest"), "{}", error.message);
    assert!(
        !error.message.contains("different bytes"),
        "not a transfer error: {}",
        error.message
    );
}

/// Uploads `files` through `t` and returns the events; each must land verified by
/// CRC32C with its bytes intact.
async fn upload_verified(
    engine: &hoist_core::Engine,
    dir: &std::path::Path,
    bucket: &str,
    t: hoist_core::Target,
    files: &[(&str, Vec<u8>)],
) -> Vec<EngineEvent> {
    let rx = engine.subscribe();
    let paths = files.iter().map(|(name, _)| dir.join(name)).collect();
    engine.add(paths, t, AddOptions::default()).await.unwrap();
    let events = drain_until_idle(engine, rx, LIMIT).await;
    let done = completed(&events);
    assert_eq!(done.len(), files.len(), "{events:?}");
    for e in done {
        let EngineEvent::Completed { verification, .. } = e else {
            unreachable!()
        };
        assert_eq!(*verification, Verification::Crc32c, "{e:?}");
    }
    for (name, data) in files {
        assert!(
            object(bucket, name).await.unwrap() == *data,
            "{name} is intact"
        );
    }
    events
}

/// Two files of three parts each, `a.bin` and `b.bin` in `dir` (seeded from `seed`),
/// and a bucket named after `hint` behind a fault proxy, with its target.
async fn two_files_behind_a_proxy(
    dir: &std::path::Path,
    hint: &str,
    seed: u64,
) -> ([Vec<u8>; 2], String, proxy::FaultProxy, hoist_core::Target) {
    let first = write_random(&dir.join("a.bin"), 12 * MIB as usize, seed);
    let second = write_random(&dir.join("b.bin"), 12 * MIB as usize, seed + 1);
    let bucket = bucket(hint).await;
    let (proxy, t) = proxied_target(&bucket).await;
    ([first, second], bucket, proxy, t)
}

/// Settings that send CRC32C trailers (off by default: stores pay for decoding them).
fn trailer_settings() -> hoist_core::EngineSettings {
    let mut s = fast_settings();
    s.checksum_trailers = true;
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crc32c_parts_go_without_a_checksum_to_a_store_that_names_it() {
    // The default: a probe learns whether the store names the CRC32C of a part sent
    // without one. SeaweedFS does: the parts go plain (read once, no framing to
    // decode), each answer names the CRC32C Hoist read. The embedded store insists on
    // a checksum, as AWS does: the probe is refused and the parts go with a header.
    let (_d, dir) = tmp();
    let data = write_random(&dir.join("clip.mp4"), 12 * MIB as usize, 23);
    let bucket = bucket("echo").await;
    let (proxy, t) = proxied_target(&bucket).await;
    proxy.faults.watch_requests.store(true, SeqCst);
    let engine = engine(&dir, fast_settings()).await;
    let events = upload_verified(&engine, &dir, &bucket, t, &[("clip.mp4", data)]).await;
    assert_eq!(retries(&events), 0, "{events:?}");
    let (unchecked, headers) = (
        proxy.faults.unchecked_parts.load(SeqCst),
        proxy.faults.checksum_headers.load(SeqCst),
    );
    if on_embedded_store() {
        assert_eq!(
            (unchecked, headers),
            (1, 3),
            "the probe, then 3 parts with a header"
        );
    } else {
        assert_eq!(
            (unchecked, headers),
            (4, 0),
            "the probe and 3 parts, no header"
        );
    }
    assert_eq!(
        proxy.faults.aws_chunked.load(SeqCst),
        0,
        "no part went aws-chunked"
    );
    assert_eq!(
        pending_multiparts(&bucket).await,
        0,
        "the probe's upload is gone"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_names_no_checksum_is_sent_checksum_headers_from_then_on() {
    // A store that stores a part sent without a checksum but names none in its
    // answer: nothing would prove the part, so the probe says no, every part goes
    // with a header after a first pass, and the store is not probed again.
    let (_d, dir) = tmp();
    let ([first, second], bucket, proxy, t) = two_files_behind_a_proxy(&dir, "noecho", 27).await;
    proxy.faults.hide_part_checksums.store(true, SeqCst);
    let engine = engine(&dir, fast_settings()).await;
    let events = upload_verified(&engine, &dir, &bucket, t.clone(), &[("a.bin", first)]).await;
    assert_eq!(retries(&events), 0, "{events:?}");
    assert_eq!(
        proxy.faults.unchecked_parts.load(SeqCst),
        1,
        "only the probe"
    );
    assert_eq!(proxy.faults.checksum_headers.load(SeqCst), 3);
    let events = upload_verified(&engine, &dir, &bucket, t, &[("b.bin", second)]).await;
    assert_eq!(retries(&events), 0, "{events:?}");
    assert_eq!(
        proxy.faults.unchecked_parts.load(SeqCst),
        1,
        "no second probe"
    );
    assert_eq!(proxy.faults.checksum_headers.load(SeqCst), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_part_whose_answer_names_no_checksum_goes_again_with_a_header() {
    // A store that named the CRC32C (the probe, a first file) and then answers a part
    // without it: that part is not taken as verified; it goes again with a header,
    // and so do the parts after it.
    if on_embedded_store() {
        return; // it insists on a checksum: no part goes without one there
    }
    let (_d, dir) = tmp();
    let ([first, second], bucket, proxy, t) = two_files_behind_a_proxy(&dir, "echoloss", 29).await;
    proxy.faults.watch_requests.store(true, SeqCst);
    let engine = engine(&dir, fast_settings()).await;
    upload_verified(&engine, &dir, &bucket, t.clone(), &[("a.bin", first)]).await;
    assert_eq!(proxy.faults.checksum_headers.load(SeqCst), 0);
    let sent_plain = proxy.faults.unchecked_parts.load(SeqCst);
    proxy.faults.hide_part_checksums.store(true, SeqCst);
    let events = upload_verified(&engine, &dir, &bucket, t, &[("b.bin", second)]).await;
    assert_eq!(retries(&events), 0, "{events:?}");
    let plain_again = proxy.faults.unchecked_parts.load(SeqCst) - sent_plain;
    assert!(
        (1..=3).contains(&plain_again),
        "parts sent plain before the first answer without a checksum: {plain_again}"
    );
    assert_eq!(
        proxy.faults.checksum_headers.load(SeqCst),
        3,
        "every part of b.bin went (again) with a header"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_part_corrupted_on_the_way_is_caught_by_the_named_checksum_and_sent_again() {
    // One byte of a part flipped between Hoist and the store: the CRC32C the store
    // names is not the one Hoist read, so that part (only) goes again, and the object
    // is intact.
    if on_embedded_store() {
        return; // parts go with a header there, which the store checks itself
    }
    let (_d, dir) = tmp();
    let ([first, second], bucket, proxy, t) = two_files_behind_a_proxy(&dir, "echoflip", 31).await;
    proxy.faults.watch_requests.store(true, SeqCst);
    let engine = engine(&dir, fast_settings()).await;
    upload_verified(&engine, &dir, &bucket, t.clone(), &[("a.bin", first)]).await;
    let sent_plain = proxy.faults.unchecked_parts.load(SeqCst);
    proxy.faults.corrupt_parts.store(1, SeqCst);
    let events = upload_verified(&engine, &dir, &bucket, t, &[("b.bin", second)]).await;
    assert_eq!(
        proxy.faults.injected.load(SeqCst),
        1,
        "one part was corrupted"
    );
    assert_eq!(retries(&events), 1, "{events:?}");
    assert_eq!(
        proxy.faults.unchecked_parts.load(SeqCst) - sent_plain,
        4,
        "3 parts, one of them twice"
    );
    assert_eq!(proxy.faults.checksum_headers.load(SeqCst), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crc32c_parts_stream_their_checksum_as_a_trailer_and_read_the_file_once() {
    // Every part goes aws-chunked with its CRC32C in a trailer (no first pass over the
    // file); the store checks the trailers and the object's composite CRC32C matches.
    let (_d, dir) = tmp();
    let data = write_random(&dir.join("video.mp4"), 12 * MIB as usize, 24);
    let bucket = bucket("trailer").await;
    let (proxy, t) = proxied_target(&bucket).await;
    proxy.faults.watch_requests.store(true, SeqCst);
    let engine = engine(&dir, trailer_settings()).await;
    let events = upload_verified(&engine, &dir, &bucket, t, &[("video.mp4", data)]).await;
    assert_eq!(retries(&events), 0, "{events:?}");
    assert_eq!(
        proxy.faults.aws_chunked.load(SeqCst),
        3,
        "each of the 3 parts was sent aws-chunked once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_refuses_trailers_is_sent_checksum_headers_from_then_on() {
    // As Ceph RGW and Garage over http answer aws-chunked bodies: the parts that tried
    // a trailer are sent again with a checksum header at once (no retry, no failure),
    // and the store is not asked again.
    let (_d, dir) = tmp();
    let ([first, second], bucket, proxy, t) = two_files_behind_a_proxy(&dir, "notrailer", 25).await;
    proxy.faults.refuse_aws_chunked(
        400,
        "InvalidArgument",
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER is not supported",
    );
    let engine = engine(&dir, trailer_settings()).await;
    let events = upload_verified(&engine, &dir, &bucket, t.clone(), &[("a.bin", first)]).await;
    assert_eq!(retries(&events), 0, "{events:?}");
    let refused = proxy.faults.aws_chunked.load(SeqCst);
    assert!(
        (1..=3).contains(&refused),
        "only parts sent before the first refusal tried a trailer: {refused}"
    );
    let events = upload_verified(&engine, &dir, &bucket, t, &[("b.bin", second)]).await;
    assert_eq!(retries(&events), 0, "{events:?}");
    assert_eq!(
        proxy.faults.aws_chunked.load(SeqCst),
        refused,
        "the store that refused is not asked again"
    );
    assert_eq!(pending_multiparts(&bucket).await, 0);
}
