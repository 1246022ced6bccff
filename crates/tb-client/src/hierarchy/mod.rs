//! Loading the building hierarchy (`Contains` relations) in few round trips.
//!
//! **Fast path** (default): the assets the user may see are listed (tenant-wide for a tenant
//! admin, the customer's for a customer user) while `POST /api/entitiesQuery/count` says how many
//! devices the user may see. Roots are found without one request per asset: assets are taken in
//! order of their likely height (site, building, floor, ...), each unreached one gets one
//! unlimited-depth relation query (`POST /api/relations/info`, every `Contains` edge below it with
//! names), and an asset reached from another is not queried. Then the type and label of every node
//! the lists did not describe (the devices) come from batched entity data queries
//! (`POST /api/entitiesQuery/find`, `entityList` filter, [`LoadOptions::detail_batch`] ids each).
//! For one building of up to `2 * detail_batch` devices that is at most 3 round trips per root
//! (relation query, details), plus the listing.
//!
//! **Fallback** (the relation query answers 403, 404 or 405, or [`LoadOptions::prefer_queries`] is
//! off): level by level, every asset of a level at once with at most
//! [`LoadOptions::max_in_flight`] requests in flight (`GET /api/relations/info?fromId&fromType&relationType=Contains`).
//! Devices are leaves there (not expanded). When the entity data query is refused too, details
//! come from the device list.
//!
//! Messy data: every node is expanded at most once (cycles end), a node in two parents keeps both
//! edges, an asset whose parent the user may not read (the server drops such edges silently)
//! becomes a root of its own, and a device nobody (readable) contains becomes a root when the
//! device count says some are missing.

mod walk;

use crate::client::RequestSpec;
use crate::error::Error;
use crate::rest::EntitySummary;
use crate::Client;
use std::collections::{BTreeMap, HashMap};
use tb_proto::entity::PageData;
use tb_proto::query::{
    EntityData, EntityDataPageLink, EntityDataQuery, EntityFilter, EntityKey, EntityKeyType, EntityListFilter,
};
use tb_proto::relation::{
    EntityRelation, EntityRelationsQuery, RelationEntityTypeFilter, RelationTypeGroup,
    RelationsSearchParameters, SearchDirection, CONTAINS,
};
use tb_proto::{EntityId, EntityType};
use uuid::Uuid;

/// The raw hierarchy: nodes, `Contains` edges (parent -> children, in name order) and roots.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Hierarchy {
    pub nodes: HashMap<EntityId, EntitySummary>,
    pub children: HashMap<EntityId, Vec<EntityId>>,
    pub roots: Vec<EntityId>,
    /// REST requests this load used.
    pub requests: u64,
    /// How the edges were found.
    pub mode: LoadMode,
    /// Things worth telling an administrator (a refused endpoint, an unreadable node), never fatal.
    pub notes: Vec<String>,
}

/// How a hierarchy was loaded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LoadMode {
    /// One relation query per root, details from entity data queries.
    #[default]
    Queries,
    /// One relation lookup per asset, a level at a time.
    LevelByLevel,
}

/// Knobs for [`Client::load_hierarchy_with`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadOptions {
    /// Use the relation query and the entity data query (default). Off: level by level from the start.
    pub prefer_queries: bool,
    /// Requests in flight at once (fallback levels, detail batches). Default 4.
    pub max_in_flight: usize,
    /// Entity ids per entity data query. Default 5000.
    pub detail_batch: usize,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self { prefer_queries: true, max_in_flight: 4, detail_batch: 5000 }
    }
}

/// Progress while loading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadProgress {
    ListingEntities,
    /// Relation queries done so far, and assets not yet placed.
    Relations {
        queries: usize,
        unplaced_assets: usize,
    },
    /// Fallback: a level was expanded (`level` from 0 at the roots), `expanded` nodes so far.
    Level {
        level: usize,
        expanded: usize,
    },
    /// Nodes whose type and label are known, of all nodes.
    Details {
        known: usize,
        total: usize,
    },
}

/// One `Contains` edge with the far end's name, as the loader needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Edge {
    pub(crate) from: EntityId,
    pub(crate) to: EntityId,
    pub(crate) to_name: Option<String>,
}

/// Where the loader gets its data: the server (through [`Client`]) or, in tests, a fake.
pub(crate) trait Source {
    /// Every asset the user may see.
    async fn assets(&self) -> Result<Vec<EntitySummary>, Error>;
    /// How many devices the user may see.
    async fn device_count(&self) -> Result<u64, Error>;
    /// Every device the user may see.
    async fn devices(&self) -> Result<Vec<EntitySummary>, Error>;
    /// Every `Contains` edge below `root`, at any depth (one relation query).
    async fn subtree(&self, root: EntityId) -> Result<Vec<Edge>, Error>;
    /// The `Contains` edges out of `node` (one level).
    async fn children(&self, node: EntityId) -> Result<Vec<Edge>, Error>;
    /// Name, type and label of these entities (one entity data query); unreadable ones are absent.
    async fn details(&self, entity_type: EntityType, ids: &[Uuid]) -> Result<Vec<EntitySummary>, Error>;
}

impl Client {
    /// Loads every hierarchy the user may see with the default [`LoadOptions`].
    /// `progress` is called as steps complete.
    pub async fn load_hierarchy(&self, progress: impl FnMut(LoadProgress)) -> Result<Hierarchy, Error> {
        self.load_hierarchy_with(&LoadOptions::default(), progress).await
    }

    /// Loads every hierarchy the user may see.
    pub async fn load_hierarchy_with(
        &self,
        options: &LoadOptions,
        mut progress: impl FnMut(LoadProgress),
    ) -> Result<Hierarchy, Error> {
        let requests_before = self.request_count();
        let mut hierarchy = walk::walk(self, options, &mut progress).await?;
        hierarchy.requests = self.request_count() - requests_before;
        Ok(hierarchy)
    }
}

impl Source for Client {
    async fn assets(&self) -> Result<Vec<EntitySummary>, Error> {
        Ok(self
            .all_assets()
            .await?
            .into_iter()
            .map(|a| EntitySummary { id: a.id.into(), name: a.name, type_name: a.asset_type, label: a.label })
            .collect())
    }

    async fn device_count(&self) -> Result<u64, Error> {
        let body = serde_json::json!({"entityFilter": {"type": "entityType", "entityType": "DEVICE"}});
        self.get_json(RequestSpec::post("api/entitiesQuery/count", &body)).await
    }

    async fn devices(&self) -> Result<Vec<EntitySummary>, Error> {
        Ok(self
            .all_devices()
            .await?
            .into_iter()
            .map(|d| EntitySummary {
                id: d.id.into(),
                name: d.name,
                type_name: d.device_type,
                label: d.label,
            })
            .collect())
    }

    async fn subtree(&self, root: EntityId) -> Result<Vec<Edge>, Error> {
        Ok(contains_edges(self.query_relations_info(&contains_subtree(root)).await?))
    }

    async fn children(&self, node: EntityId) -> Result<Vec<Edge>, Error> {
        Ok(contains_edges(self.relations_from(node, Some(CONTAINS)).await?))
    }

    async fn details(&self, entity_type: EntityType, ids: &[Uuid]) -> Result<Vec<EntitySummary>, Error> {
        let field = |key: &str| EntityKey::new(EntityKeyType::EntityField, key);
        let page_size = i32::try_from(ids.len().max(1)).unwrap_or(i32::MAX);
        let mut query = EntityDataQuery {
            entity_filter: Some(EntityFilter::EntityList(EntityListFilter {
                entity_type,
                entity_list: ids.iter().map(Uuid::to_string).collect(),
            })),
            page_link: Some(EntityDataPageLink::new(page_size, 0)),
            entity_fields: vec![field("name"), field("label"), field("type")],
            latest_values: Vec::new(),
            key_filters: Vec::new(),
        };
        let mut out = Vec::with_capacity(ids.len());
        loop {
            let page: PageData<EntityData> =
                self.get_json(RequestSpec::post("api/entitiesQuery/find", &query)).await?;
            out.extend(page.data.iter().map(summary_of));
            let link = query.page_link.as_mut().expect("set above");
            // A server that pages below the asked size still gets read to the end, within bounds.
            if !page.has_next || page.data.is_empty() || link.page >= 1000 {
                return Ok(out);
            }
            link.page += 1;
        }
    }
}

/// A row of the entity data query as a summary.
fn summary_of(row: &EntityData) -> EntitySummary {
    let field = |key: &str| {
        row.latest.get(&EntityKeyType::EntityField).and_then(|f| f.get(key)).map(|v| v.value.clone())
    };
    EntitySummary {
        id: row.entity_id,
        name: field("name").unwrap_or_default(),
        type_name: field("type").unwrap_or_default(),
        label: field("label").filter(|l| !l.is_empty()),
    }
}

fn contains_edges(relations: Vec<EntityRelation>) -> Vec<Edge> {
    relations
        .into_iter()
        .filter(|r| r.relation_type == CONTAINS && r.type_group == RelationTypeGroup::Common)
        .map(|r| Edge { from: r.from, to: r.to, to_name: r.to_name })
        .collect()
}

/// Every `Contains` edge below `root`, at any depth, with names.
fn contains_subtree(root: EntityId) -> EntityRelationsQuery {
    EntityRelationsQuery {
        parameters: RelationsSearchParameters {
            root_id: root.id,
            root_type: root.entity_type,
            direction: Some(SearchDirection::From),
            relation_type_group: Some(RelationTypeGroup::Common),
            // Sent explicitly: an omitted maxLevel also means unlimited, but only by accident of deserialisation.
            max_level: 0,
            fetch_last_level_only: false,
        },
        filters: vec![RelationEntityTypeFilter {
            relation_type: Some(CONTAINS.into()),
            entity_types: vec![EntityType::Asset, EntityType::Device],
            negate: false,
        }],
    }
}

/// Sorts "Room 2" before "Room 10".
pub fn natural_key(name: &str) -> Vec<NaturalPart> {
    let mut parts = Vec::new();
    let mut digits = String::new();
    let mut text = String::new();
    for c in name.chars() {
        if c.is_ascii_digit() {
            if !text.is_empty() {
                parts.push(NaturalPart::Text(std::mem::take(&mut text)));
            }
            digits.push(c);
        } else {
            if !digits.is_empty() {
                parts.push(NaturalPart::Number(digits.parse().unwrap_or(u64::MAX)));
                digits.clear();
            }
            text.extend(c.to_lowercase());
        }
    }
    if !digits.is_empty() {
        parts.push(NaturalPart::Number(digits.parse().unwrap_or(u64::MAX)));
    }
    if !text.is_empty() {
        parts.push(NaturalPart::Text(text));
    }
    parts
}

/// A piece of a [`natural_key`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum NaturalPart {
    Number(u64),
    Text(String),
}

/// Children in order, for callers that walk the tree.
pub fn sorted_children<'a>(h: &'a Hierarchy, id: &EntityId) -> &'a [EntityId] {
    h.children.get(id).map_or(&[], Vec::as_slice)
}

/// Counts of nodes by entity type, for `--stats`.
pub fn count_by_type(h: &Hierarchy) -> BTreeMap<EntityType, usize> {
    let mut counts = BTreeMap::new();
    for id in h.nodes.keys() {
        *counts.entry(id.entity_type).or_default() += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order() {
        let mut names = vec!["Room 10", "Room 2", "lobby", "Room 1.02", "Room 1.10"];
        names.sort_by_key(|n| natural_key(n));
        assert_eq!(names, ["lobby", "Room 1.02", "Room 1.10", "Room 2", "Room 10"]);
    }

    #[test]
    fn subtree_query_is_unlimited_contains_from_root() {
        let q =
            serde_json::to_value(contains_subtree(EntityId::new(EntityType::Asset, Uuid::nil()))).unwrap();
        assert_eq!(q["parameters"]["maxLevel"], 0);
        assert_eq!(q["parameters"]["direction"], "FROM");
        assert_eq!(q["filters"][0]["relationType"], "Contains");
    }

    #[test]
    fn entity_rows_become_summaries() {
        let row: EntityData = serde_json::from_value(serde_json::json!({
            "entityId": {"entityType": "DEVICE", "id": "6c0a1e20-3b7e-11ef-9a1d-1b2c3d4e5f60"},
            "latest": {"ENTITY_FIELD": {"name": {"ts": 1, "value": "Probe"}, "label": {"ts": 1, "value": ""},
                                        "type": {"ts": 1, "value": "thermostat"}}}
        }))
        .unwrap();
        let s = summary_of(&row);
        assert_eq!((s.name.as_str(), s.type_name.as_str(), s.label), ("Probe", "thermostat", None));
    }
}
