//! The subsidy ledger in double entry, in the database: accounts (`care_accounts`), journals
//! (`care_journals`, one per unique `journal_key`), postings (`care_postings`), and one row per
//! booking's debit (`care_booking_debits`). The rules are `lc_services::ledger`'s: every
//! journal is built and checked there (postings sum to zero) before it is written; a balance
//! is always computed as the sum of the account's postings, never stored.
//!
//! Idempotence lives in the database: a month's grant of a person's service, a booking's debit
//! and its reversal each have a unique `journal_key`, and each booking one `care_booking_debits`
//! row. A concurrent second call waits for the first one's row (PostgreSQL's unique index; one
//! writer on SQLite) and then answers the first call's amount.
//!
//! **Which debits the subsidy pays.** A booking's service is paid from the person's subsidy for
//! that service type when the person is in the register on the service's date (Asia/Shanghai):
//! the price, at most the balance, at most the cap per service of the rule granted last
//! (`lc_services::ledger::debit_amount`). Balances carry over from month to month.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use lc_registry::Uscc;
use lc_services::care::{best_rules, is_service_key};
use lc_services::ledger::{debit_amount, Account, Journal};
use lc_services::money::MAX_AMOUNT_FEN;
use lc_services::time::{local_date, parse_date, YearMonth};
use lc_services::visits::is_due;
use lc_store::sqlx::{self, AnyConnection};
use lc_store::{from_row, now_ms, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::bulk;
use crate::domains::registry::{communities, own_provider};
use crate::error::{ApiResult, AppError};
use crate::web;
use crate::AppState;

use super::{month_param, register};

/// The routes of the ledger.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/care/grants", post(grant))
        .route("/api/care/register/{id}/balance", get(balance))
        .route("/api/care/register/{id}/statement", get(person_statement))
        .route(
            "/api/care/register/{id}/statement.csv",
            get(person_statement_csv),
        )
        .route(
            "/api/care/providers/{uscc}/statement",
            get(provider_statement),
        )
        .route(
            "/api/care/providers/{uscc}/statement.csv",
            get(provider_statement_csv),
        )
        .route("/api/care/payables", get(payables))
        .route("/api/care/payables.csv", get(payables_csv))
        .route("/api/care/ledger/check", get(check))
}

// --- Writing journals ------------------------------------------------------------------------

/// What a journal records beside its postings.
#[derive(Debug, Clone, Default)]
struct Meta {
    month: String,
    at_ms: i64,
    resident_id: Option<i64>,
    service: Option<String>,
    provider_uscc: Option<String>,
    booking_id: Option<i64>,
    actor_id: Option<i64>,
}

async fn ensure_account(conn: &mut AnyConnection, a: &Account) -> Result<(), StoreError> {
    let (resident, service, provider) = match a {
        Account::Fund(_) => (None, None, None),
        Account::Person {
            resident_id,
            service,
        } => (Some(*resident_id), Some(service.clone()), None),
        Account::Provider(u) => (None, None, Some(u.clone())),
    };
    sqlx::query(
        "INSERT INTO care_accounts (account, kind, resident_id, service, provider_uscc, cap_fen, created_at, version) VALUES ($1, $2, $3, $4, $5, NULL, $6, 0) ON CONFLICT (account) DO NOTHING",
    )
    .bind(a.key())
    .bind(a.kind().to_string())
    .bind(resident)
    .bind(service)
    .bind(provider)
    .bind(now_ms())
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes a checked journal under its unique key; its id, or `None` when the key was taken
/// (then nothing is written).
async fn post_journal(
    conn: &mut AnyConnection,
    key: &str,
    j: &Journal,
    m: &Meta,
) -> Result<Option<i64>, StoreError> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO care_journals (journal_key, kind, month, at_ms, resident_id, service, provider_uscc, booking_id, amount, actor_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (journal_key) DO NOTHING RETURNING id",
    )
    .bind(key.to_string())
    .bind(j.kind.key().to_string())
    .bind(m.month.clone())
    .bind(m.at_ms)
    .bind(m.resident_id)
    .bind(m.service.clone())
    .bind(m.provider_uscc.clone())
    .bind(m.booking_id)
    .bind(j.amount())
    .bind(m.actor_id)
    .bind(now_ms())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(id) = id else { return Ok(None) };
    for p in &j.postings {
        ensure_account(conn, &p.account).await?;
        sqlx::query("INSERT INTO care_postings (journal_id, account, amount, month, at_ms) VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(p.account.key())
            .bind(p.amount)
            .bind(m.month.clone())
            .bind(m.at_ms)
            .execute(&mut *conn)
            .await?;
    }
    Ok(Some(id))
}

/// An account's balance: the sum of its postings.
pub async fn balance_of(conn: &mut AnyConnection, account: &str) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM care_postings WHERE account = $1",
    )
    .bind(account.to_string())
    .fetch_one(conn)
    .await?)
}

fn ledger_error(e: lc_services::ledger::LedgerError) -> AppError {
    AppError::internal(e)
}

// --- The interface of bookings ---------------------------------------------------------------

/// A completed subsidised service to debit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingDebit {
    pub resident_id: i64,
    pub provider_uscc: String,
    pub booking_id: i64,
    pub service: String,
    pub amount_fen: i64,
    pub at_ms: i64,
}

fn bad_debit(field: &str, zh: String, en: String) -> AppError {
    AppError::field(field, "invalid_debit", zh, en)
}

/// Debits min(amount, available balance for that service, the rule's cap per service) from the
/// person's subsidy to the provider's payable; returns the amount actually debited (0 when the
/// person is not in the register on the service's date or has nothing for that service).
/// Idempotent per booking: a second call for the same `booking_id` returns the first call's
/// amount without a new entry (unique in the database; a concurrent second call waits for the
/// first one's transaction). Runs on the caller's write transaction (`Tx::conn()`).
pub async fn debit_for_booking(
    conn: &mut sqlx::AnyConnection,
    d: &BookingDebit,
) -> Result<i64, AppError> {
    if d.booking_id <= 0 {
        return Err(bad_debit(
            "booking_id",
            format!("booking_id 应为正整数：{}", d.booking_id),
            format!("booking_id must be positive: {}", d.booking_id),
        ));
    }
    if !(0..=MAX_AMOUNT_FEN).contains(&d.amount_fen) {
        return Err(bad_debit(
            "amount_fen",
            format!("金额超出范围：{}", d.amount_fen),
            format!("amount out of range: {}", d.amount_fen),
        ));
    }
    if !is_service_key(&d.service) {
        return Err(bad_debit(
            "service",
            format!("服务类型无效：{}", d.service),
            format!("invalid service type: {}", d.service),
        ));
    }
    let uscc = Uscc::parse(&d.provider_uscc).map_err(|e| {
        bad_debit(
            "provider_uscc",
            format!("统一社会信用代码无效：{e}"),
            format!("invalid provider code: {e}"),
        )
    })?;
    let month = YearMonth::of_instant(d.at_ms).map_err(|e| {
        bad_debit(
            "at_ms",
            format!("时间超出范围：{e}"),
            format!("time out of range: {e}"),
        )
    })?;
    let inserted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO care_booking_debits (booking_id, resident_id, service, provider_uscc, amount, created_at) VALUES ($1, $2, $3, $4, 0, $5) ON CONFLICT (booking_id) DO NOTHING RETURNING booking_id",
    )
    .bind(d.booking_id)
    .bind(d.resident_id)
    .bind(d.service.clone())
    .bind(uscc.as_str().to_string())
    .bind(now_ms())
    .fetch_optional(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    if inserted.is_none() {
        let first: i64 =
            sqlx::query_scalar("SELECT amount FROM care_booking_debits WHERE booking_id = $1")
                .bind(d.booking_id)
                .fetch_one(&mut *conn)
                .await
                .map_err(StoreError::from)?;
        return Ok(first);
    }
    // In the register on the service's date?
    let Some(entry) = register::of_resident(&mut *conn, d.resident_id).await? else {
        return Ok(0);
    };
    let day = local_date(d.at_ms).map_err(AppError::internal)?;
    let since = parse_date(&entry.since_date).map_err(AppError::internal)?;
    let until = match &entry.until_date {
        Some(u) => Some(parse_date(u).map_err(AppError::internal)?),
        None => None,
    };
    if day < since || until.is_some_and(|u| day > u) {
        return Ok(0);
    }
    let person = Account::Person {
        resident_id: d.resident_id,
        service: d.service.clone(),
    };
    // Lock the person's account row (PostgreSQL), so that concurrent debits of one account
    // read the balance one after the other.
    let locked = sqlx::query("UPDATE care_accounts SET version = version + 1 WHERE account = $1")
        .bind(person.key())
        .execute(&mut *conn)
        .await
        .map_err(StoreError::from)?
        .rows_affected();
    if locked == 0 {
        return Ok(0);
    }
    let cap: Option<i64> =
        sqlx::query_scalar("SELECT cap_fen FROM care_accounts WHERE account = $1")
            .bind(person.key())
            .fetch_one(&mut *conn)
            .await
            .map_err(StoreError::from)?;
    let available = balance_of(conn, &person.key()).await?;
    let amount = debit_amount(d.amount_fen, available, cap);
    if amount == 0 {
        return Ok(0);
    }
    let j = Journal::debit(person, Account::Provider(uscc.as_str().to_string()), amount)
        .map_err(ledger_error)?;
    let meta = Meta {
        month: month.to_string(),
        at_ms: d.at_ms,
        resident_id: Some(d.resident_id),
        service: Some(d.service.clone()),
        provider_uscc: Some(uscc.as_str().to_string()),
        booking_id: Some(d.booking_id),
        actor_id: None,
    };
    let jid = post_journal(conn, &format!("debit:booking:{}", d.booking_id), &j, &meta)
        .await?
        .ok_or_else(|| {
            AppError::internal(format!(
                "booking {} has a debit journal without its row",
                d.booking_id
            ))
        })?;
    sqlx::query(
        "UPDATE care_booking_debits SET amount = $2, debit_journal_id = $3 WHERE booking_id = $1",
    )
    .bind(d.booking_id)
    .bind(amount)
    .bind(jid)
    .execute(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    Ok(amount)
}

/// Reverses the booking's debit if there is one (idempotent likewise: a second call returns the
/// first one's amount without a new entry); returns the amount given back (0 when nothing was
/// debited). The reversal is posted in the month of `at_ms` (Asia/Shanghai).
pub async fn reverse_for_booking(
    conn: &mut sqlx::AnyConnection,
    booking_id: i64,
    at_ms: i64,
) -> Result<i64, AppError> {
    let month = YearMonth::of_instant(at_ms).map_err(|e| {
        bad_debit(
            "at_ms",
            format!("时间超出范围：{e}"),
            format!("time out of range: {e}"),
        )
    })?;
    let marked = sqlx::query("UPDATE care_booking_debits SET reversed_at = $2 WHERE booking_id = $1 AND reversed_at IS NULL")
        .bind(booking_id)
        .bind(at_ms)
        .execute(&mut *conn)
        .await
        .map_err(StoreError::from)?
        .rows_affected();
    let row: Option<(i64, Option<i64>, i64, String, String)> = sqlx::query_as(
        "SELECT amount, debit_journal_id, resident_id, service, provider_uscc FROM care_booking_debits WHERE booking_id = $1",
    )
    .bind(booking_id)
    .fetch_optional(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    let Some((amount, journal, resident_id, service, provider)) = row else {
        return Ok(0);
    };
    if marked == 0 {
        return Ok(amount);
    }
    let Some(jid) = journal.filter(|_| amount > 0) else {
        return Ok(0);
    };
    let postings: Vec<(String, i64)> = sqlx::query_as(
        "SELECT account, amount FROM care_postings WHERE journal_id = $1 ORDER BY id",
    )
    .bind(jid)
    .fetch_all(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    let person = Account::Person {
        resident_id,
        service: service.clone(),
    };
    let shop = Account::Provider(provider.clone());
    let debit = Journal::debit(person.clone(), shop.clone(), amount).map_err(ledger_error)?;
    // The stored journal must be the debit it says it is.
    let stored: Vec<(String, i64)> = debit
        .postings
        .iter()
        .map(|p| (p.account.key(), p.amount))
        .collect();
    if stored != postings {
        return Err(AppError::internal(format!(
            "booking {booking_id}'s debit journal {jid} differs from its row"
        )));
    }
    let reversal = Journal::reversal(&debit).map_err(ledger_error)?;
    let meta = Meta {
        month: month.to_string(),
        at_ms,
        resident_id: Some(resident_id),
        service: Some(service),
        provider_uscc: Some(provider),
        booking_id: Some(booking_id),
        actor_id: None,
    };
    let rid = post_journal(
        conn,
        &format!("reversal:booking:{booking_id}"),
        &reversal,
        &meta,
    )
    .await?;
    sqlx::query("UPDATE care_booking_debits SET reversal_journal_id = $2 WHERE booking_id = $1")
        .bind(booking_id)
        .bind(rid)
        .execute(&mut *conn)
        .await
        .map_err(StoreError::from)?;
    Ok(amount)
}

// --- Grants -----------------------------------------------------------------------------------

/// A month to grant.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantRequest {
    /// `YYYY-MM` (not after the present month).
    pub month: String,
}

/// What a grant run did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GrantResult {
    pub month: String,
    /// Persons registered in the month with at least one rule.
    pub persons: u64,
    /// Grants made now.
    pub granted: u64,
    /// Grants found made before (not made again).
    pub already_granted: u64,
    /// Fen granted now.
    pub amount_fen: i64,
}

/// POST /api/care/grants: every person registered in the month (on any day of it) gets, per
/// service, the most generous rule of their categories, once (`grant:{month}:{resident}:{service}`
/// is unique).
#[utoipa::path(post, path = "/api/care/grants", tag = "care", request_body = GrantRequest,
    responses((status = 200, body = GrantResult), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn grant(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> ApiResult<Json<GrantResult>> {
    let req: GrantRequest = web::json_body(&body)?;
    let month: YearMonth = req.month.parse().map_err(|_| {
        AppError::field(
            "month",
            "invalid_month",
            format!("month 应为 YYYY-MM：{}", req.month),
            format!("month must be YYYY-MM: {}", req.month),
        )
    })?;
    let present = YearMonth::of_instant(st.clock.now_ms()).map_err(AppError::internal)?;
    if month > present {
        return Err(AppError::field(
            "month",
            "future_month",
            format!("不能预先发放 {month} 的补贴"),
            format!("{month} is in the future; grants are made in or after their month"),
        ));
    }
    let mut tx = st.store.begin().await?;
    let rules: Vec<_> = register::all_entitlements(tx.conn())
        .await?
        .iter()
        .map(|r| r.rule())
        .collect();
    let entries = register::all_rows(tx.conn(), None).await?;
    let mut divisions: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut out = GrantResult {
        month: month.to_string(),
        persons: 0,
        granted: 0,
        already_granted: 0,
        amount_fen: 0,
    };
    let at = st.clock.now_ms();
    for e in entries {
        let entry = e.entry()?;
        if !is_due(entry.since, entry.until, month) {
            continue;
        }
        let best = best_rules(&entry.categories, &rules);
        if best.values().all(|r| r.monthly_fen == 0) {
            continue;
        }
        out.persons += 1;
        if !divisions.contains_key(&e.community_id) {
            let code = communities::get_row(tx.conn(), &e.community_id)
                .await?
                .and_then(|c| c.division_code);
            divisions.insert(e.community_id.clone(), code);
        }
        let fund = Account::fund_of(divisions.get(&e.community_id).and_then(|d| d.as_deref()));
        for (service, rule) in best.into_iter().filter(|(_, r)| r.monthly_fen > 0) {
            let person = Account::Person {
                resident_id: e.resident_id,
                service: service.clone(),
            };
            let j = Journal::grant(fund.clone(), person.clone(), rule.monthly_fen)
                .map_err(ledger_error)?;
            let meta = Meta {
                month: month.to_string(),
                at_ms: at,
                resident_id: Some(e.resident_id),
                service: Some(service.clone()),
                actor_id: c.user.as_ref().map(|u| u.id),
                ..Meta::default()
            };
            let key = format!("grant:{month}:{}:{service}", e.resident_id);
            match post_journal(tx.conn(), &key, &j, &meta).await? {
                Some(_) => {
                    sqlx::query("UPDATE care_accounts SET cap_fen = $2 WHERE account = $1")
                        .bind(person.key())
                        .bind(rule.per_service_cap_fen)
                        .execute(tx.conn())
                        .await
                        .map_err(StoreError::from)?;
                    out.granted += 1;
                    out.amount_fen += rule.monthly_fen;
                }
                None => out.already_granted += 1,
            }
        }
    }
    tx.audit(&c.actor(), "grant", "care_ledger", &month.to_string(), json!({"persons": out.persons, "granted": out.granted, "already_granted": out.already_granted, "amount_fen": out.amount_fen})).await?;
    tx.commit().await?;
    Ok(Json(out))
}

// --- Balances and statements ------------------------------------------------------------------

/// One service's balance.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ServiceBalance {
    pub service: String,
    /// The sum of the account's postings.
    pub balance_fen: i64,
    /// At most this much per service (the rule granted last).
    pub cap_fen: Option<i64>,
}

/// A person's balances.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Balances {
    pub register_id: i64,
    pub resident_id: i64,
    pub items: Vec<ServiceBalance>,
    pub total_fen: i64,
}

/// GET /api/care/register/{id}/balance.
#[utoipa::path(get, path = "/api/care/register/{id}/balance", tag = "care", params(("id" = i64, Path)),
    responses((status = 200, body = Balances), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn balance(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Balances>> {
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let (entry, _) = register::reachable(&mut conn, &c, &id).await?;
    let rows: Vec<(String, Option<i64>, i64)> = sqlx::query_as(
        "SELECT a.service, a.cap_fen, CAST(COALESCE(SUM(p.amount), 0) AS BIGINT) FROM care_accounts a LEFT JOIN care_postings p ON p.account = a.account WHERE a.kind = 'person' AND a.resident_id = $1 GROUP BY a.account, a.service, a.cap_fen ORDER BY a.service",
    )
    .bind(entry.resident_id)
    .fetch_all(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    let items: Vec<ServiceBalance> = rows
        .into_iter()
        .map(|(service, cap_fen, balance_fen)| ServiceBalance {
            service,
            balance_fen,
            cap_fen,
        })
        .collect();
    Ok(Json(Balances {
        register_id: entry.id,
        resident_id: entry.resident_id,
        total_fen: items.iter().map(|b| b.balance_fen).sum(),
        items,
    }))
}

/// One line of a statement: one posting to the account.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StatementLine {
    pub journal_id: i64,
    /// `grant`, `debit` or `reversal`.
    pub kind: String,
    /// When (ms since the epoch) and the date in Asia/Shanghai.
    pub at_ms: i64,
    pub date: String,
    pub service: Option<String>,
    pub resident_id: Option<i64>,
    pub provider_uscc: Option<String>,
    pub booking_id: Option<i64>,
    /// Into the account (+) or out of it (−), fen.
    pub amount_fen: i64,
}

#[derive(Debug)]
struct LineRow {
    journal_id: i64,
    kind: String,
    at_ms: i64,
    service: Option<String>,
    resident_id: Option<i64>,
    provider_uscc: Option<String>,
    booking_id: Option<i64>,
    amount: i64,
}
from_row!(LineRow {
    journal_id,
    kind,
    at_ms,
    service,
    resident_id,
    provider_uscc,
    booking_id,
    amount
});

impl LineRow {
    fn line(self) -> StatementLine {
        StatementLine {
            date: local_date(self.at_ms)
                .map(|d| d.to_string())
                .unwrap_or_default(),
            journal_id: self.journal_id,
            kind: self.kind,
            at_ms: self.at_ms,
            service: self.service,
            resident_id: self.resident_id,
            provider_uscc: self.provider_uscc,
            booking_id: self.booking_id,
            amount_fen: self.amount,
        }
    }
}

const LINE_COLS: &str = "p.journal_id AS journal_id, j.kind AS kind, p.at_ms AS at_ms, j.service AS service, j.resident_id AS resident_id, j.provider_uscc AS provider_uscc, j.booking_id AS booking_id, p.amount AS amount";

/// One account's (or service's) month.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StatementAccount {
    pub account: String,
    pub service: Option<String>,
    /// Balance at the start of the month.
    pub opening_fen: i64,
    pub granted_fen: i64,
    /// Debited (as a positive number).
    pub debited_fen: i64,
    pub reversed_fen: i64,
    /// opening + granted − debited + reversed (for a provider: opening + debited − reversed).
    pub closing_fen: i64,
}

/// A monthly statement.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Statement {
    pub month: String,
    /// `person` or `provider`.
    pub holder: String,
    /// The resident id or the provider's code.
    pub holder_id: String,
    pub accounts: Vec<StatementAccount>,
    pub lines: Vec<StatementLine>,
    pub opening_fen: i64,
    pub closing_fen: i64,
    /// For a provider: what the district pays it for the month (debits − reversals).
    pub payable_fen: Option<i64>,
}

async fn statement_of(
    conn: &mut AnyConnection,
    month: YearMonth,
    accounts: Vec<(String, Option<String>)>,
    holder: &str,
    holder_id: String,
) -> ApiResult<Statement> {
    let m = month.to_string();
    let mut st = Statement {
        month: m.clone(),
        holder: holder.into(),
        holder_id,
        accounts: Vec::new(),
        lines: Vec::new(),
        opening_fen: 0,
        closing_fen: 0,
        payable_fen: None,
    };
    for (account, service) in accounts {
        let opening: i64 = sqlx::query_scalar("SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM care_postings WHERE account = $1 AND month < $2")
            .bind(account.clone())
            .bind(m.clone())
            .fetch_one(&mut *conn)
            .await
            .map_err(StoreError::from)?;
        let rows: Vec<LineRow> = sqlx::query_as(&format!("SELECT {LINE_COLS} FROM care_postings p JOIN care_journals j ON j.id = p.journal_id WHERE p.account = $1 AND p.month = $2 ORDER BY p.id"))
            .bind(account.clone())
            .bind(m.clone())
            .fetch_all(&mut *conn)
            .await
            .map_err(StoreError::from)?;
        let mut a = StatementAccount {
            account,
            service,
            opening_fen: opening,
            granted_fen: 0,
            debited_fen: 0,
            reversed_fen: 0,
            closing_fen: opening,
        };
        for r in rows {
            match r.kind.as_str() {
                "grant" => a.granted_fen += r.amount,
                "debit" => a.debited_fen += r.amount.abs(),
                _ => a.reversed_fen += r.amount.abs(),
            }
            a.closing_fen += r.amount;
            st.lines.push(r.line());
        }
        st.opening_fen += a.opening_fen;
        st.closing_fen += a.closing_fen;
        st.accounts.push(a);
    }
    Ok(st)
}

async fn person_statement_of(
    st: &AppState,
    c: &Caller,
    id: &str,
    month: YearMonth,
) -> ApiResult<Statement> {
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let (entry, _) = register::reachable(&mut conn, c, id).await?;
    let accounts: Vec<(String, Option<String>)> = sqlx::query_as("SELECT account, service FROM care_accounts WHERE kind = 'person' AND resident_id = $1 ORDER BY service")
        .bind(entry.resident_id)
        .fetch_all(&mut *conn)
        .await
        .map_err(StoreError::from)?;
    statement_of(
        &mut conn,
        month,
        accounts,
        "person",
        entry.resident_id.to_string(),
    )
    .await
}

async fn provider_statement_of(
    st: &AppState,
    c: &Caller,
    uscc: &str,
    month: YearMonth,
) -> ApiResult<Statement> {
    if !own_provider(c, Some(uscc)) {
        return Err(web::forbidden_record("provider statement"));
    }
    let code = Uscc::parse(uscc).map_err(|_| AppError::not_found("provider", uscc))?;
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let account = Account::Provider(code.as_str().to_string()).key();
    let mut s = statement_of(
        &mut conn,
        month,
        vec![(account, None)],
        "provider",
        code.as_str().to_string(),
    )
    .await?;
    s.payable_fen = Some(s.closing_fen - s.opening_fen);
    Ok(s)
}

/// Query naming a month (`YYYY-MM`; the present month in Asia/Shanghai when absent).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MonthQuery {
    /// `YYYY-MM`.
    pub month: Option<String>,
}

const LINE_CSV: &[&str] = &[
    "month",
    "date",
    "kind",
    "service",
    "resident_id",
    "provider_uscc",
    "booking_id",
    "journal_id",
    "amount_fen",
    "amount_yuan",
];

fn statement_csv(s: &Statement, name: &str) -> ApiResult<Response> {
    let rows: Vec<Value> = s
        .lines
        .iter()
        .map(|l| {
            let mut v = serde_json::to_value(l).unwrap_or(Value::Null);
            v["month"] = json!(s.month);
            v["amount_yuan"] = json!(lc_services::money::yuan(l.amount_fen));
            v
        })
        .collect();
    bulk::csv_of_values(name, LINE_CSV, &rows)
}

/// GET /api/care/register/{id}/statement.
#[utoipa::path(get, path = "/api/care/register/{id}/statement", tag = "care", params(("id" = i64, Path), MonthQuery),
    responses((status = 200, body = Statement), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn person_statement(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    Query(q): Query<MonthQuery>,
) -> ApiResult<Json<Statement>> {
    let month = month_param(&q.month, st.clock.now_ms())?;
    Ok(Json(person_statement_of(&st, &c, &id, month).await?))
}

/// GET /api/care/register/{id}/statement.csv: the month's lines.
#[utoipa::path(get, path = "/api/care/register/{id}/statement.csv", tag = "care", params(("id" = i64, Path), MonthQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn person_statement_csv(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    Query(q): Query<MonthQuery>,
) -> ApiResult<Response> {
    let month = month_param(&q.month, st.clock.now_ms())?;
    let s = person_statement_of(&st, &c, &id, month).await?;
    statement_csv(&s, &format!("statement-{}-{month}.csv", s.holder_id))
}

/// GET /api/care/providers/{uscc}/statement.
#[utoipa::path(get, path = "/api/care/providers/{uscc}/statement", tag = "care", params(("uscc" = String, Path), MonthQuery),
    responses((status = 200, body = Statement), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn provider_statement(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(uscc): Path<String>,
    Query(q): Query<MonthQuery>,
) -> ApiResult<Json<Statement>> {
    let month = month_param(&q.month, st.clock.now_ms())?;
    Ok(Json(provider_statement_of(&st, &c, &uscc, month).await?))
}

/// GET /api/care/providers/{uscc}/statement.csv.
#[utoipa::path(get, path = "/api/care/providers/{uscc}/statement.csv", tag = "care", params(("uscc" = String, Path), MonthQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn provider_statement_csv(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(uscc): Path<String>,
    Query(q): Query<MonthQuery>,
) -> ApiResult<Response> {
    let month = month_param(&q.month, st.clock.now_ms())?;
    let s = provider_statement_of(&st, &c, &uscc, month).await?;
    statement_csv(
        &s,
        &format!("provider-statement-{}-{month}.csv", s.holder_id),
    )
}

/// What the district pays one provider for a month.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Payable {
    pub provider_uscc: String,
    pub debited_fen: i64,
    pub reversed_fen: i64,
    /// debited − reversed.
    pub payable_fen: i64,
}

/// Every provider's payable for a month.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Payables {
    pub month: String,
    pub items: Vec<Payable>,
    pub total_fen: i64,
}

async fn payables_of(st: &AppState, month: YearMonth) -> ApiResult<Payables> {
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT a.provider_uscc, CAST(COALESCE(SUM(CASE WHEN p.amount > 0 THEN p.amount ELSE 0 END), 0) AS BIGINT), CAST(COALESCE(SUM(CASE WHEN p.amount < 0 THEN -p.amount ELSE 0 END), 0) AS BIGINT) FROM care_postings p JOIN care_accounts a ON a.account = p.account WHERE a.kind = 'provider' AND p.month = $1 GROUP BY a.provider_uscc ORDER BY a.provider_uscc",
    )
    .bind(month.to_string())
    .fetch_all(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    let items: Vec<Payable> = rows
        .into_iter()
        .map(|(provider_uscc, d, r)| Payable {
            provider_uscc,
            debited_fen: d,
            reversed_fen: r,
            payable_fen: d - r,
        })
        .collect();
    Ok(Payables {
        month: month.to_string(),
        total_fen: items.iter().map(|p| p.payable_fen).sum(),
        items,
    })
}

/// GET /api/care/payables.
#[utoipa::path(get, path = "/api/care/payables", tag = "care", params(MonthQuery),
    responses((status = 200, body = Payables), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn payables(
    State(st): State<Arc<AppState>>,
    Query(q): Query<MonthQuery>,
) -> ApiResult<Json<Payables>> {
    Ok(Json(
        payables_of(&st, month_param(&q.month, st.clock.now_ms())?).await?,
    ))
}

/// GET /api/care/payables.csv.
#[utoipa::path(get, path = "/api/care/payables.csv", tag = "care", params(MonthQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn payables_csv(
    State(st): State<Arc<AppState>>,
    Query(q): Query<MonthQuery>,
) -> ApiResult<Response> {
    let month = month_param(&q.month, st.clock.now_ms())?;
    let p = payables_of(&st, month).await?;
    let rows: Vec<Value> = p
        .items
        .iter()
        .map(|x| {
            let mut v = serde_json::to_value(x).unwrap_or(Value::Null);
            v["month"] = json!(p.month);
            v["payable_yuan"] = json!(lc_services::money::yuan(x.payable_fen));
            v
        })
        .collect();
    bulk::csv_of_values(
        &format!("payables-{month}.csv"),
        &[
            "month",
            "provider_uscc",
            "debited_fen",
            "reversed_fen",
            "payable_fen",
            "payable_yuan",
        ],
        &rows,
    )
}

/// The ledger's check.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LedgerCheck {
    /// Nothing found wrong.
    pub ok: bool,
    pub journals: i64,
    pub postings: i64,
    /// Journals whose postings do not sum to zero.
    pub unbalanced_journals: Vec<i64>,
    /// Person accounts whose balance (sum of postings) is negative.
    pub negative_accounts: Vec<String>,
    /// Bookings whose recorded amount differs from their debit journal's.
    pub mismatched_bookings: Vec<i64>,
}

/// Checks the whole ledger (a read).
pub async fn check_ledger(conn: &mut AnyConnection) -> Result<LedgerCheck, StoreError> {
    let journals: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM care_journals")
        .fetch_one(&mut *conn)
        .await?;
    let postings: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM care_postings")
        .fetch_one(&mut *conn)
        .await?;
    let unbalanced_journals: Vec<i64> = sqlx::query_scalar(
        "SELECT j.id FROM care_journals j LEFT JOIN care_postings p ON p.journal_id = j.id GROUP BY j.id, j.amount HAVING COALESCE(SUM(p.amount), 0) <> 0 OR COUNT(p.id) < 2 OR COALESCE(SUM(CASE WHEN p.amount > 0 THEN p.amount ELSE 0 END), 0) <> j.amount ORDER BY j.id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let negative_accounts: Vec<String> = sqlx::query_scalar(
        "SELECT p.account FROM care_postings p JOIN care_accounts a ON a.account = p.account WHERE a.kind = 'person' GROUP BY p.account HAVING SUM(p.amount) < 0 ORDER BY p.account",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mismatched_bookings: Vec<i64> = sqlx::query_scalar(
        "SELECT b.booking_id FROM care_booking_debits b LEFT JOIN care_journals j ON j.id = b.debit_journal_id WHERE (b.amount > 0 AND (j.id IS NULL OR j.amount <> b.amount)) OR (b.amount = 0 AND b.debit_journal_id IS NOT NULL) ORDER BY b.booking_id",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(LedgerCheck {
        ok: unbalanced_journals.is_empty()
            && negative_accounts.is_empty()
            && mismatched_bookings.is_empty(),
        journals,
        postings,
        unbalanced_journals,
        negative_accounts,
        mismatched_bookings,
    })
}

/// GET /api/care/ledger/check.
#[utoipa::path(get, path = "/api/care/ledger/check", tag = "care",
    responses((status = 200, body = LedgerCheck), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn check(State(st): State<Arc<AppState>>) -> ApiResult<Json<LedgerCheck>> {
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    Ok(Json(check_ledger(&mut conn).await?))
}
