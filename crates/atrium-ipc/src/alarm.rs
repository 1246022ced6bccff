//! Alarms of a place (or the whole building), live; acknowledging and clearing one.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// ThingsBoard's severities, worst first (the order the alarm list sorts by).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AlarmSeverity {
    Critical,
    Major,
    Minor,
    Warning,
    Indeterminate,
}

impl AlarmSeverity {
    pub const ALL: [Self; 5] = [Self::Critical, Self::Major, Self::Minor, Self::Warning, Self::Indeterminate];

    /// For people: "Critical", "Major", ...
    pub fn label(self) -> &'static str {
        match self {
            Self::Critical => "Critical",
            Self::Major => "Major",
            Self::Minor => "Minor",
            Self::Warning => "Warning",
            Self::Indeterminate => "Indeterminate",
        }
    }

    /// The wire name (`CRITICAL`, ...), also used as a CSS class in lower case.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Critical => "CRITICAL",
            Self::Major => "MAJOR",
            Self::Minor => "MINOR",
            Self::Warning => "WARNING",
            Self::Indeterminate => "INDETERMINATE",
        }
    }
}

/// Which alarms a list shows by status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AlarmStatusFilter {
    /// Not cleared, acknowledged or not.
    #[default]
    Active,
    /// Not cleared and nobody has acknowledged it yet.
    Unacknowledged,
    /// Cleared (the condition is over, or someone cleared it).
    Cleared,
    /// Every alarm, whatever its status.
    All,
}

/// Arguments of `watch_alarms`: a place of the building (`None`: everything the user may see)
/// and the filters. An empty `severities` means every severity.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WatchAlarmsArgs {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_id: Option<String>,
    #[serde(default)]
    pub severities: Vec<AlarmSeverity>,
    #[serde(default)]
    pub status: AlarmStatusFilter,
}

/// One alarm as a list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlarmRow {
    /// The alarm's UUID.
    pub id: String,
    /// "High Temperature", as the device profile's rule names it.
    pub alarm_type: String,
    pub severity: AlarmSeverity,
    pub acknowledged: bool,
    pub cleared: bool,
    /// The device (or asset) that raised it: its UUID and display name.
    pub originator_id: String,
    pub originator_name: String,
    /// Where the originator is in the building, outermost first ("North Tower", "Floor 2",
    /// "Room NT-204"); empty when it is not in the loaded building.
    pub place: Vec<String>,
    /// When the alarm was raised (ms since the epoch).
    pub start_ts: i64,
    /// When it was acknowledged and cleared (ms), 0 while not.
    pub ack_ts: i64,
    pub clear_ts: i64,
    /// The rule's details as JSON text (e.g. `{"co2":1450}`), when it gave any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
}

/// The alarms of a watched scope, worst severity first, then newest. Each list replaces the
/// previous one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlarmList {
    /// The watched place's name; `None` for everything the user may see.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope_name: Option<String>,
    pub rows: Vec<AlarmRow>,
    /// Matching alarms on the server; more than `rows.len()` when only the newest were fetched.
    pub total: i64,
    /// The scope has more devices than the server searches for alarms
    /// (`max_entities_per_alarm_subscription`): alarms of the rest are missing.
    pub devices_cut: bool,
    /// Live from the server's alarm subscription; `false` when the server refuses it or leaves it
    /// unanswered and the list is read over REST (again when the alarm count changes).
    pub live: bool,
}

/// A place's active alarms: how many its devices (at any depth) have, and the worst severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlarmBadge {
    pub count: u32,
    pub worst: AlarmSeverity,
}

/// Every place and device of the building with active alarms (node id -> its badge); the
/// others have none. Each map replaces the previous one.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlarmBadges {
    pub by_node: BTreeMap<String, AlarmBadge>,
}

/// Arguments of `acknowledge_alarm` and `clear_alarm`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlarmArgs {
    pub alarm_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alarm_args_and_rows_use_camel_case() {
        let args: WatchAlarmsArgs =
            serde_json::from_str(r#"{"severities": ["CRITICAL"], "status": "unacknowledged"}"#).unwrap();
        assert_eq!(
            args,
            WatchAlarmsArgs {
                node_id: None,
                severities: vec![AlarmSeverity::Critical],
                status: AlarmStatusFilter::Unacknowledged
            }
        );
        assert_eq!(serde_json::from_str::<WatchAlarmsArgs>("{}").unwrap().status, AlarmStatusFilter::Active);
        let row = AlarmRow {
            id: "a".into(),
            alarm_type: "High CO2".into(),
            severity: AlarmSeverity::Major,
            acknowledged: false,
            cleared: false,
            originator_id: "d".into(),
            originator_name: "Probe".into(),
            place: vec!["HQ".into()],
            start_ts: 1,
            ack_ts: 0,
            clear_ts: 0,
            details: None,
        };
        let v = serde_json::to_value(&row).unwrap();
        assert_eq!((v["alarmType"].as_str(), v["severity"].as_str()), (Some("High CO2"), Some("MAJOR")));
        assert!(AlarmSeverity::Critical < AlarmSeverity::Indeterminate, "worst first");
    }
}
