//! Read buffers that go back to a pool when the transport is done with them.
//!
//! Every streamed part reads its file in [`READ`]-sized pieces. Allocating each piece
//! afresh cost more CPU than sending it: buffers this large are mapped and unmapped
//! by the allocator every time, so each chunk paid page faults, the kernel zeroing its
//! pages and a TLB shootdown across cores (a third of the CLI's CPU for 1 GiB, by
//! `perf`). A pooled buffer is zeroed once and then reused; it comes back when the
//! last `Bytes` that views it drops, wherever that happens (inside the HTTP client).

use std::sync::{Arc, Mutex};

use bytes::Bytes;

use super::body::READ;

/// Buffers kept for reuse at most: two for each of the parts a fast link keeps in
/// flight; more are freed, so what stays allocated is bounded (16 MiB).
const KEEP: usize = 16;

#[derive(Debug, Default)]
pub(crate) struct ChunkPool {
    free: Mutex<Vec<Box<[u8]>>>,
}

/// A buffer of [`READ`] bytes on loan from a pool: the first `len` bytes hold data.
pub(crate) struct PooledChunk {
    buf: Option<Box<[u8]>>,
    len: usize,
    pool: Arc<ChunkPool>,
}

impl ChunkPool {
    /// The pool every engine of the process shares.
    pub(crate) fn shared() -> Arc<ChunkPool> {
        static POOL: std::sync::LazyLock<Arc<ChunkPool>> =
            std::sync::LazyLock::new(|| Arc::new(ChunkPool::default()));
        POOL.clone()
    }

    /// A buffer for up to [`READ`] bytes, reused when one is free.
    pub(crate) fn take(self: &Arc<Self>) -> PooledChunk {
        let reused = self.free.lock().unwrap_or_else(|p| p.into_inner()).pop();
        PooledChunk {
            buf: Some(reused.unwrap_or_else(|| vec![0u8; READ as usize].into_boxed_slice())),
            len: 0,
            pool: self.clone(),
        }
    }

    #[cfg(test)]
    fn kept(&self) -> usize {
        self.free.lock().unwrap().len()
    }
}

impl PooledChunk {
    /// The first `len` bytes, to fill (`len` at most [`READ`]).
    pub(crate) fn fill(&mut self, len: usize) -> &mut [u8] {
        self.len = len;
        &mut self.buf.as_mut().expect("present until dropped")[..len]
    }

    /// The data as `Bytes` without copying; the buffer returns to the pool when the
    /// last clone drops.
    pub(crate) fn into_bytes(self) -> Bytes {
        Bytes::from_owner(self)
    }
}

impl AsRef<[u8]> for PooledChunk {
    fn as_ref(&self) -> &[u8] {
        &self.buf.as_ref().expect("present until dropped")[..self.len]
    }
}

impl Drop for PooledChunk {
    fn drop(&mut self) {
        if let Some(buf) = self.buf.take() {
            let mut free = self.pool.free.lock().unwrap_or_else(|p| p.into_inner());
            if free.len() < KEEP {
                free.push(buf);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buffer_returns_when_its_last_bytes_drop_and_is_reused() {
        let pool = Arc::new(ChunkPool::default());
        let mut chunk = pool.take();
        chunk.fill(3).copy_from_slice(b"abc");
        let addr = chunk.as_ref().as_ptr();
        let bytes = chunk.into_bytes();
        let view = bytes.slice(1..);
        assert_eq!(&bytes[..], b"abc");
        drop(bytes);
        assert_eq!(pool.kept(), 0, "a clone still views it");
        assert_eq!(&view[..], b"bc");
        drop(view);
        assert_eq!(pool.kept(), 1);
        let mut again = pool.take();
        assert_eq!(
            again.fill(2).as_ptr(),
            addr,
            "the same memory, not a new buffer"
        );
        assert_eq!(pool.kept(), 0);
    }

    #[test]
    fn the_pool_keeps_a_bounded_number() {
        let pool = Arc::new(ChunkPool::default());
        let loans: Vec<_> = (0..KEEP + 10).map(|_| pool.take()).collect();
        drop(loans);
        assert_eq!(pool.kept(), KEEP);
    }
}
