//! What the shell holds: the engine handle, the embedded store and the profiles.
//! Behaviour lives in hoist-core; this only wires it to the app's folders.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hoist_core::objects::share::{self, ShareLink};
use hoist_core::profiles::{
    AwsFileProfile, AwsFiles, AwsImport, ConnectionReport, ProfileList, validate_name,
};
use hoist_core::{
    AddOptions, BucketAccess, Disposition, Engine, EngineOptions, ProfileStore, Target, UploadId,
    WatchManager, WatchSettings,
};

use crate::error::{Result, invalid};
use crate::local::{self, DesktopCredentials, LocalKeys, LocalRuntime};
use crate::models::{AppSettings, AwsImportForm, ProfileForm};
use crate::settings;

/// Paths one `add_paths` call may carry (folders count once; they expand in Rust).
const MAX_PATHS: usize = 10_000;

pub struct Desktop {
    pub engine: Engine,
    /// Watched folders; their state comes on the engine's event stream.
    pub watches: WatchManager,
    pub(crate) local: Option<LocalRuntime>,
    pub(crate) profiles: Arc<ProfileStore>,
    journal: PathBuf,
    /// The task feeding the window's event channel; a reloaded page replaces it.
    subscription: std::sync::Mutex<Option<tauri::async_runtime::JoinHandle<()>>>,
    /// Uploads whose share link goes to the clipboard once verified: id → seconds.
    auto_copy: std::sync::Mutex<HashMap<UploadId, u64>>,
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
        let keys = LocalKeys::generate();
        let profiles = Arc::new(ProfileStore::open(&profiles_dir));
        let journal = data_dir.join("journal.sqlite");
        let mut options = EngineOptions::new(&journal);
        options.credentials = DesktopCredentials::new(&keys, profiles.clone());
        let engine = Engine::start(options).await?;
        let local = match local::start(data_dir.join("localstore"), &keys, engine.journal()).await {
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
            journal,
            subscription: std::sync::Mutex::new(None),
            auto_copy: std::sync::Mutex::new(HashMap::new()),
        })
    }

    pub fn current_target(&self) -> Result<Target> {
        let active = self.profiles.active()?;
        settings::to_target(active.as_ref(), self.local.as_ref())
    }

    /// The files and folders a drop, the picker or a test hands over.
    pub async fn add_paths(&self, paths: Vec<String>) -> Result<Vec<UploadId>> {
        if paths.is_empty() {
            return Err(invalid("no files were given"));
        }
        if paths.len() > MAX_PATHS {
            return Err(invalid(format!(
                "{} paths at once is too many (at most {MAX_PATHS}); drop their folder instead",
                paths.len()
            )));
        }
        let mut checked = Vec::with_capacity(paths.len());
        for p in paths {
            let path = PathBuf::from(&p);
            if p.contains('\0') || !path.is_absolute() {
                return Err(invalid(format!("{p:?} is not an absolute path")));
            }
            checked.push(path);
        }
        let target = self.current_target()?;
        Ok(self
            .engine
            .add(checked, target, AddOptions::default())
            .await?)
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
        blocking(move || store.remove(&name).and_then(|_| store.list())).await
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

    pub fn set_auto_copy(&self, id: UploadId, expires_secs: u64) {
        self.auto_copy
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, expires_secs);
    }

    pub fn take_auto_copy(&self, id: UploadId) -> Option<u64> {
        self.auto_copy
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&id)
    }

    /// Stops the workers (the journal keeps them for the next start) and the store.
    pub async fn shutdown(&self) {
        if let Err(e) = self.watches.stop().await {
            tracing::warn!("watcher stop: {e}");
        }
        if let Err(e) = self.engine.shutdown().await {
            tracing::warn!("engine shutdown: {e}");
        }
    }
}
