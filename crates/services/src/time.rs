//! Civil time in Asia/Shanghai. Instants are stored as milliseconds since the Unix epoch (UTC),
//! as everywhere on the platform; rules (opening hours, the day of a slot, the month of a visit)
//! are civil times in the IANA zone `Asia/Shanghai`, from the zone database bundled into the
//! build (jiff's `tzdb-bundle-always`, so a machine without `/usr/share/zoneinfo` answers alike).
//! China has kept UTC+8 without daylight saving since 1991; the rules still go through the zone
//! database, never through a fixed offset, so that the same code is right for a zone with DST.

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// The platform's zone.
pub const ZONE: &str = "Asia/Shanghai";

static SHANGHAI: LazyLock<TimeZone> = LazyLock::new(|| {
    // The zone database is bundled into the build, so the zone is always there.
    TimeZone::get(ZONE).unwrap_or(TimeZone::UTC)
});

/// The platform's zone, Asia/Shanghai.
pub fn zone() -> TimeZone {
    SHANGHAI.clone()
}

/// A time that cannot be placed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("时间超出范围 time out of range: {0}")]
    OutOfRange(String),
    #[error("日期格式应为 YYYY-MM-DD date should be YYYY-MM-DD: '{0}'")]
    BadDate(String),
    #[error("月份格式应为 YYYY-MM month should be YYYY-MM: '{0}'")]
    BadMonth(String),
    #[error("时刻格式应为 HH:MM time of day should be HH:MM: '{0}'")]
    BadTime(String),
}

fn out_of_range(e: impl fmt::Display) -> TimeError {
    TimeError::OutOfRange(e.to_string())
}

/// The civil date-time in Asia/Shanghai of an instant (milliseconds since the epoch, UTC).
pub fn local(ms: i64) -> Result<DateTime, TimeError> {
    let ts = Timestamp::from_millisecond(ms).map_err(out_of_range)?;
    Ok(ts.to_zoned(zone()).datetime())
}

/// The civil date in Asia/Shanghai of an instant.
pub fn local_date(ms: i64) -> Result<Date, TimeError> {
    Ok(local(ms)?.date())
}

/// The instant (milliseconds since the epoch, UTC) of a civil date and time in Asia/Shanghai.
/// A time that a DST gap skips moves forward and one a fold repeats takes its first occurrence
/// (jiff's "compatible" rule, as RFC 5545 asks); Asia/Shanghai has neither since 1991.
pub fn instant(date: Date, time: Time) -> Result<i64, TimeError> {
    let zoned = date
        .to_datetime(time)
        .to_zoned(zone())
        .map_err(out_of_range)?;
    Ok(zoned.timestamp().as_millisecond())
}

/// The instant at which a civil date begins in Asia/Shanghai.
pub fn start_of_day(date: Date) -> Result<i64, TimeError> {
    instant(date, Time::midnight())
}

/// A date written `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Result<Date, TimeError> {
    let bad = || TimeError::BadDate(s.to_string());
    if s.len() != 10 || s.as_bytes()[4] != b'-' || s.as_bytes()[7] != b'-' {
        return Err(bad());
    }
    Date::from_str(s).map_err(|_| bad())
}

/// A time of day written `HH:MM` (00:00 to 24:00; 24:00 is the end of the day).
pub fn parse_minutes(s: &str) -> Result<u16, TimeError> {
    let bad = || TimeError::BadTime(s.to_string());
    let (h, m) = s.split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if m >= 60 || h > 24 || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

/// Minutes since midnight written `HH:MM`.
pub fn format_minutes(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// A calendar month in Asia/Shanghai, written `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    pub year: i16,
    pub month: i8,
}

impl YearMonth {
    /// The month (1–12) of a year; `None` out of range.
    pub fn new(year: i16, month: i8) -> Option<YearMonth> {
        let ok = (1900..=9998).contains(&year) && (1..=12).contains(&month);
        ok.then_some(YearMonth { year, month })
    }

    /// The month in Asia/Shanghai that holds an instant.
    pub fn of_instant(ms: i64) -> Result<YearMonth, TimeError> {
        Ok(YearMonth::of_date(local_date(ms)?))
    }

    /// The month of a civil date.
    pub fn of_date(date: Date) -> YearMonth {
        YearMonth {
            year: date.year(),
            month: date.month(),
        }
    }

    /// Its first day.
    pub fn first_day(self) -> Date {
        // Checked by `new`: year and month are in range, and day 1 always exists.
        Date::new(self.year, self.month, 1).unwrap_or(Date::MIN)
    }

    /// Its last day.
    pub fn last_day(self) -> Date {
        self.first_day().last_of_month()
    }

    /// The month after.
    pub fn next(self) -> YearMonth {
        if self.month == 12 {
            YearMonth {
                year: self.year + 1,
                month: 1,
            }
        } else {
            YearMonth {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// The month before.
    pub fn previous(self) -> YearMonth {
        if self.month == 1 {
            YearMonth {
                year: self.year - 1,
                month: 12,
            }
        } else {
            YearMonth {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// Its instants, half open: `[start, end)` in milliseconds (UTC), from midnight of its
    /// first day to midnight of the next month's first day, in Asia/Shanghai.
    pub fn bounds(self) -> Result<(i64, i64), TimeError> {
        Ok((
            start_of_day(self.first_day())?,
            start_of_day(self.next().first_day())?,
        ))
    }

    /// Whether an instant falls in this month (in Asia/Shanghai).
    pub fn contains(self, ms: i64) -> Result<bool, TimeError> {
        let (start, end) = self.bounds()?;
        Ok(start <= ms && ms < end)
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for YearMonth {
    type Err = TimeError;
    fn from_str(s: &str) -> Result<YearMonth, TimeError> {
        let bad = || TimeError::BadMonth(s.to_string());
        let (y, m) = s.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 || !y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let (y, m): (i16, i8) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        YearMonth::new(y, m).ok_or_else(bad)
    }
}

impl Serialize for YearMonth {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for YearMonth {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<YearMonth, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shanghai_is_eight_hours_ahead_of_utc() {
        // 2026-12-31 23:30 in Shanghai is 15:30 UTC the same day.
        let d = parse_date("2026-12-31").unwrap();
        let ms = instant(d, Time::new(23, 30, 0, 0).unwrap()).unwrap();
        assert_eq!(
            ms,
            Timestamp::from_str("2026-12-31T15:30:00Z")
                .unwrap()
                .as_millisecond()
        );
        // That instant belongs to December in Shanghai, though 16:00 UTC is January there.
        let dec = YearMonth::new(2026, 12).unwrap();
        assert!(dec.contains(ms).unwrap());
        let jan_ms = Timestamp::from_str("2026-12-31T16:00:00Z")
            .unwrap()
            .as_millisecond();
        assert_eq!(
            YearMonth::of_instant(jan_ms).unwrap().to_string(),
            "2027-01"
        );
        assert!(!dec.contains(jan_ms).unwrap());
    }

    #[test]
    fn months_parse_and_step() {
        let m: YearMonth = "2024-02".parse().unwrap();
        assert_eq!(m.last_day().day(), 29);
        assert_eq!(m.next().to_string(), "2024-03");
        assert_eq!(m.previous().previous().to_string(), "2023-12");
        assert_eq!(
            "2024-12".parse::<YearMonth>().unwrap().next().to_string(),
            "2025-01"
        );
        for bad in [
            "2024-13",
            "2024-00",
            "24-01",
            "2024/01",
            "2024-1",
            "２０２４-01",
            "",
        ] {
            assert!(bad.parse::<YearMonth>().is_err(), "{bad}");
        }
        let (start, end) = m.bounds().unwrap();
        assert_eq!(end - start, 29 * 86_400_000);
    }

    #[test]
    fn times_of_day() {
        assert_eq!(parse_minutes("08:30").unwrap(), 510);
        assert_eq!(parse_minutes("24:00").unwrap(), 1440);
        assert_eq!(format_minutes(510), "08:30");
        for bad in ["8:30", "08:60", "24:01", "25:00", "08-30", "0830", "08:3a"] {
            assert!(parse_minutes(bad).is_err(), "{bad}");
        }
        assert!(parse_date("2026-02-30").is_err());
        assert!(parse_date("2026-2-3").is_err());
    }
}
