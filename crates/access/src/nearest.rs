//! Access for every community: the k nearest facilities of each category within a maximum
//! network distance, the number of facilities within each circle, and (optionally) every
//! community–facility pair within a catchment for capacity ratios.
//!
//! The work is one bounded Dijkstra per community, run in parallel. A facility on an edge is
//! attached to both ends of its edge with its offsets; its distance is the smaller of the two
//! ways round, or the direct distance along the edge when community and facility share it.

use crate::search::Search;
use lc_network::{within, Anchor, Graph, NO_EDGE};
use rayon::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Facilities placed on the graph, indexed for the search.
///
/// Inside, placed facilities are renumbered in the order the graph's nodes first meet them
/// ("local" numbers): a search that settles neighbouring nodes then offers facilities with
/// neighbouring numbers, so its per-facility scratch (`best`) is touched in a few cache lines
/// instead of at random over millions. Results carry the caller's numbers (`facility[l]`).
pub struct Targets {
    n_categories: usize,
    /// By local number: the caller's index, category and tie rank.
    facility: Vec<u32>,
    category: Vec<u16>,
    tie_rank: Vec<u32>,
    att_first: Vec<u32>,
    /// Local numbers of the facilities attached at each node (`att_first[x]..att_first[x+1]`).
    att_fac: Vec<u32>,
    att_off: Vec<f64>,
    /// Facilities on edges, sorted by edge: `(edge, local number, offset from the edge's
    /// first node)` (one flat vector: a map of small vectors cost a heap block per edge).
    on_edge: Vec<(u32, u32, f64)>,
}

impl Targets {
    /// Indexes facilities.
    ///
    /// - `anchors[f]`: where facility `f` sits, or `None` if it was not placed (too far from
    ///   the network); unplaced facilities are never found.
    /// - `category[f]`: its category as a dense index `< n_categories` (the caller's numbering).
    /// - `tie_rank[f]`: its position when facilities are sorted by id; equal distances are
    ///   ordered by it, so results do not depend on input order.
    pub fn new(
        graph: &Graph,
        anchors: &[Option<Anchor>],
        category: &[u16],
        tie_rank: &[u32],
        n_categories: usize,
    ) -> Targets {
        assert_eq!(anchors.len(), category.len());
        assert_eq!(anchors.len(), tie_rank.len());
        let n = graph.node_count();
        let mut count = vec![0u32; n + 1];
        for a in anchors.iter().flatten() {
            count[a.u as usize + 1] += 1;
            if a.edge != NO_EDGE {
                count[a.v as usize + 1] += 1;
            }
        }
        for i in 0..n {
            count[i + 1] += count[i];
        }
        let total = count[n] as usize;
        let mut att_fac = vec![0u32; total];
        let mut att_off = vec![0f64; total];
        let mut fill = count.clone();
        for (f, a) in anchors.iter().enumerate() {
            let Some(a) = a else { continue };
            let mut put = |node: u32, off: f64| {
                let slot = fill[node as usize] as usize;
                att_fac[slot] = f as u32;
                att_off[slot] = off;
                fill[node as usize] += 1;
            };
            put(a.u, a.du);
            if a.edge != NO_EDGE {
                put(a.v, a.dv);
            }
        }
        // Local numbers: the order of first attachment, walking the nodes in order.
        let mut local = vec![u32::MAX; anchors.len()];
        let mut facility = Vec::with_capacity(anchors.iter().flatten().count());
        for f in att_fac.iter_mut() {
            let l = &mut local[*f as usize];
            if *l == u32::MAX {
                *l = facility.len() as u32;
                facility.push(*f);
            }
            *f = *l;
        }
        let mut on_edge: Vec<(u32, u32, f64)> = anchors
            .iter()
            .enumerate()
            .filter_map(|(f, a)| {
                a.filter(|a| a.edge != NO_EDGE)
                    .map(|a| (a.edge, local[f], a.du))
            })
            .collect();
        on_edge.sort_unstable_by_key(|&(e, l, _)| (e, l));
        Targets {
            n_categories,
            category: facility.iter().map(|&f| category[f as usize]).collect(),
            tie_rank: facility.iter().map(|&f| tie_rank[f as usize]).collect(),
            facility,
            att_first: count,
            att_fac,
            att_off,
            on_edge,
        }
    }

    /// Number of facilities placed on the graph (those the searches can find).
    pub fn len(&self) -> usize {
        self.facility.len()
    }

    /// Whether no facility is placed.
    pub fn is_empty(&self) -> bool {
        self.facility.is_empty()
    }
}

/// What to compute.
#[derive(Debug, Clone)]
pub struct AccessConfig {
    /// How many nearest facilities per category (k ≥ 1).
    pub k: usize,
    /// Facilities farther than this network distance (metres) are not listed.
    pub max_distance: f64,
    /// Circle radii in metres (e.g. 300, 500, 1000); facilities within each are counted.
    pub circles: Vec<f64>,
    /// Collect community–facility pairs within this many metres for categories marked in
    /// `pair_categories` (capacity ratios); `None` collects none.
    pub catchment: Option<f64>,
    /// Per category (dense index): collect pairs for it.
    pub pair_categories: Vec<bool>,
}

impl AccessConfig {
    /// The search radius that serves every output (with the 1 mm tolerance of
    /// [`lc_network::within`], so that a facility at exactly the largest radius is found).
    pub fn radius(&self) -> f64 {
        let mut r = self.max_distance;
        for &c in &self.circles {
            r = r.max(c);
        }
        if let Some(c) = self.catchment {
            r = r.max(c);
        }
        r + lc_network::DISTANCE_TOLERANCE_M
    }
}

/// One facility found for a community.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Found {
    /// Category (dense index).
    pub category: u16,
    /// 1 for the nearest.
    pub rank: u16,
    /// Facility index.
    pub facility: u32,
    /// Network distance in metres.
    pub distance_m: f64,
}

/// Access of one community.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CommunityAccess {
    /// Nearest facilities, by category then rank.
    pub nearest: Vec<Found>,
    /// Facilities within each circle: `counts[category * circles + i]`.
    pub counts: Vec<u32>,
    /// Pairs `(facility, distance)` within the catchment, for the marked categories.
    pub pairs: Vec<(u32, f64)>,
}

struct Scratch {
    search: Search,
    best: Vec<f64>,
    touched: Vec<u32>,
    /// `(millimetres, tie rank, facility)` of the facilities within the distance (or a pair
    /// category's catchment), grouped by category (`starts[c]..starts[c + 1]`), for choosing
    /// the k nearest of each and listing the pairs.
    grouped: Vec<(i64, u32, u32)>,
    starts: Vec<u32>,
    fill: Vec<u32>,
}

/// Computes access for every source (community). `None` sources (not placed on the network)
/// get an empty result. `progress` is called with the number of sources finished, now and
/// then, from worker threads.
pub fn compute_access(
    graph: &Graph,
    targets: &Targets,
    sources: &[Option<Anchor>],
    cfg: &AccessConfig,
    progress: &(dyn Fn(usize) + Sync),
) -> Vec<CommunityAccess> {
    compute_access_until(graph, targets, sources, cfg, progress, &|| false).unwrap_or_default()
}

/// [`compute_access`] that can be stopped: `stop` is polled before each source, and once it
/// answers `true` the remaining searches are skipped and the result is `None`.
pub fn compute_access_until(
    graph: &Graph,
    targets: &Targets,
    sources: &[Option<Anchor>],
    cfg: &AccessConfig,
    progress: &(dyn Fn(usize) + Sync),
    stop: &(dyn Fn() -> bool + Sync),
) -> Option<Vec<CommunityAccess>> {
    assert!(cfg.k >= 1, "k must be at least 1");
    let stopped = std::sync::atomic::AtomicBool::new(false);
    let radius = cfg.radius();
    let done = AtomicUsize::new(0);
    // One scratch space per worker thread, made on first use (each holds a distance array as
    // long as the graph, so it must not be rebuilt per task).
    let pool: Vec<Mutex<Option<Scratch>>> = (0..rayon::current_num_threads().max(1))
        .map(|_| Mutex::new(None))
        .collect();
    // Visit sources in node order: neighbouring searches then touch neighbouring memory.
    let mut order: Vec<usize> = (0..sources.len()).collect();
    order.sort_by_key(|&i| sources[i].map(|a| a.u).unwrap_or(u32::MAX));
    // In runs of at most 256 sources: rayon stops splitting a long run once no thread is idle,
    // and a province's last run (dense streets, long searches) then kept one core working
    // alone for half a second.
    let mut computed: Vec<(usize, CommunityAccess)> = order
        .par_iter()
        .with_min_len(8)
        .with_max_len(256)
        .map(|&i| {
            if stopped.load(Ordering::Relaxed) || stop() {
                stopped.store(true, Ordering::Relaxed);
                return (i, CommunityAccess::default());
            }
            let out = match &sources[i] {
                Some(a) => {
                    let slot = rayon::current_thread_index().unwrap_or(0) % pool.len();
                    let mut guard = pool[slot].lock().unwrap_or_else(|e| e.into_inner());
                    let scratch = guard.get_or_insert_with(|| Scratch {
                        search: Search::new(graph.node_count()),
                        best: vec![f64::INFINITY; targets.len()],
                        touched: Vec::new(),
                        grouped: Vec::new(),
                        starts: Vec::new(),
                        fill: Vec::new(),
                    });
                    one_source(graph, targets, a, cfg, radius, scratch)
                }
                None => CommunityAccess {
                    counts: vec![0; targets.n_categories * cfg.circles.len()],
                    ..Default::default()
                },
            };
            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_multiple_of(256) {
                progress(n);
            }
            (i, out)
        })
        .collect();
    if stopped.load(Ordering::Relaxed) {
        return None;
    }
    computed.sort_unstable_by_key(|(i, _)| *i);
    Some(computed.into_iter().map(|(_, r)| r).collect())
}

fn one_source(
    graph: &Graph,
    t: &Targets,
    src: &Anchor,
    cfg: &AccessConfig,
    radius: f64,
    s: &mut Scratch,
) -> CommunityAccess {
    let Scratch {
        search,
        best,
        touched,
        grouped,
        starts,
        fill,
    } = s;
    for &f in touched.iter() {
        best[f as usize] = f64::INFINITY;
    }
    touched.clear();
    let offer = |f: u32, d: f64, best: &mut [f64], touched: &mut Vec<u32>| {
        let b = &mut best[f as usize];
        if d <= radius && d < *b {
            if *b == f64::INFINITY {
                touched.push(f);
            }
            *b = d;
        }
    };
    search.run(graph, src, radius, |x, d| {
        let (a, b) = (
            t.att_first[x as usize] as usize,
            t.att_first[x as usize + 1] as usize,
        );
        for j in a..b {
            offer(t.att_fac[j], d + t.att_off[j], best, touched);
        }
        true
    });
    if src.edge != NO_EDGE {
        let first = t.on_edge.partition_point(|&(e, _, _)| e < src.edge);
        for &(_, f, du) in t.on_edge[first..]
            .iter()
            .take_while(|&&(e, _, _)| e == src.edge)
        {
            offer(f, (src.du - du).abs(), best, touched);
        }
    }
    select(t, cfg, best, touched, grouped, starts, fill)
}

/// [`one_source`]'s results from the distances it reached, without sorting every facility
/// reached (about a thousand a community on a province): the counts need no order; the
/// facilities within the distance are grouped by category (a counting sort); of a category
/// without pairs only the k nearest are selected and sorted, and only a pair category's group
/// (its pairs are listed nearest first) is sorted whole. Nearest facilities and pairs come in
/// the order of a full sort by category, distance to the millimetre, then id rank.
fn select(
    t: &Targets,
    cfg: &AccessConfig,
    best: &[f64],
    touched: &[u32],
    grouped: &mut Vec<(i64, u32, u32)>,
    starts: &mut Vec<u32>,
    fill: &mut Vec<u32>,
) -> CommunityAccess {
    let nc = cfg.circles.len();
    let n_cat = t.n_categories;
    let catchment = cfg.catchment;
    let paired = |c: usize| catchment.is_some() && cfg.pair_categories.get(c) == Some(&true);
    // A pair: a facility of a pair category within the catchment.
    let pair_at = |d: f64, c: usize| paired(c) && catchment.is_some_and(|r| within(d, r));
    // A facility is grouped when it may be listed: within the distance, or a pair (the
    // catchment may be the longer).
    let grouped_at = |d: f64, c: usize| within(d, cfg.max_distance) || pair_at(d, c);
    let mut counts = vec![0; n_cat * nc];
    // Count, and group the facilities by category (a counting sort).
    starts.clear();
    starts.resize(n_cat + 1, 0);
    let mut n_pairs = 0;
    for &f in touched {
        let (d, c) = (best[f as usize], t.category[f as usize] as usize);
        for (i, &r) in cfg.circles.iter().enumerate() {
            if within(d, r) {
                counts[c * nc + i] += 1;
            }
        }
        if grouped_at(d, c) {
            starts[c + 1] += 1;
        }
        if pair_at(d, c) {
            n_pairs += 1;
        }
    }
    // The lists are sized exactly (grown by doubling, a province's 200,000 lists of about 90
    // held room for 128 each: 120 MB more at the run's peak, and reallocations on the way).
    let listed: usize = (0..n_cat)
        .map(|c| (starts[c + 1] as usize).min(cfg.k))
        .sum();
    let mut out = CommunityAccess {
        nearest: Vec::with_capacity(listed),
        counts,
        pairs: Vec::with_capacity(n_pairs),
    };
    for c in 0..n_cat {
        starts[c + 1] += starts[c];
    }
    let total = starts[n_cat] as usize;
    grouped.clear();
    grouped.resize(total, (0, 0, 0));
    // Each category's next free slot (scratch reused across communities: no allocation here).
    fill.clear();
    fill.extend_from_slice(&starts[..n_cat]);
    for &f in touched {
        let fi = f as usize;
        let (d, c) = (best[fi], t.category[fi] as usize);
        if grouped_at(d, c) {
            grouped[fill[c] as usize] = (tie_key(d), t.tie_rank[fi], f);
            fill[c] += 1;
        }
    }
    for c in 0..n_cat {
        let group = &mut grouped[starts[c] as usize..starts[c + 1] as usize];
        if paired(c) {
            // The whole group in order: the first k within the distance are the nearest,
            // and every one within the catchment is a pair.
            group.sort_unstable();
            let mut rank = 0u16;
            for &(_, _, f) in group.iter() {
                let d = best[f as usize];
                if within(d, cfg.max_distance) && (rank as usize) < cfg.k {
                    rank += 1;
                    out.nearest.push(Found {
                        category: c as u16,
                        rank,
                        facility: t.facility[f as usize],
                        distance_m: d,
                    });
                }
                if pair_at(d, c) {
                    out.pairs.push((t.facility[f as usize], d));
                }
            }
            continue;
        }
        let k = cfg.k.min(group.len());
        if k == 0 {
            continue;
        }
        if group.len() > k {
            group.select_nth_unstable(k - 1);
        }
        let first = &mut group[..k];
        first.sort_unstable();
        for (r, &(_, _, f)) in first.iter().enumerate() {
            out.nearest.push(Found {
                category: c as u16,
                rank: r as u16 + 1,
                facility: t.facility[f as usize],
                distance_m: best[f as usize],
            });
        }
    }
    out
}

/// The distance in whole millimetres, the resolution at which equal distances are ties.
#[inline]
pub(crate) fn tie_key(d: f64) -> i64 {
    (d * 1000.0).round() as i64
}
