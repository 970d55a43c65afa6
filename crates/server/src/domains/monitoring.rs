//! 统计监测 Indicators over time (issue 16 items 1–2): series of indicators per region and
//! period, with the 2025 targets alongside, and the NBS life-service classification.
//!
//! *Where the values come from* (`indicator_series`, migration 0016):
//! - `assessment`: every assessment run (imported or computed by the server) writes a snapshot
//!   of its `indicators.csv` rows — value, numerator, denominator, target — per region, in the
//!   transaction that stores the run ([`snapshot_run`]); the period is the run's month
//!   (Asia/Shanghai). Every run is kept; a period answers with its latest run.
//! - `platform`: the monthly job ([`run_month`]) computes the platform's own figures
//!   ([`lc_services::monitor::INDICATORS`]: bookings completed by service type and NBS class,
//!   satisfaction, 差评 and those rectified on time, the visit rate, listed outlets, spot checks
//!   done and failed, warnings opened and resolved, childcare places and home beds in use) from
//!   the month's rows, rolls them up from communities and outlets to streets, districts, cities
//!   and provinces by division-code prefix, and replaces the month's rows in one transaction.
//!   The month's record in `monitor_months` is taken compare-and-set on its `version` at the
//!   start of that transaction, so two runs of one month cannot interleave (the second waits
//!   and answers 409 `monitor_running`, or runs after the first and writes the same rows).
//!   `serve`'s hourly sweep runs the month just ended once it has no run; administrators run
//!   any month again with `POST /api/monitor/runs`, and so does `livingcircle monitor run`.
//!
//! *Who sees them*: regulators and administrators (planners sign in with the regulator role).
//! The figures are aggregates, but a street's count of a handful of bookings or warnings can
//! point at a person or an outlet (统计法 art. 25); they are published only through the open
//! data of issue 16 item 4, with its disclosure rules. The catalogue of indicators and the NBS
//! classification are public (definitions, no data).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use lc_registry::{nbs, Access, Role};
use lc_services::monitor::{self, Fact, INDICATORS};
use lc_services::time::{parse_date, YearMonth};
use lc_store::sql::BindExt;
use lc_store::sqlx::{self, AnyConnection};
use lc_store::{from_row, StoreError, Tx};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::auth::Caller;
use crate::endpoints::{ep, Endpoint, JSON, STAFF_WRITE};
use crate::error::{ApiResult, AppError};
use crate::web::optional_json_body;
use crate::AppState;

/// A 差评 case due in the month: rectified on time (0/1, none yet), service, the community's
/// division code, the NBS class (the outlet's, else its provider's).
type CaseRow = (Option<i64>, String, Option<String>, Option<String>);
/// A home bed contract: start and end dates, activated and closed dates, the community's
/// division code.
type BedRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

const ADMIN: Access = Access::Roles(&[Role::Admin]);

/// The endpoints of this domain.
pub const ENDPOINTS: &[Endpoint] = &[
    ep!(
        "GET",
        "/api/series",
        STAFF_WRITE,
        "",
        "monitoring",
        "Indicator series of one region (any level): the platform's monthly figures and the assessment runs' snapshots by period, with the 2025 target alongside where a plan for the region has one (?division=&indicator=&dimension=&source=&from=YYYY-MM&to=YYYY-MM).",
        None,
        JSON
    ),
    ep!(
        "GET",
        "/api/series/indicators",
        Access::Public,
        "",
        "monitoring",
        "The catalogue of indicators: the platform's monthly figures with their definitions, and the plans' indicators assessment runs report.",
        None,
        JSON
    ),
    ep!(
        "GET",
        "/api/series/nbs-classes",
        Access::Public,
        "",
        "monitoring",
        "The NBS life-service classification (生活性服务业统计分类 2019) as versioned data: the class codes providers and outlets carry.",
        None,
        JSON
    ),
    ep!(
        "POST",
        "/api/monitor/runs",
        ADMIN,
        "",
        "monitoring",
        "Run the monthly job for a month ({month: YYYY-MM}, default the month just ended): computes the platform's figures and replaces that month's rows atomically.",
        Some(JSON),
        JSON
    ),
    ep!(
        "GET",
        "/api/monitor/runs",
        STAFF_WRITE,
        "",
        "monitoring",
        "The monthly job's runs, newest first.",
        None,
        JSON
    ),
];

/// The routes of this domain.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/series", get(series))
        .route("/api/series/indicators", get(indicators))
        .route("/api/series/nbs-classes", get(nbs_classes))
        .route("/api/monitor/runs", post(start_run).get(list_runs))
}

// --- Storage -----------------------------------------------------------------------------------

/// One stored value.
#[derive(Debug, Clone)]
pub(crate) struct SeriesRow {
    pub source: &'static str,
    pub source_run: i64,
    pub period: String,
    pub division_code: String,
    pub level: String,
    pub indicator: String,
    pub dimension: String,
    pub value: Option<f64>,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub target: Option<f64>,
}

/// Inserts values, a few hundred per statement (a key already written by the same run is kept).
async fn insert_series(
    conn: &mut AnyConnection,
    rows: &[SeriesRow],
    now: i64,
) -> Result<(), StoreError> {
    const COLS: usize = 12;
    for chunk in rows.chunks(400) {
        let groups: Vec<String> = (0..chunk.len())
            .map(|i| {
                let b = i * COLS;
                let ps: Vec<String> = (1..=COLS).map(|k| format!("${}", b + k)).collect();
                format!("({})", ps.join(", "))
            })
            .collect();
        let sql = format!(
            "INSERT INTO indicator_series (source, source_run, period, division_code, level, indicator, dimension, value, numerator, denominator, target, computed_at) VALUES {} ON CONFLICT (source, source_run, division_code, indicator, dimension) DO NOTHING",
            groups.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = q
                .bind(r.source.to_string())
                .bind(r.source_run)
                .bind(r.period.clone())
                .bind(r.division_code.clone())
                .bind(r.level.clone())
                .bind(r.indicator.clone())
                .bind(r.dimension.clone())
                .bind_real(r.value)
                .bind_real(r.numerator)
                .bind_real(r.denominator)
                .bind_real(r.target)
                .bind(now);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

fn number(row: &Map<String, Value>, col: &str) -> Option<f64> {
    match row.get(col)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|v| v.is_finite()),
        _ => None,
    }
}

fn text<'a>(row: &'a Map<String, Value>, col: &str) -> &'a str {
    row.get(col).and_then(Value::as_str).unwrap_or("").trim()
}

/// Writes an assessment run's snapshot: one value per indicator row of its `indicators.csv`
/// (a `community` row under the community's division code, the `all` row under `""`; rows
/// of a region without a code are left out), in the caller's transaction.
pub(crate) async fn snapshot_run(
    tx: &mut Tx,
    run_id: i64,
    created_at: i64,
    indicators: &[(u64, Map<String, Value>)],
) -> Result<usize, StoreError> {
    let period = YearMonth::of_instant(created_at)
        .map(|m| m.to_string())
        .unwrap_or_default();
    let mut community_codes: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut rows = Vec::new();
    for (_, r) in indicators {
        let indicator = text(r, "indicator");
        let level = text(r, "level");
        let region = text(r, "region_code");
        if indicator.is_empty() {
            continue;
        }
        let code = match level {
            "all" => Some(String::new()),
            "community" => {
                if !community_codes.contains_key(region) {
                    let code: Option<Option<String>> =
                        sqlx::query_scalar("SELECT division_code FROM communities WHERE id = $1")
                            .bind(region.to_string())
                            .fetch_optional(tx.conn())
                            .await?;
                    community_codes.insert(region.to_string(), code.flatten());
                }
                community_codes[region]
                    .clone()
                    .filter(|c| monitor::level_of(c) == Some("community"))
            }
            _ => Some(region.to_string()).filter(|c| monitor::level_of(c) == Some(level)),
        };
        let Some(division_code) = code else { continue };
        rows.push(SeriesRow {
            source: "assessment",
            source_run: run_id,
            period: period.clone(),
            division_code,
            level: level.to_string(),
            indicator: indicator.to_string(),
            dimension: String::new(),
            value: number(r, "value"),
            numerator: number(r, "numerator"),
            denominator: number(r, "denominator"),
            target: number(r, "target"),
        });
    }
    insert_series(tx.conn(), &rows, created_at).await?;
    Ok(rows.len())
}

// --- The monthly job ---------------------------------------------------------------------------

/// A run of the monthly job, as stored and answered.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = MonitorRun)]
pub struct RunRow {
    pub id: i64,
    /// The month computed (`YYYY-MM`, Asia/Shanghai).
    pub month: String,
    pub started_at: i64,
    pub finished_at: i64,
    /// Values written (every region, indicator and cut).
    pub rows_written: i64,
    /// `sweep` (the hourly job), `api` or `cli`.
    pub run_by: String,
    pub created_by: Option<i64>,
}
from_row!(RunRow {
    id,
    month,
    started_at,
    finished_at,
    rows_written,
    run_by,
    created_by
});

/// `{key}:{value}` cuts of a fact: the service type and the NBS class, where known.
fn cuts(service: Option<&str>, nbs: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(s) = service.filter(|s| !s.is_empty()) {
        out.push(format!("service:{s}"));
    }
    if let Some(n) = nbs.filter(|n| !n.is_empty()) {
        out.push(format!("nbs:{n}"));
    }
    out
}

fn fact(
    indicator: &'static str,
    division: Option<String>,
    dims: Vec<String>,
    num: f64,
    den: f64,
) -> Option<Fact> {
    Some(Fact {
        indicator,
        division: division?,
        dimensions: dims,
        numerator: num,
        denominator: den,
    })
}

/// The month's facts, read in the caller's transaction (see `docs/monitoring.md` for each
/// indicator's rows), and the division codes of the registry's communities.
pub(crate) async fn month_facts(
    conn: &mut AnyConnection,
    month: YearMonth,
) -> ApiResult<(Vec<Fact>, Vec<String>)> {
    let (start, end) = month.bounds().map_err(AppError::internal)?;
    let first = month.first_day().to_string();
    let last = month.last_day().to_string();
    let mut facts = Vec::new();

    // Bookings completed, by the resident's community; cut by service and the outlet's class.
    let rows: Vec<(String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT b.service, c.division_code, COALESCE(f.nbs_class, p.nbs_class) FROM bookings b JOIN communities c ON c.id = b.community_id LEFT JOIN facilities f ON f.id = b.facility_id LEFT JOIN providers p ON p.uscc = b.provider_code WHERE b.status = 'completed' AND b.start_ms >= $1 AND b.start_ms < $2",
    )
    .bind(start)
    .bind(end)
    .fetch_all(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    for (service, div, class) in rows {
        facts.extend(fact(
            "bookings_completed",
            div,
            cuts(Some(service.as_str()), class.as_deref()),
            1.0,
            0.0,
        ));
    }

    // Reviews of the month (not excluded), by the reviewer's community.
    let rows: Vec<(String, String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT r.class, r.service, c.division_code, COALESCE(f.nbs_class, p.nbs_class) FROM reviews r JOIN communities c ON c.id = r.community_id LEFT JOIN facilities f ON f.id = r.facility_id LEFT JOIN providers p ON p.uscc = r.provider_code WHERE r.month = $1 AND r.excluded = 0",
    )
    .bind(month.to_string())
    .fetch_all(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    for (class, service, div, nbs) in rows {
        let dims = cuts(Some(service.as_str()), nbs.as_deref());
        let good = f64::from(u8::from(class == "good"));
        facts.extend(fact(
            "satisfaction_rate",
            div.clone(),
            dims.clone(),
            good,
            1.0,
        ));
        if class == "bad" {
            facts.extend(fact("bad_reviews", div, dims, 1.0, 0.0));
        }
    }

    // 差评 cases due in the month (not excluded): rectified on time of them.
    let rows: Vec<CaseRow> = sqlx::query_as(
        "SELECT rc.rectified_on_time, rc.service, c.division_code, COALESCE(f.nbs_class, p.nbs_class) FROM review_cases rc JOIN reviews r ON r.id = rc.review_id JOIN communities c ON c.id = r.community_id LEFT JOIN facilities f ON f.id = rc.facility_id LEFT JOIN providers p ON p.uscc = rc.provider_code WHERE rc.excluded = 0 AND rc.deadline IS NOT NULL AND rc.deadline >= $1 AND rc.deadline <= $2",
    )
    .bind(first.clone())
    .bind(last.clone())
    .fetch_all(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    for (on_time, service, div, nbs) in rows {
        let num = f64::from(u8::from(on_time == Some(1)));
        facts.extend(fact(
            "bad_reviews_rectified_on_time",
            div,
            cuts(Some(service.as_str()), nbs.as_deref()),
            num,
            1.0,
        ));
    }

    // The visit rate: persons due in the month, visited at least once in it.
    let visited: BTreeSet<i64> = sqlx::query_scalar::<_, i64>(
        "SELECT resident_id FROM care_visits WHERE started_at >= $1 AND started_at < $2",
    )
    .bind(start)
    .bind(end)
    .fetch_all(&mut *conn)
    .await
    .map_err(StoreError::from)?
    .into_iter()
    .collect();
    let rows: Vec<(i64, String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT cr.resident_id, cr.since_date, cr.until_date, c.division_code FROM care_register cr JOIN communities c ON c.id = cr.community_id",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    for (person, since, until, div) in rows {
        let since = parse_date(&since).map_err(AppError::internal)?;
        let until = until
            .as_deref()
            .map(parse_date)
            .transpose()
            .map_err(AppError::internal)?;
        if lc_services::visits::is_due(since, until, month) {
            let num = f64::from(u8::from(visited.contains(&person)));
            facts.extend(fact("visit_rate", div, Vec::new(), num, 1.0));
        }
    }

    // Listed inclusive outlets with their commitment made by the month's end.
    let rows: Vec<(Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT COALESCE(f.division_code, p.division_code), COALESCE(f.nbs_class, p.nbs_class) FROM facilities f LEFT JOIN providers p ON p.uscc = f.provider_code WHERE f.listing_number IS NOT NULL AND f.credit_commitment_date IS NOT NULL AND f.credit_commitment_date <= $1 AND f.created_at < $2",
    )
    .bind(last.clone())
    .bind(end)
    .fetch_all(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    for (div, nbs) in rows {
        facts.extend(fact(
            "listed_outlets",
            div,
            cuts(None, nbs.as_deref()),
            1.0,
            0.0,
        ));
    }

    // Spot checks done in the month, and those that found problems.
    let rows: Vec<(String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT r.outcome, COALESCE(f.division_code, p.division_code), COALESCE(f.nbs_class, p.nbs_class) FROM spot_check_results r LEFT JOIN facilities f ON f.id = r.object_id LEFT JOIN providers p ON p.uscc = r.provider_code WHERE r.outcome IS NOT NULL AND r.checked_on >= $1 AND r.checked_on <= $2",
    )
    .bind(first.clone())
    .bind(last.clone())
    .fetch_all(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    for (outcome, div, nbs) in rows {
        let dims = cuts(None, nbs.as_deref());
        facts.extend(fact(
            "spot_checks_done",
            div.clone(),
            dims.clone(),
            1.0,
            0.0,
        ));
        if outcome != "no_problem" {
            facts.extend(fact("spot_checks_failed", div, dims, 1.0, 0.0));
        }
    }

    // Warnings opened and resolved in the month: the division of the outlet a warning is about
    // (a spot check's object, a 差评 case's outlet), else of the community it names, else of its
    // provider.
    let rows: Vec<(i64, Option<i64>, Option<String>)> = sqlx::query_as(
        "SELECT w.raised_at, w.resolved_at, COALESCE(sf.division_code, cf.division_code, c.division_code, p.division_code) FROM warnings w \
         LEFT JOIN spot_check_results scr ON w.subject_kind = 'spot_check_result' AND CAST(scr.id AS TEXT) = w.subject_id \
         LEFT JOIN facilities sf ON sf.id = scr.object_id \
         LEFT JOIN review_cases rc ON w.subject_kind = 'review_case' AND CAST(rc.id AS TEXT) = w.subject_id \
         LEFT JOIN facilities cf ON cf.id = rc.facility_id \
         LEFT JOIN communities c ON w.subject_kind = 'community' AND c.id = w.subject_id \
         LEFT JOIN providers p ON p.uscc = w.provider_code \
         WHERE (w.raised_at >= $1 AND w.raised_at < $2) OR (w.resolved_at >= $1 AND w.resolved_at < $2)",
    )
    .bind(start)
    .bind(end)
    .fetch_all(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    for (raised, resolved, div) in rows {
        if (start..end).contains(&raised) {
            facts.extend(fact("warnings_opened", div.clone(), Vec::new(), 1.0, 0.0));
        }
        if resolved.is_some_and(|r| (start..end).contains(&r)) {
            facts.extend(fact("warnings_resolved", div, Vec::new(), 1.0, 0.0));
        }
    }

    // Childcare places in use, as stored now.
    let rows: Vec<(i64, i64, Option<String>)> = sqlx::query_as(
        "SELECT cp.in_use, cp.places, f.division_code FROM childcare_places cp JOIN facilities f ON f.id = cp.facility_id",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    for (in_use, places, div) in rows {
        facts.extend(fact(
            "childcare_places_in_use",
            div,
            Vec::new(),
            in_use as f64,
            places as f64,
        ));
    }

    // Home beds in force on the month's last day.
    let rows: Vec<BedRow> = sqlx::query_as(
        "SELECT hb.start_date, hb.end_date, hb.activated_on, hb.closed_on, c.division_code FROM home_bed_contracts hb JOIN communities c ON c.id = hb.community_id WHERE hb.activated_on IS NOT NULL",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    let last_day = month.last_day();
    for (s, e, a, c, div) in rows {
        let d = |t: &str| parse_date(t).map_err(AppError::internal);
        let a = a.as_deref().map(d).transpose()?;
        let c = c.as_deref().map(d).transpose()?;
        if let Some((from, to)) = lc_services::home_beds::in_force(d(&s)?, d(&e)?, a, c) {
            if from <= last_day && last_day <= to {
                facts.extend(fact("home_beds_in_use", div, Vec::new(), 1.0, 0.0));
            }
        }
    }

    let regions: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT division_code FROM communities WHERE division_code IS NOT NULL ORDER BY division_code",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    Ok((facts, regions))
}

/// The 2025 target of a plan indicator for a region: the plan whose jurisdiction is the
/// longest prefix of the region's code (the province's own file before the national one) among
/// those that state a threshold.
pub(crate) fn target_for(plan_indicator: &str, division: &str) -> Option<Value> {
    let plans = lc_standards::shipped_plans().ok()?;
    plans
        .iter()
        .filter(|p| division.starts_with(&p.jurisdiction))
        .filter_map(|p| {
            let i = p.indicators.iter().find(|i| i.id == plan_indicator)?;
            let t = i.threshold?;
            Some((p.jurisdiction.len(), p, i, t))
        })
        .max_by_key(|(n, ..)| *n)
        .map(|(_, p, i, t)| {
            json!({
                "plan": p.id, "indicator": i.id, "year": p.year, "threshold": t,
                "comparison": i.comparison.symbol(), "unit": i.unit,
                "name_zh": i.name_zh, "name_en": i.name_en,
            })
        })
}

/// Runs the monthly job for `month` (see the module documentation): the month's record taken
/// compare-and-set, the facts read and rolled up, the month's `platform` rows replaced, the
/// run recorded — one transaction.
pub async fn run_month(
    st: &AppState,
    month: YearMonth,
    run_by: &str,
    caller: Option<&Caller>,
) -> ApiResult<RunRow> {
    let started = st.clock.now_ms();
    let key = month.to_string();
    sqlx::query(
        "INSERT INTO monitor_months (month, status, last_run, updated_at, version) VALUES ($1, 'new', NULL, $2, 0) ON CONFLICT (month) DO NOTHING",
    )
    .bind(key.clone())
    .bind(started)
    .execute(st.store.pool())
    .await
    .map_err(StoreError::from)?;
    let seen: i64 = sqlx::query_scalar("SELECT version FROM monitor_months WHERE month = $1")
        .bind(key.clone())
        .fetch_one(st.store.pool())
        .await
        .map_err(StoreError::from)?;
    let mut tx = st.store.begin().await?;
    let taken = sqlx::query(
        "UPDATE monitor_months SET status = 'running', updated_at = $2, version = version + 1 WHERE month = $1 AND version = $3",
    )
    .bind(key.clone())
    .bind(started)
    .bind(seen)
    .execute(tx.conn())
    .await
    .map_err(StoreError::from)?;
    if taken.rows_affected() != 1 {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            "monitor_running",
            format!("{key} 的月度统计正由另一次运行计算，请稍后查看结果"),
            format!(
                "the monthly figures of {key} are being computed by another run; see its result"
            ),
        ));
    }
    let (facts, regions) = month_facts(tx.conn(), month).await?;
    let values = monitor::roll_up(&facts, &regions);
    let run_id: i64 = sqlx::query_scalar(
        "INSERT INTO monitor_runs (month, started_at, finished_at, rows_written, run_by, created_by) VALUES ($1, $2, $2, 0, $3, $4) RETURNING id",
    )
    .bind(key.clone())
    .bind(started)
    .bind(run_by.to_string())
    .bind(caller.and_then(|c| c.user.as_ref().map(|u| u.id)))
    .fetch_one(tx.conn())
    .await
    .map_err(StoreError::from)?;
    sqlx::query("DELETE FROM indicator_series WHERE source = 'platform' AND period = $1")
        .bind(key.clone())
        .execute(tx.conn())
        .await
        .map_err(StoreError::from)?;
    let mut targets: BTreeMap<(&str, String), Option<f64>> = BTreeMap::new();
    let rows: Vec<SeriesRow> = values
        .into_iter()
        .map(|v| {
            let target = monitor::indicator(v.indicator)
                .and_then(|i| i.target)
                .and_then(|t| {
                    *targets.entry((t, v.division.clone())).or_insert_with(|| {
                        target_for(t, &v.division).and_then(|x| x["threshold"].as_f64())
                    })
                });
            SeriesRow {
                source: "platform",
                source_run: run_id,
                period: key.clone(),
                division_code: v.division,
                level: v.level.to_string(),
                indicator: v.indicator.to_string(),
                dimension: v.dimension,
                value: v.value,
                numerator: Some(v.numerator),
                denominator: v.denominator,
                target,
            }
        })
        .collect();
    let finished = st.clock.now_ms();
    insert_series(tx.conn(), &rows, finished).await?;
    sqlx::query("UPDATE monitor_runs SET finished_at = $2, rows_written = $3 WHERE id = $1")
        .bind(run_id)
        .bind(finished)
        .bind(rows.len() as i64)
        .execute(tx.conn())
        .await
        .map_err(StoreError::from)?;
    sqlx::query("UPDATE monitor_months SET status = 'done', last_run = $2, updated_at = $3 WHERE month = $1")
        .bind(key.clone())
        .bind(run_id)
        .bind(finished)
        .execute(tx.conn())
        .await
        .map_err(StoreError::from)?;
    let actor = match caller {
        Some(c) => c.actor(),
        None => lc_store::Actor {
            request_id: Some(format!("monitor:{run_by}")),
            ..lc_store::Actor::default()
        },
    };
    tx.audit(
        &actor,
        "compute",
        "monitor_month",
        &key,
        json!({"run": run_id, "facts": facts.len(), "rows": rows.len(), "run_by": run_by}),
    )
    .await?;
    tx.commit().await?;
    Ok(RunRow {
        id: run_id,
        month: key,
        started_at: started,
        finished_at: finished,
        rows_written: rows.len() as i64,
        run_by: run_by.to_string(),
        created_by: caller.and_then(|c| c.user.as_ref().map(|u| u.id)),
    })
}

/// The hourly sweep's part: the month just ended (by the server's clock, Asia/Shanghai), when
/// it has no run yet. `None` when there was nothing to do.
pub async fn run_due(st: &AppState) -> ApiResult<Option<RunRow>> {
    let month = YearMonth::of_instant(st.clock.now_ms())
        .map_err(AppError::internal)?
        .previous();
    let done: Option<Option<i64>> =
        sqlx::query_scalar("SELECT last_run FROM monitor_months WHERE month = $1")
            .bind(month.to_string())
            .fetch_optional(st.store.pool())
            .await
            .map_err(StoreError::from)?;
    if done.flatten().is_some() {
        return Ok(None);
    }
    run_month(st, month, "sweep", None).await.map(Some)
}

// --- Handlers ----------------------------------------------------------------------------------

/// `POST /api/monitor/runs`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = MonitorRunInput)]
pub struct RunInput {
    /// `YYYY-MM` (Asia/Shanghai); default: the month just ended.
    #[schema(pattern = "^[0-9]{4}-[0-9]{2}$")]
    pub month: Option<String>,
}

fn month_param(field: &str, v: &str) -> ApiResult<YearMonth> {
    v.parse::<YearMonth>().map_err(|_| {
        AppError::field(
            field,
            "invalid_month",
            format!("{field} 应为 YYYY-MM 格式的月份：{v}"),
            format!("{field} must be a month as YYYY-MM: {v}"),
        )
    })
}

#[utoipa::path(post, path = "/api/monitor/runs", tag = "monitoring", request_body = Option<RunInput>,
    responses((status = 200, body = RunRow),
        (status = 409, description = "`monitor_running`: another run of the month holds it", body = crate::error::ErrorSchema),
        (status = "default", body = crate::error::ErrorSchema)))]
pub async fn start_run(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> ApiResult<Json<RunRow>> {
    let input: RunInput = optional_json_body(&body)?;
    let now = YearMonth::of_instant(st.clock.now_ms()).map_err(AppError::internal)?;
    let month = match input.month.as_deref() {
        Some(m) => month_param("month", m)?,
        None => now.previous(),
    };
    if month > now {
        return Err(AppError::field(
            "month",
            "future_month",
            format!("{month} 尚未开始"),
            format!("{month} has not begun"),
        ));
    }
    Ok(Json(run_month(&st, month, "api", Some(&c)).await?))
}

#[utoipa::path(get, path = "/api/monitor/runs", tag = "monitoring",
    responses((status = 200, description = "`{items: [MonitorRun]}`", body = Object),
        (status = "default", body = crate::error::ErrorSchema)))]
pub async fn list_runs(State(st): State<Arc<AppState>>) -> ApiResult<Json<Value>> {
    let items: Vec<RunRow> = sqlx::query_as(
        "SELECT id, month, started_at, finished_at, rows_written, run_by, created_by FROM monitor_runs ORDER BY id DESC LIMIT 200",
    )
    .fetch_all(st.store.pool())
    .await
    .map_err(StoreError::from)?;
    Ok(Json(json!({"items": items})))
}

#[utoipa::path(get, path = "/api/series/indicators", tag = "monitoring",
    responses((status = 200, description = "`{platform: [MonitorIndicator + target], assessment: [plan indicators]}`", body = Object),
        (status = "default", body = crate::error::ErrorSchema)))]
pub async fn indicators() -> ApiResult<Json<Value>> {
    let platform: Vec<Value> = INDICATORS
        .iter()
        .map(|i| {
            let mut v = json!(i);
            v["source"] = json!("platform");
            v
        })
        .collect();
    let plans = lc_standards::shipped_plans().map_err(AppError::internal)?;
    let assessment: Vec<Value> = plans
        .iter()
        .flat_map(|p| {
            p.indicators.iter().map(move |i| {
                json!({
                    "key": i.id, "source": "assessment", "plan": p.id, "jurisdiction": p.jurisdiction,
                    "name_zh": i.name_zh, "name_en": i.name_en, "unit": i.unit,
                    "comparison": i.comparison.symbol(), "threshold": i.threshold, "year": p.year,
                    "definition": i.definition,
                })
            })
        })
        .collect();
    Ok(Json(json!({
        "platform": platform,
        "assessment": assessment,
        "definitions": "docs/monitoring.md",
    })))
}

#[utoipa::path(get, path = "/api/series/nbs-classes", tag = "monitoring",
    responses((status = 200, description = "`{classifications: [NbsClassification]}` with each class's stored key", body = Object),
        (status = "default", body = crate::error::ErrorSchema)))]
pub async fn nbs_classes() -> ApiResult<Json<Value>> {
    let all: Vec<Value> = nbs::shipped()
        .iter()
        .map(|c| {
            let mut v = json!(c);
            v["classes"] = json!(c
                .classes
                .iter()
                .map(|k| json!({"key": c.key(k), "code": k.code, "name_zh": k.name_zh, "name_en": k.name_en}))
                .collect::<Vec<_>>());
            v
        })
        .collect();
    Ok(Json(json!({"classifications": all})))
}

/// Query of `GET /api/series`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SeriesQuery {
    /// The region: a division code of 2, 4, 6, 9 or 12 digits, or `all` (an assessment's
    /// whole area).
    pub division: Option<String>,
    /// An indicator key (the catalogue's); default: every indicator of the region.
    pub indicator: Option<String>,
    /// A cut (`service:meal`, `nbs:2019:03`); default: the whole. `*`: every cut.
    pub dimension: Option<String>,
    /// `platform` or `assessment`; default both.
    pub source: Option<String>,
    /// First period, `YYYY-MM`.
    pub from: Option<String>,
    /// Last period, `YYYY-MM`.
    pub to: Option<String>,
}

struct Stored {
    source: String,
    source_run: i64,
    period: String,
    level: String,
    indicator: String,
    dimension: String,
    value: Option<f64>,
    numerator: Option<f64>,
    denominator: Option<f64>,
    target: Option<f64>,
}
from_row!(Stored {
    source,
    source_run,
    period,
    level,
    indicator,
    dimension,
    value,
    numerator,
    denominator,
    target
});

#[utoipa::path(get, path = "/api/series", tag = "monitoring", params(SeriesQuery),
    responses((status = 200, description = "`{division: {code, name, level}, series: [{indicator, source, dimension, name_zh, name_en, unit, kind, target, points: [{period, run, value, numerator, denominator, target}]}]}`", body = Object),
        (status = "default", body = crate::error::ErrorSchema)))]
pub async fn series(
    State(st): State<Arc<AppState>>,
    Query(q): Query<SeriesQuery>,
) -> ApiResult<Json<Value>> {
    let Some(division) = q
        .division
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
    else {
        return Err(AppError::field(
            "division",
            "required",
            "division 必填：区划代码（2、4、6、9 或 12 位）或 all".into(),
            "division is required: a division code of 2, 4, 6, 9 or 12 digits, or all".into(),
        ));
    };
    let code = if division == "all" { "" } else { division };
    if !code.is_empty() && monitor::level_of(code).is_none() {
        return Err(AppError::field(
            "division",
            "invalid_division_code",
            format!("division 应为 2、4、6、9 或 12 位的区划代码：{division}"),
            format!("division must be a division code of 2, 4, 6, 9 or 12 digits: {division}"),
        ));
    }
    let from = q
        .from
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|m| month_param("from", m))
        .transpose()?;
    let to =
        q.to.as_deref()
            .filter(|s| !s.is_empty())
            .map(|m| month_param("to", m))
            .transpose()?;
    let source = match q.source.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s @ ("platform" | "assessment")) => Some(s.to_string()),
        Some(s) => {
            return Err(AppError::field(
                "source",
                "invalid_source",
                format!("source 应为 platform 或 assessment：{s}"),
                format!("source must be platform or assessment: {s}"),
            ))
        }
    };
    let dimension = q.dimension.clone().unwrap_or_default();
    let indicator = q.indicator.clone().filter(|s| !s.is_empty());
    let mut conn = st.store.read_conn().await?;
    let rows: Vec<Stored> = sqlx::query_as(
        "SELECT source, source_run, period, level, indicator, dimension, value, numerator, denominator, target FROM indicator_series WHERE division_code = $1 AND ($2 IS NULL OR indicator = $2) AND ($3 IS NULL OR source = $3) AND ($4 = '*' OR dimension = $4) AND ($5 IS NULL OR period >= $5) AND ($6 IS NULL OR period <= $6) ORDER BY indicator, source, dimension, period, source_run",
    )
    .bind(code.to_string())
    .bind(indicator.clone())
    .bind(source)
    .bind(dimension)
    .bind(from.map(|m| m.to_string()))
    .bind(to.map(|m| m.to_string()))
    .fetch_all(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    let name: Option<String> = if code.is_empty() {
        None
    } else {
        sqlx::query_scalar("SELECT name FROM divisions WHERE code = $1")
            .bind(code.to_string())
            .fetch_optional(&mut *conn)
            .await
            .map_err(StoreError::from)?
    };
    if let Some(i) = &indicator {
        let known = monitor::indicator(i).is_some()
            || lc_standards::shipped_plans()
                .map_err(AppError::internal)?
                .iter()
                .any(|p| p.indicators.iter().any(|x| &x.id == i));
        if !known && rows.is_empty() {
            return Err(AppError::field(
                "indicator",
                "unknown_indicator",
                format!("未知指标 {i}（见 GET /api/series/indicators）"),
                format!("unknown indicator {i} (see GET /api/series/indicators)"),
            ));
        }
    }
    // One series per (indicator, source, cut); one point per period: its latest run.
    let mut grouped: BTreeMap<(String, String, String), BTreeMap<String, Stored>> = BTreeMap::new();
    let mut level = monitor::level_of(code).unwrap_or("all").to_string();
    for r in rows {
        level = r.level.clone();
        grouped
            .entry((r.indicator.clone(), r.source.clone(), r.dimension.clone()))
            .or_default()
            .insert(r.period.clone(), r);
    }
    let series: Vec<Value> = grouped
        .into_iter()
        .map(|((ind, source, dim), points)| {
            let platform = monitor::indicator(&ind);
            let target_ref = match (&platform, source.as_str()) {
                (Some(p), "platform") => p.target,
                (_, "assessment") => Some(ind.as_str()),
                _ => None,
            };
            let target = target_ref.and_then(|t| target_for(t, code));
            let (name_zh, name_en, unit, kind) = match platform.filter(|_| source == "platform") {
                Some(p) => (
                    p.name_zh.to_string(),
                    p.name_en.to_string(),
                    p.unit.to_string(),
                    json!(p.kind),
                ),
                None => (
                    target
                        .as_ref()
                        .map(|t| t["name_zh"].as_str().unwrap_or("").to_string())
                        .unwrap_or_default(),
                    target
                        .as_ref()
                        .map(|t| t["name_en"].as_str().unwrap_or("").to_string())
                        .unwrap_or_default(),
                    target
                        .as_ref()
                        .map(|t| t["unit"].as_str().unwrap_or("").to_string())
                        .unwrap_or_default(),
                    json!(null),
                ),
            };
            json!({
                "indicator": ind, "source": source, "dimension": dim,
                "name_zh": name_zh, "name_en": name_en, "unit": unit, "kind": kind,
                "target": target,
                "points": points.into_values().map(|p| json!({
                    "period": p.period, "run": p.source_run, "value": p.value,
                    "numerator": p.numerator, "denominator": p.denominator, "target": p.target,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(Json(json!({
        "division": {"code": division, "name": name, "level": level},
        "series": series,
    })))
}
