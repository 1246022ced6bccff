use crate::tree::NodeKind;
use serde::{Deserialize, Serialize};

/// Arguments naming one node of the building (an asset or a device).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeArgs {
    pub node_id: String,
}

/// The live summary of one node: its devices (all levels below it), how many are offline, the
/// average room temperature with the newest reading's timestamp, and its worst active alarm.
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
    pub avg_temperature: Option<f64>,
    /// The server's timestamp (ms) of the newest temperature in the average.
    pub temperature_ts: Option<i64>,
    /// The highest severity among active alarms of its devices (`CRITICAL`, `MAJOR`, ...).
    pub worst_alarm: Option<String>,
}

/// Rollups of an opened node: the first row is the node itself, then one per child, in tree
/// order. Each batch replaces the previous one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeRollupBatch {
    pub node_id: String,
    pub rows: Vec<NodeRollup>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rollups_use_camel_case_and_round_trip() {
        let batch = NodeRollupBatch {
            node_id: "n".into(),
            rows: vec![NodeRollup {
                id: "n".into(),
                name: "Floor 1".into(),
                kind: NodeKind::Floor,
                devices: 3,
                offline: 1,
                avg_temperature: Some(21.5),
                temperature_ts: Some(7),
                worst_alarm: Some("MAJOR".into()),
            }],
        };
        let v = serde_json::to_value(&batch).unwrap();
        assert_eq!(v["nodeId"], "n");
        assert_eq!(v["rows"][0]["avgTemperature"], 21.5);
        assert_eq!(v["rows"][0]["temperatureTs"], 7);
        assert_eq!(v["rows"][0]["worstAlarm"], "MAJOR");
        assert_eq!(v["rows"][0]["kind"], "floor");
        assert_eq!(serde_json::from_value::<NodeRollupBatch>(v).unwrap(), batch);
        let args: NodeArgs = serde_json::from_value(serde_json::json!({"nodeId": "x"})).unwrap();
        assert_eq!(args.node_id, "x");
    }
}
