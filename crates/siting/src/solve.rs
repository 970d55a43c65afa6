//! The solver: reduce, heuristic, bound, and (when the gap is open) the exact MILP.

use crate::budget::Budgeted;
use crate::capacitated::Capacitated;
use crate::coverage::Cover;
use crate::instance::Instance;
use crate::median::Median;
use crate::util::Kept;
use crate::{Problem, SitingError};
use std::time::{Duration, Instant};

/// How hard to work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    /// Heuristic and LP bound; then, if the gap is open, the exact MILP within the time limit.
    #[default]
    Auto,
    /// Heuristic and bound only (no branching): for very large instances.
    Heuristic,
}

/// Solver options.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// What to run.
    pub method: Method,
    /// Wall-clock budget for the LP and MILP together.
    pub time_limit: Duration,
    /// Stop the MILP once the relative gap is at most this (0: prove optimality).
    pub rel_gap: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            method: Method::Auto,
            time_limit: Duration::from_secs(60),
            rel_gap: 0.0,
        }
    }
}

/// What the reduction kept, and where the time went.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reduction {
    /// Communities left after dropping those already covered or not coverable.
    pub communities_kept: usize,
    /// Elements after merging communities with identical candidate sets.
    pub elements: usize,
    /// Candidates kept.
    pub candidates_kept: usize,
    /// Candidates dropped as dominated or reaching nobody.
    pub candidates_dropped: usize,
    /// Non-zeros of the reduced element × candidate matrix.
    pub pairs: usize,
    /// Seconds in reduction, heuristic, LP bound and MILP.
    pub reduce_s: f64,
    /// Seconds in the heuristic.
    pub heuristic_s: f64,
    /// Seconds in the LP relaxation (or subgradient) bound.
    pub bound_s: f64,
    /// Seconds in the MILP.
    pub milp_s: f64,
    /// The MILP solver's status, when it ran.
    pub milp_status: Option<String>,
}

/// An answer with its proof of quality.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    /// The problem solved.
    pub problem: Problem,
    /// Chosen candidates (indices into the instance), sorted. Sites that would add nothing are
    /// not proposed, so there may be fewer than p.
    pub chosen: Vec<usize>,
    /// Objective of `chosen`: covered demand (maximal coverage, existing facilities
    /// included), number of sites (set cover), weighted distance (p-median), served demand
    /// (capacitated).
    pub objective: f64,
    /// Proven bound on the optimum: upper for maximisation, lower for minimisation.
    pub bound: f64,
    /// `|bound − objective| / |objective|` (0 when both are 0).
    pub gap: f64,
    /// Whether `objective` is proven optimal.
    pub optimal: bool,
    /// How the answer was found: `greedy+swap`, `milp`.
    pub found_by: &'static str,
    /// How the bound was proven: `lp-lagrangian`, `subgradient-lagrangian`, `milp`,
    /// `trivial`.
    pub bound_by: &'static str,
    /// Demand that no candidate can bring within the radius and no existing facility covers
    /// (coverage problems).
    pub uncoverable: f64,
    /// Sizes and timings.
    pub reduction: Reduction,
}

/// Relative tolerance under which a non-integral objective counts as proven optimal.
const REL_TOL: f64 = 1e-7;

trait Reduced {
    fn heuristic(&self, p: usize) -> Vec<usize>;
    fn value(&self, chosen: &[usize]) -> f64;
    fn trivial_bound(&self, p: usize) -> f64;
    #[cfg(feature = "milp")]
    fn lp_bound(&self, p: usize, run: crate::milp::Run) -> Option<f64>;
    fn sub_bound(&self, p: usize, incumbent: f64) -> f64;
    #[cfg(feature = "milp")]
    fn milp(&self, p: usize, start: &[usize], run: crate::milp::Run) -> crate::milp::MilpOut;
    #[cfg(feature = "milp")]
    /// The objective constant the reduced models leave out (their MILP objective plus it is
    /// the objective).
    fn constant(&self) -> f64;
    /// Where the local candidates come from.
    fn kept(&self) -> &Kept;
    /// Elements and non-zeros of the reduced element × candidate matrix.
    fn size(&self) -> (usize, usize);
    /// Whether a set of local candidates satisfies the problem's side constraint (a budget).
    fn feasible(&self, _chosen: &[usize]) -> bool {
        true
    }
}

impl Reduced for Cover {
    fn heuristic(&self, p: usize) -> Vec<usize> {
        self.mclp_heuristic(p)
    }
    fn value(&self, chosen: &[usize]) -> f64 {
        self.base + self.covered(chosen)
    }
    fn trivial_bound(&self, _p: usize) -> f64 {
        self.base + self.w.iter().sum::<f64>()
    }
    #[cfg(feature = "milp")]
    fn lp_bound(&self, p: usize, run: crate::milp::Run) -> Option<f64> {
        let u = crate::milp::mclp_lp(self, crate::milp::Limit::Sites(p), run)?;
        Some(self.base + self.mclp_bound(&u, p))
    }
    fn sub_bound(&self, p: usize, incumbent: f64) -> f64 {
        self.base + self.mclp_subgradient(p, incumbent - self.base, 300)
    }
    #[cfg(feature = "milp")]
    fn milp(&self, p: usize, start: &[usize], run: crate::milp::Run) -> crate::milp::MilpOut {
        crate::milp::mclp_milp(self, crate::milp::Limit::Sites(p), start, run)
    }
    #[cfg(feature = "milp")]
    fn constant(&self) -> f64 {
        self.base
    }
    fn kept(&self) -> &Kept {
        &self.kept
    }
    fn size(&self) -> (usize, usize) {
        (self.n_elements(), self.sets.nnz())
    }
}

impl Reduced for Budgeted {
    fn heuristic(&self, _p: usize) -> Vec<usize> {
        Budgeted::heuristic(self)
    }
    fn value(&self, chosen: &[usize]) -> f64 {
        self.cover.value(chosen)
    }
    fn trivial_bound(&self, _p: usize) -> f64 {
        // All the coverable demand, or every site's weight in the knapsack (u = w).
        let all: f64 = self.cover.w.iter().sum();
        self.cover.base + all.min(self.bound(&self.cover.w))
    }
    #[cfg(feature = "milp")]
    fn lp_bound(&self, _p: usize, run: crate::milp::Run) -> Option<f64> {
        let u = crate::milp::mclp_lp(&self.cover, self.limit(), run)?;
        Some(self.cover.base + self.bound(&u))
    }
    fn sub_bound(&self, _p: usize, incumbent: f64) -> f64 {
        self.cover.base + self.subgradient(incumbent - self.cover.base, 300)
    }
    #[cfg(feature = "milp")]
    fn milp(&self, _p: usize, start: &[usize], run: crate::milp::Run) -> crate::milp::MilpOut {
        crate::milp::mclp_milp(&self.cover, self.limit(), start, run)
    }
    #[cfg(feature = "milp")]
    fn constant(&self) -> f64 {
        self.cover.constant()
    }
    fn kept(&self) -> &Kept {
        &self.cover.kept
    }
    fn size(&self) -> (usize, usize) {
        self.cover.size()
    }
    fn feasible(&self, chosen: &[usize]) -> bool {
        Budgeted::feasible(self, chosen)
    }
}

#[cfg(feature = "milp")]
impl Budgeted {
    /// The knapsack row of the models.
    fn limit(&self) -> crate::milp::Limit<'_> {
        crate::milp::Limit::Budget {
            cost: &self.cost,
            budget: self.limit,
        }
    }
}

/// Set cover on a [`Cover`]: same data, another objective.
struct SetCover(Cover);

impl Reduced for SetCover {
    fn heuristic(&self, _p: usize) -> Vec<usize> {
        self.0.lscp_heuristic()
    }
    fn value(&self, chosen: &[usize]) -> f64 {
        chosen.len() as f64
    }
    fn trivial_bound(&self, _p: usize) -> f64 {
        self.0.lscp_bound(&self.0.lscp_packing())
    }
    #[cfg(feature = "milp")]
    fn lp_bound(&self, _p: usize, run: crate::milp::Run) -> Option<f64> {
        let u = crate::milp::lscp_lp(&self.0, run)?;
        Some(self.0.lscp_bound(&u))
    }
    fn sub_bound(&self, _p: usize, _incumbent: f64) -> f64 {
        self.0.lscp_bound(&self.0.lscp_packing())
    }
    #[cfg(feature = "milp")]
    fn milp(&self, _p: usize, start: &[usize], run: crate::milp::Run) -> crate::milp::MilpOut {
        crate::milp::lscp_milp(&self.0, start, run)
    }
    #[cfg(feature = "milp")]
    fn constant(&self) -> f64 {
        0.0
    }
    fn kept(&self) -> &Kept {
        &self.0.kept
    }
    fn size(&self) -> (usize, usize) {
        self.0.size()
    }
    /// Every coverable element is covered, whatever its weight (found by the property tests,
    /// issue 19: comparing covered weight, communities of no population all counted as
    /// covered by no site at all).
    fn feasible(&self, chosen: &[usize]) -> bool {
        let c = &self.0;
        let mut hit = vec![false; c.n_elements()];
        for &j in chosen {
            for &e in c.by_cand.cols_of(j) {
                hit[e as usize] = true;
            }
        }
        hit.iter().all(|&h| h)
    }
}

impl Reduced for Median {
    fn heuristic(&self, p: usize) -> Vec<usize> {
        Median::heuristic(self, p)
    }
    fn value(&self, chosen: &[usize]) -> f64 {
        self.cost(chosen)
    }
    fn trivial_bound(&self, _p: usize) -> f64 {
        let mut s = self.constant;
        for e in 0..self.n_elements() {
            let (_, ds) = self.pairs.row(e);
            s += self.w[e] * ds.iter().fold(self.f[e], |a, &b| a.min(b));
        }
        s
    }
    #[cfg(feature = "milp")]
    fn lp_bound(&self, p: usize, run: crate::milp::Run) -> Option<f64> {
        let l = crate::milp::median_lp(self, p, run)?;
        let neg: Vec<f64> = l.iter().map(|x| -x).collect();
        Some(self.bound(&l, p).max(self.bound(&neg, p)))
    }
    fn sub_bound(&self, p: usize, incumbent: f64) -> f64 {
        self.subgradient(p, incumbent, 300)
    }
    #[cfg(feature = "milp")]
    fn milp(&self, p: usize, start: &[usize], run: crate::milp::Run) -> crate::milp::MilpOut {
        crate::milp::median_milp(self, p, start, run)
    }
    #[cfg(feature = "milp")]
    fn constant(&self) -> f64 {
        self.constant
    }
    fn kept(&self) -> &Kept {
        &self.kept
    }
    fn size(&self) -> (usize, usize) {
        (self.n_elements(), self.pairs.nnz())
    }
}

impl Reduced for Capacitated {
    fn heuristic(&self, p: usize) -> Vec<usize> {
        Capacitated::heuristic(self, p)
    }
    fn value(&self, chosen: &[usize]) -> f64 {
        self.served(chosen)
    }
    fn trivial_bound(&self, _p: usize) -> f64 {
        self.w.iter().sum()
    }
    #[cfg(feature = "milp")]
    fn lp_bound(&self, p: usize, run: crate::milp::Run) -> Option<f64> {
        let u = crate::milp::cap_lp(self, p, run)?;
        Some(self.bound(&u, p))
    }
    fn sub_bound(&self, p: usize, incumbent: f64) -> f64 {
        self.subgradient(p, incumbent, 300)
    }
    #[cfg(feature = "milp")]
    fn milp(&self, p: usize, start: &[usize], run: crate::milp::Run) -> crate::milp::MilpOut {
        crate::milp::cap_milp(self, p, start, run)
    }
    #[cfg(feature = "milp")]
    fn constant(&self) -> f64 {
        0.0
    }
    fn kept(&self) -> &Kept {
        &self.kept
    }
    fn size(&self) -> (usize, usize) {
        (self.n_elements(), self.sets.nnz())
    }
}

/// Solves a siting problem on an instance.
pub fn solve(inst: &Instance, problem: &Problem, opts: &Options) -> Result<Solution, SitingError> {
    problem.check()?;
    if !(opts.rel_gap.is_finite() && opts.rel_gap >= 0.0) {
        return Err(SitingError::BadParameter(format!(
            "最优性差距目标须不小于 0 the gap target must be a number ≥ 0, got {}",
            opts.rel_gap
        )));
    }
    let t0 = Instant::now();
    match *problem {
        Problem::Mclp { p, radius } => {
            let c = Cover::build(inst, radius, false);
            let unc = c.uncoverable;
            let integral = inst.integral_weights();
            run(&c, p, true, integral, problem, opts, t0, unc)
        }
        Problem::Lscp { radius } => {
            let c = Cover::build(inst, radius, true);
            let unc = c.uncoverable;
            run(
                &SetCover(c),
                usize::MAX,
                false,
                true,
                problem,
                opts,
                t0,
                unc,
            )
        }
        Problem::PMedian { p, penalty, .. } => {
            let m = Median::build(inst, penalty);
            run(&m, p, false, false, problem, opts, t0, 0.0)
        }
        Problem::BudgetCoverage { budget, radius } => {
            let cost = inst.costs()?;
            let b = Budgeted::build(inst, radius, &cost, budget);
            let unc = b.cover.uncoverable;
            let integral = inst.integral_weights();
            run(&b, usize::MAX, true, integral, problem, opts, t0, unc)
        }
        Problem::Capacitated { p, radius } => {
            let c = Capacitated::build(inst, radius);
            let integral = inst.integral_weights()
                && c.cap.iter().all(|x| x.is_infinite() || x.fract() == 0.0);
            run(&c, p, true, integral, problem, opts, t0, 0.0)
        }
    }
}

/// Whether `obj` is proven optimal against `bound`.
fn closed(obj: f64, bound: f64, maximise: bool, integral: bool) -> bool {
    let slack = if maximise { bound - obj } else { obj - bound };
    if integral {
        slack < 1.0 - 1e-6
    } else {
        slack <= REL_TOL * obj.abs().max(1e-9)
    }
}

/// Tightens a bound to the objective's integer grid.
fn round_bound(bound: f64, maximise: bool, integral: bool) -> f64 {
    if !integral || !bound.is_finite() {
        return bound;
    }
    if maximise {
        (bound + 1e-6).floor()
    } else {
        (bound - 1e-6).ceil()
    }
}

fn better(a: f64, b: f64, maximise: bool) -> bool {
    if maximise {
        a > b
    } else {
        a < b
    }
}

/// Whether bound `new` is tighter than `old` (lower for maximisation).
fn tightens(new: f64, old: f64, maximise: bool) -> bool {
    better(new, old, !maximise)
}

#[cfg(feature = "milp")]
fn tighter(new: f64, old: f64, maximise: bool) -> f64 {
    if maximise {
        new.min(old)
    } else {
        new.max(old)
    }
}

/// At most this many candidate sets are enumerated.
#[cfg(not(feature = "milp"))]
const ENUMERATION_LIMIT: u128 = 200_000;

/// The best feasible set of local candidates by complete enumeration, when the reduced instance
/// is small enough: every set of `min(p, m)` candidates (more sites never hurt coverage,
/// p-median or capacitated service), or every subset for a budget. `None` when there are too
/// many sets, or for set cover (whose constraint the value does not carry).
#[cfg(not(feature = "milp"))]
fn enumerate<R: Reduced>(
    r: &R,
    problem: &Problem,
    p: usize,
    maximise: bool,
) -> Option<(Vec<usize>, f64)> {
    let m = r.kept().cand_map.len();
    let mut best: Option<(Vec<usize>, f64)> = None;
    let mut consider = |set: &[usize]| {
        if !r.feasible(set) {
            return;
        }
        let v = r.value(set);
        if best.as_ref().is_none_or(|(_, b)| better(v, *b, maximise)) {
            best = Some((set.to_vec(), v));
        }
    };
    match problem {
        Problem::Lscp { .. } => {
            // The fewest sites: sets of 1, 2, … sites until one covers everything.
            let mut budget = ENUMERATION_LIMIT;
            for k in 0..=m {
                budget -= binomial(m, k, budget)?;
                let mut found: Option<Vec<usize>> = None;
                for_each_subset(m, k, &mut |set| {
                    if found.is_none() && r.feasible(set) {
                        found = Some(set.to_vec());
                    }
                });
                if let Some(set) = found {
                    let v = r.value(&set);
                    return Some((set, v));
                }
            }
            return None;
        }
        Problem::BudgetCoverage { .. } => {
            if m >= 64 || (1u128 << m) > ENUMERATION_LIMIT {
                return None;
            }
            let mut set = Vec::with_capacity(m);
            for mask in 0u64..(1u64 << m) {
                set.clear();
                set.extend((0..m).filter(|j| mask >> j & 1 == 1));
                consider(&set);
            }
        }
        _ => {
            let k = p.min(m);
            binomial(m, k, ENUMERATION_LIMIT)?;
            for_each_subset(m, k, &mut consider);
        }
    }
    best
}

/// C(m, k), or `None` as soon as it passes `limit`.
#[cfg(not(feature = "milp"))]
fn binomial(m: usize, k: usize, limit: u128) -> Option<u128> {
    let mut count: u128 = 1;
    for i in 0..k as u128 {
        count = count * (m as u128 - i) / (i + 1);
        if count > limit {
            return None;
        }
    }
    Some(count)
}

/// Calls `f` with every k-subset of 0..m, in lexicographic order.
#[cfg(not(feature = "milp"))]
fn for_each_subset(m: usize, k: usize, f: &mut impl FnMut(&[usize])) {
    let mut set: Vec<usize> = (0..k).collect();
    loop {
        f(&set);
        let Some(i) = (0..k).rev().find(|&i| set[i] < m - k + i) else {
            break;
        };
        set[i] += 1;
        for j in i + 1..k {
            set[j] = set[j - 1] + 1;
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn run<R: Reduced>(
    r: &R,
    p: usize,
    maximise: bool,
    integral: bool,
    problem: &Problem,
    opts: &Options,
    t0: Instant,
    uncoverable: f64,
) -> Result<Solution, SitingError> {
    let kept = r.kept();
    let (elements, pairs) = r.size();
    let mut red = Reduction {
        communities_kept: kept.communities,
        elements,
        candidates_kept: kept.cand_map.len(),
        candidates_dropped: kept.candidates_dropped,
        pairs,
        ..Default::default()
    };
    red.reduce_s = t0.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut chosen = r.heuristic(p);
    debug_assert!(
        r.feasible(&chosen),
        "the heuristic broke the side constraint"
    );
    #[cfg_attr(not(feature = "milp"), allow(unused_mut))]
    let mut obj = r.value(&chosen);
    #[cfg_attr(not(feature = "milp"), allow(unused_mut))]
    let mut found_by = "greedy+swap";
    red.heuristic_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let mut bound = round_bound(r.trivial_bound(p), maximise, integral);
    let mut bound_by = "trivial";
    // Nothing to choose from, or nothing left to gain: the trivial bound closes it.
    let deadline = t0 + opts.time_limit;
    if !closed(obj, bound, maximise, integral) {
        #[cfg(feature = "milp")]
        {
            let left = deadline.saturating_duration_since(Instant::now());
            let run = crate::milp::Run {
                time_limit: left,
                rel_gap: 0.0,
                abs_gap: 0.0,
            };
            if let Some(b) = r.lp_bound(p, run) {
                let b = round_bound(b, maximise, integral);
                if tightens(b, bound, maximise) {
                    bound = b;
                    bound_by = "lp-lagrangian";
                }
            }
        }
        if !closed(obj, bound, maximise, integral) && bound_by == "trivial" {
            let b = round_bound(r.sub_bound(p, obj), maximise, integral);
            if tightens(b, bound, maximise) {
                bound = b;
                bound_by = "subgradient-lagrangian";
            }
        }
    }
    red.bound_s = t.elapsed().as_secs_f64();

    #[cfg(feature = "milp")]
    if opts.method == Method::Auto && !closed(obj, bound, maximise, integral) {
        let t = Instant::now();
        let left = deadline.saturating_duration_since(Instant::now());
        if left > Duration::from_millis(10) {
            let run = crate::milp::Run {
                time_limit: left,
                rel_gap: if integral {
                    opts.rel_gap
                } else {
                    opts.rel_gap.max(REL_TOL)
                },
                abs_gap: if integral { 1.0 - 1e-3 } else { 1e-9 },
            };
            let out = r.milp(p, &chosen, run);
            red.milp_status = Some(out.status.clone());
            if out.has_solution && r.feasible(&out.chosen) {
                let v = r.value(&out.chosen);
                if better(v, obj, maximise) {
                    obj = v;
                    chosen = out.chosen.clone();
                    found_by = "milp";
                }
            }
            let b = round_bound(out.dual_bound + r.constant(), maximise, integral);
            if b.is_finite() && tighter(b, bound, maximise) != bound {
                bound = b;
                bound_by = "milp";
            }
            // The MILP proves optimality of its own answer; trust it only to its tolerance.
            if out.optimal && out.has_solution && found_by == "milp" {
                bound = tighter(bound, round_bound(obj, maximise, integral), maximise);
                if closed(obj, bound, maximise, integral) {
                    bound_by = "milp";
                }
            }
        }
        red.milp_s = t.elapsed().as_secs_f64();
    }
    // Without the MILP (the default build: no cmake), a small reduced instance is solved
    // exactly by enumeration, so that small cases are still proven optimal.
    #[cfg(not(feature = "milp"))]
    {
        let _ = deadline;
        if opts.method == Method::Auto && !closed(obj, bound, maximise, integral) {
            let t = Instant::now();
            if let Some((best, v)) = enumerate(r, problem, p, maximise) {
                if better(v, obj, maximise) {
                    obj = v;
                    chosen = best;
                    found_by = "enumeration";
                }
                bound = round_bound(obj, maximise, integral);
                bound_by = "enumeration";
            }
            red.milp_s = t.elapsed().as_secs_f64();
        }
    }

    // A valid bound is never past a feasible value, but floating-point rounding in the bound
    // functions can put it a hair past on extreme instances (found by the property tests,
    // issue 19: weights of 10 million against distances of a nanometre, where the p-median
    // bound came out 2e-7 above the value): then the value itself is the bound.
    if better(bound, obj, !maximise) {
        bound = obj;
    }
    // Drop sites that add nothing (latest first); set cover answers are already minimal.
    if !matches!(problem, Problem::Lscp { .. }) {
        let mut i = chosen.len();
        while i > 0 {
            i -= 1;
            let mut without = chosen.clone();
            without.remove(i);
            if !better(obj, r.value(&without), maximise) {
                chosen = without;
            }
        }
    }
    if closed(obj, bound, maximise, integral) && integral {
        // On the integer grid a closed gap means equality.
        bound = obj;
    }
    let gap = if obj == 0.0 && bound == 0.0 {
        0.0
    } else {
        (bound - obj).abs() / obj.abs().max(1e-12)
    };
    let mut chosen: Vec<usize> = chosen.iter().map(|&j| kept.cand_map[j] as usize).collect();
    chosen.sort_unstable();
    Ok(Solution {
        problem: *problem,
        chosen,
        objective: obj,
        bound,
        gap,
        optimal: closed(obj, bound, maximise, integral),
        found_by,
        bound_by,
        uncoverable,
        reduction: red,
    })
}
