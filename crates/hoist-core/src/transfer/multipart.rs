//! A multipart upload: create or resume (the journal's parts checked against
//! ListParts), send the missing parts through the shared request pool and memory
//! budget, complete, and verify the object against what was read.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::task::{JoinHandle, JoinSet};

use super::engine::live_everywhere;
use super::inflight::InFlightControl;
use super::landed::already_complete;
use super::plan::{PartCuts, PartPlan};
use super::progress::ItemProgress;
use super::records::UploadRow;
use super::source::FileIdentity;
use super::upload::{
    FirstPass, Flow, Landed, Outcome, STREAMED_MEMORY, WorkerCtx, acquire, emit, first_pass,
    journal_call, memory_room, pooled, read_part, retried, streamed, streamed_checksum,
};
use crate::error::{HoistError, Result};
use crate::events::{EngineEvent, FinishStep, Verification};
use crate::s3::body::READ;
use crate::s3::checksum;
use crate::s3::{BodyChecksum, ChecksumMode, ListedPart, PartData, PartRecord};

/// Checks the journal's parts against what the store lists. Keeps journal parts the
/// store has with the same ETag; adopts parts the store has but the journal missed
/// (a crash between the store's answer and the journal write) when their listed
/// CRC32C matches the local bytes; everything else is sent (again).
async fn reconcile(
    ctx: &WorkerCtx,
    row: &UploadRow,
    upload_id: &str,
    cuts: &PartCuts,
) -> Result<BTreeMap<u32, PartRecord>> {
    let listed = match pooled(ctx, row.id, || ctx.store.list_parts(&row.key, upload_id)).await {
        Ok(listed) => listed,
        // Write-only keys may not list parts. Each journaled part was recorded only
        // after the store acknowledged it with its ETag, so the journal is trusted;
        // a part the store lost makes Complete refuse, never a mixed object.
        Err(HoistError::Auth { .. }) => {
            let mut have = BTreeMap::new();
            let id = row.id;
            for part in journal_call(ctx, move |j| j.parts(id)).await? {
                if cuts.range(part.number).is_some_and(|r| r.1 == part.size) {
                    have.insert(part.number, part);
                }
            }
            return Ok(have);
        }
        Err(e) => return Err(e),
    };
    // A part number may be listed more than once: keep every candidate.
    let mut by_number: HashMap<u32, Vec<ListedPart>> = HashMap::new();
    for p in listed {
        by_number.entry(p.number).or_default().push(p);
    }
    let mut have = BTreeMap::new();
    let id = row.id;
    for part in journal_call(ctx, move |j| j.parts(id)).await? {
        // A part outside the cuts (journaled after one that was lost) is sent again.
        let expected = cuts.range(part.number).map(|r| r.1);
        let on_store = expected.is_some_and(|expected| {
            by_number.get(&part.number).is_some_and(|c| {
                c.iter()
                    .any(|l| l.etag == part.etag && (l.size == 0 || l.size == expected))
            })
        });
        if on_store && Some(part.size) == expected {
            have.insert(part.number, part);
        } else {
            let number = part.number;
            journal_call(ctx, move |j| j.forget_part(id, number)).await?;
        }
    }
    for (number, candidates) in by_number {
        if have.contains_key(&number) {
            continue;
        }
        let Some((offset, len)) = cuts.range(number) else {
            continue;
        };
        let Some(found) = candidates
            .iter()
            .rev()
            .find(|l| l.size == len && l.crc32c.is_some())
        else {
            continue;
        };
        if row.target.checksum == ChecksumMode::ContentMd5 {
            continue; // the journal needs the part's MD5, which only a re-read could give; send it.
        }
        let data = read_part(row.path.clone(), offset, len).await?;
        if Some(checksum::crc32c(&data)) == found.crc32c {
            let rec = PartRecord {
                number,
                size: len,
                etag: found.etag.clone(),
                crc32c: found.crc32c,
                md5: None,
            };
            let (id, recorded) = (row.id, rec.clone());
            journal_call(ctx, move |j| j.record_part(id, &recorded)).await?;
            have.insert(number, rec);
        }
    }
    Ok(have)
}

pub(super) async fn multipart(
    ctx: &WorkerCtx,
    row: &UploadRow,
    identity: FileIdentity,
    plan: PartPlan,
) -> std::result::Result<Outcome, Flow> {
    let mode = row.target.checksum;
    let (upload_id, cuts, have, resumed) = match &row.multipart_id {
        Some(mp) => {
            let cuts = journaled_cuts(ctx, row, &plan).await?;
            match reconcile(ctx, row, mp, &cuts).await {
                Ok(have) => (mp.clone(), cuts, have, true),
                Err(HoistError::NoSuchUpload) => {
                    if let Some(landed) = already_complete(ctx, row, &cuts).await? {
                        return Ok(Outcome::Landed(landed));
                    }
                    let id = row.id;
                    journal_call(ctx, move |j| j.reset_upload(id, &identity)).await?;
                    return Err(Flow::Restart(
                        "the store no longer has the unfinished upload".into(),
                    ));
                }
                Err(e) => return Err(e.into()),
            }
        }
        None => {
            let began_ms = crate::journal::now_ms();
            let mut attempts = 0;
            let options = row.object_options();
            let mp = pooled(ctx, row.id, || {
                attempts += 1;
                ctx.store.create_multipart(&row.key, &options, mode)
            })
            .await?;
            let (id, mp2, ps) = (row.id, mp.clone(), plan.part_size);
            journal_call(ctx, move |j| j.begin_multipart(id, &identity, &mp2, ps)).await?;
            if attempts > 1 {
                abort_lost_creates(ctx, row, &mp, began_ms).await;
            }
            (mp, PartCuts::new(&plan), BTreeMap::new(), false)
        }
    };
    let landed = send_and_complete(ctx, row, identity, cuts, upload_id, have, resumed).await?;
    Ok(Outcome::Landed(landed))
}

/// Where a resumed upload's parts lie: as journaled when each was sent, or, for an
/// upload journaled before parts could grow, every part of the upload's part size.
async fn journaled_cuts(ctx: &WorkerCtx, row: &UploadRow, plan: &PartPlan) -> Result<PartCuts> {
    let id = row.id;
    Ok(match journal_call(ctx, move |j| j.part_cuts(id)).await? {
        // Parts recorded without any cut were sent before cuts were journaled.
        Some(cuts) if !cuts.is_empty() || row.parts_done == 0 => PartCuts::resumed(plan, &cuts),
        _ => PartCuts::fixed(plan),
    })
}

/// A Create whose answer was lost (a timeout or reset after the request went out) may
/// still have made an upload on the store, and its retry made another: nobody would
/// ever complete or abort the first. Uploads of this key begun since this Create began,
/// other than ours and not meant to be finished by any Hoist journal on this machine,
/// are aborted. Best effort: keys that may not list uploads (write-only) leave them
/// to `hoist abort-orphans`.
async fn abort_lost_creates(ctx: &WorkerCtx, row: &UploadRow, ours: &str, began_ms: i64) {
    // The store's clock is not ours, and S3 reports whole seconds.
    const SKEW_MS: i64 = 5_000;
    let listed = match pooled(ctx, row.id, || ctx.store.uploads_of(&row.key)).await {
        Ok(listed) => listed,
        Err(e) => {
            tracing::warn!(
                "cannot look for a lost multipart upload of {}: {e}",
                row.key
            );
            return;
        }
    };
    let lost: Vec<_> = listed
        .into_iter()
        .filter(|u| u.upload_id != ours && u.initiated_ms.is_some_and(|t| t >= began_ms - SKEW_MS))
        .collect();
    if lost.is_empty() {
        return;
    }
    let journal = ctx.journal.clone();
    let live = match tokio::task::spawn_blocking(move || live_everywhere(&journal)).await {
        Ok(Ok(live)) => live,
        Ok(Err(e)) => {
            tracing::warn!("lost multipart uploads of {} are kept: {e}", row.key);
            return;
        }
        Err(_) => return,
    };
    for u in lost.iter().filter(|u| !live.contains(&u.upload_id)) {
        if let Err(e) = pooled(ctx, row.id, || ctx.store.abort(&row.key, &u.upload_id)).await {
            tracing::warn!(
                "cannot abort the lost multipart upload {}: {e}",
                u.upload_id
            );
        }
    }
}

async fn send_and_complete(
    ctx: &WorkerCtx,
    row: &UploadRow,
    identity: FileIdentity,
    mut cuts: PartCuts,
    upload_id: String,
    mut have: BTreeMap<u32, PartRecord>,
    resumed: bool,
) -> std::result::Result<Landed, Flow> {
    let done_bytes: u64 = have.values().map(|p| p.size).sum();
    let progress = ctx.board.track(row.id, done_bytes, cuts.size);
    emit(
        ctx,
        EngineEvent::Started {
            id: row.id,
            key: row.key.clone(),
            size: cuts.size,
            parts_total: cuts.estimated_total(),
            parts_done: have.len() as u64,
            resumed,
        },
    );

    // Parts cut before (a resumed upload) and not on the store go first, as cut.
    let again: Vec<u32> = (1..=cuts.count() as u32)
        .filter(|n| !have.contains_key(n))
        .collect();
    let sent = send_parts(ctx, row, &mut cuts, &upload_id, &again, &progress).await?;
    for rec in sent.parts {
        have.insert(rec.number, rec);
    }
    if have.len() as u64 != cuts.count() || !cuts.is_whole() {
        return Err(HoistError::Integrity(format!(
            "{} of {} parts are recorded; the upload will resume",
            have.len(),
            cuts.estimated_total()
        ))
        .into());
    }

    // Never complete an object from bytes of two versions of a file.
    let now = FileIdentity::of(&row.path)?;
    if now != identity {
        ctx.store.abort(&row.key, &upload_id).await?;
        let id = row.id;
        journal_call(ctx, move |j| j.reset_upload(id, &now)).await?;
        return Err(Flow::Restart(
            "the file changed while it was uploading".into(),
        ));
    }

    let parts: Vec<PartRecord> = have.into_values().collect();
    complete_and_verify(
        ctx,
        row,
        &upload_id,
        parts,
        cuts.size,
        (sent.bytes_sent, sent.bytes_resent),
        "the file has",
    )
    .await
}

/// Completes the multipart upload `upload_id` from `parts` (in part order) and checks
/// the object against them: its size, then the composite CRC32C or the multipart ETag.
/// File uploads and fetches end here alike; `source` says where `size` bytes came from
/// in a size error ("the file has"). `sent` is (bytes sent, bytes sent again).
pub(super) async fn complete_and_verify(
    ctx: &WorkerCtx,
    row: &UploadRow,
    upload_id: &str,
    parts: Vec<PartRecord>,
    size: u64,
    sent: (u64, u64),
    source: &str,
) -> std::result::Result<Landed, Flow> {
    let crcs: Vec<(u32, u64)> = parts
        .iter()
        .filter_map(|p| p.crc32c.map(|c| (c, p.size)))
        .collect();
    let composite = checksum::composite(&crcs.iter().map(|c| c.0).collect::<Vec<_>>());
    let finishing = |step| emit(ctx, EngineEvent::Finishing { id: row.id, step });
    finishing(FinishStep::Completing);
    // The mode the upload was created with: the journal keeps it in the row's target,
    // so a resumed upload completes as it began.
    let completed = pooled(ctx, row.id, || {
        ctx.store
            .complete(&row.key, upload_id, &parts, row.target.checksum)
    })
    .await;
    let complete_answered = completed.is_ok();
    let etag = match completed {
        Ok(e) => e,
        // A retried Complete whose first attempt succeeded finds the upload gone:
        // the object itself decides (verified below).
        Err(HoistError::NoSuchUpload) => None,
        Err(e) => return Err(e.into()),
    };

    finishing(FinishStep::Verifying);
    let info = match pooled(ctx, row.id, || ctx.store.head(&row.key)).await {
        // Write-only credentials: the store took the object (Complete answered), but
        // it cannot be read back. That is landed, not verified; no failure, no resend.
        Err(HoistError::Auth { .. }) if complete_answered => {
            return Ok(Landed {
                key: row.key.clone(),
                size,
                etag,
                checksum: (crcs.len() == parts.len()).then_some(composite),
                verification: Verification::NoReadPermission,
                bytes_sent: sent.0,
                bytes_resent: sent.1,
            });
        }
        other => other?,
    }
    .ok_or_else(|| {
        HoistError::Integrity("the object is missing right after its upload completed".into())
    })?;
    if info.size != size {
        return Err(HoistError::Integrity(format!(
            "the store holds {} bytes, {source} {size}",
            info.size
        ))
        .into());
    }
    let verification = match (row.target.checksum, &info.crc32c) {
        (ChecksumMode::Crc32c, Some(reported)) if crcs.len() == parts.len() => {
            if !checksum::matches_parts(reported, &crcs) {
                return Err(HoistError::Integrity(format!(
                    "the store reports CRC32C {reported}, the parts sent give {composite}"
                ))
                .into());
            }
            Verification::Crc32c
        }
        _ => {
            let md5s: Option<Vec<String>> = parts.iter().map(|p| p.md5.clone()).collect();
            let expected = md5s.and_then(|m| checksum::multipart_etag(&m));
            match (expected, info.etag.as_deref().map(|e| e.trim_matches('"'))) {
                (Some(exp), Some(got)) if exp == got => Verification::Md5,
                (Some(exp), Some(got))
                    if got.ends_with(&format!("-{}", parts.len())) && got.len() == exp.len() =>
                {
                    return Err(HoistError::Integrity(format!(
                        "the store's ETag {got} differs from the local {exp}"
                    ))
                    .into());
                }
                _ => Verification::SizeOnly,
            }
        }
    };
    Ok(Landed {
        key: row.key.clone(),
        size,
        etag: etag.or(info.etag),
        checksum: if crcs.len() == parts.len() {
            Some(info.crc32c.unwrap_or(composite))
        } else {
            None
        },
        verification,
        bytes_sent: sent.0,
        bytes_resent: sent.1,
    })
}

/// Sends the parts `again` (cut before, not on the store), then cuts the rest of the
/// file into parts and sends them, through the global request pool. Memory stays
/// within the budget: a part is read only once it holds room in the budget and a
/// request slot. How many are in flight follows the link (`inflight`): parts start in
/// order while fewer than the limit are running, each journaled with its range before
/// it is sent, and later parts grow on a link that sends them quickly.
async fn send_parts(
    ctx: &WorkerCtx,
    row: &UploadRow,
    cuts: &mut PartCuts,
    upload_id: &str,
    again: &[u32],
    progress: &Arc<ItemProgress>,
) -> Result<SentParts> {
    let stop = ctx.stop.child_token();
    let mut set = JoinSet::new();
    // A file's parts wait their turn here, not in the shared pool: the pool's queue
    // holds at most a file's share, so an item added later (a small file, a higher
    // priority) gets a slot as soon as one frees instead of after every part queued.
    let bytes = || progress.done.load(std::sync::atomic::Ordering::Relaxed);
    let control = Arc::new(Mutex::new(InFlightControl::new(
        slots_per_file(ctx.settings.concurrency),
        cuts.base,
        Instant::now(),
        bytes(),
    )));
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut again = again.iter().copied();
    // The next new part, cut and its first pass read while the parts before it are
    // sent: a part that ends starts its successor at once. Without it, two parts that
    // end together (cut together, at one size) left the link idle while both next
    // parts were read for their checksums (traced on SeaweedFS: ~0.25 s at 0 MB/s).
    let mut ahead: Option<AheadPart> = None;
    let mut all_started = false;
    let mut done = SentParts::default();
    let mut first_err = None;
    loop {
        let limit = control.lock().unwrap_or_else(|p| p.into_inner()).limit();
        while first_err.is_none() && set.len() < limit {
            let next = match again.next() {
                Some(number) => cuts.range(number).map(|r| (number, r, None)),
                None => match ahead.take() {
                    Some(a) => Some((a.number, a.range, Some(a.first_pass))),
                    None => cut_next(ctx, cuts, &control).map(|(n, r)| (n, r, None)),
                },
            };
            let Some((number, range, first_pass)) = next else {
                all_started = true;
                break;
            };
            // The cut is journaled before any of its bytes go: a resumed upload must
            // send this part number with exactly these bytes.
            let id = row.id;
            let was_attempted =
                match journal_call(ctx, move |j| j.mark_attempt(id, number, range)).await {
                    Ok(was) => was,
                    Err(e) => {
                        stop.cancel();
                        first_err = Some(e);
                        break;
                    }
                };
            let part_ctx = WorkerCtx {
                stop: stop.clone(),
                ..ctx.clone()
            };
            let part = PartJob {
                number,
                range,
                was_attempted,
                path: row.path.clone(),
                key: row.key.clone(),
                upload_id: upload_id.to_owned(),
                mode: row.target.checksum,
                id: row.id,
                first_pass,
            };
            set.spawn(send_part(part_ctx, part, progress.clone(), control.clone()));
        }
        if ahead.is_none()
            && streamed_checksum(ctx, row.target.checksum).is_none()
            && again.len() == 0
            && !all_started
            && first_err.is_none()
            && !set.is_empty()
        {
            ahead = cut_next(ctx, cuts, &control).map(|(number, range)| {
                let (path, mode) = (row.path.clone(), row.target.checksum);
                let pass_ctx = WorkerCtx {
                    stop: stop.clone(),
                    ..ctx.clone()
                };
                AheadPart {
                    number,
                    range,
                    first_pass: tokio::spawn(async move {
                        // Its read buffer counts against the memory budget like any other.
                        let _buffer = memory_room(&pass_ctx, READ).await?;
                        first_pass(path, range, mode).await
                    }),
                }
            });
        }
        let in_flight = set.len() as u32;
        progress
            .parts_in_flight
            .store(in_flight, std::sync::atomic::Ordering::Relaxed);
        if set.is_empty() {
            break;
        }
        tokio::select! {
            joined = set.join_next() => match joined.expect("never empty here").expect("part task panicked") {
                Ok((rec, was_attempted)) => {
                    done.bytes_sent += rec.size;
                    if was_attempted {
                        done.bytes_resent += rec.size;
                    }
                    done.parts.push(rec);
                }
                Err(e) => {
                    stop.cancel();
                    if first_err.is_none() || matches!(first_err, Some(HoistError::Cancelled)) {
                        first_err = Some(e);
                    }
                }
            },
            _ = tick.tick() => {
                control
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .observe(Instant::now(), bytes());
            }
        }
    }
    progress
        .parts_in_flight
        .store(0, std::sync::atomic::Ordering::Relaxed);
    match first_err {
        Some(e) => Err(e),
        None if !all_started => Err(HoistError::Cancelled),
        None => Ok(done),
    }
}

/// The next part cut while the parts before it are sent, with its first pass running.
struct AheadPart {
    number: u32,
    range: (u64, u64),
    first_pass: JoinHandle<Result<FirstPass>>,
}

/// Cuts the next new part: grown to what the link sends quickly, or the base size.
fn cut_next(
    ctx: &WorkerCtx,
    cuts: &mut PartCuts,
    control: &Mutex<InFlightControl>,
) -> Option<(u32, (u64, u64))> {
    let wanted = if ctx.settings.grow_parts {
        control
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .part_size_wanted(cuts.base, cuts.largest())
    } else {
        cuts.base
    };
    cuts.next(wanted)
}

/// One part to send, and where it goes.
struct PartJob {
    number: u32,
    range: (u64, u64),
    /// An earlier attempt (in this or a crashed run) had begun sending it.
    was_attempted: bool,
    path: std::path::PathBuf,
    key: String,
    upload_id: String,
    mode: ChecksumMode,
    id: crate::events::UploadId,
    /// Its checksum pass, started before the part's turn came.
    first_pass: Option<JoinHandle<Result<FirstPass>>>,
}

async fn send_part(
    ctx: WorkerCtx,
    part: PartJob,
    progress: Arc<ItemProgress>,
    control: Arc<Mutex<InFlightControl>>,
) -> Result<(PartRecord, bool)> {
    let PartJob {
        number,
        range: (offset, len),
        was_attempted,
        path,
        key,
        upload_id,
        mode,
        id,
        first_pass,
    } = part;
    // A pass read ahead serves the first attempt; one that failed (the file went
    // away) is read again by the attempt, which reports why. Awaited before the
    // part takes its room: the pass holds a buffer of its own until it ends.
    let mut ahead = match first_pass {
        Some(pass) => pass.await.ok().and_then(|r| r.ok()),
        None => None,
    };
    // Streamed from the file: a part in flight holds a chunk or two, not itself.
    let _permits = acquire(&ctx, STREAMED_MEMORY).await?;
    let began = Instant::now();
    let etag = retried(&ctx, id, || {
        let body = streamed(&ctx, &progress, &path, (offset, len), mode, ahead.take());
        let (ctx, key, upload_id, progress, control) =
            (&ctx, &key, &upload_id, &progress, &control);
        async move {
            let (sum, body) = body.await?;
            let md5 = match &sum {
                BodyChecksum::Md5(m) => Some(m.clone()),
                _ => None,
            };
            let sent = ctx
                .store
                .upload_part(key, upload_id, number, body.clone(), &sum)
                .await;
            if sent.is_err() {
                if let PartData::File(f) = &body {
                    f.roll_back();
                }
                // A stall or a reset: fewer parts at once (a pause is no failure).
                if !ctx.stop.is_cancelled() {
                    let bytes = progress.done.load(std::sync::atomic::Ordering::Relaxed);
                    control
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .failed(Instant::now(), bytes);
                }
            }
            // Known once every byte streamed (a trailing checksum) or before.
            let crc = match &body {
                PartData::File(f) => f.crc32c(),
                PartData::Memory(_) => None,
            };
            Ok((sent?, crc, md5))
        }
    });
    // A pause or cancel stops a part mid-transfer, not after it.
    let (etag, crc, md5) = tokio::select! {
        biased;
        _ = ctx.stop.cancelled() => return Err(HoistError::Cancelled),
        r = etag => r?,
    };
    let rec = PartRecord {
        number,
        size: len,
        etag,
        crc32c: crc,
        md5,
    };
    let recorded = rec.clone();
    journal_call(&ctx, move |j| j.record_part(id, &recorded)).await?;
    control.lock().unwrap_or_else(|p| p.into_inner()).part_done(
        Instant::now(),
        len,
        began.elapsed(),
    );
    emit(
        &ctx,
        EngineEvent::PartDone {
            id,
            part: number,
            size: len,
        },
    );
    Ok((rec, was_attempted))
}

/// What `send_parts` sent: the parts as journaled, and the byte counts.
#[derive(Default)]
struct SentParts {
    parts: Vec<PartRecord>,
    bytes_sent: u64,
    bytes_resent: u64,
}

/// Slots one file may hold: most of the pool, never all of it while the pool has
/// more than one, so other items always find one soon.
fn slots_per_file(concurrency: usize) -> usize {
    concurrency.saturating_sub((concurrency / 4).max(1)).max(1)
}
