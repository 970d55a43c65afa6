//! The assessment's outputs: `shortcomings.csv`, `indicators.csv`, `indicator_definitions.csv`,
//! `unavailable.csv`,
//! `communities.geojson`, `recommended_sites.csv` (when candidate sites were given),
//! `summary.xlsx` and a self-contained `index.html`.
//!
//! Every writer renders to bytes; the caller writes them (atomically) where it wants. The
//! four that grow with the area (shortcomings, indicators, facilities, the communities layer)
//! stream to any `std::io::Write` (`write_*`; the CSV ones also render to a string), so a
//! province's gigabytes are never held in memory. Column names are public interface
//! (documented in `docs/standards.md`).
//!
//! **Architecture invariant:** no file I/O, no network: the HTML report carries its styles,
//! script and drawings inline, so it opens offline from a file.

mod csv_out;
mod geojson;
mod html;
mod recommend;
mod xlsx;

pub mod release;

pub use csv_out::{
    definitions_csv, facilities_csv, indicators_csv, recommended_csv, shortcomings_csv,
    unavailable_csv, write_facilities_csv, write_indicators_csv, write_shortcomings_csv,
    DEFINITION_COLUMNS, INDICATOR_COLUMNS,
};
pub use geojson::write_communities_geojson;
pub use html::html_report;
pub use recommend::{
    recommended_rows, Recommendation, RecommendedSite, RequirementTexts, RECOMMENDED_COLUMNS,
    RECOMMENDED_TEXT_COLUMNS,
};
pub use xlsx::{summary_xlsx, XLSX_INDICATOR_ROWS, XLSX_SHORTCOMING_ROWS};

use lc_assess::{Assessment, CheckState, Divisions, IndicatorRow};
use lc_model::{Community, LonLat};
use lc_standards::{Plan, Requirement, Rule, Standard};

/// A problem while rendering a report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The spreadsheet library refused something.
    #[error("无法生成 Excel 工作簿 cannot build the Excel workbook: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
}

/// Everything the writers need.
pub struct Report<'a> {
    /// Title, Chinese and English (e.g. "北京市海淀区学院路街道 Xueyuanlu street, Haidian").
    pub title: String,
    /// The communities assessed.
    pub communities: &'a [Community],
    /// The facilities counted (indices as in the assessment).
    pub facilities: &'a lc_model::FacilityList,
    /// The standards.
    pub standards: &'a [Standard],
    /// The plans.
    pub plans: &'a [Plan],
    /// The results.
    pub assessment: &'a Assessment,
    /// Division names.
    pub divisions: &'a Divisions,
    /// Street segments to draw under the map (empty: none).
    pub streets: Vec<[LonLat; 2]>,
    /// Facts for the summary (label, value): inputs, counts, timings.
    pub facts: Vec<(String, String)>,
    /// Recommended sites for the requirements found short (empty: no candidates given).
    pub recommendations: Vec<Recommendation>,
}

impl Report<'_> {
    /// The requirement behind an index of `Assessment::requirements`.
    pub fn requirement(&self, r: usize) -> (&Standard, &Requirement) {
        let rr = self.assessment.requirements[r];
        let s = &self.standards[rr.standard];
        (s, &s.requirements[rr.requirement])
    }

    /// The name of a community's division (full path), or "".
    pub fn division_name(&self, code: Option<&str>) -> String {
        code.and_then(|c| self.divisions.full_name(c))
            .unwrap_or_default()
    }

    /// Rank (1 = most person-shortcomings) of every community.
    pub fn ranks(&self) -> Vec<usize> {
        let mut rank = vec![0; self.communities.len()];
        for (r, &c) in self.assessment.ranking.iter().enumerate() {
            rank[c] = r + 1;
        }
        rank
    }

    /// Rows of one plan's indicators at the whole-area level, in file order.
    pub fn headline(&self) -> Vec<&IndicatorRow> {
        self.assessment
            .indicators
            .iter()
            .filter(|r| r.level == lc_standards::RegionLevel::All)
            .collect()
    }

    /// Total population of the communities that fall short of at least one required
    /// requirement, and the number of such communities.
    pub fn affected(&self) -> (f64, usize) {
        let mut pop = 0.0;
        let mut n = 0;
        for (i, s) in self.assessment.status.iter().enumerate() {
            if s.short_required > 0 {
                pop += self.communities[i].population;
                n += 1;
            }
        }
        (pop, n)
    }

    /// The required requirements a community misses, in file order.
    pub fn missing(&self, c: usize) -> Vec<usize> {
        (0..self.assessment.requirements.len())
            .filter(|&r| {
                self.assessment.check(c, r).state == CheckState::Short
                    && self.requirement(r).1.obligation == lc_standards::Obligation::Required
            })
            .collect()
    }
}

/// "≥ 1 within 300 m" / "≥ 30 floor_area_m2 per 100 households (catchment 300 m)".
pub fn required_text(r: &Requirement) -> String {
    match &r.rule {
        Rule::Within {
            distance_m,
            min_count,
            ..
        } => format!("≥ {min_count} within {} m", fmt_num(*distance_m)),
        Rule::Ratio {
            measure,
            denominator,
            per,
            min,
            catchment_m,
            ..
        } => format!(
            "≥ {} {} per {} {} (catchment {} m)",
            fmt_num(*min),
            measure.key(),
            fmt_num(*per),
            denominator.key(),
            fmt_num(*catchment_m)
        ),
    }
}

/// The key of an indicator kind, as in target files.
pub fn kind_key(k: &lc_standards::IndicatorKind) -> &'static str {
    use lc_standards::IndicatorKind::*;
    match k {
        Coverage { .. } => "coverage",
        StandardCoverage { .. } => "standard_coverage",
        Ratio { .. } => "ratio",
        Total { .. } => "total",
        RegionCoverage { .. } => "region_coverage",
        PlatformRate => "platform_rate",
        ElderlyCoverage { .. } => "elderly_coverage",
    }
}

/// The comparison symbol and the target of an indicator as written in the outputs; both empty
/// for a monitoring indicator (no target).
pub fn target_cells(ind: &lc_standards::Indicator) -> (&'static str, String) {
    match ind.threshold {
        Some(t) => (ind.comparison.symbol(), fmt_num(t)),
        None => ("", String::new()),
    }
}

/// The target in words for the report: `>= 100 %`, or `监测指标，无目标 monitoring, no target`.
pub fn target_text(ind: &lc_standards::Indicator) -> String {
    match ind.threshold {
        Some(t) => format!("{} {} {}", ind.comparison.symbol(), fmt_num(t), ind.unit),
        None => format!("监测指标，无目标 monitoring, no target ({})", ind.unit),
    }
}

/// Categories of a rule as `a|b`.
pub fn categories_text(r: &Requirement) -> String {
    let cats = match &r.rule {
        Rule::Within { categories, .. } | Rule::Ratio { categories, .. } => categories,
    };
    cats.iter().map(|c| c.key()).collect::<Vec<_>>().join("|")
}

/// A number in its shortest form, at most 4 decimals (`300`, `4.5`, `26.3158`).
pub fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        return format!("{}", x as i64);
    }
    let s = format!("{x:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}
