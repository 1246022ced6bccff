//! "Below a place": the place and every asset and device under it in the loaded tree.
//!
//! A node with two parents appears in full under one and as a childless entry (a link) under
//! the other: a link is followed to where the node is shown in full, so a room under two floors
//! brings its devices along from either; each entity counts once, and each is expanded once.
//! Explicit stacks, no recursion: a deep building cannot overflow anything.

use crate::building::TreeIndex;
use atrium_ipc::{SharedItem, TreeNode};
use std::collections::HashSet;

/// The node with this id; an occurrence with children wins over a childless one (a link).
pub(crate) fn find<'a>(tree: &'a [TreeNode], id: &str) -> Option<&'a TreeNode> {
    let mut stack: Vec<&TreeNode> = tree.iter().rev().collect();
    let mut found = None;
    while let Some(node) = stack.pop() {
        if node.id == id {
            if !node.children.is_empty() {
                return Some(node);
            }
            found.get_or_insert(node);
        }
        stack.extend(node.children.iter().rev());
    }
    found
}

/// The place itself first, then what is under it, depth first in the tree's order; each entity
/// once. Only assets and devices: nothing else can be assigned to a customer. `tree` is the
/// whole tree `place` is in, where links lead.
pub(crate) fn items_below<'a>(tree: &'a [TreeNode], place: &'a TreeNode) -> Vec<SharedItem> {
    let index = TreeIndex::new(tree);
    let mut out = Vec::new();
    let mut listed: HashSet<&str> = HashSet::new();
    let mut expanded: HashSet<&str> = HashSet::new();
    let mut stack = vec![place];
    while let Some(node) = stack.pop() {
        // A childless entry may be a link: what it holds is where the node is shown in full.
        let node = if node.children.is_empty() { index.full(&node.id).unwrap_or(node) } else { node };
        if matches!(node.entity_type.as_str(), "ASSET" | "DEVICE") && listed.insert(&node.id) {
            out.push(item(node));
        }
        // A second full copy adds nothing; a childless copy never stops the full one.
        if node.children.is_empty() || !expanded.insert(&node.id) {
            continue;
        }
        stack.extend(node.children.iter().rev());
    }
    out
}

pub(crate) fn item(node: &TreeNode) -> SharedItem {
    SharedItem {
        id: node.id.clone(),
        entity_type: node.entity_type.clone(),
        name: node.display_name().to_owned(),
        kind: node.kind,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use atrium_ipc::NodeKind;

    fn node(id: &str, entity_type: &str, children: Vec<TreeNode>) -> TreeNode {
        TreeNode {
            id: id.into(),
            entity_type: entity_type.into(),
            name: id.to_uppercase(),
            label: None,
            kind: if entity_type == "DEVICE" { NodeKind::Device } else { NodeKind::Room },
            type_name: String::new(),
            children,
            link: false,
        }
    }

    fn ids(items: &[SharedItem]) -> Vec<&str> {
        items.iter().map(|i| i.id.as_str()).collect()
    }

    #[test]
    fn the_place_comes_first_then_everything_under_it_once() {
        let shared = node("shared", "DEVICE", vec![]);
        let tree = vec![node(
            "floor",
            "ASSET",
            vec![
                node("r1", "ASSET", vec![node("d1", "DEVICE", vec![]), shared.clone()]),
                node("r2", "ASSET", vec![shared.clone(), node("d2", "DEVICE", vec![])]),
            ],
        )];
        let floor = find(&tree, "floor").unwrap();
        assert_eq!(ids(&items_below(&tree, floor)), ["floor", "r1", "d1", "shared", "r2", "d2"]);
        assert_eq!(ids(&items_below(&tree, find(&tree, "r2").unwrap())), ["r2", "shared", "d2"]);
        assert_eq!(items_below(&tree, find(&tree, "d1").unwrap())[0].name, "D1");
        assert!(find(&tree, "nowhere").is_none());
    }

    #[test]
    fn a_link_entry_neither_hides_the_full_node_nor_counts_twice() {
        // The zone sits under both rooms: a childless entry (a link) first, in full second.
        let link = node("zone", "ASSET", vec![]);
        let full = node("zone", "ASSET", vec![node("z1", "DEVICE", vec![]), node("z2", "DEVICE", vec![])]);
        let tree = vec![node(
            "floor",
            "ASSET",
            vec![node("r1", "ASSET", vec![link]), node("r2", "ASSET", vec![full])],
        )];
        assert_eq!(ids(&items_below(&tree, &tree[0])), ["floor", "r1", "zone", "z1", "z2", "r2"]);
        assert_eq!(find(&tree, "zone").unwrap().children.len(), 2, "the full entry is the one found");
        assert_eq!(ids(&items_below(&tree, find(&tree, "zone").unwrap())), ["zone", "z1", "z2"]);
    }

    /// A room shown in full under Floor 1 and linked under Floor 2: sharing Floor 2 used to give
    /// the room but none of its devices.
    #[test]
    fn a_link_under_another_place_brings_what_the_linked_place_holds() {
        let mut link = node("lobby", "ASSET", vec![]);
        link.link = true;
        let full = node("lobby", "ASSET", vec![node("light", "DEVICE", vec![])]);
        let tree = vec![node(
            "hq",
            "ASSET",
            vec![
                node("f1", "ASSET", vec![full]),
                node("f2", "ASSET", vec![link, node("d2", "DEVICE", vec![])]),
            ],
        )];
        let floor_2 = find(&tree, "f2").unwrap();
        assert_eq!(ids(&items_below(&tree, floor_2)), ["f2", "lobby", "light", "d2"]);
    }

    #[test]
    fn a_deep_building_needs_no_recursion() {
        let mut deepest = node("n0", "ASSET", vec![]);
        for i in 1..20_000 {
            deepest = node(&format!("n{i}"), "ASSET", vec![deepest]);
        }
        let items = items_below(std::slice::from_ref(&deepest), &deepest);
        assert_eq!(items.len(), 20_000);
        // The tree's own drop is recursive: take it apart here, bottom up, without recursion.
        let mut stack = vec![deepest];
        while let Some(mut n) = stack.pop() {
            stack.append(&mut n.children);
        }
    }
}
