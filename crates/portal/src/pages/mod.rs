//! The pages, by who uses them. Each handler reads through the API, renders a template
//! (`templates/`), or — for a form — calls the API and redirects with a one-time message.

pub mod account;
pub mod admin;
pub mod home;
pub mod planner;
pub mod provider;
pub mod provider_cases;
pub mod provider_catalogue;
pub mod proxy;
pub mod regulator;
pub mod resident;
pub mod worker;

use askama::Template;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::ctx::{ApiError, Ctx, FLASH_COOKIE};
use crate::ui::{Flash, Ui};

/// A rendered page (HTML), clearing the one-time message it showed.
pub fn render(ctx: &Ctx, status: StatusCode, t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => {
            let mut r = (status, html).into_response();
            let h = r.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            if ctx.ui.flash.is_some() {
                if let Ok(v) = HeaderValue::from_str(&ctx.cookie(FLASH_COOKIE, "", 0)) {
                    h.append(header::SET_COOKIE, v);
                }
            }
            r
        }
        Err(e) => {
            tracing::error!(error = %e, "portal: template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                "页面生成失败 the page could not be made",
            )
                .into_response()
        }
    }
}

/// The message page: a refusal, a failure or "not found".
#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    pub ui: Ui,
    pub title: String,
    pub text: String,
    /// Roles that may use the page (shown on a refusal).
    pub roles: Vec<String>,
}

/// "This page is for …": the page the API would have refused.
pub fn refused(ctx: &Ctx, roles: &[&str]) -> Response {
    let t = MessagePage {
        ui: ctx.ui.clone(),
        title: ctx.ui.tr_s("无权访问此页", "Not available to your account"),
        text: ctx.ui.tr_s(
            "此页面仅供以下角色使用：",
            "This page is for these roles only:",
        ),
        roles: roles.iter().map(|r| ctx.ui.role_name(r)).collect(),
    };
    render(ctx, StatusCode::FORBIDDEN, &t)
}

/// The API's refusal as a page, with its status.
pub fn api_error(ctx: &Ctx, e: &ApiError) -> Response {
    let t = MessagePage {
        ui: ctx.ui.clone(),
        title: match e.status {
            StatusCode::NOT_FOUND => ctx.ui.tr_s("找不到", "Not found"),
            StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED => {
                ctx.ui.tr_s("无权访问", "Not allowed")
            }
            _ => ctx.ui.tr_s("未能完成", "Could not be done"),
        },
        text: ctx.ui.tr_s(&e.zh, &e.en),
        roles: vec![],
    };
    render(ctx, e.status, &t)
}

/// A form body (`application/x-www-form-urlencoded`), or a flash explaining what is wrong.
pub fn form<T: DeserializeOwned>(body: &[u8]) -> Result<T, Flash> {
    serde_urlencoded::from_bytes(body).map_err(|e| {
        Flash::error(
            format!("表单内容不完整或有误：{e}"),
            format!("the form is incomplete or wrong: {e}"),
        )
    })
}

/// The items of a list answer: a page (`{"items": […], "total": …}`) or a plain array.
pub fn items(v: &serde_json::Value) -> Vec<serde_json::Value> {
    v.as_array()
        .or_else(|| v["items"].as_array())
        .cloned()
        .unwrap_or_default()
}

/// A JSON field as text: strings as they are, numbers as written, null as empty.
pub fn text(v: &serde_json::Value, k: &str) -> String {
    match &v[k] {
        serde_json::Value::String(x) => x.clone(),
        serde_json::Value::Null => String::new(),
        x => x.to_string(),
    }
}

/// A form whose fields may repeat (check boxes, one value per source).
pub struct Fields(Vec<(String, String)>);

impl Fields {
    /// From a form body.
    pub fn parse(body: &[u8]) -> Result<Fields, Flash> {
        form(body).map(Fields)
    }

    /// The first value of a field, trimmed (empty when absent).
    pub fn get(&self, k: &str) -> String {
        self.0
            .iter()
            .find(|(a, _)| a == k)
            .map(|(_, b)| b.trim().to_string())
            .unwrap_or_default()
    }

    /// Every value of a field, trimmed, empty ones too, in form order.
    pub fn each(&self, k: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(a, _)| a == k)
            .map(|(_, b)| b.trim().to_string())
            .collect()
    }

    /// Every non-empty value of a field, trimmed, in form order.
    pub fn all(&self, k: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(a, b)| a == k && !b.trim().is_empty())
            .map(|(_, b)| b.trim().to_string())
            .collect()
    }
}

/// The one-time message for a form that did not carry this session's CSRF token.
pub fn stale_form() -> Flash {
    Flash::error(
        "页面已过期或登录已变更，请刷新页面后重试",
        "the page has expired or the sign-in changed: reload the page and try again",
    )
}

/// A local path to come back to (`/…`, never another site).
pub fn local_path(p: Option<&str>) -> String {
    match p {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p.to_string(),
        _ => "/".into(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_local_paths_are_followed_back() {
        use super::local_path;
        assert_eq!(
            local_path(Some("/nearby?service=meal")),
            "/nearby?service=meal"
        );
        for bad in ["//evil.example/x", "https://evil.example", "/\\evil", ""] {
            assert_eq!(local_path(Some(bad)), "/", "{bad}");
        }
        assert_eq!(local_path(None), "/");
    }
}
