//! 家政信用 (housekeeping credit, issue 13 item 2; MOFCOM's worker record and Zhejiang's 安心码,
//! `PLATFORM.md` §3): each registry practitioner's credit record — identity verification,
//! background check, health check, training, insurance, work history, the bookings served here,
//! the review summary and the black-list flag — with a status colour computed on the day asked
//! (`lc_credit::housekeeping`: green, yellow, red with the reasons and the day each item lapses;
//! never stored). An enterprise record per provider (practitioners by colour, items expiring,
//! penalties in publicity, reviews).
//!
//! The **credit certificate QR code** is an `lc_credit::token` (Ed25519, `LC1.…` text) signed
//! with the server's key ([`crate::secrets::signing_key`]) and carrying only a pseudonymous
//! subject (base64url of a keyed hash, stored unique), the kind, the colour at issue, the times
//! and a token id. A practitioner's token needs the worker's recorded consent (409
//! `consent_required`); withdrawing the consent revokes their live tokens. The verifying keys
//! are public (`GET /api/public/credit-keys`) so a scanner checks a token offline; the scan
//! answers (`GET /api/public/credit-scan`, the page `GET /q/{token}`) check it offline, then
//! online (revocation, the live status now, what the consent lets them show) and log every
//! scan with its outcome, the scanner known only by a keyed hash of its address.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::ConnectInfo;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Extension, Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jiff::civil::Date;
use lc_credit::housekeeping::{Colour, Item, Records, Status};
use lc_credit::token::{self, Claims, SubjectKind, TokenError};
use lc_registry::{mask_name, Access, Check, Role};
use lc_store::sqlx::{self, AnyConnection};
use lc_store::{from_row, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::auth::{hmac_sha256_hex, Caller};
use crate::endpoints::{ep, Endpoint, JSON, OWN_PROVIDER, PROVIDER_WRITE};
use crate::error::{ApiResult, AppError};
use crate::web::{self, Paged};
use crate::AppState;

use super::registry::{own_provider, practitioners, providers};

use Role::*;

const SVG: &str = "image/svg+xml";
const HTML: &str = "text/html";

/// The endpoints of this domain.
pub const ENDPOINTS: &[Endpoint] = &[
    ep!("GET", "/api/housekeeping/practitioners/{id}", PROVIDER_WRITE, OWN_PROVIDER, "housekeeping", "A practitioner's credit record with the status colour on the day asked, its reasons and the day each item lapses.", None, JSON),
    ep!("PUT", "/api/housekeeping/practitioners/{id}", PROVIDER_WRITE, OWN_PROVIDER, "housekeeping", "Write a practitioner's credit record (If-Match: its version; the black list is the regulators').", Some(JSON), JSON),
    ep!("PUT", "/api/housekeeping/practitioners/{id}/consent", PROVIDER_WRITE, OWN_PROVIDER, "housekeeping", "Record the worker's consent to the QR code, or its withdrawal (which revokes their live tokens).", Some(JSON), JSON),
    ep!("POST", "/api/housekeeping/practitioners/{id}/tokens", PROVIDER_WRITE, OWN_PROVIDER, "housekeeping", "Issue a practitioner's credit certificate QR token (needs the worker's consent).", Some(JSON), JSON),
    ep!("GET", "/api/housekeeping/enterprises/{uscc}", PROVIDER_WRITE, OWN_PROVIDER, "housekeeping", "An enterprise's housekeeping credit record: practitioners by colour, items expiring, penalties in publicity, reviews.", None, JSON),
    ep!("POST", "/api/housekeeping/enterprises/{uscc}/tokens", PROVIDER_WRITE, OWN_PROVIDER, "housekeeping", "Issue an enterprise's credit certificate QR token.", Some(JSON), JSON),
    ep!("GET", "/api/housekeeping/tokens", PROVIDER_WRITE, OWN_PROVIDER, "housekeeping", "Tokens issued (practitioner_id, kind), newest first, with their expiry and revocation.", None, JSON),
    ep!("POST", "/api/housekeeping/tokens/{id}/revoke", PROVIDER_WRITE, OWN_PROVIDER, "housekeeping", "Revoke a token (by its token id) with a reason.", Some(JSON), JSON),
    ep!("GET", "/api/housekeeping/tokens/{id}/qr.svg", PROVIDER_WRITE, OWN_PROVIDER, "housekeeping", "The token's QR code (SVG) for printing: the scan page's address with the token.", None, SVG),
    ep!("GET", "/api/housekeeping/scans", PROVIDER_WRITE, OWN_PROVIDER, "housekeeping", "The scan log (token, subject, time, outcome).", None, JSON),
    ep!("GET", "/api/public/credit-keys", Access::Public, "", "housekeeping", "The verifying keys of the credit certificate tokens (key id, Ed25519 public key), for offline scanners.", None, JSON),
    ep!("GET", "/api/public/credit-scan", Access::Public, "", "housekeeping", "Check a credit certificate token (offline checks, then revocation and the live status); every scan is logged.", None, JSON),
    ep!("GET", "/q/{token}", Access::Public, "", "housekeeping", "The scan page of a credit certificate QR code (Chinese and English, large text).", None, HTML),
];

/// The routes of this domain.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/api/housekeeping/practitioners/{id}",
            get(read_record).put(write_record),
        )
        .route(
            "/api/housekeeping/practitioners/{id}/consent",
            put(write_consent),
        )
        .route(
            "/api/housekeeping/practitioners/{id}/tokens",
            post(issue_practitioner),
        )
        .route("/api/housekeeping/enterprises/{uscc}", get(enterprise))
        .route(
            "/api/housekeeping/enterprises/{uscc}/tokens",
            post(issue_enterprise),
        )
        .route("/api/housekeeping/tokens", get(list_tokens))
        .route("/api/housekeeping/tokens/{id}/revoke", post(revoke))
        .route("/api/housekeeping/tokens/{id}/qr.svg", get(qr_svg))
        .route("/api/housekeeping/scans", get(list_scans))
        .route("/api/public/credit-keys", get(keys))
        .route("/api/public/credit-scan", get(scan_json))
        .route("/q/{token}", get(scan_page))
}

/// Days a token lives unless the issuer asks otherwise.
pub const DEFAULT_TOKEN_DAYS: i64 = 30;
/// The longest life a token may be given.
pub const MAX_TOKEN_DAYS: i64 = 365;
/// Items lapsing within this many days count as expiring.
pub const EXPIRING_DAYS: i64 = 30;
const DAY_MS: i64 = 86_400_000;

// --- Stored rows ------------------------------------------------------------------------------

/// A stored credit record.
#[derive(Debug, Clone, Default, PartialEq)]
struct RecordRow {
    id: i64,
    practitioner_id: i64,
    provider_code: String,
    identity_verified_on: Option<String>,
    identity_method: Option<String>,
    identity_verified_by: Option<String>,
    background_checked_on: Option<String>,
    background_clean: Option<i64>,
    background_issuer: Option<String>,
    health_checked_on: Option<String>,
    health_issuer: Option<String>,
    training: String,
    insurer: Option<String>,
    policy_number: Option<String>,
    insured_until: Option<String>,
    work_history: String,
    black_listed: i64,
    black_list_reason: Option<String>,
    created_at: i64,
    updated_at: i64,
    version: i64,
}
from_row!(RecordRow {
    id,
    practitioner_id,
    provider_code,
    identity_verified_on,
    identity_method,
    identity_verified_by,
    background_checked_on,
    background_clean,
    background_issuer,
    health_checked_on,
    health_issuer,
    training,
    insurer,
    policy_number,
    insured_until,
    work_history,
    black_listed,
    black_list_reason,
    created_at,
    updated_at,
    version
});

macro_rules! record_cols {
    () => {
        "id, practitioner_id, provider_code, identity_verified_on, identity_method, identity_verified_by, background_checked_on, background_clean, background_issuer, health_checked_on, health_issuer, training, insurer, policy_number, insured_until, work_history, black_listed, black_list_reason, created_at, updated_at, version"
    };
}

fn day(s: &Option<String>) -> Option<Date> {
    s.as_deref().and_then(|d| d.parse().ok())
}

impl RecordRow {
    /// What the status rule reads.
    fn records(&self) -> Records {
        Records {
            identity_verified: self.identity_verified_on.is_some(),
            background_check: day(&self.background_checked_on)
                .map(|d| (d, self.background_clean.unwrap_or(0) != 0)),
            health_check: day(&self.health_checked_on),
            insured_until: day(&self.insured_until),
            black_listed: self.black_listed != 0,
        }
    }
}

/// A stored consent.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct ConsentRow {
    #[serde(skip)]
    pub id: i64,
    pub practitioner_id: i64,
    /// Whether the consent is in force (false after a withdrawal).
    pub given: bool,
    /// How it was given: `written`, `electronic` or `verbal_witnessed`.
    pub method: String,
    /// Whether the scan page may show the masked name (张**).
    pub show_name: bool,
    pub note: Option<String>,
    /// The account that recorded it.
    pub recorded_by: Option<i64>,
    pub recorded_at: i64,
    pub withdrawn_at: Option<i64>,
    pub version: i64,
}

impl<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> for ConsentRow {
    fn from_row(row: &'r sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row as _;
        Ok(ConsentRow {
            id: row.try_get("id")?,
            practitioner_id: row.try_get("practitioner_id")?,
            given: row.try_get::<i64, _>("given")? != 0,
            method: row.try_get("method")?,
            show_name: row.try_get::<i64, _>("show_name")? != 0,
            note: row.try_get("note")?,
            recorded_by: row.try_get("recorded_by")?,
            recorded_at: row.try_get("recorded_at")?,
            withdrawn_at: row.try_get("withdrawn_at")?,
            version: row.try_get("version")?,
        })
    }
}

const CONSENT_COLS: &str = "id, practitioner_id, given, method, show_name, note, recorded_by, recorded_at, withdrawn_at, version";

/// A stored token (`CreditTokenRow` in the OpenAPI document: `TokenRow` there is a bearer
/// token of the accounts).
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
#[schema(as = CreditTokenRow)]
pub struct TokenRow {
    #[serde(skip)]
    #[schema(ignore)]
    pub id: i64,
    /// 32 hexadecimal characters (what revocation names).
    pub token_id: String,
    /// The pseudonymous subject id the token carries.
    pub subject: String,
    /// `practitioner` or `enterprise`.
    pub kind: String,
    pub practitioner_id: Option<i64>,
    pub provider_code: String,
    /// The colour at issue.
    pub colour: String,
    pub key_id: String,
    pub issued_at: i64,
    pub expires_at: i64,
    /// The token text (`LC1.…`), for printing again.
    pub text: String,
    pub issued_by: Option<i64>,
    pub revoked_at: Option<i64>,
    pub revoked_by: Option<i64>,
    pub revoke_reason: Option<String>,
    pub version: i64,
}
from_row!(TokenRow {
    id,
    token_id,
    subject,
    kind,
    practitioner_id,
    provider_code,
    colour,
    key_id,
    issued_at,
    expires_at,
    text,
    issued_by,
    revoked_at,
    revoked_by,
    revoke_reason,
    version
});

const TOKEN_COLS: &str = "id, token_id, subject, kind, practitioner_id, provider_code, colour, key_id, issued_at, expires_at, text, issued_by, revoked_at, revoked_by, revoke_reason, version";

/// A logged scan.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct ScanRow {
    pub id: i64,
    pub at: i64,
    /// `api` (the JSON answer) or `page` (the scan page).
    pub channel: String,
    pub token_id: Option<String>,
    pub subject: Option<String>,
    pub kind: Option<String>,
    pub provider_code: Option<String>,
    pub practitioner_id: Option<i64>,
    /// `accepted`, or why not (`malformed`, `bad_signature`, `expired`, `revoked`, …).
    pub outcome: String,
    /// The live colour shown, when accepted.
    pub colour: Option<String>,
    /// A keyed hash of the scanner's address (nothing else is kept about the scanner).
    pub client_hash: Option<String>,
}
from_row!(ScanRow {
    id,
    at,
    channel,
    token_id,
    subject,
    kind,
    provider_code,
    practitioner_id,
    outcome,
    colour,
    client_hash
});

// --- Views ------------------------------------------------------------------------------------

/// 实名核验.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    /// The day the identity was checked against the ID document.
    pub verified_on: Option<String>,
    /// How (e.g. `id_card_reader`, `face_match`, `public_security_check`).
    pub method: Option<String>,
    /// Who checked it (person or organisation).
    pub verified_by: Option<String>,
}

/// 背景核查 (e.g. 无犯罪记录证明).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Background {
    pub checked_on: Option<String>,
    /// Whether it found nothing adverse.
    pub clean: Option<bool>,
    pub issuer: Option<String>,
}

/// 健康体检.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Health {
    pub checked_on: Option<String>,
    pub issuer: Option<String>,
}

/// One training (培训) entry.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Training {
    pub course: Option<String>,
    pub hours: Option<f64>,
    pub completed_on: Option<String>,
    pub issuer: Option<String>,
}

/// 保险.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Insurance {
    pub insurer: Option<String>,
    pub policy_number: Option<String>,
    /// The last day the insurance is in force.
    pub valid_until: Option<String>,
}

/// One work-history (从业经历) entry.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Work {
    pub employer: Option<String>,
    pub from: Option<String>,
    /// Empty while still employed there.
    pub to: Option<String>,
}

/// The list of seriously dishonest persons (set by regulators).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BlackList {
    pub listed: Option<bool>,
    pub reason: Option<String>,
}

/// A practitioner's credit record as written (`PUT`): the whole record; an absent part is
/// empty, except the black list, which stays as it is unless sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordInput {
    pub identity: Option<Identity>,
    pub background_check: Option<Background>,
    pub health_check: Option<Health>,
    pub training: Option<Vec<Training>>,
    pub insurance: Option<Insurance>,
    pub work_history: Option<Vec<Work>>,
    /// Only regulators and administrators may change it; absent, it stays as stored.
    pub black_list: Option<BlackList>,
}

/// One reason or lapsing item.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct ItemView {
    /// `identity`, `background_check`, `health_check`, `insurance`, `black_list`.
    pub item: String,
    pub zh: String,
    pub en: String,
    /// The item's last valid day, where it has one.
    pub last_day: Option<String>,
}

/// The status colour on a day.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct StatusView {
    /// The day the status is computed for (Asia/Shanghai).
    pub on: String,
    /// `green`, `yellow` or `red`.
    pub colour: String,
    pub label_zh: String,
    pub label_en: String,
    /// What keeps it from green.
    pub reasons: Vec<ItemView>,
    /// The last valid day of each time-limited item.
    pub valid_until: Vec<ItemView>,
    /// Items still valid that lapse within 30 days.
    pub expiring: Vec<ItemView>,
}

/// 好/中/差 counts of a practitioner's or enterprise's reviews (those not excluded on appeal).
#[derive(Debug, Clone, Default, Serialize, PartialEq, utoipa::ToSchema)]
pub struct ReviewSummary {
    pub good: i64,
    pub neutral: i64,
    pub bad: i64,
}

/// A practitioner's credit record as answered.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct RecordView {
    pub practitioner_id: i64,
    pub provider_code: String,
    /// Masked (张**).
    pub name: String,
    pub kind: String,
    pub identity: Option<Identity>,
    pub background_check: Option<Background>,
    pub health_check: Option<Health>,
    pub training: Vec<Training>,
    pub insurance: Option<Insurance>,
    pub work_history: Vec<Work>,
    pub black_list: BlackList,
    /// Completed bookings this practitioner served on the platform.
    pub bookings_served: i64,
    pub reviews: ReviewSummary,
    pub status: StatusView,
    pub consent: Option<ConsentRow>,
    /// 0 before the record is first written; send it as If-Match.
    pub version: i64,
    pub updated_at: Option<i64>,
}

fn item_key(i: Item) -> &'static str {
    match i {
        Item::Identity => "identity",
        Item::BackgroundCheck => "background_check",
        Item::HealthCheck => "health_check",
        Item::Insurance => "insurance",
        Item::BlackList => "black_list",
    }
}

fn item_words(i: Item) -> (&'static str, &'static str) {
    match i {
        Item::Identity => ("身份未实名核验", "identity not verified"),
        Item::BackgroundCheck => (
            "背景核查缺失、过期或有不良记录",
            "background check missing, expired or adverse",
        ),
        Item::HealthCheck => (
            "健康体检缺失或已超过一年",
            "health check missing or over a year old",
        ),
        Item::Insurance => ("无有效保险", "no insurance in force"),
        Item::BlackList => (
            "列入严重失信名单",
            "on the list of seriously dishonest persons",
        ),
    }
}

fn item_view(i: Item, last: Option<Date>) -> ItemView {
    let (zh, en) = item_words(i);
    ItemView {
        item: item_key(i).into(),
        zh: zh.into(),
        en: en.into(),
        last_day: last.map(|d| d.to_string()),
    }
}

fn colour_en(c: Colour) -> &'static str {
    match c {
        Colour::Green => "Green: verified, insured and health-checked, all valid",
        Colour::Yellow => "Yellow: some records missing or expired",
        Colour::Red => "Red: identity not verified or adverse records",
    }
}

fn status_view(s: &Status, today: Date) -> StatusView {
    let last = |i: Item| s.valid_until.iter().find(|(x, _)| *x == i).map(|(_, d)| *d);
    StatusView {
        on: today.to_string(),
        colour: s.colour.key().into(),
        label_zh: s.colour.zh().into(),
        label_en: colour_en(s.colour).into(),
        reasons: s.reasons.iter().map(|i| item_view(*i, last(*i))).collect(),
        valid_until: s
            .valid_until
            .iter()
            .map(|(i, d)| item_view(*i, Some(*d)))
            .collect(),
        expiring: s
            .expiring(today, EXPIRING_DAYS)
            .into_iter()
            .map(|(i, d)| item_view(i, Some(d)))
            .collect(),
    }
}

// --- Repository -------------------------------------------------------------------------------

async fn record_of(conn: &mut AnyConnection, practitioner: i64) -> ApiResult<Option<RecordRow>> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        record_cols!(),
        " FROM hk_records WHERE practitioner_id = $1"
    ))
    .bind(practitioner)
    .fetch_optional(conn)
    .await
    .map_err(StoreError::from)?)
}

async fn consent_of(conn: &mut AnyConnection, practitioner: i64) -> ApiResult<Option<ConsentRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {CONSENT_COLS} FROM hk_consents WHERE practitioner_id = $1"
    ))
    .bind(practitioner)
    .fetch_optional(conn)
    .await
    .map_err(StoreError::from)?)
}

/// Whose reviews: a practitioner's or a provider's.
enum ReviewsOf {
    Practitioner(i64),
    Provider(String),
}

async fn reviews_of(conn: &mut AnyConnection, of: ReviewsOf) -> ApiResult<ReviewSummary> {
    const SQL: &str =
        "SELECT class, COUNT(*) FROM reviews WHERE {column} = $1 AND excluded = 0 GROUP BY class";
    let rows: Vec<(String, i64)> = match of {
        ReviewsOf::Practitioner(id) => {
            sqlx::query_as(&SQL.replace("{column}", "practitioner_id"))
                .bind(id)
                .fetch_all(conn)
                .await
        }
        ReviewsOf::Provider(code) => {
            sqlx::query_as(&SQL.replace("{column}", "provider_code"))
                .bind(code)
                .fetch_all(conn)
                .await
        }
    }
    .map_err(StoreError::from)?;
    let mut s = ReviewSummary::default();
    for (class, n) in rows {
        match class.as_str() {
            "good" => s.good += n,
            "neutral" => s.neutral += n,
            "bad" => s.bad += n,
            _ => {}
        }
    }
    Ok(s)
}

fn practitioner_key(id: &str) -> ApiResult<i64> {
    id.parse()
        .map_err(|_| AppError::not_found("practitioner", id))
}

/// The practitioner, refused (403) outside the caller's provider.
async fn reachable_practitioner(
    conn: &mut AnyConnection,
    c: &Caller,
    id: &str,
) -> ApiResult<practitioners::PractitionerRow> {
    let row = practitioners::get_row(&mut *conn, practitioner_key(id)?)
        .await?
        .ok_or_else(|| AppError::not_found("practitioner", id))?;
    if !own_provider(c, Some(&row.provider_code)) {
        return Err(web::forbidden_record("practitioner"));
    }
    Ok(row)
}

async fn view_of(
    conn: &mut AnyConnection,
    p: &practitioners::PractitionerRow,
    today: Date,
) -> ApiResult<RecordView> {
    let rec = record_of(&mut *conn, p.id).await?;
    let consent = consent_of(&mut *conn, p.id).await?;
    let served: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM bookings WHERE practitioner_id = $1 AND status = 'completed'",
    )
    .bind(p.id)
    .fetch_one(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    let reviews = reviews_of(&mut *conn, ReviewsOf::Practitioner(p.id)).await?;
    let r = rec.clone().unwrap_or_default();
    let status = Status::of(&r.records(), today);
    let some = |v: &Option<String>| v.clone();
    Ok(RecordView {
        practitioner_id: p.id,
        provider_code: p.provider_code.clone(),
        name: mask_name(&p.name),
        kind: p.kind.clone(),
        identity: r.identity_verified_on.as_ref().map(|_| Identity {
            verified_on: some(&r.identity_verified_on),
            method: some(&r.identity_method),
            verified_by: some(&r.identity_verified_by),
        }),
        background_check: r.background_checked_on.as_ref().map(|_| Background {
            checked_on: some(&r.background_checked_on),
            clean: r.background_clean.map(|c| c != 0),
            issuer: some(&r.background_issuer),
        }),
        health_check: r.health_checked_on.as_ref().map(|_| Health {
            checked_on: some(&r.health_checked_on),
            issuer: some(&r.health_issuer),
        }),
        training: serde_json::from_str(&r.training).unwrap_or_default(),
        insurance: r.insured_until.as_ref().map(|_| Insurance {
            insurer: some(&r.insurer),
            policy_number: some(&r.policy_number),
            valid_until: some(&r.insured_until),
        }),
        work_history: serde_json::from_str(&r.work_history).unwrap_or_default(),
        black_list: BlackList {
            listed: Some(r.black_listed != 0),
            reason: r.black_list_reason.clone(),
        },
        bookings_served: served,
        reviews,
        status: status_view(&status, today),
        consent,
        version: r.version,
        updated_at: rec.map(|r| r.updated_at),
    })
}

// --- Records ----------------------------------------------------------------------------------

/// GET /api/housekeeping/practitioners/{id}.
#[utoipa::path(get, path = "/api/housekeeping/practitioners/{id}", tag = "housekeeping", params(("id" = i64, Path)),
    responses((status = 200, body = RecordView), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn read_record(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<RecordView>> {
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let p = reachable_practitioner(&mut conn, &c, &id).await?;
    Ok(Json(view_of(&mut conn, &p, web::today(&st)?).await?))
}

/// A required date `YYYY-MM-DD` (missing or blank: `required`).
fn required_date(ck: &mut Check, field: &str, v: &Option<String>) -> Option<String> {
    if v.as_deref().is_none_or(|s| s.trim().is_empty()) {
        ck.required(field);
        return None;
    }
    ck.date(field, v)
}

/// The checked record, ready to store.
fn check_record(input: &RecordInput) -> ApiResult<RecordRow> {
    let mut ck = Check::new();
    let mut r = RecordRow::default();
    if let Some(i) = &input.identity {
        r.identity_verified_on = required_date(&mut ck, "identity.verified_on", &i.verified_on);
        r.identity_method = ck.text("identity.method", &i.method, 100);
        r.identity_verified_by = ck.text("identity.verified_by", &i.verified_by, 200);
    }
    if let Some(b) = &input.background_check {
        r.background_checked_on =
            required_date(&mut ck, "background_check.checked_on", &b.checked_on);
        match b.clean {
            Some(clean) => r.background_clean = Some(clean as i64),
            None => ck.required("background_check.clean"),
        }
        r.background_issuer = ck.opt_text("background_check.issuer", &b.issuer, 200);
    }
    if let Some(h) = &input.health_check {
        r.health_checked_on = required_date(&mut ck, "health_check.checked_on", &h.checked_on);
        r.health_issuer = ck.opt_text("health_check.issuer", &h.issuer, 200);
    }
    let mut training = Vec::new();
    for (n, t) in input.training.iter().flatten().enumerate() {
        let f = |k: &str| format!("training[{n}].{k}");
        let course = ck.text(&f("course"), &t.course, 200);
        let hours = ck.number(&f("hours"), t.hours, 0.0, 10_000.0, true);
        let on = required_date(&mut ck, &f("completed_on"), &t.completed_on);
        let issuer = ck.text(&f("issuer"), &t.issuer, 200);
        training.push(Training {
            course,
            hours,
            completed_on: on,
            issuer,
        });
    }
    if let Some(i) = &input.insurance {
        r.insurer = ck.text("insurance.insurer", &i.insurer, 200);
        r.policy_number = ck.text("insurance.policy_number", &i.policy_number, 100);
        r.insured_until = required_date(&mut ck, "insurance.valid_until", &i.valid_until);
    }
    let mut work = Vec::new();
    for (n, w) in input.work_history.iter().flatten().enumerate() {
        let f = |k: &str| format!("work_history[{n}].{k}");
        let employer = ck.text(&f("employer"), &w.employer, 200);
        let from = required_date(&mut ck, &f("from"), &w.from);
        let to = ck.date(&f("to"), &w.to);
        if let (Some(a), Some(b)) = (&from, &to) {
            if b < a {
                ck.fail(
                    &f("to"),
                    "before_start",
                    format!("{} 早于开始日期 {a}", f("to")),
                    format!("{} is before the start {a}", f("to")),
                );
            }
        }
        work.push(Work { employer, from, to });
    }
    if let Some(b) = &input.black_list {
        let listed = b.listed.unwrap_or(false);
        r.black_listed = listed as i64;
        r.black_list_reason = ck.opt_text("black_list.reason", &b.reason, 500);
        if listed && r.black_list_reason.is_none() {
            ck.required("black_list.reason");
        }
    }
    ck.finish().map_err(web::invalid)?;
    r.training = serde_json::to_string(&training).map_err(AppError::internal)?;
    r.work_history = serde_json::to_string(&work).map_err(AppError::internal)?;
    Ok(r)
}

/// The audited form of a record (no personal data beyond the practitioner's id).
fn audit_form(r: &RecordRow) -> serde_json::Value {
    json!({
        "identity_verified_on": r.identity_verified_on,
        "identity_method": r.identity_method,
        "background_checked_on": r.background_checked_on,
        "background_clean": r.background_clean,
        "health_checked_on": r.health_checked_on,
        "training": r.training,
        "insurer": r.insurer,
        "insured_until": r.insured_until,
        "work_history": r.work_history,
        "black_listed": r.black_listed,
        "black_list_reason": r.black_list_reason,
    })
}

/// PUT /api/housekeeping/practitioners/{id}.
#[utoipa::path(put, path = "/api/housekeeping/practitioners/{id}", tag = "housekeeping",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header, description = "The version the change is made against (0: not written yet)")),
    request_body = RecordInput,
    responses((status = 200, body = RecordView), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn write_record(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<RecordView>> {
    let input: RecordInput = web::json_body(&body)?;
    let expected = web::if_match(&headers)?;
    let mut row = check_record(&input)?;
    let now = st.clock.now_ms();
    let mut tx = st.store.begin().await?;
    let p = reachable_practitioner(tx.conn(), &c, &id).await?;
    let stored = record_of(tx.conn(), p.id).await?;
    let seen = stored.as_ref().map(|s| s.version).unwrap_or(0);
    if expected.is_some_and(|v| v != seen) {
        return Err(web::conflict("credit record", &id));
    }
    // The black list is the regulators': a write without it keeps what is stored, and provider
    // staff cannot change it.
    let stored_black = stored
        .as_ref()
        .map(|s| (s.black_listed, s.black_list_reason.clone()))
        .unwrap_or((0, None));
    if input.black_list.is_none() {
        (row.black_listed, row.black_list_reason) = stored_black;
    } else if c.is(ProviderStaff)
        && (row.black_listed, row.black_list_reason.clone()) != stored_black
    {
        return Err(AppError::forbidden(
            "严重失信名单由监管部门认定，服务机构不能修改",
            "the black list is set by regulators; provider staff cannot change it",
        ));
    }
    row.practitioner_id = p.id;
    row.provider_code = p.provider_code.clone();
    row.updated_at = now;
    match &stored {
        None => {
            row.created_at = now;
            sqlx::query("INSERT INTO hk_records (practitioner_id, provider_code, identity_verified_on, identity_method, identity_verified_by, background_checked_on, background_clean, background_issuer, health_checked_on, health_issuer, training, insurer, policy_number, insured_until, work_history, black_listed, black_list_reason, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18, 1)")
                .bind(row.practitioner_id)
                .bind(row.provider_code.clone())
                .bind(row.identity_verified_on.clone())
                .bind(row.identity_method.clone())
                .bind(row.identity_verified_by.clone())
                .bind(row.background_checked_on.clone())
                .bind(row.background_clean)
                .bind(row.background_issuer.clone())
                .bind(row.health_checked_on.clone())
                .bind(row.health_issuer.clone())
                .bind(row.training.clone())
                .bind(row.insurer.clone())
                .bind(row.policy_number.clone())
                .bind(row.insured_until.clone())
                .bind(row.work_history.clone())
                .bind(row.black_listed)
                .bind(row.black_list_reason.clone())
                .bind(now)
                .execute(tx.conn())
                .await
                // Two first writes at once: one lands, the other is a conflict.
                .map_err(|e| match StoreError::from(e) {
                    StoreError::Duplicate(_) => web::conflict("credit record", &id),
                    other => other.into(),
                })?;
        }
        Some(s) => {
            let done = sqlx::query("UPDATE hk_records SET provider_code = $2, identity_verified_on = $3, identity_method = $4, identity_verified_by = $5, background_checked_on = $6, background_clean = $7, background_issuer = $8, health_checked_on = $9, health_issuer = $10, training = $11, insurer = $12, policy_number = $13, insured_until = $14, work_history = $15, black_listed = $16, black_list_reason = $17, updated_at = $18, version = version + 1 WHERE practitioner_id = $1 AND version = $19")
                .bind(row.practitioner_id)
                .bind(row.provider_code.clone())
                .bind(row.identity_verified_on.clone())
                .bind(row.identity_method.clone())
                .bind(row.identity_verified_by.clone())
                .bind(row.background_checked_on.clone())
                .bind(row.background_clean)
                .bind(row.background_issuer.clone())
                .bind(row.health_checked_on.clone())
                .bind(row.health_issuer.clone())
                .bind(row.training.clone())
                .bind(row.insurer.clone())
                .bind(row.policy_number.clone())
                .bind(row.insured_until.clone())
                .bind(row.work_history.clone())
                .bind(row.black_listed)
                .bind(row.black_list_reason.clone())
                .bind(now)
                .bind(s.version)
                .execute(tx.conn())
                .await
                .map_err(StoreError::from)?;
            if done.rows_affected() != 1 {
                return Err(web::conflict("credit record", &id));
            }
        }
    }
    tx.audit(
        &c.actor(),
        if stored.is_some() { "update" } else { "create" },
        "hk_record",
        &p.id.to_string(),
        json!({"before": stored.as_ref().map(audit_form), "after": audit_form(&row)}),
    )
    .await?;
    let view = view_of(tx.conn(), &p, web::today(&st)?).await?;
    tx.commit().await?;
    Ok(Json(view))
}

// --- Consent ----------------------------------------------------------------------------------

/// The worker's consent, or its withdrawal.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentInput {
    /// `true` to record consent, `false` to withdraw it (revokes the live tokens).
    pub given: Option<bool>,
    /// `written`, `electronic` or `verbal_witnessed` (required with consent).
    pub method: Option<String>,
    /// Whether the scan page may show the masked name (default false).
    pub show_name: Option<bool>,
    pub note: Option<String>,
}

const CONSENT_METHODS: &[&str] = &["written", "electronic", "verbal_witnessed"];

/// PUT /api/housekeeping/practitioners/{id}/consent.
#[utoipa::path(put, path = "/api/housekeeping/practitioners/{id}/consent", tag = "housekeeping",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header, description = "The consent's version (0: none recorded yet)")),
    request_body = ConsentInput,
    responses((status = 200, body = ConsentRow), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn write_consent(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<ConsentRow>> {
    let input: ConsentInput = web::json_body(&body)?;
    let expected = web::if_match(&headers)?;
    let mut ck = Check::new();
    let given = input.given;
    if given.is_none() {
        ck.required("given");
    }
    let method = if given == Some(true) {
        let m = ck.text("method", &input.method, 40);
        if let Some(m) = m.as_deref().filter(|m| !CONSENT_METHODS.contains(m)) {
            ck.fail(
                "method",
                "unknown_value",
                format!(
                    "method 应为 written、electronic 或 verbal_witnessed，而非 '{}'",
                    lc_model::quote(m)
                ),
                format!(
                    "method must be written, electronic or verbal_witnessed, not '{}'",
                    lc_model::quote(m)
                ),
            );
        }
        m
    } else {
        input
            .method
            .clone()
            .filter(|m| CONSENT_METHODS.contains(&m.as_str()))
    };
    let note = ck.opt_text("note", &input.note, 500);
    ck.finish().map_err(web::invalid)?;
    let given = given.unwrap_or(false);
    let now = st.clock.now_ms();
    let uid = c.user.as_ref().map(|u| u.id);
    let mut tx = st.store.begin().await?;
    let p = reachable_practitioner(tx.conn(), &c, &id).await?;
    let stored = consent_of(tx.conn(), p.id).await?;
    let seen = stored.as_ref().map(|s| s.version).unwrap_or(0);
    if expected.is_some_and(|v| v != seen) {
        return Err(web::conflict("consent", &id));
    }
    let row = if given {
        ConsentRow {
            id: 0,
            practitioner_id: p.id,
            given: true,
            method: method.unwrap_or_default(),
            show_name: input.show_name.unwrap_or(false),
            note,
            recorded_by: uid,
            recorded_at: now,
            withdrawn_at: None,
            version: seen + 1,
        }
    } else {
        let Some(s) = stored.clone().filter(|s| s.given) else {
            return Err(AppError::new(
                StatusCode::CONFLICT,
                "consent_required",
                "此从业人员没有在效的二维码授权，无可撤回",
                "this practitioner has no consent in force to withdraw",
            ));
        };
        ConsentRow {
            given: false,
            note: note.or(s.note.clone()),
            recorded_by: uid,
            withdrawn_at: Some(now),
            version: seen + 1,
            ..s
        }
    };
    match &stored {
        None => {
            sqlx::query("INSERT INTO hk_consents (practitioner_id, given, method, show_name, note, recorded_by, recorded_at, withdrawn_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, 1)")
                .bind(p.id)
                .bind(row.given as i64)
                .bind(row.method.clone())
                .bind(row.show_name as i64)
                .bind(row.note.clone())
                .bind(uid)
                .bind(now)
                .execute(tx.conn())
                .await
                .map_err(|e| match StoreError::from(e) {
                    StoreError::Duplicate(_) => web::conflict("consent", &id),
                    other => other.into(),
                })?;
        }
        Some(s) => {
            let done = sqlx::query("UPDATE hk_consents SET given = $2, method = $3, show_name = $4, note = $5, recorded_by = $6, recorded_at = $7, withdrawn_at = $8, version = version + 1 WHERE practitioner_id = $1 AND version = $9")
                .bind(p.id)
                .bind(row.given as i64)
                .bind(row.method.clone())
                .bind(row.show_name as i64)
                .bind(row.note.clone())
                .bind(uid)
                .bind(row.recorded_at)
                .bind(row.withdrawn_at)
                .bind(s.version)
                .execute(tx.conn())
                .await
                .map_err(StoreError::from)?;
            if done.rows_affected() != 1 {
                return Err(web::conflict("consent", &id));
            }
        }
    }
    let mut revoked = 0;
    if !given {
        // The live tokens: an expired one is refused anyway and keeps its history.
        let done = sqlx::query("UPDATE hk_tokens SET revoked_at = $2, revoked_by = $3, revoke_reason = $4, version = version + 1 WHERE practitioner_id = $1 AND kind = 'practitioner' AND revoked_at IS NULL AND expires_at > $2")
            .bind(p.id)
            .bind(now)
            .bind(uid)
            .bind("授权已撤回 | consent withdrawn".to_string())
            .execute(tx.conn())
            .await
            .map_err(StoreError::from)?;
        revoked = done.rows_affected();
    }
    tx.audit(
        &c.actor(),
        if given { "consent" } else { "withdraw_consent" },
        "hk_consent",
        &p.id.to_string(),
        json!({"method": row.method, "show_name": row.show_name, "tokens_revoked": revoked}),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(row))
}

// --- Subjects and tokens ----------------------------------------------------------------------

/// The longest run of digits in a text (separators do not occur in base64url text but `-` and
/// `_`, which [`lc_credit::token`] does not count as breaking a run).
fn longest_digit_run(s: &str) -> usize {
    let (mut run, mut longest) = (0, 0);
    for c in s.chars() {
        if c.is_ascii_digit() {
            run += 1;
            longest = longest.max(run);
        } else if c.is_ascii_alphabetic() {
            run = 0;
        }
    }
    longest
}

/// A candidate pseudonym: 16 base64url characters of HMAC-SHA-256 under the deployment's key.
fn pseudonym(key: &[u8], kind: SubjectKind, reference: &str, attempt: u32) -> String {
    let hex = hmac_sha256_hex(
        key,
        format!("hk-subject|{}|{reference}|{attempt}", kind.key()).as_bytes(),
    );
    let bytes: Vec<u8> = (0..12)
        .filter_map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The subject id of a practitioner or an enterprise, made and stored on first use (unique
/// both ways; a run of 11 digits, which could pass for a phone number, is skipped).
async fn subject_of(
    conn: &mut AnyConnection,
    st: &AppState,
    kind: SubjectKind,
    reference: &str,
    provider: &str,
) -> ApiResult<String> {
    for attempt in 0..8 {
        let existing: Option<String> = sqlx::query_scalar(
            "SELECT subject FROM hk_subjects WHERE kind = $1 AND subject_ref = $2",
        )
        .bind(kind.key().to_string())
        .bind(reference.to_string())
        .fetch_optional(&mut *conn)
        .await
        .map_err(StoreError::from)?;
        if let Some(s) = existing {
            return Ok(s);
        }
        let candidate = pseudonym(&st.pii_key, kind, reference, attempt);
        if longest_digit_run(&candidate) >= 11 {
            continue;
        }
        sqlx::query("INSERT INTO hk_subjects (kind, subject_ref, subject, provider_code, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING")
            .bind(kind.key().to_string())
            .bind(reference.to_string())
            .bind(candidate)
            .bind(provider.to_string())
            .bind(st.clock.now_ms())
            .execute(&mut *conn)
            .await
            .map_err(StoreError::from)?;
    }
    Err(AppError::internal("no pseudonymous subject could be made"))
}

/// How long a new token lives.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueInput {
    /// Days, 1–365 (default 30).
    pub days: Option<i64>,
}

/// A token just issued.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Issued {
    #[serde(flatten)]
    pub token: TokenRow,
    /// The scan page's path with the token (`/q/…`), what the QR code carries after the origin.
    pub scan_path: String,
    /// The QR code image (SVG).
    pub qr_svg_path: String,
}

fn random_token_id() -> [u8; token::TOKEN_ID_LEN] {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let mut id = [0u8; token::TOKEN_ID_LEN];
    OsRng.fill_bytes(&mut id);
    id
}

fn issue_days(body: &Bytes) -> ApiResult<i64> {
    let input: IssueInput = web::optional_json_body(body)?;
    let days = input.days.unwrap_or(DEFAULT_TOKEN_DAYS);
    if !(1..=MAX_TOKEN_DAYS).contains(&days) {
        return Err(AppError::field(
            "days",
            "out_of_range",
            format!("days 应为 1 至 {MAX_TOKEN_DAYS} 天，而非 {days}"),
            format!("days must be from 1 to {MAX_TOKEN_DAYS}, not {days}"),
        ));
    }
    Ok(days)
}

struct NewToken<'a> {
    kind: SubjectKind,
    reference: String,
    practitioner_id: Option<i64>,
    provider: &'a str,
    colour: Colour,
    days: i64,
}

async fn issue(
    conn: &mut AnyConnection,
    st: &AppState,
    c: &Caller,
    t: NewToken<'_>,
) -> ApiResult<Issued> {
    let subject = subject_of(&mut *conn, st, t.kind, &t.reference, t.provider).await?;
    let now = st.clock.now_ms();
    let claims = Claims {
        subject: subject.clone(),
        kind: t.kind,
        colour: t.colour,
        issued_at_ms: now,
        expires_at_ms: now + t.days * DAY_MS,
        token_id: random_token_id(),
    };
    let key = &st.signing_key;
    let text = token::issue(&key.secret, &key.key_id, &claims).map_err(AppError::internal)?;
    let row = TokenRow {
        id: 0,
        token_id: claims.token_id_hex(),
        subject,
        kind: t.kind.key().into(),
        practitioner_id: t.practitioner_id,
        provider_code: t.provider.to_string(),
        colour: t.colour.key().into(),
        key_id: key.key_id.clone(),
        issued_at: claims.issued_at_ms,
        expires_at: claims.expires_at_ms,
        text,
        issued_by: c.user.as_ref().map(|u| u.id),
        revoked_at: None,
        revoked_by: None,
        revoke_reason: None,
        version: 1,
    };
    let id: i64 = sqlx::query_scalar("INSERT INTO hk_tokens (token_id, subject, kind, practitioner_id, provider_code, colour, key_id, issued_at, expires_at, text, issued_by, revoked_at, revoked_by, revoke_reason, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL, NULL, NULL, 1) RETURNING id")
        .bind(row.token_id.clone())
        .bind(row.subject.clone())
        .bind(row.kind.clone())
        .bind(row.practitioner_id)
        .bind(row.provider_code.clone())
        .bind(row.colour.clone())
        .bind(row.key_id.clone())
        .bind(row.issued_at)
        .bind(row.expires_at)
        .bind(row.text.clone())
        .bind(row.issued_by)
        .fetch_one(&mut *conn)
        .await
        .map_err(lc_store::sql::unique("token id"))?;
    Ok(Issued {
        scan_path: format!("/q/{}", row.text),
        qr_svg_path: format!("/api/housekeeping/tokens/{}/qr.svg", row.token_id),
        token: TokenRow { id, ..row },
    })
}

/// POST /api/housekeeping/practitioners/{id}/tokens.
#[utoipa::path(post, path = "/api/housekeeping/practitioners/{id}/tokens", tag = "housekeeping",
    params(("id" = i64, Path)), request_body = IssueInput,
    responses((status = 201, body = Issued), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn issue_practitioner(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Issued>)> {
    let days = issue_days(&body)?;
    let mut tx = st.store.begin().await?;
    let p = reachable_practitioner(tx.conn(), &c, &id).await?;
    // The consent is read in the write transaction: a withdrawal racing this issue either
    // comes first (refused here) or revokes this token too.
    if !consent_of(tx.conn(), p.id).await?.is_some_and(|k| k.given) {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            "consent_required",
            "从业人员尚未授权生成信用二维码，请先登记其授权",
            "the worker has not consented to a credit QR code; record their consent first",
        ));
    }
    let rec = record_of(tx.conn(), p.id).await?.unwrap_or_default();
    let colour = Status::of(&rec.records(), web::today(&st)?).colour;
    let issued = issue(
        tx.conn(),
        &st,
        &c,
        NewToken {
            kind: SubjectKind::Practitioner,
            reference: p.id.to_string(),
            practitioner_id: Some(p.id),
            provider: &p.provider_code,
            colour,
            days,
        },
    )
    .await?;
    tx.audit(
        &c.actor(),
        "issue",
        "hk_token",
        &issued.token.token_id,
        json!({"practitioner_id": p.id, "colour": colour.key(), "expires_at": issued.token.expires_at}),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(issued)))
}

/// Filters of the token list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TokenQuery {
    pub practitioner_id: Option<String>,
    /// `practitioner` or `enterprise`.
    pub kind: Option<String>,
    /// A provider's USCC (provider staff: their own only).
    pub provider_code: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    pub page: web::PageQuery,
}

/// The provider filter of a list: provider staff see their own provider only, whatever they
/// asked for (`None` for the outer option: nothing to show).
fn scope_filter(c: &Caller, asked: &Option<String>) -> Option<Option<String>> {
    let asked = asked.clone().filter(|s| !s.is_empty());
    match &c.user {
        Some(u) if u.role == ProviderStaff => {
            let own = u.provider_code.clone().unwrap_or_default();
            if asked.as_ref().is_some_and(|a| *a != own) {
                None
            } else {
                Some(Some(own))
            }
        }
        _ => Some(asked),
    }
}

/// GET /api/housekeeping/tokens.
#[utoipa::path(get, path = "/api/housekeeping/tokens", tag = "housekeeping", params(TokenQuery, web::PageQuery),
    responses((status = 200, body = Paged<TokenRow>), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_tokens(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Query(q): Query<TokenQuery>,
) -> ApiResult<Json<Paged<TokenRow>>> {
    let page = q.page.page()?;
    let practitioner = web::int_param("practitioner_id", &q.practitioner_id)?;
    let kind = q.kind.clone().filter(|s| !s.is_empty());
    if kind
        .as_deref()
        .is_some_and(|k| k != "practitioner" && k != "enterprise")
    {
        return Err(AppError::bad_request(
            "kind 应为 practitioner 或 enterprise",
            "kind must be practitioner or enterprise",
        ));
    }
    let Some(provider) = scope_filter(&c, &q.provider_code) else {
        return Ok(Json(Paged::new(Vec::new(), 0, page)));
    };
    let wh = "WHERE ($1 IS NULL OR practitioner_id = $1) AND ($2 IS NULL OR kind = $2) AND ($3 IS NULL OR provider_code = $3)";
    let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM hk_tokens {wh}"))
        .bind(practitioner)
        .bind(kind.clone())
        .bind(provider.clone())
        .fetch_one(st.store.pool())
        .await
        .map_err(StoreError::from)?;
    let rows = sqlx::query_as(&format!(
        "SELECT {TOKEN_COLS} FROM hk_tokens {wh} ORDER BY id DESC LIMIT $4 OFFSET $5"
    ))
    .bind(practitioner)
    .bind(kind)
    .bind(provider)
    .bind(page.limit)
    .bind(page.offset)
    .fetch_all(st.store.pool())
    .await
    .map_err(StoreError::from)?;
    Ok(Json(Paged::new(rows, total, page)))
}

async fn token_by_id(conn: &mut AnyConnection, token_id: &str) -> ApiResult<Option<TokenRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {TOKEN_COLS} FROM hk_tokens WHERE token_id = $1"
    ))
    .bind(token_id.to_ascii_lowercase())
    .fetch_optional(conn)
    .await
    .map_err(StoreError::from)?)
}

async fn reachable_token(conn: &mut AnyConnection, c: &Caller, id: &str) -> ApiResult<TokenRow> {
    let t = token_by_id(conn, id)
        .await?
        .ok_or_else(|| AppError::not_found("token", id))?;
    if !own_provider(c, Some(&t.provider_code)) {
        return Err(web::forbidden_record("token"));
    }
    Ok(t)
}

/// Why a token is revoked.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeInput {
    pub reason: Option<String>,
}

/// POST /api/housekeeping/tokens/{id}/revoke.
#[utoipa::path(post, path = "/api/housekeeping/tokens/{id}/revoke", tag = "housekeeping",
    params(("id" = String, Path, description = "The token id (32 hexadecimal characters)")), request_body = RevokeInput,
    responses((status = 200, body = TokenRow), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn revoke(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<TokenRow>> {
    let input: RevokeInput = web::json_body(&body)?;
    let mut ck = Check::new();
    let reason = ck.text("reason", &input.reason, 500);
    ck.finish().map_err(web::invalid)?;
    let now = st.clock.now_ms();
    let uid = c.user.as_ref().map(|u| u.id);
    let mut tx = st.store.begin().await?;
    let t = reachable_token(tx.conn(), &c, &id).await?;
    let done = sqlx::query("UPDATE hk_tokens SET revoked_at = $2, revoked_by = $3, revoke_reason = $4, version = version + 1 WHERE id = $1 AND revoked_at IS NULL")
        .bind(t.id)
        .bind(now)
        .bind(uid)
        .bind(reason.clone())
        .execute(tx.conn())
        .await
        .map_err(StoreError::from)?;
    if done.rows_affected() != 1 {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            "already_revoked",
            "该信用证书已被撤销",
            "this token has been revoked already",
        ));
    }
    tx.audit(
        &c.actor(),
        "revoke",
        "hk_token",
        &t.token_id,
        json!({"reason": reason}),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(TokenRow {
        revoked_at: Some(now),
        revoked_by: uid,
        revoke_reason: reason,
        version: t.version + 1,
        ..t
    }))
}

/// The origin the scan page is reached at: the request's host, over HTTPS when the deployment
/// uses secure cookies (behind TLS) unless the host is this machine, else HTTP.
fn origin(st: &AppState, headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        })
        .unwrap_or("localhost");
    let local =
        host.starts_with("localhost") || host.starts_with("127.") || host.starts_with("[::1]");
    let scheme = if st.config.secure_cookies && !local {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

/// GET /api/housekeeping/tokens/{id}/qr.svg.
#[utoipa::path(get, path = "/api/housekeeping/tokens/{id}/qr.svg", tag = "housekeeping",
    params(("id" = String, Path, description = "The token id")),
    responses((status = 200, description = "The QR code", content_type = "image/svg+xml", body = String), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn qr_svg(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let t = reachable_token(&mut conn, &c, &id).await?;
    let url = format!("{}/q/{}", origin(&st, &headers), t.text);
    let code = qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M)
        .map_err(AppError::internal)?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(320, 320)
        .quiet_zone(true)
        .build();
    Ok(([(header::CONTENT_TYPE, SVG)], svg).into_response())
}

// --- Enterprises ------------------------------------------------------------------------------

/// One practitioner in an enterprise record.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PractitionerStatus {
    pub practitioner_id: i64,
    /// Masked.
    pub name: String,
    pub kind: String,
    pub colour: String,
    pub reasons: Vec<ItemView>,
    pub expiring: Vec<ItemView>,
}

/// A penalty within its publicity.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PenaltyView {
    pub doc_number: String,
    pub decided: String,
    pub public_until: Option<String>,
    pub fine_fen: Option<i64>,
    pub source: String,
}

/// An enterprise's housekeeping credit record.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EnterpriseView {
    pub uscc: String,
    pub name: String,
    pub on: String,
    /// Red with a penalty within its publicity; green when there is none and every
    /// practitioner is green; yellow otherwise.
    pub colour: String,
    /// Practitioners by colour: `{green, yellow, red}`.
    pub by_colour: BTreeMap<String, i64>,
    /// Items lapsing within 30 days, over all practitioners.
    pub expiring_items: i64,
    pub practitioners: Vec<PractitionerStatus>,
    pub penalties_in_publicity: Vec<PenaltyView>,
    pub reviews: ReviewSummary,
}

async fn enterprise_view(
    conn: &mut AnyConnection,
    uscc: &str,
    today: Date,
) -> ApiResult<EnterpriseView> {
    let provider = providers::get_row(&mut *conn, uscc)
        .await?
        .ok_or_else(|| AppError::not_found("provider", uscc))?;
    let people: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT id, name, kind FROM practitioners WHERE provider_code = $1 ORDER BY id",
    )
    .bind(uscc.to_string())
    .fetch_all(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    let records: Vec<RecordRow> = sqlx::query_as(concat!(
        "SELECT ",
        record_cols!(),
        " FROM hk_records WHERE practitioner_id IN (SELECT id FROM practitioners WHERE provider_code = $1)"
    ))
    .bind(uscc.to_string())
    .fetch_all(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    let by_id: BTreeMap<i64, RecordRow> = records
        .into_iter()
        .map(|r| (r.practitioner_id, r))
        .collect();
    let mut by_colour: BTreeMap<String, i64> = [Colour::Green, Colour::Yellow, Colour::Red]
        .iter()
        .map(|c| (c.key().to_string(), 0))
        .collect();
    let mut expiring_items = 0;
    let mut list = Vec::new();
    let mut all_green = true;
    for (id, name, kind) in people {
        let rec = by_id.get(&id).cloned().unwrap_or_default();
        let s = Status::of(&rec.records(), today);
        let v = status_view(&s, today);
        *by_colour.entry(v.colour.clone()).or_default() += 1;
        expiring_items += v.expiring.len() as i64;
        all_green &= s.colour == Colour::Green;
        list.push(PractitionerStatus {
            practitioner_id: id,
            name: mask_name(&name),
            kind,
            colour: v.colour,
            reasons: v.reasons,
            expiring: v.expiring,
        });
    }
    let penalties =
        super::credit::public_rows(&mut *conn, "penalty", Some(uscc.to_string()), today)
            .await?
            .into_iter()
            .map(|r| PenaltyView {
                doc_number: r.doc_number,
                decided: r.decided,
                public_until: r.public_until,
                fine_fen: r.fine_fen,
                source: r.source,
            })
            .collect::<Vec<_>>();
    let colour = if !penalties.is_empty() {
        Colour::Red
    } else if all_green {
        Colour::Green
    } else {
        Colour::Yellow
    };
    let reviews = reviews_of(&mut *conn, ReviewsOf::Provider(uscc.to_string())).await?;
    Ok(EnterpriseView {
        uscc: provider.uscc,
        name: provider.name,
        on: today.to_string(),
        colour: colour.key().into(),
        by_colour,
        expiring_items,
        practitioners: list,
        penalties_in_publicity: penalties,
        reviews,
    })
}

fn reachable_enterprise(c: &Caller, uscc: &str) -> ApiResult<()> {
    if !own_provider(c, Some(uscc)) {
        return Err(web::forbidden_record("provider"));
    }
    Ok(())
}

/// GET /api/housekeeping/enterprises/{uscc}.
#[utoipa::path(get, path = "/api/housekeeping/enterprises/{uscc}", tag = "housekeeping", params(("uscc" = String, Path)),
    responses((status = 200, body = EnterpriseView), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn enterprise(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(uscc): Path<String>,
) -> ApiResult<Json<EnterpriseView>> {
    reachable_enterprise(&c, &uscc)?;
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    Ok(Json(
        enterprise_view(&mut conn, &uscc, web::today(&st)?).await?,
    ))
}

/// POST /api/housekeeping/enterprises/{uscc}/tokens.
#[utoipa::path(post, path = "/api/housekeeping/enterprises/{uscc}/tokens", tag = "housekeeping",
    params(("uscc" = String, Path)), request_body = IssueInput,
    responses((status = 201, body = Issued), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn issue_enterprise(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(uscc): Path<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Issued>)> {
    let days = issue_days(&body)?;
    reachable_enterprise(&c, &uscc)?;
    let mut tx = st.store.begin().await?;
    let e = enterprise_view(tx.conn(), &uscc, web::today(&st)?).await?;
    let colour = Colour::from_key(&e.colour).unwrap_or(Colour::Yellow);
    let issued = issue(
        tx.conn(),
        &st,
        &c,
        NewToken {
            kind: SubjectKind::Enterprise,
            reference: e.uscc.clone(),
            practitioner_id: None,
            provider: &e.uscc,
            colour,
            days,
        },
    )
    .await?;
    tx.audit(
        &c.actor(),
        "issue",
        "hk_token",
        &issued.token.token_id,
        json!({"enterprise": e.uscc, "colour": colour.key(), "expires_at": issued.token.expires_at}),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(issued)))
}

// --- Public keys and scans --------------------------------------------------------------------

/// One published verifying key.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicKey {
    pub key_id: String,
    /// `Ed25519`.
    pub algorithm: String,
    /// The 32-byte public key, base64url without padding.
    pub public_key: String,
}

/// The verifying keys.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KeySet {
    /// The token format (`LC1`).
    pub format: String,
    pub keys: Vec<PublicKey>,
}

/// GET /api/public/credit-keys.
#[utoipa::path(get, path = "/api/public/credit-keys", tag = "housekeeping",
    responses((status = 200, body = KeySet), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn keys(State(st): State<Arc<AppState>>) -> Json<KeySet> {
    Json(KeySet {
        format: token::PREFIX.into(),
        keys: vec![PublicKey {
            key_id: st.signing_key.key_id.clone(),
            algorithm: "Ed25519".into(),
            public_key: URL_SAFE_NO_PAD.encode(st.signing_key.public),
        }],
    })
}

/// What the offline checks found in an accepted signature.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OfflineView {
    pub token_id: String,
    /// `practitioner` or `enterprise`.
    pub kind: String,
    /// The colour when the token was issued.
    pub colour_at_issue: String,
    pub issued_at: i64,
    pub expires_at: i64,
}

/// The live status of the subject behind an accepted token.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LiveView {
    /// `practitioner` or `enterprise`.
    pub kind: String,
    pub kind_zh: String,
    pub status: StatusView,
    /// The masked name (张**), only if the worker consented to showing it.
    pub masked_name: Option<String>,
    /// The practitioner's kind of work, or none for an enterprise.
    pub practitioner_kind: Option<String>,
    pub provider_code: String,
    pub provider_name: String,
}

/// A scan's answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ScanAnswer {
    /// Whether the token is accepted (offline and online).
    pub accepted: bool,
    /// `accepted`, or why not: `malformed`, `unknown_version`, `unknown_key`, `bad_signature`,
    /// `expired`, `not_yet_valid` (offline); `revoked`, `unknown_token`, `consent_withdrawn`
    /// (online).
    pub outcome: String,
    pub message_zh: String,
    pub message_en: String,
    /// Whether the offline checks passed.
    pub offline_valid: bool,
    pub offline: Option<OfflineView>,
    pub live: Option<LiveView>,
    pub scanned_at: i64,
}

fn refusal(
    outcome: &str,
    zh: String,
    en: String,
    offline: Option<OfflineView>,
    now: i64,
) -> ScanAnswer {
    ScanAnswer {
        accepted: false,
        outcome: outcome.into(),
        message_zh: zh,
        message_en: en,
        offline_valid: offline.is_some(),
        offline,
        live: None,
        scanned_at: now,
    }
}

fn english(e: &TokenError) -> String {
    match e {
        TokenError::Malformed(_) => "not a valid credit certificate QR code (malformed)".into(),
        TokenError::BadSignature => {
            "the signature does not match: the certificate may have been tampered with".into()
        }
        TokenError::Expired { .. } => {
            "the certificate has expired: ask the worker to refresh the QR code".into()
        }
        TokenError::Revoked(_) => "the certificate has been revoked".into(),
        other => other.to_string(),
    }
}

/// What a scan found, and the log row's facts.
struct Scanned {
    answer: ScanAnswer,
    token: Option<TokenRow>,
    subject: Option<String>,
}

async fn check_scan(conn: &mut AnyConnection, st: &AppState, text: &str) -> ApiResult<Scanned> {
    let now = st.clock.now_ms();
    let key = &st.signing_key;
    let keys = [(key.key_id.as_str(), key.public)];
    let claims = match token::verify(text, &keys, now) {
        Ok(c) => c,
        Err(e) => {
            // The stored token with exactly this text, if any (for the log of a refused scan):
            // read only for a refusal, as an accepted scan reads it by its id below.
            let stored: Option<TokenRow> = if text.len() <= token::MAX_TOKEN_LEN {
                sqlx::query_as(&format!(
                    "SELECT {TOKEN_COLS} FROM hk_tokens WHERE text = $1"
                ))
                .bind(text.to_string())
                .fetch_optional(&mut *conn)
                .await
                .map_err(StoreError::from)?
            } else {
                None
            };
            let subject = stored.as_ref().map(|t| t.subject.clone());
            return Ok(Scanned {
                answer: refusal(e.code(), e.message_zh(), english(&e), None, now),
                token: stored,
                subject,
            });
        }
    };
    let offline = OfflineView {
        token_id: claims.token_id_hex(),
        kind: claims.kind.key().into(),
        colour_at_issue: claims.colour.key().into(),
        issued_at: claims.issued_at_ms,
        expires_at: claims.expires_at_ms,
    };
    let row = token_by_id(&mut *conn, &claims.token_id_hex()).await?;
    let subject = Some(claims.subject.clone());
    let Some(row) = row.filter(|r| r.subject == claims.subject) else {
        return Ok(Scanned {
            answer: refusal(
                "unknown_token",
                "本平台没有签发此证书".into(),
                "this platform has no record of issuing this certificate".into(),
                Some(offline),
                now,
            ),
            token: None,
            subject,
        });
    };
    if let Err(e) =
        token::check_revoked(&claims, |id| id == row.token_id && row.revoked_at.is_some())
    {
        return Ok(Scanned {
            answer: refusal(e.code(), e.message_zh(), english(&e), Some(offline), now),
            token: Some(row),
            subject,
        });
    }
    let today = lc_services::time::local_date(now).map_err(AppError::internal)?;
    let provider_name = providers::get_row(&mut *conn, &row.provider_code)
        .await?
        .map(|p| p.name)
        .unwrap_or_default();
    let live = match claims.kind {
        SubjectKind::Practitioner => {
            let pid = row.practitioner_id.unwrap_or_default();
            let consent = consent_of(&mut *conn, pid).await?.filter(|k| k.given);
            let person = practitioners::get_row(&mut *conn, pid).await?;
            let (Some(consent), Some(person)) = (consent, person) else {
                return Ok(Scanned {
                    answer: refusal(
                        "consent_withdrawn",
                        "从业人员已撤回授权，不再显示信息".into(),
                        "the worker has withdrawn their consent; nothing is shown".into(),
                        Some(offline),
                        now,
                    ),
                    token: Some(row),
                    subject,
                });
            };
            let rec = record_of(&mut *conn, pid).await?.unwrap_or_default();
            let s = Status::of(&rec.records(), today);
            // The firm the worker is with now (they may have moved since the issue).
            let provider_name = if person.provider_code == row.provider_code {
                provider_name
            } else {
                providers::get_row(&mut *conn, &person.provider_code)
                    .await?
                    .map(|p| p.name)
                    .unwrap_or_default()
            };
            LiveView {
                kind: claims.kind.key().into(),
                kind_zh: claims.kind.zh().into(),
                status: status_view(&s, today),
                masked_name: consent.show_name.then(|| mask_name(&person.name)),
                practitioner_kind: Some(person.kind),
                provider_code: person.provider_code,
                provider_name,
            }
        }
        SubjectKind::Enterprise => {
            let e = enterprise_view(&mut *conn, &row.provider_code, today).await?;
            let colour = Colour::from_key(&e.colour).unwrap_or(Colour::Yellow);
            LiveView {
                kind: claims.kind.key().into(),
                kind_zh: claims.kind.zh().into(),
                status: StatusView {
                    on: today.to_string(),
                    colour: e.colour.clone(),
                    label_zh: enterprise_label(colour).0.into(),
                    label_en: enterprise_label(colour).1.into(),
                    reasons: Vec::new(),
                    valid_until: Vec::new(),
                    expiring: Vec::new(),
                },
                masked_name: None,
                practitioner_kind: None,
                provider_code: row.provider_code.clone(),
                provider_name,
            }
        }
    };
    Ok(Scanned {
        answer: ScanAnswer {
            accepted: true,
            outcome: "accepted".into(),
            message_zh: "证书有效，以下为当前实时状态".into(),
            message_en: "the certificate is valid; the status below is the live one".into(),
            offline_valid: true,
            offline: Some(offline),
            live: Some(live),
            scanned_at: now,
        },
        token: Some(row),
        subject,
    })
}

fn enterprise_label(c: Colour) -> (&'static str, &'static str) {
    match c {
        Colour::Green => (
            "绿码：无公示中的行政处罚，从业人员信息齐全有效",
            "Green: no penalty in publicity, every practitioner's records valid",
        ),
        Colour::Yellow => (
            "黄码：部分从业人员信息缺失或过期",
            "Yellow: some practitioners' records missing or expired",
        ),
        Colour::Red => (
            "红码：有公示中的行政处罚",
            "Red: a penalty within its publicity period",
        ),
    }
}

/// Checks and logs one scan.
async fn scan(
    st: &AppState,
    text: &str,
    channel: &str,
    client: Option<SocketAddr>,
) -> ApiResult<ScanAnswer> {
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let s = check_scan(&mut conn, st, text).await?;
    let client_hash = client.map(|a| {
        let h = hmac_sha256_hex(&st.pii_key, format!("hk-scan-client|{}", a.ip()).as_bytes());
        h[..16].to_string()
    });
    let t = s.token.as_ref();
    sqlx::query("INSERT INTO hk_scans (at, channel, token_id, subject, kind, provider_code, practitioner_id, outcome, colour, client_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
        .bind(s.answer.scanned_at)
        .bind(channel.to_string())
        .bind(t.map(|t| t.token_id.clone()).or_else(|| s.answer.offline.as_ref().map(|o| o.token_id.clone())))
        .bind(s.subject.clone())
        .bind(t.map(|t| t.kind.clone()))
        .bind(t.map(|t| t.provider_code.clone()))
        .bind(t.and_then(|t| t.practitioner_id))
        .bind(s.answer.outcome.clone())
        .bind(s.answer.live.as_ref().map(|l| l.status.colour.clone()))
        .bind(client_hash)
        .execute(&mut *conn)
        .await
        .map_err(StoreError::from)?;
    Ok(s.answer)
}

/// The scan query.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScanQuery {
    /// The token text (`LC1.…`).
    pub token: Option<String>,
}

fn client_of(ci: Option<Extension<ConnectInfo<SocketAddr>>>) -> Option<SocketAddr> {
    ci.map(|Extension(ConnectInfo(a))| a)
}

/// GET /api/public/credit-scan.
#[utoipa::path(get, path = "/api/public/credit-scan", tag = "housekeeping", params(ScanQuery),
    responses((status = 200, body = ScanAnswer), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn scan_json(
    State(st): State<Arc<AppState>>,
    ci: Option<Extension<ConnectInfo<SocketAddr>>>,
    Query(q): Query<ScanQuery>,
) -> ApiResult<Json<ScanAnswer>> {
    let Some(text) = q.token.filter(|t| !t.is_empty()) else {
        return Err(AppError::bad_request(
            "缺少参数 token（二维码中的证书文本）",
            "the token parameter (the certificate text of the QR code) is required",
        ));
    };
    Ok(Json(scan(&st, &text, "api", client_of(ci)).await?))
}

/// Escapes text for HTML.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A practitioner kind's Chinese name, as the registry names it.
fn kind_zh(k: &str) -> &'static str {
    lc_registry::records::PRACTITIONER_KINDS
        .iter()
        .find(|(key, _)| *key == k)
        .map_or("服务人员", |(_, zh)| *zh)
}

/// The scan page.
fn page(a: &ScanAnswer) -> String {
    let (big_zh, big_en, bg, fg) = match a.live.as_ref().map(|l| l.status.colour.as_str()) {
        Some("green") => ("绿码", "GREEN", "#1b7f3b", "#ffffff"),
        Some("yellow") => ("黄码", "YELLOW", "#f2c230", "#000000"),
        Some("red") => ("红码", "RED", "#b3261e", "#ffffff"),
        _ => ("无效", "NOT VALID", "#444444", "#ffffff"),
    };
    let mut body = String::new();
    body.push_str(&format!(
        "<div class=\"badge\" style=\"background:{bg};color:{fg}\" role=\"status\"><span class=\"zh\">{big_zh}</span> <span class=\"en\">{big_en}</span></div>\n"
    ));
    body.push_str(&format!(
        "<p class=\"msg\">{}<br><span lang=\"en\">{}</span></p>\n",
        esc(&a.message_zh),
        esc(&a.message_en)
    ));
    if let Some(l) = &a.live {
        body.push_str("<h2>当前状态 <span lang=\"en\">Status now</span></h2>\n<dl>\n");
        body.push_str(&format!(
            "<dt>状态 <span lang=\"en\">Status</span></dt><dd>{}<br><span lang=\"en\">{}</span></dd>\n",
            esc(&l.status.label_zh),
            esc(&l.status.label_en)
        ));
        body.push_str(&format!(
            "<dt>类别 <span lang=\"en\">Kind</span></dt><dd>{}{}</dd>\n",
            esc(&l.kind_zh),
            l.practitioner_kind
                .as_deref()
                .map(|k| format!("（{}）", kind_zh(k)))
                .unwrap_or_default()
        ));
        if let Some(n) = &l.masked_name {
            body.push_str(&format!(
                "<dt>姓名 <span lang=\"en\">Name</span></dt><dd>{}</dd>\n",
                esc(n)
            ));
        }
        body.push_str(&format!(
            "<dt>所属机构 <span lang=\"en\">Firm</span></dt><dd>{}<br><small>{}</small></dd>\n",
            esc(&l.provider_name),
            esc(&l.provider_code)
        ));
        body.push_str(&format!(
            "<dt>查询日期 <span lang=\"en\">Checked on</span></dt><dd>{}</dd>\n</dl>\n",
            esc(&l.status.on)
        ));
        if !l.status.reasons.is_empty() {
            body.push_str("<h2>未达绿码的原因 <span lang=\"en\">Why not green</span></h2>\n<ul>\n");
            for r in &l.status.reasons {
                body.push_str(&format!(
                    "<li>{}<br><span lang=\"en\">{}</span></li>\n",
                    esc(&r.zh),
                    esc(&r.en)
                ));
            }
            body.push_str("</ul>\n");
        }
        if !l.status.valid_until.is_empty() {
            body.push_str("<h2>有效期 <span lang=\"en\">Valid until</span></h2>\n<ul>\n");
            for r in &l.status.valid_until {
                let what = match r.item.as_str() {
                    "background_check" => "背景核查 Background check",
                    "health_check" => "健康体检 Health check",
                    "insurance" => "保险 Insurance",
                    _ => "",
                };
                body.push_str(&format!(
                    "<li>{what}：{}</li>\n",
                    esc(r.last_day.as_deref().unwrap_or(""))
                ));
            }
            body.push_str("</ul>\n");
        }
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>家政信用查询 Housekeeping credit check</title>\n<style>\nbody{{font-family:sans-serif;font-size:22px;line-height:1.5;margin:0 auto;max-width:40em;padding:1em;color:#111;background:#fff}}\nh1{{font-size:1.5em}}h2{{font-size:1.2em;margin-top:1.2em}}\n.badge{{font-size:2.6em;font-weight:bold;text-align:center;padding:.4em;border-radius:.3em;border:4px solid #000}}\n.badge .en{{font-size:.5em}}\ndt{{font-weight:bold;margin-top:.6em}}dd{{margin:0}}\nsmall,[lang=en]{{color:#333}}\n</style>\n</head>\n<body>\n<main>\n<h1>家政服务信用查询 <span lang=\"en\">Housekeeping credit check</span></h1>\n{body}<p><small>本页不显示身份证号、手机号等个人信息；每次查询均有记录。<br><span lang=\"en\">No ID number or phone number is shown; every check is logged.</span></small></p>\n</main>\n</body>\n</html>\n"
    )
}

/// GET /q/{token}: the scan page.
#[utoipa::path(get, path = "/q/{token}", tag = "housekeeping", params(("token" = String, Path, description = "The token text")),
    responses((status = 200, description = "The scan page", content_type = "text/html", body = String), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn scan_page(
    State(st): State<Arc<AppState>>,
    ci: Option<Extension<ConnectInfo<SocketAddr>>>,
    Path(text): Path<String>,
) -> ApiResult<Response> {
    let a = scan(&st, &text, "page", client_of(ci)).await?;
    let mut resp = (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        page(&a),
    )
        .into_response();
    resp.headers_mut().insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        ),
    );
    Ok(resp)
}

/// Filters of the scan log.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScanLogQuery {
    pub token_id: Option<String>,
    pub practitioner_id: Option<String>,
    /// A provider's USCC (provider staff: their own only).
    pub provider_code: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    pub page: web::PageQuery,
}

/// GET /api/housekeeping/scans.
#[utoipa::path(get, path = "/api/housekeeping/scans", tag = "housekeeping", params(ScanLogQuery, web::PageQuery),
    responses((status = 200, body = Paged<ScanRow>), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_scans(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Query(q): Query<ScanLogQuery>,
) -> ApiResult<Json<Paged<ScanRow>>> {
    let page = q.page.page()?;
    let practitioner = web::int_param("practitioner_id", &q.practitioner_id)?;
    let token_id = q
        .token_id
        .clone()
        .filter(|s| !s.is_empty())
        .map(|s| s.to_ascii_lowercase());
    let Some(provider) = scope_filter(&c, &q.provider_code) else {
        return Ok(Json(Paged::new(Vec::new(), 0, page)));
    };
    let wh = "WHERE ($1 IS NULL OR token_id = $1) AND ($2 IS NULL OR practitioner_id = $2) AND ($3 IS NULL OR provider_code = $3)";
    let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM hk_scans {wh}"))
        .bind(token_id.clone())
        .bind(practitioner)
        .bind(provider.clone())
        .fetch_one(st.store.pool())
        .await
        .map_err(StoreError::from)?;
    let rows = sqlx::query_as(&format!(
        "SELECT id, at, channel, token_id, subject, kind, provider_code, practitioner_id, outcome, colour, client_hash FROM hk_scans {wh} ORDER BY id DESC LIMIT $4 OFFSET $5"
    ))
    .bind(token_id)
    .bind(practitioner)
    .bind(provider)
    .bind(page.limit)
    .bind(page.offset)
    .fetch_all(st.store.pool())
    .await
    .map_err(StoreError::from)?;
    Ok(Json(Paged::new(rows, total, page)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_are_base64url_and_keyed() {
        let a = pseudonym(b"key-one", SubjectKind::Practitioner, "7", 0);
        let b = pseudonym(b"key-two", SubjectKind::Practitioner, "7", 0);
        let c = pseudonym(b"key-one", SubjectKind::Practitioner, "7", 1);
        assert_eq!(a.len(), 16);
        assert!(a
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert!(a != b && a != c);
        assert_eq!(longest_digit_run("ab12-345_678901x"), 11);
        assert_eq!(longest_digit_run("12345a12345"), 5);
    }

    #[test]
    fn the_page_escapes_what_it_shows() {
        let a = refusal("malformed", "<b>".into(), "a & b".into(), None, 0);
        let p = page(&a);
        assert!(p.contains("&lt;b&gt;") && p.contains("a &amp; b") && !p.contains("<b>"));
        assert!(p.contains("lang=\"zh-CN\"") && p.contains("无效"));
    }
}
