//! A flow that changes who has access: choose, read the plan (nothing changes), run it with
//! its progress, then its summary; errors are the server's sentence, shown where they happened.

use crate::ipc;
use atrium_ipc::{AppError, SharePlan, SharingProgress, UnsharePlan};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::future::Future;

/// A plan a run carries out: how many items the run will answer.
pub(crate) trait Plan: Clone + Send + Sync + 'static {
    fn total(&self) -> u32;
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Plan for SharePlan {
    fn total(&self) -> u32 {
        // A run reads each of these again, and changes what it may.
        count(self.to_assign.len() + self.already.len() + self.conflicts.len())
    }
}

impl Plan for UnsharePlan {
    fn total(&self) -> u32 {
        count(self.to_unassign.len())
    }
}

/// Where a flow is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Step<P, S> {
    /// Choosing (the form, or which customer).
    Editing,
    /// Asking the server for the plan.
    Planning,
    /// The plan, waiting for the manager's go.
    Review(P),
    /// Carrying it out: items answered, of all.
    Running(P, SharingProgress),
    Done(S),
}

/// What a run's progress is reported to.
pub(crate) type OnProgress = Box<dyn Fn(Result<SharingProgress, AppError>)>;

/// A plan-review-run-summary flow; errors are the server's sentence, shown at the step they
/// happened in (a refused plan back on the form, a refused run on its plan).
#[derive(Debug)]
pub(crate) struct Flow<P: Send + Sync + 'static, S: Send + Sync + 'static> {
    step: RwSignal<Step<P, S>>,
    error: RwSignal<Option<String>>,
}

impl<P: Send + Sync + 'static, S: Send + Sync + 'static> Clone for Flow<P, S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P: Send + Sync + 'static, S: Send + Sync + 'static> Copy for Flow<P, S> {}

impl<P: Plan, S: Clone + Send + Sync + 'static> Flow<P, S> {
    pub(crate) fn new() -> Self {
        Self { step: RwSignal::new(Step::Editing), error: RwSignal::new(None) }
    }

    /// The plan under review or running; untracked, as a screen is built once per stage.
    pub(crate) fn current_plan(&self) -> Option<P> {
        self.step.with_untracked(|s| match s {
            Step::Review(plan) | Step::Running(plan, _) => Some(plan.clone()),
            _ => None,
        })
    }

    /// The run's summary once it is done; untracked, as [`Flow::current_plan`].
    pub(crate) fn summary(&self) -> Option<S> {
        self.step.with_untracked(|s| match s {
            Step::Done(summary) => Some(summary.clone()),
            _ => None,
        })
    }

    /// Tracked: only which step, not its contents (so a view is not rebuilt by progress).
    pub(crate) fn stage(&self) -> Stage {
        self.step.with(|s| match s {
            Step::Editing => Stage::Editing,
            Step::Planning => Stage::Planning,
            Step::Review(_) => Stage::Review,
            Step::Running(..) => Stage::Running,
            Step::Done(_) => Stage::Done,
        })
    }

    /// Tracked.
    pub(crate) fn error(&self) -> Option<String> {
        self.error.get()
    }

    /// Tracked: the run's progress, while it runs.
    pub(crate) fn progress(&self) -> Option<SharingProgress> {
        self.step.with(|s| match s {
            Step::Running(_, p) => Some(*p),
            _ => None,
        })
    }

    /// Shows a problem found before asking the server.
    pub(crate) fn refuse(&self, why: &str) {
        self.error.set(Some(why.to_owned()));
    }

    /// Asks for a plan; the form comes back with the error if the server refuses.
    pub(crate) fn plan(&self, ask: impl Future<Output = Result<P, AppError>> + 'static) {
        let (step, error) = (self.step, self.error);
        error.set(None);
        step.set(Step::Planning);
        spawn_local(async move {
            match ask.await {
                Ok(plan) => {
                    step.try_set(Step::Review(plan));
                }
                Err(err) => {
                    step.try_set(Step::Editing);
                    error.try_set(Some(err.message));
                }
            }
        });
    }

    /// Carries out the plan under review with `start`; back on the plan with the error if the
    /// run is refused before it changed anything.
    pub(crate) fn run<F>(&self, start: impl FnOnce(P, OnProgress) -> F + 'static)
    where
        F: Future<Output = Result<S, AppError>> + 'static,
    {
        let (step, error) = (self.step, self.error);
        let Step::Review(plan) = step.get_untracked() else { return };
        error.set(None);
        step.set(Step::Running(plan.clone(), SharingProgress { done: 0, total: plan.total() }));
        let on_progress: OnProgress = Box::new(move |next| match next {
            // Messages may overtake each other: the count only goes up.
            Ok(next) => {
                step.try_update(|s| {
                    if let Step::Running(_, shown) = s {
                        if next.done > shown.done {
                            *shown = next;
                        }
                    }
                });
            }
            Err(err) => ipc::log_error("sharing progress", &err),
        });
        spawn_local(async move {
            match start(plan.clone(), on_progress).await {
                Ok(summary) => {
                    step.try_set(Step::Done(summary));
                }
                Err(err) => {
                    step.try_set(Step::Review(plan));
                    error.try_set(Some(err.message));
                }
            }
        });
    }

    /// Back to choosing, from a plan.
    pub(crate) fn back(&self) {
        self.error.set(None);
        self.step.set(Step::Editing);
    }
}

/// A flow's step without its contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    Editing,
    Planning,
    Review,
    Running,
    Done,
}

#[cfg(test)]
mod tests {
    use super::*;
    use atrium_ipc::{CustomerRef, NodeKind, PlannedCustomer, ShareConflict, SharedItem};

    fn item(id: &str) -> SharedItem {
        SharedItem { id: id.into(), entity_type: "DEVICE".into(), name: id.into(), kind: NodeKind::Device }
    }

    #[test]
    fn a_run_answers_every_item_it_reads_again() {
        let conflict = ShareConflict { item: item("c"), customer_id: "a".into(), customer_title: "A".into() };
        let share = SharePlan {
            place: item("p"),
            customer: PlannedCustomer { id: None, title: "T".into(), email: None },
            to_assign: vec![item("p"), item("d")],
            already: vec![item("e")],
            conflicts: vec![conflict],
            missing: vec![item("gone")],
            user: None,
        };
        // Skipped or moved, a conflict is read again; what is gone is not tried.
        assert_eq!(share.total(), 4);
        let unshare = UnsharePlan {
            place: item("p"),
            customer: CustomerRef { id: "a".into(), title: "A".into(), email: None },
            to_unassign: vec![item("p")],
            not_theirs: vec![item("x"), item("y")],
            missing: vec![],
        };
        assert_eq!(unshare.total(), 1);
    }
}
