//! The home page and the display preferences (language, elder mode).

use askama::Template;
use axum::extract::Query;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::ctx::{Ctx, ELDER_COOKIE, LANG_COOKIE};
use crate::ui::Ui;

/// A service type as a link.
pub struct ServiceLink {
    pub key: &'static str,
    pub name: String,
}

/// The service types of the vocabulary, named in the page language.
pub fn service_links(ui: &Ui) -> Vec<ServiceLink> {
    lc_services::catalogue::SERVICE_TYPES
        .iter()
        .map(|s| ServiceLink {
            key: s.key,
            name: ui.tr_s(s.zh, s.en),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    ui: Ui,
    services: Vec<ServiceLink>,
}

/// GET /.
pub async fn home(ctx: Ctx) -> Response {
    let t = HomePage {
        services: service_links(&ctx.ui),
        ui: ctx.ui.clone(),
    };
    super::render(&ctx, StatusCode::OK, &t)
}

#[derive(Deserialize)]
pub struct PrefsQuery {
    lang: Option<String>,
    elder: Option<String>,
    back: Option<String>,
}

/// GET /prefs?lang=en|zh&elder=1|0&back=/path: keeps the choice for a year and goes back.
pub async fn prefs(ctx: Ctx, Query(q): Query<PrefsQuery>) -> Response {
    const YEAR: i64 = 365 * 24 * 3600;
    let mut r = Redirect::to(&super::local_path(q.back.as_deref())).into_response();
    let mut set = |v: String| {
        if let Ok(v) = HeaderValue::from_str(&v) {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    };
    match q.lang.as_deref() {
        Some("en") => set(ctx.cookie(LANG_COOKIE, "en", YEAR)),
        Some("zh") => set(ctx.cookie(LANG_COOKIE, "", 0)),
        _ => {}
    }
    match q.elder.as_deref() {
        Some("1") => set(ctx.cookie(ELDER_COOKIE, "1", YEAR)),
        Some("0") => set(ctx.cookie(ELDER_COOKIE, "", 0)),
        _ => {}
    }
    r
}
