//! `livingcircle._native`: the engine library (lc-pipeline) for Python (issue 20).
//!
//! Conversion only: Python values in, lc-pipeline's calls, columns out. Tables arrive as a file
//! path or as CSV bytes rendered from a DataFrame by the Python side, and are read by lc-tables'
//! own readers, so that every check and every message (file, line, field) is the command line's.
//! Results leave as column buffers (`bytearray`s of little-endian numbers that the Python side
//! views with `numpy.frombuffer`) and lists of ids, never as one Python object per row. The GIL
//! is released while the work runs on a worker thread; the calling thread wakes every 100 ms to
//! pass progress to the Python callback and to check for Ctrl-C, which cancels the run through
//! the observer.

mod convert;
mod observe;
mod partition;

use convert::{parse_crs, Placing, Table};
use lc_model::{Candidate, Category, Community, Demand, Facility, LonLat};
use lc_network::Snapper;
use lc_pipeline::{
    network, AccessOptions, AssessInputs, AssessOptions, LoadOptions, Loaded, NetworkSource,
    PipelineError, SiteInputs, SiteOptions,
};
use observe::observed;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::PathBuf;
use std::time::Duration;

pyo3::create_exception!(
    _native,
    NativeError,
    pyo3::exceptions::PyException,
    "An error of the engine: args are (kind, message, details dict)."
);

/// A walkable network loaded once and queried many times.
#[pyclass(frozen, module = "livingcircle._native")]
struct Network {
    loaded: Loaded,
    facilities: Vec<Facility>,
    label: String,
}

fn load_options(
    profile: &str,
    keep_all_components: bool,
    cache: bool,
    want_osm_facilities: bool,
) -> PyResult<LoadOptions> {
    let profile = match profile {
        "walk" => lc_osm::Profile::Walk,
        "wheelchair" => lc_osm::Profile::Wheelchair,
        other => {
            return Err(convert::option_error(format!(
                "未知的出行方式 unknown profile {other:?}: expected \"walk\" or \"wheelchair\""
            )))
        }
    };
    Ok(LoadOptions {
        profile,
        keep_all_components,
        use_cache: cache,
        want_osm_facilities,
        label: None,
    })
}

/// Reads the points of a table argument (a path or CSV bytes) with lc-tables' reader.
fn communities(t: &Table, crs: lc_crs::Crs) -> Result<Vec<Community>, PipelineError> {
    Ok(match &t.data {
        None => lc_tables::read_communities(t.path(), crs)?,
        Some(b) => lc_tables::read_communities_from(&t.name, &b[..], crs)?,
    })
}

fn facilities(t: &Table, crs: lc_crs::Crs) -> Result<Vec<Facility>, PipelineError> {
    Ok(match &t.data {
        None => lc_tables::read_facilities(t.path(), crs)?,
        Some(b) => lc_tables::read_facilities_from(&t.name, &b[..], crs)?,
    })
}

fn candidates(t: &Table, crs: lc_crs::Crs) -> Result<Vec<Candidate>, PipelineError> {
    Ok(match &t.data {
        None => lc_tables::read_candidates(t.path(), crs, false)?,
        Some(b) => lc_tables::read_candidates_from(&t.name, &b[..], crs, false)?,
    })
}

/// The facilities of a run: the table's, and the OSM file's when asked (or when no table).
fn facilities_of(
    net: &Network,
    table: Option<&Table>,
    with_osm: bool,
    crs: lc_crs::Crs,
) -> Result<Vec<Facility>, PipelineError> {
    let mut out = match table {
        Some(t) => facilities(t, crs)?,
        None => Vec::new(),
    };
    if table.is_none() || with_osm {
        if net.facilities.is_empty() && table.is_none() {
            return Err(PipelineError::BadOption(
                "没有设施：请给出 facilities，或以 Network.from_osm(..., osm_facilities=True) 读取 OSM 标签中的设施 \
                 no facilities: pass facilities, or load the network with Network.from_osm(..., osm_facilities=True) to take them from the OSM tags"
                    .into(),
            ));
        }
        out.extend(net.facilities.iter().cloned());
    }
    Ok(out)
}

fn network_info<'py>(py: Python<'py>, net: &Network) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let g = &net.loaded.graph;
    d.set_item("source", &net.label)?;
    d.set_item("nodes", g.node_count())?;
    d.set_item("edges", g.edge_count())?;
    d.set_item(
        "from_cache",
        net.loaded
            .from_cache
            .as_ref()
            .map(|p| p.display().to_string()),
    )?;
    if let Some(r) = &net.loaded.report {
        d.set_item("components", r.components)?;
        d.set_item("dropped_nodes", r.dropped_nodes)?;
        d.set_item("dropped_edges", r.dropped_edges)?;
    }
    d.set_item("osm_facilities", net.facilities.len())?;
    d.set_item("timings", net.loaded.timings.clone())?;
    Ok(d)
}

fn category_keys(keys: Option<Vec<String>>) -> Result<Option<Vec<Category>>, PipelineError> {
    keys.map(|keys| {
        keys.iter()
            .map(|k| {
                Category::from_key(k)
                    .map_err(|e| PipelineError::BadOption(format!("categories: {e}")))
            })
            .collect()
    })
    .transpose()
}

impl Network {
    fn new(loaded: Loaded, label: String) -> Network {
        let facilities = lc_pipeline::place::from_osm(&loaded.osm_facilities);
        Network {
            loaded,
            facilities,
            label,
        }
    }

    /// Loads a file source through the pipeline (and its cache).
    fn load_source(
        py: Python<'_>,
        source: NetworkSource,
        opts: &LoadOptions,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<Network> {
        let loaded = observed(py, progress.as_ref(), |obs| {
            network::load(&source, opts, obs)
        })?;
        Ok(Network::new(loaded, source.label()))
    }
}

#[pymethods]
impl Network {
    /// Loads an OpenStreetMap PBF or XML file (through the cache next to it).
    #[staticmethod]
    #[pyo3(signature = (path, profile, keep_all_components, cache, osm_facilities, progress))]
    fn load_osm(
        py: Python<'_>,
        path: PathBuf,
        profile: &str,
        keep_all_components: bool,
        cache: bool,
        osm_facilities: bool,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<Network> {
        let opts = load_options(profile, keep_all_components, cache, osm_facilities)?;
        Network::load_source(py, NetworkSource::Osm(path), &opts, progress)
    }

    /// Loads `nodes.csv` and `edges.csv` (through the cache next to edges.csv).
    #[staticmethod]
    #[pyo3(signature = (nodes, edges, keep_all_components, cache, progress))]
    fn load_tables(
        py: Python<'_>,
        nodes: PathBuf,
        edges: PathBuf,
        keep_all_components: bool,
        cache: bool,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<Network> {
        let opts = load_options("walk", keep_all_components, cache, false)?;
        Network::load_source(py, NetworkSource::Tables { nodes, edges }, &opts, progress)
    }

    /// Builds the network of node and edge tables held in memory (CSV bytes, `id,lon,lat` and
    /// `from,to,length_m`), read by the same readers as the files.
    #[staticmethod]
    #[pyo3(signature = (nodes, edges, keep_all_components, progress))]
    fn load_frames(
        py: Python<'_>,
        nodes: Table,
        edges: Table,
        keep_all_components: bool,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<Network> {
        let opts = load_options("walk", keep_all_components, false, false)?;
        let label = format!("{} + {}", nodes.name, edges.name);
        let loaded = observed(py, progress.as_ref(), |obs| {
            let raw = match (&nodes.data, &edges.data) {
                (Some(n), Some(e)) => {
                    lc_tables::read_network_from(&nodes.name, &n[..], &edges.name, &e[..])?
                }
                _ => lc_tables::read_network(nodes.path(), edges.path())?,
            };
            network::from_raw(raw, &label, &opts, obs)
        })?;
        Ok(Network::new(loaded, label))
    }

    /// Builds the network of node and edge columns (little-endian int64 ids and ends, float64
    /// coordinates and lengths, as `numpy` arrays' bytes): rendered as the tables' CSV text and
    /// read by the same readers as the files, so every check and message is theirs.
    #[staticmethod]
    #[pyo3(signature = (nodes_name, id, lon, lat, edges_name, from, to, length_m, keep_all_components, progress))]
    #[allow(clippy::too_many_arguments)]
    fn load_arrays(
        py: Python<'_>,
        nodes_name: String,
        id: &[u8],
        lon: &[u8],
        lat: &[u8],
        edges_name: String,
        from: &[u8],
        to: &[u8],
        length_m: &[u8],
        keep_all_components: bool,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<Network> {
        let nodes = convert::columns_csv(
            &["id", "lon", "lat"],
            &[
                convert::Column::I64(id),
                convert::Column::F64(lon),
                convert::Column::F64(lat),
            ],
        )?;
        let edges = convert::columns_csv(
            &["from", "to", "length_m"],
            &[
                convert::Column::I64(from),
                convert::Column::I64(to),
                convert::Column::F64(length_m),
            ],
        )?;
        Network::load_frames(
            py,
            Table {
                name: nodes_name,
                data: Some(nodes),
            },
            Table {
                name: edges_name,
                data: Some(edges),
            },
            keep_all_components,
            progress,
        )
    }

    /// Nodes, edges, source, cache and build figures.
    fn info<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        network_info(py, self)
    }

    /// The facilities found in the OSM tags: a facilities table as CSV text.
    fn osm_facilities_csv(&self) -> PyResult<String> {
        let mut out = Vec::new();
        lc_tables::write_facilities_to(&mut out, &self.facilities)
            .map_err(|e| pyo3::exceptions::PyIOError::new_err(e.to_string()))?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    /// Nearest facilities, counts within circles and (with a catchment) 2SFCA ratios.
    #[pyo3(signature = (communities, facilities, with_osm_facilities, k, max_distance, circles, catchment, categories, placing, progress))]
    #[allow(clippy::too_many_arguments)]
    fn access<'py>(
        &self,
        py: Python<'py>,
        communities: Table,
        facilities: Option<Table>,
        with_osm_facilities: bool,
        k: usize,
        max_distance: f64,
        circles: Vec<f64>,
        catchment: Option<f64>,
        categories: Option<Vec<String>>,
        placing: Placing,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let Placing {
            snap,
            snap_limit,
            crs,
        } = placing;
        convert::positive("max_distance", max_distance)?;
        for &c in &circles {
            convert::positive("circles", c)?;
        }
        if let Some(c) = catchment {
            convert::positive("catchment", c)?;
        }
        let (comms, run, ratios) = observed(py, progress.as_ref(), |obs| {
            let comms = self::communities(&communities, crs)?;
            let facs = facilities_of(self, facilities.as_ref(), with_osm_facilities, crs)?;
            let run = lc_pipeline::run_access(
                &self.loaded.graph,
                &comms,
                facs,
                &AccessOptions {
                    k,
                    max_distance,
                    circles: circles.clone(),
                    capacity_catchment: catchment,
                    categories: category_keys(categories)?,
                    snap,
                    snap_limit,
                    communities_file: PathBuf::from(&communities.name),
                },
                obs,
            )?;
            let ratios = catchment.map(|_| run.capacity_ratios(&comms));
            Ok((comms, run, ratios))
        })?;
        convert::access_columns(py, &comms, &run, &circles, ratios.as_ref(), catchment)
    }

    /// Walking isochrones around points: one polygon per point and limit.
    #[pyo3(signature = (ids, lons, lats, communities, minutes, speed, buffer, placing, progress))]
    #[allow(clippy::too_many_arguments)]
    fn isochrones<'py>(
        &self,
        py: Python<'py>,
        ids: Vec<String>,
        lons: Vec<f64>,
        lats: Vec<f64>,
        communities: Option<Table>,
        minutes: Vec<f64>,
        speed: f64,
        buffer: f64,
        placing: Placing,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let Placing {
            snap,
            snap_limit,
            crs,
        } = placing;
        for &m in &minutes {
            convert::positive("minutes", m)?;
        }
        convert::positive("speed", speed)?;
        convert::positive("buffer", buffer)?;
        let (ids, isos) = observed(py, progress.as_ref(), |obs| {
            let mut starts: Vec<(String, LonLat)> = Vec::new();
            if let Some(t) = &communities {
                for c in self::communities(t, crs)? {
                    starts.push((c.id, c.pos));
                }
            }
            for ((id, lon), lat) in ids.iter().zip(&lons).zip(&lats) {
                let p = convert::point(*lon, *lat)?;
                starts.push((id.clone(), lc_crs::to_wgs84(crs, p)));
            }
            let graph = &self.loaded.graph;
            let snapper = Snapper::new(graph, snap);
            let pts: Vec<LonLat> = starts.iter().map(|s| s.1).collect();
            let placed = lc_pipeline::place::place(&snapper, &pts, snap_limit);
            let opts = lc_access::isochrone::IsochroneOptions {
                limits: minutes.iter().map(|m| m * speed).collect(),
                buffer_m: buffer,
            };
            let isos = convert::isochrones(graph, &placed.anchors, &opts, obs)?;
            Ok((starts.into_iter().map(|s| s.0).collect::<Vec<_>>(), isos))
        })?;
        convert::isochrone_columns(py, &ids, &isos, speed)
    }

    /// The assessment against the standards and targets: its tables as CSV text.
    #[pyo3(signature = (communities, facilities, with_osm_facilities, standards, targets, divisions, max_distance, placing, progress))]
    #[allow(clippy::too_many_arguments)]
    fn assess<'py>(
        &self,
        py: Python<'py>,
        communities: Table,
        facilities: Option<Table>,
        with_osm_facilities: bool,
        standards: Vec<(String, String)>,
        targets: Vec<(String, String)>,
        divisions: Option<(String, String)>,
        max_distance: f64,
        placing: Placing,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let Placing {
            snap,
            snap_limit,
            crs,
        } = placing;
        convert::positive("max_distance", max_distance)?;
        let (standards, plans) = convert::specs(&standards, &targets)?;
        let mut divs = lc_assess::Divisions::new();
        if let Some((name, text)) = &divisions {
            divs.add_csv(name, text, &|_| true)
                .map_err(convert::division_error)?;
        }
        let tables = observed(py, progress.as_ref(), |obs| {
            let comms = self::communities(&communities, crs)?;
            let facs = lc_model::FacilityList::from(facilities_of(
                self,
                facilities.as_ref(),
                with_osm_facilities,
                crs,
            )?);
            let run = lc_pipeline::run_assess(
                &self.loaded.graph,
                &AssessInputs {
                    standards: &standards,
                    plans: &plans,
                    divisions: &divs,
                    communities: &comms,
                    facilities: &facs,
                    candidates: &[],
                    platform: None,
                },
                &AssessOptions {
                    max_distance,
                    snap,
                    snap_limit,
                    communities_file: PathBuf::from(&communities.name),
                },
                obs,
            )?;
            Ok(assessment_tables(
                &comms,
                &facs,
                &standards,
                &plans,
                &divs,
                &run.assessment,
            ))
        })?;
        let d = PyDict::new(py);
        for (name, text) in tables {
            d.set_item(name, text)?;
        }
        Ok(d)
    }

    /// Where new facilities of a category bring the most people within a walk (maximal
    /// coverage among candidate plots), in order of what each adds, with the proven bound.
    #[pyo3(signature = (communities, candidates, facilities, with_osm_facilities, category, sites, radius, time_limit, placing, progress))]
    #[allow(clippy::too_many_arguments)]
    fn site<'py>(
        &self,
        py: Python<'py>,
        communities: Table,
        candidates: Table,
        facilities: Option<Table>,
        with_osm_facilities: bool,
        category: &str,
        sites: usize,
        radius: Option<f64>,
        time_limit: f64,
        placing: Placing,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let Placing {
            snap,
            snap_limit,
            crs,
        } = placing;
        convert::positive("time_limit", time_limit)?;
        let category = Category::from_key(category)
            .map_err(|e| convert::option_error(format!("category: {e}")))?;
        let radius_m = match radius {
            Some(r) => r,
            None => {
                let shipped = lc_standards::shipped_standards()
                    .map_err(|e| convert::option_error(e.to_string()))?;
                lc_pipeline::standard_radius(&shipped, category).ok_or_else(|| {
                    convert::option_error(format!(
                        "标准中没有 {0} 的步行距离，请给出 radius no shipped standard gives a walking distance for {0}: pass radius",
                        category.key()
                    ))
                })?
            }
        };
        let (cands, run) = observed(py, progress.as_ref(), |obs| {
            let comms = self::communities(&communities, crs)?;
            let cands = self::candidates(&candidates, crs)?;
            let facs = match (&facilities, with_osm_facilities) {
                (None, false) => Vec::new(),
                (f, _) => {
                    let mut v = match f {
                        Some(t) => self::facilities(t, crs)?,
                        None => Vec::new(),
                    };
                    if with_osm_facilities {
                        v.extend(self.facilities.iter().cloned());
                    }
                    v
                }
            };
            let run = lc_pipeline::run_site(
                &self.loaded.graph,
                &SiteInputs {
                    communities: &comms,
                    facilities: &facs,
                    candidates: &cands,
                },
                &SiteOptions {
                    category,
                    sites,
                    radius_m,
                    snap,
                    snap_limit,
                    time_limit: Duration::from_secs_f64(time_limit),
                },
                obs,
            )?;
            Ok((cands, run))
        })?;
        convert::site_columns(py, &cands, &run, radius_m, category)
    }
}

/// An assessment's tables as CSV text, as `livingcircle assess` writes them.
pub(crate) fn assessment_tables(
    communities: &[Community],
    facilities: &lc_model::FacilityList,
    standards: &[lc_standards::Standard],
    plans: &[lc_standards::Plan],
    divisions: &lc_assess::Divisions,
    assessment: &lc_assess::Assessment,
) -> Vec<(&'static str, String)> {
    let report = lc_report::Report {
        title: String::new(),
        communities,
        facilities,
        standards,
        plans,
        assessment,
        divisions,
        streets: Vec::new(),
        facts: Vec::new(),
        recommendations: Vec::new(),
    };
    vec![
        ("shortcomings", lc_report::shortcomings_csv(&report).0),
        ("indicators", lc_report::indicators_csv(&report)),
        ("unavailable", lc_report::unavailable_csv(&report)),
        ("indicator_definitions", lc_report::definitions_csv(&report)),
        ("facilities", lc_report::facilities_csv(&report)),
    ]
}

/// The capacity demand group's label, as the command line's capacity table writes it.
pub(crate) fn demand_label(d: Demand, specific: bool) -> &'static str {
    match (d, specific) {
        (Demand::Population, _) => "population",
        (Demand::Children0To3, true) => "children_0_3",
        (Demand::Elderly, true) => "elderly",
        (_, false) => "population (fallback)",
    }
}

/// The categories of the vocabulary: key, Chinese name, English name.
#[pyfunction]
fn categories() -> Vec<(String, String, String)> {
    Category::all()
        .map(|c| {
            let info = c.info();
            (
                c.key().to_string(),
                info.zh.to_string(),
                info.en.to_string(),
            )
        })
        .collect()
}

/// Converts points between WGS-84, GCJ-02 and BD-09 (lc-crs).
#[pyfunction]
fn convert_points(lons: Vec<f64>, lats: Vec<f64>, crs: &str) -> PyResult<(Vec<f64>, Vec<f64>)> {
    let crs = parse_crs(crs)?;
    let (mut x, mut y) = (
        Vec::with_capacity(lons.len()),
        Vec::with_capacity(lons.len()),
    );
    for (lon, lat) in lons.into_iter().zip(lats) {
        let p = lc_crs::to_wgs84(crs, LonLat::new(lon, lat));
        x.push(p.lon);
        y.push(p.lat);
    }
    Ok((x, y))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Network>()?;
    m.add("NativeError", m.py().get_type::<NativeError>())?;
    m.add_function(wrap_pyfunction!(categories, m)?)?;
    m.add_function(wrap_pyfunction!(convert_points, m)?)?;
    m.add_function(wrap_pyfunction!(partition::partition_plan, m)?)?;
    m.add_function(wrap_pyfunction!(partition::partition_run, m)?)?;
    m.add_function(wrap_pyfunction!(partition::partition_merge, m)?)?;
    m.add_function(wrap_pyfunction!(partition::partition_plan_assess, m)?)?;
    m.add_function(wrap_pyfunction!(partition::partition_assess, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
