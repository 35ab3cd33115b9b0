//! What an upload asks the store to keep with the object besides its bytes: content
//! type, user metadata, tags, cache-control, content-disposition, storage class and
//! server-side encryption. Checked before anything is queued (S3's own limits), kept in
//! the journal with the upload (so a resumed multipart upload is completed as it was
//! created), and sent on PutObject or CreateMultipartUpload (tags as `x-amz-tagging`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{HoistError, Result};

/// Storage classes S3 defines; stores may accept fewer (the store's refusal is shown).
pub const STORAGE_CLASSES: &[&str] = &[
    "STANDARD",
    "REDUCED_REDUNDANCY",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER",
    "GLACIER_IR",
    "DEEP_ARCHIVE",
    "OUTPOSTS",
    "SNOW",
    "EXPRESS_ONEZONE",
];

/// S3's limits: user metadata headers at most 2 KB together, at most 10 tags per object,
/// tag keys at most 128 characters and values at most 256.
const MAX_METADATA_BYTES: usize = 2048;
const MAX_TAGS: usize = 10;
const MAX_TAG_KEY: usize = 128;
const MAX_TAG_VALUE: usize = 256;

/// Server-side encryption asked for per upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum Sse {
    /// SSE-S3: `AES256`, keys managed by the store.
    Aes256,
    /// SSE-KMS: `aws:kms`, with the store's default key when `key_id` is empty.
    Kms { key_id: Option<String> },
}

impl Sse {
    /// `AES256` or `aws:kms` (what `x-amz-server-side-encryption` carries), with the
    /// KMS key id given separately.
    pub fn parse(kind: &str, kms_key_id: Option<&str>) -> Result<Sse> {
        let key_id = kms_key_id.map(str::trim).filter(|k| !k.is_empty());
        match kind.trim().to_ascii_lowercase().as_str() {
            "aes256" | "sse-s3" => {
                if key_id.is_some() {
                    return Err(HoistError::InvalidInput(
                        "a KMS key id goes with --sse aws:kms, not AES256".into(),
                    ));
                }
                Ok(Sse::Aes256)
            }
            "aws:kms" | "kms" | "sse-kms" => Ok(Sse::Kms {
                key_id: key_id.map(str::to_owned),
            }),
            other => Err(HoistError::InvalidInput(format!(
                "unknown server-side encryption {other:?}: use AES256 (SSE-S3) or aws:kms (SSE-KMS)"
            ))),
        }
    }

    pub fn header_value(&self) -> &'static str {
        match self {
            Sse::Aes256 => "AES256",
            Sse::Kms { .. } => "aws:kms",
        }
    }
}

/// Per-upload object settings; every field optional (the store's defaults apply).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(default)]
#[ts(export)]
pub struct ObjectOptions {
    /// Overrides the type guessed from the file name.
    pub content_type: Option<String>,
    /// User metadata (`x-amz-meta-NAME`); names are stored lower-case.
    pub metadata: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
    pub cache_control: Option<String>,
    pub content_disposition: Option<String>,
    /// One of [`STORAGE_CLASSES`], upper-case.
    pub storage_class: Option<String>,
    pub sse: Option<Sse>,
}

impl ObjectOptions {
    pub fn is_empty(&self) -> bool {
        *self == ObjectOptions::default()
    }

    /// These options over `defaults`: a field set here wins, maps are merged (a name
    /// given here replaces the default's value).
    pub fn over(&self, defaults: &ObjectOptions) -> ObjectOptions {
        let mut metadata = defaults.metadata.clone();
        metadata.extend(self.metadata.clone());
        let mut tags = defaults.tags.clone();
        tags.extend(self.tags.clone());
        ObjectOptions {
            content_type: self
                .content_type
                .clone()
                .or_else(|| defaults.content_type.clone()),
            metadata,
            tags,
            cache_control: self
                .cache_control
                .clone()
                .or_else(|| defaults.cache_control.clone()),
            content_disposition: self
                .content_disposition
                .clone()
                .or_else(|| defaults.content_disposition.clone()),
            storage_class: self
                .storage_class
                .clone()
                .or_else(|| defaults.storage_class.clone()),
            sse: self.sse.clone().or_else(|| defaults.sse.clone()),
        }
    }

    /// Checks every field against S3's rules and normalises what S3 would anyway
    /// (metadata names lower-case, the storage class upper-case). Errors name the field
    /// and what to change.
    pub fn validated(mut self) -> Result<ObjectOptions> {
        let bad = |s: String| Err(HoistError::InvalidInput(s));
        for (field, value) in [
            ("content type", &self.content_type),
            ("cache-control", &self.cache_control),
            ("content-disposition", &self.content_disposition),
        ] {
            if let Some(v) = value {
                if v.trim().is_empty() {
                    return bad(format!("the {field} is empty: leave it out instead"));
                }
                check_header_value(field, v)?;
            }
        }
        if let Some(ct) = &self.content_type
            && !ct.contains('/')
        {
            return bad(format!(
                "content type {ct:?} is not a media type (like text/plain or image/png)"
            ));
        }
        let mut metadata = BTreeMap::new();
        let mut total = 0;
        for (name, value) in std::mem::take(&mut self.metadata) {
            if name.is_empty()
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return bad(format!(
                    "metadata name {name:?} may hold only letters, digits, '-' and '_'"
                ));
            }
            check_header_value(&format!("metadata {name:?}"), &value)?;
            total += name.len() + value.len();
            metadata.insert(name.to_ascii_lowercase(), value);
        }
        if total > MAX_METADATA_BYTES {
            return bad(format!(
                "the metadata is {total} bytes; S3 allows at most {MAX_METADATA_BYTES} bytes of names and values together"
            ));
        }
        self.metadata = metadata;
        if self.tags.len() > MAX_TAGS {
            return bad(format!(
                "{} tags given; S3 allows at most {MAX_TAGS} per object",
                self.tags.len()
            ));
        }
        for (k, v) in &self.tags {
            if k.is_empty() || k.chars().count() > MAX_TAG_KEY {
                return bad(format!(
                    "tag key {k:?} must be 1 to {MAX_TAG_KEY} characters"
                ));
            }
            if v.chars().count() > MAX_TAG_VALUE {
                return bad(format!(
                    "the value of tag {k:?} is longer than {MAX_TAG_VALUE} characters"
                ));
            }
        }
        if let Some(class) = &self.storage_class {
            let upper = class.trim().to_ascii_uppercase();
            if !STORAGE_CLASSES.contains(&upper.as_str()) {
                return bad(format!(
                    "unknown storage class {class:?}; S3's are {}",
                    STORAGE_CLASSES.join(", ")
                ));
            }
            self.storage_class = Some(upper);
        }
        if let Some(Sse::Kms { key_id: Some(k) }) = &self.sse {
            check_header_value("KMS key id", k)?;
        }
        Ok(self)
    }

    /// The `x-amz-tagging` value: URL-encoded `k=v` pairs joined by `&`.
    pub fn tagging(&self) -> Option<String> {
        if self.tags.is_empty() {
            return None;
        }
        let pairs: Vec<String> = self
            .tags
            .iter()
            .map(|(k, v)| format!("{}={}", url_encode(k), url_encode(v)))
            .collect();
        Some(pairs.join("&"))
    }
}

/// `NAME=VALUE` from the command line or a settings field, split at the first `=`.
/// `what` names the option in the error ("--metadata").
pub fn parse_pair(what: &str, s: &str) -> Result<(String, String)> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.to_owned())),
        _ => Err(HoistError::InvalidInput(format!(
            "{what} {s:?} is not NAME=VALUE (for example {what} project=apollo)"
        ))),
    }
}

/// Header values travel as US-ASCII on S3 (non-ASCII metadata is not stored as sent).
fn check_header_value(field: &str, v: &str) -> Result<()> {
    if v.bytes().all(|b| (0x20..0x7f).contains(&b) || b == b'\t') {
        Ok(())
    } else {
        Err(HoistError::InvalidInput(format!(
            "the {field} value {v:?} must be plain ASCII text without line breaks"
        )))
    }
}

fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> ObjectOptions {
        ObjectOptions::default()
    }

    #[test]
    fn pairs_need_a_name_and_an_equals_sign() {
        assert_eq!(
            parse_pair("--metadata", "a=b=c").unwrap(),
            ("a".into(), "b=c".into())
        );
        assert_eq!(
            parse_pair("--tag", "empty=").unwrap(),
            ("empty".into(), String::new())
        );
        for bad in ["novalue", "=v", ""] {
            let e = parse_pair("--metadata", bad).unwrap_err().to_string();
            assert!(e.contains("NAME=VALUE"), "{e}");
        }
    }

    #[test]
    fn storage_class_is_checked_and_upper_cased() {
        let mut o = opts();
        o.storage_class = Some("standard_ia".into());
        assert_eq!(
            o.validated().unwrap().storage_class.as_deref(),
            Some("STANDARD_IA")
        );
        let mut o = opts();
        o.storage_class = Some("FAST".into());
        let e = o.validated().unwrap_err().to_string();
        assert!(
            e.contains("unknown storage class") && e.contains("GLACIER"),
            "{e}"
        );
    }

    #[test]
    fn metadata_names_and_values_follow_s3s_rules() {
        let mut o = opts();
        o.metadata.insert("Project".into(), "apollo".into());
        let v = o.validated().unwrap();
        assert_eq!(
            v.metadata.get("project").map(String::as_str),
            Some("apollo")
        );
        let mut o = opts();
        o.metadata.insert("bad name".into(), "x".into());
        assert!(o.validated().is_err());
        let mut o = opts();
        o.metadata.insert("city".into(), "Zürich".into());
        assert!(o.validated().unwrap_err().to_string().contains("ASCII"));
        let mut o = opts();
        o.metadata.insert("big".into(), "x".repeat(3000));
        assert!(o.validated().unwrap_err().to_string().contains("2048"));
    }

    #[test]
    fn tags_are_limited_and_url_encoded() {
        let mut o = opts();
        o.tags.insert("team".into(), "a b&c".into());
        o.tags.insert("env".into(), "prod".into());
        assert_eq!(
            o.clone().validated().unwrap().tagging().unwrap(),
            "env=prod&team=a%20b%26c"
        );
        for i in 0..11 {
            o.tags.insert(format!("t{i}"), "v".into());
        }
        assert!(
            o.validated()
                .unwrap_err()
                .to_string()
                .contains("at most 10")
        );
    }

    #[test]
    fn sse_kinds() {
        assert_eq!(Sse::parse("AES256", None).unwrap(), Sse::Aes256);
        assert_eq!(
            Sse::parse("aws:kms", Some("k-1")).unwrap(),
            Sse::Kms {
                key_id: Some("k-1".into())
            }
        );
        assert!(Sse::parse("AES256", Some("k")).is_err());
        assert!(
            Sse::parse("rot13", None)
                .unwrap_err()
                .to_string()
                .contains("AES256")
        );
    }

    #[test]
    fn options_override_defaults_field_by_field() {
        let mut d = opts();
        d.cache_control = Some("max-age=60".into());
        d.metadata.insert("a".into(), "1".into());
        d.metadata.insert("b".into(), "1".into());
        let mut o = opts();
        o.metadata.insert("b".into(), "2".into());
        o.content_type = Some("text/x-hoist".into());
        let m = o.over(&d);
        assert_eq!(m.cache_control.as_deref(), Some("max-age=60"));
        assert_eq!(m.content_type.as_deref(), Some("text/x-hoist"));
        assert_eq!(m.metadata["a"], "1");
        assert_eq!(m.metadata["b"], "2");
    }

    #[test]
    fn bad_content_types_are_refused() {
        let mut o = opts();
        o.content_type = Some("text".into());
        assert!(
            o.validated()
                .unwrap_err()
                .to_string()
                .contains("media type")
        );
        let mut o = opts();
        o.content_type = Some("text/plain\r\nx: y".into());
        assert!(o.validated().is_err());
    }
}
