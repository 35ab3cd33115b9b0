//! Types that cross the IPC edge. TypeScript twins are generated into ui/src/bindings
//! by ts-rs when the tests run; CI fails if the committed ones drift.

use hoist_core::profiles::ChecksumPreference;
use hoist_core::{ChecksumMode, EngineEvent};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What the queue channel carries to the UI.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
#[ts(export)]
pub enum QueueMessage {
    /// Events in the engine's order: those that arrived within a frame of each other.
    Events { events: Vec<EngineEvent> },
    /// Events were dropped (the UI fell behind): fetch `list_queue` again.
    Resync,
}

/// Where new uploads go now, as the header and settings show it.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct TargetSummary {
    /// `null` = the embedded local store.
    pub profile: Option<String>,
    /// `null` = AWS.
    pub endpoint: Option<String>,
    pub bucket: String,
    pub prefix: String,
    pub checksum: ChecksumMode,
}

/// A profile as the settings form sends it. The secret fields are write-only: the UI
/// never receives them back (`ProfileSummary` says only whether one is stored).
/// No `Debug`, so they cannot end up in a log.
#[derive(Deserialize, TS)]
#[ts(export)]
pub struct ProfileForm {
    pub name: String,
    /// The profile's name before this edit (a rename); `null` for a new profile.
    pub previous_name: Option<String>,
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub bucket: Option<String>,
    pub prefix: String,
    pub path_style: Option<bool>,
    pub checksum: ChecksumPreference,
    pub access_key_id: String,
    /// `null` or "" keeps the secret already in the keyring.
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
    #[ts(type = "number | null")]
    pub session_expires_at: Option<i64>,
}

/// "Move this AWS profile's keys into the keyring", as the user confirmed it.
#[derive(Debug, Deserialize, TS)]
#[ts(export)]
pub struct AwsImportForm {
    pub aws_profile: String,
    pub name: Option<String>,
    pub bucket: Option<String>,
    pub remove_plaintext: bool,
    /// Keep the credentials file's old contents as a private backup beside it.
    #[serde(default)]
    pub backup: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct LocalStoreInfo {
    pub endpoint: String,
    pub bucket: String,
    pub data_dir: String,
    /// Where links to its objects work and for how long, in words.
    pub links_note: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct AppSettings {
    /// `null` when no upload target can be built (e.g. the active profile has no
    /// bucket); `target_problem` says why.
    pub target: Option<TargetSummary>,
    pub target_problem: Option<String>,
    pub profiles_file: String,
    /// `null` when the embedded store could not start (the reason was reported).
    pub local_store: Option<LocalStoreInfo>,
    pub journal: String,
}

/// A watch's target and filters as the Watches tab sends them (with `root`, `prefix`
/// and `deleteRemote`, which are separate arguments).
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct WatchOptions {
    /// Where the files go: `null` = the embedded local store, else a profile's name.
    pub profile: Option<String>,
    /// `null` or "" = the profile's bucket (the local store has one).
    pub bucket: Option<String>,
    /// Only files matching these globs; empty = every file.
    pub include: Vec<String>,
    /// Files to skip; `null` = the default excludes (temporary and partial files).
    pub exclude: Option<Vec<String>>,
    /// The user confirmed watching the whole home folder.
    pub allow_home: bool,
}
