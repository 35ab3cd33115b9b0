//! Settings → Transfers: bandwidth cap, parts in flight, pause on metered, schedule.
//! Kept in `transfer-settings.json` in the app's config folder and applied to the
//! running engine at once; the rules themselves are hoist-core's (`transfer::gate`).

use std::path::{Path, PathBuf};

use hoist_core::{TransferSettings, WaitReason};
use serde::Serialize;
use tauri::State;

use crate::error::{Result, invalid};
use crate::state::Desktop;
use crate::system_bus::SharedFacts;

/// What Settings shows: the settings, and what the machine and queue say now.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct TransferStatus {
    pub settings: TransferSettings,
    /// Parts in flight now (the engine's default when none is chosen).
    pub concurrency_now: u32,
    /// NetworkManager answered: without it "pause on metered" does nothing.
    pub network_manager: bool,
    pub metered: Option<bool>,
    /// Why the queue holds now, in words (`null`: it sends).
    pub held: Option<String>,
    pub held_reason: Option<WaitReason>,
}

pub struct TransferFile {
    path: PathBuf,
    current: std::sync::Mutex<TransferSettings>,
}

impl TransferFile {
    /// A missing or unreadable file means the defaults (no limit, no rules).
    pub fn open(dir: &Path) -> TransferFile {
        let path = dir.join("transfer-settings.json");
        let current = std::fs::read(&path)
            .ok()
            .and_then(|b| match serde_json::from_slice::<TransferSettings>(&b) {
                Ok(s) if s.validate().is_ok() => Some(s),
                _ => {
                    tracing::warn!("{}: not valid; using the defaults", path.display());
                    None
                }
            })
            .unwrap_or_default();
        TransferFile {
            path,
            current: std::sync::Mutex::new(current),
        }
    }

    pub fn get(&self) -> TransferSettings {
        self.current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn set(&self, s: TransferSettings) -> Result<()> {
        let json = serde_json::to_vec_pretty(&s).expect("settings serialise");
        hoist_core::fsutil::write_atomic(&self.path, &json)
            .map_err(|e| invalid(format!("the transfer settings could not be saved: {e}")))?;
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) = s;
        Ok(())
    }
}

/// Largest bandwidth cap a user may type: 100 GB/s (beyond is "unlimited").
const MAX_RATE: u64 = 100_000_000_000;

fn status(desktop: &Desktop, file: &TransferFile, facts: &SharedFacts) -> TransferStatus {
    let f = *facts.lock().unwrap_or_else(|p| p.into_inner());
    let held = desktop.engine.held();
    TransferStatus {
        settings: file.get(),
        concurrency_now: desktop.engine.concurrency() as u32,
        network_manager: f.available,
        metered: f.metered,
        held: held.as_ref().map(WaitReason::words),
        held_reason: held,
    }
}

#[tauri::command]
pub fn get_transfer_settings(
    desktop: State<'_, Desktop>,
    file: State<'_, TransferFile>,
    facts: State<'_, SharedFacts>,
) -> TransferStatus {
    status(&desktop, &file, &facts)
}

/// Checks, applies to the running engine at once, then keeps the settings.
#[tauri::command]
pub fn set_transfer_settings(
    desktop: State<'_, Desktop>,
    file: State<'_, TransferFile>,
    facts: State<'_, SharedFacts>,
    settings: TransferSettings,
) -> Result<TransferStatus> {
    if settings.rate_limit.is_some_and(|r| r == 0 || r > MAX_RATE) {
        return Err(invalid(
            "the bandwidth limit must be more than 0 and at most 100 GB/s (leave it empty for no limit)",
        ));
    }
    if let Some(w) = &settings.schedule
        && (w.start.len() > 8 || w.end.len() > 8)
    {
        return Err(invalid("write the schedule times as HH:MM"));
    }
    desktop.engine.apply_transfer_settings(&settings)?;
    file.set(settings)?;
    Ok(status(&desktop, &file, &facts))
}
