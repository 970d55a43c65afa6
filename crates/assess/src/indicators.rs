//! The plans' indicators, computed for every region at every level they are reported at.

use crate::evaluate::{count_within, weight_of, Allocations, Check, CheckState, ReqRef};
use crate::regions::{region_at, Divisions};
use crate::setup::AccessPlan;
use crate::Input;
use lc_standards::{Denominator, IndicatorKind, Obligation, Plan, RegionLevel, Standard};
use std::collections::BTreeMap;

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
    /// Communities in the region (within the plan's scope).
    pub communities: usize,
    /// Their population.
    pub population: f64,
    /// Numerator (covered communities, allocated capacity...).
    pub numerator: f64,
    /// Denominator (eligible communities, population...); 0 for totals.
    pub denominator: f64,
    /// The value in the indicator's unit, or `None` when not computable.
    pub value: Option<f64>,
    /// Whether the target is met.
    pub met: Option<bool>,
    /// Distance to the target (positive when short, 0 when met).
    pub gap: Option<f64>,
    /// What was left out or why it is not computable.
    pub note: String,
}

struct Ctx<'a> {
    standards: &'a [Standard],
    plan: &'a AccessPlan,
    input: &'a Input<'a>,
    reqs: &'a [ReqRef],
    checks: &'a [Check],
}

pub(crate) fn compute(
    standards: &[Standard],
    plans: &[Plan],
    plan: &AccessPlan,
    input: &Input,
    reqs: &[ReqRef],
    checks: &[Check],
    alloc: &mut Allocations,
    divisions: &Divisions,
) -> Vec<IndicatorRow> {
    let cx = Ctx {
        standards,
        plan,
        input,
        reqs,
        checks,
    };
    let mut rows = Vec::new();
    let codes: Vec<Option<&str>> = input
        .communities
        .iter()
        .map(|c| c.division_code.as_deref().map(str::trim))
        .collect();
    for (pi, p) in plans.iter().enumerate() {
        let inside: Vec<usize> = (0..codes.len())
            .filter(|&i| {
                p.jurisdiction.is_empty()
                    || codes[i].is_some_and(|c| {
                        crate::regions::valid_code(c) && c.starts_with(&p.jurisdiction)
                    })
            })
            .collect();
        let (scope, members) = if inside.is_empty() {
            (Scope::Reference, (0..codes.len()).collect::<Vec<_>>())
        } else {
            (Scope::Own, inside)
        };
        // The regions of each level, once per plan.
        let by_level: Vec<(RegionLevel, BTreeMap<&str, Vec<usize>>)> = RegionLevel::ALL
            .iter()
            .map(|&level| {
                let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
                for &i in &members {
                    if let Some(r) = region_at(codes[i], level) {
                        groups.entry(r).or_default().push(i);
                    }
                }
                (level, groups)
            })
            .collect();
        for (ii, ind) in p.indicators.iter().enumerate() {
            for &level in &ind.levels {
                let groups = &by_level
                    .iter()
                    .find(|(l, _)| *l == level)
                    .expect("every level is grouped")
                    .1;
                for (&region, group) in groups {
                    let (numerator, denominator, value, note) =
                        evaluate(&cx, &ind.kind, group, &codes, alloc);
                    let met = value.map(|v| ind.comparison.met(v, ind.threshold));
                    let gap = value.map(|v| ind.comparison.gap(v, ind.threshold));
                    rows.push(IndicatorRow {
                        plan: pi,
                        indicator: ii,
                        level,
                        region: region.to_string(),
                        region_name: if region.is_empty() {
                            None
                        } else {
                            divisions.full_name(region)
                        },
                        scope,
                        communities: group.len(),
                        population: group.iter().map(|&i| input.communities[i].population).sum(),
                        numerator,
                        denominator,
                        value,
                        met,
                        gap,
                        note,
                    });
                }
            }
        }
    }
    rows
}

fn plural(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

fn evaluate(
    cx: &Ctx,
    kind: &IndicatorKind,
    group: &[usize],
    codes: &[Option<&str>],
    alloc: &mut Allocations,
) -> (f64, f64, Option<f64>, String) {
    let input = cx.input;
    let unplaced = group.iter().filter(|&&i| !input.placed[i]).count();
    let mut notes = Vec::new();
    if unplaced > 0 {
        notes.push(format!(
            "{} not on the network left out",
            plural(unplaced, "community")
        ));
    }
    let pct = |num: f64, den: f64| (den > 0.0).then(|| num / den * 100.0);
    let (num, den, value) = match kind {
        IndicatorKind::Coverage { communities, needs } => {
            let mut num = 0.0;
            let mut den = 0.0;
            for &i in group {
                if !input.placed[i] || !communities.admits(codes[i]) {
                    continue;
                }
                den += 1.0;
                if needs
                    .iter()
                    .all(|n| count_within(input, cx.plan, i, &n.categories, n.distance_m) >= 1)
                {
                    num += 1.0;
                }
            }
            if den == 0.0 {
                notes.push(format!("no {} community", communities.key()));
            }
            (num, den, pct(num, den))
        }
        IndicatorKind::StandardCoverage {
            communities,
            standard,
            levels,
        } => {
            let relevant: Vec<usize> = cx
                .reqs
                .iter()
                .enumerate()
                .filter(|(_, rr)| {
                    let s = &cx.standards[rr.standard];
                    let r = &s.requirements[rr.requirement];
                    &s.id == standard
                        && r.obligation == Obligation::Required
                        && (levels.is_empty()
                            || r.level.as_ref().is_some_and(|l| levels.contains(l)))
                })
                .map(|(ri, _)| ri)
                .collect();
            let nr = cx.reqs.len();
            let (mut num, mut den, mut unknown) = (0.0, 0.0, 0);
            for &i in group {
                if !input.placed[i] || !communities.admits(codes[i]) {
                    continue;
                }
                let states: Vec<CheckState> = relevant
                    .iter()
                    .map(|&ri| cx.checks[i * nr + ri].state)
                    .collect();
                if states.contains(&CheckState::NotComputable) {
                    unknown += 1;
                    continue;
                }
                den += 1.0;
                if states.iter().all(|s| *s == CheckState::Met) {
                    num += 1.0;
                }
            }
            if unknown > 0 {
                notes.push(format!(
                    "{} not computable left out",
                    plural(unknown, "community")
                ));
            }
            (num, den, pct(num, den))
        }
        IndicatorKind::Ratio {
            categories,
            measure,
            denominator,
            per,
            catchment_m,
        } => {
            let a = alloc.get(input, categories, *measure, *denominator, *catchment_m);
            let (mut num, mut den, mut unknown, mut missing) = (0.0, 0.0, 0u32, 0);
            for &i in group {
                match weight_of(&input.communities[i], *denominator) {
                    Some(w) => {
                        num += a.share[i];
                        den += w;
                        unknown += a.unknown[i];
                    }
                    None => missing += 1,
                }
            }
            if missing > 0 {
                notes.push(format!(
                    "{} without {} left out",
                    plural(missing, "community"),
                    denominator.key()
                ));
            }
            if unknown > 0 {
                notes.push(format!(
                    "facilities without {} within the catchment of {} left out",
                    measure.key(),
                    plural(unknown as usize, "community")
                ));
            }
            let value = if den == 0.0 {
                notes.push(format!("not computable: no {}", denominator.key()));
                None
            } else if num == 0.0 && unknown > 0 {
                notes.push(format!(
                    "not computable: no facility with a known {}",
                    measure.key()
                ));
                None
            } else {
                Some(num / den * per)
            };
            (num, den, value)
        }
        IndicatorKind::Total {
            categories,
            measure,
            catchment_m,
        } => {
            let a = alloc.get(
                input,
                categories,
                *measure,
                Denominator::Population,
                *catchment_m,
            );
            let num: f64 = group.iter().map(|&i| a.share[i]).sum();
            let unknown: u32 = group.iter().map(|&i| a.unknown[i]).sum();
            let value = if num == 0.0 && unknown > 0 {
                notes.push(format!(
                    "not computable: no facility with a known {}",
                    measure.key()
                ));
                None
            } else {
                Some(num)
            };
            (num, 0.0, value)
        }
        IndicatorKind::RegionCoverage {
            of,
            categories,
            distance_m,
            min_population,
        } => {
            // Sub-region → (population, covered).
            let mut subs: BTreeMap<&str, (f64, bool)> = BTreeMap::new();
            let mut no_code = 0;
            for &i in group {
                let Some(sub) = region_at(codes[i], *of) else {
                    no_code += 1;
                    continue;
                };
                let e = subs.entry(sub).or_insert((0.0, false));
                e.0 += input.communities[i].population;
                if input.placed[i] && count_within(input, cx.plan, i, categories, *distance_m) >= 1
                {
                    e.1 = true;
                }
            }
            if no_code > 0 {
                notes.push(format!(
                    "{} without a {} code left out",
                    plural(no_code, "community"),
                    of.key()
                ));
            }
            let eligible: Vec<bool> = subs
                .values()
                .filter(|(pop, _)| min_population.is_none_or(|m| *pop >= m))
                .map(|(_, c)| *c)
                .collect();
            let num = eligible.iter().filter(|c| **c).count() as f64;
            let den = eligible.len() as f64;
            if den == 0.0 {
                notes.push(match min_population {
                    Some(m) => format!("no {} of {m} or more residents", of.key()),
                    None => format!("no {}", of.key()),
                });
            }
            (num, den, pct(num, den))
        }
    };
    (num, den, value, notes.join("; "))
}
