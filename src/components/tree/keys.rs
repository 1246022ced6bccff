//! Keyboard use of the building tree, as the WAI-ARIA tree pattern has it: the rows a person
//! sees, in order, and where each key takes the focus. Pure, so it is tested without a page.

use atrium_ipc::{walk_tree, NodeKind, TreeNode, Walk};
use std::collections::HashSet;

/// A row is keyed by its path of ids, since the same device (or place) can appear under two parents.
pub(crate) fn child_path(parent: &str, id: &str) -> String {
    if parent.is_empty() {
        id.to_owned()
    } else {
        format!("{parent}/{id}")
    }
}

/// The tree key of `node` under the nodes `around` it.
fn key_of(node: &TreeNode, around: &[&TreeNode]) -> String {
    around.iter().chain(std::iter::once(&node)).map(|n| n.id.as_str()).collect::<Vec<_>>().join("/")
}

/// Open at first: enough to see the rooms of every floor.
fn starts_expanded(kind: NodeKind) -> bool {
    matches!(kind, NodeKind::Site | NodeKind::Building | NodeKind::Floor)
}

/// The rows open when a building is first shown: sites, buildings and floors.
pub(crate) fn initial_expansion(nodes: &[TreeNode]) -> HashSet<String> {
    let mut open = HashSet::new();
    walk_tree(nodes, |node, around| {
        if !starts_expanded(node.kind) {
            return Walk::SkipChildren;
        }
        if !node.children.is_empty() {
            open.insert(key_of(node, around));
        }
        Walk::Continue
    });
    open
}

/// The tree keys of the places around the node `id`, found under the places named `names` (root
/// first, by name), so opening them shows it; `None` if it is not in `nodes`.
pub(crate) fn path_keys_to(nodes: &[TreeNode], id: &str, names: &[String]) -> Option<Vec<String>> {
    let mut found = None;
    walk_tree(nodes, |node, around| {
        let depth = around.len();
        if depth == names.len() {
            if node.id == id {
                found = Some((1..=depth).map(|n| key_of(around[n - 1], &around[..n - 1])).collect());
                return Walk::Stop;
            }
            return Walk::SkipChildren;
        }
        if names.get(depth).is_some_and(|name| node.display_name() == name) {
            Walk::Continue
        } else {
            Walk::SkipChildren
        }
    });
    found
}

/// The tree keys of the places around the node `id` where it is first met, so opening them shows it.
pub(crate) fn keys_around(nodes: &[TreeNode], id: &str) -> Vec<String> {
    let mut found = Vec::new();
    walk_tree(nodes, |node, around| {
        if node.id != id || node.link {
            return Walk::Continue;
        }
        found = (1..=around.len()).map(|n| key_of(around[n - 1], &around[..n - 1])).collect();
        Walk::Stop
    });
    found
}

/// One row on screen.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    /// The row's tree key (see `tree::child_path`): a node under two parents has two rows.
    pub(crate) path: String,
    pub(crate) parent: Option<String>,
    /// It has children to show or hide.
    pub(crate) expandable: bool,
    /// What type-ahead matches: the name and the label.
    pub(crate) names: [String; 2],
}

/// What a key asks for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum KeyMove {
    Focus(String),
    Expand(String),
    Collapse(String),
    /// Enter or Space: open the place or show the device, as a click does.
    Activate(String),
    /// Not a key of the tree: left to the page.
    Ignored,
}

/// The rows a person sees: every root, and the children of every expanded row, in order. The
/// walk keeps its own stack, so a deep building cannot overflow the page's.
pub(crate) fn visible_rows(nodes: &[TreeNode], expanded: &HashSet<String>) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut stack: Vec<(&TreeNode, Option<String>)> = nodes.iter().rev().map(|n| (n, None)).collect();
    while let Some((node, parent)) = stack.pop() {
        let path = match &parent {
            None => node.id.clone(),
            Some(parent) => format!("{parent}/{}", node.id),
        };
        let expandable = !node.children.is_empty();
        if expandable && expanded.contains(&path) {
            stack.extend(node.children.iter().rev().map(|c| (c, Some(path.clone()))));
        }
        let names = [node.name.to_lowercase(), node.label.clone().unwrap_or_default().to_lowercase()];
        rows.push(Row { path, parent, expandable, names });
    }
    rows
}

/// Where `key` takes the focus from the row `current` (the first row when it is not shown).
pub(crate) fn key_move(rows: &[Row], expanded: &HashSet<String>, current: &str, key: &str) -> KeyMove {
    let Some(first) = rows.first() else { return KeyMove::Ignored };
    let at = rows.iter().position(|r| r.path == current).unwrap_or(0);
    let row = &rows[at];
    let focus = |r: &Row| KeyMove::Focus(r.path.clone());
    match key {
        "ArrowDown" => rows.get(at + 1).map_or(KeyMove::Focus(row.path.clone()), focus),
        "ArrowUp" => at.checked_sub(1).map_or(KeyMove::Focus(row.path.clone()), |i| focus(&rows[i])),
        "Home" => focus(first),
        "End" => focus(rows.last().unwrap_or(first)),
        "ArrowRight" if row.expandable && !expanded.contains(&row.path) => KeyMove::Expand(row.path.clone()),
        // Expanded: its first child is the next row.
        "ArrowRight" if row.expandable => rows.get(at + 1).map_or(KeyMove::Ignored, focus),
        "ArrowRight" => KeyMove::Focus(row.path.clone()),
        "ArrowLeft" if row.expandable && expanded.contains(&row.path) => KeyMove::Collapse(row.path.clone()),
        "ArrowLeft" => match &row.parent {
            Some(parent) => KeyMove::Focus(parent.clone()),
            None => KeyMove::Focus(row.path.clone()),
        },
        "Enter" | " " => KeyMove::Activate(row.path.clone()),
        typed => type_ahead(rows, at, typed),
    }
}

/// One printable character: the next row after `at` (wrapping) whose name or label starts with it.
fn type_ahead(rows: &[Row], at: usize, typed: &str) -> KeyMove {
    let mut chars = typed.chars();
    let (Some(c), None) = (chars.next(), chars.next()) else { return KeyMove::Ignored };
    if c.is_whitespace() || c.is_control() {
        return KeyMove::Ignored;
    }
    let wanted = c.to_lowercase().to_string();
    (1..=rows.len())
        .map(|step| &rows[(at + step) % rows.len()])
        .find(|r| r.names.iter().any(|n| n.starts_with(&wanted)))
        .map_or(KeyMove::Ignored, |r| KeyMove::Focus(r.path.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    fn labelled(id: &str, name: &str, label: Option<&str>, children: Vec<TreeNode>) -> TreeNode {
        TreeNode {
            id: id.into(),
            entity_type: if children.is_empty() { "DEVICE".into() } else { "ASSET".into() },
            name: name.into(),
            label: label.map(Into::into),
            type_name: String::new(),
            kind: if children.is_empty() { NodeKind::Device } else { NodeKind::Room },
            children,
            link: false,
        }
    }

    #[test]
    fn keys_lead_to_the_place_named_by_the_path() {
        // The same device in two rooms: the hit's path picks the room.
        let tree = vec![labelled(
            "site",
            "Campus",
            None,
            vec![
                labelled("a", "room-a", Some("Lobby"), vec![labelled("d", "Thermostat", None, vec![])]),
                labelled("b", "Hall", None, vec![labelled("d", "Thermostat", None, vec![])]),
            ],
        )];
        assert_eq!(path_keys_to(&tree, "d", &names(&["Campus", "Hall"])), Some(names(&["site", "site/b"])));
        assert_eq!(path_keys_to(&tree, "d", &names(&["Campus", "room-a"])), Some(names(&["site", "site/a"])));
        assert_eq!(
            path_keys_to(&tree, "d", &names(&["Campus", "Lobby"])),
            None,
            "paths go by name, not label"
        );
        assert_eq!(path_keys_to(&tree, "site", &[]), Some(vec![]));
        assert_eq!(path_keys_to(&tree, "d", &names(&["Campus", "Attic"])), None);
        assert_eq!(path_keys_to(&tree, "x", &names(&["Campus"])), None);
        assert_eq!(keys_around(&tree, "d"), names(&["site", "site/a"]), "where it is first met");
        assert!(keys_around(&tree, "x").is_empty());
    }

    fn node(id: &str, name: &str, children: Vec<TreeNode>) -> TreeNode {
        TreeNode {
            id: id.into(),
            entity_type: "ASSET".into(),
            name: name.into(),
            label: None,
            kind: NodeKind::Other,
            type_name: String::new(),
            children,
            link: false,
        }
    }

    /// HQ > (Floor 1 > Lobby, Floor 2), Annex
    fn building() -> Vec<TreeNode> {
        vec![
            node(
                "hq",
                "HQ",
                vec![
                    node("f1", "Floor 1", vec![node("lobby", "Lobby", vec![])]),
                    node("f2", "Floor 2", vec![]),
                ],
            ),
            node("annex", "Annex", vec![]),
        ]
    }

    fn open(paths: &[&str]) -> HashSet<String> {
        paths.iter().map(|p| (*p).to_owned()).collect()
    }

    fn paths(rows: &[Row]) -> Vec<&str> {
        rows.iter().map(|r| r.path.as_str()).collect()
    }

    #[test]
    fn only_the_children_of_expanded_rows_are_shown_in_order() {
        let tree = building();
        assert_eq!(paths(&visible_rows(&tree, &open(&[]))), ["hq", "annex"]);
        assert_eq!(paths(&visible_rows(&tree, &open(&["hq"]))), ["hq", "hq/f1", "hq/f2", "annex"]);
        assert_eq!(
            paths(&visible_rows(&tree, &open(&["hq", "hq/f1"]))),
            ["hq", "hq/f1", "hq/f1/lobby", "hq/f2", "annex"]
        );
        assert_eq!(
            paths(&visible_rows(&tree, &open(&["hq/f1"]))),
            ["hq", "annex"],
            "a hidden parent hides all"
        );
    }

    #[test]
    fn arrows_move_expand_and_collapse_as_the_pattern_says() {
        let tree = building();
        let expanded = open(&["hq"]);
        let rows = visible_rows(&tree, &expanded);
        let at = |current: &str, key: &str| key_move(&rows, &expanded, current, key);
        let focus = |p: &str| KeyMove::Focus(p.into());
        assert_eq!(at("hq", "ArrowDown"), focus("hq/f1"));
        assert_eq!(at("annex", "ArrowDown"), focus("annex"), "the last row stays");
        assert_eq!(at("hq", "ArrowUp"), focus("hq"), "the first row stays");
        assert_eq!(at("hq/f2", "ArrowUp"), focus("hq/f1"));
        assert_eq!(at("hq/f2", "Home"), focus("hq"));
        assert_eq!(at("hq", "End"), focus("annex"));
        assert_eq!(at("hq/f1", "ArrowRight"), KeyMove::Expand("hq/f1".into()));
        assert_eq!(at("hq", "ArrowRight"), focus("hq/f1"), "expanded: to the first child");
        assert_eq!(at("hq/f2", "ArrowRight"), focus("hq/f2"), "nothing inside");
        assert_eq!(at("hq", "ArrowLeft"), KeyMove::Collapse("hq".into()));
        assert_eq!(at("hq/f2", "ArrowLeft"), focus("hq"), "collapsed or a leaf: to the parent");
        assert_eq!(at("hq/f1", "Enter"), KeyMove::Activate("hq/f1".into()));
        assert_eq!(at("hq/f1", " "), KeyMove::Activate("hq/f1".into()));
        assert_eq!(at("hq", "Tab"), KeyMove::Ignored);
        assert_eq!(at("gone", "ArrowDown"), focus("hq/f1"), "a row no longer shown counts as the first");
    }

    #[test]
    fn typing_a_letter_finds_the_next_row_starting_with_it() {
        let mut tree = building();
        tree[1].label = Some("Z-1".into());
        let expanded = open(&["hq", "hq/f1"]);
        let rows = visible_rows(&tree, &expanded);
        let at = |current: &str, key: &str| key_move(&rows, &expanded, current, key);
        assert_eq!(at("hq", "f"), KeyMove::Focus("hq/f1".into()));
        assert_eq!(at("hq/f1", "F"), KeyMove::Focus("hq/f2".into()), "the next one, case-insensitive");
        assert_eq!(at("hq/f2", "f"), KeyMove::Focus("hq/f1".into()), "wrapping round");
        assert_eq!(at("hq", "z"), KeyMove::Focus("annex".into()), "by label too");
        assert_eq!(at("hq", "q"), KeyMove::Ignored);
        assert_eq!(at("hq", "Shift"), KeyMove::Ignored);
    }
}
