//! Commands for links, the bucket browser and fetching URLs: argument checks and
//! translation only; the work is hoist-core's (`share`, `browse`, `fetch`). Links are
//! copied to the clipboard here, in Rust, so a URL never round-trips through the UI.

use hoist_core::objects::browse::{self, ListRequest, Listing, ObjectDetails};
use hoist_core::objects::preview::{self, TextPreview};
use hoist_core::objects::share::{self, LinkExpiry, ShareLink};
use hoist_core::{ConflictPolicy, Disposition, FetchRequest, ItemState, OriginLimits, UploadId};
use tauri::{AppHandle, Emitter, Manager, State};
use tauri_plugin_clipboard_manager::ClipboardExt;

use crate::error::{Result, invalid};
use crate::state::Desktop;

fn check_key(key: &str) -> Result<&str> {
    if key.is_empty() || key.len() > 1024 || key.contains('\0') {
        return Err(invalid(format!("{key:?} is not an object key")));
    }
    Ok(key)
}

fn check_bucket(bucket: Option<String>) -> Result<Option<String>> {
    match bucket {
        Some(b) if b.is_empty() || b.len() > 63 => Err(invalid(format!("{b:?} is not a bucket"))),
        other => Ok(other),
    }
}

fn expiry(secs: u64) -> Result<std::time::Duration> {
    let d = std::time::Duration::from_secs(secs);
    share::validate_expiry(d)?;
    Ok(d)
}

/// Puts a link on the clipboard and tells the window (toast with the expiry).
pub fn copy_to_clipboard(app: &AppHandle, link: &ShareLink) -> Result<()> {
    app.clipboard()
        .write_text(link.url.clone())
        .map_err(|e| invalid(format!("cannot write to the clipboard: {e}")))?;
    let _ = app.emit("link-copied", link);
    Ok(())
}

/// An OS notification for a link copied without the user looking at the window.
fn notify_copied(app: &AppHandle, link: &ShareLink) {
    use tauri_plugin_notification::NotificationExt;
    let minutes = (link.expires_at - link.created_at).max(0) / 60_000;
    let limited = if link.limited_by_credentials {
        " (until the profile's credentials expire)"
    } else {
        ""
    };
    let body = format!("{} — valid {minutes} min{limited}", link.key);
    if let Err(err) = app
        .notification()
        .builder()
        .title("Link copied")
        .body(body)
        .show()
    {
        tracing::info!("notification not shown: {err}");
    }
}

/// What a link made now would really last (the profile's credentials may end first).
#[tauri::command]
pub async fn link_expiry(state: State<'_, Desktop>, expires_secs: u64) -> Result<LinkExpiry> {
    let a = state.access(None)?;
    Ok(share::preview_expiry(&a, expiry(expires_secs)?).await?)
}

#[tauri::command]
pub async fn share_link(
    app: AppHandle,
    state: State<'_, Desktop>,
    key: String,
    bucket: Option<String>,
    expires_secs: u64,
    disposition: Option<Disposition>,
    copy: bool,
) -> Result<ShareLink> {
    let link = state
        .share(
            check_key(&key)?,
            check_bucket(bucket)?,
            expiry(expires_secs)?,
            disposition,
        )
        .await?;
    if copy {
        copy_to_clipboard(&app, &link)?;
    }
    Ok(link)
}

#[tauri::command]
pub async fn upload_link(
    app: AppHandle,
    state: State<'_, Desktop>,
    key: String,
    expires_secs: u64,
    content_type: Option<String>,
    copy: bool,
) -> Result<ShareLink> {
    let a = state.browse_access()?;
    let content_type = content_type.filter(|c| !c.trim().is_empty());
    let link = share::upload_link(
        &a,
        check_key(&key)?,
        expiry(expires_secs)?,
        content_type.as_deref(),
    )
    .await?;
    let link = state.engine.journal().record_link(&link)?;
    if copy {
        copy_to_clipboard(&app, &link)?;
    }
    Ok(link)
}

/// Copies a link from the history again.
#[tauri::command]
pub fn copy_saved_link(app: AppHandle, state: State<'_, Desktop>, id: i64) -> Result<ShareLink> {
    let link = state
        .engine
        .journal()
        .link(id)?
        .ok_or_else(|| invalid(format!("link {id} is not in the history")))?;
    copy_to_clipboard(&app, &link)?;
    Ok(link)
}

#[tauri::command]
pub fn link_history(
    state: State<'_, Desktop>,
    search: Option<String>,
    limit: u32,
) -> Result<Vec<ShareLink>> {
    let search = search.filter(|s| !s.trim().is_empty());
    Ok(state
        .engine
        .journal()
        .links(search.as_deref(), limit.clamp(1, 1000) as usize)?)
}

/// "Copy link when done": the link is on the clipboard the moment the upload is
/// verified (see `watch_auto_copy`); an item already verified is copied at once.
#[tauri::command]
pub async fn copy_link_when_done(
    app: AppHandle,
    state: State<'_, Desktop>,
    id: UploadId,
    expires_secs: u64,
) -> Result<()> {
    if id <= 0 {
        return Err(invalid(format!("{id} is not an upload id")));
    }
    let lifetime = expiry(expires_secs)?;
    state.set_auto_copy(id, expires_secs)?;
    // The upload may have finished before the mark was set: whoever takes the mark
    // (this call or the watcher) makes the link, so it is copied exactly once.
    let item = state
        .engine
        .snapshot()
        .await?
        .into_iter()
        .find(|s| s.id == id);
    match item.map(|i| (i.state, i.key, i.bucket)) {
        Some((ItemState::Verified, key, bucket)) => {
            if state.take_auto_copy(id).is_some() {
                let link = state.share(&key, Some(bucket), lifetime, None).await?;
                copy_to_clipboard(&app, &link)?;
            }
            Ok(())
        }
        Some((s, _, _)) if s.is_final() => {
            state.take_auto_copy(id);
            Err(invalid(format!(
                "upload {id} has already ended ({s:?}); nothing to link"
            )))
        }
        Some(_) => Ok(()),
        None => {
            state.take_auto_copy(id);
            Err(invalid(format!("upload {id} is not in the queue")))
        }
    }
}

/// Follows the engine's events; a verified upload marked "copy link when done" gets
/// its share link made and copied at once.
pub fn watch_auto_copy(app: &AppHandle) {
    let desktop = app.state::<Desktop>();
    let mut events = desktop.engine.subscribe();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        use tokio::sync::broadcast::error::RecvError;
        loop {
            let event = match events.recv().await {
                Ok(e) => e,
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => break,
            };
            let hoist_core::EngineEvent::Completed {
                id, bucket, key, ..
            } = event
            else {
                continue;
            };
            let state = app.state::<Desktop>();
            let Some(secs) = state.take_auto_copy(id) else {
                continue;
            };
            let result = async {
                let link = state
                    .share(
                        &key,
                        Some(bucket),
                        std::time::Duration::from_secs(secs),
                        None,
                    )
                    .await?;
                copy_to_clipboard(&app, &link)?;
                Ok::<_, crate::error::DesktopError>(link)
            }
            .await;
            match result {
                // The window may be hidden in the tray: say it where the user looks.
                Ok(link) => notify_copied(&app, &link),
                Err(e) => {
                    let _ = app.emit("link-failed", e.report());
                }
            }
        }
    });
}

/// Queues the URL for the Browser's bucket and answers the new queue item's id at
/// once; progress, completion or failure arrive on the event stream like any upload's.
#[tauri::command]
pub async fn fetch_url(
    state: State<'_, Desktop>,
    url: String,
    key: String,
    allowed_types: Vec<String>,
    max_size: Option<u64>,
) -> Result<UploadId> {
    state.fetch_url(&url, &key, allowed_types, max_size).await
}

impl Desktop {
    /// `fetch_url`'s work: checks, then the engine's queue (the key is under the
    /// Browser's bucket and prefix).
    pub async fn fetch_url(
        &self,
        url: &str,
        key: &str,
        allowed_types: Vec<String>,
        max_size: Option<u64>,
    ) -> Result<UploadId> {
        if url.len() > 8192 {
            return Err(invalid("the URL is too long"));
        }
        if allowed_types.len() > 64 || allowed_types.iter().any(|t| t.len() > 255) {
            return Err(invalid("too many or too long allowed types"));
        }
        let target = self.browse_access()?.target().clone();
        // The user's conflict setting; "ask" has no dialog for one URL, so an
        // existing key is kept and the fetch gets a new name (never a silent overwrite).
        let conflict = self
            .adds
            .get()
            .conflict
            .policy()
            .unwrap_or(ConflictPolicy::Rename);
        let request = FetchRequest {
            key: check_key(key)?.to_owned(),
            limits: OriginLimits {
                allowed_types,
                max_size,
            },
            conflict,
            ..Default::default()
        };
        Ok(self.engine.fetch(url, target, request).await?)
    }
}

#[tauri::command]
pub async fn browse_list(state: State<'_, Desktop>, request: ListRequest) -> Result<Listing> {
    if request.prefix.len() > 1024 || request.filter.as_ref().is_some_and(|f| f.len() > 256) {
        return Err(invalid("the prefix or filter is too long"));
    }
    let a = state.browse_access()?;
    Ok(browse::list(&a, &request).await?)
}

#[tauri::command]
pub async fn object_details(state: State<'_, Desktop>, key: String) -> Result<ObjectDetails> {
    let a = state.browse_access()?;
    Ok(browse::details(&a, check_key(&key)?).await?)
}

/// The first 256 KiB of a text object, for the details pane.
#[tauri::command]
pub async fn object_text_preview(
    state: State<'_, Desktop>,
    key: String,
    bucket: Option<String>,
) -> Result<TextPreview> {
    let a = state.access(check_bucket(bucket)?)?;
    Ok(preview::text_preview(&a, check_key(&key)?, 256 * 1024).await?)
}

/// The UI asks for confirmation before calling this.
#[tauri::command]
pub async fn delete_object(state: State<'_, Desktop>, key: String) -> Result<()> {
    let a = state.browse_access()?;
    Ok(browse::delete(&a, check_key(&key)?).await?)
}

/// Saves an object into the user's Downloads folder under a name no file has yet
/// (the page names only the key; Rust picks the place); returns the file's path.
#[tauri::command]
pub async fn download_object(
    app: AppHandle,
    state: State<'_, Desktop>,
    key: String,
) -> Result<String> {
    let key = check_key(&key)?;
    let dir = app
        .path()
        .download_dir()
        .map_err(|e| invalid(format!("no Downloads folder: {e}")))?;
    let name = key
        .rsplit('/')
        .next()
        .filter(|n| !n.is_empty() && *n != "." && *n != "..");
    let name = name.ok_or_else(|| invalid(format!("{key:?} has no file name")))?;
    let dest = hoist_core::fsutil::unused_name(&dir, name);
    let a = state.browse_access()?;
    browse::download(&a, key, &dest).await?;
    Ok(dest.display().to_string())
}

/// A PNG thumbnail of an image object as a `data:` URL (the CSP allows only those).
#[tauri::command]
pub async fn object_thumbnail(state: State<'_, Desktop>, key: String) -> Result<String> {
    let a = state.browse_access()?;
    Ok(hoist_core::objects::thumbnail::of_object(&a, check_key(&key)?, 160).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_checked() {
        assert!(check_key("photos/a.png").is_ok());
        assert!(check_key("").is_err());
        assert!(check_key("a\0b").is_err());
        assert!(check_key(&"k".repeat(1025)).is_err());
        assert!(check_bucket(Some(String::new())).is_err());
        assert!(check_bucket(None).unwrap().is_none());
        assert!(expiry(0).is_err());
        assert!(expiry(7 * 86400).is_ok());
        assert!(expiry(7 * 86400 + 1).is_err());
    }

    /// A tiny origin: answers every request with `body`, its first half at once and
    /// the rest after `pause` (so a queued fetch is still running when it is asked).
    fn slow_origin(body: Vec<u8>, pause: std::time::Duration) -> String {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for sock in listener.incoming() {
                let Ok(mut sock) = sock else { return };
                let mut head = Vec::new();
                let mut b = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut b) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&b[..n]),
                    }
                }
                let _ = write!(
                    sock,
                    "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let half = body.len() / 2;
                let _ = sock.write_all(&body[..half]);
                std::thread::sleep(pause);
                let _ = sock.write_all(&body[half..]);
            }
        });
        format!("http://{addr}/pic.png")
    }

    /// The Browser's fetch goes through the queue: the id comes back before the body
    /// has arrived, the queue shows the URL as the item's path, and it lands verified
    /// in the Browser's bucket under the key given (embedded local store).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn fetch_url_queues_and_returns_the_item_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let d = Desktop::start(dir.path().join("data"), dir.path().join("profiles"))
            .await
            .unwrap();
        let body: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let url = slow_origin(body.clone(), std::time::Duration::from_millis(800));
        let id = d
            .fetch_url(&url, "web/pic.png", vec!["image/*".into()], Some(1 << 20))
            .await
            .unwrap();
        let now = d.engine.snapshot().await.unwrap();
        let item = now.iter().find(|s| s.id == id).expect("queued");
        assert_eq!(item.path.to_str(), Some(url.as_str()));
        assert!(
            matches!(item.state, ItemState::Queued | ItemState::Running),
            "{:?}: answered before the body arrived",
            item.state
        );
        d.engine.wait_idle().await.unwrap();
        let done = d.engine.snapshot().await.unwrap();
        let item = done.iter().find(|s| s.id == id).unwrap();
        assert_eq!(item.state, ItemState::Verified, "{:?}", item.error);
        assert_eq!(item.size, body.len() as u64);
        let a = d.browse_access().unwrap();
        let read = |key: String| {
            let a = a.clone();
            async move {
                a.store()
                    .client()
                    .get_object()
                    .bucket(a.bucket())
                    .key(key)
                    .send()
                    .await
                    .unwrap()
                    .body
                    .collect()
                    .await
                    .unwrap()
                    .into_bytes()
            }
        };
        let first_key = format!("{}web/pic.png", a.target().prefix);
        assert_eq!(read(first_key.clone()).await.as_ref(), body.as_slice());

        // The same key again, with the default conflict setting ("ask"): the object
        // there is kept and the second fetch lands under a new name.
        let other: Vec<u8> = (0..1000u32).map(|i| (i % 7) as u8).collect();
        let url2 = slow_origin(other.clone(), std::time::Duration::from_millis(10));
        let id2 = d
            .fetch_url(&url2, "web/pic.png", vec![], None)
            .await
            .unwrap();
        d.engine.wait_idle().await.unwrap();
        let done = d.engine.snapshot().await.unwrap();
        let second = done.iter().find(|s| s.id == id2).unwrap();
        assert_eq!(second.state, ItemState::Verified, "{:?}", second.error);
        assert_ne!(second.key, item.key, "a new name, not over the first");
        assert_eq!(
            read(first_key).await.as_ref(),
            body.as_slice(),
            "the first is kept"
        );
        assert_eq!(read(second.key.clone()).await.as_ref(), other.as_slice());
        assert!(d.fetch_url("ftp://x/y", "k", vec![], None).await.is_err());
    }

    /// Every command the app declares is allowed for the window, and nothing more.
    #[test]
    fn capabilities_allow_exactly_the_declared_commands() {
        let build = include_str!("../build.rs");
        let declared: std::collections::BTreeSet<String> = build
            .split("let commands = &[")
            .nth(1)
            .and_then(|s| s.split("];").next())
            .expect("the command list in build.rs")
            .split('"')
            .skip(1)
            .step_by(2)
            .map(|c| format!("allow-{}", c.replace('_', "-")))
            .collect();
        let caps: serde_json::Value =
            serde_json::from_str(include_str!("../capabilities/main.json")).unwrap();
        let allowed: std::collections::BTreeSet<String> = caps["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p.as_str())
            .filter(|p| p.starts_with("allow-"))
            .map(str::to_owned)
            .collect();
        assert_eq!(declared, allowed);
        // …and each is handled in lib.rs (a declared command without a handler fails
        // at run time only).
        let handled: std::collections::BTreeSet<String> = include_str!("lib.rs")
            .split("generate_handler![")
            .nth(1)
            .and_then(|s| s.split(']').next())
            .expect("the handler list in lib.rs")
            .split(',')
            .filter_map(|c| c.trim().rsplit("::").next())
            .filter(|c| !c.is_empty())
            .map(|c| format!("allow-{}", c.replace('_', "-")))
            .collect();
        assert_eq!(declared, handled);
        let all = caps["permissions"].to_string();
        assert!(
            !all.contains("clipboard"),
            "the UI gets no clipboard permission: Rust copies"
        );
        assert!(
            !all.contains("dialog") && !all.contains("fs:"),
            "the UI opens no dialog and reads no file: Rust does, so paths come from the user"
        );
    }
}
