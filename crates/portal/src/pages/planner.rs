//! Planners: the latest assessment as a map of communities by their shortcomings and the
//! indicators against the 2025 targets; a new assessment run on the registry's data from the
//! page, with its progress; two runs compared.

use std::collections::BTreeSet;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use lc_model::LonLat;
use serde::Deserialize;
use serde_json::{json, Value};

use super::resident::MapView;
use crate::ctx::Ctx;
use crate::ui::{encode, Flash, Ui};

/// Who may start runs (as the API admits them); reading is public, as the API's views are.
const RUNNERS: &[&str] = &["regulator", "admin"];

use super::text as s;

pub struct RunChoice {
    pub id: i64,
    pub label: String,
    pub selected: bool,
}

pub struct IndicatorLine {
    pub name: String,
    pub region: String,
    pub value: String,
    pub target: String,
    pub met: String,
    pub met_key: String,
}

pub struct Short {
    pub name: String,
    pub count: i64,
    pub items: String,
}

#[derive(Template)]
#[template(path = "planner.html")]
struct PlannerPage {
    ui: Ui,
    runs: Vec<RunChoice>,
    run: i64,
    run_label: String,
    communities: i64,
    communities_short: i64,
    population_short: String,
    worst: Vec<Short>,
    levels: Vec<(String, String, bool)>,
    plans: Vec<(String, bool)>,
    indicators: Vec<IndicatorLine>,
    map: Option<MapView>,
    can_run: bool,
    compare_with: i64,
}

#[derive(Deserialize, Default)]
pub struct PlannerQuery {
    run: Option<i64>,
    level: Option<String>,
    plan: Option<String>,
}

/// A comparison as people write it: `≥ 80`.
fn target_text(row: &Value) -> String {
    let cmp = match row["comparison"].as_str().unwrap_or("") {
        ">=" => "≥",
        "<=" => "≤",
        ">" => ">",
        "<" => "<",
        "=" | "==" => "=",
        c => c,
    };
    format!("{cmp} {} {}", s(row, "target"), s(row, "unit"))
        .trim()
        .to_string()
}

/// GET /planner: a run (the latest unless one is asked for) as a map and tables.
pub async fn planner(ctx: Ctx, Query(q): Query<PlannerQuery>) -> Response {
    let ui = &ctx.ui;
    let runs = match ctx.get("/api/assessments?limit=50").await {
        Ok(v) => v["items"].as_array().cloned().unwrap_or_default(),
        Err(e) => return super::api_error(&ctx, &e),
    };
    let can_run = RUNNERS.contains(&ui.role());
    let run = q
        .run
        .or_else(|| runs.first().and_then(|r| r["id"].as_i64()))
        .unwrap_or(0);
    let mut page = PlannerPage {
        ui: ui.clone(),
        runs: runs
            .iter()
            .map(|r| RunChoice {
                id: r["id"].as_i64().unwrap_or(0),
                label: s(r, "label"),
                selected: r["id"].as_i64() == Some(run),
            })
            .collect(),
        run,
        run_label: String::new(),
        communities: 0,
        communities_short: 0,
        population_short: String::new(),
        worst: vec![],
        levels: vec![],
        plans: vec![],
        indicators: vec![],
        map: None,
        can_run,
        compare_with: runs
            .iter()
            .filter_map(|r| r["id"].as_i64())
            .find(|id| *id != run)
            .unwrap_or(0),
    };
    if run == 0 {
        return super::render(&ctx, StatusCode::OK, &page);
    }
    let view = match ctx
        .get(&format!("/api/assessments/{run}/communities"))
        .await
    {
        Ok(v) => v,
        Err(e) => return super::api_error(&ctx, &e),
    };
    let detail = match ctx.get(&format!("/api/assessments/{run}")).await {
        Ok(v) => v,
        Err(e) => return super::api_error(&ctx, &e),
    };
    page.run_label = s(&view["run"], "label");
    let t = &view["totals"];
    page.communities = t["communities"].as_i64().unwrap_or(0);
    page.communities_short = t["communities_short"].as_i64().unwrap_or(0);
    page.population_short = s(t, "population_short");
    let list = view["communities"].as_array().cloned().unwrap_or_default();
    // The map: the network's frame, else the communities'.
    let frame = ctx.portal.frame(&list);
    if let Some(m) = &frame {
        let mut view = MapView::new(m, ctx.portal.map.is_some(), String::new());
        for c in &list {
            let (Some(lon), Some(lat)) = (c["lon"].as_f64(), c["lat"].as_f64()) else {
                continue;
            };
            let n = c["shortcomings"].as_i64().unwrap_or(0);
            let class = match n {
                0 => "ok",
                1..=5 => "some",
                _ => "many",
            };
            let title = match ui.lang {
                crate::ui::Lang::Zh => format!("{}：缺 {n} 项", s(c, "name")),
                crate::ui::Lang::En => format!("{}: {n} missing", s(c, "name")),
            };
            view.mark(m, LonLat::new(lon, lat), "", &title, class);
        }
        view.zoom_to_markers(250.0);
        view.r = (view.r * 0.5).max(2.0);
        page.map = Some(view);
    }
    let mut worst: Vec<&Value> = list.iter().collect();
    worst.sort_by_key(|c| {
        (
            -c["shortcomings"].as_i64().unwrap_or(0),
            -c["population"].as_i64().unwrap_or(0),
        )
    });
    page.worst = worst
        .into_iter()
        .take(10)
        .filter(|c| c["shortcomings"].as_i64().unwrap_or(0) > 0)
        .map(|c| Short {
            name: s(c, "name"),
            count: c["shortcomings"].as_i64().unwrap_or(0),
            items: c["items"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str())
                        .take(6)
                        .collect::<Vec<_>>()
                        .join("、")
                })
                .unwrap_or_default(),
        })
        .collect();
    // Indicators: one level and one plan at a time.
    let rows = detail["indicators"].as_array().cloned().unwrap_or_default();
    let levels: BTreeSet<String> = rows.iter().map(|r| s(r, "level")).collect();
    let plans: BTreeSet<String> = rows.iter().map(|r| s(r, "plan")).collect();
    let order = ["province", "city", "district", "street", "community"];
    let mut levels: Vec<String> = levels.into_iter().filter(|l| !l.is_empty()).collect();
    levels.sort_by_key(|l| order.iter().position(|o| o == l).unwrap_or(9));
    let level = q
        .level
        .filter(|l| levels.contains(l))
        .or_else(|| {
            ["district", "city", "street"]
                .iter()
                .map(|x| x.to_string())
                .find(|l| levels.contains(l))
        })
        .or_else(|| levels.first().cloned())
        .unwrap_or_default();
    let plan = q
        .plan
        .filter(|p| plans.contains(p))
        .or_else(|| plans.iter().next().cloned())
        .unwrap_or_default();
    let level_name = |k: &str| -> String {
        let (zh, en) = match k {
            "province" => ("省", "Province"),
            "city" => ("市", "City"),
            "district" => ("区县", "District"),
            "street" => ("街道", "Street"),
            "community" => ("社区", "Community"),
            k => (k, k),
        };
        ui.tr_s(zh, en)
    };
    page.levels = levels
        .iter()
        .map(|l| (l.clone(), level_name(l), *l == level))
        .collect();
    page.plans = plans.iter().map(|p| (p.clone(), *p == plan)).collect();
    page.indicators = rows
        .iter()
        .filter(|r| s(r, "level") == level && s(r, "plan") == plan)
        .take(400)
        .map(|r| {
            let met = s(r, "met");
            IndicatorLine {
                name: format!(
                    "{} {}",
                    s(r, "indicator"),
                    ui.tr_s(&s(r, "name_zh"), &s(r, "name_en"))
                ),
                region: s(r, "region_name"),
                value: format!("{} {}", s(r, "value"), s(r, "unit"))
                    .trim()
                    .to_string(),
                target: target_text(r),
                met: match met.as_str() {
                    "yes" => ui.tr_s("达标", "met"),
                    "no" => ui.tr_s("未达标", "not met"),
                    _ => ui.tr_s("无法计算", "not computable"),
                },
                met_key: met,
            }
        })
        .collect();
    super::render(&ctx, StatusCode::OK, &page)
}

/// POST /planner/runs: starts a run and goes to its progress page.
pub async fn start(ctx: Ctx, body: Bytes) -> Response {
    if let Err(r) = ctx.require_role(RUNNERS) {
        return *r;
    }
    let f = match super::Fields::parse(&body) {
        Ok(f) => f,
        Err(flash) => return ctx.redirect_with("/planner", flash),
    };
    let get = |k: &str| f.get(k);
    if !ctx.csrf_ok(&get("_csrf")) {
        return ctx.redirect_with("/planner", super::stale_form());
    }
    let mut req = json!({});
    if !get("label").is_empty() {
        req["label"] = json!(get("label"));
    }
    match ctx.post("/api/assessments/runs", &req).await {
        Ok(job) => ctx.redirect_with(
            &format!("/planner/jobs/{}", encode(&s(&job, "id"))),
            Flash::ok("评估已开始", "The assessment has started"),
        ),
        Err(e) => ctx.redirect_with("/planner", e.flash()),
    }
}

#[derive(Template)]
#[template(path = "planner_job.html")]
struct JobPage {
    ui: Ui,
    id: String,
    label: String,
    status: String,
    status_key: String,
    step: String,
    percent: i64,
    run_id: i64,
    error: String,
}

/// GET /planner/jobs/{id}: a run's progress (the page reloads itself while it runs).
pub async fn job(ctx: Ctx, Path(id): Path<String>) -> Response {
    if let Err(r) = ctx.require_role(RUNNERS) {
        return *r;
    }
    let ui = &ctx.ui;
    let j = match ctx
        .get(&format!("/api/assessments/jobs/{}", encode(&id)))
        .await
    {
        Ok(v) => v,
        Err(e) => return super::api_error(&ctx, &e),
    };
    let status = s(&j, "status");
    let t = JobPage {
        ui: ui.clone(),
        label: s(&j, "label"),
        status: match status.as_str() {
            "running" => ui.tr_s("正在评估", "running"),
            "done" => ui.tr_s("已完成", "done"),
            "failed" => ui.tr_s("未能完成", "failed"),
            "cancelled" => ui.tr_s("已取消", "cancelled"),
            k => k.to_string(),
        },
        step: s(&j, "step_label"),
        percent: j["percent"].as_i64().unwrap_or(0).clamp(0, 100),
        run_id: j["run_id"].as_i64().unwrap_or(0),
        error: ui.tr_s(&s(&j["error"], "message_zh"), &s(&j["error"], "message_en")),
        status_key: status,
        id,
    };
    super::render(&ctx, StatusCode::OK, &t)
}

pub struct CompareLine {
    pub name: String,
    pub region: String,
    pub a: String,
    pub b: String,
    pub change: String,
    pub trend: &'static str,
    pub met_b: String,
}

pub struct CommunityChange {
    pub name: String,
    pub a: i64,
    pub b: i64,
    pub fixed: String,
}

#[derive(Template)]
#[template(path = "planner_compare.html")]
struct ComparePage {
    ui: Ui,
    a_label: String,
    b_label: String,
    totals: Vec<(String, String, String)>,
    rows: Vec<CompareLine>,
    communities: Vec<CommunityChange>,
}

#[derive(Deserialize)]
pub struct CompareQuery {
    a: Option<i64>,
    b: Option<i64>,
}

/// GET /planner/compare?a=&b=: two runs side by side, what changed first.
pub async fn compare(ctx: Ctx, Query(q): Query<CompareQuery>) -> Response {
    let ui = &ctx.ui;
    let (Some(a), Some(b)) = (q.a, q.b) else {
        return ctx.redirect_with(
            "/planner",
            Flash::error("请选择两次评估进行对比", "choose two runs to compare"),
        );
    };
    let v = match ctx
        .get(&format!("/api/assessments/compare?a={a}&b={b}"))
        .await
    {
        Ok(v) => v,
        Err(e) => return super::api_error(&ctx, &e),
    };
    let t = &v["totals"];
    let totals = vec![
        (
            ui.tr_s("缺项总数", "Shortcomings"),
            s(t, "shortcomings_a"),
            s(t, "shortcomings_b"),
        ),
        (
            ui.tr_s("有缺项的社区", "Communities with shortcomings"),
            s(t, "communities_short_a"),
            s(t, "communities_short_b"),
        ),
        (
            ui.tr_s("达标的指标", "Indicators met"),
            s(t, "indicators_met_a"),
            s(t, "indicators_met_b"),
        ),
    ];
    let mut rows: Vec<(f64, CompareLine)> = v["rows"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["change"].as_f64().is_some_and(|c| c != 0.0) || r["met_a"] != r["met_b"])
        .map(|r| {
            let change = r["change"].as_f64().unwrap_or(0.0);
            let num = |k: &str| {
                r[k].as_f64()
                    .map(|x| format!("{x:.1}"))
                    .unwrap_or_else(|| "—".into())
            };
            (
                change.abs(),
                CompareLine {
                    name: format!(
                        "{} {}",
                        s(r, "indicator"),
                        ui.tr_s(&s(r, "name_zh"), &s(r, "name_en"))
                    ),
                    region: s(r, "region_name"),
                    a: num("value_a"),
                    b: num("value_b"),
                    change: format!("{change:+.1}"),
                    trend: if change > 0.0 { "up" } else { "down" },
                    met_b: match r["met_b"].as_bool() {
                        Some(true) => ui.tr_s("达标", "met"),
                        Some(false) => ui.tr_s("未达标", "not met"),
                        None => "—".into(),
                    },
                },
            )
        })
        .collect();
    rows.sort_by(|x, y| y.0.total_cmp(&x.0));
    let communities = v["communities"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["change"].as_i64().unwrap_or(0) != 0)
        .take(100)
        .map(|c| CommunityChange {
            name: s(c, "name"),
            a: c["shortcomings_a"].as_i64().unwrap_or(0),
            b: c["shortcomings_b"].as_i64().unwrap_or(0),
            fixed: c["fixed"]
                .as_array()
                .map(|x| {
                    x.iter()
                        .filter_map(|y| y.as_str())
                        .collect::<Vec<_>>()
                        .join("、")
                })
                .unwrap_or_default(),
        })
        .collect();
    let page = ComparePage {
        ui: ui.clone(),
        a_label: s(&v["a"], "label"),
        b_label: s(&v["b"], "label"),
        totals,
        rows: rows.into_iter().take(200).map(|(_, r)| r).collect(),
        communities,
    };
    super::render(&ctx, StatusCode::OK, &page)
}
