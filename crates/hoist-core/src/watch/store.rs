//! Watches and what each one uploaded, in the journal's SQLite database: the source of
//! truth after a restart (what is pending is derived again by the catch-up scan).

use std::collections::HashMap;
use std::path::PathBuf;

use rusqlite::{OptionalExtension, params};

use super::config::{WatchConfig, WatchId, WatchSpec};
pub use super::deletions::DeletionDecision;
use super::guard::RootGuard;
use crate::error::{HoistError, Result};
use crate::events::UploadId;
use crate::journal::{Schema, UploadJournal, now_ms};
use crate::s3::Target;

pub(crate) static SCHEMA: Schema = Schema {
    name: "watches",
    steps: &[
        r#"
CREATE TABLE IF NOT EXISTS watches (
    id INTEGER PRIMARY KEY,
    root TEXT NOT NULL,
    target TEXT NOT NULL,
    include TEXT NOT NULL,
    exclude TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    delete_remote INTEGER NOT NULL,
    trash_prefix TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_synced_at INTEGER
);
-- One row per file a watch knows: what was last uploaded (size, mtime, CRC32C of the
-- content read), or the upload in flight for it.
CREATE TABLE IF NOT EXISTS watch_files (
    watch INTEGER NOT NULL REFERENCES watches(id) ON DELETE CASCADE,
    rel_path TEXT NOT NULL,
    key TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    inode INTEGER NOT NULL,
    crc32c INTEGER NOT NULL,
    hashed_at_ns INTEGER NOT NULL,
    ctime_ns INTEGER NOT NULL,
    -- synced | uploading
    state TEXT NOT NULL,
    upload INTEGER,
    synced_at INTEGER,
    PRIMARY KEY (watch, rel_path)
);
"#,
        r#"
-- The mount point a file was under when synced (deletion needs the same mount now),
-- and a refused upload's retries: state 'failed', attempts so far, next try (ms).
ALTER TABLE watch_files ADD COLUMN mount TEXT NOT NULL DEFAULT '';
ALTER TABLE watch_files ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE watch_files ADD COLUMN retry_at INTEGER;
-- Deletions held by the large-deletion guard, and the user's answer (from the app or
-- another `hoist` process): 'trash' or 'keep', for at most `decision_count` files.
ALTER TABLE watches ADD COLUMN held_deletions INTEGER NOT NULL DEFAULT 0;
ALTER TABLE watches ADD COLUMN deletion_decision TEXT;
ALTER TABLE watches ADD COLUMN decision_count INTEGER;
"#,
    ],
};

/// What the journal knows about one file of a watch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileRecord {
    pub key: String,
    pub size: u64,
    pub mtime_ns: i64,
    pub inode: u64,
    pub crc32c: u32,
    /// When the content was read for the checksum (ns since the epoch): an mtime this
    /// close to it cannot prove the file did not change afterwards.
    pub hashed_at_ns: i64,
    /// The inode change time when it was read (see `scan::ctime_ns`).
    pub ctime_ns: i64,
    pub synced: bool,
    pub upload: Option<UploadId>,
    /// The mount point it was under (see `scan::Found::mount`).
    pub mount: String,
    /// Uploads of this content the store refused so far, and when to try again (ms).
    pub attempts: u32,
    pub retry_at_ms: Option<i64>,
}

impl FileRecord {
    fn state(&self) -> &'static str {
        if self.synced {
            "synced"
        } else if self.attempts > 0 {
            "failed"
        } else {
            "uploading"
        }
    }
}

fn bad(e: serde_json::Error) -> HoistError {
    HoistError::InvalidInput(format!("stored watch is unreadable: {e}"))
}

impl UploadJournal {
    /// Points unfinished uploads and every watch at a store's new address (the
    /// embedded store when its port had to change): a watch's files would otherwise
    /// go nowhere. Returns how many uploads were moved.
    pub fn retarget_endpoint(&self, from: &str, to: &str) -> Result<usize> {
        let moved = self.retarget_uploads(from, to)?;
        let mut conn = self.conn(&SCHEMA)?;
        let tx = conn.transaction()?;
        let watches: Vec<(i64, String)> = {
            let mut st = tx.prepare("SELECT id, target FROM watches")?;
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?
        };
        for (id, json) in watches {
            let Ok(mut target) = serde_json::from_str::<Target>(&json) else {
                continue;
            };
            if target.endpoint.as_deref() == Some(from) {
                target.endpoint = Some(to.to_owned());
                let json = serde_json::to_string(&target).expect("a target serialises");
                tx.execute("UPDATE watches SET target = ?1 WHERE id = ?2", (json, id))?;
            }
        }
        tx.commit()?;
        Ok(moved)
    }

    /// Validates what the user asked for and stores it as a new, enabled watch. Hoist's
    /// own data (this journal, and `protected`: the local store, profiles) is never
    /// watched.
    pub fn create_watch(&self, spec: WatchSpec, protected: &[PathBuf]) -> Result<WatchConfig> {
        self.add_watch(&spec.validate(&RootGuard::new(self.path(), protected))?)
    }

    /// Changes a watch's folder, target, patterns or deletion choice (validated like a
    /// new one). A new target forgets what was synced, so everything is uploaded there.
    pub fn update_watch(
        &self,
        id: WatchId,
        spec: WatchSpec,
        protected: &[PathBuf],
    ) -> Result<WatchConfig> {
        let old = self.watch(id)?;
        let new = spec.validate(&RootGuard::new(self.path(), protected))?;
        let mut conn = self.conn(&SCHEMA)?;
        let tx = conn.transaction()?;
        let clash: Option<i64> = tx
            .query_row(
                "SELECT id FROM watches WHERE root = ?1 AND id != ?2",
                params![new.root.to_string_lossy(), id],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(other) = clash {
            return Err(HoistError::InvalidInput(format!(
                "{} is already watched (watch {other})",
                new.root.display()
            )));
        }
        tx.execute(
            "UPDATE watches SET root = ?2, target = ?3, include = ?4, exclude = ?5, delete_remote = ?6, \
             trash_prefix = ?7, held_deletions = 0, deletion_decision = NULL WHERE id = ?1",
            params![
                id,
                new.root.to_string_lossy(),
                serde_json::to_string(&new.target).expect("target serialises"),
                serde_json::to_string(&new.include).expect("serialises"),
                serde_json::to_string(&new.exclude).expect("serialises"),
                new.delete_remote,
                new.trash_prefix,
            ],
        )?;
        if old.root != new.root || old.target != new.target {
            tx.execute("DELETE FROM watch_files WHERE watch = ?1", [id])?;
            tx.execute(
                "UPDATE watches SET last_synced_at = NULL WHERE id = ?1",
                [id],
            )?;
        }
        tx.commit()?;
        Ok(WatchConfig {
            id,
            enabled: old.enabled,
            ..new
        })
    }

    /// How many files the journal knows this watch has in the bucket.
    pub fn watch_synced_count(&self, id: WatchId) -> Result<u64> {
        Ok(self.conn(&SCHEMA)?.query_row(
            "SELECT COUNT(*) FROM watch_files WHERE watch = ?1 AND state = 'synced'",
            [id],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    pub fn add_watch(&self, w: &WatchConfig) -> Result<WatchConfig> {
        let conn = self.conn(&SCHEMA)?;
        let exists: Option<i64> = conn
            .query_row(
                "SELECT id FROM watches WHERE root = ?1",
                [w.root.to_string_lossy()],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(id) = exists {
            return Err(HoistError::InvalidInput(format!(
                "{} is already watched (watch {id})",
                w.root.display()
            )));
        }
        conn.execute(
            "INSERT INTO watches (root, target, include, exclude, enabled, delete_remote, trash_prefix, created_at) \
             VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
            params![
                w.root.to_string_lossy(),
                serde_json::to_string(&w.target).expect("target serialises"),
                serde_json::to_string(&w.include).expect("serialises"),
                serde_json::to_string(&w.exclude).expect("serialises"),
                w.enabled,
                w.delete_remote,
                w.trash_prefix,
                now_ms(),
            ],
        )?;
        Ok(WatchConfig {
            id: conn.last_insert_rowid(),
            ..w.clone()
        })
    }

    pub fn watches(&self) -> Result<Vec<WatchConfig>> {
        let conn = self.conn(&SCHEMA)?;
        let mut st = conn.prepare(
            "SELECT id, root, target, include, exclude, enabled, delete_remote, trash_prefix FROM watches ORDER BY id",
        )?;
        let raw = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, bool>(5)?,
                    r.get::<_, bool>(6)?,
                    r.get::<_, String>(7)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        raw.into_iter()
            .map(
                |(id, root, target, include, exclude, enabled, delete_remote, trash_prefix)| {
                    let target: Target = serde_json::from_str(&target).map_err(bad)?;
                    Ok(WatchConfig {
                        id,
                        root: PathBuf::from(root),
                        bucket: target.bucket.clone(),
                        prefix: target.prefix.clone(),
                        profile: target.profile.clone(),
                        target,
                        include: serde_json::from_str(&include).map_err(bad)?,
                        exclude: serde_json::from_str(&exclude).map_err(bad)?,
                        enabled,
                        delete_remote,
                        trash_prefix,
                    })
                },
            )
            .collect()
    }

    pub fn watch(&self, id: WatchId) -> Result<WatchConfig> {
        self.watches()?
            .into_iter()
            .find(|w| w.id == id)
            .ok_or_else(|| HoistError::InvalidInput(format!("there is no watch {id}")))
    }

    /// Forgets a watch and its file records. Remote objects stay.
    pub fn remove_watch(&self, id: WatchId) -> Result<()> {
        let mut conn = self.conn(&SCHEMA)?;
        let tx = conn.transaction()?;
        tx.execute("DELETE FROM watch_files WHERE watch = ?1", [id])?;
        let n = tx.execute("DELETE FROM watches WHERE id = ?1", [id])?;
        tx.commit()?;
        if n == 0 {
            return Err(HoistError::InvalidInput(format!("there is no watch {id}")));
        }
        Ok(())
    }

    pub fn set_watch_enabled(&self, id: WatchId, enabled: bool) -> Result<()> {
        let n = self.conn(&SCHEMA)?.execute(
            "UPDATE watches SET enabled = ?2 WHERE id = ?1",
            params![id, enabled],
        )?;
        if n == 0 {
            return Err(HoistError::InvalidInput(format!("there is no watch {id}")));
        }
        Ok(())
    }

    pub fn watch_last_synced(&self, id: WatchId) -> Result<Option<i64>> {
        Ok(self
            .conn(&SCHEMA)?
            .query_row(
                "SELECT last_synced_at FROM watches WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .optional()?
            .flatten())
    }

    pub fn watch_files(&self, id: WatchId) -> Result<HashMap<String, FileRecord>> {
        let conn = self.conn(&SCHEMA)?;
        let mut st = conn.prepare(
            "SELECT rel_path, key, size, mtime_ns, inode, crc32c, hashed_at_ns, state, upload, ctime_ns, \
             mount, attempts, retry_at FROM watch_files WHERE watch = ?1",
        )?;
        let rows = st
            .query_map([id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    FileRecord {
                        key: r.get(1)?,
                        size: r.get::<_, i64>(2)? as u64,
                        mtime_ns: r.get(3)?,
                        inode: r.get::<_, i64>(4)? as u64,
                        crc32c: r.get::<_, i64>(5)? as u32,
                        hashed_at_ns: r.get(6)?,
                        ctime_ns: r.get(9)?,
                        synced: r.get::<_, String>(7)? == "synced",
                        upload: r.get(8)?,
                        mount: r.get(10)?,
                        attempts: r.get::<_, i64>(11)?.clamp(0, u32::MAX as i64) as u32,
                        retry_at_ms: r.get(12)?,
                    },
                ))
            })?
            .collect::<rusqlite::Result<HashMap<_, _>>>()?;
        Ok(rows)
    }

    /// Writes file records (uploads begun or finished) in one transaction.
    pub fn put_watch_files(&self, id: WatchId, files: &[(String, FileRecord)]) -> Result<()> {
        if files.is_empty() {
            return Ok(());
        }
        let mut conn = self.conn(&SCHEMA)?;
        let tx = conn.transaction()?;
        let now = now_ms();
        let mut any_synced = false;
        {
            let mut st = tx.prepare(
                "INSERT OR REPLACE INTO watch_files \
                 (watch, rel_path, key, size, mtime_ns, inode, crc32c, hashed_at_ns, state, upload, synced_at, \
                 ctime_ns, mount, attempts, retry_at) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15)",
            )?;
            for (rel, f) in files {
                any_synced |= f.synced;
                st.execute(params![
                    id,
                    rel,
                    f.key,
                    f.size as i64,
                    f.mtime_ns,
                    f.inode as i64,
                    f.crc32c as i64,
                    f.hashed_at_ns,
                    f.state(),
                    f.upload,
                    f.synced.then_some(now),
                    f.ctime_ns,
                    f.mount,
                    f.attempts as i64,
                    f.retry_at_ms,
                ])?;
            }
        }
        if any_synced {
            tx.execute(
                "UPDATE watches SET last_synced_at = ?2 WHERE id = ?1",
                params![id, now],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn delete_watch_file(&self, id: WatchId, rel: &str) -> Result<()> {
        self.delete_watch_files(id, &[rel.to_owned()])
    }

    /// Forgets these files of a watch (in one transaction).
    pub fn delete_watch_files(&self, id: WatchId, rels: &[String]) -> Result<()> {
        if rels.is_empty() {
            return Ok(());
        }
        let mut conn = self.conn(&SCHEMA)?;
        let tx = conn.transaction()?;
        {
            let mut st =
                tx.prepare("DELETE FROM watch_files WHERE watch = ?1 AND rel_path = ?2")?;
            for rel in rels {
                st.execute(params![id, rel])?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watches_and_file_records_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("cam");
        std::fs::create_dir(&folder).unwrap();
        let db = dir.path().join("j.sqlite");
        let cfg = WatchSpec {
            include: vec!["*.jpg".into()],
            delete_remote: true,
            ..WatchSpec::new(
                folder.clone(),
                Target {
                    prefix: "p".into(),
                    ..Target::new("photos")
                },
            )
        }
        .validate(&RootGuard::default())
        .unwrap();
        let id = {
            let j = UploadJournal::open(&db).unwrap();
            let w = j.add_watch(&cfg).unwrap();
            assert!(j.add_watch(&cfg).is_err(), "one watch per folder");
            let rec = FileRecord {
                key: "p/a.jpg".into(),
                size: 3,
                mtime_ns: 5,
                inode: 9,
                crc32c: 0xdead_beef,
                hashed_at_ns: 6,
                ctime_ns: 6,
                synced: true,
                upload: Some(1),
                mount: "vault".into(),
                ..FileRecord::default()
            };
            j.put_watch_files(w.id, &[("a.jpg".into(), rec)]).unwrap();
            w.id
        };
        let j = UploadJournal::open(&db).unwrap();
        let w = j.watch(id).unwrap();
        assert_eq!(w.root, folder.canonicalize().unwrap());
        assert_eq!(w.prefix, "p/");
        assert!(w.delete_remote && w.enabled);
        assert_eq!(w.include, vec!["*.jpg".to_string()]);
        let files = j.watch_files(id).unwrap();
        assert_eq!(files["a.jpg"].crc32c, 0xdead_beef);
        assert!(files["a.jpg"].synced);
        assert_eq!(files["a.jpg"].mount, "vault");
        assert!(j.watch_last_synced(id).unwrap().is_some());
        j.set_watch_enabled(id, false).unwrap();
        assert!(!j.watch(id).unwrap().enabled);
        j.remove_watch(id).unwrap();
        assert!(j.watches().unwrap().is_empty());
        assert!(j.watch_files(id).unwrap().is_empty());
        assert!(j.remove_watch(id).is_err());
    }

    #[test]
    fn updates_failed_files_and_deletion_answers_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::create_dir(&a).unwrap();
        std::fs::create_dir(&b).unwrap();
        let j = UploadJournal::open(&dir.path().join("j.sqlite")).unwrap();
        let spec = |root: &std::path::Path, bucket: &str| WatchSpec::new(root, Target::new(bucket));
        let w = j.create_watch(spec(&a, "one"), &[]).unwrap();
        let other = j.create_watch(spec(&b, "one"), &[]).unwrap();
        let failed = FileRecord {
            key: "x".into(),
            upload: Some(7),
            attempts: 3,
            retry_at_ms: Some(42),
            ..FileRecord::default()
        };
        j.put_watch_files(w.id, &[("x".into(), failed.clone())])
            .unwrap();
        assert_eq!(j.watch_files(w.id).unwrap()["x"], failed);

        // Patterns only: what was synced stays.
        let u = j
            .update_watch(
                w.id,
                WatchSpec {
                    include: vec!["*.png".into()],
                    ..spec(&a, "one")
                },
                &[],
            )
            .unwrap();
        assert_eq!((u.id, u.include.clone()), (w.id, vec!["*.png".to_string()]));
        assert_eq!(j.watch_files(w.id).unwrap().len(), 1);
        // Another folder's root, or Hoist's own data: refused.
        assert!(j.update_watch(w.id, spec(&b, "one"), &[]).is_err());
        assert!(j.update_watch(w.id, spec(dir.path(), "one"), &[]).is_err());
        // A new target: everything is uploaded there again.
        let u = j.update_watch(w.id, spec(&a, "two"), &[]).unwrap();
        assert_eq!(u.bucket, "two");
        assert!(j.watch_files(w.id).unwrap().is_empty());
        assert_eq!(j.watch(other.id).unwrap().bucket, "one");

        // The guard's question and its answer.
        assert!(
            j.decide_deletions(w.id, DeletionDecision::MoveToTrash)
                .is_err()
        );
        j.set_watch_held_deletions(w.id, 200).unwrap();
        assert_eq!(j.watch_held_deletions(w.id).unwrap(), 200);
        assert_eq!(
            j.decide_deletions(w.id, DeletionDecision::KeepRemote)
                .unwrap(),
            200
        );
        assert_eq!(
            j.take_deletion_decision(w.id).unwrap(),
            Some((DeletionDecision::KeepRemote, 200))
        );
        assert_eq!(j.take_deletion_decision(w.id).unwrap(), None, "taken once");
    }

    #[test]
    fn a_journal_from_before_the_safety_columns_is_migrated() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("j.sqlite");
        {
            // The released first step only, with one synced file.
            let c = rusqlite::Connection::open(&db).unwrap();
            c.execute_batch(SCHEMA.steps[0]).unwrap();
            c.execute_batch(
                "CREATE TABLE schema_versions (name TEXT PRIMARY KEY, version INTEGER NOT NULL);
                 INSERT INTO schema_versions VALUES ('watches', 1);
                 INSERT INTO watches VALUES (1, '/w', '{\"bucket\":\"b\",\"prefix\":\"\"}', '[]', '[]', 1, 1, 'hoist-trash/', 0, NULL);
                 INSERT INTO watch_files VALUES (1, 'a.txt', 'a.txt', 3, 5, 9, 7, 6, 6, 'synced', 1, 0);",
            )
            .unwrap();
        }
        let j = UploadJournal::open(&db).unwrap();
        let files = j.watch_files(1).unwrap();
        assert_eq!(files["a.txt"].mount, "", "synced on the root's filesystem");
        assert_eq!(files["a.txt"].attempts, 0);
        assert!(files["a.txt"].synced);
        assert_eq!(j.watch_held_deletions(1).unwrap(), 0);
    }
}
