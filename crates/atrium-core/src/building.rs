//! The building model: the raw hierarchy becomes the tree a building manager reads.

use atrium_ipc::{NodeKind, TreeNode};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use tb_client::hierarchy::{sorted_children, Hierarchy};
use tb_client::proto::{EntityId, EntityType};

/// Which asset types are which kind of node: data, so an admin can change it without an app update.
/// Rules are matched in order against the lower-cased type; the first rule whose word the type contains wins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KindMap {
    pub rules: Vec<KindRule>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KindRule {
    pub contains: String,
    pub kind: NodeKind,
}

impl Default for KindMap {
    fn default() -> Self {
        let rules = [
            ("campus", NodeKind::Site),
            ("site", NodeKind::Site),
            ("building", NodeKind::Building),
            ("floor", NodeKind::Floor),
            ("level", NodeKind::Floor),
            ("zone", NodeKind::Zone),
            ("wing", NodeKind::Zone),
            ("room", NodeKind::Room),
            ("office", NodeKind::Room),
            ("space", NodeKind::Room),
        ];
        Self { rules: rules.into_iter().map(|(w, kind)| KindRule { contains: w.into(), kind }).collect() }
    }
}

impl KindMap {
    pub fn kind_of(&self, entity: EntityId, type_name: &str) -> NodeKind {
        if entity.entity_type == EntityType::Device {
            return NodeKind::Device;
        }
        let lower = type_name.to_lowercase();
        self.rules.iter().find(|r| lower.contains(&r.contains)).map_or(NodeKind::Other, |r| r.kind)
    }
}

/// Builds the view tree. A node in two parents appears under both; a relation cycle is cut
/// where it would revisit a node already on the path.
pub fn to_tree(hierarchy: &Hierarchy, kinds: &KindMap) -> Vec<TreeNode> {
    let mut path = HashSet::new();
    hierarchy.roots.iter().filter_map(|root| build(hierarchy, kinds, *root, &mut path)).collect()
}

fn build(h: &Hierarchy, kinds: &KindMap, id: EntityId, path: &mut HashSet<EntityId>) -> Option<TreeNode> {
    if !path.insert(id) {
        return None;
    }
    let summary = h.nodes.get(&id);
    let name = summary
        .map(|s| s.name.clone())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| format!("Unnamed {}", id.id));
    let type_name = summary.map(|s| s.type_name.clone()).unwrap_or_default();
    let children = sorted_children(h, &id).iter().filter_map(|child| build(h, kinds, *child, path)).collect();
    path.remove(&id);
    Some(TreeNode {
        id: id.id.to_string(),
        entity_type: id.entity_type.as_str().to_owned(),
        kind: kinds.kind_of(id, &type_name),
        label: summary.and_then(|s| s.label.clone()).filter(|l| !l.is_empty()),
        name,
        type_name,
        children,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tb_client::EntitySummary;
    use uuid::Uuid;

    fn asset(n: u128) -> EntityId {
        EntityId::new(EntityType::Asset, Uuid::from_u128(n))
    }

    fn hierarchy(
        edges: &[(EntityId, EntityId)],
        roots: &[EntityId],
        types: &[(EntityId, &str)],
    ) -> Hierarchy {
        let mut h = Hierarchy { roots: roots.to_vec(), ..Hierarchy::default() };
        for (id, t) in types {
            h.nodes.insert(
                *id,
                EntitySummary {
                    id: *id,
                    name: format!("n{}", id.id.as_u128()),
                    type_name: (*t).into(),
                    label: None,
                },
            );
        }
        for (from, to) in edges {
            h.children.entry(*from).or_default().push(*to);
        }
        h
    }

    #[test]
    fn kinds_come_from_the_map() {
        let map = KindMap::default();
        assert_eq!(map.kind_of(asset(1), "Office Building"), NodeKind::Building);
        assert_eq!(map.kind_of(asset(1), "plant-room-equipment"), NodeKind::Room);
        assert_eq!(map.kind_of(asset(1), "boiler"), NodeKind::Other);
        assert_eq!(map.kind_of(EntityId::new(EntityType::Device, Uuid::nil()), "light"), NodeKind::Device);
        let custom: KindMap =
            serde_json::from_str(r#"{"rules":[{"contains":"boiler","kind":"zone"}]}"#).unwrap();
        assert_eq!(custom.kind_of(asset(1), "boiler"), NodeKind::Zone);
    }

    #[test]
    fn cycles_are_cut_and_shared_children_appear_twice() {
        let (a, b, c, d) = (asset(1), asset(2), asset(3), asset(4));
        // a -> b -> c -> a (cycle), a -> d, b -> d (d has two parents)
        let h = hierarchy(
            &[(a, b), (b, c), (c, a), (a, d), (b, d)],
            &[a],
            &[(a, "site"), (b, "building"), (c, "floor"), (d, "room")],
        );
        let tree = to_tree(&h, &KindMap::default());
        assert_eq!(tree.len(), 1);
        let names = |n: &TreeNode| n.children.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&tree[0]), ["n2", "n4"]);
        let b_node = &tree[0].children[0];
        assert_eq!(names(b_node), ["n3", "n4"]);
        assert!(b_node.children[0].children.is_empty(), "the edge back to the root is cut");
    }

    #[test]
    fn nameless_nodes_get_a_readable_name() {
        let a = asset(9);
        let h = Hierarchy { roots: vec![a], ..Hierarchy::default() };
        let tree = to_tree(&h, &KindMap::default());
        assert!(tree[0].name.starts_with("Unnamed "));
        assert_eq!(tree[0].kind, NodeKind::Other);
    }
}
