//! The one place where errors become HTTP responses: `application/problem+json` (RFC 9457) with
//! a stable `code`, a readable `detail` and, for validation failures, one entry per field.
//! Internal errors are logged with the request's id and never shown to the client.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use velocity_domain::{FieldError, ValidationErrors};
use velocity_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("the record is at version {current}; reload it and apply your change again")]
    PreconditionFailed { current: i64 },
    #[error("the request body is larger than the limit of {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("{}", .0)]
    Validation(ValidationErrors),
    #[error("{detail}")]
    TooManyRequests {
        retry_after_secs: u64,
        detail: String,
    },
    #[error("{0}")]
    Unavailable(String),
    #[error("this endpoint does not support that method; see /api/docs")]
    MethodNotAllowed,
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A stable machine-readable name, also the last segment of the problem `type`.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad-request",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not-found",
            ApiError::Conflict(_) => "conflict",
            ApiError::PreconditionFailed { .. } => "version-mismatch",
            ApiError::PayloadTooLarge { .. } => "payload-too-large",
            ApiError::Validation(_) => "validation-failed",
            ApiError::TooManyRequests { .. } => "rate-limited",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::MethodNotAllowed => "method-not-allowed",
            ApiError::Internal(_) => "internal",
        }
    }

    /// A failure that is the server's, not the request's (logged, never shown in detail).
    pub fn internal(error: impl std::fmt::Display) -> ApiError {
        ApiError::Internal(error.to_string())
    }

    pub fn validation(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::Validation(ValidationErrors::single(field, message))
    }

    fn detail(&self) -> String {
        match self {
            ApiError::Validation(errors) if errors.0.len() == 1 => {
                format!("{}: {}", errors.0[0].field, errors.0[0].message)
            }
            ApiError::Validation(errors) => format!("{} fields are invalid", errors.0.len()),
            ApiError::Internal(_) => {
                "something went wrong on our side; the error has been logged".into()
            }
            other => other.to_string(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(what) => ApiError::NotFound(format!("{what} not found")),
            StoreError::VersionMismatch { current } => ApiError::PreconditionFailed { current },
            StoreError::Conflict(message) => ApiError::Conflict(message),
            StoreError::StagesChanged => ApiError::Conflict(error.to_string()),
            StoreError::Forbidden(message) => ApiError::Forbidden(message),
            StoreError::Invalid(errors) => ApiError::Validation(errors),
            StoreError::Connect(message) => {
                ApiError::Unavailable(format!("the database is unreachable: {message}"))
            }
            // Constraint violations that slip past the checks only happen when two requests
            // race (two adds of the same member, a record deleted while referenced).
            other if other.is_unique_violation() => ApiError::Conflict(
                "this conflicts with a change made at the same moment; reload and retry".into(),
            ),
            other if other.is_foreign_key_violation() => ApiError::Conflict(
                "a referenced record changed at the same moment; reload and retry".into(),
            ),
            other if other.is_busy() => {
                ApiError::Unavailable("the database is busy; retry shortly".into())
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<ValidationErrors> for ApiError {
    fn from(errors: ValidationErrors) -> Self {
        ApiError::Validation(errors)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let ApiError::Internal(cause) = &self {
            tracing::error!(%cause, "request failed");
        }
        let mut body = json!({
            "type": format!("https://velocity.dev/problems/{}", self.code()),
            "title": status.canonical_reason().unwrap_or("Error"),
            "status": status.as_u16(),
            "detail": self.detail(),
            "code": self.code(),
        });
        if let ApiError::Validation(errors) = &self {
            body["errors"] = json!(errors
                .0
                .iter()
                .map(|FieldError { field, message }| {
                    json!({"field": field, "message": message})
                })
                .collect::<Vec<_>>());
        }
        if let ApiError::PreconditionFailed { current } = &self {
            body["current_version"] = json!(current);
        }
        let mut response = (status, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        match &self {
            ApiError::TooManyRequests {
                retry_after_secs, ..
            } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            ApiError::Unauthorized(_) => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            _ => {}
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_errors_map_to_the_documented_statuses() {
        let cases = [
            (StoreError::NotFound("deal"), 404),
            (StoreError::VersionMismatch { current: 3 }, 412),
            (StoreError::Conflict("taken".into()), 409),
            (
                StoreError::Invalid(ValidationErrors::single("name", "is required")),
                422,
            ),
            (StoreError::Corrupt("bad".into()), 500),
        ];
        for (error, status) in cases {
            assert_eq!(ApiError::from(error).status().as_u16(), status);
        }
    }

    #[test]
    fn internal_details_never_reach_the_client() {
        let error = ApiError::Internal("password=hunter2 at db.rs:10".into());
        assert!(!error.detail().contains("hunter2"));
        let response = error.into_response();
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
    }
}
