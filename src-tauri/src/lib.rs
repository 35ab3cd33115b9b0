//! Hoist's desktop shell: a Tauri window over hoist-core. Commands translate; the
//! engine's event stream feeds the UI (a Channel), the tray and notifications.

mod adds;
mod autostart;
mod buckets;
mod chosen;
mod commands;
mod diagnostics;
mod downloads;
mod error;
mod feed;
mod lifecycle;
mod links;
mod local;
pub mod models;
mod painting;
mod pickers;
mod preview;
mod selection;
mod settings;
mod state;
mod system_bus;
mod transfers;
mod tray;
mod watches;

use tauri::{Manager, RunEvent};

use state::Desktop;

pub fn run() {
    // First, while this is the only thread: it may set a variable WebKit reads.
    let painting = painting::choose();
    hoist_core::process::limit_allocator_retention();
    let app = tauri::Builder::default()
        // First: a second launch hands over to the running app and exits.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            tray::show_main(app);
        }))
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(autostart::plugin())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_clipboard_manager::init())
        .register_asynchronous_uri_scheme_protocol(preview::SCHEME, |ctx, request, responder| {
            preview::handle(ctx.app_handle(), request, responder)
        })
        .setup(move |app| {
            let log_dir = app.path().app_log_dir()?;
            let logs = diagnostics::init(&log_dir, "info").unwrap_or_else(|e| {
                eprintln!("hoist: {e}");
                diagnostics::LogFiles::none(log_dir)
            });
            tracing::info!("starting Hoist {}", env!("CARGO_PKG_VERSION"));
            tracing::info!("{}", painting.describe());
            app.manage(logs);
            // One data folder and journal with the `hoist` CLI; the app's own folder
            // from before is moved there once.
            let data_dir = hoist_core::journal::data_dir();
            match hoist_core::journal::adopt_old_data(&app.path().app_data_dir()?, &data_dir) {
                Ok(true) => tracing::info!("moved the app's data to {}", data_dir.display()),
                Ok(false) => {}
                Err(e) => tracing::warn!("the app's old data folder was not moved: {e}"),
            }
            // Profiles are shared with the `hoist` CLI (HOIST_CONFIG_DIR or ~/.config/hoist).
            let profiles_dir = hoist_core::ProfileStore::default_dir();
            let desktop = tauri::async_runtime::block_on(Desktop::start(data_dir, profiles_dir))
                .map_err(|e| e.to_string())?;
            if let Err(e) = tray::install(app.handle(), desktop.engine.clone()) {
                tracing::warn!("no tray icon: {e}");
            }
            let config_dir = app.path().app_config_dir()?;
            let transfers = transfers::TransferFile::open(&config_dir);
            if let Err(e) = desktop.engine.apply_transfer_settings(&transfers.get()) {
                tracing::warn!("transfer settings not applied: {e}");
            }
            let facts = system_bus::SharedFacts::default();
            tauri::async_runtime::spawn(system_bus::watch_metered(
                desktop.engine.clone(),
                facts.clone(),
            ));
            tauri::async_runtime::spawn(hoist_core::transfer::awake::keep_awake(
                desktop.engine.clone(),
                system_bus::LogindInhibitor,
            ));
            app.manage(transfers);
            app.manage(downloads::ActiveDownloads::default());
            app.manage(facts);
            app.manage(desktop);
            app.manage(lifecycle::PreferenceFile::open(&config_dir));
            autostart::hide_if_asked(app.handle());
            links::watch_auto_copy(app.handle());
            Ok(())
        })
        // Dropped files are received and queued here, in Rust (see `chosen`); the close
        // button hides to the tray while there is work (`lifecycle`).
        .on_window_event(|window, event| {
            pickers::on_window_event(window, event);
            lifecycle::on_window_event(window, event);
        })
        .invoke_handler(tauri::generate_handler![
            commands::subscribe,
            commands::list_queue,
            commands::item_thumbnail,
            commands::add_paths,
            pickers::pick_files,
            pickers::pick_folders,
            pickers::pick_watch_folder,
            commands::pause_item,
            commands::resume_item,
            commands::cancel_item,
            commands::retry_item,
            commands::remove_item,
            commands::pause_all,
            commands::resume_all,
            commands::retry_failed,
            commands::history,
            commands::get_settings,
            commands::list_profiles,
            commands::save_profile,
            commands::delete_profile,
            commands::use_profile,
            commands::test_profile,
            commands::aws_profiles,
            commands::import_aws_profile,
            links::link_expiry,
            links::share_link,
            links::upload_link,
            links::copy_saved_link,
            links::link_history,
            links::copy_link_when_done,
            links::fetch_url,
            links::browse_list,
            links::object_details,
            links::delete_object,
            links::object_text_preview,
            links::download_object,
            links::object_thumbnail,
            buckets::list_buckets,
            buckets::create_bucket,
            buckets::browse_use_bucket,
            buckets::preview_key,
            buckets::set_upload_defaults,
            selection::delete_selection,
            selection::move_selection,
            selection::rename_entry,
            selection::new_folder,
            selection::copy_links,
            selection::browse_drop_into,
            downloads::download_object_as,
            downloads::cancel_download,
            downloads::object_versions,
            downloads::restore_version,
            downloads::download_version_as,
            watches::watch_list,
            watches::watch_add,
            watches::watch_update,
            watches::watch_remove,
            watches::watch_set_enabled,
            watches::watch_rescan,
            watches::watch_default_excludes,
            watches::watch_trash,
            watches::watch_restore,
            watches::watch_decide_deletions,
            commands::get_preferences,
            commands::set_preferences,
            adds::get_destination,
            adds::set_destination,
            adds::destination_folders,
            adds::add_preferences,
            adds::set_conflict_choice,
            adds::resolve_conflicts,
            adds::queue_action,
            adds::clear_finished,
            adds::copy_when_done_marks,
            transfers::get_transfer_settings,
            transfers::set_transfer_settings,
            diagnostics::diagnostics,
            diagnostics::copy_diagnostics,
            autostart::get_autostart,
            autostart::set_autostart,
        ])
        .build(tauri::generate_context!("../tauri.conf.json"))
        .expect("the Hoist window could not be created");
    app.run(|app, event| {
        if let RunEvent::Exit = event
            && let Some(desktop) = app.try_state::<Desktop>()
        {
            // Workers stop where they are; the journal resumes them next time.
            tauri::async_runtime::block_on(async {
                let _ = tokio::time::timeout(std::time::Duration::from_secs(5), desktop.shutdown())
                    .await;
            });
        }
    });
}
