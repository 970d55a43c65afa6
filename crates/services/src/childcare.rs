//! 托位 Childcare places: a nursery's enrolments with a waiting list.
//!
//! A nursery outlet (facility category `nursery`) has a number of places. A parent applies for
//! a place for a child under three; the application joins the nursery's **waiting list** in the
//! order of application (first come, first served: the seeds and `PLATFORM.md` name no priority
//! group, so there is no priority flag). Whenever a place is free and someone is waiting, the
//! head of the list is **offered** the place; the offer holds the place until the parent
//! accepts (**enrolled**) or declines it, or it lapses after [`OFFER_DAYS`] and the nursery
//! records that. An enrolled child **leaves**; a waiting or offered application may be
//! **withdrawn**. Leaving, declining and withdrawing an offer free the place, and the next
//! head of the list is offered it at once.
//!
//! ```text
//! waiting ──offer──> offered ──accept──> enrolled ──leave──> left
//!    │                  │ └──decline──> declined
//!    └──withdraw──> withdrawn <──withdraw──┘
//! ```
//!
//! [`transition`] is a function from a status, an action, who acts and when to the next status
//! and the event to record, as bookings' is; the server runs it inside its write transaction,
//! writes the status compare-and-set on the version it read and takes places with a
//! conditional update (`… SET in_use = in_use + 1 WHERE in_use < places`), so the places held
//! (offered and enrolled) never exceed the places, whatever runs at the same time.

use jiff::civil::Date;
use lc_registry::{Check, FieldError};
use serde::{Deserialize, Serialize};

use crate::time::{local_date, YearMonth};

/// Where an application is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// 排队中, on the waiting list.
    Waiting,
    /// 已通知入托: a place is held for the child until the parent answers.
    Offered,
    /// 在托.
    Enrolled,
    /// 已离托.
    Left,
    /// 已撤回 by the parent (or a community worker for them).
    Withdrawn,
    /// 已放弃: the offer was declined, or lapsed.
    Declined,
}

impl Status {
    /// All statuses.
    pub const ALL: [Status; 6] = [
        Status::Waiting,
        Status::Offered,
        Status::Enrolled,
        Status::Left,
        Status::Withdrawn,
        Status::Declined,
    ];

    /// Its stable key, as stored.
    pub fn key(self) -> &'static str {
        match self {
            Status::Waiting => "waiting",
            Status::Offered => "offered",
            Status::Enrolled => "enrolled",
            Status::Left => "left",
            Status::Withdrawn => "withdrawn",
            Status::Declined => "declined",
        }
    }

    /// 中文名称.
    pub fn zh(self) -> &'static str {
        match self {
            Status::Waiting => "排队中",
            Status::Offered => "已通知入托",
            Status::Enrolled => "在托",
            Status::Left => "已离托",
            Status::Withdrawn => "已撤回",
            Status::Declined => "已放弃",
        }
    }

    /// Parses a stored key.
    pub fn from_key(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.key() == s)
    }

    /// Whether an application in this status holds one of the nursery's places.
    pub fn holds_place(self) -> bool {
        matches!(self, Status::Offered | Status::Enrolled)
    }

    /// Whether the application is still open (waiting, offered or enrolled): a child has at
    /// most one open application per nursery.
    pub fn is_open(self) -> bool {
        matches!(self, Status::Waiting | Status::Offered | Status::Enrolled)
    }
}

/// What someone does to an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A free place goes to the head of the waiting list (the system does this).
    Offer,
    Accept,
    Decline,
    Withdraw,
    Leave,
}

impl Action {
    /// All actions.
    pub const ALL: [Action; 5] = [
        Action::Offer,
        Action::Accept,
        Action::Decline,
        Action::Withdraw,
        Action::Leave,
    ];

    /// Its key, as in the action endpoint `POST /api/childcare/enrolments/{id}/{key}`.
    pub fn key(self) -> &'static str {
        match self {
            Action::Offer => "offer",
            Action::Accept => "accept",
            Action::Decline => "decline",
            Action::Withdraw => "withdraw",
            Action::Leave => "leave",
        }
    }

    fn zh(self) -> &'static str {
        match self {
            Action::Offer => "通知入托",
            Action::Accept => "确认入托",
            Action::Decline => "放弃名额",
            Action::Withdraw => "撤回申请",
            Action::Leave => "办理离托",
        }
    }
}

/// Who acts, as the application sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Actor {
    /// The waiting list itself: offers a free place to its head.
    System,
    /// The parent (the resident who applied for their child).
    Parent,
    /// Staff of the provider that runs the nursery.
    Provider,
    /// A community worker of the parent's community.
    CommunityWorker,
    /// A regulator (reads only).
    Regulator,
    /// A system administrator.
    Admin,
}

/// What a rule needs to know of the present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct When {
    pub now_ms: i64,
    /// When the offer lapses (offered applications).
    pub offer_expires_ms: Option<i64>,
}

/// An offer is held this many days; after that the nursery may record it as declined.
pub const OFFER_DAYS: i64 = 7;

/// The oldest child a place is for: under three (36 months) at application.
pub const MAX_AGE_MONTHS: i32 = 36;

/// What happened, as recorded in the application's history and the notification outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    Offered,
    Enrolled,
    /// Declined; `lapsed` when the nursery recorded an offer that was not answered in time.
    Declined {
        lapsed: bool,
    },
    Withdrawn,
    Left,
}

impl Event {
    /// Its key.
    pub fn key(self) -> &'static str {
        match self {
            Event::Offered => "offered",
            Event::Enrolled => "enrolled",
            Event::Declined { .. } => "declined",
            Event::Withdrawn => "withdrawn",
            Event::Left => "left",
        }
    }

    /// Whether the event takes a place (the server's conditional update must succeed first).
    pub fn takes_place(self) -> bool {
        matches!(self, Event::Offered)
    }
}

/// Why an action is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChildcareError {
    /// The action does not apply in this status (409).
    #[error("托位申请状态为「{}」，不能{}；the application is {}, it cannot be {}", .status.zh(), .action.zh(), .status.key(), action_en(*.action))]
    WrongStatus { status: Status, action: Action },
    /// The actor may not take this action (403).
    #[error("无权对此托位申请执行「{}」；you may not {} this application", .action.zh(), .action.key())]
    NotAllowed { action: Action },
    /// Too early (409).
    #[error("{zh}；{en}")]
    Timing { zh: &'static str, en: &'static str },
}

impl ChildcareError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            ChildcareError::WrongStatus { .. } => "wrong_status",
            ChildcareError::NotAllowed { .. } => "forbidden",
            ChildcareError::Timing { .. } => "wrong_time",
        }
    }
}

fn action_en(a: Action) -> &'static str {
    match a {
        Action::Offer => "offered a place",
        Action::Accept => "accepted",
        Action::Decline => "declined",
        Action::Withdraw => "withdrawn",
        Action::Leave => "marked as left",
    }
}

/// Who may take an action (status and time aside).
pub fn may(actor: Actor, action: Action) -> bool {
    use Action::*;
    use Actor::*;
    match action {
        Offer => matches!(actor, System),
        Accept | Decline | Leave => matches!(actor, Parent | Provider | Admin),
        Withdraw => matches!(actor, Parent | CommunityWorker | Admin),
    }
}

/// The next status and the event, or why not.
pub fn transition(
    status: Status,
    action: Action,
    actor: Actor,
    when: When,
) -> Result<(Status, Event), ChildcareError> {
    use Status::*;
    if !may(actor, action) {
        return Err(ChildcareError::NotAllowed { action });
    }
    let wrong = || ChildcareError::WrongStatus { status, action };
    match (action, status) {
        (Action::Offer, Waiting) => Ok((Offered, Event::Offered)),
        (Action::Accept, Offered) => Ok((Enrolled, Event::Enrolled)),
        (Action::Decline, Offered) => {
            let lapsed = when.offer_expires_ms.is_some_and(|t| when.now_ms >= t);
            // The nursery may give up an offer on the parent's behalf only once it has lapsed.
            if actor == Actor::Provider && !lapsed {
                return Err(ChildcareError::Timing {
                    zh: "名额保留期未满，只有家长可以放弃",
                    en: "the offer has not lapsed yet; only the parent can decline it",
                });
            }
            Ok((
                Declined,
                Event::Declined {
                    lapsed: lapsed && actor != Actor::Parent,
                },
            ))
        }
        (Action::Withdraw, Waiting | Offered) => Ok((Withdrawn, Event::Withdrawn)),
        (Action::Leave, Enrolled) => Ok((Left, Event::Left)),
        _ => Err(wrong()),
    }
}

/// Whether the transition gives a place back.
pub fn releases_place(from: Status, to: Status) -> bool {
    from.holds_place() && !to.holds_place()
}

// --- Applications -----------------------------------------------------------------------------

/// An application as a client sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrolmentInput {
    /// The nursery (a registry facility of category `nursery`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facility_id: Option<String>,
    /// The parent: a registry resident (a resident applying for their own child may leave it
    /// out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_resident_id: Option<i64>,
    /// The child's name (personal: masked in lists).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub child_name: Option<String>,
    /// The child's month of birth, `YYYY-MM` (personal: only the year in lists).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub child_birth_month: Option<String>,
    /// A note for the nursery (personal: masked in lists).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A checked application.
#[derive(Debug, Clone, PartialEq)]
pub struct Enrolment {
    pub facility_id: String,
    pub parent_resident_id: Option<i64>,
    pub child_name: String,
    pub child_birth_month: YearMonth,
    pub note: Option<String>,
}

/// The age in whole months, in `at`, of a child born in `born` (0 in the month of birth).
pub fn age_months(born: YearMonth, at: YearMonth) -> i32 {
    (i32::from(at.year) - i32::from(born.year)) * 12 + i32::from(at.month) - i32::from(born.month)
}

impl EnrolmentInput {
    /// Checks the application at `now_ms`: the child is born (not in a later month) and under
    /// three years old.
    pub fn check(self, now_ms: i64) -> Result<Enrolment, Vec<FieldError>> {
        let mut c = Check::new();
        let facility_id = c.text("facility_id", &self.facility_id, 64);
        if let Some(p) = self.parent_resident_id {
            if p <= 0 {
                c.fail(
                    "parent_resident_id",
                    "out_of_range",
                    format!("parent_resident_id 应为正整数：{p}"),
                    format!("parent_resident_id must be a positive integer: {p}"),
                );
            }
        }
        let child_name = c.text("child_name", &self.child_name, 50);
        let born = match self.child_birth_month.as_deref() {
            None | Some("") => {
                c.required("child_birth_month");
                None
            }
            Some(s) => match s.parse::<YearMonth>() {
                Ok(m) => Some(m),
                Err(_) => {
                    c.fail(
                        "child_birth_month",
                        "invalid_month",
                        format!("child_birth_month 应为 YYYY-MM：{s}"),
                        format!("child_birth_month must be YYYY-MM: {s}"),
                    );
                    None
                }
            },
        };
        if let (Some(b), Ok(now)) = (born, YearMonth::of_instant(now_ms)) {
            let age = age_months(b, now);
            if age < 0 {
                c.fail(
                    "child_birth_month",
                    "in_future",
                    format!("出生月份 {b} 晚于本月"),
                    format!("the month of birth {b} is after this month"),
                );
            } else if age >= MAX_AGE_MONTHS {
                c.fail(
                    "child_birth_month",
                    "too_old",
                    format!("托位面向 3 岁以下婴幼儿（出生于 {b}，已满 {age} 个月）"),
                    format!("places are for children under three (born {b}, {age} months old)"),
                );
            }
        }
        let note = c.opt_text("note", &self.note, 500);
        c.finish()?;
        match (facility_id, child_name, born) {
            (Some(facility_id), Some(child_name), Some(child_birth_month)) => Ok(Enrolment {
                facility_id,
                parent_resident_id: self.parent_resident_id,
                child_name,
                child_birth_month,
                note,
            }),
            _ => Err(vec![]),
        }
    }
}

/// When an offer made at `now_ms` lapses: the end of the [`OFFER_DAYS`]th day after it, in
/// Asia/Shanghai.
pub fn offer_expiry(now_ms: i64) -> i64 {
    let end = local_date(now_ms)
        .ok()
        .and_then(|d: Date| d.checked_add(jiff::Span::new().days(OFFER_DAYS + 1)).ok())
        .and_then(|d| crate::time::start_of_day(d).ok());
    end.unwrap_or(now_ms + (OFFER_DAYS + 1) * 86_400_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(now: i64) -> When {
        When {
            now_ms: now,
            offer_expires_ms: Some(100),
        }
    }

    #[test]
    fn the_life_of_an_application() {
        let (s, e) = transition(Status::Waiting, Action::Offer, Actor::System, at(0)).unwrap();
        assert_eq!((s, e), (Status::Offered, Event::Offered));
        assert!(e.takes_place());
        let (s, _) = transition(s, Action::Accept, Actor::Parent, at(1)).unwrap();
        assert_eq!(s, Status::Enrolled);
        let (s2, e) = transition(s, Action::Leave, Actor::Provider, at(2)).unwrap();
        assert_eq!((s2, e), (Status::Left, Event::Left));
        assert!(releases_place(s, s2));
        assert!(!releases_place(Status::Waiting, Status::Withdrawn));
    }

    #[test]
    fn roles_status_and_lapse_are_checked() {
        use Status::*;
        let err = |s, a, who, now| transition(s, a, who, at(now)).unwrap_err();
        assert_eq!(
            err(Waiting, Action::Offer, Actor::Admin, 0).code(),
            "forbidden"
        );
        assert_eq!(
            err(Offered, Action::Accept, Actor::Regulator, 0).code(),
            "forbidden"
        );
        assert_eq!(
            err(Enrolled, Action::Withdraw, Actor::Parent, 0).code(),
            "wrong_status"
        );
        assert_eq!(
            err(Waiting, Action::Accept, Actor::Parent, 0).code(),
            "wrong_status"
        );
        // The nursery gives up an offer only once it has lapsed.
        assert_eq!(
            err(Offered, Action::Decline, Actor::Provider, 99).code(),
            "wrong_time"
        );
        let lapse = transition(Offered, Action::Decline, Actor::Provider, at(100)).unwrap();
        assert_eq!(lapse, (Declined, Event::Declined { lapsed: true }));
        let own = transition(Offered, Action::Decline, Actor::Parent, at(0)).unwrap();
        assert_eq!(own, (Declined, Event::Declined { lapsed: false }));
        let msg = err(Left, Action::Leave, Actor::Parent, 0).to_string();
        assert!(msg.contains("已离托") && msg.contains("left"), "{msg}");
    }

    #[test]
    fn applications_are_checked() {
        let now =
            crate::time::start_of_day(crate::time::parse_date("2026-05-10").unwrap()).unwrap();
        let ok = EnrolmentInput {
            facility_id: Some("N1".into()),
            child_name: Some("小明".into()),
            child_birth_month: Some("2024-06".into()),
            ..Default::default()
        };
        let e = ok.clone().check(now).unwrap();
        assert_eq!(e.child_birth_month.to_string(), "2024-06");
        let code = |m: &str| {
            let mut i = ok.clone();
            i.child_birth_month = Some(m.into());
            i.check(now).unwrap_err()[0].code
        };
        assert_eq!(code("2026-06"), "in_future");
        assert_eq!(code("2023-05"), "too_old");
        assert_eq!(code("2023-13"), "invalid_month");
        // 35 months old is still under three.
        let mut i = ok.clone();
        i.child_birth_month = Some("2023-06".into());
        assert!(i.check(now).is_ok());
        let errs = EnrolmentInput::default().check(now).unwrap_err();
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert_eq!(
            age_months("2024-11".parse().unwrap(), "2025-01".parse().unwrap()),
            2
        );
    }

    #[test]
    fn offers_lapse_at_the_end_of_the_seventh_day_in_shanghai() {
        // 2026-05-10 23:30 Shanghai → lapses at midnight starting 2026-05-18 Shanghai.
        let d = crate::time::parse_date("2026-05-10").unwrap();
        let now = crate::time::instant(d, jiff::civil::Time::new(23, 30, 0, 0).unwrap()).unwrap();
        let end =
            crate::time::start_of_day(crate::time::parse_date("2026-05-18").unwrap()).unwrap();
        assert_eq!(offer_expiry(now), end);
    }

    #[test]
    fn keys_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::from_key(s.key()), Some(s));
        }
        assert_eq!(Action::ALL.len(), 5);
    }
}
