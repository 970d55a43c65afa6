//! `facilities.csv` (lc-tables): errors name file, line and field; every accepted value is in
//! its documented domain; what is accepted writes and reads back identically.
#![no_main]
use lc_tables::{Crs, FACILITY_COLUMNS};
use libfuzzer_sys::fuzz_target;
use livingcircle_fuzz::{check_points, in_range};

/// The documented ceilings of a facility's capacity and area (m²).
const MAX_CAPACITY: f64 = 10_000_000.0;
const MAX_AREA_M2: f64 = 100_000_000.0;

fuzz_target!(|data: &[u8]| {
    check_points(
        "facilities.csv",
        data,
        &FACILITY_COLUMNS,
        |p| lc_tables::read_facilities(p, Crs::Wgs84),
        |w, list| lc_tables::write_facilities_to(w, list),
        |f| f.id.as_str(),
        |f| {
            assert!(in_range(f.pos.lon, f.pos.lat), "{f:?}");
            if let Some(c) = f.capacity {
                assert!((0.0..=MAX_CAPACITY).contains(&c), "{f:?}");
            }
            if let Some(a) = f.floor_area_m2 {
                assert!((0.0..=MAX_AREA_M2).contains(&a), "{f:?}");
            }
        },
    );
});
