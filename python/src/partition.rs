//! Partitioned runs (issue 20 item 2, over issue 15's `lc_pipeline::partition`): plan a run into
//! self-contained part jobs, run one job, merge the parts' files. Conversion only; the Python
//! module `livingcircle.distributed` runs the jobs on a Dask cluster.

use crate::convert::{
    self, bytes_f64, bytes_u32, bytes_u64, error_to_py, nearest_columns, option_error, parse_crs,
};
use crate::observe::observed;
use lc_access::{CommunityAccess, Found};
use lc_model::Category;
use lc_pipeline::partition::{
    self, MergeOutputs, PairsRequest, PartJob, PartOutput, PlanRequest, RunOptions, Scheme,
};
use lc_pipeline::PipelineError;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict};
use std::path::PathBuf;

fn json<T: serde::Serialize>(value: &T) -> PyResult<String> {
    serde_json::to_string_pretty(value).map_err(|e| option_error(format!("JSON: {e}")))
}

/// Plans a partitioned access run and writes the plan folder (`plan.json`,
/// `dropped-nodes.txt`, one `part-NNNN.json` per part). Returns the plan's summary and every
/// job as JSON text, with the job files' paths.
#[pyfunction]
#[pyo3(signature = (nodes, edges, communities, facilities, crs, scheme, k, max_distance, circles, categories, snap, snap_limit, keep_all_components, counts, out_dir, progress))]
#[allow(clippy::too_many_arguments)]
pub fn partition_plan<'py>(
    py: Python<'py>,
    nodes: PathBuf,
    edges: PathBuf,
    communities: PathBuf,
    facilities: PathBuf,
    crs: &str,
    scheme: &str,
    k: usize,
    max_distance: f64,
    circles: Vec<f64>,
    categories: Option<Vec<String>>,
    snap: &str,
    snap_limit: f64,
    keep_all_components: bool,
    counts: bool,
    out_dir: PathBuf,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let scheme: Scheme = scheme.parse().map_err(option_error)?;
    if k == 0 {
        return Err(option_error("k 须至少为 1 k must be at least 1".into()));
    }
    convert::positive("max_distance", max_distance)?;
    convert::positive("snap_limit", snap_limit)?;
    for &c in &circles {
        convert::positive("circles", c)?;
    }
    let categories = categories
        .map(|keys| {
            keys.iter()
                .map(|k| {
                    Category::from_key(k).map_err(|e| option_error(format!("categories: {e}")))
                })
                .collect::<PyResult<Vec<_>>>()
        })
        .transpose()?;
    let req = PlanRequest {
        nodes,
        edges,
        communities,
        facilities,
        crs: parse_crs(crs)?,
        scheme,
        k,
        max_distance,
        circles,
        categories,
        snap: convert::parse_snap(snap)?,
        snap_limit,
        keep_all_components,
        counts,
        walk_speed_m_per_min: None,
        pairs: PairsRequest::None,
        out_dir,
    };
    plan_dict(py, &req, progress)
}

/// Plans `req`, writes the plan folder and returns what `partition_plan` returns.
fn plan_dict<'py>(
    py: Python<'py>,
    req: &PlanRequest,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let (plan, files) = observed(py, progress.as_ref(), |obs| {
        let plan = partition::plan(req, obs)?;
        let files = partition::write_plan(&plan)?;
        Ok((plan, files))
    })?;
    let d = PyDict::new(py);
    d.set_item("plan", json(&plan.file)?)?;
    let mut jobs = Vec::with_capacity(plan.jobs.len());
    for (job, file) in plan.jobs.iter().zip(&files) {
        jobs.push((
            job.part.clone(),
            job.region.label(),
            file.display().to_string(),
            json(job)?,
        ));
    }
    d.set_item("jobs", jobs)?;
    d.set_item(
        "dropped_nodes_file",
        plan.file.network.dropped_nodes_file.display().to_string(),
    )?;
    d.set_item("timings", plan.timings.clone())?;
    Ok(d)
}

/// Runs one part job (a `part-NNNN.json` file): its communities' nearest facilities and
/// counts as columns (as `Network.access` returns them), their indices among the
/// communities file's rows, and the part's manifest as JSON text; with `raw`, also the
/// engine's results as they are (`raw`, for the assessment). Writes nothing.
#[pyfunction]
#[pyo3(signature = (job, progress, raw=false))]
pub fn partition_run<'py>(
    py: Python<'py>,
    job: PathBuf,
    progress: Option<Py<PyAny>>,
    raw: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let out = observed(py, progress.as_ref(), |obs| {
        let j = PartJob::load(&job)?;
        partition::run_part(&j, &job, obs)
    })?;
    let o = &out.job.options;
    let d = nearest_columns(
        py,
        &out.communities,
        &out.facilities,
        &out.selected,
        &out.results,
        if o.counts { &o.circles[..] } else { &[] },
    )?;
    d.set_item("part", &out.job.part)?;
    d.set_item("region", out.job.region.label())?;
    d.set_item("indices", bytes_u64(py, &out.indices))?;
    d.set_item("placed", out.placed)?;
    d.set_item("manifest", json(&out.manifest())?)?;
    if raw {
        d.set_item("raw", raw_columns(py, &out)?)?;
    }
    Ok(d)
}

/// A part's results as the engine holds them (nearest, counts and pairs per community, the
/// facilities numbered by their rows in `facilities.csv`), as little-endian columns: what the
/// assessment on the client puts back together ([`partition_assess`]).
fn raw_columns<'py>(py: Python<'py>, out: &PartOutput) -> PyResult<Bound<'py, PyDict>> {
    let global = |f: u32| out.facility_indices[f as usize] as u32;
    let n = out.results.len();
    let (mut n_off, mut p_off) = (Vec::with_capacity(n + 1), Vec::with_capacity(n + 1));
    n_off.push(0u32);
    p_off.push(0u32);
    let (mut n_cat, mut n_rank, mut n_fac, mut n_dist) = (vec![], vec![], vec![], vec![]);
    let (mut p_fac, mut p_dist, mut counts) = (vec![], vec![], vec![]);
    let width = out.results.first().map_or(0, |r| r.counts.len());
    for r in &out.results {
        if r.counts.len() != width {
            return Err(option_error(format!(
                "分区结果计数宽度不一致 a part's counts differ in width ({} and {width})",
                r.counts.len()
            )));
        }
        for f in &r.nearest {
            n_cat.push(f.category as u32);
            n_rank.push(f.rank as u32);
            n_fac.push(global(f.facility));
            n_dist.push(f.distance_m);
        }
        n_off.push(n_fac.len() as u32);
        for &(f, d) in &r.pairs {
            p_fac.push(global(f));
            p_dist.push(d);
        }
        p_off.push(p_fac.len() as u32);
        counts.extend_from_slice(&r.counts);
    }
    let placed: Vec<u8> = out.community_placed.iter().map(|&b| b as u8).collect();
    let d = PyDict::new(py);
    d.set_item("placed", PyByteArray::new(py, &placed))?;
    d.set_item("nearest_off", bytes_u32(py, &n_off))?;
    d.set_item("nearest_category", bytes_u32(py, &n_cat))?;
    d.set_item("nearest_rank", bytes_u32(py, &n_rank))?;
    d.set_item("nearest_facility", bytes_u32(py, &n_fac))?;
    d.set_item("nearest_distance", bytes_f64(py, &n_dist))?;
    d.set_item("counts", bytes_u32(py, &counts))?;
    d.set_item("counts_width", width)?;
    d.set_item("pairs_off", bytes_u32(py, &p_off))?;
    d.set_item("pairs_facility", bytes_u32(py, &p_fac))?;
    d.set_item("pairs_distance", bytes_f64(py, &p_dist))?;
    Ok(d)
}

/// Plans a partitioned assessment: the parts compute what the assessment's one access
/// computation computes (`lc_assess::AccessPlan` of the standards and targets: every
/// category, the distances asked as circles, the pairs of the ratio categories within the
/// largest catchment), as `partition_plan` returns it.
#[pyfunction]
#[pyo3(signature = (nodes, edges, communities, facilities, crs, scheme, standards, targets, max_distance, snap, snap_limit, keep_all_components, out_dir, progress))]
#[allow(clippy::too_many_arguments)]
pub fn partition_plan_assess<'py>(
    py: Python<'py>,
    nodes: PathBuf,
    edges: PathBuf,
    communities: PathBuf,
    facilities: PathBuf,
    crs: &str,
    scheme: &str,
    standards: Vec<(String, String)>,
    targets: Vec<(String, String)>,
    max_distance: f64,
    snap: &str,
    snap_limit: f64,
    keep_all_components: bool,
    out_dir: PathBuf,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let scheme: Scheme = scheme.parse().map_err(option_error)?;
    convert::positive("max_distance", max_distance)?;
    convert::positive("snap_limit", snap_limit)?;
    let (standards, plans) = convert::specs(&standards, &targets)?;
    let cfg = lc_assess::AccessPlan::new(&standards, &plans, max_distance).config();
    let req = PlanRequest {
        nodes,
        edges,
        communities,
        facilities,
        crs: parse_crs(crs)?,
        scheme,
        k: cfg.k,
        max_distance: cfg.max_distance,
        circles: cfg.circles,
        categories: Some(Category::all().collect()),
        snap: convert::parse_snap(snap)?,
        snap_limit,
        keep_all_components,
        counts: true,
        walk_speed_m_per_min: None,
        pairs: match cfg.catchment {
            Some(c) => PairsRequest::Pairs {
                catchment_m: c,
                categories: cfg.pair_categories,
            },
            None => PairsRequest::None,
        },
        out_dir,
    };
    plan_dict(py, &req, progress)
}

fn le<T, const N: usize>(b: &[u8], what: &str, f: fn([u8; N]) -> T) -> PyResult<Vec<T>> {
    if b.len() % N != 0 {
        return Err(option_error(format!(
            "{what}: {} 字节不是 {N} 的倍数 {} bytes is not a multiple of {N}",
            b.len(),
            b.len()
        )));
    }
    Ok(b.chunks_exact(N)
        .map(|c| f(c.try_into().unwrap_or([0; N])))
        .collect())
}

/// One part's results, back from [`raw_columns`] (the Python side passes `bytes`).
fn from_raw(
    indices: &[u8],
    raw: &Bound<'_, PyDict>,
) -> PyResult<(Vec<u64>, Vec<bool>, Vec<CommunityAccess>)> {
    let get = |key: &str| -> PyResult<Vec<u8>> {
        let v = raw
            .get_item(key)?
            .ok_or_else(|| option_error(format!("raw: {key} 缺失 missing")))?;
        Ok(v.cast::<PyBytes>()?.as_bytes().to_vec())
    };
    let idx = le(indices, "indices", u64::from_le_bytes)?;
    let placed: Vec<bool> = get("placed")?.into_iter().map(|b| b != 0).collect();
    let u32s = |k: &str| -> PyResult<Vec<u32>> { le(&get(k)?, k, u32::from_le_bytes) };
    let f64s = |k: &str| -> PyResult<Vec<f64>> { le(&get(k)?, k, f64::from_le_bytes) };
    let (n_off, n_cat, n_rank, n_fac, n_dist) = (
        u32s("nearest_off")?,
        u32s("nearest_category")?,
        u32s("nearest_rank")?,
        u32s("nearest_facility")?,
        f64s("nearest_distance")?,
    );
    let (p_off, p_fac, p_dist, counts) = (
        u32s("pairs_off")?,
        u32s("pairs_facility")?,
        f64s("pairs_distance")?,
        u32s("counts")?,
    );
    let width: usize = raw
        .get_item("counts_width")?
        .ok_or_else(|| option_error("raw: counts_width 缺失 missing".into()))?
        .extract()?;
    let n = idx.len();
    let consistent = placed.len() == n
        && n_off.len() == n + 1
        && p_off.len() == n + 1
        && counts.len() == n * width
        && [n_cat.len(), n_rank.len(), n_dist.len()]
            .iter()
            .all(|&l| l == n_fac.len())
        && p_dist.len() == p_fac.len()
        && n_off.last().is_some_and(|&e| e as usize == n_fac.len())
        && p_off.last().is_some_and(|&e| e as usize == p_fac.len())
        && n_off.windows(2).all(|w| w[0] <= w[1])
        && p_off.windows(2).all(|w| w[0] <= w[1]);
    if !consistent {
        return Err(option_error(
            "分区结果的列长度不一致 a part's result columns do not fit together (not from partition_run?)"
                .into(),
        ));
    }
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let (a, b) = (n_off[i] as usize, n_off[i + 1] as usize);
        let (c, d) = (p_off[i] as usize, p_off[i + 1] as usize);
        out.push(CommunityAccess {
            nearest: (a..b)
                .map(|j| Found {
                    category: n_cat[j] as u16,
                    rank: n_rank[j] as u16,
                    facility: n_fac[j],
                    distance_m: n_dist[j],
                })
                .collect(),
            counts: counts[i * width..(i + 1) * width].to_vec(),
            pairs: (c..d).map(|j| (p_fac[j], p_dist[j])).collect(),
        });
    }
    Ok((idx, placed, out))
}

/// The assessment of a partitioned run: the parts' results (each `(indices, raw)` of
/// `partition_run` on a `partition_plan_assess` plan) put back in the communities' input
/// order, then `lc_assess::assess` on the whole — the 2SFCA shares, the checks and the
/// indicators by region — here, on one machine. Returns the tables as `Network.assess` does.
#[pyfunction]
#[pyo3(signature = (communities, facilities, crs, standards, targets, divisions, plan_options, parts))]
#[allow(clippy::too_many_arguments)]
pub fn partition_assess<'py>(
    py: Python<'py>,
    communities: PathBuf,
    facilities: PathBuf,
    crs: &str,
    standards: Vec<(String, String)>,
    targets: Vec<(String, String)>,
    divisions: Option<(String, String)>,
    plan_options: &str,
    parts: Vec<(Vec<u8>, Bound<'py, PyDict>)>,
) -> PyResult<Bound<'py, PyDict>> {
    let crs = parse_crs(crs)?;
    let (standards, plans) = convert::specs(&standards, &targets)?;
    let options: RunOptions = serde_json::from_str(plan_options)
        .map_err(|e| option_error(format!("plan options: {e}")))?;
    // The plan's access computation must be the one these standards and targets ask for
    // (its report distance already holds the largest distance asked: the same plan again).
    let ap = lc_assess::AccessPlan::new(&standards, &plans, options.max_distance);
    let cfg = ap.config();
    let planned = options
        .pairs
        .as_ref()
        .map(|p| (p.catchment_m, &p.categories));
    if cfg.k != options.k
        || cfg.max_distance != options.max_distance
        || cfg.circles != options.circles
        || options.categories.len() != Category::count()
        || cfg.catchment.map(|c| (c, &cfg.pair_categories)) != planned
    {
        return Err(option_error(
            "规划所用的标准和目标与此处不同 the standards and targets differ from those the plan was made with: pass the same to plan_assess and assess_parts".into(),
        ));
    }
    let snap_limit = options.snap_limit;
    let mut divs = lc_assess::Divisions::new();
    if let Some((name, text)) = &divisions {
        divs.add_csv(name, text, &|_| true)
            .map_err(convert::division_error)?;
    }
    let mut decoded = Vec::with_capacity(parts.len());
    for (indices, raw) in &parts {
        decoded.push(from_raw(indices, raw)?);
    }
    let tables = py
        .detach(|| -> Result<_, PipelineError> {
            let comms = lc_tables::read_communities(&communities, crs)?;
            let facs = lc_model::FacilityList::from(lc_tables::read_facilities(&facilities, crs)?);
            let n = comms.len();
            let mut access: Vec<Option<CommunityAccess>> = vec![None; n];
            let mut placed = vec![false; n];
            for (idx, p, results) in decoded {
                for ((i, p), r) in idx.into_iter().zip(p).zip(results) {
                    let i = i as usize;
                    if i >= n || access[i].is_some() {
                        return Err(PipelineError::Partition(format!(
                            "第 {} 个社区重复或超出范围 community number {} is in two parts or beyond the {n} communities: were the parts run from the same plan?",
                            i + 1,
                            i + 1
                        )));
                    }
                    if r.nearest.iter().any(|f| f.facility as usize >= facs.len())
                        || r.pairs.iter().any(|&(f, _)| f as usize >= facs.len())
                    {
                        return Err(PipelineError::Partition(format!(
                            "第 {} 个社区的设施编号超出范围 community number {} names a facility beyond the {} of {}: were the parts run on these files?",
                            i + 1,
                            i + 1,
                            facs.len(),
                            facilities.display()
                        )));
                    }
                    placed[i] = p;
                    access[i] = Some(r);
                }
            }
            let access: Vec<CommunityAccess> = access
                .into_iter()
                .enumerate()
                .map(|(i, a)| {
                    a.ok_or_else(|| {
                        PipelineError::Partition(format!(
                            "第 {} 个社区不在任何已运行的分区中 community number {} (in input order) is in no part that ran",
                            i + 1,
                            i + 1
                        ))
                    })
                })
                .collect::<Result<_, _>>()?;
            let n_placed = placed.iter().filter(|&&p| p).count();
            lc_pipeline::place::require_points(
                &communities,
                ("社区", "community"),
                n,
                n - n_placed,
                snap_limit,
                "assess",
            )?;
            let assessment = lc_assess::assess(
                &standards,
                &plans,
                &ap,
                &lc_assess::Input {
                    communities: &comms,
                    facilities: &facs,
                    placed: &placed,
                    access: &access,
                    platform: None,
                },
                &divs,
            );
            Ok(crate::assessment_tables(
                &comms,
                &facs,
                &standards,
                &plans,
                &divs,
                &assessment,
            ))
        })
        .map_err(error_to_py)?;
    let d = PyDict::new(py);
    for (name, text) in tables {
        d.set_item(name, text)?;
    }
    Ok(d)
}

/// Merges the parts of the plan in `plan_dir` whose files were written by `livingcircle
/// partition run` into the whole run's `access.csv` (and `counts.csv`), byte for byte.
#[pyfunction]
#[pyo3(signature = (plan_dir, access, counts))]
pub fn partition_merge<'py>(
    py: Python<'py>,
    plan_dir: PathBuf,
    access: PathBuf,
    counts: Option<PathBuf>,
) -> PyResult<Bound<'py, PyDict>> {
    let out = MergeOutputs {
        access,
        counts,
        capacity: None,
    };
    let report = py
        .detach(|| partition::merge(&plan_dir, &out))
        .map_err(error_to_py)?;
    let d = PyDict::new(py);
    d.set_item("plan_id", &report.plan_id)?;
    d.set_item("communities", report.communities)?;
    d.set_item("placed", report.placed)?;
    d.set_item("access_rows", report.access_rows)?;
    d.set_item("counts_rows", report.counts_rows)?;
    let parts: Vec<(String, u64, String)> = report
        .parts
        .iter()
        .map(|(name, n, st)| Ok((name.clone(), *n, json(st)?)))
        .collect::<PyResult<_>>()?;
    d.set_item("parts", parts)?;
    Ok(d)
}
