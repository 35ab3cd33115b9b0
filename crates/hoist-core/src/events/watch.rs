//! A watched folder's state as the event stream and the shells see it.

use std::path::PathBuf;

use serde::Serialize;

pub type WatchId = i64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum WatchPhase {
    /// Listening for changes.
    Watching,
    /// Comparing the folder with what was uploaded.
    Scanning,
    /// Disabled by the user.
    Paused,
    /// The folder is missing or unreadable: nothing is uploaded or deleted until it
    /// is back.
    Error,
}

/// What the UI and CLI show for one watch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct WatchStatus {
    #[ts(type = "number")]
    pub id: WatchId,
    #[ts(type = "string")]
    pub root: PathBuf,
    pub bucket: String,
    pub prefix: String,
    pub enabled: bool,
    pub delete_remote: bool,
    /// The Hoist profile the watch uploads with (`null` = the AWS chain or the app's
    /// local store, per the shell).
    pub profile: Option<String>,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub phase: WatchPhase,
    /// Files changed and not yet verified in the bucket (settling + uploading).
    #[ts(type = "number")]
    pub pending: u64,
    #[ts(type = "number")]
    pub uploading: u64,
    /// Files the journal knows are in the bucket as they are on disk.
    #[ts(type = "number")]
    pub synced_files: u64,
    /// Milliseconds since the epoch.
    #[ts(type = "number | null")]
    pub last_synced_at: Option<i64>,
    /// Uploads or remote moves that failed since the watch started.
    #[ts(type = "number")]
    pub failures: u64,
    /// Files the store refused, waiting to be tried again (with backoff).
    #[ts(type = "number")]
    pub retrying: u64,
    /// Local deletions held back because there were too many at once: nothing moves
    /// to the trash until the user approves (or keeps the remote copies).
    #[ts(type = "number")]
    pub held_deletions: u64,
    /// Folders (or files) inside the watch that cannot be read now: nothing under them
    /// is uploaded or deleted until they can be. At most 20 are listed.
    pub cannot_read: Vec<CannotRead>,
    pub error: Option<String>,
}

/// A part of a watched folder that cannot be read, and why, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct CannotRead {
    /// Relative to the watched folder, with `/`; empty = the folder itself.
    pub path: String,
    pub reason: String,
}
