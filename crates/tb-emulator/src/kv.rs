//! Stored values and how ThingsBoard renders them (`CD/kv/*DataEntry`).

use serde_json::Value;

/// One stored value, typed like ThingsBoard's `KvEntry` (boolean, long, double, string, JSON).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum KvValue {
    Bool(bool),
    Long(i64),
    Double(f64),
    Str(String),
    Json(Value),
}

impl KvValue {
    /// Types a JSON value the way the server's JSON converter does: integers become longs,
    /// any other number a double (`22.0` stays a double), objects and arrays JSON.
    /// `null` has no `KvEntry`, so it yields `None`.
    pub(crate) fn from_json(value: &Value) -> Option<Self> {
        Some(match value {
            Value::Null => return None,
            Value::Bool(b) => Self::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => Self::Long(i),
                None => Self::Double(n.as_f64()?),
            },
            Value::String(s) => Self::Str(s.clone()),
            other => Self::Json(other.clone()),
        })
    }

    /// `getValueAsString`: what non-strict REST answers and every WebSocket update carry.
    pub(crate) fn as_string(&self) -> String {
        match self {
            Self::Bool(b) => b.to_string(),
            Self::Long(i) => i.to_string(),
            Self::Double(d) => java_double_to_string(*d),
            Self::Str(s) => s.clone(),
            Self::Json(v) => v.to_string(),
        }
    }

    /// The native JSON form (`useStrictDataTypes=true`, attribute values).
    pub(crate) fn to_json(&self) -> Value {
        match self {
            Self::Bool(b) => Value::Bool(*b),
            Self::Long(i) => Value::from(*i),
            Self::Double(d) => serde_json::Number::from_f64(*d)
                .map(Value::Number)
                .unwrap_or_else(|| Value::String(self.as_string())),
            Self::Str(s) => Value::String(s.clone()),
            Self::Json(v) => v.clone(),
        }
    }

    pub(crate) fn as_f64(&self) -> Option<f64> {
        match self {
            Self::Long(i) => Some(*i as f64),
            Self::Double(d) => Some(*d),
            _ => None,
        }
    }

    pub(crate) fn as_bool(&self) -> Option<bool> {
        match self {
            Self::Bool(b) => Some(*b),
            _ => None,
        }
    }
}

/// Java's `Double.toString`: plain decimal with at least one fractional digit for
/// `1e-3 <= |d| < 1e7`, otherwise computerized scientific notation (`1.0E-4`, `1.23456789E8`).
/// Both Rust and modern Java (JDK 19+) print the shortest digits that round-trip.
pub(crate) fn java_double_to_string(d: f64) -> String {
    if d.is_nan() {
        return "NaN".to_owned();
    }
    if d.is_infinite() {
        return if d > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    let magnitude = d.abs();
    if magnitude == 0.0 || (1e-3..1e7).contains(&magnitude) {
        let mut text = format!("{d}");
        if !text.contains('.') {
            text.push_str(".0");
        }
        return text;
    }
    let sci = format!("{d:e}");
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let mantissa = if mantissa.contains('.') { mantissa.to_owned() } else { format!("{mantissa}.0") };
    format!("{mantissa}E{exponent}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_double_formatting() {
        for (value, expected) in [
            (25.0, "25.0"),
            (1.0e-4, "1.0E-4"),
            (1.23456789e8, "1.23456789E8"),
            (22.5, "22.5"),
            (-0.5, "-0.5"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (0.001, "0.001"),
            (1.0e7, "1.0E7"),
            (9999999.0, "9999999.0"),
            (-2.5e-7, "-2.5E-7"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
        ] {
            assert_eq!(java_double_to_string(value), expected, "{value}");
        }
    }

    #[test]
    fn json_numbers_keep_their_kind() {
        let long = KvValue::from_json(&serde_json::json!(61)).unwrap();
        let double = KvValue::from_json(&serde_json::json!(22.0)).unwrap();
        assert_eq!(long.as_string(), "61");
        assert_eq!(double.as_string(), "22.0");
        assert_eq!(double.to_json(), serde_json::json!(22.0));
        assert_eq!(KvValue::from_json(&serde_json::json!({"a": 1})).unwrap().as_string(), r#"{"a":1}"#);
        assert!(KvValue::from_json(&Value::Null).is_none());
    }
}
