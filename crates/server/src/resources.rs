//! Helpers of the handlers that still read and write through the store's table descriptions
//! (accounts, assessments): pages of a table, a record by path key.

use std::collections::HashMap;

use axum::Json;
use lc_store::schema::{ColType, Table};
use lc_store::{Cond, ListQuery, Page};
use serde_json::{json, Map, Value};

use crate::error::{ApiResult, AppError};
use crate::AppState;

pub use crate::web::json_body;

/// `limit` (1-1000, default 50) and `offset` (default 0).
pub fn page_params(q: &HashMap<String, String>) -> ApiResult<(i64, i64)> {
    let num = |k: &str, d: i64, lo: i64, hi: i64| -> ApiResult<i64> {
        match q.get(k) {
            None => Ok(d),
            Some(s) => s
                .parse::<i64>()
                .ok()
                .filter(|v| (lo..=hi).contains(v))
                .ok_or_else(|| {
                    AppError::bad_request(
                        format!("参数 {k} 应为 {lo} 至 {hi} 的整数"),
                        format!("{k} must be an integer from {lo} to {hi}"),
                    )
                }),
        }
    };
    Ok((num("limit", 50, 1, 1000)?, num("offset", 0, 0, i64::MAX)?))
}

/// The paginated list envelope.
pub fn paged(items: Vec<Value>, total: i64, limit: i64, offset: i64) -> Value {
    json!({"items": items, "total": total, "limit": limit, "offset": offset})
}

/// One page of a table's rows matching `conds` (oldest first, or newest with `desc`), each
/// shown by `show`, in the list envelope.
pub async fn page_of(
    st: &AppState,
    t: &Table,
    conds: Vec<Cond>,
    (limit, offset): (i64, i64),
    desc: bool,
    show: impl FnMut(Map<String, Value>) -> Value,
) -> ApiResult<Json<Value>> {
    let Page { items, total } = st
        .store
        .list(
            t,
            ListQuery {
                conds,
                limit,
                offset,
                desc,
            },
        )
        .await?;
    Ok(Json(paged(
        items.into_iter().map(show).collect(),
        total,
        limit,
        offset,
    )))
}

/// A query-string filter's value with its column's type (integer columns take integers).
pub fn filter_value(t: &Table, f: &str, v: &str) -> ApiResult<Value> {
    match t.col(f).map(|c| c.ty) {
        Some(ColType::Int) => v.parse::<i64>().map(|i| json!(i)).map_err(|_| {
            AppError::bad_request(format!("{f} 应为整数"), format!("{f} must be an integer"))
        }),
        _ => Ok(json!(v)),
    }
}

/// The store key for a path parameter.
pub fn key_of(t: &Table, s: &str) -> ApiResult<Value> {
    match t.cols[0].ty {
        ColType::Int => s
            .parse::<i64>()
            .map(|i| json!(i))
            .map_err(|_| AppError::not_found(t.entity, s)),
        _ => Ok(json!(s)),
    }
}

/// The stored record of a path parameter, with its store key; 404 if there is none.
pub async fn fetch(st: &AppState, t: &Table, key: &str) -> ApiResult<(Value, Map<String, Value>)> {
    let k = key_of(t, key)?;
    let row = st
        .store
        .get(t, &k)
        .await?
        .ok_or_else(|| AppError::not_found(t.entity, key))?;
    Ok((k, row))
}
