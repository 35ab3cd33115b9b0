//! Where uploads go: endpoint, region, bucket, prefix, addressing and checksum mode,
//! and the seam through which credentials arrive (the AWS chain today, the OS keyring
//! later). Targets are stored in the journal, so they never hold secrets.

use std::sync::Arc;
use std::time::Duration;

use aws_config::SdkConfig;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_s3::config::{Region, RequestChecksumCalculation, ResponseChecksumValidation};
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
        let b = &self.bucket;
        let ok_chars = b
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ".-_".contains(c));
        if b.len() < 3 || b.len() > 63 || !ok_chars {
            return Err(HoistError::InvalidInput(format!(
                "{b:?} is not a valid bucket name (3-63 lowercase letters, digits, '.', '-')"
            )));
        }
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

/// The credentials seam: turns a target's profile into credentials. The default
/// resolver uses the AWS chain (env vars, `~/.aws`); the keyring resolver comes later.
pub trait CredentialResolver: Send + Sync + 'static {
    /// `Ok(None)` means "use the SDK's default chain".
    fn resolve(&self, profile: Option<&str>) -> Result<Option<SharedCredentialsProvider>>;
}

/// Credentials from the standard AWS chain (`AWS_ACCESS_KEY_ID`, `~/.aws`, ...).
pub struct AwsChainCredentials;

impl CredentialResolver for AwsChainCredentials {
    fn resolve(&self, profile: Option<&str>) -> Result<Option<SharedCredentialsProvider>> {
        match profile {
            None => Ok(None),
            Some(name) => Ok(Some(SharedCredentialsProvider::new(
                aws_config::profile::ProfileFileCredentialsProvider::builder()
                    .profile_name(name)
                    .build(),
            ))),
        }
    }
}

pub type SharedResolver = Arc<dyn CredentialResolver>;

/// Loads the environment's base settings (region, endpoint, credentials chain).
pub async fn load_base_config() -> SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await
}

/// Fills what the target leaves open from the environment, so the journal records the
/// endpoint an upload really went to.
pub fn resolve_target(base: &SdkConfig, mut target: Target) -> Target {
    if target.endpoint.is_none() {
        target.endpoint = base.endpoint_url().map(str::to_owned);
    }
    if target.region.is_none() {
        target.region = base.region().map(|r| r.to_string());
    }
    target.prefix = crate::source::normalize_prefix(&target.prefix);
    target
}

pub(crate) fn build_client(
    base: &SdkConfig,
    target: &Target,
    credentials: Option<SharedCredentialsProvider>,
) -> Result<aws_sdk_s3::Client> {
    let mut b = aws_sdk_s3::config::Builder::from(base);
    if let Some(ep) = &target.endpoint {
        b = b.endpoint_url(ep);
    }
    let region = target
        .region
        .clone()
        .or_else(|| base.region().map(|r| r.to_string()));
    b = b.region(Region::new(
        region.unwrap_or_else(|| "us-east-1".to_owned()),
    ));
    match credentials {
        Some(c) => b = b.credentials_provider(c),
        None if base.credentials_provider().is_none() => {
            return Err(HoistError::Auth {
                code: "NoCredentials".into(),
                message: "no credentials found (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or an AWS profile)".into(),
            });
        }
        None => {}
    }
    b = b
        .force_path_style(target.uses_path_style())
        // Hoist computes and sends checksums itself, as plain headers.
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
        // Hoist retries per part with its own backoff, so it can report and wait.
        .retry_config(aws_sdk_s3::config::retry::RetryConfig::disabled())
        .timeout_config(
            aws_sdk_s3::config::timeout::TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(10))
                .read_timeout(Duration::from_secs(120))
                .build(),
        );
    Ok(aws_sdk_s3::Client::from_conf(b.build()))
}

/// A target with its client: what share links, the bucket browser and URL fetches
/// use. Built from the same credentials seam as uploads (`Engine::access`, or
/// [`BucketAccess::connect`] without an engine), so every credentials source works.
#[derive(Clone)]
pub struct BucketAccess {
    target: Target,
    store: crate::store::S3Store,
    /// The provider the client signs with (the SDK's client config does not expose it).
    credentials: Option<SharedCredentialsProvider>,
}

impl BucketAccess {
    /// Resolves the target against the environment (endpoint, region) and builds its
    /// client with credentials from `resolver`.
    pub async fn connect(
        resolver: &dyn CredentialResolver,
        target: Target,
    ) -> Result<BucketAccess> {
        let base = load_base_config().await;
        Self::with_base(&base, resolver, target)
    }

    pub(crate) fn with_base(
        base: &SdkConfig,
        resolver: &dyn CredentialResolver,
        target: Target,
    ) -> Result<BucketAccess> {
        let target = resolve_target(base, target);
        target.validate()?;
        let creds = resolver.resolve(target.profile.as_deref())?;
        let store =
            crate::store::S3Store::new(build_client(base, &target, creds.clone())?, &target.bucket);
        Ok(BucketAccess {
            credentials: creds.or_else(|| base.credentials_provider()),
            target,
            store,
        })
    }

    pub(crate) fn from_store(
        base: &SdkConfig,
        resolver: &dyn CredentialResolver,
        target: Target,
        store: crate::store::S3Store,
    ) -> Result<BucketAccess> {
        let creds = resolver.resolve(target.profile.as_deref())?;
        Ok(BucketAccess {
            credentials: creds.or_else(|| base.credentials_provider()),
            target,
            store,
        })
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    pub fn bucket(&self) -> &str {
        &self.target.bucket
    }

    pub fn store(&self) -> &crate::store::S3Store {
        &self.store
    }

    pub fn client(&self) -> &aws_sdk_s3::Client {
        self.store.client()
    }

    /// When the credentials behind this target stop working (`None`: they do not
    /// expire, e.g. long-term keys). Asks the provider itself, so temporary
    /// credentials from any source (STS, SSO, a profile's session) report their end.
    pub async fn credentials_expiry(&self) -> Result<Option<std::time::SystemTime>> {
        use aws_credential_types::provider::ProvideCredentials;
        let Some(provider) = &self.credentials else {
            return Err(HoistError::Auth {
                code: "NoCredentials".into(),
                message: "no credentials are configured for this target".into(),
            });
        };
        let creds = provider
            .provide_credentials()
            .await
            .map_err(|e| HoistError::Auth {
                code: "NoCredentials".into(),
                message: aws_sdk_s3::error::DisplayErrorContext(&e).to_string(),
            })?;
        Ok(creds.expiry())
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
