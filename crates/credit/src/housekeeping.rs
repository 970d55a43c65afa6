//! 家政信用 (MOFCOM housekeeping credit, `PLATFORM.md` §3): a practitioner's credit status from
//! their records, with expiry. **Green** (绿码): identity verified, a clean background check
//! within 5 years, a health check within 1 year and insurance in force — all valid on the day.
//! **Red** (红码): identity not verified, an adverse background check, or an entry on the list
//! of seriously dishonest persons. **Yellow** (黄码): anything else (a check missing or
//! expired). The status is recomputed on the day asked, so it turns yellow the day a check
//! lapses without anyone writing anything; [`Status::expiring`] lists what lapses soon (for
//! early warnings).

use jiff::civil::Date;
use jiff::ToSpan;
use serde::{Deserialize, Serialize};

/// Years a background check stays valid.
pub const BACKGROUND_YEARS: i64 = 5;
/// Years a health check stays valid.
pub const HEALTH_YEARS: i64 = 1;

/// A practitioner's records as far as the status needs them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Records {
    /// The identity was checked against the ID document (实名核验).
    pub identity_verified: bool,
    /// The last background check (无犯罪记录等背景核查): its day and whether it was clean.
    pub background_check: Option<(Date, bool)>,
    /// The last health check (健康体检): its day.
    pub health_check: Option<Date>,
    /// The last day of the insurance in force, if any.
    pub insured_until: Option<Date>,
    /// On the list of seriously dishonest persons.
    pub black_listed: bool,
}

/// 绿、黄、红.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Colour {
    Green,
    Yellow,
    Red,
}

impl Colour {
    /// 中文.
    pub fn zh(self) -> &'static str {
        match self {
            Colour::Green => "绿码：信息核验齐全有效",
            Colour::Yellow => "黄码：部分信息缺失或过期",
            Colour::Red => "红码：身份未核验或存在不良记录",
        }
    }

    /// The stable key.
    pub fn key(self) -> &'static str {
        match self {
            Colour::Green => "green",
            Colour::Yellow => "yellow",
            Colour::Red => "red",
        }
    }

    /// The colour of a key.
    pub fn from_key(k: &str) -> Option<Colour> {
        [Colour::Green, Colour::Yellow, Colour::Red]
            .into_iter()
            .find(|c| c.key() == k)
    }
}

/// What is wrong or lapsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Item {
    Identity,
    BackgroundCheck,
    HealthCheck,
    Insurance,
    BlackList,
}

/// A status with its reasons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub colour: Colour,
    /// What keeps it from green.
    pub reasons: Vec<Item>,
    /// The last day each time-limited item is valid.
    pub valid_until: Vec<(Item, Date)>,
}

fn plus_years(d: Date, years: i64) -> Date {
    // A day after year 9999 cannot be written; such a check never lapses in practice.
    d.checked_add(years.years()).unwrap_or(Date::MAX)
}

impl Status {
    /// The status on `today`.
    pub fn of(r: &Records, today: Date) -> Status {
        let mut reasons = Vec::new();
        let mut valid_until = Vec::new();
        let mut red = false;
        if !r.identity_verified {
            reasons.push(Item::Identity);
            red = true;
        }
        if r.black_listed {
            reasons.push(Item::BlackList);
            red = true;
        }
        match r.background_check {
            Some((_, false)) => {
                reasons.push(Item::BackgroundCheck);
                red = true;
            }
            Some((day, true)) => {
                // Valid up to the day before the anniversary.
                let last = plus_years(day, BACKGROUND_YEARS).yesterday().unwrap_or(day);
                valid_until.push((Item::BackgroundCheck, last));
                if today > last || today < day {
                    reasons.push(Item::BackgroundCheck);
                }
            }
            None => reasons.push(Item::BackgroundCheck),
        }
        match r.health_check {
            Some(day) => {
                let last = plus_years(day, HEALTH_YEARS).yesterday().unwrap_or(day);
                valid_until.push((Item::HealthCheck, last));
                if today > last || today < day {
                    reasons.push(Item::HealthCheck);
                }
            }
            None => reasons.push(Item::HealthCheck),
        }
        match r.insured_until {
            Some(last) => {
                valid_until.push((Item::Insurance, last));
                if today > last {
                    reasons.push(Item::Insurance);
                }
            }
            None => reasons.push(Item::Insurance),
        }
        let colour = if red {
            Colour::Red
        } else if reasons.is_empty() {
            Colour::Green
        } else {
            Colour::Yellow
        };
        Status {
            colour,
            reasons,
            valid_until,
        }
    }

    /// The items still valid on `today` that lapse within `days` days (their last valid day is
    /// at most `today + days`).
    pub fn expiring(&self, today: Date, days: i64) -> Vec<(Item, Date)> {
        let horizon = today.checked_add(days.days()).unwrap_or(Date::MAX);
        self.valid_until
            .iter()
            .filter(|(item, last)| {
                !self.reasons.contains(item) && *last >= today && *last <= horizon
            })
            .copied()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn complete() -> Records {
        Records {
            identity_verified: true,
            background_check: Some((date(2022, 5, 10), true)),
            health_check: Some(date(2026, 1, 20)),
            insured_until: Some(date(2026, 12, 31)),
            black_listed: false,
        }
    }

    #[test]
    fn green_while_every_check_is_valid_and_yellow_the_day_one_lapses() {
        let r = complete();
        // The health check of 2026-01-20 is valid through 2027-01-19; the background check of
        // 2022-05-10 through 2027-05-09; the insurance through 2026-12-31.
        let s = Status::of(&r, date(2026, 12, 31));
        assert_eq!(s.colour, Colour::Green, "{s:?}");
        let s = Status::of(&r, date(2027, 1, 1));
        assert_eq!(
            (s.colour, s.reasons.clone()),
            (Colour::Yellow, vec![Item::Insurance])
        );
        let mut later = r.clone();
        later.insured_until = Some(date(2027, 12, 31));
        assert_eq!(Status::of(&later, date(2027, 1, 19)).colour, Colour::Green);
        assert_eq!(
            Status::of(&later, date(2027, 1, 20)).reasons,
            vec![Item::HealthCheck]
        );
    }

    #[test]
    fn red_for_identity_adverse_records_and_the_black_list() {
        let mut r = complete();
        r.identity_verified = false;
        assert_eq!(Status::of(&r, date(2026, 6, 1)).colour, Colour::Red);
        let mut r = complete();
        r.background_check = Some((date(2025, 1, 1), false));
        assert_eq!(Status::of(&r, date(2026, 6, 1)).colour, Colour::Red);
        let mut r = complete();
        r.black_listed = true;
        assert_eq!(Status::of(&r, date(2026, 6, 1)).colour, Colour::Red);
        let r = Records {
            identity_verified: true,
            ..Default::default()
        };
        let s = Status::of(&r, date(2026, 6, 1));
        assert_eq!(s.colour, Colour::Yellow);
        assert_eq!(
            s.reasons,
            vec![Item::BackgroundCheck, Item::HealthCheck, Item::Insurance]
        );
    }

    #[test]
    fn what_lapses_soon_is_listed() {
        let s = Status::of(&complete(), date(2026, 12, 10));
        // Within 30 days of 12-10: the insurance (12-31); the health check (2027-01-19) is 40
        // days away.
        assert_eq!(
            s.expiring(date(2026, 12, 10), 30),
            vec![(Item::Insurance, date(2026, 12, 31))]
        );
        assert_eq!(s.expiring(date(2026, 12, 10), 40).len(), 2);
    }
}
