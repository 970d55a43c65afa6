//! `facilities.csv` (lc-tables): errors name file, line and field; every accepted value is in
//! its documented domain; what is accepted writes and reads back identically.
#![no_main]
use lc_tables::{Crs, FACILITY_COLUMNS};
use libfuzzer_sys::fuzz_target;
use livingcircle_fuzz::{check_table_error, in_range, line_count, put};

/// The documented ceilings of a facility's capacity and area (m²).
const MAX_CAPACITY: f64 = 10_000_000.0;
const MAX_AREA_M2: f64 = 100_000_000.0;

fuzz_target!(|data: &[u8]| {
    let path = put("facilities.csv", data);
    let columns: Vec<&str> = FACILITY_COLUMNS.iter().map(|c| c.0).collect();
    let xlsx = data.starts_with(b"PK\x03\x04");
    let list = match lc_tables::read_facilities(&path, Crs::Wgs84) {
        Ok(list) => list,
        Err(e) => {
            let max = (!xlsx).then(|| line_count(data));
            check_table_error(&e, &path, max, &columns);
            return;
        }
    };
    let mut ids = std::collections::HashSet::new();
    for f in &list {
        assert!(
            !f.id.is_empty() && ids.insert(f.id.as_str()),
            "id {:?}",
            f.id
        );
        assert!(in_range(f.pos.lon, f.pos.lat), "{f:?}");
        if let Some(c) = f.capacity {
            assert!(c.is_finite() && (0.0..=MAX_CAPACITY).contains(&c), "{f:?}");
        }
        if let Some(a) = f.floor_area_m2 {
            assert!(a.is_finite() && (0.0..=MAX_AREA_M2).contains(&a), "{f:?}");
        }
    }
    let mut out = Vec::new();
    lc_tables::write_facilities_to(&mut out, &list).expect("writing to memory");
    let again = put("facilities-again.csv", &out);
    let back = lc_tables::read_facilities(&again, Crs::Wgs84)
        .unwrap_or_else(|e| panic!("a written file does not read back: {e}"));
    assert_eq!(back, list, "a written file reads back different");
});
