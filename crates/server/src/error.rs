//! The one error type of the API: an HTTP status with a stable code and messages in Chinese
//! and English, `{"code", "message_zh", "message_en", "request_id", "errors"?}`.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use lc_registry::FieldError;
use lc_store::StoreError;
use serde_json::json;

/// An API error. Its `code` is part of the public interface and never changes meaning.
#[derive(Debug, thiserror::Error)]
#[error("{code}: {message_en}")]
pub struct AppError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code.
    pub code: &'static str,
    /// 中文说明.
    pub message_zh: String,
    /// English explanation.
    pub message_en: String,
    /// Field-level problems (validation).
    pub errors: Vec<FieldError>,
    /// Seconds to wait before retrying (throttling).
    pub retry_after: Option<u32>,
    /// The methods an endpoint takes (405).
    pub allow: Option<Box<str>>,
}

/// Every error code the API uses, with its status (for the OpenAPI document and the tests).
pub const ERROR_CODES: &[(&str, u16, &str)] = &[
    (
        "bad_request",
        400,
        "The request is malformed (body not JSON, bad query parameter).",
    ),
    (
        "unauthenticated",
        401,
        "No valid session cookie or bearer token.",
    ),
    ("invalid_credentials", 401, "Wrong username or password."),
    (
        "forbidden",
        403,
        "The caller's role does not admit this endpoint or this record.",
    ),
    (
        "csrf_failed",
        403,
        "A cookie-authenticated change without the session's X-CSRF-Token header.",
    ),
    ("not_found", 404, "No such record or endpoint."),
    (
        "method_not_allowed",
        405,
        "The endpoint does not take this method; `Allow` lists those it takes.",
    ),
    (
        "conflict",
        409,
        "A record with this key or unique field exists.",
    ),
    ("slot_full", 409, "The slot has no free seat left."),
    (
        "already_booked",
        409,
        "The resident already holds a seat in this slot.",
    ),
    (
        "wrong_status",
        409,
        "The record's status (a booking, a spot check) does not admit this action.",
    ),
    (
        "wrong_time",
        409,
        "Too early or too late for this action (the slot has begun, or is over).",
    ),
    (
        "outside_booking_window",
        409,
        "The slot is nearer than the offering's notice or beyond its horizon.",
    ),
    (
        "offering_inactive",
        409,
        "The offering does not take bookings now.",
    ),
    (
        "too_many_no_shows",
        409,
        "Too many no-shows recently to book online; a community worker or a phone order still can.",
    ),
    (
        "places_in_use",
        409,
        "A nursery's places cannot go below the places in use (offered and enrolled).",
    ),
    (
        "not_completed",
        409,
        "Only a completed service can be rated.",
    ),
    (
        "already_reviewed",
        409,
        "The service has been rated already (one rating per service).",
    ),
    (
        "invalid_transition",
        409,
        "The 差评 case's status does not admit this action.",
    ),
    (
        "already_appealed",
        409,
        "A 差评 case may be appealed only once.",
    ),
    (
        "deadline_backwards",
        409,
        "A rectification deadline can only be extended.",
    ),
    (
        "calendar_not_covered",
        409,
        "The working-day calendar does not cover the year a deadline falls in.",
    ),
    (
        "not_a_penalty",
        409,
        "Only a penalty's publicity can be ended by credit repair.",
    ),
    (
        "repair_too_early",
        409,
        "A penalty's publicity can be ended early only after its minimum period.",
    ),
    (
        "not_repairable",
        409,
        "A specific serious dishonest act cannot be repaired during publicity.",
    ),
    (
        "publicity_ended",
        409,
        "The penalty's publicity has already ended.",
    ),
    (
        "assessment_running",
        409,
        "An assessment run is in progress; one runs at a time.",
    ),
    (
        "nothing_to_assess",
        409,
        "No community in the registry (or none on the walking network): nothing to assess.",
    ),
    (
        "no_candidates",
        409,
        "A siting scenario has no candidate plot to choose from: none in the registry, or none of them on the walking network.",
    ),
    (
        "nothing_to_site",
        409,
        "No community of the registry is on the walking network: nothing to site for.",
    ),
    (
        "empty_pool",
        422,
        "A spot check's object pool is empty: nothing in the registry matches its scope.",
    ),
    (
        "unstaffable",
        422,
        "An object of a spot check's pool has too few qualified inspectors free of conflicts.",
    ),
    (
        "draw_refused",
        422,
        "The draw cannot be made from this plan (see the message).",
    ),
    (
        "too_early",
        409,
        "The draw is announced for a later day: the public values are not known yet.",
    ),
    ("not_drawn", 409, "The spot check has not been drawn yet."),
    (
        "results_recorded",
        409,
        "A spot check with results recorded cannot be redrawn.",
    ),
    (
        "results_missing",
        409,
        "Every drawn object needs its result before the spot check is published.",
    ),
    (
        "serials_exhausted",
        409,
        "A division's commitment serials of the day (999,999) are used up.",
    ),
    (
        "already_listed",
        409,
        "The enterprise has an open entry on this list already.",
    ),
    (
        "already_exited",
        409,
        "The list entry has been closed by an exit already.",
    ),
    (
        "consent_required",
        409,
        "A practitioner's credit QR code needs the worker's recorded consent (or there is none to withdraw).",
    ),
    (
        "already_revoked",
        409,
        "The credit certificate token has been revoked already.",
    ),
    (
        "idempotency_key_required",
        400,
        "A booking needs an Idempotency-Key header.",
    ),
    (
        "idempotency_key_reused",
        422,
        "The Idempotency-Key was used before with a different request.",
    ),
    (
        "payload_too_large",
        413,
        "The body exceeds this endpoint's size limit.",
    ),
    (
        "unsupported_media_type",
        415,
        "The body's content type is not one this endpoint takes.",
    ),
    (
        "validation_failed",
        422,
        "One or more fields are invalid; see `errors`.",
    ),
    (
        "too_many_attempts",
        429,
        "Too many failed logins; wait and retry.",
    ),
    (
        "internal",
        500,
        "An unexpected server error; the request id identifies it in the logs.",
    ),
    ("unavailable", 503, "The database cannot be reached."),
    (
        "no_network",
        503,
        "The server has no walking network (started without --osm or --nodes/--edges, or without the Chengdu demo's): walking distances (services nearby, assessment runs) cannot be computed.",
    ),
    (
        "monitor_running",
        409,
        "Another run of the monthly figures holds the month (two runs cannot interleave); its result will be the month's figures.",
    ),
    (
        "release_exists",
        409,
        "The statistical release of this region, period and kind exists: each is made once and never changed.",
    ),
    (
        "no_release_data",
        409,
        "The region has no monthly figures in the period (run the monthly job first); no release is made.",
    ),
    (
        "point_off_network",
        400,
        "The place is farther than the snap limit (300 m) from the walking network; the message names the distance.",
    ),
];

impl AppError {
    /// A new error.
    pub fn new(
        status: StatusCode,
        code: &'static str,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> AppError {
        AppError {
            status,
            code,
            message_zh: zh.into(),
            message_en: en.into(),
            errors: Vec::new(),
            retry_after: None,
            allow: None,
        }
    }

    /// 400.
    pub fn bad_request(zh: impl Into<String>, en: impl Into<String>) -> AppError {
        AppError::new(StatusCode::BAD_REQUEST, "bad_request", zh, en)
    }

    /// 401.
    pub fn unauthenticated() -> AppError {
        AppError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "请先登录（会话 Cookie 或 Bearer 令牌）",
            "sign in first (session cookie or bearer token)",
        )
    }

    /// 403.
    pub fn forbidden(zh: impl Into<String>, en: impl Into<String>) -> AppError {
        AppError::new(StatusCode::FORBIDDEN, "forbidden", zh, en)
    }

    /// 404.
    pub fn not_found(what: &str, key: &str) -> AppError {
        AppError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("未找到 {what} {key}"),
            format!("{what} {key} not found"),
        )
    }

    /// 422 with field errors.
    pub fn validation(errors: Vec<FieldError>) -> AppError {
        let first = errors
            .first()
            .map(|e| e.message_en.clone())
            .unwrap_or_default();
        let first_zh = errors
            .first()
            .map(|e| e.message_zh.clone())
            .unwrap_or_default();
        let mut e = AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            format!("数据校验未通过：{first_zh}"),
            format!("validation failed: {first}"),
        );
        e.errors = errors;
        e
    }

    /// 422 for one field.
    pub fn field(field: &str, code: &'static str, zh: String, en: String) -> AppError {
        AppError::validation(vec![FieldError {
            field: field.to_string(),
            code,
            message_zh: zh,
            message_en: en,
        }])
    }

    /// 500, logged.
    pub fn internal(e: impl std::fmt::Display) -> AppError {
        tracing::error!(error = %e, "internal error");
        AppError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "服务器内部错误",
            "internal server error",
        )
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        match e {
            StoreError::Duplicate(what) => AppError::new(
                StatusCode::CONFLICT,
                "conflict",
                format!("记录已存在（{what} 重复）"),
                format!("a record with this {what} already exists"),
            ),
            StoreError::InvalidText(column) => AppError::bad_request(
                format!("{column} 含有数据库不能保存的字符（NUL）"),
                format!("{column} holds a character no text may hold (NUL)"),
            ),
            e if e.is_unavailable() => AppError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "数据库暂时不可用",
                "the database is unavailable",
            ),
            other => AppError::internal(other),
        }
    }
}

/// The error body as documented (OpenAPI): what every error answers.
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ErrorSchema {
    /// Stable machine-readable code (see `x-error-codes`).
    code: String,
    /// 中文说明.
    message_zh: String,
    /// English explanation.
    message_en: String,
    /// The server's id of the request (as in the `x-request-id` header).
    request_id: String,
    /// Field-level problems (validation).
    errors: Option<Vec<FieldErrorSchema>>,
}

/// One field's problem.
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct FieldErrorSchema {
    /// The field (`certificates[0].valid_until`, `line 3: lon`).
    field: String,
    /// Stable code (`required`, `out_of_range`, …).
    code: String,
    message_zh: String,
    message_en: String,
}

/// The JSON body of an error response, kept in the response's extensions so that the edge
/// middleware ([`crate::edge`]) can add the server's request id to it.
#[derive(Debug, Clone)]
pub struct ErrorBody(pub serde_json::Value);

impl AppError {
    /// The error answering a response that left the router with this status but without an
    /// API error body (axum's own refusals: unknown method, body too large, bad path or query).
    pub fn from_status(status: StatusCode) -> AppError {
        let (code, zh, en) = match status.as_u16() {
            404 => ("not_found", "没有这个接口", "no such endpoint"),
            405 => (
                "method_not_allowed",
                "此接口不接受该请求方法",
                "this endpoint does not take this method",
            ),
            413 => (
                "payload_too_large",
                "请求体超过此接口的大小上限",
                "the body exceeds this endpoint's size limit",
            ),
            415 => (
                "unsupported_media_type",
                "此接口不接受该内容类型",
                "this endpoint does not take this content type",
            ),
            s if s >= 500 => ("internal", "服务器内部错误", "internal server error"),
            _ => (
                "bad_request",
                "请求格式有误（路径、查询参数或请求体）",
                "the request is malformed (path, query or body)",
            ),
        };
        let status = if status.is_client_error() || status.is_server_error() {
            status
        } else {
            StatusCode::INTERNAL_SERVER_ERROR
        };
        AppError::new(status, code, zh, en)
    }

    /// The JSON body, without the request id.
    pub fn body(&self) -> serde_json::Value {
        let mut body = json!({
            "code": self.code,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        });
        if !self.errors.is_empty() {
            body["errors"] = json!(self.errors);
        }
        body
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let body = self.body();
        let mut resp = (self.status, axum::Json(body.clone())).into_response();
        resp.extensions_mut().insert(ErrorBody(body));
        if let Some(s) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&s.to_string()) {
                resp.headers_mut().insert("retry-after", v);
            }
        }
        if let Some(a) = &self.allow {
            if let Ok(v) = HeaderValue::from_str(a) {
                resp.headers_mut().insert("allow", v);
            }
        }
        resp
    }
}

/// Shorthand for handler results.
pub type ApiResult<T> = Result<T, AppError>;
