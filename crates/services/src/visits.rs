//! Monthly visits (探访关爱) and the monthly visit rate.
//!
//! **Who is due.** A person in the register is due one visit in every month (Asia/Shanghai)
//! during which they are registered on at least one day: `since ≤ last day of the month` and
//! (`until` absent or `until ≥ first day of the month`). So someone added on the 20th is due
//! that month, someone who left on the 3rd is due that month too, and someone who left before
//! the month began is not ([`is_due`]).
//!
//! **Who was visited.** A person is visited in a month when at least one of their visit
//! records *starts* in that month in Asia/Shanghai (the instant's civil month, not its UTC
//! month): a visit at 23:30 on 30 November in Shanghai (15:30 UTC) counts for November, one at
//! 00:10 on 1 December in Shanghai (16:10 UTC on 30 November) for December.
//!
//! **The rate** ([`visit_rates`]) of a region is the number of persons due there who were
//! visited, over the number of persons due; a region without anyone due has no rate (not
//! computable, never 0). Regions are the community and, from the community's division code,
//! its street (9 digits), district (6), city (4) and province (2).
//!
//! A visit record ([`VisitInput`] → [`Visit`]) holds EVV's six elements: the kind of service
//! (上门 home visit, 电话视频 phone or video call), whom (the register entry), the date, where,
//! who visited, and start and end time (end after start, on the visit's date, not in the
//! future), plus the outcome and the needs found.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::{Date, Time};
use lc_registry::{Check, DivisionLevel, FieldError};
use serde::{Deserialize, Serialize};

use crate::care::{check_visitor, is_service_key, MultiLine, MAX_NOTES};
use crate::time::{instant, parse_date, parse_minutes, TimeError, YearMonth};

/// How a visit is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VisitMode {
    /// 上门: at home.
    Home,
    /// 电话视频: by phone or video.
    PhoneVideo,
}

impl VisitMode {
    /// As stored.
    pub fn key(self) -> &'static str {
        match self {
            VisitMode::Home => "home",
            VisitMode::PhoneVideo => "phone_video",
        }
    }
}

/// A need found on a visit.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NeedInput {
    /// Service type key, if the need is for one (`meal`, `bathing`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// What is needed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// A need, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Need {
    pub service: Option<String>,
    pub text: String,
}

/// A visit record as a client sends it. Times are civil times in Asia/Shanghai.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitInput {
    /// Whom: the register entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub register_id: Option<i64>,
    /// Kind of service: `home` (上门) or `phone_video` (电话视频).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<VisitMode>,
    /// Date, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Start, `HH:MM`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// End, `HH:MM` (after the start, the same day; `24:00` is midnight).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    /// Where (an address, or how the call was made).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    /// Who visited: a community worker's account (default: the caller)…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visitor_user_id: Option<i64>,
    /// …or a volunteer's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visitor_name: Option<String>,
    /// What came of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// Needs found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub needs: Option<Vec<NeedInput>>,
}

/// A checked visit.
#[derive(Debug, Clone, PartialEq)]
pub struct Visit {
    pub register_id: i64,
    pub mode: VisitMode,
    pub date: Date,
    /// Instants, milliseconds since the epoch (UTC).
    pub started_at: i64,
    pub ended_at: i64,
    /// The month (Asia/Shanghai) it counts for.
    pub month: YearMonth,
    pub place: String,
    pub visitor_user_id: Option<i64>,
    pub visitor_name: Option<String>,
    pub outcome: String,
    pub needs: Vec<Need>,
}

/// At most so many needs on one visit.
pub const MAX_NEEDS: usize = 20;

impl VisitInput {
    /// Checks the record; `now_ms` is the present (a visit cannot end in the future).
    pub fn check(self, now_ms: i64) -> Result<Visit, Vec<FieldError>> {
        let mut c = Check::new();
        let register_id = match self.register_id {
            Some(x) if x > 0 => Some(x),
            Some(x) => {
                c.fail(
                    "register_id",
                    "out_of_range",
                    format!("register_id 应为正整数：{x}"),
                    format!("register_id must be a positive integer: {x}"),
                );
                None
            }
            None => {
                c.required("register_id");
                None
            }
        };
        if self.mode.is_none() {
            c.required("mode");
        }
        let span = check_span(&mut c, &self.date, &self.start, &self.end, now_ms);
        let (date, times) = match span {
            Some((d, a, b)) => (Some(d), Some((a, b))),
            None => (None, None),
        };
        let place = c.text("place", &self.place, 200);
        let (visitor_user_id, visitor_name) =
            check_visitor(&mut c, self.visitor_user_id, &self.visitor_name);
        let outcome = match c.opt_text_multiline("outcome", &self.outcome, MAX_NOTES) {
            Some(o) => Some(o),
            None => {
                if self
                    .outcome
                    .as_deref()
                    .map(str::trim)
                    .unwrap_or("")
                    .is_empty()
                {
                    c.required("outcome");
                }
                None
            }
        };
        let mut needs = Vec::new();
        let list = self.needs.unwrap_or_default();
        if list.len() > MAX_NEEDS {
            c.fail(
                "needs",
                "too_many",
                format!("needs 最多 {MAX_NEEDS} 项"),
                format!("at most {MAX_NEEDS} needs"),
            );
        }
        for (i, n) in list.into_iter().take(MAX_NEEDS).enumerate() {
            let field = format!("needs[{i}].text");
            let text = c.text(&field, &n.text, 500);
            let service = n.service.filter(|s| !s.is_empty());
            if let Some(s) = &service {
                if !is_service_key(s) {
                    c.fail(
                        &format!("needs[{i}].service"),
                        "invalid_service",
                        format!("服务类型应为 1-32 个小写字母或下划线：{s}"),
                        format!("a service type is 1-32 lower-case letters or underscores: {s}"),
                    );
                }
            }
            if let Some(text) = text {
                needs.push(Need { service, text });
            }
        }
        c.finish()?;
        match (register_id, self.mode, date, times, place, outcome) {
            (
                Some(register_id),
                Some(mode),
                Some(date),
                Some((started_at, ended_at)),
                Some(place),
                Some(outcome),
            ) => Ok(Visit {
                register_id,
                mode,
                date,
                started_at,
                ended_at,
                month: YearMonth::of_date(date),
                place,
                visitor_user_id,
                visitor_name,
                outcome,
                needs,
            }),
            _ => Err(vec![]),
        }
    }
}

/// Checks the date and the start and end of a visit (EVV's date and its start and end time),
/// civil times in Asia/Shanghai: a real date (1900–2199), `HH:MM` times, the end after the
/// start on the same day (`24:00` is midnight), not ending in the future. The date and the
/// instants (ms, UTC) of the start and end; `None` when a field failed (recorded in `c`).
pub(crate) fn check_span(
    c: &mut Check,
    date: &Option<String>,
    start: &Option<String>,
    end: &Option<String>,
    now_ms: i64,
) -> Option<(Date, i64, i64)> {
    let date = match date.as_deref() {
        None | Some("") => {
            c.required("date");
            None
        }
        Some(s) => match parse_date(s) {
            Ok(d) if (1900..=2199).contains(&d.year()) => Some(d),
            _ => {
                c.fail(
                    "date",
                    "invalid_date",
                    format!("date 不是有效日期（格式 YYYY-MM-DD）：{s}"),
                    format!("date is not a real date in the form YYYY-MM-DD: {s}"),
                );
                None
            }
        },
    };
    let mut minutes = |field: &str, v: &Option<String>| match v.as_deref() {
        None | Some("") => {
            c.required(field);
            None
        }
        Some(s) => match parse_minutes(s) {
            Ok(m) => Some(m),
            Err(_) => {
                c.fail(
                    field,
                    "invalid_time",
                    format!("{field} 应为 HH:MM：{s}"),
                    format!("{field} must be HH:MM: {s}"),
                );
                None
            }
        },
    };
    let start = minutes("start", start);
    let end = minutes("end", end);
    let (d, s, e) = (date?, start?, end?);
    if e <= s {
        c.fail(
            "end",
            "end_before_start",
            "结束时间应晚于开始时间".into(),
            "the end must be after the start".into(),
        );
        return None;
    }
    let at = |m: u16| -> Result<i64, TimeError> {
        if m == 1440 {
            crate::time::start_of_day(
                d.tomorrow()
                    .map_err(|e| TimeError::OutOfRange(e.to_string()))?,
            )
        } else {
            let t = Time::new((m / 60) as i8, (m % 60) as i8, 0, 0)
                .map_err(|e| TimeError::OutOfRange(e.to_string()))?;
            instant(d, t)
        }
    };
    match (at(s), at(e)) {
        (Ok(a), Ok(b)) if b > now_ms => {
            c.fail(
                "end",
                "in_future",
                "探访结束时间不能在将来".into(),
                format!("the visit cannot end in the future ({a}–{b})"),
            );
            None
        }
        (Ok(a), Ok(b)) => Some((d, a, b)),
        _ => {
            c.fail(
                "date",
                "out_of_range",
                "日期超出范围".into(),
                "the date is out of range".into(),
            );
            None
        }
    }
}

/// Whether a person registered from `since` to `until` (inclusive; `None`: still registered)
/// is due a visit in `month`.
pub fn is_due(since: Date, until: Option<Date>, month: YearMonth) -> bool {
    since <= month.last_day() && until.is_none_or(|u| u >= month.first_day())
}

/// A person in the register, as the rate needs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub person: i64,
    pub community: String,
    /// The community's division code, if it has one.
    pub division_code: Option<String>,
    pub since: Date,
    pub until: Option<Date>,
}

/// A visit, as the rate needs it: whom and when it started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VisitAt {
    pub person: i64,
    pub started_at: i64,
}

/// The level of a region of the rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    Province,
    City,
    District,
    Street,
    Community,
}

impl RegionLevel {
    /// As written in files.
    pub fn key(self) -> &'static str {
        match self {
            RegionLevel::Province => "province",
            RegionLevel::City => "city",
            RegionLevel::District => "district",
            RegionLevel::Street => "street",
            RegionLevel::Community => "community",
        }
    }

    /// The division level it reads from a community's code (none for the community itself).
    fn division(self) -> Option<DivisionLevel> {
        match self {
            RegionLevel::Province => Some(DivisionLevel::Province),
            RegionLevel::City => Some(DivisionLevel::Prefecture),
            RegionLevel::District => Some(DivisionLevel::County),
            RegionLevel::Street => Some(DivisionLevel::Street),
            RegionLevel::Community => None,
        }
    }
}

/// One region's visit rate for a month.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RateRow {
    pub level: RegionLevel,
    /// The community id, or the division code (2, 4, 6 or 9 digits).
    pub code: String,
    /// Persons due a visit.
    pub due: u64,
    /// Of them, visited at least once in the month.
    pub visited: u64,
    /// visited / due; `None` when no one is due.
    pub rate: Option<f64>,
}

/// The regions a community belongs to: itself, then its division's regions, narrowest first
/// (none when its code is not a division code, `lc_model::division`).
fn regions(r: &Registration) -> Vec<(RegionLevel, String)> {
    let mut out = vec![(RegionLevel::Community, r.community.clone())];
    if let Some(code) = r.division_code.as_deref() {
        for level in [
            RegionLevel::Street,
            RegionLevel::District,
            RegionLevel::City,
            RegionLevel::Province,
        ] {
            if let Some(prefix) = level
                .division()
                .and_then(|l| lc_model::division::prefix_at(code, l))
            {
                out.push((level, prefix.to_string()));
            }
        }
    }
    out
}

/// The month's visit rate of every region with someone registered (province first, then
/// city, district, street and community; by code within a level).
pub fn visit_rates(
    month: YearMonth,
    register: &[Registration],
    visits: &[VisitAt],
) -> Result<Vec<RateRow>, TimeError> {
    let (start, end) = month.bounds()?;
    let visited: BTreeSet<i64> = visits
        .iter()
        .filter(|v| start <= v.started_at && v.started_at < end)
        .map(|v| v.person)
        .collect();
    let mut due: BTreeMap<(RegionLevel, String), BTreeSet<i64>> = BTreeMap::new();
    for r in register.iter().filter(|r| is_due(r.since, r.until, month)) {
        for key in regions(r) {
            due.entry(key).or_default().insert(r.person);
        }
    }
    Ok(due
        .into_iter()
        .map(|((level, code), persons)| {
            let d = persons.len() as u64;
            let v = persons.iter().filter(|p| visited.contains(p)).count() as u64;
            RateRow {
                level,
                code,
                due: d,
                visited: v,
                rate: (d > 0).then(|| v as f64 / d as f64),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;
    use serde_json::json;
    use std::str::FromStr;

    fn d(s: &str) -> Date {
        parse_date(s).unwrap()
    }

    fn utc(s: &str) -> i64 {
        Timestamp::from_str(s).unwrap().as_millisecond()
    }

    fn reg(
        person: i64,
        community: &str,
        code: &str,
        since: &str,
        until: Option<&str>,
    ) -> Registration {
        Registration {
            person,
            community: community.into(),
            division_code: Some(code.into()),
            since: d(since),
            until: until.map(d),
        }
    }

    #[test]
    fn who_is_due() {
        let nov: YearMonth = "2026-11".parse().unwrap();
        assert!(is_due(d("2026-11-30"), None, nov), "added on the last day");
        assert!(
            is_due(d("2026-01-01"), Some(d("2026-11-01")), nov),
            "left on the first day"
        );
        assert!(
            !is_due(d("2026-01-01"), Some(d("2026-10-31")), nov),
            "left before the month"
        );
        assert!(!is_due(d("2026-12-01"), None, nov), "added after the month");
    }

    /// The monthly visit rate worked by hand, November 2026 in Asia/Shanghai.
    ///
    /// Community A (110108010031, street 110108010, district 110108, city 1101, province 11):
    /// - 1 registered since 2025 — visited 5 Nov 10:00: due, visited;
    /// - 2 added 20 Nov — visited 30 Nov 23:30 Shanghai = 15:30 UTC: due, visited (November);
    /// - 3 left 10 Nov — not visited: due, not visited;
    /// - 4 left 31 Oct — visited in November anyway: not due, not counted;
    /// - 5 since 2025 — visited only 1 Dec 00:10 Shanghai = 30 Nov 16:10 UTC: due, not visited
    ///   (that visit is December's).
    ///
    /// Community B (110108010021, same street): 6 since 2025, visited 1 Nov 00:10 Shanghai =
    /// 31 Oct 16:10 UTC (November's): due, visited. 7 added 1 Dec: not due.
    ///
    /// Community C (110102003001, district 110102): 8, visited 31 Oct 23:50 Shanghai only: due,
    /// not visited.
    ///
    /// So A: 2 of 4 = 0.5; B: 1 of 1; C: 0 of 1; street 110108010: 3 of 5 = 0.6; district
    /// 110108: 3 of 5; district 110102: 0 of 1; city 1101 and province 11: 3 of 6 = 0.5.
    /// December: A has 1, 2, 5 due (3 and 4 left); 5 is visited; B has 6 and 7; C has 8.
    #[test]
    fn visit_rate_by_hand() {
        let a = "110108010031";
        let b = "110108010021";
        let cc = "110102003001";
        let register = vec![
            reg(1, a, a, "2025-03-01", None),
            reg(2, a, a, "2026-11-20", None),
            reg(3, a, a, "2025-03-01", Some("2026-11-10")),
            reg(4, a, a, "2025-03-01", Some("2026-10-31")),
            reg(5, a, a, "2025-03-01", None),
            reg(6, b, b, "2025-03-01", None),
            reg(7, b, b, "2026-12-01", None),
            reg(8, cc, cc, "2025-03-01", None),
        ];
        // The Shanghai instants, written out in UTC.
        let visits = vec![
            VisitAt {
                person: 1,
                started_at: utc("2026-11-05T02:00:00Z"),
            },
            VisitAt {
                person: 2,
                started_at: utc("2026-11-30T15:30:00Z"),
            },
            VisitAt {
                person: 4,
                started_at: utc("2026-11-03T02:00:00Z"),
            },
            VisitAt {
                person: 5,
                started_at: utc("2026-11-30T16:10:00Z"),
            },
            VisitAt {
                person: 6,
                started_at: utc("2026-10-31T16:10:00Z"),
            },
            VisitAt {
                person: 8,
                started_at: utc("2026-10-31T15:50:00Z"),
            },
        ];
        let nov: YearMonth = "2026-11".parse().unwrap();
        let rows = visit_rates(nov, &register, &visits).unwrap();
        let got: Vec<(&str, &str, u64, u64, Option<f64>)> = rows
            .iter()
            .map(|r| (r.level.key(), r.code.as_str(), r.due, r.visited, r.rate))
            .collect();
        assert_eq!(
            got,
            vec![
                ("province", "11", 6, 3, Some(0.5)),
                ("city", "1101", 6, 3, Some(0.5)),
                ("district", "110102", 1, 0, Some(0.0)),
                ("district", "110108", 5, 3, Some(0.6)),
                ("street", "110102003", 1, 0, Some(0.0)),
                ("street", "110108010", 5, 3, Some(0.6)),
                ("community", cc, 1, 0, Some(0.0)),
                ("community", b, 1, 1, Some(1.0)),
                ("community", a, 4, 2, Some(0.5)),
            ]
        );
        let dec = visit_rates(nov.next(), &register, &visits).unwrap();
        let a_dec = dec.iter().find(|r| r.code == a).unwrap();
        assert_eq!(
            (a_dec.due, a_dec.visited),
            (3, 1),
            "1, 2, 5 due; 5's visit at 00:10 on 1 Dec"
        );
        let b_dec = dec.iter().find(|r| r.code == b).unwrap();
        assert_eq!((b_dec.due, b_dec.visited), (2, 0));
        // A month without anyone registered has no rows: no rate, rather than 0.
        assert!(visit_rates("2020-01".parse().unwrap(), &register, &visits)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn a_community_without_a_code_counts_for_itself_only() {
        let r = Registration {
            person: 1,
            community: "X".into(),
            division_code: None,
            since: d("2026-01-01"),
            until: None,
        };
        let rows = visit_rates("2026-11".parse().unwrap(), &[r], &[]).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (rows[0].level, rows[0].due, rows[0].rate),
            (RegionLevel::Community, 1, Some(0.0))
        );
    }

    #[test]
    fn visit_records_are_checked() {
        let now = utc("2026-12-15T00:00:00Z");
        let v: VisitInput = serde_json::from_value(json!({
            "register_id": 1, "mode": "home", "date": "2026-11-30", "start": "23:30", "end": "24:00",
            "place": "家中", "visitor_name": "志愿者 王", "outcome": "身体良好",
            "needs": [{"service": "meal", "text": "需要助餐"}]
        }))
        .unwrap();
        let v = v.check(now).unwrap();
        assert_eq!(v.started_at, utc("2026-11-30T15:30:00Z"));
        assert_eq!(v.ended_at, utc("2026-11-30T16:00:00Z"));
        assert_eq!(v.month.to_string(), "2026-11");
        assert_eq!(v.needs.len(), 1);
        for (body, code) in [
            (
                json!({"register_id": 1, "mode": "home", "date": "2026-11-30", "start": "10:00", "end": "09:00", "place": "x", "outcome": "y"}),
                "end_before_start",
            ),
            (
                json!({"register_id": 1, "mode": "home", "date": "2026-12-30", "start": "10:00", "end": "11:00", "place": "x", "outcome": "y"}),
                "in_future",
            ),
            (
                json!({"register_id": 1, "mode": "home", "date": "2026-11-30", "start": "25:00", "end": "11:00", "place": "x", "outcome": "y"}),
                "invalid_time",
            ),
            (
                json!({"register_id": 1, "mode": "home", "date": "2026-11-30", "start": "10:00", "end": "11:00", "outcome": "y"}),
                "required",
            ),
            (
                json!({"register_id": 1, "mode": "home", "date": "2026-11-30", "start": "10:00", "end": "11:00", "place": "x", "outcome": "y", "needs": [{"service": "Meal!", "text": "t"}]}),
                "invalid_service",
            ),
        ] {
            let i: VisitInput = serde_json::from_value(body.clone()).unwrap();
            assert_eq!(i.check(now).unwrap_err()[0].code, code, "{body}");
        }
        assert!(serde_json::from_value::<VisitInput>(json!({"mode": "walk"})).is_err());
    }
}
