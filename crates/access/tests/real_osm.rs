//! Access on real OpenStreetMap extracts (Beijing Haidian, Shenzhen Longgang, Beijing BUPT),
//! checked against an independent plain Dijkstra on the graph with every point inserted as a node.
//! Data © OpenStreetMap contributors, ODbL 1.0 (see tests/fixtures/osm/README.md).

mod common;

use lc_access::{compute_access, AccessConfig, Targets};
use lc_model::LonLat;
use lc_network::{Anchor, BuildOptions, Graph, SnapMode, Snapper};
use lc_osm::{read_osm_file, OsmOptions, Profile};
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/osm")
        .join(name)
}

/// Deterministic pseudo-random points inside the network's bounding box.
fn points(graph: &Graph, n: usize, seed: u64) -> Vec<LonLat> {
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for c in graph.coords() {
        x0 = x0.min(c.lon);
        x1 = x1.max(c.lon);
        y0 = y0.min(c.lat);
        y1 = y1.max(c.lat);
    }
    let mut state = seed;
    let mut unit = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n)
        .map(|_| LonLat::new(x0 + unit() * (x1 - x0), y0 + unit() * (y1 - y0)))
        .collect()
}

fn check(file: &str, profile: Profile, mode: SnapMode) {
    let ex = read_osm_file(&fixture(file), &OsmOptions { profile }, None).unwrap();
    assert!(!ex.facilities.is_empty(), "{file}: no facilities from tags");
    let (graph, report) = Graph::build(
        &ex.network,
        BuildOptions {
            keep_largest_component: true,
        },
    )
    .unwrap();
    assert!(report.nodes > 300, "{file}: {report:?}");
    let snapper = Snapper::new(&graph, mode);
    let comm: Vec<Anchor> = snapper.snap_all(&points(&graph, 60, 7));
    let fac_pos: Vec<LonLat> = ex.facilities.iter().map(|f| f.pos).collect();
    let fac: Vec<Anchor> = snapper.snap_all(&fac_pos);
    // Categories as they come from the tags, renumbered densely.
    let mut keys: Vec<&str> = ex.facilities.iter().map(|f| f.category.key()).collect();
    keys.sort();
    keys.dedup();
    let cats: Vec<u16> = ex
        .facilities
        .iter()
        .map(|f| keys.binary_search(&f.category.key()).unwrap() as u16)
        .collect();
    let mut order: Vec<usize> = (0..fac.len()).collect();
    order.sort_by(|&a, &b| ex.facilities[a].id.cmp(&ex.facilities[b].id));
    let mut tie = vec![0u32; fac.len()];
    for (r, &i) in order.iter().enumerate() {
        tie[i] = r as u32;
    }
    let targets = Targets::new(
        &graph,
        &fac.iter().copied().map(Some).collect::<Vec<_>>(),
        &cats,
        &tie,
        keys.len(),
    );
    let (k, max) = (3, 1500.0);
    let cfg = AccessConfig {
        k,
        max_distance: max,
        circles: vec![500.0],
        catchment: None,
        pair_categories: vec![],
    };
    let res = compute_access(
        &graph,
        &targets,
        &comm.iter().copied().map(Some).collect::<Vec<_>>(),
        &cfg,
        &|_| {},
    );

    let mut pts = comm.clone();
    pts.extend(fac.iter().copied());
    let ex_graph = common::expand(&graph, &pts);
    let mut compared = 0;
    for (ci, r) in res.iter().enumerate() {
        let dist = common::dijkstra(&ex_graph.adj, ex_graph.point_node[ci]);
        for (c, key) in keys.iter().enumerate() {
            let mut want: Vec<f64> = (0..fac.len())
                .filter(|&f| cats[f] as usize == c)
                .map(|f| dist[ex_graph.point_node[comm.len() + f]])
                .filter(|d| *d <= max)
                .collect();
            want.sort_by(|a, b| a.total_cmp(b));
            let got: Vec<f64> = r
                .nearest
                .iter()
                .filter(|f| f.category as usize == c)
                .map(|f| f.distance_m)
                .collect();
            assert_eq!(
                got.len(),
                want.len().min(k),
                "{file} community {ci} {}: {got:?} vs {want:?}",
                key
            );
            for (g, w) in got.iter().zip(&want) {
                assert!(
                    (g - w).abs() < 0.01,
                    "{file} community {ci} {}: {got:?} vs {want:?}",
                    key
                );
                compared += 1;
            }
        }
    }
    assert!(compared > 100, "{file}: only {compared} distances compared");
}

#[test]
fn beijing_haidian_cau_edge_snapping_matches_dijkstra() {
    check("beijing-haidian-cau.osm.pbf", Profile::Walk, SnapMode::Edge);
}

#[test]
fn beijing_haidian_cau_node_snapping_matches_dijkstra() {
    check("beijing-haidian-cau.osm.pbf", Profile::Walk, SnapMode::Node);
}

#[test]
fn shenzhen_longgang_matches_dijkstra() {
    check("shenzhen-longgang.osm.pbf", Profile::Walk, SnapMode::Edge);
}

#[test]
fn beijing_bupt_xml_wheelchair_matches_dijkstra() {
    check(
        "beijing-haidian-bupt.osm",
        Profile::Wheelchair,
        SnapMode::Edge,
    );
}
