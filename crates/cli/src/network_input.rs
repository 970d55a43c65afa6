//! Loading the walkable network from OSM or node/edge tables, through the cache next to the input.

use crate::progress::Progress;
use anyhow::{Context, Result};
use lc_network::{cache, BuildOptions, BuildReport, Graph, RawNetwork};
use lc_osm::{OsmFacility, OsmOptions, Profile};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Where the network comes from, as the user gave it.
#[derive(Debug, Clone)]
pub enum Source {
    /// An OpenStreetMap PBF or XML file.
    Osm(PathBuf),
    /// `nodes.csv` and `edges.csv`.
    Tables { nodes: PathBuf, edges: PathBuf },
}

/// How to load it.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub profile: Profile,
    pub keep_all_components: bool,
    pub use_cache: bool,
    /// Also collect facilities from OSM tags (forces a parse; the cache holds no facilities).
    pub want_osm_facilities: bool,
}

/// A loaded network and what happened while loading it.
pub struct Loaded {
    pub graph: Graph,
    pub report: Option<BuildReport>,
    pub osm_facilities: Vec<OsmFacility>,
    pub from_cache: Option<PathBuf>,
    pub read_secs: f64,
    pub build_secs: f64,
}

pub fn load(source: &Source, opts: &LoadOptions, progress: &Progress) -> Result<Loaded> {
    let cache_path = cache_path(source, opts);
    let key = cache_key(source, opts)?;
    if opts.use_cache && !opts.want_osm_facilities {
        if let Some(path) = &cache_path {
            let t = Instant::now();
            if let Ok(bytes) = std::fs::read(path) {
                match cache::decode(&bytes, &key) {
                    Ok(graph) => {
                        return Ok(Loaded {
                            graph,
                            report: None,
                            osm_facilities: Vec::new(),
                            from_cache: Some(path.clone()),
                            read_secs: t.elapsed().as_secs_f64(),
                            build_secs: 0.0,
                        })
                    }
                    Err(e) => tracing::info!("not using cache {}: {e}", path.display()),
                }
            }
        }
    }
    let t = Instant::now();
    let (raw, osm_facilities): (RawNetwork, Vec<OsmFacility>) = match source {
        Source::Osm(path) => {
            let spinner = progress.spinner(format!("读取 OSM 路网 Reading {}", path.display()));
            let osm_opts = OsmOptions {
                profile: opts.profile,
            };
            let tick = |p: lc_osm::OsmProgress| {
                spinner.set_message(format!("{:?} {}/{}", p.phase, p.done, p.total))
            };
            let ex = lc_osm::read_osm_file(path, &osm_opts, Some(&tick)).with_context(|| {
                format!(
                    "无法从 {0} 读取路网 cannot read the road network from {0}",
                    path.display()
                )
            })?;
            spinner.finish_and_clear();
            (ex.network, ex.facilities)
        }
        Source::Tables { nodes, edges } => {
            let spinner = progress.spinner(format!(
                "读取路网表 Reading {} and {}",
                nodes.display(),
                edges.display()
            ));
            let raw = lc_tables::read_network(nodes, edges)?;
            spinner.finish_and_clear();
            (raw, Vec::new())
        }
    };
    let read_secs = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let (graph, report) = Graph::build(
        &raw,
        BuildOptions {
            keep_largest_component: !opts.keep_all_components,
        },
    )
    .with_context(|| {
        format!(
            "无法由 {0} 建立步行路网 cannot build a walkable network from {0}",
            source_label(source)
        )
    })?;
    drop(raw);
    let build_secs = t.elapsed().as_secs_f64();
    if opts.use_cache {
        if let Some(path) = &cache_path {
            if let Err(e) = write_cache(path, &graph, &key) {
                tracing::warn!(
                    "无法写入路网缓存 could not write the network cache {}: {e:#}",
                    path.display()
                );
            }
        }
    }
    Ok(Loaded {
        graph,
        report: Some(report),
        osm_facilities,
        from_cache: None,
        read_secs,
        build_secs,
    })
}

pub fn source_label(source: &Source) -> String {
    match source {
        Source::Osm(p) => p.display().to_string(),
        Source::Tables { nodes, edges } => format!("{} + {}", nodes.display(), edges.display()),
    }
}

fn profile_key(p: Profile) -> &'static str {
    match p {
        Profile::Walk => "walk",
        Profile::Wheelchair => "wheelchair",
    }
}

/// `<input>.<profile>.lcnet` next to the OSM file or edges.csv.
fn cache_path(source: &Source, opts: &LoadOptions) -> Option<PathBuf> {
    let base = match source {
        Source::Osm(p) => p,
        Source::Tables { edges, .. } => edges,
    };
    let name = base.file_name()?.to_string_lossy().to_string();
    let lcc = if opts.keep_all_components {
        "all"
    } else {
        "lcc"
    };
    Some(base.with_file_name(format!("{name}.{}.{lcc}.lcnet", profile_key(opts.profile))))
}

fn file_stamp(path: &Path) -> Result<String> {
    let meta = std::fs::metadata(path)
        .with_context(|| format!("无法打开 cannot open {}", path.display()))?;
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    Ok(format!("{}|{}|{}", abs.display(), meta.len(), mtime))
}

fn cache_key(source: &Source, opts: &LoadOptions) -> Result<String> {
    let files = match source {
        Source::Osm(p) => format!("osm:{}", file_stamp(p)?),
        Source::Tables { nodes, edges } => {
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

fn write_cache(path: &Path, graph: &Graph, key: &str) -> Result<()> {
    let bytes = cache::encode(graph, key);
    lc_tables::write_atomic(path, |w| w.write_all(&bytes))?;
    Ok(())
}
