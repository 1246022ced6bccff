//! A device's attributes in `Core`: the three scopes read at once, each bounded, and the unit
//! overrides among them.

use super::{parse_device_id, Core};
use crate::app_error::to_app_error;
use atrium_ipc::{
    AppError, AttributeEntry, AttributeScopeName, DeviceAttributes, ErrorCode, ScopeAttributes,
    UNITS_ATTRIBUTE,
};
use serde_json::Value;
use std::collections::BTreeMap;
use tb_client::proto::telemetry::{AttributeData, AttributeScope};

/// Attributes shown per scope.
const MAX_ENTRIES: usize = 200;
/// Characters of a value shown.
const MAX_VALUE_CHARS: usize = 300;
/// Unit overrides taken, and characters of one unit.
const MAX_UNITS: usize = 100;
const MAX_UNIT_CHARS: usize = 16;

impl Core {
    /// The device's client, shared and server attributes, read-only. A scope the server refuses
    /// (or fails) says so in its place; only an ended session is an error.
    pub async fn device_attributes(&self, device_id: &str) -> Result<DeviceAttributes, AppError> {
        let active = self.shared.require()?;
        let entity = parse_device_id(device_id)?.entity_id();
        let read = |scope| active.client.attributes(entity, Some(scope), &[]);
        let (client, shared, server) = tokio::join!(
            read(AttributeScope::ClientScope),
            read(AttributeScope::SharedScope),
            read(AttributeScope::ServerScope)
        );
        let mut units = BTreeMap::new();
        let mut scopes = Vec::new();
        // Server first, so that shared overrides win.
        for (name, answer) in [
            (AttributeScopeName::Server, server),
            (AttributeScopeName::Shared, shared),
            (AttributeScopeName::Client, client),
        ] {
            match answer {
                Ok(data) => {
                    if name != AttributeScopeName::Client {
                        if let Some(a) = data.iter().find(|a| a.key == UNITS_ATTRIBUTE) {
                            units.extend(units_of(&a.value));
                        }
                    }
                    scopes.push(scope_of(name, data));
                }
                Err(e) => {
                    let error = to_app_error(&e);
                    if error.code == ErrorCode::SessionExpired {
                        return Err(self.fail(&active, &e));
                    }
                    scopes.push(ScopeAttributes {
                        scope: name,
                        entries: Vec::new(),
                        cut: 0,
                        error: Some(error.message),
                    });
                }
            }
        }
        scopes.sort_by_key(|s| s.scope);
        Ok(DeviceAttributes { device_id: device_id.to_owned(), scopes, units })
    }
}

fn scope_of(scope: AttributeScopeName, mut data: Vec<AttributeData>) -> ScopeAttributes {
    data.sort_by(|a, b| a.key.cmp(&b.key));
    let cut = u32::try_from(data.len().saturating_sub(MAX_ENTRIES)).unwrap_or(u32::MAX);
    let entries = data
        .into_iter()
        .take(MAX_ENTRIES)
        .map(|a| AttributeEntry {
            value: shown(&a.value),
            key: cut_text(&a.key, MAX_VALUE_CHARS),
            last_update_ms: a.last_update_ts,
        })
        .collect();
    ScopeAttributes { scope, entries, cut, error: None }
}

/// Text as is, anything else as compact JSON; cut at [`MAX_VALUE_CHARS`].
fn shown(value: &Value) -> String {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    cut_text(&text, MAX_VALUE_CHARS)
}

fn cut_text(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// The overrides of an `atriumUnits` value: an object (or its JSON text) of key -> short unit.
fn units_of(value: &Value) -> BTreeMap<String, String> {
    let parsed;
    let object = match value {
        Value::Object(map) => map,
        Value::String(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => {
                parsed = map;
                &parsed
            }
            _ => return BTreeMap::new(),
        },
        _ => return BTreeMap::new(),
    };
    object
        .iter()
        .filter_map(|(key, unit)| {
            let unit = unit.as_str()?.trim();
            (!unit.is_empty() && unit.chars().count() <= MAX_UNIT_CHARS)
                .then(|| (key.clone(), unit.to_owned()))
        })
        .take(MAX_UNITS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unit_overrides_are_short_strings_from_an_object_or_its_text() {
        let units =
            units_of(&json!({"temperature": "°F", "flow": " m³/h ", "bad": 5, "long": "x".repeat(40)}));
        assert_eq!(
            units,
            BTreeMap::from([
                ("flow".to_owned(), "m³/h".to_owned()),
                ("temperature".to_owned(), "°F".to_owned())
            ])
        );
        assert_eq!(units_of(&json!("{\"co2\": \"ppm\"}")).get("co2").map(String::as_str), Some("ppm"));
        assert!(units_of(&json!("not json")).is_empty());
    }

    #[test]
    fn long_values_and_many_attributes_are_cut_and_counted() {
        assert_eq!(shown(&json!({"a": [1, 2]})), r#"{"a":[1,2]}"#);
        assert_eq!(shown(&json!("é".repeat(400))).chars().count(), MAX_VALUE_CHARS + 1);
        let many = (0..250)
            .map(|i| AttributeData { last_update_ts: i, key: format!("k{i:03}"), value: json!(i) })
            .collect();
        let scope = scope_of(AttributeScopeName::Server, many);
        assert_eq!((scope.entries.len(), scope.cut), (MAX_ENTRIES, 50));
        assert_eq!(scope.entries[0].key, "k000");
    }
}
