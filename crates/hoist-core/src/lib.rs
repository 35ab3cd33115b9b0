//! Hoist's upload engine: resumable, verified uploads to Amazon S3 and every
//! S3-compatible store. It knows no shell: the desktop app and the `hoist` CLI both
//! drive it through [`Engine`] and listen to its [`EngineEvent`] stream.

pub mod browse;
pub mod checksum;
pub mod engine;
pub mod error;
pub mod events;
pub mod fetch;
pub mod fsutil;
pub mod journal;
pub mod plan;
pub mod profiles;
pub mod retry;
pub mod share;
pub mod source;
pub mod store;
pub mod target;
pub mod thumbnail;
mod upload;
pub mod watch;

pub use browse::{FolderEntry, ListRequest, Listing, ObjectDetails, ObjectEntry};
pub use engine::{
    AddOptions, Engine, EngineOptions, EngineSettings, ItemState, ItemStatus, KeyedFile,
};
pub use error::{ErrorCode, ErrorReport, HoistError, Result};
pub use events::{EngineEvent, Verification};
pub use fetch::{FetchOptions, Fetched};
pub use journal::{ConflictPolicy, HistoryEntry, UploadId, UploadJournal, UploadRow, UploadState};
pub use plan::{MIB, PartPlan, UploadPlan};
pub use profiles::{Profile, ProfileCredentials, ProfileStore};
pub use retry::RetryPolicy;
pub use share::{Disposition, LinkExpiry, LinkMethod, ShareLink};
pub use target::{AwsChainCredentials, BucketAccess, ChecksumMode, CredentialResolver, Target};
pub use watch::{
    WatchConfig, WatchId, WatchManager, WatchPhase, WatchSettings, WatchSpec, WatchStatus,
};
