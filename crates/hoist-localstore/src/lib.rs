//! Hoist's embedded S3-compatible store: an in-process server on 127.0.0.1 that keeps
//! objects under a data folder, so a new user can try everything with no account.
//! Buckets and objects come from s3s-fs; multipart uploads are Hoist's own, because
//! Hoist resumes against them (see `multipart`).

mod checksums;
mod complete;
mod multipart;
mod server;
mod service;

pub use server::{LocalStore, LocalStoreConfig, LocalStoreError};
pub use service::LocalS3;
