//! The desktop shell's one error, sent to the UI as `{code, message}` (the engine's
//! ErrorReport shape, so the UI handles one kind of error).

use hoist_core::{ErrorCode, ErrorReport, HoistError};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum DesktopError {
    #[error(transparent)]
    Engine(#[from] HoistError),
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error("the embedded local store is not running: {0}")]
    LocalStoreDown(String),
}

impl DesktopError {
    pub fn report(&self) -> ErrorReport {
        match self {
            DesktopError::Engine(e) => e.to_report(),
            DesktopError::InvalidInput(_) => ErrorReport {
                code: ErrorCode::InvalidInput,
                message: self.to_string(),
            },
            DesktopError::LocalStoreDown(_) => ErrorReport {
                code: ErrorCode::Network,
                message: self.to_string(),
            },
        }
    }
}

impl Serialize for DesktopError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.report().serialize(s)
    }
}

pub type Result<T, E = DesktopError> = std::result::Result<T, E>;

pub fn invalid(message: impl Into<String>) -> DesktopError {
    DesktopError::InvalidInput(message.into())
}
