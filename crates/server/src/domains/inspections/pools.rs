//! 一单两库 minus the object pool: the check-item list (抽查事项清单, public) and the inspector pool
//! (执法检查人员名录库, with qualifications, affiliation and declared conflicts; regulators only).
//! The object pool is not kept here: each spot check freezes it from the registry when it is
//! announced (`checks.rs`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::{Extension, Json};
use lc_registry::{Check, Uscc};
use lc_store::sqlx::{self, AnyConnection};
use lc_store::{from_row, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::auth::Caller;
use crate::error::{ApiResult, AppError};
use crate::web;
use crate::AppState;

/// Longest code of a check item or an inspector.
const CODE_MAX: usize = 32;

/// A check item as stored.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct CheckItemRow {
    pub code: String,
    pub name: String,
    /// `key` (重点检查事项, unlimited ratio) or `general` (一般检查事项, limited).
    pub kind: String,
    /// Qualifications an inspector needs for this item.
    #[serde(serialize_with = "crate::web::json_text_plain")]
    #[schema(value_type = Vec<String>)]
    pub qualifications: String,
    /// The law or rule the check rests on.
    pub legal_basis: Option<String>,
    #[serde(serialize_with = "int_bool")]
    #[schema(value_type = bool)]
    pub active: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}
from_row!(CheckItemRow {
    code,
    name,
    kind,
    qualifications,
    legal_basis,
    active,
    created_at,
    updated_at,
    version
});

/// An inspector as stored.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct InspectorRow {
    pub code: String,
    pub name: String,
    pub department: String,
    #[serde(serialize_with = "crate::web::json_text_plain")]
    #[schema(value_type = Vec<String>)]
    pub qualifications: String,
    /// The enterprise (USCC) the inspector belongs to or works for, if any: never drawn for it.
    pub affiliation: Option<String>,
    /// Enterprises (USCC) the inspector declared a conflict of interest with: never drawn for them.
    #[serde(serialize_with = "crate::web::json_text_plain")]
    #[schema(value_type = Vec<String>)]
    pub conflicts: String,
    #[serde(serialize_with = "int_bool")]
    #[schema(value_type = bool)]
    pub active: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}
from_row!(InspectorRow {
    code,
    name,
    department,
    qualifications,
    affiliation,
    conflicts,
    active,
    created_at,
    updated_at,
    version
});

fn int_bool<S: serde::Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_bool(*v != 0)
}

const ITEM_COLS: &str =
    "code, name, kind, qualifications, legal_basis, active, created_at, updated_at, version";
const INSPECTOR_COLS: &str = "code, name, department, qualifications, affiliation, conflicts, active, created_at, updated_at, version";

/// A check item to create or change (absent fields keep their value on a change).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckItemInput {
    /// Upper-case letters, digits, `-` and `_` (given in lower case, it is upper-cased).
    pub code: Option<String>,
    pub name: Option<String>,
    /// `key` or `general`.
    pub kind: Option<String>,
    pub qualifications: Option<Vec<String>>,
    pub legal_basis: Option<String>,
    pub active: Option<bool>,
}

/// An inspector to create or change (absent fields keep their value on a change).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InspectorInput {
    pub code: Option<String>,
    pub name: Option<String>,
    pub department: Option<String>,
    pub qualifications: Option<Vec<String>>,
    /// USCC; `""` clears it on a change.
    pub affiliation: Option<String>,
    /// USCCs.
    pub conflicts: Option<Vec<String>>,
    pub active: Option<bool>,
}

/// A code: trimmed, upper-cased, 1–32 of `A-Z 0-9 - _`.
fn code(ck: &mut Check, field: &str, v: &Option<String>) -> Option<String> {
    let s = ck.text(field, v, CODE_MAX)?.to_uppercase();
    if s.chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        Some(s)
    } else {
        ck.fail(
            field,
            "invalid_code",
            format!("{field} 只能由大写字母、数字、- 和 _ 组成"),
            format!("{field} may hold only upper-case letters, digits, - and _"),
        );
        None
    }
}

/// A list of short texts (qualifications), trimmed, de-duplicated and sorted.
fn names(ck: &mut Check, field: &str, v: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, s) in v.iter().enumerate() {
        if let Some(t) = ck.text(&format!("{field}[{i}]"), &Some(s.clone()), 64) {
            out.push(t);
        }
    }
    out.sort();
    out.dedup();
    out
}

/// A list of unified social credit codes, checked, de-duplicated and sorted.
fn usccs(ck: &mut Check, field: &str, v: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, s) in v.iter().enumerate() {
        if let Some(u) = uscc(ck, &format!("{field}[{i}]"), s) {
            out.push(u);
        }
    }
    out.sort();
    out.dedup();
    out
}

fn uscc(ck: &mut Check, field: &str, s: &str) -> Option<String> {
    match Uscc::parse(s.trim()) {
        Ok(u) => Some(u.as_str().to_string()),
        Err(e) => {
            ck.fail(
                field,
                "invalid_uscc",
                format!("{field} 不是有效的统一社会信用代码：{e}"),
                format!("{field} is not a valid unified social credit code: {e}"),
            );
            None
        }
    }
}

fn kind(ck: &mut Check, v: &Option<String>) -> Option<String> {
    let s = ck.text("kind", v, 16)?;
    if s == "key" || s == "general" {
        Some(s)
    } else {
        ck.fail(
            "kind",
            "invalid_kind",
            "kind 应为 key（重点检查事项）或 general（一般检查事项）".into(),
            "kind must be key (重点检查事项) or general (一般检查事项)".into(),
        );
        None
    }
}

fn json_list(v: &[String]) -> ApiResult<String> {
    serde_json::to_string(v).map_err(AppError::internal)
}

/// Every check item (active and not), by code.
pub async fn all_items(conn: &mut AnyConnection) -> ApiResult<Vec<CheckItemRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {ITEM_COLS} FROM check_items ORDER BY code"
    ))
    .fetch_all(conn)
    .await
    .map_err(StoreError::from)?)
}

/// The active inspectors, by code.
pub async fn active_inspectors(conn: &mut AnyConnection) -> ApiResult<Vec<InspectorRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {INSPECTOR_COLS} FROM inspectors WHERE active = 1 ORDER BY code"
    ))
    .fetch_all(conn)
    .await
    .map_err(StoreError::from)?)
}

/// GET /api/check-items.
#[utoipa::path(get, path = "/api/check-items", tag = "inspections",
    responses((status = 200, body = Vec<CheckItemRow>), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn list_items(State(st): State<Arc<AppState>>) -> ApiResult<Json<Vec<CheckItemRow>>> {
    let mut conn = st.store.pool().acquire().await.map_err(StoreError::from)?;
    Ok(Json(all_items(&mut conn).await?))
}

/// POST /api/check-items.
#[utoipa::path(post, path = "/api/check-items", tag = "inspections", request_body = CheckItemInput,
    responses((status = 201, body = CheckItemRow), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create_item(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<CheckItemRow>)> {
    let input: CheckItemInput = web::json_body(&body)?;
    let mut tx = st.store.begin().await?;
    let row = create_item_in(&st, &mut tx, &c, &input).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// Checks and stores a check item in `tx` (audited): the API's rules, also for the demo seed.
pub async fn create_item_in(
    st: &AppState,
    tx: &mut lc_store::Tx,
    c: &Caller,
    input: &CheckItemInput,
) -> ApiResult<CheckItemRow> {
    let mut ck = Check::new();
    let code = code(&mut ck, "code", &input.code);
    let name = ck.text("name", &input.name, 200);
    let kind = kind(&mut ck, &input.kind);
    let quals = names(
        &mut ck,
        "qualifications",
        input.qualifications.as_deref().unwrap_or_default(),
    );
    let basis = ck.opt_text("legal_basis", &input.legal_basis, 500);
    ck.finish().map_err(web::invalid)?;
    let (Some(code), Some(name), Some(kind)) = (code, name, kind) else {
        return Err(AppError::internal("checked fields missing"));
    };
    let now = st.clock.now_ms();
    let row = CheckItemRow {
        code: code.clone(),
        name,
        kind,
        qualifications: json_list(&quals)?,
        legal_basis: basis,
        active: i64::from(input.active.unwrap_or(true)),
        created_at: now,
        updated_at: now,
        version: 0,
    };
    // A code stored already is a unique violation: 409 `conflict`.
    sqlx::query("INSERT INTO check_items (code, name, kind, qualifications, legal_basis, active, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, 0)")
        .bind(row.code.clone())
        .bind(row.name.clone())
        .bind(row.kind.clone())
        .bind(row.qualifications.clone())
        .bind(row.legal_basis.clone())
        .bind(row.active)
        .bind(now)
        .execute(tx.conn())
        .await
        .map_err(lc_store::sql::unique("check item code"))?;
    tx.audit(&c.actor(), "create", "check_item", &code, json!(row))
        .await?;
    Ok(row)
}

/// PATCH /api/check-items/{code}.
#[utoipa::path(patch, path = "/api/check-items/{code}", tag = "inspections", request_body = CheckItemInput,
    params(("code" = String, Path, description = "The item's code")),
    responses((status = 200, body = CheckItemRow), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn patch_item(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<CheckItemRow>> {
    let input: CheckItemInput = web::json_body(&body)?;
    let expected = web::if_match(&headers)?;
    let mut ck = Check::new();
    if input.code.is_some() {
        ck.fail(
            "code",
            "immutable",
            "抽查事项编码不能修改".into(),
            "a check item's code cannot be changed".into(),
        );
    }
    let name = input
        .name
        .as_ref()
        .and_then(|_| ck.text("name", &input.name, 200));
    let kind = input.kind.as_ref().and_then(|_| kind(&mut ck, &input.kind));
    let quals = input
        .qualifications
        .as_deref()
        .map(|q| names(&mut ck, "qualifications", q));
    let basis = ck.opt_text("legal_basis", &input.legal_basis, 500);
    ck.finish().map_err(web::invalid)?;
    let key = key.trim().to_uppercase();
    let mut tx = st.store.begin().await?;
    let before: CheckItemRow = sqlx::query_as(&format!(
        "SELECT {ITEM_COLS} FROM check_items WHERE code = $1"
    ))
    .bind(key.clone())
    .fetch_optional(tx.conn())
    .await
    .map_err(StoreError::from)?
    .ok_or_else(|| AppError::not_found("check item", &key))?;
    if expected.is_some_and(|v| v != before.version) {
        return Err(web::conflict("check item", &key));
    }
    let now = st.clock.now_ms();
    let after = CheckItemRow {
        name: name.unwrap_or_else(|| before.name.clone()),
        kind: kind.unwrap_or_else(|| before.kind.clone()),
        qualifications: match quals {
            Some(q) => json_list(&q)?,
            None => before.qualifications.clone(),
        },
        legal_basis: if input.legal_basis.is_some() {
            basis
        } else {
            before.legal_basis.clone()
        },
        active: input.active.map(i64::from).unwrap_or(before.active),
        updated_at: now,
        version: before.version + 1,
        ..before.clone()
    };
    let done = sqlx::query("UPDATE check_items SET name = $2, kind = $3, qualifications = $4, legal_basis = $5, active = $6, updated_at = $7, version = version + 1 WHERE code = $1 AND version = $8")
        .bind(key.clone())
        .bind(after.name.clone())
        .bind(after.kind.clone())
        .bind(after.qualifications.clone())
        .bind(after.legal_basis.clone())
        .bind(after.active)
        .bind(now)
        .bind(before.version)
        .execute(tx.conn())
        .await
        .map_err(StoreError::from)?;
    if done.rows_affected() != 1 {
        return Err(web::conflict("check item", &key));
    }
    tx.audit(
        &c.actor(),
        "update",
        "check_item",
        &key,
        web::changes(Some(&before), &after, &[]),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(after))
}

/// GET /api/inspectors.
#[utoipa::path(get, path = "/api/inspectors", tag = "inspections",
    responses((status = 200, body = Vec<InspectorRow>), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_inspectors(
    State(st): State<Arc<AppState>>,
) -> ApiResult<Json<Vec<InspectorRow>>> {
    Ok(Json(
        sqlx::query_as(&format!(
            "SELECT {INSPECTOR_COLS} FROM inspectors ORDER BY code"
        ))
        .fetch_all(st.store.pool())
        .await
        .map_err(StoreError::from)?,
    ))
}

/// POST /api/inspectors.
#[utoipa::path(post, path = "/api/inspectors", tag = "inspections", request_body = InspectorInput,
    responses((status = 201, body = InspectorRow), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create_inspector(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<InspectorRow>)> {
    let input: InspectorInput = web::json_body(&body)?;
    let mut tx = st.store.begin().await?;
    let row = create_inspector_in(&st, &mut tx, &c, &input).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// Checks and stores an inspector in `tx` (audited): the API's rules, also for the demo seed.
pub async fn create_inspector_in(
    st: &AppState,
    tx: &mut lc_store::Tx,
    c: &Caller,
    input: &InspectorInput,
) -> ApiResult<InspectorRow> {
    let mut ck = Check::new();
    let code = code(&mut ck, "code", &input.code);
    let name = ck.text("name", &input.name, 100);
    let department = ck.text("department", &input.department, 200);
    let quals = names(
        &mut ck,
        "qualifications",
        input.qualifications.as_deref().unwrap_or_default(),
    );
    let affiliation = match input.affiliation.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => uscc(&mut ck, "affiliation", s),
    };
    let conflicts = usccs(
        &mut ck,
        "conflicts",
        input.conflicts.as_deref().unwrap_or_default(),
    );
    ck.finish().map_err(web::invalid)?;
    let (Some(code), Some(name), Some(department)) = (code, name, department) else {
        return Err(AppError::internal("checked fields missing"));
    };
    let now = st.clock.now_ms();
    let row = InspectorRow {
        code: code.clone(),
        name,
        department,
        qualifications: json_list(&quals)?,
        affiliation,
        conflicts: json_list(&conflicts)?,
        active: i64::from(input.active.unwrap_or(true)),
        created_at: now,
        updated_at: now,
        version: 0,
    };
    sqlx::query("INSERT INTO inspectors (code, name, department, qualifications, affiliation, conflicts, active, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, 0)")
        .bind(row.code.clone())
        .bind(row.name.clone())
        .bind(row.department.clone())
        .bind(row.qualifications.clone())
        .bind(row.affiliation.clone())
        .bind(row.conflicts.clone())
        .bind(row.active)
        .bind(now)
        .execute(tx.conn())
        .await
        .map_err(lc_store::sql::unique("inspector code"))?;
    tx.audit(&c.actor(), "create", "inspector", &code, json!(row))
        .await?;
    Ok(row)
}

/// PATCH /api/inspectors/{code}.
#[utoipa::path(patch, path = "/api/inspectors/{code}", tag = "inspections", request_body = InspectorInput,
    params(("code" = String, Path, description = "The inspector's code")),
    responses((status = 200, body = InspectorRow), (status = "default", body = crate::error::ErrorSchema)),
    security(("bearer" = []), ("session" = [])))]
pub async fn patch_inspector(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<InspectorRow>> {
    let input: InspectorInput = web::json_body(&body)?;
    let expected = web::if_match(&headers)?;
    let mut ck = Check::new();
    if input.code.is_some() {
        ck.fail(
            "code",
            "immutable",
            "检查人员编码不能修改".into(),
            "an inspector's code cannot be changed".into(),
        );
    }
    let name = input
        .name
        .as_ref()
        .and_then(|_| ck.text("name", &input.name, 100));
    let department = input
        .department
        .as_ref()
        .and_then(|_| ck.text("department", &input.department, 200));
    let quals = input
        .qualifications
        .as_deref()
        .map(|q| names(&mut ck, "qualifications", q));
    let affiliation = match input.affiliation.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(s) => uscc(&mut ck, "affiliation", s).map(Some),
    };
    let conflicts = input
        .conflicts
        .as_deref()
        .map(|v| usccs(&mut ck, "conflicts", v));
    ck.finish().map_err(web::invalid)?;
    let key = key.trim().to_uppercase();
    let mut tx = st.store.begin().await?;
    let before: InspectorRow = sqlx::query_as(&format!(
        "SELECT {INSPECTOR_COLS} FROM inspectors WHERE code = $1"
    ))
    .bind(key.clone())
    .fetch_optional(tx.conn())
    .await
    .map_err(StoreError::from)?
    .ok_or_else(|| AppError::not_found("inspector", &key))?;
    if expected.is_some_and(|v| v != before.version) {
        return Err(web::conflict("inspector", &key));
    }
    let now = st.clock.now_ms();
    let after = InspectorRow {
        name: name.unwrap_or_else(|| before.name.clone()),
        department: department.unwrap_or_else(|| before.department.clone()),
        qualifications: match quals {
            Some(q) => json_list(&q)?,
            None => before.qualifications.clone(),
        },
        affiliation: affiliation.unwrap_or_else(|| before.affiliation.clone()),
        conflicts: match conflicts {
            Some(v) => json_list(&v)?,
            None => before.conflicts.clone(),
        },
        active: input.active.map(i64::from).unwrap_or(before.active),
        updated_at: now,
        version: before.version + 1,
        ..before.clone()
    };
    let done = sqlx::query("UPDATE inspectors SET name = $2, department = $3, qualifications = $4, affiliation = $5, conflicts = $6, active = $7, updated_at = $8, version = version + 1 WHERE code = $1 AND version = $9")
        .bind(key.clone())
        .bind(after.name.clone())
        .bind(after.department.clone())
        .bind(after.qualifications.clone())
        .bind(after.affiliation.clone())
        .bind(after.conflicts.clone())
        .bind(after.active)
        .bind(now)
        .bind(before.version)
        .execute(tx.conn())
        .await
        .map_err(StoreError::from)?;
    if done.rows_affected() != 1 {
        return Err(web::conflict("inspector", &key));
    }
    tx.audit(
        &c.actor(),
        "update",
        "inspector",
        &key,
        web::changes(Some(&before), &after, &[]),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(after))
}

/// Parses a stored JSON list of strings.
pub fn list_of(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}
