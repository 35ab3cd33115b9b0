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
    /// Part size a multipart upload begins with; grown when a file would need more
    /// than 10,000 parts.
    pub part_size: u64,
    /// Later parts grow (up to [`GROWN_PART_SIZE`](super::plan::GROWN_PART_SIZE)) while
    /// the link sends a part faster than in [`GROWN_PART_TIME`](super::plan::GROWN_PART_TIME):
    /// each part costs a store request and work of its own, which on a fast network is
    /// what limits throughput. Off: every part is `part_size`.
    pub grow_parts: bool,
    /// Send each part's CRC32C after its bytes (an aws-chunked trailer). Off, the part
    /// goes without a checksum where the store names the CRC32C it computed (a probe
    /// learns it), else with a header after a first pass over the part: either way the
    /// store pays nothing for decoding a framing (SeaweedFS: trailers cost it about 7 %
    /// more CPU per GiB, the bottleneck on a fast link).
    pub checksum_trailers: bool,
    /// Files smaller than this go as a single PUT.
    pub multipart_threshold: u64,
    pub retry: RetryPolicy,
    /// How often coalesced progress events are published.
    pub progress_interval: Duration,
    /// A request whose body accepts no bytes for this long fails as "stalled" and is
    /// retried. No deadline covers a whole upload: slow but moving is never cut.
    pub stall_timeout: Duration,
    /// The bandwidth cap at start, bytes per second (`None` = unlimited); changed
    /// while running with `Engine::set_rate_limit`.
    pub rate_limit: Option<u64>,
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            concurrency: 32,
            memory_budget: 128 * MIB,
            part_size: 16 * MIB,
            grow_parts: true,
            checksum_trailers: false,
            multipart_threshold: 8 * MIB,
            retry: RetryPolicy::default(),
            progress_interval: Duration::from_millis(250),
            stall_timeout: Duration::from_secs(60),
            rate_limit: None,
        }
    }
}
