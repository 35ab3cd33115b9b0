//! Sources that replace or skip each other because they go to one key (see
//! `transfer/same_key`): the queue's side of it.

use super::{Actor, STOP_REPLACED};
use crate::transfer::history::history;

use crate::events::{EngineEvent, UploadId};
use crate::journal::now_ms;
use crate::transfer::queue::ItemState;
use crate::transfer::records::{UploadRow, UploadState};
use crate::transfer::upload::Outcome;

impl Actor {
    /// A worker stopped because a later source replaces it: whatever it got to, a
    /// later source owns the key now, so never "verified", and no partial upload is
    /// left behind. The uploads held back for it may start.
    pub(super) fn finish_replaced(&mut self, row: &UploadRow, outcome: &Outcome, started: i64) {
        let why = self.replacing.remove(&row.id).unwrap_or_default();
        if !matches!(outcome, Outcome::Landed(_))
            && let Some(mp) = row.multipart_id.clone()
        {
            let (shared, r) = (self.shared.clone(), row.clone());
            tokio::spawn(async move {
                let _ = shared.abort_multipart(&r, &mp).await;
            });
        }
        self.record_skipped(row, why, started);
        for d in std::mem::take(&mut self.deferred) {
            if let Some(item) = self.items.get(&d) {
                self.waiting
                    .insert((std::cmp::Reverse(item.row.priority), d));
            }
        }
    }

    /// Records an upload as skipped (history row, final state) and says why.
    pub(super) fn record_skipped(&mut self, row: &UploadRow, reason: String, started: i64) {
        let entry = history(
            row,
            "skipped",
            None,
            None,
            Some(reason.clone()),
            0,
            0,
            started,
        );
        if let Err(e) = self
            .shared
            .journal
            .finish(row.id, UploadState::Skipped, &entry)
        {
            tracing::error!("journal: {e}");
        }
        self.set_state(row.id, ItemState::Skipped);
        self.emit(EngineEvent::Skipped {
            id: row.id,
            key: row.key.clone(),
            reason,
        });
    }

    /// A later source replaces this upload: stopped if it runs (`finished` records
    /// it), else recorded as replaced at once.
    pub(super) fn replace(&mut self, id: UploadId, reason: String) {
        if let Some(r) = self.running.get(&id) {
            r.stop(STOP_REPLACED);
            self.replacing.insert(id, reason);
            return;
        }
        let row = match self.items.get(&id) {
            Some(i) if i.state.is_final() && i.state != ItemState::Failed => return,
            Some(i) => i.row.clone(),
            None => match self.shared.journal.upload(id) {
                Ok(Some(row)) => row,
                _ => return,
            },
        };
        self.waiting.remove(&(std::cmp::Reverse(row.priority), id));
        if let Some(mp) = row.multipart_id.clone() {
            let (shared, r) = (self.shared.clone(), row.clone());
            tokio::spawn(async move {
                let _ = shared.abort_multipart(&r, &mp).await;
            });
        }
        self.record_skipped(&row, reason, now_ms());
    }

    /// Whether a running upload to the same key is still being stopped for this one.
    pub(super) fn waits_for_replaced(&self, row: &UploadRow) -> bool {
        self.replacing.keys().any(|id| {
            self.items.get(id).is_some_and(|i| {
                i.row.key == row.key
                    && i.row.target.bucket == row.target.bucket
                    && i.row.target.endpoint == row.target.endpoint
            })
        })
    }
}
