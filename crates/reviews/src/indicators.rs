//! The indicator sets (评价指标) as versioned data: `data/indicators.json`, embedded, parsed and
//! checked. Evaluation content is version-managed (`PLATFORM.md` §1 fact 1): a review names the
//! version it used, and a version's indicators never change.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use lc_registry::{Check, FieldError};
use serde::{Deserialize, Serialize};

use crate::level::Level;

const BUILTIN: &str = include_str!("../data/indicators.json");

/// One indicator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Indicator {
    pub key: String,
    pub zh: String,
    pub en: String,
}

/// A set of indicators for one channel (offline, online).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndicatorSet {
    pub key: String,
    pub zh: String,
    pub en: String,
    pub indicators: Vec<Indicator>,
}

/// A version of the indicator sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Indicators {
    pub version: String,
    pub source: String,
    pub sets: Vec<IndicatorSet>,
}

/// The indicator key every set must have.
pub const OVERALL: &str = "overall";

static BUILTIN_SETS: LazyLock<Indicators> = LazyLock::new(|| {
    // Checked by a test; a broken embedded file is a build defect.
    Indicators::parse(BUILTIN).expect("data/indicators.json is valid")
});

/// The embedded version.
pub fn builtin() -> &'static Indicators {
    &BUILTIN_SETS
}

impl Indicators {
    /// Parses and checks a version: a version id, unique set keys, unique indicator keys within a
    /// set, and [`OVERALL`] in every set.
    pub fn parse(json: &str) -> Result<Indicators, Vec<FieldError>> {
        let v: Indicators =
            serde_json::from_str(json).map_err(|e| crate::data_error("indicators", e))?;
        let mut c = Check::new();
        if v.version.trim().is_empty() {
            c.required("version");
        }
        if v.sets.is_empty() {
            c.required("sets");
        }
        let mut sets = BTreeSet::new();
        for (i, s) in v.sets.iter().enumerate() {
            let field = format!("sets[{i}]");
            if !sets.insert(s.key.as_str()) {
                c.fail(
                    &field,
                    "duplicate_set",
                    format!("{field} 指标集 '{}' 重复", s.key),
                    format!("{field}: indicator set '{}' appears twice", s.key),
                );
            }
            let mut keys = BTreeSet::new();
            for (j, ind) in s.indicators.iter().enumerate() {
                if ind.key.is_empty() || !keys.insert(ind.key.as_str()) {
                    let f = format!("{field}.indicators[{j}]");
                    c.fail(
                        &f,
                        "duplicate_indicator",
                        format!("{f} 指标键为空或重复：'{}'", ind.key),
                        format!("{f}: indicator key empty or repeated: '{}'", ind.key),
                    );
                }
            }
            if !keys.contains(OVERALL) {
                c.fail(
                    &field,
                    "missing_overall",
                    format!("{field} 缺少整体满意度（overall）"),
                    format!("{field} lacks the overall-satisfaction indicator"),
                );
            }
        }
        c.finish()?;
        Ok(v)
    }

    /// A set by key.
    pub fn set(&self, key: &str) -> Option<&IndicatorSet> {
        self.sets.iter().find(|s| s.key == key)
    }

    /// Checks a review's scores against this version and set: the version named must be this
    /// one, every key an indicator of the set, and [`OVERALL`] present. Returns the overall level.
    pub fn check_scores(
        &self,
        version: &str,
        set: &str,
        scores: &BTreeMap<String, Level>,
    ) -> Result<Level, Vec<FieldError>> {
        let mut c = Check::new();
        if version != self.version {
            c.fail(
                "indicators_version",
                "unknown_indicators_version",
                format!("指标版本 '{version}' 不是当前版本 '{}'", self.version),
                format!("indicator version '{version}' is not '{}'", self.version),
            );
            return Err(c.errors);
        }
        let Some(s) = self.set(set) else {
            c.fail(
                "indicator_set",
                "unknown_indicator_set",
                format!("未知指标集 '{set}'"),
                format!("unknown indicator set '{set}'"),
            );
            return Err(c.errors);
        };
        for key in scores.keys() {
            if !s.indicators.iter().any(|i| &i.key == key) {
                let f = format!("scores.{key}");
                c.fail(
                    &f,
                    "unknown_indicator",
                    format!("指标集 '{set}' 没有指标 '{key}'"),
                    format!("indicator set '{set}' has no indicator '{key}'"),
                );
            }
        }
        let overall = scores.get(OVERALL).copied();
        if overall.is_none() {
            c.required("scores.overall");
        }
        c.finish()?;
        Ok(overall.unwrap_or(Level::Basic))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_parses_with_the_documented_indicators() {
        let b = builtin();
        assert_eq!(b.version, "gov-2020.1");
        let offline: Vec<&str> = b
            .set("offline")
            .unwrap()
            .indicators
            .iter()
            .map(|i| i.zh.as_str())
            .collect();
        assert_eq!(offline, ["整体满意度", "服务效率", "服务水平", "服务态度"]);
        assert_eq!(b.set("online").unwrap().indicators.len(), 5);
    }

    #[test]
    fn scores_are_checked_against_the_version() {
        let b = builtin();
        let mut scores = BTreeMap::new();
        scores.insert("attitude".to_string(), Level::Satisfied);
        let e = b
            .check_scores("gov-2020.1", "offline", &scores)
            .unwrap_err();
        assert_eq!(e[0].code, "required");
        scores.insert("overall".to_string(), Level::Dissatisfied);
        assert_eq!(
            b.check_scores("gov-2020.1", "offline", &scores),
            Ok(Level::Dissatisfied)
        );
        scores.insert("usability".to_string(), Level::Basic);
        assert_eq!(
            b.check_scores("gov-2020.1", "offline", &scores)
                .unwrap_err()[0]
                .code,
            "unknown_indicator"
        );
        assert_eq!(
            b.check_scores("v0", "offline", &scores).unwrap_err()[0].code,
            "unknown_indicators_version"
        );
    }

    #[test]
    fn a_set_without_overall_is_refused() {
        let json = r#"{"version":"x","source":"","sets":[{"key":"a","zh":"","en":"","indicators":[{"key":"b","zh":"","en":""}]}]}"#;
        assert_eq!(
            Indicators::parse(json).unwrap_err()[0].code,
            "missing_overall"
        );
    }
}
