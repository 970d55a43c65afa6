//! The five levels of 好差评 and the class each belongs to.
//!
//! Mapping (`DOMAIN.md` §6.1 table, source yncj.gov.cn 2020-05-05 restating the national rule;
//! `PLATFORM.md` §1 fact 1 "the bottom two are 差评"): 非常满意 and 满意 are 好评, 基本满意 is 中评,
//! 不满意 and 非常不满意 are 差评.

use serde::{Deserialize, Serialize};

/// A rating level. The serialised keys are stable.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 非常满意 ★★★★★.
    VerySatisfied,
    /// 满意 ★★★★.
    Satisfied,
    /// 基本满意 ★★★.
    Basic,
    /// 不满意 ★★.
    Dissatisfied,
    /// 非常不满意 ★.
    VeryDissatisfied,
}

/// 好评, 中评 or 差评.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// 好评.
    Good,
    /// 中评.
    Neutral,
    /// 差评.
    Bad,
}

impl Level {
    /// All levels, best first.
    pub const ALL: [Level; 5] = [
        Level::VerySatisfied,
        Level::Satisfied,
        Level::Basic,
        Level::Dissatisfied,
        Level::VeryDissatisfied,
    ];

    /// The stable key.
    pub fn key(self) -> &'static str {
        match self {
            Level::VerySatisfied => "very_satisfied",
            Level::Satisfied => "satisfied",
            Level::Basic => "basic",
            Level::Dissatisfied => "dissatisfied",
            Level::VeryDissatisfied => "very_dissatisfied",
        }
    }

    /// The level of a key.
    pub fn from_key(key: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.key() == key)
    }

    /// The Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Level::VerySatisfied => "非常满意",
            Level::Satisfied => "满意",
            Level::Basic => "基本满意",
            Level::Dissatisfied => "不满意",
            Level::VeryDissatisfied => "非常不满意",
        }
    }

    /// Stars, 5 for 非常满意 down to 1.
    pub fn stars(self) -> u8 {
        5 - self.index() as u8
    }

    /// Position in [`Level::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// 好评, 中评 or 差评.
    pub fn class(self) -> Class {
        match self {
            Level::VerySatisfied | Level::Satisfied => Class::Good,
            Level::Basic => Class::Neutral,
            Level::Dissatisfied | Level::VeryDissatisfied => Class::Bad,
        }
    }

    /// Whether a rating at this level opens a 差评 case.
    pub fn is_bad(self) -> bool {
        self.class() == Class::Bad
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_classes_follow_the_table() {
        for l in Level::ALL {
            assert_eq!(Level::from_key(l.key()), Some(l));
            let json = serde_json::to_string(&l).unwrap();
            assert_eq!(json, format!("\"{}\"", l.key()));
        }
        let classes: Vec<Class> = Level::ALL.iter().map(|l| l.class()).collect();
        assert_eq!(
            classes,
            [
                Class::Good,
                Class::Good,
                Class::Neutral,
                Class::Bad,
                Class::Bad
            ]
        );
        assert_eq!(Level::VerySatisfied.stars(), 5);
        assert_eq!(Level::VeryDissatisfied.stars(), 1);
        assert_eq!(Level::from_key("good"), None);
    }
}
