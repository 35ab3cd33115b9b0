//! A watch's work on each tick: the full scan (catch-up and reconcile), handing
//! settled files to the engine, and mirroring local deletions to the trash.

use std::collections::HashSet;
use std::time::Instant;

use super::actor::Actor;
use super::runtime::{Inflight, consider};
use super::scan;
use super::settle::{Signal, Verdict};
use super::store::FileRecord;
use crate::events::{EngineEvent, WatchId, WatchPhase};
use crate::transfer::source::FileIdentity;
use crate::transfer::{AddOptions, ConflictPolicy, KeyedFile};

impl Actor {
    /// Compares the whole folder with the journal: the catch-up and the reconcile.
    pub(super) async fn full_scan(&mut self, id: WatchId) {
        let Some(w) = self.watches.get_mut(&id) else {
            return;
        };
        w.needs_scan = false;
        w.last_scan = Instant::now();
        w.phase = WatchPhase::Scanning;
        let status = w.status();
        w.last_emitted = Some(status.clone());
        self.engine.emit(EngineEvent::Watch { status });
        let (root, patterns) = (w.cfg.root.clone(), w.patterns.clone());
        let found = tokio::task::spawn_blocking(move || scan::walk(&root, &root, &patterns))
            .await
            .expect("scan task panicked");
        let Some(w) = self.watches.get_mut(&id) else {
            return;
        };
        let found = match found {
            Ok(f) => f,
            Err(e) => {
                // Root gone mid-scan: the next tick turns this into the error state.
                w.error = Some(e.to_string());
                w.phase = WatchPhase::Watching;
                return;
            }
        };
        w.phase = WatchPhase::Watching;
        let now = Instant::now();
        let mut present = HashSet::with_capacity(found.len());
        for f in found {
            present.insert(f.rel.clone());
            consider(w, &f.rel, f.identity, f.ctime_ns, now);
        }
        if w.cfg.delete_remote {
            if present.is_empty() && !w.records.is_empty() {
                // An empty folder where files were synced looks like an unmounted
                // drive's mount point: never take that as "delete everything".
                tracing::warn!("watch {id}: folder is empty; not mirroring deletions");
            } else {
                let gone: Vec<String> = w
                    .records
                    .keys()
                    .filter(|k| !present.contains(*k))
                    .cloned()
                    .collect();
                for rel in gone {
                    w.deletions.entry(rel).or_insert(now);
                }
            }
        }
    }

    /// Checksums settled files and queues those whose content is not in the bucket.
    pub(super) async fn upload_ready(&mut self, id: WatchId) {
        let Some(w) = self.watches.get_mut(&id) else {
            return;
        };
        let now = Instant::now();
        let mut ready = Vec::new();
        for rel in w.settler.due(now) {
            let path = w.cfg.root.join(&rel);
            let look = std::fs::metadata(&path)
                .ok()
                .filter(|m| m.is_file())
                .map(|m| FileIdentity::from_metadata(&m));
            if let Verdict::Ready(_) = w.settler.confirm(&rel, look, now) {
                if w.inflight.contains_key(&rel) {
                    w.recheck.insert(rel);
                } else {
                    ready.push(rel);
                }
            }
        }
        if ready.is_empty() {
            return;
        }
        let root = w.cfg.root.clone();
        let hashed = tokio::task::spawn_blocking(move || {
            ready
                .into_iter()
                .map(|rel| {
                    let r = scan::hash_file(&root.join(&rel));
                    (rel, r)
                })
                .collect::<Vec<_>>()
        })
        .await
        .expect("hash task panicked");
        let Some(w) = self.watches.get_mut(&id) else {
            return;
        };
        let mut files = Vec::new();
        let mut records = Vec::new();
        for (rel, result) in hashed {
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
                        w.unsaved.push((rel, old.clone()));
                        continue;
                    }
                    files.push(KeyedFile {
                        path: w.cfg.root.join(&rel),
                        key,
                        identity,
                    });
                    records.push((rel, rec));
                }
                // Changed while read: look again after another quiet period.
                Ok(None) => w.settler.touch(&rel, Signal::Seen, None, Instant::now()),
                // Gone or unreadable since it settled: a later event or scan decides.
                Err(e) => tracing::debug!("watch {id}: {e}"),
            }
        }
        if files.is_empty() {
            return;
        }
        let target = w.cfg.target.clone();
        let options = AddOptions {
            conflict: ConflictPolicy::Overwrite,
            ..AddOptions::default()
        };
        match self.engine.add_keyed(files, target, options).await {
            Ok(ids) => {
                let Some(w) = self.watches.get_mut(&id) else {
                    return;
                };
                let mut rows = Vec::with_capacity(ids.len());
                for (upload, (rel, mut rec)) in ids.into_iter().zip(records) {
                    rec.upload = Some(upload);
                    rows.push((rel.clone(), rec.clone()));
                    self.by_upload.insert(upload, (id, rel.clone()));
                    w.inflight.insert(rel, Inflight { record: rec });
                }
                if let Err(e) = self.engine.journal().put_watch_files(id, &rows) {
                    tracing::error!("watch {id}: journal: {e}");
                }
            }
            Err(e) => {
                let Some(w) = self.watches.get_mut(&id) else {
                    return;
                };
                w.failures += 1;
                w.error = Some(e.to_string());
                // Tried again by the next reconcile.
            }
        }
    }

    /// Moves the objects of files deleted locally to the trash prefix, if the user
    /// enabled it for this watch, only for objects this watch uploaded, and only
    /// while the watched folder is present.
    pub(super) async fn mirror_deletions(&mut self, id: WatchId) {
        let grace = self.settings.delete_grace;
        let Some(w) = self.watches.get_mut(&id) else {
            return;
        };
        if w.deletions.is_empty() {
            return;
        }
        if !w.cfg.delete_remote {
            w.deletions.clear();
            return;
        }
        let now = Instant::now();
        let due: Vec<String> = w
            .deletions
            .iter()
            .filter(|(_, at)| now.saturating_duration_since(**at) >= grace)
            .map(|(k, _)| k.clone())
            .collect();
        if due.is_empty() || !w.root_present() {
            return;
        }
        let store = match self.engine.store_for(&w.cfg.target) {
            Ok(s) => s,
            Err(e) => {
                w.error = Some(e.to_string());
                return;
            }
        };
        for rel in due {
            let Some(w) = self.watches.get_mut(&id) else {
                return;
            };
            w.deletions.remove(&rel);
            // Still gone, not being re-created, and known to be ours.
            if std::fs::symlink_metadata(w.cfg.root.join(&rel)).is_ok()
                || w.settler.contains(&rel)
                || w.inflight.contains_key(&rel)
            {
                continue;
            }
            let Some(rec) = w.records.get(&rel).cloned() else {
                continue;
            };
            let trash = w.cfg.trash_key_for(&rec.key);
            match store.move_object(&rec.key, &trash).await {
                Ok(()) => {
                    let Some(w) = self.watches.get_mut(&id) else {
                        return;
                    };
                    w.records.remove(&rel);
                    if let Err(e) = self.engine.journal().delete_watch_file(id, &rel) {
                        tracing::error!("watch {id}: journal: {e}");
                    }
                }
                Err(e) => {
                    let Some(w) = self.watches.get_mut(&id) else {
                        return;
                    };
                    w.failures += 1;
                    w.error = Some(format!("moving {} to the trash: {e}", rec.key));
                }
            }
        }
    }
}
