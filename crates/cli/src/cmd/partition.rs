//! `livingcircle partition`: plan parts, run one, merge them, or all three (issue 15 item 3).
//! The logic is `lc_pipeline::partition`; this is arguments, the parts' files (written with
//! `access`'s own writers, so that the merge reproduces `access`'s bytes) and summaries.

use crate::args::{positive, PlaceArgs, SpeedArgs};
use crate::progress::{peak_rss_bytes, Progress};
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use lc_model::Category;
use lc_pipeline::partition::{
    self, MergeOutputs, MergeReport, PairsRequest, PartJob, PartOutput, Plan, PlanRequest, Scheme,
    ACCESS_FILE, CAPACITY_FILE, COUNTS_FILE, MANIFEST_FILE,
};
use lc_pipeline::{CancelFlag, PipelineError};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

#[derive(Args, Debug)]
pub struct PartitionArgs {
    #[command(subcommand)]
    pub command: PartitionCommand,
}

#[derive(Subcommand, Debug)]
pub enum PartitionCommand {
    /// Plan the parts: one self-contained JSON job per part in --out.
    /// 规划分区：每个分区一个 JSON 任务文件
    Plan(PlanArgs),
    /// Run one part from its job file (any batch engine can run the parts).
    /// 运行一个分区任务
    Run(RunArgs),
    /// Merge the parts of a plan into the whole run's files.
    /// 合并各分区结果
    Merge(MergeArgs),
    /// Plan, run every part (one after another, or --jobs at once) and merge.
    /// 规划、运行全部分区并合并
    All(AllArgs),
}

/// The inputs and options of a partitioned run: those of `access` it supports.
#[derive(Args, Debug)]
pub struct RunSpec {
    /// Not supported: a part cannot read an OSM file by extent; export --nodes/--edges tables.
    #[arg(long, value_name = "FILE", hide = true)]
    pub osm: Option<PathBuf>,
    /// Node table `id,lon,lat`.
    #[arg(long, value_name = "FILE")]
    pub nodes: Option<PathBuf>,
    /// Edge table `from,to,length_m` (undirected).
    #[arg(long, value_name = "FILE")]
    pub edges: Option<PathBuf>,
    /// Communities `id,name,lon,lat,population[,…,division_code]`.
    #[arg(long, value_name = "FILE")]
    pub communities: PathBuf,
    /// Facilities `id,name,category,lon,lat[,…]`.
    #[arg(long, value_name = "FILE")]
    pub facilities: PathBuf,
    /// How to cut: `division:N` (the first N digits of the communities' division codes: 2
    /// province, 4 city, 6 county/district, 9 street), `division:LEVEL` (province, city,
    /// district, street) or `grid:SIZE` (e.g. grid:20km).
    #[arg(long, value_name = "division:N|division:LEVEL|grid:SIZE")]
    pub by: Scheme,
    /// Keep every connected component (default: only the largest, decided over the whole network).
    #[arg(long)]
    pub keep_all_components: bool,
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
    /// Circle radii in minutes of walking, converted with the walking speed.
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
    /// Add a `walk_min` column to the access rows.
    #[arg(long)]
    pub with_minutes: bool,
    /// Catchment of the 2SFCA ratio (with --capacity / --with-capacity), metres of network
    /// distance.
    #[arg(
        allow_negative_numbers = true,
        long,
        default_value_t = 1000.0,
        value_name = "M"
    )]
    pub catchment: f64,
}

#[derive(Args, Debug)]
pub struct PlanArgs {
    #[command(flatten)]
    pub spec: RunSpec,
    /// Also compute the circle counts (counts.csv).
    #[arg(long)]
    pub with_counts: bool,
    /// Also compute the capacity ratios (2SFCA, capacity.csv; parts read two catchments
    /// around their region).
    #[arg(long)]
    pub with_capacity: bool,
    /// The plan folder: plan.json, dropped-nodes.txt, part-NNNN.json, and the parts' outputs.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// A part's job file (part-NNNN.json).
    #[arg(value_name = "JOB")]
    pub job: PathBuf,
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// The plan folder.
    #[arg(value_name = "DIR")]
    pub plan: PathBuf,
    /// Output: the access rows, as `livingcircle access --out` writes them.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Output: the circle counts, as `livingcircle access --counts` writes them.
    #[arg(long, value_name = "FILE")]
    pub counts: Option<PathBuf>,
    /// Output: the capacity ratios (2SFCA), as `livingcircle access --capacity` writes them.
    #[arg(long, value_name = "FILE")]
    pub capacity: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct AllArgs {
    #[command(flatten)]
    pub spec: RunSpec,
    /// Output: the access rows, as `livingcircle access --out` writes them.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Output: the circle counts, as `livingcircle access --counts` writes them.
    #[arg(long, value_name = "FILE")]
    pub counts: Option<PathBuf>,
    /// Output: the capacity ratios (2SFCA), as `livingcircle access --capacity` writes them.
    #[arg(long, value_name = "FILE")]
    pub capacity: Option<PathBuf>,
    /// Parts run at once (each part also uses every core for its searches).
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub jobs: usize,
    /// Keep the plan and the parts' files in this folder (default: a temporary folder beside
    /// --out, removed afterwards).
    #[arg(long, value_name = "DIR")]
    pub work: Option<PathBuf>,
    /// Output: run summary (parts, communities per part, halos, largest part, timings) as JSON.
    #[arg(long, value_name = "FILE")]
    pub summary_json: Option<PathBuf>,
}

pub fn run(a: PartitionArgs, progress: Progress) -> Result<()> {
    match a.command {
        PartitionCommand::Plan(p) => plan(p, progress),
        PartitionCommand::Run(r) => run_one(r, progress),
        PartitionCommand::Merge(m) => merge(m),
        PartitionCommand::All(x) => all(x, progress),
    }
}

/// The plan request of the arguments, with the same checks as `access`.
fn request(s: &RunSpec, out_dir: PathBuf, counts: bool, capacity: bool) -> Result<PlanRequest> {
    if s.osm.is_some() {
        bail!("分区计算需要节点/边表：分区无法按范围读取 OSM 文件，请先导出 --nodes/--edges a partitioned run needs node/edge tables: a part cannot read an OSM file by extent; export --nodes/--edges tables first");
    }
    let (Some(nodes), Some(edges)) = (&s.nodes, &s.edges) else {
        bail!("请用 --nodes FILE --edges FILE 给出路网 give the road network as --nodes FILE --edges FILE");
    };
    if s.k == 0 {
        bail!("--k 至少为 1 --k must be at least 1");
    }
    positive("--max-distance", s.max_distance, "metres")?;
    positive("--catchment", s.catchment, "metres")?;
    s.place.check()?;
    let speed = s.speed.m_per_min()?;
    let circles: Vec<f64> = match (&s.circles, &s.circles_min) {
        (Some(m), _) => m.clone(),
        (None, Some(min)) => min.iter().map(|x| x * speed).collect(),
        (None, None) => vec![300.0, 500.0, 1000.0],
    };
    if let Some(bad) = circles.iter().find(|c| !(c.is_finite() && **c > 0.0)) {
        bail!("圈层半径须为正数，实为 {bad} circle radii must be positive numbers, got {bad}");
    }
    let categories = match &s.categories {
        Some(keys) => {
            let mut v = Vec::new();
            for k in keys {
                v.push(Category::from_key(k).context("--categories 中 in --categories")?);
            }
            Some(v)
        }
        None => None,
    };
    Ok(PlanRequest {
        nodes: nodes.clone(),
        edges: edges.clone(),
        communities: s.communities.clone(),
        facilities: s.facilities.clone(),
        crs: s.place.crs(),
        scheme: s.by,
        k: s.k,
        max_distance: s.max_distance,
        circles,
        categories,
        snap: s.place.snap_mode(),
        snap_limit: s.place.snap_limit,
        keep_all_components: s.keep_all_components,
        counts,
        walk_speed_m_per_min: s.with_minutes.then_some(speed),
        pairs: if capacity {
            PairsRequest::Ratios {
                catchment_m: s.catchment,
            }
        } else {
            PairsRequest::None
        },
        out_dir,
    })
}

fn inputs(s: &RunSpec) -> Vec<(&'static str, Option<&Path>)> {
    vec![
        ("--nodes", s.nodes.as_deref()),
        ("--edges", s.edges.as_deref()),
        ("--communities", Some(s.communities.as_path())),
        ("--facilities", Some(s.facilities.as_path())),
    ]
}

fn plan(a: PlanArgs, progress: Progress) -> Result<()> {
    let t = Instant::now();
    crate::args::check_paths(&inputs(&a.spec), &[("--out", Some(a.out.as_path()))])?;
    let req = request(&a.spec, a.out.clone(), a.with_counts, a.with_capacity)?;
    let plan = partition::plan(&req, &progress.observer())?;
    let files = partition::write_plan(&plan)?;
    let mut s = format!(
        "livingcircle partition plan — 完成 done in {:.2} s\n",
        t.elapsed().as_secs_f64()
    );
    s.push_str(&plan_summary(&plan));
    s.push_str(&format!(
        "  任务 jobs       {} files in {} (run each with: livingcircle partition run JOB)\n",
        files.len(),
        crate::shown::shown(&a.out)
    ));
    eprint!("{s}");
    Ok(())
}

/// The plan in a few lines: network, parts, communities per part, halos.
fn plan_summary(plan: &Plan) -> String {
    let f = &plan.file;
    let net = &f.network;
    let mut sizes: Vec<u64> = f.parts.iter().map(|p| p.communities).collect();
    sizes.sort_unstable();
    let halos = f
        .parts
        .iter()
        .map(|p| p.halo_m)
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), h| {
            (lo.min(h), hi.max(h))
        });
    format!(
        "  路网 network   {} nodes, {} edges; whole graph {} nodes ({} components{}); longest edge {:.0} m\n\
         \x20 分区 parts     {} by {} for {} communities: {}–{} per part (median {})\n\
         \x20 缓冲 halo      {:.0}–{:.0} m (search radius {:.0} m, snap limit {} m)\n",
        net.nodes,
        net.edges,
        net.graph_nodes,
        net.components,
        if f.options.keep_all_components {
            ", all kept".to_string()
        } else if net.dropped_nodes > 0 {
            format!(", {} nodes outside the largest dropped", net.dropped_nodes)
        } else {
            String::new()
        },
        net.max_edge_m,
        f.parts.len(),
        scheme_label(f.scheme),
        f.communities,
        sizes.first().copied().unwrap_or(0),
        sizes.last().copied().unwrap_or(0),
        sizes.get(sizes.len() / 2).copied().unwrap_or(0),
        halos.0,
        halos.1,
        f.options.radius(),
        f.options.snap_limit,
    )
}

fn scheme_label(s: Scheme) -> String {
    match s {
        Scheme::Division { digits } => format!("division:{digits}"),
        Scheme::Grid { cell_m } => format!("grid:{cell_m}m"),
    }
}

/// Writes a part's files (the rows with `access`'s writers, then the manifest) as one folder.
fn write_part(out: &PartOutput) -> Result<()> {
    let folder = lc_tables::OutputFolder::create(&out.job.output)?;
    let o = &out.job.options;
    super::access::write_access(
        &folder.staged(ACCESS_FILE),
        &out.communities,
        &out.facilities,
        &out.selected,
        &out.results,
        o.walk_speed_m_per_min,
    )?;
    if o.counts {
        super::access::write_counts(
            &folder.staged(COUNTS_FILE),
            &out.communities,
            &out.selected,
            &o.circles,
            &out.results,
        )?;
    }
    if let Some(r) = &out.ratios {
        write_capacity(&folder.staged(CAPACITY_FILE), out, r)?;
    }
    let text = serde_json::to_string_pretty(&out.manifest())?;
    lc_tables::write_atomic(&folder.staged(MANIFEST_FILE), |w| {
        w.write_all(text.as_bytes())
    })?;
    folder.commit(&[ACCESS_FILE, COUNTS_FILE, CAPACITY_FILE, MANIFEST_FILE])?;
    Ok(())
}

/// A part's capacity rows, in the bytes of `livingcircle access --capacity` (the same writer;
/// the merge checks that overlapping parts agree, and the tests that they equal the whole run's).
fn write_capacity(path: &Path, out: &PartOutput, r: &partition::PartRatios) -> Result<()> {
    super::access::write_capacity_rows(
        path,
        &out.communities,
        &out.selected,
        &r.categories,
        &r.two_step,
        r.catchment_m,
    )?;
    Ok(())
}

fn run_one(a: RunArgs, progress: Progress) -> Result<()> {
    let t = Instant::now();
    let job = PartJob::load(&a.job)?;
    let out = partition::run_part(&job, &a.job, &progress.observer())?;
    write_part(&out)?;
    let st = &out.stats;
    eprintln!(
        "livingcircle partition run {} — 完成 done in {:.2} s\n  区域 region     {}: {} communities, {} placed\n  路网 network    {} nodes read, graph {} nodes, {} edges; {} facilities; halo {:.0} m{}\n  输出 output     {}",
        job.part,
        t.elapsed().as_secs_f64(),
        job.region.label(),
        out.communities.len(),
        out.placed,
        st.nodes_read,
        st.graph_nodes,
        st.graph_edges,
        st.facilities,
        st.halo_m,
        if st.attempts > 1 {
            format!(" (grown {} times)", st.attempts - 1)
        } else {
            String::new()
        },
        crate::shown::shown(&job.output)
    );
    Ok(())
}

fn merge(a: MergeArgs) -> Result<()> {
    let t = Instant::now();
    let report = partition::merge(
        &a.plan,
        &MergeOutputs {
            access: a.out.clone(),
            counts: a.counts.clone(),
            capacity: a.capacity.clone(),
        },
    )?;
    eprint!(
        "livingcircle partition merge — 完成 done in {:.2} s\n{}",
        t.elapsed().as_secs_f64(),
        merge_summary(&report, &a.out, a.counts.as_deref(), a.capacity.as_deref())
    );
    Ok(())
}

fn merge_summary(
    r: &MergeReport,
    out: &Path,
    counts: Option<&Path>,
    capacity: Option<&Path>,
) -> String {
    let mut s = format!(
        "  社区 communities {} in {} parts, {} placed\n  输出 output     {} ({} rows)\n",
        r.communities,
        r.parts.len(),
        r.placed,
        crate::shown::shown(out),
        r.access_rows
    );
    if let Some(c) = counts {
        s.push_str(&format!(
            "                 {} (counts, {} rows)\n",
            crate::shown::shown(c),
            r.counts_rows
        ));
    }
    if let Some(c) = capacity {
        s.push_str(&format!(
            "                 {} (2SFCA, {} rows)\n",
            crate::shown::shown(c),
            r.capacity_rows
        ));
    }
    s
}

fn all(a: AllArgs, progress: Progress) -> Result<()> {
    let t = Instant::now();
    if a.jobs == 0 {
        bail!("--jobs 至少为 1 --jobs must be at least 1");
    }
    crate::args::check_paths(
        &inputs(&a.spec),
        &[
            ("--out", Some(a.out.as_path())),
            ("--counts", a.counts.as_deref()),
            ("--capacity", a.capacity.as_deref()),
            ("--summary-json", a.summary_json.as_deref()),
            ("--work", a.work.as_deref()),
        ],
    )?;
    // The work folder: given, or temporary beside the output.
    let temp;
    let work = match &a.work {
        Some(w) => w.clone(),
        None => {
            let parent = match a.out.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            };
            temp = tempfile::Builder::new()
                .prefix(".livingcircle-parts.")
                .tempdir_in(&parent)
                .with_context(|| {
                    format!(
                        "无法创建工作目录 cannot create a work folder in {}",
                        parent.display()
                    )
                })?;
            temp.path().to_path_buf()
        }
    };
    let req = request(
        &a.spec,
        work.clone(),
        a.counts.is_some(),
        a.capacity.is_some(),
    )?;
    let t_plan = Instant::now();
    let plan = partition::plan(&req, &progress.observer())?;
    partition::write_plan(&plan)?;
    let plan_secs = t_plan.elapsed().as_secs_f64();

    // The parts: --jobs workers take the next part until none is left or one fails.
    let t_parts = Instant::now();
    let bar = progress.bar(plan.jobs.len() as u64, "分区 Parts");
    let next = AtomicUsize::new(0);
    let cancel = CancelFlag::new();
    let failed: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    let run_next = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let (Some(job), Some(planned)) = (plan.jobs.get(i), plan.file.parts.get(i)) else {
            return;
        };
        if cancel.is_cancelled() {
            return;
        }
        let done = partition::run_part(job, &planned.job, &cancel)
            .map_err(anyhow::Error::from)
            .and_then(|out| write_part(&out))
            .with_context(|| format!("分区 part {} ({})", job.part, job.region.label()));
        match done {
            Ok(()) => bar.inc(1),
            Err(e) => {
                cancel.cancel();
                let mut slot = failed.lock().unwrap_or_else(|e| e.into_inner());
                if slot.is_none()
                    || matches!(
                        slot.as_ref()
                            .and_then(|e| e.downcast_ref::<PipelineError>()),
                        Some(PipelineError::Cancelled)
                    )
                {
                    *slot = Some(e);
                }
                return;
            }
        }
    };
    std::thread::scope(|s| {
        for _ in 1..a.jobs.min(plan.jobs.len().max(1)) {
            s.spawn(run_next);
        }
        run_next();
    });
    bar.finish_and_clear();
    if let Some(e) = failed.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(e);
    }
    let parts_secs = t_parts.elapsed().as_secs_f64();
    let t_merge = Instant::now();
    let report = partition::merge(
        &work,
        &MergeOutputs {
            access: a.out.clone(),
            counts: a.counts.clone(),
            capacity: a.capacity.clone(),
        },
    )?;
    let merge_secs = t_merge.elapsed().as_secs_f64();
    let total = t.elapsed().as_secs_f64();

    let largest = report
        .parts
        .iter()
        .max_by_key(|(_, _, st)| st.graph_nodes)
        .map(|(name, n, st)| (name.clone(), *n, st.clone()))
        .unwrap_or_default();
    let grown = report.parts.iter().filter(|p| p.2.attempts > 1).count();
    let rss = peak_rss_bytes();
    let mut s = format!("livingcircle partition all — 完成 done in {total:.2} s (plan {plan_secs:.2} s, parts {parts_secs:.2} s with {} at once, merge {merge_secs:.2} s)\n", a.jobs);
    s.push_str(&plan_summary(&plan));
    s.push_str(&format!(
        "  最大分区 largest part {} ({} communities): {} nodes read, graph {} nodes, {} edges, halo {:.0} m; whole graph {} nodes\n",
        largest.0,
        largest.1,
        largest.2.nodes_read,
        largest.2.graph_nodes,
        largest.2.graph_edges,
        largest.2.halo_m,
        plan.file.network.graph_nodes
    ));
    if grown > 0 {
        s.push_str(&format!(
            "  缓冲扩大 halo grown in {grown} parts (a walk reached past the planned halo)\n"
        ));
    }
    s.push_str(&merge_summary(
        &report,
        &a.out,
        a.counts.as_deref(),
        a.capacity.as_deref(),
    ));
    if let Some(r) = rss {
        s.push_str(&format!("  内存 peak memory {:.0} MB\n", r as f64 / 1e6));
    }
    eprint!("{s}");
    if let Some(path) = &a.summary_json {
        let parts: Vec<serde_json::Value> = report
            .parts
            .iter()
            .map(|(name, n, st)| {
                serde_json::json!({
                    "part": name, "communities": n, "nodes_read": st.nodes_read,
                    "graph_nodes": st.graph_nodes, "graph_edges": st.graph_edges,
                    "facilities": st.facilities, "halo_m": st.halo_m, "attempts": st.attempts,
                    "ratio_communities": st.ratio_communities,
                })
            })
            .collect();
        let summary = serde_json::json!({
            "command": "partition all",
            "plan_id": report.plan_id,
            "scheme": scheme_label(plan.file.scheme),
            "jobs": a.jobs,
            "network": plan.file.network,
            "communities": report.communities,
            "placed": report.placed,
            "access_rows": report.access_rows,
            "counts_rows": report.counts_rows,
            "capacity_rows": report.capacity_rows,
            "parts": parts,
            "timings": {"plan": plan_secs, "parts": parts_secs, "merge": merge_secs, "total": total},
            "peak_rss_bytes": rss,
        });
        let text = serde_json::to_string_pretty(&summary)?;
        lc_tables::write_atomic(path, |w| w.write_all(text.as_bytes()))?;
    }
    Ok(())
}
