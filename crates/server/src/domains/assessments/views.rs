//! The stored runs for the map and the comparison: the list of runs, one run with its
//! indicator rows, a run's communities with their shortcomings (what a map colours by), and
//! two runs side by side (indicators matched by plan, indicator, level and region; shortcomings
//! per community).
//!
//! *The communities of a run* are the registry's communities that existed when it was made
//! (`created_at` not after the run's) and those its rows name; their name, position and
//! population are the registry's current values. A run stores only shortcomings, so a
//! community without a row met every required item.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::{Extension, Json};
use lc_store::sqlx;
use lc_store::StoreError;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{get_run, run_rows, RunRow};
use crate::auth::Caller;
use crate::domains::registry::communities::Withheld;
use crate::error::{ApiResult, AppError};
use crate::web::{PageQuery, Paged};
use crate::AppState;

/// A run by its id in a path or query, or 404.
async fn find_run(st: &AppState, id: &str) -> ApiResult<RunRow> {
    let n = id.parse::<i64>().ok();
    match n {
        Some(n) => get_run(st, n)
            .await?
            .ok_or_else(|| AppError::not_found("assessment run", id)),
        None => Err(AppError::not_found("assessment run", id)),
    }
}

#[utoipa::path(get, path = "/api/assessments", tag = "assessments", params(PageQuery),
    responses((status = 200, body = Object), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn list_runs(
    State(st): State<Arc<AppState>>,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<Paged<RunRow>>> {
    let page = q.page()?;
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM assessment_runs")
        .fetch_one(st.store.pool())
        .await
        .map_err(StoreError::from)?;
    let items: Vec<RunRow> = sqlx::query_as(
        "SELECT id, created_at, created_by, label, shortcomings, indicators FROM assessment_runs ORDER BY id DESC LIMIT $1 OFFSET $2",
    )
    .bind(page.limit)
    .bind(page.offset)
    .fetch_all(st.store.pool())
    .await
    .map_err(StoreError::from)?;
    Ok(Json(Paged::new(items, total, page)))
}

#[utoipa::path(get, path = "/api/assessments/{id}", tag = "assessments", params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn get_run_rows(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let run = find_run(&st, &id).await?;
    let rows = run_rows(&st, run.id, "indicator", None).await?;
    Ok(Json(json!({"run": run, "indicators": rows})))
}

/// A community of the registry, as a run's map shows it.
#[derive(Debug, Clone)]
struct Place {
    name: String,
    lon: f64,
    lat: f64,
    division_code: Option<String>,
    population: f64,
    created_at: i64,
}

/// Every community of the registry by id.
async fn places(st: &AppState) -> Result<BTreeMap<String, Place>, StoreError> {
    type R = (String, String, f64, f64, Option<String>, f64, i64);
    let rows: Vec<R> = sqlx::query_as(
        "SELECT id, name, lon, lat, division_code, population, created_at FROM communities ORDER BY id",
    )
    .fetch_all(st.store.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, name, lon, lat, division_code, population, created_at)| {
                (
                    id,
                    Place {
                        name,
                        lon,
                        lat,
                        division_code,
                        population,
                        created_at,
                    },
                )
            },
        )
        .collect())
}

/// The requirements a run finds short, per community (in the rows' order).
async fn shortcomings_by_community(
    st: &AppState,
    run: i64,
) -> Result<BTreeMap<String, Vec<String>>, StoreError> {
    let rows: Vec<(Option<String>, String)> = sqlx::query_as(
        "SELECT community_id, data FROM assessment_rows WHERE run_id = $1 AND kind = 'shortcoming' ORDER BY id",
    )
    .bind(run)
    .fetch_all(st.store.pool())
    .await?;
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (community, data) in rows {
        let Some(community) = community else { continue };
        let v: Value = serde_json::from_str(&data).unwrap_or(Value::Null);
        let key = v["requirement_id"]
            .as_str()
            .or_else(|| v["requirement"].as_str())
            .unwrap_or("")
            .to_string();
        out.entry(community).or_default().push(key);
    }
    Ok(out)
}

/// The ids of a run's communities: those registered by its time and those its rows name.
fn run_communities<'a>(
    places: &'a BTreeMap<String, Place>,
    run: &RunRow,
    short: &'a BTreeMap<String, Vec<String>>,
) -> BTreeSet<&'a str> {
    places
        .iter()
        .filter(|(_, p)| p.created_at <= run.created_at)
        .map(|(id, _)| id.as_str())
        .chain(short.keys().map(String::as_str))
        .collect()
}

/// `?division=` (a code prefix) of the communities answer.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CommunitiesQuery {
    /// Only communities whose division code begins with this (e.g. a district's 6 digits).
    pub division: Option<String>,
}

#[utoipa::path(get, path = "/api/assessments/{id}/communities", tag = "assessments", params(("id" = i64, Path), CommunitiesQuery),
    responses((status = 200, description = "`{run, totals, communities: [{community_id, name, lon, lat, division_code, population, suppressed, shortcomings, items}]}`; populations withheld (`null`, `suppressed: [\"population\"]`) by the disclosure policy unless the caller keeps the registry, totals `null` when a community in them is withheld", body = Object),
        (status = "default", body = crate::error::ErrorSchema)))]
pub async fn run_communities_map(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    Query(q): Query<CommunitiesQuery>,
) -> ApiResult<Json<Value>> {
    let run = find_run(&st, &id).await?;
    let places = places(&st).await?;
    // Populations through the open data's disclosure policy for whoever does not keep the
    // registry: a community's is shown as the open data shows it, and a total only when every
    // community in it is shown (a total of any other set would be a new sum to difference).
    let withheld = Withheld::of(&st, &c).await?;
    let (mut total_shown, mut short_shown) = (true, true);
    let short = shortcomings_by_community(&st, run.id).await?;
    let prefix = q.division.unwrap_or_default();
    let (mut n, mut n_short, mut rows, mut pop, mut pop_short) = (0, 0, 0usize, 0.0, 0.0);
    let mut list = Vec::new();
    for cid in run_communities(&places, &run, &short) {
        let p = places.get(cid);
        let code = p.and_then(|p| p.division_code.as_deref());
        if !prefix.is_empty() && !code.is_some_and(|c| c.starts_with(&prefix)) {
            continue;
        }
        let items = short.get(cid).cloned().unwrap_or_default();
        let population = p.map(|p| p.population);
        let hidden = withheld.cell(cid, 0, population);
        n += 1;
        rows += items.len();
        pop += population.unwrap_or(0.0);
        total_shown &= !hidden;
        if !items.is_empty() {
            n_short += 1;
            pop_short += population.unwrap_or(0.0);
            short_shown &= !hidden;
        }
        let population = population.filter(|_| !hidden);
        let unique: Vec<&String> = {
            let mut seen = BTreeSet::new();
            items.iter().filter(|i| seen.insert(i.as_str())).collect()
        };
        list.push(json!({
            "community_id": cid,
            "name": p.map(|p| p.name.as_str()),
            "lon": p.map(|p| p.lon),
            "lat": p.map(|p| p.lat),
            "division_code": code,
            "population": population,
            "suppressed": if hidden { vec!["population"] } else { Vec::new() },
            "shortcomings": items.len(),
            "items": unique,
        }));
    }
    Ok(Json(json!({
        "run": run,
        "totals": {
            "communities": n,
            "communities_short": n_short,
            "shortcomings": rows,
            "population": total_shown.then_some(pop),
            "population_short": short_shown.then_some(pop_short),
        },
        "communities": list,
    })))
}

/// `?a=ID&b=ID`: the runs to compare (a the earlier, usually).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CompareQuery {
    /// The first run.
    #[param(value_type = i64)]
    pub a: Option<String>,
    /// The second run.
    #[param(value_type = i64)]
    pub b: Option<String>,
}

/// A numeric cell of an indicator row (`""`: none).
fn num(v: &Value, key: &str) -> Option<f64> {
    v[key].as_str().and_then(|s| s.trim().parse::<f64>().ok())
}

/// `met`: `yes` / `no` / empty.
fn met(v: &Value) -> Option<bool> {
    match v["met"].as_str() {
        Some("yes") => Some(true),
        Some("no") => Some(false),
        _ => None,
    }
}

/// The key an indicator row is matched by across runs: plan, indicator, level, region code.
type IndicatorKey = (String, String, String, String);

/// The key of an indicator row.
fn indicator_key(v: &Value) -> IndicatorKey {
    let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
    (s("plan"), s("indicator"), s("level"), s("region_code"))
}

#[utoipa::path(get, path = "/api/assessments/compare", tag = "assessments", params(CompareQuery),
    responses((status = 200, description = "`{a, b, rows: [{plan, indicator, name_zh, name_en, level, region_code, region_name, unit, comparison, target, value_a, value_b, change, met_a, met_b}], communities: [{community_id, name, division_code, shortcomings_a, shortcomings_b, change, fixed, new}], totals}`", body = Object),
        (status = "default", body = crate::error::ErrorSchema)))]
pub async fn compare_runs(
    State(st): State<Arc<AppState>>,
    Query(q): Query<CompareQuery>,
) -> ApiResult<Json<Value>> {
    let (Some(a), Some(b)) = (q.a.as_deref(), q.b.as_deref()) else {
        return Err(AppError::bad_request(
            "请用 ?a=…&b=… 指定要比较的两次评估",
            "name the two runs to compare: ?a=…&b=…",
        ));
    };
    let (ra, rb) = (find_run(&st, a).await?, find_run(&st, b).await?);
    let ia = run_rows(&st, ra.id, "indicator", None).await?;
    let ib = run_rows(&st, rb.id, "indicator", None).await?;
    // Rows in b's order, then those only a has.
    let mut by_key: HashMap<IndicatorKey, (Option<&Value>, Option<&Value>)> = HashMap::new();
    let mut order = Vec::new();
    for (side, rows) in [(1, &ib), (0, &ia)] {
        for v in rows {
            let k = indicator_key(v);
            let e = by_key.entry(k.clone()).or_insert_with(|| {
                order.push(k);
                (None, None)
            });
            if side == 0 {
                e.0 = Some(v);
            } else {
                e.1 = Some(v);
            }
        }
    }
    let (mut met_a, mut met_b) = (0, 0);
    let rows: Vec<Value> = order
        .iter()
        .map(|k| {
            let (va, vb) = by_key[k];
            let any = vb.or(va).unwrap_or(&Value::Null);
            let (xa, xb) = (
                va.and_then(|v| num(v, "value")),
                vb.and_then(|v| num(v, "value")),
            );
            let (ma, mb) = (va.and_then(met), vb.and_then(met));
            met_a += usize::from(ma == Some(true));
            met_b += usize::from(mb == Some(true));
            json!({
                "plan": k.0,
                "indicator": k.1,
                "name_zh": any["name_zh"],
                "name_en": any["name_en"],
                "level": k.2,
                "region_code": k.3,
                "region_name": any["region_name"],
                "unit": any["unit"],
                "comparison": any["comparison"],
                "target": num(any, "target"),
                "value_a": xa,
                "value_b": xb,
                "change": xa.zip(xb).map(|(x, y)| y - x),
                "met_a": ma,
                "met_b": mb,
            })
        })
        .collect();
    let places = places(&st).await?;
    let sa = shortcomings_by_community(&st, ra.id).await?;
    let sb = shortcomings_by_community(&st, rb.id).await?;
    let ids: BTreeSet<&str> = run_communities(&places, &ra, &sa)
        .into_iter()
        .chain(run_communities(&places, &rb, &sb))
        .collect();
    let empty = Vec::new();
    let communities: Vec<Value> = ids
        .into_iter()
        .map(|cid| {
            let p = places.get(cid);
            let (xa, xb) = (sa.get(cid).unwrap_or(&empty), sb.get(cid).unwrap_or(&empty));
            let set_a: BTreeSet<&str> = xa.iter().map(String::as_str).collect();
            let set_b: BTreeSet<&str> = xb.iter().map(String::as_str).collect();
            json!({
                "community_id": cid,
                "name": p.map(|p| p.name.as_str()),
                "division_code": p.and_then(|p| p.division_code.as_deref()),
                "shortcomings_a": xa.len(),
                "shortcomings_b": xb.len(),
                "change": xb.len() as i64 - xa.len() as i64,
                "fixed": set_a.difference(&set_b).collect::<Vec<_>>(),
                "new": set_b.difference(&set_a).collect::<Vec<_>>(),
            })
        })
        .collect();
    let count = |m: &BTreeMap<String, Vec<String>>| m.values().map(Vec::len).sum::<usize>();
    Ok(Json(json!({
        "a": ra,
        "b": rb,
        "totals": {
            "shortcomings_a": count(&sa),
            "shortcomings_b": count(&sb),
            "communities_short_a": sa.len(),
            "communities_short_b": sb.len(),
            "indicators_met_a": met_a,
            "indicators_met_b": met_b,
        },
        "rows": rows,
        "communities": communities,
    })))
}
