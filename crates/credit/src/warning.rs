//! Early-warning rules as data (`data/warnings.json`, issue 13 item 5): which conditions raise a
//! warning, with what severity, for whom and by when. The server evaluates them over its data (a
//! scheduled job and on demand); a condition is named by a stable key so that the database keeps
//! one open warning per condition.

use std::sync::LazyLock;

use jiff::civil::Date;
use jiff::ToSpan;
use serde::{Deserialize, Serialize};

const BUILTIN: &str = include_str!("../data/warnings.json");

/// How urgent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn key(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

/// Who must act.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Assignee {
    /// The enterprise concerned (its staff), the regulator told as well.
    Provider,
    /// The supervising department.
    Regulator,
    /// The community's workers, for a condition of one community (its monthly visit rate);
    /// the regulator told as well.
    Community,
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// `certificate_expiring`, `rectification_overdue`, `class_dropped`.
    pub key: String,
    pub zh: String,
    pub en: String,
    pub severity: Severity,
    /// For expiries: how many days ahead.
    pub days: i64,
    /// For certificates: parts of the names that count (case-insensitive).
    pub names: Vec<String>,
    pub assign_to: Assignee,
    /// The warning's deadline, in days after it is raised.
    pub deadline_days: i64,
    /// For rates, the threshold in basis points (a 差评 rate at or above it; a visit rate below
    /// it); for spikes, how many times the previous window's count.
    #[serde(default)]
    pub threshold: i64,
    /// For rates and spikes: the rolling window, in days.
    #[serde(default)]
    pub window_days: i64,
    /// For rates and spikes: the fewest events in the window before the rule speaks.
    #[serde(default)]
    pub minimum: i64,
}

/// Every rule the server knows how to evaluate.
pub const KNOWN: &[&str] = &[
    "certificate_expiring",
    "licence_expiring",
    "rectification_overdue",
    "spot_check_rectification_overdue",
    "spot_check_publication_due",
    "class_dropped",
    "bad_review_rate",
    "complaint_spike",
    "visit_rate_below_target",
    "assessment_shortfall",
];

/// The rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rules {
    pub version: String,
    pub rules: Vec<Rule>,
}

static RULES: LazyLock<Rules> = LazyLock::new(|| {
    // Checked by a test; a broken embedded file is a build defect.
    Rules::parse(BUILTIN).expect("data/warnings.json is valid")
});

/// The shipped rules.
pub fn builtin() -> &'static Rules {
    &RULES
}

impl Rules {
    /// Parses and checks: unique keys, known kinds, 0 to 365 days.
    pub fn parse(json: &str) -> Result<Rules, String> {
        let r: Rules = serde_json::from_str(json).map_err(|e| e.to_string())?;
        for (i, rule) in r.rules.iter().enumerate() {
            if r.rules[..i].iter().any(|o| o.key == rule.key) {
                return Err(format!("rule '{}' appears twice", rule.key));
            }
            if !KNOWN.contains(&rule.key.as_str()) {
                return Err(format!("unknown rule '{}'", rule.key));
            }
            if !(0..=365).contains(&rule.days) || !(1..=365).contains(&rule.deadline_days) {
                return Err(format!("rule '{}': days out of range", rule.key));
            }
            let windowed = matches!(rule.key.as_str(), "bad_review_rate" | "complaint_spike");
            if windowed && (!(1..=366).contains(&rule.window_days) || rule.minimum < 1) {
                return Err(format!(
                    "rule '{}': window_days must be 1 to 366 and minimum at least 1",
                    rule.key
                ));
            }
            let thresholded = matches!(
                rule.key.as_str(),
                "bad_review_rate" | "complaint_spike" | "visit_rate_below_target"
            );
            if thresholded && !(1..=10_000).contains(&rule.threshold) {
                return Err(format!("rule '{}': threshold must be 1 to 10000", rule.key));
            }
        }
        Ok(r)
    }

    /// A rule by key.
    pub fn rule(&self, key: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.key == key)
    }
}

impl Rule {
    /// Whether a certificate's name is one this rule watches.
    pub fn watches(&self, certificate: &str) -> bool {
        let name = certificate.to_lowercase();
        self.names.iter().any(|n| name.contains(&n.to_lowercase()))
    }

    /// Whether a validity ending on `valid_until` (inclusive) is due on `today`: it ends within
    /// `days` days, or has ended.
    pub fn expiry_due(&self, valid_until: Date, today: Date) -> bool {
        let horizon = today.checked_add(self.days.days()).unwrap_or(Date::MAX);
        valid_until <= horizon
    }

    /// Whether `bad` 差评 among `count` reviews in the window reach the threshold (with at least
    /// `minimum` reviews): `bad / count ≥ threshold / 10 000`, in integers.
    pub fn rate_at_or_above(&self, bad: i64, count: i64) -> bool {
        count >= self.minimum.max(1) && bad * 10_000 >= self.threshold * count
    }

    /// Whether `recent` events in the last window are a spike against `previous` in the window
    /// before: at least `minimum`, and at least `threshold` times the previous count (any number
    /// from none).
    pub fn spike(&self, recent: i64, previous: i64) -> bool {
        recent >= self.minimum.max(1) && recent >= self.threshold * previous
    }

    /// Whether a rate of `num / den` is below the threshold (basis points); never when `den` is 0.
    pub fn rate_below(&self, num: u64, den: u64) -> bool {
        den > 0 && u128::from(num) * 10_000 < u128::from(den) * self.threshold as u128
    }

    /// The warning's deadline when raised on `today`.
    pub fn deadline(&self, today: Date) -> Date {
        today
            .checked_add(self.deadline_days.days())
            .unwrap_or(Date::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn shipped_rules() {
        let r = builtin().rule("certificate_expiring").unwrap();
        assert!(r.watches("健康证") && r.watches("Health certificate") && !r.watches("育婴员证"));
        // 30 days ahead of 2026-12-01 is 2026-12-31.
        assert!(r.expiry_due(date(2026, 12, 31), date(2026, 12, 1)));
        assert!(!r.expiry_due(date(2027, 1, 1), date(2026, 12, 1)));
        assert!(
            r.expiry_due(date(2026, 11, 1), date(2026, 12, 1)),
            "already expired"
        );
        assert_eq!(r.deadline(date(2026, 12, 1)), date(2026, 12, 16));
        // 差评 rate 10% over 30 days with at least 10 reviews: 1 of 10 reaches it, 1 of 11 not,
        // 5 of 9 too few.
        let r = builtin().rule("bad_review_rate").unwrap();
        assert_eq!((r.threshold, r.window_days, r.minimum), (1000, 30, 10));
        assert!(
            r.rate_at_or_above(1, 10) && !r.rate_at_or_above(1, 11) && !r.rate_at_or_above(5, 9)
        );
        // Complaints: at least 3 in 7 days and at least twice the 7 days before.
        let r = builtin().rule("complaint_spike").unwrap();
        assert!(r.spike(3, 0) && r.spike(4, 2) && !r.spike(5, 3) && !r.spike(2, 0));
        // Gansu's 100% monthly visit rate: 99 of 100 is below, 100 of 100 is not, none due never.
        let r = builtin().rule("visit_rate_below_target").unwrap();
        assert!(r.rate_below(99, 100) && !r.rate_below(100, 100) && !r.rate_below(0, 0));
        assert!(Rules::parse(r#"{"version": "x", "rules": [{"key": "bad_review_rate", "zh": "", "en": "", "severity": "low", "days": 0, "names": [], "assign_to": "provider", "deadline_days": 1, "threshold": 1000, "window_days": 0, "minimum": 10}]}"#).is_err());
        assert!(Rules::parse(r#"{"version": "x", "rules": [{"key": "rain", "zh": "", "en": "", "severity": "low", "days": 1, "names": [], "assign_to": "provider", "deadline_days": 1}]}"#).is_err());
    }
}
