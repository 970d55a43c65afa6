//! `nodes.csv` (lc-tables' network reader), with a fixed `edges.csv` of one edge between
//! nodes 1 and 2: see `check_network`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    livingcircle_fuzz::check_network(data, b"from,to,length_m\n1,2,10.5\n");
});
