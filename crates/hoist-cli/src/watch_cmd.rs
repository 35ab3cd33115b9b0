//! `hoist watch …`: add, list, run, the trash, and answers to the deletion guard.
//! Each translates arguments into hoist-core calls and prints the result.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use hoist_core::watch::trash;
use hoist_core::{
    DeletionDecision, Engine, ProfileStore, UploadJournal, WatchManager, WatchSettings, WatchSpec,
};

use crate::args::{TrashAction, WatchCommand};
use crate::output::{self, Reporter};
use crate::{CliError, engine_options, remote, settings, shutdown_signal, target};

/// Hoist's own data besides the journal: profiles, the shared data folder (journal,
/// the app's local store), and the app's folder from before it was shared.
fn protected() -> Vec<PathBuf> {
    let mut out = vec![ProfileStore::default_dir(), hoist_core::journal::data_dir()];
    out.extend(hoist_core::journal::old_app_data_dir());
    out
}

pub async fn run(
    cli: &crate::args::Cli,
    journal: &Path,
    profiles: &Arc<ProfileStore>,
    command: &WatchCommand,
) -> Result<ExitCode, CliError> {
    match command {
        WatchCommand::Add {
            dir,
            target: t,
            include,
            exclude,
            delete_remote,
            trash_prefix,
            allow_home,
        } => {
            let spec = WatchSpec {
                include: include.clone(),
                exclude: (!exclude.is_empty()).then(|| exclude.clone()),
                delete_remote: *delete_remote,
                trash_prefix: trash_prefix.clone(),
                allow_home: *allow_home,
                ..WatchSpec::new(dir.clone(), target(profiles, t)?)
            };
            let w = UploadJournal::open(journal)?.create_watch(spec, &protected())?;
            output::print_watch_added(cli.json, &w);
        }
        WatchCommand::List => {
            let j = UploadJournal::open(journal)?;
            let mut rows = Vec::new();
            for w in j.watches()? {
                let synced = j.watch_synced_count(w.id)?;
                let last = j.watch_last_synced(w.id)?;
                let held = j.watch_held_deletions(w.id)?;
                rows.push(output::WatchRow {
                    config: w,
                    synced,
                    last_synced_at: last,
                    held_deletions: held,
                });
            }
            output::print_watches(cli.json, &rows);
        }
        WatchCommand::Remove { id } => UploadJournal::open(journal)?.remove_watch(*id)?,
        WatchCommand::Disable { id } => {
            UploadJournal::open(journal)?.set_watch_enabled(*id, false)?
        }
        WatchCommand::Enable { id } => {
            UploadJournal::open(journal)?.set_watch_enabled(*id, true)?
        }
        WatchCommand::Trash { action } => {
            let (id, restore) = match action {
                TrashAction::List { id } => (*id, None),
                TrashAction::Restore { id, trash_key } => (*id, Some(trash_key)),
            };
            let cfg = UploadJournal::open(journal)?.watch(id)?;
            let access = remote::access(journal, cfg.target.clone()).await?;
            match restore {
                None => {
                    output::print_trash(cli.json, id, &trash::list(access.store(), &cfg).await?)
                }
                Some(key) => {
                    let path = trash::restore(access.store(), &cfg, key).await?;
                    output::print_restored(cli.json, &path);
                }
            }
        }
        WatchCommand::Deletions { id, approve, .. } => {
            let decision = if *approve {
                DeletionDecision::MoveToTrash
            } else {
                DeletionDecision::KeepRemote
            };
            let n = UploadJournal::open(journal)?.decide_deletions(*id, decision)?;
            output::print_decided(cli.json, *id, decision, n);
        }
        WatchCommand::Run { transfer } => {
            let mut opts = engine_options(journal, profiles);
            opts.settings = settings(transfer)?;
            let engine = Engine::start(opts).await?;
            let printer = Reporter::new(cli.json, engine.subscribe()).spawn();
            let watch_settings = WatchSettings {
                protected: protected(),
                ..WatchSettings::default()
            };
            let manager = WatchManager::start(engine.clone(), watch_settings).await?;
            if manager.list().await?.iter().all(|w| !w.enabled) {
                eprintln!("hoist: no enabled watch; add one with `hoist watch add DIR --bucket B`");
            }
            shutdown_signal().await;
            eprintln!("hoist: stopping; the next `hoist watch run` catches up");
            manager.stop().await?;
            engine.shutdown().await?;
            printer.finish().await;
        }
    }
    Ok(ExitCode::SUCCESS)
}
