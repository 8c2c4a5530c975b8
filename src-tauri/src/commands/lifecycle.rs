//! The lifecycle board: every migration job with its phase, the criteria its last window failed,
//! why it needs a look and its last transition, read from the project's lifecycle store (the one
//! `migration-studio lifecycle run` writes), so the window follows a running loop by polling.

use migration_studio::workspace::lifecycle::{now, status::status};
use serde::Serialize;
use specta::Type;
use tauri::State;

use crate::error::AppError;
use crate::state::AppState;

/// The board.
#[derive(Debug, Clone, Serialize, Type)]
pub struct LifecycleBoard {
    /// Every phase in lifecycle order (`held` last), with its number of jobs.
    pub phases: Vec<PhaseCount>,
    /// Every job, by id.
    pub jobs: Vec<JobCard>,
}

/// A phase and its number of jobs.
#[derive(Debug, Clone, Serialize, Type)]
pub struct PhaseCount {
    /// `planned`, `shadow`, `reverse_shadow`, `cleanup`, `done`, `held`.
    pub phase: String,
    /// Jobs in it.
    pub jobs: u32,
}

/// One job's card.
#[derive(Debug, Clone, Serialize, Type)]
pub struct JobCard {
    /// The job's id (the table's name).
    pub id: String,
    /// Its phase.
    pub phase: String,
    /// Consecutive windows in which every criterion held.
    pub streak: u32,
    /// The last window's failed criteria (`L001 data quality: …`); empty when all held.
    pub failures: Vec<String>,
    /// Why it needs a look (`held`, `regressing`, `awaiting_approval`, `stuck`) with the code,
    /// e.g. `L007 regressing`; empty when it does not.
    pub attention: Vec<String>,
    /// Its last transition in words (`shadow → reverse_shadow by loop: …`), when it had one.
    pub last_transition: Option<String>,
    /// When it last changed phase, Unix seconds.
    pub last_transition_at: f64,
    /// When it was last measured, Unix seconds.
    pub last_window_at: Option<f64>,
}

/// The lifecycle board of `project`: every job (the window filters to those needing a look).
#[tauri::command]
#[specta::specta]
pub async fn lifecycle_board(
    state: State<'_, AppState>,
    project: String,
) -> Result<LifecycleBoard, AppError> {
    let root = state.project_root(&project)?;
    let view = status(&root, true, now())
        .await
        .map_err(|e| AppError::classified(&e))?;
    Ok(LifecycleBoard {
        phases: view
            .phases
            .iter()
            .map(|(phase, n)| PhaseCount {
                phase: phase.to_string(),
                jobs: *n as u32,
            })
            .collect(),
        jobs: view
            .jobs
            .into_iter()
            .map(|v| JobCard {
                id: v.job.id,
                phase: v.job.phase.to_string(),
                streak: v.job.streak,
                failures: v.job.failures,
                attention: v
                    .attention
                    .iter()
                    .map(|a| format!("{} {}", a.code(), a.name()))
                    .collect(),
                last_transition: v.last_transition.map(|t| {
                    format!(
                        "{} → {} by {}: {}",
                        t.from,
                        t.to,
                        t.actor.to_text(),
                        t.reason
                    )
                }),
                last_transition_at: v.job.last_transition_at,
                last_window_at: v.job.last_window_at,
            })
            .collect(),
    })
}
