//! The building tree: sites, buildings, floors, rooms and their devices, with the search box
//! above it. The state is the page's (`hooks::use_building`, `use_search`, `use_navigation`);
//! this is the markup, the rows (`rows`) and the keyboard (`keys`).

mod icons;
pub(crate) mod keys;
mod rows;
mod search;

pub(crate) use icons::kind_icon;

use crate::components::device_panel::format_age;
use crate::hooks::{
    progress_text, use_alarm_badges, use_building, use_names, use_navigation, use_search, TreeState,
};
use keys::{key_move, visible_rows, KeyMove};
use leptos::prelude::*;
use rows::{tree_node, Focus, Rows};
use search::SearchBox;

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

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn BuildingTree() -> impl IntoView {
    let building = use_building();
    let nav = use_navigation();
    let names = use_names();
    let search = use_search();
    let expanded = building.expanded;
    // The rows on screen, and the one the keyboard is on (the tree's one Tab stop).
    let rows = Memo::new(move |_| {
        building.state.with(|s| match s {
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

    let cache_note = move || {
        building.cache_note.get().map(|(age_ms, failed)| {
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
                        <span id="tree-progress" class="muted" aria-live="off">
                            {move || building.progress.get().map(progress_text)}
                        </span>
                    })}
                    {failed.is_some().then(|| view! {
                        <button id="tree-cache-retry" type="button" class="button secondary small" on:click=move |_| building.load()>
                            "Retry"
                        </button>
                    })}
                </div>
            }
        })
    };
    let notes = move || {
        building.notes.with(|n| {
            (!n.is_empty()).then(|| {
                view! {
                    <ul id="tree-notes" class="tree-notes" role="status">
                        {n.iter().map(|note| view! { <li>{note.clone()}</li> }).collect_view()}
                    </ul>
                }
            })
        })
    };
    let body = move || {
        match building.state.get() {
        TreeState::Loading => view! {
            <div class="tree-status loading" aria-busy="true">
                <p>
                    <span class="spinner" aria-hidden="true"></span>
                    "Loading the building…"
                </p>
                <p id="tree-progress" class="muted">{move || building.progress.get().map(progress_text)}</p>
            </div>
        }
        .into_any(),
        TreeState::Failed(err) => view! {
            <div class="tree-status error" role="alert">
                <p class="tree-error">{err.message}</p>
                <button id="tree-retry" type="button" class="button secondary small" on:click=move |_| building.load()>
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
            let rows = Rows { expanded, nav, badges, focus, names };
            view! {
                <ul class="tree-root" role="tree" aria-label="Places and devices" on:keydown=on_tree_key>
                    {nodes.iter().cloned().map(|node| tree_node(node, String::new(), 1, rows)).collect_view()}
                </ul>
            }
            .into_any()
        }
    }
    };

    view! {
        <SearchBox search=search />
        <nav id="building-tree" class="building-tree" aria-label="Building tree" hidden=move || search.searching.get()>
            {cache_note}
            {notes}
            {body}
        </nav>
    }
}
