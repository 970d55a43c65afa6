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
    pub retry_after: Option<u64>,
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
        "conflict",
        409,
        "A record with this key or unique field exists.",
    ),
    ("payload_too_large", 413, "The body exceeds the size limit."),
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

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "code": self.code,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        });
        if !self.errors.is_empty() {
            body["errors"] = json!(self.errors);
        }
        let mut resp = (self.status, axum::Json(body)).into_response();
        if let Some(s) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&s.to_string()) {
                resp.headers_mut().insert("retry-after", v);
            }
        }
        resp
    }
}

/// Shorthand for handler results.
pub type ApiResult<T> = Result<T, AppError>;
