//! The IPC commands: argument checks and translation only; the work is hoist-core's.

use hoist_core::profiles::{AwsFileProfile, ConnectionReport, Destination, ProfileList};
use hoist_core::{HistoryEntry, ItemStatus, UploadId};
use tauri::State;
use tauri::ipc::Channel;

use crate::adds::AddOutcome;
use crate::error::{Result, invalid};
use crate::feed::{self, Then};
use crate::lifecycle::{PreferenceFile, Preferences};
use crate::models::{AppSettings, AwsImportForm, ProfileForm, QueueMessage};
use crate::state::Desktop;

fn check_id(id: UploadId) -> Result<UploadId> {
    if id > 0 {
        Ok(id)
    } else {
        Err(invalid(format!("{id} is not an upload id")))
    }
}

/// Streams engine events to the UI until the channel closes or the page subscribes
/// again (after a reload).
#[tauri::command]
pub async fn subscribe(state: State<'_, Desktop>, channel: Channel<QueueMessage>) -> Result<()> {
    let mut events = state.engine.subscribe();
    let feed = tauri::async_runtime::spawn(async move {
        loop {
            let batch = feed::next_batch(&mut events, feed::GATHER, feed::MOST).await;
            if !batch.events.is_empty()
                && channel
                    .send(QueueMessage::Events {
                        events: batch.events,
                    })
                    .is_err()
            {
                break;
            }
            match batch.then {
                Then::More => {}
                Then::Lagged => {
                    if channel.send(QueueMessage::Resync).is_err() {
                        break;
                    }
                }
                Then::Closed => break,
            }
        }
    });
    state.replace_subscription(feed);
    Ok(())
}

/// A small thumbnail of a queued local image, as a `data:` URL. The page names only
/// the item: Rust reads the file the queue holds for it, and only image types.
#[tauri::command]
pub async fn item_thumbnail(state: State<'_, Desktop>, id: UploadId) -> Result<String> {
    let path = state
        .engine
        .source_path(check_id(id)?)
        .await?
        .ok_or_else(|| invalid(format!("no upload {id} in the queue")))?;
    let is_image = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| THUMBNAIL_TYPES.contains(&e.to_ascii_lowercase().as_str()));
    if !is_image {
        return Err(invalid(format!("{} is not an image", path.display())));
    }
    Ok(hoist_core::objects::thumbnail::of_file(&path, 48).await?)
}

/// File name extensions the queue shows a thumbnail for.
const THUMBNAIL_TYPES: &[&str] = &["png", "jpg", "jpeg", "gif", "webp", "bmp"];

#[tauri::command]
pub async fn list_queue(state: State<'_, Desktop>) -> Result<Vec<ItemStatus>> {
    Ok(state.engine.snapshot().await?)
}

/// Paths named by the page: only ones the user chose are accepted (see `chosen`).
/// The dialogs and drops queue their files in Rust (`pickers`); this stays for the
/// end-to-end tests, whose files count as chosen in debug builds.
#[tauri::command]
pub async fn add_paths(
    state: State<'_, Desktop>,
    paths: Vec<String>,
    destination: Option<Destination>,
) -> Result<AddOutcome> {
    state.add_paths(paths, destination).await
}

#[tauri::command]
pub async fn pause_item(state: State<'_, Desktop>, id: UploadId) -> Result<()> {
    Ok(state.engine.pause(check_id(id)?).await?)
}

#[tauri::command]
pub async fn resume_item(state: State<'_, Desktop>, id: UploadId) -> Result<()> {
    Ok(state.engine.resume(check_id(id)?).await?)
}

#[tauri::command]
pub async fn cancel_item(state: State<'_, Desktop>, id: UploadId) -> Result<()> {
    Ok(state.engine.cancel(check_id(id)?).await?)
}

#[tauri::command]
pub async fn retry_item(state: State<'_, Desktop>, id: UploadId) -> Result<()> {
    Ok(state.engine.retry(check_id(id)?).await?)
}

#[tauri::command]
pub async fn remove_item(state: State<'_, Desktop>, id: UploadId) -> Result<()> {
    Ok(state.engine.remove(check_id(id)?).await?)
}

#[tauri::command]
pub async fn pause_all(state: State<'_, Desktop>) -> Result<()> {
    Ok(state.engine.pause_all().await?)
}

#[tauri::command]
pub async fn resume_all(state: State<'_, Desktop>) -> Result<()> {
    Ok(state.engine.resume_all().await?)
}

#[tauri::command]
pub async fn retry_failed(state: State<'_, Desktop>) -> Result<()> {
    Ok(state.engine.retry_failed().await?)
}

#[tauri::command]
pub async fn history(state: State<'_, Desktop>, limit: u32) -> Result<Vec<HistoryEntry>> {
    if !(1..=10_000).contains(&limit) {
        return Err(invalid("the history limit must be between 1 and 10000"));
    }
    let engine = state.engine.clone();
    let entries =
        tauri::async_runtime::spawn_blocking(move || engine.journal().history(limit as usize))
            .await
            .map_err(|e| invalid(format!("history task failed: {e}")))??;
    Ok(entries)
}

#[tauri::command]
pub fn get_settings(state: State<'_, Desktop>) -> AppSettings {
    state.settings()
}

#[tauri::command]
pub async fn list_profiles(state: State<'_, Desktop>) -> Result<ProfileList> {
    state.list_profiles().await
}

/// Creates or updates a profile; its secret goes to the keyring and never comes back.
#[tauri::command]
pub async fn save_profile(state: State<'_, Desktop>, profile: ProfileForm) -> Result<ProfileList> {
    state.save_profile(profile).await
}

#[tauri::command]
pub async fn delete_profile(state: State<'_, Desktop>, name: String) -> Result<ProfileList> {
    state.delete_profile(name).await
}

/// `null` = the embedded local store.
#[tauri::command]
pub async fn use_profile(state: State<'_, Desktop>, name: Option<String>) -> Result<AppSettings> {
    state.use_profile(name).await
}

#[tauri::command]
pub async fn test_profile(
    state: State<'_, Desktop>,
    name: String,
    bucket: Option<String>,
) -> Result<ConnectionReport> {
    state.test_profile(name, bucket).await
}

/// Profiles found in ~/.aws, without their secrets.
#[tauri::command]
pub async fn aws_profiles(state: State<'_, Desktop>) -> Result<Vec<AwsFileProfile>> {
    state.aws_profiles().await
}

#[tauri::command]
pub async fn import_aws_profile(
    state: State<'_, Desktop>,
    request: AwsImportForm,
) -> Result<ProfileList> {
    state.import_aws_profile(request).await
}

#[tauri::command]
pub fn get_preferences(prefs: State<'_, PreferenceFile>) -> Preferences {
    prefs.get()
}

#[tauri::command]
pub fn set_preferences(
    prefs: State<'_, PreferenceFile>,
    preferences: Preferences,
) -> Result<Preferences> {
    prefs.set(preferences)
}
