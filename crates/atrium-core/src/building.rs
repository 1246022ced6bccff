//! The building model: the raw hierarchy becomes the tree a building manager reads.

use atrium_ipc::{NodeKind, SearchHit, TreeNode};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
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

/// Where an administrator overrides the mapping without an app update: a `SERVER_SCOPE`
/// attribute with this key on a root asset (a site or building), applying to that root's tree.
/// Its value (a JSON object, or a string holding one) is
/// `{"rules": [{"contains": "boiler", "kind": "zone"}], "replaceDefaults": false}`: its rules are
/// tried before the built-in ones, or instead of them with `"replaceDefaults": true`.
pub const KIND_OVERRIDE_ATTRIBUTE: &str = "atriumKinds";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct KindOverride {
    rules: Vec<KindRule>,
    #[serde(default)]
    replace_defaults: bool,
}

impl KindMap {
    /// This map with an administrator's override (see [`KIND_OVERRIDE_ATTRIBUTE`]) applied.
    /// A malformed override is an `Err` saying what is wrong; the caller reports it and keeps `self`.
    pub fn with_override(&self, value: &serde_json::Value) -> Result<KindMap, String> {
        let parsed: Result<KindOverride, serde_json::Error> = match value {
            serde_json::Value::String(text) => serde_json::from_str(text),
            other => serde_json::from_value(other.clone()),
        };
        let parsed =
            parsed.map_err(|e| format!("{KIND_OVERRIDE_ATTRIBUTE} is not a valid kind mapping: {e}"))?;
        if let Some(empty) = parsed.rules.iter().position(|r| r.contains.trim().is_empty()) {
            return Err(format!("{KIND_OVERRIDE_ATTRIBUTE}: rule {} has an empty \"contains\"", empty + 1));
        }
        let mut rules: Vec<KindRule> = parsed
            .rules
            .into_iter()
            .map(|r| KindRule { contains: r.contains.to_lowercase(), kind: r.kind })
            .collect();
        if !parsed.replace_defaults {
            rules.extend(self.rules.iter().cloned());
        }
        Ok(KindMap { rules })
    }

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
    to_tree_with_overrides(hierarchy, kinds, &HashMap::new())
}

/// [`to_tree`], with a root's own mapping (from its [`KIND_OVERRIDE_ATTRIBUTE`]) for that root's tree.
pub fn to_tree_with_overrides(
    hierarchy: &Hierarchy,
    kinds: &KindMap,
    per_root: &HashMap<EntityId, KindMap>,
) -> Vec<TreeNode> {
    let mut path = HashSet::new();
    hierarchy
        .roots
        .iter()
        .filter_map(|root| build(hierarchy, per_root.get(root).unwrap_or(kinds), *root, &mut path))
        .collect()
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

/// Nodes whose name, label or type contains `query` (case-insensitive), in tree order, at most
/// `limit`. An empty query finds nothing.
pub fn search(tree: &[TreeNode], query: &str, limit: usize) -> Vec<SearchHit> {
    let needle = query.trim().to_lowercase();
    let mut hits = Vec::new();
    if needle.is_empty() {
        return hits;
    }
    let mut path = Vec::new();
    search_in(tree, &needle, limit, &mut path, &mut hits);
    hits
}

fn search_in(
    nodes: &[TreeNode],
    needle: &str,
    limit: usize,
    path: &mut Vec<String>,
    hits: &mut Vec<SearchHit>,
) {
    for node in nodes {
        if hits.len() >= limit {
            return;
        }
        let matches = [Some(&node.name), node.label.as_ref(), Some(&node.type_name)]
            .into_iter()
            .flatten()
            .any(|text| text.to_lowercase().contains(needle));
        if matches {
            hits.push(SearchHit {
                id: node.id.clone(),
                name: node.name.clone(),
                label: node.label.clone(),
                kind: node.kind,
                path: path.clone(),
            });
        }
        path.push(node.display_name().to_owned());
        search_in(&node.children, needle, limit, path, hits);
        path.pop();
    }
}

/// Where each node is: id -> the display names of the places around it, outermost first (a
/// device in two rooms keeps the first met in tree order).
pub(crate) fn places(tree: &[TreeNode]) -> HashMap<String, Vec<String>> {
    around(tree, |node| node.display_name().to_owned())
}

/// Id -> the ids of every node around it, outermost first (every place it is in).
pub(crate) fn ancestors(tree: &[TreeNode]) -> HashMap<String, Vec<String>> {
    fn walk(nodes: &[TreeNode], path: &mut Vec<String>, out: &mut HashMap<String, Vec<String>>) {
        for node in nodes {
            let seen = out.entry(node.id.clone()).or_default();
            for id in path.iter() {
                if !seen.contains(id) {
                    seen.push(id.clone());
                }
            }
            path.push(node.id.clone());
            walk(&node.children, path, out);
            path.pop();
        }
    }
    let mut out = HashMap::new();
    walk(tree, &mut Vec::new(), &mut out);
    out
}

/// The display names of the places around node `id`, nearest first (the first place met in tree
/// order for a device in two rooms); empty when the tree does not hold it.
pub(crate) fn place_of(tree: &[TreeNode], id: &str) -> Vec<String> {
    fn walk<'a>(nodes: &'a [TreeNode], id: &str, path: &mut Vec<&'a TreeNode>) -> bool {
        for node in nodes {
            if node.id == id {
                return true;
            }
            path.push(node);
            if walk(&node.children, id, path) {
                return true;
            }
            path.pop();
        }
        false
    }
    let mut path = Vec::new();
    if !walk(tree, id, &mut path) {
        return Vec::new();
    }
    path.iter().rev().map(|n| n.display_name().to_owned()).collect()
}

fn around(tree: &[TreeNode], name: impl Fn(&TreeNode) -> String + Copy) -> HashMap<String, Vec<String>> {
    fn walk(
        nodes: &[TreeNode],
        name: impl Fn(&TreeNode) -> String + Copy,
        path: &mut Vec<String>,
        out: &mut HashMap<String, Vec<String>>,
    ) {
        for node in nodes {
            out.entry(node.id.clone()).or_insert_with(|| path.clone());
            path.push(name(node));
            walk(&node.children, name, path, out);
            path.pop();
        }
    }
    let mut out = HashMap::new();
    walk(tree, name, &mut Vec::new(), &mut out);
    out
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
    fn an_override_goes_first_and_a_malformed_one_is_refused() {
        let base = KindMap::default();
        let value = serde_json::json!({"rules": [{"contains": "Boiler", "kind": "zone"}]});
        let map = base.with_override(&value).unwrap();
        assert_eq!(map.kind_of(asset(1), "boiler-house"), NodeKind::Zone);
        assert_eq!(map.kind_of(asset(1), "floor"), NodeKind::Floor, "defaults still apply");
        // As ThingsBoard often stores it: a string holding JSON; and replacing the defaults.
        let text = serde_json::json!(
            r#"{"rules": [{"contains": "wing", "kind": "building"}], "replaceDefaults": true}"#
        );
        let map = base.with_override(&text).unwrap();
        assert_eq!(map.kind_of(asset(1), "east wing"), NodeKind::Building);
        assert_eq!(map.kind_of(asset(1), "floor"), NodeKind::Other);
        for bad in [
            serde_json::json!("not json"),
            serde_json::json!({"rules": [{"contains": "x", "kind": "castle"}]}),
            serde_json::json!({"rules": [{"contains": " ", "kind": "room"}]}),
            serde_json::json!({"rulez": []}),
            serde_json::json!(42),
        ] {
            let err = base.with_override(&bad).unwrap_err();
            assert!(err.contains(KIND_OVERRIDE_ATTRIBUTE), "{err}");
        }
    }

    #[test]
    fn a_root_override_applies_to_its_tree_only() {
        let (a, b, c, d) = (asset(1), asset(2), asset(3), asset(4));
        let h =
            hierarchy(&[(a, b), (c, d)], &[a, c], &[(a, "site"), (b, "boiler"), (c, "site"), (d, "boiler")]);
        let base = KindMap::default();
        let custom =
            base.with_override(&serde_json::json!({"rules": [{"contains": "boiler", "kind": "room"}]}));
        let per_root = HashMap::from([(a, custom.unwrap())]);
        let tree = to_tree_with_overrides(&h, &base, &per_root);
        assert_eq!(tree[0].children[0].kind, NodeKind::Room);
        assert_eq!(tree[1].children[0].kind, NodeKind::Other);
    }

    #[test]
    fn places_name_the_rooms_around_each_node() {
        let node = |id: &str, children: Vec<TreeNode>| TreeNode {
            id: id.into(),
            entity_type: "ASSET".into(),
            name: id.into(),
            label: None,
            kind: atrium_ipc::NodeKind::Other,
            type_name: "t".into(),
            children,
        };
        let tree = vec![node("site", vec![node("floor", vec![node("dev", vec![])]), node("dev", vec![])])];
        let places = places(&tree);
        assert_eq!(places["dev"], ["site", "floor"], "the first place met");
        assert!(places["site"].is_empty());
        assert_eq!(ancestors(&tree)["dev"], ["site", "floor"], "every place it is in, once");
    }

    #[test]
    fn search_finds_name_label_and_type_anywhere() {
        let (a, b, c, d) = (asset(1), asset(2), asset(3), asset(4));
        let mut h = hierarchy(
            &[(a, b), (b, c), (a, d), (d, c)],
            &[a],
            &[(a, "site"), (b, "floor"), (c, "Room"), (d, "floor")],
        );
        h.nodes.get_mut(&c).unwrap().label = Some("Board Room".into());
        let tree = to_tree(&h, &KindMap::default());
        let hits = search(&tree, "bOARD", 10);
        assert_eq!(hits.len(), 2, "found in both places it hangs: {hits:?}");
        assert_eq!(hits[0].path, ["n1", "n2"]);
        assert_eq!(hits[1].path, ["n1", "n4"]);
        assert_eq!(hits[0].kind, NodeKind::Room);
        assert_eq!(search(&tree, "room", 10).len(), 2, "by type");
        assert_eq!(search(&tree, "FLOOR", 1).len(), 1, "limited");
        assert!(search(&tree, "  ", 10).is_empty());
        assert!(search(&tree, "nothing", 10).is_empty());
    }

    #[test]
    fn places_go_by_their_names_and_short_code_labels_stay_beside_them() {
        let (a, b, c) = (asset(1), asset(2), asset(3));
        let mut h = hierarchy(&[(a, b), (b, c)], &[a], &[(a, "site"), (b, "building"), (c, "room")]);
        for (id, label) in [(a, "RC"), (b, "NT"), (c, "n3")] {
            h.nodes.get_mut(&id).unwrap().label = Some(label.into());
        }
        let tree = to_tree(&h, &KindMap::default());
        let room = &tree[0].children[0].children[0];
        assert_eq!(place_of(&tree, &room.id), ["n2", "n1"], "names, not the codes");
        assert_eq!((tree[0].display_name(), tree[0].aside()), ("n1", Some("RC")));
        assert_eq!(room.aside(), None, "a label equal to the name says nothing more");
        let hits = search(&tree, "nt", 10);
        assert_eq!(hits.len(), 1, "labels are searched too: {hits:?}");
        assert_eq!(
            (hits[0].name.as_str(), hits[0].aside(), &hits[0].path[..]),
            ("n2", Some("NT"), &["n1".to_owned()][..])
        );
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
