//! `POST /api/entitiesQuery/find` and `/count` (`EntityQueryController`).

use super::json_body;
use crate::alarm_query::{self, AlarmQueryError};
use crate::auth::AuthUser;
use crate::entity_query::{self, QueryError};
use crate::error::ApiError;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::Json;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;
use tb_proto::entity::PageData;
use tb_proto::query::{
    AlarmData, AlarmDataQuery, AvailableEntityKeys, AvailableEntityKeysV2, AvailableKeyInfo, EntityData,
    EntityDataQuery, EntityFilter,
};
use tb_proto::telemetry::AttributeScope;
use tb_proto::EntityType;

type Params = Query<Vec<(String, String)>>;

impl From<QueryError> for ApiError {
    fn from(e: QueryError) -> Self {
        ApiError::BadRequest(e.0)
    }
}

impl From<AlarmQueryError> for ApiError {
    fn from(e: AlarmQueryError) -> Self {
        match e {
            AlarmQueryError::NoPageLink => ApiError::NotFound("Requested item wasn't found!".into()),
            AlarmQueryError::Invalid(e) => e.into(),
        }
    }
}

/// `POST /api/alarmsQuery/find`.
pub(super) async fn find_alarms(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    body: Bytes,
) -> Result<Json<PageData<AlarmData>>, ApiError> {
    let query: AlarmDataQuery = json_body(&body)?;
    let store = state.store();
    Ok(Json(alarm_query::find_alarm_data(&store, user.viewer(), &query, crate::clock::now_ms())?))
}

pub(super) async fn find(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    body: Bytes,
) -> Result<Json<PageData<EntityData>>, ApiError> {
    let query: EntityDataQuery = json_body(&body)?;
    let store = state.store();
    Ok(Json(entity_query::find(&store, user.viewer(), &query, crate::clock::now_ms())?))
}

#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct EntityCountQuery {
    #[serde(default)]
    entity_filter: Option<EntityFilter>,
}

pub(super) async fn count(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    body: Bytes,
) -> Result<Json<usize>, ApiError> {
    let query: EntityCountQuery = json_body(&body)?;
    let store = state.store();
    Ok(Json(entity_query::count(&store, user.viewer(), query.entity_filter.as_ref())?))
}

/// A Spring boolean request parameter: `None` when absent.
fn bool_param(params: &[(String, String)], name: &str) -> Result<Option<bool>, ApiError> {
    match super::param(params, name) {
        None => Ok(None),
        Some(text) => match text.to_ascii_lowercase().as_str() {
            "true" | "on" | "yes" | "1" => Ok(Some(true)),
            "false" | "off" | "no" | "0" => Ok(Some(false)),
            _ => Err(ApiError::BadRequest(format!(
                "Failed to convert value of type 'java.lang.String' to required type 'boolean'; Invalid boolean value [{text}]"
            ))),
        },
    }
}

fn required_bool(params: &[(String, String)], name: &str) -> Result<bool, ApiError> {
    bool_param(params, name)?.ok_or_else(|| {
        ApiError::BadRequest(format!(
            "Required request parameter '{name}' for method parameter type boolean is not present"
        ))
    })
}

fn scope_param(text: &str) -> Result<AttributeScope, ApiError> {
    AttributeScope::parse(text.trim()).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "Failed to convert value of type 'java.lang.String' to required type 'AttributeScope'; No enum constant org.thingsboard.server.common.data.AttributeScope.{text}"
        ))
    })
}

fn sorted_types(types: &[EntityType]) -> Vec<EntityType> {
    let mut types = types.to_vec();
    types.sort_unstable_by_key(|t| t.as_str());
    types
}

/// `POST /api/entitiesQuery/find/keys?timeseries=&attributes=[&scope=]` (deprecated, still served):
/// key names only, attribute keys of every scope merged.
pub(super) async fn find_keys(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Query(params): Params,
    body: Bytes,
) -> Result<Json<AvailableEntityKeys>, ApiError> {
    let timeseries = required_bool(&params, "timeseries")?;
    let attributes = required_bool(&params, "attributes")?;
    let scope = super::param(&params, "scope").map(scope_param).transpose()?;
    let query: EntityDataQuery = json_body(&body)?;
    if !timeseries && !attributes {
        return Ok(Json(AvailableEntityKeys::default()));
    }
    let scopes: Vec<AttributeScope> = match (attributes, scope) {
        (false, _) => vec![],
        (true, Some(scope)) => vec![scope],
        (true, None) => AttributeScope::ALL.to_vec(),
    };
    let store = state.store();
    let found = entity_query::keys_of(&store, user.viewer(), &query, &scopes, crate::clock::now_ms())?;
    let mut attribute: Vec<String> = found.attributes.values().flat_map(BTreeMap::keys).cloned().collect();
    attribute.sort();
    attribute.dedup();
    Ok(Json(AvailableEntityKeys {
        entity_types: sorted_types(&found.entity_types),
        timeseries: if timeseries { found.timeseries.keys().cloned().collect() } else { vec![] },
        attribute,
    }))
}

/// `POST /api/v2/entitiesQuery/find/keys`: keys (with their newest sample when asked), attribute
/// keys per scope; non-device entities have server attributes only.
pub(super) async fn find_keys_v2(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Query(params): Params,
    body: Bytes,
) -> Result<Json<AvailableEntityKeysV2>, ApiError> {
    let timeseries = bool_param(&params, "includeTimeseries")?.unwrap_or(true);
    let attributes = bool_param(&params, "includeAttributes")?.unwrap_or(true);
    let samples = bool_param(&params, "includeSamples")?.unwrap_or(false);
    let mut requested = Vec::new();
    for (_, value) in params.iter().filter(|(k, _)| k == "scopes") {
        for part in value.split(',').filter(|p| !p.trim().is_empty()) {
            requested.push(scope_param(part)?);
        }
    }
    let query: EntityDataQuery = json_body(&body)?;
    if !timeseries && !attributes {
        return Err(ApiError::BadRequest(
            "At least one of 'includeTimeseries' or 'includeAttributes' must be true".into(),
        ));
    }
    let store = state.store();
    let every_scope = if attributes { AttributeScope::ALL.to_vec() } else { vec![] };
    let found = entity_query::keys_of(&store, user.viewer(), &query, &every_scope, crate::clock::now_ms())?;
    let render = |keys: &BTreeMap<String, (i64, crate::kv::KvValue)>| -> Vec<AvailableKeyInfo> {
        keys.iter()
            .map(|(key, (ts, value))| AvailableKeyInfo {
                key: key.clone(),
                sample: samples.then(|| json!({"ts": ts, "value": value.to_json()})),
            })
            .collect()
    };
    let attributes = attributes.then(|| {
        let has_devices = found.entity_types.contains(&EntityType::Device);
        let mut scopes = if requested.is_empty() {
            if has_devices {
                AttributeScope::ALL.to_vec()
            } else {
                vec![AttributeScope::ServerScope]
            }
        } else {
            requested
        };
        if !has_devices {
            scopes.retain(|s| *s == AttributeScope::ServerScope);
        }
        if found.entity_types.is_empty() {
            scopes.clear();
        }
        let empty = BTreeMap::new();
        scopes
            .iter()
            .map(|scope| (scope.as_str().to_owned(), render(found.attributes.get(scope).unwrap_or(&empty))))
            .collect()
    });
    Ok(Json(AvailableEntityKeysV2 {
        entity_types: sorted_types(&found.entity_types),
        timeseries: timeseries.then(|| render(&found.timeseries)),
        attributes,
    }))
}
