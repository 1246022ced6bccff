//! The entity data query (`POST /api/entitiesQuery/find`, WebSocket `ENTITY_DATA`): resolves an
//! entity filter to the entities a viewer may read, pages them, and renders entity fields and
//! latest values as strings (`EntityDataAdapter`).

use crate::kv::KvValue;
use crate::store::{Store, Viewer};
use std::collections::{BTreeMap, HashSet};
use tb_proto::entity::PageData;
use tb_proto::query::{
    EntityData, EntityDataPageLink, EntityDataQuery, EntityFilter, EntityKey, EntityKeyType, SortDirection,
    TsValue,
};
use tb_proto::relation::{EntityRelationsQuery, RelationsSearchParameters, SearchDirection};
use tb_proto::telemetry::AttributeScope;
use tb_proto::{EntityId, EntityType};
use uuid::Uuid;

/// `sql.relations.max_level`.
const MAX_RELATION_LEVEL: i32 = 50;

/// A query the server refuses with 400/31 and this message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueryError(pub(crate) String);

/// The filter and page link of a valid query.
pub(crate) fn validate(query: &EntityDataQuery) -> Result<(&EntityFilter, &EntityDataPageLink), QueryError> {
    let filter = validate_filter(query.entity_filter.as_ref())?;
    let link =
        query.page_link.as_ref().ok_or_else(|| QueryError("Query page link must be specified.".into()))?;
    if link.page_size < 1 {
        return Err(QueryError(
            "Incorrect entity data query page size. Page size must be greater than zero.".into(),
        ));
    }
    if link.page < 0 {
        return Err(QueryError("Incorrect entity data query page. Page must be positive integer.".into()));
    }
    Ok((filter, link))
}

/// A query's entity filter, which every query needs.
pub(crate) fn validate_filter(filter: Option<&EntityFilter>) -> Result<&EntityFilter, QueryError> {
    filter.ok_or_else(|| QueryError("Query entity filter must be specified.".into()))
}

/// An entity's creation time, 0 for one this emulator does not keep.
pub(crate) fn entity_created_time(store: &Store, id: &EntityId) -> i64 {
    entity_field(store, id, "createdTime").and_then(|t| t.parse().ok()).unwrap_or(0)
}

fn name_prefix(name: &str, prefix: Option<&str>) -> bool {
    prefix.filter(|p| !p.is_empty()).is_none_or(|p| name.to_lowercase().starts_with(&p.to_lowercase()))
}

/// Every entity the filter selects that `viewer` may read, in no particular order.
pub(crate) fn resolve(
    store: &Store,
    viewer: Viewer,
    filter: &EntityFilter,
) -> Result<Vec<EntityId>, QueryError> {
    let devices = |pred: &dyn Fn(&crate::store::DeviceRec) -> bool| -> Vec<EntityId> {
        store.devices.values().filter(|d| pred(d)).map(|d| EntityId::new(EntityType::Device, d.id)).collect()
    };
    let assets = |pred: &dyn Fn(&crate::store::AssetRec) -> bool| -> Vec<EntityId> {
        store.assets.values().filter(|a| pred(a)).map(|a| EntityId::new(EntityType::Asset, a.id)).collect()
    };
    let of_type = |entity_type: EntityType, prefix: Option<&str>| match entity_type {
        EntityType::Device => devices(&|d| name_prefix(&d.name, prefix)),
        EntityType::Asset => assets(&|a| name_prefix(&a.name, prefix)),
        _ => Vec::new(),
    };
    let ids = match filter {
        EntityFilter::SingleEntity(f) => vec![f.single_entity],
        EntityFilter::EntityList(f) => f
            .entity_list
            .iter()
            .filter_map(|id| Uuid::parse_str(id).ok())
            .map(|id| EntityId::new(f.entity_type, id))
            .collect(),
        EntityFilter::EntityName(f) => of_type(f.entity_type, f.entity_name_filter.as_deref()),
        EntityFilter::EntityType(f) => of_type(f.entity_type, None),
        EntityFilter::DeviceType(f) => {
            let types: Vec<&str> =
                f.device_types.iter().map(String::as_str).chain(f.device_type.as_deref()).collect();
            devices(&|d| {
                types.contains(&d.device_type.as_str())
                    && name_prefix(&d.name, f.device_name_filter.as_deref())
            })
        }
        EntityFilter::AssetType(f) => {
            let types: Vec<&str> =
                f.asset_types.iter().map(String::as_str).chain(f.asset_type.as_deref()).collect();
            assets(&|a| {
                types.contains(&a.asset_type.as_str()) && name_prefix(&a.name, f.asset_name_filter.as_deref())
            })
        }
        EntityFilter::RelationsQuery(f) => {
            let root = f.root_entity.ok_or_else(|| QueryError("Root entity must be specified.".into()))?;
            let max_level = if f.max_level <= 0 || f.max_level > MAX_RELATION_LEVEL {
                MAX_RELATION_LEVEL
            } else {
                f.max_level
            };
            let query = EntityRelationsQuery {
                parameters: RelationsSearchParameters {
                    root_id: root.id,
                    root_type: root.entity_type,
                    direction: Some(f.direction),
                    relation_type_group: None,
                    max_level,
                    fetch_last_level_only: f.fetch_last_level_only,
                },
                filters: f.filters.clone(),
            };
            let mut seen = HashSet::new();
            store
                .query_relations(&query)
                .into_iter()
                .map(|r| if f.direction == SearchDirection::From { r.to } else { r.from })
                .filter(|id| *id != root && seen.insert(*id))
                .collect()
        }
        _ => return Err(QueryError("Unsupported entity filter type (emulator)".into())),
    };
    Ok(ids.into_iter().filter(|id| store.can_read(viewer, id)).collect())
}

/// An `ENTITY_FIELD` value, or `None` for a field the entity does not have.
fn entity_field(store: &Store, id: &EntityId, key: &str) -> Option<String> {
    let (name, label, entity_type, created) = match id.entity_type {
        EntityType::Device => {
            let d = store.devices.get(&id.id)?;
            (d.name.clone(), d.label.clone(), d.device_type.clone(), d.created_time)
        }
        EntityType::Asset => {
            let a = store.assets.get(&id.id)?;
            (a.name.clone(), a.label.clone(), a.asset_type.clone(), a.created_time)
        }
        _ => return None,
    };
    Some(match key {
        "name" => name,
        "label" => label.unwrap_or_default(),
        "displayName" => label.filter(|l| !l.is_empty()).unwrap_or(name),
        "type" => entity_type,
        "createdTime" => created.to_string(),
        "entityType" => id.entity_type.as_str().to_owned(),
        "id" => id.id.to_string(),
        _ => return None,
    })
}

/// The stored value of one key, as `(ts, value)`.
pub(crate) fn key_value(store: &Store, id: &EntityId, key: &EntityKey) -> Option<(i64, KvValue)> {
    let from = |scope| store.attributes(id, scope).and_then(|m| m.get(&key.key)).cloned();
    match key.key_type {
        EntityKeyType::TimeSeries => store.latest(id).and_then(|l| l.get(&key.key)).cloned(),
        EntityKeyType::ServerAttribute => from(AttributeScope::ServerScope),
        EntityKeyType::SharedAttribute => from(AttributeScope::SharedScope),
        EntityKeyType::ClientAttribute => from(AttributeScope::ClientScope),
        EntityKeyType::Attribute => {
            AttributeScope::ALL.into_iter().filter_map(from).max_by_key(|(ts, _)| *ts)
        }
        _ => None,
    }
}

/// The `latest` map of one row: entity fields stamped `now`, values as strings, missing keys `{"ts":0,"value":""}`.
pub(crate) fn latest_of(
    store: &Store,
    id: &EntityId,
    keys: &[EntityKey],
    now: i64,
) -> BTreeMap<EntityKeyType, BTreeMap<String, TsValue>> {
    let mut latest: BTreeMap<EntityKeyType, BTreeMap<String, TsValue>> = BTreeMap::new();
    for key in keys {
        let value = if key.key_type == EntityKeyType::EntityField {
            TsValue::new(now, entity_field(store, id, &key.key).unwrap_or_default())
        } else {
            key_value(store, id, key).map_or_else(TsValue::missing, |(ts, v)| TsValue::new(ts, v.as_string()))
        };
        latest.entry(key.key_type).or_default().insert(key.key.clone(), value);
    }
    latest
}

/// The sort value of one entity: numbers compare as numbers, everything else as text.
fn sort_value(store: &Store, id: &EntityId, key: &EntityKey) -> (Option<f64>, String) {
    let text = if key.key_type == EntityKeyType::EntityField {
        entity_field(store, id, &key.key).unwrap_or_default()
    } else {
        key_value(store, id, key).map(|(_, v)| v.as_string()).unwrap_or_default()
    };
    let number = if key.key == "createdTime" || key.key_type != EntityKeyType::EntityField {
        text.parse::<f64>().ok()
    } else {
        None
    };
    (number, text)
}

/// Runs a validated query: resolve, text search, sort, page, render.
pub(crate) fn find(
    store: &Store,
    viewer: Viewer,
    query: &EntityDataQuery,
    now: i64,
) -> Result<PageData<EntityData>, QueryError> {
    let (filter, link) = validate(query)?;
    let mut ids = resolve(store, viewer, filter)?;
    if let Some(needle) = link.text_search.as_deref().filter(|t| !t.is_empty()).map(str::to_lowercase) {
        ids.retain(|id| {
            ["name", "label", "type"]
                .iter()
                .filter_map(|k| entity_field(store, id, k))
                .any(|v| v.to_lowercase().contains(&needle))
        });
    }
    ids.sort_by_key(|id| id.id);
    if let Some(order) = &link.sort_order {
        let mut keyed: Vec<((Option<f64>, String), EntityId)> =
            ids.into_iter().map(|id| (sort_value(store, &id, &order.key), id)).collect();
        keyed.sort_by(|((na, ta), a), ((nb, tb), b)| {
            let by_value = match (na, nb) {
                (Some(x), Some(y)) => x.total_cmp(y),
                _ => ta.cmp(tb),
            };
            by_value.then(a.id.cmp(&b.id))
        });
        if order.direction == SortDirection::Desc {
            keyed.reverse();
        }
        ids = keyed.into_iter().map(|(_, id)| id).collect();
    }
    let keys: Vec<EntityKey> = query.entity_fields.iter().chain(&query.latest_values).cloned().collect();
    let page = crate::paging::page_of(link.page_size as usize, link.page as usize, ids);
    Ok(PageData {
        data: page
            .data
            .iter()
            .map(|id| EntityData {
                entity_id: *id,
                latest: latest_of(store, id, &keys, now),
                timeseries: Some(BTreeMap::new()),
                agg_latest: Some(serde_json::json!({})),
            })
            .collect(),
        total_pages: page.total_pages,
        total_elements: page.total_elements,
        has_next: page.has_next,
    })
}

/// The distinct keys of the first [`KEYS_QUERY_ENTITIES`] entities a query matches, sorted:
/// time series, and attributes of `scope` (every scope when `None`).
pub(crate) struct FoundKeys {
    pub(crate) entity_types: Vec<EntityType>,
    /// Each key with its newest value among the entities.
    pub(crate) timeseries: BTreeMap<String, (i64, KvValue)>,
    pub(crate) attributes: BTreeMap<AttributeScope, BTreeMap<String, (i64, KvValue)>>,
}

/// `MAX_PAGE_SIZE` of the keys endpoints.
pub(crate) const KEYS_QUERY_ENTITIES: i32 = 100;

/// `getKeysByQuery` / `findAvailableEntityKeysByQuery`: runs the query with its page capped at
/// 100 entities and collects their keys.
pub(crate) fn keys_of(
    store: &Store,
    viewer: Viewer,
    query: &EntityDataQuery,
    scopes: &[AttributeScope],
    now: i64,
) -> Result<FoundKeys, QueryError> {
    let mut query = query.clone();
    if let Some(link) = query.page_link.as_mut() {
        link.page_size = link.page_size.min(KEYS_QUERY_ENTITIES);
    }
    query.entity_fields.clear();
    query.latest_values.clear();
    let page = find(store, viewer, &query, now)?;
    let mut found =
        FoundKeys { entity_types: Vec::new(), timeseries: BTreeMap::new(), attributes: BTreeMap::new() };
    let newest = |into: &mut BTreeMap<String, (i64, KvValue)>,
                  from: Option<&BTreeMap<String, (i64, KvValue)>>| {
        for (key, (ts, value)) in from.into_iter().flatten() {
            match into.get(key) {
                Some((seen, _)) if *seen >= *ts => {}
                _ => {
                    into.insert(key.clone(), (*ts, value.clone()));
                }
            }
        }
    };
    for row in &page.data {
        let id = row.entity_id;
        if !found.entity_types.contains(&id.entity_type) {
            found.entity_types.push(id.entity_type);
        }
        newest(&mut found.timeseries, store.latest(&id));
        for scope in scopes {
            newest(found.attributes.entry(*scope).or_default(), store.attributes(&id, *scope));
        }
    }
    Ok(found)
}

/// `POST /api/entitiesQuery/count` with the same filter rules.
pub(crate) fn count(
    store: &Store,
    viewer: Viewer,
    filter: Option<&EntityFilter>,
) -> Result<usize, QueryError> {
    let filter = filter.ok_or_else(|| QueryError("Query entity filter must be specified.".into()))?;
    Ok(resolve(store, viewer, filter)?.len())
}
