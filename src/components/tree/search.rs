//! The building's search box and its hits. A hit is chosen as if it were tapped in the tree:
//! the tree opens down to it and the place or device is shown.

use super::icons::{kind_icon, kind_name};
use super::keys::path_keys_to;
use crate::components::names::NameView;
use crate::hooks::{use_building, use_names, use_navigation, Search, SearchState};
use atrium_ipc::{NodeKind, SearchHit};
use leptos::prelude::*;

/// A hit's place in the building, root first: "Atrium Campus › HQ › Floor 1 › Lobby".
pub(super) fn format_path(path: &[String]) -> String {
    path.join(" › ")
}

fn focus_search_box() {
    let input = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("tree-search"))
        .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlInputElement>(e).ok());
    if let Some(input) = input {
        let _ = input.focus();
    }
}

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn SearchBox(search: Search) -> impl IntoView {
    let Search { query, results, searching } = search;
    let building = use_building();
    let nav = use_navigation();
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" && !query.with_untracked(String::is_empty) {
            // Escape clears the search; it does not also take the person up a level.
            ev.prevent_default();
            search.clear();
            focus_search_box();
        }
    };
    let choose = move |hit: SearchHit| {
        let keys = building.with_nodes(|nodes| path_keys_to(nodes, &hit.id, &hit.path)).flatten();
        if let Some(keys) = keys {
            building.expanded.update(|e| e.extend(keys));
        }
        if hit.kind == NodeKind::Device {
            nav.open_device(hit.id, None);
        } else {
            nav.open_place(hit.id);
        }
        search.clear();
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
    }
}

/// One search result: a button that chooses it.
fn search_hit(hit: SearchHit, choose: impl Fn(SearchHit) + Copy + 'static) -> impl IntoView {
    let names = use_names();
    let path = format_path(&hit.path);
    let title = if path.is_empty() { hit.name.clone() } else { format!("{} — {path}", hit.name) };
    let (id, kind, icon) = (hit.id.clone(), kind_name(hit.kind), kind_icon(hit.kind));
    let (name, label) = (hit.name.clone(), hit.label.clone());
    view! {
        <li class="search-hit" data-id=id data-kind=kind>
            <button type="button" class="search-hit-button" title=title on:click=move |_| choose(hit.clone())>
                {icon}
                <span class="search-hit-text">
                    <span class="search-hit-name">
                        <NameView name=name label=label names=names class="search-hit-title" />
                    </span>
                    {(!path.is_empty()).then(|| view! { <span class="search-hit-path">{path}</span> })}
                </span>
            </button>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::format_path;

    #[test]
    fn path_reads_root_first() {
        let names: Vec<String> = ["Atrium Campus", "HQ", "Floor 1", "Lobby"].map(String::from).to_vec();
        assert_eq!(format_path(&names), "Atrium Campus › HQ › Floor 1 › Lobby");
        assert_eq!(format_path(&[]), "");
    }
}
