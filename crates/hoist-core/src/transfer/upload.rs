//! One upload, start to verified: conflict check, single PUT or multipart, resume
//! against ListParts, retries per request, verification after completion.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

use super::conflict::apply_conflict;
use super::multipart::multipart;
use super::plan::{PartPlan, UploadPlan};
use super::progress::{ItemProgress, ProgressBoard};
use super::records::UploadRow;
use super::retry::with_retry;
use super::settings::EngineSettings;
use super::source::{FileIdentity, read_at};
use crate::error::{HoistError, Result};
use crate::events::{EngineEvent, EventSender, UploadId, Verification};
use crate::journal::UploadJournal;
use crate::s3::body::{self, READ};
use crate::s3::checksum;
use crate::s3::{BodyChecksum, ChecksumMode, PartBody, PartData, RateLimit, UploadStore};

/// Everything a worker needs; cheap to clone into part tasks.
#[derive(Clone)]
pub(crate) struct WorkerCtx {
    pub journal: Arc<UploadJournal>,
    pub events: EventSender,
    pub pool: Arc<Semaphore>,
    /// The memory budget, in KiB units.
    pub memory: Arc<Semaphore>,
    pub board: ProgressBoard,
    pub settings: Arc<EngineSettings>,
    pub store: Arc<dyn UploadStore>,
    pub stop: CancellationToken,
    /// The engine's one bandwidth cap.
    pub limit: Arc<RateLimit>,
}

#[derive(Debug)]
pub(crate) struct Landed {
    pub key: String,
    pub size: u64,
    pub etag: Option<String>,
    pub checksum: Option<String>,
    pub verification: Verification,
    pub bytes_sent: u64,
    pub bytes_resent: u64,
}

#[derive(Debug)]
pub(crate) enum Outcome {
    Landed(Landed),
    Skipped { key: String, reason: String },
    Stopped,
    Failed(HoistError),
}

/// How often a file may change under us before the upload gives up.
const MAX_RESTARTS: u32 = 3;

/// `row` is the upload as the journal has it now, when the caller read it already.
pub(crate) async fn run(ctx: WorkerCtx, id: UploadId, row: Option<UploadRow>) -> Outcome {
    let result = run_inner(&ctx, id, row).await;
    ctx.board.untrack(id);
    match result {
        Ok(o) => o,
        Err(HoistError::Cancelled) => Outcome::Stopped,
        Err(e) if ctx.stop.is_cancelled() => {
            tracing::debug!("upload {id} stopped with {e}");
            Outcome::Stopped
        }
        Err(e) => Outcome::Failed(e),
    }
}

pub(super) fn emit(ctx: &WorkerCtx, e: EngineEvent) {
    let _ = ctx.events.send(e);
}

pub(super) async fn journal_call<T: Send + 'static>(
    ctx: &WorkerCtx,
    f: impl FnOnce(&UploadJournal) -> Result<T> + Send + 'static,
) -> Result<T> {
    let j = ctx.journal.clone();
    tokio::task::spawn_blocking(move || f(&j))
        .await
        .expect("journal task panicked")
}

async fn run_inner(ctx: &WorkerCtx, id: UploadId, mut known: Option<UploadRow>) -> Result<Outcome> {
    let mut restarts = 0;
    loop {
        let row = match known.take() {
            Some(row) => row,
            None => journal_call(ctx, move |j| j.upload(id))
                .await?
                .ok_or_else(|| {
                    HoistError::InvalidInput(format!("upload {id} is not in the journal"))
                })?,
        };
        let path = row.path.clone();
        match attempt(ctx, row).await {
            Ok(outcome) => return Ok(outcome),
            Err(Flow::Fail(e)) => return Err(e),
            Err(Flow::Restart(reason)) if restarts < MAX_RESTARTS => {
                restarts += 1;
                emit(ctx, EngineEvent::Restarted { id, reason });
            }
            Err(Flow::Restart(reason)) => {
                return Err(HoistError::local_file(
                    &path,
                    format!("{reason}; it keeps changing, try again when it is finished"),
                ));
            }
        }
    }
}

/// Why an attempt ended early: a failure, or the upload must begin again from
/// scratch (the file changed, or the store forgot the multipart upload).
pub(super) enum Flow {
    Fail(HoistError),
    Restart(String),
}

impl From<HoistError> for Flow {
    fn from(e: HoistError) -> Flow {
        Flow::Fail(e)
    }
}

async fn attempt(ctx: &WorkerCtx, mut row: UploadRow) -> std::result::Result<Outcome, Flow> {
    // An upload from a URL: its own steps (`fetch`), the same queue around them.
    if let Some(spec) = row.fetch.clone() {
        return super::fetch::fetch(ctx, row, spec).await;
    }
    let identity = FileIdentity::of(&row.path)?;
    pooled(ctx, row.id, || ctx.store.check_bucket()).await?;

    // A multipart upload begun for different bytes can never be completed.
    if let Some(mp) = &row.multipart_id
        && identity != row.identity
    {
        ctx.store.abort(&row.key, mp).await?;
        let id = row.id;
        journal_call(ctx, move |j| j.reset_upload(id, &identity)).await?;
        return Err(Flow::Restart(
            "the file changed since its upload began".into(),
        ));
    }

    if row.multipart_id.is_none() {
        if let Some(skipped) = apply_conflict(ctx, &mut row).await? {
            return Ok(skipped);
        }
    }

    let plan = match (row.part_size, &row.multipart_id) {
        (Some(ps), Some(_)) => UploadPlan::Multipart(PartPlan::with_part_size(identity.size, ps)?),
        _ => UploadPlan::new(
            identity.size,
            ctx.settings.multipart_threshold,
            ctx.settings.part_size,
        )?,
    };
    match plan {
        UploadPlan::Single { size } => single_put(ctx, &row, size, identity).await,
        UploadPlan::Multipart(plan) => multipart(ctx, &row, identity, plan).await,
    }
}

pub(super) async fn retried<T, F, Fut>(ctx: &WorkerCtx, id: UploadId, op: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let events = ctx.events.clone();
    let board = ctx.board.clone();
    let result = with_retry(
        &ctx.settings.retry,
        &ctx.stop,
        |attempt, delay, err| {
            let offline = err.is_connectivity();
            board.set_offline(id, offline);
            let _ = events.send(EngineEvent::Retrying {
                id,
                attempt,
                delay_ms: delay.as_millis() as u64,
                reason: err.to_string(),
                code: err.code(),
                offline,
            });
        },
        op,
    )
    .await;
    if result.is_ok() {
        ctx.board.set_offline(id, false);
    }
    result
}

/// `retried`, each attempt holding a slot in the request pool: every S3 request
/// (HEAD, Create, ListParts, Complete too, not only the bodies) counts against the
/// concurrency the user set.
pub(super) async fn pooled<T, F, Fut>(ctx: &WorkerCtx, id: UploadId, mut op: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    retried(ctx, id, || {
        let (pool, stop, request) = (ctx.pool.clone(), ctx.stop.clone(), op());
        async move {
            let _slot = tokio::select! {
                biased;
                _ = stop.cancelled() => return Err(HoistError::Cancelled),
                p = pool.acquire_owned() => p.expect("pool never closes"),
            };
            request.await
        }
    })
    .await
}

/// The memory budget counts KiB, so a budget in bytes fits a semaphore.
pub(crate) fn memory_units(bytes: u64) -> usize {
    bytes.div_ceil(1024).max(1) as usize
}

/// Room for `bytes` in the memory budget, unless the upload is being stopped.
pub(super) async fn memory_room(ctx: &WorkerCtx, bytes: u64) -> Result<OwnedSemaphorePermit> {
    // A buffer larger than the whole budget waits for all of it, never for ever.
    let units = memory_units(bytes).min(memory_units(ctx.settings.memory_budget)) as u32;
    tokio::select! {
        biased;
        _ = ctx.stop.cancelled() => Err(HoistError::Cancelled),
        p = ctx.memory.clone().acquire_many_owned(units) => Ok(p.expect("budget never closes")),
    }
}

/// Room for `bytes` in the memory budget, then a slot in the global request pool,
/// unless the upload is being stopped. Dropping the pair gives both back.
pub(super) async fn acquire(
    ctx: &WorkerCtx,
    bytes: u64,
) -> Result<(OwnedSemaphorePermit, OwnedSemaphorePermit)> {
    let memory = memory_room(ctx, bytes).await?;
    let slot = tokio::select! {
        biased;
        _ = ctx.stop.cancelled() => return Err(HoistError::Cancelled),
        p = ctx.pool.clone().acquire_owned() => p.expect("pool never closes"),
    };
    // Both may have become ready together: a stopping upload starts nothing new.
    if ctx.stop.is_cancelled() {
        return Err(HoistError::Cancelled);
    }
    Ok((memory, slot))
}

/// What a streamed request holds in memory: a read being sent and the next one.
pub(super) const STREAMED_MEMORY: u64 = 2 * READ;

/// A slice of the file as a streamed body for one attempt, and the checksum it goes
/// with. In CRC32C mode the checksum is computed as the body streams
/// ([`streamed_checksum`]), so the file is read once. Otherwise (md5 mode, or a store
/// that refused both) a first pass computes the CRC32C or the `Content-MD5` sent as a
/// header, and the stream is checked against it; `ahead` is that pass done earlier
/// (see [`first_pass`]).
pub(super) async fn streamed(
    ctx: &WorkerCtx,
    progress: &Arc<ItemProgress>,
    path: &Path,
    range: (u64, u64),
    mode: ChecksumMode,
    ahead: Option<FirstPass>,
) -> Result<(BodyChecksum, PartData)> {
    let body = |crc| {
        PartBody::new(
            path,
            range,
            crc,
            progress.done.clone(),
            ctx.limit.clone(),
            ctx.settings.stall_timeout,
        )
    };
    let (sum, crc) = match (ahead, streamed_checksum(ctx, mode)) {
        (Some(done), _) => done,
        (None, Some(sum)) => return Ok((sum, PartData::File(body(None)))),
        (None, None) => first_pass(path.to_owned(), range, mode).await?,
    };
    Ok((sum, PartData::File(body(Some(crc)))))
}

/// The checksum sent ahead of a body, and the body's CRC32C to check the stream by.
pub(super) type FirstPass = (BodyChecksum, u32);

/// How a part's CRC32C computed while it streams goes to the store: as a trailer
/// (`checksum_trailers`), else not at all, the store naming the CRC32C it computed.
/// `None` in md5 mode and for a store found to refuse the way: a first pass instead.
pub(super) fn streamed_checksum(ctx: &WorkerCtx, mode: ChecksumMode) -> Option<BodyChecksum> {
    let sum = if ctx.settings.checksum_trailers {
        BodyChecksum::Trailing
    } else {
        BodyChecksum::Echoed
    };
    (mode == ChecksumMode::Crc32c && !ctx.store.refuses(&sum)).then_some(sum)
}

/// Reads the range once for the checksum its request carries in a header.
pub(super) async fn first_pass(
    path: PathBuf,
    range: (u64, u64),
    mode: ChecksumMode,
) -> Result<FirstPass> {
    let (sum, crc, _) = body::checksums(&path, range.0, range.1, mode).await?;
    Ok((sum, crc))
}

pub(super) async fn read_part(path: PathBuf, offset: u64, len: u64) -> Result<Vec<u8>> {
    tokio::task::spawn_blocking(move || read_at(&path, offset, len))
        .await
        .expect("read task panicked")
}

async fn single_put(
    ctx: &WorkerCtx,
    row: &UploadRow,
    size: u64,
    identity: FileIdentity,
) -> std::result::Result<Outcome, Flow> {
    let progress = ctx.board.track(row.id, 0, size);
    emit(
        ctx,
        EngineEvent::Started {
            id: row.id,
            key: row.key.clone(),
            size,
            parts_total: 1,
            parts_done: 0,
            resumed: false,
        },
    );
    let _permits = acquire(ctx, STREAMED_MEMORY).await?;
    let (path, mode) = (row.path.clone(), row.target.checksum);
    let options = &row.object_options();
    let ((etag, reported), crc, md5) = retried(ctx, row.id, || {
        let body = streamed(ctx, &progress, &path, (0, size), mode, None);
        async move {
            let (sum, body) = body.await?;
            let md5 = match &sum {
                BodyChecksum::Md5(m) => Some(m.clone()),
                _ => None,
            };
            let sent = ctx
                .store
                .put_object(&row.key, body.clone(), &sum, options)
                .await;
            if sent.is_err()
                && let PartData::File(f) = &body
            {
                f.roll_back();
            }
            let crc = match &body {
                PartData::File(f) => f.crc32c(),
                PartData::Memory(_) => None,
            };
            Ok((sent?, crc, md5))
        }
    })
    .await?;
    // The bytes sent match their checksum, but they must also be the whole file as it
    // is now: one that grew, shrank or was rewritten meanwhile is sent again.
    if FileIdentity::of(&row.path)? != identity {
        return Err(Flow::Restart(
            "the file changed while it was uploading".into(),
        ));
    }
    progress.done.store(size, Ordering::Relaxed);
    let verification = match (row.target.checksum, &reported, &etag) {
        (ChecksumMode::Crc32c, Some(r), _) => {
            if checksum::decode(r) != crc {
                return Err(HoistError::Integrity(format!(
                    "the store reports CRC32C {r}, the file has {}",
                    checksum::encode(crc.unwrap_or(0))
                ))
                .into());
            }
            Verification::Crc32c
        }
        (ChecksumMode::ContentMd5, _, Some(e)) => {
            let local = hex::encode(base64_decode(md5.as_deref().unwrap_or("")));
            if e.trim_matches('"') == local {
                Verification::Md5
            } else {
                Verification::SizeOnly
            }
        }
        // The store checked the header we sent (or it would have refused the PUT).
        _ => Verification::SizeOnly,
    };
    Ok(Outcome::Landed(Landed {
        key: row.key.clone(),
        size,
        etag,
        checksum: crc.map(checksum::encode),
        verification,
        bytes_sent: size,
        bytes_resent: 0,
    }))
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .unwrap_or_default()
}
