//! What to do when the destination key exists: overwrite, skip, or a free
//! `name (n).ext`.

use super::records::{ConflictPolicy, UploadRow};
use super::upload::{Flow, Outcome, WorkerCtx, journal_call, pooled};
use crate::error::{HoistError, Result};

/// Before a new upload's first byte: applies the conflict policy to `row` (a new key is
/// journaled and set on the row). `Some(Skipped)` when the policy skips it.
pub(super) async fn apply_conflict(
    ctx: &WorkerCtx,
    row: &mut UploadRow,
) -> std::result::Result<Option<Outcome>, Flow> {
    match resolve_conflict(ctx, row).await? {
        Some(key) if key != row.key => {
            let (id, k) = (row.id, key.clone());
            journal_call(ctx, move |j| j.set_key(id, &k)).await?;
            row.key = key;
            Ok(None)
        }
        Some(_) => Ok(None),
        None => Ok(Some(Outcome::Skipped {
            key: row.key.clone(),
            reason: "an object with this key already exists (conflict policy: skip)".into(),
        })),
    }
}

/// `Some(key)` to upload to, `None` to skip.
pub(super) async fn resolve_conflict(ctx: &WorkerCtx, row: &UploadRow) -> Result<Option<String>> {
    let policy = match row.conflict {
        ConflictPolicy::Skip => "skip",
        _ => "rename",
    };
    let head = |key: String| {
        let store = ctx.store.clone();
        async move {
            store.head(&key).await.map_err(|e| match e {
                // Write-only keys cannot see whether the key is taken.
                HoistError::Auth { code, .. } => HoistError::Auth {
                    code,
                    message: format!(
                        "these credentials may not read the bucket, so the conflict policy \
                         \"{policy}\" cannot tell whether {key} exists; use \"overwrite\" or \
                         credentials that may read"
                    ),
                },
                e => e,
            })
        }
    };
    match row.conflict {
        ConflictPolicy::Overwrite => Ok(Some(row.key.clone())),
        ConflictPolicy::Skip => {
            let exists = pooled(ctx, row.id, || head(row.key.clone()))
                .await?
                .is_some();
            Ok(if exists { None } else { Some(row.key.clone()) })
        }
        ConflictPolicy::Rename => {
            let mut n = 0;
            loop {
                let key = renamed_key(&row.key, n);
                // A name another upload in the queue reserved is not free either.
                let reserved = n > 0 && {
                    let (target, k, id) = (row.target.clone(), key.clone(), row.id);
                    journal_call(ctx, move |j| j.key_reserved(&target, &k, id)).await?
                };
                if !reserved && pooled(ctx, row.id, || head(key.clone())).await?.is_none() {
                    return Ok(Some(key));
                }
                n += 1;
                if n > 9999 {
                    return Err(HoistError::InvalidInput(format!(
                        "no free name found for {}",
                        row.key
                    )));
                }
            }
        }
    }
}

/// `photos/cat.jpg` → `photos/cat (1).jpg`.
pub(crate) fn renamed_key(key: &str, n: u32) -> String {
    if n == 0 {
        return key.to_owned();
    }
    let (dir, name) = key
        .rsplit_once('/')
        .map(|(d, n)| (format!("{d}/"), n))
        .unwrap_or((String::new(), key));
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{dir}{stem} ({n}).{ext}"),
        _ => format!("{dir}{name} ({n})"),
    }
}

#[cfg(test)]
mod tests {
    use super::renamed_key;

    #[test]
    fn renames_keep_folder_and_extension() {
        assert_eq!(renamed_key("a/cat.jpg", 0), "a/cat.jpg");
        assert_eq!(renamed_key("a/cat.jpg", 2), "a/cat (2).jpg");
        assert_eq!(renamed_key("README", 1), "README (1)");
        assert_eq!(renamed_key("dir.v2/.env", 1), "dir.v2/.env (1)");
    }
}
