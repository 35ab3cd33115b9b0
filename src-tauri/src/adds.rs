//! Where adds go and what happens to keys that exist: the destination picker's
//! commands, the conflict choice and the "ask" dialog's answer, and the queue's
//! actions on a selection. hoist-core decides; this checks arguments and translates.

use std::collections::HashMap;

use hoist_core::profiles::{AddPreferences, ConflictChoice, Destination};
use hoist_core::{AddOptions, Added, ConflictPolicy, ListRequest, Listing, Target, UploadId};
use serde::{Deserialize, Serialize};
use tauri::State;
use ts_rs::TS;

use crate::error::{Result, invalid};
use crate::settings;
use crate::state::Desktop;

/// Ids one selection command may carry (the queue's virtual list allows "select all").
const MAX_IDS: usize = 100_000;
/// Per-key answers one conflict dialog may carry.
const MAX_DECISIONS: usize = 100_000;

/// The destination adds use now, as the header and the picker show it.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct DestinationView {
    pub destination: Destination,
    /// "profile · bucket · folder".
    pub label: String,
    pub conflict: ConflictChoice,
}

/// What an add did: `ids` queued, or `pending` waiting for the conflict dialog.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct AddOutcome {
    #[ts(type = "number[]")]
    pub ids: Vec<UploadId>,
    pub pending: Option<PendingAdd>,
}

/// A batch with keys that exist already, or whose keys could not be checked; nothing
/// of it is queued yet.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct PendingAdd {
    #[ts(type = "number")]
    pub batch: u64,
    /// Where the batch goes ("profile · bucket · folder").
    pub label: String,
    /// Files in the batch.
    #[ts(type = "number")]
    pub files: usize,
    /// Their keys that exist in the bucket.
    pub existing: Vec<String>,
    /// The profile's credentials may not read the bucket (write-only keys): which
    /// names exist is unknown, and only "overwrite" can be answered.
    pub unchecked: bool,
}

/// The user's answer for one existing key.
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct KeyDecision {
    pub key: String,
    pub policy: ConflictPolicy,
}

/// What the queue's toolbar does to the selected rows.
#[derive(Debug, Clone, Copy, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum QueueAction {
    Pause,
    Resume,
    Cancel,
    Retry,
    Remove,
    MoveToTop,
}

pub(crate) fn label(d: &Destination) -> String {
    d.describe("Local store")
}

impl Desktop {
    /// The destination the user chose last for the active profile, else the
    /// profile's own bucket and prefix.
    pub fn destination(&self) -> Result<Destination> {
        let active = self.profiles.active()?;
        let name = active.as_ref().map(|p| p.name.clone());
        if let Some(d) = self.adds.remembered(name.as_deref()) {
            return Ok(d);
        }
        let t = settings::to_target(active.as_ref(), self.local.as_ref())?;
        Ok(Destination {
            profile: name,
            bucket: t.bucket,
            prefix: t.prefix,
        })
    }

    /// The engine target of a destination: its profile must exist (the local store
    /// must run), its bucket name be valid; the folder is normalised.
    pub fn target_of(&self, destination: Destination) -> Result<(Destination, Target)> {
        let d = destination.checked()?;
        let base = match &d.profile {
            Some(name) => self.profiles.require(name)?.target(Some(&d.bucket))?,
            None => settings::to_target(None, self.local.as_ref())?,
        };
        let t = d.apply_to(&base)?;
        Ok((d, t))
    }

    pub fn destination_view(&self) -> Result<DestinationView> {
        let destination = self.destination()?;
        Ok(DestinationView {
            label: label(&destination),
            destination,
            conflict: self.adds.get().conflict,
        })
    }

    /// Chooses where adds go: the destination's profile becomes the active one (the
    /// browser and links follow it) and the destination is remembered for it.
    pub async fn set_destination(&self, destination: Destination) -> Result<DestinationView> {
        let (d, _) = self.target_of(destination)?;
        let active = self.profiles.active()?.map(|p| p.name);
        if active != d.profile {
            self.use_profile(d.profile.clone()).await?;
        }
        self.adds.remember(d)?;
        self.destination_view()
    }

    /// Queues chosen paths at `destination` (`None` = the current one) with the
    /// conflict setting and the destination profile's upload defaults (and its key
    /// template when `templated`); with "ask", a batch whose keys exist waits for the
    /// dialog.
    pub async fn add_to(
        &self,
        paths: Vec<std::path::PathBuf>,
        destination: Option<Destination>,
        templated: bool,
    ) -> Result<AddOutcome> {
        let destination = match destination {
            Some(d) => d,
            None => self.destination()?,
        };
        let (d, target) = self.target_of(destination)?;
        // The local store (no profile) has no upload defaults.
        let profile = match &d.profile {
            Some(name) => Some(self.profiles.require(name)?),
            None => None,
        };
        let options = AddOptions {
            key_template: profile
                .as_ref()
                .and_then(|p| p.key_template.clone())
                .filter(|_| templated),
            object: profile.map(|p| p.upload_defaults).unwrap_or_default(),
            ..AddOptions::default()
        };
        let policy = self.adds.get().conflict.policy();
        Ok(
            match self
                .engine
                .add_or_ask(paths, target, policy, options)
                .await?
            {
                Added::Queued(ids) => AddOutcome { ids, pending: None },
                Added::NeedsDecision(batch) => {
                    let files = batch.files.len();
                    let existing = batch.existing.clone();
                    let unchecked = batch.unchecked;
                    let n = self.pending.hold(batch);
                    AddOutcome {
                        ids: Vec::new(),
                        pending: Some(PendingAdd {
                            batch: n,
                            label: label(&d),
                            files,
                            existing,
                            unchecked,
                        }),
                    }
                }
            },
        )
    }

    /// The dialog's answer: per-key decisions, and `otherwise` for the rest ("apply to
    /// all"). `None` drops the batch: nothing is queued.
    pub async fn resolve_batch(
        &self,
        batch: u64,
        decisions: Vec<KeyDecision>,
        otherwise: Option<ConflictPolicy>,
    ) -> Result<Vec<UploadId>> {
        if decisions.len() > MAX_DECISIONS {
            return Err(invalid("too many answers for one batch"));
        }
        let planned = self.pending.take(batch)?;
        let Some(otherwise) = otherwise else {
            return Ok(Vec::new());
        };
        let mut by_key = HashMap::new();
        for d in decisions {
            if !planned.existing.contains(&d.key) {
                return Err(invalid(format!(
                    "{:?} is not one of the batch's existing keys",
                    d.key
                )));
            }
            by_key.insert(d.key, d.policy);
        }
        Ok(self.engine.add_planned(planned, &by_key, otherwise).await?)
    }
}

fn check_ids(ids: &[UploadId]) -> Result<()> {
    if ids.is_empty() || ids.len() > MAX_IDS {
        return Err(invalid(format!("select 1 to {MAX_IDS} uploads")));
    }
    if let Some(id) = ids.iter().find(|id| **id <= 0) {
        return Err(invalid(format!("{id} is not an upload id")));
    }
    Ok(())
}

#[tauri::command]
pub fn get_destination(state: State<'_, Desktop>) -> Result<DestinationView> {
    state.destination_view()
}

#[tauri::command]
pub async fn set_destination(
    state: State<'_, Desktop>,
    destination: Destination,
) -> Result<DestinationView> {
    state.set_destination(destination).await
}

/// The folders in a destination's bucket under its folder, for the picker (same
/// listing as the Browser's).
#[tauri::command]
pub async fn destination_folders(
    state: State<'_, Desktop>,
    destination: Destination,
    continuation: Option<String>,
) -> Result<Listing> {
    if continuation.as_ref().is_some_and(|c| c.len() > 4096) {
        return Err(invalid("the continuation token is too long"));
    }
    let (d, mut target) = state.target_of(destination)?;
    target.prefix.clear();
    let access = state.engine.access(target)?;
    let request = ListRequest {
        prefix: d.prefix,
        filter: None,
        continuation,
        page_size: 1000,
    };
    let mut listing = hoist_core::objects::browse::list(&access, &request).await?;
    listing.objects.clear();
    Ok(listing)
}

#[tauri::command]
pub fn add_preferences(state: State<'_, Desktop>) -> AddPreferences {
    state.adds.get()
}

#[tauri::command]
pub fn set_conflict_choice(
    state: State<'_, Desktop>,
    choice: ConflictChoice,
) -> Result<AddPreferences> {
    Ok(state.adds.set_conflict(choice)?)
}

/// The conflict dialog's answer (`otherwise: null` = cancel the batch).
#[tauri::command]
pub async fn resolve_conflicts(
    state: State<'_, Desktop>,
    batch: u64,
    decisions: Vec<KeyDecision>,
    otherwise: Option<ConflictPolicy>,
) -> Result<Vec<UploadId>> {
    state.resolve_batch(batch, decisions, otherwise).await
}

/// One action on the selected rows. Rows the action does not apply to are left
/// alone (pausing a finished upload does nothing).
#[tauri::command]
pub async fn queue_action(
    state: State<'_, Desktop>,
    action: QueueAction,
    ids: Vec<UploadId>,
) -> Result<()> {
    check_ids(&ids)?;
    let engine = &state.engine;
    if let QueueAction::MoveToTop = action {
        return Ok(engine.move_to_top(ids).await?);
    }
    let finished: Vec<UploadId> = match action {
        QueueAction::Remove => engine
            .snapshot()
            .await?
            .into_iter()
            .filter(|i| i.state.is_final())
            .map(|i| i.id)
            .collect(),
        _ => Vec::new(),
    };
    for id in ids {
        match action {
            QueueAction::Pause => engine.pause(id).await?,
            QueueAction::Resume => engine.resume(id).await?,
            QueueAction::Cancel => engine.cancel(id).await?,
            QueueAction::Retry => engine.retry(id).await?,
            QueueAction::Remove if finished.contains(&id) => engine.remove(id).await?,
            QueueAction::Remove | QueueAction::MoveToTop => {}
        }
    }
    Ok(())
}

/// An upload marked "copy link when done".
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct CopyMark {
    #[ts(type = "number")]
    pub id: UploadId,
    #[ts(type = "number")]
    pub expires_secs: u64,
}

/// The "copy link when done" marks (kept in the journal), for the queue's rows.
#[tauri::command]
pub fn copy_when_done_marks(state: State<'_, Desktop>) -> Result<Vec<CopyMark>> {
    Ok(state
        .engine
        .journal()
        .copy_when_done_marks()?
        .into_iter()
        .map(|(id, expires_secs)| CopyMark { id, expires_secs })
        .collect())
}

/// "Clear finished": verified, skipped and cancelled rows leave the queue.
#[tauri::command]
pub async fn clear_finished(state: State<'_, Desktop>) -> Result<usize> {
    Ok(state.engine.remove_finished().await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(bucket: &str, prefix: &str) -> Destination {
        Destination {
            profile: None,
            bucket: bucket.into(),
            prefix: prefix.into(),
        }
    }

    /// The picker's destination is checked (profile exists, bucket valid, folder
    /// normalised), remembered across restarts, and adds land there.
    #[tokio::test(flavor = "multi_thread")]
    async fn adds_go_to_the_chosen_destination_which_is_remembered() {
        let dir = tempfile::tempdir().unwrap();
        let (data, config) = (dir.path().join("data"), dir.path().join("config"));
        let desktop = Desktop::start(data.clone(), config.clone()).await.unwrap();
        let first = desktop.destination().unwrap();
        assert_eq!(first, local(crate::local::LOCAL_BUCKET, ""));

        let err = desktop
            .set_destination(Destination {
                profile: Some("nobody".into()),
                ..local("hoist", "")
            })
            .await
            .unwrap_err();
        assert!(err.to_string().contains("nobody"), "{err}");
        let err = desktop.set_destination(local("Not A Bucket", "")).await;
        assert!(err.unwrap_err().to_string().contains("bucket name"));

        let view = desktop
            .set_destination(local(crate::local::LOCAL_BUCKET, "/inbox//today"))
            .await
            .unwrap();
        assert_eq!(view.destination.prefix, "inbox/today/");
        assert_eq!(view.label, "Local store · hoist · inbox/today/");

        let file = dir.path().join("note.txt");
        std::fs::write(&file, b"hello").unwrap();
        let out = desktop
            .add_to(vec![file.clone()], None, true)
            .await
            .unwrap();
        assert_eq!(out.ids.len(), 1);
        desktop.engine.wait_idle().await.unwrap();
        let items = desktop.engine.snapshot().await.unwrap();
        assert_eq!(items[0].key, "inbox/today/note.txt");
        assert_eq!(items[0].state, hoist_core::ItemState::Verified);

        // Same file again, "ask" (the default): nothing queued, the key reported.
        let out = desktop.add_to(vec![file], None, true).await.unwrap();
        let pending = out.pending.expect("the dialog is needed");
        assert!(out.ids.is_empty());
        assert_eq!(pending.existing, ["inbox/today/note.txt"]);
        let ids = desktop
            .resolve_batch(pending.batch, vec![], Some(ConflictPolicy::Rename))
            .await
            .unwrap();
        desktop.engine.wait_idle().await.unwrap();
        let items = desktop.engine.snapshot().await.unwrap();
        let renamed = items.iter().find(|i| i.id == ids[0]).unwrap();
        assert_eq!(renamed.key, "inbox/today/note (1).txt");
        let again = desktop.resolve_batch(pending.batch, vec![], None).await;
        assert!(again.unwrap_err().to_string().contains("no longer waiting"));

        desktop.set_auto_copy(ids[0], 900).unwrap();
        desktop.shutdown().await;

        let desktop = Desktop::start(data, config).await.unwrap();
        assert_eq!(desktop.destination().unwrap().prefix, "inbox/today/");
        // "Copy link when done" survives the restart, and is taken once.
        assert_eq!(desktop.take_auto_copy(ids[0]), Some(900));
        assert_eq!(desktop.take_auto_copy(ids[0]), None);
        desktop.shutdown().await;
    }
}
