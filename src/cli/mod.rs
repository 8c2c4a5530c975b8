//! Command-line arguments and the commands behind them.

mod data;
mod history;
mod images;
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

use migration_studio::export::{escape_controls, runbook_markdown, write_runbook_csv};
use migration_studio::graph::{DependencyGraph, GraphJson, ToDot};
use migration_studio::import::Engine;
use migration_studio::plan::{MigrationShape, Plan};
use migration_studio::project::{Manifest, Project};

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
    /// per-row cost per step.
    #[arg(long, value_name = "RUN[,RUN…]")]
    calibrate_from: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum RunbookFormat {
    Csv,
    Md,
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
        #[arg(long, value_name = "RUN")]
        calibrate_from: Option<String>,
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
        Command::Images { command } => images::run(command),
        Command::Runbook {
            command:
                RunbookCommand::Export {
                    project,
                    format,
                    output,
                    calibrate_from,
                },
        } => {
            let (project, graph) = load(&project).await?;
            let plan = match &calibrate_from {
                Some(run) => history::calibrated_plan(&project, &graph, run)?,
                None => Plan::build(&graph, &project.manifest().plan_settings()),
            };
            let bytes = match format {
                RunbookFormat::Csv => csv_bytes(&plan)?,
                RunbookFormat::Md => runbook_markdown(&plan, &project.manifest().name).into_bytes(),
            };
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
    let (inventory, report) = project.import().await?;
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
    let project = Project::open(&args.project)?;
    let inventory = project.inventory().await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&inventory)?);
        return Ok(());
    }
    let graph = DependencyGraph::from_inventory(&inventory);
    let order = graph.order();
    let wave_of = order.wave_of();
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
    let (_, graph) = load(&args.project).await?;
    let order = graph.order();
    let text = match args.format {
        GraphFormat::Dot => graph.to_dot(&order),
        GraphFormat::Json => serde_json::to_string_pretty(&GraphJson::new(&graph, &order))?,
    };
    emit(args.output.as_deref(), text.as_bytes())
}

async fn plan(args: &PlanArgs) -> Result<(), BoxError> {
    let (project, graph) = load(&args.project).await?;
    let plan = match &args.calibrate_from {
        Some(run) => history::calibrated_plan(&project, &graph, run)?,
        None => Plan::build(&graph, &project.manifest().plan_settings()),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&plan)?);
    } else {
        out!("{}", plan.render_text(&project.manifest().name, &graph));
    }
    if let Some(path) = &args.runbook_csv {
        emit(Some(path), &csv_bytes(&plan)?)?;
        errln!("Runbook CSV written to {}", path.display());
    }
    if let Some(path) = &args.runbook_md {
        emit(
            Some(path),
            runbook_markdown(&plan, &project.manifest().name).as_bytes(),
        )?;
        errln!("Runbook Markdown written to {}", path.display());
    }
    Ok(())
}

async fn load(path: &Path) -> Result<(Project, DependencyGraph), BoxError> {
    let project = Project::open(path)?;
    let inventory = project.inventory().await?;
    let mut graph = DependencyGraph::from_inventory(&inventory);
    // Ordering constraints from the risk register feed every plan, graph and export.
    let store = project.store().await?;
    let risks = migration_studio::risk::register::load(&store).await?;
    store.close().await;
    for (risk, constraint) in migration_studio::risk::apply_ordering(&mut graph, &risks) {
        errln!("warning: risk {risk}: ordering `{constraint}` names an artifact not in the graph; ignored");
    }
    Ok((project, graph))
}

fn csv_bytes(plan: &Plan) -> Result<Vec<u8>, BoxError> {
    let mut bytes = Vec::new();
    write_runbook_csv(plan, &mut bytes)?;
    Ok(bytes)
}

fn emit(path: Option<&Path>, bytes: &[u8]) -> Result<(), BoxError> {
    match path {
        Some(path) => std::fs::write(path, bytes).map_err(|source| {
            migration_studio::workspace::WorkspaceError::Write {
                path: path.to_owned(),
                source,
            }
            .into()
        }),
        None => Ok(term::print_document(bytes)?),
    }
}
