//! Calibrate: the durations stored rehearsals measured, as the neutral [`Calibration`] value
//! the planner reads (it never reads a rehearsal report itself). One run calibrates with its
//! figures scaled to the plan's rows; several runs at different sizes fit a fixed and a
//! per-row cost per step ([`crate::plan::fit`]).

use super::WorkspaceError;
use crate::plan::Calibration;
use crate::project::Project;
use crate::rehearsal::{runs, Verdict};

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
