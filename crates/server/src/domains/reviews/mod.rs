//! 好差评: service-quality reviews (issue 12). A resident, or their proxy with consent, rates a
//! completed booking or care visit once ([`records`]); a 差评 opens a case handled by the
//! provider under the regulator's supervision with a deadline from the rules in force
//! ([`cases`], [`settings`]); ratings, monthly statistics, the 约谈 list and the exchange file
//! are computed from the reviews by the same functions that recompute them from the log
//! ([`stats`]). The pure rules are `lc-reviews`.

pub mod cases;
pub mod records;
pub mod settings;
pub mod stats;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;
use lc_registry::{Access, Role};

use lc_services::time::YearMonth;

use crate::endpoints::{ep, Endpoint, JSON};
use crate::error::{ApiResult, AppError};
use crate::AppState;

use Role::*;

const SCOPE_REVIEWS: &str = "resident: their own reviews and those they made for others; provider staff: their provider's, without who rated; community worker: their community's";
const SCOPE_CASES: &str = "provider staff: their own provider's cases (never who rated)";

/// The endpoints of this domain.
pub const ENDPOINTS: &[Endpoint] = &[
    ep!("GET", "/api/review-settings", Access::Public, "", "reviews", "The review rules in force: jurisdiction, deadlines, default rating, minimum count, indicator sets, calendar years.", None, JSON),
    ep!("PUT", "/api/review-settings", Access::Roles(&[Admin]), "", "reviews", "Set the review rules (If-Match).", Some(JSON), JSON),
    ep!("POST", "/api/reviews", Access::Roles(&[Resident, CommunityWorker, Admin]), "resident: a service they received, or booked for someone (with consent); community worker: a resident of their community (with consent)", "reviews", "Rate a completed booking or care visit (once).", Some(JSON), JSON),
    ep!("GET", "/api/reviews", Access::Roles(&[Resident, ProviderStaff, CommunityWorker, Regulator, Admin]), SCOPE_REVIEWS, "reviews", "List reviews.", None, JSON),
    ep!("GET", "/api/reviews/log", Access::Roles(&[Regulator, Admin]), "", "reviews", "The append-only review log (every published figure is recomputable from it).", None, JSON),
    ep!("POST", "/api/reviews/default-ratings", Access::Roles(&[Regulator, Admin]), "", "reviews", "Give the jurisdiction's default rating to services left unrated past its period.", None, JSON),
    ep!("GET", "/api/reviews/{id}", Access::Roles(&[Resident, ProviderStaff, CommunityWorker, Regulator, Admin]), SCOPE_REVIEWS, "reviews", "One review.", None, JSON),
    ep!("GET", "/api/review-cases", Access::Roles(&[ProviderStaff, Regulator, Admin]), SCOPE_CASES, "reviews", "List 差评 cases (overdue=true: past their deadline).", None, JSON),
    ep!("GET", "/api/review-cases/{id}", Access::Roles(&[ProviderStaff, Regulator, Admin]), SCOPE_CASES, "reviews", "A 差评 case with its review and history.", None, JSON),
    ep!("POST", "/api/review-cases/{id}/actions", Access::Roles(&[ProviderStaff, Regulator, Admin]), "provider staff: verify, rectify, explain, appeal, report the fix, close, on their own provider's cases; regulator: verify, decide appeals, extend deadlines, call back, close", "reviews", "Act on a 差评 case (If-Match).", Some(JSON), JSON),
    ep!("GET", "/api/ratings", Access::Public, "", "reviews", "Public ratings by outlet, provider, practitioner or service type, in an area (shown from the minimum count).", None, JSON),
    ep!("GET", "/api/review-stats/monthly", Access::Roles(&[Regulator, Admin]), "", "reviews", "A month's statistics per outlet or region, with the ranking.", None, JSON),
    ep!("GET", "/api/review-stats/low-ranked", Access::Roles(&[Regulator, Admin]), "", "reviews", "Outlets ranked low two months in a row (约谈).", None, JSON),
    ep!("GET", "/api/review-exchange", Access::Roles(&[Regulator, Admin]), "", "reviews", "A month's reviews and cases for a provincial system, keyed by case number (JSON or CSV).", None, JSON),
];

/// The routes of this domain.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/api/review-settings",
            get(settings::get_settings).put(settings::put_settings),
        )
        .route("/api/reviews", get(records::list).post(records::create))
        .route("/api/reviews/log", get(records::log))
        .route(
            "/api/reviews/default-ratings",
            post(records::default_ratings),
        )
        .route("/api/reviews/{id}", get(records::read))
        .route("/api/review-cases", get(cases::list))
        .route("/api/review-cases/{id}", get(cases::read))
        .route("/api/review-cases/{id}/actions", post(cases::act))
        .route("/api/ratings", get(stats::ratings))
        .route("/api/review-stats/monthly", get(stats::monthly))
        .route("/api/review-stats/low-ranked", get(stats::low_ranked))
        .route("/api/review-exchange", get(stats::exchange))
}

/// An optional `month` query parameter, `YYYY-MM`.
pub fn month_param(v: &Option<String>) -> ApiResult<Option<YearMonth>> {
    match v.as_deref().filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s.parse().map(Some).map_err(|_| {
            AppError::bad_request(
                format!("month 应为 YYYY-MM：{}", lc_model::quote(s)),
                format!("month must be YYYY-MM: {}", lc_model::quote(s)),
            )
        }),
    }
}
