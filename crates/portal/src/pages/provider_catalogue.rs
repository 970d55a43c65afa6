//! Service providers: their outlets, each outlet's catalogue (服务项目: price, subsidy cap,
//! duration, capacity, notice, delivery, the weekly opening plan), a form to add an offering and
//! one to change it (compare-and-set on the offering's version), and an offering's slots of the
//! next days (read-only: the API opens and closes slots by the plan).

use std::collections::BTreeMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::resident::service_name;
use super::text as s;
use crate::ctx::Ctx;
use crate::ui::{encode, yuan, Flash, Ui};

/// Who may use these pages (as the offerings API admits writes; regulators have their own).
pub(crate) const ROLES: &[&str] = &["provider_staff", "admin"];

/// Weekday keys of the plan with their names, Monday first.
const DAYS: [(&str, &str, &str); 7] = [
    ("mon", "周一", "Monday"),
    ("tue", "周二", "Tuesday"),
    ("wed", "周三", "Wednesday"),
    ("thu", "周四", "Thursday"),
    ("fri", "周五", "Friday"),
    ("sat", "周六", "Saturday"),
    ("sun", "周日", "Sunday"),
];

/// The provider whose pages these are: provider staff's own; the one an administrator chose.
pub(crate) fn provider_of(ctx: &Ctx, asked: Option<&str>) -> Option<String> {
    let me = ctx.ui.user.as_ref()?;
    match me.role.as_str() {
        "provider_staff" => me.provider_code.clone(),
        _ => asked
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_string),
    }
}

/// Whether a record of `provider` is the signed-in account's to manage (an administrator's
/// always; provider staff's when it is their provider's).
pub(crate) fn owns(ctx: &Ctx, provider: Option<&str>) -> bool {
    match ctx.ui.user.as_ref() {
        Some(me) if me.role == "admin" => true,
        Some(me) if me.role == "provider_staff" => {
            provider.is_some() && me.provider_code.as_deref() == provider
        }
        _ => false,
    }
}

/// The page for a record of another provider: not this account's to manage.
pub(crate) fn not_yours(ctx: &Ctx) -> Response {
    let t = super::MessagePage {
        ui: ctx.ui.clone(),
        title: ctx.ui.tr_s("不是本机构的记录", "Not your provider's record"),
        text: ctx.ui.tr_s(
            "此记录属于其他服务机构，您只能管理本机构的服务点、服务项目和工单。",
            "This record belongs to another provider: you manage only your own provider's outlets, services and cases.",
        ),
        roles: vec![],
    };
    super::render(ctx, StatusCode::FORBIDDEN, &t)
}

/// A delivery in words, with a home service's area.
fn delivery_text(ui: &Ui, o: &Value) -> String {
    match o["delivery"].as_str() {
        Some("home") => match o["home_area_m"].as_f64() {
            Some(m) => match ui.lang {
                crate::ui::Lang::Zh => format!("上门（步行 {m:.0} 米内）"),
                crate::ui::Lang::En => format!("at home (within {m:.0} m on foot)"),
            },
            None => ui.tr_s("上门", "at home"),
        },
        Some("outlet") => ui.tr_s("到店", "at the outlet"),
        Some(k) => k.to_string(),
        None => String::new(),
    }
}

/// The weekly plan's hours of one weekday as the form writes them (`08:00-11:00, 14:00-17:00`).
fn day_hours(plan: &Value, day: &str) -> String {
    plan["week"][day]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

/// The weekly plan in one line (`周一 11:00-13:00；周二 …；周日 休息`).
fn plan_summary(ui: &Ui, plan: &Value) -> String {
    let days: Vec<String> = DAYS
        .iter()
        .map(|(k, zh, en)| {
            let h = day_hours(plan, k);
            let name = ui.tr(zh, &en[..3]);
            if h.is_empty() {
                format!("{name} {}", ui.tr("休息", "closed"))
            } else {
                format!("{name} {h}")
            }
        })
        .collect();
    let mut out = days.join(ui.tr("；", "; "));
    if plan["holidays"].as_str() == Some("ignore") {
        out.push_str(ui.tr("（节假日照常）", " (open on public holidays)"));
    } else {
        out.push_str(ui.tr("（法定节假日休息）", " (closed on public holidays)"));
    }
    out
}

/// One offering as the catalogue shows it.
pub struct OfferingLine {
    pub id: i64,
    pub service: String,
    pub delivery: String,
    pub price: String,
    pub subsidy: String,
    pub duration_min: i64,
    pub capacity: i64,
    pub notice: String,
    pub plan: String,
    pub active: bool,
    pub price_fen: i64,
}

fn offering_line(ui: &Ui, o: &Value) -> OfferingLine {
    let n = |k: &str| o[k].as_i64().unwrap_or(0);
    let notice = match ui.lang {
        crate::ui::Lang::Zh => format!(
            "开始前 {} 分钟截止预约；开始前 {} 分钟可免费取消；最多提前 {} 天预约",
            n("min_notice_min"),
            n("cancel_notice_min"),
            n("horizon_days")
        ),
        crate::ui::Lang::En => format!(
            "bookings close {} min before the start; free cancellation until {} min before; up to {} days ahead",
            n("min_notice_min"),
            n("cancel_notice_min"),
            n("horizon_days")
        ),
    };
    OfferingLine {
        id: n("id"),
        service: service_name(ui, o["service"].as_str().unwrap_or("")),
        delivery: delivery_text(ui, o),
        price: yuan(n("price_fen")),
        subsidy: yuan(n("subsidy_cap_fen")),
        duration_min: n("duration_min"),
        capacity: n("capacity"),
        notice,
        plan: plan_summary(ui, &o["plan"]),
        active: o["active"].as_i64() != Some(0),
        price_fen: n("price_fen"),
    }
}

// --- Outlets ------------------------------------------------------------------------------------

pub struct OutletCard {
    pub id: String,
    pub name: String,
    pub category: String,
    pub address: String,
    pub offerings: Vec<OfferingLine>,
}

pub struct ProviderChoice {
    pub code: String,
    pub name: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "provider_outlets.html")]
struct OutletsPage {
    ui: Ui,
    provider: String,
    provider_name: String,
    /// An administrator chooses the provider.
    choices: Vec<ProviderChoice>,
    outlets: Vec<OutletCard>,
}

#[derive(Deserialize, Default)]
pub struct ProviderQuery {
    provider: Option<String>,
}

fn category_name(ui: &Ui, key: &str) -> String {
    lc_model::Category::from_key(key)
        .map(|c| ui.tr_s(c.info().zh, c.info().en))
        .unwrap_or_else(|_| key.to_string())
}

/// GET /provider: the provider's outlets, each with its catalogue.
pub async fn outlets(ctx: Ctx, Query(q): Query<ProviderQuery>) -> Response {
    if let Err(r) = ctx.require_role(ROLES) {
        return *r;
    }
    let ui = &ctx.ui;
    let provider = provider_of(&ctx, q.provider.as_deref()).unwrap_or_default();
    let choices = if ui.role() == "admin" {
        ctx.get("/api/providers?limit=1000")
            .await
            .map(|v| super::items(&v))
            .unwrap_or_default()
            .iter()
            .map(|p| ProviderChoice {
                selected: s(p, "uscc") == provider,
                code: s(p, "uscc"),
                name: s(p, "name"),
            })
            .collect()
    } else {
        vec![]
    };
    let mut outlets = Vec::new();
    let mut provider_name = String::new();
    if !provider.is_empty() {
        provider_name = ctx
            .get(&format!("/api/providers/{}", encode(&provider)))
            .await
            .map(|p| s(&p, "name"))
            .unwrap_or_default();
        let list = match ctx
            .get(&format!(
                "/api/facilities?provider_code={}&limit=1000",
                encode(&provider)
            ))
            .await
        {
            Ok(v) => super::items(&v),
            Err(e) => return super::api_error(&ctx, &e),
        };
        let offerings = match ctx
            .get(&format!(
                "/api/offerings?provider_code={}&limit=1000",
                encode(&provider)
            ))
            .await
        {
            Ok(v) => super::items(&v),
            Err(e) => return super::api_error(&ctx, &e),
        };
        let mut by_outlet: BTreeMap<String, Vec<OfferingLine>> = BTreeMap::new();
        for o in &offerings {
            by_outlet
                .entry(s(o, "facility_id"))
                .or_default()
                .push(offering_line(ui, o));
        }
        outlets = list
            .iter()
            .map(|f| {
                let id = s(f, "id");
                OutletCard {
                    name: Some(s(f, "name"))
                        .filter(|n| !n.is_empty())
                        .unwrap_or_else(|| id.clone()),
                    category: category_name(ui, &s(f, "category")),
                    address: s(f, "address"),
                    offerings: by_outlet.remove(&id).unwrap_or_default(),
                    id,
                }
            })
            .collect();
        outlets.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    }
    let t = OutletsPage {
        ui: ui.clone(),
        provider,
        provider_name,
        choices,
        outlets,
    };
    super::render(&ctx, StatusCode::OK, &t)
}

// --- One outlet's catalogue ---------------------------------------------------------------------

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// One weekday's field of the plan form.
pub struct DayField {
    pub key: &'static str,
    pub label: String,
    pub value: String,
}

/// What the offering form shows in its fields.
pub struct FormValues {
    pub price: String,
    pub subsidy: String,
    pub duration: String,
    pub capacity: String,
    pub min_notice: String,
    pub cancel_notice: String,
    pub horizon: String,
    pub days: Vec<DayField>,
    pub ignore_holidays: bool,
}

impl FormValues {
    /// A new offering's: the API's defaults for the notices.
    fn new(ui: &Ui) -> FormValues {
        FormValues {
            price: String::new(),
            subsidy: "0".into(),
            duration: "60".into(),
            capacity: "1".into(),
            min_notice: "60".into(),
            cancel_notice: "120".into(),
            horizon: "14".into(),
            days: day_fields(ui, &Value::Null),
            ignore_holidays: false,
        }
    }

    /// A stored offering's.
    fn of(ui: &Ui, o: &Value) -> FormValues {
        let n = |k: &str| o[k].as_i64().unwrap_or(0);
        FormValues {
            price: yuan_plain(n("price_fen")),
            subsidy: yuan_plain(n("subsidy_cap_fen")),
            duration: n("duration_min").to_string(),
            capacity: n("capacity").to_string(),
            min_notice: n("min_notice_min").to_string(),
            cancel_notice: n("cancel_notice_min").to_string(),
            horizon: n("horizon_days").to_string(),
            days: day_fields(ui, &o["plan"]),
            ignore_holidays: o["plan"]["holidays"].as_str() == Some("ignore"),
        }
    }
}

fn day_fields(ui: &Ui, plan: &Value) -> Vec<DayField> {
    DAYS.iter()
        .map(|&(k, zh, en)| DayField {
            key: k,
            label: ui.tr_s(zh, en),
            value: day_hours(plan, k),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "provider_outlet.html")]
struct OutletPage {
    ui: Ui,
    id: String,
    name: String,
    category: String,
    address: String,
    hours: String,
    offerings: Vec<OfferingLine>,
    /// The services this outlet's category may offer.
    services: Vec<Choice>,
    form: FormValues,
    back: String,
}

/// GET /provider/outlets/{id}: an outlet's catalogue and the form to add a service.
pub async fn outlet(ctx: Ctx, Path(id): Path<String>) -> Response {
    if let Err(r) = ctx.require_role(ROLES) {
        return *r;
    }
    let ui = &ctx.ui;
    let f = match ctx.get(&format!("/api/facilities/{}", encode(&id))).await {
        Ok(f) => f,
        Err(e) => return super::api_error(&ctx, &e),
    };
    if !owns(&ctx, f["provider_code"].as_str()) {
        return not_yours(&ctx);
    }
    let list = match ctx
        .get(&format!(
            "/api/offerings?facility_id={}&limit=1000",
            encode(&id)
        ))
        .await
    {
        Ok(v) => super::items(&v),
        Err(e) => return super::api_error(&ctx, &e),
    };
    let category = s(&f, "category");
    let services = lc_services::catalogue::SERVICE_TYPES
        .iter()
        .filter(|t| t.categories.contains(&category.as_str()))
        .map(|t| Choice {
            value: t.key.to_string(),
            label: format!(
                "{}（{}）",
                ui.tr(t.zh, t.en),
                t.deliveries
                    .iter()
                    .map(|d| match d {
                        lc_services::catalogue::Delivery::Outlet => ui.tr("到店", "at the outlet"),
                        lc_services::catalogue::Delivery::Home => ui.tr("上门", "at home"),
                    })
                    .collect::<Vec<_>>()
                    .join(ui.tr("或", " or "))
            ),
            selected: false,
        })
        .collect();
    let admin_back = match f["provider_code"].as_str() {
        Some(p) if ui.role() == "admin" => format!("/provider?provider={}", encode(p)),
        _ => "/provider".into(),
    };
    let t = OutletPage {
        ui: ui.clone(),
        name: Some(s(&f, "name"))
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| id.clone()),
        category: category_name(ui, &category),
        address: s(&f, "address"),
        hours: s(&f, "opening_hours"),
        offerings: list.iter().map(|o| offering_line(ui, o)).collect(),
        services,
        form: FormValues::new(ui),
        back: admin_back,
        id,
    };
    super::render(&ctx, StatusCode::OK, &t)
}

// --- The offering form --------------------------------------------------------------------------

/// `12.5`, `¥12.50`, `12元` → fen; `None` when empty.
fn fen(label: &str, v: &str) -> Result<Option<i64>, Flash> {
    let t = v
        .trim()
        .trim_start_matches(['¥', '￥'])
        .trim_end_matches('元')
        .trim();
    if t.is_empty() {
        return Ok(None);
    }
    let bad = || {
        Flash::error(
            format!("{label}应为金额（元，最多两位小数），而非“{v}”"),
            format!("{label} must be an amount in yuan with at most two decimals, not \"{v}\""),
        )
    };
    let (whole, part) = t.split_once('.').unwrap_or((t, ""));
    if whole.is_empty()
        || whole.len() > 9
        || part.len() > 2
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !part.chars().all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    let yuan: i64 = whole.parse().map_err(|_| bad())?;
    let cents: i64 = format!("{part:0<2}").parse().map_err(|_| bad())?;
    Ok(Some(yuan * 100 + cents))
}

/// A whole number; `None` when empty.
fn whole(label: &str, v: &str) -> Result<Option<i64>, Flash> {
    let t = v.trim();
    if t.is_empty() {
        return Ok(None);
    }
    t.parse::<i64>().map(Some).map_err(|_| {
        Flash::error(
            format!("{label}应为整数，而非“{v}”"),
            format!("{label} must be a whole number, not \"{v}\""),
        )
    })
}

/// One weekday's hours as typed: `08:00-11:00, 14:00-17:00` (Chinese commas, full-width colons
/// and dashes too) → `["08:00-11:00", "14:00-17:00"]`.
fn hours_list(v: &str) -> Vec<String> {
    let v: String = v
        .chars()
        .map(|c| match c {
            '：' => ':',
            '－' | '–' | '—' | '~' | '～' | '至' => '-',
            '，' | '、' | ';' | '；' => ',',
            c => c,
        })
        .collect();
    v.split([',', '\n'])
        .map(|x| x.split_whitespace().collect::<String>())
        .filter(|x| !x.is_empty())
        .collect()
}

/// The plan from the form's weekdays and holiday choice (with `exceptions` kept).
fn plan_from(f: &super::Fields, exceptions: Option<&Value>) -> Value {
    let week: Map<String, Value> = DAYS
        .iter()
        .map(|(k, _, _)| {
            (
                k.to_string(),
                json!(hours_list(&f.get(&format!("week_{k}")))),
            )
        })
        .filter(|(_, v)| v.as_array().is_some_and(|a| !a.is_empty()))
        .collect();
    let mut plan = json!({
        "week": week,
        "holidays": if f.get("holidays") == "ignore" { "ignore" } else { "observe" },
    });
    if let Some(e) = exceptions.filter(|e| e.as_array().is_some_and(|a| !a.is_empty())) {
        plan["exceptions"] = e.clone();
    }
    plan
}

/// The offering's fields from the form, as the API takes them (empty fields left out: the
/// API's defaults on creation, the stored values on a change).
fn offering_fields(ui: &Ui, f: &super::Fields, home: bool) -> Result<Map<String, Value>, Flash> {
    let mut m = Map::new();
    let price_label = ui.tr("价格", "the price");
    let cap_label = ui.tr("补贴上限", "the subsidy cap");
    if let Some(p) = fen(price_label, &f.get("price"))? {
        m.insert("price_fen".into(), json!(p));
    }
    if let Some(p) = fen(cap_label, &f.get("subsidy_cap"))? {
        m.insert("subsidy_cap_fen".into(), json!(p));
    }
    for (k, zh, en) in [
        ("duration_min", "每次时长", "the duration"),
        ("capacity", "每个时段可约人数", "the capacity"),
        ("min_notice_min", "截止预约", "the booking notice"),
        ("cancel_notice_min", "免费取消", "the cancellation notice"),
        ("horizon_days", "可提前预约天数", "the days ahead"),
    ] {
        if let Some(n) = whole(ui.tr(zh, en), &f.get(k))? {
            m.insert(k.into(), json!(n));
        }
    }
    if home {
        let v = f.get("home_area_m");
        if !v.is_empty() {
            let n: f64 = v.parse().map_err(|_| {
                Flash::error(
                    format!("上门服务范围应为米数，而非“{v}”"),
                    format!("the home service area must be metres, not \"{v}\""),
                )
            })?;
            m.insert("home_area_m".into(), json!(n));
        }
    }
    Ok(m)
}

/// POST /provider/outlets/{id}/offerings: adds a service to the outlet's catalogue.
pub async fn create(ctx: Ctx, Path(id): Path<String>, body: Bytes) -> Response {
    if let Err(r) = ctx.require_role(ROLES) {
        return *r;
    }
    let back = format!("/provider/outlets/{}", encode(&id));
    let f = match super::Fields::parse(&body) {
        Ok(f) => f,
        Err(flash) => return ctx.redirect_with(&back, flash),
    };
    if !ctx.csrf_ok(&f.get("_csrf")) {
        return ctx.redirect_with(&back, super::stale_form());
    }
    let delivery = f.get("delivery");
    let mut m = match offering_fields(&ctx.ui, &f, delivery == "home") {
        Ok(m) => m,
        Err(flash) => return ctx.redirect_with(&back, flash),
    };
    m.insert("facility_id".into(), json!(id));
    m.insert("service".into(), json!(f.get("service")));
    m.insert("delivery".into(), json!(delivery));
    m.insert("plan".into(), plan_from(&f, None));
    match ctx.post("/api/offerings", &Value::Object(m)).await {
        Ok(v) => {
            let oid = v["id"].as_i64().unwrap_or(0);
            let name = service_name(&ctx.ui, v["service"].as_str().unwrap_or(""));
            ctx.redirect_with(
                &back,
                Flash::ok(
                    format!("已新增服务项目：{name}（#{oid}）"),
                    format!("Service added: {name} (#{oid})"),
                ),
            )
        }
        Err(e) => ctx.redirect_with(&back, e.flash()),
    }
}

// --- One offering: change it, see its slots -----------------------------------------------------

pub struct SlotLine {
    pub time: String,
    pub capacity: i64,
    pub booked: i64,
    pub free: i64,
    pub state: String,
    pub state_key: &'static str,
}

pub struct SlotDay {
    pub date: String,
    pub label: String,
    pub slots: Vec<SlotLine>,
}

#[derive(Template)]
#[template(path = "provider_offering.html")]
struct OfferingPage {
    ui: Ui,
    o: OfferingLine,
    outlet_id: String,
    outlet_name: String,
    version: i64,
    home: bool,
    home_area: String,
    form: FormValues,
    exceptions: Vec<String>,
    slot_days: Vec<SlotDay>,
    days_shown: usize,
}

#[derive(Deserialize, Default)]
pub struct OfferingQuery {
    days: Option<usize>,
}

/// Fen as the form shows it (`12.50`).
fn yuan_plain(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

/// `2026-06-10` → `6月10日 周三` / `Wed 10 Jun`.
fn day_label(ui: &Ui, date: &str) -> String {
    let full = crate::ui::when(ui, &format!("{date}T00:00:00+08:00"));
    // `when` ends with the time: drop it.
    full.rsplit_once(' ')
        .map(|(d, _)| d.to_string())
        .unwrap_or(full)
}

/// GET /provider/offerings/{id}: the form to change an offering and its slots of the next days.
pub async fn offering(ctx: Ctx, Path(id): Path<i64>, Query(q): Query<OfferingQuery>) -> Response {
    if let Err(r) = ctx.require_role(ROLES) {
        return *r;
    }
    let ui = &ctx.ui;
    let o = match ctx.get(&format!("/api/offerings/{id}")).await {
        Ok(o) => o,
        Err(e) => return super::api_error(&ctx, &e),
    };
    if !owns(&ctx, o["provider_code"].as_str()) {
        return not_yours(&ctx);
    }
    let outlet_id = s(&o, "facility_id");
    let outlet_name = ctx
        .get(&format!("/api/facilities/{}", encode(&outlet_id)))
        .await
        .map(|f| s(&f, "name"))
        .ok()
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| outlet_id.clone());
    // The slots from today (the server's day) on, by day.
    let days_shown = q.days.unwrap_or(7).clamp(1, 31);
    let slots = ctx
        .get(&format!("/api/offerings/{id}/slots"))
        .await
        .map(|v| v.as_array().cloned().unwrap_or_default())
        .unwrap_or_default();
    let mut slot_days: Vec<SlotDay> = Vec::new();
    for x in &slots {
        let start = s(x, "start");
        let date = start.get(..10).unwrap_or_default().to_string();
        if slot_days.last().map(|d| d.date.as_str()) != Some(date.as_str()) {
            if slot_days.len() == days_shown {
                break;
            }
            slot_days.push(SlotDay {
                label: day_label(ui, &date),
                date: date.clone(),
                slots: vec![],
            });
        }
        let free = x["free"].as_i64().unwrap_or(0);
        let bookable = x["bookable"].as_bool().unwrap_or(false);
        let (state_key, state) = if free == 0 {
            ("full", ui.tr_s("已约满", "full"))
        } else if bookable {
            ("open", ui.tr_s("可预约", "open"))
        } else {
            ("closed", ui.tr_s("不可预约", "not bookable"))
        };
        let hm = |t: &str| t.get(11..16).unwrap_or_default().to_string();
        if let Some(d) = slot_days.last_mut() {
            d.slots.push(SlotLine {
                time: format!("{}–{}", hm(&start), hm(&s(x, "end"))),
                capacity: x["capacity"].as_i64().unwrap_or(0),
                booked: x["booked"].as_i64().unwrap_or(0),
                free,
                state,
                state_key,
            });
        }
    }
    let exceptions = o["plan"]["exceptions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            let hours = e["hours"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            let hours = if hours.is_empty() {
                ui.tr_s("休息", "closed")
            } else {
                hours
            };
            let note = s(e, "note");
            format!(
                "{} {hours}{}",
                s(e, "date"),
                if note.is_empty() {
                    String::new()
                } else {
                    format!("（{note}）")
                }
            )
        })
        .collect();
    let n = |k: &str| o[k].as_i64().unwrap_or(0);
    let t = OfferingPage {
        ui: ui.clone(),
        o: offering_line(ui, &o),
        outlet_id,
        outlet_name,
        version: n("version"),
        home: o["delivery"].as_str() == Some("home"),
        home_area: o["home_area_m"]
            .as_f64()
            .map(|m| format!("{m:.0}"))
            .unwrap_or_default(),
        form: FormValues::of(ui, &o),
        exceptions,
        slot_days,
        days_shown,
    };
    super::render(&ctx, StatusCode::OK, &t)
}

/// POST /provider/offerings/{id}: changes the offering against the version the form was made
/// from (the API refuses when it changed since).
pub async fn change(ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> Response {
    if let Err(r) = ctx.require_role(ROLES) {
        return *r;
    }
    let back = format!("/provider/offerings/{id}");
    let f = match super::Fields::parse(&body) {
        Ok(f) => f,
        Err(flash) => return ctx.redirect_with(&back, flash),
    };
    if !ctx.csrf_ok(&f.get("_csrf")) {
        return ctx.redirect_with(&back, super::stale_form());
    }
    // The stored plan's exceptions are kept (this form does not edit them).
    let stored = match ctx.get(&format!("/api/offerings/{id}")).await {
        Ok(o) => o,
        Err(e) => return ctx.redirect_with(&back, e.flash()),
    };
    let home = stored["delivery"].as_str() == Some("home");
    let mut m = match offering_fields(&ctx.ui, &f, home) {
        Ok(m) => m,
        Err(flash) => return ctx.redirect_with(&back, flash),
    };
    m.insert("active".into(), json!(f.get("active") == "1"));
    m.insert(
        "plan".into(),
        plan_from(&f, Some(&stored["plan"]["exceptions"])),
    );
    let version = f.get("version");
    match ctx
        .call(
            Method::PATCH,
            &format!("/api/offerings/{id}"),
            Some(&Value::Object(m)),
            &[("if-match", &format!("\"{version}\""))],
        )
        .await
    {
        Ok((_, _, v)) => {
            let name = service_name(&ctx.ui, v["service"].as_str().unwrap_or(""));
            ctx.redirect_with(
                &back,
                Flash::ok(
                    format!("服务项目已保存：{name}（#{id}）"),
                    format!("Service saved: {name} (#{id})"),
                ),
            )
        }
        Err(e) => ctx.redirect_with(&back, e.flash()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_hours_read_as_people_type_them() {
        assert_eq!(fen("p", "15").unwrap(), Some(1500));
        assert_eq!(fen("p", "¥12.5").unwrap(), Some(1250));
        assert_eq!(fen("p", "0.05元").unwrap(), Some(5));
        assert_eq!(fen("p", " ").unwrap(), None);
        for bad in ["-1", "1.234", "abc", ".5", "1e3"] {
            assert!(fen("p", bad).is_err(), "{bad}");
        }
        assert_eq!(
            hours_list("08:00-11:00, 14:00-17:00"),
            vec!["08:00-11:00", "14:00-17:00"]
        );
        assert_eq!(
            hours_list("08：00－11：00，14:00 - 17:00；"),
            vec!["08:00-11:00", "14:00-17:00"]
        );
        assert!(hours_list("  ").is_empty());
    }
}
