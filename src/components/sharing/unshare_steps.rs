//! Stopping sharing, after the choice of customer: what will change (to confirm), the run, and
//! what it did.

use super::run_progress::RunProgress;
use super::share_review::ItemList;
use super::share_summary::{FailedList, SummaryCounts};
use super::{things, FlowError, StepTitle};
use crate::hooks::use_sharing::{Flow, Stage};
use atrium_ipc::{UnsharePlan, UnshareSummary};
use leptos::prelude::*;

/// "Taking Room 2.05 and its 7 things back from Customer A" and what stays.
fn change_text(plan: &UnsharePlan) -> String {
    match plan.to_unassign.len() {
        0 => format!("{} has nothing here any more: nothing will change.", plan.customer.title),
        n => format!("{} will lose access to {}:", plan.customer.title, things(n)),
    }
}

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn UnshareReview(
    plan: UnsharePlan,
    flow: Flow<UnsharePlan, UnshareSummary>,
    run: Callback<()>,
) -> impl IntoView {
    let running = move || flow.stage() == Stage::Running;
    let kept = plan.not_theirs.len();
    let missing = plan.missing.len();
    let title = format!("Stop sharing {} with {}", plan.place.name, plan.customer.title);
    let nothing = plan.to_unassign.is_empty();
    view! {
        <div id="unshare-plan" class="flow-step">
            <StepTitle text=title />
            <p id="unshare-change">{change_text(&plan)}</p>
            <ul id="unshare-items" class="plan-items">
                {plan
                    .to_unassign
                    .into_iter()
                    .map(|i| {
                        let key = i.name.clone();
                        view! { <li data-name=key>{i.name}</li> }
                    })
                    .collect_view()}
            </ul>
            {(kept > 0).then(|| view! {
                <p class="muted">{format!("{} here are not theirs and stay as they are.", things(kept))}</p>
            })}
            <ItemList id="unshare-kept" summary="Not theirs" items=plan.not_theirs />
            {(missing > 0).then(|| view! {
                <p class="stale-notice" role="status">
                    {format!("{} in the building on screen no longer exist on the server: reload the building.", things(missing))}
                </p>
            })}
            <FlowError id="unshare-run-error" error=Signal::derive(move || flow.error()) />
            {move || running().then(|| view! { <RunProgress id="unshare-progress" progress=Signal::derive(move || flow.progress()) /> })}
            <div class="flow-actions">
                <button
                    type="button"
                    id="unshare-run"
                    class="button danger touch"
                    disabled=move || running() || nothing
                    on:click=move |_| run.run(())
                >
                    {move || if running() { "Stopping…" } else { "Stop sharing" }}
                </button>
                <button type="button" id="unshare-back" class="button ghost touch" disabled=running on:click=move |_| flow.back()>
                    "Back"
                </button>
            </div>
        </div>
    }
}

#[allow(unreachable_pub)]
#[component]
pub(crate) fn UnshareSummaryView(summary: UnshareSummary, on_close: Callback<()>) -> impl IntoView {
    let counts = vec![
        ("unassigned", summary.unassigned.len(), "No longer theirs"),
        ("unchanged", summary.unchanged.len(), "Already not theirs"),
        ("failed", summary.failed.len(), "Failed"),
    ];
    view! {
        <div id="unshare-summary" class="flow-step">
            <StepTitle text=format!("Stopped sharing with {}", summary.customer.title) />
            <SummaryCounts counts=counts />
            {summary.stopped.map(|why| view! {
                <p id="unshare-stopped" class="form-error" role="alert">{format!("Stopped before the end: {why}")}</p>
            })}
            <FailedList id="unshare-failed" failed=summary.failed />
            <ItemList id="unshare-unassigned" summary="No longer theirs" items=summary.unassigned />
            <div class="flow-actions">
                <button type="button" id="unshare-done" class="button secondary touch" on:click=move |_| on_close.run(())>
                    "Done"
                </button>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use atrium_ipc::{CustomerRef, NodeKind, SharedItem};

    #[test]
    fn the_plan_says_who_loses_what() {
        let item = SharedItem {
            id: "r".into(),
            entity_type: "ASSET".into(),
            name: "Room".into(),
            kind: NodeKind::Room,
        };
        let plan = UnsharePlan {
            place: item.clone(),
            customer: CustomerRef { id: "c".into(), title: "Customer A".into(), email: None },
            to_unassign: vec![item],
            not_theirs: vec![],
            missing: vec![],
        };
        assert_eq!(change_text(&plan), "Customer A will lose access to 1 thing:");
        let none = UnsharePlan { to_unassign: vec![], ..plan };
        assert_eq!(change_text(&none), "Customer A has nothing here any more: nothing will change.");
    }
}
