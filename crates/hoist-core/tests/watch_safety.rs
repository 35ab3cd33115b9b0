//! Watched folders never destroy data and never loop: against the real SeaweedFS server
//! with real inotify. The unreadable-folder case runs as another user (`setpriv`), the
//! vanishing mount in a private mount namespace (`unshare -m`): each re-runs its own
//! test body in a child process.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use common::watching::*;
use common::*;
use hoist_core::{DeletionDecision, EngineEvent, UploadJournal, WatchManager, WatchSettings};

/// Live keys under `prefix` and trashed keys (under `hoist-trash/`), separately.
async fn live_and_trash(bucket: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let (mut live, mut trash) = (BTreeSet::new(), BTreeSet::new());
    for k in all_keys(bucket).await {
        if k.starts_with("hoist-trash/") {
            trash.insert(k);
        } else {
            live.insert(k);
        }
    }
    (live, trash)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_recreating_and_deleting_a_file_keeps_both_versions_in_the_trash() {
    let bucket = bucket("watch-versions").await;
    let (_d, dir) = tmp();
    let root = dir.join("w");
    std::fs::create_dir(&root).unwrap();
    std::fs::write(root.join("keep.txt"), b"keep").unwrap();
    let (engine, manager) = start(&dir, fast_settings()).await;
    let w = manager.add(spec(&root, &bucket, "w", true)).await.unwrap();
    wait_synced(&manager, w.id, 1).await;

    for (n, body) in [(1, &b"version-one"[..]), (2, &b"version-two-longer"[..])] {
        std::fs::write(root.join("f.txt"), body).unwrap();
        wait_object(&bucket, "w/f.txt", body).await;
        wait_synced(&manager, w.id, 2).await;
        std::fs::remove_file(root.join("f.txt")).unwrap();
        wait_synced(&manager, w.id, 1).await;
        // The move happens right after the record goes: wait for the trash to show it.
        let t0 = Instant::now();
        while live_and_trash(&bucket).await.1.len() < n {
            if t0.elapsed() > Duration::from_secs(5) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let (live, trash) = live_and_trash(&bucket).await;
    assert_eq!(live, BTreeSet::from(["w/keep.txt".to_string()]));
    let mut bodies = Vec::new();
    for k in &trash {
        assert!(k.starts_with("hoist-trash/w/f.txt"), "{k}");
        bodies.push(object(&bucket, k).await.unwrap());
    }
    bodies.sort();
    assert_eq!(
        bodies,
        vec![b"version-one".to_vec(), b"version-two-longer".to_vec()],
        "every deleted version stays in the trash: {trash:?}"
    );
    stop(engine, manager).await;
}

/// Root ignores permission bits, so this runs as `nobody` (uid 65534) in a child
/// process; when the tests already run as another user, directly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_subfolder_deletes_nothing() {
    if is_root() && !is_inner() {
        run_inner(
            &[
                "setpriv",
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "--",
            ],
            "an_unreadable_subfolder_deletes_nothing",
        );
        return;
    }
    assert!(
        !is_root(),
        "must run as a user that permission bits apply to"
    );
    let bucket = bucket("watch-unreadable").await;
    let (_d, dir) = tmp();
    let root = dir.join("docs");
    std::fs::create_dir_all(root.join("private/deeper")).unwrap();
    for i in 0..10 {
        std::fs::write(root.join(format!("private/{i}.txt")), format!("p{i}")).unwrap();
        std::fs::write(
            root.join(format!("private/deeper/{i}.txt")),
            format!("d{i}"),
        )
        .unwrap();
    }
    std::fs::write(root.join("top.txt"), b"top").unwrap();
    let (engine, manager) = start(&dir, fast_settings()).await;
    let w = manager.add(spec(&root, &bucket, "", true)).await.unwrap();
    wait_synced(&manager, w.id, 21).await;

    use std::os::unix::fs::PermissionsExt;
    let private = root.join("private");
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o000)).unwrap();
    assert!(
        std::fs::read_dir(&private).is_err(),
        "the folder is unreadable now"
    );
    // Past the deletion grace period and more than one reconcile.
    tokio::time::sleep(Duration::from_secs(8)).await;
    let status = manager.status(w.id).await.unwrap();
    let (live, trash) = live_and_trash(&bucket).await;
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o755)).unwrap();
    eprintln!("status while unreadable: {status:?}");
    assert!(trash.is_empty(), "nothing may go to the trash: {trash:?}");
    assert_eq!(live.len(), 21);
    assert_unreadable_shown(&status, "private");
    stop(engine, manager).await;
}

/// The "cannot read" state names the folder.
fn assert_unreadable_shown(status: &hoist_core::WatchStatus, folder: &str) {
    assert!(
        status
            .cannot_read
            .iter()
            .any(|c| c.path == folder && c.reason.contains("cannot read")),
        "the status shows the unreadable folder: {:?}",
        status.cannot_read
    );
}

/// A tmpfs mounted inside the watched tree, then unmounted: its files are not deleted.
/// Needs a private mount namespace: the test body runs again under `unshare -m`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nested_mount_that_goes_away_deletes_nothing() {
    if !is_inner() {
        if !is_root() {
            eprintln!("skipped: mounting a tmpfs needs root (CI runs as root)");
            return;
        }
        run_inner(
            &["unshare", "-m", "--propagation", "private", "--"],
            "a_nested_mount_that_goes_away_deletes_nothing",
        );
        return;
    }
    let bucket = bucket("watch-mount").await;
    let (_d, dir) = tmp();
    let root = dir.join("home");
    let vault = root.join("vault");
    std::fs::create_dir_all(&vault).unwrap();
    let sh = |args: &[&str]| {
        let st = std::process::Command::new(args[0])
            .args(&args[1..])
            .status()
            .unwrap();
        assert!(st.success(), "{args:?}");
    };
    sh(&["mount", "-t", "tmpfs", "tmpfs", vault.to_str().unwrap()]);
    std::fs::create_dir(vault.join("notes")).unwrap();
    for i in 0..10 {
        std::fs::write(vault.join(format!("notes/{i}.md")), format!("secret {i}")).unwrap();
    }
    std::fs::write(root.join("plain.txt"), b"plain").unwrap();
    let (engine, manager) = start(&dir, fast_settings()).await;
    let w = manager.add(spec(&root, &bucket, "", true)).await.unwrap();
    wait_synced(&manager, w.id, 11).await;

    sh(&["umount", vault.to_str().unwrap()]);
    assert!(vault.is_dir() && std::fs::read_dir(&vault).unwrap().next().is_none());
    tokio::time::sleep(Duration::from_secs(8)).await;
    let status = manager.status(w.id).await.unwrap();
    let (live, trash) = live_and_trash(&bucket).await;
    eprintln!("status after the unmount: {status:?}");
    assert!(trash.is_empty(), "nothing may go to the trash: {trash:?}");
    assert_eq!(live.len(), 11);
    assert_unreadable_shown(&status, "vault");
    stop(engine, manager).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_large_deletion_guard_holds_200_deletions() {
    let bucket = bucket("watch-guard").await;
    let (_d, dir) = tmp();
    let root = dir.join("photos");
    for year in ["2025", "2026"] {
        std::fs::create_dir_all(root.join(year)).unwrap();
    }
    for i in 0..200 {
        std::fs::write(root.join(format!("2026/{i:03}.jpg")), format!("jpg {i}")).unwrap();
    }
    for i in 0..100 {
        std::fs::write(root.join(format!("2025/{i:03}.jpg")), format!("old {i}")).unwrap();
    }
    std::fs::write(root.join("keep.txt"), b"keep").unwrap();
    let (engine, manager) = start(&dir, fast_settings()).await;
    let w = manager.add(spec(&root, &bucket, "", true)).await.unwrap();
    wait_synced(&manager, w.id, 301).await;

    // 200 at once: held, nothing moves, and the watch says so.
    std::fs::remove_dir_all(root.join("2026")).unwrap();
    let s = wait_status(&manager, w.id, "200 held deletions", |s| {
        s.held_deletions == 200
    })
    .await;
    assert_eq!(s.synced_files, 301);
    // Past the grace period and a reconcile: still held.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let (live, trash) = live_and_trash(&bucket).await;
    assert!(
        trash.is_empty(),
        "held, not moved: {} in the trash",
        trash.len()
    );
    assert_eq!(live.len(), 301);
    assert_eq!(engine.journal().watch_held_deletions(w.id).unwrap(), 200);
    assert_eq!(manager.status(w.id).await.unwrap().held_deletions, 200);

    // "Keep the remote copies": nothing moves, the watch forgets those files.
    let n = manager
        .decide_deletions(w.id, DeletionDecision::KeepRemote)
        .await
        .unwrap();
    assert_eq!(n, 200);
    let s = wait_synced(&manager, w.id, 101).await;
    assert_eq!(s.held_deletions, 0);
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(
        live_and_trash(&bucket).await,
        (live.clone(), BTreeSet::new())
    );
    assert!(
        manager
            .decide_deletions(w.id, DeletionDecision::MoveToTrash)
            .await
            .is_err(),
        "nothing is held any more"
    );

    // 100 of 101 at once: held; approved (here through the journal, as `hoist watch
    // deletions --approve` from another process does), they move to the trash.
    std::fs::remove_dir_all(root.join("2025")).unwrap();
    wait_status(&manager, w.id, "100 held deletions", |s| {
        s.held_deletions == 100
    })
    .await;
    assert!(live_and_trash(&bucket).await.1.is_empty());
    let n = engine
        .journal()
        .decide_deletions(w.id, DeletionDecision::MoveToTrash)
        .unwrap();
    assert_eq!(n, 100);
    wait_synced(&manager, w.id, 1).await;
    let t0 = Instant::now();
    while live_and_trash(&bucket).await.1.len() < 100 && t0.elapsed() < LIMIT {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (live_after, trash) = live_and_trash(&bucket).await;
    assert_eq!(trash.len(), 100);
    assert!(trash.iter().all(|k| k.starts_with("hoist-trash/2025/")));
    assert_eq!(live_after.len(), 201, "the kept 200 and keep.txt");
    assert_eq!(engine.journal().watch_held_deletions(w.id).unwrap(), 0);
    stop(engine, manager).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watches_on_the_filesystem_root_and_on_hoists_own_data_are_refused() {
    let (_d, dir) = tmp();
    let journal = UploadJournal::open(&dir.join("journal.sqlite")).unwrap();
    let err = journal
        .create_watch(spec(Path::new("/"), "some-bucket", "", false), &[])
        .expect_err("a watch on / is refused");
    eprintln!("/: {err}");
    let err = journal
        .create_watch(spec(&dir, "some-bucket", "", false), &[])
        .expect_err("a watch on the folder holding the journal is refused");
    eprintln!("journal folder: {err}");
    assert!(err.to_string().contains("journal"), "{err}");
    // The local store (or any other protected path) and what is inside it.
    let store = dir.join("data/localstore");
    std::fs::create_dir_all(store.join("bucket")).unwrap();
    for root in [dir.join("data"), store.clone(), store.join("bucket")] {
        let err = journal
            .create_watch(
                spec(&root, "some-bucket", "", false),
                std::slice::from_ref(&store),
            )
            .expect_err("Hoist's own data is refused");
        assert!(err.to_string().contains("Hoist's own data"), "{err}");
    }
    assert!(journal.watches().unwrap().is_empty());

    // The home folder: only when confirmed.
    if let Some(home) = std::env::home_dir().filter(|h| h.is_dir() && h.parent().is_some()) {
        let err = journal
            .create_watch(spec(&home, "some-bucket", "", false), &[])
            .expect_err("the home folder needs a confirmation");
        assert!(err.to_string().contains("home folder"), "{err}");
        let confirmed = hoist_core::WatchSpec {
            allow_home: true,
            ..spec(&home, "some-bucket", "", false)
        };
        let w = journal.create_watch(confirmed, &[]).expect("confirmed");
        // Not started here: a watch of the whole home folder would upload it.
        journal.remove_watch(w.id).unwrap();
    }

    // And through the running watcher.
    let (engine, manager) = start(&dir, fast_settings()).await;
    assert!(
        manager
            .add(spec(&dir, "some-bucket", "", false))
            .await
            .is_err()
    );
    stop(engine, manager).await;
}

/// A watch stored by an older version on a folder that holds the journal: Hoist's own
/// files are left out, so journal writes do not upload themselves again and again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_holding_hoists_own_data_never_uploads_it() {
    let bucket = bucket("watch-own-data").await;
    let (_d, dir) = tmp();
    std::fs::write(dir.join("photo.jpg"), b"mine").unwrap();
    let cfg = spec(&dir, &bucket, "", false)
        .validate(&hoist_core::watch::RootGuard::default())
        .unwrap();
    let settings = WatchSettings {
        reconcile_every: Duration::from_secs(1),
        ..watch_settings()
    };
    let (engine, manager) = start_with(&dir, fast_settings(), settings).await;
    let w = engine.journal().add_watch(&cfg).unwrap();
    manager.rescan(w.id).await.ok();
    // The next config check (every 2 s) starts it.
    let t0 = Instant::now();
    while !manager.list().await.unwrap().iter().any(|s| s.id == w.id) {
        assert!(t0.elapsed() < LIMIT);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    wait_object(&bucket, "photo.jpg", b"mine").await;
    // Several reconciles, each writing the journal.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(all_keys(&bucket).await, vec!["photo.jpg"]);
    let uploads = engine.journal().history(1000).unwrap().len();
    assert_eq!(uploads, 1, "nothing but the photo was uploaded");
    stop(engine, manager).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_symlinked_folder_inside_the_root_uploads_nothing_outside_it() {
    let bucket = bucket("watch-links").await;
    let (_d, dir) = tmp();
    let root = dir.join("inbox");
    let outside = dir.join("elsewhere");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::create_dir_all(outside.join("sub")).unwrap();
    std::fs::write(outside.join("before.txt"), b"outside").unwrap();
    std::fs::write(root.join("real.txt"), b"inside").unwrap();
    std::os::unix::fs::symlink(&outside, root.join("linked")).unwrap();
    std::os::unix::fs::symlink(outside.join("before.txt"), root.join("file-link.txt")).unwrap();
    let (engine, manager) = start(&dir, fast_settings()).await;
    let w = manager.add(spec(&root, &bucket, "", false)).await.unwrap();
    wait_synced(&manager, w.id, 1).await;

    // Writes through the link's target, and through the link itself.
    std::fs::write(outside.join("after.txt"), b"outside, later").unwrap();
    std::fs::write(outside.join("sub/deep.txt"), b"deeper").unwrap();
    std::fs::write(root.join("linked/through.txt"), b"via the link").unwrap();
    std::fs::write(root.join("new.txt"), b"inside, later").unwrap();
    wait_object(&bucket, "new.txt", b"inside, later").await;
    // Past a reconcile.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(all_keys(&bucket).await, vec!["new.txt", "real.txt"]);
    stop(engine, manager).await;
}

/// SeaweedFS refuses keys over 1024 bytes (KeyTooLongError) for good.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_file_is_tried_a_bounded_number_of_times() {
    let bucket = bucket("watch-reject").await;
    let (_d, dir) = tmp();
    let root = dir.join("w");
    let mut deep = root.clone();
    for i in 0..11 {
        deep = deep.join(format!("{i:02}{}", "d".repeat(98)));
    }
    std::fs::create_dir_all(&deep).unwrap();
    std::fs::write(deep.join("too-long.txt"), b"refused").unwrap();
    std::fs::write(root.join("fine.txt"), b"fine").unwrap();
    let rel = deep.join("too-long.txt");
    let key = rel
        .strip_prefix(&root)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(key.len() > 1024);
    // Time scaled down: a reconcile every second, retries after 1, 2, 4, 8 s.
    let settings = WatchSettings {
        reconcile_every: Duration::from_secs(1),
        retry_base: Duration::from_secs(1),
        ..watch_settings()
    };
    let (engine, manager) = start_with(&dir, fast_settings(), settings).await;
    let mut events = engine.subscribe();
    let w = manager.add(spec(&root, &bucket, "", false)).await.unwrap();
    wait_object(&bucket, "fine.txt", b"fine").await;

    let watch_for = Duration::from_secs(15);
    let t0 = Instant::now();
    let mut failures = 0;
    while t0.elapsed() < watch_for {
        if let Ok(Ok(EngineEvent::Failed { key: k, .. })) =
            tokio::time::timeout(Duration::from_millis(200), events.recv()).await
            && k == key
        {
            failures += 1;
        }
    }
    let history = history_for(&engine, &key);
    let queue_items = engine
        .snapshot()
        .await
        .unwrap()
        .into_iter()
        .filter(|s| s.key == key)
        .count();
    eprintln!(
        "rejected file in {watch_for:?}: {failures} attempts, {} history rows, {queue_items} queue items",
        history.len()
    );
    assert!(failures >= 2, "it is tried again: {failures}");
    assert!(
        failures <= 5,
        "with backoff, not every reconcile: {failures}"
    );
    assert_eq!(history, vec!["failed"], "one history row for the file");
    assert_eq!(queue_items, 1, "one queue item for the file");
    let status = manager.status(w.id).await.unwrap();
    assert_eq!(status.synced_files, 1);
    stop(engine, manager).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_with_a_future_mtime_is_not_read_again_at_each_reconcile() {
    let bucket = bucket("watch-future").await;
    let (_d, dir) = tmp();
    let root = dir.join("w");
    std::fs::create_dir(&root).unwrap();
    let f = root.join("from-the-future.txt");
    std::fs::write(&f, b"clock skew").unwrap();
    set_mtime(
        &f,
        std::time::SystemTime::now() + Duration::from_secs(86_400),
    );
    let settings = WatchSettings {
        reconcile_every: Duration::from_secs(1),
        ..watch_settings()
    };
    let (engine, manager) = start_with(&dir, fast_settings(), settings).await;
    let w = manager.add(spec(&root, &bucket, "", false)).await.unwrap();
    wait_synced(&manager, w.id, 1).await;
    let hashed = |engine: &hoist_core::Engine| {
        engine.journal().watch_files(w.id).unwrap()["from-the-future.txt"].hashed_at_ns
    };
    let first = hashed(&engine);
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(
        hashed(&engine),
        first,
        "read again although nothing changed"
    );
    assert_eq!(
        history_for(&engine, "from-the-future.txt"),
        vec!["verified"]
    );
    stop(engine, manager).await;
}

/// Keeps the manager's type in use for the helpers (some tests only use the journal).
#[allow(dead_code)]
fn _types(_: &WatchManager) {}
