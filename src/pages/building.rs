//! The building screen: the header, the building tree, and the detail pane (the opened place,
//! the device shown, or the alarms) under a breadcrumb. A phone shows one of them at a time, a
//! level per screen; a wider window shows the tree beside the detail and can fold it away.

use crate::components::account_menu::AccountMenu;
use crate::components::alarms_panel::AlarmsPanel;
use crate::components::breadcrumb::Breadcrumb;
use crate::components::connection_badge::ConnectionBadge;
use crate::components::device_panel::DevicePanel;
use crate::components::node_panel::NodePanel;
use crate::components::offline_banner::OfflineBanner;
use crate::components::tree::BuildingTree;
use crate::context::use_app;
use crate::hooks::{Building, Navigation};
use atrium_ipc::{NodeKind, SessionInfo, DEFAULT_AVERAGE_KEY};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// What the detail pane shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pane {
    /// Nothing chosen yet: on a phone, the tree is the screen.
    Start,
    Alarms,
    Node,
    Device,
}

/// Whether a key press belongs to a field (or a dialog) rather than to the page.
fn typing_or_in_dialog(ev: &web_sys::KeyboardEvent) -> bool {
    let Some(target) = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else { return false };
    matches!(target.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
        || target.closest("[role=dialog], [role=alertdialog]").ok().flatten().is_some()
}

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn BuildingPage(session: SessionInfo) -> impl IntoView {
    let building = Building::start();
    let nav = Navigation::start(building, Some(format!("{}|{}", session.server_url, session.user_email)));
    // The place and device of the last run, once the tree is there to check them against.
    Effect::new(move |_| {
        if building.nodes().is_some() {
            nav.restore();
        }
    });
    // What the places' rollups average, kept across places, devices and the alarms.
    let average_key = RwSignal::new(DEFAULT_AVERAGE_KEY.to_owned());
    let alarm_scope = Signal::derive(move || nav.device.get().or_else(|| nav.place.get()));
    let close_alarms = Callback::new(move |()| nav.up());
    // A row of a place's table: the child place opens, or the device is shown from this place.
    let open_row = Callback::new(move |(id, kind): (String, NodeKind)| {
        if kind == NodeKind::Device {
            nav.open_device(id, nav.place.get_untracked());
        } else {
            nav.open_place(id);
        }
    });
    // A click on an alarm's notification: every alarm of the building, that one brought into view.
    let highlight = RwSignal::new(None::<String>);
    let app = use_app();
    Effect::new(move |_| {
        if let Some(alarm_id) = app.take_open_alarm() {
            nav.home();
            highlight.set(Some(alarm_id));
            nav.toggle_alarms();
        }
    });
    // Escape goes up a level, unless a field or a dialog has a use for it. Removed with the page,
    // which a sign-out unmounts while the window lives on.
    let escape = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "Escape" && !ev.default_prevented() && !typing_or_in_dialog(&ev) {
            nav.up();
        }
    });
    on_cleanup(move || escape.remove());
    let pane = Memo::new(move |_| {
        if nav.alarms.get() {
            Pane::Alarms
        } else if nav.device.with(Option::is_some) {
            Pane::Device
        } else if nav.place.with(Option::is_some) {
            Pane::Node
        } else {
            Pane::Start
        }
    });
    let screen = move || if pane.get() == Pane::Start { "tree" } else { "detail" };

    view! {
        <div class="building-screen">
            <header class="app-header">
                <div class="app-title">
                    <div class="brand-mark small" aria-hidden="true"></div>
                    <span class="app-name">"Atrium"</span>
                </div>
                <div class="header-actions">
                    <button
                        type="button"
                        id="alarms-button"
                        class="button ghost touch"
                        aria-pressed=move || nav.alarms.get().to_string()
                        on:click=move |_| nav.toggle_alarms()
                    >
                        "Alarms"
                    </button>
                    <ConnectionBadge />
                    <AccountMenu session=session />
                </div>
            </header>
            <OfflineBanner shown_as_of=building.shown_as_of />
            <main class="workspace" data-screen=screen data-tree=move || if nav.tree_hidden.get() { "hidden" } else { "shown" }>
                <aside class="panel tree-panel" aria-label="Building">
                    <h2 class="panel-title">"Building"</h2>
                    <BuildingTree />
                </aside>
                <div class="detail-pane">
                    <Breadcrumb />
                    {move || match pane.get() {
                        Pane::Alarms => view! { <AlarmsPanel scope=alarm_scope highlight=highlight on_close=close_alarms /> }.into_any(),
                        Pane::Node => view! { <NodePanel opened=nav.place average_key=average_key open_row=open_row /> }.into_any(),
                        Pane::Device | Pane::Start => view! { <DevicePanel selected=nav.device /> }.into_any(),
                    }}
                </div>
            </main>
        </div>
    }
}
