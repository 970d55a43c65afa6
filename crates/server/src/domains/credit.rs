//! Credit records (信用记录, issue 13): administrative licences and penalties imported by
//! regulators in the 双公示 layout (`XK_`/`CF_` field codes, amounts in 万元), kept under each
//! enterprise's unified social credit code with the department that produced them; a penalty's
//! publicity (公示截止期) is worked out from the rule table on import, and credit repair (信用修复)
//! ends it early where the rules allow. The public sees licences and the penalties still within
//! their publicity, on the day asked, in the same layout.
//!
//! Imports are all-or-nothing (one transaction; a bad row names its line and field); a decision
//! document imported again is corrected in place (the unique index on kind and document number
//! keeps one record), unchanged rows are left alone. The rules (`lc_credit::sgs`,
//! `lc_credit::publicity`) are pure.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use jiff::civil::Date;
use lc_credit::publicity::{self, Publicity};
use lc_credit::sgs::{self, Licence, Penalty};
use lc_registry::{Access, Check, FieldError, Role};
use lc_store::sqlx::{self, AnyConnection};
use lc_store::{from_row, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::bulk;
use crate::endpoints::{ep, Endpoint, CSV, JSON};
use crate::error::{ApiResult, AppError};
use crate::web::{self, Paged};
use crate::AppState;

use Role::*;

/// The endpoints of this domain.
pub const ENDPOINTS: &[Endpoint] = &[
    ep!("POST", "/api/credit/penalties/import", Access::Roles(&[Regulator, Admin]), "", "credit", "Import administrative penalties in the 双公示 CF_ layout (CSV, header of field codes; amounts in 万元).", Some(CSV), JSON),
    ep!("POST", "/api/credit/licences/import", Access::Roles(&[Regulator, Admin]), "", "credit", "Import administrative licences in the 双公示 XK_ layout (CSV, header of field codes).", Some(CSV), JSON),
    ep!("GET", "/api/credit/records", Access::Roles(&[ProviderStaff, Regulator, Admin]), "provider staff: only their own provider's records (never its credit-risk class)", "credit", "Credit records with their publicity and repair.", None, JSON),
    ep!("POST", "/api/credit/records/{id}/repair", Access::Roles(&[Regulator, Admin]), "", "credit", "Credit repair: end a penalty's publicity early where the rules allow (If-Match).", Some(JSON), JSON),
    ep!("GET", "/api/public/penalties", Access::Public, "", "credit", "Penalties within their publicity today, in the 双公示 layout (format=json|csv).", None, JSON),
    ep!("GET", "/api/public/licences", Access::Public, "", "credit", "Administrative licences in the 双公示 layout (format=json|csv).", None, JSON),
];

/// The routes of this domain.
pub fn routes(max_body: usize) -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/api/credit/penalties/import",
            post(import_penalties).layer(axum::extract::DefaultBodyLimit::max(max_body)),
        )
        .route(
            "/api/credit/licences/import",
            post(import_licences).layer(axum::extract::DefaultBodyLimit::max(max_body)),
        )
        .route("/api/credit/records", get(list))
        .route("/api/credit/records/{id}/repair", post(repair))
        .route("/api/public/penalties", get(public_penalties))
        .route("/api/public/licences", get(public_licences))
}

/// A stored record.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct RecordRow {
    pub id: i64,
    /// `licence` or `penalty`.
    pub kind: String,
    pub subject_uscc: String,
    pub subject_name: String,
    /// The decision document's number (`XK_WSH` / `CF_WSH`).
    pub doc_number: String,
    pub decided: String,
    /// A licence's last valid day.
    pub valid_until: Option<String>,
    pub fine_fen: Option<i64>,
    pub confiscated_fen: Option<i64>,
    /// A penalty's areas for its publicity (JSON list).
    pub areas: Option<String>,
    /// A penalty's 公示截止期.
    pub public_until: Option<String>,
    /// The first day a repair may end its publicity.
    pub repair_from: Option<String>,
    /// The day a repair ended its publicity.
    pub repaired_on: Option<String>,
    pub repair_reason: Option<String>,
    /// The department that produced the record (数据来源单位).
    pub source: String,
    /// The layout's fields by code.
    #[serde(serialize_with = "crate::web::json_text_plain")]
    #[schema(value_type = Object)]
    pub fields: String,
    pub imported_at: i64,
    pub imported_by: Option<i64>,
    pub updated_at: i64,
    pub version: i64,
}
from_row!(RecordRow {
    id,
    kind,
    subject_uscc,
    subject_name,
    doc_number,
    decided,
    valid_until,
    fine_fen,
    confiscated_fen,
    areas,
    public_until,
    repair_from,
    repaired_on,
    repair_reason,
    source,
    fields,
    imported_at,
    imported_by,
    updated_at,
    version
});

macro_rules! cols {
    () => {
        "id, kind, subject_uscc, subject_name, doc_number, decided, valid_until, fine_fen, confiscated_fen, areas, public_until, repair_from, repaired_on, repair_reason, source, fields, imported_at, imported_by, updated_at, version"
    };
}

/// The rows of a CSV upload as field maps with their line numbers. The header is a row of
/// field codes; a UTF-8 byte-order mark is allowed.
pub(crate) fn csv_rows(body: &Bytes) -> ApiResult<Vec<(u64, BTreeMap<String, String>)>> {
    let text = std::str::from_utf8(body).map_err(|_| {
        AppError::field(
            "body",
            "invalid_file",
            "文件应为 UTF-8 编码的 CSV".into(),
            "the file must be CSV in UTF-8".into(),
        )
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut r = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.as_bytes());
    let header: Vec<String> = r
        .headers()
        .map_err(|e| {
            AppError::field(
                "line 1",
                "invalid_file",
                format!("表头无法读取：{e}"),
                format!("the header cannot be read: {e}"),
            )
        })?
        .iter()
        .map(|h| h.trim().to_ascii_uppercase())
        .collect();
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            AppError::field(
                &format!("line {line}"),
                "invalid_row",
                format!("第 {line} 行无法读取：{e}"),
                format!("line {line} cannot be read: {e}"),
            )
        })?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let m = header
            .iter()
            .zip(rec.iter())
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(h, v)| (h.clone(), v.to_string()))
            .collect();
        out.push((line, m));
    }
    if out.is_empty() {
        return Err(AppError::field(
            "body",
            "empty_file",
            "文件没有数据行".into(),
            "the file has no data rows".into(),
        ));
    }
    Ok(out)
}

/// Field errors of row `line`, named `line N: FIELD`.
pub(crate) fn at_line(line: u64, errors: Vec<FieldError>) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|e| FieldError {
            field: format!("line {line}: {}", e.field),
            message_zh: format!("第 {line} 行：{}", e.message_zh),
            message_en: format!("line {line}: {}", e.message_en),
            ..e
        })
        .collect()
}

/// A checked row, ready to store.
struct Checked {
    kind: &'static str,
    subject_uscc: String,
    subject_name: String,
    doc_number: String,
    decided: Date,
    valid_until: Option<Date>,
    fine_fen: Option<i64>,
    confiscated_fen: Option<i64>,
    areas: Option<String>,
    publicity: Option<Publicity>,
    source: String,
    fields: String,
}

impl From<Penalty> for Checked {
    fn from(p: Penalty) -> Checked {
        Checked {
            kind: "penalty",
            subject_name: p.fields.get("CF_XDR_MC").cloned().unwrap_or_default(),
            source: p.fields.get("CF_SJLY").cloned().unwrap_or_default(),
            subject_uscc: p.subject_uscc,
            doc_number: p.doc_number,
            decided: p.decided,
            valid_until: None,
            fine_fen: p.fine.map(|w| w.fen()),
            confiscated_fen: p.confiscated.map(|w| w.fen()),
            areas: serde_json::to_string(&p.areas).ok(),
            publicity: Some(p.publicity),
            fields: serde_json::to_string(&p.fields).unwrap_or_default(),
        }
    }
}

impl From<Licence> for Checked {
    fn from(l: Licence) -> Checked {
        Checked {
            kind: "licence",
            subject_name: l.fields.get("XK_XDR_MC").cloned().unwrap_or_default(),
            source: l.fields.get("XK_LYDW").cloned().unwrap_or_default(),
            subject_uscc: l.subject_uscc,
            doc_number: l.doc_number,
            decided: l.decided,
            valid_until: Some(l.valid_until),
            fine_fen: None,
            confiscated_fen: None,
            areas: None,
            publicity: None,
            fields: serde_json::to_string(&l.fields).unwrap_or_default(),
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportSummary {
    pub kind: String,
    pub rows: usize,
    pub created: usize,
    /// Documents imported before whose fields changed (corrections).
    pub updated: usize,
    pub unchanged: usize,
}

async fn store(
    st: &AppState,
    c: &Caller,
    rows: Vec<Checked>,
    kind: &str,
) -> ApiResult<ImportSummary> {
    let now = st.clock.now_ms();
    let mut tx = st.store.begin().await?;
    let (mut created, mut updated, mut unchanged) = (0, 0, 0);
    for r in &rows {
        let existing: Option<(i64, String)> = sqlx::query_as(
            "SELECT id, fields FROM credit_records WHERE kind = $1 AND doc_number = $2",
        )
        .bind(r.kind.to_string())
        .bind(r.doc_number.clone())
        .fetch_optional(tx.conn())
        .await
        .map_err(StoreError::from)?;
        let p = r.publicity;
        match existing {
            Some((_, fields)) if fields == r.fields => unchanged += 1,
            Some((id, _)) => {
                sqlx::query("UPDATE credit_records SET subject_uscc = $2, subject_name = $3, decided = $4, valid_until = $5, fine_fen = $6, confiscated_fen = $7, areas = $8, public_until = $9, repair_from = $10, source = $11, fields = $12, updated_at = $13, version = version + 1 WHERE id = $1")
                    .bind(id)
                    .bind(r.subject_uscc.clone())
                    .bind(r.subject_name.clone())
                    .bind(r.decided.to_string())
                    .bind(r.valid_until.map(|d| d.to_string()))
                    .bind(r.fine_fen)
                    .bind(r.confiscated_fen)
                    .bind(r.areas.clone())
                    .bind(p.map(|p| p.until.to_string()))
                    .bind(p.map(|p| p.repair_from.to_string()))
                    .bind(r.source.clone())
                    .bind(r.fields.clone())
                    .bind(now)
                    .execute(tx.conn())
                    .await
                    .map_err(StoreError::from)?;
                tx.audit(
                    &c.actor(),
                    "correct",
                    &format!("credit_{kind}"),
                    &r.doc_number,
                    json!({"doc_number": r.doc_number}),
                )
                .await?;
                updated += 1;
            }
            None => {
                sqlx::query("INSERT INTO credit_records (kind, subject_uscc, subject_name, doc_number, decided, valid_until, fine_fen, confiscated_fen, areas, public_until, repair_from, repaired_on, repair_reason, source, fields, imported_at, imported_by, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL, NULL, $12, $13, $14, $15, $14, 0)")
                    .bind(r.kind.to_string())
                    .bind(r.subject_uscc.clone())
                    .bind(r.subject_name.clone())
                    .bind(r.doc_number.clone())
                    .bind(r.decided.to_string())
                    .bind(r.valid_until.map(|d| d.to_string()))
                    .bind(r.fine_fen)
                    .bind(r.confiscated_fen)
                    .bind(r.areas.clone())
                    .bind(p.map(|p| p.until.to_string()))
                    .bind(p.map(|p| p.repair_from.to_string()))
                    .bind(r.source.clone())
                    .bind(r.fields.clone())
                    .bind(now)
                    .bind(c.user.as_ref().map(|u| u.id))
                    .execute(tx.conn())
                    .await
                    .map_err(lc_store::sql::unique("credit record"))?;
                created += 1;
            }
        }
    }
    // A penalty changes its enterprise's class: recomputed in this transaction.
    if kind == "penalty" {
        let subjects: std::collections::BTreeSet<&str> =
            rows.iter().map(|r| r.subject_uscc.as_str()).collect();
        super::risk::recompute_for(tx.conn(), subjects, now).await?;
    }
    tx.audit(
        &c.actor(),
        "import",
        &format!("credit_{kind}"),
        "*",
        json!({"rows": rows.len(), "created": created, "updated": updated, "unchanged": unchanged}),
    )
    .await?;
    tx.commit().await?;
    Ok(ImportSummary {
        kind: kind.into(),
        rows: rows.len(),
        created,
        updated,
        unchanged,
    })
}

/// Checks every row; all errors at once, by line and field.
fn check_rows<T>(
    rows: Vec<(u64, BTreeMap<String, String>)>,
    code: &str,
    read: impl Fn(&BTreeMap<String, String>) -> Result<T, Vec<FieldError>>,
    doc: impl Fn(&T) -> String,
) -> ApiResult<Vec<T>> {
    let mut errors = Vec::new();
    let mut out = Vec::new();
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    for (line, m) in rows {
        match read(&m) {
            Ok(t) => {
                let d = doc(&t);
                if let Some(first) = seen.insert(d.clone(), line) {
                    let mut c = Check::new();
                    c.fail(
                        code,
                        "duplicate",
                        format!("文书号 {d} 已在第 {first} 行出现"),
                        format!("document {d} already appears on line {first}"),
                    );
                    errors.extend(at_line(line, c.errors));
                }
                out.push(t);
            }
            Err(e) => errors.extend(at_line(line, e)),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(AppError::validation(errors))
    }
}

/// POST /api/credit/penalties/import.
#[utoipa::path(post, path = "/api/credit/penalties/import", tag = "credit",
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportSummary), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn import_penalties(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> ApiResult<Json<ImportSummary>> {
    let rows = csv_rows(&body)?;
    let rules = publicity::builtin();
    let checked = check_rows(
        rows,
        "CF_WSH",
        |m| Penalty::from_fields(m, rules),
        |p: &Penalty| p.doc_number.clone(),
    )?;
    let rows = checked.into_iter().map(Checked::from).collect();
    Ok(Json(store(&st, &c, rows, "penalty").await?))
}

/// POST /api/credit/licences/import.
#[utoipa::path(post, path = "/api/credit/licences/import", tag = "credit",
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportSummary), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn import_licences(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> ApiResult<Json<ImportSummary>> {
    let rows = csv_rows(&body)?;
    let checked = check_rows(rows, "XK_WSH", Licence::from_fields, |l: &Licence| {
        l.doc_number.clone()
    })?;
    let rows = checked.into_iter().map(Checked::from).collect();
    Ok(Json(store(&st, &c, rows, "licence").await?))
}

/// Filters of the record list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `licence` or `penalty`.
    pub kind: Option<String>,
    /// A unified social credit code.
    pub subject: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    pub page: web::PageQuery,
}

fn kind_param(v: &Option<String>) -> ApiResult<Option<String>> {
    match v.as_deref().filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(k @ ("licence" | "penalty")) => Ok(Some(k.to_string())),
        Some(_) => Err(AppError::bad_request(
            "kind 应为 licence 或 penalty",
            "kind must be licence or penalty",
        )),
    }
}

/// GET /api/credit/records.
#[utoipa::path(get, path = "/api/credit/records", tag = "credit", params(ListQuery, web::PageQuery),
    responses((status = 200, body = Paged<RecordRow>), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Paged<RecordRow>>> {
    let page = q.page.page()?;
    let kind = kind_param(&q.kind)?;
    let subject = q.subject.clone().filter(|s| !s.is_empty());
    // Provider staff read their own provider's records only (none without a provider).
    let u = c.user()?;
    let own = (u.role == ProviderStaff).then(|| u.provider_code.clone().unwrap_or_default());
    let wh = "WHERE ($1 IS NULL OR kind = $1) AND ($2 IS NULL OR subject_uscc = $2) AND ($3 IS NULL OR subject_uscc = $3)";
    let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM credit_records {wh}"))
        .bind(kind.clone())
        .bind(subject.clone())
        .bind(own.clone())
        .fetch_one(st.store.pool())
        .await
        .map_err(StoreError::from)?;
    let mut rows: Vec<RecordRow> = sqlx::query_as(&format!(
        "SELECT {} FROM credit_records {wh} ORDER BY id LIMIT $4 OFFSET $5",
        cols!()
    ))
    .bind(kind)
    .bind(subject)
    .bind(own.clone())
    .bind(page.limit)
    .bind(page.offset)
    .fetch_all(st.store.pool())
    .await
    .map_err(StoreError::from)?;
    if own.is_some() {
        // Which regulator's account imported a record is not the provider's to know.
        for r in &mut rows {
            r.imported_by = None;
        }
    }
    Ok(Json(Paged::new(rows, total, page)))
}

/// A credit repair decision.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RepairInput {
    /// The day the repair takes effect (default: today, Asia/Shanghai).
    #[serde(default)]
    pub on: Option<String>,
    /// Why (the corrected conduct, the repair commitment's code).
    #[serde(default)]
    pub reason: Option<String>,
    /// 特定严重失信行为: never repairable during publicity.
    #[serde(default)]
    pub specific_serious: Option<bool>,
}

/// POST /api/credit/records/{id}/repair.
#[utoipa::path(post, path = "/api/credit/records/{id}/repair", tag = "credit",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header, description = "The version the change is made against")),
    request_body = RepairInput,
    responses((status = 200, body = RecordRow), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn repair(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<RecordRow>> {
    let input: RepairInput = web::json_body(&body)?;
    let expected = web::if_match(&headers)?;
    let mut ck = Check::new();
    let reason = ck.text("reason", &input.reason, 500);
    let on = match input.on.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Some(web::today(&st)?),
        Some(s) => match s.parse::<Date>() {
            Ok(d) => Some(d),
            Err(_) => {
                ck.fail(
                    "on",
                    "invalid_date",
                    format!("on 应为日期 YYYY-MM-DD，而非 '{}'", lc_model::quote(s)),
                    format!("on must be a date YYYY-MM-DD, not '{}'", lc_model::quote(s)),
                );
                None
            }
        },
    };
    ck.finish().map_err(web::invalid)?;
    let (Some(on), Some(reason)) = (on, reason) else {
        return Err(AppError::internal("checked fields missing"));
    };
    let key: i64 = id
        .parse()
        .map_err(|_| AppError::not_found("credit record", &id))?;
    let mut tx = st.store.begin().await?;
    let row: RecordRow = sqlx::query_as(concat!(
        "SELECT ",
        cols!(),
        " FROM credit_records WHERE id = $1"
    ))
    .bind(key)
    .fetch_optional(tx.conn())
    .await
    .map_err(StoreError::from)?
    .ok_or_else(|| AppError::not_found("credit record", &id))?;
    if expected.is_some_and(|v| v != row.version) {
        return Err(web::conflict("credit record", &id));
    }
    let publicity = publicity_of(&row).ok_or_else(|| {
        AppError::new(
            StatusCode::CONFLICT,
            "not_a_penalty",
            "只有行政处罚可以信用修复以提前停止公示",
            "only a penalty's publicity can be ended early by credit repair",
        )
    })?;
    if row.repaired_on.is_some() {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            "publicity_ended",
            "该处罚已经信用修复",
            "this penalty has been repaired already",
        ));
    }
    publicity
        .may_repair(on, input.specific_serious.unwrap_or(false))
        .map_err(|e| {
            AppError::new(
                StatusCode::CONFLICT,
                e.code(),
                e.message_zh(),
                e.to_string(),
            )
        })?;
    let now = st.clock.now_ms();
    let done = sqlx::query("UPDATE credit_records SET repaired_on = $2, repair_reason = $3, updated_at = $4, version = version + 1 WHERE id = $1 AND version = $5")
        .bind(row.id)
        .bind(on.to_string())
        .bind(reason.clone())
        .bind(now)
        .bind(row.version)
        .execute(tx.conn())
        .await
        .map_err(StoreError::from)?;
    if done.rows_affected() != 1 {
        return Err(web::conflict("credit record", &id));
    }
    tx.audit(
        &c.actor(),
        "repair",
        "credit_penalty",
        &row.doc_number,
        json!({"on": on.to_string(), "reason": reason}),
    )
    .await?;
    tx.commit().await?;
    let row = RecordRow {
        repaired_on: Some(on.to_string()),
        repair_reason: Some(reason),
        updated_at: now,
        version: row.version + 1,
        ..row
    };
    Ok(Json(row))
}

/// A stored penalty's publicity.
fn publicity_of(r: &RecordRow) -> Option<Publicity> {
    if r.kind != "penalty" {
        return None;
    }
    Some(Publicity {
        from: r.decided.parse().ok()?,
        repair_from: r.repair_from.as_deref()?.parse().ok()?,
        until: r.public_until.as_deref()?.parse().ok()?,
    })
}

/// The public query.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PublicQuery {
    /// A unified social credit code.
    pub subject: Option<String>,
    /// `json` (default) or `csv` (the 双公示 layout).
    pub format: Option<String>,
}

async fn public_of(
    st: &AppState,
    q: &PublicQuery,
    kind: &str,
    columns: &[&str],
) -> ApiResult<Response> {
    let csv = web::csv_format(&q.format)?;
    let today = web::today(st)?;
    let subject = q.subject.clone().filter(|s| !s.is_empty());
    let mut conn = st.store.read_conn().await?;
    let rows: Vec<RecordRow> = public_rows(&mut conn, kind, subject, today).await?;
    let items: Vec<Value> = rows
        .iter()
        .map(|r| {
            let fields: BTreeMap<String, String> =
                serde_json::from_str(&r.fields).unwrap_or_default();
            columns
                .iter()
                .map(|c| {
                    let v = fields
                        .get(*c)
                        .cloned()
                        .map(Value::String)
                        .unwrap_or(Value::Null);
                    (c.to_string(), v)
                })
                .collect::<serde_json::Map<_, _>>()
                .into()
        })
        .collect();
    if csv {
        return bulk::csv_of_values(&format!("{kind}s-{today}.csv"), columns, &items);
    }
    Ok(
        Json(json!({"kind": kind, "on": today.to_string(), "count": items.len(), "items": items}))
            .into_response(),
    )
}

/// The records of a kind public on `today`: licences all; penalties from their decision date to
/// their 公示截止期 (inclusive) unless a repair ended it on or before today.
pub(crate) async fn public_rows(
    conn: &mut AnyConnection,
    kind: &str,
    subject: Option<String>,
    today: Date,
) -> ApiResult<Vec<RecordRow>> {
    let rows: Vec<RecordRow> = sqlx::query_as(concat!(
        "SELECT ",
        cols!(),
        " FROM credit_records WHERE kind = $1 AND ($2 IS NULL OR subject_uscc = $2) ORDER BY decided DESC, id"
    ))
    .bind(kind.to_string())
    .bind(subject)
    .fetch_all(conn)
    .await
    .map_err(StoreError::from)?;
    Ok(rows
        .into_iter()
        .filter(|r| match publicity_of(r) {
            None => true,
            Some(p) => p.is_public(today, r.repaired_on.as_deref().and_then(|d| d.parse().ok())),
        })
        .collect())
}

/// GET /api/public/penalties.
#[utoipa::path(get, path = "/api/public/penalties", tag = "credit", params(PublicQuery),
    responses((status = 200, description = "JSON, or CSV with format=csv", content((Object = "application/json"), (String = "text/csv"))), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn public_penalties(
    State(st): State<Arc<AppState>>,
    Query(q): Query<PublicQuery>,
) -> ApiResult<Response> {
    public_of(&st, &q, "penalty", sgs::PENALTY_PUBLIC).await
}

/// GET /api/public/licences.
#[utoipa::path(get, path = "/api/public/licences", tag = "credit", params(PublicQuery),
    responses((status = 200, description = "JSON, or CSV with format=csv", content((Object = "application/json"), (String = "text/csv"))), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn public_licences(
    State(st): State<Arc<AppState>>,
    Query(q): Query<PublicQuery>,
) -> ApiResult<Response> {
    public_of(&st, &q, "licence", sgs::LICENCE_PUBLIC).await
}
