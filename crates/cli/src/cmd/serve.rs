//! `livingcircle serve` (the service platform's HTTP API) and `livingcircle divisions import`
//! (the national division list). Thin: a tokio runtime around `lc-server` and `lc-store`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};

/// Where the platform keeps its data.
#[derive(Args, Debug, Clone)]
pub struct DbArgs {
    /// Directory of the embedded SQLite database (`livingcircle.db`) and the first
    /// administrator's password file.
    #[arg(long, value_name = "DIR", default_value = "livingcircle-data")]
    pub data_dir: PathBuf,
    /// Database URL (`postgres://…` or `sqlite://FILE`); default: $DATABASE_URL, else the
    /// SQLite file in --data-dir.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
}

impl DbArgs {
    fn url(&self) -> Option<String> {
        self.database_url
            .clone()
            .or_else(|| std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty()))
    }

    pub(crate) fn url_or_sqlite(&self) -> Result<String> {
        match self.url() {
            Some(u) => Ok(u),
            None => {
                std::fs::create_dir_all(&self.data_dir).with_context(|| {
                    format!("无法创建 cannot create {}", self.data_dir.display())
                })?;
                Ok(format!(
                    "sqlite://{}",
                    self.data_dir.join("livingcircle.db").display()
                ))
            }
        }
    }
}

/// `livingcircle serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    #[command(flatten)]
    pub db: DbArgs,
    /// The demo seeded into a fresh database: `chengdu` (central Chengdu: 206 communities, 821
    /// outlets, providers with their offerings, one account per role; its walking network is
    /// loaded unless a network option is given), `xueyuanlu` (nine communities of a Beijing
    /// street, no network) or `none`.
    #[arg(long, value_name = "DEMO", default_value = "chengdu", value_parser = ["chengdu", "xueyuanlu", "none"])]
    pub demo: String,
    /// Seed no demo (as `--demo none`).
    #[arg(long, conflicts_with = "demo")]
    pub no_demo: bool,
    /// Send the session cookie without the Secure flag (plain-HTTP deployments behind no TLS;
    /// browsers treat localhost as secure anyway).
    #[arg(long)]
    pub insecure_cookies: bool,
    /// A streaming read replica of the PostgreSQL primary (`postgres://…`, e.g. the one
    /// `tools/pg-replica/start.sh` makes): the public read API and the open data are served from
    /// it, everything else from the primary, whose commits then wait until the replica has
    /// applied them. Default: $DATABASE_READ_URL, else none.
    #[arg(long, value_name = "URL")]
    pub database_read_url: Option<String>,
    /// The walking network (optional): home services' areas are computed on it as walking
    /// distances from the outlet. Without it, home offerings have no computed area.
    #[command(flatten)]
    pub network: crate::args::NetworkArgs,
}

/// `livingcircle divisions …`.
#[derive(Args, Debug)]
pub struct DivisionsArgs {
    #[command(subcommand)]
    pub command: DivisionsCommand,
}

/// Division list commands.
#[derive(Subcommand, Debug)]
pub enum DivisionsCommand {
    /// Import the national list (provinces.csv, cities.csv, areas.csv, streets.csv,
    /// villages.csv of the statistical codes) in one transaction, parent links checked.
    /// 导入全国统计用区划代码（省、地、县、乡、村五级）
    Import {
        /// Directory holding the five files.
        dir: PathBuf,
        #[command(flatten)]
        db: DbArgs,
    },
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("无法启动异步运行时 cannot start the async runtime")
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// Runs the server until Ctrl-C or SIGTERM.
pub fn run(a: ServeArgs, progress: crate::progress::Progress) -> Result<()> {
    let demo: lc_server::Demo = if a.no_demo {
        lc_server::Demo::None
    } else {
        a.demo.parse().map_err(anyhow::Error::msg)?
    };
    let t0 = Instant::now();
    let network = if a.network.osm.is_some() || a.network.nodes.is_some() {
        let source = a.network.source()?;
        let loaded =
            crate::network_input::load(&source, &a.network.load_options(false), &progress)?;
        eprintln!(
            "步行路网 walking network: {} nodes, {} edges ({}), {:.2} s",
            loaded.graph.node_count(),
            loaded.graph.edge_count(),
            crate::network_input::source_label(&source),
            t0.elapsed().as_secs_f64()
        );
        Some(std::sync::Arc::new(loaded.graph))
    } else if demo == lc_server::Demo::Chengdu {
        // The demo city's own network: the embedded OSM extract, read from a temporary copy.
        let dir =
            tempfile::tempdir().context("无法创建临时目录 cannot create a temporary directory")?;
        let path = dir.path().join("chengdu-central.osm.pbf");
        std::fs::write(&path, crate::cmd::demo::OSM)?;
        let options = lc_pipeline::LoadOptions {
            use_cache: false,
            label: Some("demo/chengdu-central/chengdu-central.osm.pbf (embedded)".into()),
            ..a.network.load_options(false)
        };
        let loaded = lc_pipeline::network::load(
            &lc_pipeline::NetworkSource::Osm(path),
            &options,
            &progress.observer(),
        )?;
        eprintln!(
            "步行路网 walking network of the demo city: {} nodes, {} edges (demo/chengdu-central/chengdu-central.osm.pbf, embedded), {:.2} s",
            loaded.graph.node_count(),
            loaded.graph.edge_count(),
            t0.elapsed().as_secs_f64()
        );
        Some(std::sync::Arc::new(loaded.graph))
    } else {
        None
    };
    let config = lc_server::Config {
        network,
        bind: a.bind,
        database_url: a.db.url(),
        database_read_url: a
            .database_read_url
            .clone()
            .or_else(|| std::env::var("DATABASE_READ_URL").ok())
            .filter(|u| !u.is_empty()),
        data_dir: a.db.data_dir.clone(),
        demo,
        demo_password: std::env::var("LIVINGCIRCLE_DEMO_PASSWORD")
            .ok()
            .filter(|p| !p.is_empty()),
        admin_password: std::env::var("LIVINGCIRCLE_ADMIN_PASSWORD")
            .ok()
            .filter(|p| !p.is_empty()),
        secure_cookies: !a.insecure_cookies,
        pii_key: std::env::var("LIVINGCIRCLE_PII_KEY")
            .ok()
            .filter(|k| !k.is_empty()),
        ..lc_server::Config::default()
    };
    runtime()?.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.bind)
            .await
            .with_context(|| format!("无法监听 cannot listen on {}", config.bind))?;
        let addr = listener.local_addr()?;
        let db = match &config.database_url {
            Some(u) if u.starts_with("postgres") => "PostgreSQL".to_string(),
            Some(u) => u.clone(),
            None => config.data_dir.join("livingcircle.db").display().to_string(),
        };
        let t0 = Instant::now();
        let state = lc_server::prepare(config).await.context("无法启动平台 cannot start the platform")?;
        if demo == lc_server::Demo::Chengdu {
            let accounts = state.config.data_dir.join(lc_server::demo_city::ACCOUNTS_FILE);
            if accounts.exists() {
                eprintln!(
                    "示例城市 demo city: central Chengdu (成都市中心城区); demo accounts resident, provider, worker, regulator: passwords in {} (ready in {:.2} s)",
                    accounts.display(),
                    t0.elapsed().as_secs_f64()
                );
            }
        }
        eprintln!("livingcircle service platform 社区生活服务平台 on http://{addr}/api/health (database: {db}; API: http://{addr}/api/openapi.json)");
        lc_server::serve(listener, state, shutdown_signal()).await?;
        Ok(())
    })
}

/// Runs a `divisions` subcommand.
pub fn run_divisions(a: DivisionsArgs) -> Result<()> {
    match a.command {
        DivisionsCommand::Import { dir, db } => {
            let url = db.url_or_sqlite()?;
            runtime()?.block_on(async move {
                let t0 = Instant::now();
                let store = lc_store::Store::open(&url)
                    .await
                    .context("无法打开数据库 cannot open the database")?;
                let actor = lc_store::Actor {
                    role: Some("cli".into()),
                    ..Default::default()
                };
                let s = store
                    .import_division_dir(&dir, &actor)
                    .await
                    .with_context(|| {
                        format!(
                            "从 {0} 导入区划名录时 importing the division list from {0}",
                            dir.display()
                        )
                    })?;
                store.close().await;
                let [p, c, a, st, v] = s.per_level;
                println!(
                    "已导入区划 {} 个：省级 {p}、地级 {c}、县级 {a}、乡级 {st}、村级 {v} \
                     imported {}: {}, {}, {}, {}, {}",
                    s.total(),
                    lc_model::count(s.total(), "division"),
                    lc_model::count(p, "province"),
                    lc_model::count(c, "prefecture"),
                    lc_model::count(a, "county"),
                    match st {
                        1 => "1 street/town".to_string(),
                        n => format!("{n} streets/towns"),
                    },
                    lc_model::count(v, "community/village committee"),
                );
                println!(
                    "read and checked in {:.2} s, written in {:.2} s, {:.2} s in all",
                    s.read_s,
                    s.write_s,
                    t0.elapsed().as_secs_f64()
                );
                Ok(())
            })
        }
    }
}
