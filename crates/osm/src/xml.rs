//! The OSM XML reader (`.osm`): one streaming pass with quick-xml over the file in memory.
//!
//! Every node position is kept (XML extracts are small; use PBF for whole cities), then the
//! shared assembly builds the network and the facilities exactly as for PBF.

use std::path::Path;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use rustc_hash::FxHashMap;

use crate::collect::{assemble, Collected, Coord, NodeTable};
use crate::error::line_col;
use crate::{OsmError, OsmExtract, OsmFormat, OsmOptions, OsmPhase, OsmProgress};

/// Progress is reported every this many bytes.
const PROGRESS_STEP: u64 = 1 << 20;

/// The element being read, between its start and end tags.
enum Current {
    None,
    Node {
        id: i64,
        coord: Option<Coord>,
    },
    Way {
        id: i64,
        refs: Vec<i64>,
    },
    Relation,
    /// A deleted element (`visible="false"` or JOSM's `action="delete"`): ignored.
    Deleted,
}

struct Parser<'d> {
    data: &'d [u8],
    file: &'d Path,
    opts: &'d OsmOptions,
    collected: Collected,
    slot_of: FxHashMap<i64, u32>,
    coords: Vec<Coord>,
    current: Current,
    tags: Vec<(String, String)>,
}

impl Parser<'_> {
    fn error(&self, pos: u64, reason: impl Into<String>) -> OsmError {
        let (line, column) = line_col(self.data, pos as usize);
        OsmError::Xml {
            file: self.file.to_path_buf(),
            line,
            column,
            reason: reason.into(),
        }
    }

    /// The attributes of `e` as `(name, unescaped value)`.
    fn attrs(&self, e: &BytesStart<'_>, pos: u64) -> Result<Vec<(Vec<u8>, String)>, OsmError> {
        let mut out = Vec::new();
        for a in e.attributes() {
            let a = a.map_err(|err| self.error(pos, format!("属性有误 bad attribute: {err}")))?;
            let v = a
                .unescape_value()
                .map_err(|err| self.error(pos, format!("属性值有误 bad attribute value: {err}")))?;
            out.push((a.key.as_ref().to_vec(), v.into_owned()));
        }
        Ok(out)
    }

    fn attr<'a>(attrs: &'a [(Vec<u8>, String)], name: &[u8]) -> Option<&'a str> {
        attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn required<'a>(
        &self,
        attrs: &'a [(Vec<u8>, String)],
        element: &str,
        name: &str,
        pos: u64,
    ) -> Result<&'a str, OsmError> {
        Self::attr(attrs, name.as_bytes()).ok_or_else(|| {
            self.error(
                pos,
                format!("<{element}> 缺少 '{name}' 属性 <{element}> has no '{name}' attribute"),
            )
        })
    }

    fn number<T: std::str::FromStr>(
        &self,
        value: &str,
        element: &str,
        name: &str,
        pos: u64,
    ) -> Result<T, OsmError> {
        value.trim().parse::<T>().map_err(|_| {
            // As written in the XML, unless it is too long to show whole.
            let shown = match value.chars().count() > lc_model::MAX_SHOWN_CHARS {
                true => lc_model::quote(value),
                false => format!("\"{value}\""),
            };
            self.error(
                pos,
                format!(
                    "<{element}> 的 {name}={0} 不是数字 <{element}> has {name}={0}, which is not a number",
                    shown
                ),
            )
        })
    }

    fn deleted(attrs: &[(Vec<u8>, String)]) -> bool {
        Self::attr(attrs, b"visible") == Some("false")
            || Self::attr(attrs, b"action") == Some("delete")
    }

    /// A start (or empty) tag.
    fn start(&mut self, e: &BytesStart<'_>, pos: u64) -> Result<(), OsmError> {
        match e.local_name().as_ref() {
            b"node" => {
                let attrs = self.attrs(e, pos)?;
                let id: i64 =
                    self.number(self.required(&attrs, "node", "id", pos)?, "node", "id", pos)?;
                if Self::deleted(&attrs) {
                    self.current = Current::Deleted;
                    return Ok(());
                }
                let lat: f64 = self.number(
                    self.required(&attrs, "node", "lat", pos)?,
                    "node",
                    "lat",
                    pos,
                )?;
                let lon: f64 = self.number(
                    self.required(&attrs, "node", "lon", pos)?,
                    "node",
                    "lon",
                    pos,
                )?;
                let coord = Coord::from_degrees(lat, lon);
                self.collected.counts.nodes += 1;
                match coord {
                    Some(c) => {
                        let next = self.coords.len() as u32;
                        let slot = *self.slot_of.entry(id).or_insert(next);
                        if slot == next {
                            self.coords.push(c);
                        } else {
                            self.coords[slot as usize] = c;
                        }
                    }
                    None => self.collected.counts.invalid_coordinates += 1,
                }
                self.current = Current::Node { id, coord };
                self.tags.clear();
            }
            b"way" => {
                let attrs = self.attrs(e, pos)?;
                let id: i64 =
                    self.number(self.required(&attrs, "way", "id", pos)?, "way", "id", pos)?;
                self.current = if Self::deleted(&attrs) {
                    Current::Deleted
                } else {
                    Current::Way {
                        id,
                        refs: Vec::new(),
                    }
                };
                self.tags.clear();
            }
            b"relation" => {
                let attrs = self.attrs(e, pos)?;
                self.current = if Self::deleted(&attrs) {
                    Current::Deleted
                } else {
                    Current::Relation
                };
                self.tags.clear();
            }
            b"tag" => {
                if matches!(self.current, Current::None) {
                    return Ok(());
                }
                let attrs = self.attrs(e, pos)?;
                let k = self.required(&attrs, "tag", "k", pos)?.to_string();
                let v = self.required(&attrs, "tag", "v", pos)?.to_string();
                self.tags.push((k, v));
            }
            b"nd" => {
                if let Current::Way { .. } = self.current {
                    let attrs = self.attrs(e, pos)?;
                    let r: i64 =
                        self.number(self.required(&attrs, "nd", "ref", pos)?, "nd", "ref", pos)?;
                    if let Current::Way { refs, .. } = &mut self.current {
                        refs.push(r);
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The end of a node, way or relation.
    fn finish(&mut self) {
        let current = std::mem::replace(&mut self.current, Current::None);
        let tags: Vec<(&str, &str)> = self
            .tags
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        match current {
            Current::Node { id, coord } => {
                if let (Some(c), false) = (coord, tags.is_empty()) {
                    self.collected.tagged_node(id, c, &tags);
                }
            }
            Current::Way { id, refs } => {
                self.collected.way(id, &tags, || refs, self.opts.profile);
            }
            Current::Relation => self.collected.relation(&tags),
            Current::None | Current::Deleted => {}
        }
    }
}

/// Reads a whole OSM XML file held in memory.
pub(crate) fn read(
    data: &[u8],
    file: &Path,
    opts: &OsmOptions,
    progress: Option<&(dyn Fn(OsmProgress) + Sync)>,
) -> Result<OsmExtract, OsmError> {
    let total = data.len() as u64;
    let report = |phase, done, total| {
        if let Some(cb) = progress {
            cb(OsmProgress { phase, done, total });
        }
    };
    report(OsmPhase::Parsing, 0, total);
    let mut p = Parser {
        data,
        file,
        opts,
        collected: Collected::default(),
        slot_of: FxHashMap::default(),
        coords: Vec::new(),
        current: Current::None,
        tags: Vec::new(),
    };
    let mut reader = Reader::from_reader(data);
    reader.config_mut().check_end_names = true;
    // Open elements, innermost last (names as bytes).
    let mut open: Vec<Vec<u8>> = Vec::new();
    let mut seen_root = false;
    let mut next_report = PROGRESS_STEP;
    loop {
        let pos = reader.buffer_position();
        let event = reader.read_event().map_err(|err| {
            let at = reader.error_position().max(pos);
            p.error(at, format!("XML 语法错误 {err}"))
        })?;
        match &event {
            Event::Start(e) | Event::Empty(e) if open.is_empty() && !seen_root => {
                if e.local_name().as_ref() != b"osm" {
                    return Err(p.error(
                        pos,
                        format!(
                            "根元素是 {0} 而不是 <osm> the root element is {0}, not <osm>",
                            lc_model::quote(&format!(
                                "<{}>",
                                String::from_utf8_lossy(e.name().as_ref())
                            ))
                        ),
                    ));
                }
                seen_root = true;
                if matches!(event, Event::Start(_)) {
                    open.push(e.name().as_ref().to_vec());
                }
            }
            Event::Start(e) => {
                if open.is_empty() {
                    return Err(p.error(pos, "有多个根元素 more than one root element"));
                }
                p.start(e, pos)?;
                open.push(e.name().as_ref().to_vec());
            }
            Event::Empty(e) => {
                if open.is_empty() {
                    return Err(p.error(pos, "有多个根元素 more than one root element"));
                }
                p.start(e, pos)?;
                if matches!(e.local_name().as_ref(), b"node" | b"way" | b"relation") {
                    p.finish();
                }
            }
            Event::End(e) => {
                open.pop();
                if matches!(e.local_name().as_ref(), b"node" | b"way" | b"relation") {
                    p.finish();
                }
                let at = reader.buffer_position();
                if at >= next_report {
                    report(OsmPhase::Parsing, at, total);
                    next_report = at + PROGRESS_STEP;
                }
            }
            Event::Text(t) if open.is_empty() && t.iter().any(|b| !b.is_ascii_whitespace()) => {
                return Err(p.error(pos, "<osm> 元素之外有文本 text outside the <osm> element"));
            }
            Event::Eof => {
                if let Some(name) = open.last() {
                    return Err(p.error(
                        total,
                        format!(
                            "文件在 <{0}> 内结束（元素未闭合：文件是否不完整？）the file ends inside <{0}> (an unclosed element: is the file cut short?)",
                            String::from_utf8_lossy(name)
                        ),
                    ));
                }
                if !seen_root {
                    return Err(p.error(total, "没有 <osm> 元素 no <osm> element"));
                }
                break;
            }
            _ => {}
        }
    }
    report(OsmPhase::Parsing, total, total);
    report(OsmPhase::Assembling, 0, 1);
    let table = NodeTable {
        slot_of: p.slot_of,
        coords: p.coords,
    };
    let mut extract = assemble(p.collected, &table);
    extract.stats.format = OsmFormat::Xml;
    report(OsmPhase::Assembling, 1, 1);
    Ok(extract)
}
