//! CRC32C checksums as S3 writes them (base64 of the big-endian value), and the
//! composite checksum S3 reports for a multipart object: the CRC32C of the
//! concatenated part checksums, followed by `-<part count>`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::multipart::BodyChecksum;
use super::target::ChecksumMode;

pub fn crc32c(data: &[u8]) -> u32 {
    crc32c::crc32c(data)
}

pub fn encode(crc: u32) -> String {
    STANDARD.encode(crc.to_be_bytes())
}

pub fn decode(value: &str) -> Option<u32> {
    let bytes = STANDARD.decode(value).ok()?;
    Some(u32::from_be_bytes(bytes.try_into().ok()?))
}

/// The checksum S3 reports for a multipart object built from parts with these CRCs.
pub fn composite(part_crcs: &[u32]) -> String {
    let mut joined = Vec::with_capacity(part_crcs.len() * 4);
    for crc in part_crcs {
        joined.extend_from_slice(&crc.to_be_bytes());
    }
    format!("{}-{}", encode(crc32c(&joined)), part_crcs.len())
}

/// The CRC32C of the whole object, combined from the parts' CRCs and lengths (what a
/// store with FULL_OBJECT checksums reports).
pub fn full_object(parts: &[(u32, u64)]) -> u32 {
    parts.iter().fold(0u32, |acc, &(crc, len)| {
        crc32c::crc32c_combine(acc, crc, len as usize)
    })
}

/// Whether a store-reported CRC32C (composite `xxx-N` or full-object) matches the parts.
pub fn matches_parts(reported: &str, parts: &[(u32, u64)]) -> bool {
    if reported.contains('-') {
        let crcs: Vec<u32> = parts.iter().map(|p| p.0).collect();
        reported == composite(&crcs)
    } else {
        decode(reported) == Some(full_object(parts))
    }
}

/// The multipart ETag S3 computes: MD5 of the concatenated part MD5s, then `-N`.
pub fn multipart_etag(part_md5s_b64: &[String]) -> Option<String> {
    use md5::{Digest, Md5};
    let mut h = Md5::new();
    for m in part_md5s_b64 {
        h.update(STANDARD.decode(m).ok()?);
    }
    Some(format!(
        "{}-{}",
        hex::encode(h.finalize()),
        part_md5s_b64.len()
    ))
}

pub fn md5_base64(data: &[u8]) -> String {
    use md5::{Digest, Md5};
    STANDARD.encode(Md5::digest(data))
}

/// The checksum header to send with a body in `mode`, the body's CRC32C (always
/// kept, for verification), and its base64 MD5 in compatible mode.
pub fn body_checksum(
    mode: ChecksumMode,
    data: &[u8],
) -> (BodyChecksum, Option<u32>, Option<String>) {
    match mode {
        ChecksumMode::Crc32c => {
            let c = crc32c(data);
            (BodyChecksum::Crc32c(c), Some(c), None)
        }
        ChecksumMode::ContentMd5 => {
            let m = md5_base64(data);
            (BodyChecksum::Md5(m.clone()), Some(crc32c(data)), Some(m))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vector() {
        // RFC 3720 test vector: CRC32C("123456789") = 0xE3069283.
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
        assert_eq!(encode(0xE306_9283), "4waSgw==");
        assert_eq!(decode("4waSgw=="), Some(0xE306_9283));
        assert_eq!(decode("not base64!"), None);
    }

    #[test]
    fn full_object_crc_combines_parts() {
        let data = b"hello multipart world, in three parts";
        let parts = [&data[..10], &data[10..25], &data[25..]];
        let crcs: Vec<(u32, u64)> = parts.iter().map(|p| (crc32c(p), p.len() as u64)).collect();
        assert_eq!(full_object(&crcs), crc32c(data));
        assert!(matches_parts(&encode(crc32c(data)), &crcs));
        assert!(matches_parts(
            &composite(&crcs.iter().map(|c| c.0).collect::<Vec<_>>()),
            &crcs
        ));
        assert!(!matches_parts(&encode(crc32c(b"other")), &crcs));
    }

    #[test]
    fn multipart_etag_is_md5_of_md5s() {
        // Two parts "a" and "b": md5(md5("a") || md5("b")) computed independently.
        let etag = multipart_etag(&[md5_base64(b"a"), md5_base64(b"b")]).unwrap();
        // Reference value from Python: md5(md5(b"a").digest() + md5(b"b").digest()).
        assert_eq!(etag, "96e024ba2074fe77e8e965ba43a704be-2");
        assert!(etag.ends_with("-2") && etag.len() == 34);
        assert_ne!(
            etag,
            multipart_etag(&[md5_base64(b"b"), md5_base64(b"a")]).unwrap()
        );
    }

    #[test]
    fn composite_depends_on_every_part_and_count() {
        let a = composite(&[1, 2, 3]);
        assert!(a.ends_with("-3"));
        assert_ne!(a, composite(&[1, 2, 4]));
        assert_ne!(composite(&[1, 2]), composite(&[2, 1]));
    }
}
