//! An upload whose Complete went through before the journal heard of it (the app was
//! killed, or paused, while Complete was in flight): on resume the store answers
//! NoSuchUpload, and the object itself is checked against the journaled parts (size
//! and composite CRC32C, or the multipart ETag) instead of sending the file again.

use super::plan::PartCuts;
use super::records::UploadRow;
use super::upload::{Landed, WorkerCtx, journal_call, pooled};
use crate::error::Result;
use crate::events::Verification;
use crate::s3::checksum;

/// `Some` when the object at the row's key is exactly what the journaled parts make.
pub(super) async fn already_complete(
    ctx: &WorkerCtx,
    row: &UploadRow,
    cuts: &PartCuts,
) -> Result<Option<Landed>> {
    let id = row.id;
    let parts = journal_call(ctx, move |j| j.parts(id)).await?;
    let numbered = parts.iter().enumerate().all(|(i, p)| {
        p.number as usize == i + 1 && cuts.range(p.number).map(|r| r.1) == Some(p.size)
    });
    if parts.len() as u64 != cuts.count() || !cuts.is_whole() || !numbered {
        return Ok(None);
    }
    let Some(info) = pooled(ctx, row.id, || ctx.store.head(&row.key)).await? else {
        return Ok(None);
    };
    if info.size != cuts.size {
        return Ok(None);
    }
    let crcs: Option<Vec<(u32, u64)>> = parts
        .iter()
        .map(|p| p.crc32c.map(|c| (c, p.size)))
        .collect();
    let md5s: Option<Vec<String>> = parts.iter().map(|p| p.md5.clone()).collect();
    let by_crc = match (&info.crc32c, &crcs) {
        (Some(reported), Some(crcs)) => Some(checksum::matches_parts(reported, crcs)),
        _ => None,
    };
    let by_etag = match (md5s.and_then(|m| checksum::multipart_etag(&m)), &info.etag) {
        (Some(expected), Some(got)) => Some(expected == got.trim_matches('"')),
        _ => None,
    };
    let verification = match (by_crc, by_etag) {
        (Some(true), _) => Verification::Crc32c,
        (_, Some(true)) => Verification::Md5,
        // Nothing proves these bytes are the journal's: send the file again.
        _ => return Ok(None),
    };
    let composite = crcs.map(|c| checksum::composite(&c.iter().map(|p| p.0).collect::<Vec<_>>()));
    Ok(Some(Landed {
        key: row.key.clone(),
        size: cuts.size,
        etag: info.etag,
        checksum: info.crc32c.or(composite),
        verification,
        bytes_sent: 0,
        bytes_resent: 0,
    }))
}
