//! Reviews (评价): one per completed booking or care visit, by the resident or, with their
//! consent recorded, their proxy (the person who booked for them, their community worker); a
//! default rating when a jurisdiction turns it on. Each review and everything after it is
//! appended to `review_events`, the log every published figure is recomputed from.
//!
//! Rules that read stored state run inside the write transaction: the service record is
//! completed, nobody has rated it yet (and the database's unique index on the record decides
//! between two concurrent reviews), the caller may rate for this resident. A 差评 opens its case
//! in the same transaction, with the deadline the rules in force give.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use lc_registry::{Check, Role};
use lc_reviews::case::Case;
use lc_reviews::indicators;
use lc_reviews::level::Level;
use lc_services::time::{self, YearMonth};
use lc_store::sqlx::{self, Any, AnyConnection, Executor};
use lc_store::{from_row, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::cases::{self, CaseRow};
use super::settings;
use crate::auth::Caller;
use crate::domains::care::visits;
use crate::domains::registry::residents;
use crate::domains::services::bookings;
use crate::error::{ApiResult, AppError};
use crate::web::{self, Paged};
use crate::AppState;

use Role::*;

/// A stored review.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct ReviewRow {
    pub id: i64,
    /// `booking` or `visit`.
    pub subject_kind: String,
    /// The booking's or visit's id.
    pub subject_id: i64,
    /// The outlet (none for a care visit).
    pub facility_id: Option<String>,
    pub provider_code: Option<String>,
    pub practitioner_id: Option<i64>,
    /// The service type key (`meal`, …; `care_visit` for a visit).
    pub service: String,
    /// The outlet's division (the resident's community's for a visit).
    pub division_code: Option<String>,
    pub community_id: String,
    pub resident_id: i64,
    /// The account that rated (none for a default rating).
    pub submitted_by: Option<i64>,
    /// 1 when a proxy rated with the resident's consent.
    pub proxy: i64,
    pub consent_method: Option<String>,
    pub consent_note: Option<String>,
    /// When the service ended.
    pub served_at: i64,
    pub rated_at: i64,
    /// The month of the rating, `YYYY-MM` (Asia/Shanghai): the month its statistics count in.
    pub month: String,
    /// `very_satisfied` … `very_dissatisfied` (the overall satisfaction).
    pub level: String,
    /// `good`, `neutral` or `bad` (好评, 中评, 差评).
    pub class: String,
    pub indicators_version: String,
    pub indicator_set: String,
    /// Every indicator's level, JSON.
    #[serde(serialize_with = "crate::web::json_text_plain")]
    #[schema(value_type = Object)]
    pub scores: String,
    pub text: Option<String>,
    /// 1 for a default rating given by the jurisdiction's rule.
    pub is_default: i64,
    /// 1 when an upheld appeal took the review out of every statistic (it stays in the record).
    pub excluded: i64,
    pub version: i64,
}
from_row!(ReviewRow {
    id,
    subject_kind,
    subject_id,
    facility_id,
    provider_code,
    practitioner_id,
    service,
    division_code,
    community_id,
    resident_id,
    submitted_by,
    proxy,
    consent_method,
    consent_note,
    served_at,
    rated_at,
    month,
    level,
    class,
    indicators_version,
    indicator_set,
    scores,
    text,
    is_default,
    excluded,
    version
});

macro_rules! cols {
    () => {
        "id, subject_kind, subject_id, facility_id, provider_code, practitioner_id, service, division_code, community_id, resident_id, submitted_by, proxy, consent_method, consent_note, served_at, rated_at, month, level, class, indicators_version, indicator_set, scores, text, is_default, excluded, version"
    };
}
pub(crate) use cols;

/// The case number (办件编号) of a review: `HCP` + the rating's date + the review's id. It is
/// the key of the exchange with a provincial system and says nothing of who rated.
pub fn case_no(id: i64, rated_at: i64) -> String {
    let day = time::local_date(rated_at)
        .map(|d| d.strftime("%Y%m%d").to_string())
        .unwrap_or_else(|_| "00000000".into());
    format!("HCP{day}{id:07}")
}

/// A review as answered. Who rated (the resident, the account, the record rated, the day of
/// service and the time of rating) is shown to the resident, their community worker, regulators
/// and administrators; never to the provider, who sees what was rated, the month and the text.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReviewView {
    pub id: i64,
    pub case_no: String,
    pub subject_kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_id: Option<i64>,
    pub facility_id: Option<String>,
    pub provider_code: Option<String>,
    pub practitioner_id: Option<i64>,
    pub service: String,
    pub division_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub community_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resident_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submitted_by: Option<i64>,
    pub proxy: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consent_method: Option<String>,
    /// The day of service (Asia/Shanghai); not shown to the provider.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub served_on: Option<String>,
    /// When rated; not shown to the provider (the month is).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rated_at: Option<i64>,
    pub month: String,
    pub level: String,
    /// 非常满意 … 非常不满意.
    pub level_zh: String,
    pub stars: u8,
    pub class: String,
    pub indicators_version: String,
    pub indicator_set: String,
    #[schema(value_type = Object)]
    pub scores: Value,
    pub text: Option<String>,
    pub is_default: bool,
    pub excluded: bool,
    /// Why the review counts in no statistic, when it does not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excluded_note: Option<String>,
    /// The 差评 case, if one was opened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case: Option<cases::CaseView>,
    pub version: i64,
}

/// Whether the caller may see who rated.
fn sees_identity(c: &Caller) -> bool {
    !c.is(ProviderStaff)
}

/// The view of a review for a caller.
pub fn view(
    c: &Caller,
    r: ReviewRow,
    case: Option<CaseRow>,
    today: jiff::civil::Date,
) -> ReviewView {
    let who = sees_identity(c);
    let level = Level::from_key(&r.level);
    ReviewView {
        id: r.id,
        case_no: case_no(r.id, r.rated_at),
        subject_kind: r.subject_kind,
        subject_id: who.then_some(r.subject_id),
        facility_id: r.facility_id,
        provider_code: r.provider_code,
        practitioner_id: r.practitioner_id,
        service: r.service,
        division_code: r.division_code,
        community_id: who.then_some(r.community_id),
        resident_id: who.then_some(r.resident_id),
        submitted_by: if who { r.submitted_by } else { None },
        proxy: r.proxy != 0,
        consent_method: if who { r.consent_method } else { None },
        served_on: who
            .then(|| time::local_date(r.served_at).map(|d| d.to_string()).ok())
            .flatten(),
        rated_at: who.then_some(r.rated_at),
        month: r.month,
        level_zh: level.map(|l| l.zh().to_string()).unwrap_or_default(),
        stars: level.map(Level::stars).unwrap_or(0),
        level: r.level,
        class: r.class,
        indicators_version: r.indicators_version,
        indicator_set: r.indicator_set,
        scores: serde_json::from_str(&r.scores).unwrap_or(Value::Null),
        text: r.text,
        is_default: r.is_default != 0,
        excluded: r.excluded != 0,
        excluded_note: (r.excluded != 0).then(|| {
            "申诉复核成立：本评价保留在记录中，但不计入任何统计 | appeal upheld: the review stays in the record but counts in no statistic".to_string()
        }),
        case: case.map(|k| cases::view(k, today)),
        version: r.version,
    }
}

/// One review.
pub async fn get_row<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
) -> Result<Option<ReviewRow>, StoreError> {
    Ok(
        sqlx::query_as(concat!("SELECT ", cols!(), " FROM reviews WHERE id = $1"))
            .bind(id)
            .fetch_optional(ex)
            .await?,
    )
}

async fn by_subject(
    conn: &mut AnyConnection,
    kind: &str,
    id: i64,
) -> Result<Option<ReviewRow>, StoreError> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        cols!(),
        " FROM reviews WHERE subject_kind = $1 AND subject_id = $2"
    ))
    .bind(kind.to_string())
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// Inserts a review unless its record has one; `None` when it had (the unique index decides:
/// `ON CONFLICT` without a target, as on PostgreSQL that index also holds the partition key,
/// the community, which a review copies from its record).
pub(crate) async fn insert(
    conn: &mut AnyConnection,
    r: &ReviewRow,
) -> Result<Option<i64>, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO reviews (subject_kind, subject_id, facility_id, provider_code, practitioner_id, service, division_code, community_id, resident_id, submitted_by, proxy, consent_method, consent_note, served_at, rated_at, month, level, class, indicators_version, indicator_set, scores, text, is_default, excluded, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, 0, 0) ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(r.subject_kind.clone())
    .bind(r.subject_id)
    .bind(r.facility_id.clone())
    .bind(r.provider_code.clone())
    .bind(r.practitioner_id)
    .bind(r.service.clone())
    .bind(r.division_code.clone())
    .bind(r.community_id.clone())
    .bind(r.resident_id)
    .bind(r.submitted_by)
    .bind(r.proxy)
    .bind(r.consent_method.clone())
    .bind(r.consent_note.clone())
    .bind(r.served_at)
    .bind(r.rated_at)
    .bind(r.month.clone())
    .bind(r.level.clone())
    .bind(r.class.clone())
    .bind(r.indicators_version.clone())
    .bind(r.indicator_set.clone())
    .bind(r.scores.clone())
    .bind(r.text.clone())
    .bind(r.is_default)
    .fetch_optional(conn)
    .await?)
}

/// Appends to the review log.
pub async fn log_event(
    conn: &mut AnyConnection,
    c: Option<&Caller>,
    review: i64,
    case: Option<i64>,
    at: i64,
    event: &str,
    detail: &Value,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO review_events (review_id, case_id, at, actor_id, actor_role, event, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(review)
    .bind(case)
    .bind(at)
    .bind(c.and_then(|c| c.user.as_ref().map(|u| u.id)))
    .bind(c.and_then(|c| c.role().map(|r| r.key().to_string())))
    .bind(event.to_string())
    .bind(detail.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

/// What a rating event records: everything its statistics are cut by, so that the log alone
/// recomputes every published figure.
pub fn rated_detail(r: &ReviewRow) -> Value {
    json!({
        "level": r.level,
        "class": r.class,
        "facility_id": r.facility_id,
        "provider_code": r.provider_code,
        "practitioner_id": r.practitioner_id,
        "service": r.service,
        "division_code": r.division_code,
        "month": r.month,
        "default": r.is_default != 0,
        "proxy": r.proxy != 0,
        "indicators_version": r.indicators_version,
        "indicator_set": r.indicator_set,
        "scores": serde_json::from_str::<Value>(&r.scores).unwrap_or(Value::Null),
    })
}

/// A notification to the outbox (the booking domain's sender delivers it).
pub async fn notify(
    conn: &mut AnyConnection,
    recipient_kind: &str,
    recipient: &str,
    kind: &str,
    at: i64,
    payload: Value,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO outbox (at, recipient_kind, recipient, kind, booking_id, payload, delivered_at) VALUES ($1, $2, $3, $4, NULL, $5, NULL)",
    )
    .bind(at)
    .bind(recipient_kind.to_string())
    .bind(recipient.to_string())
    .bind(kind.to_string())
    .bind(payload.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

// --- Submitting -------------------------------------------------------------------------------

/// What a resident (or their proxy) sends.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    /// The completed booking rated (or `visit_id`).
    #[serde(default)]
    pub booking_id: Option<i64>,
    /// The care visit rated (or `booking_id`).
    #[serde(default)]
    pub visit_id: Option<i64>,
    /// The overall satisfaction: `very_satisfied`, `satisfied`, `basic`, `dissatisfied`,
    /// `very_dissatisfied` (may be given as `scores.overall` instead).
    #[serde(default)]
    pub level: Option<String>,
    /// Each indicator of the set, by key (`overall`, `efficiency`, `quality`, `attitude`).
    #[serde(default)]
    pub scores: Option<BTreeMap<String, String>>,
    /// `offline` (default: one rating per service) or `online`.
    #[serde(default)]
    pub indicator_set: Option<String>,
    /// The indicator version the form showed (default: the one in force).
    #[serde(default)]
    pub indicators_version: Option<String>,
    /// What happened, in the resident's words (at most 500 characters).
    #[serde(default)]
    pub text: Option<String>,
    /// For a proxy: how the resident consented.
    #[serde(default)]
    pub consent: Option<bookings::ConsentInput>,
}

/// The record rated and what the review takes from it.
struct Subject {
    kind: &'static str,
    id: i64,
    facility_id: Option<String>,
    provider_code: Option<String>,
    practitioner_id: Option<i64>,
    service: String,
    community_id: String,
    resident_id: i64,
    booked_by: Option<i64>,
    visitor: Option<i64>,
    served_at: i64,
}

impl Subject {
    fn of_booking(b: bookings::BookingRow) -> Subject {
        Subject {
            kind: "booking",
            id: b.id,
            facility_id: Some(b.facility_id),
            provider_code: b.provider_code,
            practitioner_id: b.practitioner_id,
            service: b.service,
            community_id: b.community_id,
            resident_id: b.resident_id,
            booked_by: Some(b.booked_by),
            visitor: None,
            served_at: b.end_ms,
        }
    }

    fn of_visit(v: visits::VisitRow) -> Subject {
        Subject {
            kind: "visit",
            id: v.id,
            facility_id: None,
            provider_code: None,
            practitioner_id: None,
            service: "care_visit".into(),
            community_id: v.community_id,
            resident_id: v.resident_id,
            booked_by: None,
            visitor: v.visitor_user_id.or(v.recorded_by),
            served_at: v.ended_at,
        }
    }

    /// A review of this record rated `level` now, of the indicator version in force, offline
    /// (one rating per service), by nobody yet (the caller fills in who and how).
    fn review(
        &self,
        division_code: Option<String>,
        now: i64,
        month: YearMonth,
        level: Level,
        scores: &BTreeMap<String, Level>,
    ) -> ApiResult<ReviewRow> {
        Ok(ReviewRow {
            id: 0,
            subject_kind: self.kind.into(),
            subject_id: self.id,
            facility_id: self.facility_id.clone(),
            provider_code: self.provider_code.clone(),
            practitioner_id: self.practitioner_id,
            service: self.service.clone(),
            division_code,
            community_id: self.community_id.clone(),
            resident_id: self.resident_id,
            submitted_by: None,
            proxy: 0,
            consent_method: None,
            consent_note: None,
            served_at: self.served_at,
            rated_at: now,
            month: month.to_string(),
            level: level.key().into(),
            class: class_key(level).into(),
            indicators_version: indicators::builtin().version.clone(),
            indicator_set: "offline".into(),
            scores: serde_json::to_string(scores).map_err(AppError::internal)?,
            text: None,
            is_default: 0,
            excluded: 0,
            version: 0,
        })
    }
}

fn not_completed(what: &str, status: &str) -> AppError {
    AppError::new(
        StatusCode::CONFLICT,
        "not_completed",
        format!("只能评价已完成的服务；此{what}的状态为 {status}"),
        format!("only a completed service can be rated; this {what} is {status}"),
    )
}

fn already_reviewed() -> AppError {
    AppError::new(
        StatusCode::CONFLICT,
        "already_reviewed",
        "此服务已评价过（一次一评）",
        "this service has been rated already (one rating per service)",
    )
}

/// The record rated and, for a booking, its status (checked only once the caller may rate it,
/// so that nobody learns the status of someone else's booking).
async fn subject(
    conn: &mut AnyConnection,
    input: &ReviewInput,
) -> ApiResult<(Subject, Option<String>)> {
    match (input.booking_id, input.visit_id) {
        (Some(id), None) => {
            let b = bookings::get_row(&mut *conn, id)
                .await?
                .ok_or_else(|| web::unknown_reference("booking_id", "booking", &id.to_string()))?;
            let status = b.status.clone();
            Ok((Subject::of_booking(b), Some(status)))
        }
        (None, Some(id)) => {
            let v = visits::get_row(conn, id)
                .await?
                .ok_or_else(|| web::unknown_reference("visit_id", "visit", &id.to_string()))?;
            Ok((Subject::of_visit(v), None))
        }
        _ => Err(AppError::field(
            "booking_id",
            "one_record",
            "须且只须给出 booking_id 或 visit_id 之一".into(),
            "give exactly one of booking_id and visit_id".into(),
        )),
    }
}

/// The division a review counts in: the outlet's, or the community's.
async fn division_of(conn: &mut AnyConnection, s: &Subject) -> Result<Option<String>, StoreError> {
    if let Some(f) = &s.facility_id {
        let d: Option<Option<String>> =
            sqlx::query_scalar("SELECT division_code FROM facilities WHERE id = $1")
                .bind(f.clone())
                .fetch_optional(&mut *conn)
                .await?;
        if let Some(Some(d)) = d {
            return Ok(Some(d));
        }
    }
    let d: Option<Option<String>> =
        sqlx::query_scalar("SELECT division_code FROM communities WHERE id = $1")
            .bind(s.community_id.clone())
            .fetch_optional(conn)
            .await?;
    Ok(d.flatten())
}

/// Whether the caller rates as a proxy (`true`) or as the resident (`false`), or may not rate.
async fn rater(conn: &mut AnyConnection, c: &Caller, s: &Subject) -> ApiResult<bool> {
    let u = c.user()?;
    let own = residents::get_row(&mut *conn, s.resident_id)
        .await?
        .is_some_and(|r| r.user_id == Some(u.id));
    match u.role {
        Resident if own => Ok(false),
        Resident if s.booked_by == Some(u.id) => Ok(true),
        CommunityWorker if u.community_id.as_deref() == Some(s.community_id.as_str()) => {
            if s.visitor == Some(u.id) {
                return Err(AppError::forbidden(
                    "走访人员不能代居民评价自己的走访",
                    "a visitor cannot rate their own visit on the resident's behalf",
                ));
            }
            Ok(true)
        }
        Admin => Ok(true),
        _ => Err(AppError::forbidden(
            "只有接受服务的居民本人，或经其同意的代办人，才能评价",
            "only the resident served, or someone acting for them with their consent, may rate",
        )),
    }
}

/// The level and every score, checked against the indicator version and set.
fn scores(input: &ReviewInput) -> ApiResult<(Level, BTreeMap<String, Level>, String, String)> {
    let ind = indicators::builtin();
    let set = input
        .indicator_set
        .clone()
        .unwrap_or_else(|| "offline".into());
    let version = input
        .indicators_version
        .clone()
        .unwrap_or_else(|| ind.version.clone());
    let mut ck = Check::new();
    let mut parsed = BTreeMap::new();
    let level_of = |field: String, key: &str, ck: &mut Check| match Level::from_key(key) {
        Some(l) => Some(l),
        None => {
            ck.fail(
                &field,
                "invalid_level",
                format!("{field} 应为 very_satisfied、satisfied、basic、dissatisfied 或 very_dissatisfied，而非 '{}'", lc_model::quote(key)),
                format!("{field} must be very_satisfied, satisfied, basic, dissatisfied or very_dissatisfied, not '{}'", lc_model::quote(key)),
            );
            None
        }
    };
    for (k, v) in input.scores.iter().flatten() {
        if let Some(l) = level_of(format!("scores.{k}"), v, &mut ck) {
            parsed.insert(k.clone(), l);
        }
    }
    let level = input
        .level
        .as_deref()
        .and_then(|l| level_of("level".into(), l, &mut ck));
    match (level, parsed.get(indicators::OVERALL)) {
        (Some(l), Some(o)) if l != *o => ck.fail(
            "level",
            "mismatch",
            "level 与 scores.overall 不一致".into(),
            "level differs from scores.overall".into(),
        ),
        (Some(l), None) => {
            parsed.insert(indicators::OVERALL.into(), l);
        }
        (None, None) if input.level.is_none() => ck.required("level"),
        _ => {}
    }
    ck.finish().map_err(web::invalid)?;
    let overall = ind
        .check_scores(&version, &set, &parsed)
        .map_err(web::invalid)?;
    Ok((overall, parsed, version, set))
}

/// POST /api/reviews.
#[utoipa::path(post, path = "/api/reviews", tag = "reviews", request_body = ReviewInput,
    responses((status = 201, body = ReviewView), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<ReviewView>)> {
    let input: ReviewInput = web::json_body(&body)?;
    let (level, scores, version, set) = scores(&input)?;
    let mut ck = Check::new();
    let text = ck.opt_text("text", &input.text, 500);
    let consent = bookings::checked_consent(&mut ck, &input.consent);
    ck.finish().map_err(web::invalid)?;
    let now = st.clock.now_ms();
    let month = YearMonth::of_instant(now).map_err(AppError::internal)?;

    let mut tx = st.store.begin().await?;
    let (s, status) = subject(tx.conn(), &input).await?;
    let proxy = rater(tx.conn(), &c, &s).await?;
    if let Some(status) = status {
        // Completed, and kept so until this transaction ends: the version bump makes a
        // concurrent annulment (compare-and-set on the version) lose, or this review see it.
        let held = sqlx::query(
            "UPDATE bookings SET version = version + 1 WHERE id = $1 AND status = 'completed'",
        )
        .bind(s.id)
        .execute(tx.conn())
        .await
        .map_err(StoreError::from)?;
        if held.rows_affected() != 1 {
            return Err(not_completed("预约", &status));
        }
    }
    if proxy && consent.is_none() {
        return Err(AppError::field(
            "consent",
            "consent_required",
            "代居民评价须记录其同意方式（consent.method）".into(),
            "rating on a resident's behalf must record how they consented (consent.method)".into(),
        ));
    }
    if by_subject(tx.conn(), s.kind, s.id).await?.is_some() {
        return Err(already_reviewed());
    }
    let mut row = s.review(
        division_of(tx.conn(), &s).await?,
        now,
        month,
        level,
        &scores,
    )?;
    row.submitted_by = Some(c.user()?.id);
    row.proxy = i64::from(proxy);
    if proxy {
        (row.consent_method, row.consent_note) =
            consent.map(|(m, n)| (Some(m), n)).unwrap_or_default();
    }
    row.indicators_version = version;
    row.indicator_set = set;
    row.text = text;
    // Two concurrent reviews of one record: the unique index keeps the first.
    row.id = insert(tx.conn(), &row)
        .await?
        .ok_or_else(already_reviewed)?;
    log_event(
        tx.conn(),
        Some(&c),
        row.id,
        None,
        now,
        "rated",
        &rated_detail(&row),
    )
    .await?;
    let case = if level.is_bad() {
        Some(open_case(&mut tx, &c, &row, now).await?)
    } else {
        None
    };
    tx.audit(
        &c.actor(),
        "create",
        "review",
        &row.id.to_string(),
        json!({"subject": format!("{}:{}", row.subject_kind, row.subject_id), "level": row.level, "proxy": proxy}),
    )
    .await?;
    tx.commit().await?;
    let today = time::local_date(now).map_err(AppError::internal)?;
    Ok((StatusCode::CREATED, Json(view(&c, row, case, today))))
}

/// The class key of a level.
pub fn class_key(l: Level) -> &'static str {
    match l.class() {
        lc_reviews::level::Class::Good => "good",
        lc_reviews::level::Class::Neutral => "neutral",
        lc_reviews::level::Class::Bad => "bad",
    }
}

/// Opens the 差评 case of a review: the deadline from the rules in force and the calendar
/// (when the calendar does not cover the year, the case opens without one and says why), the
/// provider told through the outbox.
async fn open_case(
    tx: &mut lc_store::Tx,
    c: &Caller,
    r: &ReviewRow,
    now: i64,
) -> ApiResult<CaseRow> {
    let (rules, _) = settings::load(tx.conn()).await?;
    let j = rules.effective();
    let cal = settings::calendar(tx.conn()).await?;
    let (case, note) = match Case::open(now, &j, &cal) {
        Ok(k) => (k, None),
        Err(lc_reviews::case::CaseError::NotCovered(e)) => {
            let received = time::local_date(now).map_err(AppError::internal)?;
            (
                Case {
                    status: lc_reviews::case::Status::Received,
                    received,
                    deadline: None,
                    verified: false,
                    appealed: false,
                    excluded: false,
                    rectified_on_time: None,
                },
                Some(format!("{} | {e}", e.message_zh())),
            )
        }
        Err(e) => return Err(AppError::internal(e)),
    };
    let row = cases::insert(tx.conn(), r, &case, note, now).await?;
    log_event(
        tx.conn(),
        Some(c),
        r.id,
        Some(row.id),
        now,
        "case_opened",
        &json!({
            "received": case.received.to_string(),
            "deadline": case.deadline.map(|d| d.to_string()),
            "deadline_note": row.deadline_note,
            "jurisdiction": j.key,
            "rectify": j.rectify,
        }),
    )
    .await?;
    if let Some(p) = &r.provider_code {
        notify(
            tx.conn(),
            "provider",
            p,
            "review_case_opened",
            now,
            json!({
                "case_id": row.id,
                "case_no": case_no(r.id, r.rated_at),
                "deadline": row.deadline,
                "message_zh": format!(
                    "收到差评（{}），请核实处理{}",
                    case_no(r.id, r.rated_at),
                    row.deadline.as_deref().map(|d| format!("，整改期限 {d}")).unwrap_or_default()
                ),
                "message_en": format!(
                    "a bad review was received ({}); verify and handle it{}",
                    case_no(r.id, r.rated_at),
                    row.deadline.as_deref().map(|d| format!(", rectification due by {d}")).unwrap_or_default()
                ),
            }),
        )
        .await?;
    }
    Ok(row)
}

// --- Reading ----------------------------------------------------------------------------------

/// Filters of the review list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `YYYY-MM`: the month rated.
    pub month: Option<String>,
    pub facility_id: Option<String>,
    pub provider_code: Option<String>,
    pub service: Option<String>,
    /// `good`, `neutral` or `bad`.
    pub class: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    pub page: web::PageQuery,
}

/// Where the caller's reviews lie: `(provider, community, user)`; all `None` for regulators.
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
        Regulator | Admin => (None, None, None),
    })
}

/// GET /api/reviews.
#[utoipa::path(get, path = "/api/reviews", tag = "reviews", params(ListQuery, web::PageQuery),
    responses((status = 200, body = Paged<ReviewView>), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Paged<ReviewView>>> {
    let page = q.page.page()?;
    let month = super::month_param(&q.month)?.map(|m| m.to_string());
    if let Some(k) = q.class.as_deref() {
        if !["good", "neutral", "bad"].contains(&k) {
            return Err(AppError::bad_request(
                "class 应为 good、neutral 或 bad",
                "class must be good, neutral or bad",
            ));
        }
    }
    let (sp, sc, su) = scope(&c)?;
    let wh = "WHERE ($1 IS NULL OR month = $1) AND ($2 IS NULL OR facility_id = $2) AND ($3 IS NULL OR provider_code = $3) AND ($4 IS NULL OR service = $4) AND ($5 IS NULL OR class = $5) AND ($6 IS NULL OR provider_code = $6) AND ($7 IS NULL OR community_id = $7) AND ($8 IS NULL OR submitted_by = $8 OR resident_id IN (SELECT id FROM residents WHERE user_id = $8))";
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    macro_rules! bound {
        ($q:expr) => {
            $q.bind(month.clone())
                .bind(q.facility_id.clone())
                .bind(q.provider_code.clone())
                .bind(q.service.clone())
                .bind(q.class.clone())
                .bind(sp.clone())
                .bind(sc.clone())
                .bind(su)
        };
    }
    let total: i64 = bound!(sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM reviews {wh}"
    )))
    .fetch_one(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    let sql = format!(
        "SELECT {} FROM reviews {wh} ORDER BY id DESC LIMIT $9 OFFSET $10",
        cols!()
    );
    let rows: Vec<ReviewRow> = bound!(sqlx::query_as(&sql))
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(&mut *conn)
        .await
        .map_err(StoreError::from)?;
    let today = time::local_date(st.clock.now_ms()).map_err(AppError::internal)?;
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        let case = cases::of_review(&mut conn, r.id).await?;
        items.push(view(&c, r, case, today));
    }
    Ok(Json(Paged::new(items, total, page)))
}

/// Whether a review is within the caller's reach.
async fn reachable(conn: &mut AnyConnection, c: &Caller, r: &ReviewRow) -> ApiResult<()> {
    let (sp, sc, su) = scope(c)?;
    let ok = match (sp, sc, su) {
        (Some(p), _, _) => r.provider_code.as_deref() == Some(p.as_str()),
        (_, Some(cm), _) => r.community_id == cm,
        (_, _, Some(u)) => {
            r.submitted_by == Some(u)
                || residents::get_row(&mut *conn, r.resident_id)
                    .await?
                    .is_some_and(|x| x.user_id == Some(u))
        }
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(web::forbidden_record("review"))
    }
}

/// GET /api/reviews/{id}.
#[utoipa::path(get, path = "/api/reviews/{id}", tag = "reviews", params(("id" = i64, Path)),
    responses((status = 200, body = ReviewView), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn read(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<ReviewView>> {
    let key: i64 = id.parse().map_err(|_| AppError::not_found("review", &id))?;
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let r = get_row(&mut *conn, key)
        .await?
        .ok_or_else(|| AppError::not_found("review", &id))?;
    reachable(&mut conn, &c, &r).await?;
    let case = cases::of_review(&mut conn, r.id).await?;
    let today = time::local_date(st.clock.now_ms()).map_err(AppError::internal)?;
    Ok(Json(view(&c, r, case, today)))
}

// --- The log ----------------------------------------------------------------------------------

/// One entry of the review log.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReviewEventRow {
    pub id: i64,
    pub review_id: i64,
    pub case_id: Option<i64>,
    pub at: i64,
    pub actor_id: Option<i64>,
    pub actor_role: Option<String>,
    /// `rated`, `default_rated`, `case_opened`, a case event (`verified`, `rectified`, …), or
    /// `excluded` (an upheld appeal took the review out of the statistics).
    pub event: String,
    #[serde(serialize_with = "crate::web::json_text_plain")]
    #[schema(value_type = Object)]
    pub detail: String,
}
from_row!(ReviewEventRow {
    id,
    review_id,
    case_id,
    at,
    actor_id,
    actor_role,
    event,
    detail
});

/// Filters of the log.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// Entries after this id (to follow the log).
    pub after: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    pub page: web::PageQuery,
}

/// GET /api/reviews/log: the append-only review log, oldest first.
#[utoipa::path(get, path = "/api/reviews/log", tag = "reviews", params(LogQuery, web::PageQuery),
    responses((status = 200, body = Paged<ReviewEventRow>), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn log(
    State(st): State<Arc<AppState>>,
    Query(q): Query<LogQuery>,
) -> ApiResult<Json<Paged<ReviewEventRow>>> {
    let page = q.page.page()?;
    let after = web::int_param("after", &q.after)?.unwrap_or(0);
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM review_events WHERE id > $1")
        .bind(after)
        .fetch_one(st.store.pool())
        .await
        .map_err(StoreError::from)?;
    let rows = sqlx::query_as(
        "SELECT id, review_id, case_id, at, actor_id, actor_role, event, detail FROM review_events WHERE id > $1 ORDER BY id LIMIT $2 OFFSET $3",
    )
    .bind(after)
    .bind(page.limit)
    .bind(page.offset)
    .fetch_all(st.store.pool())
    .await
    .map_err(StoreError::from)?;
    Ok(Json(Paged::new(rows, total, page)))
}

// --- Default ratings --------------------------------------------------------------------------

/// What a sweep did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SweepReport {
    /// Whether the rules in force give a default rating at all.
    pub rule_on: bool,
    /// Completed, unrated bookings looked at.
    pub checked: u64,
    /// Default ratings given.
    pub created: u64,
    pub message_zh: String,
    pub message_en: String,
}

/// Gives the default rating to every completed booking whose resident has not rated it within
/// the period the rules in force give. Idempotent: a record rated meanwhile (or by a
/// concurrent sweep) is left alone by the unique index.
pub async fn sweep_defaults(st: &AppState) -> ApiResult<SweepReport> {
    let now = st.clock.now_ms();
    let today = time::local_date(now).map_err(AppError::internal)?;
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let (rules, _) = settings::load(&mut conn).await?;
    let j = rules.effective();
    let Some(rule) = j.default_rating else {
        return Ok(SweepReport {
            rule_on: false,
            checked: 0,
            created: 0,
            message_zh: "现行规则不设默认评价".into(),
            message_en: "the rules in force give no default rating".into(),
        });
    };
    let cal = settings::calendar(&mut conn).await?;
    // Only services delivered since the rule took effect: turning it on does not rate the past.
    let from = rules.default_from_ms.unwrap_or(i64::MAX);
    // Completed bookings and care visits, unrated.
    let candidates: Vec<(String, i64)> = sqlx::query_as(
        "SELECT 'booking', b.id FROM bookings b WHERE b.status = 'completed' AND b.end_ms < $1 AND b.end_ms >= $2 AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.subject_kind = 'booking' AND r.subject_id = b.id) UNION ALL SELECT 'visit', v.id FROM care_visits v WHERE v.ended_at < $1 AND v.ended_at >= $2 AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.subject_kind = 'visit' AND r.subject_id = v.id) ORDER BY 1, 2",
    )
    .bind(now)
    .bind(from)
    .fetch_all(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    drop(conn);
    let month = YearMonth::of_instant(now).map_err(AppError::internal)?;
    let mut created = 0;
    for chunk in candidates.chunks(200) {
        let mut tx = st.store.begin().await?;
        // The rules as they stand in this transaction (an administrator may have turned the
        // rule off meanwhile).
        let (rules, _) = settings::load(tx.conn()).await?;
        let j = rules.effective();
        if j.default_rating.is_none() {
            break;
        }
        for (kind, id) in chunk {
            let s = if kind == "booking" {
                match bookings::get_row(tx.conn(), *id).await? {
                    Some(b) if b.status == "completed" => Subject::of_booking(b),
                    _ => continue,
                }
            } else {
                match visits::get_row(tx.conn(), *id).await? {
                    Some(v) => Subject::of_visit(v),
                    None => continue,
                }
            };
            let served = time::local_date(s.served_at).map_err(AppError::internal)?;
            let due = j.default_rating(served, today, &cal).unwrap_or(None);
            let Some(level) = due else { continue };
            let scores = BTreeMap::from([(indicators::OVERALL.to_string(), level)]);
            let division = division_of(tx.conn(), &s).await?;
            let mut row = s.review(division, now, month, level, &scores)?;
            row.is_default = 1;
            let Some(new_id) = insert(tx.conn(), &row).await? else {
                continue;
            };
            row.id = new_id;
            let mut detail = rated_detail(&row);
            detail["rule"] = json!({"jurisdiction": j.key, "after": rule.after});
            log_event(tx.conn(), None, row.id, None, now, "default_rated", &detail).await?;
            created += 1;
        }
        tx.commit().await?;
    }
    Ok(SweepReport {
        rule_on: true,
        checked: candidates.len() as u64,
        created,
        message_zh: format!(
            "已检查 {} 个未评价的已完成服务（预约、走访），给出默认评价 {created} 个",
            candidates.len()
        ),
        message_en: format!(
            "{} checked, {} given a default rating",
            lc_model::count(candidates.len(), "unrated completed service"),
            created
        ),
    })
}

/// POST /api/reviews/default-ratings: runs the default-rating sweep now (the server also runs it
/// hourly).
#[utoipa::path(post, path = "/api/reviews/default-ratings", tag = "reviews",
    responses((status = 200, body = SweepReport), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn default_ratings(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
) -> ApiResult<Json<SweepReport>> {
    let report = sweep_defaults(&st).await?;
    if report.created > 0 {
        let mut tx = st.store.begin().await?;
        tx.audit(
            &c.actor(),
            "default_ratings",
            "review",
            "*",
            json!({"created": report.created}),
        )
        .await?;
        tx.commit().await?;
    }
    Ok(Json(report))
}
