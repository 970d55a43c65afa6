//! Signing in and out. The API makes the session (its HTTP-only, SameSite=Strict cookie and
//! CSRF token); the portal keeps the token in its own cookie of the same kind, for its forms.

use askama::Template;
use axum::body::Bytes;
use axum::extract::Query;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use crate::ctx::{Ctx, CSRF_COOKIE};
use crate::ui::{Flash, Ui};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    ui: Ui,
    next: String,
    username: String,
    error: String,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// GET /login.
pub async fn login_form(ctx: Ctx, Query(q): Query<NextQuery>) -> Response {
    let t = LoginPage {
        ui: ctx.ui.clone(),
        next: super::local_path(q.next.as_deref()),
        username: String::new(),
        error: String::new(),
    };
    super::render(&ctx, StatusCode::OK, &t)
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

/// POST /login: signs in through the API and goes on to `next`.
pub async fn login(ctx: Ctx, body: Bytes) -> Response {
    let f: LoginForm = match super::form(&body) {
        Ok(f) => f,
        Err(flash) => return ctx.redirect_with("/login", flash),
    };
    let next = super::local_path(f.next.as_deref());
    let answer = ctx
        .call(
            Method::POST,
            "/api/auth/login",
            Some(&json!({"username": f.username, "password": f.password})),
            &[],
        )
        .await;
    match answer {
        Ok((_, headers, v)) => {
            let mut r = Redirect::to(&next).into_response();
            for c in headers.get_all(header::SET_COOKIE) {
                r.headers_mut().append(header::SET_COOKIE, c.clone());
            }
            let csrf = v["csrf_token"].as_str().unwrap_or_default();
            let max_age = (v["expires_at"].as_i64().unwrap_or(0) / 1000
                - jiff::Timestamp::now().as_second())
            .max(0);
            if let Ok(c) = HeaderValue::from_str(&ctx.cookie(CSRF_COOKIE, csrf, max_age)) {
                r.headers_mut().append(header::SET_COOKIE, c);
            }
            r
        }
        Err(e) => {
            let t = LoginPage {
                ui: ctx.ui.clone(),
                next,
                username: f.username,
                error: ctx.ui.tr_s(&e.zh, &e.en),
            };
            let status = if e.status == StatusCode::TOO_MANY_REQUESTS {
                e.status
            } else {
                StatusCode::UNAUTHORIZED
            };
            super::render(&ctx, status, &t)
        }
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    _csrf: String,
}

/// POST /logout.
pub async fn logout(ctx: Ctx, body: Bytes) -> Response {
    let f: CsrfForm = super::form(&body).unwrap_or(CsrfForm {
        _csrf: String::new(),
    });
    if ctx.ui.user.is_some() && !ctx.csrf_ok(&f._csrf) {
        return ctx.redirect_with("/", super::stale_form());
    }
    let mut r = ctx.redirect_with("/", Flash::ok("您已安全退出", "You have signed out"));
    if let Ok((_, headers, _)) = ctx
        .call(Method::POST, "/api/auth/logout", Some(&json!({})), &[])
        .await
    {
        for c in headers.get_all(header::SET_COOKIE) {
            r.headers_mut().append(header::SET_COOKIE, c.clone());
        }
    }
    if let Ok(c) = HeaderValue::from_str(&ctx.cookie(CSRF_COOKIE, "", 0)) {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    r
}
