//! 行政区划 Divisions: the national list is imported in bulk (`lc_store::Store::import_divisions`);
//! by hand a division is created (its parent must exist) or renamed. Rules in
//! `lc_registry::records::DivisionInput`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Extension, Json, Router};
use lc_registry::records::{merge_patch, parse_input, Division, DivisionInput, Input};
use lc_registry::{Access, DivisionCode, Role};
use lc_store::sql::{fold, prefix_pattern, unique};
use lc_store::sqlx::{self, Any, AnyConnection, Executor};
use lc_store::{from_row, now_ms, Backend, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::auth::Caller;
use crate::endpoints::{ep, Endpoint, JSON};
use crate::error::{ApiResult, AppError};
use crate::web::{self, Paged};
use crate::AppState;

/// The endpoints of this domain.
pub const ENDPOINTS: &[Endpoint] = &[
    ep!(
        "GET",
        "/api/divisions",
        Access::Public,
        "",
        "divisions",
        "List or search divisions (q, name, parent_code, level, division prefix).",
        None,
        JSON
    ),
    ep!(
        "GET",
        "/api/divisions/{code}",
        Access::Public,
        "",
        "divisions",
        "One division by statistical code, with its parent chain.",
        None,
        JSON
    ),
    ep!(
        "POST",
        "/api/divisions",
        Access::Roles(&[Role::Admin]),
        "",
        "divisions",
        "Create a division (its parent must exist).",
        Some(JSON),
        JSON
    ),
    ep!(
        "PATCH",
        "/api/divisions/{code}",
        Access::Roles(&[Role::Admin]),
        "",
        "divisions",
        "Rename a division (If-Match: its version).",
        Some(JSON),
        JSON
    ),
];

/// The routes of this domain.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/divisions", get(list).post(create))
        .route("/api/divisions/{code}", get(read).patch(patch_one))
}

/// A stored division, as listed.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct DivisionRow {
    pub code: String,
    pub name: String,
    /// 1 province … 5 committee.
    pub level: i64,
    pub parent_code: Option<String>,
    pub updated_at: i64,
    /// Raised by one on every change; send it as `If-Match` to update.
    pub version: i64,
}
from_row!(DivisionRow {
    code,
    name,
    level,
    parent_code,
    updated_at,
    version
});

impl DivisionRow {
    fn new(d: Division, version: i64) -> DivisionRow {
        DivisionRow {
            code: d.code.as_str().to_string(),
            name: d.name,
            level: d.code.level().number(),
            parent_code: d.code.parent().map(|p| p.to_string()),
            updated_at: now_ms(),
            version,
        }
    }
}

/// A division in a parent chain.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DivisionLink {
    pub code: String,
    pub name: String,
    pub level: i64,
}

/// One division with its parents (province first) and how many children it has.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DivisionDetail {
    #[serde(flatten)]
    pub division: DivisionRow,
    pub parents: Vec<DivisionLink>,
    pub children: i64,
}

// --- Repository -------------------------------------------------------------------------------

/// One division.
pub async fn get_row<'c>(
    ex: impl Executor<'c, Database = Any>,
    code: &str,
) -> Result<Option<DivisionRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT code, name, level, parent_code, updated_at, version FROM divisions WHERE code = $1",
    )
    .bind(code.to_string())
    .fetch_optional(ex)
    .await?)
}

/// Whether a division exists.
pub async fn exists<'c>(
    ex: impl Executor<'c, Database = Any>,
    code: &str,
) -> Result<bool, StoreError> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM divisions WHERE code = $1")
        .bind(code.to_string())
        .fetch_one(ex)
        .await?;
    Ok(n > 0)
}

/// How many children a division has.
pub async fn children<'c>(
    ex: impl Executor<'c, Database = Any>,
    code: &str,
) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM divisions WHERE parent_code = $1")
            .bind(code.to_string())
            .fetch_one(ex)
            .await?,
    )
}

/// The list's filters.
#[derive(Debug, Default)]
pub struct DivisionFilter {
    search: Option<String>,
    prefix: Option<String>,
    name: Option<String>,
    level: Option<i64>,
    parent_code: Option<String>,
}

/// A page of divisions and how many match.
pub async fn list_rows(
    conn: &mut AnyConnection,
    backend: Backend,
    f: &DivisionFilter,
    page: web::Page,
) -> Result<(Vec<DivisionRow>, i64), StoreError> {
    let wh = format!(
        "WHERE ($1 IS NULL OR {} LIKE $1 ESCAPE '\\') AND ($2 IS NULL OR code LIKE $2 ESCAPE '\\') AND ($3 IS NULL OR name = $3) AND ($4 IS NULL OR level = $4) AND ($5 IS NULL OR parent_code = $5)",
        fold(backend, "name")
    );
    let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM divisions {wh}"))
        .bind(f.search.clone())
        .bind(f.prefix.clone())
        .bind(f.name.clone())
        .bind(f.level)
        .bind(f.parent_code.clone())
        .fetch_one(&mut *conn)
        .await?;
    let rows = sqlx::query_as(&format!(
        "SELECT code, name, level, parent_code, updated_at, version FROM divisions {wh} ORDER BY code LIMIT $6 OFFSET $7"
    ))
    .bind(f.search.clone())
    .bind(f.prefix.clone())
    .bind(f.name.clone())
    .bind(f.level)
    .bind(f.parent_code.clone())
    .bind(page.limit)
    .bind(page.offset)
    .fetch_all(&mut *conn)
    .await?;
    Ok((rows, total))
}

/// Inserts a division (409 if the code exists).
pub async fn insert(conn: &mut AnyConnection, r: &DivisionRow) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO divisions (code, name, level, parent_code, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(r.code.clone())
    .bind(r.name.clone())
    .bind(r.level)
    .bind(r.parent_code.clone())
    .bind(r.updated_at)
    .bind(r.version)
    .execute(conn)
    .await
    .map_err(unique("code"))?;
    Ok(())
}

/// Compare-and-set rename (see `communities::update`).
pub async fn update(
    conn: &mut AnyConnection,
    r: &DivisionRow,
    seen: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE divisions SET name = $2, updated_at = $3, version = version + 1 WHERE code = $1 AND version = $4",
    )
    .bind(r.code.clone())
    .bind(r.name.clone())
    .bind(r.updated_at)
    .bind(seen)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

async fn check_refs(conn: &mut AnyConnection, d: &Division) -> ApiResult<()> {
    if let Some(p) = d.code.parent() {
        if !exists(conn, p.as_str()).await? {
            return Err(web::unknown_reference("code", "division", p.as_str()));
        }
    }
    Ok(())
}

// --- Handlers ---------------------------------------------------------------------------------

/// Query of the list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Search text (name).
    pub q: Option<String>,
    /// Division code prefix (1-12 digits).
    pub division: Option<String>,
    /// Exact name.
    pub name: Option<String>,
    /// Level, 1-5.
    #[param(value_type = Option<i64>)]
    pub level: Option<String>,
    /// Parent code.
    pub parent_code: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    pub page: web::PageQuery,
}

/// GET /api/divisions.
#[utoipa::path(get, path = "/api/divisions", tag = "divisions", params(ListQuery, web::PageQuery),
    responses((status = 200, body = Paged<DivisionRow>), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn list(
    State(st): State<Arc<AppState>>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Paged<DivisionRow>>> {
    let page = q.page.page()?;
    let f = DivisionFilter {
        search: web::search_param(&q.q),
        prefix: web::division_param(&q.division)?.map(|d| prefix_pattern(&d)),
        name: q.name.clone(),
        level: web::int_param("level", &q.level)?,
        parent_code: q.parent_code.clone(),
    };
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let (rows, total) = list_rows(&mut conn, st.store.backend(), &f, page).await?;
    Ok(Json(Paged::new(rows, total, page)))
}

async fn detail(st: &AppState, code: &str) -> ApiResult<DivisionDetail> {
    let division = get_row(st.store.pool(), code)
        .await?
        .ok_or_else(|| AppError::not_found("division", code))?;
    let mut parents = Vec::new();
    let mut cur = DivisionCode::parse(code).ok().and_then(|d| d.parent());
    while let Some(p) = cur {
        if let Some(row) = get_row(st.store.pool(), p.as_str()).await? {
            parents.push(DivisionLink {
                code: row.code,
                name: row.name,
                level: row.level,
            });
        }
        cur = p.parent();
    }
    parents.reverse();
    let children = children(st.store.pool(), code).await?;
    Ok(DivisionDetail {
        division,
        parents,
        children,
    })
}

/// GET /api/divisions/{code}: the division with its chain of parents.
#[utoipa::path(get, path = "/api/divisions/{code}", tag = "divisions", params(("code" = String, Path)),
    responses((status = 200, body = DivisionDetail), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn read(
    State(st): State<Arc<AppState>>,
    Path(code): Path<String>,
) -> ApiResult<Json<DivisionDetail>> {
    Ok(Json(detail(&st, &code).await?))
}

/// POST /api/divisions.
#[utoipa::path(post, path = "/api/divisions", tag = "divisions", request_body = DivisionInput,
    responses((status = 201, body = DivisionRow), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<DivisionRow>)> {
    let input: DivisionInput =
        parse_input(Value::Object(web::json_object(&body)?)).map_err(web::invalid)?;
    let checked = input.check().map_err(web::invalid)?;
    let row = DivisionRow::new(checked.clone(), 0);
    let mut tx = st.store.begin().await?;
    check_refs(tx.conn(), &checked).await?;
    insert(tx.conn(), &row).await?;
    tx.audit(
        &c.actor(),
        "create",
        "division",
        &row.code,
        web::changes(None, &row, &[]),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// PATCH /api/divisions/{code}: rename (compare-and-set; see `communities::patch_one`).
#[utoipa::path(patch, path = "/api/divisions/{code}", tag = "divisions",
    params(("code" = String, Path), ("If-Match" = Option<String>, Header, description = "The version the change is made against")),
    request_body = DivisionInput,
    responses((status = 200, body = DivisionRow), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn patch_one(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<DivisionRow>> {
    let expected = web::if_match(&headers)?;
    let patch = Value::Object(web::json_object(&body)?);
    let mut tx = st.store.begin().await?;
    let stored = get_row(tx.conn(), &code)
        .await?
        .ok_or_else(|| AppError::not_found("division", &code))?;
    if expected.is_some_and(|v| v != stored.version) {
        return Err(web::conflict("division", &code));
    }
    let base = DivisionInput {
        code: Some(stored.code.clone()),
        name: Some(stored.name.clone()),
    };
    let checked = merge_patch(&base, &patch)
        .and_then(|i| i.check())
        .map_err(web::invalid)?;
    let mut row = DivisionRow::new(checked, stored.version);
    if !update(tx.conn(), &row, stored.version).await? {
        return Err(web::conflict("division", &code));
    }
    tx.audit(
        &c.actor(),
        "update",
        "division",
        &code,
        web::changes(Some(&stored), &row, &[]),
    )
    .await?;
    tx.commit().await?;
    row.version += 1;
    Ok(Json(row))
}
