use crate::control::ControlDescriptor;
use serde::{Deserialize, Serialize};

/// What a node is to a building manager; derived from asset types and device profiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum NodeKind {
    Site,
    Building,
    Floor,
    Room,
    Zone,
    Device,
    /// An asset whose type has no known kind.
    Other,
}

/// How far a `load_tree` has come, streamed on its `onProgress` channel while it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[non_exhaustive]
pub enum LoadProgress {
    /// Listing the places and devices the user may see.
    Listing,
    /// Whole-subtree relation queries answered, and places not yet connected to a building.
    Relations { queries: u32, unplaced: u32 },
    /// The level-by-level way (a server that refuses subtree queries): levels done from the
    /// top, and places read so far.
    Levels { levels: u32, places: u32 },
    /// Places and devices whose details (type, label) are known, of all of them.
    Details { known: u32, total: u32 },
}

/// One node of the building tree. A place or device related from two parents appears under both:
/// in full under the first met in tree order, as a [`TreeNode::link`] under the others.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TreeNode {
    /// The entity's UUID.
    pub id: String,
    /// `ASSET` or `DEVICE`.
    pub entity_type: String,
    pub name: String,
    pub label: Option<String>,
    pub kind: NodeKind,
    /// The asset type or device profile name, as on the server.
    #[serde(rename = "type")]
    pub type_name: String,
    pub children: Vec<TreeNode>,
    /// This entry stands for a node shown in full earlier in tree order (one with two parents):
    /// it has no children of its own here, so a building whose places share children many times
    /// over is sent once, not once per path.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub link: bool,
}

/// What [`walk_tree`] does after visiting a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Walk {
    /// Go on, into the node's children first.
    Continue,
    /// Go on, but not into this node's children.
    SkipChildren,
    /// Stop the walk.
    Stop,
}

/// Visits every node of `nodes` in tree order (a node, then its children), with the nodes around
/// it, outermost first. Iterative, so no tree is deep enough to overflow the stack.
pub fn walk_tree<'a>(nodes: &'a [TreeNode], mut visit: impl FnMut(&'a TreeNode, &[&'a TreeNode]) -> Walk) {
    let mut around: Vec<&'a TreeNode> = Vec::new();
    let mut levels = vec![nodes.iter()];
    while let Some(level) = levels.last_mut() {
        let Some(node) = level.next() else {
            levels.pop();
            around.pop();
            continue;
        };
        match visit(node, &around) {
            Walk::Stop => return,
            Walk::SkipChildren => {}
            Walk::Continue if node.children.is_empty() => {}
            Walk::Continue => {
                around.push(node);
                levels.push(node.children.iter());
            }
        }
    }
}

impl TreeNode {
    /// The name, as ThingsBoard's own lists show an entity by default; labels are often short
    /// codes ("NT-101") the building's people do not know the place by.
    pub fn display_name(&self) -> &str {
        &self.name
    }

    /// The label, to show beside the name, when it is set and says something the name does not.
    pub fn aside(&self) -> Option<&str> {
        label_aside(&self.name, self.label.as_deref())
    }
}

/// `label` when it is set, not blank and not the name itself.
fn label_aside<'a>(name: &str, label: Option<&'a str>) -> Option<&'a str> {
    label.map(str::trim).filter(|l| !l.is_empty() && *l != name.trim())
}

impl SearchHit {
    /// The label to show beside the hit's name (see [`TreeNode::aside`]).
    pub fn aside(&self) -> Option<&str> {
        label_aside(&self.name, self.label.as_deref())
    }
}

impl DeviceDetail {
    /// The label to show beside the device's name (see [`TreeNode::aside`]).
    pub fn aside(&self) -> Option<&str> {
        label_aside(&self.name, self.label.as_deref())
    }
}

/// Arguments naming one device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceArgs {
    pub device_id: String,
}

/// Arguments of [`crate::cmd::SEARCH`]: the text typed into the search box.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchArgs {
    pub query: String,
}

/// A device as the panel shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceDetail {
    pub id: String,
    pub name: String,
    pub label: Option<String>,
    #[serde(rename = "type")]
    pub type_name: String,
    /// From the server's `active` attribute; `None` when the server does not say.
    pub active: Option<bool>,
    pub controls: Vec<ControlDescriptor>,
    /// Why the controls are not what an administrator configured (a malformed `atriumControls`
    /// override was ignored), for the panel to show.
    #[serde(default)]
    pub controls_note: Option<String>,
    /// The places around the device in the building shown, nearest first ("Room 1.02",
    /// "Floor 1", "HQ"); empty when the tree does not hold it.
    #[serde(default)]
    pub place: Vec<String>,
}

/// One match of a search across the whole building.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    /// The entity's UUID.
    pub id: String,
    pub name: String,
    pub label: Option<String>,
    pub kind: NodeKind,
    /// Display names of the ancestors, root first (a device in two rooms is found once per place).
    pub path: Vec<String>,
}

/// The building as last cached, shown at once while the fresh one loads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CachedTree {
    pub nodes: Vec<TreeNode>,
    /// How old the cached tree is.
    pub age_ms: u64,
    /// What the load it comes from had to report (see [`LoadedTree::notes`]).
    #[serde(default)]
    pub notes: Vec<String>,
}

/// The building as `load_tree` read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadedTree {
    pub nodes: Vec<TreeNode>,
    /// What an administrator should know about how it was read, in sentences: a building too big
    /// or too deep to show whole, an unusable kind mapping, a refused endpoint. Never fatal.
    #[serde(default)]
    pub notes: Vec<String>,
}
