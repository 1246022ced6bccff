//! `unshare <place> --customer NAME`: the plan (what of it the customer has), then, unless
//! `--dry-run`, the run and its summary.

use super::place::{self, item_text};
use crate::output;
use crate::session::Session;
use atrium_core::sharing::Sharing;
use atrium_ipc::{CustomerChoice, UnsharePlan, UnshareSummary};
use serde_json::json;

pub(crate) async fn run(
    session: &Session,
    json: bool,
    place_arg: &str,
    customer: String,
    dry_run: bool,
) -> anyhow::Result<()> {
    let place = place::load(session, place_arg).await?;
    let sharing = Sharing::new(&session.client);
    let choice = CustomerChoice::Title { title: customer, create: false, email: None };
    let plan = sharing.plan_unshare(&place.tree, &place.node_id, &choice).await?;
    if dry_run {
        return if json {
            output::line(json!({"dryRun": true, "plan": plan, "summary": null}))
        } else {
            output::line(format!("{}\ndry run: nothing was changed", plan_text(&plan)))
        };
    }
    let summary = sharing.unshare(&plan, &place::progress(json)).await?;
    if json {
        output::line(json!({"dryRun": false, "plan": plan, "summary": summary}))?;
    } else {
        output::line(summary_text(&plan, &summary))?;
    }
    place::outcome("unshared", plan.to_unassign.len(), &summary.failed, summary.stopped.as_deref())
}

fn plan_text(plan: &UnsharePlan) -> String {
    let mut lines =
        vec![format!("stop sharing {} with customer {}", item_text(&plan.place), plan.customer.title)];
    lines.push(format!("to take back: {}", plan.to_unassign.len()));
    lines.extend(plan.to_unassign.iter().map(|i| format!("  {}", item_text(i))));
    lines.push(format!("not the customer's, left alone: {}", plan.not_theirs.len()));
    if !plan.missing.is_empty() {
        lines.push(format!("no longer on the server: {}", plan.missing.len()));
    }
    lines.join("\n")
}

fn summary_text(plan: &UnsharePlan, summary: &UnshareSummary) -> String {
    let mut lines = vec![format!(
        "stopped sharing {} with customer {}: {} taken back, {} unchanged, {} failed",
        item_text(&plan.place),
        summary.customer.title,
        summary.unassigned.len(),
        summary.unchanged.len(),
        summary.failed.len()
    )];
    lines.extend(
        summary.unchanged.iter().map(|i| format!("  unchanged {}: no longer the customer's", item_text(i))),
    );
    lines.extend(summary.failed.iter().map(|f| format!("  failed {}: {}", item_text(&f.item), f.reason)));
    if let Some(reason) = &summary.stopped {
        lines.push(format!("stopped: {reason}"));
    }
    lines.join("\n")
}
