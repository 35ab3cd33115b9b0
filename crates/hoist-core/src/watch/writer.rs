//! The watch records' writes, in order, off the actor: the journal is shared with the
//! uploads (and may sit on a slow disk), and the actor must answer commands meanwhile.
//! Writes are applied in the order they were sent; [`RecordWriter::settled`] waits
//! for those sent before it (before the journal is read back, and on exit).

use tokio::sync::{mpsc, oneshot};

use super::runtime::Work;
use super::store::FileRecord;
use crate::events::WatchId;
use crate::transfer::Engine;

enum Write {
    Put(WatchId, Vec<(String, FileRecord)>),
    Delete(WatchId, Vec<String>),
    Held(WatchId, u64),
    Settled(oneshot::Sender<()>),
}

/// The actor's handle on the writer task.
pub(super) struct RecordWriter {
    tx: mpsc::UnboundedSender<Write>,
}

impl RecordWriter {
    /// Starts the writer; a write that fails comes back as [`Work::NotSaved`].
    pub(super) fn start(engine: Engine, work: mpsc::UnboundedSender<Work>) -> RecordWriter {
        let (tx, mut rx) = mpsc::unbounded_channel::<Write>();
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                // Everything sent meanwhile goes in the same trip to a blocking thread.
                let mut batch = vec![first];
                while let Ok(next) = rx.try_recv() {
                    batch.push(next);
                }
                let (engine, work) = (engine.clone(), work.clone());
                let _ = tokio::task::spawn_blocking(move || apply(&engine, &work, batch)).await;
            }
        });
        RecordWriter { tx }
    }

    pub(super) fn put(&self, id: WatchId, rows: Vec<(String, FileRecord)>) {
        if !rows.is_empty() {
            let _ = self.tx.send(Write::Put(id, rows));
        }
    }

    pub(super) fn delete(&self, id: WatchId, rels: Vec<String>) {
        if !rels.is_empty() {
            let _ = self.tx.send(Write::Delete(id, rels));
        }
    }

    /// How many deletions the guard holds (for `hoist watch list` in other processes).
    pub(super) fn held(&self, id: WatchId, count: u64) {
        let _ = self.tx.send(Write::Held(id, count));
    }

    /// Waits until every write sent before this call is in the journal (or failed).
    pub(super) async fn settled(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Write::Settled(tx)).is_ok() {
            let _ = rx.await;
        }
    }
}

fn apply(engine: &Engine, work: &mpsc::UnboundedSender<Work>, batch: Vec<Write>) {
    let journal = engine.journal();
    for write in batch {
        let (id, result) = match write {
            Write::Put(id, rows) => (id, journal.put_watch_files(id, &rows)),
            Write::Delete(id, rels) => (id, journal.delete_watch_files(id, &rels)),
            Write::Held(id, n) => (id, journal.set_watch_held_deletions(id, n)),
            Write::Settled(done) => {
                let _ = done.send(());
                continue;
            }
        };
        if let Err(e) = result {
            tracing::error!("watch {id}: journal: {e}");
            let _ = work.send(Work::NotSaved {
                id,
                message: e.to_string(),
            });
        }
    }
}
