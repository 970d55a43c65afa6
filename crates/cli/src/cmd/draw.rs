//! `livingcircle draw …`: 双随机一公开 draws as manifests anyone can replay (issue 13). Thin: JSON
//! in and out around `lc_credit::draw`, which holds every rule.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use lc_credit::draw::{self, Manifest, Plan, Published};
use serde::de::DeserializeOwned;

/// `livingcircle draw …`.
#[derive(Args, Debug)]
pub struct DrawArgs {
    #[command(subcommand)]
    pub command: DrawCommand,
}

/// Draw commands.
#[derive(Subcommand, Debug)]
pub enum DrawCommand {
    /// Make a draw from a plan (check items, object and inspector pools, ratios, seed) and write
    /// its manifest. 按抽取方案进行双随机抽取并写出抽取清单
    Run {
        /// The plan (JSON).
        plan: PathBuf,
        /// Where to write the manifest (JSON). It holds every object's internal credit class:
        /// for the regulator and auditors, not for publication.
        #[arg(long, value_name = "MANIFEST.json")]
        out: PathBuf,
        /// Also write the public list (一公开): drawn objects and inspectors, hashes and seed,
        /// no class.
        #[arg(long, value_name = "PUBLIC.json")]
        public: Option<PathBuf>,
    },
    /// The pool hashes of a plan, to publish with the pools before the seed is known; also checks
    /// the plan and that every object can be staffed. 计算名录库哈希（抽取前公布）
    Hash {
        /// The plan (JSON); the seed may hold only the commitment.
        plan: PathBuf,
    },
    /// Replay a manifest offline and say whether the published result follows from it (exit 0
    /// when it does, 1 when it does not). 离线重放抽取清单并核验公布结果
    Verify {
        /// The manifest (JSON).
        manifest: PathBuf,
        /// The object pool's hash as published before the draw.
        #[arg(long, value_name = "SHA256")]
        objects_sha256: Option<String>,
        /// The inspector pool's hash as published before the draw.
        #[arg(long, value_name = "SHA256")]
        inspectors_sha256: Option<String>,
        /// The seed commitment as published before the draw.
        #[arg(long, value_name = "SHA256")]
        commitment: Option<String>,
        /// The manifest of the draw this one replaces (a redraw).
        #[arg(long, value_name = "MANIFEST.json")]
        previous: Option<PathBuf>,
        /// A public list that should be this manifest's (`draw run --public`).
        #[arg(long, value_name = "PUBLIC.json")]
        public: Option<PathBuf>,
        /// Print the report as JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// A manifest that does not verify: exit status 1 (bad input is 2).
#[derive(Debug, thiserror::Error)]
#[error("抽取清单核验未通过 the manifest does not verify: {0}")]
pub struct NotVerified(pub String);

/// Reads a JSON file into `T`; an error names the file, the field (path inside the document),
/// the line and column, and why.
fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("无法读取 cannot read {}", path.display()))?;
    let de = &mut serde_json::Deserializer::from_str(&text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.inner();
        let (line, column) = (inner.line(), inner.column());
        let text = inner.to_string();
        let why = text
            .strip_suffix(&format!(" at line {line} column {column}"))
            .unwrap_or(&text);
        let file = path.display();
        if field == "." || field.is_empty() {
            anyhow::anyhow!(
                "{file} 不是有效的 JSON（第 {line} 行第 {column} 列） is not valid JSON (line {line} column {column}): {why}"
            )
        } else {
            anyhow::anyhow!(
                "{file} 字段 {field} 有误（第 {line} 行第 {column} 列） field {field} is wrong (line {line} column {column}): {why}"
            )
        }
    })
}

fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    lc_tables::write_atomic(path, |w| w.write_all(text.as_bytes()))?;
    Ok(())
}

/// Runs a `draw` subcommand.
pub fn run(a: DrawArgs) -> Result<()> {
    match a.command {
        DrawCommand::Run { plan, out, public } => run_draw(&plan, &out, public.as_deref()),
        DrawCommand::Hash { plan } => {
            let p: Plan = read_json(&plan)?;
            let h = draw::pool_hashes(&p).with_context(|| plan.display().to_string())?;
            println!("objects_sha256    {}", h.objects_sha256);
            println!("inspectors_sha256 {}", h.inspectors_sha256);
            if let Some(c) = p.seed.commitment.as_deref() {
                println!("commitment        {}", c.trim().to_ascii_lowercase());
            }
            eprintln!(
                "请在抽取前连同名录库一并公布以上哈希 publish these with the pools before the draw"
            );
            Ok(())
        }
        DrawCommand::Verify {
            manifest,
            objects_sha256,
            inspectors_sha256,
            commitment,
            previous,
            public,
            json,
        } => {
            let m: Manifest = read_json(&manifest)?;
            let previous_sha256 = match previous {
                Some(p) => Some(read_json::<Manifest>(&p)?.sha256()),
                None => None,
            };
            let public = match public {
                Some(p) => Some(read_json(&p)?),
                None => None,
            };
            let published = Published {
                objects_sha256,
                inspectors_sha256,
                commitment,
                previous_sha256,
                public,
            };
            let report = draw::verify_published(&m, &published);
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!("{}（{}） {}", m.label, m.drawn_at, manifest.display());
                print!("{}", report.text());
            }
            if report.verified {
                Ok(())
            } else {
                let checks: Vec<&str> = report.failures().map(|f| f.check).collect();
                Err(NotVerified(checks.join(", ")).into())
            }
        }
    }
}

fn run_draw(plan: &Path, out: &Path, public: Option<&Path>) -> Result<()> {
    let p: Plan = read_json(plan)?;
    let m = draw::draw(&p).with_context(|| plan.display().to_string())?;
    write_json(out, &m)?;
    if let Some(public) = public {
        write_json(public, &m.public_result())?;
        println!(
            "已写出公示名单（不含信用风险分类） public list written to {} (no credit class)",
            public.display()
        );
    }
    println!("{}（{}）", m.label, m.drawn_at);
    for c in &m.result.classes {
        println!(
            "{} 类：名录 {} 个，比例 {} 基点，抽中 {} 个 class {}: {} in the pool, {} basis points, {} drawn",
            c.class, c.pool_size, c.ratio, c.count, c.class, c.pool_size, c.ratio, c.count
        );
    }
    println!("objects_sha256    {}", m.objects_sha256);
    println!("inspectors_sha256 {}", m.inspectors_sha256);
    println!("manifest_sha256   {}", m.sha256());
    println!(
        "已写出抽取清单 manifest written to {}; 核验 verify: livingcircle draw verify {}",
        out.display(),
        out.display()
    );
    Ok(())
}
