//! `hoist-localstore`: the embedded store as a standalone server, for tests and for
//! trying other S3 clients against it.
//!
//! hoist-localstore --data DIR [--port N] [--access-key AK --secret-key SK] [--bucket B]...
//!                  [--upload-expiry-days N]

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use hoist_localstore::{LocalStore, LocalStoreConfig};

fn usage() -> ! {
    eprintln!(
        "usage: hoist-localstore --data DIR [--port N] [--access-key AK] [--secret-key SK] [--bucket B]... [--upload-expiry-days N]"
    );
    std::process::exit(2)
}

#[tokio::main]
async fn main() {
    let mut data = None;
    let mut port = 0u16;
    let mut access_key = std::env::var("AWS_ACCESS_KEY_ID").unwrap_or_default();
    let mut secret_key = std::env::var("AWS_SECRET_ACCESS_KEY").unwrap_or_default();
    let mut buckets = Vec::new();
    let mut upload_expiry = hoist_localstore::DEFAULT_UPLOAD_EXPIRY;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        match a.as_str() {
            "--data" => data = Some(PathBuf::from(value())),
            "--port" => port = value().parse().unwrap_or_else(|_| usage()),
            "--access-key" => access_key = value(),
            "--secret-key" => secret_key = value(),
            "--bucket" => buckets.push(value()),
            "--upload-expiry-days" => {
                let days: u64 = value().parse().unwrap_or_else(|_| usage());
                if days == 0 {
                    usage();
                }
                upload_expiry = std::time::Duration::from_secs(days * 86_400);
            }
            _ => usage(),
        }
    }
    let Some(data_dir) = data else { usage() };
    if access_key.is_empty() || secret_key.is_empty() {
        eprintln!(
            "hoist-localstore: set --access-key and --secret-key (or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)"
        );
        std::process::exit(2);
    }
    let config = LocalStoreConfig {
        data_dir,
        addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        access_key,
        secret_key,
        buckets,
        upload_expiry,
    };
    let store = match LocalStore::start(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("hoist-localstore: {e}");
            std::process::exit(1);
        }
    };
    println!("{}", store.endpoint());
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("signal handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    store.stop().await;
}
