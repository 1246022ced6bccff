use crate::{LiveValue, TelemetryValue};
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
    /// Where the device's state is read; the control's readings (`watch_controls`) come from it.
    pub state: StateSource,
    /// How long a command waits for the device to report the requested state.
    pub timeout_ms: u64,
}

/// Where a control's state is read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum StateSource {
    /// A latest time-series value.
    Telemetry { key: String },
    /// An attribute of any scope.
    Attribute { key: String },
    /// A two-way RPC method answering the state, read when the device is opened and after
    /// each command.
    Rpc { method: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ControlKind {
    /// On/off; the device reports its state in the telemetry key `state_key`.
    #[serde(rename_all = "camelCase")]
    Switch { state_key: String },
    /// A target value (a thermostat's setpoint) within `min..=max`, changed in `step`s; the device
    /// reports the value it holds in `state_key`.
    #[serde(rename_all = "camelCase")]
    Setpoint {
        state_key: String,
        min: f64,
        max: f64,
        step: f64,
        /// Shown after the value, e.g. `°C`.
        #[serde(default)]
        unit: Option<String>,
    },
    /// A level such as brightness within `min..=max` (normally 0–100); reported in `state_key`.
    #[serde(rename_all = "camelCase")]
    Level {
        state_key: String,
        min: f64,
        max: f64,
        step: f64,
        #[serde(default)]
        unit: Option<String>,
    },
    /// Blinds or shutters: open, close, stop, or a position from 0 (closed) to 100 (open),
    /// reported in `state_key`.
    #[serde(rename_all = "camelCase")]
    Cover { state_key: String },
    /// A lock; the device reports `true` (locked) or `false` in `state_key`.
    #[serde(rename_all = "camelCase")]
    Lock { state_key: String },
}

impl ControlKind {
    /// Where the device reports this control's state: the key of its [`StateSource`], or the
    /// get method's name.
    pub fn state_key(&self) -> &str {
        match self {
            Self::Switch { state_key }
            | Self::Setpoint { state_key, .. }
            | Self::Level { state_key, .. }
            | Self::Cover { state_key }
            | Self::Lock { state_key } => state_key,
        }
    }
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
    SetSwitch {
        on: bool,
    },
    /// A setpoint's new target; refused when outside the control's bounds.
    SetSetpoint {
        value: f64,
    },
    /// A level's new value; refused when outside the control's bounds.
    SetLevel {
        value: f64,
    },
    OpenCover,
    CloseCover,
    StopCover,
    /// A cover's position, 0 (closed) to 100 (open).
    SetCoverPosition {
        position: f64,
    },
    /// Lock (`true`) or unlock (`false`).
    SetLocked {
        locked: bool,
    },
}

/// The server accepted the command. For a one-way command that means it was handed to the
/// device's connection; confirmation comes when the device reports what `expect` describes in a
/// reading newer than the last one before the command (device and server time, never the
/// phone's clock), or right here in `state`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ControlAck {
    /// The device's reply for a two-way command.
    pub reply: Option<serde_json::Value>,
    /// The state the device answered with, in a two-way reply that states it or from its get
    /// method read after the command: it confirms the command or says it did not take.
    pub state: Option<crate::TelemetryValue>,
    /// The reading that confirms the command.
    pub expect: Expectation,
    /// How long to wait for the device's report, from the descriptor.
    pub timeout_ms: u64,
}

/// The reading that confirms a command, decided by the backend from the control and the action
/// so that every screen waits for the same thing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "report", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Expectation {
    /// On or off (a switch), locked or unlocked (a lock).
    State { on: bool },
    /// A number within `tolerance` of `value` (devices round).
    Number { value: f64, tolerance: f64 },
    /// Any new reading (a cover's stop).
    AnyReport,
}

impl Expectation {
    /// Whether `value` is what this expects, whenever it was read.
    pub fn matches(&self, value: &TelemetryValue) -> bool {
        match self {
            Self::State { on } => reported_state(value) == Some(*on),
            Self::Number { value: want, tolerance } => {
                value.as_f64().is_some_and(|n| (n - want).abs() <= *tolerance)
            }
            Self::AnyReport => !matches!(value, TelemetryValue::Missing),
        }
    }

    /// Whether `reading` confirms a command sent when the newest reading was stamped `before_ts`
    /// (`None`: there was none). Both stamps are the device's or the server's.
    pub fn confirmed_by(&self, reading: &LiveValue, before_ts: Option<i64>) -> bool {
        before_ts.is_none_or(|before| reading.ts > before) && self.matches(&reading.value)
    }
}

/// A reported state read as on/off, or a lock's `locked`/`unlocked`.
pub fn reported_state(value: &TelemetryValue) -> Option<bool> {
    value.as_bool().or_else(|| match value {
        TelemetryValue::Text(t) => match t.trim().to_ascii_lowercase().as_str() {
            "locked" => Some(true),
            "unlocked" => Some(false),
            _ => None,
        },
        _ => None,
    })
}

/// How long a command queued for an offline device waits on the server for it to come back.
pub const QUEUE_FOR_MS: u64 = 60 * 60 * 1000;

/// A command stored on the server (a persistent RPC) for a device that is offline: it goes when
/// the device is back, until [`QUEUE_FOR_MS`] has passed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueuedCommand {
    /// The server's id of the stored command, to ask how it went.
    pub rpc_id: String,
    /// How long the server keeps trying.
    pub expires_in_ms: u64,
    /// The reading that confirms it once delivered.
    pub expect: Expectation,
}

/// Arguments naming a queued command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueuedArgs {
    pub rpc_id: String,
}

/// Where a queued command is, as the server says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum QueuedState {
    /// Waiting for the device to come back.
    Queued,
    /// Handed to the device's connection, not acknowledged yet.
    Sent,
    /// The device took it (a one-way command ends here).
    Delivered,
    /// The device answered it (a two-way command ends here).
    Answered,
    /// The device did not come back (or did not answer) before it expired.
    Expired,
    /// The server gave up on it, or it was deleted.
    Failed,
}

impl QueuedState {
    /// Nothing more will happen to it.
    pub fn is_final(self) -> bool {
        !matches!(self, Self::Queued | Self::Sent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_actions_are_tagged() {
        let kind = ControlKind::Setpoint {
            state_key: "setpoint".into(),
            min: 16.0,
            max: 28.0,
            step: 0.5,
            unit: None,
        };
        let v = serde_json::to_value(&kind).unwrap();
        assert_eq!(v["kind"], "setpoint");
        assert_eq!(v["stateKey"], "setpoint");
        assert_eq!(kind.state_key(), "setpoint");
        let action = serde_json::to_value(ControlAction::SetCoverPosition { position: 40.0 }).unwrap();
        assert_eq!(action, serde_json::json!({"action": "set_cover_position", "position": 40.0}));
        let back: ControlAction =
            serde_json::from_value(serde_json::json!({"action": "open_cover"})).unwrap();
        assert_eq!(back, ControlAction::OpenCover);
        let source = serde_json::to_value(StateSource::Rpc { method: "getValue".into() }).unwrap();
        assert_eq!(source, serde_json::json!({"from": "rpc", "method": "getValue"}));
    }

    fn reading(ts: i64, value: TelemetryValue) -> LiveValue {
        LiveValue { key: "state".into(), ts, value }
    }

    #[test]
    fn a_command_is_confirmed_by_a_newer_reading_of_what_it_asked() {
        let on = Expectation::State { on: true };
        assert!(on.confirmed_by(&reading(2_000, TelemetryValue::Bool(true)), Some(1_000)));
        assert!(on.confirmed_by(&reading(2_000, TelemetryValue::Text("ON".into())), None));
        assert!(!on.confirmed_by(&reading(1_000, TelemetryValue::Bool(true)), Some(1_000)), "not newer");
        assert!(!on.confirmed_by(&reading(2_000, TelemetryValue::Bool(false)), Some(1_000)));
        let locked = Expectation::State { on: true };
        assert!(locked.matches(&TelemetryValue::Text("Locked".into())));
        assert!(!locked.matches(&TelemetryValue::Text("unlocked".into())));
        let setpoint = Expectation::Number { value: 22.5, tolerance: 0.005 };
        assert!(setpoint.matches(&TelemetryValue::Text("22.5".into())));
        assert!(!setpoint.matches(&TelemetryValue::Number(22.6)));
        assert!(Expectation::AnyReport.confirmed_by(&reading(3, TelemetryValue::Number(0.0)), Some(2)));
        assert!(!Expectation::AnyReport.matches(&TelemetryValue::Missing));
        let wire = serde_json::to_value(&setpoint).unwrap();
        assert_eq!(wire, serde_json::json!({"report": "number", "value": 22.5, "tolerance": 0.005}));
    }
}
