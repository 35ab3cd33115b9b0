//! What a store was found to take, learned from the first request that tried it (for
//! the echo, a probe: `S3Store::probe_echo`) and kept for the store's lifetime (shared
//! by the clones of its `S3Store`): a part's CRC32C computed while the part streams
//! reaches the store either as an aws-chunked trailer or as nothing at all, the store
//! naming the CRC32C it computed in its answer. Stores that take neither are sent a
//! header after a first pass.

use std::sync::atomic::{AtomicU8, Ordering};

/// How a checksum computed while streaming reaches the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StreamedWay {
    /// In an aws-chunked trailer, which the store checks.
    Trailer,
    /// Not sent: the store computes the part's CRC32C (the upload was created with
    /// ChecksumAlgorithm=CRC32C) and names it in its answer, which must match.
    Echo,
}

/// What a store made of one [`StreamedWay`] so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Support {
    Untried = 0,
    Taken = 1,
    Refused = 2,
}

/// A store's [`Support`] for one way.
#[derive(Debug, Default)]
pub(crate) struct Learned(AtomicU8);

impl Learned {
    pub(crate) fn get(&self) -> Support {
        match self.0.load(Ordering::SeqCst) {
            1 => Support::Taken,
            2 => Support::Refused,
            _ => Support::Untried,
        }
    }

    pub(crate) fn set(&self, s: Support) {
        self.0.store(s as u8, Ordering::SeqCst);
    }
}

/// A store's [`Learned`] support for both ways.
#[derive(Debug, Default)]
pub(crate) struct StreamedSupport {
    trailer: Learned,
    echo: Learned,
}

impl StreamedSupport {
    pub(crate) fn of(&self, way: StreamedWay) -> &Learned {
        match way {
            StreamedWay::Trailer => &self.trailer,
            StreamedWay::Echo => &self.echo,
        }
    }
}
