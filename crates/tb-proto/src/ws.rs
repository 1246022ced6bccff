//! WebSocket commands and updates (`/api/ws` and the legacy `/api/ws/plugins/telemetry`).
//!
//! The server reads commands with Jackson's `FAIL_ON_UNKNOWN_PROPERTIES=true`: an unknown field
//! drops the whole message. The command types here deny unknown fields for the same reason, so an
//! emulator built on them is exactly as strict, and the client cannot send a field the server refuses.
//! `type` inside a command is `@JsonIgnore`d by the server (`WsCmd.getType`), hence tolerated.

use crate::entity::PageData;
use crate::query::{AlarmCountQuery, AlarmData, AlarmDataQuery, EntityData, EntityDataQuery, EntityKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// The new wrapper: `{"authCmd": {...}, "cmds": [{"type": "TIMESERIES", ...}]}` (ThingsBoard 3.6.2+).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WsCommandsWrapper {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_cmd: Option<AuthCmd>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cmds: Vec<WsCmd>,
}

/// The first-message authentication. The server answers success with nothing
/// and failure with a close frame.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthCmd {
    pub cmd_id: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    /// Ignored by the server (`@JsonIgnore`); accepted so clients that send `"type":"AUTH"` parse.
    #[serde(default, rename = "type", skip_serializing)]
    pub ignored_type: Option<Value>,
}

impl AuthCmd {
    pub fn token(cmd_id: i32, token: impl Into<String>) -> Self {
        Self { cmd_id, token: Some(token.into()), api_key: None, ignored_type: None }
    }
}

impl std::fmt::Debug for AuthCmd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthCmd")
            .field("cmd_id", &self.cmd_id)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// One command of the new wrapper, discriminated by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum WsCmd {
    Timeseries(TimeseriesSubscriptionCmd),
    Attributes(AttributesSubscriptionCmd),
    /// `ENTITY_DATA`: an entity data query, optionally kept live by `latestCmd`.
    EntityData(EntityDataCmd),
    /// `ENTITY_DATA_UNSUBSCRIBE`.
    EntityDataUnsubscribe(UnsubscribeCmd),
    /// `ALARM_COUNT`: the number of matching alarms, pushed again whenever it changes.
    AlarmCount(AlarmCountCmd),
    /// `ALARM_COUNT_UNSUBSCRIBE`.
    AlarmCountUnsubscribe(UnsubscribeCmd),
    /// `ALARM_DATA`: a page of the alarms of the entities a query selects, kept live.
    AlarmData(AlarmDataCmd),
    /// `ALARM_DATA_UNSUBSCRIBE`.
    AlarmDataUnsubscribe(UnsubscribeCmd),
}

impl WsCmd {
    pub fn cmd_id(&self) -> i32 {
        match self {
            Self::Timeseries(c) => c.cmd_id,
            Self::Attributes(c) => c.cmd_id,
            Self::EntityData(c) => c.cmd_id,
            Self::AlarmCount(c) => c.cmd_id,
            Self::AlarmData(c) => c.cmd_id,
            Self::EntityDataUnsubscribe(c)
            | Self::AlarmCountUnsubscribe(c)
            | Self::AlarmDataUnsubscribe(c) => c.cmd_id,
        }
    }
}

/// `EntityDataCmd` (`APP/service/ws/telemetry/cmd/v2`). The server refuses one with neither
/// `query` nor any sub-command ("Query is empty!"). With only `query` it answers one snapshot;
/// with `latestCmd` the snapshot is followed by deltas. The time-series sub-commands are kept as
/// raw JSON (this crate does not model them).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EntityDataCmd {
    pub cmd_id: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<EntityDataQuery>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history_cmd: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_cmd: Option<LatestValueCmd>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts_cmd: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agg_history_cmd: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agg_ts_cmd: Option<Value>,
    /// Inside the legacy wrapper `type` is `@JsonIgnore`d; accepted, never sent.
    #[serde(default, rename = "type", skip_serializing)]
    pub ignored_type: Option<Value>,
}

impl EntityDataCmd {
    /// `hasAnyCmd()`: whether any sub-command (latest, time series, history) is present.
    pub fn has_any_cmd(&self) -> bool {
        self.latest_cmd.is_some()
            || self.ts_cmd.is_some()
            || self.history_cmd.is_some()
            || self.agg_history_cmd.is_some()
            || self.agg_ts_cmd.is_some()
    }
}

/// `LatestValueCmd`: keys to keep live; the server appends them to the query's `latestValues`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatestValueCmd {
    #[serde(default)]
    pub keys: Vec<EntityKey>,
}

/// `AlarmCountCmd`. A repeated `cmdId` is ignored by the server as a duplicate.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AlarmCountCmd {
    pub cmd_id: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<AlarmCountQuery>,
    #[serde(default, rename = "type", skip_serializing)]
    pub ignored_type: Option<Value>,
}

/// `AlarmDataCmd`: `query` is required ("Query is empty!" otherwise, `validateSubscriptionCmd`).
/// A repeated `cmdId` re-runs the query and answers a fresh page (`TbAlarmDataSubCtx` is reused):
/// that is how the page, the sort or the filters change. The server dereferences
/// `query.alarmFields` and `query.latestValues` without a null check, so both are always sent.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AlarmDataCmd {
    pub cmd_id: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<AlarmDataQuery>,
    #[serde(default, rename = "type", skip_serializing)]
    pub ignored_type: Option<Value>,
}

/// The `*_UNSUBSCRIBE` commands of the v2 subscriptions: just the `cmdId` to cancel.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UnsubscribeCmd {
    pub cmd_id: i32,
    #[serde(default, rename = "type", skip_serializing)]
    pub ignored_type: Option<Value>,
}

impl UnsubscribeCmd {
    pub fn new(cmd_id: i32) -> Self {
        Self { cmd_id, ignored_type: None }
    }
}

/// `CmdUpdateType`: the discriminator of v2 updates (`cmdUpdateType`). Updates without it are
/// legacy-shaped ([`TelemetrySubscriptionUpdate`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum CmdUpdateType {
    EntityData,
    AlarmData,
    AlarmCountData,
    AlarmStatus,
    CountData,
    Notifications,
    NotificationsCount,
}

/// `EntityDataUpdate`: the first message carries `data` (a page), later ones `update` (one
/// entity with only the changed keys of one key type; `timeseries` and `aggLatest` null).
/// Errors of the subscription machinery also come in this shape, with `errorCode` 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityDataUpdate {
    pub cmd_id: i32,
    #[serde(default)]
    pub error_code: i32,
    #[serde(default)]
    pub error_msg: Option<String>,
    pub cmd_update_type: CmdUpdateType,
    /// `server.ws.max_entities_per_data_subscription`; informational.
    #[serde(default)]
    pub allowed_entities: i64,
    #[serde(default)]
    pub data: Option<PageData<EntityData>>,
    #[serde(default)]
    pub update: Option<Vec<EntityData>>,
}

impl EntityDataUpdate {
    /// An error in the subscription machinery (`new EntityDataUpdate(cmdId, errorCode, errorMsg)`).
    pub fn error(cmd_id: i32, error_code: i32, error_msg: impl Into<String>) -> Self {
        Self {
            cmd_id,
            error_code,
            error_msg: Some(error_msg.into()),
            cmd_update_type: CmdUpdateType::EntityData,
            allowed_entities: 0,
            data: None,
            update: None,
        }
    }
}

/// `AlarmDataUpdate` (`TbAlarmDataSubCtx`): the first message and every re-fetch carry `data` (the
/// whole page); an alarm on the page that changed and still matches comes alone in `update`.
/// A new alarm, or one that no longer matches (cleared under an `ACTIVE` filter, deleted), makes
/// the server re-fetch and send the page again. `totalEntities` counts the entities the filter
/// matched, not alarms; errors come in the legacy shape ([`TelemetrySubscriptionUpdate`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlarmDataUpdate {
    pub cmd_id: i32,
    #[serde(default)]
    pub error_code: i32,
    #[serde(default)]
    pub error_msg: Option<String>,
    pub cmd_update_type: CmdUpdateType,
    #[serde(default)]
    pub data: Option<PageData<AlarmData>>,
    #[serde(default)]
    pub update: Option<Vec<AlarmData>>,
    /// `server.ws.max_entities_per_alarm_subscription`: alarms of entities past it are not searched.
    #[serde(default)]
    pub allowed_entities: i64,
    #[serde(default)]
    pub total_entities: i64,
}

impl AlarmDataUpdate {
    /// The whole page (`allowed_entities`, `total_entities`: the server's limit and the entities matched).
    pub fn page(
        cmd_id: i32,
        page: PageData<AlarmData>,
        (allowed_entities, total_entities): (i64, i64),
    ) -> Self {
        Self {
            cmd_id,
            error_code: 0,
            error_msg: None,
            cmd_update_type: CmdUpdateType::AlarmData,
            data: Some(page),
            update: None,
            allowed_entities,
            total_entities,
        }
    }

    /// Alarms of the page that changed.
    pub fn changed(cmd_id: i32, alarms: Vec<AlarmData>, entities: (i64, i64)) -> Self {
        Self { data: None, update: Some(alarms), ..Self::page(cmd_id, PageData::empty(), entities) }
    }
}

/// `AlarmCountUpdate`: `{"cmdId", "errorCode", "errorMsg", "count", "cmdUpdateType": "ALARM_COUNT_DATA"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlarmCountUpdate {
    pub cmd_id: i32,
    #[serde(default)]
    pub error_code: i32,
    #[serde(default)]
    pub error_msg: Option<String>,
    pub cmd_update_type: CmdUpdateType,
    #[serde(default)]
    pub count: i32,
}

impl AlarmCountUpdate {
    pub fn new(cmd_id: i32, count: i32) -> Self {
        Self { cmd_id, error_code: 0, error_msg: None, cmd_update_type: CmdUpdateType::AlarmCountData, count }
    }
}

/// The time-series subscription scope for latest values.
pub const LATEST_TELEMETRY: &str = "LATEST_TELEMETRY";

/// `TimeseriesSubscriptionCmd` (fields of `SubscriptionCmd` plus the history part).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TimeseriesSubscriptionCmd {
    pub cmd_id: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_id: Option<String>,
    /// Comma-separated; absent or empty means every key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<String>,
    /// [`LATEST_TELEMETRY`] for latest values, as the web UI sends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub unsubscribe: bool,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub start_ts: i64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub time_window: i64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub interval: i64,
    #[serde(default, skip_serializing_if = "is_zero_i32")]
    pub limit: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agg: Option<String>,
    /// Inside the legacy wrapper `type` is `@JsonIgnore`d; accepted, never sent.
    #[serde(default, rename = "type", skip_serializing)]
    pub ignored_type: Option<Value>,
}

/// `AttributesSubscriptionCmd`; `scope` is `CLIENT_SCOPE`/`SHARED_SCOPE`/`SERVER_SCOPE` or absent for all.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AttributesSubscriptionCmd {
    pub cmd_id: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub unsubscribe: bool,
    #[serde(default, rename = "type", skip_serializing)]
    pub ignored_type: Option<Value>,
}

/// The legacy wrapper, served only on `/api/ws/plugins/telemetry` (authenticated by `?token=`).
/// Commands inside carry no `type`. `historyCmds` and `entityCountCmds` are kept as raw JSON
/// (this crate does not model those commands).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TelemetryCmdsWrapper {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attr_sub_cmds: Vec<AttributesSubscriptionCmd>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ts_sub_cmds: Vec<TimeseriesSubscriptionCmd>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history_cmds: Vec<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entity_data_cmds: Vec<EntityDataCmd>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entity_data_unsubscribe_cmds: Vec<UnsubscribeCmd>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alarm_data_cmds: Vec<AlarmDataCmd>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alarm_data_unsubscribe_cmds: Vec<UnsubscribeCmd>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entity_count_cmds: Vec<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entity_count_unsubscribe_cmds: Vec<UnsubscribeCmd>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alarm_count_cmds: Vec<AlarmCountCmd>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alarm_count_unsubscribe_cmds: Vec<UnsubscribeCmd>,
}

/// One point of a legacy update: `[ts, "value"]` (`null` for a key with no data, `""` with ts 0 when deleted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TsPoint(pub i64, pub Value);

/// `TelemetrySubscriptionUpdate`, the legacy-shaped update. Errors for any command, new-style
/// ones included, also arrive in this shape, keyed by `subscriptionId` (= the client's `cmdId`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TelemetrySubscriptionUpdate {
    pub subscription_id: i32,
    #[serde(default)]
    pub error_code: i32,
    #[serde(default)]
    pub error_msg: Option<String>,
    #[serde(default)]
    pub data: Option<BTreeMap<String, Vec<TsPoint>>>,
    /// key -> ts of the **last element as sent**, not the newest: never treat it as "max ts".
    #[serde(default)]
    pub latest_values: Option<BTreeMap<String, i64>>,
}

/// WebSocket `SubscriptionErrorCode` values (plus 34, too many updates).
pub mod error_code {
    pub const NO_ERROR: i32 = 0;
    pub const INTERNAL_ERROR: i32 = 1;
    pub const BAD_REQUEST: i32 = 2;
    pub const UNAUTHORIZED: i32 = 3;
    pub const TOO_MANY_UPDATES: i32 = 34;
}

/// Close codes the server sends.
pub mod close_code {
    pub const BAD_DATA: u16 = 1007;
    pub const POLICY_VIOLATION: u16 = 1008;
    pub const SERVER_ERROR: u16 = 1011;
    pub const SERVICE_RESTARTED: u16 = 1012;
    pub const SESSION_NOT_RELIABLE: u16 = 4500;
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

fn is_zero_i32(v: &i32) -> bool {
    *v == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_auth_and_subscribe_message_parses() {
        let text = r#"{"authCmd": {"cmdId": 0, "token": "eyJhbGciOiJIUzUxMiJ9..."},
 "cmds": [{"type": "TIMESERIES", "cmdId": 1, "entityType": "DEVICE", "entityId": "6c0a1e20-3b7e-11ef-9a1d-1b2c3d4e5f60", "keys": "temperature,humidity", "scope": "LATEST_TELEMETRY"}]}"#;
        let w: WsCommandsWrapper = serde_json::from_str(text).unwrap();
        assert_eq!(w.auth_cmd.as_ref().unwrap().token.as_deref(), Some("eyJhbGciOiJIUzUxMiJ9..."));
        let WsCmd::Timeseries(ts) = &w.cmds[0] else { panic!("expected TIMESERIES") };
        assert_eq!(ts.keys.as_deref(), Some("temperature,humidity"));
    }

    #[test]
    fn auth_cmd_type_is_tolerated_like_the_server() {
        let w: WsCommandsWrapper =
            serde_json::from_str(r#"{"authCmd":{"cmdId":0,"type":"AUTH","token":"t"}}"#).unwrap();
        assert_eq!(w.auth_cmd.unwrap().cmd_id, 0);
    }

    #[test]
    fn unknown_fields_reject_the_whole_message() {
        for text in [
            r#"{"tsSubCmds":[]}"#,
            r#"{"authCmd":{"cmdId":0,"token":"t","extra":1}}"#,
            r#"{"cmds":[{"type":"TIMESERIES","cmdId":1,"entityId":"x","bogus":true}]}"#,
            r#"{"cmds":[{"type":"NO_SUCH_TYPE","cmdId":1}]}"#,
        ] {
            assert!(serde_json::from_str::<WsCommandsWrapper>(text).is_err(), "{text}");
        }
    }

    #[test]
    fn serialised_commands_carry_type_and_omit_defaults() {
        let w = WsCommandsWrapper {
            auth_cmd: Some(AuthCmd::token(0, "t")),
            cmds: vec![WsCmd::Timeseries(TimeseriesSubscriptionCmd {
                cmd_id: 3,
                entity_type: Some("DEVICE".into()),
                entity_id: Some("e".into()),
                scope: Some("LATEST_TELEMETRY".into()),
                ..Default::default()
            })],
        };
        let v = serde_json::to_value(&w).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"authCmd":{"cmdId":0,"token":"t"},
                "cmds":[{"type":"TIMESERIES","cmdId":3,"entityType":"DEVICE","entityId":"e","scope":"LATEST_TELEMETRY"}]})
        );
        assert!(!format!("{:?}", w.auth_cmd).contains("\"t\""));
    }

    #[test]
    fn legacy_wrapper_parses_type_inside_commands() {
        let w: TelemetryCmdsWrapper = serde_json::from_str(
            r#"{"tsSubCmds":[{"entityType":"DEVICE","entityId":"d","scope":"LATEST_TELEMETRY","cmdId":1,"type":"TIMESERIES"}]}"#,
        )
        .unwrap();
        assert_eq!(w.ts_sub_cmds[0].cmd_id, 1);
    }

    #[test]
    fn reference_update_parses() {
        let u: TelemetrySubscriptionUpdate = serde_json::from_str(
            r#"{"subscriptionId": 1, "errorCode": 0, "errorMsg": null,
 "data": {"humidity": [[1751450700000, "61"]], "temperature": [[1751450700000, "22.6"]]},
 "latestValues": {"humidity": 1751450700000, "temperature": 1751450700000}}"#,
        )
        .unwrap();
        let data = u.data.unwrap();
        assert_eq!(data["temperature"][0], TsPoint(1751450700000, Value::String("22.6".into())));
    }

    #[test]
    fn rate_limit_error_without_data_parses() {
        let u: TelemetrySubscriptionUpdate =
            serde_json::from_str(r#"{"subscriptionId":4,"errorCode":34,"errorMsg":"Too many updates!"}"#)
                .unwrap();
        assert_eq!(u.error_code, error_code::TOO_MANY_UPDATES);
        assert!(u.data.is_none());
    }

    #[test]
    fn entity_data_cmd_parses_and_is_strict_inside_latest_cmd() {
        let w: WsCommandsWrapper = serde_json::from_str(
            r#"{"cmds": [{"type": "ENTITY_DATA", "cmdId": 7,
  "query": {"entityFilter": {"type": "singleEntity", "singleEntity": {"entityType": "DEVICE", "id": "6c0a1e20-3b7e-11ef-9a1d-1b2c3d4e5f60"}},
            "pageLink": {"pageSize": 1, "page": 0},
            "entityFields": [{"type": "ENTITY_FIELD", "key": "name"}],
            "latestValues": [{"type": "TIME_SERIES", "key": "temperature"}]},
  "latestCmd": {"keys": [{"type": "TIME_SERIES", "key": "temperature"}]}},
  {"type": "ENTITY_DATA_UNSUBSCRIBE", "cmdId": 7}, {"type": "ALARM_COUNT", "cmdId": 8, "query": {"statusList": ["ACTIVE"]}},
  {"type": "ALARM_COUNT_UNSUBSCRIBE", "cmdId": 8}]}"#,
        )
        .unwrap();
        let WsCmd::EntityData(cmd) = &w.cmds[0] else { panic!("ENTITY_DATA") };
        assert!(cmd.has_any_cmd());
        assert_eq!(cmd.latest_cmd.as_ref().unwrap().keys[0].key, "temperature");
        assert_eq!(w.cmds.iter().map(WsCmd::cmd_id).collect::<Vec<_>>(), vec![7, 7, 8, 8]);
        assert!(matches!(w.cmds[3], WsCmd::AlarmCountUnsubscribe(_)));
        for text in [
            r#"{"cmds":[{"type":"ENTITY_DATA","cmdId":1,"latestCmd":{"keys":[],"bogus":1}}]}"#,
            r#"{"cmds":[{"type":"ENTITY_DATA","cmdId":1,"bogus":1}]}"#,
            r#"{"cmds":[{"type":"ALARM_COUNT_UNSUBSCRIBE","cmdId":1,"query":{}}]}"#,
        ] {
            assert!(serde_json::from_str::<WsCommandsWrapper>(text).is_err(), "{text}");
        }
        let text = serde_json::to_value(WsCmd::EntityDataUnsubscribe(UnsubscribeCmd::new(3))).unwrap();
        assert_eq!(text, serde_json::json!({"type": "ENTITY_DATA_UNSUBSCRIBE", "cmdId": 3}));
    }

    #[test]
    fn reference_entity_data_updates_parse() {
        let first: EntityDataUpdate = serde_json::from_str(
            r#"{"cmdId": 7, "errorCode": 0, "errorMsg": null, "cmdUpdateType": "ENTITY_DATA", "allowedEntities": 10000,
 "data": {"data": [{"entityId": {"entityType": "DEVICE", "id": "6c0a1e20-3b7e-11ef-9a1d-1b2c3d4e5f60"},
                    "latest": {"ENTITY_FIELD": {"name": {"ts": 1751450800000, "value": "Soil probe 7"}},
                               "TIME_SERIES": {"temperature": {"ts": 1751450790000, "value": "22.6"}}},
                    "timeseries": {}, "aggLatest": {}}],
          "totalPages": 1, "totalElements": 1, "hasNext": false},
 "update": null}"#,
        )
        .unwrap();
        assert_eq!(first.data.unwrap().data.len(), 1);
        let delta: EntityDataUpdate = serde_json::from_str(
            r#"{"cmdId": 7, "errorCode": 0, "errorMsg": null, "cmdUpdateType": "ENTITY_DATA", "allowedEntities": 10000, "data": null,
 "update": [{"entityId": {"entityType": "DEVICE", "id": "6c0a1e20-3b7e-11ef-9a1d-1b2c3d4e5f60"},
             "latest": {"TIME_SERIES": {"temperature": {"ts": 1751450850000, "value": "22.9"}}},
             "timeseries": null, "aggLatest": null}]}"#,
        )
        .unwrap();
        assert!(delta.data.is_none() && delta.update.unwrap()[0].timeseries.is_none());
        let count = serde_json::to_value(AlarmCountUpdate::new(3, 2)).unwrap();
        assert_eq!(
            count,
            serde_json::json!({"cmdId": 3, "errorCode": 0, "errorMsg": null, "cmdUpdateType": "ALARM_COUNT_DATA", "count": 2})
        );
    }

    #[test]
    fn legacy_wrapper_knows_every_server_list() {
        let w: TelemetryCmdsWrapper = serde_json::from_str(
            r#"{"historyCmds": [], "entityDataCmds": [{"cmdId": 1, "query": {}}], "entityDataUnsubscribeCmds": [{"cmdId": 1}],
                "alarmDataCmds": [], "alarmDataUnsubscribeCmds": [], "entityCountCmds": [], "entityCountUnsubscribeCmds": [],
                "alarmCountCmds": [{"cmdId": 2, "query": {}}], "alarmCountUnsubscribeCmds": [{"cmdId": 2}]}"#,
        )
        .unwrap();
        assert_eq!((w.entity_data_cmds[0].cmd_id, w.alarm_count_cmds[0].cmd_id), (1, 2));
        assert!(serde_json::from_str::<TelemetryCmdsWrapper>(
            r#"{"alarmCountCmds": [{"cmdId": 2, "x": 1}]}"#
        )
        .is_err());
    }

    #[test]
    fn alarm_data_commands_and_updates_have_the_server_shape() {
        let w: WsCommandsWrapper = serde_json::from_str(
            r#"{"cmds": [{"type": "ALARM_DATA", "cmdId": 4, "query": {
                  "entityFilter": {"type": "entityType", "entityType": "DEVICE"},
                  "pageLink": {"pageSize": 10, "page": 0, "timeWindow": 86400000, "statusList": ["ACTIVE"],
                               "sortOrder": {"key": {"type": "ALARM_FIELD", "key": "createdTime"}, "direction": "DESC"}},
                  "alarmFields": [{"type": "ALARM_FIELD", "key": "createdTime"}], "latestValues": []}},
                {"type": "ALARM_DATA_UNSUBSCRIBE", "cmdId": 4}]}"#,
        )
        .unwrap();
        let WsCmd::AlarmData(cmd) = &w.cmds[0] else { panic!("{:?}", w.cmds[0]) };
        assert_eq!(cmd.query.as_ref().unwrap().page_link.as_ref().unwrap().time_window, 86_400_000);
        assert!(matches!(w.cmds[1], WsCmd::AlarmDataUnsubscribe(UnsubscribeCmd { cmd_id: 4, .. })));
        // What a client sends always names alarmFields and latestValues (the server needs both).
        let sent = serde_json::to_value(&w.cmds[0]).unwrap();
        assert_eq!(sent["query"]["latestValues"], serde_json::json!([]));

        let page: AlarmDataUpdate = serde_json::from_str(
            r#"{"cmdId": 4, "errorCode": 0, "errorMsg": null, "cmdUpdateType": "ALARM_DATA",
                "data": {"data": [], "totalPages": 0, "totalElements": 0, "hasNext": false},
                "update": null, "allowedEntities": 10000, "totalEntities": 0}"#,
        )
        .unwrap();
        assert_eq!((page.data.map(|d| d.data.len()), page.update, page.total_entities), (Some(0), None, 0));
        let legacy: TelemetryCmdsWrapper =
            serde_json::from_str(r#"{"alarmDataCmds": [{"cmdId": 5, "query": {"alarmFields": []}}]}"#)
                .unwrap();
        assert_eq!(legacy.alarm_data_cmds[0].cmd_id, 5);
    }
}
