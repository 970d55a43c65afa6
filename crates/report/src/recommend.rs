//! Recommended sites: for the requirements communities fall short of, the candidate sites that
//! bring the most people within the required distance (computed by the caller with `lc-siting`;
//! this module only renders them).

use crate::{fmt_num, Report};
use lc_model::{Category, LonLat};
use lc_standards::{Requirement, Standard};

/// The new sites proposed for one requirement, or for several that ask for the same thing (the
/// same categories within the same distance).
#[derive(Debug, Clone, PartialEq)]
pub struct Recommendation {
    /// Indices into `Assessment::requirements` answered by these sites.
    pub requirements: Vec<usize>,
    /// The category the sites are for (the requirement's first).
    pub category: Category,
    /// The requirement's walking distance, metres (covered: distance ≤ radius).
    pub radius_m: f64,
    /// Population of the communities on the network.
    pub population: f64,
    /// Of which within the radius of an existing facility.
    pub covered_before: f64,
    /// Of which within the radius once the sites open.
    pub covered_after: f64,
    /// Proven upper bound on `covered_after` for this many new sites.
    pub bound: f64,
    /// Relative gap between `covered_after` and `bound` (0: proven optimal).
    pub gap: f64,
    /// Short population that no candidate can bring within the radius.
    pub out_of_reach: f64,
    /// Chosen sites, most newly covered first.
    pub sites: Vec<RecommendedSite>,
}

/// One proposed site.
#[derive(Debug, Clone, PartialEq)]
pub struct RecommendedSite {
    /// Candidate id (from the candidates file).
    pub id: String,
    /// Its name ("" when the file has none).
    pub name: String,
    /// Where it is.
    pub pos: LonLat,
    /// Population newly within the radius, counted at its nearest new site.
    pub newly_covered: f64,
    /// The communities it newly brings within the radius (indices).
    pub communities: Vec<usize>,
}

impl Recommendation {
    /// Population short of the requirement before (on the network).
    pub fn short_before(&self) -> f64 {
        (self.population - self.covered_before).max(0.0)
    }

    /// Population still short once the sites open.
    pub fn short_after(&self) -> f64 {
        (self.population - self.covered_after).max(0.0)
    }

    /// "id name" of a site, for tables.
    pub fn site_label(s: &RecommendedSite) -> String {
        if s.name.is_empty() {
            s.id.clone()
        } else {
            format!("{} {}", s.id, s.name)
        }
    }

    /// "最优 optimal" or "距最优 ≤ x% within x% of optimal".
    pub fn quality_text(&self) -> String {
        if self.gap <= 1e-9 {
            "最优 proven optimal".to_string()
        } else {
            let pct = self.gap * 100.0;
            format!("距最优 ≤ {pct:.2}% within {pct:.2}% of optimal")
        }
    }

    /// One text per requirement answered (`f`), repeated texts once, in order.
    fn distinct(&self, r: &Report, f: impl Fn(&Standard, &Requirement) -> String) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for &i in &self.requirements {
            let (s, q) = r.requirement(i);
            let t = f(s, q);
            if !out.contains(&t) {
                out.push(t);
            }
        }
        out
    }

    /// Standard ids and requirement ids joined, for tables.
    pub fn requirement_ids(&self, r: &Report) -> (String, String) {
        (
            self.distinct(r, |s, _| s.id.clone()).join("; "),
            self.distinct(r, |_, q| q.id.clone()).join("; "),
        )
    }

    /// Requirement names, Chinese and English, joined.
    pub fn requirement_names(&self, r: &Report) -> (String, String) {
        (
            self.distinct(r, |_, q| q.name_zh.clone()).join("；"),
            self.distinct(r, |_, q| q.name_en.clone()).join("; "),
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
