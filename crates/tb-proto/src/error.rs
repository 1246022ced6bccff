//! The standard error body (`ThingsboardErrorResponse`) and its error codes.

use serde::{Deserialize, Serialize};

/// `{"status": 401, "message": "Token has expired", "errorCode": 11, "timestamp": ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    pub status: u16,
    #[serde(default)]
    pub message: Option<String>,
    pub error_code: i32,
    #[serde(default)]
    pub timestamp: i64,
    /// Only on "credentials expired" (code 15).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset_token: Option<String>,
}

/// `ThingsboardErrorCode` values.
pub mod code {
    pub const GENERAL: i32 = 2;
    pub const AUTHENTICATION: i32 = 10;
    pub const JWT_TOKEN_EXPIRED: i32 = 11;
    pub const CREDENTIALS_EXPIRED: i32 = 15;
    pub const PERMISSION_DENIED: i32 = 20;
    pub const INVALID_ARGUMENTS: i32 = 30;
    pub const BAD_REQUEST_PARAMS: i32 = 31;
    pub const ITEM_NOT_FOUND: i32 = 32;
    pub const TOO_MANY_REQUESTS: i32 = 33;
    pub const TOO_MANY_UPDATES: i32 = 34;
    pub const VERSION_CONFLICT: i32 = 35;
    pub const SUBSCRIPTION_VIOLATION: i32 = 40;
    pub const ENTITIES_LIMIT_EXCEEDED: i32 = 41;
    pub const PASSWORD_VIOLATION: i32 = 45;
    pub const DATABASE: i32 = 46;
}
