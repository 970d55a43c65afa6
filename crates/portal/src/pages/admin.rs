//! Administrators (管理): accounts and roles (`/api/users`: create, change role, scope or
//! status, end a login lock), the platform's own calendar days (法定节假日、调休, `/api/calendar`)
//! and the rule tables (review settings through `/api/review-settings`; the early-warning
//! rules, which the API does not let anyone change, shown as shipped).

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{json, Value};

use super::text as s;
use super::Fields;
use crate::ctx::Ctx;
use crate::ui::{encode, Flash, Ui};

const ROLES: &[&str] = &["admin"];

/// The roles an account may have, in the API's keys.
const ROLE_KEYS: &[&str] = &[
    "resident",
    "provider_staff",
    "community_worker",
    "regulator",
    "admin",
];

// --- Overview ---------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    ui: Ui,
}

/// GET /admin.
pub async fn home(ctx: Ctx) -> Response {
    if let Err(r) = ctx.require_role(ROLES) {
        return *r;
    }
    let t = AdminPage { ui: ctx.ui.clone() };
    super::render(&ctx, StatusCode::OK, &t)
}

// --- Accounts -----------------------------------------------------------------------------------

pub struct RoleChoice {
    pub key: &'static str,
    pub name: String,
}

pub struct UserLine {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub role_name: String,
    pub provider_code: String,
    pub community_id: String,
    pub disabled: bool,
    pub version: i64,
    pub me: bool,
}

pub struct Option2 {
    pub value: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    ui: Ui,
    users: Vec<UserLine>,
    total: i64,
    roles: Vec<RoleChoice>,
    filter_role: String,
    q: String,
    providers: Vec<Option2>,
    communities: Vec<Option2>,
}

#[derive(Deserialize, Default)]
pub struct UsersQuery {
    role: Option<String>,
    q: Option<String>,
}

fn role_choices(ui: &Ui) -> Vec<RoleChoice> {
    ROLE_KEYS
        .iter()
        .map(|k| RoleChoice {
            key: k,
            name: ui.role_name(k),
        })
        .collect()
}

/// Options from a list answer (`id_key` and `name`), sorted by label.
async fn options(ctx: &Ctx, path: &str, id_key: &str) -> Vec<Option2> {
    let mut out: Vec<Option2> = ctx
        .get(path)
        .await
        .map(|v| super::items(&v))
        .unwrap_or_default()
        .iter()
        .filter_map(|x| {
            let id = x[id_key].as_str()?.to_string();
            Some(Option2 {
                label: format!("{} {}", s(x, "name"), id),
                value: id,
            })
        })
        .collect();
    out.sort_by(|a, b| a.label.cmp(&b.label));
    out
}

/// GET /admin/users?role=…&q=…: the accounts with their role, scope and status; the forms to
/// create one, change one and end a login lock.
pub async fn users(ctx: Ctx, Query(q): Query<UsersQuery>) -> Response {
    let me = match ctx.require_role(ROLES) {
        Ok(me) => me.id,
        Err(r) => return *r,
    };
    let ui = &ctx.ui;
    let role = q.role.clone().filter(|r| ROLE_KEYS.contains(&r.as_str()));
    let search = q.q.clone().unwrap_or_default().trim().to_string();
    let mut path = "/api/users?limit=200".to_string();
    if let Some(r) = &role {
        path.push_str(&format!("&role={r}"));
    }
    if !search.is_empty() {
        path.push_str(&format!("&q={}", encode(&search)));
    }
    let v = match ctx.get(&path).await {
        Ok(v) => v,
        Err(e) => return super::api_error(&ctx, &e),
    };
    let users = super::items(&v)
        .iter()
        .map(|u| {
            let role = s(u, "role");
            UserLine {
                id: u["id"].as_i64().unwrap_or(0),
                username: s(u, "username"),
                display_name: s(u, "display_name"),
                role_name: ui.role_name(&role),
                role,
                provider_code: s(u, "provider_code"),
                community_id: s(u, "community_id"),
                disabled: u["disabled"] == json!(true),
                version: u["version"].as_i64().unwrap_or(0),
                me: u["id"].as_i64() == Some(me),
            }
        })
        .collect();
    let t = UsersPage {
        ui: ui.clone(),
        total: v["total"].as_i64().unwrap_or(0),
        users,
        roles: role_choices(ui),
        filter_role: role.unwrap_or_default(),
        q: search,
        providers: options(&ctx, "/api/providers?limit=1000", "uscc").await,
        communities: options(&ctx, "/api/communities?limit=1000", "id").await,
    };
    super::render(&ctx, StatusCode::OK, &t)
}

const USERS: &str = "/admin/users";

/// The form's text field, when it is not empty.
fn some(f: &Fields, k: &str) -> Option<String> {
    Some(f.get(k)).filter(|v| !v.is_empty())
}

/// POST /admin/users: creates an account (the administrator sets its first password).
pub async fn create_user(ctx: Ctx, body: Bytes) -> Response {
    if let Err(r) = ctx.require_role(ROLES) {
        return *r;
    }
    let f = match Fields::parse(&body) {
        Ok(f) => f,
        Err(flash) => return ctx.redirect_with(USERS, flash),
    };
    if !ctx.csrf_ok(&f.get("_csrf")) {
        return ctx.redirect_with(USERS, super::stale_form());
    }
    let role = f.get("role");
    let mut req = json!({
        "username": f.get("username"),
        "password": f.get("password"),
        "role": role,
    });
    if let Some(d) = some(&f, "display_name") {
        req["display_name"] = json!(d);
    }
    // The scope the role needs (the API requires it and checks that it exists).
    match role.as_str() {
        "provider_staff" => req["provider_code"] = json!(f.get("provider_code")),
        "community_worker" => req["community_id"] = json!(f.get("community_id")),
        _ => {}
    }
    match ctx.post("/api/users", &req).await {
        Ok(v) => ctx.redirect_with(
            &format!("{USERS}?q={}", encode(&s(&v, "username"))),
            Flash::ok(
                format!(
                    "账户 {} 已创建（{}）。请将您设定的初始密码当面或电话告知本人，并提醒其登录后修改。",
                    s(&v, "username"),
                    ctx.ui.role_name(&s(&v, "role"))
                ),
                format!(
                    "Account {} created ({}). Give the person the first password you set, in person or by phone, and ask them to change it after signing in.",
                    s(&v, "username"),
                    ctx.ui.role_name(&s(&v, "role"))
                ),
            ),
        ),
        Err(e) => ctx.redirect_with(USERS, e.flash()),
    }
}

/// POST /admin/users/{id}: changes an account's role, scope, name or status (against the
/// version the form was made from).
pub async fn update_user(ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> Response {
    if let Err(r) = ctx.require_role(ROLES) {
        return *r;
    }
    let f = match Fields::parse(&body) {
        Ok(f) => f,
        Err(flash) => return ctx.redirect_with(USERS, flash),
    };
    let back = super::local_path(Some(&f.get("back")));
    if !ctx.csrf_ok(&f.get("_csrf")) {
        return ctx.redirect_with(&back, super::stale_form());
    }
    let role = f.get("role");
    let mut req = json!({"role": role, "disabled": f.get("disabled") == "1"});
    if let Some(d) = some(&f, "display_name") {
        req["display_name"] = json!(d);
    }
    match role.as_str() {
        "provider_staff" => {
            if let Some(p) = some(&f, "provider_code") {
                req["provider_code"] = json!(p);
            }
        }
        "community_worker" => {
            if let Some(c) = some(&f, "community_id") {
                req["community_id"] = json!(c);
            }
        }
        _ => {}
    }
    let version = f.get("version");
    let mut extra = vec![];
    if !version.is_empty() {
        extra.push(("if-match", version.as_str()));
    }
    match ctx
        .call(
            Method::PATCH,
            &format!("/api/users/{id}"),
            Some(&req),
            &extra,
        )
        .await
    {
        Ok((_, _, v)) => ctx.redirect_with(
            &back,
            Flash::ok(
                format!(
                    "账户 {} 已更新：{}{}",
                    s(&v, "username"),
                    ctx.ui.role_name(&s(&v, "role")),
                    if v["disabled"] == json!(true) {
                        "，已停用"
                    } else {
                        ""
                    }
                ),
                format!(
                    "Account {} changed: {}{}",
                    s(&v, "username"),
                    ctx.ui.role_name(&s(&v, "role")),
                    if v["disabled"] == json!(true) {
                        ", disabled"
                    } else {
                        ""
                    }
                ),
            ),
        ),
        Err(e) => ctx.redirect_with(&back, e.flash()),
    }
}

/// POST /admin/users/{id}/unlock: ends the account's login throttling.
pub async fn unlock_user(ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> Response {
    if let Err(r) = ctx.require_role(ROLES) {
        return *r;
    }
    let f = match Fields::parse(&body) {
        Ok(f) => f,
        Err(flash) => return ctx.redirect_with(USERS, flash),
    };
    let back = super::local_path(Some(&f.get("back")));
    if !ctx.csrf_ok(&f.get("_csrf")) {
        return ctx.redirect_with(&back, super::stale_form());
    }
    match ctx
        .post(&format!("/api/users/{id}/unlock"), &json!({}))
        .await
    {
        Ok(v) => {
            let n = v["addresses"].as_u64().unwrap_or(0);
            ctx.redirect_with(
                &back,
                Flash::ok(
                    format!("已解除登录限制（清除了 {n} 个地址的失败记录）"),
                    format!("Login lock ended (failures from {n} addresses forgotten)"),
                ),
            )
        }
        Err(e) => ctx.redirect_with(&back, e.flash()),
    }
}

// --- Calendar ---------------------------------------------------------------------------------

pub struct DayLine {
    pub day: String,
    pub kind: String,
    pub kind_name: String,
    pub works_as: String,
    pub works_as_name: String,
    pub name: String,
}

pub struct Weekday {
    pub key: &'static str,
    pub name: String,
}

#[derive(Template)]
#[template(path = "admin_calendar.html")]
struct CalendarPage {
    ui: Ui,
    year: i32,
    days: Vec<DayLine>,
    weekdays: Vec<Weekday>,
    /// The form's values: a day to change, or empty.
    edit_day: String,
    edit_kind: String,
    edit_works_as: String,
    edit_name: String,
}

#[derive(Deserialize, Default)]
pub struct CalendarQuery {
    year: Option<i32>,
    edit: Option<String>,
}

fn weekdays(ui: &Ui) -> Vec<Weekday> {
    [
        ("mon", "周一", "Monday"),
        ("tue", "周二", "Tuesday"),
        ("wed", "周三", "Wednesday"),
        ("thu", "周四", "Thursday"),
        ("fri", "周五", "Friday"),
        ("sat", "周六", "Saturday"),
        ("sun", "周日", "Sunday"),
    ]
    .into_iter()
    .map(|(key, zh, en)| Weekday {
        key,
        name: ui.tr_s(zh, en),
    })
    .collect()
}

fn this_year() -> i32 {
    i32::from(
        jiff::Timestamp::now()
            .to_zoned(lc_services::time::zone())
            .year(),
    )
}

/// GET /admin/calendar?year=…&edit=…: the platform's holidays (放假) and moved working days
/// (调休上班) of a year, with the form to add or change one.
pub async fn calendar(ctx: Ctx, Query(q): Query<CalendarQuery>) -> Response {
    if let Err(r) = ctx.require_role(ROLES) {
        return *r;
    }
    let ui = &ctx.ui;
    let year = q
        .year
        .filter(|y| (1900..=9998).contains(y))
        .unwrap_or_else(this_year);
    let list = match ctx.get(&format!("/api/calendar?year={year}")).await {
        Ok(v) => super::items(&v),
        Err(e) => return super::api_error(&ctx, &e),
    };
    let names = weekdays(ui);
    let days: Vec<DayLine> = list
        .iter()
        .map(|d| {
            let kind = s(d, "kind");
            let works_as = s(d, "works_as");
            DayLine {
                day: s(d, "day"),
                kind_name: if kind == "holiday" {
                    ui.tr_s("放假", "holiday")
                } else {
                    ui.tr_s("调休上班", "working day")
                },
                kind,
                works_as_name: names
                    .iter()
                    .find(|w| w.key == works_as)
                    .map(|w| w.name.clone())
                    .unwrap_or_default(),
                works_as,
                name: s(d, "name"),
            }
        })
        .collect();
    let edit = q
        .edit
        .as_deref()
        .and_then(|e| days.iter().find(|d| d.day == e));
    let t = CalendarPage {
        ui: ui.clone(),
        year,
        edit_day: edit.map(|d| d.day.clone()).unwrap_or_default(),
        edit_kind: edit
            .map(|d| d.kind.clone())
            .unwrap_or_else(|| "holiday".into()),
        edit_works_as: edit.map(|d| d.works_as.clone()).unwrap_or_default(),
        edit_name: edit.map(|d| d.name.clone()).unwrap_or_default(),
        days,
        weekdays: names,
    };
    super::render(&ctx, StatusCode::OK, &t)
}

/// The calendar page of the year of `day` (`YYYY-MM-DD`), else of this year.
fn calendar_of(day: &str) -> String {
    match day.get(..4).and_then(|y| y.parse::<i32>().ok()) {
        Some(y) => format!("/admin/calendar?year={y}"),
        None => "/admin/calendar".into(),
    }
}

/// POST /admin/calendar: sets a day (a new one, or a change of one already there).
pub async fn set_day(ctx: Ctx, body: Bytes) -> Response {
    if let Err(r) = ctx.require_role(ROLES) {
        return *r;
    }
    let f = match Fields::parse(&body) {
        Ok(f) => f,
        Err(flash) => return ctx.redirect_with("/admin/calendar", flash),
    };
    let day = f.get("day");
    let back = calendar_of(&day);
    if !ctx.csrf_ok(&f.get("_csrf")) {
        return ctx.redirect_with(&back, super::stale_form());
    }
    if day.is_empty() {
        return ctx.redirect_with(&back, Flash::error("请填写日期", "enter the date"));
    }
    let kind = f.get("kind");
    let mut req = json!({"kind": kind, "name": f.get("name")});
    if kind == "workday" {
        req["works_as"] = json!(f.get("works_as"));
    }
    match ctx
        .call(
            Method::PUT,
            &format!("/api/calendar/{}", encode(&day)),
            Some(&req),
            &[],
        )
        .await
    {
        Ok(_) => ctx.redirect_with(
            &back,
            Flash::ok(format!("已保存 {day}"), format!("{day} saved")),
        ),
        Err(e) => ctx.redirect_with(&back, e.flash()),
    }
}

/// POST /admin/calendar/{day}/delete: removes a day.
pub async fn delete_day(ctx: Ctx, Path(day): Path<String>, body: Bytes) -> Response {
    if let Err(r) = ctx.require_role(ROLES) {
        return *r;
    }
    let back = calendar_of(&day);
    let f = match Fields::parse(&body) {
        Ok(f) => f,
        Err(flash) => return ctx.redirect_with(&back, flash),
    };
    if !ctx.csrf_ok(&f.get("_csrf")) {
        return ctx.redirect_with(&back, super::stale_form());
    }
    match ctx
        .call(
            Method::DELETE,
            &format!("/api/calendar/{}", encode(&day)),
            None,
            &[],
        )
        .await
    {
        Ok((_, _, v)) if v["deleted"] == json!(true) => ctx.redirect_with(
            &back,
            Flash::ok(format!("已删除 {day}"), format!("{day} removed")),
        ),
        Ok(_) => ctx.redirect_with(
            &back,
            Flash::error(
                format!("{day} 不在日历中"),
                format!("{day} is not in the calendar"),
            ),
        ),
        Err(e) => ctx.redirect_with(&back, e.flash()),
    }
}

// --- Rule tables --------------------------------------------------------------------------------

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct RuleLine {
    pub key: String,
    pub name: String,
    pub severity: String,
    pub assignee: String,
    pub deadline_days: i64,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "admin_rules.html")]
struct RulesPage {
    ui: Ui,
    version: i64,
    jurisdictions: Vec<Choice>,
    minimum: i64,
    rectify_days: String,
    rectify_units: Vec<Choice>,
    default_days: String,
    default_units: Vec<Choice>,
    default_levels: Vec<Choice>,
    effective_name: String,
    effective_rectify: String,
    effective_default: String,
    effective_source: String,
    calendar_years: String,
    warning_version: String,
    warning_rules: Vec<RuleLine>,
}

fn period_text(ui: &Ui, p: &Value) -> String {
    match (p["days"].as_u64(), p["unit"].as_str()) {
        (Some(d), Some("working")) => format!("{d} {}", ui.tr("个工作日", "working days")),
        (Some(d), Some(_)) => format!("{d} {}", ui.tr("个自然日", "days")),
        _ => ui.tr_s("无", "none"),
    }
}

fn level_name(ui: &Ui, key: &str) -> String {
    let (zh, en) = match key {
        "very_satisfied" => ("非常满意", "very satisfied"),
        "satisfied" => ("满意", "satisfied"),
        "basic" => ("基本满意", "fair"),
        k => (k, k),
    };
    ui.tr_s(zh, en)
}

fn unit_choices(ui: &Ui, current: &str) -> Vec<Choice> {
    [
        ("working", "工作日", "working days"),
        ("natural", "自然日", "calendar days"),
    ]
    .into_iter()
    .map(|(k, zh, en)| Choice {
        value: k.into(),
        label: ui.tr_s(zh, en),
        selected: k == current,
    })
    .collect()
}

/// GET /admin/rules: the review settings (editable) and the early-warning rules (as shipped).
pub async fn rules(ctx: Ctx) -> Response {
    if let Err(r) = ctx.require_role(ROLES) {
        return *r;
    }
    let ui = &ctx.ui;
    let v = match ctx.get("/api/review-settings").await {
        Ok(v) => v,
        Err(e) => return super::api_error(&ctx, &e),
    };
    let rules = &v["rules"];
    let current = rules["jurisdiction"].as_str().unwrap_or("");
    let mut jurisdictions = vec![Choice {
        value: String::new(),
        label: ui.tr_s("（无：本地设定）", "(none: set locally)"),
        selected: current.is_empty(),
    }];
    for j in v["jurisdictions"].as_array().into_iter().flatten() {
        let key = s(j, "key");
        jurisdictions.push(Choice {
            label: ui.tr_s(&s(j, "zh"), &s(j, "en")),
            selected: key == current,
            value: key,
        });
    }
    let eff = &v["effective"];
    let effective_default = match eff["default_rating"].as_object() {
        Some(_) => format!(
            "{}{}{}",
            period_text(ui, &eff["default_rating"]["after"]),
            ui.tr("后默认为", " after the service: "),
            level_name(ui, eff["default_rating"]["level"].as_str().unwrap_or(""))
        ),
        None => ui.tr_s("不设默认评价", "no default rating"),
    };
    let dr = &rules["default_rating"];
    let default_level = dr["level"].as_str().unwrap_or("");
    let warning = lc_credit::warning::builtin();
    let t = RulesPage {
        ui: ui.clone(),
        version: v["version"].as_i64().unwrap_or(0),
        jurisdictions,
        minimum: rules["minimum"].as_i64().unwrap_or(10),
        rectify_days: rules["rectify"]["days"]
            .as_u64()
            .map(|d| d.to_string())
            .unwrap_or_default(),
        rectify_units: unit_choices(ui, rules["rectify"]["unit"].as_str().unwrap_or("working")),
        default_days: dr["after"]["days"]
            .as_u64()
            .map(|d| d.to_string())
            .unwrap_or_default(),
        default_units: unit_choices(ui, dr["after"]["unit"].as_str().unwrap_or("natural")),
        default_levels: ["very_satisfied", "satisfied", "basic"]
            .into_iter()
            .map(|k| Choice {
                value: k.into(),
                label: level_name(ui, k),
                selected: k == default_level || (default_level.is_empty() && k == "satisfied"),
            })
            .collect(),
        effective_name: ui.tr_s(&s(eff, "zh"), &s(eff, "en")),
        effective_rectify: period_text(ui, &eff["rectify"]),
        effective_default,
        effective_source: s(eff, "source"),
        calendar_years: v["calendar_years"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|y| y.to_string())
                    .collect::<Vec<_>>()
                    .join("、")
            })
            .unwrap_or_default(),
        warning_version: warning.version.clone(),
        warning_rules: warning
            .rules
            .iter()
            .map(|r| {
                use lc_credit::warning::{Assignee, Severity};
                let mut detail = Vec::new();
                if r.days > 0 {
                    detail.push(format!("{} {}", ui.tr("提前天数", "days ahead"), r.days));
                }
                if r.threshold > 0 {
                    detail.push(format!("{} {}", ui.tr("阈值", "threshold"), r.threshold));
                }
                if r.window_days > 0 {
                    detail.push(format!(
                        "{} {}",
                        ui.tr("窗口天数", "window days"),
                        r.window_days
                    ));
                }
                if r.minimum > 0 {
                    detail.push(format!("{} {}", ui.tr("最少件数", "minimum"), r.minimum));
                }
                RuleLine {
                    key: r.key.clone(),
                    name: ui.tr_s(&r.zh, &r.en),
                    severity: match r.severity {
                        Severity::High => ui.tr_s("高", "high"),
                        Severity::Medium => ui.tr_s("中", "medium"),
                        Severity::Low => ui.tr_s("低", "low"),
                    },
                    assignee: match r.assign_to {
                        Assignee::Provider => ui.tr_s("服务机构", "provider"),
                        Assignee::Regulator => ui.tr_s("监管部门", "regulator"),
                        Assignee::Community => ui.tr_s("社区工作者", "community workers"),
                    },
                    deadline_days: r.deadline_days,
                    detail: detail.join(ui.tr("；", "; ")),
                }
            })
            .collect(),
    };
    super::render(&ctx, StatusCode::OK, &t)
}

/// POST /admin/rules: sets the review settings (against the version the form was made from).
pub async fn set_rules(ctx: Ctx, body: Bytes) -> Response {
    if let Err(r) = ctx.require_role(ROLES) {
        return *r;
    }
    const BACK: &str = "/admin/rules";
    let f = match Fields::parse(&body) {
        Ok(f) => f,
        Err(flash) => return ctx.redirect_with(BACK, flash),
    };
    if !ctx.csrf_ok(&f.get("_csrf")) {
        return ctx.redirect_with(BACK, super::stale_form());
    }
    let number = |k: &str| -> Result<Option<i64>, Box<Response>> {
        match f.get(k) {
            v if v.is_empty() => Ok(None),
            v => v.parse::<i64>().map(Some).map_err(|_| {
                Box::new(ctx.redirect_with(
                    BACK,
                    Flash::error(
                        format!("{k} 应为整数，而非 “{v}”"),
                        format!("{k} must be a whole number, not '{v}'"),
                    ),
                ))
            }),
        }
    };
    let (minimum, rectify, default_days) = match (
        number("minimum"),
        number("rectify_days"),
        number("default_days"),
    ) {
        (Ok(m), Ok(r), Ok(d)) => (m, r, d),
        (Err(r), _, _) | (_, Err(r), _) | (_, _, Err(r)) => return *r,
    };
    let mut req = json!({});
    if let Some(j) = some(&f, "jurisdiction") {
        req["jurisdiction"] = json!(j);
    }
    if let Some(m) = minimum {
        req["minimum"] = json!(m);
    }
    if let Some(d) = rectify {
        req["rectify"] = json!({"days": d, "unit": f.get("rectify_unit")});
    }
    if let Some(d) = default_days {
        req["default_rating"] = json!({
            "after": {"days": d, "unit": f.get("default_unit")},
            "level": f.get("default_level"),
        });
    }
    let version = f.get("version");
    let mut extra = vec![];
    if !version.is_empty() && version != "0" {
        extra.push(("if-match", version.as_str()));
    }
    match ctx
        .call(Method::PUT, "/api/review-settings", Some(&req), &extra)
        .await
    {
        Ok(_) => ctx.redirect_with(BACK, Flash::ok("评价规则已保存", "Review settings saved")),
        Err(e) => ctx.redirect_with(BACK, e.flash()),
    }
}
