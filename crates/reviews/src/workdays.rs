//! The working-day calendar: China's public holidays (放假调休) and adjusted working days (调休上班)
//! from the State Council General Office's annual notices, as data (`data/calendar_cn.json`),
//! overridable locally; and deadline arithmetic over it.
//!
//! A date is a working day when the calendar says so (a 调休 weekend day), or when it is a Monday
//! to Friday the calendar does not mark as a holiday. Only the years whose notice is in the data
//! are *covered*; working-day arithmetic that reaches an uncovered year is refused rather than
//! guessed.
//!
//! **Day of receipt.** [`add_working_days`] counts the working days strictly after the given
//! date: the day a 差评 is received never counts, whether it is a working day or not. A case
//! received on a holiday or weekend therefore starts its count on the next working day, exactly as
//! one received on the last working day before it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use jiff::civil::{Date, Weekday};
use jiff::ToSpan;
use lc_registry::{Check, FieldError};
use serde::{Deserialize, Serialize};

const BUILTIN: &str = include_str!("../data/calendar_cn.json");

/// What the calendar says of a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// 放假: a day off (statutory holiday or a 调休 day off).
    Holiday,
    /// 调休上班: a day worked.
    Workday,
}

/// The calendar.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Calendar {
    pub days: BTreeMap<Date, DayKind>,
    /// The years whose notice the data holds.
    pub years: BTreeSet<i16>,
}

/// A local entry overriding the national data (a local holiday, a moved working day).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LocalDay {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub kind: DayKind,
}

#[derive(Deserialize)]
struct File {
    years: Vec<Year>,
}

#[derive(Deserialize)]
struct Year {
    year: i16,
    holidays: Vec<(String, String)>,
    workdays: Vec<String>,
}

/// A date outside the calendar's data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the working-day calendar does not cover {year}")]
pub struct NotCovered {
    pub year: i16,
}

impl NotCovered {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        "calendar_not_covered"
    }

    /// 中文说明.
    pub fn message_zh(&self) -> String {
        format!("工作日历未包含 {} 年的放假安排", self.year)
    }
}

static NATIONAL: LazyLock<Calendar> = LazyLock::new(|| {
    // Checked by a test; a broken embedded file is a build defect.
    Calendar::parse(BUILTIN).expect("data/calendar_cn.json is valid")
});

fn date(c: &mut Check, field: &str, s: &str) -> Option<Date> {
    let d = lc_services::time::parse_date(s).ok();
    if d.is_none() {
        c.fail(
            field,
            "invalid_date",
            format!("{field} 应为 YYYY-MM-DD，而非 '{s}'"),
            format!("{field} should be YYYY-MM-DD, not '{s}'"),
        );
    }
    d
}

impl Calendar {
    /// The national calendar shipped with the crate.
    pub fn national() -> &'static Calendar {
        &NATIONAL
    }

    /// Parses and checks calendar data: dates valid and inside their year, ranges ordered, no date
    /// both a holiday and a working day, each year once.
    pub fn parse(json: &str) -> Result<Calendar, Vec<FieldError>> {
        let f: File = serde_json::from_str(json).map_err(|e| crate::data_error("calendar", e))?;
        let mut c = Check::new();
        let mut cal = Calendar::default();
        for (i, y) in f.years.iter().enumerate() {
            let field = format!("years[{i}]");
            if !cal.years.insert(y.year) {
                c.fail(
                    &field,
                    "duplicate_year",
                    format!("{field} 年份 {} 重复", y.year),
                    format!("{field}: year {} appears twice", y.year),
                );
            }
            let mut put = |c: &mut Check, f: &str, d: Date, kind: DayKind| {
                if d.year() != y.year {
                    c.fail(
                        f,
                        "wrong_year",
                        format!("{f} 不在 {} 年内", y.year),
                        format!("{f} is not in {}", y.year),
                    );
                } else if cal.days.insert(d, kind).is_some_and(|k| k != kind) {
                    c.fail(
                        f,
                        "conflicting_day",
                        format!("{f} 同时为放假日和上班日"),
                        format!("{f} is both a holiday and a working day"),
                    );
                }
            };
            for (j, (a, b)) in y.holidays.iter().enumerate() {
                let f = format!("{field}.holidays[{j}]");
                let (Some(a), Some(b)) = (date(&mut c, &f, a), date(&mut c, &f, b)) else {
                    continue;
                };
                if b < a || (b - a).get_days() > 31 {
                    c.fail(
                        &f,
                        "invalid_range",
                        format!("{f} 起止日期无效"),
                        format!("{f} has an invalid range"),
                    );
                    continue;
                }
                let mut d = a;
                while d <= b {
                    put(&mut c, &f, d, DayKind::Holiday);
                    d = d.tomorrow().expect("within range");
                }
            }
            for (j, s) in y.workdays.iter().enumerate() {
                let f = format!("{field}.workdays[{j}]");
                if let Some(d) = date(&mut c, &f, s) {
                    put(&mut c, &f, d, DayKind::Workday);
                }
            }
        }
        c.finish()?;
        Ok(cal)
    }

    /// This calendar with local entries on top: a local entry replaces the national one for its
    /// date, and covers its year only if the national data already does (a local entry cannot
    /// stand in for a missing State Council notice).
    pub fn with_local(&self, local: &[LocalDay]) -> Result<Calendar, Vec<FieldError>> {
        let mut c = Check::new();
        let mut out = self.clone();
        for (i, e) in local.iter().enumerate() {
            let f = format!("local[{i}].date");
            if let Some(d) = date(&mut c, &f, &e.date) {
                out.days.insert(d, e.kind);
            }
        }
        c.finish()?;
        Ok(out)
    }

    /// Whether the data covers a date's year.
    pub fn covers(&self, d: Date) -> bool {
        self.years.contains(&d.year())
    }

    /// Whether a date is a working day (whatever the coverage).
    pub fn is_working_day(&self, d: Date) -> bool {
        match self.days.get(&d) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::Workday) => true,
            None => !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday),
        }
    }
}

/// The `n`th working day strictly after `date` (`date` itself when `n` is 0). Refused when a day
/// counted lies in a year the calendar does not cover.
pub fn add_working_days(date: Date, n: u32, calendar: &Calendar) -> Result<Date, NotCovered> {
    let mut d = date;
    let mut left = n;
    while left > 0 {
        d = d.tomorrow().map_err(|_| NotCovered { year: d.year() })?;
        if !calendar.covers(d) {
            return Err(NotCovered { year: d.year() });
        }
        if calendar.is_working_day(d) {
            left -= 1;
        }
    }
    Ok(d)
}

/// The `n`th weekday (Monday to Friday) strictly after `date`: the count where no holiday
/// notice covers the year yet (an estimate, to be said so).
pub fn add_weekdays(date: Date, n: u32) -> Date {
    let mut d = date;
    let mut left = n;
    while left > 0 {
        let Ok(next) = d.tomorrow() else {
            return Date::MAX;
        };
        d = next;
        if !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) {
            left -= 1;
        }
    }
    d
}

/// `date` plus `n` calendar days (自然日); the day of receipt does not count either.
pub fn add_natural_days(date: Date, n: u32) -> Date {
    date.checked_add((n as i64).days()).unwrap_or(Date::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn the_2025_and_2026_notices_are_in_the_data() {
        let cal = Calendar::national();
        assert!(cal.covers(date(2026, 6, 1)));
        assert!(cal.covers(date(2025, 12, 31)));
        assert!(!cal.covers(date(2024, 12, 31)));
        assert!(!cal.is_working_day(date(2026, 2, 16))); // Monday in the Spring Festival.
        assert!(cal.is_working_day(date(2026, 2, 14))); // 调休 Saturday.
        assert!(cal.is_working_day(date(2026, 1, 4))); // 调休 Sunday.
        assert!(!cal.is_working_day(date(2026, 10, 7)));
        let holidays = |y: i16| {
            cal.days
                .iter()
                .filter(|(d, k)| d.year() == y && **k == DayKind::Holiday)
                .count()
        };
        assert_eq!(holidays(2026), 3 + 9 + 3 + 5 + 3 + 3 + 7);
        assert_eq!(holidays(2025), 1 + 8 + 3 + 5 + 3 + 8);
    }

    #[test]
    fn day_of_receipt_never_counts() {
        let cal = Calendar::national();
        // Received on Friday 2026-02-13, on the 调休 Saturday 02-14, or on holiday Sunday 02-15:
        // the first working day counted is Tuesday 02-24 in every case.
        for received in [date(2026, 2, 14), date(2026, 2, 15), date(2026, 2, 20)] {
            assert_eq!(add_working_days(received, 1, cal), Ok(date(2026, 2, 24)));
        }
        assert_eq!(
            add_working_days(date(2026, 2, 13), 1, cal),
            Ok(date(2026, 2, 14))
        );
        assert_eq!(
            add_working_days(date(2026, 2, 15), 0, cal),
            Ok(date(2026, 2, 15))
        );
        assert_eq!(add_natural_days(date(2026, 2, 14), 7), date(2026, 2, 21));
    }

    #[test]
    fn uncovered_years_are_refused_and_local_entries_override() {
        let cal = Calendar::national();
        assert_eq!(
            add_working_days(date(2026, 12, 30), 5, cal),
            Err(NotCovered { year: 2027 })
        );
        let local = cal
            .with_local(&[LocalDay {
                date: "2026-03-02".into(),
                kind: DayKind::Holiday,
            }])
            .unwrap();
        assert_eq!(
            add_working_days(date(2026, 2, 27), 2, &local),
            Ok(date(2026, 3, 3))
        );
        assert_eq!(
            add_working_days(date(2026, 2, 27), 2, cal),
            Ok(date(2026, 3, 2))
        );
        let bad = r#"{"years":[{"year":2026,"holidays":[["2026-02-01","2026-02-02"]],"workdays":["2026-02-02"]}]}"#;
        assert_eq!(Calendar::parse(bad).unwrap_err()[0].code, "conflicting_day");
    }
}
