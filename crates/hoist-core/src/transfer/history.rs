//! The history: one row per finished upload (verified, skipped, failed or cancelled),
//! written in the same transaction as the upload's final state. An upload retried
//! after it failed keeps one row: its latest outcome replaces the failure.

use std::path::PathBuf;

use rusqlite::params;
use serde::Serialize;

use super::records::{SCHEMA, UploadState};
use crate::error::Result;
use crate::events::UploadId;
use crate::journal::{UploadJournal, now_ms, path_to_db};

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct HistoryEntry {
    #[ts(type = "number")]
    pub upload: UploadId,
    #[ts(type = "string")]
    pub path: PathBuf,
    pub endpoint: Option<String>,
    pub bucket: String,
    pub key: String,
    #[ts(type = "number")]
    pub size: u64,
    /// verified, skipped, failed or cancelled.
    pub result: String,
    pub etag: Option<String>,
    pub checksum: Option<String>,
    pub message: Option<String>,
    #[ts(type = "number")]
    pub bytes_sent: u64,
    #[ts(type = "number")]
    pub bytes_resent: u64,
    /// Milliseconds since the epoch.
    #[ts(type = "number")]
    pub started_at: i64,
    #[ts(type = "number")]
    pub finished_at: i64,
}

impl UploadJournal {
    /// Ends an upload: its final state and its history entry, in one transaction.
    pub fn finish(&self, id: UploadId, state: UploadState, entry: &HistoryEntry) -> Result<()> {
        let mut conn = self.conn(&SCHEMA)?;
        let tx = conn.transaction()?;
        tx.execute(
            "UPDATE uploads SET state = ?2, error = ?3, updated_at = ?4 WHERE id = ?1",
            params![
                id,
                state.as_str(),
                if state == UploadState::Failed {
                    entry.message.as_deref()
                } else {
                    None
                },
                now_ms()
            ],
        )?;
        if state != UploadState::Failed {
            // Parts and attempts are only needed to resume; a finished upload keeps its history.
            tx.execute("DELETE FROM parts WHERE upload = ?1", [id])?;
            tx.execute("DELETE FROM part_attempts WHERE upload = ?1", [id])?;
        }
        tx.execute(
            "DELETE FROM history WHERE upload = ?1 AND result = 'failed'",
            [id],
        )?;
        tx.execute(
            "INSERT INTO history (upload, path, endpoint, bucket, key, size, result, etag, checksum, message, \
             bytes_sent, bytes_resent, started_at, finished_at) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)",
            params![
                entry.upload,
                path_to_db(&entry.path),
                entry.endpoint,
                entry.bucket,
                entry.key,
                entry.size as i64,
                entry.result,
                entry.etag,
                entry.checksum,
                entry.message,
                entry.bytes_sent as i64,
                entry.bytes_resent as i64,
                entry.started_at,
                entry.finished_at
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Newest first.
    pub fn history(&self, limit: usize) -> Result<Vec<HistoryEntry>> {
        let conn = self.conn(&SCHEMA)?;
        let mut stmt = conn.prepare(
            "SELECT upload, path, endpoint, bucket, key, size, result, etag, checksum, message, bytes_sent, \
             bytes_resent, started_at, finished_at FROM history ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt
            .query_map([limit as i64], |r| {
                Ok(HistoryEntry {
                    upload: r.get(0)?,
                    path: PathBuf::from(r.get::<_, String>(1)?),
                    endpoint: r.get(2)?,
                    bucket: r.get(3)?,
                    key: r.get(4)?,
                    size: r.get::<_, i64>(5)? as u64,
                    result: r.get(6)?,
                    etag: r.get(7)?,
                    checksum: r.get(8)?,
                    message: r.get(9)?,
                    bytes_sent: r.get::<_, i64>(10)? as u64,
                    bytes_resent: r.get::<_, i64>(11)? as u64,
                    started_at: r.get(12)?,
                    finished_at: r.get(13)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Uploads that landed at this key, per the history (to prove "exactly once").
    pub fn verified_count(&self, bucket: &str, key: &str) -> Result<u64> {
        Ok(self.conn(&SCHEMA)?.query_row(
            "SELECT COUNT(*) FROM history WHERE bucket = ?1 AND key = ?2 AND result = 'verified'",
            params![bucket, key],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transfer::records::tests::sample;

    #[test]
    fn finish_writes_history_and_leaves_unfinished_list() {
        let dir = tempfile::tempdir().unwrap();
        let j = UploadJournal::open(&dir.path().join("j.sqlite")).unwrap();
        let ids = j
            .insert_uploads(&[sample("/a"), sample("/b")], UploadState::Queued)
            .unwrap();
        let entry = HistoryEntry {
            upload: ids[0],
            path: "/a".into(),
            endpoint: None,
            bucket: "bucket".into(),
            key: "k".into(),
            size: 100,
            result: "done".into(),
            etag: Some("\"x\"".into()),
            checksum: None,
            message: None,
            bytes_sent: 100,
            bytes_resent: 0,
            started_at: 1,
            finished_at: 2,
        };
        j.finish(ids[0], UploadState::Done, &entry).unwrap();
        let open = j.uploads_in(&[UploadState::Queued]).unwrap();
        assert_eq!(open.iter().map(|r| r.id).collect::<Vec<_>>(), vec![ids[1]]);
        let h = j.history(10).unwrap();
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].upload, ids[0]);

        // Failing again, then landing: one row, the latest outcome.
        let failed = HistoryEntry {
            upload: ids[1],
            result: "failed".into(),
            ..entry.clone()
        };
        j.finish(ids[1], UploadState::Failed, &failed).unwrap();
        j.finish(ids[1], UploadState::Failed, &failed).unwrap();
        let rows = |j: &UploadJournal| -> Vec<String> {
            j.history(10)
                .unwrap()
                .into_iter()
                .filter(|h| h.upload == ids[1])
                .map(|h| h.result)
                .collect()
        };
        assert_eq!(rows(&j), vec!["failed"]);
        j.finish(
            ids[1],
            UploadState::Done,
            &HistoryEntry {
                upload: ids[1],
                ..entry
            },
        )
        .unwrap();
        assert_eq!(rows(&j), vec!["done"]);
    }
}

/// The history entry for an upload that ended now.
#[allow(clippy::too_many_arguments)]
pub(super) fn history(
    row: &super::records::UploadRow,
    result: &str,
    etag: Option<String>,
    checksum: Option<String>,
    message: Option<String>,
    bytes_sent: u64,
    bytes_resent: u64,
    started: i64,
) -> HistoryEntry {
    HistoryEntry {
        upload: row.id,
        path: row.path.clone(),
        endpoint: row.target.endpoint.clone(),
        bucket: row.target.bucket.clone(),
        key: row.key.clone(),
        size: row.identity.size,
        result: result.to_owned(),
        etag,
        checksum,
        message,
        bytes_sent,
        bytes_resent,
        started_at: started,
        finished_at: now_ms(),
    }
}
