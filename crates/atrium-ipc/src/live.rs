use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tb_proto::value::{merge_newest, Reading, Stamped};

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
    /// Closed on purpose while the app is in the background; reconnects when it is in front.
    Paused,
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

impl TelemetryValue {
    fn reading(&self) -> Reading<'_> {
        match self {
            Self::Number(n) => Reading::Number(*n),
            Self::Bool(b) => Reading::Bool(*b),
            Self::Text(t) => Reading::Text(t),
            Self::Missing => Reading::Other,
        }
    }

    /// The value as a number: a finite number, or text that reads as one (`tb_proto::value`).
    pub fn as_f64(&self) -> Option<f64> {
        self.reading().number()
    }

    /// The value as on/off: a boolean, a number (0 is off), or `true`/`on`/`1` and their opposites.
    pub fn as_bool(&self) -> Option<bool> {
        self.reading().switch()
    }
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

impl Stamped for LiveValue {
    type Slot = String;
    fn slot(&self) -> String {
        self.key.clone()
    }
    fn ts(&self) -> i64 {
        self.ts
    }
}

/// Merges values into what is held for a device: latest per key, newest timestamp winning (the
/// same merge the live client's mailbox uses), an older value never overwriting a newer one.
pub fn merge_latest(held: &mut BTreeMap<String, LiveValue>, values: impl IntoIterator<Item = LiveValue>) {
    merge_newest(held, values);
}

impl TelemetryBatch {
    /// Applies the batch to what is held for its device: a snapshot replaces it, a delta merges.
    pub fn apply_to(self, held: &mut BTreeMap<String, LiveValue>) {
        if self.snapshot {
            held.clear();
        }
        merge_latest(held, self.values);
    }
}

/// Arguments of `watch_device`, besides the channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WatchArgs {
    pub device_id: String,
}

/// Devices one `watch_devices` follows at most; the UI shows a bigger place as rows instead.
pub const MAX_WATCHED_DEVICES: usize = 200;

/// Arguments of `watch_devices` (a room's tiles, at most [`MAX_WATCHED_DEVICES`]), besides the channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WatchDevicesArgs {
    pub device_ids: Vec<String>,
}

/// What changed on any of a `watch_devices` watch's devices since the last batch, one entry per
/// device (each coalesced, latest per key): the whole room in one message per frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DevicesBatch {
    pub batches: Vec<TelemetryBatch>,
}

impl DevicesBatch {
    /// Folds a device's batch into this one: a snapshot replaces what was pending for it, a delta
    /// merges (latest per key).
    pub fn add(&mut self, batch: TelemetryBatch) {
        match self.batches.iter_mut().find(|b| b.device_id == batch.device_id) {
            Some(pending) if batch.snapshot => *pending = batch,
            Some(pending) => {
                let mut held: BTreeMap<String, LiveValue> =
                    std::mem::take(&mut pending.values).into_iter().map(|v| (v.key.clone(), v)).collect();
                merge_latest(&mut held, batch.values);
                pending.values = held.into_values().collect();
            }
            None => self.batches.push(batch),
        }
    }
}

/// Handle of a watch; `unwatch` ends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WatchId(pub u64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_room_batch_keeps_one_entry_per_device_latest_per_key() {
        let mut room = DevicesBatch { batches: Vec::new() };
        room.add(batch(false, vec![lv("t", 1, 20.0), lv("h", 1, 40.0)]));
        room.add(batch(false, vec![lv("t", 2, 21.0)]));
        room.add(TelemetryBatch {
            device_id: "other".into(),
            snapshot: false,
            values: vec![lv("t", 1, 1.0)],
        });
        assert_eq!(room.batches.len(), 2);
        assert_eq!(room.batches[0].values, vec![lv("h", 1, 40.0), lv("t", 2, 21.0)]);
        room.add(batch(true, vec![lv("x", 3, 1.0)]));
        assert!(
            room.batches[0].snapshot && room.batches[0].values == vec![lv("x", 3, 1.0)],
            "a snapshot replaces"
        );
        room.add(batch(false, vec![lv("y", 4, 2.0)]));
        assert!(room.batches[0].snapshot, "a delta after a snapshot stays part of it");
        assert_eq!(room.batches[0].values.len(), 2);
    }

    fn lv(key: &str, ts: i64, n: f64) -> LiveValue {
        LiveValue { key: key.into(), ts, value: TelemetryValue::Number(n) }
    }

    fn batch(snapshot: bool, values: Vec<LiveValue>) -> TelemetryBatch {
        TelemetryBatch { device_id: "d".into(), snapshot, values }
    }

    #[test]
    fn a_snapshot_replaces_and_a_delta_keeps_the_newest() {
        let mut held = BTreeMap::new();
        batch(true, vec![lv("a", 10, 1.0), lv("b", 10, 2.0)]).apply_to(&mut held);
        batch(false, vec![lv("a", 5, 9.0), lv("b", 11, 3.0), lv("c", 1, 4.0)]).apply_to(&mut held);
        assert_eq!(held["a"], lv("a", 10, 1.0));
        assert_eq!(held["b"], lv("b", 11, 3.0));
        assert_eq!(held.len(), 3);
        batch(true, vec![lv("z", 1, 0.0)]).apply_to(&mut held);
        assert_eq!(held.keys().collect::<Vec<_>>(), ["z"]);
    }

    #[test]
    fn values_read_as_numbers_and_switches() {
        assert_eq!(TelemetryValue::Text(" 22.5".into()).as_f64(), Some(22.5));
        assert_eq!(TelemetryValue::Bool(true).as_f64(), None);
        assert_eq!(TelemetryValue::Number(0.0).as_bool(), Some(false));
        assert_eq!(TelemetryValue::Text("Off".into()).as_bool(), Some(false));
        assert_eq!(TelemetryValue::Missing.as_bool(), None);
    }
}
