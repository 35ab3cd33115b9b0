//! Holding the queue (metered connection, outside the schedule window) and what the
//! queue shows for each item, waiting reasons included.

use super::{Actor, STOP_HOLD};
use crate::events::{EngineEvent, WaitReason};
use crate::transfer::gate;
use crate::transfer::queue::{ItemState, ItemStatus};

impl Actor {
    /// Looks again whether the queue must hold. When it starts holding, running
    /// uploads stop where they are (their parts are journaled) and wait queued; when
    /// it ends, `schedule` starts them again.
    pub(super) fn regate(&mut self) {
        let now = {
            let g = self.shared.gate.lock().unwrap_or_else(|p| p.into_inner());
            gate::hold(&g.0, g.1, gate::local_minute_of_day())
        };
        let changed = {
            let mut held = self.shared.held.lock().unwrap_or_else(|p| p.into_inner());
            let changed = *held != now;
            *held = now.clone();
            changed
        };
        if !changed {
            return;
        }
        if now.is_some() {
            for r in self.running.values() {
                r.stop(STOP_HOLD);
            }
            tracing::info!(
                "queue holds: {}",
                now.as_ref().map(WaitReason::words).unwrap_or_default()
            );
        } else {
            tracing::info!("queue goes on");
        }
        self.emit(EngineEvent::Held { reason: now });
    }

    pub(super) fn holding(&self) -> bool {
        self.shared
            .held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    pub(super) fn statuses(&self) -> Vec<ItemStatus> {
        let held = self
            .shared
            .held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let mut list: Vec<ItemStatus> = self
            .items
            .values()
            .map(|i| ItemStatus {
                id: i.row.id,
                path: i.row.path.clone(),
                bucket: i.row.target.bucket.clone(),
                key: i.row.key.clone(),
                size: match i.row.identity.size {
                    // A URL's size comes with its body, after the row was queued.
                    0 => self.shared.board.total(i.row.id).unwrap_or(0),
                    n => n,
                },
                bytes_done: match i.state {
                    ItemState::Verified | ItemState::Landed => i.row.identity.size,
                    _ => self.shared.board.done(i.row.id).unwrap_or(i.row.bytes_done),
                },
                state: i.state,
                priority: i.row.priority,
                error: i.error.clone(),
                waiting: match i.state {
                    ItemState::Running if self.shared.board.is_offline(i.row.id) => {
                        Some(WaitReason::Network)
                    }
                    ItemState::Queued | ItemState::Running => held.clone(),
                    _ => None,
                },
            })
            .collect();
        list.sort_by_key(|s| s.id);
        list
    }
}
