//! A booking's life as a state machine (`PLATFORM.md` §5): requested → confirmed → in service →
//! completed, or cancelled, rejected or a no-show; a completed booking that a check finds was
//! never delivered is annulled (its subsidy debit reversed).
//!
//! [`transition`] is a function from a status, an action, who acts and when, to the next status
//! and the event to record. The server runs it inside its write transaction and writes the new
//! status compare-and-set on the version it read; seats are held from the request until a
//! cancellation or rejection gives them back ([`Event::releases_seat`]).

use serde::{Deserialize, Serialize};

/// Where a booking is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// 已预约, waiting for the outlet.
    Requested,
    /// 已确认.
    Confirmed,
    /// 服务中.
    InService,
    /// 已完成.
    Completed,
    /// 已取消.
    Cancelled,
    /// 已拒绝 by the outlet.
    Rejected,
    /// 爽约: the resident did not come or was not at home.
    NoShow,
    /// 已作废: a completed booking found not delivered.
    Annulled,
}

impl Status {
    /// All statuses.
    pub const ALL: [Status; 8] = [
        Status::Requested,
        Status::Confirmed,
        Status::InService,
        Status::Completed,
        Status::Cancelled,
        Status::Rejected,
        Status::NoShow,
        Status::Annulled,
    ];

    /// Its stable key, as stored.
    pub fn key(self) -> &'static str {
        match self {
            Status::Requested => "requested",
            Status::Confirmed => "confirmed",
            Status::InService => "in_service",
            Status::Completed => "completed",
            Status::Cancelled => "cancelled",
            Status::Rejected => "rejected",
            Status::NoShow => "no_show",
            Status::Annulled => "annulled",
        }
    }

    /// 中文名称.
    pub fn zh(self) -> &'static str {
        match self {
            Status::Requested => "已预约",
            Status::Confirmed => "已确认",
            Status::InService => "服务中",
            Status::Completed => "已完成",
            Status::Cancelled => "已取消",
            Status::Rejected => "已拒绝",
            Status::NoShow => "爽约",
            Status::Annulled => "已作废",
        }
    }

    /// Parses a stored key.
    pub fn from_key(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.key() == s)
    }

    /// Whether a booking in this status holds its seat.
    pub fn holds_seat(self) -> bool {
        !matches!(self, Status::Cancelled | Status::Rejected)
    }
}

/// What someone does to a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Confirm,
    Reject,
    Start,
    Complete,
    Cancel,
    NoShow,
    Annul,
}

impl Action {
    /// All actions.
    pub const ALL: [Action; 7] = [
        Action::Confirm,
        Action::Reject,
        Action::Start,
        Action::Complete,
        Action::Cancel,
        Action::NoShow,
        Action::Annul,
    ];

    /// Its key, as in the action endpoint `POST /api/bookings/{id}/{key}`.
    pub fn key(self) -> &'static str {
        match self {
            Action::Confirm => "confirm",
            Action::Reject => "reject",
            Action::Start => "start",
            Action::Complete => "complete",
            Action::Cancel => "cancel",
            Action::NoShow => "no-show",
            Action::Annul => "annul",
        }
    }

    /// Parses a key.
    pub fn from_key(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.key() == s)
    }
}

/// Who acts, as the booking sees them (the server works this out from the account).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Actor {
    /// The resident the booking is for.
    Resident,
    /// The one who booked on the resident's behalf (a family member or community worker, 代办).
    Booker,
    /// Staff of the provider that runs the outlet.
    Provider,
    /// A community worker of the resident's community.
    CommunityWorker,
    /// A market regulator or civil-affairs officer.
    Regulator,
    /// A system administrator.
    Admin,
}

/// The times a rule needs, in ms since the epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct When {
    pub now_ms: i64,
    pub start_ms: i64,
    pub end_ms: i64,
    /// A resident cancels free of charge until this many minutes before the start.
    pub cancel_notice_min: i64,
}

/// How early before its start a service may be started (the worker arrives a little early).
pub const START_EARLY_MIN: i64 = 60;

/// What happened, as recorded in the booking's history and the notification outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    Confirmed,
    Rejected,
    Started,
    Completed,
    /// Cancelled; `late` when a resident (or their booker or worker) cancelled after the free
    /// cancellation window; `by_provider` when the outlet cancelled.
    Cancelled {
        late: bool,
        by_provider: bool,
    },
    NoShowRecorded,
    Annulled,
}

impl Event {
    /// Its key.
    pub fn key(self) -> &'static str {
        match self {
            Event::Confirmed => "confirmed",
            Event::Rejected => "rejected",
            Event::Started => "started",
            Event::Completed => "completed",
            Event::Cancelled { .. } => "cancelled",
            Event::NoShowRecorded => "no_show",
            Event::Annulled => "annulled",
        }
    }

    /// Whether the seat goes back to the slot.
    pub fn releases_seat(self) -> bool {
        matches!(self, Event::Rejected | Event::Cancelled { .. })
    }

    /// Whether the subsidy is debited (once per booking).
    pub fn debits_subsidy(self) -> bool {
        matches!(self, Event::Completed)
    }

    /// Whether a subsidy debit is reversed.
    pub fn reverses_subsidy(self) -> bool {
        matches!(self, Event::Annulled)
    }
}

/// Why an action is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookingError {
    /// The action does not apply in this status (409).
    #[error("预约状态为「{}」，不能{}；booking is {}, it cannot be {}", .status.zh(), action_zh(*.action), .status.key(), action_en(*.action))]
    WrongStatus { status: Status, action: Action },
    /// The actor may not take this action (403).
    #[error("无权对此预约执行「{}」；you may not {} this booking", action_zh(*.action), .action.key())]
    NotAllowed { action: Action },
    /// Too early or too late (409).
    #[error("{zh}；{en}")]
    Timing { zh: &'static str, en: &'static str },
}

impl BookingError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            BookingError::WrongStatus { .. } => "wrong_status",
            BookingError::NotAllowed { .. } => "forbidden",
            BookingError::Timing { .. } => "wrong_time",
        }
    }
}

fn action_zh(a: Action) -> &'static str {
    match a {
        Action::Confirm => "确认",
        Action::Reject => "拒绝",
        Action::Start => "开始服务",
        Action::Complete => "完成",
        Action::Cancel => "取消",
        Action::NoShow => "登记爽约",
        Action::Annul => "作废",
    }
}

fn action_en(a: Action) -> &'static str {
    match a {
        Action::Confirm => "confirmed",
        Action::Reject => "rejected",
        Action::Start => "started",
        Action::Complete => "completed",
        Action::Cancel => "cancelled",
        Action::NoShow => "marked a no-show",
        Action::Annul => "annulled",
    }
}

/// Who may take an action (status and time aside).
pub fn may(actor: Actor, action: Action) -> bool {
    use Action::*;
    use Actor::*;
    match action {
        Confirm | Reject | Start | Complete | NoShow => matches!(actor, Provider | Admin),
        Cancel => !matches!(actor, Regulator),
        Annul => matches!(actor, Regulator | Admin),
    }
}

/// The next status and the event, or why not.
pub fn transition(
    status: Status,
    action: Action,
    actor: Actor,
    when: When,
) -> Result<(Status, Event), BookingError> {
    use Status::*;
    if !may(actor, action) {
        return Err(BookingError::NotAllowed { action });
    }
    let wrong = || BookingError::WrongStatus { status, action };
    match action {
        Action::Confirm => match status {
            Requested if when.now_ms >= when.end_ms => Err(BookingError::Timing {
                zh: "服务时段已过，不能再确认",
                en: "the slot is over; it can no longer be confirmed",
            }),
            Requested => Ok((Confirmed, Event::Confirmed)),
            _ => Err(wrong()),
        },
        Action::Reject => match status {
            Requested => Ok((Rejected, Event::Rejected)),
            _ => Err(wrong()),
        },
        Action::Start => match status {
            Confirmed if when.now_ms < when.start_ms - START_EARLY_MIN * 60_000 => {
                Err(BookingError::Timing {
                    zh: "距服务开始超过一小时，不能开始服务",
                    en: "the service cannot start more than an hour before its slot",
                })
            }
            Confirmed => Ok((InService, Event::Started)),
            _ => Err(wrong()),
        },
        Action::Complete => match status {
            InService => Ok((Completed, Event::Completed)),
            _ => Err(wrong()),
        },
        Action::Cancel => match status {
            Requested | Confirmed if when.now_ms >= when.start_ms => Err(BookingError::Timing {
                zh: "服务已到开始时间，不能取消（可登记爽约）",
                en: "the slot has begun; it can no longer be cancelled (record a no-show instead)",
            }),
            Requested | Confirmed => {
                let by_provider = actor == Actor::Provider;
                let late =
                    !by_provider && when.now_ms > when.start_ms - when.cancel_notice_min * 60_000;
                Ok((Cancelled, Event::Cancelled { late, by_provider }))
            }
            _ => Err(wrong()),
        },
        Action::NoShow => match status {
            Confirmed if when.now_ms < when.start_ms => Err(BookingError::Timing {
                zh: "服务尚未开始，不能登记爽约",
                en: "the slot has not begun; a no-show cannot be recorded yet",
            }),
            Confirmed => Ok((NoShow, Event::NoShowRecorded)),
            _ => Err(wrong()),
        },
        Action::Annul => match status {
            Completed => Ok((Annulled, Event::Annulled)),
            _ => Err(wrong()),
        },
    }
}

/// No-shows within [`NO_SHOW_WINDOW_DAYS`] after which a resident can no longer book online
/// themselves (a community worker or a phone order still can): the counting rule as data.
pub const NO_SHOW_LIMIT: i64 = 3;
/// The window no-shows are counted in.
pub const NO_SHOW_WINDOW_DAYS: i64 = 90;

/// How a booking was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// 线上自助: the resident online.
    Online,
    /// 代办: a community worker (or family member) on the resident's behalf, with consent.
    Proxy,
    /// 电话: staff entering a phone order.
    Phone,
}

impl Channel {
    /// Its stable key.
    pub fn key(self) -> &'static str {
        match self {
            Channel::Online => "online",
            Channel::Proxy => "proxy",
            Channel::Phone => "phone",
        }
    }

    /// Parses a key.
    pub fn from_key(s: &str) -> Option<Channel> {
        [Channel::Online, Channel::Proxy, Channel::Phone]
            .into_iter()
            .find(|c| c.key() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    fn at(now_h: i64) -> When {
        When {
            now_ms: now_h * H,
            start_ms: 100 * H,
            end_ms: 101 * H,
            cancel_notice_min: 120,
        }
    }

    #[test]
    fn the_happy_path() {
        let (s, e) =
            transition(Status::Requested, Action::Confirm, Actor::Provider, at(90)).unwrap();
        assert_eq!((s, e), (Status::Confirmed, Event::Confirmed));
        let (s, _) = transition(s, Action::Start, Actor::Provider, at(99)).unwrap();
        let (s, e) = transition(s, Action::Complete, Actor::Provider, at(101)).unwrap();
        assert_eq!(s, Status::Completed);
        assert!(e.debits_subsidy());
        let (s, e) = transition(s, Action::Annul, Actor::Regulator, at(200)).unwrap();
        assert_eq!(s, Status::Annulled);
        assert!(e.reverses_subsidy());
    }

    #[test]
    fn roles_status_and_time_are_checked() {
        use Status::*;
        let err = |s, a, who, h| transition(s, a, who, at(h)).unwrap_err();
        assert_eq!(
            err(Requested, Action::Confirm, Actor::Resident, 90).code(),
            "forbidden"
        );
        assert_eq!(
            err(Requested, Action::Cancel, Actor::Regulator, 90).code(),
            "forbidden"
        );
        assert_eq!(
            err(Requested, Action::Complete, Actor::Provider, 100).code(),
            "wrong_status"
        );
        assert_eq!(
            err(Confirmed, Action::Start, Actor::Provider, 98).code(),
            "wrong_time"
        );
        assert_eq!(
            err(Confirmed, Action::NoShow, Actor::Provider, 99).code(),
            "wrong_time"
        );
        assert_eq!(
            err(Confirmed, Action::Cancel, Actor::Resident, 100).code(),
            "wrong_time"
        );
        assert_eq!(
            err(Requested, Action::Confirm, Actor::Provider, 101).code(),
            "wrong_time"
        );
        assert_eq!(
            err(Cancelled, Action::Cancel, Actor::Resident, 50).code(),
            "wrong_status"
        );
        // Free cancellation until two hours before; later is late; the outlet is never late.
        let c = |who, h| transition(Confirmed, Action::Cancel, who, at(h)).unwrap().1;
        assert_eq!(
            c(Actor::Resident, 98),
            Event::Cancelled {
                late: false,
                by_provider: false
            }
        );
        assert_eq!(
            c(Actor::Booker, 99),
            Event::Cancelled {
                late: true,
                by_provider: false
            }
        );
        assert_eq!(
            c(Actor::Provider, 99),
            Event::Cancelled {
                late: false,
                by_provider: true
            }
        );
        let msg = err(Cancelled, Action::Confirm, Actor::Provider, 50).to_string();
        assert!(msg.contains("已取消") && msg.contains("cancelled"), "{msg}");
    }

    #[test]
    fn keys_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::from_key(s.key()), Some(s));
        }
        for a in Action::ALL {
            assert_eq!(Action::from_key(a.key()), Some(a));
        }
        assert_eq!(Channel::from_key("proxy"), Some(Channel::Proxy));
    }
}
