//! The bucket browser against the real S3 server: folders, paging past one page,
//! filtering, details, download and delete.

mod common;

use std::collections::BTreeSet;

use common::*;
use hoist_core::objects::browse::{self, ListRequest};
use hoist_core::{AwsChainCredentials, BucketAccess, ErrorCode};

async fn put(bucket: &str, key: &str, data: &[u8]) {
    s3().await
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_type("text/plain")
        .metadata("origin", "hoist-test")
        .body(data.to_vec().into())
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_pages_through_more_objects_than_one_page() {
    let b = bucket("browse-page").await;
    let mut expected = BTreeSet::new();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..23 {
        let (b, key) = (b.clone(), format!("photos/img-{i:03}.txt"));
        expected.insert(key.clone());
        tasks.spawn(async move { put(&b, &key, b"x").await });
    }
    tasks.spawn({
        let b = b.clone();
        async move { put(&b, "photos/2024/deep.txt", b"deep").await }
    });
    tasks.spawn({
        let b = b.clone();
        async move { put(&b, "top.txt", b"top").await }
    });
    while tasks.join_next().await.is_some() {}
    let a = BucketAccess::connect(&AwsChainCredentials, target(&b))
        .await
        .unwrap();

    let root = browse::list(&a, &ListRequest::default()).await.unwrap();
    assert_eq!(root.folders.len(), 1);
    assert_eq!(root.folders[0].name, "photos");
    assert_eq!(root.folders[0].prefix, "photos/");
    assert_eq!(root.objects.len(), 1);
    assert_eq!(root.objects[0].name, "top.txt");
    assert_eq!(root.objects[0].size, 3);
    assert!(root.next.is_none());

    let mut req = ListRequest {
        prefix: "photos".into(),
        page_size: 10,
        ..Default::default()
    };
    let mut seen = BTreeSet::new();
    let mut folders = Vec::new();
    let mut pages = 0;
    loop {
        let page = browse::list(&a, &req).await.unwrap();
        pages += 1;
        assert!(page.objects.len() + page.folders.len() <= 10);
        for o in &page.objects {
            assert!(seen.insert(o.key.clone()), "{} listed twice", o.key);
            assert_eq!(o.name, o.key.trim_start_matches("photos/"));
        }
        folders.extend(page.folders.iter().map(|f| f.name.clone()));
        match page.next {
            Some(next) => req.continuation = Some(next),
            None => break,
        }
    }
    assert!(
        pages >= 3,
        "24 entries in pages of 10 take 3 pages, got {pages}"
    );
    assert_eq!(seen, expected);
    assert_eq!(folders, vec!["2024"]);

    // A filter keeps reading pages until it has matches.
    let filtered = browse::list(
        &a,
        &ListRequest {
            prefix: "photos/".into(),
            filter: Some("IMG-02".into()),
            page_size: 5,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let names: Vec<_> = filtered.objects.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["img-020.txt", "img-021.txt", "img-022.txt"]);
}

#[tokio::test]
async fn details_download_and_delete() {
    let b = bucket("browse-del").await;
    put(&b, "notes/a.txt", b"hello browser").await;
    let a = BucketAccess::connect(&AwsChainCredentials, target(&b))
        .await
        .unwrap();

    let d = browse::details(&a, "notes/a.txt").await.unwrap();
    assert_eq!(d.size, 13);
    assert_eq!(d.content_type.as_deref(), Some("text/plain"));
    assert_eq!(
        d.metadata.get("origin").map(String::as_str),
        Some("hoist-test")
    );
    assert!(d.etag.is_some());
    assert!(d.modified.is_some());

    let (_t, dir) = tmp();
    let dest = dir.join("a.txt");
    assert_eq!(
        browse::download(&a, "notes/a.txt", &dest).await.unwrap(),
        13
    );
    assert_eq!(std::fs::read(&dest).unwrap(), b"hello browser");
    let e = browse::download(&a, "notes/zz.txt", &dir.join("zz"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
    assert!(!dir.join("zz").exists());

    browse::delete(&a, "notes/a.txt").await.unwrap();
    assert!(
        object(&b, "notes/a.txt").await.is_none(),
        "delete removes the object"
    );
    let e = browse::delete(&a, "notes/a.txt").await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound, "{e}");
    let e = browse::details(&a, "notes/a.txt").await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);

    let gone = BucketAccess::connect(&AwsChainCredentials, target("no-such-bucket-hoist"))
        .await
        .unwrap();
    let e = browse::list(&gone, &ListRequest::default())
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::NoSuchBucket, "{e}");
}

/// Previews read what they need and no more: a text object's first bytes, and the
/// byte ranges a video element asks for, bounded whatever the Range header says.
#[tokio::test]
async fn previews_read_bounded_ranges() {
    use hoist_core::objects::preview::{self, Unsatisfiable};
    let b = bucket("browse-preview").await;
    let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    put(&b, "clip.bin", &data).await;
    put(&b, "notes.txt", "héllo preview\n".repeat(1000).as_bytes()).await;
    put(&b, "empty.txt", b"").await;
    let a = BucketAccess::connect(&AwsChainCredentials, target(&b))
        .await
        .unwrap();

    let r = preview::read_range(&a, "clip.bin", Some("bytes=1000-"), 4096)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (r.status, r.start, r.end, r.total),
        (206, 1000, 5095, 100_000)
    );
    assert_eq!(r.body, data[1000..5096]);
    let r = preview::read_range(&a, "clip.bin", Some("bytes=-10"), 4096)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.body, data[99_990..]);
    let r = preview::read_range(&a, "clip.bin", None, 1 << 20)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((r.status, r.body.len()), (200, 100_000));
    let r = preview::read_range(&a, "clip.bin", Some("bytes=100000-"), 4096)
        .await
        .unwrap();
    assert_eq!(r.unwrap_err(), Unsatisfiable);
    let r = preview::read_range(&a, "empty.txt", None, 4096)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((r.status, r.body.len()), (200, 0));

    let t = preview::text_preview(&a, "notes.txt", 64).await.unwrap();
    assert!(t.truncated && t.size == 15_000, "{t:?}");
    assert!(t.text.starts_with("héllo preview\nhéllo"), "{:?}", t.text);
    let e = preview::text_preview(&a, "clip.bin", 64).await.unwrap_err();
    assert!(e.to_string().contains("is not text"), "{e}");
    let e = preview::read_range(&a, "nope.txt", None, 10)
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
}

#[tokio::test]
async fn a_cancelled_download_leaves_nothing_behind() {
    let b = bucket("browse-cancel").await;
    let body = vec![7u8; 4 * 1024 * 1024];
    put(&b, "big.bin", &body).await;
    let a = BucketAccess::connect(&AwsChainCredentials, target(&b))
        .await
        .unwrap();
    let (_t, dir) = tmp();
    let dest = dir.join("big.bin");
    let cancel = tokio_util::sync::CancellationToken::new();
    let seen = std::sync::atomic::AtomicU64::new(0);
    let e = browse::download_cancellable(
        &a,
        "big.bin",
        &dest,
        |done, _| {
            seen.store(done, std::sync::atomic::Ordering::SeqCst);
            if done > 0 {
                cancel.cancel();
            }
        },
        &cancel,
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Cancelled, "{e}");
    let got = seen.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        got > 0 && got < body.len() as u64,
        "cancelled mid-way ({got} bytes)"
    );
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert!(
        left.is_empty(),
        "nothing at the chosen path, no partial file: {left:?}"
    );

    // Not cancelled: the whole object, byte for byte.
    let n = browse::download_cancellable(&a, "big.bin", &dest, |_, _| {}, &cancel_never())
        .await
        .unwrap();
    assert_eq!(n, body.len() as u64);
    assert_eq!(std::fs::read(&dest).unwrap(), body);
}

fn cancel_never() -> tokio_util::sync::CancellationToken {
    tokio_util::sync::CancellationToken::new()
}
