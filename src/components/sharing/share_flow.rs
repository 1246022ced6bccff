//! "Share this place": the form (a customer, optionally a user), then the plan to review, the
//! run with its progress, and the summary.

use super::customer_picker::CustomerPicker;
use super::share_review::ShareReview;
use super::share_summary::ShareSummaryView;
use super::{FlowError, StepTitle};
use crate::hooks::use_sharing::{Flow, ShareDraft, Stage};
use crate::ipc;
use atrium_ipc::{OnConflict, ShareArgs, SharePlan, ShareSummary};
use leptos::prelude::*;

/// What the flow shows: a step's contents change within a screen, not the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Screen {
    Form,
    Plan,
    Summary,
}

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn ShareFlow(node_id: String, on_changed: Callback<()>, on_close: Callback<()>) -> impl IntoView {
    let flow = Flow::<SharePlan, ShareSummary>::new();
    let draft = RwSignal::new(ShareDraft::default());
    // Nothing moves away from another customer unless the manager says so.
    let on_conflict = RwSignal::new(OnConflict::Skip);
    let screen = Memo::new(move |_| match flow.stage() {
        Stage::Editing | Stage::Planning => Screen::Form,
        Stage::Review | Stage::Running => Screen::Plan,
        Stage::Done => Screen::Summary,
    });
    // The access list above says who has it now.
    Effect::new(move |_| {
        if screen.get() == Screen::Summary {
            on_changed.run(());
        }
    });
    let review = Callback::new(move |()| match draft.with_untracked(|d| d.request(&node_id)) {
        Ok(args) => flow.plan(async move { ipc::plan_share(&args).await }),
        Err(why) => flow.refuse(why),
    });
    let run = Callback::new(move |()| {
        let on_conflict = on_conflict.get_untracked();
        flow.run(move |plan, progress| async move {
            ipc::share(&ShareArgs { plan, on_conflict }, progress).await
        });
    });
    view! {
        <div id="share-flow" class="flow">
            {move || match screen.get() {
                Screen::Form => view! { <ShareForm draft=draft flow=flow review=review on_close=on_close /> }.into_any(),
                Screen::Plan => flow
                    .current_plan()
                    .map(|plan| view! { <ShareReview plan=plan flow=flow on_conflict=on_conflict run=run /> })
                    .into_any(),
                Screen::Summary => flow
                    .summary()
                    .map(|summary| view! { <ShareSummaryView summary=summary on_close=on_close /> })
                    .into_any(),
            }}
        </div>
    }
}

/// The customer to share with and, optionally, a user to create for them.
#[component]
fn ShareForm(
    draft: RwSignal<ShareDraft>,
    flow: Flow<SharePlan, ShareSummary>,
    review: Callback<()>,
    on_close: Callback<()>,
) -> impl IntoView {
    let planning = move || flow.stage() == Stage::Planning;
    // A memo: the user's fields are rebuilt when they appear, not with each key typed.
    let with_user = Memo::new(move |_| draft.with(|d| d.with_user));
    let text_field = move |id: &'static str,
                           label: &'static str,
                           kind: &'static str,
                           autocomplete: &'static str,
                           get: fn(&ShareDraft) -> &String,
                           set: fn(&mut ShareDraft, String)| {
        view! {
            <label class="field" for=id>
                <span class="field-label">{label}</span>
                <input
                    id=id
                    type=kind
                    autocomplete=autocomplete
                    prop:value=move || draft.with(|d| get(d).clone())
                    on:input=move |ev| draft.update(|d| set(d, event_target_value(&ev)))
                />
            </label>
        }
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        review.run(());
    };
    view! {
        <form id="share-form" class="flow-step" on:submit=on_submit>
            <StepTitle text="Share this place" />
            <CustomerPicker draft=draft />
            <fieldset class="flow-fieldset">
                <legend class="field-label">"A person to give access"</legend>
                <label class="choice" for="share-with-user">
                    <input
                        id="share-with-user"
                        type="checkbox"
                        prop:checked=move || with_user.get()
                        on:change=move |ev| draft.update(|d| d.with_user = event_target_checked(&ev))
                    />
                    <span>"Also create a user for this customer"</span>
                </label>
                {move || with_user.get().then(|| view! {
                    <div class="flow-fields">
                        {text_field("share-user-email", "E-mail address", "email", "off", |d| &d.user_email, |d, v| d.user_email = v)}
                        {text_field("share-user-first", "First name (optional)", "text", "off", |d| &d.first_name, |d, v| d.first_name = v)}
                        {text_field("share-user-last", "Last name (optional)", "text", "off", |d| &d.last_name, |d, v| d.last_name = v)}
                        <p class="field-hint">
                            "Atrium sends no e-mail: after sharing you get a link to pass on, with which they set their password."
                        </p>
                    </div>
                })}
            </fieldset>
            <FlowError id="share-error" error=Signal::derive(move || flow.error()) />
            <div class="flow-actions">
                <button type="submit" id="share-review" class="button primary touch" disabled=planning>
                    {move || if planning() { "Reading the place…" } else { "Review" }}
                </button>
                <button type="button" id="share-cancel" class="button ghost touch" on:click=move |_| on_close.run(())>
                    "Cancel"
                </button>
            </div>
        </form>
    }
}
