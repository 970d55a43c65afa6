//! The registry's resources (divisions, communities, facilities, providers, practitioners,
//! residents) behind one set of generic handlers: list/search with pagination and a division
//! prefix filter, read, create and update (merge-patch), each change audited in its
//! transaction, personal fields masked in lists, staff reads of them logged.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use lc_registry::records::{
    merge_patch, CommunityRecord, Division, FacilityRecord, PractitionerRecord, ProviderRecord,
    Record, ResidentRecord,
};
use lc_registry::{is_code_prefix, mask_name, mask_phone, DivisionCode, Role};
use lc_store::schema::{
    ColType, Table, ACCESS_LOG, COMMUNITIES, DIVISIONS, FACILITIES, PRACTITIONERS, PROVIDERS,
    RESIDENTS, USERS,
};
use lc_store::{now_ms, Cond, ListQuery, Page};
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};

use crate::auth::{hmac_sha256_hex, Caller, User};
use crate::error::{ApiResult, AppError};
use crate::AppState;

/// Parses a JSON body into `T`, with the API's error shape. A NUL character in any string
/// (or key) is refused as 400: no database column may hold it.
pub fn json_body<T: DeserializeOwned>(body: &Bytes) -> ApiResult<T> {
    let bad = |e: serde_json::Error| {
        AppError::bad_request(
            format!("请求体不是有效的 JSON 或字段有误：{e}"),
            format!("the body is not valid JSON for this endpoint: {e}"),
        )
    };
    let v: Value = serde_json::from_slice(body).map_err(bad)?;
    if let Some(path) = nul_at(&v, "") {
        return Err(AppError::bad_request(
            format!("请求体 {path} 含有 NUL 字符"),
            format!("the body holds a NUL character at {path}"),
        ));
    }
    serde_json::from_value(v).map_err(bad)
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

/// How a personal field is masked in lists.
#[derive(Debug, Clone, Copy)]
pub enum Mask {
    /// `张*`.
    Name,
    /// `138****5678`.
    Phone,
    /// Fully starred.
    Text,
}

/// A registry resource: its record checks (from `lc-registry`) plus storage and access rules.
pub trait Resource: Record + Send + Sync + 'static {
    /// Where it is stored.
    const TABLE: &'static Table;
    /// Columns searched by `q`.
    const SEARCH: &'static [&'static str];
    /// Column filtered by the `division` code prefix.
    const DIVISION_COL: Option<&'static str>;
    /// Query parameters that filter by equality on the column of the same name.
    const FILTERS: &'static [&'static str] = &[];
    /// Personal fields: masked in lists and exports; reads in full by staff are logged.
    const PERSONAL: &'static [(&'static str, Mask)] = &[];

    /// Conditions restricting the list to what the caller may see.
    fn scope(_c: &Caller) -> ApiResult<Vec<Cond>> {
        Ok(Vec::new())
    }
    /// Whether the caller may read this record.
    fn may_read(_c: &Caller, _row: &Map<String, Value>) -> bool {
        true
    }
    /// Whether the caller may write this record (checked on the stored and the new version).
    fn may_write(_c: &Caller, _row: &Map<String, Value>) -> bool {
        true
    }
    /// Whether the caller sees personal fields in full on a single read.
    fn full_detail(c: &Caller, _row: &Map<String, Value>) -> bool {
        c.user.is_some()
    }
    /// Fields the caller may change by PATCH (`None`: all).
    fn patchable(_c: &Caller) -> Option<&'static [&'static str]> {
        None
    }
    /// The column naming the provider or community a record belongs to: a new record of
    /// provider staff or a community worker that names none takes theirs
    /// ([`User::own_link`]).
    const OWNER_COL: Option<&'static str> = None;
    /// Columns naming other records, which must exist (checked on every write).
    const REFS: &'static [Reference] = &[];
    /// Whether an ID number is registered at most once in this table.
    const UNIQUE_ID_NUMBER: bool = false;
    /// Checks against the database beyond [`Resource::REFS`].
    fn extra_checks(
        _st: &AppState,
        _cols: &Map<String, Value>,
    ) -> impl Future<Output = ApiResult<()>> + Send {
        async { Ok(()) }
    }
}

/// A column that names another record: (column, the table whose key it holds, the field
/// reported when no such record exists).
pub type Reference = (&'static str, &'static Table, &'static str);

/// The division a record lies in.
const DIVISION_REF: Reference = ("division_code", &DIVISIONS, "division_code");

fn str_of<'a>(row: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    row.get(k).and_then(Value::as_str)
}

fn own_provider(c: &Caller, row: &Map<String, Value>, col: &str) -> bool {
    match &c.user {
        Some(u) if u.role == Role::ProviderStaff => {
            u.provider_code.is_some() && u.provider_code.as_deref() == str_of(row, col)
        }
        _ => true,
    }
}

fn forbidden_record(what: &str) -> AppError {
    AppError::forbidden(
        format!("无权访问此{what}记录"),
        format!("this {what} record is outside the caller's scope"),
    )
}

/// Checks a record against the database before it is written: its references exist, its
/// own further checks pass, and its ID number (if unique per table) is not registered to
/// another record than `key`.
async fn check_refs<R: Resource>(
    st: &AppState,
    cols: &Map<String, Value>,
    key: Option<&Value>,
) -> ApiResult<()> {
    for (col, t, field) in R::REFS {
        if let Some(k) = str_of(cols, col) {
            if st.store.get(t, &json!(k)).await?.is_none() {
                return Err(AppError::field(
                    field,
                    "unknown_reference",
                    format!("{field} 引用的{} {k} 不存在", t.entity),
                    format!("{field}: {} {k} does not exist", t.entity),
                ));
            }
        }
    }
    R::extra_checks(st, cols).await?;
    if R::UNIQUE_ID_NUMBER {
        no_duplicate_id(st, R::TABLE, cols, key).await?;
    }
    Ok(())
}

async fn no_duplicate_id(
    st: &AppState,
    t: &Table,
    cols: &Map<String, Value>,
    key: Option<&Value>,
) -> ApiResult<()> {
    let Some(h) = cols.get("id_number_hash").filter(|v| !v.is_null()) else {
        return Ok(());
    };
    if let Some(other) = st
        .store
        .find_one(t, vec![Cond::Eq("id_number_hash", h.clone())])
        .await?
    {
        if Some(&other["id"]) != key {
            return Err(AppError::new(
                StatusCode::CONFLICT,
                "conflict",
                "该身份证号码已登记",
                "a record with this ID number exists",
            ));
        }
    }
    Ok(())
}

/// Fills the caller's own provider or community into a new record that names none.
fn fill_owner<R: Resource>(c: &Caller, body: &mut Map<String, Value>) {
    if let Some((col, own)) = c.user.as_ref().and_then(User::own_link) {
        if R::OWNER_COL == Some(col) {
            body.entry(col).or_insert(json!(own));
        }
    }
}

impl Resource for Division {
    const TABLE: &'static Table = &DIVISIONS;
    const SEARCH: &'static [&'static str] = &["name"];
    const DIVISION_COL: Option<&'static str> = Some("code");
    const FILTERS: &'static [&'static str] = &["name", "level", "parent_code"];
    const REFS: &'static [Reference] = &[("parent_code", &DIVISIONS, "code")];
}

impl Resource for CommunityRecord {
    const TABLE: &'static Table = &COMMUNITIES;
    const SEARCH: &'static [&'static str] = &["name", "id"];
    const DIVISION_COL: Option<&'static str> = Some("division_code");
    const REFS: &'static [Reference] = &[DIVISION_REF];
    fn may_write(c: &Caller, row: &Map<String, Value>) -> bool {
        match &c.user {
            Some(u) if u.role == Role::CommunityWorker => {
                u.community_id.as_deref() == str_of(row, "id")
            }
            _ => true,
        }
    }
}

impl Resource for FacilityRecord {
    const TABLE: &'static Table = &FACILITIES;
    const SEARCH: &'static [&'static str] = &["name", "id", "address", "operator_name"];
    const DIVISION_COL: Option<&'static str> = Some("division_code");
    const FILTERS: &'static [&'static str] = &["category", "provider_code", "listing_number"];
    const OWNER_COL: Option<&'static str> = Some("provider_code");
    const REFS: &'static [Reference] = &[DIVISION_REF];
    fn may_write(c: &Caller, row: &Map<String, Value>) -> bool {
        own_provider(c, row, "provider_code")
    }
}

impl Resource for ProviderRecord {
    const TABLE: &'static Table = &PROVIDERS;
    const SEARCH: &'static [&'static str] = &["name", "uscc", "address"];
    const DIVISION_COL: Option<&'static str> = Some("division_code");
    const FILTERS: &'static [&'static str] = &["kind"];
    const PERSONAL: &'static [(&'static str, Mask)] =
        &[("contact_name", Mask::Name), ("contact_phone", Mask::Phone)];
    const REFS: &'static [Reference] = &[DIVISION_REF];
    fn may_write(c: &Caller, row: &Map<String, Value>) -> bool {
        own_provider(c, row, "uscc")
    }
    fn full_detail(c: &Caller, row: &Map<String, Value>) -> bool {
        match c.role() {
            Some(Role::Regulator | Role::Admin) => true,
            Some(Role::ProviderStaff) => own_provider(c, row, "uscc"),
            _ => false,
        }
    }
}

impl Resource for PractitionerRecord {
    const TABLE: &'static Table = &PRACTITIONERS;
    const SEARCH: &'static [&'static str] = &["name"];
    const DIVISION_COL: Option<&'static str> = None;
    const FILTERS: &'static [&'static str] = &["provider_code", "kind"];
    const PERSONAL: &'static [(&'static str, Mask)] =
        &[("name", Mask::Name), ("phone", Mask::Phone)];
    const OWNER_COL: Option<&'static str> = Some("provider_code");
    const REFS: &'static [Reference] = &[("provider_code", &PROVIDERS, "provider_code")];
    const UNIQUE_ID_NUMBER: bool = true;
    fn scope(c: &Caller) -> ApiResult<Vec<Cond>> {
        Ok(match &c.user {
            Some(u) if u.role == Role::ProviderStaff => {
                vec![Cond::Eq("provider_code", json!(u.provider_code))]
            }
            _ => Vec::new(),
        })
    }
    fn may_read(c: &Caller, row: &Map<String, Value>) -> bool {
        own_provider(c, row, "provider_code")
    }
    fn may_write(c: &Caller, row: &Map<String, Value>) -> bool {
        own_provider(c, row, "provider_code")
    }
}

const RESIDENT_SELF_FIELDS: &[&str] = &["phone", "address"];

impl Resource for ResidentRecord {
    const TABLE: &'static Table = &RESIDENTS;
    const SEARCH: &'static [&'static str] = &["name"];
    const DIVISION_COL: Option<&'static str> = None;
    const FILTERS: &'static [&'static str] = &["community_id"];
    const PERSONAL: &'static [(&'static str, Mask)] = &[
        ("name", Mask::Name),
        ("phone", Mask::Phone),
        ("address", Mask::Text),
    ];
    const OWNER_COL: Option<&'static str> = Some("community_id");
    const REFS: &'static [Reference] = &[("community_id", &COMMUNITIES, "community_id")];
    const UNIQUE_ID_NUMBER: bool = true;
    fn scope(c: &Caller) -> ApiResult<Vec<Cond>> {
        Ok(match &c.user {
            Some(u) if u.role == Role::CommunityWorker => {
                vec![Cond::Eq("community_id", json!(u.community_id))]
            }
            Some(u) if u.role == Role::Resident => vec![Cond::Eq("user_id", json!(u.id))],
            _ => Vec::new(),
        })
    }
    fn may_read(c: &Caller, row: &Map<String, Value>) -> bool {
        match &c.user {
            Some(u) if u.role == Role::CommunityWorker => {
                u.community_id.as_deref() == str_of(row, "community_id")
            }
            Some(u) if u.role == Role::Resident => {
                row.get("user_id").and_then(Value::as_i64) == Some(u.id)
            }
            Some(_) => true,
            None => false,
        }
    }
    fn may_write(c: &Caller, row: &Map<String, Value>) -> bool {
        Self::may_read(c, row)
    }
    fn patchable(c: &Caller) -> Option<&'static [&'static str]> {
        c.is(Role::Resident).then_some(RESIDENT_SELF_FIELDS)
    }
    async fn extra_checks(st: &AppState, cols: &Map<String, Value>) -> ApiResult<()> {
        if let Some(uid) = cols.get("user_id").and_then(Value::as_i64) {
            let u = st.store.get(&USERS, &json!(uid)).await?;
            if u.as_ref().and_then(|u| str_of(u, "role")) != Some("resident") {
                return Err(AppError::field(
                    "user_id",
                    "unknown_reference",
                    format!("user_id {uid} 不是居民账户"),
                    format!("user_id {uid} is not a resident account"),
                ));
            }
        }
        Ok(())
    }
}

/// A stored row as shown: internal columns dropped, JSON text columns parsed, personal
/// fields masked unless `full`.
pub fn present<R: Resource>(mut row: Map<String, Value>, full: bool) -> Value {
    row.remove("id_number_hash");
    for k in ["boundary", "certificates"] {
        if let Some(Value::String(s)) = row.get(k) {
            let v = serde_json::from_str(s).unwrap_or(Value::Null);
            row.insert(k.to_string(), v);
        }
    }
    if !full {
        for (f, m) in R::PERSONAL {
            if let Some(Value::String(s)) = row.get(*f) {
                let masked = match m {
                    Mask::Name => mask_name(s),
                    Mask::Phone => mask_phone(s),
                    Mask::Text => "*".repeat(s.chars().count().min(8)),
                };
                row.insert((*f).to_string(), json!(masked));
            }
        }
    }
    Value::Object(row)
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

/// Conditions from the query string: `q`, `division` prefix and the resource's filters.
pub fn list_conds<R: Resource>(c: &Caller, q: &HashMap<String, String>) -> ApiResult<Vec<Cond>> {
    let mut conds = R::scope(c)?;
    if let Some(s) = q.get("q").filter(|s| !s.is_empty()) {
        conds.push(Cond::Search(R::SEARCH, s.clone()));
    }
    if let Some(d) = q.get("division").filter(|s| !s.is_empty()) {
        let Some(col) = R::DIVISION_COL else {
            return Err(AppError::bad_request(
                "此资源不支持按区划筛选",
                "this resource has no division filter",
            ));
        };
        if !is_code_prefix(d) {
            return Err(AppError::bad_request(
                format!("division 应为 1-12 位数字的区划代码前缀：{d}"),
                format!("division must be a code prefix of 1-12 digits: {d}"),
            ));
        }
        conds.push(Cond::Prefix(col, d.clone()));
    }
    for f in R::FILTERS {
        if let Some(v) = q.get(*f) {
            let col = R::TABLE.col(f).map(|c| c.name).unwrap_or("id");
            conds.push(Cond::Eq(col, filter_value(R::TABLE, f, v)?));
        }
    }
    if R::TABLE.name == "facilities" {
        match q.get("listed").map(String::as_str) {
            Some("true") => conds.push(Cond::Gt("listing_number", json!(""))),
            Some("false") => conds.push(Cond::IsNull("listing_number")),
            _ => {}
        }
    }
    Ok(conds)
}

/// GET list.
pub async fn list<R: Resource>(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    let page = page_params(&q)?;
    let conds = list_conds::<R>(&c, &q)?;
    page_of(&st, R::TABLE, conds, page, false, |r| {
        present::<R>(r, false)
    })
    .await
}

/// Writes an access-log entry for a staff read of personal fields.
pub async fn log_access(
    st: &AppState,
    c: &Caller,
    entity: &str,
    entity_id: &str,
    fields: &[&str],
) -> ApiResult<()> {
    let Some(u) = c.user.as_ref().filter(|u| u.role.is_staff()) else {
        return Ok(());
    };
    let mut m = Map::new();
    m.insert("at".into(), json!(now_ms()));
    m.insert("user_id".into(), json!(u.id));
    m.insert("role".into(), json!(u.role.key()));
    m.insert("entity".into(), json!(entity));
    m.insert("entity_id".into(), json!(entity_id));
    m.insert("fields".into(), json!(fields.join(",")));
    m.insert("request_id".into(), json!(c.request_id));
    st.store.insert(&ACCESS_LOG, &m).await?;
    Ok(())
}

async fn read_one<R: Resource>(st: &AppState, c: &Caller, key: &str) -> ApiResult<Value> {
    let (_, row) = fetch(st, R::TABLE, key).await?;
    if !R::may_read(c, &row) {
        return Err(forbidden_record(R::ENTITY));
    }
    let full = R::full_detail(c, &row);
    let shown: Vec<&str> = R::PERSONAL
        .iter()
        .map(|(f, _)| *f)
        .filter(|f| row.get(*f).is_some_and(|v| !v.is_null()))
        .collect();
    if full && !shown.is_empty() {
        log_access(st, c, R::ENTITY, key, &shown).await?;
    }
    Ok(present::<R>(row, full))
}

/// GET one.
pub async fn get_one<R: Resource>(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(key): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(read_one::<R>(&st, &c, &key).await?))
}

fn validated<R: Resource>(st: &AppState, input: Value) -> ApiResult<Map<String, Value>> {
    let v = R::validate(input).map_err(AppError::validation)?;
    let mut cols = v.columns;
    if let Some(id) = v.resident_id {
        cols.insert("id_number_masked".into(), json!(id.masked()));
        cols.insert(
            "id_number_hash".into(),
            json!(hmac_sha256_hex(&st.pii_key, id.fingerprint_input())),
        );
    }
    Ok(cols)
}

/// What changed, for the audit trail: personal fields by name only.
pub(crate) fn changes<R: Resource>(
    before: &Map<String, Value>,
    after: &Map<String, Value>,
) -> Value {
    let mut out = Map::new();
    for (k, v) in after {
        let old = before.get(k).unwrap_or(&Value::Null);
        if old == v || k == "id_number_hash" {
            continue;
        }
        let personal = R::PERSONAL.iter().any(|(f, _)| f == k) || k == "id_number_masked";
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

/// POST create.
pub async fn create<R: Resource>(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let mut input: Value = json_body(&body)?;
    let Value::Object(obj) = &mut input else {
        return Err(AppError::bad_request(
            "请求体应为 JSON 对象",
            "the body must be a JSON object",
        ));
    };
    fill_owner::<R>(&c, obj);
    let cols = validated::<R>(&st, input)?;
    if !R::may_write(&c, &cols) {
        return Err(forbidden_record(R::ENTITY));
    }
    check_refs::<R>(&st, &cols, None).await?;
    let mut tx = st.store.begin().await?;
    let key = tx.insert(R::TABLE, &cols).await?;
    let key_s = match &key {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    tx.audit(
        &c.actor(),
        "create",
        R::ENTITY,
        &key_s,
        changes::<R>(&Map::new(), &cols),
    )
    .await?;
    tx.commit().await?;
    let row = st.store.get(R::TABLE, &key).await?.unwrap_or_default();
    Ok((
        StatusCode::CREATED,
        Json(present::<R>(row, c.user.is_some())),
    ))
}

/// PATCH update (merge): the stored record with the sent fields, checked as a whole.
pub async fn update<R: Resource>(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(key): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let (k, stored) = fetch(&st, R::TABLE, &key).await?;
    let patch: Value = json_body(&body)?;
    if !R::may_write(&c, &stored) {
        return Err(forbidden_record(R::ENTITY));
    }
    if let (Some(allowed), Value::Object(p)) = (R::patchable(&c), &patch) {
        if let Some(f) = p.keys().find(|f| !allowed.contains(&f.as_str())) {
            return Err(AppError::forbidden(
                format!("无权修改字段 {f}"),
                format!("the caller may not change {f}"),
            ));
        }
    }
    let merged = merge_patch::<R>(&stored, &patch).map_err(AppError::validation)?;
    let mut cols = validated::<R>(&st, merged)?;
    if !cols.contains_key("id_number_hash") {
        for f in ["id_number_masked", "id_number_hash"] {
            if let Some(v) = stored.get(f) {
                cols.insert(f.into(), v.clone());
            }
        }
    }
    if !R::may_write(&c, &cols) {
        return Err(forbidden_record(R::ENTITY));
    }
    check_refs::<R>(&st, &cols, Some(&k)).await?;
    let mut tx = st.store.begin().await?;
    tx.update(R::TABLE, &k, &cols).await?;
    tx.audit(
        &c.actor(),
        "update",
        R::ENTITY,
        &key,
        changes::<R>(&stored, &cols),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(read_one::<R>(&st, &c, &key).await?))
}

/// GET /api/divisions/{code}: the division with its chain of parents.
pub async fn get_division(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(code): Path<String>,
) -> ApiResult<Json<Value>> {
    let mut v = read_one::<Division>(&st, &c, &code).await?;
    let mut parents = Vec::new();
    let mut cur = DivisionCode::parse(&code).ok().and_then(|d| d.parent());
    while let Some(p) = cur {
        if let Some(row) = st.store.get(&DIVISIONS, &json!(p.as_str())).await? {
            parents.push(json!({"code": row["code"], "name": row["name"], "level": row["level"]}));
        }
        cur = p.parent();
    }
    parents.reverse();
    v["parents"] = Value::Array(parents);
    v["children"] = json!(
        st.store
            .count(&DIVISIONS, &[Cond::Eq("parent_code", json!(code))])
            .await?
    );
    Ok(Json(v))
}
