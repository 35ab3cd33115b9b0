//! Object keys become paths below their bucket's folder, so a key that would name
//! anything outside that folder is refused by every operation before a file is
//! touched. S3 itself takes any key; a file-system store cannot, and says why.

use s3s::{S3Error, S3Result, s3_error};

/// Why `name` cannot be a path inside a bucket, if it cannot.
fn escape_reason(name: &str) -> Option<&'static str> {
    if name.contains('\0') {
        return Some("it contains a NUL character");
    }
    if name.starts_with('/') {
        return Some("it starts with '/', an absolute path");
    }
    if cfg!(windows) && (name.contains('\\') || name.contains(':')) {
        return Some("it contains '\\' or ':', which Windows reads as a path");
    }
    if name
        .split('/')
        .any(|segment| segment == ".." || segment == ".")
    {
        return Some("it has a '.' or '..' segment");
    }
    None
}

fn refused(what: &str, name: &str, reason: &str) -> S3Error {
    s3_error!(
        InvalidArgument,
        "The {what} {name:?} would leave its bucket in this local store ({reason}); use a key without such segments"
    )
}

/// A key for PutObject, GetObject, CopyObject (source and destination), DeleteObject,
/// HeadObject and every multipart step.
pub fn check_key(key: &str) -> S3Result<()> {
    match escape_reason(key) {
        _ if key.is_empty() => Err(s3_error!(InvalidArgument, "The object key is empty")),
        Some(reason) => Err(refused("key", key, reason)),
        None => Ok(()),
    }
}

/// A listing prefix: it names no file, but a prefix no key can have is refused the
/// same way, so a client learns at once that such keys do not exist here.
pub fn check_prefix(prefix: Option<&str>) -> S3Result<()> {
    match prefix.and_then(escape_reason) {
        Some(reason) => Err(refused("prefix", prefix.unwrap_or_default(), reason)),
        None => Ok(()),
    }
}

/// The message DeleteObjects reports for a refused key (it answers per key).
pub fn refusal_message(key: &str) -> Option<String> {
    check_key(key).err().map(|e| {
        e.message()
            .map(str::to_owned)
            .unwrap_or_else(|| "invalid key".into())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_inside_the_bucket_pass_and_the_rest_are_refused() {
        for ok in [
            "a.txt",
            "dir/sub/a.txt",
            "dir/",
            "..a",
            "a..",
            "a/...",
            ".hidden",
            "dir/.hidden",
            "with space/ünïcode.txt",
        ] {
            assert!(check_key(ok).is_ok(), "{ok:?}");
        }
        for bad in [
            "",
            "..",
            ".",
            "../a",
            "a/../../b",
            "a/./b",
            "a/..",
            "/etc/passwd",
            "a\0b",
        ] {
            assert!(check_key(bad).is_err(), "{bad:?}");
        }
        assert!(check_prefix(None).is_ok());
        assert!(check_prefix(Some("")).is_ok());
        assert!(check_prefix(Some("photos/20")).is_ok());
        assert!(check_prefix(Some("../")).is_err());
        let m = refusal_message("../x").unwrap();
        assert!(
            m.contains("would leave its bucket") && m.contains("'..'"),
            "{m}"
        );
    }
}
