//! Hoist's embedded S3-compatible store: an in-process server on 127.0.0.1 that keeps
//! objects under a data folder, so a new user can try everything with no account.
//! Buckets and objects come from s3s-fs; multipart uploads are Hoist's own, because
//! Hoist resumes against them (see `multipart`). Keys never leave their bucket's
//! folder (`keys`), and everything on disk is private to its owner (`private`).

mod checksums;
mod complete;
mod completion;
mod keys;
mod multipart;
mod private;
mod server;
mod service;

pub use server::{DEFAULT_UPLOAD_EXPIRY, LocalStore, LocalStoreConfig, LocalStoreError};
pub use service::LocalS3;
