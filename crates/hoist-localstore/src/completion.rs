//! CompleteMultipartUpload's checks (the handler is `complete`), as strict as S3's: parts in ascending order, each
//! uploaded with the ETag listed, every part but the last at least 5 MiB, and the
//! checksums tied to the algorithm the upload was created with. Lenient stores accept
//! a part list that AWS and Garage refuse; being strict here is what lets Hoist's own
//! suites catch such bugs.

use std::collections::HashMap;

use s3s::dto::CompletedPart;
use s3s::{S3Result, s3_error};

use crate::checksums::{Algorithm, sums_of};
use crate::multipart::{PartMeta, UploadMeta};

const MIN_PART: u64 = 5 * 1024 * 1024;

/// Checks the client's part list against the stored parts; returns the parts to
/// assemble, in order.
pub fn check<'a>(
    meta: &UploadMeta,
    listed: &[CompletedPart],
    stored: &'a HashMap<i32, PartMeta>,
) -> S3Result<Vec<&'a PartMeta>> {
    if listed.is_empty() {
        return Err(s3_error!(
            MalformedXML,
            "You must specify at least one part"
        ));
    }
    // Order first, as S3 does, then each part, then the sizes.
    let mut numbers = Vec::with_capacity(listed.len());
    for p in listed {
        let n = p
            .part_number
            .ok_or_else(|| s3_error!(InvalidPart, "a part has no number"))?;
        if let Some(&previous) = numbers.last()
            && n <= previous
        {
            return Err(s3_error!(
                InvalidPartOrder,
                "The list of parts was not in ascending order (part {n} after {previous})"
            ));
        }
        numbers.push(n);
    }
    let algorithm = meta.algorithm();
    let mut chosen = Vec::with_capacity(listed.len());
    for (p, n) in listed.iter().zip(numbers) {
        let stored = stored
            .get(&n)
            .ok_or_else(|| s3_error!(InvalidPart, "Part {n} was not uploaded"))?;
        let etag = p.e_tag.as_ref().map(|e| e.value().trim_matches('"'));
        if etag.is_some_and(|e| e != stored.etag) {
            return Err(s3_error!(
                InvalidPart,
                "The ETag of part {n} does not match the stored part"
            ));
        }
        check_part_checksums(algorithm, p, n, stored)?;
        chosen.push(stored);
    }
    if let Some(small) = chosen[..chosen.len() - 1]
        .iter()
        .find(|p| p.size < MIN_PART)
    {
        return Err(s3_error!(
            EntityTooSmall,
            "Part {} is smaller than 5 MiB and is not the last part",
            small.number
        ));
    }
    Ok(chosen)
}

/// A listed part's checksums: exactly the upload's algorithm, matching the stored part.
fn check_part_checksums(
    algorithm: Option<Algorithm>,
    listed: &CompletedPart,
    n: i32,
    stored: &PartMeta,
) -> S3Result<()> {
    let sums = sums_of!(listed);
    let Some(algorithm) = algorithm else {
        if let Some(other) = sums.keys().next() {
            return Err(s3_error!(
                InvalidRequest,
                "The upload was created without a checksum algorithm, so the complete request \
                 must not list part checksums; part {n} lists a {} checksum",
                other.name()
            ));
        }
        return Ok(());
    };
    if let Some(other) = sums.keys().find(|a| **a != algorithm) {
        return Err(s3_error!(
            InvalidRequest,
            "The upload was created using a {} checksum; part {n} lists a {} checksum",
            algorithm.name().to_ascii_lowercase(),
            other.name()
        ));
    }
    let Some(listed) = sums.get(&algorithm) else {
        return Err(s3_error!(
            InvalidRequest,
            "The upload was created using a {} checksum. The complete request must include \
             the checksum for each part. It was missing for part {n} in the request.",
            algorithm.name().to_ascii_lowercase()
        ));
    };
    if stored.sum(algorithm) != Some(listed.as_str()) {
        return Err(s3_error!(
            InvalidPart,
            "The {} of part {n} does not match the stored part",
            algorithm.name()
        ));
    }
    Ok(())
}
