//! `migration-studio backfill`: copy a live source into a rehearsal target, resumably.

use crate::cli::term::{errln, out, outln};
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use migration_studio::backfill::{BackfillOptions, RejectPolicy};
use migration_studio::project::Project;
use migration_studio::workspace::backfill::{self, BackfillRequest, OnCancel, RUNS_DIR};
use migration_studio::workspace::Cancel;

use super::BoxError;

#[derive(Debug, Clone, Copy, ValueEnum)]
enum OnReject {
    /// Keep refused rows (reject table and file) and go on.
    Skip,
    /// Stop at the first refused row.
    Stop,
}

/// Arguments of `backfill`.
#[derive(Debug, Args)]
pub struct BackfillArgs {
    /// Project folder (its run folder keeps the log, report and reject files).
    #[arg(default_value = ".")]
    project: PathBuf,
    /// Source URL (read-only). Prefer the environment variable: a URL on the command line is
    /// visible to other users of the machine.
    #[arg(long, env = "MIGRATION_STUDIO_SOURCE_URL", hide_env_values = true)]
    source_url: String,
    /// Target URL: a rehearsal target.
    #[arg(long, env = "MIGRATION_STUDIO_TARGET_URL", hide_env_values = true)]
    target_url: String,
    /// Source schemas (PostgreSQL) or databases (MySQL) to read; default: the URL's.
    #[arg(long, value_delimiter = ',')]
    source_schema: Vec<String>,
    /// Target schema (default: the source schema for the same engine, else the target's own).
    #[arg(long)]
    target_schema: Option<String>,
    /// Only these tables (bare or qualified names).
    #[arg(long, value_delimiter = ',')]
    tables: Vec<String>,
    /// Run id; the same id resumes (default: derived from the two URLs).
    #[arg(long)]
    run_id: Option<String>,
    /// Rows in the first chunk.
    #[arg(long, default_value_t = 10_000)]
    chunk_rows: usize,
    /// Smallest chunk the adaptive sizing may choose.
    #[arg(long, default_value_t = 500)]
    min_chunk_rows: usize,
    /// Largest chunk the adaptive sizing may choose.
    #[arg(long, default_value_t = 50_000)]
    max_chunk_rows: usize,
    /// Target seconds per chunk.
    #[arg(long, default_value_t = 0.5)]
    chunk_seconds: f64,
    /// Maximum rows per second per table.
    #[arg(long)]
    max_rate: Option<f64>,
    /// Tables of one wave copied at once.
    #[arg(long, default_value_t = 2)]
    parallel: usize,
    /// What to do with rows the target refuses.
    #[arg(long, value_enum, default_value = "skip")]
    on_reject: OnReject,
    /// Create the target tables (default mapping) before the copy.
    #[arg(long)]
    create_tables: bool,
    /// Create secondary indexes and foreign keys after the copy, as a timed step.
    #[arg(long)]
    post_copy: bool,
    /// Mark the target as a rehearsal target first (only for a database you know is not
    /// production).
    #[arg(long)]
    mark_rehearsal_target: bool,
    /// Forget this run's checkpoints and start over.
    #[arg(long)]
    restart: bool,
    /// Print the statements and steps, run nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Drill: abort after writing chunk N of a table, before committing it.
    #[arg(long, hide = true)]
    drill_abort_before_commit: Option<u64>,
}

impl BackfillArgs {
    /// The use case's request: the flags as they are, a cancelled run kept for resuming.
    fn request(&self) -> BackfillRequest {
        BackfillRequest {
            source_url: self.source_url.clone(),
            target_url: self.target_url.clone(),
            source_schemas: self.source_schema.clone(),
            target_schema: self.target_schema.clone(),
            tables: self.tables.clone(),
            create_tables: self.create_tables,
            post_copy: self.post_copy,
            validate: false,
            mark_target: self
                .mark_rehearsal_target
                .then(|| "marked with --mark-rehearsal-target".to_owned()),
            options: BackfillOptions {
                run_id: self.run_id.clone().unwrap_or_default(),
                initial_chunk_rows: self.chunk_rows,
                min_chunk_rows: self.min_chunk_rows.max(1),
                max_chunk_rows: self.max_chunk_rows.max(self.min_chunk_rows.max(1)),
                target_chunk_seconds: self.chunk_seconds,
                max_rows_per_second: self.max_rate,
                parallel_tables: self.parallel.max(1),
                reject_policy: match self.on_reject {
                    OnReject::Skip => RejectPolicy::SkipAndRecord,
                    OnReject::Stop => RejectPolicy::Stop,
                },
                restart: self.restart,
                abort_before_commit_of_chunk: self.drill_abort_before_commit,
                ..BackfillOptions::default()
            },
            on_cancel: OnCancel::KeepForResume,
            mapping: None,
        }
    }
}

/// Runs `backfill`: one call of the backfill use case, its record printed.
pub async fn backfill(args: BackfillArgs) -> Result<(), BoxError> {
    let project = Project::open(&args.project)?;
    let request = args.request().with_project_spec(&project);
    if args.dry_run {
        out!("{}", backfill::dry_run(&request).await?);
        return Ok(());
    }
    let cancel = Cancel::new();
    let stopped_by = std::sync::Arc::new(std::sync::OnceLock::new());
    {
        let cancel = cancel.clone();
        let stopped_by = stopped_by.clone();
        tokio::spawn(async move {
            let signal = super::stop_requested().await;
            let _ = stopped_by.set(signal);
            errln!("{signal}: stopping after the current chunk; run the same command to resume");
            cancel.cancel();
        });
    }
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let bars = tokio::spawn(super::progress::show_backfill(rx, args.json));
    let run = backfill::run(&project, None, &request, &cancel, Some(tx)).await;
    let _ = bars.await;
    let run = run?;
    let report = &run.backfill;
    let run_dir = project.root().join(RUNS_DIR).join(&run.run_id);
    if args.json {
        println!("{}", serde_json::to_string_pretty(report)?);
    } else {
        outln!(
            "{:<36} {:>5} {:>10} {:>9} {:>8} {:>10}",
            "table",
            "wave",
            "rows",
            "rejected",
            "seconds",
            "rows/s"
        );
        for t in &report.tables {
            outln!(
                "{:<36} {:>5} {:>10} {:>9} {:>8.2} {:>10.0}",
                t.source,
                t.wave,
                t.rows,
                t.rejected,
                t.seconds,
                t.rows_per_second
            );
        }
        for s in &report.skipped {
            outln!("skipped {}: {}", s.table, s.reason);
        }
        for t in &report.tables {
            for c in &t.converted {
                outln!(
                    "converted {}.{}: {} value(s) by {} ({}); e.g. keys {}",
                    t.source,
                    c.column,
                    c.count,
                    c.rule,
                    c.rule.description(),
                    c.example_keys.join(", ")
                );
            }
        }
        outln!(
            "{} rows in {:.2} s, {} rejected (kept in {}){}",
            report.rows(),
            report.seconds,
            report.rejected(),
            run_dir.join("rejects").display(),
            run.post_copy_seconds
                .map_or_else(String::new, |s| format!("; indexes and FKs in {s:.2} s"))
        );
        if run.cancelled() {
            outln!(
                "cancelled: run the same command to resume (run id {})",
                run.run_id
            );
        }
    }
    if run.cancelled() {
        return Err(Box::new(migration_studio::codes::Interrupted {
            what: "backfill".into(),
            signal: stopped_by.get().copied().unwrap_or("a signal").into(),
            cleanup: "run the same command to resume".into(),
        }));
    }
    Ok(())
}
