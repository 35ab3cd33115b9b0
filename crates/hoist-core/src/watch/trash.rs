//! The trash: where a watch with deletions enabled moves the object of a file deleted
//! locally. Each deletion is its own object, `<trash prefix><key>/<UTC time>`, so
//! nothing is ever overwritten there; listing and restoring read those keys back.

use std::path::{Path, PathBuf};

use aws_sdk_s3::types::ChecksumMode;
use serde::Serialize;
use tokio::io::AsyncWriteExt;

use super::config::WatchConfig;
use crate::error::{HoistError, Result};
use crate::s3::{S3Store, UploadStore, map_err, next_page};

/// A file's restore is written beside it under this suffix, then linked into place:
/// the watch never uploads a half-downloaded file.
pub const RESTORE_SUFFIX: &str = ".hoist-restore.part";

/// One deleted file's copy in the trash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct TrashedFile {
    /// Where the copy is now.
    pub trash_key: String,
    /// Where it was (and goes back to when restored).
    pub key: String,
    /// The file's path in the watched folder (`/`-separated).
    pub path: String,
    /// Milliseconds since the epoch; `null` for copies trashed before Hoist kept times.
    #[ts(type = "number | null")]
    pub deleted_at: Option<i64>,
    #[ts(type = "number")]
    pub size: u64,
}

/// `20261202T014640.123Z`: UTC, sortable, and safe in keys and file names.
pub fn stamp(ms: i64) -> String {
    let (secs, millis) = (ms.div_euclid(1000), ms.rem_euclid(1000));
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}.{millis:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The inverse of [`stamp`] (also with a `-N` suffix, see [`move_to_trash`]).
pub fn parse_stamp(s: &str) -> Option<i64> {
    let s = s.split_once('-').map_or(s, |(a, _)| a);
    let b = s.as_bytes();
    if b.len() != 20 || b[8] != b'T' || b[15] != b'.' || b[19] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, mi, se, ms) = (num(9..11)?, num(11..13)?, num(13..15)?, num(16..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    Some(((days * 86_400 + h * 3600 + mi * 60 + se) * 1000) + ms)
}

// Howard Hinnant's civil-date algorithms (proleptic Gregorian).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Reads a trash key back: the original key and when it was deleted.
pub fn parse_trash_key(cfg: &WatchConfig, trash_key: &str) -> Option<(String, Option<i64>)> {
    let rest = trash_key.strip_prefix(&cfg.trash_prefix)?;
    if let Some((key, last)) = rest.rsplit_once('/')
        && let Some(at) = parse_stamp(last)
        && !key.is_empty()
    {
        return Some((key.to_owned(), Some(at)));
    }
    // Trashed before copies carried their time: the key itself.
    (!rest.is_empty() && !rest.ends_with('/')).then(|| (rest.to_owned(), None))
}

/// Moves the object at `key` into the trash as deleted at `at_ms`, never over an
/// existing copy. Returns where it went.
pub async fn move_to_trash(
    store: &S3Store,
    cfg: &WatchConfig,
    key: &str,
    at_ms: i64,
) -> Result<String> {
    let base = cfg.trash_key_for(key, at_ms);
    let mut to = base.clone();
    for n in 2.. {
        if store.head(&to).await?.is_none() {
            break;
        }
        to = format!("{base}-{n}");
    }
    store.move_object(key, &to).await?;
    Ok(to)
}

/// The watch's trashed files, newest first.
pub async fn list(store: &S3Store, cfg: &WatchConfig) -> Result<Vec<TrashedFile>> {
    let prefix = format!("{}{}", cfg.trash_prefix, cfg.prefix);
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = store
            .client()
            .list_objects_v2()
            .bucket(store.bucket())
            .prefix(&prefix)
            .set_continuation_token(token)
            .send()
            .await
            .map_err(|e| map_err(store.bucket(), e))?;
        for o in page.contents() {
            let Some(trash_key) = o.key() else { continue };
            let Some((key, deleted_at)) = parse_trash_key(cfg, trash_key) else {
                continue;
            };
            let Some(path) = key.strip_prefix(&cfg.prefix) else {
                continue;
            };
            out.push(TrashedFile {
                trash_key: trash_key.to_owned(),
                path: path.to_owned(),
                key: key.clone(),
                deleted_at,
                size: o.size().unwrap_or(0).max(0) as u64,
            });
        }
        token = next_page(&page);
        if token.is_none() {
            break;
        }
    }
    out.sort_by(|a, b| {
        b.deleted_at
            .cmp(&a.deleted_at)
            .then_with(|| a.path.cmp(&b.path))
    });
    Ok(out)
}

/// The local path a trashed file goes back to, refusing anything that would leave the
/// watched folder.
pub fn restore_path(cfg: &WatchConfig, key: &str) -> Result<PathBuf> {
    let rel = key.strip_prefix(&cfg.prefix).ok_or_else(|| {
        HoistError::InvalidInput(format!("{key} is not under this watch's prefix"))
    })?;
    let mut path = cfg.root.clone();
    for part in rel.split('/') {
        if part.is_empty() || part == "." || part == ".." || part.contains('\0') {
            return Err(HoistError::InvalidInput(format!(
                "{key} cannot be a path inside {}",
                cfg.root.display()
            )));
        }
        path.push(part);
    }
    Ok(path)
}

/// Downloads a trashed copy back into the watched folder, where the watch uploads it
/// again. Never replaces a file that is there; the copy stays in the trash.
pub async fn restore(store: &S3Store, cfg: &WatchConfig, trash_key: &str) -> Result<PathBuf> {
    let (key, _) = parse_trash_key(cfg, trash_key)
        .ok_or_else(|| HoistError::InvalidInput(format!("{trash_key} is not in the trash")))?;
    let dest = restore_path(cfg, &key)?;
    if std::fs::symlink_metadata(&dest).is_ok() {
        return Err(already_there(&dest));
    }
    let parent = dest.parent().unwrap_or(&cfg.root).to_path_buf();
    std::fs::create_dir_all(&parent).map_err(|e| HoistError::local_file(&parent, e))?;
    let part = parent.join(format!(
        "{}{RESTORE_SUFFIX}",
        dest.file_name().and_then(|n| n.to_str()).unwrap_or("file")
    ));
    let written = download(store, trash_key, &part).await;
    let placed = written.and_then(|()| {
        place(&part, &dest).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                already_there(&dest)
            } else {
                HoistError::local_file(&dest, e)
            }
        })
    });
    let _ = std::fs::remove_file(&part);
    placed.map(|()| dest)
}

/// Moves the finished download into place without ever replacing a file that appeared
/// meanwhile. On Linux a no-replace rename (the watcher sees a file moved in, ready
/// at once); elsewhere a hard link.
fn place(part: &Path, dest: &Path) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::ffi::CString;
        use std::os::unix::ffi::OsStrExt;
        let c = |p: &Path| {
            CString::new(p.as_os_str().as_bytes())
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))
        };
        let (from, to) = (c(part)?, c(dest)?);
        // SAFETY: two valid NUL-terminated paths; renameat2 only reads them.
        let r = unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                from.as_ptr(),
                libc::AT_FDCWD,
                to.as_ptr(),
                libc::RENAME_NOREPLACE,
            )
        };
        if r == 0 {
            return Ok(());
        }
        let e = std::io::Error::last_os_error();
        // Filesystems without RENAME_NOREPLACE: the hard link below.
        if !matches!(e.raw_os_error(), Some(libc::EINVAL) | Some(libc::ENOSYS)) {
            return Err(e);
        }
    }
    std::fs::hard_link(part, dest)
}

fn already_there(dest: &Path) -> HoistError {
    HoistError::InvalidInput(format!(
        "a file is already at {}: move or rename it first, then restore",
        dest.display()
    ))
}

async fn download(store: &S3Store, key: &str, to: &Path) -> Result<()> {
    let out = store
        .client()
        .get_object()
        .bucket(store.bucket())
        .key(key)
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .map_err(|e| map_err(store.bucket(), e))?;
    let expected = out.content_length().map(|n| n.max(0) as u64);
    let mut body = out.body;
    let mut file = tokio::fs::File::create(to)
        .await
        .map_err(|e| HoistError::local_file(to, e))?;
    let mut got = 0u64;
    while let Some(chunk) = body
        .try_next()
        .await
        .map_err(|e| HoistError::Network(format!("reading {key}: {e}")))?
    {
        got += chunk.len() as u64;
        file.write_all(&chunk)
            .await
            .map_err(|e| HoistError::local_file(to, e))?;
    }
    file.sync_all()
        .await
        .map_err(|e| HoistError::local_file(to, e))?;
    if expected.is_some_and(|n| n != got) {
        return Err(HoistError::Integrity(format!(
            "{key}: got {got} bytes, the store announced {}",
            expected.unwrap_or(0)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::s3::Target;

    fn cfg() -> WatchConfig {
        WatchConfig {
            id: 1,
            root: "/w".into(),
            target: Target::new("b"),
            bucket: "b".into(),
            prefix: "cam/".into(),
            profile: None,
            include: vec![],
            exclude: vec![],
            enabled: true,
            delete_remote: true,
            trash_prefix: "hoist-trash/".into(),
        }
    }

    #[test]
    fn stamps_are_utc_and_read_back() {
        assert_eq!(stamp(0), "19700101T000000.000Z");
        assert_eq!(stamp(951_782_400_007), "20000229T000000.007Z");
        for ms in [0, 951_782_400_007, 1_796_176_000_123, 4_102_444_799_999] {
            assert_eq!(parse_stamp(&stamp(ms)), Some(ms), "{}", stamp(ms));
        }
        assert_eq!(
            parse_stamp("20261202T014640.123Z-2"),
            Some(1_796_176_000_123)
        );
        assert_eq!(parse_stamp("f.txt"), None);
        assert_eq!(parse_stamp("20261302T014640.123Z"), None);
    }

    #[test]
    fn trash_keys_read_back_to_their_file() {
        let c = cfg();
        let k = c.trash_key_for("cam/a/f.txt", 1_796_176_000_123);
        assert_eq!(
            parse_trash_key(&c, &k),
            Some(("cam/a/f.txt".into(), Some(1_796_176_000_123)))
        );
        assert_eq!(
            parse_trash_key(&c, "hoist-trash/cam/old.txt"),
            Some(("cam/old.txt".into(), None)),
            "copies trashed before times were kept"
        );
        assert_eq!(parse_trash_key(&c, "cam/a/f.txt"), None);
        assert_eq!(
            restore_path(&c, "cam/a/f.txt").unwrap(),
            PathBuf::from("/w/a/f.txt")
        );
        for bad in ["cam/../etc/passwd", "cam/a//b", "other/x", "cam/./x"] {
            assert!(restore_path(&c, bad).is_err(), "{bad}");
        }
    }
}
