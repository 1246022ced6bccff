//! ThingsBoard sends time-series values as text (Java's `Double.toString` for doubles: `25.0`, `1.0E-4`).
//! This is the one place that text becomes a typed value.

use serde_json::Value;

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
            _ => match parse_number(text) {
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
}

/// A finite decimal number in JSON/Java syntax: `-12`, `22.5`, `1.0E-4`, `1.23456789E8`.
/// Text with a leading zero before more digits (`007`, an id) stays text, as does `NaN`/`Infinity`.
fn parse_number(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    let digits_start = usize::from(bytes.first() == Some(&b'-'));
    let rest = &bytes[digits_start..];
    if rest.is_empty() || !rest[0].is_ascii_digit() {
        return None;
    }
    if rest[0] == b'0' && rest.get(1).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let mut i = 0;
    let mut seen_dot = false;
    let mut seen_exp = false;
    while i < rest.len() {
        match rest[i] {
            b'0'..=b'9' => {}
            b'.' if !seen_dot && !seen_exp => {
                seen_dot = true;
                if !rest.get(i + 1).is_some_and(u8::is_ascii_digit) {
                    return None;
                }
            }
            b'e' | b'E' if !seen_exp => {
                seen_exp = true;
                if matches!(rest.get(i + 1), Some(b'+' | b'-')) {
                    i += 1;
                }
                if !rest.get(i + 1).is_some_and(u8::is_ascii_digit) {
                    return None;
                }
            }
            _ => return None,
        }
        i += 1;
    }
    text.parse::<f64>().ok().filter(|n| n.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_double_text_becomes_numbers() {
        for (text, n) in [
            ("25.0", 25.0),
            ("1.0E-4", 1.0e-4),
            ("1.23456789E8", 1.23456789e8),
            ("-0.5", -0.5),
            ("61", 61.0),
            ("0", 0.0),
            ("0.25", 0.25),
        ] {
            assert_eq!(TbValue::from_text(text), TbValue::Number(n), "{text}");
        }
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
