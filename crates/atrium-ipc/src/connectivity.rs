//! A device's connectivity as ThingsBoard's device state service keeps it, live.

use serde::{Deserialize, Serialize};

/// What the server knows of a device's connection (`DefaultDeviceStateService`): each field is
/// `None` until the server has reported it. `active` lags a disconnect by up to the inactivity
/// timeout, so a person reads it together with `last_activity_ms`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Connectivity {
    pub device_id: String,
    pub active: Option<bool>,
    pub last_activity_ms: Option<i64>,
    pub last_connect_ms: Option<i64>,
    pub last_disconnect_ms: Option<i64>,
    /// The device's own `inactivityTimeout` (ms), when set; the server's default is 600 s.
    pub inactivity_timeout_ms: Option<i64>,
}

impl Connectivity {
    /// The server's default inactivity timeout (`state.defaultInactivityTimeoutInSec`).
    pub const DEFAULT_INACTIVITY_TIMEOUT_MS: i64 = 600_000;

    /// Whether the device has been silent longer than its inactivity timeout at `now_ms`, though
    /// the server may still call it active (it checks once a minute).
    pub fn silent_at(&self, now_ms: i64) -> bool {
        let timeout =
            self.inactivity_timeout_ms.filter(|t| *t > 0).unwrap_or(Self::DEFAULT_INACTIVITY_TIMEOUT_MS);
        self.last_activity_ms.is_some_and(|last| now_ms.saturating_sub(last) > timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_is_measured_against_the_devices_own_timeout_or_the_servers() {
        let seen = Connectivity { last_activity_ms: Some(1_000), ..Connectivity::default() };
        assert!(!seen.silent_at(601_000));
        assert!(seen.silent_at(601_001));
        let quick = Connectivity { inactivity_timeout_ms: Some(10_000), ..seen.clone() };
        assert!(quick.silent_at(11_001));
        assert!(!Connectivity::default().silent_at(i64::MAX), "never heard of: not silent, unknown");
    }
}
