//! The engine handle: shells hold a cloneable [`Engine`]; requests travel over a
//! channel to the queue's actor (`actor.rs`), results come back as events.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::SdkConfig;
use tokio::sync::{Semaphore, broadcast, mpsc, oneshot};

use super::actor::{Actor, Command};
use super::gate::{MachineFacts, TransferSettings, WaitReason};
use super::progress::ProgressBoard;
use super::queue::{AddOptions, ItemStatus, KeyedFile};
use super::records::{NewUpload, UploadRow, UploadState};
use super::settings::EngineSettings;
use super::source;
use super::upload;
use crate::error::{HoistError, Result};
use crate::events::{EngineEvent, EventSender, UploadId};
use crate::journal::{UploadJournal, now_ms};
use crate::s3::{
    AwsChainCredentials, BucketAccess, KeyFacts, KeyTemplate, Multipart, ObjectOptions,
    PendingMultipart, RateLimit, S3Store, SharedResolver, Target, UploadStore, build_client,
    load_base_config, normalize_prefix, resolve_target,
};

pub struct EngineOptions {
    pub journal_path: PathBuf,
    pub settings: EngineSettings,
    pub credentials: SharedResolver,
    /// Every upload goes to this store instead (unit tests' in-memory store).
    pub(crate) store_override: Option<Arc<dyn UploadStore>>,
}

impl EngineOptions {
    pub fn new(journal_path: impl Into<PathBuf>) -> EngineOptions {
        EngineOptions {
            journal_path: journal_path.into(),
            settings: EngineSettings::default(),
            credentials: Arc::new(AwsChainCredentials),
            store_override: None,
        }
    }
}

pub(super) struct Shared {
    pub(super) journal: Arc<UploadJournal>,
    pub(super) events: EventSender,
    pub(super) pool: Arc<Semaphore>,
    pub(super) memory: Arc<Semaphore>,
    pub(super) board: ProgressBoard,
    /// The bandwidth cap every request's body passes through.
    pub(super) limit: Arc<RateLimit>,
    pub(super) settings: Arc<EngineSettings>,
    pub(super) base: SdkConfig,
    pub(super) credentials: SharedResolver,
    pub(super) stores: Mutex<HashMap<Target, S3Store>>,
    /// Held while the engine runs; released by shutdown so a new engine can start at once.
    pub(super) lock: Mutex<Option<std::fs::File>>,
    /// Unit tests run the queue against an in-memory store instead of the SDK's.
    pub(super) store_override: Option<Arc<dyn UploadStore>>,
    /// Requests in flight at once now (the pool's size; the user may change it).
    pub(super) concurrency: AtomicUsize,
    /// The user's transfer rules and the machine's facts that decide whether the
    /// queue holds (`gate::hold`), and the reason it holds now.
    pub(super) gate: Mutex<(TransferSettings, MachineFacts)>,
    pub(super) held: Mutex<Option<WaitReason>>,
}

impl Shared {
    /// Aborts an upload's multipart upload on its store, so no parts linger there.
    pub(super) async fn abort_multipart(&self, row: &UploadRow, multipart_id: &str) -> Result<()> {
        self.upload_store(&row.target)?
            .abort(&row.key, multipart_id)
            .await
    }

    /// The store uploads to `target` talk to.
    pub(super) fn upload_store(&self, target: &Target) -> Result<Arc<dyn UploadStore>> {
        match &self.store_override {
            Some(s) => Ok(s.clone()),
            None => Ok(Arc::new(self.store_for(target)?)),
        }
    }

    pub(super) fn store_for(&self, target: &Target) -> Result<S3Store> {
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
            store_override,
        } = options;
        if settings.concurrency == 0 {
            return Err(HoistError::InvalidInput(
                "concurrency must be at least 1".into(),
            ));
        }
        let journal = Arc::new(UploadJournal::open(&journal_path)?);
        let lock = lock_journal(&journal_path)?;
        let settings_concurrency = settings.concurrency;
        let (events, _) = broadcast::channel(4096);
        let shared = Arc::new(Shared {
            journal,
            pool: Arc::new(Semaphore::new(settings.concurrency)),
            memory: Arc::new(Semaphore::new(upload::memory_units(settings.memory_budget))),
            board: ProgressBoard::default(),
            limit: Arc::new({
                let l = RateLimit::default();
                l.set(settings.rate_limit);
                l
            }),
            settings: Arc::new(settings),
            base: load_base_config().await,
            credentials,
            stores: Mutex::new(HashMap::new()),
            events,
            lock: Mutex::new(Some(lock)),
            store_override,
            concurrency: AtomicUsize::new(settings_concurrency),
            gate: Mutex::new(Default::default()),
            held: Mutex::new(None),
        });
        tokio::spawn(
            shared
                .board
                .clone()
                .run(shared.events.downgrade(), shared.settings.progress_interval),
        );
        let (tx, rx) = mpsc::unbounded_channel();
        // The actor writes the journal between its decisions (SQLite, fsyncs): on a
        // thread of its own, so a slow disk never blocks a runtime thread. Its workers
        // still run on the runtime.
        let (actor, runtime) = (
            Actor::new(shared.clone()),
            tokio::runtime::Handle::current(),
        );
        std::thread::Builder::new()
            .name("hoist-queue".into())
            .spawn(move || runtime.block_on(actor.run(rx)))
            .map_err(|e| HoistError::InvalidInput(format!("cannot start the queue: {e}")))?;
        // The schedule window opens and closes with the clock: look again twice a
        // minute (a weak sender, so the engine still stops when its handles are gone).
        let weak = tx.downgrade();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(30));
            loop {
                tick.tick().await;
                match weak.upgrade() {
                    Some(tx) if tx.send(Command::Regate).is_ok() => {}
                    _ => return,
                }
            }
        });
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

    /// The local file an item uploads (its thumbnail is made from it), if the item
    /// is in the journal.
    pub async fn source_path(&self, id: UploadId) -> Result<Option<PathBuf>> {
        let journal = self.shared.journal.clone();
        let row = tokio::task::spawn_blocking(move || journal.upload(id))
            .await
            .expect("journal task panicked")?;
        Ok(row.map(|r| r.path))
    }

    pub fn settings(&self) -> &EngineSettings {
        &self.shared.settings
    }

    /// Caps the upload bandwidth of all requests together (bytes per second; `None`
    /// = unlimited). Takes effect at once, also for uploads that are running.
    pub fn set_rate_limit(&self, bytes_per_second: Option<u64>) {
        self.shared.limit.set(bytes_per_second.filter(|r| *r > 0));
    }

    pub fn rate_limit(&self) -> Option<u64> {
        self.shared.limit.get()
    }

    /// Requests (parts) in flight at once from now on, also for running uploads:
    /// a smaller pool takes effect as requests finish.
    pub fn set_concurrency(&self, n: usize) -> Result<()> {
        if !(1..=super::gate::MAX_CONCURRENCY as usize).contains(&n) {
            return Err(HoistError::InvalidInput(format!(
                "parts in flight must be between 1 and {} (got {n})",
                super::gate::MAX_CONCURRENCY
            )));
        }
        let old = self.shared.concurrency.swap(n, Ordering::SeqCst);
        if n > old {
            self.shared.pool.add_permits(n - old);
        } else if n < old {
            // Take the surplus slots out of the pool as they come free.
            let pool = self.shared.pool.clone();
            tokio::spawn(async move {
                if let Ok(p) = pool.acquire_many_owned((old - n) as u32).await {
                    p.forget();
                }
            });
        }
        self.send(Command::Regate)
    }

    pub fn concurrency(&self) -> usize {
        self.shared.concurrency.load(Ordering::SeqCst)
    }

    /// Applies the user's transfer settings at once: bandwidth cap, requests in
    /// flight (`None` = the engine's default), pause on metered, schedule window.
    pub fn apply_transfer_settings(&self, s: &TransferSettings) -> Result<()> {
        s.validate()?;
        self.set_rate_limit(s.rate_limit);
        let n = s
            .concurrency
            .map_or(self.shared.settings.concurrency, |c| c as usize);
        self.set_concurrency(n)?;
        self.shared.gate.lock().unwrap_or_else(|p| p.into_inner()).0 = s.clone();
        self.send(Command::Regate)
    }

    /// What the shell knows about the connection: metered or not (`None` = unknown).
    pub fn set_metered(&self, metered: Option<bool>) {
        self.shared.gate.lock().unwrap_or_else(|p| p.into_inner()).1 = MachineFacts { metered };
        let _ = self.send(Command::Regate);
    }

    /// Why the queue holds now (`None`: it sends).
    pub fn held(&self) -> Option<WaitReason> {
        self.shared
            .held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
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

    /// An access for account-wide calls (list and create buckets) with the engine's
    /// credentials: the target's bucket is not used and may be empty.
    pub fn account_access(&self, target: Target) -> Result<BucketAccess> {
        let target = resolve_target(&self.shared.base, target);
        target.validate_endpoint()?;
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
        let files = expand_keys(paths, &target.prefix, options.key_template.as_deref()).await?;
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
        let object = options.object.clone().validated()?;
        let uploads: Vec<NewUpload> = files
            .into_iter()
            .map(|f| NewUpload {
                content_type: object
                    .content_type
                    .clone()
                    .unwrap_or_else(|| source::content_type_for(&f.path)),
                options: ObjectOptions {
                    content_type: None,
                    ..object.clone()
                },
                path: absolute(&f.path),
                identity: f.identity,
                target: target.clone(),
                key: f.key,
                priority: options.priority,
                conflict: options.conflict,
                fetch: None,
            })
            .collect();
        let initial = if options.start_paused {
            UploadState::Paused
        } else {
            UploadState::Queued
        };
        self.enqueue(uploads, initial).await
    }

    /// Records new uploads in the journal (one transaction, keys reserved) and hands
    /// them to the queue.
    pub(super) async fn enqueue(
        &self,
        uploads: Vec<NewUpload>,
        initial: UploadState,
    ) -> Result<Vec<UploadId>> {
        let journal = self.shared.journal.clone();
        let (ids, rows, replaced) = tokio::task::spawn_blocking(move || -> Result<_> {
            let (ids, replaced) = journal.insert_reserving(uploads, initial)?;
            let rows = journal.uploads_by_id(&ids)?;
            Ok((ids, rows, replaced))
        })
        .await
        .expect("journal task panicked")?;
        if !replaced.is_empty() {
            self.send(Command::Replace(replaced))?;
        }
        self.send(Command::Enqueue(rows))?;
        Ok(ids)
    }

    /// Queues these journal uploads again if the journal still has them queued (an
    /// earlier session's unfinished uploads); ones already in the queue are left alone.
    pub async fn requeue(&self, ids: &[UploadId]) -> Result<()> {
        let ids = ids.to_vec();
        let rows = self
            .journal_call(move |j| {
                let mut rows = j.uploads_by_id(&ids)?;
                rows.retain(|row| row.state == UploadState::Queued);
                Ok(rows)
            })
            .await?;
        self.send(Command::Enqueue(rows))
    }

    /// A journal call on the blocking pool, never on a runtime thread.
    async fn journal_call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&UploadJournal) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let journal = self.shared.journal.clone();
        tokio::task::spawn_blocking(move || f(&journal))
            .await
            .expect("journal task panicked")
    }

    /// Publishes an event on the engine's stream (watched folders report through it).
    pub(crate) fn emit(&self, event: EngineEvent) {
        let _ = self.shared.events.send(event);
    }

    pub(super) fn upload_store(&self, target: &Target) -> Result<Arc<dyn UploadStore>> {
        self.shared.upload_store(target)
    }

    /// The store client for a target (shared with the uploads).
    pub(crate) fn store_for(&self, target: &Target) -> Result<S3Store> {
        self.shared.store_for(&self.resolve_target(target.clone())?)
    }

    /// Queues every upload the journal has as unfinished (after a crash or restart).
    pub async fn resume_unfinished(&self) -> Result<Vec<UploadId>> {
        let rows = self
            .journal_call(|j| j.uploads_in(&[UploadState::Queued]))
            .await?;
        let ids = rows.iter().map(|r| r.id).collect();
        self.send(Command::Enqueue(rows))?;
        Ok(ids)
    }

    /// Shows paused and failed uploads from earlier sessions in the queue, without
    /// starting them.
    pub async fn load_stopped(&self) -> Result<Vec<UploadId>> {
        let rows = self
            .journal_call(|j| j.uploads_in(&[UploadState::Paused, UploadState::Failed]))
            .await?;
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
    /// Queues a failed or cancelled upload again (a cancelled one from its start).
    pub async fn retry(&self, id: UploadId) -> Result<()> {
        self.ask(|r| Command::Retry(Some(id), r)).await?
    }
    /// Queues a failed upload again, from the journal when this session's queue does not
    /// hold it (a watched folder retries refused files with backoff, across restarts,
    /// with one queue item per file). `Ok(false)` when it is not a failed upload.
    pub async fn retry_upload(&self, id: UploadId) -> Result<bool> {
        let journal = self.shared.journal.clone();
        let row = tokio::task::spawn_blocking(move || -> Result<Option<UploadRow>> {
            match journal.upload(id)? {
                Some(mut row) if row.state == UploadState::Failed => {
                    journal.set_state(id, UploadState::Queued, None)?;
                    row.state = UploadState::Queued;
                    Ok(Some(row))
                }
                _ => Ok(None),
            }
        })
        .await
        .expect("journal task panicked")?;
        let Some(row) = row else { return Ok(false) };
        self.send(Command::Enqueue(vec![row]))?;
        Ok(true)
    }
    pub async fn retry_failed(&self) -> Result<()> {
        self.ask(|r| Command::Retry(None, r)).await?
    }
    pub async fn set_priority(&self, id: UploadId, priority: i32) -> Result<()> {
        self.ask(|r| Command::SetPriority(id, priority, r)).await?
    }
    /// Puts the uploads ahead of every other (the first given first): they start next.
    pub async fn move_to_top(&self, ids: Vec<UploadId>) -> Result<()> {
        self.ask(|r| Command::MoveToTop(ids, r)).await?
    }
    /// Takes every finished upload except failed ones out of the queue (their history
    /// stays). Returns how many.
    pub async fn remove_finished(&self) -> Result<usize> {
        self.ask(Command::RemoveFinished).await?
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
        let live = self.journal_call(live_everywhere).await?;
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
        Ok(()) => {
            // Who owns the transfers, for the message another Hoist gives.
            use std::io::Write;
            let _ = file.set_len(0);
            let _ = writeln!(&file, "{} {}", std::process::id(), program_name());
            Ok(file)
        }
        Err(std::fs::TryLockError::WouldBlock) => {
            let owner = std::fs::read_to_string(&lock_path).unwrap_or_default();
            Err(HoistError::InvalidInput(busy_message(journal, &owner)))
        }
        Err(std::fs::TryLockError::Error(e)) => Err(HoistError::local_file(&lock_path, e)),
    }
}

fn program_name() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default()
}

/// What a second Hoist on a locked journal says: the desktop app owns the transfers
/// while it runs (one queue, one journal), so the CLI does not upload beside it.
fn busy_message(journal: &Path, owner: &str) -> String {
    let mut words = owner.split_whitespace();
    let pid = words.next().unwrap_or("?");
    if words.next().is_some_and(|p| p.starts_with("hoist-desktop")) {
        format!(
            "the Hoist app is running (pid {pid}) and owns the transfers: add the files in the app, or quit it (tray → Quit) and run this again. `hoist history`, `hoist links` and `hoist watch list` work while it runs"
        )
    } else {
        format!(
            "another Hoist (pid {pid}) is already running on the journal {} (wait for it, or stop it first)",
            journal.display()
        )
    }
}

/// Multipart UploadIds that this journal or any other Hoist journal on this machine
/// (the desktop app's, another CLI journal) still intends to finish. A journal that
/// exists but cannot be read stops the cleanup: its uploads might be among them.
pub(super) fn live_everywhere(own: &UploadJournal) -> Result<std::collections::HashSet<String>> {
    let mut live = own.live_multipart_ids()?;
    let me = std::fs::canonicalize(own.path()).unwrap_or_else(|_| own.path().to_owned());
    for other in crate::journal::registry::registered() {
        if other == me {
            continue;
        }
        let ids = UploadJournal::open(&other)
            .and_then(|j| j.live_multipart_ids())
            .map_err(|e| {
                HoistError::InvalidInput(format!(
                    "the journal {} cannot be read ({e}), so orphans are not aborted: its unfinished uploads could be among them",
                    other.display()
                ))
            })?;
        live.extend(ids);
    }
    Ok(live)
}

/// The paths (folders recursively) as files with their keys under `prefix`, named by
/// `key_template` when one is given (`{yyyy}/{mm}/{name}`), else by their own names.
pub(super) async fn expand_keys(
    paths: Vec<PathBuf>,
    prefix: &str,
    key_template: Option<&str>,
) -> Result<Vec<KeyedFile>> {
    let template = key_template.map(KeyTemplate::parse).transpose()?;
    let mut files = {
        let prefix = prefix.to_owned();
        tokio::task::spawn_blocking(move || source::expand(&paths, &prefix))
            .await
            .expect("scan task panicked")?
    };
    if let Some(template) = template {
        let prefix = normalize_prefix(prefix);
        for f in &mut files {
            let relative = f.key.strip_prefix(&prefix).unwrap_or(&f.key).to_owned();
            f.key = template.render(&prefix, &KeyFacts::now(&relative))?;
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_running_app_is_named_as_the_owner_of_the_transfers() {
        let j = std::path::Path::new("/d/journal.sqlite");
        let app = super::busy_message(j, "4242 hoist-desktop\n");
        assert!(app.contains("the Hoist app is running (pid 4242)"), "{app}");
        assert!(app.contains("add the files in the app"), "{app}");
        let cli = super::busy_message(j, "77 hoist\n");
        assert!(cli.contains("another Hoist (pid 77)"), "{cli}");
    }
}
