//! The plans' indicators, computed for every region at every level they are reported at.
//!
//! Two kinds of figure, named for what they count (issue 22):
//! - **access-side** ([`Basis::Access`]): who can walk to a facility — coverage of communities,
//!   a standard met; these follow the network;
//! - **supply-side** ([`Basis::Supply`]): what stands in the region — beds, places and areas of
//!   the facilities located in it (their division code, else the region of the nearest
//!   community), "the region has one". Ratios, totals and region coverage are supply-side and
//!   carry the access-side figure beside them in [`IndicatorRow::walking_value`] (capacity shared
//!   among the communities within the catchment, 2SFCA; a sub-region with a community within
//!   the walking distance).
//!
//! Communities not on the network stay in every denominator: they reach nothing, so they count
//! as not covered, and the note says how many were counted so.

use crate::evaluate::{
    count_within, measure_of, weight_of, Allocation, Allocations, Check, CheckState, ReqRef,
};
use crate::located::FacilityRegions;
use crate::regions::{region_at, Divisions};
use crate::setup::AccessPlan;
use crate::Input;
use lc_model::Category;
use lc_standards::{
    CommunityFilter, Denominator, Indicator, IndicatorKind, Measure, Obligation, Plan, RegionLevel,
    Standard,
};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Whether a plan is applied to the communities in its jurisdiction, or, none being there, to
/// all of them as a yardstick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The communities inside the plan's jurisdiction.
    Own,
    /// No community is inside it: all are measured against the plan for reference (参照).
    Reference,
}

impl Scope {
    /// `own` or `reference`.
    pub fn key(self) -> &'static str {
        match self {
            Scope::Own => "own",
            Scope::Reference => "reference",
        }
    }
}

/// What an indicator's value counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// Who can walk to a facility (the network decides).
    Access,
    /// What stands in the region (where the facility is decides).
    Supply,
}

impl Basis {
    /// `access` or `supply`.
    pub fn key(self) -> &'static str {
        match self {
            Basis::Access => "access",
            Basis::Supply => "supply",
        }
    }

    /// What it counts, in Chinese and English, for reports.
    pub fn label(self) -> &'static str {
        match self {
            Basis::Access => "步行可达 who can walk to one",
            Basis::Supply => "位于本区域 what stands in the region",
        }
    }
}

/// One indicator in one region.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorRow {
    /// Index of the plan.
    pub plan: usize,
    /// Index of the indicator in the plan.
    pub indicator: usize,
    /// The level.
    pub level: RegionLevel,
    /// The region's code prefix ("" for the whole area).
    pub region: String,
    /// Its name, if known.
    pub region_name: Option<String>,
    /// Own jurisdiction or reference.
    pub scope: Scope,
    /// Communities in the region within the target's scope (urban, rural or all).
    pub communities: usize,
    /// Their population.
    pub population: f64,
    /// Of these, communities not on the network (counted as reaching nothing).
    pub off_network: usize,
    /// What `value` counts.
    pub basis: Basis,
    /// Numerator (covered communities, capacity standing in the region...).
    pub numerator: f64,
    /// Denominator (communities in scope, population...); 0 for totals.
    pub denominator: f64,
    /// The value in the indicator's unit, or `None` when not computable.
    pub value: Option<f64>,
    /// For supply-side indicators: the same figure by walking access (capacity shared among the
    /// communities within the catchment; sub-regions with a community within the distance).
    pub walking_value: Option<f64>,
    /// Whether the target is met.
    pub met: Option<bool>,
    /// Distance to the target (positive when short, 0 when met).
    pub gap: Option<f64>,
    /// What was counted how, what was left out, or why it is not computable.
    pub note: String,
}

struct Ctx<'a> {
    standards: &'a [Standard],
    plan: &'a AccessPlan,
    input: &'a Input<'a>,
    reqs: &'a [ReqRef],
    checks: &'a [Check],
    codes: &'a [Option<&'a str>],
    /// Each community's population, by index (read once per row instead of through the
    /// community records).
    population: &'a [f64],
    /// Every community of each community filter and level, grouped by region
    /// ([`communities_by_region`]): once for all plans, each plan keeping its own members.
    regions: &'a HashMap<(CommunityFilter, RegionLevel), BTreeMap<&'a str, Vec<usize>>>,
    fac: &'a FacilityRegions,
}

/// The facilities of a plan (by where they stand) and the communities of an indicator's scope
/// in one region.
struct Region<'a> {
    level: RegionLevel,
    /// Communities of the region within the indicator's scope.
    group: &'a [usize],
    /// Of these, how many are not on the network.
    off_network: usize,
    /// Facilities standing in the region (within the plan's jurisdiction).
    facilities: &'a [usize],
}

/// The members of each region of a level (the whole area is the region "").
struct Groups<'g, 'a> {
    communities: &'g BTreeMap<&'a str, Vec<usize>>,
    facilities: BTreeMap<&'a str, Vec<usize>>,
}

/// Groups items by their region at `level`; items without a code long enough count only in the
/// whole area.
fn by_region<'a>(
    items: impl Iterator<Item = usize>,
    code_of: impl Fn(usize) -> Option<&'a str>,
    level: RegionLevel,
) -> BTreeMap<&'a str, Vec<usize>> {
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for i in items {
        if let Some(r) = region_at(code_of(i), level) {
            groups.entry(r).or_default().push(i);
        }
    }
    groups
}

/// The distinct (community filter, level) pairs the indicators are reported by, in first-use
/// order.
fn grouping_keys<'i>(
    indicators: impl IntoIterator<Item = &'i Indicator>,
) -> Vec<(CommunityFilter, RegionLevel)> {
    let mut keys = Vec::new();
    for ind in indicators {
        for &level in &ind.levels {
            let key = (ind.scope.communities, level);
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    keys
}

/// Every community the filter admits, grouped by its region at `level` (at the community level
/// each community by itself, keyed by its id), each group in index order.
fn communities_by_region<'a>(
    input: &'a Input,
    codes: &[Option<&'a str>],
    filter: CommunityFilter,
    level: RegionLevel,
) -> BTreeMap<&'a str, Vec<usize>> {
    let admitted = (0..codes.len()).filter(|&i| filter.admits(codes[i]));
    if level == RegionLevel::Community {
        admitted
            .map(|i| (input.communities[i].id.as_str(), vec![i]))
            .collect()
    } else {
        by_region(admitted, |i| codes[i], level)
    }
}

/// Groups facilities as [`by_region`] would (those the filter admits, by their region at
/// `level`, each list in facility order), deciding the filter and the region once per distinct
/// code instead of once per facility: a province has millions of facilities and tens of
/// thousands of codes.
fn facilities_by_region<'a>(
    fac: &'a FacilityRegions,
    items: &[usize],
    filter: CommunityFilter,
    level: RegionLevel,
) -> BTreeMap<&'a str, Vec<usize>> {
    let mut keys: Vec<&'a str> = Vec::new();
    let mut slots: HashMap<&'a str, usize> = HashMap::new();
    let mut slot = |code: Option<&'a str>| -> Option<usize> {
        if !filter.admits(code) {
            return None;
        }
        let r = region_at(code, level)?;
        Some(*slots.entry(r).or_insert_with(|| {
            keys.push(r);
            keys.len() - 1
        }))
    };
    let of_code: Vec<Option<usize>> = fac.codes().iter().map(|c| slot(Some(c))).collect();
    let of_none = slot(None);
    let mut lists: Vec<Vec<usize>> = vec![Vec::new(); keys.len()];
    for &f in items {
        let s = match fac.code_index(f) {
            Some(i) => of_code[i],
            None => of_none,
        };
        if let Some(s) = s {
            lists[s].push(f);
        }
    }
    keys.into_iter()
        .zip(lists)
        .filter(|(_, l)| !l.is_empty())
        .collect()
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn compute(
    standards: &[Standard],
    plans: &[Plan],
    plan: &AccessPlan,
    input: &Input,
    reqs: &[ReqRef],
    checks: &[Check],
    alloc: &mut Allocations,
    divisions: &Divisions,
    fac: &FacilityRegions,
) -> Vec<IndicatorRow> {
    let codes: Vec<Option<&str>> = input
        .communities
        .iter()
        .map(|c| c.division_code.as_deref().map(str::trim))
        .collect();
    let population: Vec<f64> = input.communities.iter().map(|c| c.population).collect();
    let keys = grouping_keys(plans.iter().flat_map(|p| &p.indicators));
    let regions: HashMap<(CommunityFilter, RegionLevel), BTreeMap<&str, Vec<usize>>> = keys
        .par_iter()
        .map(|&(filter, level)| {
            let groups = communities_by_region(input, &codes, filter, level);
            ((filter, level), groups)
        })
        .collect();
    let cx = Ctx {
        standards,
        plan,
        input,
        reqs,
        checks,
        codes: &codes,
        population: &population,
        regions: &regions,
        fac,
    };
    // The capacity shares the supply-side indicators show beside their figures, computed first
    // (each on all threads); then the plans are evaluated on all threads, each into its own rows,
    // joined in plan order.
    alloc.ensure(
        input,
        plans
            .iter()
            .flat_map(|p| &p.indicators)
            .filter_map(shares_of),
    );
    let alloc: &Allocations = alloc;
    let per_plan: Vec<Vec<Vec<IndicatorRow>>> = plans
        .par_iter()
        .enumerate()
        .map(|(pi, p)| plan_rows(&cx, pi, p, alloc, divisions))
        .collect();
    // Joined with one move of each row (a province has half a million).
    let mut rows = Vec::with_capacity(per_plan.iter().flatten().map(Vec::len).sum());
    for part in per_plan.into_iter().flatten() {
        rows.extend(part);
    }
    rows
}

/// The capacity shares (2SFCA allocation) an indicator's walking figure needs:
/// categories, measure, denominator and catchment, as `evaluate` asks for them.
fn shares_of(ind: &Indicator) -> Option<(&[Category], Measure, Denominator, f64)> {
    match &ind.kind {
        IndicatorKind::Ratio {
            categories,
            measure,
            denominator,
            catchment_m,
            ..
        } => Some((categories, *measure, *denominator, *catchment_m)),
        IndicatorKind::Total {
            categories,
            measure,
            catchment_m,
        } => Some((categories, *measure, Denominator::Population, *catchment_m)),
        _ => None,
    }
}

/// The shares `compute` computed for the indicator before evaluating the plans.
fn shares<'a>(alloc: &'a Allocations, ind: &Indicator) -> &'a Allocation {
    shares_of(ind)
        .and_then(|(c, m, d, k)| alloc.computed(c, m, d, k))
        .unwrap_or_else(|| unreachable!("compute computes the shares of every indicator first"))
}

/// Every row of one plan: each indicator in each region of each of its levels, in parts (one per
/// indicator and level) to be joined in order.
fn plan_rows(
    cx: &Ctx,
    pi: usize,
    p: &Plan,
    alloc: &Allocations,
    divisions: &Divisions,
) -> Vec<Vec<IndicatorRow>> {
    let (input, codes, fac) = (cx.input, cx.codes, cx.fac);
    let in_jurisdiction = |c: Option<&str>| {
        p.jurisdiction.is_empty()
            || c.is_some_and(|c| crate::regions::valid_code(c) && c.starts_with(&p.jurisdiction))
    };
    let member: Vec<bool> = codes.iter().map(|&c| in_jurisdiction(c)).collect();
    let inside = member.iter().filter(|&&m| m).count();
    let scope = if inside == 0 {
        Scope::Reference
    } else {
        Scope::Own
    };
    // Facilities of the plan: those of a category its supply-side indicators count,
    // standing in its jurisdiction (all, for a reference). Only they are grouped by region.
    let mut counted = vec![false; Category::count()];
    for ind in &p.indicators {
        if let IndicatorKind::Ratio { categories, .. }
        | IndicatorKind::Total { categories, .. }
        | IndicatorKind::RegionCoverage { categories, .. } = &ind.kind
        {
            for c in categories {
                counted[c.index()] = true;
            }
        }
    }
    // Whether a facility stands in the jurisdiction, decided once per distinct code.
    let inside_code: Vec<bool> = fac
        .codes()
        .iter()
        .map(|c| in_jurisdiction(Some(c)))
        .collect();
    let inside_none = in_jurisdiction(None);
    let plan_facilities: Vec<usize> = (0..input.facilities.len())
        .filter(|&f| counted[input.facilities.category(f).index()])
        .filter(|&f| {
            scope == Scope::Reference || fac.code_index(f).map_or(inside_none, |i| inside_code[i])
        })
        .collect();
    // Communities and facilities of each region, by the indicators' community filter and
    // level, shared by every indicator that asks for the same: the communities grouped once
    // for all plans (`Ctx::regions`), the plan's facilities here (each on its own thread).
    let keys = grouping_keys(&p.indicators);
    // A plan whose jurisdiction holds only some communities keeps only them in each region
    // (regions left empty are dropped); the others use the shared groups as they are.
    let everyone = scope == Scope::Reference || inside == codes.len();
    let own: HashMap<(CommunityFilter, RegionLevel), BTreeMap<&str, Vec<usize>>> = if everyone {
        HashMap::new()
    } else {
        keys.par_iter()
            .map(|key| {
                let kept = cx.regions[key]
                    .iter()
                    .filter_map(|(&code, group)| {
                        let kept: Vec<usize> =
                            group.iter().copied().filter(|&i| member[i]).collect();
                        (!kept.is_empty()).then_some((code, kept))
                    })
                    .collect();
                (*key, kept)
            })
            .collect()
    };
    let grouped: HashMap<(CommunityFilter, RegionLevel), Groups> = keys
        .par_iter()
        .map(|&(filter, level)| {
            let key = (filter, level);
            let communities = if everyone {
                &cx.regions[&key]
            } else {
                &own[&key]
            };
            // No facility grouping at the community level: only figures of communities are
            // reported there.
            let facilities = if level == RegionLevel::Community {
                BTreeMap::new()
            } else {
                facilities_by_region(fac, &plan_facilities, filter, level)
            };
            (
                key,
                Groups {
                    communities,
                    facilities,
                },
            )
        })
        .collect();
    // Each indicator at each level, and each of its regions, on all threads; the rows are joined
    // in indicator, level and region order.
    let tasks: Vec<(usize, RegionLevel)> = p
        .indicators
        .iter()
        .enumerate()
        .flat_map(|(ii, ind)| ind.levels.iter().map(move |&level| (ii, level)))
        .collect();
    // What each community contributes to each indicator (covered, meets the standard...), found
    // once per indicator: every level's regions then read it instead of each asking the access
    // results again (a province's 200,000 communities are in one region of every level).
    let standings: Vec<Vec<Standing>> = p
        .indicators
        .par_iter()
        .map(|ind| standings(cx, ind))
        .collect();
    tasks
        .par_iter()
        .map(|&(ii, level)| {
            let ind = &p.indicators[ii];
            let g = &grouped[&(ind.scope.communities, level)];
            let standing = &standings[ii];
            g.communities
                .par_iter()
                .map(|(&code, group)| {
                    let region = Region {
                        level,
                        group,
                        off_network: group.iter().filter(|&&i| !input.placed[i]).count(),
                        facilities: g.facilities.get(code).map(Vec::as_slice).unwrap_or(&[]),
                    };
                    let e = evaluate(cx, ind, standing, &region, code, alloc);
                    // A monitoring indicator has no target: never met or short.
                    let met = e
                        .value
                        .zip(ind.threshold)
                        .map(|(v, t)| ind.comparison.met(v, t));
                    let gap = e
                        .value
                        .zip(ind.threshold)
                        .map(|(v, t)| ind.comparison.gap(v, t));
                    IndicatorRow {
                        plan: pi,
                        indicator: ii,
                        level,
                        region: code.to_string(),
                        region_name: if level == RegionLevel::Community {
                            Some(input.communities[group[0]].name.clone())
                        } else if code.is_empty() {
                            None
                        } else {
                            divisions.full_name(code)
                        },
                        scope,
                        communities: group.len(),
                        population: group.iter().map(|&i| cx.population[i]).sum(),
                        off_network: region.off_network,
                        basis: e.basis,
                        numerator: e.num,
                        denominator: e.den,
                        value: e.value,
                        walking_value: e.walking,
                        met,
                        gap,
                        note: e.notes.join("; "),
                    }
                })
                .collect()
        })
        .collect()
}

struct Eval {
    basis: Basis,
    num: f64,
    den: f64,
    value: Option<f64>,
    walking: Option<f64>,
    notes: Vec<String>,
}

impl Eval {
    /// An access-side percentage of communities.
    fn access(num: f64, den: f64, mut notes: Vec<String>, scope_word: &str) -> Eval {
        if den == 0.0 {
            notes.push(format!("no {scope_word} community"));
        }
        Eval {
            basis: Basis::Access,
            num,
            den,
            value: pct(num, den),
            walking: None,
            notes,
        }
    }
}

fn pct(num: f64, den: f64) -> Option<f64> {
    (den > 0.0).then(|| num / den * 100.0)
}

fn wanted(categories: &[Category]) -> impl Fn(Category) -> bool + '_ {
    move |c| categories.contains(&c)
}

/// Σ measure of the region's facilities of the categories, and how many have it unknown.
fn supply(cx: &Ctx, r: &Region, categories: &[Category], measure: Measure) -> (f64, usize, usize) {
    let is = wanted(categories);
    let (mut sum, mut known, mut unknown) = (0.0, 0, 0);
    for &f in r.facilities {
        if !is(cx.input.facilities.category(f)) {
            continue;
        }
        match measure_of(cx.input.facilities, f, measure) {
            Some(m) if m.is_finite() => {
                sum += m;
                known += 1;
            }
            _ => unknown += 1,
        }
    }
    (sum, known, unknown)
}

/// How many of the region's facilities of the categories were placed by their nearest
/// community (no division code of their own).
fn placed_by_nearest(cx: &Ctx, r: &Region, categories: &[Category]) -> usize {
    let is = wanted(categories);
    r.facilities
        .iter()
        .filter(|&&f| is(cx.input.facilities.category(f)) && cx.fac.by_nearest(f))
        .count()
}

/// The notes of a supply-side figure: facilities of unknown measure, facilities placed in the
/// region by their nearest community.
fn supply_notes(
    cx: &Ctx,
    r: &Region,
    categories: &[Category],
    measure: Measure,
    unknown: usize,
    notes: &mut Vec<String>,
) {
    if unknown > 0 {
        notes.push(format!(
            "{} without {} in the region left out",
            lc_model::count(unknown, "facility"),
            measure.key()
        ));
    }
    let nearest = placed_by_nearest(cx, r, categories);
    if nearest > 0 && r.level != RegionLevel::All {
        notes.push(format!(
            "{} without a division code placed by the nearest community",
            lc_model::count(nearest, "facility")
        ));
    }
}

/// The requirements a standard-coverage indicator counts: the standard's required ones, of the
/// levels asked (all levels when none is named). Empty for other indicators.
fn counted_requirements(cx: &Ctx, ind: &Indicator) -> Vec<usize> {
    let IndicatorKind::StandardCoverage {
        standard, levels, ..
    } = &ind.kind
    else {
        return Vec::new();
    };
    cx.reqs
        .iter()
        .enumerate()
        .filter(|(_, rr)| {
            let s = &cx.standards[rr.standard];
            let q = &s.requirements[rr.requirement];
            &s.id == standard
                && q.obligation == Obligation::Required
                && (levels.is_empty() || q.level.as_ref().is_some_and(|l| levels.contains(l)))
        })
        .map(|(ri, _)| ri)
        .collect()
}

/// Where one community stands in one indicator's walking test, found once per indicator (see
/// [`standings`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    /// Not on the network: it reaches nothing, so it passes no test.
    Off,
    /// On the network and passing: covered, within the distance, meeting the standard.
    Yes,
    /// On the network and not passing.
    No,
    /// On the network, but a requirement the standard counts is not computable for it.
    Unknown,
}

/// Every community's [`Standing`] in the indicator's walking test, by community index; empty
/// for indicators without one (ratios, totals, the platform's rates).
fn standings(cx: &Ctx, ind: &Indicator) -> Vec<Standing> {
    let input = cx.input;
    let reaches = |i: usize, categories: &[Category], d: f64| {
        count_within(input, cx.plan, i, categories, d) >= 1
    };
    let test: Box<dyn Fn(usize) -> Standing + Sync> = match &ind.kind {
        IndicatorKind::Coverage { needs } => Box::new(move |i| {
            if needs
                .iter()
                .all(|n| reaches(i, &n.categories, n.distance_m))
            {
                Standing::Yes
            } else {
                Standing::No
            }
        }),
        IndicatorKind::ElderlyCoverage {
            categories,
            distance_m,
        }
        | IndicatorKind::RegionCoverage {
            categories,
            distance_m,
            ..
        } => Box::new(move |i| {
            if reaches(i, categories, *distance_m) {
                Standing::Yes
            } else {
                Standing::No
            }
        }),
        IndicatorKind::StandardCoverage { .. } => {
            let relevant = counted_requirements(cx, ind);
            let nr = cx.reqs.len();
            Box::new(move |i| {
                let states = relevant.iter().map(|&ri| cx.checks[i * nr + ri].state);
                if states.clone().any(|s| s == CheckState::NotComputable) {
                    Standing::Unknown
                } else if states.into_iter().all(|s| s == CheckState::Met) {
                    Standing::Yes
                } else {
                    Standing::No
                }
            })
        }
        IndicatorKind::Ratio { .. } | IndicatorKind::Total { .. } | IndicatorKind::PlatformRate => {
            return Vec::new()
        }
    };
    (0..input.communities.len())
        .into_par_iter()
        .map(|i| {
            if input.placed[i] {
                test(i)
            } else {
                Standing::Off
            }
        })
        .collect()
}

/// One indicator in one region (`standing`: every community's [`Standing`] in its walking
/// test, found once for all its regions).
fn evaluate(
    cx: &Ctx,
    ind: &Indicator,
    standing: &[Standing],
    r: &Region,
    code: &str,
    alloc: &Allocations,
) -> Eval {
    let input = cx.input;
    let group = r.group;
    let off = r.off_network;
    let mut notes = Vec::new();
    let scope_word = ind.scope.communities.key();
    match &ind.kind {
        IndicatorKind::Coverage { .. } => {
            let mut num = 0.0;
            for &i in group {
                if standing[i] == Standing::Yes {
                    num += 1.0;
                }
            }
            let den = group.len() as f64;
            if off > 0 {
                notes.push(format!(
                    "{} not on the network counted as not covered (they reach nothing on foot)",
                    lc_model::count(off, "community")
                ));
            }
            Eval::access(num, den, notes, scope_word)
        }
        IndicatorKind::StandardCoverage { .. } => {
            let (mut num, mut den, mut unknown) = (0.0, 0.0, 0);
            for &i in group {
                match standing[i] {
                    // Off the network: it reaches nothing, so it meets no standard.
                    Standing::Off | Standing::No => den += 1.0,
                    Standing::Unknown => unknown += 1,
                    Standing::Yes => {
                        den += 1.0;
                        num += 1.0;
                    }
                }
            }
            if off > 0 {
                notes.push(format!(
                    "{} not on the network counted as not meeting the standard",
                    lc_model::count(off, "community")
                ));
            }
            if unknown > 0 {
                notes.push(format!(
                    "{} not computable left out",
                    lc_model::count(unknown, "community")
                ));
            }
            Eval::access(num, den, notes, scope_word)
        }
        IndicatorKind::Ratio {
            categories,
            measure,
            denominator,
            per,
            catchment_m: _,
        } => {
            let (num, known, unknown) = supply(cx, r, categories, *measure);
            let a = shares(alloc, ind);
            let (mut shared, mut den, mut missing, mut off_with) = (0.0, 0.0, 0, 0);
            for &i in group {
                match weight_of(&input.communities[i], *denominator) {
                    Some(w) => {
                        shared += a.share[i];
                        den += w;
                        if !input.placed[i] {
                            off_with += 1;
                        }
                    }
                    None => missing += 1,
                }
            }
            if missing > 0 {
                notes.push(format!(
                    "{} without {} left out of the denominator",
                    lc_model::count(missing, "community"),
                    denominator.key()
                ));
            }
            if off_with > 0 {
                notes.push(format!(
                    "{} not on the network kept in the denominator (by walking they reach no {})",
                    lc_model::count(off_with, "community"),
                    measure.key()
                ));
            }
            supply_notes(cx, r, categories, *measure, unknown, &mut notes);
            let value = if den == 0.0 {
                notes.push(format!("not computable: no {}", denominator.key()));
                None
            } else if known == 0 && unknown > 0 {
                notes.push(format!(
                    "not computable: no facility with a known {}",
                    measure.key()
                ));
                None
            } else {
                Some(num / den * per)
            };
            let walking = (den > 0.0 && value.is_some()).then(|| shared / den * per);
            Eval {
                basis: Basis::Supply,
                num,
                den,
                value,
                walking,
                notes,
            }
        }
        IndicatorKind::Total {
            categories,
            measure,
            catchment_m: _,
        } => {
            let (num, known, unknown) = supply(cx, r, categories, *measure);
            let a = shares(alloc, ind);
            let shared: f64 = group.iter().map(|&i| a.share[i]).sum();
            supply_notes(cx, r, categories, *measure, unknown, &mut notes);
            if r.level == RegionLevel::All && a.unattributed_facilities > 0 {
                notes.push(format!(
                    "{} ({} {}) counted although no community reaches them on foot",
                    lc_model::count(a.unattributed_facilities, "facility"),
                    crate::fmt_amount(a.unattributed_measure),
                    measure.key()
                ));
            }
            let value = if known == 0 && unknown > 0 {
                notes.push(format!(
                    "not computable: no facility with a known {}",
                    measure.key()
                ));
                None
            } else {
                Some(num)
            };
            Eval {
                basis: Basis::Supply,
                num,
                den: 0.0,
                value,
                walking: value.map(|_| shared),
                notes,
            }
        }
        IndicatorKind::PlatformRate => platform_rate(cx, ind, r, code),
        IndicatorKind::ElderlyCoverage { .. } => {
            let (mut num, mut den, mut missing) = (0.0, 0.0, 0);
            for &i in group {
                let Some(w) = input.communities[i].elderly.filter(|w| w.is_finite()) else {
                    missing += 1;
                    continue;
                };
                den += w;
                if standing[i] == Standing::Yes {
                    num += w;
                }
            }
            if missing > 0 {
                notes.push(format!(
                    "{} without elderly left out",
                    lc_model::count(missing, "community")
                ));
            }
            if off > 0 {
                notes.push(format!(
                    "{} not on the network counted as not covered (they reach nothing on foot)",
                    lc_model::count(off, "community")
                ));
            }
            let value = pct(num, den);
            if value.is_none() {
                notes.push("not computable: no elderly residents counted".into());
            }
            Eval {
                basis: Basis::Access,
                num,
                den,
                value,
                walking: None,
                notes,
            }
        }
        IndicatorKind::RegionCoverage {
            of,
            categories,
            min_population,
            ..
        } => {
            let units = ind.scope.units;
            // Sub-region → (population, has one standing in it, a community walks to one).
            let mut subs: BTreeMap<&str, (f64, bool, bool)> = BTreeMap::new();
            let mut no_code = 0;
            let mut other_units = BTreeSet::new();
            for &i in group {
                let Some(sub) = region_at(cx.codes[i], *of) else {
                    no_code += 1;
                    continue;
                };
                if !units.admits(sub) {
                    other_units.insert(sub);
                    continue;
                }
                let e = subs.entry(sub).or_insert((0.0, false, false));
                e.0 += cx.population[i];
                if standing[i] == Standing::Yes {
                    e.2 = true;
                }
            }
            let is = wanted(categories);
            for &f in r.facilities {
                if !is(input.facilities.category(f)) {
                    continue;
                }
                if let Some(sub) = region_at(cx.fac.code(f), *of) {
                    if let Some(e) = subs.get_mut(sub) {
                        e.1 = true;
                    }
                }
            }
            if no_code > 0 {
                notes.push(format!(
                    "{} without a {} code left out",
                    lc_model::count(no_code, "community"),
                    of.key()
                ));
            }
            if !other_units.is_empty() {
                notes.push(format!(
                    "{} not counted (the target counts {} only)",
                    lc_model::count(other_units.len(), of.key()),
                    units.key()
                ));
            }
            let nearest = placed_by_nearest(cx, r, categories);
            if nearest > 0 {
                notes.push(format!(
                    "{} without a division code placed by the nearest community",
                    lc_model::count(nearest, "facility")
                ));
            }
            let eligible: Vec<(bool, bool)> = subs
                .values()
                .filter(|(pop, _, _)| min_population.is_none_or(|m| *pop >= m))
                .map(|&(_, has, walk)| (has, walk))
                .collect();
            let num = eligible.iter().filter(|c| c.0).count() as f64;
            let walk = eligible.iter().filter(|c| c.1).count() as f64;
            let den = eligible.len() as f64;
            if den == 0.0 {
                notes.push(match min_population {
                    Some(m) => format!("no {} of {m} or more residents", of.key()),
                    None => format!("no {}", of.key()),
                });
            }
            Eval {
                basis: Basis::Supply,
                num,
                den,
                value: pct(num, den),
                walking: pct(walk, den),
                notes,
            }
        }
    }
}

/// A rate the platform computed (GS21): the file's row of the indicator for the region (the
/// whole area: the sum of the file's rows of its communities; a community: its own row), as %.
fn platform_rate(cx: &Ctx, ind: &Indicator, r: &Region, code: &str) -> Eval {
    let not_computable = |note: String| Eval {
        basis: Basis::Access,
        num: 0.0,
        den: 0.0,
        value: None,
        walking: None,
        notes: vec![note],
    };
    let Some(file) = cx.input.platform else {
        return not_computable(format!(
            "不可计算：未提供平台指标文件（--platform-indicators，平台的 GET /api/care/visit-rate.csv）not computable: the platform's indicator file was not given (--platform-indicators, the platform's GET /api/care/visit-rate.csv); {} has no other source",
            ind.id
        ));
    };
    let rows: Vec<&lc_model::PlatformRow> =
        file.rows.iter().filter(|x| x.indicator == ind.id).collect();
    let Some(month) = rows.first().map(|x| x.month.as_str()) else {
        return not_computable(format!(
            "不可计算：{0} 中没有 {1} 的行 not computable: {0} has no row of {1}",
            file.file, ind.id
        ));
    };
    let source = format!(
        "来源：平台 {month} 月探访记录（{0}）source: the platform's visit records for {month} ({0})",
        file.file
    );
    let (due, visited, found) = match r.level {
        RegionLevel::All => {
            let ids: BTreeSet<&str> = r
                .group
                .iter()
                .map(|&i| cx.input.communities[i].id.as_str())
                .collect();
            let mut sum = (0u64, 0u64, 0usize);
            for x in rows.iter().filter(|x| x.level == "community") {
                if ids.contains(x.region_code.as_str()) {
                    sum.0 += x.due;
                    sum.1 += x.visited;
                    sum.2 += 1;
                }
            }
            sum
        }
        level => match rows
            .iter()
            .find(|x| x.level == level.key() && x.region_code == code)
        {
            Some(x) => (x.due, x.visited, 1),
            None => (0, 0, 0),
        },
    };
    if found == 0 {
        return not_computable(format!(
            "不可计算：平台文件中没有该地区的行 not computable: the platform's file has no row for this region; {source}"
        ));
    }
    let mut notes = Vec::new();
    if r.level == RegionLevel::All {
        notes.push(format!(
            "{} of the platform's file summed",
            lc_model::count(found, "community row")
        ));
    }
    let value = if due == 0 {
        notes.push("不可计算：无人应探访 not computable: nobody is due".into());
        None
    } else {
        pct(visited as f64, due as f64)
    };
    notes.push(source);
    Eval {
        basis: Basis::Access,
        num: visited as f64,
        den: due as f64,
        value,
        walking: None,
        notes,
    }
}
