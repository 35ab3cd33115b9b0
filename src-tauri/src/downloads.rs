//! Browser downloads to a place the user picks (a native save dialog, opened by Rust;
//! GTK's dialog asks before replacing a file, and the bytes land through a temporary
//! file renamed at the end), with progress events; an object's versions.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hoist_core::objects::browse;
use serde::Serialize;
use tauri::{AppHandle, Emitter, State, WebviewWindow};
use tauri_plugin_dialog::DialogExt;
use tokio_util::sync::CancellationToken;

use crate::error::{Result, invalid};
use crate::state::Desktop;

/// Downloads running now, by key, so "Cancel" can stop one.
#[derive(Default)]
pub struct ActiveDownloads(Mutex<HashMap<String, CancellationToken>>);

impl ActiveDownloads {
    fn start(&self, key: &str) -> Result<CancellationToken> {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if map.contains_key(key) {
            return Err(invalid(format!("{key} is being downloaded already")));
        }
        let token = CancellationToken::new();
        map.insert(key.to_owned(), token.clone());
        Ok(token)
    }

    fn end(&self, key: &str) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
    }

    fn cancel(&self, key: &str) -> bool {
        match self.0.lock().unwrap_or_else(|p| p.into_inner()).get(key) {
            Some(t) => {
                t.cancel();
                true
            }
            None => false,
        }
    }
}

/// Stops a running "Download…" of `key`: nothing is left at the chosen path.
/// `false` when no download of it runs.
#[tauri::command]
pub fn cancel_download(active: State<'_, ActiveDownloads>, key: String) -> bool {
    active.cancel(&key)
}

#[derive(Clone, Serialize)]
struct DownloadProgress<'a> {
    key: &'a str,
    done: u64,
    total: Option<u64>,
}

fn file_name(key: &str) -> Result<&str> {
    key.rsplit('/')
        .next()
        .filter(|n| !n.is_empty() && *n != "." && *n != "..")
        .ok_or_else(|| invalid(format!("{key:?} has no file name")))
}

/// "Download…": the save dialog (GTK confirms a replacement), then the object is
/// streamed there with `download-progress` events. `null` when the user cancelled,
/// in the dialog or later with `cancel_download`.
#[tauri::command]
pub async fn download_object_as(
    app: AppHandle,
    window: WebviewWindow,
    state: State<'_, Desktop>,
    active: State<'_, ActiveDownloads>,
    key: String,
) -> Result<Option<String>> {
    check_key(&key)?;
    let Some(dest) = ask_where(&window, "Save the object as", file_name(&key)?).await? else {
        return Ok(None);
    };
    let a = state.browse_access()?;
    let last = std::sync::Mutex::new(Instant::now() - Duration::from_secs(1));
    let cancel = active.start(&key)?;
    let done = browse::download_cancellable(
        &a,
        &key,
        &dest,
        |done, total| {
            let mut last = last.lock().unwrap_or_else(|p| p.into_inner());
            if last.elapsed() >= Duration::from_millis(200) || Some(done) == total {
                *last = Instant::now();
                let _ = app.emit(
                    "download-progress",
                    DownloadProgress {
                        key: &key,
                        done,
                        total,
                    },
                );
            }
        },
        &cancel,
    )
    .await;
    active.end(&key);
    match done {
        Ok(_) => Ok(Some(dest.display().to_string())),
        Err(hoist_core::HoistError::Cancelled) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_download_needs_a_file_name() {
        assert_eq!(file_name("a/b.txt").unwrap(), "b.txt");
        assert!(file_name("a/").is_err());
        assert!(file_name("a/..").is_err());
    }
}

/// An object's versions, newest first (buckets with versioning on).
#[tauri::command]
pub async fn object_versions(
    state: State<'_, Desktop>,
    key: String,
) -> Result<Vec<hoist_core::objects::versions::VersionEntry>> {
    check_key(&key)?;
    let a = state.browse_access()?;
    Ok(hoist_core::objects::versions::list_versions(a.client(), a.bucket(), &key).await?)
}

/// Makes an older version current again (the UI confirms first).
#[tauri::command]
pub async fn restore_version(
    state: State<'_, Desktop>,
    key: String,
    version_id: String,
) -> Result<()> {
    check_key(&key)?;
    check_version(&version_id)?;
    let a = state.browse_access()?;
    hoist_core::objects::versions::restore(a.client(), a.bucket(), &key, &version_id).await?;
    Ok(())
}

/// Saves one version where the user picks (save dialog); `null` when cancelled.
#[tauri::command]
pub async fn download_version_as(
    window: WebviewWindow,
    state: State<'_, Desktop>,
    key: String,
    version_id: String,
) -> Result<Option<String>> {
    check_key(&key)?;
    check_version(&version_id)?;
    let Some(dest) = ask_where(&window, "Save this version as", file_name(&key)?).await? else {
        return Ok(None);
    };
    let a = state.browse_access()?;
    hoist_core::objects::versions::download_version(
        a.client(),
        a.bucket(),
        &key,
        &version_id,
        &dest,
    )
    .await?;
    Ok(Some(dest.display().to_string()))
}

/// The native save dialog (GTK asks before replacing a file); `None` when cancelled.
async fn ask_where(
    window: &WebviewWindow,
    title: &str,
    name: &str,
) -> Result<Option<std::path::PathBuf>> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    window
        .dialog()
        .file()
        .set_title(title)
        .set_file_name(name)
        .set_parent(window)
        .save_file(move |p| {
            let _ = tx.send(p);
        });
    let Some(picked) = rx
        .await
        .map_err(|_| invalid("the save dialog closed without an answer"))?
    else {
        return Ok(None);
    };
    picked
        .into_path()
        .map(Some)
        .map_err(|e| invalid(format!("the dialog returned no local path: {e}")))
}

fn check_key(key: &str) -> Result<()> {
    if key.is_empty() || key.len() > 1024 || key.contains('\0') {
        return Err(invalid(format!("{key:?} is not an object key")));
    }
    Ok(())
}

fn check_version(v: &str) -> Result<()> {
    if v.is_empty() || v.len() > 1024 || v.chars().any(char::is_control) {
        return Err(invalid(format!("{v:?} is not a version id")));
    }
    Ok(())
}
