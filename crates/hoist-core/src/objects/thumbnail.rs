//! Image thumbnails, made locally with the `image` crate and returned as `data:` URLs,
//! so the UI's CSP stays strict (`img-src 'self' data:`; the store's origin is never
//! allowed) and the window never loads from the network.

use std::io::Cursor;
use std::path::Path;

use base64::Engine as _;

use crate::error::{HoistError, Result};
use crate::s3::BucketAccess;

/// Images larger than this are not fetched or decoded for a thumbnail.
pub const MAX_SOURCE_BYTES: u64 = 25 * 1024 * 1024;

fn encode(bytes: &[u8], max_px: u32) -> Result<String> {
    let max_px = max_px.clamp(16, 512);
    let img = image::load_from_memory(bytes)
        .map_err(|e| HoistError::InvalidInput(format!("not an image Hoist can read: {e}")))?;
    let thumb = img.thumbnail(max_px, max_px);
    let mut png = Vec::new();
    thumb
        .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| HoistError::InvalidInput(format!("cannot encode the thumbnail: {e}")))?;
    Ok(format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    ))
}

fn too_large(what: &str, size: u64) -> HoistError {
    HoistError::TooLarge {
        url: what.to_owned(),
        what: format!("{size} bytes"),
        limit: MAX_SOURCE_BYTES,
    }
}

/// A thumbnail of an object in the bucket (at most `max_px` on its longer side).
pub async fn of_object(access: &BucketAccess, key: &str, max_px: u32) -> Result<String> {
    let details = super::browse::details(access, key).await?;
    if details.size > MAX_SOURCE_BYTES {
        return Err(too_large(key, details.size));
    }
    let out = access
        .client()
        .get_object()
        .bucket(access.bucket())
        .key(key)
        .send()
        .await
        .map_err(|e| crate::s3::map_err(access.bucket(), e))?;
    let bytes = out
        .body
        .collect()
        .await
        .map_err(|e| HoistError::Network(format!("the download broke off: {e}")))?
        .into_bytes();
    tokio::task::spawn_blocking(move || encode(&bytes, max_px))
        .await
        .expect("thumbnail task panicked")
}

/// A thumbnail of a local file (an item in the queue).
pub async fn of_file(path: &Path, max_px: u32) -> Result<String> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || {
        let size = std::fs::metadata(&path)
            .map_err(|e| HoistError::local_file(&path, e))?
            .len();
        if size > MAX_SOURCE_BYTES {
            return Err(too_large(&path.display().to_string(), size));
        }
        let bytes = std::fs::read(&path).map_err(|e| HoistError::local_file(&path, e))?;
        encode(&bytes, max_px)
    })
    .await
    .expect("thumbnail task panicked")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        });
        let mut out = Vec::new();
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn thumbnails_are_small_png_data_urls() {
        let url = encode(&png(800, 400), 128).unwrap();
        let b64 = url.strip_prefix("data:image/png;base64,").unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        let thumb = image::load_from_memory(&bytes).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (128, 64));
    }

    #[test]
    fn non_images_are_refused() {
        let e = encode(b"not an image", 128).unwrap_err();
        assert_eq!(e.code(), crate::ErrorCode::InvalidInput);
    }

    #[tokio::test]
    async fn local_files_get_thumbnails() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.png");
        std::fs::write(&p, png(50, 100)).unwrap();
        assert!(
            of_file(&p, 64)
                .await
                .unwrap()
                .starts_with("data:image/png;base64,")
        );
        assert_eq!(
            of_file(&dir.path().join("missing.png"), 64)
                .await
                .unwrap_err()
                .code(),
            crate::ErrorCode::LocalFile
        );
    }
}
