//! The crash-safe journal (SQLite, WAL): the connection, its durability settings and
//! the migrations. It knows no feature: each feature keeps its tables in its own folder
//! (`transfer::records`, `watch::store`, `objects::links`), declares them as a
//! [`Schema`], and adds its queries as `impl UploadJournal` blocks there. A schema's
//! migrations run the first time its feature touches the journal.
//!
//! Durability: the connection runs with `synchronous=NORMAL` (WAL keeps the database
//! consistent and every commit survives a process crash); writes that must survive a
//! power loss (a completed part) use [`JournalConn::durably`].

pub mod registry;
mod schema;

use std::collections::HashSet;
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::Connection;

pub use schema::Schema;

use crate::error::{HoistError, Result};

/// The journal file, shared by every feature (one connection, serialised).
pub struct UploadJournal {
    inner: Mutex<Inner>,
    path: PathBuf,
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
    pub fn open(path: &Path) -> Result<UploadJournal> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| HoistError::local_file(dir, e))?;
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
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection, with `schema`'s tables migrated to their latest version.
    pub(crate) fn conn(&self, schema: &'static Schema) -> Result<JournalConn<'_>> {
        // A panic while holding the lock cannot leave SQLite inconsistent (every write is
        // a transaction), so a poisoned lock is still usable.
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
