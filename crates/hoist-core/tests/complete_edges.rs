//! Complete's edge cases against SeaweedFS. A crash (kill -9) or a pause while
//! Complete was in flight leaves the journal with every part and a multipart upload
//! the store has already turned into the object: resuming finds NoSuchUpload, and
//! must check the object against the journaled parts and mark it verified without
//! sending anything, instead of uploading the whole file again.

mod common;

use std::time::Duration;

use aws_sdk_s3::types::{ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart};
use common::*;
use hoist_core::s3::checksum;
use hoist_core::transfer::NewUpload;
use hoist_core::transfer::source::FileIdentity;
use hoist_core::{ConflictPolicy, EngineEvent, MIB, PartPlan, UploadJournal, UploadState};

/// The state a run killed during Complete leaves: the journal has the upload queued
/// with every part recorded; the store has completed the object.
async fn completed_behind_the_journals_back(
    dir: &std::path::Path,
    bucket: &str,
    data: &[u8],
    file: &std::path::Path,
) {
    let key = "movie.bin";
    let part_size = 5 * MIB;
    let plan = PartPlan::with_part_size(data.len() as u64, part_size).unwrap();
    let s3 = s3().await;
    let mp = s3
        .create_multipart_upload()
        .bucket(bucket)
        .key(key)
        .checksum_algorithm(ChecksumAlgorithm::Crc32C)
        .send()
        .await
        .unwrap()
        .upload_id
        .unwrap();
    let journal = UploadJournal::open(&dir.join("journal.sqlite")).unwrap();
    let identity = FileIdentity::of(file).unwrap();
    let id = journal
        .insert_uploads(
            &[NewUpload {
                path: file.to_owned(),
                identity: identity.clone(),
                target: target(bucket),
                key: key.into(),
                content_type: "application/octet-stream".into(),
                options: Default::default(),
                priority: 0,
                conflict: ConflictPolicy::Overwrite,
                fetch: None,
            }],
            UploadState::Queued,
        )
        .unwrap()[0];
    journal
        .begin_multipart(id, &identity, &mp, part_size)
        .unwrap();
    let mut done = Vec::new();
    for n in 1..=plan.part_count {
        let (off, len) = plan.range(n);
        let bytes = &data[off as usize..(off + len) as usize];
        let crc = checksum::crc32c(bytes);
        let out = s3
            .upload_part()
            .bucket(bucket)
            .key(key)
            .upload_id(&mp)
            .part_number(n as i32)
            .checksum_crc32_c(checksum::encode(crc))
            .body(bytes.to_vec().into())
            .send()
            .await
            .unwrap();
        let etag = out.e_tag.unwrap();
        journal
            .record_part(
                id,
                &hoist_core::s3::PartRecord {
                    number: n as u32,
                    size: len,
                    etag: etag.clone(),
                    crc32c: Some(crc),
                    md5: None,
                },
            )
            .unwrap();
        done.push(
            CompletedPart::builder()
                .part_number(n as i32)
                .e_tag(etag)
                .checksum_crc32_c(checksum::encode(crc))
                .build(),
        );
    }
    s3.complete_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(&mp)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(done))
                .build(),
        )
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_complete_that_landed_before_a_crash_is_verified_with_nothing_resent() {
    let (_d, dir) = tmp();
    let file = dir.join("movie.bin");
    let data = write_random(&file, 12 * MIB as usize, 31);
    let bucket = bucket("completecrash").await;
    completed_behind_the_journals_back(&dir, &bucket, &data, &file).await;

    let engine = engine(&dir, fast_settings()).await;
    let rx = engine.subscribe();
    engine.resume_unfinished().await.unwrap();
    let events = drain_until_idle(&engine, rx, Duration::from_secs(60)).await;
    let sent = events.iter().find_map(|e| match e {
        EngineEvent::Completed {
            bytes_sent,
            verification,
            ..
        } => Some((*bytes_sent, *verification)),
        _ => None,
    });
    assert_eq!(
        sent,
        Some((0, hoist_core::Verification::Crc32c)),
        "verified from the journal's parts, nothing sent again: {events:?}"
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, EngineEvent::Restarted { .. })),
        "{events:?}"
    );
    assert_eq!(object(&bucket, "movie.bin").await.unwrap(), data);
}

/// CreateMultipartUpload reached the store, but its answer was lost (the connection
/// reset after the request): the retry creates a second upload, and the first, which
/// nobody would ever complete, must not be left behind on the store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_create_leaves_no_orphan_upload() {
    let (_d, dir) = tmp();
    let data = write_random(&dir.join("lost.bin"), 12 * MIB as usize, 32);
    let bucket = bucket("lostcreate").await;
    let (proxy, target) = proxied_target(&bucket).await;
    proxy
        .faults
        .lose_create_answers
        .store(1, std::sync::atomic::Ordering::SeqCst);
    let engine = engine(&dir, fast_settings()).await;
    let rx = engine.subscribe();
    engine
        .add(
            vec![dir.join("lost.bin")],
            target,
            hoist_core::AddOptions::default(),
        )
        .await
        .unwrap();
    let events = drain_until_idle(&engine, rx, Duration::from_secs(60)).await;
    assert_eq!(
        proxy
            .faults
            .injected
            .load(std::sync::atomic::Ordering::SeqCst),
        1,
        "one Create's answer was lost"
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, EngineEvent::Retrying { .. })),
        "the lost answer was retried: {events:?}"
    );
    assert_eq!(completed(&events).len(), 1, "{events:?}");
    assert_eq!(object(&bucket, "lost.bin").await.unwrap(), data);
    assert_eq!(
        pending_multiparts(&bucket).await,
        0,
        "the upload the lost answer named is still on the store"
    );
}
