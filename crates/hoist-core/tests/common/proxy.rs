//! A fault-injecting TCP proxy on loopback, for the failures a real store will not
//! produce on demand: connections reset mid-request, 503 SlowDown answers, a network
//! that goes away and comes back, and a slow link.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
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
    pub connections: AtomicU64,
    pub injected: AtomicU64,
}

pub struct FaultProxy {
    pub addr: SocketAddr,
    pub faults: Arc<Faults>,
    task: tokio::task::JoinHandle<()>,
}

impl FaultProxy {
    pub async fn start(upstream: SocketAddr) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().unwrap();
        let faults = Arc::new(Faults::default());
        let f = faults.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                let f = f.clone();
                tokio::spawn(async move {
                    let _ = handle(client, upstream, f).await;
                });
            }
        });
        FaultProxy { addr, faults, task }
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

async fn handle(
    mut client: TcpStream,
    upstream: SocketAddr,
    f: Arc<Faults>,
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
