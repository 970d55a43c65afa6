//! The assessment as a library call: one access computation serving every requirement of the
//! standards and every indicator of the plans, then every community against the standards and
//! every region against the targets.

use crate::observer::{Step, Stepper};
use crate::place::{place, place_items, require_points, Placed};
use crate::{Observer, PipelineError, Timings};
use lc_access::CommunityAccess;
use lc_assess::{AccessPlan, Assessment, Divisions, FacilityRegions, Input};
use lc_model::{Category, Community, FacilityList, LonLat};
use lc_network::{Graph, SnapMode, Snapper};
use lc_standards::{Plan, Standard};
use std::path::PathBuf;

/// How to assess.
#[derive(Debug, Clone)]
pub struct AssessOptions {
    /// Nearest facilities are reported up to this distance even when a requirement's is shorter.
    pub max_distance: f64,
    /// Where points are placed: the nearest edge or the nearest node.
    pub snap: SnapMode,
    /// Points farther than this from the network are not placed, metres.
    pub snap_limit: f64,
    /// The communities' file, for the "nothing to assess" message.
    pub communities_file: PathBuf,
}

/// What the assessment reads.
#[derive(Debug, Clone, Copy)]
pub struct AssessInputs<'a> {
    /// The standards (requirements per community).
    pub standards: &'a [Standard],
    /// The plans (2025 targets per region).
    pub plans: &'a [Plan],
    /// Division names and levels.
    pub divisions: &'a Divisions,
    /// The communities.
    pub communities: &'a [Community],
    /// The facilities (every category), kept at `Detail::Assessment` (a `Vec<Facility>`
    /// becomes one with `FacilityList::from`).
    pub facilities: &'a FacilityList,
    /// Candidate sites to place too (for recommendations); may be empty.
    pub candidates: &'a [LonLat],
    /// The service platform's indicator file (`visit-rate.csv`, read with
    /// `lc_tables::read_platform_indicators`), if given: the values of `platform_rate`
    /// indicators (GS21); without it they are reported as not computable, with the reason.
    pub platform: Option<&'a lc_model::PlatformIndicators>,
}

/// An assessment run's results.
#[derive(Debug)]
pub struct AssessRun {
    /// What the access computation covered (distances, circles, categories).
    pub plan: AccessPlan,
    /// The communities' places on the network.
    pub communities_placed: Placed,
    /// The facilities' places on the network.
    pub facilities_placed: Placed,
    /// The candidates' places on the network.
    pub candidates_placed: Placed,
    /// Access per community, in input order (categories indexed by `Category::index`).
    pub access: Vec<CommunityAccess>,
    /// Shortcomings, statuses and indicators.
    pub assessment: Assessment,
    /// Seconds per step.
    pub timings: Timings,
}

/// Places the points, computes access once and assesses.
pub fn run_assess(
    graph: &Graph,
    inputs: &AssessInputs<'_>,
    opts: &AssessOptions,
    obs: &dyn Observer,
) -> Result<AssessRun, PipelineError> {
    let mut timings = Timings::new();
    let mut steps = Stepper {
        obs,
        timings: &mut timings,
    };
    let (communities_placed, facilities_placed, candidates_placed) =
        steps.run(Step::Place, None, |_| {
            let snapper = Snapper::new(graph, opts.snap);
            let c = place_items(&snapper, inputs.communities, |c| c.pos, opts.snap_limit);
            let f = place(&snapper, inputs.facilities.positions(), opts.snap_limit);
            let k = place_items(&snapper, inputs.candidates, |k| *k, opts.snap_limit);
            Ok((c, f, k))
        })?;
    require_points(
        &opts.communities_file,
        ("社区", "community"),
        inputs.communities.len(),
        communities_placed.too_far.len(),
        opts.snap_limit,
        "assess",
    )?;
    let plan = AccessPlan::new(inputs.standards, inputs.plans, opts.max_distance);
    // The facilities' regions need no access results: they are located beside the access step,
    // whose search index is built on one thread (on a province, a second and more in which the
    // other thread would wait).
    let (access, located) =
        steps.run(Step::Access, Some(inputs.communities.len() as u64), |obs| {
            let (access, located) = rayon::join(
                || {
                    let cats: Vec<u16> = inputs
                        .facilities
                        .categories()
                        .iter()
                        .map(|c| c.index() as u16)
                        .collect();
                    let targets = crate::access::targets(
                        graph,
                        inputs.facilities,
                        &facilities_placed,
                        &cats,
                        Category::count(),
                    );
                    crate::access::search(graph, &targets, &communities_placed, &plan.config(), obs)
                },
                || FacilityRegions::locate(inputs.communities, inputs.facilities),
            );
            Ok((access?, located))
        })?;
    let assessment = steps.run(Step::Assess, None, |_| {
        let placed: Vec<bool> = communities_placed
            .anchors
            .iter()
            .map(|x| x.is_some())
            .collect();
        let input = Input {
            communities: inputs.communities,
            facilities: inputs.facilities,
            placed: &placed,
            access: &access,
            platform: inputs.platform,
        };
        Ok(lc_assess::assess_located(
            inputs.standards,
            inputs.plans,
            &plan,
            &input,
            inputs.divisions,
            located,
        ))
    })?;
    Ok(AssessRun {
        plan,
        communities_placed,
        facilities_placed,
        candidates_placed,
        access,
        assessment,
        timings,
    })
}
