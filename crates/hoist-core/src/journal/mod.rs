//! The crash-safe journal (SQLite, WAL): the connection, its durability settings and
//! the migrations. It knows no feature: each feature keeps its tables in its own folder
//! (`transfer::records`, `watch::store`, `objects::links`), declares them as a
//! [`Schema`], and adds its queries as `impl UploadJournal` blocks there. A schema's
//! migrations run the first time its feature touches the journal.
//!
//! Durability: the connection runs with `synchronous=NORMAL` (WAL keeps the database
//! consistent and every commit survives a process crash); writes that must survive a
//! power loss (a completed part) use [`JournalConn::durably`].

mod location;
pub mod registry;
mod schema;

use std::collections::HashSet;
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::Connection;

pub use location::{adopt_old_data, data_dir, journal_in, old_app_data_dir};
pub use schema::Schema;

use crate::error::Result;

/// The journal file, shared by every feature (one connection, serialised).
pub struct UploadJournal {
    inner: Mutex<Inner>,
    path: PathBuf,
    /// Test hook: every call waits this long first (ms), as on a slow disk.
    slow_ms: std::sync::atomic::AtomicU64,
}

struct Inner {
    conn: Connection,
    /// Schemas whose migrations ran on this connection.
    ready: HashSet<&'static str>,
}

/// The connection, locked, with a feature's tables ready.
pub struct JournalConn<'a>(MutexGuard<'a, Inner>);

impl Deref for JournalConn<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.0.conn
    }
}

impl DerefMut for JournalConn<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        &mut self.0.conn
    }
}

impl JournalConn<'_> {
    /// Runs `f` with `synchronous=FULL`: its commits reach the disk before it returns.
    pub fn durably<T>(&mut self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        self.pragma_update(None, "synchronous", "FULL")?;
        let r = f(self);
        self.pragma_update(None, "synchronous", "NORMAL")?;
        r
    }
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl UploadJournal {
    /// Opens (or creates) the journal. It names the user's files and keeps bearer
    /// links, so it is private whatever the umask: missing folders are made 0700, the
    /// database 0600 before SQLite opens it (SQLite gives its WAL and SHM files the
    /// database's mode), and an older journal's files are made 0600.
    pub fn open(path: &Path) -> Result<UploadJournal> {
        if let Some(dir) = path.parent() {
            crate::fsutil::create_private_dirs(dir)?;
        }
        crate::fsutil::create_private_file(path)?;
        for side in ["-wal", "-shm", "-journal"] {
            let mut name = path.as_os_str().to_owned();
            name.push(side);
            crate::fsutil::private_file(Path::new(&name))?;
        }
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        registry::register(path);
        Ok(UploadJournal {
            inner: Mutex::new(Inner {
                conn,
                ready: HashSet::new(),
            }),
            path: path.to_path_buf(),
            slow_ms: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// For tests: every journal call from now on takes at least `delay` (a disk whose
    /// fsyncs are slow), to show that no call blocks an async thread.
    #[doc(hidden)]
    pub fn slow_down_for_tests(&self, delay: std::time::Duration) {
        self.slow_ms.store(
            delay.as_millis() as u64,
            std::sync::atomic::Ordering::Relaxed,
        );
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection, with `schema`'s tables migrated to their latest version.
    pub(crate) fn conn(&self, schema: &'static Schema) -> Result<JournalConn<'_>> {
        // A panic while holding the lock cannot leave SQLite inconsistent (every write is
        // a transaction), so a poisoned lock is still usable.
        let slow = self.slow_ms.load(std::sync::atomic::Ordering::Relaxed);
        if slow > 0 {
            std::thread::sleep(std::time::Duration::from_millis(slow));
        }
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if !inner.ready.contains(schema.name) {
            schema.migrate(&mut inner.conn)?;
            inner.ready.insert(schema.name);
        }
        Ok(JournalConn(inner))
    }
}

/// Paths are stored as text: sources are checked to be UTF-8 when queued (keys must
/// be), so this is lossless.
pub(crate) fn path_to_db(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    static NOTES: Schema = Schema {
        name: "test_notes",
        steps: &["CREATE TABLE notes (text TEXT NOT NULL)"],
    };

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    fn write_note(j: &UploadJournal) {
        j.conn(&NOTES)
            .unwrap()
            .execute(
                "INSERT INTO notes (text) VALUES ('a path and a bearer link')",
                [],
            )
            .unwrap();
    }

    /// umask 022 is what a usual login has; the journal's files are 0600 anyway.
    #[test]
    fn the_journal_its_wal_and_shm_are_private_whatever_the_umask() {
        // SAFETY: umask only changes the mode mask of files created afterwards.
        unsafe { libc::umask(0o022) };
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("new").join("hoist");
        let path = data.join("journal.sqlite");
        let j = UploadJournal::open(&path).unwrap();
        write_note(&j);
        assert_eq!(mode(&data), 0o700, "a folder the journal creates");
        for name in ["journal.sqlite", "journal.sqlite-wal", "journal.sqlite-shm"] {
            assert_eq!(mode(&data.join(name)), 0o600, "{name}");
        }
    }

    #[test]
    fn an_older_journal_readable_by_everyone_is_made_private_when_opened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.sqlite");
        write_note(&UploadJournal::open(&path).unwrap());
        let wal = dir.path().join("journal.sqlite-wal");
        std::fs::write(&wal, b"").unwrap();
        for p in [&path, &wal] {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        let j = UploadJournal::open(&path).unwrap();
        write_note(&j);
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&wal), 0o600);
    }
}
