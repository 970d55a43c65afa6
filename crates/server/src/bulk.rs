//! Bulk data helpers of the domains: reading uploads in the engine's CSV formats (through
//! `lc-tables`, so the platform and `livingcircle access/assess` read and write the same
//! files, or an Excel workbook's first sheet), checking and auditing imports, and downloads
//! (CSV and Excel) with formula cells neutralised.

use std::collections::HashSet;

use axum::body::Bytes;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use lc_registry::records::{check_new, Input};
use lc_registry::FieldError;
use lc_tables::Crs;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::error::{ApiResult, AppError};

/// Reads an uploaded CSV (or Excel workbook) with an `lc-tables` reader; errors become field
/// errors by line.
pub fn read_upload<T>(
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

/// The `crs` of an import: the coordinate system of the file's positions.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CrsQuery {
    /// wgs84 (default), gcj02 or bd09.
    pub crs: Option<String>,
}

impl CrsQuery {
    /// The coordinate system, or 400.
    pub fn crs(&self) -> ApiResult<Crs> {
        match self.crs.as_deref() {
            None | Some("wgs84") => Ok(Crs::Wgs84),
            Some("gcj02") => Ok(Crs::Gcj02),
            Some("bd09") => Ok(Crs::Bd09),
            Some(other) => Err(AppError::bad_request(
                format!("crs 应为 wgs84、gcj02 或 bd09：{other}"),
                format!("crs must be wgs84, gcj02 or bd09: {other}"),
            )),
        }
    }
}

/// What an import answers.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportResult {
    /// Records that were new.
    pub created: usize,
    /// Rows in the file.
    pub imported: usize,
}

/// Checks every row of an import with the registry's rules (at most 20 errors reported, each
/// with its row and id).
pub fn check_all<I: Input>(inputs: Vec<(String, Value)>) -> ApiResult<Vec<I::Checked>> {
    let mut errors = Vec::new();
    let mut out = Vec::with_capacity(inputs.len());
    for (k, (id, input)) in inputs.into_iter().enumerate() {
        match check_new::<I>(input) {
            Ok(v) => out.push(v),
            Err(es) => errors.extend(es.into_iter().map(|mut e| {
                e.field = format!("row {} (id {id}): {}", k + 1, e.field);
                e
            })),
        }
        if errors.len() >= 20 {
            break;
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(AppError::validation(errors))
    }
}

/// The distinct values, in order of first appearance.
pub fn distinct<'a>(it: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut seen = HashSet::new();
    it.filter(|s| seen.insert(*s)).map(str::to_string).collect()
}

/// The field error of an imported division code missing from the registry.
pub fn unknown_division(code: &str) -> FieldError {
    FieldError {
        field: "division_code".into(),
        code: "unknown_reference",
        message_zh: format!("区划代码 {code} 不在区划库中"),
        message_en: format!("division code {code} is not in the division registry"),
    }
}

/// Counts of an import, and its audit entries: one per record created or changed (with what
/// it was before), one summary.
#[derive(Debug, Default)]
pub struct Counts {
    /// New records.
    pub created: usize,
    /// Changed records.
    pub updated: usize,
}

impl Counts {
    /// Audits one imported record (nothing if it was there unchanged).
    pub async fn audit(
        &mut self,
        tx: &mut lc_store::Tx,
        c: &Caller,
        entity: &str,
        id: &str,
        existed: bool,
        diff: Value,
    ) -> ApiResult<()> {
        if existed && diff.as_object().is_some_and(|d| d.is_empty()) {
            return Ok(());
        }
        let action = if existed {
            self.updated += 1;
            "import_update"
        } else {
            self.created += 1;
            "import_create"
        };
        tx.audit(&c.actor(), action, entity, id, diff).await?;
        Ok(())
    }

    /// The summary entry.
    pub async fn summary(&self, tx: &mut lc_store::Tx, c: &Caller, entity: &str) -> ApiResult<()> {
        tx.audit(
            &c.actor(),
            "import",
            entity,
            "*",
            json!({"created": self.created, "updated": self.updated}),
        )
        .await?;
        Ok(())
    }
}

/// A CSV download of the given columns of JSON objects (cells neutralised).
pub fn csv_of_values(name: &str, cols: &[&str], rows: &[Value]) -> ApiResult<Response> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(cols).map_err(AppError::internal)?;
    for v in rows {
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
    Ok(csv_response(name, buf))
}

/// An Excel download: one sheet named `sheet` with the given columns.
pub fn xlsx_response(sheet: &str, cols: &[&str], rows: &[Value]) -> ApiResult<Response> {
    Ok(attachment(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("{sheet}.xlsx"),
        xlsx(sheet, cols, rows)?,
    ))
}

/// A file download.
pub fn attachment(content_type: &str, name: &str, bytes: Vec<u8>) -> Response {
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

pub fn csv_response(name: &str, bytes: Vec<u8>) -> Response {
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
