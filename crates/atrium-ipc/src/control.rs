use serde::{Deserialize, Serialize};

/// A control a building manager can operate on a device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ControlDescriptor {
    /// Stable within the device, e.g. `power`.
    pub id: String,
    pub label: String,
    pub kind: ControlKind,
    /// Asks the person to confirm before sending.
    pub critical: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ControlKind {
    /// On/off; the device reports its state in the telemetry key `state_key`.
    #[serde(rename_all = "camelCase")]
    Switch { state_key: String },
}

/// Arguments of `operate_control`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ControlCommand {
    pub device_id: String,
    pub control_id: String,
    pub action: ControlAction,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ControlAction {
    SetSwitch { on: bool },
}

/// The server accepted the command. For a one-way command that means it was handed to the
/// device's connection; confirmation comes when the device reports the new state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ControlAck {
    /// The device's reply for a two-way command.
    pub reply: Option<serde_json::Value>,
    /// Wall-clock ms when the server accepted it; a report newer than this confirms it.
    pub accepted_at_ms: i64,
}
