//! One rule for every output path (issues 17 and 19): an output never replaces an input or
//! another output of the same run, whatever the command and however the path is spelled, and
//! a device or FIFO is never replaced by a regular file. Each refusal happens before any work
//! and leaves every file as it was.

mod common;

use common::{assert_mentions, assert_ok, read, refused, run, s, street_network, write, Args};
use std::path::Path;

const COMMUNITIES: &str = "id,name,lon,lat,population\nc1,东,0.0009,0,1000\n";
const FACILITIES: &str = "id,name,category,lon,lat\nf1,药店,pharmacy,0.0027,0\n";
const CANDIDATES: &str = "id,lon,lat,name\nk1,0.0045,0,候选一\n";

fn street_with_points() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    street_network(dir.path());
    write(dir.path(), "communities.csv", COMMUNITIES);
    write(dir.path(), "facilities.csv", FACILITIES);
    write(dir.path(), "candidates.csv", CANDIDATES);
    dir
}

fn unchanged(d: &Path) {
    assert_eq!(read(d.join("communities.csv")), COMMUNITIES);
    assert_eq!(read(d.join("facilities.csv")), FACILITIES);
    assert_eq!(read(d.join("candidates.csv")), CANDIDATES);
}

#[test]
fn access_refuses_an_output_that_is_an_input() {
    let dir = street_with_points();
    let d = dir.path();
    // Spelled differently from the input: ./x/../communities.csv.
    std::fs::create_dir(d.join("x")).unwrap();
    let o = Args::quiet("access")
        .tables(d)
        .opt("--out", d.join("x").join("..").join("communities.csv"))
        .run();
    let err = refused(&o);
    assert_mentions(
        &err,
        &["--out", "--communities", "refusing to overwrite an input"],
    );
    unchanged(d);
    // And the network tables.
    let o = Args::quiet("access")
        .tables(d)
        .opt("--out", d.join("a.csv"))
        .opt("--counts", d.join("edges.csv"))
        .run();
    assert_mentions(&refused(&o), &["--counts", "--edges"]);
    assert!(
        !d.join("a.csv").exists(),
        "nothing written before the refusal"
    );
}

#[test]
fn access_refuses_two_outputs_that_are_one_file() {
    let dir = street_with_points();
    let d = dir.path();
    let o = Args::quiet("access")
        .tables(d)
        .opt("--out", d.join("a.csv"))
        .opt("--counts", d.join("a.csv"))
        .run();
    assert_mentions(&refused(&o), &["--out", "--counts", "same file"]);
    assert!(!d.join("a.csv").exists());
    let o = Args::quiet("access")
        .tables(d)
        .opt("--out", d.join("a.csv"))
        .opt("--counts", d.join("b.csv"))
        .run();
    assert_ok(&o);
}

#[test]
fn site_export_costs_beside_the_inputs_is_refused() {
    let dir = street_with_points();
    let d = dir.path();
    let o = Args::quiet("site")
        .tables(d)
        .opt("--candidates", d.join("candidates.csv"))
        .opt("--category", "pharmacy")
        .opt("--p", "1")
        .opt("--out", d.join("out"))
        .opt("--export-costs", d)
        .run();
    assert_mentions(&refused(&o), &["--export-costs", "--candidates"]);
    unchanged(d);
}

#[test]
fn assess_out_holding_an_input_is_refused() {
    let dir = street_with_points();
    let d = dir.path();
    // The communities file is named like one of the report's files, inside --out.
    let out = d.join("report");
    std::fs::create_dir(&out).unwrap();
    write(&out, "indicators.csv", COMMUNITIES);
    let o = Args::quiet("assess")
        .network(d)
        .opt("--communities", out.join("indicators.csv"))
        .opt("--facilities", d.join("facilities.csv"))
        .opt("--out", &out)
        .run();
    assert_mentions(&refused(&o), &["--out", "--communities"]);
    assert_eq!(read(out.join("indicators.csv")), COMMUNITIES);
}

#[cfg(unix)]
#[test]
fn a_device_or_fifo_is_not_replaced_and_a_symlink_is_written_through() {
    let dir = street_with_points();
    let d = dir.path();
    // A FIFO at the output path: refused, and it is still a FIFO afterwards.
    let fifo = d.join("pipe");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        let o = Args::quiet("access").tables(d).opt("--out", &fifo).run();
        assert_mentions(&refused(&o), &["not a regular file"]);
        use std::os::unix::fs::FileTypeExt;
        assert!(std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo());
    }
    // A symbolic link: the file it points to receives the output, the link stays a link.
    let target = d.join("real.csv");
    write(d, "real.csv", "old\n");
    let link = d.join("link.csv");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let o = Args::quiet("access").tables(d).opt("--out", &link).run();
    assert_ok(&o);
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(
        read(&target).starts_with("community_id,"),
        "{}",
        read(&target)
    );
}

/// Nothing to work on is a failure (issues 17 and 19): a header-only communities file, every
/// community off the network, `--p 0` — never an empty result, "0 shortcomings" or "proven
/// optimal" about nothing. Nothing is written.
#[test]
fn nothing_to_compute_is_refused() {
    let dir = street_with_points();
    let d = dir.path();
    write(d, "empty.csv", "id,name,lon,lat,population\n");
    write(
        d,
        "far.csv",
        "id,name,lon,lat,population\nf1,远,10,10,100\nf2,远,11,11,100\n",
    );
    write(
        d,
        "far1.csv",
        "id,name,lon,lat,population\nf1,远,10,10,100\n",
    );
    for (file, words) in [
        (
            "empty.csv",
            &[
                "没有社区（文件只有表头行）",
                "no communities",
                "header and no rows",
            ][..],
        ),
        (
            "far.csv",
            &[
                "2 个社区都不能放到路网上",
                "none of the 2 communities could be placed",
            ][..],
        ),
        // One community: no "1 communities" (issue 19 item 5).
        (
            "far1.csv",
            &["the one community could not be placed on the network"][..],
        ),
    ] {
        let out = d.join(format!("out-{file}"));
        let o = Args::quiet("access")
            .network(d)
            .opt("--communities", d.join(file))
            .opt("--facilities", d.join("facilities.csv"))
            .opt("--out", &out)
            .run();
        assert_mentions(&refused(&o), words);
        assert!(!out.exists());
        let o = Args::quiet("assess")
            .network(d)
            .opt("--communities", d.join(file))
            .opt("--facilities", d.join("facilities.csv"))
            .opt("--out", &out)
            .run();
        assert_mentions(&refused(&o), &["nothing to assess"]);
        assert!(!out.join("indicators.csv").exists());
    }
    let site = |p: &str| {
        Args::quiet("site")
            .tables(d)
            .opt("--candidates", d.join("candidates.csv"))
            .opt("--category", "pharmacy")
            .opt("--p", p)
            .opt("--out", d.join("site"))
            .run()
    };
    assert_mentions(&refused(&site("0")), &["--p 0", "at least 1"]);
    assert!(!d.join("site").join("summary.json").exists());
    assert_ok(&site("1"));
    // More sites asked for than there are candidates (and the existing pharmacy already serves
    // the one community): the answer says why it has fewer.
    let o = site("2");
    assert_ok(&o);
    assert_mentions(
        &common::stderr(&o),
        &[
            "0 of the 2 sites asked for",
            "候选用地不足，只有 1 个 only 1 candidate",
        ],
    );
    // One candidate, not "1 candidates" (issue 19 item 5).
    assert!(!common::stderr(&o).contains("1 candidates"));
}

/// Every bad input file's errors in one run: the communities and the facilities both.
#[test]
fn errors_of_every_input_file_are_shown_together() {
    let dir = street_with_points();
    let d = dir.path();
    write(
        d,
        "bad-c.csv",
        "id,name,lon,lat,population\nc1,东,0.0009,95,1000\n",
    );
    write(
        d,
        "bad-f.csv",
        "id,name,category,lon,lat\nf1,药店,药店,0.0027,0\n",
    );
    let o = Args::quiet("access")
        .network(d)
        .opt("--communities", d.join("bad-c.csv"))
        .opt("--facilities", d.join("bad-f.csv"))
        .opt("--out", d.join("a.csv"))
        .run();
    let err = refused(&o);
    assert_mentions(
        &err,
        &[
            "2 个输入文件有错误",
            "bad-c.csv 第 2 行 line 2, 字段 field 'lat'",
            "bad-f.csv 第 2 行 line 2, 字段 field 'category'",
            "是否想用 'pharmacy'（药店）？",
            "did you mean 'pharmacy' (药店)?",
        ],
    );
}

/// A report folder holds one run (issue 19 item 4): a second `assess` without candidates leaves
/// no `recommended_sites.csv` of the first run beside its own files, and a user's own file in
/// the folder is kept; no staging folder is left behind.
#[test]
fn assess_writes_its_folder_as_a_unit() {
    let dir = street_with_points();
    let d = dir.path();
    let out = d.join("report");
    let assess = |with_candidates: bool| {
        let mut args = Args::quiet("assess").tables(d).opt("--out", &out);
        if with_candidates {
            args = args.opt("--candidates", d.join("candidates.csv"));
        }
        args.run()
    };
    assert_ok(&assess(true));
    assert!(out.join("recommended_sites.csv").exists());
    write(&out, "my-notes.txt", "keep me");
    assert_ok(&assess(false));
    assert!(out.join("index.html").exists());
    assert!(
        !out.join("recommended_sites.csv").exists(),
        "no file of the earlier run"
    );
    assert_eq!(read(out.join("my-notes.txt")), "keep me");
    let staging: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".staging."))
        .collect();
    assert!(staging.is_empty(), "{staging:?}");
}

/// Names of the staging folders left in `dir`.
fn staging_left(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".staging."))
        .collect()
}

#[test]
fn demo_writes_its_folder_as_a_unit() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let demo = || run(&["demo", "--out", s(&out)]);
    assert_ok(&demo());
    let access = read(out.join("access.csv"));
    let report = read(out.join("assessment/index.html"));
    // Every path the results name is where the files are, never the staging folder.
    for f in [
        "summary.json",
        "assessment/index.html",
        "assessment/summary.json",
    ] {
        assert!(!read(out.join(f)).contains(".staging."), "{f}");
    }
    write(&out, "my-notes.txt", "keep me");
    write(
        &out.join("assessment"),
        "stale.csv",
        "an earlier run's file",
    );
    // A folder in the way of one of the demo's files: the run fails at the end, and the
    // previous results are exactly as they were.
    std::fs::create_dir(out.join("isochrones.geojson.tmp-dir")).unwrap();
    std::fs::rename(out.join("isochrones.geojson"), out.join("isochrones.keep")).unwrap();
    std::fs::rename(
        out.join("isochrones.geojson.tmp-dir"),
        out.join("isochrones.geojson"),
    )
    .unwrap();
    let err = refused(&demo());
    assert_mentions(&err, &["isochrones.geojson", "in the way"]);
    assert_eq!(read(out.join("access.csv")), access);
    assert_eq!(read(out.join("assessment/index.html")), report);
    assert!(out.join("assessment/stale.csv").exists());
    assert!(
        staging_left(dir.path()).is_empty(),
        "{:?}",
        staging_left(dir.path())
    );
    // Out of the way: the next run replaces the demo's folders whole and keeps the user's file.
    std::fs::remove_dir(out.join("isochrones.geojson")).unwrap();
    assert_ok(&demo());
    assert!(out.join("isochrones.geojson").is_file());
    assert!(
        !out.join("assessment/stale.csv").exists(),
        "the assessment folder is this run's only"
    );
    assert_eq!(read(out.join("my-notes.txt")), "keep me");
    assert!(
        staging_left(dir.path()).is_empty(),
        "{:?}",
        staging_left(dir.path())
    );
}

/// The access table's rows as a CSV reader reads them back: ids with a comma or a quote are
/// quoted (quotes doubled), distances have three decimals, minutes two; a community that
/// reaches nothing has no rows; rows follow the communities' input order, then the
/// categories' vocabulary order (clinic before pharmacy), then rank.
#[test]
fn access_rows_quote_awkward_ids_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    street_network(d);
    // Communities at nodes 1 and 9 and one 5 km off the street (not placed: no rows).
    write(
        d,
        "communities.csv",
        "id,name,lon,lat,population\n\"c,1\",东,0.0009,0,1000\nfar,远,0.05,0.05,10\n\"c\"\"9\",西,0.0081,0,500\n",
    );
    // Two pharmacies (nodes 3 and 8) and a clinic at node 5.
    write(
        d,
        "facilities.csv",
        "id,name,category,lon,lat\n\"f,3\",药店,pharmacy,0.0027,0\n\"f\"\"8\",药店,pharmacy,0.0072,0\nplain,诊所,clinic,0.0045,0\n",
    );
    let out = d.join("access.csv");
    let o = Args::quiet("access")
        .tables(d)
        .opt("--k", "2")
        .opt("--out", &out)
        .flag("--with-minutes")
        .run();
    assert_ok(&o);
    let rows = common::read_csv(&out);
    let want: Vec<Vec<&str>> = vec![
        vec![
            "community_id",
            "category",
            "rank",
            "facility_id",
            "distance_m",
            "walk_min",
        ],
        vec!["c,1", "clinic", "1", "plain", "400.000", "6.67"],
        vec!["c,1", "pharmacy", "1", "f,3", "200.000", "3.33"],
        vec!["c,1", "pharmacy", "2", "f\"8", "700.000", "11.67"],
        vec!["c\"9", "clinic", "1", "plain", "400.000", "6.67"],
        vec!["c\"9", "pharmacy", "1", "f\"8", "100.000", "1.67"],
        vec!["c\"9", "pharmacy", "2", "f,3", "600.000", "10.00"],
    ];
    assert_eq!(rows, want);
    // The raw text: quoted fields with doubled quotes.
    let text = read(&out);
    assert!(
        text.contains("\"c,1\",pharmacy,1,\"f,3\",200.000,3.33\n"),
        "{text}"
    );
    assert!(
        text.contains("\"c\"\"9\",pharmacy,1,\"f\"\"8\",100.000,1.67\n"),
        "{text}"
    );
}
