//! One watch's live state: its settler, records, uploads in flight and pending
//! deletions, and how events and scan results update them.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Instant;

use notify_debouncer_full::{Debouncer, RecommendedCache};

use super::config::{self, Patterns, WatchConfig};
use super::scan;
use super::settle::{Settler, Signal};
use super::store::FileRecord;
use crate::events::{WatchPhase, WatchStatus};
use crate::transfer::source::FileIdentity;

/// A file's upload in flight, and the record it becomes once verified.
pub(super) struct Inflight {
    pub(super) record: FileRecord,
}

pub(super) struct WatchRuntime {
    pub(super) cfg: WatchConfig,
    pub(super) patterns: Patterns,
    pub(super) debouncer: Option<Debouncer<notify::RecommendedWatcher, RecommendedCache>>,
    pub(super) settler: Settler,
    /// What the journal says is in the bucket (synced records only).
    pub(super) records: HashMap<String, FileRecord>,
    pub(super) inflight: HashMap<String, Inflight>,
    /// Changed again while in flight: looked at again once the upload ends.
    pub(super) recheck: HashSet<String>,
    /// Local deletions waiting for their grace period (only with `delete_remote`).
    pub(super) deletions: HashMap<String, Instant>,
    /// Records to write to the journal at the next tick (batched).
    pub(super) unsaved: Vec<(String, FileRecord)>,
    pub(super) phase: WatchPhase,
    pub(super) error: Option<String>,
    pub(super) failures: u64,
    pub(super) last_synced_at: Option<i64>,
    pub(super) needs_scan: bool,
    pub(super) last_scan: Instant,
    pub(super) last_emitted: Option<WatchStatus>,
    /// The folder's filesystem when watching began.
    pub(super) root_device: Option<u64>,
}

impl WatchRuntime {
    pub(super) fn status(&self) -> WatchStatus {
        WatchStatus {
            id: self.cfg.id,
            root: self.cfg.root.clone(),
            bucket: self.cfg.bucket.clone(),
            prefix: self.cfg.prefix.clone(),
            enabled: self.cfg.enabled,
            delete_remote: self.cfg.delete_remote,
            phase: self.phase,
            pending: (self.settler.len() + self.inflight.len() + self.recheck.len()) as u64
                + u64::from(self.needs_scan && self.phase == WatchPhase::Watching),
            uploading: self.inflight.len() as u64,
            synced_files: self.records.len() as u64,
            last_synced_at: self.last_synced_at,
            failures: self.failures,
            error: self.error.clone(),
        }
    }

    pub(super) fn root_present(&self) -> bool {
        std::fs::metadata(&self.cfg.root).is_ok_and(|m| m.is_dir())
    }

    /// The filesystem the folder is on: when it changes (a drive unmounted under a
    /// mount point that stays, or mounted again) the kernel watches are stale.
    pub(super) fn root_device(&self) -> Option<u64> {
        let meta = std::fs::metadata(&self.cfg.root).ok()?;
        #[cfg(unix)]
        {
            Some(std::os::unix::fs::MetadataExt::dev(&meta))
        }
        #[cfg(not(unix))]
        {
            let _ = meta;
            Some(0)
        }
    }

    pub(super) fn rel(&self, path: &Path) -> Option<String> {
        config::relative_path(&self.cfg.root, path)
    }

    /// Records under `rel` (the file itself or a folder's contents).
    pub(super) fn known_under(&self, rel: &str) -> Vec<String> {
        let folder = format!("{rel}/");
        self.records
            .keys()
            .filter(|k| *k == rel || k.starts_with(&folder))
            .cloned()
            .collect()
    }
}

/// Puts a file found by a scan in line to settle unless the journal proves it synced
/// (or it is already settling or in flight).
pub(super) fn consider(
    w: &mut WatchRuntime,
    rel: &str,
    identity: FileIdentity,
    ctime_ns: i64,
    now: Instant,
) {
    w.deletions.remove(rel);
    if w.settler.contains(rel) {
        return;
    }
    if let Some(f) = w.inflight.get(rel) {
        if f.record.size != identity.size || f.record.mtime_ns != identity.mtime_ns {
            w.recheck.insert(rel.to_owned());
        }
        return;
    }
    if w.records
        .get(rel)
        .is_some_and(|r| scan::unchanged(r, &identity, ctime_ns))
    {
        return;
    }
    w.settler.touch(rel, Signal::Seen, Some(identity), now);
}

/// A new folder: inotify may have missed files created in it before its watch was
/// added, so walk it.
pub(super) fn scan_folder(w: &mut WatchRuntime, dir: &Path) {
    let Some(rel) = w.rel(dir) else { return };
    if w.patterns.folder_excluded(&rel) {
        return;
    }
    match scan::walk(&w.cfg.root, dir, &w.patterns) {
        Ok(found) => {
            let now = Instant::now();
            for f in found {
                consider(w, &f.rel, f.identity, f.ctime_ns, now);
            }
        }
        Err(_) => w.needs_scan = true,
    }
}

pub(super) fn touch(w: &mut WatchRuntime, path: &Path, signal: Signal, at: Instant) {
    let Some(rel) = w.rel(path) else { return };
    if !w.patterns.matches(&rel) {
        return;
    }
    w.deletions.remove(&rel);
    if w.inflight.contains_key(&rel) {
        // Uploading an older version: look again once that upload ends.
        w.recheck.insert(rel);
        return;
    }
    let look = match signal {
        Signal::Written => None,
        _ => std::fs::metadata(path)
            .ok()
            .filter(|m| m.is_file())
            .map(|m| FileIdentity::from_metadata(&m)),
    };
    if signal != Signal::Written && look.is_none() {
        return;
    }
    w.settler.touch(&rel, signal, look, at);
}

pub(super) fn removed(w: &mut WatchRuntime, path: &Path, at: Instant) {
    let Some(rel) = w.rel(path) else { return };
    w.settler.forget(&rel);
    if !w.cfg.delete_remote {
        return;
    }
    for k in w.known_under(&rel) {
        w.deletions.entry(k).or_insert(at);
    }
}
