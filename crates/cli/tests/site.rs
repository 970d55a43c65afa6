//! End-to-end tests of `livingcircle site` on a hand-made street: outputs, existing
//! facilities, unreachable communities, the cost export round trip and located input errors.

use std::path::Path;
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_livingcircle"))
}

/// A straight street of 11 nodes 100 m apart (node k at 0.0009·k degrees of longitude at the
/// equator ≈ 100.2 m), communities at nodes 0, 5 and 10, one community far off the network.
fn street(dir: &Path) {
    let mut nodes = String::from("id,lon,lat\n");
    let mut edges = String::from("from,to,length_m\n");
    for k in 0..11 {
        nodes += &format!("{k},{},0\n", 0.0009 * k as f64);
        if k > 0 {
            edges += &format!("{},{k},100\n", k - 1);
        }
    }
    std::fs::write(dir.join("nodes.csv"), nodes).unwrap();
    std::fs::write(dir.join("edges.csv"), edges).unwrap();
    std::fs::write(
        dir.join("communities.csv"),
        "id,name,lon,lat,population,children_0_3\n\
         A,a,0,0,1000,30\n\
         B,b,0.0045,0,2000,40\n\
         C,c,0.009,0,500,10\n\
         Far,f,1.0,1.0,9999,99\n",
    )
    .unwrap();
    // Candidates at nodes 1, 5 and 9.
    std::fs::write(
        dir.join("candidates.csv"),
        "id,lon,lat,capacity,cost\nK1,0.0009,0,20,100\nK5,0.0045,0,50,\nK9,0.0081,0,,80\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("facilities.csv"),
        "id,name,category,lon,lat,capacity\nE0,e,nursery,0,0,10\n",
    )
    .unwrap();
    std::fs::write(dir.join("none.csv"), "id,name,category,lon,lat\n").unwrap();
}

fn site(dir: &Path, extra: &[&str]) -> std::process::Output {
    let d = |f: &str| dir.join(f).display().to_string();
    let mut c = bin();
    c.args([
        "site",
        "-q",
        "--nodes",
        &d("nodes.csv"),
        "--edges",
        &d("edges.csv"),
        "--communities",
        &d("communities.csv"),
        "--candidates",
        &d("candidates.csv"),
        "--category",
        "nursery",
        "--snap",
        "node",
    ]);
    c.args(extra);
    c.output().unwrap()
}

fn summary(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
}

#[test]
fn mclp_with_an_existing_facility_and_an_unreachable_community() {
    let t = tempfile::tempdir().unwrap();
    street(t.path());
    let out = t.path().join("out");
    let fac = t.path().join("facilities.csv").display().to_string();
    let o = site(
        t.path(),
        &[
            "--facilities",
            &fac,
            "--problem",
            "mclp",
            "--p",
            "1",
            "--radius",
            "200",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s = summary(&out);
    // E0 covers A (1000); one site: K5 brings B (2000), more than K9 (C, 500).
    assert_eq!(s["problem"], "mclp");
    assert_eq!(s["chosen"], serde_json::json!(["K5"]));
    assert_eq!(s["objective"], 3000.0);
    assert_eq!(s["covered_population_before"], 1000.0);
    assert_eq!(s["covered_population_after"], 3000.0);
    assert_eq!(s["bound"], 3000.0);
    assert_eq!(s["gap"], 0.0);
    let sites = std::fs::read_to_string(out.join("sites.csv")).unwrap();
    assert!(sites.starts_with("rank,candidate_id,"));
    assert!(sites.contains("\n1,K5,"), "{sites}");
    let asg = std::fs::read_to_string(out.join("assignment.csv")).unwrap();
    assert!(
        asg.contains("\nA,1000,existing,E0,0.000,1000,1000\n"),
        "{asg}"
    );
    assert!(asg.contains("\nB,2000,site,K5,0.000,2000,0\n"), "{asg}");
    assert!(asg.contains("\nFar,9999,none,,,0,0\n"), "{asg}");
    let gj: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("sites.geojson")).unwrap()).unwrap();
    assert_eq!(gj["features"].as_array().unwrap().len(), 1);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("proven optimal"), "{stderr}");
}

#[test]
fn every_problem_runs_and_costs_round_trip() {
    let t = tempfile::tempdir().unwrap();
    street(t.path());
    let none = t.path().join("none.csv").display().to_string();
    let costs = t.path().join("costs");
    // Set cover at 400 m with no existing facility: K1 or K5 covers A and B? A–K5 is 500 m, so
    // two sites are needed (e.g. K1 for A, K5 or K9 ...): the exact answer is 2.
    let out = t.path().join("lscp");
    let o = site(
        t.path(),
        &[
            "--facilities",
            &none,
            "--problem",
            "lscp",
            "--radius",
            "400",
            "--out",
            out.to_str().unwrap(),
            "--export-costs",
            costs.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(summary(&out)["objective"], 2.0);
    // Capacitated, children 0-3 (A 30, B 40, C 10): K5 (50 slots) reaches all three within
    // 500 m and serves 50; K9 (no capacity given: unlimited) reaches B and C, 50 too. Both open:
    // K9 takes B and C, K5 takes A: all 80 children have a place.
    for (p, want) in [("1", 50.0), ("2", 80.0)] {
        let out = t.path().join(format!("cap{p}"));
        let o = site(
            t.path(),
            &[
                "--facilities",
                &none,
                "--problem",
                "capacitated",
                "--p",
                p,
                "--radius",
                "500",
                "--out",
                out.to_str().unwrap(),
            ],
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let s = summary(&out);
        assert_eq!(s["objective"], want, "{s}");
        assert!(s["weight"].as_str().unwrap().starts_with("children_0_3"));
    }
    // p-median from the network and from the exported costs agree.
    let a = t.path().join("pm-net");
    let o = site(
        t.path(),
        &[
            "--facilities",
            &none,
            "--problem",
            "pmedian",
            "--p",
            "1",
            "--max-distance",
            "400",
            "--out",
            a.to_str().unwrap(),
        ],
    );
    assert!(o.status.success());
    let b = t.path().join("pm-costs");
    let o = bin()
        .args([
            "site",
            "-q",
            "--costs",
            costs.to_str().unwrap(),
            "--problem",
            "pmedian",
            "--p",
            "1",
            "--max-distance",
            "400",
            "--out",
            b.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(summary(&a)["objective"], summary(&b)["objective"]);
    assert_eq!(summary(&a)["chosen"], serde_json::json!(["K5"]));
}

#[test]
fn bad_candidates_file_names_file_line_and_field() {
    let t = tempfile::tempdir().unwrap();
    street(t.path());
    std::fs::write(
        t.path().join("candidates.csv"),
        "id,lon,lat,capacity\nK1,0.0009,0,20\nK2,0.001,95,\n",
    )
    .unwrap();
    let none = t.path().join("none.csv").display().to_string();
    let out = t.path().join("out");
    let o = site(
        t.path(),
        &[
            "--facilities",
            &none,
            "--p",
            "1",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("candidates.csv line 3, field 'lat'"), "{e}");
    assert!(!out.join("summary.json").exists());
    // --p is required for mclp.
    let o = site(
        t.path(),
        &["--facilities", &none, "--out", out.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--p"));
}
