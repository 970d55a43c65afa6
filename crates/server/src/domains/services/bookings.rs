//! 预约 Bookings: a resident (online), a community worker on a resident's behalf (代办, with the
//! resident's consent recorded) or outlet staff taking a phone order books a slot of an
//! offering; the outlet confirms, starts and completes it; residents, their bookers and
//! community workers cancel; the outlet records no-shows; a regulator annuls a completed service
//! that a check finds was never delivered.
//!
//! Every rule runs inside the write transaction:
//! - **Seats** are taken by `UPDATE slot_seats SET booked = booked + 1 WHERE … AND booked <
//!   capacity` (0 rows: the slot is full) and given back by the events that release them, so no
//!   read-then-write can overbook a slot, on SQLite or PostgreSQL.
//! - **Idempotency**: `Idempotency-Key` is required on create and unique per account in the
//!   database; the same key with the same body answers the first booking (200), with another
//!   body 422 `idempotency_key_reused`. A create that loses a race to its own replay is answered
//!   from the stored booking.
//! - **One seat per resident per slot**: a partial unique index on the held seat.
//! - **State changes** are [`lc_services::booking::transition`], written compare-and-set on the
//!   version read; each appends to the booking's history and to the notification outbox.
//! - **Subsidy**: completing debits the resident's subsidy once per booking (the care domain's
//!   ledger); annulling reverses it.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use lc_registry::{mask_name, mask_phone, Access, Check, Role};
use lc_services::booking::{
    self, transition, Action, Actor, BookingError, Channel, Event, Status, When,
};
use lc_services::plan;
use lc_services::time;
use lc_store::sql::unique;
use lc_store::sqlx::{self, Any, AnyConnection, Executor};
use lc_store::{from_row, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::offerings::{self, OfferingRow};
use crate::auth::{sha256_hex, Caller};
use crate::domains::care::ledger;
use crate::domains::logs;
use crate::domains::registry::residents;
use crate::endpoints::{ep, Endpoint, JSON};
use crate::error::{ApiResult, AppError};
use crate::web::{self, Paged};
use crate::AppState;

use Role::*;

const SCOPE_READ: &str = "resident: bookings for them or made by them; provider staff: their provider's outlets; community worker: their community's residents";
const SCOPE_CREATE: &str = "resident: for themselves (online); community worker: a resident of their community (proxy, consent required); provider staff: a phone order for their own outlets";
const SCOPE_PROVIDER: &str = "provider staff: bookings of their own provider's outlets";

/// The endpoints of this domain.
pub const ENDPOINTS: &[Endpoint] = &[
    ep!("POST", "/api/bookings", Access::Roles(&[Resident, ProviderStaff, CommunityWorker, Admin]), SCOPE_CREATE, "bookings", "Book a slot (Idempotency-Key required).", Some(JSON), JSON),
    ep!("GET", "/api/bookings", Access::Roles(&[Resident, ProviderStaff, CommunityWorker, Regulator, Admin]), SCOPE_READ, "bookings", "List bookings.", None, JSON),
    ep!("GET", "/api/bookings/{id}", Access::Roles(&[Resident, ProviderStaff, CommunityWorker, Regulator, Admin]), SCOPE_READ, "bookings", "One booking.", None, JSON),
    ep!("GET", "/api/bookings/{id}/events", Access::Roles(&[Resident, ProviderStaff, CommunityWorker, Regulator, Admin]), SCOPE_READ, "bookings", "A booking's history.", None, JSON),
    ep!("GET", "/api/bookings/{id}/contact", Access::Roles(&[ProviderStaff, CommunityWorker, Admin]), "provider staff: their provider's open bookings (requested, confirmed, in service); community worker: their community", "bookings", "The resident's name, phone and address in full, to deliver the service (the read is logged).", None, JSON),
    ep!("POST", "/api/bookings/{id}/confirm", Access::Roles(&[ProviderStaff, Admin]), SCOPE_PROVIDER, "bookings", "Confirm a requested booking.", Some(JSON), JSON),
    ep!("POST", "/api/bookings/{id}/reject", Access::Roles(&[ProviderStaff, Admin]), SCOPE_PROVIDER, "bookings", "Reject a requested booking (the seat is freed).", Some(JSON), JSON),
    ep!("POST", "/api/bookings/{id}/start", Access::Roles(&[ProviderStaff, Admin]), SCOPE_PROVIDER, "bookings", "Start the service (from an hour before the slot).", Some(JSON), JSON),
    ep!("POST", "/api/bookings/{id}/complete", Access::Roles(&[ProviderStaff, Admin]), SCOPE_PROVIDER, "bookings", "Complete the service (the subsidy is debited once).", Some(JSON), JSON),
    ep!("POST", "/api/bookings/{id}/cancel", Access::Roles(&[Resident, ProviderStaff, CommunityWorker, Admin]), SCOPE_READ, "bookings", "Cancel before the slot begins (the seat is freed; late when inside the notice).", Some(JSON), JSON),
    ep!("POST", "/api/bookings/{id}/no-show", Access::Roles(&[ProviderStaff, Admin]), SCOPE_PROVIDER, "bookings", "Record a no-show once the slot has begun.", Some(JSON), JSON),
    ep!("POST", "/api/bookings/{id}/annul", Access::Roles(&[Regulator, Admin]), "", "bookings", "Annul a completed service found not delivered (the subsidy debit is reversed).", Some(JSON), JSON),
    ep!("GET", "/api/outbox", Access::Roles(&[Admin]), "", "bookings", "Notifications waiting to be sent.", None, JSON),
];

/// The routes of this domain.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/bookings", get(list).post(create))
        .route("/api/bookings/{id}", get(read))
        .route("/api/bookings/{id}/events", get(events))
        .route("/api/bookings/{id}/contact", get(contact))
        .route("/api/bookings/{id}/confirm", post(confirm))
        .route("/api/bookings/{id}/reject", post(reject))
        .route("/api/bookings/{id}/start", post(start))
        .route("/api/bookings/{id}/complete", post(complete))
        .route("/api/bookings/{id}/cancel", post(cancel))
        .route("/api/bookings/{id}/no-show", post(no_show))
        .route("/api/bookings/{id}/annul", post(annul))
        .route("/api/outbox", get(outbox))
}

// --- Records ----------------------------------------------------------------------------------

/// A stored booking, as answered (no personal data: the resident by id only).
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct BookingRow {
    pub id: i64,
    pub offering_id: i64,
    pub facility_id: String,
    pub provider_code: Option<String>,
    pub service: String,
    pub delivery: String,
    pub resident_id: i64,
    pub community_id: String,
    pub start_ms: i64,
    pub end_ms: i64,
    /// `requested`, `confirmed`, `in_service`, `completed`, `cancelled`, `rejected`, `no_show`, `annulled`.
    pub status: String,
    /// `online`, `proxy` (代办) or `phone`.
    pub channel: String,
    /// The account that booked.
    pub booked_by: i64,
    /// For a proxy booking: how the resident consented (`in_person`, `phone`, `written`, `video`).
    pub consent_method: Option<String>,
    pub consent_note: Option<String>,
    pub note: Option<String>,
    /// The full price, in fen.
    pub price_fen: i64,
    /// What the subsidy paid (debited on completion), in fen; the resident pays the rest.
    pub subsidy_fen: i64,
    /// 1 when cancelled inside the free-cancellation notice.
    pub late_cancel: i64,
    /// Who served (recorded by the outlet when it starts or completes the service): the
    /// practitioner a review of the booking rates.
    pub practitioner_id: Option<i64>,
    #[serde(skip)]
    pub seat_held: Option<i64>,
    #[serde(skip)]
    pub idempotency_key: String,
    #[serde(skip)]
    pub request_hash: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}
from_row!(BookingRow {
    id,
    offering_id,
    facility_id,
    provider_code,
    service,
    delivery,
    resident_id,
    community_id,
    start_ms,
    end_ms,
    status,
    channel,
    booked_by,
    consent_method,
    consent_note,
    note,
    price_fen,
    subsidy_fen,
    late_cancel,
    practitioner_id,
    seat_held,
    idempotency_key,
    request_hash,
    created_at,
    updated_at,
    version
});

/// A booking as answered: the row, its start and end in Asia/Shanghai, and the status in Chinese.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BookingView {
    #[serde(flatten)]
    pub row: BookingRow,
    /// RFC 3339 in Asia/Shanghai.
    pub start: String,
    pub end: String,
    /// 状态（中文）.
    pub status_zh: String,
    /// What the resident pays, in fen.
    pub resident_pays_fen: i64,
}

impl From<BookingRow> for BookingView {
    fn from(row: BookingRow) -> BookingView {
        BookingView {
            start: offerings::rfc3339(row.start_ms),
            end: offerings::rfc3339(row.end_ms),
            status_zh: Status::from_key(&row.status)
                .map(|s| s.zh().to_string())
                .unwrap_or_default(),
            resident_pays_fen: row.price_fen - row.subsidy_fen,
            row,
        }
    }
}

/// What a client sends to book.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookingInput {
    #[serde(default)]
    pub offering_id: Option<i64>,
    /// The resident (required unless a resident books for themselves).
    #[serde(default)]
    pub resident_id: Option<i64>,
    /// The slot's start, RFC 3339 (`2026-12-05T11:00:00+08:00`).
    #[serde(default)]
    pub start: Option<String>,
    /// `online`, `proxy` or `phone` (default: by role).
    #[serde(default)]
    pub channel: Option<String>,
    /// For a proxy booking: the resident's consent.
    #[serde(default)]
    pub consent: Option<ConsentInput>,
    /// A note for the outlet (diet, access to the home).
    #[serde(default)]
    pub note: Option<String>,
}

/// How the resident consented to a booking made on their behalf.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentInput {
    /// `in_person`, `phone`, `written` or `video`.
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// An action's optional body.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionInput {
    /// Why (shown to the resident): a rejection's or cancellation's reason.
    #[serde(default)]
    pub reason: Option<String>,
    /// On start or complete: the practitioner who serves (of the booking's provider).
    #[serde(default)]
    pub practitioner_id: Option<i64>,
}

/// One entry of a booking's history.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BookingEventRow {
    pub id: i64,
    pub booking_id: i64,
    pub at: i64,
    pub actor_id: Option<i64>,
    pub actor_role: Option<String>,
    pub event: String,
    pub from_status: Option<String>,
    pub to_status: String,
    #[serde(serialize_with = "crate::web::json_text_plain")]
    #[schema(value_type = Object)]
    pub detail: String,
}
from_row!(BookingEventRow {
    id,
    booking_id,
    at,
    actor_id,
    actor_role,
    event,
    from_status,
    to_status,
    detail
});

/// One notification waiting in the outbox.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OutboxRow {
    pub id: i64,
    pub at: i64,
    /// `resident`, `provider` or `user`.
    pub recipient_kind: String,
    pub recipient: String,
    pub kind: String,
    pub booking_id: Option<i64>,
    #[serde(serialize_with = "crate::web::json_text_plain")]
    #[schema(value_type = Object)]
    pub payload: String,
    pub delivered_at: Option<i64>,
}
from_row!(OutboxRow {
    id,
    at,
    recipient_kind,
    recipient,
    kind,
    booking_id,
    payload,
    delivered_at
});

// --- Repository -------------------------------------------------------------------------------

macro_rules! cols {
    () => {
        "id, offering_id, facility_id, provider_code, service, delivery, resident_id, community_id, start_ms, end_ms, status, channel, booked_by, consent_method, consent_note, note, price_fen, subsidy_fen, late_cancel, practitioner_id, seat_held, idempotency_key, request_hash, created_at, updated_at, version"
    };
}

/// One booking.
pub async fn get_row<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
) -> Result<Option<BookingRow>, StoreError> {
    Ok(
        sqlx::query_as(concat!("SELECT ", cols!(), " FROM bookings WHERE id = $1"))
            .bind(id)
            .fetch_optional(ex)
            .await?,
    )
}

/// The booking an account made with an idempotency key.
async fn by_key<'c>(
    ex: impl Executor<'c, Database = Any>,
    user: i64,
    key: &str,
) -> Result<Option<BookingRow>, StoreError> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        cols!(),
        " FROM bookings WHERE booked_by = $1 AND idempotency_key = $2"
    ))
    .bind(user)
    .bind(key.to_string())
    .fetch_optional(ex)
    .await?)
}

async fn insert(conn: &mut AnyConnection, r: &BookingRow) -> Result<i64, StoreError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO bookings (offering_id, facility_id, provider_code, service, delivery, resident_id, community_id, start_ms, end_ms, status, channel, booked_by, consent_method, consent_note, note, price_fen, subsidy_fen, late_cancel, seat_held, idempotency_key, request_hash, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, 0) RETURNING id",
    )
    .bind(r.offering_id)
    .bind(r.facility_id.clone())
    .bind(r.provider_code.clone())
    .bind(r.service.clone())
    .bind(r.delivery.clone())
    .bind(r.resident_id)
    .bind(r.community_id.clone())
    .bind(r.start_ms)
    .bind(r.end_ms)
    .bind(r.status.clone())
    .bind(r.channel.clone())
    .bind(r.booked_by)
    .bind(r.consent_method.clone())
    .bind(r.consent_note.clone())
    .bind(r.note.clone())
    .bind(r.price_fen)
    .bind(r.subsidy_fen)
    .bind(r.late_cancel)
    .bind(r.seat_held)
    .bind(r.idempotency_key.clone())
    .bind(r.request_hash.clone())
    .bind(r.created_at)
    .bind(r.updated_at)
    .fetch_one(&mut *conn)
    .await
    .map_err(unique("booking"))?;
    claim_keys(conn, id, r).await?;
    Ok(id)
}

/// Holds a new booking's national keys (migration 0019; `bookings` is partitioned by province
/// on PostgreSQL, where a unique index could only be unique per community): its account's
/// Idempotency-Key in `booking_keys` and, while it holds one, its seat in `booking_seats`. A
/// key or seat held by another booking is a duplicate (409, as the unique indexes answered).
/// Runs in the caller's transaction.
async fn claim_keys(conn: &mut AnyConnection, id: i64, r: &BookingRow) -> Result<(), StoreError> {
    claim_key(conn, r.booked_by, &r.idempotency_key, id).await?;
    if let Some(seat) = r.seat_held {
        sqlx::query(
            "INSERT INTO booking_seats (resident_id, offering_id, seat_held, booking_id) VALUES ($1, $2, $3, $4)",
        )
        .bind(r.resident_id)
        .bind(r.offering_id)
        .bind(seat)
        .bind(id)
        .execute(&mut *conn)
        .await
        .map_err(unique("booking"))?;
    }
    Ok(())
}

/// Holds an account's Idempotency-Key for a booking in `booking_keys` (see [`claim_keys`]):
/// a key the account used for another booking is a duplicate (409).
pub(crate) async fn claim_key(
    conn: &mut AnyConnection,
    booked_by: i64,
    key: &str,
    booking: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO booking_keys (booked_by, idempotency_key, booking_id) VALUES ($1, $2, $3)",
    )
    .bind(booked_by)
    .bind(key.to_string())
    .bind(booking)
    .execute(conn)
    .await
    .map_err(unique("booking"))?;
    Ok(())
}

/// Takes a seat of a slot: opens the slot's counter at its first booking, then raises it only
/// while it is below the capacity. `false`: the slot is full.
pub async fn take_seat(
    conn: &mut AnyConnection,
    offering: i64,
    start_ms: i64,
    capacity: i64,
) -> Result<bool, StoreError> {
    sqlx::query(
        "INSERT INTO slot_seats (offering_id, start_ms, capacity, booked) VALUES ($1, $2, $3, 0) ON CONFLICT (offering_id, start_ms) DO NOTHING",
    )
    .bind(offering)
    .bind(start_ms)
    .bind(capacity)
    .execute(&mut *conn)
    .await?;
    let done = sqlx::query(
        "UPDATE slot_seats SET booked = booked + 1 WHERE offering_id = $1 AND start_ms = $2 AND booked < capacity",
    )
    .bind(offering)
    .bind(start_ms)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

async fn release_seat(
    conn: &mut AnyConnection,
    offering: i64,
    start_ms: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE slot_seats SET booked = booked - 1 WHERE offering_id = $1 AND start_ms = $2 AND booked > 0",
    )
    .bind(offering)
    .bind(start_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// Compare-and-set of a booking's state on the version read.
async fn set_state(
    conn: &mut AnyConnection,
    r: &BookingRow,
    seen: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE bookings SET status = $2, seat_held = $3, late_cancel = $4, subsidy_fen = $5, updated_at = $6, practitioner_id = $8, version = version + 1 WHERE id = $1 AND version = $7",
    )
    .bind(r.id)
    .bind(r.status.clone())
    .bind(r.seat_held)
    .bind(r.late_cancel)
    .bind(r.subsidy_fen)
    .bind(r.updated_at)
    .bind(seen)
    .bind(r.practitioner_id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    // A seat is only ever let go (a booking takes its seat when it is made): free its key.
    if r.seat_held.is_none() {
        sqlx::query("DELETE FROM booking_seats WHERE booking_id = $1")
            .bind(r.id)
            .execute(conn)
            .await?;
    }
    Ok(true)
}

async fn add_event(
    conn: &mut AnyConnection,
    c: &Caller,
    booking: i64,
    at: i64,
    event: &str,
    from: Option<Status>,
    to: Status,
    detail: Value,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO booking_events (booking_id, at, actor_id, actor_role, event, from_status, to_status, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(booking)
    .bind(at)
    .bind(c.user.as_ref().map(|u| u.id))
    .bind(c.role().map(|r| r.key().to_string()))
    .bind(event.to_string())
    .bind(from.map(|s| s.key().to_string()))
    .bind(to.key().to_string())
    .bind(detail.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes notifications of a booking's change to the outbox: to the outlet's provider, to the
/// resident and, when someone else booked, to them.
async fn notify(
    conn: &mut AnyConnection,
    b: &BookingRow,
    resident_user: Option<i64>,
    kind: &str,
    at: i64,
    reason: Option<&str>,
) -> Result<(), StoreError> {
    let status = Status::from_key(&b.status).unwrap_or(Status::Requested);
    let service = lc_services::catalogue::service_type(&b.service);
    let payload = json!({
        "booking_id": b.id,
        "status": b.status,
        "service": b.service,
        "start": offerings::rfc3339(b.start_ms),
        "message_zh": format!(
            "{}预约（{}）{}{}",
            service.map(|s| s.zh).unwrap_or(""),
            offerings::rfc3339(b.start_ms),
            status.zh(),
            reason.map(|r| format!("：{r}")).unwrap_or_default()
        ),
        "message_en": format!(
            "{} booking ({}) {}{}",
            service.map(|s| s.en).unwrap_or(""),
            offerings::rfc3339(b.start_ms),
            b.status.replace('_', " "),
            reason.map(|r| format!(": {r}")).unwrap_or_default()
        ),
    })
    .to_string();
    let mut recipients: Vec<(&str, String)> = vec![("resident", b.resident_id.to_string())];
    if let Some(p) = &b.provider_code {
        recipients.push(("provider", p.clone()));
    }
    if resident_user != Some(b.booked_by) {
        recipients.push(("user", b.booked_by.to_string()));
    }
    for (rk, r) in recipients {
        sqlx::query(
            "INSERT INTO outbox (at, recipient_kind, recipient, kind, booking_id, payload, delivered_at) VALUES ($1, $2, $3, $4, $5, $6, NULL)",
        )
        .bind(at)
        .bind(rk.to_string())
        .bind(r)
        .bind(kind.to_string())
        .bind(b.id)
        .bind(payload.clone())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// No-shows of a resident since an instant.
async fn no_shows_since(
    conn: &mut AnyConnection,
    resident: i64,
    since: i64,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM bookings WHERE resident_id = $1 AND status = 'no_show' AND start_ms >= $2",
    )
    .bind(resident)
    .bind(since)
    .fetch_one(conn)
    .await?)
}

/// The resident record of a resident account.
async fn resident_of_user(
    conn: &mut AnyConnection,
    user: i64,
) -> Result<Option<residents::ResidentRow>, StoreError> {
    let id: Option<i64> =
        sqlx::query_scalar("SELECT id FROM residents WHERE user_id = $1 ORDER BY id LIMIT 1")
            .bind(user)
            .fetch_optional(&mut *conn)
            .await?;
    match id {
        Some(id) => residents::get_row(&mut *conn, id).await,
        None => Ok(None),
    }
}

// --- Rules that read stored state -------------------------------------------------------------

/// The subsidy of a completed booking: debited by the care domain's ledger from the resident's
/// entitlement for the service to the provider's payable, at most the offering's subsidy cap
/// (and never more than the balance); once per booking, whatever retries or races. What it paid.
async fn debit_subsidy(
    conn: &mut AnyConnection,
    b: &BookingRow,
    cap_fen: i64,
    at: i64,
) -> ApiResult<i64> {
    let amount = cap_fen.min(b.price_fen);
    let Some(provider) = b.provider_code.clone().filter(|_| amount > 0) else {
        return Ok(0);
    };
    ledger::debit_for_booking(
        conn,
        &ledger::BookingDebit {
            resident_id: b.resident_id,
            provider_uscc: provider,
            booking_id: b.id,
            service: b.service.clone(),
            amount_fen: amount,
            at_ms: at,
        },
    )
    .await
}

/// Gives back a booking's subsidy debit (an annulled service); what was given back.
async fn reverse_subsidy(conn: &mut AnyConnection, b: &BookingRow, at: i64) -> ApiResult<i64> {
    ledger::reverse_for_booking(conn, b.id, at).await
}

/// Who the caller is to this booking, or 403.
async fn actor_for(conn: &mut AnyConnection, c: &Caller, b: &BookingRow) -> ApiResult<Actor> {
    let u = c.user()?;
    let actor = match u.role {
        Admin => Some(Actor::Admin),
        Regulator => Some(Actor::Regulator),
        ProviderStaff => (b.provider_code.is_some() && b.provider_code == u.provider_code)
            .then_some(Actor::Provider),
        CommunityWorker => (u.community_id.as_deref() == Some(b.community_id.as_str())).then_some(
            if b.booked_by == u.id {
                Actor::Booker
            } else {
                Actor::CommunityWorker
            },
        ),
        Resident => {
            let own = residents::get_row(&mut *conn, b.resident_id)
                .await?
                .is_some_and(|r| r.user_id == Some(u.id));
            if own {
                Some(Actor::Resident)
            } else if b.booked_by == u.id {
                Some(Actor::Booker)
            } else {
                None
            }
        }
    };
    actor.ok_or_else(|| web::forbidden_record("booking"))
}

fn booking_error(e: BookingError) -> AppError {
    let status = match e {
        BookingError::NotAllowed { .. } => StatusCode::FORBIDDEN,
        _ => StatusCode::CONFLICT,
    };
    let text = e.to_string();
    let (zh, en) = text.split_once('；').unwrap_or((&text, &text));
    AppError::new(status, e.code(), zh.to_string(), en.to_string())
}

fn conflict(code: &'static str, zh: String, en: String) -> AppError {
    AppError::new(StatusCode::CONFLICT, code, zh, en)
}

/// The `Idempotency-Key` header: required, 1–128 visible ASCII characters.
fn idempotency_key(headers: &HeaderMap) -> ApiResult<String> {
    let v = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .unwrap_or("");
    if v.is_empty() {
        return Err(AppError::new(
            StatusCode::BAD_REQUEST,
            "idempotency_key_required",
            "预约须带 Idempotency-Key 请求头（同一键重发得到同一预约）",
            "a booking needs an Idempotency-Key header (the same key sent again answers the same booking)",
        ));
    }
    if v.len() > 128 || !v.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AppError::bad_request(
            "Idempotency-Key 应为 1 至 128 个可见 ASCII 字符",
            "Idempotency-Key must be 1 to 128 visible ASCII characters",
        ));
    }
    Ok(v.to_string())
}

/// A JSON value with its object keys sorted, as text: the same request written with its fields
/// in another order hashes alike.
fn canonical(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let inner: Vec<String> = keys
                .iter()
                .map(|k| format!("{}:{}", Value::String((*k).clone()), canonical(&m[*k])))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(canonical).collect::<Vec<_>>().join(",")
        ),
        other => other.to_string(),
    }
}

/// Why a create did not insert.
enum Outcome {
    Created(BookingRow),
    Replayed(BookingRow),
}

struct Request<'a> {
    input: BookingInput,
    key: &'a str,
    hash: String,
}

/// How a proxy booking's resident consented: the method and an optional note.
pub type Consent = Option<(String, Option<String>)>;

fn checked_channel(c: &Caller, input: &BookingInput) -> ApiResult<(Channel, Consent)> {
    let role = c.user()?.role;
    let default = match role {
        Resident => Channel::Online,
        CommunityWorker => Channel::Proxy,
        _ => Channel::Phone,
    };
    let channel = match input.channel.as_deref() {
        None => default,
        Some(s) => Channel::from_key(s).ok_or_else(|| {
            AppError::field(
                "channel",
                "invalid_channel",
                format!("channel 应为 online、proxy 或 phone，而非 '{s}'"),
                format!("channel must be online, proxy or phone, not '{s}'"),
            )
        })?,
    };
    let allowed = match role {
        Resident => channel == Channel::Online,
        CommunityWorker => channel == Channel::Proxy,
        ProviderStaff => channel == Channel::Phone,
        _ => true,
    };
    if !allowed {
        return Err(AppError::field(
            "channel",
            "channel_not_allowed",
            format!("此角色不能以 {} 方式预约", channel.key()),
            format!(
                "this role cannot book through the {} channel",
                channel.key()
            ),
        ));
    }
    let mut ck = Check::new();
    let consent = match (&input.consent, channel) {
        (Some(_), _) => checked_consent(&mut ck, &input.consent),
        (None, Channel::Proxy) => {
            ck.fail(
                "consent",
                "consent_required",
                "代办预约须记录居民的同意方式（consent.method）".into(),
                "a booking made on a resident's behalf must record how they consented (consent.method)".into(),
            );
            None
        }
        (None, _) => None,
    };
    ck.finish().map_err(web::invalid)?;
    Ok((channel, consent))
}

/// A consent as sent, checked: the method (`in_person`, `phone`, `written`, `video`) and an
/// optional note; `None` when none was sent (or it is invalid, with the failure in `ck`).
pub fn checked_consent(ck: &mut Check, consent: &Option<ConsentInput>) -> Consent {
    let k = consent.as_ref()?;
    let method = ck.text("consent.method", &k.method, 16);
    if let Some(m) = &method {
        if !["in_person", "phone", "written", "video"].contains(&m.as_str()) {
            ck.fail(
                "consent.method",
                "invalid_consent",
                "consent.method 应为 in_person、phone、written 或 video".into(),
                "consent.method must be in_person, phone, written or video".into(),
            );
        }
    }
    let note = ck.opt_text("consent.note", &k.note, 200);
    method.map(|m| (m, note))
}

async fn try_create(st: &AppState, c: &Caller, req: &Request<'_>) -> ApiResult<Outcome> {
    let user = c.user()?;
    let now = st.clock.now_ms();
    let input = &req.input;
    let mut ck = Check::new();
    let note = ck.opt_text("note", &input.note, 200);
    if input.offering_id.is_none() {
        ck.required("offering_id");
    }
    let start_ms = match input.start.as_deref().map(str::trim) {
        None | Some("") => {
            ck.required("start");
            None
        }
        Some(s) => match s.parse::<jiff::Timestamp>() {
            Ok(t) => Some(t.as_millisecond()),
            Err(_) => {
                ck.fail(
                    "start",
                    "invalid_time",
                    format!("start 应为带时区的时间（如 2026-12-05T11:00:00+08:00），而非 '{s}'"),
                    format!("start must be a time with its offset (e.g. 2026-12-05T11:00:00+08:00), not '{s}'"),
                );
                None
            }
        },
    };
    ck.finish().map_err(web::invalid)?;
    let (channel, consent) = checked_channel(c, input)?;
    let (Some(offering_id), Some(start_ms)) = (input.offering_id, start_ms) else {
        return Err(AppError::internal("checked fields missing"));
    };

    let mut tx = st.store.begin().await?;
    if let Some(existing) = by_key(tx.conn(), user.id, req.key).await? {
        return Ok(Outcome::Replayed(existing));
    }
    let o: OfferingRow = offerings::get_row(tx.conn(), offering_id)
        .await?
        .ok_or_else(|| {
            web::unknown_reference("offering_id", "offering", &offering_id.to_string())
        })?;
    if o.active == 0 {
        return Err(conflict(
            "offering_inactive",
            "该服务项目暂停预约".into(),
            "this offering does not take bookings now".into(),
        ));
    }
    if user.role == ProviderStaff
        && (o.provider_code.is_none() || o.provider_code != user.provider_code)
    {
        return Err(web::forbidden_record("offering"));
    }
    // Whom for.
    let resident = match user.role {
        Resident => {
            let own = resident_of_user(tx.conn(), user.id).await?.ok_or_else(|| {
                AppError::field(
                    "resident_id",
                    "no_resident_record",
                    "此账户未关联居民档案，请联系社区工作者".into(),
                    "this account has no resident record; ask a community worker to link it".into(),
                )
            })?;
            if input.resident_id.is_some_and(|r| r != own.id) {
                return Err(AppError::forbidden(
                    "居民只能为本人预约；代办请由社区工作者办理",
                    "a resident books only for themselves; a community worker books on someone's behalf",
                ));
            }
            own
        }
        _ => {
            let Some(rid) = input.resident_id else {
                return Err(AppError::field(
                    "resident_id",
                    "required",
                    "缺少必填字段 resident_id".into(),
                    "resident_id is required".into(),
                ));
            };
            let r = residents::get_row(tx.conn(), rid).await?.ok_or_else(|| {
                web::unknown_reference("resident_id", "resident", &rid.to_string())
            })?;
            if user.role == CommunityWorker
                && user.community_id.as_deref() != Some(r.community_id.as_str())
            {
                return Err(web::forbidden_record("resident"));
            }
            r
        }
    };
    // Where: a home service reaches only the communities within its walking area (when the
    // server has a walking network to compute it with).
    if o.delivery == "home"
        && o.area_computed_at.is_some()
        && offerings::area_distance(tx.conn(), o.id, &resident.community_id)
            .await?
            .is_none()
    {
        return Err(AppError::field(
            "resident_id",
            "outside_service_area",
            format!(
                "居民所在社区 {} 不在该上门服务的步行服务范围（{} 米）内（见 /api/offerings/{}/area）",
                resident.community_id,
                o.home_area_m.unwrap_or_default(),
                o.id
            ),
            format!(
                "the resident's community {} is outside this home service's walking area ({} m; see /api/offerings/{}/area)",
                resident.community_id,
                o.home_area_m.unwrap_or_default(),
                o.id
            ),
        ));
    }
    // When: a slot of the plan, within the booking window.
    let plan = o.plan()?;
    let date = time::local_date(start_ms).map_err(AppError::internal)?;
    let cal = offerings::calendar_between(tx.conn(), date, date).await?;
    let slot = plan::slot_at(&plan, &cal, o.duration_min as u16, start_ms)
        .map_err(AppError::internal)?
        .ok_or_else(|| {
            AppError::field(
                "start",
                "not_a_slot",
                format!(
                    "{} 不是该服务的可预约时段（见 /api/offerings/{}/slots）",
                    offerings::rfc3339(start_ms),
                    o.id
                ),
                format!(
                    "{} is not a slot of this offering (see /api/offerings/{}/slots)",
                    offerings::rfc3339(start_ms),
                    o.id
                ),
            )
        })?;
    if !offerings::within_booking_window(&o, slot.start_ms, now) {
        return Err(conflict(
            "outside_booking_window",
            format!(
                "只能预约 {} 分钟之后、{} 天以内的时段",
                o.min_notice_min, o.horizon_days
            ),
            format!(
                "slots can be booked from {} minutes to {} days ahead",
                o.min_notice_min, o.horizon_days
            ),
        ));
    }
    if channel == Channel::Online {
        let since = now - booking::NO_SHOW_WINDOW_DAYS * 86_400_000;
        if no_shows_since(tx.conn(), resident.id, since).await? >= booking::NO_SHOW_LIMIT {
            return Err(conflict(
                "too_many_no_shows",
                format!(
                    "{} 天内爽约 {} 次以上，暂不能自助预约；请联系社区工作者或致电服务机构",
                    booking::NO_SHOW_WINDOW_DAYS,
                    booking::NO_SHOW_LIMIT
                ),
                format!(
                    "{} or more no-shows in {} days: book through a community worker or by phone",
                    booking::NO_SHOW_LIMIT,
                    booking::NO_SHOW_WINDOW_DAYS
                ),
            ));
        }
    }
    // The seat, by the database.
    if !take_seat(tx.conn(), o.id, slot.start_ms, o.capacity).await? {
        return Err(conflict(
            "slot_full",
            format!("{} 的时段已约满", offerings::rfc3339(slot.start_ms)),
            format!("the slot at {} is full", offerings::rfc3339(slot.start_ms)),
        ));
    }
    let mut row = BookingRow {
        id: 0,
        offering_id: o.id,
        facility_id: o.facility_id.clone(),
        provider_code: o.provider_code.clone(),
        service: o.service.clone(),
        delivery: o.delivery.clone(),
        resident_id: resident.id,
        community_id: resident.community_id.clone(),
        start_ms: slot.start_ms,
        end_ms: slot.end_ms,
        status: Status::Requested.key().to_string(),
        channel: channel.key().to_string(),
        booked_by: user.id,
        consent_method: consent.as_ref().map(|(m, _)| m.clone()),
        consent_note: consent.and_then(|(_, n)| n),
        note,
        price_fen: o.price_fen,
        subsidy_fen: 0,
        late_cancel: 0,
        practitioner_id: None,
        seat_held: Some(slot.start_ms),
        idempotency_key: req.key.to_string(),
        request_hash: req.hash.clone(),
        created_at: now,
        updated_at: now,
        version: 0,
    };
    row.id = insert(tx.conn(), &row).await?;
    add_event(
        tx.conn(),
        c,
        row.id,
        now,
        "requested",
        None,
        Status::Requested,
        json!({"channel": row.channel}),
    )
    .await?;
    notify(
        tx.conn(),
        &row,
        resident.user_id,
        "booking_requested",
        now,
        None,
    )
    .await?;
    tx.audit(
        &c.actor(),
        "create",
        "booking",
        &row.id.to_string(),
        web::changes(None, &row, &[]),
    )
    .await?;
    tx.commit().await?;
    Ok(Outcome::Created(row))
}

// --- Handlers ---------------------------------------------------------------------------------

/// POST /api/bookings.
#[utoipa::path(post, path = "/api/bookings", tag = "bookings", request_body = BookingInput,
    params(("Idempotency-Key" = String, Header, description = "Required: the same key sent again answers the same booking")),
    responses((status = 201, body = BookingView), (status = 200, description = "A replay of the same key and body: the booking it made", body = BookingView),
        (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<BookingView>)> {
    let key = idempotency_key(&headers)?;
    let raw = web::json_value(&body)?;
    let hash = sha256_hex(&canonical(&raw));
    let input: BookingInput = serde_json::from_value(raw).map_err(|e| {
        AppError::field(
            "body",
            "invalid_body",
            format!("请求体字段类型或名称错误：{e}"),
            format!("the body has a wrong field or type: {e}"),
        )
    })?;
    let user = c.user()?.id;
    let req = Request {
        input,
        key: &key,
        hash: hash.clone(),
    };
    let replay = |b: BookingRow| -> ApiResult<(StatusCode, Json<BookingView>)> {
        if b.request_hash == hash {
            Ok((StatusCode::OK, Json(b.into())))
        } else {
            Err(AppError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "此 Idempotency-Key 已用于另一预约请求",
                "this Idempotency-Key was used for a different booking request",
            ))
        }
    };
    match try_create(&st, &c, &req).await {
        Ok(Outcome::Created(b)) => Ok((StatusCode::CREATED, Json(b.into()))),
        Ok(Outcome::Replayed(b)) => replay(b),
        Err(e) if e.status == StatusCode::CONFLICT => {
            // A concurrent request with the same key may have won: answer its booking.
            match by_key(st.store.pool(), user, &key).await? {
                Some(b) => replay(b),
                None if e.code == "conflict" => Err(conflict(
                    "already_booked",
                    "该居民已预约此时段".into(),
                    "the resident already holds a seat in this slot".into(),
                )),
                None => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

/// Filters of the booking list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// A status key.
    pub status: Option<String>,
    pub offering_id: Option<String>,
    pub resident_id: Option<String>,
    /// First date `YYYY-MM-DD` (Asia/Shanghai) of the slots.
    pub from: Option<String>,
    /// Last date.
    pub to: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    pub page: web::PageQuery,
}

/// GET /api/bookings.
#[utoipa::path(get, path = "/api/bookings", tag = "bookings", params(ListQuery, web::PageQuery),
    responses((status = 200, body = Paged<BookingView>), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Paged<BookingView>>> {
    let page = q.page.page()?;
    let u = c.user()?;
    if let Some(s) = &q.status {
        if Status::from_key(s).is_none() {
            return Err(AppError::bad_request(
                format!("未知状态 {s}"),
                format!("unknown status {s}"),
            ));
        }
    }
    let offering = web::int_param("offering_id", &q.offering_id)?;
    let resident = web::int_param("resident_id", &q.resident_id)?;
    let day = |name: &str, v: &Option<String>| -> ApiResult<Option<i64>> {
        offerings::date_param(name, v)?
            .map(|d| time::start_of_day(d).map_err(AppError::internal))
            .transpose()
    };
    let from = day("from", &q.from)?;
    let to = day("to", &q.to)?.map(|t| t + 86_400_000);
    let (scope_provider, scope_community, scope_user) = match u.role {
        ProviderStaff => (
            Some(u.provider_code.clone().unwrap_or_default()),
            None,
            None,
        ),
        CommunityWorker => (None, Some(u.community_id.clone().unwrap_or_default()), None),
        Resident => (None, None, Some(u.id)),
        _ => (None, None, None),
    };
    let wh = "WHERE ($1 IS NULL OR status = $1) AND ($2 IS NULL OR offering_id = $2) AND ($3 IS NULL OR resident_id = $3) AND ($4 IS NULL OR start_ms >= $4) AND ($5 IS NULL OR start_ms < $5) AND ($6 IS NULL OR provider_code = $6) AND ($7 IS NULL OR community_id = $7) AND ($8 IS NULL OR booked_by = $8 OR resident_id IN (SELECT id FROM residents WHERE user_id = $8))";
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM bookings {wh}"))
        .bind(q.status.clone())
        .bind(offering)
        .bind(resident)
        .bind(from)
        .bind(to)
        .bind(scope_provider.clone())
        .bind(scope_community.clone())
        .bind(scope_user)
        .fetch_one(&mut *conn)
        .await
        .map_err(StoreError::from)?;
    let rows: Vec<BookingRow> = sqlx::query_as(&format!(
        "SELECT {} FROM bookings {wh} ORDER BY start_ms, id LIMIT $9 OFFSET $10",
        cols!()
    ))
    .bind(q.status.clone())
    .bind(offering)
    .bind(resident)
    .bind(from)
    .bind(to)
    .bind(scope_provider)
    .bind(scope_community)
    .bind(scope_user)
    .bind(page.limit)
    .bind(page.offset)
    .fetch_all(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    Ok(Json(Paged::new(
        rows.into_iter().map(BookingView::from).collect(),
        total,
        page,
    )))
}

fn key(id: &str) -> ApiResult<i64> {
    id.parse().map_err(|_| AppError::not_found("booking", id))
}

async fn visible(st: &AppState, c: &Caller, id: &str) -> ApiResult<BookingRow> {
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let b = get_row(&mut *conn, key(id)?)
        .await?
        .ok_or_else(|| AppError::not_found("booking", id))?;
    actor_for(&mut conn, c, &b).await?;
    Ok(b)
}

/// GET /api/bookings/{id}.
#[utoipa::path(get, path = "/api/bookings/{id}", tag = "bookings", params(("id" = i64, Path)),
    responses((status = 200, body = BookingView), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn read(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<BookingView>> {
    Ok(Json(visible(&st, &c, &id).await?.into()))
}

/// GET /api/bookings/{id}/events.
#[utoipa::path(get, path = "/api/bookings/{id}/events", tag = "bookings", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<BookingEventRow>), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn events(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<BookingEventRow>>> {
    let b = visible(&st, &c, &id).await?;
    let rows = sqlx::query_as(
        "SELECT id, booking_id, at, actor_id, actor_role, event, from_status, to_status, detail FROM booking_events WHERE booking_id = $1 ORDER BY id",
    )
    .bind(b.id)
    .fetch_all(st.store.pool())
    .await
    .map_err(StoreError::from)?;
    Ok(Json(rows))
}

/// The resident's contact details for delivering a booking.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Contact {
    pub resident_id: i64,
    pub name: String,
    pub phone: Option<String>,
    pub address: Option<String>,
    /// The same, masked (for screens others can see).
    pub name_masked: String,
    pub phone_masked: Option<String>,
}

/// GET /api/bookings/{id}/contact: for the outlet while the booking is open.
#[utoipa::path(get, path = "/api/bookings/{id}/contact", tag = "bookings", params(("id" = i64, Path)),
    responses((status = 200, body = Contact), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn contact(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Contact>> {
    let b = visible(&st, &c, &id).await?;
    let open = matches!(
        Status::from_key(&b.status),
        Some(Status::Requested | Status::Confirmed | Status::InService)
    );
    if c.is(ProviderStaff) && !open {
        return Err(AppError::forbidden(
            "预约已结束，不能再查看居民联系方式",
            "the booking is over; the resident's contact details are no longer shown to the outlet",
        ));
    }
    let r = residents::get_row(st.store.pool(), b.resident_id)
        .await?
        .ok_or_else(|| AppError::not_found("resident", &b.resident_id.to_string()))?;
    logs::record_access(
        &st,
        &c,
        "resident",
        &r.id.to_string(),
        &["name", "phone", "address"],
    )
    .await?;
    Ok(Json(Contact {
        resident_id: r.id,
        name_masked: mask_name(&r.name),
        phone_masked: r.phone.as_deref().map(mask_phone),
        name: r.name,
        phone: r.phone,
        address: r.address,
    }))
}

async fn act(
    st: &AppState,
    c: &Caller,
    id: &str,
    action: Action,
    headers: &HeaderMap,
    body: &Bytes,
) -> ApiResult<Json<BookingView>> {
    let input: ActionInput = if body.iter().all(u8::is_ascii_whitespace) {
        ActionInput::default()
    } else {
        web::json_body(body)?
    };
    let mut ck = Check::new();
    let reason = ck.opt_text("reason", &input.reason, 200);
    ck.finish().map_err(web::invalid)?;
    let expected = web::if_match(headers)?;
    let now = st.clock.now_ms();
    let mut tx = st.store.begin().await?;
    let stored = get_row(tx.conn(), key(id)?)
        .await?
        .ok_or_else(|| AppError::not_found("booking", id))?;
    let actor = actor_for(tx.conn(), c, &stored).await?;
    if expected.is_some_and(|v| v != stored.version) {
        return Err(web::conflict("booking", id));
    }
    let o = offerings::get_row(tx.conn(), stored.offering_id)
        .await?
        .ok_or_else(|| AppError::internal("booking without its offering"))?;
    let status = Status::from_key(&stored.status)
        .ok_or_else(|| AppError::internal("unknown stored status"))?;
    let when = When {
        now_ms: now,
        start_ms: stored.start_ms,
        end_ms: stored.end_ms,
        cancel_notice_min: o.cancel_notice_min,
    };
    let (next, event) = transition(status, action, actor, when).map_err(booking_error)?;
    let mut row = stored.clone();
    row.status = next.key().to_string();
    row.updated_at = now;
    if event.releases_seat() {
        row.seat_held = None;
        release_seat(tx.conn(), row.offering_id, row.start_ms).await?;
    }
    if let Event::Cancelled { late: true, .. } = event {
        row.late_cancel = 1;
    }
    if event.debits_subsidy() {
        row.subsidy_fen = debit_subsidy(tx.conn(), &row, o.subsidy_cap_fen, now).await?;
    }
    if event.reverses_subsidy() {
        reverse_subsidy(tx.conn(), &row, now).await?;
        row.subsidy_fen = 0;
    }
    if let Some(p) = input.practitioner_id {
        if !matches!(action, Action::Start | Action::Complete) {
            return Err(AppError::field(
                "practitioner_id",
                "not_applicable",
                "只有开始或完成服务时才记录服务人员".into(),
                "the practitioner is recorded only when the service starts or completes".into(),
            ));
        }
        let owner: Option<String> =
            sqlx::query_scalar("SELECT provider_code FROM practitioners WHERE id = $1")
                .bind(p)
                .fetch_optional(tx.conn())
                .await
                .map_err(StoreError::from)?;
        match owner {
            None => {
                return Err(web::unknown_reference(
                    "practitioner_id",
                    "practitioner",
                    &p.to_string(),
                ))
            }
            Some(o) if Some(&o) != row.provider_code.as_ref() => {
                return Err(AppError::field(
                    "practitioner_id",
                    "other_provider",
                    format!("服务人员 {p} 不属于该预约的服务机构"),
                    format!("practitioner {p} does not work for this booking's provider"),
                ))
            }
            Some(_) => row.practitioner_id = Some(p),
        }
    }
    if !set_state(tx.conn(), &row, stored.version).await? {
        return Err(web::conflict("booking", id));
    }
    row.version += 1;
    let detail = json!({"event": event, "reason": reason});
    add_event(
        tx.conn(),
        c,
        row.id,
        now,
        event.key(),
        Some(status),
        next,
        detail,
    )
    .await?;
    let resident_user = residents::get_row(tx.conn(), row.resident_id)
        .await?
        .and_then(|r| r.user_id);
    notify(
        tx.conn(),
        &row,
        resident_user,
        &format!("booking_{}", event.key()),
        now,
        reason.as_deref(),
    )
    .await?;
    tx.audit(
        &c.actor(),
        action.key(),
        "booking",
        id,
        web::changes(Some(&stored), &row, &[]),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(row.into()))
}

macro_rules! action_handler {
    ($name:ident, $action:expr, $path:literal, $what:literal) => {
        #[doc = $what]
        #[utoipa::path(post, path = $path, tag = "bookings",
            params(("id" = i64, Path), ("If-Match" = Option<String>, Header, description = "The version the change is made against")),
            request_body(content = Option<ActionInput>, description = "Optional: the reason"),
            responses((status = 200, body = BookingView), (status = "default", body = crate::error::ErrorSchema)),
            security(("bearer" = []), ("session" = [])))]
        pub async fn $name(
            State(st): State<Arc<AppState>>,
            Extension(c): Extension<Caller>,
            Path(id): Path<String>,
            headers: HeaderMap,
            body: Bytes,
        ) -> ApiResult<Json<BookingView>> {
            act(&st, &c, &id, $action, &headers, &body).await
        }
    };
}

action_handler!(
    confirm,
    Action::Confirm,
    "/api/bookings/{id}/confirm",
    "POST /api/bookings/{id}/confirm."
);
action_handler!(
    reject,
    Action::Reject,
    "/api/bookings/{id}/reject",
    "POST /api/bookings/{id}/reject."
);
action_handler!(
    start,
    Action::Start,
    "/api/bookings/{id}/start",
    "POST /api/bookings/{id}/start."
);
action_handler!(
    complete,
    Action::Complete,
    "/api/bookings/{id}/complete",
    "POST /api/bookings/{id}/complete."
);
action_handler!(
    cancel,
    Action::Cancel,
    "/api/bookings/{id}/cancel",
    "POST /api/bookings/{id}/cancel."
);
action_handler!(
    no_show,
    Action::NoShow,
    "/api/bookings/{id}/no-show",
    "POST /api/bookings/{id}/no-show."
);
action_handler!(
    annul,
    Action::Annul,
    "/api/bookings/{id}/annul",
    "POST /api/bookings/{id}/annul."
);

/// GET /api/outbox: notifications not yet delivered, oldest first.
#[utoipa::path(get, path = "/api/outbox", tag = "bookings", params(web::PageQuery),
    responses((status = 200, body = Paged<OutboxRow>), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn outbox(
    State(st): State<Arc<AppState>>,
    Query(q): Query<web::PageQuery>,
) -> ApiResult<Json<Paged<OutboxRow>>> {
    let page = q.page()?;
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL")
        .fetch_one(st.store.pool())
        .await
        .map_err(StoreError::from)?;
    let rows = sqlx::query_as(
        "SELECT id, at, recipient_kind, recipient, kind, booking_id, payload, delivered_at FROM outbox WHERE delivered_at IS NULL ORDER BY id LIMIT $1 OFFSET $2",
    )
    .bind(page.limit)
    .bind(page.offset)
    .fetch_all(st.store.pool())
    .await
    .map_err(StoreError::from)?;
    Ok(Json(Paged::new(rows, total, page)))
}
