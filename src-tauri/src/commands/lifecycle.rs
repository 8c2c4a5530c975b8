//! The lifecycle board: every migration job with its phase, the criteria its last window failed,
//! why it needs a look and its last transition, read from the project's lifecycle store (the one
//! `migration-studio lifecycle run` writes), so the window follows a running loop by polling; a
//! person's go on a card ([`lifecycle_approve`], the engine's `lifecycle approve`) and the loop
//! run from the board ([`lifecycle_run`], the engine's `lifecycle run`, cancellable).

use migration_studio::db::LockHolder;
use migration_studio::lifecycle::{failures_in_words, Attention, LifecycleError, Phase};
use migration_studio::workspace::lifecycle::approve::approve;
use migration_studio::workspace::lifecycle::run::{run, Measurements, RunRequest};
use migration_studio::workspace::lifecycle::{now, status::status_of};
use migration_studio::workspace::Cancel;
use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::{AppHandle, State};

use crate::connections;
use crate::dialogs::{self, ChosenPath};
use crate::error::{AppError, ErrorCode};
use crate::state::AppState;

/// The board.
#[derive(Debug, Clone, Serialize, Type)]
pub struct LifecycleBoard {
    /// Every phase in lifecycle order (`held` last), with its number of jobs.
    pub phases: Vec<PhaseCount>,
    /// Every job, by id.
    pub jobs: Vec<JobCard>,
    /// Seconds a loop measuring databases waits between ticks unless the board says otherwise
    /// (the manifest's `interval_seconds`).
    pub interval_seconds: f64,
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
    /// The last window's failed criteria in words (`L002 data quality: …`); empty when all
    /// held.
    pub failures: Vec<String>,
    /// Why it needs a look (held, regressing, awaiting approval, stuck) with the code, in
    /// words, e.g. `L008 awaiting approval`; empty when it does not.
    pub attention: Vec<String>,
    /// Whether its cleanup waits for a person's approval (its attention includes `L008`).
    pub awaiting_approval: bool,
    /// Its last transition in words (`shadow → reverse shadow by the loop: …`), when it had
    /// one.
    pub last_transition: Option<String>,
    /// When it last changed phase, Unix seconds.
    pub last_transition_at: f64,
    /// When it was last measured, Unix seconds.
    pub last_window_at: Option<f64>,
    /// Who approved its cleanup, while the loop has yet to promote it.
    pub approved_by: Option<String>,
    /// Why they did, when they said.
    pub approval_reason: Option<String>,
}

/// The lifecycle board of `project`: every job (the window filters to those needing a look).
#[tauri::command]
#[specta::specta]
pub async fn lifecycle_board(
    state: State<'_, AppState>,
    project: String,
) -> Result<LifecycleBoard, AppError> {
    // The opened workspace's inventory: a poll (every 2 s while the board is shown) reads the
    // lifecycle store, not the project's inputs again.
    let ws = super::workspace(&state, &project).await?;
    let view = status_of(ws.project(), ws.inventory(), true, now())
        .await
        .map_err(lifecycle_error)?;
    drop(ws);
    Ok(LifecycleBoard {
        interval_seconds: view.interval_seconds,
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
                failures: v
                    .job
                    .failures
                    .iter()
                    .map(|f| failures_in_words(f))
                    .collect(),
                awaiting_approval: v.attention.contains(&Attention::AwaitingApproval),
                attention: v
                    .attention
                    .iter()
                    .map(|a| format!("{} {}", a.code(), a.label()))
                    .collect(),
                last_transition: v.last_transition.map(|t| t.in_words()),
                last_transition_at: v.job.last_transition_at,
                last_window_at: v.job.last_window_at,
                // Shown only while it still waits in reverse shadow (the field outlives it).
                approved_by: v
                    .job
                    .approved_by
                    .filter(|_| v.job.phase == Phase::ReverseShadow),
                approval_reason: v
                    .job
                    .approval_reason
                    .filter(|_| v.job.phase == Phase::ReverseShadow),
            })
            .collect(),
    })
}

/// The engine's lifecycle errors as the window shows them: a second loop is `busy`, a missing
/// approver names the form's `by` field, the rest by the engine's class.
fn lifecycle_error(e: LifecycleError) -> AppError {
    match e {
        LifecycleError::Project(p) => p.into(),
        LifecycleError::Busy { holder, .. } => AppError::new(
            ErrorCode::Busy,
            format!(
                "another lifecycle loop is running on this project: {}",
                holder_words(holder.as_ref(), std::process::id())
            ),
        )
        .hint(
            "One loop per project: wait for the running one to finish, or stop it (Cancel here, Ctrl-C where `migration-studio lifecycle run` runs).",
        ),
        LifecycleError::NoApprover(_) => AppError::invalid("by", e.to_string()),
        LifecycleError::NothingToApprove { .. } => AppError::new(ErrorCode::InvalidInput, e.to_string())
            .hint("The board is out of date: only a job awaiting cleanup approval or held takes an approval."),
        other => AppError::classified(&other),
    }
}

/// Who holds the project's loop, in words (never the lock file's path): this window, the
/// command line, another window, or a program by name, with its process id.
fn holder_words(holder: Option<&LockHolder>, this_process: u32) -> String {
    let Some(h) = holder else {
        return "it did not say which program runs it".to_owned();
    };
    match h.program.as_deref() {
        _ if h.pid == this_process => "the loop started earlier from this window".to_owned(),
        Some("migration-studio") => format!(
            "`migration-studio lifecycle run` from the command line (process {})",
            h.pid
        ),
        Some("migration-studio-desktop") => {
            format!("another Migration Studio window (process {})", h.pid)
        }
        Some(program) => format!("the program {program} (process {})", h.pid),
        None => format!("process {}", h.pid),
    }
}

/// A person's go, as the card's form sends it.
#[derive(Debug, Clone, Deserialize, Type)]
pub struct ApprovalForm {
    /// The job's id, as on its card.
    pub job: String,
    /// Who approves (recorded as the actor); must not be blank.
    pub by: String,
    /// Why (recorded in the transition); may be blank.
    pub reason: String,
}

/// What an approval did.
#[derive(Debug, Clone, Serialize, Type)]
pub struct ApprovalDone {
    /// The job's id.
    pub job: String,
    /// Its phase after the approval (`reverse_shadow` for a cleanup approval, the phase a held
    /// job went back to for a release).
    pub phase: String,
    /// What happened, in words (`cleanup approved by ana; the loop promotes it once its
    /// criteria hold`, `released by ana: held → shadow`).
    pub message: String,
}

/// Approves the cleanup of a job awaiting it (reverse shadow), or releases a held job, as the
/// person `form.by` for `form.reason`: the engine's `lifecycle approve`.
#[tauri::command]
#[specta::specta]
pub async fn lifecycle_approve(
    state: State<'_, AppState>,
    project: String,
    form: ApprovalForm,
) -> Result<ApprovalDone, AppError> {
    approve_job(&state, &project, form).await
}

/// [`lifecycle_approve`].
///
/// # Errors
/// `invalid_input` with field `by` when no one is named; `invalid_input` when the job is in
/// neither reverse shadow nor held (the board was out of date) or unknown; as the project.
pub async fn approve_job(
    state: &AppState,
    project: &str,
    form: ApprovalForm,
) -> Result<ApprovalDone, AppError> {
    let root = state.project_root(project)?;
    let done = approve(&root, &form.job, &form.by, &form.reason, now())
        .await
        .map_err(lifecycle_error)?;
    let by = form.by.trim();
    Ok(ApprovalDone {
        message: match &done.transition {
            Some(t) => format!("released by {by}: {} → {}", t.from.label(), t.to.label()),
            None => {
                format!("cleanup approved by {by}; the loop promotes it once its criteria hold")
            }
        },
        phase: done.job.phase.to_string(),
        job: done.job.id,
    })
}

/// Where a loop started from the board takes its measurements.
#[derive(Debug, Clone, Deserialize, Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LoopMeasurements {
    /// Row counts, checksums and statistics read (read-only) on two saved connections.
    Connections {
        /// Saved connection of the old side (the source).
        source: String,
        /// Saved connection of the new side (the rehearsal target).
        target: String,
    },
    /// A staged measurements file (`{"ticks": [{"<job>": {…}}]}`), chosen in an open dialog
    /// the command opens.
    File,
}

/// What to run.
#[derive(Debug, Clone, Deserialize, Type)]
pub struct LoopRequest {
    /// Where the windows come from.
    pub measurements: LoopMeasurements,
    /// Stop after this many ticks; `null`: until every job is done or held (or the file ends).
    pub max_ticks: Option<u32>,
    /// Seconds between ticks; `null`: the manifest's `interval_seconds` (none between a file's
    /// ticks).
    pub interval_seconds: Option<f64>,
}

/// What a loop run did, for the board.
#[derive(Debug, Clone, Serialize, Type)]
pub struct LoopRun {
    /// The first and last tick numbers of this run (both 0 when none ran).
    pub first_tick: u32,
    /// The last tick number.
    pub last_tick: u32,
    /// Ticks run.
    pub ticks: u32,
    /// Every transition it made, in words (`sakila.actor: shadow → reverse shadow by the loop: …`).
    pub transitions: Vec<String>,
    /// Whether every job is done or held.
    pub settled: bool,
    /// Whether it was stopped with Cancel.
    pub cancelled: bool,
    /// When it ended, Unix seconds.
    pub finished_at: f64,
    /// Where the measurements came from, in words (a file's path; the connections' names).
    pub measured_from: String,
}

/// Runs the lifecycle loop of `project` as task `task` (the engine's `lifecycle run`), its
/// measurements from two saved connections or a file chosen in the dialog opened here; `null`
/// when the person cancels that dialog. Cancel stops it after the tick under way (each tick is
/// recorded whole); the board follows it by polling [`lifecycle_board`].
#[tauri::command]
#[specta::specta]
pub async fn lifecycle_run(
    app: AppHandle,
    state: State<'_, AppState>,
    project: String,
    task: String,
    request: LoopRequest,
) -> Result<Option<LoopRun>, AppError> {
    let root = state.project_root(&project)?;
    let measurements = match &request.measurements {
        LoopMeasurements::Connections { source, target } => LoopSource::Connections {
            source: source.clone(),
            target: target.clone(),
        },
        LoopMeasurements::File => {
            match dialogs::open(
                &app,
                "Choose the measurements file",
                dialogs::JSON,
                Some(&root),
            )
            .await?
            {
                Some(file) => LoopSource::File(file),
                None => return Ok(None),
            }
        }
    };
    let interval = request
        .interval_seconds
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(std::time::Duration::from_secs_f64);
    run_loop(
        &state,
        &project,
        &task,
        measurements,
        request.max_ticks,
        interval,
    )
    .await
    .map(Some)
}

/// The measurements of [`run_loop`]: saved connections by name, or a file a person chose.
pub enum LoopSource {
    /// Two saved connections.
    Connections {
        /// The old side's.
        source: String,
        /// The new side's.
        target: String,
    },
    /// A file chosen in a dialog of [`dialogs`].
    File(ChosenPath),
}

/// [`lifecycle_run`] once the measurements are known.
///
/// # Errors
/// `busy` when a loop runs on the project (here or from the CLI) or task `task` runs;
/// `not_found` / `missing_connection` for a saved connection; `invalid_input` for a bad
/// measurements file (its line); `database` when a side cannot be measured.
pub async fn run_loop(
    state: &AppState,
    project: &str,
    task: &str,
    source: LoopSource,
    max_ticks: Option<u32>,
    interval: Option<std::time::Duration>,
) -> Result<LoopRun, AppError> {
    let root = state.project_root(project)?;
    let (measurements, measured_from) = match source {
        LoopSource::Connections { source, target } => (
            Measurements::Databases {
                source_url: connections::url(&state.config_dir, &state.secrets, &source)?,
                target_url: connections::url(&state.config_dir, &state.secrets, &target)?,
            },
            format!("connections {source} (old) and {target} (new)"),
        ),
        LoopSource::File(file) => (
            Measurements::File(file.path().to_owned()),
            file.path().display().to_string(),
        ),
    };
    let cancel = Cancel::new();
    let _task = state.start_task(task, {
        let cancel = cancel.clone();
        Box::new(move || cancel.cancel())
    })?;
    let request = RunRequest {
        measurements,
        max_ticks: max_ticks.map(u64::from),
        interval,
    };
    let summary = run(&root, &request, &cancel)
        .await
        .map_err(lifecycle_error)?;
    let tick = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
    let (first, last) = (tick(summary.ticks.0), tick(summary.ticks.1));
    Ok(LoopRun {
        first_tick: first,
        last_tick: last,
        ticks: if last == 0 { 0 } else { last - first + 1 },
        transitions: summary
            .transitions
            .iter()
            .map(|t| format!("{}: {}", t.job, t.in_words()))
            .collect(),
        settled: summary.settled,
        cancelled: summary.cancelled,
        finished_at: now(),
        measured_from,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_loop_holder_is_said_in_words() {
        let holder = |program: Option<&str>| LockHolder {
            pid: 42,
            program: program.map(str::to_owned),
        };
        let cli = holder(Some("migration-studio"));
        assert_eq!(
            holder_words(Some(&cli), 7),
            "`migration-studio lifecycle run` from the command line (process 42)"
        );
        assert_eq!(
            holder_words(Some(&cli), 42),
            "the loop started earlier from this window"
        );
        assert_eq!(
            holder_words(Some(&holder(Some("migration-studio-desktop"))), 7),
            "another Migration Studio window (process 42)"
        );
        assert_eq!(holder_words(Some(&holder(None)), 7), "process 42");
        assert!(holder_words(None, 7).contains("did not say"));
    }
}
