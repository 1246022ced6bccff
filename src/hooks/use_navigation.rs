//! Where the person is in the building, one model for every size: the place opened, the device
//! shown (with the place it was opened from), the alarms. A phone shows one level per screen
//! (building, floor, room, device) with a breadcrumb; a wider window shows the tree beside it.
//!
//! Up goes one level (device -> its place -> the place around it -> the building), from the
//! breadcrumb's back button, Escape, or the platform's back gesture (each step pushes a history
//! entry, and going back pops one). Each level's scroll position is kept, and the place and device
//! are kept per account, so a restart reopens them.

use crate::components::tree::keys::keys_around;
use crate::hooks::use_building::Building;
use atrium_ipc::{walk_tree, NodeKind, TreeNode, Walk};
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// One place (or the device) on the way down from the top: what a breadcrumb shows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Crumb {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) kind: NodeKind,
}

/// A spot in the building: a place, and a device shown from it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Spot {
    pub(crate) place: Option<String>,
    pub(crate) device: Option<String>,
}

impl Spot {
    /// The key its scroll position is kept under.
    fn key(&self) -> String {
        match (&self.place, &self.device) {
            (_, Some(device)) => format!("device:{device}"),
            (Some(place), None) => format!("place:{place}"),
            (None, None) => "building".to_owned(),
        }
    }
}

/// The nodes from the top down to `id`, itself included, as first met in tree order (where it is
/// shown in full, not a link to it); empty when the tree does not hold it.
pub(crate) fn trail(nodes: &[TreeNode], id: &str) -> Vec<Crumb> {
    let mut found = Vec::new();
    walk_tree(nodes, |node, around| {
        if node.id != id || node.link {
            return Walk::Continue;
        }
        found = around
            .iter()
            .copied()
            .chain(std::iter::once(node))
            .map(|n| Crumb { id: n.id.clone(), name: n.name.clone(), kind: n.kind })
            .collect();
        Walk::Stop
    });
    found
}

/// The place around node `id` (its parent where it is first met); `None` at the top or when absent.
pub(crate) fn parent_of(nodes: &[TreeNode], id: &str) -> Option<String> {
    let trail = trail(nodes, id);
    trail.len().checked_sub(2).map(|i| trail[i].id.clone())
}

/// One level up from `spot`: a device back to its place, a place to the place around it, the top
/// place to the building.
pub(crate) fn up_from(nodes: &[TreeNode], spot: &Spot) -> Spot {
    match spot {
        Spot { device: Some(_), place } => Spot { place: place.clone(), device: None },
        Spot { place: Some(place), device: None } => Spot { place: parent_of(nodes, place), device: None },
        Spot { place: None, device: None } => Spot::default(),
    }
}

/// `spot` if the tree still holds what it names (a place kept from a restart may have gone).
pub(crate) fn still_there(nodes: &[TreeNode], spot: Spot) -> Spot {
    let holds = |id: &Option<String>| id.as_ref().is_none_or(|id| !trail(nodes, id).is_empty());
    match (holds(&spot.place), holds(&spot.device)) {
        (true, true) => spot,
        (true, false) => Spot { place: spot.place, device: None },
        _ => Spot::default(),
    }
}

/// The building page's navigation; `Copy`, all signals.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Navigation {
    /// The place opened: shown in the detail pane when no device is.
    pub(crate) place: RwSignal<Option<String>>,
    /// The device shown, opened from `place` (or found where it is in the tree).
    pub(crate) device: RwSignal<Option<String>>,
    /// The alarms replace the detail while open.
    pub(crate) alarms: RwSignal<bool>,
    /// A wide window can fold the tree away to give the detail the whole width.
    pub(crate) tree_hidden: RwSignal<bool>,
    building: Building,
    /// Scroll positions by level (see [`Spot::key`]).
    scroll: StoredValue<HashMap<String, f64>>,
    /// Where the spot is kept between runs (per account); `None` keeps nothing.
    storage_key: StoredValue<Option<String>>,
    /// History entries this page pushed and the platform's back has not popped: going up pops
    /// one of them first, so the platform's back and this page's agree on the levels.
    pushed: StoredValue<usize>,
    /// Set once the kept spot has been read back: nothing is written over it before.
    restored: StoredValue<bool>,
}

impl Navigation {
    /// Provides the page's navigation, kept under `account` (server and user) between runs, and
    /// listens for the platform's back.
    pub(crate) fn start(building: Building, account: Option<String>) -> Self {
        let nav = Self {
            place: RwSignal::new(None),
            device: RwSignal::new(None),
            alarms: RwSignal::new(false),
            tree_hidden: RwSignal::new(false),
            building,
            scroll: StoredValue::new(HashMap::new()),
            storage_key: StoredValue::new(account.map(|a| format!("atrium-place:{a}"))),
            restored: StoredValue::new(false),
            pushed: StoredValue::new(0),
        };
        provide_context(nav);
        // The platform's back (a gesture, the Android button): one level up, its entry popped.
        // Removed with the page, which a sign-out unmounts while the window lives on.
        let on_back = Closure::<dyn FnMut()>::new(move || {
            nav.pushed.update_value(|n| *n = n.saturating_sub(1));
            nav.step_up();
        });
        if let Some(window) = web_sys::window() {
            let _ = window.add_event_listener_with_callback("popstate", on_back.as_ref().unchecked_ref());
        }
        let on_back = SendWrapper::new(on_back);
        on_cleanup(move || {
            if let Some(window) = web_sys::window() {
                let _ =
                    window.remove_event_listener_with_callback("popstate", on_back.as_ref().unchecked_ref());
            }
            drop(on_back);
        });
        // Kept as it changes; reopened once the tree is there (see `restore`).
        Effect::new(move |_| {
            let spot = nav.spot();
            nav.keep(&spot);
        });
        nav
    }

    /// Tracked: where the person is.
    pub(crate) fn spot(&self) -> Spot {
        Spot { place: self.place.get(), device: self.device.get() }
    }

    fn spot_untracked(&self) -> Spot {
        Spot { place: self.place.get_untracked(), device: self.device.get_untracked() }
    }

    /// `None` once the page is gone.
    fn try_spot_untracked(&self) -> Option<Spot> {
        Some(Spot { place: self.place.try_get_untracked()?, device: self.device.try_get_untracked()? })
    }

    /// Opens a place (a tree row, a row of a place's table, a breadcrumb).
    pub(crate) fn open_place(&self, id: String) {
        self.go(Spot { place: Some(id), device: None }, true);
    }

    /// Shows a device; `from` is the place it was opened from, else the place it is in.
    pub(crate) fn open_device(&self, id: String, from: Option<String>) {
        let place = from.or_else(|| self.building.with_nodes(|nodes| parent_of(nodes, &id)).flatten());
        self.go(Spot { place, device: Some(id) }, true);
    }

    /// The building's top level: the tree on a phone.
    pub(crate) fn home(&self) {
        self.go(Spot::default(), true);
    }

    /// Opens or closes the alarms.
    pub(crate) fn toggle_alarms(&self) {
        if self.alarms.get_untracked() {
            self.up();
            return;
        }
        self.push_history();
        self.alarms.set(true);
        scroll_to(0.0);
    }

    /// One level up (the breadcrumb's back, Escape): through the history when this page put an
    /// entry there (the platform's back then does the move), directly otherwise.
    pub(crate) fn up(&self) {
        if self.pushed.get_value() > 0 {
            if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
                if history.back().is_ok() {
                    return;
                }
            }
        }
        self.step_up();
    }

    /// One level up, now: closes the alarms first.
    fn step_up(&self) {
        let Some(alarms) = self.alarms.try_get_untracked() else { return };
        if alarms {
            self.alarms.set(false);
            return;
        }
        self.go(self.up_spot(), false);
    }

    /// Tracked: whether there is a level above (something to go back to).
    pub(crate) fn can_go_up(&self) -> bool {
        self.alarms.get() || self.place.get().is_some() || self.device.get().is_some()
    }

    fn up_spot(&self) -> Spot {
        let spot = self.spot_untracked();
        self.building.with_nodes(|nodes| up_from(nodes, &spot)).unwrap_or_default()
    }

    /// Moves to `spot`, keeping the scroll position of the level left and restoring the one of the
    /// level reached; `push` adds a history entry for the platform's back to pop.
    fn go(&self, spot: Spot, push: bool) {
        let Some(here) = self.try_spot_untracked() else { return };
        if here == spot && !self.alarms.get_untracked() {
            return;
        }
        let y = web_sys::window().and_then(|w| w.scroll_y().ok()).unwrap_or(0.0);
        self.scroll.update_value(|s| {
            s.insert(here.key(), y);
        });
        if push {
            self.push_history();
        }
        let back_to = self.scroll.with_value(|s| s.get(&spot.key()).copied()).unwrap_or(0.0);
        self.reveal_in_tree(&spot);
        self.alarms.set(false);
        if self.place.get_untracked() != spot.place {
            self.place.set(spot.place);
        }
        if self.device.get_untracked() != spot.device {
            self.device.set(spot.device);
        }
        // After the level is drawn.
        request_animation_frame(move || scroll_to(back_to));
    }

    /// Opens the tree's rows down to what `spot` shows, so a wide window's tree shows it too.
    fn reveal_in_tree(&self, spot: &Spot) {
        let Some(id) = spot.device.as_ref().or(spot.place.as_ref()) else { return };
        let keys = self.building.with_nodes(|nodes| keys_around(nodes, id)).unwrap_or_default();
        if keys.iter().any(|k| self.building.expanded.with_untracked(|e| !e.contains(k))) {
            self.building.expanded.update(|e| e.extend(keys));
        }
    }

    /// Reopens the spot kept from the last run, if the tree still holds it; from then on the
    /// spot is kept as it changes.
    pub(crate) fn restore(&self) {
        if self.restored.get_value() {
            return;
        }
        self.restored.set_value(true);
        let Some(kept) = self.kept() else { return };
        let spot = self.building.with_nodes(|nodes| still_there(nodes, kept)).unwrap_or_default();
        if spot != Spot::default() {
            self.reveal_in_tree(&spot);
            self.place.set(spot.place);
            self.device.set(spot.device);
        }
    }

    fn kept(&self) -> Option<Spot> {
        let key = self.storage_key.get_value()?;
        let text = storage()?.get_item(&key).ok()??;
        serde_json::from_str(&text).ok()
    }

    fn keep(&self, spot: &Spot) {
        if !self.restored.get_value() {
            return;
        }
        let (Some(key), Some(storage)) = (self.storage_key.get_value(), storage()) else { return };
        if let Ok(text) = serde_json::to_string(spot) {
            let _ = storage.set_item(&key, &text);
        }
    }
}

/// The building page's navigation.
pub(crate) fn use_navigation() -> Navigation {
    expect_context::<Navigation>()
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

impl Navigation {
    fn push_history(&self) {
        if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
            if history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", None).is_ok() {
                self.pushed.update_value(|n| *n += 1);
            }
        }
    }
}

fn scroll_to(y: f64) {
    if let Some(window) = web_sys::window() {
        window.scroll_to_with_x_and_y(0.0, y);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Named in capitals, so a name is never taken for an id.
    fn node(id: &str, kind: NodeKind, children: Vec<TreeNode>) -> TreeNode {
        crate::tree_fixture::named(id, &id.to_uppercase(), kind, children)
    }

    fn building() -> Vec<TreeNode> {
        let room = |id: &str, devices: &[&str]| {
            node(id, NodeKind::Room, devices.iter().map(|d| node(d, NodeKind::Device, vec![])).collect())
        };
        let mut shared = room("lobby", &["light"]);
        shared.link = true;
        shared.children.clear();
        vec![node(
            "hq",
            NodeKind::Building,
            vec![
                node(
                    "f1",
                    NodeKind::Floor,
                    vec![room("lobby", &["light", "thermo"]), room("r102", &["plug"])],
                ),
                node("f2", NodeKind::Floor, vec![shared]),
            ],
        )]
    }

    fn spot(place: Option<&str>, device: Option<&str>) -> Spot {
        Spot { place: place.map(Into::into), device: device.map(Into::into) }
    }

    #[test]
    fn the_trail_runs_from_the_top_to_the_node_where_it_is_shown_in_full() {
        let tree = building();
        let names: Vec<String> = trail(&tree, "lobby").into_iter().map(|c| c.name).collect();
        assert_eq!(names, ["HQ", "F1", "LOBBY"], "not the link under floor 2");
        assert_eq!(trail(&tree, "thermo").len(), 4);
        assert!(trail(&tree, "nowhere").is_empty());
        assert_eq!(parent_of(&tree, "thermo").as_deref(), Some("lobby"));
        assert_eq!(parent_of(&tree, "hq"), None);
    }

    #[test]
    fn up_goes_one_level_at_a_time_to_the_building() {
        let tree = building();
        let mut at = spot(Some("lobby"), Some("thermo"));
        let mut seen = Vec::new();
        while at != Spot::default() {
            at = up_from(&tree, &at);
            seen.push(at.clone());
        }
        assert_eq!(
            seen,
            [spot(Some("lobby"), None), spot(Some("f1"), None), spot(Some("hq"), None), Spot::default()]
        );
        assert_eq!(up_from(&tree, &Spot::default()), Spot::default(), "the top stays the top");
        // A device opened from another place goes back there, not to where the tree has it.
        assert_eq!(up_from(&tree, &spot(Some("f2"), Some("light"))), spot(Some("f2"), None));
    }

    #[test]
    fn a_kept_spot_is_reopened_only_as_far_as_the_tree_still_holds_it() {
        let tree = building();
        assert_eq!(still_there(&tree, spot(Some("r102"), Some("plug"))), spot(Some("r102"), Some("plug")));
        assert_eq!(still_there(&tree, spot(Some("r102"), Some("gone"))), spot(Some("r102"), None));
        assert_eq!(still_there(&tree, spot(Some("gone"), Some("plug"))), Spot::default());
        assert_eq!(spot(Some("a"), None).key(), "place:a");
        assert_eq!(spot(Some("a"), Some("d")).key(), "device:d");
        assert_eq!(Spot::default().key(), "building");
    }
}
