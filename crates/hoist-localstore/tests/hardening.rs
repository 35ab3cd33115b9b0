//! The local store as an attacker and a careful user see it: keys never leave their
//! bucket, files are private to their owner whatever the umask, abandoned uploads
//! expire, and Complete cannot mix a racing part into an object. Over real HTTP with
//! the AWS SDK.

use std::net::{Ipv4Addr, SocketAddr};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart, Delete, ObjectIdentifier,
};
use hoist_localstore::{LocalStore, LocalStoreConfig};
use md5::{Digest, Md5};

const MIB: usize = 1024 * 1024;

fn config(dir: &Path) -> LocalStoreConfig {
    LocalStoreConfig {
        data_dir: dir.to_path_buf(),
        addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        access_key: "local-ak".into(),
        secret_key: "local-sk".into(),
        buckets: vec!["hoist".into()],
        ..LocalStoreConfig::default()
    }
}

fn client(store: &LocalStore) -> Client {
    let creds = aws_sdk_s3::config::Credentials::new("local-ak", "local-sk", None, None, "test");
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version_latest()
        .endpoint_url(store.endpoint())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .credentials_provider(creds)
        .force_path_style(true)
        .build();
    Client::from_conf(conf)
}

async fn start(dir: &Path) -> (LocalStore, Client) {
    let store = LocalStore::start(config(dir)).await.expect("store starts");
    let s3 = client(&store);
    (store, s3)
}

fn code<E: aws_sdk_s3::error::ProvideErrorMetadata>(e: &E) -> String {
    format!(
        "{}: {}",
        e.code().unwrap_or("?"),
        e.message().unwrap_or_default()
    )
}

/// Every file below `root`, for "nothing was written outside" checks.
fn files_below(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if e.file_type().unwrap().is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

const BAD_KEYS: &[&str] = &[
    "../escape1.txt",
    "a/../../escape2.txt",
    "../../../escape3.txt",
    "a/./escape4.txt",
    "..",
    "with\0nul.txt",
];

fn refused(what: &str, result: String) {
    assert!(
        result.starts_with("InvalidArgument") && result.contains("leave"),
        "{what}: expected a clear InvalidArgument, got {result}"
    );
}

#[tokio::test]
async fn keys_that_would_leave_the_bucket_are_refused_by_every_operation() {
    let outer = tempfile::tempdir().unwrap();
    let data = outer.path().join("data");
    let (_store, s3) = start(&data).await;
    // Files an attacker would like to read or delete: beside the bucket, and outside
    // the store's folder.
    let beside = data.join("objects").join("beside.txt");
    std::fs::write(&beside, b"beside the bucket").unwrap();
    let outside = outer.path().join("outside.txt");
    std::fs::write(&outside, b"outside the store").unwrap();
    let before = files_below(outer.path());

    for key in BAD_KEYS {
        let e = s3
            .put_object()
            .bucket("hoist")
            .key(*key)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .unwrap_err();
        refused(&format!("PutObject {key:?}"), code(&e.into_service_error()));
        let e = s3
            .create_multipart_upload()
            .bucket("hoist")
            .key(*key)
            .send()
            .await
            .unwrap_err();
        refused(
            &format!("CreateMultipartUpload {key:?}"),
            code(&e.into_service_error()),
        );
    }
    for key in ["../beside.txt", "../../outside.txt"] {
        let e = s3
            .get_object()
            .bucket("hoist")
            .key(key)
            .send()
            .await
            .unwrap_err();
        refused(&format!("GetObject {key:?}"), code(&e.into_service_error()));
        let e = s3
            .delete_object()
            .bucket("hoist")
            .key(key)
            .send()
            .await
            .unwrap_err();
        refused(
            &format!("DeleteObject {key:?}"),
            code(&e.into_service_error()),
        );
        let e = s3
            .copy_object()
            .bucket("hoist")
            .key("copied.txt")
            .copy_source(format!("hoist/{key}"))
            .send()
            .await
            .unwrap_err();
        refused(
            &format!("CopyObject from {key:?}"),
            code(&e.into_service_error()),
        );
        // HEAD answers carry no body: the status alone says it was refused.
        let e = s3
            .head_object()
            .bucket("hoist")
            .key(key)
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            e.raw_response().map(|r| r.status().as_u16()),
            Some(400),
            "HeadObject {key:?}"
        );
    }
    // A real object copied to a key outside the bucket.
    s3.put_object()
        .bucket("hoist")
        .key("inside.txt")
        .body(ByteStream::from_static(b"inside"))
        .send()
        .await
        .unwrap();
    let e = s3
        .copy_object()
        .bucket("hoist")
        .key("../escape-copy.txt")
        .copy_source("hoist/inside.txt")
        .send()
        .await
        .unwrap_err();
    refused("CopyObject to ../", code(&e.into_service_error()));
    // DeleteObjects: the bad key is refused, the good one deleted.
    let del = s3
        .delete_objects()
        .bucket("hoist")
        .delete(
            Delete::builder()
                .objects(
                    ObjectIdentifier::builder()
                        .key("../beside.txt")
                        .build()
                        .unwrap(),
                )
                .objects(
                    ObjectIdentifier::builder()
                        .key("inside.txt")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(del.deleted().len(), 1, "{del:?}");
    assert_eq!(del.errors().len(), 1, "{del:?}");
    assert_eq!(del.errors()[0].code(), Some("InvalidArgument"));
    // Multipart steps with a bad key on a real upload id.
    let id = s3
        .create_multipart_upload()
        .bucket("hoist")
        .key("good.bin")
        .send()
        .await
        .unwrap()
        .upload_id
        .unwrap();
    let e = s3
        .upload_part()
        .bucket("hoist")
        .key("../good.bin")
        .upload_id(&id)
        .part_number(1)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    refused("UploadPart ../", code(&e.into_service_error()));
    let e = s3
        .complete_multipart_upload()
        .bucket("hoist")
        .key("a/../../good.bin")
        .upload_id(&id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .parts(CompletedPart::builder().part_number(1).build())
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    refused("CompleteMultipartUpload ../", code(&e.into_service_error()));
    let e = s3
        .list_objects_v2()
        .bucket("hoist")
        .prefix("../")
        .send()
        .await
        .unwrap_err();
    refused("ListObjectsV2 prefix ../", code(&e.into_service_error()));

    // Nothing outside the bucket was written, read away or deleted.
    let after: Vec<PathBuf> = files_below(outer.path())
        .into_iter()
        .filter(|p| !p.starts_with(data.join("objects").join("hoist")))
        .filter(|p| !p.starts_with(data.join("multipart")))
        .filter(|p| {
            !p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".bucket-")
        })
        .collect();
    let before: Vec<PathBuf> = before
        .into_iter()
        .filter(|p| !p.starts_with(data.join("objects").join("hoist")))
        .filter(|p| !p.starts_with(data.join("multipart")))
        .collect();
    assert_eq!(
        after, before,
        "files appeared or vanished outside the bucket"
    );
    assert_eq!(std::fs::read(&beside).unwrap(), b"beside the bucket");
    assert_eq!(std::fs::read(&outside).unwrap(), b"outside the store");
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// Every folder below `root` is 0700 and every file 0600.
fn assert_private(root: &Path) {
    assert_eq!(mode(root), 0o700, "{}", root.display());
    let mut stack = vec![root.to_path_buf()];
    let mut files = 0;
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if e.file_type().unwrap().is_dir() {
                assert_eq!(mode(&p), 0o700, "folder {}", p.display());
                stack.push(p);
            } else {
                assert_eq!(mode(&p), 0o600, "file {}", p.display());
                files += 1;
            }
        }
    }
    assert!(files > 0, "no files were checked below {}", root.display());
}

/// umask is per process: this is the only test in this binary that changes it, and
/// 022 is what every other test would get from a usual login anyway.
#[tokio::test]
async fn the_stores_folders_and_files_are_private_whatever_the_umask() {
    // SAFETY: umask only changes the mode mask of files created afterwards.
    unsafe { libc::umask(0o022) };
    let outer = tempfile::tempdir().unwrap();
    let data = outer.path().join("data");
    let (store, s3) = start(&data).await;
    for bucket in ["made-by-a-client", "still-empty"] {
        s3.create_bucket().bucket(bucket).send().await.unwrap();
    }
    s3.put_object()
        .bucket("made-by-a-client")
        .key("a/b.txt")
        .body(ByteStream::from_static(b"b"))
        .send()
        .await
        .unwrap();
    s3.put_object()
        .bucket("hoist")
        .key("deep/dir/photo.jpg")
        .content_type("image/jpeg")
        .body(ByteStream::from_static(b"jpeg"))
        .send()
        .await
        .unwrap();
    s3.copy_object()
        .bucket("hoist")
        .key("copies/photo.jpg")
        .copy_source("hoist/deep/dir/photo.jpg")
        .send()
        .await
        .unwrap();
    let id = s3
        .create_multipart_upload()
        .bucket("hoist")
        .key("multi/part.bin")
        .checksum_algorithm(ChecksumAlgorithm::Crc32C)
        .send()
        .await
        .unwrap()
        .upload_id
        .unwrap();
    let part = s3
        .upload_part()
        .bucket("hoist")
        .key("multi/part.bin")
        .upload_id(&id)
        .part_number(1)
        .checksum_algorithm(ChecksumAlgorithm::Crc32C)
        .body(ByteStream::from_static(b"part one"))
        .send()
        .await
        .unwrap();
    // Pending: its parts are on disk now.
    assert_private(&data);
    s3.complete_multipart_upload()
        .bucket("hoist")
        .key("multi/part.bin")
        .upload_id(&id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .parts(
                    CompletedPart::builder()
                        .part_number(1)
                        .set_e_tag(part.e_tag)
                        .set_checksum_crc32_c(part.checksum_crc32_c)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_private(&data);
    store.stop().await;

    // An install from before: folders 0755, files 0644. The next start fixes them.
    let loose =
        |p: &Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    loose(&data, 0o755);
    loose(&data.join("objects"), 0o755);
    loose(&data.join("objects/hoist/deep"), 0o755);
    loose(&data.join("objects/hoist/deep/dir/photo.jpg"), 0o644);
    let (_store, _s3) = start(&data).await;
    assert_private(&data);
}

/// An upload nobody touched for longer than the expiry is gone at the next start
/// (and by the periodic sweep while the store runs).
#[tokio::test]
async fn abandoned_multipart_uploads_expire_after_seven_days() {
    let dir = tempfile::tempdir().unwrap();
    let (store, s3) = start(dir.path()).await;
    let mut ids = Vec::new();
    for key in ["old.bin", "fresh.bin"] {
        let id = s3
            .create_multipart_upload()
            .bucket("hoist")
            .key(key)
            .send()
            .await
            .unwrap()
            .upload_id
            .unwrap();
        s3.upload_part()
            .bucket("hoist")
            .key(key)
            .upload_id(&id)
            .part_number(1)
            .body(ByteStream::from_static(b"some bytes"))
            .send()
            .await
            .unwrap();
        ids.push(id);
    }
    store.stop().await;
    // Age the first upload by eight days: its record and its part.
    let eight_days_ms = 8 * 86_400_000u64;
    let upload_dir = dir.path().join("multipart").join(&ids[0]);
    for name in ["upload.json", "00001.json"] {
        let path = upload_dir.join(name);
        let mut v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        for field in ["initiated_ms", "modified_ms"] {
            if let Some(ms) = v.get(field).and_then(|m| m.as_u64()) {
                v[field] = (ms - eight_days_ms).into();
            }
        }
        std::fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
    }

    let (_store, s3) = start(dir.path()).await;
    let listed = s3
        .list_multipart_uploads()
        .bucket("hoist")
        .send()
        .await
        .unwrap();
    let keys: Vec<&str> = listed.uploads().iter().filter_map(|u| u.key()).collect();
    assert_eq!(keys, ["fresh.bin"], "the abandoned upload expired");
    assert!(!upload_dir.exists(), "its parts are deleted");
    let e = s3
        .list_parts()
        .bucket("hoist")
        .key("old.bin")
        .upload_id(&ids[0])
        .send()
        .await
        .unwrap_err();
    assert!(code(&e.into_service_error()).starts_with("NoSuchUpload"));
}

/// A part re-sent while Complete assembles the object either lands before Complete
/// (and is what the object holds) or after (and is refused): the stored bytes always
/// match the ETag and checksum Complete recorded.
#[tokio::test]
async fn a_part_sent_during_complete_never_mixes_into_the_object() {
    let dir = tempfile::tempdir().unwrap();
    let (_store, s3) = start(dir.path()).await;
    let a = vec![b'a'; 8 * MIB];
    let b = vec![b'b'; 8 * MIB];
    let (mut mixed, mut completed) = (0, 0);
    for round in 0..12 {
        let key = format!("race-{round}.bin");
        let id = s3
            .create_multipart_upload()
            .bucket("hoist")
            .key(&key)
            .checksum_algorithm(ChecksumAlgorithm::Crc32C)
            .send()
            .await
            .unwrap()
            .upload_id
            .unwrap();
        let mut parts = Vec::new();
        for n in 1..=3 {
            let out = s3
                .upload_part()
                .bucket("hoist")
                .key(&key)
                .upload_id(&id)
                .part_number(n)
                .checksum_algorithm(ChecksumAlgorithm::Crc32C)
                .body(ByteStream::from(a.clone()))
                .send()
                .await
                .unwrap();
            parts.push(
                CompletedPart::builder()
                    .part_number(n)
                    .set_checksum_crc32_c(out.checksum_crc32_c)
                    .build(),
            );
        }
        // Complete (without ETags, as a client may) while part 3 is sent again with
        // other bytes.
        let complete = s3
            .complete_multipart_upload()
            .bucket("hoist")
            .key(&key)
            .upload_id(&id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(
                        parts
                            .iter()
                            .map(|p| {
                                CompletedPart::builder()
                                    .part_number(p.part_number().unwrap())
                                    .set_checksum_crc32_c(p.checksum_crc32_c().map(str::to_owned))
                                    .build()
                            })
                            .collect(),
                    ))
                    .build(),
            )
            .send();
        let resend = s3
            .upload_part()
            .bucket("hoist")
            .key(&key)
            .upload_id(&id)
            .part_number(3)
            .checksum_algorithm(ChecksumAlgorithm::Crc32C)
            .body(ByteStream::from(b.clone()))
            .send();
        let (done, _) = tokio::join!(complete, resend);
        let Ok(done) = done else { continue };
        completed += 1;
        let got = s3
            .get_object()
            .bucket("hoist")
            .key(&key)
            .send()
            .await
            .unwrap()
            .body
            .collect()
            .await
            .unwrap()
            .into_bytes();
        // What the object's ETag says it holds: the MD5s of its parts as Complete saw them.
        let mut all = Vec::new();
        for chunk in got.chunks(8 * MIB) {
            all.extend_from_slice(&Md5::digest(chunk));
        }
        let etag = format!("{}-{}", hex::encode(Md5::digest(&all)), all.len() / 16);
        if done.e_tag().map(|e| e.trim_matches('"')) != Some(etag.as_str()) {
            mixed += 1;
        }
    }
    eprintln!("{completed} of 12 completed while a part was re-sent; {mixed} mixed");
    assert!(
        completed > 0,
        "no Complete succeeded: the race was not tried"
    );
    assert_eq!(mixed, 0, "objects whose bytes disagree with their ETag");
}
