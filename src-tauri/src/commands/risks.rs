//! The risk register and its heat map.

use serde::Serialize;
use specta::Type;
use tauri::State;

use super::with_workspace;
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
    /// Ordering constraints, as text (`X before Y`).
    pub ordering: Vec<String>,
    /// `no-mitigation`, `no-owner`.
    pub flags: Vec<String>,
    /// Artifacts affected through the graph (blast radius of the linked artifacts).
    pub blast_radius: u32,
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
}

/// The risk register of `project`, with its heat map.
#[tauri::command]
#[specta::specta]
pub async fn risks(state: State<'_, AppState>, project: String) -> Result<RiskView, AppError> {
    with_workspace(&state, &project, |ws| RiskView {
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
                retired_by: r.retired_by.clone(),
                ordering: r.ordering.iter().map(ToString::to_string).collect(),
                flags: r.flags().into_iter().map(str::to_owned).collect(),
                blast_radius: migration_studio::risk::blast_radius(r, ws.graph())
                    .affected
                    .len() as u32,
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
    })
    .await
}
