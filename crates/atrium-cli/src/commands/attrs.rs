//! `attrs`: a device's attributes, of one scope or all three (each read by scope, so every
//! attribute is reported with its scope).

use crate::session::Session;
use crate::{output, resolve};
use serde_json::{json, Value};
use tb_client::proto::telemetry::AttributeScope;

pub(crate) async fn run(
    session: &Session,
    json: bool,
    device: &str,
    scope: Option<AttributeScope>,
) -> anyhow::Result<()> {
    let device = resolve::device(&session.client, device).await?;
    let scopes = match scope {
        Some(scope) => vec![scope],
        None => AttributeScope::ALL.to_vec(),
    };
    let mut rows = Vec::new();
    for scope in scopes {
        let mut attributes = session.client.attributes(device.entity_id(), Some(scope), &[]).await?;
        attributes.sort_by(|a, b| a.key.cmp(&b.key));
        rows.extend(attributes.into_iter().map(|a| (scope, a)));
    }
    if json {
        let list: Vec<Value> = rows
            .iter()
            .map(|(scope, a)| {
                json!({"key": a.key, "value": a.value, "lastUpdateTs": a.last_update_ts, "scope": scope.as_str()})
            })
            .collect();
        return output::line(Value::Array(list));
    }
    let lines: Vec<String> = rows
        .iter()
        .map(|(scope, a)| {
            format!(
                "{} {}={} (updated {})",
                scope.as_str(),
                a.key,
                output::value_text(&a.value),
                output::iso_time(a.last_update_ts)
            )
        })
        .collect();
    if lines.is_empty() {
        return Ok(());
    }
    output::line(lines.join("\n"))
}
