//! The service platform's indicator file (issue 11): what `GET /api/care/visit-rate.csv` answers
//! and `livingcircle assess --platform-indicators` reads, through the same row readers as every
//! other table: `indicator,month,region_code,level,due,visited,rate`.
//!
//! Checks: the month is `YYYY-MM`; the level is one of [`PLATFORM_LEVELS`] and a division
//! level's code has its number of digits (province 2, city 4, district 6, street 9; a
//! community row names the community's id); `due` and `visited` are whole numbers with
//! `visited ≤ due`; `rate` is empty exactly when nobody is due, else from 0 to 1 and equal to
//! `visited / due` within [`RATE_TOLERANCE`]; one month per indicator; no region twice.

use std::path::Path;

use lc_model::{PlatformIndicators, PlatformRow, PLATFORM_LEVELS};
use rustc_hash::FxHashMap;

use crate::error::TableError;
use crate::fields::show;
use crate::points::{read_rows, MAX_COUNT};

/// Columns of the platform indicator file (all required).
pub const PLATFORM_COLUMNS: [&str; 7] = [
    "indicator",
    "month",
    "region_code",
    "level",
    "due",
    "visited",
    "rate",
];

/// How far a `rate` may lie from `visited / due` (a rate rounded to four decimals passes).
pub const RATE_TOLERANCE: f64 = 1e-4;

/// Whether `s` is a month written `YYYY-MM` (year 1900–2100, month 01–12).
fn is_month(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 7
        && b[4] == b'-'
        && b[..4].iter().chain(&b[5..]).all(u8::is_ascii_digit)
        && s[..4]
            .parse::<u32>()
            .is_ok_and(|y| (1900..=2100).contains(&y))
        && s[5..].parse::<u32>().is_ok_and(|m| (1..=12).contains(&m))
}

/// Reads a platform indicator file (`visit-rate.csv`).
pub fn read_platform_indicators(path: &Path) -> Result<PlatformIndicators, TableError> {
    let columns: Vec<(&str, bool)> = PLATFORM_COLUMNS.iter().map(|c| (*c, true)).collect();
    // (indicator, level, region) → first line; indicator → (month, its line).
    let mut seen: FxHashMap<(String, String, String), u64> = FxHashMap::default();
    let mut months: FxHashMap<String, (String, u64)> = FxHashMap::default();
    let rows = read_rows(path, &columns, |r, c| {
        let line = r.line();
        let indicator = r.text(c[0], "indicator")?.to_string();
        if indicator.is_empty() {
            r.fail(
                "indicator",
                "为空，每行须写明指标（如 GS21）is empty; every row names its indicator (e.g. GS21)"
                    .into(),
            );
        }
        let month = r.text(c[1], "month")?.to_string();
        if !is_month(&month) {
            r.fail(
                "month",
                format!(
                    "{0} 不是 YYYY-MM 格式的月份 {0} is not a month written YYYY-MM",
                    show(month.as_bytes())
                ),
            );
        } else if let Some((first, at)) = months.get(&indicator) {
            if *first != month {
                r.fail(
                    "month",
                    format!(
                        "{0} 与第 {at} 行的月份 {first} 不同（每个指标只能有一个月）{0} differs from the month {first} on line {at} (one month per indicator)",
                        show(month.as_bytes())
                    ),
                );
            }
        } else {
            months.insert(indicator.clone(), (month.clone(), line));
        }
        let region = r.text(c[2], "region_code")?.to_string();
        let level = r.text(c[3], "level")?.to_string();
        if !PLATFORM_LEVELS.contains(&level.as_str()) {
            r.fail(
                "level",
                format!(
                    "{0} 不是层级，请用 province、city、district、street 或 community {0} is not a level; use province, city, district, street or community",
                    show(level.as_bytes())
                ),
            );
        } else if region.is_empty() {
            r.fail(
                "region_code",
                "为空，每行须写明地区（区划代码或社区编号）is empty; every row names its region (a division code or a community id)".into(),
            );
        } else if let Some(n) = lc_model::DivisionLevel::code_digits_of_region_key(&level) {
            if region.len() != n || !region.bytes().all(|b| b.is_ascii_digit()) {
                r.fail(
                    "region_code",
                    format!(
                        "{0} 不是 {level} 级区划代码（{n} 位数字）{0} is not a {level} code ({n} digits)",
                        show(region.as_bytes())
                    ),
                );
            }
        }
        let key = (indicator.clone(), level.clone(), region.clone());
        if let Some(first) = seen.get(&key) {
            r.fail(
                "region_code",
                format!(
                    "重复：{indicator} {level} {0} 已在第 {first} 行 duplicate: {indicator} {level} {0} is already on line {first}",
                    show(region.as_bytes())
                ),
            );
        } else {
            seen.insert(key, line);
        }
        let mut persons = |col: Option<usize>, field: &str| -> Option<u64> {
            let v = r.number(col, field, true, true)?;
            if v.fract() != 0.0 || v > MAX_COUNT {
                r.fail(
                    field,
                    format!(
                        "{0} 不是人数（0 至 {1} 的整数）{0} is not a number of persons (a whole number from 0 to {1})",
                        show(r.raw(col?)),
                        MAX_COUNT as u64
                    ),
                );
                return None;
            }
            Some(v as u64)
        };
        let due = persons(c[4], "due");
        let visited = persons(c[5], "visited");
        let (due, visited) = (due?, visited?);
        if visited > due {
            r.fail(
                "visited",
                format!(
                    "已探访 {visited} 人多于应探访 {due} 人 visited {visited} is more than due {due}"
                ),
            );
            return None;
        }
        let raw = r.raw(c[6]?);
        let rate = if raw.is_empty() {
            if due > 0 {
                r.fail(
                    "rate",
                    format!("为空，但应探访 {due} 人 is empty, but {due} persons are due"),
                );
                return None;
            }
            None
        } else {
            let v = r.number(c[6], "rate", true, false)?;
            if !(0.0..=1.0).contains(&v) {
                r.fail(
                    "rate",
                    format!(
                        "{0} 超出范围（0 至 1）{0} is out of range (0 to 1)",
                        show(raw)
                    ),
                );
                return None;
            }
            if due == 0 {
                r.fail(
                    "rate",
                    format!(
                        "{0} 有值，但无人应探访（比率须为空）{0} is given, but nobody is due (the rate must be empty)",
                        show(raw)
                    ),
                );
                return None;
            }
            let exact = visited as f64 / due as f64;
            if (v - exact).abs() > RATE_TOLERANCE {
                r.fail(
                    "rate",
                    format!(
                        "{0} 与 visited/due = {visited}/{due} = {exact} 不符 {0} disagrees with visited/due = {visited}/{due} = {exact}",
                        show(raw)
                    ),
                );
                return None;
            }
            Some(v)
        };
        Some(PlatformRow {
            indicator,
            month,
            level,
            region_code: region,
            due,
            visited,
            rate,
        })
    })?;
    Ok(PlatformIndicators {
        file: path.display().to_string(),
        rows,
    })
}
