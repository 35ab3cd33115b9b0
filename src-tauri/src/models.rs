//! Types that cross the IPC edge. TypeScript twins are generated into ui/src/bindings
//! by ts-rs when the tests run; CI fails if the committed ones drift.

use hoist_core::{ChecksumMode, EngineEvent};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What the queue channel carries to the UI.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
#[ts(export)]
pub enum QueueMessage {
    Event {
        event: EngineEvent,
    },
    /// Events were dropped (the UI fell behind): fetch `list_queue` again.
    Resync,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum TargetKind {
    /// The embedded store on 127.0.0.1 (no account needed).
    Local,
    /// Any S3 endpoint; credentials from the AWS environment or `~/.aws` profiles.
    Custom,
}

/// Where new uploads go. Holds no secrets: credentials come from the resolver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct TargetSettings {
    pub kind: TargetKind,
    /// Custom endpoint URL; `null` = AWS.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub bucket: String,
    #[serde(default)]
    pub prefix: String,
    /// `null` = automatic (path-style for IP and localhost endpoints).
    pub path_style: Option<bool>,
    pub checksum: ChecksumMode,
    /// Profile in `~/.aws/credentials`; `null` = environment / default chain.
    pub aws_profile: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct LocalStoreInfo {
    pub endpoint: String,
    pub bucket: String,
    pub data_dir: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct AppSettings {
    pub target: TargetSettings,
    /// `null` when the embedded store could not start (the reason was reported).
    pub local_store: Option<LocalStoreInfo>,
    pub journal: String,
}
