//! Scoring a set of sites on the full instance: the objective, coverage before and after, the
//! assignment of every community and what each chosen site brings.

use crate::budget::budget_limit;
use crate::capacitated::Capacitated;
use crate::instance::Instance;
use crate::{Problem, SitingError};
use lc_network::within;

/// Where a community goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assigned {
    /// An existing facility (index into the instance's existing facilities).
    Existing(usize),
    /// A chosen candidate site (index into the instance's candidates).
    Site(usize),
    /// Nothing open is reached.
    None,
}

/// One community's outcome.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Assignment {
    /// Its nearest open facility (capacitated: the one serving most of its demand).
    pub to: Assigned,
    /// Walking distance to it, metres.
    pub distance_m: Option<f64>,
    /// Demand covered after (within the radius; capacitated: served).
    pub covered: f64,
    /// Demand covered by existing facilities alone.
    pub covered_before: f64,
}

/// What one chosen site brings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SiteStats {
    /// The candidate.
    pub candidate: usize,
    /// Demand assigned to it (nearest open facility; capacitated: served by it).
    pub assigned: f64,
    /// Demand newly within the radius and nearest to this site among the new sites
    /// (capacitated: served by it).
    pub newly_covered: f64,
    /// Demand newly within the radius of this site only (lost if it were dropped).
    pub unique: f64,
}

/// The score of a set of sites.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// The problem's objective (as in [`crate::Solution::objective`]).
    pub objective: f64,
    /// Demand within the radius of an existing facility (capacitated: served by them alone).
    pub covered_before: f64,
    /// Demand within the radius after the new sites open (capacitated: served).
    pub covered_after: f64,
    /// Per community.
    pub assignment: Vec<Assignment>,
    /// Per chosen site, in the order given.
    pub sites: Vec<SiteStats>,
}

fn nearest(it: impl Iterator<Item = (u32, f64)>, open: impl Fn(u32) -> bool) -> Option<(u32, f64)> {
    let mut best: Option<(u32, f64)> = None;
    for (j, d) in it {
        if !open(j) {
            continue;
        }
        match best {
            Some((bj, bd)) if bd < d || (bd == d && bj < j) => {}
            _ => best = Some((j, d)),
        }
    }
    best
}

/// Empty statistics for each chosen site.
fn site_stats(chosen: &[usize]) -> Vec<SiteStats> {
    chosen
        .iter()
        .map(|&j| SiteStats {
            candidate: j,
            assigned: 0.0,
            newly_covered: 0.0,
            unique: 0.0,
        })
        .collect()
}

/// Scores `chosen` (candidate indices) for `problem` on the whole instance. For budgeted
/// coverage every chosen site needs a cost and together they must be within the budget.
pub fn evaluate(
    inst: &Instance,
    problem: &Problem,
    chosen: &[usize],
) -> Result<Evaluation, SitingError> {
    problem.check()?;
    let nc = inst.n_candidates();
    let mut slot = vec![usize::MAX; nc];
    for (s, &j) in chosen.iter().enumerate() {
        if j >= nc {
            return Err(SitingError::BadParameter(format!(
                "所选候选 {j} 超出范围（共 {nc} 个）chosen candidate {j} is out of range (there are {nc})"
            )));
        }
        slot[j] = s;
    }
    if let Problem::BudgetCoverage { budget, .. } = *problem {
        let mut total = 0.0;
        for &j in chosen {
            total += inst
                .cost(j)
                .ok_or(SitingError::MissingCost { candidate: j })?;
        }
        if total > budget_limit(budget) {
            return Err(SitingError::BadParameter(format!(
                "所选地点费用 {total} 超出预算 {budget} the chosen sites cost {total}, more than the budget {budget}"
            )));
        }
    }
    if let Problem::Capacitated { radius, .. } = *problem {
        return Ok(evaluate_capacitated(inst, radius, chosen, &slot));
    }
    let r = problem.radius();
    let mut sites = site_stats(chosen);
    let mut assignment = Vec::with_capacity(inst.n_communities());
    let (mut before, mut after, mut cost) = (0.0, 0.0, 0.0);
    for i in 0..inst.n_communities() {
        let w = inst.weight(i);
        let ex = nearest(inst.existing_of(i), |_| true);
        let site = nearest(inst.candidates_of(i), |j| slot[j as usize] != usize::MAX);
        let (to, d) = match (ex, site) {
            (Some((k, de)), Some((_, ds))) if de <= ds => {
                (Assigned::Existing(k as usize), Some(de))
            }
            (_, Some((j, ds))) => (Assigned::Site(j as usize), Some(ds)),
            (Some((k, de)), None) => (Assigned::Existing(k as usize), Some(de)),
            (None, None) => (Assigned::None, None),
        };
        let was = ex.is_some_and(|(_, de)| within(de, r));
        let now = d.is_some_and(|d| within(d, r));
        let cb = if was { w } else { 0.0 };
        let ca = if now { w } else { 0.0 };
        before += cb;
        after += ca;
        if let Assigned::Site(j) = to {
            sites[slot[j]].assigned += w;
        }
        if !was {
            if let Some((j, ds)) = site {
                if within(ds, r) {
                    sites[slot[j as usize]].newly_covered += w;
                    let mut within = inst
                        .candidates_of(i)
                        .filter(|&(c, dc)| slot[c as usize] != usize::MAX && within(dc, r));
                    if let (Some(_), None) = (within.next(), within.next()) {
                        sites[slot[j as usize]].unique += w;
                    }
                }
            }
        }
        if let Problem::PMedian { penalty, .. } = *problem {
            cost += w * d.unwrap_or(penalty).min(penalty);
        }
        assignment.push(Assignment {
            to,
            distance_m: d,
            covered: ca,
            covered_before: cb,
        });
    }
    let objective = match problem {
        Problem::Mclp { .. } | Problem::BudgetCoverage { .. } => after,
        Problem::Lscp { .. } => chosen.len() as f64,
        Problem::PMedian { .. } => cost,
        Problem::Capacitated { .. } => unreachable!("handled above"),
    };
    Ok(Evaluation {
        objective,
        covered_before: before,
        covered_after: after,
        assignment,
        sites,
    })
}

fn evaluate_capacitated(
    inst: &Instance,
    radius: f64,
    chosen: &[usize],
    slot: &[usize],
) -> Evaluation {
    let c = Capacitated::build(inst, radius);
    let ne = c.n_existing;
    let local: Vec<usize> = (0..c.n_cands())
        .filter(|&l| slot[c.kept.cand_map[l] as usize] != usize::MAX)
        .collect();
    let after_flows = c.flows(&local);
    let before_flows = c.flows(&[]);
    let mut sites = site_stats(chosen);
    let mut assignment = Vec::with_capacity(inst.n_communities());
    let (mut before, mut after) = (0.0, 0.0);
    for i in 0..inst.n_communities() {
        let e = c.elem_of_comm[i];
        if e == u32::MAX {
            let ex = nearest(inst.existing_of(i), |_| true);
            assignment.push(Assignment {
                to: ex.map_or(Assigned::None, |(k, _)| Assigned::Existing(k as usize)),
                distance_m: ex.map(|(_, d)| d),
                covered: 0.0,
                covered_before: 0.0,
            });
            continue;
        }
        let e = e as usize;
        let share = if c.w[e] > 0.0 {
            inst.weight(i) / c.w[e]
        } else {
            0.0
        };
        let served: f64 = after_flows[e].iter().map(|x| x.1).sum::<f64>() * share;
        let served_before: f64 = before_flows[e].iter().map(|x| x.1).sum::<f64>() * share;
        before += served_before;
        after += served;
        let mut main: Option<(u32, f64)> = None;
        for &(f, x) in &after_flows[e] {
            if main.is_none_or(|(bf, bx)| x > bx || (x == bx && f < bf)) {
                main = Some((f, x));
            }
            if f as usize >= ne {
                let j = c.kept.cand_map[f as usize - ne] as usize;
                let s = slot[j];
                sites[s].assigned += x * share;
                sites[s].newly_covered += x * share;
                sites[s].unique += x * share;
            }
        }
        let (to, d) = match main {
            Some((f, _)) if (f as usize) < ne => {
                let k = f as usize;
                let d = inst
                    .existing_of(i)
                    .find(|&(x, _)| x as usize == k)
                    .map(|x| x.1);
                (Assigned::Existing(k), d)
            }
            Some((f, _)) => {
                let j = c.kept.cand_map[f as usize - ne] as usize;
                let d = inst
                    .candidates_of(i)
                    .find(|&(x, _)| x as usize == j)
                    .map(|x| x.1);
                (Assigned::Site(j), d)
            }
            None => (Assigned::None, None),
        };
        assignment.push(Assignment {
            to,
            distance_m: d,
            covered: served,
            covered_before: served_before,
        });
    }
    Evaluation {
        objective: after,
        covered_before: before,
        covered_after: after,
        assignment,
        sites,
    }
}
