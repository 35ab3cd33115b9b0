//! Where a shell's adds go and what happens when a key exists: the destination the
//! user chose (profile, bucket, folder), remembered per profile, and the conflict
//! choice. Kept in `add-preferences.json` in the shell's config folder (no secret).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::validate_name;
use crate::error::{HoistError, Result};
use crate::s3::{Target, normalize_prefix};
use crate::transfer::ConflictPolicy;

/// Longest folder prefix a destination may carry.
const MAX_PREFIX: usize = 512;

/// A place to upload to. `profile: null` is the shell's own default store (the
/// desktop's embedded local store).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Destination {
    pub profile: Option<String>,
    pub bucket: String,
    /// A folder in the bucket: empty, or `/`-separated and ending in `/`.
    #[serde(default)]
    pub prefix: String,
}

impl Destination {
    /// Checks the names and normalises the folder (`/a//b` → `a/b/`); a folder
    /// with `.` or `..` segments or control characters is refused.
    pub fn checked(self) -> Result<Destination> {
        if let Some(p) = &self.profile {
            validate_name(p)?;
        }
        let bucket = self.bucket.trim().to_owned();
        Target::new(bucket.clone()).validate()?;
        if self.prefix.len() > MAX_PREFIX {
            return Err(HoistError::InvalidInput(format!(
                "the folder is longer than {MAX_PREFIX} characters"
            )));
        }
        if self.prefix.chars().any(char::is_control) {
            return Err(HoistError::InvalidInput(
                "the folder name contains control characters".into(),
            ));
        }
        let prefix = normalize_prefix(&self.prefix);
        if prefix.split('/').any(|s| s == "." || s == "..") {
            return Err(HoistError::InvalidInput(format!(
                "{:?} is not a folder: '.' and '..' cannot be part of it",
                self.prefix
            )));
        }
        Ok(Destination {
            profile: self.profile,
            bucket,
            prefix,
        })
    }

    /// The profile's target moved to this destination's bucket and folder.
    pub fn apply_to(&self, base: &Target) -> Result<Target> {
        let mut t = base.clone();
        t.bucket = self.bucket.clone();
        t.prefix = normalize_prefix(&self.prefix);
        t.validate()?;
        Ok(t)
    }

    /// "profile · bucket · folder" as a header shows it.
    pub fn describe(&self, local_name: &str) -> String {
        let profile = self.profile.as_deref().unwrap_or(local_name);
        let folder = if self.prefix.is_empty() {
            "/"
        } else {
            &self.prefix
        };
        format!("{profile} · {} · {folder}", self.bucket)
    }
}

/// What an add does with keys that already exist in the bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ConflictChoice {
    /// Show which keys exist before anything is sent, and let the user decide.
    #[default]
    Ask,
    Overwrite,
    Skip,
    Rename,
}

impl ConflictChoice {
    /// The engine's policy, or `None` when the user must be asked first.
    pub fn policy(self) -> Option<ConflictPolicy> {
        match self {
            ConflictChoice::Ask => None,
            ConflictChoice::Overwrite => Some(ConflictPolicy::Overwrite),
            ConflictChoice::Skip => Some(ConflictPolicy::Skip),
            ConflictChoice::Rename => Some(ConflictPolicy::Rename),
        }
    }
}

/// The stored choices.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AddPreferences {
    #[serde(default)]
    pub conflict: ConflictChoice,
    /// The last destination chosen for the shell's default store.
    #[serde(default)]
    pub default_store: Option<Destination>,
    /// The last destination chosen per named profile.
    #[serde(default)]
    pub profiles: BTreeMap<String, Destination>,
}

/// `add-preferences.json`, read once and written on every change.
pub struct AddPreferenceFile {
    path: PathBuf,
    current: Mutex<AddPreferences>,
}

impl AddPreferenceFile {
    /// A missing or unreadable file means the defaults (an unreadable one is reported
    /// and replaced at the next change).
    pub fn open(dir: &Path) -> AddPreferenceFile {
        let path = dir.join("add-preferences.json");
        let current = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::warn!("{}: {e}; using the defaults", path.display());
                AddPreferences::default()
            }),
            Err(_) => AddPreferences::default(),
        };
        AddPreferenceFile {
            path,
            current: Mutex::new(current),
        }
    }

    pub fn get(&self) -> AddPreferences {
        self.lock().clone()
    }

    /// The destination last chosen for this profile (`None` = the default store).
    pub fn remembered(&self, profile: Option<&str>) -> Option<Destination> {
        let p = self.lock();
        match profile {
            None => p.default_store.clone(),
            Some(name) => p.profiles.get(name).cloned(),
        }
    }

    /// Checks the destination and keeps it as its profile's choice.
    pub fn remember(&self, destination: Destination) -> Result<Destination> {
        let d = destination.checked()?;
        self.change(|p| match &d.profile {
            None => p.default_store = Some(d.clone()),
            Some(name) => {
                p.profiles.insert(name.clone(), d.clone());
            }
        })?;
        Ok(d)
    }

    /// Forgets a profile's destination (the profile was removed or renamed).
    pub fn forget(&self, profile: &str) -> Result<()> {
        self.change(|p| {
            p.profiles.remove(profile);
        })
    }

    pub fn set_conflict(&self, choice: ConflictChoice) -> Result<AddPreferences> {
        self.change(|p| p.conflict = choice)?;
        Ok(self.get())
    }

    fn change(&self, f: impl FnOnce(&mut AddPreferences)) -> Result<()> {
        let mut current = self.lock();
        let mut next = current.clone();
        f(&mut next);
        let json = serde_json::to_vec_pretty(&next).expect("preferences serialise");
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| HoistError::local_file(dir, e))?;
        }
        crate::fsutil::write_atomic(&self.path, &json)?;
        *current = next;
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, AddPreferences> {
        self.current.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dest(profile: Option<&str>, bucket: &str, prefix: &str) -> Destination {
        Destination {
            profile: profile.map(str::to_owned),
            bucket: bucket.into(),
            prefix: prefix.into(),
        }
    }

    #[test]
    fn destinations_are_checked_and_normalised() {
        let d = dest(Some("work"), " photos ", "/2024//trip\\day1").checked();
        assert_eq!(d.unwrap(), dest(Some("work"), "photos", "2024/trip/day1/"));
        assert_eq!(dest(None, "abc", "").checked().unwrap().prefix, "");
        for (bad, words) in [
            (dest(Some("bad name"), "abc", ""), "not a profile name"),
            (dest(None, "Bad_Bucket!", ""), "not a valid bucket name"),
            (dest(None, "ab", ""), "not a valid bucket name"),
            (dest(None, "abc", "a/../b"), "'.' and '..'"),
            (dest(None, "abc", "a\nb"), "control characters"),
            (dest(None, "abc", &"x".repeat(600)), "longer than"),
        ] {
            let err = bad.clone().checked().unwrap_err().to_string();
            assert!(err.contains(words), "{bad:?}: {err}");
        }
    }

    #[test]
    fn destinations_are_remembered_per_profile_across_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let file = AddPreferenceFile::open(dir.path());
        assert_eq!(file.get().conflict, ConflictChoice::Ask);
        file.remember(dest(Some("work"), "photos", "trip")).unwrap();
        file.remember(dest(None, "local", "inbox/")).unwrap();
        file.set_conflict(ConflictChoice::Rename).unwrap();
        assert!(file.remember(dest(Some("work"), "BAD", "")).is_err());

        let again = AddPreferenceFile::open(dir.path());
        assert_eq!(
            again.remembered(Some("work")),
            Some(dest(Some("work"), "photos", "trip/"))
        );
        assert_eq!(again.remembered(None), Some(dest(None, "local", "inbox/")));
        assert_eq!(again.remembered(Some("other")), None);
        assert_eq!(again.get().conflict, ConflictChoice::Rename);
        again.forget("work").unwrap();
        assert_eq!(
            AddPreferenceFile::open(dir.path()).remembered(Some("work")),
            None
        );
    }
}
