//! Inventory, graph, blast radius and runbook of an opened project.

use migration_studio::workspace::RunbookFormat;
use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::{AppHandle, State};

use super::{with_workspace, workspace};
use crate::dialogs::{self, ChosenPath, FileKind};
use crate::error::AppError;
use crate::json::{
    ArtifactDetailView, BlastView, GraphView, InventoryView, RunbookView, StepEditRequest,
};
use crate::state::AppState;

/// The inventory grid: every artifact with its wave, and the import's findings.
#[tauri::command]
#[specta::specta]
pub async fn inventory(
    state: State<'_, AppState>,
    project: String,
) -> Result<InventoryView, AppError> {
    with_workspace(&state, &project, |ws| InventoryView::of(ws)).await
}

/// One artifact's drill-down: columns, keys, FKs in and out, indexes, estimates, the import's
/// findings about it, its wave and why. `not_found` for an id not in the project's graph.
#[tauri::command]
#[specta::specta]
pub async fn artifact_detail(
    state: State<'_, AppState>,
    project: String,
    id: String,
) -> Result<ArtifactDetailView, AppError> {
    with_workspace(&state, &project, |ws| ws.artifact_detail(&id))
        .await?
        .map(Into::into)
        .map_err(Into::into)
}

/// The dependency graph with waves, cycles, breaks and the point of no return.
#[tauri::command]
#[specta::specta]
pub async fn graph(state: State<'_, AppState>, project: String) -> Result<GraphView, AppError> {
    with_workspace(&state, &project, |ws| GraphView::of(ws)).await
}

/// Everything that transitively depends on the artifacts `ids`.
#[tauri::command]
#[specta::specta]
pub async fn blast_radius(
    state: State<'_, AppState>,
    project: String,
    ids: Vec<String>,
) -> Result<BlastView, AppError> {
    with_workspace(&state, &project, |ws| ws.blast_radius(&ids))
        .await?
        .map(Into::into)
        .map_err(Into::into)
}

/// The runbook, people's edits applied.
#[tauri::command]
#[specta::specta]
pub async fn runbook(state: State<'_, AppState>, project: String) -> Result<RunbookView, AppError> {
    with_workspace(&state, &project, |ws| RunbookView::of(ws)).await
}

/// Stores an edit of one step (owner, duration, notes) and returns the runbook again.
#[tauri::command]
#[specta::specta]
pub async fn edit_step(
    state: State<'_, AppState>,
    project: String,
    edit: StepEditRequest,
) -> Result<RunbookView, AppError> {
    let mut ws = workspace(&state, &project).await?;
    ws.edit_step(edit.into()).await?;
    Ok(RunbookView::of(&ws))
}

/// Calibrates the runbook from rehearsal `run` (an id of the history, or `latest`) or, with
/// `null`, goes back to the estimates; edits stay applied. The choice is stored in the project,
/// so the CLI's plan and exports are the same. Returns the runbook again.
#[tauri::command]
#[specta::specta]
pub async fn calibrate_runbook(
    state: State<'_, AppState>,
    project: String,
    run: Option<String>,
) -> Result<RunbookView, AppError> {
    let mut ws = workspace(&state, &project).await?;
    ws.calibrate(run.as_deref()).await?;
    Ok(RunbookView::of(&ws))
}

/// Export formats.
#[derive(Debug, Clone, Copy, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// CSV.
    Csv,
    /// Markdown.
    Markdown,
}

impl ExportFormat {
    /// What the save dialog offers for it.
    pub fn kind(self) -> FileKind {
        match self {
            Self::Csv => dialogs::CSV,
            Self::Markdown => dialogs::MARKDOWN,
        }
    }
}

/// Runbook export formats: CSV, Markdown and the orchestrators' (Argo Workflows, Airflow).
#[derive(Debug, Clone, Copy, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum RunbookExportFormat {
    /// CSV.
    Csv,
    /// Markdown.
    Markdown,
    /// Argo Workflows `Workflow` manifest (YAML).
    Argo,
    /// Apache Airflow DAG file (Python).
    Airflow,
}

impl RunbookExportFormat {
    /// What the save dialog offers for it, and the suggested name's suffix.
    pub fn kind(self) -> (FileKind, &'static str) {
        match self {
            Self::Csv => (dialogs::CSV, "-runbook"),
            Self::Markdown => (dialogs::MARKDOWN, "-runbook"),
            Self::Argo => (dialogs::ARGO_YAML, "-cutover-workflow"),
            Self::Airflow => (dialogs::AIRFLOW_DAG, "-cutover-dag"),
        }
    }

    /// The engine's format.
    pub fn engine(self) -> RunbookFormat {
        match self {
            Self::Csv => RunbookFormat::Csv,
            Self::Markdown => RunbookFormat::Markdown,
            Self::Argo => RunbookFormat::Argo,
            Self::Airflow => RunbookFormat::Airflow,
        }
    }
}

/// A file written where the person chose in the save dialog.
#[derive(Debug, Clone, Serialize, Type)]
pub struct SavedFile {
    /// Where.
    pub path: String,
    /// Bytes written.
    pub bytes: f64,
}

/// Asks where to save the runbook (a save dialog opened here, in Rust: the window sends no
/// path) and writes it there; `null` when the person cancels.
#[tauri::command]
#[specta::specta]
pub async fn export_runbook(
    app: AppHandle,
    state: State<'_, AppState>,
    project: String,
    format: RunbookExportFormat,
) -> Result<Option<SavedFile>, AppError> {
    let name = with_workspace(&state, &project, |ws| ws.project().manifest().name.clone()).await?;
    let (kind, suffix) = format.kind();
    let chosen = dialogs::save(
        &app,
        "Export the runbook",
        &dialogs::file_name(&name, suffix, kind),
        kind,
        Some(&state.project_root(&project)?),
    )
    .await?;
    match chosen {
        Some(path) => write_runbook(&state, &project, format, &path)
            .await
            .map(Some),
        None => Ok(None),
    }
}

/// Writes the runbook of `project` to `path`, chosen in a dialog of [`dialogs`].
///
/// # Errors
/// [`ErrorCode::Io`](crate::error::ErrorCode::Io) when it cannot be written.
pub async fn write_runbook(
    state: &AppState,
    project: &str,
    format: RunbookExportFormat,
    path: &ChosenPath,
) -> Result<SavedFile, AppError> {
    let path = path.path();
    let format = format.engine();
    let bytes = with_workspace(state, project, |ws| ws.write_runbook(format, path)).await??;
    Ok(SavedFile {
        path: path.display().to_string(),
        bytes: bytes as f64,
    })
}
