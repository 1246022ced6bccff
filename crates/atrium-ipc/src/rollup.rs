use crate::tree::NodeKind;
use serde::{Deserialize, Serialize};

/// The key a rollup averages unless the person picks another.
pub const DEFAULT_AVERAGE_KEY: &str = "temperature";

/// Arguments naming one node of the building (an asset or a device).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeArgs {
    pub node_id: String,
}

/// Arguments of `watch_node`: the node, and the time-series key to average over its devices
/// ([`DEFAULT_AVERAGE_KEY`] when absent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WatchNodeArgs {
    pub node_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average_key: Option<String>,
}

/// The live summary of one node: its devices (all levels below it), how many are offline, the
/// average of the chosen key with the newest reading's timestamp, and its worst active alarm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeRollup {
    /// The entity's UUID.
    pub id: String,
    pub name: String,
    pub kind: NodeKind,
    pub devices: u32,
    /// Devices whose server says `active: false`.
    pub offline: u32,
    /// The mean of the devices' numeric latest values of the batch's `average_key`.
    pub average: Option<f64>,
    /// The server's timestamp (ms) of the newest value in the average.
    pub average_ts: Option<i64>,
    /// How many devices' values the average is made of.
    pub averaged: u32,
    /// The highest severity among active alarms of its devices (`CRITICAL`, `MAJOR`, ...).
    pub worst_alarm: Option<String>,
}

/// Rollups of an opened node: the first row is the node itself, then one per child, in tree
/// order. Each batch replaces the previous one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeRollupBatch {
    pub node_id: String,
    /// The time-series key every row's `average` is of.
    pub average_key: String,
    pub rows: Vec<NodeRollup>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rollups_use_camel_case_and_round_trip() {
        let batch = NodeRollupBatch {
            node_id: "n".into(),
            average_key: "co2".into(),
            rows: vec![NodeRollup {
                id: "n".into(),
                name: "Floor 1".into(),
                kind: NodeKind::Floor,
                devices: 3,
                offline: 1,
                average: Some(21.5),
                average_ts: Some(7),
                averaged: 2,
                worst_alarm: Some("MAJOR".into()),
            }],
        };
        let v = serde_json::to_value(&batch).unwrap();
        assert_eq!(v["nodeId"], "n");
        assert_eq!(v["averageKey"], "co2");
        assert_eq!(v["rows"][0]["average"], 21.5);
        assert_eq!(v["rows"][0]["averageTs"], 7);
        assert_eq!(v["rows"][0]["worstAlarm"], "MAJOR");
        assert_eq!(v["rows"][0]["kind"], "floor");
        assert_eq!(serde_json::from_value::<NodeRollupBatch>(v).unwrap(), batch);
        let args: NodeArgs = serde_json::from_value(serde_json::json!({"nodeId": "x"})).unwrap();
        assert_eq!(args.node_id, "x");
        let watch: WatchNodeArgs = serde_json::from_value(serde_json::json!({"nodeId": "x"})).unwrap();
        assert_eq!(watch.average_key, None, "the key may be left out");
        let watch = WatchNodeArgs { node_id: "x".into(), average_key: Some("humidity".into()) };
        assert_eq!(serde_json::to_value(&watch).unwrap()["averageKey"], "humidity");
    }
}
