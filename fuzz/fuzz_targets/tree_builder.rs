//! The tree builder fed arbitrary relation graphs: cycles, shared children, self-relations, deep
//! chains, a root listed twice. Whatever the server's relations say, the tree stays within its
//! limits, shows only relations that exist, never repeats a place on one path, shows each node in
//! full once (links elsewhere), is complete unless it says it was cut, and every reader of the
//! tree (search, places, around, find, devices below) agrees with it.
//! Input bytes: entries limit, depth limit, flags (bit 0: the first root has its own kind map;
//! bits 1-3: how many roots), the roots, then up to 160 (from, to) pairs. Ids are taken modulo 24,
//! so graphs are dense; ids 18 and up are devices, every seventh has no details.

#![no_main]

use atrium_core::fuzzing::{around, devices_below, find_node, place_of, places, tree};
use atrium_core::KindMap;
use atrium_ipc::{walk_tree, NodeKind, TreeNode, Walk};
use libfuzzer_sys::fuzz_target;
use std::collections::{BTreeSet, HashMap, HashSet};
use tb_client::hierarchy::Hierarchy;
use tb_client::proto::{EntityId, EntityType};
use tb_client::EntitySummary;
use uuid::Uuid;

const IDS: u8 = 24;
const TYPES: &[&str] = &["site", "Office Building", "floor", "Room", "boiler", "", "east wing", "light"];
const NAMES: &[&str] = &["Lobby", "lobby", "Room 1.02", "", "Floor 2", "Überraum", "Lobby"];
const QUERIES: &[&str] = &["room", "LOBBY", "n", " ", "ü", "floor 2", "1", "zzz"];

fn entity(byte: u8) -> EntityId {
    let n = byte % IDS;
    let kind = if n >= 18 { EntityType::Device } else { EntityType::Asset };
    EntityId::new(kind, Uuid::from_u128(u128::from(n) + 1))
}

fn hierarchy(roots: &[u8], edges: &[u8]) -> Hierarchy {
    let mut h = Hierarchy { roots: roots.iter().map(|b| entity(*b)).collect(), ..Hierarchy::default() };
    for pair in edges.chunks_exact(2) {
        h.children.entry(entity(pair[0])).or_default().push(entity(pair[1]));
    }
    for n in (0..IDS).filter(|n| n % 7 != 6) {
        let id = entity(n);
        let i = usize::from(n);
        h.nodes.insert(
            id,
            EntitySummary {
                id,
                name: NAMES[i % NAMES.len()].to_owned(),
                type_name: TYPES[i % TYPES.len()].to_owned(),
                label: (n % 3 == 0).then(|| format!("L{n}")),
            },
        );
    }
    h
}

/// Every node with the ids on its path (outermost first), in tree order.
fn paths(nodes: &[TreeNode]) -> Vec<(&TreeNode, Vec<&str>)> {
    let mut out = Vec::new();
    walk_tree(nodes, |node, around| {
        out.push((node, around.iter().map(|n| n.id.as_str()).collect()));
        Walk::Continue
    });
    out
}

fn check(h: &Hierarchy, nodes: &[TreeNode], notes: &[String], entries: usize, depth: usize, query: &str) {
    let by_id: HashMap<String, EntityId> = h
        .nodes
        .keys()
        .chain(h.roots.iter())
        .chain(h.children.values().flatten())
        .map(|e| (e.id.to_string(), *e))
        .collect();
    let edges = |id: &str| -> Vec<String> {
        let children = by_id.get(id).and_then(|e| h.children.get(e)).map(Vec::as_slice).unwrap_or_default();
        children.iter().map(|c| c.id.to_string()).collect()
    };
    let all = paths(nodes);
    assert!(all.len() <= entries, "{} entries over the limit {entries}", all.len());
    let cut = !notes.is_empty();

    // The top level is the roots, in order, up to where the tree was cut.
    let tops: Vec<String> = nodes.iter().map(|n| n.id.clone()).collect();
    let roots: Vec<String> = h.roots.iter().map(|r| r.id.to_string()).collect();
    assert!(roots.starts_with(&tops) && (cut || tops == roots), "{tops:?} of {roots:?}");

    let mut in_full: HashSet<&str> = HashSet::new();
    for (node, path) in &all {
        assert!(path.len() < depth, "level {} over the limit {depth}", path.len() + 1);
        assert!(!path.contains(&node.id.as_str()), "{} twice on one path", node.id);
        let entity = by_id[&node.id];
        assert_eq!(node.entity_type, entity.entity_type.as_str());
        assert_eq!(node.kind == NodeKind::Device, entity.entity_type == EntityType::Device);
        if node.link {
            assert!(node.children.is_empty(), "a link has no children");
            assert!(in_full.contains(node.id.as_str()), "a link to {} before it is shown in full", node.id);
            continue;
        }
        assert!(in_full.insert(&node.id), "{} in full twice", node.id);
        // Its children are its relations, in order, but those back onto the path; all of them
        // unless the tree says it was cut.
        let mut on_path: HashSet<&str> = path.iter().copied().collect();
        on_path.insert(&node.id);
        let expected: Vec<String> =
            edges(&node.id).into_iter().filter(|c| !on_path.contains(c.as_str())).collect();
        let shown: Vec<String> = node.children.iter().map(|c| c.id.clone()).collect();
        if cut {
            let mut rest = expected.iter();
            assert!(shown.iter().all(|s| rest.any(|e| e == s)), "{shown:?} not within {expected:?}");
        } else {
            assert_eq!(shown, expected, "the children of {}", node.id);
        }
    }

    // The readers of the tree.
    let hits = atrium_core::search(nodes, query, 7);
    assert!(hits.len() <= 7);
    let needle = query.trim().to_lowercase();
    for hit in &hits {
        let texts = [Some(&hit.name), hit.label.as_ref()];
        let node = all.iter().find(|(n, _)| n.id == hit.id).expect("a hit is in the tree").0;
        let matched =
            texts.into_iter().flatten().chain([&node.type_name]).any(|t| t.to_lowercase().contains(&needle));
        assert!(matched, "{hit:?} does not match {query:?}");
    }
    let where_ = places(nodes);
    let around = around(nodes);
    let mut around_of: HashMap<&str, Vec<String>> = HashMap::new();
    for (node, path) in &all {
        assert!(where_.contains_key(&node.id));
        let ids = around_of.entry(&node.id).or_insert_with(|| around(&node.id));
        for parent in path {
            assert!(ids.iter().any(|i| i == parent), "{parent} is around {}", node.id);
        }
    }
    for (id, ids) in &around_of {
        let unique: BTreeSet<&String> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "each place around {id} once");
        assert!(!ids.iter().any(|i| i == id));
        let _ = place_of(nodes, id);
        let full = find_node(nodes, id).expect("every node is somewhere in full");
        assert!(!full.link && full.id == *id);
    }
    let below = devices_below(nodes);
    for root in nodes {
        let devices = below(root);
        walk_tree(std::slice::from_ref(root), |node, _| {
            if node.kind == NodeKind::Device {
                assert!(devices.contains(&node.id.parse().unwrap()), "{} below {}", node.id, root.id);
            }
            Walk::Continue
        });
    }
}

fuzz_target!(|data: &[u8]| {
    let [entries, depth, flags, rest @ ..] = data else { return };
    let entries = 1 + usize::from(*entries) * 2;
    let depth = 1 + usize::from(*depth % 16);
    let roots = usize::from((flags >> 1) & 7).min(rest.len());
    let (roots, edges) = rest.split_at(roots);
    // Dense enough on 24 ids; more edges only slow every run down.
    let edges = &edges[..edges.len().min(2 * 160)];
    let h = hierarchy(roots, edges);
    let base = KindMap::default();
    let mut per_root = HashMap::new();
    if flags & 1 == 1 {
        if let Some(first) = h.roots.first() {
            let custom = serde_json::json!({"rules": [{"contains": "boiler", "kind": "room"}], "replaceDefaults": true});
            per_root.insert(*first, base.with_override(&custom).expect("a valid override"));
        }
    }
    let built = tree(&h, &base, &per_root, entries, depth);
    let query = QUERIES[usize::from(data[1] >> 4) % QUERIES.len()];
    check(&h, &built.nodes, &built.notes, entries, depth, query);
});
