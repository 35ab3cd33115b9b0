//! What shells put in the queue and what it shows for each item.

use std::path::PathBuf;

use serde::Serialize;

use super::records::ConflictPolicy;
use super::source;
use crate::events::{UploadId, WaitReason};
use crate::s3::ObjectOptions;

/// Options for queued files.
#[derive(Debug, Clone, Default)]
pub struct AddOptions {
    pub priority: i32,
    pub conflict: ConflictPolicy,
    /// Queue without starting (the user resumes them later).
    pub start_paused: bool,
    /// Content type, metadata, tags, storage class, encryption for every file (checked
    /// when added; the content type is guessed from each name when not set).
    pub object: ObjectOptions,
    /// How each file's key is made under the target's prefix (`{yyyy}/{mm}/{name}`);
    /// `None` = the file's name (and its folder, for a folder added).
    pub key_template: Option<String>,
}

/// A file and the exact key it lands at (what `add` makes of paths, and what a
/// watched folder hands over directly).
pub type KeyedFile = source::SourceFile;

/// What the queue shows for one upload.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ItemStatus {
    #[ts(type = "number")]
    pub id: UploadId,
    #[ts(type = "string")]
    pub path: PathBuf,
    pub bucket: String,
    pub key: String,
    #[ts(type = "number")]
    pub size: u64,
    /// Bytes sent so far, parts still in flight included (rolled back when an attempt
    /// fails); the whole size once verified. What is stored is in the journal.
    #[ts(type = "number")]
    pub bytes_done: u64,
    pub state: ItemState,
    pub priority: i32,
    pub error: Option<String>,
    /// Why it is not sending right now although queued or running: the network is
    /// down ("waiting for network", not a failure), the connection is metered, or it
    /// is outside the schedule window. `WaitReason::words` says it for users.
    pub waiting: Option<WaitReason>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ItemState {
    Queued,
    Running,
    Paused,
    Verified,
    /// The store took the object, but these credentials may not read it back
    /// (write-only): landed, not verified.
    Landed,
    Skipped,
    Failed,
    Cancelled,
}

impl ItemState {
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ItemState::Verified
                | ItemState::Landed
                | ItemState::Skipped
                | ItemState::Failed
                | ItemState::Cancelled
        )
    }
}
