//! The walkable road network as the engine uses it.
//!
//! Readers (`lc-osm`, `lc-tables`) produce a [`RawNetwork`]: external node ids, WGS-84
//! positions and undirected edges with lengths in metres. [`Graph::build`] turns it into a
//! compact, immutable adjacency array (CSR) on dense `u32` node indices, dropping self-loops
//! and, by default, everything outside the largest connected component.
//! [`Snapper`] places points (communities, facilities) on the graph, on the nearest edge or
//! the nearest node. [`cache`] writes a built graph's arrays to a writer and reads them back, checked.
//!
//! **Architecture invariant:** no file or network I/O here; the caller opens files and hands
//! over bytes, readers or writers.

pub mod cache;
mod graph;
mod snap;

pub use graph::{BuildOptions, BuildReport, Edge, Graph, NetworkError, RawEdge, RawNetwork};
pub use snap::{
    projection_latitude, Anchor, NearestPoint, SnapMode, Snapper, METRES_PER_DEGREE, NO_EDGE,
};

/// The resolution at which walking distances are compared: 1 mm. Edge lengths summed along a
/// path carry floating-point noise (three 100 m edges can sum to 300.00000000000006 m), so
/// "within r" means `d ≤ r + 1 mm` everywhere in the engine — access, circle counts, coverage,
/// the assessment and siting alike — through [`within`].
pub const DISTANCE_TOLERANCE_M: f64 = 1e-3;

/// Whether a walking distance `d` lies within the radius `r` (inclusive, at the resolution of
/// [`DISTANCE_TOLERANCE_M`]).
#[inline]
pub fn within(d: f64, r: f64) -> bool {
    d <= r + DISTANCE_TOLERANCE_M
}

#[cfg(test)]
mod tolerance_tests {
    use super::*;

    #[test]
    fn a_float_sum_that_overshoots_is_still_within() {
        // Edges of 0.1, 256.1 and 43.8 m add up to 300.00000000000006 m along the path.
        let d: f64 = [0.1, 256.1, 43.8].iter().sum();
        assert!(
            d != 300.0,
            "the sum must overshoot for the test to mean anything: {d}"
        );
        assert!(within(d, 300.0));
        assert!(within(300.0, 300.0));
        assert!(!within(300.002, 300.0));
        assert!(!within(f64::INFINITY, 300.0));
        assert!(!within(f64::NAN, 300.0));
    }
}
