//! Commands for the Browser's bucket picker and "new bucket", and for upload defaults
//! and key-template previews: argument checks and translation only; the work is
//! hoist-core's (`objects::buckets`, `s3::KeyTemplate`, `ProfileStore`).

use hoist_core::objects::buckets::{self, BucketEntry};
use hoist_core::s3::{KeyFacts, KeyTemplate, ObjectOptions, check_bucket_name};
use hoist_core::{BucketAccess, Profile};
use tauri::State;

use crate::error::{Result, invalid};
use crate::state::{Desktop, blocking, check_name};

/// Longest template or file name the page may send.
const MAX_TEXT: usize = 1024;

fn account(state: &Desktop) -> Result<BucketAccess> {
    Ok(state.engine.account_access(state.current_target()?)?)
}

/// The buckets of the current profile's account (the local store's for none).
#[tauri::command]
pub async fn list_buckets(state: State<'_, Desktop>) -> Result<Vec<BucketEntry>> {
    let a = account(&state)?;
    Ok(buckets::list_buckets(&a).await?)
}

#[tauri::command]
pub async fn create_bucket(
    state: State<'_, Desktop>,
    name: String,
    region: Option<String>,
) -> Result<()> {
    check_bucket_name(&name)?;
    if region.as_ref().is_some_and(|r| r.len() > 64) {
        return Err(invalid("the region name is too long"));
    }
    let a = account(&state)?;
    Ok(buckets::create_bucket(&a, &name, region.as_deref()).await?)
}

/// The bucket the Browser shows for the current profile (`null`: the profile's own).
/// Returns the bucket now shown.
#[tauri::command]
pub fn browse_use_bucket(state: State<'_, Desktop>, bucket: Option<String>) -> Result<String> {
    if let Some(b) = &bucket {
        check_bucket_name(b)?;
    }
    state.set_browse_bucket(bucket)
}

/// The key a file named `file_name` would get now with `template` (or the active
/// profile's), under the destination's prefix: what Settings shows as a preview.
#[tauri::command]
pub fn preview_key(
    state: State<'_, Desktop>,
    template: Option<String>,
    file_name: String,
) -> Result<String> {
    if file_name.is_empty() || file_name.len() > MAX_TEXT || file_name.contains('\0') {
        return Err(invalid("give a file name to preview"));
    }
    if template.as_ref().is_some_and(|t| t.len() > MAX_TEXT) {
        return Err(invalid("the template is too long"));
    }
    let target = state.current_target()?;
    let template = match template.filter(|t| !t.trim().is_empty()) {
        Some(t) => Some(t),
        None => state.profiles.active()?.and_then(|p| p.key_template),
    };
    let Some(template) = template else {
        return Ok(format!("{}{file_name}", target.prefix));
    };
    Ok(KeyTemplate::parse(&template)?.render(&target.prefix, &KeyFacts::now(&file_name))?)
}

/// Saves what every upload through profile `name` gets by default.
#[tauri::command]
pub async fn set_upload_defaults(
    state: State<'_, Desktop>,
    name: String,
    defaults: ObjectOptions,
    key_template: Option<String>,
) -> Result<Profile> {
    check_name(&name)?;
    if key_template.as_ref().is_some_and(|t| t.len() > MAX_TEXT) {
        return Err(invalid("the template is too long"));
    }
    let store = state.profiles.clone();
    blocking(move || store.set_upload_defaults(&name, defaults, key_template)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use hoist_core::objects::browse::{self, ListRequest};

    /// Against the embedded local store (the app's default target): list and create
    /// buckets, pick one for the Browser, and the pick belongs to this profile only.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_browser_lists_creates_and_picks_buckets_on_the_local_store() {
        let dir = tempfile::tempdir().unwrap();
        let d = Desktop::start(dir.path().join("data"), dir.path().join("profiles"))
            .await
            .unwrap();
        let a = account(&d).unwrap();
        let before = buckets::list_buckets(&a).await.unwrap();
        assert!(before.iter().any(|b| b.name == crate::local::LOCAL_BUCKET));
        buckets::create_bucket(&a, "second-bucket", None)
            .await
            .unwrap();
        let names: Vec<String> = buckets::list_buckets(&a)
            .await
            .unwrap()
            .into_iter()
            .map(|b| b.name)
            .collect();
        assert!(names.contains(&"second-bucket".to_owned()), "{names:?}");
        assert_eq!(
            d.browse_access().unwrap().bucket(),
            crate::local::LOCAL_BUCKET
        );
        assert_eq!(
            d.set_browse_bucket(Some("second-bucket".into())).unwrap(),
            "second-bucket"
        );
        let picked = d.browse_access().unwrap();
        assert_eq!(picked.bucket(), "second-bucket");
        let listing = browse::list(&picked, &ListRequest::default())
            .await
            .unwrap();
        assert!(listing.objects.is_empty());
        // The uploads' target is untouched by the Browser's pick.
        assert_eq!(
            d.current_target().unwrap().bucket,
            crate::local::LOCAL_BUCKET
        );
        assert_eq!(
            d.set_browse_bucket(None).unwrap(),
            crate::local::LOCAL_BUCKET
        );
        assert_eq!(
            d.browse_access().unwrap().bucket(),
            crate::local::LOCAL_BUCKET
        );
        d.shutdown().await;
    }
}
