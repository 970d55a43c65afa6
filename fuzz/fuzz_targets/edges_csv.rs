//! `nodes.csv` and `edges.csv` together (the input holds both, separated by a line `%%`;
//! the seeds keep the nodes small so that mutations fall mostly on the edges): see
//! `check_network`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let p = livingcircle_fuzz::parts(data, 2);
    livingcircle_fuzz::check_network(p[0], p[1]);
});
