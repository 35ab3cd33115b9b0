//! Where uploads go: endpoint, region, bucket, prefix, addressing and checksum mode.
//! Targets are stored in the journal, so they never hold secrets.

use serde::{Deserialize, Serialize};

use crate::error::{HoistError, Result};

/// How part integrity is proven to the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ChecksumMode {
    /// CRC32C of every part sent as a plain `x-amz-checksum-crc32c` header (no
    /// aws-chunked streaming, so stores that reject the SDK's trailing checksums work),
    /// checked by the store; the object's composite CRC32C verified after completion.
    #[default]
    Crc32c,
    /// `Content-MD5` on every part, for stores without flexible checksums; the
    /// multipart ETag (MD5 of part MD5s) verified after completion.
    ContentMd5,
}

impl std::str::FromStr for ChecksumMode {
    type Err = HoistError;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "crc32c" | "full" => Ok(ChecksumMode::Crc32c),
            "md5" | "content-md5" | "compatible" => Ok(ChecksumMode::ContentMd5),
            other => Err(HoistError::InvalidInput(format!(
                "unknown checksum mode {other:?} (use crc32c or md5)"
            ))),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Target {
    /// Custom endpoint (MinIO, Ceph, R2, ...); `None` = AWS.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub bucket: String,
    /// Key prefix; normalised to end in `/` when not empty.
    #[serde(default)]
    pub prefix: String,
    /// `None` = automatic: path-style for IP and localhost endpoints.
    #[serde(default)]
    pub path_style: Option<bool>,
    #[serde(default)]
    pub checksum: ChecksumMode,
    /// Which credentials to use; `None` = the default chain.
    #[serde(default)]
    pub profile: Option<String>,
}

impl Target {
    pub fn new(bucket: impl Into<String>) -> Target {
        Target {
            endpoint: None,
            region: None,
            bucket: bucket.into(),
            prefix: String::new(),
            path_style: None,
            checksum: ChecksumMode::default(),
            profile: None,
        }
    }

    pub fn validate(&self) -> Result<()> {
        check_bucket_name(&self.bucket)?;
        self.validate_endpoint()
    }

    /// The endpoint alone: account-wide calls (ListBuckets, CreateBucket) name no
    /// bucket of the target's.
    pub fn validate_endpoint(&self) -> Result<()> {
        if let Some(ep) = &self.endpoint
            && !(ep.starts_with("http://") || ep.starts_with("https://"))
        {
            return Err(HoistError::InvalidInput(format!(
                "endpoint {ep:?} must start with http:// or https://"
            )));
        }
        Ok(())
    }

    /// Path-style addressing: explicit, or automatic for endpoints that are an IP
    /// address or localhost (virtual-host names cannot resolve there).
    pub fn uses_path_style(&self) -> bool {
        if let Some(explicit) = self.path_style {
            return explicit;
        }
        let Some(ep) = &self.endpoint else {
            return false;
        };
        let host = ep.split("://").nth(1).unwrap_or(ep);
        let host = host.split('/').next().unwrap_or(host);
        let host = if host.starts_with('[') {
            host.split(']')
                .next()
                .unwrap_or(host)
                .trim_start_matches('[')
        } else {
            host.rsplit_once(':').map(|(h, _)| h).unwrap_or(host)
        };
        host == "localhost"
            || host.ends_with(".localhost")
            || host.parse::<std::net::IpAddr>().is_ok()
    }
}

/// Normalises a user's prefix: `/`-separated, no leading `/`, ending in `/` unless empty.
pub fn normalize_prefix(prefix: &str) -> String {
    let parts: Vec<&str> = prefix
        .split(['/', '\\'])
        .filter(|p| !p.is_empty())
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("{}/", parts.join("/"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_endpoint(ep: &str) -> Target {
        Target {
            endpoint: Some(ep.into()),
            ..Target::new("bucket")
        }
    }

    #[test]
    fn path_style_is_automatic_for_ip_and_localhost() {
        assert!(with_endpoint("http://127.0.0.1:9000").uses_path_style());
        assert!(with_endpoint("http://localhost:8333").uses_path_style());
        assert!(with_endpoint("http://[::1]:8333/").uses_path_style());
        assert!(with_endpoint("https://10.1.2.3").uses_path_style());
        assert!(!with_endpoint("https://s3.example.com").uses_path_style());
        assert!(!Target::new("bucket").uses_path_style());
        let explicit = Target {
            path_style: Some(true),
            ..with_endpoint("https://minio.corp")
        };
        assert!(explicit.uses_path_style());
    }

    #[test]
    fn bucket_and_endpoint_are_validated() {
        assert!(Target::new("my-bucket").validate().is_ok());
        assert!(Target::new("My_Bucket!").validate().is_err());
        assert!(Target::new("ab").validate().is_err());
        assert!(with_endpoint("ftp://x").validate().is_err());
    }

    #[test]
    fn checksum_modes_parse() {
        assert_eq!(
            "full".parse::<ChecksumMode>().unwrap(),
            ChecksumMode::Crc32c
        );
        assert_eq!(
            "compatible".parse::<ChecksumMode>().unwrap(),
            ChecksumMode::ContentMd5
        );
        assert!("sha1".parse::<ChecksumMode>().is_err());
    }
}

/// S3's bucket naming rules, in words a user can act on.
pub fn check_bucket_name(b: &str) -> Result<()> {
    let ok_chars = b
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ".-_".contains(c));
    if b.len() < 3 || b.len() > 63 || !ok_chars {
        return Err(HoistError::InvalidInput(format!(
            "{b:?} is not a valid bucket name (3-63 lowercase letters, digits, '.', '-')"
        )));
    }
    Ok(())
}
