//! The OS keyring, where a profile's secret access key and session token live. Nothing
//! else in Hoist ever holds them outside Rust memory: no file, no log, no IPC message.

use std::sync::Arc;

use keyring_core::{CredentialStore, Entry, Error as KeyringError};
use secrecy::{ExposeSecret, SecretString, zeroize::Zeroize};
use serde::{Deserialize, Serialize};

use crate::error::{HoistError, Result};

/// The keyring service name under which every profile's secret is stored; the
/// profile's name is the entry's user.
pub const KEYRING_SERVICE: &str = "dev.hoist";

/// What a profile keeps in the keyring. `Debug` never shows the values.
#[derive(Clone)]
pub struct ProfileSecret {
    pub secret_access_key: SecretString,
    /// For temporary credentials (STS); its expiry lives in the profile.
    pub session_token: Option<SecretString>,
}

impl std::fmt::Debug for ProfileSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProfileSecret")
            .field("secret_access_key", &"[redacted]")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

impl ProfileSecret {
    pub fn new(secret_access_key: impl Into<String>, session_token: Option<String>) -> Self {
        ProfileSecret {
            secret_access_key: SecretString::from(secret_access_key.into()),
            session_token: session_token
                .filter(|t| !t.is_empty())
                .map(SecretString::from),
        }
    }
}

/// The stored form: one keyring item per profile, so a profile is one entry to find,
/// update and delete.
#[derive(Serialize, Deserialize)]
struct StoredSecret {
    secret_access_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    session_token: Option<String>,
}

impl Drop for StoredSecret {
    fn drop(&mut self) {
        self.secret_access_key.zeroize();
        if let Some(t) = &mut self.session_token {
            t.zeroize();
        }
    }
}

pub struct SecretVault {
    store: Arc<CredentialStore>,
    service: String,
}

impl SecretVault {
    /// The platform's keyring: Secret Service (GNOME Keyring, KWallet) on Linux and
    /// the BSDs, Keychain on macOS, Credential Manager on Windows.
    pub fn system() -> Result<SecretVault> {
        Ok(SecretVault::with_store(system_store()?, KEYRING_SERVICE))
    }

    /// Any keyring-core store, e.g. `keyring_core::mock::Store` in unit tests.
    pub fn with_store(store: Arc<CredentialStore>, service: &str) -> SecretVault {
        SecretVault {
            store,
            service: service.to_owned(),
        }
    }

    pub fn service(&self) -> &str {
        &self.service
    }

    fn entry(&self, profile: &str) -> Result<Entry> {
        self.store
            .build(&self.service, profile, None)
            .map_err(keyring_error)
    }

    /// Stores a value Hoist serialised itself under `user` (a profile's secret, or the
    /// local store's keys); the caller zeroizes its own copy.
    pub(crate) fn put_raw(&self, user: &str, value: &str) -> Result<()> {
        self.entry(user)?.set_password(value).map_err(keyring_error)
    }

    /// The raw value under `user`, or `None` when there is no entry.
    pub(crate) fn get_raw(&self, user: &str) -> Result<Option<SecretString>> {
        match self.entry(user)?.get_password() {
            Ok(raw) => Ok(Some(SecretString::from(raw))),
            Err(KeyringError::NoEntry) => Ok(None),
            Err(e) => Err(keyring_error(e)),
        }
    }

    pub fn put(&self, profile: &str, secret: &ProfileSecret) -> Result<()> {
        let mut json = serde_json::to_string(&StoredSecret {
            secret_access_key: secret.secret_access_key.expose_secret().to_owned(),
            session_token: secret
                .session_token
                .as_ref()
                .map(|t| t.expose_secret().to_owned()),
        })
        .expect("a secret serialises");
        let res = self.put_raw(profile, &json);
        json.zeroize();
        res
    }

    pub fn get(&self, profile: &str) -> Result<Option<ProfileSecret>> {
        let Some(raw) = self.get_raw(profile)? else {
            return Ok(None);
        };
        let parsed = serde_json::from_str::<StoredSecret>(raw.expose_secret());
        let stored = parsed.map_err(|_| {
            HoistError::Keyring(format!(
                "the keyring entry for profile {profile:?} is not in Hoist's format; set the profile's secret again"
            ))
        })?;
        Ok(Some(ProfileSecret::new(
            stored.secret_access_key.clone(),
            stored.session_token.clone(),
        )))
    }

    /// `Ok(false)` when there was nothing to delete.
    pub fn delete(&self, profile: &str) -> Result<bool> {
        match self.entry(profile)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(KeyringError::NoEntry) => Ok(false),
            Err(e) => Err(keyring_error(e)),
        }
    }

    /// Whether the keyring answers at all (a locked or missing Secret Service fails
    /// here), so shells can say so before the user types a secret.
    pub fn check(&self) -> Result<()> {
        self.get(".hoist-availability-check").map(|_| ())
    }
}

const NO_PLAINTEXT: &str = "Hoist never stores secrets in plain text; until a keyring is available, use environment variables (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) or ~/.aws profiles";

pub(crate) fn keyring_error(e: KeyringError) -> HoistError {
    HoistError::Keyring(match e {
        KeyringError::NoStorageAccess(inner) => format!(
            "the OS keyring is locked or not reachable ({inner}). Unlock it, or start a Secret Service such as gnome-keyring. {NO_PLAINTEXT}"
        ),
        KeyringError::PlatformFailure(inner) => format!(
            "the OS keyring is not available ({inner}). On Linux a Secret Service (gnome-keyring, KWallet) must be running in your session. {NO_PLAINTEXT}"
        ),
        other => format!("the OS keyring refused the request: {other}"),
    })
}

#[cfg(all(
    unix,
    not(any(target_os = "macos", target_os = "ios", target_os = "android"))
))]
fn system_store() -> Result<Arc<CredentialStore>> {
    Ok(zbus_secret_service_keyring_store::Store::new().map_err(keyring_error)?)
}

#[cfg(target_os = "macos")]
fn system_store() -> Result<Arc<CredentialStore>> {
    Ok(apple_native_keyring_store::keychain::Store::new().map_err(keyring_error)?)
}

#[cfg(windows)]
fn system_store() -> Result<Arc<CredentialStore>> {
    Ok(windows_native_keyring_store::Store::new().map_err(keyring_error)?)
}

#[cfg(not(any(unix, windows)))]
fn system_store() -> Result<Arc<CredentialStore>> {
    Err(HoistError::Keyring(format!(
        "this platform has no supported keyring. {NO_PLAINTEXT}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault() -> SecretVault {
        SecretVault::with_store(keyring_core::mock::Store::new().unwrap(), "test")
    }

    #[test]
    fn put_get_update_delete() {
        let v = vault();
        assert!(v.get("p").unwrap().is_none());
        v.put("p", &ProfileSecret::new("s1", None)).unwrap();
        let got = v.get("p").unwrap().unwrap();
        assert_eq!(got.secret_access_key.expose_secret(), "s1");
        assert!(got.session_token.is_none());
        v.put("p", &ProfileSecret::new("s2", Some("tok".into())))
            .unwrap();
        let got = v.get("p").unwrap().unwrap();
        assert_eq!(got.secret_access_key.expose_secret(), "s2");
        assert_eq!(got.session_token.unwrap().expose_secret(), "tok");
        assert!(v.delete("p").unwrap());
        assert!(!v.delete("p").unwrap());
        assert!(v.get("p").unwrap().is_none());
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let s = ProfileSecret::new("very-secret", Some("token-secret".into()));
        let shown = format!("{s:?}");
        assert!(!shown.contains("very-secret") && !shown.contains("token-secret"));
    }

    #[test]
    fn a_locked_keyring_is_a_clear_error() {
        let e = keyring_error(KeyringError::NoStorageAccess("locked".into()));
        assert_eq!(e.code(), crate::ErrorCode::Keyring);
        assert!(e.to_string().contains("plain text"), "{e}");
    }
}
