//! A tiny HTTP/1.1 server for fetch tests: serves deterministic pseudo-random bytes
//! with a chosen content type, with or without Content-Length (chunked), and can
//! break the connection part-way. Written on a plain TcpListener so every header and
//! every failure is exactly what the test asks for.
//!
//! `GET /bytes?size=N&type=T&seed=S[&chunked=1][&cut=M|&cutfirst=M][&range=1][&rate=BPS]
//! [&busyfirst=N]`,
//! `GET /missing` → 404. `range=1` honours `Range: bytes=N-` (206, with an ETag and
//! If-Range); `rate` sends about that many bytes per second. Body bytes sent are
//! counted (`served`).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const CHUNK: usize = 64 * 1024;

pub struct HttpSource {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
    served: Arc<AtomicU64>,
    ranges: Arc<Mutex<Vec<String>>>,
}

impl Drop for HttpSource {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl HttpSource {
    pub async fn start() -> HttpSource {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let served = Arc::new(AtomicU64::new(0));
        let ranges = Arc::new(Mutex::new(Vec::new()));
        let (s, r) = (served.clone(), ranges.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(serve(sock, s.clone(), r.clone()));
            }
        });
        HttpSource {
            addr,
            task,
            served,
            ranges,
        }
    }

    /// Body bytes sent so far, over every request.
    pub fn served(&self) -> u64 {
        self.served.load(Ordering::SeqCst)
    }

    /// The Range headers received (empty string: a request without one).
    pub fn ranges(&self) -> Vec<String> {
        self.ranges.lock().unwrap().clone()
    }

    pub fn url(&self, path_and_query: &str) -> String {
        format!("http://{}{path_and_query}", self.addr)
    }
}

/// The bytes `/bytes?size=N&seed=S` serves, chunk by chunk (same generator).
pub fn for_each_chunk(size: u64, seed: u64, mut f: impl FnMut(&[u8])) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut buf = vec![0u8; CHUNK];
    let mut left = size;
    while left > 0 {
        let n = (left as usize).min(CHUNK);
        rng.fill(&mut buf[..n]);
        f(&buf[..n]);
        left -= n as u64;
    }
}

/// CRC32C and length of what `/bytes?size=N&seed=S` serves.
pub fn expected_crc(size: u64, seed: u64) -> u32 {
    let (mut crc, mut len) = (0u32, 0u64);
    for_each_chunk(size, seed, |c| {
        let part = hoist_core::s3::checksum::crc32c(c);
        crc = hoist_core::s3::checksum::full_object(&[(crc, len), (part, c.len() as u64)]);
        len += c.len() as u64;
    });
    crc
}

async fn serve(mut sock: TcpStream, served: Arc<AtomicU64>, ranges: Arc<Mutex<Vec<String>>>) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match sock.read(&mut byte).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&byte[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head).to_string();
    let header = |name: &str| {
        head.lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_owned())
    };
    let target = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let q: HashMap<&str, &str> = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .collect();
    if path != "/bytes" {
        let _ = sock
            .write_all(
                b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found",
            )
            .await;
        return;
    }
    let size: u64 = q.get("size").and_then(|s| s.parse().ok()).unwrap_or(0);
    let seed: u64 = q.get("seed").and_then(|s| s.parse().ok()).unwrap_or(1);
    let ctype = q
        .get("type")
        .map(|t| t.replace("%2F", "/"))
        .unwrap_or_else(|| "application/octet-stream".into());
    let chunked = q.get("chunked") == Some(&"1");
    let cut: Option<u64> = q.get("cut").and_then(|s| s.parse().ok());
    let rate: Option<u64> = q.get("rate").and_then(|s| s.parse().ok());
    let range_ok = q.get("range") == Some(&"1");
    let etag = format!("\"v{seed}-{size}\"");
    let asked = header("range").unwrap_or_default();
    let nth = {
        let mut r = ranges.lock().unwrap();
        r.push(asked.clone());
        r.len()
    };
    // `busyfirst=N`: the first N requests are answered 503 (an origin overloaded or
    // restarting behind its proxy).
    if q.get("busyfirst")
        .and_then(|s| s.parse::<usize>().ok())
        .is_some_and(|n| nth <= n)
    {
        let _ = sock
            .write_all(
                b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbusy",
            )
            .await;
        return;
    }
    // `cutfirst=M`: only the first request is cut.
    let cut = cut.or_else(|| {
        q.get("cutfirst")
            .and_then(|s| s.parse().ok())
            .filter(|_| nth == 1)
    });
    let from: u64 = asked
        .strip_prefix("bytes=")
        .and_then(|r| r.strip_suffix('-'))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let if_range_ok = header("if-range").is_none_or(|v| v == etag);
    let start = if range_ok && from > 0 && from < size && if_range_ok {
        from
    } else {
        0
    };
    let mut resp = if start > 0 {
        format!(
            "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {start}-{}/{size}\r\n",
            size - 1
        )
    } else {
        "HTTP/1.1 200 OK\r\n".to_owned()
    };
    resp.push_str(&format!("Content-Type: {ctype}\r\nConnection: close\r\n"));
    if range_ok {
        resp.push_str(&format!("Accept-Ranges: bytes\r\nETag: {etag}\r\n"));
    }
    if chunked {
        resp.push_str("Transfer-Encoding: chunked\r\n\r\n");
    } else {
        resp.push_str(&format!("Content-Length: {}\r\n\r\n", size - start));
    }
    if sock.write_all(resp.as_bytes()).await.is_err() {
        return;
    }
    let mut sent = 0u64;
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut buf = vec![0u8; CHUNK];
    while sent < size {
        if cut.is_some_and(|c| sent >= c) {
            // Drop the connection mid-body.
            return;
        }
        let n = ((size - sent) as usize).min(CHUNK);
        rng.fill(&mut buf[..n]);
        // The generator runs from the first byte; a range skips what comes before.
        let skip = start.saturating_sub(sent).min(n as u64) as usize;
        let out = &buf[skip..n];
        let ok = out.is_empty()
            || if chunked {
                sock.write_all(format!("{:x}\r\n", out.len()).as_bytes())
                    .await
                    .is_ok()
                    && sock.write_all(out).await.is_ok()
                    && sock.write_all(b"\r\n").await.is_ok()
            } else {
                sock.write_all(out).await.is_ok()
            };
        if !ok {
            return;
        }
        served.fetch_add(out.len() as u64, Ordering::SeqCst);
        sent += n as u64;
        if let Some(r) = rate.filter(|_| !out.is_empty()) {
            tokio::time::sleep(std::time::Duration::from_secs_f64(
                out.len() as f64 / r as f64,
            ))
            .await;
        }
    }
    if chunked {
        let _ = sock.write_all(b"0\r\n\r\n").await;
    }
    let _ = sock.shutdown().await;
}
