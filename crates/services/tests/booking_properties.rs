//! Property tests of the booking state machine (issue 11): any sequence of actions by any actors
//! at any times keeps the invariants — no booking completes without having been confirmed and
//! started, terminal states stay terminal, and a slot's held seats never exceed its capacity
//! when seats are taken only while one is free and given back exactly on the events that say so.

use lc_services::booking::{transition, Action, Actor, Event, Status, When};
use proptest::prelude::*;

const ACTORS: [Actor; 6] = [
    Actor::Resident,
    Actor::Booker,
    Actor::Provider,
    Actor::CommunityWorker,
    Actor::Regulator,
    Actor::Admin,
];

#[derive(Debug, Clone)]
enum Step {
    /// A new booking asks for a seat.
    Book,
    /// An action on booking `i % n`, by an actor, at an hour.
    Act(usize, Action, Actor, i64),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        1 => Just(Step::Book),
        4 => (
            0usize..64,
            prop::sample::select(Action::ALL.to_vec()),
            prop::sample::select(ACTORS.to_vec()),
            0i64..200,
        )
            .prop_map(|(i, a, who, h)| Step::Act(i, a, who, h)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    #[test]
    fn invariants_hold(capacity in 1usize..5, steps in prop::collection::vec(step(), 1..80)) {
        // Each booking: its status and the history of statuses it went through.
        let mut bookings: Vec<(Status, Vec<Status>)> = Vec::new();
        let mut held = 0usize;
        for s in steps {
            match s {
                Step::Book => {
                    // The database's conditional update: a seat only while one is free.
                    if held < capacity {
                        held += 1;
                        bookings.push((Status::Requested, vec![Status::Requested]));
                    }
                }
                Step::Act(i, action, actor, hour) => {
                    if bookings.is_empty() {
                        continue;
                    }
                    let n = bookings.len();
                    let (status, history) = &mut bookings[i % n];
                    let when = When { now_ms: hour * 3_600_000, start_ms: 100 * 3_600_000, end_ms: 101 * 3_600_000, cancel_notice_min: 120 };
                    if let Ok((next, event)) = transition(*status, action, actor, when) {
                        prop_assert_ne!(next, *status, "every transition changes the status");
                        prop_assert_eq!(event.releases_seat(), status.holds_seat() && !next.holds_seat());
                        if event.releases_seat() {
                            held -= 1;
                        }
                        if next == Status::Completed {
                            prop_assert!(history.contains(&Status::Confirmed) && history.contains(&Status::InService));
                        }
                        if matches!(event, Event::Completed) {
                            prop_assert!(event.debits_subsidy());
                        }
                        *status = next;
                        history.push(next);
                    }
                }
            }
            let holding = bookings.iter().filter(|(s, _)| s.holds_seat()).count();
            prop_assert_eq!(holding, held);
            prop_assert!(held <= capacity);
        }
        for (status, history) in &bookings {
            // Terminal states: nothing leaves cancelled, rejected, no-show or annulled.
            if let Some(p) = history.iter().position(|s| matches!(s, Status::Cancelled | Status::Rejected | Status::NoShow | Status::Annulled)) {
                prop_assert_eq!(p, history.len() - 1);
                prop_assert_eq!(*status, history[p]);
            }
            // Debits at most once: Completed appears at most once.
            prop_assert!(history.iter().filter(|s| **s == Status::Completed).count() <= 1);
        }
    }
}
