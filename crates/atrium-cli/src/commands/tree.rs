//! `tree`: the building hierarchy from `Contains` relations.

use crate::output;
use crate::session::Session;
use atrium_core::{building_tree, BuildingTree};
use atrium_ipc::TreeNode;
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
        let mut lines = Vec::new();
        for root in &tree {
            text_lines(root, 0, &mut lines);
        }
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

/// `{"id","entityType","name","kind","type","children"}`, exactly.
fn node_json(node: &TreeNode) -> Value {
    json!({
        "id": node.id,
        "entityType": node.entity_type,
        "name": node.name,
        "kind": kind_name(node),
        "type": node.type_name,
        "children": node.children.iter().map(node_json).collect::<Vec<_>>(),
    })
}

/// `name [kind] (type)`, two spaces per level.
fn text_lines(node: &TreeNode, depth: usize, out: &mut Vec<String>) {
    let indent = "  ".repeat(depth);
    let kind = kind_name(node);
    if node.type_name.is_empty() {
        out.push(format!("{indent}{} [{kind}]", node.name));
    } else {
        out.push(format!("{indent}{} [{kind}] ({})", node.name, node.type_name));
    }
    for child in &node.children {
        text_lines(child, depth + 1, out);
    }
}
