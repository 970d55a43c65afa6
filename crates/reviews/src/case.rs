//! The 差评 case (`PLATFORM.md` §1 fact 5): received → verified (核实) → rectifying with a
//! deadline (限期整改) and then rectified, or explained (解释说明), or referred to appeal (申诉复核)
//! → called back (回访) → closed. An appeal upheld closes the case at once and excludes the review
//! from every statistic; the review itself stays in the record.
//!
//! [`transition`] is a function from a case, an action, who acts and when, to the next case and
//! the event to record. The deadline is worked out when the case is opened ([`Case::open`]), from
//! the jurisdiction's rule and the working-day calendar, so transitions need neither.
//!
//! Invariants (checked by `tests/case_properties.rs`): a closed case is terminal; no call-back
//! before verification; the deadline never moves backwards (a regulator may only extend it);
//! only an upheld appeal excludes the review, and an excluded case is closed.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::jurisdiction::Jurisdiction;
use crate::workdays::{Calendar, NotCovered};

/// Where a case is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// 已受理.
    Received,
    /// 已核实.
    Verified,
    /// 整改中.
    Rectifying,
    /// 已整改, waiting for the call-back.
    Rectified,
    /// 已解释说明, waiting for the call-back.
    Explained,
    /// 申诉复核中.
    Appealed,
    /// 已回访.
    CalledBack,
    /// 已办结.
    Closed,
}

/// Who acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    /// The reviewer (or their proxy).
    Resident,
    /// The outlet or provider that was rated (谁办理、谁负责).
    Provider,
    /// The supervising department.
    Regulator,
    /// The platform's scheduler.
    System,
}

/// The ground of an appeal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Ground {
    /// 误评.
    Mistaken,
    /// 恶意差评.
    Malicious,
}

/// What someone does to a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// The provider or regulator has checked the facts with the reviewer.
    Verify,
    /// The provider commits to fix it by the case's deadline.
    Rectify,
    /// The provider explains (no legal basis for the complaint).
    Explain { text: String },
    /// The provider appeals the rating as mistaken or malicious (once per case).
    Appeal { ground: Ground, reason: String },
    /// The regulator decides an appeal with a reason.
    DecideAppeal { uphold: bool, reason: String },
    /// The regulator gives a later deadline with a reason.
    ExtendDeadline {
        #[serde(with = "crate::ymd")]
        #[schema(value_type = String, format = Date)]
        to: Date,
        reason: String,
    },
    /// The provider reports the fix done.
    ReportRectified { text: String },
    /// The call-back with the reviewer is recorded, with whether they accept the outcome.
    CallBack { accepted: bool, note: String },
    /// The case is closed after the call-back.
    Close,
}

/// The event a transition records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    Verified,
    RectificationOrdered {
        #[serde(with = "crate::ymd::opt")]
        #[schema(value_type = Option<String>, format = Date)]
        deadline: Option<Date>,
    },
    Explained {
        text: String,
    },
    Appealed {
        ground: Ground,
        reason: String,
    },
    AppealUpheld {
        reason: String,
    },
    AppealRejected {
        reason: String,
    },
    DeadlineExtended {
        #[serde(with = "crate::ymd::opt")]
        #[schema(value_type = Option<String>, format = Date)]
        from: Option<Date>,
        #[serde(with = "crate::ymd")]
        #[schema(value_type = String, format = Date)]
        to: Date,
        reason: String,
    },
    Rectified {
        text: String,
        on_time: bool,
    },
    CalledBack {
        accepted: bool,
        note: String,
    },
    Closed,
}

/// A case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Case {
    pub status: Status,
    /// The day the 差评 was received (Asia/Shanghai).
    #[serde(with = "crate::ymd")]
    #[schema(value_type = String, format = Date)]
    pub received: Date,
    /// The rectification deadline (last day, inclusive); `None` when the jurisdiction sets none.
    #[serde(with = "crate::ymd::opt")]
    #[schema(value_type = Option<String>, format = Date)]
    pub deadline: Option<Date>,
    /// Whether the case has been verified (stays true).
    pub verified: bool,
    /// Whether an appeal was made (one per case).
    pub appealed: bool,
    /// The review is out of every statistic (an upheld appeal).
    pub excluded: bool,
    /// Whether the fix was reported by the deadline, once reported.
    pub rectified_on_time: Option<bool>,
}

/// A refused transition.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    #[error("{action} is not possible when the case is {status:?}")]
    InvalidTransition {
        status: Status,
        action: &'static str,
    },
    #[error("{actor:?} may not {action}")]
    Forbidden { actor: Actor, action: &'static str },
    #[error("a reason or text is required")]
    ReasonRequired,
    #[error("a case may be appealed only once")]
    AlreadyAppealed,
    #[error("a deadline can only be extended, to a day after {current:?}")]
    DeadlineBackwards { current: Option<Date> },
    #[error("the time {0} cannot be placed in Asia/Shanghai")]
    BadTime(i64),
    #[error("{0}")]
    NotCovered(#[from] NotCovered),
}

impl CaseError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            CaseError::InvalidTransition { .. } => "invalid_transition",
            CaseError::Forbidden { .. } => "forbidden",
            CaseError::ReasonRequired => "reason_required",
            CaseError::AlreadyAppealed => "already_appealed",
            CaseError::DeadlineBackwards { .. } => "deadline_backwards",
            CaseError::BadTime(_) => "bad_time",
            CaseError::NotCovered(e) => e.code(),
        }
    }

    /// 中文说明.
    pub fn message_zh(&self) -> String {
        match self {
            CaseError::InvalidTransition { status, action } => {
                format!("差评工单处于 {} 状态，不能执行 {action}", status.zh())
            }
            CaseError::Forbidden { actor, action } => format!("{actor:?} 无权执行 {action}"),
            CaseError::ReasonRequired => "须填写理由或说明".into(),
            CaseError::AlreadyAppealed => "每件差评只能申诉一次".into(),
            CaseError::DeadlineBackwards { current } => {
                format!("整改期限只能延后，新期限须晚于 {current:?}")
            }
            CaseError::BadTime(ms) => format!("时间 {ms} 无法换算为北京时间"),
            CaseError::NotCovered(e) => e.message_zh(),
        }
    }

    /// English explanation.
    pub fn message_en(&self) -> String {
        self.to_string()
    }
}

impl Status {
    /// All statuses.
    pub const ALL: [Status; 8] = [
        Status::Received,
        Status::Verified,
        Status::Rectifying,
        Status::Rectified,
        Status::Explained,
        Status::Appealed,
        Status::CalledBack,
        Status::Closed,
    ];

    /// The stable key (as serialised).
    pub fn key(self) -> &'static str {
        match self {
            Status::Received => "received",
            Status::Verified => "verified",
            Status::Rectifying => "rectifying",
            Status::Rectified => "rectified",
            Status::Explained => "explained",
            Status::Appealed => "appealed",
            Status::CalledBack => "called_back",
            Status::Closed => "closed",
        }
    }

    /// The status of a key.
    pub fn from_key(key: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.key() == key)
    }

    /// The Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Status::Received => "已受理",
            Status::Verified => "已核实",
            Status::Rectifying => "整改中",
            Status::Rectified => "已整改",
            Status::Explained => "已解释说明",
            Status::Appealed => "申诉复核中",
            Status::CalledBack => "已回访",
            Status::Closed => "已办结",
        }
    }
}

impl Action {
    /// The action's stable name.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Verify => "verify",
            Action::Rectify => "rectify",
            Action::Explain { .. } => "explain",
            Action::Appeal { .. } => "appeal",
            Action::DecideAppeal { .. } => "decide_appeal",
            Action::ExtendDeadline { .. } => "extend_deadline",
            Action::ReportRectified { .. } => "report_rectified",
            Action::CallBack { .. } => "call_back",
            Action::Close => "close",
        }
    }

    fn allowed(&self, actor: Actor) -> bool {
        use Actor::*;
        match self {
            Action::Verify | Action::Close => matches!(actor, Provider | Regulator),
            // The reviewer's identity is never shown to the provider, so the call-back is the
            // supervising department's.
            Action::CallBack { .. } => actor == Regulator,
            Action::Rectify
            | Action::Explain { .. }
            | Action::Appeal { .. }
            | Action::ReportRectified { .. } => actor == Provider,
            Action::DecideAppeal { .. } | Action::ExtendDeadline { .. } => actor == Regulator,
        }
    }
}

fn need(text: &str) -> Result<String, CaseError> {
    let t = text.trim();
    if t.is_empty() {
        Err(CaseError::ReasonRequired)
    } else {
        Ok(t.to_string())
    }
}

impl Case {
    /// Opens a case for a 差评 received at `now` (ms since the epoch, UTC), with the deadline the
    /// jurisdiction sets, counted from the day of receipt (which does not count).
    pub fn open(
        now: i64,
        jurisdiction: &Jurisdiction,
        calendar: &Calendar,
    ) -> Result<Case, CaseError> {
        let received = lc_services::time::local_date(now).map_err(|_| CaseError::BadTime(now))?;
        Ok(Case {
            status: Status::Received,
            received,
            deadline: jurisdiction.deadline(received, calendar)?,
            verified: false,
            appealed: false,
            excluded: false,
            rectified_on_time: None,
        })
    }

    /// Overdue: a deadline has passed on `today` and the fix is not reported. Explained, appealed
    /// and closed cases are not overdue.
    pub fn is_overdue(&self, today: Date) -> bool {
        matches!(
            self.status,
            Status::Received | Status::Verified | Status::Rectifying
        ) && self.deadline.is_some_and(|d| today > d)
    }
}

/// The next case and the event to record, or why not.
pub fn transition(
    case: &Case,
    action: &Action,
    actor: Actor,
    now: i64,
) -> Result<(Case, Event), CaseError> {
    use Status::*;
    let invalid = || CaseError::InvalidTransition {
        status: case.status,
        action: action.name(),
    };
    if case.status == Closed {
        return Err(invalid());
    }
    if !action.allowed(actor) {
        return Err(CaseError::Forbidden {
            actor,
            action: action.name(),
        });
    }
    let today = lc_services::time::local_date(now).map_err(|_| CaseError::BadTime(now))?;
    let mut next = case.clone();
    let event = match (case.status, action) {
        (Received, Action::Verify) => {
            next.status = Verified;
            next.verified = true;
            Event::Verified
        }
        (Verified, Action::Rectify) => {
            next.status = Rectifying;
            Event::RectificationOrdered {
                deadline: case.deadline,
            }
        }
        (Verified, Action::Explain { text }) => {
            next.status = Explained;
            Event::Explained { text: need(text)? }
        }
        (Verified, Action::Appeal { ground, reason }) => {
            if case.appealed {
                return Err(CaseError::AlreadyAppealed);
            }
            next.status = Appealed;
            next.appealed = true;
            Event::Appealed {
                ground: *ground,
                reason: need(reason)?,
            }
        }
        (Appealed, Action::DecideAppeal { uphold, reason }) => {
            let reason = need(reason)?;
            if *uphold {
                next.status = Closed;
                next.excluded = true;
                Event::AppealUpheld { reason }
            } else {
                next.status = Verified;
                Event::AppealRejected { reason }
            }
        }
        (Received | Verified | Rectifying, Action::ExtendDeadline { to, reason }) => {
            if case.deadline.is_some_and(|d| *to <= d) || *to < case.received {
                return Err(CaseError::DeadlineBackwards {
                    current: case.deadline,
                });
            }
            next.deadline = Some(*to);
            Event::DeadlineExtended {
                from: case.deadline,
                to: *to,
                reason: need(reason)?,
            }
        }
        (Rectifying, Action::ReportRectified { text }) => {
            let text = need(text)?;
            let on_time = case.deadline.is_none_or(|d| today <= d);
            next.status = Rectified;
            next.rectified_on_time = Some(on_time);
            Event::Rectified { text, on_time }
        }
        (Rectified | Explained, Action::CallBack { accepted, note }) => {
            next.status = CalledBack;
            Event::CalledBack {
                accepted: *accepted,
                note: need(note)?,
            }
        }
        (CalledBack, Action::Close) => {
            next.status = Closed;
            Event::Closed
        }
        _ => return Err(invalid()),
    };
    Ok((next, event))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jurisdiction;
    use jiff::civil::{date, time};

    fn at(d: Date) -> i64 {
        lc_services::time::instant(d, time(10, 0, 0, 0)).unwrap()
    }

    #[test]
    fn a_rectified_case_closes_after_the_call_back() {
        let sc = jurisdiction::get("sichuan").unwrap();
        let now = at(date(2026, 3, 2));
        let c = Case::open(now, sc, Calendar::national()).unwrap();
        assert_eq!(c.deadline, Some(date(2026, 3, 23)));
        let steps = [
            (Action::Verify, Actor::Provider),
            (Action::Rectify, Actor::Provider),
            (
                Action::ReportRectified {
                    text: "换了送餐保温箱".into(),
                },
                Actor::Provider,
            ),
            (
                Action::CallBack {
                    accepted: true,
                    note: "居民表示满意".into(),
                },
                Actor::Regulator,
            ),
            (Action::Close, Actor::Regulator),
        ];
        let mut c = c;
        for (a, who) in steps {
            c = transition(&c, &a, who, now).unwrap().0;
        }
        assert_eq!(c.status, Status::Closed);
        assert_eq!(c.rectified_on_time, Some(true));
        let e = transition(&c, &Action::Verify, Actor::Provider, now).unwrap_err();
        assert_eq!(e.code(), "invalid_transition");
        assert!(e.message_zh().contains("已办结"));
    }

    #[test]
    fn overdue_and_late_rectification() {
        let dz = jurisdiction::get("dezhou").unwrap();
        let c = Case::open(at(date(2026, 3, 2)), dz, Calendar::national()).unwrap();
        assert_eq!(c.deadline, Some(date(2026, 3, 9)));
        assert!(!c.is_overdue(date(2026, 3, 9)));
        assert!(c.is_overdue(date(2026, 3, 10)));
        let late = at(date(2026, 3, 10));
        let c = transition(&c, &Action::Verify, Actor::Provider, late)
            .unwrap()
            .0;
        let c = transition(&c, &Action::Rectify, Actor::Provider, late)
            .unwrap()
            .0;
        let (c, e) = transition(
            &c,
            &Action::ReportRectified {
                text: "已整改".into(),
            },
            Actor::Provider,
            late,
        )
        .unwrap();
        assert_eq!(
            e,
            Event::Rectified {
                text: "已整改".into(),
                on_time: false
            }
        );
        assert!(!c.is_overdue(date(2026, 3, 11)));
    }

    #[test]
    fn upheld_appeal_closes_and_excludes() {
        let sc = jurisdiction::get("sichuan").unwrap();
        let now = at(date(2026, 3, 2));
        let c = Case::open(now, sc, Calendar::national()).unwrap();
        let c = transition(&c, &Action::Verify, Actor::Provider, now)
            .unwrap()
            .0;
        let appeal = Action::Appeal {
            ground: Ground::Malicious,
            reason: "未到店消费".into(),
        };
        assert_eq!(
            transition(&c, &appeal, Actor::Resident, now)
                .unwrap_err()
                .code(),
            "forbidden"
        );
        let c = transition(&c, &appeal, Actor::Provider, now).unwrap().0;
        let empty = Action::DecideAppeal {
            uphold: true,
            reason: " ".into(),
        };
        assert_eq!(
            transition(&c, &empty, Actor::Regulator, now)
                .unwrap_err()
                .code(),
            "reason_required"
        );
        let rejected = Action::DecideAppeal {
            uphold: false,
            reason: "有消费记录".into(),
        };
        let back = transition(&c, &rejected, Actor::Regulator, now).unwrap().0;
        assert_eq!(back.status, Status::Verified);
        assert_eq!(
            transition(&back, &appeal, Actor::Provider, now)
                .unwrap_err()
                .code(),
            "already_appealed"
        );
        let upheld = Action::DecideAppeal {
            uphold: true,
            reason: "监控证实未到店".into(),
        };
        let (c, e) = transition(&c, &upheld, Actor::Regulator, now).unwrap();
        assert!(c.excluded && c.status == Status::Closed);
        assert_eq!(
            e,
            Event::AppealUpheld {
                reason: "监控证实未到店".into()
            }
        );
    }

    #[test]
    fn status_keys_are_the_serialised_names_and_only_the_regulator_calls_back() {
        for s in Status::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), s.key());
            assert_eq!(Status::from_key(s.key()), Some(s));
        }
        assert_eq!(Status::from_key("open"), None);
        let sc = jurisdiction::get("sichuan").unwrap();
        let now = at(date(2026, 3, 2));
        let mut c = Case::open(now, sc, Calendar::national()).unwrap();
        for a in [
            Action::Verify,
            Action::Explain {
                text: "按价目表收费".into(),
            },
        ] {
            c = transition(&c, &a, Actor::Provider, now).unwrap().0;
        }
        let call = Action::CallBack {
            accepted: true,
            note: "已回访".into(),
        };
        assert_eq!(
            transition(&c, &call, Actor::Provider, now)
                .unwrap_err()
                .code(),
            "forbidden"
        );
        assert_eq!(
            transition(&c, &call, Actor::Regulator, now)
                .unwrap()
                .0
                .status,
            Status::CalledBack
        );
    }
}
