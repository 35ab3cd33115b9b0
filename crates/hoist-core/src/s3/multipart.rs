//! The multipart calls as a small stateless trait (the caller, i.e. the journal, owns
//! the upload's state, which is what resume needs), and what one upload asks of a
//! bucket besides. [`S3Store`] implements both over the SDK; tests drive the
//! scheduler against an in-memory store (`s3::memory`).

use async_trait::async_trait;
use aws_sdk_s3::types::{ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart};

use super::body::{PartBody, PartData};
use super::errors::{map_complete_err, map_err};
use super::learned::{StreamedWay, Support};
use super::object_options::ObjectOptions;
use super::store::{PendingMultipart, S3Store};
use super::target::ChecksumMode;
use super::trailer::TrailingChecksum;
use crate::error::{HoistError, Result};

/// The integrity data sent with a body.
#[derive(Debug, Clone)]
pub enum BodyChecksum {
    Crc32c(u32),
    /// Base64 of the MD5 digest.
    Md5(String),
    /// The CRC32C of a file body, computed while it streams, sent as an aws-chunked
    /// trailer ([`StreamedWay::Trailer`]).
    Trailing,
    /// The CRC32C of a file body, computed while it streams, not sent: the store
    /// names the CRC32C it computed in its answer, which must match
    /// ([`StreamedWay::Echo`]). Read once, and nothing for the store to decode.
    Echoed,
}

impl BodyChecksum {
    /// How a checksum computed while streaming goes to the store, if this is one.
    /// Stores that take neither way get a header after a first pass instead (the
    /// store decides, and learns which it is).
    pub(crate) fn streamed_way(&self) -> Option<StreamedWay> {
        match self {
            BodyChecksum::Trailing => Some(StreamedWay::Trailer),
            BodyChecksum::Echoed => Some(StreamedWay::Echo),
            BodyChecksum::Crc32c(_) | BodyChecksum::Md5(_) => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ListedPart {
    pub number: u32,
    pub size: u64,
    pub etag: String,
    pub crc32c: Option<u32>,
}

/// One page of a listing (ListObjectsV2): keys in the store's order, and where the
/// next page starts (`None` on the last).
#[derive(Debug, Clone, Default)]
pub struct KeyPage {
    pub keys: Vec<String>,
    pub next: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ObjectInfo {
    pub size: u64,
    pub etag: Option<String>,
    pub crc32c: Option<String>,
    pub content_type: Option<String>,
}

/// A part the store accepted, as the journal records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartRecord {
    pub number: u32,
    pub size: u64,
    pub etag: String,
    /// Kept in every mode, to verify the object; sent to the store only in CRC32C mode
    /// (see [`PartRecord::listed_crc32c`]).
    pub crc32c: Option<u32>,
    /// Base64 MD5 of the part (compatible mode), for the multipart ETag.
    pub md5: Option<String>,
}

impl PartRecord {
    /// The CRC32C that CompleteMultipartUpload lists for this part. S3 ties the
    /// checksums in Complete to the algorithm the upload was created with: an upload
    /// created without one (md5 mode) must list none, or strict stores (Garage, AWS)
    /// refuse the whole upload.
    pub fn listed_crc32c(&self, mode: ChecksumMode) -> Option<u32> {
        match mode {
            ChecksumMode::Crc32c => self.crc32c,
            ChecksumMode::ContentMd5 => None,
        }
    }
}

/// Create, send parts, list, complete, abort: each call stands alone. `mode` is the
/// upload's checksum mode, fixed when it is created (the journal keeps it in the
/// upload's target): Complete must be given the same mode as Create.
#[async_trait]
pub trait Multipart: Send + Sync {
    /// Returns the store's UploadId. `options` (content type set) go on the upload and
    /// so on the object Complete makes. In CRC32C mode the upload is created with
    /// ChecksumAlgorithm=CRC32C and every part must carry its CRC32C.
    async fn create_multipart(
        &self,
        key: &str,
        options: &ObjectOptions,
        mode: ChecksumMode,
    ) -> Result<String>;
    /// Returns the part's ETag.
    async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        number: u32,
        body: PartData,
        checksum: &BodyChecksum,
    ) -> Result<String>;
    /// All parts the store holds for an upload. A part number may appear more than
    /// once (SeaweedFS lists re-uploaded parts twice).
    async fn list_parts(&self, key: &str, upload_id: &str) -> Result<Vec<ListedPart>>;
    /// Returns the object's ETag when the store gives one. A refusal (a part list the
    /// store does not accept) is permanent: retrying the same list cannot help.
    async fn complete(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[PartRecord],
        mode: ChecksumMode,
    ) -> Result<Option<String>>;
    /// Succeeds when the upload is already gone.
    async fn abort(&self, key: &str, upload_id: &str) -> Result<()>;
    /// Whether this store was found to refuse the way `streamed` (a checksum computed
    /// while streaming) goes: its parts then go with a header after a first pass.
    fn refuses(&self, _streamed: &BodyChecksum) -> bool {
        false
    }
    /// The unfinished multipart uploads of exactly `key` (ListMultipartUploads), to
    /// find one whose Create answer was lost on the way back.
    async fn uploads_of(&self, key: &str) -> Result<Vec<PendingMultipart>>;
}

/// Everything one upload asks of its bucket: the multipart calls, a single PUT for
/// small files, HEAD to verify, and a one-time check that the bucket exists.
#[async_trait]
pub trait UploadStore: Multipart {
    async fn check_bucket(&self) -> Result<()>;
    /// Returns the ETag and the CRC32C the store reports.
    async fn put_object(
        &self,
        key: &str,
        body: PartData,
        checksum: &BodyChecksum,
        options: &ObjectOptions,
    ) -> Result<(Option<String>, Option<String>)>;
    /// `Ok(None)` when the key does not exist.
    async fn head(&self, key: &str) -> Result<Option<ObjectInfo>>;
    /// The keys that start with `prefix`, one page (`next` from the previous page).
    /// Needs list permission, which write-only credentials lack.
    async fn list_page(&self, prefix: &str, next: Option<String>) -> Result<KeyPage>;
}

#[async_trait]
impl Multipart for S3Store {
    fn refuses(&self, streamed: &BodyChecksum) -> bool {
        streamed
            .streamed_way()
            .is_some_and(|way| self.streamed.of(way).get() == Support::Refused)
    }

    async fn create_multipart(
        &self,
        key: &str,
        options: &ObjectOptions,
        mode: ChecksumMode,
    ) -> Result<String> {
        let req = self
            .client()
            .create_multipart_upload()
            .bucket(self.bucket())
            .key(key);
        let mut req = crate::with_object_options!(req, options);
        if mode == ChecksumMode::Crc32c {
            req = req.checksum_algorithm(ChecksumAlgorithm::Crc32C);
        }
        let out = req.send().await.map_err(|e| map_err(self.bucket(), e))?;
        out.upload_id.ok_or_else(|| HoistError::Rejected {
            status: 200,
            code: "NoUploadId".into(),
            message: "the store created a multipart upload without an UploadId".into(),
        })
    }
    async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        number: u32,
        body: PartData,
        checksum: &BodyChecksum,
    ) -> Result<String> {
        match (checksum, &body) {
            (BodyChecksum::Trailing, PartData::File(file)) => {
                self.part_with_trailer(key, upload_id, number, file).await
            }
            (BodyChecksum::Echoed, PartData::File(file)) => {
                self.part_echoed(key, upload_id, number, file).await
            }
            _ => Ok(self
                .send_part(key, upload_id, number, body, checksum)
                .await?
                .0),
        }
    }
    /// All parts the store holds for an upload, following pagination. A part number
    /// may appear more than once (SeaweedFS lists re-uploaded parts twice).
    async fn list_parts(&self, key: &str, upload_id: &str) -> Result<Vec<ListedPart>> {
        let mut parts = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let out = self
                .client()
                .list_parts()
                .bucket(self.bucket())
                .key(key)
                .upload_id(upload_id)
                .set_part_number_marker(marker.clone())
                .send()
                .await
                .map_err(|e| map_err(self.bucket(), e))?;
            for p in out.parts() {
                let (Some(n), Some(etag)) = (p.part_number(), p.e_tag()) else {
                    continue;
                };
                parts.push(ListedPart {
                    number: n as u32,
                    size: p.size().unwrap_or(0) as u64,
                    etag: etag.to_owned(),
                    crc32c: p.checksum_crc32_c().and_then(super::checksum::decode),
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
    async fn complete(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[PartRecord],
        mode: ChecksumMode,
    ) -> Result<Option<String>> {
        let completed: Vec<CompletedPart> = parts
            .iter()
            .map(|p| {
                CompletedPart::builder()
                    .part_number(p.number as i32)
                    .e_tag(&p.etag)
                    .set_checksum_crc32_c(p.listed_crc32c(mode).map(super::checksum::encode))
                    .build()
            })
            .collect();
        let out = self
            .client()
            .complete_multipart_upload()
            .bucket(self.bucket())
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(completed))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| map_complete_err(self.bucket(), e))?;
        Ok(out.e_tag)
    }
    async fn abort(&self, key: &str, upload_id: &str) -> Result<()> {
        match self
            .client()
            .abort_multipart_upload()
            .bucket(self.bucket())
            .key(key)
            .upload_id(upload_id)
            .send()
            .await
            .map_err(|e| map_err(self.bucket(), e))
        {
            Ok(_) | Err(HoistError::NoSuchUpload) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn uploads_of(&self, key: &str) -> Result<Vec<PendingMultipart>> {
        // One page: a thousand unfinished uploads of one key is not a lost answer.
        let out = self
            .client()
            .list_multipart_uploads()
            .bucket(self.bucket())
            .prefix(key)
            .send()
            .await
            .map_err(|e| map_err(self.bucket(), e))?;
        Ok(out
            .uploads()
            .iter()
            .filter(|u| u.key() == Some(key))
            .filter_map(|u| {
                Some(PendingMultipart {
                    key: key.to_owned(),
                    upload_id: u.upload_id()?.to_owned(),
                    initiated_ms: u.initiated().and_then(|d| d.to_millis().ok()),
                })
            })
            .collect())
    }
}

impl S3Store {
    /// A part with its CRC32C as an aws-chunked trailer, where the store takes one.
    async fn part_with_trailer(
        &self,
        key: &str,
        upload_id: &str,
        number: u32,
        file: &PartBody,
    ) -> Result<String> {
        let learned = self.streamed.of(StreamedWay::Trailer);
        if learned.get() == Support::Refused {
            return self.part_with_header(key, upload_id, number, file).await;
        }
        let chunked = PartData::File(file.aws_chunked());
        let sent = self
            .send_part(key, upload_id, number, chunked, &BodyChecksum::Trailing)
            .await;
        if learned.get() == Support::Taken {
            return Ok(sent?.0);
        }
        // Until a store has taken one, a trailer may be what it refuses (Ceph RGW and
        // Garage over http, R2, ...) or, worse, ignores, keeping the framing as data.
        // The first part sent with one proves it: the store's answer names the CRC32C
        // it checked (S3, SeaweedFS), or else the part it lists has the right size. A
        // part that cannot be proven (no echo, no permission to list) goes again with
        // a header.
        let taken = match &sent {
            Ok((_, true)) => true,
            Ok((_, false)) => self.list_parts(key, upload_id).await.is_ok_and(|listed| {
                listed
                    .iter()
                    .any(|p| p.number == number && p.size == file.len())
            }),
            Err(e) => !may_refuse_streamed(e),
        };
        if taken {
            if sent.is_ok() {
                learned.set(Support::Taken);
            }
            return Ok(sent?.0);
        }
        tracing::info!(
            bucket = self.bucket(),
            "the store did not take a trailing checksum ({}); sending checksum headers",
            sent.as_ref()
                .err()
                .map(|e| e.to_string())
                .unwrap_or_else(|| "the part could not be proven on the store".into())
        );
        learned.set(Support::Refused);
        let again = self.part_with_header(key, upload_id, number, file).await;
        if again.is_err() && sent.is_err() {
            // Refused both ways: the refusal was not about the trailer.
            learned.set(Support::Untried);
        }
        again
    }

    /// A part sent without a checksum, where the store computes the part's CRC32C and
    /// names it in its answer (SeaweedFS): compared with the CRC32C of the bytes read
    /// while streaming. Whether a store does is learned by a probe before its first
    /// such part ([`S3Store::probe_echo`]); stores that insist on a checksum (AWS, the
    /// embedded store) or name none get a header after a first pass.
    async fn part_echoed(
        &self,
        key: &str,
        upload_id: &str,
        number: u32,
        file: &PartBody,
    ) -> Result<String> {
        let learned = self.streamed.of(StreamedWay::Echo);
        if learned.get() == Support::Untried {
            // Bounded like the part it stands for: a link that stalls fails the part.
            let stall = file.stall_timeout();
            tokio::time::timeout(stall, self.probe_echo(key))
                .await
                .map_err(|_| super::body::stalled(stall))??;
        }
        if learned.get() != Support::Taken {
            return self.part_with_header(key, upload_id, number, file).await;
        }
        let plain = PartData::File(file.clone());
        match self
            .send_part(key, upload_id, number, plain, &BodyChecksum::Echoed)
            .await?
        {
            (etag, true) => Ok(etag),
            (_, false) => {
                tracing::info!(
                    bucket = self.bucket(),
                    "the store named no CRC32C for part {number}; sending checksum headers"
                );
                learned.set(Support::Refused);
                self.part_with_header(key, upload_id, number, file).await
            }
        }
    }

    /// Learns whether this store names the CRC32C of a part sent without a checksum:
    /// a few bytes go as the only part of a throwaway upload of `key` (created with
    /// CRC32C, then aborted), so the real upload's part list never shows them. A
    /// failure of the network leaves it untried and fails the part, which is retried.
    async fn probe_echo(&self, key: &str) -> Result<()> {
        let _one = self.echo_probe.lock().await;
        let learned = self.streamed.of(StreamedWay::Echo);
        if learned.get() != Support::Untried {
            return Ok(());
        }
        const PROBE: &[u8] = b"hoist checksum probe";
        let support = match self
            .create_multipart(key, &ObjectOptions::default(), ChecksumMode::Crc32c)
            .await
        {
            Ok(upload_id) => {
                let answer = self
                    .client()
                    .upload_part()
                    .bucket(self.bucket())
                    .key(key)
                    .upload_id(&upload_id)
                    .part_number(1)
                    .content_length(PROBE.len() as i64)
                    .body(aws_sdk_s3::primitives::ByteStream::from_static(PROBE))
                    .customize()
                    .disable_payload_signing()
                    .send()
                    .await
                    .map_err(|e| map_err(self.bucket(), e));
                if let Err(e) = self.abort(key, &upload_id).await {
                    tracing::warn!(
                        bucket = self.bucket(),
                        key,
                        "the checksum probe's upload was not aborted: {e}"
                    );
                }
                let expected = super::checksum::encode(super::checksum::crc32c(PROBE));
                match answer {
                    Ok(out) if out.checksum_crc32_c() == Some(expected.as_str()) => Support::Taken,
                    Ok(_) => Support::Refused,
                    Err(e) if may_refuse_streamed(&e) => Support::Refused,
                    Err(e) => return Err(e),
                }
            }
            // No throwaway upload (a policy that wants options on it, ...): headers.
            Err(e) if may_refuse_streamed(&e) => Support::Refused,
            Err(e) => return Err(e),
        };
        tracing::debug!(
            bucket = self.bucket(),
            ?support,
            "parts without a checksum header"
        );
        learned.set(support);
        Ok(())
    }

    /// A part after a first pass over it, its CRC32C as a header.
    async fn part_with_header(
        &self,
        key: &str,
        upload_id: &str,
        number: u32,
        file: &PartBody,
    ) -> Result<String> {
        let (plain, sum) = with_header(file).await?;
        Ok(self.send_part(key, upload_id, number, plain, &sum).await?.0)
    }

    /// One UploadPart request, its checksum as a header, as a trailer (a file framed
    /// aws-chunked), or not at all (echoed). Returns the part's ETag, and whether the
    /// store's answer named the CRC32C of a checksum computed while streaming (a
    /// mismatch is an integrity error).
    async fn send_part(
        &self,
        key: &str,
        upload_id: &str,
        number: u32,
        body: PartData,
        checksum: &BodyChecksum,
    ) -> Result<(String, bool)> {
        let req = self
            .client()
            .upload_part()
            .bucket(self.bucket())
            .key(key)
            .upload_id(upload_id)
            .part_number(number as i32)
            .content_length(body.wire_len() as i64)
            .body(body.byte_stream());
        let mut streamed = None;
        let send = match checksum {
            // The body is covered by the checksum header, which is signed: hashing
            // every part again with SHA-256 for the signature would only cost CPU.
            BodyChecksum::Crc32c(c) => req
                .checksum_crc32_c(super::checksum::encode(*c))
                .customize()
                .disable_payload_signing(),
            BodyChecksum::Md5(m) => req.content_md5(m).customize().disable_payload_signing(),
            // Nothing covers the body until the store names its CRC32C, compared below.
            BodyChecksum::Echoed => {
                let PartData::File(f) = &body else {
                    return Err(HoistError::InvalidInput(
                        "an echoed checksum needs a file body".into(),
                    ));
                };
                streamed = Some(f);
                req.customize().disable_payload_signing()
            }
            BodyChecksum::Trailing => {
                let f = match &body {
                    PartData::File(f) if f.is_aws_chunked() => f,
                    _ => {
                        return Err(HoistError::InvalidInput(
                            "a trailing checksum needs a file body framed aws-chunked".into(),
                        ));
                    }
                };
                streamed = Some(f);
                req.checksum_algorithm(ChecksumAlgorithm::Crc32C)
                    .customize()
                    .interceptor(TrailingChecksum {
                        decoded_len: f.len(),
                    })
            }
        }
        .config_override(super::client::sending_body())
        .send();
        let out = tokio::select! {
            out = send => out.map_err(|e| map_err(self.bucket(), e))?,
            stalled = body.stalled() => return Err(stalled),
        };
        let echoed = match (streamed, out.checksum_crc32_c()) {
            (Some(f), Some(reported)) => {
                let sent = f.crc32c().map(super::checksum::encode);
                if sent.as_deref() != Some(reported) {
                    return Err(HoistError::Integrity(format!(
                        "the store reports CRC32C {reported} for part {number}, Hoist read {}",
                        sent.unwrap_or_default()
                    )));
                }
                true
            }
            _ => false,
        };
        let etag = out.e_tag.ok_or_else(|| HoistError::Rejected {
            status: 200,
            code: "NoETag".into(),
            message: format!("the store accepted part {number} without an ETag"),
        })?;
        Ok((etag, echoed))
    }
}

/// A file body for a store that takes no checksum computed while streaming: after a
/// first pass, with its CRC32C as a header.
pub(super) async fn with_header(file: &super::body::PartBody) -> Result<(PartData, BodyChecksum)> {
    let plain = file.with_first_pass().await?;
    let crc = plain.crc32c().expect("a first pass knows the CRC32C");
    Ok((PartData::File(plain), BodyChecksum::Crc32c(crc)))
}

/// Whether a request's failure may be the store refusing a way of sending a checksum
/// computed while streaming (a 4xx, 501, or a checksum it got wrong), not the network
/// or load.
fn may_refuse_streamed(e: &HoistError) -> bool {
    !matches!(
        e,
        HoistError::Network(_)
            | HoistError::StoreBusy { .. }
            | HoistError::NoSuchUpload
            | HoistError::Cancelled
            | HoistError::LocalFile { .. }
    )
}
