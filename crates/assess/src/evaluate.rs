//! Requirements of the standards, checked for every community; the allocation of facility
//! capacity and area to communities that ratios rest on.

use crate::setup::AccessPlan;
use crate::Input;
use lc_model::{Category, Community, FacilityList};
use lc_standards::{Comparison, Denominator, Measure, Obligation, Rule, Standard};
use rayon::prelude::*;

/// A requirement, as a position in the standards list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReqRef {
    /// Index of the standard.
    pub standard: usize,
    /// Index of the requirement within it.
    pub requirement: usize,
}

/// The outcome of one requirement for one community.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckState {
    /// Met.
    Met,
    /// Not met: a shortcoming.
    Short,
    /// The data cannot tell (no households figure, facilities without floor area...).
    NotComputable,
    /// The community is not on the network (too far from any walkable way).
    NotPlaced,
}

/// One requirement checked for one community.
///
/// A province holds 11M of them (200,000 communities × 55 requirements), so a check is kept in
/// 24 bytes: the optional figures are read through [`Check::nearest_m`] and [`Check::ratio`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Check {
    nearest: f64,
    ratio: f64,
    /// Facilities of the categories within the distance (or catchment, for ratios).
    pub count: u32,
    /// The outcome.
    pub state: CheckState,
    /// Which of `nearest` and `ratio` hold a value (`HAS_NEAREST`, `HAS_RATIO`).
    has: u8,
}

const HAS_NEAREST: u8 = 1;
const HAS_RATIO: u8 = 2;

impl Check {
    /// A check's outcome and figures.
    pub fn new(state: CheckState, nearest_m: Option<f64>, count: u32, ratio: Option<f64>) -> Check {
        Check {
            nearest: nearest_m.unwrap_or(0.0),
            ratio: ratio.unwrap_or(0.0),
            count,
            state,
            has: if nearest_m.is_some() { HAS_NEAREST } else { 0 }
                | if ratio.is_some() { HAS_RATIO } else { 0 },
        }
    }

    /// A community off the network: nothing reached, nothing computed.
    pub fn not_placed() -> Check {
        Check::new(CheckState::NotPlaced, None, 0, None)
    }

    /// Nearest facility of the requirement's categories, metres (if one is within reach).
    pub fn nearest_m(&self) -> Option<f64> {
        (self.has & HAS_NEAREST != 0).then_some(self.nearest)
    }

    /// For ratios: the community's value (per `per` of its denominator).
    pub fn ratio(&self) -> Option<f64> {
        (self.has & HAS_RATIO != 0).then_some(self.ratio)
    }
}

/// A category set's measure shared among communities (2SFCA shares).
#[derive(Debug, Clone, PartialEq)]
pub struct Allocation {
    /// Per community: the measure allocated to it.
    pub share: Vec<f64>,
    /// Per community: facilities of the categories within the catchment whose measure is known.
    pub known: Vec<u32>,
    /// Per community: facilities within the catchment whose measure is unknown.
    pub unknown: Vec<u32>,
    /// Facilities (known measure) that reach no community with a denominator.
    pub unattributed_facilities: usize,
    /// Their measure.
    pub unattributed_measure: f64,
}

pub(crate) fn measure_of(facilities: &FacilityList, f: usize, m: Measure) -> Option<f64> {
    match m {
        Measure::Capacity => facilities.capacity(f),
        Measure::FloorArea => facilities.floor_area_m2(f),
        Measure::Count => Some(1.0),
    }
}

pub(crate) fn weight_of(c: &Community, d: Denominator) -> Option<f64> {
    match d {
        Denominator::Population => Some(c.population),
        Denominator::Households => c.households,
        Denominator::Elderly => c.elderly,
        Denominator::Children0To3 => c.children_0_3,
    }
    .filter(|w| w.is_finite() && *w > 0.0)
}

/// Shares the measure of every facility of `categories` among the communities within
/// `catchment_m` of it, in proportion to their denominator (the two-step floating catchment of
/// `lc_access::two_step_fca`). Communities without the denominator take no share.
pub fn allocate(
    input: &Input,
    categories: &[Category],
    measure: Measure,
    denominator: Denominator,
    catchment_m: f64,
) -> Allocation {
    let n = input.communities.len();
    let nf = input.facilities.len();
    let mut wanted = vec![false; Category::count()];
    for c in categories {
        wanted[c.index()] = true;
    }
    let cap: Vec<f64> = (0..nf)
        .map(|f| {
            if wanted[input.facilities.category(f).index()] {
                measure_of(input.facilities, f, measure).unwrap_or(f64::NAN)
            } else {
                f64::NAN
            }
        })
        .collect();
    let weight: Vec<f64> = input
        .communities
        .iter()
        .map(|c| weight_of(c, denominator).unwrap_or(0.0))
        .collect();
    // Per community, in parallel: the pairs of wanted categories within the catchment whose
    // measure is known, and how many have it unknown.
    let (pairs, unknown): (Vec<Vec<(u32, f64)>>, Vec<u32>) = input
        .access
        .par_iter()
        .map(|a| {
            let mut v = Vec::new();
            let mut unknown = 0;
            for &(f, d) in &a.pairs {
                let category = input.facilities.category(f as usize);
                if lc_network::within(d, catchment_m) && wanted[category.index()] {
                    if cap[f as usize].is_nan() {
                        unknown += 1;
                    } else {
                        v.push((f, d));
                    }
                }
            }
            (v, unknown)
        })
        .unzip();
    let mut reached = vec![false; nf];
    for (i, v) in pairs.iter().enumerate() {
        if weight[i] > 0.0 {
            for &(f, _) in v {
                reached[f as usize] = true;
            }
        }
    }
    let zeros = vec![0u16; nf];
    let tsf = lc_access::two_step_fca(&pairs, &zeros, &cap, 1, |i, _| weight[i]);
    let share: Vec<f64> = (0..n).map(|i| tsf.ratio[i] * weight[i]).collect();
    let mut unattributed_facilities = 0;
    let mut unattributed_measure = 0.0;
    for f in 0..nf {
        if !cap[f].is_nan() && !reached[f] {
            unattributed_facilities += 1;
            unattributed_measure += cap[f];
        }
    }
    Allocation {
        share,
        known: tsf.facilities,
        unknown,
        unattributed_facilities,
        unattributed_measure,
    }
}

/// What defines an allocation: its categories (sorted), measure, denominator and catchment's bits.
type AllocKey = (Vec<Category>, Measure, Denominator, u64);

/// Cache of allocations, keyed by what defines them.
#[derive(Default)]
pub(crate) struct Allocations {
    keys: Vec<AllocKey>,
    values: Vec<Allocation>,
}

impl Allocations {
    /// Computes every allocation of `keys` not yet computed, on all threads (each is a pass over
    /// the facilities and every community's pairs: a province's six took 0.9 s one by one).
    pub(crate) fn ensure<'k>(
        &mut self,
        input: &Input,
        keys: impl IntoIterator<Item = (&'k [Category], Measure, Denominator, f64)>,
    ) {
        let mut missing: Vec<(&'k [Category], Measure, Denominator, f64)> = Vec::new();
        let mut seen: Vec<AllocKey> = Vec::new();
        for (c, m, d, k) in keys {
            let key = Self::key(c, m, d, k);
            if !self.keys.contains(&key) && !seen.contains(&key) {
                seen.push(key);
                missing.push((c, m, d, k));
            }
        }
        let values: Vec<Allocation> = missing
            .par_iter()
            .map(|&(c, m, d, k)| allocate(input, c, m, d, k))
            .collect();
        self.keys.extend(seen);
        self.values.extend(values);
    }

    /// An allocation [`Allocations::ensure`] has already computed (read-only, so that the plans'
    /// indicators can be evaluated on all threads).
    pub(crate) fn computed(
        &self,
        categories: &[Category],
        measure: Measure,
        denominator: Denominator,
        catchment_m: f64,
    ) -> Option<&Allocation> {
        let key = Self::key(categories, measure, denominator, catchment_m);
        let i = self.keys.iter().position(|k| *k == key)?;
        Some(&self.values[i])
    }

    fn key(
        categories: &[Category],
        measure: Measure,
        denominator: Denominator,
        catchment_m: f64,
    ) -> AllocKey {
        let mut cats = categories.to_vec();
        cats.sort();
        (cats, measure, denominator, catchment_m.to_bits())
    }
}

/// Nearest facility of any of the categories, metres. The engine lists a community's nearest
/// facilities by category, then rank: each category's first is found by binary search (a
/// province checks 55 requirements for 200,000 communities of 132 entries each).
pub(crate) fn nearest(input: &Input, i: usize, cats: &[Category]) -> Option<f64> {
    let found = &input.access[i].nearest;
    cats.iter()
        .filter_map(|c| {
            let c = c.index();
            let at = found.partition_point(|f| (f.category as usize) < c);
            found
                .get(at)
                .filter(|f| f.category as usize == c && f.rank == 1)
                .map(|f| f.distance_m)
        })
        .min_by(|a, b| a.total_cmp(b))
}

/// Facilities of the categories within a circle.
pub(crate) fn count_within(
    input: &Input,
    plan: &AccessPlan,
    i: usize,
    cats: &[Category],
    d: f64,
) -> u32 {
    count_in_circle(input, plan, i, cats, plan.circle(d))
}

/// Facilities of the categories within circle `ci` of the plan.
fn count_in_circle(
    input: &Input,
    plan: &AccessPlan,
    i: usize,
    cats: &[Category],
    ci: usize,
) -> u32 {
    let nc = plan.circles.len();
    let counts = &input.access[i].counts;
    cats.iter()
        .map(|c| counts.get(c.index() * nc + ci).copied().unwrap_or(0))
        .sum()
}

/// A requirement ready to be checked: its rule, with a ratio's allocation looked up.
enum Prepared<'a> {
    Within {
        categories: &'a [Category],
        circle: usize,
        min_count: u32,
    },
    Ratio {
        categories: &'a [Category],
        shares: &'a Allocation,
        denominator: Denominator,
        per: f64,
        min: f64,
    },
}

impl Prepared<'_> {
    /// The requirement checked for placed community `i`.
    fn check(&self, input: &Input, plan: &AccessPlan, i: usize) -> Check {
        match *self {
            Prepared::Within {
                categories,
                circle,
                min_count,
            } => {
                let count = count_in_circle(input, plan, i, categories, circle);
                let state = if count >= min_count {
                    CheckState::Met
                } else {
                    CheckState::Short
                };
                Check::new(state, nearest(input, i, categories), count, None)
            }
            Prepared::Ratio {
                categories,
                shares,
                denominator,
                per,
                min,
            } => {
                let (state, ratio) = match weight_of(&input.communities[i], denominator) {
                    Some(_) if shares.unknown[i] > 0 => (CheckState::NotComputable, None),
                    Some(w) => {
                        let v = shares.share[i] / w * per;
                        // The one comparison rule of standards and targets alike.
                        let state = if Comparison::AtLeast.met(v, min) {
                            CheckState::Met
                        } else {
                            CheckState::Short
                        };
                        (state, Some(v))
                    }
                    None => (CheckState::NotComputable, None),
                };
                let count = shares.known[i] + shares.unknown[i];
                Check::new(state, nearest(input, i, categories), count, ratio)
            }
        }
    }
}

/// Every requirement of every standard, for every community: `checks[c * reqs.len() + r]`.
/// The ratios' allocations are computed first (in parallel); then every check is computed once,
/// straight into its place, on all threads.
pub(crate) fn check_all(
    standards: &[Standard],
    plan: &AccessPlan,
    input: &Input,
    alloc: &mut Allocations,
) -> (Vec<ReqRef>, Vec<Check>) {
    let reqs: Vec<ReqRef> = standards
        .iter()
        .enumerate()
        .flat_map(|(s, st)| {
            (0..st.requirements.len()).map(move |r| ReqRef {
                standard: s,
                requirement: r,
            })
        })
        .collect();
    let rule = |rr: &ReqRef| &standards[rr.standard].requirements[rr.requirement].rule;
    alloc.ensure(
        input,
        reqs.iter().filter_map(|rr| match rule(rr) {
            Rule::Ratio {
                categories,
                measure,
                denominator,
                catchment_m,
                ..
            } => Some((categories.as_slice(), *measure, *denominator, *catchment_m)),
            Rule::Within { .. } => None,
        }),
    );
    let alloc: &Allocations = alloc;
    let prepared: Vec<Prepared> = reqs
        .iter()
        .map(|rr| match rule(rr) {
            Rule::Within {
                categories,
                distance_m,
                min_count,
            } => Prepared::Within {
                categories,
                circle: plan.circle(*distance_m),
                min_count: *min_count,
            },
            Rule::Ratio {
                categories,
                measure,
                denominator,
                per,
                min,
                catchment_m,
            } => Prepared::Ratio {
                categories,
                shares: alloc
                    .computed(categories, *measure, *denominator, *catchment_m)
                    .unwrap_or_else(|| unreachable!("ensure computed every ratio's shares")),
                denominator: *denominator,
                per: *per,
                min: *min,
            },
        })
        .collect();
    let nr = reqs.len();
    let mut checks = Vec::new();
    (0..input.communities.len() * nr)
        .into_par_iter()
        .map(|k| {
            let i = k / nr;
            if input.placed[i] {
                prepared[k % nr].check(input, plan, i)
            } else {
                Check::not_placed()
            }
        })
        .collect_into_vec(&mut checks);
    (reqs, checks)
}

/// How a community fares against all standards.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CommunityStatus {
    /// Whether it is on the network.
    pub placed: bool,
    /// Required requirements.
    pub required: u32,
    /// Of which met.
    pub met: u32,
    /// Of which not computable.
    pub not_computable: u32,
    /// Required requirements not met.
    pub short_required: u32,
    /// Recommended requirements not met.
    pub short_recommended: u32,
    /// Population × required shortcomings ("person-shortcomings"), the ranking key.
    pub score: f64,
}

impl CommunityStatus {
    /// Share of computable required requirements met, 0–1 (`None` if none is computable).
    pub fn share_met(&self) -> Option<f64> {
        let d = self.required - self.not_computable;
        (self.placed && d > 0).then(|| self.met as f64 / d as f64)
    }
}

pub(crate) fn statuses(
    standards: &[Standard],
    reqs: &[ReqRef],
    checks: &[Check],
    input: &Input,
) -> Vec<CommunityStatus> {
    input
        .communities
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut s = CommunityStatus {
                placed: input.placed[i],
                required: 0,
                met: 0,
                not_computable: 0,
                short_required: 0,
                short_recommended: 0,
                score: 0.0,
            };
            for (ri, rr) in reqs.iter().enumerate() {
                let req = &standards[rr.standard].requirements[rr.requirement];
                let st = checks[i * reqs.len() + ri].state;
                match req.obligation {
                    Obligation::Required => {
                        s.required += 1;
                        match st {
                            CheckState::Met => s.met += 1,
                            // Off the network: nothing is within reach, so it is short.
                            CheckState::Short | CheckState::NotPlaced => s.short_required += 1,
                            CheckState::NotComputable => s.not_computable += 1,
                        }
                    }
                    Obligation::Recommended => {
                        if matches!(st, CheckState::Short | CheckState::NotPlaced) {
                            s.short_recommended += 1;
                        }
                    }
                }
            }
            s.score = c.population * s.short_required as f64;
            s
        })
        .collect()
}
