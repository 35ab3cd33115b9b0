//! Where local paths come from: the native file and folder dialogs, opened by Rust,
//! and the native drop event, received by Rust. The page asks for a dialog and gets
//! back what was queued (or the folder picked to watch); it never hands Rust a path
//! of its own choosing (see `chosen`).

use std::path::PathBuf;

use hoist_core::profiles::Destination;
use tauri::{AppHandle, DragDropEvent, Emitter, Manager, State, WebviewWindow, WindowEvent};
use tauri_plugin_dialog::{DialogExt, FileDialogBuilder, FilePath};

use crate::adds::AddOutcome;
use crate::error::{Result, invalid};
use crate::state::Desktop;

/// The dialog as a future: the plugin answers in a callback.
async fn ask<T: Send + 'static>(
    dialog: FileDialogBuilder<tauri::Wry>,
    open: impl FnOnce(FileDialogBuilder<tauri::Wry>, tokio::sync::oneshot::Sender<T>),
) -> Result<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    open(dialog, tx);
    rx.await
        .map_err(|_| invalid("the file dialog closed without an answer"))
}

fn dialog(window: &WebviewWindow, title: &str) -> FileDialogBuilder<tauri::Wry> {
    window.dialog().file().set_title(title).set_parent(window)
}

fn to_paths(picked: Option<Vec<FilePath>>) -> Result<Vec<PathBuf>> {
    picked
        .unwrap_or_default()
        .into_iter()
        .map(|f| {
            f.into_path()
                .map_err(|e| invalid(format!("the dialog returned no local path: {e}")))
        })
        .collect()
}

/// Queues what a dialog returned (nothing if it was cancelled).
async fn queue_picked(
    state: &Desktop,
    picked: Option<Vec<FilePath>>,
    destination: Option<Destination>,
) -> Result<AddOutcome> {
    let paths = to_paths(picked)?;
    if paths.is_empty() {
        return Ok(AddOutcome {
            ids: Vec::new(),
            pending: None,
        });
    }
    state.add_chosen(paths, destination).await
}

/// "Add files": the native dialog; the chosen files are queued at `destination`
/// (`null` = the current one). Nothing if cancelled.
#[tauri::command]
pub async fn pick_files(
    window: WebviewWindow,
    state: State<'_, Desktop>,
    destination: Option<Destination>,
) -> Result<AddOutcome> {
    if let Some(d) = &destination {
        state.target_of(d.clone())?;
    }
    let picked = ask(dialog(&window, "Add files to upload"), |d, tx| {
        d.pick_files(move |f| {
            let _ = tx.send(f);
        })
    })
    .await?;
    queue_picked(&state, picked, destination).await
}

/// "Add folder": the native dialog; the chosen folders are queued at `destination`.
#[tauri::command]
pub async fn pick_folders(
    window: WebviewWindow,
    state: State<'_, Desktop>,
    destination: Option<Destination>,
) -> Result<AddOutcome> {
    if let Some(d) = &destination {
        state.target_of(d.clone())?;
    }
    let picked = ask(dialog(&window, "Add folders to upload"), |d, tx| {
        d.pick_folders(move |f| {
            let _ = tx.send(f);
        })
    })
    .await?;
    queue_picked(&state, picked, destination).await
}

/// "Watch a folder": the native dialog; the folder is returned for the form and may
/// be passed to `watch_add` once. `null` if cancelled.
#[tauri::command]
pub async fn pick_watch_folder(
    window: WebviewWindow,
    state: State<'_, Desktop>,
) -> Result<Option<String>> {
    let picked = ask(dialog(&window, "Folder to watch"), |d, tx| {
        d.pick_folder(move |f| {
            let _ = tx.send(f);
        })
    })
    .await?;
    let Some(folder) = to_paths(picked.map(|f| vec![f]))?.into_iter().next() else {
        return Ok(None);
    };
    let shown = folder.to_str().map(str::to_owned).ok_or_else(|| {
        invalid(format!(
            "{} is not a UTF-8 path; Hoist cannot watch it",
            folder.display()
        ))
    })?;
    state.grant_watch_folder(folder);
    Ok(Some(shown))
}

/// Files dropped on the window: queued by Rust at the current destination (the one
/// the overlay names), then the page hears `files-added` (an AddOutcome: the new ids,
/// or a batch waiting for the conflict dialog) or `add-failed` (an ErrorReport). The page's own drop listener only
/// shows and hides the overlay.
pub fn on_window_event(window: &tauri::Window, event: &WindowEvent) {
    let WindowEvent::DragDrop(DragDropEvent::Drop { paths, .. }) = event else {
        return;
    };
    if paths.is_empty() || window.label() != "main" {
        return;
    }
    let app: AppHandle = window.app_handle().clone();
    let paths = paths.clone();
    tauri::async_runtime::spawn(async move {
        let Some(desktop) = app.try_state::<Desktop>() else {
            return;
        };
        let _ = match desktop.add_dropped(paths).await {
            Ok(outcome) => app.emit("files-added", outcome),
            Err(e) => app.emit("add-failed", e.report()),
        };
    });
}
