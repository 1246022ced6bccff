//! `share <place> --customer NAME`: the plan (what will be assigned, what the customer already
//! has, what another customer has), then, unless `--dry-run`, the run and its summary.

use super::place::{self, item_text};
use crate::output;
use crate::session::Session;
use atrium_core::sharing::Sharing;
use atrium_ipc::{CustomerChoice, NewCustomerUser, OnConflict, SharePlan, ShareSummary};
use serde_json::json;

#[derive(Debug)]
pub(crate) struct ShareArgs<'a> {
    pub(crate) place: &'a str,
    pub(crate) customer: String,
    pub(crate) create: bool,
    pub(crate) email: Option<String>,
    pub(crate) user: Option<String>,
    pub(crate) move_conflicts: bool,
    pub(crate) dry_run: bool,
}

pub(crate) async fn run(session: &Session, json: bool, args: ShareArgs<'_>) -> anyhow::Result<()> {
    let place = place::load(session, args.place).await?;
    let sharing = Sharing::new(&session.client);
    let choice = CustomerChoice::Title { title: args.customer, create: args.create, email: args.email };
    let user = args.user.map(|email| NewCustomerUser { email, first_name: None, last_name: None });
    let plan = sharing.plan_share(&place.tree, &place.node_id, &choice, user.as_ref()).await?;
    let on_conflict = if args.move_conflicts { OnConflict::Move } else { OnConflict::Skip };
    if args.dry_run {
        return if json {
            output::line(json!({"dryRun": true, "plan": plan, "summary": null}))
        } else {
            output::line(format!("{}\ndry run: nothing was changed", plan_text(&plan, on_conflict)))
        };
    }
    let summary = sharing.share(&plan, on_conflict, &place::progress(json)).await?;
    if json {
        output::line(json!({"dryRun": false, "plan": plan, "summary": summary}))?;
    } else {
        output::line(summary_text(&plan, &summary))?;
    }
    let total = plan.to_assign.len() + plan.already.len() + plan.conflicts.len();
    place::outcome("shared", total, &summary.failed, summary.stopped.as_deref())?;
    match summary.user.as_ref().and_then(|u| u.error.as_deref()) {
        Some(error) => Err(crate::failure::Failure::new(
            crate::failure::OTHER,
            format!("the place was shared, but not with the user: {error}"),
        )
        .into()),
        None => Ok(()),
    }
}

fn plan_text(plan: &SharePlan, on_conflict: OnConflict) -> String {
    let customer = match &plan.customer.id {
        Some(_) => format!("customer {}", plan.customer.title),
        None => format!("customer {} (to be created)", plan.customer.title),
    };
    let mut lines = vec![format!("share {} with {customer}", item_text(&plan.place))];
    lines.push(format!("to assign: {}", plan.to_assign.len()));
    lines.extend(plan.to_assign.iter().map(|i| format!("  {}", item_text(i))));
    lines.push(format!("already the customer's: {}", plan.already.len()));
    lines.extend(plan.already.iter().map(|i| format!("  {}", item_text(i))));
    let what = match on_conflict {
        OnConflict::Move => "moved: they lose access",
        OnConflict::Skip => "skipped; --move-conflicts moves them",
    };
    lines.push(format!("another customer's: {} ({what})", plan.conflicts.len()));
    lines.extend(plan.conflicts.iter().map(|c| format!("  {}: {}", item_text(&c.item), c.customer_title)));
    if !plan.missing.is_empty() {
        lines.push(format!("no longer on the server: {}", plan.missing.len()));
        lines.extend(plan.missing.iter().map(|i| format!("  {}", item_text(i))));
    }
    if let Some(user) = &plan.user {
        let state = if user.exists { "a user of the customer already" } else { "to be created" };
        lines.push(format!("user {}: {state}", user.email));
    }
    lines.join("\n")
}

fn summary_text(plan: &SharePlan, summary: &ShareSummary) -> String {
    let created = if summary.customer_created { " (created)" } else { "" };
    let mut lines = vec![format!(
        "shared {} with customer {}{created}: {} assigned, {} moved, {} skipped, {} already, {} failed",
        item_text(&plan.place),
        summary.customer.title,
        summary.assigned.len(),
        summary.moved.len(),
        summary.skipped.len(),
        summary.already.len(),
        summary.failed.len()
    )];
    lines.extend(
        summary.moved.iter().map(|c| format!("  moved {} from {}", item_text(&c.item), c.customer_title)),
    );
    lines.extend(
        summary.skipped.iter().map(|c| format!("  skipped {}: {}'s", item_text(&c.item), c.customer_title)),
    );
    lines.extend(summary.failed.iter().map(|f| format!("  failed {}: {}", item_text(&f.item), f.reason)));
    if let Some(reason) = &summary.stopped {
        lines.push(format!("stopped: {reason}"));
    }
    if let Some(user) = &summary.user {
        let state = if user.created { "created" } else { "already a user" };
        match (&user.activation_link, user.activated, &user.error) {
            (_, _, Some(error)) => lines.push(format!("user {}: {error}", user.email)),
            (Some(link), _, None) => {
                lines.push(format!("user {} ({state}); to activate the account, open: {link}", user.email))
            }
            (None, Some(true), None) => {
                lines.push(format!("user {} ({state}) has activated the account", user.email))
            }
            (None, _, None) => lines.push(format!("user {} ({state})", user.email)),
        }
    }
    lines.join("\n")
}
