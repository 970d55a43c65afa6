//! Credit-risk classes A–D (信用风险分类, `DOMAIN.md` §6.3: A 低, B 一般, C 较高, D 高). The
//! class is **internal**: it allocates supervision (the 双随机 sampling ratios) and is never a
//! public or provider-visible rating.
//!
//! The rules are data (`data/classes.json`, versioned): each factor — penalties, broken
//! commitments, the 差评 rate, overdue rectifications, complaints, failed spot checks, a
//! black-list entry — gives points by steps (the points of the highest step its value reaches);
//! the sum falls into a class by thresholds. [`assess`] is a function of the rules and the
//! facts, so the same facts always give the same class, with every factor's contribution shown
//! to the regulator. SAMR publishes no national point table; the shipped weights are this
//! project's starting point, meant to be tuned by each regulator.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

const BUILTIN: &str = include_str!("../data/classes.json");

/// A risk class, A (low) first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Class {
    A,
    B,
    C,
    D,
}

impl Class {
    /// All classes, A first.
    pub const ALL: [Class; 4] = [Class::A, Class::B, Class::C, Class::D];

    /// The letter.
    pub fn key(self) -> &'static str {
        match self {
            Class::A => "A",
            Class::B => "B",
            Class::C => "C",
            Class::D => "D",
        }
    }

    /// The class of a letter.
    pub fn from_key(k: &str) -> Option<Class> {
        Class::ALL.into_iter().find(|c| c.key() == k)
    }

    /// The letter (as [`Class::key`]).
    pub fn letter(self) -> &'static str {
        self.key()
    }

    /// The upper end of the class's Daqing sampling range in basis points (A ≤5%, B 5–20%,
    /// C 21–60%, D 61–100%; `DOMAIN.md` §6.3): the most a draw with general check items may
    /// sample.
    pub fn general_cap(self) -> u32 {
        match self {
            Class::A => 500,
            Class::B => 2000,
            Class::C => 6000,
            Class::D => 10_000,
        }
    }

    /// 风险等级.
    pub fn zh(self) -> &'static str {
        match self {
            Class::A => "A 类（低风险）",
            Class::B => "B 类（一般风险）",
            Class::C => "C 类（较高风险）",
            Class::D => "D 类（高风险）",
        }
    }
}

impl std::fmt::Display for Class {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}

/// One step of a factor: from this value up, these points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub at_least: i64,
    pub points: u32,
}

/// One factor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Factor {
    /// The fact it reads (`penalties_12m`, `bad_review_rate_bp`, …).
    pub key: String,
    pub zh: String,
    pub en: String,
    /// Ascending by `at_least`.
    pub steps: Vec<Step>,
}

/// The rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rules {
    pub version: String,
    pub source: String,
    pub factors: Vec<Factor>,
    /// The least score of B, C and D (ascending): below the first is A.
    pub thresholds: [u32; 3],
}

static RULES: LazyLock<Rules> = LazyLock::new(|| {
    // Checked by a test; a broken embedded file is a build defect.
    Rules::parse(BUILTIN).expect("data/classes.json is valid")
});

/// The shipped rules.
pub fn builtin() -> &'static Rules {
    &RULES
}

/// A refused rule file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("class rules: {0}")]
pub struct RulesError(pub String);

impl Rules {
    /// Parses and checks rules: unique factor keys, steps ascending, thresholds ascending.
    pub fn parse(json: &str) -> Result<Rules, RulesError> {
        let r: Rules = serde_json::from_str(json).map_err(|e| RulesError(e.to_string()))?;
        if r.version.trim().is_empty() {
            return Err(RulesError("version is empty".into()));
        }
        for (i, f) in r.factors.iter().enumerate() {
            if f.key.is_empty() || r.factors[..i].iter().any(|o| o.key == f.key) {
                return Err(RulesError(format!("factor '{}' empty or repeated", f.key)));
            }
            if f.steps.is_empty() || f.steps.windows(2).any(|w| w[0].at_least >= w[1].at_least) {
                return Err(RulesError(format!(
                    "factor '{}': steps must be non-empty and ascending",
                    f.key
                )));
            }
        }
        let t = r.thresholds;
        if !(0 < t[0] && t[0] < t[1] && t[1] < t[2]) {
            return Err(RulesError(
                "thresholds must be positive and ascending".into(),
            ));
        }
        Ok(r)
    }
}

/// What one factor contributed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contribution {
    pub factor: String,
    /// The fact's value (`None`: not known, counted as 0).
    pub value: Option<i64>,
    pub points: u32,
}

/// A class with its reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    pub class: Class,
    pub score: u32,
    pub rules_version: String,
    pub contributions: Vec<Contribution>,
}

/// The class of an enterprise from its facts (`factor key → value`; missing facts count 0).
pub fn assess(rules: &Rules, facts: &BTreeMap<String, i64>) -> Assessment {
    let mut score: u32 = 0;
    let contributions = rules
        .factors
        .iter()
        .map(|f| {
            let value = facts.get(&f.key).copied();
            let v = value.unwrap_or(0);
            let points = f
                .steps
                .iter()
                .take_while(|s| v >= s.at_least)
                .last()
                .map_or(0, |s| s.points);
            score = score.saturating_add(points);
            Contribution {
                factor: f.key.clone(),
                value,
                points,
            }
        })
        .collect();
    let class = match rules.thresholds.iter().filter(|&&t| score >= t).count() {
        0 => Class::A,
        1 => Class::B,
        2 => Class::C,
        _ => Class::D,
    };
    Assessment {
        class,
        score,
        rules_version: rules.version.clone(),
        contributions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(pairs: &[(&str, i64)]) -> BTreeMap<String, i64> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn a_clean_record_is_a_and_points_add_up() {
        let r = builtin();
        let a = assess(r, &facts(&[]));
        assert_eq!((a.class, a.score), (Class::A, 0));
        // One penalty in 12 months (20) and a 差评 rate of 16% (1600 bp ≥ 1500: 20): 40 → C
        // with the shipped thresholds 10 / 30 / 60.
        let c = assess(
            r,
            &facts(&[("penalties_12m", 1), ("bad_review_rate_bp", 1600)]),
        );
        assert_eq!((c.class, c.score), (Class::C, 40), "{c:?}");
        let shown: Vec<(&str, u32)> = c
            .contributions
            .iter()
            .filter(|x| x.points > 0)
            .map(|x| (x.factor.as_str(), x.points))
            .collect();
        assert_eq!(shown, [("penalties_12m", 20), ("bad_review_rate_bp", 20)]);
        // A black-list entry alone is D.
        assert_eq!(assess(r, &facts(&[("black_list", 1)])).class, Class::D);
        // Steps: the highest reached counts (three overdue rectifications: 25, not 10 + 25).
        let o = assess(r, &facts(&[("overdue_rectifications", 3)]));
        assert_eq!(o.score, 25);
        assert_eq!(o.class, Class::B);
    }

    #[test]
    fn classes_order_from_low_to_high_risk() {
        assert!(Class::A < Class::D);
        assert_eq!(Class::from_key("C"), Some(Class::C));
        assert_eq!(Class::from_key("E"), None);
    }

    #[test]
    fn broken_rules_are_refused() {
        for bad in [
            r#"{"version": "x", "source": "", "factors": [], "thresholds": [10, 10, 60]}"#,
            r#"{"version": "x", "source": "", "factors": [{"key": "a", "zh": "", "en": "", "steps": [{"at_least": 2, "points": 1}, {"at_least": 1, "points": 2}]}], "thresholds": [10, 30, 60]}"#,
            r#"{"version": "", "source": "", "factors": [], "thresholds": [10, 30, 60]}"#,
        ] {
            assert!(Rules::parse(bad).is_err(), "{bad}");
        }
    }
}
