//! The loading algorithm, over any [`Source`]: root discovery, subtree queries or level-by-level
//! expansion, details, loose devices, roots. No IO of its own, so messy buildings are tested
//! here with an in-memory source.

use super::{natural_key, Edge, Hierarchy, LoadMode, LoadOptions, LoadProgress, Source};
use crate::error::Error;
use crate::rest::EntitySummary;
use futures_util::stream::{self, StreamExt};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use tb_proto::{EntityId, EntityType};
use uuid::Uuid;

/// Rough height of an asset type, for picking likely roots first. Unknown types come last.
fn height_rank(type_name: &str) -> u8 {
    let t = type_name.to_ascii_lowercase();
    const ORDER: [&[&str]; 5] = [
        &["portfolio", "campus", "site", "estate"],
        &["building"],
        &["floor", "level", "storey"],
        &["wing", "zone"],
        &["room", "office", "space"],
    ];
    ORDER.iter().position(|words| words.iter().any(|w| t.contains(w))).map_or(u8::MAX, |p| p as u8)
}

/// The endpoint is not allowed (403) or not there (404, 405): use the fallback.
fn refused(e: &Error) -> bool {
    matches!(e.status(), Some(403..=405))
}

#[derive(Debug, Default)]
struct Graph {
    edges: BTreeSet<(EntityId, EntityId)>,
    names: HashMap<EntityId, String>,
    /// Far ends of any edge.
    reached: HashSet<EntityId>,
    /// Assets a traversal started from, in order: the root candidates.
    started: Vec<EntityId>,
    started_set: HashSet<EntityId>,
    /// Nodes whose children are known (by a subtree query or a lookup of their own).
    expanded: HashSet<EntityId>,
}

impl Graph {
    fn start(&mut self, root: EntityId) {
        if self.started_set.insert(root) {
            self.started.push(root);
        }
    }

    fn merge(&mut self, edges: Vec<Edge>, expanded: bool) {
        for e in edges {
            if let Some(name) = e.to_name {
                self.names.entry(e.to).or_insert(name);
            }
            if expanded {
                self.expanded.insert(e.to);
            }
            self.reached.insert(e.to);
            self.edges.insert((e.from, e.to));
        }
    }

    fn placed(&self, id: &EntityId) -> bool {
        self.reached.contains(id) || self.started_set.contains(id)
    }

    /// Level by level from `starts`, every node expanded once, at most `in_flight` lookups at a time.
    async fn expand_levels<S: Source>(
        &mut self,
        src: &S,
        starts: Vec<EntityId>,
        in_flight: usize,
        notes: &mut Vec<String>,
        progress: &mut impl FnMut(LoadProgress),
    ) -> Result<(), Error> {
        let mut frontier = Vec::new();
        for s in starts {
            self.start(s);
            if self.expanded.insert(s) {
                frontier.push(s);
            }
        }
        let mut level = 0;
        while !frontier.is_empty() {
            let results: Vec<(EntityId, Result<Vec<Edge>, Error>)> = stream::iter(frontier)
                .map(|node| async move { (node, src.children(node).await) })
                .buffer_unordered(in_flight)
                .collect()
                .await;
            let mut next = Vec::new();
            for (node, result) in results {
                match result {
                    Ok(edges) => {
                        for e in &edges {
                            // Devices are leaves here: expanding thousands of them one by one costs more than it finds.
                            if e.to.entity_type == EntityType::Asset && self.expanded.insert(e.to) {
                                next.push(e.to);
                            }
                        }
                        self.merge(edges, false);
                    }
                    Err(e) if refused(&e) => {
                        notes.push(format!("the relations of {} could not be read: {e}", node.id));
                    }
                    Err(e) => return Err(e),
                }
            }
            progress(LoadProgress::Level { level, expanded: self.expanded.len() });
            level += 1;
            next.sort();
            frontier = next;
        }
        Ok(())
    }
}

pub(super) async fn walk<S: Source>(
    src: &S,
    options: &LoadOptions,
    progress: &mut impl FnMut(LoadProgress),
) -> Result<Hierarchy, Error> {
    let in_flight = options.max_in_flight.max(1);
    let mut notes = Vec::new();
    progress(LoadProgress::ListingEntities);
    let (assets, device_count) = if options.prefer_queries {
        let (assets, count) = tokio::join!(src.assets(), src.device_count());
        (assets?, count.ok())
    } else {
        (src.assets().await?, None)
    };

    let mut nodes: HashMap<EntityId, EntitySummary> = assets.into_iter().map(|a| (a.id, a)).collect();
    let mut order: Vec<(u8, EntityId)> = nodes.values().map(|a| (height_rank(&a.type_name), a.id)).collect();
    order.sort_by_cached_key(|(rank, id)| (*rank, natural_key(&nodes[id].name), *id));

    let mut mode = if options.prefer_queries { LoadMode::Queries } else { LoadMode::LevelByLevel };
    let mut g = Graph::default();
    let mut queries = 0;
    let mut i = 0;
    while i < order.len() {
        let rank = order[i].0;
        let end = order[i..].iter().position(|(r, _)| *r != rank).map_or(order.len(), |p| i + p);
        let group: Vec<EntityId> = order[i..end].iter().map(|(_, id)| *id).collect();
        i = end;
        let mut cursor = 0;
        while cursor < group.len() {
            if mode == LoadMode::LevelByLevel {
                let starts: Vec<EntityId> =
                    group[cursor..].iter().filter(|a| !g.placed(a)).copied().collect();
                g.expand_levels(src, starts, in_flight, &mut notes, progress).await?;
                break;
            }
            // A few subtree queries at once; an asset reached by an earlier one is not queried.
            let mut batch = Vec::new();
            while cursor < group.len() && batch.len() < in_flight {
                if !g.placed(&group[cursor]) {
                    batch.push(group[cursor]);
                }
                cursor += 1;
            }
            let results: Vec<(EntityId, Result<Vec<Edge>, Error>)> = stream::iter(batch)
                .map(|root| async move { (root, src.subtree(root).await) })
                .buffered(in_flight)
                .collect()
                .await;
            let mut refused_roots = Vec::new();
            for (root, result) in results {
                match result {
                    Ok(edges) => {
                        queries += 1;
                        g.start(root);
                        g.expanded.insert(root);
                        g.merge(edges, true);
                    }
                    Err(e) if refused(&e) => {
                        if refused_roots.is_empty() {
                            notes.push(format!(
                                "the relation query was refused ({e}); loading level by level"
                            ));
                        }
                        refused_roots.push(root);
                    }
                    Err(e) => return Err(e),
                }
            }
            if !refused_roots.is_empty() {
                mode = LoadMode::LevelByLevel;
                g.expand_levels(src, refused_roots, in_flight, &mut notes, progress).await?;
            }
            let unplaced = order.iter().filter(|(_, a)| !g.placed(a)).count();
            progress(LoadProgress::Relations { queries, unplaced_assets: unplaced });
        }
    }

    // Details for every node the asset list did not describe (devices, assets not listed).
    let mut placed: Vec<EntityId> = g.started.iter().chain(&g.reached).copied().collect();
    placed.sort();
    placed.dedup();
    let mut unknown: BTreeMap<EntityType, Vec<Uuid>> = BTreeMap::new();
    for id in placed.iter().filter(|id| !nodes.contains_key(id)) {
        unknown.entry(id.entity_type).or_default().push(id.id);
    }
    let total = placed.len();
    let mut device_list: Option<Vec<EntitySummary>> = None;
    if !unknown.is_empty() {
        let mut use_list = !options.prefer_queries;
        if options.prefer_queries {
            // Owned batches: a future borrowing a slice here is not `Send` for every lifetime,
            // which callers that spawn the load (the Tauri shell) need.
            let batches: Vec<(EntityType, Vec<Uuid>)> = unknown
                .iter()
                .flat_map(|(t, ids)| ids.chunks(options.detail_batch.max(1)).map(move |c| (*t, c.to_vec())))
                .collect();
            let mut results = stream::iter(batches)
                .map(|(entity_type, ids)| async move { src.details(entity_type, &ids).await })
                .buffer_unordered(in_flight);
            while let Some(result) = results.next().await {
                match result {
                    Ok(rows) => {
                        for row in rows {
                            if g.placed(&row.id) && !nodes.contains_key(&row.id) {
                                nodes.insert(row.id, row);
                            }
                        }
                        let known = placed.iter().filter(|id| nodes.contains_key(id)).count();
                        progress(LoadProgress::Details { known, total });
                    }
                    Err(e) if refused(&e) => {
                        if !use_list {
                            notes.push(format!("the entity data query was refused ({e}); listing devices"));
                        }
                        use_list = true;
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        if use_list {
            let devices = src.devices().await?;
            for d in &devices {
                if g.placed(&d.id) && !nodes.contains_key(&d.id) {
                    nodes.insert(d.id, d.clone());
                }
            }
            device_list = Some(devices);
            let known = placed.iter().filter(|id| nodes.contains_key(id)).count();
            progress(LoadProgress::Details { known, total });
        }
    }
    // What nobody described keeps the name the relations gave it.
    let mut nameless = 0;
    for id in &placed {
        nodes.entry(*id).or_insert_with(|| {
            nameless += 1;
            EntitySummary {
                id: *id,
                name: g.names.get(id).cloned().unwrap_or_default(),
                type_name: String::new(),
                label: None,
            }
        });
    }
    if nameless > 0 {
        notes.push(format!("{nameless} node(s) could not be described (not readable, or deleted)"));
    }

    // Devices nobody (readable) contains still belong somewhere a person can find them.
    let placed_devices = placed.iter().filter(|id| id.entity_type == EntityType::Device).count() as u64;
    let mut loose: Vec<EntityId> = Vec::new();
    if device_count.is_none_or(|n| n > placed_devices) {
        let devices = match device_list {
            Some(list) => list,
            None => src.devices().await?,
        };
        for d in devices {
            if !g.placed(&d.id) {
                loose.push(d.id);
                nodes.insert(d.id, d);
            }
        }
    }
    loose.sort_by_cached_key(|d| (natural_key(&nodes[d].name), *d));

    let mut children: HashMap<EntityId, Vec<EntityId>> = HashMap::new();
    for (from, to) in &g.edges {
        children.entry(*from).or_default().push(*to);
    }
    for list in children.values_mut() {
        list.sort_by_cached_key(|id| (nodes.get(id).map(|n| natural_key(&n.name)), *id));
    }
    let mut roots = pick_roots(&g.started, &g.edges, &children);
    roots.extend(loose);
    Ok(Hierarchy { nodes, children, roots, requests: 0, mode, notes })
}

/// The started assets nothing contains, then (for cycles nobody enters) the first of each
/// uncovered group, so every started asset is reachable from some root.
fn pick_roots(
    started: &[EntityId],
    edges: &BTreeSet<(EntityId, EntityId)>,
    children: &HashMap<EntityId, Vec<EntityId>>,
) -> Vec<EntityId> {
    let incoming: HashSet<EntityId> = edges.iter().map(|(_, to)| *to).collect();
    let mut roots: Vec<EntityId> = started.iter().filter(|s| !incoming.contains(s)).copied().collect();
    let mut covered = HashSet::new();
    let cover = |from: EntityId, covered: &mut HashSet<EntityId>| {
        let mut stack = vec![from];
        while let Some(node) = stack.pop() {
            if covered.insert(node) {
                stack.extend(children.get(&node).into_iter().flatten().copied());
            }
        }
    };
    for r in &roots {
        cover(*r, &mut covered);
    }
    for s in started {
        if !covered.contains(s) {
            roots.push(*s);
            cover(*s, &mut covered);
        }
    }
    roots
}

#[cfg(test)]
mod tests;
