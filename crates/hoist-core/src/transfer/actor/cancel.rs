//! A cancelled upload's end: its partial upload aborted on the store, its history
//! written, off the actor's thread.

use super::Actor;
use crate::events::EngineEvent;
use crate::transfer::history::history;
use crate::transfer::records::{UploadRow, UploadState};

impl Actor {
    /// Aborts the multipart upload (so no parts linger on the store) and records it.
    pub(super) fn finish_cancel(&self, row: UploadRow, started: i64) {
        let shared = self.shared.clone();
        tokio::spawn(async move {
            let journal = shared.journal.clone();
            let id = row.id;
            let fresh = tokio::task::spawn_blocking(move || journal.upload(id))
                .await
                .ok()
                .and_then(|r| r.ok().flatten())
                .unwrap_or(row);
            let mut message = "cancelled by the user".to_owned();
            if let Some(mp) = &fresh.multipart_id {
                if let Err(e) = shared.abort_multipart(&fresh, mp).await {
                    message = format!(
                        "cancelled; aborting the partial upload failed ({e}): `hoist abort-orphans` cleans it up"
                    );
                }
            }
            let entry = history(
                &fresh,
                "cancelled",
                None,
                None,
                Some(message),
                0,
                0,
                started,
            );
            let journal = shared.journal.clone();
            let id = fresh.id;
            let written = tokio::task::spawn_blocking(move || {
                journal.finish(id, UploadState::Cancelled, &entry)
            })
            .await;
            if let Ok(Err(e)) = written {
                tracing::error!("journal: {e}");
            }
            let _ = shared.events.send(EngineEvent::Cancelled { id: fresh.id });
        });
    }
}
