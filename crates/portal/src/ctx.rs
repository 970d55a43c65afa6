//! A page request's context: who is asking (through the API's `/api/auth/me`), their
//! preferences, and calls to the API in-process on their behalf.
//!
//! A call carries the browser's cookie (so the API sees the same session), the request's
//! extensions (the server's request id and the peer address, for the audit trail and the login
//! throttle) and, for changes, the CSRF token the form carried as `X-CSRF-Token`. The API
//! decides; the portal shows its answer.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, Extensions, HeaderMap, HeaderValue, Method, Request, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::Value;
use tower::ServiceExt;

use crate::ui::{Flash, Lang, Me, Ui};
use crate::Portal;

/// The cookie holding the session's CSRF token, so that pages can put it into their forms
/// (HTTP-only and SameSite=Strict like the session cookie: only this server reads it).
pub const CSRF_COOKIE: &str = "lc_csrf";
/// The language preference (`en`; Chinese otherwise).
pub const LANG_COOKIE: &str = "lc_lang";
/// Elder mode (`1`).
pub const ELDER_COOKIE: &str = "lc_elder";
/// A one-time message for the next page (post/redirect/get).
pub const FLASH_COOKIE: &str = "lc_flash";
/// Largest API answer a page reads.
const MAX_ANSWER: usize = 16 << 20;

/// A refusal or failure of an API call, with the API's own bilingual message.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub zh: String,
    pub en: String,
    /// Field errors (`field`: message), when the API named them.
    pub fields: Vec<(String, String, String)>,
}

impl ApiError {
    fn from_answer(status: StatusCode, v: &Value) -> ApiError {
        let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
        let fields = v["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| {
                        let f = |k: &str| e[k].as_str().unwrap_or_default().to_string();
                        (f("field"), f("message_zh"), f("message_en"))
                    })
                    .collect()
            })
            .unwrap_or_default();
        ApiError {
            status,
            code: s("code"),
            zh: if s("message_zh").is_empty() {
                format!("请求未成功（{}）", status.as_u16())
            } else {
                s("message_zh")
            },
            en: if s("message_en").is_empty() {
                format!("the request failed ({status})")
            } else {
                s("message_en")
            },
            fields,
        }
    }

    /// The message and its field details, as a flash.
    pub fn flash(&self) -> Flash {
        let mut zh = self.zh.clone();
        let mut en = self.en.clone();
        for (f, fz, fe) in &self.fields {
            if !fz.is_empty() || !fe.is_empty() {
                zh.push_str(&format!("；{f}：{fz}"));
                en.push_str(&format!("; {f}: {fe}"));
            }
        }
        Flash::error(zh, en)
    }
}

/// The context of one page request.
pub struct Ctx {
    pub portal: Arc<Portal>,
    pub ui: Ui,
    headers: HeaderMap,
    extensions: Extensions,
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

impl FromRequestParts<Arc<Portal>> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, portal: &Arc<Portal>) -> Result<Ctx, Response> {
        let mut headers = HeaderMap::new();
        for name in [header::COOKIE, header::USER_AGENT] {
            for v in parts.headers.get_all(&name) {
                headers.append(name.clone(), v.clone());
            }
        }
        if let Some(v) = parts.headers.get("x-request-id") {
            headers.insert("x-request-id", v.clone());
        }
        let lang = match cookie(&parts.headers, LANG_COOKIE) {
            Some("en") => Lang::En,
            _ => Lang::Zh,
        };
        let elder = cookie(&parts.headers, ELDER_COOKIE) == Some("1");
        let csrf = cookie(&parts.headers, CSRF_COOKIE)
            .filter(|t| t.chars().all(|c| c.is_ascii_hexdigit()))
            .unwrap_or_default()
            .to_string();
        let flash = cookie(&parts.headers, FLASH_COOKIE).and_then(Flash::decode);
        let path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into());
        let mut ctx = Ctx {
            portal: portal.clone(),
            ui: Ui {
                lang,
                elder,
                user: None,
                csrf,
                path,
                flash,
            },
            headers,
            extensions: {
                // What the server asks for (request id, peer address); never the page route's
                // own routing facts, which would mix with the API's path parameters.
                let mut e = Extensions::new();
                (portal.forward)(&parts.extensions, &mut e);
                e
            },
        };
        if cookie(&parts.headers, "lc_session").is_some() {
            if let Ok(me) = ctx.get("/api/auth/me").await {
                ctx.ui.user = Me::from_json(&me);
            }
        }
        Ok(ctx)
    }
}

impl Ctx {
    /// Calls the API: `method path` with a JSON body (changes carry the CSRF token).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        extra: &[(&str, &str)],
    ) -> Result<(StatusCode, HeaderMap, Value), ApiError> {
        let mut req = Request::builder().method(method.clone()).uri(path);
        if let Some(h) = req.headers_mut() {
            h.extend(self.headers.clone());
            if method != Method::GET && !self.ui.csrf.is_empty() {
                if let Ok(v) = HeaderValue::from_str(&self.ui.csrf) {
                    h.insert("x-csrf-token", v);
                }
            }
            if body.is_some() {
                h.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
            }
            for (k, v) in extra {
                if let (Ok(k), Ok(v)) = (
                    axum::http::HeaderName::from_bytes(k.as_bytes()),
                    HeaderValue::from_str(v),
                ) {
                    h.insert(k, v);
                }
            }
        }
        let body = match body {
            Some(b) => Body::from(serde_json::to_vec(b).unwrap_or_default()),
            None => Body::empty(),
        };
        let mut req = req.body(body).map_err(|e| internal(&e))?;
        *req.extensions_mut() = self.extensions.clone();
        let resp = self
            .portal
            .api
            .clone()
            .oneshot(req)
            .await
            .map_err(|e| internal(&e))?;
        let status = resp.status();
        let (parts, body) = resp.into_parts();
        let bytes = axum::body::to_bytes(body, MAX_ANSWER)
            .await
            .map_err(|e| internal(&e))?;
        let v: Value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        if status.is_success() {
            Ok((status, parts.headers, v))
        } else {
            Err(ApiError::from_answer(status, &v))
        }
    }

    /// `GET path` of the API.
    pub async fn get(&self, path: &str) -> Result<Value, ApiError> {
        self.call(Method::GET, path, None, &[])
            .await
            .map(|(_, _, v)| v)
    }

    /// `POST path` of the API with a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> Result<Value, ApiError> {
        self.call(Method::POST, path, Some(body), &[])
            .await
            .map(|(_, _, v)| v)
    }

    /// The signed-in account, or a redirect to the login page that comes back here.
    pub fn require_login(&self) -> Result<&Me, Box<Response>> {
        match &self.ui.user {
            Some(u) => Ok(u),
            None => Err(Box::new(
                Redirect::to(&format!("/login?next={}", crate::ui::encode(&self.ui.path)))
                    .into_response(),
            )),
        }
    }

    /// The signed-in account if it has one of `roles`; a login redirect when signed out, the
    /// "not for your role" page otherwise.
    pub fn require_role(&self, roles: &[&str]) -> Result<&Me, Box<Response>> {
        let me = self.require_login()?;
        if roles.contains(&me.role.as_str()) {
            Ok(me)
        } else {
            Err(Box::new(crate::pages::refused(self, roles)))
        }
    }

    /// Whether the form carried this session's CSRF token (checked again by the API).
    pub fn csrf_ok(&self, token: &str) -> bool {
        !self.ui.csrf.is_empty() && token == self.ui.csrf
    }

    /// A `Set-Cookie` value with the portal's attributes.
    pub fn cookie(&self, name: &str, value: &str, max_age: i64) -> String {
        format!(
            "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{}",
            if self.portal.secure_cookies {
                "; Secure"
            } else {
                ""
            }
        )
    }

    /// A redirect (303) to `to` with a one-time message.
    pub fn redirect_with(&self, to: &str, flash: Flash) -> Response {
        let mut r = Redirect::to(to).into_response();
        if let Ok(v) = HeaderValue::from_str(&self.cookie(FLASH_COOKIE, &flash.encode(), 120)) {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
        r
    }
}

fn internal(e: &dyn std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "portal: in-process API call failed");
    ApiError {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        code: "internal".into(),
        zh: "服务器内部错误，请稍后再试".into(),
        en: "internal server error; please try again later".into(),
        fields: vec![],
    }
}
