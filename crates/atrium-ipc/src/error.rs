use serde::{Deserialize, Serialize};
use std::fmt;

/// What went wrong, as the UI branches on it. Mapped once from `tb_client::Error` in `atrium-core`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// The server URL is not a usable http(s) URL.
    InvalidUrl,
    BadCredentials,
    /// The account is disabled or locked.
    AccountLocked,
    /// The server wants a second factor.
    TwoFactorRequired,
    /// The second factor's code was wrong or has expired; the code screen stays.
    TwoFactorRejected,
    /// The two-factor sign-in took too long: start again with the password.
    TwoFactorExpired,
    /// The server requires two-factor authentication and the account has not set it up.
    TwoFactorSetupRequired,
    /// The refresh token died: log in again.
    SessionExpired,
    NotLoggedIn,
    PermissionDenied,
    NotFound,
    /// The host could not be reached (DNS, refused, unreachable, timed out).
    Network,
    /// The TLS handshake failed (wrong name, expired certificate, no common protocol).
    Tls,
    /// The server's certificate is signed by a CA this device does not trust: trusting that CA fixes it.
    UntrustedCertificate,
    /// A password would be sent without encryption (`http://` to another machine) and the person
    /// has not agreed to it.
    InsecureConnection,
    /// The server answered 5xx.
    Server,
    /// The answer was not what a ThingsBoard server sends (an HTML page from a proxy, bad JSON).
    BadResponse,
    /// The device has no active connection.
    DeviceOffline,
    /// The device did not answer in time.
    DeviceTimeout,
    /// The command may or may not have reached the device; it was not retried.
    DeliveryUnknown,
    /// The request was refused as invalid.
    InvalidRequest,
    Internal,
}

/// The error every command returns: `{"code": "...", "message": "...", "retryable": bool}`.
/// `message` is a sentence for a person: what happened and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    pub retryable: bool,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>, retryable: bool) -> Self {
        Self { code, message: message.into(), retryable }
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AppError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_error_json_is_stable() {
        let e = AppError::new(ErrorCode::SessionExpired, "Your session has ended. Log in again.", false);
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"code":"session_expired","message":"Your session has ended. Log in again.","retryable":false}"#
        );
    }
}
