//! Export: the runbook as CSV, Markdown, an Argo Workflows `Workflow` or an Airflow DAG file
//! (the plan of [`super::plan`], edits and orderings included), written to bytes or to a file. The risk register's exports are in
//! [`super::risks`].

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Workspace, WorkspaceError};
use crate::export::{
    airflow_dag, argo_workflow, runbook_markdown, write_runbook_csv, OrchestratorContext,
};
use crate::plan::Plan;
use crate::project::Manifest;

/// Runbook export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunbookFormat {
    /// RFC 4180 CSV with the columns of [`crate::export::RUNBOOK_CSV_COLUMNS`].
    Csv,
    /// Markdown document.
    Markdown,
    /// Argo Workflows `Workflow` manifest (YAML), see [`crate::export::argo`].
    Argo,
    /// Apache Airflow DAG file (Python), see [`crate::export::airflow`].
    Airflow,
}

/// `plan`'s runbook in `format`, for the project of `manifest` (its name heads the Markdown and
/// names the orchestrators' workflows; its `[gates] step_budget_factor` gives their tasks'
/// timeouts).
///
/// # Errors
/// [`WorkspaceError::Export`].
pub fn runbook(
    plan: &Plan,
    manifest: &Manifest,
    format: RunbookFormat,
) -> Result<Vec<u8>, WorkspaceError> {
    Ok(match format {
        RunbookFormat::Csv => {
            let mut bytes = Vec::new();
            write_runbook_csv(plan, &mut bytes)?;
            bytes
        }
        RunbookFormat::Markdown => runbook_markdown(plan, &manifest.name).into_bytes(),
        RunbookFormat::Argo => argo_workflow(plan, &OrchestratorContext::of(manifest))?,
        RunbookFormat::Airflow => airflow_dag(plan, &OrchestratorContext::of(manifest))?,
    })
}

/// Writes `bytes` to `path`; returns the number of bytes written.
///
/// # Errors
/// [`WorkspaceError::Write`].
pub fn write(path: &Path, bytes: &[u8]) -> Result<u64, WorkspaceError> {
    std::fs::write(path, bytes).map_err(|source| WorkspaceError::Write {
        path: path.to_owned(),
        source,
    })?;
    Ok(bytes.len() as u64)
}

impl Workspace {
    /// The runbook in `format`, edits included.
    ///
    /// # Errors
    /// [`WorkspaceError::Export`].
    pub fn runbook(&self, format: RunbookFormat) -> Result<Vec<u8>, WorkspaceError> {
        runbook(&self.plan, self.project.manifest(), format)
    }

    /// Writes the runbook in `format` to `path`; returns the number of bytes written.
    ///
    /// # Errors
    /// [`WorkspaceError::Export`], [`WorkspaceError::Write`].
    pub fn write_runbook(&self, format: RunbookFormat, path: &Path) -> Result<u64, WorkspaceError> {
        write(path, &self.runbook(format)?)
    }
}
