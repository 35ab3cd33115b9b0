//! What the shell holds: the engine handle, the embedded store and the profiles.
//! Behaviour lives in hoist-core; this only wires it to the app's folders.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hoist_core::objects::share::{self, ShareLink};
use hoist_core::profiles::{
    AddPreferenceFile, AwsFileProfile, AwsFiles, AwsImport, ConnectionReport, Destination,
    ProfileList, validate_name,
};
use hoist_core::{
    BucketAccess, Disposition, Engine, EngineOptions, PendingBatches, ProfileStore, Target,
    UploadId, WatchManager, WatchSettings,
};

use crate::adds::AddOutcome;
use crate::chosen::{Chosen, Purpose};
use crate::error::{Result, invalid};
use crate::local::{self, DesktopCredentials, LocalRuntime};
use crate::models::{AppSettings, AwsImportForm, ProfileForm};
use crate::settings;

/// Paths one `add_paths` call may carry (folders count once; they expand in Rust).
const MAX_PATHS: usize = 10_000;

fn check_count(n: usize) -> Result<()> {
    if n == 0 {
        return Err(invalid("no files were given"));
    }
    if n > MAX_PATHS {
        return Err(invalid(format!(
            "{n} paths at once is too many (at most {MAX_PATHS}); drop their folder instead"
        )));
    }
    Ok(())
}

pub struct Desktop {
    pub engine: Engine,
    /// Watched folders; their state comes on the engine's event stream.
    pub watches: WatchManager,
    pub(crate) local: Option<LocalRuntime>,
    pub(crate) profiles: Arc<ProfileStore>,
    /// Paths the user chose in a native dialog (see `chosen`).
    pub(crate) chosen: Chosen,
    journal: PathBuf,
    data_dir: PathBuf,
    /// The task feeding the window's event channel; a reloaded page replaces it.
    subscription: std::sync::Mutex<Option<tauri::async_runtime::JoinHandle<()>>>,
    /// The destination chosen per profile and the conflict choice.
    pub(crate) adds: AddPreferenceFile,
    /// Batches waiting for the conflict dialog's answer.
    pub(crate) pending: PendingBatches,
    /// The bucket the Browser shows instead of the target's: (profile, bucket), so a
    /// pick belongs to the profile it was made for.
    browse_bucket: std::sync::Mutex<Option<(Option<String>, String)>>,
    /// While the Browser is shown, dropped files go to the folder it shows:
    /// (profile, bucket, prefix).
    drop_folder: std::sync::Mutex<Option<(Option<String>, String, String)>>,
}

/// Keyring and profile-file work blocks (D-Bus, disk): off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> hoist_core::Result<T> + Send + 'static,
) -> Result<T> {
    Ok(tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|e| invalid(format!("background task failed: {e}")))??)
}

pub(crate) fn check_name(name: &str) -> Result<()> {
    Ok(validate_name(name)?)
}

impl Desktop {
    /// Opens the journal, starts the local store, and resumes what a previous run
    /// left unfinished (paused and failed uploads are shown, not started).
    pub async fn start(data_dir: PathBuf, profiles_dir: PathBuf) -> Result<Desktop> {
        // The journal and the local store's objects live here: the user's alone.
        hoist_core::fsutil::private_dir(&data_dir)?;
        // The keyring answers over D-Bus: not on the async threads.
        let (keys, keys_origin) =
            tokio::task::spawn_blocking(hoist_core::profiles::LocalStoreKeys::from_system_keyring)
                .await
                .map_err(|e| invalid(format!("background task failed: {e}")))?;
        if let hoist_core::profiles::LocalKeysOrigin::ThisRunOnly { reason } = &keys_origin {
            tracing::warn!("the local store's keys are for this run only: {reason}");
        }
        let profiles = Arc::new(ProfileStore::open(&profiles_dir));
        let journal = hoist_core::journal::journal_in(&data_dir);
        let mut options = EngineOptions::new(&journal);
        options.credentials = DesktopCredentials::new(&keys, profiles.clone());
        let engine = Engine::start(options).await?;
        let local = match local::start(
            data_dir.join("localstore"),
            &keys,
            keys_origin,
            engine.journal(),
        )
        .await
        {
            Ok(l) => Some(l),
            Err(e) => {
                tracing::error!("the embedded local store did not start: {e}");
                None
            }
        };
        engine.resume_unfinished().await?;
        engine.load_stopped().await?;
        // After the store (watches on it were retargeted if its port changed). Hoist's
        // own data (journal, local store) and the profiles are never watched.
        let watch_settings = WatchSettings {
            protected: vec![data_dir.clone(), profiles_dir.clone()],
            ..WatchSettings::default()
        };
        let watches = WatchManager::start(engine.clone(), watch_settings).await?;
        Ok(Desktop {
            engine,
            watches,
            local,
            profiles,
            chosen: Chosen::from_env(),
            journal,
            adds: AddPreferenceFile::open(&data_dir),
            data_dir,
            subscription: std::sync::Mutex::new(None),
            pending: PendingBatches::default(),
            browse_bucket: std::sync::Mutex::new(None),
            drop_folder: std::sync::Mutex::new(None),
        })
    }

    /// The data folder shared with the `hoist` CLI (journal, local store).
    pub fn data_dir(&self) -> &std::path::Path {
        &self.data_dir
    }

    /// Where adds go now: the destination chosen for the active profile (its bucket
    /// and folder), else the profile's own.
    pub fn current_target(&self) -> Result<Target> {
        Ok(self.target_of(self.destination()?)?.1)
    }

    /// Paths the page names (`add_paths`): each must be one the user chose (see
    /// `chosen`); a page cannot make Hoist read anything else.
    pub async fn add_paths(
        &self,
        paths: Vec<String>,
        destination: Option<Destination>,
    ) -> Result<AddOutcome> {
        check_count(paths.len())?;
        let checked = paths
            .iter()
            .map(|p| self.chosen.take(p, Purpose::Upload))
            .collect::<Result<Vec<_>>>()?;
        match destination {
            Some(d) => self.add_chosen(checked, Some(d)).await,
            // Like a drop: into the Browser's folder while it is shown.
            None => self.add_dropped(checked).await,
        }
    }

    /// Files and folders Rust received from a native drop or file dialog, to
    /// `destination` (`None` = the current one).
    pub async fn add_chosen(
        &self,
        paths: Vec<PathBuf>,
        destination: Option<Destination>,
    ) -> Result<AddOutcome> {
        check_count(paths.len())?;
        self.add_to(paths, destination, true).await
    }

    /// A folder the user just picked to watch, usable by `add_watch` (once).
    pub fn grant_watch_folder(&self, folder: PathBuf) {
        self.chosen.grant([folder], Purpose::Watch);
    }

    pub fn settings(&self) -> AppSettings {
        let (target, target_problem) = match self.current_target() {
            Ok(t) => {
                let local = t.profile.as_deref() == Some(local::LOCAL_PROFILE);
                (Some(settings::summary(&t, local)), None)
            }
            Err(e) => (None, Some(e.to_string())),
        };
        AppSettings {
            target,
            target_problem,
            profiles_file: self.profiles.path().display().to_string(),
            local_store: self.local.as_ref().map(LocalRuntime::info),
            journal: self.journal.display().to_string(),
        }
    }

    pub async fn list_profiles(&self) -> Result<ProfileList> {
        let store = self.profiles.clone();
        blocking(move || store.list()).await
    }

    pub async fn save_profile(&self, form: ProfileForm) -> Result<ProfileList> {
        let update = settings::form_to_update(form)?;
        let store = self.profiles.clone();
        blocking(move || store.save(update).and_then(|_| store.list())).await
    }

    pub async fn delete_profile(&self, name: String) -> Result<ProfileList> {
        check_name(&name)?;
        let store = self.profiles.clone();
        let forget = name.clone();
        let list = blocking(move || store.remove(&name).and_then(|_| store.list())).await?;
        if let Err(e) = self.adds.forget(&forget) {
            tracing::warn!("forgetting the destination of profile {forget}: {e}");
        }
        Ok(list)
    }

    /// `None` = the embedded local store.
    pub async fn use_profile(&self, name: Option<String>) -> Result<AppSettings> {
        if let Some(n) = &name {
            check_name(n)?;
        }
        let store = self.profiles.clone();
        blocking(move || store.set_active(name.as_deref())).await?;
        Ok(self.settings())
    }

    pub async fn test_profile(
        &self,
        name: String,
        bucket: Option<String>,
    ) -> Result<ConnectionReport> {
        check_name(&name)?;
        let bucket = bucket
            .map(|b| b.trim().to_owned())
            .filter(|b| !b.is_empty());
        let base = hoist_core::s3::load_base_config().await;
        Ok(hoist_core::profiles::test_profile(self.profiles.clone(), &base, &name, bucket).await?)
    }

    pub async fn aws_profiles(&self) -> Result<Vec<AwsFileProfile>> {
        blocking(|| AwsFiles::from_env().profiles()).await
    }

    pub async fn import_aws_profile(&self, form: AwsImportForm) -> Result<ProfileList> {
        if form.aws_profile.is_empty() || form.aws_profile.len() > 128 {
            return Err(invalid("name the AWS profile to import"));
        }
        if let Some(n) = &form.name {
            check_name(n)?;
        }
        let store = self.profiles.clone();
        let req = AwsImport {
            aws_profile: form.aws_profile,
            name: form.name,
            bucket: form.bucket.filter(|b| !b.trim().is_empty()),
            remove_plaintext: form.remove_plaintext,
            backup: form.backup,
        };
        blocking(move || {
            store
                .import_aws(&AwsFiles::from_env(), req)
                .and_then(|_| store.list())
        })
        .await
    }

    /// Keeps one event feed: the window's newest channel replaces the one before.
    pub fn replace_subscription(&self, feed: tauri::async_runtime::JoinHandle<()>) {
        let old = self
            .subscription
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .replace(feed);
        if let Some(old) = old {
            old.abort();
        }
    }

    /// The current target's bucket (or another bucket on the same store) for links and
    /// the browser. Keys there are whole keys, so the upload prefix is not applied.
    /// The Browser's access: the target, in the bucket picked for this profile.
    pub fn browse_access(&self) -> Result<BucketAccess> {
        let profile = self.current_target()?.profile;
        let picked = self
            .browse_bucket
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .filter(|(p, _)| *p == profile)
            .map(|(_, b)| b);
        self.access(picked)
    }

    /// Picks the Browser's bucket for the current profile (`None`: its own); returns
    /// the bucket shown now.
    pub fn set_browse_bucket(&self, bucket: Option<String>) -> Result<String> {
        let target = self.current_target()?;
        let shown = bucket.clone().unwrap_or_else(|| target.bucket.clone());
        *self.browse_bucket.lock().unwrap_or_else(|p| p.into_inner()) =
            bucket.map(|b| (target.profile, b));
        Ok(shown)
    }

    /// Files dropped on the window go to `prefix` in the Browser's bucket (`None`: the
    /// queue's destination).
    pub fn set_drop_folder(&self, prefix: Option<String>) -> Result<()> {
        let value = match prefix {
            Some(p) => {
                let profile = self.current_target()?.profile;
                Some((profile, self.browse_access()?.bucket().to_owned(), p))
            }
            None => None,
        };
        *self.drop_folder.lock().unwrap_or_else(|p| p.into_inner()) = value;
        Ok(())
    }

    /// Dropped files: into the folder the Browser shows (as named there: the profile's
    /// key template is for the queue's destination), else like any added file.
    pub async fn add_dropped(&self, paths: Vec<PathBuf>) -> Result<AddOutcome> {
        check_count(paths.len())?;
        let shown_profile = self.current_target()?.profile;
        let folder = self
            .drop_folder
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .filter(|(profile, _, _)| *profile == shown_profile);
        let Some((_, bucket, prefix)) = folder else {
            return self.add_to(paths, None, true).await;
        };
        let destination = Destination {
            profile: self.destination()?.profile,
            bucket,
            prefix,
        };
        self.add_to(paths, Some(destination), false).await
    }

    pub fn access(&self, bucket: Option<String>) -> Result<BucketAccess> {
        let mut target = self.current_target()?;
        target.prefix.clear();
        if let Some(b) = bucket {
            target.bucket = b;
        }
        Ok(self.engine.access(target)?)
    }

    /// Makes a share link and records it in the link history.
    pub async fn share(
        &self,
        key: &str,
        bucket: Option<String>,
        expires_in: Duration,
        disposition: Option<Disposition>,
    ) -> Result<ShareLink> {
        let a = self.access(bucket)?;
        let link = share::share_link(&a, key, expires_in, disposition).await?;
        Ok(self.engine.journal().record_link(&link)?)
    }

    /// Marks an upload "copy link when done" (in the journal: it survives a restart).
    pub fn set_auto_copy(&self, id: UploadId, expires_secs: u64) -> Result<()> {
        Ok(self
            .engine
            .journal()
            .mark_copy_when_done(id, expires_secs)?)
    }

    /// Takes the mark (once): `Some(lifetime)` means this caller makes the link.
    pub fn take_auto_copy(&self, id: UploadId) -> Option<u64> {
        self.engine
            .journal()
            .take_copy_when_done(id)
            .unwrap_or_else(|e| {
                tracing::warn!("journal: the copy-link mark of upload {id}: {e}");
                None
            })
    }

    /// Stops the workers (the journal keeps them for the next start) and the store.
    /// Whether closing the window would stop work: an upload queued or running, or
    /// a watch enabled.
    pub async fn busy(&self) -> bool {
        let uploading = self.engine.snapshot().await.is_ok_and(|items| {
            items.iter().any(|i| {
                matches!(
                    i.state,
                    hoist_core::ItemState::Queued | hoist_core::ItemState::Running
                )
            })
        });
        uploading
            || self
                .watches
                .list()
                .await
                .is_ok_and(|w| w.iter().any(|w| w.enabled))
    }

    pub async fn shutdown(&self) {
        if let Err(e) = self.watches.stop().await {
            tracing::warn!("watcher stop: {e}");
        }
        if let Err(e) = self.engine.shutdown().await {
            tracing::warn!("engine shutdown: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A page calling the app's own commands cannot queue a file the user never chose
    /// nor watch a folder it names: nothing reaches the queue or the watches.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_page_cannot_queue_or_watch_what_the_user_did_not_choose() {
        let dir = tempfile::tempdir().unwrap();
        let ssh = dir.path().join("home").join(".ssh");
        std::fs::create_dir_all(&ssh).unwrap();
        let key = ssh.join("id_ed25519");
        std::fs::write(&key, b"-----BEGIN OPENSSH PRIVATE KEY-----").unwrap();
        let desktop = Desktop::start(dir.path().join("data"), dir.path().join("config"))
            .await
            .unwrap();
        let s = |p: &std::path::Path| p.to_str().unwrap().to_owned();
        for paths in [vec![s(&key)], vec![s(&ssh)], vec!["/etc/passwd".to_owned()]] {
            let err = desktop.add_paths(paths.clone(), None).await.unwrap_err();
            assert!(
                err.to_string().contains("not chosen by you"),
                "{paths:?}: {err}"
            );
        }
        for root in ["/etc".to_owned(), s(&ssh)] {
            let err = desktop
                .add_watch(root.clone(), String::new(), false, None)
                .await
                .unwrap_err();
            assert!(
                err.to_string().contains("not chosen by you"),
                "{root}: {err}"
            );
        }
        assert!(desktop.engine.snapshot().await.unwrap().is_empty());
        assert!(desktop.watches.list().await.unwrap().is_empty());
        desktop.shutdown().await;
    }
}
