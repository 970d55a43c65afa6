//! 统计监测 The platform's own monthly figures (issue 16): the catalogue of indicators with
//! their definitions, and the roll-up of facts from communities and outlets to streets,
//! districts, cities and provinces by division-code prefix. No I/O: the server reads the month's
//! rows, turns each into [`Fact`]s and stores what [`roll_up`] returns.
//!
//! Every definition is written in full in `docs/monitoring.md` (numerator, denominator, period,
//! which rows count), Chinese and English; [`INDICATORS`] holds the same names and a one-line
//! definition, and a test keeps the two in step.

use std::collections::BTreeMap;

use lc_model::division::{self, DivisionLevel};
use serde::Serialize;

/// How an indicator's value is made from its facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Σ numerator (a number of things).
    Count,
    /// Σ numerator ÷ Σ denominator × 100; not computable (never 0) when Σ denominator is 0.
    Percent,
}

/// One indicator of the platform's monthly figures.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Indicator {
    /// Stable key (never renamed or reused).
    pub key: &'static str,
    /// Chinese name.
    pub name_zh: &'static str,
    /// English name.
    pub name_en: &'static str,
    /// Unit, for display.
    pub unit: &'static str,
    /// Count or percent.
    pub kind: Kind,
    /// The cuts it is also given by (`service`, `nbs`), beside the whole.
    pub dimensions: &'static [&'static str],
    /// The 2025 target of the plans that is the same figure (plan indicator id), if any.
    pub target: Option<&'static str>,
    /// What it counts, in one line (the full definition: docs/monitoring.md).
    pub definition: &'static str,
}

/// The platform's monthly indicators (key order is the catalogue's order).
pub const INDICATORS: &[Indicator] = &[
    Indicator {
        key: "bookings_completed",
        name_zh: "完成的预约服务",
        name_en: "Bookings completed",
        unit: "次 services",
        kind: Kind::Count,
        dimensions: &["service", "nbs"],
        target: None,
        definition: "Bookings in status completed whose slot starts in the month; region: the resident's community.",
    },
    Indicator {
        key: "satisfaction_rate",
        name_zh: "服务满意率（好评率）",
        name_en: "Satisfaction (good-review rate)",
        unit: "% 评价 of reviews",
        kind: Kind::Percent,
        dimensions: &["service", "nbs"],
        target: None,
        definition: "Reviews of the month (rating month) not excluded: 好评 (非常满意, 满意) ÷ all; region: the reviewer's community.",
    },
    Indicator {
        key: "bad_reviews",
        name_zh: "差评数",
        name_en: "Bad reviews",
        unit: "条 reviews",
        kind: Kind::Count,
        dimensions: &["service", "nbs"],
        target: None,
        definition: "Reviews of the month not excluded whose class is 差评 (不满意, 非常不满意); region: the reviewer's community.",
    },
    Indicator {
        key: "bad_reviews_rectified_on_time",
        name_zh: "差评按期整改率",
        name_en: "Bad reviews rectified on time",
        unit: "% 到期差评 of cases due",
        kind: Kind::Percent,
        dimensions: &["service", "nbs"],
        target: None,
        definition: "差评 cases not excluded whose deadline falls in the month: rectified on or before the deadline ÷ all of them (late, unrectified or explained ones count in the denominator only); region: the reviewer's community.",
    },
    Indicator {
        key: "visit_rate",
        name_zh: "特殊困难老年人月探访率",
        name_en: "Monthly visit rate of elderly people in special difficulty",
        unit: "% 应探访者 of persons due",
        kind: Kind::Percent,
        dimensions: &[],
        target: Some("GS21"),
        definition: "Persons on the care register due a visit in the month (registered on at least one of its days) visited at least once in it ÷ persons due; region: the person's community.",
    },
    Indicator {
        key: "listed_outlets",
        name_zh: "已挂牌并作出信用承诺的普惠性服务网点",
        name_en: "Inclusive outlets listed with a credit commitment",
        unit: "个 outlets",
        kind: Kind::Count,
        dimensions: &["nbs"],
        target: None,
        definition: "Outlets with a listing number, registered by the month's end, whose credit commitment is dated on or before the month's last day; region: the outlet's division.",
    },
    Indicator {
        key: "spot_checks_done",
        name_zh: "完成的双随机抽查",
        name_en: "Spot checks done",
        unit: "户次 checks",
        kind: Kind::Count,
        dimensions: &["nbs"],
        target: None,
        definition: "Spot-check results with an outcome whose check date falls in the month; region: the object's division (the outlet's, else its provider's).",
    },
    Indicator {
        key: "spot_checks_failed",
        name_zh: "抽查发现问题",
        name_en: "Spot checks that found problems",
        unit: "户次 checks",
        kind: Kind::Count,
        dimensions: &["nbs"],
        target: None,
        definition: "Of the spot checks done in the month, those whose outcome is not 未发现问题 (no_problem); region as spot_checks_done.",
    },
    Indicator {
        key: "warnings_opened",
        name_zh: "新发预警",
        name_en: "Warnings opened",
        unit: "条 warnings",
        kind: Kind::Count,
        dimensions: &[],
        target: None,
        definition: "Early warnings raised in the month; region: the outlet it is about (a spot check's object, a 差评 case's outlet), else the community it names, else its provider's division.",
    },
    Indicator {
        key: "warnings_resolved",
        name_zh: "已解除预警",
        name_en: "Warnings resolved",
        unit: "条 warnings",
        kind: Kind::Count,
        dimensions: &[],
        target: None,
        definition: "Early warnings resolved in the month (whenever raised); region as warnings_opened.",
    },
    Indicator {
        key: "childcare_places_in_use",
        name_zh: "托位使用率",
        name_en: "Childcare places in use",
        unit: "% 托位 of places",
        kind: Kind::Percent,
        dimensions: &[],
        target: None,
        definition: "Places in use ÷ places of the nurseries, as stored when the month is computed (no history of places is kept); region: the nursery's division.",
    },
    Indicator {
        key: "home_beds_in_use",
        name_zh: "在用家庭养老床位",
        name_en: "Home elderly-care beds in use",
        unit: "张 beds",
        kind: Kind::Count,
        dimensions: &[],
        target: None,
        definition: "Home-bed contracts in force on the month's last day (activated on or before it, not closed before it, within their start and end dates); region: the resident's community.",
    },
];

/// The indicator of a key.
pub fn indicator(key: &str) -> Option<&'static Indicator> {
    INDICATORS.iter().find(|i| i.key == key)
}

/// The region level of a division code (`province` … `community`, by its length; `None`:
/// not a division code, see `lc_model::division`).
pub fn level_of(code: &str) -> Option<&'static str> {
    division::level_of(code).map(DivisionLevel::region_key)
}

/// One counted thing: a booking, a review, a person due a visit… in one region.
#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    /// The indicator's key.
    pub indicator: &'static str,
    /// The division code of the smallest region it belongs to (2–12 digits).
    pub division: String,
    /// The cuts it falls in (`service:meal`, `nbs:2019:03`); the whole (`""`) always.
    pub dimensions: Vec<String>,
    /// Its part of the numerator (a count indicator: how many).
    pub numerator: f64,
    /// Its part of the denominator (a count indicator: 0).
    pub denominator: f64,
}

/// One value of the series: an indicator for a region and a cut.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[allow(missing_docs)]
pub struct Value {
    pub indicator: &'static str,
    pub level: &'static str,
    pub division: String,
    /// `""` for the whole, else `service:…`, `nbs:…`.
    pub dimension: String,
    pub numerator: f64,
    /// Percent indicators only.
    pub denominator: Option<f64>,
    /// Count: the numerator; percent: numerator ÷ denominator × 100, `None` when the
    /// denominator is 0 (not computable).
    pub value: Option<f64>,
}

/// Sums facts into every region that holds them — the fact's own division and each shorter
/// prefix of the five levels — for the whole and for each cut. `regions` are division codes
/// that get a row of the whole of every indicator even without a fact (0 for a count, not
/// computable for a percent), so that "nothing happened" is told apart from "no data". A fact
/// whose division is not a division code (`lc_model::division`) is counted nowhere.
///
/// Rows come ordered by indicator (catalogue order), level (province first), code, cut.
pub fn roll_up(facts: &[Fact], regions: &[String]) -> Vec<Value> {
    type Key = (usize, DivisionLevel, String, String);
    let mut sums: BTreeMap<Key, (f64, f64)> = BTreeMap::new();
    let pos = |key: &str| INDICATORS.iter().position(|i| i.key == key);
    let prefixes = |code: &str| -> Vec<(DivisionLevel, String)> {
        division::prefixes(code)
            .into_iter()
            .map(|(l, p)| (l, p.to_string()))
            .collect()
    };
    for region in regions {
        for (l, code) in prefixes(region) {
            for i in 0..INDICATORS.len() {
                sums.entry((i, l, code.clone(), String::new())).or_default();
            }
        }
    }
    for f in facts {
        let Some(i) = pos(f.indicator) else { continue };
        for (l, code) in prefixes(&f.division) {
            for dim in std::iter::once("").chain(f.dimensions.iter().map(String::as_str)) {
                let s = sums
                    .entry((i, l, code.clone(), dim.to_string()))
                    .or_default();
                s.0 += f.numerator;
                s.1 += f.denominator;
            }
        }
    }
    sums.into_iter()
        .map(|((i, l, division, dimension), (num, den))| {
            let ind = &INDICATORS[i];
            let (denominator, value) = match ind.kind {
                Kind::Count => (None, Some(num)),
                Kind::Percent => (Some(den), (den > 0.0).then(|| num / den * 100.0)),
            };
            Value {
                indicator: ind.key,
                level: l.region_key(),
                division,
                dimension,
                numerator: num,
                denominator,
                value,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(ind: &'static str, div: &str, dims: &[&str], num: f64, den: f64) -> Fact {
        Fact {
            indicator: ind,
            division: div.into(),
            dimensions: dims.iter().map(|s| s.to_string()).collect(),
            numerator: num,
            denominator: den,
        }
    }

    fn find<'a>(v: &'a [Value], ind: &str, div: &str, dim: &str) -> &'a Value {
        v.iter()
            .find(|r| r.indicator == ind && r.division == div && r.dimension == dim)
            .unwrap_or_else(|| panic!("no row {ind} {div} {dim}"))
    }

    #[test]
    fn facts_roll_up_by_prefix_with_ratios_of_sums() {
        // Two communities of street 110108010, one of street 110108020 (same district).
        let facts = vec![
            fact(
                "bookings_completed",
                "110108010001",
                &["service:meal"],
                1.0,
                0.0,
            ),
            fact(
                "bookings_completed",
                "110108010001",
                &["service:meal"],
                1.0,
                0.0,
            ),
            fact(
                "bookings_completed",
                "110108010002",
                &["service:bathing"],
                1.0,
                0.0,
            ),
            fact(
                "bookings_completed",
                "110108020001",
                &["service:meal"],
                1.0,
                0.0,
            ),
            // Visit rate: 1 of 2 due in the first community, 2 of 2 in the other street.
            fact("visit_rate", "110108010001", &[], 1.0, 1.0),
            fact("visit_rate", "110108010001", &[], 0.0, 1.0),
            fact("visit_rate", "110108020001", &[], 1.0, 1.0),
            fact("visit_rate", "110108020001", &[], 1.0, 1.0),
            // A fact without a proper code counts nowhere.
            fact("bookings_completed", "1101080", &[], 1.0, 0.0),
        ];
        let v = roll_up(&facts, &["110108010003".to_string()]);
        assert_eq!(
            find(&v, "bookings_completed", "110108010", "").value,
            Some(3.0)
        );
        assert_eq!(
            find(&v, "bookings_completed", "110108010", "service:meal").value,
            Some(2.0)
        );
        assert_eq!(
            find(&v, "bookings_completed", "110108", "service:meal").value,
            Some(3.0)
        );
        assert_eq!(find(&v, "bookings_completed", "11", "").value, Some(4.0));
        assert_eq!(find(&v, "bookings_completed", "11", "").level, "province");
        // 1/2 and 2/2: the district is 3/4, not the mean of 50 % and 100 %.
        assert_eq!(find(&v, "visit_rate", "110108010", "").value, Some(50.0));
        assert_eq!(find(&v, "visit_rate", "110108", "").value, Some(75.0));
        assert_eq!(find(&v, "visit_rate", "110108", "").denominator, Some(4.0));
        // A region with no fact: 0 bookings, visit rate not computable (never 0).
        let quiet = find(&v, "bookings_completed", "110108010003", "");
        assert_eq!((quiet.level, quiet.value), ("community", Some(0.0)));
        assert_eq!(find(&v, "visit_rate", "110108010003", "").value, None);
        // No cut row where nothing fell in it.
        assert!(!v
            .iter()
            .any(|r| r.division == "110108010003" && !r.dimension.is_empty()));
    }

    #[test]
    fn keys_are_unique_and_levels_follow_code_lengths() {
        let mut keys: Vec<&str> = INDICATORS.iter().map(|i| i.key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), INDICATORS.len());
        assert_eq!(level_of("51"), Some("province"));
        assert_eq!(level_of("510104"), Some("district"));
        assert_eq!(level_of("510104020"), Some("street"));
        assert_eq!(level_of("5101040"), None);
        assert_eq!(level_of("51a1"), None);
    }

    #[test]
    fn every_indicator_is_defined_in_the_docs() {
        let doc = include_str!("../../../docs/monitoring.md");
        for i in INDICATORS {
            for s in [i.key, i.name_zh, i.name_en] {
                assert!(doc.contains(s), "docs/monitoring.md lacks {s}");
            }
        }
    }
}
