//! What one access computation must produce so that every requirement and indicator can be
//! evaluated from it: the distinct distances become circles, the ratio rules' categories get
//! community–facility pairs within the largest catchment.

use lc_access::AccessConfig;
use lc_model::Category;
use lc_standards::{IndicatorKind, Plan, Rule, Standard};

/// The access configuration serving a set of standards and plans.
///
/// Categories are numbered by [`Category::index`] (the dense index is the vocabulary index), so
/// the caller builds `lc_access::Targets` with `category = facility.category.index()` and
/// `n_categories = Category::count()`.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessPlan {
    /// Every distinct distance any requirement or indicator asks about, ascending.
    pub circles: Vec<f64>,
    /// The largest catchment of any ratio (0 when there is none).
    pub catchment: f64,
    /// Per category: pairs are needed (a ratio uses it).
    pub pair_categories: Vec<bool>,
    /// Nearest facilities are listed up to this distance.
    pub max_distance: f64,
}

impl AccessPlan {
    /// Collects what the standards and plans need; nearest facilities are reported up to
    /// `report_up_to` metres or the largest distance asked, whichever is larger.
    pub fn new(standards: &[Standard], plans: &[Plan], report_up_to: f64) -> AccessPlan {
        let mut circles: Vec<f64> = Vec::new();
        let mut catchment: f64 = 0.0;
        let mut pairs = vec![false; Category::count()];
        let mut ratio = |cats: &[Category], c: f64, catchment: &mut f64| {
            *catchment = catchment.max(c);
            for cat in cats {
                pairs[cat.index()] = true;
            }
        };
        for s in standards {
            for r in &s.requirements {
                match &r.rule {
                    Rule::Within { distance_m, .. } => circles.push(*distance_m),
                    Rule::Ratio {
                        categories,
                        catchment_m,
                        ..
                    } => ratio(categories, *catchment_m, &mut catchment),
                }
            }
        }
        for p in plans {
            for ind in &p.indicators {
                match &ind.kind {
                    IndicatorKind::Coverage { needs, .. } => {
                        circles.extend(needs.iter().map(|n| n.distance_m))
                    }
                    IndicatorKind::RegionCoverage { distance_m, .. }
                    | IndicatorKind::ElderlyCoverage { distance_m, .. } => {
                        circles.push(*distance_m)
                    }
                    IndicatorKind::Ratio {
                        categories,
                        catchment_m,
                        ..
                    }
                    | IndicatorKind::Total {
                        categories,
                        catchment_m,
                        ..
                    } => ratio(categories, *catchment_m, &mut catchment),
                    IndicatorKind::StandardCoverage { .. } | IndicatorKind::PlatformRate => {}
                }
            }
        }
        circles.sort_by(|a, b| a.total_cmp(b));
        circles.dedup();
        let largest = circles.last().copied().unwrap_or(0.0);
        AccessPlan {
            max_distance: report_up_to.max(largest).max(catchment),
            circles,
            catchment,
            pair_categories: pairs,
        }
    }

    /// The engine's configuration: nearest one per category, the circles, the pairs.
    pub fn config(&self) -> AccessConfig {
        AccessConfig {
            k: 1,
            max_distance: self.max_distance,
            circles: self.circles.clone(),
            catchment: (self.catchment > 0.0).then_some(self.catchment),
            pair_categories: self.pair_categories.clone(),
        }
    }

    /// The index of a circle radius (every distance asked is a circle).
    pub(crate) fn circle(&self, d: f64) -> usize {
        self.circles
            .iter()
            .position(|&c| c == d)
            .expect("every distance asked about is a circle")
    }
}
