//! Property tests of the childcare waiting list (issue 11): any sequence of applications,
//! actions by any actors at any times and changes of the number of places keeps the
//! invariants — the places held (offered and enrolled) never exceed the places, no place stays
//! free while someone waits, places are offered in the order of application, and a closed
//! application stays closed.
//!
//! The nursery here is a model of what the server does in SQL: a place is taken only while one
//! is free (the conditional update), given back exactly when [`releases_place`] says so, and
//! after every change the head of the waiting list (earliest application first) is offered
//! free places by the [`Actor::System`].

use lc_services::childcare::{releases_place, transition, Action, Actor, Status, When};
use proptest::prelude::*;

const ACTORS: [Actor; 6] = [
    Actor::System,
    Actor::Parent,
    Actor::Provider,
    Actor::CommunityWorker,
    Actor::Regulator,
    Actor::Admin,
];

#[derive(Debug, Clone)]
enum Step {
    /// A new application joins the list.
    Apply,
    /// An action on application `i % n`, by an actor, at an hour (offers lapse at hour 100).
    Act(usize, Action, Actor, i64),
    /// The nursery's places change (refused below the places held, as the server refuses).
    SetPlaces(i64),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => Just(Step::Apply),
        6 => (
            0usize..64,
            prop::sample::select(Action::ALL.to_vec()),
            prop::sample::select(ACTORS.to_vec()),
            0i64..200,
        )
            .prop_map(|(i, a, who, h)| Step::Act(i, a, who, h)),
        1 => (0i64..6).prop_map(Step::SetPlaces),
    ]
}

struct Nursery {
    places: i64,
    in_use: i64,
    /// Applications in the order they were made: status and history.
    apps: Vec<(Status, Vec<Status>)>,
    /// Applications in the order they were offered a place.
    offered: Vec<usize>,
}

impl Nursery {
    /// The server's conditional update: `in_use = in_use + 1 WHERE in_use < places`.
    fn take(&mut self) -> bool {
        if self.in_use < self.places {
            self.in_use += 1;
            true
        } else {
            false
        }
    }

    /// Offers free places to the head of the waiting list, as the server does after a change.
    fn fill(&mut self) {
        while let Some(head) = self.apps.iter().position(|(s, _)| *s == Status::Waiting) {
            if !self.take() {
                break;
            }
            let when = When {
                now_ms: 0,
                offer_expires_ms: None,
            };
            let (next, _) = transition(Status::Waiting, Action::Offer, Actor::System, when)
                .expect("the system offers a waiting application");
            self.apps[head].0 = next;
            self.apps[head].1.push(next);
            self.offered.push(head);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    #[test]
    fn the_waiting_list_keeps_its_invariants(places in 0i64..5, steps in prop::collection::vec(step(), 1..100)) {
        let mut n = Nursery { places, in_use: 0, apps: Vec::new(), offered: Vec::new() };
        for s in steps {
            match s {
                Step::Apply => {
                    n.apps.push((Status::Waiting, vec![Status::Waiting]));
                }
                Step::SetPlaces(p) => {
                    if p >= n.in_use {
                        n.places = p;
                    }
                }
                Step::Act(i, action, actor, hour) => {
                    if n.apps.is_empty() {
                        continue;
                    }
                    let k = i % n.apps.len();
                    let status = n.apps[k].0;
                    let when = When { now_ms: hour, offer_expires_ms: Some(100) };
                    if let Ok((next, event)) = transition(status, action, actor, when) {
                        prop_assert_ne!(next, status, "every transition changes the status");
                        if event.takes_place() {
                            // An offer outside the fill: only the system makes offers, and only
                            // with a free place.
                            prop_assert_eq!(actor, Actor::System);
                            if !n.take() {
                                continue;
                            }
                            n.offered.push(k);
                        }
                        if releases_place(status, next) {
                            n.in_use -= 1;
                        }
                        prop_assert!(!(status == Status::Waiting && next.holds_place()) || event.takes_place());
                        n.apps[k].0 = next;
                        n.apps[k].1.push(next);
                    }
                }
            }
            n.fill();
            let held = n.apps.iter().filter(|(s, _)| s.holds_place()).count() as i64;
            prop_assert_eq!(held, n.in_use, "the counter is the places held");
            prop_assert!(n.in_use <= n.places, "places in use ≤ places");
            let waiting = n.apps.iter().any(|(s, _)| *s == Status::Waiting);
            prop_assert!(!(waiting && n.in_use < n.places), "no place stays free while someone waits");
        }
        // Places are offered in the order of application, each application at most once.
        for w in n.offered.windows(2) {
            prop_assert!(w[0] < w[1], "offers follow the order of application: {:?}", n.offered);
        }
        for (k, (status, history)) in n.apps.iter().enumerate() {
            // Closed applications stay closed.
            if let Some(p) = history.iter().position(|s| !s.is_open()) {
                prop_assert_eq!(p, history.len() - 1);
                prop_assert_eq!(*status, history[p]);
            }
            // Enrolled only after an offer; offered at most once.
            if history.contains(&Status::Enrolled) {
                prop_assert!(history.contains(&Status::Offered));
            }
            prop_assert!(history.iter().filter(|s| **s == Status::Offered).count() <= 1);
            // Whoever applied earlier and is still waiting was never passed over by a later
            // application's offer.
            if *status == Status::Waiting {
                prop_assert!(n.offered.iter().all(|&o| o < k), "application {} waits while a later one was offered", k);
            }
        }
    }
}
