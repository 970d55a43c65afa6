//! 社区 Communities: rules in `lc_registry::records::CommunityInput`, the repository (explicit
//! SQL), the routes and their endpoint table; the engine's `communities.csv` import and export.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use lc_registry::records::{merge_patch, parse_input, Community, CommunityInput, Input};
use lc_registry::{Access, Role};
use lc_store::sql::{fold, prefix_pattern, unique, BindExt};
use lc_store::sqlx::{self, Any, AnyConnection, Executor};
use lc_store::{from_row, now_ms, Backend, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::bulk;
use crate::endpoints::{ep, Endpoint, CSV, JSON, OWN_COMMUNITY, STAFF_WRITE, XLSX};
use crate::error::{ApiResult, AppError};
use crate::web::{self, json_text, Filter, Paged};
use crate::AppState;

use super::divisions;
use Role::*;

/// The endpoints of this domain.
pub const ENDPOINTS: &[Endpoint] = &[
    ep!("GET", "/api/communities", Access::Public, "", "communities", "List or search communities (q, division prefix).", None, JSON),
    ep!("POST", "/api/communities", STAFF_WRITE, "", "communities", "Create a community.", Some(JSON), JSON),
    ep!("GET", "/api/communities/export.csv", Access::Public, "", "communities", "Export communities in the engine's communities.csv format; counts of people withheld (x) by the disclosure policy unless the caller keeps the registry (administrator, regulator, community worker).", None, CSV),
    ep!("GET", "/api/communities/export.xlsx", Access::Public, "", "communities", "Export communities as an Excel workbook (counts of people withheld as in export.csv).", None, XLSX),
    ep!("POST", "/api/communities/import", STAFF_WRITE, "", "communities", "Import (insert or replace) communities from communities.csv or an Excel workbook with the same columns (?crs=wgs84|gcj02|bd09).", Some(CSV), JSON),
    ep!("GET", "/api/communities/{id}", Access::Public, "", "communities", "One community.", None, JSON),
    ep!("PATCH", "/api/communities/{id}", Access::Roles(&[CommunityWorker, Regulator, Admin]), OWN_COMMUNITY, "communities", "Change a community (If-Match: its version).", Some(JSON), JSON),
];

/// The routes of this domain.
pub fn routes(max_body: usize) -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/communities", get(list).post(create))
        .route(
            "/api/communities/import",
            post(import).layer(axum::extract::DefaultBodyLimit::max(max_body)),
        )
        .route("/api/communities/export.csv", get(export_csv))
        .route("/api/communities/export.xlsx", get(export_xlsx))
        .route("/api/communities/{id}", get(read).patch(patch_one))
}

/// A stored community, as answered.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct CommunityRow {
    pub id: String,
    pub name: String,
    pub division_code: Option<String>,
    pub lon: f64,
    pub lat: f64,
    pub population: f64,
    pub households: Option<f64>,
    pub elderly: Option<f64>,
    pub children_0_3: Option<f64>,
    /// GeoJSON polygon (stored as text).
    #[serde(serialize_with = "json_text")]
    #[schema(value_type = Option<Object>)]
    pub boundary: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Raised by one on every change; send it as `If-Match` to update.
    pub version: i64,
}
from_row!(CommunityRow {
    id,
    name,
    division_code,
    lon,
    lat,
    population,
    households,
    elderly,
    children_0_3,
    boundary,
    created_at,
    updated_at,
    version
});

/// A community as the list and the record answer it. Its counts of people (`population`,
/// `households`, `elderly`, `children_0_3`) are those of the row for whoever keeps the registry
/// (administrators, regulators, community workers); for everyone else — the list is public —
/// they go through the open data's disclosure policy (counts under 10 and what would give them
/// back are `null`, named in `suppressed`), the same pattern as the exports and the open data.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct CommunityView {
    pub id: String,
    pub name: String,
    pub division_code: Option<String>,
    pub lon: f64,
    pub lat: f64,
    /// `null` only when withheld (see `suppressed`).
    pub population: Option<f64>,
    pub households: Option<f64>,
    pub elderly: Option<f64>,
    pub children_0_3: Option<f64>,
    /// GeoJSON polygon (stored as text).
    #[serde(serialize_with = "json_text")]
    #[schema(value_type = Option<Object>)]
    pub boundary: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Raised by one on every change; send it as `If-Match` to update.
    pub version: i64,
    /// The counts withheld by the disclosure policy (empty for those who keep the registry).
    pub suppressed: Vec<&'static str>,
}

impl CommunityRow {
    /// A new row of a checked community.
    pub fn new(c: Community, created_at: i64, version: i64) -> CommunityRow {
        let now = now_ms();
        CommunityRow {
            id: c.id,
            name: c.name,
            division_code: c.division_code,
            lon: c.lon,
            lat: c.lat,
            population: c.population,
            households: c.households,
            elderly: c.elderly,
            children_0_3: c.children_0_3,
            boundary: c.boundary.map(|b| b.to_string()),
            created_at,
            updated_at: now,
            version,
        }
    }

    /// The stored record as a client would send it (the base of a merge-patch).
    pub fn input(&self) -> CommunityInput {
        CommunityInput {
            id: Some(self.id.clone()),
            name: Some(self.name.clone()),
            division_code: self.division_code.clone(),
            lon: Some(self.lon),
            lat: Some(self.lat),
            population: Some(self.population),
            households: self.households,
            elderly: self.elderly,
            children_0_3: self.children_0_3,
            boundary: self
                .boundary
                .as_deref()
                .and_then(|b| serde_json::from_str(b).ok()),
        }
    }

    /// The engine's community.
    pub fn to_model(&self) -> lc_model::Community {
        lc_model::Community {
            id: self.id.clone(),
            name: self.name.clone(),
            pos: lc_model::LonLat::new(self.lon, self.lat),
            population: self.population,
            households: self.households,
            elderly: self.elderly,
            children_0_3: self.children_0_3,
            division_code: self.division_code.clone(),
        }
    }
}

// --- Repository -------------------------------------------------------------------------------

macro_rules! cols {
    () => {
        "id, name, division_code, lon, lat, population, households, elderly, children_0_3, boundary, created_at, updated_at, version"
    };
}

/// One community.
pub async fn get_row<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: &str,
) -> Result<Option<CommunityRow>, StoreError> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        cols!(),
        " FROM communities WHERE id = $1"
    ))
    .bind(id.to_string())
    .fetch_optional(ex)
    .await?)
}

/// Whether a community exists.
pub async fn exists<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: &str,
) -> Result<bool, StoreError> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM communities WHERE id = $1")
        .bind(id.to_string())
        .fetch_one(ex)
        .await?;
    Ok(n > 0)
}

/// How many communities there are.
pub async fn count_all<'c>(ex: impl Executor<'c, Database = Any>) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM communities")
        .fetch_one(ex)
        .await?)
}

fn list_where(backend: Backend) -> String {
    format!(
        "WHERE ($1 IS NULL OR {} LIKE $1 ESCAPE '\\' OR {} LIKE $1 ESCAPE '\\') AND ($2 IS NULL OR division_code LIKE $2 ESCAPE '\\')",
        fold(backend, "name"),
        fold(backend, "id")
    )
}

/// A page of communities matching a filter, and how many match.
pub async fn list_rows(
    conn: &mut AnyConnection,
    backend: Backend,
    f: &Filter,
) -> Result<(Vec<CommunityRow>, i64), StoreError> {
    let wh = list_where(backend);
    let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM communities {wh}"))
        .bind(f.search.clone())
        .bind(f.division.clone())
        .fetch_one(&mut *conn)
        .await?;
    let rows = sqlx::query_as(&format!(
        "SELECT {} FROM communities {wh} ORDER BY id LIMIT $3 OFFSET $4",
        cols!()
    ))
    .bind(f.search.clone())
    .bind(f.division.clone())
    .bind(f.page.limit)
    .bind(f.page.offset)
    .fetch_all(&mut *conn)
    .await?;
    Ok((rows, total))
}

/// Inserts a new community (409 if the id is taken).
pub async fn insert(conn: &mut AnyConnection, r: &CommunityRow) -> Result<(), StoreError> {
    sqlx::query(concat!(
        "INSERT INTO communities (",
        cols!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    ))
    .bind(r.id.clone())
    .bind(r.name.clone())
    .bind(r.division_code.clone())
    .bind(r.lon)
    .bind(r.lat)
    .bind(r.population)
    .bind_real(r.households)
    .bind_real(r.elderly)
    .bind_real(r.children_0_3)
    .bind(r.boundary.clone())
    .bind(r.created_at)
    .bind(r.updated_at)
    .bind(r.version)
    .execute(conn)
    .await
    .map_err(unique("id"))?;
    Ok(())
}

/// Replaces a community's fields if it is still at version `seen` (compare-and-set), raising
/// its version; whether it was.
pub async fn update(
    conn: &mut AnyConnection,
    r: &CommunityRow,
    seen: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE communities SET name = $2, division_code = $3, lon = $4, lat = $5, population = $6, households = $7, elderly = $8, children_0_3 = $9, boundary = $10, updated_at = $11, version = version + 1 WHERE id = $1 AND version = $12",
    )
    .bind(r.id.clone())
    .bind(r.name.clone())
    .bind(r.division_code.clone())
    .bind(r.lon)
    .bind(r.lat)
    .bind(r.population)
    .bind_real(r.households)
    .bind_real(r.elderly)
    .bind_real(r.children_0_3)
    .bind(r.boundary.clone())
    .bind(r.updated_at)
    .bind(seen)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Every community matching a filter, for exports.
pub async fn all_rows(
    conn: &mut AnyConnection,
    backend: Backend,
    f: &Filter,
) -> Result<Vec<CommunityRow>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {} FROM communities {} ORDER BY id",
        cols!(),
        list_where(backend)
    ))
    .bind(f.search.clone())
    .bind(f.division.clone())
    .fetch_all(conn)
    .await?)
}

// --- Rules that read stored state (run inside the write transaction) ---------------------------

async fn check_refs(conn: &mut AnyConnection, c: &Community) -> ApiResult<()> {
    if let Some(d) = &c.division_code {
        if !divisions::exists(&mut *conn, d).await? {
            return Err(web::unknown_reference("division_code", "division", d));
        }
    }
    Ok(())
}

fn may_write(c: &Caller, id: &str) -> bool {
    match &c.user {
        Some(u) if u.role == Role::CommunityWorker => u.community_id.as_deref() == Some(id),
        _ => true,
    }
}

// --- Handlers ---------------------------------------------------------------------------------

/// Query of the list and the exports.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Search text (name, id).
    pub q: Option<String>,
    /// Division code prefix (1-12 digits).
    pub division: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    pub page: web::PageQuery,
}

impl ListQuery {
    fn filter(&self) -> ApiResult<Filter> {
        Ok(Filter {
            search: web::search_param(&self.q),
            division: web::division_param(&self.division)?.map(|d| prefix_pattern(&d)),
            page: self.page.page()?,
        })
    }
}

/// GET /api/communities.
#[utoipa::path(get, path = "/api/communities", tag = "communities", params(ListQuery, web::PageQuery),
    responses((status = 200, body = Paged<CommunityView>), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn list(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Paged<CommunityView>>> {
    let f = q.filter()?;
    let withheld = Withheld::of(&st, &c).await?;
    let mut conn = st.store.read_conn().await?;
    let (rows, total) = list_rows(&mut conn, st.store.backend(), &f).await?;
    let rows = rows.into_iter().map(|r| withheld.view(r)).collect();
    Ok(Json(Paged::new(rows, total, f.page)))
}

/// GET /api/communities/{id}.
#[utoipa::path(get, path = "/api/communities/{id}", tag = "communities", params(("id" = String, Path)),
    responses((status = 200, body = CommunityView), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn read(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<CommunityView>> {
    let row = get_row(st.store.reader(), &id)
        .await?
        .ok_or_else(|| AppError::not_found("community", &id))?;
    Ok(Json(Withheld::of(&st, &c).await?.view(row)))
}

/// POST /api/communities.
#[utoipa::path(post, path = "/api/communities", tag = "communities", request_body = CommunityInput,
    responses((status = 201, body = CommunityRow), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn create(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<CommunityRow>)> {
    let input: CommunityInput =
        parse_input(Value::Object(web::json_object(&body)?)).map_err(web::invalid)?;
    let checked = input.check().map_err(web::invalid)?;
    if !may_write(&c, &checked.id) {
        return Err(web::forbidden_record(CommunityInput::ENTITY));
    }
    let row = CommunityRow::new(checked.clone(), now_ms(), 0);
    let mut tx = st.store.begin().await?;
    check_refs(tx.conn(), &checked).await?;
    insert(tx.conn(), &row).await?;
    tx.audit(
        &c.actor(),
        "create",
        "community",
        &row.id,
        web::changes(None, &row, &[]),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// PATCH /api/communities/{id}: the stored record with the sent fields, checked as a whole,
/// written only if the record is still at the version read (or named by `If-Match`).
#[utoipa::path(patch, path = "/api/communities/{id}", tag = "communities",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, description = "The version the change is made against")),
    request_body = CommunityInput,
    responses((status = 200, body = CommunityRow), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn patch_one(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<CommunityRow>> {
    let expected = web::if_match(&headers)?;
    let patch = Value::Object(web::json_object(&body)?);
    let mut tx = st.store.begin().await?;
    let stored = get_row(tx.conn(), &id)
        .await?
        .ok_or_else(|| AppError::not_found("community", &id))?;
    if !may_write(&c, &stored.id) {
        return Err(web::forbidden_record("community"));
    }
    if expected.is_some_and(|v| v != stored.version) {
        return Err(web::conflict("community", &id));
    }
    let checked = merge_patch(&stored.input(), &patch)
        .and_then(|i| i.check())
        .map_err(web::invalid)?;
    check_refs(tx.conn(), &checked).await?;
    let mut row = CommunityRow::new(checked, stored.created_at, stored.version);
    if !update(tx.conn(), &row, stored.version).await? {
        return Err(web::conflict("community", &id));
    }
    row.version += 1;
    tx.audit(
        &c.actor(),
        "update",
        "community",
        &id,
        web::changes(Some(&stored), &row, &[]),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(row))
}

// --- Bulk: the engine's communities.csv -------------------------------------------------------

fn opt(v: Option<f64>) -> Value {
    v.map(|x| json!(x)).unwrap_or(Value::Null)
}

/// POST /api/communities/import.
#[utoipa::path(post, path = "/api/communities/import", tag = "communities", params(bulk::CrsQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = bulk::ImportResult), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn import(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Query(q): Query<bulk::CrsQuery>,
    body: Bytes,
) -> ApiResult<Json<bulk::ImportResult>> {
    let crs = q.crs()?;
    let read = bulk::read_upload(&body, "communities.csv", |p| {
        lc_tables::read_communities(p, crs)
    })?;
    let inputs: Vec<(String, Value)> = read
        .into_iter()
        .map(|cm| {
            let v = json!({
                "id": cm.id, "name": cm.name, "lon": cm.pos.lon, "lat": cm.pos.lat,
                "population": cm.population, "households": opt(cm.households),
                "elderly": opt(cm.elderly), "children_0_3": opt(cm.children_0_3),
                "division_code": cm.division_code,
            });
            (cm.id, v)
        })
        .collect();
    let total = inputs.len();
    let checked = bulk::check_all::<CommunityInput>(inputs)?;
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
    for cm in checked {
        let old = get_row(tx.conn(), &cm.id).await?;
        let mut row = CommunityRow::new(cm, now_ms(), 0);
        match &old {
            Some(o) => {
                // The fields the engine's file lacks are kept.
                if row.boundary.is_none() {
                    row.boundary = o.boundary.clone();
                }
                row.created_at = o.created_at;
                row.version = o.version;
                if !update(tx.conn(), &row, o.version).await? {
                    return Err(web::conflict("community", &row.id));
                }
                row.version += 1;
            }
            None => insert(tx.conn(), &row).await?,
        }
        let diff = web::changes(old.as_ref(), &row, &[]);
        counts
            .audit(&mut tx, &c, "community", &row.id, old.is_some(), diff)
            .await?;
    }
    counts.summary(&mut tx, &c, "community").await?;
    tx.commit().await?;
    Ok(Json(bulk::ImportResult {
        created: counts.created,
        imported: total,
    }))
}

/// Whether the caller sees counts of people in full (communities, nurseries, places): those who
/// keep the registry (administrators, regulators, community workers). Everyone else — the
/// lists and exports are public — gets them through the open data's disclosure policy.
pub(crate) fn sees_counts(c: &Caller) -> bool {
    matches!(c.role(), Some(Admin | Regulator | CommunityWorker))
}

/// The counts of people an export withholds from its caller: `None` for those who see them in
/// full, else the pattern of the open data's community table (`open_data::tables::
/// community_pattern`: one table over every community and every township, county and city,
/// with secondary suppression), so that an export and the open-data dataset publish one and
/// the same pattern and neither adds to what the other reveals.
pub(crate) struct Withheld(Option<crate::domains::open_data::tables::CommunityPattern>);

impl Withheld {
    /// The pattern for this caller (read only when the caller does not keep the registry).
    pub(crate) async fn of(st: &AppState, c: &Caller) -> ApiResult<Withheld> {
        if sees_counts(c) {
            return Ok(Withheld(None));
        }
        let policy = crate::domains::open_data::policy();
        Ok(Withheld(Some(
            crate::domains::open_data::tables::community_pattern(st, &policy).await?,
        )))
    }

    /// Whether count column `k` (of `COMMUNITY_COUNTS`) of community `id`, whose value is
    /// `value`, is withheld. A community the pattern does not know (added since it was read)
    /// has its counts withheld: never published unchecked.
    pub(crate) fn cell(&self, id: &str, k: usize, value: Option<f64>) -> bool {
        let Some(p) = &self.0 else { return false };
        value.is_some()
            && p.cells[k]
                .get(&format!("community:{id}"))
                .is_none_or(|(_, suppressed)| *suppressed)
    }

    /// A community as answered to this caller: the counts the pattern withholds are `null` and
    /// named in `suppressed`.
    pub(crate) fn view(&self, row: CommunityRow) -> CommunityView {
        let counts = Withheld::counts(&row);
        let mut suppressed = Vec::new();
        let mut shown = [None; 4];
        for (k, v) in counts.into_iter().enumerate() {
            if self.cell(&row.id, k, v) {
                suppressed.push(crate::domains::open_data::tables::COMMUNITY_COUNTS[k]);
            } else {
                shown[k] = v;
            }
        }
        let [population, households, elderly, children_0_3] = shown;
        CommunityView {
            id: row.id,
            name: row.name,
            division_code: row.division_code,
            lon: row.lon,
            lat: row.lat,
            population,
            households,
            elderly,
            children_0_3,
            boundary: row.boundary,
            created_at: row.created_at,
            updated_at: row.updated_at,
            version: row.version,
            suppressed,
        }
    }

    fn counts(row: &CommunityRow) -> [Option<f64>; 4] {
        [
            Some(row.population),
            row.households,
            row.elderly,
            row.children_0_3,
        ]
    }
}

/// GET /api/communities/export.csv: the engine's `communities.csv`. For a caller who does not
/// keep the registry, the counts of people the disclosure policy withholds are `x` (as in the
/// open data): such a file is for reading, not for `livingcircle assess`.
#[utoipa::path(get, path = "/api/communities/export.csv", tag = "communities", params(ListQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn export_csv(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Response> {
    let f = q.filter()?;
    let withheld = Withheld::of(&st, &c).await?;
    let mut conn = st.store.read_conn().await?;
    let rows = all_rows(&mut conn, st.store.backend(), &f).await?;
    let list: Vec<lc_model::Community> = rows.iter().map(CommunityRow::to_model).collect();
    let mut buf = Vec::new();
    lc_tables::write_communities_to(&mut buf, &list).map_err(AppError::internal)?;
    if withheld.0.is_some() {
        buf = withhold_csv(&buf, &rows, &withheld)?;
    }
    Ok(bulk::csv_response(
        "communities.csv",
        bulk::neutralise_csv(&buf)?,
    ))
}

/// The engine's CSV with the withheld count cells replaced by `x` (the rows are in the order
/// they were written; the writer leaves out an optional column no row has).
fn withhold_csv(
    csv_bytes: &[u8],
    rows: &[CommunityRow],
    withheld: &Withheld,
) -> ApiResult<Vec<u8>> {
    let mut r = csv::Reader::from_reader(csv_bytes);
    let header = r.headers().map_err(AppError::internal)?.clone();
    let at: Vec<Option<usize>> = crate::domains::open_data::tables::COMMUNITY_COUNTS
        .iter()
        .map(|name| header.iter().position(|h| h == *name))
        .collect();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&header).map_err(AppError::internal)?;
    for (rec, row) in r.records().zip(rows) {
        let mut cells: Vec<String> = rec
            .map_err(AppError::internal)?
            .iter()
            .map(str::to_string)
            .collect();
        for (k, value) in Withheld::counts(row).into_iter().enumerate() {
            if let Some(i) = at[k] {
                if withheld.cell(&row.id, k, value) {
                    cells[i] = crate::domains::open_data::tables::SUPPRESSED.to_string();
                }
            }
        }
        w.write_record(&cells).map_err(AppError::internal)?;
    }
    w.into_inner().map_err(AppError::internal)
}

/// GET /api/communities/export.xlsx (counts withheld as in `export.csv`).
#[utoipa::path(get, path = "/api/communities/export.xlsx", tag = "communities", params(ListQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn export_xlsx(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Response> {
    let f = q.filter()?;
    let withheld = Withheld::of(&st, &c).await?;
    let mut conn = st.store.read_conn().await?;
    let rows = all_rows(&mut conn, st.store.backend(), &f).await?;
    let mut values = web::to_values(&rows);
    for (v, row) in values.iter_mut().zip(&rows) {
        for (k, value) in Withheld::counts(row).into_iter().enumerate() {
            if withheld.cell(&row.id, k, value) {
                v[crate::domains::open_data::tables::COMMUNITY_COUNTS[k]] =
                    json!(crate::domains::open_data::tables::SUPPRESSED);
            }
        }
    }
    let cols: Vec<&str> = lc_tables::COMMUNITY_COLUMNS
        .iter()
        .map(|(c, _)| *c)
        .collect();
    bulk::xlsx_response("communities", &cols, &values)
}
