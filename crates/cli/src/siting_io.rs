//! Files of the `site` command: `candidates.csv` in and out, and the exported cost data
//! (`demand.csv`, `existing.csv`, `costs.csv`) that `site --costs DIR` and the spopt benchmark
//! read back.
//!
//! Readers match columns by header name (ASCII case ignored, any order, extra columns ignored)
//! and report a bad row as `file 第 N 行 line N, 字段 field 'x': 原因 why`, as the table readers do.

use anyhow::{anyhow, bail, Context, Result};
use lc_model::{quote, LonLat};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

/// One candidate site.
#[derive(Debug, Clone, PartialEq)]
pub struct CandidateRow {
    pub id: String,
    /// From the optional `name` column ("" when absent).
    pub name: String,
    pub pos: LonLat,
    pub capacity: Option<f64>,
    pub cost: Option<f64>,
}

/// A CSV file with its header mapped to column positions.
struct Table {
    name: String,
    columns: HashMap<String, usize>,
    rows: Vec<(u64, csv::StringRecord)>,
}

impl Table {
    fn read(path: &Path) -> Result<Table> {
        let name = path.display().to_string();
        let bytes = std::fs::read(path).with_context(|| format!("无法打开 cannot open {name}"))?;
        let text = std::str::from_utf8(&bytes).map_err(|_| {
            anyhow!(
                "{name}: 不是 UTF-8 文本，请另存为 UTF-8 CSV not UTF-8 text (save it as UTF-8 CSV)"
            )
        })?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut rdr = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(true)
            .from_reader(text.as_bytes());
        let header = rdr
            .headers()
            .with_context(|| format!("{name}: 无法读取表头行 cannot read the header line"))?
            .clone();
        if header.iter().all(|h| h.trim().is_empty()) {
            bail!("{name}: 文件为空（须有表头行）empty file (a header line is needed)");
        }
        let mut columns = HashMap::new();
        for (i, h) in header.iter().enumerate() {
            let key = h.trim().to_ascii_lowercase();
            if columns.insert(key.clone(), i).is_some() {
                bail!(
                    "{name}: 列 {0} 在表头行出现两次 column {0} appears twice in the header",
                    quote(&key)
                );
            }
        }
        let mut rows = Vec::new();
        for rec in rdr.records() {
            let rec = rec.with_context(|| format!("{name}: CSV 格式错误 malformed CSV"))?;
            let line = rec.position().map_or(0, |p| p.line());
            if rec.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            rows.push((line, rec));
        }
        Ok(Table {
            name,
            columns,
            rows,
        })
    }

    fn need(&self, col: &str) -> Result<usize> {
        self.columns.get(col).copied().ok_or_else(|| {
            let mut found: Vec<String> = self.columns.keys().cloned().collect();
            found.sort();
            lc_tables::TableError::MissingColumn {
                file: self.name.clone(),
                column: col.to_string(),
                found,
            }
            .into()
        })
    }

    fn cell<'a>(&self, rec: &'a csv::StringRecord, col: Option<usize>) -> &'a str {
        col.and_then(|c| rec.get(c)).unwrap_or("").trim()
    }

    fn fail(&self, line: u64, field: &str, why: String) -> anyhow::Error {
        anyhow!(
            "{} 第 {line} 行 line {line}, 字段 field '{field}': {why}",
            self.name
        )
    }

    /// `value` of `field` names nothing in `file`.
    fn not_in(&self, line: u64, field: &str, value: &str, file: &str) -> anyhow::Error {
        self.fail(
            line,
            field,
            format!("{0} 不在 {file} 中 {0} is not in {file}", quote(value)),
        )
    }

    fn number(&self, line: u64, field: &str, raw: &str, lo: f64, hi: f64) -> Result<f64> {
        if raw.is_empty() {
            return Err(self.fail(line, field, "为空 is empty".into()));
        }
        let v: f64 = raw.parse().map_err(|_| {
            self.fail(
                line,
                field,
                format!("{0} 不是数字 {0} is not a number", quote(raw)),
            )
        })?;
        if !v.is_finite() || v < lo || v > hi {
            return Err(self.fail(
                line,
                field,
                format!(
                    "{0} 超出范围（{lo} 至 {hi}）{0} is out of range ({lo} to {hi})",
                    quote(raw)
                ),
            ));
        }
        Ok(v)
    }

    fn optional(&self, line: u64, field: &str, raw: &str) -> Result<Option<f64>> {
        if raw.is_empty() {
            return Ok(None);
        }
        self.number(line, field, raw, 0.0, f64::MAX).map(Some)
    }

    fn id(&self, line: u64, raw: &str, seen: &mut HashMap<String, u64>) -> Result<String> {
        if raw.is_empty() {
            return Err(self.fail(line, "id", "为空 is empty".into()));
        }
        if let Some(first) = seen.insert(raw.to_string(), line) {
            return Err(self.fail(
                line,
                "id",
                format!(
                    "{0} 与第 {first} 行的编号重复 {0} repeats the id of line {first}",
                    quote(raw)
                ),
            ));
        }
        Ok(raw.to_string())
    }
}

/// Reads `candidates.csv`: `id,lon,lat` and optional `capacity,cost` (coordinates in `crs`).
pub fn read_candidates(path: &Path, crs: lc_crs::Crs) -> Result<Vec<CandidateRow>> {
    read_candidates_for(path, crs, false)
}

/// [`read_candidates`]; with `need_cost` (a budget), a candidate without a cost is an error
/// naming its line.
pub fn read_candidates_for(
    path: &Path,
    crs: lc_crs::Crs,
    need_cost: bool,
) -> Result<Vec<CandidateRow>> {
    let t = Table::read(path)?;
    let (ci, clon, clat) = (t.need("id")?, t.need("lon")?, t.need("lat")?);
    let cname = t.columns.get("name").copied();
    let ccap = t.columns.get("capacity").copied();
    let ccost = if need_cost {
        Some(
            t.need("cost")
                .map_err(|e| {
                    anyhow!("{e}; 预算问题（--problem budget）需要每个候选的费用 --problem budget needs every candidate's cost")
                })?,
        )
    } else {
        t.columns.get("cost").copied()
    };
    let mut seen = HashMap::new();
    let mut out = Vec::with_capacity(t.rows.len());
    for (line, rec) in &t.rows {
        let line = *line;
        let id = t.id(line, t.cell(rec, Some(ci)), &mut seen)?;
        let lon = t.number(line, "lon", t.cell(rec, Some(clon)), -180.0, 180.0)?;
        let lat = t.number(line, "lat", t.cell(rec, Some(clat)), -90.0, 90.0)?;
        let capacity = t.optional(line, "capacity", t.cell(rec, ccap))?;
        let cost = t.optional(line, "cost", t.cell(rec, ccost))?;
        if need_cost && cost.is_none() {
            return Err(t.fail(
                line,
                "cost",
                format!(
                    "候选 {0} 没有费用（--problem budget 需要每个候选的费用）candidate {0} has no cost (--problem budget needs every candidate's cost)",
                    quote(&id)
                ),
            ));
        }
        out.push(CandidateRow {
            id,
            name: t.cell(rec, cname).trim().to_string(),
            pos: lc_crs::to_wgs84(crs, LonLat::new(lon, lat)),
            capacity,
            cost,
        });
    }
    Ok(out)
}

/// Quotes a CSV field when it needs it.
pub fn field(out: &mut String, s: &str) {
    if s.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

fn opt(v: Option<f64>) -> String {
    v.map(|x| format!("{x}")).unwrap_or_default()
}

/// Writes `candidates.csv` (`id,lon,lat,capacity,cost` plus an optional `kind` column).
pub fn write_candidates(path: &Path, rows: &[CandidateRow], kinds: Option<&[&str]>) -> Result<()> {
    let mut s = String::from(if kinds.is_some() {
        "id,lon,lat,capacity,cost,kind\n"
    } else {
        "id,lon,lat,capacity,cost\n"
    });
    for (i, c) in rows.iter().enumerate() {
        field(&mut s, &c.id);
        let _ = write!(
            s,
            ",{},{},{},{}",
            c.pos.lon,
            c.pos.lat,
            opt(c.capacity),
            opt(c.cost)
        );
        if let Some(k) = kinds {
            s.push(',');
            field(&mut s, k[i]);
        }
        s.push('\n');
    }
    Ok(lc_tables::write_atomic(path, |w| {
        w.write_all(s.as_bytes())
    })?)
}

/// Cost data as exported: communities with weights, candidates, existing facilities and the
/// pairs within reach.
pub struct CostData {
    pub community_ids: Vec<String>,
    pub weights: Vec<f64>,
    pub candidates: Vec<CandidateRow>,
    pub existing_ids: Vec<String>,
    pub existing_capacity: Vec<Option<f64>>,
    pub candidate_pairs: Vec<Vec<(u32, f64)>>,
    pub existing_pairs: Vec<Vec<(u32, f64)>>,
}

/// Writes `demand.csv`, `candidates.csv`, `existing.csv` and `costs.csv` into `dir`.
pub fn write_costs(dir: &Path, d: &CostData) -> Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("无法创建 cannot create {}", dir.display()))?;
    let mut s = String::from("community_id,weight\n");
    for (id, w) in d.community_ids.iter().zip(&d.weights) {
        field(&mut s, id);
        let _ = writeln!(s, ",{w}");
    }
    lc_tables::write_atomic(&dir.join("demand.csv"), |w| w.write_all(s.as_bytes()))?;
    write_candidates(&dir.join("candidates.csv"), &d.candidates, None)?;
    let mut s = String::from("facility_id,capacity\n");
    for (id, c) in d.existing_ids.iter().zip(&d.existing_capacity) {
        field(&mut s, id);
        let _ = writeln!(s, ",{}", opt(*c));
    }
    lc_tables::write_atomic(&dir.join("existing.csv"), |w| w.write_all(s.as_bytes()))?;
    let mut s = String::from("community_id,target,target_id,distance_m\n");
    for (i, id) in d.community_ids.iter().enumerate() {
        for &(j, dist) in &d.candidate_pairs[i] {
            field(&mut s, id);
            s.push_str(",candidate,");
            field(&mut s, &d.candidates[j as usize].id);
            let _ = writeln!(s, ",{dist}");
        }
        for &(k, dist) in &d.existing_pairs[i] {
            field(&mut s, id);
            s.push_str(",existing,");
            field(&mut s, &d.existing_ids[k as usize]);
            let _ = writeln!(s, ",{dist}");
        }
    }
    Ok(lc_tables::write_atomic(&dir.join("costs.csv"), |w| {
        w.write_all(s.as_bytes())
    })?)
}

/// Reads what [`write_costs`] wrote; `need_cost`: as in [`read_candidates_for`].
pub fn read_costs(dir: &Path, need_cost: bool) -> Result<CostData> {
    let t = Table::read(&dir.join("demand.csv"))?;
    let (ci, cw) = (t.need("community_id")?, t.need("weight")?);
    let mut seen = HashMap::new();
    let mut community_ids = Vec::new();
    let mut weights = Vec::new();
    for (line, rec) in &t.rows {
        community_ids.push(t.id(*line, t.cell(rec, Some(ci)), &mut seen)?);
        weights.push(t.number(*line, "weight", t.cell(rec, Some(cw)), 0.0, f64::MAX)?);
    }
    let candidates =
        read_candidates_for(&dir.join("candidates.csv"), lc_crs::Crs::Wgs84, need_cost)?;
    let t = Table::read(&dir.join("existing.csv"))?;
    let (fi, fc) = (t.need("facility_id")?, t.need("capacity")?);
    let mut seen = HashMap::new();
    let mut existing_ids = Vec::new();
    let mut existing_capacity = Vec::new();
    for (line, rec) in &t.rows {
        existing_ids.push(t.id(*line, t.cell(rec, Some(fi)), &mut seen)?);
        existing_capacity.push(t.optional(*line, "capacity", t.cell(rec, Some(fc)))?);
    }
    let index = |ids: &[String]| -> HashMap<String, u32> {
        ids.iter()
            .enumerate()
            .map(|(i, s)| (s.clone(), i as u32))
            .collect()
    };
    let comm = index(&community_ids);
    let cand = index(&candidates.iter().map(|c| c.id.clone()).collect::<Vec<_>>());
    let ex = index(&existing_ids);
    let t = Table::read(&dir.join("costs.csv"))?;
    let (cc, ct, cti, cd) = (
        t.need("community_id")?,
        t.need("target")?,
        t.need("target_id")?,
        t.need("distance_m")?,
    );
    let n = community_ids.len();
    let mut candidate_pairs = vec![Vec::new(); n];
    let mut existing_pairs = vec![Vec::new(); n];
    for (line, rec) in &t.rows {
        let line = *line;
        let c = t.cell(rec, Some(cc));
        let i = *comm
            .get(c)
            .ok_or_else(|| t.not_in(line, "community_id", c, "demand.csv"))?;
        let d = t.number(line, "distance_m", t.cell(rec, Some(cd)), 0.0, f64::MAX)?;
        let id = t.cell(rec, Some(cti));
        match t.cell(rec, Some(ct)) {
            "candidate" => {
                let j = *cand
                    .get(id)
                    .ok_or_else(|| t.not_in(line, "target_id", id, "candidates.csv"))?;
                candidate_pairs[i as usize].push((j, d));
            }
            "existing" => {
                let k = *ex
                    .get(id)
                    .ok_or_else(|| t.not_in(line, "target_id", id, "existing.csv"))?;
                existing_pairs[i as usize].push((k, d));
            }
            other => {
                return Err(t.fail(
                    line,
                    "target",
                    format!(
                        "{0} 既不是 'candidate' 也不是 'existing' {0} is neither 'candidate' nor 'existing'",
                        quote(other)
                    ),
                ))
            }
        }
    }
    Ok(CostData {
        community_ids,
        weights,
        candidates,
        existing_ids,
        existing_capacity,
        candidate_pairs,
        existing_pairs,
    })
}
