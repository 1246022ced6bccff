//! A place's "Access" section: who has access to it (the customers that have it or something
//! below it, with their users), and sharing it with a customer or stopping.
//! Only tenant administrators see it at all: only they may read or change it (the backend
//! refuses anyone else too). Folded until opened, as reading it asks for the owner of
//! everything below the place.

mod access_list;
mod activation_link;
mod customer_picker;
mod run_progress;
mod share_flow;
mod share_review;
mod share_summary;
mod unshare_flow;
mod unshare_steps;

use crate::context::use_app;
use crate::hooks::use_sharing::{is_tenant_admin, use_place_access, Access, Loadable};
use access_list::AccessList;
use leptos::prelude::*;
use share_flow::ShareFlow;
use unshare_flow::UnshareFlow;

/// Which change is under way below the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Share,
    Unshare,
}

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn AccessSection(node_id: String) -> impl IntoView {
    let app = use_app();
    let admin = Memo::new(move |_| app.session().is_some_and(|s| is_tenant_admin(&s.authority)));
    move || admin.get().then(|| view! { <AccessPanel node_id=node_id.clone() /> })
}

#[component]
fn AccessPanel(node_id: String) -> impl IntoView {
    let access = use_place_access(node_id.clone());
    let action = RwSignal::new(None::<Action>);
    let details = NodeRef::<leptos::html::Details>::new();
    // Read the first time the section is opened.
    let on_toggle = move |_| {
        if details.get().is_some_and(|d| d.open()) && access.reader.is_idle() {
            access.load();
        }
    };
    let changed = Callback::new(move |()| access.load());
    let close = Callback::new(move |()| action.set(None));
    let has_customers = move || matches!(access.reader.get(), Loadable::Loaded(a) if !a.customers.is_empty());
    let buttons = move || {
        action.get().is_none().then(|| {
            view! {
                <div class="flow-actions access-actions">
                    <button
                        type="button"
                        id="share-open"
                        class="button primary touch"
                        on:click=move |_| action.set(Some(Action::Share))
                    >
                        "Share this place…"
                    </button>
                    {move || has_customers().then(|| view! {
                        <button
                            type="button"
                            id="unshare-open"
                            class="button secondary touch"
                            on:click=move |_| action.set(Some(Action::Unshare))
                        >
                            "Stop sharing…"
                        </button>
                    })}
                </div>
            }
        })
    };
    let flow = move || {
        let node_id = node_id.clone();
        match action.get() {
            None => ().into_any(),
            Some(Action::Share) => {
                view! { <ShareFlow node_id=node_id on_changed=changed on_close=close /> }.into_any()
            }
            Some(Action::Unshare) => view! {
                <UnshareFlow node_id=node_id access=access on_changed=changed on_close=close />
            }
            .into_any(),
        }
    };
    view! {
        <section class="device-section access-section" aria-labelledby="access-title">
            <details id="access-section" class="access-details" node_ref=details on:toggle=on_toggle>
                <summary class="touch">
                    <h3 id="access-title" class="section-title">"Access"</h3>
                </summary>
                <div class="access-body">
                    <h4 class="access-subtitle">"Who has access"</h4>
                    <AccessState access=access />
                    {buttons}
                    {flow}
                </div>
            </details>
        </section>
    }
}

/// The list as it loads, or why it could not.
#[component]
fn AccessState(access: Access) -> impl IntoView {
    move || match access.reader.get() {
        Loadable::Idle | Loadable::Loading => view! {
            <p class="muted loading" aria-busy="true">
                <span class="spinner" aria-hidden="true"></span>
                "Reading who has access…"
            </p>
        }
        .into_any(),
        Loadable::Failed(err) => view! {
            <div id="access-error" class="inline-error" role="alert">
                <p>{err.message}</p>
                <button type="button" class="button secondary small touch" on:click=move |_| access.load()>
                    "Retry"
                </button>
            </div>
        }
        .into_any(),
        Loadable::Loaded(place) => view! { <AccessList access=place /> }.into_any(),
    }
}

/// A flow step's heading, focused when the step appears so keyboard and screen-reader users
/// land on it.
#[component]
fn StepTitle(#[prop(into)] text: Signal<String>) -> impl IntoView {
    let heading = NodeRef::<leptos::html::H4>::new();
    Effect::new(move |_| {
        if let Some(h) = heading.get() {
            let _ = h.focus();
        }
    });
    view! { <h4 class="flow-title" tabindex="-1" node_ref=heading>{text}</h4> }
}

/// A flow's error: the server's sentence (a refusal included).
#[component]
fn FlowError(id: &'static str, error: Signal<Option<String>>) -> impl IntoView {
    move || error.get().map(|e| view! { <p id=id class="form-error" role="alert">{e}</p> })
}

/// "1 thing", "12 things".
fn things(n: usize) -> String {
    match n {
        1 => "1 thing".to_owned(),
        n => format!("{n} things"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_read_well() {
        assert_eq!(super::things(1), "1 thing");
        assert_eq!(super::things(0), "0 things");
    }
}
