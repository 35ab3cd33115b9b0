//! What the user can show someone helping them: recent log lines, versions and paths,
//! with every secret taken out. Log lines pass through [`redact`] before they reach
//! the file, and again before a report leaves the app.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{HoistError, Result};

/// Query parameters and fields whose values are secrets or let someone act as the
/// user (a presigned URL's signature works until it expires).
const SECRET_MARKERS: &[&str] = &[
    "x-amz-signature=",
    "x-amz-credential=",
    "x-amz-security-token=",
    "signature=",
    "aws_secret_access_key=",
    "secret_access_key=",
    "aws_session_token=",
    "session_token=",
    "\"secret_access_key\":\"",
    "\"session_token\":\"",
];

/// Replaces the values of known secret fields with `REDACTED`.
pub fn redact(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let hit = SECRET_MARKERS
            .iter()
            .filter(|m| lower[i..].starts_with(**m))
            .max_by_key(|m| m.len());
        match hit {
            Some(m) => {
                out.push_str(&text[i..i + m.len()]);
                i += m.len();
                let end = text[i..]
                    .find(|c: char| {
                        c.is_whitespace() || matches!(c, '&' | '"' | '\'' | ',' | ')' | '>' | ';')
                    })
                    .map_or(text.len(), |e| i + e);
                if end > i {
                    out.push_str("REDACTED");
                }
                i = end;
            }
            None => {
                let c = text[i..].chars().next().expect("inside the text");
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    out
}

/// The log file's name stem in the log folder (rotated files add the date).
pub const LOG_FILE_PREFIX: &str = "hoist.log";

/// The last `n` lines of the newest log file in `dir` (reads at most the last
/// 512 KiB), redacted again in case an older version wrote a secret.
pub fn recent_log(dir: &Path, n: usize) -> Result<Vec<String>> {
    let Some(newest) = newest_log(dir)? else {
        return Ok(Vec::new());
    };
    let mut f = std::fs::File::open(&newest).map_err(|e| HoistError::local_file(&newest, e))?;
    let len = f
        .metadata()
        .map_err(|e| HoistError::local_file(&newest, e))?
        .len();
    let start = len.saturating_sub(512 * 1024);
    f.seek(SeekFrom::Start(start))
        .map_err(|e| HoistError::local_file(&newest, e))?;
    let mut bytes = Vec::new();
    f.read_to_end(&mut bytes)
        .map_err(|e| HoistError::local_file(&newest, e))?;
    let text = String::from_utf8_lossy(&bytes);
    let mut lines: Vec<&str> = text.lines().collect();
    if start > 0 && !lines.is_empty() {
        lines.remove(0); // cut mid-line
    }
    let skip = lines.len().saturating_sub(n);
    Ok(lines[skip..].iter().map(|l| redact(l)).collect())
}

/// The newest `hoist.log*` file in `dir`.
pub fn newest_log(dir: &Path) -> Result<Option<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(HoistError::local_file(dir, e)),
    };
    Ok(entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(LOG_FILE_PREFIX))
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .max()
        .map(|(_, p)| p))
}

/// What the Diagnostics view shows and "Copy report" copies.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct DiagnosticsReport {
    pub app_version: String,
    pub engine_version: String,
    pub os: String,
    pub log_dir: String,
    pub data_dir: String,
    pub journal: String,
    pub recent_log: Vec<String>,
}

impl DiagnosticsReport {
    /// The engine's version; the shell fills in its own.
    pub fn engine_version() -> &'static str {
        env!("CARGO_PKG_VERSION")
    }

    /// The OS as people name it ("linux x86_64", with the distribution when known).
    pub fn os() -> String {
        let pretty = std::fs::read_to_string("/etc/os-release")
            .ok()
            .and_then(|t| {
                t.lines()
                    .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                    .map(|v| v.trim_matches('"').to_owned())
            });
        let base = format!("{} {}", std::env::consts::OS, std::env::consts::ARCH);
        match pretty {
            Some(p) => format!("{base} ({p})"),
            None => base,
        }
    }

    /// Plain text for pasting into an issue: versions, paths, then the log.
    pub fn text(&self) -> String {
        let mut s = format!(
            "Hoist {} (engine {})\nOS: {}\nLog folder: {}\nData folder: {}\nJournal: {}\n\nRecent log ({} lines):\n",
            self.app_version,
            self.engine_version,
            self.os,
            self.log_dir,
            self.data_dir,
            self.journal,
            self.recent_log.len()
        );
        for l in &self.recent_log {
            s.push_str(l);
            s.push('\n');
        }
        redact(&s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presigned_urls_and_secret_fields_lose_their_values() {
        let url = "https://s3.example/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20261202%2Fus-east-1&X-Amz-Signature=0123abcd&x-id=GetObject";
        let r = redact(&format!("link made: {url} ok"));
        assert!(!r.contains("0123abcd") && !r.contains("AKID"), "{r}");
        assert!(
            r.contains("X-Amz-Signature=REDACTED&x-id=GetObject ok"),
            "{r}"
        );
        let header = "authorization: AWS4-HMAC-SHA256 Credential=AKID/x, SignedHeaders=host, Signature=feedbeef";
        assert!(!redact(header).contains("feedbeef"));
        let form = r#"{"name":"corp","secret_access_key":"s3cr3t/+x","session_token":"tok"}"#;
        let r = redact(form);
        assert!(!r.contains("s3cr3t") && !r.contains("tok\""), "{r}");
        assert_eq!(
            redact("nothing to hide: ünïcode"),
            "nothing to hide: ünïcode"
        );
    }

    #[test]
    fn the_recent_log_is_the_newest_file_s_last_lines() {
        let dir = tempfile::tempdir().unwrap();
        assert!(recent_log(dir.path(), 5).unwrap().is_empty());
        let old = dir.path().join("hoist.log.2026-12-01");
        std::fs::write(&old, "old\n").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let lines: String = (0..700).map(|i| format!("line {i}\n")).collect();
        std::fs::write(
            dir.path().join("hoist.log.2026-12-02"),
            lines + "X-Amz-Signature=abc\n",
        )
        .unwrap();
        let recent = recent_log(dir.path(), 500).unwrap();
        assert_eq!(recent.len(), 500);
        assert_eq!(recent[0], "line 201");
        assert_eq!(recent[499], "X-Amz-Signature=REDACTED");
    }
}
