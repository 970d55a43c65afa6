//! `nodes.csv` and `edges.csv`: the fast network reader and the writers.
//!
//! Formats (columns matched by header name in any order, extra columns ignored):
//!
//! * `nodes.csv`: `id,lon,lat`: `id` a 64-bit signed integer, unique; `lon`/`lat` WGS-84
//!   degrees.
//! * `edges.csv`: `from,to,length_m`: an undirected walkable edge between two node ids of
//!   `nodes.csv`, length in metres (finite, 0 or more). Self-loops and parallel edges are
//!   accepted here; the graph builder drops self-loops.
//!
//! Speed: files without quotes (the normal case) are streamed in blocks of whole lines, each
//! block split into chunks at line breaks and parsed on all threads by [`crate::fast`]; the
//! nodes first, then the edges, whose ends become node indices block by block. Anything
//! else, and any file the fast path does not fully accept, is read whole into memory (both
//! files at the same time) and parsed again: by the fast path where it applies, else with
//! the `csv` crate over byte records, which also produces the error report. Numbers are parsed from
//! the bytes (integers by hand, floats with the standard library's correctly rounded
//! parser). Node ids go into a direct table when they are dense (within twice the node
//! count, as generated cities are) and into an `FxHashMap` otherwise (OSM ids). Edge ends
//! are turned into node indices afterwards, in a separate parallel pass: resolving them
//! inside the parse loop measured 2.5 times slower with shuffled OSM-like ids, because
//! back-to-back lookups overlap their cache misses. The fast path keeps no per-edge line
//! numbers: when anything is wrong with `edges.csv`, the file is parsed again with the
//! `csv` crate to report every problem with its line.

use std::io::{self, Write};
use std::path::Path;

use csv::ByteRecord;
use lc_model::LonLat;
use lc_network::{RawEdge, RawNetwork};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::atomic::write_atomic;
use crate::error::{Collector, RowError, TableError, MAX_ROW_ERRORS};
use crate::fast;
use crate::fields::{
    check_width, num_message, parse_f64, parse_i64, range_message, show, trim, Source,
};

/// Columns of `nodes.csv`.
pub const NODE_COLUMNS: [&str; 3] = ["id", "lon", "lat"];
/// Columns of `edges.csv`.
pub const EDGE_COLUMNS: [&str; 3] = ["from", "to", "length_m"];

/// Reads `nodes.csv` and `edges.csv` into a [`RawNetwork`] (node order = file order).
///
/// Errors name file, line and field: a node id that is not an integer or repeats, a
/// coordinate that is not a finite number in range, an edge end that is not in the nodes
/// file, a negative or non-finite length, a row with the wrong number of fields, a missing
/// column. When `nodes.csv` has errors they are reported (and `edges.csv` is not checked).
pub fn read_network(nodes: &Path, edges: &Path) -> Result<RawNetwork, TableError> {
    if let Some(net) = streamed(nodes, edges, fast::BLOCK)? {
        return Ok(net);
    }
    let (node_src, edge_src) = rayon::join(|| Source::load(nodes), || Source::load(edges));
    network_of(node_src?, edge_src?)
}

/// [`read_network`]'s usual case, streamed ([`fast::stream_rows`]): the nodes block by block
/// into their columns, the id index, then the edges block by block, each block's ends turned
/// into node indices at once (no table of edges by id). Neither file is ever whole in memory.
/// `None` when anything is out of the ordinary — the fast path does not apply, a row it
/// cannot read, a repeated node id, an edge end that is not a node: the caller then reads both
/// files whole, which reports every problem with its line.
fn streamed(nodes: &Path, edges: &Path, block: usize) -> Result<Option<RawNetwork>, TableError> {
    let (mut ids, mut coords) = (Vec::new(), Vec::new());
    let read = fast::stream_rows(
        nodes,
        block,
        &NODE_COLUMNS.map(|c| (c, true)),
        (0i64, LonLat::new(0.0, 0.0)),
        node_row,
        |n, i, c| {
            if ids.is_empty() {
                ids.reserve(n);
                coords.reserve(n);
            }
            ids.extend_from_slice(i);
            coords.extend_from_slice(c);
            ids.len() < u32::MAX as usize
        },
    )?;
    if !read {
        return Ok(None);
    }
    let (index, dups) = index_ids(&ids);
    if !dups.is_empty() {
        return Ok(None);
    }
    let mut out: Vec<RawEdge> = Vec::new();
    let read = fast::stream_rows(
        edges,
        block,
        &EDGE_COLUMNS.map(|c| (c, true)),
        (EDGE_FILL, ()),
        edge_row,
        |n, block, _| {
            if out.is_empty() {
                out.reserve(n);
            }
            let start = out.len();
            out.par_extend(block.par_iter().with_min_len(1 << 14).map(|e| RawEdge {
                from: index.get(e.from).unwrap_or(u32::MAX),
                to: index.get(e.to).unwrap_or(u32::MAX),
                length_m: e.len,
            }));
            !out[start..]
                .par_iter()
                .any(|e| e.from == u32::MAX || e.to == u32::MAX)
        },
    )?;
    if !read {
        return Ok(None);
    }
    Ok(Some(RawNetwork {
        node_ids: ids,
        coords,
        edges: out,
    }))
}

/// [`read_network`] from readers (tables held in memory, e.g. a Python caller's data frames):
/// `nodes_name` and `edges_name` name them in messages. CSV (UTF-8 or GBK/GB18030) or an
/// `.xlsx` workbook, as from a file.
pub fn read_network_from(
    nodes_name: &str,
    nodes: impl std::io::Read,
    edges_name: &str,
    edges: impl std::io::Read,
) -> Result<RawNetwork, TableError> {
    let node_src = crate::points::source_from(nodes_name, nodes)?;
    let edge_src = crate::points::source_from(edges_name, edges)?;
    network_of(node_src, edge_src)
}

fn network_of(node_src: Source, edge_src: Source) -> Result<RawNetwork, TableError> {
    let (parsed_nodes, parsed_edges) = rayon::join(
        || parse_nodes(&node_src, true).and_then(|n| n.index().map(|i| (n, i))),
        || parse_edges(&edge_src, None),
    );
    let (nodes, index) = parsed_nodes?;
    let edge_ids = match parsed_edges {
        Ok(e) => e,
        // Report parse errors together with unknown node ids, in line order.
        Err(_) => return Err(diagnose_edges(&edge_src, &index, &node_src.file)),
    };
    let resolved: Option<Vec<RawEdge>> = edge_ids
        .par_iter()
        .with_min_len(1 << 14)
        .map(|e| {
            Some(RawEdge {
                from: index.get(e.from)?,
                to: index.get(e.to)?,
                length_m: e.len,
            })
        })
        .collect();
    let Some(edges) = resolved else {
        return Err(diagnose_edges(&edge_src, &index, &node_src.file));
    };
    Ok(RawNetwork {
        node_ids: nodes.ids,
        coords: nodes.coords,
        edges,
    })
}

/// The nodes of `nodes.csv`, with where each starts in the file (for duplicate-id messages).
struct Nodes<'a> {
    src: &'a Source,
    ids: Vec<i64>,
    coords: Vec<LonLat>,
    offsets: Vec<u64>,
}

/// Parses `nodes.csv`, by the fast path if `fast` and it applies.
fn parse_nodes(src: &Source, fast: bool) -> Result<Nodes<'_>, TableError> {
    let mut reader = src.reader();
    let (cols, width) = src.header(&mut reader, &NODE_COLUMNS.map(|c| (c, true)))?;
    let [cid, clon, clat] = [cols[0], cols[1], cols[2]].map(|c| c.unwrap_or(0));
    if fast {
        if let Some(nodes) = fast_nodes(src, body_start(&reader), width, [cid, clon, clat]) {
            return Ok(nodes);
        }
    }
    // A rough row count from the first 64 KiB, to size the vectors once.
    let guess = estimate_rows(src.bytes());
    let mut nodes = Nodes {
        src,
        ids: Vec::with_capacity(guess),
        coords: Vec::with_capacity(guess),
        offsets: Vec::with_capacity(guess),
    };
    let mut errs = Collector::new(&src.file);
    let mut lines = src.lines();
    let mut rec = ByteRecord::new();
    while reader
        .read_byte_record(&mut rec)
        .map_err(|e| src.csv_error(e))?
    {
        if errs.full() {
            errs.stop(lines.of(&rec));
            break;
        }
        if rec.len() == width {
            let id_raw = trim(rec.get(cid).unwrap_or_default());
            let lon_raw = trim(rec.get(clon).unwrap_or_default());
            let lat_raw = trim(rec.get(clat).unwrap_or_default());
            if let (Some(id), Ok(lon), Ok(lat)) =
                (parse_i64(id_raw), parse_f64(lon_raw), parse_f64(lat_raw))
            {
                if (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat) {
                    nodes.ids.push(id);
                    nodes.coords.push(LonLat::new(lon, lat));
                    nodes.offsets.push(rec.position().map_or(0, |p| p.byte()));
                    continue;
                }
            }
        }
        if is_blank(&rec) {
            continue;
        }
        let line = lines.of(&rec);
        if !check_width(&rec, line, width, &mut errs) {
            continue;
        }
        // Slow path: say exactly what is wrong with each field.
        let id_raw = trim(rec.get(cid).unwrap_or_default());
        if id_raw.is_empty() {
            errs.push(
                line,
                Some("id"),
                "为空，每个节点须有编号 is empty; every node needs an id".into(),
            );
        } else if parse_i64(id_raw).is_none() {
            errs.push(
                line,
                Some("id"),
                format!(
                    "{0} 不是 64 位整数节点编号 {0} is not a 64-bit integer node id",
                    show(id_raw)
                ),
            );
        }
        for (c, name, lim) in [(clon, "lon", 180.0), (clat, "lat", 90.0)] {
            let raw = trim(rec.get(c).unwrap_or_default());
            match parse_f64(raw) {
                Err(e) => errs.push(line, Some(name), num_message(raw, e)),
                Ok(v) => {
                    if let Some(m) = range_message(raw, v, -lim, lim) {
                        errs.push(line, Some(name), m);
                    }
                }
            }
        }
    }
    errs.finish()?;
    if nodes.ids.len() >= u32::MAX as usize {
        return Err(TableError::File {
            file: src.file.clone(),
            problem: format!(
                "{0} 个节点，最多支持 {1} 个 {0} nodes; at most {1} are supported",
                nodes.ids.len(),
                u32::MAX - 1
            ),
        });
    }
    Ok(nodes)
}

/// The fast path for `nodes.csv` (see [`crate::fast`]); `None` means "read it the slow way".
/// It records no offsets: [`Nodes::index`] reads the file again to report repeated ids.
fn fast_nodes(src: &Source, start: usize, width: usize, cols: [usize; 3]) -> Option<Nodes<'_>> {
    let fill = (0i64, LonLat::new(0.0, 0.0));
    let (ids, coords) = fast::parse_rows(src.bytes(), start, width, cols, fill, node_row)?;
    (ids.len() < u32::MAX as usize).then_some(Nodes {
        src,
        ids,
        coords,
        offsets: Vec::new(),
    })
}

/// A row of `nodes.csv` on the fast path: its id and position, or `None` to give up.
fn node_row(r: fast::Row<'_>) -> Option<(i64, LonLat)> {
    let [id, lon, lat] = r.fields.map(trim);
    let (Some(id), Ok(lon), Ok(lat)) = (parse_i64(id), parse_f64(lon), parse_f64(lat)) else {
        return None;
    };
    ((-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat))
        .then_some((id, LonLat::new(lon, lat)))
}

/// Where the rows start: the reader's position after the header line.
fn body_start(reader: &csv::Reader<&[u8]>) -> usize {
    reader.position().byte() as usize
}

impl Nodes<'_> {
    /// Builds the id → index map; reports repeated ids with both lines.
    fn index(&self) -> Result<IdIndex, TableError> {
        let (index, dups) = index_ids(&self.ids);
        if dups.is_empty() {
            return Ok(index);
        }
        if self.offsets.len() != self.ids.len() {
            // Read by the fast path, which keeps no offsets: read again to say where.
            return Err(match parse_nodes(self.src, false) {
                Ok(slow) => slow
                    .index()
                    .err()
                    .unwrap_or_else(|| unreachable_error(&self.src.file)),
                Err(e) => e,
            });
        }
        // Lines of the rows involved, counted in one pass in file order.
        let mut wanted: Vec<u64> = dups
            .iter()
            .flat_map(|&(i, first)| [self.offsets[i], self.offsets[first]])
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        let mut lines = self.src.lines();
        let line_at: FxHashMap<u64, u64> = wanted
            .into_iter()
            .map(|off| (off, lines.at_byte(off)))
            .collect();
        let line = |i: usize| line_at.get(&self.offsets[i]).copied().unwrap_or(0);
        let mut errs = Collector::new(&self.src.file);
        for (i, first) in dups {
            errs.push(
                line(i),
                Some("id"),
                format!(
                    "编号 {0} 重复（首次出现在第 {1} 行）duplicate id {0} (first on line {1})",
                    self.ids[i],
                    line(first)
                ),
            );
        }
        Err(errs
            .finish()
            .err()
            .unwrap_or_else(|| unreachable_error(&self.src.file)))
    }
}

/// The id → index map of node ids, and the repeated ids found (as (row, first row) pairs, at
/// most [`MAX_ROW_ERRORS`]; the first occurrence is the one indexed).
fn index_ids(ids: &[i64]) -> (IdIndex, Vec<(usize, usize)>) {
    let n = ids.len();
    let (lo, hi) = ids.iter().fold((i64::MAX, i64::MIN), |(lo, hi), &id| {
        (lo.min(id), hi.max(id))
    });
    let span = hi as i128 - lo as i128 + 1;
    let mut dups: Vec<(usize, usize)> = Vec::new();
    let index = if n > 0 && span <= 2 * n as i128 + 1024 {
        // Dense ids (e.g. 0..n from a generator): a direct table beats any hash map.
        let mut slots = vec![u32::MAX; span as usize];
        for (i, &id) in ids.iter().enumerate() {
            let slot = &mut slots[(id as i128 - lo as i128) as usize];
            if *slot == u32::MAX {
                *slot = i as u32;
            } else if dups.len() < MAX_ROW_ERRORS {
                dups.push((i, *slot as usize));
            }
        }
        IdIndex::Dense { lo, slots }
    } else {
        let mut map = FxHashMap::with_capacity_and_hasher(n, Default::default());
        for (i, &id) in ids.iter().enumerate() {
            if let Some(first) = map.insert(id, i as u32) {
                // Keep the first occurrence.
                map.insert(id, first);
                if dups.len() < MAX_ROW_ERRORS {
                    dups.push((i, first as usize));
                }
            }
        }
        IdIndex::Sparse(map)
    };
    (index, dups)
}

fn unreachable_error(file: &str) -> TableError {
    TableError::File {
        file: file.to_string(),
        problem: "内部错误 internal error: duplicate ids were found but not reported".into(),
    }
}

/// Node id → node index.
enum IdIndex {
    /// Ids within a narrow range: `slots[id - lo]`, `u32::MAX` for none.
    Dense { lo: i64, slots: Vec<u32> },
    /// Any ids.
    Sparse(FxHashMap<i64, u32>),
}

impl IdIndex {
    #[inline]
    fn get(&self, id: i64) -> Option<u32> {
        match self {
            IdIndex::Dense { lo, slots } => {
                let k = (id as i128 - *lo as i128) as usize;
                match slots.get(k) {
                    Some(&s) if s != u32::MAX && id >= *lo => Some(s),
                    _ => None,
                }
            }
            IdIndex::Sparse(map) => map.get(&id).copied(),
        }
    }
}

/// An edge with its ends as node ids.
#[derive(Debug, Clone, Copy)]
struct EdgeIds {
    from: i64,
    to: i64,
    len: f64,
}

/// Parses `edges.csv`. With an index, also checks that both ends are known nodes (the slow
/// diagnostic pass). Errors are collected in line order.
fn parse_edges(src: &Source, check: Option<(&IdIndex, &str)>) -> Result<Vec<EdgeIds>, TableError> {
    let mut reader = src.reader();
    let (cols, width) = src.header(&mut reader, &EDGE_COLUMNS.map(|c| (c, true)))?;
    let [cfrom, cto, clen] = [cols[0], cols[1], cols[2]].map(|c| c.unwrap_or(0));
    if check.is_none() {
        if let Some(edges) = fast_edges(src, body_start(&reader), width, [cfrom, cto, clen]) {
            return Ok(edges);
        }
    }
    let mut out = Vec::with_capacity(if check.is_some() {
        0
    } else {
        estimate_rows(src.bytes())
    });
    let mut errs = Collector::new(&src.file);
    let mut lines = src.lines();
    let mut rec = ByteRecord::new();
    while reader
        .read_byte_record(&mut rec)
        .map_err(|e| src.csv_error(e))?
    {
        if errs.full() {
            errs.stop(lines.of(&rec));
            break;
        }
        if rec.len() == width {
            let from_raw = trim(rec.get(cfrom).unwrap_or_default());
            let to_raw = trim(rec.get(cto).unwrap_or_default());
            let len_raw = trim(rec.get(clen).unwrap_or_default());
            if let (Some(from), Some(to), Ok(len)) =
                (parse_i64(from_raw), parse_i64(to_raw), parse_f64(len_raw))
            {
                let known = match check {
                    None => true,
                    Some((index, _)) => index.get(from).is_some() && index.get(to).is_some(),
                };
                if len >= 0.0 && known {
                    if check.is_none() {
                        out.push(EdgeIds { from, to, len });
                    }
                    continue;
                }
            }
        }
        if is_blank(&rec) {
            continue;
        }
        let line = lines.of(&rec);
        if !check_width(&rec, line, width, &mut errs) {
            continue;
        }
        for (c, name) in [(cfrom, "from"), (cto, "to")] {
            let raw = trim(rec.get(c).unwrap_or_default());
            match parse_i64(raw) {
                None if raw.is_empty() => errs.push(
                    line,
                    Some(name),
                    "为空，每条边须有两个节点编号 is empty; every edge needs two node ids".into(),
                ),
                None => errs.push(
                    line,
                    Some(name),
                    format!(
                        "{0} 不是 64 位整数节点编号 {0} is not a 64-bit integer node id",
                        show(raw)
                    ),
                ),
                Some(id) => {
                    if let Some((index, nodes_file)) = check {
                        if index.get(id).is_none() {
                            errs.push(
                                line,
                                Some(name),
                                format!(
                                    "节点 {id} 不在 {nodes_file} 中 node id {id} is not in {nodes_file}"
                                ),
                            );
                        }
                    }
                }
            }
        }
        let raw = trim(rec.get(clen).unwrap_or_default());
        match parse_f64(raw) {
            Err(e) => errs.push(line, Some("length_m"), num_message(raw, e)),
            Ok(v) if v < 0.0 => errs.push(
                line,
                Some("length_m"),
                format!(
                    "{0} 为负数，长度须不小于 0 {0} is negative; a length must be 0 or more",
                    show(raw)
                ),
            ),
            Ok(_) => {}
        }
    }
    errs.finish()?;
    Ok(out)
}

/// The fast path for `edges.csv` (see [`crate::fast`]); `None` means "read it the slow way".
fn fast_edges(src: &Source, start: usize, width: usize, cols: [usize; 3]) -> Option<Vec<EdgeIds>> {
    let (edges, _) = fast::parse_rows(src.bytes(), start, width, cols, (EDGE_FILL, ()), edge_row)?;
    Some(edges)
}

const EDGE_FILL: EdgeIds = EdgeIds {
    from: 0,
    to: 0,
    len: 0.0,
};

/// A row of `edges.csv` on the fast path: its ends' ids and length, or `None` to give up.
fn edge_row(r: fast::Row<'_>) -> Option<(EdgeIds, ())> {
    let [from, to, len] = r.fields.map(trim);
    match (parse_i64(from), parse_i64(to), parse_f64(len)) {
        (Some(from), Some(to), Ok(len)) if len >= 0.0 => Some((EdgeIds { from, to, len }, ())),
        _ => None,
    }
}

/// The full error report for `edges.csv` once the nodes are known: parse errors and unknown
/// node ids, in line order.
fn diagnose_edges(src: &Source, index: &IdIndex, nodes_file: &str) -> TableError {
    match parse_edges(src, Some((index, nodes_file))) {
        Err(e) => e,
        // The fast pass saw a problem the slow one did not: cannot happen, but say something
        // useful rather than panic.
        Ok(_) => TableError::Rows {
            file: src.file.clone(),
            errors: vec![RowError {
                file: src.file.clone(),
                line: 1,
                field: None,
                message:
                    "内部错误 internal error: the file failed to read but no row error was found"
                        .into(),
            }],
            stopped_at: None,
        },
    }
}

/// Whether every field of a row is empty (Excel writes such rows as `,,,`): skipped.
pub(crate) fn is_blank(rec: &ByteRecord) -> bool {
    rec.iter().all(|f| trim(f).is_empty())
}

/// Rows in a file, estimated from the line length of its first 64 KiB.
fn estimate_rows(data: &[u8]) -> usize {
    let head = &data[..data.len().min(1 << 16)];
    let lines = head.iter().filter(|&&b| b == b'\n').count().max(1);
    (data.len() as f64 / head.len().max(1) as f64 * lines as f64 * 1.05) as usize + 16
}

/// Writes `nodes.csv` (`id,lon,lat`, full `f64` precision) to a writer.
pub fn write_nodes_to(w: &mut dyn Write, net: &RawNetwork) -> io::Result<()> {
    if net.coords.len() != net.node_ids.len() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{0} 个节点编号却有 {1} 个坐标 {0} node ids but {1} coordinates",
                net.node_ids.len(),
                net.coords.len()
            ),
        ));
    }
    let mut buf = Vec::with_capacity(1 << 16);
    buf.extend_from_slice(b"id,lon,lat\n");
    for (id, p) in net.node_ids.iter().zip(&net.coords) {
        writeln!(buf, "{id},{},{}", p.lon, p.lat)?;
        if buf.len() > (1 << 16) - 128 {
            w.write_all(&buf)?;
            buf.clear();
        }
    }
    w.write_all(&buf)
}

/// Writes `edges.csv` (`from,to,length_m` as node ids, full `f64` precision) to a writer.
pub fn write_edges_to(w: &mut dyn Write, net: &RawNetwork) -> io::Result<()> {
    let n = net.node_ids.len();
    let mut buf = Vec::with_capacity(1 << 16);
    buf.extend_from_slice(b"from,to,length_m\n");
    for (k, e) in net.edges.iter().enumerate() {
        let (Some(from), Some(to)) = (
            net.node_ids.get(e.from as usize),
            net.node_ids.get(e.to as usize),
        ) else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "第 {k} 条边连接节点序号 {0} 和 {1}，但只有 {n} 个节点 edge {k} joins node indices {0} and {1}, but there are {n} nodes",
                    e.from, e.to
                ),
            ));
        };
        writeln!(buf, "{from},{to},{}", e.length_m)?;
        if buf.len() > (1 << 16) - 128 {
            w.write_all(&buf)?;
            buf.clear();
        }
    }
    w.write_all(&buf)
}

/// Writes `nodes.csv` atomically.
pub fn write_nodes(path: &Path, net: &RawNetwork) -> Result<(), TableError> {
    write_atomic(path, |w| write_nodes_to(w, net))
}

/// Writes `edges.csv` atomically.
pub fn write_edges(path: &Path, net: &RawNetwork) -> Result<(), TableError> {
    write_atomic(path, |w| write_edges_to(w, net))
}

/// Writes both network files atomically (each file on its own).
pub fn write_network(nodes: &Path, edges: &Path, net: &RawNetwork) -> Result<(), TableError> {
    write_nodes(nodes, net)?;
    write_edges(edges, net)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(
        nodes: &[u8],
        edges: &[u8],
    ) -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let (n, e) = (dir.path().join("nodes.csv"), dir.path().join("edges.csv"));
        std::fs::write(&n, nodes).unwrap();
        std::fs::write(&e, edges).unwrap();
        (dir, n, e)
    }

    /// The network as read whole (the path every problem is reported by).
    fn whole(n: &Path, e: &Path) -> Result<RawNetwork, TableError> {
        network_of(Source::load(n)?, Source::load(e)?)
    }

    fn same(a: &RawNetwork, b: &RawNetwork) {
        assert_eq!(a.node_ids, b.node_ids);
        assert_eq!(a.coords.len(), b.coords.len());
        for (p, q) in a.coords.iter().zip(&b.coords) {
            assert_eq!(
                (p.lon.to_bits(), p.lat.to_bits()),
                (q.lon.to_bits(), q.lat.to_bits())
            );
        }
        assert_eq!(a.edges.len(), b.edges.len());
        for (x, y) in a.edges.iter().zip(&b.edges) {
            assert_eq!(
                (x.from, x.to, x.length_m.to_bits()),
                (y.from, y.to, y.length_m.to_bits())
            );
        }
    }

    /// A network of `n` nodes in awkward text: shuffled ids, columns out of order with an extra
    /// one, blank lines, `\r\n` line ends, a byte order mark, no line break at the end.
    fn awkward(n: usize) -> (Vec<u8>, Vec<u8>) {
        let id = |k: usize| (k * 7_919 % n) as i64 * 1_000_003 - 5;
        let mut nodes = b"\xEF\xBB\xBFlat,name,id,lon\r\n".to_vec();
        for k in 0..n {
            let (lon, lat) = (104.0 + k as f64 * 1e-4 / 3.0, 30.5 + (k % 97) as f64 * 1e-5);
            nodes.extend(format!("{lat},节点{k},{},{lon}\r\n", id(k)).bytes());
            if k % 41 == 0 {
                nodes.extend(b"\r\n\n \t\n");
            }
        }
        let mut edges = b"length_m,to,from\n".to_vec();
        for k in 1..n {
            edges.extend(format!("{},{},{}", k as f64 / 7.0, id(k), id(k - 1)).bytes());
            if k + 1 < n {
                edges.push(b'\n');
            }
        }
        (nodes, edges)
    }

    #[test]
    fn streamed_in_blocks_reads_what_the_whole_file_reads() {
        let (nodes, edges) = awkward(3_000);
        let (_d, n, e) = files(&nodes, &edges);
        let expected = whole(&n, &e).unwrap();
        assert_eq!(expected.node_ids.len(), 3_000);
        assert_eq!(expected.edges.len(), 2_999);
        // Blocks smaller than a line, of a few lines, and larger than the files.
        for block in [7, 100, 4_096, 1 << 20] {
            let got = streamed(&n, &e, block)
                .unwrap()
                .expect("the fast path applies");
            same(&got, &expected);
        }
        same(&read_network(&n, &e).unwrap(), &expected);
    }

    #[test]
    fn anything_unusual_is_left_to_the_whole_file_reader() {
        let nodes = b"id,lon,lat\n1,104.0,30.0\n2,104.001,30.0\n3,104.002,30.0\n";
        let edges = b"from,to,length_m\n1,2,100\n2,3,100\n";
        let (_d, n, e) = files(nodes, edges);
        assert!(streamed(&n, &e, 16).unwrap().is_some());
        // A quoted field: read whole, and read well.
        let quoted: &[u8] = b"id,lon,lat\n1,\"104.0\",30.0\n2,104.001,30.0\n3,104.002,30.0\n";
        let (_q, n, e) = files(quoted, edges);
        assert!(streamed(&n, &e, 16).unwrap().is_none());
        same(&read_network(&n, &e).unwrap(), &whole(&n, &e).unwrap());
        let cases: [(&[u8], &[u8]); 5] = [
            // A repeated node id, an edge to no node, a bad number, text that is not UTF-8,
            // a header that lacks a column.
            (b"id,lon,lat\n1,104.0,30.0\n1,104.001,30.0\n", edges),
            (nodes, b"from,to,length_m\n1,2,100\n2,9,100\n"),
            (nodes, b"from,to,length_m\n1,2,100\n2,3,-1\n"),
            (
                b"id,lon,lat\n1,104.0,30.0\n2,104.001,30.0\n3,104.002,30.0\xff\n",
                edges,
            ),
            (b"id,lon\n1,104.0\n", edges),
        ];
        for (k, (nodes, edges)) in cases.into_iter().enumerate() {
            let (_d, n, e) = files(nodes, edges);
            assert!(streamed(&n, &e, 16).unwrap().is_none(), "case {k}");
            // And the ordinary reader says what is wrong, with its line.
            let err = read_network(&n, &e).unwrap_err().to_string();
            assert!(!err.is_empty(), "case {k}");
        }
    }

    #[test]
    fn a_missing_file_is_an_open_error() {
        let (_d, n, _) = files(b"id,lon,lat\n", b"");
        let err = read_network(&n, &n.with_file_name("nope.csv")).unwrap_err();
        assert!(matches!(err, TableError::Open { .. }), "{err:?}");
    }
}
