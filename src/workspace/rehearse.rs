//! The rehearse use case: the project's plan (stored step edits, risk orderings, the shape
//! asked for; the estimates, whatever the stored calibration) executed by the rehearsal's interpreter on the provider chosen, cancellable, with
//! what a cancelled run made removed. The CLI's `rehearse` and the desktop's full rehearsal
//! are each one call of [`run`].

use crate::project::Project;
use crate::rehearsal::{
    self, progress, state::RunState, AnyProvider, RehearsalError, RehearsalOptions, RehearsalReport,
};

use super::{calibrate::Calibrate, plan, Cancel, WorkspaceError};

/// How a rehearsal ended.
#[derive(Debug)]
pub enum Rehearsed {
    /// It ran to its end: the report says pass or fail.
    Finished(Box<RehearsalReport>),
    /// It was cancelled; what it made was removed and nothing is left to resume.
    Cancelled {
        /// The run's id, when it had one.
        run_id: Option<String>,
    },
}

/// Why a rehearsal could not run.
#[derive(Debug, thiserror::Error)]
pub enum RehearseError {
    /// The plan could not be made (the project, its store, its inventory).
    #[error(transparent)]
    Plan(#[from] WorkspaceError),
    /// The rehearsal failed to run.
    #[error(transparent)]
    Rehearsal(#[from] RehearsalError),
}

/// Rehearses `project`'s plan on `provider`: the plan every face shows (edits and orderings
/// applied), with the estimates as its budgets, under `options.shape` when set. With `resume`, goes on with
/// the run `options.run_id` names (the newest unfinished one when `None`). `options.run_id`
/// should be set for a fresh run, so a cancel knows which scratch databases are the run's.
///
/// # Errors
/// [`RehearseError`] when the plan cannot be made or the rehearsal cannot run; a failed gate is
/// a finished report with a `fail` verdict.
pub async fn run(
    project: &Project,
    options: &RehearsalOptions,
    resume: bool,
    provider: &AnyProvider,
    cancel: &Cancel,
    events: progress::Events,
) -> Result<Rehearsed, RehearseError> {
    // Budgets come from the estimates, not from the stored calibration: ten times a measured
    // millisecond is a budget that noise breaks (a re-rehearsal of Sakila failed G007 two times
    // in three on a 603-row backfill, 67 and 90 ms against 60 ms).
    let plan = plan::planned_as(project, options.shape, Calibrate::Estimates)
        .await?
        .plan;
    let run = async {
        if resume {
            rehearsal::resume_plan(project, Some(&plan), options, provider, events).await
        } else {
            rehearsal::rehearse_plan(project, Some(&plan), options, provider, events).await
        }
    };
    tokio::select! {
        report = run => Ok(Rehearsed::Finished(Box::new(report?))),
        () = cancel.cancelled() => {
            // The run's future is dropped: its workloads and standbys stop with it.
            if let Some(id) = &options.run_id {
                rehearsal::drop_scratch(id, provider).await;
                RunState::remove(project.root(), id);
            }
            Ok(Rehearsed::Cancelled { run_id: options.run_id.clone() })
        }
    }
}
