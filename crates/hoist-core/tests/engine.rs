//! The engine against a real S3 server (SeaweedFS), no mocks.

mod common;

use std::sync::atomic::Ordering::SeqCst;
use std::time::Duration;

use common::*;
use hoist_core::{
    AddOptions, ChecksumMode, ConflictPolicy, CredentialResolver, Engine, EngineEvent,
    EngineOptions, ErrorCode, ItemState, MIB, Verification,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_put_and_multipart_round_trip_byte_for_byte() {
    let (_d, dir) = tmp();
    let src = dir.join("Été photos");
    std::fs::create_dir_all(src.join("raw")).unwrap();
    let small = write_random(&src.join("a b+c ü.txt"), 1234, 1);
    let big = write_random(&src.join("raw").join("big.bin"), 23 * MIB as usize + 17, 2);
    std::fs::write(src.join("empty"), b"").unwrap();
    let bucket = bucket("roundtrip").await;
    let engine = engine(&dir, fast_settings()).await;
    let rx = engine.subscribe();
    let mut t = target(&bucket);
    t.prefix = "backup/2026".into();
    let ids = engine
        .add(vec![src.clone()], t, AddOptions::default())
        .await
        .unwrap();
    assert_eq!(ids.len(), 3);
    let events = drain_until_idle(&engine, rx, LIMIT).await;

    assert_eq!(
        keys(&bucket).await,
        vec![
            "backup/2026/Été photos/a b+c ü.txt",
            "backup/2026/Été photos/empty",
            "backup/2026/Été photos/raw/big.bin"
        ]
    );
    assert_eq!(
        object(&bucket, "backup/2026/Été photos/a b+c ü.txt")
            .await
            .unwrap(),
        small
    );
    assert_eq!(
        object(&bucket, "backup/2026/Été photos/raw/big.bin")
            .await
            .unwrap(),
        big
    );
    assert_eq!(
        object(&bucket, "backup/2026/Été photos/empty")
            .await
            .unwrap(),
        b""
    );
    let done = completed(&events);
    assert_eq!(done.len(), 3);
    for e in done {
        let EngineEvent::Completed {
            verification,
            bytes_resent,
            ..
        } = e
        else {
            unreachable!()
        };
        assert_eq!(
            *verification,
            Verification::Crc32c,
            "every object's checksum is verified: {e:?}"
        );
        assert_eq!(*bytes_resent, 0);
    }
    // Multipart: 5 parts of 5 MiB, progress was reported, content type detected.
    let parts = events
        .iter()
        .filter(|e| matches!(e, EngineEvent::PartDone { .. }))
        .count();
    assert_eq!(parts, 5);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, EngineEvent::Progress { .. }))
    );
    let head = s3()
        .await
        .head_object()
        .bucket(&bucket)
        .key("backup/2026/Été photos/a b+c ü.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type(), Some("text/plain"));
    // History has every file.
    let history = engine.journal().history(10).unwrap();
    assert_eq!(history.iter().filter(|h| h.result == "verified").count(), 3);
    assert_eq!(pending_multiparts(&bucket).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_md5_mode_for_stores_without_flexible_checksums() {
    let (_d, dir) = tmp();
    let big = write_random(&dir.join("big.bin"), 11 * MIB as usize, 3);
    let small = write_random(&dir.join("small.bin"), 999, 4);
    let bucket = bucket("md5mode").await;
    let engine = engine(&dir, fast_settings()).await;
    let rx = engine.subscribe();
    let mut t = target(&bucket);
    t.checksum = ChecksumMode::ContentMd5;
    engine
        .add(
            vec![dir.join("big.bin"), dir.join("small.bin")],
            t,
            AddOptions::default(),
        )
        .await
        .unwrap();
    let events = drain_until_idle(&engine, rx, LIMIT).await;
    assert_eq!(object(&bucket, "big.bin").await.unwrap(), big);
    assert_eq!(object(&bucket, "small.bin").await.unwrap(), small);
    for e in completed(&events) {
        let EngineEvent::Completed { verification, .. } = e else {
            unreachable!()
        };
        assert_eq!(*verification, Verification::Md5, "{e:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn part_size_grows_at_the_ten_thousand_part_edge() {
    // A sparse file one byte over 10,000 parts of 5 MiB: the engine must pick 6 MiB
    // parts. Only the first parts are sent (then the upload is cancelled): enough to
    // see the plan on the real store without sending 50 GB.
    let (_d, dir) = tmp();
    let path = dir.join("sparse.img");
    let f = std::fs::File::create(&path).unwrap();
    f.set_len(10_000 * 5 * MIB + 1).unwrap();
    drop(f);
    let bucket = bucket("sparse").await;
    let engine = engine(&dir, fast_settings()).await;
    let mut rx = engine.subscribe();
    let id = engine
        .add(vec![path], target(&bucket), AddOptions::default())
        .await
        .unwrap()[0];
    let parts_total = next_event(&mut rx, |e| match e {
        EngineEvent::Started { parts_total, .. } => Some(*parts_total),
        _ => None,
    })
    .await;
    next_event(&mut rx, part_done).await;
    assert_eq!(parts_total, 8_334, "ceil(50 GiB + 1 / 6 MiB) parts");
    let row = engine.journal().upload(id).unwrap().unwrap();
    assert_eq!(row.part_size, Some(6 * MIB));
    let mp = row.multipart_id.clone().unwrap();
    let listed = s3()
        .await
        .list_parts()
        .bucket(&bucket)
        .key("sparse.img")
        .upload_id(&mp)
        .send()
        .await
        .unwrap();
    assert!(
        listed
            .parts()
            .iter()
            .all(|p| p.size() == Some(6 * MIB as i64)),
        "parts on the store are 6 MiB"
    );
    engine.cancel(id).await.unwrap();
    tokio::time::timeout(LIMIT, engine.wait_idle())
        .await
        .unwrap()
        .unwrap();
    // Cancel aborted the multipart upload: nothing lingers on the store.
    for _ in 0..50 {
        if pending_multiparts(&bucket).await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(pending_multiparts(&bucket).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopped_engine_resumes_without_resending_finished_parts() {
    let (_d, dir) = tmp();
    let data = write_random(&dir.join("movie.mov"), 60 * MIB as usize, 5);
    let bucket = bucket("resume").await;
    // A slow link (through the proxy) so the stop lands mid-upload.
    let (proxy, t) = proxied_target(&bucket).await;
    proxy.faults.rate.store(20 * MIB, SeqCst);
    let settings = fast_settings();
    let (in_flight, part) = (settings.concurrency as u64, settings.part_size);
    let id = {
        let engine = engine(&dir, settings.clone()).await;
        let mut rx = engine.subscribe();
        let id = engine
            .add(vec![dir.join("movie.mov")], t, AddOptions::default())
            .await
            .unwrap()[0];
        for _ in 0..3 {
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
    assert_eq!(
        row.state,
        hoist_core::UploadState::Queued,
        "a stopped upload stays queued for resume"
    );
    let done_before = row.bytes_done;
    assert!(done_before >= 3 * part && done_before < 60 * MIB);

    proxy.faults.rate.store(0, SeqCst);
    let engine = engine(&dir, settings).await;
    let rx = engine.subscribe();
    assert_eq!(engine.resume_unfinished().await.unwrap(), vec![id]);
    let events = drain_until_idle(&engine, rx, LIMIT).await;
    let Some(EngineEvent::Completed {
        bytes_sent,
        bytes_resent,
        ..
    }) = completed(&events).first().cloned()
    else {
        panic!("no completion in {events:?}")
    };
    assert!(
        events
            .iter()
            .any(|e| matches!(e, EngineEvent::Started { resumed: true, .. }))
    );
    assert!(
        *bytes_sent <= 60 * MIB - done_before,
        "sent {bytes_sent}, {done_before} were done before"
    );
    assert!(
        *bytes_resent <= in_flight * part,
        "re-sent {bytes_resent} > in-flight parts"
    );
    assert_eq!(object(&bucket, "movie.mov").await.unwrap(), data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grown_parts_resume_exactly_as_they_were_cut() {
    // On a quick link later parts grow. Stopped midway, the upload resumes with the
    // parts it had cut (the journal keeps each part's range), sends only what the store
    // lacks, and the object's composite CRC32C matches parts of mixed sizes.
    let (_d, dir) = tmp();
    let size = 160 * MIB as usize;
    let data = write_random(&dir.join("scan.tiff"), size, 41);
    let bucket = bucket("grown").await;
    let (proxy, t) = proxied_target(&bucket).await;
    proxy.faults.rate.store(40 * MIB, SeqCst);
    let mut settings = fast_settings();
    settings.grow_parts = true;
    let id = {
        let engine = engine(&dir, settings.clone()).await;
        let mut rx = engine.subscribe();
        let id = engine
            .add(vec![dir.join("scan.tiff")], t, AddOptions::default())
            .await
            .unwrap()[0];
        // Until a part larger than the base is on the store.
        loop {
            let size = next_event(&mut rx, |e| match e {
                EngineEvent::PartDone { size, .. } => Some(*size),
                _ => None,
            })
            .await;
            if size > settings.part_size {
                break;
            }
        }
        engine.shutdown().await.unwrap();
        id
    };
    let journal = hoist_core::UploadJournal::open(&dir.join("journal.sqlite")).unwrap();
    let done_before = journal.upload(id).unwrap().unwrap().bytes_done;
    assert!(done_before < size as u64, "stopped midway");
    let cuts = journal.part_cuts(id).unwrap().expect("every cut journaled");
    let mut next = 0;
    for (i, (number, offset, len)) in cuts.iter().enumerate() {
        assert_eq!((*number as usize, *offset), (i + 1, next), "{cuts:?}");
        next += len;
    }
    assert!(cuts.iter().any(|c| c.2 > 5 * MIB), "parts grew: {cuts:?}");
    // The store holds each finished part at the size it was cut.
    let row = journal.upload(id).unwrap().unwrap();
    let listed = s3()
        .await
        .list_parts()
        .bucket(&bucket)
        .key("scan.tiff")
        .upload_id(row.multipart_id.clone().unwrap())
        .send()
        .await
        .unwrap();
    for p in listed.parts() {
        let cut = cuts.iter().find(|c| c.0 as i32 == p.part_number().unwrap());
        assert_eq!(p.size().map(|s| s as u64), cut.map(|c| c.2), "{cuts:?}");
    }

    proxy.faults.rate.store(0, SeqCst);
    let engine = engine(&dir, settings).await;
    let rx = engine.subscribe();
    assert_eq!(engine.resume_unfinished().await.unwrap(), vec![id]);
    let events = drain_until_idle(&engine, rx, LIMIT).await;
    let Some(EngineEvent::Completed {
        bytes_sent,
        verification,
        ..
    }) = completed(&events).first().cloned()
    else {
        panic!("no completion in {events:?}")
    };
    assert_eq!(*verification, Verification::Crc32c);
    let in_flight = cuts.iter().map(|c| c.2).sum::<u64>() - done_before;
    assert!(
        *bytes_sent <= size as u64 - done_before,
        "sent {bytes_sent}, {done_before} were done before ({in_flight} were in flight)"
    );
    assert_eq!(object(&bucket, "scan.tiff").await.unwrap(), data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_changed_between_runs_restarts_and_never_mixes_versions() {
    let (_d, dir) = tmp();
    let path = dir.join("doc.bin");
    write_random(&path, 30 * MIB as usize, 6);
    let bucket = bucket("changed").await;
    let (proxy, t) = proxied_target(&bucket).await;
    proxy.faults.rate.store(20 * MIB, SeqCst);
    let old_mp = {
        let engine = engine(&dir, fast_settings()).await;
        let mut rx = engine.subscribe();
        let id = engine
            .add(vec![path.clone()], t, AddOptions::default())
            .await
            .unwrap()[0];
        next_event(&mut rx, part_done).await;
        engine.shutdown().await.unwrap();
        engine
            .journal()
            .upload(id)
            .unwrap()
            .unwrap()
            .multipart_id
            .unwrap()
    };
    // Same size, new bytes, new mtime.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let new = write_random(&path, 30 * MIB as usize, 7);
    proxy.faults.rate.store(0, SeqCst);
    let engine = engine(&dir, fast_settings()).await;
    let rx = engine.subscribe();
    engine.resume_unfinished().await.unwrap();
    let events = drain_until_idle(&engine, rx, LIMIT).await;
    assert!(
        events
            .iter()
            .any(|e| matches!(e, EngineEvent::Restarted { .. })),
        "{events:?}"
    );
    assert_eq!(completed(&events).len(), 1);
    assert_eq!(object(&bucket, "doc.bin").await.unwrap(), new);
    // The old multipart upload was aborted, not left behind.
    let ups = s3()
        .await
        .list_multipart_uploads()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert!(
        ups.uploads()
            .iter()
            .all(|u| u.upload_id() != Some(old_mp.as_str()))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_faults_resets_and_503s_every_file_lands_intact() {
    let (_d, dir) = tmp();
    let src = dir.join("batch");
    std::fs::create_dir_all(&src).unwrap();
    let mut expected = Vec::new();
    for i in 0..30 {
        let len = if i % 10 == 0 {
            12 * MIB as usize
        } else {
            10_000 + i * 977
        };
        expected.push((
            format!("batch/f{i:02}.bin"),
            write_random(&src.join(format!("f{i:02}.bin")), len, 100 + i as u64),
        ));
    }
    let bucket = bucket("faults").await;
    let (proxy, t) = proxied_target(&bucket).await;
    proxy.faults.reset_every.store(4, SeqCst);
    proxy.faults.busy_every.store(5, SeqCst);
    let engine = engine(&dir, fast_settings()).await;
    let rx = engine.subscribe();
    engine
        .add(vec![src], t, AddOptions::default())
        .await
        .unwrap();
    let events = drain_until_idle(&engine, rx, LIMIT).await;
    let retries = events
        .iter()
        .filter(|e| matches!(e, EngineEvent::Retrying { .. }))
        .count();
    assert!(proxy.faults.injected.load(SeqCst) > 0);
    assert!(retries > 0, "faults were injected and retried");
    assert!(
        events
            .iter()
            .all(|e| !matches!(e, EngineEvent::Failed { .. })),
        "{events:?}"
    );
    for (key, data) in expected {
        assert_eq!(
            object(&bucket, &key).await.as_deref(),
            Some(data.as_slice()),
            "{key}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_down_the_queue_waits_and_continues_by_itself() {
    let (_d, dir) = tmp();
    let data = write_random(&dir.join("f.bin"), 7 * MIB as usize, 8);
    let bucket = bucket("netdown").await;
    let (proxy, t) = proxied_target(&bucket).await;
    proxy.faults.down.store(true, SeqCst);
    let engine = engine(&dir, fast_settings()).await;
    let mut rx = engine.subscribe();
    engine
        .add(vec![dir.join("f.bin")], t, AddOptions::default())
        .await
        .unwrap();
    // Network errors are retried without limit: wait past the attempt limit.
    for _ in 0..15 {
        let reason = next_event(&mut rx, |e| match e {
            EngineEvent::Retrying { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .await;
        assert!(
            reason.contains("reach") || reason.contains("connection"),
            "{reason}"
        );
    }
    proxy.faults.down.store(false, SeqCst);
    let events = drain_until_idle(&engine, rx, LIMIT).await;
    assert_eq!(completed(&events).len(), 1, "{events:?}");
    assert_eq!(object(&bucket, "f.bin").await.unwrap(), data);
}

struct WrongSecret;
impl CredentialResolver for WrongSecret {
    fn resolve(
        &self,
        _profile: Option<&str>,
    ) -> hoist_core::Result<Option<aws_credential_types::provider::SharedCredentialsProvider>> {
        let key = std::env::var("AWS_ACCESS_KEY_ID").unwrap();
        Ok(Some(
            aws_credential_types::provider::SharedCredentialsProvider::new(
                aws_credential_types::Credentials::new(key, "definitely-wrong", None, None, "test"),
            ),
        ))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permanent_errors_fail_that_item_clearly_and_the_rest_continue() {
    let (_d, dir) = tmp();
    let ok = write_random(&dir.join("ok.bin"), 5000, 9);
    write_random(&dir.join("gone.bin"), 5000, 10);
    let bucket = bucket("permanent").await;
    let engine = engine(&dir, fast_settings()).await;
    let rx = engine.subscribe();
    let paused = AddOptions {
        start_paused: true,
        ..AddOptions::default()
    };
    let ids = engine
        .add(
            vec![dir.join("ok.bin"), dir.join("gone.bin")],
            target(&bucket),
            paused.clone(),
        )
        .await
        .unwrap();
    let missing_bucket = engine
        .add(
            vec![dir.join("ok.bin")],
            target(&format!("missing-{}", std::process::id())),
            paused,
        )
        .await
        .unwrap();
    std::fs::remove_file(dir.join("gone.bin")).unwrap();
    engine.resume_all().await.unwrap();
    let events = drain_until_idle(&engine, rx, LIMIT).await;
    let failure = |id| {
        events.iter().find_map(|e| match e {
            EngineEvent::Failed { id: i, error, .. } if *i == id => Some(error.clone()),
            _ => None,
        })
    };
    let gone = failure(ids[1]).expect("missing file fails");
    assert_eq!(gone.code, ErrorCode::LocalFile);
    assert!(gone.message.contains("gone.bin"), "{}", gone.message);
    let nb = failure(missing_bucket[0]).expect("missing bucket fails");
    assert_eq!(nb.code, ErrorCode::NoSuchBucket);
    assert!(nb.message.contains("missing-"), "{}", nb.message);
    assert_eq!(
        object(&bucket, "ok.bin").await.unwrap(),
        ok,
        "the rest of the queue went on"
    );
    let snap = engine.snapshot().await.unwrap();
    assert_eq!(
        snap.iter().filter(|s| s.state == ItemState::Failed).count(),
        2
    );
    // Failed uploads stay in the journal with their reason, and in the history.
    let failed = engine
        .journal()
        .uploads_in(&[hoist_core::UploadState::Failed])
        .unwrap();
    assert_eq!(failed.len(), 2);
    assert!(failed.iter().all(|r| r.error.is_some()));

    // Removing finished items: out of the queue and not reloaded; history stays.
    let mut rx = engine.subscribe();
    engine.remove(ids[1]).await.unwrap();
    engine.remove(ids[0]).await.unwrap();
    assert!(engine.remove(ids[0]).await.is_err(), "already removed");
    let snap = engine.snapshot().await.unwrap();
    assert!(!snap.iter().any(|s| s.id == ids[0] || s.id == ids[1]));
    assert_eq!(snap.len(), 1);
    next_event(&mut rx, |e| match e {
        EngineEvent::Removed { id } if *id == ids[1] => Some(()),
        _ => None,
    })
    .await;
    let failed = engine
        .journal()
        .uploads_in(&[hoist_core::UploadState::Failed])
        .unwrap();
    assert_eq!(
        failed.len(),
        1,
        "a removed failure is not shown again after a restart"
    );
    assert!(
        engine
            .journal()
            .history(10)
            .unwrap()
            .iter()
            .any(|h| h.upload == ids[1] && h.result == "failed")
    );
    drop(engine);

    // Wrong secret: an auth failure in words, not retried.
    let (_d2, dir2) = tmp();
    write_random(&dir2.join("x.bin"), 100, 11);
    let mut o = EngineOptions::new(dir2.join("journal.sqlite"));
    o.settings = fast_settings();
    o.credentials = std::sync::Arc::new(WrongSecret);
    let engine = Engine::start(o).await.unwrap();
    let rx = engine.subscribe();
    engine
        .add(
            vec![dir2.join("x.bin")],
            target(&bucket),
            AddOptions::default(),
        )
        .await
        .unwrap();
    let events = drain_until_idle(&engine, rx, LIMIT).await;
    let err = events
        .iter()
        .find_map(|e| {
            if let EngineEvent::Failed { error, .. } = e {
                Some(error.clone())
            } else {
                None
            }
        })
        .expect("wrong secret fails");
    assert_eq!(err.code, ErrorCode::Auth);
    assert!(
        err.message.contains("SignatureDoesNotMatch") || err.message.contains("access"),
        "{}",
        err.message
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, EngineEvent::Retrying { .. }))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conflict_policies_skip_and_rename() {
    let (_d, dir) = tmp();
    let first = write_random(&dir.join("cat.jpg"), 100, 12);
    let bucket = bucket("conflict").await;
    let engine = engine(&dir, fast_settings()).await;
    let rx = engine.subscribe();
    engine
        .add(
            vec![dir.join("cat.jpg")],
            target(&bucket),
            AddOptions::default(),
        )
        .await
        .unwrap();
    drain_until_idle(&engine, rx, LIMIT).await;
    let second = write_random(&dir.join("cat.jpg"), 200, 13);
    let rx = engine.subscribe();
    let skip = AddOptions {
        conflict: ConflictPolicy::Skip,
        ..AddOptions::default()
    };
    engine
        .add(vec![dir.join("cat.jpg")], target(&bucket), skip)
        .await
        .unwrap();
    let events = drain_until_idle(&engine, rx, LIMIT).await;
    assert!(
        events
            .iter()
            .any(|e| matches!(e, EngineEvent::Skipped { .. }))
    );
    assert_eq!(object(&bucket, "cat.jpg").await.unwrap(), first);
    let rx = engine.subscribe();
    let rename = AddOptions {
        conflict: ConflictPolicy::Rename,
        ..AddOptions::default()
    };
    engine
        .add(vec![dir.join("cat.jpg")], target(&bucket), rename)
        .await
        .unwrap();
    drain_until_idle(&engine, rx, LIMIT).await;
    assert_eq!(object(&bucket, "cat.jpg").await.unwrap(), first);
    assert_eq!(object(&bucket, "cat (1).jpg").await.unwrap(), second);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_and_resume_one_item_while_others_run() {
    let (_d, dir) = tmp();
    let big = write_random(&dir.join("big.bin"), 40 * MIB as usize, 14);
    let other = write_random(&dir.join("other.bin"), 1000, 15);
    let bucket = bucket("pause").await;
    let (proxy, t) = proxied_target(&bucket).await;
    proxy.faults.rate.store(20 * MIB, SeqCst);
    let engine = engine(&dir, fast_settings()).await;
    let mut rx = engine.subscribe();
    let ids = engine
        .add(
            vec![dir.join("big.bin"), dir.join("other.bin")],
            t,
            AddOptions::default(),
        )
        .await
        .unwrap();
    next_event(&mut rx, part_done).await;
    engine.pause(ids[0]).await.unwrap();
    let paused = next_event(&mut rx, |e| match e {
        EngineEvent::Paused { id } => Some(*id),
        _ => None,
    })
    .await;
    assert_eq!(paused, ids[0]);
    tokio::time::timeout(LIMIT, engine.wait_idle())
        .await
        .unwrap()
        .unwrap();
    let snap = engine.snapshot().await.unwrap();
    assert_eq!(snap[0].state, ItemState::Paused);
    assert_eq!(snap[1].state, ItemState::Verified);
    assert_eq!(object(&bucket, "other.bin").await.unwrap(), other);
    assert!(object(&bucket, "big.bin").await.is_none());
    proxy.faults.rate.store(0, SeqCst);
    let rx = engine.subscribe();
    engine.resume(ids[0]).await.unwrap();
    let events = drain_until_idle(&engine, rx, LIMIT).await;
    assert!(
        events
            .iter()
            .any(|e| matches!(e, EngineEvent::Started { resumed: true, .. }))
    );
    assert_eq!(object(&bucket, "big.bin").await.unwrap(), big);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orphan_sweep_aborts_unknown_multipart_uploads_only() {
    let (_d, dir) = tmp();
    let bucket = bucket("orphans").await;
    let client = s3().await;
    let orphan = client
        .create_multipart_upload()
        .bucket(&bucket)
        .key("left/behind.bin")
        .send()
        .await
        .unwrap();
    let engine = engine(&dir, fast_settings()).await;
    let found = engine.orphans(target(&bucket)).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].upload_id, orphan.upload_id().unwrap());
    // Younger than the threshold: kept.
    assert!(
        engine
            .abort_orphans(target(&bucket), Duration::from_secs(3600))
            .await
            .unwrap()
            .is_empty()
    );
    let aborted = engine
        .abort_orphans(target(&bucket), Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(aborted.len(), 1);
    assert_eq!(pending_multiparts(&bucket).await, 0);
}
