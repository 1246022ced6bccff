//! The building screen: header, the building tree on the left, the opened place or the selected
//! device on the right, or the alarms of either (of everything when neither is chosen).

use crate::app::use_app;
use crate::components::account_menu::AccountMenu;
use crate::components::alarms_panel::AlarmsPanel;
use crate::components::connection_badge::ConnectionBadge;
use crate::components::device_panel::DevicePanel;
use crate::components::node_panel::NodePanel;
use crate::components::offline_banner::OfflineBanner;
use crate::components::tree::{reveal_panel, BuildingTree};
use atrium_ipc::{NodeKind, SessionInfo, DEFAULT_AVERAGE_KEY};
use leptos::prelude::*;

/// What the right pane shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pane {
    Alarms,
    Node,
    Device,
}

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn BuildingPage(session: SessionInfo) -> impl IntoView {
    let selected = RwSignal::new(None::<String>);
    let opened = RwSignal::new(None::<String>);
    // What the places' rollups average, kept across places, devices and the alarms.
    let average_key = RwSignal::new(DEFAULT_AVERAGE_KEY.to_owned());
    // The right pane: the opened place, else the selected device (switching only re-renders on a change of kind).
    let showing_node = Memo::new(move |_| opened.with(Option::is_some));
    // When the building on screen was read, while it is the cached one (ms since the epoch).
    let shown_as_of = RwSignal::new(None::<f64>);
    // The alarms replace the right pane while open; choosing another place or device shows them
    // for it.
    let alarms_open = RwSignal::new(false);
    let alarm_scope = Signal::derive(move || opened.get().or_else(|| selected.get()));
    let close_alarms = Callback::new(move |()| alarms_open.set(false));
    // A row of a place's table: the child place opens, or the device is shown.
    let open_row = Callback::new(move |(id, kind): (String, NodeKind)| {
        if kind == NodeKind::Device {
            opened.set(None);
            selected.set(Some(id));
        } else {
            opened.set(Some(id));
        }
        request_animation_frame(reveal_panel);
    });
    // A click on an alarm's notification: every alarm of the building, that one brought into view.
    let highlight = RwSignal::new(None::<String>);
    let app = use_app();
    Effect::new(move |_| {
        if let Some(alarm_id) = app.take_open_alarm() {
            opened.set(None);
            selected.set(None);
            highlight.set(Some(alarm_id));
            alarms_open.set(true);
            request_animation_frame(reveal_panel);
        }
    });
    let pane = Memo::new(move |_| {
        if alarms_open.get() {
            Pane::Alarms
        } else if showing_node.get() {
            Pane::Node
        } else {
            Pane::Device
        }
    });

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
                        aria-pressed=move || alarms_open.get().to_string()
                        on:click=move |_| {
                            alarms_open.update(|open| *open = !*open);
                            // On a phone the pane is below the tree: bring it into view once drawn.
                            request_animation_frame(reveal_panel);
                        }
                    >
                        "Alarms"
                    </button>
                    <ConnectionBadge />
                    <AccountMenu session=session />
                </div>
            </header>
            <OfflineBanner shown_as_of=shown_as_of />
            <main class="workspace">
                <aside class="panel tree-panel" aria-label="Building">
                    <h2 class="panel-title">"Building"</h2>
                    <BuildingTree selected=selected opened=opened shown_as_of=shown_as_of />
                </aside>
                {move || match pane.get() {
                    Pane::Alarms => view! { <AlarmsPanel scope=alarm_scope highlight=highlight on_close=close_alarms /> }.into_any(),
                    Pane::Node => view! { <NodePanel opened=opened average_key=average_key open_row=open_row /> }.into_any(),
                    Pane::Device => view! { <DevicePanel selected=selected /> }.into_any(),
                }}
            </main>
        </div>
    }
}
