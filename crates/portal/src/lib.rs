//! livingcircle's web portal (门户, issue 14): server-rendered pages for residents, community
//! workers, service providers, planners and regulators, served by `livingcircle serve` at `/`.
//!
//! * **A thin client of the API.** Every page reads and every form writes through the
//!   platform's own JSON API, called in-process ([`ctx::Ctx`]) with the browser's session
//!   cookie: the API's role gates, per-record scopes, CSRF rule, audit trail and error messages
//!   hold for the pages exactly as for any other client. The portal owns no table and no rule.
//! * **No Node.js, no internet.** Templates are compiled into the binary (askama, `templates/`);
//!   the stylesheet, the one small script and the map's road layer are embedded or drawn from
//!   the server's own walking network ([`map`]); no CDN, no online tiles.
//! * **Chinese first, English on request; 长辈版 (elder mode) from every page.** Both are
//!   preferences kept in cookies ([`ui`]); elder mode meets MIIT's 适老化 numbers (base text
//!   ≥ 18 px, targets ≥ 60 × 60 px, contrast ≥ 4.5:1, line spacing ≥ 1.3, no pop-ups).
//! * **Forms work without JavaScript**: each posts to a portal route that calls the API and
//!   redirects (post/redirect/get) with a one-time message; refusals show the API's own
//!   bilingual message.

pub mod ctx;
pub mod map;
mod pages;
pub mod ui;

use std::sync::Arc;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

/// What the pages share.
pub struct Portal {
    /// The API, called in-process (its router with its state and layers, without the edge).
    pub api: Router,
    /// The base map (projection and road layer), when the server has a walking network or
    /// communities to frame.
    pub map: Option<map::BaseMap>,
    /// Mark the portal's cookies `Secure` (as the session cookie).
    pub secure_cookies: bool,
    /// Copies what the API needs from a page request's extensions onto its in-process calls
    /// (the server's request id, the peer address): the server says which, the portal does not
    /// know the server's types. The rest (the page route's own path parameters above all) is
    /// not carried over.
    pub forward: Forward,
    /// The time the platform's rules see, in milliseconds since the epoch (the server's clock,
    /// which tests move): forms default to its day, not the machine's.
    pub clock: Clock,
}

/// See [`Portal::clock`].
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

impl Portal {
    /// The map a page draws on: the network's (borrowed, with its road layer), else a frame
    /// around `records` (JSON records with `lon`, `lat`).
    pub fn frame(
        &self,
        records: &[serde_json::Value],
    ) -> Option<std::borrow::Cow<'_, map::BaseMap>> {
        match &self.map {
            Some(m) => Some(std::borrow::Cow::Borrowed(m)),
            None => map::BaseMap::around(records).map(std::borrow::Cow::Owned),
        }
    }
}

/// See [`Portal::forward`].
pub type Forward = fn(from: &axum::http::Extensions, to: &mut axum::http::Extensions);

impl Portal {
    /// A portal over `api`, its map drawn from `network` when there is one.
    pub fn new(
        api: Router,
        network: Option<&lc_network::Graph>,
        secure_cookies: bool,
        forward: Forward,
    ) -> Portal {
        Portal {
            api,
            map: network.and_then(map::BaseMap::from_network),
            secure_cookies,
            forward,
            clock: Arc::new(|| jiff::Timestamp::now().as_millisecond()),
        }
    }

    /// The same portal with the server's clock.
    pub fn with_clock(mut self, clock: Clock) -> Portal {
        self.clock = clock;
        self
    }

    /// Now by [`Portal::clock`], in the platform's time zone (Beijing time).
    pub fn now(&self) -> jiff::Zoned {
        jiff::Timestamp::from_millisecond((self.clock)())
            .unwrap_or_else(|_| jiff::Timestamp::now())
            .to_zoned(lc_services::time::zone())
    }
}

/// The portal's routes (the API's are served beside them).
pub fn routes(portal: Arc<Portal>) -> Router {
    Router::new()
        .route("/", get(pages::home::home))
        .route("/prefs", get(pages::home::prefs))
        .route(
            "/login",
            get(pages::account::login_form).post(pages::account::login),
        )
        .route("/logout", post(pages::account::logout))
        .route("/nearby", get(pages::resident::nearby))
        .route("/outlets/{id}", get(pages::resident::outlet))
        .route("/book", post(pages::resident::book))
        .route("/my/bookings", get(pages::resident::my_bookings))
        .route("/my/bookings/{id}/cancel", post(pages::resident::cancel))
        .route(
            "/my/bookings/{id}/rate",
            get(pages::resident::rate_form).post(pages::resident::rate),
        )
        .route("/provider/bookings", get(pages::provider::bookings))
        .route(
            "/provider/bookings/{id}/{action}",
            post(pages::provider::act),
        )
        // Providers' outlets, catalogue and slots, reviews and cases, credit records.
        .route("/provider", get(pages::provider_catalogue::outlets))
        .route("/provider/outlets", get(pages::provider_catalogue::outlets))
        .route(
            "/provider/outlets/{id}",
            get(pages::provider_catalogue::outlet),
        )
        .route(
            "/provider/outlets/{id}/offerings",
            post(pages::provider_catalogue::create),
        )
        .route(
            "/provider/offerings/{id}",
            get(pages::provider_catalogue::offering).post(pages::provider_catalogue::change),
        )
        .route("/provider/reviews", get(pages::provider_cases::reviews))
        .route("/provider/cases/{id}", get(pages::provider_cases::case))
        .route(
            "/provider/cases/{id}/actions",
            post(pages::provider_cases::act),
        )
        .route("/provider/credit", get(pages::provider_cases::credit))
        .route(
            "/provider/credit/{id}/repair",
            post(pages::provider_cases::repair),
        )
        .route("/worker", get(pages::worker::home))
        .route(
            "/worker/visits/new",
            get(pages::worker::visit_form).post(pages::worker::record_visit),
        )
        // Community workers' proxy bookings and warnings; administrators (issue 14, items 3
        // and 6).
        .route("/worker/residents", get(pages::proxy::residents))
        .route(
            "/worker/proxy",
            get(pages::proxy::nearby).post(pages::proxy::book),
        )
        .route("/worker/proxy/{id}", get(pages::proxy::outlet))
        .route("/worker/bookings", get(pages::proxy::bookings))
        .route("/worker/bookings/{id}/cancel", post(pages::proxy::cancel))
        .route("/worker/warnings", get(pages::proxy::warnings))
        .route(
            "/worker/warnings/{id}/{action}",
            post(pages::proxy::warning_act),
        )
        .route("/admin", get(pages::admin::home))
        .route(
            "/admin/users",
            get(pages::admin::users).post(pages::admin::create_user),
        )
        .route("/admin/users/{id}", post(pages::admin::update_user))
        .route("/admin/users/{id}/unlock", post(pages::admin::unlock_user))
        .route(
            "/admin/calendar",
            get(pages::admin::calendar).post(pages::admin::set_day),
        )
        .route(
            "/admin/calendar/{day}/delete",
            post(pages::admin::delete_day),
        )
        .route(
            "/admin/rules",
            get(pages::admin::rules).post(pages::admin::set_rules),
        )
        .route(
            "/regulator/spot-checks",
            get(pages::regulator::checks).post(pages::regulator::announce),
        )
        .route("/regulator/spot-checks/{id}", get(pages::regulator::check))
        .route(
            "/regulator/spot-checks/{id}/{step}",
            post(pages::regulator::step),
        )
        .route("/regulator/warnings", get(pages::regulator::warnings))
        .route(
            "/regulator/warnings/{id}/{action}",
            post(pages::regulator::warning_act),
        )
        .route("/regulator/credit", get(pages::regulator::credit))
        .route("/planner", get(pages::planner::planner))
        .route("/planner/runs", post(pages::planner::start))
        .route("/planner/jobs/{id}", get(pages::planner::job))
        .route("/planner/compare", get(pages::planner::compare))
        .route(
            "/planner/siting",
            get(pages::planner::siting).post(pages::planner::run_siting),
        )
        .route("/planner/siting/{id}", get(pages::planner::siting_result))
        .route("/static/portal.css", get(css))
        .route("/static/portal.js", get(js))
        .route("/static/roads.svg", get(roads))
        .with_state(portal)
}

const CSS: &str = include_str!("../static/portal.css");
const JS: &str = include_str!("../static/portal.js");

fn asset(ctype: &'static str, body: impl Into<axum::body::Body>) -> Response {
    let mut r = Response::new(body.into());
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    // Embedded in the binary: a day's cache is safe (a new binary is a restart).
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    r
}

async fn css() -> Response {
    asset("text/css; charset=utf-8", CSS)
}

async fn js() -> Response {
    asset("text/javascript; charset=utf-8", JS)
}

/// The road layer; gzip-compressed for browsers that accept it (all do).
async fn roads(
    axum::extract::State(p): axum::extract::State<Arc<Portal>>,
    headers: axum::http::HeaderMap,
) -> Response {
    let Some(m) = &p.map else {
        return (StatusCode::NOT_FOUND, "").into_response();
    };
    let gzip = headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
    let mut r = if gzip && !m.roads_svg_gz.is_empty() {
        let mut r = asset("image/svg+xml", m.roads_svg_gz.clone());
        r.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        r
    } else {
        asset("image/svg+xml", m.roads_svg.clone())
    };
    r.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    r
}
