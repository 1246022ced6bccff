//! The building in `Core`: loading it (with the administrator's kind mapping), the offline cache
//! (shown at once, refreshed by `load_tree`, deleted at logout) and search across it.

use super::{now_ms, Active, Core, Shared};
use crate::building::{search, to_tree_with_overrides, Around, BuiltTree, KindMap, KIND_OVERRIDE_ATTRIBUTE};
use crate::cache::{CachedBuilding, TreeCache};
use atrium_ipc::{
    AppError, CachedTree, LiveValue, LoadProgress, SearchHit, SessionInfo, TelemetryBatch, TreeNode,
};
use parking_lot::{Mutex, MutexGuard};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use tb_client::proto::telemetry::AttributeScope;
use tb_client::proto::{EntityId, EntityType};
use tb_client::{hierarchy, Client};

/// The loader's step in the UI's terms.
fn progress_of(step: hierarchy::LoadProgress) -> LoadProgress {
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    match step {
        hierarchy::LoadProgress::ListingEntities => LoadProgress::Listing,
        hierarchy::LoadProgress::Relations { queries, unplaced_assets } => {
            LoadProgress::Relations { queries: count(queries), unplaced: count(unplaced_assets) }
        }
        hierarchy::LoadProgress::Level { level, expanded } => {
            LoadProgress::Levels { levels: count(level + 1), places: count(expanded) }
        }
        hierarchy::LoadProgress::Details { known, total } => {
            LoadProgress::Details { known: count(known), total: count(total) }
        }
    }
}

/// Search answers at most this many hits.
pub(super) const SEARCH_LIMIT: usize = 200;
/// Roots whose kind override is read; a customer with hundreds of orphaned rooms does not pay one request each.
const OVERRIDE_ROOTS: usize = 16;

/// The building as the core last knew it.
#[derive(Debug, Default)]
pub(super) struct TreeState {
    cache: Option<TreeCache>,
    /// The last tree shown (cached or loaded), with the values seen and its load's notes, for
    /// search and the next save.
    last: Mutex<Option<CachedBuilding>>,
}

impl TreeState {
    pub(super) fn new(cache: Option<TreeCache>) -> Self {
        Self { cache, ..Self::default() }
    }

    fn last(&self) -> MutexGuard<'_, Option<CachedBuilding>> {
        self.last.lock()
    }

    /// When the tree shown was read: a new value means a new tree.
    pub(super) fn shown_version(&self) -> Option<i64> {
        self.last().as_ref().map(|b| b.saved_at_ms)
    }

    /// The names of the places around every node of the tree shown.
    pub(super) fn shown_places(&self) -> HashMap<String, Vec<String>> {
        self.last().as_ref().map(|b| crate::building::places(&b.tree)).unwrap_or_default()
    }

    /// Every place around each node of the tree shown.
    pub(super) fn shown_around(&self) -> Around {
        self.last().as_ref().map(|b| Around::of_tree(&b.tree)).unwrap_or_default()
    }
}

/// The cache key of a session.
fn owner(info: &SessionInfo) -> (&str, &str) {
    (&info.server_url, &info.user_email)
}

fn is_for(building: &CachedBuilding, info: &SessionInfo) -> bool {
    let (server, user) = owner(info);
    building.server_url == server && building.user == user.trim().to_lowercase()
}

impl Core {
    /// A core that caches the building (and the last live values) per server and user in `dir`.
    pub fn with_cache_dir(ui: Arc<dyn super::UiEvents>, dir: impl Into<PathBuf>) -> Self {
        Core::builder(ui).cache_dir(dir).build()
    }

    /// Reads the signed-in user's cached building from disk, off the async threads, unless a tree
    /// of theirs is in memory already. Called when a session starts, so that nothing after it
    /// reads a file where it runs.
    pub(super) async fn load_cached(&self, info: &SessionInfo) {
        let state = &self.shared.tree;
        if state.last().as_ref().is_some_and(|b| is_for(b, info)) {
            return;
        }
        let Some(cache) = state.cache.clone() else { return };
        let (server, user) = (info.server_url.clone(), info.user_email.clone());
        let loaded = tokio::task::spawn_blocking(move || cache.load(&server, &user)).await;
        let Ok(Some(building)) = loaded else { return };
        let mut last = state.last();
        // A tree loaded from the server meanwhile is newer than the file.
        if last.as_ref().is_none_or(|b| !is_for(b, info)) {
            *last = Some(building);
        }
    }

    /// The cached building of the signed-in user and how old it is, to show at once while
    /// [`Core::load_tree`] refreshes it. `None` without a session, a cache directory or a usable cache.
    pub async fn cached_tree(&self) -> Option<CachedTree> {
        let info = self.session()?;
        self.load_cached(&info).await;
        let last = self.shared.tree.last();
        last.as_ref().filter(|b| is_for(b, &info)).map(|b| CachedTree {
            nodes: b.tree.clone(),
            age_ms: b.age_ms(now_ms()),
            notes: b.notes.clone(),
        })
    }

    /// Nodes of the whole building (the last loaded or cached tree) whose name, label or type
    /// contains `query`, case-insensitively; at most 200.
    pub async fn search(&self, query: &str) -> Vec<SearchHit> {
        let Some(info) = self.session() else { return Vec::new() };
        self.load_cached(&info).await;
        self.with_loaded_tree(|tree| search(tree, query, SEARCH_LIMIT)).unwrap_or_default()
    }

    /// Remembers live values (latest per key) for the cache; saved with the next tree load or
    /// [`Core::save_cache`].
    pub fn remember_values(&self, batch: &TelemetryBatch) {
        let Some(info) = self.session() else { return };
        if let Some(b) = self.shared.tree.last().as_mut().filter(|b| is_for(b, &info)) {
            b.merge_values(batch);
        }
    }

    /// The last values seen for a device (cached or remembered), with the server's timestamps.
    pub fn cached_values(&self, device_id: &str) -> Vec<LiveValue> {
        let Some(info) = self.session() else { return Vec::new() };
        let last = self.shared.tree.last();
        last.as_ref()
            .filter(|b| is_for(b, &info))
            .and_then(|b| b.values.get(device_id))
            .map_or_else(Vec::new, |values| values.values().cloned().collect())
    }

    /// `f` over the signed-in user's last loaded (or cached) tree, without copying it; `None`
    /// when there is none in memory.
    pub(super) fn with_loaded_tree<R>(&self, f: impl FnOnce(&[TreeNode]) -> R) -> Option<R> {
        let info = self.session()?;
        let last = self.shared.tree.last();
        last.as_ref().filter(|b| is_for(b, &info)).map(|b| f(&b.tree))
    }

    /// Where node `id` is in the signed-in user's last loaded (or cached) tree, nearest place first.
    pub(super) fn place_of(&self, id: &str) -> Vec<String> {
        self.with_loaded_tree(|tree| crate::building::place_of(tree, id)).unwrap_or_default()
    }

    /// What the last tree load had to report: never fatal, worth showing an administrator.
    pub fn tree_warnings(&self) -> Vec<String> {
        let Some(info) = self.session() else { return Vec::new() };
        self.shared
            .tree
            .last()
            .as_ref()
            .filter(|b| is_for(b, &info))
            .map(|b| b.notes.clone())
            .unwrap_or_default()
    }

    /// Writes the current tree and values to the cache now (e.g. when the app goes to the background).
    pub async fn save_cache(&self) {
        let Some(info) = self.session() else { return };
        let snapshot = self.shared.tree.last().clone().filter(|b| is_for(b, &info));
        if let Some(building) = snapshot {
            write_cache(&self.shared, building).await;
        }
    }

    /// Loads the tree, applies each root's kind override, remembers it and rewrites the cache.
    pub(super) async fn load_and_cache_tree(
        &self,
        active: &Arc<Active>,
        progress: &(dyn Fn(LoadProgress) + Send + Sync),
    ) -> Result<Vec<TreeNode>, AppError> {
        let hierarchy = active
            .client
            .load_hierarchy(|step| progress(progress_of(step)))
            .await
            .map_err(|e| self.fail(active, &e))?;
        let BuildingTree { tree, warnings } = building_tree(&active.client, &hierarchy).await;
        for w in &warnings {
            tracing::warn!("loading the building: {w}");
        }
        let (server, user) = owner(&active.info);
        let mut building = CachedBuilding::new(server, user, now_ms(), tree.clone());
        building.notes = warnings;
        {
            let mut last = self.shared.tree.last();
            if let Some(previous) = last.take().filter(|b| is_for(b, &active.info)) {
                building.keep_values_of(previous);
            }
            *last = Some(building.clone());
        }
        write_cache(&self.shared, building).await;
        Ok(tree)
    }

    /// Deletes the cache of the session that is ending (logout).
    pub(super) fn forget_cached(&self, info: &SessionInfo) {
        let (server, user) = owner(info);
        self.forget_cached_of(server, user);
    }

    /// Deletes the cached building of `user` on `server` (an account being forgotten).
    pub(super) fn forget_cached_of(&self, server: &str, user: &str) {
        let state = &self.shared.tree;
        let mine = |b: &CachedBuilding| b.server_url == server && b.user == user.trim().to_lowercase();
        {
            let mut last = state.last();
            if last.as_ref().is_some_and(mine) {
                *last = None;
            }
        }
        if let Some(cache) = &state.cache {
            if let Err(e) = cache.remove(server, user) {
                tracing::warn!("the building cache could not be deleted: {e}");
            }
        }
    }
}

/// Saves off the async threads; a failure is logged, never the user's problem.
async fn write_cache(shared: &Shared, building: CachedBuilding) {
    let Some(cache) = shared.tree.cache.clone() else { return };
    let saved = tokio::task::spawn_blocking(move || cache.save(&building)).await;
    match saved {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!("the building cache could not be written: {e}"),
        Err(e) => tracing::warn!("the building cache writer failed: {e}"),
    }
}

/// A loaded hierarchy as the app shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildingTree {
    pub tree: Vec<TreeNode>,
    /// What was loaded with a problem (the loader's notes, unusable kind mappings), in sentences.
    pub warnings: Vec<String>,
}

/// The tree of a loaded hierarchy with each root's `atriumKinds` mapping applied, as the app and
/// the CLI both show it.
pub async fn building_tree(client: &Client, hierarchy: &hierarchy::Hierarchy) -> BuildingTree {
    let mut warnings = hierarchy.notes.clone();
    let defaults = KindMap::default();
    let overrides = read_kind_overrides(client, &hierarchy.roots, &defaults, &mut warnings).await;
    let BuiltTree { nodes, notes } = to_tree_with_overrides(hierarchy, &defaults, &overrides);
    warnings.extend(notes);
    BuildingTree { tree: nodes, warnings }
}

/// Each asset root's `atriumKinds` (SERVER_SCOPE) attribute as a map; malformed ones are reported and ignored.
async fn read_kind_overrides(
    client: &Client,
    roots: &[EntityId],
    defaults: &KindMap,
    warnings: &mut Vec<String>,
) -> HashMap<EntityId, KindMap> {
    let roots: Vec<EntityId> =
        roots.iter().filter(|r| r.entity_type == EntityType::Asset).take(OVERRIDE_ROOTS).copied().collect();
    let mut reads = tokio::task::JoinSet::new();
    for root in roots {
        let client = client.clone();
        reads.spawn(async move {
            let read =
                client.attributes(root, Some(AttributeScope::ServerScope), &[KIND_OVERRIDE_ATTRIBUTE]).await;
            (root, read)
        });
    }
    let mut overrides = HashMap::new();
    while let Some(joined) = reads.join_next().await {
        let Ok((root, read)) = joined else { continue };
        match read {
            Ok(attributes) => {
                if let Some(attr) = attributes.iter().find(|a| a.key == KIND_OVERRIDE_ATTRIBUTE) {
                    match defaults.with_override(&attr.value) {
                        Ok(map) => {
                            overrides.insert(root, map);
                        }
                        Err(e) => {
                            warnings.push(format!("{e} (on asset {}); the built-in mapping is used", root.id))
                        }
                    }
                }
            }
            // A user who may not read the root's attributes simply gets the built-in mapping.
            Err(e) if e.is_forbidden() || e.is_not_found() => {}
            Err(e) => warnings.push(format!("the kind mapping of asset {} could not be read: {e}", root.id)),
        }
    }
    overrides
}
