//! Sharing a place with a customer: who has access, plans, and runs that stream their progress.

use super::{invoke, to_js, with_channel};
use atrium_ipc::{
    cmd, AppError, CustomerRef, CustomersArgs, NodeArgs, PlaceAccess, PlanShareArgs, PlanUnshareArgs,
    ShareArgs, SharePlan, ShareSummary, SharingProgress, UnshareArgs, UnsharePlan, UnshareSummary,
};

/// The tenant's customers whose title contains `search` (all when `None`), by title.
pub(crate) async fn customers(search: Option<&str>) -> Result<Vec<CustomerRef>, AppError> {
    invoke(cmd::CUSTOMERS, &CustomersArgs { search: search.map(str::to_owned) }).await
}

/// The customers that have the place or something below it, with their users.
pub(crate) async fn place_access(node_id: &str) -> Result<PlaceAccess, AppError> {
    invoke(cmd::PLACE_ACCESS, &NodeArgs { node_id: node_id.to_owned() }).await
}

/// What sharing a place would do; changes nothing.
pub(crate) async fn plan_share(args: &PlanShareArgs) -> Result<SharePlan, AppError> {
    invoke(cmd::PLAN_SHARE, args).await
}

/// What stopping sharing a place would do; changes nothing.
pub(crate) async fn plan_unshare(args: &PlanUnshareArgs) -> Result<UnsharePlan, AppError> {
    invoke(cmd::PLAN_UNSHARE, args).await
}

/// Carries out a share plan; `on_progress` hears each item answered until it answers.
pub(crate) async fn share(
    args: &ShareArgs,
    on_progress: impl Fn(Result<SharingProgress, AppError>) + 'static,
) -> Result<ShareSummary, AppError> {
    let args = Some(to_js(args)?);
    let (summary, _guard) =
        with_channel(cmd::SHARE, args, "onProgress", "share progress", on_progress).await?;
    Ok(summary)
}

/// Carries out an unshare plan; `on_progress` hears each item answered until it answers.
pub(crate) async fn unshare(
    args: &UnshareArgs,
    on_progress: impl Fn(Result<SharingProgress, AppError>) + 'static,
) -> Result<UnshareSummary, AppError> {
    let args = Some(to_js(args)?);
    let (summary, _guard) =
        with_channel(cmd::UNSHARE, args, "onProgress", "unshare progress", on_progress).await?;
    Ok(summary)
}
