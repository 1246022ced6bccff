//! The building as the page holds it: the cached tree at once, then the fresh one, what the load
//! is doing and had to say, and which rows of the tree are open. One per building page, provided
//! as context, so the tree, the breadcrumb and the navigation read the same tree.

use crate::components::tree::keys::initial_expansion;
use crate::hooks::use_connection;
use crate::ipc;
use atrium_ipc::{AppError, LoadProgress, LoadedTree, Painted, TreeNode};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::collections::HashSet;
use std::sync::Arc;

/// Where the tree is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TreeState {
    Loading,
    Failed(AppError),
    /// Shared, so reading it on every render costs a pointer, not a copy of the building.
    Loaded(Arc<Vec<TreeNode>>),
}

/// The building page's tree; `Copy`, all signals.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Building {
    pub(crate) state: RwSignal<TreeState>,
    /// While the cached building is shown: how old it is, and why the refresh failed, if it did.
    pub(crate) cache_note: RwSignal<Option<(u64, Option<String>)>>,
    /// What the load had to say about the building (too big or too deep to show whole).
    pub(crate) notes: RwSignal<Vec<String>>,
    /// How far the running load has come.
    pub(crate) progress: RwSignal<Option<LoadProgress>>,
    /// The tree rows that are open, by tree key (see `components::tree::keys::child_path`).
    pub(crate) expanded: RwSignal<HashSet<String>>,
    /// When the building on screen was read, while it is the cached one (ms since the epoch).
    pub(crate) shown_as_of: RwSignal<Option<f64>>,
}

impl Building {
    /// Starts loading (the cache at once, then the server) and reloads by itself when the live
    /// connection comes back after a failed load; provides itself as context.
    pub(crate) fn start() -> Self {
        let building = Self {
            state: RwSignal::new(TreeState::Loading),
            cache_note: RwSignal::new(None),
            notes: RwSignal::new(Vec::new()),
            progress: RwSignal::new(None),
            expanded: RwSignal::new(HashSet::new()),
            shown_as_of: RwSignal::new(None),
        };
        provide_context(building);
        building.load();
        let connection = use_connection();
        // A load that failed (the server unreachable at start) is tried again as soon as the live
        // connection is back, so the building refreshes without anyone pressing Retry.
        Effect::new(move |was_live: Option<bool>| {
            let live = connection.is_live();
            if live && was_live == Some(false) && building.failed() {
                building.load();
            }
            live
        });
        building
    }

    /// Untracked: the last load failed (with or without a cached building on screen).
    fn failed(&self) -> bool {
        self.state.with_untracked(|s| matches!(s, TreeState::Failed(_)))
            || self.cache_note.with_untracked(|n| n.as_ref().is_some_and(|(_, failed)| failed.is_some()))
    }

    /// Tracked: the tree, once there is one.
    pub(crate) fn nodes(&self) -> Option<Arc<Vec<TreeNode>>> {
        self.state.with(|s| match s {
            TreeState::Loaded(nodes) => Some(nodes.clone()),
            _ => None,
        })
    }

    /// Untracked: `f` over the tree, once there is one.
    pub(crate) fn with_nodes<R>(&self, f: impl FnOnce(&[TreeNode]) -> R) -> Option<R> {
        self.state.with_untracked(|s| match s {
            TreeState::Loaded(nodes) => Some(f(nodes)),
            _ => None,
        })
    }

    /// Loads the building: the cached one first (when nothing is shown yet), then the server's.
    pub(crate) fn load(&self) {
        let this = *self;
        this.progress.set(None);
        let showing_cache = this.cache_note.get_untracked().is_some();
        if !showing_cache {
            this.state.set(TreeState::Loading);
        }
        spawn_local(async move {
            if showing_cache {
                this.cache_note.update(|n| {
                    if let Some(n) = n {
                        n.1 = None;
                    }
                });
            } else {
                this.show_cached().await;
            }
            let on_progress = move |step: Result<LoadProgress, AppError>| match step {
                Ok(step) => {
                    this.progress.try_set(Some(step));
                }
                Err(err) => ipc::log_error("load progress", &err),
            };
            let loaded = ipc::load_tree(on_progress).await;
            // Signed out while loading: the building page and its signals are gone.
            if this.is_disposed() {
                return;
            }
            this.progress.set(None);
            match loaded {
                Ok(LoadedTree { nodes, notes }) => this.show_loaded(nodes, notes),
                Err(err) if this.cache_note.get_untracked().is_some() => this.cache_note.update(|n| {
                    if let Some(n) = n {
                        n.1 = Some(err.message);
                    }
                }),
                Err(err) => this.state.set(TreeState::Failed(err)),
            }
        });
    }

    /// The cached building, shown at once; the fresh one replaces it when it comes.
    async fn show_cached(&self) {
        let Ok(Some(cached)) = ipc::cached_tree().await else { return };
        if self.is_disposed() || self.state.get_untracked() != TreeState::Loading || cached.nodes.is_empty() {
            return;
        }
        self.expanded.set(initial_expansion(&cached.nodes));
        self.notes.set(cached.notes);
        self.cache_note.set(Some((cached.age_ms, None)));
        self.shown_as_of.set(Some(js_sys::Date::now() - cached.age_ms as f64));
        self.state.set(TreeState::Loaded(Arc::new(cached.nodes)));
        ipc::report_painted(Painted::CachedBuilding);
    }

    /// Whether the page that started this building has gone (every signal goes with it).
    fn is_disposed(&self) -> bool {
        self.state.is_disposed()
    }

    fn show_loaded(&self, nodes: Vec<TreeNode>, notes: Vec<String>) {
        if self.cache_note.get_untracked().is_none() {
            self.expanded.set(initial_expansion(&nodes));
        }
        if self.notes.with_untracked(|n| *n != notes) {
            self.notes.set(notes);
        }
        self.cache_note.set(None);
        self.shown_as_of.set(None);
        // Usually the building has not changed: then the tree is left as it is, so nothing the
        // person is about to tap is replaced under the finger.
        let unchanged = self.state.with_untracked(|s| matches!(s, TreeState::Loaded(old) if **old == nodes));
        if !unchanged {
            self.state.set(TreeState::Loaded(Arc::new(nodes)));
        }
        ipc::report_painted(Painted::Building);
    }
}

/// The building page's tree.
pub(crate) fn use_building() -> Building {
    expect_context::<Building>()
}

/// What the loader is doing, as a person reads it.
pub(crate) fn progress_text(progress: LoadProgress) -> String {
    match progress {
        LoadProgress::Listing => "Listing places and devices…".to_owned(),
        LoadProgress::Relations { queries, unplaced: 0 } => {
            format!("Reading how places connect ({queries} {})…", plural(queries, "query", "queries"))
        }
        LoadProgress::Relations { unplaced, .. } => {
            format!("Reading how places connect ({unplaced} {} to go)…", plural(unplaced, "place", "places"))
        }
        LoadProgress::Levels { levels, places } => {
            format!("Reading level {levels} ({places} {} so far)…", plural(places, "place", "places"))
        }
        LoadProgress::Details { known, total } => format!("Reading details: {known} of {total}…"),
        _ => "Loading…".to_owned(),
    }
}

fn plural<'a>(n: u32, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

#[cfg(test)]
mod tests {
    use super::progress_text;
    use atrium_ipc::LoadProgress;

    #[test]
    fn progress_reads_as_a_sentence() {
        assert_eq!(progress_text(LoadProgress::Listing), "Listing places and devices…");
        assert_eq!(
            progress_text(LoadProgress::Relations { queries: 1, unplaced: 0 }),
            "Reading how places connect (1 query)…"
        );
        assert_eq!(
            progress_text(LoadProgress::Levels { levels: 3, places: 120 }),
            "Reading level 3 (120 places so far)…"
        );
        assert_eq!(
            progress_text(LoadProgress::Details { known: 5000, total: 54021 }),
            "Reading details: 5000 of 54021…"
        );
    }
}
