//! A trial run on two live databases: create the target tables (default mapping), backfill in
//! wave order, create indexes and FKs, validate, each step timed and compared with the plan's
//! estimate, the report kept in the project's run folder. It is what the desktop's Rehearsal
//! screen runs until the rehearsal engine (provisioning, capture, workload, catch-up, cutover
//! and rollback drills) lands; it composes [`crate::backfill`] and [`crate::validate`] exactly
//! as `migration-studio backfill --create-tables --post-copy` followed by
//! `migration-studio validate` do.
//!
//! The target must be a rehearsal target ([`crate::db::guard`]): marked by Migration Studio, or
//! marked here only when the caller says so explicitly (`mark_target`). The source is opened
//! read-only.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::backfill::{
    self, BackfillEvent, BackfillOptions, BackfillPlan, BackfillReport, Control, RunLog,
};
use crate::db::{self, guard, Access, Database, DbError, Pool};
use crate::import::live::import_live;
use crate::plan::Plan;
use crate::project::Project;
use crate::validate::{self, Progress, Report as ValidationReport, Sides, Verdict};

/// Folder of a project's runs, relative to the project root.
pub const RUNS_DIR: &str = ".migration-studio/runs";
/// File name of a trial report inside its run folder.
pub const REPORT_FILE: &str = "trial-report.json";

/// What to run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrialOptions {
    /// Run id (names the run folder and the backfill checkpoints; the same id resumes).
    pub run_id: String,
    /// Mark the target as a rehearsal target first (only for a scratch database).
    pub mark_target: bool,
    /// Start the backfill over instead of resuming.
    pub restart: bool,
    /// Rows in the first chunk.
    pub chunk_rows: usize,
    /// Tables of one wave copied at once.
    pub parallel_tables: usize,
}

impl Default for TrialOptions {
    fn default() -> Self {
        Self {
            run_id: "trial".into(),
            mark_target: false,
            restart: true,
            chunk_rows: 10_000,
            parallel_tables: 2,
        }
    }
}

/// Progress of a trial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum TrialEvent {
    /// A step starts.
    StepStarted {
        /// Step name.
        step: String,
    },
    /// A step ended.
    StepFinished {
        /// Step name.
        step: String,
        /// Seconds it took.
        seconds: f64,
    },
    /// Backfill progress.
    Backfill(BackfillEvent),
    /// A table's validation ended.
    Validated {
        /// Source table.
        table: String,
        /// Verdict label (`equal`, `different`…).
        verdict: String,
    },
}

/// One timed step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimedStep {
    /// Name (`create tables`, `backfill sakila.rental`, `indexes and FKs`, `validate`).
    pub name: String,
    /// Seconds from the start of the run.
    pub start: f64,
    /// Measured seconds.
    pub seconds: f64,
    /// The plan's estimate for the matching runbook step, seconds.
    pub expected: Option<f64>,
}

/// What a trial did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialReport {
    /// Run id.
    pub run_id: String,
    /// When it started (seconds since the Unix epoch).
    pub started_at: f64,
    /// Source, password redacted.
    pub source: String,
    /// Target, password redacted.
    pub target: String,
    /// Steps in order.
    pub steps: Vec<TimedStep>,
    /// The backfill's report.
    pub backfill: BackfillReport,
    /// The validation's report (absent when the backfill was cancelled).
    pub validation: Option<ValidationReport>,
    /// Seconds in all.
    pub seconds: f64,
    /// `passed` (validation equal), `failed`, or `cancelled`.
    pub outcome: String,
}

/// Why a trial failed.
#[derive(Debug, thiserror::Error)]
pub enum TrialError {
    /// A database failed (connect, guard, statement).
    #[error(transparent)]
    Db(#[from] DbError),
    /// Reading a live schema failed.
    #[error(transparent)]
    Import(#[from] crate::import::ImportError),
    /// The backfill failed.
    #[error(transparent)]
    Backfill(#[from] backfill::BackfillError),
    /// The validation failed.
    #[error(transparent)]
    Validate(#[from] validate::ValidateError),
    /// The run folder could not be written or read.
    #[error("{path}: {source}")]
    Io {
        /// File or folder.
        path: PathBuf,
        /// I/O error.
        #[source]
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> TrialError + '_ {
    move |source| TrialError::Io {
        path: path.to_owned(),
        source,
    }
}

async fn execute_all(db: &Database, statements: &[String]) -> Result<(), DbError> {
    for sql in statements {
        let result = match &db.pool {
            Pool::Postgres(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
            Pool::Mysql(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
            Pool::Sqlite(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
        };
        result.map_err(|e| {
            db.query_error(
                format!("running `{}`", sql.lines().next().unwrap_or(sql)),
                e,
            )
        })?;
    }
    Ok(())
}

/// The plan's backfill estimate for a table, seconds, matched by bare table name.
fn expected_backfill(plan: &Plan, table: &str) -> Option<f64> {
    let bare = table.rsplit('.').next().unwrap_or(table);
    plan.steps
        .iter()
        .find(|s| {
            s.artifact.as_deref().is_some_and(|a| {
                a.rsplit(['.', ':'])
                    .next()
                    .is_some_and(|n| n.eq_ignore_ascii_case(bare))
            })
        })
        .map(|s| s.expected_minutes * 60.0)
}

/// Sends an event; a closed receiver only means nobody watches any more.
fn emit(events: &mpsc::UnboundedSender<TrialEvent>, event: TrialEvent) {
    let _ = events.send(event);
}

fn finish_step(
    events: &mpsc::UnboundedSender<TrialEvent>,
    steps: &mut Vec<TimedStep>,
    started: Instant,
    name: &str,
    t0: Instant,
    expected: Option<f64>,
) {
    let seconds = t0.elapsed().as_secs_f64();
    emit(
        events,
        TrialEvent::StepFinished {
            step: name.to_owned(),
            seconds,
        },
    );
    steps.push(TimedStep {
        name: name.to_owned(),
        start: (t0 - started).as_secs_f64(),
        seconds,
        expected,
    });
}

struct Forward(mpsc::UnboundedSender<TrialEvent>);

impl Progress for Forward {
    fn finish(&self, report: &validate::TableReport) {
        // A closed receiver only means nobody watches any more.
        let _ = self.0.send(TrialEvent::Validated {
            table: report.source_table.clone(),
            verdict: report.verdict.to_string(),
        });
    }
}

/// Runs a trial of `project`'s plan from `source_url` into `target_url`.
///
/// # Errors
/// [`TrialError`]; [`DbError::NotARehearsalTarget`] before any write when the target is not a
/// rehearsal target and `mark_target` is false.
pub async fn run(
    project: &Project,
    plan: &Plan,
    source_url: &str,
    target_url: &str,
    options: &TrialOptions,
    control: &Control,
    events: mpsc::UnboundedSender<TrialEvent>,
) -> Result<TrialReport, TrialError> {
    let started = Instant::now();
    let started_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let parallel = options.parallel_tables.max(1) as u32;
    let source = db::connect(source_url, Access::ReadOnly, parallel + 1).await?;
    let target = db::connect(target_url, Access::ReadWrite, parallel + 1).await?;
    let schemas: Vec<String> = source.default_schema.iter().cloned().collect();
    let inventory = import_live(source.engine, source_url, &schemas).await?;
    let backfill_plan = BackfillPlan::new(
        &inventory,
        source.engine,
        target.engine,
        BackfillPlan::default_target_schema(source.engine, &target),
        &[],
    );
    guard::ensure_target_is_not_source(
        &source,
        &backfill_plan.source_schemas(),
        &target,
        &backfill_plan.target_schemas(),
    )
    .await?;
    if options.mark_target {
        guard::mark_rehearsal_target(&target, "marked from the desktop app").await?;
    }
    guard::ensure_rehearsal_target(&target).await?;
    backfill::run_files::check_run_id(&options.run_id).map_err(backfill::BackfillError::from)?;
    let run_dir = project.root().join(RUNS_DIR).join(&options.run_id);
    std::fs::create_dir_all(&run_dir).map_err(io(&run_dir))?;
    let log = RunLog::open(&run_dir.join("backfill.log.jsonl"))?;
    let mut steps = Vec::new();
    emit(
        &events,
        TrialEvent::StepStarted {
            step: "create tables".into(),
        },
    );
    let t0 = Instant::now();
    execute_all(&target, &backfill_plan.create_tables_sql()).await?;
    finish_step(&events, &mut steps, started, "create tables", t0, None);

    emit(
        &events,
        TrialEvent::StepStarted {
            step: "backfill".into(),
        },
    );
    let t0 = Instant::now();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let forward = {
        let events = events.clone();
        tokio::spawn(async move {
            while let Some(e) = rx.recv().await {
                let _ = events.send(TrialEvent::Backfill(e));
            }
        })
    };
    let backfill_options = BackfillOptions {
        run_id: options.run_id.clone(),
        initial_chunk_rows: options.chunk_rows.max(1),
        parallel_tables: options.parallel_tables.max(1),
        restart: options.restart,
        conversion: project.manifest().data,
        ..BackfillOptions::default()
    };
    let report = backfill::run(
        &source,
        &target,
        &backfill_plan,
        &backfill_options,
        control,
        Some(tx),
        &log,
    )
    .await;
    let _ = forward.await;
    let backfill_report = report?;
    // Per-table steps: tables of a wave run concurrently, so each starts with its wave.
    let mut wave_start = (t0 - started).as_secs_f64();
    let mut current_wave = 0;
    let mut wave_end = wave_start;
    for table in &backfill_report.tables {
        if table.wave != current_wave {
            current_wave = table.wave;
            wave_start = wave_end;
        }
        wave_end = wave_end.max(wave_start + table.seconds);
        steps.push(TimedStep {
            name: format!("backfill {}", table.source),
            start: wave_start,
            seconds: table.seconds,
            expected: expected_backfill(plan, &table.source),
        });
    }
    finish_step(
        &events,
        &mut steps,
        started,
        "backfill",
        t0,
        plan.phase_seconds(crate::plan::Phase::Backfill),
    );

    let mut validation = None;
    if !backfill_report.cancelled && !control.is_cancelled() {
        emit(
            &events,
            TrialEvent::StepStarted {
                step: "indexes and FKs".into(),
            },
        );
        let t0 = Instant::now();
        backfill::post_copy::apply(&target, &backfill_plan.post_copy)
            .await
            .map_err(backfill::BackfillError::from)?;
        finish_step(
            &events,
            &mut steps,
            started,
            "indexes and FKs",
            t0,
            plan.phase_seconds(crate::plan::Phase::Constraints),
        );

        emit(
            &events,
            TrialEvent::StepStarted {
                step: "validate".into(),
            },
        );
        let t0 = Instant::now();
        let target_inventory = import_live(
            target.engine,
            target_url,
            &target.default_schema.iter().cloned().collect::<Vec<_>>(),
        )
        .await?;
        let sides = Sides {
            source: &source,
            target: &target,
            source_inventory: &inventory,
            target_inventory: &target_inventory,
        };
        let strategy =
            validate::resolve_strategy(validate::StrategyChoice::Auto, source_url, target_url);
        let report = validate::run(
            &sides,
            strategy,
            &validate::Options::default(),
            &project.manifest().invariants,
            None,
            &Forward(events.clone()),
        )
        .await?;
        finish_step(
            &events,
            &mut steps,
            started,
            "validate",
            t0,
            plan.phase_seconds(crate::plan::Phase::Validation),
        );
        validation = Some(report);
    }
    source.close().await;
    target.close().await;
    let outcome = match &validation {
        None => "cancelled",
        Some(v) if v.verdict == Verdict::Equal => "passed",
        Some(_) => "failed",
    };
    let report = TrialReport {
        run_id: options.run_id.clone(),
        started_at,
        source: redact(source_url),
        target: redact(target_url),
        steps,
        backfill: backfill_report,
        validation,
        seconds: started.elapsed().as_secs_f64(),
        outcome: outcome.to_owned(),
    };
    let path = run_dir.join(REPORT_FILE);
    std::fs::write(
        &path,
        serde_json::to_vec_pretty(&report).expect("reports serialise"),
    )
    .map_err(io(&path))?;
    Ok(report)
}

fn redact(url: &str) -> String {
    crate::import::live::redact_url(url)
}

/// Every stored trial report of `project`, most recent first. Unreadable reports are skipped.
///
/// # Errors
/// [`TrialError::Io`] when the runs folder exists but cannot be listed.
pub fn history(project: &Project) -> Result<Vec<TrialReport>, TrialError> {
    let dir = project.root().join(RUNS_DIR);
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut reports: Vec<TrialReport> = std::fs::read_dir(&dir)
        .map_err(io(&dir))?
        .filter_map(Result::ok)
        .filter_map(|e| std::fs::read(e.path().join(REPORT_FILE)).ok())
        .filter_map(|b| serde_json::from_slice(&b).ok())
        .collect();
    reports.sort_by(|a, b| b.started_at.total_cmp(&a.started_at));
    Ok(reports)
}
