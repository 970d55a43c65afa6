//! A compact binary encoding of a built [`Graph`], so a second run need not re-parse its input.
//!
//! Layout (little-endian): magic `LCNET`, format version (u32), key length (u32) and key bytes
//! (the caller's description of the input: path, size, modification time, profile...), node
//! count (u64), edge count (u64), then node ids (i64), longitudes and latitudes (f64), and edges
//! as (u32, u32, f64). A trailing FNV-1a 64 checksum over everything before it detects
//! truncation and corruption. The adjacency array is rebuilt on load (it is cheap).

use crate::graph::{Edge, Graph};
use lc_model::LonLat;

const MAGIC: &[u8; 5] = b"LCNET";
const VERSION: u32 = 1;

/// Why cached bytes could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CacheError {
    /// Not a livingcircle network cache, or another format version.
    #[error("不是第 {VERSION} 版格式的 livingcircle 路网缓存 not a livingcircle network cache of format version {VERSION}")]
    BadHeader,
    /// Built from a different input or with different options.
    #[error("缓存由其他输入生成 the cache was built from other input ({0})")]
    KeyMismatch(String),
    /// Truncated or corrupted.
    #[error("缓存被截断或已损坏 the cache is truncated or corrupt")]
    Corrupt,
}

/// Encodes a graph together with a key describing its input.
pub fn encode(graph: &Graph, key: &str) -> Vec<u8> {
    let n = graph.node_count();
    let m = graph.edge_count();
    let mut out = Vec::with_capacity(64 + key.len() + n * 24 + m * 16);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(key.len() as u32).to_le_bytes());
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(&(n as u64).to_le_bytes());
    out.extend_from_slice(&(m as u64).to_le_bytes());
    for id in graph.node_ids() {
        out.extend_from_slice(&id.to_le_bytes());
    }
    for c in graph.coords() {
        out.extend_from_slice(&c.lon.to_le_bytes());
    }
    for c in graph.coords() {
        out.extend_from_slice(&c.lat.to_le_bytes());
    }
    for e in graph.edges() {
        out.extend_from_slice(&e.u.to_le_bytes());
        out.extend_from_slice(&e.v.to_le_bytes());
        out.extend_from_slice(&e.len.to_le_bytes());
    }
    let sum = fnv1a(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    out
}

/// Decodes a graph, checking that it was built for `expected_key`.
pub fn decode(bytes: &[u8], expected_key: &str) -> Result<Graph, CacheError> {
    let mut r = Reader { bytes, pos: 0 };
    if r.take(5)? != MAGIC || r.u32()? != VERSION {
        return Err(CacheError::BadHeader);
    }
    if bytes.len() < 8 {
        return Err(CacheError::Corrupt);
    }
    let (body, tail) = bytes.split_at(bytes.len() - 8);
    let stored = u64::from_le_bytes(tail.try_into().map_err(|_| CacheError::Corrupt)?);
    if fnv1a(body) != stored {
        return Err(CacheError::Corrupt);
    }
    let key_len = r.u32()? as usize;
    let key = std::str::from_utf8(r.take(key_len)?).map_err(|_| CacheError::Corrupt)?;
    if key != expected_key {
        return Err(CacheError::KeyMismatch(key.to_string()));
    }
    let n = r.u64()? as usize;
    let m = r.u64()? as usize;
    let need = n
        .checked_mul(24)
        .and_then(|a| m.checked_mul(16).and_then(|b| a.checked_add(b)))
        .ok_or(CacheError::Corrupt)?;
    // Checked: counts near the top of the range must not wrap around to the file's length
    // (found by fuzzing, issue 19).
    if r.pos.checked_add(need).and_then(|a| a.checked_add(8)) != Some(bytes.len()) {
        return Err(CacheError::Corrupt);
    }
    let ids: Vec<i64> = r
        .take(n * 8)?
        .chunks_exact(8)
        .map(|c| i64::from_le_bytes(c.try_into().unwrap_or_default()))
        .collect();
    let lons = r.take(n * 8)?;
    let lats = r.take(n * 8)?;
    let coords: Vec<LonLat> = lons
        .chunks_exact(8)
        .zip(lats.chunks_exact(8))
        .map(|(a, b)| LonLat::new(f64_le(a), f64_le(b)))
        .collect();
    let mut edges = Vec::with_capacity(m);
    for c in r.take(m * 16)?.chunks_exact(16) {
        let u = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        let v = u32::from_le_bytes([c[4], c[5], c[6], c[7]]);
        let len = f64_le(&c[8..16]);
        if u as usize >= n || v as usize >= n || u == v || !len.is_finite() || len < 0.0 {
            return Err(CacheError::Corrupt);
        }
        edges.push(Edge { u, v, len });
    }
    Ok(Graph::from_parts(ids, coords, edges))
}

fn f64_le(b: &[u8]) -> f64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    f64::from_le_bytes(a)
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, len: usize) -> Result<&'a [u8], CacheError> {
        let end = self.pos.checked_add(len).ok_or(CacheError::Corrupt)?;
        let s = self.bytes.get(self.pos..end).ok_or(CacheError::Corrupt)?;
        self.pos = end;
        Ok(s)
    }
    fn u32(&mut self) -> Result<u32, CacheError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> Result<u64, CacheError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BuildOptions, RawEdge, RawNetwork};

    fn graph() -> Graph {
        let raw = RawNetwork {
            node_ids: vec![5_000_000_000, -7, 3],
            coords: vec![
                LonLat::new(116.3, 39.9),
                LonLat::new(116.31, 39.9),
                LonLat::new(116.32, 39.91),
            ],
            edges: vec![
                RawEdge {
                    from: 0,
                    to: 1,
                    length_m: 853.25,
                },
                RawEdge {
                    from: 1,
                    to: 2,
                    length_m: 1400.5,
                },
            ],
        };
        Graph::build(
            &raw,
            BuildOptions {
                keep_largest_component: true,
            },
        )
        .unwrap()
        .0
    }

    #[test]
    fn round_trip_is_exact() {
        let g = graph();
        let bytes = encode(&g, "k1");
        assert_eq!(decode(&bytes, "k1").unwrap(), g);
    }

    #[test]
    fn wrong_key_truncation_and_corruption_are_detected() {
        let g = graph();
        let bytes = encode(&g, "k1");
        assert!(matches!(
            decode(&bytes, "k2"),
            Err(CacheError::KeyMismatch(_))
        ));
        assert_eq!(
            decode(&bytes[..bytes.len() - 3], "k1"),
            Err(CacheError::Corrupt)
        );
        let mut flipped = bytes.clone();
        let mid = flipped.len() / 2;
        flipped[mid] ^= 0x40;
        assert_eq!(decode(&flipped, "k1"), Err(CacheError::Corrupt));
        assert_eq!(decode(b"hello world", "k1"), Err(CacheError::BadHeader));
    }

    /// Found by fuzzing (issue 19): node and edge counts whose sizes add up past `usize::MAX`
    /// in a cache with a valid checksum overflowed instead of being refused as corrupt: a panic
    /// where overflow checks are on (debug builds, `cargo test` without `--release`).
    #[test]
    fn counts_that_overflow_are_corrupt() {
        let mut body = Vec::new();
        body.extend_from_slice(MAGIC);
        body.extend_from_slice(&VERSION.to_le_bytes());
        body.extend_from_slice(&1u32.to_le_bytes());
        body.extend_from_slice(b"k");
        // 24 n + 16 m = usize::MAX - 7: fits, but adding the header and checksum wraps.
        let n = (usize::MAX / 24 - 1) as u64;
        let m = ((usize::MAX - 7 - (n as usize) * 24) / 16) as u64;
        body.extend_from_slice(&n.to_le_bytes());
        body.extend_from_slice(&m.to_le_bytes());
        let sum = fnv1a(&body);
        body.extend_from_slice(&sum.to_le_bytes());
        assert_eq!(decode(&body, "k"), Err(CacheError::Corrupt));
    }
}
