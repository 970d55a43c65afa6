//! End-to-end tests of `livingcircle site` on a hand-made street: outputs, existing
//! facilities, unreachable communities, the cost export round trip and located input errors.

mod common;

use common::{assert_ok, json, read, refused, s, street_network, summary, write, Args};
use std::path::Path;
use std::process::Output;
use tempfile::TempDir;

/// The street of `street_network` with communities at nodes 0, 5 and 10 and one far off the
/// network, in a fresh directory.
fn street() -> TempDir {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    street_network(dir);
    write(
        dir,
        "communities.csv",
        "id,name,lon,lat,population,children_0_3\n\
         A,a,0,0,1000,30\n\
         B,b,0.0045,0,2000,40\n\
         C,c,0.009,0,500,10\n\
         Far,f,1.0,1.0,9999,99\n",
    );
    // Candidates at nodes 1, 5 and 9.
    write(
        dir,
        "candidates.csv",
        "id,lon,lat,capacity,cost\nK1,0.0009,0,20,100\nK5,0.0045,0,50,\nK9,0.0081,0,,80\n",
    );
    write(
        dir,
        "facilities.csv",
        "id,name,category,lon,lat,capacity\nE0,e,nursery,0,0,10\n",
    );
    write(dir, "none.csv", "id,name,category,lon,lat\n");
    t
}

/// `site` for nurseries on the street in `dir`, the existing facilities read from `facilities`
/// (a file in `dir`), written to `out`, with the `extra` arguments.
fn site(dir: &Path, facilities: &str, out: &Path, extra: &[&str]) -> Output {
    Args::new(["site", "-q"])
        .network(dir)
        .opt("--communities", dir.join("communities.csv"))
        .opt("--candidates", dir.join("candidates.csv"))
        .opt("--category", "nursery")
        .opt("--snap", "node")
        .opt("--facilities", dir.join(facilities))
        .opt("--out", out)
        .args(extra)
        .run()
}

#[test]
fn mclp_with_an_existing_facility_and_an_unreachable_community() {
    let t = street();
    let out = t.path().join("out");
    let o = site(
        t.path(),
        "facilities.csv",
        &out,
        &["--problem", "mclp", "--p", "1", "--radius", "200"],
    );
    assert_ok(&o);
    let s = summary(&out);
    // E0 covers A (1000); one site: K5 brings B (2000), more than K9 (C, 500).
    assert_eq!(s["problem"], "mclp");
    assert_eq!(s["chosen"], serde_json::json!(["K5"]));
    assert_eq!(s["objective"], 3000.0);
    assert_eq!(s["covered_population_before"], 1000.0);
    assert_eq!(s["covered_population_after"], 3000.0);
    assert_eq!(s["bound"], 3000.0);
    assert_eq!(s["gap"], 0.0);
    let sites = read(out.join("sites.csv"));
    assert!(sites.starts_with("rank,candidate_id,"));
    assert!(sites.contains("\n1,K5,"), "{sites}");
    let asg = read(out.join("assignment.csv"));
    assert!(
        asg.contains("\nA,1000,existing,E0,0.000,1000,1000\n"),
        "{asg}"
    );
    assert!(asg.contains("\nB,2000,site,K5,0.000,2000,0\n"), "{asg}");
    assert!(asg.contains("\nFar,9999,none,,,0,0\n"), "{asg}");
    let gj = json(out.join("sites.geojson"));
    assert_eq!(gj["features"].as_array().unwrap().len(), 1);
    let stderr = common::stderr(&o);
    assert!(stderr.contains("proven optimal"), "{stderr}");
}

#[test]
fn every_problem_runs_and_costs_round_trip() {
    let t = street();
    let costs = t.path().join("costs");
    // Set cover at 400 m with no existing facility: K1 or K5 covers A and B? A–K5 is 500 m, so
    // two sites are needed (e.g. K1 for A, K5 or K9 ...): the exact answer is 2.
    let out = t.path().join("lscp");
    let o = site(
        t.path(),
        "none.csv",
        &out,
        &[
            "--problem",
            "lscp",
            "--radius",
            "400",
            "--export-costs",
            s(&costs),
        ],
    );
    assert_ok(&o);
    assert_eq!(summary(&out)["objective"], 2.0);
    // Capacitated, children 0-3 (A 30, B 40, C 10): K5 (50 slots) reaches all three within
    // 500 m and serves 50; K9 (no capacity given: unlimited) reaches B and C, 50 too. Both open:
    // K9 takes B and C, K5 takes A: all 80 children have a place.
    for (p, want) in [("1", 50.0), ("2", 80.0)] {
        let out = t.path().join(format!("cap{p}"));
        let o = site(
            t.path(),
            "none.csv",
            &out,
            &["--problem", "capacitated", "--p", p, "--radius", "500"],
        );
        assert_ok(&o);
        let s = summary(&out);
        assert_eq!(s["objective"], want, "{s}");
        assert!(s["weight"].as_str().unwrap().starts_with("children_0_3"));
    }
    // p-median from the network and from the exported costs agree.
    let a = t.path().join("pm-net");
    let pmedian = ["--problem", "pmedian", "--p", "1", "--max-distance", "400"];
    assert_ok(&site(t.path(), "none.csv", &a, &pmedian));
    let b = t.path().join("pm-costs");
    let o = Args::new(["site", "-q"])
        .opt("--costs", &costs)
        .args(&pmedian)
        .opt("--out", &b)
        .run();
    assert_ok(&o);
    assert_eq!(summary(&a)["objective"], summary(&b)["objective"]);
    assert_eq!(summary(&a)["chosen"], serde_json::json!(["K5"]));
}

#[test]
fn bad_candidates_file_names_file_line_and_field() {
    let t = street();
    write(
        t.path(),
        "candidates.csv",
        "id,lon,lat,capacity\nK1,0.0009,0,20\nK2,0.001,95,\n",
    );
    let out = t.path().join("out");
    let e = refused(&site(t.path(), "none.csv", &out, &["--p", "1"]));
    assert!(
        e.contains("candidates.csv 第 3 行 line 3, 字段 field 'lat': '95' 超出范围（-90 至 90）'95' is out of range (-90 to 90)"),
        "{e}"
    );
    assert!(!out.join("summary.json").exists());
    // --p is required for mclp.
    let e = refused(&site(t.path(), "none.csv", &out, &[]));
    assert!(e.contains("--p"));
}

#[test]
fn implausible_costs_capacities_weights_and_distances_are_refused() {
    let t = street();
    let out = t.path().join("out");
    // A candidate's cost or capacity past lc-tables' ceilings (1e12, 1e7).
    for (row, field) in [
        ("K1,0.0009,0,1e300,", "capacity"),
        ("K1,0.0009,0,20,1e13", "cost"),
    ] {
        write(
            t.path(),
            "candidates.csv",
            &format!("id,lon,lat,capacity,cost\n{row}\n"),
        );
        let e = refused(&site(t.path(), "none.csv", &out, &["--p", "1"]));
        assert!(
            e.contains(&format!("第 2 行 line 2, 字段 field '{field}'")),
            "{e}"
        );
        assert!(e.contains("is more than"), "{e}");
        assert!(!out.join("summary.json").exists());
    }
    // The exported cost tables: a weight of 1e15 people, a distance of 1e300 m.
    write(
        t.path(),
        "candidates.csv",
        "id,lon,lat,capacity\nK1,0.0009,0,20\nK5,0.0045,0,50\n",
    );
    let costs = t.path().join("costs");
    let o = site(
        t.path(),
        "none.csv",
        &t.path().join("x"),
        &["--p", "1", "--export-costs", s(&costs)],
    );
    assert_ok(&o);
    let run_costs = || {
        Args::new(["site", "-q"])
            .opt("--costs", &costs)
            .args(&["--p", "1"])
            .opt("--out", &out)
            .run()
    };
    assert_ok(&run_costs());
    let original = std::fs::read_to_string(costs.join("demand.csv")).unwrap();
    let mut lines: Vec<String> = original.lines().map(str::to_string).collect();
    let (id, _) = lines[1].split_once(',').unwrap();
    lines[1] = format!("{id},1e15");
    std::fs::write(costs.join("demand.csv"), lines.join("\n") + "\n").unwrap();
    let e = refused(&run_costs());
    assert!(
        e.contains("demand.csv 第 2 行 line 2, 字段 field 'weight'"),
        "{e}"
    );
    std::fs::write(costs.join("demand.csv"), &original).unwrap();
    let text = std::fs::read_to_string(costs.join("costs.csv")).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut f: Vec<String> = lines[1].split(',').map(str::to_string).collect();
    *f.last_mut().unwrap() = "1e300".into();
    lines[1] = f.join(",");
    std::fs::write(costs.join("costs.csv"), lines.join("\n") + "\n").unwrap();
    let e = refused(&run_costs());
    assert!(
        e.contains("costs.csv 第 2 行 line 2, 字段 field 'distance_m'"),
        "{e}"
    );
}
