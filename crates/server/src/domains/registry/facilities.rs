//! 服务设施/网点 Facilities and outlets: rules in `lc_registry::records::FacilityInput`, the
//! repository (explicit SQL), routes and endpoint table; the engine's `facilities.csv`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use lc_registry::records::{merge_patch, parse_input, Facility, FacilityInput, Input};
use lc_registry::{Access, Role};
use lc_store::sql::{fold, prefix_pattern, unique, BindExt};
use lc_store::sqlx::{self, Any, AnyConnection, Executor};
use lc_store::{from_row, now_ms, Backend, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::bulk;
use crate::endpoints::{ep, Endpoint, CSV, JSON, OWN_PROVIDER, PROVIDER_WRITE, STAFF_WRITE, XLSX};
use crate::error::{ApiResult, AppError};
use crate::web::{self, Filter, Paged};
use crate::AppState;

use super::{divisions, own_provider, providers};

/// The endpoints of this domain.
pub const ENDPOINTS: &[Endpoint] = &[
    ep!("GET", "/api/facilities", Access::Public, "", "facilities", "List or search facilities and outlets (q, division prefix, category, provider_code, listed).", None, JSON),
    ep!("POST", "/api/facilities", PROVIDER_WRITE, OWN_PROVIDER, "facilities", "Create a facility or outlet (its provider must be registered).", Some(JSON), JSON),
    ep!("GET", "/api/facilities/export.csv", Access::Public, "", "facilities", "Export facilities in the engine's facilities.csv format.", None, CSV),
    ep!("GET", "/api/facilities/export.xlsx", Access::Public, "", "facilities", "Export facilities as an Excel workbook.", None, XLSX),
    ep!("POST", "/api/facilities/import", STAFF_WRITE, "", "facilities", "Import (insert or replace) facilities from facilities.csv or an Excel workbook with the same columns (?crs=…).", Some(CSV), JSON),
    ep!("GET", "/api/facilities/{id}", Access::Public, "", "facilities", "One facility or outlet.", None, JSON),
    ep!("PATCH", "/api/facilities/{id}", PROVIDER_WRITE, OWN_PROVIDER, "facilities", "Change a facility or outlet (If-Match: its version).", Some(JSON), JSON),
];

/// The routes of this domain.
pub fn routes(max_body: usize) -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/facilities", get(list).post(create))
        .route(
            "/api/facilities/import",
            post(import).layer(axum::extract::DefaultBodyLimit::max(max_body)),
        )
        .route("/api/facilities/export.csv", get(export_csv))
        .route("/api/facilities/export.xlsx", get(export_xlsx))
        .route("/api/facilities/{id}", get(read).patch(patch_one))
}

/// A stored facility or outlet, as answered.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct FacilityRow {
    pub id: String,
    pub name: String,
    pub category: String,
    pub lon: f64,
    pub lat: f64,
    pub capacity: Option<f64>,
    pub floor_area_m2: Option<f64>,
    pub provider_code: Option<String>,
    pub operator_name: Option<String>,
    pub opening_hours: Option<String>,
    pub address: Option<String>,
    pub division_code: Option<String>,
    pub listing_number: Option<String>,
    pub credit_commitment_date: Option<String>,
    /// Its class of the NBS life-service classification (`2019:03`); statistics group by it
    /// (else by its provider's).
    pub nbs_class: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Raised by one on every change; send it as `If-Match` to update.
    pub version: i64,
}
from_row!(FacilityRow {
    id,
    name,
    category,
    lon,
    lat,
    capacity,
    floor_area_m2,
    provider_code,
    operator_name,
    opening_hours,
    address,
    division_code,
    listing_number,
    credit_commitment_date,
    nbs_class,
    created_at,
    updated_at,
    version
});

impl FacilityRow {
    /// A new row of a checked facility.
    pub fn new(f: Facility, created_at: i64, version: i64) -> FacilityRow {
        FacilityRow {
            id: f.id,
            name: f.name,
            category: f.category,
            lon: f.lon,
            lat: f.lat,
            capacity: f.capacity,
            floor_area_m2: f.floor_area_m2,
            provider_code: f.provider_code,
            operator_name: f.operator_name,
            opening_hours: f.opening_hours,
            address: f.address,
            division_code: f.division_code,
            listing_number: f.listing_number,
            credit_commitment_date: f.credit_commitment_date,
            nbs_class: f.nbs_class,
            created_at,
            updated_at: now_ms(),
            version,
        }
    }

    /// The stored record as a client would send it.
    pub fn input(&self) -> FacilityInput {
        FacilityInput {
            id: Some(self.id.clone()),
            name: Some(self.name.clone()),
            category: Some(self.category.clone()),
            lon: Some(self.lon),
            lat: Some(self.lat),
            capacity: self.capacity,
            floor_area_m2: self.floor_area_m2,
            provider_code: self.provider_code.clone(),
            operator_name: self.operator_name.clone(),
            opening_hours: self.opening_hours.clone(),
            address: self.address.clone(),
            division_code: self.division_code.clone(),
            listing_number: self.listing_number.clone(),
            credit_commitment_date: self.credit_commitment_date.clone(),
            nbs_class: self.nbs_class.clone(),
        }
    }

    /// The engine's facility (`None` if its category is unknown to this build).
    pub fn to_model(&self) -> Option<lc_model::Facility> {
        Some(lc_model::Facility {
            id: self.id.clone(),
            name: self.name.clone(),
            category: lc_model::Category::from_key(&self.category).ok()?,
            pos: lc_model::LonLat::new(self.lon, self.lat),
            capacity: self.capacity,
            floor_area_m2: self.floor_area_m2,
            provider_code: self.provider_code.clone(),
            division_code: self.division_code.clone(),
        })
    }
}

// --- Repository -------------------------------------------------------------------------------

macro_rules! cols {
    () => {
        "id, name, category, lon, lat, capacity, floor_area_m2, provider_code, operator_name, opening_hours, address, division_code, listing_number, credit_commitment_date, nbs_class, created_at, updated_at, version"
    };
}

/// One facility.
pub async fn get_row<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: &str,
) -> Result<Option<FacilityRow>, StoreError> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        cols!(),
        " FROM facilities WHERE id = $1"
    ))
    .bind(id.to_string())
    .fetch_optional(ex)
    .await?)
}

/// The list's filters.
pub struct FacilityFilter {
    /// `q`, division prefix, page.
    pub common: Filter,
    /// Category key.
    pub category: Option<String>,
    /// Provider USCC.
    pub provider_code: Option<String>,
    /// Listing number.
    pub listing_number: Option<String>,
    /// Only listed (`Some(true)`) or unlisted outlets.
    pub listed: Option<bool>,
}

fn list_where(backend: Backend) -> String {
    let s = |c| fold(backend, c);
    format!(
        "WHERE ($1 IS NULL OR {} LIKE $1 ESCAPE '\\' OR {} LIKE $1 ESCAPE '\\' OR {} LIKE $1 ESCAPE '\\' OR {} LIKE $1 ESCAPE '\\') \
         AND ($2 IS NULL OR division_code LIKE $2 ESCAPE '\\') AND ($3 IS NULL OR category = $3) \
         AND ($4 IS NULL OR provider_code = $4) AND ($5 IS NULL OR listing_number = $5) \
         AND ($6 IS NULL OR ($6 = 1 AND listing_number > '') OR ($6 = 0 AND listing_number IS NULL))",
        s("name"),
        s("id"),
        s("address"),
        s("operator_name")
    )
}

fn listed(f: &FacilityFilter) -> Option<i64> {
    f.listed.map(i64::from)
}

/// A page of facilities and how many match.
pub async fn list_rows(
    conn: &mut AnyConnection,
    backend: Backend,
    f: &FacilityFilter,
) -> Result<(Vec<FacilityRow>, i64), StoreError> {
    let wh = list_where(backend);
    let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM facilities {wh}"))
        .bind(f.common.search.clone())
        .bind(f.common.division.clone())
        .bind(f.category.clone())
        .bind(f.provider_code.clone())
        .bind(f.listing_number.clone())
        .bind(listed(f))
        .fetch_one(&mut *conn)
        .await?;
    let rows = sqlx::query_as(&format!(
        "SELECT {} FROM facilities {wh} ORDER BY id LIMIT $7 OFFSET $8",
        cols!()
    ))
    .bind(f.common.search.clone())
    .bind(f.common.division.clone())
    .bind(f.category.clone())
    .bind(f.provider_code.clone())
    .bind(f.listing_number.clone())
    .bind(listed(f))
    .bind(f.common.page.limit)
    .bind(f.common.page.offset)
    .fetch_all(&mut *conn)
    .await?;
    Ok((rows, total))
}

/// Every facility matching a filter (exports).
pub async fn all_rows(
    conn: &mut AnyConnection,
    backend: Backend,
    f: &FacilityFilter,
) -> Result<Vec<FacilityRow>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {} FROM facilities {} ORDER BY id",
        cols!(),
        list_where(backend)
    ))
    .bind(f.common.search.clone())
    .bind(f.common.division.clone())
    .bind(f.category.clone())
    .bind(f.provider_code.clone())
    .bind(f.listing_number.clone())
    .bind(listed(f))
    .fetch_all(conn)
    .await?)
}

/// Inserts a new facility (409 if the id or the listing number is taken).
pub async fn insert(conn: &mut AnyConnection, r: &FacilityRow) -> Result<(), StoreError> {
    sqlx::query(concat!(
        "INSERT INTO facilities (",
        cols!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)"
    ))
    .bind(r.id.clone())
    .bind(r.name.clone())
    .bind(r.category.clone())
    .bind(r.lon)
    .bind(r.lat)
    .bind_real(r.capacity)
    .bind_real(r.floor_area_m2)
    .bind(r.provider_code.clone())
    .bind(r.operator_name.clone())
    .bind(r.opening_hours.clone())
    .bind(r.address.clone())
    .bind(r.division_code.clone())
    .bind(r.listing_number.clone())
    .bind(r.credit_commitment_date.clone())
    .bind(r.nbs_class.clone())
    .bind(r.created_at)
    .bind(r.updated_at)
    .bind(r.version)
    .execute(conn)
    .await
    .map_err(unique("id or listing_number"))?;
    Ok(())
}

/// Compare-and-set update (see `communities::update`).
pub async fn update(
    conn: &mut AnyConnection,
    r: &FacilityRow,
    seen: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE facilities SET name = $2, category = $3, lon = $4, lat = $5, capacity = $6, floor_area_m2 = $7, provider_code = $8, operator_name = $9, opening_hours = $10, address = $11, division_code = $12, listing_number = $13, credit_commitment_date = $14, updated_at = $15, nbs_class = $17, version = version + 1 WHERE id = $1 AND version = $16",
    )
    .bind(r.id.clone())
    .bind(r.name.clone())
    .bind(r.category.clone())
    .bind(r.lon)
    .bind(r.lat)
    .bind_real(r.capacity)
    .bind_real(r.floor_area_m2)
    .bind(r.provider_code.clone())
    .bind(r.operator_name.clone())
    .bind(r.opening_hours.clone())
    .bind(r.address.clone())
    .bind(r.division_code.clone())
    .bind(r.listing_number.clone())
    .bind(r.credit_commitment_date.clone())
    .bind(r.updated_at)
    .bind(seen)
    .bind(r.nbs_class.clone())
    .execute(conn)
    .await
    .map_err(unique("listing_number"))?;
    Ok(done.rows_affected() == 1)
}

// --- Rules that read stored state (inside the write transaction) -----------------------------

/// A facility's division and provider must exist.
pub(crate) async fn check_refs(conn: &mut AnyConnection, f: &Facility) -> ApiResult<()> {
    if let Some(d) = &f.division_code {
        if !divisions::exists(&mut *conn, d).await? {
            return Err(web::unknown_reference("division_code", "division", d));
        }
    }
    if let Some(p) = &f.provider_code {
        if !providers::exists(&mut *conn, p).await? {
            return Err(web::unknown_reference("provider_code", "provider", p));
        }
    }
    Ok(())
}

// --- Handlers ---------------------------------------------------------------------------------

/// Query of the list and the exports.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Search text (name, id, address, operator).
    pub q: Option<String>,
    /// Division code prefix (1-12 digits).
    pub division: Option<String>,
    /// Category key.
    pub category: Option<String>,
    /// Provider USCC.
    pub provider_code: Option<String>,
    /// Listing number.
    pub listing_number: Option<String>,
    /// `true`: only inclusive-service outlets with a listing number; `false`: only others.
    pub listed: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    pub page: web::PageQuery,
}

impl ListQuery {
    fn filter(&self) -> ApiResult<FacilityFilter> {
        Ok(FacilityFilter {
            common: Filter {
                search: web::search_param(&self.q),
                division: web::division_param(&self.division)?.map(|d| prefix_pattern(&d)),
                page: self.page.page()?,
            },
            category: self.category.clone(),
            provider_code: self.provider_code.clone(),
            listing_number: self.listing_number.clone(),
            listed: match self.listed.as_deref() {
                Some("true") => Some(true),
                Some("false") => Some(false),
                _ => None,
            },
        })
    }
}

/// GET /api/facilities.
#[utoipa::path(get, path = "/api/facilities", tag = "facilities", params(ListQuery, web::PageQuery),
    responses((status = 200, body = Paged<FacilityRow>), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn list(
    State(st): State<Arc<AppState>>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Paged<FacilityRow>>> {
    let f = q.filter()?;
    let mut conn = st.store.read_conn().await?;
    let (rows, total) = list_rows(&mut conn, st.store.backend(), &f).await?;
    Ok(Json(Paged::new(rows, total, f.common.page)))
}

/// GET /api/facilities/{id}.
#[utoipa::path(get, path = "/api/facilities/{id}", tag = "facilities", params(("id" = String, Path)),
    responses((status = 200, body = FacilityRow), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn read(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<FacilityRow>> {
    get_row(st.store.reader(), &id)
        .await?
        .map(Json)
        .ok_or_else(|| AppError::not_found("facility", &id))
}

/// POST /api/facilities: provider staff's new facility takes their provider.
#[utoipa::path(post, path = "/api/facilities", tag = "facilities", request_body = FacilityInput,
    responses((status = 201, body = FacilityRow), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn create(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<FacilityRow>)> {
    let mut obj = web::json_object(&body)?;
    if let Some(u) = c.user.as_ref().filter(|u| u.role == Role::ProviderStaff) {
        obj.entry("provider_code").or_insert(json!(u.provider_code));
    }
    let input: FacilityInput = parse_input(Value::Object(obj)).map_err(web::invalid)?;
    let checked = input.check().map_err(web::invalid)?;
    if !own_provider(&c, checked.provider_code.as_deref()) {
        return Err(web::forbidden_record("facility"));
    }
    let row = FacilityRow::new(checked.clone(), now_ms(), 0);
    let mut tx = st.store.begin().await?;
    check_refs(tx.conn(), &checked).await?;
    insert(tx.conn(), &row).await?;
    tx.audit(
        &c.actor(),
        "create",
        "facility",
        &row.id,
        web::changes(None, &row, &[]),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// PATCH /api/facilities/{id} (compare-and-set; see `communities::patch_one`).
#[utoipa::path(patch, path = "/api/facilities/{id}", tag = "facilities",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, description = "The version the change is made against")),
    request_body = FacilityInput,
    responses((status = 200, body = FacilityRow), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn patch_one(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<FacilityRow>> {
    let expected = web::if_match(&headers)?;
    let patch = Value::Object(web::json_object(&body)?);
    let mut tx = st.store.begin().await?;
    let stored = get_row(tx.conn(), &id)
        .await?
        .ok_or_else(|| AppError::not_found("facility", &id))?;
    if !own_provider(&c, stored.provider_code.as_deref()) {
        return Err(web::forbidden_record("facility"));
    }
    if expected.is_some_and(|v| v != stored.version) {
        return Err(web::conflict("facility", &id));
    }
    let checked = merge_patch(&stored.input(), &patch)
        .and_then(|i| i.check())
        .map_err(web::invalid)?;
    if !own_provider(&c, checked.provider_code.as_deref()) {
        return Err(web::forbidden_record("facility"));
    }
    check_refs(tx.conn(), &checked).await?;
    let mut row = FacilityRow::new(checked, stored.created_at, stored.version);
    if !update(tx.conn(), &row, stored.version).await? {
        return Err(web::conflict("facility", &id));
    }
    row.version += 1;
    tx.audit(
        &c.actor(),
        "update",
        "facility",
        &id,
        web::changes(Some(&stored), &row, &[]),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(row))
}

// --- Bulk: the engine's facilities.csv --------------------------------------------------------

fn opt(v: Option<f64>) -> Value {
    v.map(|x| json!(x)).unwrap_or(Value::Null)
}

/// The fields a facility has beyond the engine's file (kept on import, exported to Excel).
fn platform_fields() -> impl Iterator<Item = &'static str> {
    FacilityInput::FIELD_NAMES
        .iter()
        .copied()
        .filter(|f| lc_tables::FACILITY_COLUMNS.iter().all(|(c, _)| c != f))
}

/// POST /api/facilities/import.
#[utoipa::path(post, path = "/api/facilities/import", tag = "facilities", params(bulk::CrsQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = bulk::ImportResult), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn import(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Query(q): Query<bulk::CrsQuery>,
    body: Bytes,
) -> ApiResult<Json<bulk::ImportResult>> {
    let crs = q.crs()?;
    let read = bulk::read_upload(&body, "facilities.csv", |p| {
        lc_tables::read_facilities(p, crs)
    })?;
    let inputs: Vec<(String, Value)> = read
        .into_iter()
        .map(|f| {
            let v = json!({
                "id": f.id, "name": f.name, "category": f.category.key(), "lon": f.pos.lon,
                "lat": f.pos.lat, "capacity": opt(f.capacity), "floor_area_m2": opt(f.floor_area_m2),
                "provider_code": f.provider_code,
            });
            (f.id, v)
        })
        .collect();
    let total = inputs.len();
    let checked = bulk::check_all::<FacilityInput>(inputs)?;
    let mut tx = st.store.begin().await?;
    let mut errors = Vec::new();
    for code in bulk::distinct(checked.iter().filter_map(|c| c.division_code.as_deref())) {
        if !divisions::exists(tx.conn(), &code).await? {
            errors.push(bulk::unknown_division(&code));
        }
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let mut counts = bulk::Counts::default();
    for f in checked {
        let old = get_row(tx.conn(), &f.id).await?;
        let mut row = FacilityRow::new(f, now_ms(), 0);
        match &old {
            Some(o) => {
                // The fields the engine's file lacks are kept.
                row.operator_name = row.operator_name.or_else(|| o.operator_name.clone());
                row.opening_hours = row.opening_hours.or_else(|| o.opening_hours.clone());
                row.address = row.address.or_else(|| o.address.clone());
                row.division_code = row.division_code.or_else(|| o.division_code.clone());
                row.listing_number = row.listing_number.or_else(|| o.listing_number.clone());
                row.credit_commitment_date = row
                    .credit_commitment_date
                    .or_else(|| o.credit_commitment_date.clone());
                row.nbs_class = row.nbs_class.or_else(|| o.nbs_class.clone());
                row.created_at = o.created_at;
                row.version = o.version;
                if !update(tx.conn(), &row, o.version).await? {
                    return Err(web::conflict("facility", &row.id));
                }
                row.version += 1;
            }
            None => insert(tx.conn(), &row).await?,
        }
        let diff = web::changes(old.as_ref(), &row, &[]);
        counts
            .audit(&mut tx, &c, "facility", &row.id, old.is_some(), diff)
            .await?;
    }
    counts.summary(&mut tx, &c, "facility").await?;
    tx.commit().await?;
    Ok(Json(bulk::ImportResult {
        created: counts.created,
        imported: total,
    }))
}

/// GET /api/facilities/export.csv.
#[utoipa::path(get, path = "/api/facilities/export.csv", tag = "facilities", params(ListQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn export_csv(
    State(st): State<Arc<AppState>>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Response> {
    let f = q.filter()?;
    let mut conn = st.store.read_conn().await?;
    let rows = all_rows(&mut conn, st.store.backend(), &f).await?;
    let list: Vec<lc_model::Facility> = rows.iter().filter_map(FacilityRow::to_model).collect();
    let mut buf = Vec::new();
    lc_tables::write_facilities_to(&mut buf, &list).map_err(AppError::internal)?;
    Ok(bulk::csv_response(
        "facilities.csv",
        bulk::neutralise_csv(&buf)?,
    ))
}

/// GET /api/facilities/export.xlsx.
#[utoipa::path(get, path = "/api/facilities/export.xlsx", tag = "facilities", params(ListQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn export_xlsx(
    State(st): State<Arc<AppState>>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Response> {
    let f = q.filter()?;
    let mut conn = st.store.read_conn().await?;
    let rows = all_rows(&mut conn, st.store.backend(), &f).await?;
    let values = web::to_values(&rows);
    let cols: Vec<&str> = lc_tables::FACILITY_COLUMNS
        .iter()
        .map(|(c, _)| *c)
        .chain(platform_fields())
        .collect();
    bulk::xlsx_response("facilities", &cols, &values)
}
