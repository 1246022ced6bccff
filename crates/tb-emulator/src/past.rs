//! The demo building's past: what its devices would have reported over the days before the
//! emulator started, so a history chart has something to draw from the first minute.
//!
//! Nothing is stored: a history query asks [`Past::points`] for the range it covers, and each
//! point is computed from the device, the key and the time (daily cycles, working-hours
//! occupancy, a night setback, noise from a hash). Each curve is shifted to end at the value the
//! device starts with. Some devices were offline for a few hours once, which leaves a gap.

use crate::demo::DeviceKind;
use crate::kv::KvValue;
use crate::store::Store;
use std::collections::{BTreeMap, HashMap};
use std::f64::consts::TAU;
use tb_proto::{EntityId, EntityType};
use uuid::Uuid;

/// One reported point every five minutes.
const STEP_MS: i64 = 300_000;
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
/// How long a device's one outage lasts.
const OUTAGE_MS: i64 = 3 * HOUR_MS;

#[derive(Debug)]
pub(crate) struct Past {
    /// The first point at or after this, and every point before [`Past::until`].
    from: i64,
    until: i64,
    devices: HashMap<Uuid, PastDevice>,
}

#[derive(Debug)]
struct PastDevice {
    kind: DeviceKind,
    seed: u64,
    /// Key -> (shift that makes the curve end at the starting value, whether it is a long).
    keys: BTreeMap<&'static str, (f64, bool)>,
    /// Start of the one outage, if this device had one.
    outage: Option<i64>,
}

impl Past {
    /// `days` before `now` for every device in `kinds`, anchored to its latest values in `store`.
    /// `None` for no days.
    pub(crate) fn new(
        days: u32,
        now: i64,
        kinds: &BTreeMap<Uuid, DeviceKind>,
        store: &Store,
    ) -> Option<Self> {
        if days == 0 {
            return None;
        }
        // The demo's first points are up to a minute old: the past ends before them.
        let until = (now - 60_000).div_euclid(STEP_MS) * STEP_MS;
        let from = until - i64::from(days) * DAY_MS;
        let devices = kinds
            .iter()
            .map(|(id, kind)| {
                let seed = seed_of(id);
                let latest = store.latest(&EntityId::new(EntityType::Device, *id));
                let keys = past_keys(*kind)
                    .iter()
                    .filter_map(|key| {
                        let start = latest.and_then(|l| l.get(*key)).map(|(_, v)| v)?;
                        let value = start.as_f64()?;
                        let shift = value - model(*kind, key, seed, until);
                        Some((*key, (shift, matches!(start, KvValue::Long(_)))))
                    })
                    .collect();
                let outage =
                    (seed % 3 == 0).then(|| from + (seed % (i64::from(days) * 24) as u64) as i64 * HOUR_MS);
                (*id, PastDevice { kind: *kind, seed, keys, outage })
            })
            .collect();
        Some(Self { from, until, devices })
    }

    /// The device's points of `key` in `[start, end)`, oldest first; none for other entities and keys.
    pub(crate) fn points(&self, id: &EntityId, key: &str, start: i64, end: i64) -> Vec<(i64, KvValue)> {
        let Some(device) = (id.entity_type == EntityType::Device).then(|| self.devices.get(&id.id)).flatten()
        else {
            return Vec::new();
        };
        let Some((name, (shift, long))) = device.keys.get_key_value(key) else { return Vec::new() };
        let first = start.max(self.from);
        let first = first + (STEP_MS - first.rem_euclid(STEP_MS)) % STEP_MS;
        let last = end.min(self.until);
        (0..)
            .map(|i| first + i * STEP_MS)
            .take_while(|ts| *ts < last)
            .filter(|ts| device.outage.is_none_or(|o| !(o..o + OUTAGE_MS).contains(ts)))
            .map(|ts| {
                let value = model(device.kind, name, device.seed, ts) + shift;
                let value = if *long {
                    KvValue::Long(value.round() as i64)
                } else {
                    KvValue::Double(round_tenth(value))
                };
                (ts, value)
            })
            .collect()
    }
}

fn past_keys(kind: DeviceKind) -> &'static [&'static str] {
    match kind {
        DeviceKind::Light => &["brightness"],
        DeviceKind::Thermostat => &["temperature", "humidity", "setpoint"],
        DeviceKind::AirQuality => &["co2", "tvoc"],
        DeviceKind::Occupancy => &["count"],
        DeviceKind::Plug => &["power"],
        DeviceKind::DoorLock => &["battery"],
        DeviceKind::Blinds => &["position"],
    }
}

/// What the device of `kind` reported for `key` at `ts`, before the shift.
fn model(kind: DeviceKind, key: &str, seed: u64, ts: i64) -> f64 {
    let hour = ts.rem_euclid(DAY_MS) as f64 / HOUR_MS as f64;
    let people = occupancy(ts, seed);
    let noise = noise(seed, key, ts);
    let daily = |peak_hour: f64| (TAU * (hour - peak_hour + 6.0) / 24.0).sin();
    match (kind, key) {
        (DeviceKind::Thermostat, "temperature") => 21.0 + 1.2 * daily(15.0) + 0.8 * people + 0.2 * noise,
        (DeviceKind::Thermostat, "humidity") => 45.0 + 6.0 * daily(5.0) + 2.0 * noise,
        // A night setback.
        (DeviceKind::Thermostat, "setpoint") if !(6.0..22.0).contains(&hour) => -2.0,
        (DeviceKind::AirQuality, "co2") => 430.0 + 520.0 * people + 25.0 * noise,
        (DeviceKind::AirQuality, "tvoc") => 90.0 + 180.0 * people + 20.0 * noise,
        (DeviceKind::Occupancy, "count") => (5.0 * people + noise).max(0.0),
        (DeviceKind::Plug, "power") => (8.0 + 190.0 * people + 10.0 * noise).max(0.0),
        (DeviceKind::Light, "brightness") if people > 0.2 => 75.0,
        // Slowly drained: higher the further back.
        (DeviceKind::DoorLock, "battery") => -(ts as f64) / (10.0 * DAY_MS as f64),
        // Closed at night.
        (DeviceKind::Blinds, "position") if !(7.0..19.0).contains(&hour) => -100.0,
        _ => 0.0,
    }
}

/// People in a room, 0 to 1: working hours on weekdays, a dip at lunch, each room a little apart.
fn occupancy(ts: i64, seed: u64) -> f64 {
    // 1970-01-01 was a Thursday: day 0 -> Thursday, days 2 and 3 -> the weekend.
    let weekday = ts.div_euclid(DAY_MS).rem_euclid(7);
    if weekday == 2 || weekday == 3 {
        return 0.0;
    }
    let hour = ts.rem_euclid(DAY_MS) as f64 / HOUR_MS as f64 + (seed % 60) as f64 / 60.0 - 0.5;
    if !(8.0..18.0).contains(&hour) {
        return 0.0;
    }
    let lunch = if (12.0..13.0).contains(&hour) { 0.5 } else { 1.0 };
    (TAU * (hour - 8.0) / 20.0).sin() * lunch
}

/// Deterministic noise in [-1, 1] for a device, key and time.
fn noise(seed: u64, key: &str, ts: i64) -> f64 {
    let mut x = seed ^ (ts as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    for byte in key.bytes() {
        x = (x ^ u64::from(byte)).wrapping_mul(0x0100_0000_01B3);
    }
    x ^= x >> 33;
    x = x.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    x ^= x >> 33;
    (x % 2001) as f64 / 1000.0 - 1.0
}

fn seed_of(id: &Uuid) -> u64 {
    let (high, low) = id.as_u64_pair();
    high ^ low
}

fn round_tenth(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn past_of(kind: DeviceKind, start: Vec<(&str, KvValue)>) -> (Past, EntityId) {
        let mut store = Store::default();
        let id = Uuid::from_u64_pair(7, 9);
        let entity = EntityId::new(EntityType::Device, id);
        let now = 100 * DAY_MS;
        store.save_timeseries(entity, now, start.into_iter().map(|(k, v)| (k.to_owned(), v)).collect());
        let kinds = BTreeMap::from([(id, kind)]);
        (Past::new(7, now, &kinds, &store).expect("seven days"), entity)
    }

    #[test]
    fn a_week_every_five_minutes_ending_at_the_starting_value() {
        let (past, device) = past_of(DeviceKind::Thermostat, vec![("temperature", KvValue::Double(22.4))]);
        let points = past.points(&device, "temperature", 0, i64::MAX);
        // Seed 7 ^ 9 = 14 is not a multiple of 3: no outage.
        assert_eq!(points.len() as i64, 7 * DAY_MS / STEP_MS);
        assert!(points.windows(2).all(|w| w[1].0 - w[0].0 == STEP_MS));
        let (last_ts, last) = points.last().expect("points");
        assert!(*last_ts < past.until);
        assert!(
            (last.as_f64().expect("a number") - 22.4).abs() < 0.5,
            "ends near where the device starts: {last:?}"
        );
        assert!(points.iter().all(|(_, v)| matches!(v, KvValue::Double(_))));
        assert!(past.points(&device, "humidity", 0, i64::MAX).is_empty(), "no starting value, no past");
        assert!(past.points(&device, "temperature", past.until, i64::MAX).is_empty());
    }

    #[test]
    fn ranges_are_half_open_on_the_five_minute_grid_and_longs_stay_longs() {
        let (past, device) = past_of(DeviceKind::AirQuality, vec![("co2", KvValue::Long(600))]);
        let start = past.until - HOUR_MS + 1;
        let points = past.points(&device, "co2", start, past.until - 5 * STEP_MS);
        assert_eq!(points.first().map(|p| p.0), Some(past.until - HOUR_MS + STEP_MS));
        assert_eq!(points.len(), 6);
        assert!(points.iter().all(|(_, v)| matches!(v, KvValue::Long(_))));
        let other = EntityId::new(EntityType::Asset, device.id);
        assert!(past.points(&other, "co2", 0, i64::MAX).is_empty());
    }

    #[test]
    fn offices_fill_on_weekday_afternoons_and_empty_at_night_and_weekends() {
        let monday = 4 * DAY_MS;
        assert!(occupancy(monday + 15 * HOUR_MS, 30) > 0.5);
        assert_eq!(occupancy(monday + 3 * HOUR_MS, 30), 0.0);
        assert_eq!(occupancy(2 * DAY_MS + 15 * HOUR_MS, 30), 0.0, "Saturday");
        assert!((-1.0..=1.0).contains(&noise(5, "co2", 12_345)));
    }
}
