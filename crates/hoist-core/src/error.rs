//! The engine's one error type. Every error knows a small, stable `code` (mirrored by
//! the shells) and whether retrying the same request can help.

use serde::Serialize;

/// Stable, user-facing error classes. Shells map these to words and actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ErrorCode {
    /// The local file is missing, unreadable or not a regular file.
    LocalFile,
    /// The store could not be reached (refused, reset, DNS, timeout).
    Network,
    /// The store answered with a temporary failure (500, 503 SlowDown, ...).
    StoreBusy,
    /// Credentials are missing, wrong, or not allowed to do this.
    Auth,
    /// The bucket does not exist.
    NoSuchBucket,
    /// The multipart upload is gone on the store (aborted or expired).
    NoSuchUpload,
    /// Data arrived damaged: a checksum or size did not match.
    Integrity,
    /// The request was malformed or refused for a permanent reason.
    Rejected,
    /// The local journal could not be read or written.
    Journal,
    /// Invalid input (settings, key names, ...).
    InvalidInput,
    /// The operation was cancelled or interrupted.
    Cancelled,
    /// The OS keyring is missing, locked or refused (secrets are never kept elsewhere).
    Keyring,
    /// No profile of that name.
    NoSuchProfile,
    /// The object or URL does not exist (HTTP 404).
    NotFound,
    /// A fetched URL served a content type the user did not allow.
    NotAllowedType,
    /// A fetched URL is larger than the size limit.
    TooLarge,
    /// The store does not offer this operation or option (HTTP 501, NotImplemented).
    Unsupported,
    /// The request is allowed only when the user confirms it (e.g. watching the
    /// whole home folder): ask, then send it again with the confirmation.
    NeedsConfirmation,
}

#[derive(Debug, thiserror::Error)]
pub enum HoistError {
    #[error("cannot read {path}: {reason}")]
    LocalFile { path: String, reason: String },

    #[error("cannot reach the store: {0}")]
    Network(String),

    #[error("the store is busy or failing ({status}): {message}")]
    StoreBusy { status: u16, message: String },

    #[error(
        "access refused ({code}): {message}. Check the access key, secret and the bucket's permissions"
    )]
    Auth { code: String, message: String },

    #[error("bucket {0:?} does not exist on this store")]
    NoSuchBucket(String),

    #[error("the multipart upload no longer exists on the store")]
    NoSuchUpload,

    #[error("integrity check failed: {0}")]
    Integrity(String),

    #[error("the store refused the request ({code}, HTTP {status}): {message}")]
    Rejected {
        status: u16,
        code: String,
        message: String,
    },

    #[error("journal error: {0}")]
    Journal(#[from] rusqlite::Error),

    #[error("invalid input: {0}")]
    InvalidInput(String),

    #[error("cancelled")]
    Cancelled,

    #[error("{0}")]
    Keyring(String),

    #[error(
        "there is no profile named {0:?}: not a Hoist profile (see `hoist profile list`) nor one in ~/.aws/config"
    )]
    NoSuchProfile(String),

    /// Credentials could not be loaded (the sentence says which and what to do).
    #[error("{0}")]
    Credentials(String),

    #[error("{0}")]
    NotFound(String),

    #[error("{url} serves {content_type:?}, which is not an allowed type (allowed: {allowed})")]
    NotAllowedType {
        url: String,
        content_type: String,
        allowed: String,
    },

    #[error("{url} is too large: {what} is more than the limit of {limit} bytes")]
    TooLarge {
        url: String,
        what: String,
        limit: u64,
    },

    #[error("{url} answered HTTP {status}{}", if *status == 404 { " (not found)" } else { "" })]
    SourceHttp { url: String, status: u16 },

    #[error("{0}")]
    NeedsConfirmation(String),

    /// Says what the store lacks ("tags are not supported by this store").
    #[error("{0}")]
    Unsupported(String),
}

impl HoistError {
    pub fn code(&self) -> ErrorCode {
        match self {
            HoistError::LocalFile { .. } => ErrorCode::LocalFile,
            HoistError::Network(_) => ErrorCode::Network,
            HoistError::StoreBusy { .. } => ErrorCode::StoreBusy,
            HoistError::Auth { .. } => ErrorCode::Auth,
            HoistError::NoSuchBucket(_) => ErrorCode::NoSuchBucket,
            HoistError::NoSuchUpload => ErrorCode::NoSuchUpload,
            HoistError::Integrity(_) => ErrorCode::Integrity,
            HoistError::Rejected { .. } => ErrorCode::Rejected,
            HoistError::Journal(_) => ErrorCode::Journal,
            HoistError::InvalidInput(_) => ErrorCode::InvalidInput,
            HoistError::Cancelled => ErrorCode::Cancelled,
            HoistError::Keyring(_) => ErrorCode::Keyring,
            HoistError::NoSuchProfile(_) => ErrorCode::NoSuchProfile,
            HoistError::Credentials(_) => ErrorCode::Auth,
            HoistError::NotFound(_) => ErrorCode::NotFound,
            HoistError::NotAllowedType { .. } => ErrorCode::NotAllowedType,
            HoistError::TooLarge { .. } => ErrorCode::TooLarge,
            HoistError::SourceHttp {
                status: 404 | 410, ..
            } => ErrorCode::NotFound,
            HoistError::SourceHttp { status, .. } if *status >= 500 => ErrorCode::StoreBusy,
            HoistError::SourceHttp { .. } => ErrorCode::Rejected,
            HoistError::NeedsConfirmation(_) => ErrorCode::NeedsConfirmation,
            HoistError::Unsupported(_) => ErrorCode::Unsupported,
        }
    }

    /// Temporary errors: the same request may succeed later.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            HoistError::Network(_) | HoistError::StoreBusy { .. } | HoistError::Integrity(_)
        )
    }

    /// What an HTTP origin (upload from a URL) may answer differently if asked again:
    /// a dropped connection, or an overloaded or restarting server (5xx, 408, 429).
    pub fn is_origin_transient(&self) -> bool {
        match self {
            HoistError::Network(_) => true,
            HoistError::SourceHttp { status, .. } => matches!(status, 408 | 429 | 500..),
            _ => false,
        }
    }

    /// Errors that mean "the link is down": these are retried without a limit on
    /// attempts, so the queue waits for the network and carries on by itself.
    pub fn is_connectivity(&self) -> bool {
        matches!(self, HoistError::Network(_))
    }

    pub fn local_file(path: &std::path::Path, err: impl std::fmt::Display) -> Self {
        HoistError::LocalFile {
            path: path.display().to_string(),
            reason: err.to_string(),
        }
    }

    /// The serialisable form shells send to users.
    pub fn to_report(&self) -> ErrorReport {
        ErrorReport {
            code: self.code(),
            message: self.to_string(),
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, ts_rs::TS)]
#[ts(export)]
pub struct ErrorReport {
    pub code: ErrorCode,
    pub message: String,
}

pub type Result<T, E = HoistError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryability_follows_the_error_class() {
        assert!(HoistError::Network("reset".into()).is_retryable());
        assert!(
            HoistError::StoreBusy {
                status: 503,
                message: "SlowDown".into()
            }
            .is_retryable()
        );
        assert!(!HoistError::NoSuchBucket("b".into()).is_retryable());
        let answered = |status| HoistError::SourceHttp {
            url: "http://origin/x".into(),
            status,
        };
        assert!(answered(503).is_origin_transient() && answered(429).is_origin_transient());
        assert!(!answered(404).is_origin_transient() && !answered(403).is_origin_transient());
        assert!(
            !HoistError::Auth {
                code: "SignatureDoesNotMatch".into(),
                message: String::new()
            }
            .is_retryable()
        );
        assert!(
            !HoistError::LocalFile {
                path: "x".into(),
                reason: "gone".into()
            }
            .is_retryable()
        );
    }

    #[test]
    fn report_carries_code_and_words() {
        let r = HoistError::NoSuchBucket("photos".into()).to_report();
        assert_eq!(r.code, ErrorCode::NoSuchBucket);
        assert!(r.message.contains("photos"));
        assert_eq!(serde_json::to_value(&r).unwrap()["code"], "no_such_bucket");
    }
}
