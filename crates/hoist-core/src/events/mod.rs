//! The one stream of typed events both shells subscribe to. Its payloads are plain
//! data defined here (or in [`watch`]), below the features that emit them, so the
//! stream imports no feature's logic.

pub mod watch;

use serde::Serialize;
use tokio::sync::broadcast;

pub use self::watch::{CannotRead, WatchId, WatchPhase, WatchStatus};
use crate::error::{ErrorCode, ErrorReport};

/// An upload's id in the journal.
pub type UploadId = i64;

/// How an upload's integrity was proven after it landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Verification {
    /// The object's CRC32C (full or composite of parts) matched what was read locally.
    Crc32c,
    /// The object's ETag matched the MD5 (or MD5-of-MD5s) computed locally.
    Md5,
    /// The store reported no checksum; only the size could be compared.
    SizeOnly,
    /// The store accepted the object, but these credentials may not read it back
    /// (write-only): landed, not verified.
    NoReadPermission,
}

/// What an upload whose bytes are all sent is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum FinishStep {
    /// CompleteMultipartUpload: the store assembles the parts.
    Completing,
    /// HEAD: the object's checksum is compared with what was read.
    Verifying,
}

/// Why a queued or running upload is waiting instead of sending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "reason", rename_all = "snake_case")]
#[ts(export)]
pub enum WaitReason {
    /// Its requests fail because the network is down; it goes on by itself when the
    /// link returns (not a failure: no attempt limit).
    Network,
    /// The connection is metered and the user chose to pause on metered connections.
    Metered,
    /// Outside the schedule window; `starts` is when it opens ("22:00").
    Schedule { starts: String },
}

impl WaitReason {
    /// What the queue shows.
    pub fn words(&self) -> String {
        match self {
            WaitReason::Network => "waiting for network".into(),
            WaitReason::Metered => "paused: metered connection".into(),
            WaitReason::Schedule { starts } => format!("waiting for schedule (starts {starts})"),
        }
    }
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(tag = "event", rename_all = "snake_case")]
#[ts(export)]
pub enum EngineEvent {
    Queued {
        #[ts(type = "number")]
        id: UploadId,
        path: String,
        bucket: String,
        key: String,
        #[ts(type = "number")]
        size: u64,
    },
    Started {
        #[ts(type = "number")]
        id: UploadId,
        key: String,
        #[ts(type = "number")]
        size: u64,
        #[ts(type = "number")]
        parts_total: u64,
        #[ts(type = "number")]
        parts_done: u64,
        resumed: bool,
    },
    /// Coalesced: at most a few per second per upload.
    Progress {
        #[ts(type = "number")]
        id: UploadId,
        #[ts(type = "number")]
        bytes_done: u64,
        #[ts(type = "number")]
        bytes_total: u64,
        #[ts(type = "number")]
        rate_bps: u64,
        /// Parts being sent at once (it follows the link); 0 for a single PUT.
        parts_in_flight: u32,
    },
    PartDone {
        #[ts(type = "number")]
        id: UploadId,
        part: u32,
        #[ts(type = "number")]
        size: u64,
    },
    Retrying {
        #[ts(type = "number")]
        id: UploadId,
        attempt: u32,
        #[ts(type = "number")]
        delay_ms: u64,
        reason: String,
        /// What kind of failure: `network` means the store cannot be reached.
        code: ErrorCode,
        /// The network is down (not the store refusing): show "waiting for network";
        /// such retries have no attempt limit.
        offline: bool,
    },
    Paused {
        #[ts(type = "number")]
        id: UploadId,
    },
    Restarted {
        #[ts(type = "number")]
        id: UploadId,
        reason: String,
    },
    /// Every byte is sent; the upload is being completed, then checked (seconds for
    /// a large multipart upload, during which no bytes move).
    Finishing {
        #[ts(type = "number")]
        id: UploadId,
        step: FinishStep,
    },
    Completed {
        #[ts(type = "number")]
        id: UploadId,
        bucket: String,
        key: String,
        #[ts(type = "number")]
        size: u64,
        etag: Option<String>,
        checksum: Option<String>,
        verification: Verification,
        /// Bytes sent in this session.
        #[ts(type = "number")]
        bytes_sent: u64,
        /// Bytes of parts an earlier (crashed, paused or failed) attempt had begun to
        /// send and that had to be sent again.
        #[ts(type = "number")]
        bytes_resent: u64,
    },
    Skipped {
        #[ts(type = "number")]
        id: UploadId,
        key: String,
        reason: String,
    },
    Failed {
        #[ts(type = "number")]
        id: UploadId,
        key: String,
        error: ErrorReport,
    },
    Cancelled {
        #[ts(type = "number")]
        id: UploadId,
    },
    /// A finished upload was taken out of the queue (history keeps it).
    Removed {
        #[ts(type = "number")]
        id: UploadId,
    },
    /// Nothing queued or running any more.
    Idle,
    /// The queue holds (metered connection, outside the schedule) or goes on again
    /// (`reason: null`). Queued items show the reason in their status.
    Held { reason: Option<WaitReason> },
    /// A watched folder's state changed (phase, pending count, last sync, errors).
    Watch { status: WatchStatus },
}

pub type EventSender = broadcast::Sender<EngineEvent>;
