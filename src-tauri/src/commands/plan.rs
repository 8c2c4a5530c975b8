//! Inventory, graph, blast radius and runbook of an opened project.

use migration_studio::workspace::RunbookFormat;
use serde::Deserialize;
use specta::Type;
use tauri::State;

use super::with_workspace;
use crate::error::AppError;
use crate::json::{BlastView, GraphView, InventoryView, RunbookView, StepEditRequest};
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
    let key = crate::state::project_key(&project)?;
    // The edit is awaited with the workspace held, so two edits cannot interleave.
    with_workspace(&state, &project, |_| ()).await?;
    let mut open = state.workspaces.lock().await;
    let ws = open.get_mut(&key).ok_or_else(|| {
        AppError::new(crate::error::ErrorCode::NotFound, "the project was closed")
    })?;
    ws.edit_step(edit.into()).await?;
    Ok(RunbookView::of(ws))
}

/// Runbook export formats.
#[derive(Debug, Clone, Copy, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// CSV.
    Csv,
    /// Markdown.
    Markdown,
}

/// Writes the runbook to `path` (chosen in the save dialog); returns the bytes written.
#[tauri::command]
#[specta::specta]
pub async fn export_runbook(
    state: State<'_, AppState>,
    project: String,
    format: ExportFormat,
    path: String,
) -> Result<f64, AppError> {
    let format = match format {
        ExportFormat::Csv => RunbookFormat::Csv,
        ExportFormat::Markdown => RunbookFormat::Markdown,
    };
    with_workspace(&state, &project, |ws| {
        ws.write_runbook(format, std::path::Path::new(&path))
    })
    .await?
    .map(|b| b as f64)
    .map_err(Into::into)
}
