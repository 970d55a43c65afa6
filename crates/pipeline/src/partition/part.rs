//! Running one part: read the extent, build, snap, compute, check exactness, grow if needed.

use super::geom::{Proj, Rect};
use super::plan::snap_reach;
use super::{Pairs, PartJob, PartManifest, Region, Scheme, JOB_VERSION, REVERSE_MARGIN_M};
use crate::observer::{Step, Stepper};
use crate::place::{place_items, Placed};
use crate::{Observer, PipelineError, Timings};
use lc_access::{two_step_fca, AccessConfig, CommunityAccess, TwoStep};
use lc_model::{Category, Community, Facility};
use lc_network::{
    Anchor, BuildOptions, Graph, NetworkError, RawEdge, RawNetwork, Snapper, NO_EDGE,
};
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
    /// With the ratios: the communities outside the region searched because they reach a
    /// facility that a community of the region reaches.
    #[serde(default)]
    pub ratio_communities: u64,
}

/// A part's two-step capacity ratios (2SFCA), exactly the whole run's for its communities.
#[derive(Debug, Clone)]
pub struct PartRatios {
    /// The catchment, metres.
    pub catchment_m: f64,
    /// Per category of the run: whether it has ratios.
    pub categories: Vec<bool>,
    /// One row per community of the region (`n_categories` = the run's categories);
    /// `facility_ratio` is left empty (a part knows the load of only the facilities its own
    /// communities reach).
    pub two_step: TwoStep,
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
    /// Each of those facilities' index among `facilities.csv`'s rows.
    pub facility_indices: Vec<u64>,
    /// Per community of the region: placed on the network.
    pub community_placed: Vec<bool>,
    /// The categories reported (`Found::category` indexes this list).
    pub selected: Vec<Category>,
    /// One result per community of the region, as the whole run computes it.
    pub results: Vec<CommunityAccess>,
    /// How many of the region's communities were placed on the network.
    pub placed: u64,
    /// The 2SFCA ratios, when the run computes them.
    pub ratios: Option<PartRatios>,
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
    // With the ratios, the other communities may reach the region's facilities: kept.
    let ratio_pairs = opts.ratio_pairs().cloned();
    let want_ratios = opts.pairs.as_ref().filter(|p| p.ratios);
    let mut in_region = vec![false; all_communities.len()];
    for &i in &indices {
        in_region[i as usize] = true;
    }
    let others: Vec<(u64, Community)> = match ratio_pairs {
        Some(_) => all_communities
            .into_iter()
            .enumerate()
            .filter(|(i, _)| !in_region[*i])
            .map(|(i, c)| (i as u64, c))
            .collect(),
        None => Vec::new(),
    };
    drop(in_region);
    let mut dense = vec![u16::MAX; Category::count()];
    for (i, c) in selected.iter().enumerate() {
        dense[c.index()] = i as u16;
    }
    let candidates: Vec<(u64, Facility)> = all_facilities
        .into_iter()
        .enumerate()
        .filter(|(_, f)| dense[f.category.index()] != u16::MAX)
        .map(|(i, f)| (i as u64, f))
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
        let (facility_indices, facilities): (Vec<u64>, Vec<Facility>) = candidates
            .iter()
            .filter(|(_, f)| trusted.contains(proj.fwd(f.pos)))
            .cloned()
            .unzip();
        let n_cat = selected.len();
        let Some(graph) = graph else {
            // No edge near the region: no community can be placed (an edge within the snapping
            // reach of one would have an end in the extent).
            let empty = CommunityAccess {
                counts: vec![0; n_cat * cfg.circles.len()],
                ..Default::default()
            };
            // Nothing placed, nothing reached: the whole run's ratios are zeros too.
            let ratios = want_ratios.map(|p| zero_ratios(p, communities.len(), n_cat));
            return Ok(PartOutput {
                job: job.clone(),
                results: vec![empty; communities.len()],
                community_placed: vec![false; communities.len()],
                indices,
                communities,
                facilities,
                facility_indices,
                selected,
                placed: 0,
                ratios,
                stats: PartStats {
                    nodes_read,
                    halo_m: halo,
                    attempts: attempt,
                    timings: seconds(&timings),
                    ..Default::default()
                },
            });
        };
        // With the ratios, the other communities inside the trusted extent are placed too
        // (they snap there exactly as in the whole run, as the facilities do).
        let near: Vec<&(u64, Community)> = others
            .iter()
            .filter(|(_, c)| trusted.contains(proj.fwd(c.pos)))
            .collect();
        let (c_placed, f_placed, near_placed) = steps.run(Step::Place, None, |_| {
            let snapper = Snapper::with_latitude(&graph, mode, facts.projection_lat);
            let c = place_items(&snapper, &communities, |c| c.pos, opts.snap_limit);
            let f = place_items(&snapper, &facilities, |f| f.pos, opts.snap_limit);
            let n = place_items(&snapper, &near, |c| c.1.pos, opts.snap_limit);
            Ok((c, f, n))
        })?;
        let category: Vec<u16> = facilities
            .iter()
            .map(|f| dense[f.category.index()])
            .collect();
        let results = steps.run(Step::Access, Some(communities.len() as u64), |obs| {
            let targets = crate::access::targets(&graph, &facilities, &f_placed, &category, n_cat);
            crate::access::search(&graph, &targets, &c_placed, &cfg, obs)
        })?;
        let reached = ball(&graph, c_placed.anchors.iter().flatten(), radius, &proj).0;
        let mut exact =
            trusted.contains_rect(&region_box) && trusted.contains_rect(&reached.grow(s));
        // Ratios asked for, but no category has a capacity: the whole run's file has no rows.
        let mut ratios = match (&ratio_pairs, want_ratios) {
            (None, Some(p)) => Some(zero_ratios(p, communities.len(), n_cat)),
            _ => None,
        };
        let mut ratio_communities = 0;
        if let (true, Some(p)) = (exact, &ratio_pairs) {
            match region_ratios(
                &RatioInputs {
                    graph: &graph,
                    pairs: p,
                    selected: &selected,
                    facilities: &facilities,
                    facilities_placed: &f_placed,
                    category: &category,
                    proj: &proj,
                },
                (&indices, &communities, &results),
                (&near, &near_placed),
                |b| trusted.contains_rect(&b.grow(s)),
            )? {
                Some((r, n)) => {
                    ratios = Some(r);
                    ratio_communities = n;
                }
                None => exact = false,
            }
        }
        if exact {
            let stats = PartStats {
                nodes_read,
                graph_nodes: graph.node_count() as u64,
                graph_edges: graph.edge_count() as u64,
                facilities: facilities.len() as u64,
                halo_m: halo,
                attempts: attempt,
                timings: Default::default(),
                ratio_communities,
            };
            let placed = c_placed.placed() as u64;
            return Ok(PartOutput {
                job: job.clone(),
                community_placed: c_placed.anchors.iter().map(|a| a.is_some()).collect(),
                indices,
                communities,
                facilities,
                facility_indices,
                selected,
                results,
                placed,
                ratios,
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

/// The box of every node a walk within `radius` from the placed points reaches, with their
/// neighbours and the ends of the points' own edges: one bounded search from all the points
/// at once (a node is reached from some point within the radius exactly when its distance from
/// the nearest one is), with the access search's start rule. With it, each node's distance
/// from the nearest point (infinite beyond the radius).
fn ball<'a>(
    graph: &Graph,
    anchors: impl Iterator<Item = &'a Anchor>,
    radius: f64,
    proj: &Proj,
) -> (Rect, Vec<f64>) {
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
    for a in anchors {
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
    (b, dist)
}

/// Ratios of communities that reach no facility: zeros.
fn zero_ratios(p: &Pairs, communities: usize, n_cat: usize) -> PartRatios {
    PartRatios {
        catchment_m: p.catchment_m,
        categories: p.categories.clone(),
        two_step: TwoStep {
            n_categories: n_cat,
            ratio: vec![0.0; communities * n_cat],
            supply: vec![0.0; communities * n_cat],
            facilities: vec![0; communities * n_cat],
            facility_ratio: Vec::new(),
        },
    }
}

/// What the ratios of a part are computed from.
struct RatioInputs<'a> {
    graph: &'a Graph,
    pairs: &'a Pairs,
    selected: &'a [Category],
    facilities: &'a [Facility],
    facilities_placed: &'a Placed,
    category: &'a [u16],
    proj: &'a Proj,
}

/// The region's communities' 2SFCA ratios, the same numbers as the whole run's, with how many
/// communities outside the region were searched; `None` when the part's extent cannot
/// guarantee them (`inside` refuses the box of the search from the facilities): the halo must
/// grow. See the module's documentation for why the result is exact.
///
/// `region`: the region's communities' input indices, the communities and their results (the
/// whole run's, pairs included); `near`: the other communities inside the trusted extent, with
/// their input indices, and their places.
#[allow(clippy::type_complexity)]
fn region_ratios(
    x: &RatioInputs<'_>,
    region: (&[u64], &[Community], &[CommunityAccess]),
    near: (&[&(u64, Community)], &Placed),
    inside: impl Fn(&Rect) -> bool,
) -> Result<Option<(PartRatios, u64)>, PipelineError> {
    let (r_idx, r_comm, r_res) = region;
    let (near, near_placed) = near;
    let n_cat = x.selected.len();
    // F1: the facilities the region's communities reach within the catchment.
    let mut in_f1 = vec![false; x.facilities.len()];
    for r in r_res {
        for &(f, _) in &r.pairs {
            in_f1[f as usize] = true;
        }
    }
    let f1_anchors: Vec<&Anchor> = (0..x.facilities.len())
        .filter(|&f| in_f1[f])
        .filter_map(|f| x.facilities_placed.anchors[f].as_ref())
        .collect();
    let f1_edges: FxHashSet<u32> = f1_anchors
        .iter()
        .filter(|a| a.edge != NO_EDGE)
        .map(|a| a.edge)
        .collect();
    // Every node within the catchment (and a margin) of one of them, from the facilities'
    // side: a community reaching one of them has an end of its edge among these nodes, or
    // stands on the facility's own edge.
    let reach = x.pairs.catchment_m + lc_network::DISTANCE_TOLERANCE_M + REVERSE_MARGIN_M;
    let (b, dist) = ball(x.graph, f1_anchors.iter().copied(), reach, x.proj);
    if !inside(&b) {
        return Ok(None);
    }
    let mut found: Vec<Option<Anchor>> = Vec::new();
    let mut found_idx: Vec<usize> = Vec::new();
    for (k, a) in near_placed.anchors.iter().enumerate() {
        let Some(a) = a else { continue };
        let on_edge = a.edge != NO_EDGE;
        if dist[a.u as usize].is_finite()
            || (on_edge && (dist[a.v as usize].is_finite() || f1_edges.contains(&a.edge)))
        {
            found.push(Some(*a));
            found_idx.push(k);
        }
    }
    // Their pairs within the catchment (a search of the catchment's radius finds the same
    // distances up to it as the whole run's longer one).
    let cfg = AccessConfig {
        k: 1,
        max_distance: 0.0,
        circles: Vec::new(),
        catchment: Some(x.pairs.catchment_m),
        pair_categories: x.pairs.categories.clone(),
    };
    let targets = crate::access::targets(
        x.graph,
        x.facilities,
        x.facilities_placed,
        x.category,
        n_cat,
    );
    let searched = crate::access::search(
        x.graph,
        &targets,
        &Placed {
            anchors: found,
            ..Default::default()
        },
        &cfg,
        &crate::Silent,
    )?;
    // Every community in input order, as the whole run sums the facilities' demand.
    let mut all: Vec<(u64, &Community, &[(u32, f64)], Option<usize>)> = r_idx
        .iter()
        .zip(r_comm)
        .zip(r_res)
        .enumerate()
        .map(|(j, ((&i, c), r))| (i, c, &r.pairs[..], Some(j)))
        .collect();
    for (k, r) in found_idx.iter().zip(&searched) {
        let (i, c) = near[*k];
        all.push((*i, c, &r.pairs[..], None));
    }
    all.sort_unstable_by_key(|e| e.0);
    let pairs: Vec<Vec<(u32, f64)>> = all.iter().map(|e| e.2.to_vec()).collect();
    let capacity: Vec<f64> = x
        .facilities
        .iter()
        .map(|f| f.capacity.unwrap_or(f64::NAN))
        .collect();
    let t = two_step_fca(&pairs, x.category, &capacity, n_cat, |i, c| {
        all[i].1.demand(x.selected[c as usize].info().demand).0
    });
    // The region's rows, in the region's order.
    let mut out = TwoStep {
        n_categories: n_cat,
        ratio: vec![0.0; r_idx.len() * n_cat],
        supply: vec![0.0; r_idx.len() * n_cat],
        facilities: vec![0; r_idx.len() * n_cat],
        facility_ratio: Vec::new(),
    };
    for (row, e) in all.iter().enumerate() {
        if let Some(j) = e.3 {
            let (from, to) = (row * n_cat, j * n_cat);
            out.ratio[to..to + n_cat].copy_from_slice(&t.ratio[from..from + n_cat]);
            out.supply[to..to + n_cat].copy_from_slice(&t.supply[from..from + n_cat]);
            out.facilities[to..to + n_cat].copy_from_slice(&t.facilities[from..from + n_cat]);
        }
    }
    Ok(Some((
        PartRatios {
            catchment_m: x.pairs.catchment_m,
            categories: x.pairs.categories.clone(),
            two_step: out,
        },
        found_idx.len() as u64,
    )))
}
