//! Sign-in, sessions, integration tokens and account administration: routes and endpoint
//! table, repository (explicit SQL).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Extension, Json, Router};
use lc_registry::Access;
use lc_registry::{Check, Role};
use lc_store::sqlx::{self, Any, AnyConnection, Executor};
use lc_store::{from_row, now_ms, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::atomic::Ordering;

use crate::auth::{
    hash_password, random_hex, sha256_hex, verify_password, Caller, SESSION_COOKIE, SESSION_MS,
};
use crate::domains::registry::{communities, providers};
use crate::endpoints::{ep, Endpoint, JSON, TOKEN_HOLDERS};
use crate::error::{ApiResult, AppError};
use crate::web::{self, json_body, Paged};
use crate::AppState;

/// The endpoints of this domain.
pub const ENDPOINTS: &[Endpoint] = &[
    ep!("POST", "/api/auth/login", Access::Public, "", "accounts", "Sign in: sets an HTTP-only session cookie, returns the CSRF token.", Some(JSON), JSON),
    ep!("POST", "/api/auth/logout", Access::Authenticated, "", "accounts", "Sign out: ends the session.", None, JSON),
    ep!("GET", "/api/auth/me", Access::Authenticated, "", "accounts", "The signed-in account.", None, JSON),
    ep!("POST", "/api/auth/password", Access::Authenticated, "own account only", "accounts", "Change one's own password (the current one is required); other sessions and all bearer tokens end.", Some(JSON), JSON),
    ep!("POST", "/api/auth/tokens", TOKEN_HOLDERS, "", "accounts", "Create a bearer token for an integration (shown once; expires in expires_in_days, default 90, at most 365).", Some(JSON), JSON),
    ep!("GET", "/api/auth/tokens", TOKEN_HOLDERS, "own tokens; an administrator may name user_id", "accounts", "List bearer tokens (never the token itself).", None, JSON),
    ep!("DELETE", "/api/auth/tokens/{id}", TOKEN_HOLDERS, "own tokens; an administrator any", "accounts", "Revoke a bearer token.", None, JSON),
    ep!("GET", "/api/users", Access::Roles(&[Role::Admin]), "", "accounts", "List accounts.", None, JSON),
    ep!("POST", "/api/users", Access::Roles(&[Role::Admin]), "", "accounts", "Create an account (Argon2 password hash).", Some(JSON), JSON),
    ep!("GET", "/api/users/{id}", Access::Roles(&[Role::Admin]), "", "accounts", "One account.", None, JSON),
    ep!("PATCH", "/api/users/{id}", Access::Roles(&[Role::Admin]), "", "accounts", "Change an account (role, links, password, disabled).", Some(JSON), JSON),
    ep!("POST", "/api/users/{id}/unlock", Access::Roles(&[Role::Admin]), "", "accounts", "End the login throttling of an account (its failed logins from every address are forgotten).", None, JSON),
];

/// The routes of this domain.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/api/auth/login",
            post(login).layer(axum::extract::DefaultBodyLimit::max(
                crate::LOGIN_BODY_LIMIT,
            )),
        )
        .route("/api/auth/logout", post(logout))
        .route("/api/auth/me", get(me))
        .route("/api/auth/password", post(change_password))
        .route("/api/auth/tokens", get(list_tokens).post(create_token))
        .route("/api/auth/tokens/{id}", delete(revoke_token))
        .route("/api/users", get(list_users).post(create_user))
        .route("/api/users/{id}", get(get_user).patch(update_user))
        .route("/api/users/{id}/unlock", post(unlock_user))
}

/// The role of an account, if it exists (inside a transaction).
pub async fn role_of(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<Option<String>, lc_store::StoreError> {
    Ok(sqlx::query_scalar("SELECT role FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

// --- Records ----------------------------------------------------------------------------------

/// A stored account, as answered (never the password hash).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    #[serde(skip)]
    pub password_hash: String,
    pub role: String,
    pub display_name: Option<String>,
    pub provider_code: Option<String>,
    pub community_id: Option<String>,
    #[serde(serialize_with = "as_bool")]
    #[schema(value_type = bool)]
    pub disabled: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// Raised by one on every change.
    pub version: i64,
}
from_row!(UserRow {
    id,
    username,
    password_hash,
    role,
    display_name,
    provider_code,
    community_id,
    disabled,
    created_at,
    updated_at,
    version
});

fn as_bool<S: serde::Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_bool(*v != 0)
}

impl UserRow {
    /// The signed-in user of this account, if it is enabled.
    pub fn user(&self) -> Option<crate::auth::User> {
        if self.disabled != 0 {
            return None;
        }
        Some(crate::auth::User {
            id: self.id,
            username: self.username.clone(),
            role: self.role.parse().ok()?,
            provider_code: self.provider_code.clone(),
            community_id: self.community_id.clone(),
        })
    }
}

/// A stored bearer token (only its hash is kept).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TokenRow {
    pub id: i64,
    #[serde(skip)]
    pub token_hash: String,
    pub user_id: i64,
    pub name: String,
    pub created_at: i64,
    /// `null` for a token made before tokens had to expire (it lives 90 days from creation).
    pub expires_at: Option<i64>,
}
from_row!(TokenRow {
    id,
    token_hash,
    user_id,
    name,
    created_at,
    expires_at
});

impl TokenRow {
    /// When the token expires: its `expires_at`, or for a token made before tokens had to
    /// expire, the default lifetime from its creation.
    pub fn expiry(&self) -> i64 {
        crate::auth::token_expiry(self.created_at, self.expires_at)
    }
}

/// A token as listed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TokenView {
    #[serde(flatten)]
    pub token: TokenRow,
    pub expired: bool,
}

/// A browser session (only the hash of its token is kept).
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub token_hash: String,
    pub user_id: i64,
    pub csrf_token: String,
    pub created_at: i64,
    pub expires_at: i64,
}
from_row!(SessionRow {
    token_hash,
    user_id,
    csrf_token,
    created_at,
    expires_at
});

// --- Repository -------------------------------------------------------------------------------

macro_rules! user_cols {
    () => {
        "id, username, password_hash, role, display_name, provider_code, community_id, disabled, created_at, updated_at, version"
    };
}

/// One account by id.
pub async fn user_by_id<'c>(
    ex: impl Executor<'c, Database = Any>,
    id: i64,
) -> Result<Option<UserRow>, StoreError> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        user_cols!(),
        " FROM users WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(ex)
    .await?)
}

/// One account by username.
pub async fn user_by_name<'c>(
    ex: impl Executor<'c, Database = Any>,
    username: &str,
) -> Result<Option<UserRow>, StoreError> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        user_cols!(),
        " FROM users WHERE username = $1"
    ))
    .bind(username.to_string())
    .fetch_optional(ex)
    .await?)
}

/// How many accounts have a role.
pub async fn count_role<'c>(
    ex: impl Executor<'c, Database = Any>,
    role: &str,
) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = $1")
            .bind(role.to_string())
            .fetch_one(ex)
            .await?,
    )
}

/// Inserts an account; its id (409 if the username is taken).
pub async fn insert_user(conn: &mut AnyConnection, u: &UserRow) -> Result<i64, StoreError> {
    sqlx::query_scalar(
        "INSERT INTO users (username, password_hash, role, display_name, provider_code, community_id, disabled, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0) RETURNING id",
    )
    .bind(u.username.clone())
    .bind(u.password_hash.clone())
    .bind(u.role.clone())
    .bind(u.display_name.clone())
    .bind(u.provider_code.clone())
    .bind(u.community_id.clone())
    .bind(u.disabled)
    .bind(u.created_at)
    .bind(u.updated_at)
    .fetch_one(conn)
    .await
    .map_err(lc_store::sql::unique("username"))
}

/// Compare-and-set update of an account (see `communities::update`).
pub async fn update_user_row(
    conn: &mut AnyConnection,
    u: &UserRow,
    seen: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE users SET password_hash = $2, role = $3, display_name = $4, provider_code = $5, community_id = $6, disabled = $7, updated_at = $8, version = version + 1 WHERE id = $1 AND version = $9",
    )
    .bind(u.id)
    .bind(u.password_hash.clone())
    .bind(u.role.clone())
    .bind(u.display_name.clone())
    .bind(u.provider_code.clone())
    .bind(u.community_id.clone())
    .bind(u.disabled)
    .bind(u.updated_at)
    .bind(seen)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A page of accounts (by role, and a search of username and display name).
async fn list_user_rows(
    st: &AppState,
    role: Option<String>,
    search: Option<String>,
    page: web::Page,
) -> Result<(Vec<UserRow>, i64), StoreError> {
    let b = st.store.backend();
    let wh = format!(
        "WHERE ($1 IS NULL OR role = $1) AND ($2 IS NULL OR {} LIKE $2 ESCAPE '\\' OR {} LIKE $2 ESCAPE '\\')",
        lc_store::sql::fold(b, "username"),
        lc_store::sql::fold(b, "display_name")
    );
    let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM users {wh}"))
        .bind(role.clone())
        .bind(search.clone())
        .fetch_one(st.store.pool())
        .await?;
    let rows = sqlx::query_as(&format!(
        "SELECT {} FROM users {wh} ORDER BY id LIMIT $3 OFFSET $4",
        user_cols!()
    ))
    .bind(role)
    .bind(search)
    .bind(page.limit)
    .bind(page.offset)
    .fetch_all(st.store.pool())
    .await?;
    Ok((rows, total))
}

/// One token by the hash of its secret.
pub async fn token_by_hash<'c>(
    ex: impl Executor<'c, Database = Any>,
    hash: &str,
) -> Result<Option<TokenRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, token_hash, user_id, name, created_at, expires_at FROM api_tokens WHERE token_hash = $1",
    )
    .bind(hash.to_string())
    .fetch_optional(ex)
    .await?)
}

/// One session by the hash of its token.
pub async fn session_by_hash<'c>(
    ex: impl Executor<'c, Database = Any>,
    hash: &str,
) -> Result<Option<SessionRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT token_hash, user_id, csrf_token, created_at, expires_at FROM sessions WHERE token_hash = $1",
    )
    .bind(hash.to_string())
    .fetch_optional(ex)
    .await?)
}

/// Ends an account's sessions, but `keep`; how many.
async fn end_sessions(
    conn: &mut AnyConnection,
    user: i64,
    keep: Option<&str>,
) -> Result<u64, StoreError> {
    Ok(
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND ($2 IS NULL OR token_hash <> $2)")
            .bind(user)
            .bind(keep.map(str::to_string))
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

/// Revokes an account's bearer tokens; how many.
async fn end_tokens(conn: &mut AnyConnection, user: i64) -> Result<u64, StoreError> {
    Ok(sqlx::query("DELETE FROM api_tokens WHERE user_id = $1")
        .bind(user)
        .execute(conn)
        .await?
        .rows_affected())
}

/// Deletes expired sessions and tokens, and failed logins older than `failures_before`.
async fn housekeeping(st: &AppState, now: i64, failures_before: i64) -> Result<(), StoreError> {
    let mut tx = st.store.begin().await?;
    sqlx::query("DELETE FROM login_failures WHERE at < $1")
        .bind(failures_before)
        .execute(tx.conn())
        .await?;
    sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
        .bind(now)
        .execute(tx.conn())
        .await?;
    sqlx::query("DELETE FROM api_tokens WHERE expires_at < $1")
        .bind(now)
        .execute(tx.conn())
        .await?;
    tx.commit().await
}

fn user_key(id: &str) -> ApiResult<i64> {
    id.parse().map_err(|_| AppError::not_found("user", id))
}

async fn user_or_404(st: &AppState, id: &str) -> ApiResult<UserRow> {
    user_by_id(st.store.pool(), user_key(id)?)
        .await?
        .ok_or_else(|| AppError::not_found("user", id))
}

// --- Handlers ---------------------------------------------------------------------------------

/// Records a weak password (fewer than 10 characters, or over 256 bytes) against `field`.
fn check_password(c: &mut Check, field: &str, password: &str) {
    if password.chars().count() < 10 || password.len() > 256 {
        c.fail(
            field,
            "weak_password",
            "密码至少 10 个字符".into(),
            "the password needs at least 10 characters".into(),
        );
    }
}

/// The refusal of a throttled login: retry in `wait_ms` (at least a second).
fn throttled(wait_ms: i64) -> AppError {
    let wait = ((wait_ms + 999) / 1000).clamp(1, i64::from(u32::MAX)) as u32;
    let mut e = AppError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
        format!("登录失败次数过多，请 {wait} 秒后再试"),
        format!("too many failed logins; retry in {wait} s"),
    );
    e.retry_after = Some(wait);
    e
}

/// Longest username a login may name (accounts have at most 64 characters).
const LOGIN_USERNAME_MAX: usize = 64;
/// Longest password a login may send, in bytes (passwords are set with at most 256).
const LOGIN_PASSWORD_MAX: usize = 256;

/// A sign-in.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    username: String,
    password: String,
}

/// What a sign-in answers (the session token is in the HTTP-only cookie).
#[derive(Serialize, utoipa::ToSchema)]
pub struct LoginAnswer {
    user: UserRow,
    /// Send it as `X-CSRF-Token` with every change made with the session cookie.
    csrf_token: String,
    expires_at: i64,
}

/// POST /api/auth/login. The attempt is counted by the throttle before the password is
/// checked ([`crate::throttle`]); the check waits for a hashing permit.
#[utoipa::path(post, path = "/api/auth/login", tag = "accounts", request_body = Login,
    responses((status = 200, body = LoginAnswer), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn login(
    State(st): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Bytes,
) -> ApiResult<Response> {
    let l: Login = json_body(&body)?;
    if l.username.is_empty()
        || l.username.chars().count() > LOGIN_USERNAME_MAX
        || l.username.chars().any(|c| c.is_control())
        || l.password.len() > LOGIN_PASSWORD_MAX
    {
        return Err(AppError::bad_request(
            format!("用户名应为 1 至 {LOGIN_USERNAME_MAX} 个字符，密码至多 {LOGIN_PASSWORD_MAX} 字节"),
            format!("the username must have 1 to {LOGIN_USERNAME_MAX} characters and the password at most {LOGIN_PASSWORD_MAX} bytes"),
        ));
    }
    let now = now_ms();
    let ticket = st
        .throttle
        .admit(&l.username, peer.ip(), now)
        .map_err(throttled)?;
    let row = user_by_name(st.store.pool(), &l.username).await?;
    // Unknown users cost an Argon2 verification too, so timing does not tell them apart.
    let hash = row
        .as_ref()
        .map(|r| r.password_hash.clone())
        .unwrap_or_else(|| st.dummy_hash.clone());
    st.password_checks.fetch_add(1, Ordering::SeqCst);
    let ok = verify_password(l.password, hash).await;
    let account = row.filter(|r| ok && r.user().is_some());
    let Some(account) = account else {
        drop(ticket); // counts as a failure
        let mut tx = st.store.begin().await?;
        sqlx::query("INSERT INTO login_failures (username, at) VALUES ($1, $2)")
            .bind(l.username.clone())
            .bind(now)
            .execute(tx.conn())
            .await
            .map_err(StoreError::from)?;
        tx.commit().await?;
        return Err(AppError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "用户名或密码错误",
            "wrong username or password",
        ));
    };
    ticket.succeeded();
    housekeeping(&st, now, now - crate::throttle::FAILURE_MEMORY_MS).await?;
    let token = random_hex(32);
    let csrf = random_hex(16);
    let mut tx = st.store.begin().await?;
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(sha256_hex(&token))
    .bind(account.id)
    .bind(csrf.clone())
    .bind(now)
    .bind(now + SESSION_MS)
    .execute(tx.conn())
    .await
    .map_err(StoreError::from)?;
    tx.commit().await?;
    let cookie = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        SESSION_MS / 1000,
        if st.config.secure_cookies {
            "; Secure"
        } else {
            ""
        }
    );
    let body = LoginAnswer {
        user: account,
        csrf_token: csrf,
        expires_at: now + SESSION_MS,
    };
    let mut resp = Json(body).into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(AppError::internal)?,
    );
    Ok(resp)
}

/// POST /api/auth/logout.
#[utoipa::path(post, path = "/api/auth/logout", tag = "accounts",
    responses((status = 200, body = Object), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn logout(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
) -> ApiResult<Response> {
    if let Some(h) = &c.session_hash {
        let mut tx = st.store.begin().await?;
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(h.clone())
            .execute(tx.conn())
            .await
            .map_err(StoreError::from)?;
        tx.commit().await?;
    }
    let mut headers = HeaderMap::new();
    headers.insert(
        header::SET_COOKIE,
        HeaderValue::from_static("lc_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    Ok((headers, Json(json!({"signed_out": true}))).into_response())
}

/// A resident account's own registry record (what the account books and is visited as).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OwnResident {
    pub id: i64,
    pub community_id: String,
}

/// The signed-in account, and for a resident their own record.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MeAnswer {
    #[serde(flatten)]
    pub user: UserRow,
    /// Residents: their registry record (`null` until one is linked to the account).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resident: Option<OwnResident>,
}

/// GET /api/auth/me.
#[utoipa::path(get, path = "/api/auth/me", tag = "accounts",
    responses((status = 200, body = MeAnswer), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn me(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
) -> ApiResult<Json<MeAnswer>> {
    let u = c.user()?;
    let user = user_or_404(&st, &u.id.to_string()).await?;
    let resident = if u.role == Role::Resident {
        let row: Option<(i64, String)> = sqlx::query_as(
            "SELECT id, community_id FROM residents WHERE user_id = $1 ORDER BY id LIMIT 1",
        )
        .bind(u.id)
        .fetch_optional(st.store.pool())
        .await
        .map_err(StoreError::from)?;
        row.map(|(id, community_id)| OwnResident { id, community_id })
    } else {
        None
    };
    Ok(Json(MeAnswer { user, resident }))
}

/// A change of one's own password.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPassword {
    current_password: String,
    new_password: String,
}

/// POST /api/auth/password.
#[utoipa::path(post, path = "/api/auth/password", tag = "accounts", request_body = NewPassword,
    responses((status = 200, body = Object), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn change_password(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let p: NewPassword = json_body(&body)?;
    let u = c.user()?;
    let row = user_or_404(&st, &u.id.to_string()).await?;
    if !verify_password(p.current_password, row.password_hash.clone()).await {
        return Err(AppError::field(
            "current_password",
            "invalid_credentials",
            "当前密码错误".into(),
            "the current password is wrong".into(),
        ));
    }
    let mut chk = Check::new();
    check_password(&mut chk, "new_password", &p.new_password);
    chk.finish().map_err(AppError::validation)?;
    let hash = hash_password(p.new_password).await?;
    let mut tx = st.store.begin().await?;
    sqlx::query(
        "UPDATE users SET password_hash = $2, updated_at = $3, version = version + 1 WHERE id = $1",
    )
    .bind(u.id)
    .bind(hash)
    .bind(now_ms())
    .execute(tx.conn())
    .await
    .map_err(StoreError::from)?;
    // Every other session of the account ends; the one making the change stays.
    end_sessions(tx.conn(), u.id, c.session_hash.as_deref()).await?;
    // Integration tokens end too: whoever held the old password may have made them.
    let tokens = end_tokens(tx.conn(), u.id).await?;
    tx.audit(
        &c.actor(),
        "update",
        "user",
        &u.id.to_string(),
        json!({"password_changed": true, "tokens_revoked": tokens}),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(json!({"password_changed": true})))
}

/// Lifetime of an integration token whose creator names none.
pub const TOKEN_DEFAULT_DAYS: i64 = 90;
/// Longest lifetime of an integration token.
pub const TOKEN_MAX_DAYS: i64 = 365;

/// A new bearer token.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    name: String,
    /// 1-365 (default 90).
    expires_in_days: Option<i64>,
}

/// A bearer token as made: the only time its secret is shown.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MadeToken {
    id: i64,
    name: String,
    token: String,
    expires_at: i64,
}

/// POST /api/auth/tokens.
#[utoipa::path(post, path = "/api/auth/tokens", tag = "accounts", request_body = NewToken,
    responses((status = 201, body = MadeToken), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn create_token(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<MadeToken>)> {
    let t: NewToken = json_body(&body)?;
    let mut chk = Check::new();
    let name = chk.text("name", &Some(t.name), 100);
    let days = chk.number(
        "expires_in_days",
        t.expires_in_days.map(|d| d as f64),
        1.0,
        TOKEN_MAX_DAYS as f64,
        false,
    );
    chk.finish().map_err(AppError::validation)?;
    let name = name.unwrap_or_default();
    let u = c.user()?;
    let token = format!("lct_{}", random_hex(32));
    let now = now_ms();
    let days = days.map(|d| d as i64).unwrap_or(TOKEN_DEFAULT_DAYS);
    let expires = now + days * 86_400_000;
    let mut tx = st.store.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO api_tokens (token_hash, user_id, name, created_at, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(sha256_hex(&token))
    .bind(u.id)
    .bind(name.clone())
    .bind(now)
    .bind(expires)
    .fetch_one(tx.conn())
    .await
    .map_err(StoreError::from)?;
    tx.audit(
        &c.actor(),
        "create",
        "api_token",
        &id.to_string(),
        json!({"name": name}),
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(MadeToken {
            id,
            name,
            token,
            expires_at: expires,
        }),
    ))
}

/// Query of the token list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TokenQuery {
    /// Another account's tokens (administrators only).
    #[param(value_type = Option<i64>)]
    pub user_id: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    pub page: web::PageQuery,
}

/// GET /api/auth/tokens: the caller's tokens; an administrator may name another account
/// (`user_id`).
#[utoipa::path(get, path = "/api/auth/tokens", tag = "accounts", params(TokenQuery, web::PageQuery),
    responses((status = 200, body = Paged<TokenView>), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn list_tokens(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Query(q): Query<TokenQuery>,
) -> ApiResult<Json<Paged<TokenView>>> {
    let u = c.user()?;
    let page = q.page.page()?;
    let owner = match web::int_param("user_id", &q.user_id)? {
        None => u.id,
        Some(id) => {
            if id != u.id && u.role != Role::Admin {
                return Err(AppError::forbidden(
                    "只有管理员能查看他人的令牌",
                    "only an administrator lists another account's tokens",
                ));
            }
            id
        }
    };
    let now = now_ms();
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM api_tokens WHERE user_id = $1")
        .bind(owner)
        .fetch_one(st.store.pool())
        .await
        .map_err(StoreError::from)?;
    let rows: Vec<TokenRow> = sqlx::query_as(
        "SELECT id, token_hash, user_id, name, created_at, expires_at FROM api_tokens WHERE user_id = $1 ORDER BY id LIMIT $2 OFFSET $3",
    )
    .bind(owner)
    .bind(page.limit)
    .bind(page.offset)
    .fetch_all(st.store.pool())
    .await
    .map_err(StoreError::from)?;
    let items = rows
        .into_iter()
        .map(|t| TokenView {
            expired: t.expires_at.is_some_and(|e| e <= now),
            token: t,
        })
        .collect();
    Ok(Json(Paged::new(items, total, page)))
}

/// DELETE /api/auth/tokens/{id}: revoke a token (its owner or an administrator).
#[utoipa::path(delete, path = "/api/auth/tokens/{id}", tag = "accounts", params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn revoke_token(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let u = c.user()?;
    let key: i64 = id
        .parse()
        .map_err(|_| AppError::not_found("api_token", &id))?;
    let mut tx = st.store.begin().await?;
    let row: Option<TokenRow> = sqlx::query_as(
        "SELECT id, token_hash, user_id, name, created_at, expires_at FROM api_tokens WHERE id = $1",
    )
    .bind(key)
    .fetch_optional(tx.conn())
    .await
    .map_err(StoreError::from)?;
    // Another account's token is not even said to exist.
    let row = row
        .filter(|r| r.user_id == u.id || u.role == Role::Admin)
        .ok_or_else(|| AppError::not_found("api_token", &id))?;
    sqlx::query("DELETE FROM api_tokens WHERE id = $1")
        .bind(key)
        .execute(tx.conn())
        .await
        .map_err(StoreError::from)?;
    tx.audit(
        &c.actor(),
        "delete",
        "api_token",
        &id,
        json!({"user_id": row.user_id, "name": row.name}),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(json!({"revoked": true, "id": row.id})))
}

/// POST /api/users/{id}/unlock: forgets the account's failed logins from every address.
#[utoipa::path(post, path = "/api/users/{id}/unlock", tag = "accounts", params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn unlock_user(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let row = user_or_404(&st, &id).await?;
    let addresses = st.throttle.unlock(&row.username);
    let mut tx = st.store.begin().await?;
    sqlx::query("DELETE FROM login_failures WHERE username = $1")
        .bind(row.username.clone())
        .execute(tx.conn())
        .await
        .map_err(StoreError::from)?;
    tx.audit(
        &c.actor(),
        "unlock",
        "user",
        &id,
        json!({"addresses": addresses}),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(json!({"unlocked": true, "addresses": addresses})))
}

/// An account as an administrator sends it (a PATCH sends some fields).
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserInput {
    username: Option<String>,
    password: Option<String>,
    role: Option<String>,
    display_name: Option<String>,
    provider_code: Option<String>,
    community_id: Option<String>,
    disabled: Option<bool>,
}

/// A checked account (the password hashed, if one was sent).
struct CheckedUser {
    username: Option<String>,
    password_hash: Option<String>,
    role: Role,
    display_name: Option<String>,
    provider_code: Option<String>,
    community_id: Option<String>,
    disabled: bool,
}

/// Checks an account's fields; `creating` requires username and password. The provider or
/// community it names must exist (read in `conn`, the write's transaction).
async fn check_user(
    conn: &mut AnyConnection,
    u: &UserInput,
    creating: bool,
) -> ApiResult<CheckedUser> {
    let mut c = Check::new();
    let mut username = None;
    if creating || u.username.is_some() {
        if let Some(name) = c.text("username", &u.username, 64) {
            if !name
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || "._-@".contains(ch))
            {
                c.fail(
                    "username",
                    "invalid_username",
                    "用户名只能包含字母、数字和 ._-@".into(),
                    "username may contain only letters, digits and ._-@".into(),
                );
            }
            username = Some(name);
        }
    }
    if creating || u.password.is_some() {
        match u.password.as_deref() {
            Some(p) => check_password(&mut c, "password", p),
            None => c.required("password"),
        }
    }
    let role = match c.text("role", &u.role, 32) {
        Some(r) => match r.parse::<Role>() {
            Ok(role) => Some(role),
            Err(e) => {
                c.fail(
                    "role",
                    "unknown_role",
                    format!("未知角色 {r}"),
                    e.to_string(),
                );
                None
            }
        },
        None => None,
    };
    let display = c.opt_text("display_name", &u.display_name, 100);
    let provider = c.opt_text("provider_code", &u.provider_code, 18);
    let community = c.opt_text("community_id", &u.community_id, 64);
    match role {
        Some(Role::ProviderStaff) if provider.is_none() => c.required("provider_code"),
        Some(Role::CommunityWorker) if community.is_none() => c.required("community_id"),
        _ => {}
    }
    c.finish().map_err(AppError::validation)?;
    if let Some(p) = &provider {
        if !providers::exists(&mut *conn, p).await? {
            return Err(AppError::field(
                "provider_code",
                "unknown_provider",
                format!("服务机构 {p} 未登记"),
                format!("provider {p} is not registered"),
            ));
        }
    }
    if let Some(cm) = &community {
        if !communities::exists(&mut *conn, cm).await? {
            return Err(AppError::field(
                "community_id",
                "unknown_community",
                format!("社区 {cm} 不存在"),
                format!("community {cm} does not exist"),
            ));
        }
    }
    let role = role.unwrap_or(Role::Resident);
    let password_hash = match &u.password {
        Some(p) => Some(hash_password(p.clone()).await?),
        None => None,
    };
    Ok(CheckedUser {
        username,
        password_hash,
        role,
        display_name: display,
        provider_code: provider.filter(|_| role == Role::ProviderStaff),
        community_id: community.filter(|_| role == Role::CommunityWorker),
        disabled: u.disabled.unwrap_or(false),
    })
}

/// POST /api/users.
#[utoipa::path(post, path = "/api/users", tag = "accounts", request_body = UserInput,
    responses((status = 201, body = UserRow), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn create_user(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<UserRow>)> {
    let u: UserInput = json_body(&body)?;
    let mut tx = st.store.begin().await?;
    let row = insert_new_user(tx.conn(), &u).await?;
    tx.audit(
        &c.actor(),
        "create",
        "user",
        &row.id.to_string(),
        json!({"username": row.username, "role": row.role}),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// Checks a new account and inserts it in `conn` (the write's transaction); the caller audits.
pub(crate) async fn insert_new_user(conn: &mut AnyConnection, u: &UserInput) -> ApiResult<UserRow> {
    let m = check_user(&mut *conn, u, true).await?;
    let now = now_ms();
    let mut row = UserRow {
        id: 0,
        username: m.username.unwrap_or_default(),
        password_hash: m.password_hash.unwrap_or_default(),
        role: m.role.key().to_string(),
        display_name: m.display_name,
        provider_code: m.provider_code,
        community_id: m.community_id,
        disabled: m.disabled as i64,
        created_at: now,
        updated_at: now,
        version: 0,
    };
    row.id = insert_user(conn, &row).await.map_err(|e| match e {
        StoreError::Duplicate(_) => AppError::new(
            StatusCode::CONFLICT,
            "conflict",
            "用户名已被使用",
            "the username is taken",
        ),
        other => other.into(),
    })?;
    Ok(row)
}

/// Query of the account list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Role key.
    pub role: Option<String>,
    /// Search text (username, display name).
    pub q: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    pub page: web::PageQuery,
}

/// GET /api/users.
#[utoipa::path(get, path = "/api/users", tag = "accounts", params(UserQuery, web::PageQuery),
    responses((status = 200, body = Paged<UserRow>), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn list_users(
    State(st): State<Arc<AppState>>,
    Query(q): Query<UserQuery>,
) -> ApiResult<Json<Paged<UserRow>>> {
    let page = q.page.page()?;
    let (rows, total) = list_user_rows(&st, q.role.clone(), web::search_param(&q.q), page).await?;
    Ok(Json(Paged::new(rows, total, page)))
}

/// GET /api/users/{id}.
#[utoipa::path(get, path = "/api/users/{id}", tag = "accounts", params(("id" = i64, Path)),
    responses((status = 200, body = UserRow), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn get_user(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<UserRow>> {
    Ok(Json(user_or_404(&st, &id).await?))
}

/// PATCH /api/users/{id} (compare-and-set; If-Match names the version).
#[utoipa::path(patch, path = "/api/users/{id}", tag = "accounts",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header, description = "The version the change is made against")),
    request_body = UserInput,
    responses((status = 200, body = UserRow), (status = "default", body = crate::error::ErrorSchema)))]
pub async fn update_user(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<UserRow>> {
    let expected = web::if_match(&headers)?;
    let patch: UserInput = json_body(&body)?;
    let key = user_key(&id)?;
    let mut tx = st.store.begin().await?;
    let stored = user_by_id(tx.conn(), key)
        .await?
        .ok_or_else(|| AppError::not_found("user", &id))?;
    if expected.is_some_and(|v| v != stored.version) {
        return Err(web::conflict("user", &id));
    }
    let merged = UserInput {
        username: None,
        password: patch.password.clone(),
        role: patch.role.clone().or(Some(stored.role.clone())),
        display_name: patch.display_name.clone().or(stored.display_name.clone()),
        provider_code: patch.provider_code.clone().or(stored.provider_code.clone()),
        community_id: patch.community_id.clone().or(stored.community_id.clone()),
        disabled: patch.disabled.or(Some(stored.disabled != 0)),
    };
    let m = check_user(tx.conn(), &merged, false).await?;
    let mut row = UserRow {
        password_hash: m
            .password_hash
            .unwrap_or_else(|| stored.password_hash.clone()),
        role: m.role.key().to_string(),
        display_name: m.display_name,
        provider_code: m.provider_code,
        community_id: m.community_id,
        disabled: m.disabled as i64,
        updated_at: now_ms(),
        ..stored.clone()
    };
    if !update_user_row(tx.conn(), &row, stored.version).await? {
        return Err(web::conflict("user", &id));
    }
    row.version += 1;
    let changed = [
        "role",
        "display_name",
        "provider_code",
        "community_id",
        "disabled",
    ];
    tx.audit(
        &c.actor(),
        "update",
        "user",
        &id,
        json!({"fields": changed, "password_changed": patch.password.is_some()}),
    )
    .await?;
    if patch.password.is_some() || patch.disabled == Some(true) {
        // A new password (a reset) or a disabled account ends the account's sessions and
        // integration tokens.
        end_sessions(tx.conn(), key, None).await?;
        end_tokens(tx.conn(), key).await?;
    }
    tx.commit().await?;
    Ok(Json(row))
}
