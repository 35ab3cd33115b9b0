//! Every journal on this machine (for this user): each journal adds its path to one
//! list when it opens, so a cleanup that must not touch another journal's unfinished
//! uploads (`hoist abort-orphans` while the desktop app has uploads paused) can ask
//! them all. The list lives in Hoist's data folder; `HOIST_JOURNAL_REGISTRY` points
//! elsewhere (tests).

use std::path::{Path, PathBuf};

/// The list's location.
pub fn registry_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("HOIST_JOURNAL_REGISTRY") {
        return Some(PathBuf::from(p));
    }
    directories::ProjectDirs::from("dev", "hoist", "hoist")
        .map(|d| d.data_dir().join("journals.txt"))
}

/// Adds a journal's path to the list (once). Best effort: a journal that cannot be
/// listed still works; only the cross-journal check misses it.
pub(crate) fn register(journal: &Path) {
    let Some(list) = registry_path() else { return };
    let journal = std::fs::canonicalize(journal).unwrap_or_else(|_| journal.to_owned());
    let listed: Vec<PathBuf> = std::fs::read_to_string(&list)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(PathBuf::from)
        .collect();
    if listed.contains(&journal) {
        return;
    }
    // Journals that are gone (deleted folders) leave the list as a new one joins it.
    let mut kept: Vec<PathBuf> = listed.into_iter().filter(|p| p.exists()).collect();
    kept.push(journal);
    let text: String = kept.iter().map(|p| format!("{}\n", p.display())).collect();
    if let Some(dir) = list.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let _ = crate::fsutil::write_atomic(&list, text.as_bytes());
}

/// The journals listed that still exist.
pub fn registered() -> Vec<PathBuf> {
    let Some(list) = registry_path() else {
        return Vec::new();
    };
    std::fs::read_to_string(list)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(PathBuf::from)
        .filter(|p| p.exists())
        .collect()
}
