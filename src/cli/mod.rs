//! Command-line arguments and the commands behind them.

mod data;
mod history;
mod images;
mod lifecycle;
mod mapping;
mod progress;
mod rehearse;
mod risks;
mod services;
pub(crate) mod term;
mod validate;

use crate::cli::term::{errln, out, outln};
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};

use migration_studio::export::escape_controls;
use migration_studio::graph::ToDot;
use migration_studio::import::Engine;
use migration_studio::plan::MigrationShape;
use migration_studio::project::{LiveUrls, Manifest, Project};
use migration_studio::workspace::{self, Workspace};

pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Resolves when the process is asked to stop: Ctrl-C (SIGINT), SIGTERM (a service manager, a
/// CI runner's timeout, `kill`) or SIGHUP (the terminal closed). Returns the signal's name.
pub(crate) async fn stop_requested() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut term), Ok(mut hup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) else {
            let _ = tokio::signal::ctrl_c().await;
            return "SIGINT";
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => "SIGINT",
            _ = term.recv() => "SIGTERM",
            _ = hup.recv() => "SIGHUP",
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}

/// Plan and rehearse system and data migrations.
#[derive(Debug, Parser)]
#[command(name = "migration-studio", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a project folder with a manifest and an empty store.
    Init(InitArgs),
    /// Import the manifest's inputs into the project store (all-or-nothing unless
    /// --skip-unparsed).
    Import(ImportArgs),
    /// List the imported inventory and the import's findings.
    Inventory(ProjectArgs),
    /// Export the dependency graph.
    Graph(GraphArgs),
    /// Plan waves, cycle breaks, the runbook and the point of no return.
    Plan(PlanArgs),
    /// Copy a live source into a rehearsal target: keyset chunks, checkpoints, resumable.
    Backfill(Box<data::BackfillArgs>),
    /// Compare source and target: counts, checksums or merge, samples, constraints, invariants.
    Validate(Box<validate::ValidateArgs>),
    /// Rehearse the cutover on scratch databases with a live workload; exit 1 when a gate fails.
    Rehearse(Box<rehearse::RehearseArgs>),
    /// List the project's rehearsals, or compare two (`--compare A B`).
    History(history::HistoryArgs),
    /// The mapping spec: init, show, ddl, diff, review, accept.
    Mapping {
        #[command(subcommand)]
        command: mapping::MappingCommand,
    },
    /// Runbook operations.
    Runbook {
        #[command(subcommand)]
        command: RunbookCommand,
    },
    /// The risk register: list, add, edit, delete, import, export, suggestions to accept or dismiss.
    Risks {
        #[command(subcommand)]
        command: risks::RisksCommand,
    },
    /// Service inventory views (by owner, system, kind, wave), blast radius, CSV export.
    Services {
        #[command(subcommand)]
        command: services::ServicesCommand,
    },
    /// The migration job lifecycle: status, approve, run (the control loop).
    Lifecycle {
        #[command(subcommand)]
        command: lifecycle::LifecycleCommand,
    },
    /// Database images for the docker provider, built from Debian packages.
    Images {
        #[command(subcommand)]
        command: images::ImagesCommand,
    },
}

#[derive(Debug, Args)]
struct ProjectArgs {
    /// Project folder.
    #[arg(default_value = ".")]
    project: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct ImportArgs {
    #[command(flatten)]
    project: ProjectArgs,
    /// Import the rest of a script when a CREATE TABLE or key statement cannot be parsed: the
    /// statement is skipped and listed with its file and line (a warning of the inventory),
    /// instead of failing the whole import.
    #[arg(long)]
    skip_unparsed: bool,
}

#[derive(Debug, Args)]
struct InitArgs {
    /// Folder to create the project in.
    project: PathBuf,
    /// Project name (default: the folder name).
    #[arg(long)]
    name: Option<String>,
    /// Source engine: postgres, mysql (also MariaDB) or sqlite.
    #[arg(long)]
    source: Engine,
    /// Target engine.
    #[arg(long)]
    target: Engine,
    /// Migration shape: offline, dual-write, cdc or blue-green.
    #[arg(long, default_value = "cdc")]
    shape: MigrationShape,
    /// SQL scripts to import (copied paths must be inside the project folder).
    #[arg(long = "input")]
    inputs: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum GraphFormat {
    Dot,
    Json,
}

#[derive(Debug, Args)]
struct GraphArgs {
    /// Project folder.
    #[arg(default_value = ".")]
    project: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "dot")]
    format: GraphFormat,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct PlanArgs {
    /// Project folder.
    #[arg(default_value = ".")]
    project: PathBuf,
    /// Print the plan as JSON.
    #[arg(long)]
    json: bool,
    /// Also write the runbook as CSV to this file.
    #[arg(long)]
    runbook_csv: Option<PathBuf>,
    /// Also write the runbook as Markdown to this file.
    #[arg(long)]
    runbook_md: Option<PathBuf>,
    /// Replace estimated durations by those measured in this rehearsal (a run id from
    /// `history`, or `latest`), scaled to the inventory's row counts. Several runs at
    /// different sizes, comma-separated (`--scale 0.1` and `0.3` runs), fit a fixed and a
    /// per-row cost per step. Without it the plan is calibrated as the project's stored choice
    /// says (made in the desktop app), else from the estimates.
    #[arg(long, value_name = "RUN[,RUN…]")]
    calibrate_from: Option<String>,
    /// Plan with the estimates even when the project's stored choice calibrates the plan.
    #[arg(long, conflicts_with = "calibrate_from")]
    estimates: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum RunbookFormat {
    /// RFC 4180 CSV, one row per step.
    Csv,
    /// Markdown document.
    Md,
    /// Argo Workflows `Workflow` manifest (YAML).
    Argo,
    /// Apache Airflow DAG file (Python): the cutover and its rollback.
    Airflow,
}

#[derive(Debug, Subcommand)]
enum RunbookCommand {
    /// Export the runbook.
    Export {
        /// Project folder.
        #[arg(default_value = ".")]
        project: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value = "csv")]
        format: RunbookFormat,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Durations measured in this rehearsal (a run id or `latest`) replace the estimates.
        /// Without it, the project's stored choice of calibration applies.
        #[arg(long, value_name = "RUN")]
        calibrate_from: Option<String>,
        /// The estimates, even when the project's stored choice calibrates the plan.
        #[arg(long, conflicts_with = "calibrate_from")]
        estimates: bool,
    },
}

/// Runs one command.
pub async fn run(cli: Cli) -> Result<(), BoxError> {
    match cli.command {
        Command::Init(args) => init(args).await,
        Command::Import(args) => import(&args).await,
        Command::Inventory(args) => inventory(&args).await,
        Command::Graph(args) => graph(&args).await,
        Command::Plan(args) => plan(&args).await,
        Command::Backfill(args) => data::backfill(*args).await,
        Command::Rehearse(args) => rehearse::rehearse(*args).await,
        Command::History(args) => history::run(&args),
        Command::Validate(args) => validate::validate(*args).await,
        Command::Risks { command } => risks::run(command).await,
        Command::Services { command } => services::run(command).await,
        Command::Mapping { command } => mapping::run(command).await,
        Command::Images { command } => images::run(command),
        Command::Lifecycle { command } => lifecycle::run(command).await,
        Command::Runbook {
            command:
                RunbookCommand::Export {
                    project,
                    format,
                    output,
                    calibrate_from,
                    estimates,
                },
        } => {
            let project = Project::open(&project)?;
            let planned = planned(&project, calibrate_from.as_deref(), estimates).await?;
            let format = match format {
                RunbookFormat::Csv => workspace::RunbookFormat::Csv,
                RunbookFormat::Md => workspace::RunbookFormat::Markdown,
                RunbookFormat::Argo => workspace::RunbookFormat::Argo,
                RunbookFormat::Airflow => workspace::RunbookFormat::Airflow,
            };
            let bytes = workspace::export::runbook(&planned.plan, project.manifest(), format)?;
            emit(output.as_deref(), &bytes)
        }
    }
}

async fn init(args: InitArgs) -> Result<(), BoxError> {
    let name = args.name.unwrap_or_else(|| {
        args.project.file_name().map_or_else(
            || "migration".to_owned(),
            |n| n.to_string_lossy().into_owned(),
        )
    });
    let mut manifest = Manifest::new(&name, args.source, args.target, args.shape);
    manifest.inputs = args
        .inputs
        .into_iter()
        .map(|path| migration_studio::project::Input::Script { path, engine: None })
        .collect();
    let project = Project::init(&args.project, manifest).await?;
    outln!(
        "Created project {} in {}",
        project.manifest().name,
        project.root().display()
    );
    Ok(())
}

async fn import(import_args: &ImportArgs) -> Result<(), BoxError> {
    let args = &import_args.project;
    let project = Project::open(&args.project)?.with_skip_unparsed(import_args.skip_unparsed);
    let (ws, report) = Workspace::import_project(project, &LiveUrls::default()).await?;
    let inventory = ws.inventory();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    outln!(
        "Imported {} tables, {} views, {} triggers, {} foreign keys in {} schemas ({} rows estimated)",
        report.tables, report.views, report.triggers, report.foreign_keys, report.schemas, report.rows
    );
    outln!(
        "Statements: {} parsed, {} read from tokens, {} skipped (see notices)",
        report.statements.parsed,
        report.statements.tokenized,
        report.statements.skipped
    );
    outln!(
        "Findings: {} warnings, {} notices{}",
        report.warnings,
        report.notices,
        if report.changed {
            ""
        } else {
            " (inventory unchanged since the last import)"
        }
    );
    for finding in inventory
        .findings
        .iter()
        .filter(|f| f.severity == migration_studio::inventory::Severity::Warning)
    {
        let at = match finding.line {
            Some(line) => format!("{}:{line}", finding.source),
            None => finding.source.clone(),
        };
        outln!("  warning [{}] {at}: {}", finding.code, finding.message);
    }
    if !report.unparsed.is_empty() {
        outln!(
            "{} statements could not be parsed and were skipped (--skip-unparsed); the tables and keys they declare are missing",
            report.unparsed.len()
        );
    }
    Ok(())
}

async fn inventory(args: &ProjectArgs) -> Result<(), BoxError> {
    let ws = Workspace::open(&args.project).await?;
    let inventory = ws.inventory();
    if args.json {
        println!("{}", serde_json::to_string_pretty(inventory)?);
        return Ok(());
    }
    let wave_of = ws.plan().order.wave_of();
    let mut out = term::stdout();
    writeln!(
        out,
        "{:<40} {:>5} {:>10} {:>12} {:>4} {:>4}",
        "table", "wave", "rows", "bytes", "fks", "idx"
    )?;
    for table in &inventory.tables {
        let id = format!("table:{}", table.name);
        let fmt = |v: Option<u64>| v.map_or_else(|| "?".to_owned(), |v| v.to_string());
        writeln!(
            out,
            "{:<40} {:>5} {:>10} {:>12} {:>4} {:>4}",
            escape_controls(&table.name.to_string()),
            wave_of.get(id.as_str()).copied().unwrap_or(0),
            fmt(table.rows),
            fmt(table.bytes),
            table.foreign_keys.len(),
            table.indexes.len()
        )?;
    }
    writeln!(
        out,
        "{} views, {} triggers",
        inventory.views.len(),
        inventory.triggers.len()
    )?;
    for finding in &inventory.findings {
        let at = finding.line.map(|l| format!(":{l}")).unwrap_or_default();
        writeln!(
            out,
            "{:?} [{}] {}{at}: {}",
            finding.severity, finding.code, finding.source, finding.message
        )?;
    }
    Ok(())
}

async fn graph(args: &GraphArgs) -> Result<(), BoxError> {
    let ws = open_workspace(&args.project).await?;
    let text = match args.format {
        GraphFormat::Dot => ws.graph().to_dot(&ws.plan().order),
        GraphFormat::Json => serde_json::to_string_pretty(&ws.graph_json())?,
    };
    emit(args.output.as_deref(), text.as_bytes())
}

async fn plan(args: &PlanArgs) -> Result<(), BoxError> {
    let project = Project::open(&args.project)?;
    let planned = planned(&project, args.calibrate_from.as_deref(), args.estimates).await?;
    let (plan, manifest) = (&planned.plan, project.manifest());
    let name = &manifest.name;
    if args.json {
        println!("{}", serde_json::to_string_pretty(plan)?);
    } else {
        out!("{}", plan.render_text(name, &planned.graph));
    }
    for (path, format, what) in [
        (&args.runbook_csv, workspace::RunbookFormat::Csv, "CSV"),
        (
            &args.runbook_md,
            workspace::RunbookFormat::Markdown,
            "Markdown",
        ),
    ] {
        if let Some(path) = path {
            emit(
                Some(path),
                &workspace::export::runbook(plan, manifest, format)?,
            )?;
            errln!("Runbook {what} written to {}", path.display());
        }
    }
    Ok(())
}

/// The project's plan as every face shows it (risk orderings, the stored calibration unless
/// `calibrate_from` or `estimates` says otherwise, step edits), warning about what it had to
/// ignore.
async fn planned(
    project: &Project,
    calibrate_from: Option<&str>,
    estimates: bool,
) -> Result<workspace::plan::Planned, BoxError> {
    use workspace::calibrate::Calibrate;
    let how = match (calibrate_from, estimates) {
        (Some(runs), _) => Calibrate::From(runs),
        (None, true) => Calibrate::Estimates,
        (None, false) => Calibrate::Stored,
    };
    let planned = workspace::plan::planned(project, how).await?;
    warn_ignored(&planned.ignored_orderings);
    if let (true, Some(c)) = (planned.stored_calibration, &planned.calibrated_from) {
        errln!(
            "note: calibrated from rehearsal {}, as chosen for this project (--estimates plans with the estimates)",
            c.run_ids.join(", ")
        );
    }
    for note in &planned.notes {
        errln!("note: {note}");
    }
    Ok(planned)
}

/// Warns about ordering constraints of the risk register that the plan cannot honour.
fn warn_ignored(ignored: &[(String, String)]) {
    for (risk, constraint) in ignored {
        errln!("warning: risk {risk}: ordering `{constraint}` names an artifact not in the graph; ignored");
    }
}

/// The project's workspace (graph and plan with the risks' orderings), warning about what the
/// plan had to ignore.
async fn open_workspace(path: &Path) -> Result<Workspace, BoxError> {
    let ws = Workspace::open(path).await?;
    warn_ignored(ws.ignored_orderings());
    Ok(ws)
}

fn emit(path: Option<&Path>, bytes: &[u8]) -> Result<(), BoxError> {
    match path {
        Some(path) => Ok(workspace::export::write(path, bytes).map(|_| ())?),
        None => Ok(term::print_document(bytes)?),
    }
}
