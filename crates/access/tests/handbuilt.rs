//! Access on small hand-built networks whose distances are worked out by hand.
//!
//! ```text
//!  D(3) ---100--- C(2)
//!   |              |
//!  100            100
//!   |              |
//!  A(0) ---100--- B(1) ---400--- E(4)        F(5) --50-- G(6)   (a separate island)
//! ```
//! Node positions (degrees): A (0,0), B (0.001,0), C (0.001,0.001), D (0,0.001), E (0.005,0),
//! F (0.02,0.02), G (0.021,0.02). Lengths are given, not derived from the positions; a point
//! snapped onto an edge is placed by its fraction along the drawn segment.

mod common;

use lc_access::{compute_access, AccessConfig, CommunityAccess, Targets};
use lc_model::LonLat;
use lc_network::{Anchor, BuildOptions, Graph, RawEdge, RawNetwork, SnapMode, Snapper};

fn network() -> Graph {
    let coords = [
        (0.0, 0.0),
        (0.001, 0.0),
        (0.001, 0.001),
        (0.0, 0.001),
        (0.005, 0.0),
        (0.02, 0.02),
        (0.021, 0.02),
    ];
    let edges = [
        (0, 1, 100.0),
        (1, 2, 100.0),
        (3, 2, 100.0),
        (0, 3, 100.0),
        (1, 4, 400.0),
        (5, 6, 50.0),
    ];
    let raw = RawNetwork {
        node_ids: (0..7).map(|i| 100 + i).collect(),
        coords: coords.iter().map(|&(x, y)| LonLat::new(x, y)).collect(),
        edges: edges
            .iter()
            .map(|&(from, to, length_m)| RawEdge { from, to, length_m })
            .collect(),
    };
    Graph::build(
        &raw,
        BuildOptions {
            keep_largest_component: false,
        },
    )
    .unwrap()
    .0
}

struct Case {
    graph: Graph,
    mode: SnapMode,
    communities: Vec<(f64, f64)>,
    /// (id, category, lon, lat)
    facilities: Vec<(&'static str, u16, f64, f64)>,
}

impl Case {
    fn anchors(&self, pts: &[(f64, f64)]) -> Vec<Anchor> {
        let s = Snapper::new(&self.graph, self.mode);
        pts.iter()
            .map(|&(x, y)| s.snap(LonLat::new(x, y)).unwrap())
            .collect()
    }

    fn run(&self, cfg: &AccessConfig) -> Vec<CommunityAccess> {
        let src: Vec<Option<Anchor>> = self
            .anchors(&self.communities)
            .into_iter()
            .map(Some)
            .collect();
        let fac_pts: Vec<(f64, f64)> = self.facilities.iter().map(|f| (f.2, f.3)).collect();
        let fac: Vec<Option<Anchor>> = self.anchors(&fac_pts).into_iter().map(Some).collect();
        let cats: Vec<u16> = self.facilities.iter().map(|f| f.1).collect();
        let mut order: Vec<usize> = (0..self.facilities.len()).collect();
        order.sort_by_key(|&i| self.facilities[i].0);
        let mut tie = vec![0u32; order.len()];
        for (r, &i) in order.iter().enumerate() {
            tie[i] = r as u32;
        }
        let targets = Targets::new(&self.graph, &fac, &cats, &tie, 2);
        compute_access(&self.graph, &targets, &src, cfg, &|_| {})
    }

    /// (category, rank, facility id, distance) of one community's result.
    fn listed(&self, r: &CommunityAccess) -> Vec<(u16, u16, &'static str, f64)> {
        r.nearest
            .iter()
            .map(|f| {
                (
                    f.category,
                    f.rank,
                    self.facilities[f.facility as usize].0,
                    f.distance_m,
                )
            })
            .collect()
    }
}

fn cfg(k: usize, max: f64, circles: &[f64]) -> AccessConfig {
    AccessConfig {
        k,
        max_distance: max,
        circles: circles.to_vec(),
        catchment: None,
        pair_categories: vec![],
    }
}

fn assert_close(got: f64, want: f64) {
    assert!((got - want).abs() < 1e-9, "got {got}, want {want}");
}

#[test]
fn node_snap_k_nearest_counts_and_the_island() {
    let case = Case {
        graph: network(),
        mode: SnapMode::Node,
        communities: vec![(0.0, 0.0)],
        facilities: vec![
            ("kg-b", 0, 0.001, 0.0),
            ("kg-c", 0, 0.001, 0.001),
            ("kg-e", 0, 0.005, 0.0),
            ("ph-d", 1, 0.0, 0.001),
            ("ph-f", 1, 0.02, 0.02), // on the island: unreachable
        ],
    };
    let r = case.run(&cfg(2, 1500.0, &[150.0, 600.0]));
    let listed = case.listed(&r[0]);
    assert_eq!(listed.len(), 3, "{listed:?}");
    assert_eq!((listed[0].0, listed[0].1, listed[0].2), (0, 1, "kg-b"));
    assert_close(listed[0].3, 100.0);
    assert_eq!((listed[1].0, listed[1].1, listed[1].2), (0, 2, "kg-c"));
    assert_close(listed[1].3, 200.0);
    assert_eq!((listed[2].0, listed[2].1, listed[2].2), (1, 1, "ph-d"));
    // Counts: kindergartens within 150 m: B; within 600 m: B, C, E (500 m). Pharmacies: D only.
    assert_eq!(r[0].counts, vec![1, 3, 1, 1]);
}

#[test]
fn edge_snap_counts_the_distance_along_edges() {
    let case = Case {
        graph: network(),
        mode: SnapMode::Edge,
        // 30 % of the way from A to B, a little south of the street.
        communities: vec![(0.0003, -0.0001)],
        facilities: vec![
            // On D–C, 40 % of the way from D: via A 30 + 100 + 40 = 170; via B 70 + 100 + 60 = 230.
            ("kg-dc", 0, 0.0004, 0.00105),
            // On B–E, 75 % of the way from B: 70 + 300 = 370.
            ("kg-be", 0, 0.004, 0.0001),
            // On A–B itself at 80 %: directly 50 m along the street (not 30 + 80 or 70 + 20).
            ("ph-ab", 1, 0.0008, 0.00005),
        ],
    };
    let r = case.run(&cfg(3, 1500.0, &[]));
    let listed = case.listed(&r[0]);
    assert_eq!(
        listed.iter().map(|l| l.2).collect::<Vec<_>>(),
        vec!["kg-dc", "kg-be", "ph-ab"]
    );
    assert_close(listed[0].3, 170.0);
    assert_close(listed[1].3, 370.0);
    assert_close(listed[2].3, 50.0);

    // With a 300 m limit the facility at 370 m is not listed.
    let r = case.run(&cfg(3, 300.0, &[]));
    assert_eq!(
        case.listed(&r[0]).iter().map(|l| l.2).collect::<Vec<_>>(),
        vec!["kg-dc", "ph-ab"]
    );
}

#[test]
fn ties_are_broken_by_facility_id_whatever_the_input_order() {
    for facilities in [
        vec![("z", 0, 0.001, 0.0), ("a", 0, 0.0, 0.001)],
        vec![("a", 0, 0.0, 0.001), ("z", 0, 0.001, 0.0)],
    ] {
        let case = Case {
            graph: network(),
            mode: SnapMode::Node,
            communities: vec![(0.0, 0.0)],
            facilities,
        };
        let r = case.run(&cfg(3, 1500.0, &[]));
        let listed = case.listed(&r[0]);
        assert_eq!(
            listed.iter().map(|l| (l.1, l.2)).collect::<Vec<_>>(),
            vec![(1, "a"), (2, "z")]
        );
        assert_close(listed[0].3, 100.0);
        assert_close(listed[1].3, 100.0);
    }
}

#[test]
fn a_community_on_the_island_reaches_nothing_on_the_mainland() {
    let case = Case {
        graph: network(),
        mode: SnapMode::Node,
        communities: vec![(0.0201, 0.02), (0.0, 0.0)],
        facilities: vec![("kg-b", 0, 0.001, 0.0)],
    };
    let r = case.run(&cfg(3, 1500.0, &[1000.0]));
    assert!(r[0].nearest.is_empty());
    assert_eq!(r[0].counts, vec![0, 0]);
    assert_eq!(r[1].nearest.len(), 1);
}

#[test]
fn boundary_is_inclusive() {
    let case = Case {
        graph: network(),
        mode: SnapMode::Node,
        communities: vec![(0.0, 0.0)],
        facilities: vec![("kg-c", 0, 0.001, 0.001)],
    };
    // Exactly 200 m away: listed with max 200 and counted in a 200 m circle, not in 199.99.
    let r = case.run(&cfg(1, 200.0, &[199.99, 200.0]));
    assert_eq!(r[0].nearest.len(), 1);
    assert_eq!(r[0].counts, vec![0, 1, 0, 0]);
}

#[test]
fn agrees_with_plain_dijkstra_on_the_expanded_graph() {
    let graph = network();
    let case = Case {
        graph: graph.clone(),
        mode: SnapMode::Edge,
        communities: vec![
            (0.0003, -0.0001),
            (0.0009, 0.0006),
            (0.003, 0.0),
            (0.0, 0.0005),
        ],
        facilities: vec![
            ("a", 0, 0.0004, 0.00105),
            ("b", 0, 0.004, 0.0001),
            ("c", 0, 0.0008, 0.00005),
            ("d", 0, 0.0011, 0.0002),
            ("e", 0, 0.0, 0.0009),
        ],
    };
    let r = case.run(&cfg(5, 1500.0, &[]));
    let mut pts = case.anchors(&case.communities);
    let fac_pts: Vec<(f64, f64)> = case.facilities.iter().map(|f| (f.2, f.3)).collect();
    let nc = pts.len();
    pts.extend(case.anchors(&fac_pts));
    let ex = common::expand(&graph, &pts);
    for (ci, res) in r.iter().enumerate() {
        let dist = common::dijkstra(&ex.adj, ex.point_node[ci]);
        let mut want: Vec<(f64, &str)> = (0..case.facilities.len())
            .map(|f| (dist[ex.point_node[nc + f]], case.facilities[f].0))
            .filter(|(d, _)| *d <= 1500.0)
            .collect();
        want.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(b.1)));
        let got: Vec<(f64, &str)> = case.listed(res).iter().map(|l| (l.3, l.2)).collect();
        assert_eq!(got.len(), want.len(), "community {ci}: {got:?} vs {want:?}");
        for (g, w) in got.iter().zip(&want) {
            assert!(
                (g.0 - w.0).abs() < 0.01,
                "community {ci}: {got:?} vs {want:?}"
            );
        }
    }
}
