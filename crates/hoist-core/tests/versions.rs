//! Object versions on SeaweedFS (versioning on) and what the embedded store says.

mod common;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
use common::stores::TestStore;
use hoist_core::ErrorCode;
use hoist_core::objects::versions;

async fn put(s3: &aws_sdk_s3::Client, b: &str, key: &str, body: &'static [u8]) {
    s3.put_object()
        .bucket(b)
        .key(key)
        .body(ByteStream::from_static(body))
        .send()
        .await
        .unwrap();
}

async fn get(s3: &aws_sdk_s3::Client, b: &str, key: &str) -> Vec<u8> {
    s3.get_object()
        .bucket(b)
        .key(key)
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes()
        .to_vec()
}

#[tokio::test]
async fn versions_are_listed_restored_and_downloaded_on_seaweedfs() {
    let store = TestStore::seaweed().await;
    let s3 = store.s3().await;
    let b = store.bucket("vers").await;
    assert!(!versions::versioning_on(&s3, &b).await.unwrap());
    s3.put_bucket_versioning()
        .bucket(&b)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(versions::versioning_on(&s3, &b).await.unwrap());
    put(&s3, &b, "asset.txt", b"first version").await;
    put(&s3, &b, "asset.txt", b"second").await;
    put(&s3, &b, "asset.txt.bak", b"other key").await;
    let listed = versions::list_versions(&s3, &b, "asset.txt").await.unwrap();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(listed[0].is_latest);
    assert_eq!(listed[0].size, 6);
    let first = listed
        .iter()
        .find(|v| v.size == 13)
        .unwrap()
        .version_id
        .clone();

    let (_d, dir) = common::tmp();
    let dest = dir.join("old.txt");
    versions::download_version(&s3, &b, "asset.txt", &first, &dest)
        .await
        .unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), b"first version");

    let restored = versions::restore(&s3, &b, "asset.txt", &first)
        .await
        .unwrap();
    assert_eq!(restored.size, 13);
    assert_eq!(get(&s3, &b, "asset.txt").await, b"first version");
    let after = versions::list_versions(&s3, &b, "asset.txt").await.unwrap();
    assert_eq!(after.len(), 3, "the replaced version stays: {after:?}");

    let e = versions::restore(&s3, &b, "asset.txt", "no-such-version")
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
}

#[tokio::test]
async fn the_embedded_store_says_it_keeps_no_versions() {
    let store = TestStore::embedded().await;
    let s3 = store.s3().await;
    let b = store.bucket("vers").await;
    put(&s3, &b, "asset.txt", b"x").await;
    let e = versions::list_versions(&s3, &b, "asset.txt")
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Unsupported, "{e}");
    assert!(e.to_string().contains("not supported by this store"), "{e}");
}
