//! Siting as a library call (the server's siting scenarios): place the communities, the
//! existing facilities of one category and the candidate plots on the network, build the
//! maximal-coverage instance with `lc-siting`, solve it (greedy + local search, a proven
//! bound, enumeration when small) and score the answer. The chosen sites come back **in order
//! of what each adds**: first the site that brings the most people newly within the radius,
//! then the one that brings the most of those still uncovered, and so on, so that the people
//! each brings add up to the total newly covered and a "cumulative" column means something.
//! Every newly covered community is credited to the first site in that order that reaches it.

use std::time::Duration;

use crate::observer::{Step, Stepper};
use crate::place::{place_items, Placed};
use crate::{Observer, PipelineError, Timings};
use lc_model::{Candidate, Category, Community, Facility};
use lc_network::{within, Graph, SnapMode, Snapper};
use lc_siting::{
    evaluate, instance_on_network, solve, Instance, Method, NetworkInput, Options, Problem,
    Solution, UNLIMITED,
};
use lc_standards::{Rule, Standard};

/// The scenario.
#[derive(Debug, Clone)]
pub struct SiteOptions {
    /// The category of the new facilities (existing ones of it count as open).
    pub category: Category,
    /// Number of new sites.
    pub sites: usize,
    /// Coverage radius, metres of walking (covered: distance ≤ radius).
    pub radius_m: f64,
    /// Where points are placed.
    pub snap: SnapMode,
    /// Points farther than this from the network are not placed, metres.
    pub snap_limit: f64,
    /// Solver time.
    pub time_limit: Duration,
}

/// What the scenario reads: every community, the facilities (any category: those of the
/// scenario's are kept) and the candidate plots.
#[derive(Debug, Clone, Copy)]
pub struct SiteInputs<'a> {
    /// The communities (demand: their population).
    pub communities: &'a [Community],
    /// The facilities.
    pub facilities: &'a [Facility],
    /// The candidate plots.
    pub candidates: &'a [Candidate],
}

/// One chosen site, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderedSite {
    /// Index into the candidates given.
    pub candidate: usize,
    /// People newly within the radius thanks to this site (not covered before, nor by the
    /// sites ranked above it).
    pub newly_covered: f64,
    /// Covered after this site and those ranked above it open (existing coverage included).
    pub cumulative: f64,
    /// The communities (indices) it brings newly within the radius.
    pub communities: Vec<usize>,
}

/// A scenario's result.
#[derive(Debug)]
pub struct SiteRun {
    /// The problem solved (maximal coverage).
    pub problem: Problem,
    /// The communities' places on the network.
    pub communities_placed: Placed,
    /// The existing facilities of the category (indices into the facilities given).
    pub existing: Vec<usize>,
    /// Their places.
    pub existing_placed: Placed,
    /// The candidates' places.
    pub candidates_placed: Placed,
    /// The instance (population per community).
    pub instance: Instance,
    /// The solver's answer (objective, bound, gap, how found and proven).
    pub solution: Solution,
    /// People within the radius of an existing facility.
    pub covered_before: f64,
    /// People within the radius once the chosen sites open.
    pub covered_after: f64,
    /// Proven upper bound on what any choice of as many sites could cover (≥ covered_after).
    pub bound: f64,
    /// The chosen sites, most added first.
    pub sites: Vec<OrderedSite>,
    /// Total population.
    pub population: f64,
    /// Seconds per step.
    pub timings: Timings,
}

/// The walking distance the shipped standards ask for a category: the shortest distance of a
/// "within" requirement that the category satisfies (`None` when none names it).
pub fn standard_radius(standards: &[Standard], category: Category) -> Option<f64> {
    standards
        .iter()
        .flat_map(|s| s.requirements.iter())
        .filter_map(|r| match &r.rule {
            Rule::Within {
                categories,
                distance_m,
                ..
            } if categories.contains(&category) => Some(*distance_m),
            _ => None,
        })
        .min_by(|a, b| a.total_cmp(b))
}

/// Places the points, builds the instance, solves and orders the sites.
pub fn run_site(
    graph: &Graph,
    inputs: &SiteInputs<'_>,
    opts: &SiteOptions,
    obs: &dyn Observer,
) -> Result<SiteRun, PipelineError> {
    if opts.sites == 0 {
        return Err(PipelineError::BadOption(
            "选址数量至少为 1 the number of new sites must be at least 1".into(),
        ));
    }
    if !(opts.radius_m.is_finite() && opts.radius_m > 0.0) {
        return Err(PipelineError::BadOption(format!(
            "覆盖半径须为大于 0 的有限米数 the radius must be a finite number of metres > 0, got {}",
            opts.radius_m
        )));
    }
    let mut timings = Timings::new();
    let mut steps = Stepper {
        obs,
        timings: &mut timings,
    };
    let existing: Vec<usize> = (0..inputs.facilities.len())
        .filter(|&f| inputs.facilities[f].category == opts.category)
        .collect();
    let existing_facilities: Vec<&Facility> =
        existing.iter().map(|&f| &inputs.facilities[f]).collect();
    let (communities_placed, existing_placed, candidates_placed) =
        steps.run(Step::Place, None, |_| {
            let snapper = Snapper::new(graph, opts.snap);
            let c = place_items(&snapper, inputs.communities, |c| c.pos, opts.snap_limit);
            let f = place_items(&snapper, &existing_facilities, |f| f.pos, opts.snap_limit);
            let k = place_items(&snapper, inputs.candidates, |k| k.pos, opts.snap_limit);
            Ok((c, f, k))
        })?;
    if inputs.communities.is_empty() || communities_placed.placed() == 0 {
        return Err(PipelineError::NothingToCompute(
            "没有社区在步行路网上，无从选址 no community is on the walking network: nothing to site for".into(),
        ));
    }
    if candidates_placed.placed() == 0 {
        return Err(PipelineError::NothingToCompute(format!(
            "{} 个候选用地都不在步行路网上（都离步行道路超过 {} 米），无从选址 none of the {} candidate plots is on the walking network (all farther than {} m from a walkable way): nothing to site",
            inputs.candidates.len(),
            opts.snap_limit,
            inputs.candidates.len(),
            opts.snap_limit
        )));
    }
    let problem = Problem::Mclp {
        p: opts.sites,
        radius: opts.radius_m,
    };
    let weights: Vec<f64> = inputs.communities.iter().map(|c| c.population).collect();
    let instance = steps.run(Step::Access, Some(inputs.communities.len() as u64), |obs| {
        instance_on_network(
            NetworkInput {
                graph,
                communities: &communities_placed.anchors,
                weights: weights.clone(),
                candidates: &candidates_placed.anchors,
                candidate_capacity: vec![UNLIMITED; inputs.candidates.len()],
                existing: &existing_placed.anchors,
                existing_capacity: vec![UNLIMITED; existing.len()],
                max_distance: problem.reach(),
            },
            &|n| obs.advance(Step::Access, n as u64),
        )
        .map_err(|e| PipelineError::BadOption(e.to_string()))
    })?;
    let (solution, ev) = steps.run(Step::Site, None, |_| {
        let sol = solve(
            &instance,
            &problem,
            &Options {
                method: Method::Auto,
                time_limit: opts.time_limit,
                rel_gap: 0.0,
            },
        )
        .map_err(|e| PipelineError::BadOption(e.to_string()))?;
        let ev = evaluate(&instance, &problem, &sol.chosen)
            .map_err(|e| PipelineError::BadOption(e.to_string()))?;
        Ok((sol, ev))
    })?;
    let sites = order_sites(
        &instance,
        opts.radius_m,
        &solution.chosen,
        ev.covered_before,
    );
    Ok(SiteRun {
        problem,
        communities_placed,
        existing,
        existing_placed,
        candidates_placed,
        population: instance.total_weight(),
        bound: solution.bound.max(ev.covered_after),
        covered_before: ev.covered_before,
        covered_after: ev.covered_after,
        instance,
        solution,
        sites,
        timings,
    })
}

/// The chosen sites in greedy order of what each adds to the coverage before them (ties: the
/// lower candidate index), each with the communities it newly covers.
pub fn order_sites(
    inst: &Instance,
    radius: f64,
    chosen: &[usize],
    covered_before: f64,
) -> Vec<OrderedSite> {
    let n = inst.n_communities();
    let mut covered: Vec<bool> = (0..n)
        .map(|i| within(inst.nearest_existing(i), radius))
        .collect();
    let mut left: Vec<usize> = chosen.to_vec();
    left.sort_unstable();
    let reaches = |i: usize, j: usize| {
        inst.candidates_of(i)
            .any(|(c, d)| c as usize == j && within(d, radius))
    };
    let mut out = Vec::with_capacity(left.len());
    let mut cumulative = covered_before;
    while !left.is_empty() {
        let mut best: Option<(usize, f64, Vec<usize>)> = None;
        for (k, &j) in left.iter().enumerate() {
            let comms: Vec<usize> = (0..n).filter(|&i| !covered[i] && reaches(i, j)).collect();
            let gain: f64 = comms.iter().map(|&i| inst.weight(i)).sum();
            if best.as_ref().is_none_or(|b| gain > b.1) {
                best = Some((k, gain, comms));
            }
        }
        let Some((k, gain, comms)) = best else { break };
        let j = left.remove(k);
        for &i in &comms {
            covered[i] = true;
        }
        cumulative += gain;
        out.push(OrderedSite {
            candidate: j,
            newly_covered: gain,
            cumulative,
            communities: comms,
        });
    }
    out
}
