//! The simulated devices: how each kind answers RPC, and the physics ticker that moves
//! temperatures toward setpoints, CO2 with occupancy, and plug power with load.
//! Every value change goes through [`report`], the same path as `Emulator::publish_telemetry`.

use crate::demo::DeviceKind;
use crate::kv::KvValue;
use crate::store::Store;
use crate::AppState;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, PoisonError};
use tb_proto::telemetry::AttributeScope;
use tb_proto::{EntityId, EntityType};
use uuid::Uuid;

const MIN_SETPOINT: f64 = 16.0;
const MAX_SETPOINT: f64 = 28.0;

#[derive(Debug)]
pub(crate) struct SimState {
    rng: StdRng,
}

impl SimState {
    pub(crate) fn new(seed: u64) -> Self {
        Self { rng: StdRng::seed_from_u64(seed ^ 0x5EED_51A7) }
    }
}

/// A device's answer to an RPC, and the telemetry it reports afterwards.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RpcOutcome {
    pub(crate) reply: Value,
    pub(crate) report: Vec<(String, KvValue)>,
}

fn bool_param(params: &Value, field: &str) -> Option<bool> {
    params.as_bool().or_else(|| params.get(field).and_then(Value::as_bool))
}

fn number_param(params: &Value, fields: &[&str]) -> Option<Value> {
    if params.is_number() {
        return Some(params.clone());
    }
    fields.iter().find_map(|f| params.get(*f).filter(|v| v.is_number()).cloned())
}

fn latest_json(store: &Store, device: Uuid, key: &str) -> Value {
    store
        .latest(&EntityId::new(EntityType::Device, device))
        .and_then(|l| l.get(key))
        .map_or(Value::Null, |(_, v)| v.to_json())
}

fn invalid() -> RpcOutcome {
    RpcOutcome { reply: json!({"error": "Invalid params"}), report: vec![] }
}

/// What an online device of `kind` does with `method(params)`.
pub(crate) fn apply_rpc(
    store: &Store,
    device: Uuid,
    kind: DeviceKind,
    method: &str,
    params: &Value,
) -> RpcOutcome {
    use DeviceKind::*;
    let get =
        |key: &str| RpcOutcome { reply: json!({ key: latest_json(store, device, key) }), report: vec![] };
    // ThingsBoard's control widgets: `getValue` answers the bare state, `setValue` sets it from
    // a bare value. The demo devices answer those as well as their own methods.
    let widget_method = match (kind, method) {
        (Light | Plug, "setValue") => Some("setState"),
        (Thermostat, "setValue") => Some("setTemperature"),
        (DoorLock, "setValue") => Some("setLocked"),
        (Blinds, "setValue") => Some("setPosition"),
        _ => None,
    };
    if let Some(own) = widget_method {
        return apply_rpc(store, device, kind, own, params);
    }
    if method == "getValue" {
        let key = match kind {
            Light | Plug => "state",
            Thermostat => "setpoint",
            DoorLock => "locked",
            Blinds => "position",
            _ => return RpcOutcome { reply: json!({"error": "Unsupported method"}), report: vec![] },
        };
        return RpcOutcome { reply: latest_json(store, device, key), report: vec![] };
    }
    match (kind, method) {
        (Light | Plug, "setState") => match bool_param(params, "state") {
            Some(on) => {
                RpcOutcome { reply: json!({"state": on}), report: vec![("state".into(), KvValue::Bool(on))] }
            }
            None => invalid(),
        },
        (Light | Plug, "getState") => get("state"),
        (Light, "setBrightness") => {
            match number_param(params, &["value", "brightness"]).and_then(|v| v.as_f64()) {
                Some(level) => {
                    let level = level.round().clamp(0.0, 100.0) as i64;
                    RpcOutcome {
                        reply: json!({"brightness": level}),
                        report: vec![("brightness".into(), KvValue::Long(level))],
                    }
                }
                None => invalid(),
            }
        }
        (Light, "getBrightness") => get("brightness"),
        (Thermostat, "setTemperature") => match number_param(params, &["value", "setpoint", "temperature"]) {
            Some(raw) => {
                let setpoint = raw.as_f64().unwrap_or_default();
                if !(MIN_SETPOINT..=MAX_SETPOINT).contains(&setpoint) {
                    return RpcOutcome {
                        reply: json!({"ok": false, "error": "Setpoint out of range 16..28"}),
                        report: vec![],
                    };
                }
                RpcOutcome {
                    reply: json!({"ok": true, "setpoint": raw}),
                    report: vec![("setpoint".into(), KvValue::Double(setpoint))],
                }
            }
            None => invalid(),
        },
        (Thermostat, "getTemperature") => get("temperature"),
        (Thermostat, "getSetpoint") => get("setpoint"),
        (Thermostat, "setMode") => {
            match params.as_str().or_else(|| params.get("mode").and_then(Value::as_str)) {
                Some(mode @ ("heat" | "cool" | "auto" | "off")) => RpcOutcome {
                    reply: json!({"ok": true, "mode": mode}),
                    report: vec![("mode".into(), KvValue::Str(mode.to_owned()))],
                },
                _ => invalid(),
            }
        }
        (DoorLock, "setLocked") => match bool_param(params, "locked") {
            Some(locked) => RpcOutcome {
                reply: json!({"locked": locked}),
                report: vec![("locked".into(), KvValue::Bool(locked))],
            },
            None => invalid(),
        },
        (DoorLock, "lock" | "unlock") => {
            let locked = method == "lock";
            RpcOutcome {
                reply: json!({"locked": locked}),
                report: vec![("locked".into(), KvValue::Bool(locked))],
            }
        }
        (DoorLock, "getState" | "getLocked") => get("locked"),
        (Blinds, "setPosition") => {
            match number_param(params, &["value", "position"]).and_then(|v| v.as_f64()) {
                Some(position) => {
                    let position = position.round().clamp(0.0, 100.0) as i64;
                    RpcOutcome {
                        reply: json!({"position": position}),
                        report: vec![("position".into(), KvValue::Long(position))],
                    }
                }
                None => invalid(),
            }
        }
        (Blinds, "open" | "close" | "stop") => {
            // The simulated blinds move at once; stop reports where they are.
            let position = match method {
                "open" => 100,
                "close" => 0,
                _ => latest_f64(store, device, "position").map_or(0, |p| p.round() as i64),
            };
            RpcOutcome {
                reply: json!({"position": position}),
                report: vec![("position".into(), KvValue::Long(position))],
            }
        }
        (Blinds, "getPosition") => get("position"),
        _ => RpcOutcome { reply: json!({"error": "Unsupported method"}), report: vec![] },
    }
}

/// A device report: latest telemetry (fanned out to subscribers) and its `lastActivityTime`.
pub(crate) fn report(state: &AppState, entity: EntityId, values: Vec<(String, KvValue)>) {
    let mut store = state.store();
    report_locked(&mut store, entity, values);
}

/// A device report stamped `ts` (the wall clock when `None`).
pub(crate) fn report_at(state: &AppState, entity: EntityId, ts: Option<i64>, values: Vec<(String, KvValue)>) {
    let mut store = state.store();
    report_locked_at(&mut store, entity, ts, values);
}

fn report_locked(store: &mut Store, entity: EntityId, values: Vec<(String, KvValue)>) {
    report_locked_at(store, entity, None, values);
}

fn report_locked_at(store: &mut Store, entity: EntityId, ts: Option<i64>, values: Vec<(String, KvValue)>) {
    if values.is_empty() || !store.exists(&entity) {
        return;
    }
    let now = crate::clock::now_ms();
    store.save_timeseries(entity, ts.unwrap_or(now), values);
    if entity.entity_type == EntityType::Device {
        let activity = vec![("lastActivityTime".to_owned(), KvValue::Long(now))];
        store.save_attributes(entity, AttributeScope::ServerScope, now, activity);
    }
}

/// Runs the simulation every `config.tick` until aborted.
pub(crate) async fn run_ticker(state: Arc<AppState>) {
    let mut interval = tokio::time::interval(state.config.tick);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    interval.tick().await;
    loop {
        interval.tick().await;
        tick(&state);
    }
}

fn latest_f64(store: &Store, id: Uuid, key: &str) -> Option<f64> {
    store.latest(&EntityId::new(EntityType::Device, id))?.get(key)?.1.as_f64()
}

fn latest_bool(store: &Store, id: Uuid, key: &str) -> Option<bool> {
    store.latest(&EntityId::new(EntityType::Device, id))?.get(key)?.1.as_bool()
}

/// One simulation step.
pub(crate) fn tick(state: &AppState) {
    let mut sim = state.sim.lock().unwrap_or_else(PoisonError::into_inner);
    let rng = &mut sim.rng;
    let mut store = state.store();
    let online: Vec<Uuid> = store.devices.values().filter(|d| d.online).map(|d| d.id).collect();
    // Rooms with someone in them, for CO2.
    let mut room_of: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for r in &store.relations {
        if r.to.entity_type == EntityType::Device {
            room_of.entry(r.to.id).or_default().push(r.from.id);
        }
    }
    let occupied_rooms: HashSet<Uuid> = online
        .iter()
        .filter(|id| state.kinds.get(id) == Some(&DeviceKind::Occupancy))
        .filter(|id| latest_bool(&store, **id, "occupied") == Some(true))
        .flat_map(|id| room_of.get(id).cloned().unwrap_or_default())
        .collect();
    for id in online {
        let Some(kind) = state.kinds.get(&id).copied() else { continue };
        let mut values = Vec::new();
        match kind {
            DeviceKind::Thermostat => {
                let (Some(t), Some(sp)) =
                    (latest_f64(&store, id, "temperature"), latest_f64(&store, id, "setpoint"))
                else {
                    continue;
                };
                let next = ((t + (sp - t) * 0.1 + rng.gen_range(-0.05..0.05)) * 10.0).round() / 10.0;
                if next != t {
                    values.push(("temperature".to_owned(), KvValue::Double(next)));
                }
            }
            DeviceKind::AirQuality => {
                let co2 = latest_f64(&store, id, "co2").unwrap_or(450.0) as i64;
                let busy =
                    room_of.get(&id).is_some_and(|rooms| rooms.iter().any(|r| occupied_rooms.contains(r)));
                let next =
                    if busy { co2 + rng.gen_range(5..40) } else { (co2 - rng.gen_range(5..30)).max(410) };
                values.push(("co2".to_owned(), KvValue::Long(next.min(2500))));
            }
            DeviceKind::Occupancy => {
                if rng.gen_bool(0.1) {
                    let count = latest_f64(&store, id, "count").unwrap_or(0.0) as i64;
                    let next = (count + if rng.gen_bool(0.5) { 1 } else { -1 }).clamp(0, 12);
                    values.push(("count".to_owned(), KvValue::Long(next)));
                    values.push(("occupied".to_owned(), KvValue::Bool(next > 0)));
                }
            }
            DeviceKind::Plug => {
                let on = latest_bool(&store, id, "state").unwrap_or(false);
                let power = if on { (rng.gen_range(20.0..250.0_f64) * 10.0).round() / 10.0 } else { 0.0 };
                values.push(("power".to_owned(), KvValue::Double(power)));
            }
            DeviceKind::Light | DeviceKind::DoorLock | DeviceKind::Blinds => {}
        }
        report_locked(&mut store, EntityId::new(EntityType::Device, id), values);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rpc_methods_follow_the_contract() {
        let store = Store::default();
        let id = Uuid::nil();
        let out = apply_rpc(&store, id, DeviceKind::Light, "setState", &json!(false));
        assert_eq!(out.report, vec![("state".to_owned(), KvValue::Bool(false))]);
        let out = apply_rpc(&store, id, DeviceKind::Light, "setState", &json!({"state": true}));
        assert_eq!(out.reply, json!({"state": true}));
        let out = apply_rpc(&store, id, DeviceKind::Thermostat, "setTemperature", &json!({"value": 22.5}));
        assert_eq!(out.reply, json!({"ok": true, "setpoint": 22.5}));
        assert_eq!(out.report, vec![("setpoint".to_owned(), KvValue::Double(22.5))]);
        let out = apply_rpc(&store, id, DeviceKind::Thermostat, "setTemperature", &json!(40));
        assert!(out.report.is_empty());
        let out = apply_rpc(&store, id, DeviceKind::DoorLock, "unlock", &json!({}));
        assert_eq!(out.report, vec![("locked".to_owned(), KvValue::Bool(false))]);
        let out = apply_rpc(&store, id, DeviceKind::Blinds, "open", &json!({}));
        assert_eq!(out.report, vec![("position".to_owned(), KvValue::Long(100))]);
        let out = apply_rpc(&store, id, DeviceKind::Blinds, "reboot", &json!({}));
        assert_eq!(out.reply, json!({"error": "Unsupported method"}));
    }

    #[test]
    fn demo_devices_answer_thingsboard_widgets_methods() {
        let mut store = Store::default();
        let id = Uuid::new_v4();
        let entity = EntityId::new(EntityType::Device, id);
        store.save_timeseries(entity, 1, vec![("state".into(), KvValue::Bool(true))]);
        store.save_timeseries(entity, 1, vec![("setpoint".into(), KvValue::Double(21.0))]);
        let out = apply_rpc(&store, id, DeviceKind::Light, "setValue", &json!(false));
        assert_eq!(out.report, vec![("state".to_owned(), KvValue::Bool(false))]);
        assert_eq!(apply_rpc(&store, id, DeviceKind::Light, "getValue", &json!(null)).reply, json!(true));
        let out = apply_rpc(&store, id, DeviceKind::Thermostat, "setValue", &json!(22.5));
        assert_eq!(out.report, vec![("setpoint".to_owned(), KvValue::Double(22.5))]);
        assert_eq!(
            apply_rpc(&store, id, DeviceKind::Thermostat, "getValue", &json!(null)).reply,
            json!(21.0)
        );
        let out = apply_rpc(&store, id, DeviceKind::AirQuality, "getValue", &json!(null));
        assert_eq!(out.reply, json!({"error": "Unsupported method"}));
    }
}
