//! What users do with objects already in a bucket: share links and upload links
//! (presigned, with their true expiry) and the link history, the bucket browser
//! (list, details, download, delete), buckets (list, create), copy, move and bulk
//! delete (`manage`), thumbnails, and fetching a URL into the bucket.

pub mod browse;
pub mod buckets;
mod bulk;
pub mod fetch;
mod links;
pub mod manage;
pub mod preview;
pub mod selection;
pub mod share;
pub mod thumbnail;
pub mod versions;
