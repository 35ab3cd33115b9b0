//! Previews in the Browser: what kind of preview an object gets, the first bytes of a
//! text object, and byte ranges for the app's preview protocol (images, audio and
//! video are played from it, so the window never needs the store's origin in its
//! CSP, and a presigned URL never reaches the page). Memory stays bounded: a range is
//! at most `max` bytes, whatever the store sends.

use aws_sdk_s3::error::SdkError;
use serde::Serialize;

use crate::error::{HoistError, Result};
use crate::s3::{BucketAccess, UploadStore, map_err};

/// What the details pane can show for an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum PreviewKind {
    Image,
    Text,
    Audio,
    Video,
    Pdf,
    None,
}

/// By content type first (what the store will serve), else by the key's extension.
pub fn preview_kind(key: &str, content_type: Option<&str>) -> PreviewKind {
    let from_type = |t: &str| {
        let t = t
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match t.as_str() {
            // SVG is a document that can hold scripts: not previewed.
            "image/svg+xml" => Some(PreviewKind::None),
            t if t.starts_with("image/") => Some(PreviewKind::Image),
            t if t.starts_with("audio/") => Some(PreviewKind::Audio),
            t if t.starts_with("video/") => Some(PreviewKind::Video),
            "application/pdf" => Some(PreviewKind::Pdf),
            t if t.starts_with("text/") => Some(PreviewKind::Text),
            "application/json"
            | "application/xml"
            | "application/x-yaml"
            | "application/yaml"
            | "application/toml"
            | "application/javascript" => Some(PreviewKind::Text),
            _ => None,
        }
    };
    if let Some(kind) = content_type.and_then(from_type) {
        return kind;
    }
    let guessed = mime_guess::from_path(key).first_raw();
    guessed.and_then(from_type).unwrap_or(PreviewKind::None)
}

/// The content type the preview protocol serves: only media and plain text, never a
/// type the webview would run as a document (HTML, SVG, XML with scripts).
pub fn safe_preview_type(kind: PreviewKind, stored: Option<&str>) -> &'static str {
    let stored = stored
        .and_then(|t| t.split(';').next())
        .map(|t| t.trim().to_ascii_lowercase())
        .unwrap_or_default();
    const MEDIA: &[&str] = &[
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "image/avif",
        "image/bmp",
        "image/x-icon",
        "audio/mpeg",
        "audio/ogg",
        "audio/wav",
        "audio/x-wav",
        "audio/wave",
        "audio/flac",
        "audio/webm",
        "audio/aac",
        "audio/mp4",
        "video/mp4",
        "video/webm",
        "video/ogg",
        "video/quicktime",
    ];
    match kind {
        PreviewKind::Image | PreviewKind::Audio | PreviewKind::Video => MEDIA
            .iter()
            .find(|m| **m == stored)
            .copied()
            .unwrap_or("application/octet-stream"),
        PreviewKind::Pdf => "application/pdf",
        PreviewKind::Text => "text/plain; charset=utf-8",
        PreviewKind::None => "application/octet-stream",
    }
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct TextPreview {
    pub text: String,
    /// Only the first bytes are shown.
    pub truncated: bool,
    #[ts(type = "number")]
    pub size: u64,
}

/// One byte range of an object, as the preview protocol answers it.
#[derive(Debug)]
pub struct RangeRead {
    /// 200 for the whole object, 206 for a part.
    pub status: u16,
    pub content_type: Option<String>,
    pub total: u64,
    /// Inclusive; meaningless when `total` is 0.
    pub start: u64,
    pub end: u64,
    pub body: Vec<u8>,
}

/// A Range header that cannot be served (416).
#[derive(Debug, PartialEq, Eq)]
pub struct Unsatisfiable;

/// The inclusive range to send for `header` (one `bytes=` range; others are refused)
/// on an object of `total` bytes, at most `max` bytes long. `None` header = from 0.
pub fn plan_range(
    header: Option<&str>,
    total: u64,
    max: u64,
) -> std::result::Result<(u64, u64, bool), Unsatisfiable> {
    let Some(h) = header.map(str::trim) else {
        return Ok((0, total.min(max).saturating_sub(1), false));
    };
    let spec = h.strip_prefix("bytes=").ok_or(Unsatisfiable)?;
    if spec.contains(',') {
        return Err(Unsatisfiable);
    }
    let (a, b) = spec.split_once('-').ok_or(Unsatisfiable)?;
    let num = |s: &str| s.trim().parse::<u64>().map_err(|_| Unsatisfiable);
    let (start, end) = match (a.trim().is_empty(), b.trim().is_empty()) {
        // bytes=-N: the last N bytes.
        (true, false) => {
            let n = num(b)?;
            if n == 0 {
                return Err(Unsatisfiable);
            }
            (total.saturating_sub(n), total.saturating_sub(1))
        }
        (false, true) => (num(a)?, total.saturating_sub(1)),
        (false, false) => (num(a)?, num(b)?.min(total.saturating_sub(1))),
        (true, true) => return Err(Unsatisfiable),
    };
    if total == 0 || start >= total || end < start {
        return Err(Unsatisfiable);
    }
    Ok((start, end.min(start + max - 1), true))
}

/// Reads the range `header` asks for (at most `max` bytes). An object is looked up
/// first (its size decides the range); a missing one is `NotFound`.
pub async fn read_range(
    access: &BucketAccess,
    key: &str,
    header: Option<&str>,
    max: u64,
) -> Result<std::result::Result<RangeRead, Unsatisfiable>> {
    let info = access.store().head(key).await?.ok_or_else(|| {
        HoistError::NotFound(format!(
            "{key:?} does not exist in bucket {:?}",
            access.bucket()
        ))
    })?;
    let total = info.size;
    let (start, end, partial) = match plan_range(header, total, max) {
        Ok(r) => r,
        Err(e) => return Ok(Err(e)),
    };
    let body = if total == 0 {
        Vec::new()
    } else {
        get_bytes(access, key, start, end).await?
    };
    let whole = start == 0 && end + 1 == total;
    Ok(Ok(RangeRead {
        status: if total > 0 && (partial || !whole) {
            206
        } else {
            200
        },
        content_type: info.content_type,
        total,
        start,
        end,
        body,
    }))
}

/// The first `max` bytes of a text object. Binary content (a NUL in what was read)
/// is refused rather than shown as noise.
pub async fn text_preview(access: &BucketAccess, key: &str, max: u64) -> Result<TextPreview> {
    let read = read_range(access, key, None, max)
        .await?
        .map_err(|_| HoistError::InvalidInput("nothing to preview".into()))?;
    if read.body.contains(&0) {
        return Err(HoistError::InvalidInput(format!(
            "{key:?} is not text; download it to open it"
        )));
    }
    Ok(TextPreview {
        text: String::from_utf8_lossy(&read.body).into_owned(),
        truncated: (read.body.len() as u64) < read.total,
        size: read.total,
    })
}

/// Bytes `start..=end`, refusing a store that sends more than asked (one that ignores
/// Range would otherwise stream a whole object into memory).
async fn get_bytes(access: &BucketAccess, key: &str, start: u64, end: u64) -> Result<Vec<u8>> {
    let want = (end - start + 1) as usize;
    let res = access
        .client()
        .get_object()
        .bucket(access.bucket())
        .key(key)
        .range(format!("bytes={start}-{end}"))
        .send()
        .await;
    let mut out = match res {
        Ok(out) => out,
        Err(SdkError::ServiceError(ctx)) if ctx.raw().status().as_u16() == 404 => {
            return Err(HoistError::NotFound(format!(
                "{key:?} does not exist in bucket {:?}",
                access.bucket()
            )));
        }
        Err(e) => return Err(map_err(access.bucket(), e)),
    };
    let mut body = Vec::with_capacity(want);
    while let Some(chunk) = out
        .body
        .try_next()
        .await
        .map_err(|e| HoistError::Network(format!("the preview broke off: {e}")))?
    {
        if body.len() + chunk.len() > want {
            let room = want - body.len();
            body.extend_from_slice(&chunk[..room]);
            break;
        }
        body.extend_from_slice(&chunk);
    }
    if body.len() < want {
        return Err(HoistError::Network(format!(
            "the store sent {} of {want} bytes",
            body.len()
        )));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_come_from_the_type_then_the_name() {
        assert_eq!(preview_kind("a.bin", Some("image/png")), PreviewKind::Image);
        assert_eq!(preview_kind("a.png", None), PreviewKind::Image);
        assert_eq!(
            preview_kind("a.png", Some("binary/octet-stream")),
            PreviewKind::Image
        );
        assert_eq!(preview_kind("notes.md", None), PreviewKind::Text);
        assert_eq!(
            preview_kind("x", Some("text/plain; charset=utf-8")),
            PreviewKind::Text
        );
        assert_eq!(preview_kind("song.mp3", None), PreviewKind::Audio);
        assert_eq!(preview_kind("clip.mp4", None), PreviewKind::Video);
        assert_eq!(preview_kind("doc.pdf", None), PreviewKind::Pdf);
        assert_eq!(preview_kind("logo.svg", None), PreviewKind::None);
        assert_eq!(
            preview_kind("logo.png", Some("image/svg+xml")),
            PreviewKind::None
        );
        assert_eq!(preview_kind("archive.zip", None), PreviewKind::None);
    }

    #[test]
    fn the_protocol_never_serves_a_document_type() {
        assert_eq!(
            safe_preview_type(PreviewKind::Image, Some("image/png")),
            "image/png"
        );
        assert_eq!(
            safe_preview_type(PreviewKind::Image, Some("text/html")),
            "application/octet-stream"
        );
        assert_eq!(
            safe_preview_type(PreviewKind::Video, Some("image/svg+xml")),
            "application/octet-stream"
        );
        assert_eq!(
            safe_preview_type(PreviewKind::Text, Some("text/html")),
            "text/plain; charset=utf-8"
        );
    }

    #[test]
    fn ranges_are_planned_and_bounded() {
        assert_eq!(plan_range(None, 100, 1000), Ok((0, 99, false)));
        assert_eq!(plan_range(None, 5000, 1000), Ok((0, 999, false)));
        assert_eq!(
            plan_range(Some("bytes=10-19"), 100, 1000),
            Ok((10, 19, true))
        );
        assert_eq!(plan_range(Some("bytes=10-"), 100, 1000), Ok((10, 99, true)));
        assert_eq!(
            plan_range(Some("bytes=10-"), 5000, 1000),
            Ok((10, 1009, true))
        );
        assert_eq!(plan_range(Some("bytes=-10"), 100, 1000), Ok((90, 99, true)));
        assert_eq!(
            plan_range(Some("bytes=90-500"), 100, 1000),
            Ok((90, 99, true))
        );
        for bad in [
            "bytes=100-",
            "bytes=5-2",
            "bytes=-0",
            "bytes=-",
            "items=0-1",
            "bytes=0-1,4-5",
            "bytes=x-1",
        ] {
            assert_eq!(
                plan_range(Some(bad), 100, 1000),
                Err(Unsatisfiable),
                "{bad}"
            );
        }
        assert_eq!(plan_range(Some("bytes=0-"), 0, 1000), Err(Unsatisfiable));
    }
}
