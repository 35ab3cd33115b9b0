//! Command-line arguments, and parsing of sizes and durations.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "hoist",
    version,
    about = "Resumable, verified uploads to S3 and S3-compatible stores"
)]
pub struct Cli {
    /// One JSON object per event on stdout instead of progress bars.
    #[arg(long, global = true)]
    pub json: bool,
    /// The journal (SQLite) that records uploads so they can resume.
    #[arg(long, global = true, env = "HOIST_JOURNAL")]
    pub journal: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Upload files and folders (folders recursively).
    Upload {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        target: TargetArgs,
        #[command(flatten)]
        transfer: TransferArgs,
        /// What to do when the key already exists.
        #[arg(long, value_enum, default_value_t = Conflict::Overwrite)]
        conflict: Conflict,
        /// Higher runs first.
        #[arg(long, default_value_t = 0)]
        priority: i32,
    },
    /// Continue the uploads an interrupted run left unfinished.
    Resume {
        #[command(flatten)]
        transfer: TransferArgs,
        /// Also retry failed and paused uploads.
        #[arg(long)]
        include_failed: bool,
    },
    /// Unfinished uploads in the journal.
    Status,
    /// Finished uploads, newest first.
    History {
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Watched folders: new and changed files are uploaded by `hoist watch run`.
    Watch {
        #[command(subcommand)]
        command: WatchCommand,
    },
    /// Abort multipart uploads on the store that the journal does not know.
    AbortOrphans {
        #[command(flatten)]
        target: TargetArgs,
        /// Only those begun longer ago than this (e.g. 24h, 30m, 0s).
        #[arg(long, default_value = "24h")]
        older_than: String,
        /// List them without aborting.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum WatchCommand {
    /// Watch a folder: a file lands at PREFIX + its path inside DIR.
    Add {
        dir: PathBuf,
        #[command(flatten)]
        target: TargetArgs,
        /// Only files matching these globs (a pattern without `/` matches a name).
        #[arg(long = "include")]
        include: Vec<String>,
        /// Skip files matching these globs (replaces the default excludes of
        /// temporary and partial-download files).
        #[arg(long = "exclude")]
        exclude: Vec<String>,
        /// Mirror local deletions by moving the object to the trash prefix.
        #[arg(long)]
        delete_remote: bool,
        /// Where deleted files' objects go (default hoist-trash/).
        #[arg(long)]
        trash_prefix: Option<String>,
    },
    /// The watches in the journal.
    List,
    /// Stop watching a folder (its objects stay in the bucket).
    Remove { id: i64 },
    /// Pause a watch.
    Disable { id: i64 },
    /// Resume a watch (it catches up with what changed meanwhile).
    Enable { id: i64 },
    /// Sync every enabled watch in the foreground until Ctrl-C.
    Run {
        #[command(flatten)]
        transfer: TransferArgs,
    },
}

#[derive(Args, Debug)]
pub struct TargetArgs {
    #[arg(long, short = 'b', env = "HOIST_BUCKET")]
    pub bucket: Option<String>,
    /// Key prefix ("folder") in the bucket.
    #[arg(long, short = 'p')]
    pub prefix: Option<String>,
    /// S3-compatible endpoint URL (default: AWS_ENDPOINT_URL, else AWS).
    #[arg(long)]
    pub endpoint: Option<String>,
    #[arg(long)]
    pub region: Option<String>,
    /// AWS profile (from ~/.aws) for credentials.
    #[arg(long)]
    pub profile: Option<String>,
    /// Force path-style addressing (automatic for IP and localhost endpoints).
    #[arg(long, conflicts_with = "virtual_host")]
    pub path_style: bool,
    /// Force virtual-host addressing.
    #[arg(long)]
    pub virtual_host: bool,
    /// Integrity mode: crc32c (default) or md5 for stores without flexible checksums.
    #[arg(long, default_value = "crc32c")]
    pub checksum: String,
}

#[derive(Args, Debug)]
pub struct TransferArgs {
    /// Preferred part size (e.g. 16MiB); grown when a file needs more than 10,000 parts.
    #[arg(long)]
    pub part_size: Option<String>,
    /// Files at least this big go multipart (default 8MiB).
    #[arg(long)]
    pub multipart_threshold: Option<String>,
    /// Requests in flight at once, across all files (default 32).
    #[arg(long, short = 'c')]
    pub concurrency: Option<usize>,
    /// File data held in memory at once (default 128MiB); bounds parts in flight.
    #[arg(long)]
    pub memory: Option<String>,
    /// Give up when the network stays down this long (default: wait for it).
    #[arg(long)]
    pub network_wait: Option<String>,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum Conflict {
    Overwrite,
    Skip,
    Rename,
}

impl From<Conflict> for hoist_core::ConflictPolicy {
    fn from(c: Conflict) -> Self {
        match c {
            Conflict::Overwrite => hoist_core::ConflictPolicy::Overwrite,
            Conflict::Skip => hoist_core::ConflictPolicy::Skip,
            Conflict::Rename => hoist_core::ConflictPolicy::Rename,
        }
    }
}

/// "16MiB", "8MB", "512k", "1048576" → bytes.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a size (try 16MiB)"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1000,
        "kib" => 1 << 10,
        "m" | "mb" => 1_000_000,
        "mib" => 1 << 20,
        "g" | "gb" => 1_000_000_000,
        "gib" => 1 << 30,
        other => {
            return Err(format!(
                "unknown size unit {other:?} in {s:?} (use KiB, MiB, GiB)"
            ));
        }
    };
    Ok((n * mult as f64) as u64)
}

/// "24h", "30m", "15s", "2d", "0" → duration.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration (try 24h)"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86400,
        other => {
            return Err(format!(
                "unknown duration unit {other:?} in {s:?} (use s, m, h, d)"
            ));
        }
    };
    Ok(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("16MiB").unwrap(), 16 << 20);
        assert_eq!(parse_size("8MB").unwrap(), 8_000_000);
        assert_eq!(parse_size("1.5GiB").unwrap(), 3 << 29);
        assert_eq!(parse_size("4096").unwrap(), 4096);
        assert!(parse_size("lots").is_err());
        assert!(parse_size("3 parsecs").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("24h").unwrap(), Duration::from_secs(86400));
        assert_eq!(parse_duration("0s").unwrap(), Duration::ZERO);
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert!(parse_duration("1w").is_err());
    }
}
