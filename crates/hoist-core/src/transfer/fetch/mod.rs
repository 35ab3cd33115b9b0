//! Upload from a URL as a queue item: journaled like a file upload (its `path` holds
//! the URL; the URL, allowed types, size limit and the origin's validator are kept in
//! the row's `fetch` column), started by the actor within the pool, with the same
//! events, pause, cancel, retry and resume. The HTTP part lives below, in `origin`;
//! here is only what the queue needs (`worker`: stream parts, resume with Range).

use serde::{Deserialize, Serialize};

use super::engine::Engine;
use super::records::{ConflictPolicy, NewUpload, SCHEMA, UploadState};
use super::source::FileIdentity;
use crate::error::{HoistError, Result};
use crate::events::UploadId;
use crate::journal::{UploadJournal, now_ms};
use crate::origin::{OriginLimits, check_url};
use crate::s3::{ObjectOptions, Target, normalize_prefix};

mod worker;

pub(super) use worker::fetch;

/// What a queued fetch reads, kept in the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchSpec {
    pub url: String,
    #[serde(flatten)]
    pub limits: OriginLimits,
    /// The origin's ETag or Last-Modified when the body began: a resume sends it as
    /// If-Range, so a changed resource starts over instead of mixing two versions.
    #[serde(default)]
    pub validator: Option<String>,
}

/// A URL to queue: where it lands and what it may be.
#[derive(Debug, Clone, Default)]
pub struct FetchRequest {
    /// Destination key, relative to the target's prefix.
    pub key: String,
    pub limits: OriginLimits,
    pub priority: i32,
    pub conflict: ConflictPolicy,
    pub start_paused: bool,
    /// Metadata, tags... The content type is the origin's unless set here.
    pub object: ObjectOptions,
}

impl Engine {
    /// Queues an upload from `url` to `key` under the target's prefix. Returns its id
    /// at once; progress, completion or failure come as events like any upload's.
    pub async fn fetch(
        &self,
        url: &str,
        target: Target,
        request: FetchRequest,
    ) -> Result<UploadId> {
        check_url(url)?;
        let target = self.resolve_target(target)?;
        let key = request.key.trim_start_matches('/');
        if key.is_empty() {
            return Err(HoistError::InvalidInput("the key is empty".into()));
        }
        let key = format!("{}{key}", normalize_prefix(&target.prefix));
        if key.len() > 1024 {
            return Err(HoistError::InvalidInput(
                "a key is at most 1024 bytes long".into(),
            ));
        }
        let object = request.object.validated()?;
        let upload = NewUpload {
            path: url.into(),
            identity: FileIdentity {
                size: 0,
                mtime_ns: 0,
                inode: 0,
            },
            target,
            key,
            // Empty: the origin's content type, known once the body begins.
            content_type: object.content_type.clone().unwrap_or_default(),
            options: ObjectOptions {
                content_type: None,
                ..object
            },
            priority: request.priority,
            conflict: request.conflict,
            fetch: Some(FetchSpec {
                url: url.to_owned(),
                limits: request.limits,
                validator: None,
            }),
        };
        let initial = if request.start_paused {
            UploadState::Paused
        } else {
            UploadState::Queued
        };
        let ids = self.enqueue(vec![upload], initial).await?;
        ids.into_iter()
            .next()
            .ok_or_else(|| HoistError::InvalidInput("the fetch was not queued".into()))
    }
}

impl UploadJournal {
    /// What the origin said when a body began: its full size (0 = unknown) and its
    /// validator.
    pub(crate) fn set_fetch_origin(&self, id: UploadId, size: u64, spec: &FetchSpec) -> Result<()> {
        self.conn(&SCHEMA)?.execute(
            "UPDATE uploads SET size = ?2, fetch = ?3, updated_at = ?4 WHERE id = ?1",
            rusqlite::params![
                id,
                size as i64,
                serde_json::to_string(spec).expect("a fetch serialises"),
                now_ms()
            ],
        )?;
        Ok(())
    }
}
