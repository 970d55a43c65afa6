//! Recommended sites as data: what `lc-pipeline`'s recommendation rules produce and `lc-report`
//! renders (one type for both, here where both already depend).

use lc_model::{Category, LonLat};

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
}
