//! Terminal output: progress bars on a terminal, or one JSON object per line.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use hoist_core::s3::PendingMultipart;
use hoist_core::{
    DeletionDecision, EngineEvent, FinishStep, HistoryEntry, ItemState, ItemStatus, TrashedFile,
    UploadRow, WatchConfig, WatchPhase, WatchStatus,
};
use indicatif::{HumanBytes, MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;
use tokio::sync::{Notify, broadcast};

/// Prints one line to stdout like `println!`, but a reader that went away
/// (`hoist … | head`) ends the command quietly with the status a Unix tool killed by
/// SIGPIPE has (141), not with a panic.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::print_line(format_args!($($arg)*))
    };
}
pub(crate) use out;

/// Exit status of a command whose output reader went away (128 + SIGPIPE).
pub const OUTPUT_GONE: u8 = 141;

pub fn print_line(line: std::fmt::Arguments) {
    if try_line(line).is_err() {
        std::process::exit(OUTPUT_GONE.into());
    }
}

/// One line to stdout; an error when it cannot be written (the reader went away).
fn try_line(line: std::fmt::Arguments) -> std::io::Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout.write_fmt(line)?;
    stdout.write_all(b"\n")?;
    stdout.flush()
}

/// Why the reporter stopped.
#[derive(Debug, PartialEq, Eq)]
pub enum ReporterEnd {
    /// The engine sent its last event.
    EventsClosed,
    /// Told to finish: every event sent before that was printed.
    Drained,
    /// Standard output cannot be written any more.
    OutputGone,
}

/// A running reporter.
pub struct Printer {
    finish: Arc<Notify>,
    pub task: tokio::task::JoinHandle<ReporterEnd>,
}

impl Printer {
    /// Prints what the engine has sent so far, then ends the reporter (a fixed wait
    /// here cost every command 50 ms: most of a small upload's time). `notify_one`
    /// keeps a signal given before the reporter waits for it.
    pub async fn finish(mut self) {
        if self.task.is_finished() {
            return; // (its output may have been taken: not polled again)
        }
        self.finish.notify_one();
        if tokio::time::timeout(Duration::from_secs(5), &mut self.task)
            .await
            .is_err()
        {
            self.task.abort();
        }
    }
}

pub struct Reporter {
    json: bool,
    events: broadcast::Receiver<EngineEvent>,
    finish: Arc<Notify>,
}

impl Reporter {
    pub fn new(json: bool, events: broadcast::Receiver<EngineEvent>) -> Reporter {
        Reporter {
            json,
            events,
            finish: Arc::new(Notify::new()),
        }
    }

    /// Runs the reporter on its own task.
    pub fn spawn(self) -> Printer {
        Printer {
            finish: self.finish.clone(),
            task: tokio::spawn(self.run()),
        }
    }

    pub async fn run(mut self) -> ReporterEnd {
        let multi = MultiProgress::with_draw_target(if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        });
        let total = multi.add(ProgressBar::new(0));
        total.set_style(
            ProgressStyle::with_template(
                "{prefix:>9} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
            )
            .expect("template")
            .progress_chars("=> "),
        );
        total.set_prefix("total");
        let mut bars: HashMap<i64, ProgressBar> = HashMap::new();
        let file_style =
            ProgressStyle::with_template("{prefix:>9} [{bar:30}] {bytes}/{total_bytes} {msg}")
                .expect("template")
                .progress_chars("=> ");
        let mut done_bytes: HashMap<i64, u64> = HashMap::new();
        let mut queued: HashMap<i64, u64> = HashMap::new();
        let mut watch_lines = HashMap::new();
        let mut finishing = false;
        let mut lines: Vec<String> = Vec::new();
        loop {
            let next = if finishing {
                match self.events.try_recv() {
                    Ok(e) => Ok(e),
                    Err(broadcast::error::TryRecvError::Lagged(n)) => {
                        Err(broadcast::error::RecvError::Lagged(n))
                    }
                    Err(_) => {
                        flush(&multi, &mut lines);
                        return ReporterEnd::Drained;
                    }
                }
            } else {
                tokio::select! {
                    biased;
                    r = self.events.recv() => r,
                    _ = self.finish.notified() => {
                        finishing = true;
                        continue;
                    }
                }
            };
            let event = match next {
                Ok(e) => e,
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    if self.json {
                        let line = json!({"event": "lagged", "missed": n});
                        if try_line(format_args!("{line}")).is_err() {
                            return ReporterEnd::OutputGone;
                        }
                    } else {
                        // The summary still counts every file; say that lines are missing.
                        lines.push(format!("(output fell behind: {n} events not shown)"));
                    }
                    continue;
                }
                Err(broadcast::error::RecvError::Closed) => {
                    flush(&multi, &mut lines);
                    return ReporterEnd::EventsClosed;
                }
            };
            if self.json {
                let line = serde_json::to_string(&event).expect("events serialise");
                if try_line(format_args!("{line}")).is_err() {
                    return ReporterEnd::OutputGone;
                }
                continue;
            }
            match &event {
                EngineEvent::Queued { id, size, .. } => {
                    total.inc_length(*size);
                    queued.insert(*id, *size);
                }
                EngineEvent::Started {
                    id,
                    key,
                    size,
                    parts_total,
                    ..
                } if *parts_total > 1 || queued.get(id) == Some(&0) => {
                    // A URL's size is known once its body begins.
                    if queued.insert(*id, *size) == Some(0) {
                        total.inc_length(*size);
                    }
                    let bar = multi.add(ProgressBar::new(*size));
                    bar.set_style(file_style.clone());
                    bar.set_prefix(format!("#{id}"));
                    bar.set_message(key.clone());
                    bars.insert(*id, bar);
                }
                EngineEvent::Progress { id, bytes_done, .. } => {
                    let before = done_bytes.insert(*id, *bytes_done).unwrap_or(0);
                    // A failed attempt gives its bytes back: the total goes back too.
                    if *bytes_done >= before {
                        total.inc(bytes_done - before);
                    } else {
                        total.dec(before - bytes_done);
                    }
                    if let Some(b) = bars.get(id) {
                        b.set_position(*bytes_done);
                    }
                }
                EngineEvent::Retrying {
                    id,
                    attempt,
                    reason,
                    delay_ms,
                    offline,
                    ..
                } => {
                    lines.push(if *offline {
                        format!("wait   #{id}: waiting for network ({reason})")
                    } else {
                        format!("retry  #{id} (attempt {attempt}, in {delay_ms} ms): {reason}")
                    });
                }
                EngineEvent::Restarted { id, reason } => {
                    lines.push(format!("restart #{id}: {reason}"));
                }
                EngineEvent::Finishing { id, step } => {
                    if let Some(b) = bars.get(id) {
                        b.set_prefix(match step {
                            FinishStep::Completing => "finishing",
                            FinishStep::Verifying => "verifying",
                        });
                    }
                }
                EngineEvent::Completed {
                    id,
                    key,
                    size,
                    verification,
                    ..
                } => {
                    let before = done_bytes.insert(*id, *size).unwrap_or(0);
                    total.inc(size.saturating_sub(before));
                    if let Some(b) = bars.remove(id) {
                        b.finish_and_clear();
                    }
                    lines.push(
                        if *verification == hoist_core::Verification::NoReadPermission {
                            format!(
                                "landed {key} ({}, not verified: no read permission)",
                                HumanBytes(*size)
                            )
                        } else {
                            format!(
                                "ok     {key} ({}, verified: {})",
                                HumanBytes(*size),
                                verification_word(*verification)
                            )
                        },
                    );
                }
                EngineEvent::Skipped { key, reason, .. } => {
                    lines.push(format!("skip   {key}: {reason}"))
                }
                EngineEvent::Failed { id, key, error } => {
                    if let Some(b) = bars.remove(id) {
                        b.abandon();
                    }
                    lines.push(format!("FAILED {key}: {}", error.message));
                }
                EngineEvent::Paused { id } => lines.push(format!("paused #{id}")),
                EngineEvent::Cancelled { id } => lines.push(format!("cancel #{id}")),
                EngineEvent::Watch { status } => {
                    // One line when a watch changes phase or catches up, not per tick.
                    let key = (
                        status.phase,
                        status.pending == 0,
                        status.error.clone(),
                        status.held_deletions,
                        status.cannot_read.clone(),
                    );
                    if watch_lines.get(&status.id) != Some(&key) {
                        lines.push(watch_line(status));
                        watch_lines.insert(status.id, key);
                    }
                }
                _ => {}
            }
            // Lines go out in batches, once the events in hand are handled: a line at a
            // time (a zero sleep after each, too) fell behind a burst of small files
            // and lost lines to the engine's bounded event buffer.
            if self.events.is_empty() || lines.len() >= 512 {
                flush(&multi, &mut lines);
                total.tick();
                tokio::task::yield_now().await;
            }
        }
    }
}

/// Prints the lines gathered, above the progress bars.
fn flush(multi: &MultiProgress, lines: &mut Vec<String>) {
    if lines.is_empty() {
        return;
    }
    let mut text = lines.join("\n");
    text.push('\n');
    lines.clear();
    multi.suspend(|| {
        use std::io::Write as _;
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    });
}

fn verification_word(v: hoist_core::Verification) -> &'static str {
    match v {
        hoist_core::Verification::Crc32c => "crc32c",
        hoist_core::Verification::Md5 => "md5",
        hoist_core::Verification::SizeOnly => "size only",
        hoist_core::Verification::NoReadPermission => "no, landed but no read permission",
    }
}

pub fn print_summary(json: bool, items: &[ItemStatus], interrupted: bool) {
    let count = |s: ItemState| items.iter().filter(|i| i.state == s).count();
    let bytes: u64 = items
        .iter()
        .filter(|i| i.state == ItemState::Verified)
        .map(|i| i.size)
        .sum();
    if json {
        out!(
            "{}",
            json!({
                "event": "summary",
                "files": items.len(),
                "verified": count(ItemState::Verified),
                "landed_unverified": count(ItemState::Landed),
                "skipped": count(ItemState::Skipped),
                "failed": count(ItemState::Failed),
                "unfinished": items.iter().filter(|i| !i.state.is_final()).count(),
                "bytes_verified": bytes,
                "interrupted": interrupted,
            })
        );
    } else {
        let landed = match count(ItemState::Landed) {
            0 => String::new(),
            n => format!(", {n} landed but not verified (no read permission)"),
        };
        eprintln!(
            "{} files: {} verified ({}){landed}, {} skipped, {} failed{}",
            items.len(),
            count(ItemState::Verified),
            HumanBytes(bytes),
            count(ItemState::Skipped),
            count(ItemState::Failed),
            if interrupted { ", interrupted" } else { "" }
        );
    }
}

pub fn print_status(json: bool, rows: &[UploadRow]) {
    for r in rows {
        let parts_total = r.part_size.map(|ps| r.identity.size.div_ceil(ps).max(1));
        if json {
            out!(
                "{}",
                json!({
                    "id": r.id, "path": r.path, "bucket": r.target.bucket, "key": r.key, "state": r.state,
                    "size": r.identity.size, "bytes_done": r.bytes_done, "parts_done": r.parts_done,
                    "parts_total": parts_total, "multipart_id": r.multipart_id, "error": r.error,
                })
            );
        } else {
            let parts = match parts_total {
                Some(t) => format!("{}/{} parts", r.parts_done, t),
                None => "not started".into(),
            };
            out!(
                "#{:<5} {:<8} {:>10}  {}  s3://{}/{}{}",
                r.id,
                r.state.as_str(),
                HumanBytes(r.identity.size).to_string(),
                parts,
                r.target.bucket,
                r.key,
                r.error
                    .as_deref()
                    .map(|e| format!("  ({e})"))
                    .unwrap_or_default()
            );
        }
    }
    if rows.is_empty() && !json {
        out!("no unfinished uploads");
    }
}

pub fn print_history(json: bool, entries: &[HistoryEntry]) {
    for h in entries {
        if json {
            out!("{}", serde_json::to_string(h).expect("history serialises"));
        } else {
            out!(
                "{:<9} {:>10}  s3://{}/{}  ← {}{}",
                h.result,
                HumanBytes(h.size).to_string(),
                h.bucket,
                h.key,
                h.path.display(),
                h.message
                    .as_deref()
                    .map(|m| format!("  ({m})"))
                    .unwrap_or_default()
            );
        }
    }
}

pub fn print_orphans(json: bool, dry_run: bool, list: &[PendingMultipart]) {
    for u in list {
        if json {
            out!(
                "{}",
                json!({"key": u.key, "upload_id": u.upload_id, "initiated_ms": u.initiated_ms, "aborted": !dry_run})
            );
        } else {
            out!(
                "{} {}  ({})",
                if dry_run { "orphan " } else { "aborted" },
                u.key,
                u.upload_id
            );
        }
    }
    if !json {
        eprintln!(
            "{} orphaned multipart upload(s) {}",
            list.len(),
            if dry_run { "found" } else { "aborted" }
        );
    }
}

fn phase_word(p: WatchPhase) -> &'static str {
    match p {
        WatchPhase::Watching => "watching",
        WatchPhase::Scanning => "scanning",
        WatchPhase::Paused => "paused",
        WatchPhase::Error => "stopped",
    }
}

/// One status line; paths, bucket and prefix exactly as they are (case matters).
fn watch_line(s: &WatchStatus) -> String {
    let mut line = format!(
        "watch #{} {} → s3://{}/{}: {}, {} pending, {} synced",
        s.id,
        s.root.display(),
        s.bucket,
        s.prefix,
        phase_word(s.phase),
        s.pending,
        s.synced_files
    );
    if s.retrying > 0 {
        line.push_str(&format!(", {} refused (retrying)", s.retrying));
    }
    if let Some(e) = &s.error {
        line.push_str(&format!(" — {e}"));
    }
    for c in &s.cannot_read {
        let place = if c.path.is_empty() {
            "the folder"
        } else {
            &c.path
        };
        line.push_str(&format!(
            "\n  {place}: {} (nothing under it is uploaded or deleted)",
            c.reason
        ));
    }
    if s.held_deletions > 0 {
        line.push_str(&format!(
            "\n  {n} files were deleted at once: their objects stay until you answer. \
             Move them to the trash: `hoist watch deletions {id} --approve`; \
             keep them in the bucket: `hoist watch deletions {id} --keep`",
            n = s.held_deletions,
            id = s.id
        ));
    }
    line
}

pub fn print_watch_added(json: bool, w: &WatchConfig) {
    if json {
        out!("{}", serde_json::to_string(w).expect("serialises"));
    } else {
        out!(
            "watch #{} added: {} → s3://{}/{} (run `hoist watch run` to sync)",
            w.id,
            w.root.display(),
            w.bucket,
            w.prefix
        );
    }
}

/// A watch as `hoist watch list` shows it.
pub struct WatchRow {
    pub config: WatchConfig,
    pub synced: u64,
    pub last_synced_at: Option<i64>,
    pub held_deletions: u64,
}

pub fn print_watches(json: bool, rows: &[WatchRow]) {
    if json {
        let list: Vec<_> = rows
            .iter()
            .map(|r| {
                let mut v = serde_json::to_value(&r.config).expect("serialises");
                v["synced_files"] = json!(r.synced);
                v["last_synced_at"] = json!(r.last_synced_at);
                v["held_deletions"] = json!(r.held_deletions);
                v
            })
            .collect();
        out!("{}", serde_json::Value::Array(list));
        return;
    }
    if rows.is_empty() {
        out!("no watches");
    }
    for r in rows {
        let w = &r.config;
        out!(
            "#{} {} → s3://{}/{} [{}{}] {} files synced",
            w.id,
            w.root.display(),
            w.bucket,
            w.prefix,
            if w.enabled { "enabled" } else { "paused" },
            if w.delete_remote {
                ", deletions to trash"
            } else {
                ""
            },
            r.synced
        );
        if r.held_deletions > 0 {
            out!(
                "   {} deletions held: `hoist watch deletions {} --approve` or `--keep`",
                r.held_deletions,
                w.id
            );
        }
    }
}

pub fn print_trash(json: bool, id: i64, files: &[TrashedFile]) {
    if json {
        out!("{}", serde_json::to_string(files).expect("serialises"));
        return;
    }
    if files.is_empty() {
        out!("the trash is empty");
    }
    for f in files {
        let when = f
            .deleted_at
            .map_or_else(|| "(time unknown)".to_owned(), crate::remote::utc);
        out!(
            "{when}  {:>10}  {}\n    restore: hoist watch trash restore {id} '{}'",
            HumanBytes(f.size).to_string(),
            f.path,
            f.trash_key.replace('\'', "'\\''")
        );
    }
}

pub fn print_restored(json: bool, path: &std::path::Path) {
    if json {
        out!("{}", json!({ "restored": path.display().to_string() }));
    } else {
        out!("restored {} (the watch uploads it again)", path.display());
    }
}

pub fn print_decided(json: bool, id: i64, decision: DeletionDecision, n: u64) {
    let what = match decision {
        DeletionDecision::MoveToTrash => "move to the trash",
        DeletionDecision::KeepRemote => "keep in the bucket",
    };
    if json {
        out!("{}", json!({ "watch": id, "files": n, "decision": what }));
    } else {
        out!(
            "watch #{id}: {n} deleted files' objects will {what} (the running `hoist watch run` applies it within seconds)"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_watch_line_keeps_the_folder_bucket_and_prefix_as_they_are() {
        let s = WatchStatus {
            id: 3,
            root: "/Media/Cam/DCIM".into(),
            bucket: "photos".into(),
            prefix: "Trip 2026/".into(),
            enabled: true,
            delete_remote: false,
            profile: None,
            include: vec![],
            exclude: vec![],
            phase: hoist_core::WatchPhase::Watching,
            pending: 2,
            uploading: 1,
            synced_files: 10,
            last_synced_at: None,
            failures: 0,
            retrying: 0,
            held_deletions: 0,
            cannot_read: vec![],
            error: Some("Photos/RAW: Permission denied".into()),
        };
        let line = watch_line(&s);
        assert!(line.contains("/Media/Cam/DCIM"), "{line}");
        assert!(line.contains("s3://photos/Trip 2026/"), "{line}");
        assert!(line.contains("watching"), "{line}");
        assert!(line.contains("Photos/RAW: Permission denied"), "{line}");
        assert!(!line.contains("Watching"), "no debug output: {line}");

        let held = watch_line(&WatchStatus {
            held_deletions: 200,
            cannot_read: vec![hoist_core::CannotRead {
                path: "Vault".into(),
                reason: "cannot read it: permission denied".into(),
            }],
            ..s
        });
        assert!(held.contains("hoist watch deletions 3 --approve"), "{held}");
        assert!(held.contains("Vault: cannot read it"), "{held}");
    }
}
