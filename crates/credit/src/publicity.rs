//! How long an administrative penalty is public (公示期限), from a rule table
//! (`data/publicity.json`; `PLATFORM.md` §2c fact 3, the current rules as restated by Shenzhen):
//! a penalty is public from its decision date for at most 3 years, after which publicity stops
//! by itself; credit repair (信用修复) may end it early, but only once its minimum has passed —
//! 3 months in general, 1 year for 安全生产, 消防 and 特种设备 penalties; a decision with several
//! kinds takes the longest minimum and the longest maximum. 特定严重失信行为 cannot be repaired
//! during publicity. A breached 信用修复型 commitment republishes the penalty for its maximum.
//!
//! Dates: `publicity_end` (the 公示截止期, `CF_GSJZQ`) is the decision date plus the maximum
//! period; the record is public on every day from the decision date up to and including it, and
//! gone from the day after. Adding months keeps the day of the month, or the month's last day
//! when it has none (2024-02-29 + 1 year → 2025-02-28).

use std::sync::LazyLock;

use jiff::civil::Date;
use jiff::ToSpan;
use serde::{Deserialize, Serialize};

const BUILTIN: &str = include_str!("../data/publicity.json");

/// What a penalty is about, as far as its publicity is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    /// Any other penalty.
    General,
    /// 安全生产.
    WorkSafety,
    /// 消防.
    Fire,
    /// 特种设备.
    SpecialEquipment,
}

/// One rule of the table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub area: Area,
    pub zh: String,
    /// The least time it stays public before a repair may end it, in months.
    pub min_months: u32,
    /// The time after which it stops being public, in months.
    pub max_months: u32,
    pub source: String,
}

/// The rule table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rules {
    pub version: String,
    pub rules: Vec<Rule>,
}

static RULES: LazyLock<Rules> = LazyLock::new(|| {
    // Checked by a test; a broken embedded file is a build defect.
    Rules::parse(BUILTIN).expect("data/publicity.json is valid")
});

/// The shipped table.
pub fn builtin() -> &'static Rules {
    &RULES
}

/// Why a table or a computation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublicityError {
    #[error("publicity rules: {0}")]
    Table(String),
    #[error("no publicity rule for {0:?}")]
    NoRule(Area),
    #[error("a penalty needs at least one area")]
    NoArea,
    #[error("the date falls outside the calendar")]
    OutOfRange,
}

impl Rules {
    /// Parses and checks a table: every area once, 1 ≤ min ≤ max ≤ 120 months, `general`
    /// present.
    pub fn parse(json: &str) -> Result<Rules, PublicityError> {
        let r: Rules =
            serde_json::from_str(json).map_err(|e| PublicityError::Table(e.to_string()))?;
        for (i, rule) in r.rules.iter().enumerate() {
            if r.rules[..i].iter().any(|o| o.area == rule.area) {
                return Err(PublicityError::Table(format!(
                    "{:?} appears twice",
                    rule.area
                )));
            }
            if rule.min_months == 0 || rule.min_months > rule.max_months || rule.max_months > 120 {
                return Err(PublicityError::Table(format!(
                    "{:?}: need 1 ≤ min_months ≤ max_months ≤ 120",
                    rule.area
                )));
            }
        }
        if !r.rules.iter().any(|x| x.area == Area::General) {
            return Err(PublicityError::Table("no rule for general".into()));
        }
        Ok(r)
    }

    fn rule(&self, a: Area) -> Result<&Rule, PublicityError> {
        self.rules
            .iter()
            .find(|r| r.area == a)
            .ok_or(PublicityError::NoRule(a))
    }

    /// The minimum and maximum months of a decision with these areas: the longest of each.
    pub fn months(&self, areas: &[Area]) -> Result<(u32, u32), PublicityError> {
        if areas.is_empty() {
            return Err(PublicityError::NoArea);
        }
        let mut out = (0, 0);
        for a in areas {
            let r = self.rule(*a)?;
            out = (out.0.max(r.min_months), out.1.max(r.max_months));
        }
        Ok(out)
    }
}

fn add_months(d: Date, months: u32) -> Result<Date, PublicityError> {
    d.checked_add(i64::from(months).months())
        .map_err(|_| PublicityError::OutOfRange)
}

/// A penalty's publicity, worked out from its decision date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Publicity {
    /// The decision date (公示起始).
    pub from: Date,
    /// The first day a credit repair may end publicity.
    pub repair_from: Date,
    /// 公示截止期 (`CF_GSJZQ`): the last day it is public, unless repaired earlier.
    pub until: Date,
}

impl Publicity {
    /// The publicity of a penalty decided on `decided` about `areas`.
    pub fn of(decided: Date, areas: &[Area], rules: &Rules) -> Result<Publicity, PublicityError> {
        let (min, max) = rules.months(areas)?;
        Ok(Publicity {
            from: decided,
            repair_from: add_months(decided, min)?,
            until: add_months(decided, max)?,
        })
    }

    /// Whether the penalty is public on `day`, given the day a repair ended it (if any).
    pub fn is_public(&self, day: Date, repaired_on: Option<Date>) -> bool {
        let end = match repaired_on {
            Some(r) if r <= self.until => r,
            _ => self.until.tomorrow().unwrap_or(self.until),
        };
        self.from <= day && day < end
    }

    /// Whether a repair decided on `day` may end publicity: not before the minimum, not for a
    /// 特定严重失信行为, and only while it is still public.
    pub fn may_repair(&self, day: Date, specific_serious: bool) -> Result<(), RepairRefusal> {
        if specific_serious {
            return Err(RepairRefusal::NotRepairable);
        }
        if day < self.repair_from {
            return Err(RepairRefusal::TooEarly {
                from: self.repair_from,
            });
        }
        if day > self.until {
            return Err(RepairRefusal::AlreadyEnded);
        }
        Ok(())
    }

    /// The publicity after a breached 信用修复型 commitment: republished from `breached` for the
    /// maximum period of its areas.
    pub fn republished(
        breached: Date,
        areas: &[Area],
        rules: &Rules,
    ) -> Result<Publicity, PublicityError> {
        let (_, max) = rules.months(areas)?;
        let until = add_months(breached, max)?;
        Ok(Publicity {
            from: breached,
            repair_from: until,
            until,
        })
    }
}

/// Why a credit repair cannot end publicity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RepairRefusal {
    #[error("publicity can be ended early only from {from}")]
    TooEarly { from: Date },
    #[error("a specific serious dishonest act cannot be repaired during publicity")]
    NotRepairable,
    #[error("publicity has already ended")]
    AlreadyEnded,
}

impl RepairRefusal {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            RepairRefusal::TooEarly { .. } => "repair_too_early",
            RepairRefusal::NotRepairable => "not_repairable",
            RepairRefusal::AlreadyEnded => "publicity_ended",
        }
    }

    /// 中文说明.
    pub fn message_zh(&self) -> String {
        match self {
            RepairRefusal::TooEarly { from } => {
                format!("最短公示期未满，{from} 起方可申请提前停止公示")
            }
            RepairRefusal::NotRepairable => "特定严重失信行为在公示期内不予信用修复".into(),
            RepairRefusal::AlreadyEnded => "公示期已结束".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn the_shipped_table_loads() {
        let r = builtin();
        assert_eq!(r.months(&[Area::General]), Ok((3, 36)));
        assert_eq!(r.months(&[Area::Fire]), Ok((12, 36)));
        // Several areas: the longest minimum and maximum.
        assert_eq!(
            r.months(&[Area::General, Area::SpecialEquipment]),
            Ok((12, 36))
        );
        assert_eq!(r.months(&[]), Err(PublicityError::NoArea));
    }

    #[test]
    fn periods_are_worked_from_the_decision_date() {
        let r = builtin();
        // Decided 2026-03-15: repairable from 2026-06-15, public to 2029-03-15 inclusive.
        let p = Publicity::of(date(2026, 3, 15), &[Area::General], r).unwrap();
        assert_eq!(
            (p.repair_from, p.until),
            (date(2026, 6, 15), date(2029, 3, 15))
        );
        assert!(p.is_public(date(2029, 3, 15), None));
        assert!(!p.is_public(date(2029, 3, 16), None));
        assert!(!p.is_public(date(2026, 3, 14), None));
        // A fire-safety penalty decided on a leap day: repairable a year later on 2025-02-28
        // (February 2025 has no 29th), public to 2027-02-28.
        let f = Publicity::of(date(2024, 2, 29), &[Area::Fire], r).unwrap();
        assert_eq!(
            (f.repair_from, f.until),
            (date(2025, 2, 28), date(2027, 2, 28))
        );
        // Decided 2025-11-30, general: the minimum ends 2026-02-28.
        let g = Publicity::of(date(2025, 11, 30), &[Area::General], r).unwrap();
        assert_eq!(g.repair_from, date(2026, 2, 28));
    }

    #[test]
    fn repair_ends_publicity_early_only_where_the_rules_allow() {
        let r = builtin();
        let p = Publicity::of(date(2026, 3, 15), &[Area::General], r).unwrap();
        assert_eq!(
            p.may_repair(date(2026, 6, 14), false).unwrap_err().code(),
            "repair_too_early"
        );
        assert_eq!(p.may_repair(date(2026, 6, 15), false), Ok(()));
        assert_eq!(
            p.may_repair(date(2026, 7, 1), true).unwrap_err().code(),
            "not_repairable"
        );
        assert!(p.is_public(date(2026, 6, 30), Some(date(2026, 7, 1))));
        assert!(!p.is_public(date(2026, 7, 1), Some(date(2026, 7, 1))));
        // A breached repair commitment: public again for the full 3 years from the breach.
        let again = Publicity::republished(date(2026, 9, 1), &[Area::General], r).unwrap();
        assert_eq!(again.until, date(2029, 9, 1));
    }

    #[test]
    fn broken_tables_are_refused() {
        for bad in [
            r#"{"version": "x", "rules": []}"#,
            r#"{"version": "x", "rules": [{"area": "general", "zh": "", "min_months": 4, "max_months": 3, "source": ""}]}"#,
            r#"{"version": "x", "rules": [{"area": "general", "zh": "", "min_months": 3, "max_months": 36, "source": ""}, {"area": "general", "zh": "", "min_months": 3, "max_months": 36, "source": ""}]}"#,
        ] {
            assert!(Rules::parse(bad).is_err(), "{bad}");
        }
    }
}
