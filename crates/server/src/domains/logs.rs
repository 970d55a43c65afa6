//! The audit trail (every change, written in the change's transaction by `lc_store::Tx::audit`)
//! and the access log (staff reads of personal data): repository, routes, endpoint table.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use lc_registry::{Access, Role};
use lc_store::sqlx;
use lc_store::{from_row, now_ms, StoreError};
use serde::{Deserialize, Serialize};

use crate::auth::Caller;
use crate::endpoints::{ep, Endpoint, JSON, STAFF_WRITE};
use crate::error::ApiResult;
use crate::web::{self, json_text, Paged};
use crate::AppState;

/// The endpoints of this domain.
pub const ENDPOINTS: &[Endpoint] = &[
    ep!(
        "GET",
        "/api/audit",
        STAFF_WRITE,
        "",
        "logs",
        "The audit trail of changes (entity, entity_id, actor_id, action filters).",
        None,
        JSON
    ),
    ep!(
        "GET",
        "/api/access-log",
        Access::Roles(&[Role::Admin]),
        "",
        "logs",
        "Staff reads of personal data.",
        None,
        JSON
    ),
];

/// The routes of this domain.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/audit", get(audit))
        .route("/api/access-log", get(access_log))
}

/// An audit entry.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub actor_id: Option<i64>,
    pub actor_role: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    /// The server's id of the request that made the change.
    pub request_id: Option<String>,
    /// What changed (`{field: {from, to}}`; personal fields by name only).
    #[serde(serialize_with = "json_text")]
    #[schema(value_type = Object)]
    pub detail: Option<String>,
}
from_row!(AuditEntry {
    id,
    at,
    actor_id,
    actor_role,
    action,
    entity,
    entity_id,
    request_id,
    detail
});

/// A staff read of personal data.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AccessEntry {
    pub id: i64,
    pub at: i64,
    pub user_id: i64,
    pub role: String,
    pub entity: String,
    pub entity_id: String,
    /// The personal fields shown, comma-separated.
    pub fields: String,
    pub request_id: Option<String>,
}
from_row!(AccessEntry {
    id,
    at,
    user_id,
    role,
    entity,
    entity_id,
    fields,
    request_id
});

/// Writes an access-log entry for a staff member's read of personal fields (nothing for others).
pub async fn record_access(
    st: &AppState,
    c: &Caller,
    entity: &str,
    entity_id: &str,
    fields: &[&str],
) -> ApiResult<()> {
    let Some(u) = c.user.as_ref().filter(|u| u.role.is_staff()) else {
        return Ok(());
    };
    let mut tx = st.store.begin().await?;
    sqlx::query(
        "INSERT INTO access_log (at, user_id, role, entity, entity_id, fields, request_id) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(now_ms())
    .bind(u.id)
    .bind(u.role.key().to_string())
    .bind(entity.to_string())
    .bind(entity_id.to_string())
    .bind(fields.join(","))
    .bind(c.request_id.clone())
    .execute(tx.conn())
    .await
    .map_err(StoreError::from)?;
    tx.commit().await?;
    Ok(())
}

/// Query of the audit trail.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    #[param(value_type = Option<i64>)]
    pub actor_id: Option<String>,
    pub action: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    pub page: web::PageQuery,
}

/// GET /api/audit: newest first.
#[utoipa::path(get, path = "/api/audit", tag = "logs", params(AuditQuery, web::PageQuery),
    responses((status = 200, body = Paged<AuditEntry>), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn audit(
    State(st): State<Arc<AppState>>,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Json<Paged<AuditEntry>>> {
    let page = q.page.page()?;
    let actor = web::int_param("actor_id", &q.actor_id)?;
    const WHERE: &str = "WHERE ($1 IS NULL OR entity = $1) AND ($2 IS NULL OR entity_id = $2) AND ($3 IS NULL OR actor_id = $3) AND ($4 IS NULL OR action = $4)";
    let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM audit_log {WHERE}"))
        .bind(q.entity.clone())
        .bind(q.entity_id.clone())
        .bind(actor)
        .bind(q.action.clone())
        .fetch_one(st.store.pool())
        .await
        .map_err(StoreError::from)?;
    let items = sqlx::query_as(&format!(
        "SELECT id, at, actor_id, actor_role, action, entity, entity_id, request_id, detail FROM audit_log {WHERE} ORDER BY id DESC LIMIT $5 OFFSET $6"
    ))
    .bind(q.entity.clone())
    .bind(q.entity_id.clone())
    .bind(actor)
    .bind(q.action.clone())
    .bind(page.limit)
    .bind(page.offset)
    .fetch_all(st.store.pool())
    .await
    .map_err(StoreError::from)?;
    Ok(Json(Paged::new(items, total, page)))
}

/// Query of the access log.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccessQuery {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    #[param(value_type = Option<i64>)]
    pub user_id: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    pub page: web::PageQuery,
}

/// GET /api/access-log: newest first.
#[utoipa::path(get, path = "/api/access-log", tag = "logs", params(AccessQuery, web::PageQuery),
    responses((status = 200, body = Paged<AccessEntry>), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn access_log(
    State(st): State<Arc<AppState>>,
    Query(q): Query<AccessQuery>,
) -> ApiResult<Json<Paged<AccessEntry>>> {
    let page = q.page.page()?;
    let user = web::int_param("user_id", &q.user_id)?;
    const WHERE: &str = "WHERE ($1 IS NULL OR entity = $1) AND ($2 IS NULL OR entity_id = $2) AND ($3 IS NULL OR user_id = $3)";
    let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM access_log {WHERE}"))
        .bind(q.entity.clone())
        .bind(q.entity_id.clone())
        .bind(user)
        .fetch_one(st.store.pool())
        .await
        .map_err(StoreError::from)?;
    let items = sqlx::query_as(&format!(
        "SELECT id, at, user_id, role, entity, entity_id, fields, request_id FROM access_log {WHERE} ORDER BY id DESC LIMIT $4 OFFSET $5"
    ))
    .bind(q.entity.clone())
    .bind(q.entity_id.clone())
    .bind(user)
    .bind(page.limit)
    .bind(page.offset)
    .fetch_all(st.store.pool())
    .await
    .map_err(StoreError::from)?;
    Ok(Json(Paged::new(items, total, page)))
}
