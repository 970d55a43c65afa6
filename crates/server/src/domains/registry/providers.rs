//! 服务机构 Providers, keyed by their unified social credit code: rules in
//! `lc_registry::records::ProviderInput`, repository, routes and endpoint table. Contact
//! details are masked in lists and for the public; their full reads by staff are logged.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Extension, Json, Router};
use lc_registry::records::{merge_patch, parse_input, Input, Provider, ProviderInput};
use lc_registry::{mask_name, mask_phone, Access, Role};
use lc_store::sql::{fold, prefix_pattern, unique};
use lc_store::sqlx::{self, Any, AnyConnection, Executor};
use lc_store::{from_row, now_ms, Backend, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::auth::Caller;
use crate::domains::logs;
use crate::endpoints::{ep, Endpoint, JSON, OWN_PROVIDER, PROVIDER_WRITE, STAFF_WRITE};
use crate::error::{ApiResult, AppError};
use crate::web::{self, Filter, Paged};
use crate::AppState;

use super::{divisions, own_provider};

/// The endpoints of this domain.
pub const ENDPOINTS: &[Endpoint] = &[
    ep!("GET", "/api/providers", Access::Public, "", "providers", "List or search providers (contact details masked).", None, JSON),
    ep!("POST", "/api/providers", STAFF_WRITE, "", "providers", "Register a provider by unified social credit code.", Some(JSON), JSON),
    ep!("GET", "/api/providers/{uscc}", Access::Public, "", "providers", "One provider (contact details in full for its own staff, regulators and administrators; such reads are logged).", None, JSON),
    ep!("PATCH", "/api/providers/{uscc}", PROVIDER_WRITE, OWN_PROVIDER, "providers", "Change a provider (If-Match: its version).", Some(JSON), JSON),
];

/// The routes of this domain.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/providers", get(list).post(create))
        .route("/api/providers/{uscc}", get(read).patch(patch_one))
}

/// Personal fields (masked unless the caller may see them).
const PERSONAL: &[&str] = &["contact_name", "contact_phone"];

/// A stored provider, as answered.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct ProviderRow {
    pub uscc: String,
    pub kind: String,
    pub name: String,
    pub address: Option<String>,
    pub division_code: Option<String>,
    /// Masked (`张*`) in lists and for the public.
    pub contact_name: Option<String>,
    /// Masked (`138****5678`) in lists and for the public.
    pub contact_phone: Option<String>,
    /// Its main class of the NBS life-service classification (`2019:01`); statistics group by it.
    pub nbs_class: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Raised by one on every change; send it as `If-Match` to update.
    pub version: i64,
}
from_row!(ProviderRow {
    uscc,
    kind,
    name,
    address,
    division_code,
    contact_name,
    contact_phone,
    nbs_class,
    created_at,
    updated_at,
    version
});

impl ProviderRow {
    pub(crate) fn new(p: Provider, created_at: i64, version: i64) -> ProviderRow {
        ProviderRow {
            uscc: p.uscc,
            kind: p.kind,
            name: p.name,
            address: p.address,
            division_code: p.division_code,
            contact_name: p.contact_name,
            contact_phone: p.contact_phone,
            nbs_class: p.nbs_class,
            created_at,
            updated_at: now_ms(),
            version,
        }
    }

    fn input(&self) -> ProviderInput {
        ProviderInput {
            uscc: Some(self.uscc.clone()),
            name: Some(self.name.clone()),
            address: self.address.clone(),
            division_code: self.division_code.clone(),
            contact_name: self.contact_name.clone(),
            contact_phone: self.contact_phone.clone(),
            nbs_class: self.nbs_class.clone(),
        }
    }

    /// The masked form.
    pub fn masked(mut self) -> ProviderRow {
        self.contact_name = self.contact_name.as_deref().map(mask_name);
        self.contact_phone = self.contact_phone.as_deref().map(mask_phone);
        self
    }
}

// --- Repository -------------------------------------------------------------------------------

macro_rules! cols {
    () => {
        "uscc, kind, name, address, division_code, contact_name, contact_phone, nbs_class, created_at, updated_at, version"
    };
}

/// One provider.
pub async fn get_row<'c>(
    ex: impl Executor<'c, Database = Any>,
    uscc: &str,
) -> Result<Option<ProviderRow>, StoreError> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        cols!(),
        " FROM providers WHERE uscc = $1"
    ))
    .bind(uscc.to_string())
    .fetch_optional(ex)
    .await?)
}

/// Whether a provider is registered.
pub async fn exists<'c>(
    ex: impl Executor<'c, Database = Any>,
    uscc: &str,
) -> Result<bool, StoreError> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM providers WHERE uscc = $1")
        .bind(uscc.to_string())
        .fetch_one(ex)
        .await?;
    Ok(n > 0)
}

fn list_where(backend: Backend) -> String {
    let s = |c| fold(backend, c);
    format!(
        "WHERE ($1 IS NULL OR {} LIKE $1 ESCAPE '\\' OR {} LIKE $1 ESCAPE '\\' OR {} LIKE $1 ESCAPE '\\') \
         AND ($2 IS NULL OR division_code LIKE $2 ESCAPE '\\') AND ($3 IS NULL OR kind = $3)",
        s("name"),
        s("uscc"),
        s("address")
    )
}

/// A page of providers and how many match.
pub async fn list_rows(
    conn: &mut AnyConnection,
    backend: Backend,
    f: &Filter,
    kind: Option<String>,
) -> Result<(Vec<ProviderRow>, i64), StoreError> {
    let wh = list_where(backend);
    let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM providers {wh}"))
        .bind(f.search.clone())
        .bind(f.division.clone())
        .bind(kind.clone())
        .fetch_one(&mut *conn)
        .await?;
    let rows = sqlx::query_as(&format!(
        "SELECT {} FROM providers {wh} ORDER BY uscc LIMIT $4 OFFSET $5",
        cols!()
    ))
    .bind(f.search.clone())
    .bind(f.division.clone())
    .bind(kind)
    .bind(f.page.limit)
    .bind(f.page.offset)
    .fetch_all(&mut *conn)
    .await?;
    Ok((rows, total))
}

/// Inserts a new provider (409 if registered).
pub async fn insert(conn: &mut AnyConnection, r: &ProviderRow) -> Result<(), StoreError> {
    sqlx::query(concat!(
        "INSERT INTO providers (",
        cols!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    ))
    .bind(r.uscc.clone())
    .bind(r.kind.clone())
    .bind(r.name.clone())
    .bind(r.address.clone())
    .bind(r.division_code.clone())
    .bind(r.contact_name.clone())
    .bind(r.contact_phone.clone())
    .bind(r.nbs_class.clone())
    .bind(r.created_at)
    .bind(r.updated_at)
    .bind(r.version)
    .execute(conn)
    .await
    .map_err(unique("uscc"))?;
    Ok(())
}

/// Compare-and-set update (see `communities::update`).
pub async fn update(
    conn: &mut AnyConnection,
    r: &ProviderRow,
    seen: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE providers SET kind = $2, name = $3, address = $4, division_code = $5, contact_name = $6, contact_phone = $7, updated_at = $8, nbs_class = $10, version = version + 1 WHERE uscc = $1 AND version = $9",
    )
    .bind(r.uscc.clone())
    .bind(r.kind.clone())
    .bind(r.name.clone())
    .bind(r.address.clone())
    .bind(r.division_code.clone())
    .bind(r.contact_name.clone())
    .bind(r.contact_phone.clone())
    .bind(r.updated_at)
    .bind(seen)
    .bind(r.nbs_class.clone())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub(crate) async fn check_refs(conn: &mut AnyConnection, p: &Provider) -> ApiResult<()> {
    if let Some(d) = &p.division_code {
        if !divisions::exists(&mut *conn, d).await? {
            return Err(web::unknown_reference("division_code", "division", d));
        }
    }
    Ok(())
}

/// Whether the caller sees a provider's contact details in full.
fn full_detail(c: &Caller, uscc: &str) -> bool {
    match c.role() {
        Some(Role::Regulator | Role::Admin) => true,
        Some(Role::ProviderStaff) => own_provider(c, Some(uscc)),
        _ => false,
    }
}

/// The provider as this caller sees it; a full read of contact details by staff is logged.
async fn shown(st: &AppState, c: &Caller, row: ProviderRow) -> ApiResult<ProviderRow> {
    if !full_detail(c, &row.uscc) {
        return Ok(row.masked());
    }
    let fields: Vec<&str> = [
        ("contact_name", &row.contact_name),
        ("contact_phone", &row.contact_phone),
    ]
    .into_iter()
    .filter(|(_, v)| v.is_some())
    .map(|(f, _)| f)
    .collect();
    if !fields.is_empty() {
        logs::record_access(st, c, "provider", &row.uscc, &fields).await?;
    }
    Ok(row)
}

// --- Handlers ---------------------------------------------------------------------------------

/// Query of the list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Search text (name, USCC, address).
    pub q: Option<String>,
    /// Division code prefix (1-12 digits).
    pub division: Option<String>,
    /// Kind of registration.
    pub kind: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    pub page: web::PageQuery,
}

/// GET /api/providers.
#[utoipa::path(get, path = "/api/providers", tag = "providers", params(ListQuery, web::PageQuery),
    responses((status = 200, body = Paged<ProviderRow>), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn list(
    State(st): State<Arc<AppState>>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Paged<ProviderRow>>> {
    let f = Filter {
        search: web::search_param(&q.q),
        division: web::division_param(&q.division)?.map(|d| prefix_pattern(&d)),
        page: q.page.page()?,
    };
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let (rows, total) = list_rows(&mut conn, st.store.backend(), &f, q.kind.clone()).await?;
    let rows = rows.into_iter().map(ProviderRow::masked).collect();
    Ok(Json(Paged::new(rows, total, f.page)))
}

/// GET /api/providers/{uscc}.
#[utoipa::path(get, path = "/api/providers/{uscc}", tag = "providers", params(("uscc" = String, Path)),
    responses((status = 200, body = ProviderRow), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn read(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(uscc): Path<String>,
) -> ApiResult<Json<ProviderRow>> {
    let row = get_row(st.store.pool(), &uscc)
        .await?
        .ok_or_else(|| AppError::not_found("provider", &uscc))?;
    Ok(Json(shown(&st, &c, row).await?))
}

/// POST /api/providers.
#[utoipa::path(post, path = "/api/providers", tag = "providers", request_body = ProviderInput,
    responses((status = 201, body = ProviderRow), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn create(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<ProviderRow>)> {
    let input: ProviderInput =
        parse_input(Value::Object(web::json_object(&body)?)).map_err(web::invalid)?;
    let checked = input.check().map_err(web::invalid)?;
    if !own_provider(&c, Some(&checked.uscc)) {
        return Err(web::forbidden_record("provider"));
    }
    let row = ProviderRow::new(checked.clone(), now_ms(), 0);
    let mut tx = st.store.begin().await?;
    check_refs(tx.conn(), &checked).await?;
    insert(tx.conn(), &row).await?;
    tx.audit(
        &c.actor(),
        "create",
        "provider",
        &row.uscc,
        web::changes(None, &row, PERSONAL),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// PATCH /api/providers/{uscc} (compare-and-set; see `communities::patch_one`).
#[utoipa::path(patch, path = "/api/providers/{uscc}", tag = "providers",
    params(("uscc" = String, Path), ("If-Match" = Option<String>, Header, description = "The version the change is made against")),
    request_body = ProviderInput,
    responses((status = 200, body = ProviderRow), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn patch_one(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(uscc): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<ProviderRow>> {
    let expected = web::if_match(&headers)?;
    let patch = Value::Object(web::json_object(&body)?);
    let mut tx = st.store.begin().await?;
    let stored = get_row(tx.conn(), &uscc)
        .await?
        .ok_or_else(|| AppError::not_found("provider", &uscc))?;
    if !own_provider(&c, Some(&stored.uscc)) {
        return Err(web::forbidden_record("provider"));
    }
    if expected.is_some_and(|v| v != stored.version) {
        return Err(web::conflict("provider", &uscc));
    }
    let checked = merge_patch(&stored.input(), &patch)
        .and_then(|i| i.check())
        .map_err(web::invalid)?;
    check_refs(tx.conn(), &checked).await?;
    let mut row = ProviderRow::new(checked, stored.created_at, stored.version);
    if !update(tx.conn(), &row, stored.version).await? {
        return Err(web::conflict("provider", &uscc));
    }
    row.version += 1;
    tx.audit(
        &c.actor(),
        "update",
        "provider",
        &uscc,
        web::changes(Some(&stored), &row, PERSONAL),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(shown(&st, &c, row).await?))
}
