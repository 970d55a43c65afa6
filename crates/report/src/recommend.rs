//! Recommended sites: for the requirements communities fall short of, the candidate sites that
//! bring the most people within the required distance (computed by the caller with `lc-siting`;
//! this module only renders them).

use crate::{fmt_num, Report};
use lc_standards::{Requirement, Standard};

pub use lc_assess::{Recommendation, RecommendedSite};

/// What the report says of a recommendation in terms of the standards it answers.
pub trait RequirementTexts {
    /// Standard ids and requirement ids joined, for tables.
    fn requirement_ids(&self, r: &Report) -> (String, String);
    /// Requirement names, Chinese and English, joined.
    fn requirement_names(&self, r: &Report) -> (String, String);
}

/// One text per requirement `rec` answers (`f`), repeated texts once, in order.
fn distinct(
    rec: &Recommendation,
    r: &Report,
    f: impl Fn(&Standard, &Requirement) -> String,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for &i in &rec.requirements {
        let (s, q) = r.requirement(i);
        let t = f(s, q);
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

impl RequirementTexts for Recommendation {
    fn requirement_ids(&self, r: &Report) -> (String, String) {
        (
            distinct(self, r, |s, _| s.id.clone()).join("; "),
            distinct(self, r, |_, q| q.id.clone()).join("; "),
        )
    }

    fn requirement_names(&self, r: &Report) -> (String, String) {
        (
            distinct(self, r, |_, q| q.name_zh.clone()).join("；"),
            distinct(self, r, |_, q| q.name_en.clone()).join("; "),
        )
    }
}

/// Columns of `recommended_sites.csv` and of the workbook's sheet of that name.
pub const RECOMMENDED_COLUMNS: [&str; 20] = [
    "standard",
    "requirement_id",
    "requirement_zh",
    "requirement_en",
    "category",
    "category_zh",
    "radius_m",
    "site_rank",
    "candidate_id",
    "candidate_name",
    "lon",
    "lat",
    "newly_covered_population",
    "communities_newly_covered",
    "short_population_before",
    "short_population_after",
    "covered_population_before",
    "covered_population_after",
    "bound_covered_population",
    "gap",
];

/// The columns of [`RECOMMENDED_COLUMNS`] that hold text even when it looks like a number (ids,
/// names): the workbook writes the others as numbers.
pub const RECOMMENDED_TEXT_COLUMNS: [&str; 8] = [
    "standard",
    "requirement_id",
    "requirement_zh",
    "requirement_en",
    "category",
    "category_zh",
    "candidate_id",
    "candidate_name",
];

/// The rows of `recommended_sites.csv`, one per proposed site, as text cells (numbers
/// unformatted, so that a spreadsheet reads them as numbers).
pub fn recommended_rows(r: &Report) -> Vec<[String; 20]> {
    let mut rows = Vec::new();
    for rec in &r.recommendations {
        let (st, req) = rec.requirement_ids(r);
        let (zh, en) = rec.requirement_names(r);
        for (k, s) in rec.sites.iter().enumerate() {
            rows.push([
                st.clone(),
                req.clone(),
                zh.clone(),
                en.clone(),
                rec.category.key().to_string(),
                rec.category.info().zh.to_string(),
                fmt_num(rec.radius_m),
                (k + 1).to_string(),
                s.id.clone(),
                s.name.clone(),
                format!("{:.6}", s.pos.lon),
                format!("{:.6}", s.pos.lat),
                fmt_num(s.newly_covered),
                s.communities.len().to_string(),
                fmt_num(rec.short_before()),
                fmt_num(rec.short_after()),
                fmt_num(rec.covered_before),
                fmt_num(rec.covered_after),
                fmt_num(rec.bound),
                format!("{:.6}", rec.gap),
            ]);
        }
    }
    rows
}
