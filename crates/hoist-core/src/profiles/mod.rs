//! Named storage accounts. A profile's non-secret fields live in `profiles.json` in
//! Hoist's config dir (shared by the CLI and the desktop app); its secret access key
//! and session token live only in the OS keyring ([`SecretVault`]).

mod aws_files;
mod credentials;
pub mod destination;
mod local_keys;
mod probe;
mod store;
mod vault;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use aws_files::AwsImport;
pub use aws_files::{AwsFileProfile, AwsFiles};
pub use credentials::ProfileCredentials;
pub use destination::{AddPreferenceFile, AddPreferences, ConflictChoice, Destination};
pub use local_keys::{LocalKeysOrigin, LocalStoreKeys};
pub use probe::{
    ChecksumSupport, ConnectionProblem, ConnectionReport, ProblemKind, test_connection,
    test_profile,
};
pub use store::ProfileStore;
pub use vault::{KEYRING_SERVICE, ProfileSecret, SecretVault};

use crate::error::{HoistError, Result};
use crate::s3::{ChecksumMode, ObjectOptions, Target, normalize_prefix};

/// Names the desktop app keeps for itself (its embedded store).
pub const RESERVED_PROFILE_NAMES: &[&str] = &["hoist-local"];

/// How part integrity is proven, as the user chose it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ChecksumPreference {
    /// What the connection test found the store supports (CRC32C until tested).
    #[default]
    Auto,
    /// CRC32C headers on every part (AWS, MinIO, R2, SeaweedFS ...).
    Full,
    /// Content-MD5 only, for stores without flexible checksums.
    Compatible,
}

impl std::str::FromStr for ChecksumPreference {
    type Err = HoistError;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(ChecksumPreference::Auto),
            "full" | "crc32c" => Ok(ChecksumPreference::Full),
            "compatible" | "md5" | "content-md5" => Ok(ChecksumPreference::Compatible),
            other => Err(HoistError::InvalidInput(format!(
                "unknown checksum mode {other:?} (use auto, full or compatible)"
            ))),
        }
    }
}

/// A storage account, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Profile {
    pub name: String,
    /// `null` = AWS.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    /// Default bucket for uploads and links.
    pub bucket: Option<String>,
    #[serde(default)]
    pub prefix: String,
    /// `null` = automatic (path-style for IP and localhost endpoints).
    #[serde(default)]
    pub path_style: Option<bool>,
    #[serde(default)]
    pub checksum: ChecksumPreference,
    /// What the last connection test found; used when `checksum` is auto.
    #[serde(default)]
    pub probed_checksum: Option<ChecksumMode>,
    pub access_key_id: String,
    /// When temporary credentials stop working (ms since the epoch); `null` = never.
    #[serde(default)]
    #[ts(type = "number | null")]
    pub session_expires_at: Option<i64>,
    /// Object options every upload through this profile gets unless the upload sets
    /// its own (content type, metadata, tags, cache-control, storage class, SSE).
    #[serde(default, skip_serializing_if = "ObjectOptions::is_empty")]
    pub upload_defaults: ObjectOptions,
    /// How keys are made from file names (`{yyyy}/{mm}/{dd}/{name}`); `null` = the
    /// prefix + the file's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_template: Option<String>,
}

impl Profile {
    pub fn checksum_mode(&self) -> ChecksumMode {
        match self.checksum {
            ChecksumPreference::Full => ChecksumMode::Crc32c,
            ChecksumPreference::Compatible => ChecksumMode::ContentMd5,
            ChecksumPreference::Auto => self.probed_checksum.unwrap_or_default(),
        }
    }

    /// The upload target this profile describes. `bucket` overrides the default one.
    pub fn target(&self, bucket: Option<&str>) -> Result<Target> {
        let bucket = bucket
            .map(str::to_owned)
            .or_else(|| self.bucket.clone())
            .ok_or_else(|| {
                HoistError::InvalidInput(format!(
                    "profile {:?} has no default bucket: name one",
                    self.name
                ))
            })?;
        let target = Target {
            endpoint: self.endpoint.clone(),
            region: self.region.clone(),
            bucket,
            prefix: normalize_prefix(&self.prefix),
            path_style: self.path_style,
            checksum: self.checksum_mode(),
            profile: Some(self.name.clone()),
        };
        target.validate()?;
        Ok(target)
    }

    fn validate(&self) -> Result<()> {
        validate_name(&self.name)?;
        if self.access_key_id.is_empty()
            || self.access_key_id.len() > 128
            || !self.access_key_id.chars().all(|c| c.is_ascii_graphic())
        {
            return Err(HoistError::InvalidInput(
                "the access key id must be 1-128 printable characters without spaces".into(),
            ));
        }
        if let Some(r) = &self.region
            && (r.is_empty()
                || r.len() > 64
                || !r
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        {
            return Err(HoistError::InvalidInput(format!(
                "{r:?} is not a region name"
            )));
        }
        if let Some(ep) = &self.endpoint {
            let rest = ep
                .strip_prefix("https://")
                .or_else(|| ep.strip_prefix("http://"))
                .ok_or_else(|| {
                    HoistError::InvalidInput(format!(
                        "endpoint {ep:?} must start with http:// or https://"
                    ))
                })?;
            if rest.is_empty() || rest.chars().any(|c| c.is_whitespace()) {
                return Err(HoistError::InvalidInput(format!(
                    "endpoint {ep:?} is not a URL"
                )));
            }
        }
        if let Some(b) = &self.bucket {
            Target::new(b.clone()).validate()?;
        }
        Ok(())
    }
}

/// RFC 3339 ("2026-11-23T18:00:00Z") → ms since the epoch.
pub fn parse_timestamp(s: &str) -> Result<i64> {
    aws_smithy_types::DateTime::from_str(s.trim(), aws_smithy_types::date_time::Format::DateTime)
        .ok()
        .and_then(|d| d.to_millis().ok())
        .ok_or_else(|| {
            HoistError::InvalidInput(format!(
                "{s:?} is not a time (use RFC 3339, e.g. 2026-11-23T18:00:00Z)"
            ))
        })
}

/// ms since the epoch → RFC 3339 (UTC).
pub fn format_timestamp(ms: i64) -> String {
    aws_smithy_types::DateTime::from_millis(ms)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_else(|_| ms.to_string())
}

pub fn validate_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        && !name.starts_with('.');
    if !ok {
        return Err(HoistError::InvalidInput(format!(
            "{name:?} is not a profile name (1-64 letters, digits, '.', '_', '-')"
        )));
    }
    if RESERVED_PROFILE_NAMES.contains(&name) {
        return Err(HoistError::InvalidInput(format!(
            "{name:?} is reserved for the embedded local store"
        )));
    }
    Ok(())
}

/// A profile as shells show it: whether a secret is stored, never the secret.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ProfileSummary {
    #[serde(flatten)]
    pub profile: Profile,
    /// Whether the keyring holds a secret for it (`null`: the keyring could not say).
    pub secret_stored: Option<bool>,
    pub has_session_token: bool,
    pub active: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ProfileList {
    pub active: Option<String>,
    pub profiles: Vec<ProfileSummary>,
    /// `null` when the keyring works; otherwise what is wrong and what to do.
    pub keyring_problem: Option<String>,
}

/// What a command asked for; every `None` is taken from the profile.
#[derive(Debug, Clone, Default)]
pub struct TargetRequest {
    pub profile: Option<String>,
    pub bucket: Option<String>,
    pub prefix: Option<String>,
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub path_style: Option<bool>,
    pub checksum: Option<ChecksumMode>,
}

/// A profile to create or update. Credentials are write-only: `None` keeps the ones in
/// the keyring.
#[derive(Debug, Clone)]
pub struct ProfileUpdate {
    pub profile: Profile,
    /// The name the profile had before (a rename moves its keyring entry).
    pub previous_name: Option<String>,
    pub secret: Option<ProfileSecret>,
}
