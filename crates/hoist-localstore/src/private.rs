//! The store's folders are 0700 and its files 0600 whatever the umask: objects are
//! the user's files, and upload records name them. s3s-fs creates files with the
//! process's umask, so what it writes is made private right after, inside a folder
//! nobody else can enter; an older install is fixed when the store starts.

use std::path::Path;

#[cfg(unix)]
mod imp {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    use std::path::Path;

    fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
        let meta = std::fs::symlink_metadata(path)?;
        // Links are left alone: chmod would change what they point to.
        if meta.file_type().is_symlink() || meta.permissions().mode() & 0o7777 == mode {
            return Ok(());
        }
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
    }

    pub fn file(path: &Path) -> std::io::Result<()> {
        set_mode(path, 0o600)
    }

    pub fn dir(path: &Path) -> std::io::Result<()> {
        set_mode(path, 0o700)
    }

    pub fn create_dir_all(path: &Path) -> std::io::Result<()> {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(path)
    }

    pub fn open_options() -> tokio::fs::OpenOptions {
        let mut o = tokio::fs::OpenOptions::new();
        o.write(true).create(true).truncate(true).mode(0o600);
        o
    }
}

#[cfg(not(unix))]
mod imp {
    use std::path::Path;

    pub fn file(_: &Path) -> std::io::Result<()> {
        Ok(())
    }
    pub fn dir(_: &Path) -> std::io::Result<()> {
        Ok(())
    }
    pub fn create_dir_all(path: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(path)
    }
    pub fn open_options() -> tokio::fs::OpenOptions {
        let mut o = tokio::fs::OpenOptions::new();
        o.write(true).create(true).truncate(true);
        o
    }
}

pub use imp::{create_dir_all, dir, file};

/// Creates (or truncates) a file only its owner can read.
pub async fn create_file(path: &Path) -> std::io::Result<tokio::fs::File> {
    imp::open_options().open(path).await
}

/// Creates `path` and its missing parents 0700, and makes `path` itself 0700.
pub fn ensure_dir(path: &Path) -> std::io::Result<()> {
    create_dir_all(path)?;
    dir(path)
}

/// Every folder below `root` (and `root`) 0700, every file 0600: an install from
/// before this rule, or files another tool put there.
pub fn fix_tree(root: &Path) -> std::io::Result<()> {
    dir(root)?;
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                dir(&entry.path())?;
                stack.push(entry.path());
            } else if kind.is_file() {
                file(&entry.path())?;
            }
        }
    }
    Ok(())
}

/// After s3s-fs wrote `bucket/key` (and its metadata files beside the tree): the
/// object, the folders between it and the bucket, and the metadata become private.
pub fn fix_object(objects: &Path, bucket: &str, key: &str) -> std::io::Result<()> {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let bucket_dir = objects.join(bucket);
    let path = bucket_dir.join(key);
    if path.is_dir() {
        dir(&path)?;
    } else if path.exists() {
        file(&path)?;
    }
    let mut parent = path.parent();
    while let Some(p) = parent {
        if !p.starts_with(&bucket_dir) {
            break;
        }
        dir(p)?;
        parent = p.parent();
    }
    for suffix in ["metadata.json", "internal.json"] {
        let meta = objects.join(format!(
            ".bucket-{}.object-{}.{suffix}",
            URL_SAFE_NO_PAD.encode(bucket),
            URL_SAFE_NO_PAD.encode(key)
        ));
        if meta.exists() {
            file(&meta)?;
        }
    }
    Ok(())
}
