//! Watched folders against the real SeaweedFS server with real inotify in temp dirs.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::watching::*;
use common::*;
use hoist_core::{EngineSettings, WatchConfig, WatchManager, WatchPhase, WatchSettings};

fn md5_hex(data: &[u8]) -> String {
    use md5::{Digest, Md5};
    hex::encode(Md5::digest(data))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_10000_files_in_fresh_folders_lands_exactly_once() {
    let bucket = bucket("watch-burst").await;
    let (_d, dir) = tmp();
    let root = dir.join("inbox");
    std::fs::create_dir(&root).unwrap();
    let (engine, manager) = start(&dir, EngineSettings::default()).await;
    let w: WatchConfig = manager
        .add(spec(&root, &bucket, "burst", false))
        .await
        .unwrap();
    wait_synced(&manager, w.id, 0).await;

    // 100 folders created together with their 99 files each (the mkdir trap), in
    // nested pairs, plus 100 files at the top.
    let t0 = Instant::now();
    let writer_root = root.clone();
    let expected = tokio::task::spawn_blocking(move || {
        let mut expected: HashMap<String, Vec<u8>> = HashMap::new();
        for i in 0..100 {
            let folder = format!("roll-{:02}/day-{i:03}", i / 2);
            std::fs::create_dir_all(writer_root.join(&folder)).unwrap();
            for j in 0..99 {
                let rel = format!("{folder}/IMG_{j:04}.jpg");
                let body = format!("photo {i} {j} {}", "x".repeat((i * 7 + j) % 300)).into_bytes();
                std::fs::write(writer_root.join(&rel), &body).unwrap();
                expected.insert(rel, body);
            }
        }
        for k in 0..100 {
            let rel = format!("top-{k:03}.txt");
            let body = format!("top {k}").into_bytes();
            std::fs::write(writer_root.join(&rel), &body).unwrap();
            expected.insert(rel, body);
        }
        expected
    })
    .await
    .unwrap();
    assert_eq!(expected.len(), 10_000);
    let written = t0.elapsed();
    let status = wait_synced(&manager, w.id, 10_000).await;
    let took = t0.elapsed();
    eprintln!(
        "burst: 10000 files written in {:.2}s, all verified after {:.2}s ({:.0} files/s)",
        written.as_secs_f64(),
        took.as_secs_f64(),
        10_000.0 / took.as_secs_f64()
    );
    assert_eq!(status.failures, 0, "{status:?}");

    let objects = listing(&bucket).await;
    assert_eq!(objects.len(), 10_000, "exactly the files, nothing else");
    for (rel, body) in &expected {
        let key = format!("burst/{rel}");
        let (size, etag) = objects.get(&key).unwrap_or_else(|| panic!("{key} missing"));
        assert_eq!(*size, body.len() as u64, "{key}");
        assert_eq!(etag, &md5_hex(body), "{key} content differs");
    }
    // Exactly once: one finished upload per key in the engine's history.
    let mut per_key: HashMap<String, usize> = HashMap::new();
    for h in engine.journal().history(1_000_000).unwrap() {
        *per_key.entry(h.key).or_default() += 1;
    }
    assert_eq!(per_key.len(), 10_000);
    let twice: Vec<_> = per_key.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "uploaded more than once: {twice:?}");
    stop(engine, manager).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_writer_is_uploaded_once_and_complete() {
    let bucket = bucket("watch-slow").await;
    let (_d, dir) = tmp();
    let root = dir.join("exports");
    std::fs::create_dir(&root).unwrap();
    let (engine, manager) = start(&dir, fast_settings()).await;
    let w = manager.add(spec(&root, &bucket, "", false)).await.unwrap();
    wait_synced(&manager, w.id, 0).await;

    // 7 MiB in 1 MiB writes with pauses 3x longer than quiet + debounce; the file
    // stays open throughout, like an exporter.
    let path = root.join("render.mov");
    let writer_path = path.clone();
    let body = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut rng = fastrand::Rng::with_seed(42);
        let mut f = std::fs::File::create(&writer_path).unwrap();
        let mut all = Vec::new();
        for _ in 0..7 {
            let mut chunk = vec![0u8; 1024 * 1024];
            rng.fill(&mut chunk);
            f.write_all(&chunk).unwrap();
            f.flush().unwrap();
            all.extend_from_slice(&chunk);
            std::thread::sleep(Duration::from_millis(1000));
        }
        all
    })
    .await
    .unwrap();
    wait_synced(&manager, w.id, 1).await;
    assert_eq!(object(&bucket, "render.mov").await.unwrap(), body);
    // Wait past a reconcile: still one upload, never a partial one.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(history_for(&engine, "render.mov"), vec!["verified"]);
    assert_eq!(listing(&bucket).await.len(), 1);
    stop(engine, manager).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_renames_and_changes_while_stopped_are_uploaded() {
    let bucket = bucket("watch-edit").await;
    let (_d, dir) = tmp();
    let root = dir.join("notes");
    std::fs::create_dir(&root).unwrap();
    std::fs::write(root.join("a.txt"), b"aaaa").unwrap();
    std::fs::write(root.join("keep.txt"), b"unchanged").unwrap();
    std::fs::write(root.join("gone.txt"), b"deleted later").unwrap();
    std::fs::write(root.join("skip.tmp"), b"temporary").unwrap();
    // An old file (its mtime far from when it is read): only its ctime can show an
    // edit that keeps its size and puts its mtime back.
    let old = root.join("old.txt");
    std::fs::write(&old, b"old1").unwrap();
    let an_hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
    set_mtime(&old, an_hour_ago);

    let (engine, manager) = start(&dir, fast_settings()).await;
    let w = manager.add(spec(&root, &bucket, "n", false)).await.unwrap();
    // Files already there are caught up at once; temp files are not.
    wait_synced(&manager, w.id, 4).await;
    assert_eq!(
        keys(&bucket).await,
        vec!["n/a.txt", "n/gone.txt", "n/keep.txt", "n/old.txt"]
    );

    // A same-size edit while watching.
    std::fs::write(root.join("a.txt"), b"bbbb").unwrap();
    wait_object(&bucket, "n/a.txt", b"bbbb").await;
    // A rename uploads under the new key and (no deletion opt-in) keeps the old one.
    std::fs::rename(root.join("gone.txt"), root.join("moved.txt")).unwrap();
    wait_object(&bucket, "n/moved.txt", b"deleted later").await;
    wait_synced(&manager, w.id, 5).await;
    stop(engine, manager).await;

    // While stopped: a new file, a deleted file, and a same-size edit that keeps the
    // mtime (only the content checksum can tell).
    std::fs::write(root.join("new.txt"), b"made while closed").unwrap();
    std::fs::remove_file(root.join("moved.txt")).unwrap();
    let a = root.join("a.txt");
    let mtime = std::fs::metadata(&a).unwrap().modified().unwrap();
    std::fs::write(&a, b"cccc").unwrap();
    set_mtime(&a, mtime);
    assert_eq!(std::fs::metadata(&a).unwrap().modified().unwrap(), mtime);
    std::fs::write(&old, b"old2").unwrap();
    set_mtime(&old, an_hour_ago);

    let (engine, manager) = start(&dir, fast_settings()).await;
    wait_object(&bucket, "n/new.txt", b"made while closed").await;
    wait_object(&bucket, "n/a.txt", b"cccc").await;
    wait_object(&bucket, "n/old.txt", b"old2").await;
    let s = wait_synced(&manager, w.id, 6).await;
    assert!(s.last_synced_at.is_some());
    assert_eq!(
        keys(&bucket).await,
        vec![
            "n/a.txt",
            "n/gone.txt",
            "n/keep.txt",
            "n/moved.txt",
            "n/new.txt",
            "n/old.txt"
        ],
        "nothing remote deleted without the opt-in"
    );
    assert_eq!(
        history_for(&engine, "n/keep.txt"),
        vec!["verified"],
        "an unchanged file is not uploaded again after a restart"
    );
    stop(engine, manager).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_folder_is_an_error_and_nothing_remote_is_deleted() {
    let bucket = bucket("watch-gone").await;
    let (_d, dir) = tmp();
    let root = dir.join("usb");
    std::fs::create_dir_all(root.join("dcim")).unwrap();
    let mut files = Vec::new();
    for i in 0..20 {
        let rel = format!("dcim/{i}.jpg");
        std::fs::write(root.join(&rel), format!("img {i}")).unwrap();
        files.push(rel);
    }
    let (engine, manager) = start(&dir, fast_settings()).await;
    // Deletion enabled: the strictest case.
    let w = manager.add(spec(&root, &bucket, "", true)).await.unwrap();
    wait_synced(&manager, w.id, 20).await;

    let backup = dir.join("backup");
    copy_tree(&root, &backup);
    std::fs::remove_dir_all(&root).unwrap();
    let s = wait_status(&manager, w.id, "the error state", |s| {
        s.phase == WatchPhase::Error
    })
    .await;
    assert!(s.error.unwrap().contains("missing"));
    // Well past the deletion grace period and a reconcile.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(keys(&bucket).await.len(), 20, "no remote deletions");
    assert_eq!(manager.status(w.id).await.unwrap().phase, WatchPhase::Error);

    // The drive comes back: watching resumes, nothing is deleted or sent again, and
    // new files flow.
    copy_tree(&backup, &root);
    std::fs::write(root.join("dcim/new.jpg"), b"after").unwrap();
    wait_object(&bucket, "dcim/new.jpg", b"after").await;
    wait_synced(&manager, w.id, 21).await;
    assert_eq!(keys(&bucket).await.len(), 21);
    for rel in &files {
        assert_eq!(history_for(&engine, rel), vec!["verified"], "{rel}");
    }
    stop(engine, manager).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_deletion_enabled_a_deleted_file_moves_to_the_trash_prefix() {
    let bucket = bucket("watch-trash").await;
    let (_d, dir) = tmp();
    let root = dir.join("shots");
    std::fs::create_dir(&root).unwrap();
    std::fs::write(root.join("keep.png"), b"keep").unwrap();
    std::fs::write(root.join("old shot.png"), b"old bytes").unwrap();
    let (engine, manager) = start(&dir, fast_settings()).await;
    let w = manager.add(spec(&root, &bucket, "s", true)).await.unwrap();
    wait_synced(&manager, w.id, 2).await;

    let before = hoist_core::now_ms();
    std::fs::remove_file(root.join("old shot.png")).unwrap();
    wait_synced(&manager, w.id, 1).await;
    let trash = wait_trash(&manager, w.id, 1).await;
    let t = &trash[0];
    assert_eq!(
        (t.path.as_str(), t.key.as_str()),
        ("old shot.png", "s/old shot.png")
    );
    assert!(
        t.trash_key.starts_with("hoist-trash/s/old shot.png/"),
        "{t:?}"
    );
    let at = t.deleted_at.expect("the trash key carries the time");
    assert!(
        (before - 1000..=hoist_core::now_ms()).contains(&at),
        "{t:?}"
    );
    assert_eq!(t.size, 9);
    assert_eq!(
        keys(&bucket).await,
        vec![t.trash_key.as_str(), "s/keep.png"]
    );
    assert_eq!(object(&bucket, &t.trash_key).await.unwrap(), b"old bytes");

    // Restored: back in the folder, uploaded again; the copy stays in the trash.
    let path = manager.restore(w.id, &t.trash_key).await.unwrap();
    assert_eq!(path, root.canonicalize().unwrap().join("old shot.png"));
    assert_eq!(std::fs::read(&path).unwrap(), b"old bytes");
    wait_object(&bucket, "s/old shot.png", b"old bytes").await;
    wait_synced(&manager, w.id, 2).await;
    assert_eq!(manager.trash(w.id).await.unwrap(), trash);
    // Never over a file that is there.
    let err = manager.restore(w.id, &t.trash_key).await.unwrap_err();
    assert!(err.to_string().contains("already"), "{err}");
    assert!(manager.restore(w.id, "s/keep.png").await.is_err());
    stop(engine, manager).await;
}

/// Deleted the moment its object lands, before its upload has ended: the deletion is
/// mirrored once the upload ends, whichever way it ends. The proxy's delay holds that
/// moment open: the single PUT finds its file gone after sending it (and fails), the
/// multipart upload is completing and verifying when its file goes. No rescan helps
/// (an hour apart here): the upload's end alone must lead to the trash.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_deleted_as_its_object_lands_moves_to_the_trash() {
    let bucket = bucket("watch-landing").await;
    let (_d, dir) = tmp();
    let root = dir.join("inbox");
    std::fs::create_dir(&root).unwrap();
    let (proxy, target) = proxied_target(&bucket).await;
    proxy
        .faults
        .latency_ms
        .store(600, std::sync::atomic::Ordering::Relaxed);
    let settings = WatchSettings {
        reconcile_every: Duration::from_secs(3600),
        ..watch_settings()
    };
    let (engine, manager) = start_with(&dir, fast_settings(), settings).await;
    let mut s = spec(&root, &bucket, "", true);
    s.target = target;
    let w = manager.add(s).await.unwrap();
    std::fs::write(root.join("note.txt"), b"small note").unwrap();
    write_random(&root.join("big.bin"), 6 * hoist_core::MIB as usize, 7);

    // Watched on the store itself, not through the proxy.
    let mut landing = vec!["big.bin", "note.txt"];
    let t0 = Instant::now();
    while !landing.is_empty() {
        let live = keys(&bucket).await;
        landing.retain(|f| {
            let landed = live.iter().any(|k| k == f);
            if landed {
                std::fs::remove_file(root.join(f)).unwrap();
            }
            !landed
        });
        assert!(t0.elapsed() < LIMIT, "{landing:?} never landed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let trash = wait_trash(&manager, w.id, 2).await;
    let mut trashed: Vec<&str> = trash.iter().map(|t| t.path.as_str()).collect();
    trashed.sort();
    assert_eq!(trashed, ["big.bin", "note.txt"], "{trash:?}");
    // The trash holds a copy before the object goes.
    let t0 = Instant::now();
    loop {
        let live = keys(&bucket).await;
        if live.iter().all(|k| k.starts_with("hoist-trash/")) {
            break;
        }
        assert!(t0.elapsed() < LIMIT, "still in the bucket: {live:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    wait_synced(&manager, w.id, 0).await;
    stop(engine, manager).await;
}

async fn wait_trash(m: &WatchManager, id: i64, n: usize) -> Vec<hoist_core::TrashedFile> {
    let t0 = Instant::now();
    loop {
        let t = m.trash(id).await.unwrap();
        if t.len() >= n {
            return t;
        }
        assert!(t0.elapsed() < LIMIT, "the trash never held {n}: {t:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watches_persist_and_bad_input_is_refused() {
    let (_d, dir) = tmp();
    let root = dir.join("w");
    std::fs::create_dir(&root).unwrap();
    let (engine, manager) = start(&dir, fast_settings()).await;
    let err = manager
        .add(spec(&dir.join("nope"), "some-bucket", "", false))
        .await
        .unwrap_err();
    assert_eq!(err.code(), hoist_core::ErrorCode::LocalFile);
    let w = manager
        .add(spec(&root, "some-bucket", "", false))
        .await
        .unwrap();
    assert!(
        manager
            .add(spec(&root, "some-bucket", "", false))
            .await
            .is_err()
    );
    manager.set_enabled(w.id, false).await.unwrap();
    assert_eq!(
        manager.status(w.id).await.unwrap().phase,
        WatchPhase::Paused
    );
    stop(engine, manager).await;

    let (engine, manager) = start(&dir, fast_settings()).await;
    let list = manager.list().await.unwrap();
    assert_eq!(list.len(), 1);
    assert!(!list[0].enabled);
    assert_eq!(list[0].root, root.canonicalize().unwrap());
    manager.remove(w.id).await.unwrap();
    assert!(manager.list().await.unwrap().is_empty());
    stop(engine, manager).await;
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir(from) {
        let rel = entry.strip_prefix(from).unwrap();
        let dest = to.join(rel);
        if entry.is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
            std::fs::copy(&entry, &dest).unwrap();
        }
    }
}

fn walkdir(root: &Path) -> Vec<PathBuf> {
    let mut out = vec![root.to_path_buf()];
    let mut i = 0;
    while i < out.len() {
        if out[i].is_dir() {
            let mut children: Vec<PathBuf> = std::fs::read_dir(&out[i])
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            children.sort();
            out.extend(children);
        }
        i += 1;
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_moved_in_uploads_its_files_under_their_new_keys() {
    let bucket = bucket("watch-move").await;
    let (_d, dir) = tmp();
    let root = dir.join("inbox");
    std::fs::create_dir(&root).unwrap();
    // Made outside the watched folder, then moved in at once (no create events for
    // its files inside the watch).
    let outside = dir.join("card");
    std::fs::create_dir_all(outside.join("DCIM/100")).unwrap();
    for i in 0..5 {
        std::fs::write(
            outside.join(format!("DCIM/100/{i}.jpg")),
            format!("jpg {i}"),
        )
        .unwrap();
    }
    // No periodic reconcile here: only the move event can find these files.
    let no_reconcile = WatchSettings {
        reconcile_every: Duration::from_secs(3600),
        ..watch_settings()
    };
    let engine = engine(&dir, fast_settings()).await;
    let manager = WatchManager::start(engine.clone(), no_reconcile)
        .await
        .unwrap();
    let w = manager.add(spec(&root, &bucket, "", false)).await.unwrap();
    wait_synced(&manager, w.id, 0).await;
    std::fs::rename(&outside, root.join("card")).unwrap();
    wait_synced(&manager, w.id, 5).await;
    let mut want: Vec<String> = (0..5).map(|i| format!("card/DCIM/100/{i}.jpg")).collect();
    want.sort();
    assert_eq!(keys(&bucket).await, want);
    assert_eq!(
        object(&bucket, "card/DCIM/100/3.jpg").await.unwrap(),
        b"jpg 3"
    );
    stop(engine, manager).await;
}
