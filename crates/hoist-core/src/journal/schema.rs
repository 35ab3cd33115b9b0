//! Versioned migrations: each feature's tables as a numbered list of SQL steps; the
//! journal records how many of each ran.

use rusqlite::{Connection, OptionalExtension};

use crate::error::Result;

/// A feature's tables. Steps are applied in order and never edited once released:
/// a change is a new step at the end.
pub struct Schema {
    /// Unique per feature (`"uploads"`, `"watches"`, ...).
    pub name: &'static str,
    pub steps: &'static [&'static str],
}

const VERSIONS: &str = "CREATE TABLE IF NOT EXISTS schema_versions (
    name TEXT PRIMARY KEY,
    version INTEGER NOT NULL
)";

impl Schema {
    /// Applies the steps this database has not run yet, in one transaction.
    pub(crate) fn migrate(&self, conn: &mut Connection) -> Result<()> {
        conn.execute_batch(VERSIONS)?;
        let tx = conn.transaction()?;
        let done: i64 = tx
            .query_row(
                "SELECT version FROM schema_versions WHERE name = ?1",
                [self.name],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0);
        let done = usize::try_from(done).unwrap_or(0);
        if done >= self.steps.len() {
            return Ok(());
        }
        for step in &self.steps[done..] {
            tx.execute_batch(step)?;
        }
        tx.execute(
            "INSERT INTO schema_versions (name, version) VALUES (?1, ?2)
             ON CONFLICT(name) DO UPDATE SET version = excluded.version",
            (self.name, self.steps.len() as i64),
        )?;
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static V1: Schema = Schema {
        name: "things",
        steps: &["CREATE TABLE things (id INTEGER PRIMARY KEY)"],
    };
    static V2: Schema = Schema {
        name: "things",
        steps: &[
            "CREATE TABLE things (id INTEGER PRIMARY KEY)",
            "ALTER TABLE things ADD COLUMN name TEXT",
        ],
    };

    #[test]
    fn steps_run_once_and_new_steps_run_on_upgrade() {
        let mut conn = Connection::open_in_memory().unwrap();
        V1.migrate(&mut conn).unwrap();
        V1.migrate(&mut conn).unwrap(); // a second CREATE TABLE would fail
        V2.migrate(&mut conn).unwrap();
        conn.execute("INSERT INTO things (name) VALUES ('x')", [])
            .unwrap();
        let v: i64 = conn
            .query_row(
                "SELECT version FROM schema_versions WHERE name = 'things'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(v, 2);
    }
}
