//! 选址 Siting scenarios (issue 14 item 5): the registry of candidate plots (`siting_candidates`:
//! where a new facility could be built) and scenarios run on it (`siting_runs`).
//!
//! *Candidates* are listed, added one by one, imported from the engine's `candidates.csv`
//! (`id,lon,lat[,name,capacity,cost]`, through `lc_tables::read_candidates`, so a bad line is
//! refused with its line and field and nothing is written; a known id is replaced) and deleted.
//! A candidate's division is the one given, else the division of the community nearest to it in
//! a straight line (the rule the assessment uses for a facility without a code).
//!
//! *A scenario* (`POST /api/siting/runs`: a category, a number of sites, all candidates or a
//! list, optionally the radius) runs `lc_pipeline::run_site` on a blocking thread over the
//! registry's communities and facilities (read as the assessment runs read them) and the
//! server's walking network: maximal coverage of the population within the radius, existing
//! facilities of the category counted as open. The answer — the chosen sites in order with
//! the people each newly covers and the cumulative total, coverage before and after, the
//! proven upper bound and the relative gap as `lc-siting` reports them — is stored whole and
//! answered again by `GET /api/siting/runs/{id}`. It is computed synchronously (a few hundred
//! milliseconds on the demo city) within clear limits: at most [`MAX_SITES`] sites and
//! [`MAX_RUN_CANDIDATES`] candidates, one scenario at a time per server.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Extension, Json, Router};
use lc_model::Category;
use lc_registry::FieldError;
use lc_store::sql::BindExt;
use lc_store::sqlx::{self, AnyConnection};
use lc_store::{from_row, now_ms, Actor, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::bulk;
use crate::domains::assessments::jobs;
use crate::domains::registry::divisions;
use crate::endpoints::{ep, Endpoint, CSV, JSON, STAFF_WRITE};
use crate::error::{ApiResult, AppError};
use crate::web::{self, json_body};
use crate::AppState;

/// The most sites a scenario may ask for.
pub const MAX_SITES: i64 = 20;
/// The most candidates one scenario may consider.
pub const MAX_RUN_CANDIDATES: usize = 2000;
/// The most candidates the registry keeps.
pub const MAX_REGISTRY: i64 = 10_000;
/// The radius a scenario may ask for, metres of walking.
pub const RADIUS_RANGE: (f64, f64) = (50.0, 5000.0);
/// Radius when the standards name no distance for the category.
const DEFAULT_RADIUS_M: f64 = 1000.0;

/// One scenario at a time per server (the computation takes a core).
static RUNNING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

/// The endpoints of this domain.
pub const ENDPOINTS: &[Endpoint] = &[
    ep!(
        "GET",
        "/api/siting/candidates",
        STAFF_WRITE,
        "",
        "siting",
        "The candidate plots of the registry (where new facilities could be built).",
        None,
        JSON
    ),
    ep!(
        "POST",
        "/api/siting/candidates",
        STAFF_WRITE,
        "",
        "siting",
        "Add a candidate plot (its division: the one given, else the nearest community's).",
        Some(JSON),
        JSON
    ),
    ep!(
        "POST",
        "/api/siting/candidates/import",
        STAFF_WRITE,
        "",
        "siting",
        "Import (insert or replace) candidate plots from candidates.csv (id,lon,lat[,name,capacity,cost]) or an Excel workbook with the same columns (?crs=wgs84|gcj02|bd09); a bad line is refused with its line and field and nothing is written.",
        Some(CSV),
        JSON
    ),
    ep!(
        "DELETE",
        "/api/siting/candidates/{id}",
        STAFF_WRITE,
        "",
        "siting",
        "Delete a candidate plot.",
        None,
        JSON
    ),
    ep!(
        "POST",
        "/api/siting/runs",
        STAFF_WRITE,
        "",
        "siting",
        "Run a siting scenario on the registry and the server's walking network: a category, a number of sites, all candidates or a list; the chosen sites in order with the people each newly covers, coverage before and after, the proven bound and gap (stored).",
        Some(JSON),
        JSON
    ),
    ep!(
        "GET",
        "/api/siting/runs",
        STAFF_WRITE,
        "",
        "siting",
        "The siting scenarios run, newest first (summaries).",
        None,
        JSON
    ),
    ep!(
        "GET",
        "/api/siting/runs/{id}",
        STAFF_WRITE,
        "",
        "siting",
        "One siting scenario with its whole answer.",
        None,
        JSON
    ),
];

/// The routes of this domain.
pub fn routes(max_body: usize) -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/api/siting/candidates",
            get(list_candidates).post(add_candidate),
        )
        .route(
            "/api/siting/candidates/import",
            post(import_candidates).layer(axum::extract::DefaultBodyLimit::max(max_body)),
        )
        .route("/api/siting/candidates/{id}", delete(delete_candidate))
        .route("/api/siting/runs", post(start_run).get(list_runs))
        .route("/api/siting/runs/{id}", get(get_run))
}

// --- Candidates ------------------------------------------------------------------------------

/// A candidate plot, as stored and answered.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
#[schema(as = SitingCandidateRow)]
pub struct CandidateRow {
    pub id: String,
    pub name: String,
    pub lon: f64,
    pub lat: f64,
    /// The division it lies in (given, else the nearest community's).
    pub division_code: Option<String>,
    /// Places a facility built here would offer (none: not known).
    pub capacity: Option<f64>,
    /// What building here would cost (none: not known).
    pub cost: Option<f64>,
    pub note: Option<String>,
    /// Where the record came from: `api`, `import` or `seed`.
    pub source: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}
from_row!(CandidateRow {
    id,
    name,
    lon,
    lat,
    division_code,
    capacity,
    cost,
    note,
    source,
    created_at,
    updated_at,
    version
});

const CANDIDATE_COLS: &str =
    "id, name, lon, lat, division_code, capacity, cost, note, source, created_at, updated_at, version";

/// Every candidate, by id.
pub(crate) async fn all_candidates(
    conn: &mut AnyConnection,
) -> Result<Vec<CandidateRow>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {CANDIDATE_COLS} FROM siting_candidates ORDER BY id"
    ))
    .fetch_all(conn)
    .await?)
}

async fn get_candidate(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<CandidateRow>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {CANDIDATE_COLS} FROM siting_candidates WHERE id = $1"
    ))
    .bind(id.to_string())
    .fetch_optional(conn)
    .await?)
}

async fn count_candidates(conn: &mut AnyConnection) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM siting_candidates")
        .fetch_one(conn)
        .await?)
}

/// Inserts a candidate, or replaces the one with its id (version raised); whether it was new.
async fn upsert_candidate(
    conn: &mut AnyConnection,
    row: &CandidateRow,
) -> Result<(bool, Option<CandidateRow>), StoreError> {
    let old = get_candidate(&mut *conn, &row.id).await?;
    match &old {
        Some(o) => {
            sqlx::query(
                "UPDATE siting_candidates SET name = $2, lon = $3, lat = $4, division_code = $5, capacity = $6, cost = $7, note = $8, source = $9, updated_at = $10, version = version + 1 WHERE id = $1",
            )
            .bind(row.id.clone())
            .bind(row.name.clone())
            .bind(row.lon)
            .bind(row.lat)
            .bind(row.division_code.clone())
            .bind_real(row.capacity)
            .bind_real(row.cost)
            .bind(row.note.clone().or_else(|| o.note.clone()))
            .bind(row.source.clone())
            .bind(row.updated_at)
            .execute(&mut *conn)
            .await?;
        }
        None => {
            sqlx::query(
                "INSERT INTO siting_candidates (id, name, lon, lat, division_code, capacity, cost, note, source, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1)",
            )
            .bind(row.id.clone())
            .bind(row.name.clone())
            .bind(row.lon)
            .bind(row.lat)
            .bind(row.division_code.clone())
            .bind_real(row.capacity)
            .bind_real(row.cost)
            .bind(row.note.clone())
            .bind(row.source.clone())
            .bind(row.created_at)
            .bind(row.updated_at)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok((old.is_none(), old))
}

/// The division code of the community nearest to a point (straight line, equirectangular),
/// among those with a code.
fn nearest_division(communities: &[(f64, f64, String)], lon: f64, lat: f64) -> Option<String> {
    let k = lat.to_radians().cos();
    communities
        .iter()
        .map(|(x, y, code)| {
            let (dx, dy) = ((x - lon) * k, y - lat);
            (dx * dx + dy * dy, code)
        })
        .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(b.1)))
        .map(|(_, c)| c.clone())
}

/// The registry's communities with a division code: (lon, lat, code).
async fn coded_communities(
    conn: &mut AnyConnection,
) -> Result<Vec<(f64, f64, String)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT lon, lat, division_code FROM communities WHERE division_code IS NOT NULL ORDER BY id",
    )
    .fetch_all(conn)
    .await?)
}

/// A text field of a candidate: trimmed, at most `max` characters, no control or invisible
/// character.
fn check_text(field: &str, v: &str, max: usize, errors: &mut Vec<FieldError>) -> String {
    let t = v.trim().to_string();
    if t.chars().count() > max {
        errors.push(FieldError {
            field: field.to_string(),
            code: "out_of_range",
            message_zh: format!("{field} 最多 {max} 个字符"),
            message_en: format!("{field} may be at most {max} characters"),
        });
    } else if t
        .chars()
        .any(|c| c.is_control() || lc_registry::is_invisible(c))
    {
        errors.push(FieldError {
            field: field.to_string(),
            code: "invalid_text",
            message_zh: format!("{field} 含有控制字符或不可见字符"),
            message_en: format!("{field} holds a control or invisible character"),
        });
    }
    t
}

/// `POST /api/siting/candidates`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SitingCandidateInput)]
pub struct CandidateInput {
    /// 1–64 ASCII letters, digits and `-_.:`, beginning with a letter or digit.
    #[schema(pattern = "^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")]
    pub id: String,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// WGS-84.
    #[schema(minimum = -180.0, maximum = 180.0)]
    pub lon: f64,
    #[schema(minimum = -90.0, maximum = 90.0)]
    pub lat: f64,
    /// A code of the divisions table (default: the nearest community's).
    pub division_code: Option<String>,
    #[schema(minimum = 0.0, maximum = 10000000.0)]
    pub capacity: Option<f64>,
    #[schema(minimum = 0.0, maximum = 1000000000000.0)]
    pub cost: Option<f64>,
    #[schema(max_length = 500)]
    pub note: Option<String>,
}

fn range(field: &str, v: f64, lo: f64, hi: f64, errors: &mut Vec<FieldError>) -> Option<f64> {
    if v.is_finite() && (lo..=hi).contains(&v) {
        return Some(v);
    }
    errors.push(FieldError {
        field: field.to_string(),
        code: "out_of_range",
        message_zh: format!("{field} 应在 {lo} 至 {hi} 之间"),
        message_en: format!("{field} must be between {lo} and {hi}"),
    });
    None
}

#[utoipa::path(get, path = "/api/siting/candidates", tag = "siting",
    responses((status = 200, description = "`{items: [SitingCandidateRow], total}`", body = Object),
        (status = "default", body = crate::error::ErrorSchema)))]
pub async fn list_candidates(State(st): State<Arc<AppState>>) -> ApiResult<Json<Value>> {
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let items = all_candidates(&mut conn).await?;
    Ok(Json(json!({"total": items.len(), "items": items})))
}

#[utoipa::path(post, path = "/api/siting/candidates", tag = "siting", request_body = CandidateInput,
    responses((status = 201, body = CandidateRow),
        (status = 409, description = "`conflict`: a candidate with this id exists", body = crate::error::ErrorSchema),
        (status = "default", body = crate::error::ErrorSchema)))]
pub async fn add_candidate(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<CandidateRow>)> {
    let input: CandidateInput = json_body(&body)?;
    let mut errors = Vec::new();
    if !lc_registry::records::is_identifier(&input.id) {
        errors.push(FieldError {
            field: "id".into(),
            code: "invalid_id",
            message_zh: "id 只能包含英文字母、数字和 -_.:，且以字母或数字开头".into(),
            message_en:
                "id may contain only ASCII letters, digits and -_.:, and must begin with a letter or digit"
                    .into(),
        });
    }
    let name = check_text("name", &input.name, 200, &mut errors);
    if name.is_empty() {
        errors.push(FieldError {
            field: "name".into(),
            code: "required",
            message_zh: "name 不能为空".into(),
            message_en: "name is required".into(),
        });
    }
    let note = input
        .note
        .as_deref()
        .map(|n| check_text("note", n, 500, &mut errors))
        .filter(|n| !n.is_empty());
    range("lon", input.lon, -180.0, 180.0, &mut errors);
    range("lat", input.lat, -90.0, 90.0, &mut errors);
    let capacity = input
        .capacity
        .and_then(|v| range("capacity", v, 0.0, lc_tables::MAX_CAPACITY, &mut errors));
    let cost = input
        .cost
        .and_then(|v| range("cost", v, 0.0, lc_tables::MAX_COST, &mut errors));
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let mut tx = st.store.begin().await?;
    if count_candidates(tx.conn()).await? >= MAX_REGISTRY {
        return Err(registry_full());
    }
    let division_code = match input.division_code.as_deref().map(str::trim) {
        Some(code) if !code.is_empty() => {
            if !divisions::exists(tx.conn(), code).await? {
                return Err(web::unknown_reference("division_code", "行政区划", code));
            }
            Some(code.to_string())
        }
        _ => nearest_division(&coded_communities(tx.conn()).await?, input.lon, input.lat),
    };
    if get_candidate(tx.conn(), &input.id).await?.is_some() {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            "conflict",
            format!("候选用地 {} 已存在", input.id),
            format!("candidate plot {} exists already", input.id),
        ));
    }
    let now = now_ms();
    let row = CandidateRow {
        id: input.id.clone(),
        name,
        lon: input.lon,
        lat: input.lat,
        division_code,
        capacity,
        cost,
        note,
        source: "api".into(),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    upsert_candidate(tx.conn(), &row).await?;
    tx.audit(
        &c.actor(),
        "create",
        "siting_candidate",
        &row.id,
        json!({"after": &row}),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(row)))
}

fn registry_full() -> AppError {
    AppError::new(
        StatusCode::CONFLICT,
        "conflict",
        format!("候选用地库已满（最多 {MAX_REGISTRY} 处），请先删除不用的"),
        format!("the registry holds the most candidate plots it may ({MAX_REGISTRY}); delete some first"),
    )
}

/// Stores candidates read from `candidates.csv` (insert or replace), each audited, and a
/// summary entry; (created, rows). Used by the import and the demo seed.
pub(crate) async fn store_candidates(
    tx: &mut lc_store::Tx,
    actor: &Actor,
    read: Vec<lc_model::Candidate>,
    source: &str,
) -> ApiResult<(usize, usize)> {
    let mut errors = Vec::new();
    let mut rows = Vec::with_capacity(read.len());
    let communities = coded_communities(tx.conn()).await?;
    let now = now_ms();
    for (k, cand) in read.into_iter().enumerate() {
        let before = errors.len();
        let name = check_text(
            &format!("row {} (id {}): name", k + 1, cand.id),
            &cand.name,
            200,
            &mut errors,
        );
        if !lc_registry::records::is_identifier(&cand.id) {
            errors.push(FieldError {
                field: format!("row {} (id {}): id", k + 1, cand.id),
                code: "invalid_id",
                message_zh: "id 只能包含英文字母、数字和 -_.:，且以字母或数字开头".into(),
                message_en: "id may contain only ASCII letters, digits and -_.:, and must begin with a letter or digit".into(),
            });
        }
        if errors.len() > before {
            if errors.len() >= 20 {
                break;
            }
            continue;
        }
        rows.push(CandidateRow {
            division_code: nearest_division(&communities, cand.pos.lon, cand.pos.lat),
            name: if name.is_empty() {
                cand.id.clone()
            } else {
                name
            },
            id: cand.id,
            lon: cand.pos.lon,
            lat: cand.pos.lat,
            capacity: cand.capacity,
            cost: cand.cost,
            note: None,
            source: source.to_string(),
            created_at: now,
            updated_at: now,
            version: 1,
        });
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let total = rows.len();
    let mut created = 0;
    for row in rows {
        let (new, old) = upsert_candidate(tx.conn(), &row).await?;
        created += usize::from(new);
        tx.audit(
            actor,
            if new {
                "import_create"
            } else {
                "import_update"
            },
            "siting_candidate",
            &row.id,
            json!({"before": old, "after": &row}),
        )
        .await?;
    }
    if count_candidates(tx.conn()).await? > MAX_REGISTRY {
        return Err(registry_full());
    }
    tx.audit(
        actor,
        "import",
        "siting_candidate",
        "",
        json!({"source": source, "rows": total, "created": created}),
    )
    .await?;
    Ok((created, total))
}

#[utoipa::path(post, path = "/api/siting/candidates/import", tag = "siting", params(bulk::CrsQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = bulk::ImportResult), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn import_candidates(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Query(q): Query<bulk::CrsQuery>,
    body: Bytes,
) -> ApiResult<Json<bulk::ImportResult>> {
    let crs = q.crs()?;
    let read = bulk::read_upload(&body, "candidates.csv", |p| {
        lc_tables::read_candidates(p, crs, false)
    })?;
    let mut tx = st.store.begin().await?;
    let (created, imported) = store_candidates(&mut tx, &c.actor(), read, "import").await?;
    tx.commit().await?;
    Ok(Json(bulk::ImportResult { created, imported }))
}

#[utoipa::path(delete, path = "/api/siting/candidates/{id}", tag = "siting", params(("id" = String, Path)),
    responses((status = 200, description = "`{deleted: id}`", body = Object), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn delete_candidate(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let mut tx = st.store.begin().await?;
    let Some(old) = get_candidate(tx.conn(), &id).await? else {
        return Err(AppError::not_found("candidate plot", &id));
    };
    sqlx::query("DELETE FROM siting_candidates WHERE id = $1")
        .bind(id.clone())
        .execute(tx.conn())
        .await
        .map_err(StoreError::from)?;
    tx.audit(
        &c.actor(),
        "delete",
        "siting_candidate",
        &id,
        json!({"before": old}),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(json!({"deleted": id})))
}

// --- Scenarios -------------------------------------------------------------------------------

/// `POST /api/siting/runs`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SitingRunRequest)]
pub struct RunRequest {
    /// A facility category key (`GET /api/categories`).
    #[schema(min_length = 1, max_length = 64)]
    pub category: String,
    /// How many new sites.
    #[schema(minimum = 1, maximum = 20)]
    pub sites: i64,
    /// Candidate ids to choose among (absent: every candidate of the registry).
    #[schema(min_items = 1, max_items = 2000)]
    pub candidates: Option<Vec<String>>,
    /// Coverage radius, metres of walking (default: the shortest distance the shipped
    /// standards ask for the category, else 1000).
    #[schema(minimum = 50.0, maximum = 5000.0)]
    pub max_distance: Option<f64>,
}

/// A stored scenario's summary.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = SitingRunRow)]
pub struct RunRow {
    pub id: i64,
    pub created_at: i64,
    pub created_by: Option<i64>,
    pub category: String,
    pub sites: i64,
    pub radius_m: f64,
    pub candidates: i64,
    pub covered_before: f64,
    pub covered_after: f64,
    pub bound: f64,
    pub gap: f64,
}
from_row!(RunRow {
    id,
    created_at,
    created_by,
    category,
    sites,
    radius_m,
    candidates,
    covered_before,
    covered_after,
    bound,
    gap
});

/// 503 `no_network` (as the assessment runs and services nearby answer it).
fn no_network() -> AppError {
    let mut e = jobs::no_network();
    e.message_zh = "服务器没有步行路网（以 serve --osm 启动），无法计算选址".into();
    e.message_en =
        "the server has no walking network (start it with serve --osm): nothing to site on".into();
    e
}

fn no_candidates(zh: impl Into<String>, en: impl Into<String>) -> AppError {
    AppError::new(StatusCode::CONFLICT, "no_candidates", zh, en)
}

/// The request checked: the category, the number of sites and the radius.
fn check_request(req: &RunRequest) -> ApiResult<(Category, usize, Option<f64>)> {
    let mut errors = Vec::new();
    let category = match Category::from_key(req.category.trim()) {
        Ok(c) => Some(c),
        Err(_) => {
            let hint = Category::suggest(req.category.trim())
                .map(|c| {
                    (
                        format!("（是否为 {}？）", c.key()),
                        format!(" (did you mean {}?)", c.key()),
                    )
                })
                .unwrap_or_default();
            errors.push(FieldError {
                field: "category".into(),
                code: "unknown_category",
                message_zh: format!("未知的设施类别 {}{}", req.category, hint.0),
                message_en: format!(
                    "unknown facility category '{}'{}; see GET /api/categories",
                    req.category, hint.1
                ),
            });
            None
        }
    };
    if !(1..=MAX_SITES).contains(&req.sites) {
        errors.push(FieldError {
            field: "sites".into(),
            code: "out_of_range",
            message_zh: format!("选址数量应在 1 至 {MAX_SITES} 之间，实际为 {}", req.sites),
            message_en: format!(
                "the number of sites must be 1 to {MAX_SITES}, got {}",
                req.sites
            ),
        });
    }
    if let Some(r) = req.max_distance {
        range(
            "max_distance",
            r,
            RADIUS_RANGE.0,
            RADIUS_RANGE.1,
            &mut errors,
        );
    }
    if let Some(list) = &req.candidates {
        if list.is_empty() || list.len() > MAX_RUN_CANDIDATES {
            errors.push(FieldError {
                field: "candidates".into(),
                code: "out_of_range",
                message_zh: format!(
                    "候选列表应有 1 至 {MAX_RUN_CANDIDATES} 个编号（省略则用全部候选用地）"
                ),
                message_en: format!(
                    "candidates must list 1 to {MAX_RUN_CANDIDATES} ids (leave it out for every candidate plot)"
                ),
            });
        }
    }
    match (errors.is_empty(), category) {
        (true, Some(c)) => Ok((c, req.sites as usize, req.max_distance)),
        _ => Err(AppError::validation(errors)),
    }
}

#[utoipa::path(post, path = "/api/siting/runs", tag = "siting", request_body = RunRequest,
    responses((status = 201, description = "The scenario with its answer: `{id, category, sites, radius_m, covered_before, covered_after, newly_covered, bound, gap, optimal, sites_chosen: [{rank, candidate_id, name, lon, lat, newly_covered, cumulative, communities}], candidates: [...], ...}`", body = Object),
        (status = 409, description = "`no_candidates` (none in the registry, or none of them on the network) or `nothing_to_site` (no community on the network)", body = crate::error::ErrorSchema),
        (status = 422, description = "`validation_failed`: an unknown category, the number of sites out of range, an unknown candidate", body = crate::error::ErrorSchema),
        (status = 503, description = "`no_network`", body = crate::error::ErrorSchema),
        (status = "default", body = crate::error::ErrorSchema)))]
pub async fn start_run(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let req: RunRequest = json_body(&body)?;
    let (category, sites, radius) = check_request(&req)?;
    let Some(graph) = st.config.network.clone() else {
        return Err(no_network());
    };
    let _permit = RUNNING.acquire().await.map_err(AppError::internal)?;
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let all = all_candidates(&mut conn).await?;
    drop(conn);
    let chosen: Vec<CandidateRow> = match &req.candidates {
        None => all,
        Some(ids) => {
            let by_id: BTreeMap<&str, &CandidateRow> =
                all.iter().map(|r| (r.id.as_str(), r)).collect();
            let mut seen = HashSet::new();
            let mut out = Vec::new();
            let mut errors = Vec::new();
            for (k, id) in ids.iter().enumerate() {
                match by_id.get(id.as_str()) {
                    Some(r) if seen.insert(id.as_str()) => out.push((*r).clone()),
                    Some(_) => {}
                    None if errors.len() < 20 => errors.push(FieldError {
                        field: format!("candidates/{k}"),
                        code: "unknown_reference",
                        message_zh: format!("候选用地 {id} 不在候选用地库中"),
                        message_en: format!("candidate plot '{id}' is not in the registry"),
                    }),
                    None => {}
                }
            }
            if !errors.is_empty() {
                return Err(AppError::validation(errors));
            }
            out
        }
    };
    if chosen.is_empty() {
        return Err(no_candidates(
            "候选用地库中没有候选用地，无从选址（先导入 candidates.csv）",
            "the registry holds no candidate plot: nothing to choose from (import candidates.csv first)",
        ));
    }
    if chosen.len() > MAX_RUN_CANDIDATES {
        return Err(AppError::field(
            "candidates",
            "out_of_range",
            format!("一次选址最多考虑 {MAX_RUN_CANDIDATES} 处候选用地，请列出要考虑的"),
            format!("a scenario considers at most {MAX_RUN_CANDIDATES} candidate plots; list those to consider"),
        ));
    }
    let radius_m = match radius {
        Some(r) => r,
        None => {
            let standards = lc_standards::shipped_standards().map_err(AppError::internal)?;
            lc_pipeline::standard_radius(&standards, category).unwrap_or(DEFAULT_RADIUS_M)
        }
    };
    let (reg, _unknown) = jobs::read_registry(&st).await?;
    let read_at = st.clock.now_ms();
    let candidates: Vec<lc_model::Candidate> = chosen
        .iter()
        .map(|r| lc_model::Candidate {
            id: r.id.clone(),
            name: r.name.clone(),
            pos: lc_model::LonLat::new(r.lon, r.lat),
            capacity: r.capacity,
            cost: r.cost,
        })
        .collect();
    let computed = tokio::task::spawn_blocking(move || {
        let opts = lc_pipeline::SiteOptions {
            category,
            sites,
            radius_m,
            snap: lc_network::SnapMode::Edge,
            snap_limit: 300.0,
            time_limit: Duration::from_secs(10),
        };
        let run = lc_pipeline::run_site(
            &graph,
            &lc_pipeline::SiteInputs {
                communities: &reg.communities,
                facilities: &reg.facilities,
                candidates: &candidates,
            },
            &opts,
            &lc_pipeline::Silent,
        );
        run.map(|r| result_json(&r, &reg.communities, &reg.facilities, &candidates, category))
    })
    .await
    .map_err(AppError::internal)?;
    let mut result = match computed {
        Ok(v) => v,
        Err(lc_pipeline::PipelineError::NothingToCompute(m)) if m.contains("candidate plot") => {
            return Err(no_candidates(m.clone(), m));
        }
        Err(lc_pipeline::PipelineError::NothingToCompute(m)) => {
            return Err(AppError::new(
                StatusCode::CONFLICT,
                "nothing_to_site",
                m.clone(),
                m,
            ));
        }
        Err(e) => return Err(AppError::internal(e)),
    };
    let mut tx = st.store.begin().await?;
    let created_by = c.user.as_ref().map(|u| u.id);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO siting_runs (created_at, created_by, category, sites, radius_m, candidates, covered_before, covered_after, bound, gap, result) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(read_at)
    .bind(created_by)
    .bind(category.key().to_string())
    .bind(sites as i64)
    .bind(radius_m)
    .bind(chosen.len() as i64)
    .bind(result["covered_before"].as_f64().unwrap_or(0.0))
    .bind(result["covered_after"].as_f64().unwrap_or(0.0))
    .bind(result["bound"].as_f64().unwrap_or(0.0))
    .bind(result["gap"].as_f64().unwrap_or(0.0))
    .bind(result.to_string())
    .fetch_one(tx.conn())
    .await
    .map_err(StoreError::from)?;
    tx.audit(
        &c.actor(),
        "run",
        "siting_run",
        &id.to_string(),
        json!({"category": category.key(), "sites": sites, "radius_m": radius_m,
            "candidates": chosen.len(), "chosen": result["sites_chosen"].as_array().map(|a| a.len())}),
    )
    .await?;
    tx.commit().await?;
    result["id"] = json!(id);
    result["created_at"] = json!(read_at);
    result["created_by"] = json!(created_by);
    Ok((StatusCode::CREATED, Json(result)))
}

/// The answer of a scenario (stored whole).
fn result_json(
    run: &lc_pipeline::SiteRun,
    communities: &[lc_model::Community],
    facilities: &[lc_model::Facility],
    candidates: &[lc_model::Candidate],
    category: Category,
) -> Value {
    let sol = &run.solution;
    let rank_of: BTreeMap<usize, usize> = run
        .sites
        .iter()
        .enumerate()
        .map(|(k, s)| (s.candidate, k + 1))
        .collect();
    let sites: Vec<Value> = run
        .sites
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let cand = &candidates[s.candidate];
            json!({
                "rank": k + 1,
                "candidate_id": cand.id,
                "name": cand.name,
                "lon": cand.pos.lon,
                "lat": cand.pos.lat,
                "newly_covered": s.newly_covered,
                "cumulative": s.cumulative,
                "communities": s.communities.iter().map(|&i| {
                    let cm = &communities[i];
                    json!({"community_id": cm.id, "name": cm.name, "lon": cm.pos.lon, "lat": cm.pos.lat, "population": cm.population})
                }).collect::<Vec<_>>(),
            })
        })
        .collect();
    let cands: Vec<Value> = candidates
        .iter()
        .enumerate()
        .map(|(j, k)| {
            json!({
                "candidate_id": k.id,
                "name": k.name,
                "lon": k.pos.lon,
                "lat": k.pos.lat,
                "placed": run.candidates_placed.anchors[j].is_some(),
                "rank": rank_of.get(&j),
            })
        })
        .collect();
    let existing: Vec<Value> = run
        .existing
        .iter()
        .map(|&f| {
            let x = &facilities[f];
            json!({"facility_id": x.id, "name": x.name, "lon": x.pos.lon, "lat": x.pos.lat})
        })
        .collect();
    let info = category.info();
    json!({
        "category": category.key(),
        "category_zh": info.zh,
        "category_en": info.en,
        "problem": run.problem.name(),
        "sites": run.problem.p(),
        "radius_m": run.problem.radius(),
        "population": run.population,
        "communities": communities.len(),
        "communities_placed": run.communities_placed.placed(),
        "candidates_considered": candidates.len(),
        "candidates_placed": run.candidates_placed.placed(),
        "existing_facilities": run.existing.len(),
        "covered_before": run.covered_before,
        "covered_after": run.covered_after,
        "newly_covered": run.covered_after - run.covered_before,
        "bound": run.bound,
        "gap": sol.gap,
        "most_short_of_optimal": (run.bound - run.covered_after).max(0.0),
        "optimal": sol.optimal,
        "found_by": sol.found_by,
        "bound_by": sol.bound_by,
        "uncoverable": sol.uncoverable,
        "sites_chosen": sites,
        "candidates": cands,
        "existing": existing,
        "timings": run.timings,
    })
}

/// `?limit=&offset=` of the scenario list.
#[utoipa::path(get, path = "/api/siting/runs", tag = "siting", params(web::PageQuery),
    responses((status = 200, body = Object), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn list_runs(
    State(st): State<Arc<AppState>>,
    Query(q): Query<web::PageQuery>,
) -> ApiResult<Json<web::Paged<RunRow>>> {
    let page = q.page()?;
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM siting_runs")
        .fetch_one(st.store.pool())
        .await
        .map_err(StoreError::from)?;
    let items: Vec<RunRow> = sqlx::query_as(
        "SELECT id, created_at, created_by, category, sites, radius_m, candidates, covered_before, covered_after, bound, gap FROM siting_runs ORDER BY id DESC LIMIT $1 OFFSET $2",
    )
    .bind(page.limit)
    .bind(page.offset)
    .fetch_all(st.store.pool())
    .await
    .map_err(StoreError::from)?;
    Ok(Json(web::Paged::new(items, total, page)))
}

#[utoipa::path(get, path = "/api/siting/runs/{id}", tag = "siting", params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn get_run(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let Some(n) = id.parse::<i64>().ok() else {
        return Err(AppError::not_found("siting run", &id));
    };
    let row: Option<(i64, Option<i64>, String)> =
        sqlx::query_as("SELECT created_at, created_by, result FROM siting_runs WHERE id = $1")
            .bind(n)
            .fetch_optional(st.store.pool())
            .await
            .map_err(StoreError::from)?;
    let Some((created_at, created_by, text)) = row else {
        return Err(AppError::not_found("siting run", &id));
    };
    let mut v: Value = serde_json::from_str(&text).map_err(AppError::internal)?;
    v["id"] = json!(n);
    v["created_at"] = json!(created_at);
    v["created_by"] = json!(created_by);
    Ok(Json(v))
}
