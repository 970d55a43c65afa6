//! `communities.csv` (lc-tables): errors name file, line and field; every accepted value is in
//! its documented domain; what is accepted writes and reads back identically.
#![no_main]
use lc_tables::{Crs, COMMUNITY_COLUMNS};
use libfuzzer_sys::fuzz_target;
use livingcircle_fuzz::{check_points, in_range};

/// The documented ceiling of a count of people or households per community.
const MAX_COUNT: f64 = 10_000_000.0;

fuzz_target!(|data: &[u8]| {
    check_points(
        "communities.csv",
        data,
        &COMMUNITY_COLUMNS,
        |p| lc_tables::read_communities(p, Crs::Wgs84),
        |w, list| lc_tables::write_communities_to(w, list),
        |c| c.id.as_str(),
        |c| {
            assert!(in_range(c.pos.lon, c.pos.lat), "{c:?}");
            let p = c.population;
            assert!(
                p.is_finite() && (p == 0.0 || p >= 1.0) && p <= MAX_COUNT,
                "{c:?}"
            );
            for part in [c.households, c.elderly, c.children_0_3]
                .into_iter()
                .flatten()
            {
                assert!(part.is_finite() && part >= 0.0 && part <= p, "{c:?}");
            }
        },
    );
});
