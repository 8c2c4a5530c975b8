//! `lifecycle run`: the control loop. Each tick reads the jobs' recorded states, measures the
//! jobs that run both sides, decides ([`crate::lifecycle::tick`]) and records the tick in one
//! transaction; it repeats on the interval until every job is done or held, the tick limit is
//! reached or it is cancelled. Killed at any point, the next run resumes from the last
//! committed tick.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use super::now;
use crate::db::FileLock;
use crate::lifecycle::measure::{self, MeasurementFile};
use crate::lifecycle::pipeline::{self, Pipeline};
use crate::lifecycle::{tick, LifecycleError, Phase, Transition, Window};
use crate::workspace::Cancel;

/// Where the windows come from.
#[derive(Clone)]
pub enum Measurements {
    /// Row counts and checksums on the source (old side) and a rehearsal target (new side),
    /// read-only; URLs with their passwords (never logged or stored). A service pipeline is
    /// measured on the tables it uses ([`pipeline::combine`]); one that uses none gets no
    /// window here (its windows come from a file).
    Databases {
        /// The source URL.
        source_url: String,
        /// The target URL.
        target_url: String,
    },
    /// A staged source: a JSON file of windows per tick (see [`measure`]). Its entry `i`
    /// (from 0) is the window set of loop tick `i + 1`, so a resumed run takes up the file
    /// where the recorded ticks stop; the run ends with the file.
    File(PathBuf),
}

impl std::fmt::Debug for Measurements {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // The URLs hold passwords.
            Measurements::Databases { .. } => f.write_str("Databases"),
            Measurements::File(path) => f.debug_tuple("File").field(path).finish(),
        }
    }
}

/// What to run.
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// The measurement source.
    pub measurements: Measurements,
    /// Stop after this many ticks of this run; `None`: until every job is done or held (or
    /// the measurement file ends).
    pub max_ticks: Option<u64>,
    /// Time between ticks; `None`: the manifest's `interval_seconds` (none for a file).
    pub interval: Option<Duration>,
}

/// What a run did.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    /// The first and last tick numbers of this run (0, 0 when none ran).
    pub ticks: (i64, i64),
    /// The transitions this run made, in order.
    pub transitions: Vec<Transition>,
    /// Jobs per phase at the end.
    pub phases: Vec<(Phase, usize)>,
    /// Whether every job is done or held.
    pub settled: bool,
    /// Whether it was cancelled.
    pub cancelled: bool,
}

/// The lock file a running loop holds, in the project's folder beside its store.
pub const LOOP_LOCK_FILE: &str = "migration-studio.lifecycle.lock";

/// Runs the loop on the project in `root`, as its only loop: a second one is refused while this
/// one runs (a lock file beside the project's store, gone with the process).
///
/// # Errors
/// [`LifecycleError::Busy`] naming the running loop's process; as [`super::open`];
/// [`LifecycleError::Measurements`] for a bad file; [`LifecycleError::Validate`] when a database
/// cannot be measured; store errors.
pub async fn run(
    root: &Path,
    request: &RunRequest,
    cancel: &Cancel,
) -> Result<RunSummary, LifecycleError> {
    let opened = super::open(root).await?;
    let path = root.join(LOOP_LOCK_FILE);
    let lock = FileLock::acquire(&path).map_err(|detail| LifecycleError::Busy {
        detail,
        holder: FileLock::holder(&path),
    })?;
    let summary = run_locked(opened, request, cancel).await;
    lock.release();
    summary
}

async fn run_locked(
    opened: super::Opened,
    request: &RunRequest,
    cancel: &Cancel,
) -> Result<RunSummary, LifecycleError> {
    let file: Option<MeasurementFile> = match &request.measurements {
        Measurements::File(path) => Some(measure::from_file(path)?),
        Measurements::Databases { .. } => None,
    };
    // A file's windows are all there already: nothing to wait for between its ticks.
    let interval = request.interval.unwrap_or_else(|| match &file {
        Some(_) => Duration::ZERO,
        None => Duration::from_secs_f64(opened.settings.interval_seconds),
    });
    let mut summary = RunSummary {
        ticks: (0, 0),
        transitions: Vec::new(),
        phases: Vec::new(),
        settled: false,
        cancelled: false,
    };
    let mut ran = 0u64;
    let mut jobs = opened.store.jobs().await?;
    let mut baseline = opened.store.baseline().await?;
    loop {
        summary.settled = jobs.iter().all(|j| j.is_settled());
        if summary.settled || request.max_ticks.is_some_and(|m| ran >= m) {
            break;
        }
        if cancel.is_cancelled() {
            summary.cancelled = true;
            break;
        }
        let number = opened.store.last_tick().await? + 1;
        let measured: Vec<String> = jobs
            .iter()
            .filter(|j| j.phase.is_measured())
            .map(|j| j.id.clone())
            .collect();
        let windows: HashMap<String, Window> = match (&request.measurements, &file) {
            (_, Some(file)) => {
                let Some(set) = usize::try_from(number - 1)
                    .ok()
                    .and_then(|i| file.ticks.get(i))
                else {
                    break;
                };
                // The file may name a job by its table alone, as the manifest may.
                let ids: Vec<String> = jobs.iter().map(|j| j.id.clone()).collect();
                set.iter()
                    .filter_map(|(name, w)| Some((super::resolve(&ids, name)?.clone(), w.clone())))
                    .collect()
            }
            (
                Measurements::Databases {
                    source_url,
                    target_url,
                },
                None,
            ) if !measured.is_empty() => {
                let assertions: HashMap<String, Vec<_>> = opened
                    .settings
                    .jobs
                    .iter()
                    .map(|(id, own)| (id.clone(), own.assertions.clone()))
                    .collect();
                // A pipeline is measured on the tables it uses; a table job on its table.
                let pipelines: Vec<&Pipeline> = opened
                    .pipelines
                    .iter()
                    .filter(|p| measured.contains(&p.id))
                    .collect();
                let mut tables: Vec<String> = measured
                    .iter()
                    .filter(|id| !opened.pipelines.iter().any(|p| &p.id == *id))
                    .cloned()
                    .chain(pipelines.iter().flat_map(|p| p.tables.iter().cloned()))
                    .collect();
                tables.sort();
                tables.dedup();
                let mut windows = measure::from_databases(
                    source_url,
                    target_url,
                    &tables,
                    &assertions,
                    &mut baseline,
                    &opened.compare,
                )
                .await?;
                for p in pipelines {
                    let combined =
                        pipeline::combine(p.tables.iter().filter_map(|t| windows.get(t)));
                    if let Some(window) = combined {
                        windows.insert(p.id.clone(), window);
                    }
                }
                // A table measured only for a pipeline is no window of its own job's.
                windows.retain(|id, _| measured.contains(id));
                windows
            }
            _ => HashMap::new(),
        };
        let at = now();
        let outcome = tick(&jobs, &windows, &opened.settings, at);
        opened
            .store
            .record_tick(
                number,
                at,
                jobs.len(),
                outcome.changed.iter().map(|&i| &outcome.jobs[i]),
                &outcome.transitions,
                &baseline,
            )
            .await?;
        if summary.ticks.0 == 0 {
            summary.ticks.0 = number;
        }
        summary.ticks.1 = number;
        summary.transitions.extend(outcome.transitions);
        jobs = outcome.jobs;
        ran += 1;
        let more =
            !jobs.iter().all(|j| j.is_settled()) && request.max_ticks.is_none_or(|m| ran < m);
        if more && !interval.is_zero() {
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                () = cancel.cancelled() => {
                    summary.cancelled = true;
                    break;
                }
            }
        }
    }
    summary.phases = Phase::ALL
        .iter()
        .map(|&p| (p, jobs.iter().filter(|j| j.phase == p).count()))
        .collect();
    Ok(summary)
}
