//! Shared by the siting tests: a deterministic generator, plain instance data kept beside the
//! instance for exhaustive search (written here, independently of the library), every subset
//! of the candidates, the solver options, and the checks of a solution against the optimum.

use lc_siting::{
    evaluate, solve, Evaluation, Instance, InstanceData, Method, Options, Problem, Solution,
    UNLIMITED,
};
use std::time::Duration;

/// A tiny deterministic generator (xorshift), so the instances are the same everywhere.
pub struct Gen(pub u64);

impl Gen {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Plain data kept beside the instance for the brute force: weights `w`, distances `d[i][j]`
/// to candidates and `e[i][k]` to existing facilities (None = unreachable), capacities of
/// candidates `cap` and of existing facilities `ecap`, candidate costs (empty: none).
pub struct Plain {
    pub w: Vec<f64>,
    pub d: Vec<Vec<Option<f64>>>,
    pub e: Vec<Vec<Option<f64>>>,
    pub cap: Vec<f64>,
    pub ecap: Vec<f64>,
    pub cost: Vec<f64>,
}

/// The reachable pairs of each row of a distance matrix.
fn pairs(m: &[Vec<Option<f64>>]) -> Vec<Vec<(u32, f64)>> {
    m.iter()
        .map(|row| {
            row.iter()
                .enumerate()
                .filter_map(|(j, d)| d.map(|d| (j as u32, d)))
                .collect()
        })
        .collect()
}

impl Plain {
    /// `n` communities, `m` candidates and `k` existing facilities, drawn from `g` in this
    /// order: weights, distances to candidates, distances to existing facilities. Capacities
    /// unlimited and no costs; a test draws those it needs from `g` afterwards.
    pub fn random(g: &mut Gen, n: usize, m: usize, k: usize) -> Plain {
        // Distances on a coarse grid of 50 m, so ties are frequent; a quarter unreachable.
        let dist = |g: &mut Gen| -> Option<f64> {
            if g.below(4) == 0 {
                None
            } else {
                Some(50.0 * g.below(30) as f64)
            }
        };
        let w = (0..n).map(|_| (1 + g.below(9)) as f64 * 100.0).collect();
        let d = (0..n).map(|_| (0..m).map(|_| dist(g)).collect()).collect();
        let e = (0..n).map(|_| (0..k).map(|_| dist(g)).collect()).collect();
        Plain {
            w,
            d,
            e,
            cap: vec![UNLIMITED; m],
            ecap: vec![UNLIMITED; k],
            cost: Vec::new(),
        }
    }

    pub fn instance(&self) -> Instance {
        Instance::new(InstanceData {
            weight: self.w.clone(),
            candidate_capacity: self.cap.clone(),
            candidate_pairs: pairs(&self.d),
            existing_capacity: self.ecap.clone(),
            existing_pairs: pairs(&self.e),
            candidate_cost: self.cost.iter().map(|&c| Some(c)).collect(),
        })
        .unwrap()
    }

    pub fn nearest_existing(&self, i: usize) -> f64 {
        self.e[i]
            .iter()
            .flatten()
            .fold(f64::INFINITY, |a, &b| a.min(b))
    }

    /// The weight within `r` of an existing facility or of a site in `s`.
    pub fn coverage(&self, s: &[usize], r: f64) -> f64 {
        (0..self.w.len())
            .filter(|&i| {
                self.nearest_existing(i) <= r
                    || s.iter().any(|&j| self.d[i][j].is_some_and(|d| d <= r))
            })
            .map(|i| self.w[i])
            .sum()
    }
}

/// Every subset of `0..m` with at most `p` elements.
pub fn subsets(m: usize, p: usize) -> Vec<Vec<usize>> {
    (0u32..(1 << m))
        .filter(|b| b.count_ones() as usize <= p)
        .map(|b| (0..m).filter(|&j| b & (1 << j) != 0).collect())
        .collect()
}

/// `method` with a generous time limit and no gap: the exact method must prove the optimum.
pub fn opts(method: Method) -> Options {
    Options {
        method,
        time_limit: Duration::from_secs(20),
        rel_gap: 0.0,
    }
}

/// `evaluate` agrees with the objective of `s`; returns the evaluation.
pub fn assert_evaluates(
    inst: &Instance,
    problem: &Problem,
    s: &Solution,
    what: &str,
) -> Evaluation {
    let ev = evaluate(inst, problem, &s.chosen).unwrap();
    assert!(
        (ev.objective - s.objective).abs() < 1e-6,
        "{what}: evaluate disagrees"
    );
    ev
}

/// The exact method finds the optimum `best` and proves it, its bound within `bound_tol` of
/// `best`; `evaluate` agrees and no more than p sites are chosen. Returns the solution and its
/// evaluation.
pub fn assert_exact(
    inst: &Instance,
    problem: &Problem,
    best: f64,
    bound_tol: f64,
    what: &str,
) -> (Solution, Evaluation) {
    let s = solve(inst, problem, &opts(Method::Auto)).unwrap();
    if std::env::var("SITING_TRACE").is_ok() {
        eprintln!(
            "TRACE {what}: found_by {} bound_by {}",
            s.found_by, s.bound_by
        );
    }
    assert!(
        (s.objective - best).abs() < 1e-6,
        "{what}: objective {} but the optimum is {best} ({s:?})",
        s.objective
    );
    assert!(s.optimal, "{what}: not proven optimal: {s:?}");
    assert!(
        (s.bound - best).abs() < bound_tol,
        "{what}: bound {} vs {best}",
        s.bound
    );
    let ev = assert_evaluates(inst, problem, &s, what);
    if let Some(p) = problem.p() {
        assert!(s.chosen.len() <= p);
    }
    (s, ev)
}

/// The heuristic is never better than the optimum `best` (of a problem that is maximised or
/// not) and its bound is valid; its gap is not negative. Returns its solution.
pub fn assert_heuristic(
    inst: &Instance,
    problem: &Problem,
    best: f64,
    maximise: bool,
    what: &str,
) -> Solution {
    let h = solve(inst, problem, &opts(Method::Heuristic)).unwrap();
    if maximise {
        assert!(
            h.objective <= best + 1e-6,
            "{what}: heuristic beats optimum"
        );
        assert!(
            h.bound >= best - 1e-6,
            "{what}: invalid bound {} < {best}",
            h.bound
        );
    } else {
        assert!(
            h.objective >= best - 1e-6,
            "{what}: heuristic beats optimum"
        );
        assert!(
            h.bound <= best + 1e-6,
            "{what}: invalid bound {} > {best}",
            h.bound
        );
    }
    assert!(h.gap >= 0.0);
    h
}
