//! Upload from a URL: a local HTTP server (tests/common/http_source.rs) feeds the real
//! S3 server through `fetch_url`.

mod common;

use common::http_source::{HttpSource, expected_crc};
use common::*;
use hoist_core::objects::fetch::{FetchOptions, fetch_url};
use hoist_core::{AwsChainCredentials, BucketAccess, ErrorCode, MIB};

async fn access(bucket: &str) -> BucketAccess {
    BucketAccess::connect(&AwsChainCredentials, target(bucket))
        .await
        .unwrap()
}

fn crc_of(data: &[u8]) -> u32 {
    crc32c::crc32c(data)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_and_multipart_bodies_land_intact() {
    let src = HttpSource::start().await;
    let b = bucket("fetch-ok").await;
    let a = access(&b).await;

    let mut opts = FetchOptions::new("in/small.png");
    opts.allowed_types = vec!["image/*".into()];
    let small = fetch_url(
        &a,
        &src.url("/bytes?size=70000&seed=3&type=image/png"),
        &opts,
        |_, _| {},
    )
    .await
    .unwrap();
    assert!(!small.multipart);
    assert_eq!(small.size, 70000);
    assert_eq!(small.content_type, "image/png");
    let got = object(&b, "in/small.png").await.unwrap();
    assert_eq!(crc_of(&got), expected_crc(70000, 3));

    // Chunked (no length), three parts and a tail.
    let size = 3 * 5 * MIB + 12345;
    let mut opts = FetchOptions::new("in/big.bin");
    opts.part_size = 5 * MIB;
    let big = fetch_url(
        &a,
        &src.url(&format!("/bytes?size={size}&seed=4&chunked=1")),
        &opts,
        |_, _| {},
    )
    .await
    .unwrap();
    assert!(big.multipart);
    assert_eq!(big.size, size);
    let got = object(&b, "in/big.bin").await.unwrap();
    assert_eq!(got.len() as u64, size);
    assert_eq!(crc_of(&got), expected_crc(size, 4));
    let head = s3()
        .await
        .head_object()
        .bucket(&b)
        .key("in/big.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type(), Some("application/octet-stream"));
}

#[tokio::test]
async fn a_missing_url_is_a_clear_404() {
    let src = HttpSource::start().await;
    let b = bucket("fetch-404").await;
    let e = fetch_url(
        &access(&b).await,
        &src.url("/missing.png"),
        &FetchOptions::new("x"),
        |_, _| {},
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound, "{e}");
    assert!(e.to_string().contains("404"), "{e}");
    assert!(keys(&b).await.is_empty());
}

#[tokio::test]
async fn a_type_not_allowed_is_refused() {
    let src = HttpSource::start().await;
    let b = bucket("fetch-type").await;
    let mut opts = FetchOptions::new("x.html");
    opts.allowed_types = vec!["image/*".into(), "application/pdf".into()];
    let e = fetch_url(
        &access(&b).await,
        &src.url("/bytes?size=100&type=text/html"),
        &opts,
        |_, _| {},
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotAllowedType, "{e}");
    assert!(e.to_string().contains("text/html"), "{e}");
    assert!(e.to_string().contains("image/*"), "{e}");
    assert!(keys(&b).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_bodies_are_refused_with_and_without_a_length() {
    let src = HttpSource::start().await;
    let b = bucket("fetch-size").await;
    let a = access(&b).await;
    let mut opts = FetchOptions::new("big.bin");
    opts.part_size = 5 * MIB;
    opts.max_size = Some(8 * MIB);

    // Declared: refused before a byte is sent to the store.
    let e = fetch_url(
        &a,
        &src.url(&format!("/bytes?size={}", 20 * MIB)),
        &opts,
        |_, _| {},
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::TooLarge, "{e}");
    assert!(e.to_string().contains("Content-Length"), "{e}");

    // Undeclared (chunked): refused while streaming, after a part went up; the
    // multipart upload is aborted, so nothing is left behind.
    let e = fetch_url(
        &a,
        &src.url(&format!("/bytes?size={}&chunked=1", 20 * MIB)),
        &opts,
        |_, _| {},
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::TooLarge, "{e}");
    assert!(e.to_string().contains("8388608"), "{e}");
    assert!(keys(&b).await.is_empty());
    assert_eq!(pending_multiparts(&b).await, 0);

    // Exactly the limit is fine.
    fetch_url(
        &a,
        &src.url(&format!("/bytes?size={}", 8 * MIB)),
        &opts,
        |_, _| {},
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_connection_fails_clearly_and_leaves_nothing() {
    let src = HttpSource::start().await;
    let b = bucket("fetch-cut").await;
    let a = access(&b).await;
    let mut opts = FetchOptions::new("cut.bin");
    opts.part_size = 5 * MIB;
    for chunked in ["0", "1"] {
        let url = src.url(&format!(
            "/bytes?size={}&cut={}&chunked={chunked}",
            20 * MIB,
            12 * MIB
        ));
        let e = fetch_url(&a, &url, &opts, |_, _| {}).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::Network, "{e}");
        assert!(e.to_string().contains("lost"), "{e}");
    }
    assert!(keys(&b).await.is_empty());
    assert_eq!(pending_multiparts(&b).await, 0);

    // Nobody listening.
    let e = fetch_url(&a, "http://127.0.0.1:9/x", &opts, |_, _| {})
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Network, "{e}");
}
