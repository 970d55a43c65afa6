//! 差评 cases: received → verified → rectifying (with a deadline) → rectified, or explained, or
//! appealed (申诉复核) → called back → closed ([`lc_reviews::case::transition`]). The provider
//! of the outlet handles its own cases (谁办理、谁负责) without ever seeing who rated; the
//! supervising department (regulator) decides appeals, extends deadlines and makes the
//! call-back; it also handles the cases that have no provider (a care visit). Every action is compare-and-set on the case's version, appended to the review log
//! and, when it concerns someone else, put in the outbox. An upheld appeal closes the case and
//! takes the review out of every statistic in the same transaction.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::{Extension, Json};
use jiff::civil::Date;
use lc_registry::Role;
use lc_reviews::case::{transition, Action, Actor, Case, CaseError, Event, Status};
use lc_services::time;
use lc_store::sqlx::{self, Any, AnyConnection, Executor};
use lc_store::{from_row, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::records::{self, ReviewEventRow, ReviewRow};
use crate::auth::Caller;
use crate::error::{ApiResult, AppError};
use crate::web::{self, Paged};
use crate::AppState;

use Role::*;

/// A stored case.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct CaseRow {
    pub id: i64,
    pub review_id: i64,
    pub facility_id: Option<String>,
    pub provider_code: Option<String>,
    pub division_code: Option<String>,
    pub service: String,
    /// `received`, `verified`, `rectifying`, `rectified`, `explained`, `appealed`,
    /// `called_back`, `closed`.
    pub status: String,
    /// The day received (Asia/Shanghai).
    pub received: String,
    /// The month received: the month its statistics count in.
    pub month: String,
    /// The rectification deadline (last day, inclusive), if the rules in force set one.
    pub deadline: Option<String>,
    /// Why no deadline could be worked out (the calendar does not cover the year).
    pub deadline_note: Option<String>,
    pub verified: i64,
    pub appealed: i64,
    /// 1: the appeal was upheld and the review is out of every statistic.
    pub excluded: i64,
    /// Whether the fix was reported by the deadline, once reported.
    pub rectified_on_time: Option<i64>,
    /// Whether the reviewer accepted the outcome at the call-back, once called back.
    pub callback_accepted: Option<i64>,
    pub opened_at: i64,
    pub updated_at: i64,
    pub closed_at: Option<i64>,
    pub version: i64,
}
from_row!(CaseRow {
    id,
    review_id,
    facility_id,
    provider_code,
    division_code,
    service,
    status,
    received,
    month,
    deadline,
    deadline_note,
    verified,
    appealed,
    excluded,
    rectified_on_time,
    callback_accepted,
    opened_at,
    updated_at,
    closed_at,
    version
});

macro_rules! cols {
    () => {
        "id, review_id, facility_id, provider_code, division_code, service, status, received, month, deadline, deadline_note, verified, appealed, excluded, rectified_on_time, callback_accepted, opened_at, updated_at, closed_at, version"
    };
}

/// A case as answered: the row, the status in Chinese and whether it is overdue today.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseView {
    #[serde(flatten)]
    pub row: CaseRow,
    /// 状态（中文）.
    pub status_zh: String,
    /// The deadline has passed and the fix is not reported.
    pub overdue: bool,
}

fn parse_date(s: &str) -> Option<Date> {
    s.parse().ok()
}

/// The case's state as the rules see it.
pub fn state(r: &CaseRow) -> ApiResult<Case> {
    Ok(Case {
        status: Status::from_key(&r.status)
            .ok_or_else(|| AppError::internal("unknown stored case status"))?,
        received: parse_date(&r.received).ok_or_else(|| AppError::internal("stored case date"))?,
        deadline: r.deadline.as_deref().and_then(parse_date),
        verified: r.verified != 0,
        appealed: r.appealed != 0,
        excluded: r.excluded != 0,
        rectified_on_time: r.rectified_on_time.map(|v| v != 0),
    })
}

/// The view of a case on `today`.
pub fn view(r: CaseRow, today: Date) -> CaseView {
    let status = Status::from_key(&r.status);
    let overdue = state(&r).is_ok_and(|k| k.is_overdue(today));
    CaseView {
        status_zh: status.map(|s| s.zh().to_string()).unwrap_or_default(),
        overdue,
        row: r,
    }
}

/// Opens the case of a review.
pub async fn insert(
    conn: &mut AnyConnection,
    r: &ReviewRow,
    case: &Case,
    deadline_note: Option<String>,
    now: i64,
) -> ApiResult<CaseRow> {
    let mut row = CaseRow {
        id: 0,
        review_id: r.id,
        facility_id: r.facility_id.clone(),
        provider_code: r.provider_code.clone(),
        division_code: r.division_code.clone(),
        service: r.service.clone(),
        status: case.status.key().into(),
        received: case.received.to_string(),
        month: time::YearMonth::of_date(case.received).to_string(),
        deadline: case.deadline.map(|d| d.to_string()),
        deadline_note,
        verified: 0,
        appealed: 0,
        excluded: 0,
        rectified_on_time: None,
        callback_accepted: None,
        opened_at: now,
        updated_at: now,
        closed_at: None,
        version: 0,
    };
    row.id = sqlx::query_scalar(
        "INSERT INTO review_cases (review_id, facility_id, provider_code, division_code, service, status, received, month, deadline, deadline_note, verified, appealed, excluded, rectified_on_time, callback_accepted, opened_at, updated_at, closed_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, 0, 0, NULL, NULL, $11, $11, NULL, 0) RETURNING id",
    )
    .bind(row.review_id)
    .bind(row.facility_id.clone())
    .bind(row.provider_code.clone())
    .bind(row.division_code.clone())
    .bind(row.service.clone())
    .bind(row.status.clone())
    .bind(row.received.clone())
    .bind(row.month.clone())
    .bind(row.deadline.clone())
    .bind(row.deadline_note.clone())
    .bind(now)
    .fetch_one(conn)
    .await
    .map_err(StoreError::from)?;
    Ok(row)
}

/// One case.
pub async fn get_row<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
) -> Result<Option<CaseRow>, StoreError> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        cols!(),
        " FROM review_cases WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(ex)
    .await?)
}

/// The case of a review, if it has one.
pub async fn of_review(
    conn: &mut AnyConnection,
    review: i64,
) -> Result<Option<CaseRow>, StoreError> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        cols!(),
        " FROM review_cases WHERE review_id = $1"
    ))
    .bind(review)
    .fetch_optional(conn)
    .await?)
}

/// Every case (for statistics and the exchange), optionally of one month.
pub async fn all(
    conn: &mut AnyConnection,
    month: Option<&str>,
) -> Result<Vec<CaseRow>, StoreError> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        cols!(),
        " FROM review_cases WHERE ($1 IS NULL OR month = $1) ORDER BY id"
    ))
    .bind(month.map(str::to_string))
    .fetch_all(conn)
    .await?)
}

/// The caller as an actor of this case, or 403: provider staff for their own provider's cases,
/// regulators (and administrators) for every case.
fn actor_for(c: &Caller, r: &CaseRow) -> ApiResult<Actor> {
    let u = c.user()?;
    match u.role {
        Regulator | Admin => Ok(Actor::Regulator),
        ProviderStaff if r.provider_code.is_some() && r.provider_code == u.provider_code => {
            Ok(Actor::Provider)
        }
        _ => Err(web::forbidden_record("review case")),
    }
}

fn case_error(e: CaseError) -> AppError {
    let status = match e {
        CaseError::Forbidden { .. } => StatusCode::FORBIDDEN,
        CaseError::ReasonRequired => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::CONFLICT,
    };
    let zh = e.message_zh();
    let en = e.message_en();
    match e {
        CaseError::BadTime(_) => AppError::internal(e),
        CaseError::ReasonRequired => AppError::field("reason", "reason_required", zh, en),
        CaseError::Forbidden { .. } => AppError::forbidden(zh, en),
        _ => AppError::new(status, e.code(), zh, en),
    }
}

// --- Handlers ---------------------------------------------------------------------------------

/// Filters of the case list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// A status key.
    pub status: Option<String>,
    /// `true`: only cases past their deadline without a reported fix.
    pub overdue: Option<String>,
    pub facility_id: Option<String>,
    pub provider_code: Option<String>,
    /// `YYYY-MM`: the month received.
    pub month: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    pub page: web::PageQuery,
}

/// GET /api/review-cases.
#[utoipa::path(get, path = "/api/review-cases", tag = "reviews", params(ListQuery, web::PageQuery),
    responses((status = 200, body = Paged<CaseView>), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Paged<CaseView>>> {
    let page = q.page.page()?;
    if let Some(s) = q.status.as_deref() {
        if Status::from_key(s).is_none() {
            return Err(AppError::bad_request(
                format!("未知状态 {}", lc_model::quote(s)),
                format!("unknown status {}", lc_model::quote(s)),
            ));
        }
    }
    let overdue = match q.overdue.as_deref() {
        None | Some("") | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(AppError::bad_request(
                "overdue 应为 true 或 false",
                "overdue must be true or false",
            ))
        }
    };
    let month = super::month_param(&q.month)?.map(|m| m.to_string());
    let u = c.user()?;
    let own = (u.role == ProviderStaff).then(|| u.provider_code.clone().unwrap_or_default());
    let today = time::local_date(st.clock.now_ms()).map_err(AppError::internal)?;
    // Overdue: open (received, verified, rectifying) with a deadline before today; ISO dates
    // compare as text.
    let wh = "WHERE ($1 IS NULL OR status = $1) AND ($2 IS NULL OR facility_id = $2) AND ($3 IS NULL OR provider_code = $3) AND ($4 IS NULL OR provider_code = $4) AND ($5 IS NULL OR month = $5) AND ($6 IS NULL OR (status IN ('received', 'verified', 'rectifying') AND deadline IS NOT NULL AND deadline < $6))";
    let overdue_day = overdue.then(|| today.to_string());
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    macro_rules! bound {
        ($q:expr) => {
            $q.bind(q.status.clone())
                .bind(q.facility_id.clone())
                .bind(q.provider_code.clone())
                .bind(own.clone())
                .bind(month.clone())
                .bind(overdue_day.clone())
        };
    }
    let total: i64 = bound!(sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM review_cases {wh}"
    )))
    .fetch_one(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    let sql = format!(
        "SELECT {} FROM review_cases {wh} ORDER BY id LIMIT $7 OFFSET $8",
        cols!()
    );
    let rows: Vec<CaseRow> = bound!(sqlx::query_as(&sql))
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(&mut *conn)
        .await
        .map_err(StoreError::from)?;
    Ok(Json(Paged::new(
        rows.into_iter().map(|r| view(r, today)).collect(),
        total,
        page,
    )))
}

/// A case with its review (as the caller may see it) and its history.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseDetail {
    #[serde(flatten)]
    pub case: CaseView,
    pub review: records::ReviewView,
    /// The case's entries of the review log, oldest first.
    pub history: Vec<ReviewEventRow>,
}

async fn detail(
    conn: &mut AnyConnection,
    c: &Caller,
    row: CaseRow,
    today: Date,
) -> ApiResult<CaseDetail> {
    let review = records::get_row(&mut *conn, row.review_id)
        .await?
        .ok_or_else(|| AppError::internal("case without its review"))?;
    let mut history: Vec<ReviewEventRow> = sqlx::query_as(
        "SELECT id, review_id, case_id, at, actor_id, actor_role, event, detail FROM review_events WHERE case_id = $1 ORDER BY id",
    )
    .bind(row.id)
    .fetch_all(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    if c.is(ProviderStaff) {
        // Who acted is not the provider's to know when it was not the provider.
        for h in &mut history {
            if h.actor_role.as_deref() != Some("provider_staff") {
                h.actor_id = None;
            }
        }
    }
    Ok(CaseDetail {
        review: records::view(c, review, None, today),
        case: view(row, today),
        history,
    })
}

fn case_key(id: &str) -> ApiResult<i64> {
    id.parse()
        .map_err(|_| AppError::not_found("review case", id))
}

/// GET /api/review-cases/{id}.
#[utoipa::path(get, path = "/api/review-cases/{id}", tag = "reviews", params(("id" = i64, Path)),
    responses((status = 200, body = CaseDetail), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn read(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<CaseDetail>> {
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let row = get_row(&mut *conn, case_key(&id)?)
        .await?
        .ok_or_else(|| AppError::not_found("review case", &id))?;
    actor_for(&c, &row)?;
    let today = time::local_date(st.clock.now_ms()).map_err(AppError::internal)?;
    Ok(Json(detail(&mut conn, &c, row, today).await?))
}

/// The event's stable key (its serialised tag).
fn event_key(e: &Event) -> String {
    serde_json::to_value(e)
        .ok()
        .and_then(|v| v["event"].as_str().map(str::to_string))
        .unwrap_or_default()
}

/// POST /api/review-cases/{id}/actions: body an action, e.g. `{"action": "verify"}`,
/// `{"action": "rectify"}`, `{"action": "report_rectified", "text": "…"}`,
/// `{"action": "call_back", "accepted": true, "note": "…"}`, `{"action": "close"}`,
/// `{"action": "explain", "text": "…"}`, `{"action": "appeal", "ground": "malicious", "reason":
/// "…"}`, `{"action": "decide_appeal", "uphold": true, "reason": "…"}`,
/// `{"action": "extend_deadline", "to": "2026-03-30", "reason": "…"}`.
#[utoipa::path(post, path = "/api/review-cases/{id}/actions", tag = "reviews",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header, description = "The version the change is made against")),
    request_body = Action,
    responses((status = 200, body = CaseDetail), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn act(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<CaseDetail>> {
    let action: Action = web::json_body(&body)?;
    let expected = web::if_match(&headers)?;
    let now = st.clock.now_ms();
    let today = time::local_date(now).map_err(AppError::internal)?;
    let mut tx = st.store.begin().await?;
    let stored = get_row(tx.conn(), case_key(&id)?)
        .await?
        .ok_or_else(|| AppError::not_found("review case", &id))?;
    let mut actor = actor_for(&c, &stored)?;
    // A case with no provider (a care visit, an outlet without one) is handled by the
    // supervising department itself: it verifies, rectifies or explains as the handler.
    let handles = matches!(
        action,
        Action::Verify | Action::Rectify | Action::Explain { .. } | Action::ReportRectified { .. }
    );
    if stored.provider_code.is_none() && actor == Actor::Regulator && handles {
        actor = Actor::Provider;
    }
    if expected.is_some_and(|v| v != stored.version) {
        return Err(web::conflict("review case", &id));
    }
    let before = state(&stored)?;
    let (next, event) = transition(&before, &action, actor, now).map_err(case_error)?;
    let mut row = stored.clone();
    row.status = next.status.key().into();
    row.deadline = next.deadline.map(|d| d.to_string());
    row.verified = i64::from(next.verified);
    row.appealed = i64::from(next.appealed);
    row.excluded = i64::from(next.excluded);
    row.rectified_on_time = next.rectified_on_time.map(i64::from);
    if let Event::CalledBack { accepted, .. } = &event {
        row.callback_accepted = Some(i64::from(*accepted));
    }
    if next.status == Status::Closed {
        row.closed_at = Some(now);
    }
    row.updated_at = now;
    let done = sqlx::query(
        "UPDATE review_cases SET status = $2, deadline = $3, verified = $4, appealed = $5, excluded = $6, rectified_on_time = $7, callback_accepted = $8, closed_at = $9, updated_at = $10, version = version + 1 WHERE id = $1 AND version = $11",
    )
    .bind(row.id)
    .bind(row.status.clone())
    .bind(row.deadline.clone())
    .bind(row.verified)
    .bind(row.appealed)
    .bind(row.excluded)
    .bind(row.rectified_on_time)
    .bind(row.callback_accepted)
    .bind(row.closed_at)
    .bind(row.updated_at)
    .bind(stored.version)
    .execute(tx.conn())
    .await
    .map_err(StoreError::from)?;
    if done.rows_affected() != 1 {
        return Err(web::conflict("review case", &id));
    }
    row.version += 1;
    let key = event_key(&event);
    let logged = serde_json::to_value(&event).map_err(AppError::internal)?;
    records::log_event(
        tx.conn(),
        Some(&c),
        row.review_id,
        Some(row.id),
        now,
        &key,
        &logged,
    )
    .await?;
    if let Event::AppealUpheld { reason } = &event {
        sqlx::query("UPDATE reviews SET excluded = 1, version = version + 1 WHERE id = $1")
            .bind(row.review_id)
            .execute(tx.conn())
            .await
            .map_err(StoreError::from)?;
        records::log_event(
            tx.conn(),
            Some(&c),
            row.review_id,
            Some(row.id),
            now,
            "excluded",
            &json!({"reason": reason}),
        )
        .await?;
    }
    tell(tx.conn(), actor, &row, &key, &logged, now).await?;
    tx.audit(
        &c.actor(),
        action.name(),
        "review_case",
        &id,
        json!({"from": stored.status, "to": row.status, "event": logged}),
    )
    .await?;
    tx.commit().await?;
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    Ok(Json(detail(&mut conn, &c, row, today).await?))
}

/// Notifies whoever the action concerns: the provider of what the regulator decided; the
/// resident of the outcome they will be called back about.
async fn tell(
    conn: &mut AnyConnection,
    actor: Actor,
    row: &CaseRow,
    key: &str,
    detail: &Value,
    now: i64,
) -> ApiResult<()> {
    let status_zh = Status::from_key(&row.status).map(Status::zh).unwrap_or("");
    let payload = json!({
        "case_id": row.id,
        "event": key,
        "status": row.status,
        "deadline": row.deadline,
        "detail": detail,
        "message_zh": format!("差评工单 {} 已更新：{status_zh}", row.id),
        "message_en": format!("bad-review case {} updated: {}", row.id, row.status.replace('_', " ")),
    });
    if actor != Actor::Provider {
        if let Some(p) = &row.provider_code {
            records::notify(
                conn,
                "provider",
                p,
                &format!("review_case_{key}"),
                now,
                payload.clone(),
            )
            .await?;
        }
    }
    if matches!(key, "rectified" | "explained") {
        let resident: Option<i64> =
            sqlx::query_scalar("SELECT resident_id FROM reviews WHERE id = $1")
                .bind(row.review_id)
                .fetch_optional(&mut *conn)
                .await
                .map_err(StoreError::from)?;
        if let Some(r) = resident {
            records::notify(
                conn,
                "resident",
                &r.to_string(),
                &format!("review_case_{key}"),
                now,
                payload,
            )
            .await?;
        }
    }
    Ok(())
}
