//! What a building manager can do with a device, and the RPC each action becomes.
//!
//! The mapping is data: [`ControlMap`] (the standard one is `control_map.json`, next to this file)
//! maps device types (profile names) to a list of [`ControlSpec`]s. A spec names only what differs
//! from its kind's defaults (see [`SpecKind`]), and is resolved per device against the device's
//! shared attributes (a thermostat's `minSetpoint`, `maxSetpoint`, `step`). An administrator can
//! replace the controls, without an app update, with a [`CONTROLS_ATTRIBUTE`] attribute holding a
//! JSON list of specs in the same format (as JSON or as a string of JSON): a SERVER_SCOPE one on a
//! device profile for all its devices, a SHARED_SCOPE one on a device for that device, which wins.
//! A malformed override is reported and ignored: the next one in that order, or the standard
//! controls, apply. Customer users cannot read a profile's attributes, so they get the standard
//! controls (or the device's own override).
//!
//! ```json
//! [{"id": "setpoint", "kind": "setpoint", "label": "Comfort", "min": 18, "max": 24, "step": 0.5},
//!  {"id": "lock", "kind": "lock", "critical": false, "methods": {"lock": "secure"}}]
//! ```

use atrium_ipc::{AppError, ControlAction, ControlDescriptor, ControlKind, ErrorCode};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::LazyLock;
use tb_client::TbValue;

/// The attribute that overrides the controls: SHARED_SCOPE on a device, SERVER_SCOPE on a device profile.
pub const CONTROLS_ATTRIBUTE: &str = "atriumControls";

/// Device types -> controls. Types match case-insensitively; an unknown type has no controls.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ControlMap {
    #[serde(default)]
    pub profiles: Vec<ProfileControls>,
}

/// The controls of every device whose type is one of `types`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProfileControls {
    pub types: Vec<String>,
    #[serde(default)]
    pub controls: Vec<ControlSpec>,
}

/// One control as data. Everything but `id` and `kind` falls back to the kind's defaults.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ControlSpec {
    /// Unique within the device, e.g. `power`.
    pub id: String,
    pub kind: SpecKind,
    #[serde(default)]
    pub label: Option<String>,
    /// The telemetry key where the device reports the control's state.
    #[serde(default)]
    pub state_key: Option<String>,
    /// Asks for confirmation before sending (locks default to true).
    #[serde(default)]
    pub critical: Option<bool>,
    /// Whether the RPC waits for the device's reply.
    #[serde(default)]
    pub two_way: Option<bool>,
    /// Action -> RPC method, over the kind's defaults. Actions: `set` (switch, setpoint, level),
    /// `open`, `close`, `stop`, `setPosition` (cover), `lock`, `unlock` (lock).
    #[serde(default)]
    pub methods: BTreeMap<String, String>,
    /// Bounds of a setpoint or level. A number given here wins over the attributes below.
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    #[serde(default)]
    pub step: Option<f64>,
    /// Shared attributes holding the bounds (a setpoint's default to `minSetpoint`, `maxSetpoint`, `step`).
    #[serde(default)]
    pub min_attribute: Option<String>,
    #[serde(default)]
    pub max_attribute: Option<String>,
    #[serde(default)]
    pub step_attribute: Option<String>,
    /// Shown after a setpoint's or level's value.
    #[serde(default)]
    pub unit: Option<String>,
}

/// The kinds of control, each with its defaults:
///
/// | kind | state key | methods (params) | two-way | critical | bounds |
/// |---|---|---|---|---|---|
/// | `switch` | `state` | set: `setState` (bare `true`/`false`) | no | no | |
/// | `setpoint` | `setpoint` | set: `setTemperature` (`{"value": n}`) | yes | no | 10..30 step 0.5, from attributes `minSetpoint`/`maxSetpoint`/`step` |
/// | `level` | `brightness` | set: `setBrightness` (`{"value": n}`) | no | no | 0..100 step 1 |
/// | `cover` | `position` | `open`, `close`, `stop` (`{}`), `setPosition` (`{"value": n}`, 0 closed..100 open) | no | no | |
/// | `lock` | `locked` | `lock`, `unlock` (`{}`) | yes | yes | |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpecKind {
    #[default]
    Switch,
    Setpoint,
    Level,
    Cover,
    Lock,
}

struct KindDefaults {
    label: &'static str,
    state_key: &'static str,
    methods: &'static [(&'static str, &'static str)],
    two_way: bool,
    critical: bool,
    bounds: Option<BoundDefaults>,
}

/// A setpoint's or level's default bounds, and the attributes that may hold them.
#[derive(Debug, Clone, Copy)]
struct BoundDefaults {
    min: f64,
    max: f64,
    step: f64,
    /// Attribute names for min, max and step.
    attributes: [Option<&'static str>; 3],
}

impl SpecKind {
    fn defaults(self) -> KindDefaults {
        match self {
            Self::Switch => KindDefaults {
                label: "Power",
                state_key: "state",
                methods: &[("set", "setState")],
                two_way: false,
                critical: false,
                bounds: None,
            },
            Self::Setpoint => KindDefaults {
                label: "Setpoint",
                state_key: "setpoint",
                methods: &[("set", "setTemperature")],
                two_way: true,
                critical: false,
                bounds: Some(BoundDefaults {
                    min: 10.0,
                    max: 30.0,
                    step: 0.5,
                    attributes: [Some("minSetpoint"), Some("maxSetpoint"), Some("step")],
                }),
            },
            Self::Level => KindDefaults {
                label: "Level",
                state_key: "brightness",
                methods: &[("set", "setBrightness")],
                two_way: false,
                critical: false,
                bounds: Some(LEVEL_BOUNDS),
            },
            Self::Cover => KindDefaults {
                label: "Position",
                state_key: "position",
                methods: &[
                    ("open", "open"),
                    ("close", "close"),
                    ("stop", "stop"),
                    ("setPosition", "setPosition"),
                ],
                two_way: false,
                critical: false,
                bounds: None,
            },
            Self::Lock => KindDefaults {
                label: "Lock",
                state_key: "locked",
                methods: &[("lock", "lock"), ("unlock", "unlock")],
                two_way: true,
                critical: true,
                bounds: None,
            },
        }
    }
}

const LEVEL_BOUNDS: BoundDefaults = BoundDefaults { min: 0.0, max: 100.0, step: 1.0, attributes: [None; 3] };

static STANDARD: LazyLock<ControlMap> = LazyLock::new(|| {
    serde_json::from_str(include_str!("control_map.json")).expect("control_map.json is a valid ControlMap")
});

impl ControlMap {
    /// The mapping Atrium ships with (`control_map.json`).
    pub fn standard() -> &'static ControlMap {
        &STANDARD
    }

    /// The specs for a device type; empty for sensors and unknown types.
    pub fn specs_for(&self, device_type: &str) -> &[ControlSpec] {
        let wanted = device_type.trim();
        self.profiles
            .iter()
            .find(|p| p.types.iter().any(|t| t.trim().eq_ignore_ascii_case(wanted)))
            .map_or(&[], |p| &p.controls)
    }
}

/// Shared attributes by key.
pub(crate) type Attributes = HashMap<String, Value>;

/// The shared attributes `specs` read their bounds from.
pub(crate) fn attribute_keys(specs: &[ControlSpec]) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for spec in specs {
        let defaults = spec.kind.defaults();
        let Some(BoundDefaults { attributes: attrs, .. }) = defaults.bounds else { continue };
        let named = [&spec.min_attribute, &spec.max_attribute, &spec.step_attribute];
        for (own, default) in named.into_iter().zip(attrs) {
            if let Some(key) = own.as_deref().or(default) {
                keys.insert(key.to_owned());
            }
        }
    }
    keys
}

/// Reads an `atriumControls` value: a JSON list of specs, or a string holding one.
pub(crate) fn parse_override(value: &Value) -> Result<Vec<ControlSpec>, String> {
    let parsed;
    let list = match value {
        Value::String(text) => {
            parsed = serde_json::from_str::<Value>(text).map_err(|e| format!("it is not JSON ({e})"))?;
            &parsed
        }
        other => other,
    };
    if !list.is_array() {
        return Err("it is not a list of controls".to_owned());
    }
    serde_json::from_value(list.clone()).map_err(|e| format!("a control in it is not valid ({e})"))
}

/// How one control is operated over RPC.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ControlBinding {
    pub(crate) descriptor: ControlDescriptor,
    /// Action name -> RPC method, complete for the kind.
    methods: BTreeMap<String, String>,
    pub(crate) two_way: bool,
}

/// The RPC an action becomes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RpcPlan {
    pub(crate) method: String,
    pub(crate) params: Value,
    pub(crate) two_way: bool,
}

/// An attribute's value as a number, read as every other value is.
fn number(value: &Value) -> Option<f64> {
    TbValue::from_json(value).as_f64()
}

fn bounds(
    spec: &ControlSpec,
    defaults: Option<BoundDefaults>,
    attrs: &Attributes,
) -> Result<(f64, f64, f64), String> {
    let BoundDefaults { min, max, step, attributes: names } = defaults.unwrap_or(LEVEL_BOUNDS);
    let own_names = [&spec.min_attribute, &spec.max_attribute, &spec.step_attribute];
    let pick = |literal: Option<f64>, own: &Option<String>, default_name: Option<&str>, fallback: f64| {
        literal
            .or_else(|| own.as_deref().or(default_name).and_then(|k| attrs.get(k)).and_then(number))
            .unwrap_or(fallback)
    };
    let min = pick(spec.min, own_names[0], names[0], min);
    let max = pick(spec.max, own_names[1], names[1], max);
    let step = pick(spec.step, own_names[2], names[2], step);
    if !(min.is_finite() && max.is_finite() && step.is_finite()) || min >= max || step <= 0.0 {
        return Err(format!("control '{}' has unusable bounds {min}..{max} step {step}", spec.id));
    }
    Ok((min, max, step))
}

fn resolve_one(spec: &ControlSpec, attrs: &Attributes) -> Result<ControlBinding, String> {
    let id = spec.id.trim();
    if id.is_empty() {
        return Err("a control has no id".to_owned());
    }
    let defaults = spec.kind.defaults();
    let mut methods: BTreeMap<String, String> =
        defaults.methods.iter().map(|(a, m)| ((*a).to_owned(), (*m).to_owned())).collect();
    for (action, method) in &spec.methods {
        if !methods.contains_key(action) {
            return Err(format!("control '{id}' has a method for an unknown action '{action}'"));
        }
        if method.trim().is_empty() {
            return Err(format!("control '{id}' has an empty method for '{action}'"));
        }
        methods.insert(action.clone(), method.trim().to_owned());
    }
    let state_key = spec.state_key.as_deref().map(str::trim).unwrap_or(defaults.state_key);
    if state_key.is_empty() {
        return Err(format!("control '{id}' has an empty state key"));
    }
    let state_key = state_key.to_owned();
    let kind = match spec.kind {
        SpecKind::Switch => ControlKind::Switch { state_key },
        SpecKind::Setpoint => {
            let (min, max, step) = bounds(spec, defaults.bounds, attrs)?;
            ControlKind::Setpoint { state_key, min, max, step, unit: spec.unit.clone() }
        }
        SpecKind::Level => {
            let (min, max, step) = bounds(spec, defaults.bounds, attrs)?;
            ControlKind::Level { state_key, min, max, step, unit: spec.unit.clone() }
        }
        SpecKind::Cover => ControlKind::Cover { state_key },
        SpecKind::Lock => ControlKind::Lock { state_key },
    };
    let label = spec.label.as_deref().map(str::trim).filter(|l| !l.is_empty()).unwrap_or(defaults.label);
    Ok(ControlBinding {
        descriptor: ControlDescriptor {
            id: id.to_owned(),
            label: label.to_owned(),
            kind,
            critical: spec.critical.unwrap_or(defaults.critical),
        },
        methods,
        two_way: spec.two_way.unwrap_or(defaults.two_way),
    })
}

/// Resolves specs against a device's shared attributes; any problem rejects the whole list.
pub(crate) fn resolve(specs: &[ControlSpec], attrs: &Attributes) -> Result<Vec<ControlBinding>, String> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(specs.len());
    for spec in specs {
        let binding = resolve_one(spec, attrs)?;
        if !seen.insert(binding.descriptor.id.clone()) {
            return Err(format!("the id '{}' is used twice", binding.descriptor.id));
        }
        out.push(binding);
    }
    Ok(out)
}

/// The standard controls of a device type with the kinds' default bounds.
pub(crate) fn standard_bindings(device_type: &str) -> Vec<ControlBinding> {
    resolve(ControlMap::standard().specs_for(device_type), &Attributes::new())
        .expect("the standard control map resolves without attributes")
}

/// The descriptors the UI shows for a device type, before a device's attributes are known.
pub fn controls_for(device_type: &str) -> Vec<ControlDescriptor> {
    standard_bindings(device_type).into_iter().map(|b| b.descriptor).collect()
}

fn refuse(message: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::InvalidRequest, message, false)
}

fn within(value: f64, min: f64, max: f64, what: &str) -> Result<f64, AppError> {
    // A hair of slack, so that 0.1 + 0.2 steps do not fall off the end.
    let slack = (max - min).abs() * 1e-9;
    if !value.is_finite() || value < min - slack || value > max + slack {
        return Err(refuse(format!(
            "{what} must be between {min} and {max}; {value} was not sent to the device."
        )));
    }
    Ok(value)
}

impl ControlBinding {
    fn method(&self, action: &str) -> RpcPlan {
        let method = self.methods.get(action).cloned().unwrap_or_else(|| action.to_owned());
        RpcPlan { method, params: json!({}), two_way: self.two_way }
    }

    /// The RPC for an action, or an error (and nothing sent) if the action does not fit this
    /// control or is out of its bounds.
    pub(crate) fn plan(&self, action: &ControlAction) -> Result<RpcPlan, AppError> {
        let label = &self.descriptor.label;
        let plan = match (&self.descriptor.kind, action) {
            (ControlKind::Switch { .. }, ControlAction::SetSwitch { on }) => {
                RpcPlan { params: json!(on), ..self.method("set") }
            }
            (ControlKind::Setpoint { min, max, .. }, ControlAction::SetSetpoint { value })
            | (ControlKind::Level { min, max, .. }, ControlAction::SetLevel { value }) => {
                let value = within(*value, *min, *max, label)?;
                RpcPlan { params: json!({ "value": value }), ..self.method("set") }
            }
            (ControlKind::Cover { .. }, ControlAction::OpenCover) => self.method("open"),
            (ControlKind::Cover { .. }, ControlAction::CloseCover) => self.method("close"),
            (ControlKind::Cover { .. }, ControlAction::StopCover) => self.method("stop"),
            (ControlKind::Cover { .. }, ControlAction::SetCoverPosition { position }) => {
                let position = within(*position, 0.0, 100.0, "The position")?;
                RpcPlan { params: json!({ "value": position }), ..self.method("setPosition") }
            }
            (ControlKind::Lock { .. }, ControlAction::SetLocked { locked }) => {
                self.method(if *locked { "lock" } else { "unlock" })
            }
            _ => return Err(refuse("That action does not apply to this control.")),
        };
        Ok(plan)
    }
}

/// A two-way reply in which the device says no (`{"error": ...}` or `{"ok": false}`), as a sentence.
pub(crate) fn refusal_in(reply: &Value) -> Option<String> {
    let error = reply.get("error");
    let refused = error.is_some_and(|e| !e.is_null()) || reply.get("ok") == Some(&Value::Bool(false));
    refused.then(|| match error.and_then(Value::as_str) {
        Some(reason) => format!("The device refused the command: {reason}."),
        None => "The device refused the command.".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(pairs: &[(&str, Value)]) -> Attributes {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect()
    }

    fn thermostat(a: &Attributes) -> ControlBinding {
        resolve(ControlMap::standard().specs_for("thermostat"), a).unwrap().remove(0)
    }

    #[test]
    fn the_standard_map_covers_the_demo_kinds() {
        let ids = |t: &str| controls_for(t).into_iter().map(|c| c.id).collect::<Vec<_>>();
        assert_eq!(ids("light"), ["power", "brightness"]);
        assert_eq!(ids("Smart-Plug"), ["power"]);
        assert_eq!(ids("thermostat"), ["setpoint"]);
        assert_eq!(ids("blinds"), ["position"]);
        assert_eq!(ids("door-lock"), ["lock"]);
        assert!(controls_for("air-quality").is_empty());
        assert!(controls_for("occupancy").is_empty());
        let lock = &controls_for("door-lock")[0];
        assert!(lock.critical);
        assert_eq!(lock.kind, ControlKind::Lock { state_key: "locked".into() });
    }

    #[test]
    fn switches_send_a_bare_boolean_one_way() {
        let light = standard_bindings("light");
        let plan = light[0].plan(&ControlAction::SetSwitch { on: true }).unwrap();
        assert_eq!(plan, RpcPlan { method: "setState".into(), params: json!(true), two_way: false });
        let plan = light[1].plan(&ControlAction::SetLevel { value: 40.0 }).unwrap();
        assert_eq!(plan.method, "setBrightness");
        assert_eq!(plan.params, json!({"value": 40.0}));
        assert_eq!(
            light[1].plan(&ControlAction::SetLevel { value: 101.0 }).unwrap_err().code,
            ErrorCode::InvalidRequest
        );
        assert!(light[0].plan(&ControlAction::SetLevel { value: 1.0 }).is_err());
    }

    #[test]
    fn setpoint_bounds_come_from_attributes_with_defaults() {
        let t = thermostat(&attrs(&[
            ("minSetpoint", json!(16)),
            ("maxSetpoint", json!("28")),
            ("step", json!(0.5)),
        ]));
        assert_eq!(
            t.descriptor.kind,
            ControlKind::Setpoint {
                state_key: "setpoint".into(),
                min: 16.0,
                max: 28.0,
                step: 0.5,
                unit: Some("°C".into())
            }
        );
        assert!(t.two_way);
        let plan = t.plan(&ControlAction::SetSetpoint { value: 22.5 }).unwrap();
        assert_eq!((plan.method.as_str(), plan.params), ("setTemperature", json!({"value": 22.5})));
        let refused = t.plan(&ControlAction::SetSetpoint { value: 40.0 }).unwrap_err();
        assert_eq!(refused.code, ErrorCode::InvalidRequest);
        assert!(refused.message.contains("between 16 and 28"), "{}", refused.message);
        assert!(t.plan(&ControlAction::SetSetpoint { value: f64::NAN }).is_err());

        let bare = thermostat(&attrs(&[("minSetpoint", json!("cold"))]));
        let ControlKind::Setpoint { min, max, step, .. } = bare.descriptor.kind else { panic!() };
        assert_eq!((min, max, step), (10.0, 30.0, 0.5));
        assert!(
            resolve(ControlMap::standard().specs_for("thermostat"), &attrs(&[("step", json!(0))])).is_err()
        );
    }

    #[test]
    fn covers_and_locks_map_each_action() {
        let cover = &standard_bindings("blinds")[0];
        assert_eq!(cover.plan(&ControlAction::OpenCover).unwrap().method, "open");
        assert_eq!(cover.plan(&ControlAction::StopCover).unwrap().method, "stop");
        let plan = cover.plan(&ControlAction::SetCoverPosition { position: 30.0 }).unwrap();
        assert_eq!((plan.method.as_str(), plan.params), ("setPosition", json!({"value": 30.0})));
        assert!(cover.plan(&ControlAction::SetCoverPosition { position: -1.0 }).is_err());
        let lock = &standard_bindings("door-lock")[0];
        let plan = lock.plan(&ControlAction::SetLocked { locked: false }).unwrap();
        assert_eq!((plan.method.as_str(), plan.two_way), ("unlock", true));
    }

    #[test]
    fn overrides_use_the_same_format_and_bad_ones_are_explained() {
        let text = r#"[{"id": "comfort", "kind": "setpoint", "label": "Comfort", "min": 18, "max": 24,
                        "methods": {"set": "setComfort"}},
                       {"id": "lock", "kind": "lock", "critical": false}]"#;
        let specs = parse_override(&Value::String(text.into())).unwrap();
        assert_eq!(attribute_keys(&specs), ["maxSetpoint", "minSetpoint", "step"].map(String::from).into());
        let bindings = resolve(&specs, &attrs(&[("minSetpoint", json!(5)), ("step", json!(1))])).unwrap();
        let ControlKind::Setpoint { min, max, step, .. } = bindings[0].descriptor.kind else { panic!() };
        assert_eq!((min, max, step), (18.0, 24.0, 1.0), "literals win over attributes");
        assert_eq!(
            bindings[0].plan(&ControlAction::SetSetpoint { value: 20.0 }).unwrap().method,
            "setComfort"
        );
        assert!(!bindings[1].descriptor.critical);
        assert_eq!(parse_override(&json!([])).unwrap(), vec![]);

        assert!(parse_override(&json!("not json")).unwrap_err().contains("not JSON"));
        assert!(parse_override(&json!({"id": "x"})).unwrap_err().contains("not a list"));
        assert!(parse_override(&json!([{"id": "x", "kind": "teleport"}])).is_err());
        assert!(parse_override(&json!([{"id": "x", "kind": "switch", "colour": "red"}])).is_err());
        let twice =
            parse_override(&json!([{"id": "a", "kind": "switch"}, {"id": "a", "kind": "lock"}])).unwrap();
        assert!(resolve(&twice, &Attributes::new()).unwrap_err().contains("twice"));
        let odd = parse_override(&json!([{"id": "a", "kind": "switch", "methods": {"open": "x"}}])).unwrap();
        assert!(resolve(&odd, &Attributes::new()).unwrap_err().contains("unknown action"));
        let inverted = parse_override(&json!([{"id": "a", "kind": "level", "min": 5, "max": 1}])).unwrap();
        assert!(resolve(&inverted, &Attributes::new()).is_err());
    }

    #[test]
    fn device_refusals_are_recognised() {
        assert!(refusal_in(&json!({"ok": false, "error": "Setpoint out of range 16..28"}))
            .unwrap()
            .contains("16..28"));
        assert!(refusal_in(&json!({"error": "Unsupported method"})).is_some());
        assert_eq!(refusal_in(&json!({"ok": true, "setpoint": 22.5})), None);
        assert_eq!(refusal_in(&json!({"locked": true})), None);
    }
}
