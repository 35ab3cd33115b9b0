//! Progress: workers bump byte counters; an aggregator publishes coalesced
//! `Progress` events on the engine's stream every `progress_interval`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::broadcast;

use crate::events::{EngineEvent, UploadId};

/// Byte counters that workers bump, read by the aggregator.
#[derive(Debug)]
pub(crate) struct ItemProgress {
    /// Shared with the bodies being sent, which count bytes as the transport takes them.
    pub done: Arc<AtomicU64>,
    pub total: u64,
    /// Parts being sent at once (a multipart upload's dispatcher sets it).
    pub parts_in_flight: std::sync::atomic::AtomicU32,
}

/// Publishes coalesced `Progress` events for running uploads.
#[derive(Clone, Default)]
pub(crate) struct ProgressBoard {
    items: Arc<Mutex<HashMap<UploadId, Arc<ItemProgress>>>>,
    /// Running uploads whose last request failed because the network is down.
    offline: Arc<Mutex<std::collections::HashSet<UploadId>>>,
}

impl ProgressBoard {
    /// Notes whether the upload is waiting for the network (its last retry was a
    /// connectivity failure) or got through again.
    pub fn set_offline(&self, id: UploadId, offline: bool) {
        let mut set = self.offline.lock().unwrap_or_else(|p| p.into_inner());
        if offline {
            set.insert(id);
        } else {
            set.remove(&id);
        }
    }

    pub fn is_offline(&self, id: UploadId) -> bool {
        self.offline
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(&id)
    }

    pub fn track(&self, id: UploadId, done: u64, total: u64) -> Arc<ItemProgress> {
        let p = Arc::new(ItemProgress {
            done: Arc::new(AtomicU64::new(done)),
            total,
            parts_in_flight: Default::default(),
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

    /// The size a running upload reports (a URL's is known once its body begins).
    pub fn total(&self, id: UploadId) -> Option<u64> {
        self.items
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&id)
            .map(|p| p.total)
    }

    pub fn untrack(&self, id: UploadId) {
        self.set_offline(id, false);
        self.items
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&id);
    }

    /// Runs until the event channel has no sender left. The rate is an exponentially
    /// weighted moving average (time constant [`SMOOTHING`]) of the bytes the bodies
    /// counted, so speed and ETA neither jump at chunk boundaries nor lag for long.
    pub async fn run(self, events: broadcast::WeakSender<EngineEvent>, every: Duration) {
        // Per upload: last sample (time, bytes) and the smoothed rate (bytes/s).
        let mut samples: HashMap<UploadId, (Instant, u64, Option<f64>, u64)> = HashMap::new();
        // When each upload's last event went out: a running upload reports at least
        // once a second, moving or not.
        let mut sent_at: HashMap<UploadId, Instant> = HashMap::new();
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tick.tick().await;
            let Some(tx) = events.upgrade() else { return };
            let snapshot: Vec<(UploadId, u64, u64, u32)> = {
                let items = self.items.lock().unwrap_or_else(|p| p.into_inner());
                items
                    .iter()
                    .map(|(id, p)| {
                        let in_flight = p.parts_in_flight.load(Ordering::Relaxed);
                        (*id, p.done.load(Ordering::Relaxed), p.total, in_flight)
                    })
                    .collect()
            };
            let now = Instant::now();
            samples.retain(|id, _| snapshot.iter().any(|(s, ..)| s == id));
            sent_at.retain(|id, _| samples.contains_key(id));
            for (id, done, total, parts_in_flight) in snapshot {
                let Some((at, before, smoothed, last_sent)) = samples.get_mut(&id) else {
                    samples.insert(id, (now, done, None, u64::MAX));
                    let _ = tx.send(EngineEvent::Progress {
                        id,
                        bytes_done: done,
                        bytes_total: total,
                        rate_bps: 0,
                        parts_in_flight,
                    });
                    continue;
                };
                let dt = now.duration_since(*at).as_secs_f64();
                if dt <= 0.0 {
                    continue;
                }
                // A retry takes bytes back: that is no negative speed.
                let instant = done.saturating_sub(*before) as f64 / dt;
                let rate = match *smoothed {
                    None => instant,
                    Some(r) => r + ewma_weight(dt) * (instant - r),
                };
                let changed = done != *before;
                *at = now;
                *before = done;
                *smoothed = Some(rate);
                let rate = rate.round() as u64;
                let quiet = sent_at
                    .get(&id)
                    .is_none_or(|t| now.duration_since(*t) >= HEARTBEAT);
                if changed || rate != *last_sent || quiet {
                    *last_sent = rate;
                    sent_at.insert(id, now);
                    let _ = tx.send(EngineEvent::Progress {
                        id,
                        bytes_done: done,
                        bytes_total: total,
                        rate_bps: rate,
                        parts_in_flight,
                    });
                }
            }
        }
    }
}

/// The longest a running upload goes without a `Progress` event (minus a tick).
const HEARTBEAT: Duration = Duration::from_millis(750);

/// How quickly the shown rate follows a change of speed.
const SMOOTHING: Duration = Duration::from_secs(3);

/// The weight of a new sample `dt` seconds after the last one.
fn ewma_weight(dt: f64) -> f64 {
    1.0 - (-dt / SMOOTHING.as_secs_f64()).exp()
}

#[cfg(test)]
mod tests {
    use super::ewma_weight;

    #[test]
    fn the_rate_is_smoothed_not_jumpy() {
        // 1 MB/s steady, then one tick of a 4 MB burst: the shown rate moves a little.
        let mut r = 1_000_000.0;
        r += ewma_weight(0.25) * (16_000_000.0 - r);
        assert!(r < 2_500_000.0, "{r}");
        // And it follows a lasting change within a few time constants.
        for _ in 0..60 {
            r += ewma_weight(0.25) * (500_000.0 - r);
        }
        assert!((r - 500_000.0).abs() < 50_000.0, "{r}");
    }
}
