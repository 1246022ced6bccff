//! Trees for the UI's unit tests: a node by id and kind, named after its id.

use atrium_ipc::{NodeKind, TreeNode};

/// A node `id` of `kind` over `children`, named `name`.
pub(crate) fn named(id: &str, name: &str, kind: NodeKind, children: Vec<TreeNode>) -> TreeNode {
    TreeNode {
        id: id.into(),
        entity_type: if kind == NodeKind::Device { "DEVICE" } else { "ASSET" }.into(),
        name: name.into(),
        label: None,
        kind,
        type_name: String::new(),
        children,
        link: false,
    }
}

/// A node `id` of `kind` over `children`, named as its id.
pub(crate) fn node(id: &str, kind: NodeKind, children: Vec<TreeNode>) -> TreeNode {
    named(id, id, kind, children)
}
