//! "Test connection": checks credentials and bucket access, says what is wrong in
//! words a user can act on, and probes which integrity checks the store accepts.

use std::sync::Arc;

use aws_config::SdkConfig;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sdk_s3::config::RequestChecksumCalculation;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;
use serde::Serialize;
use ts_rs::TS;

use super::ProfileStore;
use crate::error::{HoistError, Result};
use crate::s3::checksum;
use crate::s3::{BodyChecksum, ChecksumMode, S3Store, Target, UploadStore, build_client, map_err};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ProblemKind {
    Unreachable,
    Tls,
    Timeout,
    NoCredentials,
    WrongAccessKey,
    WrongSecret,
    ClockSkew,
    ExpiredCredentials,
    NoSuchBucket,
    AccessDenied,
    StoreError,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ConnectionProblem {
    pub kind: ProblemKind,
    /// What happened and what to do, in words.
    pub message: String,
}

/// Which integrity checks the store accepted on a probe object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ChecksumSupport {
    /// A plain `x-amz-checksum-crc32c` header was accepted...
    pub crc32c_header: bool,
    /// ...and the store kept it (HeadObject returns it), so uploads can be verified.
    pub crc32c_stored: bool,
    pub content_md5: bool,
    /// The AWS SDK's default request checksums (streaming, trailing): what stores
    /// such as older Ceph or GCS reject. Hoist never needs them.
    pub sdk_default_checksums: bool,
    /// The mode Hoist will use when the profile's checksum is auto.
    pub recommended: Option<ChecksumMode>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ConnectionReport {
    pub ok: bool,
    pub endpoint: String,
    pub bucket: Option<String>,
    /// What passed, in order ("credentials accepted", ...).
    pub passed: Vec<String>,
    /// Things that work but limit Hoist (e.g. the bucket cannot be listed).
    pub notes: Vec<String>,
    pub problem: Option<ConnectionProblem>,
    pub checksum: Option<ChecksumSupport>,
    #[ts(type = "number | null")]
    pub credentials_expire_at: Option<i64>,
    #[ts(type = "number")]
    pub elapsed_ms: u64,
}

struct Probe<'a> {
    target: &'a Target,
    endpoint: String,
    access_key_id: Option<String>,
}

impl Probe<'_> {
    fn problem<E>(
        &self,
        err: SdkError<E, aws_smithy_runtime_api::http::Response>,
    ) -> ConnectionProblem
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let full = DisplayErrorContext(&err).to_string();
        self.explain(map_err(&self.target.bucket, err), &full)
    }

    fn explain(&self, err: HoistError, context: &str) -> ConnectionProblem {
        let ep = &self.endpoint;
        let bucket = &self.target.bucket;
        let lower = context.to_ascii_lowercase();
        let (kind, message) = match &err {
            HoistError::Network(reason) => {
                if ["certificate", "tls", "ssl", "handshake", "corrupt message"]
                    .iter()
                    .any(|w| lower.contains(w))
                {
                    (
                        ProblemKind::Tls,
                        format!(
                            "the secure (TLS) connection to {ep} failed: {reason}. Check whether the endpoint is https:// or http://, and that the server's certificate is valid for that name"
                        ),
                    )
                } else if lower.contains("timed out") || lower.contains("timeout") {
                    (
                        ProblemKind::Timeout,
                        format!(
                            "{ep} did not answer in time. Check the network, and any firewall or proxy in between"
                        ),
                    )
                } else if lower.contains("identity") || lower.contains("credentials") {
                    (
                        ProblemKind::NoCredentials,
                        format!("no usable credentials: {reason}"),
                    )
                } else {
                    (
                        ProblemKind::Unreachable,
                        format!(
                            "cannot reach {ep}: {reason}. Check the endpoint's host name and port, and that the server is running"
                        ),
                    )
                }
            }
            HoistError::Auth { code, message } => match code.as_str() {
                "InvalidAccessKeyId" => (
                    ProblemKind::WrongAccessKey,
                    format!(
                        "{ep} does not know the access key id {}. Check it for typos, and that it belongs to this store",
                        self.access_key_id.as_deref().unwrap_or("in use")
                    ),
                ),
                "SignatureDoesNotMatch" => (
                    ProblemKind::WrongSecret,
                    "the secret access key is wrong: the store knows the access key id, but the request's signature does not match (SignatureDoesNotMatch). Enter the secret again; if it is right, check the region".to_owned(),
                ),
                "RequestTimeTooSkewed" => (
                    ProblemKind::ClockSkew,
                    "this computer's clock differs too much from the store's (RequestTimeTooSkewed). Set the clock right (turn on automatic time) and test again".to_owned(),
                ),
                "ExpiredToken" | "InvalidToken" | "TokenRefreshRequired" => (
                    ProblemKind::ExpiredCredentials,
                    format!(
                        "the temporary credentials are expired or invalid ({code}). Get a new session token and update the profile"
                    ),
                ),
                "NoCredentials" => (ProblemKind::NoCredentials, message.clone()),
                _ => (
                    ProblemKind::AccessDenied,
                    format!(
                        "the credentials are valid, but not allowed to use bucket {bucket:?} ({code}{}). Ask for list and write permission on it",
                        if message.is_empty() {
                            String::new()
                        } else {
                            format!(": {message}")
                        }
                    ),
                ),
            },
            HoistError::NoSuchBucket(_) => (
                ProblemKind::NoSuchBucket,
                format!("bucket {bucket:?} does not exist on {ep}. Create it, or pick another bucket"),
            ),
            HoistError::Keyring(m) | HoistError::Credentials(m) => {
                (ProblemKind::NoCredentials, m.clone())
            }
            HoistError::NoSuchProfile(_) => (ProblemKind::NoCredentials, err.to_string()),
            other => (
                ProblemKind::StoreError,
                format!("{ep} refused the test: {other}"),
            ),
        };
        ConnectionProblem { kind, message }
    }
}

/// Runs the checks against `target` (its bucket may be empty: then only the
/// credentials are checked).
pub async fn test_connection(
    base: &SdkConfig,
    target: &Target,
    creds: Option<SharedCredentialsProvider>,
) -> ConnectionReport {
    let started = std::time::Instant::now();
    let endpoint = target
        .endpoint
        .clone()
        .or_else(|| base.endpoint_url().map(str::to_owned))
        .unwrap_or_else(|| {
            format!(
                "AWS S3 ({})",
                target.region.as_deref().unwrap_or("us-east-1")
            )
        });
    let mut report = ConnectionReport {
        ok: false,
        endpoint: endpoint.clone(),
        bucket: (!target.bucket.is_empty()).then(|| target.bucket.clone()),
        passed: Vec::new(),
        notes: Vec::new(),
        problem: None,
        checksum: None,
        credentials_expire_at: None,
        elapsed_ms: 0,
    };
    let mut probe = Probe {
        target,
        endpoint,
        access_key_id: None,
    };
    let outcome = run(base, target, creds, &mut probe, &mut report).await;
    if let Err(problem) = outcome {
        report.problem = Some(problem);
    }
    report.ok = report.problem.is_none();
    report.elapsed_ms = started.elapsed().as_millis() as u64;
    report
}

async fn run(
    base: &SdkConfig,
    target: &Target,
    creds: Option<SharedCredentialsProvider>,
    probe: &mut Probe<'_>,
    report: &mut ConnectionReport,
) -> std::result::Result<(), ConnectionProblem> {
    let provider = creds.clone().or_else(|| base.credentials_provider());
    let Some(provider) = provider else {
        return Err(probe.explain(
            HoistError::Auth {
                code: "NoCredentials".into(),
                message: "no credentials: set them in the profile, or in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY".into(),
            },
            "",
        ));
    };
    let loaded = provider.provide_credentials().await.map_err(|e| {
        let words = crate::s3::describe_failure(target.profile.as_deref(), &e).to_string();
        ConnectionProblem {
            kind: ProblemKind::NoCredentials,
            message: words,
        }
    })?;
    probe.access_key_id = Some(loaded.access_key_id().to_owned());
    report.credentials_expire_at = loaded.expiry().and_then(|t| {
        t.duration_since(std::time::UNIX_EPOCH)
            .ok()
            .map(|d| d.as_millis() as i64)
    });
    if let Some(at) = report.credentials_expire_at
        && at <= crate::journal::now_ms()
    {
        return Err(ConnectionProblem {
            kind: ProblemKind::ExpiredCredentials,
            message: "the temporary credentials have expired. Get a new session token and update the profile".into(),
        });
    }
    let client = build_client(base, target, creds.clone()).map_err(|e| probe.explain(e, ""))?;

    if target.bucket.is_empty() {
        match client.list_buckets().send().await {
            Ok(_) => report.passed.push("credentials accepted".into()),
            Err(e) => {
                let p = probe.problem(e);
                if p.kind != ProblemKind::AccessDenied {
                    return Err(p);
                }
                report.passed.push("credentials accepted".into());
                report.notes.push(
                    "these credentials may not list buckets: name a bucket to test it".into(),
                );
            }
        }
        return Ok(());
    }

    match client
        .list_objects_v2()
        .bucket(&target.bucket)
        .max_keys(1)
        .send()
        .await
    {
        Ok(_) => {
            report.passed.push("credentials accepted".into());
            report
                .passed
                .push(format!("bucket {:?} can be listed", target.bucket));
        }
        Err(e) => {
            let p = probe.problem(e);
            if p.kind != ProblemKind::AccessDenied {
                return Err(p);
            }
            report.passed.push("credentials accepted".into());
            report.notes.push(format!(
                "bucket {:?} cannot be listed with these credentials: uploads can work, browsing will not",
                target.bucket
            ));
        }
    }
    report.checksum = Some(probe_writes(base, target, creds, &client, probe, report).await?);
    Ok(())
}

/// Writes small probe objects with each kind of integrity check, reads back what the
/// store kept, and deletes them.
async fn probe_writes(
    base: &SdkConfig,
    target: &Target,
    creds: Option<SharedCredentialsProvider>,
    client: &aws_sdk_s3::Client,
    probe: &Probe<'_>,
    report: &mut ConnectionReport,
) -> std::result::Result<ChecksumSupport, ConnectionProblem> {
    let store = S3Store::new(client.clone(), &target.bucket);
    let body = Bytes::from_static(b"Hoist connection test: safe to delete\n");
    let base_key = format!(
        "{}.hoist-probe-{:016x}",
        crate::s3::normalize_prefix(&target.prefix),
        fastrand::u64(..)
    );
    let crc = checksum::crc32c(&body);
    let mut written = Vec::new();
    let mut support = ChecksumSupport {
        crc32c_header: false,
        crc32c_stored: false,
        content_md5: false,
        sdk_default_checksums: false,
        recommended: None,
    };

    // A refusal that is about permissions ends the test; one about the checksum only
    // says the store does not support it.
    let mut refusals = Vec::new();
    let mut verdict = |what: &str, e: HoistError| -> std::result::Result<(), ConnectionProblem> {
        match e {
            e
            @ (HoistError::Auth { .. } | HoistError::Network(_) | HoistError::NoSuchBucket(_)) => {
                let mut p = probe.explain(e, "");
                if p.kind == ProblemKind::AccessDenied {
                    p.message = format!(
                        "the credentials can read bucket {:?} but not write to it, so uploads will fail. Ask for write (PutObject) permission",
                        target.bucket
                    );
                }
                Err(p)
            }
            other => {
                refusals.push(format!("{what} refused: {other}"));
                Ok(())
            }
        }
    };

    let key = format!("{base_key}-crc32c");
    match store
        .put_object(
            &key,
            body.clone().into(),
            &BodyChecksum::Crc32c(crc),
            &plain_text(),
        )
        .await
    {
        Ok(_) => {
            support.crc32c_header = true;
            written.push(key.clone());
            if let Ok(Some(info)) = store.head(&key).await {
                support.crc32c_stored =
                    info.crc32c.as_deref() == Some(checksum::encode(crc).as_str());
            }
        }
        Err(e) => verdict("a CRC32C header", e)?,
    }

    let key = format!("{base_key}-md5");
    match store
        .put_object(
            &key,
            body.clone().into(),
            &BodyChecksum::Md5(checksum::md5_base64(&body)),
            &plain_text(),
        )
        .await
    {
        Ok(_) => {
            support.content_md5 = true;
            written.push(key);
        }
        Err(e) => verdict("Content-MD5", e)?,
    }
    report.notes.extend(refusals);
    if support.crc32c_header || support.content_md5 {
        report
            .passed
            .push(format!("bucket {:?} accepts uploads", target.bucket));
    }

    // The SDK's own defaults, with its streaming checksums: informative only.
    let sdk_default = build_client(base, target, creds)
        .map(|c| {
            let conf = c
                .config()
                .to_builder()
                .request_checksum_calculation(RequestChecksumCalculation::WhenSupported)
                .build();
            aws_sdk_s3::Client::from_conf(conf)
        })
        .map_err(|e| probe.explain(e, ""))?;
    let key = format!("{base_key}-sdk");
    if sdk_default
        .put_object()
        .bucket(&target.bucket)
        .key(&key)
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .is_ok()
    {
        support.sdk_default_checksums = true;
        written.push(key);
    }

    support.recommended = if support.crc32c_header && support.crc32c_stored {
        Some(ChecksumMode::Crc32c)
    } else if support.content_md5 {
        Some(ChecksumMode::ContentMd5)
    } else {
        None
    };
    if support.recommended.is_none() {
        report.notes.push(
            "the store accepted neither CRC32C nor Content-MD5 checks: uploads cannot be verified"
                .into(),
        );
    }
    for key in written {
        if let Err(e) = client
            .delete_object()
            .bucket(&target.bucket)
            .key(&key)
            .send()
            .await
        {
            report.notes.push(format!(
                "the probe object {key:?} could not be deleted ({}); delete it by hand",
                map_err(&target.bucket, e)
            ));
            break;
        }
    }
    Ok(support)
}

/// Tests a saved profile (`bucket` overrides its default one) and, when its checksum
/// mode is auto, remembers what the store supports.
pub async fn test_profile(
    store: Arc<ProfileStore>,
    base: &SdkConfig,
    name: &str,
    bucket: Option<String>,
) -> Result<ConnectionReport> {
    let profile = store.require(name)?;
    let mut target = Target {
        bucket: bucket
            .or_else(|| profile.bucket.clone())
            .unwrap_or_default(),
        ..profile.target(Some("probe-placeholder"))?
    };
    if target.bucket.is_empty() {
        target.prefix.clear();
    } else {
        target.validate()?;
    }
    // `require` above found the profile: the provider needs no second look.
    let creds = super::ProfileCredentials::new(store.clone()).provider(name);
    let report = test_connection(base, &target, Some(creds)).await;
    if profile.checksum == super::ChecksumPreference::Auto
        && let Some(mode) = report.checksum.as_ref().and_then(|c| c.recommended)
    {
        let name = name.to_owned();
        tokio::task::spawn_blocking(move || store.set_probed_checksum(&name, Some(mode)))
            .await
            .map_err(|e| HoistError::Keyring(e.to_string()))??;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(target: &Target) -> Probe<'_> {
        Probe {
            target,
            endpoint: "https://s3.example.com".into(),
            access_key_id: Some("AKIDEXAMPLE".into()),
        }
    }

    fn auth(code: &str) -> HoistError {
        HoistError::Auth {
            code: code.into(),
            message: String::new(),
        }
    }

    // Failures a real store cannot be made to produce on demand here (a skewed clock,
    // an expired STS token, a bad certificate): the words for each store answer.
    #[test]
    fn each_store_answer_gets_its_own_words() {
        let t = Target::new("photos");
        let p = probe(&t);
        let kind = |e: HoistError, ctx: &str| p.explain(e, ctx).kind;
        assert_eq!(
            kind(auth("RequestTimeTooSkewed"), ""),
            ProblemKind::ClockSkew
        );
        assert_eq!(
            kind(auth("ExpiredToken"), ""),
            ProblemKind::ExpiredCredentials
        );
        assert_eq!(kind(auth("AccessDenied"), ""), ProblemKind::AccessDenied);
        assert_eq!(
            kind(auth("InvalidAccessKeyId"), ""),
            ProblemKind::WrongAccessKey
        );
        assert_eq!(
            kind(auth("SignatureDoesNotMatch"), ""),
            ProblemKind::WrongSecret
        );
        let tls = HoistError::Network("invalid peer certificate: UnknownIssuer".into());
        assert_eq!(
            kind(
                tls,
                "dispatch failure: io error: invalid peer certificate: UnknownIssuer"
            ),
            ProblemKind::Tls
        );
        let timeout = HoistError::Network("the request timed out".into());
        assert_eq!(kind(timeout, "the request timed out"), ProblemKind::Timeout);
        let refused = HoistError::Network("Connection refused (os error 111)".into());
        let words = p.explain(refused, "Connection refused (os error 111)");
        assert_eq!(words.kind, ProblemKind::Unreachable);
        assert!(
            words.message.contains("https://s3.example.com"),
            "{}",
            words.message
        );
        assert!(
            p.explain(auth("InvalidAccessKeyId"), "")
                .message
                .contains("AKIDEXAMPLE")
        );
    }
}

fn plain_text() -> crate::s3::ObjectOptions {
    crate::s3::ObjectOptions {
        content_type: Some("text/plain".into()),
        ..Default::default()
    }
}
