//! HTTP(S) origins for upload-from-URL: open a URL (from an offset with `Range` when
//! resuming), check its content type against an allow-list and its size against a
//! limit (from the headers before anything is sent, and while the body streams: a
//! server may send no length, or lie), and read the body part by part. Knows no
//! store and no queue: `objects::fetch` (direct) and the queue's fetch items
//! (`transfer::fetch`) both stream through it.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use serde::{Deserialize, Serialize};

use crate::error::{HoistError, Result};

/// What may be fetched: the checks kept with a queued fetch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OriginLimits {
    /// Allowed content types: exact ("image/png") or a family ("image/*"). Empty =
    /// any type.
    #[serde(default)]
    pub allowed_types: Vec<String>,
    /// Refuse bodies larger than this many bytes.
    #[serde(default)]
    pub max_size: Option<u64>,
}

/// Whether `content_type` (a header value, parameters allowed) is in the allow-list.
pub fn type_allowed(content_type: &str, allowed: &[String]) -> bool {
    if allowed.is_empty() {
        return true;
    }
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    allowed.iter().any(|a| {
        let a = a.trim().to_ascii_lowercase();
        a == "*/*"
            || a == essence
            || a.strip_suffix("/*").is_some_and(|family| {
                essence.split('/').next() == Some(family) && essence.contains('/')
            })
    })
}

/// An http or https URL, or a clear refusal.
pub fn check_url(url: &str) -> Result<reqwest::Url> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| HoistError::InvalidInput(format!("{url:?} is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(HoistError::InvalidInput(format!(
            "{url:?}: only http and https URLs can be fetched"
        )));
    }
    Ok(parsed)
}

fn source_error(url: &str, e: reqwest::Error) -> HoistError {
    let mut reason = e.to_string();
    let mut src = std::error::Error::source(&e);
    while let Some(s) = src {
        reason = s.to_string();
        src = s.source();
    }
    if e.is_timeout() {
        HoistError::Network(format!("{url} stopped sending data (timed out)"))
    } else if e.is_connect() {
        HoistError::Network(format!("cannot connect to {url}: {reason}"))
    } else {
        HoistError::Network(format!("the connection to {url} was lost: {reason}"))
    }
}

/// An HTTP client for origins: connection lost, or no byte for `read_timeout`, fails.
pub fn client(read_timeout: Duration) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(15))
        .read_timeout(read_timeout)
        .build()
        .map_err(|e| HoistError::Network(format!("cannot start an HTTP client: {e}")))
}

/// Where to continue a body: from `offset`, only if the resource still matches
/// `validator` (an ETag or Last-Modified, sent as If-Range).
#[derive(Debug, Clone)]
pub struct ResumeFrom {
    pub offset: u64,
    pub validator: Option<String>,
}

/// A response being read: its checked headers and the body still to come.
pub struct OriginBody {
    url: String,
    resp: reqwest::Response,
    /// The content type as sent ("application/octet-stream" when none was).
    pub content_type: String,
    /// The whole resource's length when known (Content-Length, or Content-Range's
    /// total for a partial answer).
    pub total: Option<u64>,
    /// Where this body begins in the resource: the offset asked for when the server
    /// answered 206 for it, else 0 (a server without Range support starts over).
    pub start: u64,
    /// ETag (strong) or Last-Modified: what a later resume sends as If-Range.
    pub validator: Option<String>,
    /// The server said it takes byte ranges (Accept-Ranges: bytes, or answered 206).
    pub ranges: bool,
    max_size: Option<u64>,
    /// Bytes of the resource read so far (from `start`).
    pub position: u64,
    pending: Bytes,
}

/// Opens `url`, from `resume` when given (the server decides: 206 from there, or a
/// 200 from the first byte). Type and declared size are checked before it returns.
pub async fn open(
    client: &reqwest::Client,
    url: &str,
    limits: &OriginLimits,
    resume: Option<&ResumeFrom>,
) -> Result<OriginBody> {
    let parsed = check_url(url)?;
    let mut req = client.get(parsed);
    if let Some(r) = resume.filter(|r| r.offset > 0) {
        req = req.header(reqwest::header::RANGE, format!("bytes={}-", r.offset));
        if let Some(v) = &r.validator {
            req = req.header(reqwest::header::IF_RANGE, v);
        }
    }
    let resp = req.send().await.map_err(|e| source_error(url, e))?;
    let status = resp.status();
    if !status.is_success() {
        return Err(HoistError::SourceHttp {
            url: url.to_owned(),
            status: status.as_u16(),
        });
    }
    let header = |name: reqwest::header::HeaderName| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.trim().to_owned())
    };
    let content_type = header(reqwest::header::CONTENT_TYPE).unwrap_or_default();
    if !type_allowed(&content_type, &limits.allowed_types) {
        return Err(HoistError::NotAllowedType {
            url: url.to_owned(),
            content_type: if content_type.is_empty() {
                "no content type".into()
            } else {
                content_type
            },
            allowed: limits.allowed_types.join(", "),
        });
    }
    let asked = resume.map_or(0, |r| r.offset);
    let (start, total) = if status == reqwest::StatusCode::PARTIAL_CONTENT {
        // `bytes START-END/TOTAL`: only the range asked for is of use.
        let range = header(reqwest::header::CONTENT_RANGE).unwrap_or_default();
        let (from, total) = parse_content_range(&range).ok_or_else(|| {
            HoistError::Network(format!(
                "{url} answered a partial body with an unreadable Content-Range {range:?}"
            ))
        })?;
        if from != asked {
            return Err(HoistError::Network(format!(
                "{url} sent bytes from {from}, {asked} were asked for"
            )));
        }
        (from, total)
    } else {
        (0, resp.content_length())
    };
    if let (Some(len), Some(limit)) = (total, limits.max_size)
        && len > limit
    {
        return Err(HoistError::TooLarge {
            url: url.to_owned(),
            what: format!("its Content-Length of {len} bytes"),
            limit,
        });
    }
    let validator = header(reqwest::header::ETAG)
        .filter(|e| !e.starts_with("W/"))
        .or_else(|| header(reqwest::header::LAST_MODIFIED));
    let ranges = status == reqwest::StatusCode::PARTIAL_CONTENT
        || header(reqwest::header::ACCEPT_RANGES).is_some_and(|v| v.eq_ignore_ascii_case("bytes"));
    Ok(OriginBody {
        url: url.to_owned(),
        resp,
        content_type: if content_type.is_empty() {
            "application/octet-stream".to_owned()
        } else {
            content_type
        },
        total,
        start,
        validator,
        ranges,
        max_size: limits.max_size,
        position: start,
        pending: Bytes::new(),
    })
}

/// `bytes 10-99/100` → (10, Some(100)); `bytes 10-99/*` → (10, None).
fn parse_content_range(v: &str) -> Option<(u64, Option<u64>)> {
    let rest = v.trim().strip_prefix("bytes")?.trim();
    let (range, total) = rest.split_once('/')?;
    let from = range.split_once('-')?.0.trim().parse().ok()?;
    let total = match total.trim() {
        "*" => None,
        t => Some(t.parse().ok()?),
    };
    Some((from, total))
}

impl OriginBody {
    /// The next chunk as it arrives (`None` at the end), the size limit checked.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>> {
        if !self.pending.is_empty() {
            return Ok(Some(std::mem::take(&mut self.pending)));
        }
        let chunk = match self.resp.chunk().await {
            Ok(Some(c)) => c,
            Ok(None) => {
                if let Some(len) = self.total
                    && self.position != len
                {
                    return Err(HoistError::Network(format!(
                        "the connection to {} was lost: {} of {len} bytes arrived",
                        self.url, self.position
                    )));
                }
                return Ok(None);
            }
            Err(e) => {
                let at = self.position;
                return Err(match source_error(&self.url, e) {
                    HoistError::Network(m) => {
                        HoistError::Network(format!("{m} (after {at} bytes)"))
                    }
                    other => other,
                });
            }
        };
        self.position += chunk.len() as u64;
        if let Some(limit) = self.max_size
            && self.position > limit
        {
            return Err(HoistError::TooLarge {
                url: self.url.clone(),
                what: format!("its body (more than {limit} bytes arrived)"),
                limit,
            });
        }
        Ok(Some(chunk))
    }

    /// Reads up to `size` bytes: less only at the end of the body. `on_bytes` is told
    /// of each chunk as it arrives and answers how long to wait before reading on (a
    /// bandwidth cap). Memory grows with the bytes that really arrive.
    pub async fn read_part(
        &mut self,
        size: u64,
        mut on_bytes: impl FnMut(u64) -> Duration,
    ) -> Result<Bytes> {
        const INITIAL: u64 = 8 * 1024 * 1024;
        let mut buf = BytesMut::with_capacity(size.min(INITIAL) as usize);
        while (buf.len() as u64) < size {
            let Some(mut chunk) = self.chunk().await? else {
                break;
            };
            let room = size as usize - buf.len();
            if chunk.len() > room {
                self.pending = chunk.split_off(room);
            }
            let wait = on_bytes(chunk.len() as u64);
            buf.extend_from_slice(&chunk);
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
        }
        Ok(buf.freeze())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_list_matches_families_and_ignores_parameters() {
        let allowed = vec!["image/*".to_owned(), "application/pdf".to_owned()];
        assert!(type_allowed("image/png", &allowed));
        assert!(type_allowed("IMAGE/JPEG; charset=binary", &allowed));
        assert!(type_allowed("application/pdf", &allowed));
        assert!(!type_allowed("text/html; charset=utf-8", &allowed));
        assert!(!type_allowed("", &allowed));
        assert!(!type_allowed("imagex/png", &allowed));
        assert!(type_allowed("anything/at-all", &[]));
    }

    #[test]
    fn only_http_urls_are_fetched() {
        assert!(check_url("https://example.com/a.png").is_ok());
        assert!(check_url("file:///etc/passwd").is_err());
        assert!(check_url("not a url").is_err());
    }

    #[test]
    fn content_ranges_parse() {
        assert_eq!(
            parse_content_range("bytes 10-99/100"),
            Some((10, Some(100)))
        );
        assert_eq!(parse_content_range("bytes 0-9/*"), Some((0, None)));
        assert_eq!(parse_content_range("items 0-9/10"), None);
    }
}
