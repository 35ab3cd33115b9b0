//! The bucket browser: list a bucket by prefix like folders (ListObjectsV2 with the
//! "/" delimiter), page through large buckets with continuation tokens, filter by
//! name, show an object's details, download and delete.

use std::collections::BTreeMap;
use std::path::Path;

use aws_sdk_s3::error::SdkError;
use serde::Serialize;
use tokio::io::AsyncWriteExt;
use tokio_util::sync::CancellationToken;

use crate::error::{HoistError, Result};
use crate::s3::{BucketAccess, UploadStore};
use crate::s3::{map_err, next_page};

/// Objects per page when the caller does not say.
pub const DEFAULT_PAGE_SIZE: u32 = 200;
/// A filtered listing reads at most this many store pages per call, so a filter that
/// matches little in a huge bucket still answers; "load more" continues.
const MAX_PAGES_PER_FILTERED_CALL: usize = 10;

#[derive(Debug, Clone, Default, serde::Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct ListRequest {
    /// The "folder": a key prefix, ending in "/" (added when missing) or empty.
    #[serde(default)]
    pub prefix: String,
    /// Only names containing this (case-insensitive).
    #[serde(default)]
    pub filter: Option<String>,
    /// The `next` token of the previous page.
    #[serde(default)]
    pub continuation: Option<String>,
    /// Entries per page (1..=1000); 0 = the default.
    #[serde(default)]
    pub page_size: u32,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct FolderEntry {
    /// Full prefix, ending in "/".
    pub prefix: String,
    /// Last segment, without the "/".
    pub name: String,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ObjectEntry {
    pub key: String,
    /// The key without the listed prefix.
    pub name: String,
    #[ts(type = "number")]
    pub size: u64,
    /// Milliseconds since the Unix epoch.
    #[ts(type = "number | null")]
    pub modified: Option<i64>,
    pub etag: Option<String>,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Listing {
    pub prefix: String,
    pub folders: Vec<FolderEntry>,
    pub objects: Vec<ObjectEntry>,
    /// Pass back as `continuation` for the next page; `None` at the end.
    pub next: Option<String>,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ObjectDetails {
    pub bucket: String,
    pub key: String,
    #[ts(type = "number")]
    pub size: u64,
    pub content_type: Option<String>,
    #[ts(type = "number | null")]
    pub modified: Option<i64>,
    pub etag: Option<String>,
    /// Checksums the store keeps, by algorithm ("CRC32C" → base64 value).
    pub checksums: BTreeMap<String, String>,
    /// User metadata (`x-amz-meta-*`).
    pub metadata: BTreeMap<String, String>,
    pub storage_class: Option<String>,
    pub cache_control: Option<String>,
    pub content_disposition: Option<String>,
    /// What the details pane can preview (by type, else by name).
    pub preview: super::preview::PreviewKind,
}

/// A folder prefix: "" or ending in "/", never starting with "/".
pub fn folder_prefix(prefix: &str) -> String {
    let p = prefix.trim_start_matches('/');
    if p.is_empty() || p.ends_with('/') {
        p.to_owned()
    } else {
        format!("{p}/")
    }
}

fn name_matches(name: &str, filter: Option<&str>) -> bool {
    match filter {
        None => true,
        Some(f) => name.to_lowercase().contains(&f.to_lowercase()),
    }
}

/// One page of a folder. The target's own prefix is not applied: the browser shows
/// the whole bucket.
pub async fn list(access: &BucketAccess, req: &ListRequest) -> Result<Listing> {
    let prefix = folder_prefix(&req.prefix);
    let page_size = match req.page_size {
        0 => DEFAULT_PAGE_SIZE,
        n if n <= 1000 => n,
        n => {
            return Err(HoistError::InvalidInput(format!(
                "page size {n} is more than 1000"
            )));
        }
    };
    let filter = req
        .filter
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty());
    let mut listing = Listing {
        prefix: prefix.clone(),
        folders: Vec::new(),
        objects: Vec::new(),
        next: req.continuation.clone(),
    };
    let mut pages = 0;
    loop {
        let out = access
            .client()
            .list_objects_v2()
            .bucket(access.bucket())
            .prefix(&prefix)
            .delimiter("/")
            .max_keys(page_size as i32)
            .set_continuation_token(listing.next.clone())
            .send()
            .await
            .map_err(|e| map_err(access.bucket(), e))?;
        pages += 1;
        for cp in out.common_prefixes() {
            let Some(p) = cp.prefix() else { continue };
            let name = p[prefix.len()..].trim_end_matches('/').to_owned();
            if name_matches(&name, filter) {
                listing.folders.push(FolderEntry {
                    prefix: p.to_owned(),
                    name,
                });
            }
        }
        for o in out.contents() {
            let Some(key) = o.key() else { continue };
            let name = key[prefix.len().min(key.len())..].to_owned();
            // A zero-byte "folder marker" object named like the folder itself.
            if name.is_empty() || !name_matches(&name, filter) {
                continue;
            }
            listing.objects.push(ObjectEntry {
                key: key.to_owned(),
                name,
                size: o.size().unwrap_or(0).max(0) as u64,
                modified: o.last_modified().and_then(|d| d.to_millis().ok()),
                etag: o.e_tag().map(str::to_owned),
            });
        }
        let next = next_page(&out);
        let found = listing.folders.len() + listing.objects.len();
        let keep_reading = filter.is_some()
            && next.is_some()
            && found < page_size as usize
            && pages < MAX_PAGES_PER_FILTERED_CALL;
        listing.next = next;
        if !keep_reading {
            return Ok(listing);
        }
    }
}

fn not_found(access: &BucketAccess, key: &str) -> HoistError {
    HoistError::NotFound(format!(
        "{key:?} does not exist in bucket {:?}",
        access.bucket()
    ))
}

/// An object's details (HEAD), with the checksums the store keeps.
pub async fn details(access: &BucketAccess, key: &str) -> Result<ObjectDetails> {
    let res = access
        .client()
        .head_object()
        .bucket(access.bucket())
        .key(key)
        .checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled)
        .send()
        .await;
    let out = match res {
        Ok(out) => out,
        Err(SdkError::ServiceError(ctx)) if ctx.raw().status().as_u16() == 404 => {
            // HEAD has no body: the key or the bucket. Ask the bucket once.
            access.store().check_bucket().await?;
            return Err(not_found(access, key));
        }
        Err(e) => return Err(map_err(access.bucket(), e)),
    };
    let mut checksums = BTreeMap::new();
    for (name, value) in [
        ("CRC32C", out.checksum_crc32_c()),
        ("CRC32", out.checksum_crc32()),
        ("CRC64NVME", out.checksum_crc64_nvme()),
        ("SHA1", out.checksum_sha1()),
        ("SHA256", out.checksum_sha256()),
    ] {
        if let Some(v) = value {
            checksums.insert(name.to_owned(), v.to_owned());
        }
    }
    Ok(ObjectDetails {
        bucket: access.bucket().to_owned(),
        key: key.to_owned(),
        size: out.content_length().unwrap_or(0).max(0) as u64,
        content_type: out.content_type().map(str::to_owned),
        modified: out.last_modified().and_then(|d| d.to_millis().ok()),
        etag: out.e_tag().map(str::to_owned),
        checksums,
        metadata: out
            .metadata()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
        storage_class: out.storage_class().map(|s| s.as_str().to_owned()),
        cache_control: out.cache_control().map(str::to_owned),
        content_disposition: out.content_disposition().map(str::to_owned),
        preview: super::preview::preview_kind(key, out.content_type()),
    })
}

/// Deletes one object. A missing key is an error (S3 itself would answer 204), so a
/// user who confirmed a delete learns when there was nothing to delete.
pub async fn delete(access: &BucketAccess, key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(HoistError::InvalidInput("the key is empty".into()));
    }
    details(access, key).await?;
    access
        .client()
        .delete_object()
        .bucket(access.bucket())
        .key(key)
        .send()
        .await
        .map_err(|e| map_err(access.bucket(), e))?;
    Ok(())
}

/// Streams an object to `dest` (through a temporary file renamed at the end, so a
/// broken download never leaves a partial file under the real name). Returns bytes.
pub async fn download(access: &BucketAccess, key: &str, dest: &Path) -> Result<u64> {
    download_with_progress(access, key, dest, |_, _| {}).await
}

/// [`download`], calling `progress(bytes so far, total when known)` after each chunk.
pub async fn download_with_progress(
    access: &BucketAccess,
    key: &str,
    dest: &Path,
    progress: impl Fn(u64, Option<u64>),
) -> Result<u64> {
    download_cancellable(access, key, dest, progress, &CancellationToken::new()).await
}

/// [`download_with_progress`] that stops when `cancel` fires: `Cancelled`, and neither
/// `dest` nor the partial file is left behind.
pub async fn download_cancellable(
    access: &BucketAccess,
    key: &str,
    dest: &Path,
    progress: impl Fn(u64, Option<u64>),
    cancel: &CancellationToken,
) -> Result<u64> {
    let res = access
        .client()
        .get_object()
        .bucket(access.bucket())
        .key(key)
        .send()
        .await;
    let mut out = match res {
        Ok(out) => out,
        Err(SdkError::ServiceError(ctx)) if ctx.raw().status().as_u16() == 404 => {
            return Err(match ctx.err().meta().code() {
                Some("NoSuchBucket") => HoistError::NoSuchBucket(access.bucket().to_owned()),
                _ => not_found(access, key),
            });
        }
        Err(e) => return Err(map_err(access.bucket(), e)),
    };
    let tmp = dest.with_extension(format!(
        "{}hoist-part",
        dest.extension()
            .map(|e| format!("{}.", e.to_string_lossy()))
            .unwrap_or_default()
    ));
    let mut file = tokio::fs::File::create(&tmp)
        .await
        .map_err(|e| HoistError::local_file(&tmp, e))?;
    let mut written = 0u64;
    let total = out.content_length().map(|n| n.max(0) as u64);
    progress(0, total);
    let result: Result<()> = async {
        loop {
            let next = tokio::select! {
                biased;
                _ = cancel.cancelled() => return Err(HoistError::Cancelled),
                next = out.body.try_next() => next,
            };
            let Some(chunk) =
                next.map_err(|e| HoistError::Network(format!("the download broke off: {e}")))?
            else {
                break;
            };
            file.write_all(&chunk)
                .await
                .map_err(|e| HoistError::local_file(&tmp, e))?;
            written += chunk.len() as u64;
            progress(written, total);
        }
        file.flush()
            .await
            .map_err(|e| HoistError::local_file(&tmp, e))?;
        file.sync_all()
            .await
            .map_err(|e| HoistError::local_file(&tmp, e))?;
        Ok(())
    }
    .await;
    if let Err(e) = result {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(e);
    }
    tokio::fs::rename(&tmp, dest)
        .await
        .map_err(|e| HoistError::local_file(dest, e))?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_become_folders() {
        assert_eq!(folder_prefix(""), "");
        assert_eq!(folder_prefix("/"), "");
        assert_eq!(folder_prefix("photos"), "photos/");
        assert_eq!(folder_prefix("/photos/2024/"), "photos/2024/");
    }

    #[test]
    fn filter_is_a_case_insensitive_substring() {
        assert!(name_matches("Holiday.JPG", Some("jpg")));
        assert!(name_matches("anything", None));
        assert!(!name_matches("notes.txt", Some("jpg")));
    }
}
