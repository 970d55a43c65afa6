//! Recommended sites for an assessment (`assess --candidates`): for the required "within a
//! distance" items that communities fall short of, the candidate sites that bring the most
//! residents within that distance (maximal coverage in `lc-siting`, existing facilities counted
//! as open). The rules: which requirements can be sited and which become one problem, in what
//! order, how many; the report renders the result.

use std::time::Duration;

use crate::{AssessRun, PipelineError};
pub use lc_assess::{Recommendation, RecommendedSite};
use lc_model::{Candidate, Category, Community, FacilityList};
use lc_network::{Anchor, Graph};
use lc_siting::{
    evaluate, instance_on_network, solve, Assigned, Method, NetworkInput, Options, Problem,
    UNLIMITED,
};
use lc_standards::{Obligation, Rule, Standard};

/// What to site and how hard to try.
#[derive(Debug, Clone)]
pub struct RecommendOptions {
    /// New sites per requirement.
    pub sites: usize,
    /// At most this many requirements (those with the most people short first).
    pub max_requirements: usize,
    /// Solver time per requirement.
    pub time_limit: Duration,
}

/// What the recommendations are made from: the assessment's inputs and its run (the places
/// of the communities, facilities and candidates and the shortcomings found).
#[derive(Debug, Clone, Copy)]
pub struct RecommendInputs<'a> {
    /// The walking network the assessment ran on.
    pub graph: &'a Graph,
    /// The standards assessed.
    pub standards: &'a [Standard],
    /// The communities assessed.
    pub communities: &'a [Community],
    /// The facilities (every category).
    pub facilities: &'a FacilityList,
    /// The candidate sites (placed by [`crate::run_assess`] as its `candidates`).
    pub candidates: &'a [Candidate],
    /// The assessment run.
    pub run: &'a AssessRun,
}

/// One siting problem: requirements that ask for the same categories within the same distance.
struct Group {
    requirements: Vec<usize>,
    /// The requirement's categories as written (the first is the one sited).
    categories: Vec<Category>,
    /// The same, sorted: what two requirements must share to be one problem.
    key: Vec<Category>,
    radius_m: f64,
    short_population: f64,
}

/// Which requirements can be sited (required, someone short, at least one facility within a
/// distance), grouped and ordered by the people short (most first, then requirement order);
/// and those left out, with why.
fn groups(inp: &RecommendInputs) -> (Vec<Group>, Vec<String>) {
    let a = &inp.run.assessment;
    // People short of each requirement, from the assessment's own list of shortcomings.
    let mut short = vec![0.0; a.requirements.len()];
    for sc in &a.shortcomings {
        short[sc.requirement] += inp.communities[sc.community].population;
    }
    let mut out: Vec<Group> = Vec::new();
    let mut skipped = Vec::new();
    for (ri, rr) in a.requirements.iter().enumerate() {
        let req = &inp.standards[rr.standard].requirements[rr.requirement];
        if req.obligation != Obligation::Required || short[ri] <= 0.0 {
            continue;
        }
        match &req.rule {
            Rule::Within {
                categories,
                distance_m,
                min_count: 1,
            } => {
                let mut key = categories.clone();
                key.sort();
                match out
                    .iter_mut()
                    .find(|g| g.radius_m == *distance_m && g.key == key)
                {
                    Some(g) => {
                        g.requirements.push(ri);
                        g.short_population = g.short_population.max(short[ri]);
                    }
                    None => out.push(Group {
                        requirements: vec![ri],
                        categories: categories.clone(),
                        key,
                        radius_m: *distance_m,
                        short_population: short[ri],
                    }),
                }
            }
            Rule::Within { min_count, .. } => skipped.push(format!(
                "{} {} (needs {min_count} facilities: site it with `livingcircle site`)",
                inp.standards[rr.standard].id, req.id
            )),
            Rule::Ratio { .. } => skipped.push(format!(
                "{} {} (a capacity or area ratio: use `livingcircle site --problem capacitated`)",
                inp.standards[rr.standard].id, req.id
            )),
        }
    }
    out.sort_by(|x, y| {
        y.short_population
            .total_cmp(&x.short_population)
            .then(x.requirements[0].cmp(&y.requirements[0]))
    });
    (out, skipped)
}

/// The recommendations, most people short first, and notes on what was not sited (no
/// candidate on the network, requirements past `max_requirements`, requirements that are not
/// "one facility within a distance").
pub fn recommend(
    inp: &RecommendInputs,
    opts: &RecommendOptions,
) -> Result<(Vec<Recommendation>, Vec<String>), PipelineError> {
    let community_at: &[Option<Anchor>] = &inp.run.communities_placed.anchors;
    let facility_at: &[Option<Anchor>] = &inp.run.facilities_placed.anchors;
    let candidate_at: &[Option<Anchor>] = &inp.run.candidates_placed.anchors;
    if candidate_at.iter().all(Option::is_none) {
        let why = if inp.candidates.is_empty() {
            "the candidates file lists no site".to_string()
        } else {
            format!(
                "none of the {} candidate sites is on the network (all farther than the snap limit)",
                inp.candidates.len()
            )
        };
        return Ok((Vec::new(), vec![format!("no site recommended: {why}")]));
    }
    let (mut groups, mut notes) = groups(inp);
    if groups.len() > opts.max_requirements {
        notes.push(format!(
            "{} more requirements with fewer people short were not sited (--recommend-max {})",
            groups.len() - opts.max_requirements,
            opts.max_requirements
        ));
        groups.truncate(opts.max_requirements);
    }
    // Communities off the network weigh nothing: no site can reach them.
    let weights: Vec<f64> = inp
        .communities
        .iter()
        .zip(community_at)
        .map(|(c, at)| if at.is_some() { c.population } else { 0.0 })
        .collect();
    let population: f64 = weights.iter().sum();
    let mut out = Vec::with_capacity(groups.len());
    for g in groups {
        let open: Vec<usize> = (0..inp.facilities.len())
            .filter(|&f| g.categories.contains(&inp.facilities.category(f)))
            .collect();
        let existing: Vec<Option<Anchor>> = open.iter().map(|&f| facility_at[f]).collect();
        let problem = Problem::Mclp {
            p: opts.sites,
            radius: g.radius_m,
        };
        let instance = instance_on_network(
            NetworkInput {
                graph: inp.graph,
                communities: community_at,
                weights: weights.clone(),
                candidates: candidate_at,
                candidate_capacity: vec![UNLIMITED; inp.candidates.len()],
                existing: &existing,
                existing_capacity: vec![UNLIMITED; existing.len()],
                max_distance: problem.reach(),
            },
            &|_| {},
        )
        .map_err(|e| {
            PipelineError::BadOption(format!(
                "为 {0} 选址 siting {0}: {e}",
                g.categories[0].key()
            ))
        })?;
        let solver = Options {
            method: Method::Auto,
            time_limit: opts.time_limit,
            rel_gap: 0.0,
        };
        let sol = solve(&instance, &problem, &solver)?;
        let ev = evaluate(&instance, &problem, &sol.chosen)?;
        let mut sites: Vec<RecommendedSite> = ev
            .sites
            .iter()
            .map(|s| RecommendedSite {
                id: inp.candidates[s.candidate].id.clone(),
                name: inp.candidates[s.candidate].name.clone(),
                pos: inp.candidates[s.candidate].pos,
                newly_covered: s.newly_covered,
                communities: ev
                    .assignment
                    .iter()
                    .enumerate()
                    .filter(|(_, x)| {
                        x.to == Assigned::Site(s.candidate) && x.covered > x.covered_before
                    })
                    .map(|(c, _)| c)
                    .collect(),
            })
            .collect();
        sites.sort_by(|x, y| {
            y.newly_covered
                .total_cmp(&x.newly_covered)
                .then(x.id.cmp(&y.id))
        });
        out.push(Recommendation {
            requirements: g.requirements,
            category: g.categories[0],
            radius_m: g.radius_m,
            population,
            covered_before: ev.covered_before,
            covered_after: ev.covered_after,
            bound: sol.bound.max(ev.covered_after),
            gap: sol.gap,
            out_of_reach: sol.uncoverable,
            sites,
        });
    }
    Ok((out, notes))
}
