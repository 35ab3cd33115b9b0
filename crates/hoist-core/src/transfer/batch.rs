//! A batch looked at before it is queued: which of its keys already exist in the
//! bucket, so the user can decide per key (overwrite, skip, rename) before anything
//! is sent; then the batch is queued with those decisions.

use std::collections::HashMap;
use std::path::PathBuf;

use super::engine::{Engine, expand_keys};
use super::queue::{AddOptions, KeyedFile};
use super::records::ConflictPolicy;
use crate::error::{HoistError, Result};
use crate::events::UploadId;
use crate::s3::Target;

/// Files expanded to their keys, and which of those keys exist already.
#[derive(Debug, Clone)]
pub struct PlannedBatch {
    pub target: Target,
    pub files: Vec<KeyedFile>,
    /// Keys of `files` that exist in the bucket, in the batch's order.
    pub existing: Vec<String>,
    /// The credentials may not read the bucket (write-only keys): which keys exist is
    /// unknown, so only "overwrite" can be answered.
    pub unchecked: bool,
    /// How the batch is queued (object options, priority); its conflict policy is
    /// the user's answer.
    pub options: AddOptions,
}

impl Engine {
    /// Expands the paths (folders recursively) to keys under the target's prefix (by
    /// `options.key_template` when set) and asks the store which exist. Nothing is
    /// queued or sent.
    pub async fn plan_add(
        &self,
        paths: Vec<PathBuf>,
        target: Target,
        options: AddOptions,
    ) -> Result<PlannedBatch> {
        let target = self.resolve_target(target)?;
        let files = expand_keys(paths, &target.prefix, options.key_template.as_deref()).await?;
        let store = self.upload_store(&target)?;
        store.check_bucket().await?;
        let keys: Vec<String> = files.iter().map(|f| f.key.clone()).collect();
        let exists = super::existing::which_exist(&store, &keys).await?;
        let unchecked = exists.is_none();
        let existing = keys
            .into_iter()
            .zip(exists.unwrap_or_default())
            .filter_map(|(k, e)| e.then_some(k))
            .collect();
        Ok(PlannedBatch {
            target,
            files,
            existing,
            unchecked,
            options,
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
        if batch.unchecked && otherwise != ConflictPolicy::Overwrite {
            return Err(HoistError::InvalidInput(format!(
                "these credentials may not read the bucket {}, so nobody can tell which \
                 names exist: only \"overwrite\" can be chosen (or use credentials that may read)",
                batch.target.bucket
            )));
        }
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
                ..batch.options.clone()
            };
            ids.extend(self.add_keyed(files, batch.target.clone(), options).await?);
        }
        ids.sort_unstable();
        Ok(ids)
    }
}

/// What an add did: queued at once, or held until the user decides about the keys
/// that exist.
#[derive(Debug)]
pub enum Added {
    Queued(Vec<UploadId>),
    NeedsDecision(PlannedBatch),
}

impl Engine {
    /// Adds with the user's conflict policy; `None` = ask: the keys are checked first
    /// and a batch with existing keys, or whose keys could not be checked (write-only
    /// credentials), is returned undecided (nothing queued). A batch
    /// without conflicts is queued with `Rename`, so a key that appears meanwhile is
    /// still never overwritten without asking. `options` carries the rest (object
    /// options, key template); its own conflict policy is not used.
    pub async fn add_or_ask(
        &self,
        paths: Vec<PathBuf>,
        target: Target,
        policy: Option<ConflictPolicy>,
        options: AddOptions,
    ) -> Result<Added> {
        if let Some(conflict) = policy {
            let options = AddOptions {
                conflict,
                ..options
            };
            return Ok(Added::Queued(self.add(paths, target, options).await?));
        }
        let batch = self.plan_add(paths, target, options).await?;
        if !batch.existing.is_empty() || batch.unchecked {
            return Ok(Added::NeedsDecision(batch));
        }
        let ids = self
            .add_planned(batch, &HashMap::new(), ConflictPolicy::Rename)
            .await?;
        Ok(Added::Queued(ids))
    }
}

/// Batches waiting for the user's decision, by number. Only the newest few are kept:
/// a dialog left unanswered does not hold memory forever.
#[derive(Default)]
pub struct PendingBatches {
    inner: std::sync::Mutex<(u64, std::collections::BTreeMap<u64, PlannedBatch>)>,
}

/// Undecided batches kept at once.
const MAX_PENDING: usize = 8;

impl PendingBatches {
    pub fn hold(&self, batch: PlannedBatch) -> u64 {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        g.0 += 1;
        let n = g.0;
        g.1.insert(n, batch);
        while g.1.len() > MAX_PENDING {
            g.1.pop_first();
        }
        n
    }

    /// The batch, once: answering it twice queues it once.
    pub fn take(&self, n: u64) -> Result<PlannedBatch> {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        g.1.remove(&n).ok_or_else(|| {
            crate::error::HoistError::InvalidInput(format!(
                "the files of batch {n} are no longer waiting (answered already, or replaced by newer ones): add them again"
            ))
        })
    }
}
