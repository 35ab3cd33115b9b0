//! The Watches tab's commands: argument checks and translation only; watching is
//! hoist-core's. Each watch has its own target (a profile or the local store, a
//! bucket, a prefix) and patterns.

use std::path::{Path, PathBuf};

use hoist_core::{
    DeletionDecision, Target, TrashedFile, WatchConfig, WatchId, WatchSpec, WatchStatus,
};
use tauri::State;

use crate::chosen::Purpose;
use crate::error::{Result, invalid};
use crate::local::LOCAL_PROFILE;
use crate::models::WatchOptions;
use crate::settings;
use crate::state::{Desktop, blocking, check_name};

/// Patterns one watch may carry, and their length.
const MAX_PATTERNS: usize = 200;
const MAX_PATTERN_LEN: usize = 512;

fn check_watch(id: WatchId) -> Result<WatchId> {
    if id > 0 {
        Ok(id)
    } else {
        Err(invalid(format!("{id} is not a watch id")))
    }
}

fn check_patterns(list: &[String]) -> Result<Vec<String>> {
    if list.len() > MAX_PATTERNS {
        return Err(invalid(format!(
            "{} patterns is too many (at most {MAX_PATTERNS})",
            list.len()
        )));
    }
    if list
        .iter()
        .any(|p| p.len() > MAX_PATTERN_LEN || p.contains('\0'))
    {
        return Err(invalid("a pattern is too long or not text"));
    }
    Ok(list
        .iter()
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect())
}

impl Desktop {
    /// Where a watch's files go: with no options, the current settings' target (what
    /// the folder picker in older versions did); else the chosen profile (or the local
    /// store) and bucket.
    async fn watch_target(&self, options: Option<&WatchOptions>) -> Result<Target> {
        let Some(o) = options else {
            return self.current_target();
        };
        let bucket = o
            .bucket
            .as_deref()
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .map(str::to_owned);
        if bucket.as_ref().is_some_and(|b| b.len() > 63) {
            return Err(invalid("a bucket name is at most 63 characters"));
        }
        let mut target = match o.profile.as_deref() {
            None | Some(LOCAL_PROFILE) => settings::to_target(None, self.local.as_ref())?,
            Some(name) => {
                check_name(name)?;
                let (store, name) = (self.profiles.clone(), name.to_owned());
                let b = bucket.clone();
                blocking(move || store.require(&name)?.target(b.as_deref())).await?
            }
        };
        if let Some(b) = bucket {
            target.bucket = b;
        }
        Ok(target)
    }

    async fn watch_spec(
        &self,
        root: String,
        prefix: String,
        delete_remote: bool,
        options: Option<&WatchOptions>,
    ) -> Result<WatchSpec> {
        let path = PathBuf::from(&root);
        if root.contains('\0') || !path.is_absolute() {
            return Err(invalid(format!("{root:?} is not an absolute path")));
        }
        if prefix.len() > 512 || prefix.contains('\0') {
            return Err(invalid("the prefix is too long or not text"));
        }
        let mut target = self.watch_target(options).await?;
        target.prefix = prefix;
        let (include, exclude, allow_home) = match options {
            None => (Vec::new(), None, false),
            Some(o) => (
                check_patterns(&o.include)?,
                o.exclude.as_deref().map(check_patterns).transpose()?,
                o.allow_home,
            ),
        };
        Ok(WatchSpec {
            include,
            exclude,
            delete_remote,
            allow_home,
            ..WatchSpec::new(path, target)
        })
    }

    pub async fn add_watch(
        &self,
        root: String,
        prefix: String,
        delete_remote: bool,
        options: Option<WatchOptions>,
    ) -> Result<WatchConfig> {
        // Only a folder the user picked (`pick_watch_folder`), links and `..` resolved.
        let path = self.chosen.take(&root, Purpose::Watch)?;
        let spec = self
            .watch_spec(
                path.display().to_string(),
                prefix,
                delete_remote,
                options.as_ref(),
            )
            .await?;
        match self.watches.add(spec).await {
            Ok(w) => Ok(w),
            Err(e) => {
                // Still the user's choice when they answer a question (home folder).
                self.chosen.grant([path], Purpose::Watch);
                Err(e.into())
            }
        }
    }

    pub async fn update_watch(
        &self,
        id: WatchId,
        root: String,
        prefix: String,
        delete_remote: bool,
        options: WatchOptions,
    ) -> Result<WatchConfig> {
        let id = check_watch(id)?;
        // The watch's own folder, or another one the user just picked.
        let current = self.watches.status(id).await?.root;
        let root = if Path::new(&root) == current {
            root
        } else {
            let path = self.chosen.take(&root, Purpose::Watch)?;
            path.display().to_string()
        };
        let spec = self
            .watch_spec(root, prefix, delete_remote, Some(&options))
            .await?;
        Ok(self.watches.update(id, spec).await?)
    }
}

#[tauri::command]
pub async fn watch_list(state: State<'_, Desktop>) -> Result<Vec<WatchStatus>> {
    Ok(state.watches.list().await?)
}

/// Watches a folder (from the folder picker). Without `options`, into the current
/// target's bucket with the default patterns.
#[tauri::command]
pub async fn watch_add(
    state: State<'_, Desktop>,
    root: String,
    prefix: String,
    delete_remote: bool,
    options: Option<WatchOptions>,
) -> Result<WatchConfig> {
    state.add_watch(root, prefix, delete_remote, options).await
}

/// Changes a watch's folder, target, patterns or deletion choice.
#[tauri::command]
pub async fn watch_update(
    state: State<'_, Desktop>,
    id: WatchId,
    root: String,
    prefix: String,
    delete_remote: bool,
    options: WatchOptions,
) -> Result<WatchConfig> {
    state
        .update_watch(id, root, prefix, delete_remote, options)
        .await
}

#[tauri::command]
pub async fn watch_remove(state: State<'_, Desktop>, id: WatchId) -> Result<()> {
    Ok(state.watches.remove(check_watch(id)?).await?)
}

#[tauri::command]
pub async fn watch_set_enabled(
    state: State<'_, Desktop>,
    id: WatchId,
    enabled: bool,
) -> Result<()> {
    Ok(state.watches.set_enabled(check_watch(id)?, enabled).await?)
}

#[tauri::command]
pub async fn watch_rescan(state: State<'_, Desktop>, id: WatchId) -> Result<()> {
    Ok(state.watches.rescan(check_watch(id)?).await?)
}

/// The patterns a new watch skips unless told otherwise.
#[tauri::command]
pub fn watch_default_excludes() -> Vec<String> {
    hoist_core::watch::DEFAULT_EXCLUDES
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// The watch's deleted files in the trash, newest first.
#[tauri::command]
pub async fn watch_trash(state: State<'_, Desktop>, id: WatchId) -> Result<Vec<TrashedFile>> {
    Ok(state.watches.trash(check_watch(id)?).await?)
}

/// Puts a trashed file back into the folder; returns its path.
#[tauri::command]
pub async fn watch_restore(
    state: State<'_, Desktop>,
    id: WatchId,
    trash_key: String,
) -> Result<String> {
    if trash_key.is_empty() || trash_key.len() > 2048 {
        return Err(invalid("that is not a trashed file's key"));
    }
    let path = state.watches.restore(check_watch(id)?, &trash_key).await?;
    Ok(path.display().to_string())
}

/// The answer to the large-deletion guard: `approve` moves the held deletions'
/// objects to the trash, otherwise they stay in the bucket. Returns how many.
#[tauri::command]
pub async fn watch_decide_deletions(
    state: State<'_, Desktop>,
    id: WatchId,
    approve: bool,
) -> Result<u64> {
    let decision = if approve {
        DeletionDecision::MoveToTrash
    } else {
        DeletionDecision::KeepRemote
    };
    Ok(state
        .watches
        .decide_deletions(check_watch(id)?, decision)
        .await?)
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::{Duration, Instant};

    use hoist_core::WatchPhase;
    use hoist_core::s3::UploadStore;

    use super::*;

    /// What the folder picker does: the folder becomes the user's choice.
    fn pick(d: &Desktop, folder: &Path) {
        if let Ok(path) = std::fs::canonicalize(folder) {
            d.grant_watch_folder(path);
        }
    }

    fn options(include: &[&str], exclude: Option<&[&str]>) -> WatchOptions {
        let v = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        WatchOptions {
            profile: None,
            bucket: None,
            include: v(include),
            exclude: exclude.map(v),
            allow_home: false,
        }
    }

    async fn wait(d: &Desktop, id: WatchId, what: &str, done: impl Fn(&WatchStatus) -> bool) {
        let t0 = Instant::now();
        loop {
            let s = d.watches.status(id).await.unwrap();
            if done(&s) {
                return;
            }
            assert!(t0.elapsed() < Duration::from_secs(60), "{what}: {s:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn synced(n: u64) -> impl Fn(&WatchStatus) -> bool {
        move |s| s.phase == WatchPhase::Watching && s.pending == 0 && s.synced_files == n
    }

    async fn has(d: &Desktop, key: &str) -> bool {
        d.access(None)
            .unwrap()
            .store()
            .head(key)
            .await
            .unwrap()
            .is_some()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn each_watch_has_its_own_target_patterns_and_trash() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("Photos");
        std::fs::create_dir(&folder).unwrap();
        std::fs::write(folder.join("a.jpg"), b"jpeg").unwrap();
        std::fs::write(folder.join("b.txt"), b"text").unwrap();
        std::fs::write(folder.join("c.png"), b"png").unwrap();
        let d = Desktop::start(dir.path().join("data"), dir.path().join("profiles"))
            .await
            .unwrap();
        let root = folder.display().to_string();
        pick(&d, &folder);

        // The local store, only *.jpg and *.txt, but not *.txt.
        let w = d
            .add_watch(
                root.clone(),
                "cam".into(),
                false,
                Some(options(&["*.jpg", "*.txt"], Some(&["*.txt"]))),
            )
            .await
            .unwrap();
        assert_eq!(w.prefix, "cam/");
        assert_eq!(w.profile.as_deref(), Some(LOCAL_PROFILE));
        wait(&d, w.id, "a.jpg synced", synced(1)).await;
        assert!(has(&d, "cam/a.jpg").await);
        assert!(!has(&d, "cam/b.txt").await);
        let s = d.watches.status(w.id).await.unwrap();
        assert_eq!(s.include, vec!["*.jpg", "*.txt"]);
        assert_eq!(s.exclude, vec!["*.txt"]);

        // Edited: another prefix, the default excludes, deletions to the trash.
        let u = d
            .update_watch(
                w.id,
                root.clone(),
                "pics".into(),
                true,
                options(&["*.jpg", "*.txt"], None),
            )
            .await
            .unwrap();
        assert_eq!((u.id, u.prefix.as_str()), (w.id, "pics/"));
        wait(&d, w.id, "two files under pics/", synced(2)).await;
        assert!(has(&d, "pics/a.jpg").await && has(&d, "pics/b.txt").await);
        assert!(!has(&d, "pics/c.png").await);

        std::fs::remove_file(folder.join("a.jpg")).unwrap();
        wait(&d, w.id, "a.jpg deleted", synced(1)).await;
        let t0 = Instant::now();
        let trash = loop {
            let t = d.watches.trash(w.id).await.unwrap();
            if !t.is_empty() {
                break t;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(30),
                "nothing in the trash"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(trash[0].path, "a.jpg");
        assert!(!has(&d, "pics/a.jpg").await);
        let back = d.watches.restore(w.id, &trash[0].trash_key).await.unwrap();
        assert_eq!(std::fs::read(back).unwrap(), b"jpeg");
        wait(&d, w.id, "a.jpg restored", synced(2)).await;
        assert!(has(&d, "pics/a.jpg").await);
        let nothing_held = d
            .watches
            .decide_deletions(w.id, DeletionDecision::MoveToTrash)
            .await;
        assert!(nothing_held.is_err());
        d.shutdown().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn bad_watch_requests_are_refused_in_words() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let d = Desktop::start(data.clone(), dir.path().join("profiles"))
            .await
            .unwrap();
        let add = |root: &Path, o: Option<WatchOptions>| {
            pick(&d, root);
            d.add_watch(root.display().to_string(), String::new(), false, o)
        };
        let msg = |r: Result<WatchConfig>| r.unwrap_err().to_string();
        // Hoist's own data: the journal and the local store live there.
        let e = msg(add(&data, None).await);
        assert!(e.contains("Hoist's own data"), "{e}");
        let e = msg(add(&data.join("localstore"), None).await);
        assert!(e.contains("Hoist's own data"), "{e}");
        assert!(msg(add(Path::new("/"), None).await).contains("whole disk"));
        assert!(msg(add(Path::new("relative"), None).await).contains("absolute"));
        let mine = dir.path().join("mine");
        std::fs::create_dir(&mine).unwrap();
        let e = msg(add(&mine, Some(options(&["[bad"], None))).await);
        assert!(e.contains("[bad"), "{e}");
        let many: Vec<&str> = vec!["*.x"; MAX_PATTERNS + 1];
        assert!(msg(add(&mine, Some(options(&many, None))).await).contains("too many"));
        let unknown = WatchOptions {
            profile: Some("nobody".into()),
            ..options(&[], None)
        };
        let e = msg(add(&mine, Some(unknown)).await);
        assert!(e.contains("nobody"), "{e}");
        if let Some(home) = std::env::home_dir().filter(|h| h.parent().is_some()) {
            let e = msg(add(&home, Some(options(&[], None))).await);
            assert!(e.contains("home folder"), "{e}");
        }
        assert!(d.watches.list().await.unwrap().is_empty());
        d.shutdown().await;
    }

    /// A watch on a SeaweedFS profile while the app's target stays the local store
    /// (needs the test server and a Secret Service: `scripts/with-keyring.sh`).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_watch_uploads_with_its_own_profile_not_the_active_target() {
        let Ok(endpoint) = std::env::var("HOIST_TEST_ENDPOINT") else {
            eprintln!("skipped: HOIST_TEST_ENDPOINT is not set (scripts/test.sh sets it)");
            return;
        };
        let env = |k: &str| std::env::var(k).unwrap_or_default();
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("Scans");
        std::fs::create_dir(&folder).unwrap();
        std::fs::write(folder.join("page-1.pdf"), b"%PDF scan").unwrap();
        let d = Desktop::start(dir.path().join("data"), dir.path().join("profiles"))
            .await
            .unwrap();
        d.save_profile(crate::models::ProfileForm {
            name: "seaweed".into(),
            previous_name: None,
            endpoint: Some(endpoint),
            region: Some("us-east-1".into()),
            bucket: None,
            prefix: String::new(),
            path_style: Some(true),
            checksum: hoist_core::profiles::ChecksumPreference::Auto,
            access_key_id: env("AWS_ACCESS_KEY_ID"),
            secret_access_key: Some(env("AWS_SECRET_ACCESS_KEY")),
            session_token: None,
            session_expires_at: None,
        })
        .await
        .expect("the profile is saved (is a Secret Service running?)");
        let bucket = format!("desk-watch-{}-{}", std::process::id(), fastrand::u32(..));
        let profile = d.profiles.require("seaweed").unwrap();
        let access = d
            .engine
            .access(profile.target(Some(&bucket)).unwrap())
            .unwrap();
        access
            .client()
            .create_bucket()
            .bucket(&bucket)
            .send()
            .await
            .expect("bucket created");

        pick(&d, &folder);
        let w = d
            .add_watch(
                folder.display().to_string(),
                "scans".into(),
                false,
                Some(WatchOptions {
                    profile: Some("seaweed".into()),
                    bucket: Some(bucket.clone()),
                    ..options(&["*.pdf"], None)
                }),
            )
            .await
            .unwrap();
        assert_eq!(
            (w.bucket.as_str(), w.profile.as_deref()),
            (bucket.as_str(), Some("seaweed"))
        );
        wait(&d, w.id, "the scan on SeaweedFS", synced(1)).await;
        assert!(
            access
                .store()
                .head("scans/page-1.pdf")
                .await
                .unwrap()
                .is_some()
        );
        // The app's own target is still the local store, and nothing went there.
        assert_eq!(d.settings().target.unwrap().profile, None);
        assert!(!has(&d, "scans/page-1.pdf").await);
        d.shutdown().await;
    }
}
