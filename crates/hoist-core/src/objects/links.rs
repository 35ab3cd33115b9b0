//! The link history: every share or upload link made, kept in the journal so a user
//! can find one again or forget one; expired ones are forgotten by themselves.

use rusqlite::params;

use super::share::{Disposition, LinkMethod, ShareLink};
use crate::error::Result;
use crate::journal::{Schema, UploadJournal, now_ms};

pub(crate) static SCHEMA: Schema = Schema {
    name: "links",
    steps: &[r#"
CREATE TABLE IF NOT EXISTS links (
    id INTEGER PRIMARY KEY,
    method TEXT NOT NULL,
    endpoint TEXT,
    bucket TEXT NOT NULL,
    key TEXT NOT NULL,
    url TEXT NOT NULL,
    content_type TEXT,
    disposition TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    limited_by_credentials INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS links_created ON links(created_at);
"#],
};

const LINK_COLUMNS: &str = "id, method, endpoint, bucket, key, url, content_type, disposition, \
     created_at, expires_at, limited_by_credentials";

fn link_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ShareLink> {
    Ok(ShareLink {
        id: Some(r.get(0)?),
        method: if r.get::<_, String>(1)? == "put" {
            LinkMethod::Put
        } else {
            LinkMethod::Get
        },
        endpoint: r.get(2)?,
        bucket: r.get(3)?,
        key: r.get(4)?,
        url: r.get(5)?,
        content_type: r.get(6)?,
        disposition: r
            .get::<_, Option<String>>(7)?
            .as_deref()
            .and_then(Disposition::parse),
        created_at: r.get(8)?,
        expires_at: r.get(9)?,
        limited_by_credentials: r.get(10)?,
    })
}

/// Links that no longer work are dropped whenever the history is written or read:
/// their URLs are useless to the user and still name the key id and the objects.
fn prune_expired(conn: &rusqlite::Connection) -> Result<usize> {
    Ok(conn.execute("DELETE FROM links WHERE expires_at <= ?1", [now_ms()])?)
}

/// The link history. Links are bearer tokens until they expire; they are kept so a
/// user can find one again, can be forgotten one by one, and go by themselves once
/// expired.
impl UploadJournal {
    pub fn record_link(&self, link: &ShareLink) -> Result<ShareLink> {
        let conn = self.conn(&SCHEMA)?;
        prune_expired(&conn)?;
        conn.execute(
            "INSERT INTO links (method, endpoint, bucket, key, url, content_type, disposition, \
             created_at, expires_at, limited_by_credentials) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                link.method.as_str(),
                link.endpoint,
                link.bucket,
                link.key,
                link.url,
                link.content_type,
                link.disposition.map(Disposition::as_str),
                link.created_at,
                link.expires_at,
                link.limited_by_credentials,
            ],
        )?;
        let mut saved = link.clone();
        saved.id = Some(conn.last_insert_rowid());
        Ok(saved)
    }

    /// Links newest first; `search` matches the key (substring, case-insensitive).
    pub fn links(&self, search: Option<&str>, limit: usize) -> Result<Vec<ShareLink>> {
        let conn = self.conn(&SCHEMA)?;
        prune_expired(&conn)?;
        let pattern = search.map(|s| {
            let escaped = s
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            format!("%{escaped}%")
        });
        let mut stmt = conn.prepare(&format!(
            "SELECT {LINK_COLUMNS} FROM links \
                 WHERE ?1 IS NULL OR key LIKE ?1 ESCAPE '\\' ORDER BY id DESC LIMIT ?2"
        ))?;
        let rows = stmt
            .query_map(params![pattern, limit as i64], link_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    pub fn link(&self, id: i64) -> Result<Option<ShareLink>> {
        use rusqlite::OptionalExtension;
        let conn = self.conn(&SCHEMA)?;
        prune_expired(&conn)?;
        Ok(conn
            .query_row(
                &format!("SELECT {LINK_COLUMNS} FROM links WHERE id = ?1"),
                [id],
                link_from_row,
            )
            .optional()?)
    }

    pub fn forget_link(&self, id: i64) -> Result<bool> {
        Ok(self
            .conn(&SCHEMA)?
            .execute("DELETE FROM links WHERE id = ?1", [id])?
            > 0)
    }

    /// Forgets every link made against `endpoint`: the local store's links die with
    /// the keys that signed them or the port they name, and the history must not show
    /// them as live. Returns how many.
    pub fn forget_links_for_endpoint(&self, endpoint: &str) -> Result<usize> {
        Ok(self
            .conn(&SCHEMA)?
            .execute("DELETE FROM links WHERE endpoint = ?1", [endpoint])?)
    }

    /// Removes links that no longer work now; returns how many.
    pub fn forget_expired_links(&self) -> Result<usize> {
        let conn = self.conn(&SCHEMA)?;
        prune_expired(&conn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_history_round_trips_and_searches() {
        let dir = tempfile::tempdir().unwrap();
        let j = UploadJournal::open(&dir.path().join("j.sqlite")).unwrap();
        let mk = |key: &str, expires_at: i64| ShareLink {
            id: None,
            url: format!("http://s3/b/{key}?X-Amz-Signature=abc"),
            method: LinkMethod::Get,
            endpoint: Some("http://s3".into()),
            bucket: "b".into(),
            key: key.into(),
            content_type: None,
            disposition: Some(Disposition::Attachment),
            created_at: 1,
            expires_at,
            limited_by_credentials: false,
        };
        let a = j
            .record_link(&mk("photos/cat.png", now_ms() + 60_000))
            .unwrap();
        let b = j
            .record_link(&mk("docs/100%_done.txt", now_ms() + 60_000))
            .unwrap();
        assert!(a.id.is_some() && b.id > a.id);
        let all = j.links(None, 10).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0], b, "newest first, every field kept");
        assert_eq!(j.links(Some("CAT"), 10).unwrap()[0].key, "photos/cat.png");
        assert_eq!(
            j.links(Some("%_"), 10).unwrap().len(),
            1,
            "LIKE wildcards are literal"
        );
        assert_eq!(j.link(a.id.unwrap()).unwrap(), Some(a.clone()));
        assert!(j.forget_link(b.id.unwrap()).unwrap());
        assert_eq!(j.links(None, 10).unwrap(), [a]);
    }

    #[test]
    fn links_of_one_endpoint_are_forgotten_together() {
        let dir = tempfile::tempdir().unwrap();
        let j = UploadJournal::open(&dir.path().join("j.sqlite")).unwrap();
        let mk = |endpoint: Option<&str>| ShareLink {
            id: None,
            url: "http://s3/b/k?X-Amz-Signature=abc".into(),
            method: LinkMethod::Get,
            endpoint: endpoint.map(str::to_owned),
            bucket: "b".into(),
            key: "k".into(),
            content_type: None,
            disposition: None,
            created_at: 1,
            expires_at: now_ms() + 60_000,
            limited_by_credentials: false,
        };
        j.record_link(&mk(Some("http://127.0.0.1:4100"))).unwrap();
        j.record_link(&mk(Some("http://127.0.0.1:4100"))).unwrap();
        let other = j.record_link(&mk(Some("http://127.0.0.1:9000"))).unwrap();
        let aws = j.record_link(&mk(None)).unwrap();
        assert_eq!(
            j.forget_links_for_endpoint("http://127.0.0.1:4100")
                .unwrap(),
            2
        );
        assert_eq!(j.links(None, 10).unwrap(), [aws, other]);
    }

    /// A link is a bearer token: once it has expired it is useless to keep, and the
    /// journal forgets it without being asked.
    #[test]
    fn expired_links_are_forgotten_by_themselves() {
        let dir = tempfile::tempdir().unwrap();
        let j = UploadJournal::open(&dir.path().join("j.sqlite")).unwrap();
        let mk = |key: &str, expires_at: i64| ShareLink {
            id: None,
            url: format!("http://s3/b/{key}?X-Amz-Signature=abc"),
            method: LinkMethod::Get,
            endpoint: None,
            bucket: "b".into(),
            key: key.into(),
            content_type: None,
            disposition: None,
            created_at: 1,
            expires_at,
            limited_by_credentials: false,
        };
        j.record_link(&mk("old.png", 1)).unwrap();
        let live = j.record_link(&mk("live.png", now_ms() + 60_000)).unwrap();
        let keys: Vec<String> = j
            .links(None, 10)
            .unwrap()
            .into_iter()
            .map(|l| l.key)
            .collect();
        assert_eq!(keys, ["live.png"]);
        let urls: i64 = j
            .conn(&SCHEMA)
            .unwrap()
            .query_row(
                "SELECT COUNT(*) FROM links WHERE url LIKE '%old.png%'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(urls, 0, "the expired URL is gone from the journal");
        assert_eq!(j.link(live.id.unwrap()).unwrap(), Some(live));
        assert_eq!(
            j.forget_expired_links().unwrap(),
            0,
            "nothing was left to forget"
        );
    }
}
