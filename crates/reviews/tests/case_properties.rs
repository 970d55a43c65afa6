//! Any sequence of actions by any actors keeps the case's invariants:
//! - a closed case is terminal: every action on it is refused and changes nothing;
//! - no call-back before verification;
//! - the deadline never moves backwards;
//! - only an upheld appeal excludes a review, an excluded case is closed, and excluded reviews are
//!   never counted in the public ratings.

use jiff::civil::{date, time, Date};
use lc_reviews::case::{transition, Action, Actor, Case, Event, Ground, Status};
use lc_reviews::jurisdiction;
use lc_reviews::level::Level;
use lc_reviews::rating::{tally, ReviewEvent};
use lc_reviews::workdays::Calendar;
use proptest::prelude::*;

fn at(d: Date, offset: u32) -> i64 {
    let d = d
        .checked_add(jiff::Span::new().days(i64::from(offset)))
        .unwrap();
    lc_services::time::instant(d, time(9, 0, 0, 0)).unwrap()
}

fn action(i: u8, day: u32) -> Action {
    let text = if day.is_multiple_of(7) { "" } else { "说明" }.to_string();
    match i % 10 {
        0 => Action::Verify,
        1 => Action::Rectify,
        2 => Action::Explain { text },
        3 => Action::Appeal {
            ground: Ground::Mistaken,
            reason: text,
        },
        4 => Action::DecideAppeal {
            uphold: true,
            reason: text,
        },
        5 => Action::DecideAppeal {
            uphold: false,
            reason: text,
        },
        6 => Action::ExtendDeadline {
            to: date(2026, 3, 1)
                .checked_add(jiff::Span::new().days(i64::from(day % 40)))
                .unwrap(),
            reason: text,
        },
        7 => Action::ReportRectified { text },
        8 => Action::CallBack {
            accepted: day.is_multiple_of(2),
            note: text,
        },
        _ => Action::Close,
    }
}

const ACTORS: [Actor; 4] = [
    Actor::Resident,
    Actor::Provider,
    Actor::Regulator,
    Actor::System,
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn invariants_hold(
        cases in prop::collection::vec(
            (0usize..3, prop::collection::vec((any::<u8>(), 0usize..4, 0u32..40), 0..30)),
            1..6,
        )
    ) {
        let start = date(2026, 2, 10);
        let keys = ["sichuan", "dezhou", "guangdong"];
        let mut events = Vec::new();
        let mut excluded = 0;
        for (n, (j, steps)) in cases.iter().enumerate() {
            let mut c = Case::open(at(start, 0), jurisdiction::get(keys[*j]).unwrap(), Calendar::national()).unwrap();
            let mut day = 0;
            for (a, who, dt) in steps {
                day = (day + dt / 8).min(60);
                let act = action(*a, *dt);
                let before = c.clone();
                match transition(&c, &act, ACTORS[*who], at(start, day)) {
                    Ok((next, event)) => {
                        prop_assert!(before.status != Status::Closed, "closed is terminal");
                        if next.status == Status::CalledBack {
                            prop_assert!(next.verified, "no call-back before verification");
                        }
                        if let (Some(a), Some(b)) = (before.deadline, next.deadline) {
                            prop_assert!(b >= a, "deadline moved back");
                        }
                        prop_assert!(before.deadline.is_none() || next.deadline.is_some());
                        if next.excluded && !before.excluded {
                            let upheld = matches!(event, Event::AppealUpheld { .. });
                            prop_assert!(upheld, "only an upheld appeal excludes");
                        }
                        prop_assert!(before.excluded <= next.excluded);
                        if next.excluded {
                            prop_assert_eq!(next.status, Status::Closed);
                        }
                        c = next;
                    }
                    Err(_) => prop_assert_eq!(&c, &before),
                }
            }
            events.push(ReviewEvent::Rated {
                review: n as u64,
                subject: "outlet".into(),
                level: Level::Dissatisfied,
                default: false,
            });
            if c.excluded {
                excluded += 1;
                events.push(ReviewEvent::Excluded { review: n as u64 });
            }
        }
        let counted = tally(&events).get("outlet").map_or(0, |f| f.count);
        prop_assert_eq!(counted as usize, cases.len() - excluded);
    }
}
