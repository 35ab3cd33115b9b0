//! The account's buckets: list them (the Browser's picker, `hoist ls` without a
//! bucket) and create one (`hoist mb`, the Browser's "new bucket").

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use serde::Serialize;

use crate::error::{HoistError, Result};
use crate::s3::{BucketAccess, check_bucket_name, map_err};

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct BucketEntry {
    pub name: String,
    /// Milliseconds since the Unix epoch, when the store says.
    #[ts(type = "number | null")]
    pub created: Option<i64>,
}

/// Every bucket the credentials can see, by name. Any access of the account will do:
/// ListBuckets names no bucket.
pub async fn list_buckets(access: &BucketAccess) -> Result<Vec<BucketEntry>> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = access
            .client()
            .list_buckets()
            .set_continuation_token(token.clone())
            .send()
            .await
            .map_err(|e| map_err("", e))?;
        for b in page.buckets() {
            if let Some(name) = b.name() {
                out.push(BucketEntry {
                    name: name.to_owned(),
                    created: b.creation_date().and_then(|d| d.to_millis().ok()),
                });
            }
        }
        match page.continuation_token() {
            Some(next) if Some(next) != token.as_deref() && !next.is_empty() => {
                token = Some(next.to_owned())
            }
            _ => break,
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Creates bucket `name` (checked against S3's naming rules first) in `region`, or in
/// the client's region. An existing bucket is an error in words, yours or not.
pub async fn create_bucket(access: &BucketAccess, name: &str, region: Option<&str>) -> Result<()> {
    check_bucket_name(name)?;
    let region = region
        .map(str::to_owned)
        .or_else(|| access.target().region.clone())
        .filter(|r| !r.is_empty());
    let mut req = access.client().create_bucket().bucket(name);
    // us-east-1 is S3's default and must not be named as a location constraint.
    if let Some(r) = region.filter(|r| r != "us-east-1") {
        req = req.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(r.as_str()))
                .build(),
        );
    }
    match req.send().await {
        Ok(_) => Ok(()),
        Err(e) => {
            let code = e.code().unwrap_or("").to_owned();
            match code.as_str() {
                "BucketAlreadyOwnedByYou" => Err(HoistError::InvalidInput(format!(
                    "bucket {name:?} already exists (it is yours): pick it instead"
                ))),
                "BucketAlreadyExists" => Err(HoistError::InvalidInput(format!(
                    "bucket {name:?} already exists and belongs to someone else: bucket names are shared by every account on the store, choose another"
                ))),
                _ => Err(map_err(name, e)),
            }
        }
    }
}
