//! SDK failures mapped to the engine's error classes, once, for every S3 call; Complete's
//! refusals of its part list are permanent (`map_complete_err`).

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

use super::credentials::{credentials_failure, display_chain};
use crate::error::HoistError;

/// Maps an SDK failure to the engine's error classes, once.
pub(crate) fn map_err<E>(
    bucket: &str,
    err: SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> HoistError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    // Words only: the SDK's `DisplayErrorContext` ends in a Debug dump.
    let words = display_chain(&err);
    match &err {
        SdkError::ConstructionFailure(_) => HoistError::InvalidInput(words),
        SdkError::TimeoutError(_) => HoistError::Network("the request timed out".into()),
        // A credentials provider that failed is reported as a dispatch failure too:
        // it is no network problem and retrying cannot help.
        SdkError::DispatchFailure(_) | SdkError::ResponseError(_)
            if credentials_failure(&err).is_some() =>
        {
            credentials_failure(&err).expect("checked")
        }
        SdkError::DispatchFailure(d) => {
            if d.is_user() {
                HoistError::InvalidInput(words)
            } else {
                HoistError::Network(short_reason(&words))
            }
        }
        SdkError::ResponseError(_) => HoistError::Network(format!(
            "the connection broke mid-response: {}",
            short_reason(&words)
        )),
        SdkError::ServiceError(ctx) => {
            let status = ctx.raw().status().as_u16();
            let code = ctx.err().code().unwrap_or("").to_owned();
            let message = ctx.err().message().unwrap_or("").to_owned();
            classify(bucket, status, code, message)
        }
        _ => HoistError::Network(words),
    }
}

/// [`map_err`] for CompleteMultipartUpload. Complete carries no file bytes, only the
/// part list: a checksum code in its answer (Garage's InvalidDigest for a checksum the
/// upload was not created with) means the store refuses that list, which no retry
/// changes. Such refusals are permanent and keep the store's own words.
pub(crate) fn map_complete_err<E>(
    bucket: &str,
    err: SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> HoistError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match &err {
        SdkError::ServiceError(ctx) => {
            let status = ctx.raw().status().as_u16();
            let code = ctx.err().code().unwrap_or("").to_owned();
            let message = ctx.err().message().unwrap_or("").to_owned();
            classify_complete(bucket, status, code, message)
        }
        _ => map_err(bucket, err),
    }
}

fn classify_complete(bucket: &str, status: u16, code: String, message: String) -> HoistError {
    let in_words = |message: String| {
        if message.is_empty() {
            "completing the multipart upload".to_owned()
        } else {
            format!("completing the multipart upload: {message}")
        }
    };
    match code.as_str() {
        "BadDigest" | "InvalidDigest" | "XAmzContentChecksumMismatch" | "InvalidChecksum" => {
            HoistError::Rejected {
                status,
                code,
                message: in_words(message),
            }
        }
        _ => match classify(bucket, status, code, message) {
            HoistError::Rejected {
                status,
                code,
                message,
            } => HoistError::Rejected {
                status,
                code,
                message: in_words(message),
            },
            other => other,
        },
    }
}

fn classify(bucket: &str, status: u16, code: String, message: String) -> HoistError {
    match code.as_str() {
        "NoSuchBucket" => HoistError::NoSuchBucket(bucket.to_owned()),
        "NoSuchUpload" => HoistError::NoSuchUpload,
        "InvalidAccessKeyId"
        | "SignatureDoesNotMatch"
        | "AccessDenied"
        | "ExpiredToken"
        | "InvalidToken"
        | "RequestTimeTooSkewed"
        | "InvalidSecurity"
        | "AccountProblem" => HoistError::Auth { code, message },
        "BadDigest" | "InvalidDigest" | "XAmzContentChecksumMismatch" | "InvalidChecksum" => {
            HoistError::Integrity(format!(
                "the store received different bytes than were sent ({code})"
            ))
        }
        // Before the 5xx rule: a missing feature never appears by retrying.
        "NotImplemented" => unsupported(message),
        _ if status == 501 => unsupported(message),
        "SlowDown" | "InternalError" | "ServiceUnavailable" | "RequestTimeout"
        | "OperationAborted" => HoistError::StoreBusy {
            status,
            message: if message.is_empty() { code } else { message },
        },
        _ if status >= 500 || status == 429 || status == 408 => HoistError::StoreBusy {
            status,
            message: if message.is_empty() { code } else { message },
        },
        _ if status == 401 || status == 403 => HoistError::Auth {
            code: if code.is_empty() {
                format!("HTTP {status}")
            } else {
                code
            },
            message,
        },
        _ => HoistError::Rejected {
            status,
            code,
            message,
        },
    }
}

fn unsupported(message: String) -> HoistError {
    HoistError::Unsupported(if message.is_empty() {
        "this operation is not supported by this store".into()
    } else {
        format!("not supported by this store: {message}")
    })
}

/// The innermost cause is what a user can act on ("Connection refused").
fn short_reason(full: &str) -> String {
    full.rsplit(": ").next().unwrap_or(full).trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn service_errors_are_classified() {
        let c = |status, code: &str| classify("b", status, code.into(), String::new()).code();
        assert_eq!(c(404, "NoSuchBucket"), ErrorCode::NoSuchBucket);
        assert_eq!(c(404, "NoSuchUpload"), ErrorCode::NoSuchUpload);
        assert_eq!(c(403, "SignatureDoesNotMatch"), ErrorCode::Auth);
        assert_eq!(c(403, ""), ErrorCode::Auth);
        assert_eq!(c(503, "SlowDown"), ErrorCode::StoreBusy);
        assert_eq!(c(502, ""), ErrorCode::StoreBusy);
        assert_eq!(c(400, "BadDigest"), ErrorCode::Integrity);
        assert_eq!(c(400, "InvalidArgument"), ErrorCode::Rejected);
    }

    #[test]
    fn an_operation_the_store_lacks_is_unsupported_and_never_retried() {
        for (status, code) in [(501, "NotImplemented"), (501, "")] {
            let e = classify("b", status, code.into(), "GetObjectTagging".into());
            assert_eq!(e.code(), ErrorCode::Unsupported, "{status} {code}");
            assert!(!e.is_retryable(), "{status} {code}");
            let words = e.to_string();
            assert!(words.contains("not supported by this store"), "{words}");
        }
    }

    #[test]
    fn a_refused_complete_is_permanent_in_the_stores_words() {
        let words =
            "Invalid checksum for part 1: in request = Some(Crc32c(..)), uploaded part = None";
        for code in [
            "InvalidDigest",
            "BadDigest",
            "InvalidPart",
            "InvalidRequest",
        ] {
            let e = classify_complete("b", 400, code.into(), words.into());
            assert_eq!(e.code(), ErrorCode::Rejected, "{code}");
            assert!(!e.is_retryable(), "{code}");
            let shown = e.to_string();
            assert!(shown.contains(words) && shown.contains(code), "{shown}");
        }
        // The same codes on a part: the bytes differed on the way, send them again.
        assert!(classify("b", 400, "BadDigest".into(), words.into()).is_retryable());
        // Complete's temporary failures stay temporary.
        let busy = classify_complete("b", 503, "SlowDown".into(), String::new());
        assert!(busy.is_retryable());
        assert_eq!(
            classify_complete("b", 404, "NoSuchUpload".into(), String::new()).code(),
            ErrorCode::NoSuchUpload
        );
    }
}
