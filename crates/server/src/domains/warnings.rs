//! Early warnings (预警, issue 13 item 5): the rules of `lc_credit::warning` evaluated over the
//! platform's data — practitioners' certificates (health certificates) and administrative
//! licences expiring, 差评 cases and spot-check rectifications past their deadline, spot-check
//! results due for publication, enterprises whose credit-risk class dropped, a 差评 rate over its
//! threshold in a rolling window, a spike of 差评 cases against the window before, communities
//! whose monthly visit rate was below target last month, communities with shortcomings in the
//! latest assessment. Each condition has a stable key;
//! the database keeps one open warning per key (`warnings_one_open`), so evaluating twice, or
//! from two places at once, raises nothing twice. A warning is assigned (the provider's staff,
//! the community's workers for a community's own monthly visit rate, or the regulator), has a
//! deadline, is acknowledged and resolved (the community's workers resolve theirs); one whose
//! condition no longer holds is resolved by the next evaluation. New warnings go to the outbox
//! for the provider or the community and
//! the regulators. Evaluated by the server's hourly job and on demand.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use jiff::civil::Date;
use jiff::ToSpan;
use lc_credit::warning::{self, Assignee, Rule};
use lc_registry::{Access, Check, Role};
use lc_store::sqlx::{self, AnyConnection};
use lc_store::{from_row, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::endpoints::{ep, Endpoint, JSON};
use crate::error::{ApiResult, AppError};
use crate::web::{self, Paged};
use crate::AppState;

use Role::*;

const SCOPE: &str = "provider staff: warnings of their own provider; community worker: warnings assigned to their community";
const SCOPE_RESOLVE: &str = "community worker: warnings assigned to their community";

/// The endpoints of this domain.
pub const ENDPOINTS: &[Endpoint] = &[
    ep!(
        "GET",
        "/api/warnings",
        Access::Roles(&[ProviderStaff, CommunityWorker, Regulator, Admin]),
        SCOPE,
        "warnings",
        "Early warnings (status=open|acknowledged|resolved).",
        None,
        JSON
    ),
    ep!(
        "POST",
        "/api/warnings/evaluate",
        Access::Roles(&[Regulator, Admin]),
        "",
        "warnings",
        "Evaluate the warning rules now.",
        None,
        JSON
    ),
    ep!(
        "POST",
        "/api/warnings/{id}/acknowledge",
        Access::Roles(&[ProviderStaff, CommunityWorker, Regulator, Admin]),
        SCOPE,
        "warnings",
        "Acknowledge a warning.",
        None,
        JSON
    ),
    ep!(
        "POST",
        "/api/warnings/{id}/resolve",
        Access::Roles(&[CommunityWorker, Regulator, Admin]),
        SCOPE_RESOLVE,
        "warnings",
        "Resolve a warning with what was done.",
        Some(JSON),
        JSON
    ),
];

/// The routes of this domain.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/warnings", get(list))
        .route("/api/warnings/evaluate", post(evaluate_now))
        .route("/api/warnings/{id}/acknowledge", post(acknowledge))
        .route("/api/warnings/{id}/resolve", post(resolve))
}

/// A stored warning.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct WarningRow {
    pub id: i64,
    pub rule: String,
    pub condition_key: String,
    #[serde(skip)]
    pub open_key: Option<String>,
    /// `practitioner`, `review_case` or `enterprise`.
    pub subject_kind: String,
    pub subject_id: String,
    pub provider_code: Option<String>,
    /// `low`, `medium`, `high`.
    pub severity: String,
    /// `provider`, `community` (the workers of the community it names) or `regulator`.
    pub assignee: String,
    pub due_date: String,
    pub message_zh: String,
    pub message_en: String,
    #[serde(serialize_with = "crate::web::json_text_plain")]
    #[schema(value_type = Object)]
    pub detail: String,
    /// `open`, `acknowledged` or `resolved`.
    pub status: String,
    pub raised_at: i64,
    pub acknowledged_at: Option<i64>,
    pub acknowledged_by: Option<i64>,
    pub resolved_at: Option<i64>,
    pub resolution: Option<String>,
    pub version: i64,
}
from_row!(WarningRow {
    id,
    rule,
    condition_key,
    open_key,
    subject_kind,
    subject_id,
    provider_code,
    severity,
    assignee,
    due_date,
    message_zh,
    message_en,
    detail,
    status,
    raised_at,
    acknowledged_at,
    acknowledged_by,
    resolved_at,
    resolution,
    version
});

macro_rules! cols {
    () => {
        "id, rule, condition_key, open_key, subject_kind, subject_id, provider_code, severity, assignee, due_date, message_zh, message_en, detail, status, raised_at, acknowledged_at, acknowledged_by, resolved_at, resolution, version"
    };
}

/// A condition that holds now.
struct Condition {
    key: String,
    subject_kind: &'static str,
    subject_id: String,
    provider_code: Option<String>,
    zh: String,
    en: String,
    detail: Value,
}

async fn certificates_expiring(
    conn: &mut AnyConnection,
    rule: &Rule,
    today: Date,
) -> ApiResult<Vec<Condition>> {
    let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
        "SELECT id, provider_code, name, certificates FROM practitioners ORDER BY id",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    let mut out = Vec::new();
    for (id, provider, name, certs) in rows {
        let certs: Vec<lc_registry::records::Certificate> =
            serde_json::from_str(&certs).unwrap_or_default();
        for c in certs {
            let Some(until) = c
                .valid_until
                .as_deref()
                .and_then(|d| d.parse::<Date>().ok())
            else {
                continue;
            };
            if !rule.watches(&c.name) || !rule.expiry_due(until, today) {
                continue;
            }
            let who = lc_registry::mask_name(&name);
            out.push(Condition {
                key: format!("certificate_expiring:{id}:{}:{until}", c.number),
                subject_kind: "practitioner",
                subject_id: id.to_string(),
                provider_code: Some(provider.clone()),
                zh: format!("从业人员 {who} 的{}（{}）有效期至 {until}，请及时复检换证", c.name, c.number),
                en: format!("practitioner {who}'s {} ({}) is valid until {until}: renew it", c.name, c.number),
                detail: json!({"practitioner_id": id, "certificate": c.name, "number": c.number, "valid_until": until.to_string()}),
            });
        }
    }
    // The health check of the housekeeping credit record (valid one year,
    // `lc_credit::housekeeping`), when the rule watches health certificates.
    if !rule.watches("健康体检 health check") {
        return Ok(out);
    }
    let checks: Vec<(i64, String, String, String)> = sqlx::query_as(
        "SELECT r.practitioner_id, p.provider_code, p.name, r.health_checked_on FROM hk_records r JOIN practitioners p ON p.id = r.practitioner_id WHERE r.health_checked_on IS NOT NULL ORDER BY r.practitioner_id",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    for (id, provider, name, checked) in checks {
        let Ok(checked) = checked.parse::<Date>() else {
            continue;
        };
        let records = lc_credit::housekeeping::Records {
            health_check: Some(checked),
            ..Default::default()
        };
        let status = lc_credit::housekeeping::Status::of(&records, today);
        let Some(&(_, until)) = status
            .valid_until
            .iter()
            .find(|(i, _)| *i == lc_credit::housekeeping::Item::HealthCheck)
        else {
            continue;
        };
        if !rule.expiry_due(until, today) {
            continue;
        }
        let who = lc_registry::mask_name(&name);
        out.push(Condition {
            key: format!("certificate_expiring:{id}:health_check:{until}"),
            subject_kind: "practitioner",
            subject_id: id.to_string(),
            provider_code: Some(provider),
            zh: format!("从业人员 {who} 的健康体检（{checked}）有效期至 {until}，请及时复检"),
            en: format!("practitioner {who}'s health check ({checked}) is valid until {until}: renew it"),
            detail: json!({"practitioner_id": id, "health_check": checked.to_string(), "valid_until": until.to_string()}),
        });
    }
    Ok(out)
}

async fn overdue_cases(conn: &mut AnyConnection, today: Date) -> ApiResult<Vec<Condition>> {
    let rows: Vec<(i64, Option<String>, String, Option<String>)> = sqlx::query_as(
        "SELECT id, provider_code, deadline, facility_id FROM review_cases WHERE status IN ('received', 'verified', 'rectifying') AND deadline IS NOT NULL AND deadline < $1 ORDER BY id",
    )
    .bind(today.to_string())
    .fetch_all(conn)
    .await
    .map_err(StoreError::from)?;
    Ok(rows
        .into_iter()
        .map(|(id, provider, deadline, outlet)| Condition {
            key: format!("rectification_overdue:{id}"),
            subject_kind: "review_case",
            subject_id: id.to_string(),
            provider_code: provider,
            zh: format!("差评工单 {id} 已过整改期限 {deadline}"),
            en: format!("bad-review case {id} is past its deadline {deadline}"),
            detail: json!({"case_id": id, "deadline": deadline, "facility_id": outlet}),
        })
        .collect())
}

async fn classes_dropped(conn: &mut AnyConnection) -> ApiResult<Vec<Condition>> {
    let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT subject_uscc, risk_class, previous_class FROM credit_classes WHERE previous_class IS NOT NULL AND risk_class > previous_class ORDER BY subject_uscc",
    )
    .fetch_all(conn)
    .await
    .map_err(StoreError::from)?;
    Ok(rows
        .into_iter()
        .map(|(uscc, now, before)| {
            let before = before.unwrap_or_default();
            Condition {
                key: format!("class_dropped:{uscc}:{before}:{now}"),
                subject_kind: "enterprise",
                subject_id: uscc.clone(),
                // The class is internal: the warning is the regulator's, not the provider's.
                provider_code: None,
                zh: format!("企业 {uscc} 信用风险分类由 {before} 类降至 {now} 类"),
                en: format!("enterprise {uscc}: credit-risk class dropped from {before} to {now}"),
                detail: json!({"subject_uscc": uscc}),
            }
        })
        .collect())
}

async fn licences_expiring(
    conn: &mut AnyConnection,
    rule: &Rule,
    today: Date,
) -> ApiResult<Vec<Condition>> {
    let until = today
        .checked_add(rule.days.days())
        .unwrap_or(Date::MAX)
        .to_string();
    let rows: Vec<(i64, String, String, String, String)> = sqlx::query_as(
        "SELECT id, subject_uscc, subject_name, doc_number, valid_until FROM credit_records WHERE kind = 'licence' AND valid_until IS NOT NULL AND valid_until <= $1 AND valid_until >= $2 ORDER BY id",
    )
    .bind(until)
    .bind(today.to_string())
    .fetch_all(conn)
    .await
    .map_err(StoreError::from)?;
    Ok(rows
        .into_iter()
        .map(|(id, uscc, name, doc, valid_until)| Condition {
            key: format!("licence_expiring:{id}:{valid_until}"),
            subject_kind: "licence",
            subject_id: id.to_string(),
            provider_code: Some(uscc.clone()),
            zh: format!("{name} 的行政许可（{doc}）有效期至 {valid_until}，请及时办理延续"),
            en: format!("{name}'s licence ({doc}) is valid until {valid_until}: renew it"),
            detail: json!({"record_id": id, "subject_uscc": uscc, "doc_number": doc, "valid_until": valid_until}),
        })
        .collect())
}

async fn spot_check_rectifications_overdue(
    conn: &mut AnyConnection,
    today: Date,
) -> ApiResult<Vec<Condition>> {
    let rows: Vec<(i64, i64, String, String, String)> = sqlx::query_as(
        "SELECT id, spot_check_id, object_id, provider_code, rectification_due FROM spot_check_results WHERE outcome = 'rectify_ordered' AND rectified_on IS NULL AND rectification_due < $1 ORDER BY id",
    )
    .bind(today.to_string())
    .fetch_all(conn)
    .await
    .map_err(StoreError::from)?;
    Ok(rows
        .into_iter()
        .map(|(id, check, object, provider, due)| Condition {
            key: format!("spot_check_rectification_overdue:{id}"),
            subject_kind: "spot_check_result",
            subject_id: id.to_string(),
            provider_code: Some(provider),
            zh: format!("抽查 {check} 对 {object} 责令的整改已过期限 {due}"),
            en: format!("the rectification spot check {check} ordered at {object} is past its deadline {due}"),
            detail: json!({"spot_check_id": check, "object_id": object, "rectification_due": due}),
        })
        .collect())
}

async fn spot_check_publications_due(
    conn: &mut AnyConnection,
    rule: &Rule,
    today: Date,
) -> ApiResult<Vec<Condition>> {
    let checks: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT id, label, publish_within_days FROM spot_checks WHERE status = 'drawn' ORDER BY id",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    let calendar = super::reviews::settings::calendar(&mut *conn).await?;
    let horizon = today.checked_add(rule.days.days()).unwrap_or(Date::MAX);
    let mut out = Vec::new();
    for (id, label, within) in checks {
        let results = super::inspections::results::of_check(&mut *conn, id).await?;
        let within = u32::try_from(within).unwrap_or(20);
        let Some((due, _)) = super::inspections::results::publish_due(&results, within, &calendar)
        else {
            continue;
        };
        if due > horizon {
            continue;
        }
        out.push(Condition {
            key: format!("spot_check_publication_due:{id}:{due}"),
            subject_kind: "spot_check",
            subject_id: id.to_string(),
            provider_code: None,
            zh: format!("抽查“{label}”的结果须在 {due} 前公示"),
            en: format!("the results of spot check '{label}' must be published by {due}"),
            detail: json!({"spot_check_id": id, "publish_due": due.to_string()}),
        });
    }
    Ok(out)
}

async fn bad_review_rates(
    conn: &mut AnyConnection,
    rule: &Rule,
    now: i64,
) -> ApiResult<Vec<Condition>> {
    let since = now - rule.window_days * 86_400_000;
    let rows: Vec<(String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT provider_code, COUNT(*), SUM(CASE WHEN class = 'bad' THEN 1 ELSE 0 END) FROM reviews WHERE provider_code IS NOT NULL AND excluded = 0 AND rated_at >= $1 GROUP BY provider_code ORDER BY provider_code",
    )
    .bind(since)
    .fetch_all(conn)
    .await
    .map_err(StoreError::from)?;
    Ok(rows
        .into_iter()
        .filter_map(|(provider, count, bad)| {
            let bad = bad.unwrap_or(0);
            rule.rate_at_or_above(bad, count).then(|| {
                let pct = bad as f64 * 100.0 / count as f64;
                let days = rule.window_days;
                let limit = rule.threshold as f64 / 100.0;
                Condition {
                    key: format!("bad_review_rate:{provider}"),
                    subject_kind: "enterprise",
                    subject_id: provider.clone(),
                    provider_code: Some(provider.clone()),
                    zh: format!("近 {days} 天差评率 {pct:.1}%（{bad}/{count}），超过 {limit:.1}%"),
                    en: format!("差评 rate of the last {days} days {pct:.1}% ({bad} of {count}), over {limit:.1}%"),
                    detail: json!({"subject_uscc": provider, "bad": bad, "reviews": count, "window_days": days, "threshold_bp": rule.threshold}),
                }
            })
        })
        .collect())
}

async fn complaint_spikes(
    conn: &mut AnyConnection,
    rule: &Rule,
    now: i64,
) -> ApiResult<Vec<Condition>> {
    let window = rule.window_days * 86_400_000;
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT provider_code, SUM(CASE WHEN opened_at >= $1 THEN 1 ELSE 0 END), SUM(CASE WHEN opened_at < $1 THEN 1 ELSE 0 END) FROM review_cases WHERE provider_code IS NOT NULL AND excluded = 0 AND opened_at >= $2 AND opened_at <= $3 GROUP BY provider_code ORDER BY provider_code",
    )
    .bind(now - window)
    .bind(now - 2 * window)
    .bind(now)
    .fetch_all(conn)
    .await
    .map_err(StoreError::from)?;
    Ok(rows
        .into_iter()
        .filter(|(_, recent, previous)| rule.spike(*recent, *previous))
        .map(|(provider, recent, previous)| {
            let days = rule.window_days;
            Condition {
                key: format!("complaint_spike:{provider}"),
                subject_kind: "enterprise",
                subject_id: provider.clone(),
                provider_code: Some(provider.clone()),
                zh: format!("近 {days} 天差评工单 {recent} 件，此前 {days} 天 {previous} 件"),
                en: format!("{recent} 差评 cases in the last {days} days against {previous} in the {days} days before"),
                detail: json!({"subject_uscc": provider, "recent": recent, "previous": previous, "window_days": days}),
            }
        })
        .collect())
}

async fn visit_rates_below(st: &AppState, rule: &Rule, now: i64) -> ApiResult<Vec<Condition>> {
    // The last complete month.
    let month = lc_services::time::YearMonth::of_instant(now)
        .map_err(AppError::internal)?
        .previous();
    let rates = super::care::visits::rates_of(st, month).await?;
    Ok(rates
        .rows
        .into_iter()
        .filter(|r| r.level.key() == "community" && rule.rate_below(r.visited, r.due))
        .map(|r| {
            let target = rule.threshold as f64 / 100.0;
            Condition {
                key: format!("visit_rate_below_target:{}:{month}", r.code),
                subject_kind: "community",
                subject_id: r.code.clone(),
                provider_code: None,
                zh: format!("社区 {} {month} 月探访率 {}/{}，低于目标 {target:.0}%", r.code, r.visited, r.due),
                en: format!("community {}: visit rate {} of {} in {month}, below the target of {target:.0}%", r.code, r.visited, r.due),
                detail: json!({"community_id": r.code, "month": month.to_string(), "visited": r.visited, "due": r.due, "target_bp": rule.threshold}),
            }
        })
        .collect())
}

async fn assessment_shortfalls(conn: &mut AnyConnection) -> ApiResult<Vec<Condition>> {
    let run: Option<(i64, String)> =
        sqlx::query_as("SELECT id, label FROM assessment_runs ORDER BY id DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await
            .map_err(StoreError::from)?;
    let Some((run, label)) = run else {
        return Ok(Vec::new());
    };
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT community_id, COUNT(*) FROM assessment_rows WHERE run_id = $1 AND kind = 'shortcoming' AND community_id IS NOT NULL GROUP BY community_id ORDER BY community_id",
    )
    .bind(run)
    .fetch_all(conn)
    .await
    .map_err(StoreError::from)?;
    Ok(rows
        .into_iter()
        .map(|(community, n)| Condition {
            key: format!("assessment_shortfall:{community}:{run}"),
            subject_kind: "community",
            subject_id: community.clone(),
            provider_code: None,
            zh: format!("社区 {community} 在最新评估“{label}”中有 {n} 项设施缺项"),
            en: format!(
                "community {community} has {n} shortcomings in the latest assessment '{label}'"
            ),
            detail: json!({"community_id": community, "assessment_run": run, "shortcomings": n}),
        })
        .collect())
}

/// What an evaluation did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EvaluationReport {
    pub rules_version: String,
    pub raised: usize,
    /// Open warnings whose condition no longer holds, resolved.
    pub cleared: usize,
    pub open: usize,
}

/// Evaluates every rule now: raises a warning for each condition without an open one, resolves
/// open warnings whose condition is gone.
pub async fn evaluate(st: &AppState) -> ApiResult<EvaluationReport> {
    let now = st.clock.now_ms();
    let today = lc_services::time::local_date(now).map_err(AppError::internal)?;
    let rules = warning::builtin();
    // The visit rates are computed from their own reads, before the write transaction.
    let mut visits = match rules.rule("visit_rate_below_target") {
        Some(rule) => visit_rates_below(st, rule, now).await?,
        None => Vec::new(),
    };
    let mut tx = st.store.begin().await?;
    let mut held: BTreeMap<String, (&Rule, Condition)> = BTreeMap::new();
    for rule in &rules.rules {
        let found = match rule.key.as_str() {
            "certificate_expiring" => certificates_expiring(tx.conn(), rule, today).await?,
            "licence_expiring" => licences_expiring(tx.conn(), rule, today).await?,
            "rectification_overdue" => overdue_cases(tx.conn(), today).await?,
            "spot_check_rectification_overdue" => {
                spot_check_rectifications_overdue(tx.conn(), today).await?
            }
            "spot_check_publication_due" => {
                spot_check_publications_due(tx.conn(), rule, today).await?
            }
            "class_dropped" => classes_dropped(tx.conn()).await?,
            "bad_review_rate" => bad_review_rates(tx.conn(), rule, now).await?,
            "complaint_spike" => complaint_spikes(tx.conn(), rule, now).await?,
            "visit_rate_below_target" => std::mem::take(&mut visits),
            "assessment_shortfall" => assessment_shortfalls(tx.conn()).await?,
            _ => Vec::new(),
        };
        for c in found {
            held.insert(c.key.clone(), (rule, c));
        }
    }
    let mut raised = 0;
    for (key, (rule, c)) in &held {
        let assignee = match rule.assign_to {
            Assignee::Provider if c.provider_code.is_some() => "provider",
            Assignee::Community if c.subject_kind == "community" => "community",
            _ => "regulator",
        };
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO warnings (rule, condition_key, open_key, subject_kind, subject_id, provider_code, severity, assignee, due_date, message_zh, message_en, detail, status, raised_at, version) VALUES ($1, $2, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'open', $12, 0) ON CONFLICT (open_key) DO NOTHING RETURNING id",
        )
        .bind(rule.key.clone())
        .bind(key.clone())
        .bind(c.subject_kind.to_string())
        .bind(c.subject_id.clone())
        .bind(c.provider_code.clone())
        .bind(rule.severity.key().to_string())
        .bind(assignee.to_string())
        .bind(rule.deadline(today).to_string())
        .bind(c.zh.clone())
        .bind(c.en.clone())
        .bind(c.detail.to_string())
        .bind(now)
        .fetch_optional(tx.conn())
        .await
        .map_err(StoreError::from)?;
        let Some(id) = id else { continue };
        raised += 1;
        let payload = json!({"warning_id": id, "rule": rule.key, "severity": rule.severity, "due_date": rule.deadline(today).to_string(), "message_zh": c.zh, "message_en": c.en}).to_string();
        let mut recipients = vec![("role", "regulator".to_string())];
        if let Some(p) = &c.provider_code {
            recipients.push(("provider", p.clone()));
        }
        if assignee == "community" {
            recipients.push(("community", c.subject_id.clone()));
        }
        for (kind, to) in recipients {
            sqlx::query("INSERT INTO outbox (at, recipient_kind, recipient, kind, booking_id, payload, delivered_at) VALUES ($1, $2, $3, 'warning_raised', NULL, $4, NULL)")
                .bind(now)
                .bind(kind.to_string())
                .bind(to)
                .bind(payload.clone())
                .execute(tx.conn())
                .await
                .map_err(StoreError::from)?;
        }
    }
    let open: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, open_key FROM warnings WHERE open_key IS NOT NULL")
            .fetch_all(tx.conn())
            .await
            .map_err(StoreError::from)?;
    let mut cleared = 0;
    for (id, key) in &open {
        if !held.contains_key(key) {
            sqlx::query("UPDATE warnings SET status = 'resolved', open_key = NULL, resolved_at = $2, resolution = $3, version = version + 1 WHERE id = $1")
                .bind(*id)
                .bind(now)
                .bind("条件已消除（自动） | the condition no longer holds (automatic)".to_string())
                .execute(tx.conn())
                .await
                .map_err(StoreError::from)?;
            cleared += 1;
        }
    }
    tx.commit().await?;
    Ok(EvaluationReport {
        rules_version: rules.version.clone(),
        raised,
        cleared,
        // `open` was read after this evaluation's inserts: it holds the raised ones.
        open: open.len() - cleared,
    })
}

/// Filters of the warning list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `open`, `acknowledged` or `resolved`.
    pub status: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    pub page: web::PageQuery,
}

/// GET /api/warnings.
#[utoipa::path(get, path = "/api/warnings", tag = "warnings", params(ListQuery, web::PageQuery),
    responses((status = 200, body = Paged<WarningRow>), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Paged<WarningRow>>> {
    let page = q.page.page()?;
    let status = q.status.clone().filter(|s| !s.is_empty());
    if status
        .as_deref()
        .is_some_and(|s| !["open", "acknowledged", "resolved"].contains(&s))
    {
        return Err(AppError::bad_request(
            "status 应为 open、acknowledged 或 resolved",
            "status must be open, acknowledged or resolved",
        ));
    }
    let u = c.user()?;
    let own = (u.role == ProviderStaff).then(|| u.provider_code.clone().unwrap_or_default());
    let community = (u.role == CommunityWorker).then(|| u.community_id.clone().unwrap_or_default());
    let wh = "WHERE ($1 IS NULL OR status = $1) AND ($2 IS NULL OR provider_code = $2) AND ($3 IS NULL OR (assignee = 'community' AND subject_kind = 'community' AND subject_id = $3))";
    let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM warnings {wh}"))
        .bind(status.clone())
        .bind(own.clone())
        .bind(community.clone())
        .fetch_one(st.store.pool())
        .await
        .map_err(StoreError::from)?;
    let rows = sqlx::query_as(&format!(
        "SELECT {} FROM warnings {wh} ORDER BY id DESC LIMIT $4 OFFSET $5",
        cols!()
    ))
    .bind(status)
    .bind(own)
    .bind(community)
    .bind(page.limit)
    .bind(page.offset)
    .fetch_all(st.store.pool())
    .await
    .map_err(StoreError::from)?;
    Ok(Json(Paged::new(rows, total, page)))
}

/// POST /api/warnings/evaluate.
#[utoipa::path(post, path = "/api/warnings/evaluate", tag = "warnings",
    responses((status = 200, body = EvaluationReport), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn evaluate_now(State(st): State<Arc<AppState>>) -> ApiResult<Json<EvaluationReport>> {
    Ok(Json(evaluate(&st).await?))
}

async fn reachable(conn: &mut AnyConnection, c: &Caller, id: &str) -> ApiResult<WarningRow> {
    let key: i64 = id.parse().map_err(|_| AppError::not_found("warning", id))?;
    let w: WarningRow = sqlx::query_as(concat!("SELECT ", cols!(), " FROM warnings WHERE id = $1"))
        .bind(key)
        .fetch_optional(conn)
        .await
        .map_err(StoreError::from)?
        .ok_or_else(|| AppError::not_found("warning", id))?;
    let u = c.user()?;
    if u.role == ProviderStaff && (w.provider_code.is_none() || w.provider_code != u.provider_code)
    {
        return Err(web::forbidden_record("warning"));
    }
    if u.role == CommunityWorker
        && !(w.assignee == "community"
            && w.subject_kind == "community"
            && u.community_id.as_deref() == Some(w.subject_id.as_str()))
    {
        return Err(web::forbidden_record("warning"));
    }
    Ok(w)
}

/// POST /api/warnings/{id}/acknowledge.
#[utoipa::path(post, path = "/api/warnings/{id}/acknowledge", tag = "warnings", params(("id" = i64, Path)),
    responses((status = 200, body = WarningRow), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn acknowledge(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<WarningRow>> {
    let now = st.clock.now_ms();
    let mut tx = st.store.begin().await?;
    let w = reachable(tx.conn(), &c, &id).await?;
    if w.status != "open" {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            "wrong_status",
            format!("预警状态为 {}，不能确认", w.status),
            format!("the warning is {}; it cannot be acknowledged", w.status),
        ));
    }
    let user = c.user()?.id;
    let done = sqlx::query("UPDATE warnings SET status = 'acknowledged', acknowledged_at = $2, acknowledged_by = $3, version = version + 1 WHERE id = $1 AND version = $4")
        .bind(w.id)
        .bind(now)
        .bind(user)
        .bind(w.version)
        .execute(tx.conn())
        .await
        .map_err(StoreError::from)?;
    if done.rows_affected() != 1 {
        return Err(web::conflict("warning", &id));
    }
    tx.audit(&c.actor(), "acknowledge", "warning", &id, json!({}))
        .await?;
    tx.commit().await?;
    Ok(Json(WarningRow {
        status: "acknowledged".into(),
        acknowledged_at: Some(now),
        acknowledged_by: Some(user),
        version: w.version + 1,
        ..w
    }))
}

/// What was done about a warning.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveInput {
    #[serde(default)]
    pub resolution: Option<String>,
}

/// POST /api/warnings/{id}/resolve.
#[utoipa::path(post, path = "/api/warnings/{id}/resolve", tag = "warnings", params(("id" = i64, Path)),
    request_body = ResolveInput,
    responses((status = 200, body = WarningRow), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn resolve(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<WarningRow>> {
    let input: ResolveInput = web::json_body(&body)?;
    let mut ck = Check::new();
    let resolution = ck.text("resolution", &input.resolution, 500);
    ck.finish().map_err(web::invalid)?;
    let resolution = resolution.unwrap_or_default();
    let now = st.clock.now_ms();
    let mut tx = st.store.begin().await?;
    let w = reachable(tx.conn(), &c, &id).await?;
    if w.status == "resolved" {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            "wrong_status",
            "预警已处置".to_string(),
            "the warning is resolved already".to_string(),
        ));
    }
    let done = sqlx::query("UPDATE warnings SET status = 'resolved', open_key = NULL, resolved_at = $2, resolution = $3, version = version + 1 WHERE id = $1 AND version = $4")
        .bind(w.id)
        .bind(now)
        .bind(resolution.clone())
        .bind(w.version)
        .execute(tx.conn())
        .await
        .map_err(StoreError::from)?;
    if done.rows_affected() != 1 {
        return Err(web::conflict("warning", &id));
    }
    tx.audit(
        &c.actor(),
        "resolve",
        "warning",
        &id,
        json!({"resolution": resolution}),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(WarningRow {
        status: "resolved".into(),
        open_key: None,
        resolved_at: Some(now),
        resolution: Some(resolution),
        version: w.version + 1,
        ..w
    }))
}
