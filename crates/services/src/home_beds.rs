//! 家庭养老床位 Home elderly-care beds: a contract between a resident and a provider (through
//! one of its elderly-care outlets) for services at home, from a start date to an end date,
//! with so many visits promised each month, and the visits that keep the promise.
//!
//! **Life.** draft → active → ended (on or after the end date), or terminated (from draft or
//! active, early). [`transition`] decides, the server writes compare-and-set.
//!
//! **Visits.** Each visit is recorded with EVV's six elements (`PLATFORM.md` §4): the service
//! type (one of the contract's), whom (the contract's resident), the date, where, who (a
//! practitioner of the provider, or a staff member's name) and the start and end time —
//! checked as the care domain's monthly visits are ([`crate::visits`]).
//!
//! **Promised and delivered.** In a month (Asia/Shanghai) a contract promises its
//! `visits_per_month` when it is in force on every day of the month, and for a month it covers
//! only in part the share of its days, rounded up: `ceil(visits × days covered / days in the
//! month)` ([`promised`]). It is in force from the later of its start date and the day it was
//! activated, to the earlier of its end date and the day it was ended or terminated
//! ([`in_force`]); a contract never activated promises nothing. Delivered is the number of its
//! visits that *start* in the month. A contract **falls short** in a month when it delivered
//! fewer than it promised.

use jiff::civil::Date;
use lc_registry::{Check, FieldError};
use serde::{Deserialize, Serialize};

use crate::care::{MultiLine, MAX_NOTES};
use crate::catalogue::service_type;
use crate::time::{parse_date, YearMonth};
use crate::visits::check_span;

/// Where a contract is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// 草拟.
    Draft,
    /// 履约中.
    Active,
    /// 已到期.
    Ended,
    /// 已解约.
    Terminated,
}

impl Status {
    /// All statuses.
    pub const ALL: [Status; 4] = [
        Status::Draft,
        Status::Active,
        Status::Ended,
        Status::Terminated,
    ];

    /// Its stable key.
    pub fn key(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Active => "active",
            Status::Ended => "ended",
            Status::Terminated => "terminated",
        }
    }

    /// 中文名称.
    pub fn zh(self) -> &'static str {
        match self {
            Status::Draft => "草拟",
            Status::Active => "履约中",
            Status::Ended => "已到期",
            Status::Terminated => "已解约",
        }
    }

    /// Parses a stored key.
    pub fn from_key(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.key() == s)
    }
}

/// What someone does to a contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Activate,
    End,
    Terminate,
}

impl Action {
    /// All actions.
    pub const ALL: [Action; 3] = [Action::Activate, Action::End, Action::Terminate];

    /// Its key, as in `POST /api/home-beds/{id}/{key}`.
    pub fn key(self) -> &'static str {
        match self {
            Action::Activate => "activate",
            Action::End => "end",
            Action::Terminate => "terminate",
        }
    }

    fn zh(self) -> &'static str {
        match self {
            Action::Activate => "生效",
            Action::End => "到期结束",
            Action::Terminate => "解约",
        }
    }

    fn en(self) -> &'static str {
        match self {
            Action::Activate => "activated",
            Action::End => "ended",
            Action::Terminate => "terminated",
        }
    }
}

/// Who acts, as the contract sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Actor {
    /// The resident the contract is with.
    Resident,
    /// Staff of the contract's provider.
    Provider,
    CommunityWorker,
    Regulator,
    Admin,
}

/// Why an action is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContractError {
    #[error("家庭养老床位合同状态为「{}」，不能{}；the contract is {}, it cannot be {}", .status.zh(), .action.zh(), .status.key(), .action.en())]
    WrongStatus { status: Status, action: Action },
    #[error("无权对此合同执行「{}」；you may not {} this contract", .action.zh(), .action.key())]
    NotAllowed { action: Action },
    #[error("{zh}；{en}")]
    Timing { zh: &'static str, en: &'static str },
}

impl ContractError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            ContractError::WrongStatus { .. } => "wrong_status",
            ContractError::NotAllowed { .. } => "forbidden",
            ContractError::Timing { .. } => "wrong_time",
        }
    }
}

/// Who may take an action (status and dates aside).
pub fn may(actor: Actor, action: Action) -> bool {
    match action {
        Action::Activate | Action::End => matches!(actor, Actor::Provider | Actor::Admin),
        Action::Terminate => matches!(actor, Actor::Resident | Actor::Provider | Actor::Admin),
    }
}

/// The next status, or why not; `today` is the civil date in Asia/Shanghai, `end` the
/// contract's end date.
pub fn transition(
    status: Status,
    action: Action,
    actor: Actor,
    today: Date,
    end: Date,
) -> Result<Status, ContractError> {
    if !may(actor, action) {
        return Err(ContractError::NotAllowed { action });
    }
    match (action, status) {
        (Action::Activate, Status::Draft) if today > end => Err(ContractError::Timing {
            zh: "合同结束日期已过，不能生效",
            en: "the contract's end date has passed; it cannot be activated",
        }),
        (Action::Activate, Status::Draft) => Ok(Status::Active),
        (Action::End, Status::Active) if today < end => Err(ContractError::Timing {
            zh: "未到合同结束日期（提前结束请解约）",
            en: "the contract's end date has not come (terminate it to end it early)",
        }),
        (Action::End, Status::Active) => Ok(Status::Ended),
        (Action::Terminate, Status::Draft | Status::Active) => Ok(Status::Terminated),
        _ => Err(ContractError::WrongStatus { status, action }),
    }
}

/// The days a contract is in force: from the later of its start and its activation to the
/// earlier of its end and the day it was closed (ended or terminated); `None` if it never was.
pub fn in_force(
    start: Date,
    end: Date,
    activated_on: Option<Date>,
    closed_on: Option<Date>,
) -> Option<(Date, Date)> {
    let from = start.max(activated_on?);
    let to = closed_on.map_or(end, |c| c.min(end));
    (from <= to).then_some((from, to))
}

/// The visits promised in `month` by a contract of `per_month` visits in force over `days`
/// (inclusive): all of them for a whole month, else the share of the month's days, rounded up.
pub fn promised(per_month: i64, days: Option<(Date, Date)>, month: YearMonth) -> i64 {
    let Some((from, to)) = days else {
        return 0;
    };
    let (first, last) = (month.first_day(), month.last_day());
    let (a, b) = (from.max(first), to.min(last));
    if a > b {
        return 0;
    }
    let covered = i64::from((b - a).get_days()) + 1;
    let days_in_month = i64::from(last.day());
    (per_month * covered + days_in_month - 1) / days_in_month
}

// --- Contracts --------------------------------------------------------------------------------

/// The most visits a month a contract may promise.
pub const MAX_VISITS_PER_MONTH: i64 = 62;
/// The longest contract, in days (five years).
pub const MAX_CONTRACT_DAYS: i32 = 5 * 366;

/// A contract as a client sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractInput {
    /// The resident (a registry resident).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resident_id: Option<i64>,
    /// The provider's elderly-care outlet that serves the bed (`elderly_service_station`,
    /// `elderly_day_care` or `elderly_care`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facility_id: Option<String>,
    /// Services included: elderly service-type keys of `/api/service-types` (`home_bed_visit`,
    /// `bathing`, `cleaning`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services: Option<Vec<String>>,
    /// First day, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// Last day, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    /// Visits promised each month.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visits_per_month: Option<i64>,
    /// Notes (personal: masked in lists).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// A checked contract.
#[derive(Debug, Clone, PartialEq)]
pub struct Contract {
    pub resident_id: i64,
    pub facility_id: String,
    /// Distinct keys, in the catalogue's order.
    pub services: Vec<String>,
    pub start: Date,
    pub end: Date,
    pub visits_per_month: i64,
    pub notes: Option<String>,
}

fn date_field(c: &mut Check, field: &str, v: &Option<String>) -> Option<Date> {
    match v.as_deref() {
        None | Some("") => {
            c.required(field);
            None
        }
        Some(s) => match parse_date(s) {
            Ok(d) if (1900..=2199).contains(&d.year()) => Some(d),
            _ => {
                c.fail(
                    field,
                    "invalid_date",
                    format!("{field} 不是有效日期（格式 YYYY-MM-DD）：{s}"),
                    format!("{field} is not a real date in the form YYYY-MM-DD: {s}"),
                );
                None
            }
        },
    }
}

impl ContractInput {
    /// Checks every field and the fields together.
    pub fn check(self) -> Result<Contract, Vec<FieldError>> {
        let mut c = Check::new();
        let resident_id = match self.resident_id {
            None => {
                c.required("resident_id");
                None
            }
            Some(x) if x > 0 => Some(x),
            Some(x) => {
                c.fail(
                    "resident_id",
                    "out_of_range",
                    format!("resident_id 应为正整数：{x}"),
                    format!("resident_id must be a positive integer: {x}"),
                );
                None
            }
        };
        let facility_id = c.text("facility_id", &self.facility_id, 64);
        let mut services: Vec<String> = Vec::new();
        match &self.services {
            None => c.required("services"),
            Some(list) if list.is_empty() => c.fail(
                "services",
                "required",
                "至少需要一项服务".into(),
                "at least one service is required".into(),
            ),
            Some(list) => {
                for k in list {
                    match service_type(k) {
                        Some(t) if t.elderly => {
                            if !services.contains(k) {
                                services.push(k.clone());
                            }
                        }
                        _ => c.fail(
                            "services",
                            "invalid_service",
                            format!("{k} 不是养老服务类型（见 /api/service-types）"),
                            format!("{k} is not an elderly service type (see /api/service-types)"),
                        ),
                    }
                }
            }
        }
        services.sort_by_key(|k| {
            crate::catalogue::SERVICE_TYPES
                .iter()
                .position(|t| t.key == k.as_str())
        });
        let start = date_field(&mut c, "start", &self.start);
        let end = date_field(&mut c, "end", &self.end);
        if let (Some(s), Some(e)) = (start, end) {
            if e < s {
                c.fail(
                    "end",
                    "before_start",
                    format!("end（{e}）早于 start（{s}）"),
                    format!("end ({e}) is before start ({s})"),
                );
            } else if (e - s).get_days() > MAX_CONTRACT_DAYS {
                c.fail(
                    "end",
                    "too_long",
                    "合同期限最长五年".into(),
                    "a contract runs for at most five years".into(),
                );
            }
        }
        let visits = match self.visits_per_month {
            None => {
                c.required("visits_per_month");
                None
            }
            Some(v) if (1..=MAX_VISITS_PER_MONTH).contains(&v) => Some(v),
            Some(v) => {
                c.fail(
                    "visits_per_month",
                    "out_of_range",
                    format!("visits_per_month 应为 1 至 {MAX_VISITS_PER_MONTH}：{v}"),
                    format!("visits_per_month must be 1 to {MAX_VISITS_PER_MONTH}: {v}"),
                );
                None
            }
        };
        let notes = c.opt_text_multiline("notes", &self.notes, MAX_NOTES);
        c.finish()?;
        match (resident_id, facility_id, start, end, visits) {
            (Some(resident_id), Some(facility_id), Some(start), Some(end), Some(v)) => {
                Ok(Contract {
                    resident_id,
                    facility_id,
                    services,
                    start,
                    end,
                    visits_per_month: v,
                    notes,
                })
            }
            _ => Err(vec![]),
        }
    }
}

// --- Visits -----------------------------------------------------------------------------------

/// A home-bed visit as a client sends it: EVV's six elements (whom is the contract's resident).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HomeVisitInput {
    /// Type of service: one of the contract's services.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Date, `YYYY-MM-DD` (Asia/Shanghai).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Start, `HH:MM`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// End, `HH:MM` (after the start; `24:00` is midnight).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    /// Where (personal: masked in lists).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    /// Who: a practitioner of the contract's provider…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub practitioner_id: Option<i64>,
    /// …or a staff member's name (one of the two).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_name: Option<String>,
    /// What was done (personal: masked in lists).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// A checked home-bed visit.
#[derive(Debug, Clone, PartialEq)]
pub struct HomeVisit {
    pub service: String,
    pub date: Date,
    pub started_at: i64,
    pub ended_at: i64,
    pub month: YearMonth,
    pub place: String,
    pub practitioner_id: Option<i64>,
    pub worker_name: Option<String>,
    pub notes: Option<String>,
}

impl HomeVisitInput {
    /// Checks the record at `now_ms` (a visit cannot end in the future).
    pub fn check(self, now_ms: i64) -> Result<HomeVisit, Vec<FieldError>> {
        let mut c = Check::new();
        let service = c.text("service", &self.service, 32);
        let span = check_span(&mut c, &self.date, &self.start, &self.end, now_ms);
        let place = c.text("place", &self.place, 200);
        let practitioner_id = match self.practitioner_id {
            Some(x) if x <= 0 => {
                c.fail(
                    "practitioner_id",
                    "out_of_range",
                    format!("practitioner_id 应为正整数：{x}"),
                    format!("practitioner_id must be a positive integer: {x}"),
                );
                None
            }
            x => x,
        };
        let worker_name = c.opt_text("worker_name", &self.worker_name, 64);
        match (practitioner_id, &worker_name) {
            (Some(_), Some(_)) => c.fail(
                "worker_name",
                "conflicting_fields",
                "服务人员只能是从业人员记录或姓名之一".into(),
                "who served is either a practitioner record or a name, not both".into(),
            ),
            (None, None) if self.practitioner_id.is_none() => c.fail(
                "practitioner_id",
                "required",
                "须记录服务人员（practitioner_id 或 worker_name）".into(),
                "who served is required (practitioner_id or worker_name)".into(),
            ),
            _ => {}
        }
        let notes = c.opt_text_multiline("notes", &self.notes, MAX_NOTES);
        c.finish()?;
        match (service, span, place) {
            (Some(service), Some((date, started_at, ended_at)), Some(place)) => Ok(HomeVisit {
                service,
                date,
                started_at,
                ended_at,
                month: YearMonth::of_date(date),
                place,
                practitioner_id,
                worker_name,
                notes,
            }),
            _ => Err(vec![]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        parse_date(s).unwrap()
    }

    fn m(s: &str) -> YearMonth {
        s.parse().unwrap()
    }

    #[test]
    fn the_life_of_a_contract() {
        let end = d("2026-12-31");
        let today = d("2026-03-01");
        let s = transition(Status::Draft, Action::Activate, Actor::Provider, today, end).unwrap();
        assert_eq!(s, Status::Active);
        let e = transition(s, Action::End, Actor::Provider, today, end).unwrap_err();
        assert_eq!(e.code(), "wrong_time");
        assert_eq!(
            transition(s, Action::End, Actor::Admin, end, end).unwrap(),
            Status::Ended
        );
        assert_eq!(
            transition(s, Action::Terminate, Actor::Resident, today, end).unwrap(),
            Status::Terminated
        );
        let e = transition(s, Action::Activate, Actor::Resident, today, end).unwrap_err();
        assert_eq!(e.code(), "forbidden");
        let e = transition(Status::Ended, Action::Terminate, Actor::Admin, today, end).unwrap_err();
        assert_eq!(e.code(), "wrong_status");
        assert!(e.to_string().contains("已到期"), "{e}");
        let e = transition(
            Status::Draft,
            Action::Activate,
            Actor::Admin,
            d("2027-01-01"),
            end,
        )
        .unwrap_err();
        assert_eq!(e.code(), "wrong_time");
    }

    #[test]
    fn promises_by_hand() {
        // A whole month: all four visits.
        let days = in_force(
            d("2026-01-01"),
            d("2026-12-31"),
            Some(d("2026-01-01")),
            None,
        );
        assert_eq!(promised(4, days, m("2026-03")), 4);
        // Activated on 16 March (16 of 31 days): ceil(4 × 16 / 31) = 3.
        let days = in_force(
            d("2026-01-01"),
            d("2026-12-31"),
            Some(d("2026-03-16")),
            None,
        );
        assert_eq!(promised(4, days, m("2026-03")), 3);
        assert_eq!(promised(4, days, m("2026-02")), 0);
        // Terminated on 1 April: one day of 30, rounded up to one visit; none in May.
        let days = in_force(
            d("2026-01-01"),
            d("2026-12-31"),
            Some(d("2026-01-01")),
            Some(d("2026-04-01")),
        );
        assert_eq!(promised(4, days, m("2026-04")), 1);
        assert_eq!(promised(4, days, m("2026-05")), 0);
        // Never activated: nothing.
        assert_eq!(in_force(d("2026-01-01"), d("2026-12-31"), None, None), None);
        assert_eq!(promised(4, None, m("2026-03")), 0);
        // February of a leap year, whole: still four.
        let days = in_force(
            d("2028-01-01"),
            d("2028-12-31"),
            Some(d("2027-12-01")),
            None,
        );
        assert_eq!(promised(4, days, m("2028-02")), 4);
    }

    #[test]
    fn contracts_and_visits_are_checked() {
        let ok = ContractInput {
            resident_id: Some(1),
            facility_id: Some("E1".into()),
            services: Some(vec![
                "bathing".into(),
                "home_bed_visit".into(),
                "bathing".into(),
            ]),
            start: Some("2026-01-01".into()),
            end: Some("2026-12-31".into()),
            visits_per_month: Some(4),
            notes: None,
        };
        let c = ok.clone().check().unwrap();
        assert_eq!(c.services, vec!["bathing", "home_bed_visit"]);
        let mut bad = ok.clone();
        bad.services = Some(vec!["housekeeping".into()]);
        assert_eq!(bad.check().unwrap_err()[0].code, "invalid_service");
        let mut bad = ok.clone();
        bad.end = Some("2025-12-31".into());
        assert_eq!(bad.check().unwrap_err()[0].code, "before_start");
        let mut bad = ok;
        bad.visits_per_month = Some(0);
        assert_eq!(bad.check().unwrap_err()[0].code, "out_of_range");

        let now = crate::time::start_of_day(d("2026-06-01")).unwrap();
        let v = HomeVisitInput {
            service: Some("bathing".into()),
            date: Some("2026-05-31".into()),
            start: Some("23:00".into()),
            end: Some("24:00".into()),
            place: Some("家中".into()),
            worker_name: Some("李护理员".into()),
            ..Default::default()
        };
        let ok = v.clone().check(now).unwrap();
        assert_eq!(ok.month.to_string(), "2026-05");
        assert_eq!(ok.ended_at, now);
        let mut both = v.clone();
        both.practitioner_id = Some(3);
        assert_eq!(both.check(now).unwrap_err()[0].code, "conflicting_fields");
        let mut none = v;
        none.worker_name = None;
        assert_eq!(none.check(now).unwrap_err()[0].code, "required");
    }
}
