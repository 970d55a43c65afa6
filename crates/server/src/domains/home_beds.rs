//! 家庭养老床位 Home elderly-care beds (issue 11): contracts between a resident and a provider
//! (through one of its elderly-care outlets), the visits they promise, recorded with EVV's six
//! elements, and each month's promised against delivered visits with the contracts that fell
//! short. Rules in `lc_services::home_beds`.
//!
//! Scope: provider staff create and run their own outlets' contracts and record their visits;
//! a resident reads their own contracts and may terminate them; community workers read their
//! community's; regulators read all. Personal fields (notes, where a visit took place and what
//! was done, the staff member's name) are masked in lists and given in full in one-record
//! reads, logged for staff. A contract is not edited: a wrong draft is terminated and made
//! again. One active contract per resident, by a unique index.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use lc_registry::{mask_name, Access, Role};
use lc_services::catalogue::service_type;
use lc_services::home_beds::{
    in_force, promised, transition, Action, Actor, ContractError, ContractInput, HomeVisitInput,
    Status,
};
use lc_services::time::{local_date, parse_date};
use lc_store::sql::unique;
use lc_store::sqlx::{self, AnyConnection};
use lc_store::{from_row, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::auth::Caller;
use crate::domains::care::{month_param, parse_body, path_id};
use crate::domains::logs;
use crate::domains::registry::{facilities, practitioners, residents};
use crate::endpoints::{ep, Endpoint, JSON};
use crate::error::{ApiResult, AppError};
use crate::web::{self, Paged};
use crate::AppState;

use Role::*;

const SCOPE: &str = "resident: their own contracts; provider staff: their own provider's; community worker: their community's";
const OWN: &str = "provider staff: their own provider's contracts";
const READERS: Access =
    Access::Roles(&[Resident, ProviderStaff, CommunityWorker, Regulator, Admin]);
const RUNNERS: Access = Access::Roles(&[ProviderStaff, Admin]);

/// The endpoints of this domain.
pub const ENDPOINTS: &[Endpoint] = &[
    ep!(
        "GET",
        "/api/home-beds",
        READERS,
        SCOPE,
        "home-beds",
        "List home elderly-care bed contracts (masked).",
        None,
        JSON
    ),
    ep!(
        "POST",
        "/api/home-beds",
        RUNNERS,
        "provider staff: for their own elderly-care outlets",
        "home-beds",
        "Draw up a contract (draft).",
        Some(JSON),
        JSON
    ),
    ep!(
        "GET",
        "/api/home-beds/fulfilment",
        READERS,
        SCOPE,
        "home-beds",
        "Visits promised and delivered per contract in a month (?month=YYYY-MM).",
        None,
        JSON
    ),
    ep!(
        "GET",
        "/api/home-beds/short",
        Access::Roles(&[ProviderStaff, CommunityWorker, Regulator, Admin]),
        SCOPE,
        "home-beds",
        "The contracts that delivered fewer visits than they promised in a month.",
        None,
        JSON
    ),
    ep!(
        "GET",
        "/api/home-beds/{id}",
        READERS,
        SCOPE,
        "home-beds",
        "One contract in full (staff reads are logged).",
        None,
        JSON
    ),
    ep!(
        "POST",
        "/api/home-beds/{id}/activate",
        RUNNERS,
        OWN,
        "home-beds",
        "Put a draft contract in force.",
        Some(JSON),
        JSON
    ),
    ep!(
        "POST",
        "/api/home-beds/{id}/end",
        RUNNERS,
        OWN,
        "home-beds",
        "End an active contract on or after its end date.",
        Some(JSON),
        JSON
    ),
    ep!(
        "POST",
        "/api/home-beds/{id}/terminate",
        Access::Roles(&[Resident, ProviderStaff, Admin]),
        "resident: their own contracts; provider staff: their own provider's",
        "home-beds",
        "Terminate a draft or active contract early.",
        Some(JSON),
        JSON
    ),
    ep!(
        "GET",
        "/api/home-beds/{id}/visits",
        READERS,
        SCOPE,
        "home-beds",
        "A contract's visits (masked).",
        None,
        JSON
    ),
    ep!(
        "POST",
        "/api/home-beds/{id}/visits",
        RUNNERS,
        OWN,
        "home-beds",
        "Record a visit (EVV's six elements).",
        Some(JSON),
        JSON
    ),
];

/// The routes of this domain.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/home-beds", get(list).post(create))
        .route("/api/home-beds/fulfilment", get(fulfilment))
        .route("/api/home-beds/short", get(short))
        .route("/api/home-beds/{id}", get(read))
        .route("/api/home-beds/{id}/activate", post(activate))
        .route("/api/home-beds/{id}/end", post(end))
        .route("/api/home-beds/{id}/terminate", post(terminate))
        .route("/api/home-beds/{id}/visits", get(visits).post(record_visit))
}

/// Facility categories whose outlets may serve home beds.
pub const ELDERLY_OUTLETS: &[&str] = &[
    "elderly_service_station",
    "elderly_day_care",
    "elderly_care",
];

// --- Records ----------------------------------------------------------------------------------

/// A contract as stored and answered.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct ContractRow {
    pub id: i64,
    pub resident_id: i64,
    pub community_id: String,
    pub facility_id: String,
    pub provider_code: String,
    /// Service-type keys, comma-separated as stored; `service_list` below.
    #[serde(skip)]
    pub services: String,
    pub start_date: String,
    pub end_date: String,
    pub visits_per_month: i64,
    /// Masked in lists.
    pub notes: Option<String>,
    /// `draft`, `active`, `ended`, `terminated`.
    pub status: String,
    pub activated_on: Option<String>,
    pub closed_on: Option<String>,
    #[serde(skip)]
    pub active_flag: Option<i64>,
    pub created_by: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}
from_row!(ContractRow {
    id,
    resident_id,
    community_id,
    facility_id,
    provider_code,
    services,
    start_date,
    end_date,
    visits_per_month,
    notes,
    status,
    activated_on,
    closed_on,
    active_flag,
    created_by,
    created_at,
    updated_at,
    version
});

/// A contract as answered.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ContractView {
    #[serde(flatten)]
    pub row: ContractRow,
    pub service_list: Vec<String>,
    pub status_zh: String,
    /// The resident's name (masked in lists).
    pub resident_name: Option<String>,
}

impl ContractRow {
    fn view(self, resident_name: Option<String>) -> ContractView {
        ContractView {
            service_list: self
                .services
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            status_zh: Status::from_key(&self.status)
                .map(|s| s.zh().to_string())
                .unwrap_or_default(),
            row: self,
            resident_name,
        }
    }

    fn days(&self) -> ApiResult<Option<(jiff::civil::Date, jiff::civil::Date)>> {
        let d = |s: &str| parse_date(s).map_err(AppError::internal);
        let opt = |s: &Option<String>| s.as_deref().map(d).transpose();
        Ok(in_force(
            d(&self.start_date)?,
            d(&self.end_date)?,
            opt(&self.activated_on)?,
            opt(&self.closed_on)?,
        ))
    }
}

/// A home-bed visit as stored and answered.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct HomeVisitRow {
    pub id: i64,
    pub contract_id: i64,
    pub resident_id: i64,
    pub community_id: String,
    pub provider_code: String,
    pub service: String,
    pub visit_date: String,
    pub month: String,
    pub started_at: i64,
    pub ended_at: i64,
    /// Masked in lists.
    pub place: String,
    pub practitioner_id: Option<i64>,
    /// Masked in lists.
    pub worker_name: Option<String>,
    /// Masked in lists.
    pub notes: Option<String>,
    pub recorded_by: i64,
    pub created_at: i64,
}
from_row!(HomeVisitRow {
    id,
    contract_id,
    resident_id,
    community_id,
    provider_code,
    service,
    visit_date,
    month,
    started_at,
    ended_at,
    place,
    practitioner_id,
    worker_name,
    notes,
    recorded_by,
    created_at
});

macro_rules! cols {
    () => {
        "id, resident_id, community_id, facility_id, provider_code, services, start_date, end_date, visits_per_month, notes, status, activated_on, closed_on, active_flag, created_by, created_at, updated_at, version"
    };
}

macro_rules! vcols {
    () => {
        "id, contract_id, resident_id, community_id, provider_code, service, visit_date, month, started_at, ended_at, place, practitioner_id, worker_name, notes, recorded_by, created_at"
    };
}

/// The caller's reach over contracts, as filters: provider, community, resident account.
fn scope(c: &Caller) -> ApiResult<(Option<String>, Option<String>, Option<i64>)> {
    let u = c.user()?;
    Ok(match u.role {
        ProviderStaff => (
            Some(u.provider_code.clone().unwrap_or_default()),
            None,
            None,
        ),
        CommunityWorker => (None, Some(u.community_id.clone().unwrap_or_default()), None),
        Resident => (None, None, Some(u.id)),
        _ => (None, None, None),
    })
}

const SCOPE_WHERE: &str = "($1 IS NULL OR provider_code = $1) AND ($2 IS NULL OR community_id = $2) AND ($3 IS NULL OR resident_id IN (SELECT id FROM residents WHERE user_id = $3))";

async fn get_row(conn: &mut AnyConnection, id: i64) -> Result<Option<ContractRow>, StoreError> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        cols!(),
        " FROM home_bed_contracts WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// Who the caller is to this contract, or 403.
async fn actor_for(conn: &mut AnyConnection, c: &Caller, r: &ContractRow) -> ApiResult<Actor> {
    let u = c.user()?;
    let actor = match u.role {
        Admin => Some(Actor::Admin),
        Regulator => Some(Actor::Regulator),
        ProviderStaff => (u.provider_code.as_deref() == Some(r.provider_code.as_str()))
            .then_some(Actor::Provider),
        CommunityWorker => (u.community_id.as_deref() == Some(r.community_id.as_str()))
            .then_some(Actor::CommunityWorker),
        Resident => residents::get_row(&mut *conn, r.resident_id)
            .await?
            .is_some_and(|p| p.user_id == Some(u.id))
            .then_some(Actor::Resident),
    };
    actor.ok_or_else(|| web::forbidden_record("home bed contract"))
}

async fn reachable(
    conn: &mut AnyConnection,
    c: &Caller,
    id: &str,
) -> ApiResult<(ContractRow, Actor)> {
    let row = get_row(&mut *conn, path_id("home bed contract", id)?)
        .await?
        .ok_or_else(|| AppError::not_found("home bed contract", id))?;
    let actor = actor_for(conn, c, &row).await?;
    Ok((row, actor))
}

fn contract_error(e: ContractError) -> AppError {
    let status = match e {
        ContractError::NotAllowed { .. } => StatusCode::FORBIDDEN,
        _ => StatusCode::CONFLICT,
    };
    let text = e.to_string();
    let (zh, en) = text.split_once('；').unwrap_or((&text, &text));
    AppError::new(status, e.code(), zh.to_string(), en.to_string())
}

// --- Contracts --------------------------------------------------------------------------------

/// POST /api/home-beds.
#[utoipa::path(post, path = "/api/home-beds", tag = "home-beds", request_body = ContractInput,
    responses((status = 201, body = ContractView), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<ContractView>)> {
    let input: ContractInput = parse_body(&body)?;
    let k = input.check().map_err(web::invalid)?;
    let now = st.clock.now_ms();
    let user = c.user()?.clone();
    let mut tx = st.store.begin().await?;
    let f = facilities::get_row(tx.conn(), &k.facility_id)
        .await?
        .ok_or_else(|| web::unknown_reference("facility_id", "facility", &k.facility_id))?;
    let Some(provider) = f
        .provider_code
        .clone()
        .filter(|_| ELDERLY_OUTLETS.contains(&f.category.as_str()))
    else {
        return Err(AppError::field(
            "facility_id",
            "not_an_elderly_outlet",
            format!("{} 不是有服务机构的养老服务网点", f.id),
            format!("{} is not an elderly-care outlet with a provider", f.id),
        ));
    };
    if !crate::domains::registry::own_provider(&c, Some(&provider)) {
        return Err(web::forbidden_record("facility"));
    }
    for s in &k.services {
        if !service_type(s).is_some_and(|t| t.categories.contains(&f.category.as_str())) {
            return Err(AppError::field(
                "services",
                "not_offered",
                format!("{} 类网点不提供服务 {s}", f.category),
                format!("an outlet of category {} does not offer {s}", f.category),
            ));
        }
    }
    let resident = residents::get_row(tx.conn(), k.resident_id)
        .await?
        .ok_or_else(|| {
            web::unknown_reference("resident_id", "resident", &k.resident_id.to_string())
        })?;
    let mut row = ContractRow {
        id: 0,
        resident_id: resident.id,
        community_id: resident.community_id.clone(),
        facility_id: f.id.clone(),
        provider_code: provider,
        services: k.services.join(","),
        start_date: k.start.to_string(),
        end_date: k.end.to_string(),
        visits_per_month: k.visits_per_month,
        notes: k.notes,
        status: Status::Draft.key().to_string(),
        activated_on: None,
        closed_on: None,
        active_flag: None,
        created_by: user.id,
        created_at: now,
        updated_at: now,
        version: 0,
    };
    row.id = sqlx::query_scalar("INSERT INTO home_bed_contracts (resident_id, community_id, facility_id, provider_code, services, start_date, end_date, visits_per_month, notes, status, activated_on, closed_on, active_flag, created_by, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, NULL, NULL, $11, $12, $13, 0) RETURNING id")
        .bind(row.resident_id)
        .bind(row.community_id.clone())
        .bind(row.facility_id.clone())
        .bind(row.provider_code.clone())
        .bind(row.services.clone())
        .bind(row.start_date.clone())
        .bind(row.end_date.clone())
        .bind(row.visits_per_month)
        .bind(row.notes.clone())
        .bind(row.status.clone())
        .bind(row.created_by)
        .bind(row.created_at)
        .bind(row.updated_at)
        .fetch_one(tx.conn())
        .await
        .map_err(StoreError::from)?;
    tx.audit(
        &c.actor(),
        "create",
        "home_bed_contract",
        &row.id.to_string(),
        web::changes(None, &row, &["notes"]),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(row.view(Some(resident.name)))))
}

/// GET /api/home-beds.
#[utoipa::path(get, path = "/api/home-beds", tag = "home-beds", params(web::PageQuery),
    responses((status = 200, body = Paged<ContractView>), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Query(q): Query<web::PageQuery>,
) -> ApiResult<Json<Paged<ContractView>>> {
    let page = q.page()?;
    let (p, co, u) = scope(&c)?;
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let total: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM home_bed_contracts WHERE {SCOPE_WHERE}"
    ))
    .bind(p.clone())
    .bind(co.clone())
    .bind(u)
    .fetch_one(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    let rows: Vec<ContractRow> = sqlx::query_as(&format!(
        "SELECT {} FROM home_bed_contracts WHERE {SCOPE_WHERE} ORDER BY id LIMIT $4 OFFSET $5",
        cols!()
    ))
    .bind(p)
    .bind(co)
    .bind(u)
    .bind(page.limit)
    .bind(page.offset)
    .fetch_all(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    let mut items = Vec::with_capacity(rows.len());
    for mut r in rows {
        let name = residents::get_row(&mut *conn, r.resident_id)
            .await?
            .map(|x| mask_name(&x.name));
        r.notes = r.notes.map(|_| "***".into());
        items.push(r.view(name));
    }
    Ok(Json(Paged::new(items, total, page)))
}

/// GET /api/home-beds/{id}.
#[utoipa::path(get, path = "/api/home-beds/{id}", tag = "home-beds", params(("id" = i64, Path)),
    responses((status = 200, body = ContractView), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn read(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<ContractView>> {
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let (row, _) = reachable(&mut conn, &c, &id).await?;
    let name = residents::get_row(&mut *conn, row.resident_id)
        .await?
        .map(|x| x.name);
    drop(conn);
    let mut fields = vec!["resident_name"];
    if row.notes.is_some() {
        fields.push("notes");
    }
    logs::record_access(&st, &c, "home_bed_contract", &id, &fields).await?;
    Ok(Json(row.view(name)))
}

async fn act(
    st: &AppState,
    c: &Caller,
    id: &str,
    action: Action,
    headers: &HeaderMap,
    body: &Bytes,
) -> ApiResult<Json<ContractView>> {
    if !body.iter().all(u8::is_ascii_whitespace) {
        if let Some(k) = web::json_object(body)?.keys().next() {
            return Err(AppError::field(
                k,
                "unknown_field",
                format!("未知字段 {k}"),
                format!("unknown field {k}"),
            ));
        }
    }
    let expected = web::if_match(headers)?;
    let now = st.clock.now_ms();
    let today = local_date(now).map_err(AppError::internal)?;
    let mut tx = st.store.begin().await?;
    let (stored, actor) = reachable(tx.conn(), c, id).await?;
    if expected.is_some_and(|v| v != stored.version) {
        return Err(web::conflict("home bed contract", id));
    }
    let status =
        Status::from_key(&stored.status).ok_or_else(|| AppError::internal("unknown status"))?;
    let end = parse_date(&stored.end_date).map_err(AppError::internal)?;
    let next = transition(status, action, actor, today, end).map_err(contract_error)?;
    let mut row = stored.clone();
    row.status = next.key().to_string();
    row.updated_at = now;
    match next {
        Status::Active => {
            row.activated_on = Some(today.to_string());
            row.active_flag = Some(1);
        }
        _ => {
            row.closed_on = Some(today.to_string());
            row.active_flag = None;
        }
    }
    let done = sqlx::query("UPDATE home_bed_contracts SET status = $2, activated_on = $3, closed_on = $4, active_flag = $5, updated_at = $6, version = version + 1 WHERE id = $1 AND version = $7")
        .bind(row.id)
        .bind(row.status.clone())
        .bind(row.activated_on.clone())
        .bind(row.closed_on.clone())
        .bind(row.active_flag)
        .bind(row.updated_at)
        .bind(stored.version)
        .execute(tx.conn())
        .await
        .map_err(unique("active home bed of this resident"))?;
    if done.rows_affected() != 1 {
        return Err(web::conflict("home bed contract", id));
    }
    row.version += 1;
    tx.audit(
        &c.actor(),
        action.key(),
        "home_bed_contract",
        id,
        web::changes(Some(&stored), &row, &["notes"]),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(row.view(None)))
}

macro_rules! action_handler {
    ($name:ident, $action:expr, $path:literal, $what:literal) => {
        #[doc = $what]
        #[utoipa::path(post, path = $path, tag = "home-beds",
            params(("id" = i64, Path), ("If-Match" = Option<String>, Header, description = "The version the change is made against")),
            request_body(content = Option<Object>, description = "Empty"),
            responses((status = 200, body = ContractView), (status = "default", body = crate::error::ErrorSchema)),
            security(("bearer" = []), ("session" = [])))]
        pub async fn $name(
            State(st): State<Arc<AppState>>,
            Extension(c): Extension<Caller>,
            Path(id): Path<String>,
            headers: HeaderMap,
            body: Bytes,
        ) -> ApiResult<Json<ContractView>> {
            act(&st, &c, &id, $action, &headers, &body).await
        }
    };
}

action_handler!(
    activate,
    Action::Activate,
    "/api/home-beds/{id}/activate",
    "POST /api/home-beds/{id}/activate."
);
action_handler!(
    end,
    Action::End,
    "/api/home-beds/{id}/end",
    "POST /api/home-beds/{id}/end."
);
action_handler!(
    terminate,
    Action::Terminate,
    "/api/home-beds/{id}/terminate",
    "POST /api/home-beds/{id}/terminate."
);

// --- Visits -----------------------------------------------------------------------------------

/// GET /api/home-beds/{id}/visits.
#[utoipa::path(get, path = "/api/home-beds/{id}/visits", tag = "home-beds", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<HomeVisitRow>), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn visits(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<HomeVisitRow>>> {
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let (row, _) = reachable(&mut conn, &c, &id).await?;
    let rows: Vec<HomeVisitRow> = sqlx::query_as(concat!(
        "SELECT ",
        vcols!(),
        " FROM home_bed_visits WHERE contract_id = $1 ORDER BY started_at, id"
    ))
    .bind(row.id)
    .fetch_all(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    Ok(Json(
        rows.into_iter()
            .map(|mut v| {
                v.place = "***".into();
                v.notes = v.notes.map(|_| "***".into());
                v.worker_name = v.worker_name.as_deref().map(mask_name);
                v
            })
            .collect(),
    ))
}

/// POST /api/home-beds/{id}/visits: a visit of a contract in force on its date, of one of its
/// services, by one of its provider's practitioners or a named staff member.
#[utoipa::path(post, path = "/api/home-beds/{id}/visits", tag = "home-beds", params(("id" = i64, Path)),
    request_body = HomeVisitInput,
    responses((status = 201, body = HomeVisitRow), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn record_visit(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<HomeVisitRow>)> {
    let input: HomeVisitInput = parse_body(&body)?;
    let now = st.clock.now_ms();
    let v = input.check(now).map_err(web::invalid)?;
    let mut tx = st.store.begin().await?;
    let (k, actor) = reachable(tx.conn(), &c, &id).await?;
    if !matches!(actor, Actor::Provider | Actor::Admin) {
        return Err(web::forbidden_record("home bed contract"));
    }
    if !k.services.split(',').any(|s| s == v.service) {
        return Err(AppError::field(
            "service",
            "not_in_contract",
            format!("合同不含服务 {}（含：{}）", v.service, k.services),
            format!(
                "the contract does not include {} (it includes {})",
                v.service, k.services
            ),
        ));
    }
    let in_force_on = k
        .days()?
        .is_some_and(|(from, to)| from <= v.date && v.date <= to);
    if !in_force_on {
        return Err(AppError::field(
            "date",
            "not_in_force",
            format!("合同在 {} 不在履约期内", v.date),
            format!("the contract is not in force on {}", v.date),
        ));
    }
    if let Some(pid) = v.practitioner_id {
        let ok = practitioners::get_row(tx.conn(), pid)
            .await?
            .is_some_and(|p| p.provider_code == k.provider_code);
        if !ok {
            return Err(AppError::field(
                "practitioner_id",
                "unknown_reference",
                format!("practitioner_id {pid} 不是本服务机构的从业人员"),
                format!("practitioner_id {pid} is not a practitioner of the contract's provider"),
            ));
        }
    }
    let mut row = HomeVisitRow {
        id: 0,
        contract_id: k.id,
        resident_id: k.resident_id,
        community_id: k.community_id.clone(),
        provider_code: k.provider_code.clone(),
        service: v.service,
        visit_date: v.date.to_string(),
        month: v.month.to_string(),
        started_at: v.started_at,
        ended_at: v.ended_at,
        place: v.place,
        practitioner_id: v.practitioner_id,
        worker_name: v.worker_name,
        notes: v.notes,
        recorded_by: c.user()?.id,
        created_at: now,
    };
    row.id = sqlx::query_scalar("INSERT INTO home_bed_visits (contract_id, resident_id, community_id, provider_code, service, visit_date, month, started_at, ended_at, place, practitioner_id, worker_name, notes, recorded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id")
        .bind(row.contract_id)
        .bind(row.resident_id)
        .bind(row.community_id.clone())
        .bind(row.provider_code.clone())
        .bind(row.service.clone())
        .bind(row.visit_date.clone())
        .bind(row.month.clone())
        .bind(row.started_at)
        .bind(row.ended_at)
        .bind(row.place.clone())
        .bind(row.practitioner_id)
        .bind(row.worker_name.clone())
        .bind(row.notes.clone())
        .bind(row.recorded_by)
        .bind(row.created_at)
        .fetch_one(tx.conn())
        .await
        .map_err(StoreError::from)?;
    tx.audit(&c.actor(), "create", "home_bed_visit", &row.id.to_string(), json!({"contract_id": row.contract_id, "service": row.service, "visit_date": row.visit_date, "place": "changed", "notes": "changed"})).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(row)))
}

// --- Promised and delivered -------------------------------------------------------------------

/// Query of the monthly fulfilment.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MonthQuery {
    /// `YYYY-MM` (the present month in Asia/Shanghai when absent).
    pub month: Option<String>,
}

/// One contract's month.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Fulfilment {
    pub contract_id: i64,
    pub resident_id: i64,
    pub community_id: String,
    pub facility_id: String,
    pub provider_code: String,
    pub status: String,
    pub visits_per_month: i64,
    /// Visits promised in the month (pro rata, rounded up, for a month in force in part).
    pub promised: i64,
    /// Visits that started in the month.
    pub delivered: i64,
    /// promised − delivered when positive.
    pub short_by: i64,
}

/// The month's fulfilment of the contracts in reach.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FulfilmentList {
    pub month: String,
    /// Whether the month is over (Asia/Shanghai): before then a shortfall may still be made up.
    pub month_over: bool,
    /// Contracts that promised visits in the month.
    pub contracts: u64,
    /// Of them, short.
    pub short: u64,
    pub promised: i64,
    pub delivered: i64,
    pub items: Vec<Fulfilment>,
}

async fn fulfilment_of(st: &AppState, c: &Caller, q: &MonthQuery) -> ApiResult<FulfilmentList> {
    let now = st.clock.now_ms();
    let month = month_param(&q.month, now)?;
    let (start, end) = month.bounds().map_err(AppError::internal)?;
    let (p, co, u) = scope(c)?;
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let rows: Vec<ContractRow> = sqlx::query_as(&format!(
        "SELECT {} FROM home_bed_contracts WHERE {SCOPE_WHERE} AND status <> 'draft' ORDER BY id",
        cols!()
    ))
    .bind(p)
    .bind(co)
    .bind(u)
    .fetch_all(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    let counts: BTreeMap<i64, i64> = sqlx::query_as::<_, (i64, i64)>("SELECT contract_id, COUNT(*) FROM home_bed_visits WHERE started_at >= $1 AND started_at < $2 GROUP BY contract_id")
        .bind(start)
        .bind(end)
        .fetch_all(&mut *conn)
        .await
        .map_err(StoreError::from)?
        .into_iter()
        .collect();
    let mut items = Vec::new();
    for r in rows {
        let promised = promised(r.visits_per_month, r.days()?, month);
        let delivered = counts.get(&r.id).copied().unwrap_or(0);
        if promised == 0 && delivered == 0 {
            continue;
        }
        items.push(Fulfilment {
            contract_id: r.id,
            resident_id: r.resident_id,
            community_id: r.community_id,
            facility_id: r.facility_id,
            provider_code: r.provider_code,
            status: r.status,
            visits_per_month: r.visits_per_month,
            promised,
            delivered,
            short_by: (promised - delivered).max(0),
        });
    }
    Ok(FulfilmentList {
        month: month.to_string(),
        month_over: end <= now,
        contracts: items.iter().filter(|f| f.promised > 0).count() as u64,
        short: items.iter().filter(|f| f.short_by > 0).count() as u64,
        promised: items.iter().map(|f| f.promised).sum(),
        delivered: items.iter().map(|f| f.delivered).sum(),
        items,
    })
}

/// GET /api/home-beds/fulfilment.
#[utoipa::path(get, path = "/api/home-beds/fulfilment", tag = "home-beds", params(MonthQuery),
    responses((status = 200, body = FulfilmentList), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn fulfilment(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Query(q): Query<MonthQuery>,
) -> ApiResult<Json<FulfilmentList>> {
    Ok(Json(fulfilment_of(&st, &c, &q).await?))
}

/// GET /api/home-beds/short: the contracts short of their promise in a month (so far, while
/// the month runs: see `month_over`).
#[utoipa::path(get, path = "/api/home-beds/short", tag = "home-beds", params(MonthQuery),
    responses((status = 200, body = FulfilmentList), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn short(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Query(q): Query<MonthQuery>,
) -> ApiResult<Json<FulfilmentList>> {
    let mut l = fulfilment_of(&st, &c, &q).await?;
    l.items.retain(|f| f.short_by > 0);
    Ok(Json(l))
}
