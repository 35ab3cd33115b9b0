//! Diagnostics: every `tracing` line goes to a daily-rotated log file in the app's log
//! folder (five files kept) and to stderr, with secrets redacted before they are
//! written (hoist-core's `diagnostics::redact`); `RUST_LOG` overrides the level. The
//! Diagnostics view reads the recent log and copies a report (versions, paths, log).

use std::io::Write;
use std::path::{Path, PathBuf};

use hoist_core::diagnostics::{DiagnosticsReport, LOG_FILE_PREFIX, recent_log, redact};
use tauri::{AppHandle, State};
use tauri_plugin_clipboard_manager::ClipboardExt;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;

use crate::error::{Result, invalid};
use crate::state::Desktop;

/// Lines the Diagnostics view shows.
const RECENT_LINES: usize = 500;
/// Rotated files kept (a few days of history).
const KEEP_FILES: usize = 5;

/// Where the log goes; holds the writer thread so lines are flushed at exit.
pub struct LogFiles {
    pub dir: PathBuf,
    _guard: Option<WorkerGuard>,
}

/// Redacts each line on its way to the file (the writer gets one event at a time).
struct Redacting<W: Write>(W);

impl<W: Write> Write for Redacting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let clean = redact(&String::from_utf8_lossy(buf));
        self.0.write_all(clean.as_bytes())?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// Installs the app's subscriber: the log file in `dir` and stderr, at `RUST_LOG` or
/// else `default_filter`. Fails (and the app logs to stderr only) when the folder
/// cannot be made or another subscriber is installed.
pub fn init(dir: &Path, default_filter: &str) -> Result<LogFiles> {
    hoist_core::fsutil::private_dir(dir)?;
    let appender = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix(LOG_FILE_PREFIX)
        .max_log_files(KEEP_FILES)
        .build(dir)
        .map_err(|e| {
            invalid(format!(
                "the log file in {} cannot be made: {e}",
                dir.display()
            ))
        })?;
    let (file, guard) = tracing_appender::non_blocking(Redacting(appender));
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let subscriber = tracing_subscriber::registry()
        .with(filter)
        .with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(file),
        )
        .with(tracing_subscriber::fmt::layer().with_writer(|| Redacting(terminal())));
    tracing::subscriber::set_global_default(subscriber)
        .map_err(|e| invalid(format!("logging is already set up: {e}")))?;
    Ok(LogFiles {
        dir: dir.to_path_buf(),
        _guard: Some(guard),
    })
}

/// Where log lines go besides the file: the terminal; in unit tests, the output the
/// test harness captures (the test that logs at `trace` printed about 4,400 lines into
/// every CI log).
#[cfg(not(test))]
fn terminal() -> std::io::Stderr {
    std::io::stderr()
}

#[cfg(test)]
fn terminal() -> tracing_subscriber::fmt::TestWriter {
    tracing_subscriber::fmt::TestWriter::new()
}

impl LogFiles {
    /// No log file (it could not be made): the view says where it would be.
    pub fn none(dir: PathBuf) -> LogFiles {
        LogFiles { dir, _guard: None }
    }
}

pub fn report(desktop: &Desktop, logs: &LogFiles) -> Result<DiagnosticsReport> {
    let settings = desktop.settings();
    Ok(DiagnosticsReport {
        app_version: env!("CARGO_PKG_VERSION").to_owned(),
        engine_version: DiagnosticsReport::engine_version().to_owned(),
        os: DiagnosticsReport::os(),
        log_dir: logs.dir.display().to_string(),
        data_dir: desktop.data_dir().display().to_string(),
        journal: settings.journal,
        recent_log: recent_log(&logs.dir, RECENT_LINES)?,
    })
}

#[tauri::command]
pub async fn diagnostics(
    desktop: State<'_, Desktop>,
    logs: State<'_, LogFiles>,
) -> Result<DiagnosticsReport> {
    report(&desktop, &logs)
}

/// Copies the report to the clipboard (from Rust: the page has no clipboard access).
#[tauri::command]
pub async fn copy_diagnostics(
    app: AppHandle,
    desktop: State<'_, Desktop>,
    logs: State<'_, LogFiles>,
) -> Result<()> {
    let text = report(&desktop, &logs)?.text();
    app.clipboard()
        .write_text(text)
        .map_err(|e| invalid(format!("the report could not be copied: {e}")))
}

#[cfg(test)]
#[path = "diagnostics_tests.rs"]
mod tests;
