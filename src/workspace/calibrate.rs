//! Calibrate: the durations stored rehearsals measured, as the neutral [`Calibration`] value
//! the planner reads (it never reads a rehearsal report itself). One run calibrates with its
//! figures scaled to the plan's rows; several runs at different sizes fit a fixed and a
//! per-row cost per step ([`crate::plan::fit`]).
//!
//! Which rehearsals calibrate the project's plan is a choice kept in the project store (table
//! `plan_calibration`), as the step edits are: made in the desktop
//! ([`super::Workspace::calibrate`]), it is the plan every face shows and exports, the CLI's
//! `plan` and `runbook export` included ([`Calibrate::Stored`]). A rehearsal keeps the
//! estimates as its budgets ([`super::rehearse::run`] says why).

use sqlx::Row;

use super::WorkspaceError;
use crate::plan::Calibration;
use crate::project::{Project, ProjectError, Store};
use crate::rehearsal::{runs, Verdict};

/// Which measurements a plan is built with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Calibrate<'a> {
    /// The project's stored choice: the rehearsals a person chose, else the estimates. A stored
    /// run that can no longer be read leaves the estimates, with a note saying why.
    #[default]
    Stored,
    /// These rehearsals (a run id, [`LATEST`], or several ids separated by commas), for this
    /// plan only: the stored choice is neither used nor changed.
    From(&'a str),
    /// The estimates, whatever the stored choice.
    Estimates,
}

/// The stored choice: the run ids the plan is calibrated from, as saved (resolved, separated by
/// commas), or `None` for the estimates.
///
/// # Errors
/// [`ProjectError::Store`].
pub async fn load_choice(store: &Store) -> Result<Option<String>, ProjectError> {
    let row = sqlx::query("SELECT runs FROM plan_calibration WHERE id = 1")
        .fetch_optional(store.pool())
        .await
        .map_err(|e| store.error(e))?;
    Ok(row.map(|r| r.get(0)))
}

/// Stores the choice: `runs` (resolved ids, separated by commas) or `None` for the estimates.
///
/// # Errors
/// [`ProjectError::Store`].
pub async fn save_choice(store: &Store, runs: Option<&str>) -> Result<(), ProjectError> {
    let query = match runs {
        None => sqlx::query("DELETE FROM plan_calibration"),
        Some(runs) => sqlx::query(
            "INSERT INTO plan_calibration (id, runs, chosen_at) \
             VALUES (1, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now')) \
             ON CONFLICT (id) DO UPDATE SET runs = excluded.runs, chosen_at = excluded.chosen_at",
        )
        .bind(runs),
    };
    query
        .execute(store.pool())
        .await
        .map(|_| ())
        .map_err(|e| store.error(e))
}

/// The calibration of a stored choice `runs`: `(None, note)` when its rehearsals cannot be read
/// any more (a run folder deleted, a report of another version), so the plan falls back to the
/// estimates instead of failing every face.
pub fn from_choice(project: &Project, runs: &str) -> (Option<RunCalibration>, Vec<String>) {
    match from_run(project, runs) {
        Ok(c) => (Some(c), Vec::new()),
        Err(e) => (
            None,
            vec![format!(
                "the plan was calibrated from rehearsal {runs}, which cannot be read any more ({e}); it shows the estimates"
            )],
        ),
    }
}

/// `latest`: the newest rehearsal of the project.
pub const LATEST: &str = runs::LATEST;

/// Rehearsals' measurements, ready to calibrate a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct RunCalibration {
    /// The measured steps (seconds, rows), fitted across the runs when there are several.
    pub calibration: Calibration,
    /// Ids of the runs, as asked for (`latest` resolved).
    pub run_ids: Vec<String>,
    /// What a person should know, in words: a run that failed a gate (the steps it measured
    /// still calibrate the plan, the others keep their estimates), a step that could not be
    /// fitted and why.
    pub notes: Vec<String>,
}

/// The measurements of rehearsal `runs` of `project`: one run id from the history (or
/// [`LATEST`]), or several, comma-separated, rehearsed at different sizes.
///
/// # Errors
/// [`WorkspaceError::Run`]: no such run (the message lists those that exist), no run at all
/// for `latest`, an unreadable report, or a report of another project;
/// [`WorkspaceError::Calibration`] when no run is named.
pub fn from_run(project: &Project, runs: &str) -> Result<RunCalibration, WorkspaceError> {
    let mut calibrations = Vec::new();
    let mut run_ids = Vec::new();
    let mut notes = Vec::new();
    for id in runs.split(',').map(str::trim).filter(|id| !id.is_empty()) {
        let report = runs::load(project.root(), id, &project.manifest().name)?;
        if report.verdict == Verdict::Fail {
            notes.push(format!(
                "rehearsal {} failed ({}); the steps it measured calibrate the plan, the others keep their estimates",
                report.id,
                report.failed_because.as_deref().unwrap_or("a gate failed")
            ));
        }
        calibrations.push(report.measured_steps());
        run_ids.push(report.id);
    }
    let calibration = match calibrations.len() {
        0 => {
            return Err(WorkspaceError::Calibration(format!(
                "`{runs}` names no rehearsal: give a run id of `history`, `latest`, or several ids separated by commas"
            )))
        }
        1 => calibrations.pop().expect("one run"),
        _ => {
            let (fitted, unfitted) =
                crate::plan::fit::fit_runs(&calibrations).map_err(WorkspaceError::Calibration)?;
            notes.extend(unfitted.into_iter().map(|why| format!("not fitted: {why}")));
            fitted
        }
    };
    Ok(RunCalibration {
        calibration,
        run_ids,
        notes,
    })
}
