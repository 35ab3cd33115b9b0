//! A fault-injecting TCP proxy on loopback, for the failures a real store will not
//! produce on demand: connections reset mid-request, 503 SlowDown answers, a network
//! that goes away and comes back, a slow link, and a store that refuses to complete
//! multipart uploads (as Garage refused Hoist's md5 mode, word for word).

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Default)]
pub struct Faults {
    /// Every Nth connection is reset after a few KiB of its request (0 = never).
    pub reset_every: AtomicU64,
    /// Every Nth connection is answered `503 SlowDown` (0 = never).
    pub busy_every: AtomicU64,
    /// While set, every connection is reset at once (the network is "down").
    pub down: AtomicBool,
    /// Upload bytes per second per connection (0 = unlimited).
    pub rate: AtomicU64,
    /// While set, request bytes are not read: connections stay open but the uplink
    /// accepts nothing (a stalled link).
    pub freeze: AtomicBool,
    /// The link emulator: upload bytes per second shared by all connections, as one
    /// home uplink is (0 = unlimited).
    pub shared_rate: AtomicU64,
    /// Added one-way delay (ms) on both directions, and random extra up to `jitter_ms`.
    pub latency_ms: AtomicU64,
    pub jitter_ms: AtomicU64,
    pub connections: AtomicU64,
    pub injected: AtomicU64,
    /// When set (before the connections are made), every CompleteMultipartUpload is
    /// answered with this HTTP status and XML error body instead of reaching the store.
    pub refuse_complete: Mutex<Option<(u16, String)>>,
    /// CompleteMultipartUpload requests seen while `refuse_complete` is set.
    pub completes: AtomicU64,
    /// The next N CreateMultipartUpload requests reach the store, but their answers
    /// are lost: the client's connection is reset once the store has answered (set
    /// before the connections are made).
    pub lose_create_answers: AtomicU64,
    /// When set (before the connections are made), requests are relayed one by one
    /// and the ones whose body is aws-chunked counted in `aws_chunked`.
    pub watch_requests: AtomicBool,
    /// When set (before the connections are made), every request with an aws-chunked
    /// body is answered with this HTTP status and XML error body, as stores that do not
    /// take trailing checksums answer (Ceph RGW and Garage over http, R2).
    pub refuse_aws_chunked: Mutex<Option<(u16, String)>>,
    /// aws-chunked requests seen (while watching or refusing them).
    pub aws_chunked: AtomicU64,
    /// Request lines seen while watching ("head /bucket/key http/1.1", lower case).
    pub request_lines: Mutex<Vec<String>>,
    /// Requests seen (while watching) that carry an `x-amz-checksum-crc32c` header.
    pub checksum_headers: AtomicU64,
    /// When set (before the connections are made), answers to UploadPart lose their
    /// `x-amz-checksum-crc32c` header, as from a store that computes no checksum of
    /// its own for a part sent without one.
    pub hide_part_checksums: AtomicBool,
    /// UploadPart requests seen without a checksum (while watching).
    pub unchecked_parts: AtomicU64,
    /// The next N UploadPart bodies (relayed one by one) reach the store with one byte
    /// flipped, as a faulty link or NIC would deliver them.
    pub corrupt_parts: AtomicU64,
}

fn error_xml(code: &str, message: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code>\
         <Message>{message}</Message></Error>"
    )
}

impl Faults {
    /// Requests seen (while watching) whose line starts with `method` and contains `part`.
    pub fn requests(&self, method: &str, part: &str) -> usize {
        let lines = self.request_lines.lock().unwrap();
        lines
            .iter()
            .filter(|l| l.starts_with(method) && l.contains(part))
            .count()
    }

    pub fn refuse_complete(&self, status: u16, code: &str, message: &str) {
        *self.refuse_complete.lock().unwrap() = Some((status, error_xml(code, message)));
    }

    pub fn refuse_aws_chunked(&self, status: u16, code: &str, message: &str) {
        *self.refuse_aws_chunked.lock().unwrap() = Some((status, error_xml(code, message)));
    }
}

pub struct FaultProxy {
    pub addr: SocketAddr,
    pub faults: Arc<Faults>,
    /// The shared uplink's token bucket (tokens, last refill).
    pub uplink: Arc<tokio::sync::Mutex<(f64, tokio::time::Instant)>>,
    task: tokio::task::JoinHandle<()>,
}

impl FaultProxy {
    pub async fn start(upstream: SocketAddr) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().unwrap();
        let faults = Arc::new(Faults::default());
        let uplink = Arc::new(tokio::sync::Mutex::new((0.0, tokio::time::Instant::now())));
        let (f, u) = (faults.clone(), uplink.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                let (f, u) = (f.clone(), u.clone());
                tokio::spawn(async move {
                    let _ = handle(client, upstream, f, u).await;
                });
            }
        });
        FaultProxy {
            addr,
            faults,
            uplink,
            task,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn reset(stream: TcpStream) {
    // SO_LINGER 0: close sends RST, as a dropped link or crashed middlebox would.
    let _ = stream.set_zero_linger();
    drop(stream);
}

type Uplink = Arc<tokio::sync::Mutex<(f64, tokio::time::Instant)>>;

/// Waits until the shared uplink has room for `n` bytes (a token bucket whose burst
/// is one 16 KiB read, so the cap holds over short spans).
async fn uplink_take(uplink: &Uplink, rate: u64, n: usize) {
    let wait = {
        let mut b = uplink.lock().await;
        let now = tokio::time::Instant::now();
        let rate = rate as f64;
        b.0 = (b.0 + now.duration_since(b.1).as_secs_f64() * rate).min(16384.0);
        b.1 = now;
        b.0 -= n as f64;
        if b.0 < 0.0 { -b.0 / rate } else { 0.0 }
    };
    if wait > 0.0 {
        tokio::time::sleep(Duration::from_secs_f64(wait)).await;
    }
}

fn delay(f: &Faults) -> Duration {
    let jitter = f.jitter_ms.load(Ordering::Relaxed);
    let extra = if jitter > 0 {
        fastrand::u64(0..=jitter)
    } else {
        0
    };
    Duration::from_millis(f.latency_ms.load(Ordering::Relaxed) + extra)
}

/// Copies `from` to `to` through a delay line: each chunk is written `delay` after it
/// was read (as a long link would), with up to 1 MiB in flight.
async fn delayed_copy<R, W>(mut from: R, mut to: W, f: Arc<Faults>) -> std::io::Result<()>
where
    R: AsyncReadExt + Unpin + Send + 'static,
    W: AsyncWriteExt + Unpin + Send + 'static,
{
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(tokio::time::Instant, Vec<u8>)>(64);
    let f2 = f.clone();
    let reader = tokio::spawn(async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let r = from.read(&mut buf).await?;
            if r == 0 {
                return Ok::<_, std::io::Error>(());
            }
            let due = tokio::time::Instant::now() + delay(&f2);
            if tx.send((due, buf[..r].to_vec())).await.is_err() {
                return Ok(());
            }
        }
    });
    while let Some((due, chunk)) = rx.recv().await {
        tokio::time::sleep_until(due).await;
        to.write_all(&chunk).await?;
    }
    let _ = reader.await;
    to.shutdown().await
}

async fn handle(
    mut client: TcpStream,
    upstream: SocketAddr,
    f: Arc<Faults>,
    uplink: Uplink,
) -> std::io::Result<()> {
    let n = f.connections.fetch_add(1, Ordering::SeqCst) + 1;
    if f.down.load(Ordering::SeqCst) {
        f.injected.fetch_add(1, Ordering::SeqCst);
        reset(client);
        return Ok(());
    }
    let busy = f.busy_every.load(Ordering::SeqCst);
    if busy > 0 && n % busy == 0 {
        f.injected.fetch_add(1, Ordering::SeqCst);
        // Read the request head, then refuse it the way S3 does under load.
        let mut buf = vec![0u8; 64 * 1024];
        let mut seen = Vec::new();
        while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
            let r = client.read(&mut buf).await?;
            if r == 0 {
                return Ok(());
            }
            seen.extend_from_slice(&buf[..r]);
        }
        let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code>\
                    <Message>Please reduce your request rate.</Message></Error>";
        let resp = format!(
            "HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        client.write_all(resp.as_bytes()).await?;
        client.shutdown().await?;
        return Ok(());
    }
    let refusals = Refusals {
        complete: f.refuse_complete.lock().unwrap().clone(),
        aws_chunked: f.refuse_aws_chunked.lock().unwrap().clone(),
    };
    if refusals.any()
        || f.watch_requests.load(Ordering::SeqCst)
        || f.hide_part_checksums.load(Ordering::SeqCst)
        || f.corrupt_parts.load(Ordering::SeqCst) > 0
        || f.lose_create_answers.load(Ordering::SeqCst) > 0
    {
        return relay_by_request(client, upstream, f, refusals).await;
    }
    let reset_every = f.reset_every.load(Ordering::SeqCst);
    // A reset connection dies after a few KiB to a few MiB of request bytes.
    let budget = if reset_every > 0 && n % reset_every == 0 {
        Some(4096 + fastrand::u64(0..4 * 1024 * 1024))
    } else {
        None
    };
    if budget.is_some() {
        // Closing this connection later sends RST, as a dropped link would.
        client.set_zero_linger()?;
    }
    let server = TcpStream::connect(upstream).await?;
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    let f2 = f.clone();
    let emulated =
        f.shared_rate.load(Ordering::SeqCst) > 0 || f.latency_ms.load(Ordering::SeqCst) > 0;
    if emulated {
        // The link emulator: the uplink's shared cap on the way up, then a delay line
        // each way.
        let (up_tx, up_rx) = tokio::io::duplex(256 * 1024);
        let (mut up_w, up_r) = (up_tx, up_rx);
        let f3 = f.clone();
        let capped = async move {
            let mut buf = vec![0u8; 16 * 1024];
            loop {
                let r = cr.read(&mut buf).await?;
                if r == 0 {
                    return up_w.shutdown().await;
                }
                let rate = f3.shared_rate.load(Ordering::Relaxed);
                if rate > 0 {
                    uplink_take(&uplink, rate, r).await;
                }
                up_w.write_all(&buf[..r]).await?;
            }
        };
        let up = tokio::spawn(delayed_copy(up_r, sw, f.clone()));
        let down = tokio::spawn(delayed_copy(sr, cw, f.clone()));
        let _ = tokio::join!(capped, up, down);
        return Ok(());
    }
    let up = async move {
        let mut buf = vec![0u8; 64 * 1024];
        let mut sent = 0u64;
        loop {
            while f2.freeze.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let r = cr.read(&mut buf).await?;
            if r == 0 {
                sw.shutdown().await?;
                return Ok::<_, std::io::Error>(false);
            }
            sent += r as u64;
            if budget.is_some_and(|b| sent >= b) {
                f2.injected.fetch_add(1, Ordering::SeqCst);
                return Ok(true);
            }
            sw.write_all(&buf[..r]).await?;
            let rate = f2.rate.load(Ordering::Relaxed);
            if rate > 0 {
                tokio::time::sleep(Duration::from_secs_f64(r as f64 / rate as f64)).await;
            }
        }
    };
    let down = async move {
        tokio::io::copy(&mut sr, &mut cw).await?;
        cw.shutdown().await
    };
    tokio::pin!(down);
    tokio::select! {
        r = up => {
            if matches!(r, Ok(true)) {
                return Ok(()); // both halves drop here: the client sees a reset
            }
            let _ = down.await;
        }
        _ = &mut down => {}
    }
    Ok(())
}

/// The answers (HTTP status, XML error body) the proxy gives instead of the store.
struct Refusals {
    complete: Option<(u16, String)>,
    aws_chunked: Option<(u16, String)>,
}

impl Refusals {
    fn any(&self) -> bool {
        self.complete.is_some() || self.aws_chunked.is_some()
    }
}

/// The answer header a store names a checksum in, and a header name of the same length
/// that it becomes when hidden (the answer's length does not change).
const CHECKSUM_ANSWER: &[u8] = b"x-amz-checksum-crc32c";
const HIDDEN_ANSWER: &[u8] = b"x-proxy-hidden-header";

/// Renames the checksum header in an answer's bytes (any case).
fn hide_checksum(bytes: &mut [u8]) {
    let n = CHECKSUM_ANSWER.len();
    let mut i = 0;
    while i + n <= bytes.len() {
        if bytes[i..i + n].eq_ignore_ascii_case(CHECKSUM_ANSWER) {
            bytes[i..i + n].copy_from_slice(HIDDEN_ANSWER);
            i += n;
        } else {
            i += 1;
        }
    }
}

/// Relays requests one by one (HTTP/1.1 sends the next request on a connection only
/// after the previous answer), answering the requests a refusal is set for itself,
/// losing the answers to CreateMultipartUpload that `lose_create_answers` asks for,
/// and hiding the checksums in UploadPart answers when asked to.
async fn relay_by_request(
    client: TcpStream,
    upstream: SocketAddr,
    f: Arc<Faults>,
    refusals: Refusals,
) -> std::io::Result<()> {
    let server = TcpStream::connect(upstream).await?;
    let (mut cr, cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    let cw = Arc::new(tokio::sync::Mutex::new(cw));
    let cw2 = cw.clone();
    // While set, the store's answer is read and thrown away, and `answered` fires.
    let lose = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(tokio::sync::Notify::new());
    let (lose2, answered2) = (lose.clone(), answered.clone());
    // While set, the answer being relayed is UploadPart's, and its checksum is hidden.
    let hiding = Arc::new(AtomicBool::new(false));
    let hiding2 = hiding.clone();
    let down = tokio::spawn(async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = sr.read(&mut buf).await?;
            if n == 0 {
                return cw2.lock().await.shutdown().await;
            }
            if lose2.load(Ordering::SeqCst) {
                answered2.notify_one();
                return Ok(());
            }
            if hiding2.load(Ordering::SeqCst) {
                hide_checksum(&mut buf[..n]);
            }
            cw2.lock().await.write_all(&buf[..n]).await?;
        }
    });
    let mut pending: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let result = async {
        loop {
            let head_len = loop {
                if let Some(i) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                    break i + 4;
                }
                let n = cr.read(&mut buf).await?;
                if n == 0 {
                    return Ok(());
                }
                pending.extend_from_slice(&buf[..n]);
            };
            let head = String::from_utf8_lossy(&pending[..head_len]).to_ascii_lowercase();
            let line = head.lines().next().unwrap_or("").to_owned();
            f.request_lines.lock().unwrap().push(line.clone());
            let create = line.starts_with("post ")
                && line.contains("?uploads")
                && !line.contains("uploadid=");
            if create
                && f.lose_create_answers
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok()
            {
                lose.store(true, Ordering::SeqCst);
                f.injected.fetch_add(1, Ordering::SeqCst);
                // The request reaches the store; once it has answered, the client's
                // connection is reset before the answer gets through.
                cr.as_ref().set_zero_linger()?;
                sw.write_all(&pending).await?;
                answered.notified().await;
                return Ok(());
            }
            let length = head.lines().find_map(|l| {
                l.strip_prefix("content-length:")
                    .and_then(|v| v.trim().parse::<usize>().ok())
            });
            let chunked = head
                .lines()
                .any(|l| l.starts_with("content-encoding:") && l.contains("aws-chunked"));
            if chunked {
                f.aws_chunked.fetch_add(1, Ordering::SeqCst);
            }
            let checksum_header = head
                .lines()
                .any(|l| l.starts_with("x-amz-checksum-crc32c:"));
            if checksum_header {
                f.checksum_headers.fetch_add(1, Ordering::SeqCst);
            }
            let part = line.starts_with("put ") && line.contains("partnumber=");
            let unchecked = part && !chunked && !checksum_header && !head.contains("content-md5:");
            if unchecked {
                f.unchecked_parts.fetch_add(1, Ordering::SeqCst);
            }
            hiding.store(
                part && f.hide_part_checksums.load(Ordering::SeqCst),
                Ordering::SeqCst,
            );
            let complete = line.starts_with("post ") && line.contains("uploadid=");
            let refused = if complete && refusals.complete.is_some() {
                f.completes.fetch_add(1, Ordering::SeqCst);
                refusals.complete.as_ref()
            } else if chunked && refusals.aws_chunked.is_some() {
                refusals.aws_chunked.as_ref()
            } else {
                None
            };
            if let Some((status, body)) = refused {
                f.injected.fetch_add(1, Ordering::SeqCst);
                // Read the request's body first, so the answer is not lost to a reset
                // (closing a socket with unread bytes sends RST).
                let mut unread = length.unwrap_or(0).saturating_sub(pending.len() - head_len);
                while unread > 0 {
                    let n = cr.read(&mut buf).await?;
                    if n == 0 {
                        break;
                    }
                    unread = unread.saturating_sub(n);
                }
                down.abort();
                let mut cw = cw.lock().await;
                let resp = format!(
                    "HTTP/1.1 {status} Refused\r\nContent-Type: application/xml\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                cw.write_all(resp.as_bytes()).await?;
                return cw.shutdown().await;
            }
            if length.is_none() && head.contains("transfer-encoding:") {
                // Not framed by length: pass the rest through as it comes.
                sw.write_all(&pending).await?;
                tokio::io::copy(&mut cr, &mut sw).await?;
                return Ok(());
            }
            let mut flip = part
                && length.is_some_and(|l| l > 0)
                && f.corrupt_parts
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok();
            if flip {
                f.injected.fetch_add(1, Ordering::SeqCst);
            }
            let take = head_len + length.unwrap_or(0).min(pending.len() - head_len);
            if flip && take > head_len {
                pending[head_len] ^= 0xff;
                flip = false;
            }
            sw.write_all(&pending[..take]).await?;
            let mut remaining = length.unwrap_or(0) - (take - head_len);
            pending.drain(..take);
            while remaining > 0 {
                let n = cr.read(&mut buf).await?;
                if n == 0 {
                    return Ok(());
                }
                let body = n.min(remaining);
                if flip {
                    buf[0] ^= 0xff;
                    flip = false;
                }
                sw.write_all(&buf[..body]).await?;
                pending.extend_from_slice(&buf[body..n]);
                remaining -= body;
            }
        }
    }
    .await;
    let _ = sw.shutdown().await;
    result
}
