//! The Browser's multi-select actions (delete, move, rename, new folder, copy links)
//! and "drop files on the Browser": argument checks and translation only; the work is
//! hoist-core's (`objects::selection`, `objects::share`).

use hoist_core::objects::manage::{BulkSummary, CopySettings};
use hoist_core::objects::selection;
use hoist_core::objects::share;
use tauri::{AppHandle, State};
use tauri_plugin_clipboard_manager::ClipboardExt;

use crate::error::{Result, invalid};
use crate::state::Desktop;

/// Links copied at once from a selection.
const MAX_LINKS: usize = 100;

fn check_keys(keys: &[String]) -> Result<()> {
    if keys.is_empty() || keys.len() > selection::MAX_SELECTION {
        return Err(invalid(format!(
            "select 1 to {} entries",
            selection::MAX_SELECTION
        )));
    }
    if keys
        .iter()
        .any(|k| k.is_empty() || k.len() > 1024 || k.contains('\0'))
    {
        return Err(invalid("a selected entry is not an object key"));
    }
    Ok(())
}

fn check_prefix(p: &str) -> Result<()> {
    if p.len() > 1024 || p.contains('\0') {
        return Err(invalid(format!("{p:?} is not a folder")));
    }
    Ok(())
}

/// Deletes the selected objects and folders (the UI asked once, with the count).
#[tauri::command]
pub async fn delete_selection(state: State<'_, Desktop>, keys: Vec<String>) -> Result<BulkSummary> {
    check_keys(&keys)?;
    let a = state.browse_access()?;
    Ok(selection::delete(a.client(), a.bucket(), &keys, None).await?)
}

/// Moves the selection into folder `dest` ("" = the top of the bucket).
#[tauri::command]
pub async fn move_selection(
    state: State<'_, Desktop>,
    keys: Vec<String>,
    dest: String,
) -> Result<BulkSummary> {
    check_keys(&keys)?;
    check_prefix(&dest)?;
    let a = state.browse_access()?;
    Ok(selection::move_into(
        a.client(),
        a.bucket(),
        &keys,
        &dest,
        &CopySettings::default(),
        None,
    )
    .await?)
}

#[tauri::command]
pub async fn rename_entry(
    state: State<'_, Desktop>,
    from: String,
    to: String,
) -> Result<BulkSummary> {
    check_keys(&[from.clone(), to.clone()])?;
    let a = state.browse_access()?;
    Ok(selection::rename(
        a.client(),
        a.bucket(),
        &from,
        &to,
        &CopySettings::default(),
        None,
    )
    .await?)
}

/// Makes folder `name` in `parent`; returns its prefix.
#[tauri::command]
pub async fn new_folder(state: State<'_, Desktop>, parent: String, name: String) -> Result<String> {
    check_prefix(&parent)?;
    if name.len() > 255 {
        return Err(invalid("the folder name is too long"));
    }
    let a = state.browse_access()?;
    Ok(selection::new_folder(a.client(), a.bucket(), &parent, &name).await?)
}

/// Share links for the selected objects, one a line on the clipboard (Rust writes
/// it); each is recorded in the link history. Returns how many were copied.
#[tauri::command]
pub async fn copy_links(
    app: AppHandle,
    state: State<'_, Desktop>,
    keys: Vec<String>,
    expires_secs: u64,
) -> Result<usize> {
    check_keys(&keys)?;
    if keys.len() > MAX_LINKS || keys.iter().any(|k| k.ends_with('/')) {
        return Err(invalid(format!(
            "links are made for up to {MAX_LINKS} objects (not folders) at once"
        )));
    }
    let expires = std::time::Duration::from_secs(expires_secs);
    share::validate_expiry(expires)?;
    let a = state.browse_access()?;
    let mut urls = Vec::with_capacity(keys.len());
    for k in &keys {
        let link = share::share_link(&a, k, expires, None).await?;
        urls.push(state.engine.journal().record_link(&link)?.url);
    }
    app.clipboard()
        .write_text(urls.join("\n"))
        .map_err(|e| invalid(format!("the clipboard refused the links: {e}")))?;
    Ok(urls.len())
}

/// Where files dropped on the window go while the Browser is shown: the folder it
/// shows (`null`: the queue's usual destination again).
#[tauri::command]
pub fn browse_drop_into(state: State<'_, Desktop>, prefix: Option<String>) -> Result<()> {
    if let Some(p) = &prefix {
        check_prefix(p)?;
    }
    state.set_drop_folder(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selections_and_folders_are_checked() {
        assert!(check_keys(&[]).is_err());
        assert!(check_keys(&["a\0".into()]).is_err());
        assert!(check_keys(&["a".into(), "b/".into()]).is_ok());
        assert!(check_prefix(&"p".repeat(1025)).is_err());
        assert!(check_prefix("photos/").is_ok());
    }
}
