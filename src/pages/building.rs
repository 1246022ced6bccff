//! The building screen: header, the building tree on the left, the opened place or the selected
//! device on the right.

use crate::app::use_app;
use crate::components::connection_badge::ConnectionBadge;
use crate::components::device_panel::DevicePanel;
use crate::components::node_panel::NodePanel;
use crate::components::tree::BuildingTree;
use crate::ipc;
use atrium_ipc::SessionInfo;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// The server's host, for the header (the full URL is in the tooltip).
fn server_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split('/').next().filter(|h| !h.is_empty()).unwrap_or(url)
}

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn BuildingPage(session: SessionInfo) -> impl IntoView {
    let app = use_app();
    let selected = RwSignal::new(None::<String>);
    let opened = RwSignal::new(None::<String>);
    // The right pane: the opened place, else the selected device (switching only re-renders on a change of kind).
    let showing_node = Memo::new(move |_| opened.with(Option::is_some));
    let signing_out = RwSignal::new(false);

    let sign_out = move |_| {
        if signing_out.get_untracked() {
            return;
        }
        signing_out.set(true);
        spawn_local(async move {
            // The session is over for the person either way; a failed logout is only logged.
            if let Err(err) = ipc::logout().await {
                ipc::log_error("logout", &err);
            }
            app.signed_out(None);
        });
    };

    let who = if session.display_name.trim().is_empty() {
        session.user_email.clone()
    } else {
        session.display_name.clone()
    };
    let session_view = if session.demo {
        view! {
            <span id="session-info" class="session-info">
                <span id="demo-badge" class="badge badge-demo">"Demo building"</span>
                <span class="session-user">{who}</span>
            </span>
        }
        .into_any()
    } else {
        let host = server_host(&session.server_url).to_owned();
        let title = format!("{} on {}", session.user_email, session.server_url);
        view! {
            <span id="session-info" class="session-info" title=title>
                <span class="session-server">{host}</span>
                <span class="session-sep" aria-hidden="true">"·"</span>
                <span class="session-user">{who}</span>
            </span>
        }
        .into_any()
    };

    view! {
        <div class="building-screen">
            <header class="app-header">
                <div class="app-title">
                    <div class="brand-mark small" aria-hidden="true"></div>
                    <span class="app-name">"Atrium"</span>
                </div>
                {session_view}
                <div class="header-actions">
                    <ConnectionBadge />
                    <button
                        id="sign-out"
                        type="button"
                        class="button ghost"
                        on:click=sign_out
                        disabled=move || signing_out.get()
                    >
                        {move || if signing_out.get() { "Signing out…" } else { "Sign out" }}
                    </button>
                </div>
            </header>
            <main class="workspace">
                <aside class="panel tree-panel" aria-label="Building">
                    <h2 class="panel-title">"Building"</h2>
                    <BuildingTree selected=selected opened=opened />
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

#[cfg(test)]
mod tests {
    use super::server_host;

    #[test]
    fn host_is_taken_from_the_url() {
        assert_eq!(server_host("https://tb.example.com:8080/x"), "tb.example.com:8080");
        assert_eq!(server_host("tb.example.com"), "tb.example.com");
    }
}
