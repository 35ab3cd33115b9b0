//! A part's body, streamed from the file instead of held in memory: positional reads
//! of [`READ`] bytes into pooled buffers, sent as [`CHUNK`] frames, each passed
//! through the engine's one bandwidth cap ([`RateLimit`]) and counted into the
//! upload's progress as the transport takes it.
//! The CRC32C goes to the store one of three ways, two of them computed while the
//! bytes stream, so the file is read once: not at all, the store naming the CRC32C it
//! computed in its answer (compared by the caller), or after the bytes as an
//! aws-chunked trailer ([`PartBody::aws_chunked`]). Stores that take neither need the
//! checksum header before the body, so it is computed first, in a pass over the file
//! ([`checksums`], from the page cache), and checked again while streaming: a file
//! that changed mid-part fails the attempt instead of sending mixed bytes as verified.
//! (A single pass cannot see a change mid-part; the caller compares the file's
//! identity before Complete instead.)
//! A request whose body stops moving for the stall timeout fails as "stalled", which
//! is retried: no deadline ever cuts a slow but moving transfer.

use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

use super::chunk_pool::{ChunkPool, PooledChunk};
use super::multipart::BodyChecksum;
use super::target::ChecksumMode;
use crate::error::{HoistError, Result};

/// Bytes handed to the transport at a time (and to the bandwidth cap and progress).
pub const CHUNK: u64 = 256 * 1024;
/// Bytes read from the file at a time, then sent as [`CHUNK`] frames: each read is a
/// hand-off to a blocking thread and back, which costs more CPU than the read when
/// done per frame. A streamed request holds at most two of these.
pub const READ: u64 = 4 * CHUNK;

/// One token bucket for every request of an engine: the bandwidth cap, changeable
/// while uploads run (0 = unlimited).
#[derive(Debug)]
pub struct RateLimit {
    bytes_per_second: AtomicU64,
    /// Tokens (may go negative: a debt the next sender waits out) and when counted.
    bucket: Mutex<(f64, Instant)>,
    /// When any body of the engine last handed bytes to the transport: the link is
    /// alive while this moves.
    last_progress: Mutex<Instant>,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            bytes_per_second: AtomicU64::new(0),
            bucket: Mutex::new((0.0, Instant::now())),
            last_progress: Mutex::new(Instant::now()),
        }
    }
}

impl RateLimit {
    pub fn set(&self, bytes_per_second: Option<u64>) {
        self.bytes_per_second
            .store(bytes_per_second.unwrap_or(0), Ordering::SeqCst);
        *self.bucket.lock().unwrap_or_else(|p| p.into_inner()) = (0.0, Instant::now());
    }

    pub fn get(&self) -> Option<u64> {
        Some(self.bytes_per_second.load(Ordering::SeqCst)).filter(|r| *r > 0)
    }

    /// Takes `n` bytes' worth of tokens; returns how long the sender waits first.
    pub fn take(&self, n: u64) -> Duration {
        let Some(rate) = self.get() else {
            return Duration::ZERO;
        };
        let rate = rate as f64;
        let mut b = self.bucket.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        // A burst of at most one chunk or 50 ms, so the cap holds over short spans too.
        let burst = (rate * 0.05).max(CHUNK as f64);
        b.0 = (b.0 + now.duration_since(b.1).as_secs_f64() * rate).min(burst);
        b.1 = now;
        b.0 -= n as f64;
        if b.0 >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-b.0 / rate)
        }
    }
}

/// One attempt's count, so a failed attempt gives its bytes back to the progress.
#[derive(Debug)]
struct Attempt {
    counted: AtomicU64,
    last_progress: Mutex<Instant>,
    /// Every byte was handed to the transport; the request waits for its answer.
    ended: std::sync::atomic::AtomicBool,
    /// The CRC32C of the bytes streamed, once they all were.
    streamed_crc32c: Mutex<Option<u32>>,
}

impl Attempt {
    fn new() -> Arc<Attempt> {
        Arc::new(Attempt {
            counted: AtomicU64::new(0),
            last_progress: Mutex::new(Instant::now()),
            ended: std::sync::atomic::AtomicBool::new(false),
            streamed_crc32c: Mutex::new(None),
        })
    }
}

/// How a body is framed on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    /// The bytes as they are, under a checksum header sent before them.
    Plain,
    /// `Content-Encoding: aws-chunked`: each frame behind its hex length, then a last
    /// empty chunk and the `x-amz-checksum-crc32c` trailer computed while streaming.
    AwsChunked,
}

/// The trailer an aws-chunked body ends with, and its header's name.
pub(crate) const CRC32C_TRAILER: &str = "x-amz-checksum-crc32c";

/// Wire bytes of one aws-chunked frame of `n` data bytes: `{hex n}\r\n`, the data,
/// `\r\n`.
fn chunk_frame_len(n: u64) -> u64 {
    let hex = format!("{n:x}").len() as u64;
    hex + 2 + n + 2
}

/// Wire bytes of a `len`-byte body, aws-chunked in [`CHUNK`] frames with the CRC32C
/// trailer: `0\r\n`, `x-amz-checksum-crc32c:<8 base64>\r\n`, `\r\n`.
fn aws_chunked_len(len: u64) -> u64 {
    let (full, rest) = (len / CHUNK, len % CHUNK);
    let tail = if rest > 0 { chunk_frame_len(rest) } else { 0 };
    full * chunk_frame_len(CHUNK) + tail + 3 + CRC32C_TRAILER.len() as u64 + 1 + 8 + 2 + 2
}

/// How much longer than the stall timeout a request may go without moving while
/// other requests move, or once its body is all handed over: the socket buffers
/// between Hoist and a slow link hold megabytes, which drain at the link's pace.
const DRAIN_FACTOR: u32 = 10;

/// A slice of a file to send as one request's body. Cloning shares the attempt: make
/// a new one per attempt.
#[derive(Clone, Debug)]
pub struct PartBody {
    path: Arc<PathBuf>,
    offset: u64,
    len: u64,
    /// The CRC32C of a first pass, which the streamed bytes must match; `None` when
    /// the checksum is computed while streaming (and sent as a trailer).
    crc32c: Option<u32>,
    framing: Framing,
    progress: Arc<AtomicU64>,
    limit: Arc<RateLimit>,
    stall: Duration,
    attempt: Arc<Attempt>,
}

impl PartBody {
    pub fn new(
        path: &Path,
        (offset, len): (u64, u64),
        crc32c: Option<u32>,
        progress: Arc<AtomicU64>,
        limit: Arc<RateLimit>,
        stall: Duration,
    ) -> PartBody {
        PartBody {
            path: Arc::new(path.to_owned()),
            offset,
            len,
            crc32c,
            framing: Framing::Plain,
            progress,
            limit,
            stall,
            attempt: Attempt::new(),
        }
    }

    /// The same slice framed aws-chunked, its CRC32C computed while streaming and sent
    /// as a trailer (the attempt is shared).
    pub(crate) fn aws_chunked(&self) -> PartBody {
        PartBody {
            framing: Framing::AwsChunked,
            crc32c: None,
            ..self.clone()
        }
    }

    pub(crate) fn is_aws_chunked(&self) -> bool {
        self.framing == Framing::AwsChunked
    }

    /// The bytes the request carries: the slice, plus the framing when aws-chunked.
    pub(crate) fn wire_len(&self) -> u64 {
        match self.framing {
            Framing::Plain => self.len,
            Framing::AwsChunked => aws_chunked_len(self.len),
        }
    }

    /// The same slice as a plain body after a first pass over it (for a checksum
    /// header): what a store that refused trailing checksums is sent instead. Takes
    /// back what this attempt counted; the attempt stays shared with the caller's.
    pub(crate) async fn with_first_pass(&self) -> Result<PartBody> {
        self.roll_back();
        let (_, crc, _) =
            checksums(&self.path, self.offset, self.len, ChecksumMode::Crc32c).await?;
        self.attempt.ended.store(false, Ordering::SeqCst);
        // What the plain stream must match (or it fails): the slice's CRC32C.
        *self
            .attempt
            .streamed_crc32c
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(crc);
        *self
            .attempt
            .last_progress
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Instant::now();
        Ok(PartBody {
            framing: Framing::Plain,
            crc32c: Some(crc),
            ..self.clone()
        })
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The CRC32C of the slice: as the first pass read it, or, without one, as the
    /// bytes streamed (known once they all were).
    pub fn crc32c(&self) -> Option<u32> {
        self.crc32c.or(*self
            .attempt
            .streamed_crc32c
            .lock()
            .unwrap_or_else(|p| p.into_inner()))
    }

    /// How long a request of this body may go without moving before it fails.
    pub(crate) fn stall_timeout(&self) -> Duration {
        self.stall
    }

    /// Takes back what this attempt counted (it failed; its bytes are sent again).
    pub fn roll_back(&self) {
        let n = self.attempt.counted.swap(0, Ordering::SeqCst);
        self.progress.fetch_sub(n, Ordering::SeqCst);
    }

    pub(crate) fn byte_stream(&self) -> ByteStream {
        ByteStream::from_body_1_x(FileSlice::new(self.clone()))
    }

    /// The whole body in memory (the in-memory test store), read, counted and capped
    /// the same way as when streamed.
    #[cfg(test)]
    pub(crate) async fn collect(&self) -> Result<Bytes> {
        use http_body_util::BodyExt;
        Ok(FileSlice::new(self.clone()).collect().await?.to_bytes())
    }

    /// Resolves when the request has stalled: nothing of it moved for the stall
    /// timeout while nothing else of the engine moved either (the link is gone), or
    /// nothing of it moved for ten times that (it alone is stuck, or its answer never
    /// comes). A slow link that still moves is never cut: a request whose bytes sit
    /// in socket buffers waits while the link drains them.
    pub(crate) async fn stalled(&self) -> HoistError {
        let lock = |m: &Mutex<Instant>| *m.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            let own = lock(&self.attempt.last_progress).elapsed();
            let link = lock(&self.limit.last_progress).elapsed().min(own);
            let ended = self.attempt.ended.load(Ordering::SeqCst);
            let long = self.stall * DRAIN_FACTOR;
            if own >= long || (!ended && link >= self.stall) {
                return stalled(own);
            }
            let next = if ended {
                long - own
            } else {
                (self.stall.saturating_sub(link)).min(long - own)
            };
            tokio::time::sleep(next.max(Duration::from_millis(100))).await;
        }
    }
}

/// A request that did not move for `after`: a network failure, retried.
pub(crate) fn stalled(after: Duration) -> HoistError {
    HoistError::Network(format!(
        "stalled: no bytes accepted for {} s",
        after.as_secs()
    ))
}

enum State {
    Idle,
    /// A chunk being read; the file comes back with it, open for the next one.
    Reading(tokio::task::JoinHandle<Result<(std::fs::File, PooledChunk)>>),
    Waiting(Pin<Box<tokio::time::Sleep>>, Bytes),
}

struct FileSlice {
    body: PartBody,
    pos: u64,
    crc: u32,
    state: State,
    /// Opened by the first read and kept while the body streams.
    file: Option<std::fs::File>,
    /// What the last read brought and is not yet sent.
    ahead: Bytes,
    /// aws-chunked: a data frame whose length line went out, to send next.
    queued: Option<Bytes>,
    /// aws-chunked: the trailer went out.
    trailer_sent: bool,
    /// Wire bytes handed over so far (data and framing).
    wire: u64,
}

impl FileSlice {
    fn new(body: PartBody) -> FileSlice {
        FileSlice {
            body,
            pos: 0,
            crc: 0,
            state: State::Idle,
            file: None,
            ahead: Bytes::new(),
            queued: None,
            trailer_sent: false,
            wire: 0,
        }
    }

    fn chunked(&self) -> bool {
        self.body.framing == Framing::AwsChunked
    }

    /// Every data byte is out (and, aws-chunked, the trailer too).
    fn done(&self) -> bool {
        self.pos >= self.body.len
            && matches!(self.state, State::Idle)
            && self.queued.is_none()
            && (!self.chunked() || self.trailer_sent)
    }
}

impl Body for FileSlice {
    type Data = Bytes;
    type Error = HoistError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<Frame<Bytes>, HoistError>>> {
        let this = &mut *self;
        loop {
            match &mut this.state {
                State::Idle => {
                    if let Some(data) = this.queued.take() {
                        return Poll::Ready(Some(Ok(this.sent(data))));
                    }
                    if this.pos >= this.body.len {
                        if this.body.crc32c.is_some_and(|c| c != this.crc) {
                            return Poll::Ready(Some(Err(changed(&this.body.path))));
                        }
                        this.keep_crc32c(); // an empty body sent nothing
                        this.body.attempt.ended.store(true, Ordering::SeqCst);
                        if this.chunked() && !this.trailer_sent {
                            this.trailer_sent = true;
                            let lead = if this.pos > 0 { "\r\n" } else { "" };
                            let trailer = format!(
                                "{lead}0\r\n{CRC32C_TRAILER}:{}\r\n\r\n",
                                super::checksum::encode(this.crc)
                            );
                            return Poll::Ready(Some(Ok(this.framing(trailer))));
                        }
                        return Poll::Ready(None);
                    }
                    if !this.ahead.is_empty() {
                        let n = this.ahead.len().min(CHUNK as usize);
                        let bytes = this.ahead.split_to(n);
                        let wait = this.body.limit.take(n as u64);
                        if wait.is_zero() {
                            return Poll::Ready(Some(Ok(this.next_data(bytes))));
                        }
                        this.state = State::Waiting(Box::pin(tokio::time::sleep(wait)), bytes);
                        continue;
                    }
                    let n = READ.min(this.body.len - this.pos) as usize;
                    let at = this.body.offset + this.pos;
                    let path = this.body.path.clone();
                    let file = this.file.take();
                    this.state = State::Reading(tokio::task::spawn_blocking(move || {
                        let file = match file {
                            Some(f) => f,
                            None => open(&path)?,
                        };
                        let mut chunk = ChunkPool::shared().take();
                        read_into(&file, &path, chunk.fill(n), at)?;
                        Ok((file, chunk))
                    }));
                }
                State::Reading(handle) => {
                    let read = ready!(Pin::new(handle).poll(cx))
                        .unwrap_or_else(|e| Err(HoistError::local_file(&this.body.path, e)));
                    let chunk = match read {
                        Ok((file, chunk)) => {
                            this.file = Some(file);
                            chunk
                        }
                        Err(e) => {
                            this.state = State::Idle;
                            return Poll::Ready(Some(Err(e)));
                        }
                    };
                    this.crc = crc32c::crc32c_append(this.crc, chunk.as_ref());
                    this.ahead = chunk.into_bytes();
                    this.state = State::Idle;
                }
                State::Waiting(sleep, bytes) => {
                    ready!(sleep.as_mut().poll(cx));
                    let bytes = std::mem::take(bytes);
                    this.state = State::Idle;
                    return Poll::Ready(Some(Ok(this.next_data(bytes))));
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done() && self.body.crc32c.is_none_or(|c| c == self.crc)
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.body.wire_len() - self.wire)
    }
}

impl FileSlice {
    /// The next frame for a chunk of data: the chunk itself, or (aws-chunked) its
    /// length line, the chunk queued behind it.
    fn next_data(&mut self, bytes: Bytes) -> Frame<Bytes> {
        if !self.chunked() {
            return self.sent(bytes);
        }
        let lead = if self.pos > 0 { "\r\n" } else { "" };
        let line = format!("{lead}{:x}\r\n", bytes.len());
        self.queued = Some(bytes);
        self.framing(line)
    }

    fn framing(&mut self, text: String) -> Frame<Bytes> {
        self.wire += text.len() as u64;
        Frame::data(Bytes::from(text))
    }

    fn keep_crc32c(&self) {
        let kept = &self.body.attempt.streamed_crc32c;
        *kept.lock().unwrap_or_else(|p| p.into_inner()) = Some(self.crc);
    }

    /// Hands a chunk to the transport, counting it.
    fn sent(&mut self, bytes: Bytes) -> Frame<Bytes> {
        let n = bytes.len() as u64;
        self.pos += n;
        self.wire += n;
        self.body.attempt.counted.fetch_add(n, Ordering::SeqCst);
        self.body.progress.fetch_add(n, Ordering::SeqCst);
        if self.pos >= self.body.len {
            // Every byte was read (and checksummed) before it was sent. The transport
            // may not ask for the end of a body it knows the length of: keep the
            // CRC32C now.
            self.keep_crc32c();
        }
        let now = Instant::now();
        for clock in [
            &self.body.attempt.last_progress,
            &self.body.limit.last_progress,
        ] {
            *clock.lock().unwrap_or_else(|p| p.into_inner()) = now;
        }
        Frame::data(bytes)
    }
}

use std::future::Future as _;

fn changed(path: &Path) -> HoistError {
    HoistError::Integrity(format!(
        "{} changed while it was being sent; it is read again",
        path.display()
    ))
}

/// The first pass over a slice: the checksum header for `mode`, the CRC32C (always)
/// and the base64 MD5 (compatible mode), read in chunks so nothing large is held.
pub async fn checksums(
    path: &Path,
    offset: u64,
    len: u64,
    mode: ChecksumMode,
) -> Result<(BodyChecksum, u32, Option<String>)> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || {
        use base64::Engine as _;
        use md5::{Digest, Md5};
        let mut crc = 0u32;
        let mut md5 = (mode == ChecksumMode::ContentMd5).then(Md5::new);
        let file = open(&path)?;
        let mut buf = ChunkPool::shared().take();
        let mut pos = 0;
        while pos < len {
            let n = READ.min(len - pos) as usize;
            let data = buf.fill(n);
            read_into(&file, &path, data, offset + pos)?;
            crc = crc32c::crc32c_append(crc, data);
            if let Some(h) = md5.as_mut() {
                h.update(&*data);
            }
            pos += n as u64;
        }
        Ok(match md5 {
            Some(h) => {
                let m = base64::engine::general_purpose::STANDARD.encode(h.finalize());
                (BodyChecksum::Md5(m.clone()), crc, Some(m))
            }
            None => (BodyChecksum::Crc32c(crc), crc, None),
        })
    })
    .await
    .map_err(|e| HoistError::Network(format!("the read task failed: {e}")))?
}

fn open(path: &Path) -> Result<std::fs::File> {
    std::fs::File::open(path).map_err(|e| HoistError::local_file(path, e))
}

fn read_into(file: &std::fs::File, path: &Path, buf: &mut [u8], offset: u64) -> Result<()> {
    crate::fsutil::read_into(file, path, buf, offset, || changed(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_spreads_bytes_over_time() {
        let limit = RateLimit::default();
        limit.set(Some(1_000_000));
        // 5 MB at 1 MB/s: the waits add up to about 5 s, less the first burst.
        let waited: Duration = (0..20).map(|_| limit.take(250_000)).max().unwrap();
        assert!(waited > Duration::from_millis(4_500), "{waited:?}");
        limit.set(None);
        assert_eq!(limit.take(10_000_000), Duration::ZERO);
    }

    #[tokio::test]
    async fn a_changed_file_fails_the_stream_and_a_failed_attempt_is_rolled_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, vec![7u8; 600_000]).unwrap();
        let (_, crc, _) = checksums(&path, 0, 600_000, ChecksumMode::Crc32c)
            .await
            .unwrap();
        let progress = Arc::new(AtomicU64::new(0));
        let limit = Arc::new(RateLimit::default());
        let body = PartBody::new(
            &path,
            (0, 600_000),
            Some(crc),
            progress.clone(),
            limit.clone(),
            Duration::from_secs(5),
        );
        assert_eq!(body.collect().await.unwrap().len(), 600_000);
        assert_eq!(progress.load(Ordering::SeqCst), 600_000);
        body.roll_back();
        assert_eq!(progress.load(Ordering::SeqCst), 0);

        std::fs::write(&path, vec![8u8; 600_000]).unwrap();
        let body = PartBody::new(
            &path,
            (0, 600_000),
            Some(crc),
            progress,
            limit,
            Duration::from_secs(5),
        );
        let err = body.collect().await.unwrap_err();
        assert!(err.to_string().contains("changed"), "{err}");
    }

    /// Splits an aws-chunked body into its data and its trailer lines.
    fn decode_aws_chunked(mut wire: &[u8]) -> (Vec<u8>, Vec<String>, Vec<usize>) {
        let (mut data, mut sizes) = (Vec::new(), Vec::new());
        loop {
            let eol = wire.windows(2).position(|w| w == b"\r\n").unwrap();
            let n = usize::from_str_radix(std::str::from_utf8(&wire[..eol]).unwrap(), 16).unwrap();
            wire = &wire[eol + 2..];
            if n == 0 {
                break;
            }
            sizes.push(n);
            data.extend_from_slice(&wire[..n]);
            assert_eq!(&wire[n..n + 2], b"\r\n", "each chunk ends with CRLF");
            wire = &wire[n + 2..];
        }
        let text = std::str::from_utf8(wire).unwrap();
        assert!(text.ends_with("\r\n\r\n"), "{text:?}");
        let trailers = text.trim_end().lines().map(str::to_owned).collect();
        (data, trailers, sizes)
    }

    #[tokio::test]
    async fn an_aws_chunked_body_carries_the_slice_and_its_crc32c_as_a_trailer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let content: Vec<u8> = (0..1_700_000u32).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::write(&path, &content).unwrap();
        for (offset, len) in [(0u64, 1_700_000u64), (100_000, 2 * CHUNK), (5, 1), (0, 0)] {
            let progress = Arc::new(AtomicU64::new(0));
            let body = PartBody::new(
                &path,
                (offset, len),
                None,
                progress.clone(),
                Arc::new(RateLimit::default()),
                Duration::from_secs(5),
            )
            .aws_chunked();
            let slice = FileSlice::new(body.clone());
            assert_eq!(slice.size_hint().exact(), Some(body.wire_len()));
            use http_body_util::BodyExt;
            let wire = slice.collect().await.unwrap().to_bytes();
            assert_eq!(
                wire.len() as u64,
                body.wire_len(),
                "Content-Length is exact"
            );
            let (data, trailers, sizes) = decode_aws_chunked(&wire);
            let want = &content[offset as usize..(offset + len) as usize];
            assert!(data == want, "the data of {offset}+{len} came through");
            assert!(
                sizes.iter().rev().skip(1).all(|&n| n == CHUNK as usize),
                "{sizes:?}"
            );
            let crc = crate::s3::checksum::crc32c(want);
            assert_eq!(
                trailers,
                vec![format!(
                    "x-amz-checksum-crc32c:{}",
                    crate::s3::checksum::encode(crc)
                )]
            );
            assert_eq!(body.crc32c(), Some(crc), "the streamed CRC32C is kept");
            assert_eq!(
                progress.load(Ordering::SeqCst),
                len,
                "data bytes are counted"
            );
        }
    }
}

/// What a request sends: bytes already in memory (fetches from a URL, small probes),
/// or a slice of a file streamed as it goes.
#[derive(Clone, Debug)]
pub enum PartData {
    Memory(Bytes),
    File(PartBody),
}

impl From<Bytes> for PartData {
    fn from(b: Bytes) -> Self {
        PartData::Memory(b)
    }
}

impl PartData {
    pub fn len(&self) -> u64 {
        match self {
            PartData::Memory(b) => b.len() as u64,
            PartData::File(f) => f.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes on the wire (a file body's framing included).
    pub(crate) fn wire_len(&self) -> u64 {
        match self {
            PartData::Memory(b) => b.len() as u64,
            PartData::File(f) => f.wire_len(),
        }
    }

    pub(crate) fn byte_stream(&self) -> ByteStream {
        match self {
            PartData::Memory(b) => ByteStream::from(b.clone()),
            PartData::File(f) => f.byte_stream(),
        }
    }

    /// Resolves with a "stalled" error when a streamed body stops moving; never for
    /// bytes in memory (the client's own timeouts cover those small requests).
    pub(crate) async fn stalled(&self) -> HoistError {
        match self {
            PartData::Memory(_) => std::future::pending().await,
            PartData::File(f) => f.stalled().await,
        }
    }

    #[cfg(test)]
    pub(crate) async fn collect(&self) -> Result<Bytes> {
        match self {
            PartData::Memory(b) => Ok(b.clone()),
            PartData::File(f) => f.collect().await,
        }
    }
}
