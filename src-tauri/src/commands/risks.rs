//! The risk register: its grid and heat map, the plan's pending suggestions, edits (add, edit,
//! delete, accept or dismiss a suggestion) and CSV in and out through dialogs opened here.
//! Every edit returns the whole register again, so the grid and the heat map follow at once.

use migration_studio::risk::register::Decision;
use migration_studio::risk::suggest::Suggestion;
use migration_studio::risk::{Category, Risk, Status};
use migration_studio::workspace::{RiskFormat, Workspace};
use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::{AppHandle, State};

use super::plan::{ExportFormat, SavedFile};
use super::{with_workspace, workspace};
use crate::dialogs::{self, ChosenPath};
use crate::error::AppError;
use crate::state::AppState;

/// One risk of the register.
#[derive(Debug, Clone, Serialize, Type)]
pub struct RiskRow {
    /// `R-001`…
    pub id: String,
    /// What could happen.
    pub title: String,
    /// Category (`data loss`, `downtime`…).
    pub category: String,
    /// 1–5.
    pub severity: u8,
    /// 1–5.
    pub likelihood: u8,
    /// Severity × likelihood.
    pub score: u8,
    /// Mitigation.
    pub mitigation: Option<String>,
    /// Owner.
    pub owner: Option<String>,
    /// `open`, `mitigating`, `accepted`, `retired`.
    pub status: String,
    /// Linked artifact ids.
    pub artifacts: Vec<String>,
    /// Runbook step or check that retires it.
    pub retired_by: Option<String>,
    /// The title of that runbook step, when `retired_by` is a step id of the current plan.
    pub retired_by_step: Option<String>,
    /// Ordering constraints, as text (`X before Y`).
    pub ordering: Vec<String>,
    /// `no-mitigation`, `no-owner`.
    pub flags: Vec<String>,
    /// Artifacts affected through the graph (blast radius of the linked artifacts).
    pub blast_radius: u32,
    /// Linked ids (and ordering ends) that are not in the graph.
    pub unknown_artifacts: Vec<String>,
    /// Key of the suggestion it was accepted from.
    pub origin: Option<String>,
}

/// A suggestion of the plan, not decided yet.
#[derive(Debug, Clone, Serialize, Type)]
pub struct SuggestionView {
    /// Stable key.
    pub key: String,
    /// Why it is suggested.
    pub reason: String,
    /// The risk it would become.
    pub title: String,
    /// Category.
    pub category: String,
    /// 1–5.
    pub severity: u8,
    /// 1–5.
    pub likelihood: u8,
    /// Severity × likelihood.
    pub score: u8,
    /// Linked artifact ids.
    pub artifacts: Vec<String>,
    /// Runbook step that would retire it.
    pub retired_by: Option<String>,
}

impl From<&Suggestion> for SuggestionView {
    fn from(s: &Suggestion) -> Self {
        Self {
            key: s.key.clone(),
            reason: s.reason.clone(),
            title: s.risk.title.clone(),
            category: s.risk.category.to_string(),
            severity: s.risk.severity,
            likelihood: s.risk.likelihood,
            score: s.risk.score(),
            artifacts: s.risk.artifacts.clone(),
            retired_by: s.risk.retired_by.clone(),
        }
    }
}

/// The register.
#[derive(Debug, Clone, Serialize, Type)]
pub struct RiskView {
    /// Risks by id.
    pub risks: Vec<RiskRow>,
    /// `heat[severity - 1][likelihood - 1]`: risks not retired.
    pub heat: Vec<Vec<u32>>,
    /// Ordering constraints naming unknown artifacts, as `risk id: constraint`.
    pub ignored_orderings: Vec<String>,
    /// The plan's suggestions not decided yet.
    pub suggestions: Vec<SuggestionView>,
    /// Category names the form offers.
    pub categories: Vec<String>,
    /// Status names the form offers.
    pub statuses: Vec<String>,
}

impl RiskView {
    /// The register of `ws`, with `suggestions` pending.
    pub fn of(ws: &Workspace, suggestions: &[Suggestion]) -> Self {
        let step_title = |id: &str| {
            ws.plan()
                .steps
                .iter()
                .find(|s| s.id == id)
                .map(|s| s.title.clone())
        };
        Self {
            risks: ws
                .risks()
                .iter()
                .map(|r| RiskRow {
                    id: r.id.clone(),
                    title: r.title.clone(),
                    category: r.category.to_string(),
                    severity: r.severity,
                    likelihood: r.likelihood,
                    score: r.score(),
                    mitigation: r.mitigation.clone(),
                    owner: r.owner.clone(),
                    status: r.status.to_string(),
                    artifacts: r.artifacts.clone(),
                    retired_by_step: r.retired_by.as_deref().and_then(step_title),
                    retired_by: r.retired_by.clone(),
                    ordering: r.ordering.iter().map(ToString::to_string).collect(),
                    flags: r.flags().into_iter().map(str::to_owned).collect(),
                    blast_radius: migration_studio::risk::blast_radius(r, ws.graph())
                        .affected
                        .len() as u32,
                    unknown_artifacts: migration_studio::risk::unknown_artifacts(r, ws.graph())
                        .into_iter()
                        .map(str::to_owned)
                        .collect(),
                    origin: r.origin.clone(),
                })
                .collect(),
            heat: ws
                .heat_map()
                .cells
                .iter()
                .map(|row| row.iter().map(|&c| c as u32).collect())
                .collect(),
            ignored_orderings: ws
                .ignored_orderings()
                .iter()
                .map(|(id, c)| format!("{id}: {c}"))
                .collect(),
            suggestions: suggestions.iter().map(Into::into).collect(),
            categories: Category::ALL.iter().map(ToString::to_string).collect(),
            statuses: Status::ALL.iter().map(ToString::to_string).collect(),
        }
    }
}

/// A risk as the form sends it. Names (category, status, `X before Y`) are parsed by the
/// engine; the first one it refuses is an `invalid_input` error naming its field.
#[derive(Debug, Clone, Deserialize, Type)]
pub struct RiskForm {
    /// Empty for a new risk (the register gives it the next `R-nnn`), else the risk to replace.
    pub id: String,
    /// What could happen.
    pub title: String,
    /// One of [`RiskView::categories`].
    pub category: String,
    /// 1–5.
    pub severity: u8,
    /// 1–5.
    pub likelihood: u8,
    /// How it is mitigated.
    pub mitigation: Option<String>,
    /// Who owns it.
    pub owner: Option<String>,
    /// One of [`RiskView::statuses`].
    pub status: String,
    /// Linked artifact ids.
    pub artifacts: Vec<String>,
    /// Runbook step id or validation check that retires it.
    pub retired_by: Option<String>,
    /// Ordering constraints `X before Y`.
    pub ordering: Vec<String>,
}

impl TryFrom<RiskForm> for Risk {
    type Error = AppError;

    fn try_from(form: RiskForm) -> Result<Self, AppError> {
        let category: Category = form
            .category
            .parse()
            .map_err(|m: String| AppError::invalid("category", m))?;
        let mut risk = Risk::new(
            &form.id,
            &form.title,
            category,
            form.severity,
            form.likelihood,
        );
        risk.status = form
            .status
            .parse()
            .map_err(|m: String| AppError::invalid("status", m))?;
        risk.mitigation = form.mitigation;
        risk.owner = form.owner;
        risk.artifacts = form.artifacts;
        risk.retired_by = form.retired_by;
        risk.ordering = form
            .ordering
            .iter()
            .filter(|o| !o.trim().is_empty())
            .map(|o| {
                o.parse()
                    .map_err(|m: String| AppError::invalid("ordering", m))
            })
            .collect::<Result<_, _>>()?;
        Ok(risk)
    }
}

/// What to do with a suggestion.
#[derive(Debug, Clone, Copy, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum SuggestionDecision {
    /// It becomes a risk.
    Accept,
    /// It is not a risk here.
    Dismiss,
}

/// What a CSV import stored.
#[derive(Debug, Clone, Serialize, Type)]
pub struct RiskImportDone {
    /// The file read.
    pub path: String,
    /// Risks added or replaced.
    pub imported: u32,
    /// The register after it.
    pub register: RiskView,
}

async fn view(ws: &Workspace) -> Result<RiskView, AppError> {
    let suggestions = ws.pending_suggestions().await?;
    Ok(RiskView::of(ws, &suggestions))
}

/// The risk register of `project`, its heat map and the pending suggestions.
#[tauri::command]
#[specta::specta]
pub async fn risks(state: State<'_, AppState>, project: String) -> Result<RiskView, AppError> {
    register(&state, &project).await
}

/// [`risks`].
///
/// # Errors
/// Opening the project or reading its store.
pub async fn register(state: &AppState, project: &str) -> Result<RiskView, AppError> {
    view(&*workspace(state, project).await?).await
}

/// Adds a risk (empty id) or replaces one; returns the register.
#[tauri::command]
#[specta::specta]
pub async fn save_risk(
    state: State<'_, AppState>,
    project: String,
    risk: RiskForm,
) -> Result<RiskView, AppError> {
    save(&state, &project, risk).await
}

/// [`save_risk`].
///
/// # Errors
/// `invalid_input` naming the field; `not_found` for an id not in the register; store errors.
pub async fn save(state: &AppState, project: &str, risk: RiskForm) -> Result<RiskView, AppError> {
    let risk = Risk::try_from(risk)?;
    let mut ws = workspace(state, project).await?;
    ws.save_risk(risk).await?;
    view(&ws).await
}

/// Deletes a risk; returns the register.
#[tauri::command]
#[specta::specta]
pub async fn delete_risk(
    state: State<'_, AppState>,
    project: String,
    id: String,
) -> Result<RiskView, AppError> {
    delete(&state, &project, &id).await
}

/// [`delete_risk`].
///
/// # Errors
/// `not_found`; store errors.
pub async fn delete(state: &AppState, project: &str, id: &str) -> Result<RiskView, AppError> {
    let mut ws = workspace(state, project).await?;
    ws.delete_risk(id).await?;
    view(&ws).await
}

/// Accepts (it becomes a risk) or dismisses a suggestion; returns the register.
#[tauri::command]
#[specta::specta]
pub async fn decide_risk_suggestion(
    state: State<'_, AppState>,
    project: String,
    key: String,
    decision: SuggestionDecision,
) -> Result<RiskView, AppError> {
    decide(&state, &project, &key, decision).await
}

/// [`decide_risk_suggestion`].
///
/// # Errors
/// `not_found` when the suggestion is not pending; store errors.
pub async fn decide(
    state: &AppState,
    project: &str,
    key: &str,
    decision: SuggestionDecision,
) -> Result<RiskView, AppError> {
    let decision = match decision {
        SuggestionDecision::Accept => Decision::Accepted,
        SuggestionDecision::Dismiss => Decision::Dismissed,
    };
    let mut ws = workspace(state, project).await?;
    ws.decide_suggestion(key, decision).await?;
    view(&ws).await
}

/// Asks which CSV to import (an open dialog opened here: the window sends no path) and
/// imports it, all rows or none; `null` when the person cancels.
#[tauri::command]
#[specta::specta]
pub async fn import_risks(
    app: AppHandle,
    state: State<'_, AppState>,
    project: String,
) -> Result<Option<RiskImportDone>, AppError> {
    let folder = state.project_root(&project)?;
    match dialogs::open(&app, "Import risks from CSV", dialogs::CSV, Some(&folder)).await? {
        Some(path) => import_csv(&state, &project, &path).await.map(Some),
        None => Ok(None),
    }
}

/// Imports the risk CSV `path`, chosen in a dialog of [`dialogs`].
///
/// # Errors
/// `invalid_csv` naming the line and column of the first bad cell (nothing stored); `io`.
pub async fn import_csv(
    state: &AppState,
    project: &str,
    path: &ChosenPath,
) -> Result<RiskImportDone, AppError> {
    let path = path.path();
    let mut ws = workspace(state, project).await?;
    let done = ws.import_risks_csv(path).await?;
    Ok(RiskImportDone {
        path: path.display().to_string(),
        imported: done.stored.len() as u32,
        register: view(&ws).await?,
    })
}

/// Asks where to save the register (a save dialog opened here) and writes it there; `null`
/// when the person cancels.
#[tauri::command]
#[specta::specta]
pub async fn export_risks(
    app: AppHandle,
    state: State<'_, AppState>,
    project: String,
    format: ExportFormat,
) -> Result<Option<SavedFile>, AppError> {
    let name = with_workspace(&state, &project, |ws| ws.project().manifest().name.clone()).await?;
    let kind = format.kind();
    let chosen = dialogs::save(
        &app,
        "Export the risk register",
        &dialogs::file_name(&name, "-risks", kind),
        kind,
        Some(&state.project_root(&project)?),
    )
    .await?;
    match chosen {
        Some(path) => write_register(&state, &project, format, &path)
            .await
            .map(Some),
        None => Ok(None),
    }
}

/// Writes the register of `project` to `path`, chosen in a dialog of [`dialogs`].
///
/// # Errors
/// `io` when it cannot be written.
pub async fn write_register(
    state: &AppState,
    project: &str,
    format: ExportFormat,
    path: &ChosenPath,
) -> Result<SavedFile, AppError> {
    let path = path.path();
    let format = match format {
        ExportFormat::Csv => RiskFormat::Csv,
        ExportFormat::Markdown => RiskFormat::Markdown,
    };
    let bytes = with_workspace(state, project, |ws| ws.write_risks(format, path)).await??;
    Ok(SavedFile {
        path: path.display().to_string(),
        bytes: bytes as f64,
    })
}
