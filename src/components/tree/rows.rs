//! The tree's rows: a place (with its children while it is open) or a device. Each row is an
//! ARIA treeitem; the keyboard moves between rows (see `keys`), the name opens the place or
//! shows the device, and the chevron alone folds a place.

use super::icons::{kind_icon, kind_name};
use super::keys::child_path;
use crate::components::names::NameView;
use crate::hooks::{Names, Navigation};
use atrium_ipc::{AlarmBadges, NodeKind, TreeNode};
use leptos::prelude::*;
use std::collections::HashSet;

/// The keyboard's place in the tree: the row it was last on, and the row Tab lands on.
#[derive(Debug, Clone, Copy)]
pub(super) struct Focus {
    pub(super) focused: RwSignal<Option<String>>,
    pub(super) tab_stop: Memo<Option<String>>,
}

/// What every row reads and changes.
#[derive(Debug, Clone, Copy)]
pub(super) struct Rows {
    pub(super) expanded: RwSignal<HashSet<String>>,
    pub(super) nav: Navigation,
    pub(super) badges: ReadSignal<AlarmBadges>,
    pub(super) focus: Focus,
    pub(super) names: Names,
}

fn is_device(node: &TreeNode) -> bool {
    node.kind == NodeKind::Device || node.entity_type.eq_ignore_ascii_case("DEVICE")
}

/// One node and, while it is open, its children (recursive, hence type-erased).
pub(super) fn tree_node(node: TreeNode, parent: String, level: u32, rows: Rows) -> AnyView {
    let path = child_path(&parent, &node.id);
    if is_device(&node) {
        device_row(node, path, level, rows)
    } else {
        place_row(node, path, level, rows)
    }
}

/// What a row's `<li>` always carries: keyboard focus and the attributes tests and styles use.
struct RowBase {
    tab_index: Box<dyn Fn() -> i32 + Send + Sync>,
    on_focus: Box<dyn Fn(leptos::ev::FocusEvent) + Send + Sync>,
}

fn row_base(path: &str, focus: Focus) -> RowBase {
    let tab_path = path.to_owned();
    let focus_path = path.to_owned();
    RowBase {
        tab_index: Box::new(move || {
            if focus.tab_stop.with(|t| t.as_deref() == Some(tab_path.as_str())) {
                0
            } else {
                -1
            }
        }),
        // A click on a row (or its name) puts the keyboard there too.
        on_focus: Box::new(move |_| {
            if focus.focused.with_untracked(|f| f.as_deref() != Some(focus_path.as_str())) {
                focus.focused.set(Some(focus_path.clone()));
            }
        }),
    }
}

fn device_row(node: TreeNode, path: String, level: u32, rows: Rows) -> AnyView {
    let Rows { nav, badges, focus, names, .. } = rows;
    let RowBase { tab_index, on_focus } = row_base(&path, focus);
    let id = node.id.clone();
    let is_selected = {
        let id = id.clone();
        move || nav.device.with(|s| s.as_deref() == Some(id.as_str()))
    };
    let (selected_aria, selected_current) = (is_selected.clone(), is_selected.clone());
    let open = move |_| nav.open_device(id.clone(), None);
    let title = match node.type_name.as_str() {
        "" => node.name.clone(),
        type_name => format!("{} ({type_name})", node.name),
    };
    view! {
        <li
            class="tree-node device"
            role="treeitem"
            attr:aria-level=level.to_string()
            aria-selected=move || selected_aria().to_string()
            aria-current=move || if selected_current() { Some("true") } else { None }
            tabindex=tab_index
            on:focus=on_focus
            data-path=path
            data-id=node.id.clone()
            data-kind=kind_name(node.kind)
            data-name=node.name.clone()
        >
            <div class="tree-row" class:selected=is_selected>
                <span class="tree-spacer" aria-hidden="true"></span>
                <div class="tree-label" title=title on:click=open>
                    {kind_icon(node.kind)}
                    <NameView name=node.name.clone() label=node.label.clone() names=names class="tree-name" />
                </div>
                {alarm_badge(badges, node.id.clone())}
            </div>
        </li>
    }
    .into_any()
}

fn place_row(node: TreeNode, path: String, level: u32, rows: Rows) -> AnyView {
    let Rows { expanded, nav, badges, focus, names } = rows;
    let RowBase { tab_index, on_focus } = row_base(&path, focus);
    let has_children = !node.children.is_empty();
    let count = node.children.len();
    let is_open = {
        let path = path.clone();
        move || expanded.with(|e| e.contains(&path))
    };
    let toggle = {
        let path = path.clone();
        move |_| {
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
        let is_open = is_open.clone();
        view! {
            <span class="tree-toggle" aria-hidden="true" data-expanded=move || is_open().to_string() on:click=toggle>
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
                            .map(|child| tree_node(child, path.clone(), level + 1, rows))
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
    let id = node.id.clone();
    // The place shown in the detail (not while one of its devices is).
    let is_opened = {
        let id = id.clone();
        move || nav.device.with(Option::is_none) && nav.place.with(|o| o.as_deref() == Some(id.as_str()))
    };
    let opened_aria = is_opened.clone();
    let expanded_aria = {
        let is_open = is_open.clone();
        move || has_children.then(|| is_open().to_string())
    };
    view! {
        <li
            class="tree-node asset"
            class:open=is_open
            role="treeitem"
            attr:aria-level=level.to_string()
            aria-expanded=expanded_aria
            aria-selected=move || opened_aria().to_string()
            tabindex=tab_index
            on:focus=on_focus
            data-path=path
            data-id=node.id.clone()
            data-kind=kind_name(node.kind)
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
                        nav.open_place(id.clone())
                    }
                >
                    {kind_icon(node.kind)}
                    <NameView name=node.name.clone() label=node.label.clone() names=names class="tree-name" />
                    {link_mark(node.link)}
                </div>
                {alarm_badge(badges, node.id.clone())}
                {(!node.link).then(|| view! {
                    <span class="tree-count" title=count_title aria-hidden="true">{count}</span>
                })}
            </div>
            {children_view}
        </li>
    }
    .into_any()
}

/// Marks a place that also hangs under another place, shown in full there (see `TreeNode::link`).
fn link_mark(link: bool) -> impl IntoView {
    link.then(|| {
        view! {
            <span class="tree-link-mark" title="Also in another place higher up, listed there with what it holds">
                "listed above"
            </span>
        }
    })
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
