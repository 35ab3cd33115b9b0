//! The engine's tunables, read by the actor and the workers.

use std::time::Duration;

use super::plan::MIB;
use super::retry::RetryPolicy;

#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// Requests in flight at once, across all files (the global pool).
    pub concurrency: usize,
    /// Bytes of file data held in memory at once, across all files: bounds memory to
    /// about this much, however large or many the files.
    pub memory_budget: u64,
    /// Preferred part size; grown when a file would need more than 10,000 parts.
    pub part_size: u64,
    /// Files smaller than this go as a single PUT.
    pub multipart_threshold: u64,
    pub retry: RetryPolicy,
    /// How often coalesced progress events are published.
    pub progress_interval: Duration,
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            concurrency: 32,
            memory_budget: 128 * MIB,
            part_size: 16 * MIB,
            multipart_threshold: 8 * MIB,
            retry: RetryPolicy::default(),
            progress_interval: Duration::from_millis(250),
        }
    }
}
