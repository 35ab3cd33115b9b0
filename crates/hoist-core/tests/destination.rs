//! Adding to a chosen destination, with "ask" on conflicts, against SeaweedFS: what a
//! shell does when the user picks a bucket and folder, then answers the conflict
//! dialog.

mod common;

use std::collections::HashMap;

use common::*;
use hoist_core::profiles::{ConflictChoice, Destination};
use hoist_core::{AddOptions, ConflictPolicy};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chosen_bucket_and_folder_get_the_files_and_ask_then_rename_keeps_both() {
    let (_d, dir) = tmp();
    let default_bucket = bucket("dest-default").await;
    let chosen_bucket = bucket("dest-chosen").await;
    let engine = engine(&dir, fast_settings()).await;
    let profile_target = target(&default_bucket);

    // The user picked another bucket and a new folder in it.
    let destination = Destination {
        profile: None,
        bucket: chosen_bucket.clone(),
        prefix: "/trips//2026".into(),
    }
    .checked()
    .unwrap();
    let t = destination.apply_to(&profile_target).unwrap();
    let first = write_random(&dir.join("cat.jpg"), 1000, 1);
    let plan = engine
        .plan_add(vec![dir.join("cat.jpg")], t.clone(), AddOptions::default())
        .await
        .unwrap();
    assert!(plan.existing.is_empty(), "nothing there yet");
    engine
        .add_planned(plan, &HashMap::new(), ConflictPolicy::Overwrite)
        .await
        .unwrap();
    engine.wait_idle().await.unwrap();
    assert_eq!(keys(&chosen_bucket).await, ["trips/2026/cat.jpg"]);
    assert!(
        keys(&default_bucket).await.is_empty(),
        "not the profile's bucket"
    );

    // Same name again, other bytes: "ask" reports the key before anything is sent.
    let second = write_random(&dir.join("cat.jpg"), 2000, 2);
    assert_eq!(
        ConflictChoice::Ask.policy(),
        None,
        "ask has no policy of its own"
    );
    let plan = engine
        .plan_add(vec![dir.join("cat.jpg")], t, AddOptions::default())
        .await
        .unwrap();
    assert_eq!(plan.existing, ["trips/2026/cat.jpg"]);
    assert_eq!(
        keys(&chosen_bucket).await.len(),
        1,
        "the check sent nothing"
    );
    // The user answers "rename" (for all).
    let ids = engine
        .add_planned(plan, &HashMap::new(), ConflictPolicy::Rename)
        .await
        .unwrap();
    assert_eq!(ids.len(), 1);
    engine.wait_idle().await.unwrap();
    assert_eq!(
        keys(&chosen_bucket).await,
        ["trips/2026/cat (1).jpg", "trips/2026/cat.jpg"]
    );
    assert_eq!(
        object(&chosen_bucket, "trips/2026/cat.jpg").await.unwrap(),
        first
    );
    assert_eq!(
        object(&chosen_bucket, "trips/2026/cat (1).jpg")
            .await
            .unwrap(),
        second
    );
}

/// A folder of 1,000 files is checked by listing its prefix, not one HEAD per key:
/// 10,000 files took 36 s of HEADs on SeaweedFS, past the app's 30 s IPC limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_is_checked_by_listing_not_one_head_per_file() {
    let (_d, dir) = tmp();
    let b = bucket("dest-many").await;
    let many = dir.join("many");
    std::fs::create_dir_all(&many).unwrap();
    for i in 0..1_000 {
        std::fs::write(many.join(format!("f{i:04}.txt")), b"x").unwrap();
    }
    let client = s3().await;
    for key in [
        "many/f0000.txt",
        "many/f0500.txt",
        "many/f0999.txt",
        "many/f0500.txt.bak",
        "other.txt",
    ] {
        client
            .put_object()
            .bucket(&b)
            .key(key)
            .body(b"old".to_vec().into())
            .send()
            .await
            .unwrap();
    }
    let (proxy, t) = watched_target(&b).await;
    let engine = engine(&dir, fast_settings()).await;
    let plan = engine
        .plan_add(vec![many], t, AddOptions::default())
        .await
        .unwrap();
    assert_eq!(plan.files.len(), 1_000);
    assert_eq!(
        plan.existing,
        ["many/f0000.txt", "many/f0500.txt", "many/f0999.txt"]
    );
    let (heads, lists) = (
        proxy.faults.requests("head ", "/many/"),
        proxy.faults.requests("get ", "list-type=2"),
    );
    assert_eq!(heads, 0, "no key asked one by one");
    assert_eq!(lists, 1, "one page lists the folder");
    assert!(keys(&b).await.len() == 5, "the check sent nothing");
}
