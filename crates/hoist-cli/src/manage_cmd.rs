//! `hoist mb`, `ls` without a bucket, `cp`, `mv`, `rm --recursive`: translate
//! arguments into `hoist_core::objects::{buckets, manage}` calls, show progress on a
//! terminal (JSON lines with --json) and end with a summary.

use crate::output::out;
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use hoist_core::objects::manage::{self, BulkProgress, BulkSummary, CopySettings, ObjectRef};
use hoist_core::objects::{buckets, versions};
use hoist_core::{BucketAccess, ProfileCredentials, ProfileStore, Target};
use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;

use crate::CliError;
use crate::args::{self, CopyArgs};

async fn account(target: Target) -> Result<BucketAccess, CliError> {
    let profiles = Arc::new(ProfileStore::open(&ProfileStore::default_dir()));
    let resolver = ProfileCredentials::new(profiles);
    Ok(BucketAccess::connect_account(&resolver, target).await?)
}

pub async fn list_buckets(json: bool, target: Target) -> Result<ExitCode, CliError> {
    let a = account(target).await?;
    for b in buckets::list_buckets(&a).await? {
        if json {
            out!("{}", serde_json::to_string(&b).expect("serialises"));
        } else {
            out!(
                "{:>19} {}",
                b.created.map(crate::remote::utc).unwrap_or_default(),
                b.name
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn make_bucket(json: bool, target: Target, name: &str) -> Result<ExitCode, CliError> {
    let region = target.region.clone();
    let a = account(target).await?;
    buckets::create_bucket(&a, name, region.as_deref()).await?;
    if json {
        out!("{}", json!({"created": name}));
    } else {
        eprintln!("hoist: created bucket {name}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `s3://BUCKET/KEY` as written; a plain key is in --bucket, after --prefix (as for
/// `hoist rm KEY`).
fn object_ref(target: &Target, s: &str) -> Result<ObjectRef, CliError> {
    let default_bucket = Some(target.bucket.as_str()).filter(|b| !b.is_empty());
    let mut r = ObjectRef::parse(s, default_bucket)?;
    if !s.starts_with("s3://") {
        r.key = format!("{}{}", target.prefix, r.key);
    }
    Ok(r)
}

fn settings(c: &CopyArgs) -> Result<CopySettings, CliError> {
    Ok(CopySettings {
        multipart_threshold: args::parse_size(&c.multipart_threshold).map_err(CliError::Usage)?,
        part_size: args::parse_size(&c.part_size).map_err(CliError::Usage)?,
        concurrency: c.concurrency,
    }
    .validated()?)
}

/// A bar on a terminal, JSON lines with --json, nothing otherwise.
fn reporter(json: bool, what: &'static str) -> (ProgressBar, manage::OnProgress) {
    let bar = ProgressBar::with_draw_target(
        None,
        if !json && std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        },
    );
    bar.set_style(ProgressStyle::with_template("{pos}/{len} {msg} {per_sec}").expect("template"));
    bar.set_message(what);
    let b = bar.clone();
    let on: manage::OnProgress = Arc::new(move |p: BulkProgress| {
        if json {
            out!(
                "{}",
                json!({"event": "progress", "action": what, "done": p.done, "failed": p.failed, "total": p.total, "bytes": p.bytes})
            );
        }
        if let Some(t) = p.total {
            b.set_length(t);
        }
        b.set_position(p.done + p.failed);
    });
    (bar, on)
}

fn summarize(json: bool, action: &str, s: &BulkSummary, started: Instant) -> ExitCode {
    let secs = started.elapsed().as_secs_f64();
    if json {
        out!(
            "{}",
            json!({"event": "summary", "action": action, "done": s.done, "bytes": s.bytes,
                   "failed": s.failed, "seconds": secs})
        );
    } else {
        for f in &s.failed {
            eprintln!("hoist: {}: {}", f.key, f.message);
        }
        eprintln!(
            "hoist: {action}: {} done{}, {} failed, in {secs:.1} s",
            s.done,
            if s.bytes > 0 {
                format!(" ({})", HumanBytes(s.bytes))
            } else {
                String::new()
            },
            s.failed.len()
        );
    }
    if s.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

pub async fn copy_or_move(
    json: bool,
    target: Target,
    src: &str,
    dst: &str,
    c: &CopyArgs,
    remove_source: bool,
) -> Result<ExitCode, CliError> {
    let settings = settings(c)?;
    let from = object_ref(&target, src)?;
    let to = object_ref(&target, dst)?;
    let a = account(target.clone()).await?;
    let action = if remove_source { "move" } else { "copy" };
    let started = Instant::now();
    if c.recursive {
        let (bar, on) = reporter(json, action);
        let s = manage::transfer_prefix(a.client(), &from, &to, &settings, remove_source, Some(on))
            .await;
        bar.finish_and_clear();
        return Ok(summarize(json, action, &s?, started));
    }
    let done = if remove_source {
        manage::move_object(a.client(), &from, &to, &settings).await?
    } else {
        manage::copy(a.client(), &from, &to, &settings).await?
    };
    if json {
        out!("{}", serde_json::to_string(&done).expect("serialises"));
    } else {
        eprintln!(
            "hoist: {} {} to {} ({}, {}, verified by {})",
            if remove_source { "moved" } else { "copied" },
            from.display(),
            to.display(),
            HumanBytes(done.size),
            if done.multipart {
                "in parts"
            } else {
                "one request"
            },
            done.verified_by
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `rm --recursive`: lists what would go, asks on a terminal (refuses without --yes
/// elsewhere), then deletes in batches.
pub async fn remove_recursive(
    json: bool,
    target: Target,
    prefix: &str,
    yes: bool,
) -> Result<ExitCode, CliError> {
    let folder = object_ref(&target, prefix)?;
    let a = account(target).await?;
    let folder_key = match folder.key.trim_start_matches('/') {
        "" => String::new(),
        k if k.ends_with('/') => k.to_owned(),
        k => format!("{k}/"),
    };
    let keys: Vec<String> = manage::list_keys(a.client(), &folder.bucket, &folder_key)
        .await?
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    let shown = format!("s3://{}/{folder_key}", folder.bucket);
    if keys.is_empty() {
        return Err(CliError::Engine(hoist_core::HoistError::NotFound(format!(
            "nothing under {shown}"
        ))));
    }
    if !yes {
        if !std::io::stdin().is_terminal() {
            return Err(CliError::Usage(format!(
                "this deletes {} object(s) under {shown}: add --yes to confirm (not asking: stdin is not a terminal)",
                keys.len()
            )));
        }
        eprint!(
            "hoist: delete {} object(s) under {shown}? [y/N] ",
            keys.len()
        );
        std::io::stderr().flush().ok();
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer).ok();
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            eprintln!("hoist: nothing deleted");
            return Ok(ExitCode::from(1));
        }
    }
    let started = Instant::now();
    let (bar, on) = reporter(json, "delete");
    let s = manage::delete_keys(a.client(), &folder.bucket, keys, Some(on)).await;
    bar.finish_and_clear();
    Ok(summarize(json, "delete", &s?, started))
}

pub async fn list_versions(json: bool, target: Target, key: &str) -> Result<ExitCode, CliError> {
    let key = format!("{}{key}", target.prefix);
    let bucket = target.bucket.clone();
    let a = account(target).await?;
    for v in versions::list_versions(a.client(), &bucket, &key).await? {
        if json {
            out!("{}", serde_json::to_string(&v).expect("serialises"));
        } else {
            out!(
                "{:>19} {:>12} {} {}{}",
                v.modified.map(crate::remote::utc).unwrap_or_default(),
                if v.delete_marker {
                    "deleted".to_owned()
                } else {
                    v.size.to_string()
                },
                v.version_id,
                if v.is_latest { "(current)" } else { "" },
                ""
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn restore(
    json: bool,
    target: Target,
    key: &str,
    version_id: &str,
) -> Result<ExitCode, CliError> {
    let key = format!("{}{key}", target.prefix);
    let bucket = target.bucket.clone();
    let a = account(target).await?;
    let done = versions::restore(a.client(), &bucket, &key, version_id).await?;
    if json {
        out!("{}", serde_json::to_string(&done).expect("serialises"));
    } else {
        eprintln!(
            "hoist: s3://{bucket}/{key} is version {version_id} again ({}); the version it replaced is kept",
            HumanBytes(done.size)
        );
    }
    Ok(ExitCode::SUCCESS)
}
