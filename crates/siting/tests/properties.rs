//! Property tests (issue 19): the solvers on generated instances with extreme values — weights
//! of 0, 1 and 10 million, distances of 0, a nanometre and a million kilometres, unreachable
//! pairs, capacities of 0 and unlimited, duplicate candidates, p of 0 and larger than the
//! number of candidates, radii of 0 and beyond every distance.
//!
//! - nothing panics, and every answer is finite with a valid bound (the heuristic's value
//!   never beats its bound);
//! - the exact method equals a brute force written here on every instance (all are small), to
//!   the solver's relative tolerance of 1e-7 for objectives that are not whole numbers;
//! - p-median, maximal coverage and capacitated coverage choose at most min(p, candidates)
//!   sites, and fewer only when no other candidate would improve the answer (which is what
//!   `site` then says); set cover covers everything coverable; budgeted coverage keeps to
//!   the budget.

use std::time::Duration;

use lc_siting::{evaluate, solve, Instance, InstanceData, Method, Options, Problem, UNLIMITED};
use proptest::prelude::*;

/// A generated instance, kept as plain matrices for the brute force.
#[derive(Debug, Clone)]
struct Case {
    w: Vec<f64>,
    /// `d[i][j]`: community `i` to candidate `j` (`None`: unreachable).
    d: Vec<Vec<Option<f64>>>,
    /// `e[i][k]`: community `i` to existing facility `k`.
    e: Vec<Vec<Option<f64>>>,
    cap: Vec<f64>,
    ecap: Vec<f64>,
    cost: Vec<f64>,
    p: usize,
    radius: f64,
    penalty: f64,
    budget: f64,
}

fn weight() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(0.0),
        Just(1.0),
        Just(1e7),
        (1u32..2_000).prop_map(f64::from),
        0.0..1e4f64,
    ]
}

fn distance() -> impl Strategy<Value = Option<f64>> {
    prop_oneof![
        3 => Just(None),
        1 => Just(Some(0.0)),
        1 => Just(Some(1e-9)),
        6 => (0u32..40).prop_map(|x| Some(f64::from(x) * 50.0)),
        1 => Just(Some(1e9)),
        1 => (0.0..2_000.0f64).prop_map(Some),
    ]
}

fn capacity() -> impl Strategy<Value = f64> {
    prop_oneof![
        2 => Just(UNLIMITED),
        1 => Just(0.0),
        1 => Just(1.0),
        1 => Just(1e7),
        3 => (1u32..20).prop_map(|x| f64::from(x) * 100.0),
    ]
}

fn cost() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(0.0),
        Just(1.0),
        Just(1e7),
        (1u32..10).prop_map(|x| f64::from(x) * 1e5),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (1usize..=7, 0usize..=6, 0usize..=2)
        .prop_flat_map(|(n, m, k)| {
            (
                prop::collection::vec(weight(), n),
                prop::collection::vec(prop::collection::vec(distance(), m), n),
                prop::collection::vec(prop::collection::vec(distance(), k), n),
                prop::collection::vec(capacity(), m),
                prop::collection::vec(capacity(), k),
                prop::collection::vec(cost(), m),
                0..=m + 2,
                prop_oneof![Just(0.0), Just(1e-9), Just(300.0), Just(800.0), Just(1e12)],
                prop_oneof![Just(1e-6), Just(2_000.0), Just(1e9)],
                prop_oneof![Just(0.0), Just(1e5), Just(3e5), Just(1e7), Just(1e8)],
                any::<bool>(),
            )
        })
        .prop_map(
            |(w, mut d, e, mut cap, ecap, mut cost, p, radius, penalty, budget, dup)| {
                // A duplicate candidate: the last one is the first again.
                let m = cap.len();
                if dup && m >= 2 {
                    for row in &mut d {
                        row[m - 1] = row[0];
                    }
                    cap[m - 1] = cap[0];
                    cost[m - 1] = cost[0];
                }
                Case {
                    w,
                    d,
                    e,
                    cap,
                    ecap,
                    cost,
                    p,
                    radius,
                    penalty,
                    budget,
                }
            },
        )
}

/// "Within the radius", as the engine defines it: at most the radius plus a millimetre of
/// tolerance for the floating-point noise of summed edge lengths.
fn within(d: f64, r: f64) -> bool {
    d <= r + 1e-3
}

fn listed(rows: &[Vec<Option<f64>>]) -> Vec<Vec<(u32, f64)>> {
    rows.iter()
        .map(|r| {
            r.iter()
                .enumerate()
                .filter_map(|(j, d)| d.map(|d| (j as u32, d)))
                .collect()
        })
        .collect()
}

impl Case {
    fn instance(&self) -> Instance {
        Instance::new(InstanceData {
            weight: self.w.clone(),
            candidate_capacity: self.cap.clone(),
            candidate_pairs: listed(&self.d),
            existing_capacity: self.ecap.clone(),
            existing_pairs: listed(&self.e),
            candidate_cost: self.cost.iter().map(|&c| Some(c)).collect(),
        })
        .expect("generated data is valid")
    }

    fn m(&self) -> usize {
        self.cap.len()
    }

    fn near_existing(&self, i: usize, r: f64) -> bool {
        self.e[i].iter().flatten().any(|&d| within(d, r))
    }

    fn reaches(&self, i: usize, j: usize, r: f64) -> bool {
        self.d[i][j].is_some_and(|d| within(d, r))
    }

    /// Demand within the radius of an existing facility or a site of `set`.
    fn coverage(&self, set: &[usize]) -> f64 {
        let r = self.radius;
        (0..self.w.len())
            .filter(|&i| self.near_existing(i, r) || set.iter().any(|&j| self.reaches(i, j, r)))
            .map(|i| self.w[i])
            .sum()
    }

    /// Weighted distance to the nearest open facility, at most the penalty.
    fn median(&self, set: &[usize]) -> f64 {
        (0..self.w.len())
            .map(|i| {
                let open = self.e[i]
                    .iter()
                    .flatten()
                    .chain(set.iter().filter_map(|&j| self.d[i][j].as_ref()));
                self.w[i] * open.fold(self.penalty, |a, &b| a.min(b))
            })
            .sum()
    }

    /// Demand served by existing facilities and the sites of `set`, each within the radius
    /// and its capacity: a maximum flow by augmenting paths (depth first) on the bipartite
    /// graph of communities and open facilities.
    fn served(&self, set: &[usize]) -> f64 {
        let n = self.w.len();
        let total: f64 = self.w.iter().sum();
        // Open facilities: (capacity, reach of each community).
        let mut fac: Vec<(f64, Vec<bool>)> = Vec::new();
        for (k, &c) in self.ecap.iter().enumerate() {
            let reach = (0..n)
                .map(|i| self.e[i][k].is_some_and(|d| within(d, self.radius)))
                .collect();
            fac.push((c.min(total), reach));
        }
        for &j in set {
            let reach = (0..n).map(|i| self.reaches(i, j, self.radius)).collect();
            fac.push((self.cap[j].min(total), reach));
        }
        // flow[i][f]: demand of community i served by facility f.
        let mut flow = vec![vec![0.0f64; fac.len()]; n];
        let mut left: Vec<f64> = self.w.clone();
        let mut room: Vec<f64> = fac.iter().map(|f| f.0).collect();
        let eps = 1e-9 * total.max(1.0);
        loop {
            // Search from every community with demand left to a facility with room, through
            // alternating (community → facility, facility → community with flow) steps.
            let mut from_fac: Vec<Option<usize>> = vec![None; fac.len()];
            let mut from_com: Vec<Option<usize>> = vec![None; n];
            let mut seen_com = vec![false; n];
            let mut stack: Vec<usize> = (0..n).filter(|&i| left[i] > eps).collect();
            for &i in &stack {
                seen_com[i] = true;
            }
            let mut end = None;
            while let Some(i) = stack.pop() {
                for f in 0..fac.len() {
                    if !fac[f].1[i] || from_fac[f].is_some() {
                        continue;
                    }
                    from_fac[f] = Some(i);
                    if room[f] > eps {
                        end = Some(f);
                        break;
                    }
                    for i2 in 0..n {
                        if !seen_com[i2] && flow[i2][f] > eps {
                            seen_com[i2] = true;
                            from_com[i2] = Some(f);
                            stack.push(i2);
                        }
                    }
                }
                if end.is_some() {
                    break;
                }
            }
            let Some(last) = end else {
                return self.w.iter().zip(&left).map(|(w, l)| w - l).sum();
            };
            // The amount the path can carry.
            let mut amount = room[last];
            let mut f = last;
            loop {
                let i = from_fac[f].expect("on the path");
                match from_com[i] {
                    Some(prev) => {
                        amount = amount.min(flow[i][prev]);
                        f = prev;
                    }
                    None => {
                        amount = amount.min(left[i]);
                        break;
                    }
                }
            }
            room[last] -= amount;
            let mut f = last;
            loop {
                let i = from_fac[f].expect("on the path");
                flow[i][f] += amount;
                match from_com[i] {
                    Some(prev) => {
                        flow[i][prev] -= amount;
                        f = prev;
                    }
                    None => {
                        left[i] -= amount;
                        break;
                    }
                }
            }
        }
    }

    /// Whether `set` brings every community that some candidate can bring within the radius
    /// (and no existing facility does), whatever its weight.
    fn covers(&self, set: &[usize]) -> bool {
        let r = self.radius;
        (0..self.w.len()).all(|i| {
            self.near_existing(i, r)
                || !(0..self.m()).any(|j| self.reaches(i, j, r))
                || set.iter().any(|&j| self.reaches(i, j, r))
        })
    }

    /// Every subset of the candidates.
    fn subsets(&self) -> Vec<Vec<usize>> {
        let m = self.m();
        (0u32..1 << m)
            .map(|b| (0..m).filter(|&j| b >> j & 1 == 1).collect())
            .collect()
    }

    /// The optimum of a problem by trying every subset.
    fn brute_force(&self, problem: &Problem) -> f64 {
        let all = self.subsets();
        let within_p = |s: &&Vec<usize>| s.len() <= self.p;
        match problem {
            Problem::Mclp { .. } => all
                .iter()
                .filter(within_p)
                .map(|s| self.coverage(s))
                .fold(0.0, f64::max),
            Problem::PMedian { .. } => all
                .iter()
                .filter(within_p)
                .map(|s| self.median(s))
                .fold(f64::INFINITY, f64::min),
            Problem::Capacitated { .. } => all
                .iter()
                .filter(within_p)
                .map(|s| self.served(s))
                .fold(0.0, f64::max),
            Problem::BudgetCoverage { .. } => all
                .iter()
                .filter(|s| s.iter().map(|&j| self.cost[j]).sum::<f64>() <= self.budget)
                .map(|s| self.coverage(s))
                .fold(0.0, f64::max),
            Problem::Lscp { .. } => all
                .iter()
                .filter(|s| self.covers(s))
                .map(|s| s.len() as f64)
                .fold(f64::INFINITY, f64::min),
        }
    }

    fn problems(&self) -> [Problem; 5] {
        let (p, radius) = (self.p, self.radius);
        [
            Problem::Mclp { p, radius },
            Problem::PMedian {
                p,
                penalty: self.penalty,
                radius,
            },
            Problem::Capacitated { p, radius },
            Problem::Lscp { radius },
            Problem::BudgetCoverage {
                budget: self.budget,
                radius,
            },
        ]
    }
}

fn options(method: Method) -> Options {
    Options {
        method,
        time_limit: Duration::from_secs(20),
        rel_gap: 0.0,
    }
}

/// A relative tolerance for a value.
fn tol(v: f64) -> f64 {
    1e-9 * v.abs().max(1.0)
}

impl Case {
    /// What floating point can resolve in this problem's sums: a few units in the last place of
    /// its largest terms. Coverage values are sums of weights (at most 7e7, resolved exactly
    /// enough by [`tol`]); p-median's bound weighs distances up to the penalty (1e7 people at
    /// 1e9 m is 1e16, where a unit in the last place is 2), so on such instances the exact
    /// value is only known to that precision (see `rounding_never_puts_the_bound_past_the_value`).
    fn precision(&self, problem: &Problem) -> f64 {
        match *problem {
            Problem::PMedian { penalty, .. } => {
                let w = self.w.iter().fold(0.0f64, |a, &b| a.max(b));
                8.0 * self.w.len() as f64 * f64::EPSILON * w * penalty
            }
            _ => 0.0,
        }
    }
}

/// Checks one solution: finite, bound on the right side, sites in range and as many as
/// allowed; fewer sites than allowed only when no other candidate improves the answer.
fn check_solution(c: &Case, inst: &Instance, problem: &Problem, method: Method) -> f64 {
    let s = solve(inst, problem, &options(method))
        .unwrap_or_else(|e| panic!("{problem:?} {method:?}: {e}"));
    let what = format!("{problem:?} {method:?}: {s:?}");
    assert!(s.objective.is_finite() && s.bound.is_finite(), "{what}");
    assert!(s.gap >= 0.0 && s.gap.is_finite(), "{what}");
    let slack = tol(s.objective) + tol(s.bound) + c.precision(problem);
    if problem.maximise() {
        assert!(
            s.objective <= s.bound + slack,
            "the value beats the bound: {what}"
        );
    } else {
        assert!(
            s.objective >= s.bound - slack,
            "the value beats the bound: {what}"
        );
    }
    assert!(s.chosen.windows(2).all(|w| w[0] < w[1]), "{what}");
    assert!(s.chosen.iter().all(|&j| j < c.m()), "{what}");
    let ev = evaluate(inst, problem, &s.chosen).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        (ev.objective - s.objective).abs() <= slack,
        "evaluate disagrees: {what}"
    );
    match problem {
        Problem::Lscp { .. } => assert!(c.covers(&s.chosen), "not a cover: {what}"),
        Problem::BudgetCoverage { budget, .. } => {
            let spent: f64 = s.chosen.iter().map(|&j| c.cost[j]).sum();
            assert!(spent <= budget * (1.0 + 1e-12), "over the budget: {what}");
        }
        _ => {
            let limit = c.p.min(c.m());
            assert!(s.chosen.len() <= limit, "more than min(p, m) sites: {what}");
            if s.chosen.len() < limit {
                // Fewer sites: then no other candidate would improve the answer.
                for j in (0..c.m()).filter(|j| !s.chosen.contains(j)) {
                    let mut more = s.chosen.clone();
                    more.push(j);
                    more.sort_unstable();
                    let v = evaluate(inst, problem, &more).unwrap().objective;
                    let better = if problem.maximise() {
                        v > s.objective + slack
                    } else {
                        v < s.objective - slack
                    };
                    assert!(
                        !better,
                        "{} of {limit} sites, but candidate {j} would give {v}: {what}",
                        s.chosen.len()
                    );
                }
            }
        }
    }
    s.objective
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Every problem solves with the heuristic and the exact method; the exact answer is the
    /// brute force's, proven optimal; the heuristic's is no better than it, its bound valid.
    #[test]
    fn solvers_agree_with_brute_force_on_extreme_instances(c in case()) {
        let inst = c.instance();
        for problem in c.problems() {
            let best = c.brute_force(&problem);
            let tol = |v: f64| tol(v) + c.precision(&problem);
            let exact = check_solution(&c, &inst, &problem, Method::Auto);
            // Proven optimal means within the solver's relative tolerance (1e-7) when the
            // objective is not a whole number.
            prop_assert!(
                (exact - best).abs() <= tol(best) + 1e-7 * best.abs(),
                "{problem:?}: exact {exact} but brute force {best} ({c:?})"
            );
            let s = solve(&inst, &problem, &options(Method::Auto)).unwrap();
            prop_assert!(s.optimal, "{problem:?}: not proven optimal: {s:?}");
            let h = solve(&inst, &problem, &options(Method::Heuristic)).unwrap();
            check_solution(&c, &inst, &problem, Method::Heuristic);
            if problem.maximise() {
                prop_assert!(h.objective <= best + tol(best), "{problem:?}: heuristic beats the optimum");
                prop_assert!(h.bound >= best - tol(best), "{problem:?}: bound {} < optimum {best}", h.bound);
            } else {
                prop_assert!(h.objective >= best - tol(best), "{problem:?}: heuristic beats the optimum");
                prop_assert!(h.bound <= best + tol(best), "{problem:?}: bound {} > optimum {best}", h.bound);
            }
        }
    }
}

/// Found by the properties above: with weights of 10 million and distances of a nanometre, the
/// p-median bound (subgradient Lagrangian) came out 2e-7 above the value it bounds from below.
#[test]
fn rounding_never_puts_the_bound_past_the_value() {
    let inst = Instance::new(InstanceData {
        weight: vec![1e7, 1e7],
        candidate_capacity: vec![UNLIMITED; 2],
        candidate_pairs: vec![vec![(0, 250.0), (1, 0.0)], vec![(0, 0.0), (1, 1e-9)]],
        existing_capacity: vec![],
        existing_pairs: vec![vec![], vec![]],
        candidate_cost: vec![],
    })
    .unwrap();
    let problem = Problem::PMedian {
        p: 1,
        penalty: 2_000.0,
        radius: 0.0,
    };
    for method in [Method::Auto, Method::Heuristic] {
        let s = solve(&inst, &problem, &options(method)).unwrap();
        assert_eq!(s.chosen, [1]);
        assert!((s.objective - 0.01).abs() < 1e-12, "{s:?}");
        assert!(s.bound <= s.objective, "{method:?}: {s:?}");
    }
}

/// Found by the properties above: set cover of communities that all have no population chose
/// no site (its feasibility compared covered weight, 0 = 0) and called that optimal.
#[test]
fn set_cover_covers_communities_without_population() {
    let inst = Instance::new(InstanceData {
        weight: vec![0.0; 3],
        candidate_capacity: vec![UNLIMITED; 3],
        candidate_pairs: vec![
            vec![(0, 0.0), (2, 0.0)],
            vec![(1, 0.0), (2, 0.0)],
            vec![(0, 0.0), (1, 0.0)],
        ],
        existing_capacity: vec![],
        existing_pairs: vec![vec![], vec![], vec![]],
        candidate_cost: vec![],
    })
    .unwrap();
    for method in [Method::Auto, Method::Heuristic] {
        let s = solve(&inst, &Problem::Lscp { radius: 0.0 }, &options(method)).unwrap();
        assert_eq!(s.objective, 2.0, "{method:?}: {s:?}");
        assert_eq!(s.chosen.len(), 2, "{method:?}: {s:?}");
    }
}

/// Found by the properties above: on an instance mixing weights of 1 and 10 million with a
/// penalty of 1e9 m, the p-median heuristic's interchange refused a swap worth 150 because its
/// threshold was 1e-9 of the whole cost (2e16): it kept a value of 150 where a swap brings it
/// to 0 (the exact method finds it). The threshold is now relative to the swap's own sums.
#[test]
fn pmedian_heuristic_stops_short_on_extreme_weights() {
    let inst = Instance::new(InstanceData {
        weight: vec![1.0, 1e7, 1e7],
        candidate_capacity: vec![UNLIMITED; 4],
        candidate_pairs: vec![
            vec![(1, 1800.0), (2, 0.0), (3, 150.0)],
            vec![(0, 0.0), (1, 50.0), (2, 50.0), (3, 1e9)],
            vec![(1, 1450.0), (2, 1500.0), (3, 0.0)],
        ],
        existing_capacity: vec![],
        existing_pairs: vec![vec![], vec![], vec![]],
        candidate_cost: vec![],
    })
    .unwrap();
    let problem = Problem::PMedian {
        p: 3,
        penalty: 1e9,
        radius: 0.0,
    };
    let exact = solve(&inst, &problem, &options(Method::Auto)).unwrap();
    assert_eq!(
        (exact.chosen.as_slice(), exact.objective),
        (&[0, 2, 3][..], 0.0)
    );
    let h = solve(&inst, &problem, &options(Method::Heuristic)).unwrap();
    assert_eq!(h.objective, 0.0, "{h:?}");
}
