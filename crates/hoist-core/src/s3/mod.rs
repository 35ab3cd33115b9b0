//! Talking to S3-compatible stores: where an upload goes ([`Target`]), how a client is
//! built for it (credentials seam, addressing, timeouts), the calls an upload makes
//! behind the small [`Multipart`] / [`UploadStore`] traits, S3's checksum formats, and
//! the mapping of SDK failures to [`crate::HoistError`]. Knows no feature.

pub mod body;
pub mod checksum;
mod chunk_pool;
mod client;
mod credentials;
mod errors;
pub mod key_template;
mod learned;
#[cfg(test)]
pub(crate) mod memory;
mod multipart;
mod object_options;
mod store;
mod target;
mod trailer;

pub use body::{PartBody, PartData, RateLimit};
pub(crate) use client::build_client;
pub use client::{
    AwsChainCredentials, BucketAccess, CredentialResolver, SharedResolver, load_base_config,
    resolve_target,
};
pub(crate) use credentials::describe_failure;
pub(crate) use errors::map_err;
pub use key_template::{KeyFacts, KeyTemplate};
pub use multipart::{
    BodyChecksum, KeyPage, ListedPart, Multipart, ObjectInfo, PartRecord, UploadStore,
};
pub use object_options::{ObjectOptions, STORAGE_CLASSES, Sse, parse_pair};
pub use store::{PendingMultipart, S3Store};
pub(crate) use store::{copy_source, next_page};
pub use target::{ChecksumMode, Target, check_bucket_name, normalize_prefix};
