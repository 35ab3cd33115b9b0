//! The queue's actor: one task owns the queue's state, starts workers by priority
//! within the pool, and turns their outcomes into journal rows and events.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

mod cancel;
mod hold;
mod order;
mod replace;

use super::engine::Shared;
use super::history::history;
use super::queue::{ItemState, ItemStatus};
use super::records::{UploadRow, UploadState};
use super::upload::{self, Outcome, WorkerCtx};
use crate::error::{HoistError, Result};
use crate::events::{EngineEvent, UploadId, Verification};
use crate::journal::now_ms;

/// Why a running worker was asked to stop.
pub(super) const STOP_PAUSE: u8 = 1;
pub(super) const STOP_CANCEL: u8 = 2;
pub(super) const STOP_SHUTDOWN: u8 = 3;
/// A later source with the same key replaces it (overwrite policy).
pub(super) const STOP_REPLACED: u8 = 4;
/// The queue holds (metered connection, outside the schedule): back to waiting.
pub(super) const STOP_HOLD: u8 = 5;

pub(super) enum Command {
    Enqueue(Vec<UploadRow>),
    /// Earlier uploads that later sources replace, with the reason to show.
    Replace(Vec<(UploadId, String)>),
    Pause(Option<UploadId>, oneshot::Sender<Result<()>>),
    Resume(Option<UploadId>, oneshot::Sender<Result<()>>),
    Cancel(UploadId, oneshot::Sender<Result<()>>),
    Remove(UploadId, oneshot::Sender<Result<()>>),
    Retry(Option<UploadId>, oneshot::Sender<Result<()>>),
    SetPriority(UploadId, i32, oneshot::Sender<Result<()>>),
    /// Ahead of everything waiting, in the order given.
    MoveToTop(Vec<UploadId>, oneshot::Sender<Result<()>>),
    /// Takes every finished upload out of the queue; answers how many.
    RemoveFinished(oneshot::Sender<Result<usize>>),
    Snapshot(oneshot::Sender<Vec<ItemStatus>>),
    WaitIdle(oneshot::Sender<()>),
    Shutdown(oneshot::Sender<()>),
    /// Look again whether the queue must hold (rules, facts or the clock changed).
    Regate,
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

pub(super) struct Actor {
    shared: Arc<Shared>,
    items: HashMap<UploadId, Item>,
    /// Waiting uploads, highest priority first, then oldest.
    waiting: BTreeSet<(std::cmp::Reverse<i32>, UploadId)>,
    running: HashMap<UploadId, Running>,
    /// Running uploads being stopped because a later source replaces them, with the
    /// reason; the uploads to their keys wait until they have stopped.
    replacing: HashMap<UploadId, String>,
    /// Uploads held back until the upload they replace has stopped.
    deferred: Vec<UploadId>,
    idle_waiters: Vec<oneshot::Sender<()>>,
    shutdown_waiters: Vec<oneshot::Sender<()>>,
}

type Done = (UploadId, Outcome, i64);

impl Actor {
    pub(super) fn new(shared: Arc<Shared>) -> Actor {
        Actor {
            shared,
            items: HashMap::new(),
            waiting: BTreeSet::new(),
            running: HashMap::new(),
            replacing: HashMap::new(),
            deferred: Vec::new(),
            idle_waiters: Vec::new(),
            shutdown_waiters: Vec::new(),
        }
    }

    pub(super) async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
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
        self.shared.concurrency.load(Ordering::SeqCst) * 2
    }

    fn schedule(&mut self, done_tx: &mpsc::UnboundedSender<Done>) {
        if self.holding() {
            return;
        }
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
            let store = match self.shared.upload_store(&item.row.target) {
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
                limit: self.shared.limit.clone(),
            };
            let done_tx = done_tx.clone();
            let started_at = now_ms();
            // Read here, on the actor's thread: the worker starts at once, so workers
            // reach the request pool in the order they were started (by priority).
            let row = self.shared.journal.upload(id).ok().flatten();
            tokio::spawn(async move {
                let outcome = upload::run(ctx, id, row).await;
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
                        UploadState::Skipped => ItemState::Skipped,
                        _ => ItemState::Queued,
                    };
                    self.emit(EngineEvent::Queued {
                        id,
                        path: row.path.display().to_string(),
                        bucket: row.target.bucket.clone(),
                        key: row.key.clone(),
                        size: row.identity.size,
                    });
                    if state == ItemState::Skipped {
                        // Decided when it was added (another source has its key).
                        let reason = row.error.clone().unwrap_or_default();
                        self.items.insert(
                            id,
                            Item {
                                row: row.clone(),
                                state,
                                error: None,
                            },
                        );
                        self.record_skipped(&row, reason, now_ms());
                        continue;
                    }
                    if state == ItemState::Queued {
                        if self.waits_for_replaced(&row) {
                            self.deferred.push(id);
                        } else {
                            self.waiting.insert((std::cmp::Reverse(row.priority), id));
                        }
                    }
                    let error = row.error.clone();
                    self.items.insert(id, Item { row, state, error });
                }
            }
            Command::Replace(list) => {
                for (id, reason) in list {
                    self.replace(id, reason);
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
                // One upload: failed or cancelled (the user changed their mind). All:
                // the failed ones only; cancelling was a decision.
                let ids = match target {
                    Some(_) => self.select(target, |s| {
                        matches!(s, ItemState::Failed | ItemState::Cancelled)
                    }),
                    None => self.select(None, |s| s == ItemState::Failed),
                };
                let r = ids.into_iter().try_for_each(|id| self.retry(id));
                let _ = reply.send(r);
            }
            Command::MoveToTop(ids, reply) => {
                let _ = reply.send(self.move_to_top(&ids));
            }
            Command::RemoveFinished(reply) => {
                let ids = self.select(None, |s| s.is_final() && s != ItemState::Failed);
                let n = ids.len();
                let r = ids.into_iter().try_for_each(|id| self.remove(id));
                let _ = reply.send(r.map(|()| n));
            }
            Command::Cancel(id, reply) => {
                let _ = reply.send(self.cancel(id));
            }
            Command::Remove(id, reply) => {
                let _ = reply.send(self.remove(id));
            }
            Command::SetPriority(id, priority, reply) => {
                let _ = reply.send(self.set_priority(id, priority));
            }
            Command::Snapshot(reply) => {
                let _ = reply.send(self.statuses());
            }
            Command::Regate => self.regate(),
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
            // The worker stops; `finished` reports the pause once it has. Paused from
            // now on, so a resume that comes before the worker has stopped is kept.
            r.stop(STOP_PAUSE);
            item.state = ItemState::Paused;
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
        if reason == STOP_REPLACED {
            self.finish_replaced(&row, &outcome, started);
            return;
        }
        match outcome {
            Outcome::Landed(l) => {
                let note = (l.verification == Verification::NoReadPermission).then(|| {
                    "landed, not verified: no read permission (these credentials may write but not read)".to_owned()
                });
                let result = if note.is_some() { "landed" } else { "verified" };
                let entry = history(
                    &row,
                    result,
                    l.etag.clone(),
                    l.checksum.clone(),
                    note,
                    l.bytes_sent,
                    l.bytes_resent,
                    started,
                );
                if let Err(e) = self.shared.journal.finish(id, UploadState::Done, &entry) {
                    tracing::error!("journal: {e}");
                }
                // Write-only keys: the object is there, but nothing proved it is ours.
                let state = if l.verification == Verification::NoReadPermission {
                    ItemState::Landed
                } else {
                    ItemState::Verified
                };
                self.set_state(id, state);
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
                let mut row = row;
                row.key = key;
                self.record_skipped(&row, reason, started);
            }
            Outcome::Failed(e) => self.fail(&row, &e, started),
            Outcome::Stopped => match reason {
                STOP_PAUSE => {
                    self.emit(EngineEvent::Paused { id });
                    let resumed = self
                        .items
                        .get(&id)
                        .is_some_and(|i| i.state == ItemState::Queued);
                    if resumed {
                        // Resumed while it was stopping: it goes on.
                        self.waiting.insert((std::cmp::Reverse(row.priority), id));
                    } else {
                        self.set_state(id, ItemState::Paused);
                    }
                }
                STOP_CANCEL => {
                    self.set_state(id, ItemState::Cancelled);
                    self.finish_cancel(row, started);
                }
                STOP_HOLD => {
                    // Held: it waits queued and goes on when the hold ends.
                    self.set_state(id, ItemState::Queued);
                    self.waiting.insert((std::cmp::Reverse(row.priority), id));
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
