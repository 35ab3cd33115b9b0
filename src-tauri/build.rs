fn main() {
    // The app's own commands: declared so capabilities can allow exactly these.
    let commands = &[
        "subscribe",
        "list_queue",
        "add_paths",
        "pause_item",
        "resume_item",
        "cancel_item",
        "retry_item",
        "remove_item",
        "pause_all",
        "resume_all",
        "retry_failed",
        "history",
        "get_settings",
        "list_profiles",
        "save_profile",
        "delete_profile",
        "use_profile",
        "test_profile",
        "aws_profiles",
        "import_aws_profile",
        "link_expiry",
        "share_link",
        "upload_link",
        "copy_saved_link",
        "link_history",
        "copy_link_when_done",
        "fetch_url",
        "browse_list",
        "object_details",
        "delete_object",
        "download_object",
        "object_thumbnail",
        "watch_list",
        "watch_add",
        "watch_remove",
        "watch_set_enabled",
        "watch_rescan",
    ];
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .config_path("../tauri.conf.json")
            .app_manifest(tauri_build::AppManifest::new().commands(commands)),
    )
    .expect("tauri-build failed");
}
