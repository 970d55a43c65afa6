//! Loading the walkable network from OSM or node/edge tables, through a cache next to the input
//! (`<input>.<profile>.<lcc|all>.lcnet`): a second run reads the built graph instead of parsing
//! and building again (the figures on the 10M-node province are in BENCHMARKS.md). A
//! cache that does not match its input (changed file, other options, other version of
//! livingcircle or of the cache's format) or is corrupt is rebuilt.

use crate::observer::{Step, Stepper};
use crate::{Observer, PipelineError, Timings};
use lc_network::{cache, BuildOptions, BuildReport, Graph, RawNetwork};
use lc_osm::{OsmFacility, OsmOptions, Profile};
use std::io::{Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Where the network comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetworkSource {
    /// An OpenStreetMap PBF or XML file.
    Osm(PathBuf),
    /// `nodes.csv` and `edges.csv`.
    Tables {
        /// `id,lon,lat`.
        nodes: PathBuf,
        /// `from,to,length_m`.
        edges: PathBuf,
    },
}

impl NetworkSource {
    /// The files it is read from.
    pub fn files(&self) -> Vec<&Path> {
        match self {
            NetworkSource::Osm(p) => vec![p.as_path()],
            NetworkSource::Tables { nodes, edges } => vec![nodes.as_path(), edges.as_path()],
        }
    }

    /// The source as a label (`file.osm.pbf`, `nodes.csv + edges.csv`).
    pub fn label(&self) -> String {
        self.label_with(|p| p.display().to_string())
    }

    /// The source as a label, each path shown by `show`.
    pub fn label_with(&self, show: impl Fn(&Path) -> String) -> String {
        match self {
            NetworkSource::Osm(p) => show(p),
            NetworkSource::Tables { nodes, edges } => format!("{} + {}", show(nodes), show(edges)),
        }
    }
}

/// How to load it.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Walking or wheelchair (OSM only).
    pub profile: Profile,
    /// Keep every connected component instead of the largest.
    pub keep_all_components: bool,
    /// Read and write the cache next to the input.
    pub use_cache: bool,
    /// Also collect facilities from OSM tags (forces a parse; the cache holds no facilities).
    pub want_osm_facilities: bool,
    /// How the source is named in messages (default: the paths as given).
    pub label: Option<String>,
}

impl Default for LoadOptions {
    fn default() -> LoadOptions {
        LoadOptions {
            profile: Profile::Walk,
            keep_all_components: false,
            use_cache: true,
            want_osm_facilities: false,
            label: None,
        }
    }
}

/// A loaded network and what happened while loading it.
#[derive(Debug)]
pub struct Loaded {
    /// The walkable graph.
    pub graph: Graph,
    /// What the build kept and dropped (`None` when read from the cache).
    pub report: Option<BuildReport>,
    /// Facilities found in the OSM tags (with `want_osm_facilities`).
    pub osm_facilities: Vec<OsmFacility>,
    /// The cache file the graph was read from, if it was.
    pub from_cache: Option<PathBuf>,
    /// Seconds per step (`read_network`, `build_network`).
    pub timings: Timings,
}

/// Loads the network of `source`.
pub fn load(
    source: &NetworkSource,
    opts: &LoadOptions,
    obs: &dyn Observer,
) -> Result<Loaded, PipelineError> {
    let mut timings = Timings::new();
    let label = opts.label.clone().unwrap_or_else(|| source.label());
    let cache_path = cache_path(source, opts);
    let key = cache_key(source, opts)?;
    let mut steps = Stepper {
        obs,
        timings: &mut timings,
    };
    if opts.use_cache && !opts.want_osm_facilities {
        if let Some(path) = &cache_path {
            let cached = steps.run(Step::ReadNetwork, None, |_| Ok(read_cache(path, &key)))?;
            if let Some(graph) = cached {
                return Ok(Loaded {
                    graph,
                    report: None,
                    osm_facilities: Vec::new(),
                    from_cache: Some(path.clone()),
                    timings,
                });
            }
        }
    }
    let (raw, osm_facilities): (RawNetwork, Vec<OsmFacility>) =
        steps.run(Step::ReadNetwork, None, |obs| match source {
            NetworkSource::Osm(path) => {
                let osm_opts = OsmOptions {
                    profile: opts.profile,
                };
                let tick = |p: lc_osm::OsmProgress| {
                    obs.note(
                        Step::ReadNetwork,
                        &format!("{:?} {}/{}", p.phase, p.done, p.total),
                    )
                };
                let ex = lc_osm::read_osm_file(path, &osm_opts, Some(&tick)).map_err(|reason| {
                    PipelineError::Osm {
                        source_label: label.clone(),
                        reason,
                    }
                })?;
                Ok((ex.network, ex.facilities))
            }
            NetworkSource::Tables { nodes, edges } => {
                Ok((lc_tables::read_network(nodes, edges)?, Vec::new()))
            }
        })?;
    let (graph, report) = steps.run(Step::BuildNetwork, None, |_| build(raw, &label, opts))?;
    if opts.use_cache {
        if let Some(path) = &cache_path {
            if let Err(e) = lc_tables::write_atomic(path, |w| cache::write(&graph, &key, w)) {
                tracing::warn!("could not write the network cache {}: {e}", path.display());
            }
        }
    }
    Ok(Loaded {
        graph,
        report: Some(report),
        osm_facilities,
        from_cache: None,
        timings,
    })
}

/// Builds the walkable graph of a network read elsewhere (e.g. node and edge tables held in
/// memory by a Python caller): the same build as [`load`]'s, without a file or a cache.
/// `label` names the source in messages.
pub fn from_raw(
    raw: RawNetwork,
    label: &str,
    opts: &LoadOptions,
    obs: &dyn Observer,
) -> Result<Loaded, PipelineError> {
    let mut timings = Timings::new();
    let mut steps = Stepper {
        obs,
        timings: &mut timings,
    };
    let (graph, report) = steps.run(Step::BuildNetwork, None, |_| build(raw, label, opts))?;
    Ok(Loaded {
        graph,
        report: Some(report),
        osm_facilities: Vec::new(),
        from_cache: None,
        timings,
    })
}

fn build(
    raw: RawNetwork,
    label: &str,
    opts: &LoadOptions,
) -> Result<(Graph, BuildReport), PipelineError> {
    let built = Graph::build(
        &raw,
        BuildOptions {
            keep_largest_component: !opts.keep_all_components,
        },
    )
    .map_err(|reason| PipelineError::Network {
        source_label: label.to_string(),
        reason,
    });
    drop(raw);
    built
}

/// The graph in the cache at `path` if there is one built for `key` (a missing, stale, damaged
/// or old-format cache is `None`, and the caller builds the graph again). The cache's arrays are
/// read in parallel, each through its own handle on the file.
fn read_cache(path: &Path, key: &str) -> Option<Graph> {
    let len = std::fs::metadata(path).ok()?.len();
    let open = |offset: u64| -> std::io::Result<std::fs::File> {
        let mut file = std::fs::File::open(path)?;
        file.seek(SeekFrom::Start(offset))?;
        Ok(file)
    };
    match cache::read(open, len, key) {
        Ok(graph) => Some(graph),
        Err(e) => {
            tracing::info!("not using cache {}: {e}", path.display());
            None
        }
    }
}

fn profile_key(p: Profile) -> &'static str {
    match p {
        Profile::Walk => "walk",
        Profile::Wheelchair => "wheelchair",
    }
}

/// `<input>.<profile>.<lcc|all>.lcnet` next to the OSM file or edges.csv.
pub fn cache_path(source: &NetworkSource, opts: &LoadOptions) -> Option<PathBuf> {
    let base = match source {
        NetworkSource::Osm(p) => p,
        NetworkSource::Tables { edges, .. } => edges,
    };
    let name = base.file_name()?.to_string_lossy().to_string();
    let lcc = if opts.keep_all_components {
        "all"
    } else {
        "lcc"
    };
    Some(base.with_file_name(format!("{name}.{}.{lcc}.lcnet", profile_key(opts.profile))))
}

/// What a cache must match: the input files (canonical path, size, modification time), the
/// options and this version.
fn file_stamp(path: &Path) -> Result<String, PipelineError> {
    let meta = std::fs::metadata(path).map_err(|reason| PipelineError::Io {
        path: path.to_path_buf(),
        reason,
    })?;
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    Ok(format!("{}|{}|{}", abs.display(), meta.len(), mtime))
}

fn cache_key(source: &NetworkSource, opts: &LoadOptions) -> Result<String, PipelineError> {
    let files = match source {
        NetworkSource::Osm(p) => format!("osm:{}", file_stamp(p)?),
        NetworkSource::Tables { nodes, edges } => {
            format!("tables:{}:{}", file_stamp(nodes)?, file_stamp(edges)?)
        }
    };
    Ok(format!(
        "{files}|profile={}|all_components={}|lc={}",
        profile_key(opts.profile),
        opts.keep_all_components,
        env!("CARGO_PKG_VERSION")
    ))
}
