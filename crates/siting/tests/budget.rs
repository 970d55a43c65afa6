//! Budgeted maximal coverage on small instances against exhaustive search over every subset
//! of candidates written independently here, and hand-worked cases: the greedy's trap, free
//! sites, a budget below every cost, unreachable pairs, cost-aware dominance, errors.

mod common;

use common::{assert_evaluates, assert_exact, assert_heuristic, opts, subsets, Gen, Plain};
use lc_siting::{
    evaluate, solve, Instance, InstanceData, Method, Options, Problem, SitingError, Solution,
    UNLIMITED,
};

/// Random instance data with costs 0 to 9 (a tenth free, some with fractions), drawn after
/// the weights and distances; capacities unlimited.
fn random(g: &mut Gen, n: usize, m: usize, k: usize) -> Plain {
    let mut pl = Plain::random(g, n, m, k);
    pl.cost = (0..m)
        .map(|_| match g.below(10) {
            0 => 0.0,
            1 => 2.5,
            _ => g.below(10) as f64,
        })
        .collect();
    pl
}

impl Plain {
    /// The best coverage over every subset within the budget.
    fn best(&self, budget: f64, r: f64) -> f64 {
        let m = self.cost.len();
        subsets(m, m)
            .into_iter()
            .filter(|s| s.iter().map(|&j| self.cost[j]).sum::<f64>() <= budget)
            .map(|s| self.coverage(&s, r))
            .fold(0.0, f64::max)
    }
}

/// `solve` for budgeted coverage within `budget` and `radius`.
fn solve_budget(inst: &Instance, budget: f64, radius: f64, options: &Options) -> Solution {
    solve(inst, &Problem::BudgetCoverage { budget, radius }, options).unwrap()
}

fn cost_of(inst: &Instance, chosen: &[usize]) -> f64 {
    chosen.iter().map(|&j| inst.cost(j).unwrap()).sum()
}

/// The exact method finds and proves `best`; the heuristic stays within the budget, never
/// beats it and its bound is valid; `evaluate` agrees. Returns the heuristic's solution.
fn check(inst: &Instance, budget: f64, radius: f64, best: f64, what: &str) -> Solution {
    let problem = Problem::BudgetCoverage { budget, radius };
    let (s, ev) = assert_exact(inst, &problem, best, 1e-6, what);
    // Every chosen site brings something of its own.
    assert!(ev.sites.iter().all(|x| x.unique > 0.0), "{what}: idle site");
    let h = assert_heuristic(inst, &problem, best, true, what);
    assert_evaluates(inst, &problem, &h, &format!("{what} (heuristic)"));
    for (x, who) in [(&s, "exact"), (&h, "heuristic")] {
        assert!(
            cost_of(inst, &x.chosen) <= budget + 1e-9,
            "{what}: {who} over budget"
        );
    }
    h
}

#[test]
fn budget_coverage_matches_exhaustive_search() {
    let mut g = Gen(0x5EED_0FB0_D6E7_1234);
    let mut heuristic_optimal = 0;
    let mut cases = 0;
    for round in 0..30 {
        let (n, m, k) = (6 + round % 7, 5 + round % 4, round % 3);
        let pl = random(&mut g, n, m, k);
        let inst = pl.instance();
        for budget in [0.0, 4.0, 7.5, 12.0, 100.0] {
            for r in [300.0, 600.0, 900.0] {
                let best = pl.best(budget, r);
                let h = check(
                    &inst,
                    budget,
                    r,
                    best,
                    &format!("round {round} budget {budget} r {r}"),
                );
                cases += 1;
                if (h.objective - best).abs() < 1e-6 {
                    heuristic_optimal += 1;
                }
            }
        }
    }
    // The heuristic alone is optimal on nearly all of these small cases.
    assert!(
        heuristic_optimal * 10 >= cases * 9,
        "heuristic optimal in {heuristic_optimal} of {cases}"
    );
}

/// Communities in a row, one candidate per listed set, no existing facility.
fn sets(weights: &[f64], cands: &[(&[usize], f64)]) -> Instance {
    let mut cp = vec![Vec::new(); weights.len()];
    for (j, (members, _)) in cands.iter().enumerate() {
        for &i in *members {
            cp[i].push((j as u32, 100.0));
        }
    }
    Instance::new(InstanceData {
        weight: weights.to_vec(),
        candidate_capacity: vec![UNLIMITED; cands.len()],
        candidate_pairs: cp,
        existing_capacity: vec![],
        existing_pairs: vec![Vec::new(); weights.len()],
        candidate_cost: cands.iter().map(|c| Some(c.1)).collect(),
    })
    .unwrap()
}

#[test]
fn the_best_single_site_saves_the_greedy_from_a_cheap_trap() {
    // Site 0 costs 1 and covers 10 people (10 per unit); site 1 costs 100 and covers 500
    // (5 per unit). Budget 100: the cost-effectiveness greedy takes site 0 and then cannot
    // afford site 1 (10 people); the best single site covers 500.
    let inst = sets(&[10.0, 500.0], &[(&[0], 1.0), (&[1], 100.0)]);
    let problem = Problem::BudgetCoverage {
        budget: 100.0,
        radius: 500.0,
    };
    let h = solve(&inst, &problem, &opts(Method::Heuristic)).unwrap();
    assert_eq!(h.chosen, vec![1]);
    assert_eq!(h.objective, 500.0);
    // The knapsack bound: site 1 whole (ratio 5 after site 0's ratio 10 uses 1 of the budget,
    // 99/100 of it) — the LP is 10 + 495 = 505; on the integer grid, no better than 505.
    assert!(h.bound >= 500.0 && h.bound <= 505.0, "{h:?}");
    let s = solve(&inst, &problem, &opts(Method::Auto)).unwrap();
    assert_eq!(
        (s.chosen.clone(), s.objective, s.bound),
        (vec![1], 500.0, 500.0)
    );
    assert!(s.optimal);
    // One unit more and both fit.
    let both = Problem::BudgetCoverage {
        budget: 101.0,
        radius: 500.0,
    };
    let s = solve(&inst, &both, &opts(Method::Heuristic)).unwrap();
    assert_eq!((s.chosen, s.objective), (vec![0, 1], 510.0));
    assert!(s.optimal);
}

#[test]
fn the_milp_wins_when_cheap_sites_crowd_out_a_good_pair() {
    // Sites 0-3 cost 1 and cover 10 each (ratio 10); sites 4 and 5 cost 5 and cover 45 each
    // (ratio 9), budget 10. The greedy (from nothing or from the best single site) takes the
    // four cheap sites and one big one (85), and no single swap within the budget gains; the
    // pair of big sites covers 90.
    let inst = sets(
        &[10.0, 10.0, 10.0, 10.0, 45.0, 45.0],
        &[
            (&[0], 1.0),
            (&[1], 1.0),
            (&[2], 1.0),
            (&[3], 1.0),
            (&[4], 5.0),
            (&[5], 5.0),
        ],
    );
    let problem = Problem::BudgetCoverage {
        budget: 10.0,
        radius: 500.0,
    };
    let s = solve(&inst, &problem, &opts(Method::Auto)).unwrap();
    assert_eq!((s.chosen.clone(), s.objective), (vec![4, 5], 90.0));
    assert!(s.optimal, "{s:?}");
    let h = solve(&inst, &problem, &opts(Method::Heuristic)).unwrap();
    assert_eq!(h.objective, 85.0);
    assert!(h.bound >= 90.0 && !h.optimal, "{h:?}");
}

#[test]
fn free_sites_are_taken_and_idle_ones_are_not() {
    // Site 0 is free and covers community 0; site 1 is free and covers nothing site 0 does
    // not; site 2 costs 3 and covers community 1. Budget 0: only free sites.
    let inst = sets(&[7.0, 9.0], &[(&[0], 0.0), (&[0], 0.0), (&[1], 3.0)]);
    for method in [Method::Heuristic, Method::Auto] {
        let s = solve_budget(&inst, 0.0, 100.0, &opts(method));
        assert_eq!(
            (s.chosen.clone(), s.objective),
            (vec![0], 7.0),
            "{method:?}"
        );
        assert!(s.optimal);
        let s = solve_budget(&inst, 3.0, 100.0, &opts(method));
        assert_eq!((s.chosen, s.objective), (vec![0, 2], 16.0), "{method:?}");
        assert!(s.optimal);
    }
}

#[test]
fn a_budget_below_every_cost_chooses_nothing() {
    let inst = sets(&[5.0, 6.0], &[(&[0], 2.0), (&[0, 1], 3.0)]);
    let problem = Problem::BudgetCoverage {
        budget: 1.5,
        radius: 100.0,
    };
    for method in [Method::Heuristic, Method::Auto] {
        let s = solve(&inst, &problem, &opts(method)).unwrap();
        assert!(s.chosen.is_empty());
        assert_eq!((s.objective, s.bound, s.gap), (0.0, 0.0, 0.0));
        assert!(s.optimal);
        // Nothing affordable reaches them.
        assert_eq!(s.uncoverable, 11.0);
    }
    let ev = evaluate(&inst, &problem, &[]).unwrap();
    assert_eq!((ev.covered_before, ev.covered_after), (0.0, 0.0));
}

#[test]
fn a_cheaper_site_covering_less_is_not_dominated_away() {
    // Site 0 covers {0, 1} for 10; site 1 covers {0} for 1. Budget 5: only site 1.
    let inst = sets(&[4.0, 3.0], &[(&[0, 1], 10.0), (&[0], 1.0)]);
    let s = solve_budget(&inst, 5.0, 100.0, &Options::default());
    assert_eq!((s.chosen, s.objective), (vec![1], 4.0));
    // Equal sets: the cheaper one is kept.
    let inst = sets(&[4.0], &[(&[0], 3.0), (&[0], 2.0)]);
    let s = solve_budget(&inst, 2.0, 100.0, &Options::default());
    assert_eq!((s.chosen, s.objective), (vec![1], 4.0));
}

#[test]
fn unreachable_pairs_existing_facilities_and_an_inclusive_radius() {
    // Community 0 reaches candidate 0 at exactly 400 m; community 1 reaches nothing;
    // community 2 is within 400 m of the existing facility; community 3 reaches candidate 1
    // at 401 m only. Candidate 2 reaches nobody.
    let inst = Instance::new(InstanceData {
        weight: vec![100.0, 200.0, 300.0, 400.0],
        candidate_capacity: vec![UNLIMITED; 3],
        candidate_pairs: vec![vec![(0, 400.0)], vec![], vec![(1, 50.0)], vec![(1, 401.0)]],
        existing_capacity: vec![UNLIMITED],
        existing_pairs: vec![vec![], vec![], vec![(0, 400.0)], vec![]],
        candidate_cost: vec![Some(5.0), Some(1.0), Some(0.0)],
    })
    .unwrap();
    let problem = Problem::BudgetCoverage {
        budget: 5.0,
        radius: 400.0,
    };
    let s = solve(&inst, &problem, &Options::default()).unwrap();
    assert_eq!(s.chosen, vec![0]);
    assert_eq!(s.objective, 400.0); // 300 already covered + 100 newly
    assert_eq!(s.uncoverable, 600.0);
    assert!(s.optimal);
    let ev = evaluate(&inst, &problem, &s.chosen).unwrap();
    assert_eq!((ev.covered_before, ev.covered_after), (300.0, 400.0));
    assert_eq!(ev.sites[0].newly_covered, 100.0);
}

#[test]
fn missing_costs_and_bad_budgets_are_errors() {
    let inst = Instance::new(InstanceData {
        weight: vec![1.0],
        candidate_capacity: vec![UNLIMITED; 2],
        candidate_pairs: vec![vec![(0, 10.0), (1, 10.0)]],
        existing_capacity: vec![],
        existing_pairs: vec![vec![]],
        candidate_cost: vec![Some(1.0), None],
    })
    .unwrap();
    let problem = Problem::BudgetCoverage {
        budget: 5.0,
        radius: 100.0,
    };
    let e = solve(&inst, &problem, &Options::default()).unwrap_err();
    assert_eq!(e, SitingError::MissingCost { candidate: 1 });
    assert!(e.to_string().contains("candidate 1"), "{e}");
    // Costs do not matter to the other problems.
    assert!(solve(
        &inst,
        &Problem::Mclp {
            p: 1,
            radius: 100.0
        },
        &Options::default()
    )
    .is_ok());
    let inst = inst
        .with_candidate_costs(vec![Some(4.0), Some(3.0)])
        .unwrap();
    assert!(solve(&inst, &problem, &Options::default()).is_ok());
    for budget in [-1.0, f64::NAN, f64::INFINITY] {
        let bad = Problem::BudgetCoverage {
            budget,
            radius: 100.0,
        };
        assert!(matches!(
            solve(&inst, &bad, &Options::default()),
            Err(SitingError::BadParameter(_))
        ));
    }
    // Evaluating sites over the budget is an error; within it, fine.
    assert!(evaluate(&inst, &problem, &[0, 1]).is_err());
    assert!(evaluate(&inst, &problem, &[0]).is_ok());
    assert_eq!(problem.name(), "budget");
    assert_eq!((problem.p(), problem.budget()), (None, Some(5.0)));
    assert!(problem.maximise());
}
