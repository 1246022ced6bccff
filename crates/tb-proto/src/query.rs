//! The entity data query (`CD/query/*`): `POST /api/entitiesQuery/find` and the `query` of a
//! WebSocket `ENTITY_DATA` command, and its answer `PageData<EntityData>`; the alarm count query
//! of a WebSocket `ALARM_COUNT` command.
//!
//! Strictness follows Jackson on the server: the query object and the entity filter ignore
//! unknown fields (`@JsonIgnoreProperties(ignoreUnknown = true)`), while the page link, its sort
//! order and every key refuse them.

use crate::alarm::{AlarmInfo, AlarmSearchStatus, AlarmSeverity};
use crate::id::{EntityId, EntityType};
use crate::relation::{RelationEntityTypeFilter, SearchDirection};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// `EntityDataQuery`. `entityFilter` and `pageLink` are required by the server (400 without them);
/// they are options here so that a server can answer that 400 itself.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityDataQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_filter: Option<EntityFilter>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_link: Option<EntityDataPageLink>,
    #[serde(default)]
    pub entity_fields: Vec<EntityKey>,
    #[serde(default)]
    pub latest_values: Vec<EntityKey>,
    /// Kept as raw JSON: key filters are not interpreted by this crate.
    #[serde(default)]
    pub key_filters: Vec<Value>,
}

/// `EntityFilter`, discriminated by `type`. Filter types this crate does not model parse as
/// [`EntityFilter::Other`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
#[non_exhaustive]
pub enum EntityFilter {
    SingleEntity(SingleEntityFilter),
    EntityList(EntityListFilter),
    EntityName(EntityNameFilter),
    EntityType(EntityTypeFilter),
    AssetType(AssetTypeFilter),
    DeviceType(DeviceTypeFilter),
    RelationsQuery(RelationsQueryFilter),
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SingleEntityFilter {
    pub single_entity: EntityId,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityListFilter {
    pub entity_type: EntityType,
    /// UUID strings.
    #[serde(default)]
    pub entity_list: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityNameFilter {
    pub entity_type: EntityType,
    /// A name prefix.
    #[serde(default)]
    pub entity_name_filter: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityTypeFilter {
    pub entity_type: EntityType,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssetTypeFilter {
    #[serde(default)]
    pub asset_types: Vec<String>,
    /// Deprecated singular form, still read by the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset_name_filter: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceTypeFilter {
    #[serde(default)]
    pub device_types: Vec<String>,
    /// Deprecated singular form, still read by the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_name_filter: Option<String>,
}

/// `RelationsQueryFilter` (single-root form; `multiRoot` and friends are accepted and ignored).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RelationsQueryFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_entity: Option<EntityId>,
    pub direction: SearchDirection,
    #[serde(default)]
    pub filters: Vec<RelationEntityTypeFilter>,
    /// `<= 0` or `> 50` means 50 on the server.
    #[serde(default)]
    pub max_level: i32,
    #[serde(default)]
    pub fetch_last_level_only: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub negate: bool,
}

impl EntityFilter {
    /// Every entity of `entity_types` reached from `root` through `relation_type` relations, at
    /// any depth (`maxLevel` 0 is the server's maximum).
    pub fn descendants(root: EntityId, relation_type: &str, entity_types: Vec<EntityType>) -> Self {
        Self::RelationsQuery(RelationsQueryFilter {
            root_entity: Some(root),
            direction: SearchDirection::From,
            filters: vec![RelationEntityTypeFilter {
                relation_type: Some(relation_type.to_owned()),
                entity_types,
                negate: false,
            }],
            max_level: 0,
            fetch_last_level_only: false,
            negate: false,
        })
    }
}

/// `EntityDataPageLink`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EntityDataPageLink {
    pub page_size: i32,
    pub page: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_search: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_order: Option<EntityDataSortOrder>,
    #[serde(default)]
    pub dynamic: bool,
}

impl EntityDataPageLink {
    pub fn new(page_size: i32, page: i32) -> Self {
        Self { page_size, page, text_search: None, sort_order: None, dynamic: false }
    }
}

/// `EntityDataSortOrder`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EntityDataSortOrder {
    pub key: EntityKey,
    #[serde(default)]
    pub direction: SortDirection,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum SortDirection {
    #[default]
    Asc,
    Desc,
}

/// `EntityKey {type, key}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntityKey {
    #[serde(rename = "type")]
    pub key_type: EntityKeyType,
    pub key: String,
}

impl EntityKey {
    pub fn new(key_type: EntityKeyType, key: impl Into<String>) -> Self {
        Self { key_type, key: key.into() }
    }
}

/// `EntityKeyType`. `ATTRIBUTE` picks the most recently updated attribute of any scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum EntityKeyType {
    Attribute,
    ClientAttribute,
    SharedAttribute,
    ServerAttribute,
    TimeSeries,
    EntityField,
    AlarmField,
    Constant,
}

/// `TsValue {ts, value}`; `count` only on aggregated WebSocket results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TsValue {
    pub ts: i64,
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
}

impl TsValue {
    pub fn new(ts: i64, value: impl Into<String>) -> Self {
        Self { ts, value: value.into(), count: None }
    }

    /// What the server answers for a key without data: `{"ts": 0, "value": ""}`.
    pub fn missing() -> Self {
        Self::new(0, "")
    }
}

/// One row of the answer: latest values by key type, then key. Values are always strings.
/// `timeseries` and `aggLatest` are `{}` in a page and `null` in a WebSocket latest delta.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityData {
    pub entity_id: EntityId,
    #[serde(default)]
    pub latest: BTreeMap<EntityKeyType, BTreeMap<String, TsValue>>,
    #[serde(default)]
    pub timeseries: Option<BTreeMap<String, Vec<TsValue>>>,
    #[serde(default)]
    pub agg_latest: Option<Value>,
}

/// `AlarmCountQuery` (the `query` of a WebSocket `ALARM_COUNT` command): the entity count query
/// (`entityFilter`, `keyFilters`) plus alarm filters. Like every `EntityCountQuery` it ignores
/// unknown fields. Without `entityFilter` every alarm of the tenant (or the customer) counts.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlarmCountQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_filter: Option<EntityFilter>,
    /// Kept as raw JSON: key filters are not interpreted by this crate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_filters: Option<Vec<Value>>,
    /// `AND` (default) or `OR`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_filters_operation: Option<String>,
    /// Creation-time window (ms); `0` means unbounded. `timeWindow > 0` wins: `[now - timeWindow, now]`.
    #[serde(default)]
    pub start_ts: i64,
    #[serde(default)]
    pub end_ts: i64,
    #[serde(default)]
    pub time_window: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_list: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_list: Option<Vec<AlarmSearchStatus>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity_list: Option<Vec<AlarmSeverity>>,
    #[serde(default)]
    pub search_propagated_alarms: bool,
    /// A `UserId` object; kept as raw JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee_id: Option<Value>,
}

/// `AvailableEntityKeys`, the answer of `POST /api/entitiesQuery/find/keys` (deprecated by
/// newer servers in favour of the v2 endpoint, still served): the distinct keys of the first 100 entities the
/// query matches.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AvailableEntityKeys {
    #[serde(default)]
    pub entity_types: Vec<EntityType>,
    #[serde(default)]
    pub timeseries: Vec<String>,
    /// Attribute keys; the server names this field in the singular.
    #[serde(default)]
    pub attribute: Vec<String>,
}

/// One key of `AvailableEntityKeysV2` (`POST /api/v2/entitiesQuery/find/keys`); `sample` is
/// present only when asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AvailableKeyInfo {
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample: Option<Value>,
}

/// `AvailableEntityKeysV2`: time-series keys, and attribute keys by scope; each list is absent
/// when it was not asked for.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AvailableEntityKeysV2 {
    #[serde(default)]
    pub entity_types: Vec<EntityType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeseries: Option<Vec<AvailableKeyInfo>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<BTreeMap<String, Vec<AvailableKeyInfo>>>,
}

/// `AlarmDataPageLink`: an entity data page link (it pages the alarms) plus the alarm filters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AlarmDataPageLink {
    pub page_size: i32,
    pub page: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_search: Option<String>,
    /// An `ALARM_FIELD` key sorts the alarms; without one they come in the entities' order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_order: Option<EntityDataSortOrder>,
    #[serde(default)]
    pub dynamic: bool,
    /// Creation-time window (ms); `0` means unbounded.
    #[serde(default)]
    pub start_ts: i64,
    #[serde(default)]
    pub end_ts: i64,
    #[serde(default)]
    pub time_window: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_list: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_list: Option<Vec<AlarmSearchStatus>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity_list: Option<Vec<AlarmSeverity>>,
    #[serde(default)]
    pub search_propagated_alarms: bool,
    /// A `UserId` object; kept as raw JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee_id: Option<Value>,
}

impl AlarmDataPageLink {
    pub fn new(page_size: i32, page: i32) -> Self {
        Self {
            page_size,
            page,
            text_search: None,
            sort_order: None,
            dynamic: false,
            start_ts: 0,
            end_ts: 0,
            time_window: 0,
            type_list: None,
            status_list: None,
            severity_list: None,
            search_propagated_alarms: false,
            assignee_id: None,
        }
    }
}

/// `AlarmDataQuery` (`POST /api/alarmsQuery/find`): the server first finds the entities the
/// filter selects (at most `server.ws.max_entities_per_alarm_subscription`, 10,000 by default, by
/// creation time), then pages their alarms.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlarmDataQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_filter: Option<EntityFilter>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_link: Option<AlarmDataPageLink>,
    #[serde(default)]
    pub entity_fields: Vec<EntityKey>,
    #[serde(default)]
    pub latest_values: Vec<EntityKey>,
    /// Kept as raw JSON: key filters are not interpreted by this crate.
    #[serde(default)]
    pub key_filters: Vec<Value>,
    #[serde(default)]
    pub alarm_fields: Vec<EntityKey>,
}

/// `AlarmData`: an alarm's info, the entity it was found for, and that entity's requested fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlarmData {
    #[serde(flatten)]
    pub info: AlarmInfo,
    pub entity_id: EntityId,
    #[serde(default)]
    pub latest: BTreeMap<EntityKeyType, BTreeMap<String, TsValue>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entity::PageData;

    #[test]
    fn alarm_data_queries_and_answers_have_the_server_shape() {
        let mut link = AlarmDataPageLink::new(100, 0);
        link.status_list = Some(vec![AlarmSearchStatus::Active]);
        link.sort_order = Some(EntityDataSortOrder {
            key: EntityKey::new(EntityKeyType::AlarmField, "createdTime"),
            direction: SortDirection::Desc,
        });
        let query = AlarmDataQuery { page_link: Some(link), ..AlarmDataQuery::default() };
        let json = serde_json::to_value(&query).unwrap();
        assert_eq!(json["pageLink"]["statusList"], serde_json::json!(["ACTIVE"]));
        assert_eq!(json["pageLink"]["sortOrder"]["key"]["type"], "ALARM_FIELD");
        assert!(serde_json::from_value::<AlarmDataPageLink>(
            serde_json::json!({"pageSize": 1, "page": 0, "bogus": 1})
        )
        .is_err());

        let row: AlarmData = serde_json::from_str(
            r#"{"id": {"entityType": "ALARM", "id": "4a5b6c70-3b7e-11ef-9a1d-1b2c3d4e5f60"}, "createdTime": 5,
                "type": "Device offline", "name": "Device offline",
                "originator": {"entityType": "DEVICE", "id": "6c0a1e20-3b7e-11ef-9a1d-1b2c3d4e5f60"},
                "severity": "CRITICAL", "acknowledged": false, "cleared": false, "status": "ACTIVE_UNACK",
                "originatorName": "Lobby Thermostat",
                "entityId": {"entityType": "DEVICE", "id": "6c0a1e20-3b7e-11ef-9a1d-1b2c3d4e5f60"},
                "latest": {"ENTITY_FIELD": {"name": {"ts": 5, "value": "Lobby Thermostat"}}}}"#,
        )
        .unwrap();
        assert_eq!(row.info.alarm.severity, AlarmSeverity::Critical);
        assert_eq!(row.entity_id, row.info.alarm.originator);
        assert_eq!(row.latest[&EntityKeyType::EntityField]["name"].value, "Lobby Thermostat");
    }

    #[test]
    fn available_keys_parse_in_both_versions() {
        let v1: AvailableEntityKeys = serde_json::from_str(
            r#"{"entityTypes": ["DEVICE"], "timeseries": ["humidity", "temperature"], "attribute": ["active"]}"#,
        )
        .unwrap();
        assert_eq!(v1.timeseries, ["humidity", "temperature"]);
        assert_eq!(v1.attribute, ["active"]);
        let v2: AvailableEntityKeysV2 = serde_json::from_str(
            r#"{"entityTypes": ["DEVICE"], "timeseries": [{"key": "co2"}, {"key": "temperature", "sample": {"ts": 1, "value": 21.5}}]}"#,
        )
        .unwrap();
        let keys: Vec<&str> = v2.timeseries.iter().flatten().map(|k| k.key.as_str()).collect();
        assert_eq!(keys, ["co2", "temperature"]);
        assert!(v2.attributes.is_none());
    }

    #[test]
    fn reference_query_parses() {
        let q: EntityDataQuery = serde_json::from_str(
            r#"{
  "entityFilter": {"type": "relationsQuery",
                   "rootEntity": {"entityType": "ASSET", "id": "0f4e5d60-3b7e-11ef-9a1d-1b2c3d4e5f60"},
                   "direction": "FROM", "maxLevel": 3, "fetchLastLevelOnly": false,
                   "filters": [{"relationType": "Contains", "entityTypes": ["DEVICE"]}]},
  "pageLink": {"pageSize": 50, "page": 0, "textSearch": null, "dynamic": false,
               "sortOrder": {"key": {"type": "ENTITY_FIELD", "key": "name"}, "direction": "ASC"}},
  "entityFields": [{"type": "ENTITY_FIELD", "key": "name"}, {"type": "ENTITY_FIELD", "key": "label"}],
  "latestValues": [{"type": "TIME_SERIES", "key": "temperature"}, {"type": "SERVER_ATTRIBUTE", "key": "active"}],
  "keyFilters": [{"key": {"type": "TIME_SERIES", "key": "temperature"}, "valueType": "NUMERIC",
                  "predicate": {"type": "NUMERIC", "operation": "GREATER", "value": {"defaultValue": 30}}}]
}"#,
        )
        .unwrap();
        let Some(EntityFilter::RelationsQuery(f)) = &q.entity_filter else { panic!("relationsQuery") };
        assert_eq!((f.max_level, f.direction), (3, SearchDirection::From));
        assert_eq!(f.filters[0].entity_types, vec![EntityType::Device]);
        let link = q.page_link.unwrap();
        assert_eq!(link.sort_order.unwrap().key, EntityKey::new(EntityKeyType::EntityField, "name"));
        assert_eq!(q.latest_values[1].key_type, EntityKeyType::ServerAttribute);
    }

    #[test]
    fn strict_where_the_server_is_strict() {
        // Unknown fields inside the filter and the query are ignored ...
        let q: EntityDataQuery = serde_json::from_str(
            r#"{"entityFilter": {"type": "singleEntity", "singleEntity": {"entityType": "DEVICE", "id": "6c0a1e20-3b7e-11ef-9a1d-1b2c3d4e5f60"}, "extra": 1},
                "pageLink": {"pageSize": 1, "page": 0}, "whatever": true}"#,
        )
        .unwrap();
        assert!(matches!(q.entity_filter, Some(EntityFilter::SingleEntity(_))));
        // ... but not in the page link or a key.
        for text in [
            r#"{"pageLink": {"pageSize": 1, "page": 0, "bogus": 1}}"#,
            r#"{"entityFields": [{"type": "ENTITY_FIELD", "key": "name", "bogus": 1}]}"#,
        ] {
            assert!(serde_json::from_str::<EntityDataQuery>(text).is_err(), "{text}");
        }
        let other: EntityFilter =
            serde_json::from_str(r#"{"type": "apiUsageState", "customerId": null}"#).unwrap();
        assert_eq!(other, EntityFilter::Other);
    }

    #[test]
    fn reference_answer_round_trips() {
        let text = r#"{"data": [{"entityId": {"entityType": "DEVICE", "id": "6c0a1e20-3b7e-11ef-9a1d-1b2c3d4e5f60"},
           "latest": {"ENTITY_FIELD": {"name": {"ts": 1751450600123, "value": "Soil probe 7"},
                                       "label": {"ts": 1751450600123, "value": ""}},
                      "TIME_SERIES": {"temperature": {"ts": 1751450590000, "value": "31.2"}},
                      "SERVER_ATTRIBUTE": {"active": {"ts": 1751440000000, "value": "true"}}},
           "timeseries": {}, "aggLatest": {}}],
 "totalPages": 1, "totalElements": 1, "hasNext": false}"#;
        let page: PageData<EntityData> = serde_json::from_str(text).unwrap();
        let row = &page.data[0];
        assert_eq!(
            row.latest[&EntityKeyType::TimeSeries]["temperature"],
            TsValue::new(1751450590000, "31.2")
        );
        let original: Value = serde_json::from_str(text).unwrap();
        assert_eq!(serde_json::to_value(&page).unwrap(), original);
        assert_eq!(
            serde_json::to_value(TsValue::missing()).unwrap(),
            serde_json::json!({"ts": 0, "value": ""})
        );
    }

    #[test]
    fn alarm_count_query_is_tolerant_like_entity_count_query() {
        let q: AlarmCountQuery = serde_json::from_str(
            r#"{"entityFilter": {"type": "deviceType", "deviceTypes": ["air-quality"]},
                "statusList": ["ACTIVE"], "severityList": ["MAJOR", "CRITICAL"], "typeList": null,
                "searchPropagatedAlarms": false, "timeWindow": 0, "whatever": 1}"#,
        )
        .unwrap();
        assert_eq!(q.status_list, Some(vec![AlarmSearchStatus::Active]));
        assert_eq!(q.severity_list.as_deref().map(<[_]>::len), Some(2));
        assert!(q.type_list.is_none());
        assert!(matches!(q.entity_filter, Some(EntityFilter::DeviceType(_))));
        assert!(serde_json::from_str::<AlarmCountQuery>(r#"{"statusList": ["active"]}"#).is_err());
    }
}
