//! 评估 Imported assessment runs (`livingcircle assess` outputs): routes and endpoint table.
//!
//! Coupling to `livingcircle assess`: an assessment run is imported from its
//! `shortcomings.csv` and `indicators.csv`. Only the community is interpreted: of each
//! shortcoming its `community_id` (or `community`) column, of an indicator row at the
//! `community` level (a figure of one community: GS21's visit rate, CNM1's meal sites within
//! 15 minutes) its `region_code`, which is the community's id. Every other column is kept as it
//! is, so the assessment's columns can grow without a change here.
//!
//! A run is also computed by the server itself on the registry's data ([`jobs`]: started,
//! followed and cancelled as a job) and stored exactly as an import of the command line's two
//! files would be. [`views`]: the runs for a map (per community) and side by side.

pub mod jobs;
pub mod views;

use std::collections::HashSet;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use lc_registry::{Access, FieldError};
use lc_store::sqlx::{self, AnyConnection};
use lc_store::{from_row, StoreError, Tx};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::auth::Caller;
use crate::domains::registry::communities;
use crate::endpoints::{ep, Endpoint, JSON, STAFF_WRITE};
use crate::error::{ApiResult, AppError};
use crate::web::json_body;
use crate::AppState;

/// An imported assessment run.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RunRow {
    pub id: i64,
    pub created_at: i64,
    pub created_by: Option<i64>,
    pub label: String,
    pub shortcomings: i64,
    pub indicators: i64,
}
from_row!(RunRow {
    id,
    created_at,
    created_by,
    label,
    shortcomings,
    indicators
});

/// The latest run.
pub(crate) async fn latest_run(st: &AppState) -> Result<Option<RunRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, created_at, created_by, label, shortcomings, indicators FROM assessment_runs ORDER BY id DESC LIMIT 1",
    )
    .fetch_optional(st.store.pool())
    .await?)
}

/// The rows of a run of one kind (and community), each the CSV row it was imported from.
pub(crate) async fn run_rows(
    st: &AppState,
    run: i64,
    kind: &str,
    community: Option<&str>,
) -> Result<Vec<Value>, StoreError> {
    let data: Vec<String> = sqlx::query_scalar(
        "SELECT data FROM assessment_rows WHERE run_id = $1 AND kind = $2 AND ($3 IS NULL OR community_id = $3) ORDER BY id",
    )
    .bind(run)
    .bind(kind.to_string())
    .bind(community.map(str::to_string))
    .fetch_all(st.store.pool())
    .await?;
    Ok(data
        .iter()
        .map(|d| serde_json::from_str(d).unwrap_or(Value::Null))
        .collect())
}

/// Inserts a run's rows, several hundred per statement.
async fn insert_rows(
    conn: &mut AnyConnection,
    run: i64,
    rows: &[(&str, u64, Option<String>, String)],
) -> Result<(), StoreError> {
    for chunk in rows.chunks(500) {
        let groups: Vec<String> = (0..chunk.len())
            .map(|i| {
                let b = i * 5;
                format!(
                    "(${}, ${}, ${}, ${}, ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO assessment_rows (run_id, kind, line, community_id, data) VALUES {}",
            groups.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for (kind, line, community, data) in chunk {
            q = q
                .bind(run)
                .bind(kind.to_string())
                .bind(*line as i64)
                .bind(community.clone())
                .bind(data.clone());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// One run.
pub(crate) async fn get_run(st: &AppState, id: i64) -> Result<Option<RunRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, created_at, created_by, label, shortcomings, indicators FROM assessment_runs WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(st.store.pool())
    .await?)
}

/// A run to store: the rows of `shortcomings.csv` and `indicators.csv` as parsed.
pub(crate) struct NewRun<'a> {
    pub created_at: i64,
    pub created_by: Option<i64>,
    pub label: &'a str,
    /// The shortcomings' community column (`community_id` or `community`).
    pub community_col: &'a str,
    pub shortcomings: &'a CsvRows,
    pub indicators: &'a CsvRows,
}

/// Stores a run and its rows in a transaction (an import and a run computed by the server
/// store alike); the run's id.
pub(crate) async fn insert_run(tx: &mut Tx, run: &NewRun<'_>) -> Result<i64, StoreError> {
    let run_id: i64 = sqlx::query_scalar(
        "INSERT INTO assessment_runs (created_at, created_by, label, shortcomings, indicators) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(run.created_at)
    .bind(run.created_by)
    .bind(run.label.to_string())
    .bind(run.shortcomings.len() as i64)
    .bind(run.indicators.len() as i64)
    .fetch_one(tx.conn())
    .await?;
    let mut batch = Vec::with_capacity(run.shortcomings.len() + run.indicators.len());
    for (kind, rows) in [
        ("shortcoming", run.shortcomings),
        ("indicator", run.indicators),
    ] {
        for (line, data) in rows {
            let community = if kind == "shortcoming" {
                shortcoming_community(data, run.community_col)
            } else {
                indicator_community(data)
            };
            batch.push((
                kind,
                *line,
                community,
                Value::Object(data.clone()).to_string(),
            ));
        }
    }
    insert_rows(tx.conn(), run_id, &batch).await?;
    // The run's snapshot of indicators per region, in the same transaction (issue 16).
    crate::domains::monitoring::snapshot_run(tx, run_id, run.created_at, run.indicators).await?;
    Ok(run_id)
}

/// The endpoints of this domain.
pub const ENDPOINTS: &[Endpoint] = &[
    ep!(
        "GET",
        "/api/communities/{id}/assessment",
        Access::Public,
        "",
        "communities",
        "The latest imported assessment's shortcomings of a community and its own indicator rows (level community).",
        None,
        JSON
    ),
    ep!(
        "POST",
        "/api/assessments",
        STAFF_WRITE,
        "",
        "assessments",
        "Import an assessment run: shortcomings.csv and indicators.csv of `livingcircle assess`.",
        Some(JSON),
        JSON
    ),
    ep!(
        "GET",
        "/api/assessments/latest",
        Access::Public,
        "",
        "assessments",
        "The latest assessment run with its indicators.",
        None,
        JSON
    ),
    ep!(
        "GET",
        "/api/assessments",
        Access::Public,
        "",
        "assessments",
        "Assessment runs (imported or computed), newest first.",
        None,
        JSON
    ),
    ep!(
        "GET",
        "/api/assessments/{id}",
        Access::Public,
        "",
        "assessments",
        "One assessment run with its indicator rows.",
        None,
        JSON
    ),
    ep!(
        "GET",
        "/api/assessments/{id}/communities",
        Access::Public,
        "",
        "assessments",
        "A run's communities with position and the requirements each misses (the map), and totals.",
        None,
        JSON
    ),
    ep!(
        "GET",
        "/api/assessments/compare",
        Access::Public,
        "",
        "assessments",
        "Two runs side by side: indicators by region and key (value, met, change), shortcomings per community.",
        None,
        JSON
    ),
    ep!(
        "POST",
        "/api/assessments/runs",
        STAFF_WRITE,
        "",
        "assessments",
        "Start an assessment on the registry's communities and facilities and the server's walking network (202 with the job; one at a time).",
        Some(JSON),
        JSON
    ),
    ep!(
        "GET",
        "/api/assessments/jobs",
        STAFF_WRITE,
        "",
        "assessments",
        "The assessment jobs of this server process, newest first (in memory: not kept across a restart).",
        None,
        JSON
    ),
    ep!(
        "GET",
        "/api/assessments/jobs/{id}",
        STAFF_WRITE,
        "",
        "assessments",
        "An assessment job: status, step, progress, timings, the stored run or the error.",
        None,
        JSON
    ),
    ep!(
        "POST",
        "/api/assessments/jobs/{id}/cancel",
        STAFF_WRITE,
        "",
        "assessments",
        "Cancel a running assessment job: it ends as cancelled and stores nothing.",
        None,
        JSON
    ),
];

/// The routes of this domain.
pub fn routes(max_body: usize) -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/api/communities/{id}/assessment",
            get(community_assessment),
        )
        .route(
            "/api/assessments",
            post(import_assessment).layer(axum::extract::DefaultBodyLimit::max(max_body)),
        )
        .route("/api/assessments/latest", get(latest_assessment))
        .route("/api/assessments", get(views::list_runs))
        .route("/api/assessments/compare", get(views::compare_runs))
        .route("/api/assessments/{id}", get(views::get_run_rows))
        .route(
            "/api/assessments/{id}/communities",
            get(views::run_communities_map),
        )
        .route("/api/assessments/runs", post(jobs::start_run))
        .route("/api/assessments/jobs", get(jobs::list_jobs))
        .route("/api/assessments/jobs/{id}", get(jobs::get_job))
        .route("/api/assessments/jobs/{id}/cancel", post(jobs::cancel_job))
}

/// An assessment run as uploaded: the CSV texts of `livingcircle assess`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessmentUpload {
    label: Option<String>,
    shortcomings_csv: String,
    indicators_csv: Option<String>,
}

/// Parses a CSV text into (line, object of header → cell) rows.
pub(crate) type CsvRows = Vec<(u64, Map<String, Value>)>;

pub(crate) fn csv_objects(text: &str, file: &str) -> ApiResult<(Vec<String>, CsvRows)> {
    let mut rdr =
        csv::ReaderBuilder::new().from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| {
            AppError::field(
                file,
                "invalid_file",
                format!("{file} 表头无法读取：{e}"),
                format!("{file}: cannot read the header: {e}"),
            )
        })?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            AppError::field(
                file,
                "invalid_row",
                format!("{file}：{e}"),
                format!("{file}: {e}"),
            )
        })?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let mut m = Map::new();
        for (h, v) in headers.iter().zip(rec.iter()) {
            m.insert(h.clone(), json!(v));
        }
        out.push((line, m));
    }
    Ok((headers, out))
}

/// POST /api/assessments: `{label, shortcomings_csv, indicators_csv}`.
/// The community of a shortcoming row.
fn shortcoming_community(row: &Map<String, Value>, col: &str) -> Option<String> {
    row.get(col).and_then(Value::as_str).map(str::to_string)
}

/// The community of an indicator row: its `region_code` when its `level` is `community` (the
/// figure of one community); none for a region's row.
fn indicator_community(row: &Map<String, Value>) -> Option<String> {
    (row.get("level").and_then(Value::as_str) == Some("community"))
        .then(|| row.get("region_code").and_then(Value::as_str))
        .flatten()
        .map(str::to_string)
}

#[utoipa::path(post, path = "/api/assessments", tag = "assessments", request_body = AssessmentUpload,
    responses((status = 201, body = Object), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn import_assessment(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let up: AssessmentUpload = json_body(&body)?;
    let (headers, shortcomings) = csv_objects(&up.shortcomings_csv, "shortcomings.csv")?;
    let Some(community_col) = ["community_id", "community"]
        .into_iter()
        .find(|c| headers.iter().any(|h| h == c))
    else {
        return Err(AppError::field(
            "shortcomings_csv",
            "missing_column",
            "shortcomings.csv 缺少 community_id（或 community）列".into(),
            format!(
                "shortcomings.csv needs a community_id (or community) column; found {}",
                headers.join(", ")
            ),
        ));
    };
    let indicators = match &up.indicators_csv {
        Some(t) => csv_objects(t, "indicators.csv")?.1,
        None => Vec::new(),
    };
    let mut errors = Vec::new();
    let mut known: HashSet<String> = HashSet::new();
    let rows = shortcomings
        .iter()
        .map(|(line, row)| {
            (
                "shortcomings.csv",
                community_col,
                *line,
                shortcoming_community(row, community_col),
            )
        })
        .chain(indicators.iter().filter_map(|(line, row)| {
            indicator_community(row).map(|id| ("indicators.csv", "region_code", *line, Some(id)))
        }));
    for (file, col, line, id) in rows {
        let id = id.unwrap_or_default();
        if known.contains(&id) {
            continue;
        }
        if communities::exists(st.store.pool(), &id).await? {
            known.insert(id);
        } else if errors.len() < 20 {
            errors.push(FieldError {
                field: format!("{file} line {line}: {col}"),
                code: "unknown_reference",
                message_zh: format!("社区 {id} 不在社区库中"),
                message_en: format!("community '{id}' is not in the registry"),
            });
        }
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let mut tx = st.store.begin().await?;
    let label = up.label.unwrap_or_else(|| "assess".into());
    let run_id = insert_run(
        &mut tx,
        &NewRun {
            created_at: st.clock.now_ms(),
            created_by: c.user.as_ref().map(|u| u.id),
            label: &label,
            community_col,
            shortcomings: &shortcomings,
            indicators: &indicators,
        },
    )
    .await?;
    tx.audit(
        &c.actor(),
        "import",
        "assessment",
        &run_id.to_string(),
        json!({"shortcomings": shortcomings.len(), "indicators": indicators.len()}),
    )
    .await?;
    tx.commit().await?;
    let run = get_run(&st, run_id).await?;
    Ok((StatusCode::CREATED, Json(json!({"run": run}))))
}

/// GET /api/communities/{id}/assessment.
#[utoipa::path(get, path = "/api/communities/{id}/assessment", tag = "communities", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn community_assessment(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    if !communities::exists(st.store.pool(), &id).await? {
        return Err(AppError::not_found("community", &id));
    }
    let Some(run) = latest_run(&st).await? else {
        return Ok(Json(
            json!({"community_id": id, "run": null, "shortcomings": [], "indicators": []}),
        ));
    };
    let rows = run_rows(&st, run.id, "shortcoming", Some(&id)).await?;
    // The community's own figures (indicator rows at the `community` level).
    let indicators = run_rows(&st, run.id, "indicator", Some(&id)).await?;
    Ok(Json(
        json!({"community_id": id, "run": run, "shortcomings": rows, "indicators": indicators}),
    ))
}

/// GET /api/assessments/latest.
#[utoipa::path(get, path = "/api/assessments/latest", tag = "assessments",
    responses((status = 200, body = Object), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn latest_assessment(State(st): State<Arc<AppState>>) -> ApiResult<Json<Value>> {
    let Some(run) = latest_run(&st).await? else {
        return Ok(Json(json!({"run": null, "indicators": []})));
    };
    let rows = run_rows(&st, run.id, "indicator", None).await?;
    Ok(Json(json!({"run": run, "indicators": rows})))
}
