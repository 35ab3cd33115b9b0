//! When the queue may send: the user's transfer rules (pause on a metered connection,
//! an optional schedule window) against the facts the shell reports (is the
//! connection metered?) and the clock. The engine holds its queue while [`hold`]
//! names a reason; the shell only feeds it facts.

use serde::{Deserialize, Serialize};

use crate::error::{HoistError, Result};
pub use crate::events::WaitReason;

/// The transfer settings a user chooses (the desktop's Settings → Transfers).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct TransferSettings {
    /// Bytes per second for all uploads together; `None` = unlimited.
    #[serde(default)]
    #[ts(type = "number | null")]
    pub rate_limit: Option<u64>,
    /// Requests (parts) in flight at once; `None` = the engine's default.
    #[serde(default)]
    pub concurrency: Option<u32>,
    /// Hold the queue while the connection is metered (as NetworkManager reports it).
    #[serde(default)]
    pub pause_on_metered: bool,
    /// Send only inside this daily window (local time).
    #[serde(default)]
    pub schedule: Option<ScheduleWindow>,
}

/// A daily window, "HH:MM" to "HH:MM" local time; it may cross midnight
/// ("22:00"–"06:00"). Start equal to end means all day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct ScheduleWindow {
    pub start: String,
    pub end: String,
}

/// Most requests in flight a user may choose.
pub const MAX_CONCURRENCY: u32 = 256;

impl TransferSettings {
    /// Checks what a user typed, with words they can act on.
    pub fn validate(&self) -> Result<()> {
        if let Some(c) = self.concurrency
            && !(1..=MAX_CONCURRENCY).contains(&c)
        {
            return Err(HoistError::InvalidInput(format!(
                "parts in flight must be between 1 and {MAX_CONCURRENCY} (got {c})"
            )));
        }
        if let Some(s) = &self.schedule {
            s.minutes()?;
        }
        Ok(())
    }
}

impl ScheduleWindow {
    /// Start and end as minutes after midnight.
    pub fn minutes(&self) -> Result<(u16, u16)> {
        Ok((parse_hhmm(&self.start)?, parse_hhmm(&self.end)?))
    }

    /// Whether `minute` (after midnight) lies inside the window.
    pub fn contains(&self, minute: u16) -> Result<bool> {
        let (start, end) = self.minutes()?;
        Ok(if start == end {
            true
        } else if start < end {
            (start..end).contains(&minute)
        } else {
            minute >= start || minute < end
        })
    }
}

fn parse_hhmm(s: &str) -> Result<u16> {
    let bad = || {
        HoistError::InvalidInput(format!(
            "\"{s}\" is not a time of day: write it as HH:MM, e.g. 22:00"
        ))
    };
    let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if h > 23 || m > 59 || s.trim().len() > 5 {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

/// The facts the shell reports about the machine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MachineFacts {
    /// `None` when nobody can tell (no NetworkManager).
    pub metered: Option<bool>,
}

/// Whether the queue must wait, and why (metered first: it is the user's money).
/// Invalid schedules never hold (they are refused when set).
pub fn hold(rules: &TransferSettings, facts: MachineFacts, minute: u16) -> Option<WaitReason> {
    if rules.pause_on_metered && facts.metered == Some(true) {
        return Some(WaitReason::Metered);
    }
    let window = rules.schedule.as_ref()?;
    match window.contains(minute) {
        Ok(false) => Some(WaitReason::Schedule {
            starts: window.start.trim().to_owned(),
        }),
        _ => None,
    }
}

/// NetworkManager's `Metered` property (NMMetered): 1 yes, 3 guessed yes; 2 no, 4
/// guessed no; 0 unknown.
pub fn metered_from_network_manager(value: u32) -> Option<bool> {
    match value {
        1 | 3 => Some(true),
        2 | 4 => Some(false),
        _ => None,
    }
}

/// Minutes after local midnight, now.
pub fn local_minute_of_day() -> u16 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    local_minute(secs)
}

#[cfg(unix)]
fn local_minute(secs: i64) -> u16 {
    let t = secs as libc::time_t;
    // SAFETY: localtime_r writes only into `tm`, which lives on this stack frame.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    if unsafe { libc::localtime_r(&t, &mut tm) }.is_null() {
        return ((secs.rem_euclid(86_400)) / 60) as u16;
    }
    (tm.tm_hour * 60 + tm.tm_min) as u16
}

#[cfg(not(unix))]
fn local_minute(secs: i64) -> u16 {
    ((secs.rem_euclid(86_400)) / 60) as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(start: &str, end: &str) -> TransferSettings {
        TransferSettings {
            schedule: Some(ScheduleWindow {
                start: start.into(),
                end: end.into(),
            }),
            ..TransferSettings::default()
        }
    }

    const fn at(h: u16, m: u16) -> u16 {
        h * 60 + m
    }

    #[test]
    fn a_window_across_midnight_holds_the_day_and_opens_at_its_start() {
        let rules = window("22:00", "06:00");
        let free = MachineFacts::default();
        assert_eq!(
            hold(&rules, free, at(12, 0)),
            Some(WaitReason::Schedule {
                starts: "22:00".into()
            })
        );
        assert_eq!(
            hold(&rules, free, at(21, 59)).unwrap().words(),
            "waiting for schedule (starts 22:00)"
        );
        assert_eq!(hold(&rules, free, at(22, 0)), None);
        assert_eq!(hold(&rules, free, at(3, 30)), None);
        assert!(
            hold(&rules, free, at(6, 0)).is_some(),
            "the end is exclusive"
        );
    }

    #[test]
    fn a_daytime_window_and_an_all_day_window() {
        let rules = window("09:30", "17:00");
        let free = MachineFacts::default();
        assert!(hold(&rules, free, at(9, 29)).is_some());
        assert_eq!(hold(&rules, free, at(9, 30)), None);
        assert!(hold(&rules, free, at(17, 0)).is_some());
        assert_eq!(hold(&window("08:00", "08:00"), free, at(3, 0)), None);
        assert_eq!(hold(&TransferSettings::default(), free, at(3, 0)), None);
    }

    #[test]
    fn metered_holds_only_when_chosen_and_known() {
        let mut rules = TransferSettings::default();
        let metered = MachineFacts {
            metered: Some(true),
        };
        assert_eq!(hold(&rules, metered, 0), None, "not chosen");
        rules.pause_on_metered = true;
        assert_eq!(hold(&rules, metered, 0), Some(WaitReason::Metered));
        assert_eq!(hold(&rules, MachineFacts::default(), 0), None, "unknown");
        assert_eq!(
            hold(
                &rules,
                MachineFacts {
                    metered: Some(false)
                },
                0
            ),
            None
        );
        assert_eq!(metered_from_network_manager(3), Some(true));
        assert_eq!(metered_from_network_manager(4), Some(false));
        assert_eq!(metered_from_network_manager(0), None);
    }

    #[test]
    fn bad_settings_are_refused_in_words() {
        for (s, e) in [
            ("24:00", "06:00"),
            ("22:00", "6"),
            ("ten", "06:00"),
            ("22:60", "1:00"),
        ] {
            let err = window(s, e).validate().unwrap_err().to_string();
            assert!(err.contains("HH:MM"), "{s}-{e}: {err}");
        }
        assert!(window("7:05", "23:59").validate().is_ok());
        let zero = TransferSettings {
            concurrency: Some(0),
            ..TransferSettings::default()
        };
        assert!(
            zero.validate()
                .unwrap_err()
                .to_string()
                .contains("between 1 and")
        );
    }

    #[test]
    fn the_local_clock_gives_a_minute_of_the_day() {
        assert!(local_minute_of_day() < 24 * 60);
    }
}
