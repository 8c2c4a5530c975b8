//! `lifecycle rehearse`: the lifecycle rehearsed on scratch databases, with a fault drill. Each
//! table of the project becomes a job. The scratch source (the old side) is loaded from the
//! project's scripts; the scratch target (the new side) is made as the rehearsal makes it:
//!
//! - one engine (an upgrade): loaded from the same scripts, and between two ticks the
//!   rehearsal's seeded workload ([`crate::rehearsal::workload::burst`]) makes the same
//!   operations on both sides (both pipelines consume one source);
//! - two engines: its tables created and filled through the plan (the mapping spec, or the
//!   default mapping per engine pair; [`crate::rehearsal::copied`]), and between two ticks the
//!   workload writes the old side and the change capture carries every write to the new side
//!   (the new pipeline consumes the old one's changes), its refused changes counted.
//!
//! The loop ([`crate::lifecycle::tick`]) measures every window on them
//! ([`crate::lifecycle::measure::from_databases`]: counts, checksums through the copy's
//! conversion rules and spec, assertions, resources) and drives the jobs through shadow,
//! reverse shadow and cleanup to done, cleanup approved by the rehearsal (`auto_cleanup`). Once
//! every job is in reverse shadow, the drill plants a divergence in one job's new side (one row
//! deleted behind the capture's back); the loop must demote exactly that job.
//!
//! The rehearsal's jobs live in memory, not in the project's store: the project's own
//! lifecycle is left as it was. The scratch databases are dropped on every path (done, failed,
//! cancelled). Latency is not measured on scratch databases, and two engines' storage and
//! statistics are not comparable figures, so the rehearsal leaves those criteria out and says
//! so ([`LifecycleRehearsal::criteria_left_out`]). The next window measures once the writes
//! reached both sides.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use super::now;
use crate::db::{self, Access, Database, Pool};
use crate::import::Engine;
use crate::lifecycle::measure::{self, Baseline};
use crate::lifecycle::{tick, Criterion, Job, LifecycleError, Phase, Transition};
use crate::project::Project;
use crate::rehearsal::copied::{copy_through_plan, CopiedPair};
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
    /// How the new side was made and kept in step with the writes.
    pub new_side: NewSide,
    /// Rows the backfill copied into the new side (two engines; 0 when loaded from scripts).
    pub copied_rows: u64,
    /// Captured changes applied to the new side (two engines).
    pub changes_applied: u64,
    /// Captured changes the new side refused (kept in its reject table with the reason; the
    /// job's next window then finds its sides different).
    pub changes_refused: u64,
    /// The criteria the rehearsal does not judge, each with why (`latency: …`): the rest of the
    /// manifest's criteria decide.
    pub criteria_left_out: Vec<String>,
}

impl LifecycleRehearsal {
    /// A rehearsal of run `run_id` before its first tick: `jobs` as given, nothing counted.
    fn started(run_id: String, jobs: Vec<Job>, new_side: NewSide) -> Self {
        LifecycleRehearsal {
            run_id,
            ticks: 0,
            transitions: Vec::new(),
            drilled_after_tick: None,
            demoted: Vec::new(),
            jobs,
            cancelled: false,
            writes: WorkloadStats::default(),
            drill_passed: None,
            new_side,
            copied_rows: 0,
            changes_applied: 0,
            changes_refused: 0,
            criteria_left_out: Vec::new(),
        }
    }
}

/// How a lifecycle rehearsal's new side is made and follows the writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NewSide {
    /// One engine: loaded from the same scripts, the same workload operations made on it.
    Twin,
    /// Two engines: made and filled through the plan, the old side's changes captured and
    /// applied to it.
    Captured,
}

/// How the rehearsal's new side follows the old one.
enum Follow {
    Twin,
    Captured(Box<CopiedPair>),
}

/// The names one job has on the scratch databases.
struct Names {
    /// The old side's table as its catalog names it: what the job is measured under.
    measured: String,
    /// The new side's table: where the drill plants its divergence.
    new_table: String,
}

/// Rehearses the lifecycle of the project in `root` on scratch databases (see the module's
/// documentation for how each side is made).
///
/// # Errors
/// [`LifecycleError::Rehearsal`] when the scratch databases cannot be made, loaded or copied;
/// [`LifecycleError::UnknownJob`] for a drill naming no table; measuring errors as
/// [`super::run::run`]. The scratch databases are dropped first.
pub async fn rehearse(
    root: &Path,
    request: &RehearseRequest,
    cancel: &Cancel,
) -> Result<LifecycleRehearsal, LifecycleError> {
    let project = Project::open(root)?;
    let (source_side, target_side) = rehearsal::sides(&project);
    let inventory = project.inventory().await?;
    // Pipelines run on platforms the scratch databases do not have: the tables are the jobs.
    let ids = super::table_job_ids(&inventory);
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
    let mut follow = if old.engine == new.engine {
        rehearsal::load_both_sides(project, env, (old, new))
            .await
            .map_err(|e| failed(e.to_string()))?;
        Follow::Twin
    } else {
        // The copy of a large project takes a while: a cancel stops it at once (the scratch
        // databases, half filled, are dropped by the caller).
        let pair = tokio::select! {
            copied = copy_through_plan(project, env, (old, new), &run_id) => {
                copied.map_err(|e| failed(e.to_string()))?
            }
            () = cancel.cancelled() => {
                let at = now();
                let jobs = ids.into_iter().map(|id| Job::planned(id, at)).collect();
                return Ok(LifecycleRehearsal {
                    cancelled: true,
                    ..LifecycleRehearsal::started(run_id, jobs, NewSide::Captured)
                });
            }
        };
        Follow::Captured(Box::new(pair))
    };
    let inventory = match &follow {
        Follow::Twin => project.inventory().await?,
        // The workload writes the scratch source: its catalog names its tables.
        Follow::Captured(pair) => pair.source_inventory.clone(),
    };
    let names = job_names(&ids, &follow);
    // PostgreSQL replays with triggers off; MySQL cannot, so there the workload keeps off
    // tables whose application triggers would fire again on a replayed write.
    let avoid =
        if old.engine == new.engine || old.engine == Engine::Mysql || new.engine == Engine::Mysql {
            workload::triggered_tables(&inventory)
        } else {
            Vec::new()
        };
    let compare = match &follow {
        Follow::Twin => crate::validate::Options::default(),
        Follow::Captured(pair) => crate::validate::Options {
            policy: project.manifest().data,
            mapping: pair.spec.clone(),
            ..crate::validate::Options::default()
        },
    };
    let mut memory = WorkloadMemory::default();
    let mut left_out = vec![(
        Criterion::Latency,
        "scratch databases give no landing latency".to_owned(),
    )];
    if let Follow::Captured(_) = follow {
        left_out.push((
            Criterion::Resources,
            format!(
                "{} and {} keep storage and statistics their own ways (pages, TOAST, index \
                 layouts): the two sides' figures are not comparable",
                old.engine, new.engine
            ),
        ));
    }
    let kept = |c: &Criterion| !left_out.iter().any(|(out, _)| out == c);
    let mut settings = project.manifest().lifecycle.clone();
    settings.auto_cleanup = true;
    settings.criteria.retain(kept);
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
                c.retain(kept);
            }
            Some((id, own))
        })
        .collect();
    // Measured under the old side's names, decided under the jobs' ids.
    let assertions: HashMap<String, Vec<_>> = settings
        .jobs
        .iter()
        .map(|(id, own)| (names[id].measured.clone(), own.assertions.clone()))
        .collect();
    let job_of: HashMap<&str, &String> = names
        .iter()
        .map(|(id, n)| (n.measured.as_str(), id))
        .collect();
    let at = now();
    let mut jobs: Vec<Job> = ids.into_iter().map(|id| Job::planned(id, at)).collect();
    let (new_side, copied_rows) = match &follow {
        Follow::Twin => (NewSide::Twin, 0),
        Follow::Captured(pair) => (NewSide::Captured, pair.rows),
    };
    let mut out = LifecycleRehearsal {
        copied_rows,
        criteria_left_out: left_out
            .iter()
            .map(|(c, why)| format!("{}: {why}", c.name()))
            .collect(),
        ..LifecycleRehearsal::started(run_id, Vec::new(), new_side)
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
            .map(|j| names[&j.id].measured.clone())
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
                &compare,
            )
            .await?
            .into_iter()
            .filter_map(|(name, w)| Some((job_of.get(name.as_str())?.to_string(), w)))
            .collect()
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
                plant_divergence(&env.target_url, job, &names[job].new_table).await?;
                out.drilled_after_tick = Some(out.ticks);
            }
            // The drilled job, demoted, stays in shadow: once the others are settled, done.
            let rest_settled = jobs.iter().all(|j| j.is_settled() || &j.id == job);
            if out.drilled_after_tick.is_some() && rest_settled && !out.demoted.is_empty() {
                break;
            }
        }
        if request.writes_per_tick > 0 {
            // Writes go on: the next window's batch; the window measures once both sides
            // have it.
            let n = request.writes_per_tick;
            let next = workload::burst(old, &inventory, &avoid, 20, memory.clone(), n).await;
            match &mut follow {
                Follow::Twin => {
                    workload::burst(new, &inventory, &avoid, 20, memory, n).await;
                }
                Follow::Captured(pair) => {
                    let (applied, refused) = catch_up(&mut pair.applier).await?;
                    out.changes_applied += applied;
                    out.changes_refused += refused;
                }
            }
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

/// Each job's names on the scratch databases. One engine: the project's own names (the
/// scratch databases hold its schemas). Two engines: the planned table whose source is the
/// job's table (by schema where the job's id has one, else by name).
fn job_names(ids: &[String], follow: &Follow) -> HashMap<String, Names> {
    ids.iter()
        .map(|id| {
            let same = || Names {
                measured: id.clone(),
                new_table: id.clone(),
            };
            let names = match follow {
                Follow::Twin => same(),
                Follow::Captured(pair) => {
                    let (schema, table) = match id.rsplit_once('.') {
                        Some((schema, table)) => (Some(schema), table),
                        None => (None, id.as_str()),
                    };
                    let planned = |by_schema: bool| {
                        pair.plan.tables.iter().find(|t| {
                            let source = &t.mapping.source;
                            source.name.eq_ignore_ascii_case(table)
                                && (!by_schema || source.schema.as_deref() == schema)
                        })
                    };
                    planned(true)
                        .or_else(|| planned(false))
                        .map_or_else(same, |t| Names {
                            measured: t.mapping.source.to_string(),
                            new_table: t.mapping.target.to_string(),
                        })
                }
            };
            (id.clone(), names)
        })
        .collect()
}

/// Applies every captured change to the new side: (applied, refused).
async fn catch_up(
    applier: &mut crate::rehearsal::capture::Applier,
) -> Result<(u64, u64), LifecycleError> {
    let refused_before = applier.refused;
    let mut applied = 0;
    loop {
        // The workload's batch has ended: every transaction is committed or rolled back.
        let pass = applier
            .apply_settled(10_000)
            .await
            .map_err(|e| LifecycleError::Rehearsal(format!("applying captured changes: {e}")))?;
        if pass.entries == 0 {
            break;
        }
        applied += pass.upserted + pass.deleted;
    }
    Ok((applied, applier.refused - refused_before))
}

/// The fault drill: one row of `job`'s table (`table` on the new side) deleted behind the
/// capture's back (foreign keys not enforced for that one statement's session, so any table
/// can be drilled).
async fn plant_divergence(target_url: &str, job: &str, table: &str) -> Result<(), LifecycleError> {
    let failed = |e: String| LifecycleError::Rehearsal(format!("fault drill on `{job}`: {e}"));
    let target: Database = db::connect(target_url, Access::ReadWrite, 1)
        .await
        .map_err(|e| failed(e.to_string()))?;
    let quoted: String = table
        .split('.')
        .map(|part| match target.engine {
            Engine::Mysql => format!("`{}`", part.replace('`', "``")),
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
