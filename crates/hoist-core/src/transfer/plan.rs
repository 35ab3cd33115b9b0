//! Part sizing: how a file is cut into multipart parts.
//!
//! S3 limits: at most 10,000 parts, each between 5 MiB and 5 GiB (the last may be
//! smaller), objects up to 5 TiB. A [`PartPlan`] gives the part size an upload begins
//! with (stored in the journal); [`PartCuts`] cuts the file as parts are sent, later
//! parts larger on a fast link, and every cut is journaled before its part is sent, so
//! a resumed upload cuts the file exactly as before.

use std::time::Duration;

use crate::error::{HoistError, Result};

pub const MIB: u64 = 1024 * 1024;
pub const GIB: u64 = 1024 * MIB;
pub const MIN_PART_SIZE: u64 = 5 * MIB;
pub const MAX_PART_SIZE: u64 = 5 * GIB;
pub const MAX_PARTS: u64 = 10_000;
pub const MAX_OBJECT_SIZE: u64 = 5 * 1024 * GIB;
/// The largest part a growing upload cuts. Each part costs the store a request and
/// work of its own: SeaweedFS on the same two cores, 1 GiB with checksum headers, 16
/// MiB parts reach about 85 % of a single curl PUT, 256 MiB parts about 95 % (and curl
/// itself sending 16 MiB parts one by one takes as long as Hoist).
pub const GROWN_PART_SIZE: u64 = 256 * MIB;
/// Parts grow while one is sent in less than this: a crash or a pause re-sends at most
/// about this much time's worth of each part in flight.
pub const GROWN_PART_TIME: Duration = Duration::from_secs(4);

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

/// Where each part of a multipart upload lies in the file: parts `1..=count` cut in
/// order, end to end from byte 0, each at least `base` bytes (but the last).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartCuts {
    pub size: u64,
    /// The part size the upload began with; no part but the last is smaller.
    pub base: u64,
    /// (offset, length) of part n at index n - 1.
    cuts: Vec<(u64, u64)>,
}

impl PartCuts {
    /// Nothing cut yet; parts begin at the plan's part size.
    pub fn new(plan: &PartPlan) -> PartCuts {
        PartCuts {
            size: plan.size,
            base: plan.part_size,
            cuts: Vec::new(),
        }
    }

    /// Every part of the plan cut at once, all of its part size (uploads journaled
    /// before parts could grow).
    pub fn fixed(plan: &PartPlan) -> PartCuts {
        PartCuts {
            size: plan.size,
            base: plan.part_size,
            cuts: (1..=plan.part_count).map(|n| plan.range(n)).collect(),
        }
    }

    /// The cuts a journal recorded, `(number, offset, length)` in part order: kept up to
    /// the first that does not follow on from the one before (the rest is cut again).
    pub fn resumed(plan: &PartPlan, recorded: &[(u32, u64, u64)]) -> PartCuts {
        let mut cuts = PartCuts::new(plan);
        for &(number, offset, len) in recorded {
            let follows = number as usize == cuts.cuts.len() + 1 && offset == cuts.covered();
            let fits = offset + len <= cuts.size && (len >= cuts.base || offset + len == cuts.size);
            if !follows || !fits || cuts.cuts.len() as u64 >= MAX_PARTS {
                break;
            }
            cuts.cuts.push((offset, len));
        }
        cuts
    }

    /// Parts cut so far.
    pub fn count(&self) -> u64 {
        self.cuts.len() as u64
    }

    /// Byte range of part `number` (1-based), if it was cut: (offset, length).
    pub fn range(&self, number: u32) -> Option<(u64, u64)> {
        (number as usize)
            .checked_sub(1)
            .and_then(|i| self.cuts.get(i).copied())
    }

    /// The longest part cut so far (0 before any).
    pub fn largest(&self) -> u64 {
        self.cuts.iter().map(|c| c.1).max().unwrap_or(0)
    }

    /// Bytes from the start of the file that parts cover.
    pub fn covered(&self) -> u64 {
        self.cuts.last().map_or(0, |(o, l)| o + l)
    }

    /// Every byte of the file is in a part.
    pub fn is_whole(&self) -> bool {
        !self.cuts.is_empty() && self.covered() == self.size
    }

    /// Parts cut so far, and the rest at the base size: what the upload will take at
    /// most.
    pub fn estimated_total(&self) -> u64 {
        let rest = (self.size - self.covered()).div_ceil(self.base);
        (self.count() + rest).max(1)
    }

    /// Cuts the next part, `wanted` bytes (rounded down to whole MiB) or what the file
    /// has left, never below the base size nor so small that the rest would need more
    /// than 10,000 parts. `None` once the file is whole.
    pub fn next(&mut self, wanted: u64) -> Option<(u32, (u64, u64))> {
        if self.is_whole() || self.count() >= MAX_PARTS {
            return None;
        }
        let offset = self.covered();
        let rest = self.size - offset;
        let numbers_left = MAX_PARTS - self.count();
        let mut len = (wanted / MIB * MIB)
            .clamp(self.base, MAX_PART_SIZE)
            .max(rest.div_ceil(numbers_left))
            .min(rest);
        // No small part after a grown one: each part costs a request of its own. (Parts
        // of the base size cut the file as a fixed part size would: ceil(size / base).)
        if len > self.base && rest - len < self.base && rest <= MAX_PART_SIZE {
            len = rest;
        }
        self.cuts.push((offset, len));
        Some((self.cuts.len() as u32, (offset, len)))
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
    fn growing_cuts_cover_the_file_end_to_end() {
        let plan = PartPlan::new(100 * MIB + 7, 16 * MIB).unwrap();
        let mut cuts = PartCuts::new(&plan);
        assert_eq!(cuts.estimated_total(), 7);
        assert_eq!(
            cuts.next(0),
            Some((1, (0, 16 * MIB))),
            "never below the base"
        );
        assert_eq!(
            cuts.next(40 * MIB + 5),
            Some((2, (16 * MIB, 40 * MIB))),
            "whole MiB"
        );
        assert_eq!(
            cuts.next(GROWN_PART_SIZE),
            Some((3, (56 * MIB, 44 * MIB + 7)))
        );
        assert!(cuts.is_whole());
        assert_eq!(cuts.next(16 * MIB), None);
        // At the base size the last part keeps what is left, however small.
        let mut fixed = PartCuts::new(&plan);
        while fixed.next(0).is_some() {}
        assert_eq!(fixed, PartCuts::fixed(&plan));
        assert_eq!((cuts.count(), cuts.estimated_total()), (3, 3));
        assert_eq!(cuts.range(2), Some((16 * MIB, 40 * MIB)));
        assert_eq!(cuts.largest(), 44 * MIB + 7);
        assert_eq!((cuts.range(0), cuts.range(4)), (None, None));
    }

    #[test]
    fn cuts_keep_the_rest_within_ten_thousand_parts() {
        // Small cuts asked for the whole way still end by part 10,000.
        let plan = PartPlan::new(10_000 * 8 * MIB + 1, 8 * MIB).unwrap();
        let mut cuts = PartCuts::new(&plan);
        while cuts.next(0).is_some() {}
        assert!(cuts.is_whole());
        assert!(cuts.count() <= MAX_PARTS);
        // A few big ones first, then the smallest allowed: still whole.
        let plan = PartPlan::new(200 * GIB, 5 * MIB).unwrap();
        let mut cuts = PartCuts::new(&plan);
        for _ in 0..3 {
            cuts.next(GROWN_PART_SIZE);
        }
        while cuts.next(0).is_some() {}
        assert!(
            cuts.is_whole() && cuts.count() <= MAX_PARTS,
            "{}",
            cuts.count()
        );
    }

    #[test]
    fn resumed_cuts_stop_at_the_first_that_does_not_follow() {
        let plan = PartPlan::new(100 * MIB, 16 * MIB).unwrap();
        let recorded = [
            (1, 0, 16 * MIB),
            (2, 16 * MIB, 32 * MIB),
            (4, 48 * MIB, 16 * MIB), // part 3 was never journaled
        ];
        let mut cuts = PartCuts::resumed(&plan, &recorded);
        assert_eq!(cuts.count(), 2);
        assert_eq!(cuts.next(16 * MIB), Some((3, (48 * MIB, 16 * MIB))));
        // A part smaller than the base that is not the last is not a cut.
        let cuts = PartCuts::resumed(&plan, &[(1, 0, MIB)]);
        assert_eq!(cuts.count(), 0);
        assert_eq!(PartCuts::fixed(&plan).count(), 7);
        assert!(PartCuts::fixed(&plan).is_whole());
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
