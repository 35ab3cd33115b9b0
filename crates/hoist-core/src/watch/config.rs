//! What a watch is: a local folder, where its files go, and which files count.

use std::path::{Component, Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Serialize;

use super::guard::RootGuard;
use crate::error::{HoistError, Result};
pub use crate::events::WatchId;
use crate::s3::{Target, normalize_prefix};

/// Files nobody wants synced: editors' and browsers' temporary and partial files, and
/// OS litter. A pattern without `/` matches any single name in the path (so `.git`
/// excludes the whole folder), one with `/` matches the whole relative path.
pub const DEFAULT_EXCLUDES: &[&str] = &[
    "*.tmp",
    "*.temp",
    "*.part",
    "*.partial",
    "*.crdownload",
    "*.download",
    "*.opdownload",
    "*.!ut",
    "*.swp",
    "*.swx",
    "*~",
    ".#*",
    "~$*",
    ".~lock.*",
    ".DS_Store",
    "Thumbs.db",
    "desktop.ini",
    ".git",
    ".Trash-*",
];

/// Where a watch's remote deletions go unless the user picks another prefix.
pub const DEFAULT_TRASH_PREFIX: &str = "hoist-trash/";

/// What the user asks for when adding a watch.
#[derive(Debug, Clone)]
pub struct WatchSpec {
    pub root: PathBuf,
    /// Bucket, profile, endpoint and key prefix; a file lands at
    /// `prefix + its path relative to root`.
    pub target: Target,
    /// Empty = every file.
    pub include: Vec<String>,
    /// `None` = [`DEFAULT_EXCLUDES`].
    pub exclude: Option<Vec<String>>,
    /// Mirror local deletions (to the trash prefix, never a plain delete).
    pub delete_remote: bool,
    pub trash_prefix: Option<String>,
    /// The user confirmed watching the whole home folder.
    pub allow_home: bool,
}

impl WatchSpec {
    /// A watch of `root` into `target` with the default patterns, no deletions.
    pub fn new(root: impl Into<PathBuf>, target: Target) -> WatchSpec {
        WatchSpec {
            root: root.into(),
            target,
            include: Vec::new(),
            exclude: None,
            delete_remote: false,
            trash_prefix: None,
            allow_home: false,
        }
    }
}

/// A watch as the journal keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct WatchConfig {
    #[ts(type = "number")]
    pub id: WatchId,
    #[ts(type = "string")]
    pub root: PathBuf,
    #[ts(skip)]
    #[serde(skip)]
    pub target: Target,
    pub bucket: String,
    pub prefix: String,
    pub profile: Option<String>,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub enabled: bool,
    pub delete_remote: bool,
    pub trash_prefix: String,
}

impl WatchSpec {
    /// Checks everything a user can get wrong, before anything is stored: the folder
    /// exists and is one that can be meant (`guard`), the patterns compile, the bucket
    /// name is valid, the trash is elsewhere.
    pub fn validate(self, guard: &RootGuard) -> Result<WatchConfig> {
        let meta =
            std::fs::metadata(&self.root).map_err(|e| HoistError::local_file(&self.root, e))?;
        if !meta.is_dir() {
            return Err(HoistError::local_file(&self.root, "is not a folder"));
        }
        let root = self
            .root
            .canonicalize()
            .map_err(|e| HoistError::local_file(&self.root, e))?;
        guard.check(&root, self.allow_home)?;
        let mut target = self.target;
        target.prefix = normalize_prefix(&target.prefix);
        target.validate()?;
        let exclude = self
            .exclude
            .unwrap_or_else(|| DEFAULT_EXCLUDES.iter().map(|s| s.to_string()).collect());
        Patterns::new(&self.include, &exclude)?;
        let trash_prefix =
            normalize_prefix(self.trash_prefix.as_deref().unwrap_or(DEFAULT_TRASH_PREFIX));
        if trash_prefix.is_empty() {
            return Err(HoistError::InvalidInput(
                "the trash prefix cannot be empty: deleted files would overwrite live ones".into(),
            ));
        }
        let nested = target.prefix.starts_with(&trash_prefix)
            || (!target.prefix.is_empty() && trash_prefix.starts_with(&target.prefix));
        if nested {
            return Err(HoistError::InvalidInput(format!(
                "the trash prefix {trash_prefix:?} and the watch's prefix {:?} must not contain each other",
                target.prefix
            )));
        }
        Ok(WatchConfig {
            id: 0,
            root,
            bucket: target.bucket.clone(),
            prefix: target.prefix.clone(),
            profile: target.profile.clone(),
            target,
            include: self.include,
            exclude,
            enabled: true,
            delete_remote: self.delete_remote,
            trash_prefix,
        })
    }
}

impl WatchConfig {
    /// The key a file lands at: the prefix + its path relative to the root, with `/`.
    pub fn key_for(&self, rel: &str) -> String {
        format!("{}{rel}", self.target.prefix)
    }

    /// Where the object at `key` goes when its file is deleted at `deleted_at_ms`:
    /// under the trash prefix, one object per deletion (`<trash><key>/<UTC time>`), so
    /// a later deletion of the same file never overwrites an earlier copy.
    pub fn trash_key_for(&self, key: &str, deleted_at_ms: i64) -> String {
        format!(
            "{}{key}/{}",
            self.trash_prefix,
            super::trash::stamp(deleted_at_ms)
        )
    }

    pub fn patterns(&self) -> Result<Patterns> {
        Patterns::new(&self.include, &self.exclude)
    }
}

/// `/`-separated path of `path` under `root`; `None` outside the root or when a name
/// is not UTF-8 (it could not be an S3 key).
pub fn relative_path(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    let mut out = String::new();
    for c in rel.components() {
        match c {
            Component::Normal(name) => {
                if !out.is_empty() {
                    out.push('/');
                }
                out.push_str(name.to_str()?);
            }
            _ => return None,
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Include/exclude globs.
#[derive(Debug, Clone)]
pub struct Patterns {
    include_names: GlobSet,
    include_paths: GlobSet,
    include_all: bool,
    exclude_names: GlobSet,
    exclude_paths: GlobSet,
}

fn build(patterns: &[String]) -> Result<(GlobSet, GlobSet)> {
    let (mut names, mut paths) = (GlobSetBuilder::new(), GlobSetBuilder::new());
    for p in patterns {
        let p = p.trim();
        if p.is_empty() {
            continue;
        }
        let glob = Glob::new(p.trim_start_matches('/'))
            .map_err(|e| HoistError::InvalidInput(format!("pattern {p:?}: {e}")))?;
        if p.contains('/') {
            paths.add(glob);
        } else {
            names.add(glob);
        }
    }
    let done = |b: GlobSetBuilder| {
        b.build()
            .map_err(|e| HoistError::InvalidInput(e.to_string()))
    };
    Ok((done(names)?, done(paths)?))
}

impl Patterns {
    pub fn new(include: &[String], exclude: &[String]) -> Result<Patterns> {
        let (include_names, include_paths) = build(include)?;
        let (exclude_names, exclude_paths) = build(exclude)?;
        Ok(Patterns {
            include_all: include_names.is_empty() && include_paths.is_empty(),
            include_names,
            include_paths,
            exclude_names,
            exclude_paths,
        })
    }

    /// Whether a folder's contents can match at all (excluded folders are not walked).
    pub fn folder_excluded(&self, rel: &str) -> bool {
        self.excluded(rel)
    }

    fn excluded(&self, rel: &str) -> bool {
        self.exclude_paths.is_match(rel) || rel.split('/').any(|n| self.exclude_names.is_match(n))
    }

    /// Whether a file at this relative path is synced.
    pub fn matches(&self, rel: &str) -> bool {
        if self.excluded(rel) {
            return false;
        }
        if self.include_all {
            return true;
        }
        let name = rel.rsplit('/').next().unwrap_or(rel);
        self.include_paths.is_match(rel) || self.include_names.is_match(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn default_excludes_skip_temporary_and_partial_files() {
        let excl: Vec<String> = DEFAULT_EXCLUDES.iter().map(|s| s.to_string()).collect();
        let p = Patterns::new(&[], &excl).unwrap();
        assert!(p.matches("photos/IMG_0001.JPG"));
        assert!(p.matches("a.partial.jpg"));
        for skipped in [
            "movie.mkv.part",
            "dl/file.zip.crdownload",
            ".report.docx.swp",
            "~$report.docx",
            "x/.DS_Store",
            ".git/config",
            "notes.txt~",
            "a/b.tmp",
        ] {
            assert!(!p.matches(skipped), "{skipped} should be excluded");
        }
    }

    #[test]
    fn includes_narrow_and_paths_anchor() {
        let p = Patterns::new(&v(&["*.jpg", "raw/**"]), &v(&["raw/private/**"])).unwrap();
        assert!(p.matches("2026/a.jpg"));
        assert!(p.matches("raw/x.cr3"));
        assert!(!p.matches("raw/private/x.cr3"));
        assert!(!p.matches("notes.txt"));
        assert!(Patterns::new(&v(&["[bad"]), &[]).is_err());
    }

    #[test]
    fn relative_paths_use_slashes_and_stay_inside() {
        let root = Path::new("/w");
        assert_eq!(
            relative_path(root, Path::new("/w/a/b.txt")).as_deref(),
            Some("a/b.txt")
        );
        assert_eq!(relative_path(root, Path::new("/w")), None);
        assert_eq!(relative_path(root, Path::new("/elsewhere/x")), None);
    }

    #[test]
    fn spec_validation_catches_bad_input() {
        let dir = tempfile::tempdir().unwrap();
        let spec = |root: PathBuf, bucket: &str, trash: Option<&str>| WatchSpec {
            trash_prefix: trash.map(str::to_owned),
            ..WatchSpec::new(
                root,
                Target {
                    prefix: "cam".into(),
                    ..Target::new(bucket)
                },
            )
        };
        let g = RootGuard::default();
        let ok = spec(dir.path().into(), "photos", None)
            .validate(&g)
            .unwrap();
        assert_eq!(ok.prefix, "cam/");
        assert_eq!(ok.key_for("a/b.jpg"), "cam/a/b.jpg");
        assert_eq!(
            ok.trash_key_for("cam/a/b.jpg", 1_796_176_000_123),
            "hoist-trash/cam/a/b.jpg/20261202T014640.123Z"
        );
        assert!(
            spec(dir.path().join("missing"), "photos", None)
                .validate(&g)
                .is_err()
        );
        assert!(
            spec(dir.path().into(), "No_Such", None)
                .validate(&g)
                .is_err()
        );
        assert!(
            spec(dir.path().into(), "photos", Some("cam/old"))
                .validate(&g)
                .is_err()
        );
        assert!(
            spec(dir.path().into(), "photos", Some("/"))
                .validate(&g)
                .is_err()
        );
    }
}
