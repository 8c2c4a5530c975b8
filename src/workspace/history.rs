//! History: the project's rehearsals, oldest first, and two of them side by side. The
//! backfill runs' records are listed by [`super::backfill::history`].

use std::path::Path;

use super::WorkspaceError;
use crate::project::Project;
use crate::rehearsal::compare::{self, Comparison};
use crate::rehearsal::{runs, RehearsalReport};

/// Every readable rehearsal report of the project in `root`, by id (oldest first).
pub fn rehearsals(root: &Path) -> Vec<RehearsalReport> {
    crate::rehearsal::history(root)
}

/// Rehearsals `a` and `b` of `project` (ids, or `latest`) side by side: per step, the measured
/// seconds of both and the change, then the headline figures.
///
/// # Errors
/// [`WorkspaceError::Run`] when either cannot be read (the message lists the runs that exist).
pub fn compare(project: &Project, a: &str, b: &str) -> Result<Comparison, WorkspaceError> {
    let name = &project.manifest().name;
    let a = runs::load(project.root(), a, name)?;
    let b = runs::load(project.root(), b, name)?;
    Ok(compare::compare(&a, &b))
}
