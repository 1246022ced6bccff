//! "Stop sharing": one of the customers that have access, then what will change, a
//! confirmation, the run with its progress, and the summary.

use super::unshare_steps::{UnshareReview, UnshareSummaryView};
use super::{FlowError, StepTitle};
use crate::hooks::use_sharing::{Access, Flow, Loadable, Stage};
use crate::ipc;
use atrium_ipc::{CustomerChoice, CustomerRef, PlanUnshareArgs, UnshareArgs, UnsharePlan, UnshareSummary};
use leptos::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Screen {
    Choose,
    Plan,
    Summary,
}

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn UnshareFlow(
    node_id: String,
    access: Access,
    on_changed: Callback<()>,
    on_close: Callback<()>,
) -> impl IntoView {
    let flow = Flow::<UnsharePlan, UnshareSummary>::new();
    // The customers that have the place or something in it, as the list above shows them.
    let customers = Memo::new(move |_| match access.reader.get() {
        Loadable::Loaded(a) => a.customers.into_iter().map(|c| c.customer).collect::<Vec<_>>(),
        _ => Vec::new(),
    });
    let chosen = RwSignal::new(None::<String>);
    // With one customer, that is the choice.
    Effect::new(move |_| {
        if let [only] = customers.get().as_slice() {
            chosen.set(Some(only.id.clone()));
        }
    });
    let screen = Memo::new(move |_| match flow.stage() {
        Stage::Editing | Stage::Planning => Screen::Choose,
        Stage::Review | Stage::Running => Screen::Plan,
        Stage::Done => Screen::Summary,
    });
    Effect::new(move |_| {
        if screen.get() == Screen::Summary {
            on_changed.run(());
        }
    });
    let review = Callback::new(move |()| match chosen.get_untracked() {
        Some(customer_id) => {
            let args =
                PlanUnshareArgs { node_id: node_id.clone(), customer: CustomerChoice::Id { customer_id } };
            flow.plan(async move { ipc::plan_unshare(&args).await });
        }
        None => flow.refuse("Choose the customer to stop sharing with."),
    });
    let run = Callback::new(move |()| {
        flow.run(move |plan, progress| async move { ipc::unshare(&UnshareArgs { plan }, progress).await });
    });
    view! {
        <div id="unshare-flow" class="flow">
            {move || match screen.get() {
                Screen::Choose => view! {
                    <ChooseCustomer customers=customers chosen=chosen flow=flow review=review on_close=on_close />
                }
                .into_any(),
                Screen::Plan => flow
                    .current_plan()
                    .map(|plan| view! { <UnshareReview plan=plan flow=flow run=run /> })
                    .into_any(),
                Screen::Summary => flow
                    .summary()
                    .map(|summary| view! { <UnshareSummaryView summary=summary on_close=on_close /> })
                    .into_any(),
            }}
        </div>
    }
}

#[component]
fn ChooseCustomer(
    customers: Memo<Vec<CustomerRef>>,
    chosen: RwSignal<Option<String>>,
    flow: Flow<UnsharePlan, UnshareSummary>,
    review: Callback<()>,
    on_close: Callback<()>,
) -> impl IntoView {
    let planning = move || flow.stage() == Stage::Planning;
    let options = move || {
        customers
            .get()
            .into_iter()
            .map(|c| {
                let input_id = format!("unshare-customer-{}", c.id);
                let label_for = input_id.clone();
                let data_title = c.title.clone();
                let id = c.id.clone();
                let checked = {
                    let id = id.clone();
                    move || chosen.with(|x| x.as_deref() == Some(id.as_str()))
                };
                view! {
                    <label class="choice customer-option" for=label_for data-title=data_title>
                        <input
                            id=input_id
                            type="radio"
                            name="unshare-customer"
                            value=id.clone()
                            prop:checked=checked
                            on:change=move |_| chosen.set(Some(id.clone()))
                        />
                        <span class="choice-text">
                            <span class="choice-title">{c.title}</span>
                            {c.email.map(|e| view! { <span class="muted choice-detail">{e}</span> })}
                        </span>
                    </label>
                }
            })
            .collect_view()
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        review.run(());
    };
    view! {
        <form id="unshare-form" class="flow-step" on:submit=on_submit>
            <StepTitle text="Stop sharing this place" />
            <fieldset class="flow-fieldset">
                <legend class="field-label">"With which customer"</legend>
                <div class="choice-list">{options}</div>
            </fieldset>
            <p class="field-hint">"Nothing changes yet: the next step lists what they will lose."</p>
            <FlowError id="unshare-error" error=Signal::derive(move || flow.error()) />
            <div class="flow-actions">
                <button type="submit" id="unshare-review" class="button primary touch" disabled=planning>
                    {move || if planning() { "Reading the place…" } else { "Review" }}
                </button>
                <button type="button" id="unshare-cancel" class="button ghost touch" on:click=move |_| on_close.run(())>
                    "Cancel"
                </button>
            </div>
        </form>
    }
}
