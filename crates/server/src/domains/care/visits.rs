//! Monthly visits (探访关爱): visit records, referrals made from the needs found, who is due
//! and who was missed, and the monthly visit rate (computed by `lc_services::visits`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use lc_registry::{mask_name, Role};
use lc_services::time::{parse_date, YearMonth};
use lc_services::visits::{is_due, visit_rates, Need, RateRow, Registration, VisitAt, VisitInput};
use lc_store::sql::unique;
use lc_store::sqlx::{self, AnyConnection};
use lc_store::{from_row, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::bulk;
use crate::domains::logs;
use crate::domains::registry::{communities, residents};
use crate::error::{ApiResult, AppError};
use crate::web::{self, Paged};
use crate::AppState;

use super::{community_scope, may_reach, month_param, path_id, register};

/// The routes of visits.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/care/visits", get(list).post(create))
        .route("/api/care/visits/due", get(due))
        .route("/api/care/visits/missed", get(missed))
        .route("/api/care/visits/{id}", get(read))
        .route("/api/care/visits/{id}/referrals", post(refer))
        .route("/api/care/referrals", get(list_referrals))
        .route("/api/care/visit-rate", get(rate))
        .route("/api/care/visit-rate.csv", get(rate_csv))
}

/// A visit record as stored and answered.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VisitRow {
    pub id: i64,
    pub register_id: i64,
    pub resident_id: i64,
    pub community_id: String,
    /// `home` (上门) or `phone_video` (电话视频).
    pub mode: String,
    /// Date in Asia/Shanghai.
    pub visit_date: String,
    /// The month it counts for.
    pub month: String,
    pub started_at: i64,
    pub ended_at: i64,
    /// Where (masked in lists).
    pub place: String,
    pub visitor_user_id: Option<i64>,
    /// Masked in lists.
    pub visitor_name: Option<String>,
    /// Masked in lists.
    pub outcome: String,
    /// JSON list of needs (as stored).
    #[serde(skip)]
    pub needs: String,
    pub recorded_by: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}
from_row!(VisitRow {
    id,
    register_id,
    resident_id,
    community_id,
    mode,
    visit_date,
    month,
    started_at,
    ended_at,
    place,
    visitor_user_id,
    visitor_name,
    outcome,
    needs,
    recorded_by,
    created_at,
    updated_at,
    version
});

/// A visit with its needs, as answered.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VisitView {
    #[serde(flatten)]
    pub row: VisitRow,
    /// Needs found (masked in lists: their service types only).
    pub need_list: Vec<Need>,
}

impl VisitRow {
    fn need_list(&self) -> Vec<Need> {
        serde_json::from_str(&self.needs).unwrap_or_default()
    }

    fn view(self) -> VisitView {
        VisitView {
            need_list: self.need_list(),
            row: self,
        }
    }

    fn masked(mut self) -> VisitView {
        let needs = self
            .need_list()
            .into_iter()
            .map(|n| Need {
                service: n.service,
                text: "***".into(),
            })
            .collect();
        self.place = "***".into();
        self.outcome = "***".into();
        self.visitor_name = self.visitor_name.as_deref().map(mask_name);
        VisitView {
            row: self,
            need_list: needs,
        }
    }
}

macro_rules! cols {
    () => {
        "id, register_id, resident_id, community_id, mode, visit_date, month, started_at, ended_at, place, visitor_user_id, visitor_name, outcome, needs, recorded_by, created_at, updated_at, version"
    };
}

pub(crate) async fn get_row(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<Option<VisitRow>, StoreError> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        cols!(),
        " FROM care_visits WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// The start instants of the visits of a month (Asia/Shanghai), per resident.
async fn visits_in(conn: &mut AnyConnection, month: YearMonth) -> ApiResult<Vec<VisitAt>> {
    let (start, end) = month.bounds().map_err(AppError::internal)?;
    let rows: Vec<(i64, i64)> = sqlx::query_as("SELECT resident_id, started_at FROM care_visits WHERE started_at >= $1 AND started_at < $2")
        .bind(start)
        .bind(end)
        .fetch_all(conn)
        .await
        .map_err(StoreError::from)?;
    Ok(rows
        .into_iter()
        .map(|(person, started_at)| VisitAt { person, started_at })
        .collect())
}

async fn reachable(conn: &mut AnyConnection, c: &Caller, id: &str) -> ApiResult<VisitRow> {
    let row = get_row(conn, path_id("visit", id)?)
        .await?
        .ok_or_else(|| AppError::not_found("visit", id))?;
    if !may_reach(c, &row.community_id, None) {
        return Err(web::forbidden_record("visit"));
    }
    Ok(row)
}

// --- Handlers ---------------------------------------------------------------------------------

/// Query of the visit list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `YYYY-MM` (all months when absent).
    pub month: Option<String>,
    /// One register entry.
    pub register_id: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    pub page: web::PageQuery,
}

/// GET /api/care/visits.
#[utoipa::path(get, path = "/api/care/visits", tag = "care", params(ListQuery, web::PageQuery),
    responses((status = 200, body = Paged<VisitView>), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Paged<VisitView>>> {
    let page = q.page.page()?;
    let month = match q.month.as_deref().filter(|s| !s.is_empty()) {
        Some(_) => Some(month_param(&q.month, st.clock.now_ms())?.to_string()),
        None => None,
    };
    let register_id = web::int_param("register_id", &q.register_id)?;
    let wh = "WHERE ($1 IS NULL OR community_id = $1) AND ($2 IS NULL OR month = $2) AND ($3 IS NULL OR register_id = $3)";
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM care_visits {wh}"))
        .bind(community_scope(&c))
        .bind(month.clone())
        .bind(register_id)
        .fetch_one(&mut *conn)
        .await
        .map_err(StoreError::from)?;
    let rows: Vec<VisitRow> = sqlx::query_as(&format!(
        "SELECT {} FROM care_visits {wh} ORDER BY started_at, id LIMIT $4 OFFSET $5",
        cols!()
    ))
    .bind(community_scope(&c))
    .bind(month)
    .bind(register_id)
    .bind(page.limit)
    .bind(page.offset)
    .fetch_all(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    Ok(Json(Paged::new(
        rows.into_iter().map(VisitRow::masked).collect(),
        total,
        page,
    )))
}

/// GET /api/care/visits/{id}.
#[utoipa::path(get, path = "/api/care/visits/{id}", tag = "care", params(("id" = i64, Path)),
    responses((status = 200, body = VisitView), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn read(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<VisitView>> {
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let row = reachable(&mut conn, &c, &id).await?;
    drop(conn);
    logs::record_access(
        &st,
        &c,
        "care_visit",
        &row.id.to_string(),
        &["place", "outcome", "needs"],
    )
    .await?;
    Ok(Json(row.view()))
}

/// POST /api/care/visits: a community worker's visit is theirs unless it names another
/// visitor; the date must fall within the person's time in the register.
#[utoipa::path(post, path = "/api/care/visits", tag = "care", request_body = VisitInput,
    responses((status = 201, body = VisitView), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<VisitView>)> {
    let input: VisitInput = super::parse_body(&body)?;
    let mut v = input.check(st.clock.now_ms()).map_err(web::invalid)?;
    let user = c.user()?.clone();
    if v.visitor_user_id.is_none() && v.visitor_name.is_none() && user.role == Role::CommunityWorker
    {
        v.visitor_user_id = Some(user.id);
    }
    let mut tx = st.store.begin().await?;
    let entry = register::get_row(tx.conn(), v.register_id)
        .await?
        .ok_or_else(|| {
            web::unknown_reference("register_id", "register entry", &v.register_id.to_string())
        })?;
    if !may_reach(&c, &entry.community_id, None) {
        return Err(web::forbidden_record("register entry"));
    }
    let e = entry.entry()?;
    if v.date < e.since || e.until.is_some_and(|u| v.date > u) {
        return Err(AppError::field(
            "date",
            "not_registered",
            format!(
                "{} 不在此人登记期内（{} 至 {}）",
                v.date,
                e.since,
                e.until.map(|u| u.to_string()).unwrap_or_default()
            ),
            format!(
                "{} is outside the person's time in the register ({} to {})",
                v.date,
                e.since,
                e.until.map(|u| u.to_string()).unwrap_or_default()
            ),
        ));
    }
    register::check_visitor(tx.conn(), v.visitor_user_id).await?;
    let now = st.clock.now_ms();
    let mut row = VisitRow {
        id: 0,
        register_id: entry.id,
        resident_id: entry.resident_id,
        community_id: entry.community_id.clone(),
        mode: v.mode.key().to_string(),
        visit_date: v.date.to_string(),
        month: v.month.to_string(),
        started_at: v.started_at,
        ended_at: v.ended_at,
        place: v.place.clone(),
        visitor_user_id: v.visitor_user_id,
        visitor_name: v.visitor_name.clone(),
        outcome: v.outcome.clone(),
        needs: serde_json::to_string(&v.needs).map_err(AppError::internal)?,
        recorded_by: Some(user.id),
        created_at: now,
        updated_at: now,
        version: 0,
    };
    row.id = sqlx::query_scalar(
        "INSERT INTO care_visits (register_id, resident_id, community_id, mode, visit_date, month, started_at, ended_at, place, visitor_user_id, visitor_name, outcome, needs, recorded_by, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 0) RETURNING id",
    )
    .bind(row.register_id)
    .bind(row.resident_id)
    .bind(row.community_id.clone())
    .bind(row.mode.clone())
    .bind(row.visit_date.clone())
    .bind(row.month.clone())
    .bind(row.started_at)
    .bind(row.ended_at)
    .bind(row.place.clone())
    .bind(row.visitor_user_id)
    .bind(row.visitor_name.clone())
    .bind(row.outcome.clone())
    .bind(row.needs.clone())
    .bind(row.recorded_by)
    .bind(row.created_at)
    .bind(row.updated_at)
    .fetch_one(tx.conn())
    .await
    .map_err(StoreError::from)?;
    tx.audit(&c.actor(), "create", "care_visit", &row.id.to_string(), json!({"register_id": row.register_id, "mode": row.mode, "visit_date": row.visit_date, "month": row.month, "needs": v.needs.len(), "place": "changed", "outcome": "changed"})).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(row.view())))
}

/// A need turned into a referral.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferralInput {
    /// Which need of the visit (0 = the first).
    pub need: Option<i64>,
    /// To whom: a department, a provider, a doctor (free text).
    pub to: Option<String>,
}

/// A referral as stored and answered.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReferralRow {
    pub id: i64,
    pub visit_id: i64,
    pub need_index: i64,
    pub resident_id: i64,
    pub community_id: String,
    pub service: Option<String>,
    /// What is needed (the need's text).
    pub what: String,
    pub to_whom: String,
    /// `open`.
    pub status: String,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}
from_row!(ReferralRow {
    id,
    visit_id,
    need_index,
    resident_id,
    community_id,
    service,
    what,
    to_whom,
    status,
    created_by,
    created_at,
    updated_at,
    version
});

/// POST /api/care/visits/{id}/referrals: one step from a need to a referral (once per need:
/// a second referral of the same need is 409).
#[utoipa::path(post, path = "/api/care/visits/{id}/referrals", tag = "care", params(("id" = i64, Path)), request_body = ReferralInput,
    responses((status = 201, body = ReferralRow), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn refer(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<ReferralRow>)> {
    let input: ReferralInput = web::json_body(&body)?;
    let mut check = lc_registry::Check::new();
    let to = check.text("to", &input.to, 200);
    if input.need.is_none() {
        check.required("need");
    }
    check.finish().map_err(web::invalid)?;
    let mut tx = st.store.begin().await?;
    let visit = reachable(tx.conn(), &c, &id).await?;
    let needs = visit.need_list();
    let idx = input.need.unwrap_or(-1);
    let need = usize::try_from(idx)
        .ok()
        .and_then(|i| needs.get(i))
        .ok_or_else(|| {
            AppError::field(
                "need",
                "unknown_need",
                format!("此次探访没有第 {idx} 项需求（共 {} 项）", needs.len()),
                format!("the visit has no need {idx} (it has {})", needs.len()),
            )
        })?;
    let now = st.clock.now_ms();
    let mut row = ReferralRow {
        id: 0,
        visit_id: visit.id,
        need_index: idx,
        resident_id: visit.resident_id,
        community_id: visit.community_id.clone(),
        service: need.service.clone(),
        what: need.text.clone(),
        to_whom: to.unwrap_or_default(),
        status: "open".into(),
        created_by: c.user.as_ref().map(|u| u.id),
        created_at: now,
        updated_at: now,
        version: 0,
    };
    row.id = sqlx::query_scalar(
        "INSERT INTO care_referrals (visit_id, need_index, resident_id, community_id, service, what, to_whom, status, created_by, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0) RETURNING id",
    )
    .bind(row.visit_id)
    .bind(row.need_index)
    .bind(row.resident_id)
    .bind(row.community_id.clone())
    .bind(row.service.clone())
    .bind(row.what.clone())
    .bind(row.to_whom.clone())
    .bind(row.status.clone())
    .bind(row.created_by)
    .bind(row.created_at)
    .bind(row.updated_at)
    .fetch_one(tx.conn())
    .await
    .map_err(unique("visit and need"))?;
    tx.audit(&c.actor(), "create", "care_referral", &row.id.to_string(), json!({"visit_id": row.visit_id, "need_index": row.need_index, "service": row.service, "to_whom": row.to_whom})).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// GET /api/care/referrals.
#[utoipa::path(get, path = "/api/care/referrals", tag = "care", params(web::PageQuery),
    responses((status = 200, body = Paged<ReferralRow>), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_referrals(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Query(q): Query<web::PageQuery>,
) -> ApiResult<Json<Paged<ReferralRow>>> {
    let page = q.page()?;
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let total: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM care_referrals WHERE ($1 IS NULL OR community_id = $1)",
    )
    .bind(community_scope(&c))
    .fetch_one(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    let rows: Vec<ReferralRow> = sqlx::query_as("SELECT id, visit_id, need_index, resident_id, community_id, service, what, to_whom, status, created_by, created_at, updated_at, version FROM care_referrals WHERE ($1 IS NULL OR community_id = $1) ORDER BY id LIMIT $2 OFFSET $3")
        .bind(community_scope(&c))
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(&mut *conn)
        .await
        .map_err(StoreError::from)?;
    Ok(Json(Paged::new(rows, total, page)))
}

// --- Due, missed, rate ------------------------------------------------------------------------

/// Query of the due and missed lists.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DueQuery {
    /// `YYYY-MM` (the present month when absent).
    pub month: Option<String>,
    /// Community id.
    pub community_id: Option<String>,
}

/// One person due a visit.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DueVisit {
    pub register_id: i64,
    pub resident_id: i64,
    pub community_id: String,
    /// Masked.
    pub resident_name: Option<String>,
    /// Assigned visitor: an account…
    pub visitor_user_id: Option<i64>,
    /// …or a volunteer (masked).
    pub visitor_name: Option<String>,
    /// Visits in the month.
    pub visits: u64,
    pub visited: bool,
}

/// Who is due in a month.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DueList {
    pub month: String,
    /// Whether the month is over (Asia/Shanghai).
    pub month_over: bool,
    pub due: u64,
    pub visited: u64,
    pub items: Vec<DueVisit>,
}

async fn due_list(st: &AppState, c: &Caller, q: &DueQuery) -> ApiResult<DueList> {
    let month = month_param(&q.month, st.clock.now_ms())?;
    let (_, end) = month.bounds().map_err(AppError::internal)?;
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let community = match (
        community_scope(c),
        q.community_id.clone().filter(|s| !s.is_empty()),
    ) {
        (Some(own), Some(asked)) if own != asked => {
            return Ok(DueList {
                month: month.to_string(),
                month_over: end <= st.clock.now_ms(),
                due: 0,
                visited: 0,
                items: vec![],
            })
        }
        (Some(own), _) => Some(own),
        (None, asked) => asked,
    };
    let entries = register::all_rows(&mut conn, community).await?;
    let mut counts: BTreeMap<i64, u64> = BTreeMap::new();
    for v in visits_in(&mut conn, month).await? {
        *counts.entry(v.person).or_insert(0) += 1;
    }
    let mut items = Vec::new();
    for r in entries {
        let e = r.entry()?;
        if !is_due(e.since, e.until, month) {
            continue;
        }
        let name = residents::get_row(&mut *conn, r.resident_id)
            .await?
            .map(|x| mask_name(&x.name));
        let n = counts.get(&r.resident_id).copied().unwrap_or(0);
        items.push(DueVisit {
            register_id: r.id,
            resident_id: r.resident_id,
            community_id: r.community_id.clone(),
            resident_name: name,
            visitor_user_id: r.visitor_user_id,
            visitor_name: r.visitor_name.as_deref().map(mask_name),
            visits: n,
            visited: n > 0,
        });
    }
    Ok(DueList {
        month: month.to_string(),
        month_over: end <= st.clock.now_ms(),
        due: items.len() as u64,
        visited: items.iter().filter(|d| d.visited).count() as u64,
        items,
    })
}

/// GET /api/care/visits/due.
#[utoipa::path(get, path = "/api/care/visits/due", tag = "care", params(DueQuery),
    responses((status = 200, body = DueList), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn due(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Query(q): Query<DueQuery>,
) -> ApiResult<Json<DueList>> {
    Ok(Json(due_list(&st, &c, &q).await?))
}

/// GET /api/care/visits/missed: the persons due and not visited in a month that is over
/// (none while the month runs: `month_over` is false).
#[utoipa::path(get, path = "/api/care/visits/missed", tag = "care", params(DueQuery),
    responses((status = 200, body = DueList), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn missed(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Query(q): Query<DueQuery>,
) -> ApiResult<Json<DueList>> {
    let mut l = due_list(&st, &c, &q).await?;
    l.items.retain(|d| l.month_over && !d.visited);
    Ok(Json(l))
}

/// Query of the rate.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RateQuery {
    /// `YYYY-MM` (the present month when absent).
    pub month: Option<String>,
}

/// The month's rates.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VisitRates {
    pub month: String,
    pub rows: Vec<RateRow>,
}

pub(crate) async fn rates_of(st: &AppState, month: YearMonth) -> ApiResult<VisitRates> {
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let entries = register::all_rows(&mut conn, None).await?;
    let mut codes: BTreeMap<String, Option<String>> = BTreeMap::new();
    for id in entries
        .iter()
        .map(|e| e.community_id.clone())
        .collect::<BTreeSet<_>>()
    {
        let code = communities::get_row(&mut *conn, &id)
            .await?
            .and_then(|c| c.division_code);
        codes.insert(id, code);
    }
    let mut register = Vec::with_capacity(entries.len());
    for e in &entries {
        let since = parse_date(&e.since_date).map_err(AppError::internal)?;
        let until = e
            .until_date
            .as_deref()
            .map(parse_date)
            .transpose()
            .map_err(AppError::internal)?;
        register.push(Registration {
            person: e.resident_id,
            community: e.community_id.clone(),
            division_code: codes.get(&e.community_id).cloned().flatten(),
            since,
            until,
        });
    }
    let visits = visits_in(&mut conn, month).await?;
    let rows = visit_rates(month, &register, &visits).map_err(AppError::internal)?;
    Ok(VisitRates {
        month: month.to_string(),
        rows,
    })
}

/// GET /api/care/visit-rate.
#[utoipa::path(get, path = "/api/care/visit-rate", tag = "care", params(RateQuery),
    responses((status = 200, body = VisitRates), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn rate(
    State(st): State<Arc<AppState>>,
    Query(q): Query<RateQuery>,
) -> ApiResult<Json<VisitRates>> {
    Ok(Json(
        rates_of(&st, month_param(&q.month, st.clock.now_ms())?).await?,
    ))
}

/// The columns of `visit-rate.csv` (what `livingcircle assess --platform-indicators` reads).
pub const RATE_COLUMNS: &[&str] = &[
    "indicator",
    "month",
    "region_code",
    "level",
    "due",
    "visited",
    "rate",
];

/// GET /api/care/visit-rate.csv: one row per region, `indicator` = `GS21`.
#[utoipa::path(get, path = "/api/care/visit-rate.csv", tag = "care", params(RateQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn rate_csv(
    State(st): State<Arc<AppState>>,
    Query(q): Query<RateQuery>,
) -> ApiResult<Response> {
    let month = month_param(&q.month, st.clock.now_ms())?;
    let r = rates_of(&st, month).await?;
    let rows: Vec<Value> = r
        .rows
        .iter()
        .map(|x| {
            json!({
                "indicator": "GS21", "month": r.month, "region_code": x.code, "level": x.level.key(),
                "due": x.due, "visited": x.visited, "rate": x.rate,
            })
        })
        .collect();
    bulk::csv_of_values(&format!("visit-rate-{month}.csv"), RATE_COLUMNS, &rows)
}
