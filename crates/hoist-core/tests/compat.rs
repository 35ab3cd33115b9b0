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

/// Settings that send CRC32C trailers (off by default: headers cost stores less).
fn trailer_settings() -> hoist_core::EngineSettings {
    let mut s = fast_settings();
    s.checksum_trailers = true;
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crc32c_parts_go_with_a_checksum_header_by_default() {
    // The default: a first pass over each part, its CRC32C in a header, no aws-chunked
    // framing for the store to decode; the store checks it and the composite matches.
    let (_d, dir) = tmp();
    let data = write_random(&dir.join("clip.mp4"), 12 * MIB as usize, 23);
    let bucket = bucket("header").await;
    let (proxy, t) = proxied_target(&bucket).await;
    proxy.faults.watch_requests.store(true, SeqCst);
    let engine = engine(&dir, fast_settings()).await;
    let events = upload_verified(&engine, &dir, &bucket, t, &[("clip.mp4", data)]).await;
    assert_eq!(retries(&events), 0, "{events:?}");
    assert_eq!(
        proxy.faults.aws_chunked.load(SeqCst),
        0,
        "no part went aws-chunked"
    );
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
    let first = write_random(&dir.join("a.bin"), 12 * MIB as usize, 25);
    let second = write_random(&dir.join("b.bin"), 12 * MIB as usize, 26);
    let bucket = bucket("notrailer").await;
    let (proxy, t) = proxied_target(&bucket).await;
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
