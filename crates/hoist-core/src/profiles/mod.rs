//! Named storage accounts. A profile's non-secret fields live in `profiles.json` in
//! Hoist's config dir (shared by the CLI and the desktop app); its secret access key
//! and session token live only in the OS keyring ([`SecretVault`]).

mod aws_files;
mod probe;
mod vault;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use aws_credential_types::Credentials;
use aws_credential_types::provider::{self, ProvideCredentials, SharedCredentialsProvider};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use aws_files::AwsImport;
pub use aws_files::{AwsFileProfile, AwsFiles};
pub use probe::{
    ChecksumSupport, ConnectionProblem, ConnectionReport, ProblemKind, test_connection,
    test_profile,
};
pub use vault::{KEYRING_SERVICE, ProfileSecret, SecretVault};

use crate::error::{HoistError, Result};
use crate::target::{AwsChainCredentials, ChecksumMode, CredentialResolver, Target};

/// Names the desktop app keeps for itself (its embedded store).
pub const RESERVED_PROFILE_NAMES: &[&str] = &["hoist-local"];

/// How part integrity is proven, as the user chose it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ChecksumPreference {
    /// What the connection test found the store supports (CRC32C until tested).
    #[default]
    Auto,
    /// CRC32C headers on every part (AWS, MinIO, R2, SeaweedFS ...).
    Full,
    /// Content-MD5 only, for stores without flexible checksums.
    Compatible,
}

impl std::str::FromStr for ChecksumPreference {
    type Err = HoistError;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(ChecksumPreference::Auto),
            "full" | "crc32c" => Ok(ChecksumPreference::Full),
            "compatible" | "md5" | "content-md5" => Ok(ChecksumPreference::Compatible),
            other => Err(HoistError::InvalidInput(format!(
                "unknown checksum mode {other:?} (use auto, full or compatible)"
            ))),
        }
    }
}

/// A storage account, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Profile {
    pub name: String,
    /// `null` = AWS.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    /// Default bucket for uploads and links.
    pub bucket: Option<String>,
    #[serde(default)]
    pub prefix: String,
    /// `null` = automatic (path-style for IP and localhost endpoints).
    #[serde(default)]
    pub path_style: Option<bool>,
    #[serde(default)]
    pub checksum: ChecksumPreference,
    /// What the last connection test found; used when `checksum` is auto.
    #[serde(default)]
    pub probed_checksum: Option<ChecksumMode>,
    pub access_key_id: String,
    /// When temporary credentials stop working (ms since the epoch); `null` = never.
    #[serde(default)]
    #[ts(type = "number | null")]
    pub session_expires_at: Option<i64>,
}

impl Profile {
    pub fn checksum_mode(&self) -> ChecksumMode {
        match self.checksum {
            ChecksumPreference::Full => ChecksumMode::Crc32c,
            ChecksumPreference::Compatible => ChecksumMode::ContentMd5,
            ChecksumPreference::Auto => self.probed_checksum.unwrap_or_default(),
        }
    }

    /// The upload target this profile describes. `bucket` overrides the default one.
    pub fn target(&self, bucket: Option<&str>) -> Result<Target> {
        let bucket = bucket
            .map(str::to_owned)
            .or_else(|| self.bucket.clone())
            .ok_or_else(|| {
                HoistError::InvalidInput(format!(
                    "profile {:?} has no default bucket: name one",
                    self.name
                ))
            })?;
        let target = Target {
            endpoint: self.endpoint.clone(),
            region: self.region.clone(),
            bucket,
            prefix: crate::source::normalize_prefix(&self.prefix),
            path_style: self.path_style,
            checksum: self.checksum_mode(),
            profile: Some(self.name.clone()),
        };
        target.validate()?;
        Ok(target)
    }

    fn validate(&self) -> Result<()> {
        validate_name(&self.name)?;
        if self.access_key_id.is_empty()
            || self.access_key_id.len() > 128
            || !self.access_key_id.chars().all(|c| c.is_ascii_graphic())
        {
            return Err(HoistError::InvalidInput(
                "the access key id must be 1-128 printable characters without spaces".into(),
            ));
        }
        if let Some(r) = &self.region
            && (r.is_empty()
                || r.len() > 64
                || !r
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        {
            return Err(HoistError::InvalidInput(format!(
                "{r:?} is not a region name"
            )));
        }
        if let Some(ep) = &self.endpoint {
            let rest = ep
                .strip_prefix("https://")
                .or_else(|| ep.strip_prefix("http://"))
                .ok_or_else(|| {
                    HoistError::InvalidInput(format!(
                        "endpoint {ep:?} must start with http:// or https://"
                    ))
                })?;
            if rest.is_empty() || rest.chars().any(|c| c.is_whitespace()) {
                return Err(HoistError::InvalidInput(format!(
                    "endpoint {ep:?} is not a URL"
                )));
            }
        }
        if let Some(b) = &self.bucket {
            Target::new(b.clone()).validate()?;
        }
        Ok(())
    }
}

/// RFC 3339 ("2026-11-23T18:00:00Z") → ms since the epoch.
pub fn parse_timestamp(s: &str) -> Result<i64> {
    aws_smithy_types::DateTime::from_str(s.trim(), aws_smithy_types::date_time::Format::DateTime)
        .ok()
        .and_then(|d| d.to_millis().ok())
        .ok_or_else(|| {
            HoistError::InvalidInput(format!(
                "{s:?} is not a time (use RFC 3339, e.g. 2026-11-23T18:00:00Z)"
            ))
        })
}

/// ms since the epoch → RFC 3339 (UTC).
pub fn format_timestamp(ms: i64) -> String {
    aws_smithy_types::DateTime::from_millis(ms)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_else(|_| ms.to_string())
}

pub fn validate_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        && !name.starts_with('.');
    if !ok {
        return Err(HoistError::InvalidInput(format!(
            "{name:?} is not a profile name (1-64 letters, digits, '.', '_', '-')"
        )));
    }
    if RESERVED_PROFILE_NAMES.contains(&name) {
        return Err(HoistError::InvalidInput(format!(
            "{name:?} is reserved for the embedded local store"
        )));
    }
    Ok(())
}

/// A profile as shells show it: whether a secret is stored, never the secret.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ProfileSummary {
    #[serde(flatten)]
    pub profile: Profile,
    /// Whether the keyring holds a secret for it (`null`: the keyring could not say).
    pub secret_stored: Option<bool>,
    pub has_session_token: bool,
    pub active: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ProfileList {
    pub active: Option<String>,
    pub profiles: Vec<ProfileSummary>,
    /// `null` when the keyring works; otherwise what is wrong and what to do.
    pub keyring_problem: Option<String>,
}

/// What a command asked for; every `None` is taken from the profile.
#[derive(Debug, Clone, Default)]
pub struct TargetRequest {
    pub profile: Option<String>,
    pub bucket: Option<String>,
    pub prefix: Option<String>,
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub path_style: Option<bool>,
    pub checksum: Option<ChecksumMode>,
}

/// What `profiles.json` holds.
#[derive(Debug, Default, Serialize, Deserialize)]
struct ProfileBook {
    #[serde(default)]
    active: Option<String>,
    #[serde(default)]
    profiles: Vec<Profile>,
}

/// A profile to create or update. Credentials are write-only: `None` keeps the ones in
/// the keyring.
#[derive(Debug, Clone)]
pub struct ProfileUpdate {
    pub profile: Profile,
    /// The name the profile had before (a rename moves its keyring entry).
    pub previous_name: Option<String>,
    pub secret: Option<ProfileSecret>,
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
            target.prefix = crate::source::normalize_prefix(&p);
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
    /// keyring refuses, nothing is written anywhere.
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
            // A new key id with the old secret would be a broken pair: the secret is
            // asked for again in that case.
            if secret.is_none() && previous.access_key_id != profile.access_key_id {
                return Err(HoistError::InvalidInput(
                    "a new access key id needs its secret access key".into(),
                ));
            }
            if previous.endpoint != profile.endpoint {
                profile.probed_checksum = None;
            }
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

/// Credentials for targets: Hoist profiles from the keyring; any other name is an AWS
/// profile from `~/.aws`; no name is the environment's chain.
pub struct ProfileCredentials {
    store: Arc<ProfileStore>,
}

impl ProfileCredentials {
    pub fn new(store: Arc<ProfileStore>) -> ProfileCredentials {
        ProfileCredentials { store }
    }

    /// The keyring-backed provider of a profile already known to exist (the keyring is
    /// read later, when the SDK asks).
    pub(crate) fn provider(&self, name: &str) -> SharedCredentialsProvider {
        SharedCredentialsProvider::new(KeyringProvider {
            store: self.store.clone(),
            name: name.to_owned(),
        })
    }
}

impl CredentialResolver for ProfileCredentials {
    fn resolve(&self, profile: Option<&str>) -> Result<Option<SharedCredentialsProvider>> {
        match profile {
            Some(name) if self.store.get(name)?.is_some() => Ok(Some(self.provider(name))),
            other => AwsChainCredentials.resolve(other),
        }
    }
}

/// Reads the keyring when the SDK asks (and the SDK caches until expiry), on a
/// blocking thread: the keyring speaks D-Bus synchronously.
#[derive(Debug)]
struct KeyringProvider {
    store: Arc<ProfileStore>,
    name: String,
}

impl std::fmt::Debug for ProfileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProfileStore")
            .field("path", &self.path)
            .finish()
    }
}

impl ProvideCredentials for KeyringProvider {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        let store = self.store.clone();
        let name = self.name.clone();
        provider::future::ProvideCredentials::new(async move {
            let res = tokio::task::spawn_blocking(move || store.credentials(&name))
                .await
                .map_err(provider::error::CredentialsError::provider_error)?;
            res.map_err(provider::error::CredentialsError::not_loaded)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn mock_store(dir: &Path) -> ProfileStore {
        ProfileStore::with_vault(
            dir,
            Ok(SecretVault::with_store(
                keyring_core::mock::Store::new().unwrap(),
                "test",
            )),
        )
    }

    pub(crate) fn profile(name: &str) -> Profile {
        Profile {
            name: name.into(),
            endpoint: Some("http://127.0.0.1:9000".into()),
            region: Some("us-east-1".into()),
            bucket: Some("photos".into()),
            prefix: "2026".into(),
            path_style: None,
            checksum: ChecksumPreference::Auto,
            probed_checksum: None,
            access_key_id: "AKIDEXAMPLE".into(),
            session_expires_at: None,
        }
    }

    fn add(store: &ProfileStore, name: &str, secret: &str) -> Profile {
        store
            .save(ProfileUpdate {
                profile: profile(name),
                previous_name: None,
                secret: Some(ProfileSecret::new(secret, None)),
            })
            .unwrap()
    }

    #[test]
    fn profiles_round_trip_without_their_secret_in_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = mock_store(dir.path());
        add(&store, "work", "s3cr3t-value");
        let file = std::fs::read_to_string(store.path()).unwrap();
        assert!(file.contains("AKIDEXAMPLE"));
        assert!(!file.contains("s3cr3t-value"));
        let list = store.list().unwrap();
        assert_eq!(list.profiles.len(), 1);
        assert_eq!(list.profiles[0].secret_stored, Some(true));
        assert!(list.keyring_problem.is_none());
        let creds = store.credentials("work").unwrap();
        assert_eq!(creds.secret_access_key(), "s3cr3t-value");
        let t = store.require("work").unwrap().target(None).unwrap();
        assert_eq!((t.bucket.as_str(), t.prefix.as_str()), ("photos", "2026/"));
        assert_eq!(t.profile.as_deref(), Some("work"));
    }

    #[test]
    fn update_keeps_the_secret_unless_given_and_rename_moves_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = mock_store(dir.path());
        add(&store, "work", "one");
        store.set_active(Some("work")).unwrap();
        let mut p = profile("office");
        p.region = Some("eu-west-1".into());
        store
            .save(ProfileUpdate {
                profile: p,
                previous_name: Some("work".into()),
                secret: None,
            })
            .unwrap();
        assert!(store.get("work").unwrap().is_none());
        assert_eq!(
            store.credentials("office").unwrap().secret_access_key(),
            "one"
        );
        assert!(store.vault().unwrap().get("work").unwrap().is_none());
        assert_eq!(store.active().unwrap().unwrap().name, "office");
        // A new key id without its secret is refused.
        let mut p = profile("office");
        p.access_key_id = "OTHER".into();
        let err = store
            .save(ProfileUpdate {
                profile: p,
                previous_name: None,
                secret: None,
            })
            .unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::InvalidInput);
    }

    #[test]
    fn remove_deletes_the_keyring_entry() {
        let dir = tempfile::tempdir().unwrap();
        let store = mock_store(dir.path());
        add(&store, "gone", "x");
        store.set_active(Some("gone")).unwrap();
        store.remove("gone").unwrap();
        assert!(store.vault().unwrap().get("gone").unwrap().is_none());
        assert!(store.list().unwrap().profiles.is_empty());
        assert!(store.active().unwrap().is_none());
        assert_eq!(
            store.remove("gone").unwrap_err().code(),
            crate::ErrorCode::NoSuchProfile
        );
    }

    #[test]
    fn without_a_keyring_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let store = ProfileStore::with_vault(
            dir.path(),
            Err(vault::keyring_error(keyring_core::Error::PlatformFailure(
                "no D-Bus session".into(),
            ))),
        );
        let err = store
            .save(ProfileUpdate {
                profile: profile("work"),
                previous_name: None,
                secret: Some(ProfileSecret::new("plain", None)),
            })
            .unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::Keyring);
        assert!(err.to_string().contains("plain text"), "{err}");
        assert!(!store.path().exists());
        assert!(store.list().unwrap().keyring_problem.is_some());
    }

    #[test]
    fn names_and_fields_are_validated() {
        let dir = tempfile::tempdir().unwrap();
        let store = mock_store(dir.path());
        for bad in ["", "a b", "hoist-local", ".hidden", "x/y"] {
            let mut p = profile("ok");
            p.name = bad.into();
            assert!(
                store
                    .save(ProfileUpdate {
                        profile: p,
                        previous_name: None,
                        secret: Some(ProfileSecret::new("s", None)),
                    })
                    .is_err(),
                "{bad:?} accepted"
            );
        }
        let mut p = profile("ok");
        p.endpoint = Some("ftp://x".into());
        assert!(p.validate().is_err());
        let mut p = profile("ok");
        p.bucket = Some("Bad Bucket".into());
        assert!(p.validate().is_err());
        let mut p = profile("ok");
        p.access_key_id = "has space".into();
        assert!(p.validate().is_err());
        // A new profile needs a secret.
        assert!(
            store
                .save(ProfileUpdate {
                    profile: profile("ok"),
                    previous_name: None,
                    secret: None,
                })
                .is_err()
        );
    }

    #[test]
    fn temporary_credentials_carry_their_expiry() {
        let dir = tempfile::tempdir().unwrap();
        let store = mock_store(dir.path());
        let mut p = profile("sts");
        p.session_expires_at = Some(1_900_000_000_000);
        store
            .save(ProfileUpdate {
                profile: p,
                previous_name: None,
                secret: Some(ProfileSecret::new("s", Some("token".into()))),
            })
            .unwrap();
        let c = store.credentials("sts").unwrap();
        assert_eq!(c.session_token(), Some("token"));
        let expiry = c.expiry().unwrap();
        assert_eq!(
            expiry
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis(),
            1_900_000_000_000
        );
        assert!(store.list().unwrap().profiles[0].has_session_token);
    }

    #[test]
    fn targets_come_from_the_named_or_active_profile() {
        let dir = tempfile::tempdir().unwrap();
        let store = mock_store(dir.path());
        add(&store, "work", "s");
        let req = |profile: Option<&str>, bucket: Option<&str>| TargetRequest {
            profile: profile.map(str::to_owned),
            bucket: bucket.map(str::to_owned),
            ..Default::default()
        };
        let t = store.resolve_target(req(Some("work"), None)).unwrap();
        assert_eq!(
            (t.bucket.as_str(), t.profile.as_deref()),
            ("photos", Some("work"))
        );
        let t = store
            .resolve_target(req(Some("work"), Some("other")))
            .unwrap();
        assert_eq!(t.bucket, "other");
        // No profile named and none active: the request alone (AWS chain).
        assert!(store.resolve_target(req(None, None)).is_err());
        let t = store.resolve_target(req(None, Some("bkt"))).unwrap();
        assert_eq!(t.profile, None);
        store.set_active(Some("work")).unwrap();
        let t = store.resolve_target(req(None, None)).unwrap();
        assert_eq!(t.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        // An explicit endpoint is an ad-hoc target: the active profile stays out.
        let t = store
            .resolve_target(TargetRequest {
                endpoint: Some("http://10.0.0.1:9000".into()),
                ..req(None, Some("bkt"))
            })
            .unwrap();
        assert_eq!(t.profile, None);
        // A name that is not a Hoist profile is an AWS profile.
        let t = store
            .resolve_target(req(Some("aws-dev"), Some("bkt")))
            .unwrap();
        assert_eq!(t.profile.as_deref(), Some("aws-dev"));
    }

    #[test]
    fn timestamps_parse_and_print() {
        let ms = parse_timestamp("2030-01-01T00:00:00Z").unwrap();
        assert_eq!(ms, 1_893_456_000_000);
        assert_eq!(format_timestamp(ms), "2030-01-01T00:00:00Z");
        assert!(parse_timestamp("tomorrow").is_err());
    }

    #[test]
    fn auto_checksum_follows_the_probe() {
        let mut p = profile("x");
        assert_eq!(p.checksum_mode(), ChecksumMode::Crc32c);
        p.probed_checksum = Some(ChecksumMode::ContentMd5);
        assert_eq!(p.checksum_mode(), ChecksumMode::ContentMd5);
        p.checksum = ChecksumPreference::Full;
        assert_eq!(p.checksum_mode(), ChecksumMode::Crc32c);
    }
}
