//! The watch actor: one task runs every watch. It starts and stops watches as the
//! journal says, feeds filesystem events to each watch's settler, follows the engine's
//! events to mark uploads synced, and on each tick runs the scans, uploads and
//! deletions (`sync.rs`).

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use notify::EventKind;
use notify::RecursiveMode;
use notify::event::{AccessKind, AccessMode, CreateKind, ModifyKind, RenameMode};
use notify_debouncer_full::{DebounceEventResult, DebouncedEvent, new_debouncer};
use tokio::sync::{broadcast, mpsc};

use super::runtime::{Inflight, WatchRuntime, removed, scan_folder, touch};
use super::settle::{Settler, Signal};
use super::{Command, WatchConfig, WatchSettings};
use crate::error::{HoistError, Result};
use crate::events::{EngineEvent, UploadId, WatchId, WatchPhase, WatchStatus};
use crate::transfer::{Engine, UploadState};

pub(super) struct Actor {
    pub(super) engine: Engine,
    pub(super) settings: WatchSettings,
    pub(super) watches: HashMap<WatchId, WatchRuntime>,
    pub(super) by_upload: HashMap<UploadId, (WatchId, String)>,
    pub(super) fs_tx: mpsc::UnboundedSender<(WatchId, DebounceEventResult)>,
    /// The engine's stream dropped events: ask the journal how uploads ended.
    pub(super) lagged: bool,
    pub(super) last_poll: Instant,
    pub(super) last_config: Instant,
}

impl Actor {
    pub(super) async fn run(
        mut self,
        mut commands: mpsc::UnboundedReceiver<Command>,
        mut fs_rx: mpsc::UnboundedReceiver<(WatchId, DebounceEventResult)>,
        mut events: broadcast::Receiver<EngineEvent>,
    ) {
        let mut tick = tokio::time::interval(self.settings.tick);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                cmd = commands.recv() => match cmd {
                    Some(Command::Stop(reply)) => {
                        self.flush();
                        self.watches.clear();
                        let _ = reply.send(());
                        return;
                    }
                    Some(cmd) => self.handle(cmd).await,
                    None => {
                        self.flush();
                        return;
                    }
                },
                Some((id, result)) = fs_rx.recv() => self.on_fs(id, result),
                event = events.recv() => match event {
                    Ok(e) => self.on_engine(e),
                    Err(broadcast::error::RecvError::Lagged(_)) => self.lagged = true,
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                _ = tick.tick() => self.on_tick().await,
            }
        }
    }

    async fn handle(&mut self, cmd: Command) {
        match cmd {
            Command::Add(spec, reply) => {
                let r = async {
                    let cfg = self.engine.journal().create_watch(*spec)?;
                    self.sync_config().await?;
                    Ok(cfg)
                }
                .await;
                let _ = reply.send(r);
            }
            Command::Remove(id, reply) => {
                let r = async {
                    self.engine.journal().remove_watch(id)?;
                    self.sync_config().await
                }
                .await;
                let _ = reply.send(r);
            }
            Command::SetEnabled(id, enabled, reply) => {
                let r = async {
                    self.engine.journal().set_watch_enabled(id, enabled)?;
                    self.sync_config().await
                }
                .await;
                let _ = reply.send(r);
            }
            Command::Rescan(id, reply) => {
                let r = match self.watches.get_mut(&id) {
                    Some(w) => {
                        w.needs_scan = true;
                        Ok(())
                    }
                    None => Err(HoistError::InvalidInput(format!("there is no watch {id}"))),
                };
                let _ = reply.send(r);
            }
            Command::List(reply) => {
                let mut list: Vec<WatchStatus> =
                    self.watches.values().map(WatchRuntime::status).collect();
                list.sort_by_key(|s| s.id);
                let _ = reply.send(list);
            }
            Command::Stop(_) => unreachable!("handled in run"),
        }
    }

    /// Brings the running watches in line with the journal (which the CLI may change
    /// from another process): new ones start, removed ones stop, toggles apply.
    pub(super) async fn sync_config(&mut self) -> Result<()> {
        self.last_config = Instant::now();
        let stored = self.engine.journal().watches()?;
        let ids: HashSet<WatchId> = stored.iter().map(|w| w.id).collect();
        self.watches.retain(|id, _| ids.contains(id));
        for cfg in stored {
            match self.watches.get_mut(&cfg.id) {
                Some(w) if w.cfg == cfg => {}
                Some(w) => {
                    let was = w.cfg.enabled;
                    w.cfg = cfg.clone();
                    if was && !cfg.enabled {
                        w.debouncer = None;
                        w.settler.clear();
                        w.deletions.clear();
                        w.phase = WatchPhase::Paused;
                        w.error = None;
                    } else if !was && cfg.enabled {
                        self.begin(cfg.id);
                    }
                }
                None => {
                    let id = cfg.id;
                    let rt = self.load(cfg).await?;
                    self.watches.insert(id, rt);
                    if self.watches[&id].cfg.enabled {
                        self.begin(id);
                    }
                }
            }
        }
        Ok(())
    }

    /// Reads a watch's records; uploads an earlier session left in flight are either
    /// already done (recorded now) or queued again with the engine.
    async fn load(&mut self, cfg: WatchConfig) -> Result<WatchRuntime> {
        let journal = self.engine.journal();
        let all = journal.watch_files(cfg.id)?;
        let pending_ids: Vec<UploadId> = all
            .values()
            .filter_map(|r| (!r.synced).then_some(r.upload).flatten())
            .collect();
        let states = journal.upload_states(&pending_ids)?;
        let mut records = HashMap::new();
        let mut inflight = HashMap::new();
        let mut finished = Vec::new();
        let mut requeue = Vec::new();
        for (rel, mut rec) in all {
            if rec.synced {
                records.insert(rel, rec);
                continue;
            }
            let Some(upload) = rec.upload else { continue };
            match states.get(&upload) {
                Some(UploadState::Done) => {
                    rec.synced = true;
                    finished.push((rel.clone(), rec.clone()));
                    records.insert(rel, rec);
                }
                Some(UploadState::Queued | UploadState::Paused) => {
                    requeue.push(upload);
                    self.by_upload.insert(upload, (cfg.id, rel.clone()));
                    inflight.insert(rel, Inflight { record: rec });
                }
                // Failed or gone: the scan decides again.
                _ => {}
            }
        }
        journal.put_watch_files(cfg.id, &finished)?;
        if !requeue.is_empty() {
            self.engine.requeue(&requeue).await?;
        }
        Ok(WatchRuntime {
            patterns: cfg.patterns()?,
            last_synced_at: journal.watch_last_synced(cfg.id)?,
            phase: if cfg.enabled {
                WatchPhase::Scanning
            } else {
                WatchPhase::Paused
            },
            cfg,
            debouncer: None,
            settler: Settler::new(self.settings.quiet, self.settings.open_limit),
            records,
            inflight,
            recheck: HashSet::new(),
            deletions: HashMap::new(),
            unsaved: Vec::new(),
            error: None,
            failures: 0,
            needs_scan: true,
            last_scan: Instant::now(),
            last_emitted: None,
            root_device: None,
        })
    }

    /// Starts listening and schedules the catch-up scan; a missing folder is an error
    /// state, retried every tick.
    pub(super) fn begin(&mut self, id: WatchId) {
        let debounce = self.settings.debounce;
        let fs_tx = self.fs_tx.clone();
        let Some(w) = self.watches.get_mut(&id) else {
            return;
        };
        w.needs_scan = true;
        if !w.root_present() {
            w.debouncer = None;
            w.phase = WatchPhase::Error;
            w.error = Some(format!(
                "the folder {} is missing (unplugged or unmounted?): nothing is uploaded or deleted until it is back",
                w.cfg.root.display()
            ));
            return;
        }
        let handler = move |res: DebounceEventResult| {
            let _ = fs_tx.send((id, res));
        };
        let started = new_debouncer(debounce, None, handler).and_then(|mut d| {
            d.watch(&w.cfg.root, RecursiveMode::Recursive)?;
            Ok(d)
        });
        match started {
            Ok(d) => {
                w.debouncer = Some(d);
                w.root_device = w.root_device();
                w.phase = WatchPhase::Watching;
                w.error = None;
            }
            Err(e) => {
                w.debouncer = None;
                w.phase = WatchPhase::Error;
                w.error = Some(format!("cannot watch {}: {e}", w.cfg.root.display()));
            }
        }
    }

    fn on_fs(&mut self, id: WatchId, result: DebounceEventResult) {
        let delete_grace_start = Instant::now();
        let Some(w) = self.watches.get_mut(&id) else {
            return;
        };
        if w.debouncer.is_none() {
            return;
        }
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
                        if p.is_dir() {
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
                            Some(p) if p.exists() => (None, Some(p)),
                            other => (other, None),
                        },
                    };
                    if let Some(from) = from {
                        removed(w, from, delete_grace_start);
                    }
                    if let Some(to) = to {
                        if to.is_dir() {
                            scan_folder(w, to);
                        } else {
                            touch(w, to, Signal::Seen, time);
                        }
                    }
                }
                EventKind::Modify(ModifyKind::Metadata(_)) => {
                    for p in &event.paths {
                        if w.settler.contains(&w.rel(p).unwrap_or_default()) || p.is_file() {
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

    fn on_engine(&mut self, event: EngineEvent) {
        match event {
            EngineEvent::Completed { id, .. } => self.upload_ended(id, true, None),
            EngineEvent::Failed { id, error, .. } => {
                self.upload_ended(id, false, Some(error.message))
            }
            EngineEvent::Cancelled { id } | EngineEvent::Skipped { id, .. } => {
                self.upload_ended(id, false, None)
            }
            _ => {}
        }
    }

    fn upload_ended(&mut self, upload: UploadId, verified: bool, error: Option<String>) {
        let Some((wid, rel)) = self.by_upload.remove(&upload) else {
            return;
        };
        let Some(w) = self.watches.get_mut(&wid) else {
            return;
        };
        let Some(inflight) = w.inflight.remove(&rel) else {
            return;
        };
        if verified {
            let mut rec = inflight.record;
            rec.synced = true;
            rec.upload = Some(upload);
            w.unsaved.push((rel.clone(), rec.clone()));
            w.records.insert(rel.clone(), rec);
            w.last_synced_at = Some(crate::journal::now_ms());
        } else if let Some(message) = error {
            w.failures += 1;
            w.error = Some(format!("{rel}: {message}"));
        }
        if w.recheck.remove(&rel) && w.debouncer.is_some() {
            let path = w.cfg.root.join(&rel);
            touch(w, &path, Signal::Seen, Instant::now());
        }
    }

    /// Asks the journal how in-flight uploads ended (after the event stream lagged).
    fn poll_inflight(&mut self) {
        let ids: Vec<UploadId> = self.by_upload.keys().copied().collect();
        let states = match self.engine.journal().upload_states(&ids) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!("watch: reading upload states: {e}");
                return;
            }
        };
        for (id, state) in states {
            match state {
                UploadState::Done => self.upload_ended(id, true, None),
                UploadState::Failed => {
                    self.upload_ended(id, false, Some("the upload failed".into()))
                }
                UploadState::Cancelled | UploadState::Skipped => self.upload_ended(id, false, None),
                UploadState::Queued | UploadState::Paused => {}
            }
        }
    }

    fn flush(&mut self) {
        for w in self.watches.values_mut() {
            if w.unsaved.is_empty() {
                continue;
            }
            let unsaved = std::mem::take(&mut w.unsaved);
            if let Err(e) = self.engine.journal().put_watch_files(w.cfg.id, &unsaved) {
                tracing::error!("watch {}: journal: {e}", w.cfg.id);
                w.error = Some(e.to_string());
            }
        }
    }

    async fn on_tick(&mut self) {
        if self.lagged
            || self.last_poll.elapsed() > Duration::from_secs(2) && !self.by_upload.is_empty()
        {
            self.lagged = false;
            self.last_poll = Instant::now();
            self.poll_inflight();
        }
        self.flush();
        if self.last_config.elapsed() > Duration::from_secs(2)
            && let Err(e) = self.sync_config().await
        {
            tracing::warn!("watch: reading watches: {e}");
        }
        let ids: Vec<WatchId> = self.watches.keys().copied().collect();
        for id in ids {
            self.tick_watch(id).await;
            let Some(w) = self.watches.get_mut(&id) else {
                continue;
            };
            let status = w.status();
            if w.last_emitted.as_ref() != Some(&status) {
                w.last_emitted = Some(status.clone());
                self.engine.emit(EngineEvent::Watch { status });
            }
        }
    }

    async fn tick_watch(&mut self, id: WatchId) {
        let Some(w) = self.watches.get_mut(&id) else {
            return;
        };
        if !w.cfg.enabled {
            return;
        }
        // The folder's presence first: a missing root is an error, never deletions.
        if w.debouncer.is_some() && !w.root_present() {
            w.debouncer = None;
            w.settler.clear();
            w.deletions.clear();
            w.phase = WatchPhase::Error;
            w.error = Some(format!(
                "the folder {} is missing (unplugged or unmounted?): nothing is uploaded or deleted until it is back",
                w.cfg.root.display()
            ));
            return;
        }
        if w.debouncer.is_none() {
            if w.root_present() {
                self.begin(id);
            }
            return;
        }
        if w.root_device() != w.root_device {
            // Mounted or unmounted under the same path: watch the folder afresh and
            // compare it with the journal (an empty mount point deletes nothing).
            tracing::warn!("watch {id}: {} changed filesystem", w.cfg.root.display());
            w.settler.clear();
            w.deletions.clear();
            self.begin(id);
            return;
        }
        if w.last_scan.elapsed() >= self.settings.reconcile_every {
            w.needs_scan = true;
        }
        if w.needs_scan {
            self.full_scan(id).await;
        }
        self.upload_ready(id).await;
        self.mirror_deletions(id).await;
    }
}
