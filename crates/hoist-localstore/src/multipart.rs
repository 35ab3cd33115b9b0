//! Multipart uploads kept on disk the way S3 keeps them: parts with their ETag and the
//! checksums the client sent, listable in order and by page, gone after Complete or
//! Abort. s3s-fs 0.14 lacks most of this (see FACTS.md), so the store keeps its own
//! state here, beside s3s-fs's object tree rather than inside it (where it would show
//! up as a bucket).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;

use crate::checksums::{Algorithm, Hasher, Sums};
use crate::private;

/// What CreateMultipartUpload recorded.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UploadMeta {
    pub bucket: String,
    pub key: String,
    pub initiated_ms: u64,
    #[serde(default)]
    pub content_type: Option<String>,
    #[serde(default)]
    pub user_metadata: Option<std::collections::HashMap<String, String>>,
    #[serde(default)]
    pub cache_control: Option<String>,
    #[serde(default)]
    pub content_disposition: Option<String>,
    /// Written by stores before `checksum_algorithm` existed: the upload was created
    /// with CRC32C.
    #[serde(default)]
    pub crc32c: bool,
    /// The algorithm the upload was created with (`x-amz-checksum-algorithm`): every
    /// part must carry its checksum, Complete must list it for every part and no other.
    #[serde(default)]
    pub checksum_algorithm: Option<Algorithm>,
}

impl UploadMeta {
    pub fn algorithm(&self) -> Option<Algorithm> {
        self.checksum_algorithm
            .or(self.crc32c.then_some(Algorithm::Crc32c))
    }
}

/// One stored part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartMeta {
    pub number: i32,
    pub size: u64,
    /// Hex MD5 of the part, without quotes (S3's part ETag).
    pub etag: String,
    /// Base64 CRC32C of the part, computed by the store whatever the client sent.
    pub crc32c: String,
    pub modified_ms: u64,
    /// The checksums the client sent with the part, checked against its bytes.
    #[serde(default)]
    pub checksums: Sums,
}

impl PartMeta {
    /// The part's checksum of `algorithm` as the client sent it. Parts stored before
    /// `checksums` existed belong to CRC32C uploads, whose parts always carried it.
    pub fn sum(&self, algorithm: Algorithm) -> Option<&str> {
        match self.checksums.get(&algorithm) {
            Some(v) => Some(v),
            None if algorithm == Algorithm::Crc32c && self.checksums.is_empty() => {
                Some(&self.crc32c)
            }
            None => None,
        }
    }
}

/// What a part must prove, and what the client claims about it.
pub struct PartChecks<F: FnOnce() -> Sums> {
    /// Base64 MD5 from `Content-MD5`.
    pub content_md5: Option<String>,
    /// Algorithms to compute besides CRC32C: those the client named or sent.
    pub compute: Vec<Algorithm>,
    /// The upload's algorithm: the part must carry its checksum.
    pub required: Option<Algorithm>,
    /// The checksums the client sent, read once the body has ended (a streamed body
    /// carries them in its trailers).
    pub sent: F,
}

#[derive(Debug, thiserror::Error)]
pub enum PartError {
    #[error("the multipart upload does not exist")]
    NoSuchUpload,
    #[error("{0}")]
    BadDigest(String),
    /// The request breaks the upload's checksum rules (S3's InvalidRequest).
    #[error("{0}")]
    InvalidRequest(String),
    #[error("reading the request body: {0}")]
    Body(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// The directory holding every upload in progress.
#[derive(Debug)]
pub struct Uploads {
    dir: PathBuf,
    /// One lock per upload: a part's commit (rename + metadata), Complete (from
    /// reading the part list to removing the upload) and Abort each hold it, so a
    /// part re-sent during Complete cannot change the bytes Complete assembles.
    locks: std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// An upload held under its lock (see [`Uploads::hold`]).
pub struct Held<'a> {
    uploads: &'a Uploads,
    id: String,
    dir: PathBuf,
    _guard: tokio::sync::OwnedMutexGuard<()>,
}

impl Held<'_> {
    /// Every stored part, sorted by part number.
    pub async fn parts(&self) -> Result<Vec<PartMeta>, PartError> {
        let mut parts = Vec::new();
        let mut entries = tokio::fs::read_dir(&self.dir).await?;
        while let Some(e) = entries.next_entry().await? {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.len() == 10 && name.ends_with(".json") && name != "upload.json" {
                let bytes = tokio::fs::read(e.path()).await?;
                if let Ok(p) = serde_json::from_slice::<PartMeta>(&bytes) {
                    parts.push(p);
                }
            }
        }
        parts.sort_by_key(|p| p.number);
        Ok(parts)
    }

    pub fn part_path(&self, number: i32) -> PathBuf {
        self.dir.join(format!("{number:05}.part"))
    }

    /// Ends the upload (after Complete or on Abort): its parts are gone.
    pub async fn remove(self) -> Result<(), PartError> {
        // The marker goes first, so a part waiting for the lock sees NoSuchUpload.
        tokio::fs::remove_file(self.dir.join("upload.json")).await?;
        tokio::fs::remove_dir_all(&self.dir).await?;
        self.uploads
            .locks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.id);
        Ok(())
    }
}

impl Uploads {
    pub fn open(dir: PathBuf) -> std::io::Result<Uploads> {
        private::ensure_dir(&dir)?;
        // Leftovers of interrupted part writes.
        for entry in std::fs::read_dir(&dir)?.flatten() {
            if let Ok(inner) = std::fs::read_dir(entry.path()) {
                for f in inner.flatten() {
                    if f.file_name().to_string_lossy().ends_with(".tmp") {
                        let _ = std::fs::remove_file(f.path());
                    }
                }
            }
        }
        Ok(Uploads {
            dir,
            locks: std::sync::Mutex::new(HashMap::new()),
        })
    }

    /// Upload ids are 32 hex digits: anything else never reaches the file system.
    fn upload_dir(&self, upload_id: &str) -> Option<PathBuf> {
        let valid = upload_id.len() == 32 && upload_id.bytes().all(|b| b.is_ascii_hexdigit());
        valid.then(|| self.dir.join(upload_id))
    }

    fn existing(&self, upload_id: &str) -> Result<PathBuf, PartError> {
        let dir = self.upload_dir(upload_id).ok_or(PartError::NoSuchUpload)?;
        if dir.join("upload.json").is_file() {
            Ok(dir)
        } else {
            Err(PartError::NoSuchUpload)
        }
    }

    /// The upload under its lock, checked to still exist once the lock is held.
    pub async fn hold(&self, upload_id: &str) -> Result<Held<'_>, PartError> {
        self.existing(upload_id)?;
        let lock = self
            .locks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(upload_id.to_owned())
            .or_default()
            .clone();
        let guard = lock.lock_owned().await;
        let dir = self.existing(upload_id)?;
        Ok(Held {
            uploads: self,
            id: upload_id.to_owned(),
            dir,
            _guard: guard,
        })
    }

    pub async fn create(&self, meta: &UploadMeta) -> std::io::Result<String> {
        let mut raw = [0u8; 16];
        getrandom::fill(&mut raw).map_err(|e| std::io::Error::other(e.to_string()))?;
        let id = hex::encode(raw);
        let dir = self.dir.join(&id);
        private::create_dir_all(&dir)?;
        write_atomic(&dir.join("upload.json"), &serde_json::to_vec(meta)?).await?;
        Ok(id)
    }

    pub async fn meta(&self, upload_id: &str) -> Result<UploadMeta, PartError> {
        let dir = self.existing(upload_id)?;
        let bytes = tokio::fs::read(dir.join("upload.json")).await?;
        serde_json::from_slice(&bytes).map_err(|e| PartError::Io(e.into()))
    }

    /// Streams a part to disk, checking the digests the client sent and that it carries
    /// the checksum the upload was created with.
    pub async fn put_part<S, E, F>(
        &self,
        upload_id: &str,
        number: i32,
        body: S,
        checks: PartChecks<F>,
    ) -> Result<PartMeta, PartError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
        F: FnOnce() -> Sums,
    {
        let dir = self.existing(upload_id)?;
        let tmp = dir.join(format!("{number:05}.{:016x}.tmp", fastrand::u64(..)));
        let result = async {
            let mut file = tokio::io::BufWriter::new(private::create_file(&tmp).await?);
            let mut md5 = Md5::new();
            let mut hasher = Hasher::new(
                checks
                    .compute
                    .iter()
                    .copied()
                    .chain(checks.required)
                    .chain([Algorithm::Crc32c]),
            );
            let mut size = 0u64;
            let mut body = body;
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(|e| PartError::Body(e.to_string()))?;
                md5.update(&chunk);
                hasher.update(&chunk);
                size += chunk.len() as u64;
                file.write_all(&chunk).await?;
            }
            file.flush().await?;
            file.into_inner().sync_data().await?;
            let md5 = md5.finalize();
            if let Some(sent) = &checks.content_md5
                && *sent != STANDARD.encode(md5)
            {
                return Err(PartError::BadDigest(
                    "the Content-MD5 you specified did not match what we received".into(),
                ));
            }
            let computed = hasher.finish();
            let sent = (checks.sent)();
            for (algorithm, value) in &sent {
                match computed.get(algorithm) {
                    Some(c) if c == value => {}
                    Some(c) => {
                        return Err(PartError::BadDigest(format!(
                            "the {} you specified ({value}) did not match what we received ({c})",
                            algorithm.name()
                        )));
                    }
                    None => {
                        return Err(PartError::InvalidRequest(format!(
                            "a {} checksum arrived that the request did not announce",
                            algorithm.name()
                        )));
                    }
                }
            }
            if let Some(required) = checks.required
                && !sent.contains_key(&required)
            {
                let actual = sent
                    .keys()
                    .next()
                    .map_or("null".to_owned(), |a| a.name().to_ascii_lowercase());
                return Err(PartError::InvalidRequest(format!(
                    "Checksum Type mismatch occurred, expected checksum Type: {}, actual checksum Type: {actual}",
                    required.name().to_ascii_lowercase()
                )));
            }
            Ok(PartMeta {
                number,
                size,
                etag: hex::encode(md5),
                crc32c: computed[&Algorithm::Crc32c].clone(),
                modified_ms: now_ms(),
                checksums: sent,
            })
        }
        .await;
        let meta = match result {
            Ok(m) => m,
            Err(e) => {
                let _ = tokio::fs::remove_file(&tmp).await;
                return Err(e);
            }
        };
        // Aborted or completed meanwhile: the part has nowhere to go.
        let held = match self.hold(upload_id).await {
            Ok(h) => h,
            Err(e) => {
                let _ = tokio::fs::remove_file(&tmp).await;
                return Err(e);
            }
        };
        tokio::fs::rename(&tmp, held.part_path(number)).await?;
        write_atomic(
            &dir.join(format!("{number:05}.json")),
            &serde_json::to_vec(&meta).map_err(std::io::Error::from)?,
        )
        .await?;
        Ok(meta)
    }

    /// Every stored part, sorted by part number.
    pub async fn parts(&self, upload_id: &str) -> Result<Vec<PartMeta>, PartError> {
        self.hold(upload_id).await?.parts().await
    }

    /// Ends the upload on Abort: its parts are gone.
    pub async fn remove(&self, upload_id: &str) -> Result<(), PartError> {
        self.hold(upload_id).await?.remove().await
    }

    /// Every upload in progress with its id, sorted by key, then initiation, then id.
    pub async fn list(&self) -> std::io::Result<Vec<(String, UploadMeta)>> {
        let mut out = Vec::new();
        let mut entries = tokio::fs::read_dir(&self.dir).await?;
        while let Some(e) = entries.next_entry().await? {
            let id = e.file_name().to_string_lossy().into_owned();
            if self.upload_dir(&id).is_none() {
                continue;
            }
            if let Ok(bytes) = tokio::fs::read(e.path().join("upload.json")).await
                && let Ok(meta) = serde_json::from_slice::<UploadMeta>(&bytes)
            {
                out.push((id, meta));
            }
        }
        out.sort_by(|a, b| {
            (&a.1.key, a.1.initiated_ms, &a.0).cmp(&(&b.1.key, b.1.initiated_ms, &b.0))
        });
        Ok(out)
    }

    /// Aborts every upload with no activity (creation or a part) for `after`, as S3's
    /// AbortIncompleteMultipartUpload lifecycle rule does; returns how many.
    pub async fn expire(&self, after: Duration) -> std::io::Result<usize> {
        let cutoff = now_ms().saturating_sub(after.as_millis() as u64);
        let mut expired = 0;
        for (id, meta) in self.list().await? {
            let Ok(held) = self.hold(&id).await else {
                continue;
            };
            let last_part = match held.parts().await {
                Ok(parts) => parts.iter().map(|p| p.modified_ms).max().unwrap_or(0),
                Err(_) => continue,
            };
            if meta.initiated_ms.max(last_part) < cutoff {
                tracing::info!(
                    "local store: upload {id} of {}/{} abandoned for over {} h: aborted",
                    meta.bucket,
                    meta.key,
                    after.as_secs() / 3600
                );
                if held.remove().await.is_ok() {
                    expired += 1;
                }
            }
        }
        Ok(expired)
    }
}

/// Writes through a temporary file and a rename, so readers never see half a file.
/// Only the owner can read it.
pub async fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension(format!("{:08x}.tmp", fastrand::u32(..)));
    let mut f = private::create_file(&tmp).await?;
    f.write_all(bytes).await?;
    f.sync_data().await?;
    drop(f);
    tokio::fs::rename(&tmp, path).await
}

/// S3's multipart ETag: the MD5 of the parts' MD5s, then `-N`.
pub fn multipart_etag(part_etags_hex: &[String]) -> Option<String> {
    let mut h = Md5::new();
    for e in part_etags_hex {
        h.update(hex::decode(e).ok()?);
    }
    Some(format!(
        "{}-{}",
        hex::encode(h.finalize()),
        part_etags_hex.len()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(chunks: &[&'static [u8]]) -> impl Stream<Item = Result<Bytes, String>> + Unpin {
        futures_util::stream::iter(
            chunks
                .iter()
                .map(|c| Ok(Bytes::from_static(c)))
                .collect::<Vec<_>>(),
        )
    }

    fn meta(algorithm: Option<Algorithm>) -> UploadMeta {
        UploadMeta {
            bucket: "b".into(),
            key: "k".into(),
            initiated_ms: now_ms(),
            content_type: None,
            user_metadata: None,
            cache_control: None,
            content_disposition: None,
            crc32c: false,
            checksum_algorithm: algorithm,
        }
    }

    /// Checks for a part of an upload created with `required`, the client sending
    /// `md5` and `sent`.
    fn checks(
        required: Option<Algorithm>,
        md5: Option<&str>,
        sent: &[(Algorithm, &str)],
    ) -> PartChecks<impl FnOnce() -> Sums> {
        let sent: Sums = sent.iter().map(|(a, v)| (*a, v.to_string())).collect();
        PartChecks {
            content_md5: md5.map(str::to_owned),
            compute: sent.keys().copied().collect(),
            required,
            sent: move || sent,
        }
    }

    fn crc(data: &[u8]) -> String {
        STANDARD.encode(crc32c::crc32c(data).to_be_bytes())
    }

    #[tokio::test]
    async fn parts_are_listed_sorted_with_etags_and_vanish_after_remove() {
        let dir = tempfile::tempdir().unwrap();
        let uploads = Uploads::open(dir.path().join("mp")).unwrap();
        let id = uploads.create(&meta(None)).await.unwrap();
        for n in [3, 1, 2, 10] {
            uploads
                .put_part(
                    &id,
                    n,
                    body(&[b"hello ", b"world"]),
                    checks(None, None, &[]),
                )
                .await
                .unwrap();
        }
        let parts = uploads.parts(&id).await.unwrap();
        assert_eq!(
            parts.iter().map(|p| p.number).collect::<Vec<_>>(),
            [1, 2, 3, 10]
        );
        assert_eq!(parts[0].etag, "5eb63bbbe01eeed093cb22bb8f5acdc3"); // md5("hello world")
        assert_eq!(parts[0].size, 11);
        assert!(parts[0].checksums.is_empty(), "the client sent none");
        uploads.remove(&id).await.unwrap();
        assert!(matches!(
            uploads.parts(&id).await,
            Err(PartError::NoSuchUpload)
        ));
        assert!(matches!(
            uploads
                .put_part(&id, 1, body(&[b"x"]), checks(None, None, &[]))
                .await,
            Err(PartError::NoSuchUpload)
        ));
    }

    #[tokio::test]
    async fn a_wrong_digest_is_refused_and_nothing_is_stored() {
        let dir = tempfile::tempdir().unwrap();
        let uploads = Uploads::open(dir.path().join("mp")).unwrap();
        let id = uploads
            .create(&meta(Some(Algorithm::Crc32c)))
            .await
            .unwrap();
        let wrong_crc = STANDARD.encode(0u32.to_be_bytes());
        let c = Some(Algorithm::Crc32c);
        let r = uploads
            .put_part(
                &id,
                1,
                body(&[b"data"]),
                checks(c, None, &[(Algorithm::Crc32c, &wrong_crc)]),
            )
            .await;
        assert!(matches!(r, Err(PartError::BadDigest(_))), "{r:?}");
        let r = uploads
            .put_part(
                &id,
                1,
                body(&[b"data"]),
                checks(
                    c,
                    Some("AAAAAAAAAAAAAAAAAAAAAA=="),
                    &[(Algorithm::Crc32c, &crc(b"data"))],
                ),
            )
            .await;
        assert!(matches!(r, Err(PartError::BadDigest(_))), "{r:?}");
        let r = uploads
            .put_part(
                &id,
                1,
                body(&[b"data"]),
                checks(c, None, &[(Algorithm::Sha1, "AAAA")]),
            )
            .await;
        assert!(matches!(r, Err(PartError::BadDigest(_))), "{r:?}");
        assert!(uploads.parts(&id).await.unwrap().is_empty());
        let right = crc(b"data");
        let p = uploads
            .put_part(
                &id,
                1,
                body(&[b"da", b"ta"]),
                checks(c, None, &[(Algorithm::Crc32c, &right)]),
            )
            .await
            .unwrap();
        assert_eq!(p.crc32c, right);
        assert_eq!(p.sum(Algorithm::Crc32c), Some(right.as_str()));
    }

    #[tokio::test]
    async fn a_part_without_the_uploads_checksum_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let uploads = Uploads::open(dir.path().join("mp")).unwrap();
        let id = uploads
            .create(&meta(Some(Algorithm::Crc32c)))
            .await
            .unwrap();
        let md5 = STANDARD.encode(Md5::digest(b"data"));
        let r = uploads
            .put_part(
                &id,
                1,
                body(&[b"data"]),
                checks(Some(Algorithm::Crc32c), Some(&md5), &[]),
            )
            .await;
        let Err(PartError::InvalidRequest(m)) = r else {
            panic!("{r:?}")
        };
        assert!(m.contains("expected checksum Type: crc32c"), "{m}");
        assert!(uploads.parts(&id).await.unwrap().is_empty());
        // An upload created without an algorithm takes parts with or without one.
        let id = uploads.create(&meta(None)).await.unwrap();
        for sent in [vec![], vec![(Algorithm::Crc32c, crc(b"data"))]] {
            let sent: Vec<(Algorithm, &str)> = sent.iter().map(|(a, v)| (*a, v.as_str())).collect();
            uploads
                .put_part(&id, 1, body(&[b"data"]), checks(None, Some(&md5), &sent))
                .await
                .unwrap();
        }
    }

    #[test]
    fn legacy_uploads_and_parts_keep_their_crc32c() {
        let m: UploadMeta =
            serde_json::from_str(r#"{"bucket":"b","key":"k","initiated_ms":1,"crc32c":true}"#)
                .unwrap();
        assert_eq!(m.algorithm(), Some(Algorithm::Crc32c));
        let p: PartMeta = serde_json::from_str(
            r#"{"number":1,"size":4,"etag":"x","crc32c":"AAAAAA==","modified_ms":1}"#,
        )
        .unwrap();
        assert_eq!(p.sum(Algorithm::Crc32c), Some("AAAAAA=="));
        assert_eq!(p.sum(Algorithm::Sha256), None);
    }

    #[test]
    fn path_traversal_in_upload_ids_is_impossible() {
        let dir = tempfile::tempdir().unwrap();
        let uploads = Uploads::open(dir.path().join("mp")).unwrap();
        assert!(uploads.upload_dir("../../etc").is_none());
        assert!(uploads.upload_dir(&"a".repeat(31)).is_none());
        assert!(uploads.upload_dir(&"a".repeat(32)).is_some());
    }

    #[test]
    fn multipart_etag_follows_s3() {
        // Two parts of "a" and "b": MD5s 0cc1..., 92eb...
        let etag = multipart_etag(&[
            "0cc175b9c0f1b6a831c399e269772661".into(),
            "92eb5ffee6ae2fec3ad71c777531578f".into(),
        ])
        .unwrap();
        assert!(etag.ends_with("-2"));
        assert_eq!(etag.len(), 32 + 2);
    }
}
