//! Server-side RPC request bodies (`/api/plugins/rpc/...` and `/api/rpc/...`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The body of a one-way or two-way RPC. `params` is always sent (`{}` when there are none).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RpcRequest {
    pub method: String,
    pub params: Value,
    /// Milliseconds; the server raises anything under 5000 to 5000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persistent: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_info: Option<Value>,
}

/// The answer to a persistent RPC: `{"rpcId": "<uuid>"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersistentRpcId {
    pub rpc_id: uuid::Uuid,
}

/// The RPC message the device receives on `v1/devices/me/rpc/request/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceRpcRequest {
    pub method: String,
    pub params: Value,
}

/// `RpcStatus`: where a persistent RPC is. A one-way RPC ends at `Delivered`, a two-way one at
/// `Successful` (or `Timeout`, `Expired`, `Failed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RpcStatus {
    Queued,
    Sent,
    Delivered,
    Successful,
    Timeout,
    Expired,
    Failed,
    Deleted,
}

impl RpcStatus {
    /// Every status, in the server's declaration order.
    pub const ALL: [RpcStatus; 8] = [
        Self::Queued,
        Self::Sent,
        Self::Delivered,
        Self::Successful,
        Self::Timeout,
        Self::Expired,
        Self::Failed,
        Self::Deleted,
    ];

    /// The wire name (`"QUEUED"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "QUEUED",
            Self::Sent => "SENT",
            Self::Delivered => "DELIVERED",
            Self::Successful => "SUCCESSFUL",
            Self::Timeout => "TIMEOUT",
            Self::Expired => "EXPIRED",
            Self::Failed => "FAILED",
            Self::Deleted => "DELETED",
        }
    }

    /// Parses a wire name case-sensitively, like `RpcStatus.valueOf`.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// No further change will happen (the RPC is done one way or another).
    pub fn is_final(self) -> bool {
        !matches!(self, Self::Queued | Self::Sent)
    }
}

/// `ToDeviceRpcRequestBody` as stored: `params` is the params re-serialized as a JSON *string*.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersistentRpcBody {
    pub method: String,
    pub params: String,
}

/// `ToDeviceRpcRequest` as stored in a persistent RPC's `request`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersistentRpcRequest {
    pub id: uuid::Uuid,
    pub oneway: bool,
    pub expiration_time: i64,
    pub persisted: bool,
    #[serde(default)]
    pub retries: Option<i32>,
    pub body: PersistentRpcBody,
    pub tenant_id: crate::EntityId,
    pub device_id: crate::DeviceId,
}

/// A persistent RPC as `GET /api/rpc/persistent/{rpcId}` answers it (`Rpc`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersistentRpc {
    pub id: crate::EntityId,
    pub created_time: i64,
    pub tenant_id: crate::EntityId,
    pub device_id: crate::DeviceId,
    pub expiration_time: i64,
    pub request: PersistentRpcRequest,
    /// The device's reply (two-way, `Successful`); `{"error": "..."}` for a reply that was not JSON.
    #[serde(default)]
    pub response: Option<Value>,
    pub status: RpcStatus,
    #[serde(default)]
    pub additional_info: Option<Value>,
}

/// An RPC as the device HTTP API hands it to a long-polling device
/// (`GET /api/v1/{accessToken}/rpc`): `{"id": 1, "method": "...", "params": ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceHttpRpcRequest {
    pub id: i32,
    pub method: String,
    pub params: Value,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn persistent_rpc_matches_the_reference_example() {
        let text = json!({"id": {"entityType": "RPC", "id": "b1c2d3e4-5f60-4a1b-9c2d-3e4f5a6b7c8d"}, "createdTime": 1751450500000_i64,
            "tenantId": {"entityType": "TENANT", "id": "1a2b3c40-3b7e-11ef-9a1d-1b2c3d4e5f60"},
            "deviceId": {"entityType": "DEVICE", "id": "6c0a1e20-3b7e-11ef-9a1d-1b2c3d4e5f60"}, "expirationTime": 1751450560000_i64,
            "request": {"id": "b1c2d3e4-5f60-4a1b-9c2d-3e4f5a6b7c8d", "oneway": false, "expirationTime": 1751450560000_i64,
                        "persisted": true, "retries": 2, "body": {"method": "setValve", "params": "{\"zone\":3,\"open\":true}"},
                        "tenantId": {"entityType": "TENANT", "id": "1a2b3c40-3b7e-11ef-9a1d-1b2c3d4e5f60"},
                        "deviceId": {"entityType": "DEVICE", "id": "6c0a1e20-3b7e-11ef-9a1d-1b2c3d4e5f60"}},
            "response": {"ok": true}, "status": "SUCCESSFUL", "additionalInfo": {"requestedBy": "mobile"}});
        let rpc: PersistentRpc = serde_json::from_value(text.clone()).unwrap();
        assert_eq!(rpc.status, RpcStatus::Successful);
        assert_eq!(rpc.request.body.params, "{\"zone\":3,\"open\":true}");
        assert_eq!(serde_json::to_value(&rpc).unwrap(), text);
        assert_eq!(RpcStatus::parse("EXPIRED"), Some(RpcStatus::Expired));
        assert_eq!(RpcStatus::parse("expired"), None);
        assert!(!RpcStatus::Sent.is_final() && RpcStatus::Delivered.is_final());
    }
}
