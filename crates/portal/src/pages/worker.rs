//! Community workers (mobile first): who in their community is due a visit this month, and
//! recording a visit (bookings on a resident's behalf and warnings: [`super::proxy`]).

use askama::Template;
use axum::body::Bytes;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use crate::ctx::Ctx;
use crate::ui::{Flash, Ui};

const ROLES: &[&str] = &["community_worker", "regulator", "admin"];

pub struct Due {
    pub register_id: i64,
    pub resident_id: i64,
    pub name: String,
    pub visits: u64,
    pub visited: bool,
}

#[derive(Template)]
#[template(path = "worker.html")]
struct HomePage {
    ui: Ui,
    month: String,
    due: u64,
    visited: u64,
    items: Vec<Due>,
}

/// GET /worker.
pub async fn home(ctx: Ctx) -> Response {
    if let Err(r) = ctx.require_role(ROLES) {
        return *r;
    }
    let v = match ctx.get("/api/care/visits/due").await {
        Ok(v) => v,
        Err(e) => return super::api_error(&ctx, &e),
    };
    let mut items: Vec<Due> = v["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| Due {
            register_id: d["register_id"].as_i64().unwrap_or(0),
            resident_id: d["resident_id"].as_i64().unwrap_or(0),
            name: d["resident_name"].as_str().unwrap_or("—").to_string(),
            visits: d["visits"].as_u64().unwrap_or(0),
            visited: d["visited"].as_bool().unwrap_or(false),
        })
        .collect();
    // Not yet visited first.
    items.sort_by_key(|d| (d.visited, d.register_id));
    let t = HomePage {
        ui: ctx.ui.clone(),
        month: v["month"].as_str().unwrap_or_default().to_string(),
        due: v["due"].as_u64().unwrap_or(0),
        visited: v["visited"].as_u64().unwrap_or(0),
        items,
    };
    super::render(&ctx, StatusCode::OK, &t)
}

#[derive(Deserialize)]
pub struct VisitQuery {
    register_id: Option<i64>,
}

#[derive(Template)]
#[template(path = "visit_form.html")]
struct VisitPage {
    ui: Ui,
    register_id: i64,
    name: String,
    today: String,
    now: String,
}

/// GET /worker/visits/new?register_id=…
pub async fn visit_form(ctx: Ctx, Query(q): Query<VisitQuery>) -> Response {
    if let Err(r) = ctx.require_role(ROLES) {
        return *r;
    }
    let Some(id) = q.register_id else {
        return ctx.redirect_with(
            "/worker",
            Flash::error(
                "请先在名单中选择一位老人",
                "choose a person from the list first",
            ),
        );
    };
    let entry = match ctx.get(&format!("/api/care/register/{id}")).await {
        Ok(v) => v,
        Err(e) => return super::api_error(&ctx, &e),
    };
    let now = ctx.portal.now();
    let t = VisitPage {
        ui: ctx.ui.clone(),
        register_id: id,
        name: entry["resident_name"]
            .as_str()
            .or(entry["name"].as_str())
            .unwrap_or("—")
            .to_string(),
        today: now.date().to_string(),
        now: format!("{:02}:{:02}", now.hour(), now.minute()),
    };
    super::render(&ctx, StatusCode::OK, &t)
}

#[derive(Deserialize)]
struct VisitForm {
    #[serde(default)]
    _csrf: String,
    register_id: i64,
    #[serde(default)]
    mode: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    end: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    need: String,
}

/// POST /worker/visits/new: records the visit through the API.
pub async fn record_visit(ctx: Ctx, body: Bytes) -> Response {
    if let Err(r) = ctx.require_role(ROLES) {
        return *r;
    }
    let f: VisitForm = match super::form(&body) {
        Ok(f) => f,
        Err(flash) => return ctx.redirect_with("/worker", flash),
    };
    let here = format!("/worker/visits/new?register_id={}", f.register_id);
    if !ctx.csrf_ok(&f._csrf) {
        return ctx.redirect_with(&here, super::stale_form());
    }
    let mut req = json!({
        "register_id": f.register_id, "mode": f.mode, "date": f.date,
        "start": f.start, "end": f.end, "place": f.place, "outcome": f.outcome,
    });
    if !f.need.trim().is_empty() {
        req["needs"] = json!([{"text": f.need.trim()}]);
    }
    match ctx.post("/api/care/visits", &req).await {
        Ok(_) => ctx.redirect_with("/worker", Flash::ok("走访记录已保存", "Visit recorded")),
        Err(e) => ctx.redirect_with(&here, e.flash()),
    }
}
