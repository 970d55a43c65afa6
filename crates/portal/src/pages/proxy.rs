//! Community workers, continued (mobile first): bookings on a resident's behalf (代办) — a
//! resident of the worker's community, services near that resident's community by walking
//! distance, an outlet's free slots, the resident's consent recorded, booked through the API
//! with `channel: "proxy"` —, the proxy bookings the worker made (cancel with a reason), and the
//! early warnings assigned to the worker's community (acknowledge, resolve).

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{json, Value};

use super::home::{service_links, ServiceLink};
use super::regulator::{act_on_warning, warning_lines, WarningLine};
use super::resident::{
    offering_cards, outlet_names, search, service_name, status_name, MapView, NearbyItem,
    OfferingCard,
};
use super::text as s;
use crate::ctx::Ctx;
use crate::ui::{encode, when, yuan, Flash, Ui};

/// Who books on a resident's behalf: the community's workers.
const ROLES: &[&str] = &["community_worker"];

/// The consent methods the API records, with their names.
fn consent_methods(ui: &Ui) -> Vec<(&'static str, String)> {
    [
        ("in_person", "当面同意", "In person"),
        ("phone", "电话同意", "By phone"),
        ("written", "书面同意", "In writing"),
        ("video", "视频同意", "By video"),
    ]
    .into_iter()
    .map(|(k, zh, en)| (k, ui.tr_s(zh, en)))
    .collect()
}

fn consent_name(ui: &Ui, key: &str) -> String {
    consent_methods(ui)
        .into_iter()
        .find(|(k, _)| *k == key)
        .map(|(_, n)| n)
        .unwrap_or_else(|| key.to_string())
}

/// A resident of the worker's community (the API refuses anyone else's), or the refusal as a
/// page.
async fn resident(ctx: &Ctx, id: i64) -> Result<Value, Response> {
    ctx.get(&format!("/api/residents/{id}"))
        .await
        .map_err(|e| super::api_error(ctx, &e))
}

// --- Residents ---------------------------------------------------------------------------------

pub struct ResidentLine {
    pub id: i64,
    pub name: String,
    pub registered: bool,
}

#[derive(Template)]
#[template(path = "worker_residents.html")]
struct ResidentsPage {
    ui: Ui,
    community: String,
    residents: Vec<ResidentLine>,
}

/// GET /worker/residents: the residents of the worker's community, each to book for.
pub async fn residents(ctx: Ctx) -> Response {
    let me = match ctx.require_role(ROLES) {
        Ok(me) => me.clone(),
        Err(r) => return *r,
    };
    let list = match ctx.get("/api/residents?limit=500").await {
        Ok(v) => super::items(&v),
        Err(e) => return super::api_error(&ctx, &e),
    };
    let registered: std::collections::BTreeSet<i64> = ctx
        .get("/api/care/visits/due")
        .await
        .map(|v| {
            super::items(&v)
                .iter()
                .filter_map(|d| d["resident_id"].as_i64())
                .collect()
        })
        .unwrap_or_default();
    let mut residents: Vec<ResidentLine> = list
        .iter()
        .map(|r| {
            let id = r["id"].as_i64().unwrap_or(0);
            ResidentLine {
                id,
                name: s(r, "name"),
                registered: registered.contains(&id),
            }
        })
        .collect();
    // The people on the care register first.
    residents.sort_by_key(|r| (!r.registered, r.id));
    let community = match &me.community_id {
        Some(c) => ctx
            .get(&format!("/api/communities/{}", encode(c)))
            .await
            .ok()
            .and_then(|v| v["name"].as_str().map(str::to_string))
            .unwrap_or_else(|| c.clone()),
        None => String::new(),
    };
    let t = ResidentsPage {
        ui: ctx.ui.clone(),
        community,
        residents,
    };
    super::render(&ctx, StatusCode::OK, &t)
}

// --- Services near the resident ----------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct ProxyQuery {
    resident: Option<i64>,
    service: Option<String>,
    walker: Option<String>,
}

#[derive(Template)]
#[template(path = "proxy_nearby.html")]
struct ProxyNearbyPage {
    ui: Ui,
    resident_id: i64,
    resident_name: String,
    services: Vec<ServiceLink>,
    service: String,
    service_label: String,
    elderly_pace: bool,
    origin: String,
    searched: bool,
    items: Vec<NearbyItem>,
    beyond: i64,
    max_km: String,
    error: String,
    map: Option<MapView>,
}

fn choose_first() -> Flash {
    Flash::error(
        "请先在居民名单中选择一位居民",
        "choose a resident from the list first",
    )
}

/// GET /worker/proxy?resident=…&service=…: services near the resident's community by walking
/// distance (the older person's pace unless asked otherwise).
pub async fn nearby(ctx: Ctx, Query(q): Query<ProxyQuery>) -> Response {
    if let Err(r) = ctx.require_role(ROLES) {
        return *r;
    }
    let Some(rid) = q.resident else {
        return ctx.redirect_with("/worker/residents", choose_first());
    };
    let r = match resident(&ctx, rid).await {
        Ok(r) => r,
        Err(page) => return page,
    };
    let ui = &ctx.ui;
    let service = q
        .service
        .clone()
        .filter(|s| lc_services::catalogue::service_type(s).is_some())
        .unwrap_or_else(|| "meal".into());
    let elderly_pace = q.walker.as_deref() != Some("normal");
    let walker = if elderly_pace { "elderly" } else { "normal" };
    let community = s(&r, "community_id");
    let frame = ctx.portal.frame(&[]);
    let mut map = frame
        .as_ref()
        .map(|m| MapView::new(m, ctx.portal.map.is_some(), String::new()));
    let found = search(
        &ctx,
        &service,
        Some(community.as_str()),
        None,
        walker,
        frame.as_deref(),
        map.as_mut(),
        &|id: &str| {
            format!(
                "/worker/proxy/{}?resident={rid}&service={service}",
                encode(id)
            )
        },
    )
    .await;
    if let Some(view) = map.as_mut() {
        view.zoom_to_markers(250.0);
    }
    let t = ProxyNearbyPage {
        ui: ui.clone(),
        resident_id: rid,
        resident_name: s(&r, "name"),
        services: service_links(ui),
        service_label: service_name(ui, &service),
        service,
        elderly_pace,
        origin: found.origin,
        searched: true,
        items: found.items,
        beyond: found.beyond,
        max_km: found.max_km,
        error: found.error,
        map,
    };
    super::render(&ctx, StatusCode::OK, &t)
}

// --- An outlet: slot and consent --------------------------------------------------------------

#[derive(Template)]
#[template(path = "proxy_outlet.html")]
struct ProxyOutletPage {
    ui: Ui,
    resident_id: i64,
    resident_name: String,
    name: String,
    address: String,
    offerings: Vec<OfferingCard>,
    methods: Vec<(&'static str, String)>,
    back: String,
}

/// GET /worker/proxy/{facility}?resident=…: the outlet's services and free slots, with the
/// booking form that records the resident's consent.
pub async fn outlet(ctx: Ctx, Path(id): Path<String>, Query(q): Query<ProxyQuery>) -> Response {
    if let Err(r) = ctx.require_role(ROLES) {
        return *r;
    }
    let Some(rid) = q.resident else {
        return ctx.redirect_with("/worker/residents", choose_first());
    };
    let r = match resident(&ctx, rid).await {
        Ok(r) => r,
        Err(page) => return page,
    };
    let f = match ctx.get(&format!("/api/facilities/{}", encode(&id))).await {
        Ok(f) => f,
        Err(e) => return super::api_error(&ctx, &e),
    };
    let ui = &ctx.ui;
    let mut offerings = offering_cards(&ctx, &id).await;
    if let Some(sv) = q.service.as_deref().map(|k| service_name(ui, k)) {
        offerings.sort_by_key(|c| c.service != sv);
    }
    let t = ProxyOutletPage {
        ui: ui.clone(),
        resident_id: rid,
        resident_name: s(&r, "name"),
        name: f["name"].as_str().unwrap_or(&id).to_string(),
        address: s(&f, "address"),
        offerings,
        methods: consent_methods(ui),
        back: format!(
            "/worker/proxy?resident={rid}&service={}",
            encode(q.service.as_deref().unwrap_or("meal"))
        ),
    };
    super::render(&ctx, StatusCode::OK, &t)
}

#[derive(Deserialize)]
struct ProxyForm {
    #[serde(default)]
    _csrf: String,
    resident_id: i64,
    offering_id: i64,
    #[serde(default)]
    start: String,
    #[serde(default)]
    consent: String,
    #[serde(default)]
    consent_note: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    idem: String,
    #[serde(default)]
    back: String,
}

/// POST /worker/proxy: books through the API on the resident's behalf (`channel: "proxy"`, the
/// consent as recorded, the form's idempotency key).
pub async fn book(ctx: Ctx, body: Bytes) -> Response {
    if let Err(r) = ctx.require_role(ROLES) {
        return *r;
    }
    let f: ProxyForm = match super::form(&body) {
        Ok(f) => f,
        Err(flash) => return ctx.redirect_with("/worker/residents", flash),
    };
    let back = super::local_path(Some(&f.back));
    if !ctx.csrf_ok(&f._csrf) {
        return ctx.redirect_with(&back, super::stale_form());
    }
    if f.start.is_empty() {
        return ctx.redirect_with(&back, Flash::error("请选择一个时段", "choose a time slot"));
    }
    let mut consent = json!({"method": f.consent});
    if !f.consent_note.trim().is_empty() {
        consent["note"] = json!(f.consent_note.trim());
    }
    let mut req = json!({
        "offering_id": f.offering_id, "resident_id": f.resident_id, "start": f.start,
        "channel": "proxy", "consent": consent,
    });
    if !f.note.trim().is_empty() {
        req["note"] = json!(f.note.trim());
    }
    match super::resident::post_booking(&ctx, &req, &f.idem).await {
        Ok(_) => ctx.redirect_with(
            "/worker/bookings",
            Flash::ok(
                "已为居民代办预约，等待服务点确认",
                "Booked on the resident's behalf: the outlet will confirm it",
            ),
        ),
        Err(e) => ctx.redirect_with(&back, e.flash()),
    }
}

// --- The proxy bookings made ------------------------------------------------------------------

pub struct ProxyLine {
    pub id: i64,
    pub resident: String,
    pub outlet: String,
    pub service: String,
    pub when: String,
    pub status: String,
    pub status_key: String,
    pub consent: String,
    pub consent_note: String,
    pub pays: String,
    pub can_cancel: bool,
}

#[derive(Template)]
#[template(path = "proxy_bookings.html")]
struct ProxyBookingsPage {
    ui: Ui,
    bookings: Vec<ProxyLine>,
}

/// GET /worker/bookings: the bookings this worker made on residents' behalf, open ones first.
pub async fn bookings(ctx: Ctx) -> Response {
    let me = match ctx.require_role(ROLES) {
        Ok(me) => me.clone(),
        Err(r) => return *r,
    };
    let ui = &ctx.ui;
    // The API admits a worker to their community's bookings; the page shows the ones they made.
    let list: Vec<Value> = match ctx.get("/api/bookings?limit=500").await {
        Ok(v) => super::items(&v)
            .into_iter()
            .filter(|b| b["channel"] == json!("proxy") && b["booked_by"].as_i64() == Some(me.id))
            .collect(),
        Err(e) => return super::api_error(&ctx, &e),
    };
    let names = outlet_names(&ctx, list.iter().filter_map(|b| b["facility_id"].as_str())).await;
    let people: std::collections::BTreeMap<i64, String> = ctx
        .get("/api/residents?limit=500")
        .await
        .map(|v| {
            super::items(&v)
                .iter()
                .filter_map(|r| Some((r["id"].as_i64()?, s(r, "name"))))
                .collect()
        })
        .unwrap_or_default();
    let mut bookings: Vec<ProxyLine> = list
        .iter()
        .map(|b| {
            let id = b["id"].as_i64().unwrap_or(0);
            let rid = b["resident_id"].as_i64().unwrap_or(0);
            let fid = b["facility_id"].as_str().unwrap_or_default();
            let status = s(b, "status");
            ProxyLine {
                id,
                resident: people
                    .get(&rid)
                    .cloned()
                    .unwrap_or_else(|| format!("#{rid}")),
                outlet: names.get(fid).cloned().unwrap_or_else(|| fid.to_string()),
                service: service_name(ui, b["service"].as_str().unwrap_or("")),
                when: when(ui, b["start"].as_str().unwrap_or("")),
                status: status_name(ui, &status),
                can_cancel: matches!(status.as_str(), "requested" | "confirmed"),
                status_key: status,
                consent: consent_name(ui, &s(b, "consent_method")),
                consent_note: s(b, "consent_note"),
                pays: yuan(b["resident_pays_fen"].as_i64().unwrap_or(0)),
            }
        })
        .collect();
    bookings.sort_by_key(|b| (!b.can_cancel, -b.id));
    let t = ProxyBookingsPage {
        ui: ui.clone(),
        bookings,
    };
    super::render(&ctx, StatusCode::OK, &t)
}

#[derive(Deserialize)]
struct CancelForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    reason: String,
}

/// POST /worker/bookings/{id}/cancel: cancels with the reason given.
pub async fn cancel(ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> Response {
    if let Err(r) = ctx.require_role(ROLES) {
        return *r;
    }
    const BACK: &str = "/worker/bookings";
    let f: CancelForm = match super::form(&body) {
        Ok(f) => f,
        Err(flash) => return ctx.redirect_with(BACK, flash),
    };
    if !ctx.csrf_ok(&f._csrf) {
        return ctx.redirect_with(BACK, super::stale_form());
    }
    let mut req = json!({});
    if !f.reason.trim().is_empty() {
        req["reason"] = json!(f.reason.trim());
    }
    match ctx.post(&format!("/api/bookings/{id}/cancel"), &req).await {
        Ok(_) => ctx.redirect_with(BACK, Flash::ok("代办预约已取消", "Booking cancelled")),
        Err(e) => ctx.redirect_with(BACK, e.flash()),
    }
}

// --- Warnings ---------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "worker_warnings.html")]
struct WarningsPage {
    ui: Ui,
    open: Vec<WarningLine>,
    resolved: Vec<WarningLine>,
}

/// GET /worker/warnings: the warnings assigned to the worker's community (a monthly visit rate
/// below target), open ones first.
pub async fn warnings(ctx: Ctx) -> Response {
    if let Err(r) = ctx.require_role(ROLES) {
        return *r;
    }
    let list = match ctx.get("/api/warnings?limit=200").await {
        Ok(v) => super::items(&v),
        Err(e) => return super::api_error(&ctx, &e),
    };
    let (open, mut resolved): (Vec<WarningLine>, Vec<WarningLine>) = warning_lines(&ctx.ui, &list)
        .into_iter()
        .partition(|w| w.status_key != "resolved");
    resolved.truncate(10);
    let t = WarningsPage {
        ui: ctx.ui.clone(),
        open,
        resolved,
    };
    super::render(&ctx, StatusCode::OK, &t)
}

/// POST /worker/warnings/{id}/{action}: acknowledge or resolve.
pub async fn warning_act(
    ctx: Ctx,
    Path((id, action)): Path<(i64, String)>,
    body: Bytes,
) -> Response {
    if let Err(r) = ctx.require_role(ROLES) {
        return *r;
    }
    act_on_warning(&ctx, id, &action, &body, "/worker/warnings").await
}
