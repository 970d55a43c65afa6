//! A compact binary encoding of a built [`Graph`], so a second run need neither parse its input
//! nor build the graph again.
//!
//! Format version 2 stores exactly the arrays a [`Graph`] holds, so loading is reading: no
//! adjacency is rebuilt. Every value is little-endian on disk, whatever the host (each one is
//! converted with `to_le_bytes`/`from_le_bytes`):
//!
//! | part | bytes |
//! |---|---:|
//! | magic `LCNET`, format version (u32, 2) | 9 |
//! | key length (u32) and key (UTF-8): the caller's description of the input (paths, sizes, modification times, options) | 4 + k |
//! | node count n (u64), edge count m (u64) | 16 |
//! | node ids (i64) | 8 n |
//! | positions (longitude, latitude: f64, node after node) | 16 n |
//! | adjacency offsets `first_out` (u32) | 4 (n + 1) |
//! | arc heads (u32, two arcs per edge) | 8 m |
//! | arc lengths (f64) | 16 m |
//! | edges (u32, u32, f64) | 16 m |
//! | CRC-32 (IEEE) of everything before it (u32) | 4 |
//!
//! Reading ([`read`]) checks the header first: another format version is [`CacheError::BadHeader`],
//! a key other than the caller's is [`CacheError::KeyMismatch`] before any of the body is read, and
//! counts that do not add up to the file's length are [`CacheError::Corrupt`] before anything is
//! allocated. The six arrays are then read on all threads straight into their vectors, a block at
//! a time (each block checksummed while it is in the processor's cache, the checksums of the parts
//! combined in file order), and every invariant of the graph is checked on all threads
//! (`Graph::from_csr`): a damaged cache is an error, never a panic, so the caller rebuilds it.
//!
//! Format version 1 (FNV-1a checksum, the adjacency rebuilt on every load) is refused as
//! [`CacheError::BadHeader`].
//!
//! **No file I/O here** (the crate's invariant): the caller opens the file, [`read`] and
//! [`write`] work on readers and writers.

use crate::graph::{Edge, Graph};
use lc_model::LonLat;
use std::io::{self, Read, Write};

const MAGIC: &[u8; 5] = b"LCNET";
/// The format version [`read`] accepts and [`write`] writes.
pub const VERSION: u32 = 2;
/// The longest key accepted (a key is a few paths, sizes and options).
const MAX_KEY_LEN: usize = 1 << 16;
/// Bytes read or written at a time.
const BLOCK: usize = 1 << 20;

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
    /// The reader failed (other than by ending early, which is [`CacheError::Corrupt`]).
    #[error("无法读取缓存 the cache could not be read: {0}")]
    Read(String),
}

fn io_error(e: io::Error) -> CacheError {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        CacheError::Corrupt
    } else {
        CacheError::Read(e.to_string())
    }
}

/// Where the parts of a version-2 cache lie, from the counts in its header.
#[derive(Debug, Clone, Copy)]
struct Layout {
    n: usize,
    m: usize,
    ids: u64,
    coords: u64,
    first_out: u64,
    head: u64,
    arc_len: u64,
    edges: u64,
    checksum: u64,
    len: u64,
}

impl Layout {
    /// The layout of a cache whose body starts at `body`, or `None` if the counts are beyond
    /// what a [`Graph`] can hold (node indices and arc offsets are `u32`). Within those bounds
    /// no offset can overflow a `u64`.
    fn new(body: u64, n: u64, m: u64) -> Option<Layout> {
        if n >= u64::from(u32::MAX) || m > u64::from(u32::MAX / 2) {
            return None;
        }
        let ids = body;
        let coords = ids + 8 * n;
        let first_out = coords + 16 * n;
        let head = first_out + 4 * (n + 1);
        let arc_len = head + 8 * m;
        let edges = arc_len + 16 * m;
        let checksum = edges + 16 * m;
        Some(Layout {
            n: usize::try_from(n).ok()?,
            m: usize::try_from(m).ok()?,
            ids,
            coords,
            first_out,
            head,
            arc_len,
            edges,
            checksum,
            len: checksum + 4,
        })
    }
}

/// Reads a cache of `len` bytes built for `expected_key`. `open(offset)` gives a reader
/// positioned `offset` bytes into the cache; it is called once for the header, once for each
/// of the six arrays (from several threads, so that they are read in parallel) and once for
/// the checksum.
pub fn read<R, F>(open: F, len: u64, expected_key: &str) -> Result<Graph, CacheError>
where
    R: Read,
    F: Fn(u64) -> io::Result<R> + Sync,
{
    let (layout, header_crc) = read_header(open(0).map_err(io_error)?, len, expected_key)?;
    let (n, m) = (layout.n, layout.m);
    let arcs = 2 * m;
    let open = &open;
    let ((edges, arc_len), (coords, (head, (ids, first_out)))) = rayon::join(
        || {
            rayon::join(
                || {
                    part(open, layout.edges, m, |w: [u8; 16]| Edge {
                        u: u32_at(&w, 0),
                        v: u32_at(&w, 4),
                        len: f64_at(&w, 8),
                    })
                },
                || part(open, layout.arc_len, arcs, f64::from_le_bytes),
            )
        },
        || {
            rayon::join(
                || {
                    part(open, layout.coords, n, |w: [u8; 16]| {
                        LonLat::new(f64_at(&w, 0), f64_at(&w, 8))
                    })
                },
                || {
                    rayon::join(
                        || part(open, layout.head, arcs, u32::from_le_bytes),
                        || {
                            rayon::join(
                                || part(open, layout.ids, n, i64::from_le_bytes),
                                || part(open, layout.first_out, n + 1, u32::from_le_bytes),
                            )
                        },
                    )
                },
            )
        },
    );
    let (ids, ids_crc) = ids?;
    let (coords, coords_crc) = coords?;
    let (first_out, first_out_crc) = first_out?;
    let (head, head_crc) = head?;
    let (arc_len, arc_len_crc) = arc_len?;
    let (edges, edges_crc) = edges?;
    let mut crc = header_crc;
    for part_crc in [
        ids_crc,
        coords_crc,
        first_out_crc,
        head_crc,
        arc_len_crc,
        edges_crc,
    ] {
        crc.combine(&part_crc);
    }
    let mut stored = [0u8; 4];
    open(layout.checksum)
        .and_then(|mut r| r.read_exact(&mut stored))
        .map_err(io_error)?;
    if crc.finalize() != u32::from_le_bytes(stored) {
        return Err(CacheError::Corrupt);
    }
    Graph::from_csr(ids, coords, first_out, head, arc_len, edges).ok_or(CacheError::Corrupt)
}

/// Decodes a cache held in memory (the same checks as [`read`]).
pub fn decode(bytes: &[u8], expected_key: &str) -> Result<Graph, CacheError> {
    let open = |offset: u64| {
        usize::try_from(offset)
            .ok()
            .and_then(|at| bytes.get(at..))
            .ok_or_else(|| io::Error::from(io::ErrorKind::UnexpectedEof))
    };
    read(open, bytes.len() as u64, expected_key)
}

/// Writes a graph together with a key describing its input, a block at a time (no copy of the
/// whole cache in memory). Fails only if `out` does, or if the key is longer than 64 KiB.
pub fn write<W: Write + ?Sized>(graph: &Graph, key: &str, out: &mut W) -> io::Result<()> {
    if key.len() > MAX_KEY_LEN {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "路网缓存的键超过 64 KiB the network cache's key is longer than 64 KiB",
        ));
    }
    let mut sink = Sink {
        out,
        crc: crc32fast::Hasher::new(),
        buf: Vec::with_capacity(BLOCK + 64),
    };
    sink.buf.extend_from_slice(MAGIC);
    sink.buf.extend_from_slice(&VERSION.to_le_bytes());
    sink.buf
        .extend_from_slice(&(key.len() as u32).to_le_bytes());
    sink.buf.extend_from_slice(key.as_bytes());
    sink.buf
        .extend_from_slice(&(graph.node_count() as u64).to_le_bytes());
    sink.buf
        .extend_from_slice(&(graph.edge_count() as u64).to_le_bytes());
    sink.put(&graph.ids, |b, id| b.extend_from_slice(&id.to_le_bytes()))?;
    sink.put(&graph.coords, |b, c| {
        b.extend_from_slice(&c.lon.to_le_bytes());
        b.extend_from_slice(&c.lat.to_le_bytes());
    })?;
    sink.put(&graph.first_out, |b, a| {
        b.extend_from_slice(&a.to_le_bytes())
    })?;
    sink.put(&graph.head, |b, h| b.extend_from_slice(&h.to_le_bytes()))?;
    sink.put(&graph.arc_len, |b, l| b.extend_from_slice(&l.to_le_bytes()))?;
    sink.put(&graph.edges, |b, e| {
        b.extend_from_slice(&e.u.to_le_bytes());
        b.extend_from_slice(&e.v.to_le_bytes());
        b.extend_from_slice(&e.len.to_le_bytes());
    })?;
    sink.flush()?;
    let sum = sink.crc.finalize();
    sink.out.write_all(&sum.to_le_bytes())
}

/// Encodes a graph in memory ([`write`] into a vector).
pub fn encode(graph: &Graph, key: &str) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    write(graph, key, &mut out)?;
    Ok(out)
}

/// Reads the header from `r`: the layout it announces (checked against `len`) and the
/// checksum of its bytes so far.
fn read_header(
    mut r: impl Read,
    len: u64,
    expected_key: &str,
) -> Result<(Layout, crc32fast::Hasher), CacheError> {
    let mut crc = crc32fast::Hasher::new();
    let mut start = [0u8; 13];
    r.read_exact(&mut start[..9]).map_err(io_error)?;
    if &start[..5] != MAGIC || start[5..9] != VERSION.to_le_bytes() {
        return Err(CacheError::BadHeader);
    }
    r.read_exact(&mut start[9..]).map_err(io_error)?;
    crc.update(&start);
    let key_len = u32_at(&start, 9) as usize;
    if key_len > MAX_KEY_LEN || (13 + key_len) as u64 > len {
        return Err(CacheError::Corrupt);
    }
    let mut key = vec![0u8; key_len];
    r.read_exact(&mut key).map_err(io_error)?;
    crc.update(&key);
    let key = String::from_utf8(key).map_err(|_| CacheError::Corrupt)?;
    if key != expected_key {
        return Err(CacheError::KeyMismatch(key));
    }
    let mut counts = [0u8; 16];
    r.read_exact(&mut counts).map_err(io_error)?;
    crc.update(&counts);
    let (n, m) = (u64_at(&counts, 0), u64_at(&counts, 8));
    let body = (13 + key_len + 16) as u64;
    match Layout::new(body, n, m) {
        Some(layout) if layout.len == len => Ok((layout, crc)),
        _ => Err(CacheError::Corrupt),
    }
}

/// Reads `count` values of `SIZE` bytes each at `offset`, decoding each with `decode`; returns
/// them with the checksum of their bytes.
fn part<R, F, T, D, const SIZE: usize>(
    open: &F,
    offset: u64,
    count: usize,
    decode: D,
) -> Result<(Vec<T>, crc32fast::Hasher), CacheError>
where
    R: Read,
    F: Fn(u64) -> io::Result<R>,
    D: Fn([u8; SIZE]) -> T,
{
    let mut r = open(offset).map_err(io_error)?;
    let mut crc = crc32fast::Hasher::new();
    let mut values = Vec::with_capacity(count);
    let per_block = (BLOCK / SIZE).max(1);
    let mut buf = vec![0u8; per_block * SIZE];
    let mut left = count;
    while left > 0 {
        let k = left.min(per_block);
        let block = &mut buf[..k * SIZE];
        r.read_exact(block).map_err(io_error)?;
        crc.update(block);
        values.extend(
            block
                .chunks_exact(SIZE)
                .map(|c| decode(<[u8; SIZE]>::try_from(c).unwrap_or([0; SIZE]))),
        );
        left -= k;
    }
    Ok((values, crc))
}

/// Buffers the encoded bytes and writes them a block at a time, checksumming each block.
struct Sink<'a, W: Write + ?Sized> {
    out: &'a mut W,
    crc: crc32fast::Hasher,
    buf: Vec<u8>,
}

impl<W: Write + ?Sized> Sink<'_, W> {
    fn put<T>(&mut self, values: &[T], encode: impl Fn(&mut Vec<u8>, &T)) -> io::Result<()> {
        for v in values {
            encode(&mut self.buf, v);
            if self.buf.len() >= BLOCK {
                self.flush()?;
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.crc.update(&self.buf);
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }
}

fn bytes_at<const N: usize>(b: &[u8], at: usize) -> [u8; N] {
    b.get(at..at + N)
        .and_then(|s| <[u8; N]>::try_from(s).ok())
        .unwrap_or([0; N])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes_at(b, at))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes_at(b, at))
}

fn f64_at(b: &[u8], at: usize) -> f64 {
    f64::from_le_bytes(bytes_at(b, at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BuildOptions, RawEdge, RawNetwork};

    fn graph() -> Graph {
        let raw = RawNetwork {
            node_ids: vec![5_000_000_000, -7, 3, 12],
            coords: vec![
                LonLat::new(116.3, 39.9),
                LonLat::new(116.31, 39.9),
                LonLat::new(116.32, 39.91),
                LonLat::new(116.33, 39.92),
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
                RawEdge {
                    from: 3,
                    to: 1,
                    length_m: 0.0,
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

    /// A cache's bytes with its checksum recomputed (what a cache damaged before it was
    /// sealed looks like).
    fn sealed(mut body: Vec<u8>) -> Vec<u8> {
        let sum = crc32fast::hash(&body);
        body.extend_from_slice(&sum.to_le_bytes());
        body
    }

    /// The cache without its checksum.
    fn body(g: &Graph, key: &str) -> Vec<u8> {
        let mut bytes = encode(g, key).unwrap();
        bytes.truncate(bytes.len() - 4);
        bytes
    }

    #[test]
    fn round_trip_equals_the_built_graph() {
        let g = graph();
        let bytes = encode(&g, "k1").unwrap();
        let back = decode(&bytes, "k1").unwrap();
        assert_eq!(back, g);
        assert_eq!(back.node_ids(), g.node_ids());
        assert_eq!(back.coords(), g.coords());
        assert_eq!(back.edges(), g.edges());
        assert_eq!(back.csr(), g.csr());
        for x in 0..g.node_count() as u32 {
            assert_eq!(
                back.neighbours(x).collect::<Vec<_>>(),
                g.neighbours(x).collect::<Vec<_>>()
            );
        }
        // The header (31 bytes with the key `k1`), 28 bytes a node and 4 more, 40 an edge, and
        // the checksum.
        assert_eq!(bytes.len(), 31 + 28 * 4 + 4 + 40 * 3 + 4);
    }

    #[test]
    fn a_larger_graph_crossing_blocks_round_trips() {
        // 150,000 nodes in a path: every array but the offsets spans several 1 MiB blocks.
        let n = 150_000u32;
        let raw = RawNetwork {
            node_ids: (0..n as i64).map(|i| i * 3 - 50).collect(),
            coords: (0..n)
                .map(|i| LonLat::new(100.0 + i as f64 * 1e-5, 30.0))
                .collect(),
            edges: (1..n)
                .map(|i| RawEdge {
                    from: i - 1,
                    to: i,
                    length_m: i as f64 * 0.5,
                })
                .collect(),
        };
        let g = Graph::build(
            &raw,
            BuildOptions {
                keep_largest_component: true,
            },
        )
        .unwrap()
        .0;
        let bytes = encode(&g, "big").unwrap();
        assert!(bytes.len() > 2 * BLOCK);
        assert_eq!(decode(&bytes, "big").unwrap(), g);
    }

    #[test]
    fn truncated_flipped_and_other_key_are_refused() {
        let g = graph();
        let bytes = encode(&g, "k1").unwrap();
        assert!(matches!(
            decode(&bytes, "k2"),
            Err(CacheError::KeyMismatch(k)) if k == "k1"
        ));
        for cut in [1, 3, 4, 40, bytes.len() - 20] {
            assert_eq!(
                decode(&bytes[..bytes.len() - cut], "k1"),
                Err(CacheError::Corrupt),
                "cut {cut}"
            );
        }
        // Every byte after the key, flipped: refused (a flip inside the key is another key).
        for at in 15..bytes.len() {
            let mut flipped = bytes.clone();
            flipped[at] ^= 0x40;
            assert_eq!(
                decode(&flipped, "k1"),
                Err(CacheError::Corrupt),
                "byte {at}"
            );
        }
        assert_eq!(decode(b"hello world", "k1"), Err(CacheError::BadHeader));
        assert_eq!(decode(b"LCN", "k1"), Err(CacheError::Corrupt));
    }

    #[test]
    fn a_version_1_cache_is_a_bad_header() {
        // The first bytes of a version-1 cache (magic, version 1, key, counts...).
        let mut old = b"LCNET".to_vec();
        old.extend_from_slice(&1u32.to_le_bytes());
        old.extend_from_slice(&2u32.to_le_bytes());
        old.extend_from_slice(b"k1");
        old.extend_from_slice(&[0; 40]);
        assert_eq!(decode(&old, "k1"), Err(CacheError::BadHeader));
        assert!(CacheError::BadHeader.to_string().contains("version 2"));
    }

    #[test]
    fn a_reader_that_fails_is_a_read_error() {
        let g = graph();
        let bytes = encode(&g, "k1").unwrap();
        let open = |offset: u64| {
            if offset == 0 {
                Ok(&bytes[..])
            } else {
                Err(io::Error::other("disk on fire"))
            }
        };
        assert!(matches!(
            read(open, bytes.len() as u64, "k1"),
            Err(CacheError::Read(e)) if e.contains("disk on fire")
        ));
    }

    /// Sealed caches (valid checksum) whose arrays break an invariant of the graph.
    #[test]
    fn sealed_caches_breaking_the_graph_are_refused() {
        let g = graph();
        let clean = body(&g, "k");
        let header = 13 + 1 + 16;
        let (n, m) = (g.node_count(), g.edge_count());
        let first_out = header + 24 * n;
        let head = first_out + 4 * (n + 1);
        let arc_len = head + 8 * m;
        let edges = arc_len + 16 * m;
        let with = |at: usize, value: &[u8]| {
            let mut b = clean.clone();
            b[at..at + value.len()].copy_from_slice(value);
            sealed(b)
        };
        assert_eq!(decode(&sealed(clean.clone()), "k"), Ok(g.clone()));
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("offsets not from 0", with(first_out, &1u32.to_le_bytes())),
            ("offsets falling", with(first_out + 4, &9u32.to_le_bytes())),
            ("last offset", with(first_out + 4 * n, &5u32.to_le_bytes())),
            (
                "arc head out of range",
                with(head, &(n as u32).to_le_bytes()),
            ),
            ("arc to itself", with(head, &0u32.to_le_bytes())),
            ("arc length NaN", with(arc_len, &f64::NAN.to_le_bytes())),
            (
                "arc length < 0",
                with(arc_len + 8, &(-1.0f64).to_le_bytes()),
            ),
            (
                "edge end out of range",
                with(edges + 4, &u32::MAX.to_le_bytes()),
            ),
            ("edge to itself", with(edges + 4, &0u32.to_le_bytes())),
            (
                "edge length infinite",
                with(edges + 8, &f64::INFINITY.to_le_bytes()),
            ),
        ];
        for (what, bytes) in cases {
            assert_eq!(decode(&bytes, "k"), Err(CacheError::Corrupt), "{what}");
        }
    }

    /// Found by fuzzing (issue 19, format version 1): node and edge counts whose sizes add up
    /// past `usize::MAX` in a cache with a valid checksum overflowed instead of being refused
    /// as corrupt. Counts beyond what a graph can hold, or more than the file holds, are
    /// refused before anything is allocated.
    #[test]
    fn counts_that_overflow_or_exceed_the_file_are_corrupt() {
        let header = |n: u64, m: u64| {
            let mut b = MAGIC.to_vec();
            b.extend_from_slice(&VERSION.to_le_bytes());
            b.extend_from_slice(&1u32.to_le_bytes());
            b.extend_from_slice(b"k");
            b.extend_from_slice(&n.to_le_bytes());
            b.extend_from_slice(&m.to_le_bytes());
            sealed(b)
        };
        let n = (usize::MAX / 24 - 1) as u64;
        let m = ((usize::MAX - 7 - (n as usize) * 24) / 16) as u64;
        for (n, m) in [
            (n, m),
            (u64::MAX, u64::MAX),
            (u64::from(u32::MAX), 0),
            (0, u64::from(u32::MAX / 2) + 1),
            // Within a graph's bounds, but gigabytes the file does not hold.
            (u64::from(u32::MAX) - 1, u64::from(u32::MAX / 2)),
        ] {
            assert_eq!(
                decode(&header(n, m), "k"),
                Err(CacheError::Corrupt),
                "{n} {m}"
            );
        }
        // A key longer than the file.
        let mut b = MAGIC.to_vec();
        b.extend_from_slice(&VERSION.to_le_bytes());
        b.extend_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(decode(&sealed(b), "k"), Err(CacheError::Corrupt));
    }

    #[test]
    fn an_over_long_key_is_not_written() {
        let key = "x".repeat(MAX_KEY_LEN + 1);
        assert!(encode(&graph(), &key).is_err());
    }
}
