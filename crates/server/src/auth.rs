//! Who is calling: bearer tokens for integrations, HTTP-only session cookies with a CSRF
//! token for browsers; the role gate of every endpoint; Argon2 passwords; login throttling.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::body::Body;
use axum::extract::{MatchedPath, State};
use axum::http::{header, Method, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use lc_registry::Role;
use lc_store::{now_ms, Actor};
use sha2::{Digest, Sha256};

use crate::domains::accounts;
use crate::edge::RequestIds;
use crate::endpoints;
use crate::error::{ApiResult, AppError};
use crate::AppState;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "lc_session";
/// Header carrying the session's CSRF token on changes made with a session cookie.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Session lifetime.
pub const SESSION_MS: i64 = 12 * 3600 * 1000;

/// A signed-in account.
#[derive(Debug, Clone)]
pub struct User {
    /// Account id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// Role.
    pub role: Role,
    /// Provider (USCC) of provider staff.
    pub provider_code: Option<String>,
    /// Community of a community worker.
    pub community_id: Option<String>,
}

impl User {
    /// What a provider staff member's or community worker's records carry: the column and
    /// their provider or community.
    pub fn own_link(&self) -> Option<(&'static str, &Option<String>)> {
        match self.role {
            Role::ProviderStaff => Some(("provider_code", &self.provider_code)),
            Role::CommunityWorker => Some(("community_id", &self.community_id)),
            _ => None,
        }
    }
}

/// The caller of a request, as the middleware found it.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The account, if signed in.
    pub user: Option<User>,
    /// Request id (`x-request-id`).
    pub request_id: String,
    /// Hash of the session token when signed in by cookie.
    pub session_hash: Option<String>,
}

impl Caller {
    /// The role, if signed in.
    pub fn role(&self) -> Option<Role> {
        self.user.as_ref().map(|u| u.role)
    }

    /// Whether the caller has this role.
    pub fn is(&self, r: Role) -> bool {
        self.role() == Some(r)
    }

    /// The account (the role gate has made sure there is one on non-public endpoints).
    pub fn user(&self) -> ApiResult<&User> {
        self.user.as_ref().ok_or_else(AppError::unauthenticated)
    }

    /// The audit-trail actor.
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.user.as_ref().map(|u| u.id),
            role: self.role().map(|r| r.key().to_string()),
            request_id: Some(self.request_id.clone()),
        }
    }
}

/// Random bytes as lower-case hex.
pub fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    OsRng.fill_bytes(&mut b);
    hex(&b)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// SHA-256 as hex (tokens are stored only as this hash).
pub fn sha256_hex(s: &str) -> String {
    hex(&Sha256::digest(s.as_bytes()))
}

/// HMAC-SHA-256 (RFC 2104) as hex: the keyed fingerprint of ID numbers.
pub fn hmac_sha256_hex(key: &[u8], msg: &[u8]) -> String {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(msg);
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    hex(&outer.finalize())
}

/// Constant-time comparison of two strings.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// How many Argon2 computations run at once in this process. Each takes about 19 MiB and a
/// core for a while; a burst of logins waits for a permit instead of taking the memory.
pub const HASHING_PERMITS: usize = 4;

static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(HASHING_PERMITS);
static HASHING_NOW: AtomicUsize = AtomicUsize::new(0);
static HASHING_PEAK: AtomicUsize = AtomicUsize::new(0);

/// The most Argon2 computations that ran at once in this process so far (never more than
/// [`HASHING_PERMITS`]).
pub fn hashing_peak() -> usize {
    HASHING_PEAK.load(Ordering::SeqCst)
}

/// Runs an Argon2 computation on the blocking threads once a permit is free.
async fn with_hashing_permit<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> ApiResult<T> {
    let _permit = HASHING.acquire().await.map_err(AppError::internal)?;
    let now = HASHING_NOW.fetch_add(1, Ordering::SeqCst) + 1;
    HASHING_PEAK.fetch_max(now, Ordering::SeqCst);
    let out = tokio::task::spawn_blocking(f).await;
    HASHING_NOW.fetch_sub(1, Ordering::SeqCst);
    out.map_err(AppError::internal)
}

/// Hashes a password with Argon2id (default parameters, random salt), off the async threads.
pub async fn hash_password(pw: String) -> ApiResult<String> {
    with_hashing_permit(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(pw.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await?
    .map_err(AppError::internal)
}

/// Verifies a password against a stored PHC hash string.
pub async fn verify_password(pw: String, hash: String) -> bool {
    with_hashing_permit(move || {
        PasswordHash::new(&hash)
            .map(|h| Argon2::default().verify_password(pw.as_bytes(), &h).is_ok())
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

fn cookie_value(req: &Request<Body>, name: &str) -> Option<String> {
    for h in req.headers().get_all(header::COOKIE) {
        let Ok(s) = h.to_str() else { continue };
        for part in s.split(';') {
            if let Some((k, v)) = part.trim().split_once('=') {
                if k == name {
                    return Some(v.to_string());
                }
            }
        }
    }
    None
}

async fn user_by_id(state: &AppState, id: i64) -> ApiResult<Option<User>> {
    Ok(accounts::user_by_id(state.store.pool(), id)
        .await?
        .and_then(|u| u.user()))
}

/// 405 for a method that `path` does not declare, with the methods it does in `Allow`.
fn method_not_allowed(path: &str) -> AppError {
    let mut allow: Vec<&str> = endpoints::ENDPOINTS
        .iter()
        .filter(|e| e.path == path)
        .map(|e| e.method)
        .collect();
    if allow.contains(&"GET") {
        allow.push("HEAD");
    }
    let allow = allow.join(", ");
    let mut e = AppError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("此接口不接受该请求方法（可用：{allow}）"),
        format!("this endpoint does not take this method (it takes {allow})"),
    );
    e.allow = Some(allow.into());
    e
}

/// When a stored bearer token expires: its `expires_at`, or for a token made before tokens had
/// to expire (none stored), the default lifetime from its creation.
pub fn token_expiry(created_at: i64, expires_at: Option<i64>) -> i64 {
    expires_at.unwrap_or_else(|| {
        created_at.saturating_add(crate::accounts::TOKEN_DEFAULT_DAYS * 86_400_000)
    })
}

/// Finds the caller, applies the CSRF rule and the endpoint's role gate.
pub async fn authorize(
    State(state): State<Arc<AppState>>,
    matched: Option<MatchedPath>,
    mut req: Request<Body>,
    next: Next,
) -> Response {
    match resolve(&state, matched, &mut req).await {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

async fn resolve(
    state: &AppState,
    matched: Option<MatchedPath>,
    req: &mut Request<Body>,
) -> ApiResult<()> {
    let Some(path) = matched.as_ref().map(|m| m.as_str().to_string()) else {
        return Ok(()); // unrouted: the fallback answers 404
    };
    let method = req.method().clone();
    // HEAD is a GET without the body: it passes exactly the GET's gate.
    let declared = if method == Method::HEAD {
        Method::GET
    } else {
        method.clone()
    };
    let Some(ep) = endpoints::find(declared.as_str(), &path) else {
        return Err(method_not_allowed(&path));
    };
    let request_id = req
        .extensions()
        .get::<RequestIds>()
        .map(|ids| ids.server.clone())
        .unwrap_or_default();
    let now = now_ms();
    let mut caller = Caller {
        user: None,
        request_id,
        session_hash: None,
    };
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.strip_prefix("Bearer "))
        .map(|s| s.trim().to_string());
    if let Some(token) = bearer {
        let row = accounts::token_by_hash(state.store.pool(), &sha256_hex(&token)).await?;
        let live = row.filter(|r| r.expiry() > now);
        let user = match live.map(|r| r.user_id) {
            Some(id) => user_by_id(state, id).await?,
            None => None,
        };
        match user {
            Some(u) => caller.user = Some(u),
            None => return Err(AppError::unauthenticated()),
        }
    } else if let Some(token) = cookie_value(req, SESSION_COOKIE) {
        let hash = sha256_hex(&token);
        let row = accounts::session_by_hash(state.store.pool(), &hash).await?;
        if let Some(s) = row.filter(|r| r.expires_at > now) {
            if let Some(u) = user_by_id(state, s.user_id).await? {
                let unsafe_method = !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
                if unsafe_method {
                    let sent = req
                        .headers()
                        .get(CSRF_HEADER)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("");
                    let expected = s.csrf_token.as_str();
                    if !same(sent, expected) || expected.is_empty() {
                        return Err(AppError::new(
                            StatusCode::FORBIDDEN,
                            "csrf_failed",
                            "缺少或错误的 X-CSRF-Token 请求头",
                            "missing or wrong X-CSRF-Token header for a change made with a session cookie",
                        ));
                    }
                }
                caller.user = Some(u);
                caller.session_hash = Some(hash);
            }
        }
    }
    if !ep.access.admits(caller.role()) {
        return Err(match caller.role() {
            None => AppError::unauthenticated(),
            Some(r) => AppError::forbidden(
                format!("角色“{}”无权访问此接口", r.zh()),
                format!(
                    "the role {} may not call {} {}",
                    r.key(),
                    ep.method,
                    ep.path
                ),
            ),
        });
    }
    req.extensions_mut().insert(caller);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_without_an_expiry_live_the_default_lifetime() {
        let day = 86_400_000;
        let default = crate::accounts::TOKEN_DEFAULT_DAYS * day;
        assert_eq!(token_expiry(1000, None), 1000 + default);
        assert_eq!(token_expiry(1000, Some(5000)), 5000);
        let now = lc_store::now_ms();
        assert!(token_expiry(now - 100 * day, None) < now);
        assert!(token_expiry(now - day, None) > now);
    }
}
