//! Service providers: the bookings of their outlets to confirm, start and complete.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use super::resident::{outlet_names, service_name, status_name};
use crate::ctx::Ctx;
use crate::ui::{encode, when, yuan, Flash, Ui};

/// Who may use the provider pages (as the bookings API admits them for actions).
const ROLES: &[&str] = &["provider_staff", "admin"];

pub struct Action {
    pub key: &'static str,
    pub label: String,
    /// Whether it asks for a reason.
    pub reason: bool,
    pub primary: bool,
}

pub struct Line {
    pub id: i64,
    pub outlet: String,
    pub service: String,
    pub when: String,
    pub status: String,
    pub status_key: String,
    pub community: String,
    pub note: String,
    pub price: String,
    pub actions: Vec<Action>,
}

#[derive(Template)]
#[template(path = "provider_bookings.html")]
struct Page {
    ui: Ui,
    open: Vec<Line>,
    done: Vec<Line>,
}

fn actions(ui: &Ui, status: &str) -> Vec<Action> {
    let a = |key, zh, en, reason, primary| Action {
        key,
        label: ui.tr_s(zh, en),
        reason,
        primary,
    };
    match status {
        "requested" => vec![
            a("confirm", "确认", "Confirm", false, true),
            a("reject", "拒绝", "Reject", true, false),
        ],
        "confirmed" => vec![
            a("start", "开始服务", "Start", false, true),
            a("no-show", "未到", "No-show", false, false),
        ],
        "in_service" => vec![a("complete", "完成服务", "Complete", false, true)],
        _ => vec![],
    }
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    from: Option<String>,
}

/// GET /provider/bookings: what is open first, then the last days' finished ones.
pub async fn bookings(ctx: Ctx, Query(q): Query<ListQuery>) -> Response {
    if let Err(r) = ctx.require_role(ROLES) {
        return *r;
    }
    let ui = &ctx.ui;
    let mut url = "/api/bookings?limit=300".to_string();
    if let Some(f) = q.from.as_deref().filter(|f| !f.is_empty()) {
        url.push_str(&format!("&from={}", encode(f)));
    }
    let list = match ctx.get(&url).await {
        Ok(v) => v["items"].as_array().cloned().unwrap_or_default(),
        Err(e) => return super::api_error(&ctx, &e),
    };
    let names = outlet_names(&ctx, list.iter().filter_map(|b| b["facility_id"].as_str())).await;
    let mut lines: Vec<(i64, Line)> = list
        .iter()
        .map(|b| {
            let status = b["status"].as_str().unwrap_or_default();
            let fid = b["facility_id"].as_str().unwrap_or_default();
            (
                b["start_ms"].as_i64().unwrap_or(0),
                Line {
                    id: b["id"].as_i64().unwrap_or(0),
                    outlet: names.get(fid).cloned().unwrap_or_else(|| fid.to_string()),
                    service: service_name(ui, b["service"].as_str().unwrap_or("")),
                    when: when(ui, b["start"].as_str().unwrap_or("")),
                    status: status_name(ui, status),
                    status_key: status.to_string(),
                    community: b["community_id"].as_str().unwrap_or_default().to_string(),
                    note: b["note"].as_str().unwrap_or_default().to_string(),
                    price: yuan(b["price_fen"].as_i64().unwrap_or(0)),
                    actions: actions(ui, status),
                },
            )
        })
        .collect();
    lines.sort_by_key(|(start, l)| (l.actions.is_empty(), *start, l.id));
    let (open, done): (Vec<_>, Vec<_>) = lines
        .into_iter()
        .map(|(_, l)| l)
        .partition(|l| !l.actions.is_empty());
    let t = Page {
        ui: ui.clone(),
        open,
        done: done.into_iter().rev().take(30).collect(),
    };
    super::render(&ctx, StatusCode::OK, &t)
}

#[derive(Deserialize)]
struct ActForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    reason: String,
}

/// POST /provider/bookings/{id}/{action}.
pub async fn act(ctx: Ctx, Path((id, action)): Path<(i64, String)>, body: Bytes) -> Response {
    if let Err(r) = ctx.require_role(ROLES) {
        return *r;
    }
    const BACK: &str = "/provider/bookings";
    let f: ActForm = match super::form(&body) {
        Ok(f) => f,
        Err(flash) => return ctx.redirect_with(BACK, flash),
    };
    if !ctx.csrf_ok(&f._csrf) {
        return ctx.redirect_with(BACK, super::stale_form());
    }
    let Some((zh, en)) = (match action.as_str() {
        "confirm" => Some(("已确认预约", "Booking confirmed")),
        "reject" => Some(("已拒绝预约", "Booking rejected")),
        "start" => Some(("已开始服务", "Service started")),
        "complete" => Some(("服务已完成", "Service completed")),
        "no-show" => Some(("已记为未到", "Recorded as a no-show")),
        _ => None,
    }) else {
        return ctx.redirect_with(BACK, Flash::error("未知的操作", "unknown action"));
    };
    let mut req = json!({});
    if !f.reason.trim().is_empty() {
        req["reason"] = json!(f.reason.trim());
    }
    match ctx
        .post(&format!("/api/bookings/{id}/{action}"), &req)
        .await
    {
        Ok(_) => ctx.redirect_with(
            BACK,
            Flash::ok(format!("{zh}（#{id}）"), format!("{en} (#{id})")),
        ),
        Err(e) => ctx.redirect_with(BACK, e.flash()),
    }
}
