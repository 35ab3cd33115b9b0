//! Upload from a URL: stream an HTTP(S) response into the bucket without holding the
//! whole body. Small bodies go as one PUT; once a body reaches the part size it goes
//! multipart, with at most `parallel_parts` parts in flight, so memory stays at about
//! `(parallel_parts + 1) × part_size` whatever the size. The content type is checked
//! against an allow-list, the size against a limit both from `Content-Length` (before
//! anything is sent) and while streaming (a server may send no length, or lie).

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use serde::Serialize;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::error::{HoistError, Result};
use crate::origin::{self, OriginLimits};
use crate::s3::checksum::{self, body_checksum};
use crate::s3::{BucketAccess, ChecksumMode, Multipart, PartRecord, S3Store, UploadStore};
use crate::transfer::plan::{MAX_PART_SIZE, MAX_PARTS, MIB, MIN_PART_SIZE, PartPlan};
use crate::transfer::retry::{RetryPolicy, with_retry};

#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Destination key, relative to the target's prefix.
    pub key: String,
    /// Allowed content types: exact ("image/png") or a family ("image/*"). Empty =
    /// any type.
    pub allowed_types: Vec<String>,
    /// Refuse bodies larger than this many bytes.
    pub max_size: Option<u64>,
    pub part_size: u64,
    /// Parts uploaded at once while the next is read.
    pub parallel_parts: usize,
    /// Connection lost, or no byte for this long: the fetch fails.
    pub read_timeout: Duration,
}

impl FetchOptions {
    pub fn new(key: impl Into<String>) -> FetchOptions {
        FetchOptions {
            key: key.into(),
            allowed_types: Vec::new(),
            max_size: None,
            part_size: 16 * MIB,
            parallel_parts: 2,
            read_timeout: Duration::from_secs(60),
        }
    }
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Fetched {
    pub url: String,
    pub bucket: String,
    pub key: String,
    #[ts(type = "number")]
    pub size: u64,
    pub content_type: String,
    pub etag: Option<String>,
    /// CRC32C as the store reports it (full or composite `xxx-N`).
    pub checksum: Option<String>,
    pub multipart: bool,
    #[ts(type = "number")]
    pub elapsed_ms: u64,
    /// The most body bytes held in memory at once (buffer + parts in flight).
    #[ts(type = "number")]
    pub peak_buffered: u64,
}

pub use crate::origin::type_allowed;

/// Streams `url` into the bucket. `on_progress(bytes_read, total_if_known)` is called
/// as the body arrives.
pub async fn fetch_url(
    access: &BucketAccess,
    url: &str,
    opts: &FetchOptions,
    on_progress: impl Fn(u64, Option<u64>) + Send + Sync,
) -> Result<Fetched> {
    let started = Instant::now();
    origin::check_url(url)?;
    let key = super::share::full_key(access, &opts.key)?;
    if opts.parallel_parts == 0 {
        return Err(HoistError::InvalidInput(
            "parallel parts must be at least 1".into(),
        ));
    }
    access.store().check_bucket().await?;
    let client = origin::client(opts.read_timeout)?;
    let limits = OriginLimits {
        allowed_types: opts.allowed_types.clone(),
        max_size: opts.max_size,
    };
    let mut body = origin::open(&client, url, &limits, None).await?;
    let content_type = body.content_type.clone();
    let declared = body.total;
    // Grow parts for a declared size that would need more than 10,000 of them.
    let part_size = match declared {
        Some(len) => PartPlan::new(len, opts.part_size)?.part_size,
        None => opts.part_size.clamp(MIN_PART_SIZE, MAX_PART_SIZE),
    };

    let mut sink = PartSink::new(
        access,
        key.clone(),
        content_type.clone(),
        opts.parallel_parts,
    );
    // The buffer grows with the bytes that really arrive: a Content-Length (or a part
    // size grown from it) never reserves memory by itself.
    const INITIAL_BUFFER: u64 = 8 * 1024 * 1024;
    let mut buffer = BytesMut::with_capacity(
        part_size
            .min(declared.unwrap_or(part_size))
            .min(INITIAL_BUFFER) as usize,
    );
    let mut total = 0u64;
    let streamed: Result<()> = async {
        while let Some(chunk) = body.chunk().await? {
            total += chunk.len() as u64;
            on_progress(total, declared);
            let mut rest = chunk;
            while !rest.is_empty() {
                let room = part_size as usize - buffer.len();
                let take = room.min(rest.len());
                buffer.extend_from_slice(&rest.split_to(take));
                sink.observe(buffer.len() as u64);
                if buffer.len() as u64 == part_size {
                    let part = buffer.split().freeze();
                    sink.send_part(part).await?;
                    buffer.reserve(part_size as usize);
                }
            }
        }
        Ok(())
    }
    .await;
    if let Err(e) = streamed {
        sink.abort().await;
        return Err(e);
    }
    let landed = match sink.finish(buffer.freeze(), total).await {
        Ok(l) => l,
        Err(e) => {
            sink.abort().await;
            return Err(e);
        }
    };
    Ok(Fetched {
        url: url.to_owned(),
        bucket: access.bucket().to_owned(),
        key,
        size: total,
        content_type,
        etag: landed.etag,
        checksum: landed.checksum,
        multipart: landed.multipart,
        elapsed_ms: started.elapsed().as_millis() as u64,
        peak_buffered: sink.peak,
    })
}

struct LandedObject {
    etag: Option<String>,
    checksum: Option<String>,
    multipart: bool,
}

/// Receives the body part by part: starts a multipart upload at the first full part,
/// keeps a bounded number of parts in flight, and completes and verifies at the end.
struct PartSink {
    store: S3Store,
    mode: ChecksumMode,
    key: String,
    content_type: String,
    parallel: usize,
    upload_id: Option<String>,
    next_number: u32,
    in_flight: JoinSet<Result<(PartRecord, u64)>>,
    in_flight_bytes: u64,
    done: Vec<PartRecord>,
    retry: RetryPolicy,
    stop: CancellationToken,
    peak: u64,
}

impl PartSink {
    fn new(access: &BucketAccess, key: String, content_type: String, parallel: usize) -> PartSink {
        PartSink {
            store: access.store().clone(),
            mode: access.target().checksum,
            key,
            content_type,
            parallel,
            upload_id: None,
            next_number: 1,
            in_flight: JoinSet::new(),
            in_flight_bytes: 0,
            done: Vec::new(),
            retry: RetryPolicy {
                max_attempts: 5,
                network_wait: Some(Duration::from_secs(60)),
                ..RetryPolicy::default()
            },
            stop: CancellationToken::new(),
            peak: 0,
        }
    }

    /// Records memory held: the read buffer plus parts being sent.
    fn observe(&mut self, buffered: u64) {
        self.peak = self.peak.max(buffered + self.in_flight_bytes);
    }

    async fn send_part(&mut self, data: Bytes) -> Result<()> {
        if self.next_number as u64 > MAX_PARTS {
            return Err(HoistError::InvalidInput(format!(
                "the body needs more than {MAX_PARTS} parts; use a larger part size"
            )));
        }
        if self.upload_id.is_none() {
            let store = self.store.clone();
            let (key, mode) = (self.key.clone(), self.mode);
            let options = content_type_only(&self.content_type);
            let id = with_retry(
                &self.retry,
                &self.stop,
                |_, _, _| {},
                || store.create_multipart(&key, &options, mode),
            )
            .await?;
            self.upload_id = Some(id);
        }
        while self.in_flight.len() >= self.parallel {
            self.reap_one().await?;
        }
        let number = self.next_number;
        self.next_number += 1;
        let size = data.len() as u64;
        self.in_flight_bytes += size;
        self.observe(0);
        let (store, key, upload_id, mode, retry, stop) = (
            self.store.clone(),
            self.key.clone(),
            self.upload_id.clone().expect("created above"),
            self.mode,
            self.retry.clone(),
            self.stop.clone(),
        );
        self.in_flight.spawn(async move {
            // CRC32C runs at memory speed; no need to leave the task.
            let (sum, crc, md5) = body_checksum(mode, &data);
            let etag = with_retry(
                &retry,
                &stop,
                |_, _, _| {},
                || store.upload_part(&key, &upload_id, number, data.clone().into(), &sum),
            )
            .await?;
            Ok((
                PartRecord {
                    number,
                    size,
                    etag,
                    crc32c: crc,
                    md5,
                },
                size,
            ))
        });
        Ok(())
    }

    async fn reap_one(&mut self) -> Result<()> {
        if let Some(joined) = self.in_flight.join_next().await {
            let (part, size) = joined.map_err(|e| {
                HoistError::Network(format!("a part upload stopped unexpectedly: {e}"))
            })??;
            self.in_flight_bytes -= size;
            self.done.push(part);
        }
        Ok(())
    }

    async fn finish(&mut self, last: Bytes, total: u64) -> Result<LandedObject> {
        if self.upload_id.is_none() {
            let (sum, crc, md5) = body_checksum(self.mode, &last);
            let options = content_type_only(&self.content_type);
            let (etag, reported) = with_retry(
                &self.retry,
                &self.stop,
                |_, _, _| {},
                || {
                    self.store
                        .put_object(&self.key, last.clone().into(), &sum, &options)
                },
            )
            .await?;
            if let (Some(r), Some(c)) = (&reported, crc)
                && checksum::decode(r) != Some(c)
            {
                return Err(HoistError::Integrity(format!(
                    "the store reports CRC32C {r}, the body had {}",
                    checksum::encode(c)
                )));
            }
            if self.mode == ChecksumMode::ContentMd5
                && let (Some(e), Some(m)) = (&etag, &md5)
            {
                let local = hex::encode(base64_decode(m));
                if e.trim_matches('"') != local {
                    return Err(HoistError::Integrity(format!(
                        "the store's ETag {e} is not the body's MD5 {local}"
                    )));
                }
            }
            self.verify_size(total).await?;
            return Ok(LandedObject {
                etag,
                checksum: reported.or(crc.map(checksum::encode)),
                multipart: false,
            });
        }
        if !last.is_empty() {
            self.send_part(last).await?;
        }
        while !self.in_flight.is_empty() {
            self.reap_one().await?;
        }
        self.done.sort_by_key(|p| p.number);
        let upload_id = self.upload_id.clone().expect("multipart");
        // Retried like the parts; a retry whose first attempt went through finds the
        // upload gone, and the object itself decides (checked below).
        let completed = with_retry(
            &self.retry,
            &self.stop,
            |_, _, _| {},
            || {
                self.store
                    .complete(&self.key, &upload_id, &self.done, self.mode)
            },
        )
        .await;
        let etag = match completed {
            Ok(e) => e,
            Err(HoistError::NoSuchUpload) => None,
            Err(e) => return Err(e),
        };
        self.upload_id = None;
        let info = self.verify_size(total).await?;
        let parts: Vec<(u32, u64)> = self
            .done
            .iter()
            .map(|p| (p.crc32c.unwrap_or(0), p.size))
            .collect();
        if let Some(reported) = &info.crc32c
            && !checksum::matches_parts(reported, &parts)
        {
            return Err(HoistError::Integrity(format!(
                "the store's CRC32C {reported} does not match the parts sent"
            )));
        }
        Ok(LandedObject {
            etag: etag.or(info.etag),
            checksum: info
                .crc32c
                .or_else(|| Some(checksum::encode(checksum::full_object(&parts)))),
            multipart: true,
        })
    }

    async fn verify_size(&self, total: u64) -> Result<crate::s3::ObjectInfo> {
        let info = with_retry(
            &self.retry,
            &self.stop,
            |_, _, _| {},
            || self.store.head(&self.key),
        )
        .await?
        .ok_or_else(|| {
            HoistError::Integrity("the object is missing right after its upload".into())
        })?;
        if info.size != total {
            return Err(HoistError::Integrity(format!(
                "the store holds {} bytes, {total} were sent",
                info.size
            )));
        }
        Ok(info)
    }

    /// Leaves nothing behind on the store: stops parts in flight and aborts.
    async fn abort(&mut self) {
        self.stop.cancel();
        self.in_flight.abort_all();
        while self.in_flight.join_next().await.is_some() {}
        if let Some(id) = self.upload_id.take()
            && let Err(e) = self.store.abort(&self.key, &id).await
        {
            tracing::warn!("could not abort the multipart upload of {}: {e}", self.key);
        }
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .unwrap_or_default()
}

fn content_type_only(content_type: &str) -> crate::s3::ObjectOptions {
    crate::s3::ObjectOptions {
        content_type: Some(content_type.to_owned()),
        ..Default::default()
    }
}
