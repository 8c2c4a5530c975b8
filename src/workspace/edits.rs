//! People's runbook edits: owner, expected duration and notes of a step, kept in the project
//! store (table `runbook_edit`) and applied to the generated plan each time it is built. The
//! notes land on the plan's step ([`Step::notes`]), so every export of the plan carries them.
//!
//! A step is keyed by `phase:title` ([`step_key`]), which survives re-planning (ids `S001`… are
//! renumbered whenever the plan changes). An edited duration replaces the estimate, says so in
//! the step's `estimate_basis`, and the schedule (critical path, earliest starts) is computed
//! again; the point of no return depends on rollback times only and does not move.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::WorkspaceError;
use crate::plan::{Plan, Schedule, Step};
use crate::project::{ProjectError, Store};

/// Longest accepted note, in characters.
pub const MAX_NOTES_CHARS: usize = 4_000;

/// The key of a step that survives re-planning: `phase:title`.
pub fn step_key(step: &Step) -> String {
    format!("{}:{}", step.phase, step.title)
}

/// An edit of one step; `None` keeps the generated value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepEdit {
    /// Key of the step ([`step_key`]).
    pub step_key: String,
    /// Owner replacing the generated role.
    pub owner: Option<String>,
    /// Expected minutes replacing the estimate.
    pub expected_minutes: Option<f64>,
    /// Free notes for the team.
    pub notes: Option<String>,
}

impl StepEdit {
    /// Whether the edit changes nothing.
    pub fn is_empty(&self) -> bool {
        self.owner.is_none() && self.expected_minutes.is_none() && self.notes.is_none()
    }

    /// Trims text, turns blank text into `None`, checks the duration and the notes' length.
    ///
    /// # Errors
    /// [`WorkspaceError::InvalidEdit`] naming the field.
    pub fn validated(self) -> Result<Self, WorkspaceError> {
        let clean = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let edit = Self {
            owner: clean(self.owner),
            notes: clean(self.notes),
            ..self
        };
        if let Some(m) = edit.expected_minutes {
            if !(m.is_finite() && m >= 0.0) {
                return Err(WorkspaceError::InvalidEdit {
                    field: "expected_minutes",
                    message: format!("{m} is not a number of minutes (0 or more)"),
                });
            }
        }
        if edit.owner.as_ref().is_some_and(|o| o.chars().count() > 200) {
            return Err(WorkspaceError::InvalidEdit {
                field: "owner",
                message: "an owner is at most 200 characters".into(),
            });
        }
        if edit
            .notes
            .as_ref()
            .is_some_and(|n| n.chars().count() > MAX_NOTES_CHARS)
        {
            return Err(WorkspaceError::InvalidEdit {
                field: "notes",
                message: format!("notes are at most {MAX_NOTES_CHARS} characters"),
            });
        }
        Ok(edit)
    }
}

/// The plan `generated` with `edits` applied and its schedule computed again.
pub fn apply(generated: &Plan, edits: &[StepEdit]) -> Plan {
    let mut plan = generated.clone();
    if edits.is_empty() {
        return plan;
    }
    for step in &mut plan.steps {
        let key = step_key(step);
        let Some(edit) = edits.iter().find(|e| e.step_key == key) else {
            continue;
        };
        if let Some(owner) = &edit.owner {
            step.owner.clone_from(owner);
        }
        if let Some(minutes) = edit.expected_minutes {
            step.estimate_basis = format!(
                "edited: {minutes} min (generated {} min, {})",
                step.expected_minutes, step.estimate_basis
            );
            step.expected_minutes = minutes;
            // A typed duration wins over a measured one: the step no longer shows as calibrated.
            if let Some(c) = &mut plan.calibration {
                c.duration_steps.retain(|id| id != &step.id);
            }
        }
        step.notes.clone_from(&edit.notes);
    }
    plan.schedule = Schedule::of(&plan.steps);
    plan
}

/// The stored edits, sorted by step key.
///
/// # Errors
/// [`ProjectError::Store`].
pub async fn load(store: &Store) -> Result<Vec<StepEdit>, ProjectError> {
    let rows = sqlx::query(
        "SELECT step_key, owner, expected_minutes, notes FROM runbook_edit ORDER BY step_key",
    )
    .fetch_all(store.pool())
    .await
    .map_err(|e| store.error(e))?;
    Ok(rows
        .into_iter()
        .map(|r| StepEdit {
            step_key: r.get(0),
            owner: r.get(1),
            expected_minutes: r.get(2),
            notes: r.get(3),
        })
        .collect())
}

/// Stores `edit`, replacing the step's earlier edit; an empty edit deletes it.
///
/// # Errors
/// [`ProjectError::Store`].
pub async fn save(store: &Store, edit: &StepEdit) -> Result<(), ProjectError> {
    let query = if edit.is_empty() {
        sqlx::query("DELETE FROM runbook_edit WHERE step_key = ?").bind(&edit.step_key)
    } else {
        sqlx::query(
            "INSERT INTO runbook_edit (step_key, owner, expected_minutes, notes, edited_at) \
             VALUES (?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now')) \
             ON CONFLICT (step_key) DO UPDATE SET owner = excluded.owner, \
             expected_minutes = excluded.expected_minutes, notes = excluded.notes, \
             edited_at = excluded.edited_at",
        )
        .bind(&edit.step_key)
        .bind(&edit.owner)
        .bind(edit.expected_minutes)
        .bind(&edit.notes)
    };
    query
        .execute(store.pool())
        .await
        .map(|_| ())
        .map_err(|e| store.error(e))
}
