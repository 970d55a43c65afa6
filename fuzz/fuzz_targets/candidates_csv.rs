//! `candidates.csv` (`lc_tables::read_candidates`): errors name the file, a line in it and a
//! column; accepted rows have unique ids, positions in range, capacities and costs inside their
//! ceilings (every cost present when a budget needs them); written rows read back the same.
#![no_main]
use lc_tables::{read_candidates, write_candidates, MAX_CAPACITY, MAX_COST};
use libfuzzer_sys::fuzz_target;
use livingcircle_fuzz::{check_table_error, in_range, put};

const COLUMNS: [&str; 6] = ["id", "lon", "lat", "name", "capacity", "cost"];

fuzz_target!(|data: &[u8]| {
    let path = put("candidates.csv", data);
    let rows = match read_candidates(&path, lc_crs::Crs::Wgs84, false) {
        Ok(rows) => rows,
        Err(e) => {
            check_table_error(&e, &path, None, &COLUMNS);
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
        if let Some(v) = c.capacity {
            assert!((0.0..=MAX_CAPACITY).contains(&v), "{c:?}");
        }
        if let Some(v) = c.cost {
            assert!((0.0..=MAX_COST).contains(&v), "{c:?}");
        }
    }
    match read_candidates(&path, lc_crs::Crs::Wgs84, true) {
        Ok(again) => assert!(
            again.iter().all(|c| c.cost.is_some()),
            "a budget without costs"
        ),
        Err(e) => check_table_error(&e, &path, None, &COLUMNS),
    }
    let out = livingcircle_fuzz::scratch().join("candidates-again.csv");
    write_candidates(&out, &rows, None).expect("writing candidates");
    let back = read_candidates(&out, lc_crs::Crs::Wgs84, false)
        .unwrap_or_else(|e| panic!("written candidates do not read back: {e}"));
    assert_eq!(back, rows, "written candidates read back different");
});
