//! Object versions (seed 004 keeps every asset's versions): where a bucket has
//! versioning on, list one key's versions and delete markers, and restore an older
//! version by copying it over the current one — a restore adds a version, it never
//! deletes one, so it can itself be undone.

use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
use serde::Serialize;

use crate::error::{HoistError, Result};
use crate::s3::{BucketAccess, UploadStore, copy_source, map_err};

/// CopyObject's limit: larger versions need a multipart copy.
const MAX_SINGLE_COPY: u64 = 5 * 1024 * 1024 * 1024;
/// One ListObjectVersions page; a key with more versions pages on.
const PAGE: i32 = 1000;
/// A key's history is read up to this many entries (newest first).
pub const MAX_VERSIONS: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Versioning {
    /// Never turned on: each key has one version (`null`).
    Off,
    Enabled,
    /// Turned on once, now off: older versions are kept, new writes replace `null`.
    Suspended,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ObjectVersion {
    pub key: String,
    /// The store's id; "null" for what was written while versioning was off.
    pub version_id: String,
    #[ts(type = "number")]
    pub size: u64,
    /// Milliseconds since the Unix epoch.
    #[ts(type = "number | null")]
    pub modified: Option<i64>,
    pub etag: Option<String>,
    /// The version a plain GET returns (a delete marker here: the key looks deleted).
    pub is_latest: bool,
    /// A delete: no content; restoring an older version brings the key back.
    pub is_delete_marker: bool,
}

/// A key's versions and the bucket's versioning state, as the Browser shows them.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ObjectVersions {
    pub versioning: Versioning,
    pub versions: Vec<ObjectVersion>,
}

pub async fn versioning(access: &BucketAccess) -> Result<Versioning> {
    let out = access
        .client()
        .get_bucket_versioning()
        .bucket(access.bucket())
        .send()
        .await
        .map_err(|e| map_err(access.bucket(), e))?;
    Ok(match out.status() {
        Some(BucketVersioningStatus::Enabled) => Versioning::Enabled,
        Some(BucketVersioningStatus::Suspended) => Versioning::Suspended,
        _ => Versioning::Off,
    })
}

/// Turns versioning on or suspends it (a bucket can never go back to "off").
pub async fn set_versioning(access: &BucketAccess, enabled: bool) -> Result<()> {
    let status = if enabled {
        BucketVersioningStatus::Enabled
    } else {
        BucketVersioningStatus::Suspended
    };
    access
        .client()
        .put_bucket_versioning()
        .bucket(access.bucket())
        .versioning_configuration(VersioningConfiguration::builder().status(status).build())
        .send()
        .await
        .map_err(|e| map_err(access.bucket(), e))?;
    Ok(())
}

/// Every version and delete marker of exactly `key`, newest first.
pub async fn list_versions(access: &BucketAccess, key: &str) -> Result<Vec<ObjectVersion>> {
    check_key(key)?;
    let mut found = Vec::new();
    let (mut key_marker, mut version_marker) = (None::<String>, None::<String>);
    loop {
        let out = access
            .client()
            .list_object_versions()
            .bucket(access.bucket())
            .prefix(key)
            .max_keys(PAGE)
            .set_key_marker(key_marker.clone())
            .set_version_id_marker(version_marker.clone())
            .send()
            .await
            .map_err(|e| map_err(access.bucket(), e))?;
        // The prefix also matches longer keys ("a.txt" and "a.txt.bak").
        for v in out.versions().iter().filter(|v| v.key() == Some(key)) {
            found.push(ObjectVersion {
                key: key.to_owned(),
                version_id: v.version_id().unwrap_or("null").to_owned(),
                size: v.size().unwrap_or(0).max(0) as u64,
                modified: v.last_modified().and_then(|d| d.to_millis().ok()),
                etag: v.e_tag().map(str::to_owned),
                is_latest: v.is_latest() == Some(true),
                is_delete_marker: false,
            });
        }
        for m in out.delete_markers().iter().filter(|m| m.key() == Some(key)) {
            found.push(ObjectVersion {
                key: key.to_owned(),
                version_id: m.version_id().unwrap_or("null").to_owned(),
                size: 0,
                modified: m.last_modified().and_then(|d| d.to_millis().ok()),
                etag: None,
                is_latest: m.is_latest() == Some(true),
                is_delete_marker: true,
            });
        }
        // Keys after ours sort later: once the listing has passed `key`, stop.
        let passed = out
            .versions()
            .iter()
            .filter_map(|v| v.key())
            .chain(out.delete_markers().iter().filter_map(|m| m.key()))
            .any(|k| k > key && !k.starts_with(key));
        if out.is_truncated() != Some(true) || passed || found.len() >= MAX_VERSIONS {
            break;
        }
        key_marker = out.next_key_marker().map(str::to_owned);
        version_marker = out.next_version_id_marker().map(str::to_owned);
        if key_marker.is_none() {
            break;
        }
    }
    // The store lists versions and delete markers apart: merge them, newest first
    // (the latest first whatever the clock says).
    found.sort_by(|a, b| {
        b.is_latest
            .cmp(&a.is_latest)
            .then(b.modified.cmp(&a.modified))
    });
    if found.is_empty() {
        return Err(HoistError::NotFound(format!(
            "{key:?} has no versions in bucket {:?}",
            access.bucket()
        )));
    }
    Ok(found)
}

/// Makes `version_id` the current version of `key` by copying it over the key (a new
/// version with the old bytes). The copy is checked: same size, and the same ETag
/// where the old version's ETag is a plain MD5.
pub async fn restore(access: &BucketAccess, key: &str, version_id: &str) -> Result<ObjectVersion> {
    check_key(key)?;
    check_version_id(version_id)?;
    let versions = list_versions(access, key).await?;
    let old = versions
        .iter()
        .find(|v| v.version_id == version_id)
        .ok_or_else(|| HoistError::NotFound(format!("{key:?} has no version {version_id:?}")))?;
    if old.is_delete_marker {
        return Err(HoistError::InvalidInput(format!(
            "version {version_id:?} of {key:?} is a delete marker: restore the version before it"
        )));
    }
    if old.is_latest {
        return Ok(old.clone());
    }
    if old.size > MAX_SINGLE_COPY {
        return Err(HoistError::InvalidInput(format!(
            "version {version_id:?} of {key:?} is over 5 GiB; restoring it needs a multipart copy, which this version of Hoist does not do yet"
        )));
    }
    // The id goes in the copy source's query: `+`, `/` and `=` must not be read as
    // a space, a path or another parameter.
    let encoded: String = version_id
        .bytes()
        .map(|b| match b {
            b if b.is_ascii_alphanumeric() || b"-_.".contains(&b) => (b as char).to_string(),
            b => format!("%{b:02X}"),
        })
        .collect();
    let source = format!("{}?versionId={encoded}", copy_source(access.bucket(), key));
    let out = access
        .client()
        .copy_object()
        .bucket(access.bucket())
        .key(key)
        .copy_source(source)
        .send()
        .await
        .map_err(|e| map_err(access.bucket(), e))?;
    let new_version = out.version_id().map(str::to_owned);
    let now = access.store().head(key).await?.ok_or_else(|| {
        HoistError::Network(format!("{key:?} is missing right after its restore"))
    })?;
    let plain_md5 = |e: &str| !e.contains('-');
    let etag_ok = match (&old.etag, &now.etag) {
        (Some(a), Some(b)) if plain_md5(a) => a.trim_matches('"') == b.trim_matches('"'),
        _ => true,
    };
    if now.size != old.size || !etag_ok {
        return Err(HoistError::Integrity(format!(
            "the restored {key:?} does not match version {version_id:?} ({} bytes, ETag {:?}; expected {} bytes, ETag {:?})",
            now.size, now.etag, old.size, old.etag
        )));
    }
    Ok(ObjectVersion {
        key: key.to_owned(),
        version_id: new_version.unwrap_or_else(|| "null".into()),
        size: now.size,
        modified: None,
        etag: now.etag,
        is_latest: true,
        is_delete_marker: false,
    })
}

fn check_key(key: &str) -> Result<()> {
    if key.is_empty() || key.len() > 1024 || key.contains('\0') || key.ends_with('/') {
        return Err(HoistError::InvalidInput(format!(
            "{key:?} is not an object key"
        )));
    }
    Ok(())
}

/// Version ids are opaque but printable; they go into a header, so nothing else.
fn check_version_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 1024
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.+=/".contains(&b));
    if !ok {
        return Err(HoistError::InvalidInput(format!(
            "{id:?} is not a version id"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_ids_and_keys_are_checked() {
        assert!(check_version_id("6712a9f9672f6effd31452d9dcc3898d").is_ok());
        assert!(check_version_id("null").is_ok());
        assert!(
            check_version_id("3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo")
                .is_ok()
        );
        for bad in ["", "a b", "x&y=1", "v\r\nX-Amz-Evil: 1"] {
            assert!(check_version_id(bad).is_err(), "{bad:?}");
        }
        assert!(check_key("").is_err() && check_key("dir/").is_err());
        assert!(check_key("a b/ü.txt").is_ok());
    }
}
