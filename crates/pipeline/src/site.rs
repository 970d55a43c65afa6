//! Siting as a library call. Two levels:
//!
//! * [`build_scenario`] and [`solve_scenario`]: any problem of `lc-siting` (maximal coverage,
//!   set cover, p-median, capacitated or budgeted coverage) on the communities, the existing
//!   facilities of one category and the candidate plots, placed on the network; the demand
//!   weighed by population or by the category's demand group, capacities and costs as given.
//!   The command line's `site` runs over these ([`instance_from_costs`] when it reads the
//!   exported cost tables instead of a network; [`Scenario::cost_tables`] what it exports).
//! * [`run_site`] (the server's siting scenarios and the Python package): maximal coverage by
//!   population over the two, with the chosen sites **in order of what each adds**: first the
//!   site that brings the most people newly within the radius, then the one that brings the
//!   most of those still uncovered, and so on, so that the people each brings add up to the
//!   total newly covered and a "cumulative" column means something. Every newly covered
//!   community is credited to the first site in that order that reaches it.

use std::path::PathBuf;
use std::time::Duration;

use crate::observer::{Step, Stepper};
use crate::place::{place_items, require_points, Placed};
use crate::{Observer, PipelineError, Timings};
use lc_model::{Candidate, Category, Community, Demand, Facility};
use lc_network::{within, Graph, SnapMode, Snapper};
use lc_siting::{
    evaluate, instance_on_network, solve, Evaluation, Instance, InstanceData, Method, NetworkInput,
    Options, Problem, SitingError, Solution, UNLIMITED,
};
use lc_standards::{Rule, Standard};
use lc_tables::CostTables;

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

/// A general scenario: what to site and how to weigh, place and bound it.
#[derive(Debug, Clone)]
pub struct ScenarioOptions {
    /// The category of the new facilities (existing ones of it count as open).
    pub category: Category,
    /// The problem (its radius, number of sites or budget).
    pub problem: Problem,
    /// Whose number weighs a community (its population, children 0–3 or elderly; a community
    /// without that figure is weighed by its population, counted in
    /// [`Scenario::weighed_by_population`]).
    pub demand: Demand,
    /// Whether the candidates' and the existing facilities' capacities bound what they serve
    /// (a missing capacity is unlimited); `false`: every capacity unlimited.
    pub capacities: bool,
    /// Whether the candidates' costs go into the instance (a budget problem needs them).
    pub costs: bool,
    /// Where points are placed.
    pub snap: SnapMode,
    /// Points farther than this from the network are not placed, metres.
    pub snap_limit: f64,
    /// The communities' and the candidates' files, named in the "nothing to site" refusals
    /// ([`require_points`]); `None`: the refusals speak of communities and candidate plots.
    pub files: Option<(PathBuf, PathBuf)>,
}

/// What [`ScenarioOptions::demand`] is when the caller leaves it to the problem: the category's demand group (its
/// capacity counts children's places, beds of the elderly, …) for capacitated coverage, the
/// population for every other problem.
pub fn auto_demand(problem: &Problem, category: Category) -> Demand {
    match problem {
        Problem::Capacitated { .. } => category.info().demand,
        _ => Demand::Population,
    }
}

/// A scenario placed on the network: the instance the solver works on.
#[derive(Debug)]
pub struct Scenario {
    /// The problem.
    pub problem: Problem,
    /// The demand the weights count.
    pub demand: Demand,
    /// Each community's weight (in input order).
    pub weights: Vec<f64>,
    /// How many communities lack the demand's figure and are weighed by their population.
    pub weighed_by_population: usize,
    /// The existing facilities of the category (indices into the facilities given).
    pub existing: Vec<usize>,
    /// The communities' places on the network.
    pub communities_placed: Placed,
    /// The existing facilities' places (parallel to `existing`).
    pub existing_placed: Placed,
    /// The candidates' places.
    pub candidates_placed: Placed,
    /// The instance: weights, capacities, costs and the walking distances within reach.
    pub instance: Instance,
    /// Seconds per step (placing, distances).
    pub timings: Timings,
}

impl Scenario {
    /// The cost tables of the instance (what `site --export-costs` writes and `--costs` reads
    /// back with [`instance_from_costs`]).
    pub fn cost_tables(&self, inputs: &SiteInputs<'_>) -> CostTables {
        let inst = &self.instance;
        CostTables {
            community_ids: inputs.communities.iter().map(|c| c.id.clone()).collect(),
            weights: self.weights.clone(),
            candidates: inputs.candidates.to_vec(),
            existing_ids: self
                .existing
                .iter()
                .map(|&f| inputs.facilities[f].id.clone())
                .collect(),
            existing_capacity: self
                .existing
                .iter()
                .map(|&f| inputs.facilities[f].capacity)
                .collect(),
            candidate_pairs: (0..inst.n_communities())
                .map(|i| inst.candidates_of(i).collect())
                .collect(),
            existing_pairs: (0..inst.n_communities())
                .map(|i| inst.existing_of(i).collect())
                .collect(),
        }
    }
}

/// A capacity as the solver takes it (`None`: unlimited).
fn capacity(v: Option<f64>) -> f64 {
    v.unwrap_or(UNLIMITED)
}

/// The instance of cost tables read back (`site --costs DIR`): capacities as written (empty:
/// unlimited), the candidates' costs attached.
pub fn instance_from_costs(t: &CostTables) -> Result<Instance, SitingError> {
    Instance::new(InstanceData {
        weight: t.weights.clone(),
        candidate_capacity: t.candidates.iter().map(|c| capacity(c.capacity)).collect(),
        candidate_pairs: t.candidate_pairs.clone(),
        existing_capacity: t.existing_capacity.iter().map(|&c| capacity(c)).collect(),
        existing_pairs: t.existing_pairs.clone(),
        candidate_cost: t.candidates.iter().map(|c| c.cost).collect(),
    })
}

/// Places the communities, the existing facilities of the category and the candidates, and
/// builds the instance (the walking distances within the problem's reach, one bounded search
/// per community). Refuses a scenario with nothing to site for: no community or no candidate
/// on the network.
pub fn build_scenario(
    graph: &Graph,
    inputs: &SiteInputs<'_>,
    opts: &ScenarioOptions,
    obs: &dyn Observer,
) -> Result<Scenario, PipelineError> {
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
    // Nothing to site for is a failure, never "proven optimal" about nothing.
    match &opts.files {
        Some((communities_file, candidates_file)) => {
            for (file, what, n, off) in [
                (
                    communities_file,
                    ("社区", "community"),
                    inputs.communities.len(),
                    communities_placed.too_far.len(),
                ),
                (
                    candidates_file,
                    ("候选用地", "candidate"),
                    inputs.candidates.len(),
                    candidates_placed.too_far.len(),
                ),
            ] {
                require_points(file, what, n, off, opts.snap_limit, "site")?;
            }
        }
        None => {
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
        }
    }
    let mut weighed_by_population = 0;
    let weights: Vec<f64> = inputs
        .communities
        .iter()
        .map(|c| {
            let (v, specific) = c.demand(opts.demand);
            if !specific {
                weighed_by_population += 1;
            }
            v
        })
        .collect();
    let (candidate_capacity, existing_capacity) = if opts.capacities {
        (
            inputs
                .candidates
                .iter()
                .map(|c| capacity(c.capacity))
                .collect(),
            existing
                .iter()
                .map(|&f| capacity(inputs.facilities[f].capacity))
                .collect(),
        )
    } else {
        (
            vec![UNLIMITED; inputs.candidates.len()],
            vec![UNLIMITED; existing.len()],
        )
    };
    let instance = steps.run(Step::Access, Some(inputs.communities.len() as u64), |obs| {
        let instance = instance_on_network(
            NetworkInput {
                graph,
                communities: &communities_placed.anchors,
                weights: weights.clone(),
                candidates: &candidates_placed.anchors,
                candidate_capacity,
                existing: &existing_placed.anchors,
                existing_capacity,
                max_distance: opts.problem.reach(),
            },
            &|n| obs.advance(Step::Access, n as u64),
        )?;
        Ok(if opts.costs {
            instance.with_candidate_costs(inputs.candidates.iter().map(|c| c.cost).collect())?
        } else {
            instance
        })
    })?;
    Ok(Scenario {
        problem: opts.problem,
        demand: opts.demand,
        weights,
        weighed_by_population,
        existing,
        communities_placed,
        existing_placed,
        candidates_placed,
        instance,
        timings,
    })
}

/// Solves a scenario's instance (the reductions, greedy and local search, the proven bound,
/// the exact solve when the gap is open and time allows) and scores the answer on it.
pub fn solve_scenario(
    instance: &Instance,
    problem: &Problem,
    opts: &Options,
    obs: &dyn Observer,
) -> Result<(Solution, Evaluation, Timings), PipelineError> {
    let mut timings = Timings::new();
    let mut steps = Stepper {
        obs,
        timings: &mut timings,
    };
    let (sol, ev) = steps.run(Step::Site, None, |_| {
        let sol = solve(instance, problem, opts)?;
        let ev = evaluate(instance, problem, &sol.chosen)?;
        Ok((sol, ev))
    })?;
    Ok((sol, ev, timings))
}

/// Places the points, builds the instance, solves and orders the sites (maximal coverage of
/// the population, capacities unlimited, costs not considered, solved to a zero gap within
/// the time limit).
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
    // The solver's refusals are options out of their domain to this call's callers.
    let option = |e: PipelineError| match e {
        PipelineError::Siting(e) => PipelineError::BadOption(e.to_string()),
        e => e,
    };
    let problem = Problem::Mclp {
        p: opts.sites,
        radius: opts.radius_m,
    };
    let scenario = build_scenario(
        graph,
        inputs,
        &ScenarioOptions {
            category: opts.category,
            problem,
            demand: Demand::Population,
            capacities: false,
            costs: false,
            snap: opts.snap,
            snap_limit: opts.snap_limit,
            files: None,
        },
        obs,
    )
    .map_err(option)?;
    let (solution, ev, solve_timings) = solve_scenario(
        &scenario.instance,
        &problem,
        &Options {
            method: Method::Auto,
            time_limit: opts.time_limit,
            rel_gap: 0.0,
        },
        obs,
    )
    .map_err(option)?;
    let Scenario {
        existing,
        communities_placed,
        existing_placed,
        candidates_placed,
        instance,
        mut timings,
        ..
    } = scenario;
    timings.extend(solve_timings);
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
