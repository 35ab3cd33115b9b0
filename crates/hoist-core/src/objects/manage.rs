//! Copy, move and bulk delete of objects and whole prefixes ("folders").
//!
//! Copies are server-side: CopyObject up to `multipart_threshold` (S3 allows it up to
//! 5 GiB), UploadPartCopy ranges above. A move is copy, verify (HEAD: the size, and the
//! ETag where both sides' ETags are plain MD5s, else the multipart ETag computed from
//! the copied parts), then delete: nothing is deleted before its copy is verified.
//! Bulk deletes go by DeleteObjects in batches of 1,000 with per-key errors reported
//! (whole prefixes and batches: `bulk`).

use std::sync::Arc;

use aws_sdk_s3::Client;
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, MetadataDirective};
use serde::Serialize;
use tokio::task::JoinSet;

use crate::error::{HoistError, Result};
use crate::s3::{copy_source, map_err};

/// S3's limit for a single CopyObject.
pub const MAX_SINGLE_COPY: u64 = 5 * 1024 * 1024 * 1024;
/// DeleteObjects takes at most this many keys.
pub const DELETE_BATCH: usize = 1000;

/// An object on the store: `s3://bucket/key`, or a key in the default bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct ObjectRef {
    pub bucket: String,
    pub key: String,
}

impl ObjectRef {
    /// `s3://bucket/key` names its bucket; anything else is a key in `default_bucket`.
    pub fn parse(s: &str, default_bucket: Option<&str>) -> Result<ObjectRef> {
        if let Some(rest) = s.strip_prefix("s3://") {
            let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
            crate::s3::check_bucket_name(bucket)?;
            return Ok(ObjectRef {
                bucket: bucket.to_owned(),
                key: key.to_owned(),
            });
        }
        let bucket = default_bucket.filter(|b| !b.is_empty()).ok_or_else(|| {
            HoistError::InvalidInput(format!(
                "{s:?} names no bucket: write s3://BUCKET/{s} or give --bucket"
            ))
        })?;
        Ok(ObjectRef {
            bucket: bucket.to_owned(),
            key: s.trim_start_matches('/').to_owned(),
        })
    }

    pub fn display(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }
}

#[derive(Debug, Clone)]
pub struct CopySettings {
    /// Objects larger than this are copied in parts (UploadPartCopy).
    pub multipart_threshold: u64,
    pub part_size: u64,
    /// Objects (or parts of one object) copied at once.
    pub concurrency: usize,
}

impl Default for CopySettings {
    fn default() -> Self {
        CopySettings {
            multipart_threshold: MAX_SINGLE_COPY,
            part_size: 512 * 1024 * 1024,
            concurrency: 8,
        }
    }
}

impl CopySettings {
    pub fn validated(self) -> Result<CopySettings> {
        if self.part_size < 5 * 1024 * 1024 || self.part_size > MAX_SINGLE_COPY {
            return Err(HoistError::InvalidInput(
                "the copy part size must be between 5 MiB and 5 GiB".into(),
            ));
        }
        if self.multipart_threshold > MAX_SINGLE_COPY {
            return Err(HoistError::InvalidInput(
                "objects over 5 GiB cannot be copied in one request: the threshold must be 5 GiB or less".into(),
            ));
        }
        Ok(CopySettings {
            concurrency: self.concurrency.clamp(1, 64),
            ..self
        })
    }
}

/// How one object's copy went.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Copied {
    pub from: ObjectRef,
    pub to: ObjectRef,
    #[ts(type = "number")]
    pub size: u64,
    /// Copied in parts (UploadPartCopy).
    pub multipart: bool,
    /// What the copy was checked by: "etag" or "size".
    pub verified_by: String,
}

/// A bulk action's progress, after each object.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct BulkProgress {
    #[ts(type = "number")]
    pub done: u64,
    #[ts(type = "number")]
    pub failed: u64,
    /// `None` while the listing is still going.
    #[ts(type = "number | null")]
    pub total: Option<u64>,
    #[ts(type = "number")]
    pub bytes: u64,
}

/// A bulk action's result: what was done and, per key, what failed and why.
#[derive(Debug, Clone, Default, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct BulkSummary {
    #[ts(type = "number")]
    pub done: u64,
    #[ts(type = "number")]
    pub bytes: u64,
    pub failed: Vec<KeyFailure>,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct KeyFailure {
    pub key: String,
    pub message: String,
}

pub type OnProgress = Arc<dyn Fn(BulkProgress) + Send + Sync>;

pub use super::bulk::{delete_keys, delete_prefix, list_keys, transfer_prefix};

struct Source {
    size: u64,
    etag: Option<String>,
}

async fn head(client: &Client, o: &ObjectRef) -> Result<Option<Source>> {
    match client
        .head_object()
        .bucket(&o.bucket)
        .key(&o.key)
        .send()
        .await
    {
        Ok(h) => Ok(Some(Source {
            size: h.content_length().unwrap_or(0).max(0) as u64,
            etag: h.e_tag().map(str::to_owned),
        })),
        Err(SdkError::ServiceError(ctx)) if ctx.raw().status().as_u16() == 404 => Ok(None),
        Err(e) => Err(map_err(&o.bucket, e)),
    }
}

fn not_found(o: &ObjectRef) -> HoistError {
    HoistError::NotFound(format!("{} does not exist", o.display()))
}

/// Copies one object on the server and checks the copy by HEAD. The source is left.
pub async fn copy(
    client: &Client,
    from: &ObjectRef,
    to: &ObjectRef,
    settings: &CopySettings,
) -> Result<Copied> {
    if from == to {
        return Err(HoistError::InvalidInput(format!(
            "{} is both the source and the destination",
            from.display()
        )));
    }
    // A folder marker ("name/") is copied only as a folder marker.
    if to.key.is_empty() || (to.key.ends_with('/') && !from.key.ends_with('/')) {
        return Err(HoistError::InvalidInput(format!(
            "{} is a folder, not an object's key",
            to.display()
        )));
    }
    let src = head(client, from).await?.ok_or_else(|| not_found(from))?;
    let (multipart, expected_etag) = if src.size > settings.multipart_threshold {
        let etag = copy_in_parts(client, from, to, src.size, settings).await?;
        (true, etag)
    } else {
        let out = client
            .copy_object()
            .bucket(&to.bucket)
            .key(&to.key)
            .copy_source(copy_source(&from.bucket, &from.key))
            .metadata_directive(MetadataDirective::Copy)
            .send()
            .await
            .map_err(|e| map_err(&to.bucket, e))?;
        let etag = out
            .copy_object_result()
            .and_then(|r| r.e_tag())
            .map(str::to_owned);
        // A plain (MD5) ETag is the content's: the copy must carry the same.
        let expected = match (&src.etag, etag) {
            (Some(s), _) if is_md5_etag(s) => Some(s.clone()),
            (_, reported) => reported,
        };
        (false, expected)
    };
    let copied = head(client, to).await?.ok_or_else(|| {
        HoistError::Integrity(format!("the copy {} is not on the store", to.display()))
    })?;
    if copied.size != src.size {
        return Err(HoistError::Integrity(format!(
            "the copy {} has {} bytes, the source {}",
            to.display(),
            copied.size,
            src.size
        )));
    }
    let verified_by = match (&expected_etag, &copied.etag) {
        (Some(e), Some(c)) if e.trim_matches('"') == c.trim_matches('"') => "etag",
        (Some(e), Some(c)) => {
            return Err(HoistError::Integrity(format!(
                "the copy {} has ETag {c}, expected {e}",
                to.display()
            )));
        }
        _ => "size",
    };
    Ok(Copied {
        from: from.clone(),
        to: to.clone(),
        size: src.size,
        multipart,
        verified_by: verified_by.into(),
    })
}

/// `bucket/key?versionId=V` for copying one version.
pub(crate) fn copy_source_version(bucket: &str, key: &str, version_id: &str) -> String {
    let mut v = String::new();
    for b in version_id.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            v.push(b as char);
        } else {
            v.push_str(&format!("%{b:02X}"));
        }
    }
    format!("{}?versionId={v}", copy_source(bucket, key))
}

fn is_md5_etag(e: &str) -> bool {
    let e = e.trim_matches('"');
    e.len() == 32 && e.bytes().all(|b| b.is_ascii_hexdigit())
}

/// UploadPartCopy in ranges of `part_size`, `concurrency` at once; aborts on failure.
/// Returns the multipart ETag the completed object must have (MD5 of the parts' MD5s).
async fn copy_in_parts(
    client: &Client,
    from: &ObjectRef,
    to: &ObjectRef,
    size: u64,
    settings: &CopySettings,
) -> Result<Option<String>> {
    // The object's headers and metadata go on the upload, as CopyObject would copy them.
    let meta = client
        .head_object()
        .bucket(&from.bucket)
        .key(&from.key)
        .send()
        .await
        .map_err(|e| map_err(&from.bucket, e))?;
    let created = client
        .create_multipart_upload()
        .bucket(&to.bucket)
        .key(&to.key)
        .set_content_type(meta.content_type().map(str::to_owned))
        .set_cache_control(meta.cache_control().map(str::to_owned))
        .set_content_disposition(meta.content_disposition().map(str::to_owned))
        .set_metadata(meta.metadata().cloned())
        .send()
        .await
        .map_err(|e| map_err(&to.bucket, e))?;
    let upload_id = created.upload_id().unwrap_or_default().to_owned();
    let result = copy_parts(client, from, to, &upload_id, size, settings).await;
    match result {
        Ok(parts) => {
            let etag = multipart_etag(&parts);
            let completed: Vec<CompletedPart> = parts
                .iter()
                .map(|(n, e)| CompletedPart::builder().part_number(*n).e_tag(e).build())
                .collect();
            let done = client
                .complete_multipart_upload()
                .bucket(&to.bucket)
                .key(&to.key)
                .upload_id(&upload_id)
                .multipart_upload(
                    CompletedMultipartUpload::builder()
                        .set_parts(Some(completed))
                        .build(),
                )
                .send()
                .await;
            if let Err(e) = done {
                abort(client, to, &upload_id).await;
                return Err(map_err(&to.bucket, e));
            }
            Ok(etag)
        }
        Err(e) => {
            abort(client, to, &upload_id).await;
            Err(e)
        }
    }
}

async fn abort(client: &Client, to: &ObjectRef, upload_id: &str) {
    let _ = client
        .abort_multipart_upload()
        .bucket(&to.bucket)
        .key(&to.key)
        .upload_id(upload_id)
        .send()
        .await;
}

async fn copy_parts(
    client: &Client,
    from: &ObjectRef,
    to: &ObjectRef,
    upload_id: &str,
    size: u64,
    settings: &CopySettings,
) -> Result<Vec<(i32, String)>> {
    // Parts grow so no object needs more than 10,000.
    let part = settings.part_size.max(size.div_ceil(10_000));
    let count = size.div_ceil(part).max(1);
    let mut parts = Vec::with_capacity(count as usize);
    let mut tasks = JoinSet::new();
    let mut next = 0u64;
    loop {
        while next < count && tasks.len() < settings.concurrency {
            let (start, end) = (next * part, ((next + 1) * part).min(size) - 1);
            let number = next as i32 + 1;
            let req = client
                .upload_part_copy()
                .bucket(&to.bucket)
                .key(&to.key)
                .upload_id(upload_id)
                .part_number(number)
                .copy_source(copy_source(&from.bucket, &from.key))
                .copy_source_range(format!("bytes={start}-{end}"));
            let bucket = to.bucket.clone();
            tasks.spawn(async move {
                let out = req.send().await.map_err(|e| map_err(&bucket, e))?;
                let etag = out
                    .copy_part_result()
                    .and_then(|r| r.e_tag())
                    .map(str::to_owned)
                    .ok_or_else(|| HoistError::Rejected {
                        status: 200,
                        code: "NoETag".into(),
                        message: format!("the store copied part {number} without an ETag"),
                    })?;
                Ok::<_, HoistError>((number, etag))
            });
            next += 1;
        }
        match tasks.join_next().await {
            Some(r) => parts.push(r.expect("copy task panicked")?),
            None => break,
        }
    }
    parts.sort_by_key(|(n, _)| *n);
    Ok(parts)
}

/// S3's multipart ETag: MD5 of the parts' binary MD5s, then `-N`. `None` when a part's
/// ETag is not a plain MD5 (the store's own scheme: verified by size only).
fn multipart_etag(parts: &[(i32, String)]) -> Option<String> {
    use md5::{Digest, Md5};
    let mut all = Md5::new();
    for (_, e) in parts {
        let e = e.trim_matches('"');
        if !is_md5_etag(e) {
            return None;
        }
        all.update(hex::decode(e).ok()?);
    }
    Some(format!(
        "\"{}-{}\"",
        hex::encode(all.finalize()),
        parts.len()
    ))
}

/// Copy, verify, then delete the source. The source is never deleted unless its copy
/// was verified.
pub async fn move_object(
    client: &Client,
    from: &ObjectRef,
    to: &ObjectRef,
    settings: &CopySettings,
) -> Result<Copied> {
    let copied = copy(client, from, to, settings).await?;
    client
        .delete_object()
        .bucket(&from.bucket)
        .key(&from.key)
        .send()
        .await
        .map_err(|e| map_err(&from.bucket, e))?;
    Ok(copied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_name_their_bucket_or_take_the_default() {
        assert_eq!(
            ObjectRef::parse("s3://photos/2024/a.jpg", Some("x")).unwrap(),
            ObjectRef {
                bucket: "photos".into(),
                key: "2024/a.jpg".into()
            }
        );
        assert_eq!(
            ObjectRef::parse("a/b", Some("docs")).unwrap().bucket,
            "docs"
        );
        let e = ObjectRef::parse("a/b", None).unwrap_err().to_string();
        assert!(e.contains("s3://BUCKET/a/b"), "{e}");
        assert!(ObjectRef::parse("s3://Bad_Bucket/k", None).is_err());
    }

    #[test]
    fn multipart_etag_is_the_md5_of_part_md5s() {
        // Two parts whose MD5s are known: md5("a"), md5("b").
        let parts = vec![
            (1, "\"0cc175b9c0f1b6a831c399e269772661\"".to_owned()),
            (2, "\"92eb5ffee6ae2fec3ad71c777531578f\"".to_owned()),
        ];
        let e = multipart_etag(&parts).unwrap();
        assert!(e.ends_with("-2\""), "{e}");
        assert_eq!(multipart_etag(&[(1, "\"abc-3\"".into())]), None);
    }

    #[test]
    fn copy_settings_keep_s3s_limits() {
        let bad = CopySettings {
            part_size: 1024,
            ..CopySettings::default()
        };
        assert!(bad.validated().is_err());
        let over = CopySettings {
            multipart_threshold: MAX_SINGLE_COPY + 1,
            ..CopySettings::default()
        };
        assert!(over.validated().is_err());
    }
}
