use serde::{Deserialize, Serialize};

/// Health of the live connection; a separate stream, never an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ConnectionState {
    Connecting,
    Connected,
    #[serde(rename_all = "camelCase")]
    Reconnecting {
        attempt: u32,
        retry_in_ms: u64,
    },
    Offline {
        reason: String,
    },
    Closed,
}

/// A telemetry value, parsed once from ThingsBoard's text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", content = "v", rename_all = "snake_case")]
pub enum TelemetryValue {
    Number(f64),
    Bool(bool),
    Text(String),
    /// The key has no data (never written, or deleted).
    Missing,
}

impl std::fmt::Display for TelemetryValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Number(n) => write!(f, "{n}"),
            Self::Bool(b) => write!(f, "{b}"),
            Self::Text(t) => f.write_str(t),
            Self::Missing => f.write_str("—"),
        }
    }
}

/// One key's value with the server's timestamp (ms).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveValue {
    pub key: String,
    pub ts: i64,
    pub value: TelemetryValue,
}

/// Values for one watched device, coalesced (latest per key). A snapshot replaces what the UI
/// holds for the device; a delta merges into it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TelemetryBatch {
    pub device_id: String,
    pub snapshot: bool,
    pub values: Vec<LiveValue>,
}

/// Arguments of `watch_device`, besides the channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WatchArgs {
    pub device_id: String,
}

/// Handle of a watch; `unwatch` ends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WatchId(pub u64);
