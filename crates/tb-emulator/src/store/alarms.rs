//! Alarms: the rules the simulated device profiles apply (high CO2, high temperature, offline),
//! and acknowledge/clear with `DefaultTbAlarmService`'s errors.

use super::Store;
use crate::kv::KvValue;
use serde_json::{json, Value};
use tb_proto::alarm::{Alarm, AlarmInfo, AlarmSeverity};
use tb_proto::id::NULL_UUID;
use tb_proto::{EntityId, EntityType};
use uuid::Uuid;

pub(crate) const HIGH_CO2: &str = "High CO2";
pub(crate) const HIGH_TEMPERATURE: &str = "High Temperature";
pub(crate) const DEVICE_OFFLINE: &str = "Device Offline";
/// ppm; above it an air-quality sensor raises `High CO2`.
pub(crate) const CO2_LIMIT: f64 = 1000.0;
/// °C; above it a thermostat raises `High Temperature`.
pub(crate) const TEMPERATURE_LIMIT: f64 = 27.0;

/// Why an ack or clear was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AlarmChangeError {
    NotFound,
    AlreadyAcknowledged,
    AlreadyCleared,
}

impl Store {
    pub(crate) fn alarm(&self, id: Uuid) -> Option<&Alarm> {
        self.alarms.get(&id)
    }

    pub(crate) fn alarms(&self) -> impl Iterator<Item = &Alarm> {
        self.alarms.values()
    }

    /// `AlarmInfo`: the alarm plus its originator's name, label and display name.
    pub(crate) fn alarm_info(&self, alarm: &Alarm) -> AlarmInfo {
        let (name, label) = match alarm.originator.entity_type {
            EntityType::Device => {
                self.devices.get(&alarm.originator.id).map(|d| (d.name.clone(), d.label.clone()))
            }
            EntityType::Asset => {
                self.assets.get(&alarm.originator.id).map(|a| (a.name.clone(), a.label.clone()))
            }
            _ => None,
        }
        .unwrap_or_else(|| (self.name_of(&alarm.originator).unwrap_or_default(), None));
        AlarmInfo::new(alarm.clone(), &name, label.as_deref())
    }

    /// The active (not cleared) alarm of `alarm_type` on `originator`.
    fn active_alarm_mut(&mut self, originator: EntityId, alarm_type: &str) -> Option<&mut Alarm> {
        self.alarms
            .values_mut()
            .find(|a| a.originator == originator && a.alarm_type == alarm_type && !a.cleared)
    }

    /// Creates the alarm, or updates `endTs` and `details` of the active one (as a device profile
    /// alarm rule does while its condition holds).
    pub(crate) fn raise_alarm(
        &mut self,
        originator: EntityId,
        alarm_type: &str,
        severity: AlarmSeverity,
        ts: i64,
        details: Value,
    ) {
        if let Some(active) = self.active_alarm_mut(originator, alarm_type) {
            active.end_ts = active.end_ts.max(ts);
            active.details = Some(details);
            let id = active.id.id;
            self.alarm_changed(id);
            return;
        }
        let Some(owner) = self.owner(&originator) else { return };
        let id = Uuid::new_v4();
        let mut alarm =
            Alarm::new(EntityId::new(EntityType::Alarm, id), alarm_type, originator, severity, ts);
        alarm.tenant_id = Some(EntityId::new(EntityType::Tenant, self.tenant_id));
        alarm.customer_id = Some(EntityId::new(EntityType::Customer, owner.unwrap_or(NULL_UUID)));
        alarm.details = Some(details);
        self.alarms.insert(id, alarm);
        self.alarm_changed(id);
    }

    /// Clears the active alarm of `alarm_type` on `originator`, if any (the rule's clear condition).
    pub(crate) fn clear_alarm_of(&mut self, originator: EntityId, alarm_type: &str, ts: i64) {
        if let Some(active) = self.active_alarm_mut(originator, alarm_type) {
            let acknowledged = active.acknowledged;
            active.set_flags(true, acknowledged);
            active.clear_ts = ts;
            active.end_ts = active.end_ts.max(ts);
            let id = active.id.id;
            self.alarm_changed(id);
        }
    }

    /// `POST /api/alarm/{id}/ack`.
    pub(crate) fn ack_alarm(&mut self, id: Uuid, ts: i64) -> Result<&Alarm, AlarmChangeError> {
        let alarm = self.alarms.get_mut(&id).ok_or(AlarmChangeError::NotFound)?;
        if alarm.acknowledged {
            return Err(AlarmChangeError::AlreadyAcknowledged);
        }
        let cleared = alarm.cleared;
        alarm.set_flags(cleared, true);
        alarm.ack_ts = ts;
        self.alarm_changed(id);
        Ok(&self.alarms[&id])
    }

    /// `POST /api/alarm/{id}/clear`.
    pub(crate) fn clear_alarm(&mut self, id: Uuid, ts: i64) -> Result<&Alarm, AlarmChangeError> {
        let alarm = self.alarms.get_mut(&id).ok_or(AlarmChangeError::NotFound)?;
        if alarm.cleared {
            return Err(AlarmChangeError::AlreadyCleared);
        }
        let acknowledged = alarm.acknowledged;
        alarm.set_flags(true, acknowledged);
        alarm.clear_ts = ts;
        self.alarm_changed(id);
        Ok(&self.alarms[&id])
    }

    /// The device profile rules, run on every saved report of a device.
    pub(crate) fn evaluate_alarm_rules(&mut self, id: EntityId, ts: i64, values: &[(String, KvValue)]) {
        if id.entity_type != EntityType::Device {
            return;
        }
        let Some(device_type) = self.devices.get(&id.id).map(|d| d.device_type.clone()) else { return };
        let rule = match device_type.as_str() {
            "air-quality" => ("co2", CO2_LIMIT, HIGH_CO2),
            "thermostat" => ("temperature", TEMPERATURE_LIMIT, HIGH_TEMPERATURE),
            _ => return,
        };
        let (key, limit, alarm_type) = rule;
        let Some(value) = values.iter().find(|(k, _)| k == key).and_then(|(_, v)| v.as_f64()) else { return };
        if value > limit {
            self.raise_alarm(
                id,
                alarm_type,
                AlarmSeverity::Major,
                ts,
                json!({ key: value, "threshold": limit }),
            );
        } else {
            self.clear_alarm_of(id, alarm_type, ts);
        }
    }

    /// The offline rule, run when a device's connectivity changes.
    pub(crate) fn evaluate_offline_rule(&mut self, id: Uuid, online: bool, ts: i64) {
        let device = EntityId::new(EntityType::Device, id);
        if online {
            self.clear_alarm_of(device, DEVICE_OFFLINE, ts);
        } else {
            self.raise_alarm(
                device,
                DEVICE_OFFLINE,
                AlarmSeverity::Critical,
                ts,
                json!({"lastDisconnectTime": ts}),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::DeviceRec;
    use tb_proto::alarm::AlarmStatus;

    fn store_with(device_type: &str) -> (Store, EntityId) {
        let mut store = Store::default();
        let id = Uuid::from_u128(7);
        store.devices.insert(
            id,
            DeviceRec {
                id,
                created_time: 0,
                name: "Probe".into(),
                device_type: device_type.into(),
                label: Some("P-1".into()),
                customer: None,
                profile_id: Uuid::nil(),
                online: true,
            },
        );
        (store, EntityId::new(EntityType::Device, id))
    }

    #[test]
    fn co2_rule_raises_updates_and_clears_one_alarm() {
        let (mut store, id) = store_with("air-quality");
        store.save_timeseries(id, 1, vec![("co2".into(), KvValue::Long(900))]);
        assert_eq!(store.alarms().count(), 0);
        store.save_timeseries(id, 2, vec![("co2".into(), KvValue::Long(1100))]);
        store.save_timeseries(id, 3, vec![("co2".into(), KvValue::Long(1200))]);
        let alarm = store.alarms().next().unwrap().clone();
        assert_eq!(store.alarms().count(), 1);
        assert_eq!((alarm.start_ts, alarm.end_ts, alarm.status), (2, 3, AlarmStatus::ActiveUnack));
        assert_eq!(alarm.details, Some(json!({"co2": 1200.0, "threshold": 1000.0})));
        store.save_timeseries(id, 4, vec![("co2".into(), KvValue::Long(800))]);
        let alarm = store.alarm(alarm.id.id).unwrap();
        assert_eq!((alarm.status, alarm.clear_ts), (AlarmStatus::ClearedUnack, 4));
        let info = store.alarm_info(alarm);
        assert_eq!(info.originator_display_name.as_deref(), Some("P-1"));
    }

    #[test]
    fn ack_and_clear_refuse_repeats() {
        let (mut store, id) = store_with("thermostat");
        store.save_timeseries(id, 1, vec![("temperature".into(), KvValue::Double(27.5))]);
        let alarm = store.alarms().next().unwrap().id.id;
        assert_eq!(store.ack_alarm(alarm, 2).unwrap().status, AlarmStatus::ActiveAck);
        assert_eq!(store.ack_alarm(alarm, 3).unwrap_err(), AlarmChangeError::AlreadyAcknowledged);
        assert_eq!(store.clear_alarm(alarm, 4).unwrap().status, AlarmStatus::ClearedAck);
        assert_eq!(store.clear_alarm(alarm, 5).unwrap_err(), AlarmChangeError::AlreadyCleared);
        assert_eq!(store.clear_alarm(Uuid::nil(), 5).unwrap_err(), AlarmChangeError::NotFound);
    }
}
