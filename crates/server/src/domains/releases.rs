//! 统计发布 Statistical releases (issue 16 item 3): quarterly and annual releases of a province,
//! city or district, made from the monthly job's series (`indicator_series`, source
//! `platform`) by `lc_report::release`, archived in `releases` (migration 0017) with the input
//! they were made from (JSON and its SHA-256), the typed document, the HTML page and the PDF.
//!
//! *Once*: the unique index on (division code, period, kind) is the rule. A release is made in
//! one write transaction — the input read, the document built and rendered, the row inserted —
//! so an administrator's `POST /api/releases` and `serve`'s hourly sweep ([`make_due`]) cannot
//! both store one: the second finds the row (or fails on the index) and answers 409
//! `release_exists`. A stored release is never changed.
//!
//! *Who*: administrators make releases (as they run the monthly job); the list, the documents
//! and the rendered files are public (their figures passed the disclosure policy). The input
//! holds the unsuppressed monthly values of the sub-regions, so `GET /api/releases/{id}/data`
//! is for regulators and administrators only.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use lc_registry::{Access, Role};
use lc_report::release::{
    self as rel, MonthValue, Period, Region, ReleaseError, ReleaseInput, TargetInfo,
};
use lc_services::monitor::{self, INDICATORS};
use lc_services::time::{local_date, YearMonth};
use lc_store::sqlx::{self, AnyConnection};
use lc_store::{from_row, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::auth::Caller;
use crate::endpoints::{ep, Endpoint, JSON, STAFF_WRITE};
use crate::error::{ApiResult, AppError};
use crate::web::optional_json_body;
use crate::AppState;

const ADMIN: Access = Access::Roles(&[Role::Admin]);
const HTML: &str = "text/html";
const PDF: &str = "application/pdf";

/// The endpoints of this domain.
pub const ENDPOINTS: &[Endpoint] = &[
    ep!(
        "POST",
        "/api/releases",
        ADMIN,
        "",
        "releases",
        "Make and archive the statistical release of a province, city or district for a quarter or year ({region, period: 2026Q3 | 2026}); once per region, period and kind (409 release_exists).",
        Some(JSON),
        JSON
    ),
    ep!(
        "GET",
        "/api/releases",
        Access::Public,
        "",
        "releases",
        "The archived statistical releases, newest first (?region=&period=&kind=quarterly|annual).",
        None,
        JSON
    ),
    ep!(
        "GET",
        "/api/releases/{id}",
        Access::Public,
        "",
        "releases",
        "A release's metadata and its document (headline figures, trends against the 2025 targets, the table by sub-region with suppressed cells, methods and notes).",
        None,
        JSON
    ),
    ep!(
        "GET",
        "/api/releases/{id}/release.html",
        Access::Public,
        "",
        "releases",
        "The release as one self-contained HTML page.",
        None,
        HTML
    ),
    ep!(
        "GET",
        "/api/releases/{id}/release.pdf",
        Access::Public,
        "",
        "releases",
        "The release as a PDF (CJK font embedded, charts as vector graphics).",
        None,
        PDF
    ),
    ep!(
        "GET",
        "/api/releases/{id}/data",
        STAFF_WRITE,
        "",
        "releases",
        "The data the release was made from (the sub-regions' monthly values before suppression, names, targets, policy), as archived with its SHA-256.",
        None,
        JSON
    ),
];

/// The routes of this domain.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/releases", post(create).get(list))
        .route("/api/releases/{id}", get(read))
        .route("/api/releases/{id}/release.html", get(download_html))
        .route("/api/releases/{id}/release.pdf", get(download_pdf))
        .route("/api/releases/{id}/data", get(data))
}

/// A stored release without its large columns, as listed and answered.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = StatisticalRelease)]
pub struct ReleaseRow {
    pub id: i64,
    pub division_code: String,
    pub region_name: String,
    /// `province`, `city` or `district`.
    pub level: String,
    /// `2026Q3` or `2026`.
    pub period: String,
    /// `quarterly` or `annual`.
    pub kind: String,
    pub title_zh: String,
    pub title_en: String,
    /// The day it was made (Asia/Shanghai).
    pub made_on: String,
    /// `sweep` (the scheduled job), `api` or `cli`.
    pub made_by: String,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub input_sha256: String,
    pub html_sha256: String,
    pub pdf_sha256: String,
}
from_row!(ReleaseRow {
    id,
    division_code,
    region_name,
    level,
    period,
    kind,
    title_zh,
    title_en,
    made_on,
    made_by,
    created_by,
    created_at,
    input_sha256,
    html_sha256,
    pdf_sha256
});

const COLUMNS: &str = "id, division_code, region_name, level, period, kind, title_zh, title_en, made_on, made_by, created_by, created_at, input_sha256, html_sha256, pdf_sha256";

fn sha256(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

fn release_error(e: ReleaseError) -> AppError {
    let (zh, en) = e
        .to_string()
        .split_once(" / ")
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .unwrap_or_else(|| (e.to_string(), e.to_string()));
    match e {
        ReleaseError::Period(_) => AppError::field("period", "invalid_period", zh, en),
        ReleaseError::Region(_) => AppError::field("region", "invalid_release_region", zh, en),
        ReleaseError::NoData { .. } => {
            AppError::new(StatusCode::CONFLICT, "no_release_data", zh, en)
        }
    }
}

fn exists(code: &str, period: Period) -> AppError {
    AppError::new(
        StatusCode::CONFLICT,
        "release_exists",
        format!(
            "{code} 的 {} 统计发布已存在（每个区域、期间只发布一次）",
            period.label_zh()
        ),
        format!(
            "the {} release of {code} for {period} exists (one per region and period)",
            period.kind()
        ),
    )
}

/// A month of one indicator in one division: `(division_code, indicator, period, numerator,
/// denominator)`.
type SeriesRow = (String, String, String, Option<f64>, Option<f64>);

/// Reads what a release of `code` for `period` is made from: the region's and its
/// sub-regions' monthly values of the whole of every platform indicator, from the first month
/// of the trend's first period to the period's last, their names and the 2025 targets.
pub async fn read_input(
    conn: &mut AnyConnection,
    code: &str,
    period: Period,
    made_on: &str,
) -> ApiResult<ReleaseInput> {
    let level = monitor::level_of(code)
        .filter(|l| ["province", "city", "district"].contains(l))
        .ok_or_else(|| release_error(ReleaseError::Region(code.to_string())))?;
    let sub_level = match level {
        "province" => "city",
        "city" => "district",
        _ => "street",
    };
    let shown = match period {
        Period::Quarter { .. } => rel::QUARTERS_SHOWN,
        Period::Year(_) => rel::YEARS_SHOWN,
    };
    let mut first = period;
    for _ in 1..shown {
        first = first.previous();
    }
    let from = first.months()[0].clone();
    let to = period.months().last().cloned().unwrap_or_default();
    let rows: Vec<SeriesRow> = sqlx::query_as(
        "SELECT division_code, indicator, period, numerator, denominator FROM indicator_series WHERE source = 'platform' AND dimension = '' AND (division_code = $1 OR (level = $2 AND division_code LIKE $3)) AND period >= $4 AND period <= $5 ORDER BY division_code, indicator, period",
    )
    .bind(code.to_string())
    .bind(sub_level.to_string())
    .bind(format!("{code}%"))
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    let values = rows
        .into_iter()
        .map(
            |(division, indicator, month, numerator, denominator)| MonthValue {
                division,
                indicator,
                month,
                numerator,
                denominator,
            },
        )
        .collect();
    let name: Option<String> = sqlx::query_scalar("SELECT name FROM divisions WHERE code = $1")
        .bind(code.to_string())
        .fetch_optional(&mut *conn)
        .await
        .map_err(StoreError::from)?;
    let names: Vec<(String, String)> =
        sqlx::query_as("SELECT code, name FROM divisions WHERE parent_code = $1 ORDER BY code")
            .bind(code.to_string())
            .fetch_all(&mut *conn)
            .await
            .map_err(StoreError::from)?;
    let targets = INDICATORS
        .iter()
        .filter_map(|i| {
            let t = super::monitoring::target_for(i.target?, code)?;
            Some(TargetInfo {
                indicator: i.key.to_string(),
                plan: t["plan"].as_str()?.to_string(),
                plan_indicator: t["indicator"].as_str()?.to_string(),
                year: t["year"].as_i64()? as i32,
                comparison: t["comparison"].as_str()?.to_string(),
                threshold: t["threshold"].as_f64()?,
            })
        })
        .collect();
    let policy = lc_disclosure::Policy::default();
    Ok(ReleaseInput {
        region: Region {
            code: code.to_string(),
            name: name.unwrap_or_else(|| code.to_string()),
        },
        period,
        names: names
            .into_iter()
            .map(|(code, name)| Region { code, name })
            .collect(),
        values,
        targets,
        threshold: policy.threshold,
        suppress_zeros: policy.suppress_zeros,
        made_on: made_on.to_string(),
    })
}

/// A release made from its input: the document and the rendered files.
pub struct Rendered {
    pub input_json: String,
    pub document: rel::Release,
    pub document_json: String,
    pub html: String,
    pub pdf: Vec<u8>,
}

/// Builds and renders a release (CPU only: call it on a blocking thread from async code).
pub fn render(input: &ReleaseInput) -> ApiResult<Rendered> {
    let document = rel::make(input).map_err(release_error)?;
    let html = rel::release_html(&document);
    let pdf = rel::release_pdf(&document).map_err(AppError::internal)?;
    Ok(Rendered {
        input_json: serde_json::to_string(input).map_err(AppError::internal)?,
        document_json: serde_json::to_string(&document).map_err(AppError::internal)?,
        document,
        html,
        pdf,
    })
}

/// The day of `ms` in Asia/Shanghai as `YYYY-MM-DD`.
fn day(ms: i64) -> ApiResult<String> {
    Ok(local_date(ms).map_err(AppError::internal)?.to_string())
}

/// Makes, renders and archives a release (see the module documentation).
pub async fn make(
    st: &AppState,
    code: &str,
    period: Period,
    made_by: &str,
    caller: Option<&Caller>,
) -> ApiResult<ReleaseRow> {
    let now = st.clock.now_ms();
    let made_on = day(now)?;
    let mut tx = st.store.begin().await?;
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM releases WHERE division_code = $1 AND period = $2 AND kind = $3",
    )
    .bind(code.to_string())
    .bind(period.to_string())
    .bind(period.kind().to_string())
    .fetch_optional(tx.conn())
    .await
    .map_err(StoreError::from)?;
    if found.is_some() {
        return Err(exists(code, period));
    }
    let input = read_input(tx.conn(), code, period, &made_on).await?;
    let r = tokio::task::spawn_blocking(move || render(&input))
        .await
        .map_err(AppError::internal)??;
    let d = &r.document;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO releases (division_code, region_name, level, period, kind, title_zh, title_en, made_on, made_by, created_by, created_at, input_json, input_sha256, document_json, html, html_sha256, pdf, pdf_sha256) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING id",
    )
    .bind(code.to_string())
    .bind(d.region.name.clone())
    .bind(d.level.clone())
    .bind(period.to_string())
    .bind(period.kind().to_string())
    .bind(d.title_zh.clone())
    .bind(d.title_en.clone())
    .bind(made_on.clone())
    .bind(made_by.to_string())
    .bind(caller.and_then(|c| c.user.as_ref().map(|u| u.id)))
    .bind(now)
    .bind(r.input_json.clone())
    .bind(sha256(r.input_json.as_bytes()))
    .bind(r.document_json.clone())
    .bind(r.html.clone())
    .bind(sha256(r.html.as_bytes()))
    .bind(r.pdf.clone())
    .bind(sha256(&r.pdf))
    .fetch_one(tx.conn())
    .await
    .map_err(lc_store::sql::unique("release"))
    .map_err(|e| match e {
        StoreError::Duplicate(_) => exists(code, period),
        e => e.into(),
    })?;
    let actor = match caller {
        Some(c) => c.actor(),
        None => lc_store::Actor {
            request_id: Some(format!("release:{made_by}")),
            ..lc_store::Actor::default()
        },
    };
    tx.audit(
        &actor,
        "create",
        "release",
        &id.to_string(),
        json!({"division_code": code, "period": period.to_string(), "kind": period.kind(), "made_by": made_by, "input_sha256": sha256(r.input_json.as_bytes())}),
    )
    .await?;
    tx.commit().await?;
    read_row(st, id).await
}

async fn read_row(st: &AppState, id: i64) -> ApiResult<ReleaseRow> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM releases WHERE id = $1"))
        .bind(id)
        .fetch_optional(st.store.pool())
        .await
        .map_err(StoreError::from)?
        .ok_or_else(|| AppError::not_found("release", &id.to_string()))
}

/// The scheduled part (`serve`'s hourly sweep, after the monthly job): for the last closed
/// quarter and year (by the server's clock, Asia/Shanghai), a release of every province, city
/// and district that has figures in the period and no release yet. Returns those made.
pub async fn make_due(st: &AppState) -> ApiResult<Vec<ReleaseRow>> {
    let month = YearMonth::of_instant(st.clock.now_ms()).map_err(AppError::internal)?;
    let (year, m) = month
        .to_string()
        .split_once('-')
        .and_then(|(y, m)| Some((y.parse::<i32>().ok()?, m.parse::<u32>().ok()?)))
        .ok_or_else(|| AppError::internal("month"))?;
    let mut made = Vec::new();
    for period in Period::last_closed(year, m) {
        let months = period.months();
        let regions: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT s.division_code FROM indicator_series s WHERE s.source = 'platform' AND s.dimension = '' AND s.level IN ('province', 'city', 'district') AND s.period >= $1 AND s.period <= $2 AND NOT EXISTS (SELECT 1 FROM releases r WHERE r.division_code = s.division_code AND r.period = $3 AND r.kind = $4) ORDER BY s.division_code",
        )
        .bind(months[0].clone())
        .bind(months[months.len() - 1].clone())
        .bind(period.to_string())
        .bind(period.kind().to_string())
        .fetch_all(st.store.pool())
        .await
        .map_err(StoreError::from)?;
        for code in regions {
            match make(st, &code, period, "sweep", None).await {
                Ok(r) => made.push(r),
                // Made meanwhile by an administrator, or no figures after all: nothing to do.
                Err(e) if e.code == "release_exists" || e.code == "no_release_data" => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(made)
}

// --- Handlers ----------------------------------------------------------------------------------

/// `POST /api/releases`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = StatisticalReleaseInput)]
pub struct CreateInput {
    /// A province (2 digits), city (4) or district (6) division code.
    pub region: Option<String>,
    /// A closed quarter (`2026Q3`) or year (`2026`).
    pub period: Option<String>,
}

#[utoipa::path(post, path = "/api/releases", tag = "releases", request_body = Option<CreateInput>,
    responses((status = 200, body = ReleaseRow),
        (status = 409, description = "`release_exists`: made already; `no_release_data`: no figures for the region in the period", body = crate::error::ErrorSchema),
        (status = "default", body = crate::error::ErrorSchema)))]
pub async fn create(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> ApiResult<Json<ReleaseRow>> {
    let input: CreateInput = optional_json_body(&body)?;
    let required = |field: &str| {
        AppError::field(
            field,
            "required",
            format!("{field} 必填"),
            format!("{field} is required"),
        )
    };
    let code = input.region.ok_or_else(|| required("region"))?;
    let period: Period = input
        .period
        .ok_or_else(|| required("period"))?
        .parse()
        .map_err(release_error)?;
    let (year, month) = {
        let m = YearMonth::of_instant(st.clock.now_ms()).map_err(AppError::internal)?;
        let s = m.to_string();
        (
            s[..4].parse::<i32>().map_err(AppError::internal)?,
            s[5..].parse::<u32>().map_err(AppError::internal)?,
        )
    };
    let last = Period::last_closed(year, month);
    let closed = match period {
        Period::Quarter { .. } => period <= last[0],
        Period::Year(_) => period <= last[1],
    };
    if !closed {
        return Err(AppError::field(
            "period",
            "period_not_closed",
            format!("{} 尚未结束，期间结束后才能发布", period.label_zh()),
            format!("{period} has not closed; a release is made after its period"),
        ));
    }
    Ok(Json(make(&st, &code, period, "api", Some(&c)).await?))
}

/// Query of `GET /api/releases`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// A division code.
    pub region: Option<String>,
    /// `2026Q3` or `2026`.
    pub period: Option<String>,
    /// `quarterly` or `annual`.
    pub kind: Option<String>,
}

#[utoipa::path(get, path = "/api/releases", tag = "releases", params(ListQuery),
    responses((status = 200, description = "`{items: [StatisticalRelease]}`", body = Object),
        (status = "default", body = crate::error::ErrorSchema)))]
pub async fn list(
    State(st): State<Arc<AppState>>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    let some = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
    let kind = some(q.kind);
    if let Some(k) = kind.as_deref() {
        if k != "quarterly" && k != "annual" {
            return Err(AppError::field(
                "kind",
                "invalid_kind",
                format!("kind 应为 quarterly 或 annual：{k}"),
                format!("kind must be quarterly or annual: {k}"),
            ));
        }
    }
    let items: Vec<ReleaseRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM releases WHERE ($1 IS NULL OR division_code = $1) AND ($2 IS NULL OR period = $2) AND ($3 IS NULL OR kind = $3) ORDER BY id DESC LIMIT 500"
    ))
    .bind(some(q.region))
    .bind(some(q.period))
    .bind(kind)
    .fetch_all(st.store.pool())
    .await
    .map_err(StoreError::from)?;
    Ok(Json(json!({"items": items})))
}

fn id_of(s: &str) -> ApiResult<i64> {
    s.parse::<i64>()
        .ok()
        .filter(|i| *i > 0)
        .ok_or_else(|| AppError::not_found("release", s))
}

#[utoipa::path(get, path = "/api/releases/{id}", tag = "releases", params(("id" = String, Path, description = "The release id")),
    responses((status = 200, description = "`{release: StatisticalRelease, document: {…}}`", body = Object),
        (status = "default", body = crate::error::ErrorSchema)))]
pub async fn read(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = id_of(&id)?;
    let row = read_row(&st, id).await?;
    let doc: String = sqlx::query_scalar("SELECT document_json FROM releases WHERE id = $1")
        .bind(id)
        .fetch_one(st.store.pool())
        .await
        .map_err(StoreError::from)?;
    let document: Value = serde_json::from_str(&doc).map_err(AppError::internal)?;
    Ok(Json(json!({"release": row, "document": document})))
}

#[utoipa::path(get, path = "/api/releases/{id}/release.html", tag = "releases", params(("id" = String, Path, description = "The release id")),
    responses((status = 200, description = "The release page", content_type = "text/html", body = String), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn download_html(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = id_of(&id)?;
    let html: Option<String> = sqlx::query_scalar("SELECT html FROM releases WHERE id = $1")
        .bind(id)
        .fetch_optional(st.store.pool())
        .await
        .map_err(StoreError::from)?;
    let html = html.ok_or_else(|| AppError::not_found("release", &id.to_string()))?;
    let mut resp = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    resp.headers_mut().insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        ),
    );
    Ok(resp)
}

#[utoipa::path(get, path = "/api/releases/{id}/release.pdf", tag = "releases", params(("id" = String, Path, description = "The release id")),
    responses((status = 200, description = "The release as PDF", content_type = "application/pdf", body = String), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn download_pdf(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = id_of(&id)?;
    let row: Option<(String, String, Vec<u8>)> =
        sqlx::query_as("SELECT division_code, period, pdf FROM releases WHERE id = $1")
            .bind(id)
            .fetch_optional(st.store.pool())
            .await
            .map_err(StoreError::from)?;
    let (code, period, pdf) = row.ok_or_else(|| AppError::not_found("release", &id.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, PDF.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"release-{code}-{period}.pdf\""),
            ),
        ],
        pdf,
    )
        .into_response())
}

#[utoipa::path(get, path = "/api/releases/{id}/data", tag = "releases", params(("id" = String, Path, description = "The release id")),
    responses((status = 200, description = "`{input_sha256, input: ReleaseInput}`", body = Object),
        (status = "default", body = crate::error::ErrorSchema)))]
pub async fn data(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = id_of(&id)?;
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT input_json, input_sha256 FROM releases WHERE id = $1")
            .bind(id)
            .fetch_optional(st.store.pool())
            .await
            .map_err(StoreError::from)?;
    let (input, sha) = row.ok_or_else(|| AppError::not_found("release", &id.to_string()))?;
    let input: Value = serde_json::from_str(&input).map_err(AppError::internal)?;
    Ok(Json(json!({"input_sha256": sha, "input": input})))
}
