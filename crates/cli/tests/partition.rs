//! `livingcircle partition` end to end (issue 15 item 3): on a generated city of several
//! districts, the merged parts are `livingcircle access`'s files byte for byte — by district,
//! by street and by grid cell, snapping to edges and to nodes, parts one after another and at
//! once; the steps one by one as a batch engine runs them; and clear refusals.

mod common;

use common::{assert_mentions, assert_ok, json, refused, s, Args};
use std::path::Path;

/// A generated city (about 20,000 nodes, four districts) in `dir`.
fn city(dir: &Path) {
    assert_ok(
        &Args::quiet("generate")
            .opt("--nodes", "20000")
            .opt("--seed", "11")
            .opt("--out", dir)
            .run(),
    );
}

fn bytes(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap()
}

/// `access` and `partition all` with the same options write the same bytes.
fn assert_partition_equals_access(dir: &Path, by: &str, snap: &str, extra: &[&str], jobs: &str) {
    let tag = format!("{}-{snap}-{jobs}", by.replace(':', "_"));
    let (wa, wc) = (
        dir.join(format!("whole-{tag}.csv")),
        dir.join(format!("whole-counts-{tag}.csv")),
    );
    let (pa, pc) = (
        dir.join(format!("part-{tag}.csv")),
        dir.join(format!("part-counts-{tag}.csv")),
    );
    assert_ok(
        &Args::quiet("access")
            .tables(dir)
            .opt("--snap", snap)
            .opt("--out", &wa)
            .opt("--counts", &wc)
            .args(extra)
            .flag("--no-cache")
            .run(),
    );
    let summary = dir.join(format!("summary-{tag}.json"));
    assert_ok(
        &Args::new(["--quiet", "partition", "all"])
            .tables(dir)
            .opt("--by", by)
            .opt("--snap", snap)
            .opt("--out", &pa)
            .opt("--counts", &pc)
            .opt("--jobs", jobs)
            .opt("--summary-json", &summary)
            .args(extra)
            .run(),
    );
    let (whole, part) = (bytes(&wa), bytes(&pa));
    assert!(whole.len() > 10_000, "{tag}: a tiny output means nothing");
    assert!(
        whole == part,
        "{tag}: partitioned access.csv differs from the whole run's"
    );
    assert!(bytes(&wc) == bytes(&pc), "{tag}: counts differ");
    let sum = json(&summary);
    let parts = sum["parts"].as_array().unwrap();
    assert!(parts.len() >= 4, "{tag}: {} parts", parts.len());
    let whole_nodes = sum["network"]["graph_nodes"].as_u64().unwrap();
    for p in parts {
        assert!(
            p["graph_nodes"].as_u64().unwrap() < whole_nodes,
            "{tag}: {p}"
        );
    }
    // The temporary work folder is gone.
    let left: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".livingcircle-parts.")
        })
        .collect();
    assert!(left.is_empty(), "work folders left behind");
}

#[test]
fn partitioned_runs_write_access_s_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    city(d);
    assert_partition_equals_access(d, "division:6", "edge", &[], "1");
    assert_partition_equals_access(d, "division:9", "edge", &["--with-minutes"], "2");
    assert_partition_equals_access(d, "grid:2km", "node", &["--k", "2"], "2");
    assert_partition_equals_access(d, "division:6", "node", &["--circles", "250,800"], "1");
}

#[test]
fn plan_run_merge_one_by_one() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    city(d);
    let parts = d.join("parts");
    let plan = Args::new(["partition", "plan"])
        .tables(d)
        .opt("--by", "division:6")
        .flag("--with-counts")
        .opt("--out", &parts)
        .run();
    assert_ok(&plan);
    assert_mentions(
        &common::stderr(&plan),
        &["parts", "division:6", "halo", "partition run"],
    );
    let plan_json = json(parts.join("plan.json"));
    let jobs: Vec<String> = plan_json["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["job"].as_str().unwrap().to_string())
        .collect();
    assert!(jobs.len() >= 4);
    let out = d.join("merged.csv");
    // Merging before every part ran says which part and how to run it.
    assert_ok(&Args::quiet("partition").args(&["run", &jobs[0]]).run());
    let e = refused(
        &Args::quiet("partition")
            .args(&["merge", s(&parts)])
            .opt("--out", &out)
            .run(),
    );
    assert_mentions(&e, &["part-0002", "partition run"]);
    assert!(!out.exists(), "nothing half-written");
    for job in &jobs[1..] {
        let o = Args::new(["partition", "run", job]).run();
        assert_ok(&o);
        assert_mentions(&common::stderr(&o), &["region", "nodes read", "halo"]);
    }
    let counts = d.join("merged-counts.csv");
    assert_ok(
        &Args::quiet("partition")
            .args(&["merge", s(&parts)])
            .opt("--out", &out)
            .opt("--counts", &counts)
            .run(),
    );
    let whole = d.join("whole.csv");
    let whole_counts = d.join("whole-counts.csv");
    assert_ok(
        &Args::quiet("access")
            .tables(d)
            .opt("--out", &whole)
            .opt("--counts", &whole_counts)
            .run(),
    );
    assert!(bytes(&whole) == bytes(&out));
    assert!(bytes(&whole_counts) == bytes(&counts));

    // A part run again under another plan is refused by the merge.
    let other = d.join("other");
    assert_ok(
        &Args::quiet("partition")
            .args(&["plan"])
            .tables(d)
            .opt("--by", "division:6")
            .opt("--k", "1")
            .opt("--out", &other)
            .run(),
    );
    let other_job = other.join("part-0001.json");
    let mut job = json(&other_job);
    job["output"] = serde_json::Value::String(parts.join("part-0001").display().to_string());
    std::fs::write(&other_job, serde_json::to_string(&job).unwrap()).unwrap();
    assert_ok(&Args::quiet("partition").args(&["run", s(&other_job)]).run());
    let e = refused(
        &Args::quiet("partition")
            .args(&["merge", s(&parts)])
            .opt("--out", &out)
            .run(),
    );
    assert_mentions(&e, &["part.json", "plan_id", "another plan"]);
}

#[test]
fn bad_inputs_and_jobs_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    city(d);
    // A job file that is not a job.
    let bad = common::write(d, "part-9999.json", "{\"version\": 1, \"part\": 3}");
    let e = refused(&Args::quiet("partition").args(&["run", s(&bad)]).run());
    assert_mentions(&e, &["part-9999.json", "field"]);
    // An unknown scheme.
    let e = refused(
        &Args::quiet("partition")
            .args(&["plan"])
            .tables(d)
            .opt("--by", "county:6")
            .opt("--out", d.join("p"))
            .run(),
    );
    assert_mentions(&e, &["county:6", "division:N"]);
    // OSM input cannot be partitioned.
    let e = refused(
        &Args::quiet("partition")
            .args(&["all", "--osm", "x.osm.pbf"])
            .opt("--communities", d.join("communities.csv"))
            .opt("--facilities", d.join("facilities.csv"))
            .opt("--by", "division:6")
            .opt("--out", d.join("x.csv"))
            .run(),
    );
    assert_mentions(&e, &["OSM", "--nodes/--edges"]);
    // An edge to a node that does not exist: the plan's pass names file, line and field.
    let edges = d.join("edges.csv");
    let mut text = std::fs::read_to_string(&edges).unwrap();
    text.push_str("1,2,10\n");
    let lines = text.lines().count();
    std::fs::write(&edges, text).unwrap();
    let e = refused(
        &Args::quiet("partition")
            .args(&["all"])
            .tables(d)
            .opt("--by", "division:6")
            .opt("--out", d.join("x.csv"))
            .run(),
    );
    assert_mentions(&e, &["edges.csv", &format!("line {lines}"), "'from'"]);
    assert!(!d.join("x.csv").exists());
}

#[test]
fn partitioned_capacity_ratios_write_access_s_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    city(d);
    let whole = d.join("whole-capacity.csv");
    assert_ok(
        &Args::quiet("access")
            .tables(d)
            .opt("--out", d.join("whole.csv"))
            .opt("--capacity", &whole)
            .opt("--catchment", "800")
            .flag("--no-cache")
            .run(),
    );
    let text = std::fs::read_to_string(&whole).unwrap();
    let rows = text.lines().count() - 1;
    let shared = text
        .lines()
        .skip(1)
        .filter(|l| l.split(',').nth(5).is_some_and(|n| n != "0"))
        .count();
    assert!(
        rows > 1000 && shared > 200,
        "a capacity file of {rows} rows ({shared} with a facility) means little"
    );
    // By street (many boundaries), parts at once; by grid, snapping to nodes.
    for (by, extra, jobs) in [
        ("division:9", &[][..], "2"),
        ("grid:2km", &["--snap", "node"][..], "1"),
    ] {
        let tag = by.replace(':', "_");
        let mut whole_args = Args::quiet("access")
            .tables(d)
            .opt("--out", d.join(format!("whole-{tag}.csv")))
            .opt("--capacity", d.join(format!("whole-capacity-{tag}.csv")))
            .opt("--catchment", "800")
            .flag("--no-cache");
        whole_args = whole_args.args(extra);
        assert_ok(&whole_args.run());
        let (pa, pc) = (
            d.join(format!("part-{tag}.csv")),
            d.join(format!("part-capacity-{tag}.csv")),
        );
        let summary = d.join(format!("summary-capacity-{tag}.json"));
        assert_ok(
            &Args::new(["--quiet", "partition", "all"])
                .tables(d)
                .opt("--by", by)
                .opt("--out", &pa)
                .opt("--capacity", &pc)
                .opt("--catchment", "800")
                .opt("--jobs", jobs)
                .opt("--summary-json", &summary)
                .args(extra)
                .run(),
        );
        assert!(
            bytes(&d.join(format!("whole-capacity-{tag}.csv"))) == bytes(&pc),
            "{by}: the merged capacity file differs from access --capacity's"
        );
        assert!(
            bytes(&d.join(format!("whole-{tag}.csv"))) == bytes(&pa),
            "{by}: the merged access rows differ when ratios are computed"
        );
        let sum = json(&summary);
        assert_eq!(sum["capacity_rows"].as_u64(), Some(rows as u64));
        let outside: u64 = sum["parts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["ratio_communities"].as_u64().unwrap())
            .sum();
        assert!(
            outside > 0,
            "{by}: no part searched a community outside its region"
        );
    }

    // Step by step: plan --with-capacity, run, merge --capacity.
    let parts = d.join("parts");
    assert_ok(
        &Args::quiet("partition")
            .args(&["plan", "--with-capacity"])
            .tables(d)
            .opt("--by", "division:6")
            .opt("--catchment", "800")
            .opt("--out", &parts)
            .run(),
    );
    let plan_json = json(parts.join("plan.json"));
    for p in plan_json["parts"].as_array().unwrap() {
        assert_ok(
            &Args::quiet("partition")
                .args(&["run", p["job"].as_str().unwrap()])
                .run(),
        );
    }
    let merged = d.join("merged-capacity.csv");
    assert_ok(
        &Args::quiet("partition")
            .args(&["merge", s(&parts)])
            .opt("--out", d.join("merged.csv"))
            .opt("--capacity", &merged)
            .run(),
    );
    assert!(bytes(&whole) == bytes(&merged));

    // A plan without the ratios cannot merge them.
    let plain = d.join("plain");
    assert_ok(
        &Args::quiet("partition")
            .args(&["plan"])
            .tables(d)
            .opt("--by", "division:6")
            .opt("--out", &plain)
            .run(),
    );
    let e = refused(
        &Args::quiet("partition")
            .args(&["merge", s(&plain)])
            .opt("--out", d.join("x.csv"))
            .opt("--capacity", d.join("x-capacity.csv"))
            .run(),
    );
    assert_mentions(&e, &["--with-capacity", "2SFCA"]);
    assert!(!d.join("x-capacity.csv").exists());
}
