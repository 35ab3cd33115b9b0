//! Sources that map to one key are found when they are added, before anything is
//! sent: within one add and against the queue. The `uploads` rows that are not finished
//! are the keys' reservations (a worker's rename updates its row's key), so the
//! conflict check is a lookup in the same transaction as the insert, and two uploads
//! never race for one object on the store.
//!
//! - `rename`: the later source gets the next free `name (n).ext`;
//! - `skip`: the later source is recorded as skipped, with the earlier one named;
//! - `overwrite`: the later wins; the earlier is reported "replaced", never verified
//!   (the actor stops it if it runs, see [`Replaced`]).

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use rusqlite::{Transaction, params};

use super::conflict::renamed_key;
use super::records::{NewUpload, SCHEMA, UploadState, insert_rows};
use crate::error::Result;
use crate::events::UploadId;
use crate::journal::UploadJournal;
use crate::s3::Target;

/// An earlier upload in the queue that a later source replaces (overwrite policy),
/// with the reason shown for it.
pub(crate) type Replaced = (UploadId, String);

/// What holds a key.
#[derive(Clone)]
enum Holder {
    /// An unfinished upload already in the journal.
    Queued(UploadId, PathBuf),
    /// An earlier source of this add (its index).
    Added(usize),
}

impl UploadJournal {
    /// Records new uploads (one transaction) after checking each one's key against the
    /// others and the unfinished uploads, applying each source's conflict policy.
    /// Returns the new ids (in order) and the queued uploads that are replaced.
    pub(crate) fn insert_reserving(
        &self,
        mut uploads: Vec<NewUpload>,
        initial: UploadState,
    ) -> Result<(Vec<UploadId>, Vec<Replaced>)> {
        let mut conn = self.conn(&SCHEMA)?;
        let tx = conn.transaction()?;
        let mut decided: Vec<(UploadState, Option<String>)> = vec![(initial, None); uploads.len()];
        let mut replaced: Vec<Replaced> = Vec::new();
        let mut replaced_ids: HashSet<UploadId> = HashSet::new();
        let mut added: HashMap<(Option<String>, String, String), usize> = HashMap::new();
        for i in 0..uploads.len() {
            let holder = |tx: &Transaction<'_>,
                          added: &HashMap<_, usize>,
                          replaced: &HashSet<UploadId>,
                          u: &NewUpload,
                          key: &str|
             -> Result<Option<Holder>> {
                if let Some(j) = added.get(&dest(&u.target, key)) {
                    return Ok(Some(Holder::Added(*j)));
                }
                Ok(queued_holder(tx, &u.target, key)?
                    .filter(|(id, _)| !replaced.contains(id))
                    .map(|(id, path)| Holder::Queued(id, path)))
            };
            let u = &uploads[i];
            let Some(h) = holder(&tx, &added, &replaced_ids, u, &u.key)? else {
                added.insert(dest(&u.target, &u.key), i);
                continue;
            };
            let earlier = match &h {
                Holder::Queued(_, p) => p.display().to_string(),
                Holder::Added(j) => uploads[*j].path.display().to_string(),
            };
            match u.conflict {
                super::records::ConflictPolicy::Rename => {
                    let mut n = 1;
                    let key = loop {
                        let candidate = renamed_key(&u.key, n);
                        if holder(&tx, &added, &replaced_ids, u, &candidate)?.is_none() {
                            break candidate;
                        }
                        n += 1;
                    };
                    added.insert(dest(&u.target, &key), i);
                    uploads[i].key = key;
                }
                super::records::ConflictPolicy::Skip => {
                    decided[i] = (
                        UploadState::Skipped,
                        Some(format!(
                            "{earlier} goes to the same key and was added first"
                        )),
                    );
                }
                super::records::ConflictPolicy::Overwrite => {
                    let reason = format!(
                        "replaced by {}, which goes to the same key and was added later",
                        u.path.display()
                    );
                    match h {
                        Holder::Added(j) => decided[j] = (UploadState::Skipped, Some(reason)),
                        Holder::Queued(id, _) => {
                            replaced_ids.insert(id);
                            replaced.push((id, reason));
                        }
                    }
                    added.insert(dest(&u.target, &u.key), i);
                }
            }
        }
        let rows: Vec<_> = uploads
            .iter()
            .zip(decided)
            .map(|(u, (state, reason))| (u, state, reason))
            .collect();
        let ids = insert_rows(&tx, &rows)?;
        tx.commit()?;
        Ok((ids, replaced))
    }

    /// Whether an unfinished upload other than `except` holds `key` on this target's
    /// bucket (a worker renaming keeps clear of reserved keys).
    pub(crate) fn key_reserved(
        &self,
        target: &Target,
        key: &str,
        except: UploadId,
    ) -> Result<bool> {
        let mut conn = self.conn(&SCHEMA)?;
        let tx = conn.transaction()?;
        let held = queued_holder_except(&tx, target, key, except)?.is_some();
        tx.commit()?;
        Ok(held)
    }
}

fn dest(target: &Target, key: &str) -> (Option<String>, String, String) {
    (
        target.endpoint.clone(),
        target.bucket.clone(),
        key.to_owned(),
    )
}

fn queued_holder(
    tx: &Transaction<'_>,
    target: &Target,
    key: &str,
) -> Result<Option<(UploadId, PathBuf)>> {
    queued_holder_except(tx, target, key, -1)
}

fn queued_holder_except(
    tx: &Transaction<'_>,
    target: &Target,
    key: &str,
    except: UploadId,
) -> Result<Option<(UploadId, PathBuf)>> {
    let mut st = tx.prepare_cached(
        "SELECT id, path, target FROM uploads WHERE key = ?1 AND id != ?2 \
         AND state IN ('queued', 'paused', 'failed') ORDER BY id",
    )?;
    let rows = st
        .query_map(params![key, except], |r| {
            Ok((
                r.get::<_, UploadId>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for (id, path, json) in rows {
        let Ok(t) = serde_json::from_str::<Target>(&json) else {
            continue;
        };
        if t.endpoint == target.endpoint && t.bucket == target.bucket {
            return Ok(Some((id, PathBuf::from(path))));
        }
    }
    Ok(None)
}
