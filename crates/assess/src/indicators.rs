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
    fac: &'a FacilityRegions,
}

/// The facilities of a plan (by where they stand) and the communities of an indicator's scope
/// in one region.
struct Region<'a> {
    level: RegionLevel,
    /// Communities of the region within the indicator's scope.
    group: &'a [usize],
    /// Facilities standing in the region (within the plan's jurisdiction).
    facilities: &'a [usize],
}

/// The members of each region of a level (the whole area is the region "").
struct Groups<'a> {
    communities: BTreeMap<&'a str, Vec<usize>>,
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
    let cx = Ctx {
        standards,
        plan,
        input,
        reqs,
        checks,
        codes: &codes,
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
    let per_plan: Vec<Vec<IndicatorRow>> = plans
        .par_iter()
        .enumerate()
        .map(|(pi, p)| plan_rows(&cx, pi, p, alloc, divisions))
        .collect();
    per_plan.into_iter().flatten().collect()
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

/// Every row of one plan: each indicator in each region of each of its levels.
fn plan_rows(
    cx: &Ctx,
    pi: usize,
    p: &Plan,
    alloc: &Allocations,
    divisions: &Divisions,
) -> Vec<IndicatorRow> {
    let (input, codes, fac) = (cx.input, cx.codes, cx.fac);
    let in_jurisdiction = |c: Option<&str>| {
        p.jurisdiction.is_empty()
            || c.is_some_and(|c| crate::regions::valid_code(c) && c.starts_with(&p.jurisdiction))
    };
    let inside: Vec<usize> = (0..codes.len())
        .filter(|&i| in_jurisdiction(codes[i]))
        .collect();
    let (scope, members) = if inside.is_empty() {
        (Scope::Reference, (0..codes.len()).collect::<Vec<_>>())
    } else {
        (Scope::Own, inside)
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
    // level: grouped once per plan (each grouping on its own thread), shared by every indicator
    // that asks for the same.
    let mut keys: Vec<(CommunityFilter, RegionLevel)> = Vec::new();
    for ind in &p.indicators {
        for &level in &ind.levels {
            let key = (ind.scope.communities, level);
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    let grouped: HashMap<(CommunityFilter, RegionLevel), Groups> = keys
        .par_iter()
        .map(|&(filter, level)| {
            let g = if level == RegionLevel::Community {
                // Each community by itself, keyed by its id; no facility grouping (only
                // figures of communities are reported at this level).
                Groups {
                    communities: members
                        .iter()
                        .copied()
                        .filter(|&i| filter.admits(codes[i]))
                        .map(|i| (input.communities[i].id.as_str(), vec![i]))
                        .collect(),
                    facilities: BTreeMap::new(),
                }
            } else {
                Groups {
                    communities: by_region(
                        members.iter().copied().filter(|&i| filter.admits(codes[i])),
                        |i| codes[i],
                        level,
                    ),
                    facilities: facilities_by_region(fac, &plan_facilities, filter, level),
                }
            };
            ((filter, level), g)
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
    let per_task: Vec<Vec<IndicatorRow>> = tasks
        .par_iter()
        .map(|&(ii, level)| {
            let ind = &p.indicators[ii];
            let g = &grouped[&(ind.scope.communities, level)];
            let relevant = counted_requirements(cx, ind);
            g.communities
                .par_iter()
                .map(|(&code, group)| {
                    let region = Region {
                        level,
                        group,
                        facilities: g.facilities.get(code).map(Vec::as_slice).unwrap_or(&[]),
                    };
                    let e = evaluate(cx, ind, &relevant, &region, code, alloc);
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
                        population: group.iter().map(|&i| input.communities[i].population).sum(),
                        off_network: group.iter().filter(|&&i| !input.placed[i]).count(),
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
        .collect();
    per_task.into_iter().flatten().collect()
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

/// One indicator in one region (`relevant`: its [`counted_requirements`], found once for
/// all its regions).
fn evaluate(
    cx: &Ctx,
    ind: &Indicator,
    relevant: &[usize],
    r: &Region,
    code: &str,
    alloc: &Allocations,
) -> Eval {
    let input = cx.input;
    let group = r.group;
    let off = group.iter().filter(|&&i| !input.placed[i]).count();
    let mut notes = Vec::new();
    let scope_word = ind.scope.communities.key();
    match &ind.kind {
        IndicatorKind::Coverage { needs } => {
            let mut num = 0.0;
            for &i in group {
                if input.placed[i]
                    && needs
                        .iter()
                        .all(|n| count_within(input, cx.plan, i, &n.categories, n.distance_m) >= 1)
                {
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
            let nr = cx.reqs.len();
            let (mut num, mut den, mut unknown) = (0.0, 0.0, 0);
            for &i in group {
                if !input.placed[i] {
                    // Off the network: it reaches nothing, so it meets no standard.
                    den += 1.0;
                    continue;
                }
                let states = relevant.iter().map(|&ri| cx.checks[i * nr + ri].state);
                if states.clone().any(|s| s == CheckState::NotComputable) {
                    unknown += 1;
                    continue;
                }
                den += 1.0;
                if states.into_iter().all(|s| s == CheckState::Met) {
                    num += 1.0;
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
        IndicatorKind::ElderlyCoverage {
            categories,
            distance_m,
        } => {
            let (mut num, mut den, mut missing) = (0.0, 0.0, 0);
            for &i in group {
                let Some(w) = input.communities[i].elderly.filter(|w| w.is_finite()) else {
                    missing += 1;
                    continue;
                };
                den += w;
                if input.placed[i] && count_within(input, cx.plan, i, categories, *distance_m) >= 1
                {
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
            distance_m,
            min_population,
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
                e.0 += input.communities[i].population;
                if input.placed[i] && count_within(input, cx.plan, i, categories, *distance_m) >= 1
                {
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
