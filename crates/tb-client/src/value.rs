//! ThingsBoard sends time-series values as text (Java's `Double.toString` for doubles: `25.0`, `1.0E-4`).
//! This is the one place that text becomes a typed value; the readings are `tb_proto::value`'s.

use serde_json::Value;
use tb_proto::value::{java_number, Reading, Stamped};

/// One key's value with the server's timestamp (ms).
#[derive(Debug, Clone, PartialEq)]
pub struct LatestValue {
    pub key: String,
    pub ts: i64,
    pub value: TbValue,
}

/// A telemetry or attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum TbValue {
    Number(f64),
    Bool(bool),
    Text(String),
    /// Structured JSON (JSON-typed keys, attribute objects).
    Json(Value),
    /// No data for the key (`null`, or `""` with ts 0 for a deleted key).
    Missing,
}

impl TbValue {
    /// Parses the text form the server uses on the WebSocket and in non-strict REST answers.
    pub fn from_text(text: &str) -> Self {
        match text {
            "true" => Self::Bool(true),
            "false" => Self::Bool(false),
            _ => match java_number(text) {
                Some(n) => Self::Number(n),
                None => Self::Text(text.to_owned()),
            },
        }
    }

    /// Any JSON value: strings are parsed as text, native types kept.
    pub fn from_json(value: &Value) -> Self {
        match value {
            Value::Null => Self::Missing,
            Value::Bool(b) => Self::Bool(*b),
            Value::Number(n) => n.as_f64().map_or_else(|| Self::Json(value.clone()), Self::Number),
            Value::String(s) => Self::from_text(s),
            other => Self::Json(other.clone()),
        }
    }

    /// The value as JSON: numbers and booleans native, text as strings, missing as null.
    pub fn to_json(&self) -> Value {
        match self {
            Self::Number(n) => serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number),
            Self::Bool(b) => Value::Bool(*b),
            Self::Text(t) => Value::String(t.clone()),
            Self::Json(v) => v.clone(),
            Self::Missing => Value::Null,
        }
    }

    /// How the shared readings (`tb_proto::value::Reading`) see this value.
    pub fn reading(&self) -> Reading<'_> {
        match self {
            Self::Number(n) => Reading::Number(*n),
            Self::Bool(b) => Reading::Bool(*b),
            Self::Text(t) => Reading::Text(t),
            Self::Json(_) | Self::Missing => Reading::Other,
        }
    }

    /// The value as a number: a finite number, or text that reads as one.
    pub fn as_f64(&self) -> Option<f64> {
        self.reading().number()
    }

    /// The value as on/off: a boolean, a number (0 is off), or `true`/`on`/`1` and their opposites.
    pub fn as_bool(&self) -> Option<bool> {
        self.reading().switch()
    }
}

impl Stamped for LatestValue {
    type Slot = String;
    fn slot(&self) -> String {
        self.key.clone()
    }
    fn ts(&self) -> i64 {
        self.ts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_double_text_becomes_numbers() {
        for (text, n) in [("25.0", 25.0), ("1.0E-4", 1.0e-4), ("-0.5", -0.5), ("61", 61.0)] {
            assert_eq!(TbValue::from_text(text), TbValue::Number(n), "{text}");
        }
    }

    #[test]
    fn values_read_as_numbers_and_switches() {
        assert_eq!(TbValue::Number(21.5).as_f64(), Some(21.5));
        assert_eq!(TbValue::Text(" 007".into()).as_f64(), Some(7.0));
        assert_eq!(TbValue::Number(f64::NAN).as_f64(), None);
        assert_eq!(TbValue::Bool(true).as_f64(), None);
        assert_eq!(TbValue::Missing.as_f64(), None);
        assert_eq!(TbValue::Bool(false).as_bool(), Some(false));
        assert_eq!(TbValue::Number(1.0).as_bool(), Some(true));
        assert_eq!(TbValue::Text("ON".into()).as_bool(), Some(true));
        assert_eq!(TbValue::Text("maybe".into()).as_bool(), None);
        assert_eq!(TbValue::Json(serde_json::json!({"on": true})).as_bool(), None);
    }

    #[test]
    fn other_text_stays_text() {
        for text in ["007", "NaN", "Infinity", "1.", ".5", "1e", "12a", "", "-", "on", "1,5", " 1"] {
            assert_eq!(TbValue::from_text(text), TbValue::Text(text.to_owned()), "{text}");
        }
        assert_eq!(TbValue::from_text("true"), TbValue::Bool(true));
    }

    #[test]
    fn json_values_keep_native_types() {
        assert_eq!(TbValue::from_json(&serde_json::json!(22.5)), TbValue::Number(22.5));
        assert_eq!(TbValue::from_json(&serde_json::json!("22.5")), TbValue::Number(22.5));
        assert_eq!(TbValue::from_json(&Value::Null), TbValue::Missing);
        assert_eq!(TbValue::from_text("1.0E-4").to_json(), serde_json::json!(0.0001));
    }
}
