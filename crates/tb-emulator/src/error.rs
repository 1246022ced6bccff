//! The emulator's HTTP errors, rendered exactly as ThingsBoard renders them: the JSON
//! `ThingsboardErrorResponse` body for ordinary controllers, and plain text or an empty body for
//! the DeferredResult endpoints (telemetry, RPC).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use tb_proto::error::{code, ErrorBody};

pub(crate) const PERMISSION_DENIED: &str = "You don't have permission to perform this operation!";

/// Everything a handler can answer besides success.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum ApiError {
    /// 401/10 "Authentication failed": no header, blank or unparseable login body.
    #[error("Authentication failed")]
    AuthenticationFailed,
    /// 401/10 "Invalid username or password": wrong credentials, malformed access token.
    #[error("Invalid username or password")]
    BadCredentials,
    /// 401/11 "Token has expired": expired, badly signed or outdated access token; expired refresh token.
    #[error("Token has expired")]
    TokenExpired,
    /// 401/10 "Token is outdated": a refresh token of a logged-out or revoked session.
    #[error("Token is outdated")]
    TokenOutdated,
    /// 401/10 with the message: a disabled or locked account ("User account is not active").
    #[error("{0}")]
    Unauthorized(String),
    /// 429/33 "Too many requests" (`TbRateLimitsException`).
    #[error("Too many requests")]
    TooManyRequests,
    /// 403/20.
    #[error("{PERMISSION_DENIED}")]
    PermissionDenied,
    /// 404/32 with a message such as `Asset with id [..] is not found`.
    #[error("{0}")]
    NotFound(String),
    /// 400/31 with the message.
    #[error("{0}")]
    BadRequest(String),
    /// 500/2 with the message.
    #[error("{0}")]
    General(String),
    /// A DeferredResult-style error: bare text body.
    #[error("{1}")]
    PlainText(StatusCode, String),
    /// A status with an empty body (RPC timeouts).
    #[error("{0}")]
    Status(StatusCode),
}

impl ApiError {
    pub(crate) fn asset_not_found(id: impl std::fmt::Display) -> Self {
        Self::NotFound(format!("Asset with id [{id}] is not found"))
    }

    pub(crate) fn device_not_found(id: impl std::fmt::Display) -> Self {
        Self::NotFound(format!("Device with id [{id}] is not found"))
    }

    /// The `(status, errorCode)` pair, for the JSON-bodied variants.
    fn json_parts(&self) -> Option<(StatusCode, i32)> {
        Some(match self {
            Self::AuthenticationFailed
            | Self::BadCredentials
            | Self::TokenOutdated
            | Self::Unauthorized(_) => (StatusCode::UNAUTHORIZED, code::AUTHENTICATION),
            Self::TooManyRequests => (StatusCode::TOO_MANY_REQUESTS, code::TOO_MANY_REQUESTS),
            Self::TokenExpired => (StatusCode::UNAUTHORIZED, code::JWT_TOKEN_EXPIRED),
            Self::PermissionDenied => (StatusCode::FORBIDDEN, code::PERMISSION_DENIED),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, code::ITEM_NOT_FOUND),
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, code::BAD_REQUEST_PARAMS),
            Self::General(_) => (StatusCode::INTERNAL_SERVER_ERROR, code::GENERAL),
            Self::PlainText(..) | Self::Status(_) => return None,
        })
    }

    /// The standard JSON body this error renders as, if it has one.
    pub(crate) fn body(&self) -> Option<ErrorBody> {
        let (status, error_code) = self.json_parts()?;
        Some(ErrorBody {
            status: status.as_u16(),
            message: Some(self.to_string()),
            error_code,
            timestamp: crate::clock::now_ms(),
            reset_token: None,
        })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::PlainText(status, text) => {
                (status, [(axum::http::header::CONTENT_TYPE, "text/plain;charset=UTF-8")], text)
                    .into_response()
            }
            Self::Status(status) => status.into_response(),
            other => {
                let status = other.json_parts().map_or(StatusCode::INTERNAL_SERVER_ERROR, |(s, _)| s);
                (status, Json(other.body())).into_response()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_match_thingsboard() {
        let body = ApiError::TokenExpired.body().unwrap();
        assert_eq!((body.status, body.error_code), (401, 11));
        assert_eq!(body.message.as_deref(), Some("Token has expired"));
        let body = ApiError::asset_not_found("x").body().unwrap();
        assert_eq!(body.message.as_deref(), Some("Asset with id [x] is not found"));
        assert_eq!((body.status, body.error_code), (404, 32));
        assert!(ApiError::Status(StatusCode::GATEWAY_TIMEOUT).body().is_none());
    }
}
