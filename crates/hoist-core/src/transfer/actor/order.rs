//! The queue's order and second chances: a new priority, "move to top", and a retry
//! (of a failed or a cancelled upload).

use super::{Actor, unknown};
use crate::error::Result;
use crate::events::UploadId;
use crate::transfer::queue::ItemState;

impl Actor {
    pub(super) fn set_priority(&mut self, id: UploadId, priority: i32) -> Result<()> {
        let item = self.items.get_mut(&id).ok_or_else(|| unknown(id))?;
        let was_waiting = self
            .waiting
            .remove(&(std::cmp::Reverse(item.row.priority), id));
        item.row.priority = priority;
        if was_waiting {
            self.waiting.insert((std::cmp::Reverse(priority), id));
        }
        self.shared.journal.set_priority(id, priority)
    }

    /// Gives the uploads a priority above every other item's, the first given
    /// highest, so they start next (running ones keep running).
    pub(super) fn move_to_top(&mut self, ids: &[UploadId]) -> Result<()> {
        if let Some(id) = ids.iter().find(|id| !self.items.contains_key(id)) {
            return Err(unknown(*id));
        }
        let top = self
            .items
            .iter()
            .filter(|(id, _)| !ids.contains(id))
            .map(|(_, i)| i.row.priority)
            .max()
            .unwrap_or(0);
        let n = ids.len() as i32;
        for (i, id) in ids.iter().enumerate() {
            let priority = top.saturating_add(n - i as i32);
            self.set_priority(*id, priority)?;
        }
        Ok(())
    }

    /// A failed or cancelled upload, queued again. A cancelled one's parts were
    /// aborted on the store, so it starts from its first byte.
    pub(super) fn retry(&mut self, id: UploadId) -> Result<()> {
        let item = self.items.get(&id).ok_or_else(|| unknown(id))?;
        if item.state == ItemState::Cancelled {
            self.shared.journal.reset_upload(id, &item.row.identity)?;
            if let Some(item) = self.items.get_mut(&id) {
                item.row.multipart_id = None;
                item.row.bytes_done = 0;
            }
        }
        self.requeue(id)
    }
}
