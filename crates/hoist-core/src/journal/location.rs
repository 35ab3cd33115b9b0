//! Where Hoist keeps its data: one folder, one journal, for the desktop app and the
//! `hoist` CLI alike, so `hoist history`, `links` and `watch list` show what the app
//! did. Both call [`data_dir`]; nothing else decides it.

use std::path::{Path, PathBuf};

use crate::error::{HoistError, Result};

/// `HOIST_DATA_DIR`, else the OS data folder (`~/.local/share/hoist` on Linux).
pub fn data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("HOIST_DATA_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    directories::ProjectDirs::from("dev", "hoist", "hoist")
        .map(|d| d.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".hoist-data"))
}

/// The shared journal in `dir`.
pub fn journal_in(dir: &Path) -> PathBuf {
    dir.join("journal.sqlite")
}

/// The desktop app's data folder before it shared the CLI's (`~/.local/share/
/// dev.hoist.desktop`): watches must not take it, and [`adopt_old_data`] moves it.
pub fn old_app_data_dir() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|d| d.data_dir().join("dev.hoist.desktop"))
}

/// Moves an older data folder's contents (journal, local store) into `dir` once,
/// when `dir` has no journal yet. When both have one, nothing moves: the old folder
/// stays where it is (merging two journals is not done) and the caller says so.
/// Returns whether anything moved.
pub fn adopt_old_data(old: &Path, dir: &Path) -> Result<bool> {
    if !journal_in(old).exists() || journal_in(dir).exists() || old == dir {
        return Ok(false);
    }
    crate::fsutil::private_dir(dir)?;
    let entries = std::fs::read_dir(old).map_err(|e| HoistError::local_file(old, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| HoistError::local_file(old, e))?;
        let to = dir.join(entry.file_name());
        // The app's log folder stays where the app writes it (it is open already).
        if to.exists() || entry.file_name() == "logs" {
            continue;
        }
        std::fs::rename(entry.path(), &to).map_err(|e| HoistError::local_file(&to, e))?;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_old_app_folder_moves_once_and_never_over_a_journal() {
        let tmp = tempfile::tempdir().unwrap();
        let (old, new) = (tmp.path().join("old"), tmp.path().join("new"));
        std::fs::create_dir_all(old.join("localstore")).unwrap();
        std::fs::write(journal_in(&old), b"old journal").unwrap();
        std::fs::write(old.join("localstore").join("obj"), b"x").unwrap();
        std::fs::create_dir_all(old.join("logs")).unwrap();
        assert!(adopt_old_data(&old, &new).unwrap());
        assert!(old.join("logs").exists(), "the open log folder stays");
        assert_eq!(std::fs::read(journal_in(&new)).unwrap(), b"old journal");
        assert!(new.join("localstore").join("obj").exists());
        // Both have a journal: nothing moves, nothing is overwritten.
        std::fs::write(journal_in(&old), b"another").unwrap();
        assert!(!adopt_old_data(&old, &new).unwrap());
        assert_eq!(std::fs::read(journal_in(&new)).unwrap(), b"old journal");
    }

    #[test]
    fn the_data_folder_is_the_environment_s_when_set() {
        // Only this test sets the variable in this process's lib tests.
        unsafe { std::env::set_var("HOIST_DATA_DIR", "/tmp/hoist-data-test") };
        assert_eq!(data_dir(), PathBuf::from("/tmp/hoist-data-test"));
        unsafe { std::env::remove_var("HOIST_DATA_DIR") };
    }
}
