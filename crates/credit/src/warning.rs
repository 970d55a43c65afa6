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
}

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
            if ![
                "certificate_expiring",
                "rectification_overdue",
                "class_dropped",
            ]
            .contains(&rule.key.as_str())
            {
                return Err(format!("unknown rule '{}'", rule.key));
            }
            if !(0..=365).contains(&rule.days) || !(1..=365).contains(&rule.deadline_days) {
                return Err(format!("rule '{}': days out of range", rule.key));
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
        assert!(Rules::parse(r#"{"version": "x", "rules": [{"key": "rain", "zh": "", "en": "", "severity": "low", "days": 1, "names": [], "assign_to": "provider", "deadline_days": 1}]}"#).is_err());
    }
}
