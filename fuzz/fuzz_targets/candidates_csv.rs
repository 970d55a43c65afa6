//! `candidates.csv` (the command's `siting_io::read_candidates_for`): errors name the file and
//! a line in it; accepted rows have unique ids, positions in range, capacities and costs finite
//! and ≥ 0 (every one present when a budget needs them); written rows read back the same.
#![no_main]
use libfuzzer_sys::fuzz_target;
use livingcircle_fuzz::siting_io::{read_candidates_for, write_candidates};
use livingcircle_fuzz::{check_cli_error, in_range, put};

fuzz_target!(|data: &[u8]| {
    let path = put("candidates.csv", data);
    let rows = match read_candidates_for(&path, lc_crs::Crs::Wgs84, false) {
        Ok(rows) => rows,
        Err(e) => {
            check_cli_error(&e, &path, data);
            return;
        }
    };
    let mut ids = std::collections::HashSet::new();
    for c in &rows {
        assert!(
            !c.id.is_empty() && ids.insert(c.id.as_str()),
            "id {:?}",
            c.id
        );
        assert!(in_range(c.pos.lon, c.pos.lat), "{c:?}");
        for v in [c.capacity, c.cost].into_iter().flatten() {
            assert!(v.is_finite() && v >= 0.0, "{c:?}");
        }
    }
    match read_candidates_for(&path, lc_crs::Crs::Wgs84, true) {
        Ok(again) => assert!(
            again.iter().all(|c| c.cost.is_some()),
            "a budget without costs"
        ),
        Err(e) => check_cli_error(&e, &path, data),
    }
    let out = livingcircle_fuzz::scratch().join("candidates-again.csv");
    write_candidates(&out, &rows, None).expect("writing candidates");
    let back = read_candidates_for(&out, lc_crs::Crs::Wgs84, false)
        .unwrap_or_else(|e| panic!("written candidates do not read back: {e:#}"));
    let unnamed: Vec<_> = rows
        .iter()
        .map(|c| livingcircle_fuzz::siting_io::CandidateRow {
            name: String::new(),
            ..c.clone()
        })
        .collect();
    assert_eq!(back, unnamed, "written candidates read back different");
});
