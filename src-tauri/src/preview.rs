//! The `hoist-preview:` protocol: the Browser's image, audio and video previews load
//! `hoist-preview://localhost/<bucket>/<percent-encoded key>` and Rust answers with the
//! object's bytes through the current profile, in bounded ranges (a video element asks for
//! ranges as it plays). So the window's CSP names no store origin and no presigned URL
//! reaches the page. Only media types are served; a response can never run as a
//! document (`sandbox` CSP, `nosniff`). WebKitGTK's media player cannot read custom
//! schemes, so the page fetches audio and video (CORS: the app's own origin only) and
//! plays them from a `blob:` URL.

use hoist_core::objects::preview::{self, PreviewKind, RangeRead};
use tauri::http::{Request, Response, StatusCode, header};
use tauri::{AppHandle, Manager, UriSchemeResponder};

use crate::state::Desktop;

pub const SCHEME: &str = "hoist-preview";
/// One answer's most bytes: a video plays by asking for the next range.
const MAX_RANGE: u64 = 4 * 1024 * 1024;
/// A request without Range (an `<img>`) gets the whole object up to this size.
const MAX_WHOLE: u64 = 32 * 1024 * 1024;

pub fn handle(app: &AppHandle, request: Request<Vec<u8>>, responder: UriSchemeResponder) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        responder.respond(answer(&app, &request).await);
    });
}

fn plain(status: StatusCode, words: &str) -> Response<Vec<u8>> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .header(
            header::CONTENT_SECURITY_POLICY,
            "sandbox; default-src 'none'",
        )
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .body(words.as_bytes().to_vec())
        .expect("a valid response")
}

/// The bucket and key a preview URL names (`/<bucket>/<key>`, percent-decoded);
/// `None` for a path that names no object.
pub fn object_of(path: &str) -> Option<(String, String)> {
    let (bucket, raw) = path.strip_prefix('/')?.split_once('/')?;
    let bucket_ok = (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.".contains(&b));
    let key = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .ok()?
        .into_owned();
    (bucket_ok
        && !key.is_empty()
        && key.len() <= 1024
        && !key.contains('\0')
        && !key.ends_with('/'))
    .then(|| (bucket.to_owned(), key))
}

/// The app's own page origins (Linux/macOS, Windows, the dev server): the only ones a
/// preview may be fetched from.
const APP_ORIGINS: &[&str] = &[
    "tauri://localhost",
    "http://tauri.localhost",
    "https://tauri.localhost",
    "http://localhost:1420",
];

async fn answer(app: &AppHandle, request: &Request<Vec<u8>>) -> Response<Vec<u8>> {
    let mut response = answer_request(app, request).await;
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .filter(|o| APP_ORIGINS.contains(o));
    if let Some(origin) = origin
        && let Ok(value) = origin.parse()
    {
        response
            .headers_mut()
            .insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
    }
    response.headers_mut().insert(
        header::VARY,
        tauri::http::HeaderValue::from_static("Origin"),
    );
    response
}

async fn answer_request(app: &AppHandle, request: &Request<Vec<u8>>) -> Response<Vec<u8>> {
    if request.method() != tauri::http::Method::GET {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "previews are read with GET");
    }
    let Some((bucket, key)) = object_of(request.uri().path()) else {
        return plain(StatusCode::BAD_REQUEST, "not a bucket and object key");
    };
    let kind = preview::preview_kind(&key, None);
    let state = app.state::<Desktop>();
    let access = match state.access(Some(bucket)) {
        Ok(a) => a,
        Err(e) => return plain(StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
    };
    let range = request
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok());
    let max = if range.is_some() {
        MAX_RANGE
    } else {
        MAX_WHOLE
    };
    match preview::read_range(&access, &key, range, max).await {
        Ok(Ok(read)) if range.is_none() && read.body.len() as u64 != read.total => plain(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too large to preview; download it to open it",
        ),
        Ok(Ok(read)) => ranged(kind, read),
        Ok(Err(_)) => Response::builder()
            .status(StatusCode::RANGE_NOT_SATISFIABLE)
            .header(
                header::CONTENT_SECURITY_POLICY,
                "sandbox; default-src 'none'",
            )
            .body(Vec::new())
            .expect("a valid response"),
        Err(e) if e.code() == hoist_core::ErrorCode::NotFound => {
            plain(StatusCode::NOT_FOUND, &e.to_string())
        }
        Err(e) => plain(StatusCode::BAD_GATEWAY, &e.to_string()),
    }
}

fn ranged(by_name: PreviewKind, read: RangeRead) -> Response<Vec<u8>> {
    let kind = match preview::preview_kind("", read.content_type.as_deref()) {
        PreviewKind::None => by_name,
        k => k,
    };
    let mut r = Response::builder()
        .status(read.status)
        .header(
            header::CONTENT_TYPE,
            preview::safe_preview_type(kind, read.content_type.as_deref()),
        )
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::CACHE_CONTROL, "no-store")
        .header(
            header::CONTENT_SECURITY_POLICY,
            "sandbox; default-src 'none'",
        )
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    if read.status == 206 {
        r = r.header(
            header::CONTENT_RANGE,
            format!("bytes {}-{}/{}", read.start, read.end, read.total),
        );
    }
    r.body(read.body).expect("a valid response")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preview_urls_name_objects() {
        let got = |p: &str| object_of(p).map(|(b, k)| format!("{b}|{k}"));
        assert_eq!(
            got("/hoist/photos/a%20b.png").as_deref(),
            Some("hoist|photos/a b.png")
        );
        assert_eq!(
            got("/my-bucket/%C3%BC.txt").as_deref(),
            Some("my-bucket|ü.txt")
        );
        for bad in [
            "",
            "/",
            "/hoist",
            "/hoist/",
            "/hoist/dir/",
            "/hoist/a%00b",
            "/hoist/%FF",
            "/Bad_Bucket/k",
            "/../k",
        ] {
            assert_eq!(got(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn answers_say_what_they_hold_and_cannot_run() {
        let read = RangeRead {
            status: 206,
            content_type: Some("text/html".into()),
            total: 100,
            start: 10,
            end: 19,
            body: vec![0; 10],
        };
        let r = ranged(PreviewKind::Video, read);
        assert_eq!(r.status(), 206);
        let h = r.headers();
        assert_eq!(h[header::CONTENT_TYPE], "text/plain; charset=utf-8");
        assert_eq!(h[header::CONTENT_RANGE], "bytes 10-19/100");
        assert_eq!(
            h[header::CONTENT_SECURITY_POLICY],
            "sandbox; default-src 'none'"
        );
        let read = RangeRead {
            status: 200,
            content_type: Some("video/mp4".into()),
            total: 3,
            start: 0,
            end: 2,
            body: vec![1, 2, 3],
        };
        let r = ranged(PreviewKind::None, read);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "video/mp4");
        assert!(r.headers().get(header::CONTENT_RANGE).is_none());
    }
}
