//! 居民 Residents (personal data): rules in `lc_registry::records::ResidentInput`, repository,
//! routes and endpoint table. Community workers reach only their own community's residents, a
//! resident only their own record (and may change only its phone and address); an ID number
//! is stored masked and fingerprinted, once (unique index).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Json, Router};
use lc_registry::records::{merge_patch, parse_input, Input, Resident, ResidentInput};
use lc_registry::{mask_name, mask_phone, Access, Role};
use lc_store::sql::{fold, unique};
use lc_store::sqlx::{self, Any, AnyConnection, Executor};
use lc_store::{from_row, now_ms, Backend, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::bulk;
use crate::domains::{accounts, logs};
use crate::endpoints::{ep, Endpoint, CSV, JSON, OWN_COMMUNITY};
use crate::error::{ApiResult, AppError};
use crate::web::{self, Paged};
use crate::AppState;

use super::communities;
use Role::*;

/// The endpoints of this domain.
pub const ENDPOINTS: &[Endpoint] = &[
    ep!("GET", "/api/residents", Access::Roles(&[CommunityWorker, Admin]), OWN_COMMUNITY, "residents", "List residents (masked).", None, JSON),
    ep!("POST", "/api/residents", Access::Roles(&[CommunityWorker, Admin]), OWN_COMMUNITY, "residents", "Register a resident (the community must exist).", Some(JSON), JSON),
    ep!("GET", "/api/residents/export.csv", Access::Roles(&[CommunityWorker, Admin]), OWN_COMMUNITY, "residents", "Export residents (masked).", None, CSV),
    ep!("GET", "/api/residents/{id}", Access::Roles(&[Resident, CommunityWorker, Admin]), "resident: only their own record; community worker: only their own community", "residents", "One resident (name and phone in full; staff reads are logged).", None, JSON),
    ep!("PATCH", "/api/residents/{id}", Access::Roles(&[Resident, CommunityWorker, Admin]), "resident: only their own record's phone and address; community worker: only their own community", "residents", "Change a resident (If-Match: its version).", Some(JSON), JSON),
];

/// The routes of this domain.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/residents", get(list).post(create))
        .route("/api/residents/export.csv", get(export_csv))
        .route("/api/residents/{id}", get(read).patch(patch_one))
}

const PERSONAL: &[&str] = &["name", "phone", "address"];
/// What a resident may change of their own record.
const RESIDENT_SELF_FIELDS: &[&str] = &["phone", "address"];

/// A stored resident, as answered (never the ID number's fingerprint).
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct ResidentRow {
    pub id: i64,
    pub community_id: String,
    /// Masked in lists.
    pub name: String,
    /// Masked in lists.
    pub phone: Option<String>,
    pub id_number_masked: Option<String>,
    #[serde(skip)]
    pub id_number_hash: Option<String>,
    /// Masked in lists.
    pub address: Option<String>,
    pub user_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Raised by one on every change; send it as `If-Match` to update.
    pub version: i64,
}
from_row!(ResidentRow {
    id,
    community_id,
    name,
    phone,
    id_number_masked,
    id_number_hash,
    address,
    user_id,
    created_at,
    updated_at,
    version
});

impl ResidentRow {
    pub(crate) fn new(
        st: &AppState,
        r: Resident,
        id: i64,
        created_at: i64,
        version: i64,
    ) -> ResidentRow {
        let (masked, hash) = web::fingerprint_opt(st, r.resident_id.as_ref());
        ResidentRow {
            id,
            community_id: r.community_id,
            name: r.name,
            phone: r.phone,
            id_number_masked: masked,
            id_number_hash: hash,
            address: r.address,
            user_id: r.user_id,
            created_at,
            updated_at: now_ms(),
            version,
        }
    }

    fn input(&self) -> ResidentInput {
        ResidentInput {
            community_id: Some(self.community_id.clone()),
            name: Some(self.name.clone()),
            phone: self.phone.clone(),
            id_number: None,
            address: self.address.clone(),
            user_id: self.user_id,
        }
    }

    fn masked(mut self) -> ResidentRow {
        self.name = mask_name(&self.name);
        self.phone = self.phone.as_deref().map(mask_phone);
        self.address = self
            .address
            .as_deref()
            .map(|a| "*".repeat(a.chars().count().min(8)));
        self
    }
}

// --- Repository -------------------------------------------------------------------------------

macro_rules! cols {
    () => {
        "id, community_id, name, phone, id_number_masked, id_number_hash, address, user_id, created_at, updated_at, version"
    };
}

/// One resident.
pub async fn get_row<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
) -> Result<Option<ResidentRow>, StoreError> {
    Ok(
        sqlx::query_as(concat!("SELECT ", cols!(), " FROM residents WHERE id = $1"))
            .bind(id)
            .fetch_optional(ex)
            .await?,
    )
}

/// Who the list is restricted to.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// One community.
    pub community_id: Option<String>,
    /// One account's record.
    pub user_id: Option<i64>,
}

fn list_where(backend: Backend) -> String {
    format!(
        "WHERE ($1 IS NULL OR {} LIKE $1 ESCAPE '\\') AND ($2 IS NULL OR community_id = $2) AND ($3 IS NULL OR user_id = $3) AND ($4 IS NULL OR community_id = $4)",
        fold(backend, "name")
    )
}

/// Residents matching: a search, the caller's scope, a community filter; a page of them (all
/// when `page` is `None`) and how many match.
pub async fn list_rows(
    conn: &mut AnyConnection,
    backend: Backend,
    search: Option<String>,
    scope: &Scope,
    community: Option<String>,
    page: Option<web::Page>,
) -> Result<(Vec<ResidentRow>, i64), StoreError> {
    let wh = list_where(backend);
    let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM residents {wh}"))
        .bind(search.clone())
        .bind(scope.community_id.clone())
        .bind(scope.user_id)
        .bind(community.clone())
        .fetch_one(&mut *conn)
        .await?;
    let (limit, offset) = page.map(|p| (p.limit, p.offset)).unwrap_or((i64::MAX, 0));
    let rows = sqlx::query_as(&format!(
        "SELECT {} FROM residents {wh} ORDER BY id LIMIT $5 OFFSET $6",
        cols!()
    ))
    .bind(search)
    .bind(scope.community_id.clone())
    .bind(scope.user_id)
    .bind(community)
    .bind(limit)
    .bind(offset)
    .fetch_all(&mut *conn)
    .await?;
    Ok((rows, total))
}

/// Inserts a resident; its id (409 if the ID number is registered).
pub async fn insert(conn: &mut AnyConnection, r: &ResidentRow) -> Result<i64, StoreError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO residents (community_id, name, phone, id_number_masked, id_number_hash, address, user_id, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(r.community_id.clone())
    .bind(r.name.clone())
    .bind(r.phone.clone())
    .bind(r.id_number_masked.clone())
    .bind(r.id_number_hash.clone())
    .bind(r.address.clone())
    .bind(r.user_id)
    .bind(r.created_at)
    .bind(r.updated_at)
    .bind(r.version)
    .fetch_one(&mut *conn)
    .await
    .map_err(unique("ID number"))?;
    claim_id_number(conn, id, r.id_number_hash.as_deref()).await?;
    Ok(id)
}

/// Holds an ID-number fingerprint for a resident in `resident_id_numbers`, the national key
/// (migration 0019: `residents` is partitioned by province on PostgreSQL, where a unique index
/// could only be unique per community): whatever the resident held before is let go, and a
/// fingerprint another resident holds is a duplicate (409). Runs in the caller's transaction.
async fn claim_id_number(
    conn: &mut AnyConnection,
    resident: i64,
    hash: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM resident_id_numbers WHERE resident_id = $1")
        .bind(resident)
        .execute(&mut *conn)
        .await?;
    if let Some(hash) = hash {
        sqlx::query(
            "INSERT INTO resident_id_numbers (id_number_hash, resident_id) VALUES ($1, $2)",
        )
        .bind(hash.to_string())
        .bind(resident)
        .execute(&mut *conn)
        .await
        .map_err(unique("ID number"))?;
    }
    Ok(())
}

/// Compare-and-set update (see `communities::update`).
pub async fn update(
    conn: &mut AnyConnection,
    r: &ResidentRow,
    seen: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE residents SET community_id = $2, name = $3, phone = $4, id_number_masked = $5, id_number_hash = $6, address = $7, user_id = $8, updated_at = $9, version = version + 1 WHERE id = $1 AND version = $10",
    )
    .bind(r.id)
    .bind(r.community_id.clone())
    .bind(r.name.clone())
    .bind(r.phone.clone())
    .bind(r.id_number_masked.clone())
    .bind(r.id_number_hash.clone())
    .bind(r.address.clone())
    .bind(r.user_id)
    .bind(r.updated_at)
    .bind(seen)
    .execute(&mut *conn)
    .await
    .map_err(unique("ID number"))?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    claim_id_number(conn, r.id, r.id_number_hash.as_deref()).await?;
    Ok(true)
}

/// A resident's community must exist and their account, if named, be a resident's (checked
/// inside the write transaction).
pub(crate) async fn check_refs(conn: &mut AnyConnection, r: &Resident) -> ApiResult<()> {
    if !communities::exists(&mut *conn, &r.community_id).await? {
        return Err(web::unknown_reference(
            "community_id",
            "community",
            &r.community_id,
        ));
    }
    if let Some(uid) = r.user_id {
        if accounts::role_of(&mut *conn, uid).await?.as_deref() != Some("resident") {
            return Err(AppError::field(
                "user_id",
                "unknown_reference",
                format!("user_id {uid} 不是居民账户"),
                format!("user_id {uid} is not a resident account"),
            ));
        }
    }
    Ok(())
}

fn may_access(c: &Caller, r: &ResidentRow) -> bool {
    may_reach(c, &r.community_id, r.user_id)
}

fn may_reach(c: &Caller, community_id: &str, user_id: Option<i64>) -> bool {
    match &c.user {
        Some(u) if u.role == CommunityWorker => u.community_id.as_deref() == Some(community_id),
        Some(u) if u.role == Resident => user_id == Some(u.id),
        Some(_) => true,
        None => false,
    }
}

fn scope(c: &Caller) -> Scope {
    match &c.user {
        Some(u) if u.role == CommunityWorker => Scope {
            community_id: Some(u.community_id.clone().unwrap_or_default()),
            user_id: None,
        },
        Some(u) if u.role == Resident => Scope {
            community_id: None,
            user_id: Some(u.id),
        },
        _ => Scope::default(),
    }
}

fn key(id: &str) -> ApiResult<i64> {
    id.parse().map_err(|_| AppError::not_found("resident", id))
}

async fn shown(st: &AppState, c: &Caller, row: ResidentRow) -> ApiResult<ResidentRow> {
    let mut fields = vec!["name"];
    if row.phone.is_some() {
        fields.push("phone");
    }
    if row.address.is_some() {
        fields.push("address");
    }
    logs::record_access(st, c, "resident", &row.id.to_string(), &fields).await?;
    Ok(row)
}

// --- Handlers ---------------------------------------------------------------------------------

/// Query of the list and the export.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Search text (name).
    pub q: Option<String>,
    /// Community id.
    pub community_id: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    pub page: web::PageQuery,
}

/// GET /api/residents.
#[utoipa::path(get, path = "/api/residents", tag = "residents", params(ListQuery, web::PageQuery),
    responses((status = 200, body = Paged<ResidentRow>), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Paged<ResidentRow>>> {
    let page = q.page.page()?;
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let (rows, total) = list_rows(
        &mut conn,
        st.store.backend(),
        web::search_param(&q.q),
        &scope(&c),
        q.community_id.clone(),
        Some(page),
    )
    .await?;
    let rows = rows.into_iter().map(ResidentRow::masked).collect();
    Ok(Json(Paged::new(rows, total, page)))
}

/// GET /api/residents/export.csv: masked, scoped to the caller's community.
#[utoipa::path(get, path = "/api/residents/export.csv", tag = "residents", params(ListQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn export_csv(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Response> {
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let (rows, _) = list_rows(
        &mut conn,
        st.store.backend(),
        web::search_param(&q.q),
        &scope(&c),
        q.community_id.clone(),
        None,
    )
    .await?;
    let cols = [
        "id",
        "community_id",
        "name",
        "phone",
        "id_number_masked",
        "address",
    ];
    let values: Vec<Value> = rows
        .into_iter()
        .map(|r| serde_json::to_value(r.masked()).unwrap_or(Value::Null))
        .collect();
    bulk::csv_of_values("residents.csv", &cols, &values)
}

/// GET /api/residents/{id}.
#[utoipa::path(get, path = "/api/residents/{id}", tag = "residents", params(("id" = i64, Path)),
    responses((status = 200, body = ResidentRow), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn read(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<ResidentRow>> {
    let row = get_row(st.store.pool(), key(&id)?)
        .await?
        .ok_or_else(|| AppError::not_found("resident", &id))?;
    if !may_access(&c, &row) {
        return Err(web::forbidden_record("resident"));
    }
    Ok(Json(shown(&st, &c, row).await?))
}

/// POST /api/residents: a community worker's new resident takes their community.
#[utoipa::path(post, path = "/api/residents", tag = "residents", request_body = ResidentInput,
    responses((status = 201, body = ResidentRow), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<ResidentRow>)> {
    let mut obj = web::json_object(&body)?;
    if let Some(u) = c.user.as_ref().filter(|u| u.role == CommunityWorker) {
        obj.entry("community_id").or_insert(json!(u.community_id));
    }
    let input: ResidentInput = parse_input(Value::Object(obj)).map_err(web::invalid)?;
    let checked = input.check().map_err(web::invalid)?;
    if !may_reach(&c, &checked.community_id, checked.user_id) {
        return Err(web::forbidden_record("resident"));
    }
    let mut row = ResidentRow::new(&st, checked.clone(), 0, now_ms(), 0);
    let mut tx = st.store.begin().await?;
    check_refs(tx.conn(), &checked).await?;
    row.id = insert(tx.conn(), &row).await?;
    tx.audit(
        &c.actor(),
        "create",
        "resident",
        &row.id.to_string(),
        web::changes(None, &row, PERSONAL),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// PATCH /api/residents/{id} (compare-and-set; see `communities::patch_one`).
#[utoipa::path(patch, path = "/api/residents/{id}", tag = "residents",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header, description = "The version the change is made against")),
    request_body = ResidentInput,
    responses((status = 200, body = ResidentRow), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn patch_one(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<ResidentRow>> {
    let expected = web::if_match(&headers)?;
    let patch = web::json_object(&body)?;
    let k = key(&id)?;
    let mut tx = st.store.begin().await?;
    let stored = get_row(tx.conn(), k)
        .await?
        .ok_or_else(|| AppError::not_found("resident", &id))?;
    if !may_access(&c, &stored) {
        return Err(web::forbidden_record("resident"));
    }
    if c.is(Resident) {
        if let Some(f) = patch
            .keys()
            .find(|f| !RESIDENT_SELF_FIELDS.contains(&f.as_str()))
        {
            return Err(AppError::forbidden(
                format!("无权修改字段 {f}"),
                format!("the caller may not change {f}"),
            ));
        }
    }
    if expected.is_some_and(|v| v != stored.version) {
        return Err(web::conflict("resident", &id));
    }
    let checked = merge_patch(&stored.input(), &Value::Object(patch))
        .and_then(|i| i.check())
        .map_err(web::invalid)?;
    if !may_reach(&c, &checked.community_id, checked.user_id) {
        return Err(web::forbidden_record("resident"));
    }
    check_refs(tx.conn(), &checked).await?;
    let mut row = ResidentRow::new(&st, checked, k, stored.created_at, stored.version);
    if row.id_number_hash.is_none() {
        // No new ID number sent: the stored one stays.
        row.id_number_masked = stored.id_number_masked.clone();
        row.id_number_hash = stored.id_number_hash.clone();
    }
    if !update(tx.conn(), &row, stored.version).await? {
        return Err(web::conflict("resident", &id));
    }
    row.version += 1;
    tx.audit(
        &c.actor(),
        "update",
        "resident",
        &id,
        web::changes(Some(&stored), &row, PERSONAL),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(shown(&st, &c, row).await?))
}
