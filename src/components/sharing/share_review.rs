//! A share plan to review before anything changes: what gets access, what the customer already
//! has, and what belongs to other customers (skipped unless the manager chooses to move it,
//! which takes it away from them), then the run with its progress.

use super::run_progress::RunProgress;
use super::{things, FlowError, StepTitle};
use crate::hooks::use_sharing::{Flow, Stage};
use atrium_ipc::{OnConflict, ShareConflict, SharePlan, ShareSummary, SharedItem};
use leptos::prelude::*;

/// "Share Room 2.05 with Flat 2.05 (a new customer)".
fn title_text(plan: &SharePlan) -> String {
    let new = if plan.customer.id.is_none() { " (a new customer)" } else { "" };
    format!("Share {} with {}{new}", plan.place.name, plan.customer.title)
}

/// What happens to the plan's user.
fn user_text(plan: &SharePlan) -> Option<String> {
    let user = plan.user.as_ref()?;
    Some(if user.exists {
        format!(
            "{} is already a user of this customer: you get their activation link again, unless they have activated their account.",
            user.email
        )
    } else {
        format!("A user will be created for {}, with a link to activate the account.", user.email)
    })
}

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn ShareReview(
    plan: SharePlan,
    flow: Flow<SharePlan, ShareSummary>,
    on_conflict: RwSignal<OnConflict>,
    run: Callback<()>,
) -> impl IntoView {
    let running = move || flow.stage() == Stage::Running;
    let counts = [
        ("assign", plan.to_assign.len(), "to give access to"),
        ("already", plan.already.len(), "already theirs"),
        ("conflicts", plan.conflicts.len(), "belonging to other customers"),
    ];
    let missing = plan.missing.len();
    let nothing_to_do = plan.to_assign.is_empty() && plan.conflicts.is_empty() && plan.customer.id.is_some();
    view! {
        <div id="share-plan" class="flow-step">
            <StepTitle text=title_text(&plan) />
            <ul class="plan-counts">
                {counts
                    .into_iter()
                    .map(|(key, n, what)| view! {
                        <li data-count=key><strong class="plan-count">{n}</strong>" "{what}</li>
                    })
                    .collect_view()}
            </ul>
            {nothing_to_do.then(|| view! { <p class="muted">"Nothing to give: everything here is already theirs or another customer's."</p> })}
            <ItemList id="share-plan-items" summary="What gets access" items=plan.to_assign.clone() />
            {(!plan.conflicts.is_empty()).then(|| view! { <Conflicts conflicts=plan.conflicts.clone() on_conflict=on_conflict running=Signal::derive(running) /> })}
            {(missing > 0).then(|| view! {
                <p class="stale-notice" role="status">
                    {format!("{} in the building on screen no longer exist on the server and are left out: reload the building.", things(missing))}
                </p>
            })}
            {user_text(&plan).map(|t| view! { <p id="share-plan-user" class="plan-user">{t}</p> })}
            <FlowError id="share-run-error" error=Signal::derive(move || flow.error()) />
            {move || running().then(|| view! { <RunProgress id="share-progress" progress=Signal::derive(move || flow.progress()) /> })}
            <div class="flow-actions">
                <button type="button" id="share-run" class="button primary touch" disabled=running on:click=move |_| run.run(())>
                    {move || if running() { "Sharing…" } else { "Share" }}
                </button>
                <button type="button" id="share-back" class="button ghost touch" disabled=running on:click=move |_| flow.back()>
                    "Back"
                </button>
            </div>
        </div>
    }
}

/// What another customer has, and the choice of what to do with it.
#[component]
fn Conflicts(
    conflicts: Vec<ShareConflict>,
    on_conflict: RwSignal<OnConflict>,
    running: Signal<bool>,
) -> impl IntoView {
    let choice = move |value: OnConflict, id: &'static str, label: &'static str| {
        view! {
            <label class="choice" for=id>
                <input
                    id=id
                    type="radio"
                    name="share-conflict"
                    disabled=running
                    prop:checked=move || on_conflict.get() == value
                    on:change=move |_| on_conflict.set(value)
                />
                <span>{label}</span>
            </label>
        }
    };
    view! {
        <div class="confirm-box warn conflicts">
            <p>{format!("{} already belong to other customers:", things(conflicts.len()))}</p>
            <ul id="share-conflicts" class="plan-items">
                {conflicts
                    .into_iter()
                    .map(|c| {
                        let key = c.item.name.clone();
                        view! {
                        <li class="share-conflict" data-name=key>
                            <span class="plan-item-name">{c.item.name}</span>
                            <span class="muted">{format!(" · {}", c.customer_title)}</span>
                        </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <fieldset class="flow-fieldset">
                <legend class="field-label">"What to do with them"</legend>
                {choice(OnConflict::Skip, "conflict-skip", "Skip: they stay with their customer")}
                {choice(OnConflict::Move, "conflict-move", "Move: their current customer loses access")}
            </fieldset>
        </div>
    }
}

/// A folded list of items, with how many.
#[allow(unreachable_pub)]
#[component]
pub(super) fn ItemList(id: &'static str, summary: &'static str, items: Vec<SharedItem>) -> impl IntoView {
    (!items.is_empty()).then(|| {
        let n = items.len();
        view! {
            <details id=id class="plan-list">
                <summary class="touch">{format!("{summary} ({n})")}</summary>
                <ul class="plan-items">
                    {items.into_iter().map(|i| {
                        let key = i.name.clone();
                        view! { <li data-name=key>{i.name}</li> }
                    }).collect_view()}
                </ul>
            </details>
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use atrium_ipc::{NodeKind, PlannedCustomer, PlannedUser};

    fn plan() -> SharePlan {
        SharePlan {
            place: SharedItem {
                id: "r".into(),
                entity_type: "ASSET".into(),
                name: "Room 2.05".into(),
                kind: NodeKind::Room,
            },
            customer: PlannedCustomer { id: None, title: "Flat 2.05".into(), email: None },
            to_assign: vec![],
            already: vec![],
            conflicts: vec![],
            missing: vec![],
            user: None,
        }
    }

    #[test]
    fn a_plan_says_who_it_shares_with_and_what_happens_to_the_user() {
        assert_eq!(title_text(&plan()), "Share Room 2.05 with Flat 2.05 (a new customer)");
        assert_eq!(user_text(&plan()), None);
        let user = PlannedUser { email: "a@x".into(), first_name: None, last_name: None, exists: false };
        let with_user = SharePlan { user: Some(user), ..plan() };
        assert_eq!(
            user_text(&with_user).unwrap(),
            "A user will be created for a@x, with a link to activate the account."
        );
    }
}
