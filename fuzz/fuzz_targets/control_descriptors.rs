//! Control descriptors: an `atriumControls` attribute, whatever an administrator (or anyone
//! able to write a shared attribute) put in it, is refused with a reason or resolves to controls
//! the UI can show and operate: ids unique, bounds usable, every action planned or refused, and
//! nothing outside the bounds sent.
//! Input: JSON `{"controls": <the attribute's value>, "attributes": {shared attributes},
//! "telemetry": [keys], "attributeKeys": [keys], "known": bool, "value": n, "reply": <a two-way
//! reply>}`; anything else is taken as the attribute's value itself (text that is not JSON as
//! the string form ThingsBoard stores).

#![no_main]

use atrium_core::fuzzing::{controls, rpc_reply, Control};
use atrium_ipc::{ControlAction, ControlDescriptor, ControlKind};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};

fn strings(value: Option<&Value>) -> Vec<String> {
    let items = value.and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()
}

/// `value` is sent only if it is within the bounds (up to the hair of slack the core allows).
fn check_bounded(control: &Control, min: f64, max: f64, step: f64, set: fn(f64) -> ControlAction) {
    assert!(min.is_finite() && max.is_finite() && step.is_finite(), "{:?}", control.descriptor());
    assert!(min < max && step > 0.0, "{:?}", control.descriptor());
    for inside in [min, max, min / 2.0 + max / 2.0] {
        assert!(control.plan(&set(inside)).is_ok(), "{inside} refused by {:?}", control.descriptor());
    }
    let outside = min - (max - min);
    if outside.is_finite() && outside < min {
        assert!(control.plan(&set(outside)).is_err(), "{outside} sent by {:?}", control.descriptor());
    }
    for refused in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        assert!(control.plan(&set(refused)).is_err());
    }
}

fn check_value(control: &Control, value: f64) {
    let (min, max, set): (f64, f64, fn(f64) -> ControlAction) = match control.descriptor().kind {
        ControlKind::Setpoint { min, max, .. } => (min, max, |value| ControlAction::SetSetpoint { value }),
        ControlKind::Level { min, max, .. } => (min, max, |value| ControlAction::SetLevel { value }),
        ControlKind::Cover { .. } => (0.0, 100.0, |position| ControlAction::SetCoverPosition { position }),
        _ => return,
    };
    if control.plan(&set(value)).is_ok() {
        // Generous: twice the core's slack, computed without overflowing.
        let slack = (max / 2.0 - min / 2.0) * 4e-9;
        assert!(value >= min - slack && value <= max + slack, "{value} sent by {:?}", control.descriptor());
    }
}

fn check(control: &Control, value: f64, reply: &Value) {
    let d: &ControlDescriptor = control.descriptor();
    assert!(!d.id.is_empty() && d.id.trim() == d.id, "{d:?}");
    assert!(!d.label.trim().is_empty(), "{d:?}");
    assert!((1..=86_400_000).contains(&d.timeout_ms), "{d:?}");
    // The UI reads what the core sends.
    let json = serde_json::to_string(d).expect("a descriptor serializes");
    let _: ControlDescriptor = serde_json::from_str(&json).expect("the UI reads a descriptor back");
    let all = [
        ControlAction::SetSwitch { on: true },
        ControlAction::SetSetpoint { value },
        ControlAction::SetLevel { value },
        ControlAction::OpenCover,
        ControlAction::CloseCover,
        ControlAction::StopCover,
        ControlAction::SetCoverPosition { position: value },
        ControlAction::SetLocked { locked: false },
    ];
    for action in &all {
        let _ = control.plan(action);
    }
    match d.kind {
        ControlKind::Switch { .. } => {
            assert!(control.plan(&ControlAction::SetSwitch { on: false }).is_ok());
            assert!(control.plan(&ControlAction::OpenCover).is_err());
        }
        ControlKind::Setpoint { min, max, step, .. } => {
            check_bounded(control, min, max, step, |value| ControlAction::SetSetpoint { value })
        }
        ControlKind::Level { min, max, step, .. } => {
            check_bounded(control, min, max, step, |value| ControlAction::SetLevel { value })
        }
        ControlKind::Cover { .. } => {
            for action in [ControlAction::OpenCover, ControlAction::CloseCover, ControlAction::StopCover] {
                assert!(control.plan(&action).is_ok(), "{action:?} refused by {d:?}");
            }
            check_bounded(control, 0.0, 100.0, 1.0, |position| ControlAction::SetCoverPosition { position });
        }
        ControlKind::Lock { .. } => {
            assert!(control.plan(&ControlAction::SetLocked { locked: true }).is_ok());
            assert!(control.plan(&ControlAction::SetSwitch { on: true }).is_err());
        }
        _ => {}
    }
    check_value(control, value);
    let (state, refusal) = rpc_reply(reply, &d.state);
    if let Some(state) = state {
        assert!(state != tb_client::TbValue::Missing);
    }
    if let Some(refusal) = refusal {
        assert!(refusal.starts_with("The device refused"), "{refusal}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let input = serde_json::from_str::<Value>(text).unwrap_or_else(|_| Value::String(text.to_owned()));
    let (value, attributes, telemetry, attribute_keys, known, number, reply) =
        match input.as_object().filter(|o| o.contains_key("controls")) {
            Some(o) => {
                let attributes: HashMap<String, Value> = o
                    .get("attributes")
                    .and_then(Value::as_object)
                    .map(|a| a.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default();
                (
                    o["controls"].clone(),
                    attributes,
                    strings(o.get("telemetry")),
                    strings(o.get("attributeKeys")),
                    o.get("known").and_then(Value::as_bool).unwrap_or(true),
                    o.get("value").and_then(Value::as_f64).unwrap_or(21.5),
                    o.get("reply").cloned().unwrap_or(Value::Null),
                )
            }
            None => (input, HashMap::new(), vec![], vec![], false, 21.5, Value::Null),
        };
    let Ok(resolved) = controls(&value, &attributes, &telemetry, &attribute_keys, known) else { return };
    let ids: BTreeSet<&str> = resolved.iter().map(|c| c.descriptor().id.as_str()).collect();
    assert_eq!(ids.len(), resolved.len(), "ids are unique");
    for control in &resolved {
        check(control, number, &reply);
    }
});
