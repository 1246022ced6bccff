//! The building tree: sites, buildings, floors, rooms and their devices.

use crate::components::device_panel::format_age;
use crate::components::tree_keys::{key_move, visible_rows, KeyMove};
use crate::hooks::debounce::debounced;
use crate::hooks::{use_alarm_badges, use_connection};
use crate::ipc;
use atrium_ipc::{
    walk_tree, AlarmBadges, AppError, LoadProgress, LoadedTree, NodeKind, Painted, SearchHit, TreeNode, Walk,
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::collections::HashSet;
use std::time::Duration;

/// How long typing pauses before the building is searched.
const SEARCH_DEBOUNCE: Duration = Duration::from_millis(150);

#[derive(Debug, Clone, PartialEq)]
enum TreeState {
    Loading,
    Failed(AppError),
    Loaded(Vec<TreeNode>),
}

/// What the loader is doing, as a person reads it.
fn progress_text(progress: LoadProgress) -> String {
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

/// `data-kind`: the kind as the contract spells it.
fn kind_name(kind: NodeKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "other".into())
}

fn is_device(node: &TreeNode) -> bool {
    node.kind == NodeKind::Device || node.entity_type.eq_ignore_ascii_case("DEVICE")
}

/// Open at first: enough to see the rooms of every floor.
fn starts_expanded(kind: NodeKind) -> bool {
    matches!(kind, NodeKind::Site | NodeKind::Building | NodeKind::Floor)
}

/// A node is keyed by its path, since the same device (or asset) can appear under two parents.
fn child_path(parent: &str, id: &str) -> String {
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

fn initial_expansion(nodes: &[TreeNode]) -> HashSet<String> {
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

/// A hit's place in the building, root first: "Atrium Campus › HQ › Floor 1 › Lobby".
fn format_path(path: &[String]) -> String {
    path.join(" › ")
}

/// The tree keys (see [`child_path`]) of the ancestors of the node `id` found under the places named
/// `names` (root first, by display name), so expanding them shows it; `None` if it is not in `nodes`.
fn path_keys_to(nodes: &[TreeNode], id: &str, names: &[String]) -> Option<Vec<String>> {
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

/// What the search box has found so far.
#[derive(Debug, Clone, PartialEq)]
enum SearchState {
    /// Typing, or the answer is on its way.
    Pending,
    Done(Vec<SearchHit>),
    Failed(String),
}

/// The pictogram of a kind: small inline SVG, drawn with the text colour.
fn kind_icon(kind: NodeKind) -> impl IntoView {
    let d = match kind {
        NodeKind::Site => "M8 1.5a4.5 4.5 0 0 0-4.5 4.5c0 3.4 4.5 8.5 4.5 8.5s4.5-5.1 4.5-8.5A4.5 4.5 0 0 0 8 1.5zm0 6.2a1.7 1.7 0 1 1 0-3.4 1.7 1.7 0 0 1 0 3.4z",
        NodeKind::Building => "M3 14.5V2.5h7v12M10 6.5h3v8M1.5 14.5h13M5 4.5h1M7.5 4.5h1M5 7h1M7.5 7h1M5 9.5h1M7.5 9.5h1",
        NodeKind::Floor => "M8 2 1.5 5.2 8 8.4l6.5-3.2L8 2zM1.5 8.2 8 11.4l6.5-3.2M1.5 11 8 14.2l6.5-3.2",
        NodeKind::Room => "M3 14.5v-12h10v12M1.5 14.5h13M10.2 8.5h.6",
        NodeKind::Zone => "M2.5 2.5h3M10.5 2.5h3v3M13.5 10.5v3h-3M5.5 13.5h-3v-3M2.5 5.5v5M13.5 5.5v5M5.5 2.5h5M5.5 13.5h5",
        NodeKind::Device => "M4.5 4.5h7v7h-7zM6.5 1.5v3M9.5 1.5v3M6.5 11.5v3M9.5 11.5v3M1.5 6.5h3M1.5 9.5h3M11.5 6.5h3M11.5 9.5h3",
        _ => "M8 2.5a5.5 5.5 0 1 0 0 11 5.5 5.5 0 0 0 0-11z",
    };
    let filled = matches!(kind, NodeKind::Site);
    view! {
        <svg class="kind-icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">
            <path
                d=d
                fill=if filled { "currentColor" } else { "none" }
                stroke=if filled { "none" } else { "currentColor" }
                stroke-width="1.3"
                stroke-linecap="round"
                stroke-linejoin="round"
            />
        </svg>
    }
}

/// Brings the right pane (alarms, device or place) into view on a phone, where the panels are stacked.
pub(crate) fn reveal_panel() {
    let Some(window) = web_sys::window() else { return };
    let narrow = window.inner_width().ok().and_then(|w| w.as_f64()).is_some_and(|w| w < 760.0);
    if narrow {
        let document = window.document();
        let panel = document.as_ref().and_then(|d| {
            ["alarms-panel", "device-panel", "node-panel"].into_iter().find_map(|id| d.get_element_by_id(id))
        });
        if let Some(panel) = panel {
            panel.scroll_into_view();
        }
    }
}

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn BuildingTree(
    /// The id of the selected device.
    selected: RwSignal<Option<String>>,
    /// The id of the opened asset (shown in the node panel instead of a device).
    opened: RwSignal<Option<String>>,
    /// Set to when the building on screen was read while it is the cached one, for the offline banner.
    shown_as_of: RwSignal<Option<f64>>,
) -> impl IntoView {
    let connection = use_connection();
    let state = RwSignal::new(TreeState::Loading);
    let expanded = RwSignal::new(HashSet::<String>::new());
    // While the cached building is shown: how old it is, and whether the refresh failed.
    let cache_note = RwSignal::new(None::<(u64, Option<String>)>);
    // The search box; while it holds text, its results replace the tree.
    let query = RwSignal::new(String::new());
    let results = RwSignal::new(SearchState::Pending);
    let searching = Memo::new(move |_| query.with(|q| !q.trim().is_empty()));
    // How far the running load has come.
    let progress = RwSignal::new(None::<LoadProgress>);
    // What the load had to say about the building (too big or too deep to show whole).
    let notes = RwSignal::new(Vec::<String>::new());
    // The rows on screen, and the one the keyboard is on (the tree's one Tab stop).
    let rows = Memo::new(move |_| {
        state.with(|s| match s {
            TreeState::Loaded(nodes) => expanded.with(|e| visible_rows(nodes, e)),
            _ => Vec::new(),
        })
    });
    let focused = RwSignal::new(None::<String>);
    let tab_stop = Memo::new(move |_| {
        let wanted = focused.get();
        rows.with(|rows| match wanted {
            Some(path) if rows.iter().any(|r| r.path == path) => Some(path),
            _ => rows.first().map(|r| r.path.clone()),
        })
    });
    let focus = Focus { focused, tab_stop };
    let on_tree_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.alt_key() || ev.ctrl_key() || ev.meta_key() {
            return;
        }
        let Some(current) = tab_stop.get_untracked() else { return };
        let step = rows.with_untracked(|r| expanded.with_untracked(|e| key_move(r, e, &current, &ev.key())));
        match step {
            KeyMove::Ignored => return,
            KeyMove::Focus(path) => {
                focused.set(Some(path.clone()));
                focus_row(&path);
            }
            KeyMove::Expand(path) => expanded.update(|e| {
                e.insert(path);
            }),
            KeyMove::Collapse(path) => expanded.update(|e| {
                e.remove(&path);
            }),
            KeyMove::Activate(path) => activate_row(&path),
        }
        ev.prevent_default();
    };

    let load = move || {
        progress.set(None);
        let showing_cache = cache_note.get_untracked().is_some();
        if !showing_cache {
            state.set(TreeState::Loading);
        }
        spawn_local(async move {
            if !showing_cache {
                // The cached building at once; the fresh one replaces it when it comes.
                if let Ok(Some(cached)) = ipc::cached_tree().await {
                    if state.get_untracked() == TreeState::Loading && !cached.nodes.is_empty() {
                        expanded.set(initial_expansion(&cached.nodes));
                        notes.set(cached.notes);
                        cache_note.set(Some((cached.age_ms, None)));
                        shown_as_of.set(Some(js_sys::Date::now() - cached.age_ms as f64));
                        state.set(TreeState::Loaded(cached.nodes));
                        ipc::report_painted(Painted::CachedBuilding);
                    }
                }
            } else {
                cache_note.update(|n| {
                    if let Some(n) = n {
                        n.1 = None;
                    }
                });
            }
            let on_progress = move |step: Result<LoadProgress, AppError>| match step {
                Ok(step) => {
                    progress.try_set(Some(step));
                }
                Err(err) => ipc::log_error("load progress", &err),
            };
            let loaded = ipc::load_tree(on_progress).await;
            progress.try_set(None);
            match loaded {
                Ok(LoadedTree { nodes, notes: said }) => {
                    if cache_note.get_untracked().is_none() {
                        expanded.set(initial_expansion(&nodes));
                    }
                    if notes.with_untracked(|n| *n != said) {
                        notes.set(said);
                    }
                    cache_note.set(None);
                    shown_as_of.set(None);
                    // Usually the building has not changed: then the tree is left as it is, so
                    // nothing the person is about to click is replaced under the pointer.
                    let unchanged =
                        state.with_untracked(|s| matches!(s, TreeState::Loaded(old) if *old == nodes));
                    if !unchanged {
                        state.set(TreeState::Loaded(nodes));
                    }
                    ipc::report_painted(Painted::Building);
                }
                Err(err) if cache_note.get_untracked().is_some() => {
                    cache_note.update(|n| {
                        if let Some(n) = n {
                            n.1 = Some(err.message);
                        }
                    });
                }
                Err(err) => state.set(TreeState::Failed(err)),
            }
        });
    };
    load();
    // A load that failed (the server unreachable at start) is tried again as soon as the live
    // connection is back, so the building refreshes without anyone pressing Retry.
    Effect::new(move |was_live: Option<bool>| {
        let live = connection.is_live();
        let failed = state.with_untracked(|s| matches!(s, TreeState::Failed(_)))
            || cache_note.with_untracked(|n| n.as_ref().is_some_and(|(_, failed)| failed.is_some()));
        if live && was_live == Some(false) && failed {
            load();
        }
        live
    });

    let note = move || {
        cache_note.get().map(|(age_ms, failed)| {
            let age = format_age(age_ms as f64);
            let refreshing = failed.is_none();
            let text = match &failed {
                None => format!("Showing the building as of {age} — refreshing…"),
                Some(why) => format!("Showing the building as of {age}; it could not be refreshed: {why}"),
            };
            view! {
                <div id="tree-cache-note" class="cache-note" role="status" aria-busy=refreshing.to_string()>
                    <span>{text}</span>
                    // Each step would be announced: the live region leaves this part out.
                    {refreshing.then(|| view! {
                        <span id="tree-progress" class="muted" aria-live="off">{move || progress.get().map(progress_text)}</span>
                    })}
                    {failed.is_some().then(|| view! {
                        <button id="tree-cache-retry" type="button" class="button secondary small" on:click=move |_| load()>
                            "Retry"
                        </button>
                    })}
                </div>
            }
        })
    };

    let notes_view = move || {
        notes.with(|n| {
            (!n.is_empty()).then(|| {
                view! {
                    <ul id="tree-notes" class="tree-notes" role="status">
                        {n.iter().map(|note| view! { <li>{note.clone()}</li> }).collect_view()}
                    </ul>
                }
            })
        })
    };

    let body = move || match state.get() {
        TreeState::Loading => view! {
            <div class="tree-status loading" aria-busy="true">
                <p>
                    <span class="spinner" aria-hidden="true"></span>
                    "Loading the building…"
                </p>
                <p id="tree-progress" class="muted">{move || progress.get().map(progress_text)}</p>
            </div>
        }
        .into_any(),
        TreeState::Failed(err) => view! {
            <div class="tree-status error" role="alert">
                <p class="tree-error">{err.message}</p>
                <button id="tree-retry" type="button" class="button secondary small" on:click=move |_| load()>
                    "Retry"
                </button>
            </div>
        }
        .into_any(),
        TreeState::Loaded(nodes) if nodes.is_empty() => view! {
            <p class="tree-status empty">"No buildings are shared with this account yet."</p>
        }
        .into_any(),
        TreeState::Loaded(nodes) => {
            // Started with each tree shown, so the badges count for its places.
            let badges = use_alarm_badges();
            let places = Places { expanded, selected, opened, badges, focus };
            view! {
                <ul class="tree-root" role="tree" aria-label="Places and devices" on:keydown=on_tree_key>
                    {nodes.into_iter().map(|node| tree_node(node, String::new(), 1, places)).collect_view()}
                </ul>
            }
            .into_any()
        }
    };

    // The previous hits stay while the next ones are on their way, so typing does not flicker.
    debounced(
        move || query.get(),
        SEARCH_DEBOUNCE,
        move || results.set(SearchState::Pending),
        |text| async move { ipc::search(&text).await },
        move |answer| {
            results.set(match answer {
                Ok(hits) => SearchState::Done(hits),
                Err(err) => SearchState::Failed(err.message),
            })
        },
    );

    let clear_search = move || {
        if !query.with_untracked(String::is_empty) {
            query.set(String::new());
        }
    };
    let focus_search = || {
        let input = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id("tree-search"))
            .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlInputElement>(e).ok());
        if let Some(input) = input {
            let _ = input.focus();
        }
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" && !query.with_untracked(String::is_empty) {
            ev.prevent_default();
            clear_search();
            focus_search();
        }
    };

    // A hit is chosen as if it were clicked in the tree, which then shows it.
    let choose = move |hit: SearchHit| {
        let open = state.with_untracked(|s| match s {
            TreeState::Loaded(nodes) => path_keys_to(nodes, &hit.id, &hit.path),
            _ => None,
        });
        if let Some(keys) = open {
            expanded.update(|e| e.extend(keys));
        }
        if hit.kind == NodeKind::Device {
            if selected.with_untracked(|s| s.as_deref() != Some(hit.id.as_str())) {
                selected.set(Some(hit.id));
            }
            if opened.with_untracked(Option::is_some) {
                opened.set(None);
            }
        } else {
            if opened.with_untracked(|o| o.as_deref() != Some(hit.id.as_str())) {
                opened.set(Some(hit.id));
            }
            if selected.with_untracked(Option::is_some) {
                selected.set(None);
            }
        }
        clear_search();
        reveal_panel();
    };

    let results_view = move || match results.get() {
        SearchState::Pending => view! {
            <p class="tree-status loading search-status" aria-busy="true">"Searching…"</p>
        }
        .into_any(),
        SearchState::Failed(why) => view! {
            <p class="tree-status error search-status" role="alert">{why}</p>
        }
        .into_any(),
        SearchState::Done(hits) if hits.is_empty() => view! {
            <p class="tree-status empty search-status" role="status">"No matches"</p>
        }
        .into_any(),
        SearchState::Done(hits) => {
            let count = match hits.len() {
                1 => "1 match".to_owned(),
                n => format!("{n} matches"),
            };
            view! {
                <p class="search-count" role="status">{count}</p>
                <ul id="search-results" class="search-results" aria-label="Search results">
                    {hits.into_iter().map(|hit| search_hit(hit, choose)).collect_view()}
                </ul>
            }
            .into_any()
        }
    };

    view! {
        <div class="tree-search" on:keydown=on_keydown>
            <input
                id="tree-search"
                type="search"
                class="tree-search-input"
                placeholder="Search the building"
                aria-label="Search the building"
                aria-controls="search-results"
                autocomplete="off"
                spellcheck="false"
                prop:value=move || query.get()
                on:input=move |ev| query.set(event_target_value(&ev))
            />
            <Show when=move || searching.get()>
                <div class="search-panel">{results_view}</div>
            </Show>
        </div>
        <nav id="building-tree" class="building-tree" aria-label="Building tree" hidden=move || searching.get()>
            {note}
            {notes_view}
            {body}
        </nav>
    }
}

/// One search result: a button that chooses it.
fn search_hit(hit: SearchHit, choose: impl Fn(SearchHit) + Copy + 'static) -> impl IntoView {
    let display = hit.name.clone();
    let aside = hit.aside().map(str::to_owned);
    let path = format_path(&hit.path);
    let kind = kind_name(hit.kind);
    let icon = kind_icon(hit.kind);
    let title = if path.is_empty() { display.clone() } else { format!("{display} — {path}") };
    let id = hit.id.clone();
    view! {
        <li class="search-hit" data-id=id data-kind=kind>
            <button type="button" class="search-hit-button" title=title on:click=move |_| choose(hit.clone())>
                {icon}
                <span class="search-hit-text">
                    <span class="search-hit-name">{display}{name_aside(aside)}</span>
                    {(!path.is_empty()).then(|| view! { <span class="search-hit-path">{path}</span> })}
                </span>
            </button>
        </li>
    }
}

/// Marks a node that also hangs under another place, shown in full there (see `TreeNode::link`).
fn link_mark(link: bool) -> impl IntoView {
    link.then(|| {
        view! {
            <span class="tree-link-mark" title="Also in another place higher up, listed there with what it holds">
                "listed above"
            </span>
        }
    })
}

/// A label shown beside a name: a place's short code, a device's friendly label.
pub(crate) fn name_aside(label: Option<String>) -> impl IntoView {
    label.map(|label| view! { <span class="name-aside">{label}</span> })
}

/// A node's active alarms: their count, coloured by the worst, read out in words.
fn alarm_badge(badges: ReadSignal<AlarmBadges>, id: String) -> impl IntoView {
    move || {
        badges.with(|b| b.by_node.get(&id).copied()).map(|badge| {
            let label = match badge.count {
                1 => format!("1 active alarm, {}", badge.worst.label().to_lowercase()),
                n => format!("{n} active alarms, the worst {}", badge.worst.label().to_lowercase()),
            };
            view! {
                <span
                    class=format!("alarm-badge {}", badge.worst.as_str().to_lowercase())
                    role="img"
                    aria-label=label.clone()
                    title=label
                >
                    {badge.count}
                </span>
            }
        })
    }
}

/// The keyboard's place in the tree: the row it was last on, and the row Tab lands on.
#[derive(Debug, Clone, Copy)]
struct Focus {
    focused: RwSignal<Option<String>>,
    tab_stop: Memo<Option<String>>,
}

/// What every row reads and changes.
#[derive(Debug, Clone, Copy)]
struct Places {
    expanded: RwSignal<HashSet<String>>,
    selected: RwSignal<Option<String>>,
    opened: RwSignal<Option<String>>,
    badges: ReadSignal<AlarmBadges>,
    focus: Focus,
}

/// The row element of the tree key `path`.
fn row_element(path: &str, inner: &str) -> Option<web_sys::HtmlElement> {
    let document = web_sys::window()?.document()?;
    let found = document.query_selector(&format!("#building-tree [data-path=\"{path}\"]{inner}")).ok()??;
    wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(found).ok()
}

/// Moves the keyboard focus to a row (already made the Tab stop).
fn focus_row(path: &str) {
    if let Some(row) = row_element(path, "") {
        let _ = row.focus();
    }
}

/// Enter or Space on a row: as a click on its name.
fn activate_row(path: &str) {
    if let Some(label) = row_element(path, " > .tree-row .tree-label") {
        label.click();
    }
}

/// One node and, while it is expanded, its children (recursive, hence type-erased). The row is
/// an ARIA treeitem: the keyboard moves between rows (see `tree_keys`), the name opens or shows
/// it, the chevron alone folds it.
fn tree_node(node: TreeNode, parent: String, level: u32, places: Places) -> AnyView {
    let Places { expanded, selected, opened, badges, focus } = places;
    let path = child_path(&parent, &node.id);
    let badge = alarm_badge(badges, node.id.clone());
    let display = node.display_name().to_owned();
    let aside = node.aside().map(str::to_owned);
    let kind = kind_name(node.kind);
    let tab_index = {
        let path = path.clone();
        move || if focus.tab_stop.with(|t| t.as_deref() == Some(path.as_str())) { 0 } else { -1 }
    };
    // A click on a row (or its name) puts the keyboard there too.
    let on_focus = {
        let path = path.clone();
        move |_| {
            if focus.focused.with_untracked(|f| f.as_deref() != Some(path.as_str())) {
                focus.focused.set(Some(path.clone()));
            }
        }
    };

    if is_device(&node) {
        let id = node.id.clone();
        let is_selected = {
            let id = id.clone();
            move || selected.with(|s| s.as_deref() == Some(id.as_str()))
        };
        let selected_row = is_selected.clone();
        let selected_aria = is_selected.clone();
        let select = move |_| {
            if selected.with_untracked(|s| s.as_deref() != Some(id.as_str())) {
                selected.set(Some(id.clone()));
            }
            if opened.with_untracked(Option::is_some) {
                opened.set(None);
            }
            reveal_panel();
        };
        let title = match (&aside, node.type_name.as_str()) {
            (None, "") => display.clone(),
            (None, type_name) => format!("{display} ({type_name})"),
            (Some(label), "") => format!("{display} · {label}"),
            (Some(label), type_name) => format!("{display} · {label} ({type_name})"),
        };
        return view! {
            <li
                class="tree-node device"
                role="treeitem"
                attr:aria-level=level.to_string()
                aria-selected=move || selected_aria().to_string()
                aria-current=move || if is_selected() { Some("true") } else { None }
                tabindex=tab_index
                on:focus=on_focus
                data-path=path.clone()
                data-id=node.id.clone()
                data-kind=kind
                data-name=node.name.clone()
            >
                <div class="tree-row" class:selected=selected_row>
                    <span class="tree-spacer" aria-hidden="true"></span>
                    <div class="tree-label" title=title on:click=select>
                        {kind_icon(node.kind)}
                        <span class="tree-name">{display}</span>
                        {name_aside(aside)}
                    </div>
                    {badge}
                </div>
            </li>
        }
        .into_any();
    }

    let has_children = !node.children.is_empty();
    let count = node.children.len();
    let is_open = {
        let path = path.clone();
        move || expanded.with(|e| e.contains(&path))
    };
    let toggle = {
        let path = path.clone();
        move || {
            expanded.update(|e| {
                if !e.remove(&path) {
                    e.insert(path.clone());
                }
            })
        }
    };
    let expand = {
        let path = path.clone();
        move || {
            if expanded.with_untracked(|e| !e.contains(&path)) {
                expanded.update(|e| {
                    e.insert(path.clone());
                });
            }
        }
    };
    // Pointer only: the keyboard folds with the arrow keys, a screen reader hears aria-expanded.
    let toggle_button = has_children.then(|| {
        let toggle = toggle.clone();
        let is_open = is_open.clone();
        view! {
            <span
                class="tree-toggle"
                aria-hidden="true"
                data-expanded=move || is_open().to_string()
                on:click=move |_| toggle()
            >
                <svg class="chevron" viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" focusable="false">
                    <path d="M6 3.5 10.5 8 6 12.5" fill="none" stroke="currentColor" stroke-width="1.6"
                        stroke-linecap="round" stroke-linejoin="round" />
                </svg>
            </span>
        }
    });
    let spacer = (!has_children).then(|| view! { <span class="tree-spacer" aria-hidden="true"></span> });
    let children = node.children;
    let children_view = {
        let is_open = is_open.clone();
        let path = path.clone();
        move || {
            (has_children && is_open()).then(|| {
                view! {
                    <ul class="tree-children" role="group">
                        {children
                            .clone()
                            .into_iter()
                            .map(|child| tree_node(child, path.clone(), level + 1, places))
                            .collect_view()}
                    </ul>
                }
            })
        }
    };
    let count_title = match count {
        0 => "Empty".to_owned(),
        1 => "1 item".to_owned(),
        n => format!("{n} items"),
    };

    let asset_id = node.id.clone();
    let is_opened = {
        let id = asset_id.clone();
        move || opened.with(|o| o.as_deref() == Some(id.as_str()))
    };
    let opened_aria = is_opened.clone();
    let open_node = move || {
        if opened.with_untracked(|o| o.as_deref() != Some(asset_id.as_str())) {
            opened.set(Some(asset_id.clone()));
        }
        if selected.with_untracked(Option::is_some) {
            selected.set(None);
        }
        reveal_panel();
    };
    let expanded_aria = {
        let is_open = is_open.clone();
        move || has_children.then(|| is_open().to_string())
    };

    view! {
        <li
            class="tree-node asset"
            class:open=is_open.clone()
            role="treeitem"
            attr:aria-level=level.to_string()
            aria-expanded=expanded_aria
            aria-selected=move || opened_aria().to_string()
            tabindex=tab_index
            on:focus=on_focus
            data-path=path.clone()
            data-id=node.id.clone()
            data-kind=kind
            data-name=node.name.clone()
        >
            <div class="tree-row" class:selected=is_opened>
                {toggle_button}
                {spacer}
                <div
                    class="tree-label"
                    title=node.type_name.clone()
                    on:click=move |_| {
                        // The name opens (and shows the contents); only the chevron folds.
                        if has_children {
                            expand()
                        }
                        open_node()
                    }
                >
                    {kind_icon(node.kind)}
                    <span class="tree-name">{display}</span>
                    {name_aside(aside)}
                    {link_mark(node.link)}
                </div>
                {badge}
                {(!node.link).then(|| view! {
                    <span class="tree-count" title=count_title aria-hidden="true">{count}</span>
                })}
            </div>
            {children_view}
        </li>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::{format_path, path_keys_to, progress_text};
    use atrium_ipc::{LoadProgress, NodeKind, TreeNode};

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

    fn node(id: &str, name: &str, label: Option<&str>, children: Vec<TreeNode>) -> TreeNode {
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

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn path_reads_root_first() {
        assert_eq!(
            format_path(&names(&["Atrium Campus", "HQ", "Floor 1", "Lobby"])),
            "Atrium Campus › HQ › Floor 1 › Lobby"
        );
        assert_eq!(format_path(&[]), "");
    }

    #[test]
    fn keys_lead_to_the_place_named_by_the_path() {
        // The same device in two rooms: the hit's path picks the room.
        let tree = vec![node(
            "site",
            "Campus",
            None,
            vec![
                node("a", "room-a", Some("Lobby"), vec![node("d", "Thermostat", None, vec![])]),
                node("b", "Hall", None, vec![node("d", "Thermostat", None, vec![])]),
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
    }
}
