//! `migration-studio rehearse` and `history`.

use crate::cli::term::{errln, out, outln};
use std::path::PathBuf;

use clap::Args;

use migration_studio::project::Project;
use migration_studio::rehearsal::{
    self, history_dir, ImageOverrides, Provider, ProviderChoice, RehearsalOptions, Verdict,
};

use super::BoxError;
use migration_studio::workspace::rehearse::{self, Rehearsed};
use migration_studio::workspace::Cancel;

/// Arguments of `rehearse`.
#[derive(Debug, Args)]
pub struct RehearseArgs {
    /// Project folder.
    #[arg(default_value = ".")]
    project: PathBuf,
    /// Server for the scratch source database (admin URL without a database). Default: the
    /// machine's local server for the project's source engine.
    #[arg(long, env = "MIGRATION_STUDIO_SOURCE_SERVER", hide_env_values = true)]
    source_server: Option<String>,
    /// Server for the scratch target database.
    #[arg(long, env = "MIGRATION_STUDIO_TARGET_SERVER", hide_env_values = true)]
    target_server: Option<String>,
    /// Workload operations per second (the simulated application's writes), on the source
    /// until the freeze and on the target after the cutover.
    #[arg(long = "workload-rate", alias = "rate", default_value_t = 100.0)]
    rate: f64,
    /// Source writes the workload makes before the catch-up may end (so it has real work).
    #[arg(long, default_value_t = 200)]
    min_source_writes: u64,
    /// Rehearse this migration shape instead of the manifest's: `offline`, `dual-write`,
    /// `cdc` or `blue-green`; its runbook is the one executed.
    #[arg(long, value_parser = parse_shape)]
    shape: Option<migration_studio::plan::MigrationShape>,
    /// Workload seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Seconds of writes on the target before the rollback drill.
    #[arg(long, default_value_t = 2.0)]
    post_cutover_seconds: f64,
    /// Keep the scratch databases for inspection.
    #[arg(long)]
    keep: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Where the scratch databases live: `docker` (throwaway containers), `local` (scratch
    /// databases on the servers above), or `auto` (Docker when a daemon answers and images are
    /// present, else local).
    #[arg(long, value_enum, default_value = "auto")]
    provider: ProviderArg,
    /// Image for the source container (docker provider), e.g. `mariadb:11`.
    #[arg(long)]
    source_image: Option<String>,
    /// Image for the target container (docker provider), e.g. `localhost/migration-studio-postgres:15`.
    #[arg(long)]
    target_image: Option<String>,
    /// Go on with a run whose process died (kill -9, a crash): the newest unfinished run, or
    /// the one named. Same provider and servers as the run was started with.
    #[arg(long, value_name = "RUN", num_args = 0..=1, default_missing_value = "")]
    resume: Option<String>,
    /// Backfill pace per table, rows per second (default: as fast as it goes).
    #[arg(long)]
    backfill_rows_per_second: Option<f64>,
    /// Captured changes applied per catch-up batch.
    #[arg(long, default_value_t = 2000)]
    apply_batch_rows: i64,
    /// Fault drills during the backfill (repeatable): `kill-backfill` (drop it mid-chunk and
    /// resume), `drop-connection` (terminate the target's sessions), `plant-rejects[=N]` (N
    /// source rows the target refuses, default 5), `target-drift` (one row changed on the
    /// target behind the capture's back before the final validation, which must find it),
    /// `sequence-drift` (a key sequence of the target set back before the final validation:
    /// G012 must stop the cutover). The report shows resume time, rows lost, duplicates and
    /// rejected rows kept.
    #[arg(long = "drill", value_name = "DRILL", value_parser = parse_drill)]
    drills: Vec<Drill>,
    /// Rehearse on a sample: keep about this fraction of the source's rows (e.g. 0.1), with
    /// every foreign key still satisfied.
    #[arg(long)]
    scale: Option<f64>,
    /// Rehearse an upgrade (the manifest's source and target at two major versions of one
    /// engine) on local servers of one major version all the same; refused without it, as it
    /// rehearses no upgrade.
    #[arg(long)]
    same_version: bool,
}

fn parse_shape(text: &str) -> Result<migration_studio::plan::MigrationShape, String> {
    text.parse()
        .map_err(|e: migration_studio::plan::settings::UnknownShape| e.to_string())
}

#[derive(Debug, Clone, Copy)]
enum Drill {
    KillBackfill,
    DropConnection,
    PlantRejects(u32),
    TargetDrift,
    SequenceDrift,
}

fn parse_drill(text: &str) -> Result<Drill, String> {
    match text.split_once('=') {
        None if text == "kill-backfill" => Ok(Drill::KillBackfill),
        None if text == "drop-connection" => Ok(Drill::DropConnection),
        None if text == "plant-rejects" => Ok(Drill::PlantRejects(5)),
        None if text == "target-drift" => Ok(Drill::TargetDrift),
        None if text == "sequence-drift" => Ok(Drill::SequenceDrift),
        Some(("plant-rejects", n)) => n
            .parse()
            .map(Drill::PlantRejects)
            .map_err(|_| format!("plant-rejects={n}: expected a number of rows")),
        _ => Err(format!(
            "unknown drill `{text}`: expected kill-backfill, drop-connection, plant-rejects[=N], target-drift or sequence-drift"
        )),
    }
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ProviderArg {
    Auto,
    Local,
    Docker,
}

pub(super) fn local_server(engine: migration_studio::import::Engine) -> String {
    match engine {
        migration_studio::import::Engine::Postgres => "postgres://postgres@127.0.0.1:5432".into(),
        migration_studio::import::Engine::Mysql => "mysql://root@127.0.0.1:3306".into(),
        migration_studio::import::Engine::Sqlite => "sqlite:".into(),
    }
}

/// Runs `rehearse`. A failed gate is [`migration_studio::codes::NotPassed`] (exit code 1), so
/// CI can gate on it.
pub async fn rehearse(args: RehearseArgs) -> Result<(), BoxError> {
    let project = Project::open(&args.project)?;
    let m = project.manifest();
    if m.mapping.is_some() && m.source.engine == m.target.engine {
        // Said, not silent: an upgrade's target schema is the project's own DDL.
        errln!("warning: an upgrade rehearsal creates the target from the project's scripts; the mapping spec is not applied");
    }
    let resume_id = args
        .resume
        .as_deref()
        .map(|id| (!id.is_empty()).then(|| id.to_owned()));
    if let Some(Some(id)) = &resume_id {
        migration_studio::backfill::run_files::check_run_id(id)?;
    }
    // A resumed run keeps the provider it was made with.
    let resumed = resume_id
        .as_ref()
        .and_then(|id| rehearsal::state::RunState::resumable(project.root(), id.as_deref()));
    let resumed_provider = resumed.as_ref().map(|s| s.provider.clone());
    let mut options = RehearsalOptions {
        source_server: args
            .source_server
            .unwrap_or_else(|| local_server(m.source.engine)),
        target_server: args
            .target_server
            .unwrap_or_else(|| local_server(m.target.engine)),
        workload_rate: args.rate,
        seed: args.seed,
        post_cutover_seconds: args.post_cutover_seconds,
        keep: args.keep,
        run_id: Some(rehearsal::new_run_id()),
        provider: match (resumed_provider.as_deref(), args.provider) {
            (Some("docker"), _) => ProviderChoice::Docker,
            (Some(_), _) => ProviderChoice::Local,
            (None, ProviderArg::Auto) => ProviderChoice::Auto,
            (None, ProviderArg::Local) => ProviderChoice::Local,
            (None, ProviderArg::Docker) => ProviderChoice::Docker,
        },
        backfill_rows_per_second: args.backfill_rows_per_second,
        scale: args.scale,
        shape: args.shape,
        min_source_writes: args.min_source_writes,
        drills: args.drills.iter().fold(
            Default::default(),
            |mut d: rehearsal::drills::Drills, drill| {
                match drill {
                    Drill::KillBackfill => d.kill_backfill = true,
                    Drill::DropConnection => d.drop_connection = true,
                    Drill::PlantRejects(n) => d.plant_rejects = *n,
                    Drill::TargetDrift => d.target_drift = true,
                    Drill::SequenceDrift => d.sequence_drift = true,
                }
                d
            },
        ),
        apply_batch_rows: args.apply_batch_rows,
        same_version: args.same_version,
        images: ImageOverrides {
            source: args.source_image,
            target: args.target_image,
        },
        ..RehearsalOptions::default()
    };
    let (provider, why) = rehearsal::choose_provider(&project, &options).await?;
    let redact = migration_studio::import::live::redact_url;
    match provider.name() {
        "docker" => errln!(
            "Rehearsing {} on the docker provider: throwaway containers for {} and {}{}",
            m.name,
            m.source.engine,
            m.target.engine,
            why.map(|w| format!(" ({w})")).unwrap_or_default()
        ),
        _ => errln!(
            "Rehearsing {} on the local provider: scratch databases on {} and {}{}",
            m.name,
            redact(&options.source_server),
            redact(&options.target_server),
            why.map(|w| format!(" (Docker not used: {w})"))
                .unwrap_or_default()
        ),
    }
    if let Some(id) = resume_id {
        options.run_id = resumed.map(|s| s.id).or(id);
    }
    // Named before it starts, so an interruption knows which scratch databases are this run's.
    let run_id = match (&args.resume, &options.run_id) {
        (Some(_), None) => None,
        (_, Some(id)) => Some(id.clone()),
        (None, None) => Some(rehearsal::new_run_id()),
    };
    options.run_id = run_id.clone();
    let (events, rx) = tokio::sync::mpsc::unbounded_channel();
    let bars = tokio::spawn(super::progress::show_rehearsal(rx, args.json));
    let cancel = Cancel::new();
    let stop = tokio::spawn({
        let cancel = cancel.clone();
        async move {
            let signal = super::stop_requested().await;
            cancel.cancel();
            signal
        }
    });
    let outcome = rehearse::run(
        &project,
        &options,
        args.resume.is_some(),
        &provider,
        &cancel,
        Some(events),
    )
    .await;
    let report = match outcome? {
        Rehearsed::Finished(report) => {
            stop.abort();
            let _ = bars.await;
            report
        }
        Rehearsed::Cancelled { .. } => {
            let signal = stop.await.unwrap_or("a signal");
            errln!("{signal}: the run's scratch databases and containers were removed");
            return Err(Box::new(migration_studio::codes::Interrupted {
                what: "rehearsal".into(),
                signal: signal.into(),
                cleanup: "its databases and containers were removed".into(),
            }));
        }
    };
    errln!(
        "Servers: source {}, target {}",
        report.server_versions.0,
        report.server_versions.1
    );
    // On stderr too, and in JSON mode: a rehearsal of another upgrade than the manifest's must
    // not pass unnoticed under a passing verdict.
    for mismatch in &report.version_mismatches {
        errln!("WARNING: version mismatch: {mismatch}");
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        out!("{}", rehearsal::report::markdown(&report));
        outln!(
            "\nReport: {}",
            history_dir(project.root())
                .join(&report.id)
                .join("report.html")
                .display()
        );
    }
    if report.verdict == Verdict::Fail {
        return Err(Box::new(migration_studio::codes::NotPassed(format!(
            "rehearsal failed: {}",
            report.failed_because.as_deref().unwrap_or("a gate failed")
        ))));
    }
    Ok(())
}

/// Runs `history`: the project's rehearsals, oldest first.
pub fn history(project: &std::path::Path, json: bool) -> Result<(), BoxError> {
    let reports = rehearsal::history(project);
    if json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
        return Ok(());
    }
    if reports.is_empty() {
        outln!(
            "No rehearsals yet: run `migration-studio rehearse {}`",
            project.display()
        );
        return Ok(());
    }
    outln!(
        "{:<20} {:<6} {:>9} {:>10} {:>11} {:>10} {:>9}",
        "id",
        "result",
        "rows",
        "mismatch",
        "downtime s",
        "rollback s",
        "total s"
    );
    for r in reports {
        outln!(
            "{:<20} {:<6} {:>9} {:>10} {:>11.2} {:>10.2} {:>9.2}",
            r.id,
            format!("{:?}", r.verdict).to_lowercase(),
            r.source_rows,
            r.mismatched_rows,
            r.write_downtime_seconds,
            r.rollback_seconds,
            r.total_seconds
        );
    }
    Ok(())
}
