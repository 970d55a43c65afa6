//! `livingcircle monitor run|demo-activity`: the platform's monthly figures computed by hand
//! (the same job as `serve`'s hourly sweep and `POST /api/monitor/runs`), and a generated month
//! of demo activity. Thin: opens the database as `serve` does (migrations applied, no demo
//! seeded) and calls lc-server.

use std::time::Instant;

use anyhow::{anyhow, Context, Result};
use clap::{Args, Subcommand};

use crate::cmd::serve::{runtime, DbArgs};

/// `livingcircle monitor …`.
#[derive(Args, Debug)]
pub struct MonitorArgs {
    #[command(subcommand)]
    pub command: MonitorCommand,
}

/// Monitoring commands.
#[derive(Subcommand, Debug)]
pub enum MonitorCommand {
    /// Compute a month's figures (replaces that month's rows atomically).
    /// 计算某月的平台统计（原子地替换该月数据）
    Run {
        /// The month, YYYY-MM (Asia/Shanghai); default: the month just ended.
        #[arg(long)]
        month: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Write a deterministic month of demo activity (bookings, reviews, 差评 cases, visits, a
    /// spot check, warnings) on the registry's communities, once per month.
    /// 生成一个月的示例平台活动
    DemoActivity {
        /// The month, YYYY-MM.
        #[arg(long)]
        month: String,
        /// The seed of the generator (the same seed writes the same month).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Only communities under this division code prefix.
        #[arg(long)]
        within: Option<String>,
        /// At most this many communities.
        #[arg(long, default_value_t = 40)]
        communities: usize,
        #[command(flatten)]
        db: DbArgs,
    },
}

fn month(s: &str) -> Result<lc_services::time::YearMonth> {
    s.parse()
        .map_err(|_| anyhow!("--month 应为 YYYY-MM must be a month as YYYY-MM: {s}"))
}

pub(crate) async fn open(db: &DbArgs) -> Result<std::sync::Arc<lc_server::AppState>> {
    let config = lc_server::Config {
        database_url: Some(db.url_or_sqlite()?),
        data_dir: db.data_dir.clone(),
        demo: lc_server::Demo::None,
        pii_key: std::env::var("LIVINGCIRCLE_PII_KEY")
            .ok()
            .filter(|k| !k.is_empty()),
        ..lc_server::Config::default()
    };
    lc_server::prepare(config)
        .await
        .context("无法打开平台数据库 cannot open the platform's database")
}

pub(crate) fn api(e: lc_server::error::AppError) -> anyhow::Error {
    anyhow!("{} {}", e.message_zh, e.message_en)
}

/// Runs a `monitor` subcommand.
pub fn run(a: MonitorArgs) -> Result<()> {
    match a.command {
        MonitorCommand::Run { month: m, db } => {
            let m = m.as_deref().map(month).transpose()?;
            runtime()?.block_on(async move {
                let t0 = Instant::now();
                let st = open(&db).await?;
                let m = match m {
                    Some(m) => m,
                    None => lc_services::time::YearMonth::of_instant(st.clock.now_ms())
                        .map_err(|e| anyhow!("{e}"))?
                        .previous(),
                };
                let r = lc_server::domains::monitoring::run_month(&st, m, "cli", None)
                    .await
                    .map_err(api)?;
                st.store.close().await;
                println!(
                    "{} 月度统计已计算：{} 个数值（第 {} 次运行） monthly figures of {} computed: {} values (run {}), {:.2} s",
                    r.month, r.rows_written, r.id, r.month, r.rows_written, r.id,
                    t0.elapsed().as_secs_f64()
                );
                Ok(())
            })
        }
        MonitorCommand::DemoActivity {
            month: m,
            seed,
            within,
            communities,
            db,
        } => {
            let m = month(&m)?;
            runtime()?.block_on(async move {
                let st = open(&db).await?;
                let s = lc_server::demo_activity::generate(&st, m, seed, within.as_deref(), communities)
                    .await
                    .map_err(api)?;
                st.store.close().await;
                println!(
                    "{} 示例活动：{} 个社区，预约 {}，评价 {}，差评工单 {}，探访 {}，抽查结果 {}，预警 {} \
                     demo activity of {}: {} communities, {} bookings, {} reviews, {} bad-review cases, {} visits, {} spot-check results, {} warnings",
                    s.month, s.communities, s.bookings, s.reviews, s.cases, s.visits, s.spot_check_results, s.warnings,
                    s.month, s.communities, s.bookings, s.reviews, s.cases, s.visits, s.spot_check_results, s.warnings,
                );
                Ok(())
            })
        }
    }
}
