//! The building model: the raw hierarchy becomes the tree a building manager reads.

use atrium_ipc::{walk_tree, NodeKind, SearchHit, TreeNode, Walk};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap, HashSet};
use tb_client::hierarchy::{sorted_children, Hierarchy};
use tb_client::proto::{EntityId, EntityType};
use uuid::Uuid;

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
/// tried before the built-in ones, or instead of them with `"replaceDefaults": true`. A rule's kind
/// is a place's: `device` is refused (only devices are devices).
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
        // The UI opens a device's panel for a node of kind device: an asset must never be one.
        if let Some(device) = parsed.rules.iter().position(|r| r.kind == NodeKind::Device) {
            return Err(format!(
                "{KIND_OVERRIDE_ATTRIBUTE}: rule {} makes assets devices; only devices are",
                device + 1
            ));
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

/// How much of a building is shown: a server with a runaway hierarchy (places sharing children
/// many times over, chains thousands deep) must not take the app down, so past these the tree is
/// cut and says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TreeLimits {
    /// Entries (places, devices and links) in the whole tree.
    pub(crate) entries: usize,
    /// Levels below a root, the root being level 1. Also keeps every serialized tree well inside
    /// serde_json's nesting limit (128), which each level takes two of.
    pub(crate) depth: usize,
}

impl Default for TreeLimits {
    fn default() -> Self {
        // The `portfolio` demo preset (50 buildings, 50,000 devices) fits twice; real buildings
        // are 5-8 levels deep.
        Self { entries: 100_000, depth: 32 }
    }
}

/// A tree built from a hierarchy, with what had to be left out in sentences.
#[derive(Debug, Clone, PartialEq)]
pub struct BuiltTree {
    pub nodes: Vec<TreeNode>,
    pub notes: Vec<String>,
}

/// Builds the view tree. A node in two parents appears in full under the first met in tree
/// order and as a [`TreeNode::link`] under the others; a relation cycle is cut where it would
/// revisit a node already on the path.
pub fn to_tree(hierarchy: &Hierarchy, kinds: &KindMap) -> Vec<TreeNode> {
    to_tree_with_overrides(hierarchy, kinds, &HashMap::new()).nodes
}

/// [`to_tree`], with a root's own mapping (from its [`KIND_OVERRIDE_ATTRIBUTE`]) for that root's
/// tree, within the default [`TreeLimits`].
pub fn to_tree_with_overrides(
    hierarchy: &Hierarchy,
    kinds: &KindMap,
    per_root: &HashMap<EntityId, KindMap>,
) -> BuiltTree {
    to_tree_limited(hierarchy, kinds, per_root, TreeLimits::default())
}

/// A node being built: its children are filled in as the walk comes back up.
struct Frame<'h> {
    id: EntityId,
    node: TreeNode,
    kinds: &'h KindMap,
    children: &'h [EntityId],
    next: usize,
}

/// [`to_tree_with_overrides`] within `limits`. Iterative: each node is expanded once, so the work
/// and the result are linear in the hierarchy whatever its shape.
pub(crate) fn to_tree_limited(
    h: &Hierarchy,
    kinds: &KindMap,
    per_root: &HashMap<EntityId, KindMap>,
    limits: TreeLimits,
) -> BuiltTree {
    let mut nodes = Vec::new();
    let mut placed: HashSet<EntityId> = HashSet::new();
    let mut on_path: HashSet<EntityId> = HashSet::new();
    let mut entries = 0usize;
    let (mut cut_size, mut cut_depth) = (false, false);
    for root in &h.roots {
        if entries >= limits.entries {
            cut_size = true;
            break;
        }
        entries += 1;
        let kinds = per_root.get(root).unwrap_or(kinds);
        if !placed.insert(*root) {
            nodes.push(TreeNode { link: true, ..describe(h, kinds, *root) });
            continue;
        }
        on_path.insert(*root);
        let mut stack = vec![Frame::new(h, kinds, *root)];
        while !stack.is_empty() {
            // Children of the frame on top would be on this level.
            let level = stack.len() + 1;
            let top = stack.last_mut().expect("the loop holds a frame");
            let Some(&child) = top.children.get(top.next) else {
                let done = stack.pop().expect("the loop holds a frame");
                on_path.remove(&done.id);
                match stack.last_mut() {
                    Some(parent) => parent.node.children.push(done.node),
                    None => nodes.push(done.node),
                }
                continue;
            };
            top.next += 1;
            if on_path.contains(&child) {
                continue; // a place cannot contain itself: the relation cycle ends here
            }
            if entries >= limits.entries {
                cut_size = true;
                top.next = top.children.len();
                continue;
            }
            // Before links: a link takes a level too.
            if level > limits.depth {
                cut_depth = true;
                continue;
            }
            let kinds = top.kinds;
            if placed.contains(&child) {
                entries += 1;
                top.node.children.push(TreeNode { link: true, ..describe(h, kinds, child) });
                continue;
            }
            entries += 1;
            placed.insert(child);
            on_path.insert(child);
            stack.push(Frame::new(h, kinds, child));
        }
    }
    let mut notes = Vec::new();
    if cut_size {
        notes.push(format!(
            "This building has more than {n} places and devices; showing the first {n}.",
            n = limits.entries
        ));
    }
    if cut_depth {
        notes.push(format!(
            "Some places are nested more than {} levels deep; the levels below are not shown.",
            limits.depth
        ));
    }
    BuiltTree { nodes, notes }
}

impl<'h> Frame<'h> {
    fn new(h: &'h Hierarchy, kinds: &'h KindMap, id: EntityId) -> Self {
        Self { id, node: describe(h, kinds, id), kinds, children: sorted_children(h, &id), next: 0 }
    }
}

/// The node for `id`, without children.
fn describe(h: &Hierarchy, kinds: &KindMap, id: EntityId) -> TreeNode {
    let summary = h.nodes.get(&id);
    let name = summary
        .map(|s| s.name.clone())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| format!("Unnamed {}", id.id));
    let type_name = summary.map(|s| s.type_name.clone()).unwrap_or_default();
    TreeNode {
        id: id.id.to_string(),
        entity_type: id.entity_type.as_str().to_owned(),
        kind: kinds.kind_of(id, &type_name),
        label: summary.and_then(|s| s.label.clone()).filter(|l| !l.is_empty()),
        name,
        type_name,
        children: Vec::new(),
        link: false,
    }
}

/// Nodes whose name, label or type contains `query` (case-insensitive), in tree order, at most
/// `limit`. An empty query finds nothing. A node with two parents is found under each.
pub fn search(tree: &[TreeNode], query: &str, limit: usize) -> Vec<SearchHit> {
    let needle = query.trim().to_lowercase();
    let mut hits = Vec::new();
    if needle.is_empty() || limit == 0 {
        return hits;
    }
    walk_tree(tree, |node, around| {
        let matches = [Some(&node.name), node.label.as_ref(), Some(&node.type_name)]
            .into_iter()
            .flatten()
            .any(|text| text.to_lowercase().contains(&needle));
        if matches {
            hits.push(SearchHit {
                id: node.id.clone(),
                name: node.name.clone(),
                label: node.label.clone(),
                kind: node.kind,
                path: around.iter().map(|n| n.display_name().to_owned()).collect(),
            });
        }
        if hits.len() >= limit {
            Walk::Stop
        } else {
            Walk::Continue
        }
    });
    hits
}

/// Where each node is: id -> the display names of the places around it, outermost first (a
/// device in two rooms keeps the first met in tree order).
pub(crate) fn places(tree: &[TreeNode]) -> HashMap<String, Vec<String>> {
    let mut out = HashMap::new();
    walk_tree(tree, |node, around| {
        out.entry(node.id.clone())
            .or_insert_with(|| around.iter().map(|n| n.display_name().to_owned()).collect());
        Walk::Continue
    });
    out
}

/// The ids of every place around a node, in every place it hangs (a room under two floors counts
/// for both, and so do its devices).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Around {
    /// Id -> the ids of the nodes it appears under, in full or as a link.
    parents: HashMap<String, Vec<String>>,
}

impl Around {
    pub(crate) fn of_tree(tree: &[TreeNode]) -> Self {
        let mut parents: HashMap<String, Vec<String>> = HashMap::new();
        walk_tree(tree, |node, around| {
            if let Some(parent) = around.last() {
                let of = parents.entry(node.id.clone()).or_default();
                if !of.contains(&parent.id) {
                    of.push(parent.id.clone());
                }
            }
            Walk::Continue
        });
        Self { parents }
    }

    /// From (child, parent) pairs.
    #[cfg(test)]
    pub(crate) fn from_parents<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut parents: HashMap<String, Vec<String>> = HashMap::new();
        for (child, parent) in pairs {
            parents.entry(child.to_owned()).or_default().push(parent.to_owned());
        }
        Self { parents }
    }

    /// The ids of every node around `id`, each once, nearest first.
    pub(crate) fn ids(&self, id: &str) -> Vec<String> {
        let mut seen: HashSet<&str> = HashSet::from([id]);
        let mut out = Vec::new();
        let mut next = std::collections::VecDeque::from([id]);
        while let Some(at) = next.pop_front() {
            for parent in self.parents.get(at).into_iter().flatten() {
                if seen.insert(parent) {
                    out.push(parent.clone());
                    next.push_back(parent);
                }
            }
        }
        out
    }
}

/// The display names of the places around node `id`, nearest first (the first place met in tree
/// order for a device in two rooms); empty when the tree does not hold it.
pub(crate) fn place_of(tree: &[TreeNode], id: &str) -> Vec<String> {
    let mut found = Vec::new();
    walk_tree(tree, |node, around| {
        if node.id != id {
            return Walk::Continue;
        }
        found = around.iter().rev().map(|n| n.display_name().to_owned()).collect();
        Walk::Stop
    });
    found
}

/// Node `id` in full (not a link to it), with its subtree.
pub(crate) fn find_node<'a>(tree: &'a [TreeNode], id: &str) -> Option<&'a TreeNode> {
    let mut found = None;
    walk_tree(tree, |node, _| {
        if node.id == id && !node.link {
            found = Some(node);
            return Walk::Stop;
        }
        Walk::Continue
    });
    found
}

/// The nodes shown in full, by id: where a link leads.
#[derive(Debug)]
pub(crate) struct TreeIndex<'a> {
    full: HashMap<&'a str, &'a TreeNode>,
}

impl<'a> TreeIndex<'a> {
    pub(crate) fn new(tree: &'a [TreeNode]) -> Self {
        let mut full = HashMap::new();
        walk_tree(tree, |node, _| {
            if !node.link {
                // An entry with children wins over a childless one (a tree built elsewhere may
                // not mark its links).
                let held = full.entry(node.id.as_str()).or_insert(node);
                if held.children.is_empty() && !node.children.is_empty() {
                    *held = node;
                }
            }
            Walk::Continue
        });
        Self { full }
    }

    /// Node `id` where it is shown in full (not a link to it).
    pub(crate) fn full(&self, id: &str) -> Option<&'a TreeNode> {
        self.full.get(id).copied()
    }

    /// The devices at any depth below `node` (itself, if it is one), following links to where
    /// the linked node is shown in full; each once.
    pub(crate) fn devices_below(&self, node: &'a TreeNode) -> BTreeSet<Uuid> {
        let mut devices = BTreeSet::new();
        let mut expanded: HashSet<&str> = HashSet::new();
        let mut todo = vec![node];
        while let Some(at) = todo.pop() {
            let at = if at.link { self.full.get(at.id.as_str()).copied().unwrap_or(at) } else { at };
            if !expanded.insert(&at.id) {
                continue;
            }
            if at.entity_type == "DEVICE" {
                if let Ok(id) = Uuid::parse_str(&at.id) {
                    devices.insert(id);
                }
            }
            todo.extend(at.children.iter());
        }
        devices
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tb_client::EntitySummary;

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
    fn cycles_are_cut_and_a_shared_child_is_linked_not_copied() {
        let (a, b, c, d, e) = (asset(1), asset(2), asset(3), asset(4), asset(5));
        // a -> b -> c -> a (cycle), a -> d, b -> d (d has two parents), d -> e
        let h = hierarchy(
            &[(a, b), (b, c), (c, a), (a, d), (b, d), (d, e)],
            &[a],
            &[(a, "site"), (b, "building"), (c, "floor"), (d, "room"), (e, "room")],
        );
        let tree = to_tree(&h, &KindMap::default());
        assert_eq!(tree.len(), 1);
        let names = |n: &TreeNode| n.children.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&tree[0]), ["n2", "n4"]);
        let b_node = &tree[0].children[0];
        assert_eq!(names(b_node), ["n3", "n4"]);
        assert!(b_node.children[0].children.is_empty(), "the edge back to the root is cut");
        let (first, second) = (&b_node.children[1], &tree[0].children[1]);
        assert!(!first.link && first.children.len() == 1, "in full where first met: {first:?}");
        assert!(second.link && second.children.is_empty(), "a link elsewhere: {second:?}");
        // Its devices and alarms count in both places.
        let around = Around::of_tree(&tree);
        let mut of_e = around.ids(&e.id.to_string());
        of_e.sort();
        assert_eq!(of_e, [a, b, d].map(|n| n.id.to_string()));
        assert_eq!(find_node(&tree, &d.id.to_string()).map(|n| n.link), Some(false));
    }

    /// Each level's two places both contain both places of the next level: copied under every
    /// parent, 30 levels made 2^30 nodes.
    #[test]
    fn a_ladder_of_shared_places_stays_linear() {
        let levels: Vec<[EntityId; 2]> = (0..30).map(|l| [asset(10 * l + 1), asset(10 * l + 2)]).collect();
        let mut edges = Vec::new();
        for pair in levels.windows(2) {
            for from in pair[0] {
                for to in pair[1] {
                    edges.push((from, to));
                }
            }
        }
        let top = asset(1_000_000);
        edges.extend(levels[0].map(|l| (top, l)));
        let types: Vec<(EntityId, &str)> =
            levels.iter().flatten().map(|id| (*id, "floor")).chain([(top, "site")]).collect();
        let h = hierarchy(&edges, &[top], &types);
        let tree = to_tree_with_overrides(&h, &KindMap::default(), &HashMap::new());
        let mut entries = 0;
        walk_tree(&tree.nodes, |_, _| {
            entries += 1;
            Walk::Continue
        });
        assert_eq!(entries, 1 + 60 + 58, "each place once, plus one link per extra parent");
        assert!(tree.notes.is_empty(), "{:?}", tree.notes);
        let bottom = levels[29][1].id.to_string();
        assert_eq!(Around::of_tree(&tree.nodes).ids(&bottom).len(), 59, "every place above it");
        let index = TreeIndex::new(&tree.nodes);
        assert!(index.devices_below(&tree.nodes[0]).is_empty());
        assert_eq!(search(&tree.nodes, "n292", 1000).len(), 2, "under both parents");
    }

    /// A chain of 100,000 places used to overflow the stack when built (and at every start
    /// after, from the cache).
    #[test]
    fn a_chain_deeper_than_the_limit_is_cut_with_a_note() {
        let chain: Vec<EntityId> = (1..=100_000).map(asset).collect();
        let edges: Vec<(EntityId, EntityId)> = chain.windows(2).map(|w| (w[0], w[1])).collect();
        let types: Vec<(EntityId, &str)> = chain.iter().map(|id| (*id, "floor")).collect();
        let h = hierarchy(&edges, &[chain[0]], &types);
        let built = to_tree_with_overrides(&h, &KindMap::default(), &HashMap::new());
        let mut deepest = 0;
        walk_tree(&built.nodes, |_, around| {
            deepest = deepest.max(around.len() + 1);
            Walk::Continue
        });
        assert_eq!(deepest, TreeLimits::default().depth);
        assert_eq!(
            built.notes,
            ["Some places are nested more than 32 levels deep; the levels below are not shown."]
        );
        let json = serde_json::to_string(&built.nodes).unwrap();
        let back: Vec<TreeNode> = serde_json::from_str(&json).expect("within serde_json's nesting limit");
        assert_eq!(back, built.nodes);
    }

    /// Found by fuzzing (`fuzz/`, tree_builder): a link to a place shown elsewhere was added
    /// below the deepest level allowed, one level past the limit.
    #[test]
    fn a_link_past_the_depth_limit_is_cut_too() {
        let (a, b) = (asset(1), asset(2));
        // `b` is a root shown in full first; root `a` contains it, one level too deep.
        let h = hierarchy(&[(a, b)], &[b, a], &[(a, "site"), (b, "site")]);
        let limits = TreeLimits { entries: 10, depth: 1 };
        let built = to_tree_limited(&h, &KindMap::default(), &HashMap::new(), limits);
        assert_eq!(built.nodes.len(), 2);
        assert!(built.nodes.iter().all(|n| n.children.is_empty()), "{:#?}", built.nodes);
        assert_eq!(
            built.notes,
            ["Some places are nested more than 1 levels deep; the levels below are not shown."]
        );
    }

    #[test]
    fn a_building_over_the_size_limit_shows_the_first_places_and_says_so() {
        let root = asset(1);
        let rooms: Vec<EntityId> = (2..=50).map(asset).collect();
        let edges: Vec<(EntityId, EntityId)> = rooms.iter().map(|r| (root, *r)).collect();
        let mut types: Vec<(EntityId, &str)> = rooms.iter().map(|id| (*id, "room")).collect();
        types.push((root, "building"));
        let h = hierarchy(&edges, &[root, asset(99)], &types);
        let built =
            to_tree_limited(&h, &KindMap::default(), &HashMap::new(), TreeLimits { entries: 10, depth: 8 });
        assert_eq!(built.nodes.len(), 1, "the second root is past the limit");
        assert_eq!(built.nodes[0].children.len(), 9);
        assert_eq!(built.notes, ["This building has more than 10 places and devices; showing the first 10."]);
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

    /// Found by fuzzing (`fuzz/`, kind_map): an override could map asset types to "device", and
    /// the UI then opened the device panel for an asset.
    #[test]
    fn an_override_cannot_make_an_asset_a_device() {
        let crash = r#"{"rules": [{"contains": "tz//-/+[ {", "kind": "device", "Hkind": "zone"}]}"#;
        let base = KindMap::default();
        let value: serde_json::Value = serde_json::from_str(crash).unwrap();
        for value in [value, serde_json::Value::String(crash.to_owned())] {
            let err = base.with_override(&value).unwrap_err();
            assert_eq!(err, "atriumKinds: rule 1 makes assets devices; only devices are");
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
        let tree = to_tree_with_overrides(&h, &base, &per_root).nodes;
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
            link: false,
        };
        let tree = vec![node("site", vec![node("floor", vec![node("dev", vec![])]), node("dev", vec![])])];
        let places = places(&tree);
        assert_eq!(places["dev"], ["site", "floor"], "the first place met");
        assert!(places["site"].is_empty());
        assert_eq!(
            Around::of_tree(&tree).ids("dev"),
            ["floor", "site"],
            "every place it is in, once, nearest first"
        );
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
