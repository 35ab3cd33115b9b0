//! One upload, start to verified: conflict check, single PUT or multipart, resume
//! against ListParts, retries per request, verification after completion.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::checksum;
use crate::engine::EngineSettings;
use crate::error::{HoistError, Result};
use crate::events::{EngineEvent, EventSender, ItemProgress, ProgressBoard, Verification};
use crate::journal::{ConflictPolicy, PartRecord, UploadId, UploadJournal, UploadRow};
use crate::plan::{PartPlan, UploadPlan};
use crate::retry::with_retry;
use crate::source::{FileIdentity, read_at};
use crate::store::{BodyChecksum, ListedPart, S3Store};
use crate::target::ChecksumMode;

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
    pub store: S3Store,
    pub stop: CancellationToken,
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

pub(crate) async fn run(ctx: WorkerCtx, id: UploadId) -> Outcome {
    let result = run_inner(&ctx, id).await;
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

fn emit(ctx: &WorkerCtx, e: EngineEvent) {
    let _ = ctx.events.send(e);
}

async fn journal_call<T: Send + 'static>(
    ctx: &WorkerCtx,
    f: impl FnOnce(&UploadJournal) -> Result<T> + Send + 'static,
) -> Result<T> {
    let j = ctx.journal.clone();
    tokio::task::spawn_blocking(move || f(&j))
        .await
        .expect("journal task panicked")
}

async fn run_inner(ctx: &WorkerCtx, id: UploadId) -> Result<Outcome> {
    let mut restarts = 0;
    loop {
        let row = ctx.journal.upload(id)?.ok_or_else(|| {
            HoistError::InvalidInput(format!("upload {id} is not in the journal"))
        })?;
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
enum Flow {
    Fail(HoistError),
    Restart(String),
}

impl From<HoistError> for Flow {
    fn from(e: HoistError) -> Flow {
        Flow::Fail(e)
    }
}

async fn attempt(ctx: &WorkerCtx, mut row: UploadRow) -> std::result::Result<Outcome, Flow> {
    let identity = FileIdentity::of(&row.path)?;
    retried(ctx, row.id, || ctx.store.check_bucket()).await?;

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
        match resolve_conflict(ctx, &row).await? {
            Some(key) if key != row.key => {
                ctx.journal.set_key(row.id, &key)?;
                row.key = key;
            }
            Some(_) => {}
            None => {
                return Ok(Outcome::Skipped {
                    key: row.key.clone(),
                    reason: "an object with this key already exists (conflict policy: skip)".into(),
                });
            }
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
        UploadPlan::Single { size } => Ok(single_put(ctx, &row, size).await?),
        UploadPlan::Multipart(plan) => multipart(ctx, &row, identity, plan).await,
    }
}

/// `Some(key)` to upload to, `None` to skip.
async fn resolve_conflict(ctx: &WorkerCtx, row: &UploadRow) -> Result<Option<String>> {
    let head = |key: String| {
        let store = ctx.store.clone();
        async move { store.head(&key).await }
    };
    match row.conflict {
        ConflictPolicy::Overwrite => Ok(Some(row.key.clone())),
        ConflictPolicy::Skip => {
            let exists = retried(ctx, row.id, || head(row.key.clone()))
                .await?
                .is_some();
            Ok(if exists { None } else { Some(row.key.clone()) })
        }
        ConflictPolicy::Rename => {
            let mut n = 0;
            loop {
                let key = renamed_key(&row.key, n);
                if retried(ctx, row.id, || head(key.clone())).await?.is_none() {
                    return Ok(Some(key));
                }
                n += 1;
                if n > 9999 {
                    return Err(HoistError::InvalidInput(format!(
                        "no free name found for {}",
                        row.key
                    )));
                }
            }
        }
    }
}

/// `photos/cat.jpg` → `photos/cat (1).jpg`.
pub(crate) fn renamed_key(key: &str, n: u32) -> String {
    if n == 0 {
        return key.to_owned();
    }
    let (dir, name) = key
        .rsplit_once('/')
        .map(|(d, n)| (format!("{d}/"), n))
        .unwrap_or((String::new(), key));
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{dir}{stem} ({n}).{ext}"),
        _ => format!("{dir}{name} ({n})"),
    }
}

async fn retried<T, F, Fut>(ctx: &WorkerCtx, id: UploadId, op: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let events = ctx.events.clone();
    with_retry(
        &ctx.settings.retry,
        &ctx.stop,
        |attempt, delay, err| {
            let _ = events.send(EngineEvent::Retrying {
                id,
                attempt,
                delay_ms: delay.as_millis() as u64,
                reason: err.to_string(),
            });
        },
        op,
    )
    .await
}

pub(crate) fn body_checksum(
    mode: ChecksumMode,
    data: &[u8],
) -> (BodyChecksum, Option<u32>, Option<String>) {
    match mode {
        ChecksumMode::Crc32c => {
            let c = checksum::crc32c(data);
            (BodyChecksum::Crc32c(c), Some(c), None)
        }
        ChecksumMode::ContentMd5 => {
            let m = checksum::md5_base64(data);
            (
                BodyChecksum::Md5(m.clone()),
                Some(checksum::crc32c(data)),
                Some(m),
            )
        }
    }
}

/// The memory budget counts KiB, so a budget in bytes fits a semaphore.
pub(crate) fn memory_units(bytes: u64) -> usize {
    bytes.div_ceil(1024).max(1) as usize
}

/// Room for `bytes` in the memory budget, then a slot in the global request pool,
/// unless the upload is being stopped. Dropping the pair gives both back.
async fn acquire(
    ctx: &WorkerCtx,
    bytes: u64,
) -> Result<(OwnedSemaphorePermit, OwnedSemaphorePermit)> {
    // A buffer larger than the whole budget waits for all of it, never for ever.
    let units = memory_units(bytes).min(memory_units(ctx.settings.memory_budget)) as u32;
    let memory = tokio::select! {
        biased;
        _ = ctx.stop.cancelled() => return Err(HoistError::Cancelled),
        p = ctx.memory.clone().acquire_many_owned(units) => p.expect("budget never closes"),
    };
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

async fn read_part(path: PathBuf, offset: u64, len: u64) -> Result<Vec<u8>> {
    tokio::task::spawn_blocking(move || read_at(&path, offset, len))
        .await
        .expect("read task panicked")
}

async fn single_put(ctx: &WorkerCtx, row: &UploadRow, size: u64) -> Result<Outcome> {
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
    let _permits = acquire(ctx, size).await?;
    let data = read_part(row.path.clone(), 0, size).await?;
    let (sum, crc, md5) = body_checksum(row.target.checksum, &data);
    let body = Bytes::from(data);
    let (etag, reported) = retried(ctx, row.id, || {
        ctx.store
            .put_object(&row.key, body.clone(), &sum, &row.content_type)
    })
    .await?;
    progress.done.store(size, Ordering::Relaxed);
    let verification = match (row.target.checksum, &reported, &etag) {
        (ChecksumMode::Crc32c, Some(r), _) => {
            if checksum::decode(r) != crc {
                return Err(HoistError::Integrity(format!(
                    "the store reports CRC32C {r}, the file has {}",
                    checksum::encode(crc.unwrap_or(0))
                )));
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

/// Checks the journal's parts against what the store lists. Keeps journal parts the
/// store has with the same ETag; adopts parts the store has but the journal missed
/// (a crash between the store's answer and the journal write) when their listed
/// CRC32C matches the local bytes; everything else is sent (again).
async fn reconcile(
    ctx: &WorkerCtx,
    row: &UploadRow,
    upload_id: &str,
    plan: &PartPlan,
) -> Result<BTreeMap<u32, PartRecord>> {
    let listed = retried(ctx, row.id, || ctx.store.list_parts(&row.key, upload_id)).await?;
    // A part number may be listed more than once: keep every candidate.
    let mut by_number: HashMap<u32, Vec<ListedPart>> = HashMap::new();
    for p in listed {
        by_number.entry(p.number).or_default().push(p);
    }
    let mut have = BTreeMap::new();
    for part in ctx.journal.parts(row.id)? {
        let expected = plan.range(part.number as u64).1;
        let on_store = by_number.get(&part.number).is_some_and(|c| {
            c.iter()
                .any(|l| l.etag == part.etag && (l.size == 0 || l.size == expected))
        });
        if on_store && part.size == expected {
            have.insert(part.number, part);
        } else {
            ctx.journal.forget_part(row.id, part.number)?;
        }
    }
    for (number, candidates) in by_number {
        if have.contains_key(&number) || number == 0 || number as u64 > plan.part_count {
            continue;
        }
        let (offset, len) = plan.range(number as u64);
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

async fn multipart(
    ctx: &WorkerCtx,
    row: &UploadRow,
    identity: FileIdentity,
    plan: PartPlan,
) -> std::result::Result<Outcome, Flow> {
    let mode = row.target.checksum;
    let (upload_id, have, resumed) = match &row.multipart_id {
        Some(mp) => match reconcile(ctx, row, mp, &plan).await {
            Ok(have) => (mp.clone(), have, true),
            Err(HoistError::NoSuchUpload) => {
                let id = row.id;
                journal_call(ctx, move |j| j.reset_upload(id, &identity)).await?;
                return Err(Flow::Restart(
                    "the store no longer has the unfinished upload".into(),
                ));
            }
            Err(e) => return Err(e.into()),
        },
        None => {
            let mp = retried(ctx, row.id, || {
                ctx.store.create_multipart(
                    &row.key,
                    &row.content_type,
                    mode == ChecksumMode::Crc32c,
                )
            })
            .await?;
            let (id, mp2, ps) = (row.id, mp.clone(), plan.part_size);
            journal_call(ctx, move |j| j.begin_multipart(id, &identity, &mp2, ps)).await?;
            (mp, BTreeMap::new(), false)
        }
    };
    let landed = send_and_complete(ctx, row, identity, plan, upload_id, have, resumed).await?;
    Ok(Outcome::Landed(landed))
}

async fn send_and_complete(
    ctx: &WorkerCtx,
    row: &UploadRow,
    identity: FileIdentity,
    plan: PartPlan,
    upload_id: String,
    mut have: BTreeMap<u32, PartRecord>,
    resumed: bool,
) -> std::result::Result<Landed, Flow> {
    let done_bytes: u64 = have.values().map(|p| p.size).sum();
    let progress = ctx.board.track(row.id, done_bytes, plan.size);
    emit(
        ctx,
        EngineEvent::Started {
            id: row.id,
            key: row.key.clone(),
            size: plan.size,
            parts_total: plan.part_count,
            parts_done: have.len() as u64,
            resumed,
        },
    );

    let missing: Vec<u32> = (1..=plan.part_count as u32)
        .filter(|n| !have.contains_key(n))
        .collect();
    let sent = send_parts(ctx, row, &plan, &upload_id, &missing, &progress).await?;
    for rec in sent.parts {
        have.insert(rec.number, rec);
    }
    if have.len() as u64 != plan.part_count {
        return Err(HoistError::Integrity(format!(
            "{} of {} parts are recorded; the upload will resume",
            have.len(),
            plan.part_count
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
    let crcs: Vec<(u32, u64)> = parts
        .iter()
        .filter_map(|p| p.crc32c.map(|c| (c, p.size)))
        .collect();
    let composite = checksum::composite(&crcs.iter().map(|c| c.0).collect::<Vec<_>>());
    let completed = retried(ctx, row.id, || {
        ctx.store.complete(&row.key, &upload_id, &parts)
    })
    .await;
    let etag = match completed {
        Ok(e) => e,
        // A retried Complete whose first attempt succeeded finds the upload gone:
        // the object itself decides (verified below).
        Err(HoistError::NoSuchUpload) => None,
        Err(e) => return Err(e.into()),
    };

    let info = retried(ctx, row.id, || ctx.store.head(&row.key))
        .await?
        .ok_or_else(|| {
            HoistError::Integrity("the object is missing right after its upload completed".into())
        })?;
    if info.size != plan.size {
        return Err(HoistError::Integrity(format!(
            "the store holds {} bytes, the file has {}",
            info.size, plan.size
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
        size: plan.size,
        etag: etag.or(info.etag),
        checksum: if crcs.len() == parts.len() {
            Some(info.crc32c.unwrap_or(composite))
        } else {
            None
        },
        verification,
        bytes_sent: sent.bytes_sent,
        bytes_resent: sent.bytes_resent,
    })
}

/// Sends `missing` parts through the global request pool. Memory stays within the
/// budget: a part is read only once it holds room in the budget and a request slot.
async fn send_parts(
    ctx: &WorkerCtx,
    row: &UploadRow,
    plan: &PartPlan,
    upload_id: &str,
    missing: &[u32],
    progress: &Arc<ItemProgress>,
) -> Result<SentParts> {
    let stop = ctx.stop.child_token();
    let mut set = JoinSet::new();
    for &number in missing {
        let part_ctx = WorkerCtx {
            stop: stop.clone(),
            ..ctx.clone()
        };
        let (path, key, upload_id, mode, id) = (
            row.path.clone(),
            row.key.clone(),
            upload_id.to_owned(),
            row.target.checksum,
            row.id,
        );
        let (offset, len) = plan.range(number as u64);
        let progress = progress.clone();
        set.spawn(async move {
            let ctx = part_ctx;
            let _permits = acquire(&ctx, len).await?;
            let data = read_part(path, offset, len).await?;
            let (sum, crc, md5) = body_checksum(mode, &data);
            let body = Bytes::from(data);
            let was_attempted = journal_call(&ctx, move |j| j.mark_attempt(id, number)).await?;
            let etag = retried(&ctx, id, || {
                ctx.store
                    .upload_part(&key, &upload_id, number, body.clone(), &sum)
            })
            .await?;
            let rec = PartRecord {
                number,
                size: len,
                etag,
                crc32c: crc,
                md5,
            };
            let recorded = rec.clone();
            journal_call(&ctx, move |j| j.record_part(id, &recorded)).await?;
            progress.done.fetch_add(len, Ordering::Relaxed);
            emit(
                &ctx,
                EngineEvent::PartDone {
                    id,
                    part: number,
                    size: len,
                },
            );
            Ok::<_, HoistError>((rec, was_attempted))
        });
    }
    let mut done = SentParts::default();
    let mut first_err = None;
    while let Some(joined) = set.join_next().await {
        match joined.expect("part task panicked") {
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
        }
    }
    match first_err {
        Some(e) => Err(e),
        None => Ok(done),
    }
}

/// What `send_parts` sent: the parts as journaled, and the byte counts.
#[derive(Default)]
struct SentParts {
    parts: Vec<PartRecord>,
    bytes_sent: u64,
    bytes_resent: u64,
}

#[cfg(test)]
mod tests {
    use super::renamed_key;

    #[test]
    fn renames_keep_folder_and_extension() {
        assert_eq!(renamed_key("a/cat.jpg", 0), "a/cat.jpg");
        assert_eq!(renamed_key("a/cat.jpg", 2), "a/cat (2).jpg");
        assert_eq!(renamed_key("README", 1), "README (1)");
        assert_eq!(renamed_key("dir.v2/.env", 1), "dir.v2/.env (1)");
    }
}
