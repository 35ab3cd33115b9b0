//! Hoist's upload engine: resumable, verified uploads to Amazon S3 and every
//! S3-compatible store. It knows no shell: the desktop app and the `hoist` CLI both
//! drive it through [`Engine`] and listen to its [`EngineEvent`] stream.
//!
//! # The map (lower folders never import higher ones)
//!
//! | folder | owns |
//! |---|---|
//! | [`error`] | the one error enum, its codes and what is retryable |
//! | [`journal`] | the SQLite connection (WAL), durability, versioned migrations; no feature |
//! | [`s3`] | targets, clients and credentials seam, the `Multipart`/`UploadStore` traits and the SDK store, S3 checksum formats, error mapping |
//! | [`events`] | the one event stream's types (plain data, incl. watch status) |
//! | [`transfer`] | the engine: handle + queue actor, one upload's steps, plan, sources, retry, progress, queue tables |
//! | [`watch`] | watched folders: settle, scan, sync, their tables |
//! | [`profiles`] | profiles.json, the keyring vault, connection probe, `~/.aws` import |
//! | [`origin`] | HTTP(S) origins for upload-from-URL: Range/If-Range, type and size checks |
//! | [`objects`] | share/upload links and their history, bucket browser, thumbnails, fetch from URL |
//!
//! `error` and `fsutil` sit below everything; then `journal` → `s3` → `events` →
//! `transfer` → `watch` (`origin` on `error` only: the queue's fetch items and
//! `objects::fetch` read URLs through it); `profiles` and `objects` use `s3` and
//! `journal` (and `objects::fetch` the transfer's plan and retry, `profiles::destination` its
//! conflict policy). See `crates/hoist-core/README.md`
//! for the flow of one upload.

pub mod diagnostics;
pub mod error;
pub mod events;
pub mod fsutil;
pub mod journal;
pub mod objects;
pub mod origin;
pub mod process;
pub mod profiles;
pub mod s3;
pub mod transfer;
pub mod watch;

pub use error::{ErrorCode, ErrorReport, HoistError, Result};
pub use events::{EngineEvent, FinishStep, UploadId, Verification};
pub use journal::{UploadJournal, now_ms};
pub use objects::browse::{FolderEntry, ListRequest, Listing, ObjectDetails, ObjectEntry};
pub use objects::fetch::{FetchOptions, Fetched};
pub use objects::share::{Disposition, LinkExpiry, LinkMethod, ShareLink};
pub use origin::OriginLimits;
pub use profiles::{Profile, ProfileCredentials, ProfileStore};
pub use s3::{AwsChainCredentials, BucketAccess, ChecksumMode, CredentialResolver, Target};
pub use transfer::plan::{MIB, PartPlan, UploadPlan};
pub use transfer::retry::RetryPolicy;
pub use transfer::{
    AddOptions, Added, ConflictPolicy, Engine, EngineOptions, EngineSettings, FetchRequest,
    HistoryEntry, ItemState, ItemStatus, KeyedFile, PendingBatches, PlannedBatch, QueueTotals,
    ScheduleWindow, TransferSettings, UploadRow, UploadState, WaitReason,
};
pub use watch::{
    CannotRead, DeletionDecision, TrashedFile, WatchConfig, WatchId, WatchManager, WatchPhase,
    WatchSettings, WatchSpec, WatchStatus,
};
