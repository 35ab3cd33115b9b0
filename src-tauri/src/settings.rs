//! The active target, kept in `settings.json` in the app's config folder (no secrets).

use std::path::{Path, PathBuf};

use hoist_core::{ChecksumMode, Target};

use crate::error::{DesktopError, Result, invalid};
use crate::local::{LOCAL_PROFILE, LocalRuntime};
use crate::models::{TargetKind, TargetSettings};

pub fn default_target() -> TargetSettings {
    TargetSettings {
        kind: TargetKind::Local,
        endpoint: None,
        region: None,
        bucket: crate::local::LOCAL_BUCKET.into(),
        prefix: String::new(),
        path_style: None,
        checksum: ChecksumMode::Crc32c,
        aws_profile: None,
    }
}

pub fn path(config_dir: &Path) -> PathBuf {
    config_dir.join("settings.json")
}

/// The saved target, or the default (the local store) when there is none or it is
/// unreadable (a broken file is kept aside, not silently overwritten).
pub fn load(config_dir: &Path) -> TargetSettings {
    let p = path(config_dir);
    let Ok(bytes) = std::fs::read(&p) else {
        return default_target();
    };
    match serde_json::from_slice::<TargetSettings>(&bytes)
        .map_err(|e| e.to_string())
        .and_then(|t| validate(t).map_err(|e| e.to_string()))
    {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!("{} is unusable ({e}); using the local store", p.display());
            let _ = std::fs::rename(&p, p.with_extension("json.broken"));
            default_target()
        }
    }
}

pub fn save(config_dir: &Path, target: &TargetSettings) -> Result<()> {
    let p = path(config_dir);
    let fail = |e: std::io::Error| DesktopError::Settings {
        path: p.display().to_string(),
        reason: e.to_string(),
    };
    std::fs::create_dir_all(config_dir).map_err(fail)?;
    let tmp = p.with_extension("json.tmp");
    let json = serde_json::to_vec_pretty(target).expect("settings serialise");
    std::fs::write(&tmp, json).map_err(fail)?;
    std::fs::rename(&tmp, &p).map_err(fail)
}

/// Checks and normalises what the settings form sent.
pub fn validate(mut t: TargetSettings) -> Result<TargetSettings> {
    let trim = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    t.endpoint = trim(t.endpoint);
    t.region = trim(t.region);
    t.aws_profile = trim(t.aws_profile);
    t.bucket = t.bucket.trim().to_owned();
    t.prefix = t.prefix.trim().trim_start_matches('/').to_owned();
    if t.prefix.len() > 512 {
        return Err(invalid("the key prefix is longer than 512 characters"));
    }
    if t.kind == TargetKind::Local {
        // The local store has one bucket; only the prefix and checksum mode are free.
        t.endpoint = None;
        t.region = None;
        t.path_style = None;
        t.aws_profile = None;
        t.bucket = crate::local::LOCAL_BUCKET.into();
    }
    if let Some(ep) = &t.endpoint {
        let rest = ep
            .strip_prefix("https://")
            .or_else(|| ep.strip_prefix("http://"))
            .ok_or_else(|| invalid("the endpoint must start with http:// or https://"))?;
        if rest.is_empty() || rest.contains(char::is_whitespace) {
            return Err(invalid(format!("{ep:?} is not an endpoint URL")));
        }
    }
    if let Some(r) = &t.region
        && !r.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(invalid(format!("{r:?} is not a region name")));
    }
    if let Some(p) = &t.aws_profile
        && !p
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(invalid(format!("{p:?} is not an AWS profile name")));
    }
    let mut probe = Target::new(t.bucket.clone());
    probe.prefix = t.prefix.clone();
    probe.validate()?;
    Ok(t)
}

/// The engine target the settings describe.
pub fn to_target(t: &TargetSettings, local: Option<&LocalRuntime>) -> Result<Target> {
    let mut target = Target::new(t.bucket.clone());
    target.prefix = t.prefix.clone();
    target.checksum = t.checksum;
    match t.kind {
        TargetKind::Local => {
            let local = local.ok_or_else(|| {
                DesktopError::LocalStoreDown(
                    "choose another target in Settings, or restart Hoist".into(),
                )
            })?;
            target.endpoint = Some(local.endpoint());
            target.region = Some("us-east-1".into());
            target.path_style = Some(true);
            target.profile = Some(LOCAL_PROFILE.into());
        }
        TargetKind::Custom => {
            target.endpoint = t.endpoint.clone();
            target.region = t.region.clone();
            target.path_style = t.path_style;
            target.profile = t.aws_profile.clone();
        }
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn custom() -> TargetSettings {
        TargetSettings {
            kind: TargetKind::Custom,
            endpoint: Some(" http://10.0.0.5:9000 ".into()),
            region: Some("eu-west-1".into()),
            bucket: "photos".into(),
            prefix: "/camera/".into(),
            path_style: None,
            checksum: ChecksumMode::ContentMd5,
            aws_profile: Some("".into()),
        }
    }

    #[test]
    fn validation_trims_and_refuses_bad_values() {
        let t = validate(custom()).unwrap();
        assert_eq!(t.endpoint.as_deref(), Some("http://10.0.0.5:9000"));
        assert_eq!(t.prefix, "camera/");
        assert_eq!(t.aws_profile, None);
        for bad in [
            TargetSettings {
                endpoint: Some("ftp://x".into()),
                ..custom()
            },
            TargetSettings {
                bucket: "".into(),
                ..custom()
            },
            TargetSettings {
                region: Some("eu west".into()),
                ..custom()
            },
            TargetSettings {
                aws_profile: Some("a b".into()),
                ..custom()
            },
            TargetSettings {
                prefix: "x".repeat(600),
                ..custom()
            },
        ] {
            let e = validate(bad).unwrap_err();
            assert_eq!(e.report().code, hoist_core::ErrorCode::InvalidInput, "{e}");
        }
    }

    #[test]
    fn local_settings_keep_only_prefix_and_checksum() {
        let t = validate(TargetSettings {
            kind: TargetKind::Local,
            ..custom()
        })
        .unwrap();
        assert_eq!(t.bucket, crate::local::LOCAL_BUCKET);
        assert_eq!(t.endpoint, None);
        assert_eq!(t.prefix, "camera/");
        assert!(
            to_target(&t, None).is_err(),
            "no local store, no local target"
        );
    }

    #[test]
    fn saved_settings_round_trip_and_a_broken_file_falls_back() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()), default_target());
        let t = validate(custom()).unwrap();
        save(dir.path(), &t).unwrap();
        assert_eq!(load(dir.path()), t);
        std::fs::write(path(dir.path()), b"{not json").unwrap();
        assert_eq!(load(dir.path()), default_target());
        assert!(dir.path().join("settings.json.broken").exists());
    }
}
