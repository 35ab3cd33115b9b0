//! Catch-up and reconcile: walk a watched folder, and decide from the journal's record
//! which files may have changed. Size, mtime, inode and ctime decide when they can
//! (ctime catches an edit that put the mtime back); the content's CRC32C decides when
//! they cannot (an mtime too close to when the content was read, or metadata that
//! changed while the bytes may not have: then nothing is uploaded).

use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use super::config::{Patterns, relative_path};
use super::store::FileRecord;
use crate::error::{HoistError, Result};
use crate::events::CannotRead;
use crate::transfer::source::FileIdentity;

/// Filesystems with coarse timestamps (FAT: 2 s) can write again within the same mtime:
/// a file whose mtime is this close to when it was read gets read again.
pub const RACY_NS: i64 = 2_000_000_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub rel: String,
    pub identity: FileIdentity,
    pub ctime_ns: i64,
    /// The mount point (relative folder) the file lives under; empty = the watched
    /// folder's own filesystem. A file counts as deleted only where this still holds.
    pub mount: String,
}

/// The inode change time: every write and every mtime change (even one setting it
/// back) moves it, and no user can set it, so an edit that keeps size and mtime
/// still shows here.
pub fn ctime_ns(meta: &std::fs::Metadata) -> i64 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        meta.ctime().saturating_mul(1_000_000_000) + meta.ctime_nsec()
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        0
    }
}

/// What one walk of a watched folder (or a folder inside it) found.
#[derive(Debug, Default)]
pub struct Walk {
    pub files: Vec<Found>,
    /// Folders (and files) that could not be listed or looked at: nothing is known
    /// about what is under them.
    pub unreadable: Vec<CannotRead>,
    /// Folders on another filesystem than their parent (nested mounts).
    pub mounts: Vec<String>,
    /// Symbolic links seen and not followed.
    pub links_skipped: u64,
    /// Files already taken by the watcher (a large walk is taken in steps).
    pub taken: std::collections::HashSet<String>,
}

/// A folder's identity: when it changes under the same path (deleted and made again,
/// or a drive mounted there), its kernel watch must be set again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirId {
    pub dev: u64,
    pub ino: u64,
}

pub fn dir_id(meta: &std::fs::Metadata) -> DirId {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        DirId {
            dev: meta.dev(),
            ino: meta.ino(),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        DirId { dev: 0, ino: 0 }
    }
}

/// What a walk leaves out besides the patterns: Hoist's own data under the root, and
/// restores being written.
#[derive(Debug, Clone, Default)]
pub struct Skip {
    pub rels: Vec<String>,
}

impl Skip {
    pub fn skips(&self, rel: &str) -> bool {
        rel.ends_with(super::trash::RESTORE_SUFFIX)
            || self.rels.iter().any(|e| {
                rel == e
                    || (rel.starts_with(e.as_str()) && rel.as_bytes().get(e.len()) == Some(&b'/'))
            })
    }
}

/// The reason a path cannot be read, in words.
pub fn cannot_read(rel: &str, e: &std::io::Error) -> CannotRead {
    let reason = match e.kind() {
        std::io::ErrorKind::PermissionDenied => "cannot read it: permission denied".to_owned(),
        _ => format!("cannot read it: {e}"),
    };
    CannotRead {
        path: rel.to_owned(),
        reason,
    }
}

fn is_gone(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
    )
}

fn join(rel: &str, name: &str) -> String {
    if rel.is_empty() {
        name.to_owned()
    } else {
        format!("{rel}/{name}")
    }
}

/// The deepest mount point at or above the folder `rel` (empty = the root's own
/// filesystem): where a folder's device differs from its parent's.
pub fn mount_of(root: &Path, rel: &str) -> std::io::Result<String> {
    let mut best = String::new();
    let mut dev = dir_id(&std::fs::symlink_metadata(root)?).dev;
    let (mut path, mut cur) = (root.to_path_buf(), String::new());
    for part in rel.split('/').filter(|p| !p.is_empty()) {
        path.push(part);
        cur = join(&cur, part);
        let d = dir_id(&std::fs::symlink_metadata(&path)?).dev;
        if d != dev {
            best = cur.clone();
        }
        dev = d;
    }
    Ok(best)
}

/// Every file to sync under `start` (the root, or a folder inside it). Links are never
/// followed: a linked folder or file is outside what the user put in the folder, and
/// its target can change without an event here. `on_dir` runs before each folder is
/// listed (the watcher sets its kernel watch there first, so nothing written after
/// the listing is missed). Only a missing or unreadable root is an error; what cannot
/// be read below it is reported in [`Walk::unreadable`].
pub fn walk(
    root: &Path,
    start: &Path,
    patterns: &Patterns,
    skip: &Skip,
    on_dir: &mut dyn FnMut(&Path, DirId),
    cancel: &AtomicBool,
) -> Result<Walk> {
    let meta = std::fs::metadata(root).map_err(|e| HoistError::local_file(root, e))?;
    if !meta.is_dir() {
        return Err(HoistError::local_file(root, "is not a folder"));
    }
    let mut out = Walk::default();
    let start_rel = if start == root {
        String::new()
    } else {
        match relative_path(root, start) {
            Some(r) if !patterns.folder_excluded(&r) && !skip.skips(&r) => r,
            _ => return Ok(out),
        }
    };
    let start_meta = match std::fs::symlink_metadata(start) {
        Ok(m) if m.file_type().is_symlink() => {
            out.links_skipped += 1;
            return Ok(out);
        }
        Ok(m) if m.is_dir() => m,
        Ok(_) => return Ok(out),
        Err(e) if is_gone(&e) => return Ok(out),
        Err(e) => {
            out.unreadable.push(cannot_read(&start_rel, &e));
            return Ok(out);
        }
    };
    let start_mount = match mount_of(root, &start_rel) {
        Ok(m) => m,
        Err(e) if is_gone(&e) => return Ok(out),
        Err(e) => {
            out.unreadable.push(cannot_read(&start_rel, &e));
            return Ok(out);
        }
    };
    let mut stack = vec![(
        start.to_path_buf(),
        start_rel,
        start_mount,
        dir_id(&start_meta),
    )];
    while let Some((dir, rel, mount, id)) = stack.pop() {
        if cancel.load(Ordering::Relaxed) {
            return Err(HoistError::Cancelled);
        }
        on_dir(&dir, id);
        let entries = match std::fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) if is_gone(&e) => continue,
            Err(e) => {
                out.unreadable.push(cannot_read(&rel, &e));
                continue;
            }
        };
        for entry in entries {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    out.unreadable.push(cannot_read(&rel, &e));
                    break;
                }
            };
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                tracing::debug!("watch walk: skipping a name that is not UTF-8 in {rel:?}");
                continue;
            };
            let child = join(&rel, name);
            if skip.skips(&child) {
                continue;
            }
            let Ok(ft) = entry.file_type() else { continue };
            if ft.is_symlink() {
                out.links_skipped += 1;
                continue;
            }
            let is_dir = ft.is_dir();
            if is_dir && patterns.folder_excluded(&child) || !is_dir && !ft.is_file() {
                continue;
            }
            if !is_dir && !patterns.matches(&child) {
                continue;
            }
            // DirEntry::metadata does not follow links.
            let m = match entry.metadata() {
                Ok(m) => m,
                Err(e) if is_gone(&e) => continue,
                Err(e) => {
                    out.unreadable.push(cannot_read(&child, &e));
                    continue;
                }
            };
            if is_dir {
                let child_id = dir_id(&m);
                let child_mount = if child_id.dev != id.dev {
                    out.mounts.push(child.clone());
                    child.clone()
                } else {
                    mount.clone()
                };
                stack.push((entry.path(), child, child_mount, child_id));
            } else {
                out.files.push(Found {
                    rel: child,
                    identity: FileIdentity::from_metadata(&m),
                    ctime_ns: ctime_ns(&m),
                    mount: mount.clone(),
                });
            }
        }
    }
    Ok(out)
}

/// Whether metadata alone proves the file is what was uploaded.
/// An mtime within [`RACY_NS`] of when the content was read cannot prove a later
/// write (it may land in the same timestamp); one far from it can, in the past or in
/// the future (a clock that was ahead): a later write moves the mtime to "now".
pub fn unchanged(rec: &FileRecord, now: &FileIdentity, ctime_ns: i64) -> bool {
    rec.synced
        && rec.ctime_ns == ctime_ns
        && rec.size == now.size
        && rec.mtime_ns == now.mtime_ns
        && rec.inode == now.inode
        && rec.mtime_ns.abs_diff(rec.hashed_at_ns) > RACY_NS as u64
}

pub fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

/// What reading a file found: its CRC32C, identity and ctime, and when reading began.
#[derive(Debug, Clone, Copy)]
pub struct Hashed {
    pub crc32c: u32,
    pub identity: FileIdentity,
    pub ctime_ns: i64,
    pub hashed_at_ns: i64,
}

/// Reads a file for its CRC32C. `Ok(None)` when the file changed while it was read
/// (look again later). A link is not followed (not a regular file); `cancel` stops
/// the read (the watcher is quitting).
pub fn hash_file(path: &Path, cancel: &AtomicBool) -> Result<Option<Hashed>> {
    let stat = |p: &Path| -> Result<(FileIdentity, i64)> {
        let m = std::fs::symlink_metadata(p).map_err(|e| HoistError::local_file(p, e))?;
        if !m.is_file() {
            return Err(HoistError::local_file(p, "not a regular file"));
        }
        Ok((FileIdentity::from_metadata(&m), ctime_ns(&m)))
    };
    let before = stat(path)?;
    let hashed_at = now_ns();
    let mut f = open_no_follow(path).map_err(|e| HoistError::local_file(path, e))?;
    let mut buf = vec![0u8; 256 * 1024];
    let mut crc = 0u32;
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(HoistError::Cancelled);
        }
        let n = f
            .read(&mut buf)
            .map_err(|e| HoistError::local_file(path, e))?;
        if n == 0 {
            break;
        }
        crc = crc32c::crc32c_append(crc, &buf[..n]);
    }
    let after = stat(path)?;
    Ok((before == after).then_some(Hashed {
        crc32c: crc,
        identity: after.0,
        ctime_ns: after.1,
        hashed_at_ns: hashed_at,
    }))
}

fn open_no_follow(path: &Path) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut o, libc::O_NOFOLLOW);
    o.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rels(w: &Walk) -> Vec<String> {
        let mut v: Vec<String> = w.files.iter().map(|f| f.rel.clone()).collect();
        v.sort();
        v
    }

    fn run(root: &Path, start: &Path, p: &Patterns, skip: &Skip) -> Result<Walk> {
        walk(
            root,
            start,
            p,
            skip,
            &mut |_, _| {},
            &AtomicBool::new(false),
        )
    }

    fn defaults() -> Patterns {
        let excl: Vec<String> = super::super::config::DEFAULT_EXCLUDES
            .iter()
            .map(|s| s.to_string())
            .collect();
        Patterns::new(&[], &excl).unwrap()
    }

    #[test]
    fn walk_filters_and_uses_relative_slash_paths() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::create_dir_all(root.join("hoist-data")).unwrap();
        std::fs::write(root.join("a/b/x.jpg"), b"1").unwrap();
        std::fs::write(root.join("a/y.part"), b"1").unwrap();
        std::fs::write(root.join(".git/HEAD"), b"1").unwrap();
        std::fs::write(root.join("hoist-data/journal.sqlite-wal"), b"1").unwrap();
        std::fs::write(root.join("a/z.jpg.hoist-restore.part"), b"1").unwrap();
        std::fs::write(root.join("top.txt"), b"12").unwrap();
        let p = defaults();
        let skip = Skip {
            rels: vec!["hoist-data".into()],
        };
        let mut dirs = Vec::new();
        let w = walk(
            root,
            root,
            &p,
            &skip,
            &mut |d, _| dirs.push(d.to_path_buf()),
            &AtomicBool::new(false),
        )
        .unwrap();
        assert_eq!(rels(&w), vec!["a/b/x.jpg", "top.txt"]);
        assert!(w.unreadable.is_empty() && w.mounts.is_empty());
        assert!(w.files.iter().all(|f| f.mount.is_empty()));
        dirs.sort();
        assert_eq!(
            dirs,
            vec![root.to_path_buf(), root.join("a"), root.join("a/b")]
        );
        let sub = run(root, &root.join("a"), &p, &skip).unwrap();
        assert_eq!(rels(&sub), vec!["a/b/x.jpg"]);
        assert!(
            run(root, &root.join("hoist-data"), &p, &skip)
                .unwrap()
                .files
                .is_empty()
        );
        assert!(
            run(root, &root.join("vanished"), &p, &skip)
                .unwrap()
                .files
                .is_empty()
        );
        assert!(run(&root.join("gone"), &root.join("gone"), &p, &skip).is_err());
        let cancelled = walk(
            root,
            root,
            &p,
            &skip,
            &mut |_, _| {},
            &AtomicBool::new(true),
        );
        assert!(matches!(cancelled, Err(HoistError::Cancelled)));
    }

    #[cfg(unix)]
    #[test]
    fn links_to_folders_and_files_are_not_followed() {
        let d = tempfile::tempdir().unwrap();
        let (root, outside) = (d.path().join("root"), d.path().join("outside"));
        std::fs::create_dir_all(&root).unwrap();
        std::fs::create_dir_all(outside.join("deep")).unwrap();
        std::fs::write(outside.join("deep/secret.txt"), b"s").unwrap();
        std::fs::write(root.join("mine.txt"), b"m").unwrap();
        std::os::unix::fs::symlink(&outside, root.join("folder-link")).unwrap();
        std::os::unix::fs::symlink(outside.join("deep/secret.txt"), root.join("file-link"))
            .unwrap();
        let p = defaults();
        let w = run(&root, &root, &p, &Skip::default()).unwrap();
        assert_eq!(rels(&w), vec!["mine.txt"]);
        assert_eq!(w.links_skipped, 2);
        // A folder scan started on the link (an event's path) does not follow it either.
        let via = run(&root, &root.join("folder-link"), &p, &Skip::default()).unwrap();
        assert!(via.files.is_empty());
        assert!(matches!(
            hash_file(&root.join("file-link"), &AtomicBool::new(false)),
            Err(HoistError::LocalFile { .. })
        ));
    }

    #[test]
    fn same_metadata_is_trusted_only_outside_the_racy_window() {
        let id = FileIdentity {
            size: 4,
            mtime_ns: 10_000_000_000,
            inode: 1,
        };
        let mut rec = FileRecord {
            key: "k".into(),
            size: 4,
            mtime_ns: id.mtime_ns,
            inode: 1,
            crc32c: 0,
            hashed_at_ns: id.mtime_ns + 5_000_000_000,
            ctime_ns: 77,
            synced: true,
            upload: None,
            ..FileRecord::default()
        };
        assert!(unchanged(&rec, &id, 77));
        assert!(!unchanged(&rec, &FileIdentity { mtime_ns: 1, ..id }, 77));
        assert!(!unchanged(&rec, &FileIdentity { size: 5, ..id }, 77));
        assert!(!unchanged(&rec, &id, 78), "written with its mtime put back");
        rec.hashed_at_ns = id.mtime_ns + 1_000;
        assert!(
            !unchanged(&rec, &id, 77),
            "read right after a write: content must be checked"
        );
        rec.hashed_at_ns = id.mtime_ns - 86_400_000_000_000;
        assert!(
            unchanged(&rec, &id, 77),
            "an mtime far in the future (a clock that was ahead) proves as much as one in the past"
        );
        rec.hashed_at_ns = id.mtime_ns - 1_000;
        assert!(
            !unchanged(&rec, &id, 77),
            "just ahead: within the racy window"
        );
        rec.hashed_at_ns = id.mtime_ns + 5_000_000_000;
        rec.synced = false;
        assert!(!unchanged(&rec, &id, 77));
    }

    #[test]
    fn hash_matches_the_crc32c_of_the_bytes() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f");
        std::fs::write(&p, b"hello world").unwrap();
        let h = hash_file(&p, &AtomicBool::new(false)).unwrap().unwrap();
        assert_eq!(h.crc32c, crc32c::crc32c(b"hello world"));
        assert_eq!(h.identity.size, 11);
    }
}
