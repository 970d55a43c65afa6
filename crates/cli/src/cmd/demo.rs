//! `livingcircle demo`: runs the access analysis and the assessment against the standards and
//! 2025 targets on the shipped demo city (central Chengdu inside the 2nd ring: a real
//! OpenStreetMap extract over parts of five districts, its residential areas as communities with
//! estimated populations, illustrative facility data and candidate sites; see
//! `demo/chengdu-central/README.md`) and says where the results and the report are.

use crate::args::{Cli, Command, DemoArgs};
use crate::progress::Progress;
use anyhow::{Context, Result};
use clap::Parser;
use std::path::Path;

pub(crate) const OSM: &[u8] =
    include_bytes!("../../../../demo/chengdu-central/chengdu-central.osm.pbf");
const COMMUNITIES: &[u8] = include_bytes!("../../../../demo/chengdu-central/communities.csv");
const FACILITIES: &[u8] = include_bytes!("../../../../demo/chengdu-central/facilities.csv");
const CANDIDATES: &[u8] = include_bytes!("../../../../demo/chengdu-central/candidates.csv");
const DIVISIONS: &[u8] = include_bytes!("../../../../demo/chengdu-central/divisions.csv");
/// The report's title.
const TITLE: &str = "成都市中心城区（二环内）演示 Central Chengdu (inside the 2nd ring), demo";

/// Everything the demo writes into its folder (the folder is written as a unit: staged beside
/// it and moved into place when every step has succeeded, issue 19).
const OWNED: [&str; 7] = [
    "input",
    "access.csv",
    "counts.csv",
    "communities.geojson",
    "summary.json",
    "isochrones.geojson",
    "assessment",
];

pub fn run(a: DemoArgs, progress: Progress) -> Result<()> {
    let folder = lc_tables::OutputFolder::create(&a.out)
        .with_context(|| format!("无法创建 cannot create {}", a.out.display()))?;
    {
        // Paths printed by the steps name the folder they will be in, not the staging one.
        let _shown = crate::shown::stage_as(folder.staging_dir(), &a.out);
        run_steps(folder.staging_dir(), progress)?;
    }
    folder
        .commit(&OWNED)
        .with_context(|| format!("无法完成 cannot complete {}", a.out.display()))?;
    let out = &a.out;
    let report_dir = out.join("assessment");
    eprintln!(
        "\n结果 Results in {dir}:\n  access.csv           每个社区各类设施最近的 3 处 / 3 nearest facilities of each category per community\n  counts.csv           300/500/1000 m 生活圈内设施数量 / facilities within each circle\n  communities.geojson  社区点与最近距离 / communities with nearest distances (open in QGIS or geojson.io)\n  isochrones.geojson   5/10/15 分钟步行等时圈 / 5-, 10-, 15-minute walking areas\n  summary.json         运行摘要 / run summary\n  assessment/          对照标准与 2025 年目标的评估 / assessment against the standards and 2025 targets:\n    index.html         报告（离线可用）/ the report (works offline)\n    shortcomings.csv   每个社区的缺项 / every community's missing requirements\n    indicators.csv     各级地区的目标指标 / target indicators per region\n    summary.xlsx       Excel 汇总 / workbook for government users\n    communities.geojson 社区达标情况 / communities with their status\n    recommended_sites.csv 候选用地中的建议选址 / where new facilities would close the most gaps",
        dir = out.display()
    );
    let html = std::fs::canonicalize(report_dir.join("index.html"))
        .unwrap_or_else(|_| report_dir.join("index.html"));
    eprintln!(
        "\n打开报告 Open the report: file://{}\n  (Linux: xdg-open {p} · macOS: open {p} · Windows: start {p})",
        html.display(),
        p = html.display()
    );
    Ok(())
}

/// Runs access, isochrone and assess on the shipped data, writing everything under `out`.
fn run_steps(out: &Path, progress: Progress) -> Result<()> {
    let input = out.join("input");
    std::fs::create_dir_all(&input)
        .with_context(|| format!("无法创建 cannot create {}", input.display()))?;
    let osm = input.join("chengdu-central.osm.pbf");
    let communities = input.join("communities.csv");
    let facilities = input.join("facilities.csv");
    let divisions = input.join("divisions.csv");
    let candidates = input.join("candidates.csv");
    for (path, bytes) in [
        (&candidates, CANDIDATES),
        (&osm, OSM),
        (&communities, COMMUNITIES),
        (&facilities, FACILITIES),
        (&divisions, DIVISIONS),
    ] {
        lc_tables::write_atomic(path, |w| w.write_all(bytes))?;
    }
    eprintln!("livingcircle demo — 成都市中心城区（二环内）Central Chengdu, inside the 2nd ring");
    eprintln!(
        "  金牛区 Jinniu · 成华区 Chenghua · 锦江区 Jinjiang · 青羊区 Qingyang · 武侯区 Wuhou"
    );
    eprintln!(
        "  路网、设施与居住区 network, facilities and residential areas: OpenStreetMap (© OpenStreetMap contributors, ODbL)"
    );
    eprintln!(
        "  人口为估算，部分设施与区划归属为示例 populations are estimates; some facilities and division codes are illustrative\n    (demo/chengdu-central/README.md)\n"
    );
    let s = |p: &Path| p.display().to_string();
    let access = [
        "livingcircle",
        "access",
        "--osm",
        &s(&osm),
        "--communities",
        &s(&communities),
        "--facilities",
        &s(&facilities),
        "--with-osm-facilities",
        "--out",
        &s(&out.join("access.csv")),
        "--counts",
        &s(&out.join("counts.csv")),
        "--geojson",
        &s(&out.join("communities.geojson")),
        "--summary-json",
        &s(&out.join("summary.json")),
        "--with-minutes",
    ];
    run_args(&access, progress)?;
    eprintln!();
    let iso = [
        "livingcircle",
        "isochrone",
        "--osm",
        &s(&osm),
        "--communities",
        &s(&communities),
        "--minutes",
        "5,10,15",
        "--out",
        &s(&out.join("isochrones.geojson")),
    ];
    run_args(&iso, progress)?;
    eprintln!();
    let report_dir = out.join("assessment");
    let assess = [
        "livingcircle",
        "assess",
        "--osm",
        &s(&osm),
        "--communities",
        &s(&communities),
        "--facilities",
        &s(&facilities),
        "--with-osm-facilities",
        "--divisions",
        &s(&divisions),
        "--candidates",
        &s(&candidates),
        "--title",
        TITLE,
        "--out",
        &s(&report_dir),
    ];
    run_args(&assess, progress)
}

fn run_args(argv: &[&str], progress: Progress) -> Result<()> {
    let cli = Cli::try_parse_from(argv).context("内部错误：演示参数 internal demo arguments")?;
    match cli.command {
        Command::Access(a) => super::access::run(a, progress),
        Command::Isochrone(a) => super::isochrone::run(a, progress),
        Command::Assess(a) => super::assess::run(a, progress),
        _ => unreachable!("the demo runs access, isochrone and assess only"),
    }
}
