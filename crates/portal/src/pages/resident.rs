//! Residents: services near home by walking distance, an outlet with its services, prices,
//! rating and free slots, booking, their bookings (cancel, rate).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use lc_model::LonLat;
use serde::Deserialize;
use serde_json::{json, Value};

use super::home::{service_links, ServiceLink};
use crate::ctx::Ctx;
use crate::map::{BaseMap, Marker};
use crate::ui::{encode, when, yuan, Flash, Ui};

/// A map as a page draws it: its frame, whether the road layer exists, and the markers.
pub struct MapView {
    pub width: f64,
    pub height: f64,
    pub min_lon: f64,
    pub max_lat: f64,
    pub kx: f64,
    pub ky: f64,
    pub roads: bool,
    pub markers: Vec<Marker>,
    /// Where a click goes: a URL with `{lon}` and `{lat}` to fill in (empty: not clickable).
    pub click: String,
    /// The part shown (`x y w h` of the SVG viewBox): the whole map, or around the markers.
    pub view: String,
    /// Marker radius and label size in map units (about the same on screen at any zoom).
    pub r: f64,
    pub font: f64,
}

impl MapView {
    pub(crate) fn new(m: &BaseMap, roads: bool, click: String) -> MapView {
        MapView {
            width: crate::map::WIDTH,
            height: m.height,
            min_lon: m.min_lon,
            max_lat: m.max_lat,
            kx: m.kx,
            ky: m.ky,
            roads,
            markers: vec![],
            click,
            view: format!("0 0 {} {}", crate::map::WIDTH, m.height),
            r: 15.0,
            font: 16.0,
        }
    }

    /// Shows the part around the markers (at least `min_w` map units wide, the map's own
    /// proportions), inside the map.
    pub(crate) fn zoom_to_markers(&mut self, min_w: f64) {
        if self.markers.is_empty() {
            return;
        }
        let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for k in &self.markers {
            x0 = x0.min(k.x);
            y0 = y0.min(k.y);
            x1 = x1.max(k.x);
            y1 = y1.max(k.y);
        }
        let aspect = self.height / self.width;
        let w = ((x1 - x0) * 1.3)
            .max((y1 - y0) * 1.3 / aspect)
            .max(min_w)
            .min(self.width);
        let h = w * aspect;
        let cx = ((x0 + x1) / 2.0).clamp(w / 2.0, self.width - w / 2.0);
        let cy = ((y0 + y1) / 2.0).clamp(h / 2.0, self.height - h / 2.0);
        self.view = format!("{:.1} {:.1} {:.1} {:.1}", cx - w / 2.0, cy - h / 2.0, w, h);
        self.r = (w / 60.0).round().max(3.0);
        self.font = (self.r * 1.1).round();
    }

    pub(crate) fn mark(&mut self, m: &BaseMap, p: LonLat, label: &str, title: &str, class: &str) {
        let (x, y) = m.project(p);
        self.markers.push(Marker {
            x: (x * 10.0).round() / 10.0,
            y: (y * 10.0).round() / 10.0,
            label: label.into(),
            title: title.into(),
            class: class.into(),
        });
    }
}

/// A service type's name in the page language.
pub fn service_name(ui: &Ui, key: &str) -> String {
    lc_services::catalogue::service_type(key)
        .map(|s| ui.tr_s(s.zh, s.en))
        .unwrap_or_else(|| key.to_string())
}

/// A public rating in words.
pub fn rating_text(ui: &Ui, r: &Value) -> String {
    match r["status"].as_str() {
        Some("published") => {
            let bp = r["good_rate_bp"].as_u64().unwrap_or(0);
            let count = r["count"].as_u64().unwrap_or(0);
            let pct = format!("{}.{}", bp / 100, (bp % 100) / 10);
            match ui.lang {
                crate::ui::Lang::Zh => format!("好评率 {pct}%（共 {count} 条评价）"),
                crate::ui::Lang::En => format!("{pct}% good ({count} reviews)"),
            }
        }
        Some("withheld") => {
            let n = r["minimum"].as_u64().unwrap_or(0);
            match ui.lang {
                crate::ui::Lang::Zh => format!("评价不足 {n} 条，暂不公布"),
                crate::ui::Lang::En => format!("fewer than {n} reviews: not yet shown"),
            }
        }
        _ => ui.tr_s("暂无评价", "no reviews yet"),
    }
}

// --- Services nearby ----------------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct NearbyQuery {
    service: Option<String>,
    community: Option<String>,
    lon: Option<String>,
    lat: Option<String>,
    walker: Option<String>,
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct OfferingLine {
    pub id: i64,
    pub service: String,
    pub delivery: String,
    pub price: String,
    pub subsidy: String,
}

pub struct NearbyItem {
    pub rank: usize,
    pub facility_id: String,
    pub name: String,
    pub minutes: i64,
    pub metres: i64,
    pub offerings: Vec<OfferingLine>,
    pub rating: String,
    pub href: String,
}

#[derive(Template)]
#[template(path = "nearby.html")]
struct NearbyPage {
    ui: Ui,
    services: Vec<ServiceLink>,
    service: String,
    service_label: String,
    communities: Vec<Choice>,
    elderly_pace: bool,
    pace_normal: f64,
    pace_elderly: f64,
    origin: String,
    searched: bool,
    items: Vec<NearbyItem>,
    beyond: i64,
    max_km: String,
    error: String,
    map: Option<MapView>,
}

fn delivery_name(ui: &Ui, key: &str) -> String {
    match key {
        "outlet" => ui.tr_s("到店", "at the outlet"),
        "home" => ui.tr_s("上门", "at home"),
        k => k.to_string(),
    }
}

/// The signed-in account's community: a community worker's, a resident's record's.
fn own_community(ctx: &Ctx) -> Option<String> {
    let me = ctx.ui.user.as_ref()?;
    if let Some(c) = &me.community_id {
        return Some(c.clone());
    }
    me.resident_community.clone()
}

/// GET /nearby: outlets of a service by walking distance from a community or a point.
pub async fn nearby(ctx: Ctx, Query(q): Query<NearbyQuery>) -> Response {
    let ui = &ctx.ui;
    let service = q
        .service
        .clone()
        .filter(|s| lc_services::catalogue::service_type(s).is_some())
        .unwrap_or_else(|| "meal".into());
    let elderly_pace = match q.walker.as_deref() {
        Some("elderly") => true,
        Some(_) => false,
        None => ui.elder,
    };
    let point = match (
        q.lon.as_deref().and_then(|s| s.parse::<f64>().ok()),
        q.lat.as_deref().and_then(|s| s.parse::<f64>().ok()),
    ) {
        (Some(lon), Some(lat)) if lon.is_finite() && lat.is_finite() => Some((lon, lat)),
        _ => None,
    };
    let mut community = q.community.clone().filter(|c| !c.is_empty());
    if community.is_none() && point.is_none() {
        community = own_community(&ctx);
    }
    let all = ctx
        .get("/api/communities?limit=1000")
        .await
        .map(|v| v["items"].as_array().cloned().unwrap_or_default())
        .unwrap_or_default();
    let mut communities: Vec<Choice> = all
        .iter()
        .filter_map(|c| {
            let id = c["id"].as_str()?.to_string();
            Some(Choice {
                selected: community.as_deref() == Some(id.as_str()),
                label: c["name"].as_str().unwrap_or(&id).to_string(),
                value: id,
            })
        })
        .collect();
    communities.sort_by(|a, b| a.label.cmp(&b.label).then(a.value.cmp(&b.value)));

    // The frame: the network's, else the communities'.
    let frame = ctx.portal.frame(&all);
    let walker = if elderly_pace { "elderly" } else { "normal" };
    let mut map = frame.as_ref().map(|m| {
        MapView::new(
            m,
            ctx.portal.map.is_some(),
            format!("/nearby?service={service}&walker={walker}&lon={{lon}}&lat={{lat}}"),
        )
    });

    let searched = community.is_some() || point.is_some();
    let found = if searched {
        let comm = community.clone();
        search(
            &ctx,
            &service,
            community.as_deref(),
            point,
            walker,
            frame.as_deref(),
            map.as_mut(),
            &|id: &str| {
                format!(
                    "/outlets/{}?service={service}{}",
                    encode(id),
                    comm.as_ref()
                        .map(|c| format!("&community={}", encode(c)))
                        .unwrap_or_default()
                )
            },
        )
        .await
    } else {
        Found::default()
    };
    if let Some(view) = map.as_mut() {
        view.zoom_to_markers(250.0);
    }
    let t = NearbyPage {
        ui: ui.clone(),
        services: service_links(ui),
        service_label: service_name(ui, &service),
        service,
        communities,
        elderly_pace,
        pace_normal: lc_access::speed::WALK_M_PER_MIN,
        pace_elderly: lc_access::speed::ELDERLY_M_PER_MIN,
        origin: found.origin,
        searched,
        items: found.items,
        beyond: found.beyond,
        max_km: found.max_km,
        error: found.error,
        map,
    };
    super::render(&ctx, StatusCode::OK, &t)
}

/// What a search of `/api/public/nearby` found, as the results list shows it.
#[derive(Default)]
pub struct Found {
    pub origin: String,
    pub items: Vec<NearbyItem>,
    pub beyond: i64,
    pub max_km: String,
    /// The API's refusal, in the page language.
    pub error: String,
}

/// Outlets of `service` by walking distance from a community or a point (`/api/public/nearby`),
/// marked on `view` (the start and the outlets, numbered); `href` is each outlet's link.
#[allow(clippy::too_many_arguments)]
pub async fn search(
    ctx: &Ctx,
    service: &str,
    community: Option<&str>,
    point: Option<(f64, f64)>,
    walker: &str,
    frame: Option<&BaseMap>,
    mut map: Option<&mut MapView>,
    href: &(dyn Fn(&str) -> String + Sync),
) -> Found {
    let ui = &ctx.ui;
    let mut found = Found::default();
    let from = match (community, point) {
        (Some(c), _) => format!("community={}", encode(c)),
        (None, Some((lon, lat))) => format!("lon={lon:.6}&lat={lat:.6}"),
        _ => return found,
    };
    let url = format!("/api/public/nearby?service={service}&{from}&walker={walker}&limit=10");
    let v = match ctx.get(&url).await {
        Ok(v) => v,
        Err(e) => {
            found.error = ui.tr_s(&e.zh, &e.en);
            return found;
        }
    };
    let f = &v["from"];
    found.origin = match f["name"].as_str().filter(|s| !s.is_empty()) {
        Some(n) => n.to_string(),
        None => ui.tr_s("地图上选定的地点", "the point chosen on the map"),
    };
    found.max_km = v["max_m"]
        .as_f64()
        .map(|m| format!("{:.1}", m / 1000.0))
        .unwrap_or_else(|| "2.0".into());
    found.beyond = v["beyond"].as_i64().unwrap_or(0);
    if let (Some(m), Some(view), Some(lon), Some(lat)) = (
        frame,
        map.as_deref_mut(),
        f["lon"].as_f64(),
        f["lat"].as_f64(),
    ) {
        view.mark(m, LonLat::new(lon, lat), "", &found.origin, "home");
    }
    for (i, it) in v["items"].as_array().into_iter().flatten().enumerate() {
        let id = it["facility_id"].as_str().unwrap_or_default().to_string();
        let name = it["name"].as_str().unwrap_or(&id).to_string();
        if let (Some(m), Some(view), Some(lon), Some(lat)) = (
            frame,
            map.as_deref_mut(),
            it["lon"].as_f64(),
            it["lat"].as_f64(),
        ) {
            view.mark(
                m,
                LonLat::new(lon, lat),
                &(i + 1).to_string(),
                &name,
                "outlet",
            );
        }
        found.items.push(NearbyItem {
            rank: i + 1,
            minutes: it["walk_min"].as_i64().unwrap_or(0),
            metres: it["distance_m"].as_f64().unwrap_or(0.0).round() as i64,
            offerings: it["offerings"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|o| OfferingLine {
                    id: o["id"].as_i64().unwrap_or(0),
                    service: service_name(ui, o["service"].as_str().unwrap_or(service)),
                    delivery: delivery_name(ui, o["delivery"].as_str().unwrap_or("")),
                    price: yuan(o["price_fen"].as_i64().unwrap_or(0)),
                    subsidy: yuan(o["subsidy_cap_fen"].as_i64().unwrap_or(0)),
                })
                .collect(),
            rating: rating_text(ui, &it["rating"]),
            href: href(&id),
            facility_id: id,
            name,
        });
    }
    found
}

// --- An outlet ---------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct OutletQuery {
    service: Option<String>,
    community: Option<String>,
}

pub struct SlotChoice {
    pub value: String,
    pub label: String,
    pub free: i64,
}

pub struct OfferingCard {
    pub id: i64,
    pub service: String,
    pub delivery: String,
    pub price: String,
    pub subsidy: String,
    pub duration_min: i64,
    pub slots: Vec<SlotChoice>,
    pub idem: String,
}

#[derive(Template)]
#[template(path = "outlet.html")]
struct OutletPage {
    ui: Ui,
    id: String,
    name: String,
    category: String,
    hours: String,
    address: String,
    rating: String,
    offerings: Vec<OfferingCard>,
    can_book: bool,
    back: String,
}

static IDEM: AtomicU64 = AtomicU64::new(1);

/// A fresh idempotency key for one booking form (a resubmitted form answers the same booking).
pub(crate) fn idempotency_key() -> String {
    format!(
        "portal-{}-{}",
        jiff::Timestamp::now().as_nanosecond(),
        IDEM.fetch_add(1, Ordering::Relaxed)
    )
}

/// GET /outlets/{id}: the outlet, its services with prices and free slots, its public rating.
pub async fn outlet(ctx: Ctx, Path(id): Path<String>, Query(q): Query<OutletQuery>) -> Response {
    let ui = &ctx.ui;
    let f = match ctx.get(&format!("/api/facilities/{}", encode(&id))).await {
        Ok(f) => f,
        Err(e) => return super::api_error(&ctx, &e),
    };
    let mut cards = offering_cards(&ctx, &id).await;
    // The asked-for service first.
    if let Some(s) = q.service.as_deref().map(|k| service_name(ui, k)) {
        cards.sort_by_key(|c| c.service != s);
    }
    let rating = ctx
        .get("/api/ratings?by=outlet")
        .await
        .ok()
        .and_then(|v| {
            v["items"]
                .as_array()?
                .iter()
                .find(|r| r["subject"].as_str() == Some(id.as_str()))
                .map(|r| rating_text(ui, &r["rating"]))
        })
        .unwrap_or_else(|| ui.tr_s("暂无评价", "no reviews yet"));
    let category = f["category"].as_str().unwrap_or_default();
    let category = lc_model::Category::from_key(category)
        .map(|c| ui.tr_s(c.info().zh, c.info().en))
        .unwrap_or_else(|_| category.to_string());
    let back = match (&q.service, &q.community) {
        (Some(s), Some(c)) => format!("/nearby?service={}&community={}", encode(s), encode(c)),
        (Some(s), None) => format!("/nearby?service={}", encode(s)),
        _ => "/nearby".into(),
    };
    let t = OutletPage {
        ui: ui.clone(),
        name: f["name"].as_str().unwrap_or(&id).to_string(),
        category,
        hours: f["opening_hours"].as_str().unwrap_or_default().to_string(),
        address: f["address"].as_str().unwrap_or_default().to_string(),
        rating,
        offerings: cards,
        can_book: matches!(
            ui.role(),
            "resident" | "community_worker" | "provider_staff" | "admin"
        ),
        back,
        id,
    };
    super::render(&ctx, StatusCode::OK, &t)
}

/// An outlet's active offerings with their next free slots (at most 12 each), each with a fresh
/// idempotency key for its booking form.
pub async fn offering_cards(ctx: &Ctx, facility: &str) -> Vec<OfferingCard> {
    let ui = &ctx.ui;
    let offerings = ctx
        .get(&format!(
            "/api/offerings?facility_id={}&limit=100",
            encode(facility)
        ))
        .await
        .map(|v| v["items"].as_array().cloned().unwrap_or_default())
        .unwrap_or_default();
    let mut cards = Vec::new();
    for o in offerings.iter().filter(|o| o["active"].as_i64() != Some(0)) {
        let oid = o["id"].as_i64().unwrap_or(0);
        let slots = ctx
            .get(&format!("/api/offerings/{oid}/slots"))
            .await
            .map(|v| v.as_array().cloned().unwrap_or_default())
            .unwrap_or_default();
        cards.push(OfferingCard {
            id: oid,
            service: service_name(ui, o["service"].as_str().unwrap_or("")),
            delivery: delivery_name(ui, o["delivery"].as_str().unwrap_or("")),
            price: yuan(o["price_fen"].as_i64().unwrap_or(0)),
            subsidy: yuan(o["subsidy_cap_fen"].as_i64().unwrap_or(0)),
            duration_min: o["duration_min"].as_i64().unwrap_or(0),
            slots: slots
                .iter()
                .filter(|s| s["bookable"] == json!(true))
                .take(12)
                .map(|s| SlotChoice {
                    value: s["start"].as_str().unwrap_or_default().to_string(),
                    label: when(ui, s["start"].as_str().unwrap_or_default()),
                    free: s["free"].as_i64().unwrap_or(0),
                })
                .collect(),
            idem: idempotency_key(),
        });
    }
    cards
}

#[derive(Deserialize)]
struct BookForm {
    #[serde(default)]
    _csrf: String,
    offering_id: i64,
    #[serde(default)]
    start: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    idem: String,
    #[serde(default)]
    back: String,
}

/// POST /book: books a slot through the API (with the form's idempotency key).
/// Books through `POST /api/bookings` with the form's idempotency key (a fresh one when the
/// form had none), so that the same form sent twice is one booking.
pub(crate) async fn post_booking(
    ctx: &Ctx,
    req: &serde_json::Value,
    idem: &str,
) -> Result<
    (
        axum::http::StatusCode,
        axum::http::HeaderMap,
        serde_json::Value,
    ),
    crate::ctx::ApiError,
> {
    let key = if idem.is_empty() {
        idempotency_key()
    } else {
        idem.to_string()
    };
    ctx.call(
        Method::POST,
        "/api/bookings",
        Some(req),
        &[("idempotency-key", &key)],
    )
    .await
}

pub async fn book(ctx: Ctx, body: Bytes) -> Response {
    if let Err(r) = ctx.require_login() {
        return *r;
    }
    let f: BookForm = match super::form(&body) {
        Ok(f) => f,
        Err(flash) => return ctx.redirect_with("/nearby", flash),
    };
    let back = super::local_path(Some(&f.back));
    if !ctx.csrf_ok(&f._csrf) {
        return ctx.redirect_with(&back, super::stale_form());
    }
    if f.start.is_empty() {
        return ctx.redirect_with(&back, Flash::error("请选择一个时段", "choose a time slot"));
    }
    let mut req = json!({"offering_id": f.offering_id, "start": f.start});
    if !f.note.trim().is_empty() {
        req["note"] = json!(f.note.trim());
    }
    match post_booking(&ctx, &req, &f.idem).await {
        Ok(_) => ctx.redirect_with(
            "/my/bookings",
            Flash::ok(
                "预约已提交，等待服务点确认",
                "Booked: the outlet will confirm it",
            ),
        ),
        Err(e) => ctx.redirect_with(&back, e.flash()),
    }
}

// --- My bookings ------------------------------------------------------------------------------

pub struct BookingLine {
    pub id: i64,
    pub outlet: String,
    pub outlet_href: String,
    pub service: String,
    pub when: String,
    pub status: String,
    pub status_key: String,
    pub pays: String,
    pub can_cancel: bool,
    pub can_rate: bool,
    pub rated: bool,
}

#[derive(Template)]
#[template(path = "my_bookings.html")]
struct MyBookingsPage {
    ui: Ui,
    bookings: Vec<BookingLine>,
    reasons: Vec<String>,
}

/// A booking status in the page language.
pub fn status_name(ui: &Ui, key: &str) -> String {
    let (zh, en) = match key {
        "requested" => ("待确认", "awaiting confirmation"),
        "confirmed" => ("已确认", "confirmed"),
        "in_service" => ("服务中", "in service"),
        "completed" => ("已完成", "completed"),
        "cancelled" => ("已取消", "cancelled"),
        "rejected" => ("已拒绝", "rejected"),
        "no_show" => ("未到", "no-show"),
        "annulled" => ("已撤销", "annulled"),
        k => (k, k),
    };
    ui.tr_s(zh, en)
}

/// The names of outlets, read once each.
pub async fn outlet_names<'a>(
    ctx: &Ctx,
    ids: impl IntoIterator<Item = &'a str>,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for id in ids.into_iter().collect::<BTreeSet<_>>() {
        if let Ok(f) = ctx.get(&format!("/api/facilities/{}", encode(id))).await {
            out.insert(id.to_string(), f["name"].as_str().unwrap_or(id).to_string());
        }
    }
    out
}

/// GET /my/bookings.
pub async fn my_bookings(ctx: Ctx) -> Response {
    if let Err(r) = ctx.require_role(&["resident"]) {
        return *r;
    }
    let ui = &ctx.ui;
    let list = match ctx.get("/api/bookings?limit=200").await {
        Ok(v) => v["items"].as_array().cloned().unwrap_or_default(),
        Err(e) => return super::api_error(&ctx, &e),
    };
    let reviewed: BTreeSet<i64> = ctx
        .get("/api/reviews?limit=1000")
        .await
        .map(|v| {
            v["items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|r| r["subject_kind"].as_str() == Some("booking"))
                .filter_map(|r| r["subject_id"].as_i64())
                .collect()
        })
        .unwrap_or_default();
    let names = outlet_names(&ctx, list.iter().filter_map(|b| b["facility_id"].as_str())).await;
    let mut bookings: Vec<BookingLine> = list
        .iter()
        .map(|b| {
            let id = b["id"].as_i64().unwrap_or(0);
            let fid = b["facility_id"].as_str().unwrap_or_default();
            let status = b["status"].as_str().unwrap_or_default();
            BookingLine {
                id,
                outlet: names.get(fid).cloned().unwrap_or_else(|| fid.to_string()),
                outlet_href: format!("/outlets/{}", encode(fid)),
                service: service_name(ui, b["service"].as_str().unwrap_or("")),
                when: when(ui, b["start"].as_str().unwrap_or("")),
                status: status_name(ui, status),
                status_key: status.to_string(),
                pays: yuan(b["resident_pays_fen"].as_i64().unwrap_or(0)),
                can_cancel: matches!(status, "requested" | "confirmed"),
                can_rate: status == "completed" && !reviewed.contains(&id),
                rated: reviewed.contains(&id),
            }
        })
        .collect();
    // The ones that need the resident first: to rate, then to come, then the rest (newest first).
    bookings.sort_by_key(|b| (!b.can_rate, !b.can_cancel, -b.id));
    let t = MyBookingsPage {
        ui: ui.clone(),
        bookings,
        reasons: CANCEL_REASONS
            .iter()
            .map(|(zh, en)| ui.tr_s(zh, en))
            .collect(),
    };
    super::render(&ctx, StatusCode::OK, &t)
}

#[derive(Deserialize, Default)]
struct CancelForm {
    #[serde(default)]
    _csrf: String,
    /// One of [`CANCEL_REASONS`] (in the page's language), or empty.
    #[serde(default)]
    reason: String,
}

/// The reasons a resident may give for cancelling (the provider sees the one chosen), in
/// Chinese and English.
pub const CANCEL_REASONS: [(&str, &str); 4] = [
    ("行程有变", "Plans changed"),
    ("身体不适", "Not feeling well"),
    ("重复预约", "Booked twice"),
    ("已找到其他服务", "Found another service"),
];

/// POST /my/bookings/{id}/cancel.
pub async fn cancel(ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> Response {
    if let Err(r) = ctx.require_role(&["resident"]) {
        return *r;
    }
    let f: CancelForm = super::form(&body).unwrap_or_default();
    if !ctx.csrf_ok(&f._csrf) {
        return ctx.redirect_with("/my/bookings", super::stale_form());
    }
    // Only a listed reason is passed on (the API's field is free text; the page offers a list).
    let reason = CANCEL_REASONS
        .iter()
        .find(|(zh, en)| f.reason == *zh || f.reason == *en)
        .map(|(zh, en)| format!("{zh} {en}"));
    let body = match reason {
        Some(r) => json!({ "reason": r }),
        None => json!({}),
    };
    match ctx.post(&format!("/api/bookings/{id}/cancel"), &body).await {
        Ok(v) => {
            let late = v["late_cancel"].as_i64() == Some(1);
            ctx.redirect_with(
                "/my/bookings",
                if late {
                    Flash::ok(
                        "预约已取消（临近开始才取消，计为迟取消）",
                        "Cancelled (close to the start: counted as a late cancellation)",
                    )
                } else {
                    Flash::ok("预约已取消", "Booking cancelled")
                },
            )
        }
        Err(e) => ctx.redirect_with("/my/bookings", e.flash()),
    }
}

pub struct LevelChoice {
    pub key: &'static str,
    pub label: String,
}

#[derive(Template)]
#[template(path = "rate.html")]
struct RatePage {
    ui: Ui,
    id: i64,
    outlet: String,
    service: String,
    when: String,
    levels: Vec<LevelChoice>,
}

/// The five satisfaction levels, best first.
fn levels(ui: &Ui) -> Vec<LevelChoice> {
    [
        ("very_satisfied", "非常满意", "Very satisfied"),
        ("satisfied", "满意", "Satisfied"),
        ("basic", "一般", "Fair"),
        ("dissatisfied", "不满意", "Dissatisfied"),
        ("very_dissatisfied", "非常不满意", "Very dissatisfied"),
    ]
    .into_iter()
    .map(|(key, zh, en)| LevelChoice {
        key,
        label: ui.tr_s(zh, en),
    })
    .collect()
}

/// GET /my/bookings/{id}/rate: the rating form of a completed booking.
pub async fn rate_form(ctx: Ctx, Path(id): Path<i64>) -> Response {
    if let Err(r) = ctx.require_role(&["resident"]) {
        return *r;
    }
    let ui = &ctx.ui;
    let b = match ctx.get(&format!("/api/bookings/{id}")).await {
        Ok(b) => b,
        Err(e) => return super::api_error(&ctx, &e),
    };
    let fid = b["facility_id"].as_str().unwrap_or_default();
    let names = outlet_names(&ctx, [fid]).await;
    let t = RatePage {
        ui: ui.clone(),
        id,
        outlet: names.get(fid).cloned().unwrap_or_else(|| fid.to_string()),
        service: service_name(ui, b["service"].as_str().unwrap_or("")),
        when: when(ui, b["start"].as_str().unwrap_or("")),
        levels: levels(ui),
    };
    super::render(&ctx, StatusCode::OK, &t)
}

#[derive(Deserialize)]
struct RateForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    text: String,
}

/// POST /my/bookings/{id}/rate.
pub async fn rate(ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> Response {
    if let Err(r) = ctx.require_role(&["resident"]) {
        return *r;
    }
    let here = format!("/my/bookings/{id}/rate");
    let f: RateForm = match super::form(&body) {
        Ok(f) => f,
        Err(flash) => return ctx.redirect_with(&here, flash),
    };
    if !ctx.csrf_ok(&f._csrf) {
        return ctx.redirect_with(&here, super::stale_form());
    }
    if f.level.is_empty() {
        return ctx.redirect_with(
            &here,
            Flash::error("请选择满意程度", "choose how satisfied you are"),
        );
    }
    let mut req = json!({"booking_id": id, "level": f.level});
    if !f.text.trim().is_empty() {
        req["text"] = json!(f.text.trim());
    }
    match ctx.post("/api/reviews", &req).await {
        Ok(_) => ctx.redirect_with(
            "/my/bookings",
            Flash::ok("感谢您的评价", "Thank you for your rating"),
        ),
        Err(e) => ctx.redirect_with(&here, e.flash()),
    }
}
