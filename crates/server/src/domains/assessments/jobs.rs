//! 平台评估 Assessment runs computed by the server on the registry's data: every community and
//! every facility of the registry, the server's walking network, the standards and 2025 targets
//! `livingcircle assess` uses by default (the shipped `standards/*.toml` and `targets/*.toml`),
//! the region names of the `divisions` table. The computation is `lc_pipeline::run_assess` on a
//! blocking thread; the rows are rendered by the same writers as the command line's
//! `shortcomings.csv` and `indicators.csv` (`lc_report`) and stored as an import of those files
//! would be (`assessment_runs`, `assessment_rows`), audited as `run`.
//!
//! A run is followed as a *job*: its step, items done, percent, timings, and is cancelled
//! through the pipeline's cancellation (polled between steps and during the access searches)
//! and, last, before the stored rows are committed. **Jobs are kept in memory
//! ([`Jobs`] in `AppState`): they do not survive a restart; the stored run does.** One run at
//! a time per server.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use lc_pipeline::{CancelFlag, Observer, PipelineError, Step};
use lc_store::sqlx;
use lc_store::{Actor, StoreError};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{csv_objects, insert_run, NewRun};
use crate::auth::Caller;
use crate::domains::registry::{communities, facilities};
use crate::error::{ApiResult, AppError};
use crate::web::{json_body, Filter, Page};
use crate::AppState;

/// Finished jobs kept for `GET /api/assessments/jobs/{id}` (the oldest are forgotten).
const KEEP_FINISHED: usize = 50;

/// The steps of a run in order: key, label, share of the percent.
const STEPS: &[(&str, &str, f64)] = &[
    ("read_registry", "读取登记数据 Reading the registry", 5.0),
    ("snap", "落点 Placing points", 5.0),
    ("access", "可达性 Access", 75.0),
    ("assess", "评估 Assessing", 10.0),
    ("store", "保存结果 Storing the results", 5.0),
];

/// How a job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Running,
    Done,
    Failed,
    Cancelled,
}

impl Status {
    fn key(self) -> &'static str {
        match self {
            Status::Running => "running",
            Status::Done => "done",
            Status::Failed => "failed",
            Status::Cancelled => "cancelled",
        }
    }
}

/// Why a job failed.
#[derive(Debug, Clone)]
struct JobError {
    code: &'static str,
    zh: String,
    en: String,
}

impl From<AppError> for JobError {
    fn from(e: AppError) -> JobError {
        JobError {
            code: e.code,
            zh: e.message_zh,
            en: e.message_en,
        }
    }
}

impl From<StoreError> for JobError {
    fn from(e: StoreError) -> JobError {
        AppError::from(e).into()
    }
}

#[derive(Debug)]
struct JobState {
    status: Status,
    step: &'static str,
    step_label: &'static str,
    total: Option<u64>,
    finished_at: Option<i64>,
    run_id: Option<i64>,
    error: Option<JobError>,
    /// Finished steps: key, label, seconds, items done and their total (when counted).
    steps: Vec<(&'static str, &'static str, f64, u64, Option<u64>)>,
    /// What was read: communities, facilities (and facilities of a category this build does
    /// not know, left out).
    inputs: Value,
}

/// One assessment run being computed (or finished).
#[derive(Debug)]
pub struct Job {
    /// Random hex: ids do not repeat across restarts.
    pub id: String,
    label: String,
    started_by: Option<i64>,
    started_at: i64,
    cancel: CancelFlag,
    done: AtomicU64,
    state: Mutex<JobState>,
}

impl Job {
    fn state(&self) -> std::sync::MutexGuard<'_, JobState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The status now.
    pub fn status(&self) -> Status {
        self.state().status
    }

    fn begin(&self, step: &'static str, label: &'static str, total: Option<u64>) {
        let mut s = self.state();
        s.step = step;
        s.step_label = label;
        s.total = total;
        self.done.store(0, Ordering::Relaxed);
    }

    fn end_step(&self, step: &'static str, label: &'static str, secs: f64) {
        let mut s = self.state();
        let total = if s.step == step { s.total } else { None };
        // A finished step has done all its items (the access searches report every 256).
        let done = total.unwrap_or_else(|| self.done.load(Ordering::Relaxed));
        self.done.store(done, Ordering::Relaxed);
        s.steps.push((step, label, secs, done, total));
    }

    /// The job as answered: status, step, progress, timings, the stored run or the error.
    pub fn to_json(&self) -> Value {
        let s = self.state();
        let done = self.done.load(Ordering::Relaxed);
        let percent = match s.status {
            Status::Done => 100.0,
            _ => {
                let finished: f64 = STEPS
                    .iter()
                    .filter(|(k, _, _)| s.steps.iter().any(|x| x.0 == *k))
                    .map(|x| x.2)
                    .sum();
                let current = STEPS
                    .iter()
                    .find(|(k, _, _)| *k == s.step && !s.steps.iter().any(|x| x.0 == *k))
                    .map(|x| x.2)
                    .unwrap_or(0.0);
                let part = match s.total {
                    Some(t) if t > 0 => (done as f64 / t as f64).min(1.0),
                    _ => 0.0,
                };
                (finished + current * part).min(99.0)
            }
        };
        let mut timings = serde_json::Map::new();
        for (k, _, secs, _, _) in &s.steps {
            timings.insert(k.to_string(), json!(secs));
        }
        if s.status == Status::Done {
            timings.insert(
                "total".into(),
                json!(s.steps.iter().map(|x| x.2).sum::<f64>()),
            );
        }
        json!({
            "id": self.id,
            "label": self.label,
            "status": s.status.key(),
            "step": s.step,
            "step_label": s.step_label,
            "done": done,
            "total": s.total,
            "percent": percent.floor() as i64,
            "started_at": self.started_at,
            "started_by": self.started_by,
            "finished_at": s.finished_at,
            "cancel_requested": self.cancel.is_cancelled(),
            "run_id": s.run_id,
            "error": s.error.as_ref().map(|e| json!({"code": e.code, "message_zh": e.zh, "message_en": e.en})),
            "inputs": s.inputs,
            "steps": s.steps.iter().map(|(k, l, secs, done, total)| json!({"key": k, "label": l, "secs": secs, "done": done, "total": total})).collect::<Vec<_>>(),
            "timings": timings,
        })
    }
}

/// The pipeline's progress written into the job.
struct JobObserver<'a>(&'a Job);

impl Observer for JobObserver<'_> {
    fn start(&self, step: Step, total: Option<u64>) {
        self.0.begin(step.key(), step.label(), total);
    }
    fn advance(&self, _step: Step, done: u64) {
        self.0.done.store(done, Ordering::Relaxed);
    }
    fn finish(&self, step: Step, secs: f64) {
        self.0.end_step(step.key(), step.label(), secs);
    }
    fn cancelled(&self) -> bool {
        self.0.cancel.is_cancelled()
    }
}

#[derive(Debug, Default)]
struct JobsInner {
    /// Oldest first.
    jobs: Vec<Arc<Job>>,
    running: Option<String>,
}

/// The server's assessment jobs, in memory: they do not survive a restart (the stored runs
/// do). At most one runs at a time.
#[derive(Debug, Default)]
pub struct Jobs {
    inner: Mutex<JobsInner>,
}

impl Jobs {
    fn lock(&self) -> std::sync::MutexGuard<'_, JobsInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a new running job, or answers the id of the one running.
    fn begin(&self, label: String, by: Option<i64>, now: i64) -> Result<Arc<Job>, String> {
        let mut g = self.lock();
        if let Some(id) = &g.running {
            return Err(id.clone());
        }
        let job = Arc::new(Job {
            id: crate::auth::random_hex(8),
            label,
            started_by: by,
            started_at: now,
            cancel: CancelFlag::new(),
            done: AtomicU64::new(0),
            state: Mutex::new(JobState {
                status: Status::Running,
                step: STEPS[0].0,
                step_label: STEPS[0].1,
                total: None,
                finished_at: None,
                run_id: None,
                error: None,
                steps: Vec::new(),
                inputs: Value::Null,
            }),
        });
        g.running = Some(job.id.clone());
        g.jobs.push(job.clone());
        let finished = g.jobs.len().saturating_sub(1);
        if finished > KEEP_FINISHED {
            let drop = finished - KEEP_FINISHED;
            g.jobs.drain(..drop);
        }
        Ok(job)
    }

    /// Ends a job (status, time, run or error) and frees the slot, under one lock.
    fn end(&self, job: &Job, status: Status, run_id: Option<i64>, err: Option<JobError>, now: i64) {
        let mut g = self.lock();
        {
            let mut s = job.state();
            if s.status != Status::Running {
                return;
            }
            s.status = status;
            s.finished_at = Some(now);
            s.run_id = run_id;
            s.error = err;
        }
        if g.running.as_deref() == Some(job.id.as_str()) {
            g.running = None;
        }
    }

    /// A job by id.
    pub fn get(&self, id: &str) -> Option<Arc<Job>> {
        self.lock().jobs.iter().find(|j| j.id == id).cloned()
    }

    /// Every job kept, newest first.
    pub fn list(&self) -> Vec<Arc<Job>> {
        self.lock().jobs.iter().rev().cloned().collect()
    }
}

/// Frees the job's slot even if its task panics or is dropped (shutdown).
struct EndGuard {
    st: Arc<AppState>,
    job: Arc<Job>,
}

impl Drop for EndGuard {
    fn drop(&mut self) {
        let now = self.st.clock.now_ms();
        self.st.assessment_jobs.end(
            &self.job,
            Status::Failed,
            None,
            Some(JobError {
                code: "internal",
                zh: "评估任务意外中止".into(),
                en: "the assessment job stopped unexpectedly".into(),
            }),
            now,
        );
    }
}

/// 503 `no_network` (as services nearby answer it).
pub fn no_network() -> AppError {
    AppError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "no_network",
        "服务器没有步行路网（以 serve --osm 启动），无法计算评估",
        "the server has no walking network (start it with serve --osm): nothing to assess on",
    )
}

/// `POST /api/assessments/runs`: `{"label": "…"}` (optional).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    /// The run's label (default `平台评估 YYYY-MM-DD HH:MM`, Beijing time).
    label: Option<String>,
}

fn check_label(label: Option<String>, now: i64) -> ApiResult<String> {
    let Some(l) = label.map(|l| l.trim().to_string()) else {
        let t = lc_services::time::local(now).map_err(AppError::internal)?;
        return Ok(format!("平台评估 {}", t.strftime("%Y-%m-%d %H:%M")));
    };
    if l.is_empty() || l.chars().count() > 100 {
        return Err(AppError::field(
            "label",
            "out_of_range",
            "label 应为 1 至 100 个字符".into(),
            "label must be 1 to 100 characters".into(),
        ));
    }
    if l.chars()
        .any(|c| c.is_control() || lc_registry::is_invisible(c))
    {
        return Err(AppError::field(
            "label",
            "invalid_text",
            "label 含有控制字符或不可见字符".into(),
            "label holds a control or invisible character".into(),
        ));
    }
    Ok(l)
}

#[utoipa::path(post, path = "/api/assessments/runs", tag = "assessments", request_body = RunRequest,
    responses((status = 202, description = "The job (see GET /api/assessments/jobs/{id})", body = Object),
        (status = 409, description = "`assessment_running` or `nothing_to_assess`", body = crate::error::ErrorSchema),
        (status = 503, description = "`no_network`", body = crate::error::ErrorSchema),
        (status = "default", body = crate::error::ErrorSchema)))]
pub async fn start_run(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    // A JSON object is required, `{}` for the defaults (as the OpenAPI document says).
    let req: RunRequest = json_body(&body)?;
    let now = st.clock.now_ms();
    let label = check_label(req.label, now)?;
    let Some(graph) = st.config.network.clone() else {
        return Err(no_network());
    };
    if communities::count_all(st.store.pool()).await? == 0 {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            "nothing_to_assess",
            "社区库中没有社区，无从评估",
            "the registry holds no community: nothing to assess",
        ));
    }
    let job = st
        .assessment_jobs
        .begin(label, c.user.as_ref().map(|u| u.id), now)
        .map_err(|running| {
            AppError::new(
                StatusCode::CONFLICT,
                "assessment_running",
                format!("评估任务 {running} 正在进行，请等它结束或取消后再开始"),
                format!("assessment job {running} is running; wait for it to end, or cancel it, before starting another"),
            )
        })?;
    let answer = job.to_json();
    let guard = EndGuard {
        st: st.clone(),
        job: job.clone(),
    };
    tokio::spawn(run_job(guard, graph, c.actor()));
    Ok((StatusCode::ACCEPTED, Json(answer)))
}

/// How a run ended.
enum Outcome {
    Done(i64),
    Cancelled,
}

async fn run_job(guard: EndGuard, graph: Arc<lc_network::Graph>, actor: Actor) {
    let (st, job) = (&guard.st, &guard.job);
    let result = execute(st, job, graph, &actor).await;
    let now = st.clock.now_ms();
    let jobs = &st.assessment_jobs;
    match result {
        Ok(Outcome::Done(id)) => jobs.end(job, Status::Done, Some(id), None, now),
        Ok(Outcome::Cancelled) => jobs.end(job, Status::Cancelled, None, None, now),
        Err(e) => {
            tracing::warn!(job = %job.id, code = e.code, "assessment run failed: {}", e.en);
            jobs.end(job, Status::Failed, None, Some(e), now)
        }
    }
}

/// What the registry holds, as the engine's types (read by the siting scenarios too).
pub(crate) struct Registry {
    pub(crate) communities: Vec<lc_model::Community>,
    pub(crate) facilities: Vec<lc_model::Facility>,
    pub(crate) divisions: lc_assess::Divisions,
}

/// Every community and facility, and the names of the divisions the communities' codes roll up
/// to (street, district, city, province).
pub(crate) async fn read_registry(st: &AppState) -> Result<(Registry, usize), StoreError> {
    let mut conn = st.store.pool().acquire().await?;
    let all = || Filter {
        search: None,
        division: None,
        page: Page {
            limit: 0,
            offset: 0,
        },
    };
    let rows = communities::all_rows(&mut conn, st.store.backend(), &all()).await?;
    let communities: Vec<lc_model::Community> = rows
        .iter()
        .map(communities::CommunityRow::to_model)
        .collect();
    let rows = facilities::all_rows(
        &mut conn,
        st.store.backend(),
        &facilities::FacilityFilter {
            common: all(),
            category: None,
            provider_code: None,
            listing_number: None,
            listed: None,
        },
    )
    .await?;
    let facilities: Vec<lc_model::Facility> = rows
        .iter()
        .filter_map(facilities::FacilityRow::to_model)
        .collect();
    let unknown = rows.len() - facilities.len();
    let prefixes: BTreeSet<String> = communities
        .iter()
        .filter_map(|c| c.division_code.as_deref())
        .flat_map(lc_model::division::prefixes)
        .map(|(_, prefix)| prefix.to_string())
        .collect();
    let mut divisions = lc_assess::Divisions::new();
    let prefixes: Vec<String> = prefixes.into_iter().collect();
    for chunk in prefixes.chunks(500) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT code, name FROM divisions WHERE code IN ({})",
            marks.join(", ")
        );
        let mut q = sqlx::query_as::<_, (String, String)>(&sql);
        for code in chunk {
            q = q.bind(code.clone());
        }
        for (code, name) in q.fetch_all(&mut *conn).await? {
            divisions.insert(&code, &name);
        }
    }
    Ok((
        Registry {
            communities,
            facilities,
            divisions,
        },
        unknown,
    ))
}

/// The assessment on a blocking thread: the CSV texts of `shortcomings.csv` and
/// `indicators.csv`, as `livingcircle assess` writes them.
fn compute(
    graph: &lc_network::Graph,
    reg: &Registry,
    obs: &dyn Observer,
) -> Result<(String, String), JobError> {
    let spec = |e: lc_standards::SpecError| JobError::from(AppError::internal(e));
    let standards = lc_standards::shipped_standards().map_err(spec)?;
    let plans = lc_standards::shipped_plans().map_err(spec)?;
    for p in &plans {
        lc_standards::check_plan(p, &standards).map_err(spec)?;
    }
    // The registry's facilities as the engine's columns (the siting scenarios read the records).
    let facilities: lc_model::FacilityList = reg.facilities.iter().collect();
    // The command line's defaults (`assess`: --max-distance 1500, --snap edge, --snap-limit 300).
    let run = lc_pipeline::run_assess(
        graph,
        &lc_pipeline::AssessInputs {
            standards: &standards,
            plans: &plans,
            divisions: &reg.divisions,
            communities: &reg.communities,
            facilities: &facilities,
            candidates: &[],
            platform: None,
        },
        &lc_pipeline::AssessOptions {
            max_distance: 1500.0,
            snap: lc_network::SnapMode::Edge,
            snap_limit: 300.0,
            communities_file: PathBuf::from("社区库 registry communities"),
        },
        obs,
    )
    .map_err(|e| match e {
        PipelineError::NothingToCompute(m) => JobError {
            code: "nothing_to_assess",
            zh: m.clone(),
            en: m,
        },
        PipelineError::Cancelled => JobError {
            code: "cancelled",
            zh: "已取消".into(),
            en: "cancelled".into(),
        },
        other => AppError::internal(other).into(),
    })?;
    let report = lc_report::Report {
        title: String::new(),
        communities: &reg.communities,
        facilities: &facilities,
        standards: &standards,
        plans: &plans,
        assessment: &run.assessment,
        divisions: &reg.divisions,
        streets: Vec::new(),
        facts: Vec::new(),
        recommendations: Vec::new(),
    };
    Ok((
        lc_report::shortcomings_csv(&report).0,
        lc_report::indicators_csv(&report),
    ))
}

async fn execute(
    st: &Arc<AppState>,
    job: &Arc<Job>,
    graph: Arc<lc_network::Graph>,
    actor: &Actor,
) -> Result<Outcome, JobError> {
    let (key, label, _) = STEPS[0];
    let t = Instant::now();
    job.begin(key, label, None);
    let read_at = st.clock.now_ms();
    let (reg, unknown) = read_registry(st).await?;
    job.state().inputs = json!({
        "communities": reg.communities.len(),
        "facilities": reg.facilities.len(),
        "facilities_unknown_category": unknown,
        "divisions": reg.divisions.len(),
    });
    job.end_step(key, label, t.elapsed().as_secs_f64());
    if job.cancel.is_cancelled() {
        return Ok(Outcome::Cancelled);
    }
    let counts = (reg.communities.len(), reg.facilities.len());
    let j = job.clone();
    let computed =
        tokio::task::spawn_blocking(move || compute(&graph, &reg, &JobObserver(&j))).await;
    let (short_csv, ind_csv) = match computed {
        Ok(Ok(x)) => x,
        Ok(Err(e)) if e.code == "cancelled" => return Ok(Outcome::Cancelled),
        Ok(Err(e)) => return Err(e),
        Err(e) => return Err(AppError::internal(e).into()),
    };
    if job.cancel.is_cancelled() {
        return Ok(Outcome::Cancelled);
    }
    let (key, label, _) = STEPS[4];
    let t = Instant::now();
    job.begin(key, label, None);
    let shortcomings = csv_objects(&short_csv, "shortcomings.csv")?.1;
    let indicators = csv_objects(&ind_csv, "indicators.csv")?.1;
    let mut tx = st.store.begin().await?;
    let run_id = insert_run(
        &mut tx,
        &NewRun {
            created_at: read_at,
            created_by: actor.user_id,
            label: &job.label,
            community_col: "community_id",
            shortcomings: &shortcomings,
            indicators: &indicators,
        },
    )
    .await?;
    tx.audit(
        actor,
        "run",
        "assessment",
        &run_id.to_string(),
        json!({"job": job.id, "communities": counts.0, "facilities": counts.1,
            "shortcomings": shortcomings.len(), "indicators": indicators.len()}),
    )
    .await?;
    // The last point a cancellation is honoured: nothing is stored.
    if job.cancel.is_cancelled() {
        drop(tx);
        return Ok(Outcome::Cancelled);
    }
    tx.commit().await?;
    job.end_step(key, label, t.elapsed().as_secs_f64());
    Ok(Outcome::Done(run_id))
}

fn find_job(st: &AppState, id: &str) -> ApiResult<Arc<Job>> {
    st.assessment_jobs
        .get(id)
        .ok_or_else(|| AppError::not_found("assessment job", id))
}

#[utoipa::path(get, path = "/api/assessments/jobs/{id}", tag = "assessments", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn get_job(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(find_job(&st, &id)?.to_json()))
}

#[utoipa::path(get, path = "/api/assessments/jobs", tag = "assessments",
    responses((status = 200, body = Object), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn list_jobs(State(st): State<Arc<AppState>>) -> ApiResult<Json<Value>> {
    let items: Vec<Value> = st
        .assessment_jobs
        .list()
        .iter()
        .map(|j| j.to_json())
        .collect();
    Ok(Json(json!({ "items": items })))
}

#[utoipa::path(post, path = "/api/assessments/jobs/{id}/cancel", tag = "assessments", params(("id" = String, Path)),
    responses((status = 200, description = "The job, `cancel_requested` true; it ends as `cancelled` (nothing stored) unless its run was already stored", body = Object),
        (status = 409, description = "`wrong_status`: the job has ended", body = crate::error::ErrorSchema),
        (status = "default", body = crate::error::ErrorSchema)))]
pub async fn cancel_job(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let job = find_job(&st, &id)?;
    let status = job.status();
    if status != Status::Running {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            "wrong_status",
            format!("评估任务已结束（{}），不能取消", status.key()),
            format!(
                "the assessment job has ended ({}): nothing to cancel",
                status.key()
            ),
        ));
    }
    job.cancel.cancel();
    tracing::info!(job = %job.id, by = ?c.user.as_ref().map(|u| u.id), "assessment job cancel requested");
    Ok(Json(job.to_json()))
}
