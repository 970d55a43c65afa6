//! Running one part: read the extent, build, snap, compute, check exactness, grow if needed.

use super::geom::{Proj, Rect};
use super::plan::snap_reach;
use super::{PartJob, PartManifest, Region, Scheme, JOB_VERSION};
use crate::observer::{Step, Stepper};
use crate::place::{place_items, Placed};
use crate::{Observer, PipelineError, Timings};
use lc_access::CommunityAccess;
use lc_model::{Category, Community, Facility};
use lc_network::{BuildOptions, Graph, NetworkError, RawEdge, RawNetwork, Snapper, NO_EDGE};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::Path;

/// How many times a part doubles its halo before it gives up.
const MAX_ATTEMPTS: u32 = 6;

/// How a part went.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartStats {
    /// Nodes read from `nodes.csv` (those in the part's extent), in the last attempt.
    pub nodes_read: u64,
    /// Nodes of the part's graph.
    pub graph_nodes: u64,
    /// Edges of the part's graph.
    pub graph_edges: u64,
    /// Facilities taken into the part.
    pub facilities: u64,
    /// The halo the exact result needed, metres.
    pub halo_m: f64,
    /// Runs made (1 when the planned halo sufficed; each further one doubled it).
    pub attempts: u32,
    /// Seconds per step (summed over the attempts).
    pub timings: std::collections::BTreeMap<String, f64>,
}

/// A part's results.
#[derive(Debug)]
pub struct PartOutput {
    /// The job.
    pub job: PartJob,
    /// The region's communities' indices among `communities.csv`'s rows, in input order.
    pub indices: Vec<u64>,
    /// Those communities.
    pub communities: Vec<Community>,
    /// The facilities of the part (`Found::facility` indexes this list).
    pub facilities: Vec<Facility>,
    /// The categories reported (`Found::category` indexes this list).
    pub selected: Vec<Category>,
    /// One result per community of the region, as the whole run computes it.
    pub results: Vec<CommunityAccess>,
    /// How many of the region's communities were placed on the network.
    pub placed: u64,
    /// How the part went.
    pub stats: PartStats,
}

impl PartOutput {
    /// The manifest the merge reads.
    pub fn manifest(&self) -> PartManifest {
        PartManifest {
            version: JOB_VERSION,
            plan_id: self.job.plan_id.clone(),
            part: self.job.part.clone(),
            communities: self
                .indices
                .iter()
                .zip(&self.communities)
                .map(|(&i, c)| (i, c.id.clone()))
                .collect(),
            placed: self.placed,
            stats: self.stats.clone(),
        }
    }
}

/// Runs one part (`job_file`: where the job was read from, for messages). Reads the point
/// files and streams the network tables, keeping only the part's extent; the result holds
/// the region's communities exactly as the whole run computes them (see the module's
/// documentation for why), or an error.
pub fn run_part(
    job: &PartJob,
    job_file: &Path,
    obs: &dyn Observer,
) -> Result<PartOutput, PipelineError> {
    let mut timings = Timings::new();
    for stamp in [
        &job.inputs.nodes,
        &job.inputs.edges,
        &job.inputs.communities,
        &job.inputs.facilities,
    ] {
        stamp.check(job_file)?;
    }
    let opts = &job.options;
    let mode = opts.snap_mode()?;
    let crs = job.inputs.crs()?;
    let facts = &job.network;
    let proj = Proj::at(facts.projection_lat);
    let mut selected = Vec::with_capacity(opts.categories.len());
    for key in &opts.categories {
        selected.push(Category::from_key(key).map_err(|e| PipelineError::Job {
            file: job_file.to_path_buf(),
            field: "options.categories".into(),
            reason: e.to_string(),
        })?);
    }

    let mut steps = Stepper {
        obs,
        timings: &mut timings,
    };
    let (all_communities, all_facilities, dropped) = steps.run(Step::ReadNetwork, None, |_| {
        let c = lc_tables::read_communities(&job.inputs.communities.path, crs)?;
        let f = lc_tables::read_facilities(&job.inputs.facilities.path, crs)?;
        let d = read_dropped(&facts.dropped_nodes_file)?;
        Ok((c, f, d))
    })?;
    let scheme = match job.region {
        Region::Division { digits, .. } => Scheme::Division { digits },
        Region::Grid { cell_m, .. } => Scheme::Grid { cell_m },
    };
    let mut indices = Vec::new();
    let mut region_box = Rect::empty();
    for (i, c) in all_communities.iter().enumerate() {
        let xy = proj.fwd(c.pos);
        if Region::of(scheme, c, xy) == job.region {
            indices.push(i as u64);
            region_box.add(xy);
        }
    }
    if indices.len() as u64 != job.communities {
        return Err(PipelineError::Partition(format!(
            "{}: 区域 {} 有 {} 个社区，规划时为 {} 个 region {} has {} communities, the plan found {}; plan again",
            job_file.display(),
            job.region.label(),
            indices.len(),
            job.communities,
            job.region.label(),
            indices.len(),
            job.communities
        )));
    }
    let communities: Vec<Community> = indices
        .iter()
        .map(|&i| all_communities[i as usize].clone())
        .collect();
    drop(all_communities);
    let mut dense = vec![u16::MAX; Category::count()];
    for (i, c) in selected.iter().enumerate() {
        dense[c.index()] = i as u16;
    }
    let candidates: Vec<Facility> = all_facilities
        .into_iter()
        .filter(|f| dense[f.category.index()] != u16::MAX)
        .collect();

    let cfg = opts.access_config();
    let radius = cfg.radius();
    let l = facts.max_edge_m;
    let mut halo = job.halo_m;
    for attempt in 1..=MAX_ATTEMPTS {
        let extent = region_box.grow(halo);
        let read_box = extent.grow(l + 1.0);
        let s = snap_reach(&proj, &read_box, opts.snap_limit);
        let trusted = extent.grow(-(s + l / 2.0 + 1.0));
        let (raw, nodes_read) = steps.run(Step::ReadNetwork, None, |_| {
            read_extent(job, &proj, &read_box, &dropped)
        })?;
        let graph = steps.run(Step::BuildNetwork, None, |_| {
            match Graph::build(
                &raw,
                BuildOptions {
                    keep_largest_component: false,
                },
            ) {
                Ok((g, _)) => Ok(Some(g)),
                Err(NetworkError::Empty(_)) => Ok(None),
                Err(reason) => Err(PipelineError::Network {
                    source_label: job.part.clone(),
                    reason,
                }),
            }
        })?;
        drop(raw);
        let facilities: Vec<Facility> = candidates
            .iter()
            .filter(|f| trusted.contains(proj.fwd(f.pos)))
            .cloned()
            .collect();
        let n_cat = selected.len();
        let Some(graph) = graph else {
            // No edge near the region: no community can be placed (an edge within the snapping
            // reach of one would have an end in the extent).
            let empty = CommunityAccess {
                counts: vec![0; n_cat * cfg.circles.len()],
                ..Default::default()
            };
            return Ok(PartOutput {
                job: job.clone(),
                results: vec![empty; communities.len()],
                indices,
                communities,
                facilities,
                selected,
                placed: 0,
                stats: PartStats {
                    nodes_read,
                    halo_m: halo,
                    attempts: attempt,
                    timings: seconds(&timings),
                    ..Default::default()
                },
            });
        };
        let (c_placed, f_placed) = steps.run(Step::Place, None, |_| {
            let snapper = Snapper::with_latitude(&graph, mode, facts.projection_lat);
            let c = place_items(&snapper, &communities, |c| c.pos, opts.snap_limit);
            let f = place_items(&snapper, &facilities, |f| f.pos, opts.snap_limit);
            Ok((c, f))
        })?;
        let category: Vec<u16> = facilities
            .iter()
            .map(|f| dense[f.category.index()])
            .collect();
        let results = steps.run(Step::Access, Some(communities.len() as u64), |obs| {
            let targets = crate::access::targets(&graph, &facilities, &f_placed, &category, n_cat);
            crate::access::search(&graph, &targets, &c_placed, &cfg, obs)
        })?;
        let reached = reached_box(&graph, &c_placed, radius, &proj);
        if trusted.contains_rect(&region_box) && trusted.contains_rect(&reached.grow(s)) {
            let stats = PartStats {
                nodes_read,
                graph_nodes: graph.node_count() as u64,
                graph_edges: graph.edge_count() as u64,
                facilities: facilities.len() as u64,
                halo_m: halo,
                attempts: attempt,
                timings: Default::default(),
            };
            let placed = c_placed.placed() as u64;
            return Ok(PartOutput {
                job: job.clone(),
                indices,
                communities,
                facilities,
                selected,
                results,
                placed,
                stats: PartStats {
                    timings: seconds(&timings),
                    ..stats
                },
            });
        }
        tracing::info!(
            "{}: halo {halo:.0} m is not enough (a walk within {radius:.0} m reaches beyond the trusted extent); doubling",
            job.part
        );
        halo *= 2.0;
    }
    Err(PipelineError::Partition(format!(
        "{}: 光环扩大 {MAX_ATTEMPTS} 次后仍不足以保证精确（边长远短于直线距离？）the halo was doubled {MAX_ATTEMPTS} times and a walk still leaves the part's extent (edges much shorter than their straight line?); run this region whole",
        job_file.display()
    )))
}

fn seconds(t: &Timings) -> std::collections::BTreeMap<String, f64> {
    t.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

/// The ids of the nodes the whole graph drops, one per line.
fn read_dropped(path: &Path) -> Result<FxHashSet<i64>, PipelineError> {
    let text = std::fs::read_to_string(path).map_err(|reason| PipelineError::Io {
        path: path.to_path_buf(),
        reason,
    })?;
    let mut set = FxHashSet::default();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let id = line.parse::<i64>().map_err(|_| PipelineError::Job {
            file: path.to_path_buf(),
            field: format!("line {}", i + 1),
            reason: format!("'{}' 不是节点编号 is not a node id", lc_model::quote(line)),
        })?;
        set.insert(id);
    }
    Ok(set)
}

/// Streams the network tables, keeping the nodes in `read_box` (not dropped by the whole
/// graph) and the edges between two of them, in file order.
fn read_extent(
    job: &PartJob,
    proj: &Proj,
    read_box: &Rect,
    dropped: &FxHashSet<i64>,
) -> Result<(RawNetwork, u64), PipelineError> {
    let mut raw = RawNetwork::default();
    let mut index: FxHashMap<i64, u32> = FxHashMap::default();
    lc_tables::stream_nodes(&job.inputs.nodes.path, |r| {
        if read_box.contains(proj.fwd(r.pos)) && !dropped.contains(&r.id) {
            index.insert(r.id, raw.node_ids.len() as u32);
            raw.node_ids.push(r.id);
            raw.coords.push(r.pos);
        }
    })?;
    lc_tables::stream_edges(&job.inputs.edges.path, |r| {
        if let (Some(&from), Some(&to)) = (index.get(&r.from), index.get(&r.to)) {
            raw.edges.push(RawEdge {
                from,
                to,
                length_m: r.length_m,
            });
        }
    })?;
    let n = raw.node_ids.len() as u64;
    Ok((raw, n))
}

/// The box of every node a walk within `radius` from a placed community reaches, with their
/// neighbours and the ends of the communities' own edges: one bounded search from all the
/// communities at once (a node is reached from some community within the radius exactly when
/// its distance from the nearest one is), with the access search's start rule.
fn reached_box(graph: &Graph, placed: &Placed, radius: f64, proj: &Proj) -> Rect {
    let n = graph.node_count();
    let mut dist = vec![f64::INFINITY; n];
    let mut heap: BinaryHeap<Reverse<(u64, u32)>> = BinaryHeap::new();
    let mut b = Rect::empty();
    fn start(
        node: u32,
        d: f64,
        radius: f64,
        dist: &mut [f64],
        heap: &mut BinaryHeap<Reverse<(u64, u32)>>,
    ) {
        let d = if d > 0.0 { d } else { 0.0 };
        if d <= radius && d < dist[node as usize] {
            dist[node as usize] = d;
            heap.push(Reverse((d.to_bits(), node)));
        }
    }
    for a in placed.anchors.iter().flatten() {
        b.add(proj.fwd(graph.coord(a.u)));
        b.add(proj.fwd(graph.coord(a.v)));
        start(a.u, a.du, radius, &mut dist, &mut heap);
        if a.edge != NO_EDGE {
            start(a.v, a.dv, radius, &mut dist, &mut heap);
        }
    }
    let mut settled = vec![false; n];
    while let Some(Reverse((k, x))) = heap.pop() {
        let d = f64::from_bits(k);
        if settled[x as usize] || d > dist[x as usize] {
            continue;
        }
        settled[x as usize] = true;
        b.add(proj.fwd(graph.coord(x)));
        for (y, len) in graph.neighbours(x) {
            b.add(proj.fwd(graph.coord(y)));
            let nd = d + len;
            if nd <= radius && nd < dist[y as usize] {
                dist[y as usize] = nd;
                heap.push(Reverse((nd.to_bits(), y)));
            }
        }
    }
    b
}
