//! Imports of real Chinese OSM extracts (`tests/fixtures/osm/` at the workspace root;
//! data © OpenStreetMap contributors, ODbL).

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Mutex;

use lc_model::Category;
use lc_network::{BuildOptions, Graph, RawNetwork};
use lc_osm::{
    read_osm_bytes, read_osm_file, ExcludeReason, OsmError, OsmExtract, OsmFormat, OsmOptions,
    OsmPhase, OsmProgress, Profile,
};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/osm")
        .join(name)
}

fn read(name: &str, profile: Profile) -> OsmExtract {
    read_osm_file(&data(name), &OsmOptions { profile }, None)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

const BUPT_PBF: &str = "beijing-haidian-bupt.osm.pbf";
const BUPT_XML: &str = "beijing-haidian-bupt.osm";
const CAU: &str = "beijing-haidian-cau.osm.pbf";
const LONGGANG: &str = "shenzhen-longgang.osm.pbf";

/// Facilities whose deciding tags start with `tag` (e.g. `amenity=kindergarten`, which
/// also counts one renamed to a nursery by a name hint).
fn with_tag(x: &OsmExtract, tag: &str) -> usize {
    x.facilities
        .iter()
        .filter(|f| f.tags_matched == tag || f.tags_matched.starts_with(&format!("{tag} ")))
        .count()
}

fn of(x: &OsmExtract, key: &str) -> u64 {
    x.stats.facilities_of(Category::from_key(key).unwrap())
}

/// Structural checks every imported network must pass; returns the component count.
fn check_network(name: &str, net: &RawNetwork) -> usize {
    let n = net.node_ids.len();
    assert!(n > 100, "{name}: only {n} nodes");
    assert_eq!(net.coords.len(), n);
    assert!(!net.edges.is_empty());
    let ids: HashSet<i64> = net.node_ids.iter().copied().collect();
    assert_eq!(ids.len(), n, "{name}: duplicate node ids");
    let mut used = vec![false; n];
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    for e in &net.edges {
        let (a, b) = (e.from as usize, e.to as usize);
        assert!(a < n && b < n, "{name}: edge end out of range");
        assert_ne!(a, b, "{name}: self-loop");
        assert!(e.length_m.is_finite() && e.length_m >= 0.0);
        // Consecutive nodes of a way in a city extract are never kilometres apart.
        assert!(e.length_m < 3000.0, "{name}: edge of {} m", e.length_m);
        let d = net.coords[a].haversine_m(net.coords[b]);
        assert!(
            (d - e.length_m).abs() < 1e-9,
            "{name}: length is not the haversine"
        );
        used[a] = true;
        used[b] = true;
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        parent[ra] = rb;
    }
    assert!(
        used.iter().all(|&u| u),
        "{name}: a network node has no edge"
    );
    let components = (0..n).filter(|&x| find(&mut parent, x) == x).count();
    assert!(
        net.edges.len() + components >= n,
        "{name}: fewer edges than a forest"
    );
    for p in &net.coords {
        // Beijing and Shenzhen.
        assert!(
            (113.0..118.0).contains(&p.lon) && (22.0..41.0).contains(&p.lat),
            "{name}: {p:?} is not in the extract's area"
        );
    }
    components
}

#[test]
fn xml_and_pbf_of_the_same_extract_are_identical() {
    let pbf = read(BUPT_PBF, Profile::Walk);
    let xml = read(BUPT_XML, Profile::Walk);
    assert_eq!(pbf.stats.format, OsmFormat::Pbf);
    assert_eq!(xml.stats.format, OsmFormat::Xml);
    assert!(pbf.stats.blocks > 0);
    assert_eq!(pbf.network, xml.network);
    assert_eq!(pbf.facilities, xml.facilities);
    let mut ps = pbf.stats.clone();
    ps.format = xml.stats.format;
    ps.blocks = 0;
    ps.file_bytes = xml.stats.file_bytes;
    assert_eq!(ps, xml.stats);
    // Also for the wheelchair profile.
    assert_eq!(
        read(BUPT_PBF, Profile::Wheelchair).network,
        read(BUPT_XML, Profile::Wheelchair).network
    );
}

#[test]
fn counts_match_the_files() {
    // Element counts from pyosmium (shared data README).
    for (name, nodes, ways, rels) in [
        (BUPT_PBF, 2312, 472, 32),
        (BUPT_XML, 2312, 472, 32),
        (CAU, 4347, 684, 194),
        (LONGGANG, 8005, 773, 40),
    ] {
        let s = read(name, Profile::Walk).stats;
        assert_eq!(
            (s.nodes_read, s.ways_read, s.relations_read),
            (nodes, ways, rels),
            "{name}"
        );
        assert_eq!(s.invalid_coordinates, 0);
        assert_eq!(
            s.highway_ways,
            s.walkable_ways + s.excluded.total(),
            "{name}"
        );
    }
}

#[test]
fn networks_are_plausible() {
    for name in [BUPT_PBF, CAU, LONGGANG] {
        let x = read(name, Profile::Walk);
        let s = &x.stats;
        check_network(name, &x.network);
        assert_eq!(s.network_nodes as usize, x.network.node_ids.len());
        assert_eq!(s.network_edges as usize, x.network.edges.len());
        let total: f64 = x.network.edges.iter().map(|e| e.length_m).sum();
        assert!((total - s.network_length_m).abs() < 1e-6);
        // A few kilometres of paths and streets at least.
        assert!(total > 10_000.0, "{name}: {total} m");
        // Most of the walkable ways are kept; the network builds and its largest component
        // holds most nodes.
        assert!(s.walkable_ways * 2 > s.highway_ways, "{name}");
        let (g, report) = Graph::build(
            &x.network,
            BuildOptions {
                keep_largest_component: true,
            },
        )
        .unwrap();
        assert!(
            g.node_count() * 2 > x.network.node_ids.len(),
            "{name}: {report:?}"
        );
    }
}

#[test]
fn longgang_motorways_are_excluded() {
    let x = read(LONGGANG, Profile::Walk);
    assert!(x.stats.excluded.get(ExcludeReason::Motorway) > 10);
    // No network node lies on a motorway only: the network is smaller than all highway
    // nodes. Check via the wheelchair profile too, which is a subset of the walk network.
    let walk_pairs: HashSet<(i64, i64)> = pairs(&x.network);
    let chair = read(LONGGANG, Profile::Wheelchair);
    let chair_pairs = pairs(&chair.network);
    assert!(chair_pairs.is_subset(&walk_pairs));
}

fn pairs(net: &RawNetwork) -> HashSet<(i64, i64)> {
    net.edges
        .iter()
        .map(|e| {
            let (a, b) = (net.node_ids[e.from as usize], net.node_ids[e.to as usize]);
            (a.min(b), a.max(b))
        })
        .collect()
}

#[test]
fn wheelchair_network_is_the_walk_network_without_steps() {
    for name in [BUPT_PBF, CAU, LONGGANG] {
        let walk = read(name, Profile::Walk);
        let chair = read(name, Profile::Wheelchair);
        assert!(
            pairs(&chair.network).is_subset(&pairs(&walk.network)),
            "{name}"
        );
        let dropped = chair.stats.excluded.get(ExcludeReason::Steps)
            + chair.stats.excluded.get(ExcludeReason::WheelchairNo);
        assert_eq!(
            chair.stats.walkable_ways + dropped,
            walk.stats.walkable_ways,
            "{name}"
        );
        assert_eq!(walk.stats.excluded.get(ExcludeReason::Steps), 0);
        assert_eq!(walk.facilities, chair.facilities);
    }
}

#[test]
fn facilities_found_in_cau() {
    let x = read(CAU, Profile::Walk);
    assert_eq!(with_tag(&x, "amenity=kindergarten"), 2);
    assert_eq!(with_tag(&x, "amenity=pharmacy"), 2);
    assert_eq!(with_tag(&x, "shop=convenience"), 17);
    assert_eq!(with_tag(&x, "shop=supermarket"), 2);
    assert_eq!(of(&x, "kindergarten"), 2);
    assert_eq!(of(&x, "pharmacy"), 2);
    assert_eq!(of(&x, "convenience_store"), 17);
    assert_eq!(of(&x, "supermarket"), 2);
    // Both kindergartens have Chinese names.
    let names: Vec<&str> = x
        .facilities
        .iter()
        .filter(|f| f.category.key() == "kindergarten")
        .map(|f| f.name.as_str())
        .collect();
    assert!(names.contains(&"中国农业大学东校区幼儿园"), "{names:?}");
    assert!(names.contains(&"未来之星实验幼儿园"), "{names:?}");
    // Facilities lie around the campus (node extent of the file).
    for f in &x.facilities {
        assert!(
            (116.30..116.53).contains(&f.pos.lon) && (39.96..40.05).contains(&f.pos.lat),
            "{f:?}"
        );
        assert!(f.id.starts_with('n') || f.id.starts_with('w'));
    }
    let ids: HashSet<&str> = x.facilities.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids.len(), x.facilities.len(), "facility ids are not unique");
}

#[test]
fn facilities_found_in_bupt_and_longgang() {
    let b = read(BUPT_PBF, Profile::Walk);
    assert_eq!(with_tag(&b, "amenity=childcare"), 1);
    assert_eq!(of(&b, "nursery"), 1);
    assert_eq!(with_tag(&b, "shop=supermarket"), 2);
    assert_eq!(with_tag(&b, "shop=convenience"), 1);
    assert_eq!(with_tag(&b, "amenity=marketplace"), 1);
    assert_eq!(of(&b, "vegetable_market"), 1);
    // 24 pitches in the README; some may be relations (skipped) or share a way.
    assert!(with_tag(&b, "leisure=pitch") >= 20);

    let l = read(LONGGANG, Profile::Walk);
    assert_eq!(with_tag(&l, "amenity=kindergarten"), 1);
    assert_eq!(with_tag(&l, "shop=supermarket"), 1);
    assert_eq!(with_tag(&l, "shop=convenience"), 1);
}

#[test]
fn progress_is_reported_per_phase() {
    let events: Mutex<Vec<OsmProgress>> = Mutex::new(Vec::new());
    let cb = |p: OsmProgress| events.lock().unwrap().push(p);
    let x = read_osm_file(&data(CAU), &OsmOptions::default(), Some(&cb)).unwrap();
    let events = events.into_inner().unwrap();
    assert!(events.iter().all(|p| p.done <= p.total), "{events:?}");
    let phases: Vec<OsmPhase> = events.iter().map(|p| p.phase).collect();
    let first = |ph| phases.iter().position(|&p| p == ph).unwrap();
    let last = |ph| phases.iter().rposition(|&p| p == ph).unwrap();
    assert!(last(OsmPhase::Reading) < first(OsmPhase::Scanning));
    assert!(last(OsmPhase::Scanning) < first(OsmPhase::Locating));
    assert!(last(OsmPhase::Locating) < first(OsmPhase::Assembling));
    let scans: Vec<&OsmProgress> = events
        .iter()
        .filter(|p| p.phase == OsmPhase::Scanning)
        .collect();
    // One report at the start and one per block.
    assert_eq!(scans.len() as u64, x.stats.blocks + 1);
    assert!(scans
        .iter()
        .any(|p| p.done == p.total && p.total == x.stats.blocks));
    assert_eq!(
        events.last(),
        Some(&OsmProgress {
            phase: OsmPhase::Assembling,
            done: 1,
            total: 1
        })
    );
}

#[test]
fn results_do_not_depend_on_thread_scheduling() {
    let a = read(CAU, Profile::Walk);
    for _ in 0..3 {
        assert_eq!(read(CAU, Profile::Walk), a);
    }
}

#[test]
fn truncated_pbf_is_an_error_naming_the_file() {
    let bytes = std::fs::read(data(CAU)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cau-first-half.osm.pbf");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let err = read_osm_file(&cut, &OsmOptions::default(), None).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, OsmError::TruncatedPbf { .. }), "{msg}");
    assert!(msg.contains("cau-first-half.osm.pbf"), "{msg}");
    assert!(msg.contains("truncated PBF blob at byte"), "{msg}");
}

#[test]
fn every_truncation_point_is_an_error_not_a_panic() {
    let bytes = std::fs::read(data(BUPT_PBF)).unwrap();
    let name = PathBuf::from("bupt.osm.pbf");
    let mut cut = 1;
    while cut < bytes.len() {
        let r = read_osm_bytes(&bytes[..cut], &name, &OsmOptions::default(), None);
        let err = r.expect_err("a truncated file must not import");
        assert!(err.to_string().starts_with("bupt.osm.pbf: "), "{err}");
        cut += 97;
    }
}

#[test]
fn corrupt_bytes_give_errors_not_panics() {
    let bytes = std::fs::read(data(BUPT_PBF)).unwrap();
    let name = PathBuf::from("bupt.osm.pbf");
    let mut errors = 0;
    let mut at = 0;
    while at < bytes.len() {
        let mut bad = bytes.clone();
        for b in bad.iter_mut().skip(at).take(16) {
            *b ^= 0xa5;
        }
        if let Err(e) = read_osm_bytes(&bad, &name, &OsmOptions::default(), None) {
            assert!(e.to_string().starts_with("bupt.osm.pbf: "), "{e}");
            errors += 1;
        }
        at += 211;
    }
    assert!(errors > 0);
}
