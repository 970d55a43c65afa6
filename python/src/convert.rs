//! Python values in, columns out, errors across.

use crate::NativeError;
use lc_access::isochrone::{isochrones as iso_of, Isochrone, IsochroneOptions};
use lc_access::{CommunityAccess, Search};
use lc_model::{Candidate, Category, Community, LonLat};
use lc_network::{Anchor, Graph, SnapMode};
use lc_pipeline::{AccessRun, Observer, PipelineError, SiteRun, Step};
use lc_standards::{Plan, SpecError, Standard};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict};
use rayon::prelude::*;
use std::path::Path;

/// A table argument: `(name, None)` reads the file `name`; `(name, bytes)` reads CSV bytes
/// (a DataFrame rendered by the Python side), named `name` in messages.
pub struct Table {
    pub name: String,
    pub data: Option<Vec<u8>>,
}

impl Table {
    pub fn path(&self) -> &Path {
        Path::new(&self.name)
    }
}

impl<'a, 'py> FromPyObject<'a, 'py> for Table {
    type Error = PyErr;

    fn extract(ob: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        let (name, data): (String, Option<Bound<'py, PyBytes>>) = ob.extract()?;
        Ok(Table {
            name,
            data: data.map(|b| b.as_bytes().to_vec()),
        })
    }
}

/// Where points go and how their coordinates read: `(snap, snap_limit, crs)`.
pub struct Placing {
    pub snap: SnapMode,
    pub snap_limit: f64,
    pub crs: lc_crs::Crs,
}

impl<'a, 'py> FromPyObject<'a, 'py> for Placing {
    type Error = PyErr;

    fn extract(ob: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        let (snap, snap_limit, crs): (String, f64, String) = ob.extract()?;
        positive("snap_limit", snap_limit)?;
        Ok(Placing {
            snap: parse_snap(&snap)?,
            snap_limit,
            crs: parse_crs(&crs)?,
        })
    }
}

/// A column of little-endian numbers (a numpy array's bytes).
pub enum Column<'a> {
    I64(&'a [u8]),
    F64(&'a [u8]),
}

impl Column<'_> {
    fn len(&self) -> usize {
        match self {
            Column::I64(b) | Column::F64(b) => b.len() / 8,
        }
    }

    fn push(&self, row: usize, out: &mut String) {
        use std::fmt::Write as _;
        let at = |b: &[u8]| -> [u8; 8] {
            let mut x = [0u8; 8];
            x.copy_from_slice(&b[row * 8..row * 8 + 8]);
            x
        };
        // `{}` of an f64 is the shortest text that reads back as the same number.
        let _ = match self {
            Column::I64(b) => write!(out, "{}", i64::from_le_bytes(at(b))),
            Column::F64(b) => write!(out, "{}", f64::from_le_bytes(at(b))),
        };
    }
}

/// Columns as CSV text with a header line (for the table readers).
pub fn columns_csv(names: &[&str], columns: &[Column<'_>]) -> PyResult<Vec<u8>> {
    let rows = columns.first().map_or(0, Column::len);
    if columns.iter().any(|c| {
        c.len() != rows || matches!(c, Column::I64(b) | Column::F64(b) if b.len() % 8 != 0)
    }) {
        return Err(option_error(
            "columns of different lengths (internal error of the conversion)".into(),
        ));
    }
    let mut out = String::with_capacity(rows * 12 * columns.len() + 32);
    out.push_str(&names.join(","));
    out.push('\n');
    for r in 0..rows {
        for (i, c) in columns.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            c.push(r, &mut out);
        }
        out.push('\n');
    }
    Ok(out.into_bytes())
}

/// The details of an error for the Python side: kind, message and where.
#[derive(Default)]
struct Details {
    kind: &'static str,
    message: String,
    file: Option<String>,
    line: Option<u64>,
    column: Option<u64>,
    field: Option<String>,
    /// Every row error: (file, line, field, message).
    rows: Vec<(String, u64, Option<String>, String)>,
}

fn raise(d: Details) -> PyErr {
    Python::attach(|py| {
        let dict = PyDict::new(py);
        let set = || -> PyResult<()> {
            dict.set_item("file", d.file)?;
            dict.set_item("line", d.line)?;
            dict.set_item("column", d.column)?;
            dict.set_item("field", d.field)?;
            dict.set_item("rows", d.rows)?;
            Ok(())
        };
        match set() {
            Ok(()) => NativeError::new_err((d.kind, d.message, dict.unbind())),
            Err(e) => e,
        }
    })
}

/// A bad option value.
pub fn option_error(message: String) -> PyErr {
    raise(Details {
        kind: "option",
        message,
        ..Details::default()
    })
}

/// A pipeline error as a Python exception carrying file, line and field where known.
pub fn error_to_py(e: PipelineError) -> PyErr {
    let message = e.to_string();
    let mut d = Details {
        message,
        ..Details::default()
    };
    match e {
        PipelineError::Cancelled => d.kind = "cancelled",
        PipelineError::Table(t) => {
            d.kind = "table";
            match &t {
                lc_tables::TableError::Open { path, .. }
                | lc_tables::TableError::Read { path, .. } => {
                    d.kind = "io";
                    d.file = Some(path.display().to_string());
                }
                lc_tables::TableError::MissingColumn { file, column, .. } => {
                    d.file = Some(file.clone());
                    d.field = Some(column.clone());
                    d.line = Some(1);
                }
                lc_tables::TableError::File { file, .. } => d.file = Some(file.clone()),
                lc_tables::TableError::Rows { file, errors, .. } => {
                    d.file = Some(file.clone());
                    if let Some(first) = errors.first() {
                        d.line = Some(first.line);
                        d.field = first.field.clone();
                    }
                    d.rows = errors
                        .iter()
                        .map(|r| (r.file.clone(), r.line, r.field.clone(), r.message.clone()))
                        .collect();
                }
                _ => {}
            }
        }
        PipelineError::Osm { source_label, .. } => {
            d.kind = "network";
            d.file = Some(source_label);
        }
        PipelineError::Network { source_label, .. } => {
            d.kind = "network";
            d.file = Some(source_label);
        }
        PipelineError::Io { path, .. } => {
            d.kind = "io";
            d.file = Some(path.display().to_string());
        }
        PipelineError::NothingToCompute(_) => d.kind = "nothing",
        PipelineError::BadOption(_) => d.kind = "option",
        PipelineError::Job { file, field, .. } => {
            d.kind = "partition";
            d.file = Some(file.display().to_string());
            d.field = Some(field);
        }
        PipelineError::Partition(_) => d.kind = "partition",
        _ => d.kind = "other",
    }
    raise(d)
}

fn spec_error(e: SpecError) -> PyErr {
    raise(Details {
        kind: "spec",
        message: e.to_string(),
        file: Some(e.file.clone()),
        line: Some(e.line as u64),
        column: Some(e.column as u64),
        field: e.key.clone(),
        rows: Vec::new(),
    })
}

/// A division list's error (file and line).
pub fn division_error(e: lc_assess::DivisionError) -> PyErr {
    raise(Details {
        kind: "table",
        message: e.to_string(),
        file: Some(e.file.clone()),
        line: Some(e.line as u64),
        ..Details::default()
    })
}

/// Standards and plans from `(name, text)` pairs; the shipped ones when none are given.
pub fn specs(
    standards: &[(String, String)],
    targets: &[(String, String)],
) -> PyResult<(Vec<Standard>, Vec<Plan>)> {
    /// The files given, or the shipped ones.
    fn given_or<T>(
        given: &[(String, String)],
        shipped: fn() -> Result<Vec<T>, SpecError>,
        parse: fn(&str, &str) -> Result<T, SpecError>,
    ) -> PyResult<Vec<T>> {
        if given.is_empty() {
            return shipped().map_err(spec_error);
        }
        given
            .iter()
            .map(|(n, t)| parse(n, t).map_err(spec_error))
            .collect()
    }
    let standards = given_or(
        standards,
        lc_standards::shipped_standards,
        lc_standards::parse_standard,
    )?;
    let plans = given_or(
        targets,
        lc_standards::shipped_plans,
        lc_standards::parse_plan,
    )?;
    let mut ids = std::collections::BTreeSet::new();
    for s in &standards {
        if !ids.insert(s.id.clone()) {
            return Err(option_error(format!(
                "标准 {0} 给出了两次（{1}）standard {0} is given twice ({1})",
                lc_model::quote(&s.id),
                s.file
            )));
        }
    }
    for p in &plans {
        lc_standards::check_plan(p, &standards).map_err(spec_error)?;
    }
    Ok((standards, plans))
}

pub fn parse_snap(s: &str) -> PyResult<SnapMode> {
    match s {
        "edge" => Ok(SnapMode::Edge),
        "node" => Ok(SnapMode::Node),
        other => Err(option_error(format!(
            "未知的落点方式 unknown snap {other:?}: expected \"edge\" or \"node\""
        ))),
    }
}

pub fn parse_crs(s: &str) -> PyResult<lc_crs::Crs> {
    s.parse::<lc_crs::Crs>()
        .map_err(|e| option_error(format!("crs: {e}")))
}

/// Refuses a value that is not a finite positive number.
pub fn positive(name: &str, v: f64) -> PyResult<()> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(option_error(format!(
            "{name} 须为正数，实为 {v} {name} must be a positive number, got {v}"
        )))
    }
}

/// A start point's coordinates, checked.
pub fn point(lon: f64, lat: f64) -> Result<LonLat, PipelineError> {
    if !((-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat)) {
        return Err(PipelineError::BadOption(format!(
            "坐标超出范围（经度 -180 至 180，纬度 -90 至 90）coordinates out of range: {lon}, {lat}"
        )));
    }
    Ok(LonLat::new(lon, lat))
}

fn le_bytes<'py, T: Copy, const N: usize>(
    py: Python<'py>,
    v: &[T],
    f: impl Fn(T) -> [u8; N],
) -> Bound<'py, PyByteArray> {
    let mut out = Vec::with_capacity(v.len() * N);
    for &x in v {
        out.extend_from_slice(&f(x));
    }
    PyByteArray::new(py, &out)
}

/// Little-endian float64 values, for `numpy.frombuffer(b, "<f8")`.
pub fn bytes_f64<'py>(py: Python<'py>, v: &[f64]) -> Bound<'py, PyByteArray> {
    le_bytes(py, v, f64::to_le_bytes)
}

/// Little-endian uint64 values, for `numpy.frombuffer(b, "<u8")`.
pub fn bytes_u64<'py>(py: Python<'py>, v: &[u64]) -> Bound<'py, PyByteArray> {
    le_bytes(py, v, u64::to_le_bytes)
}

/// Little-endian uint32 values, for `numpy.frombuffer(b, "<u4")`.
pub fn bytes_u32<'py>(py: Python<'py>, v: &[u32]) -> Bound<'py, PyByteArray> {
    le_bytes(py, v, u32::to_le_bytes)
}

/// A value as the command line writes it with `{:.N}` and a reader parses it back.
fn as_written(v: f64, decimals: usize) -> f64 {
    format!("{v:.decimals$}").parse().unwrap_or(f64::NAN)
}

/// Metres as the command line writes them (to the millimetre).
fn metres(d: f64) -> f64 {
    (d * 1000.0).round() / 1000.0
}

/// The access run as columns: `nearest` (community, category, rank, facility, distance_m),
/// `counts` (communities × categories × circles), `capacity` (the 2SFCA table's rows).
pub fn access_columns<'py>(
    py: Python<'py>,
    communities: &[Community],
    run: &AccessRun,
    circles: &[f64],
    ratios: Option<&lc_access::TwoStep>,
    catchment: Option<f64>,
) -> PyResult<Bound<'py, PyDict>> {
    let d = nearest_columns(
        py,
        communities,
        &run.facilities,
        &run.selected,
        &run.results,
        circles,
    )?;
    let nk = run.selected.len();
    if let (Some(tsf), Some(catchment)) = (ratios, catchment) {
        let (mut comm, mut cat, mut group, mut demand, mut nf, mut supply, mut ratio) = (
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
        );
        for (i, c) in communities.iter().enumerate() {
            for (ci, k) in run.selected.iter().enumerate() {
                if !run.capacity_categories[ci] {
                    continue;
                }
                let (dm, specific) = c.demand(k.info().demand);
                let slot = i * nk + ci;
                comm.push(i as u32);
                cat.push(ci as u32);
                group.push(crate::demand_label(k.info().demand, specific));
                demand.push(dm);
                nf.push(tsf.facilities[slot]);
                supply.push(tsf.supply[slot]);
                ratio.push(as_written(tsf.ratio[slot] * 1000.0, 4));
            }
        }
        let cap = PyDict::new(py);
        cap.set_item("community", bytes_u32(py, &comm))?;
        cap.set_item("category", bytes_u32(py, &cat))?;
        cap.set_item("catchment_m", catchment)?;
        cap.set_item("demand_group", group)?;
        cap.set_item("demand", bytes_f64(py, &demand))?;
        cap.set_item("facilities_in_catchment", bytes_u32(py, &nf))?;
        cap.set_item("capacity_in_catchment", bytes_f64(py, &supply))?;
        cap.set_item("ratio_per_1000", bytes_f64(py, &ratio))?;
        d.set_item("capacity", cap)?;
    }

    let placed =
        |p: &lc_pipeline::Placed| -> Vec<u32> { p.too_far.iter().map(|&i| i as u32).collect() };
    d.set_item("communities_too_far", placed(&run.communities_placed))?;
    d.set_item("facilities_too_far", placed(&run.facilities_placed))?;
    d.set_item("median_snap_m", run.communities_placed.median_snap_m)?;
    d.set_item("timings", run.timings.clone())?;
    Ok(d)
}

/// Per-community results as columns: `community_ids`, `facility_ids`, `categories`, `nearest`
/// (community, category, rank, facility indices and distance_m, metres as the command line
/// writes them), `counts` (communities × categories × circles, 0 off the network), `circles`.
/// Used by a whole run and by a partitioned run's part alike.
pub fn nearest_columns<'py>(
    py: Python<'py>,
    communities: &[Community],
    facilities: &(impl lc_pipeline::FacilityIds + ?Sized),
    selected: &[Category],
    results: &[CommunityAccess],
    circles: &[f64],
) -> PyResult<Bound<'py, PyDict>> {
    let n = results.iter().map(|r| r.nearest.len()).sum::<usize>();
    let (mut comm, mut cat, mut rank, mut fac, mut dist) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for (i, r) in results.iter().enumerate() {
        for f in &r.nearest {
            comm.push(i as u32);
            cat.push(u32::from(f.category));
            rank.push(u32::from(f.rank));
            fac.push(f.facility);
            dist.push(metres(f.distance_m));
        }
    }
    let d = PyDict::new(py);
    d.set_item(
        "community_ids",
        communities
            .iter()
            .map(|c| c.id.as_str())
            .collect::<Vec<_>>(),
    )?;
    d.set_item(
        "facility_ids",
        (0..facilities.facility_count())
            .map(|i| facilities.facility_id(i))
            .collect::<Vec<_>>(),
    )?;
    d.set_item(
        "categories",
        selected.iter().map(|c| c.key()).collect::<Vec<_>>(),
    )?;
    let nearest = PyDict::new(py);
    nearest.set_item("community", bytes_u32(py, &comm))?;
    nearest.set_item("category", bytes_u32(py, &cat))?;
    nearest.set_item("rank", bytes_u32(py, &rank))?;
    nearest.set_item("facility", bytes_u32(py, &fac))?;
    nearest.set_item("distance_m", bytes_f64(py, &dist))?;
    d.set_item("nearest", nearest)?;

    // Counts: every community × category × circle (0 for a community off the network).
    let (nk, nc) = (selected.len(), circles.len());
    let mut counts = vec![0u32; results.len() * nk * nc];
    for (i, r) in results.iter().enumerate() {
        for (j, &v) in r.counts.iter().enumerate().take(nk * nc) {
            counts[i * nk * nc + j] = v;
        }
    }
    d.set_item("counts", bytes_u32(py, &counts))?;
    d.set_item("circles", circles.to_vec())?;
    Ok(d)
}

/// Isochrones of every placed start, in parallel; `None` for a start off the network.
pub fn isochrones(
    graph: &Graph,
    anchors: &[Option<Anchor>],
    opts: &IsochroneOptions,
    obs: &dyn Observer,
) -> Result<Vec<Vec<Isochrone>>, PipelineError> {
    obs.start(Step::Access, Some(anchors.len() as u64));
    let t = std::time::Instant::now();
    let done = std::sync::atomic::AtomicU64::new(0);
    let out: Option<Vec<Vec<Isochrone>>> = anchors
        .par_iter()
        .map_init(
            || Search::new(graph.node_count()),
            |search, anchor| {
                if obs.cancelled() {
                    return None;
                }
                let r = match anchor {
                    Some(a) => iso_of(graph, search, a, opts),
                    None => Vec::new(),
                };
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                obs.advance(Step::Access, n);
                Some(r)
            },
        )
        .collect();
    obs.finish(Step::Access, t.elapsed().as_secs_f64());
    out.ok_or(PipelineError::Cancelled)
}

/// Isochrones as rows: start index, minutes, distance, street length, nodes, and the polygons'
/// rings (`[[[lon, lat], …], …]` per polygon) for shapely.
pub fn isochrone_columns<'py>(
    py: Python<'py>,
    ids: &[String],
    isos: &[Vec<Isochrone>],
    speed: f64,
) -> PyResult<Bound<'py, PyDict>> {
    type Rings = Vec<Vec<(f64, f64)>>;
    let ring =
        |r: &geo::LineString<f64>| -> Vec<(f64, f64)> { r.0.iter().map(|c| (c.x, c.y)).collect() };
    let (mut start, mut minutes, mut dist, mut street, mut nodes, mut polys) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    for (i, list) in isos.iter().enumerate() {
        for iso in list {
            start.push(i as u32);
            minutes.push(iso.limit_m / speed);
            dist.push(iso.limit_m);
            street.push((iso.street_length_m * 10.0).round() / 10.0);
            nodes.push(iso.nodes as u32);
            let p: Vec<Rings> = iso
                .area
                .0
                .iter()
                .map(|p| {
                    let mut rings = vec![ring(p.exterior())];
                    rings.extend(p.interiors().iter().map(ring));
                    rings
                })
                .collect();
            polys.push(p);
        }
    }
    let d = PyDict::new(py);
    d.set_item("ids", ids.to_vec())?;
    d.set_item("start", bytes_u32(py, &start))?;
    d.set_item("minutes", bytes_f64(py, &minutes))?;
    d.set_item("distance_m", bytes_f64(py, &dist))?;
    d.set_item("street_length_m", bytes_f64(py, &street))?;
    d.set_item("nodes_reached", bytes_u32(py, &nodes))?;
    d.set_item("polygons", polys)?;
    Ok(d)
}

/// A siting run: the chosen sites in order and the figures of the scenario.
pub fn site_columns<'py>(
    py: Python<'py>,
    candidates: &[Candidate],
    run: &SiteRun,
    radius_m: f64,
    category: Category,
) -> PyResult<Bound<'py, PyDict>> {
    let s = &run.sites;
    let chosen: Vec<&Candidate> = s.iter().map(|x| &candidates[x.candidate]).collect();
    let d = PyDict::new(py);
    d.set_item("rank", (1..=s.len() as u32).collect::<Vec<_>>())?;
    let text = |f: fn(&Candidate) -> &str| chosen.iter().map(|c| f(c)).collect::<Vec<_>>();
    d.set_item("candidate_id", text(|c| &c.id))?;
    d.set_item("name", text(|c| &c.name))?;
    let number = |f: &dyn Fn(usize) -> f64| (0..s.len()).map(f).collect::<Vec<_>>();
    d.set_item("lon", number(&|i| chosen[i].pos.lon))?;
    d.set_item("lat", number(&|i| chosen[i].pos.lat))?;
    d.set_item("newly_covered", number(&|i| s[i].newly_covered))?;
    d.set_item("cumulative", number(&|i| s[i].cumulative))?;
    d.set_item(
        "communities",
        s.iter().map(|x| x.communities.len()).collect::<Vec<_>>(),
    )?;
    let f = PyDict::new(py);
    f.set_item("category", category.key())?;
    f.set_item("radius_m", radius_m)?;
    f.set_item("population", run.population)?;
    f.set_item("covered_before", run.covered_before)?;
    f.set_item("covered_after", run.covered_after)?;
    f.set_item("bound", run.bound)?;
    f.set_item("gap", run.solution.gap)?;
    f.set_item("optimal", run.solution.optimal)?;
    f.set_item("found_by", run.solution.found_by)?;
    f.set_item("bound_by", run.solution.bound_by)?;
    f.set_item("existing", run.existing.len())?;
    f.set_item("timings", run.timings.clone())?;
    d.set_item("figures", f)?;
    Ok(d)
}
