//! A spot check from announcement to draw: the object pool frozen from the registry (outlets or
//! providers by category and division, each with its internal A–D class), the inspector pool and
//! the check items, their hashes and the seed commitment announced before the draw; the draw by
//! `lc_credit::draw` with the secret revealed and the public values announced; the manifest kept
//! for `livingcircle draw verify`; redraws with their reasons. Every step is logged.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use jiff::civil::Date;
use lc_credit::class;
use lc_credit::draw::{
    self, CheckItem, Inspector, ItemKind, Manifest, Object, Plan, PublicValue, Ratios, RiskClass,
    Seed,
};
use lc_registry::{Check, DivisionCode};
use lc_store::sqlx::{self, AnyConnection};
use lc_store::{from_row, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::pools::{self, list_of};
use super::{next_status, Action};
use crate::auth::Caller;
use crate::error::{ApiResult, AppError};
use crate::web;
use crate::AppState;

/// Working days within which results are published by default (DOMAIN.md §6.4).
pub const PUBLISH_WITHIN_DAYS: u32 = 20;

/// A spot check as stored, without its frozen plan and manifest.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct SpotCheckRow {
    pub id: i64,
    pub label: String,
    /// `announced`, `drawn`, `published` or `superseded`.
    pub status: String,
    /// `outlet` or `provider`.
    pub object_kind: String,
    /// The pool's filters: categories and division prefix.
    #[serde(serialize_with = "crate::web::json_text_plain")]
    #[schema(value_type = Object)]
    pub scope: String,
    pub objects_sha256: String,
    pub inspectors_sha256: String,
    /// SHA-256 of the secret, announced before the draw.
    pub seed_commitment: Option<String>,
    /// The future public values the seed takes, announced before the draw.
    #[serde(serialize_with = "crate::web::json_text_plain")]
    #[schema(value_type = Vec<String>)]
    pub public_value_sources: String,
    /// The day the draw is made (not before).
    pub draw_on: String,
    /// Working days after the last check within which the results are published.
    pub publish_within_days: i64,
    pub manifest_sha256: Option<String>,
    pub drawn_at: Option<i64>,
    pub publish_due: Option<String>,
    pub published_at: Option<i64>,
    /// The spot check this one redraws.
    pub redraw_of: Option<i64>,
    pub redraw_reason: Option<String>,
    pub superseded_by: Option<i64>,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}
from_row!(SpotCheckRow {
    id,
    label,
    status,
    object_kind,
    scope,
    objects_sha256,
    inspectors_sha256,
    seed_commitment,
    public_value_sources,
    draw_on,
    publish_within_days,
    manifest_sha256,
    drawn_at,
    publish_due,
    published_at,
    redraw_of,
    redraw_reason,
    superseded_by,
    created_by,
    created_at,
    updated_at,
    version
});

/// The columns of [`SpotCheckRow`].
pub const COLS: &str = "id, label, status, object_kind, scope, objects_sha256, inspectors_sha256, seed_commitment, public_value_sources, draw_on, publish_within_days, manifest_sha256, drawn_at, publish_due, published_at, redraw_of, redraw_reason, superseded_by, created_by, created_at, updated_at, version";

/// A spot check to announce.
#[derive(Debug, Default, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnnounceInput {
    /// e.g. `2026年第四季度养老服务机构双随机抽查`.
    pub label: Option<String>,
    /// `outlet` (facilities with a provider; the default) or `provider`.
    pub object_kind: Option<String>,
    /// Facility categories (outlets) or provider kinds (providers); all when empty.
    #[serde(default)]
    pub categories: Vec<String>,
    /// A division code prefix (1–12 digits); the whole registry when absent.
    pub division_code: Option<String>,
    /// Codes of active check items.
    #[serde(default)]
    pub check_items: Vec<String>,
    /// Per class in basis points; the Daqing table's defaults when absent.
    #[schema(value_type = Option<Object>)]
    pub ratios: Option<Ratios>,
    /// At least 2 (the default).
    pub inspectors_per_object: Option<u32>,
    /// Lower-case hex SHA-256 of a secret kept until the draw (`printf %s SECRET | sha256sum`).
    pub seed_commitment: Option<String>,
    /// Where future public values will be announced, e.g. `中国福利彩票3D 第2026335期`.
    #[serde(default)]
    pub public_value_sources: Vec<String>,
    /// `YYYY-MM-DD`: the draw is made on or after this day.
    pub draw_on: Option<String>,
    /// Working days (1–60, default 20).
    pub publish_within_days: Option<u32>,
}

/// What the draw reveals.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DrawInput {
    /// The secret whose SHA-256 was announced.
    pub reveal: Option<String>,
    /// The announced public values, one per announced source.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub public_values: Vec<PublicValue>,
}

/// A redraw: why, and the seed of the new draw (announced anew).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedrawInput {
    pub reason: Option<String>,
    pub seed_commitment: Option<String>,
    #[serde(default)]
    pub public_value_sources: Vec<String>,
    pub draw_on: Option<String>,
}

/// An object left out of the pool, and why.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LeftOut {
    pub id: String,
    pub reason: String,
}

/// An announced spot check with the size of its pools.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Announced {
    #[serde(flatten)]
    pub spot_check: SpotCheckRow,
    pub objects: usize,
    pub inspectors: usize,
    /// Registry records not in the pool (no provider, no valid division code).
    pub left_out: Vec<LeftOut>,
}

/// A spot check with its results (regulators).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Detail {
    #[serde(flatten)]
    pub spot_check: SpotCheckRow,
    pub objects: usize,
    pub inspectors: usize,
    pub check_items: Vec<String>,
    pub results: Vec<super::results::ResultRow>,
}

/// The scope stored with a spot check (and reused by its redraw).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Scope {
    categories: Vec<String>,
    division_code: Option<String>,
    check_items: Vec<String>,
    ratios: Ratios,
    inspectors_per_object: u32,
}

fn commitment(ck: &mut Check, v: &Option<String>) -> Option<String> {
    let s = v.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
    let s = s.to_ascii_lowercase();
    if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        Some(s)
    } else {
        ck.fail(
            "seed_commitment",
            "invalid_commitment",
            "seed_commitment 应为 64 位十六进制的 SHA-256".into(),
            "seed_commitment must be a SHA-256 in 64 hexadecimal digits".into(),
        );
        None
    }
}

fn sources(ck: &mut Check, v: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, s) in v.iter().enumerate() {
        let field = format!("public_value_sources[{i}]");
        if let Some(t) = ck.text(&field, &Some(s.clone()), 200) {
            out.push(t);
        }
    }
    let n = out.len();
    out.sort();
    out.dedup();
    if out.len() != n {
        ck.fail(
            "public_value_sources",
            "duplicate",
            "public_value_sources 有重复".into(),
            "public_value_sources holds a source twice".into(),
        );
    }
    out
}

fn seed_fixed(ck: &mut Check, commitment: &Option<String>, sources: &[String]) {
    if commitment.is_none() && sources.is_empty() {
        ck.fail(
            "seed_commitment",
            "seed_required",
            "须事先固定随机种子：公布秘密的承诺（seed_commitment）和/或将来公布的公开数值来源（public_value_sources）".into(),
            "the seed must be fixed in advance: a commitment to a secret (seed_commitment) and/or sources of future public values (public_value_sources)".into(),
        );
    }
}

fn draw_error(e: draw::DrawError) -> AppError {
    match e {
        draw::DrawError::Invalid(errors) => web::invalid(errors),
        draw::DrawError::RevealMismatch { .. }
        | draw::DrawError::RevealMissing
        | draw::DrawError::CommitmentMissing => {
            AppError::field("reveal", "reveal_mismatch", e.zh(), e.en())
        }
        draw::DrawError::Unstaffable { .. } => AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unstaffable",
            e.zh(),
            e.en(),
        ),
        draw::DrawError::RatioAboveCap { .. } => {
            AppError::field("ratios", "ratio_above_cap", e.zh(), e.en())
        }
        _ => AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "draw_refused",
            e.zh(),
            e.en(),
        ),
    }
}

/// The class of each enterprise as stored; one without a stored class has the class its
/// records give today with no facts (A), as the class rules say for a clean record.
async fn classes(
    conn: &mut AnyConnection,
) -> ApiResult<std::collections::BTreeMap<String, RiskClass>> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT subject_uscc, risk_class FROM credit_classes")
            .fetch_all(conn)
            .await
            .map_err(StoreError::from)?;
    Ok(rows
        .into_iter()
        .filter_map(|(u, c)| RiskClass::from_key(&c).map(|c| (u, c)))
        .collect())
}

/// Freezes the pools of a scope from the registry.
async fn freeze(
    conn: &mut AnyConnection,
    object_kind: &str,
    scope: &Scope,
) -> ApiResult<(Vec<CheckItem>, Vec<Object>, Vec<Inspector>, Vec<LeftOut>)> {
    let items = pools::all_items(&mut *conn).await?;
    let mut check_items = Vec::new();
    let mut ck = Check::new();
    for (i, code) in scope.check_items.iter().enumerate() {
        match items.iter().find(|r| &r.code == code && r.active != 0) {
            Some(r) => check_items.push(CheckItem {
                code: r.code.clone(),
                name: r.name.clone(),
                kind: if r.kind == "key" {
                    ItemKind::Key
                } else {
                    ItemKind::General
                },
                qualifications: list_of(&r.qualifications),
            }),
            None => ck.fail(
                &format!("check_items[{i}]"),
                "unknown_reference",
                format!("没有在用的抽查事项 {code}"),
                format!("no active check item {code}"),
            ),
        }
    }
    if scope.check_items.is_empty() {
        ck.fail(
            "check_items",
            "required",
            "至少列出一项抽查事项".into(),
            "list at least one check item".into(),
        );
    }
    ck.finish().map_err(web::invalid)?;
    let known = classes(&mut *conn).await?;
    let clean = class::assess(class::builtin(), &Default::default()).class;
    let rows: Vec<(String, Option<String>, String, Option<String>)> = if object_kind == "outlet" {
        sqlx::query_as("SELECT f.id, f.provider_code, f.category, COALESCE(f.division_code, p.division_code) FROM facilities f LEFT JOIN providers p ON p.uscc = f.provider_code ORDER BY f.id")
            .fetch_all(&mut *conn)
            .await
    } else {
        sqlx::query_as("SELECT uscc, uscc, kind, division_code FROM providers ORDER BY uscc")
            .fetch_all(&mut *conn)
            .await
    }
    .map_err(StoreError::from)?;
    let mut objects = Vec::new();
    let mut left_out = Vec::new();
    for (id, provider, category, division) in rows {
        if !scope.categories.is_empty() && !scope.categories.contains(&category) {
            continue;
        }
        let division = division.filter(|d| DivisionCode::parse(d).is_ok());
        if let Some(prefix) = &scope.division_code {
            if !division
                .as_deref()
                .is_some_and(|d| d.starts_with(prefix.as_str()))
            {
                if division.is_none() {
                    left_out.push(LeftOut {
                        id,
                        reason: "没有有效的区划代码，无法判断是否在范围内 | no valid division code: cannot tell whether it is in scope".into(),
                    });
                }
                continue;
            }
        }
        let (Some(provider), Some(division)) = (provider, division) else {
            left_out.push(LeftOut {
                id,
                reason: "没有经营主体或有效的区划代码 | no provider or no valid division code"
                    .into(),
            });
            continue;
        };
        let class = known.get(&provider).copied().unwrap_or(clean);
        objects.push(Object {
            id,
            provider_code: provider,
            category,
            division_code: division,
            class,
        });
    }
    let inspectors = pools::active_inspectors(&mut *conn)
        .await?
        .into_iter()
        .map(|r| Inspector {
            id: r.code,
            name: r.name,
            department: r.department,
            qualifications: list_of(&r.qualifications),
            affiliation: r.affiliation,
            conflicts: list_of(&r.conflicts),
        })
        .collect();
    Ok((check_items, objects, inspectors, left_out))
}

/// Writes one line of a spot check's log.
pub async fn log(
    conn: &mut AnyConnection,
    id: i64,
    now: i64,
    c: &Caller,
    action: &str,
    detail: Value,
) -> ApiResult<()> {
    let actor = c
        .user
        .as_ref()
        .map(|u| format!("{}:{}", c.role().map(|r| r.key()).unwrap_or("-"), u.id))
        .unwrap_or_else(|| "system".into());
    sqlx::query("INSERT INTO spot_check_events (spot_check_id, at, actor, action, detail) VALUES ($1, $2, $3, $4, $5)")
        .bind(id)
        .bind(now)
        .bind(actor)
        .bind(action.to_string())
        .bind(detail.to_string())
        .execute(conn)
        .await
        .map_err(StoreError::from)?;
    Ok(())
}

/// Announces a spot check (in the caller's transaction): freezes the pools, checks the plan
/// (ratios against caps, staffing of every object) and stores it with the pool hashes.
#[allow(clippy::too_many_arguments)]
async fn announce_in(
    conn: &mut AnyConnection,
    c: &Caller,
    now: i64,
    label: String,
    object_kind: String,
    scope: Scope,
    commitment: Option<String>,
    sources: Vec<String>,
    draw_on: String,
    publish_within_days: u32,
    redraw: Option<(i64, Option<String>, String)>,
) -> ApiResult<Announced> {
    let (check_items, objects, inspectors, left_out) =
        freeze(&mut *conn, &object_kind, &scope).await?;
    if objects.is_empty() {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "empty_pool",
            "检查对象名录库为空：范围内没有符合条件的对象",
            "the object pool is empty: nothing in the registry matches the scope",
        ));
    }
    let plan = Plan {
        algorithm: draw::ALGORITHM.to_string(),
        label: label.clone(),
        // Replaced by the instant of the draw.
        drawn_at: jiff::Timestamp::from_millisecond(now)
            .map_err(AppError::internal)?
            .to_string(),
        check_items,
        objects,
        inspectors,
        ratios: scope.ratios,
        inspectors_per_object: scope.inspectors_per_object,
        seed: Seed {
            commitment: commitment.clone(),
            reveal: None,
            public_values: Vec::new(),
        },
        redraw_of: redraw.as_ref().and_then(|r| r.1.clone()),
        redraw_reason: redraw
            .as_ref()
            .filter(|r| r.1.is_some())
            .map(|r| r.2.clone()),
    };
    let hashes = draw::pool_hashes(&plan).map_err(draw_error)?;
    let (n_objects, n_inspectors) = (plan.objects.len(), plan.inspectors.len());
    let scope_text = serde_json::to_string(&scope).map_err(AppError::internal)?;
    let plan_text = serde_json::to_string(&plan).map_err(AppError::internal)?;
    let sources_text = serde_json::to_string(&sources).map_err(AppError::internal)?;
    let id: i64 = sqlx::query_scalar("INSERT INTO spot_checks (label, status, object_kind, scope, plan, objects_sha256, inspectors_sha256, seed_commitment, public_value_sources, draw_on, publish_within_days, redraw_of, redraw_reason, created_by, created_at, updated_at, version) VALUES ($1, 'announced', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, 0) RETURNING id")
        .bind(label)
        .bind(object_kind)
        .bind(scope_text)
        .bind(plan_text)
        .bind(hashes.objects_sha256.clone())
        .bind(hashes.inspectors_sha256.clone())
        .bind(commitment)
        .bind(sources_text)
        .bind(draw_on)
        .bind(i64::from(publish_within_days))
        .bind(redraw.as_ref().map(|r| r.0))
        .bind(redraw.as_ref().map(|r| r.2.clone()))
        .bind(c.user.as_ref().map(|u| u.id))
        .bind(now)
        .fetch_one(&mut *conn)
        .await
        .map_err(StoreError::from)?;
    log(
        &mut *conn,
        id,
        now,
        c,
        "announce",
        json!({"objects": n_objects, "inspectors": n_inspectors, "objects_sha256": hashes.objects_sha256, "inspectors_sha256": hashes.inspectors_sha256, "left_out": left_out.len(), "redraw_of": redraw.as_ref().map(|r| r.0)}),
    )
    .await?;
    let row = load(&mut *conn, id).await?;
    Ok(Announced {
        spot_check: row,
        objects: n_objects,
        inspectors: n_inspectors,
        left_out,
    })
}

/// A spot check by id.
pub async fn load(conn: &mut AnyConnection, id: i64) -> ApiResult<SpotCheckRow> {
    sqlx::query_as(&format!("SELECT {COLS} FROM spot_checks WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
        .map_err(StoreError::from)?
        .ok_or_else(|| AppError::not_found("spot check", &id.to_string()))
}

/// The id in a path.
pub fn path_id(id: &str) -> ApiResult<i64> {
    id.parse()
        .map_err(|_| AppError::not_found("spot check", id))
}

/// POST /api/spot-checks.
#[utoipa::path(post, path = "/api/spot-checks", tag = "inspections", request_body = AnnounceInput,
    responses((status = 201, body = Announced), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn announce(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Announced>)> {
    let input: AnnounceInput = web::json_body(&body)?;
    let mut ck = Check::new();
    let label = ck.text("label", &input.label, 200);
    let object_kind = match input.object_kind.as_deref().map(str::trim) {
        None | Some("") | Some("outlet") => "outlet".to_string(),
        Some("provider") => "provider".to_string(),
        Some(_) => {
            ck.fail(
                "object_kind",
                "invalid_kind",
                "object_kind 应为 outlet（服务网点）或 provider（经营主体）".into(),
                "object_kind must be outlet or provider".into(),
            );
            String::new()
        }
    };
    let division = match input.division_code.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(d) if lc_model::division::is_code_prefix(d) => Some(d.to_string()),
        Some(_) => {
            ck.fail(
                "division_code",
                "invalid_division",
                "division_code 应为 1-12 位数字的区划代码前缀".into(),
                "division_code must be a code prefix of 1-12 digits".into(),
            );
            None
        }
    };
    let mut categories: Vec<String> = input
        .categories
        .iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    categories.sort();
    categories.dedup();
    let mut items: Vec<String> = input
        .check_items
        .iter()
        .map(|s| s.trim().to_uppercase())
        .collect();
    items.sort();
    items.dedup();
    let per_object = input
        .inspectors_per_object
        .unwrap_or(draw::MIN_INSPECTORS_PER_OBJECT);
    if !(draw::MIN_INSPECTORS_PER_OBJECT..=10).contains(&per_object) {
        ck.fail(
            "inspectors_per_object",
            "out_of_range",
            "每个对象的检查人员应为 2 至 10 名".into(),
            "inspectors_per_object must be 2 to 10".into(),
        );
    }
    let ratios = input.ratios.unwrap_or_default();
    for (k, v) in [
        ("a", ratios.a),
        ("b", ratios.b),
        ("c", ratios.c),
        ("d", ratios.d),
    ] {
        if v > 10_000 {
            ck.fail(
                &format!("ratios.{k}"),
                "out_of_range",
                format!("ratios.{k} 为基点（万分比），不能超过 10000"),
                format!("ratios.{k} is in basis points and cannot exceed 10000"),
            );
        }
    }
    let commitment = commitment(&mut ck, &input.seed_commitment);
    let sources = sources(&mut ck, &input.public_value_sources);
    seed_fixed(&mut ck, &commitment, &sources);
    let draw_on = ck.date("draw_on", &input.draw_on);
    let within = input.publish_within_days.unwrap_or(PUBLISH_WITHIN_DAYS);
    if !(1..=60).contains(&within) {
        ck.fail(
            "publish_within_days",
            "out_of_range",
            "publish_within_days 应为 1 至 60 个工作日".into(),
            "publish_within_days must be 1 to 60 working days".into(),
        );
    }
    let today = web::today(&st)?;
    if let Some(d) = draw_on.as_deref().and_then(|d| d.parse::<Date>().ok()) {
        if d < today {
            ck.fail(
                "draw_on",
                "in_the_past",
                "抽取日期不能早于今天（种子须事先固定）".into(),
                "draw_on cannot be before today (the seed is fixed in advance)".into(),
            );
        }
    }
    ck.finish().map_err(web::invalid)?;
    let (Some(label), Some(draw_on)) = (label, draw_on) else {
        return Err(AppError::internal("checked fields missing"));
    };
    let scope = Scope {
        categories,
        division_code: division,
        check_items: items,
        ratios,
        inspectors_per_object: per_object,
    };
    let now = st.clock.now_ms();
    let mut tx = st.store.begin().await?;
    let out = announce_in(
        tx.conn(),
        &c,
        now,
        label,
        object_kind,
        scope,
        commitment,
        sources,
        draw_on,
        within,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// The stored plan of a spot check.
async fn plan_of(conn: &mut AnyConnection, id: i64) -> ApiResult<Plan> {
    let text: String = sqlx::query_scalar("SELECT plan FROM spot_checks WHERE id = $1")
        .bind(id)
        .fetch_one(conn)
        .await
        .map_err(StoreError::from)?;
    serde_json::from_str(&text)
        .map_err(|e| AppError::internal(format!("stored plan of spot check {id}: {e}")))
}

/// The stored manifest of a drawn spot check.
pub async fn manifest_of(conn: &mut AnyConnection, id: i64) -> ApiResult<Option<Manifest>> {
    let text: Option<String> = sqlx::query_scalar("SELECT manifest FROM spot_checks WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
        .map_err(StoreError::from)?
        .flatten();
    text.map(|t| {
        serde_json::from_str(&t)
            .map_err(|e| AppError::internal(format!("stored manifest of spot check {id}: {e}")))
    })
    .transpose()
}

fn wrong_status(row: &SpotCheckRow, action: Action) -> AppError {
    AppError::new(
        StatusCode::CONFLICT,
        "wrong_status",
        format!(
            "抽查 {} 当前状态为 {}，不能{}",
            row.id,
            super::status_zh(&row.status),
            action.zh()
        ),
        format!(
            "spot check {} is {}: it cannot be {}",
            row.id,
            row.status,
            action.en()
        ),
    )
}

/// POST /api/spot-checks/{id}/draw.
#[utoipa::path(post, path = "/api/spot-checks/{id}/draw", tag = "inspections", request_body = DrawInput,
    params(("id" = i64, Path, description = "Spot check id")),
    responses((status = 200, body = Object, description = "The public result of the draw and the manifest's hash"), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn make_draw(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let input: DrawInput = web::json_body(&body)?;
    let expected = web::if_match(&headers)?;
    let key = path_id(&id)?;
    let now = st.clock.now_ms();
    let today = web::today(&st)?;
    let mut tx = st.store.begin().await?;
    let row = load(tx.conn(), key).await?;
    if expected.is_some_and(|v| v != row.version) {
        return Err(web::conflict("spot check", &id));
    }
    let next =
        next_status(&row.status, Action::Draw).ok_or_else(|| wrong_status(&row, Action::Draw))?;
    if row.draw_on.as_str() > today.to_string().as_str() {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            "too_early",
            format!("抽取日期为 {}，今天还不能抽取", row.draw_on),
            format!(
                "the draw is announced for {}: it cannot be made before",
                row.draw_on
            ),
        ));
    }
    let announced: BTreeSet<String> = list_of(&row.public_value_sources).into_iter().collect();
    let given: BTreeSet<String> = input
        .public_values
        .iter()
        .map(|p| p.source.trim().to_string())
        .collect();
    if announced != given || given.len() != input.public_values.len() {
        return Err(AppError::field(
            "public_values",
            "sources_mismatch",
            format!(
                "公开数值须与事先公布的来源一一对应：{}",
                announced.iter().cloned().collect::<Vec<_>>().join("、")
            ),
            format!(
                "the public values must match the sources announced before the draw, one each: {}",
                announced.iter().cloned().collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    let mut plan = plan_of(tx.conn(), key).await?;
    plan.drawn_at = jiff::Timestamp::from_millisecond(now)
        .map_err(AppError::internal)?
        .to_string();
    plan.seed = Seed {
        commitment: row.seed_commitment.clone(),
        reveal: input.reveal.clone().filter(|s| !s.trim().is_empty()),
        public_values: input.public_values,
    };
    let manifest = draw::draw(&plan).map_err(draw_error)?;
    if manifest.objects_sha256 != row.objects_sha256
        || manifest.inspectors_sha256 != row.inspectors_sha256
    {
        return Err(AppError::internal(format!(
            "spot check {key}: the pools changed since they were announced"
        )));
    }
    let sha = manifest.sha256();
    let text = serde_json::to_string(&manifest).map_err(AppError::internal)?;
    let done = sqlx::query("UPDATE spot_checks SET status = $2, manifest = $3, manifest_sha256 = $4, drawn_at = $5, updated_at = $5, version = version + 1 WHERE id = $1 AND version = $6")
        .bind(key)
        .bind(next.to_string())
        .bind(text)
        .bind(sha.clone())
        .bind(now)
        .bind(row.version)
        .execute(tx.conn())
        .await
        .map_err(StoreError::from)?;
    if done.rows_affected() != 1 {
        return Err(web::conflict("spot check", &id));
    }
    for d in manifest.drawn() {
        sqlx::query("INSERT INTO spot_check_results (spot_check_id, object_id, provider_code, inspectors, updated_at, version) VALUES ($1, $2, $3, $4, $5, 0)")
            .bind(key)
            .bind(d.object.clone())
            .bind(d.provider_code.clone())
            .bind(serde_json::to_string(&d.inspectors).map_err(AppError::internal)?)
            .bind(now)
            .execute(tx.conn())
            .await
            .map_err(StoreError::from)?;
    }
    let drawn = manifest.drawn().count();
    log(
        tx.conn(),
        key,
        now,
        &c,
        "draw",
        json!({"manifest_sha256": sha, "drawn": drawn}),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(json!({
        "id": key,
        "status": next,
        "manifest_sha256": sha,
        "drawn": drawn,
        "public_result": manifest.public_result(),
    })))
}

/// GET /api/spot-checks/{id}/manifest: the manifest `livingcircle draw verify` replays.
#[utoipa::path(get, path = "/api/spot-checks/{id}/manifest", tag = "inspections",
    params(("id" = i64, Path, description = "Spot check id")),
    responses((status = 200, body = Object, description = "The manifest (internal: holds every object's class)"), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn manifest(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let key = path_id(&id)?;
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let row = load(&mut conn, key).await?;
    let m = manifest_of(&mut conn, key).await?.ok_or_else(|| {
        AppError::new(
            StatusCode::CONFLICT,
            "not_drawn",
            format!("抽查 {} 尚未抽取", row.id),
            format!("spot check {} is not drawn yet", row.id),
        )
    })?;
    let text = serde_json::to_string_pretty(&m).map_err(AppError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"spot-check-{key}-manifest.json\""),
            ),
        ],
        text,
    )
        .into_response())
}

/// POST /api/spot-checks/{id}/redraw: announces a new spot check replacing this one, with the
/// reason; the pools are frozen anew and the seed is fixed anew.
#[utoipa::path(post, path = "/api/spot-checks/{id}/redraw", tag = "inspections", request_body = RedrawInput,
    params(("id" = i64, Path, description = "Spot check id")),
    responses((status = 201, body = Announced), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn redraw(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Announced>)> {
    let input: RedrawInput = web::json_body(&body)?;
    let expected = web::if_match(&headers)?;
    let key = path_id(&id)?;
    let mut ck = Check::new();
    let reason = ck.text("reason", &input.reason, 500);
    let commitment = commitment(&mut ck, &input.seed_commitment);
    let sources = sources(&mut ck, &input.public_value_sources);
    seed_fixed(&mut ck, &commitment, &sources);
    let draw_on = ck.date("draw_on", &input.draw_on);
    let today = web::today(&st)?;
    if draw_on
        .as_deref()
        .and_then(|d| d.parse::<Date>().ok())
        .is_some_and(|d| d < today)
    {
        ck.fail(
            "draw_on",
            "in_the_past",
            "抽取日期不能早于今天（种子须事先固定）".into(),
            "draw_on cannot be before today (the seed is fixed in advance)".into(),
        );
    }
    ck.finish().map_err(web::invalid)?;
    let (Some(reason), Some(draw_on)) = (reason, draw_on) else {
        return Err(AppError::internal("checked fields missing"));
    };
    let now = st.clock.now_ms();
    let mut tx = st.store.begin().await?;
    let row = load(tx.conn(), key).await?;
    if expected.is_some_and(|v| v != row.version) {
        return Err(web::conflict("spot check", &id));
    }
    next_status(&row.status, Action::Redraw).ok_or_else(|| wrong_status(&row, Action::Redraw))?;
    let recorded: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM spot_check_results WHERE spot_check_id = $1 AND outcome IS NOT NULL",
    )
    .bind(key)
    .fetch_one(tx.conn())
    .await
    .map_err(StoreError::from)?;
    if recorded > 0 {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            "results_recorded",
            format!("抽查 {key} 已登记 {recorded} 个检查结果，不能重新抽取"),
            format!("spot check {key} has {recorded} results recorded: it cannot be redrawn"),
        ));
    }
    let scope: Scope = serde_json::from_str(&row.scope)
        .map_err(|e| AppError::internal(format!("stored scope: {e}")))?;
    let out = announce_in(
        tx.conn(),
        &c,
        now,
        row.label.clone(),
        row.object_kind.clone(),
        scope,
        commitment,
        sources,
        draw_on,
        u32::try_from(row.publish_within_days).unwrap_or(PUBLISH_WITHIN_DAYS),
        Some((key, row.manifest_sha256.clone(), reason.clone())),
    )
    .await?;
    let done = sqlx::query("UPDATE spot_checks SET status = 'superseded', superseded_by = $2, updated_at = $3, version = version + 1 WHERE id = $1 AND version = $4")
        .bind(key)
        .bind(out.spot_check.id)
        .bind(now)
        .bind(row.version)
        .execute(tx.conn())
        .await
        .map_err(StoreError::from)?;
    if done.rows_affected() != 1 {
        return Err(web::conflict("spot check", &id));
    }
    sqlx::query("DELETE FROM spot_check_results WHERE spot_check_id = $1")
        .bind(key)
        .execute(tx.conn())
        .await
        .map_err(StoreError::from)?;
    log(tx.conn(), key, now, &c, "redraw", json!({"reason": reason, "superseded_by": out.spot_check.id, "manifest_sha256": row.manifest_sha256})).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// GET /api/spot-checks.
#[utoipa::path(get, path = "/api/spot-checks", tag = "inspections",
    responses((status = 200, body = Vec<SpotCheckRow>), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list(State(st): State<Arc<AppState>>) -> ApiResult<Json<Vec<SpotCheckRow>>> {
    Ok(Json(
        sqlx::query_as(&format!("SELECT {COLS} FROM spot_checks ORDER BY id DESC"))
            .fetch_all(st.store.pool())
            .await
            .map_err(StoreError::from)?,
    ))
}

/// GET /api/spot-checks/{id}.
#[utoipa::path(get, path = "/api/spot-checks/{id}", tag = "inspections",
    params(("id" = i64, Path, description = "Spot check id")),
    responses((status = 200, body = Detail), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn get_one(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Detail>> {
    let key = path_id(&id)?;
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    let row = load(&mut conn, key).await?;
    let plan = plan_of(&mut conn, key).await?;
    let results = super::results::of_check(&mut conn, key).await?;
    Ok(Json(Detail {
        spot_check: row,
        objects: plan.objects.len(),
        inspectors: plan.inspectors.len(),
        check_items: plan.check_items.iter().map(|i| i.code.clone()).collect(),
        results,
    }))
}

/// One line of a spot check's log.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventRow {
    pub id: i64,
    pub spot_check_id: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    #[serde(serialize_with = "crate::web::json_text_plain")]
    #[schema(value_type = Object)]
    pub detail: String,
}
from_row!(EventRow {
    id,
    spot_check_id,
    at,
    actor,
    action,
    detail
});

/// GET /api/spot-checks/{id}/events.
#[utoipa::path(get, path = "/api/spot-checks/{id}/events", tag = "inspections",
    params(("id" = i64, Path, description = "Spot check id")),
    responses((status = 200, body = Vec<EventRow>), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn events(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<EventRow>>> {
    let key = path_id(&id)?;
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    load(&mut conn, key).await?;
    Ok(Json(
        sqlx::query_as("SELECT id, spot_check_id, at, actor, action, detail FROM spot_check_events WHERE spot_check_id = $1 ORDER BY id")
            .bind(key)
            .fetch_all(&mut *conn)
            .await
            .map_err(StoreError::from)?,
    ))
}
