//! S3's additional checksums (CRC32, CRC32C, CRC64NVME, SHA1, SHA256) as the store
//! keeps them for multipart uploads: computed while a part streams in, compared with
//! what the client sent (in headers or aws-chunked trailers), and combined into the
//! object's composite checksum on Complete.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use s3s::checksum::ChecksumHasher;
use s3s::crypto::Checksum as _;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Algorithm {
    Crc32,
    Crc32c,
    Crc64Nvme,
    Sha1,
    Sha256,
}

/// Checksum values (base64) by algorithm.
pub type Sums = BTreeMap<Algorithm, String>;

impl Algorithm {
    pub const ALL: [Algorithm; 5] = [
        Algorithm::Crc32,
        Algorithm::Crc32c,
        Algorithm::Crc64Nvme,
        Algorithm::Sha1,
        Algorithm::Sha256,
    ];

    /// S3's name, as in `x-amz-checksum-algorithm` ("CRC32C").
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Crc32 => "CRC32",
            Algorithm::Crc32c => "CRC32C",
            Algorithm::Crc64Nvme => "CRC64NVME",
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
        }
    }

    pub fn parse(name: &str) -> Option<Algorithm> {
        Algorithm::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name))
    }

    /// The header (or trailer) that carries this checksum.
    pub fn header(self) -> String {
        format!("x-amz-checksum-{}", self.name().to_ascii_lowercase())
    }

    /// The key s3s-fs uses for this checksum in an object's internal info file.
    pub fn info_key(self) -> String {
        format!("checksum_{}", self.name().to_ascii_lowercase())
    }

    /// S3 checks each part of a multipart upload against the algorithm it was created
    /// with; CRC64NVME multipart objects get a full-object checksum instead of a
    /// composite one, which this store does not compute.
    fn composite_defined(self) -> bool {
        self != Algorithm::Crc64Nvme
    }
}

/// The checksums S3's `x-amz-checksum-*` fields carry on a request or a part (any
/// s3s type with the five `checksum_*` fields).
macro_rules! sums_of {
    ($x:expr) => {{
        use $crate::checksums::Algorithm as A;
        let mut sums = $crate::checksums::Sums::new();
        for (a, v) in [
            (A::Crc32, &$x.checksum_crc32),
            (A::Crc32c, &$x.checksum_crc32c),
            (A::Crc64Nvme, &$x.checksum_crc64nvme),
            (A::Sha1, &$x.checksum_sha1),
            (A::Sha256, &$x.checksum_sha256),
        ] {
            if let Some(v) = v {
                sums.insert(a, v.clone());
            }
        }
        sums
    }};
}
pub(crate) use sums_of;

/// Sets the five `checksum_*` fields of an s3s output from `sums`.
macro_rules! set_sums {
    ($x:expr, $sums:expr) => {{
        use $crate::checksums::Algorithm as A;
        let sums: &$crate::checksums::Sums = $sums;
        $x.checksum_crc32 = sums.get(&A::Crc32).cloned();
        $x.checksum_crc32c = sums.get(&A::Crc32c).cloned();
        $x.checksum_crc64nvme = sums.get(&A::Crc64Nvme).cloned();
        $x.checksum_sha1 = sums.get(&A::Sha1).cloned();
        $x.checksum_sha256 = sums.get(&A::Sha256).cloned();
    }};
}
pub(crate) use set_sums;

/// Computes several checksums in one pass.
pub struct Hasher(ChecksumHasher);

impl Hasher {
    pub fn new(algorithms: impl IntoIterator<Item = Algorithm>) -> Hasher {
        use s3s::crypto::{Crc32, Crc32c, Crc64Nvme, Sha1, Sha256};
        let mut h = ChecksumHasher::default();
        for a in algorithms {
            match a {
                Algorithm::Crc32 => h.crc32 = Some(Crc32::new()),
                Algorithm::Crc32c => h.crc32c = Some(Crc32c::new()),
                Algorithm::Crc64Nvme => h.crc64nvme = Some(Crc64Nvme::new()),
                Algorithm::Sha1 => h.sha1 = Some(Sha1::new()),
                Algorithm::Sha256 => h.sha256 = Some(Sha256::new()),
            }
        }
        Hasher(h)
    }

    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    pub fn finish(self) -> Sums {
        let c = self.0.finalize();
        sums_of!(c)
    }
}

/// S3's composite checksum of a multipart object: the checksum of the concatenated
/// binary part checksums, then `-N`. `None` when a part value is not base64 or the
/// algorithm has no composite form.
pub fn composite(algorithm: Algorithm, part_sums_b64: &[&str]) -> Option<String> {
    if !algorithm.composite_defined() {
        return None;
    }
    let mut h = Hasher::new([algorithm]);
    for s in part_sums_b64 {
        h.update(&STANDARD.decode(s).ok()?);
    }
    let whole = h.finish().remove(&algorithm)?;
    Some(format!("{whole}-{}", part_sums_b64.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_both_ways() {
        for a in Algorithm::ALL {
            assert_eq!(Algorithm::parse(a.name()), Some(a));
            assert_eq!(Algorithm::parse(&a.name().to_ascii_lowercase()), Some(a));
        }
        assert_eq!(Algorithm::parse("MD5"), None);
        assert_eq!(Algorithm::Crc32c.header(), "x-amz-checksum-crc32c");
        assert_eq!(Algorithm::Sha256.info_key(), "checksum_sha256");
    }

    #[test]
    fn hasher_computes_only_what_was_asked() {
        let mut h = Hasher::new([Algorithm::Crc32c, Algorithm::Sha256]);
        h.update(b"1234");
        h.update(b"56789");
        let sums = h.finish();
        assert_eq!(sums.len(), 2);
        // RFC 3720 test vector: CRC32C("123456789") = 0xE3069283.
        assert_eq!(sums[&Algorithm::Crc32c], "4waSgw==");
        assert_eq!(
            sums[&Algorithm::Sha256],
            "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU="
        );
    }

    #[test]
    fn composite_is_the_checksum_of_the_part_checksums() {
        let part = |d: &[u8]| {
            let mut h = Hasher::new([Algorithm::Crc32c]);
            h.update(d);
            h.finish().remove(&Algorithm::Crc32c).unwrap()
        };
        let (a, b) = (part(b"a"), part(b"b"));
        let mut raw = crc32c::crc32c(b"a").to_be_bytes().to_vec();
        raw.extend(crc32c::crc32c(b"b").to_be_bytes());
        assert_eq!(
            composite(Algorithm::Crc32c, &[&a, &b]).unwrap(),
            format!("{}-2", STANDARD.encode(crc32c::crc32c(&raw).to_be_bytes()))
        );
        assert_eq!(composite(Algorithm::Crc32c, &["not base64!"]), None);
        assert_eq!(composite(Algorithm::Crc64Nvme, &[&a]), None);
    }
}
