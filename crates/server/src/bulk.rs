//! Bulk data: imports and exports in the engine's CSV formats (through `lc-tables`, so the
//! platform and `livingcircle access/assess` read and write the same files), the same as Excel
//! workbooks (an uploaded `.xlsx` is read as the CSV of its first sheet), and the import of
//! assessment results.
//!
//! Coupling to `livingcircle assess`: an assessment run is imported from its
//! `shortcomings.csv` and `indicators.csv`. Only one column is interpreted, the community
//! (`community_id` or `community`) of each shortcoming; every other column is kept as it is,
//! so the assessment's columns can grow without a change here.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use lc_model::{Category, Community, Facility, LonLat};
use lc_registry::records::{CommunityRecord, FacilityRecord};
use lc_registry::FieldError;
use lc_store::schema::{Table, ASSESSMENT_ROWS, ASSESSMENT_RUNS, COMMUNITIES, DIVISIONS};
use lc_store::{now_ms, Cond, ListQuery};
use lc_tables::{Crs, TableError};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::auth::Caller;
use crate::error::{ApiResult, AppError};
use crate::resources::{json_body, list_conds, present, Resource};
use crate::AppState;

/// Rows of one export at most.
const EXPORT_LIMIT: i64 = 5_000_000;

fn crs_param(q: &HashMap<String, String>) -> ApiResult<Crs> {
    match q.get("crs").map(String::as_str) {
        None | Some("wgs84") => Ok(Crs::Wgs84),
        Some("gcj02") => Ok(Crs::Gcj02),
        Some("bd09") => Ok(Crs::Bd09),
        Some(other) => Err(AppError::bad_request(
            format!("crs 应为 wgs84、gcj02 或 bd09：{other}"),
            format!("crs must be wgs84, gcj02 or bd09: {other}"),
        )),
    }
}

/// Reads an uploaded CSV (or Excel workbook) with an `lc-tables` reader; errors become field
/// errors by line.
fn read_upload<T>(
    body: &Bytes,
    file: &str,
    read: impl FnOnce(&std::path::Path) -> Result<Vec<T>, lc_tables::TableError>,
) -> ApiResult<Vec<T>> {
    let dir = tempfile::tempdir().map_err(AppError::internal)?;
    let path = dir.path().join(file);
    // lc-tables reads an Excel workbook (its first sheet) or CSV text alike.
    std::fs::write(&path, body).map_err(AppError::internal)?;
    read(&path).map_err(|e| {
        let prefix = format!("{}/", dir.path().display());
        let rows = e.row_errors();
        if rows.is_empty() {
            let msg = e.to_string().replace(&prefix, "");
            return AppError::field(file, "invalid_file", format!("文件无法读取：{msg}"), msg);
        }
        AppError::validation(
            rows.iter()
                .map(|r| FieldError {
                    field: format!(
                        "line {}{}",
                        r.line,
                        r.field
                            .as_ref()
                            .map(|f| format!(": {f}"))
                            .unwrap_or_default()
                    ),
                    code: "invalid_row",
                    message_zh: format!("第 {} 行：{}", r.line, r.message),
                    message_en: format!("{} line {}: {}", file, r.line, r.message),
                })
                .collect(),
        )
    })
}

fn opt(v: Option<f64>) -> Value {
    v.map(|x| json!(x)).unwrap_or(Value::Null)
}

/// A resource exchanged in one of the engine's CSV formats (`lc-tables`), and as a workbook
/// with the same columns: imported, exported as CSV and exported as Excel by the same handlers.
pub trait Bulk: Resource {
    /// The engine's file (`communities.csv`).
    const FILE: &'static str;
    /// The engine's columns of that file (`lc-tables`), with whether each is required.
    const CSV_COLUMNS: &'static [(&'static str, bool)];
    /// Reads the engine's file: each row's id and its input object for the registry's checks.
    fn read(path: &std::path::Path, crs: Crs) -> Result<Vec<(String, Value)>, TableError>;
    /// Writes stored rows in the engine's format.
    fn write(rows: &[Map<String, Value>], out: &mut Vec<u8>) -> std::io::Result<()>;
}

impl Bulk for CommunityRecord {
    const FILE: &'static str = "communities.csv";
    const CSV_COLUMNS: &'static [(&'static str, bool)] = &lc_tables::COMMUNITY_COLUMNS;
    fn read(path: &std::path::Path, crs: Crs) -> Result<Vec<(String, Value)>, TableError> {
        Ok(lc_tables::read_communities(path, crs)?
            .into_iter()
            .map(|cm| {
                let v = json!({
                    "id": cm.id, "name": cm.name, "lon": cm.pos.lon, "lat": cm.pos.lat,
                    "population": cm.population, "households": opt(cm.households),
                    "elderly": opt(cm.elderly), "children_0_3": opt(cm.children_0_3),
                    "division_code": cm.division_code,
                });
                (cm.id, v)
            })
            .collect())
    }
    fn write(rows: &[Map<String, Value>], out: &mut Vec<u8>) -> std::io::Result<()> {
        let list: Vec<Community> = rows.iter().map(to_community).collect();
        lc_tables::write_communities_to(out, &list)
    }
}

impl Bulk for FacilityRecord {
    const FILE: &'static str = "facilities.csv";
    const CSV_COLUMNS: &'static [(&'static str, bool)] = &lc_tables::FACILITY_COLUMNS;
    fn read(path: &std::path::Path, crs: Crs) -> Result<Vec<(String, Value)>, TableError> {
        Ok(lc_tables::read_facilities(path, crs)?
            .into_iter()
            .map(|f| {
                let v = json!({
                    "id": f.id, "name": f.name, "category": f.category.key(), "lon": f.pos.lon,
                    "lat": f.pos.lat, "capacity": opt(f.capacity), "floor_area_m2": opt(f.floor_area_m2),
                    "provider_code": f.provider_code,
                });
                (f.id, v)
            })
            .collect())
    }
    fn write(rows: &[Map<String, Value>], out: &mut Vec<u8>) -> std::io::Result<()> {
        let list: Vec<Facility> = rows.iter().filter_map(to_facility).collect();
        lc_tables::write_facilities_to(out, &list)
    }
}

/// The record's fields that the engine's file lacks: kept when an import replaces a record,
/// exported to Excel after the engine's columns (but for the boundary, a GeoJSON geometry).
fn platform_fields<R: Bulk>() -> impl Iterator<Item = &'static str> {
    R::FIELDS
        .iter()
        .copied()
        .filter(|f| R::CSV_COLUMNS.iter().all(|(c, _)| c != f))
}

/// Checks every row with the registry's rules and division references; then upserts all in
/// one transaction with one audit entry. Returns how many records were new.
async fn import_rows<R: Bulk>(
    st: &AppState,
    c: &Caller,
    inputs: Vec<(String, Value)>,
) -> ApiResult<usize> {
    let mut errors = Vec::new();
    let mut rows = Vec::with_capacity(inputs.len());
    for (k, (id, input)) in inputs.into_iter().enumerate() {
        match R::validate(input) {
            Ok(v) => rows.push(v.columns),
            Err(es) => errors.extend(es.into_iter().map(|mut e| {
                e.field = format!("row {} (id {id}): {}", k + 1, e.field);
                e
            })),
        }
        if errors.len() >= 20 {
            break;
        }
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let codes: HashSet<&str> = rows
        .iter()
        .filter_map(|r| r.get("division_code")?.as_str())
        .collect();
    for code in codes {
        if st.store.get(&DIVISIONS, &json!(code)).await?.is_none() {
            errors.push(FieldError {
                field: "division_code".into(),
                code: "unknown_reference",
                message_zh: format!("区划代码 {code} 不在区划库中"),
                message_en: format!("division code {code} is not in the division registry"),
            });
        }
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let mut tx = st.store.begin().await?;
    let mut created = 0;
    let mut updated = 0;
    for mut r in rows {
        let key = r.get(R::TABLE.key).cloned().unwrap_or(Value::Null);
        let old = tx.get(R::TABLE, &key).await?;
        match &old {
            Some(old) => {
                for f in platform_fields::<R>() {
                    if r.get(f).is_none_or(Value::is_null) {
                        r.insert(f.to_string(), old.get(f).cloned().unwrap_or(Value::Null));
                    }
                }
            }
            None => created += 1,
        }
        tx.upsert(R::TABLE, &r).await?;
        // Each record created or overwritten is audited with what it was before.
        let before = old.clone().unwrap_or_default();
        let diff = crate::resources::changes::<R>(&before, &r);
        if old.is_none() || diff.as_object().is_some_and(|d| !d.is_empty()) {
            if old.is_some() {
                updated += 1;
            }
            let id = match &key {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let action = if old.is_some() {
                "import_update"
            } else {
                "import_create"
            };
            tx.audit(&c.actor(), action, R::ENTITY, &id, diff).await?;
        }
    }
    tx.audit(
        &c.actor(),
        "import",
        R::ENTITY,
        "*",
        json!({"created": created, "updated": updated}),
    )
    .await?;
    tx.commit().await?;
    Ok(created)
}

/// POST /api/communities/import, /api/facilities/import: the engine's CSV file (or a workbook
/// with its columns) as the body.
pub async fn import<R: Bulk>(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let crs = crs_param(&q)?;
    let inputs = read_upload(&body, R::FILE, |p| R::read(p, crs))?;
    let total = inputs.len();
    let created = import_rows::<R>(&st, &c, inputs).await?;
    Ok(Json(json!({"created": created, "imported": total})))
}

async fn all_rows<R: Resource>(
    st: &AppState,
    c: &Caller,
    q: &HashMap<String, String>,
) -> ApiResult<Vec<Map<String, Value>>> {
    let conds = list_conds::<R>(c, q)?;
    Ok(st
        .store
        .find(R::TABLE, ListQuery::new(conds, EXPORT_LIMIT))
        .await?)
}

fn f64_of(r: &Map<String, Value>, k: &str) -> Option<f64> {
    r.get(k).and_then(Value::as_f64)
}

fn s_of(r: &Map<String, Value>, k: &str) -> Option<String> {
    r.get(k).and_then(Value::as_str).map(str::to_string)
}

/// A stored community as the engine's `Community`.
pub fn to_community(r: &Map<String, Value>) -> Community {
    Community {
        id: s_of(r, "id").unwrap_or_default(),
        name: s_of(r, "name").unwrap_or_default(),
        pos: LonLat::new(
            f64_of(r, "lon").unwrap_or(0.0),
            f64_of(r, "lat").unwrap_or(0.0),
        ),
        population: f64_of(r, "population").unwrap_or(0.0),
        households: f64_of(r, "households"),
        elderly: f64_of(r, "elderly"),
        children_0_3: f64_of(r, "children_0_3"),
        division_code: s_of(r, "division_code"),
    }
}

/// A stored facility as the engine's `Facility` (`None` if its category is unknown to this build).
pub fn to_facility(r: &Map<String, Value>) -> Option<Facility> {
    Some(Facility {
        id: s_of(r, "id")?,
        name: s_of(r, "name").unwrap_or_default(),
        category: Category::from_key(r.get("category")?.as_str()?).ok()?,
        pos: LonLat::new(f64_of(r, "lon")?, f64_of(r, "lat")?),
        capacity: f64_of(r, "capacity"),
        floor_area_m2: f64_of(r, "floor_area_m2"),
        provider_code: s_of(r, "provider_code"),
        division_code: s_of(r, "division_code"),
    })
}

/// A file download.
fn attachment(content_type: &str, name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

fn csv_response(name: &str, bytes: Vec<u8>) -> Response {
    attachment("text/csv; charset=utf-8", name, bytes)
}

/// A cell as exported: a text that a spreadsheet would read as a formula (it begins with
/// `=`, `+`, `-`, `@`, a tab or a carriage return, and is not a plain number) gets a leading
/// `'`, so that `=HYPERLINK(…)` shows as text instead of running.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && cell.trim().parse::<f64>().is_err() {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// A CSV file with every cell [`neutralise`]d.
pub fn neutralise_csv(bytes: &[u8]) -> ApiResult<Vec<u8>> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut w = csv::Writer::from_writer(Vec::with_capacity(bytes.len()));
    for rec in r.records() {
        let rec = rec.map_err(AppError::internal)?;
        w.write_record(rec.iter().map(|c| neutralise(c).into_owned()))
            .map_err(AppError::internal)?;
    }
    w.into_inner().map_err(AppError::internal)
}

/// GET /api/communities/export.csv, /api/facilities/export.csv: the engine's format, with the
/// same filters as the list.
pub async fn export_csv<R: Bulk>(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let rows = all_rows::<R>(&st, &c, &q).await?;
    let mut buf = Vec::new();
    R::write(&rows, &mut buf).map_err(AppError::internal)?;
    Ok(csv_response(R::FILE, neutralise_csv(&buf)?))
}

/// Writes rows as one worksheet: the given columns, numbers as numbers.
pub fn xlsx(sheet: &str, cols: &[&str], rows: &[Value]) -> ApiResult<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_name(sheet).map_err(AppError::internal)?;
    for (j, c) in cols.iter().enumerate() {
        ws.write_string_with_format(0, j as u16, *c, &bold)
            .map_err(AppError::internal)?;
    }
    for (i, r) in rows.iter().enumerate() {
        let row = (i + 1) as u32;
        for (j, c) in cols.iter().enumerate() {
            let col = j as u16;
            match r.get(*c) {
                Some(Value::Number(n)) => {
                    ws.write_number(row, col, n.as_f64().unwrap_or(0.0))
                        .map_err(AppError::internal)?;
                }
                Some(Value::String(s)) => {
                    ws.write_string(row, col, neutralise(s))
                        .map_err(AppError::internal)?;
                }
                Some(Value::Null) | None => {}
                Some(other) => {
                    ws.write_string(row, col, other.to_string())
                        .map_err(AppError::internal)?;
                }
            }
        }
    }
    ws.set_freeze_panes(1, 0).map_err(AppError::internal)?;
    wb.save_to_buffer().map_err(AppError::internal)
}

/// GET /api/communities/export.xlsx, /api/facilities/export.xlsx: one sheet named after the
/// table, with the same filters as the list.
pub async fn export_xlsx<R: Bulk>(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let rows: Vec<Value> = all_rows::<R>(&st, &c, &q)
        .await?
        .into_iter()
        .map(|r| present::<R>(r, false))
        .collect();
    let cols: Vec<&str> = R::CSV_COLUMNS
        .iter()
        .map(|(c, _)| *c)
        .chain(platform_fields::<R>().filter(|f| *f != "boundary"))
        .collect();
    let sheet = R::TABLE.name;
    Ok(attachment(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("{sheet}.xlsx"),
        xlsx(sheet, &cols, &rows)?,
    ))
}

/// GET /api/residents/export.csv: masked, scoped to the caller's community.
pub async fn export_residents_csv(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    use lc_registry::records::ResidentRecord;
    let rows = all_rows::<ResidentRecord>(&st, &c, &q).await?;
    let cols = [
        "id",
        "community_id",
        "name",
        "phone",
        "id_number_masked",
        "address",
    ];
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(cols).map_err(AppError::internal)?;
    for r in rows {
        let v = present::<ResidentRecord>(r, false);
        let rec: Vec<String> = cols
            .iter()
            .map(|c| match &v[*c] {
                Value::String(s) => neutralise(s).into_owned(),
                Value::Null => String::new(),
                other => other.to_string(),
            })
            .collect();
        w.write_record(&rec).map_err(AppError::internal)?;
    }
    let buf = w.into_inner().map_err(AppError::internal)?;
    Ok(csv_response("residents.csv", buf))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssessmentUpload {
    label: Option<String>,
    shortcomings_csv: String,
    indicators_csv: Option<String>,
}

/// Parses a CSV text into (line, object of header → cell) rows.
type CsvRows = Vec<(u64, Map<String, Value>)>;

fn csv_objects(text: &str, file: &str) -> ApiResult<(Vec<String>, CsvRows)> {
    let mut rdr =
        csv::ReaderBuilder::new().from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| {
            AppError::field(
                file,
                "invalid_file",
                format!("{file} 表头无法读取：{e}"),
                format!("{file}: cannot read the header: {e}"),
            )
        })?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            AppError::field(
                file,
                "invalid_row",
                format!("{file}：{e}"),
                format!("{file}: {e}"),
            )
        })?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let mut m = Map::new();
        for (h, v) in headers.iter().zip(rec.iter()) {
            m.insert(h.clone(), json!(v));
        }
        out.push((line, m));
    }
    Ok((headers, out))
}

/// POST /api/assessments: `{label, shortcomings_csv, indicators_csv}`.
pub async fn import_assessment(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let up: AssessmentUpload = json_body(&body)?;
    let (headers, shortcomings) = csv_objects(&up.shortcomings_csv, "shortcomings.csv")?;
    let Some(community_col) = ["community_id", "community"]
        .into_iter()
        .find(|c| headers.iter().any(|h| h == c))
    else {
        return Err(AppError::field(
            "shortcomings_csv",
            "missing_column",
            "shortcomings.csv 缺少 community_id（或 community）列".into(),
            format!(
                "shortcomings.csv needs a community_id (or community) column; found {}",
                headers.join(", ")
            ),
        ));
    };
    let indicators = match &up.indicators_csv {
        Some(t) => csv_objects(t, "indicators.csv")?.1,
        None => Vec::new(),
    };
    let mut errors = Vec::new();
    let mut known: HashSet<String> = HashSet::new();
    for (line, row) in &shortcomings {
        let id = row
            .get(community_col)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if known.contains(&id) {
            continue;
        }
        if st.store.get(&COMMUNITIES, &json!(id)).await?.is_some() {
            known.insert(id);
        } else if errors.len() < 20 {
            errors.push(FieldError {
                field: format!("shortcomings.csv line {line}: {community_col}"),
                code: "unknown_reference",
                message_zh: format!("社区 {id} 不在社区库中"),
                message_en: format!("community '{id}' is not in the registry"),
            });
        }
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let mut tx = st.store.begin().await?;
    let mut run = Map::new();
    run.insert("created_at".into(), json!(now_ms()));
    run.insert("created_by".into(), json!(c.user.as_ref().map(|u| u.id)));
    run.insert(
        "label".into(),
        json!(up.label.unwrap_or_else(|| "assess".into())),
    );
    run.insert("shortcomings".into(), json!(shortcomings.len()));
    run.insert("indicators".into(), json!(indicators.len()));
    let run_id = tx.insert(&ASSESSMENT_RUNS, &run).await?;
    let mut batch = Vec::with_capacity(shortcomings.len() + indicators.len());
    for (kind, rows) in [("shortcoming", &shortcomings), ("indicator", &indicators)] {
        for (line, data) in rows {
            let mut r = Map::new();
            r.insert("run_id".into(), run_id.clone());
            r.insert("kind".into(), json!(kind));
            r.insert("line".into(), json!(line));
            r.insert(
                "community_id".into(),
                if kind == "shortcoming" {
                    data.get(community_col).cloned().unwrap_or(Value::Null)
                } else {
                    Value::Null
                },
            );
            r.insert(
                "data".into(),
                json!(Value::Object(data.clone()).to_string()),
            );
            batch.push(r);
        }
    }
    tx.insert_many(&ASSESSMENT_ROWS, &batch).await?;
    tx.audit(
        &c.actor(),
        "import",
        "assessment",
        &run_id.to_string(),
        json!({"shortcomings": shortcomings.len(), "indicators": indicators.len()}),
    )
    .await?;
    tx.commit().await?;
    let run = st.store.get(&ASSESSMENT_RUNS, &run_id).await?;
    Ok((StatusCode::CREATED, Json(json!({"run": run}))))
}

async fn latest_run(st: &AppState) -> ApiResult<Option<Map<String, Value>>> {
    Ok(st
        .store
        .find(
            &ASSESSMENT_RUNS,
            ListQuery {
                conds: vec![],
                limit: 1,
                offset: 0,
                desc: true,
            },
        )
        .await?
        .into_iter()
        .next())
}

async fn run_rows(st: &AppState, t: &Table, conds: Vec<Cond>) -> ApiResult<Vec<Value>> {
    Ok(st
        .store
        .find(t, ListQuery::new(conds, EXPORT_LIMIT))
        .await?
        .into_iter()
        .map(|r| {
            r.get("data")
                .and_then(Value::as_str)
                .and_then(|s| serde_json::from_str(s).ok())
                .unwrap_or(Value::Null)
        })
        .collect())
}

/// GET /api/communities/{id}/assessment.
pub async fn community_assessment(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    if st.store.get(&COMMUNITIES, &json!(id)).await?.is_none() {
        return Err(AppError::not_found("community", &id));
    }
    let Some(run) = latest_run(&st).await? else {
        return Ok(Json(
            json!({"community_id": id, "run": null, "shortcomings": []}),
        ));
    };
    let rows = run_rows(
        &st,
        &ASSESSMENT_ROWS,
        vec![
            Cond::Eq("run_id", run["id"].clone()),
            Cond::Eq("kind", json!("shortcoming")),
            Cond::Eq("community_id", json!(id)),
        ],
    )
    .await?;
    Ok(Json(
        json!({"community_id": id, "run": run, "shortcomings": rows}),
    ))
}

/// GET /api/assessments/latest.
pub async fn latest_assessment(State(st): State<Arc<AppState>>) -> ApiResult<Json<Value>> {
    let Some(run) = latest_run(&st).await? else {
        return Ok(Json(json!({"run": null, "indicators": []})));
    };
    let rows = run_rows(
        &st,
        &ASSESSMENT_ROWS,
        vec![
            Cond::Eq("run_id", run["id"].clone()),
            Cond::Eq("kind", json!("indicator")),
        ],
    )
    .await?;
    Ok(Json(json!({"run": run, "indicators": rows})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised_and_numbers_kept() {
        for (cell, out) in [
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "'=HYPERLINK(\"http://x\",\"y\")",
            ),
            ("+cmd", "'+cmd"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("-73.25", "-73.25"),
            ("+1", "+1"),
            ("富润家园", "富润家园"),
            ("a=b", "a=b"),
            ("", ""),
        ] {
            assert_eq!(neutralise(cell), out, "{cell:?}");
        }
        let csv = neutralise_csv(b"id,name,lon\nF1,=1+1,-1.5\n").unwrap();
        assert_eq!(
            String::from_utf8(csv).unwrap(),
            "id,name,lon\nF1,'=1+1,-1.5\n"
        );
    }
}
