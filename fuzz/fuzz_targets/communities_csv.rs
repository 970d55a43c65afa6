//! `communities.csv` (lc-tables): errors name file, line and field; every accepted value is in
//! its documented domain; what is accepted writes and reads back identically.
#![no_main]
use lc_tables::{Crs, COMMUNITY_COLUMNS};
use libfuzzer_sys::fuzz_target;
use livingcircle_fuzz::{check_table_error, in_range, line_count, put};

/// The documented ceiling of a count of people or households per community.
const MAX_COUNT: f64 = 10_000_000.0;

fuzz_target!(|data: &[u8]| {
    let path = put("communities.csv", data);
    let columns: Vec<&str> = COMMUNITY_COLUMNS.iter().map(|c| c.0).collect();
    let xlsx = data.starts_with(b"PK\x03\x04");
    let list = match lc_tables::read_communities(&path, Crs::Wgs84) {
        Ok(list) => list,
        Err(e) => {
            let max = (!xlsx).then(|| line_count(data));
            check_table_error(&e, &path, max, &columns);
            return;
        }
    };
    let mut ids = std::collections::HashSet::new();
    for c in &list {
        assert!(
            !c.id.is_empty() && ids.insert(c.id.as_str()),
            "id {:?}",
            c.id
        );
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
    }
    let mut out = Vec::new();
    lc_tables::write_communities_to(&mut out, &list).expect("writing to memory");
    let again = put("communities-again.csv", &out);
    let back = lc_tables::read_communities(&again, Crs::Wgs84)
        .unwrap_or_else(|e| panic!("a written file does not read back: {e}"));
    assert_eq!(back, list, "a written file reads back different");
});
