//! `migration-studio backfill`: copy a live source into a rehearsal target, resumably.

use crate::cli::term::{errln, out, outln};
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, ValueEnum};

use migration_studio::backfill::{
    self, checkpoint, run_files, BackfillOptions, BackfillPlan, Control, RejectPolicy, RunLog,
};
use migration_studio::db::{self, guard, Access, Database};
use migration_studio::import::live::import_live;
use migration_studio::project::Project;

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

fn default_run_id(source: &Database, target: &Database) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    source.display.hash(&mut h);
    target.display.hash(&mut h);
    format!("bf-{:016x}", h.finish())
}

async fn execute_all(db: &Database, statements: &[String]) -> Result<(), BoxError> {
    for sql in statements {
        let first_line = sql.lines().next().unwrap_or(sql);
        db.execute_script(sql, &format!("running `{first_line}`"))
            .await?;
    }
    Ok(())
}

/// Runs `backfill`.
pub async fn backfill(args: BackfillArgs) -> Result<(), BoxError> {
    let project = Project::open(&args.project)?;
    let parallel = args.parallel.max(1) as u32;
    let source = db::connect(&args.source_url, Access::ReadOnly, parallel + 1).await?;
    let target = db::connect(&args.target_url, Access::ReadWrite, parallel + 1).await?;
    let schemas = if args.source_schema.is_empty() {
        source.default_schema.iter().cloned().collect()
    } else {
        args.source_schema.clone()
    };
    let inventory = import_live(source.engine, &args.source_url, &schemas).await?;
    let mut plan = BackfillPlan::new(
        &inventory,
        source.engine,
        target.engine,
        args.target_schema
            .as_deref()
            .or(BackfillPlan::default_target_schema(source.engine, &target)),
        &args.tables,
    );
    let run_id = args
        .run_id
        .clone()
        .unwrap_or_else(|| default_run_id(&source, &target));
    run_files::check_run_id(&run_id)?;
    if args.dry_run {
        out!("{}", plan.describe(args.create_tables, args.post_copy));
        return Ok(());
    }
    // Before the marker, the bookkeeping tables or any created table can reach the source.
    guard::ensure_target_is_not_source(
        &source,
        &plan.source_schemas(),
        &target,
        &plan.target_schemas(),
    )
    .await?;
    if args.mark_rehearsal_target {
        guard::mark_rehearsal_target(&target, "marked with --mark-rehearsal-target").await?;
    }
    guard::ensure_rehearsal_target(&target).await?;
    let run_dir = project
        .root()
        .join(".migration-studio")
        .join("runs")
        .join(&run_id);
    let log = RunLog::open(&run_dir.join("backfill.log.jsonl"))?;
    if args.create_tables {
        execute_all(&target, &plan.create_tables_sql()).await?;
    }
    let target_schemas = plan.target_schemas();
    plan.adopt_target_catalog(
        &import_live(target.engine, &args.target_url, &target_schemas).await?,
    );
    let options = BackfillOptions {
        run_id: run_id.clone(),
        initial_chunk_rows: args.chunk_rows,
        min_chunk_rows: args.min_chunk_rows.max(1),
        max_chunk_rows: args.max_chunk_rows.max(args.min_chunk_rows.max(1)),
        target_chunk_seconds: args.chunk_seconds,
        max_rows_per_second: args.max_rate,
        parallel_tables: args.parallel.max(1),
        reject_policy: match args.on_reject {
            OnReject::Skip => RejectPolicy::SkipAndRecord,
            OnReject::Stop => RejectPolicy::Stop,
        },
        restart: args.restart,
        abort_before_commit_of_chunk: args.drill_abort_before_commit,
        conversion: project.manifest().data,
    };
    let control = Control::default();
    let stopped_by = std::sync::Arc::new(std::sync::OnceLock::new());
    {
        let control = control.clone();
        let stopped_by = stopped_by.clone();
        tokio::spawn(async move {
            let signal = super::stop_requested().await;
            let _ = stopped_by.set(signal);
            errln!("{signal}: stopping after the current chunk; run the same command to resume");
            control.cancel();
        });
    }
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let bars = tokio::spawn(super::progress::show_backfill(rx, args.json));
    let report = backfill::run(&source, &target, &plan, &options, &control, Some(tx), &log).await;
    let _ = bars.await;
    let report = report?;
    let post_copy_seconds = if args.post_copy && !report.cancelled {
        let t0 = Instant::now();
        backfill::post_copy::apply(&target, &plan.post_copy).await?;
        Some(t0.elapsed().as_secs_f64())
    } else {
        None
    };
    std::fs::create_dir_all(run_dir.join("rejects"))?;
    for table in report.tables.iter().filter(|t| t.rejected > 0) {
        let rejects = checkpoint::rejects(&target, &run_id, &table.source).await?;
        let lines: Vec<String> = rejects
            .iter()
            .map(|r| serde_json::to_string(r).expect("rejects serialise"))
            .collect();
        std::fs::write(
            run_dir
                .join("rejects")
                .join(run_files::file_name(&table.source, "jsonl")),
            lines.join("\n") + "\n",
        )?;
    }
    std::fs::write(
        run_dir.join("backfill-report.json"),
        serde_json::to_string_pretty(&report)?,
    )?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
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
            post_copy_seconds
                .map_or_else(String::new, |s| format!("; indexes and FKs in {s:.2} s"))
        );
        if report.cancelled {
            outln!("cancelled: run the same command to resume (run id {run_id})");
        }
    }
    source.close().await;
    target.close().await;
    if report.cancelled {
        return Err(Box::new(migration_studio::codes::Interrupted {
            what: "backfill".into(),
            signal: stopped_by.get().copied().unwrap_or("a signal").into(),
            cleanup: "run the same command to resume".into(),
        }));
    }
    Ok(())
}
