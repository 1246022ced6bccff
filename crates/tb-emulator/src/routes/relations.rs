//! `/api/relations`: one-level lookups (GET) and the multi-level query (POST).

use super::entities::check_read;
use super::{json_body, param, parse_entity_type, parse_uuid};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::store::{RelationRec, Store};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::Json;
use std::sync::Arc;
use tb_proto::relation::{EntityRelation, EntityRelationsQuery, SearchDirection};
use tb_proto::EntityId;

type Params = Query<Vec<(String, String)>>;

fn required<'a>(query: &'a [(String, String)], name: &str) -> Result<&'a str, ApiError> {
    param(query, name).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "Required request parameter '{name}' for method parameter type String is not present"
        ))
    })
}

/// Reads `fromId`/`fromType` or `toId`/`toType`.
fn endpoint(query: &[(String, String)]) -> Result<(EntityId, SearchDirection), ApiError> {
    let (prefix, direction) = if param(query, "fromId").is_some() {
        ("from", SearchDirection::From)
    } else {
        ("to", SearchDirection::To)
    };
    let id = parse_uuid(required(query, &format!("{prefix}Id"))?)?;
    let entity_type = parse_entity_type(required(query, &format!("{prefix}Type"))?)?;
    Ok((EntityId::new(entity_type, id), direction))
}

/// Drops edges with an end the user may not read (`filterRelationsByReadPermission`).
fn readable(store: &Store, user: &AuthUser, relation: &RelationRec) -> bool {
    let viewer = user.viewer();
    store.can_read(viewer, &relation.from) && store.can_read(viewer, &relation.to)
}

fn find_impl(
    state: &AppState,
    user: &AuthUser,
    query: &[(String, String)],
    info: bool,
) -> Result<Vec<EntityRelation>, ApiError> {
    let (entity, direction) = endpoint(query)?;
    let relation_type = param(query, "relationType");
    let group_is_common = param(query, "relationTypeGroup").is_none_or(|g| {
        // An unknown group falls back to COMMON (`parseRelationTypeGroup`).
        matches!(g, "COMMON")
            || !matches!(g, "DASHBOARD" | "RULE_CHAIN" | "RULE_NODE" | "EDGE" | "EDGE_AUTO_ASSIGN_RULE_CHAIN")
    });
    let store = state.store();
    check_read(&store, user, &entity)?;
    if !group_is_common {
        return Ok(Vec::new());
    }
    Ok(store
        .relations
        .iter()
        .filter(|r| match direction {
            SearchDirection::From => r.from == entity,
            SearchDirection::To => r.to == entity,
        })
        .filter(|r| relation_type.is_none_or(|t| r.relation_type == t))
        .filter(|r| readable(&store, user, r))
        .map(|r| store.relation_json(r, info.then_some(direction)))
        .collect())
}

pub(super) async fn find(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Query(query): Params,
) -> Result<Json<Vec<EntityRelation>>, ApiError> {
    find_impl(&state, &user, &query, false).map(Json)
}

pub(super) async fn find_info(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    Query(query): Params,
) -> Result<Json<Vec<EntityRelation>>, ApiError> {
    find_impl(&state, &user, &query, true).map(Json)
}

fn query_impl(
    state: &AppState,
    user: &AuthUser,
    body: &[u8],
    info: bool,
) -> Result<Vec<EntityRelation>, ApiError> {
    let query: EntityRelationsQuery = json_body(body)?;
    let root = EntityId::new(query.parameters.root_type, query.parameters.root_id);
    // Anything but FROM (null included) searches TO.
    let direction = match query.parameters.direction {
        Some(SearchDirection::From) => SearchDirection::From,
        _ => SearchDirection::To,
    };
    let store = state.store();
    check_read(&store, user, &root)?;
    Ok(store
        .query_relations(&query)
        .into_iter()
        .filter(|r| readable(&store, user, r))
        .map(|r| store.relation_json(r, info.then_some(direction)))
        .collect())
}

pub(super) async fn query(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    body: Bytes,
) -> Result<Json<Vec<EntityRelation>>, ApiError> {
    query_impl(&state, &user, &body, false).map(Json)
}

pub(super) async fn query_info(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    body: Bytes,
) -> Result<Json<Vec<EntityRelation>>, ApiError> {
    query_impl(&state, &user, &body, true).map(Json)
}

/// The path-style twins (`/api/relations/from/{type}/{id}[/{relationType}]`, `.../to/...`, and the
/// `info` variants), as ThingsBoard's Python client calls them: the same lookup as the query form.
pub(super) async fn find_by_path(
    State(state): State<Arc<AppState>>,
    user: AuthUser,
    axum::extract::Path(segments): axum::extract::Path<Vec<(String, String)>>,
    uri: axum::http::Uri,
) -> Result<Json<Vec<EntityRelation>>, ApiError> {
    let info = uri.path().starts_with("/api/relations/info/");
    let prefix = if uri.path().contains("/from/") { "from" } else { "to" };
    let mut query = Vec::new();
    for (name, value) in segments {
        let key = match name.as_str() {
            "entity_type" => format!("{prefix}Type"),
            "entity_id" => format!("{prefix}Id"),
            _ => "relationType".to_owned(),
        };
        query.push((key, value));
    }
    find_impl(&state, &user, &query, info).map(Json)
}
