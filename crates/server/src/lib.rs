//! livingcircle's service platform: the HTTP API (axum) over the registry store.
//!
//! * [`app`] builds the router: every endpoint of [`endpoints::ENDPOINTS`], the
//!   authorization middleware that enforces each endpoint's roles, request ids, tracing.
//! * [`prepare`] opens the database (applying migrations), makes the deployment's secrets,
//!   seeds the demo district into a fresh database and creates the first administrator.
//! * [`start`] binds and serves in the background (tests, port 0); [`serve`] serves until a
//!   shutdown signal and then drains in-flight requests (graceful shutdown).
//!
//! Errors are [`error::AppError`]: a status, a stable code and messages in Chinese and English.

pub mod accounts;
pub mod auth;
pub mod bulk;
pub mod endpoints;
pub mod error;
pub mod openapi;
pub mod resources;
mod seed;
pub mod system;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Request};
use axum::routing::{get, post};
use axum::Router;
use lc_registry::records::{
    CommunityRecord, Division, FacilityRecord, PractitionerRecord, ProviderRecord, ResidentRecord,
};
use lc_store::Store;
use serde_json::Value;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::resources as r;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on (port 0: any free port).
    pub bind: SocketAddr,
    /// Database URL; `None`: the SQLite file `livingcircle.db` in `data_dir`.
    pub database_url: Option<String>,
    /// Directory of the embedded database and the first administrator's password file.
    pub data_dir: PathBuf,
    /// Seed the demo district (divisions and communities of Xueyuanlu street) into a fresh database.
    pub seed_demo: bool,
    /// Password of the first administrator (`admin`); generated and written to
    /// `data_dir/initial-admin-password.txt` when `None`.
    pub admin_password: Option<String>,
    /// Mark the session cookie `Secure` (browsers then send it over HTTPS and to localhost only).
    pub secure_cookies: bool,
    /// Largest request body in bytes (imports).
    pub max_body: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: None,
            data_dir: PathBuf::from("livingcircle-data"),
            seed_demo: true,
            admin_password: None,
            secure_cookies: true,
            max_body: 256 << 20,
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
    /// Recent failed logins per client address (in memory; see `auth::IP_THROTTLE_FAILURES`).
    pub ip_failures: std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, Vec<i64>>>,
}

/// Opens the database and readies the deployment (migrations, secrets, seed, first admin).
pub async fn prepare(config: Config) -> Result<Arc<AppState>, ServerError> {
    let url = match &config.database_url {
        Some(u) => u.clone(),
        None => {
            std::fs::create_dir_all(&config.data_dir)?;
            format!(
                "sqlite://{}",
                config.data_dir.join("livingcircle.db").display()
            )
        }
    };
    let store = Store::open(&url).await?;
    let pii_key = store
        .setting_or_insert("pii_fingerprint_key", &auth::random_hex(32))
        .await?
        .into_bytes();
    let dummy_hash = auth::hash_password(auth::random_hex(16))
        .await
        .map_err(|e| ServerError::Startup(e.to_string()))?;
    let state = AppState {
        store,
        config,
        pii_key,
        dummy_hash,
        openapi: openapi::document(),
        ip_failures: Default::default(),
    };
    seed::bootstrap_admin(&state).await?;
    if state.config.seed_demo {
        seed::seed_demo(&state).await?;
    }
    Ok(Arc::new(state))
}

#[derive(Clone, Default)]
struct MakeId {
    counter: Arc<AtomicU64>,
    prefix: Arc<String>,
}

impl MakeRequestId for MakeId {
    fn make_request_id<B>(&mut self, _req: &Request<B>) -> Option<RequestId> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("{}-{n}", self.prefix))
            .ok()
            .map(RequestId::new)
    }
}

type Api = Router<Arc<AppState>>;

/// A registry resource's routes: list and create at `path`, read and update at `path/{key}`.
fn records<R: r::Resource>(api: Api, path: &str, key: &str) -> Api {
    api.route(path, get(r::list::<R>).post(r::create::<R>))
        .route(
            &format!("{path}/{{{key}}}"),
            get(r::get_one::<R>).patch(r::update::<R>),
        )
}

/// The routes of a resource exchanged in the engine's CSV format: import and the exports.
fn bulk_routes<R: bulk::Bulk>(api: Api, path: &str) -> Api {
    api.route(&format!("{path}/import"), post(bulk::import::<R>))
        .route(&format!("{path}/export.csv"), get(bulk::export_csv::<R>))
        .route(&format!("{path}/export.xlsx"), get(bulk::export_xlsx::<R>))
}

/// The router with all endpoints and layers.
pub fn app(state: Arc<AppState>) -> Router {
    let mut api = Router::new()
        .route("/api/health", get(system::health))
        .route("/api/ready", get(system::ready))
        .route("/api/openapi.json", get(system::openapi))
        .route("/api/categories", get(system::categories))
        .route("/api/auth/login", post(accounts::login))
        .route("/api/auth/logout", post(accounts::logout))
        .route("/api/auth/me", get(accounts::me))
        .route("/api/auth/password", post(accounts::change_password))
        .route("/api/auth/tokens", post(accounts::create_token))
        .route(
            "/api/users",
            get(accounts::list_users).post(accounts::create_user),
        )
        .route(
            "/api/users/{id}",
            get(accounts::get_user).patch(accounts::update_user),
        )
        .route(
            "/api/divisions",
            get(r::list::<Division>).post(r::create::<Division>),
        )
        .route(
            "/api/divisions/{code}",
            get(r::get_division).patch(r::update::<Division>),
        )
        .route(
            "/api/communities/{id}/assessment",
            get(bulk::community_assessment),
        )
        .route("/api/residents/export.csv", get(bulk::export_residents_csv))
        .route("/api/assessments", post(bulk::import_assessment))
        .route("/api/assessments/latest", get(bulk::latest_assessment))
        .route("/api/audit", get(system::audit))
        .route("/api/access-log", get(system::access_log));
    api = records::<CommunityRecord>(api, "/api/communities", "id");
    api = bulk_routes::<CommunityRecord>(api, "/api/communities");
    api = records::<FacilityRecord>(api, "/api/facilities", "id");
    api = bulk_routes::<FacilityRecord>(api, "/api/facilities");
    api = records::<ProviderRecord>(api, "/api/providers", "uscc");
    api = records::<PractitionerRecord>(api, "/api/practitioners", "id");
    api = records::<ResidentRecord>(api, "/api/residents", "id");
    let api = api
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::authorize,
        ))
        .fallback(system::not_found);
    let make_id = MakeId {
        counter: Arc::new(AtomicU64::new(1)),
        prefix: Arc::new(auth::random_hex(4)),
    };
    api.layer(DefaultBodyLimit::max(state.config.max_body))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            let id = req
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        })
        .on_response(DefaultOnResponse::new().level(Level::INFO)))
        .layer(SetRequestIdLayer::x_request_id(make_id))
        .with_state(state)
}

/// Serves until `shutdown` completes, then finishes the requests in flight and closes the pool.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let store = state.store.clone();
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    store.close().await;
    Ok(())
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
