//! Rehearsals. Until the rehearsal engine lands, a rehearsal here is the engine's trial run
//! ([`migration_studio::workspace::trial`]): create tables, backfill, indexes and FKs,
//! validate, timed against the plan, between two saved connections.

use std::time::{SystemTime, UNIX_EPOCH};

use migration_studio::backfill::{BackfillEvent, Control};
use migration_studio::workspace::trial::{self, TrialEvent, TrialOptions, TrialReport};
use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::ipc::Channel;
use tauri::State;

use super::{send, with_workspace};
use crate::connections;
use crate::error::{AppError, ErrorCode};
use crate::state::AppState;

/// What to rehearse with.
#[derive(Debug, Clone, Deserialize, Type)]
pub struct RehearsalRequest {
    /// Saved connection holding the source data (opened read-only).
    pub source: String,
    /// Saved connection of a scratch target database.
    pub target: String,
    /// Mark the target as a rehearsal target first (only for a scratch database).
    pub mark_target: bool,
}

/// Live progress.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum RehearsalEvent {
    /// A step starts.
    StepStarted {
        /// Step name.
        step: String,
    },
    /// A step ended.
    StepFinished {
        /// Step name.
        step: String,
        /// Seconds.
        seconds: f64,
    },
    /// A table's copy starts.
    TableStarted {
        /// Table.
        table: String,
        /// Estimated rows.
        estimated_rows: Option<f64>,
    },
    /// A chunk was committed.
    Chunk {
        /// Table.
        table: String,
        /// Rows copied so far.
        rows: f64,
        /// Rows per second.
        rows_per_second: f64,
        /// Seconds left, when known.
        eta_seconds: Option<f64>,
    },
    /// A table's copy ended.
    TableFinished {
        /// Table.
        table: String,
        /// Rows copied.
        rows: f64,
        /// Rows refused and kept.
        rejected: f64,
    },
    /// A table was validated.
    Validated {
        /// Table.
        table: String,
        /// Verdict.
        verdict: String,
    },
}

impl From<TrialEvent> for RehearsalEvent {
    fn from(e: TrialEvent) -> Self {
        match e {
            TrialEvent::StepStarted { step } => Self::StepStarted { step },
            TrialEvent::StepFinished { step, seconds } => Self::StepFinished { step, seconds },
            TrialEvent::Validated { table, verdict } => Self::Validated { table, verdict },
            TrialEvent::Backfill(BackfillEvent::TableStarted {
                table,
                estimated_rows,
                ..
            }) => Self::TableStarted {
                table,
                estimated_rows: estimated_rows.map(|r| r as f64),
            },
            TrialEvent::Backfill(BackfillEvent::Chunk {
                table,
                rows,
                rows_per_second,
                eta_seconds,
                ..
            }) => Self::Chunk {
                table,
                rows: rows as f64,
                rows_per_second,
                eta_seconds,
            },
            TrialEvent::Backfill(BackfillEvent::TableFinished {
                table,
                rows,
                rejected,
            }) => Self::TableFinished {
                table,
                rows: rows as f64,
                rejected: rejected as f64,
            },
        }
    }
}

/// A timed step of the report.
#[derive(Debug, Clone, Serialize, Type)]
pub struct TimedStepView {
    /// Name.
    pub name: String,
    /// Seconds from the start.
    pub start: f64,
    /// Measured seconds.
    pub seconds: f64,
    /// Planned seconds.
    pub expected: Option<f64>,
}

/// A table of the report.
#[derive(Debug, Clone, Serialize, Type)]
pub struct TableRunView {
    /// Source table.
    pub table: String,
    /// Wave.
    pub wave: u32,
    /// Rows copied.
    pub rows: f64,
    /// Rows refused.
    pub rejected: f64,
    /// Rows per second.
    pub rows_per_second: f64,
    /// Validation verdict.
    pub verdict: Option<String>,
    /// Rows in the target at validation.
    pub target_rows: Option<f64>,
}

/// A rehearsal's report.
#[derive(Debug, Clone, Serialize, Type)]
pub struct RehearsalReport {
    /// Run id.
    pub run_id: String,
    /// Start, seconds since the Unix epoch.
    pub started_at: f64,
    /// Source (password redacted).
    pub source: String,
    /// Target (password redacted).
    pub target: String,
    /// `passed`, `failed` or `cancelled`.
    pub outcome: String,
    /// Seconds in all.
    pub seconds: f64,
    /// Steps, measured and planned.
    pub steps: Vec<TimedStepView>,
    /// Tables.
    pub tables: Vec<TableRunView>,
    /// Overall validation verdict.
    pub verdict: Option<String>,
}

impl From<TrialReport> for RehearsalReport {
    fn from(r: TrialReport) -> Self {
        let verdict_of = |table: &str| {
            r.validation
                .as_ref()
                .and_then(|v| v.tables.iter().find(|t| t.source_table == table))
        };
        Self {
            tables: r
                .backfill
                .tables
                .iter()
                .map(|t| TableRunView {
                    table: t.source.clone(),
                    wave: t.wave as u32,
                    rows: t.rows as f64,
                    rejected: t.rejected as f64,
                    rows_per_second: t.rows_per_second,
                    verdict: verdict_of(&t.source).map(|v| v.verdict.to_string()),
                    target_rows: verdict_of(&t.source).map(|v| v.target_rows as f64),
                })
                .collect(),
            verdict: r.validation.as_ref().map(|v| v.verdict.to_string()),
            steps: r
                .steps
                .iter()
                .map(|s| TimedStepView {
                    name: s.name.clone(),
                    start: s.start,
                    seconds: s.seconds,
                    expected: s.expected,
                })
                .collect(),
            run_id: r.run_id,
            started_at: r.started_at,
            source: r.source,
            target: r.target,
            outcome: r.outcome,
            seconds: r.seconds,
        }
    }
}

/// Runs a rehearsal of `project` as task `task`, streaming progress; cancel stops after the
/// current chunk (the report then says `cancelled`).
#[tauri::command]
#[specta::specta]
pub async fn start_rehearsal(
    state: State<'_, AppState>,
    project: String,
    task: String,
    request: RehearsalRequest,
    on_event: Channel<RehearsalEvent>,
) -> Result<RehearsalReport, AppError> {
    let source_url = connections::url(&state.config_dir, &state.secrets, &request.source)?;
    let target_url = connections::url(&state.config_dir, &state.secrets, &request.target)?;
    let (project_value, plan) = with_workspace(&state, &project, |ws| {
        (ws.project().clone(), ws.plan().clone())
    })
    .await?;
    let control = Control::default();
    let _task = state.start_task(&task, {
        let control = control.clone();
        Box::new(move || control.cancel())
    })?;
    let run_id = format!(
        "desktop-{}",
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    );
    let options = TrialOptions {
        run_id,
        mark_target: request.mark_target,
        ..TrialOptions::default()
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<TrialEvent>();
    let forward = tokio::spawn(async move {
        while let Some(e) = rx.recv().await {
            send(&on_event, RehearsalEvent::from(e));
        }
    });
    // The engine's backfill future is not `Send` (its per-wave stream borrows the plan), so the
    // trial runs on a blocking thread of the runtime, driven there to completion.
    let handle = tokio::runtime::Handle::current();
    let result = tokio::task::spawn_blocking(move || {
        handle.block_on(trial::run(
            &project_value,
            &plan,
            &source_url,
            &target_url,
            &options,
            &control,
            tx,
        ))
    })
    .await
    .map_err(|e| AppError::new(ErrorCode::Internal, format!("the rehearsal stopped: {e}")))?;
    if let Err(e) = forward.await {
        tracing::debug!("progress forwarder ended: {e}");
    }
    let report = result.map_err(trial_error)?;
    Ok(report.into())
}

fn trial_error(e: trial::TrialError) -> AppError {
    match e {
        trial::TrialError::Db(db) => db.into(),
        trial::TrialError::Backfill(migration_studio::backfill::BackfillError::Db(db)) => db.into(),
        other => AppError::new(ErrorCode::Database, other.to_string()),
    }
}

/// Past rehearsals of `project`, most recent first.
#[tauri::command]
#[specta::specta]
pub async fn rehearsal_history(
    state: State<'_, AppState>,
    project: String,
) -> Result<Vec<RehearsalReport>, AppError> {
    with_workspace(&state, &project, |ws| trial::history(ws.project()))
        .await?
        .map(|list| list.into_iter().map(Into::into).collect())
        .map_err(|e| AppError::new(ErrorCode::Io, e.to_string()))
}
