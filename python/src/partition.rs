//! Partitioned runs (issue 20 item 2, over issue 15's `lc_pipeline::partition`): plan a run into
//! self-contained part jobs, run one job, merge the parts' files. Conversion only; the Python
//! module `livingcircle.distributed` runs the jobs on a Dask cluster.

use crate::convert::{self, bytes_u64, error_to_py, nearest_columns, option_error, parse_crs};
use crate::observe::observed;
use lc_model::Category;
use lc_pipeline::partition::{self, MergeOutputs, PartJob, PlanRequest, Scheme};
use pyo3::prelude::*;
use pyo3::types::PyDict;
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
        out_dir,
    };
    let (plan, files) = observed(py, progress.as_ref(), |obs| {
        let plan = partition::plan(&req, obs)?;
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
/// communities file's rows, and the part's manifest as JSON text. Writes nothing.
#[pyfunction]
#[pyo3(signature = (job, progress))]
pub fn partition_run<'py>(
    py: Python<'py>,
    job: PathBuf,
    progress: Option<Py<PyAny>>,
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
    let out = MergeOutputs { access, counts };
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
