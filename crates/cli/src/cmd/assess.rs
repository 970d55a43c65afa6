//! `livingcircle assess`: every community against the standards, every region against the 2025
//! targets; writes shortcomings, indicators, a map layer, an Excel workbook and an HTML report.

use crate::args::{positive, NetworkArgs, PlaceArgs};
use crate::network_input::{self, Source};
use crate::points::{self, some_ids};
use crate::progress::{peak_rss_bytes, Progress};
use anyhow::{bail, Context, Result};
use clap::Args;
use lc_assess::Divisions;
use lc_model::{Detail, Facility, FacilityList};
use lc_report::RequirementTexts;
use lc_standards::{Plan, Standard};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Args, Debug)]
pub struct AssessArgs {
    #[command(flatten)]
    pub network: NetworkArgs,
    /// Communities `id,name,lon,lat,population[,households,elderly,children_0_3,division_code]`.
    #[arg(long, value_name = "FILE")]
    pub communities: PathBuf,
    /// Facilities `id,name,category,lon,lat[,capacity,floor_area_m2,provider_code]`
    /// (repeatable). Without it, facilities are taken from the OSM file's tags.
    #[arg(long, value_name = "FILE")]
    pub facilities: Vec<PathBuf>,
    /// Also take facilities from the OSM file's tags when --facilities is given.
    #[arg(long)]
    pub with_osm_facilities: bool,
    /// Standard files (repeatable; default: the shipped standards/*.toml).
    #[arg(long, value_name = "FILE")]
    pub standard: Vec<PathBuf>,
    /// Target files (repeatable; default: the shipped targets/*.toml).
    #[arg(long, value_name = "FILE")]
    pub targets: Vec<PathBuf>,
    /// Division names: the national list's directory (provinces.csv, cities.csv, areas.csv,
    /// streets.csv, villages.csv) or one `code,name` CSV file.
    #[arg(long, value_name = "DIR|FILE")]
    pub divisions: Option<PathBuf>,
    /// Indicator values the service platform computes from its records: the monthly visit rate
    /// `indicator,month,region_code,level,due,visited,rate` (`GET /api/care/visit-rate.csv`),
    /// GS21's value. Without it GS21 is reported as not computable.
    #[arg(long, value_name = "FILE")]
    pub platform_indicators: Option<PathBuf>,
    /// Nearest facilities are reported up to this distance (metres) even when a requirement's
    /// distance is shorter.
    #[arg(
        allow_negative_numbers = true,
        long,
        default_value_t = 1500.0,
        value_name = "M"
    )]
    pub max_distance: f64,
    #[command(flatten)]
    pub place: PlaceArgs,
    /// Candidate sites `id,lon,lat[,name,capacity,cost]`: the report then recommends where new
    /// facilities would bring the most residents within the distance of each required item
    /// they lack (maximal coverage, with a proven bound).
    #[arg(long, value_name = "FILE")]
    pub candidates: Option<PathBuf>,
    /// New sites recommended per requirement (with --candidates).
    #[arg(
        allow_negative_numbers = true,
        long,
        default_value_t = 3,
        value_name = "N"
    )]
    pub recommend_sites: usize,
    /// Recommend sites for at most this many requirements, those with the most people short
    /// first (with --candidates).
    #[arg(
        allow_negative_numbers = true,
        long,
        default_value_t = 10,
        value_name = "N"
    )]
    pub recommend_max: usize,
    /// Solver seconds per requirement (with --candidates).
    #[arg(
        allow_negative_numbers = true,
        long,
        default_value_t = 10.0,
        value_name = "S"
    )]
    pub recommend_time_limit: f64,
    /// Title of the report.
    #[arg(long)]
    pub title: Option<String>,
    /// Output directory.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path)
        .with_context(|| format!("无法读取 cannot read {}", path.display()))
}

/// The standards and plans: the files given, or the shipped ones.
pub fn load_specs(standard: &[PathBuf], targets: &[PathBuf]) -> Result<(Vec<Standard>, Vec<Plan>)> {
    let standards = if standard.is_empty() {
        lc_standards::shipped_standards()?
    } else {
        let mut v = Vec::new();
        for p in standard {
            v.push(lc_standards::parse_standard(
                &p.display().to_string(),
                &read_text(p)?,
            )?);
        }
        v
    };
    let plans = if targets.is_empty() {
        lc_standards::shipped_plans()?
    } else {
        let mut v = Vec::new();
        for p in targets {
            v.push(lc_standards::parse_plan(
                &p.display().to_string(),
                &read_text(p)?,
            )?);
        }
        v
    };
    let mut ids = BTreeSet::new();
    for s in &standards {
        if !ids.insert(s.id.clone()) {
            bail!(
                "标准 {0} 给出了两次（{1}）standard {0} is given twice ({1})",
                lc_model::quote(&s.id),
                s.file
            );
        }
    }
    for p in &plans {
        lc_standards::check_plan(p, &standards)?;
    }
    Ok((standards, plans))
}

/// Division names for the codes in use: from the national list's directory (only the rows
/// whose code is a prefix of, or equal to, a community's code) or one `code,name` file.
fn load_divisions(path: &Path, codes: &BTreeSet<String>) -> Result<Divisions> {
    let prefixes: BTreeSet<&str> = codes
        .iter()
        .flat_map(|c| lc_model::division::prefixes(c))
        .map(|(_, prefix)| prefix)
        .collect();
    let keep = |code: &str| prefixes.contains(code);
    let mut d = Divisions::new();
    if path.is_dir() {
        use lc_model::DivisionLevel as L;
        for (file, level) in [
            ("provinces.csv", L::Province),
            ("cities.csv", L::Prefecture),
            ("areas.csv", L::County),
            ("streets.csv", L::Street),
            ("villages.csv", L::Committee),
        ] {
            let p = path.join(file);
            if !p.exists() {
                if prefixes.iter().any(|c| c.len() == level.digits()) {
                    tracing::warn!(
                        "{0} 不存在，该层级没有名称 {0} not found: no names at that level",
                        p.display()
                    );
                }
                continue;
            }
            d.add_csv(&p.display().to_string(), &read_text(&p)?, &keep)?;
        }
    } else {
        d.add_csv(&path.display().to_string(), &read_text(path)?, &keep)?;
    }
    Ok(d)
}

/// The files `--out DIR` receives.
const OUT_FILES: [&str; 10] = [
    "shortcomings.csv",
    "indicators.csv",
    "unavailable.csv",
    "indicator_definitions.csv",
    "facilities.csv",
    "communities.geojson",
    "recommended_sites.csv",
    "summary.xlsx",
    "index.html",
    "summary.json",
];

pub fn run(a: AssessArgs, progress: Progress) -> Result<()> {
    let t_start = Instant::now();
    let mut timings: BTreeMap<&'static str, f64> = BTreeMap::new();
    positive("--max-distance", a.max_distance, "metres")?;
    a.place.check()?;
    {
        let mut inputs = a.network.inputs();
        inputs.push(("--communities", Some(a.communities.as_path())));
        inputs.extend(
            a.facilities
                .iter()
                .map(|p| ("--facilities", Some(p.as_path()))),
        );
        inputs.extend(a.standard.iter().map(|p| ("--standard", Some(p.as_path()))));
        inputs.extend(a.targets.iter().map(|p| ("--targets", Some(p.as_path()))));
        inputs.push(("--divisions", a.divisions.as_deref()));
        inputs.push(("--candidates", a.candidates.as_deref()));
        inputs.push(("--platform-indicators", a.platform_indicators.as_deref()));
        let outs: Vec<PathBuf> = OUT_FILES.iter().map(|f| a.out.join(f)).collect();
        let outputs: Vec<(&str, Option<&Path>)> =
            outs.iter().map(|p| ("--out", Some(p.as_path()))).collect();
        crate::args::check_paths(&inputs, &outputs)?;
    }
    if a.candidates.is_some() {
        if a.recommend_sites == 0 {
            bail!("--recommend-sites 至少为 1 --recommend-sites must be at least 1");
        }
        positive("--recommend-time-limit", a.recommend_time_limit, "seconds")?;
    }
    // Standards and targets first: a bad file fails before anything heavy.
    let (standards, plans) = load_specs(&a.standard, &a.targets)?;
    let source = a.network.source()?;
    let from_osm = a.facilities.is_empty() || a.with_osm_facilities;
    if from_osm && !matches!(source, Source::Osm(_)) {
        bail!(crate::args::FACILITIES_NEEDED);
    }

    let t = Instant::now();
    let crs = a.place.crs();
    let mut reads = points::Reads::new();
    let communities = reads.take(lc_tables::read_communities(&a.communities, crs));
    // The records become columns part by part as read: a province's 5.7M records (about
    // 1.1 GB with their names and codes) would otherwise be held through the whole run.
    let mut parts: Vec<Vec<Facility>> = Vec::new();
    for p in &a.facilities {
        parts.extend(reads.take(lc_tables::read_facilities_in_parts(p, crs, true)));
    }
    let candidates = match &a.candidates {
        Some(p) => reads.take(lc_tables::read_candidates(p, crs, false)),
        None => Vec::new(),
    };
    let platform = a
        .platform_indicators
        .as_ref()
        .map(|p| reads.take(lc_tables::read_platform_indicators(p)));
    reads.finish()?;
    let mut facilities =
        FacilityList::with_capacity(parts.iter().map(Vec::len).sum(), Detail::Assessment);
    for part in parts {
        facilities.extend(part);
    }
    timings.insert("read_points", t.elapsed().as_secs_f64());

    let codes: BTreeSet<String> = communities
        .iter()
        .filter_map(|c| c.division_code.as_deref().map(|s| s.trim().to_string()))
        .collect();
    let divisions = match &a.divisions {
        Some(p) => load_divisions(p, &codes)?,
        None => Divisions::new(),
    };

    let loaded = network_input::load(&source, &a.network.load_options(from_osm), &progress)?;
    timings.extend(loaded.timings.iter());
    let graph = &loaded.graph;
    if from_osm {
        facilities.extend(points::from_osm(&loaded.osm_facilities));
    }

    // One access computation serving every requirement and indicator, then the assessment.
    let candidate_points: Vec<lc_model::LonLat> = candidates.iter().map(|k| k.pos).collect();
    let run = lc_pipeline::run_assess(
        graph,
        &lc_pipeline::AssessInputs {
            standards: &standards,
            plans: &plans,
            divisions: &divisions,
            communities: &communities,
            facilities: &facilities,
            candidates: &candidate_points,
            platform: platform.as_ref(),
        },
        &lc_pipeline::AssessOptions {
            max_distance: a.max_distance,
            snap: a.place.snap_mode(),
            snap_limit: a.place.snap_limit,
            communities_file: a.communities.clone(),
        },
        &progress.observer(),
    )?;
    timings.extend(run.timings.iter());
    let (placed_c, placed_f, placed_k) = (
        &run.communities_placed,
        &run.facilities_placed,
        &run.candidates_placed,
    );
    let (plan, assessment) = (&run.plan, &run.assessment);

    // Recommended sites for the required items found short.
    let (recommendations, recommend_notes) = if a.candidates.is_some() {
        let t = Instant::now();
        let spinner = progress.spinner("选址 Recommending sites".to_string());
        let (found, notes) = lc_pipeline::recommend(
            &lc_pipeline::RecommendInputs {
                graph,
                standards: &standards,
                communities: &communities,
                facilities: &facilities,
                candidates: &candidates,
                run: &run,
            },
            &lc_pipeline::RecommendOptions {
                sites: a.recommend_sites,
                max_requirements: a.recommend_max,
                time_limit: Duration::from_secs_f64(a.recommend_time_limit),
            },
        )?;
        let r = (found, notes);
        spinner.finish_and_clear();
        timings.insert("recommend", t.elapsed().as_secs_f64());
        r
    } else {
        (Vec::new(), Vec::new())
    };

    // Outputs.
    let t = Instant::now();
    // The folder is written as a unit: every file into a staging folder, moved into place when
    // all are complete; a failure leaves the previous results as they were.
    let folder = lc_tables::OutputFolder::create(&a.out)
        .with_context(|| format!("无法创建 cannot create {}", a.out.display()))?;
    let streets = if graph.edge_count() <= 40_000 {
        graph
            .edges()
            .iter()
            .map(|e| [graph.coord(e.u), graph.coord(e.v)])
            .collect()
    } else {
        Vec::new()
    };
    let title = a.title.clone().unwrap_or_else(|| {
        format!(
            "{} 个社区 communities · {}",
            communities.len(),
            crate::shown::shown(&a.communities)
        )
    });
    let mut facts = vec![
        (
            "路网 network".to_string(),
            format!(
                "{} ({} nodes, {} edges)",
                network_input::source_label(&source),
                graph.node_count(),
                graph.edge_count()
            ),
        ),
        (
            "设施 facilities".to_string(),
            format!(
                "{} ({} placed){}",
                facilities.len(),
                facilities.len() - placed_f.too_far.len(),
                if from_osm { ", incl. OSM tags" } else { "" }
            ),
        ),
        (
            "标准 standards".to_string(),
            standards
                .iter()
                .map(|s| s.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (
            "目标 targets".to_string(),
            plans
                .iter()
                .map(|p| p.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (
            "步行距离圈 circles (m)".to_string(),
            plan.circles
                .iter()
                .map(|c| lc_report::fmt_num(*c))
                .collect::<Vec<_>>()
                .join(", "),
        ),
    ];
    if let Some(p) = &a.candidates {
        facts.push((
            "候选用地 candidate sites".to_string(),
            format!(
                "{} ({} placed) from {}; {} per requirement",
                candidates.len(),
                candidates.len() - placed_k.too_far.len(),
                crate::shown::shown(p),
                a.recommend_sites
            ),
        ));
        for n in &recommend_notes {
            facts.push(("未选址 not sited".to_string(), n.clone()));
        }
    }
    if let (Some(p), Some(path)) = (&platform, &a.platform_indicators) {
        let months: BTreeSet<(&str, &str)> = p
            .rows
            .iter()
            .map(|r| (r.indicator.as_str(), r.month.as_str()))
            .collect();
        facts.push((
            "平台指标 platform indicators".to_string(),
            format!(
                "{} ({})",
                crate::shown::shown(path),
                months
                    .iter()
                    .map(|(i, m)| format!("{i} {m}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    if !assessment.unknown_codes.is_empty() {
        facts.push((
            "未知区划代码 unknown division codes".to_string(),
            assessment.unknown_codes.join(", "),
        ));
    }
    let report = lc_report::Report {
        title: title.clone(),
        communities: &communities,
        facilities: &facilities,
        standards: &standards,
        plans: &plans,
        assessment,
        divisions: &divisions,
        streets,
        facts,
        recommendations,
    };
    // Each file is rendered straight into its staged file (the large ones stream: a province's
    // 2 GB of rows are never held in memory), the files in parallel. A rendered file's sync and
    // rename run on a thread of their own while the next files render: every one is waited for
    // below, before the folder is committed or (on an error) removed.
    let pending = std::sync::Mutex::new(Vec::new());
    let stream = |name: &str,
                  f: &(dyn Fn(&mut dyn std::io::Write) -> std::io::Result<()> + Sync)|
     -> Result<PathBuf> {
        let t = Instant::now();
        let p = folder.staged(name);
        let target = folder.target(name);
        let written = lc_tables::write_atomic_pending(&p, f)
            .with_context(|| format!("无法写入 cannot write {}", target.display()))?;
        tracing::info!("{name} rendered in {:.3} s", t.elapsed().as_secs_f64());
        pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((target.clone(), written));
        Ok(target)
    };
    let write = |name: &str, bytes: &[u8]| stream(name, &|w| w.write_all(bytes));
    let short_rows = std::sync::atomic::AtomicUsize::new(0);
    // The workbook first: a join's first closure runs at once on the pool thread that takes the
    // join while the other thread steals the rest. It is the longest single piece (its zip
    // compression cannot be split), and begun last it would run alone after the other files.
    let (xlsx, ((short, ind), ((fac, geo), html))) = rayon::join(
        || -> Result<PathBuf> {
            let bytes = lc_report::summary_xlsx(&report)?;
            write("summary.xlsx", &bytes)
        },
        || {
            rayon::join(
                || {
                    rayon::join(
                        || {
                            stream("shortcomings.csv", &|w| {
                                let n = lc_report::write_shortcomings_csv(&report, w)?;
                                short_rows.store(n, std::sync::atomic::Ordering::Relaxed);
                                Ok(())
                            })
                        },
                        || {
                            stream("indicators.csv", &|w| {
                                lc_report::write_indicators_csv(&report, w)
                            })
                        },
                    )
                },
                || {
                    rayon::join(
                        || {
                            rayon::join(
                                || {
                                    stream("facilities.csv", &|w| {
                                        lc_report::write_facilities_csv(&report, w)
                                    })
                                },
                                || {
                                    stream("communities.geojson", &|w| {
                                        lc_report::write_communities_geojson(&report, w)
                                    })
                                },
                            )
                        },
                        || {
                            write(
                                "unavailable.csv",
                                lc_report::unavailable_csv(&report).as_bytes(),
                            )?;
                            write(
                                "indicator_definitions.csv",
                                lc_report::definitions_csv(&report).as_bytes(),
                            )?;
                            if a.candidates.is_some() {
                                write(
                                    "recommended_sites.csv",
                                    lc_report::recommended_csv(&report).as_bytes(),
                                )?;
                            }
                            write("index.html", lc_report::html_report(&report).as_bytes())
                        },
                    )
                },
            )
        },
    );
    // Every file handed to its sync thread so far, waited for (each one, even after an error).
    let wait_all = || -> Vec<Result<()>> {
        std::mem::take(
            &mut *pending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
        .into_iter()
        .map(|(target, written)| {
            written
                .wait()
                .with_context(|| format!("无法写入 cannot write {}", target.display()))
        })
        .collect()
    };
    let synced = wait_all();
    for done in [short, ind, fac, geo, xlsx] {
        done?;
    }
    let html = html?;
    for done in synced {
        done?;
    }
    let short_rows = short_rows.into_inner();
    timings.insert("report", t.elapsed().as_secs_f64());
    let total = t_start.elapsed().as_secs_f64();
    timings.insert("total", total);

    let (affected, n_short) = report.affected();
    let met = report
        .headline()
        .iter()
        .filter(|x| x.met == Some(true))
        .count();
    let computed = report.headline().iter().filter(|x| x.met.is_some()).count();
    let rss = peak_rss_bytes();
    let summary = json!({
        "command": "assess",
        "communities": communities.len(),
        "communities_placed": communities.len() - placed_c.too_far.len(),
        "facilities": facilities.len(),
        "facilities_placed": facilities.len() - placed_f.too_far.len(),
        "standards": standards.iter().map(|s| &s.id).collect::<Vec<_>>(),
        "plans": plans.iter().map(|p| &p.id).collect::<Vec<_>>(),
        "requirements": assessment.requirements.len(),
        "circles_m": plan.circles,
        "search_radius_m": plan.config().radius(),
        "shortcomings": short_rows,
        "communities_short": n_short,
        "people_affected": affected,
        "headline_indicators_met": met,
        "headline_indicators_computed": computed,
        "indicator_rows": assessment.indicators.len(),
        "unknown_division_codes": assessment.unknown_codes,
        // The platform's indicator file: which indicators of which month it gave.
        "platform_indicators": platform.as_ref().map(|p| {
            p.rows
                .iter()
                .map(|r| format!("{} {}", r.indicator, r.month))
                .collect::<BTreeSet<_>>()
        }),
        "recommendations": report.recommendations.iter().map(|r| json!({
            "requirements": r.requirement_ids(&report).1,
            "category": r.category.key(),
            "radius_m": r.radius_m,
            "sites": r.sites.iter().map(|s| &s.id).collect::<Vec<_>>(),
            "short_population_before": r.short_before(),
            "short_population_after": r.short_after(),
            "bound_covered_population": r.bound,
            "gap": r.gap,
        })).collect::<Vec<_>>(),
        "not_sited": recommend_notes,
        "timings": timings,
        "peak_rss_bytes": rss,
    });
    write(
        "summary.json",
        serde_json::to_string_pretty(&summary)?.as_bytes(),
    )?;
    for done in wait_all() {
        done?;
    }
    folder
        .commit(&OUT_FILES)
        .with_context(|| format!("无法完成输出文件夹 cannot complete {}", a.out.display()))?;

    let cid = |i: usize| communities[i].id.as_str();
    let mut s = String::new();
    use std::fmt::Write as _;
    let _ = writeln!(s, "livingcircle assess — 完成 done in {total:.2} s (access {:.2} s, assessment {:.3} s, {}report {:.2} s)",
        timings["access"], timings["assess"],
        timings.get("recommend").map(|t| format!("recommended sites {t:.2} s, ")).unwrap_or_default(),
        timings["report"]);
    let _ = writeln!(
        s,
        "  社区 communities {} ({} placed{}), 设施 facilities {} ({} placed)",
        communities.len(),
        communities.len() - placed_c.too_far.len(),
        if placed_c.too_far.is_empty() {
            String::new()
        } else {
            format!(
                "; {} not on the network 不在路网上, counted as lacking every requirement: {}",
                placed_c.too_far.len(),
                some_ids(&placed_c.too_far, cid, 5)
            )
        },
        facilities.len(),
        facilities.len() - placed_f.too_far.len()
    );
    let _ = writeln!(
        s,
        "  标准 {} from {}; {} short of at least one, {} people affected; {}",
        lc_model::count(assessment.requirements.len(), "requirement"),
        standards
            .iter()
            .map(|x| x.id.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        lc_model::count(n_short, "community"),
        lc_report::fmt_num(affected),
        lc_model::count(short_rows, "shortcoming")
    );
    let _ = writeln!(
        s,
        "  目标 2025 targets: {met} of {computed} computable headline indicators met ({})",
        lc_model::count(plans.len(), "plan")
    );
    for n in &recommend_notes {
        let _ = writeln!(s, "  选址 {n}");
    }
    for (n, r) in report.recommendations.iter().enumerate() {
        let _ = writeln!(
            s,
            "  选址 {}. {} {} ≤ {} m: {} → people short {} → {} ({})",
            n + 1,
            r.category.info().zh,
            r.category.key(),
            lc_report::fmt_num(r.radius_m),
            if r.sites.is_empty() {
                "no candidate helps".to_string()
            } else {
                r.sites
                    .iter()
                    .map(|x| x.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            lc_report::fmt_num(r.short_before()),
            lc_report::fmt_num(r.short_after()),
            r.quality_text()
        );
    }
    if !assessment.unknown_codes.is_empty() {
        let _ = writeln!(
            s,
            "  注意 {} division code(s) not in the division list: {}",
            assessment.unknown_codes.len(),
            assessment
                .unknown_codes
                .iter()
                .take(5)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let _ = writeln!(
        s,
        "  输出 output {}: shortcomings.csv, indicators.csv, indicator_definitions.csv, unavailable.csv, communities.geojson, summary.xlsx, index.html, summary.json{}",
        crate::shown::shown(&a.out),
        if a.candidates.is_some() { ", recommended_sites.csv" } else { "" }
    );
    if let Some(r) = rss {
        let _ = writeln!(s, "  内存 peak memory {:.0} MB", r as f64 / 1e6);
    }
    let _ = writeln!(
        s,
        "  报告 report: {} (open it in a browser; it works offline)",
        crate::shown::shown(&html)
    );
    eprint!("{s}");
    Ok(())
}
