//! Actions on many objects: list a prefix, copy or move a whole prefix (objects a few
//! at a time, each verified before its source goes), delete keys in DeleteObjects
//! batches of 1,000. Every one reports progress and ends with a per-key summary.

use aws_sdk_s3::Client;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use tokio::task::JoinSet;

use super::manage::{
    BulkProgress, BulkSummary, CopySettings, DELETE_BATCH, KeyFailure, ObjectRef, OnProgress, copy,
    move_object,
};
use crate::error::{HoistError, Result};
use crate::s3::{map_err, next_page};

/// Every key under `prefix` with its size, following pagination.
pub async fn list_keys(client: &Client, bucket: &str, prefix: &str) -> Result<Vec<(String, u64)>> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .set_continuation_token(token.clone())
            .send()
            .await
            .map_err(|e| map_err(bucket, e))?;
        for o in page.contents() {
            if let Some(k) = o.key() {
                out.push((k.to_owned(), o.size().unwrap_or(0).max(0) as u64));
            }
        }
        token = next_page(&page);
        if token.is_none() {
            break;
        }
    }
    Ok(out)
}

/// Copies (or moves, when `remove_source`) everything under `from` (a prefix; a "/" is
/// added) to the same relative keys under `to`. Objects go `concurrency` at a time;
/// one that fails is reported and the others carry on.
pub async fn transfer_prefix(
    client: &Client,
    from: &ObjectRef,
    to: &ObjectRef,
    settings: &CopySettings,
    remove_source: bool,
    progress: Option<OnProgress>,
) -> Result<BulkSummary> {
    let src_prefix = folder(&from.key);
    let dst_prefix = folder(&to.key);
    if from.bucket == to.bucket && dst_prefix.starts_with(&src_prefix) {
        return Err(HoistError::InvalidInput(format!(
            "{} is inside {}: a folder cannot be copied or moved into itself",
            to.display(),
            from.display()
        )));
    }
    let keys = list_keys(client, &from.bucket, &src_prefix).await?;
    if keys.is_empty() {
        return Err(HoistError::NotFound(format!(
            "nothing under s3://{}/{src_prefix}",
            from.bucket
        )));
    }
    let total = keys.len() as u64;
    let mut summary = BulkSummary::default();
    let mut failed = 0u64;
    let mut tasks = JoinSet::new();
    let mut pending = keys.into_iter();
    loop {
        while tasks.len() < settings.concurrency {
            let Some((key, _)) = pending.next() else {
                break;
            };
            let src = ObjectRef {
                bucket: from.bucket.clone(),
                key: key.clone(),
            };
            let dst = ObjectRef {
                bucket: to.bucket.clone(),
                key: format!("{dst_prefix}{}", &key[src_prefix.len()..]),
            };
            let (client, settings) = (client.clone(), settings.clone());
            tasks.spawn(async move {
                let r = if remove_source {
                    move_object(&client, &src, &dst, &settings).await
                } else {
                    copy(&client, &src, &dst, &settings).await
                };
                (key, r)
            });
        }
        let Some(joined) = tasks.join_next().await else {
            break;
        };
        match joined.expect("copy task panicked") {
            (_, Ok(c)) => {
                summary.done += 1;
                summary.bytes += c.size;
            }
            (key, Err(e)) => {
                failed += 1;
                summary.failed.push(KeyFailure {
                    key,
                    message: e.to_string(),
                });
            }
        }
        if let Some(p) = &progress {
            p(BulkProgress {
                done: summary.done,
                failed,
                total: Some(total),
                bytes: summary.bytes,
            });
        }
    }
    summary.failed.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(summary)
}

fn folder(prefix: &str) -> String {
    let p = prefix.trim_start_matches('/');
    if p.is_empty() || p.ends_with('/') {
        p.to_owned()
    } else {
        format!("{p}/")
    }
}

/// Deletes `keys` with DeleteObjects, 1,000 per request. Keys the store refuses are
/// reported one by one; a batch that fails as a whole reports each of its keys.
pub async fn delete_keys(
    client: &Client,
    bucket: &str,
    keys: Vec<String>,
    progress: Option<OnProgress>,
) -> Result<BulkSummary> {
    let total = keys.len() as u64;
    let mut summary = BulkSummary::default();
    for batch in keys.chunks(DELETE_BATCH) {
        let objects = batch
            .iter()
            .map(|k| ObjectIdentifier::builder().key(k).build())
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| HoistError::InvalidInput(e.to_string()))?;
        let delete = Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()
            .map_err(|e| HoistError::InvalidInput(e.to_string()))?;
        match client
            .delete_objects()
            .bucket(bucket)
            .delete(delete)
            .send()
            .await
        {
            Ok(out) => {
                let refused: Vec<KeyFailure> = out
                    .errors()
                    .iter()
                    .map(|e| KeyFailure {
                        key: e.key().unwrap_or("").to_owned(),
                        message: format!(
                            "{} ({})",
                            e.message().unwrap_or("refused"),
                            e.code().unwrap_or("error")
                        ),
                    })
                    .collect();
                summary.done += (batch.len() - refused.len()) as u64;
                summary.failed.extend(refused);
            }
            Err(e) => {
                let e = map_err(bucket, e);
                if matches!(e, HoistError::Auth { .. } | HoistError::Unsupported(_))
                    && summary.done == 0
                {
                    return Err(e);
                }
                let message = e.to_string();
                summary.failed.extend(batch.iter().map(|k| KeyFailure {
                    key: k.clone(),
                    message: message.clone(),
                }));
            }
        }
        if let Some(p) = &progress {
            p(BulkProgress {
                done: summary.done,
                failed: summary.failed.len() as u64,
                total: Some(total),
                bytes: 0,
            });
        }
    }
    Ok(summary)
}

/// Deletes every object under `prefix` (a "/" is added unless empty).
pub async fn delete_prefix(
    client: &Client,
    bucket: &str,
    prefix: &str,
    progress: Option<OnProgress>,
) -> Result<BulkSummary> {
    let keys: Vec<String> = list_keys(client, bucket, &folder(prefix))
        .await?
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    delete_keys(client, bucket, keys, progress).await
}
