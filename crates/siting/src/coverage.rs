//! Coverage problems (maximal coverage and set cover) on a reduced instance.
//!
//! Reduction, all exact:
//! - communities already within the radius of an existing facility are dropped (a constant);
//! - communities that no candidate reaches within the radius are dropped (cannot be covered);
//! - communities with the same set of candidates within the radius become one element whose
//!   weight is their total;
//! - a candidate whose elements are a subset of another's (equal sets: the higher index) is
//!   dropped: swapping it for the other never loses coverage (with costs, only when the other
//!   costs no more; candidates over the budget are dropped first);
//! - for set cover only, an element whose candidates include another element's is dropped
//!   (covering the smaller set covers it).
//!
//! The heuristic is lazy greedy followed by swap local search (one site out, one in, the best
//! swap found in O(pairs) per pass). Bounds are Lagrangian: for any multipliers `u` with
//! `0 ≤ u_e ≤ w_e`, `Σ_e (w_e − u_e) + (sum of the p largest U_j)` with `U_j = Σ_{e∋j} u_e` bounds
//! the maximal coverage from above; for set cover, `Σ u_e / max_j U_j` bounds the number of
//! sites from below. The multipliers come from the LP dual (HiGHS) or from subgradient steps.

use crate::instance::Instance;
use crate::util::{best_swap, compact, is_subset, lazy_greedy, top_p, Csr, Kept, Key, Steps};
use lc_network::within;
use rustc_hash::FxHashMap;
use std::collections::BinaryHeap;

/// A reduced coverage instance.
#[derive(Debug, Clone)]
pub(crate) struct Cover {
    /// Weight of each element.
    pub w: Vec<f64>,
    /// Element → local candidates.
    pub sets: Csr<()>,
    /// Local candidate → elements.
    pub by_cand: Csr<()>,
    /// Local candidates' origin and what the reduction kept.
    pub kept: Kept,
    /// Weight covered by existing facilities.
    pub base: f64,
    /// Weight that no candidate can bring within the radius.
    pub uncoverable: f64,
}

/// Groups rows with identical column lists; returns (weights, rows).
fn aggregate(rows: Vec<(Vec<u32>, f64)>) -> (Vec<f64>, Vec<Vec<u32>>) {
    let mut index: FxHashMap<Vec<u32>, usize> = FxHashMap::default();
    let mut w = Vec::new();
    let mut out = Vec::new();
    for (r, wt) in rows {
        match index.get(&r) {
            Some(&e) => w[e] += wt,
            None => {
                index.insert(r.clone(), out.len());
                w.push(wt);
                out.push(r);
            }
        }
    }
    (w, out)
}

/// Indices of the rows that are dominated: row `a` is dropped when another row `b` has
/// `set(a) ⊆ set(b)` (`keep_superset = true`, candidate dominance) or `set(b) ⊆ set(a)`
/// (`keep_superset = false`, set-cover row dominance); of two equal rows the later goes. With
/// `cost` (candidate dominance), `b` must also cost no more than `a`, and of two equal rows
/// the dearer goes.
fn dominated(
    rows: &[Vec<u32>],
    n_cols: usize,
    keep_superset: bool,
    cost: Option<&[f64]>,
) -> Vec<bool> {
    let by_col = Csr::pattern(rows).transpose(n_cols);
    let mut gone = vec![false; rows.len()];
    for a in 0..rows.len() {
        let ra = &rows[a];
        if ra.is_empty() {
            gone[a] = true;
            continue;
        }
        // Any row that could dominate `a` shares the rarest column of `a`.
        let pivot = *ra
            .iter()
            .min_by_key(|&&c| by_col.cols_of(c as usize).len())
            .unwrap_or(&ra[0]);
        for &b in by_col.cols_of(pivot as usize) {
            let b = b as usize;
            if b == a || gone[b] {
                continue;
            }
            let rb = &rows[b];
            let hit = if keep_superset {
                // a ⊆ b: drop a (if equal, drop the dearer, then the later one).
                let (ca, cb) = cost.map_or((0.0, 0.0), |c| (c[a], c[b]));
                let first = cb < ca || (cb == ca && b < a);
                cb <= ca
                    && (ra.len() < rb.len() || (ra.len() == rb.len() && first))
                    && is_subset(ra, rb)
            } else {
                // b ⊆ a: drop a.
                (rb.len() < ra.len() || (ra.len() == rb.len() && b < a)) && is_subset(rb, ra)
            };
            if hit {
                gone[a] = true;
                break;
            }
        }
    }
    gone
}

impl Cover {
    /// Reduces an instance for coverage within `radius` metres (inclusive). `set_cover` adds
    /// set-cover row dominance and keeps communities of zero weight.
    pub fn build(inst: &Instance, radius: f64, set_cover: bool) -> Cover {
        Cover::reduce(inst, radius, set_cover, None)
    }

    /// Reduces an instance for coverage within a budget: candidates costing more than
    /// `budget` are left out, and a candidate is dominated only by one that costs no more.
    /// Returns the reduced instance and the cost of each local candidate.
    pub fn build_budgeted(
        inst: &Instance,
        radius: f64,
        cost: &[f64],
        budget: f64,
    ) -> (Cover, Vec<f64>) {
        let c = Cover::reduce(inst, radius, false, Some((cost, budget)));
        let local = c.kept.cand_map.iter().map(|&j| cost[j as usize]).collect();
        (c, local)
    }

    fn reduce(
        inst: &Instance,
        radius: f64,
        set_cover: bool,
        budget: Option<(&[f64], f64)>,
    ) -> Cover {
        let affordable = |j: u32| budget.is_none_or(|(c, b)| c[j as usize] <= b);
        let mut base = 0.0;
        let mut uncoverable = 0.0;
        let mut rows: Vec<(Vec<u32>, f64)> = Vec::new();
        for i in 0..inst.n_communities() {
            let w = inst.weight(i);
            if w == 0.0 && !set_cover {
                continue;
            }
            if within(inst.nearest_existing(i), radius) {
                base += w;
                continue;
            }
            let set: Vec<u32> = inst
                .candidates_of(i)
                .filter(|&(j, d)| within(d, radius) && affordable(j))
                .map(|(j, _)| j)
                .collect();
            if set.is_empty() {
                uncoverable += w;
                continue;
            }
            rows.push((set, w));
        }
        let communities_kept = rows.len();
        let (mut w, mut sets) = aggregate(rows);
        let n_orig = inst.n_candidates();
        let mut cand_map: Vec<u32> = (0..n_orig as u32).collect();
        // Alternate candidate and (set cover) row dominance until nothing changes.
        for _round in 0..4 {
            let n_c = cand_map.len();
            let by_cand: Vec<Vec<u32>> = {
                let t = Csr::pattern(&sets).transpose(n_c);
                (0..n_c).map(|j| t.cols_of(j).to_vec()).collect()
            };
            let local_cost: Option<Vec<f64>> =
                budget.map(|(c, _)| cand_map.iter().map(|&j| c[j as usize]).collect());
            let gone = dominated(&by_cand, sets.len(), true, local_cost.as_deref());
            let keep: Vec<bool> = gone.iter().map(|&g| !g).collect();
            let (renum, old) = compact(&keep);
            let cands_changed = old.len() != n_c;
            cand_map = old.iter().map(|&j| cand_map[j as usize]).collect();
            for s in sets.iter_mut() {
                s.retain(|&c| renum[c as usize] != u32::MAX);
                for c in s.iter_mut() {
                    *c = renum[*c as usize];
                }
            }
            let mut rows_changed = false;
            let pairs: Vec<(Vec<u32>, f64)> = if set_cover {
                let gone_rows = dominated(&sets, cand_map.len(), false, None);
                rows_changed = gone_rows.iter().any(|&g| g);
                sets.into_iter()
                    .zip(w)
                    .zip(gone_rows)
                    .filter(|(_, g)| !g)
                    .map(|(r, _)| r)
                    .collect()
            } else {
                sets.into_iter().zip(w).collect()
            };
            let before = pairs.len();
            let (w2, s2) = aggregate(pairs);
            let merged = s2.len() != before;
            w = w2;
            sets = s2;
            if !cands_changed && !rows_changed && !merged {
                break;
            }
        }
        let set_csr = Csr::pattern(&sets);
        let by_cand = set_csr.transpose(cand_map.len());
        Cover {
            w,
            sets: set_csr,
            by_cand,
            kept: Kept {
                candidates_dropped: n_orig - cand_map.len(),
                cand_map,
                communities: communities_kept,
            },
            base,
            uncoverable,
        }
    }

    pub fn n_elements(&self) -> usize {
        self.w.len()
    }

    pub fn n_cands(&self) -> usize {
        self.kept.cand_map.len()
    }

    /// Covered weight (elements only, without `base`) of a set of local candidates.
    pub fn covered(&self, chosen: &[usize]) -> f64 {
        let mut hit = vec![false; self.n_elements()];
        for &j in chosen {
            for &e in self.by_cand.cols_of(j) {
                hit[e as usize] = true;
            }
        }
        hit.iter()
            .zip(&self.w)
            .filter(|(h, _)| **h)
            .map(|(_, w)| w)
            .sum()
    }

    /// Maximal coverage: lazy greedy then swap local search. Returns local candidates.
    pub fn mclp_heuristic(&self, p: usize) -> Vec<usize> {
        let mut state = CoverState::new(self);
        let chosen = state.greedy(self, p);
        if chosen.len() == p {
            self.swap_search(&mut state);
        }
        state.chosen_list()
    }

    /// Best-improvement swaps (one chosen site out, one other in) until none improves.
    fn swap_search(&self, st: &mut CoverState) {
        for _pass in 0..10_000 {
            let Some((out, inn)) = self.best_swap(st, |_, _| true) else {
                return;
            };
            st.remove(self, out);
            st.add(self, inn);
        }
    }

    /// The best swap (one open site out, one other in) that `fits` and gains coverage.
    pub fn best_swap(
        &self,
        st: &CoverState,
        fits: impl Fn(usize, usize) -> bool,
    ) -> Option<(usize, usize)> {
        let total: f64 = self.w.iter().sum();
        let eps = 1e-9 * total.max(1.0);
        // Loss of removing each chosen site: the weight only it covers.
        let mut loss = vec![0.0; self.n_cands()];
        for (e, &c) in st.count.iter().enumerate() {
            if c == 1 {
                loss[st.xor[e] as usize] += self.w[e];
            }
        }
        best_swap(&st.open, &loss, eps, 0.0, fits, |k, extra| {
            let mut gain = 0.0;
            for &e in self.by_cand.cols_of(k) {
                let e = e as usize;
                match st.count[e] {
                    0 => gain += self.w[e],
                    1 => *extra.entry(st.xor[e]).or_insert(0.0) += self.w[e],
                    _ => {}
                }
            }
            gain
        })
    }

    /// `U_j = Σ_{e∋j} u_e` for every local candidate.
    fn cand_sums(&self, u: &[f64]) -> Vec<f64> {
        (0..self.n_cands())
            .map(|j| self.by_cand.cols_of(j).iter().map(|&e| u[e as usize]).sum())
            .collect()
    }

    /// The Lagrangian bound `Σ (w − u) + best(U)` (elements only, without `base`), where
    /// `best(U)` is the most `Σ U_j y_j` the site constraint allows (or more), and the `y_j`
    /// reaching it; `u` is clamped into `[0, w]` so any input gives a valid bound.
    pub fn lagrangian(&self, u: &[f64], best: &impl Fn(&[f64]) -> Sites) -> Sites {
        let u: Vec<f64> = u
            .iter()
            .zip(&self.w)
            .map(|(&x, &w)| if x.is_finite() { x.clamp(0.0, w) } else { w })
            .collect();
        let mut sum = 0.0;
        for (e, &w) in self.w.iter().enumerate() {
            sum += w - u[e];
        }
        let (v, y) = best(&self.cand_sums(&u));
        (sum + v, y)
    }

    /// Maximal coverage bound `Σ (w − u) + top-p U` (elements only, without `base`).
    #[cfg(feature = "milp")]
    pub fn mclp_bound(&self, u: &[f64], p: usize) -> f64 {
        self.lagrangian(u, &|s: &[f64]| top_sites(s, p)).0
    }

    /// Subgradient optimisation of the maximal coverage bound; returns the best bound found.
    pub fn mclp_subgradient(&self, p: usize, incumbent: f64, iters: usize) -> f64 {
        self.subgradient(incumbent, iters, &|s: &[f64]| top_sites(s, p))
    }

    /// Subgradient optimisation of [`Cover::lagrangian`] with `best`; returns the best bound.
    pub fn subgradient(
        &self,
        incumbent: f64,
        iters: usize,
        best: &impl Fn(&[f64]) -> Sites,
    ) -> f64 {
        let m = self.n_elements();
        let mut u: Vec<f64> = self.w.clone();
        let mut steps = Steps::new(true, self.lagrangian(&u, best).0, 2.0);
        for _ in 0..iters {
            let (b, top) = self.lagrangian(&u, best);
            let mut cnt = vec![0.0f64; m];
            for &(j, y) in &top {
                for &e in self.by_cand.cols_of(j) {
                    cnt[e as usize] += y;
                }
            }
            steps.record(b);
            // dB/du_e = cnt_e − 1, scaled by the weight so heavy elements move in proportion.
            let norm: f64 = (0..m).map(|e| ((cnt[e] - 1.0) * self.w[e]).powi(2)).sum();
            if norm == 0.0 || steps.done(incumbent) {
                break;
            }
            let t = steps.length(b, incumbent, norm);
            for e in 0..m {
                u[e] = (u[e] - t * self.w[e] * self.w[e] * (cnt[e] - 1.0)).clamp(0.0, self.w[e]);
            }
        }
        steps.best
    }

    /// Set cover: greedy on uncovered elements, then redundant sites removed (latest first).
    pub fn lscp_heuristic(&self) -> Vec<usize> {
        let unit = Cover {
            w: vec![1.0; self.n_elements()],
            ..self.clone()
        };
        let mut st = CoverState::new(&unit);
        let order = st.greedy(&unit, usize::MAX);
        for &j in order.iter().rev() {
            if st.redundant(&unit, j) {
                st.remove(&unit, j);
            }
        }
        st.chosen_list()
    }

    /// Set cover lower bound `⌈Σ u / max_j U_j⌉` for multipliers `u ≥ 0`.
    pub fn lscp_bound(&self, u: &[f64]) -> f64 {
        if self.n_elements() == 0 {
            return 0.0;
        }
        let u: Vec<f64> = u
            .iter()
            .map(|&x| if x.is_finite() { x.max(0.0) } else { 0.0 })
            .collect();
        let max_u = self.cand_sums(&u).into_iter().fold(0.0, f64::max);
        let sum: f64 = u.iter().sum();
        if max_u <= 0.0 {
            return 1.0;
        }
        ((sum / max_u) - 1e-9).ceil().max(1.0)
    }

    /// Multipliers without an LP: elements that share no candidate with each other (a
    /// greedy packing, rarest first) each get 1; each needs its own site.
    pub fn lscp_packing(&self) -> Vec<f64> {
        let mut order: Vec<usize> = (0..self.n_elements()).collect();
        order.sort_by_key(|&e| (self.sets.cols_of(e).len(), e));
        let mut used = vec![false; self.n_cands()];
        let mut u = vec![0.0; self.n_elements()];
        for e in order {
            let s = self.sets.cols_of(e);
            if s.iter().all(|&j| !used[j as usize]) {
                u[e] = 1.0;
                for &j in s {
                    used[j as usize] = true;
                }
            }
        }
        u
    }
}

/// The value of a relaxed site constraint's best choice, and the sites with their fractions.
pub(crate) type Sites = (f64, Vec<(usize, f64)>);

/// The `p` sites of largest positive value, whole.
fn top_sites(values: &[f64], p: usize) -> Sites {
    let (v, idx) = top_p(values, p, true);
    (v, idx.into_iter().map(|j| (j, 1.0)).collect())
}

/// Open sites, how many cover each element, and the XOR of the sites covering it (the only
/// one when the count is 1).
pub(crate) struct CoverState {
    pub open: Vec<bool>,
    pub count: Vec<u32>,
    pub xor: Vec<u32>,
}

impl CoverState {
    pub fn new(c: &Cover) -> CoverState {
        CoverState {
            open: vec![false; c.n_cands()],
            count: vec![0; c.n_elements()],
            xor: vec![0; c.n_elements()],
        }
    }

    /// Lazy greedy from this state, at most `limit` sites; returns those opened, in order.
    fn greedy(&mut self, c: &Cover, limit: usize) -> Vec<usize> {
        let heap: BinaryHeap<Key> = (0..c.n_cands())
            .map(|j| Key(self.gain(c, j), j as u32))
            .collect();
        lazy_greedy(
            self,
            heap,
            limit,
            |st, j| st.gain(c, j),
            |st, j| st.add(c, j),
        )
    }

    /// Whether every element open site `j` covers is also covered by another open site.
    pub fn redundant(&self, c: &Cover, j: usize) -> bool {
        c.by_cand
            .cols_of(j)
            .iter()
            .all(|&e| self.count[e as usize] >= 2)
    }

    /// The weight opening `j` would newly cover.
    pub fn gain(&self, c: &Cover, j: usize) -> f64 {
        c.by_cand
            .cols_of(j)
            .iter()
            .filter(|&&e| self.count[e as usize] == 0)
            .map(|&e| c.w[e as usize])
            .sum()
    }

    pub fn add(&mut self, c: &Cover, j: usize) {
        self.open[j] = true;
        for &e in c.by_cand.cols_of(j) {
            self.count[e as usize] += 1;
            self.xor[e as usize] ^= j as u32;
        }
    }

    pub fn remove(&mut self, c: &Cover, j: usize) {
        self.open[j] = false;
        for &e in c.by_cand.cols_of(j) {
            self.count[e as usize] -= 1;
            self.xor[e as usize] ^= j as u32;
        }
    }

    pub fn chosen_list(&self) -> Vec<usize> {
        (0..self.open.len()).filter(|&j| self.open[j]).collect()
    }
}
