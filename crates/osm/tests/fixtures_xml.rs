//! Behaviour on hand-written OSM XML fixtures, one per tricky case (`tests/fixtures/`).

use std::path::PathBuf;

use lc_model::LonLat;
use lc_network::{BuildOptions, Graph, RawNetwork};
use lc_osm::{read_osm_file, ExcludeReason, OsmError, OsmExtract, OsmOptions, Profile};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn read(name: &str, profile: Profile) -> OsmExtract {
    read_osm_file(&fixture(name), &OsmOptions { profile }, None)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn walk(name: &str) -> OsmExtract {
    read(name, Profile::Walk)
}

/// The edges as sorted pairs of OSM ids with lengths, sorted.
fn edges(net: &RawNetwork) -> Vec<(i64, i64, f64)> {
    let mut out: Vec<(i64, i64, f64)> = net
        .edges
        .iter()
        .map(|e| {
            let (a, b) = (net.node_ids[e.from as usize], net.node_ids[e.to as usize]);
            (a.min(b), a.max(b), e.length_m)
        })
        .collect();
    out.sort_by_key(|x| (x.0, x.1));
    out
}

fn pairs(net: &RawNetwork) -> Vec<(i64, i64)> {
    edges(net).into_iter().map(|(a, b, _)| (a, b)).collect()
}

fn sorted_ids(net: &RawNetwork) -> Vec<i64> {
    let mut ids = net.node_ids.clone();
    ids.sort_unstable();
    ids
}

/// Haversine distances computed independently (Python, mean Earth radius 6,371,008.8 m):
/// 0.001° of longitude at 39.99° N, and 0.001° of latitude near 39.99° N.
const D_LON_0001_AT_3999: f64 = 85.19284672697582;
const D_LAT_0001: f64 = 111.19508023395038;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

#[test]
fn oneway_roads_are_walkable_both_ways() {
    let x = walk("oneway.osm");
    let e = edges(&x.network);
    assert_eq!(
        e.iter().map(|(a, b, _)| (*a, *b)).collect::<Vec<_>>(),
        vec![(1, 2), (2, 3), (3, 4)]
    );
    assert!(close(e[0].2, D_LON_0001_AT_3999), "{}", e[0].2);
    assert!(close(e[1].2, D_LAT_0001), "{}", e[1].2);
    assert!((e[2].2 - D_LAT_0001).abs() < 1e-3, "{}", e[2].2);
    assert_eq!(x.stats.walkable_ways, 2);
    assert_eq!(x.stats.excluded.total(), 0);
    // Both directions exist in the built graph: 1 reaches 2 and 2 reaches 1, against
    // oneway=yes; 4 reaches 3 and 3 reaches 4, against oneway=-1.
    let (g, _) = Graph::build(
        &x.network,
        BuildOptions {
            keep_largest_component: true,
        },
    )
    .unwrap();
    let idx = |id: i64| g.node_ids().iter().position(|&n| n == id).unwrap() as u32;
    let has = |a: i64, b: i64| g.neighbours(idx(a)).any(|(n, _)| n == idx(b));
    assert!(has(1, 2) && has(2, 1) && has(2, 3) && has(3, 2));
    assert!(has(3, 4) && has(4, 3));
}

#[test]
fn motorways_and_unbuilt_roads_are_excluded() {
    let x = walk("motorway.osm");
    assert_eq!(pairs(&x.network), vec![(3, 4), (4, 5)]);
    assert_eq!(sorted_ids(&x.network), vec![3, 4, 5]);
    assert_eq!(x.stats.excluded.get(ExcludeReason::Motorway), 2);
    assert_eq!(x.stats.excluded.get(ExcludeReason::NotBuilt), 1);
    assert_eq!(x.stats.highway_ways, 4);
    assert_eq!(x.stats.walkable_ways, 1);
}

#[test]
fn foot_no_is_excluded() {
    let x = walk("foot_no.osm");
    assert_eq!(pairs(&x.network), vec![(3, 4)]);
    assert_eq!(x.stats.excluded.get(ExcludeReason::FootNo), 2);
    assert_eq!(x.stats.network_nodes, 2);
}

#[test]
fn access_private_is_excluded_unless_foot_allows() {
    let x = walk("access.osm");
    // 40 access=private: out; 41 access=private + foot=yes: in; 42 access=no +
    // foot=designated: in; 43 access=no: out; 44 access=destination: in.
    assert_eq!(pairs(&x.network), vec![(2, 3), (3, 4), (5, 6)]);
    assert_eq!(x.stats.excluded.get(ExcludeReason::AccessNo), 2);
    assert_eq!(x.stats.walkable_ways, 3);
}

#[test]
fn steps_kept_for_walking_and_dropped_for_wheelchairs() {
    let w = walk("steps.osm");
    assert_eq!(
        pairs(&w.network),
        vec![(1, 2), (2, 3), (3, 4), (4, 5), (5, 6)]
    );
    assert_eq!(w.stats.excluded.total(), 0);
    let c = read("steps.osm", Profile::Wheelchair);
    // 51 steps: out; 52 wheelchair=no: out; 53 steps with a wheelchair ramp: in.
    assert_eq!(pairs(&c.network), vec![(1, 2), (4, 5), (5, 6)]);
    assert_eq!(sorted_ids(&c.network), vec![1, 2, 4, 5, 6]);
    assert_eq!(c.stats.excluded.get(ExcludeReason::Steps), 1);
    assert_eq!(c.stats.excluded.get(ExcludeReason::WheelchairNo), 1);
}

#[test]
fn missing_node_references_skip_segments_and_are_counted() {
    let x = walk("missing_node.osm");
    // Way 60 is 1-2-99-3 with node 99 absent: only 1-2 remains. Way 63 is 3-3-1: the
    // repeated node is skipped, 3-1 remains. Way 61 has no node in the file at all.
    assert_eq!(pairs(&x.network), vec![(1, 2), (1, 3)]);
    let s = &x.stats;
    assert_eq!(s.segments_missing_node, 3); // 2-99, 99-3, 98-97
    assert_eq!(s.missing_node_ids, 3); // 99, 98, 97
    assert_eq!(s.ways_with_missing_nodes, 2);
    assert_eq!(s.repeated_node_segments, 1);
    // The kindergarten way has no node in the file: no position, no facility.
    assert!(x.facilities.is_empty());
    assert_eq!(s.facility_ways_without_position, 1);
}

#[test]
fn facilities_from_nodes_and_ways() {
    let x = walk("pois.osm");
    let find = |id: &str| {
        x.facilities
            .iter()
            .find(|f| f.id == id)
            .unwrap_or_else(|| panic!("no facility {id} in {:#?}", x.facilities))
    };
    let check = |id: &str, key: &str, name: &str, matched: &str| {
        let f = find(id);
        assert_eq!(
            (f.category.key(), f.name.as_str(), f.tags_matched.as_str()),
            (key, name, matched),
            "{id}"
        );
    };
    // name:zh wins over name; XML escapes are decoded; a missing name is empty.
    check("n101", "kindergarten", "阳光幼儿园", "amenity=kindergarten");
    check("n102", "pharmacy", "同仁堂药店", "amenity=pharmacy");
    check("n103", "convenience_store", "", "shop=convenience");
    check(
        "n104",
        "convenience_store",
        "王&李便利店",
        "shop=convenience",
    );
    check("n105", "nursery", "小太阳托育中心", "amenity=childcare");
    check(
        "n106",
        "health_center",
        "学院路社区卫生服务中心",
        "amenity=clinic + name~社区卫生服务中心",
    );
    check("n107", "bus_stop", "农大南路", "highway=bus_stop");
    check("n108", "metro_station", "六道口", "railway=station");
    assert_eq!(find("n101").pos, LonLat::new(116.3505, 39.9905));
    // A building with only a name, and a deleted bank, are not facilities.
    assert!(x
        .facilities
        .iter()
        .all(|f| f.id != "n109" && f.id != "n110"));

    // Closed way: the mean of the four distinct corners (the closing node counts once).
    check(
        "w301",
        "kindergarten",
        "东校区幼儿园",
        "amenity=kindergarten",
    );
    let p = find("w301").pos;
    assert!(
        (p.lon - 116.3505).abs() < 1e-9 && (p.lat - 39.9903).abs() < 1e-9,
        "{p:?}"
    );
    // Open way: the mean of its three nodes.
    check("w302", "sports", "", "leisure=pitch");
    let p = find("w302").pos;
    assert!(
        (p.lon - (116.352 + 116.353 + 116.353) / 3.0).abs() < 1e-9
            && (p.lat - (39.991 + 39.991 + 39.9913) / 3.0).abs() < 1e-9,
        "{p:?}"
    );
    // A school teaching isced levels 1 and 2 is both a primary and a middle school.
    check(
        "w303",
        "primary_school",
        "某某九年一贯制学校",
        "amenity=school + isced:level=1;2",
    );
    check(
        "w303:middle_school",
        "middle_school",
        "某某九年一贯制学校",
        "amenity=school + isced:level=1;2",
    );
    // A pedestrian street that is also a market: in the network and a facility.
    check(
        "w304",
        "vegetable_market",
        "北沙滩菜市场",
        "amenity=marketplace",
    );
    let e = edges(&x.network);
    assert_eq!(e.len(), 1);
    assert_eq!((e[0].0, e[0].1), (231, 232));
    assert!((e[0].2 - 51.29810343336134).abs() < 1e-6, "{}", e[0].2);

    assert_eq!(x.facilities.len(), 13);
    let s = &x.stats;
    assert_eq!(s.facility_nodes, 8);
    assert_eq!(s.facility_ways, 4);
    assert_eq!(s.facility_relations_skipped, 1);
    assert_eq!(s.relations_read, 1);
    // The deleted node is not read.
    assert_eq!(s.nodes_read, 9 + 4 + 3 + 4 + 2);
    let kg = lc_model::Category::from_key("kindergarten").unwrap();
    assert_eq!(s.facilities_of(kg), 2);
    // Nodes first, then ways.
    assert!(x.facilities[0].id.starts_with('n'));
    assert!(x.facilities.last().unwrap().id.starts_with('w'));
}

#[test]
fn network_holds_only_nodes_of_walkable_ways() {
    let x = walk("pois.osm");
    assert_eq!(sorted_ids(&x.network), vec![231, 232]);
}

fn xml_error(name: &str) -> (u64, String) {
    let err = read_osm_file(&fixture(name), &OsmOptions::default(), None).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains(name), "message does not name the file: {msg}");
    match err {
        OsmError::Xml { line, .. } => (line, msg),
        other => panic!("expected an XML error, got {other:?}"),
    }
}

#[test]
fn malformed_xml_reports_file_and_line() {
    let (line, msg) = xml_error("bad_mismatch.osm");
    assert_eq!(line, 5, "{msg}");
    let (line, msg) = xml_error("bad_lat.osm");
    assert_eq!(line, 4, "{msg}");
    assert!(
        msg.contains(
            "<node> 的 lat=\"abc\" 不是数字 <node> has lat=\"abc\", which is not a number"
        ),
        "{msg}"
    );
    let (line, msg) = xml_error("bad_unclosed.osm");
    assert_eq!(line, 6, "{msg}");
    assert!(msg.contains("文件在 <way> 内结束"), "{msg}");
    assert!(msg.contains("the file ends inside <way>"), "{msg}");
}

#[test]
fn unreadable_and_non_osm_files_are_errors() {
    let missing = fixture("no-such-file.osm.pbf");
    let err = read_osm_file(&missing, &OsmOptions::default(), None).unwrap_err();
    assert!(matches!(err, OsmError::Io { .. }));
    assert!(err.to_string().contains("no-such-file.osm.pbf"), "{err}");
    assert!(
        err.to_string().ends_with(
            ": 无法读取文件 cannot read the file: 文件或文件夹不存在 No such file or directory (os error 2)"
        ),
        "{err}"
    );

    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [
        ("empty.osm", &b""[..]),
        ("text.osm", &b"hello world, not osm"[..]),
        ("gz.osm.gz", &[0x1f, 0x8b, 8, 0, 0, 0][..]),
        ("html.osm", &b"<html><body>404</body></html>"[..]),
    ] {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        let err = read_osm_file(&p, &OsmOptions::default(), None).unwrap_err();
        assert!(err.to_string().contains(name), "{err}");
    }
}

/// Found by fuzzing (issue 19): a node or way listed twice (extracts merged without
/// deduplication) gave two facilities with the same id, so the facilities written from it
/// could not be read back.
#[test]
fn an_object_listed_twice_gives_one_facility() {
    let xml = br#"<?xml version="1.0"?>
<osm version="0.6">
 <node id="1" lat="39.9" lon="116.3"><tag k="amenity" v="kindergarten"/></node>
 <node id="1" lat="39.91" lon="116.31"><tag k="amenity" v="kindergarten"/></node>
 <node id="2" lat="39.9" lon="116.301"/>
 <node id="3" lat="39.901" lon="116.301"/>
 <node id="4" lat="39.901" lon="116.3"/>
 <way id="7"><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="2"/><tag k="amenity" v="school"/></way>
 <way id="7"><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="2"/><tag k="amenity" v="school"/></way>
</osm>
"#;
    let x =
        lc_osm::read_osm_bytes(xml, "twice.osm".as_ref(), &OsmOptions::default(), None).unwrap();
    let ids: Vec<&str> = x.facilities.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["n1", "w7"], "{:#?}", x.facilities);
    assert_eq!(
        x.facilities[0].pos,
        LonLat::new(116.3, 39.9),
        "the first copy"
    );
    assert_eq!((x.stats.facility_nodes, x.stats.facility_ways), (1, 1));
}
