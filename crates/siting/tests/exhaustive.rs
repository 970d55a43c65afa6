//! Siting on small instances against exhaustive search written independently here, and
//! hand-worked cases: ties, unreachable pairs, existing facilities, capacities.

mod common;

use common::{assert_exact, assert_heuristic, subsets, Gen, Plain};
use lc_siting::{evaluate, solve, Assigned, Instance, InstanceData, Options, Problem, UNLIMITED};

/// Random instance data with capacities, drawn after the weights and distances: a quarter
/// of the candidates unlimited, the rest 100 to 1200; existing facilities 100 to 600.
fn random(g: &mut Gen, n: usize, m: usize, k: usize) -> Plain {
    let mut pl = Plain::random(g, n, m, k);
    pl.cap = (0..m)
        .map(|_| {
            if g.below(4) == 0 {
                UNLIMITED
            } else {
                (1 + g.below(12)) as f64 * 100.0
            }
        })
        .collect();
    pl.ecap = (0..k).map(|_| (1 + g.below(6)) as f64 * 100.0).collect();
    pl
}

impl Plain {
    fn median(&self, s: &[usize], penalty: f64) -> f64 {
        (0..self.w.len())
            .map(|i| {
                let mut best = self.nearest_existing(i).min(penalty);
                for &j in s {
                    if let Some(d) = self.d[i][j] {
                        best = best.min(d);
                    }
                }
                self.w[i] * best
            })
            .sum()
    }

    /// Served demand by a plain Edmonds–Karp max flow on a dense matrix.
    fn served(&self, s: &[usize], r: f64) -> f64 {
        let n = self.w.len();
        let k = self.ecap.len();
        let facs: Vec<(bool, usize)> = (0..k)
            .map(|x| (true, x))
            .chain(s.iter().map(|&j| (false, j)))
            .collect();
        let nodes = 2 + n + facs.len();
        let (src, snk) = (0, nodes - 1);
        let mut cap = vec![vec![0.0f64; nodes]; nodes];
        let big = 1e12;
        for i in 0..n {
            cap[src][1 + i] = self.w[i];
            for (fi, &(ex, x)) in facs.iter().enumerate() {
                let d = if ex { self.e[i][x] } else { self.d[i][x] };
                if d.is_some_and(|d| d <= r) {
                    cap[1 + i][1 + n + fi] = big;
                }
            }
        }
        for (fi, &(ex, x)) in facs.iter().enumerate() {
            let c = if ex { self.ecap[x] } else { self.cap[x] };
            cap[1 + n + fi][snk] = c.min(big);
        }
        let mut total = 0.0;
        loop {
            let mut prev = vec![usize::MAX; nodes];
            prev[src] = src;
            let mut q = std::collections::VecDeque::from([src]);
            while let Some(u) = q.pop_front() {
                for v in 0..nodes {
                    if prev[v] == usize::MAX && cap[u][v] > 1e-9 {
                        prev[v] = u;
                        q.push_back(v);
                    }
                }
            }
            if prev[snk] == usize::MAX {
                return total;
            }
            let mut f = f64::INFINITY;
            let mut v = snk;
            while v != src {
                f = f.min(cap[prev[v]][v]);
                v = prev[v];
            }
            let mut v = snk;
            while v != src {
                cap[prev[v]][v] -= f;
                cap[v][prev[v]] += f;
                v = prev[v];
            }
            total += f;
        }
    }
}

/// The exact method proves the optimum `best` (its bound equal to it up to a relative 1e-6)
/// and the heuristic does not beat it.
fn check_against(inst: &Instance, problem: Problem, best: f64, maximise: bool, what: &str) {
    assert_exact(inst, &problem, best, 1e-6 * best.abs().max(1.0), what);
    assert_heuristic(inst, &problem, best, maximise, what);
}

#[test]
fn mclp_matches_exhaustive_search() {
    let mut g = Gen(0x9E37_79B9_7F4A_7C15);
    for round in 0..25 {
        let (n, m, k) = (6 + round % 7, 5 + round % 4, round % 3);
        let pl = random(&mut g, n, m, k);
        let inst = pl.instance();
        for p in 1..=3 {
            for r in [300.0, 600.0, 900.0] {
                let best = subsets(m, p)
                    .iter()
                    .map(|s| pl.coverage(s, r))
                    .fold(0.0, f64::max);
                check_against(
                    &inst,
                    Problem::Mclp { p, radius: r },
                    best,
                    true,
                    &format!("mclp round {round} p {p} r {r}"),
                );
            }
        }
    }
}

#[test]
fn lscp_matches_exhaustive_search() {
    let mut g = Gen(0xDEAD_BEEF_1234_5678);
    for round in 0..25 {
        let (n, m, k) = (6 + round % 7, 5 + round % 4, round % 3);
        let pl = random(&mut g, n, m, k);
        let inst = pl.instance();
        for r in [300.0, 700.0] {
            // Coverable: already covered, or some candidate within r.
            let coverable: Vec<usize> = (0..n)
                .filter(|&i| {
                    pl.nearest_existing(i) > r && (0..m).any(|j| pl.d[i][j].is_some_and(|d| d <= r))
                })
                .collect();
            let best = subsets(m, m)
                .iter()
                .filter(|s| {
                    coverable
                        .iter()
                        .all(|&i| s.iter().any(|&j| pl.d[i][j].is_some_and(|d| d <= r)))
                })
                .map(|s| s.len())
                .min()
                .unwrap() as f64;
            check_against(
                &inst,
                Problem::Lscp { radius: r },
                best,
                false,
                &format!("lscp round {round} r {r}"),
            );
        }
    }
}

#[test]
fn pmedian_matches_exhaustive_search() {
    let mut g = Gen(0x0123_4567_89AB_CDEF);
    for round in 0..25 {
        let (n, m, k) = (6 + round % 7, 5 + round % 4, round % 3);
        let pl = random(&mut g, n, m, k);
        let inst = pl.instance();
        for p in 1..=3 {
            let penalty = 2_000.0;
            let best = subsets(m, p)
                .iter()
                .map(|s| pl.median(s, penalty))
                .fold(f64::INFINITY, f64::min);
            check_against(
                &inst,
                Problem::PMedian {
                    p,
                    penalty,
                    radius: 500.0,
                },
                best,
                false,
                &format!("pmedian round {round} p {p}"),
            );
        }
    }
}

#[test]
fn capacitated_matches_exhaustive_search() {
    let mut g = Gen(0x5555_AAAA_1234_4321);
    for round in 0..20 {
        let (n, m, k) = (6 + round % 6, 5 + round % 3, round % 3);
        let pl = random(&mut g, n, m, k);
        let inst = pl.instance();
        for p in 1..=3 {
            let r = 800.0;
            let best = subsets(m, p)
                .iter()
                .map(|s| pl.served(s, r))
                .fold(0.0, f64::max);
            check_against(
                &inst,
                Problem::Capacitated { p, radius: r },
                best,
                true,
                &format!("capacitated round {round} p {p}"),
            );
        }
    }
}

/// Three communities on a line; worked out by hand.
///
/// ```text
///   A(100) --300-- S0 --300-- B(200)      C(50) reaches only S1 at 500 (exactly the radius)
///                  S0 --500-- C? no       D(400) reaches nothing
/// ```
fn line() -> Instance {
    Instance::new(InstanceData {
        weight: vec![100.0, 200.0, 50.0, 400.0],
        candidate_capacity: vec![UNLIMITED, UNLIMITED, UNLIMITED],
        candidate_pairs: vec![
            vec![(0, 300.0), (2, 300.0)],
            vec![(0, 300.0), (1, 600.0)],
            vec![(1, 500.0)],
            vec![],
        ],
        existing_capacity: vec![],
        existing_pairs: vec![vec![], vec![], vec![], vec![]],
        candidate_cost: Vec::new(),
    })
    .unwrap()
}

#[test]
fn mclp_by_hand_with_a_tie_an_inclusive_radius_and_an_unreachable_community() {
    let inst = line();
    // p = 1: S0 and S2 both cover A (S2 only A; S0 covers A and B) -> S0, 300.
    let s = solve(
        &inst,
        &Problem::Mclp {
            p: 1,
            radius: 500.0,
        },
        &Options::default(),
    )
    .unwrap();
    assert_eq!(s.chosen, vec![0]);
    assert_eq!(s.objective, 300.0);
    assert_eq!(s.bound, 300.0);
    assert!(s.optimal);
    // p = 2: S0 + S1 (C is exactly at the radius: covered). D is never reachable.
    let s = solve(
        &inst,
        &Problem::Mclp {
            p: 2,
            radius: 500.0,
        },
        &Options::default(),
    )
    .unwrap();
    assert_eq!(s.chosen, vec![0, 1]);
    assert_eq!(s.objective, 350.0);
    assert_eq!(s.uncoverable, 400.0);
    // p = 3: the third site adds nothing and is not proposed.
    let s = solve(
        &inst,
        &Problem::Mclp {
            p: 3,
            radius: 500.0,
        },
        &Options::default(),
    )
    .unwrap();
    assert_eq!(s.chosen, vec![0, 1]);
    let ev = evaluate(
        &inst,
        &Problem::Mclp {
            p: 3,
            radius: 500.0,
        },
        &s.chosen,
    )
    .unwrap();
    assert_eq!(ev.assignment[3].to, Assigned::None);
    assert_eq!(ev.assignment[3].distance_m, None);
    assert_eq!(ev.assignment[2].to, Assigned::Site(1));
    assert_eq!(ev.assignment[2].distance_m, Some(500.0));
    assert_eq!(ev.covered_before, 0.0);
    assert_eq!(ev.covered_after, 350.0);
    // A is at 300 from S0 and S1: the tie goes to the lower index, S0.
    assert_eq!(ev.assignment[0].to, Assigned::Site(0));
    assert_eq!(ev.sites[0].newly_covered, 300.0);
    assert_eq!(ev.sites[1].newly_covered, 50.0);
    assert_eq!(ev.sites[1].unique, 50.0);
    // Just below the radius C is lost.
    let s = solve(
        &inst,
        &Problem::Mclp {
            p: 2,
            radius: 499.9,
        },
        &Options::default(),
    )
    .unwrap();
    assert_eq!(s.objective, 300.0);
}

#[test]
fn existing_facilities_count_as_open() {
    // An existing facility already covers A and B: only C is left to gain.
    let inst = Instance::new(InstanceData {
        weight: vec![100.0, 200.0, 50.0],
        candidate_capacity: vec![UNLIMITED, UNLIMITED],
        candidate_pairs: vec![vec![(0, 100.0)], vec![(0, 100.0)], vec![(1, 200.0)]],
        existing_capacity: vec![UNLIMITED],
        existing_pairs: vec![vec![(0, 400.0)], vec![(0, 450.0)], vec![]],
        candidate_cost: Vec::new(),
    })
    .unwrap();
    let mclp = Problem::Mclp {
        p: 1,
        radius: 500.0,
    };
    let s = solve(&inst, &mclp, &Options::default()).unwrap();
    assert_eq!(s.chosen, vec![1]);
    assert_eq!(s.objective, 350.0);
    let ev = evaluate(&inst, &mclp, &s.chosen).unwrap();
    assert_eq!(ev.covered_before, 300.0);
    assert_eq!(ev.assignment[0].to, Assigned::Existing(0));
    // Set cover: one site (C); A and B are already covered.
    let s = solve(&inst, &Problem::Lscp { radius: 500.0 }, &Options::default()).unwrap();
    assert_eq!((s.chosen.clone(), s.objective), (vec![1], 1.0));
    // p-median with p = 1: S0 saves 100·300 + 200·350 = 100,000; S1 saves 50·(1000−200) = 40,000.
    let pm = Problem::PMedian {
        p: 1,
        penalty: 1_000.0,
        radius: 500.0,
    };
    let s = solve(&inst, &pm, &Options::default()).unwrap();
    assert_eq!(s.chosen, vec![0]);
    assert!((s.objective - (100.0 * 100.0 + 200.0 * 100.0 + 50.0 * 1000.0)).abs() < 1e-6);
    assert!(s.optimal);
}

#[test]
fn capacity_limits_what_a_site_serves() {
    // Children 0-3: A 30, B 40; nursery S0 has 50 slots and reaches both; S1 has 25 slots and
    // reaches only B; the existing nursery (10 slots) reaches A.
    let inst = Instance::new(InstanceData {
        weight: vec![30.0, 40.0],
        candidate_capacity: vec![50.0, 25.0],
        candidate_pairs: vec![vec![(0, 200.0)], vec![(0, 250.0), (1, 100.0)]],
        existing_capacity: vec![10.0],
        existing_pairs: vec![vec![(0, 100.0)], vec![]],
        candidate_cost: Vec::new(),
    })
    .unwrap();
    let one = Problem::Capacitated {
        p: 1,
        radius: 300.0,
    };
    let s = solve(&inst, &one, &Options::default()).unwrap();
    // S0: 10 (existing) + 50 = 60 served; S1: 10 + 25 = 35.
    assert_eq!(s.chosen, vec![0]);
    assert_eq!(s.objective, 60.0);
    let ev = evaluate(&inst, &one, &s.chosen).unwrap();
    assert_eq!(ev.covered_before, 10.0);
    assert_eq!(ev.sites[0].assigned, 50.0);
    assert!((ev.assignment[0].covered + ev.assignment[1].covered - 60.0).abs() < 1e-9);
    // Both: all 70 children have a place.
    let two = Problem::Capacitated {
        p: 2,
        radius: 300.0,
    };
    let s = solve(&inst, &two, &Options::default()).unwrap();
    assert_eq!((s.chosen.clone(), s.objective), (vec![0, 1], 70.0));
    // Uncapacitated coverage would be satisfied by S0 alone.
    let s = solve(
        &inst,
        &Problem::Mclp {
            p: 1,
            radius: 300.0,
        },
        &Options::default(),
    )
    .unwrap();
    assert_eq!(s.objective, 70.0);
}

#[test]
fn bad_parameters_are_errors() {
    let inst = line();
    assert!(solve(
        &inst,
        &Problem::Mclp {
            p: 1,
            radius: f64::NAN
        },
        &Options::default()
    )
    .is_err());
    assert!(solve(
        &inst,
        &Problem::PMedian {
            p: 1,
            penalty: f64::INFINITY,
            radius: 1.0
        },
        &Options::default()
    )
    .is_err());
    assert!(evaluate(&inst, &Problem::Lscp { radius: 1.0 }, &[9]).is_err());
}
