//! Progress: workers bump byte counters; an aggregator publishes coalesced
//! `Progress` events on the engine's stream every `progress_interval`.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::broadcast;

use crate::events::{EngineEvent, UploadId};

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
