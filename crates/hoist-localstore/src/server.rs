//! Serving the store over HTTP on loopback, with CORS so browsers can use presigned
//! links against it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
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

use crate::multipart::Uploads;
use crate::private;
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
    /// Multipart uploads with no activity for this long are aborted (at start and by
    /// a periodic sweep), as S3's AbortIncompleteMultipartUpload rule does.
    pub upload_expiry: Duration,
}

/// How long an untouched multipart upload is kept by default.
pub const DEFAULT_UPLOAD_EXPIRY: Duration = Duration::from_secs(7 * 24 * 3600);

impl Default for LocalStoreConfig {
    /// Loopback on a free port; the data folder and keys are the caller's to set.
    fn default() -> LocalStoreConfig {
        LocalStoreConfig {
            data_dir: PathBuf::new(),
            addr: SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, 0)),
            access_key: String::new(),
            secret_key: String::new(),
            buckets: Vec::new(),
            upload_expiry: DEFAULT_UPLOAD_EXPIRY,
        }
    }
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
        // Private whatever the umask; an older install's modes are fixed here.
        private::ensure_dir(&config.data_dir).map_err(folder(config.data_dir.clone()))?;
        private::fix_tree(&config.data_dir).map_err(folder(config.data_dir.clone()))?;
        for bucket in &config.buckets {
            let dir = objects.join(bucket);
            private::create_dir_all(&dir).map_err(folder(dir.clone()))?;
        }
        let s3 = LocalS3::new(objects.clone(), multipart).map_err(folder(objects))?;
        let expired = s3
            .uploads
            .expire(config.upload_expiry)
            .await
            .map_err(folder(config.data_dir.join("multipart")))?;
        if expired > 0 {
            tracing::info!("local store: {expired} abandoned multipart uploads aborted");
        }
        let uploads = s3.uploads.clone();
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
        tokio::spawn(sweep(uploads, config.upload_expiry, stop.clone()));
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

/// Aborts abandoned uploads while the store runs: checked at a tenth of the expiry,
/// at least every hour.
async fn sweep(uploads: Arc<Uploads>, expiry: Duration, stop: CancellationToken) {
    let every = (expiry / 10).clamp(Duration::from_millis(50), Duration::from_secs(3600));
    loop {
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            () = stop.cancelled() => return,
        }
        if let Err(e) = uploads.expire(expiry).await {
            tracing::warn!("local store: expiring abandoned uploads: {e}");
        }
    }
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
