//! 统计发布 Statistical releases (issue 16 item 3): a quarterly or annual release of the platform's
//! monthly indicators for a province, city or district.
//!
//! [`make`] is pure: from the region, the period, the region's and its sub-regions' monthly
//! values (`indicator_series` rows of the monitoring job), the 2025 targets and the disclosure
//! policy it makes a typed [`Release`] — headline figures, the trend of each indicator over the
//! last periods against its target, a table by sub-region run through `lc-disclosure` (primary
//! and secondary suppression), and the methods and data notes, in Chinese and English.
//! [`html`] and [`pdf`] render it to bytes; the caller writes them.
//!
//! *A period's value* from its months: a flow (bookings, reviews, checks, warnings) is the sum of
//! the months; a stock (listed outlets, home beds, childcare places — [`STOCKS`]) is its last
//! month with data; a percent is Σ numerators ÷ Σ denominators × 100 over the months (the
//! quarter's visit rate is visited person-months ÷ person-months due).
//!
//! *Disclosure*: every count in the table by sub-region is a cell of one `lc_disclosure::Table`
//! per indicator with `region = Σ sub-regions (+ what is coded to the region itself)`; a percent
//! is three cells per row (numerator, the rest, denominator) with `denominator = numerator +
//! rest` and the three column sums, and is shown only when all three are published. The
//! headline figure is the table's region cell. Earlier periods of the trend are checked by the
//! primary rule alone (their sub-region tables are not published here).

mod html;
mod pdf;

pub use html::release_html;
pub use pdf::{release_pdf, FONT_BYTES};

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use lc_disclosure::{suppress, Policy, Table};
use lc_model::division::{self, DivisionLevel};
use lc_services::monitor::{self, Kind, INDICATORS};
use lc_standards::Comparison;
use serde::{Deserialize, Serialize};

use crate::html::grouped;

/// Indicators whose period value is the last month's, not the sum of the months.
pub const STOCKS: &[&str] = &[
    "listed_outlets",
    "home_beds_in_use",
    "childcare_places_in_use",
];

/// Periods shown in a trend (the current one included).
pub const QUARTERS_SHOWN: usize = 8;
/// Years shown in an annual release's trend.
pub const YEARS_SHOWN: usize = 5;

/// Why a release cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReleaseError {
    #[error("期间应为 2026Q3 或 2026 这样的季度或年份：{0} / the period must be a quarter such as 2026Q3 or a year such as 2026: {0}")]
    Period(String),
    #[error("发布区域应为省（2 位）、市（4 位）或区县（6 位）区划代码：{0} / a release is made for a province (2 digits), city (4) or district (6): {0}")]
    Region(String),
    #[error("{region} 在 {period} 没有统计数据（先运行月度统计 monitor run） / {region} has no figures in {period} (run the monthly job first: monitor run)")]
    NoData { region: String, period: String },
}

/// A release period: a quarter or a calendar year (civil months in Asia/Shanghai).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Period {
    Quarter { year: i32, quarter: u8 },
    Year(i32),
}

impl FromStr for Period {
    type Err = ReleaseError;
    fn from_str(s: &str) -> Result<Period, ReleaseError> {
        let bad = || ReleaseError::Period(s.to_string());
        let year = |y: &str| -> Result<i32, ReleaseError> {
            if y.len() != 4 || !y.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            let y: i32 = y.parse().map_err(|_| bad())?;
            if (1900..=9999).contains(&y) {
                Ok(y)
            } else {
                Err(bad())
            }
        };
        match s.split_once(['Q', 'q']) {
            Some((y, q)) => {
                let quarter = match q {
                    "1" => 1,
                    "2" => 2,
                    "3" => 3,
                    "4" => 4,
                    _ => return Err(bad()),
                };
                Ok(Period::Quarter {
                    year: year(y)?,
                    quarter,
                })
            }
            None => Ok(Period::Year(year(s)?)),
        }
    }
}

impl TryFrom<String> for Period {
    type Error = ReleaseError;
    fn try_from(s: String) -> Result<Period, ReleaseError> {
        s.parse()
    }
}

impl From<Period> for String {
    fn from(p: Period) -> String {
        p.to_string()
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Quarter { year, quarter } => write!(f, "{year}Q{quarter}"),
            Period::Year(y) => write!(f, "{y}"),
        }
    }
}

impl Period {
    /// `quarterly` or `annual`.
    pub fn kind(&self) -> &'static str {
        match self {
            Period::Quarter { .. } => "quarterly",
            Period::Year(_) => "annual",
        }
    }

    /// Its months as `YYYY-MM`, in order.
    pub fn months(&self) -> Vec<String> {
        let (year, first, n) = match *self {
            Period::Quarter { year, quarter } => (year, (quarter - 1) * 3 + 1, 3),
            Period::Year(year) => (year, 1, 12),
        };
        (first..first + n)
            .map(|m| format!("{year:04}-{m:02}"))
            .collect()
    }

    /// The period before (same kind).
    pub fn previous(&self) -> Period {
        match *self {
            Period::Quarter { year, quarter: 1 } => Period::Quarter {
                year: year - 1,
                quarter: 4,
            },
            Period::Quarter { year, quarter } => Period::Quarter {
                year,
                quarter: quarter - 1,
            },
            Period::Year(y) => Period::Year(y - 1),
        }
    }

    /// The last period of each kind that has closed before the month `year-month` began
    /// (`month` 1–12): in 2026-10 the quarter 2026Q3 and the year 2025.
    pub fn last_closed(year: i32, month: u32) -> [Period; 2] {
        let q = (month.clamp(1, 12) - 1) / 3; // quarters fully before this month's quarter
        let quarter = if q == 0 {
            Period::Quarter {
                year: year - 1,
                quarter: 4,
            }
        } else {
            Period::Quarter {
                year,
                quarter: q as u8,
            }
        };
        [quarter, Period::Year(year - 1)]
    }

    /// `2026年第3季度` / `2026年`.
    pub fn label_zh(&self) -> String {
        match self {
            Period::Quarter { year, quarter } => format!("{year}年第{quarter}季度"),
            Period::Year(y) => format!("{y}年"),
        }
    }

    /// `2026 Q3` / `2026`.
    pub fn label_en(&self) -> String {
        match self {
            Period::Quarter { year, quarter } => format!("{year} Q{quarter}"),
            Period::Year(y) => format!("{y}"),
        }
    }
}

/// A division with its name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Region {
    pub code: String,
    pub name: String,
}

/// One stored monthly value of the whole (no cut) of an indicator for a division.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonthValue {
    pub division: String,
    pub indicator: String,
    /// `YYYY-MM`.
    pub month: String,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
}

/// A plan's 2025 target of a platform indicator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetInfo {
    /// The platform indicator's key (`visit_rate`).
    pub indicator: String,
    pub plan: String,
    /// The plan's indicator id (`GS21`).
    pub plan_indicator: String,
    pub year: i32,
    /// `>=`, `>`, `<=`, `<`.
    pub comparison: String,
    pub threshold: f64,
}

/// Everything a release is made from (stored beside it as `release-data.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReleaseInput {
    pub region: Region,
    pub period: Period,
    /// Names of the region's sub-regions (codes one level down); a sub-region with values but
    /// no name is shown by its code.
    pub names: Vec<Region>,
    /// The monthly values of the region and its sub-regions, from the first month of the
    /// trend's first period to the period's last month.
    pub values: Vec<MonthValue>,
    pub targets: Vec<TargetInfo>,
    /// Counts below this are withheld (lc-disclosure's policy).
    pub threshold: u64,
    pub suppress_zeros: bool,
    /// The day the release is made (`YYYY-MM-DD`, Asia/Shanghai), printed on it.
    pub made_on: String,
}

/// A published figure.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Cell {
    Value {
        value: f64,
    },
    /// Withheld by the disclosure policy (primary or complementary).
    Suppressed,
    /// No data, or a percent without a denominator.
    Missing,
}

impl Cell {
    /// The value, when published.
    pub fn value(&self) -> Option<f64> {
        match self {
            Cell::Value { value } => Some(*value),
            _ => None,
        }
    }

    /// As printed: `1,234`, `85.3%`, `x` (withheld, as in the open data), `—` (no data).
    pub fn text(&self, percent: bool) -> String {
        match self {
            Cell::Value { value } if percent => format!("{value:.1}%"),
            Cell::Value { value } => grouped(*value),
            Cell::Suppressed => "x".into(),
            Cell::Missing => "—".into(),
        }
    }
}

/// The target as shown beside an indicator, and whether the period meets it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetView {
    pub plan: String,
    pub plan_indicator: String,
    pub year: i32,
    pub comparison: String,
    pub threshold: f64,
    /// `None` when the figure is withheld or missing.
    pub met: Option<bool>,
}

/// An indicator's name and unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorLabel {
    pub key: String,
    pub name_zh: String,
    pub name_en: String,
    pub unit: String,
    pub percent: bool,
    /// `flow`, `stock` or `percent` (how the period's value is made).
    pub aggregation: String,
}

/// A headline figure: the region's value in the period, the period before, the target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Headline {
    pub indicator: IndicatorLabel,
    pub current: Cell,
    pub previous: Cell,
    pub target: Option<TargetView>,
}

/// One point of a trend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendPoint {
    pub period: Period,
    pub cell: Cell,
}

/// An indicator over the last periods, with its target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trend {
    pub indicator: IndicatorLabel,
    pub points: Vec<TrendPoint>,
    pub target: Option<f64>,
}

/// A row of the table by sub-region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableRow {
    pub code: String,
    pub name: String,
    /// One per indicator, in the table's column order.
    pub cells: Vec<Cell>,
}

/// The table by sub-region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionTable {
    pub columns: Vec<IndicatorLabel>,
    pub rows: Vec<TableRow>,
    /// What is coded to the region itself, not to a sub-region (shown when any).
    pub unallocated: Option<TableRow>,
    pub total: TableRow,
    /// Cells withheld: for themselves (primary) and as complements (secondary).
    pub primary: usize,
    pub secondary: usize,
}

/// A methods or data note.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Note {
    pub title_zh: String,
    pub title_en: String,
    pub text_zh: String,
    pub text_en: String,
}

/// The release.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Release {
    pub title_zh: String,
    pub title_en: String,
    pub region: Region,
    /// `province`, `city` or `district`.
    pub level: String,
    pub period: Period,
    pub kind: String,
    pub made_on: String,
    pub headlines: Vec<Headline>,
    pub trends: Vec<Trend>,
    pub table: RegionTable,
    pub notes: Vec<Note>,
    pub threshold: u64,
}

fn level_zh(level: &str) -> &'static str {
    match level {
        "province" => "省",
        "city" => "市",
        _ => "区县",
    }
}

fn label(i: &monitor::Indicator) -> IndicatorLabel {
    let aggregation = if i.kind == Kind::Percent {
        "percent"
    } else if STOCKS.contains(&i.key) {
        "stock"
    } else {
        "flow"
    };
    IndicatorLabel {
        key: i.key.to_string(),
        name_zh: i.name_zh.to_string(),
        name_en: i.name_en.to_string(),
        unit: i.unit.to_string(),
        percent: i.kind == Kind::Percent,
        aggregation: aggregation.to_string(),
    }
}

/// A period's (numerator, denominator) for one division and indicator, `None` without data.
type Sums = Option<(f64, f64)>;

/// Monthly values indexed by (division, indicator, month).
struct Months<'a>(BTreeMap<(&'a str, &'a str, &'a str), &'a MonthValue>);

impl<'a> Months<'a> {
    fn new(values: &'a [MonthValue]) -> Months<'a> {
        Months(
            values
                .iter()
                .map(|v| {
                    (
                        (v.division.as_str(), v.indicator.as_str(), v.month.as_str()),
                        v,
                    )
                })
                .collect(),
        )
    }

    /// The period's sums (see the module documentation).
    fn sums(&self, division: &str, ind: &monitor::Indicator, period: Period) -> Sums {
        let found: Vec<&MonthValue> = period
            .months()
            .iter()
            .filter_map(|m| self.0.get(&(division, ind.key, m.as_str())).copied())
            .collect();
        let last = found.last()?;
        if STOCKS.contains(&ind.key) {
            return Some((
                last.numerator.unwrap_or(0.0),
                last.denominator.unwrap_or(0.0),
            ));
        }
        Some(found.iter().fold((0.0, 0.0), |(n, d), v| {
            (
                n + v.numerator.unwrap_or(0.0),
                d + v.denominator.unwrap_or(0.0),
            )
        }))
    }
}

fn count(x: f64) -> u64 {
    x.max(0.0).round() as u64
}

/// The region's figure by the primary rule alone (trend points of earlier periods).
fn primary_only(policy: &Policy, percent: bool, sums: Sums) -> Cell {
    let Some((num, den)) = sums else {
        return Cell::Missing;
    };
    if !percent {
        return if policy.is_sensitive(count(num)) {
            Cell::Suppressed
        } else {
            Cell::Value { value: num }
        };
    }
    if den <= 0.0 {
        return Cell::Missing;
    }
    let (n, d) = (count(num), count(den));
    if [n, d.saturating_sub(n), d]
        .iter()
        .any(|&c| policy.is_sensitive(c))
    {
        Cell::Suppressed
    } else {
        Cell::Value {
            value: num / den * 100.0,
        }
    }
}

/// One indicator's column of the table: rows' cells (sub-regions, then the unallocated rest
/// when there is one, then the region), suppressed as one `lc_disclosure` table; and the counts
/// of primary and secondary suppressions.
fn column(policy: &Policy, percent: bool, rows: &[Sums]) -> (Vec<Cell>, usize, usize) {
    // rows: sub-regions…, [rest], total (last).
    let n = rows.len();
    let mut t = Table::new();
    let mut cells: Vec<Vec<usize>> = Vec::with_capacity(n); // per row: [num] or [num, rest, den]
    for r in rows {
        let (num, den) = r.unwrap_or((0.0, 0.0));
        if percent {
            let (a, b) = (count(num), count(den));
            let ids = vec![t.cell(a), t.cell(b.saturating_sub(a)), t.cell(b)];
            cells.push(ids);
        } else {
            cells.push(vec![t.cell(count(num))]);
        }
    }
    let total = n - 1;
    let parts: Vec<usize> = (0..total).collect();
    // Relations hold by construction when the rest row makes up the difference; a table
    // whose sums do not hold (rounding) is published by the primary rule per cell instead.
    let mut ok = true;
    for (k, &sum) in cells[total].iter().enumerate() {
        if t.relation(sum, parts.iter().map(|&p| cells[p][k]).collect())
            .is_err()
        {
            ok = false;
        }
    }
    if percent {
        for ids in &cells {
            if t.relation(ids[2], vec![ids[0], ids[1]]).is_err() {
                ok = false;
            }
        }
    }
    if !ok {
        let out: Vec<Cell> = rows
            .iter()
            .map(|r| primary_only(policy, percent, *r))
            .collect();
        let p = out.iter().filter(|c| **c == Cell::Suppressed).count();
        return (out, p, 0);
    }
    let o = suppress(policy, &t);
    let primary = o.primary.iter().filter(|&&p| p).count();
    let secondary = o.secondary().count();
    let out = rows
        .iter()
        .zip(&cells)
        .map(|(r, ids)| {
            let Some((num, den)) = r else {
                return Cell::Missing;
            };
            if ids.iter().any(|&i| o.suppressed[i]) {
                return Cell::Suppressed;
            }
            if percent {
                if *den <= 0.0 {
                    Cell::Missing
                } else {
                    Cell::Value {
                        value: num / den * 100.0,
                    }
                }
            } else {
                Cell::Value { value: *num }
            }
        })
        .collect();
    (out, primary, secondary)
}

fn met(t: &TargetInfo, cell: Cell) -> Option<bool> {
    let c = match t.comparison.as_str() {
        ">=" | "≥" => Comparison::AtLeast,
        ">" => Comparison::MoreThan,
        "<=" | "≤" => Comparison::AtMost,
        "<" => Comparison::LessThan,
        _ => return None,
    };
    cell.value().map(|v| c.met(v, t.threshold))
}

/// Builds the release (see the module documentation); [`make`] completes its notes.
fn assemble(input: &ReleaseInput) -> Result<Release, ReleaseError> {
    let code = input.region.code.as_str();
    // A release is made for a province, a city or a district; its table is by the level below.
    let (level, sub_len) = division::level_of(code)
        .filter(|l| *l <= DivisionLevel::County)
        .and_then(|l| Some((l.region_key(), l.child()?.digits())))
        .ok_or_else(|| ReleaseError::Region(code.to_string()))?;
    let policy = Policy {
        threshold: input.threshold,
        suppress_zeros: input.suppress_zeros,
    };
    let months = Months::new(&input.values);
    let period = input.period;
    let has_data = |p: Period| INDICATORS.iter().any(|i| months.sums(code, i, p).is_some());
    if !has_data(period) {
        return Err(ReleaseError::NoData {
            region: code.to_string(),
            period: period.to_string(),
        });
    }
    // The trend's periods: up to the shown number, from the first with data.
    let shown = match period {
        Period::Quarter { .. } => QUARTERS_SHOWN,
        Period::Year(_) => YEARS_SHOWN,
    };
    let mut periods = vec![period];
    let mut p = period;
    for _ in 1..shown {
        p = p.previous();
        periods.push(p);
    }
    periods.reverse();
    while periods.len() > 1 && !has_data(periods[0]) {
        periods.remove(0);
    }

    // Sub-regions: every named one and every one with values, in code order.
    let names: BTreeMap<&str, &str> = input
        .names
        .iter()
        .map(|r| (r.code.as_str(), r.name.as_str()))
        .collect();
    let mut subs: BTreeMap<String, String> = BTreeMap::new();
    let is_sub = |c: &str| c.len() == sub_len && c.starts_with(code);
    for c in names.keys().copied().filter(|c| is_sub(c)) {
        subs.insert(c.to_string(), names[c].to_string());
    }
    for v in &input.values {
        if is_sub(&v.division) && !subs.contains_key(&v.division) {
            subs.insert(v.division.clone(), v.division.clone());
        }
    }

    let columns: Vec<IndicatorLabel> = INDICATORS.iter().map(label).collect();
    let mut headlines = Vec::new();
    let mut trends = Vec::new();
    let mut table_cells: Vec<Vec<Cell>> = Vec::new(); // per indicator: rows…, [rest], total
    let mut rest_needed = false;
    let mut per_indicator = Vec::new();
    for ind in INDICATORS {
        let total = months.sums(code, ind, period);
        let rows: Vec<Sums> = subs.keys().map(|c| months.sums(c, ind, period)).collect();
        let summed = rows
            .iter()
            .flatten()
            .fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
        let rest = total.map(|(n, d)| (n - summed.0, d - summed.1));
        let has_rest = rest.is_some_and(|(n, d)| n.abs() > 1e-9 || d.abs() > 1e-9);
        rest_needed |= has_rest;
        per_indicator.push((rows, rest, total));
    }
    let mut primary = 0;
    let mut secondary = 0;
    for (ind, (mut rows, rest, total)) in INDICATORS.iter().zip(per_indicator) {
        let percent = ind.kind == Kind::Percent;
        if rest_needed {
            rows.push(rest);
        }
        rows.push(total);
        let (cells, p, s) = column(&policy, percent, &rows);
        primary += p;
        secondary += s;
        table_cells.push(cells);
    }

    for (k, ind) in INDICATORS.iter().enumerate() {
        let percent = ind.kind == Kind::Percent;
        let current = *table_cells[k].last().expect("the total row");
        let previous = primary_only(&policy, percent, months.sums(code, ind, period.previous()));
        let target = input.targets.iter().find(|t| t.indicator == ind.key);
        headlines.push(Headline {
            indicator: label(ind),
            current,
            previous,
            target: target.map(|t| TargetView {
                plan: t.plan.clone(),
                plan_indicator: t.plan_indicator.clone(),
                year: t.year,
                comparison: t.comparison.clone(),
                threshold: t.threshold,
                met: met(t, current),
            }),
        });
        trends.push(Trend {
            indicator: label(ind),
            points: periods
                .iter()
                .map(|&p| TrendPoint {
                    period: p,
                    cell: if p == period {
                        current
                    } else {
                        primary_only(&policy, percent, months.sums(code, ind, p))
                    },
                })
                .collect(),
            target: target.map(|t| t.threshold),
        });
    }

    let row = |i: usize, code: &str, name: &str| TableRow {
        code: code.to_string(),
        name: name.to_string(),
        cells: table_cells.iter().map(|c| c[i]).collect(),
    };
    let rows: Vec<TableRow> = subs
        .iter()
        .enumerate()
        .map(|(i, (c, n))| row(i, c, n))
        .collect();
    let unallocated = rest_needed.then(|| {
        row(
            subs.len(),
            "",
            "直属本级（未分至下级区划） coded to the region itself",
        )
    });
    let total = row(
        subs.len() + usize::from(rest_needed),
        code,
        &input.region.name,
    );

    let name = &input.region.name;
    let (kind_zh, kind_en) = match period {
        Period::Quarter { .. } => ("季度", "Quarterly"),
        Period::Year(_) => ("年度", "Annual"),
    };
    Ok(Release {
        title_zh: format!("{name}{}生活服务统计{kind_zh}发布", period.label_zh()),
        title_en: format!(
            "{kind_en} statistical release of life services: {name}, {}",
            period.label_en()
        ),
        region: input.region.clone(),
        level: level.to_string(),
        period,
        kind: period.kind().to_string(),
        made_on: input.made_on.clone(),
        headlines,
        trends,
        table: RegionTable {
            columns,
            rows,
            unallocated,
            total,
            primary,
            secondary,
        },
        notes: notes(input, level),
        threshold: input.threshold,
    })
}

fn notes(input: &ReleaseInput, level: &str) -> Vec<Note> {
    let months = input.period.months();
    let (first, last) = (months[0].clone(), months[months.len() - 1].clone());
    let mut defs_zh = String::new();
    let mut defs_en = String::new();
    for i in INDICATORS {
        defs_zh.push_str(&format!("{}（{}）；", i.name_zh, i.unit));
        defs_en.push_str(&format!("{} ({}): {} ", i.name_en, i.key, i.definition));
    }
    let sub = match level {
        "province" => ("市", "cities"),
        "city" => ("区县", "districts"),
        _ => ("街道", "streets"),
    };
    let targets_zh = if input.targets.is_empty() {
        format!(
            "本{}所在地区的已收录规划中，平台指标没有2025年目标值。",
            level_zh(level)
        )
    } else {
        input
            .targets
            .iter()
            .map(|t| {
                format!(
                    "{}：{}（{}）{} {}",
                    t.indicator, t.plan_indicator, t.plan, t.comparison, t.threshold
                )
            })
            .collect::<Vec<_>>()
            .join("；")
    };
    let targets_en = if input.targets.is_empty() {
        "No shipped plan of this region states a 2025 target for the platform's indicators."
            .to_string()
    } else {
        input
            .targets
            .iter()
            .map(|t| {
                format!(
                    "{}: {} of plan {} ({} {} by {})",
                    t.indicator, t.plan_indicator, t.plan, t.comparison, t.threshold, t.year
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let note = |tz: &str, te: &str, z: String, e: String| Note {
        title_zh: tz.into(),
        title_en: te.into(),
        text_zh: z,
        text_en: e,
    };
    vec![
        note(
            "数据来源",
            "Sources",
            format!(
                "本发布的数据来自生活服务平台的月度统计（indicator_series，来源 platform），统计期为 {first} 至 {last}（按北京时间的自然月）。各{}的数值由社区、网点的记录按区划代码逐级汇总。",
                sub.0
            ),
            format!(
                "The figures are the service platform's monthly statistics (indicator_series, source platform) for {first} to {last} (civil months, Asia/Shanghai), summed from communities' and outlets' records to {} and up by division code.",
                sub.1
            ),
        ),
        note(
            "指标定义",
            "Definitions",
            format!("{defs_zh}季度或年度数值：流量指标为各月之和，存量指标（挂牌网点、家庭养老床位、托位使用率）取期末月份，比率为各月分子之和除以分母之和。"),
            format!("{defs_en}A period's value: a flow is the sum of its months; a stock (listed outlets, home beds, childcare places) is its last month with data; a percent is the months' numerators summed over their denominators summed."),
        ),
        note(
            "小数保护（统计法第二十五条）",
            "Suppression policy (Statistics Law art. 25)",
            format!(
                "小于 {t} 的计数不予公布（标 x），比率的分子、未达部分或分母小于 {t} 时比率亦不公布；为防止由合计、相邻单元格推算，另行隐藏互补单元格（二次抑制），使任何被隐藏的数值都无法由公布的数字线性推出。本表一次抑制 {p} 个单元格，二次抑制 {s} 个。前期趋势仅按一次抑制规则检查；季度与所在年度是不同的发布，以年度减去各季度的差分不在本规则的保护范围内。",
                t = input.threshold,
                p = 0,
                s = 0
            ),
            format!(
                "Counts below {t} are withheld (marked x), and a percent is withheld when its numerator, the rest or its denominator is below {t}; complementary cells are withheld as well (secondary suppression) so that no withheld figure can be derived linearly from the published ones, totals included. Earlier periods of the trends are checked by the primary rule only; a quarter and its year are separate releases, and differencing a year against its quarters is not covered.",
                t = input.threshold
            ),
        ),
        note(
            "2025年目标",
            "2025 targets",
            targets_zh,
            targets_en,
        ),
        note(
            "分类",
            "Classification",
            "服务网点与经营主体按国家统计局《生活性服务业统计分类(2019)》标注类别（如 2019:03），分类统计可通过 GET /api/series?dimension=nbs:2019:03 获取。".into(),
            "Outlets and providers carry the NBS classification of life services (2019), stored as 2019:03 etc.; figures by class are served by GET /api/series?dimension=nbs:2019:03.".into(),
        ),
        note(
            "符号说明",
            "Symbols",
            "x 依小数保护规则不予公布；— 无数据或无分母（不可计算）。".into(),
            "x withheld by the suppression policy; — no data, or no denominator (not computable).".into(),
        ),
    ]
}

/// Fixes the suppression note's counts once the table is known (the note is written before).
fn finish_notes(r: &mut Release) {
    let (p, s) = (r.table.primary, r.table.secondary);
    if let Some(n) = r
        .notes
        .iter_mut()
        .find(|n| n.title_en.starts_with("Suppression"))
    {
        n.text_zh = n.text_zh.replace(
            "一次抑制 0 个单元格，二次抑制 0 个",
            &format!("一次抑制 {p} 个单元格，二次抑制 {s} 个"),
        );
        n.text_en.push_str(&format!(
            " This table withholds {p} cells for themselves and {s} as complements."
        ));
    }
}

/// Builds the release and completes its notes (what callers use).
pub fn make(input: &ReleaseInput) -> Result<Release, ReleaseError> {
    let mut r = assemble(input)?;
    finish_notes(&mut r);
    Ok(r)
}

/// The chart of a trend in a `width` × `height` box (origin top left): the line's points
/// (gaps where a figure is withheld or missing), the target's height, the y axis' top value.
/// Both renderers draw this geometry.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartGeometry {
    /// Segments of consecutive published points.
    pub lines: Vec<Vec<(f32, f32)>>,
    /// Every published point.
    pub dots: Vec<(f32, f32)>,
    pub target_y: Option<f32>,
    pub y_max: f64,
    /// x of each period's label.
    pub xs: Vec<f32>,
    pub baseline: f32,
}

/// Left and bottom margins of a chart (axis labels).
pub const CHART_PAD: (f32, f32) = (34.0, 16.0);

/// Lays out a trend (see [`ChartGeometry`]).
pub fn chart(t: &Trend, width: f32, height: f32) -> ChartGeometry {
    let (left, bottom) = CHART_PAD;
    let top = 8.0;
    let right = 8.0;
    let max = t
        .points
        .iter()
        .filter_map(|p| p.cell.value())
        .chain(t.target)
        .fold(0.0_f64, f64::max);
    let y_max = if t.indicator.percent {
        100.0_f64.max(max)
    } else if max <= 0.0 {
        1.0
    } else {
        nice(max)
    };
    let n = t.points.len().max(1);
    let span = width - left - right;
    let step = if n > 1 { span / (n - 1) as f32 } else { 0.0 };
    let baseline = height - bottom;
    let y = |v: f64| baseline - ((v / y_max) as f32) * (baseline - top);
    let xs: Vec<f32> = (0..n)
        .map(|i| {
            if n > 1 {
                left + step * i as f32
            } else {
                left + span / 2.0
            }
        })
        .collect();
    let mut lines = Vec::new();
    let mut cur: Vec<(f32, f32)> = Vec::new();
    let mut dots = Vec::new();
    for (i, p) in t.points.iter().enumerate() {
        match p.cell.value() {
            Some(v) => {
                cur.push((xs[i], y(v)));
                dots.push((xs[i], y(v)));
            }
            None => {
                if cur.len() > 1 {
                    lines.push(std::mem::take(&mut cur));
                }
                cur.clear();
            }
        }
    }
    if cur.len() > 1 {
        lines.push(cur);
    }
    ChartGeometry {
        lines,
        dots,
        target_y: t.target.map(y),
        y_max,
        xs,
        baseline,
    }
}

/// The smallest of 1, 2, 2.5, 5 × 10ⁿ at or above `x`.
fn nice(x: f64) -> f64 {
    let e = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * e)
        .find(|v| *v >= x)
        .unwrap_or(10.0 * e)
}

/// The y axis' label of the top value.
pub fn axis_label(g: &ChartGeometry, percent: bool) -> String {
    if percent {
        format!("{}%", g.y_max)
    } else {
        grouped(g.y_max)
    }
}

#[cfg(test)]
mod tests;
