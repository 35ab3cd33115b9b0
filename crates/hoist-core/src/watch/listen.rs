//! Listening: the kernel watches of a watched folder (one per folder, set by the walks)
//! and what each filesystem event means for its files.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use notify::EventKind;
use notify::event::{AccessKind, AccessMode, CreateKind, ModifyKind, RenameMode};
use notify_debouncer_full::{DebounceEventResult, DebouncedEvent, new_debouncer_opt};

use super::actor::{Actor, missing};
use super::runtime::{DirWatcher, removed, scan_folder, touch};
use super::scan::dir_id;
use super::settle::Signal;
use crate::events::{WatchId, WatchPhase};

impl Actor {
    /// Starts listening and schedules the catch-up scan (which sets the watches of
    /// the folders inside); a missing folder is an error state, tried again every 2 s.
    pub(super) fn begin(&mut self, id: WatchId) {
        let debounce = self.settings.debounce;
        let fs_tx = self.fs_tx.clone();
        let Some(w) = self.watches.get_mut(&id) else {
            return;
        };
        w.generation += 1;
        w.watcher = None;
        w.scanning = false;
        w.needs_scan = true;
        w.next_begin = Instant::now() + Duration::from_secs(2);
        if !w.root_present() {
            w.phase = WatchPhase::Error;
            w.error = Some(missing(&w.cfg.root));
            return;
        }
        let generation = w.generation;
        let handler = move |res: DebounceEventResult| {
            let _ = fs_tx.send((id, generation, res));
        };
        // Links are never followed (the scan does not follow them either).
        let config = notify::Config::default().with_follow_symlinks(false);
        let started = new_debouncer_opt(debounce, None, handler, Default::default(), config)
            .map_err(|e| e.to_string())
            .and_then(|d| {
                let meta = std::fs::metadata(&w.cfg.root).map_err(|e| e.to_string())?;
                let mut dw = DirWatcher::new(d);
                dw.ensure(&w.cfg.root, dir_id(&meta));
                Ok(dw)
            });
        match started {
            Ok(dw) => {
                w.watcher = Some(Arc::new(std::sync::Mutex::new(dw)));
                w.root_device = w.root_device();
                w.phase = WatchPhase::Watching;
                w.error = None;
            }
            Err(e) => {
                w.phase = WatchPhase::Error;
                w.error = Some(format!("cannot watch {}: {e}", w.cfg.root.display()));
            }
        }
    }

    pub(super) fn on_fs(&mut self, id: WatchId, generation: u64, result: DebounceEventResult) {
        let Some(w) = self.watches.get_mut(&id) else {
            return;
        };
        if w.watcher.is_none() || w.generation != generation {
            return;
        }
        let delete_grace_start = Instant::now();
        let events = match result {
            Ok(events) => events,
            Err(errors) => {
                for e in errors {
                    tracing::warn!("watch {id}: {e}");
                }
                w.needs_scan = true;
                return;
            }
        };
        let is_dir = |p: &PathBuf| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_dir());
        for DebouncedEvent { event, time } in events {
            if event.need_rescan() {
                // The kernel queue overflowed: events were lost.
                w.needs_scan = true;
                w.settler.events_lost();
                continue;
            }
            match event.kind {
                EventKind::Create(CreateKind::Folder) => {
                    for p in &event.paths {
                        scan_folder(w, p);
                    }
                }
                EventKind::Create(_)
                | EventKind::Modify(ModifyKind::Data(_))
                | EventKind::Modify(ModifyKind::Any) => {
                    for p in &event.paths {
                        if is_dir(p) {
                            scan_folder(w, p);
                        } else {
                            touch(w, p, Signal::Written, time);
                        }
                    }
                }
                EventKind::Access(AccessKind::Close(AccessMode::Write)) => {
                    for p in &event.paths {
                        touch(w, p, Signal::Closed, time);
                    }
                }
                EventKind::Modify(ModifyKind::Name(mode)) => {
                    let (from, to): (Option<&PathBuf>, Option<&PathBuf>) = match mode {
                        RenameMode::Both => (event.paths.first(), event.paths.get(1)),
                        RenameMode::From => (event.paths.first(), None),
                        RenameMode::To => (None, event.paths.first()),
                        _ => match event.paths.first() {
                            Some(p) if std::fs::symlink_metadata(p).is_ok() => (None, Some(p)),
                            other => (other, None),
                        },
                    };
                    if let Some(from) = from {
                        removed(w, from, delete_grace_start);
                    }
                    if let Some(to) = to {
                        if is_dir(to) {
                            scan_folder(w, to);
                        } else {
                            touch(w, to, Signal::Seen, time);
                        }
                    }
                }
                EventKind::Modify(ModifyKind::Metadata(_)) => {
                    for p in &event.paths {
                        let known = w.rel(p).is_some_and(|r| w.settler.contains(&r));
                        if known || std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file()) {
                            touch(w, p, Signal::Seen, time);
                        }
                    }
                }
                EventKind::Remove(_) => {
                    for p in &event.paths {
                        removed(w, p, delete_grace_start);
                    }
                }
                _ => {}
            }
        }
    }
}
