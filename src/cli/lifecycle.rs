//! `migration-studio lifecycle …`: the migration job lifecycle. Each command is one call of a
//! [`workspace::lifecycle`] use case and the printing of its result.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};

use migration_studio::codes::Interrupted;
use migration_studio::workspace::lifecycle::run::{Measurements, RunRequest};
use migration_studio::workspace::lifecycle::{self, now};
use migration_studio::workspace::Cancel;

use super::BoxError;
use crate::cli::term::outln;

/// Lifecycle commands.
#[derive(Debug, Subcommand)]
pub(super) enum LifecycleCommand {
    /// The jobs that need a look: held, regressing, awaiting approval, stuck (`--all`: every job).
    Status {
        /// Project folder.
        #[arg(default_value = ".")]
        project: PathBuf,
        /// List every job.
        #[arg(long)]
        all: bool,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// A person's go: approve cleanup (the point of no return) of a job in reverse shadow, or
    /// release a held job.
    Approve {
        /// Project folder.
        project: PathBuf,
        /// Job (the table's name as `lifecycle status --all` prints it).
        job: String,
        /// Who approves (recorded as the actor).
        #[arg(long, env = "USER", default_value = "someone")]
        by: String,
        /// Why (recorded in the release's transition, or in the cleanup's once the loop makes it).
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Run the control loop: measure, promote, demote, record; until every job is done or held.
    Run(Box<RunArgs>),
    /// Rehearse the lifecycle on scratch databases: every table a job, driven to done; with
    /// `--drill JOB`, a divergence planted in that job's new side must demote it and no other
    /// (exit 1 otherwise). Scratch databases are dropped at the end, also on Ctrl-C.
    Rehearse(Box<RehearseArgs>),
}

/// `lifecycle rehearse` arguments.
#[derive(Debug, Args)]
pub(super) struct RehearseArgs {
    /// Project folder. One engine: both sides are loaded from its scripts; two engines: the
    /// target is made and filled through the plan and follows the source by change capture.
    #[arg(default_value = ".")]
    project: PathBuf,
    /// Server for the scratch source (admin URL without a database). Default: the machine's
    /// local server for the project's source engine.
    #[arg(long, env = "MIGRATION_STUDIO_SOURCE_SERVER", hide_env_values = true)]
    source_server: Option<String>,
    /// Server for the scratch target.
    #[arg(long, env = "MIGRATION_STUDIO_TARGET_SERVER", hide_env_values = true)]
    target_server: Option<String>,
    /// The fault drill: the job (table) whose new side gets one row deleted once every job is
    /// in reverse shadow.
    #[arg(long)]
    drill: Option<String>,
    /// Seconds between ticks.
    #[arg(long, default_value_t = 0.3)]
    interval: f64,
    /// Workload operations between two ticks (one engine: the same on both sides; two
    /// engines: on the source, carried to the target by the change capture).
    #[arg(long, default_value_t = 20)]
    writes_per_tick: u64,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// `lifecycle run` arguments.
#[derive(Debug, Args)]
pub(super) struct RunArgs {
    /// Project folder.
    #[arg(default_value = ".")]
    project: PathBuf,
    /// Source URL: the old side (opened read-only).
    #[arg(long, env = "MIGRATION_STUDIO_SOURCE_URL", hide_env_values = true)]
    source_url: Option<String>,
    /// Rehearsal target URL: the new side (opened read-only).
    #[arg(long, env = "MIGRATION_STUDIO_TARGET_URL", hide_env_values = true)]
    target_url: Option<String>,
    /// Staged source instead of the databases: a JSON file of windows per tick
    /// (`{"ticks": [{"<job>": {"old_rows": 1, "new_rows": 1, "checksum_match": true, …}}]}`).
    #[arg(long, conflicts_with_all = ["source_url", "target_url"])]
    measurements: Option<PathBuf>,
    /// Stop after this many ticks.
    #[arg(long)]
    ticks: Option<u64>,
    /// Seconds between ticks (default: the manifest's `[lifecycle] interval_seconds`; none
    /// between the ticks of a measurement file).
    #[arg(long)]
    interval: Option<f64>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs one lifecycle command.
pub(super) async fn run(command: LifecycleCommand) -> Result<(), BoxError> {
    match command {
        LifecycleCommand::Status { project, all, json } => {
            let view = lifecycle::status::status(&project, all, now()).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&view)?);
                return Ok(());
            }
            let counts: Vec<String> = view
                .phases
                .iter()
                .filter(|(_, n)| *n > 0)
                .map(|(p, n)| format!("{p} {n}"))
                .collect();
            outln!("{} jobs: {}", view.total, counts.join(", "));
            if view.jobs.is_empty() {
                outln!("nothing needs a look");
            }
            for v in &view.jobs {
                let why: Vec<String> = v
                    .attention
                    .iter()
                    .map(|a| format!("{} {}", a.code(), a.name()))
                    .collect();
                let line = format!(
                    "{:<32} {:<15} streak {:<3} {}",
                    v.job.id,
                    v.job.phase.name(),
                    v.job.streak,
                    why.join(", ")
                );
                outln!("{}", line.trim_end());
                for failure in &v.job.failures {
                    outln!("    {failure}");
                }
            }
            Ok(())
        }
        LifecycleCommand::Approve {
            project,
            job,
            by,
            reason,
        } => {
            let approval = lifecycle::approve::approve(&project, &job, &by, &reason, now()).await?;
            match &approval.transition {
                Some(t) => outln!("{}: released by {by}, {} → {}", t.job, t.from, t.to),
                None => outln!(
                    "{job}: cleanup approved by {by}; the loop promotes it once its criteria hold"
                ),
            }
            Ok(())
        }
        LifecycleCommand::Rehearse(args) => rehearse(*args).await,
        LifecycleCommand::Run(args) => {
            let measurements = match (args.measurements, args.source_url, args.target_url) {
                (Some(file), _, _) => Measurements::File(file),
                (None, Some(source_url), Some(target_url)) => Measurements::Databases {
                    source_url,
                    target_url,
                },
                _ => return Err(migration_studio::lifecycle::LifecycleError::NoMeasurements.into()),
            };
            let request = RunRequest {
                measurements,
                max_ticks: args.ticks,
                interval: args
                    .interval
                    .filter(|s| s.is_finite() && *s >= 0.0)
                    .map(Duration::from_secs_f64),
            };
            let cancel = Cancel::new();
            let summary = tokio::select! {
                r = lifecycle::run::run(&args.project, &request, &cancel) => r?,
                signal = super::stop_requested() => {
                    // A tick commits whole or not at all: nothing to clean up.
                    return Err(Interrupted {
                        what: "lifecycle run".into(),
                        signal: signal.into(),
                        cleanup: String::new(),
                    }
                    .into());
                }
            };
            if args.json {
                println!("{}", serde_json::to_string_pretty(&summary)?);
                return Ok(());
            }
            for t in &summary.transitions {
                outln!(
                    "{:<32} {} → {} ({}): {}",
                    t.job,
                    t.from,
                    t.to,
                    t.actor.to_text(),
                    t.reason
                );
            }
            let counts: Vec<String> = summary
                .phases
                .iter()
                .filter(|(_, n)| *n > 0)
                .map(|(p, n)| format!("{p} {n}"))
                .collect();
            outln!(
                "ticks {}–{}: {}{}",
                summary.ticks.0,
                summary.ticks.1,
                counts.join(", "),
                if summary.settled {
                    "; every job is done or held"
                } else {
                    ""
                }
            );
            Ok(())
        }
    }
}

/// Runs `lifecycle rehearse`: a drill that does not demote exactly its job is
/// [`migration_studio::codes::NotPassed`] (exit code 1).
async fn rehearse(args: RehearseArgs) -> Result<(), BoxError> {
    let project = migration_studio::project::Project::open(&args.project)?;
    let m = project.manifest();
    let request = lifecycle::rehearse::RehearseRequest {
        source_server: args
            .source_server
            .unwrap_or_else(|| super::rehearse::local_server(m.source.engine)),
        target_server: args
            .target_server
            .unwrap_or_else(|| super::rehearse::local_server(m.target.engine)),
        drill: args.drill,
        interval: Duration::from_secs_f64(args.interval.max(0.0)),
        writes_per_tick: args.writes_per_tick,
    };
    let cancel = Cancel::new();
    let work = lifecycle::rehearse::rehearse(&args.project, &request, &cancel);
    tokio::pin!(work);
    let done = tokio::select! {
        r = &mut work => r?,
        signal = super::stop_requested() => {
            // Finish the tick under way and drop the scratch databases.
            cancel.cancel();
            let _ = work.await;
            return Err(Interrupted {
                what: "lifecycle rehearsal".into(),
                signal: signal.into(),
                cleanup: "scratch databases dropped".into(),
            }
            .into());
        }
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&done)?);
    } else {
        for t in &done.transitions {
            outln!("{:<32} {} → {}: {}", t.job, t.from, t.to, t.reason);
        }
        let done_jobs = done
            .jobs
            .iter()
            .filter(|j| j.phase == migration_studio::lifecycle::Phase::Done)
            .count();
        if done.new_side == lifecycle::rehearse::NewSide::Captured {
            outln!(
                "new side filled through the plan ({} rows copied); {} captured changes applied, {} refused",
                done.copied_rows,
                done.changes_applied,
                done.changes_refused
            );
        }
        for left_out in &done.criteria_left_out {
            outln!("not judged: {left_out}");
        }
        outln!(
            "{} jobs, {} done, in {} ticks; demoted: {}; scratch databases of run {} dropped",
            done.jobs.len(),
            done_jobs,
            done.ticks,
            if done.demoted.is_empty() {
                "none".to_owned()
            } else {
                done.demoted.join(", ")
            },
            done.run_id
        );
    }
    if done.drill_passed == Some(false) {
        return Err(Box::new(migration_studio::codes::NotPassed(format!(
            "fault drill failed: demoted {:?}, drill planted after tick {:?}",
            done.demoted, done.drilled_after_tick
        ))));
    }
    Ok(())
}
