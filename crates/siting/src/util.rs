//! Small shared pieces: a compressed sparse row list, its transpose, sums of the largest
//! values, an ordered float for priority queues, dense renumbering, and the search steps the
//! problems share (lazy greedy, best-improvement swaps, subgradient step sizes).

use rustc_hash::FxHashMap;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Rows of `(column, value)` stored contiguously (compressed sparse rows).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Csr<T: Copy> {
    pub start: Vec<usize>,
    pub col: Vec<u32>,
    pub val: Vec<T>,
}

impl<T: Copy> Csr<T> {
    pub fn from_rows(rows: &[Vec<(u32, T)>]) -> Csr<T> {
        let mut start = Vec::with_capacity(rows.len() + 1);
        start.push(0);
        let mut col = Vec::new();
        let mut val = Vec::new();
        for r in rows {
            for &(c, v) in r {
                col.push(c);
                val.push(v);
            }
            start.push(col.len());
        }
        Csr { start, col, val }
    }

    pub fn rows(&self) -> usize {
        self.start.len() - 1
    }

    pub fn row(&self, i: usize) -> (&[u32], &[T]) {
        let r = self.start[i]..self.start[i + 1];
        (&self.col[r.clone()], &self.val[r])
    }

    pub fn cols_of(&self, i: usize) -> &[u32] {
        &self.col[self.start[i]..self.start[i + 1]]
    }

    /// Row `i` as `(column, value)` pairs.
    pub fn pairs(&self, i: usize) -> impl Iterator<Item = (u32, T)> + '_ {
        let (c, v) = self.row(i);
        c.iter().copied().zip(v.iter().copied())
    }

    pub fn nnz(&self) -> usize {
        self.col.len()
    }

    /// The transpose with `n_cols` rows; each row lists `(old row, value)` in increasing order.
    pub fn transpose(&self, n_cols: usize) -> Csr<T> {
        let mut count = vec![0usize; n_cols + 1];
        for &c in &self.col {
            count[c as usize + 1] += 1;
        }
        for k in 0..n_cols {
            count[k + 1] += count[k];
        }
        let mut fill = count.clone();
        let mut col = vec![0u32; self.col.len()];
        let mut val: Vec<T> = Vec::with_capacity(self.val.len());
        if let Some(&v0) = self.val.first() {
            val.resize(self.val.len(), v0);
        }
        for i in 0..self.rows() {
            for k in self.start[i]..self.start[i + 1] {
                let c = self.col[k] as usize;
                col[fill[c]] = i as u32;
                val[fill[c]] = self.val[k];
                fill[c] += 1;
            }
        }
        Csr {
            start: count,
            col,
            val,
        }
    }

    /// The transpose whose values are positions: row `c` lists `(old row, k)` for every `k`
    /// with `col[k] == c`, in increasing order.
    pub fn positions_by_col(&self, n_cols: usize) -> Csr<u32> {
        Csr {
            start: self.start.clone(),
            col: self.col.clone(),
            val: (0..self.nnz() as u32).collect(),
        }
        .transpose(n_cols)
    }
}

impl Csr<()> {
    /// The rows' columns without values.
    pub fn pattern(rows: &[Vec<u32>]) -> Csr<()> {
        Csr::from_rows(
            &rows
                .iter()
                .map(|r| r.iter().map(|&c| (c, ())).collect())
                .collect::<Vec<_>>(),
        )
    }
}

/// Where a reduced instance's local candidates come from, and what the reduction kept.
#[derive(Debug, Clone, Default)]
pub(crate) struct Kept {
    /// Local candidate → original candidate.
    pub cand_map: Vec<u32>,
    /// Communities kept (before aggregation).
    pub communities: usize,
    /// Candidates dropped as dominated or reaching nobody.
    pub candidates_dropped: usize,
}

/// Dense renumbering of the indices `j` with `keep[j]`: the new index of each old one
/// (`u32::MAX` when dropped) and the old index of each new one.
pub(crate) fn compact(keep: &[bool]) -> (Vec<u32>, Vec<u32>) {
    let mut renum = vec![u32::MAX; keep.len()];
    let mut old = Vec::new();
    for (j, &k) in keep.iter().enumerate() {
        if k {
            renum[j] = old.len() as u32;
            old.push(j as u32);
        }
    }
    (renum, old)
}

/// The sum of the `p` largest of `values` (all of them when there are fewer), ignoring
/// negative ones when `skip_negative`, and the indices taken.
pub(crate) fn top_p(values: &[f64], p: usize, skip_negative: bool) -> (f64, Vec<usize>) {
    let mut idx: Vec<usize> = (0..values.len())
        .filter(|&j| !skip_negative || values[j] > 0.0)
        .collect();
    let p = p.min(idx.len());
    if p < idx.len() && p > 0 {
        idx.select_nth_unstable_by(p - 1, |&a, &b| {
            values[b].total_cmp(&values[a]).then(a.cmp(&b))
        });
    }
    idx.truncate(p);
    let s = idx.iter().map(|&j| values[j]).sum();
    (s, idx)
}

/// A float ordered by `total_cmp`, then by a smaller index first (for max-heaps).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Key(pub f64, pub u32);

impl Eq for Key {}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0).then(other.1.cmp(&self.1))
    }
}

/// Lazy greedy over sites whose gains only shrink as sites open: pops the best estimate
/// from `heap`, recomputes it with `gain` and opens the site with `take` when it still leads
/// (an estimate that fell goes back with its fresh value, unless it is 0). Stops after `limit`
/// sites or when nothing gains; returns the sites opened, in order.
pub(crate) fn lazy_greedy<S>(
    st: &mut S,
    mut heap: BinaryHeap<Key>,
    limit: usize,
    gain: impl Fn(&S, usize) -> f64,
    mut take: impl FnMut(&mut S, usize),
) -> Vec<usize> {
    let mut taken = Vec::new();
    while taken.len() < limit {
        let Some(Key(g, j)) = heap.pop() else { break };
        let fresh = gain(st, j as usize);
        if fresh < g {
            if fresh > 0.0 {
                heap.push(Key(fresh, j));
            }
            continue;
        }
        if fresh <= 0.0 {
            break;
        }
        take(st, j as usize);
        taken.push(j as usize);
    }
    taken
}

/// One pass of best-improvement swap search (one open site out, one closed site in) over
/// maximisation gains. `loss[j]` is what closing open site `j` loses; `gain(k, extra)` is
/// what opening closed site `k` gains and adds to `extra[j]` what the swap saves of `loss[j]`
/// when `j` is the one closed; `fits(j, k)` says whether closing `j` and opening `k` is
/// allowed (a budget). Returns `(out, in)` of the best allowed swap whose improvement `v` is
/// more than `eps` and more than `rel` times the sum of the terms it is the difference of
/// (`gain + extra + loss`): a relative threshold at the scale of the swap itself, so that a
/// real gain of 150 beside penalties of 1e16 elsewhere is taken while rounding noise of those
/// sums is not (ties: the lower site out, the lower site in).
pub(crate) fn best_swap(
    open: &[bool],
    loss: &[f64],
    eps: f64,
    rel: f64,
    fits: impl Fn(usize, usize) -> bool,
    mut gain: impl FnMut(usize, &mut FxHashMap<u32, f64>) -> f64,
) -> Option<(usize, usize)> {
    let n = open.len();
    let passes = |v: f64, scale: f64| v > eps && v > rel * scale;
    // Open sites by loss (then index): the first that fits is the one to close when the swap
    // saves nothing of it. Without a constraint that is the first.
    let mut by_loss: Vec<usize> = (0..n).filter(|&j| open[j]).collect();
    by_loss.sort_by(|&a, &b| loss[a].total_cmp(&loss[b]).then(a.cmp(&b)));
    let mut extra: FxHashMap<u32, f64> = FxHashMap::default();
    let mut best: Option<(f64, usize, usize)> = None;
    for k in 0..n {
        if open[k] {
            continue;
        }
        extra.clear();
        let gain = gain(k, &mut extra);
        let mut cand: Option<(f64, usize)> = None;
        if let Some(&j) = by_loss.iter().find(|&&j| fits(j, k)) {
            let v = gain - loss[j];
            if passes(v, gain + loss[j]) {
                cand = Some((v, j));
            }
        }
        for (&j, &x) in &extra {
            let j = j as usize;
            if !fits(j, k) {
                continue;
            }
            let v = gain + x - loss[j];
            let better = cand.is_none_or(|(cv, cj)| v > cv || (v == cv && j < cj));
            if passes(v, gain + x + loss[j]) && better {
                cand = Some((v, j));
            }
        }
        if let Some((v, j)) = cand {
            if best.is_none_or(|(bv, _, _)| v > bv) {
                best = Some((v, j, k));
            }
        }
    }
    best.map(|(_, out, inn)| (out, inn))
}

/// The fractional knapsack: the most value of items (`value[j]`, `cost[j] ≥ 0`) within
/// `capacity`, items divisible; an upper bound on the 0-1 knapsack. Items of no value are
/// left out, free ones taken whole. Returns the value and the items taken with their
/// fractions.
pub(crate) fn fractional_knapsack(
    value: &[f64],
    cost: &[f64],
    capacity: f64,
) -> (f64, Vec<(usize, f64)>) {
    let ratio = |j: usize| {
        if cost[j] > 0.0 {
            value[j] / cost[j]
        } else {
            f64::INFINITY
        }
    };
    let mut items: Vec<usize> = (0..value.len()).filter(|&j| value[j] > 0.0).collect();
    // Best value per cost first (free items first of all), ties to the lower index.
    items.sort_by(|&a, &b| ratio(b).total_cmp(&ratio(a)).then(a.cmp(&b)));
    let mut left = capacity.max(0.0);
    let mut total = 0.0;
    let mut taken = Vec::new();
    for j in items {
        if cost[j] <= left {
            left -= cost[j];
            total += value[j];
            taken.push((j, 1.0));
        } else {
            let f = left / cost[j];
            if f > 0.0 {
                total += value[j] * f;
                taken.push((j, f));
            }
            break;
        }
    }
    (total, taken)
}

/// The bookkeeping of a subgradient run: the best bound so far and the step factor, halved
/// after 10 iterations without improvement.
pub(crate) struct Steps {
    /// The best bound so far.
    pub best: f64,
    /// The step factor.
    pub factor: f64,
    stall: u32,
    /// Whether the bound is from above (lower is better) or from below.
    upper: bool,
}

impl Steps {
    /// A run bounding from above (`upper`) or below, starting at `best` with `factor`.
    pub fn new(upper: bool, best: f64, factor: f64) -> Steps {
        Steps {
            best,
            factor,
            stall: 0,
            upper,
        }
    }

    /// Takes in the bound `b` of the current multipliers.
    pub fn record(&mut self, b: f64) {
        let improves = if self.upper {
            b < self.best - 1e-12
        } else {
            b > self.best + 1e-12
        };
        if improves {
            self.best = b;
            self.stall = 0;
        } else {
            self.stall += 1;
            if self.stall >= 10 {
                self.factor /= 2.0;
                self.stall = 0;
            }
        }
    }

    /// Whether to stop: the best bound meets `incumbent`, or the steps have become too small.
    pub fn done(&self, incumbent: f64) -> bool {
        let met = if self.upper {
            self.best - incumbent <= 1e-9 * self.best.abs().max(1.0)
        } else {
            incumbent - self.best <= 1e-9 * incumbent.abs().max(1.0)
        };
        met || self.factor < 1e-6
    }

    /// The step length at bound `b` for a subgradient of squared norm `norm` (Polyak's rule).
    pub fn length(&self, b: f64, incumbent: f64, norm: f64) -> f64 {
        let gap = if self.upper {
            b - incumbent
        } else {
            incumbent - b
        };
        self.factor * gap.max(1e-9) / norm
    }
}

/// Whether sorted list `a` is a subset of sorted list `b`.
pub(crate) fn is_subset(a: &[u32], b: &[u32]) -> bool {
    if a.len() > b.len() {
        return false;
    }
    let mut k = 0;
    for &x in a {
        while k < b.len() && b[k] < x {
            k += 1;
        }
        if k == b.len() || b[k] != x {
            return false;
        }
        k += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transpose_and_top_p() {
        let m = Csr::from_rows(&[vec![(1, 1.0), (2, 2.0)], vec![], vec![(0, 3.0), (2, 4.0)]]);
        let t = m.transpose(3);
        assert_eq!(t.row(0), (&[2u32][..], &[3.0][..]));
        assert_eq!(t.row(2), (&[0u32, 2][..], &[2.0, 4.0][..]));
        let pos = m.positions_by_col(3);
        assert_eq!(pos.row(2), (&[0u32, 2][..], &[1u32, 3][..]));
        assert_eq!(pos.row(1), (&[0u32][..], &[0u32][..]));
        assert_eq!(
            compact(&[true, false, true]),
            (vec![0, u32::MAX, 1], vec![0, 2])
        );
        let (s, idx) = top_p(&[1.0, 5.0, -1.0, 5.0, 2.0], 3, true);
        assert_eq!(s, 12.0);
        let mut idx = idx;
        idx.sort();
        assert_eq!(idx, vec![1, 3, 4]);
        assert_eq!(top_p(&[-1.0, -2.0], 5, true).0, 0.0);
        assert!(is_subset(&[1, 3], &[0, 1, 2, 3]));
        assert!(!is_subset(&[1, 4], &[0, 1, 2, 3]));
    }

    #[test]
    fn fractional_knapsack_takes_the_best_ratios_then_a_fraction() {
        // Ratios: 2 (item 0), 3 (item 1), free (item 2), nothing (item 3), 1 (item 4).
        let value = [4.0, 3.0, 5.0, 0.0, 10.0];
        let cost = [2.0, 1.0, 0.0, 1.0, 10.0];
        let (v, taken) = fractional_knapsack(&value, &cost, 5.0);
        assert_eq!(taken, vec![(2, 1.0), (1, 1.0), (0, 1.0), (4, 0.2)]);
        assert!((v - 14.0).abs() < 1e-12);
        assert_eq!(
            fractional_knapsack(&value, &cost, 0.0),
            (5.0, vec![(2, 1.0)])
        );
    }

    #[test]
    fn best_swap_respects_what_fits() {
        // Sites 0 and 1 open (losses 5 and 1); site 2 gains 4, site 3 gains 3.
        let open = [true, true, false, false];
        let loss = [5.0, 1.0, 0.0, 0.0];
        let gain = |k: usize, _: &mut FxHashMap<u32, f64>| [0.0, 0.0, 4.0, 3.0][k];
        assert_eq!(
            best_swap(&open, &loss, 0.0, 0.0, |_, _| true, gain),
            Some((1, 2))
        );
        // Only closing site 0 makes room for site 2: not worth it; site 3 fits for site 1.
        let fits = |j: usize, k: usize| k == 3 || j == 0;
        assert_eq!(best_swap(&open, &loss, 0.0, 0.0, fits, gain), Some((1, 3)));
        assert_eq!(best_swap(&open, &loss, 0.0, 0.0, |_, _| false, gain), None);
    }
}
