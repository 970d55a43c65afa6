//! OpenStreetMap import: the walkable network and life-service facilities from an `.osm.pbf`
//! or `.osm` (XML) file.
//!
//! [`read_osm_file`] reads a file (the format is chosen by its content, not its name) and
//! returns an [`OsmExtract`]:
//!
//! * `network`: the walkable network as a [`RawNetwork`]. Only nodes used by walkable ways
//!   are in it, with their OSM ids. Every consecutive pair of nodes of a walkable way is one
//!   undirected [`RawEdge`](lc_network::RawEdge) whose length is the haversine distance
//!   ([`LonLat::haversine_m`]). Ways are walkable both ways whatever `oneway` says; degree-2
//!   nodes are kept. Segments with a node missing from the file (extracts cut at a boundary)
//!   are skipped and counted. Which ways are walkable is decided by [`way_verdict`]; the
//!   rule is documented in [`rules`] and in `docs/osm.md`.
//! * `facilities`: nodes and ways whose tags map to a facility category
//!   ([`facility_for_tags`], table in `docs/osm.md`). A way's position is the mean of its
//!   distinct node positions. Relations (multipolygons) are counted, not imported.
//! * `stats`: what was read, kept and left out, and why.
//!
//! Positions are rounded to 10⁻⁷ degrees, OSM's own precision, so the PBF and the XML of
//! the same data give identical results. Data read with this crate is
//! © OpenStreetMap contributors, available under the ODbL.

mod collect;
mod error;
mod facilities;
mod pbf;
pub mod rules;
mod tags;
mod xml;

use std::path::Path;

use lc_model::{Category, Facility, LonLat};
use lc_network::RawNetwork;

pub use error::OsmError;
pub use facilities::{facility_for_tags, FacilityMatch};
pub use rules::{way_verdict, ExcludeReason, ExcludedWays, Profile, WayVerdict};

/// Options of [`read_osm_file`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OsmOptions {
    /// Who walks the network (decides steps and `wheelchair=no` ways).
    pub profile: Profile,
}

/// The two OSM file formats.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum OsmFormat {
    /// Protocol-buffer binary format (`.osm.pbf`).
    #[default]
    Pbf,
    /// OSM XML (`.osm`).
    Xml,
}

impl OsmFormat {
    /// `pbf` or `xml`.
    pub fn as_str(self) -> &'static str {
        match self {
            OsmFormat::Pbf => "pbf",
            OsmFormat::Xml => "xml",
        }
    }
}

/// A facility found in OSM tags.
#[derive(Debug, Clone, PartialEq)]
pub struct OsmFacility {
    /// `n<id>` for a node, `w<id>` for a way. A school that teaches both primary and middle
    /// levels gives two facilities; the second id has the category appended
    /// (`w456:middle_school`), so ids stay unique.
    pub id: String,
    /// `name:zh`, else `name`, else empty.
    pub name: String,
    /// The category.
    pub category: Category,
    /// The node's position, or the mean of the way's distinct node positions.
    pub pos: LonLat,
    /// The tags that decided the category, e.g. `amenity=kindergarten`.
    pub tags_matched: String,
}

impl OsmFacility {
    /// As a [`Facility`] of the model (no capacity, area or provider code: OSM has none).
    pub fn to_facility(&self) -> Facility {
        Facility {
            id: self.id.clone(),
            name: self.name.clone(),
            category: self.category,
            pos: self.pos,
            capacity: None,
            floor_area_m2: None,
            provider_code: None,
            division_code: None,
        }
    }
}

/// What the import read, kept and left out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OsmStats {
    /// The file's format.
    pub format: OsmFormat,
    /// File size in bytes.
    pub file_bytes: u64,
    /// PBF data blocks (0 for XML).
    pub blocks: u64,
    /// Nodes in the file.
    pub nodes_read: u64,
    /// Ways in the file.
    pub ways_read: u64,
    /// Relations in the file.
    pub relations_read: u64,
    /// Ways with a `highway` tag.
    pub highway_ways: u64,
    /// Highway ways kept as walkable.
    pub walkable_ways: u64,
    /// Highway ways left out, by reason.
    pub excluded: ExcludedWays,
    /// Nodes whose position is out of range (or not finite), ignored.
    pub invalid_coordinates: u64,
    /// Nodes in the network.
    pub network_nodes: u64,
    /// Edges in the network.
    pub network_edges: u64,
    /// Total length of the network's edges, in metres.
    pub network_length_m: f64,
    /// Segments of walkable ways skipped because a node is not in the file.
    pub segments_missing_node: u64,
    /// Walkable ways that reference at least one node not in the file.
    pub ways_with_missing_nodes: u64,
    /// Distinct node ids referenced by walkable ways but not in the file.
    pub missing_node_ids: u64,
    /// Segments joining a node to itself (a way repeating a node), skipped.
    pub repeated_node_segments: u64,
    /// Facilities from nodes.
    pub facility_nodes: u64,
    /// Facilities from ways.
    pub facility_ways: u64,
    /// Facility ways none of whose nodes is in the file, skipped.
    pub facility_ways_without_position: u64,
    /// Relations with facility tags, not imported (multipolygon geometry is not built).
    pub facility_relations_skipped: u64,
    /// Facilities per category (categories with none are left out), in vocabulary order.
    pub facilities_by_category: Vec<(Category, u64)>,
}

impl OsmStats {
    /// The number of facilities of one category.
    pub fn facilities_of(&self, category: Category) -> u64 {
        self.facilities_by_category
            .iter()
            .find(|(c, _)| *c == category)
            .map_or(0, |(_, n)| *n)
    }
}

/// The result of [`read_osm_file`].
#[derive(Debug, Clone, PartialEq)]
pub struct OsmExtract {
    /// The walkable network (OSM node ids; undirected edges; lengths in metres).
    pub network: RawNetwork,
    /// Facilities from tags, nodes first then ways, each in id order.
    pub facilities: Vec<OsmFacility>,
    /// Counts.
    pub stats: OsmStats,
}

/// A stage of the import, for progress bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OsmPhase {
    /// Reading the file into memory; counts bytes.
    Reading,
    /// PBF pass 1, ways and tags; counts blocks.
    Scanning,
    /// PBF pass 2, node positions; counts blocks that hold nodes.
    Locating,
    /// XML parsing; counts bytes.
    Parsing,
    /// Building the network and the facility list; `0/1` then `1/1`.
    Assembling,
}

impl OsmPhase {
    /// A short label for a progress bar.
    pub fn label(self) -> &'static str {
        match self {
            OsmPhase::Reading => "reading file",
            OsmPhase::Scanning => "scanning ways and tags",
            OsmPhase::Locating => "locating nodes",
            OsmPhase::Parsing => "parsing XML",
            OsmPhase::Assembling => "building network",
        }
    }

    /// What `done` and `total` count: `bytes`, `blocks` or `steps`.
    pub fn unit(self) -> &'static str {
        match self {
            OsmPhase::Reading | OsmPhase::Parsing => "bytes",
            OsmPhase::Scanning | OsmPhase::Locating => "blocks",
            OsmPhase::Assembling => "steps",
        }
    }
}

/// A progress report: `done` of `total` units of `phase` (see [`OsmPhase::unit`]).
///
/// The callback is called from worker threads, once per PBF block (a few thousand
/// elements) or per MiB of XML, and at the start and end of each phase. Reports of one
/// phase may arrive slightly out of order; `done` never exceeds `total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OsmProgress {
    /// The current stage.
    pub phase: OsmPhase,
    /// Units done.
    pub done: u64,
    /// Units in the phase.
    pub total: u64,
}

/// Guesses the format from the first bytes: XML starts (after an optional byte-order mark
/// and white space) with `<`; a PBF file starts with a 4-byte length and an `OSMHeader`
/// blob header. `None` if it is neither.
pub fn detect_format(head: &[u8]) -> Option<OsmFormat> {
    let body = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    if body
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'<')
    {
        return Some(OsmFormat::Xml);
    }
    let window = &head[..head.len().min(64)];
    if head.len() > 4 && window.windows(9).any(|w| w == b"OSMHeader") {
        return Some(OsmFormat::Pbf);
    }
    None
}

/// Reads an OSM PBF or XML file: the walkable network for `opts.profile` and the
/// facilities found in tags.
///
/// The whole file is read into memory. PBF blocks are decoded in parallel on the rayon
/// thread pool. `progress`, if given, is called as described at [`OsmProgress`].
///
/// # Errors
/// An [`OsmError`] naming the file: unreadable, not OSM, compressed XML, truncated or
/// corrupt PBF (with the byte offset of the blob), malformed XML (with line and column).
pub fn read_osm_file(
    path: &Path,
    opts: &OsmOptions,
    progress: Option<&(dyn Fn(OsmProgress) + Sync)>,
) -> Result<OsmExtract, OsmError> {
    let io = |source| OsmError::Io {
        file: path.to_path_buf(),
        source,
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if let Some(cb) = progress {
        cb(OsmProgress {
            phase: OsmPhase::Reading,
            done: 0,
            total: size,
        });
    }
    let data = std::fs::read(path).map_err(io)?;
    if let Some(cb) = progress {
        cb(OsmProgress {
            phase: OsmPhase::Reading,
            done: data.len() as u64,
            total: data.len() as u64,
        });
    }
    read_osm_bytes(&data, path, opts, progress)
}

/// As [`read_osm_file`], for a file already in memory; `name` is used in error messages.
pub fn read_osm_bytes(
    data: &[u8],
    name: &Path,
    opts: &OsmOptions,
    progress: Option<&(dyn Fn(OsmProgress) + Sync)>,
) -> Result<OsmExtract, OsmError> {
    let format_error = |reason: &str| OsmError::Format {
        file: name.to_path_buf(),
        reason: reason.to_string(),
    };
    if data.is_empty() {
        return Err(format_error("文件为空 the file is empty"));
    }
    if data.starts_with(&[0x1f, 0x8b]) {
        return Err(format_error(
            "文件是 gzip 压缩的，请先解压（gunzip）或使用 .osm.pbf the file is gzip-compressed; decompress it first (gunzip) or use the .osm.pbf",
        ));
    }
    if data.starts_with(b"BZh") {
        return Err(format_error(
            "文件是 bzip2 压缩的，请先解压（bunzip2）或使用 .osm.pbf the file is bzip2-compressed; decompress it first (bunzip2) or use the .osm.pbf",
        ));
    }
    let mut extract = match detect_format(data) {
        Some(OsmFormat::Xml) => xml::read(data, name, opts, progress)?,
        // A damaged PBF header is reported by the PBF reader with its offset.
        Some(OsmFormat::Pbf) | None if looks_like_pbf(data) => {
            pbf::read(data, name, opts, progress)?
        }
        _ => {
            return Err(format_error(
                "不是 OSM 文件：既不是 OSM XML（以“<”开头）也不是 OSM PBF not an OSM file: neither OSM XML (starts with '<') nor OSM PBF",
            ))
        }
    };
    extract.stats.file_bytes = data.len() as u64;
    Ok(extract)
}

/// Whether the first four bytes can be a PBF blob header length (under 64 KiB).
fn looks_like_pbf(data: &[u8]) -> bool {
    data.len() >= 4 && data[0] == 0 && data[1] == 0
}
