//! When a file counts as deleted. Not finding it is not enough: a folder that became
//! unreadable, a drive or network folder mounted inside the watch that went away, or
//! any error looks the same to a scan that skips what it cannot read. A file is deleted
//! only when the filesystem says it is absent (ENOENT) in a folder that could be read,
//! on the same filesystem (mount) the file was on when it was synced.

use std::io::ErrorKind;
use std::path::Path;

use super::scan::{cannot_read, mount_of};
use crate::events::CannotRead;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proof {
    /// Proven absent: its object may go to the trash.
    Deleted,
    /// It is there (a file, a link, anything): nothing to do.
    Present,
    /// Not knowable now: the part of the watch named here cannot be read.
    CannotRead(CannotRead),
}

fn absent(kind: ErrorKind) -> bool {
    // ENOTDIR: a folder on the way was replaced by a file, so the file is gone too.
    matches!(kind, ErrorKind::NotFound | ErrorKind::NotADirectory)
}

fn parent(rel: &str) -> &str {
    rel.rsplit_once('/').map_or("", |(p, _)| p)
}

/// Whether the file at `rel` (synced while under the mount point `mount`, empty = the
/// root's filesystem) is proven deleted.
pub fn prove_deleted(root: &Path, rel: &str, mount: &str) -> Proof {
    match std::fs::symlink_metadata(root) {
        Ok(m) if m.is_dir() => {}
        _ => {
            return Proof::CannotRead(CannotRead {
                path: String::new(),
                reason: "the watched folder is missing (unplugged or unmounted?)".into(),
            });
        }
    }
    match std::fs::symlink_metadata(root.join(rel)) {
        Ok(_) => return Proof::Present,
        Err(e) if absent(e.kind()) => {}
        Err(e) => return Proof::CannotRead(cannot_read(parent(rel), &e)),
    }
    // The nearest folder above it that exists: its lookup of the next name said ENOENT,
    // so it was searchable and the name is not in it.
    let mut folder = parent(rel);
    loop {
        if folder.is_empty() {
            break;
        }
        match std::fs::symlink_metadata(root.join(folder)) {
            Ok(_) => break,
            Err(e) if absent(e.kind()) => folder = parent(folder),
            Err(e) => return Proof::CannotRead(cannot_read(parent(folder), &e)),
        }
    }
    match mount_of(root, folder) {
        Ok(now) if now == mount => Proof::Deleted,
        Ok(_) if !mount.is_empty() => Proof::CannotRead(unmounted(mount)),
        // It was on the root's filesystem and something is mounted over its folder now:
        // hidden, not deleted.
        Ok(now) => Proof::CannotRead(CannotRead {
            path: now,
            reason: "another drive or network folder is mounted over it: its earlier files are hidden, not deleted".into(),
        }),
        Err(e) => Proof::CannotRead(cannot_read(folder, &e)),
    }
}

/// A mount point inside the watch that is not mounted any more.
pub fn unmounted(mount: &str) -> CannotRead {
    CannotRead {
        path: mount.to_owned(),
        reason: "cannot read it: it was a separate drive or network folder and is not mounted now"
            .into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_file_absent_from_a_readable_folder_is_deleted() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::write(root.join("a/b/here.txt"), b"x").unwrap();
        std::fs::write(root.join("a/file-not-folder"), b"x").unwrap();
        assert_eq!(prove_deleted(root, "a/b/here.txt", ""), Proof::Present);
        assert_eq!(prove_deleted(root, "a/b/gone.txt", ""), Proof::Deleted);
        assert_eq!(
            prove_deleted(root, "a/whole/tree/gone.txt", ""),
            Proof::Deleted
        );
        assert_eq!(
            prove_deleted(root, "a/file-not-folder/x.txt", ""),
            Proof::Deleted
        );
        // Synced under a mount point that is an ordinary folder now: not proven.
        assert_eq!(
            prove_deleted(root, "a/b/gone.txt", "a"),
            Proof::CannotRead(unmounted("a"))
        );
        let missing = prove_deleted(&root.join("nope"), "x.txt", "");
        assert!(matches!(missing, Proof::CannotRead(c) if c.path.is_empty()));
    }
}
