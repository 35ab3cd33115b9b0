//! What the shell holds: the engine handle, the embedded store and the active target.
//! Behaviour lives in hoist-core; this only wires it to the app's folders.

use std::path::PathBuf;
use std::sync::Mutex;

use hoist_core::{
    AddOptions, Engine, EngineOptions, Target, UploadId, WatchConfig, WatchManager, WatchSettings,
    WatchSpec,
};

use crate::error::{Result, invalid};
use crate::local::{self, DesktopCredentials, LocalKeys, LocalRuntime};
use crate::models::{AppSettings, TargetSettings};
use crate::settings;

/// Paths one `add_paths` call may carry (folders count once; they expand in Rust).
const MAX_PATHS: usize = 10_000;

pub struct Desktop {
    pub engine: Engine,
    /// Watched folders; their state comes on the engine's event stream.
    pub watches: WatchManager,
    local: Option<LocalRuntime>,
    target: Mutex<TargetSettings>,
    config_dir: PathBuf,
    journal: PathBuf,
    /// The task feeding the window's event channel; a reloaded page replaces it.
    subscription: Mutex<Option<tauri::async_runtime::JoinHandle<()>>>,
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
        // After the store (watches on it were retargeted if its port changed).
        let watches = WatchManager::start(engine.clone(), WatchSettings::default()).await?;
        Ok(Desktop {
            engine,
            watches,
            local,
            target: Mutex::new(settings::load(&config_dir)),
            config_dir,
            journal,
            subscription: Mutex::new(None),
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

    /// Watches `root` into the current target's bucket under `prefix`.
    pub async fn add_watch(
        &self,
        root: String,
        prefix: String,
        delete_remote: bool,
    ) -> Result<WatchConfig> {
        let path = PathBuf::from(&root);
        if root.contains('\0') || !path.is_absolute() {
            return Err(invalid(format!("{root:?} is not an absolute path")));
        }
        if prefix.len() > 512 || prefix.contains('\0') {
            return Err(invalid("the prefix is too long or not text"));
        }
        let mut target = self.current_target()?;
        target.prefix = prefix;
        let spec = WatchSpec {
            root: path,
            target,
            include: Vec::new(),
            exclude: None,
            delete_remote,
            trash_prefix: None,
        };
        Ok(self.watches.add(spec).await?)
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
