//! What the Browser does with a selection in one bucket: keys and folders ("prefix/")
//! together. Deleting expands folders into their objects; moving puts each entry into a
//! destination folder under its own name (folders with everything in them); renaming
//! moves one entry; a new folder is S3's zero-byte `name/` marker.

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;

use super::manage::{self, BulkSummary, CopySettings, KeyFailure, ObjectRef, OnProgress};
use crate::error::{HoistError, Result};
use crate::s3::{map_err, next_page};

/// At most this many entries in one Browser action.
pub const MAX_SELECTION: usize = 10_000;

fn check(keys: &[String]) -> Result<()> {
    if keys.is_empty() {
        return Err(HoistError::InvalidInput("nothing is selected".into()));
    }
    if keys.len() > MAX_SELECTION {
        return Err(HoistError::InvalidInput(format!(
            "{} entries selected; at most {MAX_SELECTION} at once",
            keys.len()
        )));
    }
    if let Some(k) = keys.iter().find(|k| k.is_empty() || k.len() > 1024) {
        return Err(HoistError::InvalidInput(format!("{k:?} is not a key")));
    }
    Ok(())
}

/// The last segment of a key or folder, without the folder's "/".
fn name_of(key: &str) -> &str {
    key.trim_end_matches('/').rsplit('/').next().unwrap_or(key)
}

/// Every object the selection names: folders expanded (their marker included).
pub async fn expand(client: &Client, bucket: &str, keys: &[String]) -> Result<Vec<String>> {
    check(keys)?;
    let mut out = Vec::new();
    for k in keys {
        if k.ends_with('/') {
            out.extend(
                manage::list_keys(client, bucket, k)
                    .await?
                    .into_iter()
                    .map(|(k, _)| k),
            );
        } else {
            out.push(k.clone());
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Deletes the selection (folders with everything in them), 1,000 keys a request.
pub async fn delete(
    client: &Client,
    bucket: &str,
    keys: &[String],
    progress: Option<OnProgress>,
) -> Result<BulkSummary> {
    let all = expand(client, bucket, keys).await?;
    manage::delete_keys(client, bucket, all, progress).await
}

/// Moves each entry into folder `dest` ("" = the bucket's top), keeping its name.
pub async fn move_into(
    client: &Client,
    bucket: &str,
    keys: &[String],
    dest: &str,
    settings: &CopySettings,
    progress: Option<OnProgress>,
) -> Result<BulkSummary> {
    check(keys)?;
    let dest = match dest.trim_start_matches('/') {
        "" => String::new(),
        d if d.ends_with('/') => d.to_owned(),
        d => format!("{d}/"),
    };
    let mut summary = BulkSummary::default();
    for k in keys {
        let to = format!(
            "{dest}{}{}",
            name_of(k),
            if k.ends_with('/') { "/" } else { "" }
        );
        if to == *k {
            continue; // already there
        }
        let result = rename(client, bucket, k, &to, settings, progress.clone()).await;
        match result {
            Ok(s) => {
                summary.done += s.done;
                summary.bytes += s.bytes;
                summary.failed.extend(s.failed);
            }
            Err(e) => summary.failed.push(KeyFailure {
                key: k.clone(),
                message: e.to_string(),
            }),
        }
    }
    Ok(summary)
}

/// Renames (moves) one object or folder within the bucket. An existing destination
/// object is never replaced.
pub async fn rename(
    client: &Client,
    bucket: &str,
    from: &str,
    to: &str,
    settings: &CopySettings,
    progress: Option<OnProgress>,
) -> Result<BulkSummary> {
    check(&[from.to_owned(), to.to_owned()])?;
    if from.ends_with('/') != to.ends_with('/') {
        return Err(HoistError::InvalidInput(
            "a folder is renamed to a folder (ending in /), an object to an object".into(),
        ));
    }
    let r = |key: &str| ObjectRef {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
    };
    if from.ends_with('/') {
        if !manage::list_keys(client, bucket, to).await?.is_empty() {
            return Err(HoistError::InvalidInput(format!(
                "a folder named {to:?} already exists: pick another name"
            )));
        }
        return manage::transfer_prefix(client, &r(from), &r(to), settings, true, progress).await;
    }
    if exists(client, bucket, to).await? {
        return Err(HoistError::InvalidInput(format!(
            "{to:?} already exists: pick another name (nothing was replaced)"
        )));
    }
    let moved = manage::move_object(client, &r(from), &r(to), settings).await?;
    Ok(BulkSummary {
        done: 1,
        bytes: moved.size,
        failed: Vec::new(),
    })
}

async fn exists(client: &Client, bucket: &str, key: &str) -> Result<bool> {
    match client.head_object().bucket(bucket).key(key).send().await {
        Ok(_) => Ok(true),
        Err(aws_sdk_s3::error::SdkError::ServiceError(ctx))
            if ctx.raw().status().as_u16() == 404 =>
        {
            Ok(false)
        }
        Err(e) => Err(map_err(bucket, e)),
    }
}

/// A folder exists when anything is under it, or its parent lists it (stores that
/// keep a marker as a directory list it only as a common prefix).
async fn folder_exists(client: &Client, bucket: &str, prefix: &str) -> Result<bool> {
    if !manage::list_keys(client, bucket, prefix).await?.is_empty() {
        return Ok(true);
    }
    let parent = match prefix.trim_end_matches('/').rsplit_once('/') {
        Some((p, _)) => format!("{p}/"),
        None => String::new(),
    };
    let mut token: Option<String> = None;
    loop {
        let page = client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(&parent)
            .delimiter("/")
            .set_continuation_token(token.clone())
            .send()
            .await
            .map_err(|e| map_err(bucket, e))?;
        if page
            .common_prefixes()
            .iter()
            .any(|p| p.prefix() == Some(prefix))
        {
            return Ok(true);
        }
        token = next_page(&page);
        if token.is_none() {
            return Ok(false);
        }
    }
}

/// Makes folder `name` inside `parent` (a zero-byte `parent/name/` marker, as S3
/// consoles do). Returns the folder's prefix.
pub async fn new_folder(client: &Client, bucket: &str, parent: &str, name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty()
        || name.contains('/')
        || name == "."
        || name == ".."
        || name.chars().any(char::is_control)
    {
        return Err(HoistError::InvalidInput(format!(
            "{name:?} cannot be a folder name (no '/', not empty, not . or ..)"
        )));
    }
    let parent = parent.trim_start_matches('/');
    let prefix = if parent.is_empty() || parent.ends_with('/') {
        format!("{parent}{name}/")
    } else {
        format!("{parent}/{name}/")
    };
    if prefix.len() > 1024 {
        return Err(HoistError::InvalidInput(
            "the folder's path is longer than 1024 bytes".into(),
        ));
    }
    if folder_exists(client, bucket, &prefix).await? {
        return Err(HoistError::InvalidInput(format!(
            "folder {prefix:?} already exists"
        )));
    }
    client
        .put_object()
        .bucket(bucket)
        .key(&prefix)
        .content_length(0)
        .body(ByteStream::from_static(b""))
        .send()
        .await
        .map_err(|e| map_err(bucket, e))?;
    Ok(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_keys_and_folders() {
        assert_eq!(name_of("a/b/c.txt"), "c.txt");
        assert_eq!(name_of("a/b/"), "b");
        assert_eq!(name_of("top"), "top");
    }

    #[test]
    fn selections_are_checked() {
        assert!(check(&[]).is_err());
        assert!(check(&[String::new()]).is_err());
        assert!(check(&["a".into()]).is_ok());
    }
}
