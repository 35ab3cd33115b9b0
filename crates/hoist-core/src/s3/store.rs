//! The SDK store: one bucket's client. Its upload calls are the [`Multipart`] and
//! [`UploadStore`] traits; the rest (moves, listing unfinished uploads) is here.

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::SdkError;

use super::body::PartData;
use super::errors::map_err;
use super::multipart::{BodyChecksum, KeyPage, ObjectInfo, UploadStore};
use super::object_options::ObjectOptions;
use crate::error::{HoistError, Result};

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
    /// Which ways of sending a CRC32C computed while streaming this store takes
    /// (learned from the first parts).
    pub(super) streamed: std::sync::Arc<super::learned::StreamedSupport>,
    /// Held while a probe learns whether this store names the CRC32C of parts sent
    /// without a checksum: one probe per store.
    pub(super) echo_probe: std::sync::Arc<tokio::sync::Mutex<()>>,
}

impl S3Store {
    pub fn new(client: Client, bucket: impl Into<String>) -> S3Store {
        S3Store {
            client,
            bucket: bucket.into(),
            bucket_checked: Default::default(),
            streamed: Default::default(),
            echo_probe: Default::default(),
        }
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    pub fn client(&self) -> &Client {
        &self.client
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

#[async_trait]
impl UploadStore for S3Store {
    /// Fails fast, once per store, when the bucket does not exist: before any file is
    /// read, and on stores that would otherwise create a bucket on the first PUT.
    /// Other refusals (a key allowed to PUT but not to list) are left to the upload.
    async fn check_bucket(&self) -> Result<()> {
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

    async fn put_object(
        &self,
        key: &str,
        body: PartData,
        checksum: &BodyChecksum,
        options: &ObjectOptions,
    ) -> Result<(Option<String>, Option<String>)> {
        // Single PUTs keep the checksum header: no part list to prove a trailer or an
        // echo by.
        let (body, crc) = match (checksum, body) {
            (BodyChecksum::Trailing | BodyChecksum::Echoed, PartData::File(f)) => {
                super::multipart::with_header(&f).await?
            }
            (_, body) => (body, checksum.clone()),
        };
        let checksum = &crc;
        let req = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_length(body.len() as i64)
            .body(body.byte_stream());
        let mut req = crate::with_object_options!(req, options);
        req = match checksum {
            BodyChecksum::Crc32c(c) => req.checksum_crc32_c(super::checksum::encode(*c)),
            BodyChecksum::Md5(m) => req.content_md5(m),
            BodyChecksum::Trailing | BodyChecksum::Echoed => {
                return Err(HoistError::InvalidInput(
                    "a single PUT needs a file body for a checksum computed while streaming".into(),
                ));
            }
        };
        let send = req
            .customize()
            .disable_payload_signing()
            .config_override(super::client::sending_body())
            .send();
        let out = tokio::select! {
            out = send => out.map_err(|e| map_err(&self.bucket, e))?,
            stalled = body.stalled() => return Err(stalled),
        };
        Ok((out.e_tag, out.checksum_crc32_c))
    }

    /// `Ok(None)` when the key does not exist.
    async fn head(&self, key: &str) -> Result<Option<ObjectInfo>> {
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
                // A bucket this store checked is there: a 404 is the key. The conflict
                // check of every new file HEADs its key, and asking for the bucket again
                // each time made a small file cost four requests instead of three.
                if self.bucket_checked.initialized() {
                    return Ok(None);
                }
                // HEAD has no body: a 404 is either the key or the bucket. Ask once.
                match self.client.head_bucket().bucket(&self.bucket).send().await {
                    Ok(_) => Ok(None),
                    Err(e) => Err(map_err(&self.bucket, e)),
                }
            }
            Err(e) => Err(map_err(&self.bucket, e)),
        }
    }

    async fn list_page(&self, prefix: &str, next: Option<String>) -> Result<KeyPage> {
        let page = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .set_continuation_token(next)
            .send()
            .await
            .map_err(|e| map_err(&self.bucket, e))?;
        Ok(KeyPage {
            keys: page
                .contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_owned))
                .collect(),
            next: next_page(&page),
        })
    }
}

/// Where a ListObjectsV2 listing goes on: its continuation token, only while the
/// store says the listing is truncated.
pub(crate) fn next_page(
    page: &aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output,
) -> Option<String> {
    page.next_continuation_token()
        .filter(|_| page.is_truncated() == Some(true))
        .map(str::to_owned)
}

/// Sets an upload's [`ObjectOptions`] on a PutObject or CreateMultipartUpload request
/// (their builders share the setters, not a type).
#[macro_export]
#[doc(hidden)]
macro_rules! with_object_options {
    ($req:expr, $o:expr) => {{
        let o: &$crate::s3::ObjectOptions = $o;
        let mut req = $req
            .set_content_type(o.content_type.clone())
            .set_cache_control(o.cache_control.clone())
            .set_content_disposition(o.content_disposition.clone())
            .set_tagging(o.tagging());
        if !o.metadata.is_empty() {
            req = req.set_metadata(Some(o.metadata.clone().into_iter().collect()));
        }
        if let Some(class) = &o.storage_class {
            req = req.storage_class(aws_sdk_s3::types::StorageClass::from(class.as_str()));
        }
        match &o.sse {
            Some($crate::s3::Sse::Aes256) => {
                req = req.server_side_encryption(aws_sdk_s3::types::ServerSideEncryption::Aes256)
            }
            Some($crate::s3::Sse::Kms { key_id }) => {
                req = req
                    .server_side_encryption(aws_sdk_s3::types::ServerSideEncryption::AwsKms)
                    .set_ssekms_key_id(key_id.clone())
            }
            None => {}
        }
        req
    }};
}

/// `bucket/key` for CopyObject's `x-amz-copy-source`, percent-encoded except for `/`.
pub(crate) fn copy_source(bucket: &str, key: &str) -> String {
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
}
