//! Sign-in, sessions, integration tokens and account administration: routes and endpoint
//! table (records still through the store's table descriptions).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Extension, Json, Router};
use lc_registry::Access;
use lc_registry::{Check, Role};
use lc_store::schema::{API_TOKENS, COMMUNITIES, LOGIN_FAILURES, PROVIDERS, SESSIONS, USERS};
use lc_store::sqlx::{self, AnyConnection};
use lc_store::{now_ms, Cond};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;

use crate::auth::{
    hash_password, random_hex, sha256_hex, user_from_row, verify_password, Caller, SESSION_COOKIE,
    SESSION_MS,
};
use crate::endpoints::{ep, Endpoint, JSON, TOKEN_HOLDERS};
use crate::error::{ApiResult, AppError};
use crate::resources::{fetch, json_body, page_of, page_params};
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

/// A stored account as shown: never the password hash.
pub fn show_user(mut row: Map<String, Value>) -> Value {
    row.remove("password_hash");
    if let Some(d) = row.get("disabled").and_then(Value::as_i64) {
        row.insert("disabled".into(), json!(d != 0));
    }
    Value::Object(row)
}

/// A stored account by key (empty if there is none).
async fn account(st: &AppState, key: &Value) -> ApiResult<Map<String, Value>> {
    Ok(st.store.get(&USERS, key).await?.unwrap_or_default())
}

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Login {
    username: String,
    password: String,
}

/// POST /api/auth/login. The attempt is counted by the throttle before the password is
/// checked ([`crate::throttle`]); the check waits for a hashing permit.
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
    let row = st
        .store
        .find_one(&USERS, vec![Cond::Eq("username", json!(l.username))])
        .await?;
    // Unknown users cost an Argon2 verification too, so timing does not tell them apart.
    let hash = row
        .as_ref()
        .and_then(|r| r["password_hash"].as_str().map(str::to_string))
        .unwrap_or_else(|| st.dummy_hash.clone());
    st.password_checks.fetch_add(1, Ordering::SeqCst);
    let ok = verify_password(l.password, hash).await;
    let user = row.as_ref().and_then(user_from_row).filter(|_| ok);
    let Some(user) = user else {
        drop(ticket); // counts as a failure
        let mut f = Map::new();
        f.insert("username".into(), json!(l.username));
        f.insert("at".into(), json!(now));
        st.store.insert(&LOGIN_FAILURES, &f).await?;
        return Err(AppError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "用户名或密码错误",
            "wrong username or password",
        ));
    };
    ticket.succeeded();
    // Housekeeping: expired sessions and tokens, and the record of failures older than a day.
    st.store
        .delete_where(
            &LOGIN_FAILURES,
            &[Cond::Lt(
                "at",
                json!(now - crate::throttle::FAILURE_MEMORY_MS),
            )],
        )
        .await?;
    st.store
        .delete_where(&SESSIONS, &[Cond::Lt("expires_at", json!(now))])
        .await?;
    st.store
        .delete_where(&API_TOKENS, &[Cond::Lt("expires_at", json!(now))])
        .await?;
    let token = random_hex(32);
    let csrf = random_hex(16);
    let mut s = Map::new();
    s.insert("token_hash".into(), json!(sha256_hex(&token)));
    s.insert("user_id".into(), json!(user.id));
    s.insert("csrf_token".into(), json!(csrf));
    s.insert("created_at".into(), json!(now));
    s.insert("expires_at".into(), json!(now + SESSION_MS));
    st.store.insert(&SESSIONS, &s).await?;
    let cookie = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        SESSION_MS / 1000,
        if st.config.secure_cookies {
            "; Secure"
        } else {
            ""
        }
    );
    let body = json!({
        "user": show_user(row.unwrap_or_default()),
        "csrf_token": csrf,
        "expires_at": now + SESSION_MS,
    });
    let mut resp = Json(body).into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(AppError::internal)?,
    );
    Ok(resp)
}

/// POST /api/auth/logout.
pub async fn logout(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
) -> ApiResult<Response> {
    if let Some(h) = &c.session_hash {
        st.store
            .delete_where(&SESSIONS, &[Cond::Eq("token_hash", json!(h))])
            .await?;
    }
    let mut headers = HeaderMap::new();
    headers.insert(
        header::SET_COOKIE,
        HeaderValue::from_static("lc_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    Ok((headers, Json(json!({"signed_out": true}))).into_response())
}

/// GET /api/auth/me.
pub async fn me(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
) -> ApiResult<Json<Value>> {
    let u = c.user()?;
    Ok(Json(show_user(account(&st, &json!(u.id)).await?)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewPassword {
    current_password: String,
    new_password: String,
}

/// POST /api/auth/password.
pub async fn change_password(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let p: NewPassword = json_body(&body)?;
    let u = c.user()?;
    let row = account(&st, &json!(u.id)).await?;
    let hash = row
        .get("password_hash")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if !verify_password(p.current_password, hash).await {
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
    let mut m = Map::new();
    m.insert(
        "password_hash".into(),
        json!(hash_password(p.new_password).await?),
    );
    let mut tx = st.store.begin().await?;
    tx.update(&USERS, &json!(u.id), &m).await?;
    // Every other session of the account ends; the one making the change stays.
    let mut conds = vec![Cond::Eq("user_id", json!(u.id))];
    if let Some(h) = &c.session_hash {
        conds.push(Cond::Ne("token_hash", json!(h)));
    }
    tx.delete_where(&SESSIONS, &conds).await?;
    // Integration tokens end too: whoever held the old password may have made them.
    let tokens = tx
        .delete_where(&API_TOKENS, &[Cond::Eq("user_id", json!(u.id))])
        .await?;
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewToken {
    name: String,
    expires_in_days: Option<i64>,
}

/// POST /api/auth/tokens.
pub async fn create_token(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
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
    let u = c.user()?;
    let token = format!("lct_{}", random_hex(32));
    let now = now_ms();
    let days = days.map(|d| d as i64).unwrap_or(TOKEN_DEFAULT_DAYS);
    let expires = now + days * 86_400_000;
    let mut row = Map::new();
    row.insert("token_hash".into(), json!(sha256_hex(&token)));
    row.insert("user_id".into(), json!(u.id));
    row.insert("name".into(), json!(name));
    row.insert("created_at".into(), json!(now));
    row.insert("expires_at".into(), json!(expires));
    let mut tx = st.store.begin().await?;
    let id = tx.insert(&API_TOKENS, &row).await?;
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
        Json(json!({"id": id, "name": name, "token": token, "expires_at": expires})),
    ))
}

/// A stored token as listed: never its hash.
fn show_token(mut row: Map<String, Value>, now: i64) -> Value {
    row.remove("token_hash");
    let expired = row
        .get("expires_at")
        .and_then(Value::as_i64)
        .is_some_and(|e| e <= now);
    row.insert("expired".into(), json!(expired));
    Value::Object(row)
}

/// GET /api/auth/tokens: the caller's tokens; an administrator may name another account
/// (`user_id`).
pub async fn list_tokens(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    let u = c.user()?;
    let page = page_params(&q)?;
    let owner = match q.get("user_id") {
        None => u.id,
        Some(s) => {
            let id = s.parse::<i64>().map_err(|_| {
                AppError::bad_request("user_id 应为整数", "user_id must be an integer")
            })?;
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
    page_of(
        &st,
        &API_TOKENS,
        vec![Cond::Eq("user_id", json!(owner))],
        page,
        false,
        |r| show_token(r, now),
    )
    .await
}

/// DELETE /api/auth/tokens/{id}: revoke a token (its owner or an administrator).
pub async fn revoke_token(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let u = c.user()?;
    let (key, row) = fetch(&st, &API_TOKENS, &id).await?;
    let owner = row.get("user_id").and_then(Value::as_i64);
    if owner != Some(u.id) && u.role != Role::Admin {
        // Another account's token is not even said to exist.
        return Err(AppError::not_found("api_token", &id));
    }
    let mut tx = st.store.begin().await?;
    tx.delete_where(&API_TOKENS, &[Cond::Eq("id", key)]).await?;
    tx.audit(
        &c.actor(),
        "delete",
        "api_token",
        &id,
        json!({"user_id": owner, "name": row.get("name")}),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(json!({"revoked": true, "id": row.get("id")})))
}

/// POST /api/users/{id}/unlock: forgets the account's failed logins from every address.
pub async fn unlock_user(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let (_, row) = fetch(&st, &USERS, &id).await?;
    let username = row
        .get("username")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let addresses = st.throttle.unlock(&username);
    let mut tx = st.store.begin().await?;
    tx.delete_where(&LOGIN_FAILURES, &[Cond::Eq("username", json!(username))])
        .await?;
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

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct UserInput {
    username: Option<String>,
    password: Option<String>,
    role: Option<String>,
    display_name: Option<String>,
    provider_code: Option<String>,
    community_id: Option<String>,
    disabled: Option<bool>,
}

/// Checks an account's fields; `creating` requires username and password.
async fn check_user(st: &AppState, u: &UserInput, creating: bool) -> ApiResult<Map<String, Value>> {
    let mut c = Check::new();
    let mut m = Map::new();
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
            m.insert("username".into(), json!(name));
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
        if st.store.get(&PROVIDERS, &json!(p)).await?.is_none() {
            return Err(AppError::field(
                "provider_code",
                "unknown_provider",
                format!("服务机构 {p} 未登记"),
                format!("provider {p} is not registered"),
            ));
        }
    }
    if let Some(cm) = &community {
        if st.store.get(&COMMUNITIES, &json!(cm)).await?.is_none() {
            return Err(AppError::field(
                "community_id",
                "unknown_community",
                format!("社区 {cm} 不存在"),
                format!("community {cm} does not exist"),
            ));
        }
    }
    let role = role.unwrap_or(Role::Resident);
    m.insert("role".into(), json!(role.key()));
    m.insert("display_name".into(), json!(display));
    m.insert(
        "provider_code".into(),
        json!(provider.filter(|_| role == Role::ProviderStaff)),
    );
    m.insert(
        "community_id".into(),
        json!(community.filter(|_| role == Role::CommunityWorker)),
    );
    m.insert("disabled".into(), json!(u.disabled.unwrap_or(false) as i64));
    if let Some(p) = &u.password {
        m.insert(
            "password_hash".into(),
            json!(hash_password(p.clone()).await?),
        );
    }
    Ok(m)
}

/// POST /api/users.
pub async fn create_user(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let u: UserInput = json_body(&body)?;
    let m = check_user(&st, &u, true).await?;
    let mut tx = st.store.begin().await?;
    let id = tx.insert(&USERS, &m).await.map_err(|e| match e {
        lc_store::StoreError::Duplicate(_) => AppError::new(
            StatusCode::CONFLICT,
            "conflict",
            "用户名已被使用",
            "the username is taken",
        ),
        other => other.into(),
    })?;
    tx.audit(
        &c.actor(),
        "create",
        "user",
        &id.to_string(),
        json!({"username": m["username"], "role": m["role"]}),
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(show_user(account(&st, &id).await?)),
    ))
}

/// GET /api/users.
pub async fn list_users(
    State(st): State<Arc<AppState>>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    let page = page_params(&q)?;
    let mut conds = Vec::new();
    if let Some(r) = q.get("role") {
        conds.push(Cond::Eq("role", json!(r)));
    }
    if let Some(s) = q.get("q") {
        conds.push(Cond::Search(&["username", "display_name"], s.clone()));
    }
    page_of(&st, &USERS, conds, page, false, show_user).await
}

/// GET /api/users/{id}.
pub async fn get_user(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let (_, row) = fetch(&st, &USERS, &id).await?;
    Ok(Json(show_user(row)))
}

/// PATCH /api/users/{id}.
pub async fn update_user(
    State(st): State<Arc<AppState>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let (key, stored) = fetch(&st, &USERS, &id).await?;
    let patch: UserInput = json_body(&body)?;
    let s = |k: &str| stored.get(k).and_then(Value::as_str).map(str::to_string);
    let merged = UserInput {
        username: None,
        password: patch.password.clone(),
        role: patch.role.clone().or(s("role")),
        display_name: patch.display_name.clone().or(s("display_name")),
        provider_code: patch.provider_code.clone().or(s("provider_code")),
        community_id: patch.community_id.clone().or(s("community_id")),
        disabled: patch.disabled.or(stored
            .get("disabled")
            .and_then(Value::as_i64)
            .map(|d| d != 0)),
    };
    let m = check_user(&st, &merged, false).await?;
    let mut tx = st.store.begin().await?;
    tx.update(&USERS, &key, &m).await?;
    let changed: Vec<&String> = m.keys().filter(|k| *k != "password_hash").collect();
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
        tx.delete_where(&SESSIONS, &[Cond::Eq("user_id", key.clone())])
            .await?;
        tx.delete_where(&API_TOKENS, &[Cond::Eq("user_id", key.clone())])
            .await?;
    }
    tx.commit().await?;
    Ok(Json(show_user(account(&st, &key).await?)))
}
