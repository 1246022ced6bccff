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
