//! The building screen: header, the building tree on the left, the opened place or the selected
//! device on the right.

use crate::components::account_menu::AccountMenu;
use crate::components::connection_badge::ConnectionBadge;
use crate::components::device_panel::DevicePanel;
use crate::components::node_panel::NodePanel;
use crate::components::offline_banner::OfflineBanner;
use crate::components::tree::BuildingTree;
use atrium_ipc::SessionInfo;
use leptos::prelude::*;

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn BuildingPage(session: SessionInfo) -> impl IntoView {
    let selected = RwSignal::new(None::<String>);
    let opened = RwSignal::new(None::<String>);
    // The right pane: the opened place, else the selected device (switching only re-renders on a change of kind).
    let showing_node = Memo::new(move |_| opened.with(Option::is_some));
    // When the building on screen was read, while it is the cached one (ms since the epoch).
    let shown_as_of = RwSignal::new(None::<f64>);

    view! {
        <div class="building-screen">
            <header class="app-header">
                <div class="app-title">
                    <div class="brand-mark small" aria-hidden="true"></div>
                    <span class="app-name">"Atrium"</span>
                </div>
                <div class="header-actions">
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
                {move || if showing_node.get() {
                    view! { <NodePanel opened=opened /> }.into_any()
                } else {
                    view! { <DevicePanel selected=selected /> }.into_any()
                }}
            </main>
        </div>
    }
}
