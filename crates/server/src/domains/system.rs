//! Health, readiness, the vocabulary and the OpenAPI document.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Json;
use axum::Router;
use lc_registry::Access;
use lc_store::{schema_version, Backend};
use serde_json::{json, Value};

use crate::endpoints::{ep, Endpoint, JSON};
use crate::error::AppError;
use crate::AppState;

/// The endpoints of this domain.
pub const ENDPOINTS: &[Endpoint] = &[
    ep!(
        "GET",
        "/api/health",
        Access::Public,
        "",
        "system",
        "Liveness: the process answers.",
        None,
        JSON
    ),
    ep!(
        "GET",
        "/api/ready",
        Access::Public,
        "",
        "system",
        "Readiness: the database answers and the schema is current.",
        None,
        JSON
    ),
    ep!(
        "GET",
        "/api/openapi.json",
        Access::Public,
        "",
        "system",
        "This API as an OpenAPI 3.1 document.",
        None,
        JSON
    ),
    ep!(
        "GET",
        "/api/categories",
        Access::Public,
        "",
        "system",
        "The facility category vocabulary of the engine.",
        None,
        JSON
    ),
];

/// The routes of this domain.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/health", get(health))
        .route("/api/ready", get(ready))
        .route("/api/openapi.json", get(openapi))
        .route("/api/categories", get(categories))
}

/// GET /api/health.
#[utoipa::path(get, path = "/api/health", tag = "system",
    responses((status = 200, body = Object), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn health() -> Json<Value> {
    Json(json!({"status": "ok", "service": "livingcircle", "version": env!("CARGO_PKG_VERSION")}))
}

/// GET /api/ready.
#[utoipa::path(get, path = "/api/ready", tag = "system",
    responses((status = 200, body = Object), (status = "default", body = crate::error::ErrorSchema)))]
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
#[utoipa::path(get, path = "/api/categories", tag = "system",
    responses((status = 200, body = Object), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn categories() -> Json<Value> {
    let items: Vec<Value> = lc_model::CATEGORIES
        .iter()
        .map(|c| json!({"key": c.key, "zh": c.zh, "en": c.en, "group": c.group, "demand": c.demand, "capacity_unit": c.capacity_unit}))
        .collect();
    Json(json!({"items": items, "total": items.len()}))
}

/// GET /api/openapi.json.
#[utoipa::path(get, path = "/api/openapi.json", tag = "system",
    responses((status = 200, body = Object), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn openapi(State(st): State<Arc<AppState>>) -> Json<Value> {
    Json(st.openapi.clone())
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
