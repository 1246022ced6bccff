//! `/api/plugins/telemetry/...`: latest time series, attributes, keys, and writes.
//!
//! These are DeferredResult endpoints on the server: a bad entity type or UUID in the path is
//! a JSON 400, but "not found" and "forbidden" are plain-text bodies.

use super::{param, parse_entity_type, parse_uuid};
use crate::auth::AuthUser;
use crate::error::{ApiError, PERMISSION_DENIED};
use crate::history::HistoryQuery;
use crate::kv::KvValue;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use tb_proto::history::{AggregationFunction, SortOrder};
use tb_proto::telemetry::{AttributeData, AttributeScope, TimeseriesResponse, TsData};
use tb_proto::{EntityId, EntityType};

type Params = Query<Vec<(String, String)>>;
type EntityPath = Path<(String, String)>;

/// Parses the path and runs the access check the way `AccessValidator` answers.
fn entity(
    state: &AppState,
    user: &AuthUser,
    entity_type: &str,
    entity_id: &str,
) -> Result<EntityId, ApiError> {
    let entity_type = parse_entity_type(entity_type)?;
    let id = EntityId::new(entity_type, parse_uuid(entity_id)?);
    let store = state.store();
    if !store.exists(&id) {
        let name = match entity_type {
            EntityType::Device => "Device",
            EntityType::DeviceProfile => "Device profile",
            EntityType::Asset => "Asset",
            EntityType::Customer => "Customer",
            _ => "Entity",
        };
        return Err(ApiError::PlainText(
            StatusCode::NOT_FOUND,
            format!("{name} with requested id wasn't found!"),
        ));
    }
    if !store.can_read(user.viewer(), &id) {
        return Err(ApiError::PlainText(StatusCode::FORBIDDEN, PERMISSION_DENIED.to_owned()));
    }
    Ok(id)
}

/// `keys=a,b` split on commas without trimming; repeated `key=` params win when present.
fn requested_keys(query: &[(String, String)]) -> Option<Vec<String>> {
    let repeated: Vec<String> = query.iter().filter(|(k, _)| k == "key").map(|(_, v)| v.clone()).collect();
    if !repeated.is_empty() {
        return Some(repeated);
    }
    param(query, "keys").filter(|k| !k.is_empty()).map(|k| k.split(',').map(str::to_owned).collect())
}

fn parse_scope(scope: &str) -> Result<AttributeScope, ApiError> {
    AttributeScope::parse(scope)
        .ok_or_else(|| ApiError::PlainText(StatusCode::BAD_REQUEST, format!("Invalid scope: {scope}")))
}

pub(super) async fn latest_timeseries(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Path((entity_type, entity_id)): EntityPath,
    Query(query): Params,
) -> Result<Json<TimeseriesResponse>, ApiError> {
    let id = entity(&state, &user, &entity_type, &entity_id)?;
    let strict = param(&query, "useStrictDataTypes").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let render = |v: &KvValue| if strict { v.to_json() } else { Value::String(v.as_string()) };
    if let Some(history) = history_query(&query)? {
        let store = state.store();
        let mut response = TimeseriesResponse::new();
        for key in requested_keys(&query).unwrap_or_default() {
            let past = state.past.as_ref().map(|p| p.points(&id, &key, history.start_ts, history.end_ts));
            let points =
                history.run(past.iter().flatten().chain(store.history(&id, &key).into_iter().flatten()));
            if !points.is_empty() {
                response
                    .insert(key, points.iter().map(|(ts, v)| TsData { ts: *ts, value: render(v) }).collect());
            }
        }
        return Ok(Json(response));
    }
    let store = state.store();
    let latest = store.latest(&id);
    let mut response = TimeseriesResponse::new();
    match requested_keys(&query) {
        Some(keys) => {
            let now = crate::clock::now_ms();
            for key in keys {
                let point = latest.and_then(|l| l.get(&key)).map_or(
                    TsData { ts: now, value: Value::Null },
                    |(ts, v)| TsData { ts: *ts, value: render(v) },
                );
                response.insert(key, vec![point]);
            }
        }
        None => {
            for (key, (ts, v)) in latest.into_iter().flatten() {
                response.insert(key.clone(), vec![TsData { ts: *ts, value: render(v) }]);
            }
        }
    }
    Ok(Json(response))
}

/// The history parameters, when both `startTs` and `endTs` are present (otherwise the latest-values handler answers).
fn history_query(query: &[(String, String)]) -> Result<Option<HistoryQuery>, ApiError> {
    let (Some(start), Some(end)) = (param(query, "startTs"), param(query, "endTs")) else { return Ok(None) };
    let bad = |name: &str, text: &str| {
        ApiError::BadRequest(format!(
            "Failed to convert value of type 'java.lang.String' to required type 'java.lang.Long'; For input string: \"{text}\" ({name})"
        ))
    };
    let long = |name: &str, default: i64| -> Result<i64, ApiError> {
        match param(query, name).filter(|v| !v.is_empty()) {
            None => Ok(default),
            Some(text) => text.parse().map_err(|_| bad(name, text)),
        }
    };
    let start_ts = start.parse().map_err(|_| bad("startTs", start))?;
    let end_ts = end.parse().map_err(|_| bad("endTs", end))?;
    let agg_name = param(query, "agg").filter(|a| !a.is_empty()).unwrap_or("NONE");
    let agg = AggregationFunction::parse(agg_name).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "No enum constant org.thingsboard.server.common.data.kv.Aggregation.{agg_name}"
        ))
    })?;
    let order = SortOrder::from_param(param(query, "orderBy"));
    let history = HistoryQuery {
        start_ts,
        end_ts,
        interval: long("interval", 0)?,
        limit: long("limit", 100)?.max(0) as usize,
        agg,
        order,
    };
    history.validate().map_err(|text| ApiError::PlainText(StatusCode::BAD_REQUEST, text))?;
    Ok(Some(history))
}

fn attribute_values(
    state: &AppState,
    id: &EntityId,
    scopes: &[AttributeScope],
    keys: Option<Vec<String>>,
) -> Vec<AttributeData> {
    let store = state.store();
    let mut out = Vec::new();
    for scope in scopes {
        for (key, (ts, value)) in store.attributes(id, *scope).into_iter().flatten() {
            if keys.as_ref().is_none_or(|keys| keys.contains(key)) {
                out.push(AttributeData { last_update_ts: *ts, key: key.clone(), value: value.to_json() });
            }
        }
    }
    out
}

pub(super) async fn attributes(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Path((entity_type, entity_id)): EntityPath,
    Query(query): Params,
) -> Result<Json<Vec<AttributeData>>, ApiError> {
    let id = entity(&state, &user, &entity_type, &entity_id)?;
    Ok(Json(attribute_values(&state, &id, &AttributeScope::ALL, requested_keys(&query))))
}

pub(super) async fn attributes_by_scope(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Path((entity_type, entity_id, scope)): Path<(String, String, String)>,
    Query(query): Params,
) -> Result<Json<Vec<AttributeData>>, ApiError> {
    let id = entity(&state, &user, &entity_type, &entity_id)?;
    let scope = parse_scope(&scope)?;
    Ok(Json(attribute_values(&state, &id, &[scope], requested_keys(&query))))
}

pub(super) async fn timeseries_keys(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Path((entity_type, entity_id)): EntityPath,
) -> Result<Json<Vec<String>>, ApiError> {
    let id = entity(&state, &user, &entity_type, &entity_id)?;
    let store = state.store();
    Ok(Json(store.latest(&id).map(|l| l.keys().cloned().collect()).unwrap_or_default()))
}

fn attribute_key_list(state: &AppState, id: &EntityId, scopes: &[AttributeScope]) -> Vec<String> {
    let store = state.store();
    let mut keys: Vec<String> = scopes
        .iter()
        .flat_map(|s| store.attributes(id, *s).into_iter().flat_map(|m| m.keys().cloned()))
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

pub(super) async fn attribute_keys(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Path((entity_type, entity_id)): EntityPath,
) -> Result<Json<Vec<String>>, ApiError> {
    let id = entity(&state, &user, &entity_type, &entity_id)?;
    Ok(Json(attribute_key_list(&state, &id, &AttributeScope::ALL)))
}

pub(super) async fn attribute_keys_by_scope(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Path((entity_type, entity_id, scope)): Path<(String, String, String)>,
) -> Result<Json<Vec<String>>, ApiError> {
    let id = entity(&state, &user, &entity_type, &entity_id)?;
    let scope = parse_scope(&scope)?;
    Ok(Json(attribute_key_list(&state, &id, &[scope])))
}

/// `POST .../attributes/{SERVER_SCOPE|SHARED_SCOPE}` with a JSON object body.
pub(super) async fn save_attributes(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Path((entity_type, entity_id, scope)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<(), ApiError> {
    let id = entity(&state, &user, &entity_type, &entity_id)?;
    let scope = match AttributeScope::parse(&scope) {
        Some(s @ (AttributeScope::ServerScope | AttributeScope::SharedScope)) => s,
        _ => return Err(ApiError::PlainText(StatusCode::BAD_REQUEST, format!("Invalid scope: {scope}"))),
    };
    let values = object_values(&body).filter(|v| !v.is_empty()).ok_or_else(|| {
        ApiError::PlainText(StatusCode::BAD_REQUEST, "No attributes data found in request body!".to_owned())
    })?;
    state.store().save_attributes(id, scope, crate::clock::now_ms(), values);
    Ok(())
}

fn object_values(body: &[u8]) -> Option<Vec<(String, KvValue)>> {
    match serde_json::from_slice::<Value>(body).ok()? {
        Value::Object(map) => {
            Some(map.into_iter().filter_map(|(k, v)| KvValue::from_json(&v).map(|v| (k, v))).collect())
        }
        _ => None,
    }
}

/// `POST .../timeseries/{scope}`: `{"k": v}`, `{"ts": .., "values": {..}}`, or an array of those.
pub(super) async fn save_timeseries(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Path((entity_type, entity_id, _scope)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<(), ApiError> {
    let id = entity(&state, &user, &entity_type, &entity_id)?;
    let invalid = || ApiError::PlainText(StatusCode::BAD_REQUEST, "Invalid timeseries payload".to_owned());
    let json: Value = serde_json::from_slice(&body).map_err(|_| invalid())?;
    let items = match json {
        Value::Array(items) => items,
        other => vec![other],
    };
    let now = crate::clock::now_ms();
    let mut batches: BTreeMap<i64, Vec<(String, KvValue)>> = BTreeMap::new();
    for item in items {
        let Value::Object(mut map) = item else { return Err(invalid()) };
        let (ts, values) = match (map.remove("ts").and_then(|t| t.as_i64()), map.remove("values")) {
            (Some(ts), Some(Value::Object(values))) => (ts, values),
            (None, None) => (now, map),
            _ => return Err(invalid()),
        };
        let batch = batches.entry(ts).or_default();
        batch.extend(values.into_iter().filter_map(|(k, v)| KvValue::from_json(&v).map(|v| (k, v))));
    }
    let mut store = state.store();
    for (ts, values) in batches {
        store.save_timeseries(id, ts, values);
    }
    Ok(())
}
