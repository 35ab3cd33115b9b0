//! The embedded local store's access keys. They are made once, from the OS's CSPRNG,
//! and kept in the OS keyring beside the profiles' secrets, so a share link made
//! against the local store yesterday still works today (while Hoist runs). Without a
//! keyring they live for one run only, and the shells say so: Hoist never writes a
//! secret to a file.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::vault::SecretVault;
use crate::error::{HoistError, Result};

/// The keyring entry's user: the reserved profile name of the local store, which no
/// user profile can take (see `RESERVED_PROFILE_NAMES`).
const KEYRING_USER: &str = "hoist-local";

/// The local store's key pair. `Debug` never shows the secret.
#[derive(Clone)]
pub struct LocalStoreKeys {
    pub access_key: String,
    secret_key: SecretString,
}

impl std::fmt::Debug for LocalStoreKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalStoreKeys")
            .field("access_key", &self.access_key)
            .field("secret_key", &"[redacted]")
            .finish()
    }
}

/// Where this run's keys came from, for the shells to tell the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalKeysOrigin {
    /// Found in the keyring: links made before still work.
    Kept,
    /// Made now and saved in the keyring (first start, or the entry was unreadable).
    Created,
    /// The keyring could not be used: these keys end with this run, and so do links.
    ThisRunOnly { reason: String },
}

#[derive(Serialize, Deserialize)]
struct StoredKeys {
    access_key: String,
    secret_key: String,
}

impl Drop for StoredKeys {
    fn drop(&mut self) {
        use secrecy::zeroize::Zeroize;
        self.secret_key.zeroize();
    }
}

/// `n` letters and digits from the OS's CSPRNG, without modulo bias. Anyone who could
/// guess them could read every object in the local store.
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

impl LocalStoreKeys {
    pub fn generate() -> LocalStoreKeys {
        LocalStoreKeys {
            access_key: format!("HOISTLOCAL{}", random_token(10).to_uppercase()),
            secret_key: SecretString::from(random_token(40)),
        }
    }

    pub fn secret_key(&self) -> &str {
        self.secret_key.expose_secret()
    }

    /// The keys kept in `vault`, or new ones saved there. A keyring that cannot be
    /// reached gives keys for this run only (never an error: the local store must
    /// start); an entry that is not Hoist's is replaced.
    pub fn load_or_create(vault: &SecretVault) -> (LocalStoreKeys, LocalKeysOrigin) {
        match Self::load(vault) {
            Ok(Some(keys)) => return (keys, LocalKeysOrigin::Kept),
            Ok(None) => {}
            Err(e) => {
                if let HoistError::Keyring(reason) = &e
                    && !reason.contains("not in Hoist's format")
                {
                    return (
                        Self::generate(),
                        LocalKeysOrigin::ThisRunOnly {
                            reason: reason.clone(),
                        },
                    );
                }
                tracing::warn!("the local store's keyring entry is unreadable; making new keys");
            }
        }
        let keys = Self::generate();
        match keys.save(vault) {
            Ok(()) => (keys, LocalKeysOrigin::Created),
            Err(e) => (
                keys,
                LocalKeysOrigin::ThisRunOnly {
                    reason: e.to_string(),
                },
            ),
        }
    }

    /// [`Self::load_or_create`] on the platform's keyring. Blocks (a D-Bus round
    /// trip on Linux): call it off the async threads.
    pub fn from_system_keyring() -> (LocalStoreKeys, LocalKeysOrigin) {
        match SecretVault::system() {
            Ok(vault) => Self::load_or_create(&vault),
            Err(e) => (
                Self::generate(),
                LocalKeysOrigin::ThisRunOnly {
                    reason: e.to_string(),
                },
            ),
        }
    }

    fn load(vault: &SecretVault) -> Result<Option<LocalStoreKeys>> {
        let Some(raw) = vault.get_raw(KEYRING_USER)? else {
            return Ok(None);
        };
        let stored: StoredKeys = serde_json::from_str(raw.expose_secret()).map_err(|_| {
            HoistError::Keyring("the local store's keyring entry is not in Hoist's format".into())
        })?;
        let valid = |s: &str, len: std::ops::RangeInclusive<usize>| {
            len.contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric())
        };
        if !valid(&stored.access_key, 16..=128) || !valid(&stored.secret_key, 32..=128) {
            return Err(HoistError::Keyring(
                "the local store's keyring entry is not in Hoist's format".into(),
            ));
        }
        Ok(Some(LocalStoreKeys {
            access_key: stored.access_key.clone(),
            secret_key: SecretString::from(stored.secret_key.clone()),
        }))
    }

    fn save(&self, vault: &SecretVault) -> Result<()> {
        let mut json = serde_json::to_string(&StoredKeys {
            access_key: self.access_key.clone(),
            secret_key: self.secret_key.expose_secret().to_owned(),
        })
        .expect("keys serialise");
        let res = vault.put_raw(KEYRING_USER, &json);
        secrecy::zeroize::Zeroize::zeroize(&mut json);
        res
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn vault() -> SecretVault {
        SecretVault::with_store(keyring_core::mock::Store::new().unwrap(), "test")
    }

    /// The keys guard every object in the local store: they come from the OS's
    /// CSPRNG, not from a PRNG that anything in the process can seed or predict.
    #[test]
    fn keys_do_not_come_from_a_seedable_prng() {
        fastrand::seed(7);
        let a = LocalStoreKeys::generate();
        fastrand::seed(7);
        let b = LocalStoreKeys::generate();
        assert_ne!(a.secret_key(), b.secret_key());
        assert_ne!(a.access_key, b.access_key);
        assert_eq!(a.secret_key().len(), 40);
        assert!(a.secret_key().chars().all(|c| c.is_ascii_alphanumeric()));
        assert!(a.access_key.starts_with("HOISTLOCAL"));
        assert!(!format!("{a:?}").contains(a.secret_key()));
    }

    #[test]
    fn keys_are_made_once_then_kept() {
        let v = vault();
        let (first, origin) = LocalStoreKeys::load_or_create(&v);
        assert_eq!(origin, LocalKeysOrigin::Created);
        let (again, origin) = LocalStoreKeys::load_or_create(&v);
        assert_eq!(origin, LocalKeysOrigin::Kept);
        assert_eq!(again.access_key, first.access_key);
        assert_eq!(again.secret_key(), first.secret_key());
    }

    #[test]
    fn an_entry_that_is_not_hoists_is_replaced() {
        let v = vault();
        v.put_raw(KEYRING_USER, "not json").unwrap();
        let (keys, origin) = LocalStoreKeys::load_or_create(&v);
        assert_eq!(origin, LocalKeysOrigin::Created);
        let (kept, origin) = LocalStoreKeys::load_or_create(&v);
        assert_eq!(origin, LocalKeysOrigin::Kept);
        assert_eq!(kept.secret_key(), keys.secret_key());
    }

    /// A Secret Service that is not running: every call fails.
    #[derive(Debug)]
    struct Unreachable;

    impl keyring_core::api::CredentialStoreApi for Unreachable {
        fn vendor(&self) -> String {
            "unreachable".into()
        }
        fn id(&self) -> String {
            "unreachable".into()
        }
        fn build(
            &self,
            _: &str,
            _: &str,
            _: Option<&std::collections::HashMap<&str, &str>>,
        ) -> keyring_core::Result<keyring_core::Entry> {
            Err(keyring_core::Error::NoStorageAccess(
                "no Secret Service on the session bus".into(),
            ))
        }
        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
    }

    #[test]
    fn an_unreachable_keyring_gives_keys_for_this_run_only() {
        let broken: Arc<keyring_core::CredentialStore> = Arc::new(Unreachable);
        let (keys, origin) = LocalStoreKeys::load_or_create(&SecretVault::with_store(broken, "t"));
        assert!(
            matches!(&origin, LocalKeysOrigin::ThisRunOnly { reason } if reason.contains("keyring is locked or not reachable")),
            "{origin:?}"
        );
        assert_eq!(keys.secret_key().len(), 40);
    }
}
