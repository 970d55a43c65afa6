//! What a standard and a plan's targets are, once parsed and checked.

use lc_model::{Category, DivisionLevel};
use std::fmt;

/// How sure we are of an item (the labels of `../shared/DOMAIN.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Verified in the cited public source.
    V,
    /// Verified by computation.
    C,
    /// Read in a seed document (quote verbatim).
    S,
    /// Partly verified (secondary source, restatement).
    P,
    /// Unverified.
    U,
}

impl Status {
    /// The one-letter label.
    pub fn label(self) -> &'static str {
        match self {
            Status::V => "V",
            Status::C => "C",
            Status::S => "S",
            Status::P => "P",
            Status::U => "U",
        }
    }

    /// Verified (V, C or S): usable as a fact, not only as a working assumption.
    pub fn verified(self) -> bool {
        matches!(self, Status::V | Status::C | Status::S)
    }

    pub(crate) fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "V" => Status::V,
            "C" => Status::C,
            "S" => Status::S,
            "P" => Status::P,
            "U" => Status::U,
            _ => return None,
        })
    }
}

/// Whether a requirement must be met or is a recommendation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Obligation {
    /// Counted in "requirements met"; a miss is a shortcoming.
    Required,
    /// Reported when missing, but not counted against the community.
    Recommended,
}

impl Obligation {
    /// `required` or `recommended`.
    pub fn key(self) -> &'static str {
        match self {
            Obligation::Required => "required",
            Obligation::Recommended => "recommended",
        }
    }
}

/// What a facility contributes to a ratio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Measure {
    /// `capacity` (slots, beds, places...).
    Capacity,
    /// `floor_area_m2` (for sports grounds: the ground area).
    FloorArea,
    /// Each facility counts 1.
    Count,
}

impl Measure {
    /// The key used in files.
    pub fn key(self) -> &'static str {
        match self {
            Measure::Capacity => "capacity",
            Measure::FloorArea => "floor_area_m2",
            Measure::Count => "count",
        }
    }
}

/// The people a ratio is set against (a column of `communities.csv`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Denominator {
    /// `population`.
    Population,
    /// `households`.
    Households,
    /// `elderly`.
    Elderly,
    /// `children_0_3`.
    Children0To3,
}

impl Denominator {
    /// The column name.
    pub fn key(self) -> &'static str {
        match self {
            Denominator::Population => "population",
            Denominator::Households => "households",
            Denominator::Elderly => "elderly",
            Denominator::Children0To3 => "children_0_3",
        }
    }
}

/// One rule a community must meet.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// At least `min_count` facilities of any of `categories` within `distance_m` on foot.
    Within {
        /// Any of these categories counts.
        categories: Vec<Category>,
        /// Walking distance, metres (≤ is within).
        distance_m: f64,
        /// How many are needed (≥ 1).
        min_count: u32,
    },
    /// The community's share of the measure of facilities within `catchment_m`, per `per` of
    /// its denominator, is at least `min`. Each facility's measure is shared among the
    /// communities within its catchment in proportion to their denominator (2SFCA).
    Ratio {
        /// Facilities of these categories contribute.
        categories: Vec<Category>,
        /// What they contribute.
        measure: Measure,
        /// Against whom.
        denominator: Denominator,
        /// Per how many of the denominator (1, 100, 1000).
        per: f64,
        /// The minimum.
        min: f64,
        /// Catchment, metres of walking.
        catchment_m: f64,
    },
}

/// A living-circle level (5/10/15-minute) or a commercial tier.
#[derive(Debug, Clone, PartialEq)]
pub struct Level {
    /// Key referred to by requirements.
    pub id: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Walking distance of the level, metres.
    pub distance_m: f64,
    /// How sure the distance is.
    pub status: Status,
    /// Where it comes from.
    pub source: String,
}

/// One requirement of a standard.
#[derive(Debug, Clone, PartialEq)]
pub struct Requirement {
    /// Unique within the standard.
    pub id: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// The level it belongs to, if any.
    pub level: Option<String>,
    /// Required or recommended.
    pub obligation: Obligation,
    /// How sure the requirement is.
    pub status: Status,
    /// Where it comes from.
    pub source: String,
    /// The rule.
    pub rule: Rule,
    /// Line in the file where it is defined (for messages).
    pub line: usize,
}

/// A standard: levels and requirements, from one file.
#[derive(Debug, Clone, PartialEq)]
pub struct Standard {
    /// The file it was read from, as given (for messages).
    pub file: String,
    /// Short id (e.g. `GB50180-2018`).
    pub id: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Where it comes from.
    pub source: String,
    /// Levels or tiers.
    pub levels: Vec<Level>,
    /// Requirements, in file order.
    pub requirements: Vec<Requirement>,
}

/// The resolution at which an indicator or requirement value is compared with its threshold:
/// 1e-9 of the threshold (of 1 for thresholds below 1). Floating-point sums of shared
/// capacities land a few ulps off the exact value; no target is stated to nine digits.
pub const VALUE_TOLERANCE: f64 = 1e-9;

/// How a value is compared with its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Comparison {
    /// value ≥ threshold ("达到", "不少于", "以上").
    AtLeast,
    /// value > threshold ("大于", "more than").
    MoreThan,
    /// value ≤ threshold.
    AtMost,
    /// value < threshold.
    LessThan,
}

impl Comparison {
    /// `>=`, `>`, `<=` or `<`.
    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::AtLeast => ">=",
            Comparison::MoreThan => ">",
            Comparison::AtMost => "<=",
            Comparison::LessThan => "<",
        }
    }

    /// Whether `value` meets `threshold`: the one rule behind every "met" of the standards'
    /// ratios and the plans' targets. Values are compared at a resolution of
    /// [`VALUE_TOLERANCE`] relative to the threshold (absolute below 1), so that a capacity
    /// shared among communities that sums to 4.499999999999999 per 1000 meets 4.5, and a value
    /// must exceed a "more than" threshold by more than that resolution. NaN never meets.
    pub fn met(self, value: f64, threshold: f64) -> bool {
        let tol = VALUE_TOLERANCE * threshold.abs().max(1.0);
        match self {
            Comparison::AtLeast => value >= threshold - tol,
            Comparison::MoreThan => value > threshold + tol,
            Comparison::AtMost => value <= threshold + tol,
            Comparison::LessThan => value < threshold - tol,
        }
    }

    /// How far `value` is from `threshold`, positive when short, 0 when met.
    pub fn gap(self, value: f64, threshold: f64) -> f64 {
        if self.met(value, threshold) {
            return 0.0;
        }
        match self {
            Comparison::AtLeast | Comparison::MoreThan => threshold - value,
            Comparison::AtMost | Comparison::LessThan => value - threshold,
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Comparison> {
        Some(match s {
            ">=" => Comparison::AtLeast,
            ">" => Comparison::MoreThan,
            "<=" => Comparison::AtMost,
            "<" => Comparison::LessThan,
            _ => return None,
        })
    }
}

/// The levels of the region hierarchy, by the length of the division code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RegionLevel {
    /// The whole study area (every community, with or without a code).
    All,
    /// Province, 2 digits.
    Province,
    /// City (prefecture), 4 digits.
    City,
    /// District or county, 6 digits.
    District,
    /// Street or township, 9 digits.
    Street,
    /// Each community by itself (its `id`, not a code prefix): only for indicators that are
    /// figures of communities (coverage, visit rate, elderly coverage), and only when listed in
    /// the indicator's `levels` (it is not in [`RegionLevel::ALL`]).
    Community,
}

impl RegionLevel {
    /// Every level, widest first.
    pub const ALL: [RegionLevel; 5] = [
        RegionLevel::All,
        RegionLevel::Province,
        RegionLevel::City,
        RegionLevel::District,
        RegionLevel::Street,
    ];

    /// The division level whose codes name regions of this level (`None` for the whole
    /// area; a committee code for [`RegionLevel::Community`]).
    pub fn division_level(self) -> Option<DivisionLevel> {
        match self {
            RegionLevel::All => None,
            RegionLevel::Province => Some(DivisionLevel::Province),
            RegionLevel::City => Some(DivisionLevel::Prefecture),
            RegionLevel::District => Some(DivisionLevel::County),
            RegionLevel::Street => Some(DivisionLevel::Street),
            RegionLevel::Community => Some(DivisionLevel::Committee),
        }
    }

    /// Length of the division code prefix (0 for the whole area).
    pub fn code_len(self) -> usize {
        self.division_level().map_or(0, DivisionLevel::digits)
    }

    /// The key used in files and outputs.
    pub fn key(self) -> &'static str {
        match self {
            RegionLevel::All => "all",
            RegionLevel::Province => "province",
            RegionLevel::City => "city",
            RegionLevel::District => "district",
            RegionLevel::Street => "street",
            RegionLevel::Community => "community",
        }
    }

    /// Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            RegionLevel::All => "全部",
            RegionLevel::Province => "省",
            RegionLevel::City => "市",
            RegionLevel::District => "区县",
            RegionLevel::Street => "街道乡镇",
            RegionLevel::Community => "社区",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<RegionLevel> {
        RegionLevel::ALL
            .into_iter()
            .chain([RegionLevel::Community])
            .find(|l| l.key() == s)
    }
}

/// Which communities an indicator counts (by the 12-digit committee code, DOMAIN.md §7.4:
/// 001–199 居委会 urban, 200–399 村委会 rural; a heuristic).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommunityFilter {
    /// Every community.
    All,
    /// Communities whose 12-digit code ends in 001–199 (居委会).
    Urban,
    /// Communities whose 12-digit code ends in 200–399 (村委会).
    Rural,
}

impl CommunityFilter {
    /// The key used in files.
    pub fn key(self) -> &'static str {
        match self {
            CommunityFilter::All => "all",
            CommunityFilter::Urban => "urban",
            CommunityFilter::Rural => "rural",
        }
    }

    /// Chinese name, for the report.
    pub fn zh(self) -> &'static str {
        match self {
            CommunityFilter::All => "全部社区",
            CommunityFilter::Urban => "城市社区（居委会）",
            CommunityFilter::Rural => "农村社区（村委会）",
        }
    }

    /// Whether a community with this division code is counted. A 12-digit committee code
    /// decides by its last three digits; a community known only by a 9-digit code of a 街道
    /// (digits 7–9 001–099) is urban, since streets hold only 居委会; a town or township code
    /// (镇/乡, which hold both) or a shorter code decides nothing.
    pub fn admits(self, code: Option<&str>) -> bool {
        match self {
            CommunityFilter::All => true,
            CommunityFilter::Urban | CommunityFilter::Rural => {
                let Some(code) = code else { return false };
                if !code.bytes().all(|b| b.is_ascii_digit()) {
                    return false;
                }
                match (code.len(), self) {
                    (12, _) => {
                        let v: u32 = code[9..].parse().unwrap_or(0);
                        match self {
                            CommunityFilter::Urban => (1..=199).contains(&v),
                            _ => (200..=399).contains(&v),
                        }
                    }
                    (9, CommunityFilter::Urban) => UnitFilter::Streets.admits(code),
                    _ => false,
                }
            }
        }
    }
}

/// Which sub-regions a `region_coverage` target counts, by the division code (GB/T 2260 and the
/// NBS statistical division code): for districts and counties the code's digits 5–6 (01–20
/// 市辖区 city districts, 21–80 县 counties, 旗 banners and autonomous counties, 81–99 县级市
/// county-level cities); for streets and townships its digits 7–9 (001–099 街道 streets,
/// 100–199 镇 towns, 200–399 乡 townships).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnitFilter {
    /// Every sub-region of the level.
    All,
    /// 街道 only (digits 7–9 001–099): "urban streets" exclude towns and townships.
    Streets,
    /// 镇 and 乡 only (digits 7–9 100–399).
    Towns,
    /// County-level units that are not city districts (digits 5–6 21–99: 县, 旗, 自治县, 县级市).
    Counties,
    /// 市辖区 city districts only (digits 5–6 01–20).
    Districts,
}

impl UnitFilter {
    /// Every filter, for messages.
    pub const ALL: [UnitFilter; 5] = [
        UnitFilter::All,
        UnitFilter::Streets,
        UnitFilter::Towns,
        UnitFilter::Counties,
        UnitFilter::Districts,
    ];

    /// The key used in files.
    pub fn key(self) -> &'static str {
        match self {
            UnitFilter::All => "all",
            UnitFilter::Streets => "streets",
            UnitFilter::Towns => "towns",
            UnitFilter::Counties => "counties",
            UnitFilter::Districts => "districts",
        }
    }

    /// Chinese name, for the report.
    pub fn zh(self) -> &'static str {
        match self {
            UnitFilter::All => "全部",
            UnitFilter::Streets => "街道",
            UnitFilter::Towns => "乡镇",
            UnitFilter::Counties => "县（不含市辖区）",
            UnitFilter::Districts => "市辖区",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<UnitFilter> {
        UnitFilter::ALL.into_iter().find(|u| u.key() == s)
    }

    /// The sub-region level the filter speaks of (`None` for [`UnitFilter::All`]).
    pub fn level(self) -> Option<RegionLevel> {
        match self {
            UnitFilter::All => None,
            UnitFilter::Streets | UnitFilter::Towns => Some(RegionLevel::Street),
            UnitFilter::Counties | UnitFilter::Districts => Some(RegionLevel::District),
        }
    }

    /// Whether the sub-region with this code (at least as long as the filter's level) counts.
    pub fn admits(self, code: &str) -> bool {
        let digits = |a: usize, b: usize| -> Option<u32> {
            let part = code.get(a..b)?;
            if part.bytes().all(|c| c.is_ascii_digit()) {
                part.parse().ok()
            } else {
                None
            }
        };
        match self {
            UnitFilter::All => true,
            UnitFilter::Streets => digits(6, 9).is_some_and(|v| (1..=99).contains(&v)),
            UnitFilter::Towns => digits(6, 9).is_some_and(|v| (100..=399).contains(&v)),
            UnitFilter::Counties => digits(4, 6).is_some_and(|v| (21..=99).contains(&v)),
            UnitFilter::Districts => digits(4, 6).is_some_and(|v| (1..=20).contains(&v)),
        }
    }
}

/// What a target counts, read from its sentence and written next to its quote: which
/// communities (urban 居委会, rural 村委会 or all), for `region_coverage` which sub-regions, and
/// why.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetScope {
    /// Which communities count (for every kind of indicator).
    pub communities: CommunityFilter,
    /// Which sub-regions count (`region_coverage` only; [`UnitFilter::All`] otherwise).
    pub units: UnitFilter,
    /// Why: the words of the sentence that decide it, or the choice made where it is open.
    pub note: String,
}

/// One facility need of a coverage indicator: any of `categories` within `distance_m`.
#[derive(Debug, Clone, PartialEq)]
pub struct Need {
    /// Any of these categories.
    pub categories: Vec<Category>,
    /// Walking distance, metres.
    pub distance_m: f64,
}

/// How an indicator is computed for a region.
#[derive(Debug, Clone, PartialEq)]
pub enum IndicatorKind {
    /// Percentage of the region's communities (within the target's scope) that meet every need.
    Coverage {
        /// All of these must be met.
        needs: Vec<Need>,
    },
    /// Percentage of the region's (filtered) communities that meet every required requirement
    /// of a standard (optionally only the requirements of some levels).
    StandardCoverage {
        /// The standard's id.
        standard: String,
        /// Only requirements of these levels (empty: all).
        levels: Vec<String>,
    },
    /// Σ allocated measure ÷ Σ denominator × per (facilities shared among the communities
    /// within their catchment in proportion to the denominator).
    Ratio {
        /// Contributing categories.
        categories: Vec<Category>,
        /// What they contribute.
        measure: Measure,
        /// Against whom.
        denominator: Denominator,
        /// Per how many.
        per: f64,
        /// Catchment, metres.
        catchment_m: f64,
    },
    /// Σ allocated measure in the region.
    Total {
        /// Contributing categories.
        categories: Vec<Category>,
        /// What they contribute.
        measure: Measure,
        /// Catchment, metres.
        catchment_m: f64,
    },
    /// Percentage of sub-regions (streets, districts...) of the region in which at least one
    /// community reaches a facility of `categories` within `distance_m`; optionally only
    /// sub-regions with at least `min_population` residents.
    RegionCoverage {
        /// The sub-regions counted.
        of: RegionLevel,
        /// Any of these categories.
        categories: Vec<Category>,
        /// Walking distance, metres.
        distance_m: f64,
        /// Only sub-regions with this many residents (communities' population summed).
        min_population: Option<f64>,
    },
    /// A rate the service platform computes from its records and exports as a file (today
    /// `GET /api/care/visit-rate.csv`, GS21): the value of a region is the file's row of the
    /// indicator's id for that region (`rate` × 100, in %); the whole area sums the file's
    /// community rows of its communities. Without the file it is not computable, with the reason.
    PlatformRate,
    /// Percentage of the region's elderly residents (the `elderly` column) living in communities
    /// within `distance_m` on foot of a facility of any of `categories`: Σ elderly of the
    /// communities that reach one ÷ Σ elderly × 100.
    ElderlyCoverage {
        /// Any of these categories.
        categories: Vec<Category>,
        /// Walking distance, metres.
        distance_m: f64,
    },
}

/// A 2025 target computed from the data.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    /// ID as in DOMAIN.md §5 (`GS04`).
    pub id: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Unit, for display.
    pub unit: String,
    /// Comparison with the threshold (for a monitoring indicator: which direction is better).
    pub comparison: Comparison,
    /// The target value; `None` for a monitoring indicator (no seed states a number for it:
    /// reported, never met or short).
    pub threshold: Option<f64>,
    /// The plan's sentence, verbatim.
    pub quote: String,
    /// The definition this project uses (where the official one is unknown).
    pub definition: String,
    /// How sure the target is.
    pub status: Status,
    /// Region levels it is reported at.
    pub levels: Vec<RegionLevel>,
    /// What the target counts, read from its sentence.
    pub scope: TargetScope,
    /// How it is computed.
    pub kind: IndicatorKind,
    /// Line in the file.
    pub line: usize,
}

/// A target that needs data the system does not hold.
#[derive(Debug, Clone, PartialEq)]
pub struct Unavailable {
    /// ID as in DOMAIN.md §5.
    pub id: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// The target as written (e.g. "3.2 per 1000 people").
    pub target: String,
    /// The plan's sentence, verbatim.
    pub quote: String,
    /// The input it would need.
    pub needs: String,
}

/// One plan's 2025 targets, from one file.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The file it was read from, as given (for messages).
    pub file: String,
    /// Short id (`CN`, `GS`, `HE`, `HL`, `SX`).
    pub id: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Division code prefix of the plan's region ("" for national).
    pub jurisdiction: String,
    /// The target year.
    pub year: u32,
    /// The document it comes from.
    pub document: String,
    /// Computable targets.
    pub indicators: Vec<Indicator>,
    /// Targets that need other data.
    pub unavailable: Vec<Unavailable>,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}
