//! Start at login (tauri-plugin-autostart, off by default): the login entry runs
//! Hoist with `--hidden`, so it starts in the tray without a window. The page gets
//! only these two commands, none of the plugin's.

use tauri::{AppHandle, Manager};
use tauri_plugin_autostart::ManagerExt;

use crate::error::{Result, invalid};

/// The argument the login entry passes: no window, tray only.
pub const HIDDEN_ARG: &str = "--hidden";

pub fn plugin<R: tauri::Runtime>() -> tauri::plugin::TauriPlugin<R> {
    tauri_plugin_autostart::Builder::new()
        .arg(HIDDEN_ARG)
        .build()
}

/// Whether this start came from the login entry (or was asked to stay hidden).
pub fn started_hidden(args: impl IntoIterator<Item = String>) -> bool {
    args.into_iter().skip(1).any(|a| a == HIDDEN_ARG)
}

/// Hides the main window when started with `--hidden`.
pub fn hide_if_asked(app: &AppHandle) {
    if started_hidden(std::env::args())
        && let Some(w) = app.get_webview_window("main")
    {
        let _ = w.hide();
        tracing::info!("started at login: in the tray, no window");
    }
}

#[tauri::command]
pub async fn get_autostart(app: AppHandle) -> Result<bool> {
    app.autolaunch()
        .is_enabled()
        .map_err(|e| invalid(format!("whether Hoist starts at login cannot be read: {e}")))
}

#[tauri::command]
pub async fn set_autostart(app: AppHandle, enabled: bool) -> Result<bool> {
    let manager = app.autolaunch();
    let done = if enabled {
        manager.enable()
    } else {
        manager.disable()
    };
    done.map_err(|e| invalid(format!("starting at login could not be changed: {e}")))?;
    tracing::info!("start at login: {enabled}");
    get_autostart(app).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_the_hidden_argument_hides_the_window() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(super::started_hidden(args(&["hoist-desktop", "--hidden"])));
        assert!(!super::started_hidden(args(&["hoist-desktop"])));
        assert!(
            !super::started_hidden(args(&["--hidden"])),
            "the program name is not an argument"
        );
    }
}
