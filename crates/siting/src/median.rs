//! The p-median problem on a reduced instance: choose p sites minimising the demand-weighted
//! walking distance, where every community may always fall back on its nearest existing
//! facility or, when nothing is reached, on a fixed penalty distance.
//!
//! Reduction (exact): community `i` keeps only the pairs shorter than its fallback
//! `f_i = min(nearest existing, penalty)`; a community without such pairs is a constant;
//! communities with identical pairs and fallback are merged; candidates with no pair left are
//! dropped.
//!
//! The heuristic is lazy greedy then fast interchange (best swap per pass, evaluated in
//! O(pairs) with the nearest and second-nearest open distances). The bound is Lagrangian:
//! relaxing `Σ_j x_ij + s_i = 1` with multipliers λ gives, for any λ,
//! `Σ_i [λ_i + min(0, w_i f_i − λ_i)] + (sum of the p most negative ρ_j)`,
//! `ρ_j = Σ_i min(0, w_i d_ij − λ_i)`, a lower bound on the optimum.

use crate::instance::Instance;
use crate::util::{best_swap, compact, lazy_greedy, top_p, Csr, Kept, Key, Steps};
use rustc_hash::FxHashMap;
use std::collections::BinaryHeap;

const NONE: u32 = u32::MAX;

/// A community's pairs, fallback distance and weight.
type Row = (Vec<(u32, f64)>, f64, f64);

#[derive(Debug, Clone)]
pub(crate) struct Median {
    pub w: Vec<f64>,
    /// Fallback distance per element.
    pub f: Vec<f64>,
    /// Element → (local candidate, distance), only pairs shorter than the fallback.
    pub pairs: Csr<f64>,
    /// Local candidate → (element, distance).
    pub by_cand: Csr<f64>,
    /// Local candidates' origin and what the reduction kept.
    pub kept: Kept,
    /// Cost of the communities that no candidate can improve.
    pub constant: f64,
}

impl Median {
    pub fn build(inst: &Instance, penalty: f64) -> Median {
        let mut constant = 0.0;
        let mut rows: Vec<Row> = Vec::new();
        for i in 0..inst.n_communities() {
            let w = inst.weight(i);
            if w == 0.0 {
                continue;
            }
            let f = inst.nearest_existing(i).min(penalty);
            let r: Vec<(u32, f64)> = inst.candidates_of(i).filter(|&(_, d)| d < f).collect();
            if r.is_empty() {
                constant += w * f;
            } else {
                rows.push((r, f, w));
            }
        }
        let communities_kept = rows.len();
        // Merge identical rows.
        let mut index: FxHashMap<(Vec<(u32, u64)>, u64), usize> = FxHashMap::default();
        let mut w = Vec::new();
        let mut f = Vec::new();
        let mut kept: Vec<Vec<(u32, f64)>> = Vec::new();
        for (r, fi, wi) in rows {
            let key = (
                r.iter().map(|&(j, d)| (j, d.to_bits())).collect::<Vec<_>>(),
                fi.to_bits(),
            );
            match index.get(&key) {
                Some(&e) => w[e] += wi,
                None => {
                    index.insert(key, kept.len());
                    w.push(wi);
                    f.push(fi);
                    kept.push(r);
                }
            }
        }
        // Renumber the candidates that appear.
        let n_orig = inst.n_candidates();
        let mut used = vec![false; n_orig];
        for r in &kept {
            for &(j, _) in r {
                used[j as usize] = true;
            }
        }
        let (renum, cand_map) = compact(&used);
        for r in kept.iter_mut() {
            for p in r.iter_mut() {
                p.0 = renum[p.0 as usize];
            }
        }
        let pairs = Csr::from_rows(&kept);
        let by_cand = pairs.transpose(cand_map.len());
        Median {
            w,
            f,
            pairs,
            by_cand,
            kept: Kept {
                candidates_dropped: n_orig - cand_map.len(),
                cand_map,
                communities: communities_kept,
            },
            constant,
        }
    }

    pub fn n_elements(&self) -> usize {
        self.w.len()
    }

    pub fn n_cands(&self) -> usize {
        self.kept.cand_map.len()
    }

    /// Total cost (with the constant) of a set of local candidates.
    pub fn cost(&self, chosen: &[usize]) -> f64 {
        let mut open = vec![false; self.n_cands()];
        for &j in chosen {
            open[j] = true;
        }
        let mut s = self.constant;
        for e in 0..self.n_elements() {
            let (c, d) = self.pairs.row(e);
            let mut best = self.f[e];
            for (&j, &dj) in c.iter().zip(d) {
                if open[j as usize] && dj < best {
                    best = dj;
                }
            }
            s += self.w[e] * best;
        }
        s
    }

    /// Lazy greedy then fast interchange. Returns local candidates.
    pub fn heuristic(&self, p: usize) -> Vec<usize> {
        let mut st = MedianState::new(self);
        let heap: BinaryHeap<Key> = (0..self.n_cands())
            .map(|j| Key(st.gain(self, j), j as u32))
            .collect();
        let taken = lazy_greedy(
            &mut st,
            heap,
            p,
            |st, j| st.gain(self, j),
            |st, j| {
                st.open[j] = true;
                st.refresh(self, j);
            },
        );
        if taken.len() == p {
            self.interchange(&mut st);
        }
        (0..self.n_cands()).filter(|&j| st.open[j]).collect()
    }

    fn interchange(&self, st: &mut MedianState) {
        let n = self.n_cands();
        // A swap must improve by more than 1e-9 of the sums it is computed from (not of the
        // whole cost: with penalties of 1e16 elsewhere, a real gain of 150 would drown).
        for _pass in 0..10_000 {
            let mut loss = vec![0.0; n];
            for e in 0..self.n_elements() {
                if st.c1[e] != NONE {
                    loss[st.c1[e] as usize] += self.w[e] * (st.d2[e] - st.d1[e]);
                }
            }
            let swap = best_swap(
                &st.open,
                &loss,
                0.0,
                1e-9,
                |_, _| true,
                |k, extra| {
                    let mut gain = 0.0;
                    let (es, ds) = self.by_cand.row(k);
                    for (&e, &d) in es.iter().zip(ds) {
                        let e = e as usize;
                        if d < st.d1[e] {
                            gain += self.w[e] * (st.d1[e] - d);
                        }
                        if st.c1[e] != NONE && d < st.d2[e] {
                            *extra.entry(st.c1[e]).or_insert(0.0) +=
                                self.w[e] * (st.d2[e] - d.max(st.d1[e]));
                        }
                    }
                    gain
                },
            );
            let Some((out, inn)) = swap else { return };
            st.open[out] = false;
            st.open[inn] = true;
            st.refresh(self, out);
            st.refresh(self, inn);
        }
    }

    /// The Lagrangian lower bound for multipliers λ (any real numbers), with the constant.
    pub fn bound(&self, lambda: &[f64], p: usize) -> f64 {
        let mut s = self.constant;
        for e in 0..self.n_elements() {
            let l = if lambda[e].is_finite() {
                lambda[e]
            } else {
                0.0
            };
            s += l + (self.w[e] * self.f[e] - l).min(0.0);
        }
        let rho: Vec<f64> = (0..self.n_cands())
            .map(|j| {
                let (es, ds) = self.by_cand.row(j);
                let mut r = 0.0;
                for (&e, &d) in es.iter().zip(ds) {
                    let l = if lambda[e as usize].is_finite() {
                        lambda[e as usize]
                    } else {
                        0.0
                    };
                    r += (self.w[e as usize] * d - l).min(0.0);
                }
                -r
            })
            .collect();
        s - top_p(&rho, p, true).0
    }

    /// Subgradient optimisation of the bound, from multipliers at the second-nearest
    /// distance; returns the best bound.
    pub fn subgradient(&self, p: usize, incumbent: f64, iters: usize) -> f64 {
        let m = self.n_elements();
        let mut lambda: Vec<f64> = (0..m)
            .map(|e| {
                let (_, ds) = self.pairs.row(e);
                let mut v: Vec<f64> = ds.to_vec();
                v.push(self.f[e]);
                v.sort_by(|a, b| a.total_cmp(b));
                self.w[e] * v[1.min(v.len() - 1)]
            })
            .collect();
        let mut steps = Steps::new(false, f64::NEG_INFINITY, 1.0);
        for _ in 0..iters {
            let b = self.bound(&lambda, p);
            steps.record(b);
            if steps.done(incumbent) {
                break;
            }
            // Subgradient: 1 − Σ_j x_ej − s_e at the minimiser.
            let rho: Vec<f64> = (0..self.n_cands())
                .map(|j| {
                    let (es, ds) = self.by_cand.row(j);
                    -es.iter()
                        .zip(ds)
                        .map(|(&e, &d)| (self.w[e as usize] * d - lambda[e as usize]).min(0.0))
                        .sum::<f64>()
                })
                .collect();
            let (_, top) = top_p(&rho, p, true);
            let mut g = vec![1.0f64; m];
            for e in 0..m {
                if self.w[e] * self.f[e] - lambda[e] < 0.0 {
                    g[e] -= 1.0;
                }
            }
            for &j in &top {
                let (es, ds) = self.by_cand.row(j);
                for (&e, &d) in es.iter().zip(ds) {
                    if self.w[e as usize] * d - lambda[e as usize] < 0.0 {
                        g[e as usize] -= 1.0;
                    }
                }
            }
            let norm: f64 = g.iter().map(|x| x * x).sum();
            if norm == 0.0 {
                break;
            }
            let t = steps.length(b, incumbent, norm);
            for e in 0..m {
                lambda[e] += t * g[e];
            }
        }
        steps.best
    }
}

/// Open sites and, per element, the nearest and second-nearest open distance (the fallback
/// counts as always open) and the nearest open site (`NONE`: the fallback).
struct MedianState {
    open: Vec<bool>,
    d1: Vec<f64>,
    c1: Vec<u32>,
    d2: Vec<f64>,
}

impl MedianState {
    fn new(m: &Median) -> MedianState {
        MedianState {
            open: vec![false; m.n_cands()],
            d1: m.f.clone(),
            c1: vec![NONE; m.n_elements()],
            d2: vec![f64::INFINITY; m.n_elements()],
        }
    }

    fn gain(&self, m: &Median, j: usize) -> f64 {
        let (es, ds) = m.by_cand.row(j);
        es.iter()
            .zip(ds)
            .map(|(&e, &d)| m.w[e as usize] * (self.d1[e as usize] - d).max(0.0))
            .sum()
    }

    /// Recomputes the elements that site `j` reaches.
    fn refresh(&mut self, m: &Median, j: usize) {
        for &e in m.by_cand.cols_of(j) {
            let e = e as usize;
            let (cs, ds) = m.pairs.row(e);
            let (mut d1, mut c1, mut d2) = (m.f[e], NONE, f64::INFINITY);
            for (&c, &d) in cs.iter().zip(ds) {
                if !self.open[c as usize] {
                    continue;
                }
                if d < d1 {
                    d2 = d1;
                    d1 = d;
                    c1 = c;
                } else if d < d2 {
                    d2 = d;
                }
            }
            self.d1[e] = d1;
            self.c1[e] = c1;
            self.d2[e] = d2;
        }
    }
}
