//! Credit-risk classes A–D (信用风险分类, issue 13 item 3): each enterprise's internal class,
//! assessed by `lc_credit::class` from facts the platform holds — penalties in 12 months, severe
//! penalties in 36 months, the 差评 rate of the last 12 months (once its reviews reach the public
//! minimum), 差评 cases and spot-check rectifications overdue, spot checks with findings in 12
//! months, substantiated complaints (差评 cases verified, not excluded on appeal) in 12 months,
//! credit commitments assessed broken (partly or not fulfilled) on a day within 36 months, an
//! entry on the black list in force today (`credit_lists.rs`). A fact the platform cannot give
//! (the 差评 rate below the public minimum of reviews) is absent and counts 0, and the answer
//! says so.
//!
//! Recomputed for an enterprise when its penalties are imported, a spot-check result of it is
//! recorded, a commitment of its is assessed broken (or no longer), or it enters or leaves the
//! black list (in that change's transaction),
//! for all by the server's hourly job and on demand. **Internal**: only regulators and
//! administrators read it; no public, provider, community-worker or resident response carries a
//! class (the authorization matrix test checks every endpoint's answer for every role).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use jiff::civil::Date;
use jiff::ToSpan;
use lc_credit::class::{self, Assessment};
use lc_registry::{Access, Role};
use lc_store::sqlx::{self, AnyConnection};
use lc_store::{from_row, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::auth::Caller;
use crate::endpoints::{ep, Endpoint, JSON};
use crate::error::{ApiResult, AppError};
use crate::web::{self, Paged};
use crate::AppState;

use Role::*;

/// The endpoints of this domain.
pub const ENDPOINTS: &[Endpoint] = &[
    ep!(
        "GET",
        "/api/credit/classes",
        Access::Roles(&[Regulator, Admin]),
        "internal: never shown to the public or to providers",
        "credit",
        "Credit-risk classes A–D with every factor's contribution.",
        None,
        JSON
    ),
    ep!(
        "POST",
        "/api/credit/classes/recompute",
        Access::Roles(&[Regulator, Admin]),
        "",
        "credit",
        "Recompute every enterprise's class now.",
        None,
        JSON
    ),
];

/// The routes of this domain.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/credit/classes", get(list))
        .route("/api/credit/classes/recompute", post(recompute_now))
}

/// A stored class.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct ClassRow {
    pub subject_uscc: String,
    /// A (low risk) to D (high).
    pub risk_class: String,
    pub score: i64,
    /// Every factor: its fact (null when the platform has none) and points.
    #[serde(serialize_with = "crate::web::json_text_plain")]
    #[schema(value_type = Object)]
    pub contributions: String,
    pub rules_version: String,
    /// The class before the last change (a drop is a warning's condition).
    pub previous_class: Option<String>,
    pub computed_at: i64,
    pub version: i64,
}
from_row!(ClassRow {
    subject_uscc,
    risk_class,
    score,
    contributions,
    rules_version,
    previous_class,
    computed_at,
    version
});

/// A penalty is severe when it revokes a licence, stops production or business, closes, or
/// restricts practice, or fines at least 10 万元 (10,000,000 fen).
const SEVERE_WORDS: &[&str] = &["吊销", "责令停产停业", "责令关闭", "限制从业"];
const SEVERE_FINE_FEN: i64 = 10_000_000;

fn days_before(today: Date, days: i64) -> String {
    today
        .checked_sub(days.days())
        .unwrap_or(Date::MIN)
        .to_string()
}

/// The facts of an enterprise on `today` (`now` in ms for the review window).
pub async fn facts(
    conn: &mut AnyConnection,
    uscc: &str,
    today: Date,
    now: i64,
    review_minimum: u32,
) -> ApiResult<BTreeMap<String, i64>> {
    let mut f = BTreeMap::new();
    let penalties: Vec<(String, Option<i64>, String)> = sqlx::query_as(
        "SELECT decided, fine_fen, fields FROM credit_records WHERE kind = 'penalty' AND subject_uscc = $1 AND decided > $2",
    )
    .bind(uscc.to_string())
    .bind(days_before(today, 3 * 365 + 1))
    .fetch_all(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    let year_ago = days_before(today, 365);
    let recent = penalties.iter().filter(|p| p.0 > year_ago).count();
    let severe = penalties
        .iter()
        .filter(|(_, fine, fields)| {
            fine.is_some_and(|x| x >= SEVERE_FINE_FEN)
                || SEVERE_WORDS.iter().any(|w| fields.contains(w))
        })
        .count();
    f.insert("penalties_12m".into(), recent as i64);
    f.insert("serious_penalties_36m".into(), severe as i64);
    let (count, bad): (i64, Option<i64>) = sqlx::query_as(
        "SELECT COUNT(*), SUM(CASE WHEN class = 'bad' THEN 1 ELSE 0 END) FROM reviews WHERE provider_code = $1 AND excluded = 0 AND rated_at >= $2",
    )
    .bind(uscc.to_string())
    .bind(now - 365 * 86_400_000)
    .fetch_one(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    if count > 0 && count >= i64::from(review_minimum) {
        f.insert(
            "bad_review_rate_bp".into(),
            bad.unwrap_or(0) * 10_000 / count,
        );
    }
    let overdue: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM review_cases WHERE provider_code = $1 AND status IN ('received', 'verified', 'rectifying') AND deadline IS NOT NULL AND deadline < $2",
    )
    .bind(uscc.to_string())
    .bind(today.to_string())
    .fetch_one(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    // Rectifications a spot check ordered and not done by their deadline count as well.
    let overdue_checks: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM spot_check_results WHERE provider_code = $1 AND outcome = 'rectify_ordered' AND rectified_on IS NULL AND rectification_due < $2",
    )
    .bind(uscc.to_string())
    .bind(today.to_string())
    .fetch_one(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    f.insert("overdue_rectifications".into(), overdue + overdue_checks);
    // Substantiated complaints: 差评 cases the provider verified (not excluded on appeal), opened
    // in the last 12 months.
    let complaints: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM review_cases WHERE provider_code = $1 AND verified = 1 AND excluded = 0 AND opened_at >= $2",
    )
    .bind(uscc.to_string())
    .bind(now - 365 * 86_400_000)
    .fetch_one(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    f.insert("complaints_12m".into(), complaints);
    // Spot checks with findings (or that could not be made) in the last 12 months.
    let failed: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM spot_check_results WHERE provider_code = $1 AND outcome IS NOT NULL AND outcome <> 'no_problem' AND checked_on > $2",
    )
    .bind(uscc.to_string())
    .bind(year_ago.clone())
    .fetch_one(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    f.insert("failed_spot_checks_12m".into(), failed);
    // Commitments assessed broken within 36 months; an open black-list entry.
    let broken =
        super::credit_lists::broken_since(&mut *conn, uscc, &days_before(today, 3 * 365 + 1))
            .await?;
    f.insert("broken_commitments".into(), broken);
    let black = super::credit_lists::black_listed(&mut *conn, uscc, today).await?;
    f.insert("black_list".into(), i64::from(black));
    Ok(f)
}

/// Assesses and stores an enterprise's class (compare-and-set on its version) with the review
/// rules' public minimum (the 差评 rate counts from it); the assessment.
pub async fn recompute(
    conn: &mut AnyConnection,
    uscc: &str,
    now: i64,
    review_minimum: u32,
) -> ApiResult<Assessment> {
    let today = lc_services::time::local_date(now).map_err(AppError::internal)?;
    let f = facts(&mut *conn, uscc, today, now, review_minimum).await?;
    let a = class::assess(class::builtin(), &f);
    let before: Option<(String, i64)> =
        sqlx::query_as("SELECT risk_class, version FROM credit_classes WHERE subject_uscc = $1")
            .bind(uscc.to_string())
            .fetch_optional(&mut *conn)
            .await
            .map_err(StoreError::from)?;
    let contributions = serde_json::to_string(&a.contributions).map_err(AppError::internal)?;
    let done = match &before {
        None => sqlx::query("INSERT INTO credit_classes (subject_uscc, risk_class, score, contributions, rules_version, previous_class, computed_at, version) VALUES ($1, $2, $3, $4, $5, NULL, $6, 0) ON CONFLICT (subject_uscc) DO NOTHING")
            .bind(uscc.to_string())
            .bind(a.class.key().to_string())
            .bind(i64::from(a.score))
            .bind(contributions)
            .bind(a.rules_version.clone())
            .bind(now)
            .execute(&mut *conn)
            .await,
        Some((old, version)) => {
            // The previous class changes only when the class does.
            let previous = if old == a.class.key() { None } else { Some(old.clone()) };
            sqlx::query("UPDATE credit_classes SET risk_class = $2, score = $3, contributions = $4, rules_version = $5, previous_class = COALESCE($6, previous_class), computed_at = $7, version = version + 1 WHERE subject_uscc = $1 AND version = $8")
                .bind(uscc.to_string())
                .bind(a.class.key().to_string())
                .bind(i64::from(a.score))
                .bind(contributions)
                .bind(a.rules_version.clone())
                .bind(previous)
                .bind(now)
                .bind(*version)
                .execute(&mut *conn)
                .await
        }
    }
    .map_err(StoreError::from)?;
    if done.rows_affected() != 1 {
        return Err(web::conflict("credit class", uscc));
    }
    Ok(a)
}

/// Recomputes the classes of these enterprises in the caller's (writing) transaction, reading the
/// review rules in force once: what every change that can move a class calls.
pub async fn recompute_for<'a>(
    conn: &mut AnyConnection,
    subjects: impl IntoIterator<Item = &'a str>,
    now: i64,
) -> ApiResult<()> {
    let (review_rules, _) = super::reviews::settings::load(&mut *conn).await?;
    for uscc in subjects {
        recompute(&mut *conn, uscc, now, review_rules.minimum).await?;
    }
    Ok(())
}

/// Recomputes every enterprise with records or reviews; how many.
pub async fn recompute_all(st: &AppState) -> ApiResult<usize> {
    let subjects: Vec<String> = sqlx::query_scalar(
        "SELECT subject_uscc FROM credit_records UNION SELECT provider_code FROM reviews WHERE provider_code IS NOT NULL UNION SELECT provider_code FROM spot_check_results UNION SELECT subject_uscc FROM credit_classes UNION SELECT committer_code FROM credit_commitments WHERE broken = 1 AND committer_kind <> 'person' UNION SELECT subject_uscc FROM credit_list_entries WHERE list_kind = 'black' ORDER BY 1",
    )
    .fetch_all(st.store.pool())
    .await
    .map_err(StoreError::from)?;
    let now = st.clock.now_ms();
    for chunk in subjects.chunks(200) {
        let mut tx = st.store.begin().await?;
        let (review_rules, _) = super::reviews::settings::load(tx.conn()).await?;
        for s in chunk {
            recompute(tx.conn(), s, now, review_rules.minimum).await?;
        }
        tx.commit().await?;
    }
    Ok(subjects.len())
}

/// Filters of the class list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `A`, `B`, `C` or `D`.
    pub risk_class: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    pub page: web::PageQuery,
}

/// GET /api/credit/classes.
#[utoipa::path(get, path = "/api/credit/classes", tag = "credit", params(ListQuery, web::PageQuery),
    responses((status = 200, body = Paged<ClassRow>), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list(
    State(st): State<Arc<AppState>>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Paged<ClassRow>>> {
    let page = q.page.page()?;
    let class = q.risk_class.clone().filter(|s| !s.is_empty());
    if class
        .as_deref()
        .is_some_and(|c| class::Class::from_key(c).is_none())
    {
        return Err(AppError::bad_request(
            "risk_class 应为 A、B、C 或 D",
            "risk_class must be A, B, C or D",
        ));
    }
    let total: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM credit_classes WHERE ($1 IS NULL OR risk_class = $1)",
    )
    .bind(class.clone())
    .fetch_one(st.store.pool())
    .await
    .map_err(StoreError::from)?;
    let rows = sqlx::query_as(
        "SELECT subject_uscc, risk_class, score, contributions, rules_version, previous_class, computed_at, version FROM credit_classes WHERE ($1 IS NULL OR risk_class = $1) ORDER BY risk_class DESC, score DESC, subject_uscc LIMIT $2 OFFSET $3",
    )
    .bind(class)
    .bind(page.limit)
    .bind(page.offset)
    .fetch_all(st.store.pool())
    .await
    .map_err(StoreError::from)?;
    Ok(Json(Paged::new(rows, total, page)))
}

/// POST /api/credit/classes/recompute.
#[utoipa::path(post, path = "/api/credit/classes/recompute", tag = "credit",
    responses((status = 200, body = Object), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn recompute_now(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
) -> ApiResult<Json<serde_json::Value>> {
    let n = recompute_all(&st).await?;
    let mut tx = st.store.begin().await?;
    tx.audit(
        &c.actor(),
        "recompute",
        "credit_class",
        "*",
        json!({"enterprises": n}),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(
        json!({"enterprises": n, "rules_version": class::builtin().version}),
    ))
}
