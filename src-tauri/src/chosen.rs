//! Local paths the user chose. The page never names a file Hoist should read: files
//! and folders to upload come from the native drop event and the file dialogs, which
//! Rust receives itself and queues at once; a folder to watch comes from a folder
//! dialog opened by Rust, and is granted here for one use shortly after. Any other
//! path a page sends (`add_paths`, `watch_add`) is refused, so a compromised page
//! cannot upload `~/.ssh` or watch `/etc`.
//!
//! The end-to-end tests cannot drive native dialogs or drops (FACTS.md). A debug
//! build reads `HOIST_E2E_CHOSEN` at start: files below that folder count as chosen.
//! Release builds ignore it, and no page can set a process's environment.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::{DesktopError, Result, invalid};

/// How long a folder picked for a watch stays usable by `watch_add`.
const GRANT_LIFETIME: Duration = Duration::from_secs(10 * 60);

/// What a chosen path may be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Upload,
    Watch,
}

struct Grant {
    path: PathBuf,
    purpose: Purpose,
    until: Instant,
}

pub struct Chosen {
    grants: Mutex<Vec<Grant>>,
    /// Folders whose contents count as chosen (the end-to-end harness's, debug only).
    test_roots: Vec<PathBuf>,
}

impl Chosen {
    pub fn new(test_roots: Vec<PathBuf>) -> Chosen {
        Chosen {
            grants: Mutex::new(Vec::new()),
            test_roots: test_roots
                .iter()
                .filter_map(|r| std::fs::canonicalize(r).ok())
                .collect(),
        }
    }

    /// The end-to-end harness's folder in debug builds; nothing in release builds.
    pub fn from_env() -> Chosen {
        #[cfg(debug_assertions)]
        let roots: Vec<PathBuf> = std::env::var_os("HOIST_E2E_CHOSEN")
            .filter(|v| !v.is_empty())
            .map(|v| vec![PathBuf::from(v)])
            .unwrap_or_default();
        #[cfg(not(debug_assertions))]
        let roots = Vec::new();
        if !roots.is_empty() {
            tracing::warn!("test build: files below {roots:?} count as chosen by the user");
        }
        Chosen::new(roots)
    }

    /// Paths Rust received from a native dialog, usable once within a few minutes.
    pub fn grant(&self, paths: impl IntoIterator<Item = PathBuf>, purpose: Purpose) {
        let until = Instant::now() + GRANT_LIFETIME;
        let mut grants = self.grants.lock().unwrap_or_else(|p| p.into_inner());
        grants.retain(|g| g.until > Instant::now());
        for p in paths {
            if let Ok(path) = std::fs::canonicalize(&p) {
                grants.push(Grant {
                    path,
                    purpose,
                    until,
                });
            }
        }
    }

    /// `raw` as the file it names, if the user chose it for `purpose`; a grant is
    /// used up. Links and `..` are resolved first, so neither can lead elsewhere.
    pub fn take(&self, raw: &str, purpose: Purpose) -> Result<PathBuf> {
        let given = Path::new(raw);
        if raw.contains('\0') || !given.is_absolute() {
            return Err(invalid(format!("{raw:?} is not an absolute path")));
        }
        let path = std::fs::canonicalize(given)
            .map_err(|e| invalid(format!("{raw:?} cannot be read: {e}")))?;
        if self.test_roots.iter().any(|root| path.starts_with(root)) {
            return Ok(path);
        }
        let mut grants = self.grants.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if let Some(i) = grants
            .iter()
            .position(|g| g.path == path && g.purpose == purpose && g.until > now)
        {
            grants.swap_remove(i);
            return Ok(path);
        }
        Err(not_chosen(raw, purpose))
    }
}

fn not_chosen(raw: &str, purpose: Purpose) -> DesktopError {
    let how = match purpose {
        Purpose::Upload => "drop it on the window or use Add files / Add folder",
        Purpose::Watch => "choose the folder with Watch a folder",
    };
    invalid(format!(
        "{raw:?} was not chosen by you in a Hoist dialog or by a drop, so Hoist will not read it: {how}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_the_user_chose_pass_and_a_grant_is_used_once() {
        let dir = tempfile::tempdir().unwrap();
        let picked = dir.path().join("Pictures");
        std::fs::create_dir(&picked).unwrap();
        let chosen = Chosen::new(Vec::new());
        let err = chosen.take("/etc", Purpose::Watch).unwrap_err();
        assert!(err.to_string().contains("not chosen by you"), "{err}");
        let raw = picked.to_str().unwrap();
        assert!(chosen.take(raw, Purpose::Watch).is_err(), "not picked yet");
        chosen.grant([picked.clone()], Purpose::Watch);
        assert!(
            chosen.take(raw, Purpose::Upload).is_err(),
            "a folder picked to watch is not a file to upload"
        );
        assert_eq!(
            chosen.take(raw, Purpose::Watch).unwrap(),
            picked.canonicalize().unwrap()
        );
        assert!(chosen.take(raw, Purpose::Watch).is_err(), "used up");
        assert!(chosen.take("relative/path", Purpose::Upload).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_test_root_covers_its_files_but_not_what_links_or_dots_lead_to() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("chosen");
        let secret = dir.path().join("home").join(".ssh");
        std::fs::create_dir_all(root.join("album")).unwrap();
        std::fs::create_dir_all(&secret).unwrap();
        std::fs::write(root.join("album/a.jpg"), b"a").unwrap();
        std::fs::write(secret.join("id_ed25519"), b"key").unwrap();
        std::os::unix::fs::symlink(&secret, root.join("link")).unwrap();
        let chosen = Chosen::new(vec![root.clone()]);
        let s = |p: PathBuf| p.to_str().unwrap().to_owned();
        assert!(
            chosen
                .take(&s(root.join("album/a.jpg")), Purpose::Upload)
                .is_ok()
        );
        assert!(chosen.take(&s(root.join("album")), Purpose::Watch).is_ok());
        for escape in [
            root.join("../home/.ssh/id_ed25519"),
            root.join("link/id_ed25519"),
            root.join("link"),
            secret.join("id_ed25519"),
        ] {
            assert!(
                chosen.take(&s(escape.clone()), Purpose::Upload).is_err(),
                "{}",
                escape.display()
            );
        }
    }
}
