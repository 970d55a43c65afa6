//! What the inspectors found (检查结果) at each drawn object, its rectification, and 一公开:
//! publication of the draw and the results within the deadline (20 working days after the last
//! check by default), with public lists and a CSV export. A result with findings counts in the
//! enterprise's credit-risk class (failed spot checks), which is recomputed in the same
//! transaction.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use jiff::civil::Date;
use lc_registry::Check;
use lc_reviews::workdays;
use lc_store::sqlx::{self, AnyConnection};
use lc_store::{from_row, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::checks::{self, load, log, path_id};
use super::{next_status, Action};
use crate::auth::Caller;
use crate::bulk;
use crate::error::{ApiResult, AppError};
use crate::web;
use crate::AppState;

/// The outcomes of a check, with their Chinese names as published.
pub const OUTCOMES: &[(&str, &str)] = &[
    ("no_problem", "未发现问题"),
    ("rectify_ordered", "发现问题，已责令整改"),
    ("referred", "发现问题，已移送或立案查处"),
    ("unreachable", "通过登记的住所（经营场所）无法联系"),
    ("refused", "不配合检查"),
];

/// The Chinese name of an outcome.
pub fn outcome_zh(key: &str) -> &'static str {
    OUTCOMES
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, z)| *z)
        .unwrap_or("")
}

/// The result of one drawn object.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct ResultRow {
    pub id: i64,
    pub spot_check_id: i64,
    pub object_id: String,
    pub provider_code: String,
    /// The drawn inspectors' codes.
    #[serde(serialize_with = "crate::web::json_text_plain")]
    #[schema(value_type = Vec<String>)]
    pub inspectors: String,
    /// Absent until recorded: `no_problem`, `rectify_ordered`, `referred`, `unreachable`, `refused`.
    pub outcome: Option<String>,
    pub findings: Option<String>,
    pub checked_on: Option<String>,
    pub rectification_due: Option<String>,
    pub rectified_on: Option<String>,
    pub rectification_note: Option<String>,
    pub recorded_by: Option<i64>,
    pub updated_at: i64,
    pub version: i64,
}
from_row!(ResultRow {
    id,
    spot_check_id,
    object_id,
    provider_code,
    inspectors,
    outcome,
    findings,
    checked_on,
    rectification_due,
    rectified_on,
    rectification_note,
    recorded_by,
    updated_at,
    version
});

const COLS: &str = "id, spot_check_id, object_id, provider_code, inspectors, outcome, findings, checked_on, rectification_due, rectified_on, rectification_note, recorded_by, updated_at, version";

/// The results of a spot check, by object.
pub async fn of_check(conn: &mut AnyConnection, id: i64) -> ApiResult<Vec<ResultRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLS} FROM spot_check_results WHERE spot_check_id = $1 ORDER BY object_id"
    ))
    .bind(id)
    .fetch_all(conn)
    .await
    .map_err(StoreError::from)?)
}

/// A result to record.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultInput {
    /// The drawn object's id.
    pub object_id: Option<String>,
    pub outcome: Option<String>,
    /// Required unless the outcome is `no_problem`.
    pub findings: Option<String>,
    /// `YYYY-MM-DD`, not before the draw and not after today.
    pub checked_on: Option<String>,
    /// Required with `rectify_ordered`: not before `checked_on`.
    pub rectification_due: Option<String>,
}

/// A rectification done.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RectifiedInput {
    /// `YYYY-MM-DD`, today when absent.
    pub on: Option<String>,
    pub note: Option<String>,
}

/// POST /api/spot-checks/{id}/results: records (or corrects, before publication) what the
/// check of one drawn object found.
#[utoipa::path(post, path = "/api/spot-checks/{id}/results", tag = "inspections", request_body = ResultInput,
    params(("id" = i64, Path, description = "Spot check id")),
    responses((status = 200, body = ResultRow), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn record(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<ResultRow>> {
    let input: ResultInput = web::json_body(&body)?;
    let expected = web::if_match(&headers)?;
    let key = path_id(&id)?;
    let today = web::today(&st)?;
    let mut ck = Check::new();
    let object = ck.text("object_id", &input.object_id, 64);
    let outcome = ck.text("outcome", &input.outcome, 32);
    if let Some(o) = &outcome {
        if !OUTCOMES.iter().any(|(k, _)| k == o) {
            ck.fail(
                "outcome",
                "invalid_outcome",
                format!(
                    "outcome 应为 {}",
                    OUTCOMES
                        .iter()
                        .map(|(k, z)| format!("{k}（{z}）"))
                        .collect::<Vec<_>>()
                        .join("、")
                ),
                format!(
                    "outcome must be one of {}",
                    OUTCOMES
                        .iter()
                        .map(|(k, _)| *k)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
    }
    let findings = ck.opt_text("findings", &input.findings, 2000);
    if outcome.as_deref().is_some_and(|o| o != "no_problem") && findings.is_none() {
        ck.fail(
            "findings",
            "required",
            "发现问题或未能检查时须写明情况".into(),
            "findings are required unless the outcome is no_problem".into(),
        );
    }
    let checked_on = ck.date("checked_on", &input.checked_on);
    let due = ck.date("rectification_due", &input.rectification_due);
    let checked: Option<Date> = checked_on.as_deref().and_then(|d| d.parse().ok());
    if checked.is_some_and(|d| d > today) {
        ck.fail(
            "checked_on",
            "in_the_future",
            "检查日期不能晚于今天".into(),
            "checked_on cannot be after today".into(),
        );
    }
    match (outcome.as_deref(), &due) {
        (Some("rectify_ordered"), None) if input.rectification_due.is_none() => ck.fail(
            "rectification_due",
            "required",
            "责令整改须给出整改期限".into(),
            "rectify_ordered needs a rectification_due date".into(),
        ),
        (Some(o), Some(_)) if o != "rectify_ordered" => ck.fail(
            "rectification_due",
            "not_applicable",
            "只有责令整改才有整改期限".into(),
            "only rectify_ordered takes a rectification_due date".into(),
        ),
        _ => {}
    }
    if let (Some(d), Some(c)) = (due.as_deref().and_then(|d| d.parse::<Date>().ok()), checked) {
        if d < c {
            ck.fail(
                "rectification_due",
                "before_check",
                "整改期限不能早于检查日期".into(),
                "rectification_due cannot be before checked_on".into(),
            );
        }
    }
    ck.finish().map_err(web::invalid)?;
    let (Some(object), Some(outcome), Some(checked_on)) = (object, outcome, checked_on) else {
        return Err(AppError::internal("checked fields missing"));
    };
    let now = st.clock.now_ms();
    let mut tx = st.store.begin().await?;
    let check = load(tx.conn(), key).await?;
    next_status(&check.status, Action::Record).ok_or_else(|| {
        AppError::new(
            StatusCode::CONFLICT,
            "wrong_status",
            format!(
                "抽查 {key} 当前状态为 {}，不能登记检查结果",
                super::status_zh(&check.status)
            ),
            format!(
                "spot check {key} is {}: results cannot be recorded",
                check.status
            ),
        )
    })?;
    let drawn_day = check
        .drawn_at
        .and_then(|ms| lc_services::time::local_date(ms).ok());
    if drawn_day.is_some_and(|d| checked.is_some_and(|c| c < d)) {
        return Err(AppError::field(
            "checked_on",
            "before_draw",
            "检查日期不能早于抽取日期".into(),
            "checked_on cannot be before the draw".into(),
        ));
    }
    let before: ResultRow = sqlx::query_as(&format!(
        "SELECT {COLS} FROM spot_check_results WHERE spot_check_id = $1 AND object_id = $2"
    ))
    .bind(key)
    .bind(object.clone())
    .fetch_optional(tx.conn())
    .await
    .map_err(StoreError::from)?
    .ok_or_else(|| {
        AppError::field(
            "object_id",
            "not_drawn",
            format!("{object} 不是本次抽中的检查对象"),
            format!("{object} was not drawn in this spot check"),
        )
    })?;
    if expected.is_some_and(|v| v != before.version) {
        return Err(web::conflict("spot check result", &object));
    }
    let user = c.user.as_ref().map(|u| u.id);
    let done = sqlx::query("UPDATE spot_check_results SET outcome = $2, findings = $3, checked_on = $4, rectification_due = $5, rectified_on = NULL, rectification_note = NULL, recorded_by = $6, updated_at = $7, version = version + 1 WHERE id = $1 AND version = $8")
        .bind(before.id)
        .bind(outcome.clone())
        .bind(findings.clone())
        .bind(checked_on.clone())
        .bind(due.clone())
        .bind(user)
        .bind(now)
        .bind(before.version)
        .execute(tx.conn())
        .await
        .map_err(StoreError::from)?;
    if done.rows_affected() != 1 {
        return Err(web::conflict("spot check result", &object));
    }
    log(tx.conn(), key, now, &c, "result", json!({"object_id": object, "outcome": outcome, "checked_on": checked_on, "corrects": before.outcome})).await?;
    // A finding changes the enterprise's class: recompute it with the result.
    crate::domains::risk::recompute_for(tx.conn(), [before.provider_code.as_str()], now).await?;
    tx.commit().await?;
    let after = ResultRow {
        outcome: Some(outcome),
        findings,
        checked_on: Some(checked_on),
        rectification_due: due,
        rectified_on: None,
        rectification_note: None,
        recorded_by: user,
        updated_at: now,
        version: before.version + 1,
        ..before
    };
    Ok(Json(after))
}

/// POST /api/spot-checks/{id}/results/{object}/rectified.
#[utoipa::path(post, path = "/api/spot-checks/{id}/results/{object}/rectified", tag = "inspections", request_body = RectifiedInput,
    params(("id" = i64, Path, description = "Spot check id"), ("object" = String, Path, description = "The drawn object's id")),
    responses((status = 200, body = ResultRow), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn rectified(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path((id, object)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<ResultRow>> {
    let input: RectifiedInput = web::json_body(&body)?;
    let expected = web::if_match(&headers)?;
    let key = path_id(&id)?;
    let today = web::today(&st)?;
    let mut ck = Check::new();
    let on = match ck.date("on", &input.on) {
        Some(d) => d,
        None if input.on.is_none() => today.to_string(),
        None => String::new(),
    };
    let note = ck.opt_text("note", &input.note, 2000);
    if on.as_str() > today.to_string().as_str() {
        ck.fail(
            "on",
            "in_the_future",
            "整改完成日期不能晚于今天".into(),
            "on cannot be after today".into(),
        );
    }
    ck.finish().map_err(web::invalid)?;
    let now = st.clock.now_ms();
    let mut tx = st.store.begin().await?;
    load(tx.conn(), key).await?;
    let before: ResultRow = sqlx::query_as(&format!(
        "SELECT {COLS} FROM spot_check_results WHERE spot_check_id = $1 AND object_id = $2"
    ))
    .bind(key)
    .bind(object.clone())
    .fetch_optional(tx.conn())
    .await
    .map_err(StoreError::from)?
    .ok_or_else(|| AppError::not_found("spot check result", &object))?;
    if expected.is_some_and(|v| v != before.version) {
        return Err(web::conflict("spot check result", &object));
    }
    if before.outcome.as_deref() != Some("rectify_ordered") || before.rectified_on.is_some() {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            "wrong_status",
            "该检查结果没有待完成的整改",
            "this result has no rectification outstanding",
        ));
    }
    if before
        .checked_on
        .as_deref()
        .is_some_and(|c| on.as_str() < c)
    {
        return Err(AppError::field(
            "on",
            "before_check",
            "整改完成日期不能早于检查日期".into(),
            "on cannot be before the check".into(),
        ));
    }
    let done = sqlx::query("UPDATE spot_check_results SET rectified_on = $2, rectification_note = $3, updated_at = $4, version = version + 1 WHERE id = $1 AND version = $5")
        .bind(before.id)
        .bind(on.clone())
        .bind(note.clone())
        .bind(now)
        .bind(before.version)
        .execute(tx.conn())
        .await
        .map_err(StoreError::from)?;
    if done.rows_affected() != 1 {
        return Err(web::conflict("spot check result", &object));
    }
    log(
        tx.conn(),
        key,
        now,
        &c,
        "rectified",
        json!({"object_id": object, "on": on}),
    )
    .await?;
    crate::domains::risk::recompute_for(tx.conn(), [before.provider_code.as_str()], now).await?;
    tx.commit().await?;
    Ok(Json(ResultRow {
        rectified_on: Some(on),
        rectification_note: note,
        updated_at: now,
        version: before.version + 1,
        ..before
    }))
}

/// The last day for publishing a spot check's results: `within` working days after its last
/// check, and whether the working-day calendar covered every day counted. Where it does not (a
/// year whose holidays the State Council has not announced yet), the days are counted Monday to
/// Friday: publication is never refused for want of a calendar, and the log says the deadline
/// is an estimate.
pub fn publish_due(
    results: &[ResultRow],
    within: u32,
    calendar: &workdays::Calendar,
) -> Option<(Date, bool)> {
    let last = results
        .iter()
        .filter_map(|r| r.checked_on.as_deref()?.parse::<Date>().ok())
        .max()?;
    match workdays::add_working_days(last, within, calendar) {
        Ok(d) => Some((d, true)),
        Err(_) => Some((workdays::add_weekdays(last, within), false)),
    }
}

/// POST /api/spot-checks/{id}/publish: 一公开 — the draw and every result become public.
#[utoipa::path(post, path = "/api/spot-checks/{id}/publish", tag = "inspections",
    params(("id" = i64, Path, description = "Spot check id")),
    responses((status = 200, body = checks::SpotCheckRow), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn publish(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Json<checks::SpotCheckRow>> {
    let expected = web::if_match(&headers)?;
    let key = path_id(&id)?;
    let now = st.clock.now_ms();
    let today = web::today(&st)?;
    let mut tx = st.store.begin().await?;
    let row = load(tx.conn(), key).await?;
    if expected.is_some_and(|v| v != row.version) {
        return Err(web::conflict("spot check", &id));
    }
    let next = next_status(&row.status, Action::Publish).ok_or_else(|| {
        AppError::new(
            StatusCode::CONFLICT,
            "wrong_status",
            format!(
                "抽查 {key} 当前状态为 {}，不能公示",
                super::status_zh(&row.status)
            ),
            format!("spot check {key} is {}: it cannot be published", row.status),
        )
    })?;
    let results = of_check(tx.conn(), key).await?;
    let missing: Vec<&str> = results
        .iter()
        .filter(|r| r.outcome.is_none())
        .map(|r| r.object_id.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            "results_missing",
            format!(
                "还有 {} 个抽中对象没有检查结果：{}",
                missing.len(),
                missing.join("、")
            ),
            format!(
                "{} drawn objects have no result yet: {}",
                missing.len(),
                missing.join(", ")
            ),
        ));
    }
    let calendar = crate::domains::reviews::settings::calendar(tx.conn()).await?;
    let within = u32::try_from(row.publish_within_days).unwrap_or(checks::PUBLISH_WITHIN_DAYS);
    let due = publish_due(&results, within, &calendar);
    let late = due.is_some_and(|(d, _)| today > d);
    let covered = due.is_none_or(|(_, c)| c);
    let due = due.map(|(d, _)| d);
    let done = sqlx::query("UPDATE spot_checks SET status = $2, publish_due = $3, published_at = $4, updated_at = $4, version = version + 1 WHERE id = $1 AND version = $5")
        .bind(key)
        .bind(next.to_string())
        .bind(due.map(|d| d.to_string()))
        .bind(now)
        .bind(row.version)
        .execute(tx.conn())
        .await
        .map_err(StoreError::from)?;
    if done.rows_affected() != 1 {
        return Err(web::conflict("spot check", &id));
    }
    log(
        tx.conn(),
        key,
        now,
        &c,
        "publish",
        json!({"publish_due": due.map(|d| d.to_string()), "late": late, "calendar_covered": covered}),
    )
    .await?;
    let row = load(tx.conn(), key).await?;
    tx.commit().await?;
    Ok(Json(row))
}

/// A published result, as everyone sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicResultRow {
    pub spot_check_id: i64,
    pub spot_check: String,
    pub object_id: String,
    pub object_name: Option<String>,
    pub provider_code: String,
    pub provider_name: Option<String>,
    pub check_items: String,
    pub checked_on: String,
    pub outcome: String,
    pub outcome_zh: String,
    pub findings: Option<String>,
    pub rectification_due: Option<String>,
    pub rectified_on: Option<String>,
    pub published_on: String,
}

/// Filters of the public results.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PublicQuery {
    /// A unified social credit code.
    pub subject: Option<String>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

/// A published result joined with its spot check, outlet and provider.
struct Joined {
    sid: i64,
    label: String,
    object_id: String,
    fname: Option<String>,
    provider_code: String,
    pname: Option<String>,
    checked_on: Option<String>,
    outcome: Option<String>,
    findings: Option<String>,
    due: Option<String>,
    rectified_on: Option<String>,
    published_at: Option<i64>,
}
from_row!(Joined {
    sid,
    label,
    object_id,
    fname,
    provider_code,
    pname,
    checked_on,
    outcome,
    findings,
    due,
    rectified_on,
    published_at
});

/// The check items of a stored plan, without reading its pools.
#[derive(Deserialize)]
struct PlanItems {
    check_items: Vec<lc_credit::draw::CheckItem>,
}

/// The check items of every spot check (`code name`), read once per answer from the stored
/// plans: the pools the plans also hold are skipped, not built.
async fn check_item_labels(
    conn: &mut AnyConnection,
) -> ApiResult<std::collections::BTreeMap<i64, Vec<String>>> {
    let plans: Vec<(i64, String)> = sqlx::query_as("SELECT id, plan FROM spot_checks")
        .fetch_all(conn)
        .await
        .map_err(StoreError::from)?;
    plans
        .into_iter()
        .map(|(id, text)| {
            let p: PlanItems = serde_json::from_str(&text)
                .map_err(|e| AppError::internal(format!("stored plan of spot check {id}: {e}")))?;
            let labels = p
                .check_items
                .iter()
                .map(|i| format!("{} {}", i.code, i.name))
                .collect();
            Ok((id, labels))
        })
        .collect()
}

/// GET /api/public/spot-check-results: every published result.
#[utoipa::path(get, path = "/api/public/spot-check-results", tag = "inspections", params(PublicQuery),
    responses((status = 200, description = "JSON, or CSV with format=csv", content((Object = "application/json"), (String = "text/csv"))), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn public_results(
    State(st): State<Arc<AppState>>,
    Query(q): Query<PublicQuery>,
) -> ApiResult<Response> {
    let csv = web::csv_format(&q.format)?;
    let subject = q.subject.clone().filter(|s| !s.trim().is_empty());
    let items = public_result_rows(&st, subject).await?;
    let values = web::to_values(&items);
    if csv {
        let today = web::today(&st)?;
        return bulk::csv_of_values(
            &format!("spot-check-results-{today}.csv"),
            PUBLIC_RESULT_COLUMNS,
            &values,
        );
    }
    Ok(Json(json!({"count": values.len(), "items": values})).into_response())
}

/// The columns of the public results' CSV (and of the open dataset).
pub const PUBLIC_RESULT_COLUMNS: &[&str] = &[
    "spot_check_id",
    "spot_check",
    "object_id",
    "object_name",
    "provider_code",
    "provider_name",
    "check_items",
    "checked_on",
    "outcome",
    "outcome_zh",
    "findings",
    "rectification_due",
    "rectified_on",
    "published_on",
];

/// Every published result (of one provider when `subject` is given), newest spot check first.
pub(crate) async fn public_result_rows(
    st: &AppState,
    subject: Option<String>,
) -> ApiResult<Vec<PublicResultRow>> {
    let rows: Vec<Joined> = sqlx::query_as(
        "SELECT s.id AS sid, s.label, r.object_id, f.name AS fname, r.provider_code, p.name AS pname, r.checked_on, r.outcome, r.findings, r.rectification_due AS due, r.rectified_on, s.published_at FROM spot_check_results r JOIN spot_checks s ON s.id = r.spot_check_id LEFT JOIN facilities f ON f.id = r.object_id LEFT JOIN providers p ON p.uscc = r.provider_code WHERE s.status = 'published' AND ($1 IS NULL OR r.provider_code = $1) ORDER BY s.id DESC, r.object_id",
    )
    .bind(subject)
    .fetch_all(st.store.pool())
    .await
    .map_err(StoreError::from)?;
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let labels = check_item_labels(&mut conn).await?;
    let mut items = Vec::with_capacity(rows.len());
    for Joined {
        sid,
        label,
        object_id: object,
        fname,
        provider_code: provider,
        pname,
        checked_on: checked,
        outcome,
        findings,
        due,
        rectified_on: rectified,
        published_at: published,
    } in rows
    {
        let outcome = outcome.unwrap_or_default();
        let published_on = published
            .and_then(|ms| lc_services::time::local_date(ms).ok())
            .map(|d| d.to_string())
            .unwrap_or_default();
        items.push(PublicResultRow {
            spot_check_id: sid,
            spot_check: label,
            object_name: fname.or_else(|| pname.clone()),
            object_id: object,
            provider_code: provider,
            provider_name: pname,
            check_items: labels.get(&sid).map(|l| l.join("；")).unwrap_or_default(),
            checked_on: checked.unwrap_or_default(),
            outcome_zh: outcome_zh(&outcome).to_string(),
            outcome,
            findings,
            rectification_due: due,
            rectified_on: rectified,
            published_on,
        });
    }
    Ok(items)
}

/// A spot check as everyone sees it: before the draw, what fixes it in advance (pool hashes,
/// seed commitment, public-value sources); after publication, the public result of the draw
/// (no class) with the manifest's hash.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicSpotCheck {
    pub id: i64,
    pub label: String,
    pub status: String,
    pub draw_on: String,
    pub objects_sha256: String,
    pub inspectors_sha256: String,
    pub seed_commitment: Option<String>,
    pub public_value_sources: Vec<String>,
    pub check_items: Vec<String>,
    pub manifest_sha256: Option<String>,
    pub publish_due: Option<String>,
    pub published_on: Option<String>,
    pub redraw_of: Option<i64>,
    pub redraw_reason: Option<String>,
    pub superseded_by: Option<i64>,
}

fn public_view(r: &checks::SpotCheckRow, check_items: Vec<String>) -> PublicSpotCheck {
    let published = r.status == "published" || r.status == "superseded";
    PublicSpotCheck {
        id: r.id,
        label: r.label.clone(),
        status: r.status.clone(),
        draw_on: r.draw_on.clone(),
        objects_sha256: r.objects_sha256.clone(),
        inspectors_sha256: r.inspectors_sha256.clone(),
        seed_commitment: r.seed_commitment.clone(),
        public_value_sources: super::pools::list_of(&r.public_value_sources),
        check_items,
        // The drawn list stays internal until the results are published (surprise checks).
        manifest_sha256: if published {
            r.manifest_sha256.clone()
        } else {
            None
        },
        publish_due: r.publish_due.clone(),
        published_on: r
            .published_at
            .and_then(|ms| lc_services::time::local_date(ms).ok())
            .map(|d| d.to_string()),
        redraw_of: r.redraw_of,
        redraw_reason: r.redraw_reason.clone(),
        superseded_by: r.superseded_by,
    }
}

/// GET /api/public/spot-checks.
#[utoipa::path(get, path = "/api/public/spot-checks", tag = "inspections",
    responses((status = 200, body = Vec<PublicSpotCheck>), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn public_list(State(st): State<Arc<AppState>>) -> ApiResult<Json<Vec<PublicSpotCheck>>> {
    let rows: Vec<checks::SpotCheckRow> = sqlx::query_as(&format!(
        "SELECT {} FROM spot_checks ORDER BY id DESC",
        checks::COLS
    ))
    .fetch_all(st.store.pool())
    .await
    .map_err(StoreError::from)?;
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let mut labels = check_item_labels(&mut conn).await?;
    Ok(Json(
        rows.iter()
            .map(|r| public_view(r, labels.remove(&r.id).unwrap_or_default()))
            .collect(),
    ))
}

/// GET /api/public/spot-checks/{id}/draw: the public result of a published draw, in the form
/// `livingcircle draw verify --public` reads.
#[utoipa::path(get, path = "/api/public/spot-checks/{id}/draw", tag = "inspections",
    params(("id" = i64, Path, description = "Spot check id")),
    responses((status = 200, body = Object, description = "The public result (no class)"), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn public_draw(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let key = path_id(&id)?;
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let row = load(&mut conn, key).await?;
    let m = if row.status == "published" {
        checks::manifest_of(&mut conn, key).await?
    } else {
        None
    };
    let m = m.ok_or_else(|| {
        AppError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("抽查 {key} 的抽取结果尚未公示"),
            format!("the draw of spot check {key} is not published"),
        )
    })?;
    serde_json::to_value(m.public_result())
        .map(Json)
        .map_err(AppError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(on: &str) -> ResultRow {
        ResultRow {
            id: 1,
            spot_check_id: 1,
            object_id: "F1".into(),
            provider_code: "P".into(),
            inspectors: "[]".into(),
            outcome: Some("no_problem".into()),
            findings: None,
            checked_on: Some(on.into()),
            rectification_due: None,
            rectified_on: None,
            rectification_note: None,
            recorded_by: None,
            updated_at: 0,
            version: 1,
        }
    }

    #[test]
    fn the_deadline_counts_working_days_from_the_last_check() {
        let cal = workdays::Calendar::national();
        // Checks on 2026-09-25 and 2026-09-28: from the 28th, 20 working days skip the National
        // Day holiday (10-01 to 10-07) and count the 调休 Saturday 10-10: 09-29, 09-30, 10-08,
        // 10-09, 10-10 (5), 10-12–16 (10), 10-19–23 (15), 10-26–30 (20) → 2026-10-30.
        let due = publish_due(&[checked("2026-09-25"), checked("2026-09-28")], 20, cal);
        assert_eq!(due, Some(("2026-10-30".parse().unwrap(), true)));
        assert_eq!(publish_due(&[], 20, cal), None);
    }

    #[test]
    fn a_year_the_calendar_does_not_cover_counts_monday_to_friday() {
        let cal = workdays::Calendar::national();
        // 2030-12-27 (Friday) + 3 weekdays: 30, 31 December, 1 January → 2031-01-01, estimated.
        let due = publish_due(&[checked("2030-12-27")], 3, cal);
        assert_eq!(due, Some(("2031-01-01".parse().unwrap(), false)));
    }
}
