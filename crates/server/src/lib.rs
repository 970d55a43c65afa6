//! livingcircle's service platform: the HTTP API (axum) over the registry store.
//!
//! * [`app`] builds the router: every endpoint of [`endpoints::ENDPOINTS`], the
//!   authorization middleware that enforces each endpoint's roles (every method, HEAD as GET;
//!   405 for a method a path does not declare), per-route body limits, and the [`edge`]
//!   (server-made request ids, security headers, every error in the JSON format).
//! * [`prepare`] opens the database (applying migrations), makes the deployment's secrets,
//!   creates the first administrator and seeds the [`Demo`] into a fresh database (central
//!   Chengdu: [`demo_city`]).
//! * [`start`] binds and serves in the background (tests, port 0); [`serve`] serves until a
//!   shutdown signal and then drains in-flight requests (graceful shutdown).
//!
//! Errors are [`error::AppError`]: a status, a stable code and messages in Chinese and English.

pub mod auth;
pub mod bulk;
pub mod demo_activity;
pub mod demo_city;
pub mod domains;
pub mod edge;
pub mod endpoints;
pub mod error;
pub mod openapi;
pub mod secrets;
mod seed;
pub mod throttle;
pub mod web;

pub use domains::{accounts, system};

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use lc_store::Store;
use serde_json::Value;

/// How the server runs. Its `Debug` form hides the secrets.
#[derive(Clone)]
pub struct Config {
    /// Address to listen on (port 0: any free port).
    pub bind: SocketAddr,
    /// Database URL; `None`: the SQLite file `livingcircle.db` in `data_dir`.
    pub database_url: Option<String>,
    /// A streaming read replica of the PostgreSQL primary (`--database-read-url`,
    /// `DATABASE_READ_URL`): the public read API and the open data are served from it
    /// ([`lc_store::Store::reader`]); `None`: everything from the primary.
    pub database_read_url: Option<String>,
    /// Directory of the embedded database and the first administrator's password file.
    pub data_dir: PathBuf,
    /// The demo seeded into a fresh database ([`Demo`]).
    pub demo: Demo,
    /// Password of every demo account (`LIVINGCIRCLE_DEMO_PASSWORD`); generated per account when
    /// `None`. The passwords are written to `data_dir/demo-accounts.txt` (0600).
    pub demo_password: Option<String>,
    /// Password of the first administrator (`admin`); generated and written to
    /// `data_dir/initial-admin-password.txt` when `None`.
    pub admin_password: Option<String>,
    /// Mark the session cookie `Secure` (browsers then send it over HTTPS and to localhost only).
    pub secure_cookies: bool,
    /// Largest request body in bytes of the import endpoints (CSV, Excel, assessment runs).
    pub max_body: usize,
    /// Key of the ID-number fingerprints (at least 32 hex characters, e.g. from
    /// `LIVINGCIRCLE_PII_KEY`); `None`: the key file in `data_dir` (made on first start).
    pub pii_key: Option<String>,
    /// The walking network (`serve --osm`/`--nodes --edges`): home services' areas are walking
    /// distances on it. Without one, home offerings have no computed area and are not checked.
    pub network: Option<Arc<lc_network::Graph>>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |o: &Option<String>| o.as_ref().map(|_| "<hidden>");
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field(
                "database_url",
                &self.database_url.as_deref().map(redact_password),
            )
            .field(
                "database_read_url",
                &self.database_read_url.as_deref().map(redact_password),
            )
            .field("data_dir", &self.data_dir)
            .field("demo", &self.demo)
            .field("demo_password", &hidden(&self.demo_password))
            .field("admin_password", &hidden(&self.admin_password))
            .field("secure_cookies", &self.secure_cookies)
            .field("max_body", &self.max_body)
            .field("pii_key", &hidden(&self.pii_key))
            .field(
                "network",
                &self
                    .network
                    .as_ref()
                    .map(|g| (g.node_count(), g.edge_count())),
            )
            .finish()
    }
}

/// A database URL with its password (`user:password@`) replaced, for logs and debug output.
pub fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    match rest.split_once('@') {
        Some((auth, host)) if auth.contains(':') => {
            let user = auth.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:<hidden>@{host}")
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod redact_tests {
    #[test]
    fn passwords_in_database_urls_are_hidden() {
        let c = super::Config {
            database_url: Some("postgres://app:s3cret@db:5432/lc".into()),
            ..Default::default()
        };
        let d = format!("{c:?}");
        assert!(!d.contains("s3cret"), "{d}");
        assert!(d.contains("postgres://app:<hidden>@db:5432/lc"), "{d}");
        assert_eq!(
            super::redact_password("postgres://postgres@127.0.0.1/test"),
            "postgres://postgres@127.0.0.1/test"
        );
    }
}

/// The demo a fresh database receives (once per database: a database that has communities, or
/// was seeded before, is left alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Demo {
    /// Nothing.
    None,
    /// Xueyuanlu street, Haidian, Beijing: its divisions and nine communities
    /// (`crates/server/seed/`; the tests' district).
    #[default]
    Xueyuanlu,
    /// Central Chengdu inside the 2nd ring (`demo/chengdu-central/`): divisions, 206
    /// communities, 821 outlets, demo providers with their offerings, one account per role and
    /// a few care-register entries ([`demo_city`]).
    Chengdu,
}

impl std::str::FromStr for Demo {
    type Err = String;
    fn from_str(s: &str) -> Result<Demo, String> {
        match s {
            "none" => Ok(Demo::None),
            "xueyuanlu" => Ok(Demo::Xueyuanlu),
            "chengdu" => Ok(Demo::Chengdu),
            other => Err(format!(
                "未知示例 unknown demo '{other}' (xueyuanlu, chengdu, none)"
            )),
        }
    }
}

/// Largest JSON body of an endpoint that is not an import.
pub const JSON_BODY_LIMIT: usize = 64 << 10;
/// Largest body of the public login.
pub const LOGIN_BODY_LIMIT: usize = 8 << 10;

impl Default for Config {
    fn default() -> Config {
        Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: None,
            database_read_url: None,
            data_dir: PathBuf::from("livingcircle-data"),
            demo: Demo::Xueyuanlu,
            demo_password: None,
            admin_password: None,
            secure_cookies: true,
            max_body: 256 << 20,
            pii_key: None,
            network: None,
        }
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The database.
    #[error(transparent)]
    Store(#[from] lc_store::StoreError),
    /// Files or the socket.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Seeding or bootstrapping failed.
    #[error("start-up: {0}")]
    Startup(String),
    /// The secrets or the data directory.
    #[error(transparent)]
    Secrets(#[from] secrets::SecretError),
}

/// What every handler shares.
pub struct AppState {
    /// The database.
    pub store: Store,
    /// The configuration in force.
    pub config: Config,
    /// Key of the ID-number fingerprints (HMAC), made once per deployment.
    pub pii_key: Vec<u8>,
    /// An Argon2 hash verified when a login names no account (equal timing).
    pub dummy_hash: String,
    /// The OpenAPI document.
    pub openapi: Value,
    /// Login throttling ([`throttle`]).
    pub throttle: Arc<throttle::Throttle>,
    /// Password checks made by logins so far (for tests and metrics).
    pub password_checks: std::sync::atomic::AtomicU64,
    /// The time the rules see (bookings' notice and no-shows, visits' months).
    pub clock: Clock,
    /// The key that signs housekeeping credit certificate QR tokens (key file in `data_dir`).
    pub signing_key: secrets::SigningKey,
    /// Assessment runs computed by this process (in memory: jobs do not survive a restart,
    /// the stored runs do).
    pub assessment_jobs: domains::assessments::jobs::Jobs,
}

/// The time the rules see: the system clock, plus an offset that only tests move (to complete
/// tomorrow's meal today, or to let a slot pass). Everything time-dependent in the services
/// domains reads [`Clock::now_ms`], never the system clock directly.
#[derive(Debug, Default)]
pub struct Clock {
    offset_ms: std::sync::atomic::AtomicI64,
}

impl Clock {
    /// Now, in milliseconds since the Unix epoch (UTC).
    pub fn now_ms(&self) -> i64 {
        lc_store::now_ms() + self.offset_ms.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Moves the clock forward (or back) by `ms`.
    pub fn advance(&self, ms: i64) {
        self.offset_ms
            .fetch_add(ms, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Opens the database and readies the deployment (migrations, secrets, first admin, demo).
pub async fn prepare(config: Config) -> Result<Arc<AppState>, ServerError> {
    secrets::create_private_dir(&config.data_dir)?;
    let (url, sqlite_file) = match &config.database_url {
        Some(u) => {
            let file = u
                .strip_prefix("sqlite://")
                .or_else(|| u.strip_prefix("sqlite:"))
                .and_then(|p| p.split('?').next())
                .filter(|p| !p.is_empty() && !p.contains(":memory:"))
                .map(PathBuf::from);
            (u.clone(), file)
        }
        None => {
            let file = config.data_dir.join("livingcircle.db");
            (format!("sqlite://{}", file.display()), Some(file))
        }
    };
    if let Some(f) = &sqlite_file {
        if !f.exists() {
            secrets::touch_private(f)?;
        }
    }
    let store = Store::open_with_replica(&url, config.database_read_url.as_deref()).await?;
    if let Some(f) = &sqlite_file {
        secrets::protect_sqlite(f)?;
    }
    let pii_key = secrets::fingerprint_key(&store, &config.data_dir, config.pii_key.as_deref())
        .await?
        .into_bytes();
    let signing_key = secrets::signing_key(&config.data_dir)?;
    let dummy_hash = auth::hash_password(auth::random_hex(16))
        .await
        .map_err(|e| ServerError::Startup(e.to_string()))?;
    let state = AppState {
        store,
        config,
        pii_key,
        dummy_hash,
        openapi: openapi::document(),
        throttle: Default::default(),
        password_checks: Default::default(),
        clock: Clock::default(),
        signing_key,
        assessment_jobs: Default::default(),
    };
    let admin_password = seed::bootstrap_admin(&state).await?;
    match state.config.demo {
        Demo::None => {}
        Demo::Xueyuanlu => seed::seed_demo(&state).await?,
        Demo::Chengdu => demo_city::seed(&state, admin_password).await?,
    }
    Ok(Arc::new(state))
}

/// The router with all endpoints and layers: the API under `/api` (and the scan page `/q/…`),
/// the web portal (`lc_portal`) at `/`, calling the API in-process.
pub fn app(state: Arc<AppState>) -> Router {
    // Every body is small unless its route says otherwise (the imports, the login).
    let api: Router = domains::routes(state.config.max_body)
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::authorize,
        ))
        .fallback(system::not_found)
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        .with_state(state.clone());
    let portal = lc_portal::Portal::new(
        api.clone(),
        state.config.network.as_deref(),
        state.config.secure_cookies,
        forward_extensions,
    );
    let clock_state = state.clone();
    let portal = portal.with_clock(Arc::new(move || clock_state.clock.now_ms()));
    lc_portal::routes(Arc::new(portal))
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        .fallback_service(api)
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(edge::IdMaker::new()),
            edge::edge,
        ))
}

/// What a portal page's in-process API call carries over from the page request: the server's
/// request id (audit trail, logs) and the peer address (login throttling, scan log).
fn forward_extensions(from: &axum::http::Extensions, to: &mut axum::http::Extensions) {
    if let Some(ids) = from.get::<edge::RequestIds>() {
        to.insert(ids.clone());
    }
    if let Some(ci) = from.get::<axum::extract::ConnectInfo<SocketAddr>>() {
        to.insert(*ci);
    }
}

/// Serves until `shutdown` completes, then finishes the requests in flight and closes the pool.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let store = state.store.clone();
    let sweeper = tokio::spawn(sweep_hourly(state.clone()));
    let served = axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    sweeper.abort();
    served?;
    store.close().await;
    Ok(())
}

/// Once an hour: gives the jurisdiction's default ratings (nothing when the rules in force set
/// none; `POST /api/reviews/default-ratings` on demand) and recomputes the credit-risk classes
/// (`POST /api/credit/classes/recompute` on demand), then evaluates the early-warning rules
/// (`POST /api/warnings/evaluate` on demand), and computes the monthly figures of the month just
/// ended if it has none yet (`POST /api/monitor/runs` on demand), then the statistical releases
/// of the quarter and year just closed that are not made yet (`POST /api/releases` on demand).
async fn sweep_hourly(state: Arc<AppState>) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first tick is immediate: let the server settle for an hour first.
    every.tick().await;
    loop {
        every.tick().await;
        match domains::reviews::records::sweep_defaults(&state).await {
            Ok(r) if r.created > 0 => tracing::info!(created = r.created, "default ratings given"),
            Ok(_) => {}
            Err(e) => tracing::warn!(code = e.code, "default-rating sweep failed"),
        }
        // Credit-risk classes follow time (12-month windows, overdue cases).
        if let Err(e) = domains::risk::recompute_all(&state).await {
            tracing::warn!(code = e.code, "credit-class recomputation failed");
        }
        // Early warnings over the day's data (after the classes, whose drops they watch).
        match domains::warnings::evaluate(&state).await {
            Ok(r) if r.raised > 0 => tracing::info!(raised = r.raised, "warnings raised"),
            Ok(_) => {}
            Err(e) => tracing::warn!(code = e.code, "warning evaluation failed"),
        }
        // The monthly figures of the month just ended, once (issue 16).
        match domains::monitoring::run_due(&state).await {
            Ok(Some(r)) => {
                tracing::info!(month = %r.month, rows = r.rows_written, "monthly figures computed")
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(code = e.code, "monthly figures failed"),
        }
        // The statistical releases of the quarter and year just closed, once each (issue 16).
        match domains::releases::make_due(&state).await {
            Ok(made) if !made.is_empty() => {
                tracing::info!(made = made.len(), "statistical releases made")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(code = e.code, "statistical releases failed"),
        }
    }
}

/// A server running in the background (tests).
pub struct Running {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The shared state (database access for tests).
    pub state: Arc<AppState>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), ServerError>>,
}

impl Running {
    /// `http://addr`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Asks for a graceful shutdown and waits for it.
    pub async fn stop(mut self) -> Result<(), ServerError> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        self.task
            .await
            .map_err(|e| ServerError::Startup(e.to_string()))?
    }
}

/// Prepares, binds `config.bind` and serves in a background task.
pub async fn start(config: Config) -> Result<Running, ServerError> {
    let listener = tokio::net::TcpListener::bind(config.bind).await?;
    let addr = listener.local_addr()?;
    let state = prepare(config).await?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, state.clone(), async move {
        let _ = rx.await;
    }));
    Ok(Running {
        addr,
        state,
        stop: Some(tx),
        task,
    })
}
