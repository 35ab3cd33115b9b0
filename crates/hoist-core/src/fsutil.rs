//! Small file helpers: atomic writes, and keeping Hoist's files private to their
//! owner whatever the umask (the journal names the user's files and holds bearer
//! links; config files say where the user's data goes).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{HoistError, Result};

/// The mode of files Hoist creates for itself: read and write by the owner only.
pub const PRIVATE_FILE: u32 = 0o600;
/// The mode of Hoist's own folders.
pub const PRIVATE_DIR: u32 = 0o700;

/// Writes `bytes` to `path` so that a crash leaves either the old or the new file,
/// never half of one. The file is readable by its owner only.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with_mode(path, bytes, PRIVATE_FILE)
}

/// [`write_atomic`] with the new file's mode given (Unix; elsewhere ignored).
pub fn write_atomic_with_mode(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let fail = |e: std::io::Error| HoistError::local_file(path, e);
    let dir = path.parent().unwrap_or(Path::new("."));
    create_private_dirs(dir)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let result = (|| {
        let mut f = options.open(&tmp)?;
        // The umask may have narrowed the mode: set it exactly.
        set_mode(&f, mode)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(fail)
}

#[cfg(unix)]
fn set_mode(f: &std::fs::File, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    f.set_permissions(std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_: &std::fs::File, _: u32) -> std::io::Result<()> {
    Ok(())
}

/// Creates the folders of `dir` that are missing, each readable by its owner only;
/// folders that exist are left as they are (they may be shared ones like /tmp).
pub fn create_private_dirs(dir: &Path) -> Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(PRIVATE_DIR);
    }
    builder
        .create(dir)
        .map_err(|e| HoistError::local_file(dir, e))
}

/// One of Hoist's own folders (its data folder): created private, and made private
/// if an older install left it readable by others.
pub fn private_dir(dir: &Path) -> Result<()> {
    create_private_dirs(dir)?;
    tighten(dir, PRIVATE_DIR)
}

/// Makes an existing file private (missing files are fine: nothing to protect).
pub fn private_file(path: &Path) -> Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_file() => tighten(path, PRIVATE_FILE),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(HoistError::local_file(path, e)),
    }
}

/// Creates `path` empty and private if it is missing (so whatever opens it next keeps
/// that mode), or makes the existing file private.
pub fn create_private_file(path: &Path) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(PRIVATE_FILE);
    }
    options
        .open(path)
        .map_err(|e| HoistError::local_file(path, e))?;
    private_file(path)
}

/// Removes group and other bits beyond `mode` (never widens anything).
#[cfg(unix)]
fn tighten(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let fail = |e| HoistError::local_file(path, e);
    let current = std::fs::metadata(path).map_err(fail)?.permissions().mode() & 0o7777;
    if current & !mode == 0 {
        return Ok(());
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(current & mode)).map_err(fail)
}

#[cfg(not(unix))]
fn tighten(_: &Path, _: u32) -> Result<()> {
    Ok(())
}

/// Replaces the contents of a file the user owns (like `~/.aws/credentials`) the way
/// an editor would: a link is followed and its target edited (the link stays a link),
/// the file keeps its mode, and the old contents are kept beside it, private, only
/// when `backup` is asked for. Returns the backup's path.
pub fn rewrite_user_file(path: &Path, bytes: &[u8], backup: bool) -> Result<Option<PathBuf>> {
    let target = std::fs::canonicalize(path).map_err(|e| HoistError::local_file(path, e))?;
    let meta = std::fs::metadata(&target).map_err(|e| HoistError::local_file(&target, e))?;
    #[cfg(unix)]
    let mode = {
        use std::os::unix::fs::PermissionsExt;
        meta.permissions().mode() & 0o7777
    };
    #[cfg(not(unix))]
    let mode = {
        let _ = &meta;
        PRIVATE_FILE
    };
    let saved = if backup {
        let name = target
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("file");
        let copy = target.with_file_name(format!("{name}.hoist-backup"));
        let old = std::fs::read(&target).map_err(|e| HoistError::local_file(&target, e))?;
        write_atomic(&copy, &old)?;
        Some(copy)
    } else {
        None
    };
    write_atomic_with_mode(&target, bytes, mode)?;
    Ok(saved)
}

/// `dir/name`, or `dir/name (2).ext`, `(3)` ... : the first that does not exist, so a
/// download never replaces a file the user has (nor one a page wants replaced).
pub fn unused_name(dir: &Path, name: &str) -> PathBuf {
    let first = dir.join(name);
    if std::fs::symlink_metadata(&first).is_err() {
        return first;
    }
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s, format!(".{e}")),
        _ => (name, String::new()),
    };
    (2..)
        .map(|n| dir.join(format!("{stem} ({n}){ext}")))
        .find(|p| std::fs::symlink_metadata(p).is_err())
        .expect("some number is free")
}

/// `len` bytes of `path` from `offset` (a positional read: no shared file cursor, so
/// parts of one file can be read at once). A file shorter than that is `when_short()`.
pub fn read_at(
    path: &Path,
    offset: u64,
    len: u64,
    when_short: impl FnOnce() -> HoistError,
) -> Result<Vec<u8>> {
    let file = std::fs::File::open(path).map_err(|e| HoistError::local_file(path, e))?;
    let mut buf = vec![0u8; len as usize];
    read_into(&file, path, &mut buf, offset, when_short)?;
    Ok(buf)
}

/// Fills `buf` from the open `file` (named `path` in errors) at `offset`: the
/// positional read of [`read_at`] into a buffer the caller reuses.
pub fn read_into(
    file: &std::fs::File,
    path: &Path,
    buf: &mut [u8],
    offset: u64,
    when_short: impl FnOnce() -> HoistError,
) -> Result<()> {
    read_exact_at(file, buf, offset).map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            when_short()
        } else {
            HoistError::local_file(path, e)
        }
    })
}

#[cfg(unix)]
fn read_exact_at(file: &std::fs::File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(windows)]
fn read_exact_at(file: &std::fs::File, mut buf: &mut [u8], mut offset: u64) -> std::io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_read(buf, offset)? {
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn unused_names_never_replace_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        assert_eq!(super::unused_name(d, "a.txt"), d.join("a.txt"));
        std::fs::write(d.join("a.txt"), b"mine").unwrap();
        assert_eq!(super::unused_name(d, "a.txt"), d.join("a (2).txt"));
        std::fs::write(d.join("a (2).txt"), b"mine too").unwrap();
        assert_eq!(super::unused_name(d, "a.txt"), d.join("a (3).txt"));
        std::fs::write(d.join(".bashrc"), b"x").unwrap();
        assert_eq!(super::unused_name(d, ".bashrc"), d.join(".bashrc (2)"));
    }

    #[test]
    fn replaces_the_file_whole() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub").join("a.json");
        super::write_atomic(&p, b"one").unwrap();
        super::write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(p.parent().unwrap()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn hoists_own_folder_is_made_private_and_shared_folders_are_left_alone() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("share").join("hoist");
        super::private_dir(&data).unwrap();
        assert_eq!(mode(&data), 0o700);
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
        super::private_dir(&data).unwrap();
        assert_eq!(mode(&data), 0o700, "an older install is fixed");
        let shared = dir.path().join("shared");
        std::fs::create_dir(&shared).unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
        super::create_private_dirs(&shared).unwrap();
        super::write_atomic(&shared.join("x"), b"x").unwrap();
        assert_eq!(mode(&shared), 0o777, "an existing folder keeps its mode");
        assert_eq!(mode(&shared.join("x")), 0o600);
    }
}
