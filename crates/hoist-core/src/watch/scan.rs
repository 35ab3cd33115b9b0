//! Catch-up and reconcile: walk a watched folder, and decide from the journal's record
//! which files may have changed. Size, mtime, inode and ctime decide when they can
//! (ctime catches an edit that put the mtime back); the content's CRC32C decides when
//! they cannot (an mtime too close to when the content was read, or metadata that
//! changed while the bytes may not have: then nothing is uploaded).

use std::io::Read;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use super::config::{Patterns, relative_path};
use super::store::FileRecord;
use crate::error::{HoistError, Result};
use crate::transfer::source::FileIdentity;

/// Filesystems with coarse timestamps (FAT: 2 s) can write again within the same mtime:
/// a file whose mtime is this close to when it was read gets read again.
pub const RACY_NS: i64 = 2_000_000_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub rel: String,
    pub identity: FileIdentity,
    pub ctime_ns: i64,
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

/// Every synced file under `dir` (the root, or a folder inside it). Symlinked folders
/// are not followed; unreadable entries below the root are skipped (logged), but an
/// unreadable root is an error.
pub fn walk(root: &Path, dir: &Path, patterns: &Patterns) -> Result<Vec<Found>> {
    let meta = std::fs::metadata(root).map_err(|e| HoistError::local_file(root, e))?;
    if !meta.is_dir() {
        return Err(HoistError::local_file(root, "is not a folder"));
    }
    let mut out = Vec::new();
    let mut it = walkdir::WalkDir::new(dir).follow_links(false).into_iter();
    while let Some(entry) = it.next() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                if e.path() == Some(root) {
                    return Err(HoistError::local_file(root, e));
                }
                tracing::debug!("watch walk: {e}");
                continue;
            }
        };
        let Some(rel) = relative_path(root, entry.path()) else {
            continue;
        };
        let ft = entry.file_type();
        if ft.is_dir() {
            if patterns.folder_excluded(&rel) {
                it.skip_current_dir();
            }
            continue;
        }
        if !patterns.matches(&rel) {
            continue;
        }
        // Symlinked files are followed (their content is what the user sees).
        match std::fs::metadata(entry.path()) {
            Ok(m) if m.is_file() => out.push(Found {
                rel,
                identity: FileIdentity::from_metadata(&m),
                ctime_ns: ctime_ns(&m),
            }),
            _ => {}
        }
    }
    Ok(out)
}

/// Whether metadata alone proves the file is what was uploaded.
pub fn unchanged(rec: &FileRecord, now: &FileIdentity, ctime_ns: i64) -> bool {
    rec.synced
        && rec.ctime_ns == ctime_ns
        && rec.size == now.size
        && rec.mtime_ns == now.mtime_ns
        && rec.inode == now.inode
        && rec.mtime_ns.saturating_add(RACY_NS) < rec.hashed_at_ns
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
/// (look again later).
pub fn hash_file(path: &Path) -> Result<Option<Hashed>> {
    let stat = |p: &Path| -> Result<(FileIdentity, i64)> {
        let m = std::fs::metadata(p).map_err(|e| HoistError::local_file(p, e))?;
        if !m.is_file() {
            return Err(HoistError::local_file(p, "not a regular file"));
        }
        Ok((FileIdentity::from_metadata(&m), ctime_ns(&m)))
    };
    let before = stat(path)?;
    let hashed_at = now_ns();
    let mut f = std::fs::File::open(path).map_err(|e| HoistError::local_file(path, e))?;
    let mut buf = vec![0u8; 256 * 1024];
    let mut crc = 0u32;
    loop {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walk_filters_and_uses_relative_slash_paths() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::write(root.join("a/b/x.jpg"), b"1").unwrap();
        std::fs::write(root.join("a/y.part"), b"1").unwrap();
        std::fs::write(root.join(".git/HEAD"), b"1").unwrap();
        std::fs::write(root.join("top.txt"), b"12").unwrap();
        let excl: Vec<String> = super::super::config::DEFAULT_EXCLUDES
            .iter()
            .map(|s| s.to_string())
            .collect();
        let p = Patterns::new(&[], &excl).unwrap();
        let mut found: Vec<String> = walk(root, root, &p)
            .unwrap()
            .into_iter()
            .map(|f| f.rel)
            .collect();
        found.sort();
        assert_eq!(found, vec!["a/b/x.jpg", "top.txt"]);
        let sub: Vec<String> = walk(root, &root.join("a"), &p)
            .unwrap()
            .into_iter()
            .map(|f| f.rel)
            .collect();
        assert_eq!(sub, vec!["a/b/x.jpg"]);
        assert!(walk(&root.join("gone"), &root.join("gone"), &p).is_err());
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
        rec.hashed_at_ns = id.mtime_ns + 5_000_000_000;
        rec.synced = false;
        assert!(!unchanged(&rec, &id, 77));
    }

    #[test]
    fn hash_matches_the_crc32c_of_the_bytes() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f");
        std::fs::write(&p, b"hello world").unwrap();
        let h = hash_file(&p).unwrap().unwrap();
        assert_eq!(h.crc32c, crc32c::crc32c(b"hello world"));
        assert_eq!(h.identity.size, 11);
    }
}
