//! Closing the window is not quitting: while uploads are queued or running, or a
//! folder is watched, the window hides to the tray and the work goes on. "Quit" in the
//! tray really quits (after a clean engine stop). The user's choice is kept in
//! `preferences.json` in the app's config folder (no secret in it).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, Window, WindowEvent};
use tauri_plugin_notification::NotificationExt;

use crate::error::{Result, invalid};
use crate::state::Desktop;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Preferences {
    /// Closing the window hides it to the tray while there is work (default on).
    #[serde(default = "yes")]
    pub keep_in_tray: bool,
}

fn yes() -> bool {
    true
}

impl Default for Preferences {
    fn default() -> Self {
        Preferences { keep_in_tray: true }
    }
}

/// Where the app keeps its preferences, and the last ones read or saved.
pub struct PreferenceFile {
    path: PathBuf,
    current: std::sync::Mutex<Preferences>,
}

impl PreferenceFile {
    /// Reads `dir/preferences.json`; a missing or unreadable file means the defaults
    /// (an unreadable one is reported and replaced at the next save).
    pub fn open(dir: &Path) -> PreferenceFile {
        let path = dir.join("preferences.json");
        let current = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::warn!("{}: {e}; using the defaults", path.display());
                Preferences::default()
            }),
            Err(_) => Preferences::default(),
        };
        PreferenceFile {
            path,
            current: std::sync::Mutex::new(current),
        }
    }

    pub fn get(&self) -> Preferences {
        *self.current.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn set(&self, prefs: Preferences) -> Result<Preferences> {
        let json = serde_json::to_vec_pretty(&prefs).expect("preferences serialise");
        hoist_core::fsutil::write_atomic(&self.path, &json)
            .map_err(|e| invalid(format!("the preferences could not be saved: {e}")))?;
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) = prefs;
        Ok(prefs)
    }
}

/// Whether a close request only hides the window.
pub fn hide_on_close(prefs: Preferences, busy: bool) -> bool {
    prefs.keep_in_tray && busy
}

/// The main window's close button: hide to the tray while there is work, and say so
/// once per run (the user may think Hoist quit).
pub fn on_window_event(window: &Window, event: &WindowEvent) {
    let WindowEvent::CloseRequested { api, .. } = event else {
        return;
    };
    let app = window.app_handle();
    let (Some(desktop), Some(prefs)) = (
        app.try_state::<Desktop>(),
        app.try_state::<PreferenceFile>(),
    ) else {
        return;
    };
    let busy = tauri::async_runtime::block_on(desktop.busy());
    if !hide_on_close(prefs.get(), busy) {
        return; // the last window closes: the app exits, stopping the engine cleanly
    }
    api.prevent_close();
    let _ = window.hide();
    tracing::info!("window hidden to the tray: uploads or watches are running");
    notify_once(app);
}

fn notify_once(app: &AppHandle) {
    static SHOWN: std::sync::Once = std::sync::Once::new();
    SHOWN.call_once(|| {
        let shown = app
            .notification()
            .builder()
            .title("Hoist keeps running")
            .body("Uploads and watched folders go on in the background. Quit from the tray icon.")
            .show();
        if let Err(e) = shown {
            tracing::info!("notification not shown: {e}");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_hides_only_with_work_and_the_preference_on() {
        let on = Preferences { keep_in_tray: true };
        let off = Preferences {
            keep_in_tray: false,
        };
        assert!(hide_on_close(on, true));
        assert!(!hide_on_close(on, false), "nothing to do: close quits");
        assert!(!hide_on_close(off, true), "the user chose to quit on close");
    }

    #[test]
    fn preferences_default_on_and_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let file = PreferenceFile::open(dir.path());
        assert!(file.get().keep_in_tray, "on by default");
        file.set(Preferences {
            keep_in_tray: false,
        })
        .unwrap();
        assert!(!PreferenceFile::open(dir.path()).get().keep_in_tray);
        std::fs::write(dir.path().join("preferences.json"), b"{not json").unwrap();
        assert!(PreferenceFile::open(dir.path()).get().keep_in_tray);
    }
}
