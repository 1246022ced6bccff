//! `alarms`: active alarms, of one entity (a device or an asset) or of everything the user sees.

use crate::session::Session;
use crate::{output, resolve};
use serde_json::{json, Value};
use tb_client::proto::alarm::{AlarmInfo, AlarmSearchStatus};

pub(crate) async fn run(session: &Session, json: bool, entity: Option<&str>) -> anyhow::Result<()> {
    let entity = match entity {
        Some(arg) => Some(resolve::entity(&session.client, arg).await?),
        None => None,
    };
    let alarms = session.client.all_alarms(entity, AlarmSearchStatus::Active).await?;
    if json {
        return output::line(Value::Array(alarms.iter().map(alarm_json).collect()));
    }
    let lines: Vec<String> = alarms.iter().map(alarm_text).collect();
    if lines.is_empty() {
        return output::line("no active alarms");
    }
    output::line(lines.join("\n"))
}

fn originator(info: &AlarmInfo) -> String {
    info.originator_name.clone().unwrap_or_else(|| info.alarm.originator.id.to_string())
}

/// `{"id","type","severity","status","originatorName","startTs"}`, exactly.
fn alarm_json(info: &AlarmInfo) -> Value {
    let a = &info.alarm;
    json!({
        "id": a.id.id.to_string(),
        "type": a.alarm_type,
        "severity": a.severity.as_str(),
        "status": a.status.as_str(),
        "originatorName": originator(info),
        "startTs": a.start_ts,
    })
}

/// `start severity status type: originator`.
fn alarm_text(info: &AlarmInfo) -> String {
    let a = &info.alarm;
    format!(
        "{} {} {} {}: {}",
        output::iso_time(a.start_ts),
        a.severity.as_str(),
        a.status.as_str(),
        a.alarm_type,
        originator(info)
    )
}
