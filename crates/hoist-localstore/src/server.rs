//! Serving the store over HTTP on loopback, with CORS so browsers can use presigned
//! links against it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use http::{HeaderName, Method};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use hyper_util::service::TowerToHyperService;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::Layer;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::service::LocalS3;

#[derive(Debug, thiserror::Error)]
pub enum LocalStoreError {
    #[error("cannot use the local store's folder {path}: {source}")]
    Folder {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

#[derive(Debug, Clone)]
pub struct LocalStoreConfig {
    /// Where objects (`objects/`) and uploads in progress (`multipart/`) live.
    pub data_dir: PathBuf,
    /// Loopback address; port 0 picks a free one.
    pub addr: SocketAddr,
    pub access_key: String,
    pub secret_key: String,
    /// Buckets created at start when missing.
    pub buckets: Vec<String>,
}

/// A running store. Dropping it stops the server.
pub struct LocalStore {
    addr: SocketAddr,
    stop: CancellationToken,
    done: Option<tokio::task::JoinHandle<()>>,
}

impl LocalStore {
    pub async fn start(config: LocalStoreConfig) -> Result<LocalStore, LocalStoreError> {
        let folder = |path: PathBuf| {
            move |source| LocalStoreError::Folder {
                path: path.display().to_string(),
                source,
            }
        };
        let objects = config.data_dir.join("objects");
        let multipart = config.data_dir.join("multipart");
        for bucket in &config.buckets {
            let dir = objects.join(bucket);
            std::fs::create_dir_all(&dir).map_err(folder(dir.clone()))?;
        }
        let s3 = LocalS3::new(objects.clone(), multipart).map_err(folder(objects))?;
        let mut builder = S3ServiceBuilder::new(s3);
        builder.set_auth(SimpleAuth::from_single(
            config.access_key.as_str(),
            config.secret_key.as_str(),
        ));
        let service = cors().layer(builder.build());
        let listener =
            TcpListener::bind(config.addr)
                .await
                .map_err(|source| LocalStoreError::Listen {
                    addr: config.addr,
                    source,
                })?;
        let addr = listener
            .local_addr()
            .map_err(|source| LocalStoreError::Listen {
                addr: config.addr,
                source,
            })?;
        let stop = CancellationToken::new();
        let done = tokio::spawn(serve(
            listener,
            TowerToHyperService::new(service),
            stop.clone(),
        ));
        tracing::info!("local store listening on http://{addr}");
        Ok(LocalStore {
            addr,
            stop,
            done: Some(done),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The endpoint URL clients use.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, lets requests in flight finish (up to 5 s), then returns.
    pub async fn stop(mut self) {
        self.stop.cancel();
        if let Some(done) = self.done.take() {
            let _ = done.await;
        }
    }
}

impl Drop for LocalStore {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Browsers may use presigned links from any page (the web apps of the seed
/// tutorials), so any origin may GET, PUT and POST; ETag must be readable to finish a
/// multipart upload from a browser.
fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_methods([
            Method::GET,
            Method::HEAD,
            Method::PUT,
            Method::POST,
            Method::DELETE,
        ])
        .allow_headers(tower_http::cors::AllowHeaders::mirror_request())
        .expose_headers([
            HeaderName::from_static("etag"),
            HeaderName::from_static("x-amz-checksum-crc32c"),
            HeaderName::from_static("x-amz-version-id"),
        ])
        .max_age(Duration::from_secs(3600))
}

type Service = TowerToHyperService<tower_http::cors::Cors<s3s::service::S3Service>>;

async fn serve(listener: TcpListener, service: Service, stop: CancellationToken) {
    let http = ConnBuilder::new(TokioExecutor::new());
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        let socket = tokio::select! {
            r = listener.accept() => match r {
                Ok((socket, _)) => socket,
                Err(e) => {
                    tracing::warn!("local store accept: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = stop.cancelled() => break,
        };
        let _ = socket.set_nodelay(true);
        let conn = http.serve_connection(TokioIo::new(socket), service.clone());
        let conn = graceful.watch(conn.into_owned());
        tokio::spawn(async move {
            let _ = conn.await;
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(Duration::from_secs(5)) => {}
    }
}
