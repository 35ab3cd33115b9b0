//! Starting the store on loopback and talking to it through the AWS SDK.

#![allow(dead_code)]

use std::net::{Ipv4Addr, SocketAddr};

use aws_sdk_s3::Client;
use aws_sdk_s3::config::RequestChecksumCalculation;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, CompletedPart};
use hoist_localstore::{LocalStore, LocalStoreConfig};

pub const MIB: usize = 1024 * 1024;

/// Starts a store with the bucket `hoist`; the client uses the SDK's defaults.
pub async fn start(dir: &std::path::Path, port: u16) -> (LocalStore, Client) {
    let store = LocalStore::start(LocalStoreConfig {
        data_dir: dir.to_path_buf(),
        addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        access_key: "local-ak".into(),
        secret_key: "local-sk".into(),
        buckets: vec!["hoist".into()],
        ..LocalStoreConfig::default()
    })
    .await
    .expect("store starts");
    let s3 = client(&store, RequestChecksumCalculation::WhenSupported);
    (store, s3)
}

/// A client that adds checksums to requests `when` (WhenRequired: only those asked
/// for, as Hoist and older clients send).
pub fn client(store: &LocalStore, when: RequestChecksumCalculation) -> Client {
    let creds = aws_sdk_s3::config::Credentials::new("local-ak", "local-sk", None, None, "test");
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version_latest()
        .endpoint_url(store.endpoint())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .credentials_provider(creds)
        .force_path_style(true)
        .request_checksum_calculation(when)
        .build();
    Client::from_conf(conf)
}

pub fn code<E: aws_sdk_s3::error::ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or("?").to_owned()
}

pub fn message<E: aws_sdk_s3::error::ProvideErrorMetadata>(e: &E) -> String {
    e.message().unwrap_or("").to_owned()
}

/// A multipart upload created with `algorithm` (or none).
pub async fn create_with(s3: &Client, key: &str, algorithm: Option<ChecksumAlgorithm>) -> String {
    s3.create_multipart_upload()
        .bucket("hoist")
        .key(key)
        .set_checksum_algorithm(algorithm)
        .send()
        .await
        .unwrap()
        .upload_id
        .unwrap()
}

pub async fn create(s3: &Client, key: &str) -> String {
    create_with(s3, key, Some(ChecksumAlgorithm::Crc32C)).await
}

/// Sends a part with its CRC32C, and returns it as Complete lists it.
pub async fn put_part(s3: &Client, key: &str, id: &str, n: i32, data: Vec<u8>) -> CompletedPart {
    let out = s3
        .upload_part()
        .bucket("hoist")
        .key(key)
        .upload_id(id)
        .part_number(n)
        .checksum_algorithm(ChecksumAlgorithm::Crc32C)
        .body(ByteStream::from(data))
        .send()
        .await
        .unwrap();
    CompletedPart::builder()
        .part_number(n)
        .set_e_tag(out.e_tag)
        .set_checksum_crc32_c(out.checksum_crc32_c)
        .build()
}

pub fn bytes(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}
