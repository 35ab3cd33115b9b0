//! Folders a watch must not take: the whole disk, system folders, and Hoist's own data
//! (its journal, the local store, profiles), which would upload themselves again after
//! every write. The home folder is allowed only when the user confirms it; Hoist's data
//! inside it is then left out of the watch.

use std::path::{Path, PathBuf};

use crate::error::{HoistError, Result};

/// Folders that are never a watch's root: the top of the disk and what the system owns.
const SYSTEM_ROOTS: &[&str] = &[
    "/",
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/home",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/media",
    "/mnt",
    "/opt",
    "/proc",
    "/run",
    "/run/media",
    "/sbin",
    "/srv",
    "/sys",
    "/tmp",
    "/usr",
    "/var",
    // macOS
    "/Applications",
    "/Library",
    "/System",
    "/Users",
    "/Volumes",
    "/private",
];

/// Folders whose insides are never a watch's root either (kernel and system files).
const SYSTEM_TREES: &[&str] = &[
    "/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/proc", "/sbin", "/sys", "/usr",
    "/System",
];

/// What a new watch's root is checked against.
#[derive(Debug, Clone, Default)]
pub struct RootGuard {
    /// Hoist's own files and folders (canonical where they exist).
    pub protected: Vec<PathBuf>,
    /// The user's home folder: allowed only with `allow_home`.
    pub home: Option<PathBuf>,
}

impl RootGuard {
    /// Protects the journal (and its WAL beside it) and `also` (the local store,
    /// profiles); the home folder is the user's.
    pub fn new(journal: &Path, also: &[PathBuf]) -> RootGuard {
        let mut protected = vec![canonical(journal)];
        protected.extend(also.iter().map(|p| canonical(p)));
        RootGuard {
            protected,
            home: directories::BaseDirs::new().map(|d| canonical(d.home_dir())),
        }
    }

    /// Refuses roots that cannot be meant. `root` is canonical.
    pub fn check(&self, root: &Path, allow_home: bool) -> Result<()> {
        let shown = root.display();
        if root.parent().is_none() || SYSTEM_ROOTS.iter().any(|s| root == Path::new(s)) {
            return Err(HoistError::InvalidInput(format!(
                "{shown} is the whole disk or a system folder: watch a folder of your own files instead"
            )));
        }
        if let Some(s) = SYSTEM_TREES.iter().find(|s| root.starts_with(Path::new(s))) {
            return Err(HoistError::InvalidInput(format!(
                "{shown} is inside the system folder {s}: watch a folder of your own files instead"
            )));
        }
        for p in &self.protected {
            if root.starts_with(p) {
                return Err(HoistError::InvalidInput(format!(
                    "{shown} is inside Hoist's own data ({}): its files would upload themselves again and again",
                    p.display()
                )));
            }
        }
        let is_home = self.home.as_deref() == Some(root);
        if is_home && !allow_home {
            return Err(HoistError::NeedsConfirmation(format!(
                "{shown} is your whole home folder: it holds caches and app data that change all the time. \
                 Watch a folder inside it, or confirm that you mean the whole home folder \
                 (Hoist's own data in it is left out)"
            )));
        }
        if !is_home && let Some(p) = self.protected.iter().find(|p| p.starts_with(root)) {
            return Err(HoistError::InvalidInput(format!(
                "{shown} holds Hoist's own data ({}: its journal, local store or profiles), which \
                 would upload itself after every change: watch a folder that does not contain it",
                p.display()
            )));
        }
        Ok(())
    }

    /// Paths under `root` (relative, `/`) that a watch always leaves out: Hoist's own
    /// data; for the journal its files (WAL, shared memory, lock) and, when it is a
    /// folder inside the watch, the folder holding them.
    pub fn excluded_under(&self, root: &Path, journal: &Path) -> Vec<String> {
        let journal = canonical(journal);
        let mut paths: Vec<PathBuf> = Vec::new();
        for p in &self.protected {
            if *p != journal {
                paths.push(p.clone());
                continue;
            }
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            for suffix in ["", "-wal", "-shm", "-journal"] {
                if let Some(n) = &name {
                    paths.push(p.with_file_name(format!("{n}{suffix}")));
                }
            }
            paths.push(p.with_extension("lock"));
            if let Some(folder) = p.parent() {
                paths.push(folder.to_path_buf());
            }
        }
        let mut out: Vec<String> = paths
            .iter()
            .filter_map(|p| super::config::relative_path(root, p))
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// The canonical path when it exists (so links and `..` cannot dodge the check), else
/// the path as given.
fn canonical(p: &Path) -> PathBuf {
    p.canonicalize()
        .or_else(|_| std::path::absolute(p))
        .unwrap_or_else(|_| p.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(home: &Path, data: &Path) -> RootGuard {
        RootGuard {
            protected: vec![data.join("journal.sqlite"), data.join("localstore")],
            home: Some(home.to_path_buf()),
        }
    }

    #[test]
    fn the_disk_system_folders_and_hoists_data_are_refused() {
        let g = guard(
            Path::new("/home/ann"),
            Path::new("/home/ann/.local/share/hoist"),
        );
        for bad in [
            "/",
            "/usr",
            "/etc/nginx",
            "/home",
            "/proc/1",
            "/tmp",
            "/Users",
        ] {
            assert!(g.check(Path::new(bad), true).is_err(), "{bad}");
        }
        let e = g
            .check(Path::new("/home/ann/.local/share/hoist"), false)
            .unwrap_err();
        assert!(e.to_string().contains("Hoist's own data"), "{e}");
        assert!(
            g.check(
                Path::new("/home/ann/.local/share/hoist/localstore/photos"),
                false
            )
            .is_err(),
            "inside the local store"
        );
        assert!(g.check(Path::new("/home/ann/.local"), false).is_err());
        assert!(g.check(Path::new("/home/ann/Pictures"), false).is_ok());
        assert!(g.check(Path::new("/tmp/inbox"), false).is_ok());
        assert!(g.check(Path::new("/media/ann/CARD"), false).is_ok());
    }

    #[test]
    fn the_home_folder_needs_a_confirmation_and_then_leaves_hoists_data_out() {
        let g = guard(
            Path::new("/home/ann"),
            Path::new("/home/ann/.local/share/hoist"),
        );
        let e = g.check(Path::new("/home/ann"), false).unwrap_err();
        assert!(e.to_string().contains("home folder"), "{e}");
        assert_eq!(e.code(), crate::error::ErrorCode::NeedsConfirmation);
        assert!(g.check(Path::new("/home/ann"), true).is_ok());
        let ex = g.excluded_under(
            Path::new("/home/ann"),
            Path::new("/home/ann/.local/share/hoist/journal.sqlite"),
        );
        assert!(ex.contains(&".local/share/hoist".to_string()), "{ex:?}");
        assert!(
            ex.contains(&".local/share/hoist/localstore".to_string()),
            "{ex:?}"
        );
        // The journal right in the watched folder: its files, not the whole folder.
        let g = guard(Path::new("/home/ann"), Path::new("/w"));
        assert_eq!(
            g.excluded_under(Path::new("/w"), Path::new("/w/journal.sqlite")),
            vec![
                "journal.lock",
                "journal.sqlite",
                "journal.sqlite-journal",
                "journal.sqlite-shm",
                "journal.sqlite-wal",
                "localstore"
            ]
        );
    }
}
