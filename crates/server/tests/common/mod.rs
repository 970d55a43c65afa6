//! Test harness: the real server on port 0 against a fresh SQLite file or a fresh
//! PostgreSQL database, and a small HTTP client.

#![allow(dead_code)]

pub mod browser;

use std::net::SocketAddr;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

pub const ADMIN_PASSWORD: &str = "admin-password-1";
/// The demo accounts' password (`Config::demo_password`) of the servers started here.
pub const DEMO_PASSWORD: &str = "demo-password-1";

/// A running server and what it runs on.
pub struct TestServer {
    pub running: Option<lc_server::Running>,
    pub base: String,
    pub client: reqwest::Client,
    _dir: tempfile::TempDir,
    pg: Option<(String, String)>,
    /// The configuration it was started with (for restarts).
    pub config: lc_server::Config,
}

/// Which database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

impl TestServer {
    /// Starts a server; `None` when PostgreSQL was asked for and DATABASE_URL is unset.
    pub async fn start(db: Db, test: &str) -> Option<TestServer> {
        TestServer::start_with_network(db, test, None).await
    }

    /// Starts a server with a walking network (home services' areas are computed on it).
    pub async fn start_with_network(
        db: Db,
        test: &str,
        network: Option<std::sync::Arc<lc_network::Graph>>,
    ) -> Option<TestServer> {
        TestServer::start_demo(db, test, network, lc_server::Demo::Xueyuanlu).await
    }

    /// Starts a server with a demo (and a walking network, if given).
    pub async fn start_demo(
        db: Db,
        test: &str,
        network: Option<std::sync::Arc<lc_network::Graph>>,
        demo: lc_server::Demo,
    ) -> Option<TestServer> {
        // Server errors show in the failing test's output.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("warn"))
            .with_test_writer()
            .try_init();
        let dir = tempfile::tempdir().unwrap();
        let (url, read_url, pg) = match db {
            Db::Sqlite => (None, None, None),
            Db::Postgres => {
                let admin = lc_store::testdb::postgres_admin_url(test)?;
                let url = lc_store::testdb::fresh_postgres(&admin).await.unwrap();
                // With DATABASE_READ_URL (tools/pg-replica), the public reads go to the replica.
                let read_url = lc_store::testdb::replica_of(&url).await;
                (Some(url.clone()), read_url, Some((admin, url)))
            }
        };
        let config = lc_server::Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: url,
            database_read_url: read_url,
            data_dir: dir.path().join("data"),
            demo,
            demo_password: Some(DEMO_PASSWORD.into()),
            admin_password: Some(ADMIN_PASSWORD.into()),
            secure_cookies: true,
            max_body: 64 << 20,
            pii_key: None,
            network,
        };
        let running = lc_server::start(config.clone()).await.unwrap();
        Some(TestServer {
            base: running.url(),
            running: Some(running),
            client: reqwest::Client::new(),
            _dir: dir,
            pg,
            config,
        })
    }

    /// Stops the server and starts it again on the same database and data directory.
    pub async fn restart(&mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await.unwrap();
        }
        let running = lc_server::start(self.config.clone()).await.unwrap();
        self.base = running.url();
        self.running = Some(running);
    }

    /// Stops gracefully and drops the PostgreSQL database.
    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await.unwrap();
        }
        if let Some((admin, url)) = self.pg.take() {
            lc_store::testdb::drop_postgres(&admin, &url).await;
        }
    }

    pub fn state(&self) -> &lc_server::AppState {
        &self.running.as_ref().unwrap().state
    }

    /// A request to `path` as `who`.
    pub fn request(&self, who: &Auth, method: &str, path: &str) -> reqwest::RequestBuilder {
        let m = Method::from_bytes(method.as_bytes()).unwrap();
        who.apply(self.client.request(m, format!("{}{}", self.base, path)))
    }

    /// GET as `who`.
    pub async fn get(&self, who: &Auth, path: &str) -> (StatusCode, Value) {
        self.call(who, "GET", path, None).await
    }

    /// POST a JSON body as `who`.
    pub async fn post(&self, who: &Auth, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(who, "POST", path, Some(body)).await
    }

    /// PATCH a JSON body as `who`.
    pub async fn patch(&self, who: &Auth, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(who, "PATCH", path, Some(body)).await
    }

    /// POSTs a file (CSV text or a workbook) as `who`, with a content type or none; the
    /// answer as JSON.
    pub async fn upload(
        &self,
        who: &Auth,
        path: &str,
        file: impl Into<reqwest::Body>,
        content_type: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut rb = self.request(who, "POST", path).body(file);
        if let Some(ct) = content_type {
            rb = rb.header("content-type", ct);
        }
        let resp = rb.send().await.unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap())
    }

    /// Sends a request with a JSON body (or none) as `who`.
    pub async fn call(
        &self,
        who: &Auth,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let (s, text, _) = self
            .raw(
                who,
                method,
                path,
                body.map(|b| (b.to_string(), "application/json")),
            )
            .await;
        let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (s, v)
    }

    /// Sends a request with a raw body; returns status, body text and headers.
    pub async fn raw(
        &self,
        who: &Auth,
        method: &str,
        path: &str,
        body: Option<(String, &str)>,
    ) -> (StatusCode, String, reqwest::header::HeaderMap) {
        let mut rb = self.request(who, method, path);
        if let Some((b, ct)) = body {
            rb = rb.header("content-type", ct).body(b);
        }
        let resp = rb.send().await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.unwrap();
        (
            status,
            String::from_utf8_lossy(&bytes).into_owned(),
            headers,
        )
    }

    /// Bytes of a GET.
    pub async fn bytes(&self, who: &Auth, path: &str) -> (StatusCode, Vec<u8>) {
        let resp = self.request(who, "GET", path).send().await.unwrap();
        (resp.status(), resp.bytes().await.unwrap().to_vec())
    }

    /// Signs in and returns the session.
    pub async fn login(&self, username: &str, password: &str) -> Auth {
        let resp = self
            .client
            .post(format!("{}/api/auth/login", self.base))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "login {username}");
        let cookie = resp
            .headers()
            .get("set-cookie")
            .unwrap()
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .trim_start_matches("lc_session=")
            .to_string();
        let v: Value = resp.json().await.unwrap();
        Auth::Session {
            cookie,
            csrf: v["csrf_token"].as_str().unwrap().to_string(),
        }
    }

    /// The administrator's session.
    pub async fn admin(&self) -> Auth {
        self.login("admin", ADMIN_PASSWORD).await
    }

    /// Creates an account and signs it in.
    pub async fn user(
        &self,
        admin: &Auth,
        username: &str,
        role: &str,
        extra: Value,
    ) -> (i64, Auth) {
        let mut body = json!({"username": username, "password": "password-123456", "role": role});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (s, v) = self.call(admin, "POST", "/api/users", Some(body)).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        (
            v["id"].as_i64().unwrap(),
            self.login(username, "password-123456").await,
        )
    }
}

/// Who calls.
#[derive(Clone, Debug)]
pub enum Auth {
    Anonymous,
    Bearer(String),
    Session { cookie: String, csrf: String },
}

impl Auth {
    /// Adds the credentials to a request: the bearer token, or the session cookie with its
    /// CSRF token.
    pub fn apply(&self, rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self {
            Auth::Anonymous => rb,
            Auth::Bearer(t) => rb.bearer_auth(t),
            Auth::Session { cookie, csrf } => rb
                .header("cookie", format!("lc_session={cookie}"))
                .header("x-csrf-token", csrf.as_str()),
        }
    }
}

/// The `key` strings of the items of a JSON array.
pub fn strs<'a>(items: &'a Value, key: &str) -> Vec<&'a str> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x[key].as_str().unwrap())
        .collect()
}

/// Asserts a refusal: the status and the stable error code.
#[track_caller]
pub fn assert_error(st: StatusCode, v: &Value, status: StatusCode, code: &str) {
    assert_eq!((st, v["code"].as_str()), (status, Some(code)), "{v}");
}

/// Asserts a validation failure (422) whose first field error has this code.
#[track_caller]
pub fn assert_invalid(st: StatusCode, v: &Value, code: &str) {
    assert_eq!(
        (st, v["errors"][0]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some(code)),
        "{v}"
    );
}

/// Runs a scenario on SQLite and on PostgreSQL (skipped with a notice without DATABASE_URL).
#[macro_export]
macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let s = $crate::common::TestServer::start(
                    $crate::common::Db::Sqlite,
                    stringify!($name),
                )
                .await
                .unwrap();
                super::$name(&s).await;
                s.stop().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(s) = $crate::common::TestServer::start(
                    $crate::common::Db::Postgres,
                    stringify!($name),
                )
                .await
                else {
                    return;
                };
                super::$name(&s).await;
                s.stop().await;
            }
        }
    };
}

/// The walking network of the CAU extract (China Agricultural University's east campus and the
/// streets around it, by Xueyuanlu: real OpenStreetMap data, © OpenStreetMap contributors, ODbL),
/// where the demo district's communities stand.
pub fn cau_network() -> std::sync::Arc<lc_network::Graph> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/osm/beijing-haidian-cau.osm.pbf");
    let loaded = lc_pipeline::network::load(
        &lc_pipeline::NetworkSource::Osm(path),
        &lc_pipeline::LoadOptions {
            use_cache: false,
            ..Default::default()
        },
        &lc_pipeline::Silent,
    )
    .unwrap();
    std::sync::Arc::new(loaded.graph)
}

/// Moves the server's clock (the time its rules see) to `at` (RFC 3339).
pub fn set_clock(s: &TestServer, at: &str) {
    let target = at.parse::<jiff::Timestamp>().unwrap().as_millisecond();
    let now = s.state().clock.now_ms();
    s.state().clock.advance(target - now);
}

/// A valid unified social credit code, the `n`th of a test series.
pub fn uscc(n: u32) -> String {
    let body = format!("91110108MA{n:07}");
    format!("{body}{}", lc_registry::uscc_check_char(&body).unwrap())
}
