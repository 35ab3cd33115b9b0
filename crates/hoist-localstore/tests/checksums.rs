//! The store holds multipart uploads to S3's checksum rules, as strictly as AWS and
//! Garage: a part list that lenient stores accept is refused here, so Hoist's suites
//! running against this store catch what those stores would refuse.

mod common;

use aws_sdk_s3::Client;
use aws_sdk_s3::config::RequestChecksumCalculation;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, ChecksumMode, CompletedMultipartUpload, CompletedPart};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::*;
use md5::Digest as _;

fn crc32c_b64(data: &[u8]) -> String {
    STANDARD.encode(crc32c::crc32c(data).to_be_bytes())
}

/// A part sent with `Content-MD5` only, as Hoist's md5 mode and older clients do.
async fn put_part_md5(s3: &Client, key: &str, id: &str, n: i32, data: &[u8]) -> String {
    s3.upload_part()
        .bucket("hoist")
        .key(key)
        .upload_id(id)
        .part_number(n)
        .content_md5(STANDARD.encode(md5::Md5::digest(data)))
        .body(ByteStream::from(data.to_vec()))
        .send()
        .await
        .unwrap()
        .e_tag
        .unwrap()
}

async fn complete(
    s3: &Client,
    key: &str,
    id: &str,
    parts: Vec<CompletedPart>,
) -> Result<Option<String>, (String, String)> {
    s3.complete_multipart_upload()
        .bucket("hoist")
        .key(key)
        .upload_id(id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await
        .map(|o| o.e_tag)
        .map_err(|e| {
            let e = e.into_service_error();
            (code(&e), message(&e))
        })
}

async fn parts_on_store(s3: &Client, key: &str, id: &str) -> usize {
    s3.list_parts()
        .bucket("hoist")
        .key(key)
        .upload_id(id)
        .send()
        .await
        .unwrap()
        .parts()
        .len()
}

#[tokio::test]
async fn an_upload_created_without_a_checksum_refuses_part_checksums_in_complete() {
    // What Hoist's md5 mode sent before the fix: parts with Content-MD5 only, then
    // Complete listing each part's CRC32C. Garage refuses it; so must this store.
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = start(dir.path(), 0).await;
    let s3 = client(&store, RequestChecksumCalculation::WhenRequired);
    let key = "md5 mode.bin";
    let id = create_with(&s3, key, None).await;
    let (a, b) = (bytes(5 * MIB, 1), bytes(MIB, 2));
    let ea = put_part_md5(&s3, key, &id, 1, &a).await;
    let eb = put_part_md5(&s3, key, &id, 2, &b).await;
    let listed = |with_crc: bool| {
        vec![
            CompletedPart::builder()
                .part_number(1)
                .e_tag(&ea)
                .set_checksum_crc32_c(with_crc.then(|| crc32c_b64(&a)))
                .build(),
            CompletedPart::builder()
                .part_number(2)
                .e_tag(&eb)
                .set_checksum_crc32_c(with_crc.then(|| crc32c_b64(&b)))
                .build(),
        ]
    };
    let (code, message) = complete(&s3, key, &id, listed(true)).await.unwrap_err();
    assert_eq!(code, "InvalidRequest", "{message}");
    assert!(
        message.contains("without a checksum algorithm") && message.contains("part 1"),
        "{message}"
    );
    assert_eq!(
        parts_on_store(&s3, key, &id).await,
        2,
        "the upload is intact"
    );

    let etag = complete(&s3, key, &id, listed(false))
        .await
        .unwrap()
        .unwrap();
    let mut md5s = md5::Md5::digest(&a).to_vec();
    md5s.extend(md5::Md5::digest(&b));
    assert_eq!(
        etag.trim_matches('"'),
        format!("{}-2", hex::encode(md5::Md5::digest(&md5s)))
    );
    let head = s3
        .head_object()
        .bucket("hoist")
        .key(key)
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(head.checksum_crc32_c(), None, "no algorithm, no composite");
}

#[tokio::test]
async fn complete_lists_exactly_the_uploads_algorithm_with_matching_values() {
    let dir = tempfile::tempdir().unwrap();
    let (_store, s3) = start(dir.path(), 0).await;
    let key = "crc.bin";
    let id = create(&s3, key).await;
    let p1 = put_part(&s3, key, &id, 1, bytes(5 * MIB, 3)).await;
    let p2 = put_part(&s3, key, &id, 2, bytes(1000, 4)).await;
    assert!(
        p1.checksum_crc32_c().is_some(),
        "the part's CRC32C is echoed"
    );

    // Another algorithm than the upload's.
    let other = CompletedPart::builder()
        .part_number(2)
        .set_e_tag(p2.e_tag().map(str::to_owned))
        .checksum_sha256("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
        .build();
    let (code, message) = complete(&s3, key, &id, vec![p1.clone(), other])
        .await
        .unwrap_err();
    assert_eq!(code, "InvalidRequest", "{message}");
    assert!(message.contains("SHA256"), "{message}");
    // No checksum for a part.
    let bare = CompletedPart::builder()
        .part_number(2)
        .set_e_tag(p2.e_tag().map(str::to_owned))
        .build();
    let (code, message) = complete(&s3, key, &id, vec![p1.clone(), bare])
        .await
        .unwrap_err();
    assert_eq!(code, "InvalidRequest", "{message}");
    assert!(message.contains("missing for part 2"), "{message}");
    // A value that is not the part's.
    let wrong = CompletedPart::builder()
        .part_number(2)
        .set_e_tag(p2.e_tag().map(str::to_owned))
        .checksum_crc32_c(crc32c_b64(b"other bytes"))
        .build();
    let (code, message) = complete(&s3, key, &id, vec![p1.clone(), wrong])
        .await
        .unwrap_err();
    assert_eq!(code, "InvalidPart", "{message}");
    assert_eq!(
        parts_on_store(&s3, key, &id).await,
        2,
        "the upload is intact"
    );

    complete(&s3, key, &id, vec![p1, p2]).await.unwrap();
    let head = s3
        .head_object()
        .bucket("hoist")
        .key(key)
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert!(head.checksum_crc32_c().unwrap().ends_with("-2"));
}

#[tokio::test]
async fn a_part_without_the_uploads_checksum_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (store, s3) = start(dir.path(), 0).await;
    let key = "needs-crc";
    let id = create(&s3, key).await;
    // Content-MD5 only.
    let plain = client(&store, RequestChecksumCalculation::WhenRequired);
    let data = bytes(1000, 5);
    let e = plain
        .upload_part()
        .bucket("hoist")
        .key(key)
        .upload_id(&id)
        .part_number(1)
        .content_md5(STANDARD.encode(md5::Md5::digest(&data)))
        .body(ByteStream::from(data.clone()))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(code(&e), "InvalidRequest");
    assert!(
        message(&e).contains("expected checksum Type: crc32c"),
        "{e:?}"
    );
    // Another algorithm's checksum (the SDK's default CRC32, streamed in a trailer).
    let e = s3
        .upload_part()
        .bucket("hoist")
        .key(key)
        .upload_id(&id)
        .part_number(1)
        .checksum_algorithm(ChecksumAlgorithm::Crc32)
        .body(ByteStream::from(data))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(code(&e), "InvalidRequest");
    assert!(message(&e).contains("actual checksum Type: crc32"), "{e:?}");
    assert_eq!(parts_on_store(&s3, key, &id).await, 0);
}

#[tokio::test]
async fn other_algorithms_work_end_to_end_as_the_aws_cli_uses_them() {
    // aws-cli and the SDKs create uploads with CRC32 (or SHA256) and stream each part's
    // checksum in a trailer: the store checks it and keeps it for Complete.
    let dir = tempfile::tempdir().unwrap();
    let (_store, s3) = start(dir.path(), 0).await;
    for (algorithm, key) in [
        (ChecksumAlgorithm::Crc32, "crc32.bin"),
        (ChecksumAlgorithm::Sha256, "sha256.bin"),
    ] {
        let id = create_with(&s3, key, Some(algorithm.clone())).await;
        let mut parts = Vec::new();
        for (n, data) in [(1, bytes(5 * MIB, 6)), (2, bytes(77, 7))] {
            let out = s3
                .upload_part()
                .bucket("hoist")
                .key(key)
                .upload_id(&id)
                .part_number(n)
                .checksum_algorithm(algorithm.clone())
                .body(ByteStream::from(data))
                .send()
                .await
                .unwrap();
            assert!(
                out.checksum_crc32().is_some() || out.checksum_sha256().is_some(),
                "{algorithm:?}: the part's checksum is echoed"
            );
            parts.push(
                CompletedPart::builder()
                    .part_number(n)
                    .set_e_tag(out.e_tag)
                    .set_checksum_crc32(out.checksum_crc32)
                    .set_checksum_sha256(out.checksum_sha256)
                    .build(),
            );
        }
        complete(&s3, key, &id, parts).await.unwrap();
        let head = s3
            .head_object()
            .bucket("hoist")
            .key(key)
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await
            .unwrap();
        let composite = head.checksum_crc32().or(head.checksum_sha256());
        assert!(
            composite.is_some_and(|c| c.ends_with("-2")),
            "{algorithm:?}: {head:?}"
        );
    }
}
