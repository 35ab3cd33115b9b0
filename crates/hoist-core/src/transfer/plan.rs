//! Part sizing: how a file is cut into multipart parts.
//!
//! S3 limits: at most 10,000 parts, each between 5 MiB and 5 GiB (the last may be
//! smaller), objects up to 5 TiB. The part size is fixed when an upload is created and
//! stored in the journal, so a resumed upload cuts the file exactly as before.

use crate::error::{HoistError, Result};

pub const MIB: u64 = 1024 * 1024;
pub const GIB: u64 = 1024 * MIB;
pub const MIN_PART_SIZE: u64 = 5 * MIB;
pub const MAX_PART_SIZE: u64 = 5 * GIB;
pub const MAX_PARTS: u64 = 10_000;
pub const MAX_OBJECT_SIZE: u64 = 5 * 1024 * GIB;

/// How one upload is sent: as a single PUT, or as `part_count` parts of `part_size`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadPlan {
    Single { size: u64 },
    Multipart(PartPlan),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartPlan {
    pub size: u64,
    pub part_size: u64,
    pub part_count: u64,
}

impl PartPlan {
    /// Plans `size` bytes with the preferred part size, growing it (in whole MiB) when
    /// the file would otherwise need more than 10,000 parts.
    pub fn new(size: u64, preferred_part_size: u64) -> Result<PartPlan> {
        if size > MAX_OBJECT_SIZE {
            return Err(HoistError::InvalidInput(format!(
                "{size} bytes is larger than the 5 TiB S3 object limit"
            )));
        }
        let mut part_size = preferred_part_size.clamp(MIN_PART_SIZE, MAX_PART_SIZE);
        let needed = size.div_ceil(MAX_PARTS);
        if needed > part_size {
            part_size = needed.div_ceil(MIB) * MIB;
        }
        let part_count = size.div_ceil(part_size).max(1);
        Ok(PartPlan {
            size,
            part_size,
            part_count,
        })
    }

    /// A plan with an exact part size, as stored in the journal.
    pub fn with_part_size(size: u64, part_size: u64) -> Result<PartPlan> {
        if part_size == 0 || size.div_ceil(part_size) > MAX_PARTS {
            return Err(HoistError::InvalidInput(format!(
                "part size {part_size} cannot cut {size} bytes into at most {MAX_PARTS} parts"
            )));
        }
        Ok(PartPlan {
            size,
            part_size,
            part_count: size.div_ceil(part_size).max(1),
        })
    }

    /// Byte range of part `number` (1-based): (offset, length).
    pub fn range(&self, number: u64) -> (u64, u64) {
        debug_assert!(number >= 1 && number <= self.part_count);
        let offset = (number - 1) * self.part_size;
        (offset, self.part_size.min(self.size - offset))
    }
}

impl UploadPlan {
    pub fn new(
        size: u64,
        multipart_threshold: u64,
        preferred_part_size: u64,
    ) -> Result<UploadPlan> {
        // A single PUT is limited to 5 GiB; anything at or above the threshold goes
        // multipart so it can resume.
        if size < multipart_threshold.min(MAX_PART_SIZE) {
            Ok(UploadPlan::Single { size })
        } else {
            Ok(UploadPlan::Multipart(PartPlan::new(
                size,
                preferred_part_size,
            )?))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_files_go_as_one_put() {
        assert_eq!(
            UploadPlan::new(0, 8 * MIB, 16 * MIB).unwrap(),
            UploadPlan::Single { size: 0 }
        );
        assert_eq!(
            UploadPlan::new(8 * MIB - 1, 8 * MIB, 16 * MIB).unwrap(),
            UploadPlan::Single { size: 8 * MIB - 1 }
        );
        assert!(matches!(
            UploadPlan::new(8 * MIB, 8 * MIB, 16 * MIB).unwrap(),
            UploadPlan::Multipart(_)
        ));
    }

    #[test]
    fn preferred_part_size_is_kept_when_it_fits() {
        let p = PartPlan::new(100 * MIB, 16 * MIB).unwrap();
        assert_eq!(p.part_size, 16 * MIB);
        assert_eq!(p.part_count, 7);
        assert_eq!(p.range(7), (96 * MIB, 4 * MIB));
    }

    #[test]
    fn part_size_never_below_five_mib() {
        let p = PartPlan::new(12 * MIB, MIB).unwrap();
        assert_eq!(p.part_size, 5 * MIB);
        assert_eq!(p.part_count, 3);
    }

    #[test]
    fn ten_thousand_part_edge() {
        // Exactly 10,000 parts of the preferred size: kept.
        let p = PartPlan::new(10_000 * 8 * MIB, 8 * MIB).unwrap();
        assert_eq!((p.part_size, p.part_count), (8 * MIB, 10_000));
        // One byte more: the part size grows so the count stays <= 10,000.
        let p = PartPlan::new(10_000 * 8 * MIB + 1, 8 * MIB).unwrap();
        assert!(p.part_count <= MAX_PARTS);
        assert_eq!(p.part_size, 9 * MIB);
        // The 5 TiB maximum still fits.
        let p = PartPlan::new(MAX_OBJECT_SIZE, 8 * MIB).unwrap();
        assert!(p.part_count <= MAX_PARTS && p.part_size <= MAX_PART_SIZE);
        assert!(PartPlan::new(MAX_OBJECT_SIZE + 1, 8 * MIB).is_err());
    }

    #[test]
    fn ranges_cover_the_file_exactly() {
        let p = PartPlan::new(37 * MIB + 123, 5 * MIB).unwrap();
        let mut next = 0;
        for n in 1..=p.part_count {
            let (off, len) = p.range(n);
            assert_eq!(off, next);
            assert!(len > 0);
            next = off + len;
        }
        assert_eq!(next, p.size);
    }
}
