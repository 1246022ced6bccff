//! Loading the building hierarchy (`Contains` relations) in few round trips.
//!
//! The fast path asks the server for a whole subtree per root with one relation query
//! (`POST /api/relations/info`, unlimited depth) and takes names, types and labels from the
//! asset and device lists (a page of 1000 per request). Roots are found without one request per
//! asset: assets are taken in order of their likely height (site, building, floor, ...), each
//! query covers a subtree, and an asset reached from another is not a root.

use crate::error::Error;
use crate::rest::EntitySummary;
use crate::Client;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use tb_proto::relation::{
    EntityRelationsQuery, RelationEntityTypeFilter, RelationTypeGroup, RelationsSearchParameters,
    SearchDirection, CONTAINS,
};
use tb_proto::{EntityId, EntityType};

/// The raw hierarchy: nodes, `Contains` edges (parent -> children, in name order) and roots.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Hierarchy {
    pub nodes: HashMap<EntityId, EntitySummary>,
    pub children: HashMap<EntityId, Vec<EntityId>>,
    pub roots: Vec<EntityId>,
    /// REST requests this load used.
    pub requests: u64,
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
}

/// Rough height of an asset type, for picking likely roots first. Unknown types come last.
fn height_rank(type_name: &str) -> u8 {
    let t = type_name.to_ascii_lowercase();
    const ORDER: [&[&str]; 5] = [
        &["portfolio", "campus", "site", "estate"],
        &["building"],
        &["floor", "level", "storey"],
        &["wing", "zone"],
        &["room", "office", "space"],
    ];
    ORDER.iter().position(|words| words.iter().any(|w| t.contains(w))).map_or(u8::MAX, |p| p as u8)
}

impl Client {
    /// Loads every hierarchy the user may see. `progress` is called as steps complete.
    pub async fn load_hierarchy(&self, mut progress: impl FnMut(LoadProgress)) -> Result<Hierarchy, Error> {
        let requests_before = self.request_count();
        progress(LoadProgress::ListingEntities);
        let (assets, devices) = tokio::try_join!(self.all_assets(), self.all_devices())?;

        let mut nodes: HashMap<EntityId, EntitySummary> = HashMap::new();
        for a in &assets {
            nodes.insert(
                a.id,
                EntitySummary {
                    id: a.id,
                    name: a.name.clone(),
                    type_name: a.asset_type.clone(),
                    label: a.label.clone(),
                },
            );
        }
        for d in &devices {
            nodes.insert(
                d.id,
                EntitySummary {
                    id: d.id,
                    name: d.name.clone(),
                    type_name: d.device_type.clone(),
                    label: d.label.clone(),
                },
            );
        }

        let mut order: Vec<&EntitySummary> =
            nodes.values().filter(|n| n.id.entity_type == EntityType::Asset).collect();
        order.sort_by(|a, b| {
            (height_rank(&a.type_name), &a.name, a.id).cmp(&(height_rank(&b.type_name), &b.name, b.id))
        });
        let order: Vec<EntityId> = order.into_iter().map(|n| n.id).collect();

        let mut edges: BTreeSet<(EntityId, EntityId)> = BTreeSet::new();
        let mut reached: BTreeSet<EntityId> = BTreeSet::new();
        let mut queried: Vec<EntityId> = Vec::new();
        for (index, asset) in order.iter().enumerate() {
            if reached.contains(asset) {
                continue;
            }
            let found = self.query_relations_info(&contains_subtree(*asset)).await?;
            queried.push(*asset);
            for relation in found {
                if relation.relation_type != CONTAINS {
                    continue;
                }
                // A far end missing from the lists (deleted, or not readable) still gets a node with the server's name.
                nodes.entry(relation.to).or_insert_with(|| EntitySummary {
                    id: relation.to,
                    name: relation.to_name.clone().unwrap_or_default(),
                    type_name: String::new(),
                    label: None,
                });
                reached.insert(relation.to);
                edges.insert((relation.from, relation.to));
            }
            let unplaced = order[index + 1..].iter().filter(|a| !reached.contains(a)).count();
            progress(LoadProgress::Relations { queries: queried.len(), unplaced_assets: unplaced });
        }

        let mut children: HashMap<EntityId, Vec<EntityId>> = HashMap::new();
        for (from, to) in edges {
            children.entry(from).or_default().push(to);
        }
        for list in children.values_mut() {
            list.sort_by(|a, b| {
                let name = |id: &EntityId| nodes.get(id).map(|n| n.name.clone()).unwrap_or_default();
                natural_key(&name(a)).cmp(&natural_key(&name(b))).then(a.cmp(b))
            });
        }
        // A queried asset reached from another asset is inside that one's tree, and devices are never roots.
        let mut roots: Vec<EntityId> = queried.into_iter().filter(|a| !reached.contains(a)).collect();
        // Devices nobody contains still belong somewhere a person can find them.
        let mut loose_devices: Vec<EntityId> =
            devices.iter().map(|d| d.id).filter(|d| !reached.contains(d)).collect();
        loose_devices.sort_by_key(|d| nodes.get(d).map(|n| natural_key(&n.name)));
        roots.extend(loose_devices);

        Ok(Hierarchy { nodes, children, roots, requests: self.request_count() - requests_before })
    }
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
    fn likely_roots_rank_first() {
        let mut types = vec!["room", "weird-type", "floor", "site", "building"];
        types.sort_by_key(|t| height_rank(t));
        assert_eq!(types, ["site", "building", "floor", "room", "weird-type"]);
    }

    #[test]
    fn natural_order() {
        let mut names = vec!["Room 10", "Room 2", "lobby", "Room 1.02", "Room 1.10"];
        names.sort_by_key(|n| natural_key(n));
        assert_eq!(names, ["lobby", "Room 1.02", "Room 1.10", "Room 2", "Room 10"]);
    }

    #[test]
    fn subtree_query_is_unlimited_contains_from_root() {
        let q = serde_json::to_value(contains_subtree(EntityId::new(EntityType::Asset, uuid::Uuid::nil())))
            .unwrap();
        assert_eq!(q["parameters"]["maxLevel"], 0);
        assert_eq!(q["parameters"]["direction"], "FROM");
        assert_eq!(q["filters"][0]["relationType"], "Contains");
    }
}
