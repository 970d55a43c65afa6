//! Where each facility stands: its own division code when it has a valid one, else the code of
//! the nearest community (straight line) that has one — livingcircle holds no boundaries, so the
//! communities' positions stand for their regions.
//!
//! A province places millions of facilities this way. The codes are kept once each (a facility
//! holds an index into them), and the nearest coded community is found in the snapper's grid
//! ([`lc_network::NearestPoint`]) on all threads: an R-tree query per facility (rstar, which
//! allocates a heap per query) took 8.7 s of a 51 s province assessment (BENCHMARKS.md,
//! "Province scale: the assessment").

use lc_model::{Community, FacilityList, LonLat};
use lc_network::NearestPoint;
use rayon::prelude::*;
use std::collections::HashMap;

/// No code.
const NONE: u32 = u32::MAX;

/// Each facility's region code and how it was known.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FacilityRegions {
    /// The distinct codes, in order of first use.
    codes: Vec<String>,
    /// Per facility: index into `codes`, or [`NONE`].
    of: Vec<u32>,
    /// Per facility: whether the code was taken from the nearest community.
    by_nearest: Vec<bool>,
}

impl FacilityRegions {
    /// Locates every facility. It needs no access results: a caller may run it beside the
    /// access step and hand it to [`crate::assess_located`].
    pub fn locate(communities: &[Community], facilities: &FacilityList) -> FacilityRegions {
        let mut codes: Vec<String> = Vec::new();
        let mut ids: HashMap<&str, u32> = HashMap::new();
        // The coded communities: positions, and their codes' indexes.
        let (mut at, mut code_of): (Vec<LonLat>, Vec<u32>) = (Vec::new(), Vec::new());
        for c in communities {
            let Some(code) = c.division_code.as_deref().map(str::trim) else {
                continue;
            };
            if crate::regions::valid_code(code) {
                at.push(c.pos);
                code_of.push(intern(&mut ids, &mut codes, code));
            }
        }
        let own: Vec<u32> = (0..facilities.len())
            .map(|f| {
                match facilities
                    .division_code(f)
                    .map(str::trim)
                    .filter(|c| crate::regions::valid_code(c))
                {
                    Some(c) => intern(&mut ids, &mut codes, c),
                    None => NONE,
                }
            })
            .collect();
        let nearest = NearestPoint::new(&at);
        let of: Vec<u32> = facilities
            .positions()
            .par_iter()
            .zip(own.par_iter())
            .map(|(&pos, &own)| {
                if own != NONE {
                    own
                } else {
                    nearest.nearest(pos).map_or(NONE, |i| code_of[i])
                }
            })
            .collect();
        let by_nearest = own
            .iter()
            .zip(&of)
            .map(|(&own, &of)| own == NONE && of != NONE)
            .collect();
        FacilityRegions {
            codes,
            of,
            by_nearest,
        }
    }

    /// The region code of facility `f`, if any.
    pub fn code(&self, f: usize) -> Option<&str> {
        match self.of.get(f) {
            Some(&i) if i != NONE => Some(self.codes[i as usize].as_str()),
            _ => None,
        }
    }

    /// Whether facility `f`'s code was taken from the nearest community (it has none of its
    /// own).
    pub fn by_nearest(&self, f: usize) -> bool {
        self.by_nearest.get(f).copied().unwrap_or(false)
    }

    /// The distinct codes; [`FacilityRegions::code_index`] indexes them.
    pub fn codes(&self) -> &[String] {
        &self.codes
    }

    /// How many facilities were located.
    pub fn len(&self) -> usize {
        self.of.len()
    }

    /// Whether no facility was located.
    pub fn is_empty(&self) -> bool {
        self.of.is_empty()
    }

    /// Facility `f`'s index into [`FacilityRegions::codes`], if it has a code.
    pub fn code_index(&self, f: usize) -> Option<usize> {
        self.of.get(f).filter(|&&i| i != NONE).map(|&i| i as usize)
    }
}

/// The index of `code` in `codes`, added when new.
fn intern<'a>(ids: &mut HashMap<&'a str, u32>, codes: &mut Vec<String>, code: &'a str) -> u32 {
    *ids.entry(code).or_insert_with(|| {
        codes.push(code.to_string());
        (codes.len() - 1) as u32
    })
}
