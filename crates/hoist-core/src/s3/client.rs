//! Clients for a target: the credentials seam (the AWS chain, or a profile's keyring
//! secret), the SDK client's settings, and [`BucketAccess`] for the object features.

use std::sync::Arc;
use std::time::Duration;

use aws_config::SdkConfig;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_s3::config::{Region, RequestChecksumCalculation, ResponseChecksumValidation};

use super::credentials::{DescribedCredentials, describe_failure};
use super::store::S3Store;
use super::target::{Target, normalize_prefix};
use crate::error::{HoistError, Result};

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
    target.prefix = normalize_prefix(&target.prefix);
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
    // Whichever provider signs, its failures come back in words (`credentials`).
    match credentials.or_else(|| base.credentials_provider()) {
        Some(c) => {
            b = b.credentials_provider(DescribedCredentials::wrap(target.profile.as_deref(), c))
        }
        None => {
            return Err(HoistError::Credentials(
                "no credentials found: add a profile (`hoist profile add`) or name one with --profile, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY".into(),
            ));
        }
    }
    b = b
        .force_path_style(target.uses_path_style())
        // Hoist computes and sends checksums itself, as plain headers.
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
        // Hoist retries per part with its own backoff, so it can report and wait.
        .retry_config(aws_sdk_s3::config::retry::RetryConfig::disabled())
        // The SDK's own upload stall check fails a body the transport has not polled
        // for 5 s, which is every body on a slow link whose socket buffers are full.
        // Bodies have Hoist's stall rule instead (`s3::body`); downloads keep the SDK's.
        .stalled_stream_protection(
            aws_sdk_s3::config::StalledStreamProtectionConfig::enabled()
                .upload_enabled(false)
                .build(),
        )
        // The SDK's read timeout runs from the request's start to the response's
        // headers, sending the body included: requests with a body replace it with a
        // stall timeout (`sending_body`); the rest (HEAD, Create, Complete, ...) keep it.
        .timeout_config(
            aws_sdk_s3::config::timeout::TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .read_timeout(Duration::from_secs(120))
                .build(),
        );
    Ok(aws_sdk_s3::Client::from_conf(b.build()))
}

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The settings of a request that sends a file's bytes: a connect timeout, and no
/// deadline that includes upload time (the body's stall timeout watches progress).
pub(crate) fn sending_body() -> aws_sdk_s3::config::Builder {
    aws_sdk_s3::config::Builder::new().timeout_config(
        aws_sdk_s3::config::timeout::TimeoutConfig::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .disable_read_timeout()
            .build(),
    )
}

/// A target with its client: what share links, the bucket browser and URL fetches
/// use. Built from the same credentials seam as uploads (`Engine::access`, or
/// [`BucketAccess::connect`] without an engine), so every credentials source works.
#[derive(Clone)]
pub struct BucketAccess {
    target: Target,
    store: S3Store,
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

    /// An access for account-wide calls (list and create buckets): the target's
    /// bucket may be empty.
    pub async fn connect_account(
        resolver: &dyn CredentialResolver,
        target: Target,
    ) -> Result<BucketAccess> {
        let base = load_base_config().await;
        let target = resolve_target(&base, target);
        target.validate_endpoint()?;
        Self::built(&base, resolver, target)
    }

    pub(crate) fn with_base(
        base: &SdkConfig,
        resolver: &dyn CredentialResolver,
        target: Target,
    ) -> Result<BucketAccess> {
        let target = resolve_target(base, target);
        target.validate()?;
        Self::built(base, resolver, target)
    }

    fn built(
        base: &SdkConfig,
        resolver: &dyn CredentialResolver,
        target: Target,
    ) -> Result<BucketAccess> {
        let creds = resolver.resolve(target.profile.as_deref())?;
        let store = S3Store::new(build_client(base, &target, creds.clone())?, &target.bucket);
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
        store: S3Store,
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

    pub fn store(&self) -> &S3Store {
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
            .map_err(|e| describe_failure(self.target.profile.as_deref(), &e))?;
        Ok(creds.expiry())
    }
}
