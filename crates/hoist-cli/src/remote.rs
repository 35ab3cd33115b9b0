//! The commands that work on the bucket rather than the queue: share and upload
//! links, list and delete. Each translates arguments into one
//! hoist-core call and prints the result (the URL alone on its own line).

use crate::output::out;
use std::path::Path;
use std::process::ExitCode;

use hoist_core::objects::browse::{self, ListRequest};
use hoist_core::objects::share::{self, ShareLink};
use hoist_core::{
    BucketAccess, Disposition, ProfileCredentials, ProfileStore, Target, UploadJournal,
};
use serde_json::json;

use crate::CliError;
use crate::args;

/// Credentials come through the same seam as `hoist upload`'s engine, so whatever
/// resolver the engine is given by default (profiles, keyring) applies here too.
pub async fn access(journal: &Path, target: Target) -> Result<BucketAccess, CliError> {
    if target.bucket.is_empty() {
        return Err(CliError::Usage("--bucket is required".into()));
    }
    let _ = journal;
    let profiles = std::sync::Arc::new(ProfileStore::open(&ProfileStore::default_dir()));
    let resolver = ProfileCredentials::new(profiles);
    Ok(BucketAccess::connect(&resolver, target).await?)
}

fn print_link(json: bool, link: &ShareLink) {
    if json {
        out!("{}", serde_json::to_string(link).expect("links serialise"));
    } else {
        out!("{}", link.url);
        let secs = (link.expires_at - link.created_at).max(0) / 1000;
        eprintln!(
            "hoist: {} link for s3://{}/{}, valid {} (until {} UTC){}",
            if link.method == hoist_core::LinkMethod::Get {
                "share"
            } else {
                "upload"
            },
            link.bucket,
            link.key,
            human_duration(secs as u64),
            utc(link.expires_at),
            if link.limited_by_credentials {
                " — shorter than asked: the profile's temporary credentials expire then"
            } else {
                ""
            }
        );
        if let Some(ct) = &link.content_type {
            eprintln!("hoist: the uploader must send the header Content-Type: {ct}");
        }
    }
}

fn copy(json: bool, link: &ShareLink) -> Result<(), CliError> {
    crate::clipboard::copy(&link.url).map_err(CliError::Usage)?;
    if !json {
        eprintln!("hoist: link copied to the clipboard");
    }
    Ok(())
}

pub async fn share_link(
    journal: &Path,
    json: bool,
    target: Target,
    key: &str,
    expires: &str,
    disposition: Option<Disposition>,
    copy_it: bool,
) -> Result<ExitCode, CliError> {
    let expires = args::parse_expiry(expires).map_err(CliError::Usage)?;
    let a = access(journal, target).await?;
    let link = share::share_link(&a, key, expires, disposition).await?;
    let link = UploadJournal::open(journal)?.record_link(&link)?;
    print_link(json, &link);
    if copy_it {
        copy(json, &link)?;
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn upload_link(
    journal: &Path,
    json: bool,
    target: Target,
    key: &str,
    expires: &str,
    content_type: Option<&str>,
    copy_it: bool,
) -> Result<ExitCode, CliError> {
    let expires = args::parse_expiry(expires).map_err(CliError::Usage)?;
    let a = access(journal, target).await?;
    let link = share::upload_link(&a, key, expires, content_type).await?;
    let link = UploadJournal::open(journal)?.record_link(&link)?;
    print_link(json, &link);
    if copy_it {
        copy(json, &link)?;
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn ls(
    journal: &Path,
    json: bool,
    target: Target,
    prefix: Option<&str>,
    filter: Option<String>,
    page_size: u32,
) -> Result<ExitCode, CliError> {
    let a = access(journal, target).await?;
    let mut req = ListRequest {
        prefix: format!("{}{}", a.target().prefix, prefix.unwrap_or("")),
        filter,
        continuation: None,
        page_size,
    };
    loop {
        let page = browse::list(&a, &req).await?;
        for f in &page.folders {
            if json {
                out!("{}", json!({"folder": f.prefix, "name": f.name}));
            } else {
                out!("{:>19} {:>12} {}/", "", "PRE", f.name);
            }
        }
        for o in &page.objects {
            if json {
                out!("{}", serde_json::to_string(o).expect("serialises"));
            } else {
                out!(
                    "{:>19} {:>12} {}",
                    o.modified.map(utc).unwrap_or_default(),
                    o.size,
                    o.name
                );
            }
        }
        match page.next {
            Some(n) => req.continuation = Some(n),
            None => return Ok(ExitCode::SUCCESS),
        }
    }
}

pub async fn rm(
    journal: &Path,
    json: bool,
    target: Target,
    key: &str,
) -> Result<ExitCode, CliError> {
    let a = access(journal, target).await?;
    let key = format!("{}{}", a.target().prefix, key);
    browse::delete(&a, &key).await?;
    if json {
        out!("{}", json!({"deleted": key, "bucket": a.bucket()}));
    } else {
        eprintln!("hoist: deleted s3://{}/{key}", a.bucket());
    }
    Ok(ExitCode::SUCCESS)
}

pub fn links(
    journal: &Path,
    json: bool,
    search: Option<&str>,
    limit: usize,
    prune: bool,
) -> Result<ExitCode, CliError> {
    let j = UploadJournal::open(journal)?;
    if prune {
        let n = j.forget_expired_links()?;
        if !json {
            eprintln!("hoist: forgot {n} expired link(s)");
        }
    }
    let now = hoist_core::journal::now_ms();
    for l in j.links(search, limit)? {
        if json {
            out!("{}", serde_json::to_string(&l).expect("serialises"));
        } else {
            out!(
                "{} {:<6} s3://{}/{}  created {}  {} {}",
                if l.method == hoist_core::LinkMethod::Get {
                    "share "
                } else {
                    "upload"
                },
                if l.expires_at > now {
                    "live"
                } else {
                    "expired"
                },
                l.bucket,
                l.key,
                utc(l.created_at),
                if l.expires_at > now {
                    "expires"
                } else {
                    "expired"
                },
                utc(l.expires_at),
            );
            out!("  {}", l.url);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn human_duration(secs: u64) -> String {
    match secs {
        s if s % 86400 == 0 && s > 0 => format!("{} d", s / 86400),
        s if s % 3600 == 0 && s > 0 => format!("{} h", s / 3600),
        s if s % 60 == 0 && s > 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

/// "YYYY-MM-DD HH:MM:SS" in UTC from Unix milliseconds (civil-from-days).
pub fn utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86400), secs.rem_euclid(86400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_formats_civil_time() {
        assert_eq!(utc(0), "1970-01-01 00:00:00");
        assert_eq!(utc(1_709_208_000_000), "2024-02-29 12:00:00");
        assert_eq!(utc(1_798_761_599_000), "2026-12-31 23:59:59");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(900), "15 min");
        assert_eq!(human_duration(3600), "1 h");
        assert_eq!(human_duration(7 * 86400), "7 d");
        assert_eq!(human_duration(90), "90 s");
    }
}
