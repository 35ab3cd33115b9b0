//! How many of one file's parts are in flight: it follows the link. A slow uplink
//! shared by many parts makes every part crawl (and all of them finish only at the
//! end); a fast or long link needs many to fill it.
//!
//! Two measures, because bytes handed to the connection are not bytes on the store:
//! socket buffers swallow megabytes at once at the start of every stream. So:
//! - a probing level: it starts at two, doubles while the throughput counted in
//!   one-second windows rises, goes back when a raise did not help, halves on
//!   failures (stalls, resets) and tries one more now and then. It probes only while
//!   parts finish in less than half of [`PART_TIME`]: more parts on a link that is
//!   already slow per part would only make each crawl.
//! - while parts are slower than that, the link's rate is what the store
//!   acknowledged: bytes of parts completed over the last few seconds. As many parts
//!   go at once as each still finish within [`PART_TIME`] at that rate (Little's law:
//!   parts in flight = throughput × time per part / part size), which fills a link
//!   whose streams are each held back by latency.
//!
//! Quick parts get only what probing proved: more parts than help are not free where
//! the store itself is the bottleneck (SeaweedFS on the same two cores, 1 GiB in
//! 16 MiB parts: 24 at once gave 95 MB/s, 4 gave 152 MB/s, about as fast as one curl PUT).
//!
//! Never more than `max`, the file's share of the pool.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::plan::{GROWN_PART_SIZE, GROWN_PART_TIME};

/// Parts in flight when an upload starts.
const START: usize = 2;
/// One measurement of throughput for probing: a second, because a store sharing the
/// machine swings by ±10 % over half of one, and a raise from two to four parts kept
/// on such noise cost 10 % for the rest of a 1 GiB upload (traced on SeaweedFS).
const WINDOW: Duration = Duration::from_secs(1);
/// A raise that brings less than this factor in throughput did not help.
const GAIN: f64 = 1.15;
/// At most this long per part at the measured rate (visible progress for each part).
pub(crate) const PART_TIME: Duration = Duration::from_secs(8);
/// Windows at one level before probing one more part (10 s).
const PROBE_EVERY: u32 = 10;
/// How far back completed parts count towards the link's rate.
const ACKED_SPAN: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub(crate) struct InFlightControl {
    max: usize,
    part_size: u64,
    started: Instant,
    /// The probing level (doubling, then additive increase; multiplicative decrease).
    level: usize,
    /// What is allowed now: the level, or more while the link is fast enough.
    limit: usize,
    /// The level before the raise being judged, and the throughput measured there.
    raised_from: Option<(usize, f64)>,
    doubling: bool,
    window: (Instant, u64),
    /// Windows since the level last changed; the first after a change is not judged.
    windows: u32,
    /// Parts completed lately: when, how many bytes, how long each took.
    completed: VecDeque<(Instant, u64, Duration)>,
    /// The most parts the acknowledged rate has allowed since the last failure: parts
    /// complete in batches, and the limit should not swing with them.
    fair: usize,
}

impl InFlightControl {
    pub fn new(max: usize, part_size: u64, now: Instant, bytes: u64) -> InFlightControl {
        let max = max.max(1);
        InFlightControl {
            max,
            part_size: part_size.max(1),
            started: now,
            level: START.min(max),
            limit: START.min(max),
            raised_from: None,
            doubling: true,
            window: (now, bytes),
            windows: 0,
            completed: VecDeque::new(),
            fair: 0,
        }
    }

    /// Parts that may be in flight now.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// The store acknowledged a part of `size` bytes that took `took` to send.
    pub fn part_done(&mut self, now: Instant, size: u64, took: Duration) -> usize {
        self.completed.push_back((now, size, took));
        self.forget_old(now);
        self.limit = self.allowed(now);
        self.limit
    }

    /// The size of the next part to cut, between `base` and [`GROWN_PART_SIZE`]: as
    /// much as the quickest part of those completed lately sent in [`GROWN_PART_TIME`]
    /// (the first parts of an upload wait for the store to warm up, and would hold the
    /// estimate back), at most four times the largest cut so far. Parts grow only on a
    /// link that sends them quickly; on a slow one they stay at `base`, so a crash
    /// re-sends little and every part shows progress.
    pub fn part_size_wanted(&mut self, base: u64, largest: u64) -> u64 {
        if let Some((_, rate_then)) = self.raised_from {
            // Parts cut while a raise is judged are what each part in flight sends in
            // about a window: grown parts cut for a raise that did not help would run on
            // long after the judgement, with more parts in flight than the store likes
            // (traced on SeaweedFS sharing two cores: four 256 MiB parts to the end of a
            // 1 GiB file, 11 % slower than two). Not the base either: a store that pays
            // for each part pays for many small ones.
            let share = rate_then * WINDOW.as_secs_f64() / self.level.max(1) as f64;
            let size = (share as u64).clamp(base, largest.max(base));
            self.part_size = size.max(1);
            return size;
        }
        let per_part = self
            .completed
            .iter()
            .filter(|c| !c.2.is_zero())
            .map(|c| c.1 as f64 / c.2.as_secs_f64())
            .fold(0.0, f64::max);
        let wanted = (per_part * GROWN_PART_TIME.as_secs_f64()) as u64;
        let size = wanted
            .min(largest.max(base).saturating_mul(4))
            .clamp(base, GROWN_PART_SIZE.max(base));
        // Little's law below counts parts of the size now being cut.
        self.part_size = size.max(1);
        size
    }

    /// Takes the bytes counted so far (the bodies' counter, which a failed attempt
    /// rolls back) and returns the limit from now on.
    pub fn observe(&mut self, now: Instant, bytes: u64) -> usize {
        let dt = now.saturating_duration_since(self.window.0);
        if dt < WINDOW {
            return self.limit;
        }
        let rate = bytes.saturating_sub(self.window.1) as f64 / dt.as_secs_f64();
        self.window = (now, bytes);
        self.windows += 1;
        self.forget_old(now);
        let judged = self.windows >= 2;
        let before = self.level;
        match self.raised_from.filter(|_| judged) {
            Some((from, rate_then)) => {
                if rate >= rate_then * GAIN && self.parts_are_quick() {
                    self.raised_from = Some((self.level, rate));
                    self.level = self.raise();
                } else {
                    // Adding parts no longer helps: back to where it was.
                    self.raised_from = None;
                    self.doubling = false;
                    self.level = from;
                }
            }
            None if judged
                && self.parts_are_quick()
                && (self.doubling || self.windows >= PROBE_EVERY) =>
            {
                self.raised_from = Some((self.level, rate));
                self.level = self.raise();
            }
            None => {}
        }
        if self.level != before {
            self.windows = 0;
        } else if self.raised_from.is_some_and(|(from, _)| from >= self.level) {
            self.raised_from = None; // at the cap: nothing to judge
        }
        self.limit = self.allowed(now);
        self.limit
    }

    /// A part's attempt failed (a stall, a reset, a refusal): halve, as TCP does on loss.
    pub fn failed(&mut self, now: Instant, bytes: u64) -> usize {
        self.level = (self.limit / 2).max(1);
        self.raised_from = None;
        self.doubling = false;
        self.window = (now, bytes);
        self.windows = 0;
        self.completed.clear();
        self.fair = 0;
        self.limit = self.allowed(now);
        self.limit
    }

    fn raise(&self) -> usize {
        let next = if self.doubling {
            self.level * 2
        } else {
            self.level + 1
        };
        next.min(self.max)
    }

    fn forget_old(&mut self, now: Instant) {
        while self
            .completed
            .front()
            .is_some_and(|(at, ..)| now.saturating_duration_since(*at) > ACKED_SPAN)
        {
            self.completed.pop_front();
        }
    }

    /// Parts lately took less than half of PART_TIME each (none yet: unknown, no).
    fn parts_are_quick(&self) -> bool {
        let n = self.completed.len() as u32;
        n > 0 && self.completed.iter().map(|c| c.2).sum::<Duration>() / n < PART_TIME / 2
    }

    /// The probing level, or, while parts are slow, as many parts as each still
    /// finish within PART_TIME at the rate the store acknowledged, if that is more;
    /// never above `max`.
    fn allowed(&mut self, now: Instant) -> usize {
        if self.parts_are_quick() {
            return self.level.clamp(1, self.max);
        }
        let span = now
            .saturating_duration_since(self.started)
            .min(ACKED_SPAN)
            .as_secs_f64();
        let acked: u64 = self.completed.iter().map(|c| c.1).sum();
        let rate = if span > 0.0 { acked as f64 / span } else { 0.0 };
        let fair = (rate * PART_TIME.as_secs_f64() / self.part_size as f64) as usize;
        self.fair = self.fair.max(fair);
        self.level.max(self.fair).clamp(1, self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;

    /// A fake link on a fake clock: `rate(n)` bytes per second shared by the `n`
    /// parts in flight, a socket buffer that swallows `burst` bytes of each new part
    /// at once, parts started whenever fewer than the limit are in flight. Returns the
    /// limit at each second and the seconds at which parts finished.
    fn simulate(
        max: usize,
        part_size: u64,
        parts: usize,
        burst: u64,
        rate: impl Fn(usize) -> f64,
        fail_at: &[u32],
    ) -> (Vec<usize>, Vec<f64>) {
        let tick = Duration::from_millis(50);
        let t0 = Instant::now();
        let mut c = InFlightControl::new(max, part_size, t0, 0);
        // Per part in flight: bytes across the link so far, when it started. The
        // counter sees the buffered bytes at once; the store sees only the link's.
        let mut flying: Vec<(f64, Instant)> = Vec::new();
        let (mut next, mut finished, mut limits, mut done) = (0, 0u64, Vec::new(), Vec::new());
        let mut failed: Vec<u32> = fail_at.to_vec();
        let size = part_size as f64;
        for i in 1..=20_000u32 {
            let now = t0 + tick * i;
            while flying.len() < c.limit() && next < parts {
                next += 1;
                flying.push((0.0, now));
            }
            if flying.is_empty() {
                break;
            }
            let each = rate(flying.len()) * tick.as_secs_f64() / flying.len() as f64;
            for f in flying.iter_mut() {
                f.0 = (f.0 + each).min(size);
            }
            let counted = finished
                + flying
                    .iter()
                    .map(|f| (f.0 + burst as f64).min(size) as u64)
                    .sum::<u64>();
            let mut k = 0;
            while k < flying.len() {
                if flying[k].0 >= size - 0.5 {
                    finished += part_size;
                    let (_, began) = flying.remove(k);
                    c.part_done(now, part_size, now - began);
                    done.push((now - t0).as_secs_f64());
                } else {
                    k += 1;
                }
            }
            if i % 20 == 0 && failed.first() == Some(&(i / 20)) {
                failed.remove(0);
                c.failed(now, counted);
            }
            c.observe(now, counted);
            if i % 20 == 0 {
                limits.push(c.limit());
            }
        }
        (limits, done)
    }

    /// A shared uplink: the same total however many parts share it.
    fn shared(bps: f64) -> impl Fn(usize) -> f64 {
        move |_| bps
    }

    #[test]
    fn a_slow_shared_uplink_keeps_few_parts_in_flight() {
        // 300 KB/s (2.4 Mbit/s), 5 MiB parts, 24 allowed, 4 MiB of socket buffer per
        // stream: more parts never help.
        let (limits, _) = simulate(24, 5 * MIB, 20, 4 * MIB, shared(300_000.0), &[]);
        assert!(limits.iter().all(|&l| l <= 2), "{limits:?}");
    }

    #[test]
    fn at_two_mb_per_second_parts_finish_in_turn() {
        let (limits, done) = simulate(24, 5 * MIB, 8, 2 * MIB, shared(2_000_000.0), &[]);
        assert!(limits.iter().all(|&l| l <= 4), "{limits:?}");
        let end = *done.last().unwrap();
        assert!(done[0] < end * 0.4, "{done:?}");
    }

    #[test]
    fn a_long_link_gets_more_parts_while_they_help() {
        // Each part alone gets 6 MB/s (latency-bound), up to 48 MB/s in all.
        let link = |n: usize| (n as f64 * 6_000_000.0).min(48_000_000.0);
        let (limits, _) = simulate(24, 16 * MIB, 200, 0, link, &[]);
        let settled = limits[limits.len() / 2];
        assert!((8..=24).contains(&settled), "{limits:?}");
    }

    #[test]
    fn a_fast_store_that_more_parts_slow_down_keeps_few() {
        // SeaweedFS on loopback sharing two cores with the client (measured, 1 GiB in
        // 16 MiB parts): two parts 115 MB/s, four 152, eight 125, twenty-four 95.
        let store = |n: usize| match n {
            0..=2 => 115e6,
            3..=4 => 152e6,
            5..=8 => 125e6,
            _ => 95e6,
        };
        let (limits, _) = simulate(24, 16 * MIB, 200, 0, store, &[]);
        let settled = &limits[limits.len() / 4..];
        assert!(settled.iter().all(|&l| l <= 5), "{limits:?}");
        let at_four = settled.iter().filter(|&&l| l == 4).count();
        assert!(at_four * 2 > settled.len(), "{limits:?}");
    }

    #[test]
    fn a_fast_link_that_more_parts_speed_up_gets_them() {
        // Each part alone 40 MB/s (a long fast link), up to 400 MB/s in all.
        let link = |n: usize| (n as f64 * 40e6).min(400e6);
        let (limits, _) = simulate(24, 16 * MIB, 400, 0, link, &[]);
        let settled = limits[limits.len() / 2];
        assert!((8..=24).contains(&settled), "{limits:?}");
    }

    #[test]
    fn parts_grow_only_on_a_link_that_sends_them_quickly() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut c = InFlightControl::new(8, 16 * MIB, t0, 0);
        assert_eq!(
            c.part_size_wanted(16 * MIB, 16 * MIB),
            16 * MIB,
            "nothing measured"
        );
        // A slow first part (the store warming up), then one sent in 500 ms (32 MiB/s):
        // the quick one counts, at most four times the largest so far, then what it
        // sends in GROWN_PART_TIME (4 s).
        c.part_done(t0 + ms(900), 16 * MIB, ms(900));
        c.part_done(t0 + ms(950), 16 * MIB, ms(500));
        assert_eq!(c.part_size_wanted(16 * MIB, 16 * MIB), 64 * MIB);
        assert_eq!(c.part_size_wanted(16 * MIB, 100 * MIB), 128 * MIB);
        // Eight times as fast: never above GROWN_PART_SIZE.
        c.part_done(t0 + ms(1000), 16 * MIB, ms(62) + Duration::from_micros(500));
        assert_eq!(c.part_size_wanted(16 * MIB, 512 * MIB), GROWN_PART_SIZE);
        // A home uplink: a 16 MiB part took 20 s; parts stay at the base.
        let mut slow = InFlightControl::new(8, 16 * MIB, t0, 0);
        slow.part_done(t0 + ms(20_000), 16 * MIB, ms(20_000));
        assert_eq!(slow.part_size_wanted(16 * MIB, 16 * MIB), 16 * MIB);
        // After a failure nothing proves the link fast: back to the base.
        c.failed(t0 + ms(1100), 0);
        assert_eq!(c.part_size_wanted(16 * MIB, 256 * MIB), 16 * MIB);
    }

    #[test]
    fn a_raise_on_trial_gets_parts_that_end_within_a_window() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut c = InFlightControl::new(8, 16 * MIB, t0, 0);
        c.part_done(t0 + s(1), 16 * MIB, Duration::from_millis(250));
        // 100 MB/s counted in each window: the second window raises to four.
        c.observe(t0 + s(1), 100_000_000);
        assert_eq!(c.observe(t0 + s(2), 200_000_000), 4);
        // While the raise is judged, parts are a quarter of a second's 100 MB (each of
        // four parts' share), not grown: if four are no better, they end soon instead
        // of running on. Never below the base, never above the largest cut so far.
        assert_eq!(c.part_size_wanted(16 * MIB, 256 * MIB), 25_000_000);
        assert_eq!(c.part_size_wanted(16 * MIB, 20 * MIB), 20 * MIB);
        assert_eq!(c.part_size_wanted(32 * MIB, 256 * MIB), 32 * MIB);
        c.observe(t0 + s(3), 300_000_000);
        assert_eq!(c.observe(t0 + s(4), 400_000_000), 2, "no gain: back to two");
        assert_eq!(c.part_size_wanted(16 * MIB, 256 * MIB), 256 * MIB);
    }

    #[test]
    fn never_above_the_files_share_of_the_pool() {
        let (limits, _) = simulate(3, 5 * MIB, 50, 0, |n| n as f64 * 10_000_000.0, &[]);
        assert!(limits.iter().all(|&l| l <= 3), "{limits:?}");
        assert_eq!(limits[2], 3);
    }

    #[test]
    fn failures_halve_the_parts_in_flight() {
        let link = |n: usize| (n as f64 * 3_000_000.0).min(24_000_000.0);
        let (limits, _) = simulate(24, 16 * MIB, 400, 0, link, &[60, 61]);
        let before = limits[58];
        assert!(before >= 8, "{limits:?}");
        assert!(limits[60] <= before / 4 + 1, "{limits:?}");
    }
}
