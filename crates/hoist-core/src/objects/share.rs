//! Share links (presigned GET) and upload links (presigned PUT), their expiry rules,
//! and the history of links created, kept in the journal so a link can be found again.
//!
//! Presigning is a local computation (SigV4 over the URL), so a link costs no request;
//! a share link first checks that the object exists, so a typo does not become a
//! link to nothing. A link can never outlive the credentials that signed it: when
//! they are temporary and end sooner than the chosen expiry, the link's true expiry
//! is theirs, and it says so (`limited_by_credentials`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_s3::presigning::PresigningConfig;
use serde::{Deserialize, Serialize};

use crate::error::{HoistError, Result};
use crate::s3::{BucketAccess, UploadStore};

/// SigV4 refuses presigned URLs valid for longer than 7 days.
pub const MAX_EXPIRY: Duration = Duration::from_secs(7 * 24 * 3600);
pub const MIN_EXPIRY: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum LinkMethod {
    /// A share link: anyone with it can download the object.
    Get,
    /// An upload link: anyone with it can create (or replace) the object.
    Put,
}

impl LinkMethod {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            LinkMethod::Get => "get",
            LinkMethod::Put => "put",
        }
    }
}

/// How a browser treats a shared object (`Content-Disposition` on the response).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Disposition {
    /// Shown in the browser when it can (images, PDFs, text).
    Inline,
    /// Saved as a file, named after the key's last segment.
    Attachment,
}

impl Disposition {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Disposition::Inline => "inline",
            Disposition::Attachment => "attachment",
        }
    }
    pub(crate) fn parse(s: &str) -> Option<Disposition> {
        match s {
            "inline" => Some(Disposition::Inline),
            "attachment" => Some(Disposition::Attachment),
            _ => None,
        }
    }

    /// The header value, with the file name both as plain ASCII and RFC 5987-encoded.
    pub fn header_value(self, key: &str) -> String {
        let name = key.rsplit('/').next().unwrap_or(key);
        let ascii: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let mut encoded = String::new();
        for b in name.bytes() {
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                encoded.push(b as char);
            } else {
                encoded.push_str(&format!("%{b:02X}"));
            }
        }
        format!(
            "{}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}",
            self.as_str()
        )
    }
}

/// A presigned link, as created and as kept in the link history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct ShareLink {
    /// Row in the link history; `None` until recorded.
    #[ts(type = "number | null")]
    pub id: Option<i64>,
    pub url: String,
    pub method: LinkMethod,
    pub endpoint: Option<String>,
    pub bucket: String,
    pub key: String,
    /// For upload links: the Content-Type the uploader must send (it is signed).
    pub content_type: Option<String>,
    pub disposition: Option<Disposition>,
    /// Milliseconds since the Unix epoch.
    #[ts(type = "number")]
    pub created_at: i64,
    /// When the link stops working: the chosen expiry, or the credentials' end.
    #[ts(type = "number")]
    pub expires_at: i64,
    /// The signing credentials expire before the chosen expiry, so the link dies
    /// with them.
    pub limited_by_credentials: bool,
}

/// What a link's expiry will really be, shown before a link is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct LinkExpiry {
    #[ts(type = "number")]
    pub requested_expires_at: i64,
    #[ts(type = "number")]
    pub expires_at: i64,
    pub limited_by_credentials: bool,
    /// When the credentials end, if they are temporary.
    #[ts(type = "number | null")]
    pub credentials_expire_at: Option<i64>,
}

/// Checks a requested lifetime against SigV4's limits.
pub fn validate_expiry(expires_in: Duration) -> Result<()> {
    if expires_in < MIN_EXPIRY {
        return Err(HoistError::InvalidInput(
            "a link must be valid for at least 1 second".into(),
        ));
    }
    if expires_in > MAX_EXPIRY {
        return Err(HoistError::InvalidInput(format!(
            "a link can be valid for at most 7 days (SigV4's limit); {} s was asked",
            expires_in.as_secs()
        )));
    }
    Ok(())
}

fn millis(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The true expiry of a link valid for `expires_in` from `now`, signed with
/// credentials that end at `credentials_expiry` (`None`: they do not expire).
pub fn true_expiry(
    now: SystemTime,
    expires_in: Duration,
    credentials_expiry: Option<SystemTime>,
) -> Result<LinkExpiry> {
    validate_expiry(expires_in)?;
    let requested = now + expires_in;
    if let Some(end) = credentials_expiry
        && end <= now
    {
        return Err(HoistError::Auth {
            code: "ExpiredToken".into(),
            message: "the profile's temporary credentials have expired; renew them to create links"
                .into(),
        });
    }
    let (expires_at, limited) = match credentials_expiry {
        Some(end) if end < requested => (end, true),
        _ => (requested, false),
    };
    Ok(LinkExpiry {
        requested_expires_at: millis(requested),
        expires_at: millis(expires_at),
        limited_by_credentials: limited,
        credentials_expire_at: credentials_expiry.map(millis),
    })
}

/// What a link's expiry would be with this target's credentials (for "before copying").
pub async fn preview_expiry(access: &BucketAccess, expires_in: Duration) -> Result<LinkExpiry> {
    let creds = access.credentials_expiry().await?;
    true_expiry(SystemTime::now(), expires_in, creds)
}

fn presigning(now: SystemTime, expires_in: Duration) -> Result<PresigningConfig> {
    PresigningConfig::builder()
        .start_time(now)
        .expires_in(expires_in)
        .build()
        .map_err(|e| HoistError::InvalidInput(format!("cannot presign: {e}")))
}

pub(crate) fn full_key(access: &BucketAccess, key: &str) -> Result<String> {
    let key = key.trim_start_matches('/');
    if key.is_empty() {
        return Err(HoistError::InvalidInput("the key is empty".into()));
    }
    if key.len() > 1024 {
        return Err(HoistError::InvalidInput(
            "a key is at most 1024 bytes long".into(),
        ));
    }
    Ok(format!("{}{}", access.target().prefix, key))
}

/// A share link (presigned GET) for an existing object. `key` is relative to the
/// target's prefix.
pub async fn share_link(
    access: &BucketAccess,
    key: &str,
    expires_in: Duration,
    disposition: Option<Disposition>,
) -> Result<ShareLink> {
    let key = full_key(access, key)?;
    let now = SystemTime::now();
    let expiry = true_expiry(now, expires_in, access.credentials_expiry().await?)?;
    if access.store().head(&key).await?.is_none() {
        return Err(HoistError::NotFound(format!(
            "{key:?} does not exist in bucket {:?}",
            access.bucket()
        )));
    }
    let presigned = access
        .client()
        .get_object()
        .bucket(access.bucket())
        .key(&key)
        .set_response_content_disposition(disposition.map(|d| d.header_value(&key)))
        .presigned(presigning(now, expires_in)?)
        .await
        .map_err(|e| crate::s3::map_err(access.bucket(), e))?;
    Ok(link(
        access,
        presigned.uri(),
        LinkMethod::Get,
        key,
        None,
        disposition,
        now,
        expiry,
    ))
}

/// An upload link (presigned PUT): whoever holds it can PUT the object without
/// credentials, e.g. `curl -T file URL`. A content type, when given, is part of the
/// signature: the uploader must send exactly that `Content-Type` header.
pub async fn upload_link(
    access: &BucketAccess,
    key: &str,
    expires_in: Duration,
    content_type: Option<&str>,
) -> Result<ShareLink> {
    let key = full_key(access, key)?;
    if let Some(ct) = content_type
        && (!ct.contains('/') || ct.chars().any(|c| c.is_control()))
    {
        return Err(HoistError::InvalidInput(format!(
            "{ct:?} is not a content type (e.g. image/png)"
        )));
    }
    let now = SystemTime::now();
    let expiry = true_expiry(now, expires_in, access.credentials_expiry().await?)?;
    let presigned = access
        .client()
        .put_object()
        .bucket(access.bucket())
        .key(&key)
        .set_content_type(content_type.map(str::to_owned))
        .presigned(presigning(now, expires_in)?)
        .await
        .map_err(|e| crate::s3::map_err(access.bucket(), e))?;
    Ok(link(
        access,
        presigned.uri(),
        LinkMethod::Put,
        key,
        content_type.map(str::to_owned),
        None,
        now,
        expiry,
    ))
}

#[allow(clippy::too_many_arguments)]
fn link(
    access: &BucketAccess,
    url: &str,
    method: LinkMethod,
    key: String,
    content_type: Option<String>,
    disposition: Option<Disposition>,
    now: SystemTime,
    expiry: LinkExpiry,
) -> ShareLink {
    ShareLink {
        id: None,
        url: url.to_owned(),
        method,
        endpoint: access.target().endpoint.clone(),
        bucket: access.bucket().to_owned(),
        key,
        content_type,
        disposition,
        created_at: millis(now),
        expires_at: expiry.expires_at,
        limited_by_credentials: expiry.limited_by_credentials,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_limits_follow_sigv4() {
        assert!(validate_expiry(Duration::from_secs(1)).is_ok());
        assert!(validate_expiry(MAX_EXPIRY).is_ok());
        assert!(validate_expiry(Duration::from_millis(500)).is_err());
        let e = validate_expiry(MAX_EXPIRY + Duration::from_secs(1)).unwrap_err();
        assert!(e.to_string().contains("7 days"), "{e}");
    }

    #[test]
    fn temporary_credentials_cap_the_expiry() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let hour = Duration::from_secs(3600);
        let free = true_expiry(now, hour, None).unwrap();
        assert!(!free.limited_by_credentials);
        assert_eq!(free.expires_at, millis(now + hour));

        let soon = now + Duration::from_secs(600);
        let capped = true_expiry(now, hour, Some(soon)).unwrap();
        assert!(capped.limited_by_credentials);
        assert_eq!(capped.expires_at, millis(soon));
        assert_eq!(capped.requested_expires_at, millis(now + hour));

        let later = true_expiry(now, hour, Some(now + 2 * hour)).unwrap();
        assert!(!later.limited_by_credentials);

        let gone = true_expiry(now, hour, Some(now - Duration::from_secs(1))).unwrap_err();
        assert_eq!(gone.code(), crate::ErrorCode::Auth);
    }

    #[test]
    fn disposition_names_the_file_safely() {
        assert_eq!(
            Disposition::Attachment.header_value("photos/cat.png"),
            "attachment; filename=\"cat.png\"; filename*=UTF-8''cat.png"
        );
        let v = Disposition::Inline.header_value("a/\"weird\" naïve.txt");
        assert!(
            v.starts_with("inline; filename=\"_weird_ na_ve.txt\""),
            "{v}"
        );
        assert!(v.ends_with("UTF-8''%22weird%22%20na%C3%AFve.txt"), "{v}");
    }
}
