//! Where the detail pane is in the building: a back button one level up, and the places from
//! the top down to it, each a link to jump back to. On a phone it is how a person leaves a level;
//! on a wider window it also folds the tree away or brings it back.

use crate::components::tree::kind_icon;
use crate::hooks::{trail, use_building, use_names, use_navigation, Crumb};
use leptos::prelude::*;

/// The crumbs of the detail pane: the place's trail, and the device's last when one is shown.
fn crumbs_of(nodes: &[atrium_ipc::TreeNode], place: Option<&str>, device: Option<&str>) -> Vec<Crumb> {
    let mut crumbs = place.map(|p| trail(nodes, p)).unwrap_or_default();
    if let Some(device) = device {
        let of_device = trail(nodes, device);
        if crumbs.is_empty() {
            crumbs = of_device;
        } else if let Some(last) = of_device.last() {
            crumbs.push(last.clone());
        }
    }
    crumbs
}

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn Breadcrumb() -> impl IntoView {
    let building = use_building();
    let nav = use_navigation();
    let names = use_names();
    let crumbs = Memo::new(move |_| {
        let (place, device) = (nav.place.get(), nav.device.get());
        building
            .nodes()
            .map(|nodes| crumbs_of(&nodes, place.as_deref(), device.as_deref()))
            .unwrap_or_default()
    });
    let last = move || crumbs.with(Vec::len).saturating_sub(1);
    view! {
        <nav id="breadcrumb" class="breadcrumb" aria-label="Where you are">
            <button
                id="nav-back"
                type="button"
                class="button ghost touch nav-back"
                aria-label="Up one level"
                title="Up one level (Escape)"
                disabled=move || !nav.can_go_up()
                on:click=move |_| nav.up()
            >
                <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">
                    <path d="M10 3.5 5.5 8l4.5 4.5" fill="none" stroke="currentColor" stroke-width="1.8"
                        stroke-linecap="round" stroke-linejoin="round" />
                </svg>
            </button>
            <button
                id="nav-tree"
                type="button"
                class="button ghost touch nav-tree"
                aria-controls="building-tree"
                on:click=move |_| nav.tree_hidden.update(|h| *h = !*h)
            >
                {move || if nav.tree_hidden.get() { "Show tree" } else { "Hide tree" }}
            </button>
            <ol class="crumbs">
                <li class="crumb">
                    <button id="nav-home" type="button" class="crumb-link" on:click=move |_| nav.home()>
                        "Building"
                    </button>
                </li>
                <For
                    each=move || crumbs.get().into_iter().enumerate()
                    key=|(i, crumb)| (*i, crumb.id.clone())
                    children=move |(i, crumb)| {
                        let Crumb { id, name, kind } = crumb;
                        let is_last = move || i == last();
                        let label = move || names.shown(&name, None).0;
                        let jump = {
                            let id = id.clone();
                            move |_| {
                                if kind == atrium_ipc::NodeKind::Device {
                                    nav.open_device(id.clone(), None);
                                } else {
                                    nav.open_place(id.clone());
                                }
                            }
                        };
                        view! {
                            <li class="crumb" data-id=id.clone()>
                                <span class="crumb-sep" aria-hidden="true">"›"</span>
                                {move || if is_last() {
                                    view! {
                                        <span class="crumb-current" aria-current="location">{kind_icon(kind)}{label()}</span>
                                    }.into_any()
                                } else {
                                    let jump = jump.clone();
                                    view! {
                                        <button type="button" class="crumb-link" on:click=jump>{label()}</button>
                                    }.into_any()
                                }}
                            </li>
                        }
                    }
                />
            </ol>
        </nav>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree_fixture::node;
    use atrium_ipc::NodeKind;

    #[test]
    fn a_device_follows_the_place_it_was_opened_from() {
        let tree = vec![node(
            "hq",
            NodeKind::Building,
            vec![
                node("f1", NodeKind::Floor, vec![node("d", NodeKind::Device, vec![])]),
                node("f2", NodeKind::Floor, vec![]),
            ],
        )];
        let ids = |c: Vec<Crumb>| c.into_iter().map(|c| c.id).collect::<Vec<_>>();
        assert_eq!(ids(crumbs_of(&tree, Some("f2"), Some("d"))), ["hq", "f2", "d"]);
        assert_eq!(ids(crumbs_of(&tree, None, Some("d"))), ["hq", "f1", "d"]);
        assert_eq!(ids(crumbs_of(&tree, Some("f1"), None)), ["hq", "f1"]);
        assert!(crumbs_of(&tree, None, None).is_empty());
    }
}
