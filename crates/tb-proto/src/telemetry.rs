//! Time series and attributes over REST (`/api/plugins/telemetry/...`).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// `TsData {ts, value}`. The value is a string unless `useStrictDataTypes=true`, and `null`
/// for a requested key that was never written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TsData {
    pub ts: i64,
    pub value: Value,
}

/// The answer to `GET .../values/timeseries`: key -> points, newest first.
pub type TimeseriesResponse = BTreeMap<String, Vec<TsData>>;

/// `AttributeData {lastUpdateTs, key, value}`; values are typed JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttributeData {
    pub last_update_ts: i64,
    pub key: String,
    pub value: Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AttributeScope {
    ClientScope,
    ServerScope,
    SharedScope,
}

impl AttributeScope {
    pub const ALL: [Self; 3] = [Self::ClientScope, Self::ServerScope, Self::SharedScope];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientScope => "CLIENT_SCOPE",
            Self::ServerScope => "SERVER_SCOPE",
            Self::SharedScope => "SHARED_SCOPE",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latest_timeseries_parses_string_and_null_values() {
        let r: TimeseriesResponse = serde_json::from_str(
            r#"{"temperature": [{"ts": 1751450400000, "value": "22.5"}], "never": [{"ts": 1751450400001, "value": null}]}"#,
        )
        .unwrap();
        assert_eq!(r["temperature"][0].value, Value::String("22.5".into()));
        assert!(r["never"][0].value.is_null());
    }

    #[test]
    fn attributes_are_typed() {
        let a: Vec<AttributeData> = serde_json::from_str(
            r#"[{"lastUpdateTs": 1751440000000, "key": "active", "value": true},
 {"lastUpdateTs": 1751300000000, "key": "config", "value": {"interval": 30, "unit": "s"}}]"#,
        )
        .unwrap();
        assert_eq!(a[0].value, Value::Bool(true));
        assert!(a[1].value.is_object());
    }
}
