//! The siting inputs through the same readers as every other table (issue 15: one reader
//! framework): `candidates.csv`, and the cost tables `site --export-costs DIR` writes and
//! `site --costs DIR` reads back (`demand.csv`, `candidates.csv`, `existing.csv`, `costs.csv`),
//! with file, line, field and the plausible ranges of issue 19.

use std::path::Path;

use lc_crs::Crs;
use lc_model::Candidate;
use rustc_hash::FxHashMap;

use crate::error::TableError;
use crate::fields::show;
use crate::fields::Source;
use crate::points::{read_rows, read_rows_of, source_from, MAX_CAPACITY, MAX_COST, MAX_DISTANCE_M};

/// Columns of `candidates.csv` (`cost` is required for a budget problem).
pub const CANDIDATE_COLUMNS: [(&str, bool); 6] = [
    ("id", true),
    ("lon", true),
    ("lat", true),
    ("name", false),
    ("capacity", false),
    ("cost", false),
];

/// Reads `candidates.csv` (positions converted from `crs` to WGS-84). With `need_cost` (a
/// budget problem), the `cost` column and a cost on every row are required.
pub fn read_candidates(
    path: &Path,
    crs: Crs,
    need_cost: bool,
) -> Result<Vec<Candidate>, TableError> {
    candidates_of(Source::load(path)?, crs, need_cost)
}

/// [`read_candidates`] from a reader (an upload, an embedded file): `name` names it in
/// messages. CSV (UTF-8 or GBK/GB18030) or an `.xlsx` workbook, as from a file.
pub fn read_candidates_from(
    name: &str,
    input: impl std::io::Read,
    crs: Crs,
    need_cost: bool,
) -> Result<Vec<Candidate>, TableError> {
    candidates_of(source_from(name, input)?, crs, need_cost)
}

fn candidates_of(src: Source, crs: Crs, need_cost: bool) -> Result<Vec<Candidate>, TableError> {
    let mut columns = CANDIDATE_COLUMNS;
    columns[5].1 = need_cost;
    let mut seen = FxHashMap::default();
    read_rows_of(src, &columns, |r, c| {
        let id = r.id(c[0], &mut seen);
        let pos = r.position(c[1], c[2], crs);
        let name = r.opt_text(c[3], "name").unwrap_or_default();
        let capacity = r.amount(c[4], "capacity", MAX_CAPACITY);
        let cost = r.amount(c[5], "cost", MAX_COST);
        if need_cost && cost.is_none() && c[5].is_some_and(|k| r.raw(k).is_empty()) {
            r.fail(
                "cost",
                format!(
                    "候选 {0} 没有费用（--problem budget 需要每个候选的费用）candidate {0} has no cost (--problem budget needs every candidate's cost)",
                    show(id.as_deref().unwrap_or("").as_bytes())
                ),
            );
        }
        Some(Candidate {
            id: id?,
            name,
            pos,
            capacity,
            cost,
        })
    })
}

/// The cost tables of one siting instance: communities with their weights, candidates,
/// existing facilities and the walking distances within reach.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CostTables {
    /// `demand.csv`: community ids.
    pub community_ids: Vec<String>,
    /// `demand.csv`: their weights (people).
    pub weights: Vec<f64>,
    /// `candidates.csv`.
    pub candidates: Vec<Candidate>,
    /// `existing.csv`: facility ids.
    pub existing_ids: Vec<String>,
    /// `existing.csv`: their capacities (`None`: unlimited).
    pub existing_capacity: Vec<Option<f64>>,
    /// `costs.csv`: per community, (candidate index, metres).
    pub candidate_pairs: Vec<Vec<(u32, f64)>>,
    /// `costs.csv`: per community, (existing facility index, metres).
    pub existing_pairs: Vec<Vec<(u32, f64)>>,
}

/// Reads the four cost tables of `dir` (written by [`write_cost_tables`]); `need_cost`: as in
/// [`read_candidates`].
pub fn read_cost_tables(dir: &Path, need_cost: bool) -> Result<CostTables, TableError> {
    let mut seen = FxHashMap::default();
    let demand = read_rows(
        &dir.join("demand.csv"),
        &[("community_id", true), ("weight", true)],
        |r, c| {
            let id = r.id(c[0], &mut seen);
            let w = r.count(c[1], "weight", true);
            Some((id?, w?))
        },
    )?;
    let candidates = read_candidates(&dir.join("candidates.csv"), Crs::Wgs84, need_cost)?;
    let mut seen = FxHashMap::default();
    let existing = read_rows(
        &dir.join("existing.csv"),
        &[("facility_id", true), ("capacity", true)],
        |r, c| {
            let id = r.id(c[0], &mut seen);
            let cap = r.amount(c[1], "capacity", MAX_CAPACITY);
            Some((id?, cap))
        },
    )?;
    let index = |ids: &mut dyn Iterator<Item = String>| -> FxHashMap<String, u32> {
        ids.enumerate().map(|(i, s)| (s, i as u32)).collect()
    };
    let comm = index(&mut demand.iter().map(|d| d.0.clone()));
    let cand = index(&mut candidates.iter().map(|c| c.id.clone()));
    let ex = index(&mut existing.iter().map(|e| e.0.clone()));
    let n = demand.len();
    let mut candidate_pairs = vec![Vec::new(); n];
    let mut existing_pairs = vec![Vec::new(); n];
    let pairs = read_rows(
        &dir.join("costs.csv"),
        &[
            ("community_id", true),
            ("target", true),
            ("target_id", true),
            ("distance_m", true),
        ],
        |r, c| {
            let community = r.text(c[0], "community_id")?;
            let Some(&i) = comm.get(community) else {
                r.fail(
                    "community_id",
                    format!(
                        "{0} 不在 demand.csv 中 {0} is not in demand.csv",
                        show(community.as_bytes())
                    ),
                );
                return None;
            };
            let d = r.number(c[3], "distance_m", true, true)?;
            if d > MAX_DISTANCE_M {
                r.fail(
                    "distance_m",
                    format!(
                        "{d} 超过上限 {MAX_DISTANCE_M} 米 {d} is more than {MAX_DISTANCE_M} m; a walking distance must be at most that"
                    ),
                );
                return None;
            }
            let id = r.text(c[2], "target_id")?;
            let (table, file, to_candidate) = match r.text(c[1], "target")? {
                "candidate" => (&cand, "candidates.csv", true),
                "existing" => (&ex, "existing.csv", false),
                other => {
                    r.fail(
                        "target",
                        format!(
                            "{0} 既不是 candidate 也不是 existing {0} is neither 'candidate' nor 'existing'",
                            show(other.as_bytes())
                        ),
                    );
                    return None;
                }
            };
            let Some(&j) = table.get(id) else {
                r.fail(
                    "target_id",
                    format!(
                        "{0} 不在 {file} 中 {0} is not in {file}",
                        show(id.as_bytes())
                    ),
                );
                return None;
            };
            Some((i, to_candidate, j, d))
        },
    )?;
    for (i, to_candidate, j, d) in pairs {
        let list = if to_candidate {
            &mut candidate_pairs
        } else {
            &mut existing_pairs
        };
        list[i as usize].push((j, d));
    }
    let (community_ids, weights) = demand.into_iter().unzip();
    let (existing_ids, existing_capacity) = existing.into_iter().unzip();
    Ok(CostTables {
        community_ids,
        weights,
        candidates,
        existing_ids,
        existing_capacity,
        candidate_pairs,
        existing_pairs,
    })
}

/// A number for a cell: empty for `None`, the shortest round-trip form else.
fn cell(v: Option<f64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// Writes `candidates.csv` (`id,lon,lat,capacity,cost`, then `name` when any candidate has
/// one, then a `kind` column when `kinds` is given) atomically.
pub fn write_candidates(
    path: &Path,
    rows: &[Candidate],
    kinds: Option<&[&str]>,
) -> Result<(), TableError> {
    let named = rows.iter().any(|c| !c.name.is_empty());
    crate::atomic::csv_writer_atomic(path, |w| {
        let mut header = vec!["id", "lon", "lat", "capacity", "cost"];
        if named {
            header.push("name");
        }
        if kinds.is_some() {
            header.push("kind");
        }
        w.write_record(&header)?;
        for (i, c) in rows.iter().enumerate() {
            let mut rec = vec![
                c.id.clone(),
                c.pos.lon.to_string(),
                c.pos.lat.to_string(),
                cell(c.capacity),
                cell(c.cost),
            ];
            if named {
                rec.push(c.name.clone());
            }
            if let Some(k) = kinds {
                rec.push(k.get(i).copied().unwrap_or("").to_string());
            }
            w.write_record(&rec)?;
        }
        Ok(())
    })
}

/// Writes the four cost tables into `dir` (created if missing), each atomically.
pub fn write_cost_tables(dir: &Path, t: &CostTables) -> Result<(), TableError> {
    std::fs::create_dir_all(dir).map_err(|reason| TableError::Write {
        path: dir.to_path_buf(),
        reason,
    })?;
    crate::atomic::csv_writer_atomic(&dir.join("demand.csv"), |w| {
        w.write_record(["community_id", "weight"])?;
        for (id, wt) in t.community_ids.iter().zip(&t.weights) {
            w.write_record([id.as_str(), &wt.to_string()])?;
        }
        Ok(())
    })?;
    write_candidates(&dir.join("candidates.csv"), &t.candidates, None)?;
    crate::atomic::csv_writer_atomic(&dir.join("existing.csv"), |w| {
        w.write_record(["facility_id", "capacity"])?;
        for (id, cap) in t.existing_ids.iter().zip(&t.existing_capacity) {
            w.write_record([id.as_str(), &cell(*cap)])?;
        }
        Ok(())
    })?;
    crate::atomic::csv_writer_atomic(&dir.join("costs.csv"), |w| {
        w.write_record(["community_id", "target", "target_id", "distance_m"])?;
        for (i, id) in t.community_ids.iter().enumerate() {
            for &(j, d) in &t.candidate_pairs[i] {
                let target = &t.candidates[j as usize].id;
                w.write_record([id.as_str(), "candidate", target, &d.to_string()])?;
            }
            for &(k, d) in &t.existing_pairs[i] {
                let target = &t.existing_ids[k as usize];
                w.write_record([id.as_str(), "existing", target, &d.to_string()])?;
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use lc_model::LonLat;

    #[test]
    fn cost_tables_round_trip_and_bad_rows_name_file_line_and_field() {
        let dir = tempfile::tempdir().unwrap();
        let k = |id: &str, cost: Option<f64>| Candidate {
            id: id.into(),
            name: String::new(),
            pos: LonLat::new(116.3, 39.9),
            capacity: Some(20.0),
            cost,
        };
        let t = CostTables {
            community_ids: vec!["C1".into(), "C,2".into()],
            weights: vec![1000.0, 250.5],
            candidates: vec![k("K1", Some(3.5)), k("K2", None)],
            existing_ids: vec!["F1".into()],
            existing_capacity: vec![None],
            candidate_pairs: vec![vec![(0, 120.25), (1, 900.0)], vec![(1, 15.0)]],
            existing_pairs: vec![vec![], vec![(0, 42.0)]],
        };
        write_cost_tables(dir.path(), &t).unwrap();
        assert_eq!(read_cost_tables(dir.path(), false).unwrap(), t);
        // A budget needs K2's cost.
        let e = read_cost_tables(dir.path(), true).unwrap_err().to_string();
        assert!(
            e.contains("candidates.csv 第 3 行") || e.contains("line 3"),
            "{e}"
        );
        assert!(e.contains("has no cost"), "{e}");
        // A distance past the ceiling, a target that is not there.
        std::fs::write(
            dir.path().join("costs.csv"),
            "community_id,target,target_id,distance_m\nC1,candidate,K1,1e300\nC1,candidate,K9,5\nC1,other,K1,5\n",
        )
        .unwrap();
        let e = read_cost_tables(dir.path(), false).unwrap_err();
        let rows = e.row_errors();
        assert_eq!(rows.len(), 3, "{e}");
        assert_eq!(
            rows.iter()
                .map(|r| (r.line, r.field.clone().unwrap_or_default()))
                .collect::<Vec<_>>(),
            vec![
                (2, "distance_m".to_string()),
                (3, "target_id".to_string()),
                (4, "target".to_string())
            ]
        );
        assert!(rows[1].message.contains("is not in candidates.csv"), "{e}");
    }
}
