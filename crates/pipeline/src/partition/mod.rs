//! Partitioned access runs (issue 15 item 3): a country does not fit one machine's memory at
//! street resolution, and walking circles are local. The run is cut into parts by region —
//! the communities sharing a division-code prefix (`division:6` counties, `division:4` cities,
//! `division:2` provinces) or a grid cell of the whole network's projection (`grid:20km`) —,
//! each part reads only the network around its region (plus a halo), computes its own
//! communities, and the parts' outputs are merged into exactly the whole run's output, row for
//! row and byte for byte — the nearest facilities, the counts within circles and the two-step
//! capacity ratios.
//!
//! Three steps, each a plain function over files, so that any batch or distributed engine
//! (the command line one after another or on threads, Dask from Python) can run the middle one:
//!
//! 1. [`plan`]: one streaming pass over `nodes.csv` and `edges.csv` ([`NetworkFacts`]: the
//!    connected components, the projection latitude, the longest edge), the communities
//!    grouped into regions, and one [`PartJob`] per region — a self-contained JSON job
//!    description (input files with their sizes and times, the options of the run, the
//!    region, the halo, the network facts, where to write) — written by [`write_plan`].
//! 2. [`run_part`]: one job. Streams the tables keeping only the nodes inside the part's
//!    extent and the edges between them (never the whole network), builds, snaps, computes the
//!    region's communities, **checks that the result is exact** (below) and grows its halo
//!    until it is. The caller writes its rows (the command line with the same writers as
//!    `livingcircle access`) and the [`PartManifest`] beside them.
//! 3. [`merge`]: the parts' files interleaved in the communities' input order, each
//!    community's rows copied byte for byte: the whole run's files.
//!
//! # Why the merged result is the whole run's, exactly
//!
//! Everything geometric is measured in the whole network's snapping projection (`x = lon ·
//! kx`, `y = lat · ky`, `kx` from the mean latitude of the whole graph's nodes, which the plan
//! computes as [`lc_network::Snapper::new`] would, and which every part's snapper is given:
//! a part projects every point exactly as the whole run does). Let `R` be the box of the
//! region's communities, `H` the halo, `E = R ⊕ H`, `L` the longest edge of the whole graph
//! (projected), `s` the snapping reach: the largest projected distance at which a point can be
//! placed (the snap limit times the bound on how much the projection overstates a haversine
//! distance at the part's latitudes, plus 1 %). A part reads every node in `E ⊕ L` and every
//! edge between two of them.
//!
//! * **The graph around the region is the whole graph.** An edge with an end in `E` has its
//!   other end within `L` of it, so it is read: every node in `E` has all its edges. The
//!   connected-component filter cannot be decided inside a part; the plan decides it over the
//!   whole network (the same union-find and tie rule as [`lc_network::Graph::build`]) and
//!   lists the nodes the whole graph drops (`dropped-nodes.txt`); a part leaves them out and
//!   builds with every component kept. Nodes and edges keep the files' order, so a part
//!   numbers them in the same relative order as the whole graph.
//! * **Points snap as in the whole run.** Facilities are taken into a part only inside `F = E
//!   ⊖ (s + L/2 + 1 m)`, and the region's communities are inside `R ⊆ F`. Any edge within `s`
//!   of such a point has an end within `s + L/2` of it, inside `E`, so the part has every
//!   edge (and node) the whole run could place it on; the projected distances are the same
//!   numbers; among equal distances the snapper takes the lowest index, and indices keep
//!   their order. So the point gets the same edge and the same offsets — or is too far in
//!   both.
//! * **Distances are the whole graph's** (the check, made after computing). A multi-source
//!   bounded search from the region's communities settles every node within the access
//!   radius (the same radius and tolerance as the access search). Let `B` be the box of those
//!   nodes, their neighbours and the ends of the communities' own edges. The part requires
//!   `B ⊕ s ⊆ F`. Then every settled node lies in `E` and has all its edges, so a shortest
//!   path of length within the radius never leaves the part (the first node where it would
//!   leave would be a settled node with an edge missing), and the part's distances equal the
//!   whole's; Dijkstra's distances are the same floating-point numbers whatever the node
//!   numbering (each is the minimum of the same sums). A facility the whole run reaches is
//!   placed on an edge of `B`, so it lies within `s` of `B`, inside `F`: the part has it, on
//!   the same edge. Ties at equal distance are ordered by facility id in both runs.
//!   When the check fails (edges much shorter than their straight line, a projection far from
//!   the part's latitude), the part doubles its halo and runs again; the halo used is
//!   reported. The plan's first halo, `radius / ρ + 3 s + 1.5 L + 10 m` with `ρ` the smallest
//!   ratio of an edge's length to its projected length (at least 0.5), passes on ordinary
//!   networks.
//! * **The rows come out in the whole run's order.** Each part keeps its communities' input
//!   indices; the merge writes every community's rows in input order, copying the part's
//!   bytes, which the same writer produced from the same numbers.
//!
//! # The two-step capacity ratios (2SFCA), exactly
//!
//! The whole run ([`crate::AccessRun::capacity_ratios`], `lc_access::two_step_fca`) gives
//! every community `i` the ratio `A_i = Σ_j R_j` over the facilities `j` of `pairs[i]` (those
//! within the catchment `c`, in the order of `i`'s search: category, distance to the
//! millimetre, facility id), with the load `R_j = S_j / D_j` and the demand `D_j = Σ_k P_k`
//! summed over every community `k` with `j` in `pairs[k]`, **in the communities' input
//! order** (the first loop of `two_step_fca` walks the communities in order, adding each one's
//! demand to its facilities' sums). The capacity categories (a capacity unit, and at least one
//! facility with a capacity) are decided by the plan over all the facilities, as the whole run
//! decides them. A part reproduces the same floating-point numbers:
//!
//! * **Its communities' pairs are the whole run's**, by the proof above (the catchment is
//!   within the access radius): the same facilities `F1`, the same distances, the same order.
//! * **It finds every community that reaches `F1`.** One multi-source bounded search from the
//!   facilities of `F1` (their places, with the access search's start rule) to `c` + 1 mm + 1 m
//!   (a margin far above the rounding noise of a sum of edge lengths, which differs from the
//!   forward sum only in the last bits). Let `B'` be the box of the nodes it settles, their
//!   neighbours and the ends of `F1`'s own edges; the part requires `B' ⊕ s ⊆ F` (else the
//!   halo grows). Then every settled node has all its edges in the part, so the search settles
//!   the same nodes as on the whole graph. A community `k` whose walk to `j ∈ F1` is within
//!   `c` leaves through an end `a` of its own edge (or stands on `j`'s edge): every node of
//!   that walk, `a` included, is within `c` of `j` from `j`'s side, so `a` is settled (or the
//!   edge is one of `F1`'s); `k` lies within `s` of that edge, whose ends are in `B'`, so
//!   inside `F`: the part has `k`, placed on the same edge. The part takes every such
//!   community of the trusted extent as a candidate (a superset does no harm).
//! * **Their distances to `F1` are the whole run's.** Every node of a shortest walk from such
//!   a `k` to `j ∈ F1` is within `c` of `j`, so it is a settled node with all its edges: the
//!   walk lies in the part, and the part's graph is a subgraph of the whole, so the part's
//!   distance is neither shorter nor longer — the same float, since each Dijkstra distance is
//!   the minimum of the same path sums. A candidate is searched only to `c` + 1 mm (the
//!   distances up to there are the same as a longer search's), so whether `j` is in
//!   `pairs[k]` is decided as in the whole run. Its pairs to facilities outside `F1` may be
//!   wrong and are never used.
//! * **The sums are added in the same order.** The part runs `two_step_fca` over its region's
//!   communities and the candidates together, sorted by input index: for `j ∈ F1` the demands
//!   added are exactly those of the whole run, in the same order (communities that do not
//!   reach `j` add nothing in either run), so `D_j` and `R_j` are the same numbers; a region
//!   community's `A_i`, supply and count add the same `R_j`, `S_j` in its own pairs' order.
//!
//! With ratios the plan's first halo uses `2(c + 1 mm) + 1 m` for the radius when that is
//! longer; the merge copies the parts' `capacity.csv` rows like the others.
//!
//! The assessment (`livingcircle.distributed.assess` in Python) uses [`Pairs`] without
//! ratios: each part hands back its communities' results with their pairs (facility numbers
//! mapped to `facilities.csv`'s rows, [`PartOutput::facility_indices`]), exact by the proof
//! above; the caller puts them in input order and runs `lc_assess::assess` on the whole, which
//! shares the capacities itself.
//!
//! What a part cannot reproduce is refused before any work: OSM input (a part cannot read a
//! PBF by extent; export tables first) and GeoJSON output. The categories are fixed by the
//! plan (those present among all facilities, as the whole run takes them), not by what a part
//! happens to see.

mod geom;
mod merge;
mod part;
mod plan;

pub use merge::{merge, MergeOutputs, MergeReport};
pub use part::{run_part, PartOutput, PartRatios, PartStats};
pub use plan::{analyse_network, plan, write_plan, PairsRequest, Plan, PlanFile, PlanRequest};

use crate::PipelineError;
use lc_model::Community;
use lc_network::SnapMode;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The version of the job and manifest files this build reads and writes.
pub const JOB_VERSION: u32 = 1;
/// The file of a part's access rows in its output folder.
pub const ACCESS_FILE: &str = "access.csv";
/// The file of a part's circle counts in its output folder.
pub const COUNTS_FILE: &str = "counts.csv";
/// The margin, metres, of the search from the facilities that finds every community reaching
/// them (far above the rounding noise of a sum of edge lengths).
pub(crate) const REVERSE_MARGIN_M: f64 = 1.0;
/// The file of a part's 2SFCA ratios in its output folder.
pub const CAPACITY_FILE: &str = "capacity.csv";
/// The part's manifest in its output folder.
pub const MANIFEST_FILE: &str = "part.json";
/// The plan's summary in the plan folder.
pub const PLAN_FILE: &str = "plan.json";
/// The ids of the nodes the whole graph drops (outside the kept component), one per line.
pub const DROPPED_FILE: &str = "dropped-nodes.txt";

/// How the communities are grouped into parts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case", deny_unknown_fields)]
pub enum Scheme {
    /// By the first `digits` digits of the community's division code (2 province, 4 city,
    /// 6 county/district, 9 street).
    Division {
        /// How many leading digits.
        digits: usize,
    },
    /// By square cells of the projection, `cell_m` metres a side.
    Grid {
        /// The cell's side, metres.
        cell_m: f64,
    },
}

impl std::str::FromStr for Scheme {
    type Err = String;

    /// `division:6`, `division:district` (`province`, `city`, `district`, `street`: 2, 4, 6, 9
    /// digits), `grid:20km`, `grid:5000m`, `grid:5000` (metres).
    fn from_str(s: &str) -> Result<Scheme, String> {
        let bad = || {
            format!(
                "无法识别的分区方式 '{s}'（应为 division:6 或 grid:20km）unknown partition '{s}': expected division:N (N leading digits of the division code, 1 to 12), division:LEVEL (province, city, district, street) or grid:SIZE (e.g. grid:20km, grid:5000m)"
            )
        };
        let (kind, arg) = s.split_once(':').ok_or_else(bad)?;
        match kind.trim() {
            // A level's name (`division:district`) or a number of leading digits; the level's
            // digits and the code's length are the division code's rules (lc_model::division).
            "division" => {
                use lc_model::DivisionLevel;
                let most = DivisionLevel::Committee.digits();
                let digits = DivisionLevel::code_digits_of_region_key(arg.trim())
                    .or_else(|| arg.trim().parse::<usize>().ok());
                match digits {
                    Some(d) if (1..=most).contains(&d) => Ok(Scheme::Division { digits: d }),
                    _ => Err(bad()),
                }
            }
            "grid" => {
                let a = arg.trim().to_ascii_lowercase();
                let (num, unit) = if let Some(n) = a.strip_suffix("km") {
                    (n, 1000.0)
                } else if let Some(n) = a.strip_suffix('m') {
                    (n, 1.0)
                } else {
                    (a.as_str(), 1.0)
                };
                match num.trim().parse::<f64>() {
                    Ok(v) if v.is_finite() && v * unit >= 100.0 => {
                        Ok(Scheme::Grid { cell_m: v * unit })
                    }
                    _ => Err(format!(
                        "{}；网格边长须至少 100 米 a grid cell must be at least 100 m",
                        bad()
                    )),
                }
            }
            _ => Err(bad()),
        }
    }
}

/// The communities of one part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Region {
    /// The communities whose division code starts with `prefix`; `prefix: null` holds those
    /// whose code is missing or shorter than `digits`.
    Division {
        /// How many leading digits the scheme uses.
        digits: usize,
        /// The prefix, or `None` for communities without a code of that length.
        prefix: Option<String>,
    },
    /// The communities in the grid cell (`col`, `row`) of side `cell_m`.
    Grid {
        /// The cell's side, metres.
        cell_m: f64,
        /// Column: `floor(x / cell_m)`.
        col: i64,
        /// Row: `floor(y / cell_m)`.
        row: i64,
    },
}

impl Region {
    /// The region a community belongs to under `scheme` (`xy`: its projected position).
    pub(crate) fn of(scheme: Scheme, c: &Community, xy: [f64; 2]) -> Region {
        match scheme {
            Scheme::Division { digits } => Region::Division {
                digits,
                prefix: c
                    .division_code
                    .as_deref()
                    .filter(|code| code.len() >= digits && code.is_char_boundary(digits))
                    .map(|code| code[..digits].to_string()),
            },
            Scheme::Grid { cell_m } => Region::Grid {
                cell_m,
                col: (xy[0] / cell_m).floor() as i64,
                row: (xy[1] / cell_m).floor() as i64,
            },
        }
    }

    /// A short label: `division 620102`, `division (no code)`, `grid 12,-3`.
    pub fn label(&self) -> String {
        match self {
            Region::Division {
                prefix: Some(p), ..
            } => format!("division {p}"),
            Region::Division { prefix: None, .. } => "division (no code 无代码)".into(),
            Region::Grid { col, row, .. } => format!("grid {col},{row}"),
        }
    }
}

/// An input file as the plan saw it: a part refuses to run on a file that changed since.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileStamp {
    /// The path (absolute).
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// Its modification time, nanoseconds since the Unix epoch (0 when unknown).
    pub modified_ns: u64,
}

impl FileStamp {
    /// The file's stamp now.
    pub fn of(path: &Path) -> Result<FileStamp, PipelineError> {
        let io = |reason| PipelineError::Io {
            path: path.to_path_buf(),
            reason,
        };
        let abs = std::fs::canonicalize(path).map_err(io)?;
        let meta = std::fs::metadata(&abs).map_err(io)?;
        let modified_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        Ok(FileStamp {
            path: abs,
            bytes: meta.len(),
            modified_ns,
        })
    }

    /// Refuses a file that is not as it was planned.
    pub(crate) fn check(&self, job: &Path) -> Result<(), PipelineError> {
        let now = FileStamp::of(&self.path)?;
        if now != *self {
            return Err(PipelineError::Partition(format!(
                "{}: 输入文件 {} 在分区规划之后被修改，请重新规划 the input {} changed after the plan was made (size or time differs); plan again",
                job.display(),
                self.path.display(),
                self.path.display()
            )));
        }
        Ok(())
    }
}

/// The input files of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inputs {
    /// `nodes.csv`.
    pub nodes: FileStamp,
    /// `edges.csv`.
    pub edges: FileStamp,
    /// `communities.csv`.
    pub communities: FileStamp,
    /// `facilities.csv`.
    pub facilities: FileStamp,
    /// The coordinate system of the point files: `wgs84`, `gcj02` or `bd09`.
    pub crs: String,
}

impl Inputs {
    pub(crate) fn crs(&self) -> Result<lc_tables::Crs, PipelineError> {
        crs_from_key(&self.crs).ok_or_else(|| {
            PipelineError::BadOption(format!(
                "未知坐标系 unknown coordinate system '{}' (wgs84, gcj02, bd09)",
                self.crs
            ))
        })
    }
}

/// The key of a coordinate system in job files.
pub fn crs_key(crs: lc_tables::Crs) -> &'static str {
    match crs {
        lc_tables::Crs::Wgs84 => "wgs84",
        lc_tables::Crs::Gcj02 => "gcj02",
        lc_tables::Crs::Bd09 => "bd09",
    }
}

fn crs_from_key(key: &str) -> Option<lc_tables::Crs> {
    [
        lc_tables::Crs::Wgs84,
        lc_tables::Crs::Gcj02,
        lc_tables::Crs::Bd09,
    ]
    .into_iter()
    .find(|c| crs_key(*c) == key)
}

/// What a partitioned run computes: the options of `livingcircle access` it supports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunOptions {
    /// Nearest facilities per category (at least 1).
    pub k: usize,
    /// Search distance, metres.
    pub max_distance: f64,
    /// Circle radii, metres.
    pub circles: Vec<f64>,
    /// The categories reported (keys, vocabulary order); fixed by the plan.
    pub categories: Vec<String>,
    /// `edge` or `node`.
    pub snap: String,
    /// Points farther than this from the network are not placed, metres.
    pub snap_limit: f64,
    /// Keep every connected component instead of the largest.
    pub keep_all_components: bool,
    /// Write the circle counts (`counts.csv`).
    pub counts: bool,
    /// Add walking minutes at this speed (metres per minute) to the access rows.
    pub walk_speed_m_per_min: Option<f64>,
    /// Community–facility pairs within a catchment (for the two-step capacity ratios, or
    /// handed back with each community's result for the assessment); `None`: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pairs: Option<Pairs>,
}

/// The community–facility pairs a partitioned run collects, and whether its parts turn them
/// into the two-step capacity ratios (2SFCA).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pairs {
    /// The catchment, metres of walking.
    pub catchment_m: f64,
    /// Per category of the run (as `RunOptions::categories`): pairs are collected for it.
    /// For the ratios, the categories with a capacity unit and at least one facility with a
    /// capacity among all the facilities (decided by the plan, as the whole run decides it).
    pub categories: Vec<bool>,
    /// The part computes its communities' 2SFCA ratios (`livingcircle access --capacity`),
    /// reading the network two catchments around its region (see the module's documentation).
    pub ratios: bool,
}

impl RunOptions {
    /// The snapping mode.
    pub fn snap_mode(&self) -> Result<SnapMode, PipelineError> {
        match self.snap.as_str() {
            "edge" => Ok(SnapMode::Edge),
            "node" => Ok(SnapMode::Node),
            other => Err(PipelineError::BadOption(format!(
                "未知落点方式 unknown snap mode '{other}' (edge, node)"
            ))),
        }
    }

    /// The key of a snapping mode.
    pub fn snap_key(mode: SnapMode) -> &'static str {
        match mode {
            SnapMode::Edge => "edge",
            SnapMode::Node => "node",
        }
    }

    /// The access search radius (as [`lc_access::AccessConfig::radius`], tolerance included).
    pub fn radius(&self) -> f64 {
        self.access_config().radius()
    }

    /// The access configuration of the region's communities: the whole run's (`run_access`
    /// collects pairs only when some category has them).
    pub(crate) fn access_config(&self) -> lc_access::AccessConfig {
        let pairs = self
            .pairs
            .as_ref()
            .filter(|p| p.categories.iter().any(|&b| b));
        lc_access::AccessConfig {
            k: self.k,
            max_distance: self.max_distance,
            circles: self.circles.clone(),
            catchment: pairs.map(|p| p.catchment_m),
            pair_categories: match pairs {
                Some(p) => p.categories.clone(),
                None => vec![false; self.categories.len()],
            },
        }
    }

    /// Whether the parts compute the 2SFCA ratios with pairs to compute them from.
    pub(crate) fn ratio_pairs(&self) -> Option<&Pairs> {
        self.pairs
            .as_ref()
            .filter(|p| p.ratios && p.categories.iter().any(|&b| b))
    }

    /// How far (walking) from a region's communities a part must see the graph exactly: the
    /// access radius, or with the ratios, two catchments (a facility a community reaches, and
    /// every community that reaches that facility) and the margin of the search that finds
    /// them.
    pub fn reach(&self) -> f64 {
        let r = self.radius();
        match self.ratio_pairs() {
            Some(p) => {
                r.max(2.0 * (p.catchment_m + lc_network::DISTANCE_TOLERANCE_M) + REVERSE_MARGIN_M)
            }
            None => r,
        }
    }

    /// Checks the values a hand-edited job could get wrong.
    pub(crate) fn check(&self) -> Result<(), PipelineError> {
        let bad = |what: &str| Err(PipelineError::BadOption(what.to_string()));
        if self.k == 0 {
            return bad("k 须至少为 1 k must be at least 1");
        }
        for (name, v) in [
            ("max_distance", self.max_distance),
            ("snap_limit", self.snap_limit),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return bad(&format!(
                    "{name} 须为非负数 {name} must be a number ≥ 0, got {v}"
                ));
            }
        }
        if let Some(c) = self.circles.iter().find(|c| !(c.is_finite() && **c > 0.0)) {
            return bad(&format!(
                "圈层半径须为正数 circle radii must be positive, got {c}"
            ));
        }
        if let Some(p) = &self.pairs {
            if !(p.catchment_m.is_finite() && p.catchment_m > 0.0) {
                return bad(&format!(
                    "服务半径须为正数 pairs.catchment_m must be positive, got {}",
                    p.catchment_m
                ));
            }
            if p.categories.len() != self.categories.len() {
                return bad(&format!(
                    "pairs.categories 应有 {} 项 pairs.categories must have one entry per category ({}), got {}",
                    self.categories.len(),
                    self.categories.len(),
                    p.categories.len()
                ));
            }
        }
        self.snap_mode()?;
        Ok(())
    }
}

/// What the plan learned about the whole network in its one pass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkFacts {
    /// Nodes in `nodes.csv`.
    pub nodes: u64,
    /// Edges in `edges.csv`.
    pub edges: u64,
    /// Nodes of the whole graph (after the component filter).
    pub graph_nodes: u64,
    /// Connected components among nodes with an edge.
    pub components: u64,
    /// Nodes with an edge that the whole graph drops (outside the largest component), listed
    /// in [`NetworkFacts::dropped_nodes_file`].
    pub dropped_nodes: u64,
    /// The file listing them (absolute path).
    pub dropped_nodes_file: PathBuf,
    /// The latitude of the whole graph's snapping projection (the mean of its nodes').
    pub projection_lat: f64,
    /// The longest edge of the whole graph, projected metres.
    pub max_edge_m: f64,
    /// The smallest ratio of an edge's length to its projected length (edges over 1 m).
    pub min_length_ratio: f64,
}

/// One part: a self-contained job any engine can run with [`run_part`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartJob {
    /// [`JOB_VERSION`].
    pub version: u32,
    /// The plan this part belongs to (the merge refuses parts of another plan).
    pub plan_id: String,
    /// The part's name (`part-0001`).
    pub part: String,
    /// Its communities.
    pub region: Region,
    /// How many communities the plan found in the region.
    pub communities: u64,
    /// The halo around the region's communities, metres (projected).
    pub halo_m: f64,
    /// The input files.
    pub inputs: Inputs,
    /// The options of the run.
    pub options: RunOptions,
    /// The whole network's facts.
    pub network: NetworkFacts,
    /// The folder the part's files go to (absolute).
    pub output: PathBuf,
}

impl PartJob {
    /// Reads a job file; a bad one is refused naming the file, the field and why.
    pub fn load(path: &Path) -> Result<PartJob, PipelineError> {
        let text = std::fs::read_to_string(path).map_err(|reason| PipelineError::Io {
            path: path.to_path_buf(),
            reason,
        })?;
        let job: PartJob = from_json(path, &text)?;
        if job.version != JOB_VERSION {
            return Err(job_error(
                path,
                "version",
                &format!(
                    "版本 {} 不受支持（本程序为 {JOB_VERSION}）version {} is not supported (this build reads {JOB_VERSION}); plan again with this build",
                    job.version, job.version
                ),
            ));
        }
        job.options
            .check()
            .and_then(|_| job.inputs.crs().map(drop))
            .map_err(|e| job_error(path, "options", &e.to_string()))?;
        if !(job.halo_m.is_finite() && job.halo_m > 0.0) {
            return Err(job_error(
                path,
                "halo_m",
                "须为正数 must be a positive number",
            ));
        }
        Ok(job)
    }
}

/// What a finished part wrote, beside its rows: which communities (input indices, ids, in
/// order) and how the part went. The merge reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartManifest {
    /// [`JOB_VERSION`].
    pub version: u32,
    /// The plan.
    pub plan_id: String,
    /// The part's name.
    pub part: String,
    /// The region's communities: (index in `communities.csv`'s rows, id), in input order.
    pub communities: Vec<(u64, String)>,
    /// How many of them were placed on the network.
    pub placed: u64,
    /// How the part went.
    pub stats: PartStats,
}

/// Parses JSON, naming the file and the field on error.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    path: &Path,
    text: &str,
) -> Result<T, PipelineError> {
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        job_error(
            path,
            if field == "." { "(file)" } else { &field },
            &format!("{inner} (line {}, column {})", inner.line(), inner.column()),
        )
    })
}

fn job_error(path: &Path, field: &str, why: &str) -> PipelineError {
    PipelineError::Job {
        file: path.to_path_buf(),
        field: field.to_string(),
        reason: why.to_string(),
    }
}

/// Writes a value as pretty JSON, atomically.
pub(crate) fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), PipelineError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| {
        PipelineError::Partition(format!("无法编码 cannot encode {}: {e}", path.display()))
    })?;
    lc_tables::write_atomic(path, |w| w.write_all(text.as_bytes()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_parse_and_bad_ones_say_why() {
        assert_eq!(
            "division:6".parse::<Scheme>(),
            Ok(Scheme::Division { digits: 6 })
        );
        for (level, digits) in [("province", 2), ("city", 4), ("district", 6), ("street", 9)] {
            assert_eq!(
                format!("division:{level}").parse::<Scheme>(),
                Ok(Scheme::Division { digits })
            );
        }
        assert_eq!(
            "grid:20km".parse::<Scheme>(),
            Ok(Scheme::Grid { cell_m: 20_000.0 })
        );
        assert_eq!(
            "grid:2500m".parse::<Scheme>(),
            Ok(Scheme::Grid { cell_m: 2500.0 })
        );
        for bad in [
            "division:0",
            "division:13",
            "division:community",
            "division:county",
            "grid:50m",
            "county:6",
            "grid",
            "grid:xkm",
        ] {
            let e = bad.parse::<Scheme>().unwrap_err();
            assert!(e.contains(bad), "{e}");
        }
    }

    #[test]
    fn a_bad_job_names_the_file_and_field() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("part-0001.json");
        std::fs::write(&p, r#"{"version": 1, "plan_id": 7}"#).unwrap();
        let e = PartJob::load(&p).unwrap_err().to_string();
        assert!(e.contains("part-0001.json") && e.contains("plan_id"), "{e}");
        std::fs::write(&p, "{").unwrap();
        let e = PartJob::load(&p).unwrap_err().to_string();
        assert!(e.contains("part-0001.json") && e.contains("line 1"), "{e}");
    }
}
