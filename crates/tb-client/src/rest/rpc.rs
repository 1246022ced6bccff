//! Server-side RPC. Status codes differ between the two URL families (`RpcV1Controller`, `RpcV2Controller`, `AbstractRpcController.reply`):
//! `/api/plugins/rpc` answers 409 for an offline device and 408 for no reply; `/api/rpc` answers 504 for both.

use crate::client::{Client, RequestSpec};
use crate::error::{Error, RpcFailure};
use serde_json::Value;
use std::time::Duration;
use tb_proto::rpc::{PersistentRpc, PersistentRpcId, RpcRequest};
use tb_proto::DeviceId;
use uuid::Uuid;

/// Which RPC endpoints to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RpcApi {
    /// `/api/plugins/rpc/...`: deprecated but served by every 3.x/4.x server, and the only one that
    /// tells an offline device (409) from a silent one (408).
    #[default]
    V1,
    /// `/api/rpc/...` (3.3+): 504 for both offline and silent.
    V2,
}

/// One device command.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcCall {
    pub method: String,
    pub params: Value,
    /// How long the server waits for the device; it raises anything under 5 s to 5 s.
    pub timeout: Duration,
    pub api: RpcApi,
}

impl RpcCall {
    pub fn new(method: impl Into<String>, params: Value) -> Self {
        Self { method: method.into(), params, timeout: Duration::from_secs(10), api: RpcApi::default() }
    }

    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn spec(&self, device: DeviceId, kind: &str) -> RequestSpec {
        self.spec_with(device, kind, false)
    }

    fn spec_with(&self, device: DeviceId, kind: &str, persistent: bool) -> RequestSpec {
        let prefix = match self.api {
            RpcApi::V1 => "api/plugins/rpc",
            RpcApi::V2 => "api/rpc",
        };
        let body = RpcRequest {
            method: self.method.clone(),
            params: self.params.clone(),
            timeout: Some(u64::try_from(self.timeout.as_millis()).unwrap_or(u64::MAX)),
            expiration_time: None,
            persistent: persistent.then_some(true),
            retries: None,
            additional_info: None,
        };
        let mut spec = RequestSpec::post(format!("{prefix}/{kind}/{device}"), &body);
        if persistent {
            // The server stores the request and answers at once.
            return spec;
        }
        // The server answers at the latest 1 s after expiry (min 5 s); leave room for the network.
        spec.timeout = Some(self.timeout.max(Duration::from_secs(5)) + Duration::from_secs(5));
        spec
    }

    fn classify(&self, err: Error) -> Error {
        match (&err, self.api) {
            (Error::Api { status: 409, .. }, RpcApi::V1) => Error::Rpc(RpcFailure::DeviceOffline),
            (Error::Api { status: 408, .. }, RpcApi::V1) | (Error::Api { status: 504, .. }, RpcApi::V2) => {
                Error::Rpc(RpcFailure::Timeout)
            }
            (Error::Api { status: 406, .. }, _) => Error::Rpc(RpcFailure::NonJsonReply),
            // Spring's own async timeout ("Request timeout", 500), a gateway timeout in front of the
            // server, or our own timeout: the command may have been delivered.
            (Error::Api { status: 500, message, .. }, _) if message.contains("timeout") => {
                Error::Rpc(RpcFailure::DeliveryUnknown)
            }
            (Error::UnexpectedResponse { status: 502..=504, .. }, _)
            | (Error::Timeout { .. }, _)
            | (Error::Transport(_), _) => Error::Rpc(RpcFailure::DeliveryUnknown),
            _ => err,
        }
    }
}

impl Client {
    /// Sends a one-way command: `Ok` once the server handed it to the device's connection.
    /// Never retried when the outcome is unknown.
    pub async fn rpc_oneway(&self, device: DeviceId, call: &RpcCall) -> Result<(), Error> {
        let raw = self.execute(&call.spec(device, "oneway")).await.map_err(|e| call.classify(e))?;
        raw.empty().map_err(|e| call.classify(e))
    }

    /// Sends a two-way command and returns the device's JSON reply (`Null` for an empty reply).
    pub async fn rpc_twoway(&self, device: DeviceId, call: &RpcCall) -> Result<Value, Error> {
        let raw = self.execute(&call.spec(device, "twoway")).await.map_err(|e| call.classify(e))?;
        if raw.status.is_success() && raw.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        raw.json().map_err(|e| call.classify(e))
    }

    /// Stores a two-way command on the server (`"persistent": true`, 3.3+) and returns its RPC id
    /// at once; the server delivers it when the device is connected, until the call's timeout
    /// expires. Follow it with [`Client::persistent_rpc`]. Never retried when the outcome is unknown.
    pub async fn rpc_persistent(&self, device: DeviceId, call: &RpcCall) -> Result<Uuid, Error> {
        self.send_persistent(device, call, "twoway").await
    }

    /// Like [`Client::rpc_persistent`] for a one-way command (it ends at `DELIVERED`).
    pub async fn rpc_persistent_oneway(&self, device: DeviceId, call: &RpcCall) -> Result<Uuid, Error> {
        self.send_persistent(device, call, "oneway").await
    }

    async fn send_persistent(&self, device: DeviceId, call: &RpcCall, kind: &str) -> Result<Uuid, Error> {
        let raw = self.execute(&call.spec_with(device, kind, true)).await.map_err(|e| call.classify(e))?;
        let id: PersistentRpcId = raw.json().map_err(|e| call.classify(e))?;
        Ok(id.rpc_id)
    }

    /// A stored persistent RPC with its status and, once the device answered, its reply
    /// (`GET /api/rpc/persistent/{rpcId}`).
    pub async fn persistent_rpc(&self, id: Uuid) -> Result<PersistentRpc, Error> {
        self.get_json(RequestSpec::get(format!("api/rpc/persistent/{id}"))).await
    }
}
