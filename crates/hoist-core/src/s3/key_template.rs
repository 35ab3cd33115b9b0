//! Key templates (S3 keys made from file names): how a file's key is made from its name, per profile or per upload,
//! e.g. `{yyyy}/{mm}/{dd}/{name}` (dated folders) or `{uuid}-{name}` (unique keys).
//! A pure function of the file's place, the time and a random id, so the app can show a
//! preview of exactly the key an upload would get.

use crate::error::{HoistError, Result};

/// What a template may name.
pub const PLACEHOLDERS: &[(&str, &str)] = &[
    ("name", "the file's name, e.g. photo.jpg"),
    ("stem", "the name without its extension, e.g. photo"),
    (
        "ext",
        "the extension without the dot, e.g. jpg (empty when none)",
    ),
    (
        "folder",
        "the folder inside what was added, e.g. trip/raw (empty for a file added on its own)",
    ),
    ("yyyy", "the year the upload was queued, UTC"),
    ("mm", "the month, 01-12"),
    ("dd", "the day, 01-31"),
    ("hh", "the hour, 00-23"),
    ("uuid", "a random UUID, different for every file"),
];

/// S3's longest key, in bytes.
const MAX_KEY: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Field(&'static str),
}

/// A checked template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyTemplate {
    pieces: Vec<Piece>,
}

/// The facts one key is made of.
#[derive(Debug, Clone)]
pub struct KeyFacts<'a> {
    /// The file's path relative to what was added, `/`-separated (`trip/raw/a.jpg`,
    /// or just `a.jpg`).
    pub relative: &'a str,
    /// Seconds since the epoch (the time the file is queued).
    pub unix_secs: i64,
    /// 32 random hex digits (formatted as a UUID).
    pub random: u128,
}

impl<'a> KeyFacts<'a> {
    /// The facts for a file queued now, with a fresh random id.
    pub fn now(relative: &'a str) -> KeyFacts<'a> {
        let unix_secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        KeyFacts {
            relative,
            unix_secs,
            random: (u128::from(fastrand::u64(..)) << 64) | u128::from(fastrand::u64(..)),
        }
    }
}

impl KeyTemplate {
    pub fn parse(template: &str) -> Result<KeyTemplate> {
        let bad = |why: String| {
            Err(HoistError::InvalidInput(format!(
                "key template {template:?}: {why}"
            )))
        };
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut rest = template;
        while let Some(open) = rest.find(['{', '}']) {
            text.push_str(&rest[..open]);
            if rest[open..].starts_with('}') {
                return bad("a '}' without its '{'".into());
            }
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else {
                return bad("a '{' is never closed".into());
            };
            let field = &after[..close];
            let Some((known, _)) = PLACEHOLDERS.iter().find(|(n, _)| *n == field) else {
                let names: Vec<String> = PLACEHOLDERS
                    .iter()
                    .map(|(n, _)| format!("{{{n}}}"))
                    .collect();
                return bad(format!(
                    "unknown placeholder {{{field}}}; use {}",
                    names.join(", ")
                ));
            };
            if !text.is_empty() {
                pieces.push(Piece::Text(std::mem::take(&mut text)));
            }
            pieces.push(Piece::Field(known));
            rest = &after[close + 1..];
        }
        text.push_str(rest);
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        let names_file = pieces
            .iter()
            .any(|p| matches!(p, Piece::Field("name" | "stem" | "uuid")));
        if !names_file {
            return bad(
                "it must contain {name}, {stem} or {uuid}, or every file would get the same key"
                    .into(),
            );
        }
        if template.starts_with('/') {
            return bad("keys do not start with '/'".into());
        }
        Ok(KeyTemplate { pieces })
    }

    /// The key for one file, under `prefix` (already normalised: empty or ending in
    /// `/`). Empty folders collapse (`{folder}/{name}` for a lone file is `name`).
    pub fn render(&self, prefix: &str, facts: &KeyFacts<'_>) -> Result<String> {
        let (folder, name) = match facts.relative.rsplit_once('/') {
            Some((f, n)) => (f, n),
            None => ("", facts.relative),
        };
        let (stem, ext) = match name.rsplit_once('.') {
            Some((s, e)) if !s.is_empty() => (s, e),
            _ => (name, ""),
        };
        let (y, m, d, h) = civil(facts.unix_secs);
        let r = format!("{:032x}", facts.random);
        let uuid = format!(
            "{}-{}-4{}-{:x}{}-{}",
            &r[0..8],
            &r[8..12],
            &r[13..16],
            8 | (u8::from_str_radix(&r[16..17], 16).unwrap_or(0) & 3),
            &r[17..20],
            &r[20..32]
        );
        let mut out = String::from(prefix);
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Field(f) => out.push_str(&match *f {
                    "name" => name.to_owned(),
                    "stem" => stem.to_owned(),
                    "ext" => ext.to_owned(),
                    "folder" => folder.to_owned(),
                    "yyyy" => format!("{y:04}"),
                    "mm" => format!("{m:02}"),
                    "dd" => format!("{d:02}"),
                    "hh" => format!("{h:02}"),
                    "uuid" => uuid.clone(),
                    _ => unreachable!("parse admits only known placeholders"),
                }),
            }
        }
        let key = tidy(&out);
        check_key(&key)?;
        Ok(key)
    }
}

/// Folders that came out empty (`a//b`, a leading `/`) collapse.
fn tidy(key: &str) -> String {
    let parts: Vec<&str> = key.split('/').filter(|s| !s.is_empty()).collect();
    let mut out = parts.join("/");
    if key.ends_with('/') && !out.is_empty() {
        out.push('/');
    }
    out
}

/// A key S3 stores as written and Hoist can list and download again.
pub fn check_key(key: &str) -> Result<()> {
    let bad = |why: &str| Err(HoistError::InvalidInput(format!("key {key:?} {why}")));
    if key.is_empty() {
        return bad("is empty");
    }
    if key.len() > MAX_KEY {
        return bad("is longer than S3's 1024 bytes");
    }
    if key.ends_with('/') {
        return bad("ends with '/', which is a folder, not a file");
    }
    if key.split('/').any(|s| s == "." || s == "..") {
        return bad("has a '.' or '..' folder, which other tools resolve away");
    }
    if key.chars().any(char::is_control) {
        return bad("contains a control character");
    }
    Ok(())
}

/// UTC year, month, day and hour of a Unix time (Howard Hinnant's civil_from_days).
fn civil(secs: i64) -> (i64, u32, u32, u32) {
    let days = secs.div_euclid(86_400);
    let hour = (secs.rem_euclid(86_400) / 3600) as u32;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, hour)
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2026-12-02 04:20:00 UTC
    const NOW: i64 = 1_796_185_200;

    fn facts(relative: &str) -> KeyFacts<'_> {
        KeyFacts {
            relative,
            unix_secs: NOW,
            random: 0x0123_4567_89ab_cdef_0123_4567_89ab_cdef,
        }
    }

    fn render(t: &str, prefix: &str, rel: &str) -> String {
        KeyTemplate::parse(t)
            .unwrap()
            .render(prefix, &facts(rel))
            .unwrap()
    }

    #[test]
    fn dated_folders() {
        assert_eq!(civil(NOW), (2026, 12, 2, 4));
        assert_eq!(civil(0), (1970, 1, 1, 0));
        assert_eq!(civil(951_782_400), (2000, 2, 29, 0));
        assert_eq!(
            render("{yyyy}/{mm}/{dd}/{name}", "uploads/", "a.jpg"),
            "uploads/2026/12/02/a.jpg"
        );
    }

    #[test]
    fn unique_keys_look_like_uuids() {
        let k = render("{uuid}-{name}", "", "report.pdf");
        assert_eq!(k, "01234567-89ab-4def-8123-456789abcdef-report.pdf");
        let other = KeyTemplate::parse("{uuid}-{name}")
            .unwrap()
            .render(
                "",
                &KeyFacts {
                    random: 1,
                    ..facts("report.pdf")
                },
            )
            .unwrap();
        assert_ne!(k, other);
    }

    #[test]
    fn workspace_type_asset_layout() {
        // Seed 004: workspace/<type>/<asset>
        assert_eq!(
            render("acme/{ext}/{stem}/{name}", "", "shots/hero.PNG"),
            "acme/PNG/hero/hero.PNG"
        );
        assert_eq!(
            render("{folder}/{stem}.{ext}", "p/", "trip/raw/a.b.jpg"),
            "p/trip/raw/a.b.jpg"
        );
        // A lone file has no folder: no empty segment.
        assert_eq!(render("{folder}/{name}", "p/", "a.jpg"), "p/a.jpg");
        // No extension, or a dotfile.
        assert_eq!(render("{stem}-{ext}", "", "Makefile"), "Makefile-");
        assert_eq!(render("{stem}|{ext}", "", ".env"), ".env|");
    }

    #[test]
    fn bad_templates_say_what_is_wrong() {
        let err = |t: &str| KeyTemplate::parse(t).unwrap_err().to_string();
        assert!(err("{year}/{name}").contains("unknown placeholder {year}"));
        assert!(err("{name").contains("never closed"));
        assert!(err("name}").contains("without its"));
        assert!(err("{yyyy}/{mm}/").contains("same key"));
        assert!(err("/{name}").contains("start with '/'"));
    }

    #[test]
    fn results_are_checked_as_keys() {
        let t = KeyTemplate::parse("{folder}/{name}").unwrap();
        let e = t.render("", &facts("../x")).unwrap_err().to_string();
        assert!(e.contains("'..'"), "{e}");
        let long = "a".repeat(1100);
        assert!(
            t.render("", &facts(&long))
                .unwrap_err()
                .to_string()
                .contains("1024")
        );
    }
}
