//! Weekly opening plans, their exceptions and the public-holiday calendar, and the slots they
//! make (the model of Easy!Appointments' working plan, `PLATFORM.md` §5, with the holidays and
//! 调休 working days of the Chinese calendar).
//!
//! A day's opening hours are, in order of precedence: the plan's exception for that date; on a
//! public holiday of the calendar, closed (when the plan observes the calendar); on a 调休
//! working day (a weekend day worked in exchange for a holiday), the hours of the weekday it
//! works as; otherwise the hours of its weekday. Slots step by the service's duration from the
//! start of each opening interval and end within it. Times are civil times in Asia/Shanghai
//! ([`crate::time`]); a slot is stored as its start and end instants in UTC milliseconds.

use std::collections::BTreeMap;

use jiff::civil::{Date, Time, Weekday};
use lc_registry::{Check, FieldError};
use serde::{Deserialize, Serialize};

use crate::time::{self, format_minutes, parse_minutes};

/// Weekday keys in order, Monday first.
pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn weekday_index(w: Weekday) -> usize {
    w.to_monday_zero_offset() as usize
}

/// An opening interval in minutes since midnight, `[open, close)`.
pub type Interval = (u16, u16);

/// How a plan treats the public-holiday calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Holidays {
    /// Closed on public holidays; open on 调休 working days as the weekday they work as.
    Observe,
    /// The calendar does not apply (e.g. a canteen that serves every day).
    Ignore,
}

/// An opening plan as a client sends it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    /// Opening hours per weekday (`mon` … `sun`), each a list of `HH:MM-HH:MM`; a missing
    /// weekday is closed.
    #[serde(default)]
    pub week: Option<BTreeMap<String, Vec<String>>>,
    /// `observe` (default) or `ignore` the public-holiday calendar.
    #[serde(default)]
    pub holidays: Option<Holidays>,
    /// Dates with other hours (an empty list: closed that day).
    #[serde(default)]
    pub exceptions: Option<Vec<ExceptionInput>>,
}

/// One date's own hours.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExceptionInput {
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub date: Option<String>,
    /// `HH:MM-HH:MM` intervals; empty when closed.
    #[serde(default)]
    pub hours: Option<Vec<String>>,
    /// Why (shown to residents), e.g. "staff training".
    #[serde(default)]
    pub note: Option<String>,
}

/// A checked plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Intervals per weekday, Monday first, sorted and disjoint.
    pub week: [Vec<Interval>; 7],
    pub holidays: Holidays,
    /// Intervals per exceptional date.
    pub exceptions: BTreeMap<Date, Vec<Interval>>,
}

/// What the public calendar says of a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind {
    /// A public holiday (法定节假日 or a day off in exchange, 调休放假).
    Holiday,
    /// A weekend day worked (调休上班), as the given weekday.
    Workday(Weekday),
}

/// The public-holiday calendar: the dates the State Council's yearly notice names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Calendar {
    pub days: BTreeMap<Date, DayKind>,
}

/// Parses `HH:MM-HH:MM` into an interval with open before close.
fn interval(c: &mut Check, field: &str, s: &str) -> Option<Interval> {
    let parsed = s.split_once('-').and_then(|(a, b)| {
        let (a, b) = (parse_minutes(a.trim()).ok()?, parse_minutes(b.trim()).ok()?);
        (a < b).then_some((a, b))
    });
    if parsed.is_none() {
        c.fail(
            field,
            "invalid_hours",
            format!("{field} 应为 HH:MM-HH:MM 且开始早于结束，而非 '{s}'"),
            format!("{field} should be HH:MM-HH:MM with the start before the end, not '{s}'"),
        );
    }
    parsed
}

/// Parses a day's intervals, sorted; overlapping ones are an error.
fn day(c: &mut Check, field: &str, hours: &[String]) -> Vec<Interval> {
    if hours.len() > 12 {
        c.fail(
            field,
            "too_many_intervals",
            format!("{field} 最多 12 个时段"),
            format!("{field} has more than 12 intervals"),
        );
        return Vec::new();
    }
    let mut out: Vec<Interval> = hours
        .iter()
        .enumerate()
        .filter_map(|(i, h)| interval(c, &format!("{field}[{i}]"), h))
        .collect();
    out.sort_unstable();
    if out.windows(2).any(|w| w[1].0 < w[0].1) {
        c.fail(
            field,
            "overlapping_hours",
            format!("{field} 的时段重叠"),
            format!("{field} has overlapping intervals"),
        );
    }
    out
}

impl PlanInput {
    /// Checks the plan.
    pub fn check(&self) -> Result<Plan, Vec<FieldError>> {
        let mut c = Check::new();
        let mut week: [Vec<Interval>; 7] = Default::default();
        match &self.week {
            None => c.required("week"),
            Some(w) => {
                for (k, hours) in w {
                    match WEEKDAYS.iter().position(|d| d == k) {
                        Some(i) => week[i] = day(&mut c, &format!("week.{k}"), hours),
                        None => c.fail(
                            &format!("week.{k}"),
                            "invalid_weekday",
                            format!("星期应为 {} 之一，而非 '{k}'", WEEKDAYS.join("、")),
                            format!("a weekday is one of {}, not '{k}'", WEEKDAYS.join(", ")),
                        ),
                    }
                }
            }
        }
        let mut exceptions = BTreeMap::new();
        let list = self.exceptions.as_deref().unwrap_or_default();
        if list.len() > 400 {
            c.fail(
                "exceptions",
                "too_many",
                "exceptions 最多 400 个日期".into(),
                "exceptions has more than 400 dates".into(),
            );
        } else {
            for (i, e) in list.iter().enumerate() {
                let field = format!("exceptions[{i}]");
                let date = c.text(&format!("{field}.date"), &e.date, 10).and_then(|d| {
                    match time::parse_date(&d) {
                        Ok(d) => Some(d),
                        Err(err) => {
                            c.fail(
                                &format!("{field}.date"),
                                "invalid_date",
                                err.to_string(),
                                err.to_string(),
                            );
                            None
                        }
                    }
                });
                c.opt_text(&format!("{field}.note"), &e.note, 200);
                let hours = day(
                    &mut c,
                    &format!("{field}.hours"),
                    e.hours.as_deref().unwrap_or_default(),
                );
                if let Some(d) = date {
                    if exceptions.insert(d, hours).is_some() {
                        c.fail(
                            &format!("{field}.date"),
                            "duplicate_date",
                            format!("日期 {d} 重复"),
                            format!("the date {d} is given twice"),
                        );
                    }
                }
            }
        }
        c.finish()?;
        Ok(Plan {
            week,
            holidays: self.holidays.unwrap_or(Holidays::Observe),
            exceptions,
        })
    }
}

impl Plan {
    /// The opening intervals of a date.
    pub fn hours_on(&self, date: Date, calendar: &Calendar) -> &[Interval] {
        if let Some(h) = self.exceptions.get(&date) {
            return h;
        }
        let weekday = match (self.holidays, calendar.days.get(&date)) {
            (Holidays::Observe, Some(DayKind::Holiday)) => return &[],
            (Holidays::Observe, Some(DayKind::Workday(as_day))) => *as_day,
            _ => date.weekday(),
        };
        &self.week[weekday_index(weekday)]
    }

    /// The plan written back as a client would send it (for answers).
    pub fn to_input(&self) -> PlanInput {
        let fmt = |iv: &[Interval]| -> Vec<String> {
            iv.iter()
                .map(|(a, b)| format!("{}-{}", format_minutes(*a), format_minutes(*b)))
                .collect()
        };
        PlanInput {
            week: Some(
                WEEKDAYS
                    .iter()
                    .zip(&self.week)
                    .filter(|(_, iv)| !iv.is_empty())
                    .map(|(k, iv)| (k.to_string(), fmt(iv)))
                    .collect(),
            ),
            holidays: Some(self.holidays),
            exceptions: Some(
                self.exceptions
                    .iter()
                    .map(|(d, iv)| ExceptionInput {
                        date: Some(d.to_string()),
                        hours: Some(fmt(iv)),
                        note: None,
                    })
                    .collect(),
            ),
        }
    }
}

/// One bookable slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Slot {
    /// Start and end, ms since the epoch (UTC).
    pub start_ms: i64,
    pub end_ms: i64,
    /// Its civil date and start minute in Asia/Shanghai.
    pub date: Date,
    pub start_min: u16,
}

fn at_minute(date: Date, minute: u16) -> Result<i64, time::TimeError> {
    let (d, m) = if minute >= 1440 {
        (
            date.tomorrow()
                .map_err(|e| time::TimeError::OutOfRange(e.to_string()))?,
            minute - 1440,
        )
    } else {
        (date, minute)
    };
    let t = Time::new((m / 60) as i8, (m % 60) as i8, 0, 0)
        .map_err(|e| time::TimeError::OutOfRange(e.to_string()))?;
    time::instant(d, t)
}

/// The slots of one date for a service of `duration` minutes.
pub fn slots_on(
    plan: &Plan,
    calendar: &Calendar,
    duration: u16,
    date: Date,
) -> Result<Vec<Slot>, time::TimeError> {
    let mut out = Vec::new();
    if duration == 0 {
        return Ok(out);
    }
    for &(open, close) in plan.hours_on(date, calendar) {
        let mut m = open;
        while m + duration <= close {
            out.push(Slot {
                start_ms: at_minute(date, m)?,
                end_ms: at_minute(date, m + duration)?,
                date,
                start_min: m,
            });
            m += duration;
        }
    }
    Ok(out)
}

/// The slots from `from` to `to` (dates inclusive), at most 62 days.
pub fn slots_between(
    plan: &Plan,
    calendar: &Calendar,
    duration: u16,
    from: Date,
    to: Date,
) -> Result<Vec<Slot>, time::TimeError> {
    let mut out = Vec::new();
    let mut d = from;
    let mut n = 0;
    while d <= to && n < 62 {
        out.extend(slots_on(plan, calendar, duration, d)?);
        d = d
            .tomorrow()
            .map_err(|e| time::TimeError::OutOfRange(e.to_string()))?;
        n += 1;
    }
    Ok(out)
}

/// The slot that starts at an instant, if the plan has one there.
pub fn slot_at(
    plan: &Plan,
    calendar: &Calendar,
    duration: u16,
    start_ms: i64,
) -> Result<Option<Slot>, time::TimeError> {
    let date = time::local_date(start_ms)?;
    Ok(slots_on(plan, calendar, duration, date)?
        .into_iter()
        .find(|s| s.start_ms == start_ms))
}

/// One entry of the calendar as a client sends it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarDayInput {
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub date: Option<String>,
    /// `holiday` (放假) or `workday` (调休上班).
    #[serde(default)]
    pub kind: Option<String>,
    /// For a workday: the weekday whose hours apply (`mon` … `fri`).
    #[serde(default)]
    pub works_as: Option<String>,
    /// The holiday's name (春节).
    #[serde(default)]
    pub name: Option<String>,
}

/// A checked calendar day.
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarDay {
    pub date: Date,
    pub kind: DayKind,
    pub name: String,
}

impl CalendarDayInput {
    /// Checks the entry.
    pub fn check(&self) -> Result<CalendarDay, Vec<FieldError>> {
        let mut c = Check::new();
        let date = c
            .text("date", &self.date, 10)
            .and_then(|d| match time::parse_date(&d) {
                Ok(d) => Some(d),
                Err(e) => {
                    c.fail("date", "invalid_date", e.to_string(), e.to_string());
                    None
                }
            });
        let name = c.text("name", &self.name, 40);
        let kind = match c.text("kind", &self.kind, 16).as_deref() {
            Some("holiday") => {
                if self.works_as.is_some() {
                    c.fail(
                        "works_as",
                        "not_applicable",
                        "放假日不需要 works_as".into(),
                        "a holiday takes no works_as".into(),
                    );
                }
                Some(DayKind::Holiday)
            }
            Some("workday") => {
                let w = c.text("works_as", &self.works_as, 3);
                match w
                    .as_deref()
                    .and_then(|w| WEEKDAYS[..5].iter().position(|d| *d == w))
                {
                    Some(i) => Some(DayKind::Workday(
                        Weekday::from_monday_zero_offset(i as i8).unwrap_or(Weekday::Monday),
                    )),
                    None => {
                        if w.is_some() {
                            c.fail(
                                "works_as",
                                "invalid_weekday",
                                "works_as 应为 mon 至 fri".into(),
                                "works_as should be one of mon … fri".into(),
                            );
                        }
                        None
                    }
                }
            }
            Some(other) => {
                c.fail(
                    "kind",
                    "invalid_kind",
                    format!("kind 应为 holiday（放假）或 workday（调休上班），而非 '{other}'"),
                    format!("kind should be holiday or workday, not '{other}'"),
                );
                None
            }
            None => None,
        };
        c.finish()?;
        match (date, kind, name) {
            (Some(date), Some(kind), Some(name)) => Ok(CalendarDay { date, kind, name }),
            _ => Err(Vec::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn plan(json: serde_json::Value) -> Plan {
        serde_json::from_value::<PlanInput>(json)
            .unwrap()
            .check()
            .unwrap()
    }

    fn canteen() -> Plan {
        plan(serde_json::json!({
            "week": {"mon": ["11:00-13:00", "17:00-18:00"], "tue": ["11:00-13:00"],
                     "wed": ["11:00-13:00"], "thu": ["11:00-13:00"], "fri": ["11:00-13:00"]},
            "exceptions": [{"date": "2026-12-09", "hours": [], "note": "消防检查"}]
        }))
    }

    #[test]
    fn slots_follow_the_week_exceptions_and_calendar() {
        let p = canteen();
        let mut cal = Calendar::default();
        // 2026-12-07 is a Monday: 2 slots at noon, 1 in the evening (60-minute meals).
        let s = slots_on(&p, &cal, 60, date(2026, 12, 7)).unwrap();
        let starts: Vec<u16> = s.iter().map(|s| s.start_min).collect();
        assert_eq!(starts, [660, 720, 1020]);
        // 11:00 in Shanghai is 03:00 UTC.
        assert_eq!(s[0].start_ms % 86_400_000, 3 * 3_600_000);
        assert_eq!(s[0].end_ms - s[0].start_ms, 3_600_000);
        // A 45-minute service: 11:00, 11:45 (12:30 would end at 13:15, past closing).
        assert_eq!(slots_on(&p, &cal, 45, date(2026, 12, 8)).unwrap().len(), 2);
        // The exception closes Wednesday the 9th; Saturday is closed.
        assert!(slots_on(&p, &cal, 60, date(2026, 12, 9))
            .unwrap()
            .is_empty());
        assert!(slots_on(&p, &cal, 60, date(2026, 12, 12))
            .unwrap()
            .is_empty());
        // A public holiday closes a Tuesday; a 调休 Saturday working as Monday opens.
        cal.days.insert(date(2026, 12, 8), DayKind::Holiday);
        cal.days
            .insert(date(2026, 12, 12), DayKind::Workday(Weekday::Monday));
        assert!(slots_on(&p, &cal, 60, date(2026, 12, 8))
            .unwrap()
            .is_empty());
        assert_eq!(slots_on(&p, &cal, 60, date(2026, 12, 12)).unwrap().len(), 3);
        // A plan that ignores the calendar keeps its week.
        let mut always = p.clone();
        always.holidays = Holidays::Ignore;
        assert_eq!(
            slots_on(&always, &cal, 60, date(2026, 12, 8))
                .unwrap()
                .len(),
            2
        );
        assert!(slots_on(&always, &cal, 60, date(2026, 12, 12))
            .unwrap()
            .is_empty());
        // slot_at finds a start, and nothing between starts.
        let noon = s[1].start_ms;
        assert_eq!(slot_at(&p, &cal, 60, noon).unwrap(), Some(s[1]));
        assert_eq!(slot_at(&p, &cal, 60, noon + 60_000).unwrap(), None);
        // A week: 5 weekdays minus the holiday and the exception, plus the 调休 Saturday.
        let week = slots_between(&p, &cal, 60, date(2026, 12, 7), date(2026, 12, 13)).unwrap();
        assert_eq!(week.len(), 3 + 2 + 2 + 3);
        assert!(week.windows(2).all(|w| w[0].start_ms < w[1].start_ms));
    }

    #[test]
    fn a_day_ending_at_midnight_ends_on_the_next_date() {
        let p = plan(serde_json::json!({"week": {"sun": ["22:00-24:00"]}}));
        let s = slots_on(&p, &Calendar::default(), 120, date(2026, 12, 13)).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(time::local_date(s[0].end_ms).unwrap(), date(2026, 12, 14));
    }

    #[test]
    fn bad_plans_are_refused_field_by_field() {
        let e = serde_json::from_value::<PlanInput>(serde_json::json!({
            "week": {"mon": ["11:00-10:00", "09:00-12:00", "10:00-11:00"], "xyz": []},
            "exceptions": [{"date": "2026-02-30", "hours": []}, {"date": "2026-03-01"}, {"date": "2026-03-01"}]
        }))
        .unwrap()
        .check()
        .unwrap_err();
        let got: Vec<(&str, &str)> = e.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert_eq!(
            got,
            [
                ("week.mon[0]", "invalid_hours"),
                ("week.mon", "overlapping_hours"),
                ("week.xyz", "invalid_weekday"),
                ("exceptions[0].date", "invalid_date"),
                ("exceptions[2].date", "duplicate_date"),
            ]
        );
        // The plan round-trips through its input form.
        let p = canteen();
        assert_eq!(p.to_input().check().unwrap().week, p.week);
    }

    #[test]
    fn calendar_days_are_checked() {
        let ok = |j| {
            serde_json::from_value::<CalendarDayInput>(j)
                .unwrap()
                .check()
        };
        let d = ok(serde_json::json!({"date": "2027-02-20", "kind": "workday", "works_as": "fri", "name": "春节调休"})).unwrap();
        assert_eq!(d.kind, DayKind::Workday(Weekday::Friday));
        let e = ok(serde_json::json!({"date": "2027-02-20", "kind": "workday", "works_as": "sat", "name": "x"})).unwrap_err();
        assert_eq!(e[0].code, "invalid_weekday");
        let e =
            ok(serde_json::json!({"date": "2027-02-20", "kind": "off", "name": "x"})).unwrap_err();
        assert_eq!(e[0].code, "invalid_kind");
    }
}
