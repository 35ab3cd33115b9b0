//! `profiles.json` (every field but the secret, written atomically with mode 0600)
//! and the keyring entries beside it, kept in step: save, rename, remove, the active
//! profile, and target resolution for commands.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use aws_credential_types::Credentials;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use super::{Profile, ProfileList, ProfileSummary, ProfileUpdate, SecretVault, TargetRequest};
use crate::error::{HoistError, Result};
use crate::s3::{ChecksumMode, KeyTemplate, ObjectOptions, Target, normalize_prefix};

/// What `profiles.json` holds.
#[derive(Debug, Default, Serialize, Deserialize)]
struct ProfileBook {
    #[serde(default)]
    active: Option<String>,
    #[serde(default)]
    profiles: Vec<Profile>,
}

type VaultFactory = Box<dyn Fn() -> Result<SecretVault> + Send + Sync>;

pub struct ProfileStore {
    path: PathBuf,
    /// Opened on first use: commands that need no secret never touch D-Bus.
    vault: std::sync::OnceLock<std::result::Result<Arc<SecretVault>, String>>,
    open_vault: VaultFactory,
    /// Read-modify-write of the file is one step per process.
    write_lock: Mutex<()>,
}

impl ProfileStore {
    /// `HOIST_CONFIG_DIR`, else the OS config dir (`~/.config/hoist` on Linux).
    pub fn default_dir() -> PathBuf {
        if let Some(d) = std::env::var_os("HOIST_CONFIG_DIR").filter(|d| !d.is_empty()) {
            return PathBuf::from(d);
        }
        directories::ProjectDirs::from("dev", "hoist", "hoist")
            .map(|d| d.config_dir().to_path_buf())
            .unwrap_or_else(|| PathBuf::from(".hoist"))
    }

    /// Profiles in `dir`, secrets in the OS keyring. A missing keyring is not an error
    /// here: profiles can still be listed, and every secret operation says what is
    /// wrong.
    pub fn open(dir: &Path) -> ProfileStore {
        ProfileStore {
            path: dir.join("profiles.json"),
            vault: std::sync::OnceLock::new(),
            open_vault: Box::new(SecretVault::system),
            write_lock: Mutex::new(()),
        }
    }

    pub fn with_vault(dir: &Path, vault: Result<SecretVault>) -> ProfileStore {
        let store = ProfileStore {
            path: dir.join("profiles.json"),
            vault: std::sync::OnceLock::new(),
            open_vault: Box::new(|| unreachable!("the vault was given")),
            write_lock: Mutex::new(()),
        };
        let _ = store
            .vault
            .set(vault.map(Arc::new).map_err(|e| e.to_string()));
        store
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn vault(&self) -> Result<&SecretVault> {
        self.vault
            .get_or_init(|| (self.open_vault)().map(Arc::new).map_err(|e| e.to_string()))
            .as_deref()
            .map_err(|e| HoistError::Keyring(e.clone()))
    }

    /// The target a command asked for: a Hoist profile (named, else the active one
    /// unless an endpoint was given) with the request's fields on top; any other
    /// profile name is an AWS profile from `~/.aws`.
    /// The Hoist profile a command uses: the one named, else the active one unless an
    /// endpoint is given on its own. `None` for AWS profiles and plain environments.
    pub fn applying(&self, name: Option<&str>, endpoint_given: bool) -> Result<Option<Profile>> {
        match name {
            Some(name) => self.get(name),
            None if !endpoint_given => self.active(),
            None => Ok(None),
        }
    }

    /// The target for account-wide calls (list and create buckets), which need no
    /// bucket: its `bucket` is empty when neither the request nor the profile names one.
    pub fn resolve_account(&self, mut req: TargetRequest) -> Result<Target> {
        let named = req.bucket.is_some()
            || self
                .applying(req.profile.as_deref(), req.endpoint.is_some())?
                .and_then(|p| p.bucket)
                .is_some();
        // Resolved like any target (endpoint, region, path style, credentials), with a
        // stand-in bucket that is cleared again.
        if !named {
            req.bucket = Some("no-bucket".into());
        }
        let mut target = self.resolve_target(req)?;
        if !named {
            target.bucket.clear();
        }
        Ok(target)
    }

    pub fn resolve_target(&self, req: TargetRequest) -> Result<Target> {
        let profile = match &req.profile {
            Some(name) => self.get(name)?,
            None if req.endpoint.is_none() => self.active()?,
            None => None,
        };
        let mut target = match &profile {
            Some(p) => p
                .target(Some(
                    req.bucket.as_deref().or(p.bucket.as_deref()).unwrap_or(""),
                ))
                .or_else(|e| {
                    if req.bucket.is_none() && p.bucket.is_none() {
                        Err(HoistError::InvalidInput(format!(
                            "no bucket: name one, or set a default bucket in profile {:?}",
                            p.name
                        )))
                    } else {
                        Err(e)
                    }
                })?,
            None => {
                let bucket = req.bucket.clone().ok_or_else(|| {
                    HoistError::InvalidInput("no bucket: name one (--bucket)".into())
                })?;
                let mut t = Target::new(bucket);
                t.profile = req.profile.clone();
                t
            }
        };
        if let Some(ep) = req.endpoint {
            target.endpoint = Some(ep);
        }
        if let Some(r) = req.region {
            target.region = Some(r);
        }
        if let Some(p) = req.prefix {
            target.prefix = normalize_prefix(&p);
        }
        if req.path_style.is_some() {
            target.path_style = req.path_style;
        }
        if let Some(c) = req.checksum {
            target.checksum = c;
        }
        target.validate()?;
        Ok(target)
    }

    /// `None` when the keyring answers; otherwise the reason, in words.
    pub fn keyring_problem(&self) -> Option<String> {
        match self.vault().and_then(|v| v.check()) {
            Ok(()) => None,
            Err(e) => Some(e.to_string()),
        }
    }

    fn read(&self) -> Result<ProfileBook> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                HoistError::InvalidInput(format!(
                    "{} is damaged ({e}); fix or delete it",
                    self.path.display()
                ))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ProfileBook::default()),
            Err(e) => Err(HoistError::local_file(&self.path, e)),
        }
    }

    fn write(&self, book: &ProfileBook) -> Result<()> {
        let json = serde_json::to_vec_pretty(book).expect("profiles serialise");
        crate::fsutil::write_atomic(&self.path, &json)
    }

    fn edit<T>(&self, f: impl FnOnce(&mut ProfileBook) -> Result<T>) -> Result<T> {
        let _guard = self.write_lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut book = self.read()?;
        let out = f(&mut book)?;
        self.write(&book)?;
        Ok(out)
    }

    pub fn get(&self, name: &str) -> Result<Option<Profile>> {
        Ok(self.read()?.profiles.into_iter().find(|p| p.name == name))
    }

    pub fn require(&self, name: &str) -> Result<Profile> {
        self.get(name)?
            .ok_or_else(|| HoistError::NoSuchProfile(name.to_owned()))
    }

    pub fn active(&self) -> Result<Option<Profile>> {
        let book = self.read()?;
        Ok(book
            .active
            .as_ref()
            .and_then(|a| book.profiles.iter().find(|p| &p.name == a).cloned()))
    }

    pub fn list(&self) -> Result<ProfileList> {
        let book = self.read()?;
        let keyring_problem = self.keyring_problem();
        let profiles = book
            .profiles
            .into_iter()
            .map(|profile| {
                let secret = match (&keyring_problem, self.vault()) {
                    (None, Ok(v)) => v.get(&profile.name).ok(),
                    _ => None,
                };
                ProfileSummary {
                    active: book.active.as_deref() == Some(profile.name.as_str()),
                    secret_stored: secret.as_ref().map(Option::is_some),
                    has_session_token: secret
                        .as_ref()
                        .and_then(|s| s.as_ref())
                        .is_some_and(|s| s.session_token.is_some()),
                    profile,
                }
            })
            .collect();
        Ok(ProfileList {
            active: book.active,
            profiles,
            keyring_problem,
        })
    }

    /// Creates or updates a profile. The secret goes to the keyring first: if the
    /// keyring refuses, nothing is written anywhere. An existing profile keeps its
    /// upload defaults and key template.
    pub fn save(&self, update: ProfileUpdate) -> Result<Profile> {
        let ProfileUpdate {
            mut profile,
            previous_name,
            secret,
        } = update;
        profile.name = profile.name.trim().to_owned();
        profile.validate()?;
        let _guard = self.write_lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut book = self.read()?;
        let old_name = previous_name.unwrap_or_else(|| profile.name.clone());
        let existing = book.profiles.iter().position(|p| p.name == old_name);
        if old_name != profile.name && book.profiles.iter().any(|p| p.name == profile.name) {
            return Err(HoistError::InvalidInput(format!(
                "a profile named {:?} already exists",
                profile.name
            )));
        }
        // The stored secret belongs to the server and key id it was saved with: it is
        // never sent to another endpoint, nor paired with another key id, unless the
        // secret is given again (a compromised page or a typo cannot redirect it).
        if let (Some(i), None) = (existing, &secret) {
            let previous = &book.profiles[i];
            let changed = if previous.endpoint != profile.endpoint {
                Some("endpoint")
            } else if previous.access_key_id != profile.access_key_id {
                Some("access key id")
            } else {
                None
            };
            if let Some(what) = changed {
                return Err(HoistError::InvalidInput(format!(
                    "the {what} of profile {old_name:?} changed, so enter its secret access key again: a stored secret is only sent to the endpoint and key id it was saved with"
                )));
            }
        }
        let vault = self.vault()?;
        // A renamed profile keeps its secret unless a new one was given.
        let secret = match secret {
            Some(s) => Some(s),
            None if existing.is_some() && old_name != profile.name => vault.get(&old_name)?,
            None => None,
        };
        match (&secret, existing) {
            (Some(s), _) => vault.put(&profile.name, s)?,
            (None, None) => {
                return Err(HoistError::InvalidInput(format!(
                    "profile {:?} needs a secret access key",
                    profile.name
                )));
            }
            (None, Some(_)) => {}
        }
        if let Some(i) = existing {
            let previous = &book.profiles[i];
            if previous.endpoint != profile.endpoint {
                profile.probed_checksum = None;
            }
            // Connection settings are edited here; upload defaults only through
            // `set_upload_defaults`, so a settings form that does not show them
            // cannot wipe them.
            profile.upload_defaults = previous.upload_defaults.clone();
            profile.key_template = previous.key_template.clone();
            book.profiles[i] = profile.clone();
        } else {
            book.profiles.push(profile.clone());
        }
        if old_name != profile.name && book.active.as_deref() == Some(old_name.as_str()) {
            book.active = Some(profile.name.clone());
        }
        if let Err(e) = self.write(&book) {
            if existing.is_none() {
                let _ = vault.delete(&profile.name);
            }
            return Err(e);
        }
        if old_name != profile.name {
            vault.delete(&old_name)?;
        }
        Ok(profile)
    }

    /// Deletes the profile and its keyring entry. With no keyring the profile stays,
    /// so no secret is orphaned in a keyring that comes back later.
    pub fn remove(&self, name: &str) -> Result<()> {
        self.edit(|book| {
            let i = book
                .profiles
                .iter()
                .position(|p| p.name == name)
                .ok_or_else(|| HoistError::NoSuchProfile(name.to_owned()))?;
            self.vault()?.delete(name)?;
            book.profiles.remove(i);
            if book.active.as_deref() == Some(name) {
                book.active = None;
            }
            Ok(())
        })
    }

    /// `None` = no default profile (the environment's credentials).
    pub fn set_active(&self, name: Option<&str>) -> Result<()> {
        self.edit(|book| {
            if let Some(n) = name
                && !book.profiles.iter().any(|p| p.name == n)
            {
                return Err(HoistError::NoSuchProfile(n.to_owned()));
            }
            book.active = name.map(str::to_owned);
            Ok(())
        })
    }

    /// Replaces what every upload through the profile gets by default (checked first:
    /// a bad value is refused, the old defaults kept).
    pub fn set_upload_defaults(
        &self,
        name: &str,
        defaults: ObjectOptions,
        key_template: Option<String>,
    ) -> Result<Profile> {
        let defaults = defaults.validated()?;
        let key_template = key_template.filter(|t| !t.trim().is_empty());
        if let Some(t) = &key_template {
            KeyTemplate::parse(t)?;
        }
        self.edit(|book| {
            let p = book
                .profiles
                .iter_mut()
                .find(|p| p.name == name)
                .ok_or_else(|| HoistError::NoSuchProfile(name.to_owned()))?;
            p.upload_defaults = defaults;
            p.key_template = key_template;
            Ok(())
        })?;
        self.require(name)
    }

    /// Records what a connection test found the store supports.
    pub fn set_probed_checksum(&self, name: &str, mode: Option<ChecksumMode>) -> Result<()> {
        self.edit(|book| {
            let p = book
                .profiles
                .iter_mut()
                .find(|p| p.name == name)
                .ok_or_else(|| HoistError::NoSuchProfile(name.to_owned()))?;
            p.probed_checksum = mode;
            Ok(())
        })
    }

    /// The profile's credentials, read from the keyring (blocking: call it off the
    /// async threads).
    pub fn credentials(&self, name: &str) -> Result<Credentials> {
        let profile = self.require(name)?;
        let secret = self.vault()?.get(name)?.ok_or_else(|| {
            HoistError::Keyring(format!(
                "the keyring has no secret for profile {name:?}; set it again (`hoist profile add {name}` or the settings)"
            ))
        })?;
        Ok(Credentials::new(
            profile.access_key_id,
            secret.secret_access_key.expose_secret(),
            secret
                .session_token
                .as_ref()
                .map(|t| t.expose_secret().to_owned()),
            profile
                .session_expires_at
                .map(|ms| std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms as u64)),
            "hoist-keyring",
        ))
    }
}

impl std::fmt::Debug for ProfileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProfileStore")
            .field("path", &self.path)
            .finish()
    }
}

#[cfg(test)]
#[path = "store_tests.rs"]
pub(crate) mod tests;
