//! The assessment: every requirement of the standards checked for every community, every plan's
//! indicators computed for every region, from one access computation.
//!
//! 1. [`AccessPlan::new`] says what the access computation must produce (the distinct distances
//!    as circles, pairs for the ratio categories); the caller runs `lc_access::compute_access`
//!    once with [`AccessPlan::config`].
//! 2. [`assess`] turns the results into [`Check`]s (community × requirement), the list of
//!    [`Shortcoming`]s ranked by people affected, each community's [`CommunityStatus`] and the
//!    [`IndicatorRow`]s (indicator × region level × region).
//!
//! Definitions (documented in `docs/standards.md`): "within d" is network distance ≤ d; a ratio
//! shares each facility's capacity or area among the communities within its catchment in
//! proportion to their denominator (2SFCA), and a region's value is the sum of its communities'
//! shares over the sum of their denominators; a value whose data are missing is "not computable",
//! never 0.
//!
//! **Architecture invariant:** no I/O and no formats; inputs are the model's communities and
//! facilities, the standards and plans, and the engine's results; outputs are plain data.

mod evaluate;
mod indicators;
mod located;
mod recommendation;
pub mod regions;
mod setup;

pub use evaluate::{allocate, Allocation, Check, CheckState, CommunityStatus, ReqRef};
pub use indicators::{Basis, IndicatorRow, Scope};
pub use located::FacilityRegions;
pub use recommendation::{Recommendation, RecommendedSite};
pub use regions::{region_at, valid_code, DivisionError, Divisions};
pub use setup::AccessPlan;

use lc_access::CommunityAccess;
use lc_model::{Community, FacilityList};
use lc_standards::{Plan, Standard};
use rayon::prelude::*;

/// What the assessment reads.
pub struct Input<'a> {
    /// Communities.
    pub communities: &'a [Community],
    /// Facilities (indices as in the access results), kept at `Detail::Assessment` (names,
    /// floor areas and division codes).
    pub facilities: &'a FacilityList,
    /// Per community: placed on the network.
    pub placed: &'a [bool],
    /// Per community: the engine's results, computed with [`AccessPlan::config`] and
    /// categories numbered by `Category::index`.
    pub access: &'a [CommunityAccess],
    /// The service platform's indicator file (`--platform-indicators`), if given: the values of
    /// `platform_rate` indicators (GS21). Without it they are not computable, with the reason.
    pub platform: Option<&'a lc_model::PlatformIndicators>,
}

/// One missing requirement of one community.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shortcoming {
    /// Community index.
    pub community: usize,
    /// Index into [`Assessment::requirements`].
    pub requirement: usize,
}

/// The assessment's results.
#[derive(Debug, Clone)]
pub struct Assessment {
    /// Every requirement of every standard, in file order.
    pub requirements: Vec<ReqRef>,
    /// `checks[community * requirements.len() + r]`.
    pub checks: Vec<Check>,
    /// Per community.
    pub status: Vec<CommunityStatus>,
    /// Communities in rank order: most person-shortcomings first (population × required
    /// requirements not met), then population, then id.
    pub ranking: Vec<usize>,
    /// Unmet requirements (required and recommended), communities in rank order, then
    /// requirements in file order.
    pub shortcomings: Vec<Shortcoming>,
    /// Indicators by plan, indicator, level, region.
    pub indicators: Vec<IndicatorRow>,
    /// Division codes of communities that are not valid codes or not in the division list
    /// (checked only when the list is not empty).
    pub unknown_codes: Vec<String>,
    /// Per facility: the region it stands in (its own division code, else the nearest coded
    /// community's), if any, and whether it was taken from the nearest community.
    pub facility_regions: FacilityRegions,
}

impl Assessment {
    /// The check of a community against a requirement.
    pub fn check(&self, community: usize, requirement: usize) -> &Check {
        &self.checks[community * self.requirements.len() + requirement]
    }
}

/// Runs the assessment. `plans` must have been checked against `standards`
/// (`lc_standards::check_plan`).
pub fn assess(
    standards: &[Standard],
    plans: &[Plan],
    plan: &AccessPlan,
    input: &Input,
    divisions: &Divisions,
) -> Assessment {
    let located = FacilityRegions::locate(input.communities, input.facilities);
    assess_located(standards, plans, plan, input, divisions, located)
}

/// [`assess`] with the facilities' regions already located ([`FacilityRegions::locate`] of the
/// same communities and facilities): locating needs no access results, so a caller can run it
/// beside the access step (a province's 5.7 million facilities take about a second of CPU).
pub fn assess_located(
    standards: &[Standard],
    plans: &[Plan],
    plan: &AccessPlan,
    input: &Input,
    divisions: &Divisions,
    located: FacilityRegions,
) -> Assessment {
    assert_eq!(located.len(), input.facilities.len());
    assert_eq!(input.communities.len(), input.access.len());
    assert_eq!(input.communities.len(), input.placed.len());
    let mut alloc = evaluate::Allocations::default();
    let (requirements, checks) = evaluate::check_all(standards, plan, input, &mut alloc);
    let status = evaluate::statuses(standards, &requirements, &checks, input);
    let mut ranking: Vec<usize> = (0..input.communities.len()).collect();
    ranking.sort_by(|&a, &b| {
        status[b]
            .score
            .total_cmp(&status[a].score)
            .then(
                input.communities[b]
                    .population
                    .total_cmp(&input.communities[a].population),
            )
            .then(input.communities[a].id.cmp(&input.communities[b].id))
    });
    let nr = requirements.len();
    // In rank order, on all threads (a province has millions).
    let states: &[Check] = &checks;
    let shortcomings: Vec<Shortcoming> = ranking
        .par_iter()
        .flat_map_iter(|&c| {
            (0..nr)
                // A community off the network reaches nothing: every requirement is missing,
                // and it is listed so (its checks say NotPlaced), never dropped.
                .filter(move |&r| {
                    matches!(
                        states[c * nr + r].state,
                        CheckState::Short | CheckState::NotPlaced
                    )
                })
                .map(move |r| Shortcoming {
                    community: c,
                    requirement: r,
                })
        })
        .collect();
    let indicators = indicators::compute(
        standards,
        plans,
        plan,
        input,
        &requirements,
        &checks,
        &mut alloc,
        divisions,
        &located,
    );
    let mut unknown_codes: Vec<String> = input
        .communities
        .iter()
        .filter_map(|c| c.division_code.as_deref().map(str::trim))
        .filter(|c| !valid_code(c) || (!divisions.is_empty() && divisions.name(c).is_none()))
        .map(str::to_string)
        .collect();
    unknown_codes.sort();
    unknown_codes.dedup();
    Assessment {
        requirements,
        checks,
        status,
        ranking,
        shortcomings,
        indicators,
        unknown_codes,
        facility_regions: located,
    }
}

/// A measure for a note: whole numbers without decimals, others to two places.
pub(crate) fn fmt_amount(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

#[cfg(test)]
mod tests;
