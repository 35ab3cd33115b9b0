//! The watch actor: one task runs every watch. It starts and stops watches as the
//! journal says, feeds filesystem events to each watch's settler, follows the engine's
//! events to mark uploads synced, takes the results of background work, and on each
//! tick starts the scans, checksums, retries and deletions (`sync.rs`,
//! `deletions.rs`). It never waits on the disk itself, so commands answer at once:
//! the records it changes go to the journal through the [`RecordWriter`], and what it
//! reads periodically (the watches, how uploads ended) is read in the background.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use notify_debouncer_full::DebounceEventResult;
use tokio::sync::{broadcast, mpsc};

use super::guard::RootGuard;
use super::runtime::{Background, Inflight, WatchRuntime, Work, lock, touch};
use super::scan::Skip;
use super::settle::{Settler, Signal};
use super::sync::{backoff, words};
use super::writer::RecordWriter;
use super::{Command, DeletionDecision, WatchConfig, WatchSettings};
use crate::error::{HoistError, Result};
use crate::events::{EngineEvent, UploadId, WatchId, WatchPhase, WatchStatus};
use crate::transfer::{Engine, UploadState};

pub(super) type FsEvent = (WatchId, u64, DebounceEventResult);

pub(super) struct Actor {
    pub(super) engine: Engine,
    pub(super) settings: WatchSettings,
    pub(super) guard: RootGuard,
    pub(super) watches: HashMap<WatchId, WatchRuntime>,
    pub(super) by_upload: HashMap<UploadId, (WatchId, String)>,
    pub(super) fs_tx: mpsc::UnboundedSender<FsEvent>,
    pub(super) bg: Background,
    /// Checksum batches running now (across watches).
    pub(super) hash_tasks: usize,
    /// The engine's stream dropped events: ask the journal how uploads ended.
    pub(super) lagged: bool,
    pub(super) last_poll: Instant,
    pub(super) last_config: Instant,
    /// The watch records' writes, in order, off the actor.
    pub(super) writer: RecordWriter,
    /// Counts the actor's own reads of the watches: a background read started before
    /// one of them is stale when it arrives.
    config_epoch: u64,
    /// A background read of the watches is on its way.
    config_reading: bool,
}

impl Actor {
    pub(super) fn new(
        engine: Engine,
        settings: WatchSettings,
        fs_tx: mpsc::UnboundedSender<FsEvent>,
        work_tx: mpsc::UnboundedSender<Work>,
    ) -> Actor {
        let guard = RootGuard::new(engine.journal().path(), &settings.protected);
        let writer = RecordWriter::start(engine.clone(), work_tx.clone());
        Actor {
            engine,
            settings,
            guard,
            watches: HashMap::new(),
            by_upload: HashMap::new(),
            fs_tx,
            bg: Background {
                tx: work_tx,
                cancel: Arc::new(AtomicBool::new(false)),
            },
            hash_tasks: 0,
            lagged: false,
            last_poll: Instant::now(),
            last_config: Instant::now(),
            writer,
            config_epoch: 0,
            config_reading: false,
        }
    }

    pub(super) async fn run(
        mut self,
        mut commands: mpsc::UnboundedReceiver<Command>,
        mut fs_rx: mpsc::UnboundedReceiver<FsEvent>,
        mut work_rx: mpsc::UnboundedReceiver<Work>,
        mut events: broadcast::Receiver<EngineEvent>,
    ) {
        let mut tick = tokio::time::interval(self.settings.tick);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                cmd = commands.recv() => match cmd {
                    Some(Command::Stop(reply)) => {
                        self.quit().await;
                        let _ = reply.send(());
                        return;
                    }
                    Some(cmd) => self.handle(cmd).await,
                    None => {
                        self.quit().await;
                        return;
                    }
                },
                event = events.recv() => match event {
                    Ok(e) => self.on_engine(e),
                    Err(broadcast::error::RecvError::Lagged(_)) => self.lagged = true,
                    Err(broadcast::error::RecvError::Closed) => {
                        self.quit().await;
                        return;
                    }
                },
                Some(work) = work_rx.recv() => self.on_work(work).await,
                Some((id, generation, result)) = fs_rx.recv() => self.on_fs(id, generation, result),
                _ = tick.tick() => self.on_tick().await,
            }
        }
    }

    /// Stops background work at once (the exit must not wait for a large checksum),
    /// keeps what is known (in the journal before it returns), and drops the kernel
    /// watches.
    async fn quit(&mut self) {
        self.bg.cancel.store(true, Ordering::SeqCst);
        self.flush();
        self.writer.settled().await;
        self.watches.clear();
    }

    async fn handle(&mut self, cmd: Command) {
        if matches!(
            cmd,
            Command::Add(..) | Command::Update(..) | Command::Remove(..) | Command::SetEnabled(..)
        ) {
            // A write still on its way must not land after the watch changed.
            self.flush();
            self.writer.settled().await;
        }
        match cmd {
            Command::Add(spec, reply) => {
                let r = async {
                    let cfg = self
                        .engine
                        .journal()
                        .create_watch(*spec, &self.settings.protected)?;
                    self.sync_config().await?;
                    Ok(cfg)
                }
                .await;
                let _ = reply.send(r);
            }
            Command::Update(id, spec, reply) => {
                let r = async {
                    let cfg =
                        self.engine
                            .journal()
                            .update_watch(id, *spec, &self.settings.protected)?;
                    self.sync_config().await?;
                    Ok(cfg)
                }
                .await;
                let _ = reply.send(r);
            }
            Command::Decide(id, decision, reply) => {
                let r = match self.watches.get_mut(&id) {
                    Some(w) if !w.held.is_empty() => {
                        let n = w.held.len() as u64;
                        // One answer: the journal's copy (for other processes) is spent.
                        let _ = self.engine.journal().take_deletion_decision(id);
                        self.apply_decision(id, decision, n);
                        Ok(n)
                    }
                    Some(_) => Err(HoistError::InvalidInput(format!(
                        "watch {id} holds no deletions"
                    ))),
                    None => Err(HoistError::InvalidInput(format!("there is no watch {id}"))),
                };
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
    /// from another process): new ones start, removed ones stop, toggles apply, and
    /// a watch whose folder, target or patterns changed starts afresh.
    pub(super) async fn sync_config(&mut self) -> Result<()> {
        self.last_config = Instant::now();
        self.config_epoch += 1;
        let stored = self.engine.journal().watches()?;
        self.apply_config(stored).await
    }

    /// Reads the watches in the background (every few seconds: another process may
    /// have changed them), with the deletion answers given for the watches holding
    /// deletions; [`Work::Stored`] brings them back.
    fn read_config(&mut self) {
        if self.config_reading {
            return;
        }
        self.config_reading = true;
        self.last_config = Instant::now();
        let held: Vec<WatchId> = self
            .watches
            .values()
            .filter(|w| !w.held.is_empty())
            .map(|w| w.cfg.id)
            .collect();
        let (engine, tx, epoch) = (self.engine.clone(), self.bg.tx.clone(), self.config_epoch);
        tokio::task::spawn_blocking(move || {
            let journal = engine.journal();
            let watches = journal.watches();
            let decisions = held
                .into_iter()
                .filter_map(|id| match journal.take_deletion_decision(id) {
                    Ok(answer) => answer.map(|(decision, count)| (id, decision, count)),
                    Err(e) => {
                        tracing::warn!("watch {id}: reading the deletion answer: {e}");
                        None
                    }
                })
                .collect();
            let _ = tx.send(Work::Stored {
                epoch,
                watches,
                decisions,
            });
        });
    }

    /// A background read of the watches: applied unless a command read them since.
    pub(super) async fn on_stored(
        &mut self,
        epoch: u64,
        watches: Result<Vec<WatchConfig>>,
        decisions: Vec<(WatchId, DeletionDecision, u64)>,
    ) {
        self.config_reading = false;
        if epoch == self.config_epoch {
            let applied = match watches {
                Ok(stored) => self.apply_config(stored).await,
                Err(e) => Err(e),
            };
            if let Err(e) = applied {
                tracing::warn!("watch: reading watches: {e}");
            }
        }
        // Taken from the journal: applied whatever the epoch (the answer is spent).
        for (id, decision, count) in decisions {
            self.apply_decision(id, decision, count);
        }
    }

    /// Starts, stops and restarts watches to match the journal's.
    pub(super) async fn apply_config(&mut self, stored: Vec<WatchConfig>) -> Result<()> {
        let ids: HashSet<WatchId> = stored.iter().map(|w| w.id).collect();
        self.watches.retain(|id, _| ids.contains(id));
        for cfg in stored {
            let toggled_only = match self.watches.get(&cfg.id) {
                Some(w) if w.cfg == cfg => continue,
                Some(w) => {
                    w.cfg
                        == WatchConfig {
                            enabled: w.cfg.enabled,
                            ..cfg.clone()
                        }
                }
                None => false,
            };
            if toggled_only {
                let w = self.watches.get_mut(&cfg.id).expect("checked above");
                w.cfg.enabled = cfg.enabled;
                if cfg.enabled {
                    self.begin(cfg.id);
                } else {
                    w.watcher = None;
                    w.generation += 1;
                    w.settler.clear();
                    w.deletions.clear();
                    w.held.clear();
                    w.scanning = false;
                    w.phase = WatchPhase::Paused;
                    w.error = None;
                }
                continue;
            }
            let id = cfg.id;
            let rt = self.load(cfg).await?;
            self.watches.insert(id, rt);
            if self.watches[&id].cfg.enabled {
                self.begin(id);
            }
        }
        Ok(())
    }

    /// Reads a watch's records; uploads an earlier session left in flight are either
    /// already done (recorded now), queued again with the engine, or refused ones
    /// waiting for their next try.
    async fn load(&mut self, cfg: WatchConfig) -> Result<WatchRuntime> {
        self.writer.settled().await;
        let journal = self.engine.journal();
        let all = journal.watch_files(cfg.id)?;
        let pending_ids: Vec<UploadId> = all
            .values()
            .filter_map(|r| (!r.synced).then_some(r.upload).flatten())
            .collect();
        let states = journal.upload_states(&pending_ids)?;
        let mut records = HashMap::new();
        let mut inflight = HashMap::new();
        let mut failed = HashMap::new();
        let mut finished = Vec::new();
        let mut requeue = Vec::new();
        self.by_upload.retain(|_, (w, _)| *w != cfg.id);
        for (rel, mut rec) in all {
            if rec.synced {
                records.insert(rel, rec);
                continue;
            }
            let Some(upload) = rec.upload else { continue };
            match states.get(&upload) {
                Some(UploadState::Done) => {
                    rec.synced = true;
                    rec.attempts = 0;
                    rec.retry_at_ms = None;
                    finished.push((rel.clone(), rec.clone()));
                    records.insert(rel, rec);
                }
                Some(UploadState::Queued | UploadState::Paused) => {
                    requeue.push(upload);
                    self.by_upload.insert(upload, (cfg.id, rel.clone()));
                    inflight.insert(rel, Inflight { record: rec });
                }
                Some(UploadState::Failed) => {
                    rec.attempts = rec.attempts.max(1);
                    failed.insert(rel, rec);
                }
                // Cancelled or gone: the scan decides again.
                _ => {}
            }
        }
        journal.put_watch_files(cfg.id, &finished)?;
        if !requeue.is_empty() {
            self.engine.requeue(&requeue).await?;
        }
        let skip = Skip {
            rels: self.guard.excluded_under(&cfg.root, journal.path()),
        };
        Ok(WatchRuntime {
            patterns: cfg.patterns()?,
            skip,
            last_synced_at: journal.watch_last_synced(cfg.id)?,
            phase: if cfg.enabled {
                WatchPhase::Scanning
            } else {
                WatchPhase::Paused
            },
            cfg,
            watcher: None,
            generation: 0,
            bg: self.bg.clone(),
            settler: Settler::new(self.settings.quiet, self.settings.open_limit),
            records,
            inflight,
            recheck: HashSet::new(),
            to_hash: VecDeque::new(),
            queued: HashSet::new(),
            hashing: HashSet::new(),
            failed,
            discard: Vec::new(),
            deletions: HashMap::new(),
            held: BTreeSet::new(),
            held_reported: u64::MAX,
            approved: false,
            moving: HashSet::new(),
            cannot_read: BTreeMap::new(),
            mounts: BTreeSet::new(),
            unsaved: Vec::new(),
            error: None,
            failures: 0,
            needs_scan: true,
            scanning: false,
            last_scan: Instant::now(),
            next_begin: Instant::now(),
            last_emitted: None,
            root_device: None,
        })
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
        let mut rec = inflight.record;
        rec.upload = Some(upload);
        // Deleted while it was uploading: its bytes may have landed before the upload
        // noticed (a single PUT fails when the file is gone after it was sent).
        let vanished = error.is_some()
            && w.cfg.delete_remote
            && std::fs::symlink_metadata(w.cfg.root.join(&rel))
                .is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound);
        if verified || vanished {
            // A vanished file is recorded as in the bucket so that its deletion is
            // mirrored, even after a restart: the deletion asks the store (HEAD) and
            // moves the object to the trash or, if none landed, forgets the record.
            rec.synced = true;
            rec.attempts = 0;
            rec.retry_at_ms = None;
            w.unsaved.push((rel.clone(), rec.clone()));
            w.records.insert(rel.clone(), rec);
            if verified {
                w.last_synced_at = Some(crate::journal::now_ms());
            } else {
                w.recheck.insert(rel.clone());
            }
        } else if let Some(message) = error {
            // Refused: tried again later, doubling the wait, with this same upload.
            rec.attempts += 1;
            let wait = backoff(&self.settings, rec.attempts);
            rec.retry_at_ms = Some(crate::journal::now_ms() + wait.as_millis() as i64);
            w.failures += 1;
            w.error = Some(format!(
                "{rel}: {message} (trying again in {})",
                words(wait)
            ));
            w.unsaved.push((rel.clone(), rec.clone()));
            w.failed.insert(rel.clone(), rec);
        }
        if w.recheck.remove(&rel) && w.watcher.is_some() {
            let path = w.cfg.root.join(&rel);
            touch(w, &path, Signal::Seen, Instant::now());
        }
    }

    /// Asks the journal how in-flight uploads ended (after the event stream lagged).
    fn poll_inflight(&mut self) {
        let ids: Vec<UploadId> = self.by_upload.keys().copied().collect();
        self.poll_uploads(ids);
    }

    /// Asks the journal (in the background) how these uploads ended, if they did:
    /// [`Work::Polled`] brings the answer to [`Actor::on_polled`].
    pub(super) fn poll_uploads(&mut self, ids: Vec<UploadId>) {
        if ids.is_empty() {
            return;
        }
        let (engine, tx) = (self.engine.clone(), self.bg.tx.clone());
        tokio::task::spawn_blocking(move || match engine.journal().upload_states(&ids) {
            Ok(states) => {
                let _ = tx.send(Work::Polled(states));
            }
            Err(e) => tracing::warn!("watch: reading upload states: {e}"),
        });
    }

    pub(super) fn on_polled(&mut self, states: HashMap<UploadId, UploadState>) {
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

    /// Hands the records changed since the last flush to the writer.
    pub(super) fn flush(&mut self) {
        for w in self.watches.values_mut() {
            self.writer.put(w.cfg.id, std::mem::take(&mut w.unsaved));
        }
    }

    async fn on_tick(&mut self) {
        if self.lagged
            // A safety net only: every upload's end comes as an event.
            || self.last_poll.elapsed() > Duration::from_secs(30) && !self.by_upload.is_empty()
        {
            self.lagged = false;
            self.last_poll = Instant::now();
            self.poll_inflight();
        }
        self.flush();
        if self.last_config.elapsed() > Duration::from_secs(2) {
            self.read_config();
        }
        let ids: Vec<WatchId> = self.watches.keys().copied().collect();
        for id in ids {
            self.tick_watch(id).await;
        }
        self.dispatch_hashing();
        for w in self.watches.values_mut() {
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
        if w.watcher.is_some() && !w.root_present() {
            w.watcher = None;
            w.generation += 1;
            w.scanning = false;
            w.settler.clear();
            w.deletions.clear();
            w.phase = WatchPhase::Error;
            w.error = Some(missing(&w.cfg.root));
            return;
        }
        if w.watcher.is_none() {
            // Not more often than every 2 s when it fails (a walk of the folder each time).
            if w.root_present() && Instant::now() >= w.next_begin {
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
        if let Some(watcher) = &w.watcher
            && std::mem::take(&mut lock(watcher).limit_reached)
        {
            w.error = Some(
                "too many folders to watch them all (raise fs.inotify.max_user_watches): \
                 changes in some are found by the periodic rescan"
                    .into(),
            );
        }
        if w.last_scan.elapsed() >= self.settings.reconcile_every && !w.scanning {
            w.needs_scan = true;
        }
        if w.needs_scan && !w.scanning {
            let root = w.cfg.root.clone();
            w.spawn_walk(root, true);
        }
        self.settle_ready(id);
        self.retry_failed(id).await;
        self.mirror_deletions(id);
    }
}

pub(super) fn missing(root: &std::path::Path) -> String {
    format!(
        "the folder {} is missing (unplugged or unmounted?): nothing is uploaded or deleted until it is back",
        root.display()
    )
}
