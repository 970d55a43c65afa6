//! 从业人员 Practitioners with certificates: rules in `lc_registry::records::PractitionerInput`,
//! repository, routes and endpoint table. Provider staff reach only their own provider's
//! practitioners; an ID number is stored masked and fingerprinted, once per provider (unique
//! index).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Extension, Json, Router};
use lc_registry::records::{
    merge_patch, parse_input, Certificate, Input, Practitioner, PractitionerInput,
};
use lc_registry::{mask_name, mask_phone, Role};
use lc_store::sql::{fold, unique};
use lc_store::sqlx::{self, Any, AnyConnection, Executor};
use lc_store::{from_row, now_ms, Backend, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::domains::logs;
use crate::endpoints::{ep, Endpoint, JSON, OWN_PROVIDER, PROVIDER_WRITE};
use crate::error::{ApiResult, AppError};
use crate::web::{self, json_text, Paged};
use crate::AppState;

use super::{own_provider, providers};

/// The endpoints of this domain.
pub const ENDPOINTS: &[Endpoint] = &[
    ep!(
        "GET",
        "/api/practitioners",
        PROVIDER_WRITE,
        OWN_PROVIDER,
        "practitioners",
        "List practitioners (masked).",
        None,
        JSON
    ),
    ep!(
        "POST",
        "/api/practitioners",
        PROVIDER_WRITE,
        OWN_PROVIDER,
        "practitioners",
        "Register a practitioner with certificates (the provider must be registered).",
        Some(JSON),
        JSON
    ),
    ep!(
        "GET",
        "/api/practitioners/{id}",
        PROVIDER_WRITE,
        OWN_PROVIDER,
        "practitioners",
        "One practitioner (name and phone in full; the read is logged).",
        None,
        JSON
    ),
    ep!(
        "PATCH",
        "/api/practitioners/{id}",
        PROVIDER_WRITE,
        OWN_PROVIDER,
        "practitioners",
        "Change a practitioner (If-Match: its version).",
        Some(JSON),
        JSON
    ),
];

/// The routes of this domain.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/practitioners", get(list).post(create))
        .route("/api/practitioners/{id}", get(read).patch(patch_one))
}

const PERSONAL: &[&str] = &["name", "phone"];

/// A stored practitioner, as answered (never the ID number's fingerprint).
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct PractitionerRow {
    pub id: i64,
    pub provider_code: String,
    /// Masked in lists.
    pub name: String,
    pub kind: String,
    /// Masked in lists.
    pub phone: Option<String>,
    pub id_number_masked: Option<String>,
    #[serde(skip)]
    pub id_number_hash: Option<String>,
    /// Certificates (stored as a JSON array).
    #[serde(serialize_with = "json_text")]
    #[schema(value_type = Vec<Certificate>)]
    pub certificates: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Raised by one on every change; send it as `If-Match` to update.
    pub version: i64,
}
from_row!(PractitionerRow {
    id,
    provider_code,
    name,
    kind,
    phone,
    id_number_masked,
    id_number_hash,
    certificates,
    created_at,
    updated_at,
    version
});

impl PractitionerRow {
    fn new(
        st: &AppState,
        p: Practitioner,
        id: i64,
        created_at: i64,
        version: i64,
    ) -> PractitionerRow {
        let (masked, hash) = web::fingerprint_opt(st, p.resident_id.as_ref());
        PractitionerRow {
            id,
            provider_code: p.provider_code,
            name: p.name,
            kind: p.kind,
            phone: p.phone,
            id_number_masked: masked,
            id_number_hash: hash,
            certificates: Some(json!(p.certificates).to_string()),
            created_at,
            updated_at: now_ms(),
            version,
        }
    }

    fn input(&self) -> PractitionerInput {
        let certs: Vec<Certificate> = self
            .certificates
            .as_deref()
            .and_then(|c| serde_json::from_str(c).ok())
            .unwrap_or_default();
        PractitionerInput {
            provider_code: Some(self.provider_code.clone()),
            name: Some(self.name.clone()),
            kind: Some(self.kind.clone()),
            phone: self.phone.clone(),
            id_number: None,
            certificates: Some(certs.into_iter().map(Into::into).collect()),
        }
    }

    fn masked(mut self) -> PractitionerRow {
        self.name = mask_name(&self.name);
        self.phone = self.phone.as_deref().map(mask_phone);
        self
    }
}

// --- Repository -------------------------------------------------------------------------------

macro_rules! cols {
    () => {
        "id, provider_code, name, kind, phone, id_number_masked, id_number_hash, certificates, created_at, updated_at, version"
    };
}

/// One practitioner.
pub async fn get_row<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
) -> Result<Option<PractitionerRow>, StoreError> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        cols!(),
        " FROM practitioners WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(ex)
    .await?)
}

/// A page of practitioners (of one provider, if named) and how many match.
pub async fn list_rows(
    conn: &mut AnyConnection,
    backend: Backend,
    search: Option<String>,
    provider: Option<String>,
    kind: Option<String>,
    page: web::Page,
) -> Result<(Vec<PractitionerRow>, i64), StoreError> {
    let wh = format!(
        "WHERE ($1 IS NULL OR {} LIKE $1 ESCAPE '\\') AND ($2 IS NULL OR provider_code = $2) AND ($3 IS NULL OR kind = $3)",
        fold(backend, "name")
    );
    let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM practitioners {wh}"))
        .bind(search.clone())
        .bind(provider.clone())
        .bind(kind.clone())
        .fetch_one(&mut *conn)
        .await?;
    let rows = sqlx::query_as(&format!(
        "SELECT {} FROM practitioners {wh} ORDER BY id LIMIT $4 OFFSET $5",
        cols!()
    ))
    .bind(search)
    .bind(provider)
    .bind(kind)
    .bind(page.limit)
    .bind(page.offset)
    .fetch_all(&mut *conn)
    .await?;
    Ok((rows, total))
}

/// Inserts a practitioner; its id (409 if the provider has one with this ID number).
pub async fn insert(conn: &mut AnyConnection, r: &PractitionerRow) -> Result<i64, StoreError> {
    sqlx::query_scalar(
        "INSERT INTO practitioners (provider_code, name, kind, phone, id_number_masked, id_number_hash, certificates, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(r.provider_code.clone())
    .bind(r.name.clone())
    .bind(r.kind.clone())
    .bind(r.phone.clone())
    .bind(r.id_number_masked.clone())
    .bind(r.id_number_hash.clone())
    .bind(r.certificates.clone())
    .bind(r.created_at)
    .bind(r.updated_at)
    .bind(r.version)
    .fetch_one(conn)
    .await
    .map_err(unique("ID number"))
}

/// Compare-and-set update (see `communities::update`).
pub async fn update(
    conn: &mut AnyConnection,
    r: &PractitionerRow,
    seen: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE practitioners SET provider_code = $2, name = $3, kind = $4, phone = $5, id_number_masked = $6, id_number_hash = $7, certificates = $8, updated_at = $9, version = version + 1 WHERE id = $1 AND version = $10",
    )
    .bind(r.id)
    .bind(r.provider_code.clone())
    .bind(r.name.clone())
    .bind(r.kind.clone())
    .bind(r.phone.clone())
    .bind(r.id_number_masked.clone())
    .bind(r.id_number_hash.clone())
    .bind(r.certificates.clone())
    .bind(r.updated_at)
    .bind(seen)
    .execute(conn)
    .await
    .map_err(unique("ID number"))?;
    Ok(done.rows_affected() == 1)
}

/// A practitioner's provider must be registered (checked inside the write transaction).
async fn check_refs(conn: &mut AnyConnection, p: &Practitioner) -> ApiResult<()> {
    if !providers::exists(conn, &p.provider_code).await? {
        return Err(web::unknown_reference(
            "provider_code",
            "provider",
            &p.provider_code,
        ));
    }
    Ok(())
}

fn key(id: &str) -> ApiResult<i64> {
    id.parse()
        .map_err(|_| AppError::not_found("practitioner", id))
}

// --- Handlers ---------------------------------------------------------------------------------

/// Query of the list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Search text (name).
    pub q: Option<String>,
    /// Provider USCC.
    pub provider_code: Option<String>,
    /// Kind (caregiver, housekeeper, nursery_staff, other).
    pub kind: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    pub page: web::PageQuery,
}

/// GET /api/practitioners: provider staff see only their own provider's.
#[utoipa::path(get, path = "/api/practitioners", tag = "practitioners", params(ListQuery, web::PageQuery),
    responses((status = 200, body = Paged<PractitionerRow>), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Paged<PractitionerRow>>> {
    let page = q.page.page()?;
    let provider = match &c.user {
        Some(u) if u.role == Role::ProviderStaff => {
            // Their own provider only, whatever they asked for.
            if q.provider_code.is_some() && q.provider_code != u.provider_code {
                return Ok(Json(Paged::new(Vec::new(), 0, page)));
            }
            Some(u.provider_code.clone().unwrap_or_default())
        }
        _ => q.provider_code.clone(),
    };
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let (rows, total) = list_rows(
        &mut conn,
        st.store.backend(),
        web::search_param(&q.q),
        provider,
        q.kind.clone(),
        page,
    )
    .await?;
    let rows = rows.into_iter().map(PractitionerRow::masked).collect();
    Ok(Json(Paged::new(rows, total, page)))
}

async fn shown(st: &AppState, c: &Caller, row: PractitionerRow) -> ApiResult<PractitionerRow> {
    let mut fields = vec!["name"];
    if row.phone.is_some() {
        fields.push("phone");
    }
    logs::record_access(st, c, "practitioner", &row.id.to_string(), &fields).await?;
    Ok(row)
}

/// GET /api/practitioners/{id}.
#[utoipa::path(get, path = "/api/practitioners/{id}", tag = "practitioners", params(("id" = i64, Path)),
    responses((status = 200, body = PractitionerRow), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn read(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<PractitionerRow>> {
    let row = get_row(st.store.pool(), key(&id)?)
        .await?
        .ok_or_else(|| AppError::not_found("practitioner", &id))?;
    if !own_provider(&c, Some(&row.provider_code)) {
        return Err(web::forbidden_record("practitioner"));
    }
    Ok(Json(shown(&st, &c, row).await?))
}

/// POST /api/practitioners: provider staff's new practitioner takes their provider.
#[utoipa::path(post, path = "/api/practitioners", tag = "practitioners", request_body = PractitionerInput,
    responses((status = 201, body = PractitionerRow), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<PractitionerRow>)> {
    let mut obj = web::json_object(&body)?;
    if let Some(u) = c.user.as_ref().filter(|u| u.role == Role::ProviderStaff) {
        obj.entry("provider_code").or_insert(json!(u.provider_code));
    }
    let input: PractitionerInput = parse_input(Value::Object(obj)).map_err(web::invalid)?;
    let checked = input.check().map_err(web::invalid)?;
    if !own_provider(&c, Some(&checked.provider_code)) {
        return Err(web::forbidden_record("practitioner"));
    }
    let mut row = PractitionerRow::new(&st, checked.clone(), 0, now_ms(), 0);
    let mut tx = st.store.begin().await?;
    check_refs(tx.conn(), &checked).await?;
    row.id = insert(tx.conn(), &row).await?;
    tx.audit(
        &c.actor(),
        "create",
        "practitioner",
        &row.id.to_string(),
        web::changes(None, &row, PERSONAL),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// PATCH /api/practitioners/{id} (compare-and-set; see `communities::patch_one`).
#[utoipa::path(patch, path = "/api/practitioners/{id}", tag = "practitioners",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header, description = "The version the change is made against")),
    request_body = PractitionerInput,
    responses((status = 200, body = PractitionerRow), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn patch_one(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<PractitionerRow>> {
    let expected = web::if_match(&headers)?;
    let patch = Value::Object(web::json_object(&body)?);
    let k = key(&id)?;
    let mut tx = st.store.begin().await?;
    let stored = get_row(tx.conn(), k)
        .await?
        .ok_or_else(|| AppError::not_found("practitioner", &id))?;
    if !own_provider(&c, Some(&stored.provider_code)) {
        return Err(web::forbidden_record("practitioner"));
    }
    if expected.is_some_and(|v| v != stored.version) {
        return Err(web::conflict("practitioner", &id));
    }
    let checked = merge_patch(&stored.input(), &patch)
        .and_then(|i| i.check())
        .map_err(web::invalid)?;
    if !own_provider(&c, Some(&checked.provider_code)) {
        return Err(web::forbidden_record("practitioner"));
    }
    check_refs(tx.conn(), &checked).await?;
    let mut row = PractitionerRow::new(&st, checked, k, stored.created_at, stored.version);
    if row.id_number_hash.is_none() {
        // No new ID number sent: the stored one stays.
        row.id_number_masked = stored.id_number_masked.clone();
        row.id_number_hash = stored.id_number_hash.clone();
    }
    if !update(tx.conn(), &row, stored.version).await? {
        return Err(web::conflict("practitioner", &id));
    }
    row.version += 1;
    tx.audit(
        &c.actor(),
        "update",
        "practitioner",
        &id,
        web::changes(Some(&stored), &row, PERSONAL),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(shown(&st, &c, row).await?))
}
