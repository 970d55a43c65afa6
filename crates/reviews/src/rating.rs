//! Public ratings, recomputed from review events alone: per subject (an outlet, provider,
//! practitioner or service type, named by the caller's key) the count, the 好/中/差 counts, the
//! level distribution and the good rate. A subject's figures are public only from a minimum count
//! (default [`DEFAULT_MINIMUM`]) so that no reviewer can be identified. Reviews excluded by an
//! upheld appeal are out of every figure; the first rating of a review is the one that counts
//! (one rating per case).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::level::{Class, Level};

/// The default minimum number of reviews for a public rating.
pub const DEFAULT_MINIMUM: u32 = 10;

/// What the rating needs from the review log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ReviewEvent {
    /// A review (or a default rating) of one case.
    Rated {
        review: u64,
        subject: String,
        level: Level,
        /// Given by a jurisdiction's default-rating rule, not by the resident.
        default: bool,
    },
    /// An appeal against the review was upheld: it stays in the record, out of every statistic.
    Excluded { review: u64 },
}

/// The figures of one subject.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Figures {
    pub count: u32,
    pub good: u32,
    pub neutral: u32,
    pub bad: u32,
    /// Counts per level, 非常满意 first.
    pub levels: Vec<u32>,
    /// good / count in basis points (1/10000), rounded half up; 0 when count is 0.
    pub good_rate_bp: u32,
}

/// A subject's public rating.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Public {
    Published(Figures),
    /// Fewer reviews than the minimum: nothing is shown, not even the count.
    Withheld {
        minimum: u32,
    },
}

impl Figures {
    fn add(&mut self, level: Level) {
        if self.levels.len() != Level::ALL.len() {
            self.levels = vec![0; Level::ALL.len()];
        }
        self.count += 1;
        self.levels[level.index()] += 1;
        match level.class() {
            Class::Good => self.good += 1,
            Class::Neutral => self.neutral += 1,
            Class::Bad => self.bad += 1,
        }
        self.good_rate_bp = ((u64::from(self.good) * 20000 + u64::from(self.count))
            / (2 * u64::from(self.count))) as u32;
    }
}

/// The figures of every subject from the events, published or not.
pub fn tally(events: &[ReviewEvent]) -> BTreeMap<String, Figures> {
    let excluded: BTreeSet<u64> = events
        .iter()
        .filter_map(|e| match e {
            ReviewEvent::Excluded { review } => Some(*review),
            _ => None,
        })
        .collect();
    let mut seen = BTreeSet::new();
    let mut out: BTreeMap<String, Figures> = BTreeMap::new();
    for e in events {
        if let ReviewEvent::Rated {
            review,
            subject,
            level,
            ..
        } = e
        {
            if seen.insert(*review) && !excluded.contains(review) {
                out.entry(subject.clone()).or_default().add(*level);
            }
        }
    }
    out
}

/// Published or withheld by the minimum count.
pub fn publish(figures: Figures, minimum: u32) -> Public {
    if figures.count >= minimum.max(1) {
        Public::Published(figures)
    } else {
        Public::Withheld { minimum }
    }
}

/// Every subject's public rating, recomputed from the events.
pub fn recompute(events: &[ReviewEvent], minimum: u32) -> BTreeMap<String, Public> {
    tally(events)
        .into_iter()
        .map(|(k, f)| (k, publish(f, minimum)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rated(review: u64, level: Level) -> ReviewEvent {
        ReviewEvent::Rated {
            review,
            subject: "outlet:7".into(),
            level,
            default: false,
        }
    }

    #[test]
    fn below_the_minimum_nothing_is_published() {
        let events: Vec<_> = (0..9).map(|i| rated(i, Level::Satisfied)).collect();
        assert_eq!(
            recompute(&events, DEFAULT_MINIMUM)["outlet:7"],
            Public::Withheld { minimum: 10 }
        );
    }

    #[test]
    fn an_upheld_appeal_changes_the_figures() {
        let mut events: Vec<_> = (0..10).map(|i| rated(i, Level::VerySatisfied)).collect();
        events.push(rated(10, Level::VeryDissatisfied));
        events.push(rated(10, Level::VerySatisfied)); // a second rating of one case: ignored
        let Public::Published(before) = &recompute(&events, DEFAULT_MINIMUM)["outlet:7"] else {
            panic!("published");
        };
        assert_eq!((before.count, before.good, before.bad), (11, 10, 1));
        assert_eq!(before.levels, [10, 0, 0, 0, 1]);
        assert_eq!(before.good_rate_bp, 9091); // 10/11 = 0.90909…
        events.push(ReviewEvent::Excluded { review: 10 });
        let Public::Published(after) = &recompute(&events, DEFAULT_MINIMUM)["outlet:7"] else {
            panic!("published");
        };
        assert_eq!((after.count, after.good, after.bad), (10, 10, 0));
        assert_eq!(after.levels, [10, 0, 0, 0, 0]);
        assert_eq!(after.good_rate_bp, 10000);
        // Excluding one more takes it below the minimum.
        events.push(ReviewEvent::Excluded { review: 0 });
        assert_eq!(
            recompute(&events, DEFAULT_MINIMUM)["outlet:7"],
            Public::Withheld { minimum: 10 }
        );
    }
}
