//! One fetch item, start to verified: resume point (journal checked against
//! ListParts), the origin opened from there with Range (or from the first byte when
//! the server cannot, or the resource changed), parts read into the memory budget and
//! sent through the request pool, each journaled durably, then Complete and HEAD.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use tokio::sync::OwnedSemaphorePermit;
use tokio::task::JoinSet;

use super::FetchSpec;
use crate::error::{HoistError, Result};
use crate::events::{EngineEvent, Verification};
use crate::origin::{self, OriginBody, ResumeFrom};
use crate::s3::checksum::{self, body_checksum};
use crate::s3::{BodyChecksum, ObjectOptions, PartRecord};
use crate::transfer::conflict::apply_conflict;
use crate::transfer::multipart::complete_and_verify;
use crate::transfer::plan::{MAX_PART_SIZE, MAX_PARTS, MIN_PART_SIZE, PartPlan};
use crate::transfer::progress::ItemProgress;
use crate::transfer::records::UploadRow;
use crate::transfer::source::FileIdentity;
use crate::transfer::upload::{
    Flow, Landed, Outcome, WorkerCtx, emit, journal_call, memory_units, pooled,
};

/// Parts being sent while the next one is read from the origin.
const PARTS_IN_FLIGHT: usize = 2;

/// How often an origin is asked again (a dropped connection, a 5xx answer) before the
/// item fails.
const ORIGIN_RETRIES: u32 = 3;

pub(in crate::transfer) async fn fetch(
    ctx: &WorkerCtx,
    row: UploadRow,
    spec: FetchSpec,
) -> std::result::Result<Outcome, Flow> {
    let id = row.id;
    let (mut row, mut spec) = (row, spec);
    let mut tries = 0;
    let result = loop {
        let result = attempt(ctx, row, spec).await;
        // The origin's connection dropped, or it answered 5xx: the stored parts stay,
        // and the body goes on from there (with Range when the server takes it), a few
        // times, then it fails clearly and Retry goes on the same way.
        match &result {
            Err(Flow::Fail(e))
                if e.is_origin_transient()
                    && tries < ORIGIN_RETRIES
                    && !ctx.stop.is_cancelled() =>
            {
                tries += 1;
                let delay = ctx.settings.retry.delay(tries);
                emit(
                    ctx,
                    EngineEvent::Retrying {
                        id,
                        attempt: tries + 1,
                        delay_ms: delay.as_millis() as u64,
                        reason: e.to_string(),
                        code: e.code(),
                        offline: false,
                    },
                );
                tokio::select! {
                    _ = ctx.stop.cancelled() => return Err(HoistError::Cancelled.into()),
                    _ = tokio::time::sleep(delay) => {}
                }
                match journal_call(ctx, move |j| j.upload(id)).await? {
                    Some(r) if r.fetch.is_some() => {
                        spec = r.fetch.clone().expect("checked");
                        row = r;
                    }
                    _ => break result,
                }
            }
            _ => break result,
        }
    };
    if let Err(Flow::Fail(e)) = &result
        && matches!(
            e,
            HoistError::TooLarge { .. } | HoistError::NotAllowedType { .. }
        )
    {
        // A retry cannot help: leave nothing on the store.
        if let Ok(Some(mut row)) = journal_call(ctx, move |j| j.upload(id)).await
            && let Err(e) = start_over(ctx, &mut row, None).await
        {
            tracing::warn!("cleaning up after a refused fetch: {e}");
        }
    }
    result
}

async fn attempt(
    ctx: &WorkerCtx,
    mut row: UploadRow,
    mut spec: FetchSpec,
) -> std::result::Result<Outcome, Flow> {
    pooled(ctx, row.id, || ctx.store.check_bucket()).await?;
    if row.multipart_id.is_none() {
        if let Some(skipped) = apply_conflict(ctx, &mut row).await? {
            return Ok(skipped);
        }
    }

    // What the store still holds of an earlier attempt: full parts from the first on.
    let mut have = Vec::new();
    if let (Some(mp), Some(ps)) = (row.multipart_id.clone(), row.part_size) {
        match stored_prefix(ctx, &row, &mp, ps).await {
            Ok(parts) => have = parts,
            Err(HoistError::NoSuchUpload) => {
                let reason = "the store no longer has the unfinished upload";
                start_over(ctx, &mut row, Some(reason)).await?
            }
            Err(e) => return Err(e.into()),
        }
    }
    let offset: u64 = have.iter().map(|p| p.size).sum();
    let known = row.identity.size;
    let mut body = None;
    if offset == 0 || offset < known || known == 0 {
        let resume = (offset > 0).then(|| ResumeFrom {
            offset,
            validator: spec.validator.clone(),
        });
        let opened = open(ctx, &spec, resume.as_ref()).await?;
        let changed = known > 0 && opened.total.is_some_and(|t| t != known);
        if offset > 0 && (opened.start == 0 || changed) {
            let reason = if changed {
                "the resource's size changed since the fetch began"
            } else if opened.ranges {
                "the resource changed since the fetch began"
            } else {
                "the server cannot resume (no Range support)"
            };
            start_over(ctx, &mut row, Some(reason)).await?;
            have.clear();
            body = Some(if opened.start == 0 {
                opened
            } else {
                open(ctx, &spec, None).await?
            });
        } else {
            body = Some(opened);
        }
    }
    let offset: u64 = have.iter().map(|p| p.size).sum();
    let total = match &body {
        Some(b) => b.total,
        None => Some(known),
    };
    let part_size = match (row.part_size, total) {
        (Some(ps), _) if row.multipart_id.is_some() => ps,
        (_, Some(len)) => PartPlan::new(len, ctx.settings.part_size)?.part_size,
        (_, None) => ctx.settings.part_size.clamp(MIN_PART_SIZE, MAX_PART_SIZE),
    };
    let content_type = if !row.content_type.is_empty() {
        row.content_type.clone()
    } else if let Some(b) = &body {
        b.content_type.clone()
    } else {
        "application/octet-stream".into()
    };
    if let Some(b) = &body {
        spec.validator = b.validator.clone();
        let (id, size, s) = (row.id, total.unwrap_or(0), spec.clone());
        journal_call(ctx, move |j| j.set_fetch_origin(id, size, &s)).await?;
        row.identity.size = total.unwrap_or(0);
    }

    let progress = ctx.board.track(row.id, offset, total.unwrap_or(0));
    emit(
        ctx,
        EngineEvent::Started {
            id: row.id,
            key: row.key.clone(),
            size: total.unwrap_or(0),
            parts_total: total.map_or(0, |t| t.div_ceil(part_size).max(1)),
            parts_done: have.len() as u64,
            resumed: offset > 0,
        },
    );
    let options = ObjectOptions {
        content_type: Some(content_type),
        ..row.options.clone()
    };
    let mut sender = Sender {
        ctx: ctx.clone(),
        row: row.clone(),
        options,
        part_size,
        set: JoinSet::new(),
        sent: 0,
    };
    if let Some(mut body) = body {
        let first = have.is_empty() && row.multipart_id.is_none();
        match sender
            .stream(&mut body, &progress, have.len() as u32 + 1, first)
            .await
        {
            Ok(Streamed::Single(landed)) => return Ok(Outcome::Landed(landed)),
            Ok(Streamed::Parts(parts)) => have.extend(parts),
            Err(e) => {
                // The origin dropped: the parts already read are good, so they land
                // (and are journaled) and a retry goes on after them. Otherwise stop.
                if !matches!(e, HoistError::Network(_)) || ctx.stop.is_cancelled() {
                    sender.set.abort_all();
                }
                while sender.set.join_next().await.is_some() {}
                return Err(e.into());
            }
        }
    }
    let row = sender.row.clone();
    let landed = complete(ctx, &row, have, offset + sender.sent, sender.sent).await?;
    Ok(Outcome::Landed(landed))
}

/// Opens the origin, unless the upload is being stopped.
async fn open(
    ctx: &WorkerCtx,
    spec: &FetchSpec,
    resume: Option<&ResumeFrom>,
) -> Result<OriginBody> {
    let client = origin::client(ctx.settings.stall_timeout)?;
    tokio::select! {
        biased;
        _ = ctx.stop.cancelled() => Err(HoistError::Cancelled),
        b = origin::open(&client, &spec.url, &spec.limits, resume) => b,
    }
}

/// Aborts the earlier multipart upload (if any) and forgets it and its parts.
async fn start_over(ctx: &WorkerCtx, row: &mut UploadRow, reason: Option<&str>) -> Result<()> {
    if let Some(mp) = row.multipart_id.take()
        && let Err(e) = pooled(ctx, row.id, || ctx.store.abort(&row.key, &mp)).await
    {
        tracing::warn!("could not abort the earlier upload of {}: {e}", row.key);
    }
    let (id, identity) = (row.id, row.identity.clone());
    journal_call(ctx, move |j| j.reset_upload(id, &identity)).await?;
    row.part_size = None;
    if let Some(reason) = reason {
        emit(
            ctx,
            EngineEvent::Restarted {
                id: row.id,
                reason: format!("{reason}: starting over from the first byte"),
            },
        );
    }
    Ok(())
}

/// The journal's parts the store still lists, from part 1 on without a gap (a body
/// is read in order, so only those let the origin continue where they end); the
/// others are forgotten and sent again.
async fn stored_prefix(
    ctx: &WorkerCtx,
    row: &UploadRow,
    upload_id: &str,
    part_size: u64,
) -> Result<Vec<PartRecord>> {
    let listed = match pooled(ctx, row.id, || ctx.store.list_parts(&row.key, upload_id)).await {
        Ok(l) => Some(l),
        // Write-only keys: each journaled part was recorded after the store took it.
        Err(HoistError::Auth { .. }) => None,
        Err(e) => return Err(e),
    };
    let id = row.id;
    let journaled = journal_call(ctx, move |j| j.parts(id)).await?;
    let mut keep = Vec::new();
    for p in &journaled {
        let expected = keep.len() as u32 + 1;
        // A part number may be listed twice (SeaweedFS): any match will do.
        let on_store = listed
            .as_ref()
            .is_none_or(|l| l.iter().any(|x| x.number == p.number && x.etag == p.etag));
        if p.number != expected || p.size != part_size || !on_store {
            break;
        }
        keep.push(p.clone());
    }
    for p in journaled.iter().skip(keep.len()) {
        let number = p.number;
        journal_call(ctx, move |j| j.forget_part(id, number)).await?;
    }
    Ok(keep)
}

enum Streamed {
    /// The whole body fitted one part: sent as a single PUT.
    Single(Landed),
    Parts(Vec<PartRecord>),
}

struct Sender {
    ctx: WorkerCtx,
    row: UploadRow,
    options: ObjectOptions,
    part_size: u64,
    set: JoinSet<Result<PartRecord>>,
    /// Body bytes the store took in this session.
    sent: u64,
}

impl Sender {
    /// Reads the body part by part (each within the memory budget) and sends it.
    async fn stream(
        &mut self,
        body: &mut OriginBody,
        progress: &Arc<ItemProgress>,
        mut number: u32,
        first: bool,
    ) -> Result<Streamed> {
        let mut done = Vec::new();
        loop {
            let memory = self.memory().await?;
            let (done_bytes, limit) = (progress.done.clone(), self.ctx.limit.clone());
            // The engine's bandwidth cap holds the origin's reads: every byte read is
            // sent on, so the upload keeps that pace too.
            let data = tokio::select! {
                biased;
                _ = self.ctx.stop.cancelled() => return Err(HoistError::Cancelled),
                d = body.read_part(self.part_size, |n| {
                    done_bytes.fetch_add(n, Ordering::Relaxed);
                    limit.take(n)
                }) => d?,
            };
            let last = (data.len() as u64) < self.part_size;
            if first && number == 1 && last {
                return self.single_put(data).await.map(Streamed::Single);
            }
            if !data.is_empty() {
                if number as u64 > MAX_PARTS {
                    return Err(HoistError::InvalidInput(format!(
                        "the body needs more than {MAX_PARTS} parts; use a larger part size"
                    )));
                }
                self.ensure_multipart(body.total).await?;
                while self.set.len() >= PARTS_IN_FLIGHT {
                    done.push(self.reap().await?);
                }
                progress
                    .parts_in_flight
                    .store(self.set.len() as u32 + 1, Ordering::Relaxed);
                self.spawn_part(number, data, memory);
                number += 1;
            }
            if last {
                break;
            }
        }
        while !self.set.is_empty() {
            done.push(self.reap().await?);
        }
        progress.parts_in_flight.store(0, Ordering::Relaxed);
        Ok(Streamed::Parts(done))
    }

    async fn memory(&self) -> Result<OwnedSemaphorePermit> {
        let ctx = &self.ctx;
        let units = memory_units(self.part_size).min(memory_units(ctx.settings.memory_budget));
        tokio::select! {
            biased;
            _ = ctx.stop.cancelled() => Err(HoistError::Cancelled),
            p = ctx.memory.clone().acquire_many_owned(units as u32) => Ok(p.expect("budget never closes")),
        }
    }

    async fn ensure_multipart(&mut self, total: Option<u64>) -> Result<()> {
        if self.row.multipart_id.is_some() {
            return Ok(());
        }
        let (ctx, row) = (&self.ctx, &self.row);
        let mp = pooled(ctx, row.id, || {
            ctx.store
                .create_multipart(&row.key, &self.options, row.target.checksum)
        })
        .await?;
        let identity = FileIdentity {
            size: total.unwrap_or(0),
            mtime_ns: 0,
            inode: 0,
        };
        let (id, mp2, ps) = (row.id, mp.clone(), self.part_size);
        journal_call(ctx, move |j| j.begin_multipart(id, &identity, &mp2, ps)).await?;
        self.row.multipart_id = Some(mp);
        self.row.part_size = Some(self.part_size);
        Ok(())
    }

    fn spawn_part(&mut self, number: u32, data: Bytes, memory: OwnedSemaphorePermit) {
        let ctx = self.ctx.clone();
        let (id, key, mode) = (self.row.id, self.row.key.clone(), self.row.target.checksum);
        let upload_id = self.row.multipart_id.clone().expect("created first");
        self.set.spawn(async move {
            let _memory = memory;
            let size = data.len() as u64;
            let (sum, crc, md5) = body_checksum(mode, &data);
            let etag = pooled(&ctx, id, || {
                ctx.store
                    .upload_part(&key, &upload_id, number, data.clone().into(), &sum)
            })
            .await?;
            let rec = PartRecord {
                number,
                size,
                etag,
                crc32c: crc,
                md5,
            };
            let recorded = rec.clone();
            journal_call(&ctx, move |j| j.record_part(id, &recorded)).await?;
            emit(
                &ctx,
                EngineEvent::PartDone {
                    id,
                    part: number,
                    size,
                },
            );
            Ok(rec)
        });
    }

    async fn reap(&mut self) -> Result<PartRecord> {
        let joined = self.set.join_next().await.expect("a part is in flight");
        let part = joined.map_err(|e| {
            HoistError::Network(format!("a part upload stopped unexpectedly: {e}"))
        })??;
        self.sent += part.size;
        Ok(part)
    }

    async fn single_put(&mut self, data: Bytes) -> Result<Landed> {
        let (ctx, row) = (&self.ctx, &self.row);
        let size = data.len() as u64;
        let (sum, crc, md5) = body_checksum(row.target.checksum, &data);
        let (etag, reported) = pooled(ctx, row.id, || {
            ctx.store
                .put_object(&row.key, data.clone().into(), &sum, &self.options)
        })
        .await?;
        self.sent = size;
        let verification = match (&reported, crc, &etag, &md5) {
            (Some(r), Some(c), _, _) => {
                if checksum::decode(r) != Some(c) {
                    return Err(HoistError::Integrity(format!(
                        "the store reports CRC32C {r}, the body had {}",
                        checksum::encode(c)
                    )));
                }
                Verification::Crc32c
            }
            (_, _, Some(e), Some(m)) if matches!(sum, BodyChecksum::Md5(_)) => {
                if e.trim_matches('"') == hex::encode(base64_decode(m)) {
                    Verification::Md5
                } else {
                    Verification::SizeOnly
                }
            }
            _ => Verification::SizeOnly,
        };
        Ok(Landed {
            key: row.key.clone(),
            size,
            etag,
            checksum: crc.map(checksum::encode),
            verification,
            bytes_sent: size,
            bytes_resent: 0,
        })
    }
}

/// Completes the multipart upload and checks the object against the parts sent (as a
/// file upload's are checked).
async fn complete(
    ctx: &WorkerCtx,
    row: &UploadRow,
    mut parts: Vec<PartRecord>,
    size: u64,
    sent: u64,
) -> std::result::Result<Landed, Flow> {
    let upload_id = row
        .multipart_id
        .clone()
        .ok_or_else(|| HoistError::Integrity("no parts were sent".into()))?;
    parts.sort_by_key(|p| p.number);
    complete_and_verify(
        ctx,
        row,
        &upload_id,
        parts,
        size,
        (sent, 0),
        "the source gave",
    )
    .await
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .unwrap_or_default()
}
