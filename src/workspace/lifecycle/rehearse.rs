//! `lifecycle rehearse`: the lifecycle rehearsed on scratch databases, with a fault drill. Each
//! table of the project becomes a job; the project's scripts are loaded whole into a scratch
//! source (the old side) and a scratch target (the new side) on the rehearsal's local servers;
//! the loop ([`crate::lifecycle::tick`]) measures every window on them
//! ([`crate::lifecycle::measure::from_databases`]: counts, checksums, assertions, resources) and
//! drives the jobs through shadow, reverse shadow and cleanup to done, cleanup approved by the
//! rehearsal (`auto_cleanup`). Once every job is in reverse shadow, the drill plants a
//! divergence in one job's new side (one row deleted); the loop must demote exactly that job.
//!
//! The rehearsal's jobs live in memory, not in the project's store: the project's own
//! lifecycle is left as it was. The scratch databases are dropped on every path (done, failed,
//! cancelled). Latency is not measured on scratch databases, so the rehearsal leaves the
//! latency criterion out. Writes go on throughout: between two ticks the rehearsal's seeded
//! workload ([`crate::rehearsal::workload::burst`]) makes the same operations on both sides
//! (both pipelines consume one source), and the next window measures once both applied them.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use super::now;
use crate::db::{self, Access, Database, Pool};
use crate::lifecycle::measure::{self, Baseline};
use crate::lifecycle::{tick, Criterion, Job, LifecycleError, Phase, Transition};
use crate::project::Project;
use crate::rehearsal::provider::local::LocalProvider;
use crate::rehearsal::workload::{self, WorkloadMemory, WorkloadStats};
use crate::rehearsal::{self, Provider};
use crate::workspace::Cancel;

/// What to rehearse.
#[derive(Debug, Clone)]
pub struct RehearseRequest {
    /// Server for the scratch source (admin URL, no database).
    pub source_server: String,
    /// Server for the scratch target.
    pub target_server: String,
    /// The job whose new side the drill diverges (a table name as `lifecycle status` prints it,
    /// or the table alone); `None`: no drill.
    pub drill: Option<String>,
    /// Time between ticks.
    pub interval: Duration,
    /// Workload operations between two ticks, the same on both sides (0: none).
    pub writes_per_tick: u64,
}

/// What a lifecycle rehearsal did.
#[derive(Debug, Clone, Serialize)]
pub struct LifecycleRehearsal {
    /// The run id (it names the scratch databases, dropped at the end).
    pub run_id: String,
    /// Ticks run.
    pub ticks: u64,
    /// Every transition, in order.
    pub transitions: Vec<Transition>,
    /// The tick after which the drill planted its divergence, if it did.
    pub drilled_after_tick: Option<u64>,
    /// The jobs demoted (reverse shadow → shadow), in order.
    pub demoted: Vec<String>,
    /// Every job's state at the end.
    pub jobs: Vec<Job>,
    /// Whether it was cancelled.
    pub cancelled: bool,
    /// What the workload wrote on the old side (the new side got the same operations).
    pub writes: WorkloadStats,
    /// The drill's verdict: whether it was planted and the loop demoted exactly the drilled
    /// job; `None` without a drill or when cancelled.
    pub drill_passed: Option<bool>,
}

/// Rehearses the lifecycle of the project in `root` on scratch databases. Same-engine
/// projects only (both sides are loaded from the project's scripts).
///
/// # Errors
/// [`LifecycleError::Rehearsal`] when the scratch databases cannot be made or loaded, or the
/// project's sides differ in engine; [`LifecycleError::UnknownJob`] for a drill naming no
/// table; measuring errors as [`super::run::run`]. The scratch databases are dropped first.
pub async fn rehearse(
    root: &Path,
    request: &RehearseRequest,
    cancel: &Cancel,
) -> Result<LifecycleRehearsal, LifecycleError> {
    let project = Project::open(root)?;
    let (source_side, target_side) = rehearsal::sides(&project);
    if source_side.engine != target_side.engine {
        return Err(LifecycleError::Rehearsal(format!(
            "{}: `lifecycle rehearse` loads both sides from the project's scripts, so both must \
             be one engine (source {}, target {})",
            root.display(),
            source_side.engine,
            target_side.engine
        )));
    }
    let inventory = project.inventory().await?;
    let ids = super::job_ids(&inventory);
    let drill = match &request.drill {
        Some(name) => Some(
            super::resolve(&ids, name)
                .cloned()
                .ok_or_else(|| LifecycleError::UnknownJob(name.clone()))?,
        ),
        None => None,
    };
    let provider = LocalProvider {
        source_server: request.source_server.clone(),
        target_server: request.target_server.clone(),
        files: root.join(".migration-studio").join("runs"),
        // The drill rehearses the jobs' promotions and demotions, not the server upgrade the
        // manifest may describe: the machine's servers serve both sides.
        same_version: true,
    };
    let run_id = rehearsal::new_run_id();
    let scratch = run_id.replace('-', "_");
    let env = provider
        .provision(&scratch, &source_side, &target_side)
        .await
        .map_err(|e| LifecycleError::Rehearsal(e.to_string()))?;
    let result = drive(&project, &env, ids, drill, request, cancel, run_id).await;
    // Every path: done, failed or cancelled.
    provider.clean_up(&scratch).await;
    result
}

async fn drive(
    project: &Project,
    env: &rehearsal::Environment,
    ids: Vec<String>,
    drill: Option<String>,
    request: &RehearseRequest,
    cancel: &Cancel,
    run_id: String,
) -> Result<LifecycleRehearsal, LifecycleError> {
    let failed = |e: String| LifecycleError::Rehearsal(e);
    let connect = |url| db::connect(url, Access::ReadWrite, 1);
    let (old, new) = tokio::try_join!(connect(&env.source_url), connect(&env.target_url))
        .map_err(|e| failed(e.to_string()))?;
    let result = drive_loaded(
        project,
        env,
        (&old, &new),
        ids,
        drill,
        request,
        cancel,
        run_id,
    )
    .await;
    old.close().await;
    new.close().await;
    result
}

#[allow(clippy::too_many_arguments)]
async fn drive_loaded(
    project: &Project,
    env: &rehearsal::Environment,
    (old, new): (&Database, &Database),
    ids: Vec<String>,
    drill: Option<String>,
    request: &RehearseRequest,
    cancel: &Cancel,
    run_id: String,
) -> Result<LifecycleRehearsal, LifecycleError> {
    let failed = |e: String| LifecycleError::Rehearsal(e);
    rehearsal::load_both_sides(project, env, (old, new))
        .await
        .map_err(|e| failed(e.to_string()))?;
    let inventory = project.inventory().await?;
    // Tables with application triggers are not written (a replayed write would fire them).
    let avoid = workload::triggered_tables(&inventory);
    let mut memory = WorkloadMemory::default();
    let mut settings = project.manifest().lifecycle.clone();
    settings.auto_cleanup = true;
    settings.criteria.retain(|c| *c != Criterion::Latency);
    if settings.criteria.is_empty() {
        settings.criteria.push(Criterion::DataQuality);
    }
    // Overrides by the jobs' full ids, as the loop keys them.
    settings.jobs = std::mem::take(&mut settings.jobs)
        .into_iter()
        .filter_map(|(name, mut own)| {
            let id = super::resolve(&ids, &name)?.clone();
            own.auto_cleanup = Some(true);
            if let Some(c) = own.criteria.as_mut() {
                c.retain(|c| *c != Criterion::Latency);
            }
            Some((id, own))
        })
        .collect();
    let assertions: HashMap<String, Vec<_>> = settings
        .jobs
        .iter()
        .map(|(id, own)| (id.clone(), own.assertions.clone()))
        .collect();
    let at = now();
    let mut jobs: Vec<Job> = ids.into_iter().map(|id| Job::planned(id, at)).collect();
    let mut out = LifecycleRehearsal {
        run_id,
        ticks: 0,
        transitions: Vec::new(),
        drilled_after_tick: None,
        demoted: Vec::new(),
        jobs: Vec::new(),
        cancelled: false,
        writes: WorkloadStats::default(),
        drill_passed: None,
    };
    let mut baseline = Baseline::default();
    // Enough ticks for every job to walk the whole way twice: a job that has not settled by
    // then is stuck (the drilled one stays in shadow, its new side never equal again).
    let limit = 4 * u64::from(settings.windows.max(1)) + 8;
    while out.ticks < limit && !jobs.iter().all(Job::is_settled) {
        if cancel.is_cancelled() {
            out.cancelled = true;
            break;
        }
        let measured: Vec<String> = jobs
            .iter()
            .filter(|j| j.phase.is_measured())
            .map(|j| j.id.clone())
            .collect();
        let windows = if measured.is_empty() {
            HashMap::new()
        } else {
            measure::from_databases(
                &env.source_url,
                &env.target_url,
                &measured,
                &assertions,
                &mut baseline,
            )
            .await?
        };
        let outcome = tick(&jobs, &windows, &settings, now());
        out.ticks += 1;
        out.demoted.extend(
            outcome
                .transitions
                .iter()
                .filter(|t| (t.from, t.to) == (Phase::ReverseShadow, Phase::Shadow))
                .map(|t| t.job.clone()),
        );
        out.transitions.extend(outcome.transitions);
        jobs = outcome.jobs;
        if let Some(job) = &drill {
            let ready = jobs
                .iter()
                .all(|j| j.phase == Phase::ReverseShadow || j.is_settled());
            if out.drilled_after_tick.is_none() && ready {
                plant_divergence(&env.target_url, job).await?;
                out.drilled_after_tick = Some(out.ticks);
            }
            // The drilled job, demoted, stays in shadow: once the others are settled, done.
            let rest_settled = jobs.iter().all(|j| j.is_settled() || &j.id == job);
            if out.drilled_after_tick.is_some() && rest_settled && !out.demoted.is_empty() {
                break;
            }
        }
        if request.writes_per_tick > 0 {
            // Writes go on: the next window's batch, the same operations on both sides (both
            // pipelines consume one source); the window measures after both applied it.
            let n = request.writes_per_tick;
            let next = workload::burst(old, &inventory, &avoid, 20, memory.clone(), n).await;
            workload::burst(new, &inventory, &avoid, 20, memory, n).await;
            memory = next;
            out.writes = memory.stats();
        }
        if !request.interval.is_zero() {
            tokio::select! {
                () = tokio::time::sleep(request.interval) => {}
                () = cancel.cancelled() => {
                    out.cancelled = true;
                    break;
                }
            }
        }
    }
    out.jobs = jobs;
    if let Some(job) = drill.filter(|_| !out.cancelled) {
        out.drill_passed =
            Some(out.drilled_after_tick.is_some() && out.demoted == std::slice::from_ref(&job));
    }
    Ok(out)
}

/// The fault drill: one row of `job`'s table deleted on the new side (foreign keys not
/// enforced for that one statement's session, so any table can be drilled).
async fn plant_divergence(target_url: &str, job: &str) -> Result<(), LifecycleError> {
    let failed = |e: String| LifecycleError::Rehearsal(format!("fault drill on `{job}`: {e}"));
    let target: Database = db::connect(target_url, Access::ReadWrite, 1)
        .await
        .map_err(|e| failed(e.to_string()))?;
    let quoted: String = job
        .split('.')
        .map(|part| match target.engine {
            crate::import::Engine::Mysql => format!("`{}`", part.replace('`', "``")),
            _ => format!("\"{}\"", part.replace('"', "\"\"")),
        })
        .collect::<Vec<_>>()
        .join(".");
    let result = match &target.pool {
        Pool::Postgres(p) => sqlx::raw_sql(&format!(
            "SET session_replication_role = replica; \
                 DELETE FROM {quoted} WHERE ctid = (SELECT ctid FROM {quoted} LIMIT 1); \
                 SET session_replication_role = DEFAULT;"
        ))
        .execute(p)
        .await
        .map(|_| ()),
        Pool::Mysql(p) => sqlx::raw_sql(&format!(
            "SET foreign_key_checks = 0; DELETE FROM {quoted} LIMIT 1; \
                 SET foreign_key_checks = 1;"
        ))
        .execute(p)
        .await
        .map(|_| ()),
        Pool::Sqlite(p) => sqlx::raw_sql(&format!(
            "DELETE FROM {quoted} WHERE rowid = (SELECT rowid FROM {quoted} LIMIT 1);"
        ))
        .execute(p)
        .await
        .map(|_| ()),
    };
    target.close().await;
    result.map_err(|e| failed(e.to_string()))
}
