//! A watch's upload work: taking walk results, picking settled files, checksumming
//! them in bounded background batches, handing changed ones to the engine, and
//! retrying refused ones with backoff.

use std::time::{Duration, Instant};

use super::WatchSettings;
use super::actor::Actor;
use super::runtime::{Hashed, Inflight, Work, apply_walk};
use super::scan;
use super::settle::{Signal, Verdict};
use super::store::FileRecord;
use crate::error::HoistError;
use crate::events::{UploadId, WatchId, WatchPhase};
use crate::transfer::source::FileIdentity;
use crate::transfer::{AddOptions, ConflictPolicy, KeyedFile, UploadState};

/// Checksum batches running at once (across watches): the rest of the machine, and
/// the uploads, keep their share of the disk and CPU.
const HASH_TASKS: usize = 2;
/// A batch also ends at this many bytes, so one batch of large files does not hold
/// back the small ones behind it for long.
const HASH_BATCH_BYTES: u64 = 256 * 1024 * 1024;
/// Refused files looked at per tick.
const RETRIES_PER_TICK: usize = 64;

impl Actor {
    pub(super) async fn on_work(&mut self, work: Work) {
        match work {
            Work::Scanned {
                id,
                generation,
                full,
                start,
                result,
            } => {
                let Some(w) = self.watches.get_mut(&id) else {
                    return;
                };
                if w.generation != generation {
                    return;
                }
                let rest = match result {
                    Ok(walk) => apply_walk(w, walk, full, &start),
                    Err(HoistError::Cancelled) => None,
                    // The folder went away mid-scan: the next tick turns this into the
                    // error state.
                    Err(e) => {
                        w.error = Some(e.to_string());
                        None
                    }
                };
                match rest {
                    // The rest on a later turn: commands are answered in between.
                    Some(walk) => {
                        let _ = self.bg.tx.send(Work::Scanned {
                            id,
                            generation,
                            full,
                            start,
                            result: Ok(walk),
                        });
                    }
                    None if full => {
                        w.scanning = false;
                        if w.watcher.is_some() {
                            w.phase = WatchPhase::Watching;
                        }
                    }
                    None => {}
                }
            }
            Work::Hashed {
                id,
                generation,
                results,
            } => {
                self.hash_tasks = self.hash_tasks.saturating_sub(1);
                self.on_hashed(id, generation, results);
                self.dispatch_hashing();
            }
            Work::Queued { id, rels, result } => self.on_queued(id, rels, result),
            Work::Moved {
                id,
                generation,
                results,
            } => self.on_moved(id, generation, results),
            Work::Polled(states) => self.on_polled(states),
            Work::Stored {
                epoch,
                watches,
                decisions,
            } => self.on_stored(epoch, watches, decisions).await,
            Work::NotSaved { id, message } => {
                if let Some(w) = self.watches.get_mut(&id) {
                    w.error = Some(message);
                    // Told again with the next change.
                    w.held_reported = u64::MAX;
                }
            }
        }
    }

    /// Confirms settled files (a fresh look at size + mtime) and puts them in line for
    /// a checksum, a bounded number at a time.
    pub(super) fn settle_ready(&mut self, id: WatchId) {
        let Some(w) = self.watches.get_mut(&id) else {
            return;
        };
        let room = (self.settings.hash_batch * 4).saturating_sub(w.to_hash.len());
        if room == 0 || w.settler.is_empty() {
            return;
        }
        let now = Instant::now();
        for rel in w.settler.due(now, room) {
            let path = w.cfg.root.join(&rel);
            let look = std::fs::symlink_metadata(&path)
                .ok()
                .filter(|m| m.is_file())
                .map(|m| FileIdentity::from_metadata(&m));
            if let Verdict::Ready(identity) = w.settler.confirm(&rel, look, now) {
                if w.inflight.contains_key(&rel) || w.hashing.contains(&rel) {
                    w.recheck.insert(rel);
                } else if w.queued.insert(rel.clone()) {
                    w.to_hash.push_back((rel, identity.size));
                }
            }
        }
    }

    /// Starts checksum batches while there is room: uploads begin after the first
    /// batch while a large catch-up goes on.
    pub(super) fn dispatch_hashing(&mut self) {
        while self.hash_tasks < HASH_TASKS {
            let Some(w) = self.watches.values_mut().find(|w| !w.to_hash.is_empty()) else {
                return;
            };
            let mut batch = Vec::new();
            let mut bytes = 0u64;
            while let Some((rel, size)) = w.to_hash.front().cloned() {
                if !batch.is_empty()
                    && (batch.len() >= self.settings.hash_batch || bytes + size > HASH_BATCH_BYTES)
                {
                    break;
                }
                w.to_hash.pop_front();
                w.queued.remove(&rel);
                w.hashing.insert(rel.clone());
                bytes += size;
                batch.push(rel);
            }
            self.hash_tasks += 1;
            let (id, generation, root) = (w.cfg.id, w.generation, w.cfg.root.clone());
            let bg = self.bg.clone();
            tokio::task::spawn_blocking(move || {
                let mut results = Vec::with_capacity(batch.len());
                let mut mounts = std::collections::HashMap::new();
                for rel in batch {
                    let r = scan::hash_file(&root.join(&rel), &bg.cancel);
                    let stop = matches!(r, Err(HoistError::Cancelled));
                    // The file's mount point, once per folder.
                    let folder = parent(&rel).to_owned();
                    let mount = mounts
                        .entry(folder)
                        .or_insert_with_key(|f| scan::mount_of(&root, f).unwrap_or_default())
                        .clone();
                    results.push(Hashed {
                        rel,
                        result: r,
                        mount,
                    });
                    if stop {
                        break;
                    }
                }
                let _ = bg.tx.send(Work::Hashed {
                    id,
                    generation,
                    results,
                });
            });
        }
    }

    /// Queues the checksummed files whose content is not in the bucket yet.
    fn on_hashed(&mut self, id: WatchId, generation: u64, results: Vec<Hashed>) {
        let Some(w) = self.watches.get_mut(&id) else {
            return;
        };
        for h in &results {
            w.hashing.remove(&h.rel);
        }
        if w.generation != generation {
            return;
        }
        let mut files = Vec::new();
        let mut records = Vec::new();
        for Hashed { rel, result, mount } in results {
            match result {
                Ok(Some(h)) => {
                    let (crc, identity) = (h.crc32c, h.identity);
                    let key = w.cfg.key_for(&rel);
                    let rec = FileRecord {
                        key: key.clone(),
                        size: identity.size,
                        mtime_ns: identity.mtime_ns,
                        inode: identity.inode,
                        crc32c: crc,
                        hashed_at_ns: h.hashed_at_ns,
                        ctime_ns: h.ctime_ns,
                        synced: false,
                        upload: None,
                        mount,
                        attempts: 0,
                        retry_at_ms: None,
                    };
                    if let Some(old) = w.records.get_mut(&rel)
                        && old.crc32c == crc
                        && old.size == identity.size
                        && old.key == key
                    {
                        // Same bytes (touched, or copied back): remember the new
                        // metadata, upload nothing.
                        *old = FileRecord {
                            synced: true,
                            upload: old.upload,
                            ..rec
                        };
                        w.unsaved.push((rel.clone(), old.clone()));
                        recheck(w, &rel);
                        continue;
                    }
                    w.cannot_read.remove(&rel);
                    files.push(KeyedFile {
                        path: w.cfg.root.join(&rel),
                        key,
                        identity,
                    });
                    records.push((rel, rec));
                }
                // Changed while read: look again after another quiet period.
                Ok(None) => w.settler.touch(&rel, Signal::Seen, None, Instant::now()),
                Err(HoistError::Cancelled) => {}
                Err(HoistError::LocalFile { reason, .. })
                    if std::fs::symlink_metadata(w.cfg.root.join(&rel)).is_ok() =>
                {
                    // There but unreadable: shown; the next scan tries again.
                    w.cannot_read
                        .insert(rel.clone(), format!("cannot read it: {reason}"));
                    recheck(w, &rel);
                }
                // Gone since it settled: a later event or scan decides.
                Err(e) => {
                    tracing::debug!("watch {id}: {e}");
                    recheck(w, &rel);
                }
            }
        }
        if files.is_empty() {
            return;
        }
        // Queued off the actor (the journal may be busy with the uploads); until then
        // the files count as in progress.
        let rels: Vec<String> = records.iter().map(|(rel, _)| rel.clone()).collect();
        w.hashing.extend(rels.iter().cloned());
        let (engine, tx) = (self.engine.clone(), self.bg.tx.clone());
        let target = w.cfg.target.clone();
        tokio::spawn(async move {
            let options = AddOptions {
                conflict: ConflictPolicy::Overwrite,
                ..AddOptions::default()
            };
            let result = engine
                .add_keyed(files, target, options)
                .await
                .and_then(|ids| {
                    let rows: Vec<(String, FileRecord)> = ids
                        .into_iter()
                        .zip(records)
                        .map(|(upload, (rel, mut rec))| {
                            rec.upload = Some(upload);
                            (rel, rec)
                        })
                        .collect();
                    engine.journal().put_watch_files(id, &rows)?;
                    Ok(rows)
                });
            let _ = tx.send(Work::Queued { id, rels, result });
        });
    }

    /// The engine took the files: they are in flight now.
    pub(super) fn on_queued(
        &mut self,
        id: WatchId,
        rels: Vec<String>,
        result: crate::error::Result<Vec<(String, FileRecord)>>,
    ) {
        let Some(w) = self.watches.get_mut(&id) else {
            return;
        };
        for rel in &rels {
            w.hashing.remove(rel);
        }
        match result {
            Ok(rows) => {
                let mut ids = Vec::with_capacity(rows.len());
                for (rel, rec) in rows {
                    let Some(upload) = rec.upload else { continue };
                    ids.push(upload);
                    self.by_upload.insert(upload, (id, rel.clone()));
                    w.inflight.insert(rel, Inflight { record: rec });
                }
                // Small files can finish before this: ask the journal at once.
                self.poll_uploads(ids);
            }
            Err(e) => {
                w.failures += 1;
                w.error = Some(e.to_string());
                // Tried again by the next reconcile.
                for rel in &rels {
                    w.recheck.remove(rel);
                }
            }
        }
    }

    /// Tries refused files again once their wait is over, with the same queue item;
    /// a file that changed or went away meanwhile gives its queue item up.
    pub(super) async fn retry_failed(&mut self, id: WatchId) {
        let Some(w) = self.watches.get_mut(&id) else {
            return;
        };
        let discard = std::mem::take(&mut w.discard);
        let now_ms = crate::journal::now_ms();
        let due: Vec<(String, FileRecord)> = w
            .failed
            .iter()
            .filter(|(_, r)| r.retry_at_ms.is_none_or(|t| t <= now_ms))
            .take(RETRIES_PER_TICK)
            .map(|(k, r)| (k.clone(), r.clone()))
            .collect();
        let mut again: Vec<(String, FileRecord, UploadId)> = Vec::new();
        for (rel, rec) in due {
            let path = w.cfg.root.join(&rel);
            let look = std::fs::symlink_metadata(&path)
                .ok()
                .filter(|m| m.is_file())
                .map(|m| FileIdentity::from_metadata(&m));
            let unchanged = look.is_some_and(|l| {
                l.size == rec.size && l.mtime_ns == rec.mtime_ns && l.inode == rec.inode
            });
            match rec.upload {
                Some(upload) if unchanged => again.push((rel, rec, upload)),
                _ => {
                    // Changed, gone, or never queued: look at it afresh.
                    w.failed.remove(&rel);
                    w.discard.extend(rec.upload);
                    if look.is_some() {
                        w.settler.touch(&rel, Signal::Seen, look, Instant::now());
                    }
                }
            }
        }
        for up in discard {
            self.give_up(up).await;
        }
        for (rel, rec, upload) in again {
            let r = self.engine.retry_upload(upload).await;
            let Some(w) = self.watches.get_mut(&id) else {
                return;
            };
            match r {
                Ok(true) => {
                    w.failed.remove(&rel);
                    self.by_upload.insert(upload, (id, rel.clone()));
                    w.inflight.insert(rel, Inflight { record: rec });
                }
                // No longer a failed upload (the user retried or removed it).
                Ok(false) => {
                    w.failed.remove(&rel);
                    w.settler.touch(&rel, Signal::Seen, None, Instant::now());
                }
                Err(e) => tracing::warn!("watch {id}: retrying {rel}: {e}"),
            }
        }
    }

    /// Takes a failed upload a newer version replaced out of the queue (and out of the
    /// journal's unfinished ones, when this session's queue does not hold it).
    async fn give_up(&self, upload: UploadId) {
        if self.engine.remove(upload).await.is_err() {
            let j = self.engine.journal();
            if let Ok(Some(row)) = j.upload(upload)
                && row.state == UploadState::Failed
            {
                let _ = j.set_state(
                    upload,
                    UploadState::Cancelled,
                    Some("replaced by a newer version"),
                );
            }
        }
    }
}

/// A file changed while it was read or uploaded: look at it again.
fn recheck(w: &mut super::runtime::WatchRuntime, rel: &str) {
    if w.recheck.remove(rel) && !w.inflight.contains_key(rel) {
        let path = w.cfg.root.join(rel);
        super::runtime::touch(w, &path, Signal::Seen, Instant::now());
    }
}

fn parent(rel: &str) -> &str {
    rel.rsplit_once('/').map_or("", |(p, _)| p)
}

/// How long a refused file waits before its `attempts + 1`th try: doubling from
/// `retry_base`, at most `retry_max`.
pub(super) fn backoff(settings: &WatchSettings, attempts: u32) -> Duration {
    let factor = 1u32 << attempts.saturating_sub(1).min(20);
    settings
        .retry_base
        .saturating_mul(factor)
        .min(settings.retry_max)
}

pub(super) fn words(d: Duration) -> String {
    let s = d.as_secs();
    if s < 60 {
        format!("{s} s")
    } else if s < 3600 {
        format!("{} min", s / 60)
    } else {
        format!("{} h", s / 3600)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_files_wait_longer_each_time_up_to_an_hour() {
        let s = WatchSettings::default();
        let waits: Vec<u64> = (1..=9).map(|n| backoff(&s, n).as_secs()).collect();
        assert_eq!(waits, vec![60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
        assert_eq!(backoff(&s, 1_000).as_secs(), 3600);
        // In 5 minutes: the first try, then at 1 and 3 minutes: 3 tries, not 5.
        let (mut t, mut tries) = (0u64, 1);
        while t + backoff(&s, tries).as_secs() <= 300 {
            t += backoff(&s, tries).as_secs();
            tries += 1;
        }
        assert_eq!(tries, 3);
    }
}
