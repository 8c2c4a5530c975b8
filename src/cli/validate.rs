//! `migration-studio validate`: prove the target holds the source's rows, resumably, with a
//! progress bar per table and a summary table at the end.

use crate::cli::term::out;
use std::path::PathBuf;
use std::sync::Mutex;

use clap::{Args, ValueEnum};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use migration_studio::validate::{Options, Progress, StrategyChoice, TableReport, Verdict};
use migration_studio::workspace::validate::{self, parse_invariant, ValidateRequest};
use migration_studio::workspace::Cancel;

use super::BoxError;

#[derive(Debug, Clone, Copy, ValueEnum)]
enum StrategyArg {
    /// Merge when both databases are on this machine, checksums otherwise.
    Auto,
    /// Segment checksums inside each database, bisected down to the differing keys.
    Checksum,
    /// Read both sides in key order and compare row by row.
    Merge,
}

/// Arguments of `validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Project folder (manifest invariants; the run state is kept under it).
    #[arg(default_value = ".")]
    project: PathBuf,
    /// Source URL (opened read-only).
    #[arg(long, env = "MIGRATION_STUDIO_SOURCE_URL", hide_env_values = true)]
    source_url: String,
    /// Target URL (opened read-only).
    #[arg(long, env = "MIGRATION_STUDIO_TARGET_URL", hide_env_values = true)]
    target_url: String,
    /// Row comparison strategy.
    #[arg(long, value_enum, default_value = "auto")]
    strategy: StrategyArg,
    /// Only these tables (bare or qualified source names).
    #[arg(long, value_delimiter = ',')]
    tables: Vec<String>,
    /// Keys shown per kind of difference.
    #[arg(long, default_value_t = 10)]
    show: usize,
    /// Rows per batch: each side's batches handed to the merge-compare, or keyset reads for
    /// client-side hashing.
    #[arg(long, default_value_t = 20_000)]
    chunk_rows: usize,
    /// Differing segments of at most this many rows are compared row by row.
    #[arg(long, default_value_t = 1_024)]
    leaf_rows: u64,
    /// Sub-segments per bisection step.
    #[arg(long, default_value_t = 32)]
    bisection_factor: u32,
    /// Rows sampled per table for the field-by-field comparison (0: none).
    #[arg(long, default_value_t = 100)]
    sample: usize,
    /// Seed of the sample.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Skip the target constraint checks.
    #[arg(long)]
    no_constraints: bool,
    /// Print sampled values whole (by default a value over 80 characters is shortened to its
    /// start, its length and a hash).
    #[arg(long)]
    full_values: bool,
    /// An extra invariant, `NAME=SQL`, run on both sides (repeatable).
    #[arg(long = "invariant")]
    invariants: Vec<String>,
    /// Forget tables finished by an earlier interrupted run and validate them again.
    #[arg(long)]
    restart: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// indicatif bars, one per table.
struct Bars {
    multi: MultiProgress,
    current: Mutex<Option<ProgressBar>>,
    hidden: bool,
}

impl Progress for Bars {
    fn start(&self, table: &str, estimate: Option<u64>) {
        if self.hidden {
            return;
        }
        let bar = self
            .multi
            .add(ProgressBar::new(estimate.unwrap_or(0).max(1)));
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix:>28} [{bar:30}] {human_pos}/{human_len} rows {per_sec} {msg}",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        );
        bar.set_prefix(migration_studio::export::escape_controls(table).into_owned());
        *self.current.lock().expect("progress lock") = Some(bar);
    }

    fn rows(&self, done: u64) {
        if let Some(bar) = &*self.current.lock().expect("progress lock") {
            if done > bar.length().unwrap_or(0) {
                bar.set_length(done);
            }
            bar.set_position(done);
        }
    }

    fn finish(&self, report: &TableReport) {
        if let Some(bar) = self.current.lock().expect("progress lock").take() {
            bar.set_length(report.source_rows.max(1));
            bar.set_position(report.source_rows);
            bar.finish_with_message(report.verdict.to_string());
        }
    }
}

/// Runs `validate`: one call of the validate use case, its report printed; Ctrl-C keeps the
/// tables finished so far for the next run.
pub async fn validate(args: ValidateArgs) -> Result<(), BoxError> {
    let request = ValidateRequest {
        source_url: args.source_url.clone(),
        target_url: args.target_url.clone(),
        options: Options {
            strategy: match args.strategy {
                StrategyArg::Auto => StrategyChoice::Auto,
                StrategyArg::Checksum => StrategyChoice::Checksum,
                StrategyArg::Merge => StrategyChoice::Merge,
            },
            tables: args.tables.clone(),
            chunk_rows: args.chunk_rows.max(2),
            bisection_factor: args.bisection_factor.max(2),
            leaf_rows: args.leaf_rows.max(1),
            sample_rows: args.sample,
            seed: args.seed,
            show: args.show,
            constraints: !args.no_constraints,
            force_client_hash: false,
            policy: Default::default(),
            mapping: None,
            mapping_file: None,
            computed: true,
        },
        invariants: args
            .invariants
            .iter()
            .map(|text| parse_invariant(text))
            .collect::<Result<_, _>>()?,
        restart: args.restart,
    };
    let bars = Bars {
        multi: MultiProgress::new(),
        current: Mutex::new(None),
        hidden: args.json,
    };
    let cancel = Cancel::new();
    let stop = tokio::spawn({
        let cancel = cancel.clone();
        async move {
            let signal = super::stop_requested().await;
            cancel.cancel();
            signal
        }
    });
    let report = validate::run(&args.project, &request, &cancel, &bars).await?;
    let Some(report) = report else {
        let signal = stop.await.unwrap_or("a signal");
        return Err(Box::new(migration_studio::codes::Interrupted {
            what: "validation".into(),
            signal: signal.into(),
            cleanup: "the tables finished are kept: run the same command to go on".into(),
        }));
    };
    stop.abort();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        out!("{}", report.render_text_with(args.full_values));
    }
    if report.verdict == Verdict::Equal {
        Ok(())
    } else {
        // The report is printed: the command fails with the verdict (exit code 1).
        Err(Box::new(migration_studio::codes::NotPassed(format!(
            "validation verdict: {}",
            report.verdict
        ))))
    }
}
