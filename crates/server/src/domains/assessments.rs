//! 评估 Imported assessment runs (`livingcircle assess` outputs): routes and endpoint table.
//!
//! Coupling to `livingcircle assess`: an assessment run is imported from its
//! `shortcomings.csv` and `indicators.csv`. Only one column is interpreted, the community
//! (`community_id` or `community`) of each shortcoming; every other column is kept as it is,
//! so the assessment's columns can grow without a change here.

use std::collections::HashSet;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use lc_registry::{Access, FieldError};
use lc_store::schema::{Table, ASSESSMENT_ROWS, ASSESSMENT_RUNS, COMMUNITIES};
use lc_store::{now_ms, Cond, ListQuery};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::auth::Caller;
use crate::endpoints::{ep, Endpoint, JSON, STAFF_WRITE};
use crate::error::{ApiResult, AppError};
use crate::web::json_body;
use crate::AppState;

/// Rows of one run at most.
const EXPORT_LIMIT: i64 = 5_000_000;

/// The endpoints of this domain.
pub const ENDPOINTS: &[Endpoint] = &[
    ep!(
        "GET",
        "/api/communities/{id}/assessment",
        Access::Public,
        "",
        "communities",
        "The latest imported assessment's shortcomings of a community.",
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
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssessmentUpload {
    label: Option<String>,
    shortcomings_csv: String,
    indicators_csv: Option<String>,
}

/// Parses a CSV text into (line, object of header → cell) rows.
type CsvRows = Vec<(u64, Map<String, Value>)>;

fn csv_objects(text: &str, file: &str) -> ApiResult<(Vec<String>, CsvRows)> {
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
    for (line, row) in &shortcomings {
        let id = row
            .get(community_col)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if known.contains(&id) {
            continue;
        }
        if st.store.get(&COMMUNITIES, &json!(id)).await?.is_some() {
            known.insert(id);
        } else if errors.len() < 20 {
            errors.push(FieldError {
                field: format!("shortcomings.csv line {line}: {community_col}"),
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
    let mut run = Map::new();
    run.insert("created_at".into(), json!(now_ms()));
    run.insert("created_by".into(), json!(c.user.as_ref().map(|u| u.id)));
    run.insert(
        "label".into(),
        json!(up.label.unwrap_or_else(|| "assess".into())),
    );
    run.insert("shortcomings".into(), json!(shortcomings.len()));
    run.insert("indicators".into(), json!(indicators.len()));
    let run_id = tx.insert(&ASSESSMENT_RUNS, &run).await?;
    let mut batch = Vec::with_capacity(shortcomings.len() + indicators.len());
    for (kind, rows) in [("shortcoming", &shortcomings), ("indicator", &indicators)] {
        for (line, data) in rows {
            let mut r = Map::new();
            r.insert("run_id".into(), run_id.clone());
            r.insert("kind".into(), json!(kind));
            r.insert("line".into(), json!(line));
            r.insert(
                "community_id".into(),
                if kind == "shortcoming" {
                    data.get(community_col).cloned().unwrap_or(Value::Null)
                } else {
                    Value::Null
                },
            );
            r.insert(
                "data".into(),
                json!(Value::Object(data.clone()).to_string()),
            );
            batch.push(r);
        }
    }
    tx.insert_many(&ASSESSMENT_ROWS, &batch).await?;
    tx.audit(
        &c.actor(),
        "import",
        "assessment",
        &run_id.to_string(),
        json!({"shortcomings": shortcomings.len(), "indicators": indicators.len()}),
    )
    .await?;
    tx.commit().await?;
    let run = st.store.get(&ASSESSMENT_RUNS, &run_id).await?;
    Ok((StatusCode::CREATED, Json(json!({"run": run}))))
}

async fn latest_run(st: &AppState) -> ApiResult<Option<Map<String, Value>>> {
    Ok(st
        .store
        .find(
            &ASSESSMENT_RUNS,
            ListQuery {
                conds: vec![],
                limit: 1,
                offset: 0,
                desc: true,
            },
        )
        .await?
        .into_iter()
        .next())
}

async fn run_rows(st: &AppState, t: &Table, conds: Vec<Cond>) -> ApiResult<Vec<Value>> {
    Ok(st
        .store
        .find(t, ListQuery::new(conds, EXPORT_LIMIT))
        .await?
        .into_iter()
        .map(|r| {
            r.get("data")
                .and_then(Value::as_str)
                .and_then(|s| serde_json::from_str(s).ok())
                .unwrap_or(Value::Null)
        })
        .collect())
}

/// GET /api/communities/{id}/assessment.
pub async fn community_assessment(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    if st.store.get(&COMMUNITIES, &json!(id)).await?.is_none() {
        return Err(AppError::not_found("community", &id));
    }
    let Some(run) = latest_run(&st).await? else {
        return Ok(Json(
            json!({"community_id": id, "run": null, "shortcomings": []}),
        ));
    };
    let rows = run_rows(
        &st,
        &ASSESSMENT_ROWS,
        vec![
            Cond::Eq("run_id", run["id"].clone()),
            Cond::Eq("kind", json!("shortcoming")),
            Cond::Eq("community_id", json!(id)),
        ],
    )
    .await?;
    Ok(Json(
        json!({"community_id": id, "run": run, "shortcomings": rows}),
    ))
}

/// GET /api/assessments/latest.
pub async fn latest_assessment(State(st): State<Arc<AppState>>) -> ApiResult<Json<Value>> {
    let Some(run) = latest_run(&st).await? else {
        return Ok(Json(json!({"run": null, "indicators": []})));
    };
    let rows = run_rows(
        &st,
        &ASSESSMENT_ROWS,
        vec![
            Cond::Eq("run_id", run["id"].clone()),
            Cond::Eq("kind", json!("indicator")),
        ],
    )
    .await?;
    Ok(Json(json!({"run": run, "indicators": rows})))
}
