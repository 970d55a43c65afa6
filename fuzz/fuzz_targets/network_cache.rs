//! The network cache (`lc_network::cache::decode`, what the command reads from
//! `<input>.lcnet` before falling back to the input). A damaged cache must be detected (an
//! error, never a panic, so that the command rebuilds it); an accepted one is a consistent
//! graph that encodes back to the same bytes.
//!
//! Random bytes rarely pass the checksum, so the input is used twice: as the cache file it
//! is, and with its first byte dropped and a valid checksum appended (the bytes of a cache
//! damaged before its checksum was computed), which lets the fuzzer reach the decoding of
//! headers, counts and edges.
#![no_main]
use lc_network::cache::{decode, encode};
use libfuzzer_sys::fuzz_target;

const KEY: &str = "map.osm.pbf 1234 5678 walk";

/// FNV-1a 64, the cache's checksum (written here from its definition).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn check(bytes: &[u8]) {
    let Ok(g) = decode(bytes, KEY) else {
        return;
    };
    let n = g.node_count();
    assert_eq!(g.node_ids().len(), n);
    assert_eq!(g.coords().len(), n);
    for e in g.edges() {
        assert!(
            (e.u as usize) < n && (e.v as usize) < n && e.u != e.v,
            "{e:?}"
        );
        assert!(e.len.is_finite() && e.len >= 0.0, "{e:?}");
    }
    let arcs: usize = (0..n as u32).map(|v| g.neighbours(v).count()).sum();
    assert_eq!(arcs, 2 * g.edge_count(), "every edge is an arc both ways");
    assert_eq!(
        encode(&g, KEY),
        bytes,
        "an accepted cache does not encode back the same"
    );
}

fuzz_target!(|data: &[u8]| {
    check(data);
    if let Some((_, body)) = data.split_first() {
        let mut sealed = body.to_vec();
        sealed.extend_from_slice(&fnv1a(body).to_le_bytes());
        check(&sealed);
    }
});
