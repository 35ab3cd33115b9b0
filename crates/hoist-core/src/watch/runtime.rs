//! One watch's live state: its kernel watches, settler, records, uploads in flight,
//! files being checksummed, refused files waiting to retry, pending and held
//! deletions, what cannot be read, and how events and scan results update them.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{Debouncer, RecommendedCache};
use tokio::sync::mpsc;

use super::config::{self, Patterns, WatchConfig};
use super::deletions::DeletionDecision;
use super::scan::{self, DirId, Found, Skip, Walk};
use super::settle::{Settler, Signal};
use super::store::FileRecord;
use crate::error::Result;
use crate::events::{CannotRead, UploadId, WatchId, WatchPhase, WatchStatus};
use crate::transfer::UploadState;
use crate::transfer::source::FileIdentity;

/// How many "cannot read" places a status lists.
const SHOWN_UNREADABLE: usize = 20;

/// Results of work done off the actor (walks, checksums, moves to the trash).
pub(super) enum Work {
    Scanned {
        id: WatchId,
        generation: u64,
        /// The whole folder (a catch-up or reconcile), or one folder inside it.
        full: bool,
        start: String,
        result: Result<Walk>,
    },
    Hashed {
        id: WatchId,
        generation: u64,
        results: Vec<Hashed>,
    },
    /// The engine took (or refused) checksummed files.
    Queued {
        id: WatchId,
        rels: Vec<String>,
        result: Result<Vec<(String, FileRecord)>>,
    },
    Moved {
        id: WatchId,
        generation: u64,
        results: Vec<(String, Moved)>,
    },
    /// How uploads stand in the journal (asked when their events may have been missed).
    Polled(HashMap<UploadId, UploadState>),
    /// The watches as the journal has them (read every few seconds: the CLI may change
    /// them from another process), and deletion answers given there. `epoch` tells a
    /// read that a command's own read overtook.
    Stored {
        epoch: u64,
        watches: Result<Vec<WatchConfig>>,
        decisions: Vec<(WatchId, DeletionDecision, u64)>,
    },
    /// A write of the watch's records failed.
    NotSaved { id: WatchId, message: String },
}

/// One file of a checksum batch: what reading it found, and its mount point.
pub(super) struct Hashed {
    pub(super) rel: String,
    pub(super) result: Result<Option<scan::Hashed>>,
    pub(super) mount: String,
}

/// What became of one deletion candidate.
pub(super) enum Moved {
    /// In the trash now, under this key.
    Trashed,
    /// The object was not in the bucket any more: nothing to move.
    AlreadyGone,
    /// The file is there after all.
    Present,
    CannotRead(CannotRead),
    Failed(String),
}

/// Where background work reports, and the switch that stops it when the watcher quits.
#[derive(Clone)]
pub(super) struct Background {
    pub(super) tx: mpsc::UnboundedSender<Work>,
    pub(super) cancel: Arc<AtomicBool>,
}

/// The kernel watches of one watched folder: one per folder (not notify's recursive
/// mode, which gives up on the whole tree at the first folder it cannot read), set
/// by the walks before they list each folder.
pub(super) struct DirWatcher {
    debouncer: Debouncer<RecommendedWatcher, RecommendedCache>,
    dirs: HashMap<PathBuf, DirId>,
    /// The system's limit on watches was reached: changes below are found by scans.
    pub(super) limit_reached: bool,
}

pub(super) type SharedWatcher = Arc<Mutex<DirWatcher>>;

impl DirWatcher {
    pub(super) fn new(debouncer: Debouncer<RecommendedWatcher, RecommendedCache>) -> DirWatcher {
        DirWatcher {
            debouncer,
            dirs: HashMap::new(),
            limit_reached: false,
        }
    }

    /// Watches `dir` (its direct entries) unless it is watched already as this very
    /// folder (same device and inode: not re-created, nothing mounted over it).
    pub(super) fn ensure(&mut self, dir: &Path, id: DirId) {
        if self.dirs.get(dir) == Some(&id) {
            return;
        }
        if self.dirs.remove(dir).is_some() {
            let _ = self.debouncer.unwatch(dir);
        }
        match self.debouncer.watch(dir, RecursiveMode::NonRecursive) {
            Ok(()) => {
                self.dirs.insert(dir.to_path_buf(), id);
            }
            Err(e) => {
                if matches!(e.kind, notify::ErrorKind::MaxFilesWatch) {
                    self.limit_reached = true;
                }
                // An unreadable folder: the walk reports it when it cannot list it.
                tracing::debug!("watch {}: {e}", dir.display());
            }
        }
    }

    /// Forgets the watches at and under `dir` (moved away or deleted: the kernel
    /// dropped them; a folder made again there gets a new one).
    pub(super) fn forget_under(&mut self, dir: &Path) {
        let gone: Vec<PathBuf> = self
            .dirs
            .keys()
            .filter(|p| p.starts_with(dir))
            .cloned()
            .collect();
        for p in gone {
            self.dirs.remove(&p);
            let _ = self.debouncer.unwatch(&p);
        }
    }
}

pub(super) fn lock(w: &SharedWatcher) -> std::sync::MutexGuard<'_, DirWatcher> {
    w.lock().unwrap_or_else(|p| p.into_inner())
}

/// A file's upload in flight, and the record it becomes once verified.
pub(super) struct Inflight {
    pub(super) record: FileRecord,
}

pub(super) struct WatchRuntime {
    pub(super) cfg: WatchConfig,
    pub(super) patterns: Patterns,
    /// Hoist's own data under the folder: never synced.
    pub(super) skip: Skip,
    pub(super) watcher: Option<SharedWatcher>,
    /// Bumped whenever watching (re)starts: results of older work are dropped.
    pub(super) generation: u64,
    pub(super) bg: Background,
    pub(super) settler: Settler,
    /// What the journal says is in the bucket (synced records only).
    pub(super) records: HashMap<String, FileRecord>,
    pub(super) inflight: HashMap<String, Inflight>,
    /// Changed again while being checksummed or uploaded: looked at again after.
    pub(super) recheck: HashSet<String>,
    /// Settled files waiting for a checksum (with their size), in order.
    pub(super) to_hash: VecDeque<(String, u64)>,
    pub(super) queued: HashSet<String>,
    pub(super) hashing: HashSet<String>,
    /// Files the store refused (their record carries the attempts and next try).
    pub(super) failed: HashMap<String, FileRecord>,
    /// Failed queue items a newer version replaced: taken out of the queue.
    pub(super) discard: Vec<UploadId>,
    /// Local deletions waiting for their grace period (only with `delete_remote`).
    pub(super) deletions: HashMap<String, Instant>,
    /// Deletions the large-deletion guard holds until the user decides.
    pub(super) held: BTreeSet<String>,
    pub(super) held_reported: u64,
    /// The user approved the held deletions: the next round moves them.
    pub(super) approved: bool,
    pub(super) moving: HashSet<String>,
    /// Parts of the folder that cannot be read now (relative path → why).
    pub(super) cannot_read: BTreeMap<String, String>,
    /// Nested mount points the last full scan found.
    pub(super) mounts: BTreeSet<String>,
    /// Records to write to the journal at the next tick (batched).
    pub(super) unsaved: Vec<(String, FileRecord)>,
    pub(super) phase: WatchPhase,
    pub(super) error: Option<String>,
    pub(super) failures: u64,
    pub(super) last_synced_at: Option<i64>,
    pub(super) needs_scan: bool,
    pub(super) scanning: bool,
    pub(super) last_scan: Instant,
    pub(super) next_begin: Instant,
    pub(super) last_emitted: Option<WatchStatus>,
    /// The folder's filesystem when watching began.
    pub(super) root_device: Option<u64>,
}

impl WatchRuntime {
    pub(super) fn status(&self) -> WatchStatus {
        let busy = self.needs_scan && self.phase == WatchPhase::Watching || self.scanning;
        WatchStatus {
            id: self.cfg.id,
            root: self.cfg.root.clone(),
            bucket: self.cfg.bucket.clone(),
            prefix: self.cfg.prefix.clone(),
            enabled: self.cfg.enabled,
            delete_remote: self.cfg.delete_remote,
            profile: self.cfg.profile.clone(),
            include: self.cfg.include.clone(),
            exclude: self.cfg.exclude.clone(),
            phase: self.phase,
            pending: (self.settler.len()
                + self.inflight.len()
                + self.recheck.len()
                + self.to_hash.len()
                + self.hashing.len()) as u64
                + u64::from(busy),
            uploading: self.inflight.len() as u64,
            synced_files: self.records.len() as u64,
            last_synced_at: self.last_synced_at,
            failures: self.failures,
            retrying: self.failed.len() as u64,
            held_deletions: self.held.len() as u64,
            cannot_read: self
                .cannot_read
                .iter()
                .take(SHOWN_UNREADABLE)
                .map(|(path, reason)| CannotRead {
                    path: path.clone(),
                    reason: reason.clone(),
                })
                .collect(),
            error: self.error.clone(),
        }
    }

    pub(super) fn root_present(&self) -> bool {
        std::fs::metadata(&self.cfg.root).is_ok_and(|m| m.is_dir())
    }

    /// The filesystem the folder is on: when it changes (a drive unmounted under a
    /// mount point that stays, or mounted again) the kernel watches are stale.
    pub(super) fn root_device(&self) -> Option<u64> {
        std::fs::metadata(&self.cfg.root)
            .ok()
            .map(|m| scan::dir_id(&m).dev)
    }

    pub(super) fn rel(&self, path: &Path) -> Option<String> {
        config::relative_path(&self.cfg.root, path)
    }

    /// Whether a file at `rel` is one this watch syncs.
    pub(super) fn wanted(&self, rel: &str) -> bool {
        self.patterns.matches(rel) && !self.skip.skips(rel)
    }

    /// Records under `rel` (the file itself or a folder's contents).
    pub(super) fn known_under(&self, rel: &str) -> Vec<String> {
        self.records
            .keys()
            .filter(|k| under(k, rel))
            .cloned()
            .collect()
    }

    /// Whether `rel` is at or under a place that cannot be read now.
    pub(super) fn unreadable_at(&self, rel: &str) -> bool {
        self.cannot_read.keys().any(|c| under(rel, c))
    }

    /// A deletion candidate is back (or was never gone).
    pub(super) fn keep(&mut self, rel: &str) {
        self.deletions.remove(rel);
        self.held.remove(rel);
    }

    /// A failed file changed or went away: its queue item is taken out, and what is
    /// there now is looked at afresh.
    fn drop_failed(&mut self, rel: &str) {
        if let Some(rec) = self.failed.remove(rel)
            && let Some(up) = rec.upload
        {
            self.discard.push(up);
        }
    }

    /// Starts a walk of `dir` (the root for a full scan) off the actor.
    pub(super) fn spawn_walk(&mut self, dir: PathBuf, full: bool) {
        let Some(watcher) = self.watcher.clone() else {
            return;
        };
        if full {
            self.scanning = true;
            self.needs_scan = false;
            self.last_scan = Instant::now();
            self.phase = WatchPhase::Scanning;
        }
        let (id, generation) = (self.cfg.id, self.generation);
        let (root, patterns, skip) = (
            self.cfg.root.clone(),
            self.patterns.clone(),
            self.skip.clone(),
        );
        let bg = self.bg.clone();
        tokio::task::spawn_blocking(move || {
            let start = config::relative_path(&root, &dir).unwrap_or_default();
            let mut on_dir = |p: &Path, d: DirId| lock(&watcher).ensure(p, d);
            let result = scan::walk(&root, &dir, &patterns, &skip, &mut on_dir, &bg.cancel);
            let _ = bg.tx.send(Work::Scanned {
                id,
                generation,
                full,
                start,
                result,
            });
        });
    }
}

/// `path` is `folder` or inside it (`folder` empty = the root: everything).
pub(super) fn under(path: &str, folder: &str) -> bool {
    folder.is_empty()
        || path == folder
        || (path.starts_with(folder) && path.as_bytes().get(folder.len()) == Some(&b'/'))
}

/// Puts a file found by a scan in line to settle unless the journal proves it synced
/// (or it is already on its way, or waiting to retry unchanged).
pub(super) fn consider(w: &mut WatchRuntime, f: Found, now: Instant) {
    let rel = f.rel.as_str();
    w.keep(rel);
    if w.settler.contains(rel) {
        return;
    }
    if let Some(failed) = w.failed.get(rel) {
        if same(failed, &f.identity) {
            return;
        }
        w.drop_failed(rel);
    }
    if w.queued.contains(rel) || w.hashing.contains(rel) {
        w.recheck.insert(rel.to_owned());
        return;
    }
    if let Some(fl) = w.inflight.get(rel) {
        if !same(&fl.record, &f.identity) {
            w.recheck.insert(rel.to_owned());
        }
        return;
    }
    if let Some(r) = w.records.get_mut(rel)
        && scan::unchanged(r, &f.identity, f.ctime_ns)
    {
        if r.mount != f.mount {
            // Synced before its mount point was known (or moved between mounts).
            r.mount = f.mount;
            w.unsaved.push((f.rel.clone(), r.clone()));
        }
        return;
    }
    w.settler.touch(rel, Signal::Seen, Some(f.identity), now);
}

fn same(rec: &FileRecord, id: &FileIdentity) -> bool {
    rec.size == id.size && rec.mtime_ns == id.mtime_ns && rec.inode == id.inode
}

/// A new folder (created, or moved in): inotify may have missed files created in it
/// before its watch was set, so walk it (off the actor).
pub(super) fn scan_folder(w: &mut WatchRuntime, dir: &Path) {
    let Some(rel) = w.rel(dir) else { return };
    if w.patterns.folder_excluded(&rel) || w.skip.skips(&rel) {
        return;
    }
    if let Some(watcher) = &w.watcher {
        // Made again or moved here: set its watches afresh.
        lock(watcher).forget_under(dir);
    }
    w.spawn_walk(dir.to_path_buf(), false);
}

pub(super) fn touch(w: &mut WatchRuntime, path: &Path, signal: Signal, at: Instant) {
    let Some(rel) = w.rel(path) else { return };
    if !w.wanted(&rel) {
        return;
    }
    w.keep(&rel);
    if w.inflight.contains_key(&rel) || w.queued.contains(&rel) || w.hashing.contains(&rel) {
        // Uploading or reading an older version: look again once that ends.
        w.recheck.insert(rel);
        return;
    }
    // Links are not followed (see `scan::walk`): only regular files count.
    let look = std::fs::symlink_metadata(path)
        .ok()
        .filter(|m| m.is_file())
        .map(|m| FileIdentity::from_metadata(&m));
    if signal != Signal::Written && look.is_none() {
        if w.cfg.delete_remote && w.records.contains_key(&rel) {
            // Gone while it was being uploaded (looked at again once that ended).
            w.deletions.entry(rel).or_insert(at);
        }
        return;
    }
    if let Some(failed) = w.failed.get(&rel) {
        if look.is_some_and(|l| same(failed, &l)) {
            return;
        }
        w.drop_failed(&rel);
    }
    w.settler.touch(&rel, signal, look, at);
}

pub(super) fn removed(w: &mut WatchRuntime, path: &Path, at: Instant) {
    let Some(rel) = w.rel(path) else { return };
    if let Some(watcher) = &w.watcher {
        lock(watcher).forget_under(path);
    }
    w.settler.forget(&rel);
    if !w.cfg.delete_remote {
        return;
    }
    // Being read or uploaded: its object may land after this, so look again once the
    // upload ends (then a deletion if it is still gone).
    let busy: Vec<String> = (w.inflight.keys())
        .chain(&w.queued)
        .chain(&w.hashing)
        .filter(|k| under(k, &rel))
        .cloned()
        .collect();
    w.recheck.extend(busy);
    for k in w.known_under(&rel) {
        w.deletions.entry(k).or_insert(at);
    }
}

/// Files of a walk taken per turn of the actor: a large walk is taken in steps, so
/// commands are answered in between.
const FILES_PER_TURN: usize = 4096;

/// Takes the next part of what a walk found: files to settle. With the last part: what
/// cannot be read, the mounts, and (for a full scan) which synced files are missing.
/// Returns the walk with the files still to take, if any.
pub(super) fn apply_walk(
    w: &mut WatchRuntime,
    mut walk: Walk,
    full: bool,
    start: &str,
) -> Option<Walk> {
    let now = Instant::now();
    let part = walk
        .files
        .split_off(walk.files.len().saturating_sub(FILES_PER_TURN));
    for f in part {
        walk.taken.insert(f.rel.clone());
        consider(w, f, now);
    }
    if !walk.files.is_empty() {
        return Some(walk);
    }
    let present = std::mem::take(&mut walk.taken);
    if walk.links_skipped > 0 {
        tracing::debug!(
            "watch {}: {} links not followed",
            w.cfg.id,
            walk.links_skipped
        );
    }
    w.cannot_read.retain(|k, _| !under(k, start));
    w.cannot_read
        .extend(walk.unreadable.into_iter().map(|c| (c.path, c.reason)));
    w.mounts.retain(|m| !under(m, start));
    w.mounts.extend(walk.mounts);
    // Files synced under a mount point that is gone: unknown, not deleted.
    let missing: Vec<String> = w
        .records
        .iter()
        .filter(|(rel, r)| {
            under(rel, start)
                && !present.contains(*rel)
                && !r.mount.is_empty()
                && !w.mounts.contains(&r.mount)
        })
        .map(|(_, r)| r.mount.clone())
        .collect();
    for m in missing {
        let c = super::proof::unmounted(&m);
        w.cannot_read.insert(c.path, c.reason);
    }
    if !full || !w.cfg.delete_remote {
        return None;
    }
    if present.is_empty() && !w.records.is_empty() {
        // An empty folder where files were synced looks like an unmounted drive's
        // mount point: never take that as "delete everything".
        tracing::warn!(
            "watch {}: folder is empty; not mirroring deletions",
            w.cfg.id
        );
        return None;
    }
    let gone: Vec<String> = w
        .records
        .keys()
        .filter(|k| {
            !present.contains(*k)
                && w.wanted(k)
                && !w.unreadable_at(k)
                && !w.settler.contains(k)
                && !w.inflight.contains_key(*k)
                && !w.moving.contains(*k)
        })
        .cloned()
        .collect();
    for rel in gone {
        if !w.held.contains(&rel) {
            w.deletions.entry(rel).or_insert(now);
        }
    }
    None
}
