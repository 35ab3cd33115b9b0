//! The embedded local store: the default target, so a new user needs no account. It
//! listens on the same loopback port from run to run (saved beside its data), because
//! unfinished uploads in the journal name that endpoint; if the port is taken they are
//! moved to the new one.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use hoist_core::{CredentialResolver, ProfileCredentials, ProfileStore, UploadJournal};
use hoist_localstore::{LocalStore, LocalStoreConfig};

use crate::models::LocalStoreInfo;

/// The profile name targets use for the local store.
pub const LOCAL_PROFILE: &str = "hoist-local";
pub const LOCAL_BUCKET: &str = "hoist";

pub struct LocalRuntime {
    store: LocalStore,
    data_dir: PathBuf,
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
        }
    }
}

/// Keys for this run only: they live in memory, never on disk, and the store is
/// reachable from this machine alone. They come from the OS's CSPRNG: another local
/// user who could guess them could read every object through the store.
pub struct LocalKeys {
    access_key: String,
    secret_key: String,
}

/// `n` letters and digits from the OS's CSPRNG, without modulo bias.
fn random_token(n: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(n);
    let mut buf = [0u8; 64];
    while out.len() < n {
        getrandom::fill(&mut buf).expect("the OS random number generator works");
        // 248 = 4 * 62: bytes above it would favour the first letters.
        for b in buf.iter().filter(|b| **b < 248) {
            if out.len() < n {
                out.push(ALPHABET[(*b % 62) as usize] as char);
            }
        }
    }
    out
}

impl LocalKeys {
    pub fn generate() -> LocalKeys {
        LocalKeys {
            access_key: format!("HOISTLOCAL{}", random_token(10).to_uppercase()),
            secret_key: random_token(40),
        }
    }
}

fn port_file(data_dir: &Path) -> PathBuf {
    data_dir.join("port")
}

/// Starts the store on its saved port (or a free one), and moves unfinished uploads if
/// the port changed.
pub async fn start(
    data_dir: PathBuf,
    keys: &LocalKeys,
    journal: &UploadJournal,
) -> Result<LocalRuntime, String> {
    let saved: Option<u16> = std::fs::read_to_string(port_file(&data_dir))
        .ok()
        .and_then(|s| s.trim().parse().ok());
    let config = |port| LocalStoreConfig {
        data_dir: data_dir.clone(),
        addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        access_key: keys.access_key.clone(),
        secret_key: keys.secret_key.clone(),
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
    hoist_core::fsutil::write_atomic(&port_file(&data_dir), port.to_string().as_bytes())
        .map_err(|e| e.to_string())?;
    Ok(LocalRuntime { store, data_dir })
}

/// Credentials for targets: the local store's run keys for its profile; Hoist
/// profiles from the keyring; the AWS chain (environment, `~/.aws`) for the rest.
pub struct DesktopCredentials {
    local: SharedCredentialsProvider,
    profiles: ProfileCredentials,
}

impl DesktopCredentials {
    pub fn new(keys: &LocalKeys, profiles: Arc<ProfileStore>) -> Arc<DesktopCredentials> {
        Arc::new(DesktopCredentials {
            profiles: ProfileCredentials::new(profiles),
            local: SharedCredentialsProvider::new(Credentials::new(
                keys.access_key.clone(),
                keys.secret_key.clone(),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The run keys guard every object in the local store: they come from the OS's
    /// CSPRNG, not from a PRNG that anything in the process can seed or predict.
    #[test]
    fn run_keys_do_not_come_from_a_seedable_prng() {
        fastrand::seed(7);
        let a = LocalKeys::generate();
        fastrand::seed(7);
        let b = LocalKeys::generate();
        assert_ne!(a.secret_key, b.secret_key);
        assert_ne!(a.access_key, b.access_key);
        assert_eq!(a.secret_key.len(), 40);
        assert!(a.secret_key.chars().all(|c| c.is_ascii_alphanumeric()));
        assert!(a.access_key.starts_with("HOISTLOCAL"));
    }
}
