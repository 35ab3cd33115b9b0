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
        #[command(flatten)]
        object: ObjectArgs,
        /// How keys are made under the prefix: {name} {stem} {ext} {folder} {yyyy} {mm}
        /// {dd} {hh} {uuid}, e.g. "{yyyy}/{mm}/{dd}/{name}" (default: the profile's,
        /// else the file's name and folder).
        #[arg(long)]
        key_template: Option<String>,
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
    /// Storage accounts: secrets in the OS keyring, everything else in profiles.json.
    Profile {
        #[command(subcommand)]
        action: ProfileAction,
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
    /// Print a share link (presigned GET) for an object; the URL is on its own line.
    Share {
        /// The object's key (after --prefix, if given).
        key: String,
        #[command(flatten)]
        target: TargetArgs,
        /// How long the link works: 15m, 1h, 7d, ... (at most 7d).
        #[arg(long, short = 'e', default_value = "1h")]
        expires: String,
        /// Put the link on the clipboard too.
        #[arg(long)]
        copy: bool,
        /// Make browsers save the file instead of showing it.
        #[arg(long, conflicts_with = "inline")]
        download: bool,
        /// Make browsers show the file (Content-Disposition: inline).
        #[arg(long)]
        inline: bool,
    },
    /// Print an upload link (presigned PUT) for a key: `curl -T FILE URL` uploads.
    UploadLink {
        key: String,
        #[command(flatten)]
        target: TargetArgs,
        #[arg(long, short = 'e', default_value = "15m")]
        expires: String,
        /// Content-Type the uploader must send (it is part of the signature).
        #[arg(long)]
        content_type: Option<String>,
        #[arg(long)]
        copy: bool,
    },
    /// Queue a URL and stream it into the bucket (multipart when large, never whole
    /// in memory), with progress like `upload`. Ctrl-C pauses it: `hoist resume`
    /// continues, from where it stopped when the server takes byte ranges.
    Fetch {
        url: String,
        /// Destination key (after --prefix).
        #[arg(long, short = 'k')]
        key: String,
        #[command(flatten)]
        target: TargetArgs,
        #[command(flatten)]
        transfer: TransferArgs,
        /// Allowed content types (repeatable), e.g. image/* or application/pdf.
        #[arg(long = "allow-type")]
        allow_types: Vec<String>,
        /// Refuse bodies larger than this (e.g. 500MiB).
        #[arg(long)]
        max_size: Option<String>,
        #[arg(long, value_enum, default_value = "overwrite")]
        conflict: Conflict,
    },
    /// List a bucket like folders: PREFIX/ entries, then objects. Without a bucket
    /// (no --bucket and no default bucket in the profile): the buckets.
    Ls {
        /// Folder to list (after --prefix).
        #[arg(value_name = "PREFIX")]
        folder: Option<String>,
        #[command(flatten)]
        target: TargetArgs,
        /// Only names containing this (case-insensitive).
        #[arg(long)]
        filter: Option<String>,
        /// Objects per request (1-1000).
        #[arg(long, default_value_t = 1000)]
        page_size: u32,
        /// PREFIX is an object's key: list its versions (buckets with versioning on).
        #[arg(long)]
        versions: bool,
    },
    /// Make an older version of an object the current one again (the version it
    /// replaces is kept).
    Restore {
        key: String,
        #[arg(long)]
        version_id: String,
        #[command(flatten)]
        target: TargetArgs,
    },
    /// Create a bucket.
    Mb {
        name: String,
        #[command(flatten)]
        target: TargetArgs,
    },
    /// Copy an object on the store (server-side): SRC and DST are keys in --bucket,
    /// or s3://BUCKET/KEY. With --recursive, SRC and DST are folders.
    Cp {
        src: String,
        dst: String,
        #[command(flatten)]
        target: TargetArgs,
        #[command(flatten)]
        copy: CopyArgs,
    },
    /// Move (rename) an object or, with --recursive, a folder: copy, verify the copy,
    /// then delete the source. Nothing is deleted before its copy is verified.
    Mv {
        src: String,
        dst: String,
        #[command(flatten)]
        target: TargetArgs,
        #[command(flatten)]
        copy: CopyArgs,
    },
    /// Delete an object, or with --recursive every object under a folder (asks first;
    /// --yes when not on a terminal).
    Rm {
        key: String,
        #[command(flatten)]
        target: TargetArgs,
        /// KEY is a folder: delete everything under it (DeleteObjects, 1,000 a request).
        #[arg(long, short = 'r')]
        recursive: bool,
        /// Do not ask.
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Links created before (share and upload links), newest first.
    Links {
        /// Only keys containing this.
        #[arg(long)]
        search: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Forget links that have expired.
        #[arg(long)]
        prune: bool,
    },
    /// Internal: holds clipboard text for `--copy` after the command returns.
    #[command(hide = true, name = "__clipboard-hold")]
    ClipboardHold,
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
        /// Confirm that DIR is meant to be your whole home folder (Hoist's own data
        /// in it is left out).
        #[arg(long)]
        allow_home: bool,
    },
    /// The watches in the journal.
    List,
    /// Deleted files' copies in the trash: list them, or put one back.
    Trash {
        #[command(subcommand)]
        action: TrashAction,
    },
    /// Answer for the deletions a watch holds (more files deleted at once than the
    /// guard lets through): move their objects to the trash, or keep them.
    Deletions {
        id: i64,
        /// Move the objects of the held deletions to the trash.
        #[arg(long, conflicts_with = "keep", required_unless_present = "keep")]
        approve: bool,
        /// Keep the objects in the bucket and stop tracking those files.
        #[arg(long)]
        keep: bool,
    },
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

#[derive(Subcommand, Debug)]
pub enum TrashAction {
    /// The watch's deleted files, newest first.
    List { id: i64 },
    /// Put a trashed file back into the watched folder (never over a file that is
    /// there); the watch uploads it again. The copy stays in the trash.
    Restore {
        id: i64,
        /// The trashed copy's key, as `hoist watch trash list` shows it.
        trash_key: String,
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
    /// Hoist profile (`hoist profile list`; default: the one chosen with `hoist profile
    /// use`), or else an AWS profile from ~/.aws.
    #[arg(long, env = "HOIST_PROFILE")]
    pub profile: Option<String>,
    /// Force path-style addressing (automatic for IP and localhost endpoints).
    #[arg(long, conflicts_with = "virtual_host")]
    pub path_style: bool,
    /// Force virtual-host addressing.
    #[arg(long)]
    pub virtual_host: bool,
    /// Integrity mode: crc32c or md5 for stores without flexible checksums (default:
    /// the profile's, else crc32c).
    #[arg(long)]
    pub checksum: Option<String>,
}

#[derive(Args, Debug)]
pub struct CopyArgs {
    /// SRC and DST are folders: every object under SRC.
    #[arg(long, short = 'r')]
    pub recursive: bool,
    /// Objects larger than this are copied in parts (UploadPartCopy); at most 5GiB.
    #[arg(long, default_value = "5GiB")]
    pub multipart_threshold: String,
    /// Part size for copies in parts.
    #[arg(long, default_value = "512MiB")]
    pub part_size: String,
    /// Objects (or parts) copied at once.
    #[arg(long, short = 'c', default_value_t = 8)]
    pub concurrency: usize,
}

/// What the store keeps with each uploaded object; the profile's upload defaults fill
/// in what is not given.
#[derive(Args, Debug, Default)]
pub struct ObjectArgs {
    /// Content-Type (default: guessed from each file's name).
    #[arg(long)]
    pub content_type: Option<String>,
    /// User metadata NAME=VALUE (repeatable; stored as x-amz-meta-NAME).
    #[arg(long = "metadata", value_name = "NAME=VALUE")]
    pub metadata: Vec<String>,
    /// Object tag KEY=VALUE (repeatable, at most 10).
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
    #[arg(long)]
    pub cache_control: Option<String>,
    #[arg(long)]
    pub content_disposition: Option<String>,
    /// STANDARD, STANDARD_IA, GLACIER, ... (what the store accepts).
    #[arg(long)]
    pub storage_class: Option<String>,
    /// Server-side encryption: AES256 (SSE-S3) or aws:kms (SSE-KMS).
    #[arg(long, value_name = "AES256|aws:kms")]
    pub sse: Option<String>,
    /// The KMS key for --sse aws:kms (default: the store's).
    #[arg(long, requires = "sse")]
    pub sse_kms_key_id: Option<String>,
}

impl ObjectArgs {
    /// The options as given (checked by the engine once merged with the profile's).
    pub fn to_options(&self) -> Result<hoist_core::s3::ObjectOptions, hoist_core::HoistError> {
        use hoist_core::s3::{ObjectOptions, Sse, parse_pair};
        let mut o = ObjectOptions {
            content_type: self.content_type.clone(),
            cache_control: self.cache_control.clone(),
            content_disposition: self.content_disposition.clone(),
            storage_class: self.storage_class.clone(),
            ..Default::default()
        };
        for m in &self.metadata {
            let (k, v) = parse_pair("--metadata", m)?;
            o.metadata.insert(k, v);
        }
        for t in &self.tags {
            let (k, v) = parse_pair("--tag", t)?;
            o.tags.insert(k, v);
        }
        if let Some(kind) = &self.sse {
            o.sse = Some(Sse::parse(kind, self.sse_kms_key_id.as_deref())?);
        }
        o.validated()
    }
}

#[derive(Subcommand, Debug)]
pub enum ProfileAction {
    /// Create a profile, or replace one of the same name. The secret is asked for (or
    /// read from stdin when it is not a terminal), never taken from the command line.
    Add {
        name: String,
        #[arg(long)]
        access_key_id: String,
        /// S3-compatible endpoint URL (omit for AWS).
        #[arg(long)]
        endpoint: Option<String>,
        #[arg(long)]
        region: Option<String>,
        /// Default bucket.
        #[arg(long, short = 'b')]
        bucket: Option<String>,
        #[arg(long, short = 'p', default_value = "")]
        prefix: String,
        #[arg(long, conflicts_with = "virtual_host")]
        path_style: bool,
        #[arg(long)]
        virtual_host: bool,
        /// auto (what `hoist profile test` finds), full (CRC32C) or compatible (MD5).
        #[arg(long, default_value = "auto")]
        checksum: String,
        /// Temporary credentials: also ask for a session token.
        #[arg(long)]
        session_token: bool,
        /// When temporary credentials expire: RFC 3339 time or a duration from now (12h).
        #[arg(long, requires = "session_token")]
        expires: Option<String>,
    },
    /// Set what every upload through a profile gets unless the upload says otherwise
    /// (replaces the profile's previous defaults; no options clears them).
    Defaults {
        name: String,
        #[command(flatten)]
        object: ObjectArgs,
        /// Key template for uploads, e.g. "{yyyy}/{mm}/{dd}/{name}".
        #[arg(long)]
        key_template: Option<String>,
    },
    /// Profiles, with whether the keyring holds their secret.
    List,
    /// Delete a profile and its keyring entry.
    Remove { name: String },
    /// Check credentials and bucket access, and probe what the store supports.
    Test {
        /// Default: the active profile.
        name: Option<String>,
        #[arg(long, short = 'b')]
        bucket: Option<String>,
    },
    /// Make a profile the default for every command.
    Use {
        #[arg(required_unless_present = "none")]
        name: Option<String>,
        /// No default: use the environment's credentials.
        #[arg(long, conflicts_with = "name")]
        none: bool,
    },
    /// Move an AWS profile's keys from ~/.aws into a Hoist profile and the keyring.
    /// Without a name, lists the AWS profiles found.
    Import {
        aws_profile: Option<String>,
        /// The Hoist profile's name (default: the AWS profile's).
        #[arg(long)]
        name: Option<String>,
        #[arg(long, short = 'b')]
        bucket: Option<String>,
        /// Leave the plain-text secret in ~/.aws/credentials.
        #[arg(long)]
        keep_aws_file: bool,
        /// Keep the file's old contents, secret included, as credentials.hoist-backup
        /// (readable by you only). The file is edited in place, through a symlink.
        #[arg(long, conflicts_with = "keep_aws_file")]
        backup: bool,
        /// Do not ask for confirmation.
        #[arg(long, short = 'y')]
        yes: bool,
    },
}

#[derive(Args, Debug)]
pub struct TransferArgs {
    /// Every part this size (e.g. 64MiB; grown only when a file needs more than 10,000
    /// parts). Default: parts begin at 16MiB and grow on a fast network.
    #[arg(long)]
    pub part_size: Option<String>,
    /// Send each part's CRC32C after its bytes (an aws-chunked trailer), which the store
    /// decodes (default: none, matched with the CRC32C the store names, or a header
    /// where the store insists on one).
    #[arg(long)]
    pub checksum_trailers: bool,
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
    /// Cap the upload bandwidth of all requests together, per second (e.g. 2MiB).
    #[arg(long)]
    pub limit_rate: Option<String>,
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

/// A link lifetime: a duration between 1 s and 7 days.
pub fn parse_expiry(s: &str) -> Result<Duration, String> {
    let d = parse_duration(s)?;
    hoist_core::objects::share::validate_expiry(d).map_err(|e| e.to_string())?;
    Ok(d)
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
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn link_expiry_is_limited_to_seven_days() {
        assert_eq!(parse_expiry("7d").unwrap(), Duration::from_secs(7 * 86400));
        assert!(parse_expiry("8d").unwrap_err().contains("7 days"));
        assert!(parse_expiry("0s").is_err());
    }

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
