//! The local store behaves like S3 where Hoist depends on it, checked through the AWS
//! SDK over real HTTP (the engine's own suites also run against it: scripts/test.sh).

use std::net::{Ipv4Addr, SocketAddr};

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, ChecksumMode, CompletedMultipartUpload, CompletedPart};
use hoist_localstore::{LocalStore, LocalStoreConfig};

const MIB: usize = 1024 * 1024;

async fn start(dir: &std::path::Path, port: u16) -> (LocalStore, Client) {
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
    let creds = aws_sdk_s3::config::Credentials::new("local-ak", "local-sk", None, None, "test");
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version_latest()
        .endpoint_url(store.endpoint())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .credentials_provider(creds)
        .force_path_style(true)
        .build();
    (store, Client::from_conf(conf))
}

fn code<E: aws_sdk_s3::error::ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or("?").to_owned()
}

async fn create(s3: &Client, key: &str) -> String {
    s3.create_multipart_upload()
        .bucket("hoist")
        .key(key)
        .checksum_algorithm(ChecksumAlgorithm::Crc32C)
        .send()
        .await
        .unwrap()
        .upload_id
        .unwrap()
}

async fn put_part(s3: &Client, key: &str, id: &str, n: i32, data: Vec<u8>) -> CompletedPart {
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

fn bytes(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[tokio::test]
async fn list_parts_is_sorted_paged_and_carries_etags() {
    let dir = tempfile::tempdir().unwrap();
    let (_store, s3) = start(dir.path(), 0).await;
    let id = create(&s3, "paged.bin").await;
    let mut sent = Vec::new();
    for n in [5, 3, 1, 4, 2] {
        sent.push(put_part(&s3, "paged.bin", &id, n, bytes(1000 + n as usize, n as u8)).await);
    }
    // Part 3 again with other bytes: replaced, listed once.
    let again = put_part(&s3, "paged.bin", &id, 3, bytes(10, 99)).await;

    let mut listed = Vec::new();
    let mut marker = None;
    let mut pages = 0;
    loop {
        let page = s3
            .list_parts()
            .bucket("hoist")
            .key("paged.bin")
            .upload_id(&id)
            .max_parts(2)
            .set_part_number_marker(marker.clone())
            .send()
            .await
            .unwrap();
        pages += 1;
        listed.extend(page.parts().iter().cloned());
        if !page.is_truncated().unwrap_or(false) {
            break;
        }
        marker = page.next_part_number_marker().map(str::to_owned);
    }
    assert_eq!(pages, 3);
    let numbers: Vec<i32> = listed.iter().filter_map(|p| p.part_number()).collect();
    assert_eq!(numbers, [1, 2, 3, 4, 5]);
    assert_eq!(listed[2].size(), Some(10));
    assert_eq!(listed[2].e_tag(), again.e_tag());
    let first = sent.iter().find(|p| p.part_number() == Some(1)).unwrap();
    assert_eq!(listed[0].e_tag(), first.e_tag());
    assert_eq!(listed[0].checksum_crc32_c(), first.checksum_crc32_c());
}

#[tokio::test]
async fn complete_checks_etags_order_and_sizes_then_the_upload_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let (_store, s3) = start(dir.path(), 0).await;
    let key = "dir/complete me.bin";
    let id = create(&s3, key).await;
    let a = bytes(5 * MIB, 1);
    let b = bytes(MIB + 7, 2);
    let p1 = put_part(&s3, key, &id, 1, a.clone()).await;
    let p2 = put_part(&s3, key, &id, 2, b.clone()).await;

    let complete = |parts: Vec<CompletedPart>| {
        s3.complete_multipart_upload()
            .bucket("hoist")
            .key(key)
            .upload_id(&id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
    };
    let wrong_etag = CompletedPart::builder()
        .part_number(2)
        .e_tag("\"00000000000000000000000000000000\"")
        .build();
    let e = complete(vec![p1.clone(), wrong_etag]).await.unwrap_err();
    assert_eq!(code(&e.into_service_error()), "InvalidPart");
    let e = complete(vec![p2.clone(), p1.clone()]).await.unwrap_err();
    assert_eq!(code(&e.into_service_error()), "InvalidPartOrder");
    let missing = CompletedPart::builder().part_number(3).build();
    let e = complete(vec![p1.clone(), p2.clone(), missing])
        .await
        .unwrap_err();
    assert_eq!(code(&e.into_service_error()), "InvalidPart");
    // A failed Complete leaves the upload intact.
    assert_eq!(
        s3.list_parts()
            .bucket("hoist")
            .key(key)
            .upload_id(&id)
            .send()
            .await
            .unwrap()
            .parts()
            .len(),
        2
    );

    let done = complete(vec![p1, p2]).await.unwrap();
    let etag = done.e_tag().unwrap().trim_matches('"').to_owned();
    assert!(etag.ends_with("-2"), "{etag}");

    let head = s3
        .head_object()
        .bucket("hoist")
        .key(key)
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some((a.len() + b.len()) as i64));
    assert_eq!(
        head.e_tag().map(|e| e.trim_matches('"')),
        Some(etag.as_str())
    );
    let crc = head.checksum_crc32_c().expect("composite CRC32C");
    assert!(crc.ends_with("-2"), "{crc}");

    let body = s3
        .get_object()
        .bucket("hoist")
        .key(key)
        .send()
        .await
        .unwrap();
    let got = body.body.collect().await.unwrap().into_bytes();
    assert!(
        got[..a.len()] == a[..] && got[a.len()..] == b[..],
        "bytes differ"
    );

    let e = s3
        .list_parts()
        .bucket("hoist")
        .key(key)
        .upload_id(&id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e.into_service_error()), "NoSuchUpload");
    let e = s3
        .abort_multipart_upload()
        .bucket("hoist")
        .key(key)
        .upload_id(&id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e.into_service_error()), "NoSuchUpload");
}

#[tokio::test]
async fn small_parts_other_than_the_last_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (_store, s3) = start(dir.path(), 0).await;
    let id = create(&s3, "small").await;
    let p1 = put_part(&s3, "small", &id, 1, bytes(100, 1)).await;
    let p2 = put_part(&s3, "small", &id, 2, bytes(100, 2)).await;
    let e = s3
        .complete_multipart_upload()
        .bucket("hoist")
        .key("small")
        .upload_id(&id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .parts(p1)
                .parts(p2)
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e.into_service_error()), "EntityTooSmall");
}

#[tokio::test]
async fn a_damaged_part_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (_store, s3) = start(dir.path(), 0).await;
    let id = create(&s3, "bad").await;
    let e = s3
        .upload_part()
        .bucket("hoist")
        .key("bad")
        .upload_id(&id)
        .part_number(1)
        .checksum_crc32_c("AAAAAA==")
        .body(ByteStream::from(bytes(1000, 1)))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e.into_service_error()), "BadDigest");
}

#[tokio::test]
async fn list_multipart_uploads_pages_through_every_upload_and_abort_removes_one() {
    let dir = tempfile::tempdir().unwrap();
    let (_store, s3) = start(dir.path(), 0).await;
    let mut ids = Vec::new();
    for key in ["c", "a", "b", "a", "d/e"] {
        ids.push((key.to_owned(), create(&s3, key).await));
    }
    let mut seen = Vec::new();
    let (mut km, mut um) = (None, None);
    loop {
        let page = s3
            .list_multipart_uploads()
            .bucket("hoist")
            .max_uploads(2)
            .set_key_marker(km.clone())
            .set_upload_id_marker(um.clone())
            .send()
            .await
            .unwrap();
        for u in page.uploads() {
            seen.push((
                u.key().unwrap().to_owned(),
                u.upload_id().unwrap().to_owned(),
            ));
        }
        if !page.is_truncated().unwrap_or(false) {
            break;
        }
        km = page.next_key_marker().map(str::to_owned);
        um = page.next_upload_id_marker().map(str::to_owned);
    }
    let keys: Vec<&str> = seen.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(keys, ["a", "a", "b", "c", "d/e"]);
    let mut expected = ids.clone();
    expected.sort();
    let mut got = seen.clone();
    got.sort();
    assert_eq!(got, expected);

    let prefixed = s3
        .list_multipart_uploads()
        .bucket("hoist")
        .prefix("d/")
        .send()
        .await
        .unwrap();
    assert_eq!(prefixed.uploads().len(), 1);

    let (key, id) = &ids[0];
    s3.abort_multipart_upload()
        .bucket("hoist")
        .key(key)
        .upload_id(id)
        .send()
        .await
        .unwrap();
    let after = s3
        .list_multipart_uploads()
        .bucket("hoist")
        .send()
        .await
        .unwrap();
    assert_eq!(after.uploads().len(), 4);
}

#[tokio::test]
async fn objects_and_uploads_survive_a_restart_on_the_same_port() {
    let dir = tempfile::tempdir().unwrap();
    let (store, s3) = start(dir.path(), 0).await;
    let port = store.addr().port();
    s3.put_object()
        .bucket("hoist")
        .key("kept.txt")
        .body(ByteStream::from_static(b"still here"))
        .send()
        .await
        .unwrap();
    let id = create(&s3, "pending.bin").await;
    put_part(&s3, "pending.bin", &id, 1, bytes(10, 1)).await;
    store.stop().await;

    let (_store, s3) = start(dir.path(), port).await;
    let got = s3
        .get_object()
        .bucket("hoist")
        .key("kept.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(
        &got.body.collect().await.unwrap().into_bytes()[..],
        b"still here"
    );
    let parts = s3
        .list_parts()
        .bucket("hoist")
        .key("pending.bin")
        .upload_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(parts.parts().len(), 1);
}

#[tokio::test]
async fn cors_preflight_allows_browser_uploads() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let (store, _s3) = start(dir.path(), 0).await;
    let mut tcp = tokio::net::TcpStream::connect(store.addr()).await.unwrap();
    let req = format!(
        "OPTIONS /hoist/photo.jpg HTTP/1.1\r\nHost: {}\r\nOrigin: http://localhost:3000\r\n\
         Access-Control-Request-Method: PUT\r\nAccess-Control-Request-Headers: content-type\r\n\
         Connection: close\r\n\r\n",
        store.addr()
    );
    tcp.write_all(req.as_bytes()).await.unwrap();
    let mut resp = String::new();
    tcp.read_to_string(&mut resp).await.unwrap();
    let lower = resp.to_ascii_lowercase();
    assert!(lower.starts_with("http/1.1 200"), "{resp}");
    assert!(
        lower.contains("access-control-allow-origin: http://localhost:3000"),
        "{resp}"
    );
    assert!(
        lower.contains("access-control-allow-methods:") && lower.contains("put"),
        "{resp}"
    );
}
