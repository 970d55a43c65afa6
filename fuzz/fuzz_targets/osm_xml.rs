//! OSM XML (lc-osm): see `check_osm`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    livingcircle_fuzz::check_osm(data, "map.osm");
});
