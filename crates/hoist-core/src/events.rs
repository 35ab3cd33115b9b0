//! The one stream of typed events both shells subscribe to.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::broadcast;

use crate::error::ErrorReport;
use crate::journal::UploadId;

/// How an upload's integrity was proven after it landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Verification {
    /// The object's CRC32C (full or composite of parts) matched what was read locally.
    Crc32c,
    /// The object's ETag matched the MD5 (or MD5-of-MD5s) computed locally.
    Md5,
    /// The store reported no checksum; only the size could be compared.
    SizeOnly,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(tag = "event", rename_all = "snake_case")]
#[ts(export)]
pub enum EngineEvent {
    Queued {
        #[ts(type = "number")]
        id: UploadId,
        path: String,
        bucket: String,
        key: String,
        #[ts(type = "number")]
        size: u64,
    },
    Started {
        #[ts(type = "number")]
        id: UploadId,
        key: String,
        #[ts(type = "number")]
        size: u64,
        #[ts(type = "number")]
        parts_total: u64,
        #[ts(type = "number")]
        parts_done: u64,
        resumed: bool,
    },
    /// Coalesced: at most a few per second per upload.
    Progress {
        #[ts(type = "number")]
        id: UploadId,
        #[ts(type = "number")]
        bytes_done: u64,
        #[ts(type = "number")]
        bytes_total: u64,
        #[ts(type = "number")]
        rate_bps: u64,
    },
    PartDone {
        #[ts(type = "number")]
        id: UploadId,
        part: u32,
        #[ts(type = "number")]
        size: u64,
    },
    Retrying {
        #[ts(type = "number")]
        id: UploadId,
        attempt: u32,
        #[ts(type = "number")]
        delay_ms: u64,
        reason: String,
    },
    Paused {
        #[ts(type = "number")]
        id: UploadId,
    },
    Restarted {
        #[ts(type = "number")]
        id: UploadId,
        reason: String,
    },
    Completed {
        #[ts(type = "number")]
        id: UploadId,
        bucket: String,
        key: String,
        #[ts(type = "number")]
        size: u64,
        etag: Option<String>,
        checksum: Option<String>,
        verification: Verification,
        /// Bytes sent in this session.
        #[ts(type = "number")]
        bytes_sent: u64,
        /// Bytes of parts an earlier (crashed, paused or failed) attempt had begun to
        /// send and that had to be sent again.
        #[ts(type = "number")]
        bytes_resent: u64,
    },
    Skipped {
        #[ts(type = "number")]
        id: UploadId,
        key: String,
        reason: String,
    },
    Failed {
        #[ts(type = "number")]
        id: UploadId,
        key: String,
        error: ErrorReport,
    },
    Cancelled {
        #[ts(type = "number")]
        id: UploadId,
    },
    /// A finished upload was taken out of the queue (history keeps it).
    Removed {
        #[ts(type = "number")]
        id: UploadId,
    },
    /// Nothing queued or running any more.
    Idle,
    /// A watched folder's state changed (phase, pending count, last sync, errors).
    Watch { status: crate::watch::WatchStatus },
}

pub type EventSender = broadcast::Sender<EngineEvent>;

/// Byte counters that workers bump, read by the aggregator.
#[derive(Debug)]
pub(crate) struct ItemProgress {
    pub done: AtomicU64,
    pub total: u64,
}

/// Publishes coalesced `Progress` events for running uploads.
#[derive(Clone, Default)]
pub(crate) struct ProgressBoard {
    items: Arc<Mutex<HashMap<UploadId, Arc<ItemProgress>>>>,
}

impl ProgressBoard {
    pub fn track(&self, id: UploadId, done: u64, total: u64) -> Arc<ItemProgress> {
        let p = Arc::new(ItemProgress {
            done: AtomicU64::new(done),
            total,
        });
        self.items
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, p.clone());
        p
    }

    /// Bytes done of a running upload, as its workers last counted.
    pub fn done(&self, id: UploadId) -> Option<u64> {
        self.items
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&id)
            .map(|p| p.done.load(Ordering::Relaxed))
    }

    pub fn untrack(&self, id: UploadId) {
        self.items
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&id);
    }

    /// Runs until the event channel has no sender left. The rate is measured over a
    /// sliding window, so part-sized steps still give a steady figure.
    pub async fn run(self, events: broadcast::WeakSender<EngineEvent>, every: Duration) {
        const WINDOW: Duration = Duration::from_secs(3);
        let mut samples: HashMap<UploadId, (VecDeque<(Instant, u64)>, u64)> = HashMap::new();
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tick.tick().await;
            let Some(tx) = events.upgrade() else { return };
            let snapshot: Vec<(UploadId, u64, u64)> = {
                let items = self.items.lock().unwrap_or_else(|p| p.into_inner());
                items
                    .iter()
                    .map(|(id, p)| (*id, p.done.load(Ordering::Relaxed), p.total))
                    .collect()
            };
            let now = Instant::now();
            samples.retain(|id, _| snapshot.iter().any(|(s, _, _)| s == id));
            for (id, done, total) in snapshot {
                let (window, last_rate) = samples
                    .entry(id)
                    .or_insert_with(|| (VecDeque::new(), u64::MAX));
                let changed = window.back().is_none_or(|&(_, d)| d != done);
                window.push_back((now, done));
                while window.len() > 2 && now.duration_since(window[0].0) > WINDOW {
                    window.pop_front();
                }
                let (t0, d0) = window[0];
                let dt = now.duration_since(t0).as_secs_f64();
                let rate = if dt > 0.0 {
                    (done.saturating_sub(d0) as f64 / dt) as u64
                } else {
                    0
                };
                if changed || rate != *last_rate {
                    *last_rate = rate;
                    let _ = tx.send(EngineEvent::Progress {
                        id,
                        bytes_done: done,
                        bytes_total: total,
                        rate_bps: rate,
                    });
                }
            }
        }
    }
}
