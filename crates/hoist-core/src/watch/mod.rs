//! Watched folders: every new or changed file under a folder lands in the bucket once,
//! including what changed while the app was closed, and nothing remote is ever
//! destroyed.
//!
//! One actor task runs every watch. Filesystem events (notify + notify-debouncer-full)
//! feed the [`settle::Settler`], which decides when a file is complete; ready files are
//! checksummed and handed to the [`Engine`] with the watch's target; the engine's
//! `Completed` event (or, if the event stream lagged, the journal) marks them synced
//! in the journal. Scans ([`scan`]) catch up on start, on new folders (inotify misses
//! files created right after `mkdir`), when the folder reappears, and periodically.
//! State changes go out as [`EngineEvent::Watch`] on the engine's one event stream.

pub mod config;
pub mod scan;
pub mod settle;
pub mod store;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use notify::event::{AccessKind, AccessMode, CreateKind, ModifyKind, RenameMode};
use notify::{EventKind, RecursiveMode};
use notify_debouncer_full::{
    DebounceEventResult, DebouncedEvent, Debouncer, RecommendedCache, new_debouncer,
};
use serde::Serialize;
use tokio::sync::{broadcast, mpsc, oneshot};

pub use config::{
    DEFAULT_EXCLUDES, DEFAULT_TRASH_PREFIX, Patterns, WatchConfig, WatchId, WatchSpec,
};
use settle::{Settler, Signal, Verdict};
pub use store::FileRecord;

use crate::engine::{AddOptions, Engine, KeyedFile};
use crate::error::{HoistError, Result};
use crate::events::EngineEvent;
use crate::journal::{ConflictPolicy, UploadId, UploadState};
use crate::source::FileIdentity;

/// Timings of the watcher. The defaults suit people's folders; tests shorten them.
#[derive(Debug, Clone)]
pub struct WatchSettings {
    /// notify-debouncer-full's timeout: events are grouped this long.
    pub debounce: Duration,
    /// A file must be left alone this long, with a stable size + mtime, to be ready.
    pub quiet: Duration,
    /// A file a writer holds open is taken anyway once idle this long (logs, ...).
    pub open_limit: Duration,
    /// Full rescan to catch what events missed.
    pub reconcile_every: Duration,
    /// A local deletion is mirrored only if the file is still gone this much later
    /// and the watched folder is still there (an unmount must never delete).
    pub delete_grace: Duration,
    pub tick: Duration,
}

impl Default for WatchSettings {
    fn default() -> Self {
        WatchSettings {
            debounce: Duration::from_millis(100),
            quiet: Duration::from_millis(300),
            open_limit: Duration::from_secs(60),
            reconcile_every: Duration::from_secs(60),
            delete_grace: Duration::from_secs(2),
            tick: Duration::from_millis(50),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum WatchPhase {
    /// Listening for changes.
    Watching,
    /// Comparing the folder with what was uploaded.
    Scanning,
    /// Disabled by the user.
    Paused,
    /// The folder is missing or unreadable: nothing is uploaded or deleted until it
    /// is back.
    Error,
}

/// What the UI and CLI show for one watch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct WatchStatus {
    #[ts(type = "number")]
    pub id: WatchId,
    #[ts(type = "string")]
    pub root: PathBuf,
    pub bucket: String,
    pub prefix: String,
    pub enabled: bool,
    pub delete_remote: bool,
    pub phase: WatchPhase,
    /// Files changed and not yet verified in the bucket (settling + uploading).
    #[ts(type = "number")]
    pub pending: u64,
    #[ts(type = "number")]
    pub uploading: u64,
    /// Files the journal knows are in the bucket as they are on disk.
    #[ts(type = "number")]
    pub synced_files: u64,
    /// Milliseconds since the epoch.
    #[ts(type = "number | null")]
    pub last_synced_at: Option<i64>,
    /// Uploads or remote moves that failed since the watch started.
    #[ts(type = "number")]
    pub failures: u64,
    pub error: Option<String>,
}

enum Command {
    Add(Box<WatchSpec>, oneshot::Sender<Result<WatchConfig>>),
    Remove(WatchId, oneshot::Sender<Result<()>>),
    SetEnabled(WatchId, bool, oneshot::Sender<Result<()>>),
    Rescan(WatchId, oneshot::Sender<Result<()>>),
    List(oneshot::Sender<Vec<WatchStatus>>),
    Stop(oneshot::Sender<()>),
}

/// The handle shells hold. Cheap to clone.
#[derive(Clone)]
pub struct WatchManager {
    commands: mpsc::UnboundedSender<Command>,
    engine: Engine,
}

impl WatchManager {
    /// Starts every enabled watch the journal has: each first catches up with what
    /// changed while Hoist was not running.
    pub async fn start(engine: Engine, settings: WatchSettings) -> Result<WatchManager> {
        let (tx, rx) = mpsc::unbounded_channel();
        let (fs_tx, fs_rx) = mpsc::unbounded_channel();
        let mut actor = Actor {
            engine: engine.clone(),
            settings,
            watches: HashMap::new(),
            by_upload: HashMap::new(),
            fs_tx,
            lagged: false,
            last_poll: Instant::now(),
            last_config: Instant::now(),
        };
        actor.sync_config().await?;
        let events = engine.subscribe();
        tokio::spawn(actor.run(rx, fs_rx, events));
        Ok(WatchManager {
            commands: tx,
            engine,
        })
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Validates and stores a watch, and starts it (with a catch-up scan).
    pub async fn add(&self, spec: WatchSpec) -> Result<WatchConfig> {
        self.ask(|r| Command::Add(Box::new(spec), r)).await?
    }
    /// Stops and forgets a watch. Its objects stay in the bucket.
    pub async fn remove(&self, id: WatchId) -> Result<()> {
        self.ask(|r| Command::Remove(id, r)).await?
    }
    /// Pauses or resumes a watch; resuming catches up with what changed meanwhile.
    pub async fn set_enabled(&self, id: WatchId, enabled: bool) -> Result<()> {
        self.ask(|r| Command::SetEnabled(id, enabled, r)).await?
    }
    /// Compares the folder with the journal now.
    pub async fn rescan(&self, id: WatchId) -> Result<()> {
        self.ask(|r| Command::Rescan(id, r)).await?
    }
    pub async fn list(&self) -> Result<Vec<WatchStatus>> {
        self.ask(Command::List).await
    }
    pub async fn status(&self, id: WatchId) -> Result<WatchStatus> {
        self.list()
            .await?
            .into_iter()
            .find(|s| s.id == id)
            .ok_or_else(|| HoistError::InvalidInput(format!("there is no watch {id}")))
    }
    /// Stops watching (uploads already queued stay with the engine).
    pub async fn stop(&self) -> Result<()> {
        self.ask(Command::Stop).await
    }

    async fn ask<T>(&self, make: impl FnOnce(oneshot::Sender<T>) -> Command) -> Result<T> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(make(tx))
            .map_err(|_| HoistError::InvalidInput("the watcher has stopped".into()))?;
        rx.await
            .map_err(|_| HoistError::InvalidInput("the watcher has stopped".into()))
    }
}

/// A file's upload in flight, and the record it becomes once verified.
struct Inflight {
    record: FileRecord,
}

struct WatchRuntime {
    cfg: WatchConfig,
    patterns: Patterns,
    debouncer: Option<Debouncer<notify::RecommendedWatcher, RecommendedCache>>,
    settler: Settler,
    /// What the journal says is in the bucket (synced records only).
    records: HashMap<String, FileRecord>,
    inflight: HashMap<String, Inflight>,
    /// Changed again while in flight: looked at again once the upload ends.
    recheck: HashSet<String>,
    /// Local deletions waiting for their grace period (only with `delete_remote`).
    deletions: HashMap<String, Instant>,
    /// Records to write to the journal at the next tick (batched).
    unsaved: Vec<(String, FileRecord)>,
    phase: WatchPhase,
    error: Option<String>,
    failures: u64,
    last_synced_at: Option<i64>,
    needs_scan: bool,
    last_scan: Instant,
    last_emitted: Option<WatchStatus>,
    /// The folder's filesystem when watching began.
    root_device: Option<u64>,
}

impl WatchRuntime {
    fn status(&self) -> WatchStatus {
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

    fn root_present(&self) -> bool {
        std::fs::metadata(&self.cfg.root).is_ok_and(|m| m.is_dir())
    }

    /// The filesystem the folder is on: when it changes (a drive unmounted under a
    /// mount point that stays, or mounted again) the kernel watches are stale.
    fn root_device(&self) -> Option<u64> {
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

    fn rel(&self, path: &Path) -> Option<String> {
        config::relative_path(&self.cfg.root, path)
    }

    /// Records under `rel` (the file itself or a folder's contents).
    fn known_under(&self, rel: &str) -> Vec<String> {
        let folder = format!("{rel}/");
        self.records
            .keys()
            .filter(|k| *k == rel || k.starts_with(&folder))
            .cloned()
            .collect()
    }
}

struct Actor {
    engine: Engine,
    settings: WatchSettings,
    watches: HashMap<WatchId, WatchRuntime>,
    by_upload: HashMap<UploadId, (WatchId, String)>,
    fs_tx: mpsc::UnboundedSender<(WatchId, DebounceEventResult)>,
    /// The engine's stream dropped events: ask the journal how uploads ended.
    lagged: bool,
    last_poll: Instant,
    last_config: Instant,
}

impl Actor {
    async fn run(
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
    async fn sync_config(&mut self) -> Result<()> {
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
    fn begin(&mut self, id: WatchId) {
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

    /// Compares the whole folder with the journal: the catch-up and the reconcile.
    async fn full_scan(&mut self, id: WatchId) {
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
    async fn upload_ready(&mut self, id: WatchId) {
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
    async fn mirror_deletions(&mut self, id: WatchId) {
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

/// Puts a file found by a scan in line to settle unless the journal proves it synced
/// (or it is already settling or in flight).
fn consider(w: &mut WatchRuntime, rel: &str, identity: FileIdentity, ctime_ns: i64, now: Instant) {
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
fn scan_folder(w: &mut WatchRuntime, dir: &Path) {
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

fn touch(w: &mut WatchRuntime, path: &Path, signal: Signal, at: Instant) {
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

fn removed(w: &mut WatchRuntime, path: &Path, at: Instant) {
    let Some(rel) = w.rel(path) else { return };
    w.settler.forget(&rel);
    if !w.cfg.delete_remote {
        return;
    }
    for k in w.known_under(&rel) {
        w.deletions.entry(k).or_insert(at);
    }
}
