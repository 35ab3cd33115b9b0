//! Object versions, where a bucket keeps them (versioning on): list an object's
//! versions, restore an older one (copied over the current, which stays as a version
//! itself), download one.

use std::path::Path;

use aws_sdk_s3::Client;
use aws_sdk_s3::types::BucketVersioningStatus;
use serde::Serialize;

use super::manage::{Copied, ObjectRef, copy_source_version};
use crate::error::{HoistError, Result};
use crate::s3::map_err;

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct VersionEntry {
    pub version_id: String,
    #[ts(type = "number")]
    pub size: u64,
    /// Milliseconds since the Unix epoch.
    #[ts(type = "number | null")]
    pub modified: Option<i64>,
    pub etag: Option<String>,
    pub is_latest: bool,
    /// A deletion recorded as a version (no bytes).
    pub delete_marker: bool,
}

/// Whether the bucket keeps versions (Enabled; Suspended buckets keep the old ones).
pub async fn versioning_on(client: &Client, bucket: &str) -> Result<bool> {
    let out = client
        .get_bucket_versioning()
        .bucket(bucket)
        .send()
        .await
        .map_err(|e| map_err(bucket, e))?;
    Ok(matches!(
        out.status(),
        Some(BucketVersioningStatus::Enabled)
    ))
}

/// Every version of `key`, newest first (delete markers included).
pub async fn list_versions(client: &Client, bucket: &str, key: &str) -> Result<Vec<VersionEntry>> {
    if key.is_empty() {
        return Err(HoistError::InvalidInput(
            "name the object whose versions to list".into(),
        ));
    }
    let mut out = Vec::new();
    let (mut key_marker, mut version_marker): (Option<String>, Option<String>) = (None, None);
    loop {
        let page = client
            .list_object_versions()
            .bucket(bucket)
            .prefix(key)
            .set_key_marker(key_marker.clone())
            .set_version_id_marker(version_marker.clone())
            .send()
            .await
            .map_err(|e| map_err(bucket, e))?;
        for v in page.versions() {
            if v.key() == Some(key) {
                out.push(VersionEntry {
                    version_id: v.version_id().unwrap_or("null").to_owned(),
                    size: v.size().unwrap_or(0).max(0) as u64,
                    modified: v.last_modified().and_then(|d| d.to_millis().ok()),
                    etag: v.e_tag().map(str::to_owned),
                    is_latest: v.is_latest().unwrap_or(false),
                    delete_marker: false,
                });
            }
        }
        for m in page.delete_markers() {
            if m.key() == Some(key) {
                out.push(VersionEntry {
                    version_id: m.version_id().unwrap_or("null").to_owned(),
                    size: 0,
                    modified: m.last_modified().and_then(|d| d.to_millis().ok()),
                    etag: None,
                    is_latest: m.is_latest().unwrap_or(false),
                    delete_marker: true,
                });
            }
        }
        if page.is_truncated() == Some(true) && page.next_key_marker().is_some() {
            key_marker = page.next_key_marker().map(str::to_owned);
            version_marker = page.next_version_id_marker().map(str::to_owned);
        } else {
            break;
        }
    }
    out.sort_by(|a, b| {
        b.is_latest
            .cmp(&a.is_latest)
            .then(b.modified.cmp(&a.modified))
    });
    if out.is_empty() {
        return Err(HoistError::NotFound(format!(
            "s3://{bucket}/{key} has no versions"
        )));
    }
    Ok(out)
}

/// Makes version `version_id` the current object again (CopyObject from that version
/// onto the key; the version it replaces stays listed). Checked by size.
pub async fn restore(client: &Client, bucket: &str, key: &str, version_id: &str) -> Result<Copied> {
    let versions = list_versions(client, bucket, key).await?;
    let v = versions
        .iter()
        .find(|v| v.version_id == version_id)
        .ok_or_else(|| {
            HoistError::NotFound(format!("s3://{bucket}/{key} has no version {version_id:?}"))
        })?;
    if v.delete_marker {
        return Err(HoistError::InvalidInput(format!(
            "version {version_id} is a deletion, not content: pick an older version"
        )));
    }
    if v.size > super::manage::MAX_SINGLE_COPY {
        return Err(HoistError::InvalidInput(
            "restoring a version over 5 GiB is not supported yet (it needs a copy in parts)".into(),
        ));
    }
    client
        .copy_object()
        .bucket(bucket)
        .key(key)
        .copy_source(copy_source_version(bucket, key, version_id))
        .send()
        .await
        .map_err(|e| map_err(bucket, e))?;
    let now = client
        .head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| map_err(bucket, e))?;
    let size = now.content_length().unwrap_or(0).max(0) as u64;
    if size != v.size {
        return Err(HoistError::Integrity(format!(
            "the restored object has {size} bytes, version {version_id} has {}",
            v.size
        )));
    }
    let r = |version: &str| ObjectRef {
        bucket: bucket.to_owned(),
        key: format!("{key}?versionId={version}"),
    };
    Ok(Copied {
        from: r(version_id),
        to: ObjectRef {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        },
        size,
        multipart: false,
        verified_by: "size".into(),
    })
}

/// Saves one version to `dest` (through a temporary file, renamed at the end).
pub async fn download_version(
    client: &Client,
    bucket: &str,
    key: &str,
    version_id: &str,
    dest: &Path,
) -> Result<u64> {
    let out = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .version_id(version_id)
        .send()
        .await
        .map_err(|e| map_err(bucket, e))?;
    let bytes = out
        .body
        .collect()
        .await
        .map_err(|e| HoistError::Network(format!("the download broke off: {e}")))?
        .into_bytes();
    let tmp = dest.with_extension("hoist-part");
    tokio::fs::write(&tmp, &bytes)
        .await
        .map_err(|e| HoistError::local_file(&tmp, e))?;
    tokio::fs::rename(&tmp, dest)
        .await
        .map_err(|e| HoistError::local_file(dest, e))?;
    Ok(bytes.len() as u64)
}
