//! The engine: a queue of uploads run by one actor task. Shells hold a cloneable
//! `Engine` handle; requests travel over a channel, results come back as events.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::SdkConfig;
use serde::Serialize;
use tokio::sync::{Semaphore, broadcast, mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::error::{HoistError, Result};
use crate::events::{EngineEvent, EventSender, ProgressBoard};
use crate::journal::{
    ConflictPolicy, HistoryEntry, NewUpload, UploadId, UploadJournal, UploadRow, UploadState,
    now_ms,
};
use crate::plan::MIB;
use crate::retry::RetryPolicy;
use crate::source;
use crate::store::{PendingMultipart, S3Store};
use crate::target::{
    AwsChainCredentials, BucketAccess, SharedResolver, Target, build_client, load_base_config,
    resolve_target,
};
use crate::upload::{self, Outcome, WorkerCtx};

#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// Requests in flight at once, across all files (the global pool).
    pub concurrency: usize,
    /// Bytes of file data held in memory at once, across all files: bounds memory to
    /// about this much, however large or many the files.
    pub memory_budget: u64,
    /// Preferred part size; grown when a file would need more than 10,000 parts.
    pub part_size: u64,
    /// Files smaller than this go as a single PUT.
    pub multipart_threshold: u64,
    pub retry: RetryPolicy,
    /// How often coalesced progress events are published.
    pub progress_interval: Duration,
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            concurrency: 32,
            memory_budget: 128 * MIB,
            part_size: 16 * MIB,
            multipart_threshold: 8 * MIB,
            retry: RetryPolicy::default(),
            progress_interval: Duration::from_millis(250),
        }
    }
}

pub struct EngineOptions {
    pub journal_path: PathBuf,
    pub settings: EngineSettings,
    pub credentials: SharedResolver,
}

impl EngineOptions {
    pub fn new(journal_path: impl Into<PathBuf>) -> EngineOptions {
        EngineOptions {
            journal_path: journal_path.into(),
            settings: EngineSettings::default(),
            credentials: Arc::new(AwsChainCredentials),
        }
    }
}

/// Options for queued files.
#[derive(Debug, Clone, Default)]
pub struct AddOptions {
    pub priority: i32,
    pub conflict: ConflictPolicy,
    /// Queue without starting (the user resumes them later).
    pub start_paused: bool,
}

/// A file and the exact key it lands at (what `add` makes of paths, and what a
/// watched folder hands over directly).
pub type KeyedFile = source::SourceFile;

/// What the queue shows for one upload.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ItemStatus {
    #[ts(type = "number")]
    pub id: UploadId,
    #[ts(type = "string")]
    pub path: PathBuf,
    pub bucket: String,
    pub key: String,
    #[ts(type = "number")]
    pub size: u64,
    /// Bytes already stored (parts done; the whole size once verified).
    #[ts(type = "number")]
    pub bytes_done: u64,
    pub state: ItemState,
    pub priority: i32,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ItemState {
    Queued,
    Running,
    Paused,
    Verified,
    Skipped,
    Failed,
    Cancelled,
}

impl ItemState {
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ItemState::Verified | ItemState::Skipped | ItemState::Failed | ItemState::Cancelled
        )
    }
}

/// Why a running worker was asked to stop.
const STOP_PAUSE: u8 = 1;
const STOP_CANCEL: u8 = 2;
const STOP_SHUTDOWN: u8 = 3;

enum Command {
    Enqueue(Vec<UploadRow>),
    Pause(Option<UploadId>, oneshot::Sender<Result<()>>),
    Resume(Option<UploadId>, oneshot::Sender<Result<()>>),
    Cancel(UploadId, oneshot::Sender<Result<()>>),
    Remove(UploadId, oneshot::Sender<Result<()>>),
    Retry(Option<UploadId>, oneshot::Sender<Result<()>>),
    SetPriority(UploadId, i32, oneshot::Sender<Result<()>>),
    Snapshot(oneshot::Sender<Vec<ItemStatus>>),
    WaitIdle(oneshot::Sender<()>),
    Shutdown(oneshot::Sender<()>),
}

struct Shared {
    journal: Arc<UploadJournal>,
    events: EventSender,
    pool: Arc<Semaphore>,
    memory: Arc<Semaphore>,
    board: ProgressBoard,
    settings: Arc<EngineSettings>,
    base: SdkConfig,
    credentials: SharedResolver,
    stores: Mutex<HashMap<Target, S3Store>>,
    /// Held while the engine runs; released by shutdown so a new engine can start at once.
    lock: Mutex<Option<std::fs::File>>,
}

impl Shared {
    /// Aborts an upload's multipart upload on its store, so no parts linger there.
    async fn abort_multipart(&self, row: &UploadRow, multipart_id: &str) -> Result<()> {
        self.store_for(&row.target)?
            .abort(&row.key, multipart_id)
            .await
    }

    fn store_for(&self, target: &Target) -> Result<S3Store> {
        let mut key = target.clone();
        key.prefix.clear();
        let mut stores = self.stores.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = stores.get(&key) {
            return Ok(s.clone());
        }
        let creds = self.credentials.resolve(target.profile.as_deref())?;
        let store = S3Store::new(build_client(&self.base, target, creds)?, &target.bucket);
        stores.insert(key, store.clone());
        Ok(store)
    }
}

/// The handle shells hold. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    shared: Arc<Shared>,
    commands: mpsc::UnboundedSender<Command>,
}

impl Engine {
    /// Opens the journal (taking its lock: one engine per journal) and starts the queue.
    pub async fn start(options: EngineOptions) -> Result<Engine> {
        let EngineOptions {
            journal_path,
            settings,
            credentials,
        } = options;
        if settings.concurrency == 0 {
            return Err(HoistError::InvalidInput(
                "concurrency must be at least 1".into(),
            ));
        }
        let journal = Arc::new(UploadJournal::open(&journal_path)?);
        let lock = lock_journal(&journal_path)?;
        let (events, _) = broadcast::channel(4096);
        let shared = Arc::new(Shared {
            journal,
            pool: Arc::new(Semaphore::new(settings.concurrency)),
            memory: Arc::new(Semaphore::new(upload::memory_units(settings.memory_budget))),
            board: ProgressBoard::default(),
            settings: Arc::new(settings),
            base: load_base_config().await,
            credentials,
            stores: Mutex::new(HashMap::new()),
            events,
            lock: Mutex::new(Some(lock)),
        });
        tokio::spawn(
            shared
                .board
                .clone()
                .run(shared.events.downgrade(), shared.settings.progress_interval),
        );
        let (tx, rx) = mpsc::unbounded_channel();
        let actor = Actor {
            shared: shared.clone(),
            items: HashMap::new(),
            waiting: BTreeSet::new(),
            running: HashMap::new(),
            idle_waiters: Vec::new(),
            shutdown_waiters: Vec::new(),
        };
        tokio::spawn(actor.run(rx));
        Ok(Engine {
            shared,
            commands: tx,
        })
    }

    pub fn subscribe(&self) -> broadcast::Receiver<EngineEvent> {
        self.shared.events.subscribe()
    }

    pub fn journal(&self) -> &UploadJournal {
        &self.shared.journal
    }

    pub fn settings(&self) -> &EngineSettings {
        &self.shared.settings
    }

    /// Fills the target's open fields (endpoint, region) from the environment.
    pub fn resolve_target(&self, target: Target) -> Result<Target> {
        let t = resolve_target(&self.shared.base, target);
        t.validate()?;
        Ok(t)
    }

    /// The target's client with the engine's credentials seam, for share links, the
    /// bucket browser and URL fetches (cached per target like the upload stores).
    pub fn access(&self, target: Target) -> Result<BucketAccess> {
        let target = self.resolve_target(target)?;
        let store = self.shared.store_for(&target)?;
        BucketAccess::from_store(
            &self.shared.base,
            self.shared.credentials.as_ref(),
            target,
            store,
        )
    }

    /// Queues files and folders (folders recursively). Returns the new uploads' ids.
    pub async fn add(
        &self,
        paths: Vec<PathBuf>,
        target: Target,
        options: AddOptions,
    ) -> Result<Vec<UploadId>> {
        let target = self.resolve_target(target)?;
        let prefix = target.prefix.clone();
        let files = tokio::task::spawn_blocking(move || source::expand(&paths, &prefix))
            .await
            .expect("scan task panicked")?;
        self.enqueue_files(files, target, options).await
    }

    /// Queues files whose keys the caller chose (a watched folder keeps its layout under
    /// the watch's prefix). The target's prefix is not applied again.
    pub async fn add_keyed(
        &self,
        files: Vec<KeyedFile>,
        target: Target,
        options: AddOptions,
    ) -> Result<Vec<UploadId>> {
        if files.is_empty() {
            return Ok(Vec::new());
        }
        let target = self.resolve_target(target)?;
        self.enqueue_files(files, target, options).await
    }

    /// Records the files in the journal (one transaction) and hands them to the queue.
    async fn enqueue_files(
        &self,
        files: Vec<KeyedFile>,
        target: Target,
        options: AddOptions,
    ) -> Result<Vec<UploadId>> {
        let uploads: Vec<NewUpload> = files
            .into_iter()
            .map(|f| NewUpload {
                content_type: source::content_type_for(&f.path),
                path: absolute(&f.path),
                identity: f.identity,
                target: target.clone(),
                key: f.key,
                priority: options.priority,
                conflict: options.conflict,
            })
            .collect();
        let initial = if options.start_paused {
            UploadState::Paused
        } else {
            UploadState::Queued
        };
        let journal = self.shared.journal.clone();
        let (ids, rows) = tokio::task::spawn_blocking(move || -> Result<_> {
            let ids = journal.insert_uploads(&uploads, initial)?;
            let rows = ids
                .iter()
                .filter_map(|id| journal.upload(*id).transpose())
                .collect::<Result<Vec<UploadRow>>>()?;
            Ok((ids, rows))
        })
        .await
        .expect("journal task panicked")?;
        self.send(Command::Enqueue(rows))?;
        Ok(ids)
    }

    /// Queues these journal uploads again if the journal still has them queued (an
    /// earlier session's unfinished uploads); ones already in the queue are left alone.
    pub async fn requeue(&self, ids: &[UploadId]) -> Result<()> {
        let mut rows = Vec::new();
        for id in ids {
            if let Some(row) = self.shared.journal.upload(*id)?
                && row.state == UploadState::Queued
            {
                rows.push(row);
            }
        }
        self.send(Command::Enqueue(rows))
    }

    /// Publishes an event on the engine's stream (watched folders report through it).
    pub(crate) fn emit(&self, event: EngineEvent) {
        let _ = self.shared.events.send(event);
    }

    /// The store client for a target (shared with the uploads).
    pub(crate) fn store_for(&self, target: &Target) -> Result<S3Store> {
        self.shared.store_for(&self.resolve_target(target.clone())?)
    }

    /// Queues every upload the journal has as unfinished (after a crash or restart).
    pub async fn resume_unfinished(&self) -> Result<Vec<UploadId>> {
        let rows = self.shared.journal.uploads_in(&[UploadState::Queued])?;
        let ids = rows.iter().map(|r| r.id).collect();
        self.send(Command::Enqueue(rows))?;
        Ok(ids)
    }

    /// Shows paused and failed uploads from earlier sessions in the queue, without
    /// starting them.
    pub async fn load_stopped(&self) -> Result<Vec<UploadId>> {
        let rows = self
            .shared
            .journal
            .uploads_in(&[UploadState::Paused, UploadState::Failed])?;
        let ids = rows.iter().map(|r| r.id).collect();
        self.send(Command::Enqueue(rows))?;
        Ok(ids)
    }

    pub async fn pause(&self, id: UploadId) -> Result<()> {
        self.ask(|r| Command::Pause(Some(id), r)).await?
    }
    pub async fn pause_all(&self) -> Result<()> {
        self.ask(|r| Command::Pause(None, r)).await?
    }
    pub async fn resume(&self, id: UploadId) -> Result<()> {
        self.ask(|r| Command::Resume(Some(id), r)).await?
    }
    pub async fn resume_all(&self) -> Result<()> {
        self.ask(|r| Command::Resume(None, r)).await?
    }
    /// Stops the upload and aborts its multipart upload on the store.
    pub async fn cancel(&self, id: UploadId) -> Result<()> {
        self.ask(|r| Command::Cancel(id, r)).await?
    }
    /// Takes a finished upload out of the queue; its history stays. A failed upload's
    /// partial multipart upload is aborted, since it will not be retried.
    pub async fn remove(&self, id: UploadId) -> Result<()> {
        self.ask(|r| Command::Remove(id, r)).await?
    }
    pub async fn retry(&self, id: UploadId) -> Result<()> {
        self.ask(|r| Command::Retry(Some(id), r)).await?
    }
    pub async fn retry_failed(&self) -> Result<()> {
        self.ask(|r| Command::Retry(None, r)).await?
    }
    pub async fn set_priority(&self, id: UploadId, priority: i32) -> Result<()> {
        self.ask(|r| Command::SetPriority(id, priority, r)).await?
    }
    pub async fn snapshot(&self) -> Result<Vec<ItemStatus>> {
        self.ask(Command::Snapshot).await
    }
    /// Resolves when nothing is queued or running.
    pub async fn wait_idle(&self) -> Result<()> {
        self.ask(Command::WaitIdle).await
    }
    /// Stops every worker, leaving the journal so that a later start resumes, and
    /// releases the journal. The engine accepts no more requests afterwards.
    pub async fn shutdown(&self) -> Result<()> {
        self.ask(Command::Shutdown).await
    }

    /// Multipart uploads on the store that the journal does not intend to finish.
    pub async fn orphans(&self, target: Target) -> Result<Vec<PendingMultipart>> {
        let target = self.resolve_target(target)?;
        let store = self.shared.store_for(&target)?;
        let live = self.shared.journal.live_multipart_ids()?;
        let prefix = target.prefix.clone();
        Ok(store
            .list_multipart_uploads()
            .await?
            .into_iter()
            .filter(|u| !live.contains(&u.upload_id) && u.key.starts_with(&prefix))
            .collect())
    }

    /// Aborts orphaned multipart uploads begun more than `older_than` ago.
    pub async fn abort_orphans(
        &self,
        target: Target,
        older_than: Duration,
    ) -> Result<Vec<PendingMultipart>> {
        let target = self.resolve_target(target)?;
        let store = self.shared.store_for(&target)?;
        let cutoff = now_ms() - older_than.as_millis() as i64;
        let mut aborted = Vec::new();
        for u in self.orphans(target).await? {
            if u.initiated_ms.is_none_or(|t| t <= cutoff) {
                store.abort(&u.key, &u.upload_id).await?;
                aborted.push(u);
            }
        }
        Ok(aborted)
    }

    fn send(&self, c: Command) -> Result<()> {
        self.commands.send(c).map_err(|_| HoistError::Cancelled)
    }

    async fn ask<T>(&self, make: impl FnOnce(oneshot::Sender<T>) -> Command) -> Result<T> {
        let (tx, rx) = oneshot::channel();
        self.send(make(tx))?;
        rx.await.map_err(|_| HoistError::Cancelled)
    }
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

fn lock_journal(journal: &Path) -> Result<std::fs::File> {
    let lock_path = journal.with_extension("lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| HoistError::local_file(&lock_path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(HoistError::InvalidInput(format!(
            "another Hoist is already running on the journal {} (wait for it, or stop it first)",
            journal.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(HoistError::local_file(&lock_path, e)),
    }
}

struct Item {
    row: UploadRow,
    state: ItemState,
    error: Option<String>,
}

struct Running {
    stop: CancellationToken,
    reason: Arc<AtomicU8>,
}

impl Running {
    /// Asks the worker to stop; `finished` reads the reason once it has.
    fn stop(&self, reason: u8) {
        self.reason.store(reason, Ordering::SeqCst);
        self.stop.cancel();
    }
}

struct Actor {
    shared: Arc<Shared>,
    items: HashMap<UploadId, Item>,
    /// Waiting uploads, highest priority first, then oldest.
    waiting: BTreeSet<(std::cmp::Reverse<i32>, UploadId)>,
    running: HashMap<UploadId, Running>,
    idle_waiters: Vec<oneshot::Sender<()>>,
    shutdown_waiters: Vec<oneshot::Sender<()>>,
}

type Done = (UploadId, Outcome, i64);

impl Actor {
    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        let (done_tx, mut done_rx) = mpsc::unbounded_channel::<Done>();
        let mut handles_gone = false;
        loop {
            if handles_gone && self.running.is_empty() {
                return;
            }
            tokio::select! {
                cmd = commands.recv(), if !handles_gone => match cmd {
                    Some(cmd) => self.handle(cmd),
                    None => {
                        // Every Engine handle is gone: stop like a shutdown.
                        handles_gone = true;
                        self.begin_shutdown();
                    }
                },
                Some((id, outcome, started)) = done_rx.recv() => self.finished(id, outcome, started),
            }
            if self.shutdown_waiters.is_empty() {
                self.schedule(&done_tx);
            } else if self.running.is_empty() {
                // Stopped: release the journal, answer, and end (the handle's calls
                // fail from now on).
                self.shared
                    .lock
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .take();
                for w in self.shutdown_waiters.drain(..) {
                    let _ = w.send(());
                }
                return;
            }
            if self.running.is_empty() && self.waiting.is_empty() && !self.idle_waiters.is_empty() {
                for w in self.idle_waiters.drain(..) {
                    let _ = w.send(());
                }
            }
        }
    }

    fn max_active_files(&self) -> usize {
        // Enough files to keep the pool busy with small files; a large file fills the
        // pool with its own parts anyway.
        self.shared.settings.concurrency * 2
    }

    fn schedule(&mut self, done_tx: &mpsc::UnboundedSender<Done>) {
        while self.running.len() < self.max_active_files() {
            let Some(&(prio, id)) = self.waiting.iter().next() else {
                break;
            };
            self.waiting.remove(&(prio, id));
            let Some(item) = self.items.get_mut(&id) else {
                continue;
            };
            if item.state != ItemState::Queued {
                continue;
            }
            let store = match self.shared.store_for(&item.row.target) {
                Ok(s) => s,
                Err(e) => {
                    let row = item.row.clone();
                    self.fail(&row, &e, now_ms());
                    continue;
                }
            };
            item.state = ItemState::Running;
            item.error = None;
            let stop = CancellationToken::new();
            let reason = Arc::new(AtomicU8::new(0));
            self.running.insert(
                id,
                Running {
                    stop: stop.clone(),
                    reason,
                },
            );
            let ctx = WorkerCtx {
                journal: self.shared.journal.clone(),
                events: self.shared.events.clone(),
                pool: self.shared.pool.clone(),
                memory: self.shared.memory.clone(),
                board: self.shared.board.clone(),
                settings: self.shared.settings.clone(),
                store,
                stop,
            };
            let done_tx = done_tx.clone();
            let started_at = now_ms();
            tokio::spawn(async move {
                let outcome = upload::run(ctx, id).await;
                let _ = done_tx.send((id, outcome, started_at));
            });
        }
    }

    fn emit(&self, e: EngineEvent) {
        let _ = self.shared.events.send(e);
    }

    fn handle(&mut self, cmd: Command) {
        match cmd {
            Command::Enqueue(rows) => {
                for row in rows {
                    let id = row.id;
                    if self.items.get(&id).is_some_and(|i| !i.state.is_final()) {
                        continue;
                    }
                    let state = match row.state {
                        UploadState::Paused => ItemState::Paused,
                        UploadState::Failed => ItemState::Failed,
                        _ => ItemState::Queued,
                    };
                    self.emit(EngineEvent::Queued {
                        id,
                        path: row.path.display().to_string(),
                        bucket: row.target.bucket.clone(),
                        key: row.key.clone(),
                        size: row.identity.size,
                    });
                    if state == ItemState::Queued {
                        self.waiting.insert((std::cmp::Reverse(row.priority), id));
                    }
                    let error = row.error.clone();
                    self.items.insert(id, Item { row, state, error });
                }
            }
            Command::Pause(target, reply) => {
                let ids = self.select(target, |s| {
                    matches!(s, ItemState::Queued | ItemState::Running)
                });
                let r = ids.into_iter().try_for_each(|id| self.pause(id));
                let _ = reply.send(r);
            }
            Command::Resume(target, reply) => {
                let ids = self.select(target, |s| s == ItemState::Paused);
                let r = ids.into_iter().try_for_each(|id| self.requeue(id));
                let _ = reply.send(r);
            }
            Command::Retry(target, reply) => {
                let ids = self.select(target, |s| s == ItemState::Failed);
                let r = ids.into_iter().try_for_each(|id| self.requeue(id));
                let _ = reply.send(r);
            }
            Command::Cancel(id, reply) => {
                let _ = reply.send(self.cancel(id));
            }
            Command::Remove(id, reply) => {
                let _ = reply.send(self.remove(id));
            }
            Command::SetPriority(id, priority, reply) => {
                let r = match self.items.get_mut(&id) {
                    None => Err(unknown(id)),
                    Some(item) => {
                        let was_waiting = self
                            .waiting
                            .remove(&(std::cmp::Reverse(item.row.priority), id));
                        item.row.priority = priority;
                        if was_waiting {
                            self.waiting.insert((std::cmp::Reverse(priority), id));
                        }
                        self.shared.journal.set_priority(id, priority)
                    }
                };
                let _ = reply.send(r);
            }
            Command::Snapshot(reply) => {
                let mut list: Vec<ItemStatus> = self
                    .items
                    .values()
                    .map(|i| ItemStatus {
                        id: i.row.id,
                        path: i.row.path.clone(),
                        bucket: i.row.target.bucket.clone(),
                        key: i.row.key.clone(),
                        size: i.row.identity.size,
                        bytes_done: match i.state {
                            ItemState::Verified => i.row.identity.size,
                            _ => self.shared.board.done(i.row.id).unwrap_or(i.row.bytes_done),
                        },
                        state: i.state,
                        priority: i.row.priority,
                        error: i.error.clone(),
                    })
                    .collect();
                list.sort_by_key(|s| s.id);
                let _ = reply.send(list);
            }
            Command::WaitIdle(reply) => self.idle_waiters.push(reply),
            Command::Shutdown(reply) => {
                self.begin_shutdown();
                self.shutdown_waiters.push(reply);
            }
        }
    }

    /// Ids the command applies to: one (checked) or all in matching states.
    fn select(&self, target: Option<UploadId>, pred: impl Fn(ItemState) -> bool) -> Vec<UploadId> {
        match target {
            Some(id) => match self.items.get(&id) {
                Some(i) if pred(i.state) => vec![id],
                _ => vec![],
            },
            None => {
                let mut ids: Vec<_> = self
                    .items
                    .values()
                    .filter(|i| pred(i.state))
                    .map(|i| i.row.id)
                    .collect();
                ids.sort();
                ids
            }
        }
    }

    /// Stops the workers and starts nothing new; the journal keeps them queued.
    fn begin_shutdown(&mut self) {
        for r in self.running.values() {
            r.stop(STOP_SHUTDOWN);
        }
        self.waiting.clear();
    }

    fn pause(&mut self, id: UploadId) -> Result<()> {
        let item = self.items.get_mut(&id).ok_or_else(|| unknown(id))?;
        self.shared
            .journal
            .set_state(id, UploadState::Paused, None)?;
        if let Some(r) = self.running.get(&id) {
            // The worker stops; `finished` reports the pause once it has.
            r.stop(STOP_PAUSE);
        } else {
            self.waiting
                .remove(&(std::cmp::Reverse(item.row.priority), id));
            item.state = ItemState::Paused;
            self.emit(EngineEvent::Paused { id });
        }
        Ok(())
    }

    fn requeue(&mut self, id: UploadId) -> Result<()> {
        let item = self.items.get_mut(&id).ok_or_else(|| unknown(id))?;
        self.shared
            .journal
            .set_state(id, UploadState::Queued, None)?;
        item.state = ItemState::Queued;
        item.error = None;
        if !self.running.contains_key(&id) {
            self.waiting
                .insert((std::cmp::Reverse(item.row.priority), id));
        }
        Ok(())
    }

    fn cancel(&mut self, id: UploadId) -> Result<()> {
        let item = self.items.get_mut(&id).ok_or_else(|| unknown(id))?;
        if item.state.is_final() && item.state != ItemState::Failed {
            return Ok(());
        }
        if let Some(r) = self.running.get(&id) {
            r.stop(STOP_CANCEL);
            return Ok(());
        }
        self.waiting
            .remove(&(std::cmp::Reverse(item.row.priority), id));
        item.state = ItemState::Cancelled;
        let row = item.row.clone();
        self.finish_cancel(row, now_ms());
        Ok(())
    }

    fn remove(&mut self, id: UploadId) -> Result<()> {
        let item = self.items.get(&id).ok_or_else(|| unknown(id))?;
        if !item.state.is_final() {
            return Err(HoistError::InvalidInput(format!(
                "upload {id} is not finished: pause or cancel it first"
            )));
        }
        if item.state == ItemState::Failed {
            // Not shown again after a restart, and no parts left behind on the store.
            self.shared
                .journal
                .set_state(id, UploadState::Cancelled, item.error.as_deref())?;
            if let Some(mp) = item.row.multipart_id.clone() {
                let (shared, row) = (self.shared.clone(), item.row.clone());
                tokio::spawn(async move {
                    if let Err(e) = shared.abort_multipart(&row, &mp).await {
                        tracing::warn!("aborting the parts of removed upload {}: {e}", row.id);
                    }
                });
            }
        }
        self.items.remove(&id);
        self.emit(EngineEvent::Removed { id });
        Ok(())
    }

    /// Aborts the multipart upload (so no parts linger on the store) and records it.
    fn finish_cancel(&self, row: UploadRow, started: i64) {
        let shared = self.shared.clone();
        tokio::spawn(async move {
            let fresh = shared.journal.upload(row.id).ok().flatten().unwrap_or(row);
            let mut message = "cancelled by the user".to_owned();
            if let Some(mp) = &fresh.multipart_id {
                if let Err(e) = shared.abort_multipart(&fresh, mp).await {
                    message = format!(
                        "cancelled; aborting the partial upload failed ({e}): `hoist abort-orphans` cleans it up"
                    );
                }
            }
            let entry = history(
                &fresh,
                "cancelled",
                None,
                None,
                Some(message),
                0,
                0,
                started,
            );
            if let Err(e) = shared
                .journal
                .finish(fresh.id, UploadState::Cancelled, &entry)
            {
                tracing::error!("journal: {e}");
            }
            let _ = shared.events.send(EngineEvent::Cancelled { id: fresh.id });
        });
    }

    fn fail(&mut self, row: &UploadRow, e: &HoistError, started: i64) {
        let message = e.to_string();
        let entry = history(
            row,
            "failed",
            None,
            None,
            Some(message.clone()),
            0,
            0,
            started,
        );
        if let Err(je) = self
            .shared
            .journal
            .finish(row.id, UploadState::Failed, &entry)
        {
            tracing::error!("journal: {je}");
        }
        if let Some(item) = self.items.get_mut(&row.id) {
            item.state = ItemState::Failed;
            item.error = Some(message);
        }
        self.emit(EngineEvent::Failed {
            id: row.id,
            key: row.key.clone(),
            error: e.to_report(),
        });
    }

    fn finished(&mut self, id: UploadId, outcome: Outcome, started: i64) {
        let reason = self
            .running
            .remove(&id)
            .map(|r| r.reason.load(Ordering::SeqCst))
            .unwrap_or(0);
        // The worker may have changed the key (rename policy): read the row back.
        let row = match self.shared.journal.upload(id) {
            Ok(Some(row)) => row,
            _ => match self.items.get(&id) {
                Some(i) => i.row.clone(),
                None => return,
            },
        };
        if let Some(item) = self.items.get_mut(&id) {
            item.row = row.clone();
        }
        match outcome {
            Outcome::Landed(l) => {
                let entry = history(
                    &row,
                    "verified",
                    l.etag.clone(),
                    l.checksum.clone(),
                    None,
                    l.bytes_sent,
                    l.bytes_resent,
                    started,
                );
                if let Err(e) = self.shared.journal.finish(id, UploadState::Done, &entry) {
                    tracing::error!("journal: {e}");
                }
                self.set_state(id, ItemState::Verified);
                self.emit(EngineEvent::Completed {
                    id,
                    bucket: row.target.bucket.clone(),
                    key: l.key,
                    size: l.size,
                    etag: l.etag,
                    checksum: l.checksum,
                    verification: l.verification,
                    bytes_sent: l.bytes_sent,
                    bytes_resent: l.bytes_resent,
                });
            }
            Outcome::Skipped { key, reason } => {
                let entry = history(
                    &row,
                    "skipped",
                    None,
                    None,
                    Some(reason.clone()),
                    0,
                    0,
                    started,
                );
                if let Err(e) = self.shared.journal.finish(id, UploadState::Skipped, &entry) {
                    tracing::error!("journal: {e}");
                }
                self.set_state(id, ItemState::Skipped);
                self.emit(EngineEvent::Skipped { id, key, reason });
            }
            Outcome::Failed(e) => self.fail(&row, &e, started),
            Outcome::Stopped => match reason {
                STOP_PAUSE => {
                    self.set_state(id, ItemState::Paused);
                    self.emit(EngineEvent::Paused { id });
                }
                STOP_CANCEL => {
                    self.set_state(id, ItemState::Cancelled);
                    self.finish_cancel(row, started);
                }
                _ => {
                    // Shutdown: the journal still says queued, so a restart resumes it.
                    self.set_state(id, ItemState::Queued);
                }
            },
        }
        if self.running.is_empty() && self.waiting.is_empty() && self.shutdown_waiters.is_empty() {
            self.emit(EngineEvent::Idle);
        }
    }

    fn set_state(&mut self, id: UploadId, state: ItemState) {
        if let Some(item) = self.items.get_mut(&id) {
            item.state = state;
            if state == ItemState::Queued
                && !self.running.contains_key(&id)
                && !self.shutdown_waiters.is_empty()
            {
                // not re-queued during shutdown
            }
        }
    }
}

fn unknown(id: UploadId) -> HoistError {
    HoistError::InvalidInput(format!("there is no upload {id} in the queue"))
}

#[allow(clippy::too_many_arguments)]
fn history(
    row: &UploadRow,
    result: &str,
    etag: Option<String>,
    checksum: Option<String>,
    message: Option<String>,
    bytes_sent: u64,
    bytes_resent: u64,
    started: i64,
) -> HistoryEntry {
    HistoryEntry {
        upload: row.id,
        path: row.path.clone(),
        endpoint: row.target.endpoint.clone(),
        bucket: row.target.bucket.clone(),
        key: row.key.clone(),
        size: row.identity.size,
        result: result.to_owned(),
        etag,
        checksum,
        message,
        bytes_sent,
        bytes_resent,
        started_at: started,
        finished_at: now_ms(),
    }
}
