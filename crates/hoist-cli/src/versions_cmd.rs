//! `hoist ls --versions KEY` and `hoist restore KEY --version-id V`: translation only;
//! the work is `hoist_core::objects::versions`.

use std::path::Path;
use std::process::ExitCode;

use hoist_core::Target;
use hoist_core::objects::versions;
use serde_json::json;

use crate::CliError;
use crate::remote::{access, utc};

pub async fn list(
    journal: &Path,
    json: bool,
    target: Target,
    key: &str,
) -> Result<ExitCode, CliError> {
    let a = access(journal, target).await?;
    let key = format!("{}{}", a.target().prefix, key);
    let found = versions::list_versions(&a, &key).await?;
    for v in &found {
        if json {
            println!("{}", serde_json::to_string(v).expect("serialises"));
        } else {
            let what = if v.is_delete_marker {
                "(deleted)".to_owned()
            } else {
                v.size.to_string()
            };
            println!(
                "{:>19} {:>12} {}{}",
                v.modified.map(utc).unwrap_or_default(),
                what,
                v.version_id,
                if v.is_latest { "  (current)" } else { "" }
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn restore(
    journal: &Path,
    json: bool,
    target: Target,
    key: &str,
    version_id: &str,
) -> Result<ExitCode, CliError> {
    let a = access(journal, target).await?;
    let key = format!("{}{}", a.target().prefix, key);
    let now = versions::restore(&a, &key, version_id).await?;
    if json {
        println!(
            "{}",
            json!({"restored": key, "bucket": a.bucket(), "from_version": version_id, "version_id": now.version_id, "size": now.size})
        );
    } else {
        eprintln!(
            "hoist: s3://{}/{key} is version {version_id} again ({} bytes, new version {})",
            a.bucket(),
            now.size,
            now.version_id
        );
    }
    Ok(ExitCode::SUCCESS)
}
