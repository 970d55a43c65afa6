//! The open datasets' rows: where each comes from, which of its columns count people (and pass
//! through the disclosure policy, `lc-disclosure`), and the three download formats (CSV,
//! GeoJSON, XLSX), streamed.
//!
//! Rows come as **pages** (a stream of at most [`PAGE`] rows): the registry's tables are read by
//! keyset paging (`WHERE id > last ORDER BY id LIMIT 500`), so no table is held whole in
//! memory; a page is encoded and sent before the next is read. Suppression needs every count
//! of a table at once (a complement is chosen among the table's cells): that pass reads only
//! the counts (a key and a few numbers per row), then the rows are streamed with the pattern
//! applied. XLSX is written by rust_xlsxwriter in constant-memory mode (rows go to a temporary
//! file as they come) and the finished file is streamed from disk.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, BoxStream, StreamExt};
use lc_disclosure::{suppress, Policy, Table};
use lc_model::DivisionLevel;
use lc_store::sqlx;
use lc_store::StoreError;
use serde_json::{json, Map, Value};

use crate::bulk::neutralise;
use crate::domains::{assessments, credit, inspections, reviews};
use crate::error::{ApiResult, AppError};
use crate::AppState;

/// Rows per page read from the database and encoded at once.
pub const PAGE: i64 = 500;

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Number,
    /// A count of people (persons, households, reviewers): published only through the
    /// disclosure policy.
    People,
    /// Longitude (WGS-84): the point of a GeoJSON feature.
    Lon,
    /// Latitude (WGS-84).
    Lat,
}

/// A column of a dataset.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    pub kind: Kind,
}

const fn col(name: &'static str, zh: &'static str, en: &'static str, kind: Kind) -> Column {
    Column { name, zh, en, kind }
}

/// A cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    Text(String),
    Num(f64),
    Int(i64),
    /// Withheld by the disclosure policy (`x` in CSV and XLSX, `null` in GeoJSON with the
    /// column named in the feature's `suppressed` list).
    Suppressed,
}

impl Val {
    fn text(s: Option<String>) -> Val {
        s.map_or(Val::Null, Val::Text)
    }
    fn num(x: Option<f64>) -> Val {
        x.filter(|x| x.is_finite()).map_or(Val::Null, Val::Num)
    }
    /// A JSON value of an imported row (numbers kept as numbers when they parse).
    fn of_json(v: Option<&Value>) -> Val {
        match v {
            None | Some(Value::Null) => Val::Null,
            Some(Value::String(s)) if s.is_empty() => Val::Null,
            Some(Value::String(s)) => Val::Text(s.clone()),
            Some(Value::Number(n)) => Val::num(n.as_f64()),
            Some(other) => Val::Text(other.to_string()),
        }
    }
}

/// One row, aligned with the dataset's columns.
pub type Row = Vec<Val>;
/// Pages of rows.
pub type Pages = BoxStream<'static, ApiResult<Vec<Row>>>;

/// The marker of a suppressed cell in CSV and XLSX.
pub const SUPPRESSED: &str = "x";

// --- The datasets' columns -----------------------------------------------------------------

pub const OUTLET_COLUMNS: &[Column] = &[
    col("id", "网点编号", "outlet id", Kind::Text),
    col("name", "名称", "name", Kind::Text),
    col("category", "类别", "category key", Kind::Text),
    col("category_zh", "类别名称", "category (Chinese)", Kind::Text),
    col("division_code", "区划代码", "division code", Kind::Text),
    col("address", "地址", "address", Kind::Text),
    col(
        "provider_code",
        "运营主体统一社会信用代码",
        "provider's unified social credit code",
        Kind::Text,
    ),
    col(
        "provider_name",
        "运营主体名称",
        "provider's name",
        Kind::Text,
    ),
    col(
        "capacity",
        "服务能力",
        "capacity (places, beds, seats)",
        Kind::Number,
    ),
    col("opening_hours", "开放时间", "opening hours", Kind::Text),
    col("listing_number", "挂牌编号", "listing number", Kind::Text),
    col("lon", "经度", "longitude (WGS-84)", Kind::Lon),
    col("lat", "纬度", "latitude (WGS-84)", Kind::Lat),
];

pub const RATING_COLUMNS: &[Column] = &[
    col("outlet_id", "网点编号", "outlet id", Kind::Text),
    col("outlet_name", "网点名称", "outlet name", Kind::Text),
    col("reviews", "评价人次", "reviews", Kind::People),
    col("good", "好评", "good", Kind::People),
    col("neutral", "中评", "neutral", Kind::People),
    col("bad", "差评", "bad", Kind::People),
    col("good_rate", "好评率", "share of good reviews", Kind::Number),
];

pub const COMMUNITY_COLUMNS: &[Column] = &[
    col(
        "level",
        "层级",
        "level (community, township, county, city, all)",
        Kind::Text,
    ),
    col("code", "编码", "community id or division code", Kind::Text),
    col("name", "名称", "name", Kind::Text),
    col(
        "parent_code",
        "上级区划代码",
        "parent division code",
        Kind::Text,
    ),
    col("population", "常住人口", "population", Kind::People),
    col("households", "户数", "households", Kind::People),
    col("elderly", "老年人口", "elderly (60+)", Kind::People),
    col(
        "children_0_3",
        "0-3岁婴幼儿",
        "children aged 0-3",
        Kind::People,
    ),
    col("lon", "经度", "longitude (WGS-84)", Kind::Lon),
    col("lat", "纬度", "latitude (WGS-84)", Kind::Lat),
];

pub const ASSESSMENT_COLUMNS: &[Column] = &[
    col("run_id", "评估编号", "assessment run", Kind::Number),
    col("community_id", "社区编号", "community id", Kind::Text),
    col("community_name", "社区名称", "community name", Kind::Text),
    col("division_code", "区划代码", "division code", Kind::Text),
    col(
        "unmet",
        "未达标要求数",
        "requirements not met",
        Kind::Number,
    ),
    col(
        "requirements",
        "未达标要求",
        "requirements not met (ids)",
        Kind::Text,
    ),
];

pub const INDICATOR_COLUMNS: &[Column] = &[
    col("run_id", "评估编号", "assessment run", Kind::Number),
    col("plan", "规划", "plan", Kind::Text),
    col("indicator", "指标", "indicator", Kind::Text),
    col("name_zh", "指标名称", "name (Chinese)", Kind::Text),
    col("name_en", "指标英文名", "name (English)", Kind::Text),
    col("level", "层级", "level", Kind::Text),
    col("region_code", "区域编码", "region code", Kind::Text),
    col("region_name", "区域名称", "region name", Kind::Text),
    col("value", "值", "value", Kind::Number),
    col("unit", "单位", "unit", Kind::Text),
    col("comparison", "比较", "comparison", Kind::Text),
    col("target", "目标", "target", Kind::Text),
    col("met", "达标", "met", Kind::Text),
    col("gap", "差距", "gap", Kind::Number),
];

/// The penalty columns: the 双公示 public fields (never 法定代表人 or ID numbers).
pub fn penalty_columns() -> Vec<Column> {
    lc_credit::sgs::PENALTY_PUBLIC
        .iter()
        .map(|c| col(c, c, c, Kind::Text))
        .collect()
}

/// The published spot-check result columns.
pub fn spot_check_columns() -> Vec<Column> {
    inspections::results::PUBLIC_RESULT_COLUMNS
        .iter()
        .map(|c| {
            let kind = if *c == "spot_check_id" {
                Kind::Number
            } else {
                Kind::Text
            };
            col(c, c, c, kind)
        })
        .collect()
}

// --- Sources ---------------------------------------------------------------------------------

/// A page stream of a single in-memory page (sources whose public rule already reads the whole
/// list: penalties, spot-check results, ratings).
fn one_page(rows: Vec<Row>) -> Pages {
    stream::iter(
        rows.chunks(PAGE as usize)
            .map(|c| Ok(c.to_vec()))
            .collect::<Vec<_>>(),
    )
    .boxed()
}

type OutletRow = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<f64>,
    Option<String>,
    Option<String>,
    f64,
    f64,
);

/// The outlets, page by page in id order.
pub fn outlets(st: Arc<AppState>) -> Pages {
    keyset_pages(
        st,
        "SELECT f.id, f.name, f.category, f.division_code, f.address, f.provider_code, p.name, f.capacity, f.opening_hours, f.listing_number, f.lon, f.lat FROM facilities f LEFT JOIN providers p ON p.uscc = f.provider_code WHERE f.id > $1 ORDER BY f.id LIMIT $2",
        |r: &OutletRow| r.0.clone(),
        |(id, name, cat, div, addr, pc, pn, cap, hours, listing, lon, lat)| {
                let zh = lc_model::Category::from_key(&cat)
                    .map(|c| c.info().zh.to_string())
                    .ok();
                vec![
                    Val::Text(id),
                    Val::Text(name),
                    Val::Text(cat),
                    Val::text(zh),
                    Val::text(div),
                    Val::text(addr),
                    Val::text(pc),
                    Val::text(pn),
                    Val::num(cap),
                    Val::text(hours),
                    Val::text(listing),
                    Val::Num(lon),
                    Val::Num(lat),
                ]
        },
    )
    .boxed()
}

/// The rows of a keyset query (`… WHERE id > $1 ORDER BY id LIMIT $2`), [`PAGE`] at a time,
/// each made a download row by `to_row`; `key` gives a row's id, where the next page starts.
fn keyset_pages<R, F>(
    st: Arc<AppState>,
    sql: &'static str,
    key: fn(&R) -> String,
    to_row: F,
) -> impl futures_util::Stream<Item = ApiResult<Vec<Row>>> + Send + 'static
where
    R: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin + 'static,
    F: Fn(R) -> Row + Clone + Send + Sync + 'static,
{
    stream::unfold(Some(String::new()), move |after| {
        let (st, to_row) = (st.clone(), to_row.clone());
        async move {
            let after = after?;
            let page: Result<Vec<R>, _> = sqlx::query_as(sql)
                .bind(after)
                .bind(PAGE)
                .fetch_all(st.store.reader())
                .await;
            match page {
                Err(e) => Some((Err(AppError::from(StoreError::from(e))), None)),
                Ok(rows) if rows.is_empty() => None,
                Ok(rows) => {
                    let next = (rows.len() as i64 == PAGE).then(|| key(&rows[rows.len() - 1]));
                    Some((Ok(rows.into_iter().map(to_row).collect()), next))
                }
            }
        }
    })
}

/// The public ratings by outlet (those the jurisdiction's minimum publishes), counts through
/// the policy: `reviews = good + neutral + bad` is one relation per outlet, so a withheld 差评
/// count takes a complement with it; the share of good reviews is shown only when the reviews
/// and the good count both are (it would give the good count back).
pub async fn ratings(st: Arc<AppState>, policy: Policy) -> ApiResult<Pages> {
    let mut conn = st.store.read_conn().await?;
    let (_, ratings) = reviews::stats::all_outlet_ratings(&mut conn).await?;
    let names: BTreeMap<String, String> =
        sqlx::query_as::<_, (String, String)>("SELECT id, name FROM facilities")
            .fetch_all(&mut *conn)
            .await
            .map_err(StoreError::from)?
            .into_iter()
            .collect();
    let mut t = Table::new();
    let mut rows = Vec::new();
    for (outlet, public) in ratings {
        let lc_reviews::rating::Public::Published(f) = public else {
            continue;
        };
        let cells: Vec<usize> = [f.count, f.good, f.neutral, f.bad]
            .iter()
            .map(|&v| t.cell(u64::from(v)))
            .collect();
        t.relation(cells[0], cells[1..].to_vec())
            .map_err(AppError::internal)?;
        rows.push((outlet, f.good_rate_bp, cells));
    }
    let out = suppress(&policy, &t);
    let rows = rows
        .into_iter()
        .map(|(outlet, bp, cells)| {
            let shown = |c: usize| {
                if out.suppressed[c] {
                    Val::Suppressed
                } else {
                    Val::Int(t.value(c) as i64)
                }
            };
            let rate = if out.suppressed[cells[0]] || out.suppressed[cells[1]] {
                Val::Suppressed
            } else {
                Val::Num(f64::from(bp) / 10000.0)
            };
            let name = Val::text(names.get(&outlet).cloned());
            vec![
                Val::Text(outlet),
                name,
                shown(cells[0]),
                shown(cells[1]),
                shown(cells[2]),
                shown(cells[3]),
                rate,
            ]
        })
        .collect();
    Ok(one_page(rows))
}

/// The penalties within their publicity today (the rule of `GET /api/public/penalties`).
pub async fn penalties(st: Arc<AppState>) -> ApiResult<Pages> {
    let today = crate::web::today(&st)?;
    let mut conn = st.store.read_conn().await?;
    let rows = credit::public_rows(&mut conn, "penalty", None, today).await?;
    let out = rows
        .iter()
        .map(|r| {
            let fields: BTreeMap<String, String> =
                serde_json::from_str(&r.fields).unwrap_or_default();
            lc_credit::sgs::PENALTY_PUBLIC
                .iter()
                .map(|c| Val::text(fields.get(*c).cloned().filter(|s| !s.is_empty())))
                .collect()
        })
        .collect();
    Ok(one_page(out))
}

/// The published spot-check results (the rule of `GET /api/public/spot-check-results`).
pub async fn spot_checks(st: Arc<AppState>) -> ApiResult<Pages> {
    let items = inspections::results::public_result_rows(&st, None).await?;
    let values = crate::web::to_values(&items);
    let out = values
        .iter()
        .map(|v| {
            inspections::results::PUBLIC_RESULT_COLUMNS
                .iter()
                .map(|c| Val::of_json(v.get(*c)))
                .collect()
        })
        .collect();
    Ok(one_page(out))
}

/// The division levels above a community that the community table aggregates, narrowest
/// first (township, county, city; the codes are stored without padding).
const LEVELS: &[(&str, DivisionLevel)] = &[
    ("township", DivisionLevel::Street),
    ("county", DivisionLevel::County),
    ("city", DivisionLevel::Prefecture),
];

/// A division code's region at a level (itself when it is of that level; `lc_model::division`).
fn ancestor(code: &str, level: DivisionLevel) -> Option<String> {
    lc_model::division::prefix_at(code, level).map(str::to_string)
}

/// The person-count columns of the community table.
pub const COMMUNITY_COUNTS: &[&str] = &["population", "households", "elderly", "children_0_3"];

/// A community's id, division code and counts of people (population, households, elderly,
/// children_0_3: the order of [`COMMUNITY_COUNTS`]).
pub type CountRow = (
    String,
    Option<String>,
    f64,
    Option<f64>,
    Option<f64>,
    Option<f64>,
);

/// Every community's counts, as [`community_pattern`] reads them.
pub async fn community_counts(st: &AppState) -> ApiResult<Vec<CountRow>> {
    Ok(sqlx::query_as(
        "SELECT id, division_code, population, households, elderly, children_0_3 FROM communities ORDER BY id",
    )
    .fetch_all(st.store.reader())
    .await
    .map_err(StoreError::from)?)
}

/// The key of a community's topmost aggregate in the pattern (`city:…`, else `county:…`, else
/// `township:…`), or its own cell's key when its code reaches no aggregate level.
pub fn top_key(id: &str, division_code: Option<&str>) -> String {
    LEVELS
        .iter()
        .rev()
        .find_map(|&(level, len)| {
            division_code
                .and_then(|d| ancestor(d, len))
                .map(|code| format!("{level}:{code}"))
        })
        .unwrap_or_else(|| format!("community:{id}"))
}

/// The suppression pattern of the community table: for each count column, one table of every
/// community and every aggregate above them (township = Σ its communities, county = Σ its
/// townships, city = Σ its counties, all = Σ cities and the communities without a code), so
/// that no difference of any two published figures gives a withheld community back.
pub struct CommunityPattern {
    /// (level key, code) of every aggregate row, in output order, with its parent.
    pub aggregates: Vec<(&'static str, String, Option<String>)>,
    /// Per count column, per row key (`community:{id}` or `{level}:{code}`): the value and
    /// whether it is withheld.
    pub cells: Vec<BTreeMap<String, (Option<u64>, bool)>>,
}

/// Computes the pattern (reads the counts only).
pub async fn community_pattern(st: &AppState, policy: &Policy) -> ApiResult<CommunityPattern> {
    pattern_of(&community_counts(st).await?, policy)
}

/// The pattern of these communities' counts (pure).
pub fn pattern_of(rows: &[CountRow], policy: &Policy) -> ApiResult<CommunityPattern> {
    // Parent of each node: community → township → county → city → all.
    let mut parent: BTreeMap<String, String> = BTreeMap::new();
    let mut levels: BTreeMap<String, (&'static str, String)> = BTreeMap::new();
    for (id, div, ..) in rows {
        let mut child = format!("community:{id}");
        for &(level, len) in LEVELS {
            let Some(code) = div.as_deref().and_then(|d| ancestor(d, len)) else {
                continue;
            };
            let key = format!("{level}:{code}");
            parent.insert(child, key.clone());
            levels.insert(key.clone(), (level, code));
            child = key;
        }
        parent.insert(child, "all:".to_string());
    }
    let mut aggregates: Vec<(&'static str, String, Option<String>)> = Vec::new();
    for &(level, _) in LEVELS {
        for (key, (l, code)) in &levels {
            if *l == level {
                let up = parent
                    .get(key)
                    .and_then(|p| levels.get(p))
                    .map(|(_, c)| c.clone());
                aggregates.push((level, code.clone(), up));
            }
        }
    }
    aggregates.push(("all", String::new(), None));
    let mut cells = Vec::new();
    for k in 0..COMMUNITY_COUNTS.len() {
        let mut t = Table::new();
        let mut index: BTreeMap<String, usize> = BTreeMap::new();
        let mut values: BTreeMap<String, Option<u64>> = BTreeMap::new();
        for (id, _, pop, hh, old, kids) in rows {
            let v = [Some(*pop), *hh, *old, *kids][k]
                .filter(|x| x.is_finite() && *x >= 0.0)
                .map(|x| x.round() as u64);
            let key = format!("community:{id}");
            if let Some(v) = v {
                index.insert(key.clone(), t.cell(v));
            }
            values.insert(key, v);
        }
        // Aggregates bottom-up: each the sum of its children that have a value.
        let mut children: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (child, p) in &parent {
            children.entry(p.clone()).or_default().push(child.clone());
        }
        let agg_keys: Vec<String> = aggregates
            .iter()
            .map(|(l, c, _)| format!("{l}:{c}"))
            .collect();
        for key in &agg_keys {
            let kids: Vec<&String> = children
                .get(key)
                .map(|v| v.iter().collect())
                .unwrap_or_default();
            let parts: Vec<usize> = kids.iter().filter_map(|c| index.get(*c).copied()).collect();
            if parts.is_empty() {
                values.insert(key.clone(), None);
                continue;
            }
            let sum: u64 = parts.iter().map(|&p| t.value(p)).sum();
            let cell = t.cell(sum);
            t.relation(cell, parts).map_err(AppError::internal)?;
            index.insert(key.clone(), cell);
            values.insert(key.clone(), Some(sum));
        }
        let out = suppress(policy, &t);
        if !out.exposed.is_empty() {
            return Err(AppError::internal("community table: a cell stays exposed"));
        }
        cells.push(
            values
                .into_iter()
                .map(|(key, v)| {
                    let s = index.get(&key).is_some_and(|&c| out.suppressed[c]);
                    (key, (v, s))
                })
                .collect(),
        );
    }
    Ok(CommunityPattern { aggregates, cells })
}

type CommunityRow = (String, String, Option<String>, f64, f64);

/// The community table: every community (paged), then every aggregate, counts through the
/// pattern.
pub async fn communities(st: Arc<AppState>, policy: Policy) -> ApiResult<Pages> {
    let pattern = Arc::new(community_pattern(&st, &policy).await?);
    let counts = {
        let pattern = pattern.clone();
        move |key: &str| -> Vec<Val> {
            pattern
                .cells
                .iter()
                .map(|m| match m.get(key) {
                    Some((_, true)) => Val::Suppressed,
                    Some((Some(v), false)) => Val::Int(*v as i64),
                    _ => Val::Null,
                })
                .collect()
        }
    };
    let names: BTreeMap<String, String> = {
        let codes: BTreeSet<&String> = pattern.aggregates.iter().map(|(_, c, _)| c).collect();
        sqlx::query_as::<_, (String, String)>("SELECT code, name FROM divisions")
            .fetch_all(st.store.reader())
            .await
            .map_err(StoreError::from)?
            .into_iter()
            .filter(|(c, _)| codes.contains(c))
            .collect()
    };
    let counts2 = counts.clone();
    let community_pages = keyset_pages(
        st.clone(),
        "SELECT id, name, division_code, lon, lat FROM communities WHERE id > $1 ORDER BY id LIMIT $2",
        |r: &CommunityRow| r.0.clone(),
        move |(id, name, div, lon, lat)| {
                let mut row = vec![
                    Val::Text("community".into()),
                    Val::Text(id.clone()),
                    Val::Text(name),
                    Val::text(div),
                ];
                row.extend(counts(&format!("community:{id}")));
                row.push(Val::Num(lon));
                row.push(Val::Num(lat));
                row
        },
    );
    let aggregates: Vec<Row> = pattern
        .aggregates
        .iter()
        .map(|(level, code, up)| {
            let name = if *level == "all" {
                Some("全部 all".to_string())
            } else {
                names.get(code).cloned()
            };
            let mut row = vec![
                Val::Text(level.to_string()),
                if code.is_empty() {
                    Val::Null
                } else {
                    Val::Text(code.clone())
                },
                Val::text(name),
                Val::text(up.clone()),
            ];
            row.extend(counts2(&format!("{level}:{code}")));
            row.push(Val::Null);
            row.push(Val::Null);
            row
        })
        .collect();
    Ok(community_pages.chain(one_page(aggregates)).boxed())
}

/// The latest assessment run's shortcomings, one row per community.
pub async fn assessment(st: Arc<AppState>) -> ApiResult<Pages> {
    let Some(run) = assessments::latest_run(&st).await.map_err(AppError::from)? else {
        return Ok(one_page(Vec::new()));
    };
    let rows = assessments::run_rows(&st, run.id, "shortcoming", None).await?;
    let mut by: BTreeMap<String, (Val, Val, BTreeSet<String>)> = BTreeMap::new();
    for r in &rows {
        let Some(id) = r
            .get("community_id")
            .or_else(|| r.get("community"))
            .and_then(Value::as_str)
        else {
            continue;
        };
        let e = by.entry(id.to_string()).or_insert_with(|| {
            (
                Val::of_json(r.get("community_name")),
                Val::of_json(r.get("division_code")),
                BTreeSet::new(),
            )
        });
        if let Some(req) = r.get("requirement_id").and_then(Value::as_str) {
            e.2.insert(req.to_string());
        }
    }
    let out = by
        .into_iter()
        .map(|(id, (name, div, reqs))| {
            vec![
                Val::Int(run.id),
                Val::Text(id),
                name,
                div,
                Val::Int(reqs.len() as i64),
                Val::Text(reqs.into_iter().collect::<Vec<_>>().join(";")),
            ]
        })
        .collect();
    Ok(one_page(out))
}

/// The latest assessment run's indicators by region. A region of fewer people than the
/// threshold shows no value (a rate over a handful of people describes them); the indicator
/// files' own counts (population, numerator, denominator) are not published here.
pub async fn indicators(st: Arc<AppState>, policy: Policy) -> ApiResult<Pages> {
    let Some(run) = assessments::latest_run(&st).await.map_err(AppError::from)? else {
        return Ok(one_page(Vec::new()));
    };
    let rows = assessments::run_rows(&st, run.id, "indicator", None).await?;
    let out = rows
        .iter()
        .map(|r| {
            let population = match r.get("population") {
                Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
                Some(Value::Number(n)) => n.as_f64(),
                _ => None,
            };
            let small = population
                .map(|p| policy.is_sensitive(p.round().max(0.0) as u64))
                .unwrap_or(false);
            INDICATOR_COLUMNS
                .iter()
                .map(|c| match c.name {
                    "run_id" => Val::Int(run.id),
                    "value" | "met" | "gap" if small => Val::Suppressed,
                    "value" | "gap" => match r.get(c.name) {
                        Some(Value::String(s)) => Val::num(s.trim().parse().ok()),
                        v => Val::of_json(v),
                    },
                    name => Val::of_json(r.get(name)),
                })
                .collect()
        })
        .collect();
    Ok(one_page(out))
}

// --- Encoders ---------------------------------------------------------------------------------

fn number_text(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

fn csv_cell(v: &Val) -> String {
    match v {
        Val::Null => String::new(),
        Val::Text(s) => neutralise(s).into_owned(),
        Val::Num(x) => number_text(*x),
        Val::Int(i) => i.to_string(),
        Val::Suppressed => SUPPRESSED.to_string(),
    }
}

fn io_err(e: AppError) -> std::io::Error {
    std::io::Error::other(e.message_en)
}

/// A download response with its media type and file name.
fn download(content_type: &str, name: &str, body: Body) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

/// CSV: a header of column names, then the rows as they come.
pub fn csv(columns: Vec<Column>, pages: Pages, name: &str) -> Response {
    let header = {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record(columns.iter().map(|c| c.name));
        w.into_inner().unwrap_or_default()
    };
    let body = stream::once(async move { Ok::<_, std::io::Error>(Bytes::from(header)) }).chain(
        pages.map(|page| {
            let page = page.map_err(io_err)?;
            let mut w = csv::Writer::from_writer(Vec::with_capacity(page.len() * 120));
            for row in &page {
                w.write_record(row.iter().map(csv_cell))
                    .map_err(std::io::Error::other)?;
            }
            Ok(Bytes::from(w.into_inner().map_err(std::io::Error::other)?))
        }),
    );
    download("text/csv; charset=utf-8", name, Body::from_stream(body))
}

/// One GeoJSON feature of a row.
fn feature(columns: &[Column], row: &Row) -> Value {
    let mut props = Map::new();
    let mut suppressed = Vec::new();
    let (mut lon, mut lat) = (None, None);
    for (c, v) in columns.iter().zip(row) {
        let value = match v {
            Val::Null => Value::Null,
            Val::Text(s) => Value::String(s.clone()),
            Val::Num(x) => json!(x),
            Val::Int(i) => json!(i),
            Val::Suppressed => {
                suppressed.push(c.name);
                Value::Null
            }
        };
        match (c.kind, v) {
            (Kind::Lon, Val::Num(x)) => lon = Some(*x),
            (Kind::Lat, Val::Num(x)) => lat = Some(*x),
            (Kind::Lon | Kind::Lat, _) => {}
            _ => {
                props.insert(c.name.to_string(), value);
            }
        }
    }
    if !suppressed.is_empty() {
        props.insert("suppressed".into(), json!(suppressed));
    }
    let geometry = match (lon, lat) {
        (Some(x), Some(y)) => json!({"type": "Point", "coordinates": [x, y]}),
        _ => Value::Null,
    };
    json!({"type": "Feature", "geometry": geometry, "properties": props})
}

/// GeoJSON: a FeatureCollection written feature by feature (rows without a point have a null
/// geometry).
pub fn geojson(columns: Vec<Column>, pages: Pages, name: &str) -> Response {
    let head = Bytes::from_static(b"{\"type\":\"FeatureCollection\",\"features\":[\n");
    let mut first = true;
    let body = stream::once(async move { Ok::<_, std::io::Error>(head) })
        .chain(pages.map(move |page| {
            let page = page.map_err(io_err)?;
            let mut out = Vec::with_capacity(page.len() * 300);
            for row in &page {
                if !first {
                    out.extend_from_slice(b",\n");
                }
                first = false;
                serde_json::to_writer(&mut out, &feature(&columns, row))
                    .map_err(std::io::Error::other)?;
            }
            Ok(Bytes::from(out))
        }))
        .chain(stream::once(async { Ok(Bytes::from_static(b"\n]}\n")) }));
    download("application/geo+json", name, Body::from_stream(body))
}

/// XLSX: rows written into a constant-memory worksheet as they come (a blocking task fed page
/// by page), the finished workbook streamed from its temporary file.
pub async fn xlsx(
    columns: Vec<Column>,
    mut pages: Pages,
    sheet: &str,
    name: &str,
) -> ApiResult<Response> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<Row>>(2);
    let sheet = sheet.to_string();
    let writer =
        tokio::task::spawn_blocking(move || -> Result<tempfile::NamedTempFile, AppError> {
            use rust_xlsxwriter::{Format, Workbook};
            let mut wb = Workbook::new();
            let bold = Format::new().set_bold();
            let ws = wb.add_worksheet_with_constant_memory();
            ws.set_name(&sheet).map_err(AppError::internal)?;
            for (j, c) in columns.iter().enumerate() {
                ws.write_string_with_format(0, j as u16, c.name, &bold)
                    .map_err(AppError::internal)?;
            }
            let mut r: u32 = 1;
            while let Some(page) = rx.blocking_recv() {
                for row in page {
                    for (j, v) in row.iter().enumerate() {
                        let j = j as u16;
                        match v {
                            Val::Null => Ok(&mut *ws),
                            Val::Text(s) => ws.write_string(r, j, neutralise(s)),
                            Val::Num(x) => ws.write_number(r, j, *x),
                            Val::Int(i) => ws.write_number(r, j, *i as f64),
                            Val::Suppressed => ws.write_string(r, j, SUPPRESSED),
                        }
                        .map_err(AppError::internal)?;
                    }
                    r += 1;
                }
            }
            let mut file = tempfile::NamedTempFile::new().map_err(AppError::internal)?;
            wb.save_to_writer(file.as_file_mut())
                .map_err(AppError::internal)?;
            file.as_file_mut().flush().map_err(AppError::internal)?;
            Ok(file)
        });
    let mut failed = None;
    while let Some(page) = pages.next().await {
        match page {
            Ok(p) => {
                if tx.send(p).await.is_err() {
                    break;
                }
            }
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    drop(tx);
    let file = writer.await.map_err(AppError::internal)??;
    if let Some(e) = failed {
        return Err(e);
    }
    // Stream the file in 64 KiB chunks read on the blocking pool.
    let reopened = file.reopen().map_err(AppError::internal)?;
    let body = stream::unfold(Some((reopened, file)), |state| async move {
        let (mut f, keep) = state?;
        let read = tokio::task::spawn_blocking(move || {
            let mut buf = vec![0u8; 64 << 10];
            let n = f.read(&mut buf)?;
            buf.truncate(n);
            Ok::<_, std::io::Error>((f, buf))
        })
        .await;
        match read {
            Ok(Ok((_, buf))) if buf.is_empty() => None,
            Ok(Ok((f, buf))) => Some((Ok(Bytes::from(buf)), Some((f, keep)))),
            Ok(Err(e)) => Some((Err(e), None)),
            Err(e) => Some((Err(std::io::Error::other(e)), None)),
        }
    });
    Ok(download(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        name,
        Body::from_stream(body),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ancestors_are_prefixes_and_other_codes_are_refused() {
        use DivisionLevel::{County, Prefecture, Street};
        assert_eq!(
            ancestor("510104021003", Street).as_deref(),
            Some("510104021")
        );
        assert_eq!(ancestor("510104021003", County).as_deref(), Some("510104"));
        assert_eq!(ancestor("510104021", Street).as_deref(), Some("510104021"));
        assert_eq!(ancestor("510104021", Prefecture).as_deref(), Some("5101"));
        assert_eq!(ancestor("5101", County), None);
        assert_eq!(ancestor("51010402100x", Prefecture), None);
        // No province 99 (a code of the right length is not enough).
        assert_eq!(ancestor("990104021003", County), None);
    }

    #[test]
    fn a_feature_has_its_point_and_names_its_suppressed_cells() {
        let row = vec![
            Val::Text("community".into()),
            Val::Text("C1".into()),
            Val::Text("富润".into()),
            Val::Null,
            Val::Int(1200),
            Val::Suppressed,
            Val::Null,
            Val::Null,
            Val::Num(104.06),
            Val::Num(30.66),
        ];
        let f = feature(COMMUNITY_COLUMNS, &row);
        assert_eq!(f["geometry"]["coordinates"], json!([104.06, 30.66]));
        assert_eq!(f["properties"]["population"], json!(1200));
        assert_eq!(f["properties"]["households"], Value::Null);
        assert_eq!(f["properties"]["suppressed"], json!(["households"]));
        assert!(f["properties"].get("lon").is_none());
    }

    #[test]
    fn csv_cells_mark_suppression_and_neutralise_formulas() {
        assert_eq!(csv_cell(&Val::Suppressed), "x");
        assert_eq!(csv_cell(&Val::Num(12.0)), "12");
        assert_eq!(csv_cell(&Val::Num(0.5)), "0.5");
        assert_eq!(csv_cell(&Val::Text("=1+1".into())), "'=1+1");
    }
}
