//! Importing profiles from `~/.aws/credentials` and `~/.aws/config`: the secret moves
//! into the keyring, and (when the user agrees) its plain-text copy leaves the file.

use std::path::{Path, PathBuf};

use ini::Ini;
use serde::Serialize;
use ts_rs::TS;

use super::{ChecksumPreference, Profile, ProfileSecret, ProfileStore, ProfileUpdate};
use crate::error::{HoistError, Result};

/// An AWS profile as found in the files, without its secret.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct AwsFileProfile {
    pub name: String,
    pub access_key_id: Option<String>,
    pub has_secret: bool,
    pub has_session_token: bool,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    #[ts(type = "number | null")]
    pub expires_at: Option<i64>,
}

pub struct AwsFiles {
    pub credentials: PathBuf,
    pub config: PathBuf,
}

const SECRET_KEYS: &[&str] = &["aws_secret_access_key", "aws_session_token"];

impl AwsFiles {
    /// Where the AWS CLI and SDKs look: `AWS_SHARED_CREDENTIALS_FILE`, `AWS_CONFIG_FILE`,
    /// else `~/.aws/credentials` and `~/.aws/config`.
    pub fn from_env() -> AwsFiles {
        let home = directories::BaseDirs::new()
            .map(|d| d.home_dir().to_path_buf())
            .unwrap_or_default();
        let var = |k: &str, default: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                .unwrap_or_else(|| home.join(".aws").join(default))
        };
        AwsFiles {
            credentials: var("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
            config: var("AWS_CONFIG_FILE", "config"),
        }
    }

    fn load(path: &Path) -> Result<Option<Ini>> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ini::load_from_str_noescape(&text).map(Some).map_err(|e| {
                HoistError::InvalidInput(format!("{} cannot be parsed: {e}", path.display()))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(HoistError::local_file(path, e)),
        }
    }

    /// Every profile in either file, by name.
    pub fn profiles(&self) -> Result<Vec<AwsFileProfile>> {
        let creds = Self::load(&self.credentials)?;
        let config = Self::load(&self.config)?;
        let mut names: Vec<String> = Vec::new();
        if let Some(c) = &creds {
            names.extend(c.sections().flatten().map(str::to_owned));
        }
        if let Some(c) = &config {
            names.extend(c.sections().flatten().filter_map(|s| {
                if s == "default" {
                    Some(s.to_owned())
                } else {
                    s.strip_prefix("profile ").map(|n| n.trim().to_owned())
                }
            }));
        }
        names.sort();
        names.dedup();
        Ok(names
            .into_iter()
            .map(|name| describe(&name, creds.as_ref(), config.as_ref()))
            .collect())
    }

    fn secret(&self, name: &str) -> Result<Option<ProfileSecret>> {
        let Some(creds) = Self::load(&self.credentials)? else {
            return Ok(None);
        };
        let Some(section) = creds.section(Some(name)) else {
            return Ok(None);
        };
        Ok(section.get("aws_secret_access_key").map(|s| {
            ProfileSecret::new(
                s.trim(),
                section
                    .get("aws_session_token")
                    .map(|t| t.trim().to_owned()),
            )
        }))
    }

    /// Drops the secret and session token lines of one profile from the credentials
    /// file, leaving every other line (comments, other profiles) as it was. A linked
    /// file is edited where it lives and keeps its mode; the old contents stay beside
    /// it (`credentials.hoist-backup`, private) only with `backup`.
    pub fn remove_plaintext(&self, name: &str, backup: bool) -> Result<bool> {
        let text = match std::fs::read_to_string(&self.credentials) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(HoistError::local_file(&self.credentials, e)),
        };
        let mut in_section = false;
        let mut removed = false;
        let mut out = String::with_capacity(text.len());
        for line in text.split_inclusive('\n') {
            let t = line.trim();
            if t.starts_with('[') && t.ends_with(']') {
                in_section = t[1..t.len() - 1].trim() == name;
            } else if in_section
                && let Some((k, _)) = t.split_once('=')
                && SECRET_KEYS.contains(&k.trim())
            {
                removed = true;
                continue;
            }
            out.push_str(line);
        }
        if removed {
            crate::fsutil::rewrite_user_file(&self.credentials, out.as_bytes(), backup)?;
        }
        Ok(removed)
    }
}

fn describe(name: &str, creds: Option<&Ini>, config: Option<&Ini>) -> AwsFileProfile {
    let c = creds.and_then(|i| i.section(Some(name)));
    let config_section = if name == "default" {
        "default".to_owned()
    } else {
        format!("profile {name}")
    };
    let k = config.and_then(|i| i.section(Some(config_section.as_str())));
    let get = |key: &str| {
        c.and_then(|s| s.get(key))
            .or_else(|| k.and_then(|s| s.get(key)))
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let expires_at = ["aws_expiration", "expiration", "x_security_token_expires"]
        .iter()
        .find_map(|key| get(key))
        .and_then(|v| {
            aws_smithy_types::DateTime::from_str(&v, aws_smithy_types::date_time::Format::DateTime)
                .ok()
        })
        .map(|d| d.to_millis().unwrap_or(0));
    AwsFileProfile {
        name: name.to_owned(),
        access_key_id: get("aws_access_key_id"),
        has_secret: get("aws_secret_access_key").is_some(),
        has_session_token: get("aws_session_token").is_some(),
        region: get("region"),
        endpoint_url: get("endpoint_url"),
        expires_at,
    }
}

/// What to import, as the user confirmed it.
#[derive(Debug, Clone)]
pub struct AwsImport {
    pub aws_profile: String,
    /// The Hoist profile's name (default: the AWS profile's).
    pub name: Option<String>,
    pub bucket: Option<String>,
    /// Remove the secret from `~/.aws/credentials` once the keyring holds it.
    pub remove_plaintext: bool,
    /// Keep the file's old contents (with the secret) as `credentials.hoist-backup`.
    pub backup: bool,
}

impl ProfileStore {
    pub fn import_aws(&self, files: &AwsFiles, req: AwsImport) -> Result<Profile> {
        let found = files
            .profiles()?
            .into_iter()
            .find(|p| p.name == req.aws_profile)
            .ok_or_else(|| {
                HoistError::InvalidInput(format!(
                    "no AWS profile {:?} in {} or {}",
                    req.aws_profile,
                    files.credentials.display(),
                    files.config.display()
                ))
            })?;
        let (Some(access_key_id), Some(secret)) =
            (found.access_key_id.clone(), files.secret(&found.name)?)
        else {
            return Err(HoistError::InvalidInput(format!(
                "AWS profile {:?} has no access key and secret in {} (SSO and role profiles are not imported: they keep working through the AWS chain)",
                found.name,
                files.credentials.display()
            )));
        };
        let profile = Profile {
            name: req.name.unwrap_or_else(|| found.name.clone()),
            endpoint: found.endpoint_url.clone(),
            region: found.region.clone(),
            bucket: req.bucket,
            prefix: String::new(),
            path_style: None,
            checksum: ChecksumPreference::Auto,
            probed_checksum: None,
            access_key_id,
            session_expires_at: found.expires_at,
            upload_defaults: Default::default(),
            key_template: None,
        };
        let saved = self.save(ProfileUpdate {
            profile,
            previous_name: None,
            secret: Some(secret),
        })?;
        // Read back before touching the user's file: the keyring must really hold it.
        self.credentials(&saved.name)?;
        if req.remove_plaintext {
            files.remove_plaintext(&found.name, req.backup)?;
        }
        Ok(saved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CREDENTIALS: &str = "# mine\n[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = defaultsecret\n\n[minio]\naws_access_key_id=AKIDMINIO\naws_secret_access_key=miniosecret\naws_session_token = tok\n";
    const CONFIG: &str = "[default]\nregion = eu-west-1\n[profile minio]\nregion = us-east-1\nendpoint_url = http://127.0.0.1:9000\naws_expiration = 2030-01-01T00:00:00Z\n[profile sso]\nsso_start_url = https://x\n";

    fn files(dir: &Path) -> AwsFiles {
        let f = AwsFiles {
            credentials: dir.join("credentials"),
            config: dir.join("config"),
        };
        std::fs::write(&f.credentials, CREDENTIALS).unwrap();
        std::fs::write(&f.config, CONFIG).unwrap();
        f
    }

    #[test]
    fn profiles_are_listed_from_both_files_without_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let list = files(dir.path()).profiles().unwrap();
        let names: Vec<_> = list.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["default", "minio", "sso"]);
        let minio = &list[1];
        assert_eq!(minio.access_key_id.as_deref(), Some("AKIDMINIO"));
        assert!(minio.has_secret && minio.has_session_token);
        assert_eq!(minio.endpoint_url.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(minio.expires_at, Some(1_893_456_000_000));
        assert!(!list[2].has_secret);
        assert!(!format!("{list:?}").contains("miniosecret"));
    }

    #[test]
    fn import_moves_the_secret_into_the_keyring() {
        let dir = tempfile::tempdir().unwrap();
        let f = files(dir.path());
        let store = crate::profiles::store::tests::mock_store(&dir.path().join("cfg"));
        let p = store
            .import_aws(
                &f,
                AwsImport {
                    aws_profile: "minio".into(),
                    name: Some("corp-minio".into()),
                    bucket: Some("photos".into()),
                    remove_plaintext: true,
                    backup: false,
                },
            )
            .unwrap();
        assert_eq!(p.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        let c = store.credentials("corp-minio").unwrap();
        assert_eq!(c.secret_access_key(), "miniosecret");
        assert_eq!(c.session_token(), Some("tok"));
        let left = std::fs::read_to_string(&f.credentials).unwrap();
        assert!(!left.contains("miniosecret") && !left.contains("tok\n"));
        assert!(
            left.contains("defaultsecret") && left.contains("AKIDMINIO") && left.contains("# mine")
        );
        // SSO profiles have nothing to import.
        let err = store
            .import_aws(
                &f,
                AwsImport {
                    aws_profile: "sso".into(),
                    name: None,
                    bucket: None,
                    remove_plaintext: false,
                    backup: false,
                },
            )
            .unwrap_err();
        assert!(err.to_string().contains("SSO"), "{err}");
    }
    /// `~/.aws/credentials` kept elsewhere (a dotfiles repository) and linked: the
    /// import edits the linked file, keeps it a link, keeps the file's mode, and leaves
    /// no copy of the secret behind.
    #[cfg(unix)]
    #[test]
    fn import_edits_a_linked_credentials_file_through_the_link() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let dotfiles = dir.path().join("dotfiles");
        let aws = dir.path().join("home").join(".aws");
        std::fs::create_dir_all(&dotfiles).unwrap();
        std::fs::create_dir_all(&aws).unwrap();
        let real = dotfiles.join("aws-credentials");
        std::fs::write(&real, CREDENTIALS).unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
        let f = AwsFiles {
            credentials: aws.join("credentials"),
            config: aws.join("config"),
        };
        std::os::unix::fs::symlink("../../dotfiles/aws-credentials", &f.credentials).unwrap();
        std::fs::write(&f.config, CONFIG).unwrap();
        let store = crate::profiles::store::tests::mock_store(&dir.path().join("cfg"));
        store
            .import_aws(
                &f,
                AwsImport {
                    aws_profile: "minio".into(),
                    name: None,
                    bucket: None,
                    remove_plaintext: true,
                    backup: false,
                },
            )
            .unwrap();
        let link = std::fs::symlink_metadata(&f.credentials).unwrap();
        assert!(link.file_type().is_symlink(), "the link is still a link");
        let left = std::fs::read_to_string(&real).unwrap();
        assert!(
            !left.contains("miniosecret"),
            "the secret left the linked file"
        );
        assert!(left.contains("defaultsecret") && left.contains("# mine"));
        let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640, "the file keeps its mode");
        for d in [&dotfiles, &aws] {
            for e in std::fs::read_dir(d).unwrap().flatten() {
                let text = std::fs::read_to_string(e.path()).unwrap_or_default();
                assert!(
                    !text.contains("miniosecret"),
                    "{} still holds the secret",
                    e.path().display()
                );
            }
        }
        // Asked for, a backup of the old contents stays beside the linked file, private.
        store
            .import_aws(
                &f,
                AwsImport {
                    aws_profile: "default".into(),
                    name: None,
                    bucket: None,
                    remove_plaintext: true,
                    backup: true,
                },
            )
            .unwrap();
        let backup = dotfiles.join("aws-credentials.hoist-backup");
        assert!(
            std::fs::read_to_string(&backup)
                .unwrap()
                .contains("defaultsecret")
        );
        let mode = std::fs::metadata(&backup).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the backup holds a secret: private");
        assert!(
            !std::fs::read_to_string(&real)
                .unwrap()
                .contains("defaultsecret")
        );
        assert!(
            std::fs::symlink_metadata(&f.credentials)
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }
}
