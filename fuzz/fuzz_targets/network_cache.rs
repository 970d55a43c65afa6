//! The network cache (`lc_network::cache::decode`, what the command reads from
//! `<input>.lcnet` before falling back to the input; format version 2, the graph's own arrays).
//! A damaged cache must be detected (an error, never a panic, so that the command rebuilds it);
//! an accepted one is a consistent graph that encodes back to the same bytes.
//!
//! Random bytes rarely pass the checksum, so the input is used twice: as the cache file it
//! is, and with its first byte dropped and a valid checksum appended (the bytes of a cache
//! damaged before its checksum was computed), which lets the fuzzer reach the decoding of
//! headers, counts, offsets, arcs and edges.
#![no_main]
use lc_network::cache::{decode, encode};
use libfuzzer_sys::fuzz_target;

const KEY: &str = "map.osm.pbf 1234 5678 walk";

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
    let mut arcs = 0;
    for x in 0..n as u32 {
        for (y, len) in g.neighbours(x) {
            assert!((y as usize) < n && y != x, "arc {x} -> {y}");
            assert!(len.is_finite() && len >= 0.0, "arc {x} -> {y}: {len}");
            arcs += 1;
        }
    }
    assert_eq!(arcs, 2 * g.edge_count(), "every edge is an arc both ways");
    assert_eq!(
        encode(&g, KEY).ok().as_deref(),
        Some(bytes),
        "an accepted cache does not encode back the same"
    );
}

fuzz_target!(|data: &[u8]| {
    check(data);
    if let Some((_, body)) = data.split_first() {
        let mut sealed = body.to_vec();
        // CRC-32 (IEEE), the cache's checksum.
        sealed.extend_from_slice(&crc32fast::hash(body).to_le_bytes());
        check(&sealed);
    }
});
