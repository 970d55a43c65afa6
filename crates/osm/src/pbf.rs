//! The OSM PBF reader: blob framing with byte offsets, and two parallel passes over blocks.
//!
//! The file is read into memory and cut into blobs here (so a truncated file is reported
//! with the offset of the damaged blob); each blob is decoded by `osmpbf`.
//!
//! * Pass 1 (all data blocks, in parallel): ways are checked against the walkable rule and
//!   the facility mapping, and kept with their node references; tagged nodes are checked
//!   against the facility mapping. Blocks that hold nodes are remembered.
//! * Between the passes the ids of every node a kept way uses get a slot in a table.
//! * Pass 2 (only the blocks that hold nodes, in parallel): positions of those nodes.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use osmpbf::{BlobDecode, BlobReader, PrimitiveBlock};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::collect::{assemble, Collected, Coord, NodeTable};
use crate::{OsmError, OsmExtract, OsmFormat, OsmOptions, OsmPhase, OsmProgress};

/// Largest blob header the format allows (64 KiB).
const MAX_HEADER: u64 = 64 * 1024;
/// Largest blob the format allows (32 MiB).
const MAX_BLOB: u64 = 32 * 1024 * 1024;

/// Required header features this reader understands.
const SUPPORTED_FEATURES: &[&str] = &["OsmSchema-V0.6", "DenseNodes"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BlobKind {
    Header,
    Data,
    Other,
}

/// One blob: `data[start..end]` holds its 4-byte length, header and body.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
    kind: BlobKind,
}

/// Reads a protobuf varint at `*pos`.
fn varint(buf: &[u8], pos: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *buf.get(*pos)?;
        *pos += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// Decodes the fields of a `BlobHeader` message this reader needs: type and data size.
fn blob_header(buf: &[u8]) -> Result<(BlobKind, u64), String> {
    let mut pos = 0;
    let mut kind = None;
    let mut datasize = None;
    while pos < buf.len() {
        let key = varint(buf, &mut pos).ok_or("bad field key in blob header")?;
        let (field, wire) = (key >> 3, key & 7);
        match wire {
            0 => {
                let v = varint(buf, &mut pos).ok_or("bad varint in blob header")?;
                if field == 3 {
                    datasize = Some(v);
                }
            }
            2 => {
                let len = varint(buf, &mut pos).ok_or("bad length in blob header")?;
                let end = usize::try_from(len)
                    .ok()
                    .and_then(|l| pos.checked_add(l))
                    .filter(|&e| e <= buf.len())
                    .ok_or("field runs past the end of the blob header")?;
                if field == 1 {
                    kind = Some(match &buf[pos..end] {
                        b"OSMHeader" => BlobKind::Header,
                        b"OSMData" => BlobKind::Data,
                        _ => BlobKind::Other,
                    });
                }
                pos = end;
            }
            1 => pos += 8,
            5 => pos += 4,
            _ => return Err(format!("unknown wire type {wire} in blob header")),
        }
    }
    if pos > buf.len() {
        return Err("field runs past the end of the blob header".into());
    }
    match (kind, datasize) {
        (Some(k), Some(d)) => Ok((k, d)),
        (None, _) => Err("blob header has no type".into()),
        (_, None) => Err("blob header has no data size".into()),
    }
}

/// Cuts the file into blobs, checking every length against the file size.
fn frame(data: &[u8], file: &Path) -> Result<Vec<Span>, OsmError> {
    let mut spans = Vec::new();
    let mut at = 0usize;
    let len = data.len();
    let truncated = |part, at: usize, needed: u64| OsmError::TruncatedPbf {
        file: file.to_path_buf(),
        part,
        offset: at as u64,
        needed,
        available: (len - at) as u64,
    };
    let corrupt = |at: usize, reason: String| OsmError::CorruptPbf {
        file: file.to_path_buf(),
        offset: at as u64,
        reason,
    };
    while at < len {
        if len - at < 4 {
            return Err(truncated("blob size", at, 4));
        }
        let header_len = u64::from(u32::from_be_bytes([
            data[at],
            data[at + 1],
            data[at + 2],
            data[at + 3],
        ]));
        if header_len >= MAX_HEADER {
            return Err(corrupt(
                at,
                format!("数据块头大小 {header_len} 超过 64 KiB 上限（不是 PBF 文件或已损坏）blob header size {header_len} is over the 64 KiB limit (not a PBF file, or damaged)"),
            ));
        }
        let header_end = 4 + header_len;
        if ((len - at) as u64) < header_end {
            return Err(truncated("blob header", at, header_end));
        }
        let header = &data[at + 4..at + header_end as usize];
        let (kind, datasize) = blob_header(header).map_err(|r| corrupt(at, r))?;
        if datasize > MAX_BLOB {
            return Err(corrupt(
                at,
                format!("数据块大小 {datasize} 超过 32 MiB 上限 blob size {datasize} is over the 32 MiB limit"),
            ));
        }
        let needed = header_end + datasize;
        if ((len - at) as u64) < needed {
            return Err(truncated("blob", at, needed));
        }
        let end = at + needed as usize;
        spans.push(Span {
            start: at,
            end,
            kind,
        });
        at = end;
    }
    Ok(spans)
}

/// Decodes one blob into a primitive block (`None` for header and unknown blobs).
fn decode(data: &[u8], span: Span, file: &Path) -> Result<Option<PrimitiveBlock>, OsmError> {
    let corrupt = |reason: String| OsmError::CorruptPbf {
        file: file.to_path_buf(),
        offset: span.start as u64,
        reason,
    };
    let blob = BlobReader::new(&data[span.start..span.end])
        .next()
        .ok_or_else(|| corrupt("空数据块 empty blob".into()))?
        .map_err(|e| corrupt(e.to_string()))?;
    match blob.decode().map_err(|e| corrupt(e.to_string()))? {
        BlobDecode::OsmData(block) => Ok(Some(block)),
        BlobDecode::OsmHeader(header) => {
            let unsupported: Vec<&str> = header
                .required_features()
                .iter()
                .map(String::as_str)
                .filter(|f| !SUPPORTED_FEATURES.contains(f))
                .collect();
            if unsupported.is_empty() {
                Ok(None)
            } else {
                Err(OsmError::Format {
                    file: file.to_path_buf(),
                    reason: format!(
                        "PBF 文件需要本程序不支持的功能 the PBF file requires features this reader does not support: {}{}",
                        unsupported.join(", "),
                        if unsupported.contains(&"HistoricalInformation") {
                            "（历史文件，请使用当前数据 a history file; use a current extract）"
                        } else {
                            ""
                        }
                    ),
                })
            }
        }
        BlobDecode::Unknown(_) => Ok(None),
    }
}

/// Runs `f`, turning a panic inside the decoder (possible on corrupt data) into an error.
fn guarded<T>(
    span: Span,
    file: &Path,
    f: impl FnOnce() -> Result<T, OsmError>,
) -> Result<T, OsmError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(OsmError::CorruptPbf {
            file: file.to_path_buf(),
            offset: span.start as u64,
            reason: "数据块内容不一致 the block's contents are inconsistent".into(),
        })
    })
}

/// Pass 1 on one block: ways, tagged nodes, relations. Returns whether it holds nodes.
fn scan(
    data: &[u8],
    span: Span,
    file: &Path,
    opts: &OsmOptions,
) -> Result<(Collected, bool), OsmError> {
    let mut out = Collected::default();
    let Some(block) = decode(data, span, file)? else {
        return Ok((out, false));
    };
    let mut has_nodes = false;
    let mut tags: Vec<(&str, &str)> = Vec::new();
    for group in block.groups() {
        for node in group.nodes() {
            has_nodes = true;
            out.counts.nodes += 1;
            let Some(coord) = Coord::checked(node.nano_lat() / 100, node.nano_lon() / 100) else {
                out.counts.invalid_coordinates += 1;
                continue;
            };
            if node.raw_tags().len() > 0 {
                tags.clear();
                tags.extend(node.tags());
                out.tagged_node(node.id(), coord, &tags);
            }
        }
        for node in group.dense_nodes() {
            has_nodes = true;
            out.counts.nodes += 1;
            let Some(coord) = Coord::checked(node.nano_lat() / 100, node.nano_lon() / 100) else {
                out.counts.invalid_coordinates += 1;
                continue;
            };
            if node.raw_tags().len() > 0 {
                tags.clear();
                tags.extend(node.tags());
                out.tagged_node(node.id(), coord, &tags);
            }
        }
        for way in group.ways() {
            tags.clear();
            tags.extend(way.tags());
            out.way(way.id(), &tags, || way.refs(), opts.profile);
        }
        for rel in group.relations() {
            tags.clear();
            tags.extend(rel.tags());
            out.relation(&tags);
        }
    }
    Ok((out, has_nodes))
}

/// Pass 2 on one block: positions of the nodes that have a slot.
fn locate(
    data: &[u8],
    span: Span,
    file: &Path,
    slot_of: &FxHashMap<i64, u32>,
) -> Result<Vec<(u32, Coord)>, OsmError> {
    let mut found = Vec::new();
    let Some(block) = decode(data, span, file)? else {
        return Ok(found);
    };
    for group in block.groups() {
        for node in group.dense_nodes() {
            if let Some(&slot) = slot_of.get(&node.id()) {
                if let Some(c) = Coord::checked(node.nano_lat() / 100, node.nano_lon() / 100) {
                    found.push((slot, c));
                }
            }
        }
        for node in group.nodes() {
            if let Some(&slot) = slot_of.get(&node.id()) {
                if let Some(c) = Coord::checked(node.nano_lat() / 100, node.nano_lon() / 100) {
                    found.push((slot, c));
                }
            }
        }
    }
    Ok(found)
}

/// Reads a whole PBF file held in memory.
pub(crate) fn read(
    data: &[u8],
    file: &Path,
    opts: &OsmOptions,
    progress: Option<&(dyn Fn(OsmProgress) + Sync)>,
) -> Result<OsmExtract, OsmError> {
    let spans = frame(data, file)?;
    match spans.first() {
        Some(s) if s.kind == BlobKind::Header => {}
        _ => {
            return Err(OsmError::Format {
                file: file.to_path_buf(),
                reason: "不是 OSM PBF 文件：没有以 OSMHeader 数据块开头 not an OSM PBF file: it does not start with an OSMHeader blob".into(),
            })
        }
    }
    for &span in spans.iter().filter(|s| s.kind == BlobKind::Header) {
        guarded(span, file, || decode(data, span, file))?;
    }
    let blocks: Vec<Span> = spans
        .iter()
        .copied()
        .filter(|s| s.kind == BlobKind::Data)
        .collect();
    let report = |phase, done, total| {
        if let Some(cb) = progress {
            cb(OsmProgress { phase, done, total });
        }
    };

    // Pass 1.
    let total = blocks.len() as u64;
    report(OsmPhase::Scanning, 0, total);
    let done = AtomicU64::new(0);
    let scanned: Vec<(Collected, bool)> = blocks
        .par_iter()
        .map(|&span| {
            let r = guarded(span, file, || scan(data, span, file, opts));
            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
            report(OsmPhase::Scanning, n, total);
            r
        })
        .collect::<Result<_, _>>()?;
    let mut collected = Collected::default();
    let mut node_blocks = Vec::new();
    for (span, (c, has_nodes)) in blocks.iter().zip(scanned) {
        if has_nodes {
            node_blocks.push(*span);
        }
        collected.append(c);
    }

    // Slots for every node a kept way uses.
    let ref_count: usize = collected.ways.iter().map(|w| w.refs.len()).sum();
    let mut slot_of: FxHashMap<i64, u32> =
        FxHashMap::with_capacity_and_hasher(ref_count, Default::default());
    for way in &collected.ways {
        for &r in &way.refs {
            let next = slot_of.len() as u32;
            slot_of.entry(r).or_insert(next);
        }
    }

    // Pass 2.
    let mut coords = vec![Coord::MISSING; slot_of.len()];
    if !slot_of.is_empty() {
        let total = node_blocks.len() as u64;
        report(OsmPhase::Locating, 0, total);
        let done = AtomicU64::new(0);
        let located: Vec<Vec<(u32, Coord)>> = node_blocks
            .par_iter()
            .map(|&span| {
                let r = guarded(span, file, || locate(data, span, file, &slot_of));
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                report(OsmPhase::Locating, n, total);
                r
            })
            .collect::<Result<_, _>>()?;
        for (slot, c) in located.into_iter().flatten() {
            coords[slot as usize] = c;
        }
    }

    report(OsmPhase::Assembling, 0, 1);
    let mut extract = assemble(collected, &NodeTable { slot_of, coords });
    extract.stats.format = OsmFormat::Pbf;
    extract.stats.blocks = total;
    report(OsmPhase::Assembling, 1, 1);
    Ok(extract)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints() {
        let mut pos = 0;
        assert_eq!(varint(&[0x96, 0x01], &mut pos), Some(150));
        assert_eq!(pos, 2);
        let mut pos = 0;
        assert_eq!(varint(&[0x96], &mut pos), None);
    }

    #[test]
    fn header_fields() {
        // type = "OSMData" (field 1), datasize = 300 (field 3).
        let mut h = vec![0x0a, 7];
        h.extend_from_slice(b"OSMData");
        h.extend_from_slice(&[0x18, 0xac, 0x02]);
        assert_eq!(blob_header(&h), Ok((BlobKind::Data, 300)));
        assert!(blob_header(&h[..5]).is_err());
        assert!(blob_header(&[0x18, 0x05]).is_err());
    }

    #[test]
    fn framing_reports_truncation() {
        let mut h = vec![0x0a, 9];
        h.extend_from_slice(b"OSMHeader");
        h.extend_from_slice(&[0x18, 10]);
        let mut file = (h.len() as u32).to_be_bytes().to_vec();
        file.extend_from_slice(&h);
        file.extend_from_slice(&[0u8; 10]);
        let p = Path::new("x.osm.pbf");
        assert_eq!(frame(&file, p).unwrap().len(), 1);
        let err = frame(&file[..file.len() - 3], p).unwrap_err();
        assert_eq!(
            err.to_string(),
            "x.osm.pbf: PBF 文件在第 0 字节处被截断（下载或复制中断？）truncated PBF blob at byte 0: it needs 27 bytes but the file ends after 24"
        );
        let err = frame(&file[..2], p).unwrap_err();
        assert!(err.to_string().contains("truncated PBF blob size"), "{err}");
        let err = frame(&file[..8], p).unwrap_err();
        assert!(
            err.to_string().contains("truncated PBF blob header"),
            "{err}"
        );
    }
}
