//! `hoist`: the headless shell over the Hoist engine. It only translates arguments
//! into engine calls and engine events into terminal output.

mod args;
mod clipboard;
mod manage_cmd;
mod output;
mod profile_cmd;
mod remote;
mod watch_cmd;

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use hoist_core::profiles::TargetRequest;
use hoist_core::{
    AddOptions, Engine, EngineOptions, EngineSettings, HoistError, ItemState, ProfileCredentials,
    ProfileStore, Target, UploadJournal, UploadState,
};

use args::{Cli, Command, TargetArgs, TransferArgs};
use output::{Reporter, ReporterEnd, out};

#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    #[error(transparent)]
    Engine(#[from] HoistError),
    #[error("{0}")]
    Usage(String),
}

fn main() -> ExitCode {
    hoist_core::process::limit_allocator_retention();
    let cli = Cli::parse();
    if matches!(cli.command, Command::ClipboardHold) {
        return clipboard::hold();
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("hoist: {e}");
            ExitCode::from(2)
        }
    }
}

/// `--journal`, else `journal.sqlite` in Hoist's data folder (shared with the desktop
/// app), which is made private
/// (0700) here: it is Hoist's own, and an older install may have left it open.
fn journal_path(cli: &Cli) -> Result<std::path::PathBuf, CliError> {
    if let Some(p) = &cli.journal {
        return Ok(p.clone());
    }
    // The desktop app's folder too: one journal for both (`HOIST_DATA_DIR` moves it).
    let dir = hoist_core::journal::data_dir();
    hoist_core::fsutil::private_dir(&dir)?;
    Ok(hoist_core::journal::journal_in(&dir))
}

pub(crate) fn settings(t: &TransferArgs) -> Result<EngineSettings, CliError> {
    let mut s = EngineSettings::default();
    if let Some(c) = t.concurrency {
        if c == 0 || c > 256 {
            return Err(CliError::Usage(
                "--concurrency must be between 1 and 256".into(),
            ));
        }
        s.concurrency = c;
    }
    if let Some(p) = &t.part_size {
        s.part_size = args::parse_size(p).map_err(CliError::Usage)?;
        s.grow_parts = false;
    }
    s.checksum_trailers = t.checksum_trailers;
    if let Some(p) = &t.multipart_threshold {
        s.multipart_threshold = args::parse_size(p).map_err(CliError::Usage)?;
    }
    if let Some(m) = &t.memory {
        s.memory_budget = args::parse_size(m).map_err(CliError::Usage)?;
    }
    s.memory_budget = s.memory_budget.max(s.part_size.max(s.multipart_threshold));
    if let Some(w) = &t.network_wait {
        s.retry.network_wait = Some(args::parse_duration(w).map_err(CliError::Usage)?);
    }
    if let Some(r) = &t.limit_rate {
        let rate = args::parse_size(r).map_err(CliError::Usage)?;
        s.rate_limit = (rate > 0).then_some(rate);
    }
    Ok(s)
}

/// The target from the flags, on top of the named (or default) profile.
pub(crate) fn target(profiles: &ProfileStore, t: &TargetArgs) -> Result<Target, CliError> {
    Ok(profiles.resolve_target(request(t)?)?)
}

fn request(t: &TargetArgs) -> Result<TargetRequest, CliError> {
    Ok(TargetRequest {
        profile: t.profile.clone(),
        bucket: t.bucket.clone(),
        prefix: t.prefix.clone(),
        endpoint: t.endpoint.clone(),
        region: t.region.clone(),
        path_style: if t.path_style {
            Some(true)
        } else if t.virtual_host {
            Some(false)
        } else {
            None
        },
        checksum: t.checksum.as_deref().map(str::parse).transpose()?,
    })
}

/// The target for commands that may name no bucket (bucket listing, `mb`) or name
/// theirs in `s3://` paths: `bucket` is empty when none is given or set.
pub(crate) fn account_target(profiles: &ProfileStore, t: &TargetArgs) -> Result<Target, CliError> {
    Ok(profiles.resolve_account(request(t)?)?)
}

/// Credentials for every target: Hoist profiles from the keyring, else the AWS chain.
pub(crate) fn engine_options(
    journal: &std::path::Path,
    profiles: &Arc<ProfileStore>,
) -> EngineOptions {
    let mut opts = EngineOptions::new(journal);
    opts.credentials = Arc::new(ProfileCredentials::new(profiles.clone()));
    opts
}

async fn run(cli: Cli) -> Result<ExitCode, CliError> {
    let journal = journal_path(&cli)?;
    let profiles = Arc::new(ProfileStore::open(&ProfileStore::default_dir()));
    match &cli.command {
        Command::Profile { action } => profile_cmd::run(profiles, action, cli.json).await,
        Command::Upload {
            paths,
            target: t,
            transfer,
            conflict,
            priority,
            object,
            key_template,
        } => {
            let target = target(&profiles, t)?;
            let profile = profiles.applying(t.profile.as_deref(), t.endpoint.is_some())?;
            let object = object.to_options()?.over(
                &profile
                    .as_ref()
                    .map(|p| p.upload_defaults.clone())
                    .unwrap_or_default(),
            );
            let key_template = key_template
                .clone()
                .or_else(|| profile.and_then(|p| p.key_template));
            let mut opts = engine_options(&journal, &profiles);
            opts.settings = settings(transfer)?;
            let engine = Engine::start(opts).await?;
            let reporter = Reporter::new(cli.json, engine.subscribe());
            let ids = engine
                .add(
                    paths.clone(),
                    target,
                    AddOptions {
                        priority: *priority,
                        conflict: (*conflict).into(),
                        start_paused: false,
                        object,
                        key_template,
                    },
                )
                .await?;
            drive(&engine, reporter, ids, cli.json).await
        }
        Command::Resume {
            transfer,
            include_failed,
        } => {
            let mut opts = engine_options(&journal, &profiles);
            opts.settings = settings(transfer)?;
            let engine = Engine::start(opts).await?;
            let reporter = Reporter::new(cli.json, engine.subscribe());
            if *include_failed {
                engine.load_stopped().await?;
                engine.retry_failed().await?;
                engine.resume_all().await?;
            }
            let mut ids = engine.resume_unfinished().await?;
            if *include_failed {
                ids = engine.snapshot().await?.into_iter().map(|s| s.id).collect();
            }
            if ids.is_empty() && !cli.json {
                eprintln!("hoist: nothing to resume");
            }
            drive(&engine, reporter, ids, cli.json).await
        }
        Command::Status => {
            let j = UploadJournal::open(&journal)?;
            let rows = j.uploads_in(&[
                UploadState::Queued,
                UploadState::Paused,
                UploadState::Failed,
            ])?;
            output::print_status(cli.json, &rows);
            Ok(ExitCode::SUCCESS)
        }
        Command::History { limit } => {
            let j = UploadJournal::open(&journal)?;
            output::print_history(cli.json, &j.history(*limit)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Watch { command } => watch_cmd::run(&cli, &journal, &profiles, command).await,
        Command::AbortOrphans {
            target: t,
            older_than,
            dry_run,
        } => {
            let target = target(&profiles, t)?;
            let engine = Engine::start(engine_options(&journal, &profiles)).await?;
            let older = args::parse_duration(older_than).map_err(CliError::Usage)?;
            let list = if *dry_run {
                engine.orphans(target).await?
            } else {
                engine.abort_orphans(target, older).await?
            };
            output::print_orphans(cli.json, *dry_run, &list);
            Ok(ExitCode::SUCCESS)
        }
        Command::Share {
            key,
            target: t,
            expires,
            copy,
            download,
            inline,
        } => {
            let disposition = match (download, inline) {
                (true, _) => Some(hoist_core::Disposition::Attachment),
                (_, true) => Some(hoist_core::Disposition::Inline),
                _ => None,
            };
            remote::share_link(
                &journal,
                cli.json,
                target(&profiles, t)?,
                key,
                expires,
                disposition,
                *copy,
            )
            .await
        }
        Command::UploadLink {
            key,
            target: t,
            expires,
            content_type,
            copy,
        } => {
            remote::upload_link(
                &journal,
                cli.json,
                target(&profiles, t)?,
                key,
                expires,
                content_type.as_deref(),
                *copy,
            )
            .await
        }
        Command::Fetch {
            url,
            key,
            target: t,
            transfer,
            allow_types,
            max_size,
            conflict,
        } => {
            let target = target(&profiles, t)?;
            let mut opts = engine_options(&journal, &profiles);
            opts.settings = settings(transfer)?;
            let engine = Engine::start(opts).await?;
            let reporter = Reporter::new(cli.json, engine.subscribe());
            let request = hoist_core::FetchRequest {
                key: key.clone(),
                limits: hoist_core::OriginLimits {
                    allowed_types: allow_types.clone(),
                    max_size: max_size
                        .as_deref()
                        .map(args::parse_size)
                        .transpose()
                        .map_err(CliError::Usage)?,
                },
                conflict: (*conflict).into(),
                ..Default::default()
            };
            let id = engine.fetch(url, target, request).await?;
            let code = drive(&engine, reporter, vec![id], cli.json).await?;
            if code == ExitCode::SUCCESS && !cli.json {
                // The object's address alone on stdout, like `share` prints its link.
                if let Some(row) = engine.journal().upload(id)? {
                    out!("s3://{}/{}", row.target.bucket, row.key);
                }
            }
            Ok(code)
        }
        Command::Ls {
            folder,
            target: t,
            filter,
            page_size,
            versions,
        } => {
            if *versions {
                let key = folder.as_deref().ok_or_else(|| {
                    CliError::Usage("--versions lists one object's versions: name its key".into())
                })?;
                return manage_cmd::list_versions(cli.json, target(&profiles, t)?, key).await;
            }
            let account = account_target(&profiles, t)?;
            if account.bucket.is_empty() && folder.is_none() {
                return manage_cmd::list_buckets(cli.json, account).await;
            }
            remote::ls(
                &journal,
                cli.json,
                target(&profiles, t)?,
                folder.as_deref(),
                filter.clone(),
                *page_size,
            )
            .await
        }
        Command::Restore {
            key,
            version_id,
            target: t,
        } => manage_cmd::restore(cli.json, target(&profiles, t)?, key, version_id).await,
        Command::Mb { name, target: t } => {
            manage_cmd::make_bucket(cli.json, account_target(&profiles, t)?, name).await
        }
        Command::Cp {
            src,
            dst,
            target: t,
            copy,
        } => {
            let t = account_target(&profiles, t)?;
            manage_cmd::copy_or_move(cli.json, t, src, dst, copy, false).await
        }
        Command::Mv {
            src,
            dst,
            target: t,
            copy,
        } => {
            let t = account_target(&profiles, t)?;
            manage_cmd::copy_or_move(cli.json, t, src, dst, copy, true).await
        }
        Command::Rm {
            key,
            target: t,
            recursive,
            yes,
        } => {
            if *recursive {
                let t = account_target(&profiles, t)?;
                manage_cmd::remove_recursive(cli.json, t, key, *yes).await
            } else {
                remote::rm(&journal, cli.json, target(&profiles, t)?, key).await
            }
        }
        Command::Links {
            search,
            limit,
            prune,
        } => remote::links(&journal, cli.json, search.as_deref(), *limit, *prune),
        Command::ClipboardHold => unreachable!("handled before the runtime starts"),
    }
}

/// Runs the queue until the given uploads end; Ctrl-C or SIGTERM stop it with the
/// journal ready for `hoist resume`.
async fn drive(
    engine: &Engine,
    reporter: Reporter,
    ids: Vec<hoist_core::UploadId>,
    json: bool,
) -> Result<ExitCode, CliError> {
    let mut printer = reporter.spawn();
    // Whoever read the output went away (`hoist … | head`): stop as on Ctrl-C.
    let gone = async {
        if !matches!((&mut printer.task).await, Ok(ReporterEnd::OutputGone)) {
            std::future::pending::<()>().await;
        }
    };
    let mut output_gone = false;
    let interrupted = tokio::select! {
        r = engine.wait_idle() => { r?; false }
        _ = shutdown_signal() => true,
        _ = gone => { output_gone = true; true }
    };
    // Snapshot first: a shut-down engine answers nothing more.
    let snapshot = engine.snapshot().await?;
    if interrupted {
        // Not eprintln!: stderr may be the same closed pipe.
        let _ = writeln!(
            std::io::stderr(),
            "hoist: stopping; `hoist resume` continues where this left off"
        );
        engine.shutdown().await?;
    }
    if output_gone {
        return Ok(ExitCode::from(output::OUTPUT_GONE));
    }
    printer.finish().await;
    let ours: Vec<_> = snapshot
        .into_iter()
        .filter(|s| ids.contains(&s.id))
        .collect();
    let ok = ours
        .iter()
        .filter(|s| {
            matches!(
                s.state,
                ItemState::Verified | ItemState::Landed | ItemState::Skipped
            )
        })
        .count();
    let failed: Vec<_> = ours
        .iter()
        .filter(|s| s.state == ItemState::Failed)
        .collect();
    output::print_summary(json, &ours, interrupted);
    if interrupted {
        return Ok(ExitCode::from(130));
    }
    if ok == ours.len() {
        Ok(ExitCode::SUCCESS)
    } else {
        if !json {
            for f in &failed {
                eprintln!(
                    "hoist: FAILED {} → {}: {}",
                    f.path.display(),
                    f.key,
                    f.error.as_deref().unwrap_or("?")
                );
            }
        }
        Ok(ExitCode::from(1))
    }
}

pub(crate) async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
