//! Walking distances from one point to many within a radius: what an outlet's home-service
//! area is (the communities a worker walks to within so many metres), on the same network,
//! placement and search as the rest of the engine.

use lc_model::LonLat;
use lc_network::{Graph, Snapper};

use crate::nearest::{compute_access, AccessConfig, Targets};

/// Where the source stands relative to the network.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reach {
    /// The source was placed; per point its walking distance, `None` when the point is farther
    /// than the radius or not on the network.
    Placed,
    /// The source is farther than the snap limit from the network (metres, straight line).
    SourceOffNetwork(f64),
}

/// Walking distances from `from` to each of `points` (metres, network distance between the
/// placed positions), `None` beyond `radius_m` or for a point farther than `snap_limit_m` from
/// the network.
pub fn distances_within(
    graph: &Graph,
    snapper: &Snapper<'_>,
    from: LonLat,
    radius_m: f64,
    points: &[LonLat],
    snap_limit_m: f64,
) -> (Reach, Vec<Option<f64>>) {
    let place = |p: LonLat| snapper.snap(p).filter(|a| a.snap_m <= snap_limit_m);
    let mut out = vec![None; points.len()];
    let Some(source) = place(from) else {
        let off = snapper
            .snap(from)
            .map(|a| a.snap_m)
            .unwrap_or(f64::INFINITY);
        return (Reach::SourceOffNetwork(off), out);
    };
    let anchors: Vec<_> = points.iter().map(|&p| place(p)).collect();
    let n = points.len();
    let targets = Targets::new(
        graph,
        &anchors,
        &vec![0u16; n],
        &(0..n as u32).collect::<Vec<_>>(),
        1,
    );
    let cfg = AccessConfig {
        k: 1,
        max_distance: radius_m,
        circles: Vec::new(),
        catchment: Some(radius_m),
        pair_categories: vec![true],
    };
    let found = compute_access(graph, &targets, &[Some(source)], &cfg, &|_| {});
    if let Some(one) = found.first() {
        for &(i, d) in &one.pairs {
            out[i as usize] = Some(d);
        }
    }
    (Reach::Placed, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lc_network::{BuildOptions, RawEdge, RawNetwork, SnapMode};

    #[test]
    fn distances_along_the_network_within_the_radius() {
        // Three nodes on the equator ≈111 m apart; the edges are 100 m long each.
        let raw = RawNetwork {
            node_ids: vec![1, 2, 3],
            coords: vec![
                LonLat::new(0.0, 0.0),
                LonLat::new(0.001, 0.0),
                LonLat::new(0.002, 0.0),
            ],
            edges: vec![
                RawEdge {
                    from: 0,
                    to: 1,
                    length_m: 100.0,
                },
                RawEdge {
                    from: 1,
                    to: 2,
                    length_m: 100.0,
                },
            ],
        };
        let g = Graph::build(
            &raw,
            BuildOptions {
                keep_largest_component: true,
            },
        )
        .unwrap()
        .0;
        let s = Snapper::new(&g, SnapMode::Edge);
        let points = [
            LonLat::new(0.0005, 0.0), // half way along the first edge: 50 m
            LonLat::new(0.0015, 0.0), // half way along the second: 150 m
            LonLat::new(0.001, 0.01), // 1.1 km north of the road: not placed
        ];
        let (r, d) = distances_within(&g, &s, LonLat::new(0.0, 0.0), 120.0, &points, 300.0);
        assert_eq!(r, Reach::Placed);
        assert!((d[0].unwrap() - 50.0).abs() < 1e-6, "{d:?}");
        assert_eq!((d[1], d[2]), (None, None));
        let (_, d) = distances_within(&g, &s, LonLat::new(0.0, 0.0), 200.0, &points, 300.0);
        assert!((d[1].unwrap() - 150.0).abs() < 1e-6, "{d:?}");
        let (r, _) = distances_within(&g, &s, LonLat::new(0.0, 0.02), 200.0, &points, 300.0);
        assert!(
            matches!(r, Reach::SourceOffNetwork(m) if m > 2000.0),
            "{r:?}"
        );
    }
}
