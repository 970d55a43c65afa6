//! 托位 Childcare places (issue 11): nurseries' places, applications with a waiting list, and
//! the places per region that GS04 and HE06 (托位 per 1000 people) measure. The state machine
//! is `lc_services::childcare`'s, run inside the write transaction.
//!
//! - **Places.** A nursery's places are stored per outlet (`childcare_places`): opened from the
//!   facility's `capacity` (rounded down) the first time the nursery is used, then set by its
//!   provider (`PUT …/places`, never below the places in use). Stored rather than read from the
//!   facility because the database must hold the limit beside the counter it guards.
//! - **Holding a place** (an offer, and the enrolment that follows it) is `UPDATE
//!   childcare_places SET in_use = in_use + 1 WHERE facility_id = $1 AND in_use < places`: zero
//!   rows means no place is free, so concurrent requests can never hold more places than there
//!   are, on SQLite or PostgreSQL.
//! - **The waiting list** is first come, first served (by application id). After every change
//!   that can free a place (an application, a withdrawal, a decline, a child leaving, more
//!   places), the same transaction offers free places to the head of the list; the offer is
//!   held [`lc_services::childcare::OFFER_DAYS`] days and written to the notification outbox.
//! - **Personal data.** The child's name, month of birth and the note belong to the parent
//!   resident: masked in lists (name masked, birth month as its year), in full in one-record
//!   reads, which are logged for staff. Residents see their own children's applications,
//!   provider staff their own nurseries', community workers their community's.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post, put};
use axum::{Extension, Json, Router};
use lc_registry::{mask_name, Access, DivisionLevel, Role};
use lc_services::childcare::{
    offer_expiry, releases_place, transition, Action, Actor, ChildcareError, EnrolmentInput,
    Status, When,
};
use lc_services::visits::RegionLevel;
use lc_store::sql::{prefix_pattern, unique};
use lc_store::sqlx::{self, AnyConnection};
use lc_store::{from_row, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::bulk;
use crate::domains::logs;
use crate::domains::registry::{communities, facilities, residents};
use crate::endpoints::{ep, Endpoint, CSV, JSON};
use crate::error::{ApiResult, AppError};
use crate::web::{self, Paged};
use crate::AppState;

use Role::*;

const SCOPE: &str = "resident: their own children's applications; provider staff: their own nurseries; community worker: their community's residents";
const OWN_NURSERY: &str = "provider staff: their own nurseries";

/// The endpoints of this domain.
pub const ENDPOINTS: &[Endpoint] = &[
    ep!("GET", "/api/childcare/nurseries", Access::Public, "", "childcare", "Nurseries with their places, places in use, free places and waiting lists (division prefix, provider_code).", None, JSON),
    ep!("GET", "/api/childcare/nurseries/{id}", Access::Public, "", "childcare", "One nursery's places.", None, JSON),
    ep!("PUT", "/api/childcare/nurseries/{id}/places", Access::Roles(&[ProviderStaff, Admin]), OWN_NURSERY, "childcare", "Set a nursery's places (If-Match: the places' version; never below the places in use); free places go to the waiting list.", Some(JSON), JSON),
    ep!("GET", "/api/childcare/nurseries/{id}/waiting", Access::Roles(&[ProviderStaff, Regulator, Admin]), OWN_NURSERY, "childcare", "A nursery's waiting list in order (masked).", None, JSON),
    ep!("GET", "/api/childcare/places", Access::Public, "", "childcare", "Places, places in use and free, and population per province, city, district and street, with places per 1000 people (GS04, HE06).", None, JSON),
    ep!("GET", "/api/childcare/places.csv", Access::Public, "", "childcare", "The places per region as CSV (level, region_code, nurseries, places, in_use, free, waiting, population, children_0_3, places_per_1000).", None, CSV),
    ep!("POST", "/api/childcare/enrolments", Access::Roles(&[Resident, CommunityWorker, Admin]), "resident: for their own child; community worker: for a resident of their community", "childcare", "Apply for a place (joins the waiting list; offered at once when a place is free and no one waits).", Some(JSON), JSON),
    ep!("GET", "/api/childcare/enrolments", Access::Roles(&[Resident, ProviderStaff, CommunityWorker, Regulator, Admin]), SCOPE, "childcare", "List applications (masked).", None, JSON),
    ep!("GET", "/api/childcare/enrolments/{id}", Access::Roles(&[Resident, ProviderStaff, CommunityWorker, Regulator, Admin]), SCOPE, "childcare", "One application in full, with its place on the waiting list (staff reads are logged).", None, JSON),
    ep!("POST", "/api/childcare/enrolments/{id}/accept", Access::Roles(&[Resident, ProviderStaff, Admin]), SCOPE, "childcare", "Accept an offered place (enrolled).", Some(JSON), JSON),
    ep!("POST", "/api/childcare/enrolments/{id}/decline", Access::Roles(&[Resident, ProviderStaff, Admin]), SCOPE, "childcare", "Decline an offered place (the nursery only once the offer has lapsed); the place goes to the head of the list.", Some(JSON), JSON),
    ep!("POST", "/api/childcare/enrolments/{id}/withdraw", Access::Roles(&[Resident, CommunityWorker, Admin]), SCOPE, "childcare", "Withdraw a waiting or offered application.", Some(JSON), JSON),
    ep!("POST", "/api/childcare/enrolments/{id}/leave", Access::Roles(&[Resident, ProviderStaff, Admin]), SCOPE, "childcare", "An enrolled child leaves; the place goes to the head of the list.", Some(JSON), JSON),
];

/// The routes of this domain.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/childcare/nurseries", get(nurseries))
        .route("/api/childcare/nurseries/{id}", get(nursery))
        .route("/api/childcare/nurseries/{id}/places", put(set_places))
        .route("/api/childcare/nurseries/{id}/waiting", get(waiting))
        .route("/api/childcare/places", get(places))
        .route("/api/childcare/places.csv", get(places_csv))
        .route("/api/childcare/enrolments", get(list).post(create))
        .route("/api/childcare/enrolments/{id}", get(read))
        .route("/api/childcare/enrolments/{id}/accept", post(accept))
        .route("/api/childcare/enrolments/{id}/decline", post(decline))
        .route("/api/childcare/enrolments/{id}/withdraw", post(withdraw))
        .route("/api/childcare/enrolments/{id}/leave", post(leave))
}

/// The facility category whose outlets have 托位.
pub const NURSERY: &str = "nursery";

// --- Records ----------------------------------------------------------------------------------

/// A nursery's places counter.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct PlacesRow {
    pub facility_id: String,
    pub provider_code: Option<String>,
    pub places: i64,
    pub in_use: i64,
    pub updated_at: i64,
    pub version: i64,
}
from_row!(PlacesRow {
    facility_id,
    provider_code,
    places,
    in_use,
    updated_at,
    version
});

/// A nursery with its places, as answered.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Nursery {
    pub facility_id: String,
    pub name: String,
    pub provider_code: Option<String>,
    pub division_code: Option<String>,
    /// The facility's registered capacity (what the engine's GS04 reads).
    pub capacity: Option<f64>,
    /// Places (托位): the stored count, or the capacity until the nursery is first used.
    pub places: i64,
    /// Places held: offered and enrolled.
    pub in_use: i64,
    pub free: i64,
    /// Children enrolled; `null` (named in `suppressed`) for callers who neither keep the
    /// registry nor run the nursery.
    pub enrolled: Option<i64>,
    /// Applications waiting; withheld as `enrolled`.
    pub waiting: Option<i64>,
    /// The places' version (send as If-Match to set them); 0 until first used.
    pub version: i64,
    /// The counts of children withheld from this caller. Places, places held and free places
    /// are the nursery's availability, published as a service's seats are; the children
    /// enrolled and waiting are counts of people (a nursery's are often under 10, and the
    /// region table's sums, `places`, would give them back by differencing), so the public
    /// does not get them per nursery.
    pub suppressed: Vec<&'static str>,
}

impl Nursery {
    /// The nursery as answered to `c`: administrators, regulators, community workers and the
    /// nursery's own provider staff see every count.
    fn for_caller(mut self, c: &Caller) -> Nursery {
        let runs_it = c.role() == Some(ProviderStaff)
            && self.provider_code.is_some()
            && c.user().ok().and_then(|u| u.provider_code.clone()) == self.provider_code;
        if !communities::sees_counts(c) && !runs_it {
            self.enrolled = None;
            self.waiting = None;
            self.suppressed = vec!["enrolled", "waiting"];
        }
        self
    }
}

/// An application as stored and answered.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct EnrolmentRow {
    pub id: i64,
    pub facility_id: String,
    pub provider_code: Option<String>,
    pub parent_resident_id: i64,
    pub community_id: String,
    /// Masked in lists.
    pub child_name: String,
    /// `YYYY-MM`; only the year in lists (`2024-**`).
    pub child_birth_month: String,
    /// Masked in lists.
    pub note: Option<String>,
    /// `waiting`, `offered`, `enrolled`, `left`, `withdrawn`, `declined`.
    pub status: String,
    pub applied_at: i64,
    pub offered_at: Option<i64>,
    /// When an offer lapses (the nursery may then record it as declined).
    pub offer_expires_at: Option<i64>,
    pub enrolled_at: Option<i64>,
    pub closed_at: Option<i64>,
    #[serde(skip)]
    pub open_flag: Option<i64>,
    pub created_by: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// Raised by one on every change; send it as `If-Match`.
    pub version: i64,
}
from_row!(EnrolmentRow {
    id,
    facility_id,
    provider_code,
    parent_resident_id,
    community_id,
    child_name,
    child_birth_month,
    note,
    status,
    applied_at,
    offered_at,
    offer_expires_at,
    enrolled_at,
    closed_at,
    open_flag,
    created_by,
    created_at,
    updated_at,
    version
});

/// An application as answered: the row, the status in Chinese and, while waiting, its place in
/// the list (1 = next).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EnrolmentView {
    #[serde(flatten)]
    pub row: EnrolmentRow,
    pub status_zh: String,
    pub position: Option<i64>,
}

impl EnrolmentRow {
    fn view(self, position: Option<i64>) -> EnrolmentView {
        EnrolmentView {
            status_zh: Status::from_key(&self.status)
                .map(|s| s.zh().to_string())
                .unwrap_or_default(),
            row: self,
            position,
        }
    }

    fn masked(mut self) -> EnrolmentRow {
        self.child_name = mask_name(&self.child_name);
        self.child_birth_month =
            format!("{}-**", self.child_birth_month.get(..4).unwrap_or("****"));
        self.note = self.note.map(|_| "***".into());
        self
    }
}

// --- Repository -------------------------------------------------------------------------------

macro_rules! cols {
    () => {
        "id, facility_id, provider_code, parent_resident_id, community_id, child_name, child_birth_month, note, status, applied_at, offered_at, offer_expires_at, enrolled_at, closed_at, open_flag, created_by, created_at, updated_at, version"
    };
}

async fn get_row(conn: &mut AnyConnection, id: i64) -> Result<Option<EnrolmentRow>, StoreError> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        cols!(),
        " FROM childcare_enrolments WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

async fn places_row(
    conn: &mut AnyConnection,
    facility: &str,
) -> Result<Option<PlacesRow>, StoreError> {
    Ok(sqlx::query_as("SELECT facility_id, provider_code, places, in_use, updated_at, version FROM childcare_places WHERE facility_id = $1")
        .bind(facility.to_string())
        .fetch_optional(conn)
        .await?)
}

/// A facility's capacity as places: rounded down, never negative.
fn capacity_places(capacity: Option<f64>) -> i64 {
    capacity
        .filter(|c| c.is_finite() && *c > 0.0)
        .map(|c| c.floor().min(1e9) as i64)
        .unwrap_or(0)
}

/// Opens a nursery's places counter from the facility's capacity, if it has none yet.
async fn open_places(
    conn: &mut AnyConnection,
    f: &facilities::FacilityRow,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO childcare_places (facility_id, provider_code, places, in_use, updated_at, version) VALUES ($1, $2, $3, 0, $4, 0) ON CONFLICT (facility_id) DO NOTHING")
        .bind(f.id.clone())
        .bind(f.provider_code.clone())
        .bind(capacity_places(f.capacity))
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Takes a place while one is free (the database decides). `false`: none is free.
async fn take_place(conn: &mut AnyConnection, facility: &str) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE childcare_places SET in_use = in_use + 1 WHERE facility_id = $1 AND in_use < places",
    )
    .bind(facility.to_string())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

async fn release_place(conn: &mut AnyConnection, facility: &str) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE childcare_places SET in_use = in_use - 1 WHERE facility_id = $1 AND in_use > 0",
    )
    .bind(facility.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

/// Compare-and-set of an application's state on the version read.
async fn set_state(
    conn: &mut AnyConnection,
    r: &EnrolmentRow,
    seen: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE childcare_enrolments SET status = $2, offered_at = $3, offer_expires_at = $4, enrolled_at = $5, closed_at = $6, open_flag = $7, updated_at = $8, version = version + 1 WHERE id = $1 AND version = $9",
    )
    .bind(r.id)
    .bind(r.status.clone())
    .bind(r.offered_at)
    .bind(r.offer_expires_at)
    .bind(r.enrolled_at)
    .bind(r.closed_at)
    .bind(r.open_flag)
    .bind(r.updated_at)
    .bind(seen)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

async fn add_event(
    conn: &mut AnyConnection,
    c: Option<&Caller>,
    id: i64,
    at: i64,
    event: &str,
    from: Option<Status>,
    to: Status,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO childcare_events (enrolment_id, at, actor_id, actor_role, event, from_status, to_status) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(id)
        .bind(at)
        .bind(c.and_then(|c| c.user.as_ref().map(|u| u.id)))
        .bind(c.and_then(|c| c.role()).map(|r| r.key().to_string()))
        .bind(event.to_string())
        .bind(from.map(|s| s.key().to_string()))
        .bind(to.key().to_string())
        .execute(conn)
        .await?;
    Ok(())
}

/// Tells the parent and the nursery's provider of a change, through the outbox.
async fn notify(conn: &mut AnyConnection, r: &EnrolmentRow, at: i64) -> Result<(), StoreError> {
    let status = Status::from_key(&r.status).unwrap_or(Status::Waiting);
    let payload = json!({
        "enrolment_id": r.id,
        "facility_id": r.facility_id,
        "status": r.status,
        "offer_expires_at": r.offer_expires_at,
        "message_zh": format!("托位申请（{}）{}", r.facility_id, status.zh()),
        "message_en": format!("childcare application ({}) {}", r.facility_id, status.key()),
    })
    .to_string();
    let mut to = vec![("resident", r.parent_resident_id.to_string())];
    if let Some(p) = &r.provider_code {
        to.push(("provider", p.clone()));
    }
    for (kind, who) in to {
        sqlx::query("INSERT INTO outbox (at, recipient_kind, recipient, kind, booking_id, payload, delivered_at) VALUES ($1, $2, $3, $4, NULL, $5, NULL)")
            .bind(at)
            .bind(kind.to_string())
            .bind(who)
            .bind(format!("childcare_{}", r.status))
            .bind(payload.clone())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Offers the nursery's free places to the head of its waiting list, in order of application,
/// inside the caller's transaction. The ids offered.
async fn fill(conn: &mut AnyConnection, facility: &str, now: i64) -> ApiResult<Vec<i64>> {
    let mut offered = Vec::new();
    // Each round offers a place or finds the head changed under it; bounded all the same.
    for _ in 0..10_000 {
        let head: Option<EnrolmentRow> = sqlx::query_as(concat!(
            "SELECT ",
            cols!(),
            " FROM childcare_enrolments WHERE facility_id = $1 AND status = 'waiting' ORDER BY id LIMIT 1"
        ))
        .bind(facility.to_string())
        .fetch_optional(&mut *conn)
        .await
        .map_err(StoreError::from)?;
        let Some(head) = head else { break };
        if !take_place(conn, facility).await? {
            break;
        }
        let when = When {
            now_ms: now,
            offer_expires_ms: None,
        };
        let (next, event) = transition(Status::Waiting, Action::Offer, Actor::System, when)
            .map_err(AppError::internal)?;
        let mut row = head.clone();
        row.status = next.key().to_string();
        row.offered_at = Some(now);
        row.offer_expires_at = Some(offer_expiry(now));
        row.updated_at = now;
        if !set_state(conn, &row, head.version).await? {
            // Withdrawn meanwhile: give the place back and look at the list again.
            release_place(conn, facility).await?;
            continue;
        }
        row.version += 1;
        add_event(
            conn,
            None,
            row.id,
            now,
            event.key(),
            Some(Status::Waiting),
            next,
        )
        .await?;
        notify(conn, &row, now).await?;
        offered.push(row.id);
    }
    Ok(offered)
}

/// The place in the waiting list of a waiting application (1 = next).
async fn position(conn: &mut AnyConnection, r: &EnrolmentRow) -> ApiResult<Option<i64>> {
    if r.status != Status::Waiting.key() {
        return Ok(None);
    }
    let ahead: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM childcare_enrolments WHERE facility_id = $1 AND status = 'waiting' AND id < $2")
        .bind(r.facility_id.clone())
        .bind(r.id)
        .fetch_one(conn)
        .await
        .map_err(StoreError::from)?;
    Ok(Some(ahead + 1))
}

/// A nursery (facility of category `nursery`) or 404.
async fn nursery_facility(
    conn: &mut AnyConnection,
    id: &str,
) -> ApiResult<facilities::FacilityRow> {
    facilities::get_row(&mut *conn, id)
        .await?
        .filter(|f| f.category == NURSERY)
        .ok_or_else(|| AppError::not_found("nursery", id))
}

async fn nursery_of(conn: &mut AnyConnection, f: facilities::FacilityRow) -> ApiResult<Nursery> {
    let p = places_row(conn, &f.id).await?;
    let counts: Vec<(String, i64)> = sqlx::query_as(
        "SELECT status, COUNT(*) FROM childcare_enrolments WHERE facility_id = $1 AND status IN ('waiting', 'enrolled') GROUP BY status",
    )
    .bind(f.id.clone())
    .fetch_all(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    let count = |s: &str| {
        counts
            .iter()
            .find(|(k, _)| k == s)
            .map(|x| x.1)
            .unwrap_or(0)
    };
    let (places, in_use, version) = match &p {
        Some(p) => (p.places, p.in_use, p.version),
        None => (capacity_places(f.capacity), 0, 0),
    };
    Ok(Nursery {
        facility_id: f.id,
        name: f.name,
        provider_code: f.provider_code,
        division_code: f.division_code,
        capacity: f.capacity,
        places,
        in_use,
        free: (places - in_use).max(0),
        enrolled: Some(count("enrolled")),
        waiting: Some(count("waiting")),
        version,
        suppressed: Vec::new(),
    })
}

async fn parent_of_user(conn: &mut AnyConnection, user: i64) -> Result<Option<i64>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT id FROM residents WHERE user_id = $1 ORDER BY id LIMIT 1")
            .bind(user)
            .fetch_optional(conn)
            .await?,
    )
}

/// Who the caller is to this application, or 403.
async fn actor_for(conn: &mut AnyConnection, c: &Caller, r: &EnrolmentRow) -> ApiResult<Actor> {
    let u = c.user()?;
    let actor = match u.role {
        Admin => Some(Actor::Admin),
        Regulator => Some(Actor::Regulator),
        ProviderStaff => (r.provider_code.is_some() && r.provider_code == u.provider_code)
            .then_some(Actor::Provider),
        CommunityWorker => (u.community_id.as_deref() == Some(r.community_id.as_str()))
            .then_some(Actor::CommunityWorker),
        Resident => residents::get_row(&mut *conn, r.parent_resident_id)
            .await?
            .is_some_and(|p| p.user_id == Some(u.id))
            .then_some(Actor::Parent),
    };
    actor.ok_or_else(|| web::forbidden_record("childcare application"))
}

fn childcare_error(e: ChildcareError) -> AppError {
    let status = match e {
        ChildcareError::NotAllowed { .. } => StatusCode::FORBIDDEN,
        _ => StatusCode::CONFLICT,
    };
    let text = e.to_string();
    let (zh, en) = text.split_once('；').unwrap_or((&text, &text));
    AppError::new(status, e.code(), zh.to_string(), en.to_string())
}

fn record_id(what: &str, id: &str) -> ApiResult<i64> {
    id.parse::<i64>()
        .ok()
        .filter(|x| *x > 0)
        .ok_or_else(|| AppError::not_found(what, id))
}

// --- Nurseries and places ---------------------------------------------------------------------

/// Filters of the nursery list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NurseryQuery {
    /// Division code prefix.
    pub division: Option<String>,
    pub provider_code: Option<String>,
}

async fn all_nurseries(
    conn: &mut AnyConnection,
    division: Option<String>,
    provider: Option<String>,
) -> ApiResult<Vec<Nursery>> {
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM facilities WHERE category = $1 AND ($2 IS NULL OR division_code LIKE $2 ESCAPE '\\') AND ($3 IS NULL OR provider_code = $3) ORDER BY id")
        .bind(NURSERY.to_string())
        .bind(division.map(|d| prefix_pattern(&d)))
        .bind(provider)
        .fetch_all(&mut *conn)
        .await
        .map_err(StoreError::from)?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(f) = facilities::get_row(&mut *conn, &id).await? {
            out.push(nursery_of(conn, f).await?);
        }
    }
    Ok(out)
}

/// GET /api/childcare/nurseries.
#[utoipa::path(get, path = "/api/childcare/nurseries", tag = "childcare", params(NurseryQuery),
    responses((status = 200, body = Vec<Nursery>), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn nurseries(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Query(q): Query<NurseryQuery>,
) -> ApiResult<Json<Vec<Nursery>>> {
    let division = web::division_param(&q.division)?;
    let provider = q.provider_code.clone().filter(|s| !s.is_empty());
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let list = all_nurseries(&mut conn, division, provider).await?;
    Ok(Json(list.into_iter().map(|n| n.for_caller(&c)).collect()))
}

/// GET /api/childcare/nurseries/{id}.
#[utoipa::path(get, path = "/api/childcare/nurseries/{id}", tag = "childcare", params(("id" = String, Path)),
    responses((status = 200, body = Nursery), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn nursery(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Nursery>> {
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let f = nursery_facility(&mut conn, &id).await?;
    Ok(Json(nursery_of(&mut conn, f).await?.for_caller(&c)))
}

/// The places of a nursery as a client sets them.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlacesInput {
    /// Places (托位), 0 to 100000.
    pub places: Option<i64>,
}

/// PUT /api/childcare/nurseries/{id}/places.
#[utoipa::path(put, path = "/api/childcare/nurseries/{id}/places", tag = "childcare",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, description = "The places' version")),
    request_body = PlacesInput,
    responses((status = 200, body = Nursery), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn set_places(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Nursery>> {
    let input: PlacesInput = crate::domains::care::parse_body(&body)?;
    let places = match input.places {
        None => {
            return Err(AppError::field(
                "places",
                "required",
                "缺少必填字段 places".into(),
                "places is required".into(),
            ))
        }
        Some(p) if (0..=100_000).contains(&p) => p,
        Some(p) => {
            return Err(AppError::field(
                "places",
                "out_of_range",
                format!("places 应为 0 至 100000：{p}"),
                format!("places must be 0 to 100000: {p}"),
            ))
        }
    };
    let expected = web::if_match(&headers)?;
    let now = st.clock.now_ms();
    let mut tx = st.store.begin().await?;
    let f = nursery_facility(tx.conn(), &id).await?;
    if !crate::domains::registry::own_provider(&c, f.provider_code.as_deref()) {
        return Err(web::forbidden_record("nursery"));
    }
    open_places(tx.conn(), &f, now).await?;
    let stored = places_row(tx.conn(), &f.id)
        .await?
        .ok_or_else(|| AppError::internal("places counter missing"))?;
    if expected.is_some_and(|v| v != stored.version) {
        return Err(web::conflict("nursery places", &id));
    }
    let done = sqlx::query("UPDATE childcare_places SET places = $2, provider_code = $3, updated_at = $4, version = version + 1 WHERE facility_id = $1 AND version = $5 AND in_use <= $2")
        .bind(f.id.clone())
        .bind(places)
        .bind(f.provider_code.clone())
        .bind(now)
        .bind(stored.version)
        .execute(tx.conn())
        .await
        .map_err(StoreError::from)?;
    if done.rows_affected() != 1 {
        let now_row = places_row(tx.conn(), &f.id).await?;
        return Err(match now_row {
            Some(r) if r.version == stored.version && r.in_use > places => AppError::new(
                StatusCode::CONFLICT,
                "places_in_use",
                format!("已有 {} 个托位在用，不能减到 {places}", r.in_use),
                format!(
                    "{} places are in use; the places cannot go down to {places}",
                    r.in_use
                ),
            ),
            _ => web::conflict("nursery places", &id),
        });
    }
    fill(tx.conn(), &f.id, now).await?;
    tx.audit(
        &c.actor(),
        "update",
        "childcare_places",
        &f.id,
        json!({"places": {"from": stored.places, "to": places}}),
    )
    .await?;
    // The registry's capacity of the nursery follows its places, in the same transaction (and
    // compare-and-set on the facility's version): the facility export that `livingcircle
    // assess` reads then computes GS04/HE06 (托位 per 1000 people) from the platform's places.
    let mut f = f;
    if f.capacity != Some(places as f64) {
        let done = sqlx::query(
            "UPDATE facilities SET capacity = $2, updated_at = $3, version = version + 1 WHERE id = $1 AND version = $4",
        )
        .bind(f.id.clone())
        .bind(places as f64)
        .bind(now)
        .bind(f.version)
        .execute(tx.conn())
        .await
        .map_err(StoreError::from)?;
        if done.rows_affected() != 1 {
            return Err(web::conflict("facility", &f.id));
        }
        tx.audit(
            &c.actor(),
            "update",
            "facility",
            &f.id,
            json!({"capacity": {"from": f.capacity, "to": places}, "source": "childcare places"}),
        )
        .await?;
        f.capacity = Some(places as f64);
        f.version += 1;
    }
    let view = nursery_of(tx.conn(), f).await?;
    tx.commit().await?;
    Ok(Json(view))
}

/// GET /api/childcare/nurseries/{id}/waiting: the waiting list, next first (masked).
#[utoipa::path(get, path = "/api/childcare/nurseries/{id}/waiting", tag = "childcare", params(("id" = String, Path)),
    responses((status = 200, body = Vec<EnrolmentView>), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn waiting(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<EnrolmentView>>> {
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let f = nursery_facility(&mut conn, &id).await?;
    if !crate::domains::registry::own_provider(&c, f.provider_code.as_deref()) {
        return Err(web::forbidden_record("nursery"));
    }
    let rows: Vec<EnrolmentRow> = sqlx::query_as(concat!(
        "SELECT ",
        cols!(),
        " FROM childcare_enrolments WHERE facility_id = $1 AND status = 'waiting' ORDER BY id"
    ))
    .bind(f.id)
    .fetch_all(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    Ok(Json(
        rows.into_iter()
            .enumerate()
            .map(|(i, r)| r.masked().view(Some(i as i64 + 1)))
            .collect(),
    ))
}

/// One region's places. The counts of people (`in_use`, `waiting`, `population`,
/// `children_0_3`) and what gives them back (`free` = places − in use, `places_per_1000`) are
/// `null` and named in `suppressed` where the disclosure policy withholds them from a caller
/// who does not keep the registry (see [`withhold_places`]).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegionPlaces {
    pub level: RegionLevel,
    /// Division code: 2 (province), 4 (city), 6 (district) or 9 (street) digits.
    pub region_code: String,
    /// Nurseries whose facility division code lies in the region.
    pub nurseries: i64,
    pub places: i64,
    pub in_use: Option<i64>,
    pub free: Option<i64>,
    pub waiting: Option<i64>,
    /// Σ population of the communities whose division code lies in the region.
    pub population: Option<f64>,
    /// Σ children aged 0–3 of those communities (where recorded).
    pub children_0_3: Option<f64>,
    /// places ÷ population × 1000 (GS04, HE06); `None` when no population is recorded.
    pub places_per_1000: Option<f64>,
    /// The columns withheld by the disclosure policy.
    pub suppressed: Vec<&'static str>,
}

/// Query of the places per region.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlacesQuery {
    /// Only regions whose code begins with this division prefix.
    pub division: Option<String>,
    /// `province`, `city`, `district` or `street`.
    pub level: Option<String>,
}

/// The region codes of a division code at the four levels it reaches (none when it is not a
/// division code, `lc_model::division`).
fn region_codes(code: &str) -> Vec<(RegionLevel, String)> {
    [
        (RegionLevel::Province, DivisionLevel::Province),
        (RegionLevel::City, DivisionLevel::Prefecture),
        (RegionLevel::District, DivisionLevel::County),
        (RegionLevel::Street, DivisionLevel::Street),
    ]
    .into_iter()
    .filter_map(|(l, d)| Some((l, lc_model::division::prefix_at(code, d)?.to_string())))
    .collect()
}

async fn region_places(
    st: &AppState,
    q: &PlacesQuery,
    withhold: bool,
) -> ApiResult<Vec<RegionPlaces>> {
    let division = web::division_param(&q.division)?;
    let level = match q.level.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            [
                RegionLevel::Province,
                RegionLevel::City,
                RegionLevel::District,
                RegionLevel::Street,
            ]
            .into_iter()
            .find(|l| l.key() == s)
            .ok_or_else(|| {
                AppError::bad_request(
                    format!("level 应为 province、city、district 或 street：{s}"),
                    format!("level must be province, city, district or street: {s}"),
                )
            })?,
        ),
    };
    // The communities' counts as the open data reads them: the same rows give the sums and,
    // for a caller who does not keep the registry, the suppression pattern.
    let counts = crate::domains::open_data::tables::community_counts(st).await?;
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let mut rows: BTreeMap<(RegionLevel, String), RegionPlaces> = BTreeMap::new();
    let entry = |l: RegionLevel, code: String| -> RegionPlaces {
        RegionPlaces {
            level: l,
            region_code: code,
            nurseries: 0,
            places: 0,
            in_use: Some(0),
            free: Some(0),
            waiting: Some(0),
            population: Some(0.0),
            children_0_3: Some(0.0),
            places_per_1000: None,
            suppressed: Vec::new(),
        }
    };
    for (_, code, pop, _, _, kids) in &counts {
        let Some(code) = code.as_deref() else {
            continue;
        };
        for (l, r) in region_codes(code) {
            let e = rows
                .entry((l, r.clone()))
                .or_insert_with(|| entry(l, r.clone()));
            e.population = e.population.map(|p| p + pop);
            e.children_0_3 = e.children_0_3.map(|c| c + kids.unwrap_or(0.0));
        }
    }
    for n in all_nurseries(&mut conn, None, None).await? {
        for (l, r) in region_codes(n.division_code.as_deref().unwrap_or("")) {
            let e = rows
                .entry((l, r.clone()))
                .or_insert_with(|| entry(l, r.clone()));
            e.nurseries += 1;
            e.places += n.places;
            e.in_use = e.in_use.map(|x| x + n.in_use);
            e.free = e.free.map(|x| x + n.free);
            e.waiting = e.waiting.map(|x| x + n.waiting.unwrap_or(0));
        }
    }
    for r in rows.values_mut() {
        r.places_per_1000 = r
            .population
            .filter(|p| *p > 0.0)
            .map(|p| r.places as f64 / p * 1000.0);
    }
    if withhold {
        withhold_places(&mut rows, &counts)?;
    }
    Ok(rows
        .into_values()
        .filter(|r| level.is_none_or(|l| l == r.level))
        .filter(|r| {
            division
                .as_deref()
                .is_none_or(|d| r.region_code.starts_with(d))
        })
        .collect())
}

/// Withholds the places' counts of people by the open data's disclosure policy (default:
/// counts below 10), over every region before any filter (a filtered answer shows a part of
/// one pattern):
/// - `population` and `children_0_3` of a city, district or street take the cell of the open
///   data's community table (`open_data::tables::pattern_of`, from the same rows): one pattern
///   for every open download, so that combining them reveals nothing either alone does not. A
///   province is not in that table: its figure is shown only when every part of it (its
///   cities, and its communities coded to no city) is shown there, so that it is their sum,
///   known already;
/// - `in_use` and `waiting`: one `lc_disclosure::Table` per column over the regions (province =
///   Σ cities, city = Σ districts, district = Σ streets, each with the nurseries coded above
///   the next level as one unpublished remainder), primary and secondary suppression;
/// - `free` goes with `in_use` (places are shown), `places_per_1000` with `population`.
fn withhold_places(
    rows: &mut BTreeMap<(RegionLevel, String), RegionPlaces>,
    counts: &[crate::domains::open_data::tables::CountRow],
) -> ApiResult<()> {
    use crate::domains::open_data::tables::{pattern_of, top_key};
    use lc_disclosure::{suppress, Fixed, Table};
    let policy = crate::domains::open_data::policy();
    let pattern = pattern_of(counts, &policy)?;
    // Column k of the pattern: 0 population, 3 children_0_3. A region no community lies in is
    // not in the pattern: 0 people, nothing to withhold.
    let shown = |k: usize, key: &str| -> bool {
        pattern.cells[k]
            .get(key)
            .is_none_or(|(_, suppressed)| !suppressed)
    };
    let mut province_shown: BTreeMap<String, [bool; 2]> = BTreeMap::new();
    for (id, code, ..) in counts {
        let Some(code) = code.as_deref() else {
            continue;
        };
        let Some((_, p)) = region_codes(code)
            .into_iter()
            .find(|(l, _)| *l == RegionLevel::Province)
        else {
            continue;
        };
        let key = top_key(id, Some(code));
        let e = province_shown.entry(p).or_insert([true, true]);
        e[0] &= shown(0, &key);
        e[1] &= shown(3, &key);
    }
    for ((level, code), r) in rows.iter_mut() {
        let key = match level {
            RegionLevel::City => Some(format!("city:{code}")),
            RegionLevel::District => Some(format!("county:{code}")),
            RegionLevel::Street => Some(format!("township:{code}")),
            _ => None,
        };
        let [pop, kids] = match &key {
            Some(key) => [shown(0, key), shown(3, key)],
            None => province_shown.get(code).copied().unwrap_or([true, true]),
        };
        if !pop {
            r.population = None;
            r.places_per_1000 = None;
            r.suppressed.extend(["population", "places_per_1000"]);
        }
        if !kids {
            r.children_0_3 = None;
            r.suppressed.push("children_0_3");
        }
    }
    // in_use and waiting over the region hierarchy.
    let keys: Vec<(RegionLevel, String)> = rows.keys().cloned().collect();
    let child_level = |l: RegionLevel| match l {
        RegionLevel::Province => Some(RegionLevel::City),
        RegionLevel::City => Some(RegionLevel::District),
        RegionLevel::District => Some(RegionLevel::Street),
        _ => None,
    };
    for column in ["in_use", "waiting"] {
        let value = |r: &RegionPlaces| -> u64 {
            let v = if column == "in_use" {
                r.in_use
            } else {
                r.waiting
            };
            v.unwrap_or(0).max(0) as u64
        };
        let mut t = Table::new();
        let cell: BTreeMap<&(RegionLevel, String), usize> =
            keys.iter().map(|k| (k, t.cell(value(&rows[k])))).collect();
        for k in &keys {
            let Some(cl) = child_level(k.0) else {
                continue;
            };
            let mut parts: Vec<usize> = keys
                .iter()
                .filter(|c| c.0 == cl && c.1.starts_with(k.1.as_str()))
                .map(|c| cell[c])
                .collect();
            let sum: u64 = parts.iter().map(|&p| t.value(p)).sum();
            let total = t.value(cell[k]);
            if total < sum {
                return Err(AppError::internal(
                    "places: a region is less than its parts",
                ));
            }
            if total > sum {
                let rest = t.cell(total - sum);
                t.fix(rest, Fixed::Suppressed);
                parts.push(rest);
            }
            if !parts.is_empty() {
                t.relation(cell[k], parts).map_err(AppError::internal)?;
            }
        }
        let out = suppress(&policy, &t);
        let all = !out.exposed.is_empty();
        for k in &keys {
            if all || out.suppressed[cell[k]] {
                let r = rows.get_mut(k).expect("a known region");
                if column == "in_use" {
                    r.in_use = None;
                    r.free = None;
                    r.suppressed.extend(["in_use", "free"]);
                } else {
                    r.waiting = None;
                    r.suppressed.push("waiting");
                }
            }
        }
    }
    Ok(())
}

/// GET /api/childcare/places.
#[utoipa::path(get, path = "/api/childcare/places", tag = "childcare", params(PlacesQuery),
    responses((status = 200, body = Vec<RegionPlaces>), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn places(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Query(q): Query<PlacesQuery>,
) -> ApiResult<Json<Vec<RegionPlaces>>> {
    Ok(Json(
        region_places(&st, &q, !communities::sees_counts(&c)).await?,
    ))
}

/// The columns of `places.csv`.
pub const PLACES_COLUMNS: &[&str] = &[
    "level",
    "region_code",
    "nurseries",
    "places",
    "in_use",
    "free",
    "waiting",
    "population",
    "children_0_3",
    "places_per_1000",
];

/// GET /api/childcare/places.csv: a withheld cell is `x`, as in the open data.
#[utoipa::path(get, path = "/api/childcare/places.csv", tag = "childcare", params(PlacesQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn places_csv(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Query(q): Query<PlacesQuery>,
) -> ApiResult<Response> {
    let rows: Vec<Value> = region_places(&st, &q, !communities::sees_counts(&c))
        .await?
        .iter()
        .map(|r| {
            let mut v = json!({"level": r.level.key(), "region_code": r.region_code, "nurseries": r.nurseries,
                "places": r.places, "in_use": r.in_use, "free": r.free, "waiting": r.waiting,
                "population": r.population, "children_0_3": r.children_0_3, "places_per_1000": r.places_per_1000});
            for col in &r.suppressed {
                v[*col] = json!(crate::domains::open_data::tables::SUPPRESSED);
            }
            v
        })
        .collect();
    bulk::csv_of_values("childcare-places.csv", PLACES_COLUMNS, &rows)
}

// --- Applications -----------------------------------------------------------------------------

/// POST /api/childcare/enrolments: the application joins the waiting list; a free place is
/// offered to the head of the list in the same transaction.
#[utoipa::path(post, path = "/api/childcare/enrolments", tag = "childcare", request_body = EnrolmentInput,
    responses((status = 201, body = EnrolmentView), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<EnrolmentView>)> {
    let input: EnrolmentInput = crate::domains::care::parse_body(&body)?;
    let now = st.clock.now_ms();
    let e = input.check(now).map_err(web::invalid)?;
    let user = c.user()?.clone();
    let mut tx = st.store.begin().await?;
    let parent_id = match user.role {
        Resident => {
            let own = parent_of_user(tx.conn(), user.id).await?.ok_or_else(|| {
                AppError::field(
                    "parent_resident_id",
                    "no_resident_record",
                    "此账户未关联居民档案，请联系社区工作者".into(),
                    "this account has no resident record; ask a community worker to link it".into(),
                )
            })?;
            if e.parent_resident_id.is_some_and(|p| p != own) {
                return Err(AppError::forbidden(
                    "居民只能为自己的孩子申请托位",
                    "a resident applies only for their own child",
                ));
            }
            own
        }
        _ => e.parent_resident_id.ok_or_else(|| {
            AppError::field(
                "parent_resident_id",
                "required",
                "缺少必填字段 parent_resident_id".into(),
                "parent_resident_id is required".into(),
            )
        })?,
    };
    let parent = residents::get_row(tx.conn(), parent_id)
        .await?
        .ok_or_else(|| {
            web::unknown_reference("parent_resident_id", "resident", &parent_id.to_string())
        })?;
    if user.role == CommunityWorker && user.community_id.as_deref() != Some(&parent.community_id) {
        return Err(web::forbidden_record("resident"));
    }
    let f = facilities::get_row(tx.conn(), &e.facility_id)
        .await?
        .ok_or_else(|| web::unknown_reference("facility_id", "facility", &e.facility_id))?;
    if f.category != NURSERY {
        return Err(AppError::field(
            "facility_id",
            "not_a_nursery",
            format!("{} 不是托育机构（类别 nursery）", f.id),
            format!("{} is not a nursery (category nursery)", f.id),
        ));
    }
    open_places(tx.conn(), &f, now).await?;
    let mut row = EnrolmentRow {
        id: 0,
        facility_id: f.id.clone(),
        provider_code: f.provider_code.clone(),
        parent_resident_id: parent.id,
        community_id: parent.community_id.clone(),
        child_name: e.child_name,
        child_birth_month: e.child_birth_month.to_string(),
        note: e.note,
        status: Status::Waiting.key().to_string(),
        applied_at: now,
        offered_at: None,
        offer_expires_at: None,
        enrolled_at: None,
        closed_at: None,
        open_flag: Some(1),
        created_by: user.id,
        created_at: now,
        updated_at: now,
        version: 0,
    };
    row.id = sqlx::query_scalar("INSERT INTO childcare_enrolments (facility_id, provider_code, parent_resident_id, community_id, child_name, child_birth_month, note, status, applied_at, offered_at, offer_expires_at, enrolled_at, closed_at, open_flag, created_by, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, NULL, NULL, NULL, 1, $10, $11, $12, 0) RETURNING id")
        .bind(row.facility_id.clone())
        .bind(row.provider_code.clone())
        .bind(row.parent_resident_id)
        .bind(row.community_id.clone())
        .bind(row.child_name.clone())
        .bind(row.child_birth_month.clone())
        .bind(row.note.clone())
        .bind(row.status.clone())
        .bind(row.applied_at)
        .bind(row.created_by)
        .bind(row.created_at)
        .bind(row.updated_at)
        .fetch_one(tx.conn())
        .await
        .map_err(unique("open application of this child at this nursery"))?;
    add_event(
        tx.conn(),
        Some(&c),
        row.id,
        now,
        "applied",
        None,
        Status::Waiting,
    )
    .await?;
    fill(tx.conn(), &f.id, now).await?;
    let row = get_row(tx.conn(), row.id)
        .await?
        .ok_or_else(|| AppError::internal("application vanished"))?;
    let pos = position(tx.conn(), &row).await?;
    tx.audit(
        &c.actor(),
        "create",
        "childcare_enrolment",
        &row.id.to_string(),
        web::changes(None, &row, &["child_name", "child_birth_month", "note"]),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(row.view(pos))))
}

/// Filters of the application list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    pub facility_id: Option<String>,
    /// A status key.
    pub status: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    pub page: web::PageQuery,
}

/// GET /api/childcare/enrolments.
#[utoipa::path(get, path = "/api/childcare/enrolments", tag = "childcare", params(ListQuery, web::PageQuery),
    responses((status = 200, body = Paged<EnrolmentView>), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Paged<EnrolmentView>>> {
    let page = q.page.page()?;
    let u = c.user()?;
    if let Some(s) = q.status.as_deref().filter(|s| !s.is_empty()) {
        if Status::from_key(s).is_none() {
            return Err(AppError::bad_request(
                format!("未知状态 {s}"),
                format!("unknown status {s}"),
            ));
        }
    }
    let (provider, community, user) = match u.role {
        ProviderStaff => (
            Some(u.provider_code.clone().unwrap_or_default()),
            None,
            None,
        ),
        CommunityWorker => (None, Some(u.community_id.clone().unwrap_or_default()), None),
        Resident => (None, None, Some(u.id)),
        _ => (None, None, None),
    };
    let wh = "WHERE ($1 IS NULL OR facility_id = $1) AND ($2 IS NULL OR status = $2) AND ($3 IS NULL OR provider_code = $3) AND ($4 IS NULL OR community_id = $4) AND ($5 IS NULL OR parent_resident_id IN (SELECT id FROM residents WHERE user_id = $5))";
    let facility = q.facility_id.clone().filter(|s| !s.is_empty());
    let status = q.status.clone().filter(|s| !s.is_empty());
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM childcare_enrolments {wh}"))
        .bind(facility.clone())
        .bind(status.clone())
        .bind(provider.clone())
        .bind(community.clone())
        .bind(user)
        .fetch_one(&mut *conn)
        .await
        .map_err(StoreError::from)?;
    let rows: Vec<EnrolmentRow> = sqlx::query_as(&format!(
        "SELECT {} FROM childcare_enrolments {wh} ORDER BY id LIMIT $6 OFFSET $7",
        cols!()
    ))
    .bind(facility)
    .bind(status)
    .bind(provider)
    .bind(community)
    .bind(user)
    .bind(page.limit)
    .bind(page.offset)
    .fetch_all(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        let pos = position(&mut conn, &r).await?;
        items.push(r.masked().view(pos));
    }
    Ok(Json(Paged::new(items, total, page)))
}

/// GET /api/childcare/enrolments/{id}.
#[utoipa::path(get, path = "/api/childcare/enrolments/{id}", tag = "childcare", params(("id" = i64, Path)),
    responses((status = 200, body = EnrolmentView), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn read(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<EnrolmentView>> {
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let row = get_row(&mut conn, record_id("childcare application", &id)?)
        .await?
        .ok_or_else(|| AppError::not_found("childcare application", &id))?;
    actor_for(&mut conn, &c, &row).await?;
    let pos = position(&mut conn, &row).await?;
    drop(conn);
    let mut fields = vec!["child_name", "child_birth_month"];
    if row.note.is_some() {
        fields.push("note");
    }
    logs::record_access(&st, &c, "childcare_enrolment", &id, &fields).await?;
    Ok(Json(row.view(pos)))
}

async fn act(
    st: &AppState,
    c: &Caller,
    id: &str,
    action: Action,
    headers: &HeaderMap,
    body: &Bytes,
) -> ApiResult<Json<EnrolmentView>> {
    if !body.iter().all(u8::is_ascii_whitespace) {
        let v = web::json_object(body)?;
        if let Some(k) = v.keys().next() {
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
    let mut tx = st.store.begin().await?;
    let stored = get_row(tx.conn(), record_id("childcare application", id)?)
        .await?
        .ok_or_else(|| AppError::not_found("childcare application", id))?;
    let actor = actor_for(tx.conn(), c, &stored).await?;
    if expected.is_some_and(|v| v != stored.version) {
        return Err(web::conflict("childcare application", id));
    }
    let status = Status::from_key(&stored.status)
        .ok_or_else(|| AppError::internal("unknown stored status"))?;
    let when = When {
        now_ms: now,
        offer_expires_ms: stored.offer_expires_at,
    };
    let (next, event) = transition(status, action, actor, when).map_err(childcare_error)?;
    let mut row = stored.clone();
    row.status = next.key().to_string();
    row.updated_at = now;
    if next == Status::Enrolled {
        row.enrolled_at = Some(now);
    }
    if !next.is_open() {
        row.closed_at = Some(now);
        row.open_flag = None;
    }
    if !set_state(tx.conn(), &row, stored.version).await? {
        return Err(web::conflict("childcare application", id));
    }
    row.version += 1;
    add_event(
        tx.conn(),
        Some(c),
        row.id,
        now,
        event.key(),
        Some(status),
        next,
    )
    .await?;
    notify(tx.conn(), &row, now).await?;
    if releases_place(status, next) {
        release_place(tx.conn(), &row.facility_id).await?;
        fill(tx.conn(), &row.facility_id, now).await?;
    }
    tx.audit(
        &c.actor(),
        action.key(),
        "childcare_enrolment",
        id,
        web::changes(
            Some(&stored),
            &row,
            &["child_name", "child_birth_month", "note"],
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(row.view(None)))
}

macro_rules! action_handler {
    ($name:ident, $action:expr, $path:literal, $what:literal) => {
        #[doc = $what]
        #[utoipa::path(post, path = $path, tag = "childcare",
            params(("id" = i64, Path), ("If-Match" = Option<String>, Header, description = "The version the change is made against")),
            request_body(content = Option<Object>, description = "Empty"),
            responses((status = 200, body = EnrolmentView), (status = "default", body = crate::error::ErrorSchema)),
            security(("bearer" = []), ("session" = [])))]
        pub async fn $name(
            State(st): State<Arc<AppState>>,
            Extension(c): Extension<Caller>,
            Path(id): Path<String>,
            headers: HeaderMap,
            body: Bytes,
        ) -> ApiResult<Json<EnrolmentView>> {
            act(&st, &c, &id, $action, &headers, &body).await
        }
    };
}

action_handler!(
    accept,
    Action::Accept,
    "/api/childcare/enrolments/{id}/accept",
    "POST /api/childcare/enrolments/{id}/accept."
);
action_handler!(
    decline,
    Action::Decline,
    "/api/childcare/enrolments/{id}/decline",
    "POST /api/childcare/enrolments/{id}/decline."
);
action_handler!(
    withdraw,
    Action::Withdraw,
    "/api/childcare/enrolments/{id}/withdraw",
    "POST /api/childcare/enrolments/{id}/withdraw."
);
action_handler!(
    leave,
    Action::Leave,
    "/api/childcare/enrolments/{id}/leave",
    "POST /api/childcare/enrolments/{id}/leave."
);
