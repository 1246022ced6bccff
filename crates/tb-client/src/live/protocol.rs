//! The live protocol as values, without IO: what to send on connecting, what a received frame
//! means, and why a connection ended. The actor ([`super::actor`]) only moves frames and keeps
//! time; everything here is tested without sockets.
//!
//! Two dialects: `/api/ws` with a first-message `authCmd` and `{"cmds": [...]}` (3.6.2+), and,
//! once `/api/ws` has answered 404, the legacy `/api/ws/plugins/telemetry?token=` with
//! `{"tsSubCmds": [...], ...}` for the rest of the session.

use super::subscription::{AlarmPage, EntityValue, SubscriptionError};
use super::transport::ConnectError;
use crate::value::{LatestValue, TbValue};
use serde::Deserialize;
use serde_json::Value;
use std::time::Duration;
use tb_proto::ws::{
    close_code, AlarmCountUpdate, AlarmDataUpdate, AuthCmd, CmdUpdateType, EntityDataUpdate,
    TelemetryCmdsWrapper, TelemetrySubscriptionUpdate, WsCmd, WsCommandsWrapper,
};
use url::Url;

/// The endpoint in use and the message shape it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// `/api/ws`: `{"authCmd": ..., "cmds": [...]}` (`WsCommandsWrapper`).
    General,
    /// `/api/ws/plugins/telemetry?token=`: one list per command kind (`TelemetryCmdsWrapper`).
    Legacy,
}

/// Where to connect. The legacy URL carries the token: it goes to the transport and nowhere else.
pub(crate) fn connect_url(general: &Url, dialect: Dialect, token: &str) -> Url {
    let mut url = general.clone();
    if dialect == Dialect::Legacy {
        let path = format!("{}/plugins/telemetry", url.path().trim_end_matches('/'));
        url.set_path(&path);
        url.query_pairs_mut().append_pair("token", token);
    }
    url
}

/// The messages that open a connection: the replay in batches of `per_message`, the first one
/// carrying the `authCmd` on `/api/ws` (the legacy endpoint was authenticated by its URL). The
/// server acknowledges a good `authCmd` with nothing, so these are sent without waiting.
pub(crate) fn connect_messages(
    dialect: Dialect,
    token: &str,
    replay: Vec<WsCmd>,
    per_message: usize,
) -> Result<Vec<String>, serde_json::Error> {
    let mut auth = (dialect == Dialect::General).then(|| AuthCmd::token(0, token));
    let mut messages = Vec::new();
    let mut replay = replay.into_iter().peekable();
    while auth.is_some() || replay.peek().is_some() {
        let batch: Vec<WsCmd> = replay.by_ref().take(per_message.max(1)).collect();
        messages.push(encode(dialect, auth.take(), batch)?);
    }
    Ok(messages)
}

/// One message in the dialect's shape.
pub(crate) fn encode(
    dialect: Dialect,
    auth: Option<AuthCmd>,
    cmds: Vec<WsCmd>,
) -> Result<String, serde_json::Error> {
    match dialect {
        Dialect::General => serde_json::to_string(&WsCommandsWrapper { auth_cmd: auth, cmds }),
        Dialect::Legacy => serde_json::to_string(&legacy_wrapper(cmds)),
    }
}

/// The same commands in the legacy wrapper (no `type`, one list per kind). The server runs the
/// lists in a fixed order; cmdIds are never reused, so reordering within a message is harmless.
fn legacy_wrapper(cmds: Vec<WsCmd>) -> TelemetryCmdsWrapper {
    let mut wrapper = TelemetryCmdsWrapper::default();
    for cmd in cmds {
        match cmd {
            WsCmd::Timeseries(c) => wrapper.ts_sub_cmds.push(c),
            WsCmd::Attributes(c) => wrapper.attr_sub_cmds.push(c),
            WsCmd::EntityData(c) => wrapper.entity_data_cmds.push(c),
            WsCmd::EntityDataUnsubscribe(c) => wrapper.entity_data_unsubscribe_cmds.push(c),
            WsCmd::AlarmCount(c) => wrapper.alarm_count_cmds.push(c),
            WsCmd::AlarmCountUnsubscribe(c) => wrapper.alarm_count_unsubscribe_cmds.push(c),
            WsCmd::AlarmData(c) => wrapper.alarm_data_cmds.push(c),
            WsCmd::AlarmDataUnsubscribe(c) => wrapper.alarm_data_unsubscribe_cmds.push(c),
            other => tracing::error!(cmd_id = other.cmd_id(), "no legacy form for this command; not sent"),
        }
    }
    wrapper
}

/// What one received text frame says.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Inbound {
    /// For the subscription `cmd_id`.
    Update { cmd_id: i32, body: Body },
    /// "Failed to parse the payload": the server could not read a message we sent. It comes with
    /// subscriptionId 1 whatever we sent, so it is about no subscription.
    PayloadRejected,
    /// A kind of update we never subscribe to.
    Unexpected(CmdUpdateType),
}

/// The content of one update.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Body {
    Error(SubscriptionError),
    /// `TIMESERIES`/`ATTRIBUTES`: the newest point of each key in the frame.
    Values(Vec<LatestValue>),
    /// `ENTITY_DATA`: a page (`matching` is then its total, and the values a snapshot) or deltas.
    EntityValues {
        matching: Option<i64>,
        values: Vec<EntityValue>,
    },
    /// `ALARM_COUNT`.
    Count(i64),
    /// `ALARM_DATA`: the whole page again, or alarms of the page that changed.
    AlarmPage(AlarmPage),
    AlarmsChanged(Vec<tb_proto::query::AlarmData>),
}

/// What tells the kinds of update apart; everything else in the frame is skipped unread.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Head {
    #[serde(default)]
    subscription_id: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    cmd_update_type: Option<CmdUpdateType>,
}

/// Decodes a frame: a first pass reads only what kind of update it is (skipping the rest
/// without building it), the second reads it as that update, straight from the text (no JSON
/// tree in between: a page of thousands of entities is one frame). Legacy-shaped updates
/// (`TIMESERIES`/`ATTRIBUTES`, and errors for every command) carry a `subscriptionId`; the v2
/// ones a `cmdId` and a `cmdUpdateType`.
pub(crate) fn decode(text: &str) -> Result<Inbound, serde_json::Error> {
    let head: Head = serde_json::from_str(text)?;
    if head.subscription_id.is_some() {
        return Ok(legacy(serde_json::from_str::<TelemetrySubscriptionUpdate>(text)?));
    }
    match head.cmd_update_type {
        Some(CmdUpdateType::EntityData) => Ok(entity_data(serde_json::from_str(text)?)),
        Some(CmdUpdateType::AlarmCountData) => Ok(alarm_count(serde_json::from_str(text)?)),
        Some(CmdUpdateType::AlarmData) => Ok(alarm_data(serde_json::from_str(text)?)),
        Some(other) => Ok(Inbound::Unexpected(other)),
        None => Err(serde::de::Error::missing_field("cmdUpdateType")),
    }
}

fn error(cmd_id: i32, code: i32, message: Option<String>) -> Inbound {
    let message = message.unwrap_or_else(|| "subscription error".into());
    Inbound::Update { cmd_id, body: Body::Error(SubscriptionError { code, message }) }
}

fn legacy(update: TelemetrySubscriptionUpdate) -> Inbound {
    if update.error_code != 0 {
        if update.error_msg.as_deref() == Some("Failed to parse the payload") {
            return Inbound::PayloadRejected;
        }
        // May also be for an ENTITY_DATA/ALARM_COUNT command ("Query is empty!").
        return error(update.subscription_id, update.error_code, update.error_msg);
    }
    let values = update
        .data
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(key, points)| {
            // Points may come oldest- or newest-first: take the newest, never `latestValues`.
            let point = points.into_iter().max_by_key(|p| p.0)?;
            let value = match &point.1 {
                Value::String(s) if s.is_empty() && point.0 == 0 => TbValue::Missing,
                other => TbValue::from_json(other),
            };
            Some(LatestValue { key, ts: point.0, value })
        })
        .collect();
    Inbound::Update { cmd_id: update.subscription_id, body: Body::Values(values) }
}

/// A `data` page is a snapshot (the first answer, and a dynamic page's refresh); `update` rows
/// are deltas with only the changed keys.
fn entity_data(update: EntityDataUpdate) -> Inbound {
    if update.error_code != 0 {
        return error(update.cmd_id, update.error_code, update.error_msg);
    }
    let (matching, rows) = match (update.data, update.update) {
        (Some(page), _) => (Some(page.total_elements), page.data),
        (None, Some(rows)) => (None, rows),
        (None, None) => (None, Vec::new()),
    };
    let values = rows
        .into_iter()
        .flat_map(|row| {
            let entity = row.entity_id;
            row.latest.into_iter().flat_map(move |(key_type, keys)| {
                keys.into_iter().map(move |(key, tv)| EntityValue {
                    entity,
                    key_type,
                    // Every value is a string here; ts 0 with "" is a key without data.
                    value: if tv.ts == 0 && tv.value.is_empty() {
                        TbValue::Missing
                    } else {
                        TbValue::from_text(&tv.value)
                    },
                    key,
                    ts: tv.ts,
                })
            })
        })
        .collect();
    Inbound::Update { cmd_id: update.cmd_id, body: Body::EntityValues { matching, values } }
}

fn alarm_count(update: AlarmCountUpdate) -> Inbound {
    if update.error_code != 0 {
        return error(update.cmd_id, update.error_code, update.error_msg);
    }
    Inbound::Update { cmd_id: update.cmd_id, body: Body::Count(i64::from(update.count)) }
}

fn alarm_data(update: AlarmDataUpdate) -> Inbound {
    if update.error_code != 0 {
        return error(update.cmd_id, update.error_code, update.error_msg);
    }
    let body = match (update.data, update.update) {
        (Some(page), _) => Body::AlarmPage(AlarmPage {
            alarms: page.data,
            total_alarms: page.total_elements,
            matching_entities: update.total_entities,
            allowed_entities: update.allowed_entities,
        }),
        (None, changed) => Body::AlarmsChanged(changed.unwrap_or_default()),
    };
    Inbound::Update { cmd_id: update.cmd_id, body }
}

/// Why a connection ended, and so what happens next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ended {
    /// Shut down on request, or every handle is gone.
    Shutdown,
    /// Paused on request (the app went to the background): closed cleanly, reconnected on resume.
    Paused,
    /// The server rejected our token: refresh it, then reconnect.
    AuthRejected(String),
    /// `/api/ws` is missing: reconnect at once on the legacy endpoint, for the rest of the session.
    NoGeneralEndpoint,
    /// Anything else: reconnect after the backoff.
    Lost(String),
}

/// A connection that could not be opened. `WebSocketConfiguration`: a 3.6.2+ server always
/// upgrades `/api/ws` (it is outside the JWT filter), so 404 or 401 there means a server without
/// it. On the legacy endpoint 401 is a refused token.
pub(crate) fn connect_failed(dialect: Dialect, error: &ConnectError) -> Ended {
    match (dialect, error) {
        (Dialect::General, ConnectError::NotFound | ConnectError::Unauthorized) => Ended::NoGeneralEndpoint,
        (Dialect::Legacy, ConnectError::Unauthorized) => Ended::AuthRejected(error.to_string()),
        _ => Ended::Lost(error.to_string()),
    }
}

/// A refused `authCmd` closes the connection this soon after connecting.
const AUTH_CLOSE_WINDOW: Duration = Duration::from_secs(5);

/// A close frame from the server. The server refuses a bad `authCmd` by closing with 1007, 1008
/// or 1011 before it has sent anything; the same codes later are a lost connection.
pub(crate) fn closed_by_server(
    close: Option<(u16, String)>,
    text_frames_before: u64,
    connected_for: Duration,
) -> Ended {
    let (code, reason) = close.unwrap_or((1005, String::new()));
    let described = format!(
        "the server closed the connection ({code}{}{reason})",
        if reason.is_empty() { "" } else { ": " }
    );
    let auth_close =
        matches!(code, close_code::BAD_DATA | close_code::SERVER_ERROR | close_code::POLICY_VIOLATION);
    if auth_close && text_frames_before == 0 && connected_for < AUTH_CLOSE_WINDOW {
        Ended::AuthRejected(described)
    } else {
        Ended::Lost(described)
    }
}

/// `text` with every occurrence of `secret` replaced: errors can quote URLs, and the legacy URL
/// holds the token.
pub(crate) fn redact(text: String, secret: &str) -> String {
    if secret.is_empty() || !text.contains(secret) {
        text
    } else {
        text.replace(secret, "<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use tb_proto::query::EntityKeyType;
    use tb_proto::ws::{TimeseriesSubscriptionCmd, UnsubscribeCmd};
    use tb_proto::{EntityId, EntityType};

    fn ts_cmd(cmd_id: i32) -> WsCmd {
        WsCmd::Timeseries(TimeseriesSubscriptionCmd { cmd_id, ..Default::default() })
    }

    fn parsed(messages: &[String]) -> Vec<Value> {
        messages.iter().map(|m| serde_json::from_str(m).unwrap()).collect()
    }

    #[test]
    fn the_general_endpoint_authenticates_in_the_first_message_with_the_first_batch() {
        let messages = connect_messages(Dialect::General, "jwt", (1..=3).map(ts_cmd).collect(), 2).unwrap();
        let messages = parsed(&messages);
        assert_eq!(messages.len(), 2);
        assert_eq!(messages[0]["authCmd"], json!({"cmdId": 0, "token": "jwt"}));
        assert_eq!(messages[0]["cmds"].as_array().unwrap().len(), 2);
        assert!(messages[1].get("authCmd").is_none());
        assert_eq!(messages[1]["cmds"][0]["cmdId"], 3);
    }

    #[test]
    fn with_nothing_to_replay_the_general_endpoint_still_sends_the_auth_and_legacy_sends_nothing() {
        let general = parsed(&connect_messages(Dialect::General, "jwt", vec![], 10).unwrap());
        assert_eq!(general, vec![json!({"authCmd": {"cmdId": 0, "token": "jwt"}})]);
        assert!(connect_messages(Dialect::Legacy, "jwt", vec![], 10).unwrap().is_empty());
    }

    #[test]
    fn legacy_messages_sort_commands_into_their_lists_without_type_or_token() {
        let cmds = vec![ts_cmd(1), WsCmd::EntityDataUnsubscribe(UnsubscribeCmd::new(2))];
        let messages = connect_messages(Dialect::Legacy, "jwt", cmds, 10).unwrap();
        assert!(!messages[0].contains("jwt"));
        assert_eq!(
            parsed(&messages)[0],
            json!({"tsSubCmds": [{"cmdId": 1}], "entityDataUnsubscribeCmds": [{"cmdId": 2}]})
        );
    }

    #[test]
    fn only_the_legacy_url_carries_the_token() {
        let general: Url = "wss://tb.example/api/ws".parse().unwrap();
        assert_eq!(connect_url(&general, Dialect::General, "jwt"), general);
        assert_eq!(
            connect_url(&general, Dialect::Legacy, "a.b").as_str(),
            "wss://tb.example/api/ws/plugins/telemetry?token=a.b"
        );
    }

    #[test]
    fn a_legacy_update_yields_the_newest_point_per_key_in_any_order() {
        let frame = json!({
            "subscriptionId": 4, "errorCode": 0, "errorMsg": null,
            "data": {"temperature": [[30, "21.5"], [10, "20.0"]], "gone": [[0, ""]], "on": [[5, "true"]]},
            "latestValues": {"temperature": 10}
        });
        let Inbound::Update { cmd_id: 4, body: Body::Values(values) } = decode(&frame.to_string()).unwrap()
        else {
            panic!("values")
        };
        assert_eq!(
            values,
            vec![
                LatestValue { key: "gone".into(), ts: 0, value: TbValue::Missing },
                LatestValue { key: "on".into(), ts: 5, value: TbValue::Bool(true) },
                LatestValue { key: "temperature".into(), ts: 30, value: TbValue::Number(21.5) },
            ]
        );
    }

    #[test]
    fn errors_are_for_their_subscription_except_a_rejected_payload() {
        let error = json!({"subscriptionId": 7, "errorCode": 2, "errorMsg": "Query is empty!"});
        assert_eq!(
            decode(&error.to_string()).unwrap(),
            Inbound::Update {
                cmd_id: 7,
                body: Body::Error(SubscriptionError { code: 2, message: "Query is empty!".into() })
            }
        );
        let rejected =
            json!({"subscriptionId": 1, "errorCode": 2, "errorMsg": "Failed to parse the payload"});
        assert_eq!(decode(&rejected.to_string()).unwrap(), Inbound::PayloadRejected);
    }

    #[test]
    fn entity_data_pages_are_snapshots_with_their_total_and_updates_are_deltas() {
        let device = "6c0a1e20-3b7e-11ef-9a1d-1b2c3d4e5f60";
        let row = json!({
            "entityId": {"entityType": "DEVICE", "id": device},
            "latest": {"TIME_SERIES": {"temperature": {"ts": 9, "value": "22.0"}, "co2": {"ts": 0, "value": ""}}}
        });
        let page = json!({
            "cmdId": 3, "cmdUpdateType": "ENTITY_DATA",
            "data": {"data": [row], "totalPages": 1, "totalElements": 41, "hasNext": false}
        });
        let Inbound::Update { cmd_id: 3, body: Body::EntityValues { matching, values } } =
            decode(&page.to_string()).unwrap()
        else {
            panic!("entity values")
        };
        assert_eq!(matching, Some(41));
        let entity = EntityId::new(EntityType::Device, device.parse().unwrap());
        assert_eq!(
            values,
            vec![
                EntityValue {
                    entity,
                    key_type: EntityKeyType::TimeSeries,
                    key: "co2".into(),
                    ts: 0,
                    value: TbValue::Missing
                },
                EntityValue {
                    entity,
                    key_type: EntityKeyType::TimeSeries,
                    key: "temperature".into(),
                    ts: 9,
                    value: TbValue::Number(22.0)
                },
            ]
        );
        let delta = json!({"cmdId": 3, "cmdUpdateType": "ENTITY_DATA", "update": [row]});
        let Inbound::Update { body: Body::EntityValues { matching: None, values }, .. } =
            decode(&delta.to_string()).unwrap()
        else {
            panic!("a delta")
        };
        assert_eq!(values.len(), 2);
    }

    #[test]
    fn alarm_pages_and_changes() {
        let alarm = json!({"id": {"entityType": "ALARM", "id": "4a5b6c70-3b7e-11ef-9a1d-1b2c3d4e5f60"},
            "createdTime": 5, "type": "High CO2", "severity": "MAJOR", "acknowledged": false, "cleared": false,
            "status": "ACTIVE_UNACK", "startTs": 5, "endTs": 5, "ackTs": 0, "clearTs": 0,
            "originator": {"entityType": "DEVICE", "id": "6c0a1e20-3b7e-11ef-9a1d-1b2c3d4e5f60"},
            "originatorName": "Probe", "entityId": {"entityType": "DEVICE", "id": "6c0a1e20-3b7e-11ef-9a1d-1b2c3d4e5f60"},
            "latest": {}});
        let page = json!({"cmdId": 3, "errorCode": 0, "errorMsg": null, "cmdUpdateType": "ALARM_DATA",
            "data": {"data": [alarm], "totalPages": 1, "totalElements": 1, "hasNext": false}, "update": null,
            "allowedEntities": 10000, "totalEntities": 7});
        let Ok(Inbound::Update { cmd_id: 3, body: Body::AlarmPage(page) }) = decode(&page.to_string()) else {
            panic!("a page")
        };
        assert_eq!((page.alarms.len(), page.total_alarms, page.matching_entities), (1, 1, 7));
        let changed = json!({"cmdId": 3, "cmdUpdateType": "ALARM_DATA", "data": null, "update": [alarm],
            "allowedEntities": 10000, "totalEntities": 7});
        let Ok(Inbound::Update { body: Body::AlarmsChanged(changed), .. }) = decode(&changed.to_string())
        else {
            panic!("a change")
        };
        assert_eq!(changed[0].info.originator_name.as_deref(), Some("Probe"));
    }

    #[test]
    fn alarm_counts_other_kinds_and_garbage() {
        let count = json!({"cmdId": 5, "cmdUpdateType": "ALARM_COUNT_DATA", "count": 3});
        assert_eq!(decode(&count.to_string()).unwrap(), Inbound::Update { cmd_id: 5, body: Body::Count(3) });
        let error =
            json!({"cmdId": 5, "cmdUpdateType": "ALARM_COUNT_DATA", "errorCode": 1, "errorMsg": "boom"});
        assert!(matches!(decode(&error.to_string()).unwrap(), Inbound::Update { body: Body::Error(_), .. }));
        let other = json!({"cmdId": 6, "cmdUpdateType": "NOTIFICATIONS_COUNT", "totalUnreadCount": 1});
        assert_eq!(
            decode(&other.to_string()).unwrap(),
            Inbound::Unexpected(CmdUpdateType::NotificationsCount)
        );
        for garbage in [
            "",
            "[]",
            "{\"cmdId\": 1}",
            "{\"subscriptionId\": \"x\"}",
            "{\"cmdId\":1,\"cmdUpdateType\":\"ENTITY_DATA\",\"data\":7}",
            "{\"cmdId\":1,\"cmdUpdateType\":\"ALARM_DATA\",\"update\":[{\"id\":1}]}",
        ] {
            assert!(decode(garbage).is_err(), "{garbage}");
        }
    }

    #[test]
    fn a_missing_general_endpoint_switches_to_legacy_and_a_refused_legacy_token_refreshes() {
        assert_eq!(connect_failed(Dialect::General, &ConnectError::NotFound), Ended::NoGeneralEndpoint);
        assert_eq!(connect_failed(Dialect::General, &ConnectError::Unauthorized), Ended::NoGeneralEndpoint);
        assert!(matches!(
            connect_failed(Dialect::Legacy, &ConnectError::Unauthorized),
            Ended::AuthRejected(_)
        ));
        assert!(matches!(connect_failed(Dialect::Legacy, &ConnectError::NotFound), Ended::Lost(_)));
    }

    #[test]
    fn an_early_policy_close_before_any_data_is_a_refused_token() {
        let close = |code: u16| Some((code, "bad token".to_owned()));
        assert_eq!(
            closed_by_server(close(1011), 0, Duration::from_millis(50)),
            Ended::AuthRejected("the server closed the connection (1011: bad token)".into())
        );
        assert!(matches!(closed_by_server(close(1007), 0, Duration::from_secs(1)), Ended::AuthRejected(_)));
        assert!(matches!(closed_by_server(close(1011), 1, Duration::from_millis(50)), Ended::Lost(_)));
        assert!(matches!(closed_by_server(close(1011), 0, Duration::from_secs(6)), Ended::Lost(_)));
        assert!(matches!(closed_by_server(close(1012), 0, Duration::ZERO), Ended::Lost(_)));
        assert_eq!(
            closed_by_server(None, 0, Duration::ZERO),
            Ended::Lost("the server closed the connection (1005)".into())
        );
    }

    #[test]
    fn redact_hides_the_token() {
        let text = "cannot open ws://h/api/ws/plugins/telemetry?token=abc.def".to_owned();
        assert_eq!(redact(text, "abc.def"), "cannot open ws://h/api/ws/plugins/telemetry?token=<redacted>");
    }
}
