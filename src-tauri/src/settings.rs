//! The upload target: the active profile, or the embedded local store when none is
//! active. Profiles (and which is active) live in hoist-core's `profiles.json`, shared
//! with the `hoist` CLI; this maps the settings form onto them.

use hoist_core::Target;
use hoist_core::profiles::{Profile, ProfileSecret, ProfileUpdate};

use crate::error::{DesktopError, Result, invalid};
use crate::local::{LOCAL_BUCKET, LOCAL_PROFILE, LocalRuntime};
use crate::models::{ProfileForm, TargetSummary};

/// Longest value a text field may carry over IPC (secrets and tokens included:
/// STS session tokens run to ~2 KB).
const MAX_FIELD: usize = 4096;

/// The engine target for the active profile, or the local store.
pub fn to_target(active: Option<&Profile>, local: Option<&LocalRuntime>) -> Result<Target> {
    match active {
        Some(p) => Ok(p.target(None)?),
        None => {
            let local = local.ok_or_else(|| {
                DesktopError::LocalStoreDown(
                    "choose a profile in Settings, or restart Hoist".into(),
                )
            })?;
            let mut target = Target::new(LOCAL_BUCKET);
            target.endpoint = Some(local.endpoint());
            target.region = Some("us-east-1".into());
            target.path_style = Some(true);
            target.profile = Some(LOCAL_PROFILE.into());
            Ok(target)
        }
    }
}

pub fn summary(target: &Target, local: bool) -> TargetSummary {
    TargetSummary {
        profile: (!local).then(|| target.profile.clone()).flatten(),
        endpoint: target.endpoint.clone(),
        bucket: target.bucket.clone(),
        prefix: target.prefix.clone(),
        checksum: target.checksum,
    }
}

/// Checks sizes and trims what the form sent; the core validates the values.
pub fn form_to_update(form: ProfileForm) -> Result<ProfileUpdate> {
    let trim = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let fields = [
        Some(&form.name),
        form.previous_name.as_ref(),
        form.endpoint.as_ref(),
        form.region.as_ref(),
        form.bucket.as_ref(),
        Some(&form.prefix),
        Some(&form.access_key_id),
        form.secret_access_key.as_ref(),
        form.session_token.as_ref(),
    ];
    if fields.into_iter().flatten().any(|f| f.len() > MAX_FIELD) {
        return Err(invalid("a field is longer than 4096 characters"));
    }
    if form.prefix.len() > 512 {
        return Err(invalid("the key prefix is longer than 512 characters"));
    }
    let secret = trim(form.secret_access_key)
        .map(|s| ProfileSecret::new(s, trim(form.session_token.clone())));
    if secret.is_none() && trim(form.session_token).is_some() {
        return Err(invalid(
            "a new session token needs its secret access key: enter both",
        ));
    }
    Ok(ProfileUpdate {
        profile: Profile {
            name: form.name.trim().to_owned(),
            endpoint: trim(form.endpoint).map(|e| e.trim_end_matches('/').to_owned()),
            region: trim(form.region),
            bucket: trim(form.bucket),
            prefix: form.prefix.trim().trim_start_matches('/').to_owned(),
            path_style: form.path_style,
            checksum: form.checksum,
            probed_checksum: None,
            access_key_id: form.access_key_id.trim().to_owned(),
            session_expires_at: form.session_expires_at,
            // Kept from the saved profile (see ProfileStore::save).
            upload_defaults: Default::default(),
            key_template: None,
        },
        previous_name: trim(form.previous_name),
        secret,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use hoist_core::profiles::ChecksumPreference;
    use secrecy::ExposeSecret;

    fn form() -> ProfileForm {
        ProfileForm {
            name: " corp ".into(),
            previous_name: Some("".into()),
            endpoint: Some(" https://minio.corp/ ".into()),
            region: Some("".into()),
            bucket: Some("photos".into()),
            prefix: "/2026/".into(),
            path_style: None,
            checksum: ChecksumPreference::Auto,
            access_key_id: " AKID ".into(),
            secret_access_key: Some(" s3cret ".into()),
            session_token: None,
            session_expires_at: None,
        }
    }

    #[test]
    fn the_form_is_trimmed_and_blank_fields_are_defaults() {
        let u = form_to_update(form()).unwrap();
        assert_eq!(u.profile.name, "corp");
        assert_eq!(u.profile.endpoint.as_deref(), Some("https://minio.corp"));
        assert_eq!(u.profile.region, None);
        assert_eq!(u.profile.prefix, "2026/");
        assert_eq!(u.previous_name, None);
        assert_eq!(
            u.secret.unwrap().secret_access_key.expose_secret(),
            "s3cret"
        );
        // A blank secret keeps the stored one.
        let u = form_to_update(ProfileForm {
            secret_access_key: Some("  ".into()),
            ..form()
        })
        .unwrap();
        assert!(u.secret.is_none());
    }

    #[test]
    fn oversized_and_half_credentials_are_refused() {
        assert!(
            form_to_update(ProfileForm {
                endpoint: Some("x".repeat(5000)),
                ..form()
            })
            .is_err()
        );
        assert!(
            form_to_update(ProfileForm {
                secret_access_key: None,
                session_token: Some("tok".into()),
                ..form()
            })
            .is_err()
        );
    }

    #[test]
    fn no_active_profile_means_the_local_store() {
        let err = to_target(None, None).unwrap_err();
        assert!(matches!(err, DesktopError::LocalStoreDown(_)));
        let p = Profile {
            name: "corp".into(),
            endpoint: None,
            region: None,
            bucket: None,
            prefix: String::new(),
            path_style: None,
            checksum: ChecksumPreference::Compatible,
            probed_checksum: None,
            access_key_id: "AKID".into(),
            session_expires_at: None,
            upload_defaults: Default::default(),
            key_template: None,
        };
        // A profile without a default bucket cannot take uploads.
        assert!(to_target(Some(&p), None).is_err());
        let with_bucket = Profile {
            bucket: Some("photos".into()),
            ..p
        };
        let t = to_target(Some(&with_bucket), None).unwrap();
        assert_eq!(t.profile.as_deref(), Some("corp"));
        assert_eq!(t.checksum, hoist_core::ChecksumMode::ContentMd5);
    }
}
