//! When a changed file is ready to upload. A debounce timeout alone reports files that
//! are still being written (measured: FACTS.md), so a file is ready only when
//! 1. its writer closed it (inotify's close-after-write), or no writer was seen at all
//!    (found by a scan, moved in), or a writer left it untouched for `open_limit`;
//! 2. nothing happened to it for `quiet`; and
//! 3. two looks at its size + mtime, `quiet` apart, agree.
//!
//! Pure logic over caller-supplied instants, so it is tested with a fake clock.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::transfer::source::FileIdentity;

/// What the watcher saw happen to a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Data was written (or the file was created): a writer may still hold it open.
    Written,
    /// A writer closed it after writing.
    Closed,
    /// Found without write activity: a scan, a rename or move into the folder.
    Seen,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Settled: upload what has this identity.
    Ready(FileIdentity),
    /// Changed or too recent: look again later.
    Wait,
    /// The file is gone (or is no longer a file).
    Gone,
    /// Not tracked.
    Unknown,
}

#[derive(Debug, Clone)]
struct Candidate {
    last_event: Instant,
    writing: bool,
    /// Last look at size + mtime, and when.
    look: Option<(FileIdentity, Instant)>,
}

#[derive(Debug)]
pub struct Settler {
    quiet: Duration,
    open_limit: Duration,
    items: HashMap<String, Candidate>,
}

impl Settler {
    pub fn new(quiet: Duration, open_limit: Duration) -> Settler {
        Settler {
            quiet,
            open_limit,
            items: HashMap::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn contains(&self, rel: &str) -> bool {
        self.items.contains_key(rel)
    }

    /// Records activity on a file; `look` is its size + mtime now, if the caller
    /// already took it.
    pub fn touch(&mut self, rel: &str, signal: Signal, look: Option<FileIdentity>, now: Instant) {
        let c = self.items.entry(rel.to_owned()).or_insert(Candidate {
            last_event: now,
            writing: false,
            look: None,
        });
        // Events can arrive out of order (debounced per path): the latest one counts.
        if now >= c.last_event {
            c.last_event = now;
            match signal {
                Signal::Written => c.writing = true,
                Signal::Closed => c.writing = false,
                Signal::Seen => {}
            }
        }
        if let Some(l) = look {
            c.look = Some((l, now));
        }
    }

    /// Events were lost (the kernel queue overflowed): a close may be among them, so
    /// no file waits for one any more; the size + mtime check still guards them.
    pub fn events_lost(&mut self) {
        for c in self.items.values_mut() {
            c.writing = false;
        }
    }

    pub fn forget(&mut self, rel: &str) {
        self.items.remove(rel);
    }

    pub fn clear(&mut self) {
        self.items.clear();
    }

    /// Files worth looking at now (their quiet period passed), at most `limit` (a
    /// large catch-up is taken in bounded steps).
    pub fn due(&self, now: Instant, limit: usize) -> Vec<String> {
        let mut out: Vec<String> = self
            .items
            .iter()
            .filter(|(_, c)| self.is_due(c, now))
            .map(|(k, _)| k.clone())
            .take(limit)
            .collect();
        out.sort();
        out
    }

    fn is_due(&self, c: &Candidate, now: Instant) -> bool {
        let since_event = now.saturating_duration_since(c.last_event);
        if c.writing {
            return since_event >= self.open_limit;
        }
        let since_look = c
            .look
            .map(|(_, t)| now.saturating_duration_since(t))
            .unwrap_or(Duration::MAX);
        since_event >= self.quiet && since_look >= self.quiet
    }

    /// Compares a fresh look (`None` = gone) with the last one. Ready files leave the
    /// settler; the rest wait another quiet period.
    pub fn confirm(&mut self, rel: &str, look: Option<FileIdentity>, now: Instant) -> Verdict {
        let Some(c) = self.items.get_mut(rel) else {
            return Verdict::Unknown;
        };
        let Some(look) = look else {
            self.items.remove(rel);
            return Verdict::Gone;
        };
        let stable = match c.look {
            Some((prev, at)) => {
                prev == look && now.saturating_duration_since(at.max(c.last_event)) >= self.quiet
            }
            None => false,
        };
        let writer_gone =
            !c.writing || now.saturating_duration_since(c.last_event) >= self.open_limit;
        if stable && writer_gone {
            self.items.remove(rel);
            Verdict::Ready(look)
        } else {
            if c.look.map(|(prev, _)| prev) != Some(look) {
                c.look = Some((look, now));
            }
            Verdict::Wait
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const Q: Duration = Duration::from_millis(300);
    const OPEN: Duration = Duration::from_secs(30);

    fn id(size: u64, mtime: i64) -> FileIdentity {
        FileIdentity {
            size,
            mtime_ns: mtime,
            inode: 7,
        }
    }

    fn ms(t0: Instant, n: u64) -> Instant {
        t0 + Duration::from_millis(n)
    }

    #[test]
    fn closed_file_is_ready_after_a_quiet_stable_period() {
        let t0 = Instant::now();
        let mut s = Settler::new(Q, OPEN);
        s.touch("a", Signal::Written, None, t0);
        s.touch("a", Signal::Closed, Some(id(10, 1)), ms(t0, 5));
        assert!(
            s.due(ms(t0, 200), usize::MAX).is_empty(),
            "still in its quiet period"
        );
        assert_eq!(s.due(ms(t0, 305), usize::MAX), vec!["a".to_string()]);
        assert_eq!(
            s.confirm("a", Some(id(10, 1)), ms(t0, 305)),
            Verdict::Ready(id(10, 1))
        );
        assert!(s.is_empty());
    }

    #[test]
    fn a_slow_writer_holding_the_file_open_is_never_ready_while_it_writes() {
        let t0 = Instant::now();
        let mut s = Settler::new(Q, OPEN);
        // Writes with pauses far longer than the quiet period (debounce), no close.
        for i in 0..10u64 {
            s.touch("big", Signal::Written, None, ms(t0, i * 2000));
            let now = ms(t0, i * 2000 + 1900);
            assert!(
                s.due(now, usize::MAX).is_empty(),
                "not due while open, pause {i}"
            );
            assert_eq!(s.confirm("big", Some(id(i, i as i64)), now), Verdict::Wait);
        }
        s.touch("big", Signal::Closed, Some(id(100, 100)), ms(t0, 20_000));
        assert_eq!(s.due(ms(t0, 20_400), usize::MAX), vec!["big".to_string()]);
        assert_eq!(
            s.confirm("big", Some(id(100, 100)), ms(t0, 20_400)),
            Verdict::Ready(id(100, 100))
        );
    }

    #[test]
    fn size_or_mtime_change_restarts_the_wait() {
        let t0 = Instant::now();
        let mut s = Settler::new(Q, OPEN);
        s.touch("f", Signal::Seen, Some(id(1, 1)), t0);
        // Grew without an event (a missed one): not ready, waits another quiet period.
        assert_eq!(s.confirm("f", Some(id(2, 2)), ms(t0, 400)), Verdict::Wait);
        assert!(s.due(ms(t0, 500), usize::MAX).is_empty());
        assert_eq!(s.due(ms(t0, 700), usize::MAX), vec!["f".to_string()]);
        assert_eq!(
            s.confirm("f", Some(id(2, 2)), ms(t0, 700)),
            Verdict::Ready(id(2, 2))
        );
    }

    #[test]
    fn a_scanned_file_without_a_first_look_needs_two_looks() {
        let t0 = Instant::now();
        let mut s = Settler::new(Q, OPEN);
        s.touch("f", Signal::Seen, None, t0);
        assert_eq!(s.due(ms(t0, 300), usize::MAX), vec!["f".to_string()]);
        assert_eq!(s.confirm("f", Some(id(3, 3)), ms(t0, 300)), Verdict::Wait);
        assert!(s.due(ms(t0, 400), usize::MAX).is_empty());
        assert_eq!(
            s.confirm("f", Some(id(3, 3)), ms(t0, 600)),
            Verdict::Ready(id(3, 3))
        );
    }

    #[test]
    fn after_lost_events_an_open_file_settles_on_size_and_mtime() {
        let t0 = Instant::now();
        let mut s = Settler::new(Q, OPEN);
        s.touch("f", Signal::Written, Some(id(9, 9)), t0);
        assert!(s.due(ms(t0, 1_000), usize::MAX).is_empty());
        s.events_lost();
        assert_eq!(s.due(ms(t0, 1_000), usize::MAX), vec!["f".to_string()]);
        assert_eq!(
            s.confirm("f", Some(id(9, 9)), ms(t0, 1_000)),
            Verdict::Ready(id(9, 9))
        );
    }

    #[test]
    fn an_idle_open_file_is_taken_after_the_open_limit_and_gone_files_leave() {
        let t0 = Instant::now();
        let mut s = Settler::new(Q, Duration::from_secs(5));
        s.touch("log", Signal::Written, Some(id(5, 5)), t0);
        assert!(s.due(ms(t0, 4_999), usize::MAX).is_empty());
        assert_eq!(s.due(ms(t0, 5_000), usize::MAX), vec!["log".to_string()]);
        assert_eq!(
            s.confirm("log", Some(id(5, 5)), ms(t0, 5_000)),
            Verdict::Ready(id(5, 5))
        );
        s.touch("x", Signal::Closed, None, t0);
        assert_eq!(s.confirm("x", None, ms(t0, 400)), Verdict::Gone);
        assert_eq!(s.confirm("x", None, ms(t0, 400)), Verdict::Unknown);
    }
}
