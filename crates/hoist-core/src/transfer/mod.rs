//! Uploads, start to verified: the engine handle and its queue actor, one upload's
//! steps (conflict check, single PUT or multipart with resume, verification), part
//! planning, local sources, retries, progress, and the queue's journal tables.
//!
//! The flow of one upload: [`Engine::add`] expands paths into keyed files (`source`)
//! and records them in the journal (`records`) → the actor (`actor`) starts a worker
//! when a slot frees, by priority → the worker (`upload`) checks the bucket and the
//! conflict policy (`conflict`), plans single PUT or parts (`plan`), and for multipart
//! (`multipart`) creates or resumes the upload, sends missing parts within the request
//! pool and memory budget (each part journaled durably), completes and HEADs the object
//! to verify its checksum → the actor writes the history row (`history`) and emits
//! `Completed`; progress counters (`progress`) publish coalesced `Progress` events.

mod actor;
pub mod awake;
mod batch;
mod conflict;
mod copy_marks;
mod engine;
mod existing;
mod fetch;
pub mod gate;
mod history;
mod inflight;
mod landed;
mod multipart;
pub mod plan;
mod progress;
mod queue;
mod records;
pub mod retry;
mod same_key;
mod settings;
pub mod source;
mod totals;
mod upload;

#[cfg(test)]
mod gate_tests;
#[cfg(test)]
mod tests;

pub use batch::{Added, PendingBatches, PlannedBatch};
pub use engine::{Engine, EngineOptions};
pub use fetch::{FetchRequest, FetchSpec};
pub use gate::{ScheduleWindow, TransferSettings, WaitReason};
pub use history::HistoryEntry;
pub use queue::{AddOptions, ItemState, ItemStatus, KeyedFile};
pub use records::{ConflictPolicy, NewUpload, UploadRow, UploadState};
pub use settings::EngineSettings;
pub use totals::QueueTotals;
