//! Mirroring local deletions (only with `delete_remote`): after a grace period, each
//! candidate must be proven deleted ([`proof`]) before its object moves to the trash
//! ([`trash`]); a burst larger than the guard's limit is held until the user decides.

use std::time::Instant;

use rusqlite::{OptionalExtension, params};

use super::actor::Actor;
use super::proof::{self, Proof};
use super::runtime::{Moved, WatchRuntime, Work};
use super::store::SCHEMA;
use super::writer::RecordWriter;
use super::{WatchSettings, trash};
use crate::error::{HoistError, Result};
use crate::events::WatchId;
use crate::journal::UploadJournal;
use crate::s3::UploadStore;

/// The user's answer to deletions the large-deletion guard held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeletionDecision {
    /// Move their objects to the trash.
    MoveToTrash,
    /// Leave the objects in the bucket and stop tracking those files.
    KeepRemote,
}

impl UploadJournal {
    /// How many deletions the guard holds for this watch (0 = none).
    pub fn watch_held_deletions(&self, id: WatchId) -> Result<u64> {
        Ok(self
            .conn(&SCHEMA)?
            .query_row(
                "SELECT held_deletions FROM watches WHERE id = ?1",
                [id],
                |r| r.get::<_, i64>(0),
            )
            .optional()?
            .ok_or_else(|| HoistError::InvalidInput(format!("there is no watch {id}")))?
            .max(0) as u64)
    }

    pub(crate) fn set_watch_held_deletions(&self, id: WatchId, held: u64) -> Result<()> {
        self.conn(&SCHEMA)?.execute(
            "UPDATE watches SET held_deletions = ?2 WHERE id = ?1",
            params![id, held as i64],
        )?;
        Ok(())
    }

    /// Answers the guard for the deletions it holds now; refused when none are held.
    /// The running watcher (this process or another) applies it within seconds.
    pub fn decide_deletions(&self, id: WatchId, decision: DeletionDecision) -> Result<u64> {
        let held = self.watch_held_deletions(id)?;
        if held == 0 {
            return Err(HoistError::InvalidInput(format!(
                "watch {id} holds no deletions (only a running `hoist watch run` or the app holds them)"
            )));
        }
        let word = match decision {
            DeletionDecision::MoveToTrash => "trash",
            DeletionDecision::KeepRemote => "keep",
        };
        self.conn(&SCHEMA)?.execute(
            "UPDATE watches SET deletion_decision = ?2, decision_count = ?3 WHERE id = ?1",
            params![id, word, held as i64],
        )?;
        Ok(held)
    }

    /// Takes the answer waiting for this watch, if any (for at most that many files).
    pub(crate) fn take_deletion_decision(
        &self,
        id: WatchId,
    ) -> Result<Option<(DeletionDecision, u64)>> {
        let conn = self.conn(&SCHEMA)?;
        let row: Option<(Option<String>, Option<i64>)> = conn
            .query_row(
                "SELECT deletion_decision, decision_count FROM watches WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((Some(word), count)) = row else {
            return Ok(None);
        };
        conn.execute(
            "UPDATE watches SET deletion_decision = NULL, decision_count = NULL WHERE id = ?1",
            [id],
        )?;
        let decision = match word.as_str() {
            "trash" => DeletionDecision::MoveToTrash,
            _ => DeletionDecision::KeepRemote,
        };
        Ok(Some((decision, count.unwrap_or(0).max(0) as u64)))
    }
}

/// Below this many files a burst is never held, whatever the percentage says: a small
/// watch can lose a few files without a question.
const ALWAYS_ALLOWED: usize = 10;

/// How many deletions at once the guard lets through for a watch of `records` files.
pub(super) fn deletion_limit(settings: &WatchSettings, records: usize) -> usize {
    settings
        .max_delete
        .min((records * settings.max_delete_percent / 100).max(ALWAYS_ALLOWED))
}

impl Actor {
    /// Moves the objects of files proven deleted to the trash; holds a burst.
    pub(super) fn mirror_deletions(&mut self, id: WatchId) {
        let grace = self.settings.delete_grace;
        let limit_for = |records| deletion_limit(&self.settings, records);
        let Some(w) = self.watches.get_mut(&id) else {
            return;
        };
        if !w.cfg.delete_remote {
            w.deletions.clear();
            w.held.clear();
            report_held(&self.writer, w);
            return;
        }
        // Only files the watch still has in the bucket count (a move may have ended).
        let WatchRuntime {
            deletions,
            held,
            records,
            ..
        } = &mut *w;
        deletions.retain(|k, _| records.contains_key(k));
        held.retain(|k| records.contains_key(k));
        let now = Instant::now();
        let due: Vec<String> = w
            .deletions
            .iter()
            .filter(|(k, at)| {
                now.saturating_duration_since(**at) >= grace && !w.moving.contains(*k)
            })
            .map(|(k, _)| k.clone())
            .collect();
        let mut batch = Vec::new();
        if w.approved {
            w.approved = false;
            batch.extend(std::mem::take(&mut w.held));
        }
        if !due.is_empty() {
            let total = w.deletions.len() + w.held.len();
            let hold = !w.held.is_empty() || total > limit_for(w.records.len());
            for rel in due {
                w.deletions.remove(&rel);
                if hold {
                    // While some are held, every new deletion joins them.
                    w.held.insert(rel);
                } else {
                    batch.push(rel);
                }
            }
        }
        report_held(&self.writer, w);
        if batch.is_empty() || !w.root_present() {
            return;
        }
        let items: Vec<(String, String, String)> = batch
            .into_iter()
            .filter(|rel| !w.settler.contains(rel) && !w.inflight.contains_key(rel))
            .filter_map(|rel| {
                let r = w.records.get(&rel)?;
                Some((rel, r.key.clone(), r.mount.clone()))
            })
            .collect();
        if items.is_empty() {
            return;
        }
        let store = match self.engine.store_for(&w.cfg.target) {
            Ok(s) => s,
            Err(e) => {
                w.error = Some(e.to_string());
                return;
            }
        };
        w.moving.extend(items.iter().map(|(rel, _, _)| rel.clone()));
        let (cfg, generation, tx) = (w.cfg.clone(), w.generation, w.bg.tx.clone());
        tokio::spawn(async move {
            let root = cfg.root.clone();
            // The proofs read the disk: off the async threads.
            let proven = tokio::task::spawn_blocking(move || {
                items
                    .into_iter()
                    .map(|(rel, key, mount)| (proof::prove_deleted(&root, &rel, &mount), rel, key))
                    .collect::<Vec<_>>()
            })
            .await
            .unwrap_or_default();
            let mut results = Vec::with_capacity(proven.len());
            for (proof, rel, key) in proven {
                let outcome = match proof {
                    Proof::Present => Moved::Present,
                    Proof::CannotRead(c) => Moved::CannotRead(c),
                    Proof::Deleted => match store.head(&key).await {
                        Ok(None) => Moved::AlreadyGone,
                        Ok(Some(_)) => {
                            let at = crate::journal::now_ms();
                            match trash::move_to_trash(&store, &cfg, &key, at).await {
                                Ok(_) => Moved::Trashed,
                                Err(e) => Moved::Failed(e.to_string()),
                            }
                        }
                        Err(e) => Moved::Failed(e.to_string()),
                    },
                };
                results.push((rel, outcome));
            }
            let _ = tx.send(Work::Moved {
                id: cfg.id,
                generation,
                results,
            });
        });
    }

    /// Takes what the moves did. Applied whatever happened to the watch meanwhile: a
    /// moved object's record must go.
    pub(super) fn on_moved(
        &mut self,
        id: WatchId,
        _generation: u64,
        results: Vec<(String, Moved)>,
    ) {
        let Some(w) = self.watches.get_mut(&id) else {
            return;
        };
        let mut gone = Vec::new();
        for (rel, outcome) in results {
            w.moving.remove(&rel);
            match outcome {
                Moved::Trashed | Moved::AlreadyGone => {
                    w.records.remove(&rel);
                    w.keep(&rel);
                    gone.push(rel);
                }
                Moved::Present => {}
                Moved::CannotRead(c) => {
                    w.cannot_read.insert(c.path, c.reason);
                }
                Moved::Failed(message) => {
                    w.failures += 1;
                    w.error = Some(format!("moving {rel} to the trash: {message}"));
                }
            }
        }
        self.writer.delete(id, gone);
    }

    /// The user's answer for the held deletions (covering at most `count` files).
    pub(super) fn apply_decision(&mut self, id: WatchId, decision: DeletionDecision, count: u64) {
        let Some(w) = self.watches.get_mut(&id) else {
            return;
        };
        if w.held.is_empty() {
            return;
        }
        if w.held.len() as u64 > count {
            // More were deleted since the question was asked: ask again.
            w.error = Some(format!(
                "{} deletions are held now, more than the {count} answered for: answer again",
                w.held.len()
            ));
            return;
        }
        match decision {
            DeletionDecision::MoveToTrash => w.approved = true,
            DeletionDecision::KeepRemote => {
                // The objects stay in the bucket; the watch stops tracking them.
                let kept: Vec<String> = std::mem::take(&mut w.held).into_iter().collect();
                for rel in &kept {
                    w.records.remove(rel);
                }
                self.writer.delete(id, kept);
            }
        }
        report_held(&self.writer, w);
    }
}

/// Tells the journal (for `hoist watch list` and other processes) how many deletions
/// are held, when that changed.
fn report_held(writer: &RecordWriter, w: &mut WatchRuntime) {
    let n = w.held.len() as u64;
    if n == w.held_reported {
        return;
    }
    if n > 0 && (w.held_reported == 0 || w.held_reported == u64::MAX) {
        tracing::warn!(
            "watch {}: {n} files were deleted at once; their objects stay until you decide",
            w.cfg.id
        );
    }
    writer.held(w.cfg.id, n);
    w.held_reported = n;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guard_lets_small_bursts_through_and_holds_large_ones() {
        let s = WatchSettings::default();
        assert_eq!(deletion_limit(&s, 3), 10, "a few files of a small watch");
        assert_eq!(deletion_limit(&s, 201), 20, "10 % of the watch");
        assert_eq!(
            deletion_limit(&s, 100_000),
            50,
            "never more than 50 at once"
        );
    }
}
