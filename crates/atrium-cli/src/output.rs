//! Writing to stdout (a closed pipe ends the command quietly) and formatting values and times.

use serde_json::Value;
use std::io::Write;
use tb_client::TbValue;

/// Stdout was closed by the reader (`atrium-cli watch x | head -1`): stop, successfully.
#[derive(Debug)]
pub(crate) struct StdoutClosed;

impl std::fmt::Display for StdoutClosed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("stdout closed")
    }
}

impl std::error::Error for StdoutClosed {}

/// Prints one line on stdout and flushes it.
pub(crate) fn line(text: impl std::fmt::Display) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(StdoutClosed.into()),
        Err(e) => Err(anyhow::anyhow!("cannot write to stdout: {e}")),
    }
}

/// A telemetry value for `--json`: a number or boolean when the text is one, else a string.
pub(crate) fn value_json(value: &TbValue) -> Value {
    match value {
        TbValue::Json(v) => Value::String(v.to_string()),
        other => other.to_json(),
    }
}

/// A JSON value for a person: strings bare, the rest as compact JSON.
pub(crate) fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Epoch milliseconds as ISO 8601 UTC: `2025-07-02T10:00:00.000Z`.
pub(crate) fn iso_time(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let of_day = secs.rem_euclid(86_400);
    let (y, m, d) = atrium_ipc::time::civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn times_are_iso_utc() {
        assert_eq!(iso_time(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_time(1_751_450_400_123), "2025-07-02T10:00:00.123Z");
        assert_eq!(iso_time(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(iso_time(-1), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn values_keep_numbers_and_booleans() {
        assert_eq!(value_json(&TbValue::from_text("1.0E-4")), json!(0.0001));
        assert_eq!(value_json(&TbValue::from_text("true")), json!(true));
        assert_eq!(value_json(&TbValue::from_text("on")), json!("on"));
        assert_eq!(value_json(&TbValue::Json(json!({"a": 1}))), json!(r#"{"a":1}"#));
        assert_eq!(value_text(&json!("on")), "on");
        assert_eq!(value_text(&json!(22.5)), "22.5");
    }
}
