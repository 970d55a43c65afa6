//! 服务项目 What outlets offer: the service-type vocabulary, offerings (an outlet's service with
//! its price, subsidy cap, duration, capacity per slot and weekly opening plan), the public-holiday
//! calendar (放假 and 调休上班 days) and the slots with their free seats.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, put};
use axum::{Extension, Json, Router};
use jiff::civil::Date;
use lc_access::reach::{distances_within, Reach};
use lc_model::LonLat;
use lc_network::{SnapMode, Snapper};
use lc_registry::{Access, Role};
use lc_services::catalogue::{Delivery, OfferingInput, ServiceType, SERVICE_TYPES};
use lc_services::plan::{self, Calendar, CalendarDayInput, DayKind, Plan, PlanInput};
use lc_services::time;
use lc_store::sql::{unique, BindExt};
use lc_store::sqlx::{self, Any, AnyConnection, Executor, Row};
use lc_store::{from_row, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::domains::registry::facilities;
use crate::endpoints::{ep, Endpoint, JSON, OWN_PROVIDER};
use crate::error::{ApiResult, AppError};
use crate::web::{self, Paged};
use crate::AppState;

use Role::*;

/// The endpoints of this domain.
pub const ENDPOINTS: &[Endpoint] = &[
    ep!("GET", "/api/service-types", Access::Public, "", "services", "The service-type vocabulary (助餐, 助浴, …): keys, names, deliveries, outlet categories.", None, JSON),
    ep!("GET", "/api/offerings", Access::Public, "", "services", "List offerings (filter by facility, service, provider).", None, JSON),
    ep!("POST", "/api/offerings", Access::Roles(&[ProviderStaff, Regulator, Admin]), OWN_PROVIDER, "services", "Add an outlet's offering with its opening plan.", Some(JSON), JSON),
    ep!("GET", "/api/offerings/{id}", Access::Public, "", "services", "One offering with its opening plan.", None, JSON),
    ep!("PATCH", "/api/offerings/{id}", Access::Roles(&[ProviderStaff, Regulator, Admin]), OWN_PROVIDER, "services", "Change an offering (If-Match: its version); a lower capacity applies to slots not yet fuller.", Some(JSON), JSON),
    ep!("GET", "/api/offerings/{id}/area", Access::Public, "", "services", "A home service's area: the communities within its walking distance of the outlet, on the walking network.", None, JSON),
    ep!("GET", "/api/offerings/{id}/slots", Access::Public, "", "services", "An offering's slots between two dates (Asia/Shanghai) with their free seats.", None, JSON),
    ep!("GET", "/api/calendar", Access::Public, "", "services", "The public-holiday calendar (放假 and 调休上班 days).", None, JSON),
    ep!("PUT", "/api/calendar/{day}", Access::Roles(&[Regulator, Admin]), "", "services", "Set one day of the public-holiday calendar.", Some(JSON), JSON),
    ep!("DELETE", "/api/calendar/{day}", Access::Roles(&[Regulator, Admin]), "", "services", "Remove one day of the public-holiday calendar (idempotent: `deleted` says whether it was there).", None, JSON),
];

/// The routes of this domain.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/service-types", get(service_types))
        .route("/api/offerings", get(list).post(create))
        .route("/api/offerings/{id}", get(read).patch(patch_one))
        .route("/api/offerings/{id}/slots", get(slots))
        .route("/api/offerings/{id}/area", get(area))
        .route("/api/calendar", get(calendar_list))
        .route(
            "/api/calendar/{day}",
            put(calendar_put).delete(calendar_delete),
        )
}

// --- Records ----------------------------------------------------------------------------------

/// A stored offering, as answered.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct OfferingRow {
    pub id: i64,
    /// The outlet (a registry facility).
    pub facility_id: String,
    /// Its provider (USCC), copied from the facility.
    pub provider_code: Option<String>,
    /// Service-type key.
    pub service: String,
    /// `outlet` or `home`.
    pub delivery: String,
    pub price_fen: i64,
    pub subsidy_cap_fen: i64,
    pub duration_min: i64,
    pub capacity: i64,
    pub home_area_m: Option<f64>,
    pub cancel_notice_min: i64,
    pub horizon_days: i64,
    pub min_notice_min: i64,
    /// 1 while it takes bookings.
    pub active: i64,
    /// The opening plan (JSON of `PlanInput`).
    #[serde(serialize_with = "crate::web::json_text_plain")]
    #[schema(value_type = PlanInput)]
    pub plan: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
    /// For home delivery: when its walking service area was computed (`GET …/area`); null when
    /// the server has no walking network (the area is then not checked).
    pub area_computed_at: Option<i64>,
}
from_row!(OfferingRow {
    id,
    facility_id,
    provider_code,
    service,
    delivery,
    price_fen,
    subsidy_cap_fen,
    duration_min,
    capacity,
    home_area_m,
    cancel_notice_min,
    horizon_days,
    min_notice_min,
    active,
    plan,
    created_at,
    updated_at,
    version,
    area_computed_at
});

/// What a client sends: the offering's fields, the outlet and the plan.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfferingBody {
    /// The outlet (facility id); fixed once created.
    #[serde(default)]
    pub facility_id: Option<String>,
    #[serde(flatten)]
    pub offering: OfferingInput,
    /// The weekly opening plan.
    #[serde(default)]
    pub plan: Option<PlanInput>,
}

impl OfferingRow {
    /// The stored plan, checked again (it was checked when written).
    pub fn plan(&self) -> ApiResult<Plan> {
        let input: PlanInput = serde_json::from_str(&self.plan).map_err(AppError::internal)?;
        input.check().map_err(web::invalid)
    }

    fn body(&self) -> OfferingBody {
        OfferingBody {
            facility_id: Some(self.facility_id.clone()),
            offering: OfferingInput {
                service: Some(self.service.clone()),
                delivery: Some(self.delivery.clone()),
                price_fen: Some(self.price_fen),
                subsidy_cap_fen: Some(self.subsidy_cap_fen),
                duration_min: Some(self.duration_min),
                capacity: Some(self.capacity),
                home_area_m: self.home_area_m,
                cancel_notice_min: Some(self.cancel_notice_min),
                horizon_days: Some(self.horizon_days),
                min_notice_min: Some(self.min_notice_min),
                active: Some(self.active != 0),
            },
            plan: serde_json::from_str(&self.plan).ok(),
        }
    }
}

// --- Repository -------------------------------------------------------------------------------

macro_rules! cols {
    () => {
        "id, facility_id, provider_code, service, delivery, price_fen, subsidy_cap_fen, duration_min, capacity, home_area_m, cancel_notice_min, horizon_days, min_notice_min, active, plan, created_at, updated_at, version, area_computed_at"
    };
}

/// One offering.
pub async fn get_row<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
) -> Result<Option<OfferingRow>, StoreError> {
    Ok(
        sqlx::query_as(concat!("SELECT ", cols!(), " FROM offerings WHERE id = $1"))
            .bind(id)
            .fetch_optional(ex)
            .await?,
    )
}

/// Offerings matching the filters, a page of them, and how many match.
async fn list_rows(
    conn: &mut AnyConnection,
    q: &ListQuery,
    page: web::Page,
) -> Result<(Vec<OfferingRow>, i64), StoreError> {
    let wh = "WHERE ($1 IS NULL OR facility_id = $1) AND ($2 IS NULL OR service = $2) AND ($3 IS NULL OR provider_code = $3)";
    let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM offerings {wh}"))
        .bind(q.facility_id.clone())
        .bind(q.service.clone())
        .bind(q.provider_code.clone())
        .fetch_one(&mut *conn)
        .await?;
    let rows = sqlx::query_as(&format!(
        "SELECT {} FROM offerings {wh} ORDER BY id LIMIT $4 OFFSET $5",
        cols!()
    ))
    .bind(q.facility_id.clone())
    .bind(q.service.clone())
    .bind(q.provider_code.clone())
    .bind(page.limit)
    .bind(page.offset)
    .fetch_all(&mut *conn)
    .await?;
    Ok((rows, total))
}

async fn insert(conn: &mut AnyConnection, r: &OfferingRow) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO offerings (facility_id, provider_code, service, delivery, price_fen, subsidy_cap_fen, duration_min, capacity, home_area_m, cancel_notice_min, horizon_days, min_notice_min, active, plan, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 0) RETURNING id",
    )
    .bind(r.facility_id.clone())
    .bind(r.provider_code.clone())
    .bind(r.service.clone())
    .bind(r.delivery.clone())
    .bind(r.price_fen)
    .bind(r.subsidy_cap_fen)
    .bind(r.duration_min)
    .bind(r.capacity)
    .bind_real(r.home_area_m)
    .bind(r.cancel_notice_min)
    .bind(r.horizon_days)
    .bind(r.min_notice_min)
    .bind(r.active)
    .bind(r.plan.clone())
    .bind(r.created_at)
    .bind(r.updated_at)
    .fetch_one(conn)
    .await
    .map_err(unique("service of this outlet"))?;
    Ok(row.try_get::<i64, _>(0)?)
}

/// Compare-and-set update on the version read.
async fn update(conn: &mut AnyConnection, r: &OfferingRow, seen: i64) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE offerings SET price_fen = $2, subsidy_cap_fen = $3, duration_min = $4, capacity = $5, home_area_m = $6, cancel_notice_min = $7, horizon_days = $8, min_notice_min = $9, active = $10, plan = $11, updated_at = $12, version = version + 1 WHERE id = $1 AND version = $13",
    )
    .bind(r.id)
    .bind(r.price_fen)
    .bind(r.subsidy_cap_fen)
    .bind(r.duration_min)
    .bind(r.capacity)
    .bind_real(r.home_area_m)
    .bind(r.cancel_notice_min)
    .bind(r.horizon_days)
    .bind(r.min_notice_min)
    .bind(r.active)
    .bind(r.plan.clone())
    .bind(r.updated_at)
    .bind(seen)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The calendar's days from `from` to `to` (inclusive, `YYYY-MM-DD` sorts as text).
pub async fn calendar_between<'c>(
    ex: impl Executor<'c, Database = Any>,
    from: Date,
    to: Date,
) -> Result<Calendar, StoreError> {
    let rows: Vec<(String, String, Option<String>, String)> = sqlx::query_as(
        "SELECT day, kind, works_as, name FROM calendar_days WHERE day >= $1 AND day <= $2 ORDER BY day",
    )
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(ex)
    .await?;
    let mut cal = Calendar::default();
    for (day, kind, works_as, name) in rows {
        let input = CalendarDayInput {
            date: Some(day),
            kind: Some(kind),
            works_as,
            name: Some(name),
        };
        // Stored days were checked when written.
        if let Ok(d) = input.check() {
            cal.days.insert(d.date, d.kind);
        }
    }
    Ok(cal)
}

/// Seats booked per slot start of an offering between two instants.
pub async fn booked_between(
    conn: &mut AnyConnection,
    offering: i64,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<(i64, i64, i64)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT start_ms, capacity, booked FROM slot_seats WHERE offering_id = $1 AND start_ms >= $2 AND start_ms < $3",
    )
    .bind(offering)
    .bind(from_ms)
    .bind(to_ms)
    .fetch_all(conn)
    .await?)
}

// --- Rules that read stored state ---------------------------------------------------------------

/// The outlet of an offering must exist and, for provider staff, be their provider's; the
/// offering must fit the outlet's category.
async fn check_outlet(
    conn: &mut AnyConnection,
    c: &Caller,
    facility_id: &str,
) -> ApiResult<facilities::FacilityRow> {
    let f = facilities::get_row(&mut *conn, facility_id)
        .await?
        .ok_or_else(|| web::unknown_reference("facility_id", "facility", facility_id))?;
    if let Some(u) = c.user.as_ref().filter(|u| u.role == ProviderStaff) {
        if f.provider_code.is_none() || f.provider_code != u.provider_code {
            return Err(web::forbidden_record("offering"));
        }
    }
    Ok(f)
}

fn key(id: &str) -> ApiResult<i64> {
    id.parse().map_err(|_| AppError::not_found("offering", id))
}

fn checked_row(
    body: &OfferingBody,
    facility: &facilities::FacilityRow,
    now: i64,
) -> ApiResult<OfferingRow> {
    let mut errors = Vec::new();
    let offering = body
        .offering
        .check(&facility.category)
        .map_err(|e| errors.extend(e));
    let plan = match &body.plan {
        None => {
            errors.push(lc_registry::FieldError {
                field: "plan".into(),
                code: "required",
                message_zh: "缺少必填字段 plan（每周开放时间）".into(),
                message_en: "plan (the weekly opening hours) is required".into(),
            });
            Err(())
        }
        Some(p) => p.check().map(|_| p.clone()).map_err(|e| {
            errors.extend(e.into_iter().map(|mut fe| {
                fe.field = format!("plan.{}", fe.field);
                fe
            }))
        }),
    };
    match (offering, plan) {
        (Ok(o), Ok(p)) => Ok(OfferingRow {
            id: 0,
            facility_id: facility.id.clone(),
            provider_code: facility.provider_code.clone(),
            service: o.service.key.to_string(),
            delivery: o.delivery.key().to_string(),
            price_fen: o.price_fen,
            subsidy_cap_fen: o.subsidy_cap_fen,
            duration_min: i64::from(o.duration_min),
            capacity: o.capacity,
            home_area_m: o.home_area_m,
            cancel_notice_min: o.cancel_notice_min,
            horizon_days: o.horizon_days,
            min_notice_min: o.min_notice_min,
            active: i64::from(o.active),
            plan: serde_json::to_string(&p).map_err(AppError::internal)?,
            created_at: now,
            updated_at: now,
            version: 0,
            area_computed_at: None,
        }),
        _ => Err(web::invalid(errors)),
    }
}

// --- Handlers ---------------------------------------------------------------------------------

/// GET /api/service-types.
#[utoipa::path(get, path = "/api/service-types", tag = "services",
    responses((status = 200, body = Vec<ServiceType>), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn service_types() -> Json<&'static [ServiceType]> {
    Json(SERVICE_TYPES)
}

/// Filters of the offering list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Outlet (facility id).
    pub facility_id: Option<String>,
    /// Service-type key.
    pub service: Option<String>,
    /// Provider (USCC).
    pub provider_code: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    pub page: web::PageQuery,
}

/// GET /api/offerings.
#[utoipa::path(get, path = "/api/offerings", tag = "services", params(ListQuery, web::PageQuery),
    responses((status = 200, body = Paged<OfferingRow>), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn list(
    State(st): State<Arc<AppState>>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Paged<OfferingRow>>> {
    let page = q.page.page()?;
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let (rows, total) = list_rows(&mut conn, &q, page).await?;
    Ok(Json(Paged::new(rows, total, page)))
}

/// GET /api/offerings/{id}.
#[utoipa::path(get, path = "/api/offerings/{id}", tag = "services", params(("id" = i64, Path)),
    responses((status = 200, body = OfferingRow), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn read(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<OfferingRow>> {
    let row = get_row(st.store.pool(), key(&id)?)
        .await?
        .ok_or_else(|| AppError::not_found("offering", &id))?;
    Ok(Json(row))
}

/// POST /api/offerings.
#[utoipa::path(post, path = "/api/offerings", tag = "services", request_body = OfferingBody,
    responses((status = 201, body = OfferingRow), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<OfferingRow>)> {
    let body: OfferingBody = web::json_body(&body)?;
    let Some(facility_id) = body.facility_id.clone().filter(|s| !s.trim().is_empty()) else {
        return Err(AppError::field(
            "facility_id",
            "required",
            "缺少必填字段 facility_id".into(),
            "facility_id is required".into(),
        ));
    };
    let facility = check_outlet(
        &mut *st.store.pool().acquire().await.map_err(StoreError::from)?,
        &c,
        &facility_id,
    )
    .await?;
    let mut row = checked_row(&body, &facility, st.clock.now_ms())?;
    let reach = service_area(&st, &facility, &row).await?;
    let mut tx = st.store.begin().await?;
    // The outlet's rules again, inside the write transaction.
    check_outlet(tx.conn(), &c, &facility_id).await?;
    row.id = insert(tx.conn(), &row).await?;
    row.area_computed_at = store_area(tx.conn(), row.id, reach, st.clock.now_ms()).await?;
    tx.audit(
        &c.actor(),
        "create",
        "offering",
        &row.id.to_string(),
        web::changes(None, &row, &[]),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// Creates an offering inside the write transaction `tx` by the rules of `POST /api/offerings`
/// (the outlet and its provider, the offering and its plan, the home area on the walking
/// network), audited as `c`: the demo seed's path.
pub(crate) async fn create_in(
    st: &AppState,
    tx: &mut lc_store::Tx,
    c: &Caller,
    body: &OfferingBody,
) -> ApiResult<OfferingRow> {
    let facility_id = body.facility_id.clone().unwrap_or_default();
    let facility = check_outlet(tx.conn(), c, &facility_id).await?;
    let now = st.clock.now_ms();
    let mut row = checked_row(body, &facility, now)?;
    let reach = service_area(st, &facility, &row).await?;
    row.id = insert(tx.conn(), &row).await?;
    row.area_computed_at = store_area(tx.conn(), row.id, reach, now).await?;
    tx.audit(
        &c.actor(),
        "create",
        "offering",
        &row.id.to_string(),
        web::changes(None, &row, &[]),
    )
    .await?;
    Ok(row)
}

/// PATCH /api/offerings/{id}: a merge of the stored offering and the fields sent, checked as a
/// whole; `facility_id`, `service` and `delivery` cannot change.
#[utoipa::path(patch, path = "/api/offerings/{id}", tag = "services",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header, description = "The version the change is made against")),
    request_body = OfferingBody,
    responses((status = 200, body = OfferingRow), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn patch_one(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<OfferingRow>> {
    let expected = web::if_match(&headers)?;
    let patch = web::json_object(&body)?;
    let k = key(&id)?;
    let mut tx = st.store.begin().await?;
    let stored = get_row(tx.conn(), k)
        .await?
        .ok_or_else(|| AppError::not_found("offering", &id))?;
    let facility = check_outlet(tx.conn(), &c, &stored.facility_id).await?;
    for fixed in ["facility_id", "service", "delivery"] {
        if patch.contains_key(fixed) {
            return Err(AppError::field(
                fixed,
                "immutable",
                format!("{fixed} 创建后不能修改（请新增一项服务）"),
                format!("{fixed} cannot change once created (add a new offering instead)"),
            ));
        }
    }
    if expected.is_some_and(|v| v != stored.version) {
        return Err(web::conflict("offering", &id));
    }
    let mut merged = serde_json::to_value(stored.body()).map_err(AppError::internal)?;
    if let (Value::Object(m), patch) = (&mut merged, patch) {
        for (k, v) in patch {
            m.insert(k, v);
        }
    }
    let body: OfferingBody = serde_json::from_value(merged).map_err(|e| {
        AppError::bad_request(
            format!("请求体字段类型或名称错误：{e}"),
            format!("the body has a wrong field or type: {e}"),
        )
    })?;
    let mut row = checked_row(&body, &facility, stored.created_at)?;
    row.id = k;
    row.version = stored.version;
    row.updated_at = st.clock.now_ms();
    if !update(tx.conn(), &row, stored.version).await? {
        return Err(web::conflict("offering", &id));
    }
    // The area again (its distance may have changed). The walk is computed inside the
    // transaction here; it takes milliseconds on a district's network.
    let reach = service_area(&st, &facility, &row).await?;
    row.area_computed_at = store_area(tx.conn(), k, reach, st.clock.now_ms()).await?;
    if row.capacity != stored.capacity {
        // Slots already opened take the new capacity, never below what they have booked.
        sqlx::query(
            "UPDATE slot_seats SET capacity = CASE WHEN booked > $2 THEN booked ELSE $2 END WHERE offering_id = $1 AND start_ms >= $3",
        )
        .bind(k)
        .bind(row.capacity)
        .bind(st.clock.now_ms())
        .execute(tx.conn())
        .await
        .map_err(StoreError::from)?;
    }
    row.version += 1;
    tx.audit(
        &c.actor(),
        "update",
        "offering",
        &id,
        web::changes(Some(&stored), &row, &[]),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(row))
}

/// The communities within a home offering's walking distance of its outlet, on the server's
/// walking network: `None` when the offering is not a home service or the server has none.
async fn service_area(
    st: &AppState,
    facility: &facilities::FacilityRow,
    row: &OfferingRow,
) -> ApiResult<Option<Vec<(String, f64)>>> {
    let (Some(graph), Some(radius)) = (st.config.network.clone(), row.home_area_m) else {
        return Ok(None);
    };
    if row.delivery != Delivery::Home.key() {
        return Ok(None);
    }
    let from = LonLat::new(facility.lon, facility.lat);
    // Only the communities in the box a straight line of that length could reach are read (a
    // walk is never shorter than the straight line; the margin covers placing both ends on the
    // network), not the whole registry for each offering.
    let reach_m = radius + 2.0 * SNAP_LIMIT_M;
    let dlat = reach_m / 111_000.0;
    let dlon = dlat / from.lat.to_radians().cos().max(0.01);
    let rows: Vec<(String, f64, f64)> = sqlx::query_as(
        "SELECT id, lon, lat FROM communities WHERE lon BETWEEN $1 AND $2 AND lat BETWEEN $3 AND $4",
    )
    .bind(from.lon - dlon)
    .bind(from.lon + dlon)
    .bind(from.lat - dlat)
    .bind(from.lat + dlat)
    .fetch_all(st.store.pool())
    .await
    .map_err(StoreError::from)?;
    let near: Vec<(String, LonLat)> = rows
        .into_iter()
        .map(|(id, lon, lat)| (id, LonLat::new(lon, lat)))
        .filter(|(_, p)| p.haversine_m(from) <= reach_m)
        .collect();
    let points: Vec<LonLat> = near.iter().map(|(_, p)| *p).collect();
    let (reach, dist) = tokio::task::spawn_blocking(move || {
        let snapper = Snapper::new(&graph, SnapMode::Edge);
        distances_within(&graph, &snapper, from, radius, &points, SNAP_LIMIT_M)
    })
    .await
    .map_err(AppError::internal)?;
    if let Reach::SourceOffNetwork(m) = reach {
        return Err(AppError::field(
            "facility_id",
            "outlet_off_network",
            format!("服务点 {} 距步行路网 {m:.0} 米（超过 {SNAP_LIMIT_M} 米），无法计算上门服务范围：请核对其坐标", facility.id),
            format!("the outlet {} is {m:.0} m from the walking network (more than {SNAP_LIMIT_M} m); its home-service area cannot be computed: check its coordinates", facility.id),
        ));
    }
    Ok(Some(
        near.into_iter()
            .zip(dist)
            .filter_map(|((id, _), d)| d.map(|d| (id, d)))
            .collect(),
    ))
}

/// How far (straight line) an outlet or a community may stand from the walking network and
/// still be placed on it: the engine's default (`--snap-limit`).
pub const SNAP_LIMIT_M: f64 = 300.0;

/// Replaces an offering's stored area; the time it was computed (`None` when not computed).
async fn store_area(
    conn: &mut AnyConnection,
    offering: i64,
    area: Option<Vec<(String, f64)>>,
    now: i64,
) -> ApiResult<Option<i64>> {
    sqlx::query("DELETE FROM offering_areas WHERE offering_id = $1")
        .bind(offering)
        .execute(&mut *conn)
        .await
        .map_err(StoreError::from)?;
    let Some(area) = area else {
        sqlx::query("UPDATE offerings SET area_computed_at = NULL WHERE id = $1")
            .bind(offering)
            .execute(&mut *conn)
            .await
            .map_err(StoreError::from)?;
        return Ok(None);
    };
    for (community, d) in area {
        sqlx::query("INSERT INTO offering_areas (offering_id, community_id, distance_m) VALUES ($1, $2, $3)")
            .bind(offering)
            .bind(community)
            .bind(d)
            .execute(&mut *conn)
            .await
            .map_err(StoreError::from)?;
    }
    sqlx::query("UPDATE offerings SET area_computed_at = $2 WHERE id = $1")
        .bind(offering)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map_err(StoreError::from)?;
    Ok(Some(now))
}

/// The walking distance from a home offering's outlet to a community, if it lies in the area.
pub async fn area_distance(
    conn: &mut AnyConnection,
    offering: i64,
    community: &str,
) -> Result<Option<f64>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT distance_m FROM offering_areas WHERE offering_id = $1 AND community_id = $2",
    )
    .bind(offering)
    .bind(community.to_string())
    .fetch_optional(conn)
    .await?)
}

/// One community of a home-service area.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AreaCommunity {
    pub community_id: String,
    pub name: Option<String>,
    /// Walking distance from the outlet, metres.
    pub distance_m: f64,
}

/// A home offering's service area.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AreaView {
    pub offering_id: i64,
    /// `computed`; `not_computed` (the server has no walking network: bookings are not checked
    /// against the area); `not_applicable` (an outlet service).
    pub status: String,
    pub home_area_m: Option<f64>,
    pub computed_at: Option<i64>,
    /// By walking distance.
    pub communities: Vec<AreaCommunity>,
}

/// GET /api/offerings/{id}/area.
#[utoipa::path(get, path = "/api/offerings/{id}/area", tag = "services", params(("id" = i64, Path)),
    responses((status = 200, body = AreaView), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn area(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<AreaView>> {
    let o = get_row(st.store.pool(), key(&id)?)
        .await?
        .ok_or_else(|| AppError::not_found("offering", &id))?;
    let status = match (o.delivery.as_str(), o.area_computed_at) {
        ("home", Some(_)) => "computed",
        ("home", None) => "not_computed",
        _ => "not_applicable",
    };
    let rows: Vec<(String, Option<String>, f64)> = sqlx::query_as(
        "SELECT a.community_id, c.name, a.distance_m FROM offering_areas a LEFT JOIN communities c ON c.id = a.community_id WHERE a.offering_id = $1 ORDER BY a.distance_m, a.community_id",
    )
    .bind(o.id)
    .fetch_all(st.store.pool())
    .await
    .map_err(StoreError::from)?;
    Ok(Json(AreaView {
        offering_id: o.id,
        status: status.into(),
        home_area_m: o.home_area_m,
        computed_at: o.area_computed_at,
        communities: rows
            .into_iter()
            .map(|(community_id, name, distance_m)| AreaCommunity {
                community_id,
                name,
                distance_m,
            })
            .collect(),
    }))
}

/// Query of the slot list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SlotQuery {
    /// First date `YYYY-MM-DD` (default: today in Asia/Shanghai).
    pub from: Option<String>,
    /// Last date `YYYY-MM-DD` (default and most: 31 days after `from`).
    pub to: Option<String>,
}

/// One slot as answered.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SlotView {
    /// Start, RFC 3339 in Asia/Shanghai (`2026-12-05T11:00:00+08:00`).
    pub start: String,
    pub end: String,
    pub start_ms: i64,
    pub end_ms: i64,
    pub capacity: i64,
    pub booked: i64,
    pub free: i64,
    /// Whether it can still be booked now (within the horizon and the notice, free seats).
    pub bookable: bool,
}

/// An instant as RFC 3339 in Asia/Shanghai.
pub fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| {
            t.to_zoned(time::zone())
                .strftime("%Y-%m-%dT%H:%M:%S%:z")
                .to_string()
        })
        .unwrap_or_default()
}

/// A `YYYY-MM-DD` query parameter, or 400 naming it.
pub fn date_param(name: &str, v: &Option<String>) -> ApiResult<Option<Date>> {
    v.as_deref()
        .map(|s| {
            time::parse_date(s).map_err(|e| {
                AppError::bad_request(
                    format!("参数 {name}：{e}"),
                    format!("parameter {name}: {e}"),
                )
            })
        })
        .transpose()
}

/// Whether a slot starting at `start_ms` may be booked at `now` under the offering's horizon
/// and notice.
pub fn within_booking_window(o: &OfferingRow, start_ms: i64, now: i64) -> bool {
    start_ms >= now + o.min_notice_min * 60_000 && start_ms <= now + o.horizon_days * 86_400_000
}

/// GET /api/offerings/{id}/slots.
#[utoipa::path(get, path = "/api/offerings/{id}/slots", tag = "services", params(("id" = i64, Path), SlotQuery),
    responses((status = 200, body = Vec<SlotView>), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn slots(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    Query(q): Query<SlotQuery>,
) -> ApiResult<Json<Vec<SlotView>>> {
    let now = st.clock.now_ms();
    let today = time::local_date(now).map_err(AppError::internal)?;
    let from = date_param("from", &q.from)?.unwrap_or(today);
    let last = from.checked_add(jiff::Span::new().days(31)).unwrap_or(from);
    let to = date_param("to", &q.to)?.unwrap_or(last).min(last);
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let o = get_row(&mut *conn, key(&id)?)
        .await?
        .ok_or_else(|| AppError::not_found("offering", &id))?;
    let plan = o.plan()?;
    let cal = calendar_between(&mut *conn, from, to).await?;
    let list = plan::slots_between(&plan, &cal, o.duration_min as u16, from, to)
        .map_err(AppError::internal)?;
    let (Some(first), Some(lastslot)) = (list.first(), list.last()) else {
        return Ok(Json(Vec::new()));
    };
    let seats = booked_between(&mut conn, o.id, first.start_ms, lastslot.start_ms + 1).await?;
    let out = list
        .iter()
        .map(|s| {
            let (capacity, booked) = seats
                .iter()
                .find(|(start, _, _)| *start == s.start_ms)
                .map(|&(_, c, b)| (c, b))
                .unwrap_or((o.capacity, 0));
            let free = (capacity - booked).max(0);
            SlotView {
                start: rfc3339(s.start_ms),
                end: rfc3339(s.end_ms),
                start_ms: s.start_ms,
                end_ms: s.end_ms,
                capacity,
                booked,
                free,
                bookable: o.active != 0 && free > 0 && within_booking_window(&o, s.start_ms, now),
            }
        })
        .collect();
    Ok(Json(out))
}

/// One calendar day as stored and answered.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CalendarDayRow {
    pub day: String,
    /// `holiday` or `workday`.
    pub kind: String,
    pub works_as: Option<String>,
    pub name: String,
}

/// Query of the calendar.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CalendarQuery {
    /// A year (`2027`); default: all.
    pub year: Option<String>,
}

/// GET /api/calendar.
#[utoipa::path(get, path = "/api/calendar", tag = "services", params(CalendarQuery),
    responses((status = 200, body = Vec<CalendarDayRow>), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn calendar_list(
    State(st): State<Arc<AppState>>,
    Query(q): Query<CalendarQuery>,
) -> ApiResult<Json<Vec<CalendarDayRow>>> {
    let year = web::int_param("year", &q.year)?;
    if year.is_some_and(|y| !(1900..=9998).contains(&y)) {
        return Err(AppError::bad_request(
            "year 应在 1900 至 9998 之间",
            "year must be from 1900 to 9998",
        ));
    }
    let (from, to) = match year {
        Some(y) => (format!("{y:04}-01-01"), format!("{y:04}-12-31")),
        None => ("0000".to_string(), "9999".to_string()),
    };
    let rows: Vec<(String, String, Option<String>, String)> = sqlx::query_as(
        "SELECT day, kind, works_as, name FROM calendar_days WHERE day >= $1 AND day <= $2 ORDER BY day",
    )
    .bind(from)
    .bind(to)
    .fetch_all(st.store.pool())
    .await
    .map_err(StoreError::from)?;
    Ok(Json(
        rows.into_iter()
            .map(|(day, kind, works_as, name)| CalendarDayRow {
                day,
                kind,
                works_as,
                name,
            })
            .collect(),
    ))
}

/// PUT /api/calendar/{day}: body `{kind, works_as?, name}`.
#[utoipa::path(put, path = "/api/calendar/{day}", tag = "services", params(("day" = String, Path)),
    request_body = CalendarDayInput,
    responses((status = 200, body = CalendarDayRow), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn calendar_put(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(day): Path<String>,
    body: Bytes,
) -> ApiResult<Json<CalendarDayRow>> {
    let mut input: CalendarDayInput = web::json_body(&body)?;
    if input.date.as_deref().is_some_and(|d| d != day) {
        return Err(AppError::field(
            "date",
            "mismatch",
            "请求体中的日期与路径不一致".into(),
            "the body's date differs from the path's".into(),
        ));
    }
    input.date = Some(day.clone());
    let d = input.check().map_err(web::invalid)?;
    let row = CalendarDayRow {
        day: d.date.to_string(),
        kind: match d.kind {
            DayKind::Holiday => "holiday".into(),
            DayKind::Workday(_) => "workday".into(),
        },
        works_as: match d.kind {
            DayKind::Workday(w) => {
                Some(plan::WEEKDAYS[w.to_monday_zero_offset() as usize].to_string())
            }
            DayKind::Holiday => None,
        },
        name: d.name,
    };
    let mut tx = st.store.begin().await?;
    sqlx::query("DELETE FROM calendar_days WHERE day = $1")
        .bind(row.day.clone())
        .execute(tx.conn())
        .await
        .map_err(StoreError::from)?;
    sqlx::query("INSERT INTO calendar_days (day, kind, works_as, name, updated_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(row.day.clone())
        .bind(row.kind.clone())
        .bind(row.works_as.clone())
        .bind(row.name.clone())
        .bind(st.clock.now_ms())
        .execute(tx.conn())
        .await
        .map_err(StoreError::from)?;
    tx.audit(&c.actor(), "set", "calendar_day", &row.day, json!(row))
        .await?;
    tx.commit().await?;
    Ok(Json(row))
}

/// DELETE /api/calendar/{day}.
#[utoipa::path(delete, path = "/api/calendar/{day}", tag = "services", params(("day" = String, Path)),
    responses((status = 200, body = Object), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn calendar_delete(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(day): Path<String>,
) -> ApiResult<Json<Value>> {
    let mut tx = st.store.begin().await?;
    let done = sqlx::query("DELETE FROM calendar_days WHERE day = $1")
        .bind(day.clone())
        .execute(tx.conn())
        .await
        .map_err(StoreError::from)?;
    let deleted = done.rows_affected() > 0;
    if deleted {
        tx.audit(&c.actor(), "delete", "calendar_day", &day, json!({}))
            .await?;
    }
    tx.commit().await?;
    Ok(Json(json!({"day": day, "deleted": deleted})))
}
