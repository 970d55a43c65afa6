//! End-to-end tests of `livingcircle site --problem budget` on a hand-worked street: the
//! answer and its cost, existing facilities counted as open, a budget below every cost, the
//! cost export round trip, and the errors (missing --budget, negative budget, a candidate
//! without a cost named by file and line).

mod common;

use common::{
    assert_mentions, assert_ok, read, refused, s, stderr, street_network, summary, write, Args,
};
use std::path::Path;
use std::process::Output;

/// The street of `street_network` with communities A (1000 people) at node 0, B (2000) at
/// node 5, C (500) at node 10. Candidates, radius 200 m:
///
/// | site | node | covers | cost |
/// |------|------|--------|------|
/// | K1   | 1    | A      | 100  |
/// | K4   | 4    | B      | 250  |
/// | K5   | 5    | B      | 300  |
/// | K9   | 9    | C      | 80   |
///
/// Without existing facilities and a budget of 400: K1 + K4 (350) cover 3000; K5 covers the
/// same as K4 for more; K1 + K4 + K9 (430) is over. With the existing nursery E0 at node 0
/// (covering A): K4 + K9 (330) bring B and C, 3500 in all.
fn street(dir: &Path) {
    street_network(dir);
    write(
        dir,
        "communities.csv",
        "id,name,lon,lat,population\nA,a,0,0,1000\nB,b,0.0045,0,2000\nC,c,0.009,0,500\n",
    );
    write(
        dir,
        "candidates.csv",
        "id,lon,lat,capacity,cost\n\
         K1,0.0009,0,,100\n\
         K4,0.0036,0,,250\n\
         K5,0.0045,0,,300\n\
         K9,0.0081,0,,80\n",
    );
    write(
        dir,
        "existing.csv",
        "id,name,category,lon,lat,capacity\nE0,e,nursery,0,0,10\n",
    );
    write(dir, "none.csv", "id,name,category,lon,lat\n");
}

/// `site` for nurseries (radius 200 m, snapped to nodes) on the street in `dir` with
/// `facilities` and `candidates` (files in `dir`), written to `out`.
fn site_on(dir: &Path, facilities: &str, candidates: &str, out: &Path) -> Args {
    Args::quiet("site")
        .network(dir)
        .opt("--communities", dir.join("communities.csv"))
        .opt("--candidates", dir.join(candidates))
        .opt("--facilities", dir.join(facilities))
        .args(&["--category", "nursery", "--snap", "node", "--radius", "200"])
        .opt("--out", out)
}

/// `site --problem budget` on the street in `dir` with `facilities` and `candidates` (files
/// in `dir`), written to `out`, plus `extra`.
fn site(dir: &Path, facilities: &str, candidates: &str, out: &Path, extra: &[&str]) -> Output {
    site_on(dir, facilities, candidates, out)
        .args(&["--problem", "budget"])
        .args(extra)
        .run()
}

#[test]
fn budget_picks_the_best_affordable_sites() {
    let t = tempfile::tempdir().unwrap();
    street(t.path());
    let out = t.path().join("out");
    let o = site(
        t.path(),
        "none.csv",
        "candidates.csv",
        &out,
        &["--budget", "400"],
    );
    assert_ok(&o);
    let s = summary(&out);
    assert_eq!(s["problem"], "budget");
    assert_eq!(s["budget"], 400.0);
    assert_eq!(s["chosen"], serde_json::json!(["K1", "K4"]));
    assert_eq!(s["total_cost"], 350.0);
    assert_eq!(s["objective"], 3000.0);
    assert_eq!(s["bound"], 3000.0);
    assert_eq!(s["optimal"], true);
    assert_eq!(s["p"], serde_json::Value::Null);
    assert_eq!(s["covered_population_before"], 0.0);
    assert_eq!(s["covered_population_after"], 3000.0);
    // sites.csv: most newly covered first, with the costs.
    let sites = read(out.join("sites.csv"));
    let rows: Vec<&str> = sites.lines().collect();
    assert_eq!(
        rows[0],
        "rank,candidate_id,lon,lat,capacity,cost,assigned,newly_covered,unique_covered"
    );
    assert!(
        rows[1].starts_with("1,K4,") && rows[1].contains(",250,"),
        "{sites}"
    );
    assert!(
        rows[2].starts_with("2,K1,") && rows[2].contains(",100,"),
        "{sites}"
    );
    assert_eq!(rows.len(), 3);
    // The printed summary says how much of the budget is used.
    let e = stderr(&o);
    assert!(e.contains("budgeted coverage"), "{e}");
    assert!(e.contains("used 已用 350 of 400 (87.5%)"), "{e}");
    assert!(e.contains("proven optimal"), "{e}");

    // A larger budget takes all three that bring someone (K5 adds nothing to K4).
    let o = site(
        t.path(),
        "none.csv",
        "candidates.csv",
        &out,
        &["--budget", "1000"],
    );
    assert_ok(&o);
    let s = summary(&out);
    assert_eq!(s["chosen"], serde_json::json!(["K1", "K4", "K9"]));
    assert_eq!(
        (s["objective"].as_f64(), s["total_cost"].as_f64()),
        (Some(3500.0), Some(430.0))
    );
}

#[test]
fn existing_facilities_count_as_open_and_a_small_budget_buys_nothing() {
    let t = tempfile::tempdir().unwrap();
    street(t.path());
    let out = t.path().join("out");
    assert_ok(&site(
        t.path(),
        "existing.csv",
        "candidates.csv",
        &out,
        &["--budget", "400"],
    ));
    let s = summary(&out);
    // E0 covers A: the budget goes to B and C.
    assert_eq!(s["chosen"], serde_json::json!(["K4", "K9"]));
    assert_eq!(s["total_cost"], 330.0);
    assert_eq!(s["covered_population_before"], 1000.0);
    assert_eq!(s["objective"], 3500.0);
    assert_eq!(s["newly_covered_population"], 2500.0);
    assert_eq!(s["optimal"], true);

    // Below every cost: nothing chosen, proven.
    let o = site(
        t.path(),
        "existing.csv",
        "candidates.csv",
        &out,
        &["--budget", "50"],
    );
    assert_ok(&o);
    let s = summary(&out);
    assert_eq!(s["chosen"], serde_json::json!([]));
    assert_eq!(s["total_cost"], 0.0);
    assert_eq!(
        (s["objective"].as_f64(), s["bound"].as_f64()),
        (Some(1000.0), Some(1000.0))
    );
    assert_eq!(s["optimal"], true);
    assert!(
        stderr(&o).contains("used 已用 0 of 50 (0.0%)"),
        "{}",
        stderr(&o)
    );
    let sites = read(out.join("sites.csv"));
    assert_eq!(sites.lines().count(), 1);
}

#[test]
fn the_exported_costs_give_the_same_answer() {
    let t = tempfile::tempdir().unwrap();
    street(t.path());
    let out = t.path().join("out");
    let costs = t.path().join("costs");
    assert_ok(&site(
        t.path(),
        "existing.csv",
        "candidates.csv",
        &out,
        &["--budget", "400", "--export-costs", s(&costs)],
    ));
    let out2 = t.path().join("out2");
    let o = Args::quiet("site")
        .opt("--costs", &costs)
        .args(&["--problem", "budget", "--budget", "400", "--radius", "200"])
        .opt("--out", &out2)
        .run();
    assert_ok(&o);
    let (a, b) = (summary(&out), summary(&out2));
    for key in ["chosen", "objective", "total_cost", "budget"] {
        assert_eq!(a[key], b[key], "{key}");
    }
}

#[test]
fn budget_errors_are_clear() {
    let t = tempfile::tempdir().unwrap();
    street(t.path());
    let out = t.path().join("out");
    // No --budget.
    let e = refused(&site(t.path(), "none.csv", "candidates.csv", &out, &[]));
    assert_mentions(&e, &["--budget", "required"]);
    // A negative budget.
    let e = refused(&site(
        t.path(),
        "none.csv",
        "candidates.csv",
        &out,
        &["--budget", "-5"],
    ));
    assert!(
        e.contains("--budget 须为不小于 0 的数，实为 -5 --budget must be a number ≥ 0, got -5"),
        "{e}"
    );
    // --budget with another problem.
    let o = Args::quiet("site")
        .opt("--costs", "nowhere")
        .args(&["--problem", "mclp", "--p", "1", "--budget", "5"])
        .opt("--out", &out)
        .run();
    assert!(refused(&o)
        .contains("--budget 只用于 --problem budget --budget applies to --problem budget only"));
    // A candidate without a cost (file, line and id), and no cost column at all.
    let nocost = "id,lon,lat,cost\nK1,0.0009,0,100\nK4,0.0036,0,\n";
    let nocolumn = "id,lon,lat\nK1,0.0009,0\n";
    for (file, text, parts) in [
        (
            "nocost.csv",
            nocost,
            [
                "nocost.csv 第 3 行 line 3, 字段 field 'cost'",
                "候选 'K4' 没有费用（--problem budget 需要每个候选的费用）candidate 'K4' has no cost",
            ],
        ),
        (
            "nocolumn.csv",
            nocolumn,
            [
                "nocolumn.csv",
                "缺少必需的列 'cost'（表头中有：id, lon, lat）missing required column 'cost'",
            ],
        ),
    ] {
        write(t.path(), file, text);
        let e = refused(&site(
            t.path(),
            "none.csv",
            file,
            &out,
            &["--budget", "400"],
        ));
        assert_mentions(&e, &parts);
    }
    // The file with a missing cost is fine for other problems.
    let o = site_on(t.path(), "none.csv", "nocost.csv", &out)
        .args(&["--problem", "mclp", "--p", "1"])
        .run();
    assert_ok(&o);
}
