//! Service providers: their reviews (好差评, never who rated), their 差评 cases with the
//! deadlines and the provider's own actions on them (核实, 整改, 解释说明, 申诉, 整改完成, 办结),
//! and their credit records (许可 and 处罚 with publicity and repair). A provider never sees its
//! credit-risk class (分级分类): these pages do not ask the API for it.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{json, Value};

use super::provider_catalogue::{not_yours, owns, provider_of, ROLES};
use super::resident::{outlet_names, service_name};
use super::text as s;
use crate::ctx::Ctx;
use crate::ui::{encode, Flash, Ui};

#[derive(Deserialize, Default)]
pub struct ProviderQuery {
    provider: Option<String>,
}

/// A case's status in the page language.
fn case_status(ui: &Ui, key: &str) -> String {
    let (zh, en) = match key {
        "received" => ("已受理，待核实", "received, to verify"),
        "verified" => ("已核实，待处理", "verified, to handle"),
        "rectifying" => ("整改中", "rectifying"),
        "rectified" => ("已整改，待回访", "rectified, awaiting the call-back"),
        "explained" => ("已解释说明，待回访", "explained, awaiting the call-back"),
        "appealed" => ("申诉复核中", "appeal under review"),
        "called_back" => ("已回访，待办结", "called back, to close"),
        "closed" => ("已办结", "closed"),
        k => (k, k),
    };
    ui.tr_s(zh, en)
}

/// A review's verdict (好评 / 中评 / 差评) in the page language.
fn verdict(ui: &Ui, key: &str) -> String {
    let (zh, en) = match key {
        "good" => ("好评", "good"),
        "neutral" => ("中评", "neutral"),
        "bad" => ("差评", "bad"),
        k => (k, k),
    };
    ui.tr_s(zh, en)
}

/// The provider's own records only: the query part that narrows an administrator's lists.
fn narrowed(provider: &str, key: &str) -> String {
    if provider.is_empty() {
        String::new()
    } else {
        format!("&{key}={}", encode(provider))
    }
}

// --- Reviews and cases --------------------------------------------------------------------------

pub struct ReviewLine {
    pub id: i64,
    pub case_no: String,
    pub month: String,
    pub outlet: String,
    pub service: String,
    pub level: String,
    pub verdict: String,
    pub verdict_key: String,
    pub text: String,
    pub is_default: bool,
    pub excluded: bool,
    pub case_id: i64,
    pub case_status: String,
}

pub struct CaseLine {
    pub id: i64,
    pub outlet: String,
    pub service: String,
    pub received: String,
    pub deadline: String,
    pub overdue: bool,
    pub status: String,
    pub status_key: String,
}

#[derive(Template)]
#[template(path = "provider_reviews.html")]
struct ReviewsPage {
    ui: Ui,
    provider: String,
    open: Vec<CaseLine>,
    finished: Vec<CaseLine>,
    reviews: Vec<ReviewLine>,
    good: usize,
    bad: usize,
}

fn is_open(status: &str) -> bool {
    status != "closed"
}

/// GET /provider/reviews: the provider's 差评 cases (open first, with their deadlines) and its
/// reviews.
pub async fn reviews(ctx: Ctx, Query(q): Query<ProviderQuery>) -> Response {
    if let Err(r) = ctx.require_role(ROLES) {
        return *r;
    }
    let ui = &ctx.ui;
    let provider = provider_of(&ctx, q.provider.as_deref()).unwrap_or_default();
    let cases = match ctx
        .get(&format!(
            "/api/review-cases?limit=500{}",
            narrowed(&provider, "provider_code")
        ))
        .await
    {
        Ok(v) => super::items(&v),
        Err(e) => return super::api_error(&ctx, &e),
    };
    let list = match ctx
        .get(&format!(
            "/api/reviews?limit=300{}",
            narrowed(&provider, "provider_code")
        ))
        .await
    {
        Ok(v) => super::items(&v),
        Err(e) => return super::api_error(&ctx, &e),
    };
    let names = outlet_names(
        &ctx,
        cases
            .iter()
            .chain(list.iter())
            .filter_map(|x| x["facility_id"].as_str()),
    )
    .await;
    let outlet = |x: &Value| {
        let id = s(x, "facility_id");
        names.get(&id).cloned().unwrap_or(id)
    };
    let mut lines: Vec<CaseLine> = cases
        .iter()
        .map(|c| {
            let st = s(c, "status");
            CaseLine {
                id: c["id"].as_i64().unwrap_or(0),
                outlet: outlet(c),
                service: service_name(ui, &s(c, "service")),
                received: s(c, "received"),
                deadline: s(c, "deadline"),
                overdue: c["overdue"].as_bool().unwrap_or(false),
                status: case_status(ui, &st),
                status_key: st,
            }
        })
        .collect();
    // Overdue first, then by deadline (none last), then by number.
    lines.sort_by(|a, b| {
        (!a.overdue, a.deadline.is_empty(), &a.deadline, a.id).cmp(&(
            !b.overdue,
            b.deadline.is_empty(),
            &b.deadline,
            b.id,
        ))
    });
    let (open, mut finished): (Vec<_>, Vec<_>) =
        lines.into_iter().partition(|c| is_open(&c.status_key));
    finished.sort_by_key(|c| std::cmp::Reverse(c.id));
    let reviews: Vec<ReviewLine> = list
        .iter()
        .map(|r| ReviewLine {
            id: r["id"].as_i64().unwrap_or(0),
            case_no: s(r, "case_no"),
            month: s(r, "month"),
            outlet: outlet(r),
            service: service_name(ui, &s(r, "service")),
            level: ui.tr_s(&s(r, "level_zh"), &s(r, "level").replace('_', " ")),
            verdict: verdict(ui, &s(r, "class")),
            verdict_key: s(r, "class"),
            text: s(r, "text"),
            is_default: r["is_default"].as_bool().unwrap_or(false),
            excluded: r["excluded"].as_bool().unwrap_or(false),
            case_id: r["case"]["id"].as_i64().unwrap_or(0),
            case_status: case_status(ui, r["case"]["status"].as_str().unwrap_or("")),
        })
        .collect();
    let t = ReviewsPage {
        ui: ui.clone(),
        provider,
        good: reviews.iter().filter(|r| r.verdict_key == "good").count(),
        bad: reviews.iter().filter(|r| r.verdict_key == "bad").count(),
        open,
        finished,
        reviews,
    };
    super::render(&ctx, StatusCode::OK, &t)
}

// --- One case -----------------------------------------------------------------------------------

pub struct HistoryLine {
    pub when: String,
    pub what: String,
    pub text: String,
    pub by_us: bool,
}

pub struct Form {
    pub action: &'static str,
    pub title: String,
    pub button: String,
    /// `""` (no text), `text` or `appeal` (ground and reason).
    pub fields: &'static str,
    pub label: String,
    pub primary: bool,
}

#[derive(Template)]
#[template(path = "provider_case.html")]
struct CasePage {
    ui: Ui,
    id: i64,
    version: i64,
    status: String,
    status_key: String,
    outlet: String,
    service: String,
    received: String,
    month: String,
    deadline: String,
    deadline_note: String,
    overdue: bool,
    level: String,
    verdict: String,
    text: String,
    history: Vec<HistoryLine>,
    forms: Vec<Form>,
    waiting: String,
    back: String,
}

/// A history entry's event in the page language.
fn event_name(ui: &Ui, key: &str) -> String {
    let (zh, en) = match key {
        "rated" => ("居民评价", "rated"),
        "default_rated" => ("默认评价", "default rating"),
        "case_opened" => ("受理差评", "case opened"),
        "verified" => ("核实", "verified"),
        "rectification_ordered" => ("承诺限期整改", "rectification undertaken"),
        "explained" => ("解释说明", "explained"),
        "appealed" => ("提出申诉", "appealed"),
        "appeal_upheld" => ("申诉成立", "appeal upheld"),
        "appeal_rejected" => ("申诉不成立", "appeal rejected"),
        "deadline_extended" => ("延长整改期限", "deadline extended"),
        "rectified" => ("整改完成", "rectified"),
        "called_back" => ("回访", "called back"),
        "closed" => ("办结", "closed"),
        "excluded" => ("不计入统计", "excluded from statistics"),
        k => (k, k),
    };
    ui.tr_s(zh, en)
}

/// What a history entry says (texts, reasons, the deadline), never who rated.
fn event_text(ui: &Ui, detail: &Value) -> String {
    let mut parts = Vec::new();
    for k in ["text", "reason", "note"] {
        if let Some(t) = detail[k].as_str().filter(|t| !t.is_empty()) {
            parts.push(t.to_string());
        }
    }
    if let Some(d) = detail["deadline"].as_str() {
        parts.push(format!("{}{d}", ui.tr("整改期限 ", "deadline ")));
    }
    if let Some(d) = detail["to"].as_str() {
        parts.push(format!("{}{d}", ui.tr("新期限 ", "new deadline ")));
    }
    if let Some(g) = detail["ground"].as_str() {
        parts.push(match g {
            "mistaken" => ui.tr_s("误评", "mistaken"),
            "malicious" => ui.tr_s("恶意差评", "malicious"),
            g => g.to_string(),
        });
    }
    if let Some(on_time) = detail["on_time"].as_bool() {
        parts.push(if on_time {
            ui.tr_s("按期完成", "on time")
        } else {
            ui.tr_s("逾期完成", "late")
        });
    }
    if let Some(a) = detail["accepted"].as_bool() {
        parts.push(if a {
            ui.tr_s("居民认可处理结果", "the resident accepts the outcome")
        } else {
            ui.tr_s(
                "居民不认可处理结果",
                "the resident does not accept the outcome",
            )
        });
    }
    parts.join(ui.tr("；", "; "))
}

/// The forms of the actions the provider may take on a case in `status` (the API's rules:
/// `lc_reviews::case`); an administrator acts as the supervising department and may verify
/// and close.
fn forms(ui: &Ui, status: &str, appealed: bool, admin: bool) -> Vec<Form> {
    let f = |action, title: String, button: String, fields, label: String, primary| Form {
        action,
        title,
        button,
        fields,
        label,
        primary,
    };
    let verify = || {
        f(
            "verify",
            ui.tr_s("核实", "Verify"),
            ui.tr_s("已与居民核实情况", "Facts checked with the resident"),
            "",
            String::new(),
            true,
        )
    };
    if admin {
        return match status {
            "received" => vec![verify()],
            "called_back" => vec![f(
                "close",
                ui.tr_s("办结", "Close"),
                ui.tr_s("办结工单", "Close the case"),
                "",
                String::new(),
                true,
            )],
            _ => vec![],
        };
    }
    match status {
        "received" => vec![verify()],
        "verified" => {
            let mut v = vec![
                f(
                    "rectify",
                    ui.tr_s("限期整改", "Rectify by the deadline"),
                    ui.tr_s("承诺在期限内整改", "Undertake to fix it by the deadline"),
                    "",
                    String::new(),
                    true,
                ),
                f(
                    "explain",
                    ui.tr_s("解释说明", "Explain"),
                    ui.tr_s("提交解释说明", "Send the explanation"),
                    "text",
                    ui.tr_s(
                        "说明（差评所述问题不属实或无法律依据时）",
                        "Explanation (when the complaint has no basis)",
                    ),
                    false,
                ),
            ];
            if !appealed {
                v.push(f(
                    "appeal",
                    ui.tr_s("申诉复核", "Appeal"),
                    ui.tr_s("提出申诉", "Appeal"),
                    "appeal",
                    ui.tr_s("申诉理由", "Reason for the appeal"),
                    false,
                ));
            }
            v
        }
        "rectifying" => vec![f(
            "report_rectified",
            ui.tr_s("整改完成", "Report the fix"),
            ui.tr_s("报告整改完成", "Report the fix done"),
            "text",
            ui.tr_s("整改措施和结果", "What was done"),
            true,
        )],
        "called_back" => vec![f(
            "close",
            ui.tr_s("办结", "Close"),
            ui.tr_s("办结工单", "Close the case"),
            "",
            String::new(),
            true,
        )],
        _ => vec![],
    }
}

/// What the case waits for when the provider has nothing to do.
fn waiting(ui: &Ui, status: &str) -> String {
    match status {
        "rectified" | "explained" => ui.tr_s(
            "等待监管部门回访居民。",
            "Waiting for the supervising department to call the resident back.",
        ),
        "appealed" => ui.tr_s(
            "等待监管部门复核申诉。",
            "Waiting for the supervising department to decide the appeal.",
        ),
        "closed" => ui.tr_s("工单已办结。", "The case is closed."),
        _ => String::new(),
    }
}

/// GET /provider/cases/{id}: one 差评 case with its review, history and the provider's actions.
pub async fn case(ctx: Ctx, Path(id): Path<i64>) -> Response {
    if let Err(r) = ctx.require_role(ROLES) {
        return *r;
    }
    let ui = &ctx.ui;
    let v = match ctx.get(&format!("/api/review-cases/{id}")).await {
        Ok(v) => v,
        Err(e) => return super::api_error(&ctx, &e),
    };
    if !owns(&ctx, v["provider_code"].as_str()) {
        return not_yours(&ctx);
    }
    let status = s(&v, "status");
    let fid = s(&v, "facility_id");
    let names = outlet_names(&ctx, [fid.as_str()]).await;
    let outlet = names.get(&fid).cloned().unwrap_or(fid);
    let r = &v["review"];
    let history = v["history"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|h| {
            let detail: Value = match &h["detail"] {
                Value::String(t) => serde_json::from_str(t).unwrap_or(Value::Null),
                d => d.clone(),
            };
            let at = h["at"].as_i64().unwrap_or(0);
            let when = jiff::Timestamp::from_millisecond(at)
                .map(|t| crate::ui::when(ui, &t.to_string()))
                .unwrap_or_default();
            HistoryLine {
                when,
                what: event_name(ui, h["event"].as_str().unwrap_or("")),
                text: event_text(ui, &detail),
                by_us: h["actor_role"].as_str() == Some("provider_staff"),
            }
        })
        .collect();
    let back = match (ui.role(), v["provider_code"].as_str()) {
        ("admin", Some(p)) => format!("/provider/reviews?provider={}", encode(p)),
        _ => "/provider/reviews".into(),
    };
    let t = CasePage {
        ui: ui.clone(),
        id,
        version: v["version"].as_i64().unwrap_or(0),
        status: case_status(ui, &status),
        outlet,
        service: service_name(ui, &s(&v, "service")),
        received: s(&v, "received"),
        month: s(&v, "month"),
        deadline: s(&v, "deadline"),
        deadline_note: s(&v, "deadline_note"),
        overdue: v["overdue"].as_bool().unwrap_or(false),
        level: ui.tr_s(&s(r, "level_zh"), &s(r, "level").replace('_', " ")),
        verdict: verdict(ui, &s(r, "class")),
        text: s(r, "text"),
        history,
        forms: forms(
            ui,
            &status,
            v["appealed"].as_i64().unwrap_or(0) != 0,
            ui.role() == "admin",
        ),
        waiting: waiting(ui, &status),
        status_key: status,
        back,
    };
    super::render(&ctx, StatusCode::OK, &t)
}

/// POST /provider/cases/{id}/actions: the provider's action on the case, against the version
/// the page showed.
pub async fn act(ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> Response {
    if let Err(r) = ctx.require_role(ROLES) {
        return *r;
    }
    let back = format!("/provider/cases/{id}");
    let f = match super::Fields::parse(&body) {
        Ok(f) => f,
        Err(flash) => return ctx.redirect_with(&back, flash),
    };
    if !ctx.csrf_ok(&f.get("_csrf")) {
        return ctx.redirect_with(&back, super::stale_form());
    }
    let action = f.get("action");
    let (req, zh, en) = match action.as_str() {
        "verify" => (json!({"action": "verify"}), "已核实", "Verified"),
        "rectify" => (
            json!({"action": "rectify"}),
            "已承诺限期整改",
            "Rectification undertaken",
        ),
        "explain" => (
            json!({"action": "explain", "text": f.get("text")}),
            "解释说明已提交",
            "Explanation sent",
        ),
        "appeal" => (
            json!({"action": "appeal", "ground": f.get("ground"), "reason": f.get("text")}),
            "申诉已提交，等待复核",
            "Appeal sent for review",
        ),
        "report_rectified" => (
            json!({"action": "report_rectified", "text": f.get("text")}),
            "整改完成情况已报告",
            "Fix reported",
        ),
        "close" => (json!({"action": "close"}), "工单已办结", "Case closed"),
        _ => return ctx.redirect_with(&back, Flash::error("未知的操作", "unknown action")),
    };
    let version = f.get("version");
    match ctx
        .call(
            Method::POST,
            &format!("/api/review-cases/{id}/actions"),
            Some(&req),
            &[("if-match", &format!("\"{version}\""))],
        )
        .await
    {
        Ok(_) => ctx.redirect_with(
            &back,
            Flash::ok(format!("{zh}（工单 {id}）"), format!("{en} (case {id})")),
        ),
        Err(e) => ctx.redirect_with(&back, e.flash()),
    }
}

// --- Credit records -----------------------------------------------------------------------------

pub struct CreditLine {
    pub id: i64,
    pub version: i64,
    pub kind: String,
    pub kind_key: String,
    pub doc: String,
    pub title: String,
    pub decided: String,
    pub source: String,
    pub effect: String,
    pub repair: String,
    pub repair_key: &'static str,
}

#[derive(Template)]
#[template(path = "provider_credit.html")]
struct CreditPage {
    ui: Ui,
    provider: String,
    records: Vec<CreditLine>,
    /// Whether the signed-in account may record a repair (the API admits administrators).
    can_repair: bool,
    today: String,
}

/// What a record means for the provider: a penalty's publicity, a licence's validity.
fn effect(ui: &Ui, r: &Value, fields: &Value) -> String {
    match r["kind"].as_str() {
        Some("penalty") => {
            let what = s(fields, "CF_CFLB");
            let fine = r["fine_fen"]
                .as_i64()
                .filter(|f| *f > 0)
                .map(crate::ui::yuan)
                .map(|y| format!("{}{y}", ui.tr("罚款 ", "fine ")))
                .unwrap_or_default();
            let until = s(r, "public_until");
            let mut parts: Vec<String> = vec![what, fine]
                .into_iter()
                .filter(|x| !x.is_empty())
                .collect();
            if !until.is_empty() {
                parts.push(format!("{}{until}", ui.tr("公示至 ", "public until ")));
            }
            parts.join(ui.tr("；", "; "))
        }
        Some("licence") => {
            let until = s(r, "valid_until");
            let what = s(fields, "XK_XKLB");
            if until.is_empty() {
                what
            } else {
                format!("{what}{}{until}", ui.tr("；有效期至 ", "; valid until "))
            }
        }
        _ => String::new(),
    }
}

/// A penalty's repair state: repaired; repairable from a day; not a penalty.
fn repair_state(ui: &Ui, r: &Value, today: &str) -> (&'static str, String) {
    if r["kind"].as_str() != Some("penalty") {
        return ("none", ui.tr_s("不适用", "not applicable"));
    }
    let on = s(r, "repaired_on");
    if !on.is_empty() {
        let why = s(r, "repair_reason");
        return (
            "repaired",
            format!(
                "{}{on}{}",
                ui.tr("已信用修复，", "repaired on "),
                if why.is_empty() {
                    String::new()
                } else {
                    format!("（{why}）")
                }
            ),
        );
    }
    let from = s(r, "repair_from");
    let until = s(r, "public_until");
    if !until.is_empty() && until.as_str() < today {
        return ("ended", ui.tr_s("公示期已满", "publicity over"));
    }
    if from.is_empty() {
        return ("none", ui.tr_s("不可修复", "not repairable"));
    }
    if from.as_str() <= today {
        (
            "open",
            format!(
                "{}{from}{}",
                ui.tr("自 ", "may be repaired since "),
                ui.tr(" 起可申请信用修复", "")
            ),
        )
    } else {
        (
            "later",
            format!(
                "{}{from}{}",
                ui.tr("", "may be repaired from "),
                ui.tr(" 起可申请信用修复", "")
            ),
        )
    }
}

/// GET /provider/credit: the provider's credit records (never its class).
pub async fn credit(ctx: Ctx, Query(q): Query<ProviderQuery>) -> Response {
    if let Err(r) = ctx.require_role(ROLES) {
        return *r;
    }
    let ui = &ctx.ui;
    let provider = provider_of(&ctx, q.provider.as_deref()).unwrap_or_default();
    let list = match ctx
        .get(&format!(
            "/api/credit/records?limit=500{}",
            narrowed(&provider, "subject")
        ))
        .await
    {
        Ok(v) => super::items(&v),
        Err(e) => return super::api_error(&ctx, &e),
    };
    // The server's day (its clock, as the API's publicity periods use it).
    let today = ctx.portal.now().date().to_string();
    let mut records: Vec<CreditLine> = list
        .iter()
        .map(|r| {
            let fields: Value = match &r["fields"] {
                Value::String(t) => serde_json::from_str(t).unwrap_or(Value::Null),
                f => f.clone(),
            };
            let kind_key = s(r, "kind");
            let (repair_key, repair) = repair_state(ui, r, &today);
            CreditLine {
                id: r["id"].as_i64().unwrap_or(0),
                version: r["version"].as_i64().unwrap_or(0),
                kind: match kind_key.as_str() {
                    "penalty" => ui.tr_s("行政处罚", "penalty"),
                    "licence" => ui.tr_s("行政许可", "licence"),
                    k => k.to_string(),
                },
                doc: s(r, "doc_number"),
                title: if kind_key == "penalty" {
                    s(&fields, "CF_WFXW")
                } else {
                    s(&fields, "XK_XKWS")
                },
                decided: s(r, "decided"),
                source: s(r, "source"),
                effect: effect(ui, r, &fields),
                repair,
                repair_key,
                kind_key,
            }
        })
        .collect();
    records.sort_by(|a, b| b.decided.cmp(&a.decided).then(a.id.cmp(&b.id)));
    let t = CreditPage {
        ui: ui.clone(),
        provider,
        records,
        can_repair: ui.role() == "admin",
        today,
    };
    super::render(&ctx, StatusCode::OK, &t)
}

/// POST /provider/credit/{id}/repair: an administrator records a penalty's credit repair (the
/// API admits regulators and administrators only; a provider applies to the department).
pub async fn repair(ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> Response {
    if let Err(r) = ctx.require_role(ROLES) {
        return *r;
    }
    let f = match super::Fields::parse(&body) {
        Ok(f) => f,
        Err(flash) => return ctx.redirect_with("/provider/credit", flash),
    };
    let back = match f.get("provider") {
        p if p.is_empty() => "/provider/credit".to_string(),
        p => format!("/provider/credit?provider={}", encode(&p)),
    };
    if !ctx.csrf_ok(&f.get("_csrf")) {
        return ctx.redirect_with(&back, super::stale_form());
    }
    let mut req = json!({"reason": f.get("reason")});
    if !f.get("on").is_empty() {
        req["on"] = json!(f.get("on"));
    }
    let version = f.get("version");
    match ctx
        .call(
            Method::POST,
            &format!("/api/credit/records/{id}/repair"),
            Some(&req),
            &[("if-match", &format!("\"{version}\""))],
        )
        .await
    {
        Ok(_) => ctx.redirect_with(&back, Flash::ok("已记录信用修复", "Credit repair recorded")),
        Err(e) => ctx.redirect_with(&back, e.flash()),
    }
}
