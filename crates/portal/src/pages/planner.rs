//! Planners: the latest assessment as a map of communities by their shortcomings and the
//! indicators against the 2025 targets, and the same by region (district, street: a map of
//! regions coloured by the share of their indicators met, a table by region, one region's
//! indicators in full); a new assessment run on the registry's data from the page, with its
//! progress; two runs compared; siting scenarios (a category, a number of sites, all candidate
//! plots or some → the sites chosen on a map and in a table, with the proven bound and gap in
//! plain words).

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

/// The category the siting form offers first.
const DEFAULT_CATEGORY: &str = "community_canteen";

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
    /// The map and tables by region (the level and plan chosen).
    regions: Vec<RegionLine>,
    region_map: Option<RegionMap>,
    region: String,
    region_name: String,
    region_rows: Vec<IndicatorLine>,
    /// The siting form's categories (key, label, selected), for those who may run scenarios.
    categories: Vec<(String, String, bool)>,
}

#[derive(Deserialize, Default)]
pub struct PlannerQuery {
    run: Option<i64>,
    level: Option<String>,
    plan: Option<String>,
    region: Option<String>,
}

/// A region of the chosen level: its indicators of the chosen plan against the targets.
pub struct RegionLine {
    pub n: usize,
    pub code: String,
    pub name: String,
    pub met: usize,
    pub computable: usize,
    pub total: usize,
    pub class: &'static str,
    pub selected: bool,
    pub population: String,
}

/// A region on the map: a circle at its communities' centre (weighted by population), sized by
/// its population, coloured by the share of its indicators met.
pub struct RegionMark {
    pub x: f64,
    pub y: f64,
    pub r: f64,
    pub label: String,
    pub title: String,
    pub class: String,
}

pub struct RegionMap {
    pub width: f64,
    pub height: f64,
    pub roads: bool,
    pub view: String,
    pub font: f64,
    pub marks: Vec<RegionMark>,
}

/// How a region fares: `good` (every computable indicator met), `mid` (half or more), `bad`,
/// `none` (nothing computable).
fn region_class(met: usize, computable: usize) -> &'static str {
    if computable == 0 {
        "none"
    } else if met == computable {
        "good"
    } else if met * 2 >= computable {
        "mid"
    } else {
        "bad"
    }
}

/// The categories of the siting form, `selected` first chosen.
pub(crate) async fn categories(ctx: &Ctx, selected: &str) -> Vec<(String, String, bool)> {
    let v = ctx.get("/api/categories").await.unwrap_or_default();
    v["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            let key = s(c, "key");
            let label = format!("{}（{}）", ctx.ui.tr_s(&s(c, "zh"), &s(c, "en")), key);
            let sel = key == selected;
            (key, label, sel)
        })
        .collect()
}

/// One indicator row of an assessment (a region's value against its target) for the tables.
fn indicator_line(ui: &Ui, r: &Value) -> IndicatorLine {
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
        regions: vec![],
        region_map: None,
        region: String::new(),
        region_name: String::new(),
        region_rows: vec![],
        categories: if can_run {
            categories(&ctx, DEFAULT_CATEGORY).await
        } else {
            vec![]
        },
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
        .map(|r| indicator_line(ui, r))
        .collect();
    regions(
        &ctx,
        &mut page,
        &rows,
        &list,
        &level,
        &plan,
        q.region.as_deref(),
    );
    super::render(&ctx, StatusCode::OK, &page)
}

/// The map and tables by region: every region of the chosen level with its indicators of the
/// chosen plan against the 2025 targets, one region's in full.
fn regions(
    ctx: &Ctx,
    page: &mut PlannerPage,
    rows: &[Value],
    communities: &[Value],
    level: &str,
    plan: &str,
    asked: Option<&str>,
) {
    let ui = &ctx.ui;
    let mine: Vec<&Value> = rows
        .iter()
        .filter(|r| s(r, "level") == level && s(r, "plan") == plan)
        .collect();
    // Regions in the order their rows come.
    let mut order: Vec<(String, String)> = Vec::new();
    for r in &mine {
        let code = s(r, "region_code");
        if !order.iter().any(|(c, _)| *c == code) {
            order.push((code, s(r, "region_name")));
        }
    }
    let region = asked
        .filter(|a| order.iter().any(|(c, _)| c == a))
        .map(str::to_string)
        .or_else(|| order.first().map(|(c, _)| c.clone()))
        .unwrap_or_default();
    // Each region's communities: by division-code prefix (a community-level row: by id).
    let members = |code: &str| -> Vec<&Value> {
        communities
            .iter()
            .filter(|c| {
                s(c, "community_id") == code
                    || (!code.is_empty() && s(c, "division_code").starts_with(code))
            })
            .collect()
    };
    let frame = ctx.portal.frame(communities);
    let mut marks = Vec::new();
    let mut view = frame
        .as_ref()
        .map(|m| MapView::new(m, ctx.portal.map.is_some(), String::new()));
    let pops: Vec<f64> = order
        .iter()
        .map(|(c, _)| {
            members(c)
                .iter()
                .map(|x| x["population"].as_f64().unwrap_or(0.0))
                .sum()
        })
        .collect();
    let max_pop = pops.iter().cloned().fold(1.0, f64::max);
    for (k, (code, name)) in order.iter().enumerate() {
        let of: Vec<&&Value> = mine
            .iter()
            .filter(|r| s(r, "region_code") == *code)
            .collect();
        let met = of.iter().filter(|r| s(r, "met") == "yes").count();
        let computable = of
            .iter()
            .filter(|r| matches!(s(r, "met").as_str(), "yes" | "no"))
            .count();
        let class = region_class(met, computable);
        let selected = *code == region;
        page.regions.push(RegionLine {
            n: k + 1,
            code: code.clone(),
            name: name.clone(),
            met,
            computable,
            total: of.len(),
            class,
            selected,
            population: format!("{:.0}", pops[k]),
        });
        // The map: the population-weighted centre of its communities.
        let list = members(code);
        let (mut wx, mut wy, mut w) = (0.0, 0.0, 0.0);
        for c in &list {
            let (Some(lon), Some(lat)) = (c["lon"].as_f64(), c["lat"].as_f64()) else {
                continue;
            };
            let p = c["population"].as_f64().unwrap_or(0.0).max(1.0);
            wx += lon * p;
            wy += lat * p;
            w += p;
        }
        if let (Some(m), Some(v), true) = (&frame, view.as_mut(), w > 0.0) {
            let title = match ui.lang {
                crate::ui::Lang::Zh => {
                    format!(
                        "{k1}. {name}：{computable} 项可计算指标中达标 {met} 项",
                        k1 = k + 1
                    )
                }
                crate::ui::Lang::En => {
                    format!(
                        "{k1}. {name}: {met} of {computable} computable indicators met",
                        k1 = k + 1
                    )
                }
            };
            v.mark(
                m,
                LonLat::new(wx / w, wy / w),
                &(k + 1).to_string(),
                &title,
                class,
            );
            marks.push((pops[k], selected, class));
        }
    }
    if let Some(mut v) = view {
        if !v.markers.is_empty() {
            v.zoom_to_markers(250.0);
            let base = v.r;
            page.region_map = Some(RegionMap {
                width: v.width,
                height: v.height,
                roads: v.roads,
                view: v.view.clone(),
                font: (base * 1.2).round(),
                marks: v
                    .markers
                    .iter()
                    .zip(&marks)
                    .map(|(k, (pop, sel, class))| RegionMark {
                        x: k.x,
                        y: k.y,
                        r: ((base * (1.0 + 1.5 * (pop / max_pop).sqrt())) * 10.0).round() / 10.0,
                        label: k.label.clone(),
                        title: k.title.clone(),
                        class: format!("rg rg-{class}{}", if *sel { " rg-selected" } else { "" }),
                    })
                    .collect(),
            });
        }
    }
    page.region_name = order
        .iter()
        .find(|(c, _)| *c == region)
        .map(|(_, n)| n.clone())
        .unwrap_or_default();
    page.region_rows = mine
        .iter()
        .filter(|r| s(r, "region_code") == region)
        .map(|r| indicator_line(ui, r))
        .collect();
    page.region = region;
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

// --- Siting scenarios ------------------------------------------------------------------------

pub struct CandidateChoice {
    pub id: String,
    pub name: String,
    pub checked: bool,
}

pub struct ScenarioLine {
    pub id: i64,
    pub category: String,
    pub sites: i64,
    pub newly: String,
    pub gap: String,
}

#[derive(Template)]
#[template(path = "planner_siting.html")]
struct SitingPage {
    ui: Ui,
    categories: Vec<(String, String, bool)>,
    candidates: Vec<CandidateChoice>,
    runs: Vec<ScenarioLine>,
    sites: i64,
}

/// People, whole.
fn people(v: &Value) -> String {
    format!("{:.0}", v.as_f64().unwrap_or(0.0))
}

/// GET /planner/siting: the scenario form (category, number of sites, all candidate plots or
/// some) and the scenarios run before.
pub async fn siting(ctx: Ctx) -> Response {
    if let Err(r) = ctx.require_role(RUNNERS) {
        return *r;
    }
    let ui = &ctx.ui;
    let cands = match ctx.get("/api/siting/candidates").await {
        Ok(v) => v,
        Err(e) => return super::api_error(&ctx, &e),
    };
    let runs = match ctx.get("/api/siting/runs?limit=20").await {
        Ok(v) => v,
        Err(e) => return super::api_error(&ctx, &e),
    };
    let cat_names: Vec<(String, String, bool)> = categories(&ctx, DEFAULT_CATEGORY).await;
    let name_of = |key: &str| {
        cat_names
            .iter()
            .find(|c| c.0 == key)
            .map(|c| c.1.clone())
            .unwrap_or_else(|| key.to_string())
    };
    let page = SitingPage {
        ui: ui.clone(),
        candidates: super::items(&cands)
            .iter()
            .map(|c| CandidateChoice {
                id: s(c, "id"),
                name: s(c, "name"),
                checked: false,
            })
            .collect(),
        runs: super::items(&runs)
            .iter()
            .map(|r| ScenarioLine {
                id: r["id"].as_i64().unwrap_or(0),
                category: name_of(&s(r, "category")),
                sites: r["sites"].as_i64().unwrap_or(0),
                newly: format!(
                    "{:.0}",
                    r["covered_after"].as_f64().unwrap_or(0.0)
                        - r["covered_before"].as_f64().unwrap_or(0.0)
                ),
                gap: format!("{:.1}%", r["gap"].as_f64().unwrap_or(0.0) * 100.0),
            })
            .collect(),
        categories: cat_names.clone(),
        sites: 3,
    };
    super::render(&ctx, StatusCode::OK, &page)
}

/// POST /planner/siting: runs a scenario and shows it.
pub async fn run_siting(ctx: Ctx, body: Bytes) -> Response {
    if let Err(r) = ctx.require_role(RUNNERS) {
        return *r;
    }
    let f = match super::Fields::parse(&body) {
        Ok(f) => f,
        Err(flash) => return ctx.redirect_with("/planner/siting", flash),
    };
    if !ctx.csrf_ok(&f.get("_csrf")) {
        return ctx.redirect_with("/planner/siting", super::stale_form());
    }
    let Ok(sites) = f.get("sites").parse::<i64>() else {
        return ctx.redirect_with(
            "/planner/siting",
            Flash::error(
                "请填写新建设施的数量（1 至 20）",
                "enter the number of new sites (1 to 20)",
            ),
        );
    };
    let mut req = json!({"category": f.get("category"), "sites": sites});
    if f.get("which") == "some" {
        let chosen = f.all("candidate");
        if chosen.is_empty() {
            return ctx.redirect_with(
                "/planner/siting",
                Flash::error(
                    "请勾选至少一处候选用地，或选择“全部候选用地”",
                    "tick at least one candidate plot, or choose 'every candidate plot'",
                ),
            );
        }
        req["candidates"] = json!(chosen);
    }
    let radius = f.get("max_distance");
    if !radius.is_empty() {
        match radius.parse::<f64>() {
            Ok(r) => req["max_distance"] = json!(r),
            Err(_) => {
                return ctx.redirect_with(
                    "/planner/siting",
                    Flash::error(
                        "步行距离应为米数（50 至 5000），或留空",
                        "the walking distance must be metres (50 to 5000), or empty",
                    ),
                )
            }
        }
    }
    match ctx.post("/api/siting/runs", &req).await {
        Ok(v) => ctx.redirect_with(
            &format!("/planner/siting/{}", v["id"].as_i64().unwrap_or(0)),
            Flash::ok("选址方案已算出", "The siting scenario is ready"),
        ),
        Err(e) => ctx.redirect_with("/planner/siting", e.flash()),
    }
}

pub struct SiteLine {
    pub rank: i64,
    pub id: String,
    pub name: String,
    pub newly: String,
    pub cumulative: String,
    pub communities: String,
}

#[derive(Template)]
#[template(path = "planner_siting_result.html")]
struct SitingResultPage {
    ui: Ui,
    id: i64,
    title: String,
    summary: String,
    proof: String,
    note: String,
    optimal: bool,
    bound: String,
    gap: String,
    sites: Vec<SiteLine>,
    map: Option<MapView>,
}

/// GET /planner/siting/{id}: a scenario as a map (chosen sites numbered, the other candidates
/// grey, the communities newly covered) and a table, with the bound and the gap in words.
pub async fn siting_result(ctx: Ctx, Path(id): Path<String>) -> Response {
    if let Err(r) = ctx.require_role(RUNNERS) {
        return *r;
    }
    let ui = &ctx.ui;
    let v = match ctx.get(&format!("/api/siting/runs/{}", encode(&id))).await {
        Ok(v) => v,
        Err(e) => return super::api_error(&ctx, &e),
    };
    let cat = ui.tr_s(&s(&v, "category_zh"), &s(&v, "category_en"));
    let chosen = super::items(&json!({"items": v["sites_chosen"]}));
    let asked = v["sites"].as_i64().unwrap_or(0);
    let n = chosen.len();
    let (before, after, newly) = (
        people(&v["covered_before"]),
        people(&v["covered_after"]),
        people(&v["newly_covered"]),
    );
    let radius = people(&v["radius_m"]);
    let considered = s(&v, "candidates_considered");
    let bound = people(&v["bound"]);
    let short = people(&v["most_short_of_optimal"]);
    let gap = format!("{:.2}", v["gap"].as_f64().unwrap_or(0.0) * 100.0);
    let optimal = v["optimal"].as_bool().unwrap_or(false);
    let summary = match ui.lang {
        crate::ui::Lang::Zh => format!(
            "在 {considered} 处候选用地中选出 {n} 处新建{cat}：步行 {radius} 米内能到达{cat}的居民由 {before} 人增至 {after} 人，新增覆盖 {newly} 人。"
        ),
        crate::ui::Lang::En => format!(
            "{n} new sites for {cat} chosen among {considered} candidate plots: the residents within {radius} m on foot of one rise from {before} to {after}, {newly} more people."
        ),
    };
    let proof = match (ui.lang, optimal) {
        (crate::ui::Lang::Zh, true) => format!(
            "已证明这是最优方案：任何 {asked} 处选址都不能让更多居民步行 {radius} 米内到达（上界 {bound} 人，差距 0）。"
        ),
        (crate::ui::Lang::Zh, false) => format!(
            "可以证明：任何 {asked} 处选址最多覆盖 {bound} 人，所以本方案与最优方案相差不超过 {short} 人（{gap}%）。"
        ),
        (crate::ui::Lang::En, true) => format!(
            "Proven optimal: no choice of {asked} sites brings more residents within {radius} m on foot (bound {bound} people, gap 0)."
        ),
        (crate::ui::Lang::En, false) => format!(
            "Proven bound: no choice of {asked} sites covers more than {bound} people, so this plan is at most {short} people ({gap}%) short of the best."
        ),
    };
    let note = if (n as i64) < asked {
        ui.tr_s(
            &format!("只选出 {n} 处：其余候选用地不会让更多居民进入步行范围。"),
            &format!("Only {n} sites: no other candidate plot brings anyone more within reach."),
        )
    } else {
        String::new()
    };
    let sites: Vec<SiteLine> = chosen
        .iter()
        .map(|x| SiteLine {
            rank: x["rank"].as_i64().unwrap_or(0),
            id: s(x, "candidate_id"),
            name: s(x, "name"),
            newly: people(&x["newly_covered"]),
            cumulative: people(&x["cumulative"]),
            communities: x["communities"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|c| s(c, "name"))
                        .take(8)
                        .collect::<Vec<_>>()
                        .join("、")
                })
                .unwrap_or_default(),
        })
        .collect();
    // The map: other candidates grey, existing facilities, communities newly covered, the
    // chosen sites numbered on top.
    let cands = super::items(&json!({"items": v["candidates"]}));
    let existing = super::items(&json!({"items": v["existing"]}));
    let mut all: Vec<Value> = cands.clone();
    all.extend(existing.iter().cloned());
    let map = ctx.portal.frame(&all).map(|m| {
        let mut view = MapView::new(&m, ctx.portal.map.is_some(), String::new());
        let at = |x: &Value| Some(LonLat::new(x["lon"].as_f64()?, x["lat"].as_f64()?));
        for c in cands.iter().filter(|c| c["rank"].is_null()) {
            if let Some(p) = at(c) {
                let t = ui.tr_s(
                    &format!("候选用地（未选）{}", s(c, "name")),
                    &format!("Candidate plot (not chosen) {}", s(c, "name")),
                );
                view.mark(&m, p, "", &t, "cand");
            }
        }
        for f in &existing {
            if let Some(p) = at(f) {
                let t = ui.tr_s(
                    &format!("现有{cat}：{}", s(f, "name")),
                    &format!("Existing {cat}: {}", s(f, "name")),
                );
                view.mark(&m, p, "", &t, "outlet");
            }
        }
        for x in &chosen {
            for c in x["communities"].as_array().into_iter().flatten() {
                if let Some(p) = at(c) {
                    let t = ui.tr_s(
                        &format!(
                            "{}：新覆盖 {} 人（第 {} 处）",
                            s(c, "name"),
                            people(&c["population"]),
                            s(x, "rank")
                        ),
                        &format!(
                            "{}: {} people newly covered (site {})",
                            s(c, "name"),
                            people(&c["population"]),
                            s(x, "rank")
                        ),
                    );
                    view.mark(&m, p, "", &t, "new");
                }
            }
        }
        for x in &chosen {
            if let Some(p) = at(x) {
                let t = ui.tr_s(
                    &format!(
                        "第 {} 处：{}，新覆盖 {} 人",
                        s(x, "rank"),
                        s(x, "name"),
                        people(&x["newly_covered"])
                    ),
                    &format!(
                        "Site {}: {}, {} people newly covered",
                        s(x, "rank"),
                        s(x, "name"),
                        people(&x["newly_covered"])
                    ),
                );
                view.mark(&m, p, &s(x, "rank"), &t, "site");
            }
        }
        view.zoom_to_markers(250.0);
        view.r = (view.r * 0.7).max(3.0);
        view
    });
    let page = SitingResultPage {
        ui: ui.clone(),
        id: v["id"].as_i64().unwrap_or(0),
        title: ui.tr_s(
            &format!("{cat}选址方案：新建 {asked} 处"),
            &format!("Siting {cat}: {asked} new sites"),
        ),
        summary,
        proof,
        note,
        optimal,
        bound,
        gap,
        sites,
        map,
    };
    super::render(&ctx, StatusCode::OK, &page)
}
