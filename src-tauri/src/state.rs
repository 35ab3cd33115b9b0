//! What the shell holds: the engine handle, the embedded store and the active target.
//! Behaviour lives in hoist-core; this only wires it to the app's folders.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use hoist_core::share::{self, ShareLink};
use hoist_core::{AddOptions, BucketAccess, Disposition, Engine, EngineOptions, Target, UploadId};

use crate::error::{Result, invalid};
use crate::local::{self, DesktopCredentials, LocalKeys, LocalRuntime};
use crate::models::{AppSettings, TargetSettings};
use crate::settings;

/// Paths one `add_paths` call may carry (folders count once; they expand in Rust).
const MAX_PATHS: usize = 10_000;

pub struct Desktop {
    pub engine: Engine,
    local: Option<LocalRuntime>,
    target: Mutex<TargetSettings>,
    config_dir: PathBuf,
    journal: PathBuf,
    /// The task feeding the window's event channel; a reloaded page replaces it.
    subscription: Mutex<Option<tauri::async_runtime::JoinHandle<()>>>,
    /// Uploads whose share link goes to the clipboard once verified: id → seconds.
    auto_copy: Mutex<HashMap<UploadId, u64>>,
}

impl Desktop {
    /// Opens the journal, starts the local store, and resumes what a previous run
    /// left unfinished (paused and failed uploads are shown, not started).
    pub async fn start(data_dir: PathBuf, config_dir: PathBuf) -> Result<Desktop> {
        let keys = LocalKeys::generate();
        let journal = data_dir.join("journal.sqlite");
        let mut options = EngineOptions::new(&journal);
        options.credentials = DesktopCredentials::new(&keys);
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
        Ok(Desktop {
            engine,
            local,
            target: Mutex::new(settings::load(&config_dir)),
            config_dir,
            journal,
            subscription: Mutex::new(None),
            auto_copy: Mutex::new(HashMap::new()),
        })
    }

    fn target_settings(&self) -> TargetSettings {
        self.target
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn current_target(&self) -> Result<Target> {
        settings::to_target(&self.target_settings(), self.local.as_ref())
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
        AppSettings {
            target: self.target_settings(),
            local_store: self.local.as_ref().map(LocalRuntime::info),
            journal: self.journal.display().to_string(),
        }
    }

    pub fn set_target(&self, target: TargetSettings) -> Result<AppSettings> {
        let target = settings::validate(target)?;
        settings::to_target(&target, self.local.as_ref())?;
        settings::save(&self.config_dir, &target)?;
        *self.target.lock().unwrap_or_else(|p| p.into_inner()) = target;
        Ok(self.settings())
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
        if let Err(e) = self.engine.shutdown().await {
            tracing::warn!("engine shutdown: {e}");
        }
    }
}
