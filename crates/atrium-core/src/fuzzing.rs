//! Entry points for the fuzz targets in `fuzz/`, compiled only with `--cfg fuzzing` (cargo-fuzz
//! sets it): thin wrappers over crate-private code, so the public API stays as it is.

use crate::building::{Around, BuiltTree, KindMap, TreeIndex, TreeLimits};
use crate::cache::CachedBuilding;
use crate::controls::{self, ControlBinding, DeviceKeys};
use atrium_ipc::{AppError, ControlAction, ControlDescriptor, StateSource, TreeNode};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use tb_client::hierarchy::Hierarchy;
use tb_client::proto::EntityId;
use tb_client::TbValue;
use uuid::Uuid;

/// A control resolved from an `atriumControls` value.
#[derive(Debug)]
pub struct Control(ControlBinding);

impl Control {
    pub fn descriptor(&self) -> &ControlDescriptor {
        &self.0.descriptor
    }

    /// What `action` would send (its `Debug` form), or why it is refused.
    pub fn plan(&self, action: &ControlAction) -> Result<String, AppError> {
        self.0.plan(action).map(|delivery| format!("{delivery:?}"))
    }
}

/// An `atriumControls` attribute value resolved as `core/device.rs` does, against a device's
/// shared attributes and keys.
pub fn controls(
    value: &Value,
    attributes: &HashMap<String, Value>,
    telemetry_keys: &[String],
    attribute_keys: &[String],
    keys_known: bool,
) -> Result<Vec<Control>, String> {
    let specs = controls::parse_override(value)?;
    let _ = (controls::attribute_keys(&specs), controls::needs_keys(&specs));
    let keys = DeviceKeys {
        known: keys_known,
        telemetry: telemetry_keys.iter().cloned().collect(),
        attributes: attribute_keys.iter().cloned().collect(),
    };
    Ok(controls::resolve(&specs, attributes, &keys)?.into_iter().map(Control).collect())
}

/// A two-way RPC reply read for the state it states and for a refusal.
pub fn rpc_reply(reply: &Value, state: &StateSource) -> (Option<TbValue>, Option<String>) {
    (controls::state_in_reply(reply, state), controls::refusal_in(reply))
}

/// The view tree within these limits (entries, depth).
pub fn tree(
    hierarchy: &Hierarchy,
    kinds: &KindMap,
    per_root: &HashMap<EntityId, KindMap>,
    entries: usize,
    depth: usize,
) -> BuiltTree {
    crate::building::to_tree_limited(hierarchy, kinds, per_root, TreeLimits { entries, depth })
}

/// Where each node is (`places`).
pub fn places(tree: &[TreeNode]) -> HashMap<String, Vec<String>> {
    crate::building::places(tree)
}

/// The ids of every place around a node (`Around::of_tree(tree).ids(id)`), for many ids.
pub fn around(tree: &[TreeNode]) -> impl Fn(&str) -> Vec<String> {
    let around = Around::of_tree(tree);
    move |id| around.ids(id)
}

/// The places around a node, nearest first (`place_of`).
pub fn place_of(tree: &[TreeNode], id: &str) -> Vec<String> {
    crate::building::place_of(tree, id)
}

/// Node `id` in full (`find_node`).
pub fn find_node<'a>(tree: &'a [TreeNode], id: &str) -> Option<&'a TreeNode> {
    crate::building::find_node(tree, id)
}

/// The devices below a node of `tree` (`TreeIndex::devices_below`), for many nodes.
pub fn devices_below<'a>(tree: &'a [TreeNode]) -> impl Fn(&'a TreeNode) -> BTreeSet<Uuid> + 'a {
    let index = TreeIndex::new(tree);
    move |node| index.devices_below(node)
}

/// A cache file's bytes, read as `TreeCache::load` reads them.
pub fn cache_file(bytes: &[u8]) -> Result<CachedBuilding, String> {
    crate::cache::parse(bytes)
}
