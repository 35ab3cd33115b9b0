//! A tiny HTTP/1.1 server for fetch tests: serves deterministic pseudo-random bytes
//! with a chosen content type, with or without Content-Length (chunked), and can
//! break the connection part-way. Written on a plain TcpListener so every header and
//! every failure is exactly what the test asks for.
//!
//! `GET /bytes?size=N&type=T&seed=S[&chunked=1][&cut=M]`, `GET /missing` → 404.

use std::collections::HashMap;
use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const CHUNK: usize = 64 * 1024;

pub struct HttpSource {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
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
        let task = tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(serve(sock));
            }
        });
        HttpSource { addr, task }
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

async fn serve(mut sock: TcpStream) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match sock.read(&mut byte).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&byte[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head).to_string();
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
    let mut resp = format!("HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nConnection: close\r\n");
    if chunked {
        resp.push_str("Transfer-Encoding: chunked\r\n\r\n");
    } else {
        resp.push_str(&format!("Content-Length: {size}\r\n\r\n"));
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
        let ok = if chunked {
            sock.write_all(format!("{n:x}\r\n").as_bytes())
                .await
                .is_ok()
                && sock.write_all(&buf[..n]).await.is_ok()
                && sock.write_all(b"\r\n").await.is_ok()
        } else {
            sock.write_all(&buf[..n]).await.is_ok()
        };
        if !ok {
            return;
        }
        sent += n as u64;
    }
    if chunked {
        let _ = sock.write_all(b"0\r\n\r\n").await;
    }
    let _ = sock.shutdown().await;
}
