//! Rehearsals: the cutover runbook executed against throwaway databases, with a live write
//! workload, measured step by step (DESIGN.md, "Rehearsal engine").
//!
//! provision → load source → capture → workload on → prepare target → backfill → catch-up →
//! freeze → final catch-up → constraints → validation → go/no-go → cutover (workload on the
//! target, reverse capture) → rollback drill (reverse apply, validation, time vs RTO) → report
//! → teardown. A failed gate stops the run and says which gate and why; the scratch databases
//! are dropped on every path, and the source a rehearsal writes to is its own scratch copy.

pub mod capture;
pub mod compare;
pub mod gates;
pub mod load;
pub mod provider;
pub mod report;
pub mod runs;
pub mod workload;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::backfill::{self, BackfillOptions, BackfillPlan, Control, RunLog};
use crate::db::{self, quote, Access, Database, DbError, Pool};
use crate::graph::DependencyGraph;
use crate::import::live::import_live;
use crate::import::ImportError;
use crate::plan::{Phase, Plan};
use crate::project::{Input, Project, ProjectError};
use crate::validate;
use capture::{Applier, Route};
use gates::GateResult;
pub use provider::docker::ImageOverrides;
use provider::local::LocalProvider;
pub use provider::{AnyProvider, Environment, Provider, ProviderChoice, ProviderError, Side};
pub use report::{LagSample, RehearsalReport, StepTiming, Verdict};
use workload::{Workload, WorkloadMemory, WorkloadSettings};

/// How to run a rehearsal.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RehearsalOptions {
    /// Server for the scratch source (admin URL, no database), e.g. `mysql://root@127.0.0.1:3306`.
    pub source_server: String,
    /// Server for the scratch target, e.g. `postgres://postgres@127.0.0.1:5432`.
    pub target_server: String,
    /// Workload operations per second.
    pub workload_rate: f64,
    /// Workload seed.
    pub seed: u64,
    /// Seconds of writes on the target after the cutover, before the rollback drill.
    pub post_cutover_seconds: f64,
    /// Seconds the catch-up may take before it fails.
    pub catch_up_timeout_seconds: f64,
    /// Keep the scratch databases at the end (for inspection).
    pub keep: bool,
    /// Run id (see [`new_run_id`]); a fresh one when `None`.
    #[serde(default)]
    pub run_id: Option<String>,
    /// Where the scratch databases live; the engine API defaults to `local` (the CLI to `auto`).
    #[serde(default)]
    pub provider: ProviderChoice,
    /// Images for the `docker` provider instead of the defaults.
    #[serde(default)]
    pub images: ImageOverrides,
}

impl Default for RehearsalOptions {
    fn default() -> Self {
        Self {
            source_server: "mysql://root@127.0.0.1:3306".into(),
            target_server: "postgres://postgres@127.0.0.1:5432".into(),
            workload_rate: 20.0,
            seed: 42,
            post_cutover_seconds: 2.0,
            catch_up_timeout_seconds: 120.0,
            keep: false,
            run_id: None,
            provider: ProviderChoice::Local,
            images: ImageOverrides::default(),
        }
    }
}

/// Why a rehearsal could not run (a failed gate is not an error: it is a `fail` verdict).
#[derive(Debug, thiserror::Error)]
pub enum RehearsalError {
    /// The project could not be read.
    #[error(transparent)]
    Project(#[from] ProjectError),
    /// A database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The environment could not be made.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// A schema could not be read.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// The source could not be loaded from the project's scripts.
    #[error(transparent)]
    Load(#[from] load::LoadError),
    /// The backfill failed.
    #[error(transparent)]
    Backfill(#[from] backfill::BackfillError),
    /// Validation failed to run.
    #[error(transparent)]
    Validate(#[from] validate::ValidateError),
    /// Another rehearsal holds this project's lock on the target server.
    #[error("another rehearsal of this project is running against {0}; wait for it or stop it")]
    Busy(String),
    /// Files of the report could not be written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

struct Clock {
    started: Instant,
    steps: Vec<StepTiming>,
}

impl Clock {
    fn now(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    fn record(&mut self, name: &str, start: f64, expected_seconds: Option<f64>, rows: Option<u64>) {
        let end = self.now();
        tracing::info!(step = name, seconds = end - start, "rehearsal step done");
        self.steps.push(StepTiming {
            name: name.to_owned(),
            start_seconds: start,
            end_seconds: end,
            expected_seconds,
            rows,
        });
    }
}

/// A fresh run id: start time in Unix seconds, then the process id and a counter, so runs
/// started in the same second by one process still differ. It names the scratch databases.
pub fn new_run_id() -> String {
    static RUNS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let started_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!("{started_at}-{:04x}{n:02x}", std::process::id() & 0xffff)
}

/// Removes what run `id` created on `provider` (what Ctrl-C does before exiting).
pub async fn drop_scratch(id: &str, provider: &AnyProvider) {
    provider.clean_up(&id.replace('-', "_")).await;
}

/// The engines and versions the project's `[source]` and `[target]` ask for.
pub fn sides(project: &Project) -> (Side, Side) {
    let m = project.manifest();
    let side = |e: &crate::project::manifest::Endpoint| Side {
        engine: e.engine,
        version: e.version.clone(),
    };
    (side(&m.source), side(&m.target))
}

/// Picks the provider `options` asks for (see [`provider::choose`]); for `auto`, also says why.
///
/// # Errors
/// [`ProviderError`] when `docker` was asked for and cannot be used.
pub async fn choose_provider(
    project: &Project,
    options: &RehearsalOptions,
) -> Result<(AnyProvider, Option<String>), ProviderError> {
    let (source, target) = sides(project);
    provider::choose(
        options.provider,
        LocalProvider {
            source_server: options.source_server.clone(),
            target_server: options.target_server.clone(),
        },
        options.images.clone(),
        (&source, &target),
    )
    .await
}

/// Where this project's rehearsal reports live.
pub fn history_dir(project: &Path) -> PathBuf {
    project.join(".migration-studio").join("rehearsals")
}

/// The project's rehearsal reports, oldest first.
pub fn history(project: &Path) -> Vec<RehearsalReport> {
    let Ok(entries) = std::fs::read_dir(history_dir(project)) else {
        return Vec::new();
    };
    let mut reports: Vec<RehearsalReport> = entries
        .filter_map(Result::ok)
        .filter_map(|e| std::fs::read_to_string(e.path().join("report.json")).ok())
        .filter_map(|text| serde_json::from_str(&text).ok())
        .collect();
    reports.sort_by(|a, b| a.id.cmp(&b.id));
    reports
}

/// A session-level lock on the target server, named for the project: a second rehearsal of the
/// same project is refused, and the lock frees itself when its holder's connection dies
/// (PostgreSQL advisory lock, MySQL `GET_LOCK`).
struct RunLock {
    db: Database,
    _conn: LockConn,
}

// The connection is only held: the lock lives as long as its session.
#[allow(dead_code)]
enum LockConn {
    Postgres(sqlx::pool::PoolConnection<sqlx::Postgres>),
    Mysql(sqlx::pool::PoolConnection<sqlx::MySql>),
    None,
}

async fn take_lock(server: &str, project_key: &str) -> Result<RunLock, RehearsalError> {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    project_key.hash(&mut h);
    let key = (h.finish() >> 1) as i64;
    let url = match db::engine_of(server) {
        Some(crate::import::Engine::Postgres) => {
            format!("{}/postgres", server.trim_end_matches('/'))
        }
        _ => server.to_owned(),
    };
    let db = db::connect(&url, Access::ReadWrite, 1).await?;
    let busy = || RehearsalError::Busy(db.display.clone());
    let err = |e| RehearsalError::Db(db.query_error("taking the rehearsal lock", e));
    let conn = match &db.pool {
        Pool::Postgres(p) => {
            let mut c = p.acquire().await.map_err(err)?;
            let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                .bind(key)
                .fetch_one(&mut *c)
                .await
                .map_err(err)?;
            if !got {
                return Err(busy());
            }
            LockConn::Postgres(c)
        }
        Pool::Mysql(p) => {
            let mut c = p.acquire().await.map_err(err)?;
            let got: Option<i64> = sqlx::query_scalar("SELECT CAST(GET_LOCK(?, 0) AS SIGNED)")
                .bind(format!("migration-studio-{key:x}"))
                .fetch_one(&mut *c)
                .await
                .map_err(err)?;
            if got != Some(1) {
                return Err(busy());
            }
            LockConn::Mysql(c)
        }
        Pool::Sqlite(_) => LockConn::None,
    };
    Ok(RunLock { db, _conn: conn })
}

async fn exec_all(db: &Database, statements: &[String]) -> Result<(), DbError> {
    for sql in statements {
        let first_line = sql.lines().next().unwrap_or(sql);
        db.execute_script(sql, &format!("running `{first_line}`"))
            .await?;
    }
    Ok(())
}

async fn count_rows(
    db: &Database,
    inventory: &crate::inventory::Inventory,
) -> Result<u64, DbError> {
    let mut total = 0u64;
    for table in inventory
        .tables
        .iter()
        .filter(|t| !t.name.name.starts_with("_migration_studio"))
    {
        if table
            .partitioning
            .as_ref()
            .is_some_and(|p| !p.partitions.is_empty())
        {
            continue;
        }
        let sql = format!(
            "SELECT CAST(count(*) AS {}) FROM {}",
            if db.engine == crate::import::Engine::Mysql {
                "SIGNED"
            } else {
                "BIGINT"
            },
            quote::table(db.engine, &table.name)
        );
        let err = |e| db.query_error("counting source rows", e);
        let n: i64 = match &db.pool {
            Pool::Postgres(p) => sqlx::query_scalar(&sql).fetch_one(p).await.map_err(err)?,
            Pool::Mysql(p) => sqlx::query_scalar(&sql).fetch_one(p).await.map_err(err)?,
            Pool::Sqlite(p) => sqlx::query_scalar(&sql).fetch_one(p).await.map_err(err)?,
        };
        total += n as u64;
    }
    Ok(total)
}

fn routes(plan: &BackfillPlan, reverse: bool) -> Vec<Route> {
    plan.tables
        .iter()
        .map(|t| {
            if reverse {
                Route {
                    from: t.target.clone(),
                    to_table: t.mapping.source.clone(),
                    to_columns: t
                        .source
                        .columns
                        .iter()
                        .map(|c| (c.name.clone(), c.declared.clone(), c.logical.clone()))
                        .collect(),
                    to_key: t.source.key_columns(),
                }
            } else {
                Route {
                    from: t.source.clone(),
                    to_table: t.mapping.target.clone(),
                    to_columns: t
                        .target
                        .columns
                        .iter()
                        .map(|c| (c.name.clone(), c.declared.clone(), c.logical.clone()))
                        .collect(),
                    to_key: t.target.key_columns(),
                }
            }
        })
        .collect()
}

/// Applies until nothing is pending, sampling lag. Returns whether it drained in time.
async fn drain(
    applier: &mut Applier,
    clock: &Clock,
    lag: &mut Vec<LagSample>,
    phase: &str,
    timeout: f64,
    threshold: f64,
) -> Result<bool, DbError> {
    let deadline = Instant::now() + Duration::from_secs_f64(timeout);
    loop {
        let (pending, age) = capture::lag(&applier.from, applier.applied).await?;
        tracing::debug!(phase, pending, age, "capture lag");
        lag.push(LagSample {
            at_seconds: clock.now(),
            phase: phase.to_owned(),
            pending: pending as u64,
            age_seconds: age,
        });
        if pending == 0 || (threshold > 0.0 && age < threshold && pending < 50) {
            return Ok(true);
        }
        if Instant::now() > deadline {
            return Ok(false);
        }
        applier.apply(2_000).await?;
    }
}

fn expected_seconds(plan: &Plan, phase: Phase) -> Option<f64> {
    let minutes: f64 = plan
        .steps
        .iter()
        .filter(|s| s.phase == phase)
        .map(|s| s.expected_minutes)
        .sum();
    (minutes > 0.0).then_some(minutes * 60.0)
}

/// Runs a full rehearsal of `project` on the provider `options` asks for and writes its report
/// into the project's history. Returns the report; its verdict says whether every gate passed.
///
/// # Errors
/// [`RehearsalError`] when the rehearsal cannot run at all; the scratch databases are dropped.
pub async fn rehearse(
    project: &Project,
    options: &RehearsalOptions,
) -> Result<RehearsalReport, RehearsalError> {
    let (provider, _) = choose_provider(project, options).await?;
    rehearse_on(project, options, &provider).await
}

/// [`rehearse`] on a chosen provider.
///
/// # Errors
/// [`RehearsalError`] when the rehearsal cannot run at all; what the provider made is removed.
pub async fn rehearse_on(
    project: &Project,
    options: &RehearsalOptions,
    provider: &AnyProvider,
) -> Result<RehearsalReport, RehearsalError> {
    let project_key = project
        .root()
        .canonicalize()
        .unwrap_or_else(|_| project.root().to_owned())
        .display()
        .to_string();
    // Containers are the run's own; scratch databases share a server, so runs of one project
    // against it are serialised.
    let lock = match provider {
        AnyProvider::Local(local) => Some(take_lock(&local.target_server, &project_key).await?),
        AnyProvider::Docker(_) => None,
    };
    let started_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let id = options.run_id.clone().unwrap_or_else(new_run_id);
    let clock_start = Clock {
        started: Instant::now(),
        steps: Vec::new(),
    };
    let mut clock = clock_start;
    let t = clock.now();
    let (source_side, target_side) = sides(project);
    let env = provider
        .provision(&id.replace('-', "_"), &source_side, &target_side)
        .await?;
    clock.record(
        match provider {
            AnyProvider::Local(_) => "provision scratch databases",
            AnyProvider::Docker(_) => "provision containers",
        },
        t,
        None,
        None,
    );
    let result = run_in(project, options, &env, &mut clock, &id).await;
    if !options.keep {
        env.teardown().await;
    }
    if let Some(RunLock {
        db: lock_db,
        _conn: held,
    }) = lock
    {
        // The lock's connection must go back before its pool can close.
        drop(held);
        lock_db.close().await;
    }
    let mut report = result?;
    report.started_at_unix = started_at;
    report.steps = std::mem::take(&mut clock.steps);
    report.total_seconds = clock.now();
    let dir = history_dir(project.root()).join(&report.id);
    let io = |path: PathBuf| move |source| RehearsalError::Io { path, source };
    std::fs::create_dir_all(&dir).map_err(io(dir.clone()))?;
    for (name, text) in [
        (
            "report.json",
            serde_json::to_string_pretty(&report).expect("reports serialise"),
        ),
        ("report.md", report::markdown(&report)),
        ("report.html", report::html(&report)),
    ] {
        std::fs::write(dir.join(name), text).map_err(io(dir.join(name)))?;
    }
    Ok(report)
}

async fn run_in(
    project: &Project,
    options: &RehearsalOptions,
    env: &Environment,
    clock: &mut Clock,
    id: &str,
) -> Result<RehearsalReport, RehearsalError> {
    let manifest = project.manifest();
    let gates_cfg = &manifest.gates;
    let source = db::connect(&env.source_url, Access::ReadWrite, 4).await?;
    let target = db::connect(&env.target_url, Access::ReadWrite, 4).await?;
    let mut report = RehearsalReport::new(
        id,
        &manifest.name,
        env.provider,
        manifest.rto_minutes * 60.0,
        manifest.maintenance_window_minutes * 60.0,
    );

    // Load the source from the project's scripts.
    let t = clock.now();
    for input in &manifest.inputs {
        if let Input::Script { path, engine } = input {
            if engine.is_some_and(|e| e != source.engine) {
                continue;
            }
            let text = std::fs::read_to_string(project.root().join(path)).map_err(|source| {
                RehearsalError::Io {
                    path: path.clone(),
                    source,
                }
            })?;
            load::load_script(
                &source,
                &env.source_name,
                &path.to_string_lossy(),
                &text,
                load::Part::All,
            )
            .await?;
            if source.engine == target.engine {
                // An upgrade keeps its schema: the target gets the same DDL (types, domains,
                // triggers, keys), without the data.
                load::load_script(
                    &target,
                    &env.target_name,
                    &path.to_string_lossy(),
                    &text,
                    load::Part::SchemaOnly,
                )
                .await?;
            }
        }
    }
    let schemas: Vec<String> = source.default_schema.iter().cloned().collect();
    let source_inventory = import_live(source.engine, &env.source_url, &schemas).await?;
    report.source_rows = count_rows(&source, &source_inventory).await?;
    clock.record("load source", t, None, Some(report.source_rows));

    // The planned runbook gives the expected durations and the point of no return.
    let graph = DependencyGraph::from_inventory(&source_inventory);
    let plan = Plan::build(&graph, &manifest.plan_settings());
    report.point_of_no_return = plan
        .point_of_no_return
        .as_ref()
        .and_then(|p| plan.step(&p.step_id))
        .map(|s| format!("{} {}", s.id, s.title));

    let mut bplan = BackfillPlan::new(
        &source_inventory,
        source.engine,
        target.engine,
        target
            .default_schema
            .as_deref()
            .filter(|_| source.engine != target.engine),
        &[],
    );
    let forward = routes(&bplan, false);
    let t = clock.now();
    capture::install(&source, &forward).await?;
    clock.record(
        "start change capture",
        t,
        expected_seconds(&plan, Phase::Capture),
        None,
    );

    let settings = WorkloadSettings {
        rate: options.workload_rate,
        seed: options.seed,
    };
    // PostgreSQL replays with triggers off (session_replication_role); MySQL cannot, so there
    // the workload keeps off tables whose triggers would rewrite a replayed row.
    let avoid = if source.engine == crate::import::Engine::Mysql
        || target.engine == crate::import::Engine::Mysql
    {
        workload::triggered_tables(&source_inventory)
    } else {
        Vec::new()
    };
    let workload = Workload::start(
        source.clone(),
        &source_inventory,
        &avoid,
        settings,
        WorkloadMemory::default(),
    );

    let t = clock.now();
    let same_engine = source.engine == target.engine;
    if !same_engine {
        exec_all(&target, &bplan.create_tables_sql()).await?;
    }
    let target_schemas: Vec<String> = bplan
        .tables
        .iter()
        .filter_map(|t| t.mapping.target.schema.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    bplan
        .adopt_target_catalog(&import_live(target.engine, &env.target_url, &target_schemas).await?);
    clock.record(
        "prepare target",
        t,
        expected_seconds(&plan, Phase::Prepare),
        None,
    );

    let t = clock.now();
    let run_dir = project
        .root()
        .join(".migration-studio")
        .join("runs")
        .join(id);
    let log = RunLog::open(&run_dir.join("backfill.log.jsonl"))?;
    let bf_options = BackfillOptions {
        run_id: id.to_owned(),
        ..BackfillOptions::default()
    };
    let bf = backfill::run(
        &source,
        &target,
        &bplan,
        &bf_options,
        &Control::default(),
        None,
        &log,
    )
    .await?;
    report.rejected_rows = bf.rejected();
    clock.record(
        "backfill",
        t,
        expected_seconds(&plan, Phase::Backfill),
        Some(bf.rows()),
    );

    // Catch up while the workload keeps writing.
    let mut applier = Applier {
        from: source.clone(),
        to: target.clone(),
        routes: forward,
        applied: 0,
    };
    let t = clock.now();
    let caught_up = drain(
        &mut applier,
        clock,
        &mut report.lag,
        "catch-up",
        options.catch_up_timeout_seconds,
        1.0,
    )
    .await?;
    clock.record("catch-up", t, expected_seconds(&plan, Phase::CatchUp), None);

    // Freeze writes, then the final catch-up and validation.
    let freeze_at = clock.now();
    let memory = workload.stop().await;
    let (pending_at_freeze, lag_at_freeze) = capture::lag(&source, applier.applied).await?;
    let t = clock.now();
    drain(
        &mut applier,
        clock,
        &mut report.lag,
        "final catch-up",
        options.catch_up_timeout_seconds,
        0.0,
    )
    .await?;
    clock.record("final catch-up", t, None, Some(pending_at_freeze as u64));

    let t = clock.now();
    if !same_engine {
        exec_all(&target, &bplan.post_copy).await?;
    }
    clock.record(
        "create deferred constraints and indexes",
        t,
        expected_seconds(&plan, Phase::Constraints),
        None,
    );

    let t = clock.now();
    // Validate the copied tables only: the changelog and the markers exist on one side.
    let source_tables: Vec<String> = bplan.tables.iter().map(|t| t.label.clone()).collect();
    let target_tables: Vec<String> = bplan
        .tables
        .iter()
        .map(|t| t.mapping.target.to_string())
        .collect();
    let validation = validate::validate_urls(
        &env.source_url,
        &env.target_url,
        &validate::Options {
            tables: source_tables,
            ..validate::Options::default()
        },
        &manifest.invariants,
        None,
        &validate::Silent,
    )
    .await?;
    report.mismatched_rows = validation
        .tables
        .iter()
        .map(|t| t.differences.total() + u64::from(t.error.is_some()))
        .sum();
    report.validation_verdict = format!("{:?}", validation.verdict);
    clock.record(
        "validation",
        t,
        expected_seconds(&plan, Phase::Validation),
        Some(report.source_rows),
    );

    report.workload_source = memory.stats();
    let errors = report.rejected_rows + memory.stats().errors;
    let mut gate_results = vec![
        GateResult::at_most(
            "mismatched rows",
            report.mismatched_rows as f64,
            gates_cfg.max_mismatched_rows as f64,
            "",
        ),
        GateResult::at_most(
            "lag at freeze",
            if caught_up {
                lag_at_freeze
            } else {
                f64::INFINITY
            },
            gates_cfg.max_lag_seconds,
            " s",
        ),
        GateResult::at_most("errors", errors as f64, gates_cfg.max_errors as f64, ""),
    ];
    for step in &clock.steps {
        if let Some(expected) = step.expected_seconds {
            let measured = step.end_seconds - step.start_seconds;
            gate_results.push(GateResult::at_most(
                &format!("time of step `{}`", step.name),
                measured,
                expected * gates_cfg.step_budget_factor,
                " s",
            ));
        }
    }
    report.gates = gate_results;
    if report.gates.iter().any(|g| !g.passed) {
        report.decide();
        return Ok(report);
    }

    // Cutover: writes resume on the target, captured for the way back.
    let reverse = routes(&bplan, true);
    let t = clock.now();
    capture::install(&target, &reverse).await?;
    let target_inventory = import_live(target.engine, &env.target_url, &target_schemas).await?;
    let target_workload = Workload::start(
        target.clone(),
        &target_inventory,
        &avoid,
        WorkloadSettings {
            rate: options.workload_rate,
            seed: options.seed.wrapping_add(1),
        },
        WorkloadMemory::default(),
    );
    report.write_downtime_seconds = clock.now() - freeze_at;
    clock.record("cutover", t, expected_seconds(&plan, Phase::Cutover), None);
    report.gates.push(GateResult::at_most(
        "write downtime",
        report.write_downtime_seconds,
        report.maintenance_window_seconds,
        " s",
    ));

    tokio::time::sleep(Duration::from_secs_f64(options.post_cutover_seconds)).await;
    let target_memory = target_workload.stop().await;
    report.workload_target = target_memory.stats();

    // Rollback drill: return to the source by replaying the target's changes into it.
    let t = clock.now();
    let mut back = Applier {
        from: target.clone(),
        to: source.clone(),
        routes: reverse,
        applied: 0,
    };
    drain(
        &mut back,
        clock,
        &mut report.lag,
        "rollback",
        options.catch_up_timeout_seconds,
        0.0,
    )
    .await?;
    let after = validate::validate_urls(
        &env.target_url,
        &env.source_url,
        &validate::Options {
            constraints: false,
            tables: target_tables,
            ..validate::Options::default()
        },
        &[],
        None,
        &validate::Silent,
    )
    .await?;
    report.rollback_seconds = clock.now() - t;
    report.rollback_mismatched_rows = after
        .tables
        .iter()
        .map(|t| t.differences.total() + u64::from(t.error.is_some()))
        .sum();
    clock.record(
        "rollback drill",
        t,
        Some(report.rto_seconds),
        Some(report.workload_target.writes()),
    );
    report.gates.push(GateResult::at_most(
        "writes made on the target missing from the source after rollback",
        report.rollback_mismatched_rows as f64,
        0.0,
        "",
    ));
    report.gates.push(GateResult::at_most(
        "rollback time vs RTO",
        report.rollback_seconds,
        report.rto_seconds,
        " s",
    ));
    report.decide();
    source.close().await;
    target.close().await;
    Ok(report)
}
