//! `livingcircle release --region CODE --period 2026Q3|2026 --out DIR`: a statistical release
//! (issue 16 item 3) made from the platform database's monthly figures, written as
//! `release.html`, `release.pdf`, `release.json` (the document) and `release-data.json` (what it
//! was made from). Reads the database as `serve` opens it (migrations applied, nothing seeded,
//! nothing written to it: the server's archive is `POST /api/releases`); the files appear
//! together or not at all (`lc_tables::OutputFolder`).

use std::path::PathBuf;

use anyhow::{anyhow, Context, Result};
use clap::Args;
use lc_report::release::Period;

use crate::cmd::serve::{runtime, DbArgs};

/// `livingcircle release …`.
#[derive(Args, Debug)]
pub struct ReleaseArgs {
    /// A province (2 digits), city (4) or district (6) division code. 省、市或区县区划代码
    #[arg(long)]
    pub region: String,
    /// A quarter (`2026Q3`) or a year (`2026`). 季度或年份
    #[arg(long)]
    pub period: String,
    /// The output folder. 输出目录
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    #[command(flatten)]
    pub db: DbArgs,
}

/// The files a release writes.
pub const FILES: &[&str] = &[
    "release.html",
    "release.pdf",
    "release.json",
    "release-data.json",
];

/// Runs `release`.
pub fn run(a: ReleaseArgs) -> Result<()> {
    let period: Period = a.period.parse().map_err(|e| anyhow!("--period: {e}"))?;
    let rendered = runtime()?.block_on(async {
        let st = crate::cmd::monitor::open(&a.db).await?;
        let made_on = lc_services::time::local_date(st.clock.now_ms())
            .map_err(|e| anyhow!("{e}"))?
            .to_string();
        let mut conn = st
            .store
            .pool()
            .acquire()
            .await
            .context("无法连接平台数据库 cannot connect to the platform's database")?;
        let input =
            lc_server::domains::releases::read_input(&mut conn, &a.region, period, &made_on)
                .await
                .map_err(crate::cmd::monitor::api)?;
        drop(conn);
        st.store.close().await;
        lc_server::domains::releases::render(&input).map_err(crate::cmd::monitor::api)
    })?;
    let document = serde_json::to_string_pretty(&rendered.document)?;
    let folder = lc_tables::OutputFolder::create(&a.out)
        .with_context(|| format!("无法写入 cannot write {}", a.out.display()))?;
    for (name, bytes) in [
        ("release.html", rendered.html.as_bytes()),
        ("release.pdf", rendered.pdf.as_slice()),
        ("release.json", document.as_bytes()),
        ("release-data.json", rendered.input_json.as_bytes()),
    ] {
        std::fs::write(folder.staged(name), bytes)
            .with_context(|| format!("无法写入 cannot write {name}"))?;
    }
    folder
        .commit(FILES)
        .with_context(|| format!("无法写入 cannot write {}", a.out.display()))?;
    let d = &rendered.document;
    println!(
        "{} 已写入 {}：release.html、release.pdf（{} 字节）、release.json、release-data.json \
         / written to {}: release.html, release.pdf ({} bytes), release.json, release-data.json",
        d.title_zh,
        a.out.display(),
        rendered.pdf.len(),
        a.out.display(),
        rendered.pdf.len()
    );
    Ok(())
}
