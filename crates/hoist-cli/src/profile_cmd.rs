//! `hoist profile ...`: translates arguments into `hoist_core::profiles` calls and
//! prints the answers. Secrets come from a prompt or stdin, never from arguments.

use crate::output::out;
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use hoist_core::profiles::{
    AwsFiles, AwsImport, ChecksumPreference, ConnectionReport, Profile, ProfileSecret,
    ProfileStore, ProfileUpdate, parse_timestamp, test_profile,
};

use crate::CliError;
use crate::args::{ProfileAction, parse_duration};

pub async fn run(
    store: Arc<ProfileStore>,
    action: &ProfileAction,
    json: bool,
) -> Result<ExitCode, CliError> {
    match action {
        ProfileAction::Add {
            name,
            access_key_id,
            endpoint,
            region,
            bucket,
            prefix,
            path_style,
            virtual_host,
            checksum,
            session_token,
            expires,
        } => {
            let session_expires_at = match expires {
                None => None,
                Some(e) => Some(match parse_duration(e) {
                    Ok(d) => hoist_core::journal::now_ms() + d.as_millis() as i64,
                    Err(_) => parse_timestamp(e)?,
                }),
            };
            let profile = Profile {
                name: name.clone(),
                endpoint: endpoint.clone(),
                region: region.clone(),
                bucket: bucket.clone(),
                prefix: prefix.clone(),
                path_style: path_flag(*path_style, *virtual_host),
                checksum: checksum.parse::<ChecksumPreference>()?,
                probed_checksum: None,
                access_key_id: access_key_id.clone(),
                session_expires_at,
                upload_defaults: Default::default(),
                key_template: None,
            };
            let secret = read_secret(*session_token)?;
            let saved = blocking(move || {
                store.save(ProfileUpdate {
                    profile,
                    previous_name: None,
                    secret: Some(secret),
                })
            })
            .await?;
            eprintln!(
                "hoist: profile {:?} saved; its secret is in the OS keyring. `hoist profile test {}` checks it",
                saved.name, saved.name
            );
            Ok(ExitCode::SUCCESS)
        }
        ProfileAction::List => {
            let list = blocking(move || store.list()).await?;
            if json {
                out!("{}", serde_json::to_string(&list).expect("serialises"));
            } else {
                if let Some(problem) = &list.keyring_problem {
                    eprintln!("hoist: {problem}");
                }
                if list.profiles.is_empty() {
                    eprintln!(
                        "hoist: no profiles yet (`hoist profile add NAME --access-key-id ...`)"
                    );
                }
                for s in &list.profiles {
                    let p = &s.profile;
                    let secret = match s.secret_stored {
                        Some(true) => "secret in keyring",
                        Some(false) => "NO SECRET in keyring",
                        None => "keyring unavailable",
                    };
                    let expiry = p
                        .session_expires_at
                        .map(|at| format!(", temporary until {}", format_time(at)))
                        .unwrap_or_default();
                    out!(
                        "{} {}\t{}\tbucket {}\t{} ({secret}{expiry})",
                        if s.active { "*" } else { " " },
                        p.name,
                        p.endpoint.as_deref().unwrap_or("AWS"),
                        p.bucket.as_deref().unwrap_or("-"),
                        p.access_key_id,
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        ProfileAction::Defaults {
            name,
            object,
            key_template,
        } => {
            let p = store.set_upload_defaults(name, object.to_options()?, key_template.clone())?;
            if json {
                out!(
                    "{}",
                    serde_json::json!({"name": p.name, "upload_defaults": p.upload_defaults, "key_template": p.key_template})
                );
            } else if p.upload_defaults.is_empty() && p.key_template.is_none() {
                out!("profile {:?}: no upload defaults", p.name);
            } else {
                out!(
                    "profile {:?}: upload defaults saved{}",
                    p.name,
                    p.key_template
                        .as_deref()
                        .map(|t| format!(", key template {t}"))
                        .unwrap_or_default()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        ProfileAction::Remove { name } => {
            let name = name.clone();
            blocking(move || store.remove(&name)).await?;
            Ok(ExitCode::SUCCESS)
        }
        ProfileAction::Use { name, none } => {
            let name = if *none { None } else { name.clone() };
            blocking(move || store.set_active(name.as_deref())).await?;
            Ok(ExitCode::SUCCESS)
        }
        ProfileAction::Test { name, bucket } => {
            let name = match name {
                Some(n) => n.clone(),
                None => {
                    let s = store.clone();
                    blocking(move || s.active())
                        .await?
                        .map(|p| p.name)
                        .ok_or_else(|| {
                            CliError::Usage(
                                "name a profile (no default: `hoist profile use NAME`)".into(),
                            )
                        })?
                }
            };
            let base = hoist_core::s3::load_base_config().await;
            let report = test_profile(store, &base, &name, bucket.clone()).await?;
            print_report(json, &report);
            Ok(if report.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        ProfileAction::Import {
            aws_profile,
            name,
            bucket,
            keep_aws_file,
            backup,
            yes,
        } => {
            let files = AwsFiles::from_env();
            let Some(aws_profile) = aws_profile else {
                let found = files.profiles()?;
                if json {
                    out!("{}", serde_json::to_string(&found).expect("serialises"));
                } else {
                    for p in found {
                        out!(
                            "{}\t{}\t{}",
                            p.name,
                            p.access_key_id.as_deref().unwrap_or("-"),
                            if p.has_secret {
                                "has keys"
                            } else {
                                "no keys (SSO/role: not importable)"
                            }
                        );
                    }
                }
                return Ok(ExitCode::SUCCESS);
            };
            let question = if *keep_aws_file {
                format!("Copy the keys of AWS profile {aws_profile:?} into the OS keyring?")
            } else {
                format!(
                    "Move the secret of AWS profile {aws_profile:?} into the OS keyring, removing it from {}?",
                    files.credentials.display()
                )
            };
            if !yes && !confirm(&question)? {
                return Err(CliError::Usage("import cancelled".into()));
            }
            let req = AwsImport {
                aws_profile: aws_profile.clone(),
                name: name.clone(),
                bucket: bucket.clone(),
                remove_plaintext: !keep_aws_file,
                backup: *backup,
            };
            let saved = blocking(move || store.import_aws(&files, req)).await?;
            eprintln!("hoist: imported as profile {:?}", saved.name);
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn path_flag(path_style: bool, virtual_host: bool) -> Option<bool> {
    match (path_style, virtual_host) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    }
}

/// Keyring and config calls block (D-Bus, files): off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> hoist_core::Result<T> + Send + 'static,
) -> Result<T, CliError> {
    Ok(tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| CliError::Usage(e.to_string()))??)
}

/// From a hidden prompt on a terminal, else the first lines of stdin (secret, then
/// session token).
fn read_secret(with_token: bool) -> Result<ProfileSecret, CliError> {
    let (secret, token) = if std::io::stdin().is_terminal() {
        let s = rpassword::prompt_password("Secret access key: ")
            .map_err(|e| CliError::Usage(format!("cannot read the secret: {e}")))?;
        let t = if with_token {
            Some(
                rpassword::prompt_password("Session token: ")
                    .map_err(|e| CliError::Usage(format!("cannot read the token: {e}")))?,
            )
        } else {
            None
        };
        (s, t)
    } else {
        let mut lines = std::io::stdin().lock().lines();
        let mut next = || -> Result<String, CliError> {
            Ok(lines
                .next()
                .transpose()
                .map_err(|e| CliError::Usage(format!("cannot read stdin: {e}")))?
                .unwrap_or_default()
                .trim()
                .to_owned())
        };
        let s = next()?;
        let t = if with_token { Some(next()?) } else { None };
        (s, t)
    };
    if secret.is_empty() {
        return Err(CliError::Usage(
            "no secret access key given (type it at the prompt, or pipe it on stdin)".into(),
        ));
    }
    if with_token && token.as_deref().is_none_or(str::is_empty) {
        return Err(CliError::Usage("no session token given".into()));
    }
    Ok(ProfileSecret::new(secret, token))
}

fn confirm(question: &str) -> Result<bool, CliError> {
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Usage(format!(
            "{question} Pass --yes to confirm without a terminal"
        )));
    }
    eprint!("{question} [y/N] ");
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

fn format_time(ms: i64) -> String {
    hoist_core::profiles::format_timestamp(ms)
}

fn print_report(json: bool, r: &ConnectionReport) {
    if json {
        out!("{}", serde_json::to_string(r).expect("serialises"));
        return;
    }
    out!("endpoint {}", r.endpoint);
    for p in &r.passed {
        out!("  ok    {p}");
    }
    for n in &r.notes {
        out!("  note  {n}");
    }
    if let Some(c) = &r.checksum {
        let yes = |b: bool| if b { "yes" } else { "no" };
        out!(
            "  checksums: CRC32C header {} (kept: {}), Content-MD5 {}, SDK streaming checksums {}; using {}",
            yes(c.crc32c_header),
            yes(c.crc32c_stored),
            yes(c.content_md5),
            yes(c.sdk_default_checksums),
            c.recommended
                .map(|m| format!("{m:?}"))
                .unwrap_or_else(|| "none".into())
        );
    }
    if let Some(at) = r.credentials_expire_at {
        out!("  credentials expire at {}", format_time(at));
    }
    match &r.problem {
        Some(p) => out!("FAILED: {}", p.message),
        None => out!("OK ({} ms)", r.elapsed_ms),
    }
}
