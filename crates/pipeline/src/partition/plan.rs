//! Planning a partitioned run: the one pass over the whole network, the regions, the jobs.

use super::geom::{Proj, Rect};
use super::{
    crs_key, write_json, FileStamp, Inputs, NetworkFacts, Pairs, PartJob, Region, RunOptions,
    Scheme, DROPPED_FILE, JOB_VERSION, PLAN_FILE,
};
use crate::observer::{Step, Stepper};
use crate::{Observer, PipelineError, Timings};
use lc_model::{Category, Community, LonLat};
use lc_network::{projection_latitude, NetworkError, SnapMode};
use lc_tables::{RowError, TableError, MAX_ROW_ERRORS};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What to plan.
#[derive(Debug, Clone)]
pub struct PlanRequest {
    /// `nodes.csv`.
    pub nodes: PathBuf,
    /// `edges.csv`.
    pub edges: PathBuf,
    /// `communities.csv`.
    pub communities: PathBuf,
    /// `facilities.csv`.
    pub facilities: PathBuf,
    /// The coordinate system of the point files.
    pub crs: lc_tables::Crs,
    /// How communities are grouped into parts.
    pub scheme: Scheme,
    /// Nearest facilities per category.
    pub k: usize,
    /// Search distance, metres.
    pub max_distance: f64,
    /// Circle radii, metres.
    pub circles: Vec<f64>,
    /// The categories to report (`None`: those present among all the facilities).
    pub categories: Option<Vec<Category>>,
    /// Edge or node snapping.
    pub snap: SnapMode,
    /// The snapping limit, metres.
    pub snap_limit: f64,
    /// Keep every connected component instead of the largest.
    pub keep_all_components: bool,
    /// Write the circle counts.
    pub counts: bool,
    /// Add walking minutes at this speed to the access rows.
    pub walk_speed_m_per_min: Option<f64>,
    /// Community–facility pairs: none, the 2SFCA ratios, or pairs for the assessment.
    pub pairs: PairsRequest,
    /// The plan folder: jobs, the plan's summary, the parts' output folders.
    pub out_dir: PathBuf,
}

/// What a partitioned run collects beside the nearest facilities and the counts.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum PairsRequest {
    /// No pairs.
    #[default]
    None,
    /// The two-step capacity ratios of `livingcircle access --capacity --catchment M`: for
    /// the categories with a capacity unit and at least one facility with a capacity (among
    /// all the facilities, as the whole run decides), each part computes its communities'
    /// ratios exactly.
    Ratios {
        /// The catchment, metres.
        catchment_m: f64,
    },
    /// The pairs within `catchment_m` for the categories marked (one entry per category of
    /// the run), handed back with each community's result, as the assessment's access
    /// computation collects them (`lc_assess::AccessPlan::config`).
    Pairs {
        /// The catchment, metres.
        catchment_m: f64,
        /// Per category of the run (the chosen categories, vocabulary order).
        categories: Vec<bool>,
    },
}

/// One planned part, as the plan's summary lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlannedPart {
    /// The part's name.
    pub part: String,
    /// Its job file.
    pub job: PathBuf,
    /// Its output folder.
    pub output: PathBuf,
    /// Its region.
    pub region: Region,
    /// Its communities.
    pub communities: u64,
    /// Its first halo, metres.
    pub halo_m: f64,
}

/// The plan's summary (`plan.json`): what the merge needs to put the parts together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanFile {
    /// [`JOB_VERSION`].
    pub version: u32,
    /// The plan's id (a hash of its inputs, options and network facts).
    pub plan_id: String,
    /// How the communities were grouped.
    pub scheme: Scheme,
    /// Communities in `communities.csv`.
    pub communities: u64,
    /// The input files.
    pub inputs: Inputs,
    /// The options.
    pub options: RunOptions,
    /// The whole network's facts.
    pub network: NetworkFacts,
    /// The parts, in order.
    pub parts: Vec<PlannedPart>,
}

/// A plan: its summary, one job per part, and the nodes the whole graph drops.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The summary.
    pub file: PlanFile,
    /// The jobs.
    pub jobs: Vec<PartJob>,
    /// Ids of the nodes with an edge that the whole graph leaves out.
    pub dropped: Vec<i64>,
    /// Seconds per step.
    pub timings: Timings,
}

/// One streaming pass over `nodes.csv` and two over `edges.csv` (components; then edge
/// lengths): the whole network's facts and the ids of the nodes the whole graph drops, decided
/// as [`lc_network::Graph::build`] decides them. Holds per node its id, position and
/// union-find parent (about 50 bytes with the id map), never the edges. Refuses what
/// [`lc_tables::read_network`] refuses that needs the whole file: repeated node ids, edge ends
/// missing from the nodes.
pub fn analyse_network(
    nodes_path: &Path,
    edges_path: &Path,
    keep_all_components: bool,
) -> Result<(NetworkFacts, Vec<i64>), PipelineError> {
    let mut ids: Vec<i64> = Vec::new();
    let mut coords: Vec<LonLat> = Vec::new();
    let mut lines: Vec<u64> = Vec::new();
    let mut index: FxHashMap<i64, u32> = FxHashMap::default();
    let mut errors: Vec<RowError> = Vec::new();
    let nodes_file = nodes_path.display().to_string();
    lc_tables::stream_nodes(nodes_path, |r| {
        if let Some(&first) = index.get(&r.id) {
            if errors.len() < MAX_ROW_ERRORS {
                errors.push(RowError {
                    file: nodes_file.clone(),
                    line: r.line,
                    field: Some("id".into()),
                    message: format!(
                        "编号 {0} 重复（首次出现在第 {1} 行）duplicate id {0} (first on line {1})",
                        r.id, lines[first as usize]
                    ),
                });
            }
            return;
        }
        index.insert(r.id, ids.len() as u32);
        ids.push(r.id);
        coords.push(r.pos);
        lines.push(r.line);
    })?;
    rows_error(&nodes_file, errors)?;
    let n = ids.len();
    if n >= u32::MAX as usize {
        return Err(PipelineError::Network {
            source_label: nodes_file,
            reason: NetworkError::TooManyNodes(n),
        });
    }
    drop(lines);

    // Components, as Graph::build finds them: union-find over file order, the lower root wins.
    let edges_file = edges_path.display().to_string();
    let mut parent: Vec<u32> = (0..n as u32).collect();
    let mut has_edge = vec![false; n];
    let mut errors: Vec<RowError> = Vec::new();
    let mut edge_rows = 0u64;
    lc_tables::stream_edges(edges_path, |r| {
        edge_rows += 1;
        let ends = [("from", r.from), ("to", r.to)].map(|(field, id)| {
            let found = index.get(&id).copied();
            if found.is_none() && errors.len() < MAX_ROW_ERRORS {
                errors.push(RowError {
                    file: edges_file.clone(),
                    line: r.line,
                    field: Some(field.into()),
                    message: format!(
                        "节点 {id} 不在 {nodes_file} 中 node {id} is not in {nodes_file}"
                    ),
                });
            }
            found
        });
        let [Some(a), Some(b)] = ends else { return };
        if a == b {
            return;
        }
        has_edge[a as usize] = true;
        has_edge[b as usize] = true;
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        if ra != rb {
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            parent[hi as usize] = lo;
        }
    })?;
    rows_error(&edges_file, errors)?;
    let mut size = vec![0u32; n];
    for x in 0..n as u32 {
        if has_edge[x as usize] {
            let r = find(&mut parent, x);
            size[r as usize] += 1;
        }
    }
    let components = size.iter().filter(|&&s| s > 0).count();
    if components == 0 {
        return Err(PipelineError::Network {
            source_label: format!("{nodes_file} + {edges_file}"),
            reason: NetworkError::Empty(format!(
                "读入 {n} 个节点和 {edge_rows} 条边，但没有一条边连接两个不同的节点 {} and {} were read, but no edge joins two different nodes",
                lc_model::count(n, "node"),
                lc_model::count(edge_rows as usize, "edge"),
            )),
        });
    }
    let largest = size
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)))
        .map(|(i, _)| i as u32)
        .unwrap_or(0);
    drop(size);
    let mut kept = vec![false; n];
    let mut dropped = Vec::new();
    for x in 0..n {
        if has_edge[x] {
            if keep_all_components || find(&mut parent, x as u32) == largest {
                kept[x] = true;
            } else {
                dropped.push(ids[x]);
            }
        }
    }
    drop(parent);
    drop(has_edge);
    let graph_nodes = kept.iter().filter(|&&k| k).count();
    let lat = projection_latitude(
        coords
            .iter()
            .zip(&kept)
            .filter(|(_, &k)| k)
            .map(|(c, _)| c.lat),
        graph_nodes,
    );
    let proj = Proj::at(lat);

    // The longest kept edge and the shortest length per projected metre.
    let mut max_edge_m: f64 = 0.0;
    let mut min_ratio = f64::INFINITY;
    lc_tables::stream_edges(edges_path, |r| {
        let (Some(&a), Some(&b)) = (index.get(&r.from), index.get(&r.to)) else {
            return;
        };
        if a == b || !kept[a as usize] || !kept[b as usize] {
            return;
        }
        let ([ax, ay], [bx, by]) = (proj.fwd(coords[a as usize]), proj.fwd(coords[b as usize]));
        let len = ((ax - bx).powi(2) + (ay - by).powi(2)).sqrt();
        max_edge_m = max_edge_m.max(len);
        if len > 1.0 {
            min_ratio = min_ratio.min(r.length_m / len);
        }
    })?;
    Ok((
        NetworkFacts {
            nodes: n as u64,
            edges: edge_rows,
            graph_nodes: graph_nodes as u64,
            components: components as u64,
            dropped_nodes: dropped.len() as u64,
            dropped_nodes_file: PathBuf::new(),
            projection_lat: lat,
            max_edge_m,
            min_length_ratio: if min_ratio.is_finite() {
                min_ratio
            } else {
                1.0
            },
        },
        dropped,
    ))
}

fn rows_error(file: &str, errors: Vec<RowError>) -> Result<(), PipelineError> {
    if errors.is_empty() {
        return Ok(());
    }
    let stopped_at = (errors.len() >= MAX_ROW_ERRORS).then(|| errors[errors.len() - 1].line);
    Err(PipelineError::Table(TableError::Rows {
        file: file.to_string(),
        errors,
        stopped_at,
    }))
}

fn find(parent: &mut [u32], mut x: u32) -> u32 {
    while parent[x as usize] != x {
        let p = parent[x as usize];
        parent[x as usize] = parent[p as usize];
        x = p;
    }
    x
}

/// The snapping reach of a part whose nodes lie in `nodes_box`: the largest projected
/// distance at which a point can be placed there (snap limit × the projection's overstatement
/// at those latitudes, widened by the snap limit, + 1 m).
pub(crate) fn snap_reach(proj: &Proj, nodes_box: &Rect, snap_limit: f64) -> f64 {
    let (lat0, lat1) = nodes_box.grow(2.0 * snap_limit + 1000.0).lat_range(proj);
    snap_limit * proj.overstatement(lat0, lat1) + 1.0
}

/// The first halo of a part whose communities lie in `region_box`.
pub(crate) fn first_halo(
    proj: &Proj,
    region_box: &Rect,
    facts: &NetworkFacts,
    opts: &RunOptions,
) -> f64 {
    let l = facts.max_edge_m;
    let rho = facts.min_length_ratio.clamp(0.5, 1.0);
    let radius = opts.reach();
    // The reach depends on the latitudes the extent spans; estimate them generously.
    let guess = radius / rho + 2.0 * l + 4.0 * opts.snap_limit + 1000.0;
    let s = snap_reach(proj, &region_box.grow(guess), opts.snap_limit);
    radius / rho + 3.0 * s + 1.5 * l + 10.0
}

/// Plans a partitioned run: validates the inputs, analyses the network, groups the
/// communities into regions and makes one job per region. Writes nothing ([`write_plan`]
/// does).
pub fn plan(req: &PlanRequest, obs: &dyn Observer) -> Result<Plan, PipelineError> {
    let mut timings = Timings::new();
    let mut steps = Stepper {
        obs,
        timings: &mut timings,
    };
    let options = RunOptions {
        k: req.k,
        max_distance: req.max_distance,
        circles: req.circles.clone(),
        categories: Vec::new(),
        snap: RunOptions::snap_key(req.snap).into(),
        snap_limit: req.snap_limit,
        keep_all_components: req.keep_all_components,
        counts: req.counts,
        walk_speed_m_per_min: req.walk_speed_m_per_min,
        pairs: None,
    };
    let inputs = Inputs {
        nodes: FileStamp::of(&req.nodes)?,
        edges: FileStamp::of(&req.edges)?,
        communities: FileStamp::of(&req.communities)?,
        facilities: FileStamp::of(&req.facilities)?,
        crs: crs_key(req.crs).into(),
    };
    let communities = lc_tables::read_communities(&req.communities, req.crs)?;
    let facilities = lc_tables::read_facilities(&req.facilities, req.crs)?;
    crate::place::require_points(
        &req.communities,
        ("社区", "community"),
        communities.len(),
        0,
        req.snap_limit,
        "compute",
    )?;
    // The categories as the whole run takes them: the chosen ones, or those present.
    let selected = crate::access::select_categories(
        req.categories.as_deref(),
        facilities.iter().map(|f| f.category),
    );
    let pairs = match &req.pairs {
        PairsRequest::None => None,
        // As `run_access` decides them: a capacity unit, and a facility with a capacity.
        PairsRequest::Ratios { catchment_m } => Some(Pairs {
            catchment_m: *catchment_m,
            categories: selected
                .iter()
                .map(|c| {
                    c.info().capacity_unit.is_some()
                        && facilities
                            .iter()
                            .any(|f| f.category == *c && f.capacity.is_some())
                })
                .collect(),
            ratios: true,
        }),
        PairsRequest::Pairs {
            catchment_m,
            categories,
        } => Some(Pairs {
            catchment_m: *catchment_m,
            categories: categories.clone(),
            ratios: false,
        }),
    };
    let options = RunOptions {
        categories: selected.iter().map(|c| c.key().to_string()).collect(),
        pairs,
        ..options
    };
    options.check()?;

    let (mut facts, dropped) = steps.run(Step::ReadNetwork, None, |_| {
        analyse_network(&req.nodes, &req.edges, req.keep_all_components)
    })?;
    std::fs::create_dir_all(&req.out_dir).map_err(|reason| PipelineError::Io {
        path: req.out_dir.clone(),
        reason,
    })?;
    let out_dir = std::fs::canonicalize(&req.out_dir).map_err(|reason| PipelineError::Io {
        path: req.out_dir.clone(),
        reason,
    })?;
    facts.dropped_nodes_file = out_dir.join(DROPPED_FILE);
    let proj = Proj::at(facts.projection_lat);

    let groups = regions(req.scheme, &communities, &proj);
    let plan_id = plan_id(&inputs, &options, req.scheme, &facts);
    let mut jobs = Vec::with_capacity(groups.len());
    let mut parts = Vec::with_capacity(groups.len());
    for (i, (region, members)) in groups.into_iter().enumerate() {
        let mut rb = Rect::empty();
        for &m in &members {
            rb.add(proj.fwd(communities[m].pos));
        }
        let halo_m = first_halo(&proj, &rb, &facts, &options);
        let part = format!("part-{:04}", i + 1);
        let output = out_dir.join(&part);
        parts.push(PlannedPart {
            part: part.clone(),
            job: out_dir.join(format!("{part}.json")),
            output: output.clone(),
            region: region.clone(),
            communities: members.len() as u64,
            halo_m,
        });
        jobs.push(PartJob {
            version: JOB_VERSION,
            plan_id: plan_id.clone(),
            part,
            region,
            communities: members.len() as u64,
            halo_m,
            inputs: inputs.clone(),
            options: options.clone(),
            network: facts.clone(),
            output,
        });
    }
    Ok(Plan {
        file: PlanFile {
            version: JOB_VERSION,
            plan_id,
            scheme: req.scheme,
            communities: communities.len() as u64,
            inputs,
            options,
            network: facts,
            parts,
        },
        jobs,
        dropped,
        timings,
    })
}

/// The communities of each region, in input order; regions in code order (communities
/// without a code last) or by grid row and column.
pub(crate) fn regions(
    scheme: Scheme,
    communities: &[Community],
    proj: &Proj,
) -> Vec<(Region, Vec<usize>)> {
    // Keyed by (no code, prefix, row, column).
    type Key = (bool, String, i64, i64);
    let mut groups: BTreeMap<Key, (Region, Vec<usize>)> = BTreeMap::new();
    for (i, c) in communities.iter().enumerate() {
        let region = Region::of(scheme, c, proj.fwd(c.pos));
        let key = match &region {
            Region::Division { prefix, .. } => {
                (prefix.is_none(), prefix.clone().unwrap_or_default(), 0, 0)
            }
            Region::Grid { col, row, .. } => (false, String::new(), *row, *col),
        };
        groups
            .entry(key)
            .or_insert_with(|| (region, Vec::new()))
            .1
            .push(i);
    }
    groups.into_values().collect()
}

/// A stable id of a plan: FNV-1a over its inputs, options and network facts.
fn plan_id(inputs: &Inputs, options: &RunOptions, scheme: Scheme, facts: &NetworkFacts) -> String {
    let text = serde_json::to_string(&(inputs, options, scheme, facts)).unwrap_or_default();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Writes the plan into its folder: `plan.json`, `dropped-nodes.txt` and one
/// `part-NNNN.json` per part. Returns the job files.
pub fn write_plan(plan: &Plan) -> Result<Vec<PathBuf>, PipelineError> {
    let mut text = String::with_capacity(plan.dropped.len() * 12);
    for id in &plan.dropped {
        text.push_str(&id.to_string());
        text.push('\n');
    }
    lc_tables::write_atomic(&plan.file.network.dropped_nodes_file, |w| {
        w.write_all(text.as_bytes())
    })?;
    let mut files = Vec::with_capacity(plan.jobs.len());
    for (job, part) in plan.jobs.iter().zip(&plan.file.parts) {
        write_json(&part.job, job)?;
        files.push(part.job.clone());
    }
    let dir = plan
        .file
        .network
        .dropped_nodes_file
        .parent()
        .unwrap_or(Path::new("."));
    write_json(&dir.join(PLAN_FILE), &plan.file)?;
    Ok(files)
}
