//! One stored rehearsal, by run id or `latest`, read with errors that say what is wrong.
//!
//! [`super::history`] lists the reports it can read and skips the others; calibrating a plan or
//! comparing two runs names one run, so a missing or unreadable report is an error here.

use std::path::{Path, PathBuf};

use super::{history_dir, RehearsalReport};

/// The word that names the newest run.
pub const LATEST: &str = "latest";

/// Why a stored rehearsal could not be used.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// No run has this id.
    #[error("no rehearsal `{id}` in {dir}; {}", existing_runs(.existing))]
    UnknownRun {
        /// The id asked for.
        id: String,
        /// The project's history folder.
        dir: PathBuf,
        /// Ids of the runs that exist, oldest first.
        existing: Vec<String>,
    },
    /// `latest` was asked for and there is no run.
    #[error("no rehearsals in {dir} yet: run `migration-studio rehearse` first")]
    NoRuns {
        /// The project's history folder.
        dir: PathBuf,
    },
    /// The report file exists but cannot be read or parsed.
    #[error("cannot read the rehearsal report {path}: {source}")]
    Unreadable {
        /// The `report.json` file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: ReadFailure,
    },
    /// The report belongs to another project (a history folder copied between projects).
    #[error("rehearsal {id} ({path}) is of project `{found}`, not `{expected}`")]
    OtherProject {
        /// Run id.
        id: String,
        /// The `report.json` file.
        path: PathBuf,
        /// Project named in the report.
        found: String,
        /// This project's name.
        expected: String,
    },
}

/// Why a `report.json` could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadFailure {
    /// The file could not be read.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// It is not a rehearsal report (serde's message names the line and column).
    #[error("not a rehearsal report: {0}")]
    Json(#[from] serde_json::Error),
}

fn existing_runs(ids: &[String]) -> String {
    if ids.is_empty() {
        "there are no rehearsals yet".into()
    } else {
        format!("rehearsals: {}", ids.join(", "))
    }
}

/// Ids of the project's stored runs (folders of the history holding a `report.json`), oldest
/// first (run ids sort by start time). Empty when there is no history.
pub fn run_ids(project_root: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(history_dir(project_root)) else {
        return Vec::new();
    };
    let mut ids: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().join("report.json").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    ids.sort();
    ids
}

/// The report of run `run` (an id, or [`LATEST`] for the newest) of the project at
/// `project_root` named `project_name`.
///
/// # Errors
/// [`RunError::UnknownRun`] listing the runs that exist, [`RunError::NoRuns`] for `latest`
/// without any, [`RunError::Unreadable`] with the file and the reason, and
/// [`RunError::OtherProject`] when the report names another project.
pub fn load(
    project_root: &Path,
    run: &str,
    project_name: &str,
) -> Result<RehearsalReport, RunError> {
    let dir = history_dir(project_root);
    let existing = run_ids(project_root);
    let id = if run == LATEST {
        existing
            .last()
            .cloned()
            .ok_or_else(|| RunError::NoRuns { dir: dir.clone() })?
    } else if existing.iter().any(|e| e == run) {
        run.to_owned()
    } else {
        return Err(RunError::UnknownRun {
            id: run.to_owned(),
            dir,
            existing,
        });
    };
    let path = dir.join(&id).join("report.json");
    let unreadable = |source: ReadFailure| RunError::Unreadable {
        path: path.clone(),
        source,
    };
    let text = std::fs::read_to_string(&path).map_err(|e| unreadable(e.into()))?;
    let report: RehearsalReport = serde_json::from_str(&text).map_err(|e| unreadable(e.into()))?;
    if report.project != project_name {
        return Err(RunError::OtherProject {
            id,
            path,
            found: report.project,
            expected: project_name.to_owned(),
        });
    }
    Ok(report)
}
