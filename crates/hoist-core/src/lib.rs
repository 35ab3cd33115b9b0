//! Hoist's upload engine: resumable, verified uploads to Amazon S3 and every
//! S3-compatible store. It knows no shell: the desktop app and the `hoist` CLI both
//! drive it through [`Engine`] and listen to its [`EngineEvent`] stream.

pub mod checksum;
pub mod engine;
pub mod error;
pub mod events;
pub mod journal;
pub mod plan;
pub mod retry;
pub mod source;
pub mod store;
pub mod target;
mod upload;
pub mod watch;

pub use engine::{
    AddOptions, Engine, EngineOptions, EngineSettings, ItemState, ItemStatus, KeyedFile,
};
pub use error::{ErrorCode, ErrorReport, HoistError, Result};
pub use events::{EngineEvent, Verification};
pub use journal::{ConflictPolicy, HistoryEntry, UploadId, UploadJournal, UploadRow, UploadState};
pub use plan::{MIB, PartPlan, UploadPlan};
pub use retry::RetryPolicy;
pub use target::{AwsChainCredentials, ChecksumMode, CredentialResolver, Target};
pub use watch::{
    WatchConfig, WatchId, WatchManager, WatchPhase, WatchSettings, WatchSpec, WatchStatus,
};
