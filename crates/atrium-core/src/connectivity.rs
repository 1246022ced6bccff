//! A device's connectivity from the keys ThingsBoard's device state service writes
//! (`DefaultDeviceStateService`): server-scope attributes by default, time series with
//! `state.persistToTelemetry`. Both are watched; the newest report of each key wins.

use atrium_ipc::Connectivity;
use std::collections::HashMap;
use tb_client::{LatestValue, TbValue};

pub(crate) const ACTIVE: &str = "active";
const LAST_ACTIVITY: &str = "lastActivityTime";
const LAST_CONNECT: &str = "lastConnectTime";
const LAST_DISCONNECT: &str = "lastDisconnectTime";
const INACTIVITY_TIMEOUT: &str = "inactivityTimeout";

/// The keys subscribed to, in both sources.
pub(crate) const KEYS: [&str; 5] = [ACTIVE, LAST_ACTIVITY, LAST_CONNECT, LAST_DISCONNECT, INACTIVITY_TIMEOUT];

/// What has been reported so far: key -> (ts, value).
#[derive(Debug, Default)]
pub(crate) struct ConnectivityState {
    reported: HashMap<&'static str, (i64, TbValue)>,
}

impl ConnectivityState {
    /// Merges reports of either source; other keys and values without data are ignored. Whether
    /// anything changed.
    pub(crate) fn apply(&mut self, values: &[LatestValue]) -> bool {
        let mut changed = false;
        for v in values {
            let Some(key) = KEYS.iter().find(|k| **k == v.key) else { continue };
            if matches!(v.value, TbValue::Missing) {
                continue;
            }
            let newer =
                self.reported.get(key).is_none_or(|(ts, old)| v.ts > *ts || (v.ts == *ts && *old != v.value));
            if newer {
                self.reported.insert(key, (v.ts, v.value.clone()));
                changed = true;
            }
        }
        changed
    }

    pub(crate) fn to_ipc(&self, device_id: &str) -> Connectivity {
        let time = |key: &str| {
            let (_, value) = self.reported.get(key)?;
            value.as_f64().filter(|n| n.is_finite() && *n > 0.0 && *n < 1e15).map(|n| n as i64)
        };
        Connectivity {
            device_id: device_id.to_owned(),
            active: self.reported.get(ACTIVE).and_then(|(_, v)| v.as_bool()),
            last_activity_ms: time(LAST_ACTIVITY),
            last_connect_ms: time(LAST_CONNECT),
            last_disconnect_ms: time(LAST_DISCONNECT),
            inactivity_timeout_ms: time(INACTIVITY_TIMEOUT),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(key: &str, ts: i64, text: &str) -> LatestValue {
        LatestValue { key: key.to_owned(), ts, value: TbValue::from_text(text) }
    }

    #[test]
    fn the_newest_report_of_each_key_wins_whichever_source_sent_it() {
        let mut state = ConnectivityState::default();
        // The attribute subscription: WebSocket values are text.
        assert!(state.apply(&[
            report("active", 100, "true"),
            report("lastActivityTime", 100, "100"),
            report("temperature", 100, "21")
        ]));
        // The telemetry subscription (persistToTelemetry) reports a later disconnect.
        assert!(state.apply(&[report("active", 200, "false"), report("lastDisconnectTime", 200, "200")]));
        assert!(!state.apply(&[report("active", 150, "true")]), "an older report changes nothing");
        assert!(!state.apply(&[LatestValue {
            key: "lastConnectTime".into(),
            ts: 0,
            value: TbValue::Missing
        }]));
        let c = state.to_ipc("d");
        assert_eq!(c.active, Some(false));
        assert_eq!(
            (c.last_activity_ms, c.last_disconnect_ms, c.last_connect_ms),
            (Some(100), Some(200), None)
        );
    }

    #[test]
    fn absurd_times_are_unknown() {
        let mut state = ConnectivityState::default();
        state.apply(&[
            report("lastActivityTime", 1, "-5"),
            report("inactivityTimeout", 1, "1e300"),
            report("active", 1, "maybe"),
        ]);
        let c = state.to_ipc("d");
        assert_eq!((c.last_activity_ms, c.inactivity_timeout_ms, c.active), (None, None, None));
    }
}
