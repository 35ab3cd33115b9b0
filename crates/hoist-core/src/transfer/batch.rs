//! A batch looked at before it is queued: which of its keys already exist in the
//! bucket, so the user can decide per key (overwrite, skip, rename) before anything
//! is sent; then the batch is queued with those decisions.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::engine::Engine;
use super::queue::{AddOptions, KeyedFile};
use super::records::ConflictPolicy;
use super::source;
use crate::error::Result;
use crate::events::UploadId;
use crate::s3::Target;

/// HEAD requests a batch check keeps in flight.
const CHECKS_IN_FLIGHT: usize = 16;

/// Files expanded to their keys, and which of those keys exist already.
#[derive(Debug, Clone)]
pub struct PlannedBatch {
    pub target: Target,
    pub files: Vec<KeyedFile>,
    /// Keys of `files` that exist in the bucket, in the batch's order.
    pub existing: Vec<String>,
}

impl Engine {
    /// Expands the paths (folders recursively) to keys under the target's prefix and
    /// asks the store which exist. Nothing is queued or sent.
    pub async fn plan_add(&self, paths: Vec<PathBuf>, target: Target) -> Result<PlannedBatch> {
        let target = self.resolve_target(target)?;
        let prefix = target.prefix.clone();
        let files = tokio::task::spawn_blocking(move || source::expand(&paths, &prefix))
            .await
            .expect("scan task panicked")?;
        let store = self.upload_store(&target)?;
        store.check_bucket().await?;
        let limit = Arc::new(Semaphore::new(CHECKS_IN_FLIGHT));
        let mut checks = JoinSet::new();
        for (i, f) in files.iter().enumerate() {
            let (store, limit, key) = (store.clone(), limit.clone(), f.key.clone());
            checks.spawn(async move {
                let _slot = limit.acquire_owned().await.expect("never closed");
                store.head(&key).await.map(|h| (i, h.is_some()))
            });
        }
        let mut found = Vec::new();
        while let Some(done) = checks.join_next().await {
            let (i, exists) = done.expect("check task panicked")?;
            if exists {
                found.push(i);
            }
        }
        found.sort_unstable();
        let existing = found.into_iter().map(|i| files[i].key.clone()).collect();
        Ok(PlannedBatch {
            target,
            files,
            existing,
        })
    }

    /// Queues a planned batch: each existing key with the user's decision for it
    /// (`decisions`, else `otherwise`); keys that did not exist with `otherwise` too,
    /// so one that appeared meanwhile is treated as the user said for the batch.
    pub async fn add_planned(
        &self,
        batch: PlannedBatch,
        decisions: &HashMap<String, ConflictPolicy>,
        otherwise: ConflictPolicy,
    ) -> Result<Vec<UploadId>> {
        let mut groups: Vec<(ConflictPolicy, Vec<KeyedFile>)> = Vec::new();
        for f in batch.files {
            let policy = decisions.get(&f.key).copied().unwrap_or(otherwise);
            match groups.iter_mut().find(|(p, _)| *p == policy) {
                Some((_, files)) => files.push(f),
                None => groups.push((policy, vec![f])),
            }
        }
        let mut ids = Vec::new();
        for (conflict, files) in groups {
            let options = AddOptions {
                conflict,
                ..AddOptions::default()
            };
            ids.extend(self.add_keyed(files, batch.target.clone(), options).await?);
        }
        ids.sort_unstable();
        Ok(ids)
    }
}
