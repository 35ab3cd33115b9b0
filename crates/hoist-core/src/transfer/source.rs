//! Local files: their identity (to notice a file that changed), how queued paths map
//! to object keys, and positional reads of parts.

use std::fs::Metadata;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{HoistError, Result};
use crate::s3::normalize_prefix;

/// What identifies a file's content cheaply: if any of these changed, the bytes may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileIdentity {
    pub size: u64,
    pub mtime_ns: i64,
    pub inode: u64,
}

impl FileIdentity {
    pub fn of(path: &Path) -> Result<FileIdentity> {
        let meta = std::fs::metadata(path).map_err(|e| HoistError::local_file(path, e))?;
        if !meta.is_file() {
            return Err(HoistError::local_file(path, "not a regular file"));
        }
        Ok(FileIdentity::from_metadata(&meta))
    }

    pub fn from_metadata(meta: &Metadata) -> FileIdentity {
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_nanos() as i64)
            .unwrap_or(0);
        FileIdentity {
            size: meta.len(),
            mtime_ns,
            inode: inode(meta),
        }
    }
}

#[cfg(unix)]
fn inode(meta: &Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(meta)
}

#[cfg(not(unix))]
fn inode(_meta: &Metadata) -> u64 {
    0
}

/// One file to upload and the key it lands at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    pub path: PathBuf,
    pub key: String,
    pub identity: FileIdentity,
}

fn utf8_name(path: &Path, name: &std::ffi::OsStr) -> Result<String> {
    name.to_str().map(str::to_owned).ok_or_else(|| {
        HoistError::local_file(
            path,
            "the name is not valid UTF-8, so it cannot be an S3 key",
        )
    })
}

/// Expands what the user queued: a file lands at `prefix + file name`; a folder at
/// `prefix + folder name + relative path`, recursively, with `/` separators.
/// Symlinked files are followed; symlinked folders are not (no loops).
pub fn expand(paths: &[PathBuf], prefix: &str) -> Result<Vec<SourceFile>> {
    let prefix = normalize_prefix(prefix);
    let mut out = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| HoistError::local_file(path, e))?;
        // `.` or `..` have no name of their own: use the folder's real name.
        let canonical = path
            .canonicalize()
            .map_err(|e| HoistError::local_file(path, e))?;
        let name = canonical
            .file_name()
            .ok_or_else(|| HoistError::local_file(path, "has no name to use in a key"))?;
        let name = utf8_name(path, name)?;
        if meta.is_file() {
            out.push(SourceFile {
                path: path.clone(),
                key: format!("{prefix}{name}"),
                identity: FileIdentity::from_metadata(&meta),
            });
        } else if meta.is_dir() {
            let mut entries = Vec::new();
            for entry in walkdir::WalkDir::new(path)
                .follow_links(false)
                .sort_by_file_name()
            {
                let entry = entry.map_err(|e| HoistError::local_file(path, e))?;
                let ft = entry.file_type();
                let is_file = ft.is_file()
                    || (ft.is_symlink()
                        && std::fs::metadata(entry.path())
                            .map(|m| m.is_file())
                            .unwrap_or(false));
                if !is_file {
                    continue;
                }
                let rel = entry
                    .path()
                    .strip_prefix(path)
                    .expect("walkdir yields children");
                let mut key = format!("{prefix}{name}");
                for comp in rel.components() {
                    key.push('/');
                    key.push_str(&utf8_name(entry.path(), comp.as_os_str())?);
                }
                let meta = std::fs::metadata(entry.path())
                    .map_err(|e| HoistError::local_file(entry.path(), e))?;
                entries.push(SourceFile {
                    path: entry.path().to_path_buf(),
                    key,
                    identity: FileIdentity::from_metadata(&meta),
                });
            }
            out.extend(entries);
        } else {
            return Err(HoistError::local_file(
                path,
                "is neither a file nor a folder",
            ));
        }
    }
    Ok(out)
}

/// Reads exactly `len` bytes at `offset` without moving a shared cursor, so parts of one
/// file can be read concurrently.
pub fn read_at(path: &Path, offset: u64, len: u64) -> Result<Vec<u8>> {
    crate::fsutil::read_at(path, offset, len, || {
        HoistError::local_file(path, "the file became shorter while uploading")
    })
}

pub fn content_type_for(path: &Path) -> String {
    mime_guess::from_path(path)
        .first_or_octet_stream()
        .essence_str()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_normalised() {
        assert_eq!(normalize_prefix(""), "");
        assert_eq!(normalize_prefix("/"), "");
        assert_eq!(normalize_prefix("a/b"), "a/b/");
        assert_eq!(normalize_prefix("/a//b/"), "a/b/");
    }

    #[test]
    fn files_and_folders_map_to_keys() {
        let dir = tempfile::tempdir().unwrap();
        let album = dir.path().join("Été 2026");
        std::fs::create_dir_all(album.join("raw")).unwrap();
        std::fs::write(album.join("a b+c.jpg"), b"x").unwrap();
        std::fs::write(album.join("raw").join("ünï.txt"), b"y").unwrap();
        let single = dir.path().join("notes.md");
        std::fs::write(&single, b"z").unwrap();

        let files = expand(&[album.clone(), single.clone()], "/backup/").unwrap();
        let keys: Vec<&str> = files.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(
            keys,
            vec![
                "backup/Été 2026/a b+c.jpg",
                "backup/Été 2026/raw/ünï.txt",
                "backup/notes.md"
            ]
        );
        assert_eq!(files[2].identity.size, 1);
    }

    #[test]
    fn missing_path_is_a_clear_error() {
        let err = expand(&[PathBuf::from("/definitely/not/here")], "").unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::LocalFile);
        assert!(err.to_string().contains("/definitely/not/here"));
    }

    #[test]
    fn positional_reads() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"0123456789").unwrap();
        assert_eq!(read_at(&p, 3, 4).unwrap(), b"3456");
        assert!(
            read_at(&p, 8, 4)
                .unwrap_err()
                .to_string()
                .contains("shorter")
        );
        assert_eq!(content_type_for(Path::new("a.JPG")), "image/jpeg");
        assert_eq!(
            content_type_for(Path::new("a.unknownext")),
            "application/octet-stream"
        );
    }
}
