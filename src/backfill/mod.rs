//! Resumable, chunked backfill from a source database into a rehearsal target.
//!
//! Per table, in wave order: rows are read in primary-key order with keyset pagination, in
//! bounded chunks; each chunk is written with its checkpoint in one target transaction
//! ([`write`]), so a killed run resumes right after the last committed chunk. The next chunk is
//! read while the previous one is written, tables of one wave are copied concurrently, and the
//! chunk size follows a target chunk time (like pt-table-checksum's `--chunk-time`, 0.5 s).
//!
//! The plan ([`BackfillPlan`]) is a value: `--dry-run` prints it, execution consumes it.

pub mod checkpoint;
mod log;
mod plan;
pub mod post_copy;
mod read;
pub mod retry;
pub mod run_files;
pub mod sequences;
mod table;
pub mod write;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, watch};

use crate::db::{guard, Database, DbError, RunLock};
pub use log::RunLog;
pub use plan::{BackfillPlan, PlannedTable, SkippedTable};
pub use post_copy::{PostCopyError, PostCopyObject, PostCopyOutcome};
pub use write::{RejectPolicy, WriteError};

/// Tuning and safety options.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BackfillOptions {
    /// Run id: checkpoints are kept per run, so the same id resumes.
    pub run_id: String,
    /// Rows in the first chunk.
    pub initial_chunk_rows: usize,
    /// Smallest chunk.
    pub min_chunk_rows: usize,
    /// Largest chunk.
    pub max_chunk_rows: usize,
    /// Target seconds per chunk write; the chunk size adapts to it.
    pub target_chunk_seconds: f64,
    /// Maximum rows per second per table, if any.
    pub max_rows_per_second: Option<f64>,
    /// Tables of one wave copied at once.
    pub parallel_tables: usize,
    /// What to do with rows the target refuses.
    pub reject_policy: RejectPolicy,
    /// Forget the run's checkpoints and start over.
    pub restart: bool,
    /// Drill: abort the process after writing the chunk that would be committed as chunk
    /// number `n` of a table, before its commit.
    pub abort_before_commit_of_chunk: Option<u64>,
    /// What the stated conversion rules do (the manifest's `[data]`).
    #[serde(default)]
    pub conversion: crate::data::ConversionPolicy,
}

impl Default for BackfillOptions {
    fn default() -> Self {
        Self {
            run_id: "default".into(),
            initial_chunk_rows: 10_000,
            min_chunk_rows: 500,
            max_chunk_rows: 50_000,
            target_chunk_seconds: 0.5,
            max_rows_per_second: None,
            parallel_tables: 2,
            reject_policy: RejectPolicy::SkipAndRecord,
            restart: false,
            abort_before_commit_of_chunk: None,
            conversion: crate::data::ConversionPolicy::default(),
        }
    }
}

/// Progress, as the CLI bars and the desktop app show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum BackfillEvent {
    /// A table starts (or resumes).
    TableStarted {
        /// Source table.
        table: String,
        /// Estimated rows (catalog estimate).
        estimated_rows: Option<u64>,
        /// Rows already copied by an earlier attempt.
        resumed_rows: u64,
    },
    /// A chunk was committed.
    Chunk {
        /// Source table.
        table: String,
        /// Rows copied so far.
        rows: u64,
        /// Bytes read so far.
        bytes: u64,
        /// Rows per second over this attempt.
        rows_per_second: f64,
        /// Seconds left at that rate, when the total is known.
        eta_seconds: Option<f64>,
    },
    /// A table is done.
    TableFinished {
        /// Source table.
        table: String,
        /// Rows copied in all.
        rows: u64,
        /// Rows refused and kept.
        rejected: u64,
    },
}

/// Pause, resume and cancel a running backfill (between chunks).
#[derive(Debug, Clone)]
pub struct Control {
    paused: watch::Sender<bool>,
    cancelled: Arc<AtomicBool>,
}

impl Default for Control {
    fn default() -> Self {
        Self {
            paused: watch::channel(false).0,
            cancelled: Arc::new(AtomicBool::new(false)),
        }
    }
}

impl Control {
    /// Pauses after the current chunk.
    pub fn pause(&self) {
        self.paused.send_replace(true);
    }

    /// Resumes.
    pub fn resume(&self) {
        self.paused.send_replace(false);
    }

    /// Stops after the current chunk; the run can be resumed later.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        self.paused.send_replace(false);
    }

    /// Whether cancel was asked.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    async fn wait_if_paused(&self) {
        let mut rx = self.paused.subscribe();
        while *rx.borrow_and_update() {
            if rx.changed().await.is_err() {
                return;
            }
        }
    }
}

/// What happened to one table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableReport {
    /// Source table.
    pub source: String,
    /// Target table.
    pub target: String,
    /// Wave.
    pub wave: usize,
    /// Rows copied in all (earlier attempts included).
    pub rows: u64,
    /// Bytes read in this attempt.
    pub bytes: u64,
    /// Rows refused and kept.
    pub rejected: u64,
    /// Chunks committed in this attempt.
    pub chunks: u64,
    /// Seconds spent in this attempt.
    pub seconds: f64,
    /// Rows per second in this attempt.
    pub rows_per_second: f64,
    /// Rows already copied when this attempt started.
    pub resumed_from: u64,
    /// Whether the table was finished.
    pub done: bool,
    /// Chunk writes repeated after a lost connection or an aborted transaction.
    #[serde(default)]
    pub retries: u64,
    /// Values converted by a stated rule, per column and rule, with example keys (earlier
    /// attempts included).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub converted: Vec<crate::data::Converted>,
}

/// What a backfill did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackfillReport {
    /// Run id.
    pub run_id: String,
    /// Tables in copy order.
    pub tables: Vec<TableReport>,
    /// Tables not copied, with why.
    pub skipped: Vec<SkippedTable>,
    /// Seconds in all.
    pub seconds: f64,
    /// Whether the run was cancelled before the end.
    pub cancelled: bool,
}

impl BackfillReport {
    /// Rows copied in all.
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }

    /// Rows refused in all.
    pub fn rejected(&self) -> u64 {
        self.tables.iter().map(|t| t.rejected).sum()
    }
}

/// Why a backfill failed.
#[derive(Debug, thiserror::Error)]
pub enum BackfillError {
    /// A database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// Writing a chunk failed.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// Indexes and foreign keys after the copy could not be put in place.
    #[error(transparent)]
    PostCopy(#[from] PostCopyError),
    /// The run id cannot name a run folder.
    #[error(transparent)]
    RunId(#[from] run_files::InvalidRunId),
    /// The run log could not be written.
    #[error("run log {path}: {source}")]
    Log {
        /// Log file.
        path: PathBuf,
        /// I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// Copies every planned table from `source` to `target`, wave by wave, holding the run's
/// writer lock on the target throughout.
///
/// # Errors
/// Before any write: [`DbError::NotARehearsalTarget`] when `target` is not marked,
/// [`DbError::TargetIsSource`] when it is the source database, [`DbError::RunLocked`] when
/// another process is writing the same run. Otherwise the first failure. Committed chunks
/// stay, so the same run id resumes.
pub async fn run(
    source: &Database,
    target: &Database,
    plan: &BackfillPlan,
    options: &BackfillOptions,
    control: &Control,
    events: Option<mpsc::UnboundedSender<BackfillEvent>>,
    log: &RunLog,
) -> Result<BackfillReport, BackfillError> {
    run_files::check_run_id(&options.run_id)?;
    guard::ensure_rehearsal_target(target).await?;
    guard::ensure_target_is_not_source(
        source,
        &plan.source_schemas(),
        target,
        &plan.target_schemas(),
    )
    .await?;
    let lock = RunLock::acquire(target, &options.run_id).await?;
    let report = run_locked(source, target, plan, options, control, events, log).await;
    lock.release().await;
    report
}

async fn run_locked(
    source: &Database,
    target: &Database,
    plan: &BackfillPlan,
    options: &BackfillOptions,
    control: &Control,
    events: Option<mpsc::UnboundedSender<BackfillEvent>>,
    log: &RunLog,
) -> Result<BackfillReport, BackfillError> {
    checkpoint::ensure_tables(target).await?;
    if options.restart {
        // The foreign keys an earlier --post-copy made would refuse the reload's deletes.
        post_copy::drop_planned(target, &plan.post_copy).await?;
        checkpoint::clear(target, &options.run_id).await?;
    }
    let started = Instant::now();
    let mut reports = Vec::new();
    for wave in plan.waves() {
        if control.is_cancelled() {
            break;
        }
        let results: Vec<Result<TableReport, BackfillError>> = futures_util::stream::iter(wave)
            .map(|t| table::copy(source, target, t, options, control, events.clone(), log))
            .buffer_unordered(options.parallel_tables.max(1))
            .collect()
            .await;
        let mut wave_reports = Vec::new();
        for result in results {
            wave_reports.push(result?);
        }
        wave_reports.sort_by(|a, b| a.source.cmp(&b.source));
        reports.extend(wave_reports);
    }
    Ok(BackfillReport {
        run_id: options.run_id.clone(),
        tables: reports,
        skipped: plan.skipped.clone(),
        seconds: started.elapsed().as_secs_f64(),
        cancelled: control.is_cancelled(),
    })
}
