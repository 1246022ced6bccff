//! What a building manager can do with a device, and the RPC each action becomes.
//! The mapping is data keyed by device type (profile name).

use atrium_ipc::{AppError, ControlAction, ControlDescriptor, ControlKind, ErrorCode};
use serde_json::{json, Value};

/// How one control is operated over RPC.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ControlBinding {
    pub(crate) descriptor: ControlDescriptor,
    pub(crate) method: String,
    pub(crate) two_way: bool,
}

fn switch(id: &str, label: &str, state_key: &str, method: &str) -> ControlBinding {
    ControlBinding {
        descriptor: ControlDescriptor {
            id: id.into(),
            label: label.into(),
            kind: ControlKind::Switch { state_key: state_key.into() },
            critical: false,
        },
        method: method.into(),
        two_way: false,
    }
}

/// The controls of a device type; sensors have none.
pub(crate) fn bindings_for(device_type: &str) -> Vec<ControlBinding> {
    match device_type.to_lowercase().as_str() {
        "light" | "lamp" | "smart-light" => vec![switch("power", "Power", "state", "setState")],
        "plug" | "smart-plug" | "smart plug" => vec![switch("power", "Power", "state", "setState")],
        _ => Vec::new(),
    }
}

/// The descriptors the UI shows for a device type.
pub fn controls_for(device_type: &str) -> Vec<ControlDescriptor> {
    bindings_for(device_type).into_iter().map(|b| b.descriptor).collect()
}

impl ControlBinding {
    /// The RPC params for an action, or an error if the action does not fit this control.
    pub(crate) fn params(&self, action: &ControlAction) -> Result<Value, AppError> {
        match (&self.descriptor.kind, action) {
            (ControlKind::Switch { .. }, ControlAction::SetSwitch { on }) => Ok(json!(on)),
            #[allow(unreachable_patterns)]
            _ => Err(AppError::new(
                ErrorCode::InvalidRequest,
                "That action does not apply to this control.",
                false,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lights_have_a_power_switch_and_sensors_nothing() {
        let light = bindings_for("light");
        assert_eq!(light.len(), 1);
        assert_eq!(light[0].method, "setState");
        assert_eq!(light[0].params(&ControlAction::SetSwitch { on: true }).unwrap(), json!(true));
        assert!(controls_for("air-quality").is_empty());
    }
}
