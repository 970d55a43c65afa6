//! Per-jurisdiction rules as data (`data/jurisdictions.json`): the 差评 rectification deadline in
//! working or natural days, and the default rating given when a resident does not rate in time
//! (Guangdong: 基本满意 after 7 natural days). The default rating is off unless a jurisdiction
//! turns it on.

use std::sync::LazyLock;

use jiff::civil::Date;
use lc_registry::{Check, FieldError};
use serde::{Deserialize, Serialize};

use crate::level::Level;
use crate::workdays::{add_natural_days, add_working_days, Calendar, NotCovered};

const BUILTIN: &str = include_str!("../data/jurisdictions.json");

/// Working or natural days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DayUnit {
    /// 工作日.
    Working,
    /// 自然日.
    Natural,
}

/// A period counted from a date (the date itself not counted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Period {
    pub days: u32,
    pub unit: DayUnit,
}

impl Period {
    /// The last day of the period starting after `from`.
    pub fn end(self, from: Date, calendar: &Calendar) -> Result<Date, NotCovered> {
        match self.unit {
            DayUnit::Working => add_working_days(from, self.days, calendar),
            DayUnit::Natural => Ok(add_natural_days(from, self.days)),
        }
    }
}

/// The default rating rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DefaultRating {
    /// The time a resident has to rate, counted from the day of service.
    pub after: Period,
    pub level: Level,
}

/// One jurisdiction's rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Jurisdiction {
    pub key: String,
    pub zh: String,
    pub en: String,
    /// The 差评 rectification deadline from receipt; `None` when no source gives one.
    pub rectify: Option<Period>,
    /// `None`: no default rating.
    pub default_rating: Option<DefaultRating>,
    pub source: String,
}

#[derive(Deserialize)]
struct File {
    jurisdictions: Vec<Jurisdiction>,
}

static BUILTIN_RULES: LazyLock<Vec<Jurisdiction>> = LazyLock::new(|| {
    // Checked by a test; a broken embedded file is a build defect.
    parse(BUILTIN).expect("data/jurisdictions.json is valid")
});

/// The shipped jurisdictions.
pub fn builtin() -> &'static [Jurisdiction] {
    &BUILTIN_RULES
}

/// A shipped jurisdiction by key.
pub fn get(key: &str) -> Option<&'static Jurisdiction> {
    builtin().iter().find(|j| j.key == key)
}

/// Parses and checks jurisdiction data: unique keys, deadlines of 1 to 90 days.
pub fn parse(json: &str) -> Result<Vec<Jurisdiction>, Vec<FieldError>> {
    let f: File = serde_json::from_str(json).map_err(|e| crate::data_error("jurisdictions", e))?;
    let mut c = Check::new();
    for (i, j) in f.jurisdictions.iter().enumerate() {
        let field = format!("jurisdictions[{i}]");
        if j.key.is_empty() || f.jurisdictions[..i].iter().any(|o| o.key == j.key) {
            c.fail(
                &field,
                "duplicate_jurisdiction",
                format!("{field} 键为空或重复：'{}'", j.key),
                format!("{field}: key empty or repeated: '{}'", j.key),
            );
        }
        let periods = j
            .rectify
            .iter()
            .chain(j.default_rating.as_ref().map(|d| &d.after));
        for p in periods {
            if !(1..=90).contains(&p.days) {
                c.fail(
                    &field,
                    "out_of_range",
                    format!("{field} 期限应为 1 至 90 天，而非 {}", p.days),
                    format!("{field}: a period should be 1 to 90 days, not {}", p.days),
                );
            }
        }
    }
    c.finish()?;
    Ok(f.jurisdictions)
}

impl Jurisdiction {
    /// The rectification deadline of a 差评 received on `received`, if the jurisdiction sets one.
    pub fn deadline(
        &self,
        received: Date,
        calendar: &Calendar,
    ) -> Result<Option<Date>, NotCovered> {
        self.rectify.map(|p| p.end(received, calendar)).transpose()
    }

    /// The default rating due on `today` for a service delivered on `served` and not yet rated:
    /// `Some` only when the jurisdiction turns it on and the period has passed.
    pub fn default_rating(
        &self,
        served: Date,
        today: Date,
        calendar: &Calendar,
    ) -> Result<Option<Level>, NotCovered> {
        let Some(rule) = self.default_rating else {
            return Ok(None);
        };
        let last = rule.after.end(served, calendar)?;
        Ok((today > last).then_some(rule.level))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn shipped_rules() {
        let cal = Calendar::national();
        let sc = get("sichuan").unwrap();
        assert_eq!(
            sc.rectify,
            Some(Period {
                days: 15,
                unit: DayUnit::Working
            })
        );
        assert_eq!(
            sc.default_rating(date(2026, 3, 2), date(2026, 6, 1), cal),
            Ok(None)
        );
        let gd = get("guangdong").unwrap();
        // Served Monday 2026-03-02: the resident may rate up to 03-09; from 03-10 it is 基本满意.
        assert_eq!(
            gd.default_rating(date(2026, 3, 2), date(2026, 3, 9), cal),
            Ok(None)
        );
        assert_eq!(
            gd.default_rating(date(2026, 3, 2), date(2026, 3, 10), cal),
            Ok(Some(Level::Basic))
        );
        assert_eq!(gd.deadline(date(2026, 3, 2), cal), Ok(None));
        assert_eq!(
            get("dezhou").unwrap().deadline(date(2026, 3, 2), cal),
            Ok(Some(date(2026, 3, 9)))
        );
    }
}
