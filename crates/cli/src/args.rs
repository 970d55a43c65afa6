//! Command-line arguments of every subcommand (clap derive), and their checks.

use crate::network_input::{LoadOptions, Source};
use anyhow::{bail, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use lc_network::SnapMode;
use std::path::{Path, PathBuf};

#[derive(Parser, Debug)]
#[command(
    name = "livingcircle",
    version,
    about = "Walking access to life services for every community (15-minute living circles)\n社区生活圈：每个社区步行可达的生活服务设施",
    long_about = None
)]
pub struct Cli {
    /// Hide progress bars.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Log more detail (also RUST_LOG=info).
    #[arg(long, short, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Nearest facilities, circle counts and capacity ratios for every community.
    /// 计算每个社区的最近设施、生活圈内设施数量与供需比
    Access(AccessArgs),
    /// Every community against the standards, every region against the 2025 targets: shortcomings,
    /// indicators, Excel workbook and an offline HTML report.
    /// 对照标准与 2025 年目标评估每个社区和地区，输出缺项清单、指标、Excel 与离线 HTML 报告
    Assess(crate::cmd::assess::AssessArgs),
    /// Areas reachable on foot within 5/10/15 minutes, as GeoJSON polygons.
    /// 步行等时圈（GeoJSON 多边形）
    Isochrone(IsochroneArgs),
    /// Generate a deterministic city-like network with communities and facilities (benchmarks).
    /// 生成用于基准测试的模拟城市
    Generate(GenerateArgs),
    /// List the facility categories (stable keys with Chinese names).
    /// 列出设施类别
    Categories(CategoriesArgs),
    /// Run the analysis on the shipped demo (central Chengdu) and say where the results are.
    /// 运行演示（成都市中心城区，二环内）
    Demo(DemoArgs),
    /// The service platform: HTTP API over the registry (SQLite in --data-dir, or PostgreSQL).
    /// 社区生活服务平台（HTTP 接口）
    Serve(crate::cmd::serve::ServeArgs),
    /// The national division list: `divisions import DIR`.
    /// 全国统计用区划代码
    Divisions(crate::cmd::serve::DivisionsArgs),
    /// Statistical monitoring: the platform's monthly figures (`monitor run --month 2026-11`) and
    /// a generated month of demo activity (`monitor demo-activity`).
    /// 统计监测：月度统计与示例活动
    Monitor(crate::cmd::monitor::MonitorArgs),
    /// A statistical release of a province, city or district for a quarter or year: HTML, PDF
    /// (CJK font embedded) and the data it was made from (`release --region 510104 --period
    /// 2026Q3 --out DIR`).
    /// 统计发布：省、市、区县的季度或年度统计发布（HTML、PDF 及其数据）
    Release(crate::cmd::release::ReleaseArgs),
    /// Choose sites for new facilities (coverage, set cover, p-median, capacitated, budget), with
    /// a proven bound on how far the answer is from the best.
    /// 设施选址：最大覆盖、集合覆盖、p-中位、容量约束覆盖、预算约束覆盖（含最优性界）
    Site(SiteArgs),
    /// 双随机一公开: draw inspection objects and inspectors from published pools with a seed
    /// fixed in advance, and verify a draw's manifest offline.
    /// 双随机抽取与抽取清单离线核验
    Draw(crate::cmd::draw::DrawArgs),
    /// National scale by regions: plan parts (division-code prefix or grid cell, with a halo),
    /// run each on its own, merge into exactly the whole run's access output.
    /// 分区计算：按区划代码或网格分区（含缓冲带）分别计算，合并结果与整体计算完全一致
    Partition(crate::cmd::partition::PartitionArgs),
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum ProfileArg {
    /// Everyone on foot.
    Walk,
    /// Barrier-free: no steps, no ways tagged wheelchair=no.
    Wheelchair,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum SnapArg {
    /// Nearest point on the nearest edge (default).
    Edge,
    /// Nearest node (as pandana and OSMnx).
    Node,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum CrsArg {
    /// GPS / OpenStreetMap coordinates.
    Wgs84,
    /// AMap (高德) and Tencent (腾讯) coordinates.
    Gcj02,
    /// Baidu (百度) coordinates.
    Bd09,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum Walker {
    /// 60 m/min, the planning convention.
    Normal,
    /// 45 m/min, a slower pace for elderly residents.
    Elderly,
}

/// `access` and `assess` on node/edge tables without `--facilities`.
pub const FACILITIES_NEEDED: &str = "使用 --nodes/--edges 时须给出 --facilities FILE（只有 --osm 能从标签取设施）\
    --facilities FILE is required with --nodes/--edges (facilities can be taken from tags only with --osm)";

/// `value` of `flag` if it is a finite number > 0, else an error naming the flag and the unit
/// ("metres", "seconds"...).
pub fn positive(flag: &str, value: f64, unit: &str) -> Result<f64> {
    if !(value.is_finite() && value > 0.0) {
        bail!(
            "{flag} 须为正数（{}），实为 {value} {flag} must be a positive number of {unit}, got {value}",
            unit_zh(unit)
        );
    }
    Ok(value)
}

/// `value` of `flag` if it is a finite number ≥ 0, else an error naming the flag (and the unit,
/// when there is one).
pub fn non_negative(flag: &str, value: f64, unit: &str) -> Result<f64> {
    if !(value.is_finite() && value >= 0.0) {
        let (of_zh, of) = if unit.is_empty() {
            (String::new(), String::new())
        } else {
            (format!("（{}）", unit_zh(unit)), format!(" of {unit}"))
        };
        bail!("{flag} 须为不小于 0 的数{of_zh}，实为 {value} {flag} must be a number{of} ≥ 0, got {value}");
    }
    Ok(value)
}

/// The Chinese of a unit named in an argument message.
fn unit_zh(unit: &str) -> &str {
    match unit {
        "metres" => "米",
        "seconds" => "秒",
        "minutes" => "分钟",
        "metres per minute" => "米/分钟",
        other => other,
    }
}

/// Where the road network comes from.
#[derive(Args, Debug, Clone)]
pub struct NetworkArgs {
    // One of --osm or --nodes/--edges is needed: checked in `source`, not by clap, so that
    // `site --costs DIR` can share these arguments.
    /// OpenStreetMap file (.osm.pbf or .osm XML).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["nodes", "edges"])]
    pub osm: Option<PathBuf>,
    /// Node table `id,lon,lat`.
    #[arg(long, value_name = "FILE", requires = "edges")]
    pub nodes: Option<PathBuf>,
    /// Edge table `from,to,length_m` (undirected).
    #[arg(long, value_name = "FILE", requires = "nodes")]
    pub edges: Option<PathBuf>,
    /// Who walks: `walk`, or `wheelchair` (leaves out steps and ways tagged wheelchair=no; OSM only).
    #[arg(long, value_enum, default_value = "walk")]
    pub profile: ProfileArg,
    /// Keep every connected component (default: only the largest).
    #[arg(long)]
    pub keep_all_components: bool,
    /// Neither read nor write the network cache next to the input.
    #[arg(long)]
    pub no_cache: bool,
}

impl NetworkArgs {
    /// The network input files, as (flag, path), for the output check.
    pub fn inputs(&self) -> Vec<(&'static str, Option<&Path>)> {
        vec![
            ("--osm", self.osm.as_deref()),
            ("--nodes", self.nodes.as_deref()),
            ("--edges", self.edges.as_deref()),
        ]
    }

    pub fn source(&self) -> Result<Source> {
        match (&self.osm, &self.nodes, &self.edges) {
            (Some(osm), None, None) => Ok(Source::Osm(osm.clone())),
            (None, Some(n), Some(e)) => {
                if self.profile == ProfileArg::Wheelchair {
                    bail!("--profile wheelchair 需要 OSM 标签（台阶、wheelchair=no），节点/边表中没有：请使用 --osm，或导出轮椅路网的表 --profile wheelchair needs OSM tags (steps, wheelchair=no); node/edge tables carry none: export a wheelchair network as tables instead, or use --osm");
                }
                Ok(Source::Tables {
                    nodes: n.clone(),
                    edges: e.clone(),
                })
            }
            _ => {
                bail!("请用 --osm FILE 或 --nodes FILE --edges FILE 给出路网 give the road network either as --osm FILE or as --nodes FILE --edges FILE")
            }
        }
    }

    pub fn load_options(&self, want_osm_facilities: bool) -> LoadOptions {
        LoadOptions {
            profile: match self.profile {
                ProfileArg::Walk => lc_osm::Profile::Walk,
                ProfileArg::Wheelchair => lc_osm::Profile::Wheelchair,
            },
            keep_all_components: self.keep_all_components,
            use_cache: !self.no_cache,
            want_osm_facilities,
            label: None,
        }
    }
}

/// How points are read and placed.
#[derive(Args, Debug, Clone)]
pub struct PlaceArgs {
    /// Coordinate system of the point files; gcj02/bd09 are converted to WGS-84 on import.
    #[arg(long, value_enum, default_value = "wgs84")]
    pub crs: CrsArg,
    /// Snap points to the nearest edge point or the nearest node.
    #[arg(long, value_enum, default_value = "edge")]
    pub snap: SnapArg,
    /// Points farther than this (metres, straight line) from the network are reported, not placed.
    #[arg(
        allow_negative_numbers = true,
        long,
        default_value_t = 300.0,
        value_name = "M"
    )]
    pub snap_limit: f64,
}

impl PlaceArgs {
    /// The checks clap cannot make.
    pub fn check(&self) -> Result<()> {
        non_negative("--snap-limit", self.snap_limit, "metres").map(drop)
    }

    pub fn snap_mode(&self) -> SnapMode {
        match self.snap {
            SnapArg::Edge => SnapMode::Edge,
            SnapArg::Node => SnapMode::Node,
        }
    }

    pub fn crs(&self) -> lc_crs::Crs {
        match self.crs {
            CrsArg::Wgs84 => lc_crs::Crs::Wgs84,
            CrsArg::Gcj02 => lc_crs::Crs::Gcj02,
            CrsArg::Bd09 => lc_crs::Crs::Bd09,
        }
    }
}

/// Walking speed.
#[derive(Args, Debug, Clone)]
pub struct SpeedArgs {
    /// Who walks: normal (60 m/min) or elderly (45 m/min).
    #[arg(long, value_enum, default_value = "normal")]
    pub walker: Walker,
    /// Walking speed in metres per minute (overrides --walker).
    #[arg(allow_negative_numbers = true, long, value_name = "M_PER_MIN")]
    pub speed: Option<f64>,
}

impl SpeedArgs {
    pub fn m_per_min(&self) -> Result<f64> {
        let v = self.speed.unwrap_or(match self.walker {
            Walker::Normal => lc_access::speed::WALK_M_PER_MIN,
            Walker::Elderly => lc_access::speed::ELDERLY_M_PER_MIN,
        });
        positive("--speed", v, "metres per minute")
    }
}

#[derive(Args, Debug)]
pub struct AccessArgs {
    #[command(flatten)]
    pub network: NetworkArgs,
    /// Communities `id,name,lon,lat,population[,households,elderly,children_0_3,division_code]`.
    #[arg(long, value_name = "FILE")]
    pub communities: PathBuf,
    /// Facilities `id,name,category,lon,lat[,capacity,floor_area_m2,provider_code]`.
    /// Without it, facilities are taken from the OSM file's tags (see docs/osm.md).
    #[arg(long, value_name = "FILE")]
    pub facilities: Option<PathBuf>,
    /// Also take facilities from the OSM file's tags when --facilities is given (both count).
    #[arg(long, requires = "facilities", requires = "osm")]
    pub with_osm_facilities: bool,
    /// Only these categories (comma-separated keys; default: every category present).
    #[arg(long, value_delimiter = ',', value_name = "KEYS")]
    pub categories: Option<Vec<String>>,
    /// Nearest facilities listed per category.
    #[arg(allow_negative_numbers = true, long, default_value_t = 3)]
    pub k: usize,
    /// Facilities farther than this network distance (metres) are not listed.
    #[arg(
        allow_negative_numbers = true,
        long,
        default_value_t = 1500.0,
        value_name = "M"
    )]
    pub max_distance: f64,
    /// Circle radii in metres for the counts (default 300,500,1000).
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "M,M,..",
        conflicts_with = "circles_min"
    )]
    pub circles: Option<Vec<f64>>,
    /// Circle radii in minutes of walking, converted with the walking speed (e.g. 5,10,15).
    #[arg(
        allow_negative_numbers = true,
        long,
        value_delimiter = ',',
        value_name = "MIN,MIN,.."
    )]
    pub circles_min: Option<Vec<f64>>,
    #[command(flatten)]
    pub place: PlaceArgs,
    #[command(flatten)]
    pub speed: SpeedArgs,
    /// Output: one row per facility found `community_id,category,rank,facility_id,distance_m`.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Add a `walk_min` column (walking minutes at the chosen speed) to --out.
    #[arg(long)]
    pub with_minutes: bool,
    /// Output: facilities within each circle per community and category.
    #[arg(long, value_name = "FILE")]
    pub counts: Option<PathBuf>,
    /// Output: capacity against population (2SFCA) for categories with a capacity.
    #[arg(long, value_name = "FILE")]
    pub capacity: Option<PathBuf>,
    /// Catchment of the 2SFCA ratio, metres of network distance.
    #[arg(
        allow_negative_numbers = true,
        long,
        default_value_t = 1000.0,
        value_name = "M"
    )]
    pub catchment: f64,
    /// Output: communities as GeoJSON points with their nearest distance per category.
    #[arg(long, value_name = "FILE")]
    pub geojson: Option<PathBuf>,
    /// Output: run summary (counts, timings in seconds, peak memory) as JSON.
    #[arg(long, value_name = "FILE")]
    pub summary_json: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct IsochroneArgs {
    #[command(flatten)]
    pub network: NetworkArgs,
    /// Start from these communities (all of them, or those named by --ids).
    #[arg(long, value_name = "FILE", required_unless_present = "point")]
    pub communities: Option<PathBuf>,
    /// Only these community ids (comma-separated).
    #[arg(long, value_delimiter = ',', requires = "communities")]
    pub ids: Option<Vec<String>>,
    /// Start from a point `lon,lat` (repeatable).
    #[arg(long, value_name = "LON,LAT", conflicts_with = "communities")]
    pub point: Vec<String>,
    /// Walking minutes of each isochrone.
    #[arg(
        allow_negative_numbers = true,
        long,
        value_delimiter = ',',
        default_value = "5,10,15"
    )]
    pub minutes: Vec<f64>,
    #[command(flatten)]
    pub speed: SpeedArgs,
    #[command(flatten)]
    pub place: PlaceArgs,
    /// Metres either side of a reachable street counted as reached.
    #[arg(
        allow_negative_numbers = true,
        long,
        default_value_t = 50.0,
        value_name = "M"
    )]
    pub buffer: f64,
    /// Output GeoJSON file.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// Approximate number of network nodes.
    #[arg(allow_negative_numbers = true, long, default_value_t = 100_000)]
    pub nodes: usize,
    /// Random seed (the same seed gives the same city).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Number of communities (default: nodes / 50).
    #[arg(allow_negative_numbers = true, long)]
    pub communities: Option<usize>,
    /// Output directory for nodes.csv, edges.csv, communities.csv, facilities.csv, candidates.csv.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Number of candidate sites written to candidates.csv (default: 500 per 100,000 nodes; 0: none).
    #[arg(allow_negative_numbers = true, long, value_name = "N")]
    pub candidates: Option<usize>,
}

#[derive(Args, Debug)]
pub struct CategoriesArgs {
    /// Print as CSV (key,zh,en,group,demand,capacity_unit,source).
    #[arg(long)]
    pub csv: bool,
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Output directory.
    #[arg(long, value_name = "DIR", default_value = "out/demo")]
    pub out: PathBuf,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum SiteProblem {
    /// Maximal coverage: p sites, most demand newly within the radius.
    Mclp,
    /// Set cover: fewest sites bringing every reachable community within the radius.
    Lscp,
    /// p-median: p sites, least demand-weighted walking distance.
    Pmedian,
    /// Capacitated coverage: p sites, most demand that gets a place within the radius.
    Capacitated,
    /// Budgeted coverage: sites whose costs add up to at most --budget, most demand newly
    /// within the radius.
    Budget,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum SiteWeight {
    /// The category's demand group for capacitated, the population otherwise.
    Auto,
    /// Resident population.
    Population,
    /// The category's demand group (children 0-3, elderly, or population).
    Demand,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum SiteMethod {
    /// Heuristic and LP bound, then the exact MILP within the time limit if the gap is open.
    Auto,
    /// Heuristic and bound only (very large instances).
    Heuristic,
}

#[derive(Args, Debug)]
pub struct SiteArgs {
    #[command(flatten)]
    pub network: NetworkArgs,
    /// Read the instance from a directory written by --export-costs instead of a network.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["osm", "nodes", "edges", "communities", "facilities", "candidates"])]
    pub costs: Option<PathBuf>,
    /// Communities `id,name,lon,lat,population[,households,elderly,children_0_3,division_code]`.
    #[arg(long, value_name = "FILE", required_unless_present = "costs")]
    pub communities: Option<PathBuf>,
    /// Existing facilities (all categories; those of --category count as already open). An
    /// empty file means none. Without it, facilities come from the OSM file's tags.
    #[arg(long, value_name = "FILE")]
    pub facilities: Option<PathBuf>,
    /// Candidate sites `id,lon,lat[,name,capacity,cost]`.
    #[arg(long, value_name = "FILE", required_unless_present = "costs")]
    pub candidates: Option<PathBuf>,
    /// The facility category to site (a key of `livingcircle categories`).
    #[arg(long, value_name = "KEY", required_unless_present = "costs")]
    pub category: Option<String>,
    /// Which problem to solve.
    #[arg(long, value_enum, default_value = "mclp")]
    pub problem: SiteProblem,
    /// Number of new sites (mclp, pmedian, capacitated).
    #[arg(allow_negative_numbers = true, long)]
    pub p: Option<usize>,
    /// The most the chosen sites may cost together (--problem budget), in the units of the
    /// candidates' `cost` column.
    #[arg(long, value_name = "AMOUNT", allow_negative_numbers = true)]
    pub budget: Option<f64>,
    /// Coverage radius in metres of walking (covered: distance ≤ radius).
    #[arg(
        allow_negative_numbers = true,
        long,
        default_value_t = 1000.0,
        value_name = "M"
    )]
    pub radius: f64,
    /// p-median: pairs farther than this are unreachable, and a community with nothing open
    /// nearer is charged this distance.
    #[arg(
        allow_negative_numbers = true,
        long,
        default_value_t = 3000.0,
        value_name = "M"
    )]
    pub max_distance: f64,
    /// Whose demand counts.
    #[arg(long, value_enum, default_value = "auto")]
    pub weight: SiteWeight,
    /// Solver method.
    #[arg(long, value_enum, default_value = "auto")]
    pub method: SiteMethod,
    /// Seconds for the LP bound and the exact MILP together.
    #[arg(
        allow_negative_numbers = true,
        long,
        default_value_t = 60.0,
        value_name = "S"
    )]
    pub time_limit: f64,
    /// Stop the MILP at this relative gap (0: prove optimality).
    #[arg(allow_negative_numbers = true, long, default_value_t = 0.0)]
    pub gap: f64,
    #[command(flatten)]
    pub place: PlaceArgs,
    /// Output directory: sites.csv, assignment.csv, sites.geojson, summary.json.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Also write the cost data (demand.csv, candidates.csv, existing.csv, costs.csv) here.
    #[arg(long, value_name = "DIR")]
    pub export_costs: Option<PathBuf>,
}

/// Refuses, before any work, outputs that would replace an input or each other (one rule for
/// every command: `lc_tables::check_outputs`). Optional paths are skipped when absent.
pub fn check_paths(
    inputs: &[(&str, Option<&Path>)],
    outputs: &[(&str, Option<&Path>)],
) -> Result<()> {
    let ins: Vec<(&str, &Path)> = inputs
        .iter()
        .filter_map(|(f, p)| p.map(|p| (*f, p)))
        .collect();
    let outs: Vec<(&str, &Path)> = outputs
        .iter()
        .filter_map(|(f, p)| p.map(|p| (*f, p)))
        .collect();
    lc_tables::check_outputs(&ins, &outs)?;
    Ok(())
}
