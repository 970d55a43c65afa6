//! The edge of every request, outside the router: the server's own request id (a client's
//! `X-Request-Id` is kept apart, as `client_request_id` in the log, never as the server's id),
//! invalid text in the path or query refused, every error answered in the API's JSON error
//! format with the request id, and the security headers on every response.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::http::{Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tracing::Instrument;

use crate::error::{AppError, ErrorBody};

/// Header carrying the server's request id on every response.
pub const REQUEST_ID: &str = "x-request-id";

/// Longest client request id kept for the log (longer ones are cut).
const CLIENT_ID_MAX: usize = 128;

/// The ids of one request, in the request's extensions.
#[derive(Debug, Clone)]
pub struct RequestIds {
    /// Made by this server: unique per process run (a random prefix and a counter).
    pub server: String,
    /// What the client sent as `X-Request-Id`, if anything (only for correlating logs).
    pub client: Option<String>,
}

/// Makes the server's request ids.
#[derive(Debug)]
pub struct IdMaker {
    prefix: String,
    counter: AtomicU64,
}

impl IdMaker {
    /// A new maker with a random prefix.
    pub fn new() -> IdMaker {
        IdMaker {
            prefix: crate::auth::random_hex(6),
            counter: AtomicU64::new(1),
        }
    }

    fn next(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        format!("{}-{n}", self.prefix)
    }
}

impl Default for IdMaker {
    fn default() -> IdMaker {
        IdMaker::new()
    }
}

/// Headers set on every response (unless a handler set its own).
const SECURITY_HEADERS: &[(&str, &str)] = &[
    (
        "content-security-policy",
        "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    ),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    // Answers carry personal data or session state; no shared or private cache keeps them.
    ("cache-control", "no-store"),
];

/// Whether a text is refused anywhere in a request: NUL and other control characters
/// (PostgreSQL cannot store NUL; the others have no place in paths, queries or keys).
pub fn bad_char(c: char) -> bool {
    c.is_control()
}

/// The percent-decoded path and query, refused if they are not UTF-8 or hold a control
/// character.
fn check_uri(uri: &Uri) -> Result<(), AppError> {
    let refuse = |what: &str, why: &str| {
        AppError::bad_request(
            format!("{what} 含有无效字符（{why}）"),
            format!("the {what} holds invalid text ({why})"),
        )
    };
    let decoded = |s: &str| -> Option<String> {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'%' if i + 2 < bytes.len() => {
                    let h = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
                    out.push(u8::from_str_radix(h, 16).ok()?);
                    i += 3;
                }
                b'%' => return None,
                b'+' => {
                    out.push(b' ');
                    i += 1;
                }
                b => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        String::from_utf8(out).ok()
    };
    let path = decoded(uri.path()).ok_or_else(|| refuse("path", "not UTF-8"))?;
    if path.chars().any(bad_char) {
        return Err(refuse("path", "control character"));
    }
    if let Some(q) = uri.query() {
        for part in q.split('&') {
            let text = decoded(part).ok_or_else(|| refuse("query", "not UTF-8"))?;
            if text.chars().any(bad_char) {
                return Err(refuse("query", "control character"));
            }
        }
    }
    Ok(())
}

/// The outermost middleware: ids, the URI check, the JSON error format, security headers.
pub async fn edge(State(ids): State<Arc<IdMaker>>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let server_id = ids.next();
    let client_id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(|s| {
            s.chars()
                .filter(|c| !c.is_control())
                .take(CLIENT_ID_MAX)
                .collect::<String>()
        });
    // Downstream sees only the server's id under this name.
    req.headers_mut().remove(REQUEST_ID);
    if let Ok(v) = HeaderValue::from_str(&server_id) {
        req.headers_mut().insert(REQUEST_ID, v);
    }
    let method = req.method().clone();
    let span = tracing::info_span!(
        "request",
        method = %method,
        path = %req.uri().path(),
        request_id = %server_id,
        client_request_id = %client_id.as_deref().unwrap_or("-"),
    );
    req.extensions_mut().insert(RequestIds {
        server: server_id.clone(),
        client: client_id,
    });
    let resp = match check_uri(req.uri()) {
        Ok(()) => next.run(req).instrument(span.clone()).await,
        Err(e) => e.into_response(),
    };
    let resp = finish(resp, &server_id, &method);
    span.in_scope(|| {
        tracing::info!(
            status = resp.status().as_u16(),
            latency_ms = started.elapsed().as_millis() as u64,
            "response"
        )
    });
    resp
}

fn is_json(resp: &Response) -> bool {
    resp.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|s| s.starts_with("application/json"))
}

fn is_html(resp: &Response) -> bool {
    resp.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|s| s.starts_with("text/html"))
}

/// Puts the request id into error bodies (turning axum's plain-text refusals into API
/// errors) and sets the response headers.
fn finish(resp: Response, request_id: &str, method: &Method) -> Response {
    let status = resp.status();
    let body = match resp.extensions().get::<ErrorBody>() {
        Some(ErrorBody(b)) => Some(b.clone()),
        // The portal's pages answer refusals as pages.
        None if (status.is_client_error() || status.is_server_error())
            && !is_json(&resp)
            && !is_html(&resp) =>
        {
            if status == StatusCode::INTERNAL_SERVER_ERROR {
                tracing::error!("a response left the router as a bare 500");
            }
            Some(AppError::from_status(status).body())
        }
        None => None,
    };
    let mut resp = match body {
        Some(mut b) => {
            b["request_id"] = Value::String(request_id.to_string());
            let bytes = serde_json::to_vec(&b).unwrap_or_default();
            let (mut parts, _) = resp.into_parts();
            parts.headers.remove(header::CONTENT_LENGTH);
            parts.headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            if *method == Method::HEAD {
                if let Ok(v) = HeaderValue::from_str(&bytes.len().to_string()) {
                    parts.headers.insert(header::CONTENT_LENGTH, v);
                }
                Response::from_parts(parts, Body::empty())
            } else {
                Response::from_parts(parts, Body::from(bytes))
            }
        }
        None => resp,
    };
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert(REQUEST_ID, v);
    }
    for (k, v) in SECURITY_HEADERS {
        let name = HeaderName::from_static(k);
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(v));
        }
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(s: &str) -> Uri {
        s.parse().unwrap()
    }

    #[test]
    fn control_characters_and_bad_encodings_are_refused() {
        assert!(check_uri(&uri("/api/communities?q=%E5%AD%A6")).is_ok());
        assert!(check_uri(&uri("/api/communities/a%20b?q=x+y")).is_ok());
        for bad in [
            "/api/communities/%00",
            "/api/communities?q=a%00b",
            "/api/communities?q=%0a",
            "/api/communities?q=%FF",
            "/api/communities?q=%E5%AD",
            "/api/communities?q=%4",
            "/api/x%1F",
        ] {
            assert!(check_uri(&uri(bad)).is_err(), "{bad}");
        }
    }
}
