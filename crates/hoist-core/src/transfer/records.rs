//! The queue's journal tables: what is queued, where each upload goes, and how far each
//! multipart upload got (its parts, durable at each completed part). On resume the
//! store is checked anyway (ListParts), so a lost row only costs a re-sent part, never
//! a corrupt object.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use crate::error::Result;
use crate::events::UploadId;
use crate::journal::{Schema, UploadJournal, now_ms, path_to_db};
use crate::s3::{ObjectOptions, PartRecord, Target};
use crate::transfer::fetch::FetchSpec;
use crate::transfer::source::FileIdentity;

/// Where an upload stands in the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UploadState {
    /// Waiting or running: a restart continues it.
    Queued,
    /// Paused by the user: kept, not started by itself.
    Paused,
    Failed,
    Done,
    Skipped,
    Cancelled,
}

impl UploadState {
    pub fn as_str(self) -> &'static str {
        match self {
            UploadState::Queued => "queued",
            UploadState::Paused => "paused",
            UploadState::Failed => "failed",
            UploadState::Done => "done",
            UploadState::Skipped => "skipped",
            UploadState::Cancelled => "cancelled",
        }
    }
    pub(crate) fn parse(s: &str) -> UploadState {
        match s {
            "paused" => UploadState::Paused,
            "failed" => UploadState::Failed,
            "done" => UploadState::Done,
            "skipped" => UploadState::Skipped,
            "cancelled" => UploadState::Cancelled,
            _ => UploadState::Queued,
        }
    }
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            UploadState::Done | UploadState::Skipped | UploadState::Cancelled
        )
    }
}

/// What to do when the destination key already exists.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize, Default, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ConflictPolicy {
    #[default]
    Overwrite,
    Skip,
    Rename,
}

impl ConflictPolicy {
    fn as_str(self) -> &'static str {
        match self {
            ConflictPolicy::Overwrite => "overwrite",
            ConflictPolicy::Skip => "skip",
            ConflictPolicy::Rename => "rename",
        }
    }
    fn parse(s: &str) -> ConflictPolicy {
        match s {
            "skip" => ConflictPolicy::Skip,
            "rename" => ConflictPolicy::Rename,
            _ => ConflictPolicy::Overwrite,
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewUpload {
    pub path: PathBuf,
    pub identity: FileIdentity,
    pub target: Target,
    pub key: String,
    pub content_type: String,
    /// Metadata, tags, storage class, encryption... (the content type is the field
    /// above, resolved).
    pub options: ObjectOptions,
    pub priority: i32,
    pub conflict: ConflictPolicy,
    /// An upload from a URL (`path` holds the URL): what to fetch and its checks.
    pub fetch: Option<FetchSpec>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UploadRow {
    pub id: UploadId,
    pub path: PathBuf,
    pub identity: FileIdentity,
    pub target: Target,
    pub key: String,
    pub content_type: String,
    pub options: ObjectOptions,
    pub priority: i32,
    pub conflict: ConflictPolicy,
    pub state: UploadState,
    /// The store's multipart UploadId, once created.
    pub multipart_id: Option<String>,
    pub part_size: Option<u64>,
    pub error: Option<String>,
    pub parts_done: u64,
    pub bytes_done: u64,
    pub created_at: i64,
    /// Set for an upload from a URL (`path` holds the URL).
    pub fetch: Option<FetchSpec>,
}

/// The queue's tables: uploads, their parts and part attempts, and the history.
pub(crate) static SCHEMA: Schema = Schema {
    name: "uploads",
    steps: &[
        r#"
CREATE TABLE IF NOT EXISTS uploads (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    inode INTEGER NOT NULL,
    target TEXT NOT NULL,
    key TEXT NOT NULL,
    content_type TEXT NOT NULL,
    priority INTEGER NOT NULL DEFAULT 0,
    conflict TEXT NOT NULL,
    state TEXT NOT NULL,
    multipart_id TEXT,
    part_size INTEGER,
    error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS uploads_state ON uploads(state);
CREATE TABLE IF NOT EXISTS parts (
    upload INTEGER NOT NULL REFERENCES uploads(id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    crc32c INTEGER,
    md5 TEXT,
    PRIMARY KEY (upload, number)
);
-- Parts whose sending began: a part sent again after a crash counts as re-sent.
CREATE TABLE IF NOT EXISTS part_attempts (
    upload INTEGER NOT NULL REFERENCES uploads(id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    PRIMARY KEY (upload, number)
);
CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY,
    upload INTEGER NOT NULL,
    path TEXT NOT NULL,
    endpoint TEXT,
    bucket TEXT NOT NULL,
    key TEXT NOT NULL,
    size INTEGER NOT NULL,
    result TEXT NOT NULL,
    etag TEXT,
    checksum TEXT,
    message TEXT,
    bytes_sent INTEGER NOT NULL,
    bytes_resent INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    finished_at INTEGER NOT NULL
);
"#,
        // Keys are looked up when sources are added, so two never land on one key.
        "CREATE INDEX IF NOT EXISTS uploads_key ON uploads(key);",
        // Object options (JSON), kept so a resumed upload is created as it was asked.
        "ALTER TABLE uploads ADD COLUMN options TEXT;",
        // Uploads from a URL: the URL, its checks and the origin's validator (JSON).
        "ALTER TABLE uploads ADD COLUMN fetch TEXT;",
        // Where each part lies in the file, journaled before it is sent: parts grow
        // while an upload runs, so the part size alone no longer says (NULL: a part
        // of the upload's part size, journaled before parts could grow).
        "ALTER TABLE part_attempts ADD COLUMN first_byte INTEGER; \
         ALTER TABLE part_attempts ADD COLUMN bytes INTEGER;",
    ],
};

const UPLOAD_COLUMNS: &str = "u.id, u.path, u.size, u.mtime_ns, u.inode, u.target, u.key, u.content_type, \
     u.priority, u.conflict, u.state, u.multipart_id, u.part_size, u.error, u.created_at, \
     (SELECT COUNT(*) FROM parts p WHERE p.upload = u.id), \
     (SELECT COALESCE(SUM(size), 0) FROM parts p WHERE p.upload = u.id), u.options, u.fetch";

impl UploadJournal {
    pub fn insert_uploads(
        &self,
        uploads: &[NewUpload],
        initial: UploadState,
    ) -> Result<Vec<UploadId>> {
        let mut conn = self.conn(&SCHEMA)?;
        let tx = conn.transaction()?;
        let rows: Vec<_> = uploads.iter().map(|u| (u, initial, None)).collect();
        let ids = insert_rows(&tx, &rows)?;
        tx.commit()?;
        Ok(ids)
    }

    pub fn upload(&self, id: UploadId) -> Result<Option<UploadRow>> {
        Ok(self.uploads_by_id(&[id])?.pop())
    }

    /// These uploads' rows, in the order asked (missing ones left out), read under one
    /// lock: a batch of thousands must not queue for the connection once per row.
    pub fn uploads_by_id(&self, ids: &[UploadId]) -> Result<Vec<UploadRow>> {
        let conn = self.conn(&SCHEMA)?;
        let sql = format!("SELECT {UPLOAD_COLUMNS} FROM uploads u WHERE u.id = ?1");
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut rows = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(row) = stmt.query_row([id], row_to_upload).optional()? {
                rows.push(row);
            }
        }
        Ok(rows)
    }

    /// Uploads in the given states, oldest first.
    pub fn uploads_in(&self, states: &[UploadState]) -> Result<Vec<UploadRow>> {
        let conn = self.conn(&SCHEMA)?;
        let list: Vec<String> = states.iter().map(|s| format!("'{}'", s.as_str())).collect();
        let sql = format!(
            "SELECT {UPLOAD_COLUMNS} FROM uploads u WHERE u.state IN ({}) ORDER BY u.id",
            list.join(",")
        );
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt
            .query_map([], row_to_upload)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    pub fn set_state(&self, id: UploadId, state: UploadState, error: Option<&str>) -> Result<()> {
        self.conn(&SCHEMA)?.execute(
            "UPDATE uploads SET state = ?2, error = ?3, updated_at = ?4 WHERE id = ?1",
            params![id, state.as_str(), error, now_ms()],
        )?;
        Ok(())
    }

    /// Points unfinished uploads at a store's new address (the embedded store when its
    /// port had to change). Returns how many were moved.
    pub fn retarget_uploads(&self, from: &str, to: &str) -> Result<usize> {
        let mut conn = self.conn(&SCHEMA)?;
        let tx = conn.transaction()?;
        let rows: Vec<(UploadId, String)> = {
            let mut st = tx.prepare(
                "SELECT id, target FROM uploads WHERE state IN ('queued', 'paused', 'failed')",
            )?;
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?
        };
        let mut moved = 0;
        for (id, json) in rows {
            let Ok(mut target) = serde_json::from_str::<Target>(&json) else {
                continue;
            };
            if target.endpoint.as_deref() == Some(from) {
                target.endpoint = Some(to.to_owned());
                let json = serde_json::to_string(&target).expect("a target serialises");
                tx.execute("UPDATE uploads SET target = ?1 WHERE id = ?2", (json, id))?;
                moved += 1;
            }
        }
        tx.commit()?;
        Ok(moved)
    }

    pub fn set_priority(&self, id: UploadId, priority: i32) -> Result<()> {
        self.conn(&SCHEMA)?.execute(
            "UPDATE uploads SET priority = ?2 WHERE id = ?1",
            params![id, priority],
        )?;
        Ok(())
    }

    pub fn set_key(&self, id: UploadId, key: &str) -> Result<()> {
        self.conn(&SCHEMA)?.execute(
            "UPDATE uploads SET key = ?2 WHERE id = ?1",
            params![id, key],
        )?;
        Ok(())
    }

    /// Starts a fresh multipart upload for `id`: forgets any previous parts.
    pub fn begin_multipart(
        &self,
        id: UploadId,
        identity: &FileIdentity,
        multipart_id: &str,
        part_size: u64,
    ) -> Result<()> {
        self.conn(&SCHEMA)?.durably(|conn| {
        let tx = conn.transaction()?;
        tx.execute("DELETE FROM parts WHERE upload = ?1", [id])?;
        tx.execute("DELETE FROM part_attempts WHERE upload = ?1", [id])?;
        tx.execute(
            "UPDATE uploads SET multipart_id = ?2, part_size = ?3, size = ?4, mtime_ns = ?5, inode = ?6, \
             updated_at = ?7 WHERE id = ?1",
            params![
                id,
                multipart_id,
                part_size as i64,
                identity.size as i64,
                identity.mtime_ns,
                identity.inode as i64,
                now_ms()
            ],
        )?;
        tx.commit()?;
        Ok(())
        })
    }

    /// Forgets the multipart upload (after it was aborted or found gone) and records
    /// the file's current identity.
    pub fn reset_upload(&self, id: UploadId, identity: &FileIdentity) -> Result<()> {
        let mut conn = self.conn(&SCHEMA)?;
        let tx = conn.transaction()?;
        tx.execute("DELETE FROM parts WHERE upload = ?1", [id])?;
        tx.execute("DELETE FROM part_attempts WHERE upload = ?1", [id])?;
        tx.execute(
            "UPDATE uploads SET multipart_id = NULL, part_size = NULL, size = ?2, mtime_ns = ?3, inode = ?4, \
             updated_at = ?5 WHERE id = ?1",
            params![id, identity.size as i64, identity.mtime_ns, identity.inode as i64, now_ms()],
        )?;
        tx.commit()?;
        Ok(())
    }

    pub fn parts(&self, id: UploadId) -> Result<Vec<PartRecord>> {
        let conn = self.conn(&SCHEMA)?;
        let mut stmt = conn.prepare(
            "SELECT number, size, etag, crc32c, md5 FROM parts WHERE upload = ?1 ORDER BY number",
        )?;
        let rows = stmt
            .query_map([id], |r| {
                Ok(PartRecord {
                    number: r.get::<_, i64>(0)? as u32,
                    size: r.get::<_, i64>(1)? as u64,
                    etag: r.get(2)?,
                    crc32c: r.get::<_, Option<i64>>(3)?.map(|v| v as u32),
                    md5: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Records a completed part durably (fsync), before the engine counts it as done.
    pub fn record_part(&self, id: UploadId, part: &PartRecord) -> Result<()> {
        self.conn(&SCHEMA)?.durably(|conn| {
        conn.execute(
            "INSERT OR REPLACE INTO parts (upload, number, size, etag, crc32c, md5) VALUES (?1,?2,?3,?4,?5,?6)",
            params![
                id,
                part.number as i64,
                part.size as i64,
                part.etag,
                part.crc32c.map(|c| c as i64),
                part.md5
            ],
        )?;
        Ok(())
        })
    }

    pub fn forget_part(&self, id: UploadId, number: u32) -> Result<()> {
        self.conn(&SCHEMA)?.execute(
            "DELETE FROM parts WHERE upload = ?1 AND number = ?2",
            params![id, number as i64],
        )?;
        Ok(())
    }

    /// Notes that sending part `number`, bytes `(offset, length)` of the file, begins;
    /// returns true when an earlier attempt (in this or a crashed run) had begun
    /// sending it already.
    pub fn mark_attempt(&self, id: UploadId, number: u32, range: (u64, u64)) -> Result<bool> {
        let inserted = self.conn(&SCHEMA)?.execute(
            "INSERT OR IGNORE INTO part_attempts (upload, number, first_byte, bytes) VALUES (?1, ?2, ?3, ?4)",
            params![id, number as i64, range.0 as i64, range.1 as i64],
        )?;
        Ok(inserted == 0)
    }

    /// Where the parts whose sending began lie in the file: `(number, offset, length)`
    /// in part order; `None` when a part was journaled before parts could grow (all of
    /// the upload's part size).
    pub fn part_cuts(&self, id: UploadId) -> Result<Option<Vec<(u32, u64, u64)>>> {
        let conn = self.conn(&SCHEMA)?;
        let mut stmt = conn.prepare(
            "SELECT number, first_byte, bytes FROM part_attempts WHERE upload = ?1 ORDER BY number",
        )?;
        let rows = stmt
            .query_map([id], |r| {
                Ok((
                    r.get::<_, i64>(0)? as u32,
                    r.get::<_, Option<i64>>(1)?,
                    r.get::<_, Option<i64>>(2)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows
            .into_iter()
            .map(|(n, o, l)| Some((n, o? as u64, l? as u64)))
            .collect())
    }

    /// Journal states of these uploads (missing ids are left out).
    pub fn upload_states(&self, ids: &[UploadId]) -> Result<HashMap<UploadId, UploadState>> {
        let conn = self.conn(&SCHEMA)?;
        let mut out = HashMap::with_capacity(ids.len());
        // A few queries for many ids (a watched folder asks for hundreds at once).
        for chunk in ids.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(",");
            let mut st = conn.prepare(&format!(
                "SELECT id, state FROM uploads WHERE id IN ({marks})"
            ))?;
            let rows = st.query_map(rusqlite::params_from_iter(chunk.iter()), |r| {
                Ok((r.get::<_, UploadId>(0)?, r.get::<_, String>(1)?))
            })?;
            for row in rows {
                let (id, state) = row?;
                out.insert(id, UploadState::parse(&state));
            }
        }
        Ok(out)
    }

    /// Multipart UploadIds the journal still intends to finish.
    pub fn live_multipart_ids(&self) -> Result<HashSet<String>> {
        let conn = self.conn(&SCHEMA)?;
        let mut stmt = conn.prepare(
            "SELECT multipart_id FROM uploads WHERE multipart_id IS NOT NULL AND state IN ('queued','paused','failed')",
        )?;
        let ids = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<HashSet<_>>>()?;
        Ok(ids)
    }
}

/// Inserts uploads, each in its own state (with a reason for the ones decided already).
pub(super) fn insert_rows(
    tx: &rusqlite::Transaction<'_>,
    rows: &[(&NewUpload, UploadState, Option<String>)],
) -> Result<Vec<UploadId>> {
    let mut ids = Vec::with_capacity(rows.len());
    let mut stmt = tx.prepare(
        "INSERT INTO uploads (path, size, mtime_ns, inode, target, key, content_type, priority, \
         conflict, state, error, created_at, updated_at, options, fetch) \
         VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?12,?13,?14)",
    )?;
    let now = now_ms();
    for (u, state, error) in rows {
        stmt.execute(params![
            path_to_db(&u.path),
            u.identity.size as i64,
            u.identity.mtime_ns,
            u.identity.inode as i64,
            serde_json::to_string(&u.target).expect("target serialises"),
            u.key,
            u.content_type,
            u.priority,
            u.conflict.as_str(),
            state.as_str(),
            error,
            now,
            (!u.options.is_empty())
                .then(|| serde_json::to_string(&u.options).expect("options serialise")),
            u.fetch
                .as_ref()
                .map(|f| serde_json::to_string(f).expect("a fetch serialises")),
        ])?;
        ids.push(tx.last_insert_rowid());
    }
    Ok(ids)
}

fn row_to_upload(r: &rusqlite::Row<'_>) -> rusqlite::Result<UploadRow> {
    let target_json: String = r.get(5)?;
    let target: Target = serde_json::from_str(&target_json).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(5, rusqlite::types::Type::Text, Box::new(e))
    })?;
    Ok(UploadRow {
        id: r.get(0)?,
        path: PathBuf::from(r.get::<_, String>(1)?),
        identity: FileIdentity {
            size: r.get::<_, i64>(2)? as u64,
            mtime_ns: r.get(3)?,
            inode: r.get::<_, i64>(4)? as u64,
        },
        target,
        key: r.get(6)?,
        content_type: r.get(7)?,
        priority: r.get(8)?,
        conflict: ConflictPolicy::parse(&r.get::<_, String>(9)?),
        state: UploadState::parse(&r.get::<_, String>(10)?),
        multipart_id: r.get(11)?,
        part_size: r.get::<_, Option<i64>>(12)?.map(|v| v as u64),
        error: r.get(13)?,
        created_at: r.get(14)?,
        parts_done: r.get::<_, i64>(15)? as u64,
        bytes_done: r.get::<_, i64>(16)? as u64,
        options: match r.get::<_, Option<String>>(17)? {
            Some(json) => serde_json::from_str(&json).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(
                    17,
                    rusqlite::types::Type::Text,
                    Box::new(e),
                )
            })?,
            None => ObjectOptions::default(),
        },
        fetch: match r.get::<_, Option<String>>(18)? {
            Some(json) => Some(serde_json::from_str(&json).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(
                    18,
                    rusqlite::types::Type::Text,
                    Box::new(e),
                )
            })?),
            None => None,
        },
    })
}

impl UploadRow {
    /// What the store is asked to keep with the object: the options, with the
    /// upload's resolved content type.
    pub fn object_options(&self) -> ObjectOptions {
        ObjectOptions {
            content_type: Some(self.content_type.clone()),
            ..self.options.clone()
        }
    }
}

#[cfg(test)]
#[path = "records_tests.rs"]
pub(crate) mod tests;
