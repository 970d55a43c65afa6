//! End-to-end tests of the `livingcircle` binary: real files in, real files out, exit codes.
//!
//! The small network (distances worked out by hand):
//! ```text
//!  D(13) ---100--- C(12)
//!   |               |
//!  100             100
//!   |               |
//!  A(10) ---100--- B(11) ---400--- E(14)
//! ```
//! A (116.3, 39.9), B (116.301, 39.9), C (116.301, 39.901), D (116.3, 39.901), E (116.305, 39.9).

mod common;

use common::{assert_mentions, assert_ok, json, read, refused, run, s, stderr, write, Args};
use std::path::Path;
use tempfile::TempDir;

/// The small network in a fresh directory, with communities.csv and facilities.csv beside it.
fn small_network(communities: &str, facilities: &str) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "nodes.csv",
        "id,lon,lat\n10,116.3,39.9\n11,116.301,39.9\n12,116.301,39.901\n13,116.3,39.901\n14,116.305,39.9\n",
    );
    write(
        d,
        "edges.csv",
        "from,to,length_m\n10,11,100\n11,12,100\n13,12,100\n10,13,100\n11,14,400\n",
    );
    write(d, "communities.csv", communities);
    write(d, "facilities.csv", facilities);
    dir
}

/// One community 30 % of the way from A to B.
const C1: &str = "id,name,lon,lat,population\nc1,x,116.3003,39.8999,1000\n";
const NO_FACILITIES: &str = "id,name,category,lon,lat\n";

/// `access` on the tables in `dir`, written to `out`.
fn access(dir: &Path, out: &Path) -> Args {
    Args::quiet("access").tables(dir).opt("--out", out)
}

/// The distance of the first row of an access.csv (its last field).
fn first_distance(text: &str) -> f64 {
    text.lines()
        .nth(1)
        .unwrap()
        .rsplit(',')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn access_on_tables_writes_the_hand_worked_distances() {
    // Community 30 % of the way from A to B; facilities: on D–C at 40 % from D (170 m),
    // on B–E at 75 % (370 m), on A–B at 80 % (50 m), at node C (70 + 100 = 170 m... via B: 70+100=170).
    let dir = small_network(
        "id,name,lon,lat,population\nc1,幸福社区,116.3003,39.8999,1000\n",
        "id,name,category,lon,lat\nk-dc,幼儿园甲,kindergarten,116.3004,39.90105\nk-be,幼儿园乙,kindergarten,116.304,39.9001\np-ab,药店,pharmacy,116.3008,39.90005\nk-c,幼儿园丙,kindergarten,116.301,39.901\n",
    );
    let out = dir.path().join("access.csv");
    let counts = dir.path().join("counts.csv");
    let o = access(dir.path(), &out)
        .opt("--counts", &counts)
        .opt("--circles", "100,200,400")
        .flag("--no-cache")
        .run();
    assert_ok(&o);
    // k-c and k-dc are both 170 m away: the tie goes to the smaller id, k-c.
    assert_eq!(
        read(&out),
        "community_id,category,rank,facility_id,distance_m\n\
         c1,kindergarten,1,k-c,170.000\n\
         c1,kindergarten,2,k-dc,170.000\n\
         c1,kindergarten,3,k-be,370.000\n\
         c1,pharmacy,1,p-ab,50.000\n"
    );
    assert_eq!(
        read(&counts),
        "community_id,category,within_100,within_200,within_400\nc1,kindergarten,0,2,3\nc1,pharmacy,1,1,1\n"
    );
    let stderr = stderr(&o);
    assert!(stderr.contains("5 nodes, 5 edges"), "{stderr}");
}

#[test]
fn bad_facility_row_names_file_line_and_field_and_writes_nothing() {
    let dir = small_network(
        C1,
        "id,name,category,lon,lat\nf1,a,kindergarten,116.3,39.9\nf2,b,bakery,116.3,39.9\n",
    );
    let out = dir.path().join("access.csv");
    let stderr = refused(&access(dir.path(), &out).flag("--no-cache").run());
    assert_mentions(&stderr, &["facilities.csv", "line 3"]);
    assert_mentions(&stderr, &["category", "bakery", "kindergarten"]);
    assert!(!out.exists());
}

#[test]
fn out_of_range_coordinate_and_unknown_edge_node_are_reported() {
    let dir = small_network(
        "id,name,lon,lat,population\nc1,x,116.3003,91.5,1000\n",
        NO_FACILITIES,
    );
    write(
        dir.path(),
        "edges.csv",
        "from,to,length_m\n10,11,100\n11,99,50\n",
    );
    let out = dir.path().join("access.csv");
    let args = access(dir.path(), &out).flag("--no-cache");
    let stderr = refused(&args.run());
    assert_mentions(&stderr, &["communities.csv", "line 2", "lat"]);
    write(dir.path(), "communities.csv", C1);
    let stderr = refused(&args.run());
    assert_mentions(&stderr, &["edges.csv", "line 3", "99"]);
    assert!(!out.exists());
}

#[test]
fn an_existing_output_survives_a_failed_run() {
    let dir = small_network(
        "id,name,lon,lat,population\nc1,x,116.3003,39.8999,abc\n",
        NO_FACILITIES,
    );
    let out = write(dir.path(), "access.csv", "previous results\n");
    refused(&access(dir.path(), &out).flag("--no-cache").run());
    assert_eq!(read(&out), "previous results\n");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 5, "{leftovers:?}");
}

#[test]
fn far_points_are_reported_not_snapped_and_the_cache_is_reused() {
    // c2 is ~1.1 km north of the network: beyond the 300 m snap limit.
    let dir = small_network(
        "id,name,lon,lat,population\nc1,x,116.3003,39.8999,1000\nc2,far,116.3,39.911,500\n",
        "id,name,category,lon,lat\nf1,a,pharmacy,116.301,39.9\n",
    );
    let out = dir.path().join("access.csv");
    let summary = dir.path().join("summary.json");
    let argv = access(dir.path(), &out).opt("--summary-json", &summary);
    let o = argv.run();
    assert_ok(&o);
    let stderr = stderr(&o);
    assert_mentions(&stderr, &["1 too far", "c2"]);
    let j = json(&summary);
    assert_eq!(j["communities"]["too_far"], serde_json::json!(["c2"]));
    assert_eq!(j["network"]["from_cache"], serde_json::json!(false));
    let text = read(&out);
    assert_eq!(
        text,
        "community_id,category,rank,facility_id,distance_m\nc1,pharmacy,1,f1,70.000\n"
    );
    // Second run: the network comes from the cache next to edges.csv, with the same result.
    assert_ok(&argv.run());
    assert_eq!(
        json(&summary)["network"]["from_cache"],
        serde_json::json!(true)
    );
    assert_eq!(read(&out), text);
    // Changing the input invalidates the cache.
    std::thread::sleep(std::time::Duration::from_millis(20));
    write(
        dir.path(),
        "edges.csv",
        "from,to,length_m\n10,11,90\n11,12,100\n13,12,100\n10,13,100\n11,14,400\n",
    );
    assert_ok(&argv.run());
    assert_eq!(
        json(&summary)["network"]["from_cache"],
        serde_json::json!(false)
    );
    assert_eq!(
        read(&out),
        "community_id,category,rank,facility_id,distance_m\nc1,pharmacy,1,f1,63.000\n"
    );
}

#[test]
fn gcj02_input_is_converted_before_snapping() {
    // The WGS-84 point (116.3003, 39.8999) given in GCJ-02: shifted by the published transform.
    let (lon, lat) = {
        let g = lc_crs::wgs84_to_gcj02(lc_model::LonLat::new(116.3003, 39.8999));
        (g.lon, g.lat)
    };
    let fac_g = lc_crs::wgs84_to_gcj02(lc_model::LonLat::new(116.301, 39.9));
    let dir = small_network(
        &format!("id,name,lon,lat,population\nc1,x,{lon},{lat},1000\n"),
        &format!(
            "id,name,category,lon,lat\nf1,a,pharmacy,{},{}\n",
            fac_g.lon, fac_g.lat
        ),
    );
    let out = dir.path().join("access.csv");
    let base = access(dir.path(), &out).flag("--no-cache");
    assert_ok(&base.clone().opt("--crs", "gcj02").run());
    let text = read(&out);
    let d = first_distance(&text);
    assert!((d - 70.0).abs() < 0.5, "{text}");
    // Read as WGS-84 the points land ~550 m east-north-east of where they are: the answer is wrong.
    assert_ok(&base.run());
    let text = read(&out);
    let d = first_distance(&text);
    assert!((d - 70.0).abs() > 50.0, "{text}");
}

#[test]
fn missing_network_arguments_are_explained() {
    let o = run(&["access", "--communities", "c.csv", "--out", "a.csv"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("--osm FILE or as --nodes FILE --edges FILE"),
        "{}",
        stderr(&o)
    );
    let o = run(&[
        "site",
        "--category",
        "nursery",
        "--communities",
        "c.csv",
        "--candidates",
        "k.csv",
        "--p",
        "1",
        "--out",
        "s",
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--osm FILE or as --nodes FILE --edges FILE"));
    let o = Args::quiet("access")
        .opt("--nodes", "n.csv")
        .opt("--edges", "e.csv")
        .opt("--communities", "c.csv")
        .opt("--out", "a.csv")
        .run();
    assert!(refused(&o).contains("--facilities"));
}

/// Steps make a short cut from A to B (≈55.6 m); the step-free way goes round by C (≈179 m).
/// A (116.3, 39.9), B (116.3, 39.9005), C (116.301, 39.90025).
const STEPS_OSM: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="hand-written test fixture">
  <node id="1" lat="39.9" lon="116.3"/>
  <node id="2" lat="39.9005" lon="116.3"/>
  <node id="3" lat="39.90025" lon="116.301"/>
  <way id="10"><nd ref="1"/><nd ref="2"/><tag k="highway" v="steps"/></way>
  <way id="11"><nd ref="1"/><nd ref="3"/><nd ref="2"/><tag k="highway" v="footway"/></way>
</osm>
"#;

#[test]
fn wheelchair_profile_goes_round_the_steps() {
    let dir = tempfile::tempdir().unwrap();
    let osm = write(dir.path(), "steps.osm", STEPS_OSM);
    let comm = write(
        dir.path(),
        "communities.csv",
        "id,name,lon,lat,population\nc1,x,116.3,39.9,100\n",
    );
    let fac = write(
        dir.path(),
        "facilities.csv",
        "id,name,category,lon,lat\nf1,诊所,clinic,116.3,39.9005\n",
    );
    let hav = |a: (f64, f64), b: (f64, f64)| {
        lc_model::LonLat::new(a.0, a.1).haversine_m(lc_model::LonLat::new(b.0, b.1))
    };
    let (a, b, c) = ((116.3, 39.9), (116.3, 39.9005), (116.301, 39.90025));
    let mut got = Vec::new();
    for profile in ["walk", "wheelchair"] {
        let out = dir.path().join(format!("{profile}.csv"));
        let o = Args::quiet("access")
            .opt("--osm", &osm)
            .opt("--communities", &comm)
            .opt("--facilities", &fac)
            .opt("--profile", profile)
            .opt("--snap", "node")
            .opt("--out", &out)
            .run();
        assert_ok(&o);
        got.push(first_distance(&read(&out)));
    }
    assert!((got[0] - hav(a, b)).abs() < 0.001, "{got:?}");
    assert!((got[1] - (hav(a, c) + hav(c, b))).abs() < 0.001, "{got:?}");
    assert!(got[0] < 60.0 && got[1] > 170.0, "{got:?}");
    // Each profile has its own cache next to the input.
    assert!(dir.path().join("steps.osm.walk.lcc.lcnet").exists());
    assert!(dir.path().join("steps.osm.wheelchair.lcc.lcnet").exists());
}

#[test]
fn truncated_pbf_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let full = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/osm/beijing-haidian-cau.osm.pbf"
    ))
    .unwrap();
    let cut = dir.path().join("cut.osm.pbf");
    std::fs::write(&cut, &full[..full.len() / 2]).unwrap();
    let comm = write(
        dir.path(),
        "communities.csv",
        "id,name,lon,lat,population\nc1,x,116.35,40.0,100\n",
    );
    let out = dir.path().join("a.csv");
    let o = Args::quiet("access")
        .opt("--osm", &cut)
        .opt("--communities", &comm)
        .opt("--out", &out)
        .run();
    let stderr = refused(&o);
    assert_mentions(&stderr, &["cut.osm.pbf", "truncated"]);
    assert!(!out.exists());
}

#[test]
fn empty_network_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "nodes.csv", "id,lon,lat\n1,116.3,39.9\n");
    write(d, "edges.csv", "from,to,length_m\n");
    write(
        d,
        "communities.csv",
        "id,name,lon,lat,population\nc1,x,116.3,39.9,100\n",
    );
    write(d, "facilities.csv", NO_FACILITIES);
    let out = d.join("a.csv");
    let stderr = refused(&access(d, &out).run());
    assert!(stderr.contains("empty"), "{stderr}");
    assert!(!out.exists());
}

#[test]
fn isochrones_grow_with_the_minutes_and_contain_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let pbf = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/osm/beijing-haidian-cau.osm.pbf"
    );
    let out = dir.path().join("iso.geojson");
    let o = run(&[
        "isochrone",
        "--osm",
        pbf,
        "--point",
        "116.3495,40.0035",
        "--minutes",
        "5,10,15",
        "--out",
        s(&out),
        "--no-cache",
    ]);
    assert_ok(&o);
    let j = json(&out);
    let feats = j["features"].as_array().unwrap();
    assert_eq!(feats.len(), 3);
    let lens: Vec<f64> = feats
        .iter()
        .map(|f| f["properties"]["street_length_m"].as_f64().unwrap())
        .collect();
    assert!(
        lens[0] > 0.0 && lens[0] < lens[1] && lens[1] < lens[2],
        "{lens:?}"
    );
    assert_eq!(feats[2]["properties"]["distance_m"].as_f64(), Some(900.0));
    // The 5-minute polygon's bounding box holds the start and stays within ~300 m + buffer of it.
    let ring = &feats[0]["geometry"]["coordinates"][0][0];
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for p in ring.as_array().unwrap() {
        let (x, y) = (p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    assert!(
        x0 < 116.3495 && 116.3495 < x1 && y0 < 40.0035 && 40.0035 < y1,
        "{x0} {x1} {y0} {y1}"
    );
    let half_width_m = (x1 - x0) / 2.0 * 85_200.0;
    assert!(half_width_m < 300.0 + 50.0 + 60.0, "{half_width_m}");
}

/// 2SFCA by hand on the small network, nurseries against children 0-3, catchment 450 m:
/// c1 at A (40 children), c2 at E (100 children), c3 at D (children unknown: population 500 used).
/// n1 at B, 20 slots, reaches c1 (100 m), c2 (400 m), c3 (200 m): R₁ = 20 / 640 = 0.03125.
/// n2 at E, 10 slots, reaches c2 (0 m) only (c1 is 500 m away): R₂ = 10 / 100 = 0.1.
/// Per 1000: c1 = 31.25, c2 = 31.25 + 100 = 131.25, c3 = 31.25.
#[test]
fn capacity_ratio_is_two_step_floating_catchment() {
    let dir = small_network(
        "id,name,lon,lat,population,children_0_3\nc1,a,116.3,39.9,1000,40\nc2,e,116.305,39.9,2000,100\nc3,d,116.3,39.901,500,\n",
        "id,name,category,lon,lat,capacity\nn1,托育一,nursery,116.301,39.9,20\nn2,托育二,nursery,116.305,39.9,10\np1,药店,pharmacy,116.301,39.9,\n",
    );
    let out = dir.path().join("access.csv");
    let cap = dir.path().join("capacity.csv");
    let o = access(dir.path(), &out)
        .opt("--snap", "node")
        .opt("--capacity", &cap)
        .opt("--catchment", "450")
        .flag("--no-cache")
        .run();
    assert_ok(&o);
    assert_eq!(
        read(&cap),
        "community_id,category,catchment_m,demand_group,demand,facilities_in_catchment,capacity_in_catchment,ratio_per_1000\n\
         c1,nursery,450,children_0_3,40,1,20,31.2500\n\
         c2,nursery,450,children_0_3,100,2,30,131.2500\n\
         c3,nursery,450,population (fallback),500,1,20,31.2500\n"
    );
}

#[test]
fn generate_refuses_a_city_too_small_without_panicking() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("city");
    let stderr = refused(&run(&["generate", "--nodes", "10", "--out", s(&out)]));
    assert!(
        stderr.contains("错误 error: 无法生成城市 cannot generate the city: 城市参数无效 invalid city parameters: 节点数至少为 100（实为 10）nodes must be at least 100 (got 10)"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!out.join("nodes.csv").exists());
}

/// Numbers out of range are refused before any file is read (the files named do not exist),
/// naming the flag and the unit.
#[test]
fn out_of_range_numbers_name_the_flag() {
    let net = ["--nodes", "no-n.csv", "--edges", "no-e.csv"];
    let pts = ["--communities", "no-c.csv", "--facilities", "no-f.csv"];
    let out = ["--out", "never-written"];
    let cases: [(Vec<&str>, &str); 6] = [
        (
            vec!["access", "--max-distance", "0"],
            "--max-distance 须为正数（米），实为 0 --max-distance must be a positive number of metres, got 0",
        ),
        (
            vec!["access", "--snap-limit=-1"],
            "--snap-limit 须为不小于 0 的数（米），实为 -1 --snap-limit must be a number of metres ≥ 0, got -1",
        ),
        (
            vec!["access", "--speed", "NaN"],
            "--speed 须为正数（米/分钟），实为 NaN --speed must be a positive number of metres per minute, got NaN",
        ),
        (
            vec![
                "assess",
                "--candidates",
                "no-k.csv",
                "--recommend-time-limit",
                "0",
            ],
            "--recommend-time-limit 须为正数（秒），实为 0 --recommend-time-limit must be a positive number of seconds, got 0",
        ),
        (
            vec![
                "site",
                "--category",
                "nursery",
                "--candidates",
                "no-k.csv",
                "--p",
                "1",
                "--time-limit=-2",
            ],
            "--time-limit 须为正数（秒），实为 -2 --time-limit must be a positive number of seconds, got -2",
        ),
        (
            vec![
                "site",
                "--category",
                "nursery",
                "--candidates",
                "no-k.csv",
                "--radius=-5",
            ],
            "--radius 须为不小于 0 的数（米），实为 -5 --radius must be a number of metres ≥ 0, got -5",
        ),
    ];
    for (mut args, message) in cases {
        args.extend(net.iter().chain(&pts).chain(&out));
        let err = refused(&run(&args));
        assert_mentions(&err, &[message]);
    }
    let err = refused(&run(&[
        "isochrone",
        "--point",
        "116.3,39.9",
        "--buffer",
        "0",
        "--nodes",
        "no-n.csv",
        "--edges",
        "no-e.csv",
        "--out",
        "never-written",
    ]));
    assert_mentions(
        &err,
        &["--buffer 须为正数（米），实为 0 --buffer must be a positive number of metres, got 0"],
    );
    assert!(!Path::new("never-written").exists());
}

/// Error messages are in Chinese and English (issue 19 item 5), the reason as well as the
/// frame, and a long value is cut with "…" and its length instead of being echoed whole.
#[test]
fn errors_are_in_chinese_and_english_and_long_values_are_cut() {
    let long = "9".repeat(300);
    let dir = small_network(
        &format!(
            "id,name,lon,lat,population\nc1,x,116.3003,91.5,1000\nc2,y,116.3003,39.9,{long}\n"
        ),
        "id,name,category,lon,lat\nf1,a,bakery,116.3,39.9\n",
    );
    let d = dir.path();
    let out = d.join("access.csv");
    let cjk = |line: &str| line.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    // Every line of the message that gives a reason has both languages.
    let bilingual = |err: &str, english: &[&str]| {
        assert!(err.starts_with("错误 error: "), "{err}");
        for part in english {
            let line = err
                .lines()
                .find(|l| l.contains(part))
                .unwrap_or_else(|| panic!("{part:?} missing from: {err}"));
            assert!(cjk(line), "no Chinese in {line:?}");
        }
        assert!(
            !err.contains(&long),
            "a 300-character value echoed whole: {err}"
        );
    };

    // A bad latitude, a 300-digit population and an unknown category, all in one run.
    let err = refused(&access(d, &out).flag("--no-cache").run());
    bilingual(
        &err,
        &[
            "is out of range (-90 to 90)",
            "is more than 10000000 per community",
            "unknown category 'bakery'",
        ],
    );
    assert_mentions(
        &err,
        &[
            "2 个输入文件有错误 input files have errors",
            "communities.csv 第 2 行 line 2, 字段 field 'lat': '91.5' 超出范围（-90 至 90）'91.5' is out of range (-90 to 90)",
            "communities.csv 第 3 行 line 3, 字段 field 'population': ",
            "未知类别 'bakery'",
        ],
    );
    let cut = format!("'{}…' (300 个字符 characters)", "9".repeat(60));
    assert_mentions(
        &err,
        &[
            &format!("{cut} 超过每个社区 10000000 的上限"),
            &format!("{cut} is more than 10000000 per community"),
        ],
    );
    assert!(!out.exists());

    // A missing column and a missing file.
    write(d, "facilities.csv", NO_FACILITIES);
    write(d, "communities.csv", "id,name,lon,lat\nc1,x,116.3,39.9\n");
    let err = refused(&access(d, &out).flag("--no-cache").run());
    bilingual(&err, &["missing required column 'population'"]);
    let err = refused(
        &Args::quiet("access")
            .network(d)
            .opt("--communities", d.join("nope.csv"))
            .opt("--facilities", d.join("facilities.csv"))
            .opt("--out", &out)
            .run(),
    );
    bilingual(&err, &["No such file or directory"]);
    assert_mentions(
        &err,
        &[
            "无法打开 cannot open ",
            "文件或文件夹不存在 No such file or directory",
        ],
    );
    // An OSM "file" that is a folder: the system's reason once, with its Chinese.
    let err = refused(
        &Args::quiet("access")
            .opt("--osm", d)
            .opt("--communities", write(d, "good.csv", C1))
            .opt("--out", &out)
            .flag("--no-cache")
            .run(),
    );
    bilingual(&err, &["Is a directory"]);
    assert_eq!(err.matches("Is a directory").count(), 1, "{err}");
    assert_mentions(
        &err,
        &["无法读取文件 cannot read the file: 是文件夹而不是文件 Is a directory"],
    );

    // A bad standards file: the value is cut, the key and position named.
    write(d, "communities.csv", C1);
    let standard = format!(
        "[standard]\nid = \"t\"\nname_zh = \"测试\"\nname_en = \"test\"\nsource = \"s\"\n\n\
         [[level]]\nid = \"5min\"\nname_zh = \"五分钟\"\nname_en = \"5 min\"\ndistance_m = 300\n\
         status = \"{}\"\nsource = \"s\"\n",
        "x".repeat(300)
    );
    let assess_with = |standard: &str| {
        let std_file = write(d, "standard.toml", standard);
        refused(
            &Args::quiet("assess")
                .tables(d)
                .opt("--standard", &std_file)
                .opt("--out", d.join("report"))
                .run(),
        )
    };
    let err = assess_with(&standard);
    bilingual(&err, &["is not a status"]);
    assert_mentions(
        &err,
        &[
            "standard.toml:12:10: 键 key 'level.status': ",
            &format!("'{}…' (300 个字符 characters) 不是状态", "x".repeat(60)),
        ],
    );
    assert!(!err.contains(&"x".repeat(61)), "{err}");
    let err = assess_with("[standard]\nid = \"t\"\n");
    assert_mentions(&err, &["缺少必需的键 missing field `name_zh`"]);

    // An unknown category given on the command line, with a suggestion in both languages.
    let err = refused(
        &Args::quiet("site")
            .tables(d)
            .opt("--category", "药店")
            .opt("--candidates", d.join("communities.csv"))
            .opt("--p", "1")
            .opt("--out", d.join("site"))
            .run(),
    );
    bilingual(
        &err,
        &["unknown category '药店', did you mean 'pharmacy' (药店)?"],
    );
    assert_mentions(&err, &["是否想用 'pharmacy'（药店）？"]);

    // A value clap refuses: a Chinese line first, the value cut.
    let err = refused(&access(d, &out).opt("--k", &long).run());
    assert!(err.starts_with("错误 error: 命令行参数有误"), "{err}");
    assert_mentions(
        &err,
        &[&format!("'{}…' (300 个字符 characters)", "9".repeat(60))],
    );
    assert!(!err.contains(&long), "{err}");
}
