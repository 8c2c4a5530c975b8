//! Rehearsals, two kinds:
//!
//! - a full rehearsal ([`rehearse`], the engine's [`migration_studio::rehearsal`]): scratch
//!   databases on two servers, the source loaded from the project's scripts, change capture, a
//!   write workload, backfill, catch-up, freeze, validation, go/no-go gates, cutover and a
//!   rollback drill timed against the RTO;
//! - a trial copy ([`start_rehearsal`], the backfill use case
//!   [`migration_studio::workspace::backfill`]) from a database that already holds the data into
//!   a scratch target: create tables, backfill, indexes and FKs, validate, with per-table
//!   progress; cancel removes what it made in the target.

use std::time::{SystemTime, UNIX_EPOCH};

use migration_studio::backfill::{BackfillEvent, BackfillOptions};
use migration_studio::project::Project;
use migration_studio::rehearsal::{
    self, gates, AnyProvider, ImageOverrides, Provider, ProviderChoice, ProviderError,
    RehearsalOptions,
};
use migration_studio::workspace::backfill::{
    self, BackfillProgress, BackfillRequest, BackfillRun, OnCancel,
};
use migration_studio::workspace::Cancel;
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
    /// Change-capture lag, sampled during a catch-up or the rollback drill (full rehearsals).
    Lag {
        /// `catch-up`, `final catch-up` or `rollback`.
        phase: String,
        /// Changes captured and not yet applied.
        pending: f64,
        /// Age of the oldest of them, seconds.
        age_seconds: f64,
    },
}

impl From<BackfillEvent> for RehearsalEvent {
    fn from(e: BackfillEvent) -> Self {
        match e {
            BackfillEvent::TableStarted {
                table,
                estimated_rows,
                ..
            } => Self::TableStarted {
                table,
                estimated_rows: estimated_rows.map(|r| r as f64),
            },
            BackfillEvent::Chunk {
                table,
                rows,
                rows_per_second,
                eta_seconds,
                ..
            } => Self::Chunk {
                table,
                rows: rows as f64,
                rows_per_second,
                eta_seconds,
            },
            BackfillEvent::TableFinished {
                table,
                rows,
                rejected,
            } => Self::TableFinished {
                table,
                rows: rows as f64,
                rejected: rejected as f64,
            },
        }
    }
}

impl From<BackfillProgress> for RehearsalEvent {
    fn from(e: BackfillProgress) -> Self {
        match e {
            BackfillProgress::StepStarted { step } => Self::StepStarted { step },
            BackfillProgress::StepFinished { step, seconds } => {
                Self::StepFinished { step, seconds }
            }
            BackfillProgress::Validated { table, verdict } => Self::Validated { table, verdict },
            BackfillProgress::Copy(e) => e.into(),
        }
    }
}

impl From<rehearsal::RehearsalEvent> for RehearsalEvent {
    fn from(e: rehearsal::RehearsalEvent) -> Self {
        use rehearsal::RehearsalEvent as E;
        match e {
            E::StepStarted { step, .. } => Self::StepStarted { step },
            E::StepFinished { step, seconds, .. } => Self::StepFinished { step, seconds },
            E::Backfill { event } => event.into(),
            E::Lag {
                phase,
                pending,
                age_seconds,
            } => Self::Lag {
                phase,
                pending: pending as f64,
                age_seconds,
            },
        }
    }
}

/// A timed step of the report.
#[derive(Debug, Clone, Serialize, Type)]
pub struct TimedStepView {
    /// Name (a runbook step's title, without its id).
    pub name: String,
    /// The runbook step's id (`S017`); `None` for a set-up step, a trial's step or a rollback
    /// drill's undo (whose name says which step it undoes).
    pub step_id: Option<String>,
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

/// Change-capture lag at one instant.
#[derive(Debug, Clone, Serialize, Type)]
pub struct LagPoint {
    /// Seconds from the start.
    pub at_seconds: f64,
    /// Phase (`catch-up`, `final catch-up`, `rollback`).
    pub phase: String,
    /// Changes captured and not yet applied.
    pub pending: f64,
    /// Age of the oldest of them, seconds.
    pub age_seconds: f64,
}

/// Rows copied at one instant (a trial copy's progress curve).
#[derive(Debug, Clone, Serialize, Type)]
pub struct ProgressPoint {
    /// Seconds from the start.
    pub at_seconds: f64,
    /// Rows copied so far, all tables.
    pub rows: f64,
}

/// A go/no-go gate.
#[derive(Debug, Clone, Serialize, Type)]
pub struct GateView {
    /// What is checked.
    pub gate: String,
    /// Measured value.
    pub measured: f64,
    /// Limit.
    pub limit: f64,
    /// Whether it passed.
    pub passed: bool,
    /// Why, in words.
    pub reason: String,
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
    /// `passed`, `failed`, `copied` (a backfill run without validation, from the CLI) or
    /// `cancelled`.
    pub outcome: String,
    /// Seconds in all.
    pub seconds: f64,
    /// Source rows the run copied (a full rehearsal's loaded source; a trial copy's tables).
    pub rows: f64,
    /// Steps, measured and planned.
    pub steps: Vec<TimedStepView>,
    /// Tables.
    pub tables: Vec<TableRunView>,
    /// Overall validation verdict.
    pub verdict: Option<String>,
    /// `full` (rehearsal engine) or `trial` (copy and validate).
    pub kind: String,
    /// Capture lag over time (full rehearsals).
    pub lag: Vec<LagPoint>,
    /// Rows copied over time (trial copies; empty for older records and full rehearsals).
    pub progress: Vec<ProgressPoint>,
    /// Go/no-go gates (full rehearsals).
    pub gates: Vec<GateView>,
    /// Why it failed, when it did.
    pub failed_because: Option<String>,
    /// Write downtime, seconds (full rehearsals).
    pub write_downtime_seconds: Option<f64>,
    /// Rollback drill, seconds (full rehearsals).
    pub rollback_seconds: Option<f64>,
    /// RTO, seconds.
    pub rto_seconds: Option<f64>,
}

impl From<migration_studio::rehearsal::RehearsalReport> for RehearsalReport {
    fn from(r: migration_studio::rehearsal::RehearsalReport) -> Self {
        Self {
            run_id: r.id,
            started_at: r.started_at_unix as f64,
            source: format!("scratch copy loaded from {}'s scripts", r.project),
            target: format!("scratch target ({})", r.provider),
            outcome: match r.verdict {
                migration_studio::rehearsal::Verdict::Pass => "passed".into(),
                migration_studio::rehearsal::Verdict::Fail => "failed".into(),
            },
            seconds: r.total_seconds,
            rows: r.source_rows as f64,
            steps: r
                .steps
                .iter()
                .map(|s| TimedStepView {
                    name: s.name.clone(),
                    step_id: s.step_id.clone(),
                    start: s.start_seconds,
                    seconds: s.end_seconds - s.start_seconds,
                    expected: s.expected_seconds,
                })
                .collect(),
            tables: Vec::new(),
            verdict: Some(r.validation_verdict.clone()),
            kind: "full".into(),
            lag: r
                .lag
                .iter()
                .map(|l| LagPoint {
                    at_seconds: l.at_seconds,
                    phase: l.phase.clone(),
                    pending: l.pending as f64,
                    age_seconds: l.age_seconds,
                })
                .collect(),
            progress: Vec::new(),
            gates: r
                .gates
                .iter()
                .map(|g| GateView {
                    // The gate's code leads, as in the CLI's report (`G001 mismatched rows`);
                    // label and reason in words, as the HTML report shows them.
                    gate: gates::in_words(format!("{} {}", g.code, g.gate).trim_start()),
                    measured: g.measured,
                    limit: g.limit,
                    passed: g.passed,
                    reason: gates::in_words(&g.reason),
                })
                .collect(),
            failed_because: r.failed_because.clone(),
            write_downtime_seconds: Some(r.write_downtime_seconds),
            rollback_seconds: Some(r.rollback_seconds),
            rto_seconds: Some(r.rto_seconds),
        }
    }
}

impl From<BackfillRun> for RehearsalReport {
    fn from(r: BackfillRun) -> Self {
        let verdict_of = |table: &str| {
            r.validation
                .as_ref()
                .and_then(|v| v.tables.iter().find(|t| t.source_table == table))
        };
        Self {
            rows: r.backfill.tables.iter().map(|t| t.rows as f64).sum(),
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
                    step_id: None,
                    start: s.start,
                    seconds: s.seconds,
                    expected: s.expected,
                })
                .collect(),
            kind: "trial".into(),
            lag: Vec::new(),
            progress: r
                .progress
                .iter()
                .map(|p| ProgressPoint {
                    at_seconds: p.at_seconds,
                    rows: p.rows as f64,
                })
                .collect(),
            gates: Vec::new(),
            failed_because: None,
            write_downtime_seconds: None,
            rollback_seconds: None,
            rto_seconds: None,
            run_id: r.run_id,
            started_at: r.started_at,
            source: r.source,
            target: r.target,
            outcome: r.outcome,
            seconds: r.seconds,
        }
    }
}

/// Runs a trial copy of `project` as task `task` (the backfill use case: create tables, copy,
/// indexes and FKs, validate), streaming progress. Cancel stops after the current chunk and
/// removes what the run made in the target (the report then says `cancelled`).
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
    let cancel = Cancel::new();
    let _task = state.start_task(&task, {
        let cancel = cancel.clone();
        Box::new(move || cancel.cancel())
    })?;
    let run_id = format!(
        "desktop-{}",
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    );
    let trial = BackfillRequest {
        create_tables: true,
        post_copy: true,
        validate: true,
        mark_target: request
            .mark_target
            .then(|| "marked from the desktop app".to_owned()),
        options: BackfillOptions {
            run_id,
            restart: true,
            ..BackfillOptions::default()
        },
        on_cancel: OnCancel::Remove,
        ..BackfillRequest::new(source_url, target_url)
    }
    .with_project_spec(&project_value);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<BackfillProgress>();
    let forward = tokio::spawn(async move {
        while let Some(e) = rx.recv().await {
            send(&on_event, RehearsalEvent::from(e));
        }
    });
    // The engine's backfill future is not `Send` (its per-wave stream borrows the plan), so the
    // trial runs on a blocking thread of the runtime, driven there to completion.
    let handle = tokio::runtime::Handle::current();
    let result = tokio::task::spawn_blocking(move || {
        handle.block_on(backfill::run(
            &project_value,
            Some(&plan),
            &trial,
            &cancel,
            Some(tx),
        ))
    })
    .await
    .map_err(|e| AppError::new(ErrorCode::Internal, format!("the rehearsal stopped: {e}")))?;
    if let Err(e) = forward.await {
        tracing::debug!("progress forwarder ended: {e}");
    }
    Ok(result?.into())
}

/// Past rehearsals of `project`, most recent first.
#[tauri::command]
#[specta::specta]
pub async fn rehearsal_history(
    state: State<'_, AppState>,
    project: String,
) -> Result<Vec<RehearsalReport>, AppError> {
    let (trials, full) = with_workspace(&state, &project, |ws| {
        (
            backfill::history(ws.project()),
            migration_studio::workspace::history::rehearsals(ws.project().root()),
        )
    })
    .await?;
    let mut all: Vec<RehearsalReport> = trials?
        .into_iter()
        .map(Into::into)
        .chain(full.into_iter().map(Into::into))
        .collect();
    all.sort_by(|a, b| b.started_at.total_cmp(&a.started_at));
    Ok(all)
}

/// Where a full rehearsal's scratch databases live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum ProviderPick {
    /// Docker when a daemon answers and images are present, else the local servers.
    Auto,
    /// Scratch databases on the two servers chosen.
    Local,
    /// Throwaway containers.
    Docker,
}

impl From<ProviderPick> for ProviderChoice {
    fn from(p: ProviderPick) -> Self {
        match p {
            ProviderPick::Auto => Self::Auto,
            ProviderPick::Local => Self::Local,
            ProviderPick::Docker => Self::Docker,
        }
    }
}

/// What a full rehearsal runs on.
#[derive(Debug, Clone, Deserialize, Type)]
pub struct FullRehearsalRequest {
    /// Where the scratch databases live.
    pub provider: ProviderPick,
    /// Saved connection of the server that gets the scratch source (its database is ignored);
    /// needed when the local servers are used.
    pub source_server: Option<String>,
    /// Saved connection of the server that gets the scratch target (its database is ignored).
    pub target_server: Option<String>,
    /// Docker image for the source instead of the default.
    pub source_image: Option<String>,
    /// Docker image for the target instead of the default.
    pub target_image: Option<String>,
    /// Workload writes per second during the backfill and after the cutover.
    pub workload_rate: f64,
}

/// The provider a full rehearsal would run on, and why.
#[derive(Debug, Clone, Serialize, Type)]
pub struct ProviderView {
    /// What was asked for.
    pub asked: ProviderPick,
    /// What it runs on: `docker` or `local`.
    pub provider: String,
    /// For `auto`, why (the Docker daemon that answers, or why Docker cannot be used).
    pub reason: Option<String>,
    /// Whether the two servers must be chosen (the local provider uses them).
    pub needs_servers: bool,
}

/// Progress of a full rehearsal: the provider chosen, then the engine's steps, backfill and lag
/// as they happen, and the elapsed time every second.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum FullRehearsalEvent {
    /// Where the scratch databases are made.
    Provider {
        /// The choice and its reason.
        choice: ProviderView,
    },
    /// Still running.
    Running {
        /// Seconds since the start.
        elapsed_seconds: f64,
    },
    /// A step started or ended, a backfill chunk was committed, the capture lag was sampled.
    Progress {
        /// What happened.
        progress: RehearsalEvent,
    },
}

/// The engine's options for `request`: server URLs from the keychain (empty when not chosen).
fn options(state: &AppState, request: &FullRehearsalRequest) -> Result<RehearsalOptions, AppError> {
    let server = |name: &Option<String>| match name.as_deref().map(str::trim) {
        Some(name) if !name.is_empty() => connections::url(&state.config_dir, &state.secrets, name),
        _ => Ok(String::new()),
    };
    let image = |i: &Option<String>| {
        i.as_deref()
            .map(str::trim)
            .filter(|i| !i.is_empty())
            .map(str::to_owned)
    };
    let defaults = RehearsalOptions::default();
    Ok(RehearsalOptions {
        source_server: server(&request.source_server)?,
        target_server: server(&request.target_server)?,
        workload_rate: if request.workload_rate.is_finite() && request.workload_rate > 0.0 {
            request.workload_rate
        } else {
            defaults.workload_rate
        },
        provider: request.provider.into(),
        // Known before it starts, so a cancelled run's scratch databases can be removed.
        run_id: Some(rehearsal::new_run_id()),
        images: ImageOverrides {
            source: image(&request.source_image),
            target: image(&request.target_image),
        },
        ..defaults
    })
}

/// Chooses the provider for `options` as the engine does.
async fn choose(
    project: &Project,
    options: &RehearsalOptions,
    asked: ProviderPick,
) -> Result<(AnyProvider, ProviderView), AppError> {
    let (provider, reason) = rehearsal::choose_provider(project, options)
        .await
        .map_err(provider_error)?;
    let view = ProviderView {
        asked,
        provider: provider.name().to_owned(),
        reason,
        needs_servers: matches!(provider, AnyProvider::Local(_)),
    };
    Ok((provider, view))
}

fn provider_error(e: ProviderError) -> AppError {
    AppError::new(ErrorCode::Provider, e.to_string()).hint(
        "Start a Docker daemon (or set DOCKER_HOST before starting the app) and build the images with `migration-studio images build`, or choose the local servers.",
    )
}

/// Where a full rehearsal of `project` with `request` would run, and why (for `auto`: whether
/// a Docker daemon answers and has the images, else the local servers).
#[tauri::command]
#[specta::specta]
pub async fn rehearsal_provider(
    state: State<'_, AppState>,
    project: String,
    request: FullRehearsalRequest,
) -> Result<ProviderView, AppError> {
    provider_for(&state, &project, &request).await
}

/// [`rehearsal_provider`].
///
/// # Errors
/// `provider` when Docker was asked for and cannot be used; `not_found` or
/// `missing_connection` for a chosen server.
pub async fn provider_for(
    state: &AppState,
    project: &str,
    request: &FullRehearsalRequest,
) -> Result<ProviderView, AppError> {
    let options = options(state, request)?;
    let project = with_workspace(state, project, |ws| ws.project().clone()).await?;
    Ok(choose(&project, &options, request.provider).await?.1)
}

/// Runs a full rehearsal of `project` as task `task` (see the module docs) on the provider
/// `request` asks for, saying first which one and why. Cancel stops it where it is and removes
/// its scratch databases or containers, as Ctrl-C does in the CLI.
#[tauri::command]
#[specta::specta]
pub async fn rehearse(
    state: State<'_, AppState>,
    project: String,
    task: String,
    request: FullRehearsalRequest,
    on_event: Channel<FullRehearsalEvent>,
) -> Result<RehearsalReport, AppError> {
    let options = options(&state, &request)?;
    let project_value = with_workspace(&state, &project, |ws| ws.project().clone()).await?;
    let (provider, choice) = choose(&project_value, &options, request.provider).await?;
    if choice.needs_servers {
        for (field, url) in [
            ("source_server", &options.source_server),
            ("target_server", &options.target_server),
        ] {
            if url.is_empty() {
                return Err(AppError::invalid(
                    field,
                    format!("{field}: the rehearsal runs on the local servers ({}); choose both servers", choice.reason.as_deref().unwrap_or("as asked")),
                )
                .hint("Choose a saved connection for each server, or start Docker and choose Auto or Docker."));
            }
        }
    }
    send(&on_event, FullRehearsalEvent::Provider { choice });
    let cancel = migration_studio::workspace::Cancel::new();
    let _task = state.start_task(&task, {
        let cancel = cancel.clone();
        Box::new(move || cancel.cancel())
    })?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<rehearsal::RehearsalEvent>();
    let forward = tokio::spawn({
        let on_event = on_event.clone();
        async move {
            while let Some(e) = rx.recv().await {
                send(
                    &on_event,
                    FullRehearsalEvent::Progress { progress: e.into() },
                );
            }
        }
    });
    let started = std::time::Instant::now();
    let ticker = tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            send(
                &on_event,
                FullRehearsalEvent::Running {
                    elapsed_seconds: started.elapsed().as_secs_f64(),
                },
            );
        }
    });
    // Driven on a blocking thread of the runtime, as the trial (its futures are not `Send`).
    let handle = tokio::runtime::Handle::current();
    let result = tokio::task::spawn_blocking(move || {
        handle.block_on(migration_studio::workspace::rehearse::run(
            &project_value,
            &options,
            false,
            &provider,
            &cancel,
            Some(tx),
        ))
    })
    .await;
    ticker.abort();
    // The sender went with the rehearsal: the forwarder ends once it has sent what was left.
    if let Err(e) = forward.await {
        tracing::debug!("progress forwarder ended: {e}");
    }
    use migration_studio::workspace::rehearse::{RehearseError, Rehearsed};
    match result {
        Err(e) => Err(AppError::new(ErrorCode::Internal, format!("the rehearsal stopped: {e}"))),
        Ok(Ok(Rehearsed::Cancelled { .. })) => Err(AppError::cancelled().hint(
            "Stopped mid-run; its scratch databases (or containers) were removed. Start it again when ready.",
        )),
        Ok(Err(RehearseError::Rehearsal(e))) => Err(rehearsal_error(e)),
        Ok(Err(RehearseError::Plan(e))) => Err(e.into()),
        Ok(Ok(Rehearsed::Finished(report))) => Ok((*report).into()),
    }
}

fn rehearsal_error(e: rehearsal::RehearsalError) -> AppError {
    use rehearsal::RehearsalError as E;
    match e {
        E::Project(p) => p.into(),
        E::Db(db) => db.into(),
        E::Provider(p) => provider_error(p),
        E::Backfill(migration_studio::backfill::BackfillError::Db(db)) => db.into(),
        E::Busy(_) => AppError::new(ErrorCode::Busy, e.to_string()),
        E::Io { .. } => AppError::new(ErrorCode::Io, e.to_string()),
        E::Import(i) => migration_studio::project::ProjectError::Import(i).into(),
        other => AppError::classified(&other),
    }
}
