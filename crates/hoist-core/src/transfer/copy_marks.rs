//! "Copy link when done" marks: the uploads whose share link goes to the clipboard
//! once they are verified, with the link's lifetime. Kept in the journal, so a mark
//! set before a restart (or a crash) still copies the link when the upload resumes
//! and lands.

use rusqlite::{OptionalExtension, params};

use crate::error::Result;
use crate::events::UploadId;
use crate::journal::{Schema, UploadJournal, now_ms};

static SCHEMA: Schema = Schema {
    name: "copy_when_done",
    steps: &["CREATE TABLE copy_when_done (
        upload INTEGER PRIMARY KEY,
        expires_secs INTEGER NOT NULL,
        created_at INTEGER NOT NULL
    )"],
};

impl UploadJournal {
    /// Marks the upload: its link (valid `expires_secs`) is copied once it is verified.
    pub fn mark_copy_when_done(&self, id: UploadId, expires_secs: u64) -> Result<()> {
        self.conn(&SCHEMA)?.execute(
            "INSERT INTO copy_when_done (upload, expires_secs, created_at) VALUES (?1, ?2, ?3)
             ON CONFLICT(upload) DO UPDATE SET expires_secs = excluded.expires_secs",
            params![id, expires_secs as i64, now_ms()],
        )?;
        Ok(())
    }

    /// Removes the mark and returns its lifetime: whoever takes it makes the link, so
    /// the link is copied exactly once.
    pub fn take_copy_when_done(&self, id: UploadId) -> Result<Option<u64>> {
        let secs: Option<i64> = self
            .conn(&SCHEMA)?
            .query_row(
                "DELETE FROM copy_when_done WHERE upload = ?1 RETURNING expires_secs",
                [id],
                |r| r.get(0),
            )
            .optional()?;
        Ok(secs.map(|s| s.max(0) as u64))
    }

    /// Every mark, oldest first: (upload, link lifetime in seconds).
    pub fn copy_when_done_marks(&self) -> Result<Vec<(UploadId, u64)>> {
        let conn = self.conn(&SCHEMA)?;
        let mut stmt = conn.prepare(
            "SELECT upload, expires_secs FROM copy_when_done ORDER BY created_at, upload",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get::<_, UploadId>(0)?, r.get::<_, i64>(1)?.max(0) as u64))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use crate::transfer::{Engine, EngineOptions};

    /// A mark set before the app quits still copies the link after it starts again.
    #[tokio::test]
    async fn marks_survive_an_engine_restart_and_are_taken_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.sqlite");
        let engine = Engine::start(EngineOptions::new(&path)).await.unwrap();
        engine.journal().mark_copy_when_done(7, 900).unwrap();
        engine.journal().mark_copy_when_done(8, 60).unwrap();
        engine.journal().mark_copy_when_done(7, 3600).unwrap();
        engine.shutdown().await.unwrap();
        drop(engine);

        let engine = Engine::start(EngineOptions::new(&path)).await.unwrap();
        let j = engine.journal();
        assert_eq!(j.copy_when_done_marks().unwrap(), [(7, 3600), (8, 60)]);
        assert_eq!(j.take_copy_when_done(7).unwrap(), Some(3600));
        assert_eq!(j.take_copy_when_done(7).unwrap(), None, "taken once");
        assert_eq!(j.copy_when_done_marks().unwrap(), [(8, 60)]);
        engine.shutdown().await.unwrap();
    }
}
