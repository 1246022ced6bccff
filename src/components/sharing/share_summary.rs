//! What a share run did: counts, what failed and why, where it stopped, and the user's
//! activation link.

use super::activation_link::ActivationLink;
use super::share_review::ItemList;
use super::StepTitle;
use atrium_ipc::{FailedItem, ShareConflict, ShareSummary, SharedUser};
use leptos::prelude::*;

/// "Shared with Flat 2.05 (a new customer)", or that nothing changed.
fn title_text(summary: &ShareSummary) -> String {
    let new = if summary.customer_created { " (a new customer)" } else { "" };
    let user_created = summary.user.as_ref().is_some_and(|u| u.created);
    let changed =
        summary.customer_created || user_created || !summary.assigned.is_empty() || !summary.moved.is_empty();
    match changed {
        true => format!("Shared with {}{new}", summary.customer.title),
        false => format!("Nothing changed for {}", summary.customer.title),
    }
}

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn ShareSummaryView(summary: ShareSummary, on_close: Callback<()>) -> impl IntoView {
    let counts = [
        ("assigned", summary.assigned.len(), "Given access"),
        ("moved", summary.moved.len(), "Moved from another customer"),
        ("skipped", summary.skipped.len(), "Left with another customer"),
        ("already", summary.already.len(), "Already theirs"),
        ("failed", summary.failed.len(), "Failed"),
    ];
    view! {
        <div id="share-summary" class="flow-step">
            <StepTitle text=title_text(&summary) />
            <SummaryCounts counts=counts.to_vec() />
            {summary.stopped.clone().map(|why| view! {
                <p id="share-stopped" class="form-error" role="alert">{format!("Stopped before the end: {why}")}</p>
            })}
            {summary.user.clone().map(|user| view! { <UserOutcome user=user /> })}
            <FailedList id="share-failed" failed=summary.failed.clone() />
            <ConflictList id="share-skipped" summary="Left with another customer" conflicts=summary.skipped.clone() />
            <ConflictList id="share-moved" summary="Moved from another customer" conflicts=summary.moved.clone() />
            <ItemList id="share-assigned" summary="Given access" items=summary.assigned.clone() />
            <div class="flow-actions">
                <button type="button" id="share-done" class="button secondary touch" on:click=move |_| on_close.run(())>
                    "Done"
                </button>
            </div>
        </div>
    }
}

/// Counts as a list of "term: number" pairs, each marked with its key for tests and styles.
#[allow(unreachable_pub)]
#[component]
pub(super) fn SummaryCounts(counts: Vec<(&'static str, usize, &'static str)>) -> impl IntoView {
    view! {
        <dl class="summary-counts">
            {counts
                .into_iter()
                .map(|(key, n, label)| view! {
                    <div class="summary-count" data-count=key data-value=n.to_string() class:zero=n == 0>
                        <dt>{label}</dt>
                        <dd>{n}</dd>
                    </div>
                })
                .collect_view()}
        </dl>
    }
}

/// What failed, each with the server's reason; open, as it needs reading.
#[allow(unreachable_pub)]
#[component]
pub(super) fn FailedList(id: &'static str, failed: Vec<FailedItem>) -> impl IntoView {
    (!failed.is_empty()).then(|| {
        view! {
            <div class="failed-box">
                <p class="field-label">"Failed, and why"</p>
                <ul id=id class="plan-items">
                    {failed
                        .into_iter()
                        .map(|f| {
                            let key = f.item.name.clone();
                            view! {
                            <li data-name=key>
                                <span class="plan-item-name">{f.item.name}</span>
                                <span class="muted">{format!(": {}", f.reason)}</span>
                            </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </div>
        }
    })
}

#[component]
fn ConflictList(id: &'static str, summary: &'static str, conflicts: Vec<ShareConflict>) -> impl IntoView {
    (!conflicts.is_empty()).then(|| {
        let n = conflicts.len();
        view! {
            <details id=id class="plan-list">
                <summary class="touch">{format!("{summary} ({n})")}</summary>
                <ul class="plan-items">
                    {conflicts
                        .into_iter()
                        .map(|c| {
                            let key = c.item.name.clone();
                            view! {
                            <li data-name=key>
                                <span class="plan-item-name">{c.item.name}</span>
                                <span class="muted">{format!(" · {}", c.customer_title)}</span>
                            </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </details>
        }
    })
}

/// The user the share gave access to: the link to activate, or why there is none.
#[component]
fn UserOutcome(user: SharedUser) -> impl IntoView {
    let made = if user.created { "A user was created for" } else { "The customer already had a user for" };
    match (user.error, user.activation_link, user.activated) {
        (Some(error), _, _) => view! {
            <p id="share-user-error" class="form-error" role="alert">
                {format!("The place was shared, but not with {}: {error}", user.email)}
            </p>
        }
        .into_any(),
        (None, Some(link), _) => {
            view! { <ActivationLink intro=format!("{made} {}.", user.email) link=link /> }.into_any()
        }
        (None, None, Some(true)) => view! {
            <p id="share-user-active" class="plan-user">
                {format!("{made} {}, who has activated the account: they can sign in now.", user.email)}
            </p>
        }
        .into_any(),
        (None, None, _) => view! { <p class="plan-user">{format!("{made} {}.", user.email)}</p> }.into_any(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use atrium_ipc::{CustomerRef, SharedItem};

    #[test]
    fn a_summary_names_its_customer() {
        let summary = ShareSummary {
            customer: CustomerRef { id: "c".into(), title: "Flat 2.05".into(), email: None },
            customer_created: true,
            assigned: vec![],
            moved: vec![],
            skipped: vec![],
            already: vec![],
            failed: vec![],
            stopped: None,
            user: None,
        };
        assert_eq!(title_text(&summary), "Shared with Flat 2.05 (a new customer)");
        assert_eq!(
            title_text(&ShareSummary { customer_created: false, ..summary.clone() }),
            "Nothing changed for Flat 2.05"
        );
        let item = SharedItem {
            id: "r".into(),
            entity_type: "ASSET".into(),
            name: "Room".into(),
            kind: atrium_ipc::NodeKind::Room,
        };
        let assigned = ShareSummary { customer_created: false, assigned: vec![item], ..summary };
        assert_eq!(title_text(&assigned), "Shared with Flat 2.05");
    }
}
