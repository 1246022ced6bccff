//! `tree`: the building hierarchy from `Contains` relations.

use crate::output;
use crate::session::Session;
use atrium_core::{building_tree, BuildingTree};
use atrium_ipc::{walk_tree, TreeNode, Walk};
use serde_json::{json, Value};
use tb_client::hierarchy::count_by_type;
use tb_client::proto::EntityType;

pub(crate) async fn run(session: &Session, json: bool, stats: bool) -> anyhow::Result<()> {
    let hierarchy = session.client.load_hierarchy(|_| {}).await?;
    // The app's tree: each root's kind mapping applied.
    let BuildingTree { tree, warnings } = building_tree(&session.client, &hierarchy).await;
    for warning in &warnings {
        eprintln!("warning: {warning}");
    }
    if json {
        output::line(Value::Array(tree.iter().map(node_json).collect()))?;
    } else {
        let lines = text_lines(&tree);
        if !lines.is_empty() {
            output::line(lines.join("\n"))?;
        }
    }
    if stats {
        let devices = count_by_type(&hierarchy).get(&EntityType::Device).copied().unwrap_or(0);
        eprintln!("nodes={} devices={devices} requests={}", hierarchy.nodes.len(), hierarchy.requests);
    }
    Ok(())
}

fn kind_name(node: &TreeNode) -> String {
    serde_json::to_value(node.kind).map(|k| output::value_text(&k)).unwrap_or_default()
}

/// `{"id","entityType","name","kind","type","children"}`, exactly, plus `"link": true` on a place
/// shown in full earlier (one with two parents: its children are listed there). A device has no
/// children to leave out, so a device in two rooms looks the same in both. Recursion is bounded:
/// the tree is at most `TreeLimits::depth` deep.
fn node_json(node: &TreeNode) -> Value {
    let mut value = json!({
        "id": node.id,
        "entityType": node.entity_type,
        "name": node.name,
        "kind": kind_name(node),
        "type": node.type_name,
        "children": node.children.iter().map(node_json).collect::<Vec<_>>(),
    });
    if node.link && node.entity_type != "DEVICE" {
        value["link"] = Value::Bool(true);
    }
    value
}

/// `name [kind] (type)`, two spaces per level; a node shown in full earlier says so.
fn text_lines(tree: &[TreeNode]) -> Vec<String> {
    let mut out = Vec::new();
    walk_tree(tree, |node, around| {
        let indent = "  ".repeat(around.len());
        let kind = kind_name(node);
        let mut line = format!("{indent}{} [{kind}]", node.name);
        if !node.type_name.is_empty() {
            line.push_str(&format!(" ({})", node.type_name));
        }
        if node.link && node.entity_type != "DEVICE" {
            line.push_str(" (listed above)");
        }
        out.push(line);
        Walk::Continue
    });
    out
}
