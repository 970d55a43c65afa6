//! The register of elderly people in special difficulty and the entitlement rules: rows,
//! repository, handlers. Checks in `lc_services::care`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, patch};
use axum::{Extension, Json, Router};
use lc_registry::mask_name;
use lc_registry::records::{merge_patch, parse_input, Input};
use lc_services::care::{
    join_categories, split_categories, Category, Entitlement, EntitlementInput, RegisterEntry,
    RegisterInput, CATEGORIES,
};
use lc_store::sql::unique;
use lc_store::sqlx::{self, Any, AnyConnection, Executor};
use lc_store::{from_row, now_ms, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::auth::Caller;
use crate::domains::registry::residents;
use crate::domains::{accounts, logs};
use crate::error::{ApiResult, AppError};
use crate::web::{self, Paged};
use crate::AppState;

use super::{community_scope, may_reach, path_id};

/// The routes of the register and the entitlements.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/care/categories", get(categories))
        .route("/api/care/register", get(list).post(create))
        .route("/api/care/register/{id}", get(read).patch(patch_one))
        .route(
            "/api/care/entitlements",
            get(list_entitlements).post(create_entitlement),
        )
        .route("/api/care/entitlements/{id}", patch(patch_entitlement))
}

const PERSONAL: &[&str] = &["notes", "visitor_name", "resident_name"];

/// A register entry as stored and answered.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct RegisterRow {
    pub id: i64,
    pub resident_id: i64,
    /// The resident's community (taken from the registry on every change).
    pub community_id: String,
    /// Category keys, comma-separated as stored; `category_list` below.
    #[serde(skip)]
    pub categories: String,
    /// First day in the register.
    pub since_date: String,
    /// Last day in the register, if they left.
    pub until_date: Option<String>,
    pub visitor_user_id: Option<i64>,
    /// Masked in lists.
    pub visitor_name: Option<String>,
    /// Masked in lists.
    pub notes: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Raised by one on every change; send it as `If-Match` to update.
    pub version: i64,
}
from_row!(RegisterRow {
    id,
    resident_id,
    community_id,
    categories,
    since_date,
    until_date,
    visitor_user_id,
    visitor_name,
    notes,
    created_at,
    updated_at,
    version
});

/// A register entry with its categories and the resident's name, as answered.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegisterView {
    #[serde(flatten)]
    pub row: RegisterRow,
    /// Category keys.
    pub category_list: Vec<String>,
    /// The resident's name (masked in lists).
    pub resident_name: Option<String>,
}

impl RegisterRow {
    /// A new row of a checked entry in the resident's community.
    pub(crate) fn new(
        e: &RegisterEntry,
        community_id: String,
        id: i64,
        created_at: i64,
        version: i64,
    ) -> RegisterRow {
        RegisterRow {
            id,
            resident_id: e.resident_id,
            community_id,
            categories: join_categories(&e.categories),
            since_date: e.since.to_string(),
            until_date: e.until.map(|d| d.to_string()),
            visitor_user_id: e.visitor_user_id,
            visitor_name: e.visitor_name.clone(),
            notes: e.notes.clone(),
            created_at,
            updated_at: now_ms(),
            version,
        }
    }

    fn input(&self) -> RegisterInput {
        RegisterInput {
            resident_id: Some(self.resident_id),
            categories: Some(split_categories(&self.categories)),
            since: Some(self.since_date.clone()),
            until: self.until_date.clone(),
            visitor_user_id: self.visitor_user_id,
            visitor_name: self.visitor_name.clone(),
            notes: self.notes.clone(),
        }
    }

    /// The checked entry of the stored row.
    pub fn entry(&self) -> ApiResult<RegisterEntry> {
        self.input().check().map_err(|e| {
            AppError::internal(format!(
                "stored register entry {} fails its check: {e:?}",
                self.id
            ))
        })
    }

    fn view(self, resident_name: Option<String>) -> RegisterView {
        RegisterView {
            category_list: split_categories(&self.categories),
            row: self,
            resident_name,
        }
    }

    fn masked(mut self) -> RegisterRow {
        self.notes = self.notes.map(|_| "***".to_string());
        self.visitor_name = self.visitor_name.as_deref().map(mask_name);
        self
    }
}

// --- Repository -------------------------------------------------------------------------------

macro_rules! cols {
    () => {
        "id, resident_id, community_id, categories, since_date, until_date, visitor_user_id, visitor_name, notes, created_at, updated_at, version"
    };
}

/// One register entry.
pub async fn get_row<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
) -> Result<Option<RegisterRow>, StoreError> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        cols!(),
        " FROM care_register WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(ex)
    .await?)
}

/// A resident's register entry.
pub async fn of_resident<'c>(
    ex: impl Executor<'c, Database = Any>,
    resident_id: i64,
) -> Result<Option<RegisterRow>, StoreError> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        cols!(),
        " FROM care_register WHERE resident_id = $1"
    ))
    .bind(resident_id)
    .fetch_optional(ex)
    .await?)
}

/// Every entry of a community (or all), by id.
pub async fn all_rows(
    conn: &mut AnyConnection,
    community: Option<String>,
) -> Result<Vec<RegisterRow>, StoreError> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        cols!(),
        " FROM care_register WHERE ($1 IS NULL OR community_id = $1) ORDER BY id"
    ))
    .bind(community)
    .fetch_all(conn)
    .await?)
}

const LIST_WHERE: &str = "WHERE ($1 IS NULL OR community_id = $1) AND ($2 IS NULL OR community_id = $2) AND ($3 IS NULL OR (',' || categories || ',') LIKE $3)";

async fn list_rows(
    conn: &mut AnyConnection,
    scope: Option<String>,
    community: Option<String>,
    category: Option<String>,
    page: web::Page,
) -> Result<(Vec<RegisterRow>, i64), StoreError> {
    let pattern = category.map(|c| format!("%,{},%", lc_store::sql::escape_like(&c)));
    let total: i64 =
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM care_register {LIST_WHERE}"))
            .bind(scope.clone())
            .bind(community.clone())
            .bind(pattern.clone())
            .fetch_one(&mut *conn)
            .await?;
    let rows = sqlx::query_as(&format!(
        "SELECT {} FROM care_register {LIST_WHERE} ORDER BY id LIMIT $4 OFFSET $5",
        cols!()
    ))
    .bind(scope)
    .bind(community)
    .bind(pattern)
    .bind(page.limit)
    .bind(page.offset)
    .fetch_all(&mut *conn)
    .await?;
    Ok((rows, total))
}

pub(crate) async fn insert(conn: &mut AnyConnection, r: &RegisterRow) -> Result<i64, StoreError> {
    sqlx::query_scalar(
        "INSERT INTO care_register (resident_id, community_id, categories, since_date, until_date, visitor_user_id, visitor_name, notes, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(r.resident_id)
    .bind(r.community_id.clone())
    .bind(r.categories.clone())
    .bind(r.since_date.clone())
    .bind(r.until_date.clone())
    .bind(r.visitor_user_id)
    .bind(r.visitor_name.clone())
    .bind(r.notes.clone())
    .bind(r.created_at)
    .bind(r.updated_at)
    .bind(r.version)
    .fetch_one(conn)
    .await
    .map_err(unique("resident_id"))
}

async fn update(conn: &mut AnyConnection, r: &RegisterRow, seen: i64) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE care_register SET community_id = $2, categories = $3, since_date = $4, until_date = $5, visitor_user_id = $6, visitor_name = $7, notes = $8, updated_at = $9, version = version + 1 WHERE id = $1 AND version = $10",
    )
    .bind(r.id)
    .bind(r.community_id.clone())
    .bind(r.categories.clone())
    .bind(r.since_date.clone())
    .bind(r.until_date.clone())
    .bind(r.visitor_user_id)
    .bind(r.visitor_name.clone())
    .bind(r.notes.clone())
    .bind(r.updated_at)
    .bind(seen)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Checks a visitor account: it must be a community worker's (inside the write transaction).
pub async fn check_visitor(conn: &mut AnyConnection, user: Option<i64>) -> ApiResult<()> {
    if let Some(uid) = user {
        if accounts::role_of(conn, uid).await?.as_deref() != Some("community_worker") {
            return Err(AppError::field(
                "visitor_user_id",
                "unknown_reference",
                format!("visitor_user_id {uid} 不是社区工作者账户"),
                format!("visitor_user_id {uid} is not a community worker's account"),
            ));
        }
    }
    Ok(())
}

/// The resident of an entry (inside the transaction): their row, or 422.
async fn resident_of(conn: &mut AnyConnection, id: i64) -> ApiResult<residents::ResidentRow> {
    residents::get_row(conn, id)
        .await?
        .ok_or_else(|| web::unknown_reference("resident_id", "resident", &id.to_string()))
}

/// A register entry the caller may reach, with its resident (404/403 otherwise).
pub async fn reachable(
    conn: &mut AnyConnection,
    c: &Caller,
    id: &str,
) -> ApiResult<(RegisterRow, Option<residents::ResidentRow>)> {
    let row = get_row(&mut *conn, path_id("register entry", id)?)
        .await?
        .ok_or_else(|| AppError::not_found("register entry", id))?;
    let resident = residents::get_row(&mut *conn, row.resident_id).await?;
    let user = resident.as_ref().and_then(|r| r.user_id);
    if !may_reach(c, &row.community_id, user) {
        return Err(web::forbidden_record("register entry"));
    }
    Ok((row, resident))
}

// --- Handlers ---------------------------------------------------------------------------------

/// GET /api/care/categories.
#[utoipa::path(get, path = "/api/care/categories", tag = "care",
    responses((status = 200, body = Vec<Category>), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn categories() -> Json<&'static [Category]> {
    Json(CATEGORIES)
}

/// Query of the register list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Community id.
    pub community_id: Option<String>,
    /// Category key.
    pub category: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    pub page: web::PageQuery,
}

/// GET /api/care/register.
#[utoipa::path(get, path = "/api/care/register", tag = "care", params(ListQuery, web::PageQuery),
    responses((status = 200, body = Paged<RegisterView>), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Paged<RegisterView>>> {
    let page = q.page.page()?;
    let category = q.category.clone().filter(|s| !s.is_empty());
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let (rows, total) = list_rows(
        &mut conn,
        community_scope(&c),
        q.community_id.clone(),
        category,
        page,
    )
    .await?;
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        let name = residents::get_row(&mut *conn, r.resident_id)
            .await?
            .map(|x| mask_name(&x.name));
        items.push(r.masked().view(name));
    }
    Ok(Json(Paged::new(items, total, page)))
}

/// GET /api/care/register/{id}.
#[utoipa::path(get, path = "/api/care/register/{id}", tag = "care", params(("id" = i64, Path)),
    responses((status = 200, body = RegisterView), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn read(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<RegisterView>> {
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let (row, resident) = reachable(&mut conn, &c, &id).await?;
    drop(conn);
    shown(&st, &c, row, resident.map(|r| r.name))
        .await
        .map(Json)
}

async fn shown(
    st: &AppState,
    c: &Caller,
    row: RegisterRow,
    name: Option<String>,
) -> ApiResult<RegisterView> {
    let mut fields = vec!["resident_name", "categories"];
    if row.notes.is_some() {
        fields.push("notes");
    }
    if row.visitor_name.is_some() {
        fields.push("visitor_name");
    }
    logs::record_access(st, c, "care_register", &row.id.to_string(), &fields).await?;
    Ok(row.view(name))
}

/// POST /api/care/register: the entry takes the resident's community.
#[utoipa::path(post, path = "/api/care/register", tag = "care", request_body = RegisterInput,
    responses((status = 201, body = RegisterView), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<RegisterView>)> {
    let input: RegisterInput =
        parse_input(Value::Object(web::json_object(&body)?)).map_err(web::invalid)?;
    let entry = input.check().map_err(web::invalid)?;
    let mut tx = st.store.begin().await?;
    let resident = resident_of(tx.conn(), entry.resident_id).await?;
    if !may_reach(&c, &resident.community_id, None) {
        return Err(web::forbidden_record("register entry"));
    }
    check_visitor(tx.conn(), entry.visitor_user_id).await?;
    let mut row = RegisterRow::new(&entry, resident.community_id.clone(), 0, now_ms(), 0);
    row.id = insert(tx.conn(), &row).await?;
    tx.audit(
        &c.actor(),
        "create",
        "care_register",
        &row.id.to_string(),
        web::changes(None, &row, PERSONAL),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(row.view(Some(resident.name)))))
}

/// PATCH /api/care/register/{id} (compare-and-set on `version`).
#[utoipa::path(patch, path = "/api/care/register/{id}", tag = "care",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header, description = "The version the change is made against")),
    request_body = RegisterInput,
    responses((status = 200, body = RegisterView), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn patch_one(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<RegisterView>> {
    let expected = web::if_match(&headers)?;
    let patch = Value::Object(web::json_object(&body)?);
    let mut tx = st.store.begin().await?;
    let (stored, _) = reachable(tx.conn(), &c, &id).await?;
    if expected.is_some_and(|v| v != stored.version) {
        return Err(web::conflict("register entry", &id));
    }
    let entry = merge_patch(&stored.input(), &patch)
        .and_then(|i| i.check())
        .map_err(web::invalid)?;
    let resident = resident_of(tx.conn(), entry.resident_id).await?;
    if !may_reach(&c, &resident.community_id, None) {
        return Err(web::forbidden_record("register entry"));
    }
    check_visitor(tx.conn(), entry.visitor_user_id).await?;
    let mut row = RegisterRow::new(
        &entry,
        resident.community_id.clone(),
        stored.id,
        stored.created_at,
        stored.version,
    );
    if !update(tx.conn(), &row, stored.version).await? {
        return Err(web::conflict("register entry", &id));
    }
    row.version += 1;
    tx.audit(
        &c.actor(),
        "update",
        "care_register",
        &id,
        web::changes(Some(&stored), &row, PERSONAL),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(shown(&st, &c, row, Some(resident.name)).await?))
}

// --- Entitlements -----------------------------------------------------------------------------

/// An entitlement rule as stored and answered.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct EntitlementRow {
    pub id: i64,
    pub category: String,
    pub service: String,
    pub monthly_fen: i64,
    pub per_service_cap_fen: Option<i64>,
    pub services_per_month: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Raised by one on every change; send it as `If-Match` to update.
    pub version: i64,
}
from_row!(EntitlementRow {
    id,
    category,
    service,
    monthly_fen,
    per_service_cap_fen,
    services_per_month,
    created_at,
    updated_at,
    version
});

impl EntitlementRow {
    fn new(e: Entitlement, id: i64, created_at: i64, version: i64) -> EntitlementRow {
        EntitlementRow {
            id,
            category: e.category,
            service: e.service,
            monthly_fen: e.monthly_fen,
            per_service_cap_fen: e.per_service_cap_fen,
            services_per_month: e.services_per_month,
            created_at,
            updated_at: now_ms(),
            version,
        }
    }

    fn input(&self) -> EntitlementInput {
        EntitlementInput {
            category: Some(self.category.clone()),
            service: Some(self.service.clone()),
            monthly_fen: Some(self.monthly_fen),
            per_service_cap_fen: self.per_service_cap_fen,
            services_per_month: self.services_per_month,
        }
    }

    /// The rule.
    pub fn rule(&self) -> Entitlement {
        Entitlement {
            category: self.category.clone(),
            service: self.service.clone(),
            monthly_fen: self.monthly_fen,
            per_service_cap_fen: self.per_service_cap_fen,
            services_per_month: self.services_per_month,
        }
    }
}

macro_rules! ecols {
    () => {
        "id, category, service, monthly_fen, per_service_cap_fen, services_per_month, created_at, updated_at, version"
    };
}

/// Every rule, by category and service.
pub async fn all_entitlements(conn: &mut AnyConnection) -> Result<Vec<EntitlementRow>, StoreError> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        ecols!(),
        " FROM care_entitlements ORDER BY category, service"
    ))
    .fetch_all(conn)
    .await?)
}

/// GET /api/care/entitlements.
#[utoipa::path(get, path = "/api/care/entitlements", tag = "care",
    responses((status = 200, body = Vec<EntitlementRow>), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_entitlements(
    State(st): State<Arc<AppState>>,
) -> ApiResult<Json<Vec<EntitlementRow>>> {
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    Ok(Json(all_entitlements(&mut conn).await?))
}

/// POST /api/care/entitlements (409 when the category already has a rule for the service).
#[utoipa::path(post, path = "/api/care/entitlements", tag = "care", request_body = EntitlementInput,
    responses((status = 201, body = EntitlementRow), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create_entitlement(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<EntitlementRow>)> {
    let input: EntitlementInput =
        parse_input(Value::Object(web::json_object(&body)?)).map_err(web::invalid)?;
    let e = input.check().map_err(web::invalid)?;
    let mut row = EntitlementRow::new(e, 0, now_ms(), 0);
    let mut tx = st.store.begin().await?;
    row.id = sqlx::query_scalar(
        "INSERT INTO care_entitlements (category, service, monthly_fen, per_service_cap_fen, services_per_month, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, 0) RETURNING id",
    )
    .bind(row.category.clone())
    .bind(row.service.clone())
    .bind(row.monthly_fen)
    .bind(row.per_service_cap_fen)
    .bind(row.services_per_month)
    .bind(row.created_at)
    .bind(row.updated_at)
    .fetch_one(tx.conn())
    .await
    .map_err(unique("category and service"))?;
    tx.audit(
        &c.actor(),
        "create",
        "care_entitlement",
        &row.id.to_string(),
        web::changes(None, &row, &[]),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// PATCH /api/care/entitlements/{id} (compare-and-set; category and service cannot change).
#[utoipa::path(patch, path = "/api/care/entitlements/{id}", tag = "care",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header, description = "The version the change is made against")),
    request_body = EntitlementInput,
    responses((status = 200, body = EntitlementRow), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn patch_entitlement(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<EntitlementRow>> {
    let expected = web::if_match(&headers)?;
    let mut patch = web::json_object(&body)?;
    let k = path_id("entitlement", &id)?;
    let mut tx = st.store.begin().await?;
    let stored: EntitlementRow = sqlx::query_as(concat!(
        "SELECT ",
        ecols!(),
        " FROM care_entitlements WHERE id = $1"
    ))
    .bind(k)
    .fetch_optional(tx.conn())
    .await
    .map_err(StoreError::from)?
    .ok_or_else(|| AppError::not_found("entitlement", &id))?;
    if expected.is_some_and(|v| v != stored.version) {
        return Err(web::conflict("entitlement", &id));
    }
    // A new count or cap recomputes the monthly amount unless it is sent too.
    let counted = match patch.get("services_per_month") {
        Some(v) => !v.is_null(),
        None => stored.services_per_month.is_some(),
    };
    if (patch.contains_key("services_per_month") || patch.contains_key("per_service_cap_fen"))
        && !patch.contains_key("monthly_fen")
        && counted
    {
        patch.insert("monthly_fen".into(), Value::Null);
    }
    let e = merge_patch(&stored.input(), &Value::Object(patch))
        .and_then(|i| i.check())
        .map_err(web::invalid)?;
    let mut row = EntitlementRow::new(e, k, stored.created_at, stored.version);
    let done = sqlx::query(
        "UPDATE care_entitlements SET monthly_fen = $2, per_service_cap_fen = $3, services_per_month = $4, updated_at = $5, version = version + 1 WHERE id = $1 AND version = $6",
    )
    .bind(k)
    .bind(row.monthly_fen)
    .bind(row.per_service_cap_fen)
    .bind(row.services_per_month)
    .bind(row.updated_at)
    .bind(stored.version)
    .execute(tx.conn())
    .await
    .map_err(StoreError::from)?;
    if done.rows_affected() != 1 {
        return Err(web::conflict("entitlement", &id));
    }
    row.version += 1;
    tx.audit(
        &c.actor(),
        "update",
        "care_entitlement",
        &id,
        web::changes(Some(&stored), &row, &[]),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(row))
}
