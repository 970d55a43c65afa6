//! 双随机、一公开 (issue 13 item 4): spot checks of life-service enterprises with random objects
//! and random inspectors, made verifiable. The check-item list and the inspector pool
//! ([`pools`]); a spot check announced with its object pool frozen from the registry, the pool
//! hashes and the seed fixed in advance, drawn by `lc_credit::draw` into a manifest that
//! `livingcircle draw verify` replays offline, redrawn only with a logged reason ([`checks`]);
//! the results with their rectification, published within the deadline, and the public lists
//! ([`results`]). The manifest holds the internal credit-risk classes and goes to regulators
//! only; the public sees the draw's public result (no class) once the results are published.

pub mod checks;
pub mod pools;
pub mod results;

use std::sync::Arc;

use axum::routing::{get, patch, post};
use axum::Router;
use lc_registry::{Access, Role};

use crate::endpoints::{ep, Endpoint, JSON};
use crate::AppState;

use Role::*;

const G: Access = Access::Roles(&[Regulator, Admin]);

/// The endpoints of this domain.
pub const ENDPOINTS: &[Endpoint] = &[
    ep!(
        "GET",
        "/api/check-items",
        Access::Public,
        "",
        "inspections",
        "The check-item list (抽查事项清单): key items unlimited, general items limited.",
        None,
        JSON
    ),
    ep!(
        "POST",
        "/api/check-items",
        G,
        "",
        "inspections",
        "Add a check item with the qualifications it needs.",
        Some(JSON),
        JSON
    ),
    ep!(
        "PATCH",
        "/api/check-items/{code}",
        G,
        "",
        "inspections",
        "Change a check item (If-Match).",
        Some(JSON),
        JSON
    ),
    ep!(
        "GET",
        "/api/inspectors",
        G,
        "",
        "inspections",
        "The inspector pool (执法检查人员名录库) with qualifications and declared conflicts.",
        None,
        JSON
    ),
    ep!(
        "POST",
        "/api/inspectors",
        G,
        "",
        "inspections",
        "Add an inspector.",
        Some(JSON),
        JSON
    ),
    ep!(
        "PATCH",
        "/api/inspectors/{code}",
        G,
        "",
        "inspections",
        "Change an inspector (If-Match).",
        Some(JSON),
        JSON
    ),
    ep!(
        "GET",
        "/api/spot-checks",
        G,
        "",
        "inspections",
        "Spot checks.",
        None,
        JSON
    ),
    ep!(
        "POST",
        "/api/spot-checks",
        G,
        "",
        "inspections",
        "Announce a spot check: freeze the pools, fix the seed in advance.",
        Some(JSON),
        JSON
    ),
    ep!(
        "GET",
        "/api/spot-checks/{id}",
        G,
        "",
        "inspections",
        "A spot check with its results.",
        None,
        JSON
    ),
    ep!(
        "POST",
        "/api/spot-checks/{id}/draw",
        G,
        "",
        "inspections",
        "Make the draw: reveal the secret and the announced public values.",
        Some(JSON),
        JSON
    ),
    ep!(
        "GET",
        "/api/spot-checks/{id}/manifest",
        G,
        "",
        "inspections",
        "The draw's manifest, for `livingcircle draw verify` (internal: holds the classes).",
        None,
        JSON
    ),
    ep!(
        "POST",
        "/api/spot-checks/{id}/redraw",
        G,
        "",
        "inspections",
        "Replace a spot check not yet inspected by a new draw, with the reason (logged).",
        Some(JSON),
        JSON
    ),
    ep!(
        "GET",
        "/api/spot-checks/{id}/events",
        G,
        "",
        "inspections",
        "Every step of a spot check, redraws included.",
        None,
        JSON
    ),
    ep!(
        "POST",
        "/api/spot-checks/{id}/results",
        G,
        "",
        "inspections",
        "Record what the check of a drawn object found.",
        Some(JSON),
        JSON
    ),
    ep!(
        "POST",
        "/api/spot-checks/{id}/results/{object}/rectified",
        G,
        "",
        "inspections",
        "Record a rectification done.",
        Some(JSON),
        JSON
    ),
    ep!(
        "POST",
        "/api/spot-checks/{id}/publish",
        G,
        "",
        "inspections",
        "Publish the draw and the results (一公开).",
        None,
        JSON
    ),
    ep!(
        "GET",
        "/api/public/spot-checks",
        Access::Public,
        "",
        "inspections",
        "Spot checks as announced (pool hashes, seed commitment) and published.",
        None,
        JSON
    ),
    ep!(
        "GET",
        "/api/public/spot-checks/{id}/draw",
        Access::Public,
        "",
        "inspections",
        "The public result of a published draw (no class), as `draw verify --public` reads it.",
        None,
        JSON
    ),
    ep!(
        "GET",
        "/api/public/spot-check-results",
        Access::Public,
        "",
        "inspections",
        "Published spot-check results (format=json|csv).",
        None,
        JSON
    ),
];

/// The routes of this domain.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/api/check-items",
            get(pools::list_items).post(pools::create_item),
        )
        .route("/api/check-items/{code}", patch(pools::patch_item))
        .route(
            "/api/inspectors",
            get(pools::list_inspectors).post(pools::create_inspector),
        )
        .route("/api/inspectors/{code}", patch(pools::patch_inspector))
        .route("/api/spot-checks", get(checks::list).post(checks::announce))
        .route("/api/spot-checks/{id}", get(checks::get_one))
        .route("/api/spot-checks/{id}/draw", post(checks::make_draw))
        .route("/api/spot-checks/{id}/manifest", get(checks::manifest))
        .route("/api/spot-checks/{id}/redraw", post(checks::redraw))
        .route("/api/spot-checks/{id}/events", get(checks::events))
        .route("/api/spot-checks/{id}/results", post(results::record))
        .route(
            "/api/spot-checks/{id}/results/{object}/rectified",
            post(results::rectified),
        )
        .route("/api/spot-checks/{id}/publish", post(results::publish))
        .route("/api/public/spot-checks", get(results::public_list))
        .route(
            "/api/public/spot-checks/{id}/draw",
            get(results::public_draw),
        )
        .route(
            "/api/public/spot-check-results",
            get(results::public_results),
        )
}

/// What can happen to a spot check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Draw,
    Redraw,
    Record,
    Publish,
}

impl Action {
    fn zh(self) -> &'static str {
        match self {
            Action::Draw => "抽取",
            Action::Redraw => "重新抽取",
            Action::Record => "登记结果",
            Action::Publish => "公示",
        }
    }
    fn en(self) -> &'static str {
        match self {
            Action::Draw => "drawn",
            Action::Redraw => "redrawn",
            Action::Record => "given results",
            Action::Publish => "published",
        }
    }
}

/// The status after an action, or `None` when the status does not admit it: announced → drawn
/// → published; an announced or drawn check (with no result yet: checked by the caller) may be
/// superseded by a redraw; results are recorded while drawn.
pub fn next_status(status: &str, action: Action) -> Option<&'static str> {
    match (status, action) {
        ("announced", Action::Draw) => Some("drawn"),
        ("announced" | "drawn", Action::Redraw) => Some("superseded"),
        ("drawn", Action::Record) => Some("drawn"),
        ("drawn", Action::Publish) => Some("published"),
        _ => None,
    }
}

/// A status in Chinese.
pub fn status_zh(status: &str) -> &'static str {
    match status {
        "announced" => "已公布待抽取",
        "drawn" => "已抽取",
        "published" => "已公示",
        "superseded" => "已被重新抽取取代",
        _ => "未知",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_machine_admits_only_its_steps() {
        assert_eq!(next_status("announced", Action::Draw), Some("drawn"));
        assert_eq!(next_status("drawn", Action::Draw), None);
        assert_eq!(next_status("announced", Action::Publish), None);
        assert_eq!(next_status("drawn", Action::Publish), Some("published"));
        assert_eq!(next_status("published", Action::Redraw), None);
        assert_eq!(next_status("published", Action::Record), None);
        assert_eq!(next_status("superseded", Action::Draw), None);
        assert_eq!(next_status("drawn", Action::Redraw), Some("superseded"));
        assert_eq!(next_status("announced", Action::Record), None);
    }
}
