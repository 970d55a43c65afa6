//! 开放数据 Open data (issue 16): a catalogue of the datasets the platform can publish, a
//! CKAN-compatible subset of the action API (`package_list`, `package_show`, `package_search`,
//! `resource_show`), the catalogue in DCAT-AP 3 JSON-LD, and downloads as CSV, GeoJSON and XLSX,
//! streamed ([`tables`]). Everything is public (no sign-in).
//!
//! No dataset holds personal data: outlets, public ratings, published spot-check results and
//! penalties within their publicity are about businesses (the 双公示 public fields only, never
//! 法定代表人); counts of people (a community's population, households, elderly and infants; the
//! number of reviewers) are published only through the declared disclosure policy
//! ([`lc_disclosure`], threshold 10): no cell shows 1–9 people, and complements are withheld so
//! that no total, difference of regions or neighbouring cell gives one back.
//!
//! CKAN conventions followed (checked by `tests/open_data.rs`): every answer is the envelope
//! `{help, success, result}`; errors are `{help, success: false, error: {__type, message | field:
//! [messages]}}` with 404 (`Not Found Error`) or 409 (`Validation Error`); parameters come as
//! GET query parameters or a POST JSON body; `package_search` takes `q`, `fq`, `rows` (default
//! 10, capped at 1000 as `ckan.search.rows_max`), `start`, `sort` and `facet.field`, and answers
//! `{count, results, sort, facets, search_facets}`. What `q` and `fq` support is in
//! `docs/open-data.md` (a subset of Solr's syntax: words, `field:value`).

pub mod tables;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use lc_disclosure::Policy;
use lc_registry::Access;
use serde_json::{json, Map, Value};

use crate::endpoints::{ep, Endpoint, CSV, JSON};
use crate::error::{ApiResult, AppError};
use crate::AppState;
use tables::{Column, Pages};

/// The endpoints of this domain.
pub const ENDPOINTS: &[Endpoint] = &[
    ep!("GET", "/api/3/action/package_list", Access::Public, "", "open-data", "CKAN package_list: the names of the open datasets (limit, offset).", None, JSON),
    ep!("POST", "/api/3/action/package_list", Access::Public, "", "open-data", "CKAN package_list with a JSON body.", Some(JSON), JSON),
    ep!("GET", "/api/3/action/package_show", Access::Public, "", "open-data", "CKAN package_show: one dataset with its resources (id).", None, JSON),
    ep!("POST", "/api/3/action/package_show", Access::Public, "", "open-data", "CKAN package_show with a JSON body.", Some(JSON), JSON),
    ep!("GET", "/api/3/action/package_search", Access::Public, "", "open-data", "CKAN package_search: q, fq, rows (default 10, at most 1000), start, sort, facet.field.", None, JSON),
    ep!("POST", "/api/3/action/package_search", Access::Public, "", "open-data", "CKAN package_search with a JSON body.", Some(JSON), JSON),
    ep!("GET", "/api/3/action/resource_show", Access::Public, "", "open-data", "CKAN resource_show: one download of a dataset (id).", None, JSON),
    ep!("POST", "/api/3/action/resource_show", Access::Public, "", "open-data", "CKAN resource_show with a JSON body.", Some(JSON), JSON),
    ep!("GET", "/api/open/catalog.jsonld", Access::Public, "", "open-data", "The catalogue in DCAT-AP 3 JSON-LD (dcat:Catalog, dcat:Dataset, dcat:Distribution).", None, "application/ld+json"),
    ep!("GET", "/api/open/datasets/{file}", Access::Public, "", "open-data", "A dataset: {id}.csv, {id}.geojson, {id}.xlsx (streamed; counts of people through the disclosure policy) or {id}.jsonld (its DCAT-AP description).", None, CSV),
];

/// The routes of this domain.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/api/3/action/package_list",
            get(package_list_get).post(package_list_post),
        )
        .route(
            "/api/3/action/package_show",
            get(package_show_get).post(package_show_post),
        )
        .route(
            "/api/3/action/package_search",
            get(package_search_get).post(package_search_post),
        )
        .route(
            "/api/3/action/resource_show",
            get(resource_show_get).post(resource_show_post),
        )
        .route("/api/open/catalog.jsonld", get(catalog_jsonld))
        .route("/api/open/datasets/{file}", get(dataset_file))
}

// --- The catalogue ---------------------------------------------------------------------------

/// The licence of every dataset: Creative Commons Attribution 4.0 (attribution to the
/// publisher; the platform's declared licence for its open data).
pub const LICENSE_ID: &str = "CC-BY-4.0";
pub const LICENSE_TITLE: &str = "Creative Commons Attribution 4.0 (CC BY 4.0)";
pub const LICENSE_URL: &str = "https://creativecommons.org/licenses/by/4.0/";
/// The publisher (the deployment's operator; the demo's name).
pub const PUBLISHER_ZH: &str = "15分钟生活圈服务平台";
pub const PUBLISHER_EN: &str = "livingcircle 15-minute living circle service platform";
/// The organisation's CKAN name.
pub const ORGANIZATION: &str = "livingcircle";

/// One dataset of the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct Dataset {
    /// CKAN `name` and `id`; the file name of the downloads.
    pub id: &'static str,
    pub title_zh: &'static str,
    pub title_en: &'static str,
    pub notes_zh: &'static str,
    pub notes_en: &'static str,
    pub tags: &'static [&'static str],
    /// EU frequency authority code (`dct:accrualPeriodicity`).
    pub frequency: &'static str,
    pub frequency_zh: &'static str,
    /// What period the rows describe.
    pub temporal_zh: &'static str,
    pub temporal_en: &'static str,
    /// Rows have a point (a GeoJSON geometry).
    pub points: bool,
}

/// The catalogue, in a fixed order.
pub const DATASETS: &[Dataset] = &[
    Dataset {
        id: "outlets",
        title_zh: "生活服务网点与设施",
        title_en: "Service outlets and facilities",
        notes_zh: "平台登记的生活服务网点与设施：类别、位置（WGS-84）、地址、运营主体、服务能力、开放时间。",
        notes_en: "The life-service outlets and facilities registered on the platform: category, location (WGS-84), address, provider, capacity, opening hours.",
        tags: &["outlets", "facilities", "网点", "设施", "15-minute living circle"],
        frequency: "UPDATE_CONT",
        frequency_zh: "实时更新",
        temporal_zh: "当前登记",
        temporal_en: "as registered now",
        points: true,
    },
    Dataset {
        id: "ratings",
        title_zh: "服务网点公开评价（好差评）",
        title_en: "Public ratings of outlets",
        notes_zh: "按网点汇总的好差评：评价人次、好评、中评、差评、好评率；达到辖区公开最少评价数的网点才公开，人数小于10的单元格按披露控制规则隐去（含补充隐去）。",
        notes_en: "Good/bad reviews by outlet: reviews, good, neutral, bad, share of good; only outlets with the jurisdiction's minimum of reviews; counts of fewer than 10 people withheld by the disclosure policy (with complements).",
        tags: &["ratings", "reviews", "好差评", "评价"],
        frequency: "DAILY",
        frequency_zh: "每日",
        temporal_zh: "全部评价期",
        temporal_en: "all reviews so far",
        points: false,
    },
    Dataset {
        id: "communities",
        title_zh: "社区人口与区划汇总",
        title_en: "Communities: population by division",
        notes_zh: "各社区及街道、区县、市与全部的常住人口、户数、老年人口、0-3岁婴幼儿（估计值）；小于10人的单元格及其补充单元格隐去（标记 x），任意两个区域相减也推不出被隐去的数。",
        notes_en: "Population, households, elderly and infants (estimates) of every community and of each township, county, city and the whole; cells under 10 people and their complements withheld (marked x), so that no difference of two regions reveals one.",
        tags: &["communities", "population", "社区", "人口", "indicators"],
        frequency: "IRREG",
        frequency_zh: "不定期",
        temporal_zh: "当前登记",
        temporal_en: "as registered now",
        points: true,
    },
    Dataset {
        id: "indicators",
        title_zh: "规划指标评估结果",
        title_en: "Planning indicators: assessment results",
        notes_zh: "最近一次评估的各项2025年目标指标，按区域与层级：值、目标、是否达标、差距；覆盖人口少于10人的区域不公开值。",
        notes_en: "The 2025-target indicators of the latest assessment by region and level: value, target, met, gap; no value for a region of fewer than 10 people.",
        tags: &["indicators", "assessment", "指标", "评估"],
        frequency: "IRREG",
        frequency_zh: "每次评估后",
        temporal_zh: "最近一次评估",
        temporal_en: "the latest assessment",
        points: false,
    },
    Dataset {
        id: "assessment-communities",
        title_zh: "社区评估结果（未达标要求）",
        title_en: "Assessment results by community",
        notes_zh: "最近一次评估中每个社区未达标的配建要求。",
        notes_en: "The requirements each community does not meet in the latest assessment.",
        tags: &["assessment", "communities", "评估", "短板"],
        frequency: "IRREG",
        frequency_zh: "每次评估后",
        temporal_zh: "最近一次评估",
        temporal_en: "the latest assessment",
        points: false,
    },
    Dataset {
        id: "spot-check-results",
        title_zh: "双随机抽查结果",
        title_en: "Spot-check results (双随机一公开)",
        notes_zh: "已公开的双随机抽查结果：抽查事项、对象、检查日期、结果与整改。",
        notes_en: "The published results of random spot checks: check items, object, date, outcome and rectification.",
        tags: &["inspections", "spot checks", "双随机", "抽查"],
        frequency: "IRREG",
        frequency_zh: "每次公开后",
        temporal_zh: "全部已公开抽查",
        temporal_en: "every published spot check",
        points: false,
    },
    Dataset {
        id: "penalties",
        title_zh: "行政处罚（公示期内）",
        title_en: "Administrative penalties within their publicity period",
        notes_zh: "公示期内的行政处罚，双公示公开字段（不含法定代表人）；公示截止期后或信用修复后不再出现。",
        notes_en: "Administrative penalties within their publicity period, the 双公示 public fields (no legal representative); gone after the publicity ends or a credit repair.",
        tags: &["credit", "penalties", "双公示", "行政处罚"],
        frequency: "DAILY",
        frequency_zh: "每日",
        temporal_zh: "今日公示",
        temporal_en: "public today",
        points: false,
    },
];

/// The download formats: (extension, CKAN format, media type).
pub const FORMATS: &[(&str, &str, &str)] = &[
    ("csv", "CSV", "text/csv"),
    ("geojson", "GeoJSON", "application/geo+json"),
    (
        "xlsx",
        "XLSX",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
];

/// A dataset by id.
pub fn dataset(id: &str) -> Option<&'static Dataset> {
    DATASETS.iter().find(|d| d.id == id)
}

/// A dataset's columns.
pub fn columns(d: &Dataset) -> Vec<Column> {
    match d.id {
        "outlets" => tables::OUTLET_COLUMNS.to_vec(),
        "ratings" => tables::RATING_COLUMNS.to_vec(),
        "communities" => tables::COMMUNITY_COLUMNS.to_vec(),
        "indicators" => tables::INDICATOR_COLUMNS.to_vec(),
        "assessment-communities" => tables::ASSESSMENT_COLUMNS.to_vec(),
        "spot-check-results" => tables::spot_check_columns(),
        _ => tables::penalty_columns(),
    }
}

/// The policy in force (the default: counts below 10 withheld).
pub fn policy() -> Policy {
    Policy::default()
}

/// A dataset's rows.
pub async fn pages(st: Arc<AppState>, d: &Dataset) -> ApiResult<Pages> {
    let p = policy();
    match d.id {
        "outlets" => Ok(tables::outlets(st)),
        "ratings" => tables::ratings(st, p).await,
        "communities" => tables::communities(st, p).await,
        "indicators" => tables::indicators(st, p).await,
        "assessment-communities" => tables::assessment(st).await,
        "spot-check-results" => tables::spot_checks(st).await,
        _ => tables::penalties(st).await,
    }
}

/// The server's own address as clients see it (`Host`, and `X-Forwarded-Proto` behind a proxy).
fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        })
        .unwrap_or("localhost");
    let proto = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .filter(|p| *p == "http" || *p == "https")
        // The server itself speaks plain HTTP; TLS is a proxy's, which says so.
        .unwrap_or("http");
    format!("{proto}://{host}")
}

/// Now as CKAN writes times (ISO 8601, UTC, no zone).
fn now_iso(st: &AppState) -> String {
    jiff::Timestamp::from_millisecond(st.clock.now_ms())
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%S%.6f").to_string())
        .unwrap_or_default()
}

/// The CKAN resource dicts of a dataset.
fn resources(d: &Dataset, base: &str, now: &str) -> Vec<Value> {
    FORMATS
        .iter()
        .enumerate()
        .filter(|(_, (ext, ..))| *ext != "geojson" || d.points)
        .map(|(i, (ext, format, mime))| {
            json!({
                "id": format!("{}-{ext}", d.id),
                "package_id": d.id,
                "name": format!("{} ({format})", d.title_zh),
                "description": format!("{} — {format}", d.title_en),
                "format": format,
                "mimetype": mime,
                "url": format!("{base}/api/open/datasets/{}.{ext}", d.id),
                "url_type": Value::Null,
                "position": i,
                "state": "active",
                "created": now,
                "last_modified": now,
            })
        })
        .collect()
}

/// The CKAN package dict of a dataset.
fn package(d: &Dataset, base: &str, now: &str) -> Value {
    let res = resources(d, base, now);
    let fields: Vec<Value> = columns(d)
        .iter()
        .map(|c| {
            json!({
                "id": c.name,
                "type": match c.kind {
                    tables::Kind::Text => "text",
                    tables::Kind::People => "int",
                    _ => "numeric",
                },
                "info": {
                    "label_zh": c.zh,
                    "label_en": c.en,
                    // 公开类型 of every field.
                    "publicity": "无条件开放 open to all",
                    "person_count": c.kind == tables::Kind::People,
                },
            })
        })
        .collect();
    json!({
        "id": d.id,
        "name": d.id,
        "title": format!("{} {}", d.title_zh, d.title_en),
        "title_translated": {"zh": d.title_zh, "en": d.title_en},
        "notes": format!("{}\n\n{}", d.notes_zh, d.notes_en),
        "notes_translated": {"zh": d.notes_zh, "en": d.notes_en},
        "type": "dataset",
        "state": "active",
        "private": false,
        "license_id": LICENSE_ID,
        "license_title": LICENSE_TITLE,
        "license_url": LICENSE_URL,
        "isopen": true,
        "author": PUBLISHER_ZH,
        "maintainer": PUBLISHER_EN,
        "organization": {"name": ORGANIZATION, "title": format!("{PUBLISHER_ZH} {PUBLISHER_EN}"), "type": "organization", "is_organization": true, "state": "active"},
        "owner_org": ORGANIZATION,
        "metadata_created": now,
        "metadata_modified": now,
        "tags": d.tags.iter().map(|t| json!({"name": t, "display_name": t, "state": "active"})).collect::<Vec<_>>(),
        "num_tags": d.tags.len(),
        "resources": res,
        "num_resources": res.len(),
        "extras": [
            {"key": "frequency", "value": format!("http://publications.europa.eu/resource/authority/frequency/{}", d.frequency)},
            {"key": "frequency_zh", "value": d.frequency_zh},
            {"key": "temporal", "value": format!("{} {}", d.temporal_zh, d.temporal_en)},
            {"key": "publicity", "value": "无条件开放"},
            {"key": "disclosure_policy", "value": format!("counts of people below {} withheld, with complements (x)", policy().threshold)},
        ],
        "fields": fields,
    })
}

// --- The CKAN action API ------------------------------------------------------------------------

/// The documentation of an action (CKAN's `help`).
fn help(action: &str) -> String {
    format!("https://docs.ckan.org/en/2.11/api/index.html#ckan.logic.action.get.{action}")
}

fn ok(action: &str, result: Value) -> Response {
    Json(json!({"help": help(action), "success": true, "result": result})).into_response()
}

/// A CKAN error: 404 `Not Found Error`, 409 `Validation Error`, 400 for a body that is not a
/// JSON object.
fn ckan_error(action: &str, status: StatusCode, error: Value) -> Response {
    (
        status,
        Json(json!({"help": help(action), "success": false, "error": error})),
    )
        .into_response()
}

fn not_found(action: &str) -> Response {
    ckan_error(
        action,
        StatusCode::NOT_FOUND,
        json!({"__type": "Not Found Error", "message": "Not found"}),
    )
}

fn invalid(action: &str, field: &str, message: &str) -> Response {
    ckan_error(
        action,
        StatusCode::CONFLICT,
        json!({"__type": "Validation Error", field: [message]}),
    )
}

/// The parameters: the query string (GET) or the JSON object body (POST).
type Params = Map<String, Value>;

fn query_params(q: Vec<(String, String)>) -> Params {
    q.into_iter().map(|(k, v)| (k, Value::String(v))).collect()
}

#[allow(clippy::result_large_err)] // the CKAN error answer, built once per request
fn body_params(action: &str, body: &Bytes) -> Result<Params, Response> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(ckan_error(
            action,
            StatusCode::BAD_REQUEST,
            json!({"__type": "Bad Request", "message": "Bad request - JSON Error: the body must be a JSON object"}),
        )),
    }
}

fn text(p: &Params, k: &str) -> Option<String> {
    match p.get(k) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// A natural number parameter (CKAN: `Invalid integer`, `Must be a natural number`).
#[allow(clippy::result_large_err)] // the CKAN error answer, built once per request
fn natural(action: &str, p: &Params, k: &str) -> Result<Option<u64>, Response> {
    let Some(v) = p.get(k).filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let n: Option<i64> = match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) if s.trim().is_empty() => return Ok(None),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    match n {
        None => Err(invalid(action, k, "Invalid integer")),
        Some(n) if n < 0 => Err(invalid(action, k, "Must be a natural number")),
        Some(n) => Ok(Some(n as u64)),
    }
}

/// Every integer parameter of [`ActionParams`] must be a natural number that fits, whichever
/// action reads it: a value the action ignores is refused (409) as one it reads would be, so
/// that what the API documents is what it accepts.
#[allow(clippy::result_large_err)] // the CKAN error answer, built once per request
fn check_integers(action: &str, p: &Params) -> Result<(), Response> {
    for k in ["rows", "start", "limit", "offset"] {
        natural(action, p, k)?;
    }
    Ok(())
}

/// `package_search`'s `rows` default and its cap (`ckan.search.rows_max`).
pub const ROWS_DEFAULT: u64 = 10;
pub const ROWS_MAX: u64 = 1000;

fn do_package_list(p: &Params) -> Response {
    let action = "package_list";
    let (limit, offset) = match (natural(action, p, "limit"), natural(action, p, "offset")) {
        (Ok(l), Ok(o)) => (l, o.unwrap_or(0) as usize),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    let names: Vec<&str> = DATASETS
        .iter()
        .map(|d| d.id)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .skip(offset)
        .take(limit.map_or(usize::MAX, |l| l as usize))
        .collect();
    ok(action, json!(names))
}

fn do_package_show(st: &AppState, headers: &HeaderMap, p: &Params) -> Response {
    let action = "package_show";
    let Some(id) = text(p, "id").or_else(|| text(p, "name_or_id")) else {
        return invalid(action, "name_or_id", "Missing value");
    };
    match dataset(&id) {
        Some(d) => ok(action, package(d, &base_url(headers), &now_iso(st))),
        None => not_found(action),
    }
}

fn do_resource_show(st: &AppState, headers: &HeaderMap, p: &Params) -> Response {
    let action = "resource_show";
    let Some(id) = text(p, "id") else {
        return invalid(action, "id", "Missing value");
    };
    let base = base_url(headers);
    let now = now_iso(st);
    DATASETS
        .iter()
        .flat_map(|d| resources(d, &base, &now))
        .find(|r| r["id"] == json!(id))
        .map_or_else(|| not_found(action), |r| ok(action, r))
}

/// One `field:value` condition of `q` or `fq`.
fn matches_field(d: &Dataset, field: &str, value: &str) -> Option<bool> {
    let v = value.trim_matches('"').to_lowercase();
    let eq = |s: &str| s.to_lowercase() == v;
    Some(match field {
        "name" | "id" => eq(d.id),
        "tags" => d.tags.iter().any(|t| eq(t)),
        "res_format" => FORMATS
            .iter()
            .any(|(ext, f, _)| eq(f) && (*ext != "geojson" || d.points)),
        "license_id" => eq(LICENSE_ID),
        "organization" | "owner_org" => eq(ORGANIZATION),
        "dataset_type" | "type" => eq("dataset"),
        "state" => eq("active"),
        "capacity" => eq("public"),
        "frequency" => eq(d.frequency),
        _ => return None,
    })
}

/// The words a dataset is searched by.
fn haystack(d: &Dataset) -> String {
    format!(
        "{} {} {} {} {} {}",
        d.id,
        d.title_zh,
        d.title_en,
        d.notes_zh,
        d.notes_en,
        d.tags.join(" ")
    )
    .to_lowercase()
}

/// Splits a query into terms, keeping `"quoted phrases"` whole.
fn terms(q: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for ch in q.chars() {
        match ch {
            '"' => {
                quoted = !quoted;
                cur.push(ch);
            }
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// A search's score of a dataset: `None` if a term does not match; otherwise the number of
/// times the free words occur (relevance).
fn score(d: &Dataset, q: &[String], fq: &[String]) -> Result<Option<usize>, String> {
    let hay = haystack(d);
    let mut score = 0;
    for t in q.iter().chain(fq) {
        let t = t.trim_start_matches('+');
        if t == "*:*" || t.is_empty() || t.eq_ignore_ascii_case("AND") {
            continue;
        }
        if let Some((field, value)) = t.split_once(':') {
            match matches_field(d, field, value) {
                Some(true) => continue,
                Some(false) => return Ok(None),
                None => return Err(format!("unsupported field '{field}' (docs/open-data.md)")),
            }
        }
        let w = t.trim_matches('"').to_lowercase();
        let n = hay.matches(w.as_str()).count();
        if n == 0 {
            return Ok(None);
        }
        score += n;
    }
    Ok(Some(score))
}

/// The facet fields `package_search` counts.
const FACETS: &[&str] = &[
    "tags",
    "res_format",
    "license_id",
    "organization",
    "frequency",
];

fn facet_values(d: &Dataset, field: &str) -> Vec<String> {
    match field {
        "tags" => d.tags.iter().map(|t| t.to_string()).collect(),
        "res_format" => FORMATS
            .iter()
            .filter(|(ext, ..)| *ext != "geojson" || d.points)
            .map(|(_, f, _)| f.to_string())
            .collect(),
        "license_id" => vec![LICENSE_ID.into()],
        "organization" => vec![ORGANIZATION.into()],
        "frequency" => vec![d.frequency.into()],
        _ => vec![],
    }
}

/// A search's answer before the packages are rendered.
pub struct Search<'a> {
    pub count: usize,
    pub sort: String,
    /// The page (`start`, `rows`).
    pub page: Vec<&'a Dataset>,
    pub facets: Map<String, Value>,
    pub search_facets: Map<String, Value>,
}

/// `package_search` over a catalogue (pure: the tests run it on catalogues larger than the
/// platform's, to see `rows`' default and cap).
#[allow(clippy::result_large_err)] // the CKAN error answer, built once per request
pub fn search<'a>(catalogue: &'a [Dataset], p: &Params) -> Result<Search<'a>, Response> {
    let action = "package_search";
    let rows = match natural(action, p, "rows") {
        Ok(r) => r.unwrap_or(ROWS_DEFAULT).min(ROWS_MAX) as usize,
        Err(r) => return Err(r),
    };
    let start = match natural(action, p, "start") {
        Ok(s) => s.unwrap_or(0) as usize,
        Err(r) => return Err(r),
    };
    let q = terms(&text(p, "q").unwrap_or_default());
    let fq = terms(&text(p, "fq").unwrap_or_default());
    let sort = text(p, "sort")
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "score desc, metadata_modified desc".into());
    let mut hits: Vec<(usize, usize, &Dataset)> = Vec::new();
    for (i, d) in catalogue.iter().enumerate() {
        match score(d, &q, &fq) {
            Ok(Some(s)) => hits.push((s, i, d)),
            Ok(None) => {}
            Err(m) => return Err(invalid(action, "q", &m)),
        }
    }
    // Sort: the first key decides; the catalogue order breaks ties.
    let first = sort.split(',').next().unwrap_or("").trim().to_lowercase();
    match first.as_str() {
        "score desc" | "metadata_modified desc" | "metadata_modified asc" | "" => {
            hits.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)))
        }
        "name asc" => hits.sort_by(|a, b| a.2.id.cmp(b.2.id)),
        "name desc" => hits.sort_by(|a, b| b.2.id.cmp(a.2.id)),
        "title_string asc" => hits.sort_by(|a, b| a.2.title_zh.cmp(b.2.title_zh)),
        "title_string desc" => hits.sort_by(|a, b| b.2.title_zh.cmp(a.2.title_zh)),
        other => {
            return Err(invalid(
                action,
                "sort",
                &format!(
                    "unsupported sort '{other}' (score, name, title_string, metadata_modified)"
                ),
            ))
        }
    }
    // facet.field: a JSON list (text in a query string, a list in a body).
    let facet_fields: Vec<String> = match p.get("facet.field") {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect(),
        Some(Value::String(s)) => match serde_json::from_str::<Vec<String>>(s) {
            Ok(v) => v,
            Err(_) => return Err(invalid(action, "facet.field", "Invalid JSON list")),
        },
        Some(_) => return Err(invalid(action, "facet.field", "Invalid JSON list")),
    };
    let facet_limit = match natural(action, p, "facet.limit") {
        Ok(l) => l.unwrap_or(50) as usize,
        Err(r) => return Err(r),
    };
    let mut facets = Map::new();
    let mut search_facets = Map::new();
    for f in &facet_fields {
        if !FACETS.contains(&f.as_str()) {
            return Err(invalid(
                action,
                "facet.field",
                &format!("unsupported facet '{f}'"),
            ));
        }
        let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
        for (_, _, d) in &hits {
            for v in facet_values(d, f) {
                *counts.entry(v).or_default() += 1;
            }
        }
        let mut items: Vec<(String, usize)> = counts.into_iter().collect();
        items.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        items.truncate(facet_limit);
        facets.insert(
            f.clone(),
            Value::Object(items.iter().map(|(k, n)| (k.clone(), json!(n))).collect()),
        );
        search_facets.insert(
            f.clone(),
            json!({"title": f, "items": items.iter().map(|(k, n)| json!({"name": k, "display_name": k, "count": n})).collect::<Vec<_>>()}),
        );
    }
    Ok(Search {
        count: hits.len(),
        sort,
        page: hits.iter().skip(start).take(rows).map(|h| h.2).collect(),
        facets,
        search_facets,
    })
}

fn do_package_search(st: &AppState, headers: &HeaderMap, p: &Params) -> Response {
    let s = match search(DATASETS, p) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let base = base_url(headers);
    let now = now_iso(st);
    let results: Vec<Value> = s.page.iter().map(|d| package(d, &base, &now)).collect();
    ok(
        "package_search",
        json!({
            "count": s.count,
            "sort": s.sort,
            "results": results,
            "facets": s.facets,
            "search_facets": s.search_facets,
        }),
    )
}

type QueryPairs = Query<Vec<(String, String)>>;

/// The query parameters of the actions (each action reads its own; the same names in a POST
/// body).
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documents the parameters; the handlers read them as pairs
pub struct ActionParams {
    /// package_show, resource_show: the dataset's name or the resource's id.
    pub id: Option<String>,
    /// package_search: words or `field:value` (docs/open-data.md).
    pub q: Option<String>,
    /// package_search: `field:value` conditions.
    pub fq: Option<String>,
    /// package_search: results per page (default 10, at most 1000).
    pub rows: Option<i64>,
    /// package_search: the first result (offset).
    pub start: Option<i64>,
    /// package_search: `score desc`, `name asc|desc`, `title_string asc|desc`.
    pub sort: Option<String>,
    /// package_search: a JSON list of facet fields.
    #[serde(rename = "facet.field")]
    pub facet_field: Option<String>,
    /// package_list: at most this many names.
    pub limit: Option<i64>,
    /// package_list: skip this many names.
    pub offset: Option<i64>,
}

macro_rules! ckan_handlers {
    ($get:ident, $post:ident, $action:literal, $path:literal, |$st:ident, $h:ident, $p:ident| $body:expr) => {
        #[doc = concat!("GET ", $path, " (CKAN `", $action, "`).")]
        #[utoipa::path(get, path = $path, tag = "open-data", params(ActionParams),
            responses((status = 200, description = "CKAN envelope {help, success, result}", content((Object = "application/json"))),
                      (status = 404, description = "CKAN error (Not Found Error)", content((Object = "application/json"))),
                      (status = 409, description = "CKAN error (Validation Error)", content((Object = "application/json"))),
                      (status = "default", body = crate::error::ErrorSchema)))]
        pub async fn $get(State($st): State<Arc<AppState>>, $h: HeaderMap, Query(q): QueryPairs) -> Response {
            let $p = query_params(q);
            if let Err(r) = check_integers($action, &$p) {
                return r;
            }
            let $st = &*$st;
            $body
        }
        #[doc = concat!("POST ", $path, " (CKAN `", $action, "`, JSON body).")]
        #[utoipa::path(post, path = $path, tag = "open-data", request_body(content = Option<Object>, content_type = "application/json"),
            responses((status = 200, description = "CKAN envelope {help, success, result}", content((Object = "application/json"))),
                      (status = 400, description = "CKAN error: the body is not a JSON object", content((Object = "application/json"))),
                      (status = 404, description = "CKAN error (Not Found Error)", content((Object = "application/json"))),
                      (status = 409, description = "CKAN error (Validation Error)", content((Object = "application/json"))),
                      (status = "default", body = crate::error::ErrorSchema)))]
        pub async fn $post(State($st): State<Arc<AppState>>, $h: HeaderMap, body: Bytes) -> Response {
            let $p = match body_params($action, &body) {
                Ok(p) => p,
                Err(r) => return r,
            };
            if let Err(r) = check_integers($action, &$p) {
                return r;
            }
            let $st = &*$st;
            $body
        }
    };
}

ckan_handlers!(
    package_list_get,
    package_list_post,
    "package_list",
    "/api/3/action/package_list",
    |st, h, p| {
        let _ = (st, &h);
        do_package_list(&p)
    }
);
ckan_handlers!(
    package_show_get,
    package_show_post,
    "package_show",
    "/api/3/action/package_show",
    |st, h, p| do_package_show(st, &h, &p)
);
ckan_handlers!(
    package_search_get,
    package_search_post,
    "package_search",
    "/api/3/action/package_search",
    |st, h, p| do_package_search(st, &h, &p)
);
ckan_handlers!(
    resource_show_get,
    resource_show_post,
    "resource_show",
    "/api/3/action/resource_show",
    |st, h, p| do_resource_show(st, &h, &p)
);

// --- DCAT-AP 3 ---------------------------------------------------------------------------------

fn lang(zh: &str, en: &str) -> Value {
    json!([{"@value": zh, "@language": "zh"}, {"@value": en, "@language": "en"}])
}

fn publisher(base: &str) -> Value {
    json!({
        "@id": format!("{base}/api/open/catalog.jsonld#publisher"),
        "@type": "foaf:Agent",
        "foaf:name": lang(PUBLISHER_ZH, PUBLISHER_EN),
    })
}

const CONTEXT: &str = r#"{"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/", "foaf": "http://xmlns.com/foaf/0.1/", "xsd": "http://www.w3.org/2001/XMLSchema#", "vcard": "http://www.w3.org/2006/vcard/ns#"}"#;

/// A dataset in DCAT-AP 3 (dcat:Dataset with its dcat:Distributions).
fn dcat_dataset(d: &Dataset, base: &str, today: &str) -> Value {
    let distributions: Vec<Value> = FORMATS
        .iter()
        .filter(|(ext, ..)| *ext != "geojson" || d.points)
        .map(|(ext, format, mime)| {
            let url = format!("{base}/api/open/datasets/{}.{ext}", d.id);
            let file_type = match *ext {
                "csv" => "CSV",
                "geojson" => "GEOJSON",
                _ => "XLSX",
            };
            json!({
                "@id": format!("{url}#distribution"),
                "@type": "dcat:Distribution",
                "dct:title": lang(&format!("{}（{format}）", d.title_zh), &format!("{} ({format})", d.title_en)),
                "dcat:accessURL": {"@id": url},
                "dcat:downloadURL": {"@id": url},
                "dcat:mediaType": {"@id": format!("https://www.iana.org/assignments/media-types/{mime}")},
                "dct:format": {"@id": format!("http://publications.europa.eu/resource/authority/file-type/{file_type}")},
                "dct:license": {"@id": LICENSE_URL},
                "dct:modified": {"@value": today, "@type": "xsd:date"},
            })
        })
        .collect();
    json!({
        "@id": format!("{base}/api/open/datasets/{}.jsonld", d.id),
        "@type": "dcat:Dataset",
        "dct:identifier": d.id,
        "dct:title": lang(d.title_zh, d.title_en),
        "dct:description": lang(d.notes_zh, d.notes_en),
        "dcat:keyword": d.tags,
        "dct:publisher": publisher(base),
        "dct:license": {"@id": LICENSE_URL},
        "dct:accessRights": {"@id": "http://publications.europa.eu/resource/authority/access-right/PUBLIC"},
        "dct:accrualPeriodicity": {"@id": format!("http://publications.europa.eu/resource/authority/frequency/{}", d.frequency)},
        "dct:temporal": {"@type": "dct:PeriodOfTime", "dct:description": lang(d.temporal_zh, d.temporal_en)},
        "dct:spatial": {"@type": "dct:Location", "dcat:bbox": Value::Null},
        "dct:modified": {"@value": today, "@type": "xsd:date"},
        "dcat:landingPage": {"@id": format!("{base}/api/3/action/package_show?id={}", d.id)},
        "dcat:distribution": distributions,
    })
}

fn jsonld(v: Value) -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/ld+json")],
        v.to_string(),
    )
        .into_response()
}

/// GET /api/open/catalog.jsonld.
#[utoipa::path(get, path = "/api/open/catalog.jsonld", tag = "open-data",
    responses((status = 200, description = "DCAT-AP 3 JSON-LD: dcat:Catalog with every dcat:Dataset and dcat:Distribution", content((Object = "application/ld+json"))),
              (status = "default", body = crate::error::ErrorSchema)))]
pub async fn catalog_jsonld(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let base = base_url(&headers);
    let today = crate::web::today(&st)?.to_string();
    let context: Value = serde_json::from_str(CONTEXT).map_err(AppError::internal)?;
    Ok(jsonld(json!({
        "@context": context,
        "@id": format!("{base}/api/open/catalog.jsonld"),
        "@type": "dcat:Catalog",
        "dct:title": lang("生活服务开放数据目录", "Open data of the life-service platform"),
        "dct:description": lang(
            "15分钟生活圈服务平台的开放数据：网点、评价、社区人口、指标、抽查与处罚。人数小于10的单元格按披露控制规则隐去。",
            "Open data of the 15-minute living circle service platform: outlets, ratings, community population, indicators, spot checks and penalties. Counts of fewer than 10 people are withheld by the disclosure policy.",
        ),
        "dct:publisher": publisher(&base),
        "dct:license": {"@id": LICENSE_URL},
        "dct:modified": {"@value": today, "@type": "xsd:date"},
        "foaf:homepage": {"@id": format!("{base}/")},
        "dcat:dataset": DATASETS.iter().map(|d| dcat_dataset(d, &base, &today)).collect::<Vec<_>>(),
    })))
}

/// GET /api/open/datasets/{file}: `{id}.csv|geojson|xlsx|jsonld`.
#[utoipa::path(get, path = "/api/open/datasets/{file}", tag = "open-data",
    params(("file" = String, Path, description = "`{id}.csv`, `{id}.geojson`, `{id}.xlsx` or `{id}.jsonld`")),
    responses((status = 200, description = "The dataset (CSV, GeoJSON, XLSX; suppressed cells `x`, or null with the feature's `suppressed` list) or its DCAT-AP JSON-LD",
                content((String = "text/csv"), (Object = "application/geo+json"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (Object = "application/ld+json"))),
              (status = "default", body = crate::error::ErrorSchema)))]
pub async fn dataset_file(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> ApiResult<Response> {
    let (id, ext) = file
        .rsplit_once('.')
        .ok_or_else(|| AppError::not_found("dataset", &file))?;
    let d = dataset(id).ok_or_else(|| AppError::not_found("dataset", id))?;
    let today = crate::web::today(&st)?;
    let name = format!("{}-{today}.{ext}", d.id);
    match ext {
        "jsonld" => {
            let base = base_url(&headers);
            let mut v = dcat_dataset(d, &base, &today.to_string());
            let context: Value = serde_json::from_str(CONTEXT).map_err(AppError::internal)?;
            v["@context"] = context;
            Ok(jsonld(v))
        }
        "csv" => Ok(tables::csv(columns(d), pages(st.clone(), d).await?, &name)),
        "geojson" if d.points => Ok(tables::geojson(
            columns(d),
            pages(st.clone(), d).await?,
            &name,
        )),
        "xlsx" => tables::xlsx(columns(d), pages(st.clone(), d).await?, d.id, &name).await,
        _ => Err(AppError::not_found("dataset file", &file)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_terms_keep_quoted_phrases() {
        assert_eq!(
            terms(r#"outlets  tags:"网点" +res_format:CSV"#),
            vec!["outlets", "tags:\"网点\"", "+res_format:CSV"]
        );
    }

    #[test]
    fn search_matches_words_and_fields() {
        let outlets = dataset("outlets").unwrap();
        let penalties = dataset("penalties").unwrap();
        let t = |s: &str| terms(s);
        assert!(score(outlets, &t("outlets"), &[]).unwrap().is_some());
        assert!(score(penalties, &t("outlets"), &[]).unwrap().is_none());
        assert!(score(outlets, &t("网点"), &[]).unwrap().is_some());
        assert!(score(outlets, &t("*:*"), &t("res_format:GeoJSON"))
            .unwrap()
            .is_some());
        assert!(score(penalties, &t("*:*"), &t("res_format:GeoJSON"))
            .unwrap()
            .is_none());
        assert!(score(outlets, &[], &t("colour:red")).is_err());
    }

    /// A catalogue of `n` datasets named `d0000`, `d0001`, … (every one tagged `many`).
    fn catalogue(n: usize) -> Vec<Dataset> {
        (0..n)
            .map(|i| Dataset {
                id: Box::leak(format!("d{i:04}").into_boxed_str()),
                tags: &["many"],
                ..DATASETS[0]
            })
            .collect()
    }

    fn params(v: Value) -> Params {
        v.as_object().unwrap().clone()
    }

    fn ids(s: &Search) -> Vec<&'static str> {
        s.page.iter().map(|d| d.id).collect()
    }

    #[test]
    fn rows_default_to_ten_and_are_capped_at_a_thousand() {
        let c = catalogue(1205);
        let s = search(&c, &Map::new()).ok().unwrap();
        assert_eq!((s.count, s.page.len()), (1205, 10));
        assert_eq!(ids(&s)[0], "d0000");
        let s = search(&c, &params(json!({"rows": "5000"}))).ok().unwrap();
        assert_eq!(s.page.len(), 1000);
        let s = search(&c, &params(json!({"rows": 1000, "start": 1000})))
            .ok()
            .unwrap();
        assert_eq!((s.page.len(), ids(&s)[0]), (205, "d1000"));
        let s = search(&c, &params(json!({"rows": 0}))).ok().unwrap();
        assert_eq!((s.count, s.page.len()), (1205, 0));
        let s = search(
            &c,
            &params(json!({"rows": 3, "start": 3, "sort": "name desc"})),
        )
        .ok()
        .unwrap();
        assert_eq!(ids(&s), vec!["d1201", "d1200", "d1199"]);
        for bad in [
            json!({"rows": -1}),
            json!({"rows": "ten"}),
            json!({"start": "-2"}),
        ] {
            let r = search(&c, &params(bad.clone())).err().unwrap();
            assert_eq!(r.status(), StatusCode::CONFLICT, "{bad}");
        }
    }

    #[test]
    fn every_dataset_has_a_distinct_id_and_columns() {
        let ids: std::collections::BTreeSet<_> = DATASETS.iter().map(|d| d.id).collect();
        assert_eq!(ids.len(), DATASETS.len());
        for d in DATASETS {
            assert!(!columns(d).is_empty(), "{}", d.id);
            let points = columns(d).iter().any(|c| c.kind == tables::Kind::Lon);
            assert_eq!(points, d.points, "{}", d.id);
        }
    }
}
