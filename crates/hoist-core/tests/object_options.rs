//! Per-upload object options (content type, metadata, tags, cache-control,
//! content-disposition, storage class, server-side encryption) reach the object, for a
//! single PUT and for a multipart upload, on SeaweedFS and on the embedded store; what a
//! store lacks is refused in words, never dropped silently.

mod common;

use std::collections::BTreeMap;

use common::stores::TestStore;
use common::*;
use hoist_core::s3::{ObjectOptions, Sse};
use hoist_core::{AddOptions, ErrorCode, ItemState, MIB};

fn options(storage_class: &str, with_tags_and_sse: bool) -> ObjectOptions {
    let mut o = ObjectOptions {
        content_type: Some("text/x-hoist".into()),
        cache_control: Some("max-age=60".into()),
        content_disposition: Some("attachment; filename=\"n.txt\"".into()),
        storage_class: Some(storage_class.into()),
        ..Default::default()
    };
    o.metadata.insert("Project".into(), "apollo".into());
    if with_tags_and_sse {
        o.tags.insert("team".into(), "blue green".into());
        o.tags.insert("env".into(), "prod".into());
        o.sse = Some(Sse::Aes256);
    }
    o
}

/// Uploads a small and a multipart file with `o`; returns their keys and final states.
async fn upload_both(store: &TestStore, bucket: &str, o: ObjectOptions) -> Vec<ItemState> {
    let (_d, dir) = tmp();
    let small = dir.join("note.txt");
    std::fs::write(&small, b"hello").unwrap();
    let big = dir.join("big.bin");
    write_random(&big, 11 * MIB as usize, 7);
    let engine = engine(&dir, fast_settings()).await;
    let ids = engine
        .add(
            vec![small, big],
            store.target(bucket),
            AddOptions {
                object: o,
                ..AddOptions::default()
            },
        )
        .await
        .unwrap();
    tokio::time::timeout(LIMIT, engine.wait_idle())
        .await
        .unwrap()
        .unwrap();
    let snap = engine.snapshot().await.unwrap();
    ids.iter()
        .map(|id| snap.iter().find(|s| s.id == *id).unwrap().state)
        .collect()
}

async fn check_round_trip(store: &TestStore, storage_class: &str, tags: bool) {
    let bucket = store.bucket("objopts").await;
    let states = upload_both(store, &bucket, options(storage_class, tags)).await;
    assert_eq!(
        states,
        [ItemState::Verified, ItemState::Verified],
        "{}",
        store.name()
    );
    let s3 = store.s3().await;
    for key in ["note.txt", "big.bin"] {
        let what = format!("{key} on {}", store.name());
        let h = s3
            .head_object()
            .bucket(&bucket)
            .key(key)
            .send()
            .await
            .unwrap();
        assert_eq!(h.content_type(), Some("text/x-hoist"), "{what}");
        assert_eq!(h.cache_control(), Some("max-age=60"), "{what}");
        assert_eq!(
            h.content_disposition(),
            Some("attachment; filename=\"n.txt\""),
            "{what}"
        );
        let meta: BTreeMap<_, _> = h
            .metadata()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .collect();
        assert_eq!(
            meta.get("project").map(String::as_str),
            Some("apollo"),
            "{what}"
        );
        // S3 leaves STANDARD out of HEAD answers.
        let class = h.storage_class().map(|c| c.as_str().to_owned());
        if storage_class == "STANDARD" {
            assert!(
                matches!(class.as_deref(), None | Some("STANDARD")),
                "{what}: {class:?}"
            );
        } else {
            assert_eq!(class.as_deref(), Some(storage_class), "{what}");
        }
        if tags {
            assert_eq!(
                h.server_side_encryption().map(|s| s.as_str()),
                Some("AES256"),
                "{what}"
            );
            let t = s3
                .get_object_tagging()
                .bucket(&bucket)
                .key(key)
                .send()
                .await
                .unwrap();
            let got: BTreeMap<_, _> = t
                .tag_set()
                .iter()
                .map(|t| (t.key().to_owned(), t.value().to_owned()))
                .collect();
            assert_eq!(
                got.get("team").map(String::as_str),
                Some("blue green"),
                "{what}"
            );
            assert_eq!(got.get("env").map(String::as_str), Some("prod"), "{what}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_round_trip_on_seaweedfs_single_put_and_multipart() {
    let store = TestStore::seaweed().await;
    check_round_trip(&store, "STANDARD_IA", true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_round_trip_on_the_embedded_store_single_put_and_multipart() {
    let store = TestStore::embedded().await;
    // The local store keeps every object as STANDARD, and neither tags nor SSE.
    check_round_trip(&store, "STANDARD", false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_store_refuses_tags_encryption_and_storage_classes_in_words_and_stores_nothing()
 {
    let store = TestStore::embedded().await;
    for (what, o) in [
        ("tags", {
            let mut o = ObjectOptions::default();
            o.tags.insert("team".into(), "blue".into());
            o
        }),
        (
            "server-side encryption",
            ObjectOptions {
                sse: Some(Sse::Aes256),
                ..Default::default()
            },
        ),
        (
            "storage class GLACIER",
            ObjectOptions {
                storage_class: Some("GLACIER".into()),
                ..Default::default()
            },
        ),
    ] {
        let bucket = store.bucket("unkept").await;
        let (_d, dir) = tmp();
        let small = dir.join("note.txt");
        std::fs::write(&small, b"hello").unwrap();
        let big = dir.join("big.bin");
        write_random(&big, 11 * MIB as usize, 8);
        let engine = engine(&dir, fast_settings()).await;
        let ids = engine
            .add(
                vec![small, big],
                store.target(&bucket),
                AddOptions {
                    object: o,
                    ..AddOptions::default()
                },
            )
            .await
            .unwrap();
        tokio::time::timeout(LIMIT, engine.wait_idle())
            .await
            .unwrap()
            .unwrap();
        let snap = engine.snapshot().await.unwrap();
        for id in ids {
            let s = snap.iter().find(|s| s.id == id).unwrap();
            assert_eq!(s.state, ItemState::Failed, "{what}");
            let e = s.error.clone().unwrap_or_default();
            assert!(
                e.contains("not supported by this store") && e.contains(what),
                "{what}: {e}"
            );
        }
        let listed = store
            .s3()
            .await
            .list_objects_v2()
            .bucket(&bucket)
            .send()
            .await
            .unwrap();
        assert_eq!(listed.key_count(), Some(0), "{what}: nothing stored");
    }
}

#[tokio::test]
async fn bad_options_are_refused_before_anything_is_queued() {
    let (_d, dir) = tmp();
    let f = dir.join("a.txt");
    std::fs::write(&f, b"x").unwrap();
    let engine = engine(&dir, fast_settings()).await;
    let o = ObjectOptions {
        storage_class: Some("FASTEST".into()),
        ..Default::default()
    };
    let e = engine
        .add(
            vec![f],
            target("never-created"),
            AddOptions {
                object: o,
                ..AddOptions::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidInput);
    assert!(e.to_string().contains("unknown storage class"), "{e}");
    assert!(engine.snapshot().await.unwrap().is_empty());
}

/// The options live in the journal with the upload: an engine started later (the app
/// restarted) creates the multipart upload with them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_survive_a_restart_before_the_upload_begins() {
    let store = TestStore::seaweed().await;
    let bucket = store.bucket("objrestart").await;
    let (_d, dir) = tmp();
    let big = dir.join("big.bin");
    write_random(&big, 11 * MIB as usize, 9);
    {
        let engine = engine(&dir, fast_settings()).await;
        engine
            .add(
                vec![big],
                store.target(&bucket),
                AddOptions {
                    object: options("STANDARD_IA", true),
                    start_paused: true,
                    ..AddOptions::default()
                },
            )
            .await
            .unwrap();
        engine.shutdown().await.unwrap();
    }
    let engine = engine(&dir, fast_settings()).await;
    engine.load_stopped().await.unwrap();
    engine.resume_all().await.unwrap();
    tokio::time::timeout(LIMIT, engine.wait_idle())
        .await
        .unwrap()
        .unwrap();
    let s3 = store.s3().await;
    let h = s3
        .head_object()
        .bucket(&bucket)
        .key("big.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(h.content_type(), Some("text/x-hoist"));
    assert_eq!(h.storage_class().map(|c| c.as_str()), Some("STANDARD_IA"));
    assert_eq!(
        h.server_side_encryption().map(|s| s.as_str()),
        Some("AES256")
    );
    let tags = s3
        .get_object_tagging()
        .bucket(&bucket)
        .key("big.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tag_set().len(), 2);
}
