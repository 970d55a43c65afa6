//! 探访关爱与补贴 Care for elderly people in special difficulty (issue 11): the register and
//! entitlements ([`register`]), the subsidy ledger in double entry ([`ledger`]) and monthly
//! visits with referrals and the monthly visit rate ([`visits`]). The pure rules are
//! `lc_services::{care, ledger, visits}`'s; this module holds the endpoint table and what the
//! three share (the caller's reach, the month parameter).
//!
//! Scope: a community worker reaches the register entries, visits and referrals of their own
//! community; a resident their own register entry, balance and statements; provider staff their
//! provider's statement; regulators read everything and keep the entitlements; administrators
//! all. Personal fields (the resident's name, notes, the volunteer's name) are masked in lists
//! and given in full in one-record reads, which are logged in the access log for staff.

pub mod ledger;
pub mod register;
pub mod visits;

use std::sync::Arc;

use axum::Router;
use lc_registry::{Access, Role};
use lc_services::time::YearMonth;

use crate::auth::Caller;
use crate::endpoints::{ep, Endpoint, CSV, JSON, OWN_COMMUNITY, STAFF_WRITE};
use crate::error::{ApiResult, AppError};
use crate::AppState;

use Role::*;

const STAFF_READ: Access = Access::Roles(&[CommunityWorker, Regulator, Admin]);
const KEEPERS: Access = Access::Roles(&[CommunityWorker, Admin]);
const OWN_ENTRY: Access = Access::Roles(&[Resident, CommunityWorker, Regulator, Admin]);
const OWN_ENTRY_SCOPE: &str =
    "resident: only their own entry; community worker: only their own community";

/// The endpoints of the care domain.
pub const ENDPOINTS: &[Endpoint] = &[
    ep!("GET", "/api/care/categories", Access::Public, "", "care", "The categories of the register of elderly people in special difficulty.", None, JSON),
    ep!("GET", "/api/care/register", STAFF_READ, OWN_COMMUNITY, "care", "List the register (masked).", None, JSON),
    ep!("POST", "/api/care/register", KEEPERS, OWN_COMMUNITY, "care", "Enter a resident in the register.", Some(JSON), JSON),
    ep!("GET", "/api/care/register/{id}", OWN_ENTRY, OWN_ENTRY_SCOPE, "care", "One register entry (in full; staff reads are logged).", None, JSON),
    ep!("PATCH", "/api/care/register/{id}", KEEPERS, OWN_COMMUNITY, "care", "Change a register entry (If-Match: its version).", Some(JSON), JSON),
    ep!("GET", "/api/care/register/{id}/balance", OWN_ENTRY, OWN_ENTRY_SCOPE, "care", "A person's subsidy balances per service (sums of their postings).", None, JSON),
    ep!("GET", "/api/care/register/{id}/statement", OWN_ENTRY, OWN_ENTRY_SCOPE, "care", "A person's monthly subsidy statement (?month=YYYY-MM).", None, JSON),
    ep!("GET", "/api/care/register/{id}/statement.csv", OWN_ENTRY, OWN_ENTRY_SCOPE, "care", "A person's monthly subsidy statement as CSV.", None, CSV),
    ep!("GET", "/api/care/entitlements", Access::Authenticated, "", "care", "The entitlement rules per category and service.", None, JSON),
    ep!("POST", "/api/care/entitlements", STAFF_WRITE, "", "care", "Add an entitlement rule.", Some(JSON), JSON),
    ep!("PATCH", "/api/care/entitlements/{id}", STAFF_WRITE, "", "care", "Change an entitlement rule (If-Match: its version).", Some(JSON), JSON),
    ep!("POST", "/api/care/grants", STAFF_WRITE, "", "care", "Grant a month's subsidies to everyone registered in it (idempotent).", Some(JSON), JSON),
    ep!("GET", "/api/care/providers/{uscc}/statement", Access::Roles(&[ProviderStaff, Regulator, Admin]), "provider staff: only their own provider", "care", "What the district owes a provider for a month (?month=YYYY-MM).", None, JSON),
    ep!("GET", "/api/care/providers/{uscc}/statement.csv", Access::Roles(&[ProviderStaff, Regulator, Admin]), "provider staff: only their own provider", "care", "A provider's monthly statement as CSV.", None, CSV),
    ep!("GET", "/api/care/payables", STAFF_WRITE, "", "care", "What the district pays each provider for a month.", None, JSON),
    ep!("GET", "/api/care/payables.csv", STAFF_WRITE, "", "care", "What the district pays each provider for a month, as CSV.", None, CSV),
    ep!("GET", "/api/care/ledger/check", STAFF_WRITE, "", "care", "Checks the ledger: every journal sums to zero, no person's balance is negative, every booking's debit matches its journal.", None, JSON),
    ep!("GET", "/api/care/visits", STAFF_READ, OWN_COMMUNITY, "care", "List visit records (?month, ?register_id).", None, JSON),
    ep!("POST", "/api/care/visits", KEEPERS, OWN_COMMUNITY, "care", "Record a visit (EVV's six elements, outcome, needs).", Some(JSON), JSON),
    ep!("GET", "/api/care/visits/due", STAFF_READ, OWN_COMMUNITY, "care", "Who is due a visit in a month, whether visited, by whom assigned.", None, JSON),
    ep!("GET", "/api/care/visits/missed", STAFF_READ, OWN_COMMUNITY, "care", "Missed visits: due in a month that is over, not visited.", None, JSON),
    ep!("GET", "/api/care/visits/{id}", STAFF_READ, OWN_COMMUNITY, "care", "One visit record (staff reads are logged).", None, JSON),
    ep!("POST", "/api/care/visits/{id}/referrals", KEEPERS, OWN_COMMUNITY, "care", "Turn a need found on a visit into a referral.", Some(JSON), JSON),
    ep!("GET", "/api/care/referrals", STAFF_READ, OWN_COMMUNITY, "care", "List referrals.", None, JSON),
    ep!("GET", "/api/care/visit-rate", STAFF_READ, "", "care", "The monthly visit rate per community, street, district, city and province.", None, JSON),
    ep!("GET", "/api/care/visit-rate.csv", STAFF_READ, "", "care", "The monthly visit rate as CSV (region_code, level, due, visited, rate): the assessment's GS21.", None, CSV),
];

/// The routes of the care domain.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .merge(register::routes())
        .merge(ledger::routes())
        .merge(visits::routes())
}

/// The month of a query (`YYYY-MM`), the present month in Asia/Shanghai when absent.
/// `month` as `YYYY-MM`; this month (Asia/Shanghai, by the server's clock `now`) when absent.
pub fn month_param(v: &Option<String>, now: i64) -> ApiResult<YearMonth> {
    match v.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => s.parse().map_err(|_| {
            AppError::bad_request(
                format!("month 应为 YYYY-MM：{s}"),
                format!("month must be YYYY-MM: {s}"),
            )
        }),
        None => YearMonth::of_instant(now).map_err(AppError::internal),
    }
}

/// Whether a record of community `community_id` (of resident account `user_id`) is within the
/// caller's reach.
pub fn may_reach(c: &Caller, community_id: &str, user_id: Option<i64>) -> bool {
    match &c.user {
        Some(u) if u.role == CommunityWorker => u.community_id.as_deref() == Some(community_id),
        Some(u) if u.role == Resident => user_id == Some(u.id),
        Some(u) if u.role == ProviderStaff => false,
        Some(_) => true,
        None => false,
    }
}

/// The community a caller's lists are restricted to (`Some("")` reaches nothing).
pub fn community_scope(c: &Caller) -> Option<String> {
    match &c.user {
        Some(u) if u.role == CommunityWorker => Some(u.community_id.clone().unwrap_or_default()),
        _ => None,
    }
}

/// A record id of a path (404 when it is not a number).
pub fn path_id(what: &str, id: &str) -> ApiResult<i64> {
    id.parse::<i64>()
        .ok()
        .filter(|x| *x > 0)
        .ok_or_else(|| AppError::not_found(what, id))
}

/// A JSON object body read into `T` (not a registry input): a wrong field or type is 422
/// `invalid_body`, as for the registry's inputs.
pub fn parse_body<T: serde::de::DeserializeOwned>(body: &axum::body::Bytes) -> ApiResult<T> {
    let v = serde_json::Value::Object(crate::web::json_object(body)?);
    serde_json::from_value(v).map_err(|e| {
        AppError::validation(vec![lc_registry::FieldError {
            field: "body".into(),
            code: "invalid_body",
            message_zh: format!("请求体字段类型或名称错误：{e}"),
            message_en: format!("the body has a wrong field or type: {e}"),
        }])
    })
}
