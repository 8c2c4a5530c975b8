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
pub mod copied;
pub mod drills;
mod execute;
pub mod gates;
mod interpret;
pub mod load;
mod lock;
pub mod names;
pub mod progress;
pub mod provider;
pub mod report;
pub mod routes;
pub mod runs;
mod sample;
mod setup;
mod standby;
pub mod state;
mod undo;
pub mod workload;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::backfill;
use crate::db::DbError;
use crate::import::ImportError;
use crate::plan::Plan;
use crate::project::{Project, ProjectError};
use crate::validate;
use lock::{take_lock, RunLock};
pub use progress::RehearsalEvent;
pub use provider::docker::ImageOverrides;
use provider::local::LocalProvider;
pub use provider::{AnyProvider, Environment, Provider, ProviderChoice, ProviderError, Side};
pub use report::{
    Interruption, LagSample, RehearsalReport, StepOutcome, StepRow, StepTiming, Verdict,
};
use state::{RunState, Stage};

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
    /// Backfill pace per table, rows per second (to spare a source; `None`: as fast as it goes).
    #[serde(default)]
    pub backfill_rows_per_second: Option<f64>,
    /// Captured changes applied per catch-up batch.
    #[serde(default = "default_apply_batch")]
    pub apply_batch_rows: i64,
    /// Fault drills to run during the backfill.
    #[serde(default)]
    pub drills: drills::Drills,
    /// Keep about this fraction of the source's rows (foreign keys kept whole); `None`: all.
    #[serde(default)]
    pub scale: Option<f64>,
    /// The migration shape to rehearse instead of the manifest's.
    #[serde(default)]
    pub shape: Option<crate::plan::MigrationShape>,
    /// Source writes the workload makes before the catch-up may end, so catch-up has real
    /// work whatever the source's size.
    #[serde(default = "default_min_source_writes")]
    pub min_source_writes: u64,
    /// The local provider rehearses an upgrade on servers of one major version all the same
    /// (otherwise refused: it would rehearse no upgrade).
    #[serde(default)]
    pub same_version: bool,
}

fn default_min_source_writes() -> u64 {
    200
}

fn default_apply_batch() -> i64 {
    2_000
}

impl Default for RehearsalOptions {
    fn default() -> Self {
        Self {
            source_server: "mysql://root@127.0.0.1:3306".into(),
            target_server: "postgres://postgres@127.0.0.1:5432".into(),
            workload_rate: 100.0,
            seed: 42,
            post_cutover_seconds: 2.0,
            catch_up_timeout_seconds: 120.0,
            keep: false,
            run_id: None,
            provider: ProviderChoice::Local,
            images: ImageOverrides::default(),
            backfill_rows_per_second: None,
            apply_batch_rows: default_apply_batch(),
            drills: drills::Drills::default(),
            scale: None,
            shape: None,
            min_source_writes: default_min_source_writes(),
            same_version: false,
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
    /// The project's mapping spec was refused against the scratch source's catalog.
    #[error(transparent)]
    Mapping(Box<crate::mapping::MappingError>),
    /// A live input's URL variable is not set.
    #[error("live input `{input}`: environment variable {variable} is not set (it holds the database URL, which never goes in the project)")]
    LiveUrlMissing {
        /// The input's label.
        input: String,
        /// The variable.
        variable: String,
    },
    /// A fault drill cannot run on this project.
    #[error("{0}")]
    Drill(String),
    /// `--resume` found nothing it can go on with.
    #[error("{0}")]
    NotResumable(String),
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
    events: progress::Events,
}

impl Clock {
    /// A clock reading `elapsed` seconds now (a resumed run goes on from its last save).
    fn resumed(elapsed: f64, steps: Vec<StepTiming>, events: progress::Events) -> Self {
        let now = Instant::now();
        Self {
            started: now
                .checked_sub(Duration::from_secs_f64(elapsed))
                .unwrap_or(now),
            steps,
            events,
        }
    }

    fn emit(&self, event: RehearsalEvent) {
        if let Some(tx) = &self.events {
            let _ = tx.send(event);
        }
    }

    /// Says that step `name` starts (the report records it when it ends).
    fn begin(&self, name: &str, expected_seconds: Option<f64>) {
        self.emit(RehearsalEvent::StepStarted {
            step: name.to_owned(),
            at_seconds: self.now(),
            expected_seconds,
        });
    }

    /// Says that runbook step `id` starts.
    fn begin_step(&self, id: &str, title: &str, expected_seconds: Option<f64>) {
        self.begin(&format!("{id} {title}"), expected_seconds);
    }

    /// Records runbook step `id`, from `start` to now.
    fn record_step(
        &mut self,
        id: &str,
        title: &str,
        start: f64,
        expected_seconds: Option<f64>,
        rows: Option<u64>,
    ) {
        let seconds = self.now() - start;
        self.record_measured(id, title, start, seconds, expected_seconds, rows);
    }

    /// Records runbook step `id` as taking `seconds` from `start` (a table of a backfill run
    /// measured by the backfill).
    fn record_measured(
        &mut self,
        id: &str,
        title: &str,
        start: f64,
        seconds: f64,
        expected_seconds: Option<f64>,
        rows: Option<u64>,
    ) {
        let name = format!("{id} {title}");
        tracing::info!(step = name, seconds, "rehearsal step done");
        self.emit(RehearsalEvent::StepFinished {
            step: name,
            seconds,
            rows,
        });
        self.steps.push(StepTiming {
            step_id: Some(id.to_owned()),
            name: title.to_owned(),
            start_seconds: start,
            end_seconds: start + seconds,
            expected_seconds,
            rows,
        });
    }

    fn now(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    fn record(&mut self, name: &str, start: f64, expected_seconds: Option<f64>, rows: Option<u64>) {
        let end = self.now();
        tracing::info!(step = name, seconds = end - start, "rehearsal step done");
        self.emit(RehearsalEvent::StepFinished {
            step: name.to_owned(),
            seconds: end - start,
            rows,
        });
        self.steps.push(StepTiming {
            step_id: None,
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

/// Loads the project's scripts whole into both scratch databases of `env` (same engine on
/// both sides): two independent copies of the same rows, the old and the new side of the
/// lifecycle's rehearsal ([`crate::workspace::lifecycle::rehearse`]). Returns the rows loaded
/// into each.
///
/// # Errors
/// [`RehearsalError`] for a script that cannot be read or loaded, or a database that fails.
pub async fn load_both_sides(
    project: &Project,
    env: &Environment,
    (source, target): (&crate::db::Database, &crate::db::Database),
) -> Result<u64, RehearsalError> {
    let mut rows = 0;
    let texts = source_scripts(project, source.engine)?;
    let scripts = load::split_all(source.engine, &texts)?;
    let schemas = load::project_schemas(&scripts);
    for script in &scripts {
        for (db, name) in [(source, &env.source_name), (target, &env.target_name)] {
            rows = load::load_script(db, name, script, load::Part::All, &schemas).await?;
        }
    }
    Ok(rows)
}

/// The project's SQL scripts written for the source's `engine` (or for any engine), in the
/// manifest's order, with their text.
///
/// # Errors
/// [`RehearsalError::Io`] for a script that cannot be read.
pub fn source_scripts(
    project: &Project,
    engine: crate::import::Engine,
) -> Result<Vec<(std::path::PathBuf, String)>, RehearsalError> {
    let mut scripts = Vec::new();
    for input in &project.manifest().inputs {
        if let crate::project::manifest::Input::Script { path, engine: e } = input {
            if e.is_some_and(|e| e != engine) {
                continue;
            }
            let text = std::fs::read_to_string(project.root().join(path)).map_err(|source| {
                RehearsalError::Io {
                    path: path.clone(),
                    source,
                }
            })?;
            scripts.push((path.clone(), text));
        }
    }
    Ok(scripts)
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
            files: project.root().join(".migration-studio").join("runs"),
            same_version: options.same_version,
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
    rehearse_on(project, options, &provider, None).await
}

/// [`rehearse`] on a chosen provider, with progress events sent to `events`.
///
/// # Errors
/// [`RehearsalError`] when the rehearsal cannot run at all; what the provider made is removed.
pub async fn rehearse_on(
    project: &Project,
    options: &RehearsalOptions,
    provider: &AnyProvider,
    events: progress::Events,
) -> Result<RehearsalReport, RehearsalError> {
    rehearse_plan(project, None, options, provider, events).await
}

/// [`rehearse_on`] executing `plan`, the runbook the team will run (the project's plan with
/// its step edits and risk orderings); `None` plans the rehearsal's source as loaded, under
/// the manifest's settings (and `options.shape`). Its steps are matched to the source's
/// tables by the tables their backfill steps name.
///
/// # Errors
/// As [`rehearse_on`].
pub async fn rehearse_plan(
    project: &Project,
    plan: Option<&Plan>,
    options: &RehearsalOptions,
    provider: &AnyProvider,
    events: progress::Events,
) -> Result<RehearsalReport, RehearsalError> {
    let lock = lock_for(project, provider).await?;
    let id = options.run_id.clone().unwrap_or_else(new_run_id);
    let mut clock = Clock::resumed(0.0, Vec::new(), events);
    let t = clock.now();
    clock.begin(
        match provider {
            AnyProvider::Local(_) => "provision scratch databases",
            AnyProvider::Docker(_) => "provision containers",
        },
        None,
    );
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
    let state = RunState {
        id: id.clone(),
        project: project.manifest().name.clone(),
        provider: provider.name().to_owned(),
        servers: redacted_servers(provider),
        containers: env.containers().to_vec(),
        stage: Stage::Provisioned,
        stage_started_seconds: clock.now(),
        applied: 0,
        source_rows: 0,
        elapsed_seconds: clock.now(),
        started_at_unix: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        steps: clock.steps.clone(),
        lag: Vec::new(),
        interruptions: Vec::new(),
        schema_from_copy: false,
        planted: None,
        done: Vec::new(),
    };
    if let Err((path, source)) = state.save(project.root()) {
        env.teardown().await;
        return Err(RehearsalError::Io { path, source });
    }
    finish(project, options, &env, clock, state, lock, plan).await
}

/// Goes on with a run whose process died (kill -9, a crash) from its last saved progress:
/// the backfill from its checkpoints, the catch-up from the last applied change. `options.run_id`
/// names the run; `None` takes the newest unfinished one. The provider must be the one the run
/// was made with (for `local`, the same servers).
///
/// # Errors
/// [`RehearsalError::NotResumable`] when there is no such run, it used another provider, or it
/// stopped where a resume cannot go on (then its leftovers are removed); else as [`rehearse`].
pub async fn resume_on(
    project: &Project,
    options: &RehearsalOptions,
    provider: &AnyProvider,
    events: progress::Events,
) -> Result<RehearsalReport, RehearsalError> {
    resume_plan(project, None, options, provider, events).await
}

/// [`resume_on`] executing `plan` (see [`rehearse_plan`]): the plan the run started with.
///
/// # Errors
/// As [`resume_on`].
pub async fn resume_plan(
    project: &Project,
    plan: Option<&Plan>,
    options: &RehearsalOptions,
    provider: &AnyProvider,
    events: progress::Events,
) -> Result<RehearsalReport, RehearsalError> {
    let Some(mut state) = RunState::resumable(project.root(), options.run_id.as_deref()) else {
        let unfinished = RunState::unfinished(project.root());
        let ids: Vec<&str> = unfinished.iter().map(|s| s.id.as_str()).collect();
        return Err(RehearsalError::NotResumable(match &options.run_id {
            Some(id) => format!(
                "run {id} has nothing to resume (unfinished runs: {})",
                if ids.is_empty() {
                    "none".to_owned()
                } else {
                    ids.join(", ")
                }
            ),
            None => "no unfinished rehearsal to resume in this project".to_owned(),
        }));
    };
    if state.provider != provider.name()
        || (state.provider == "local" && state.servers != redacted_servers(provider))
    {
        return Err(RehearsalError::NotResumable(format!(
            "run {} was made by the {} provider on {} and {}; resume it with the same provider and servers",
            state.id, state.provider, state.servers.0, state.servers.1
        )));
    }
    let run = state.id.replace('-', "_");
    if matches!(state.stage, Stage::Provisioned | Stage::Frozen) {
        provider.clean_up(&run).await;
        state::RunState::remove(project.root(), &state.id);
        return Err(RehearsalError::NotResumable(format!(
            "run {} stopped {}, where a rehearsal cannot go on; its databases were removed: run `rehearse` again",
            state.id,
            state.stage.label()
        )));
    }
    let lock = lock_for(project, provider).await?;
    let mut clock = Clock::resumed(
        state.elapsed_seconds,
        std::mem::take(&mut state.steps),
        events,
    );
    let t = clock.now();
    let env = match provider.reattach(&run, &state.containers).await {
        Ok(env) => env,
        Err(e) => {
            provider.clean_up(&run).await;
            state::RunState::remove(project.root(), &state.id);
            return Err(e.into());
        }
    };
    state.interruptions.push(Interruption {
        stage: state.stage.label().to_owned(),
        at_seconds: state.elapsed_seconds,
        resume_seconds: clock.now() - t,
    });
    clock.record(
        &format!("resume ({} interrupted)", state.stage.label()),
        t,
        None,
        None,
    );
    finish(project, options, &env, clock, state, lock, plan).await
}

async fn lock_for(
    project: &Project,
    provider: &AnyProvider,
) -> Result<Option<RunLock>, RehearsalError> {
    let project_key = project_lock_name(project.root());
    // Containers are the run's own; scratch databases share a server, so runs of one project
    // against it are serialised.
    Ok(match provider {
        AnyProvider::Local(local)
            if crate::db::engine_of(&local.target_server)
                != Some(crate::import::Engine::Sqlite) =>
        {
            Some(take_lock(&local.target_server, &project_key).await?)
        }
        AnyProvider::Local(_) => None,
        AnyProvider::Docker(_) => None,
    })
}

fn redacted_servers(provider: &AnyProvider) -> (String, String) {
    match provider {
        AnyProvider::Local(l) => (
            crate::import::live::redact_url(&l.source_server),
            crate::import::live::redact_url(&l.target_server),
        ),
        AnyProvider::Docker(d) => (d.host().to_owned(), d.host().to_owned()),
    }
}

/// Runs the steps from `state`, tears down, and writes the report into the history.
async fn finish(
    project: &Project,
    options: &RehearsalOptions,
    env: &Environment,
    mut clock: Clock,
    mut state: RunState,
    lock: Option<RunLock>,
    plan: Option<&Plan>,
) -> Result<RehearsalReport, RehearsalError> {
    // The project's inventory is stored by the time a rehearsal runs; without one the
    // report keeps the scratch names rather than failing the run.
    // Only a MySQL source's tables are qualified by the scratch database's name.
    let mysql_source = sides(project).0.engine == crate::import::Engine::Mysql;
    let names = match mysql_source.then(|| project.inventory()) {
        None => None,
        Some(inventory) => match inventory.await {
            Ok(inventory) => names::ProjectNames::for_source(&env.source_name, &inventory),
            Err(e) => {
                tracing::warn!(error = %e, "no inventory: the report names the scratch database");
                None
            }
        },
    };
    if let Some(names) = &names {
        clock.events = names.events(clock.events.take());
    }
    let result = interpret::run_plan(project, options, env, plan, &mut clock, &mut state).await;
    if !options.keep {
        env.teardown().await;
        RunState::remove(project.root(), &state.id);
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
    report.started_at_unix = state.started_at_unix;
    report.steps = std::mem::take(&mut clock.steps);
    report.total_seconds = clock.now();
    if let Some(names) = &names {
        report = names.apply_to_report(&report);
    }
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

/// What a project's rehearsal lock is named for: its canonical root, as text.
fn project_lock_name(root: &std::path::Path) -> String {
    root.canonicalize()
        .unwrap_or_else(|_| root.to_owned())
        .display()
        .to_string()
}

/// The key of the lock a local rehearsal of the project at `root` holds on its target server
/// while it runs (one rehearsal of a project per server): on PostgreSQL the advisory lock's
/// `bigint` key, so `pg_locks` shows whether a run of this project holds it (`classid` the
/// high 32 bits, `objid` the low 32, `objsubid` 1).
pub fn run_lock_key(root: &std::path::Path) -> i64 {
    lock::lock_key(&project_lock_name(root))
}
