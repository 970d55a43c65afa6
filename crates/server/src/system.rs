//! Health, readiness, the vocabulary, the OpenAPI document and the two logs.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use lc_store::schema::{Table, ACCESS_LOG, AUDIT_LOG};
use lc_store::{schema_version, Backend, Cond};
use serde_json::{json, Value};

use crate::error::{ApiResult, AppError};
use crate::resources::{filter_value, page_of, page_params};
use crate::AppState;

/// GET /api/health.
pub async fn health() -> Json<Value> {
    Json(json!({"status": "ok", "service": "livingcircle", "version": env!("CARGO_PKG_VERSION")}))
}

/// GET /api/ready.
pub async fn ready(State(st): State<Arc<AppState>>) -> Response {
    let db = match st.store.backend() {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let version = match st.store.ping().await {
        Ok(()) => st.store.current_version().await.ok(),
        Err(_) => None,
    };
    let ok = version == Some(schema_version());
    let body = json!({"ready": ok, "database": db, "schema_version": version, "expected_schema_version": schema_version()});
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

/// GET /api/categories.
pub async fn categories() -> Json<Value> {
    let items: Vec<Value> = lc_model::CATEGORIES
        .iter()
        .map(|c| json!({"key": c.key, "zh": c.zh, "en": c.en, "group": c.group, "demand": c.demand, "capacity_unit": c.capacity_unit}))
        .collect();
    Json(json!({"items": items, "total": items.len()}))
}

/// GET /api/openapi.json.
pub async fn openapi(State(st): State<Arc<AppState>>) -> Json<Value> {
    Json(st.openapi.clone())
}

async fn log_list(
    st: &AppState,
    t: &Table,
    q: &HashMap<String, String>,
    filters: &[&'static str],
) -> ApiResult<Json<Value>> {
    let page = page_params(q)?;
    let mut conds = Vec::new();
    for f in filters {
        if let Some(v) = q.get(*f) {
            conds.push(Cond::Eq(f, filter_value(t, f, v)?));
        }
    }
    page_of(st, t, conds, page, true, |mut r| {
        if let Some(Value::String(s)) = r.get("detail") {
            let v = serde_json::from_str(s).unwrap_or(Value::Null);
            r.insert("detail".into(), v);
        }
        Value::Object(r)
    })
    .await
}

/// GET /api/audit.
pub async fn audit(
    State(st): State<Arc<AppState>>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    log_list(
        &st,
        &AUDIT_LOG,
        &q,
        &["entity", "entity_id", "actor_id", "action"],
    )
    .await
}

/// GET /api/access-log.
pub async fn access_log(
    State(st): State<Arc<AppState>>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    log_list(&st, &ACCESS_LOG, &q, &["entity", "entity_id", "user_id"]).await
}

/// Any unrouted path.
pub async fn not_found() -> AppError {
    AppError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "没有这个接口",
        "no such endpoint",
    )
}
