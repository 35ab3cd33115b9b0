//! The embedded local store: the default target, so a new user needs no account. It
//! listens on the same loopback port from run to run (saved beside its data), because
//! unfinished uploads in the journal name that endpoint; if the port is taken they are
//! moved to the new one.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use hoist_core::profiles::{LocalKeysOrigin, LocalStoreKeys};
use hoist_core::{CredentialResolver, ProfileCredentials, ProfileStore, UploadJournal};
use hoist_localstore::{LocalStore, LocalStoreConfig};

use crate::models::LocalStoreInfo;

/// The profile name targets use for the local store.
pub const LOCAL_PROFILE: &str = "hoist-local";
pub const LOCAL_BUCKET: &str = "hoist";

pub struct LocalRuntime {
    store: LocalStore,
    data_dir: PathBuf,
    keys_origin: LocalKeysOrigin,
}

impl LocalRuntime {
    pub fn endpoint(&self) -> String {
        self.store.endpoint()
    }

    pub fn info(&self) -> LocalStoreInfo {
        LocalStoreInfo {
            endpoint: self.endpoint(),
            bucket: LOCAL_BUCKET.into(),
            data_dir: self.data_dir.display().to_string(),
            links_note: links_note(&self.keys_origin),
        }
    }
}

/// What the user must know about links to local-store objects.
fn links_note(origin: &LocalKeysOrigin) -> String {
    const HERE: &str = "Links to local-store objects work on this computer only, while Hoist runs";
    match origin {
        LocalKeysOrigin::Kept | LocalKeysOrigin::Created => format!(
            "{HERE}; its keys are kept in the OS keyring, so links stay valid across restarts until they expire."
        ),
        LocalKeysOrigin::ThisRunOnly { reason } => format!(
            "{HERE}, and they end when Hoist quits: its keys could not be kept in the OS keyring ({reason})."
        ),
    }
}

fn port_file(data_dir: &Path) -> PathBuf {
    data_dir.join("port")
}

/// Starts the store on its saved port (or a free one), and moves unfinished uploads if
/// the port changed.
pub async fn start(
    data_dir: PathBuf,
    keys: &LocalStoreKeys,
    keys_origin: LocalKeysOrigin,
    journal: &UploadJournal,
) -> Result<LocalRuntime, String> {
    let saved: Option<u16> = std::fs::read_to_string(port_file(&data_dir))
        .ok()
        .and_then(|s| s.trim().parse().ok());
    let config = |port| LocalStoreConfig {
        data_dir: data_dir.clone(),
        addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        access_key: keys.access_key.clone(),
        secret_key: keys.secret_key().to_owned(),
        buckets: vec![LOCAL_BUCKET.into()],
        upload_expiry: hoist_localstore::DEFAULT_UPLOAD_EXPIRY,
    };
    let store = match saved {
        Some(port) => match LocalStore::start(config(port)).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!("local store port {port} unavailable ({e}); picking another");
                LocalStore::start(config(0))
                    .await
                    .map_err(|e| e.to_string())?
            }
        },
        None => LocalStore::start(config(0))
            .await
            .map_err(|e| e.to_string())?,
    };
    let port = store.addr().port();
    if let Some(old) = saved.filter(|p| *p != port) {
        let moved = journal
            .retarget_endpoint(&format!("http://127.0.0.1:{old}"), &store.endpoint())
            .map_err(|e| e.to_string())?;
        tracing::info!("moved {moved} unfinished uploads to the local store's new port {port}");
    }
    // Links made in earlier runs name the old port and were signed with the keys of
    // then: unless both are the same now, they no longer work and are forgotten.
    if let Some(old) = saved
        && (old != port || keys_origin != LocalKeysOrigin::Kept)
    {
        let dead = journal
            .forget_links_for_endpoint(&format!("http://127.0.0.1:{old}"))
            .map_err(|e| e.to_string())?;
        if dead > 0 {
            tracing::info!(
                "forgot {dead} local-store links that no longer work (new keys or port)"
            );
        }
    }
    hoist_core::fsutil::write_atomic(&port_file(&data_dir), port.to_string().as_bytes())
        .map_err(|e| e.to_string())?;
    Ok(LocalRuntime {
        store,
        data_dir,
        keys_origin,
    })
}

/// Credentials for targets: the local store's run keys for its profile; Hoist
/// profiles from the keyring; the AWS chain (environment, `~/.aws`) for the rest.
pub struct DesktopCredentials {
    local: SharedCredentialsProvider,
    profiles: ProfileCredentials,
}

impl DesktopCredentials {
    pub fn new(keys: &LocalStoreKeys, profiles: Arc<ProfileStore>) -> Arc<DesktopCredentials> {
        Arc::new(DesktopCredentials {
            profiles: ProfileCredentials::new(profiles),
            local: SharedCredentialsProvider::new(Credentials::new(
                keys.access_key.clone(),
                keys.secret_key().to_owned(),
                None,
                None,
                LOCAL_PROFILE,
            )),
        })
    }
}

impl CredentialResolver for DesktopCredentials {
    fn resolve(
        &self,
        profile: Option<&str>,
    ) -> hoist_core::Result<Option<SharedCredentialsProvider>> {
        match profile {
            Some(LOCAL_PROFILE) => Ok(Some(self.local.clone())),
            other => self.profiles.resolve(other),
        }
    }
}
