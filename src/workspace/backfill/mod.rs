//! Backfill: copy a live source into a rehearsal target, as `migration-studio backfill` and the
//! desktop's trial copy both run it. Steps, each timed and compared with the plan's estimate
//! when a plan is given: prepare the target (create the tables through the mapping spec, or the default mapping), copy in wave
//! order (keyset chunks, a checkpoint per chunk, resumable by run id), create indexes and
//! foreign keys, validate. The run's record, its plain backfill report and the rows the target
//! refused are kept in the project's run folder (`.migration-studio/runs/<run>/`).
//!
//! The target must be a rehearsal target ([`crate::db::guard`]): marked by Migration Studio, or
//! marked here only when the caller says so ([`BackfillRequest::mark_target`]). The source is
//! opened read-only and is never the target.
//!
//! **Cancel** ([`Cancel`]) stops the copy after the current chunk, skips the steps after it,
//! and then, by [`OnCancel`], either keeps what was copied so the same run id resumes (the
//! CLI), or removes everything the run made in the target (the desktop's trial: tables,
//! indexes and FKs, checkpoints, the marker it set). The run's writer lock is given back
//! either way.

mod cleanup;

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::Cancel;
use crate::backfill::{
    self, checkpoint, run_files, BackfillError, BackfillOptions, BackfillPlan, BackfillReport,
    RunLog,
};
use crate::db::{self, guard, Access, Database, DbError};
use crate::import::live::{import_live, redact_url};
use crate::mapping::spec::Schema;
use crate::mapping::{MappingError, MappingSpec};
use crate::plan::{Phase, Plan};
use crate::project::Project;
use crate::validate::{self, Report as ValidationReport, Sides, Verdict};

/// Folder of a project's runs, relative to the project root.
pub const RUNS_DIR: &str = ".migration-studio/runs";
/// File name of a run's record ([`BackfillRun`]) inside its run folder.
pub const RUN_FILE: &str = "backfill-run.json";
/// File name of the records the desktop's trial kept before [`RUN_FILE`] (still listed).
pub const LEGACY_TRIAL_FILE: &str = "trial-report.json";
/// File name of the plain copy report ([`BackfillReport`]) inside its run folder.
pub const REPORT_FILE: &str = "backfill-report.json";

/// What a cancelled run leaves in the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnCancel {
    /// Keep the committed chunks and checkpoints: the same run id resumes after the last one.
    #[default]
    KeepForResume,
    /// Remove what this run made in the target (tables it created, their indexes and FKs, the
    /// checkpoint and reject tables it created or its rows in them, schemas it created, the
    /// marker it set); what was there before stays.
    Remove,
}

/// What to copy, from where to where.
#[derive(Debug, Clone)]
pub struct BackfillRequest {
    /// Source URL, password included (opened read-only; never logged or stored: reports
    /// carry it redacted).
    pub source_url: String,
    /// Target URL: a rehearsal target.
    pub target_url: String,
    /// Source schemas (PostgreSQL) or databases (MySQL) to read; empty: the URL's.
    pub source_schemas: Vec<String>,
    /// Target schema (default: the source schema for the same engine, else the target's own).
    pub target_schema: Option<String>,
    /// Only these tables (bare or qualified names); empty: every table.
    pub tables: Vec<String>,
    /// Create the target tables (through `mapping`, else the default mapping) before the copy.
    pub create_tables: bool,
    /// Create secondary indexes and foreign keys after the copy, as a timed step.
    pub post_copy: bool,
    /// Validate the target against the source after the copy (counts, checksums or merge,
    /// samples, constraints, the manifest's invariants).
    pub validate: bool,
    /// Mark the target as a rehearsal target first, with this note (only for a database known
    /// not to be production).
    pub mark_target: Option<String>,
    /// Chunk sizes, pace, parallelism, reject policy, restart. An empty `run_id` is derived
    /// from the two URLs (the same pair resumes); `conversion` is the manifest's `[data]`.
    pub options: BackfillOptions,
    /// What a cancelled run leaves.
    pub on_cancel: OnCancel,
    /// The mapping spec to copy through (the project's, [`super::mapping::spec_path`]), checked
    /// against the live source's catalog; `None`: the default mapping.
    pub mapping: Option<PathBuf>,
}

impl BackfillRequest {
    /// A request with default options: copy only, nothing created, the run id derived.
    pub fn new(source_url: impl Into<String>, target_url: impl Into<String>) -> Self {
        Self {
            source_url: source_url.into(),
            target_url: target_url.into(),
            source_schemas: Vec::new(),
            target_schema: None,
            tables: Vec::new(),
            create_tables: false,
            post_copy: false,
            validate: false,
            mark_target: None,
            options: BackfillOptions {
                run_id: String::new(),
                ..BackfillOptions::default()
            },
            on_cancel: OnCancel::KeepForResume,
            mapping: None,
        }
    }

    /// The same request copying through `project`'s mapping spec when its manifest names one
    /// (else through the default mapping, as before). The CLI's backfill and the desktop's
    /// trial copy both take it, so a trial rehearses the copy the spec describes.
    #[must_use]
    pub fn with_project_spec(mut self, project: &Project) -> Self {
        if project.manifest().mapping.is_some() {
            self.mapping = Some(super::mapping::spec_path(project));
        }
        self
    }
}

/// Progress of a backfill run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum BackfillProgress {
    /// A step starts (`create tables`, `backfill`, `indexes and FKs`, `validate`).
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
    /// Copy progress: a table started, a chunk was committed, a table finished.
    Copy(backfill::BackfillEvent),
    /// A table's validation ended.
    Validated {
        /// Source table.
        table: String,
        /// Verdict label (`equal`, `different`…).
        verdict: String,
    },
}

/// One timed step of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimedStep {
    /// Name (`create tables`, `backfill sakila.rental`, `backfill`, `indexes and FKs`,
    /// `validate`).
    pub name: String,
    /// Seconds from the start of the run.
    pub start: f64,
    /// Measured seconds.
    pub seconds: f64,
    /// The plan's estimate for the matching runbook step(s), seconds.
    pub expected: Option<f64>,
}

/// Rows copied at one instant of a run's copy: the run's progress curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ProgressSample {
    /// Seconds from the start of the run.
    pub at_seconds: f64,
    /// Rows copied so far, every table of the run summed (a resumed table's earlier rows
    /// included).
    pub rows: u64,
}

/// At most this many progress samples are kept: an hour's copy still draws as a curve, and
/// the run's record stays small.
const MAX_PROGRESS_SAMPLES: usize = 600;

/// The progress curve of a copy, sampled from its chunk events.
#[derive(Default)]
struct ProgressCurve {
    per_table: std::collections::HashMap<String, u64>,
    samples: Vec<ProgressSample>,
    /// Seconds between kept samples; doubled whenever the curve is thinned.
    gap: f64,
}

impl ProgressCurve {
    fn see(&mut self, event: &backfill::BackfillEvent, at_seconds: f64) {
        let (table, rows) = match event {
            backfill::BackfillEvent::Chunk { table, rows, .. }
            | backfill::BackfillEvent::TableFinished { table, rows, .. } => (table, *rows),
            backfill::BackfillEvent::TableStarted { .. } => return,
        };
        self.per_table.insert(table.clone(), rows);
        let rows = self.per_table.values().sum();
        let sample = ProgressSample { at_seconds, rows };
        let n = self.samples.len();
        match self.samples.last_mut() {
            // Within the gap the last sample moves on rather than a new one being added, so
            // the curve ends where the copy ended.
            Some(last) if n > 1 && at_seconds - last.at_seconds < self.gap => *last = sample,
            _ => self.samples.push(sample),
        }
        if self.samples.len() >= MAX_PROGRESS_SAMPLES {
            // Every other sample goes (the first and the last stay); later ones come half as
            // often.
            let last = self.samples.pop();
            let kept: Vec<ProgressSample> = self.samples.iter().copied().step_by(2).collect();
            self.samples = kept;
            self.samples.extend(last);
            self.gap = (self.gap * 2.0).max(0.05);
        }
    }
}

/// What a backfill run did: its record, kept as [`RUN_FILE`] in the run folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackfillRun {
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
    /// The copy's report.
    pub backfill: BackfillReport,
    /// Rows copied over time, from 0 at the copy's start to its end (at most
    /// [`MAX_PROGRESS_SAMPLES`]); empty in records made before it was kept.
    #[serde(default)]
    pub progress: Vec<ProgressSample>,
    /// Seconds the indexes and FKs took, when made.
    #[serde(default)]
    pub post_copy_seconds: Option<f64>,
    /// The target's key sequences set past the copied keys, when the copy finished
    /// ([`backfill::sequences`]).
    #[serde(default)]
    pub sequences: Vec<backfill::sequences::SequenceSet>,
    /// The validation's report, when asked for and not cancelled.
    pub validation: Option<ValidationReport>,
    /// Seconds in all.
    pub seconds: f64,
    /// `passed` (validation equal), `failed` (validation not equal), `copied` (no
    /// validation asked for), or `cancelled`.
    pub outcome: String,
    /// What the clean-up of a cancelled run removed ([`OnCancel::Remove`]), in words.
    #[serde(default)]
    pub removed: Vec<String>,
    /// What that clean-up could not remove, with the reason.
    #[serde(default)]
    pub left_behind: Vec<String>,
}

impl BackfillRun {
    /// Whether it was cancelled.
    pub fn cancelled(&self) -> bool {
        self.outcome == "cancelled"
    }
}

/// Why a backfill run failed.
#[derive(Debug, thiserror::Error)]
pub enum BackfillRunError {
    /// A database failed (connect, guard, statement).
    #[error(transparent)]
    Db(#[from] DbError),
    /// Reading a live schema failed.
    #[error(transparent)]
    Import(#[from] crate::import::ImportError),
    /// The copy failed.
    #[error(transparent)]
    Backfill(#[from] BackfillError),
    /// The validation failed.
    #[error(transparent)]
    Validate(#[from] validate::ValidateError),
    /// The mapping spec was refused (nothing was written).
    #[error(transparent)]
    Mapping(#[from] MappingError),
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

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackfillRunError + '_ {
    move |source| BackfillRunError::Io {
        path: path.to_owned(),
        source,
    }
}

/// The run id of a copy between these two databases: the same pair resumes the same run.
fn default_run_id(source: &Database, target: &Database) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    source.display.hash(&mut h);
    target.display.hash(&mut h);
    format!("bf-{:016x}", h.finish())
}

/// The two databases, opened, and the copy planned between them.
struct Opened {
    source: Database,
    target: Database,
    inventory: crate::inventory::Inventory,
    plan: BackfillPlan,
    run_id: String,
}

async fn open(request: &BackfillRequest) -> Result<Opened, BackfillRunError> {
    let parallel = request.options.parallel_tables.max(1) as u32;
    let source = db::connect(&request.source_url, Access::ReadOnly, parallel + 1).await?;
    let target = db::connect(&request.target_url, Access::ReadWrite, parallel + 1).await?;
    let schemas = if request.source_schemas.is_empty() {
        source.default_schema.iter().cloned().collect()
    } else {
        request.source_schemas.clone()
    };
    let inventory = import_live(source.engine, &request.source_url, &schemas).await?;
    let spec = match &request.mapping {
        Some(path) => Some(copyable_spec(
            path,
            &inventory,
            source.engine,
            target.engine,
        )?),
        None => None,
    };
    let plan = BackfillPlan::mapped(
        &inventory,
        source.engine,
        target.engine,
        request
            .target_schema
            .as_deref()
            .or(BackfillPlan::default_target_schema(source.engine, &target)),
        &request.tables,
        spec.as_ref(),
    );
    let run_id = if request.options.run_id.is_empty() {
        default_run_id(&source, &target)
    } else {
        request.options.run_id.clone()
    };
    run_files::check_run_id(&run_id).map_err(BackfillError::from)?;
    Ok(Opened {
        source,
        target,
        inventory,
        plan,
        run_id,
    })
}

/// The spec at `path`, checked against the live source's catalog.
fn copyable_spec(
    path: &Path,
    inventory: &crate::inventory::Inventory,
    source: crate::import::Engine,
    target: crate::import::Engine,
) -> Result<MappingSpec, MappingError> {
    MappingSpec::load(
        path,
        Schema {
            inventory,
            source,
            target,
        },
    )
}

/// The statements and steps `request` would run, as text (`--dry-run`): the same copy plan the
/// real run executes. Connects to both databases and reads the source's catalog; writes
/// nothing.
///
/// # Errors
/// [`BackfillRunError::Db`] (connect), [`BackfillRunError::Import`] (catalog),
/// [`BackfillRunError::Backfill`] for an invalid run id.
pub async fn dry_run(request: &BackfillRequest) -> Result<String, BackfillRunError> {
    let opened = open(request).await?;
    let text = opened
        .plan
        .describe(request.create_tables, request.post_copy);
    opened.source.close().await;
    opened.target.close().await;
    Ok(text)
}

/// Sends an event; a closed receiver only means nobody watches any more.
fn emit(events: Option<&mpsc::UnboundedSender<BackfillProgress>>, event: BackfillProgress) {
    if let Some(events) = events {
        let _ = events.send(event);
    }
}

/// The steps of a run as they are timed.
struct Clock<'a> {
    started: Instant,
    steps: Vec<TimedStep>,
    events: Option<&'a mpsc::UnboundedSender<BackfillProgress>>,
}

impl Clock<'_> {
    fn start(&self, name: &str) -> Instant {
        emit(
            self.events,
            BackfillProgress::StepStarted {
                step: name.to_owned(),
            },
        );
        Instant::now()
    }

    fn finish(&mut self, name: &str, t0: Instant, expected: Option<f64>) {
        let seconds = t0.elapsed().as_secs_f64();
        emit(
            self.events,
            BackfillProgress::StepFinished {
                step: name.to_owned(),
                seconds,
            },
        );
        self.steps.push(TimedStep {
            name: name.to_owned(),
            start: (t0 - self.started).as_secs_f64(),
            seconds,
            expected,
        });
    }
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

struct Forward(Option<mpsc::UnboundedSender<BackfillProgress>>);

impl validate::Progress for Forward {
    fn finish(&self, report: &validate::TableReport) {
        emit(
            self.0.as_ref(),
            BackfillProgress::Validated {
                table: report.source_table.clone(),
                verdict: report.verdict.to_string(),
            },
        );
    }
}

/// Runs the backfill `request` asks for, for `project` (its run folder and `[data]` rules).
/// `plan`, when given, supplies each step's expected duration (the project's plan:
/// [`super::plan::project_plan`]). Progress goes to `events`; `cancel` stops it (see the module
/// docs). A cancelled run is not an error: its record says `cancelled`.
///
/// # Errors
/// Before any write: [`DbError::NotARehearsalTarget`] when the target is not marked and
/// `mark_target` is not set, [`DbError::TargetIsSource`], [`DbError::RunLocked`] when another
/// process writes the same run. Then the first failure of a step; committed chunks stay, so
/// the same run id resumes.
pub async fn run(
    project: &Project,
    plan: Option<&Plan>,
    request: &BackfillRequest,
    cancel: &Cancel,
    events: Option<mpsc::UnboundedSender<BackfillProgress>>,
) -> Result<BackfillRun, BackfillRunError> {
    let started_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let Opened {
        source,
        target,
        inventory,
        plan: mut plan_copy,
        run_id,
    } = open(request).await?;
    let mut clock = Clock {
        started: Instant::now(),
        steps: Vec::new(),
        events: events.as_ref(),
    };
    // Before the marker, the bookkeeping tables or any created table can reach the source.
    guard::ensure_target_is_not_source(
        &source,
        &plan_copy.source_schemas(),
        &target,
        &plan_copy.target_schemas(),
    )
    .await?;
    let before = match request.on_cancel {
        OnCancel::Remove => Some(cleanup::Before::look(&target, &plan_copy).await?),
        OnCancel::KeepForResume => None,
    };
    if let Some(note) = &request.mark_target {
        guard::mark_rehearsal_target(&target, note).await?;
    }
    guard::ensure_rehearsal_target(&target).await?;
    let run_dir = project.root().join(RUNS_DIR).join(&run_id);
    std::fs::create_dir_all(&run_dir).map_err(io(&run_dir))?;
    let log = RunLog::open(&run_dir.join("backfill.log.jsonl"))?;

    if request.create_tables {
        let t0 = clock.start("create tables");
        for sql in plan_copy.create_tables_sql() {
            let first_line = sql.lines().next().unwrap_or(&sql);
            target
                .execute_script(&sql, &format!("running `{first_line}`"))
                .await?;
        }
        clock.finish("create tables", t0, None);
    }
    let target_schemas = plan_copy.target_schemas();
    plan_copy.adopt_target_catalog(
        &import_live(target.engine, &request.target_url, &target_schemas).await?,
    );

    let options = BackfillOptions {
        run_id: run_id.clone(),
        conversion: project.manifest().data,
        ..request.options.clone()
    };
    let t0 = clock.start("backfill");
    let (tx, mut rx) = mpsc::unbounded_channel();
    let forward = {
        let events = events.clone();
        let started = clock.started;
        let mut curve = ProgressCurve::default();
        curve.samples.push(ProgressSample {
            at_seconds: (t0 - started).as_secs_f64(),
            rows: 0,
        });
        tokio::spawn(async move {
            while let Some(e) = rx.recv().await {
                curve.see(&e, started.elapsed().as_secs_f64());
                emit(events.as_ref(), BackfillProgress::Copy(e));
            }
            curve.samples
        })
    };
    let report = backfill::run(
        &source,
        &target,
        &plan_copy,
        &options,
        cancel.control(),
        Some(tx),
        &log,
    )
    .await;
    let progress = forward.await.unwrap_or_default();
    let report = report?;
    // Per-table steps: tables of a wave run concurrently, so each starts with its wave.
    let mut wave_start = (t0 - clock.started).as_secs_f64();
    let (mut current_wave, mut wave_end) = (0, wave_start);
    for table in &report.tables {
        if table.wave != current_wave {
            current_wave = table.wave;
            wave_start = wave_end;
        }
        wave_end = wave_end.max(wave_start + table.seconds);
        clock.steps.push(TimedStep {
            name: format!("backfill {}", table.source),
            start: wave_start,
            seconds: table.seconds,
            expected: plan.and_then(|p| expected_backfill(p, &table.source)),
        });
    }
    clock.finish(
        "backfill",
        t0,
        plan.and_then(|p| p.phase_seconds(Phase::Backfill)),
    );
    keep_rejects(&target, &run_id, &run_dir, &report).await?;

    let mut post_copy_seconds = None;
    let mut validation = None;
    let mut sequences = Vec::new();
    if !report.cancelled && !cancel.is_cancelled() {
        sequences = backfill::sequences::set_past_copied_keys(&target, &plan_copy.target_tables())
            .await
            .map_err(BackfillError::from)?;
    }
    if request.post_copy && !cancel.is_cancelled() {
        let t0 = clock.start("indexes and FKs");
        backfill::post_copy::apply(&target, &plan_copy.post_copy)
            .await
            .map_err(BackfillError::from)?;
        post_copy_seconds = Some(t0.elapsed().as_secs_f64());
        clock.finish(
            "indexes and FKs",
            t0,
            plan.and_then(|p| p.phase_seconds(Phase::Constraints)),
        );
    }
    if request.validate && !cancel.is_cancelled() {
        let t0 = clock.start("validate");
        let checked = tokio::select! {
            r = compare(project, request, &source, &target, &inventory, events.clone()) => Some(r?),
            () = cancel.cancelled() => None,
        };
        if let Some(checked) = checked {
            clock.finish(
                "validate",
                t0,
                plan.and_then(|p| p.phase_seconds(Phase::Validation)),
            );
            validation = Some(checked);
        }
    }
    let cancelled = report.cancelled || cancel.is_cancelled();
    let (removed, left_behind) = match (&before, cancelled) {
        (Some(before), true) => before.remove(&target, &plan_copy, &run_id).await,
        _ => (Vec::new(), Vec::new()),
    };
    source.close().await;
    target.close().await;
    let outcome = match &validation {
        _ if cancelled => "cancelled",
        None => "copied",
        Some(v) if v.verdict == Verdict::Equal => "passed",
        Some(_) => "failed",
    };
    let run = BackfillRun {
        run_id,
        started_at,
        source: redact_url(&request.source_url),
        target: redact_url(&request.target_url),
        steps: clock.steps,
        backfill: report,
        progress,
        post_copy_seconds,
        sequences,
        validation,
        seconds: clock.started.elapsed().as_secs_f64(),
        outcome: outcome.to_owned(),
        removed,
        left_behind,
    };
    for (file, json) in [
        (REPORT_FILE, serde_json::to_vec_pretty(&run.backfill)),
        (RUN_FILE, serde_json::to_vec_pretty(&run)),
    ] {
        let path = run_dir.join(file);
        std::fs::write(&path, json.expect("reports serialise")).map_err(io(&path))?;
    }
    Ok(run)
}

/// Validates the target against the source with the manifest's invariants.
async fn compare(
    project: &Project,
    request: &BackfillRequest,
    source: &Database,
    target: &Database,
    inventory: &crate::inventory::Inventory,
    events: Option<mpsc::UnboundedSender<BackfillProgress>>,
) -> Result<ValidationReport, BackfillRunError> {
    let target_inventory = import_live(
        target.engine,
        &request.target_url,
        &target.default_schema.iter().cloned().collect::<Vec<_>>(),
    )
    .await?;
    let sides = Sides {
        source,
        target,
        source_inventory: inventory,
        target_inventory: &target_inventory,
    };
    let strategy = validate::resolve_strategy(
        validate::StrategyChoice::Auto,
        &request.source_url,
        &request.target_url,
    );
    Ok(validate::run(
        &sides,
        strategy,
        &validate::Options::default(),
        &project.manifest().invariants,
        None,
        &Forward(events),
    )
    .await?)
}

/// Writes the rows the target refused, per table, to `rejects/<table>.jsonl` in the run folder
/// (they stay in the target's reject table too, unless a cancelled run removes it).
async fn keep_rejects(
    target: &Database,
    run_id: &str,
    run_dir: &Path,
    report: &BackfillReport,
) -> Result<(), BackfillRunError> {
    let dir = run_dir.join("rejects");
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    for table in report.tables.iter().filter(|t| t.rejected > 0) {
        let rejects = checkpoint::rejects(target, run_id, &table.source).await?;
        let lines: Vec<String> = rejects
            .iter()
            .map(|r| serde_json::to_string(r).expect("rejects serialise"))
            .collect();
        let path = dir.join(run_files::file_name(&table.source, "jsonl"));
        std::fs::write(&path, lines.join("\n") + "\n").map_err(io(&path))?;
    }
    Ok(())
}

/// Every stored run record of `project` (the desktop's trial copies and the CLI's backfills),
/// most recent first. Unreadable records are skipped.
///
/// # Errors
/// [`BackfillRunError::Io`] when the runs folder exists but cannot be listed.
pub fn history(project: &Project) -> Result<Vec<BackfillRun>, BackfillRunError> {
    let dir = project.root().join(RUNS_DIR);
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut runs: Vec<BackfillRun> = std::fs::read_dir(&dir)
        .map_err(io(&dir))?
        .filter_map(Result::ok)
        .filter_map(|e| {
            std::fs::read(e.path().join(RUN_FILE))
                .or_else(|_| std::fs::read(e.path().join(LEGACY_TRIAL_FILE)))
                .ok()
        })
        .filter_map(|b| serde_json::from_slice(&b).ok())
        .collect();
    runs.sort_by(|a, b| b.started_at.total_cmp(&a.started_at));
    Ok(runs)
}

#[cfg(test)]
mod tests {
    use super::ProgressSample;

    /// A run's record reads back the very curve it wrote; the figure is one the default
    /// parser of serde_json read one ulp off (1.4648257359999999) in a CI run.
    #[test]
    fn a_progress_curve_reads_back_bit_for_bit() {
        let curve: Vec<ProgressSample> = [0.096577881, 1.464825736, 1.468698958, 1e-300, 3600.5]
            .iter()
            .enumerate()
            .map(|(i, &at_seconds)| ProgressSample {
                at_seconds,
                rows: i as u64 * 10_000,
            })
            .collect();
        let json = serde_json::to_vec(&curve).unwrap();
        let back: Vec<ProgressSample> = serde_json::from_slice(&json).unwrap();
        for (a, b) in curve.iter().zip(&back) {
            assert_eq!(a.at_seconds.to_bits(), b.at_seconds.to_bits(), "{json:?}");
        }
    }
}
