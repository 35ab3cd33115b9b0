//! The queue's totals in one line, counted the way the window's header counts them
//! (ui/src/lib/queue.ts `totals`), so the tray and the header never disagree:
//! finished = verified + landed + skipped, out of every item not cancelled; bytes of
//! finished items count whole.

use super::queue::{ItemState, ItemStatus};

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct QueueTotals {
    pub counted: usize,
    pub finished: usize,
    pub uploading: usize,
    pub paused: usize,
    pub failed: usize,
    pub bytes_done: u64,
    pub bytes_total: u64,
}

impl QueueTotals {
    pub fn of(items: &[ItemStatus]) -> QueueTotals {
        let mut t = QueueTotals::default();
        for it in items {
            match it.state {
                ItemState::Cancelled => continue,
                ItemState::Verified | ItemState::Landed | ItemState::Skipped => t.finished += 1,
                ItemState::Running => t.uploading += 1,
                ItemState::Paused => t.paused += 1,
                ItemState::Failed => t.failed += 1,
                ItemState::Queued => {}
            }
            t.counted += 1;
            t.bytes_total += it.size;
            t.bytes_done += match it.state {
                ItemState::Verified | ItemState::Landed | ItemState::Skipped => it.size,
                _ => it.bytes_done.min(it.size),
            };
        }
        t
    }

    /// "3 of 10 · 2 uploading · 45%" (with paused and failed counts when there are).
    pub fn describe(&self) -> String {
        if self.counted == 0 {
            return "No uploads".into();
        }
        let pct = if self.bytes_total > 0 {
            (self.bytes_done.min(self.bytes_total) * 100 / self.bytes_total) as usize
        } else {
            self.finished * 100 / self.counted
        };
        let mut s = format!(
            "{} of {} · {} uploading · {pct}%",
            self.finished, self.counted, self.uploading
        );
        if self.paused > 0 {
            s.push_str(&format!(" · {} paused", self.paused));
        }
        if self.failed > 0 {
            s.push_str(&format!(" · {} failed", self.failed));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: i64, state: ItemState, size: u64, done: u64) -> ItemStatus {
        ItemStatus {
            id,
            path: "/f".into(),
            bucket: "b".into(),
            key: format!("k{id}"),
            size,
            bytes_done: done,
            state,
            priority: 0,
            error: None,
            waiting: None,
        }
    }

    #[test]
    fn counts_like_the_header() {
        assert_eq!(QueueTotals::of(&[]).describe(), "No uploads");
        let items = [
            item(1, ItemState::Verified, 100, 0),
            item(2, ItemState::Running, 100, 50),
            item(3, ItemState::Queued, 200, 0),
            item(4, ItemState::Cancelled, 1000, 10),
            item(5, ItemState::Failed, 100, 20),
            item(6, ItemState::Paused, 100, 30),
            item(7, ItemState::Landed, 100, 0),
        ];
        let t = QueueTotals::of(&items);
        assert_eq!((t.counted, t.finished, t.uploading), (6, 2, 1));
        assert_eq!((t.bytes_done, t.bytes_total), (300, 700));
        assert_eq!(
            t.describe(),
            "2 of 6 · 1 uploading · 42% · 1 paused · 1 failed"
        );
    }
}
