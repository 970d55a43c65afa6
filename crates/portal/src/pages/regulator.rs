//! Regulators (监管部门): 双随机一公开 spot checks from announcement to publication (with an
//! independent replay of the draw), the early-warning board, credit records and classes.

use askama::Template;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::ctx::Ctx;
use crate::ui::{encode, Flash, Ui};

/// Who may use the regulator pages (as the API admits them).
const ROLES: &[&str] = &["regulator", "admin"];

use super::text as s;

/// A spot check's status in the page language.
fn check_status(ui: &Ui, key: &str) -> String {
    let (zh, en) = match key {
        "announced" => ("已公告，待抽取", "announced, to draw"),
        "drawn" => ("已抽取，检查中", "drawn, checks under way"),
        "published" => ("已公示", "published"),
        "superseded" => ("已被重抽取代", "superseded by a redraw"),
        k => (k, k),
    };
    ui.tr_s(zh, en)
}

// --- Spot checks --------------------------------------------------------------------------------

pub struct CheckLine {
    pub id: i64,
    pub label: String,
    pub status: String,
    pub status_key: String,
    pub draw_on: String,
    pub publish_due: String,
}

pub struct ItemChoice {
    pub code: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "regulator_checks.html")]
struct ChecksPage {
    ui: Ui,
    checks: Vec<CheckLine>,
    items: Vec<ItemChoice>,
    today: String,
}

/// GET /regulator/spot-checks: the spot checks and the form to announce one.
pub async fn checks(ctx: Ctx) -> Response {
    if let Err(r) = ctx.require_role(ROLES) {
        return *r;
    }
    let ui = &ctx.ui;
    let list = match ctx.get("/api/spot-checks?limit=200").await {
        Ok(v) => super::items(&v),
        Err(e) => return super::api_error(&ctx, &e),
    };
    let items = ctx
        .get("/api/check-items?limit=500")
        .await
        .map(|v| super::items(&v))
        .unwrap_or_default();
    let t = ChecksPage {
        ui: ui.clone(),
        checks: list
            .iter()
            .map(|c| CheckLine {
                id: c["id"].as_i64().unwrap_or(0),
                label: s(c, "label"),
                status: check_status(ui, c["status"].as_str().unwrap_or("")),
                status_key: s(c, "status"),
                draw_on: s(c, "draw_on"),
                publish_due: s(c, "publish_due"),
            })
            .collect(),
        items: items
            .iter()
            .filter(|i| i["active"].as_i64() != Some(0))
            .map(|i| ItemChoice {
                code: s(i, "code"),
                name: s(i, "name"),
            })
            .collect(),
        today: ctx.portal.now().date().to_string(),
    };
    super::render(&ctx, StatusCode::OK, &t)
}

/// The announcement form: `check_items` may repeat.
fn announce_body(body: &[u8]) -> Result<(String, Value), Flash> {
    let f = super::Fields::parse(body)?;
    let get = |k: &str| f.get(k);
    let all = |k: &str| f.all(k);
    // The commitment: computed in the browser when it can (the secret never leaves it), else
    // here from the secret typed in, which is used for this and nothing else.
    let mut commitment = get("seed_commitment");
    let secret = get("secret");
    if commitment.is_empty() && !secret.is_empty() {
        commitment = lc_credit::draw::commitment(&secret);
    }
    let mut v = json!({
        "label": get("label"),
        "categories": all("categories"),
        "check_items": all("check_items"),
        "public_value_sources": all("public_value_sources"),
        "draw_on": get("draw_on"),
    });
    if !commitment.is_empty() {
        v["seed_commitment"] = json!(commitment);
    }
    if !get("division_code").is_empty() {
        v["division_code"] = json!(get("division_code"));
    }
    Ok((get("_csrf"), v))
}

/// POST /regulator/spot-checks: announces a spot check through the API.
pub async fn announce(ctx: Ctx, body: Bytes) -> Response {
    if let Err(r) = ctx.require_role(ROLES) {
        return *r;
    }
    const BACK: &str = "/regulator/spot-checks";
    let (csrf, req) = match announce_body(&body) {
        Ok(x) => x,
        Err(f) => return ctx.redirect_with(BACK, f),
    };
    if !ctx.csrf_ok(&csrf) {
        return ctx.redirect_with(BACK, super::stale_form());
    }
    match ctx.post("/api/spot-checks", &req).await {
        Ok(v) => {
            let id = v["id"].as_i64().unwrap_or(0);
            ctx.redirect_with(
                &format!("/regulator/spot-checks/{id}"),
                Flash::ok(
                    format!(
                        "已公告抽查：检查对象 {} 个，检查人员 {} 名；请在抽取日前公布名录库哈希",
                        v["objects"], v["inspectors"]
                    ),
                    format!(
                        "Announced: {} objects and {} inspectors in the pools; publish the pool hashes before the draw day",
                        v["objects"], v["inspectors"]
                    ),
                ),
            )
        }
        Err(e) => ctx.redirect_with(BACK, e.flash()),
    }
}

pub struct ResultLine {
    pub object_id: String,
    pub object_name: String,
    pub provider: String,
    pub inspectors: String,
    pub outcome: String,
    pub outcome_key: String,
    pub findings: String,
    pub checked_on: String,
}

pub struct Outcome {
    pub key: &'static str,
    pub label: String,
}

#[derive(Template)]
#[template(path = "regulator_check.html")]
struct CheckPage {
    ui: Ui,
    id: i64,
    label: String,
    status: String,
    status_key: String,
    draw_on: String,
    objects: i64,
    inspectors: i64,
    objects_sha: String,
    inspectors_sha: String,
    commitment: String,
    sources: Vec<String>,
    publish_due: String,
    results: Vec<ResultLine>,
    outcomes: Vec<Outcome>,
    all_recorded: bool,
    verdict: String,
    verified: bool,
    findings: Vec<String>,
    today: String,
    /// Whether no result is recorded yet (a drawn check may then be redrawn, with a reason).
    none_recorded: bool,
    /// The spot check this one redrew, and why; the one that superseded this one.
    redraw_of: Option<i64>,
    redraw_reason: String,
    superseded_by: Option<i64>,
}

fn outcome_name(ui: &Ui, key: &str) -> String {
    let (zh, en) = match key {
        "no_problem" => ("未发现问题", "no problem found"),
        "rectify_ordered" => ("责令整改", "rectification ordered"),
        "referred" => ("移送处理", "referred"),
        "unreachable" => ("无法联系", "could not be reached"),
        "refused" => ("拒绝检查", "refused the check"),
        "" => ("待录入", "to record"),
        k => (k, k),
    };
    ui.tr_s(zh, en)
}

/// Replays the draw from its manifest against the values announced before it
/// (`lc_credit::draw::verify_published`): the page's "verify".
fn replay(ui: &Ui, row: &Value, manifest: &Value) -> (bool, String, Vec<String>) {
    let m: lc_credit::draw::Manifest = match serde_json::from_value(manifest.clone()) {
        Ok(m) => m,
        Err(e) => {
            return (
                false,
                ui.tr_s("抽取清单无法读取", "the manifest cannot be read"),
                vec![e.to_string()],
            )
        }
    };
    let opt = |k: &str| row[k].as_str().map(str::to_string);
    let report = lc_credit::draw::verify_published(
        &m,
        &lc_credit::draw::Published {
            objects_sha256: opt("objects_sha256"),
            inspectors_sha256: opt("inspectors_sha256"),
            commitment: opt("seed_commitment"),
            ..Default::default()
        },
    );
    let findings = report
        .findings
        .iter()
        .map(|f| ui.tr_s(&f.zh, &f.en))
        .collect();
    let verdict = if report.verified {
        format!(
            "{} (sha256 {})",
            ui.tr(
                "核验通过：公布的抽取结果可由清单重放得出",
                "Verified: the published draw follows from its manifest",
            ),
            report.manifest_sha256
        )
    } else {
        ui.tr_s("核验未通过", "NOT verified")
    };
    (report.verified, verdict, findings)
}

/// GET /regulator/spot-checks/{id}: one spot check at whatever stage it is.
pub async fn check(ctx: Ctx, Path(id): Path<i64>) -> Response {
    if let Err(r) = ctx.require_role(ROLES) {
        return *r;
    }
    let ui = &ctx.ui;
    let v = match ctx.get(&format!("/api/spot-checks/{id}")).await {
        Ok(v) => v,
        Err(e) => return super::api_error(&ctx, &e),
    };
    let status = s(&v, "status");
    let (verified, verdict, findings) = if status == "drawn" || status == "published" {
        match ctx.get(&format!("/api/spot-checks/{id}/manifest")).await {
            Ok(m) => replay(ui, &v, &m),
            Err(e) => (false, ui.tr_s(&e.zh, &e.en), vec![]),
        }
    } else {
        (false, String::new(), vec![])
    };
    // The drawn objects' names (outlets of the registry).
    let results = v["results"].as_array().cloned().unwrap_or_default();
    let mut lines = Vec::new();
    for r in &results {
        let object = s(r, "object_id");
        let name = ctx
            .get(&format!("/api/facilities/{}", encode(&object)))
            .await
            .ok()
            .and_then(|f| f["name"].as_str().map(str::to_string))
            .unwrap_or_else(|| object.clone());
        let inspectors = r["inspectors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str())
                    .collect::<Vec<_>>()
                    .join("、")
            })
            .unwrap_or_default();
        let outcome = s(r, "outcome");
        lines.push(ResultLine {
            object_name: name,
            provider: s(r, "provider_code"),
            inspectors,
            outcome: outcome_name(ui, &outcome),
            outcome_key: outcome,
            findings: s(r, "findings"),
            checked_on: s(r, "checked_on"),
            object_id: object,
        });
    }
    let sources: Vec<String> = match &v["public_value_sources"] {
        Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        Value::String(t) => serde_json::from_str(t).unwrap_or_default(),
        _ => vec![],
    };
    let t = CheckPage {
        ui: ui.clone(),
        id,
        label: s(&v, "label"),
        status: check_status(ui, &status),
        draw_on: s(&v, "draw_on"),
        objects: v["objects"].as_i64().unwrap_or(0),
        inspectors: v["inspectors"].as_i64().unwrap_or(0),
        objects_sha: s(&v, "objects_sha256"),
        inspectors_sha: s(&v, "inspectors_sha256"),
        commitment: s(&v, "seed_commitment"),
        sources,
        publish_due: s(&v, "publish_due"),
        all_recorded: !lines.is_empty() && lines.iter().all(|l| !l.outcome_key.is_empty()),
        none_recorded: lines.iter().all(|l| l.outcome_key.is_empty()),
        redraw_of: v["redraw_of"].as_i64(),
        redraw_reason: s(&v, "redraw_reason"),
        superseded_by: v["superseded_by"].as_i64(),
        results: lines,
        outcomes: [
            "no_problem",
            "rectify_ordered",
            "referred",
            "unreachable",
            "refused",
        ]
        .into_iter()
        .map(|key| Outcome {
            key,
            label: outcome_name(ui, key),
        })
        .collect(),
        verdict,
        verified,
        findings,
        status_key: status,
        today: ctx.portal.now().date().to_string(),
    };
    super::render(&ctx, StatusCode::OK, &t)
}

/// The redraw's body from its form: the reason, the new seed's commitment (computed in the
/// browser, else here from the secret, which is used for nothing else), the source, the day.
fn redraw_body(f: &super::Fields) -> Value {
    let mut commitment = f.get("seed_commitment");
    let secret = f.get("secret");
    if commitment.is_empty() && !secret.is_empty() {
        commitment = lc_credit::draw::commitment(&secret);
    }
    let mut v = json!({
        "reason": f.get("reason"),
        "public_value_sources": f.all("public_value_sources"),
        "draw_on": f.get("draw_on"),
    });
    if !commitment.is_empty() {
        v["seed_commitment"] = json!(commitment);
    }
    v
}

/// POST /regulator/spot-checks/{id}/{step}: draw, record a result, publish, redraw.
pub async fn step(ctx: Ctx, Path((id, step)): Path<(i64, String)>, body: Bytes) -> Response {
    if let Err(r) = ctx.require_role(ROLES) {
        return *r;
    }
    let back = format!("/regulator/spot-checks/{id}");
    let f = match super::Fields::parse(&body) {
        Ok(f) => f,
        Err(flash) => return ctx.redirect_with(&back, flash),
    };
    let get = |k: &str| f.get(k);
    if !ctx.csrf_ok(&get("_csrf")) {
        return ctx.redirect_with(&back, super::stale_form());
    }
    let (path, req, zh, en) = match step.as_str() {
        "draw" => {
            // One public value per announced source, in the announced order.
            let public_values: Vec<Value> = f
                .each("source")
                .iter()
                .zip(f.each("value"))
                .map(|(src, val)| json!({"source": src, "value": val}))
                .collect();
            (
                "draw",
                json!({"reveal": get("reveal"), "public_values": public_values}),
                "已完成抽取",
                "Drawn",
            )
        }
        "results" => {
            let mut r = json!({
                "object_id": get("object_id"), "outcome": get("outcome"),
                "checked_on": get("checked_on"),
            });
            for k in ["findings", "rectification_due"] {
                if !get(k).is_empty() {
                    r[k] = json!(get(k));
                }
            }
            ("results", r, "检查结果已录入", "Result recorded")
        }
        "publish" => ("publish", json!({}), "抽查结果已公示", "Results published"),
        "redraw" => {
            // A new spot check supersedes this one: its page is where to go next.
            return match ctx
                .post(&format!("/api/spot-checks/{id}/redraw"), &redraw_body(&f))
                .await
            {
                Ok(v) => ctx.redirect_with(
                    &format!("/regulator/spot-checks/{}", v["id"].as_i64().unwrap_or(id)),
                    Flash::ok(
                        format!("已重新公告抽查（原抽查 {id} 作废，理由已记录）：请在抽取日抽取"),
                        format!("Announced anew (spot check {id} superseded, the reason logged): draw on the draw day"),
                    ),
                ),
                Err(e) => ctx.redirect_with(&back, e.flash()),
            };
        }
        _ => {
            return ctx.redirect_with(&back, Flash::error("未知的操作", "unknown action"));
        }
    };
    match ctx
        .post(&format!("/api/spot-checks/{id}/{path}"), &req)
        .await
    {
        Ok(_) => ctx.redirect_with(&back, Flash::ok(zh, en)),
        Err(e) => ctx.redirect_with(&back, e.flash()),
    }
}

// --- Warnings -------------------------------------------------------------------------------------

pub struct WarningLine {
    pub id: i64,
    pub severity: String,
    pub severity_key: String,
    pub message: String,
    pub subject: String,
    pub due: String,
    pub status: String,
    pub status_key: String,
}

#[derive(Template)]
#[template(path = "warnings.html")]
struct WarningsPage {
    ui: Ui,
    warnings: Vec<WarningLine>,
}

/// Warnings as the boards show them, open ones first, then by deadline.
pub fn warning_lines(ui: &Ui, list: &[serde_json::Value]) -> Vec<WarningLine> {
    let mut warnings: Vec<WarningLine> = list
        .iter()
        .map(|w| {
            let sev = s(w, "severity");
            let st = s(w, "status");
            WarningLine {
                id: w["id"].as_i64().unwrap_or(0),
                severity: match sev.as_str() {
                    "high" => ui.tr_s("高", "high"),
                    "medium" => ui.tr_s("中", "medium"),
                    _ => ui.tr_s("低", "low"),
                },
                severity_key: sev,
                message: ui.tr_s(&s(w, "message_zh"), &s(w, "message_en")),
                subject: format!("{} {}", s(w, "subject_kind"), s(w, "subject_id")),
                due: s(w, "due_date"),
                status: match st.as_str() {
                    "open" => ui.tr_s("待处理", "open"),
                    "acknowledged" => ui.tr_s("已接收", "acknowledged"),
                    _ => ui.tr_s("已处置", "resolved"),
                },
                status_key: st,
            }
        })
        .collect();
    let rank = |k: &str| match k {
        "open" => 0,
        "acknowledged" => 1,
        _ => 2,
    };
    warnings.sort_by_key(|w| (rank(&w.status_key), w.due.clone(), w.id));
    warnings
}

/// GET /regulator/warnings: the early-warning board, open ones first.
pub async fn warnings(ctx: Ctx) -> Response {
    if let Err(r) = ctx.require_role(ROLES) {
        return *r;
    }
    let ui = &ctx.ui;
    let list = match ctx.get("/api/warnings?limit=300").await {
        Ok(v) => super::items(&v),
        Err(e) => return super::api_error(&ctx, &e),
    };
    let warnings = warning_lines(ui, &list);
    let t = WarningsPage {
        ui: ui.clone(),
        warnings,
    };
    super::render(&ctx, StatusCode::OK, &t)
}

#[derive(Deserialize)]
struct WarningForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    resolution: String,
}

/// POST /regulator/warnings/{id}/{action}: acknowledge or resolve.
pub async fn warning_act(
    ctx: Ctx,
    Path((id, action)): Path<(i64, String)>,
    body: Bytes,
) -> Response {
    if let Err(r) = ctx.require_role(ROLES) {
        return *r;
    }
    act_on_warning(&ctx, id, &action, &body, "/regulator/warnings").await
}

/// Acknowledges or resolves (with the form's `resolution`) a warning through the API and goes
/// back to `back` with the API's answer.
pub async fn act_on_warning(ctx: &Ctx, id: i64, action: &str, body: &[u8], back: &str) -> Response {
    let f: WarningForm = match super::form(body) {
        Ok(f) => f,
        Err(flash) => return ctx.redirect_with(back, flash),
    };
    if !ctx.csrf_ok(&f._csrf) {
        return ctx.redirect_with(back, super::stale_form());
    }
    let (req, zh, en) = match action {
        "acknowledge" => (json!({}), "已接收预警", "Warning acknowledged"),
        "resolve" => (
            json!({"resolution": f.resolution.trim()}),
            "预警已处置",
            "Warning resolved",
        ),
        _ => return ctx.redirect_with(back, Flash::error("未知的操作", "unknown action")),
    };
    match ctx
        .post(&format!("/api/warnings/{id}/{action}"), &req)
        .await
    {
        Ok(_) => ctx.redirect_with(back, Flash::ok(zh, en)),
        Err(e) => ctx.redirect_with(back, e.flash()),
    }
}

// --- Credit ---------------------------------------------------------------------------------------

pub struct ClassLine {
    pub uscc: String,
    pub class: String,
    pub score: i64,
    pub previous: String,
}

pub struct RecordLine {
    pub kind: String,
    pub subject: String,
    pub doc: String,
    pub decided: String,
    pub public_until: String,
}

#[derive(Template)]
#[template(path = "credit.html")]
struct CreditPage {
    ui: Ui,
    classes: Vec<ClassLine>,
    records: Vec<RecordLine>,
}

/// GET /regulator/credit: classes (regulators only, never shown to providers) and records.
pub async fn credit(ctx: Ctx) -> Response {
    if let Err(r) = ctx.require_role(ROLES) {
        return *r;
    }
    let ui = &ctx.ui;
    let classes = ctx
        .get("/api/credit/classes?limit=500")
        .await
        .map(|v| super::items(&v))
        .unwrap_or_default();
    let records = match ctx.get("/api/credit/records?limit=200").await {
        Ok(v) => super::items(&v),
        Err(e) => return super::api_error(&ctx, &e),
    };
    let t = CreditPage {
        ui: ui.clone(),
        classes: classes
            .iter()
            .map(|c| ClassLine {
                uscc: s(c, "subject_uscc"),
                class: s(c, "risk_class"),
                score: c["score"].as_i64().unwrap_or(0),
                previous: s(c, "previous_class"),
            })
            .collect(),
        records: records
            .iter()
            .map(|r| RecordLine {
                kind: match r["kind"].as_str() {
                    Some("penalty") => ui.tr_s("行政处罚", "penalty"),
                    Some("licence") => ui.tr_s("行政许可", "licence"),
                    Some(k) => k.to_string(),
                    None => String::new(),
                },
                subject: format!("{}（{}）", s(r, "subject_name"), s(r, "subject_uscc")),
                doc: s(r, "doc_number"),
                decided: s(r, "decided"),
                public_until: s(r, "public_until"),
            })
            .collect(),
    };
    super::render(&ctx, StatusCode::OK, &t)
}
