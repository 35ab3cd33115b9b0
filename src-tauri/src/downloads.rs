//! Browser downloads to a place the user picks (a native save dialog, opened by Rust;
//! GTK's dialog asks before replacing a file, and the bytes land through a temporary
//! file renamed at the end), with progress events; an object's versions.

use std::time::{Duration, Instant};

use hoist_core::objects::browse;
use serde::Serialize;
use tauri::{AppHandle, Emitter, State, WebviewWindow};
use tauri_plugin_dialog::DialogExt;

use crate::error::{Result, invalid};
use crate::state::Desktop;

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
/// streamed there with `download-progress` events. `null` when the user cancelled.
#[tauri::command]
pub async fn download_object_as(
    app: AppHandle,
    window: WebviewWindow,
    state: State<'_, Desktop>,
    key: String,
) -> Result<Option<String>> {
    if key.is_empty() || key.len() > 1024 || key.contains('\0') {
        return Err(invalid(format!("{key:?} is not an object key")));
    }
    let name = file_name(&key)?.to_owned();
    let (tx, rx) = tokio::sync::oneshot::channel();
    window
        .dialog()
        .file()
        .set_title("Save the object as")
        .set_file_name(&name)
        .set_parent(&window)
        .save_file(move |p| {
            let _ = tx.send(p);
        });
    let Some(picked) = rx
        .await
        .map_err(|_| invalid("the save dialog closed without an answer"))?
    else {
        return Ok(None);
    };
    let dest = picked
        .into_path()
        .map_err(|e| invalid(format!("the dialog returned no local path: {e}")))?;
    let a = state.browse_access()?;
    let last = std::sync::Mutex::new(Instant::now() - Duration::from_secs(1));
    browse::download_with_progress(&a, &key, &dest, |done, total| {
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
    })
    .await?;
    Ok(Some(dest.display().to_string()))
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
    let name = file_name(&key)?.to_owned();
    let (tx, rx) = tokio::sync::oneshot::channel();
    window
        .dialog()
        .file()
        .set_title("Save this version as")
        .set_file_name(&name)
        .set_parent(&window)
        .save_file(move |p| {
            let _ = tx.send(p);
        });
    let Some(picked) = rx
        .await
        .map_err(|_| invalid("the save dialog closed without an answer"))?
    else {
        return Ok(None);
    };
    let dest = picked
        .into_path()
        .map_err(|e| invalid(format!("the dialog returned no local path: {e}")))?;
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
