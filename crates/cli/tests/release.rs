//! `livingcircle release` (issue 16 item 3) refusals end to end: a bad period, a region that
//! is not a province, city or district, and a database without figures — each a message in both
//! languages, a non-zero exit and no output folder. (The release itself, made from a generated
//! month of activity, is tested through the server: crates/server/tests/releases.rs.)

mod common;

use common::{assert_mentions, bin, refused, s};

#[test]
fn refusals_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = dir.path().join("out");
    let args = |region: &str, period: &str| {
        vec![
            "release".to_string(),
            "--region".into(),
            region.into(),
            "--period".into(),
            period.into(),
            "--out".into(),
            s(&out).into(),
            "--data-dir".into(),
            s(&data).into(),
        ]
    };
    let go = |region: &str, period: &str| {
        let a = args(region, period);
        // The SQLite file in --data-dir, never the tests' PostgreSQL database.
        bin()
            .env_remove("DATABASE_URL")
            .arg("--quiet")
            .args(&a)
            .output()
            .unwrap()
    };
    let e = refused(&go("110108", "2026Q5"));
    assert_mentions(&e, &["--period", "2026Q5", "期间"]);
    let e = refused(&go("110108010", "2026Q4"));
    assert_mentions(&e, &["110108010", "区县", "district"]);
    // A fresh database: migrated, no figures.
    let e = refused(&go("110108", "2026Q4"));
    assert_mentions(
        &e,
        &[
            "110108",
            "2026Q4",
            "没有统计数据",
            "no figures",
            "monitor run",
        ],
    );
    assert!(!out.exists(), "nothing is written");
}
