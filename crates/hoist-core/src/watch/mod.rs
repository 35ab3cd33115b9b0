//! Watched folders: every new or changed file under a folder lands in the bucket once,
//! including what changed while the app was closed, and nothing remote is ever
//! destroyed.
//!
//! One actor task runs every watch; it only decides, and never waits on the disk:
//! walks, checksums and moves to the trash run as background tasks that report back
//! (`runtime::Work`). Filesystem events (notify + notify-debouncer-full, one kernel
//! watch per folder) feed the [`settle::Settler`], which decides when a file is
//! complete; ready files are checksummed in bounded batches and handed to the
//! [`Engine`] with the watch's target; the engine's `Completed` event (or, if the
//! event stream lagged, the journal) marks them synced in the journal. Scans
//! ([`scan`]) catch up on start, on new folders (inotify misses files created right
//! after `mkdir`), when the folder reappears, and periodically.
//!
//! Safety: links are not followed; a file counts as deleted only when proven
//! ([`proof`]); a burst of deletions is held until the user decides; each deletion is
//! its own object in the trash ([`trash`]); a refused file is retried with backoff;
//! roots that cannot be meant are refused ([`guard`]). State changes go out as
//! [`EngineEvent::Watch`] on the engine's one event stream.

mod actor;
pub mod config;
mod deletions;
pub mod guard;
mod listen;
pub mod proof;
mod runtime;
pub mod scan;
pub mod settle;
pub mod store;
mod sync;
pub mod trash;
mod writer;

use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use actor::Actor;
pub use config::{DEFAULT_EXCLUDES, DEFAULT_TRASH_PREFIX, Patterns, WatchConfig, WatchSpec};
pub use guard::RootGuard;
pub use store::{DeletionDecision, FileRecord};
pub use trash::TrashedFile;

use crate::error::{HoistError, Result};
pub use crate::events::{CannotRead, WatchId, WatchPhase, WatchStatus};
use crate::transfer::Engine;

/// Timings and limits of the watcher. The defaults suit people's folders; tests
/// shorten them.
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
    /// The large-deletion guard: more deletions at once than this many files, or
    /// than `max_delete_percent` of the watch (but at least 10 files), are held
    /// until the user decides (like rclone's `--max-delete`).
    pub max_delete: usize,
    pub max_delete_percent: usize,
    /// A file the store refused is tried again after this, doubling each time up to
    /// `retry_max`.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// Files checksummed per background batch (uploads start after the first batch).
    pub hash_batch: usize,
    /// Hoist's own data besides the journal (the local store, profiles): never
    /// watched, and left out of watches that contain it.
    pub protected: Vec<PathBuf>,
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
            max_delete: 50,
            max_delete_percent: 10,
            retry_base: Duration::from_secs(60),
            retry_max: Duration::from_secs(3600),
            hash_batch: 256,
            protected: Vec::new(),
        }
    }
}

enum Command {
    Add(Box<WatchSpec>, oneshot::Sender<Result<WatchConfig>>),
    Update(
        WatchId,
        Box<WatchSpec>,
        oneshot::Sender<Result<WatchConfig>>,
    ),
    Decide(WatchId, DeletionDecision, oneshot::Sender<Result<u64>>),
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
        let (work_tx, work_rx) = mpsc::unbounded_channel();
        let mut actor = Actor::new(engine.clone(), settings, fs_tx, work_tx);
        actor.sync_config().await?;
        let events = engine.subscribe();
        tokio::spawn(actor.run(rx, fs_rx, work_rx, events));
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
    /// Changes a watch (folder, target, patterns, deletions); it starts again with a
    /// catch-up scan. A new target uploads everything there.
    pub async fn update(&self, id: WatchId, spec: WatchSpec) -> Result<WatchConfig> {
        self.ask(|r| Command::Update(id, Box::new(spec), r)).await?
    }
    /// Answers the large-deletion guard for the deletions it holds now. Returns how
    /// many files the answer covers.
    pub async fn decide_deletions(&self, id: WatchId, decision: DeletionDecision) -> Result<u64> {
        self.ask(|r| Command::Decide(id, decision, r)).await?
    }
    /// The watch's deleted files in the trash, newest first.
    pub async fn trash(&self, id: WatchId) -> Result<Vec<TrashedFile>> {
        let cfg = self.engine.journal().watch(id)?;
        let store = self.engine.store_for(&cfg.target)?;
        trash::list(&store, &cfg).await
    }
    /// Puts a trashed file back into the watched folder (never over a file that is
    /// there); the watch uploads it again. Returns the file's path.
    pub async fn restore(&self, id: WatchId, trash_key: &str) -> Result<PathBuf> {
        let cfg = self.engine.journal().watch(id)?;
        let store = self.engine.store_for(&cfg.target)?;
        trash::restore(&store, &cfg, trash_key).await
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
