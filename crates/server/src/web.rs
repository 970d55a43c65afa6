//! What every domain's handlers share: reading JSON bodies, pages of lists, the
//! compare-and-set precondition (`If-Match`), ID-number fingerprints and audit diffs.

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use lc_registry::{FieldError, ResidentId};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::auth::hmac_sha256_hex;
use crate::error::{ApiResult, AppError};
use crate::AppState;

/// [`json_body`] of an endpoint whose body may be left out: an empty body is `T::default()`.
pub fn optional_json_body<T: DeserializeOwned + Default>(body: &Bytes) -> ApiResult<T> {
    if body.is_empty() {
        Ok(T::default())
    } else {
        json_body(body)
    }
}

/// Parses a JSON body into `T`, with the API's error shape. A NUL character in any string
/// (or key) is refused as 400: no database column may hold it.
pub fn json_body<T: DeserializeOwned>(body: &Bytes) -> ApiResult<T> {
    let v = json_value(body)?;
    serde_json::from_value(v).map_err(bad_json)
}

fn bad_json(e: serde_json::Error) -> AppError {
    AppError::bad_request(
        format!("请求体不是有效的 JSON 或字段有误：{e}"),
        format!("the body is not valid JSON for this endpoint: {e}"),
    )
}

/// A JSON body as a value (NUL refused as in [`json_body`]).
pub fn json_value(body: &Bytes) -> ApiResult<Value> {
    let v: Value = serde_json::from_slice(body).map_err(bad_json)?;
    if let Some(path) = nul_at(&v, "") {
        return Err(AppError::bad_request(
            format!("请求体 {path} 含有 NUL 字符"),
            format!("the body holds a NUL character at {path}"),
        ));
    }
    Ok(v)
}

/// A JSON object body (a record to create or a patch).
pub fn json_object(body: &Bytes) -> ApiResult<Map<String, Value>> {
    match json_value(body)? {
        Value::Object(m) => Ok(m),
        _ => Err(AppError::bad_request(
            "请求体应为 JSON 对象",
            "the body must be a JSON object",
        )),
    }
}

/// Where a JSON value holds a NUL character (a JSON pointer), if anywhere.
fn nul_at(v: &Value, at: &str) -> Option<String> {
    match v {
        Value::String(s) => s.contains('\0').then(|| at.to_string()),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .find_map(|(i, x)| nul_at(x, &format!("{at}/{i}"))),
        Value::Object(m) => m.iter().find_map(|(k, x)| {
            if k.contains('\0') {
                Some(format!("{at}/(key)"))
            } else {
                nul_at(x, &format!("{at}/{k}"))
            }
        }),
        _ => None,
    }
}

/// `limit` (1-1000, default 50) and `offset` (default 0) of a list, as sent.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1-1000 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
    /// Rows to skip (default 0).
    #[param(value_type = Option<i64>, minimum = 0)]
    pub offset: Option<String>,
}

/// A checked page.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    /// Page size.
    pub limit: i64,
    /// Rows skipped.
    pub offset: i64,
}

impl PageQuery {
    /// The page, or 400.
    pub fn page(&self) -> ApiResult<Page> {
        let num = |k: &str, v: &Option<String>, d: i64, lo: i64, hi: i64| -> ApiResult<i64> {
            match v {
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
        Ok(Page {
            limit: num("limit", &self.limit, 50, 1, 1000)?,
            offset: num("offset", &self.offset, 0, 0, i64::MAX)?,
        })
    }
}

/// The paginated list envelope.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Paged<T> {
    /// This page.
    pub items: Vec<T>,
    /// How many match in all.
    pub total: i64,
    /// Page size.
    pub limit: i64,
    /// Rows skipped.
    pub offset: i64,
}

impl<T> Paged<T> {
    /// A page of items.
    pub fn new(items: Vec<T>, total: i64, page: Page) -> Paged<T> {
        Paged {
            items,
            total,
            limit: page.limit,
            offset: page.offset,
        }
    }
}

/// An optional query filter that must be an integer.
pub fn int_param(name: &str, v: &Option<String>) -> ApiResult<Option<i64>> {
    match v {
        None => Ok(None),
        Some(s) => s.parse::<i64>().map(Some).map_err(|_| {
            AppError::bad_request(
                format!("{name} 应为整数"),
                format!("{name} must be an integer"),
            )
        }),
    }
}

/// A `format` query parameter of a download: `json` (the default) or `csv`; `true` for CSV.
pub fn csv_format(v: &Option<String>) -> ApiResult<bool> {
    match v.as_deref() {
        None | Some("") | Some("json") => Ok(false),
        Some("csv") => Ok(true),
        Some(_) => Err(AppError::bad_request(
            "format 应为 json 或 csv",
            "format must be json or csv",
        )),
    }
}

/// An optional division-code prefix filter (1-12 digits).
pub fn division_param(v: &Option<String>) -> ApiResult<Option<String>> {
    match v.as_deref().filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(d) if lc_model::division::is_code_prefix(d) => Ok(Some(d.to_string())),
        Some(d) => Err(AppError::bad_request(
            format!("division 应为 1-12 位数字的区划代码前缀：{d}"),
            format!("division must be a code prefix of 1-12 digits: {d}"),
        )),
    }
}

/// The search text of `q`, if any (as a LIKE pattern of ASCII-folded text).
pub fn search_param(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .filter(|s| !s.is_empty())
        .map(lc_store::sql::search_pattern)
}

/// The version a PATCH is made against: `If-Match: "3"` (also `W/"3"` or `3`), or none.
///
/// With it, the update lands only if the record is still at that version; without it, only
/// if no one changed the record between this request's read and its write. Either way a lost
/// race is 409 `conflict`.
pub fn if_match(headers: &HeaderMap) -> ApiResult<Option<i64>> {
    let Some(v) = headers.get(axum::http::header::IF_MATCH) else {
        return Ok(None);
    };
    let s = v.to_str().unwrap_or("").trim();
    let s = s.strip_prefix("W/").unwrap_or(s);
    let s = s.trim_matches('"');
    s.parse::<i64>().map(Some).map_err(|_| {
        AppError::bad_request(
            "If-Match 应为记录的版本号（如 \"3\"）",
            "If-Match must be the record's version (e.g. \"3\")",
        )
    })
}

/// The server's day in China (Asia/Shanghai), from its clock.
pub fn today(st: &AppState) -> ApiResult<jiff::civil::Date> {
    lc_services::time::local_date(st.clock.now_ms()).map_err(AppError::internal)
}

/// 409: the record changed since the version the update was made against.
pub fn conflict(entity: &str, key: &str) -> AppError {
    AppError::new(
        StatusCode::CONFLICT,
        "conflict",
        format!("{entity} {key} 已被他人修改，请重新读取后再改"),
        format!("{entity} {key} was changed by someone else since the version this update was made against; read it again and retry"),
    )
}

/// 403 for a record outside the caller's scope.
pub fn forbidden_record(what: &str) -> AppError {
    AppError::forbidden(
        format!("无权访问此{what}记录"),
        format!("this {what} record is outside the caller's scope"),
    )
}

/// 422: a record named by a field does not exist.
pub fn unknown_reference(field: &str, entity: &str, key: &str) -> AppError {
    AppError::field(
        field,
        "unknown_reference",
        format!("{field} 引用的{entity} {key} 不存在"),
        format!("{field}: {entity} {key} does not exist"),
    )
}

/// The stored forms of an ID number: masked, and its keyed fingerprint.
pub fn fingerprint(st: &AppState, id: &ResidentId) -> (String, String) {
    (
        id.masked(),
        hmac_sha256_hex(&st.pii_key, id.fingerprint_input()),
    )
}

/// The stored forms of an ID number if one was sent: `(masked, fingerprint)`, both `None`
/// otherwise.
pub fn fingerprint_opt(st: &AppState, id: Option<&ResidentId>) -> (Option<String>, Option<String>) {
    match id {
        Some(rid) => {
            let (m, h) = fingerprint(st, rid);
            (Some(m), Some(h))
        }
        None => (None, None),
    }
}

/// Rows as JSON objects (exports).
pub fn to_values<T: Serialize>(rows: &[T]) -> Vec<Value> {
    rows.iter()
        .map(|r| serde_json::to_value(r).unwrap_or(Value::Null))
        .collect()
}

/// Field errors of a record, as the API's 422.
pub fn invalid(errors: Vec<FieldError>) -> AppError {
    AppError::validation(errors)
}

/// Columns that never appear in an audit diff (bookkeeping, or a secret's fingerprint).
const NOT_AUDITED: &[&str] = &["created_at", "updated_at", "version", "id_number_hash"];

/// What changed between two forms of a record, for the audit trail: `{field: {from, to}}`,
/// personal fields by name only (`"changed"`).
pub fn changes<T: Serialize>(before: Option<&T>, after: &T, personal: &[&str]) -> Value {
    let obj = |v: Option<Value>| match v {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    let before = obj(before.and_then(|b| serde_json::to_value(b).ok()));
    let after = obj(serde_json::to_value(after).ok());
    let mut out = Map::new();
    for (k, v) in &after {
        let old = before.get(k).unwrap_or(&Value::Null);
        if old == v || NOT_AUDITED.contains(&k.as_str()) {
            continue;
        }
        let personal = personal.contains(&k.as_str()) || k == "id_number_masked";
        out.insert(
            k.clone(),
            if personal {
                json!("changed")
            } else {
                json!({"from": old, "to": v})
            },
        );
    }
    Value::Object(out)
}

/// Serializes a JSON text column as the JSON it holds (`null` if it holds none).
pub fn json_text<S: serde::Serializer>(v: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    let parsed = v
        .as_deref()
        .and_then(|t| serde_json::from_str::<Value>(t).ok())
        .unwrap_or(Value::Null);
    parsed.serialize(s)
}

/// A JSON text column answered as the JSON it holds (null if it does not parse).
pub fn json_text_plain<S: serde::Serializer>(v: &str, s: S) -> Result<S::Ok, S::Error> {
    serde_json::from_str::<Value>(v)
        .unwrap_or(Value::Null)
        .serialize(s)
}

/// A list's `q` pattern, division prefix pattern and page, shared by the registry's lists.
pub struct Filter {
    /// `q` as a LIKE pattern over folded text.
    pub search: Option<String>,
    /// `division` as a LIKE prefix pattern.
    pub division: Option<String>,
    /// The page.
    pub page: Page,
}
