//! Capacitated coverage: every open facility (existing or chosen) serves at most its capacity,
//! and only communities within the radius; a community's demand may be split. "Covered" means
//! "has a place": the objective is the demand served, the value of a maximum flow from
//! communities to open facilities.
//!
//! Reduction (exact): communities with the same facilities within the radius are merged;
//! communities that reach no facility at all are dropped; candidates that reach no community
//! are dropped.
//!
//! The heuristic is lazy greedy on the flow gained by opening a site (the served demand is
//! submodular in the set of open sites), then swap local search. The bound is Lagrangian:
//! relaxing each community's demand row with `u_i ∈ [0, 1]` leaves one fractional knapsack
//! per facility, `g_f(u)`, and `Σ_i u_i w_i + Σ_existing g + (sum of the p largest candidate g)`
//! bounds the served demand from above.

use crate::instance::Instance;
use crate::util::{compact, lazy_greedy, top_p, Csr, Kept, Key, Steps};
use lc_network::within;
use rustc_hash::FxHashMap;
use std::collections::{BinaryHeap, VecDeque};

#[derive(Debug, Clone)]
pub(crate) struct Capacitated {
    pub w: Vec<f64>,
    /// Element → facilities: existing `0..n_existing`, then local candidates.
    pub sets: Csr<()>,
    /// Facility → elements, with the position in `sets` of each arc (element, facility).
    pub by_fac: Csr<u32>,
    /// Capacity per facility (existing, then local candidates); may be infinite.
    pub cap: Vec<f64>,
    pub n_existing: usize,
    /// Local candidates' origin and what the reduction kept.
    pub kept: Kept,
    /// Community → element (`u32::MAX`: not kept).
    pub elem_of_comm: Vec<u32>,
}

impl Capacitated {
    pub fn build(inst: &Instance, radius: f64) -> Capacitated {
        let ne = inst.n_existing();
        let nc = inst.n_candidates();
        let mut index: FxHashMap<Vec<u32>, usize> = FxHashMap::default();
        let mut w: Vec<f64> = Vec::new();
        let mut rows: Vec<Vec<u32>> = Vec::new();
        let mut kept = 0;
        let mut elem_of_comm = vec![u32::MAX; inst.n_communities()];
        for i in 0..inst.n_communities() {
            let wi = inst.weight(i);
            if wi == 0.0 {
                continue;
            }
            let mut set: Vec<u32> = inst
                .existing_of(i)
                .filter(|&(_, d)| within(d, radius))
                .map(|(k, _)| k)
                .collect();
            set.extend(
                inst.candidates_of(i)
                    .filter(|&(_, d)| within(d, radius))
                    .map(|(j, _)| ne as u32 + j),
            );
            if set.is_empty() {
                continue;
            }
            kept += 1;
            match index.get(&set) {
                Some(&e) => {
                    w[e] += wi;
                    elem_of_comm[i] = e as u32;
                }
                None => {
                    elem_of_comm[i] = rows.len() as u32;
                    index.insert(set.clone(), rows.len());
                    w.push(wi);
                    rows.push(set);
                }
            }
        }
        let mut used = vec![false; nc];
        for r in &rows {
            for &f in r {
                if f as usize >= ne {
                    used[f as usize - ne] = true;
                }
            }
        }
        let (renum, cand_map) = compact(&used);
        for r in rows.iter_mut() {
            for f in r.iter_mut() {
                if *f as usize >= ne {
                    *f = ne as u32 + renum[*f as usize - ne];
                }
            }
        }
        let sets = Csr::pattern(&rows);
        let by_fac = sets.positions_by_col(ne + cand_map.len());
        let mut cap: Vec<f64> = (0..ne).map(|k| inst.existing_capacity(k)).collect();
        cap.extend(cand_map.iter().map(|&j| inst.capacity(j as usize)));
        Capacitated {
            w,
            sets,
            by_fac,
            cap,
            n_existing: ne,
            kept: Kept {
                candidates_dropped: nc - cand_map.len(),
                cand_map,
                communities: kept,
            },
            elem_of_comm,
        }
    }

    pub fn n_elements(&self) -> usize {
        self.w.len()
    }

    pub fn n_cands(&self) -> usize {
        self.kept.cand_map.len()
    }

    /// A maximum flow with the existing facilities and the given local candidates open.
    fn flow_with(&self, chosen: &[usize]) -> Flow {
        let mut flow = Flow::new(self);
        for k in 0..self.n_existing {
            flow.open(k);
        }
        for &j in chosen {
            flow.open(self.n_existing + j);
        }
        flow.augment();
        flow
    }

    /// Served demand with the existing facilities and the given local candidates open.
    pub fn served(&self, chosen: &[usize]) -> f64 {
        self.flow_with(chosen).value
    }

    /// Lazy greedy on the flow gained, then best-improvement swaps. Returns local candidates.
    pub fn heuristic(&self, p: usize) -> Vec<usize> {
        let ne = self.n_existing;
        let mut flow = self.flow_with(&[]);
        let gain_of = |flow: &Flow, j: usize| -> f64 {
            let mut f = flow.clone();
            f.open(ne + j);
            f.augment();
            f.value - flow.value
        };
        let heap: BinaryHeap<Key> = (0..self.n_cands())
            .map(|j| {
                // Optimistic start: capacity or reachable demand, whichever is smaller.
                let reach: f64 = self
                    .by_fac
                    .cols_of(ne + j)
                    .iter()
                    .map(|&e| self.w[e as usize])
                    .sum();
                Key(reach.min(self.cap[ne + j]), j as u32)
            })
            .collect();
        let mut chosen = lazy_greedy(&mut flow, heap, p, gain_of, |flow, j| {
            flow.open(ne + j);
            flow.augment();
        });
        if chosen.len() == p && p > 0 {
            self.swaps(&mut chosen);
        }
        chosen.sort_unstable();
        chosen
    }

    /// Swap local search: tries each chosen site against the unchosen sites that share a
    /// community with it (or the best greedy addition), keeps any improving swap.
    fn swaps(&self, chosen: &mut [usize]) {
        let n = self.n_cands();
        let total: f64 = self.w.iter().sum::<f64>().max(1.0);
        let eps = 1e-9 * total;
        let mut current = self.served(chosen);
        // Bounded: the instances this runs on are solved exactly when small; on big ones a
        // few rounds already capture most of the gain.
        for _round in 0..3 {
            let mut improved = false;
            for slot in 0..chosen.len() {
                let out = chosen[slot];
                let mut open = vec![false; n];
                for &j in chosen.iter() {
                    open[j] = true;
                }
                // Neighbours: candidates sharing an element with `out`.
                let mut near: Vec<usize> = Vec::new();
                for &e in self.by_fac.cols_of(self.n_existing + out) {
                    for &f in self.sets.cols_of(e as usize) {
                        let f = f as usize;
                        if f >= self.n_existing && !open[f - self.n_existing] {
                            near.push(f - self.n_existing);
                        }
                    }
                }
                near.sort_unstable();
                near.dedup();
                let mut best = (current + eps, usize::MAX);
                for k in near {
                    chosen[slot] = k;
                    let v = self.served(chosen);
                    if v > best.0 {
                        best = (v, k);
                    }
                }
                if best.1 != usize::MAX {
                    chosen[slot] = best.1;
                    current = best.0;
                    improved = true;
                } else {
                    chosen[slot] = out;
                }
            }
            if !improved {
                break;
            }
        }
    }

    /// The maximiser of facility `f`'s fractional knapsack, `Σ (1 − u_e) x_e` with
    /// `Σ x_e ≤ cap_f`, `0 ≤ x_e ≤ w_e`: calls `take(e, 1 − u_e, x_e)` for every `x_e > 0`,
    /// best value first.
    fn knapsack_fill(&self, f: usize, u: &[f64], mut take: impl FnMut(usize, f64, f64)) {
        let mut items: Vec<(f64, usize)> = self
            .by_fac
            .cols_of(f)
            .iter()
            .map(|&e| (1.0 - u[e as usize], e as usize))
            .filter(|&(v, _)| v > 0.0)
            .collect();
        items.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut left = self.cap[f];
        for (v, e) in items {
            if left <= 0.0 {
                break;
            }
            let x = self.w[e].min(left);
            take(e, v, x);
            left -= x;
        }
    }

    /// `g_f(u)`: the best value of `Σ (1 − u_e) x_e` with `Σ x_e ≤ cap_f`, `0 ≤ x_e ≤ w_e`.
    fn knapsack(&self, f: usize, u: &[f64]) -> f64 {
        let mut s = 0.0;
        self.knapsack_fill(f, u, |_, v, x| s += v * x);
        s
    }

    /// The Lagrangian upper bound for multipliers `u` (clamped into `[0, 1]`).
    pub fn bound(&self, u: &[f64], p: usize) -> f64 {
        let u: Vec<f64> = u
            .iter()
            .map(|&x| {
                if x.is_finite() {
                    x.clamp(0.0, 1.0)
                } else {
                    1.0
                }
            })
            .collect();
        let mut s: f64 = u.iter().zip(&self.w).map(|(a, b)| a * b).sum();
        for k in 0..self.n_existing {
            s += self.knapsack(k, &u);
        }
        let g: Vec<f64> = (0..self.n_cands())
            .map(|j| self.knapsack(self.n_existing + j, &u))
            .collect();
        s + top_p(&g, p, true).0
    }

    /// Subgradient optimisation of the bound from `u = 0`; returns the best bound.
    pub fn subgradient(&self, p: usize, incumbent: f64, iters: usize) -> f64 {
        let m = self.n_elements();
        let mut u = vec![0.0; m];
        let mut steps = Steps::new(true, f64::INFINITY, 1.0);
        for _ in 0..iters {
            let b = self.bound(&u, p);
            steps.record(b);
            if steps.done(incumbent) {
                break;
            }
            // Subgradient w_e − Σ_f x_ef at the maximiser of each open knapsack.
            let ne = self.n_existing;
            let g: Vec<f64> = (0..self.n_cands())
                .map(|j| self.knapsack(ne + j, &u))
                .collect();
            let (_, top) = top_p(&g, p, true);
            let mut load = vec![0.0; m];
            let mut fill = |f: usize| self.knapsack_fill(f, &u, |e, _, x| load[e] += x);
            for k in 0..ne {
                fill(k);
            }
            for &j in &top {
                fill(ne + j);
            }
            let grad: Vec<f64> = (0..m).map(|e| (self.w[e] - load[e]) / self.w[e]).collect();
            let norm: f64 = (0..m).map(|e| (grad[e] * self.w[e]).powi(2)).sum();
            if norm == 0.0 {
                break;
            }
            let t = steps.length(b, incumbent, norm);
            for e in 0..m {
                u[e] = (u[e] - t * self.w[e] * self.w[e] * grad[e]).clamp(0.0, 1.0);
            }
        }
        steps.best
    }

    /// Per element, the demand served by each open facility (existing then local candidate
    /// numbering), from a maximum flow.
    pub fn flows(&self, chosen: &[usize]) -> Vec<Vec<(u32, f64)>> {
        let flow = self.flow_with(chosen);
        (0..self.n_elements())
            .map(|e| {
                let mut v = Vec::new();
                for a in flow.first[e]..flow.first[e + 1] {
                    if flow.x[a] > 0.0 {
                        v.push((flow.head[a], flow.x[a]));
                    }
                }
                v
            })
            .collect()
    }
}

/// A maximum flow source → element (w) → facility (∞) → sink (capacity when open), by
/// augmenting paths found with breadth-first search (shortest first), incremental when more
/// facilities open.
#[derive(Clone)]
struct Flow {
    /// Element → its arcs `first[e]..first[e+1]` to facilities `head[a]` with flow `x[a]`.
    first: Vec<usize>,
    head: Vec<u32>,
    x: Vec<f64>,
    /// Facility → arcs into it (indices into `head`/`x`).
    fac_first: Vec<usize>,
    fac_arcs: Vec<u32>,
    /// Source arc residual per element, sink arc residual per facility.
    supply: Vec<f64>,
    room: Vec<f64>,
    cap: Vec<f64>,
    value: f64,
}

impl Flow {
    fn new(c: &Capacitated) -> Flow {
        let nf = c.cap.len();
        let first = c.sets.start.clone();
        let head = c.sets.col.clone();
        Flow {
            x: vec![0.0; head.len()],
            first,
            head,
            fac_first: c.by_fac.start.clone(),
            fac_arcs: c.by_fac.val.clone(),
            supply: c.w.clone(),
            room: vec![0.0; nf],
            cap: c.cap.clone(),
            value: 0.0,
        }
    }

    fn open(&mut self, f: usize) {
        self.room[f] = self.cap[f];
    }

    /// Augments along shortest residual paths until none is left.
    fn augment(&mut self) {
        let m = self.supply.len();
        let nf = self.room.len();
        let elem_of_arc: Vec<u32> = {
            let mut v = vec![0u32; self.head.len()];
            for e in 0..m {
                for a in self.first[e]..self.first[e + 1] {
                    v[a] = e as u32;
                }
            }
            v
        };
        let tol = 1e-9;
        loop {
            // BFS over elements and facilities from every element with supply left.
            // Parent of a facility: the arc used to reach it; parent of an element: the arc
            // (into a facility, with flow) walked backwards.
            let mut par_f = vec![usize::MAX; nf];
            let mut par_e = vec![usize::MAX; m];
            let mut seen_e = vec![false; m];
            let mut queue: VecDeque<usize> = VecDeque::new();
            for e in 0..m {
                if self.supply[e] > tol {
                    seen_e[e] = true;
                    queue.push_back(e);
                }
            }
            let mut end = usize::MAX;
            'bfs: while let Some(e) = queue.pop_front() {
                for a in self.first[e]..self.first[e + 1] {
                    let f = self.head[a] as usize;
                    if par_f[f] != usize::MAX {
                        continue;
                    }
                    par_f[f] = a;
                    if self.room[f] > tol {
                        end = f;
                        break 'bfs;
                    }
                    for k in self.fac_first[f]..self.fac_first[f + 1] {
                        let b = self.fac_arcs[k] as usize;
                        let e2 = elem_of_arc[b] as usize;
                        if self.x[b] > tol && !seen_e[e2] {
                            seen_e[e2] = true;
                            par_e[e2] = b;
                            queue.push_back(e2);
                        }
                    }
                }
            }
            if end == usize::MAX {
                return;
            }
            // Bottleneck.
            let mut amount = self.room[end];
            let mut f = end;
            let start_e;
            loop {
                let a = par_f[f];
                let e = elem_of_arc[a] as usize;
                if par_e[e] == usize::MAX {
                    amount = amount.min(self.supply[e]);
                    start_e = e;
                    break;
                }
                let b = par_e[e];
                amount = amount.min(self.x[b]);
                f = self.head[b] as usize;
            }
            // Apply.
            self.room[end] -= amount;
            self.supply[start_e] -= amount;
            self.value += amount;
            let mut f = end;
            loop {
                let a = par_f[f];
                self.x[a] += amount;
                let e = elem_of_arc[a] as usize;
                if par_e[e] == usize::MAX {
                    break;
                }
                let b = par_e[e];
                self.x[b] -= amount;
                f = self.head[b] as usize;
            }
        }
    }
}
