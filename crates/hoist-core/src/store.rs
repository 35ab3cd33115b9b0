//! The S3 calls the engine makes, each mapped to `HoistError` once. Stateless: the
//! caller (the journal) owns upload state, which is what resume needs.

use aws_sdk_s3::Client;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart};
use bytes::Bytes;

use crate::error::{HoistError, Result};
use crate::journal::PartRecord;

/// The integrity data sent with a body.
#[derive(Debug, Clone)]
pub enum BodyChecksum {
    Crc32c(u32),
    /// Base64 of the MD5 digest.
    Md5(String),
}

#[derive(Debug, Clone)]
pub struct ListedPart {
    pub number: u32,
    pub size: u64,
    pub etag: String,
    pub crc32c: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct ObjectInfo {
    pub size: u64,
    pub etag: Option<String>,
    pub crc32c: Option<String>,
    pub content_type: Option<String>,
}

#[derive(Debug, Clone)]
pub struct PendingMultipart {
    pub key: String,
    pub upload_id: String,
    pub initiated_ms: Option<i64>,
}

#[derive(Clone)]
pub struct S3Store {
    client: Client,
    bucket: String,
    bucket_checked: std::sync::Arc<tokio::sync::OnceCell<()>>,
}

impl S3Store {
    pub fn new(client: Client, bucket: impl Into<String>) -> S3Store {
        S3Store {
            client,
            bucket: bucket.into(),
            bucket_checked: Default::default(),
        }
    }

    /// Fails fast, once per store, when the bucket does not exist: before any file is
    /// read, and on stores that would otherwise create a bucket on the first PUT.
    /// Other refusals (a key allowed to PUT but not to list) are left to the upload.
    pub async fn check_bucket(&self) -> Result<()> {
        self.bucket_checked
            .get_or_try_init(|| async {
                match self.client.head_bucket().bucket(&self.bucket).send().await {
                    Ok(_) => Ok(()),
                    Err(SdkError::ServiceError(ctx)) if ctx.raw().status().as_u16() == 404 => {
                        Err(HoistError::NoSuchBucket(self.bucket.clone()))
                    }
                    Err(e) => match map_err(&self.bucket, e) {
                        e @ (HoistError::Network(_) | HoistError::StoreBusy { .. }) => Err(e),
                        _ => Ok(()),
                    },
                }
            })
            .await
            .map(|_| ())
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub async fn put_object(
        &self,
        key: &str,
        body: Bytes,
        checksum: &BodyChecksum,
        content_type: &str,
    ) -> Result<(Option<String>, Option<String>)> {
        let mut req = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .content_length(body.len() as i64)
            .body(ByteStream::from(body));
        req = match checksum {
            BodyChecksum::Crc32c(c) => req.checksum_crc32_c(crate::checksum::encode(*c)),
            BodyChecksum::Md5(m) => req.content_md5(m),
        };
        let out = req
            .customize()
            .disable_payload_signing()
            .send()
            .await
            .map_err(|e| map_err(&self.bucket, e))?;
        Ok((out.e_tag, out.checksum_crc32_c))
    }

    pub async fn create_multipart(
        &self,
        key: &str,
        content_type: &str,
        crc32c: bool,
    ) -> Result<String> {
        let mut req = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type);
        if crc32c {
            req = req.checksum_algorithm(ChecksumAlgorithm::Crc32C);
        }
        let out = req.send().await.map_err(|e| map_err(&self.bucket, e))?;
        out.upload_id.ok_or_else(|| HoistError::Rejected {
            status: 200,
            code: "NoUploadId".into(),
            message: "the store created a multipart upload without an UploadId".into(),
        })
    }

    pub async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        number: u32,
        body: Bytes,
        checksum: &BodyChecksum,
    ) -> Result<String> {
        let mut req = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(number as i32)
            .content_length(body.len() as i64)
            .body(ByteStream::from(body));
        req = match checksum {
            BodyChecksum::Crc32c(c) => req.checksum_crc32_c(crate::checksum::encode(*c)),
            BodyChecksum::Md5(m) => req.content_md5(m),
        };
        // The body is covered by the checksum header, which is signed: hashing every
        // part again with SHA-256 for the signature would only cost CPU.
        let out = req
            .customize()
            .disable_payload_signing()
            .send()
            .await
            .map_err(|e| map_err(&self.bucket, e))?;
        out.e_tag.ok_or_else(|| HoistError::Rejected {
            status: 200,
            code: "NoETag".into(),
            message: format!("the store accepted part {number} without an ETag"),
        })
    }

    /// All parts the store holds for an upload, following pagination. A part number
    /// may appear more than once (SeaweedFS lists re-uploaded parts twice).
    pub async fn list_parts(&self, key: &str, upload_id: &str) -> Result<Vec<ListedPart>> {
        let mut parts = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let out = self
                .client
                .list_parts()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(upload_id)
                .set_part_number_marker(marker.clone())
                .send()
                .await
                .map_err(|e| map_err(&self.bucket, e))?;
            for p in out.parts() {
                let (Some(n), Some(etag)) = (p.part_number(), p.e_tag()) else {
                    continue;
                };
                parts.push(ListedPart {
                    number: n as u32,
                    size: p.size().unwrap_or(0) as u64,
                    etag: etag.to_owned(),
                    crc32c: p.checksum_crc32_c().and_then(crate::checksum::decode),
                });
            }
            let next = out.next_part_number_marker().map(str::to_owned);
            if out.is_truncated() == Some(true) && next.is_some() && next != marker {
                marker = next;
            } else {
                break;
            }
        }
        Ok(parts)
    }

    pub async fn complete(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[PartRecord],
    ) -> Result<Option<String>> {
        let completed: Vec<CompletedPart> = parts
            .iter()
            .map(|p| {
                CompletedPart::builder()
                    .part_number(p.number as i32)
                    .e_tag(&p.etag)
                    .set_checksum_crc32_c(p.crc32c.map(crate::checksum::encode))
                    .build()
            })
            .collect();
        let out = self
            .client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(completed))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| map_err(&self.bucket, e))?;
        Ok(out.e_tag)
    }

    pub async fn abort(&self, key: &str, upload_id: &str) -> Result<()> {
        match self
            .client
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .send()
            .await
            .map_err(|e| map_err(&self.bucket, e))
        {
            Ok(_) | Err(HoistError::NoSuchUpload) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Moves an object to another key on the server (CopyObject, then DeleteObject), so
    /// a "deleted" file stays recoverable under `to`. Objects over 5 GiB need a
    /// multipart copy, which the store refuses here: they are left where they are.
    pub async fn move_object(&self, from: &str, to: &str) -> Result<()> {
        self.client
            .copy_object()
            .bucket(&self.bucket)
            .key(to)
            .copy_source(copy_source(&self.bucket, from))
            .send()
            .await
            .map_err(|e| map_err(&self.bucket, e))?;
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(from)
            .send()
            .await
            .map_err(|e| map_err(&self.bucket, e))?;
        Ok(())
    }

    /// `Ok(None)` when the key does not exist.
    pub async fn head(&self, key: &str) -> Result<Option<ObjectInfo>> {
        let res = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled)
            .send()
            .await;
        match res {
            Ok(out) => Ok(Some(ObjectInfo {
                size: out.content_length.unwrap_or(0) as u64,
                etag: out.e_tag,
                crc32c: out.checksum_crc32_c,
                content_type: out.content_type,
            })),
            Err(SdkError::ServiceError(ctx)) if ctx.raw().status().as_u16() == 404 => {
                // HEAD has no body: a 404 is either the key or the bucket. Ask once.
                match self.client.head_bucket().bucket(&self.bucket).send().await {
                    Ok(_) => Ok(None),
                    Err(e) => Err(map_err(&self.bucket, e)),
                }
            }
            Err(e) => Err(map_err(&self.bucket, e)),
        }
    }

    pub async fn list_multipart_uploads(&self) -> Result<Vec<PendingMultipart>> {
        let mut out_list = Vec::new();
        let (mut key_marker, mut id_marker): (Option<String>, Option<String>) = (None, None);
        loop {
            let out = self
                .client
                .list_multipart_uploads()
                .bucket(&self.bucket)
                .set_key_marker(key_marker.clone())
                .set_upload_id_marker(id_marker.clone())
                .send()
                .await
                .map_err(|e| map_err(&self.bucket, e))?;
            for u in out.uploads() {
                if let (Some(k), Some(id)) = (u.key(), u.upload_id()) {
                    out_list.push(PendingMultipart {
                        key: k.to_owned(),
                        upload_id: id.to_owned(),
                        initiated_ms: u.initiated().and_then(|d| d.to_millis().ok()),
                    });
                }
            }
            if out.is_truncated() == Some(true) && out.next_key_marker().is_some() {
                let nk = out.next_key_marker().map(str::to_owned);
                let ni = out.next_upload_id_marker().map(str::to_owned);
                if nk == key_marker && ni == id_marker {
                    break;
                }
                key_marker = nk;
                id_marker = ni;
            } else {
                break;
            }
        }
        Ok(out_list)
    }
}

/// Maps an SDK failure to the engine's error classes, once.
pub(crate) fn map_err<E>(
    bucket: &str,
    err: SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> HoistError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match &err {
        SdkError::ConstructionFailure(_) => {
            HoistError::InvalidInput(DisplayErrorContext(&err).to_string())
        }
        SdkError::TimeoutError(_) => HoistError::Network("the request timed out".into()),
        SdkError::DispatchFailure(d) => {
            if d.is_user() {
                HoistError::InvalidInput(DisplayErrorContext(&err).to_string())
            } else {
                HoistError::Network(short_reason(&DisplayErrorContext(&err).to_string()))
            }
        }
        SdkError::ResponseError(_) => HoistError::Network(format!(
            "the connection broke mid-response: {}",
            short_reason(&DisplayErrorContext(&err).to_string())
        )),
        SdkError::ServiceError(ctx) => {
            let status = ctx.raw().status().as_u16();
            let code = ctx.err().code().unwrap_or("").to_owned();
            let message = ctx.err().message().unwrap_or("").to_owned();
            classify(bucket, status, code, message)
        }
        _ => HoistError::Network(DisplayErrorContext(&err).to_string()),
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

/// The innermost cause is what a user can act on ("Connection refused").
fn short_reason(full: &str) -> String {
    full.rsplit(": ").next().unwrap_or(full).trim().to_owned()
}

/// `bucket/key` for CopyObject's `x-amz-copy-source`, percent-encoded except for `/`.
fn copy_source(bucket: &str, key: &str) -> String {
    let mut out = format!("{bucket}/");
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_source_is_percent_encoded_except_slashes() {
        assert_eq!(copy_source("b", "a b/ü+x~.png"), "b/a%20b/%C3%BC%2Bx~.png");
    }
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
}
