//! Carrying plans out: a bounded number of requests in flight, one outcome per item, and what a
//! run counts as a reason to stop.

use super::{assign, read_owner, unassign, Owner};
use crate::app_error::to_app_error;
use atrium_ipc::{
    AppError, ErrorCode, FailedItem, PlannedUser, ShareConflict, ShareSummary, SharedItem, SharedUser,
    SharingProgress, UnshareSummary,
};
use futures_util::stream::{FuturesUnordered, StreamExt};
use std::future::Future;
use tb_client::proto::user::SaveUser;
use tb_client::proto::{CustomerId, EntityId};
use tb_client::Client;

/// What a bounded run did: every started item with its outcome, in the order given, and the
/// items it did not start because it stopped.
#[derive(Debug)]
pub(super) struct Results<I, O> {
    pub(super) done: Vec<(I, O)>,
    pub(super) not_started: Vec<I>,
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Runs `work` on each item with at most `in_flight` of them under way, telling `progress`
/// after each answer. Once an outcome satisfies `stop`, no further item starts; those already
/// under way finish.
pub(super) async fn bounded<I, O, F, Fut>(
    items: Vec<I>,
    in_flight: usize,
    work: F,
    progress: &(dyn Fn(SharingProgress) + Send + Sync),
    stop: impl Fn(&O) -> bool,
) -> Results<I, O>
where
    I: Clone,
    F: Fn(I) -> Fut,
    Fut: Future<Output = O>,
{
    let total = count(items.len());
    let mut queue = items.into_iter().enumerate();
    let mut running = FuturesUnordered::new();
    let mut done = Vec::new();
    let mut stopping = false;
    loop {
        while !stopping && running.len() < in_flight.max(1) {
            let Some((index, item)) = queue.next() else { break };
            let answer = work(item.clone());
            running.push(async move { (index, item, answer.await) });
        }
        let Some((index, item, outcome)) = running.next().await else { break };
        stopping |= stop(&outcome);
        done.push((index, item, outcome));
        progress(SharingProgress { done: count(done.len()), total });
    }
    done.sort_by_key(|(index, _, _)| *index);
    Results {
        done: done.into_iter().map(|(_, item, outcome)| (item, outcome)).collect(),
        not_started: queue.map(|(_, item)| item).collect(),
    }
}

/// What happened to one item.
#[derive(Debug)]
pub(super) enum Outcome {
    Assigned,
    Moved(ShareConflict),
    Skipped(ShareConflict),
    Already,
    Unassigned,
    Unchanged,
    Failed(AppError),
}

impl Outcome {
    /// A refusal or an ended session will refuse every other item too: stop sending.
    pub(super) fn stops(&self) -> bool {
        matches!(
            self,
            Self::Failed(e) if matches!(e.code, ErrorCode::PermissionDenied | ErrorCode::SessionExpired | ErrorCode::NotLoggedIn)
        )
    }
}

fn failed(error: &tb_client::Error) -> Outcome {
    Outcome::Failed(to_app_error(error))
}

/// Reads the item's owner, then assigns it to `target` unless it is already the target's, or
/// another customer's and not `movable`.
pub(super) async fn share_one(
    client: &Client,
    target: CustomerId,
    entity: EntityId,
    item: &SharedItem,
    movable: bool,
) -> Outcome {
    let owner: Owner = match read_owner(client, entity).await {
        Ok(owner) => owner,
        Err(e) => return failed(&e),
    };
    let conflict = owner.conflict(item);
    match (owner.customer, conflict) {
        (Some(customer), _) if customer == target => Outcome::Already,
        (Some(_), Some(conflict)) if !movable => Outcome::Skipped(conflict),
        (_, conflict) => match assign(client, target, entity).await {
            Ok(()) => conflict.map_or(Outcome::Assigned, Outcome::Moved),
            Err(e) => failed(&e),
        },
    }
}

/// Reads the item's owner, then takes it back only if it is still `target`'s: the server's
/// unassign takes an entity from whichever customer has it.
pub(super) async fn unshare_one(client: &Client, target: CustomerId, entity: EntityId) -> Outcome {
    match read_owner(client, entity).await {
        Ok(owner) if owner.customer == Some(target) => match unassign(client, entity).await {
            Ok(true) => Outcome::Unassigned,
            Ok(false) => Outcome::Unchanged,
            Err(e) => failed(&e),
        },
        Ok(_) => Outcome::Unchanged,
        Err(e) => failed(&e),
    }
}

const NOT_TRIED: &str = "Not tried: the run stopped before reaching it.";

/// Sorts a share run's outcomes into the summary; the error that stopped it, if any.
pub(super) fn collect_share(
    results: Results<(EntityId, SharedItem, bool), Outcome>,
    summary: &mut ShareSummary,
) -> Option<AppError> {
    let mut stopped = None;
    for ((_, item, _), outcome) in results.done {
        match outcome {
            Outcome::Assigned => summary.assigned.push(item),
            Outcome::Moved(conflict) => summary.moved.push(conflict),
            Outcome::Skipped(conflict) => summary.skipped.push(conflict),
            Outcome::Already | Outcome::Unchanged | Outcome::Unassigned => summary.already.push(item),
            Outcome::Failed(error) => {
                if stopped.is_none() && Outcome::Failed(error.clone()).stops() {
                    stopped = Some(error.clone());
                }
                summary.failed.push(FailedItem { item, reason: error.message });
            }
        }
    }
    for (_, item, _) in results.not_started {
        summary.failed.push(FailedItem { item, reason: NOT_TRIED.into() });
    }
    stopped
}

/// Sorts an unshare run's outcomes into the summary; the error that stopped it, if any.
pub(super) fn collect_unshare(
    results: Results<(EntityId, SharedItem), Outcome>,
    summary: &mut UnshareSummary,
) -> Option<AppError> {
    let mut stopped = None;
    for ((_, item), outcome) in results.done {
        match outcome {
            Outcome::Unassigned => summary.unassigned.push(item),
            Outcome::Failed(error) => {
                if stopped.is_none() && Outcome::Failed(error.clone()).stops() {
                    stopped = Some(error.clone());
                }
                summary.failed.push(FailedItem { item, reason: error.message });
            }
            _ => summary.unchanged.push(item),
        }
    }
    for (_, item) in results.not_started {
        summary.failed.push(FailedItem { item, reason: NOT_TRIED.into() });
    }
    stopped
}

/// The plan's user: found among the customer's users by e-mail address, else created without
/// mail; then its activation link, unless it has activated the account already.
pub(super) async fn ensure_user(client: &Client, customer: CustomerId, planned: &PlannedUser) -> SharedUser {
    let mut out = SharedUser {
        email: planned.email.clone(),
        created: false,
        activated: None,
        activation_link: None,
        error: None,
    };
    let existing = match client.customer_users(customer).await {
        Ok(users) => users.into_iter().find(|u| u.email.eq_ignore_ascii_case(&planned.email)),
        Err(e) => {
            out.error = Some(to_app_error(&e).message);
            return out;
        }
    };
    let id = match existing {
        Some(user) => user.id,
        None => {
            let body = SaveUser::customer_user(
                customer,
                planned.email.clone(),
                planned.first_name.clone(),
                planned.last_name.clone(),
            );
            match client.create_user(&body).await {
                Ok(user) => {
                    out.created = true;
                    user.id
                }
                Err(e) => {
                    out.error = Some(to_app_error(&e).message);
                    return out;
                }
            }
        }
    };
    match client.activation_link(id).await {
        Ok(Some(link)) => {
            out.activated = Some(false);
            out.activation_link = Some(link);
        }
        Ok(None) => out.activated = Some(true),
        Err(e) => out.error = Some(to_app_error(&e).message),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;

    #[tokio::test(start_paused = true)]
    async fn at_most_in_flight_run_at_once_and_results_keep_their_order() {
        let running = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        let seen = Mutex::new(Vec::new());
        let results = bounded(
            (0..20u64).collect(),
            3,
            |i| {
                let (running, peak) = (&running, &peak);
                async move {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    // Later items answer sooner: completion order is not the given order.
                    tokio::time::sleep(std::time::Duration::from_millis(100 - i * 3)).await;
                    running.fetch_sub(1, Ordering::SeqCst);
                    i * 10
                }
            },
            &|p| seen.lock().unwrap().push(p),
            |_| false,
        )
        .await;
        assert_eq!(peak.into_inner(), 3);
        let outcomes: Vec<u64> = results.done.iter().map(|(_, o)| *o).collect();
        assert_eq!(outcomes, (0..20).map(|i| i * 10).collect::<Vec<_>>());
        assert!(results.not_started.is_empty());
        let seen = seen.into_inner().unwrap();
        assert_eq!(seen.len(), 20);
        assert_eq!(seen.last(), Some(&SharingProgress { done: 20, total: 20 }));
    }

    #[tokio::test]
    async fn a_stop_starts_nothing_more_and_says_what_was_left() {
        let started = AtomicUsize::new(0);
        let results = bounded(
            (0..10u32).collect(),
            2,
            |i| {
                started.fetch_add(1, Ordering::SeqCst);
                async move { i }
            },
            &|_| {},
            |o| *o == 1,
        )
        .await;
        assert_eq!(results.done.len() + results.not_started.len(), 10);
        assert!(results.done.len() <= 3, "item 1 stops the run: {:?}", results.done);
        assert_eq!(started.into_inner(), results.done.len());
        assert_eq!(results.not_started.first(), Some(&(results.done.len() as u32)));
    }

    #[test]
    fn only_refusals_and_ended_sessions_stop_a_run() {
        let failed = |code| Outcome::Failed(AppError::new(code, "x", false));
        assert!(failed(ErrorCode::PermissionDenied).stops());
        assert!(failed(ErrorCode::SessionExpired).stops());
        assert!(!failed(ErrorCode::Server).stops());
        assert!(!failed(ErrorCode::NotFound).stops());
        assert!(!Outcome::Assigned.stops());
    }
}
