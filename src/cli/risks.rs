//! `migration-studio risks …`: the risk register (list, add, import, export, suggestions).

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use migration_studio::plan::Plan;
use migration_studio::project::Project;
use migration_studio::risk::heatmap::HeatMap;
use migration_studio::risk::register::{self, Decision};
use migration_studio::risk::suggest::suggest;
use migration_studio::risk::table::{read_risks_csv, risks_markdown, write_risks_csv};
use migration_studio::risk::{blast_radius, unknown_artifacts, Category, Risk, Status};

use super::{emit, load, BoxError};

/// Risk register commands.
#[derive(Debug, Subcommand)]
pub(super) enum RisksCommand {
    /// List the risks with score, blast radius and flags, and the heat map.
    List {
        /// Project folder.
        #[arg(default_value = ".")]
        project: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Add a risk (its id is the next free `R-nnn`).
    Add(AddArgs),
    /// Import risks from CSV (all-or-nothing; rows with an id replace that risk).
    Import {
        /// Project folder.
        project: PathBuf,
        /// CSV file (columns as exported).
        file: PathBuf,
    },
    /// Export the register.
    Export {
        /// Project folder.
        #[arg(default_value = ".")]
        project: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value = "csv")]
        format: RiskFormat,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// List suggestions from the plan that are not decided yet.
    Suggest {
        /// Project folder.
        #[arg(default_value = ".")]
        project: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Accept a suggestion: it becomes a risk.
    Accept {
        /// Project folder.
        project: PathBuf,
        /// Suggestion key (from `risks suggest`).
        key: String,
    },
    /// Dismiss a suggestion.
    Dismiss {
        /// Project folder.
        project: PathBuf,
        /// Suggestion key (from `risks suggest`).
        key: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(super) enum RiskFormat {
    Csv,
    Md,
}

#[derive(Debug, Args)]
pub(super) struct AddArgs {
    /// Project folder.
    project: PathBuf,
    /// What could happen.
    #[arg(long)]
    title: String,
    /// data loss, downtime, compatibility, performance, security or other.
    #[arg(long)]
    category: Category,
    /// Severity, 1–5.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=5))]
    severity: u8,
    /// Likelihood, 1–5.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=5))]
    likelihood: u8,
    /// How it is mitigated.
    #[arg(long)]
    mitigation: Option<String>,
    /// Who owns it.
    #[arg(long)]
    owner: Option<String>,
    /// open, mitigating, accepted or retired.
    #[arg(long, default_value = "open")]
    status: Status,
    /// Linked artifact id (repeatable), e.g. `table:sakila.rental`.
    #[arg(long = "artifact")]
    artifacts: Vec<String>,
    /// Runbook step id or validation check that retires it.
    #[arg(long)]
    retired_by: Option<String>,
    /// Ordering constraint `X before Y` (repeatable); the planner honours it.
    #[arg(long = "order")]
    ordering: Vec<String>,
}

/// Runs one `risks` command.
pub(super) async fn run(command: RisksCommand) -> Result<(), BoxError> {
    match command {
        RisksCommand::List { project, json } => list(&project, json).await,
        RisksCommand::Add(args) => add(args).await,
        RisksCommand::Import { project, file } => import(&project, &file).await,
        RisksCommand::Export {
            project,
            format,
            output,
        } => {
            let (project, graph) = load(&project).await?;
            let store = project.store().await?;
            let risks = register::load(&store).await?;
            store.close().await;
            let bytes = match format {
                RiskFormat::Csv => {
                    let mut bytes = Vec::new();
                    write_risks_csv(&risks, Some(&graph), &mut bytes)?;
                    bytes
                }
                RiskFormat::Md => {
                    risks_markdown(&risks, Some(&graph), &project.manifest().name).into_bytes()
                }
            };
            emit(output.as_deref(), &bytes)
        }
        RisksCommand::Suggest { project, json } => {
            let pending = pending(&project).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&pending)?);
            } else if pending.is_empty() {
                println!("No pending suggestions.");
            } else {
                for s in &pending {
                    println!(
                        "{}\n    {} [{}, severity {} x likelihood {} = {}]{}",
                        s.key,
                        s.risk.title,
                        s.risk.category,
                        s.risk.severity,
                        s.risk.likelihood,
                        s.risk.score(),
                        s.risk
                            .retired_by
                            .as_ref()
                            .map(|r| format!(", retired by {r}"))
                            .unwrap_or_default()
                    );
                }
                println!(
                    "{} pending; `risks accept <project> <key>` or `risks dismiss <project> <key>`",
                    pending.len()
                );
            }
            Ok(())
        }
        RisksCommand::Accept { project, key } => decide(&project, &key, Decision::Accepted).await,
        RisksCommand::Dismiss { project, key } => decide(&project, &key, Decision::Dismissed).await,
    }
}

async fn list(path: &std::path::Path, json: bool) -> Result<(), BoxError> {
    let (project, graph) = load(path).await?;
    let store = project.store().await?;
    let risks = register::load(&store).await?;
    store.close().await;
    if json {
        println!("{}", serde_json::to_string_pretty(&risks)?);
        return Ok(());
    }
    println!(
        "{:<7} {:>5} {:<13} {:<11} {:>6}  {:<18} title",
        "id", "score", "category", "status", "blast", "flags"
    );
    for risk in &risks {
        println!(
            "{:<7} {:>5} {:<13} {:<11} {:>6}  {:<18} {}",
            risk.id,
            risk.score(),
            risk.category.to_string(),
            risk.status.to_string(),
            blast_radius(risk, &graph).affected.len(),
            risk.flags().join(","),
            risk.title
        );
        let unknown = unknown_artifacts(risk, &graph);
        if !unknown.is_empty() {
            println!("        not in the graph: {}", unknown.join(", "));
        }
    }
    println!("\n{}", HeatMap::of(&risks).to_text());
    Ok(())
}

async fn add(args: AddArgs) -> Result<(), BoxError> {
    let project = Project::open(&args.project)?;
    let mut risk = Risk::new(
        "",
        &args.title,
        args.category,
        args.severity,
        args.likelihood,
    );
    risk.mitigation = args.mitigation;
    risk.owner = args.owner;
    risk.status = args.status;
    risk.artifacts = args.artifacts;
    risk.artifacts.sort();
    risk.artifacts.dedup();
    risk.retired_by = args.retired_by;
    risk.ordering = args
        .ordering
        .iter()
        .map(|o| o.parse())
        .collect::<Result<_, String>>()?;
    if let Err((field, message)) = risk.validate() {
        return Err(format!("{field}: {message}").into());
    }
    let store = project.store().await?;
    let stored = register::upsert(&store, vec![risk]).await?;
    store.close().await;
    println!("Added {}", stored[0].id);
    Ok(())
}

async fn import(path: &std::path::Path, file: &std::path::Path) -> Result<(), BoxError> {
    let project = Project::open(path)?;
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("{}: cannot read: {e}", file.display()))?;
    let risks = read_risks_csv(&text, &file.display().to_string())?;
    let store = project.store().await?;
    let stored = register::upsert(&store, risks).await?;
    store.close().await;
    println!("Imported {} risks from {}", stored.len(), file.display());
    Ok(())
}

async fn pending(
    path: &std::path::Path,
) -> Result<Vec<migration_studio::risk::suggest::Suggestion>, BoxError> {
    let (project, graph) = load(path).await?;
    let inventory = project.inventory().await?;
    let plan = Plan::build(&graph, &project.manifest().plan_settings());
    let store = project.store().await?;
    let decided = register::decisions(&store).await?;
    store.close().await;
    Ok(suggest(&inventory, &graph, &plan)
        .into_iter()
        .filter(|s| !decided.iter().any(|(k, _)| *k == s.key))
        .collect())
}

async fn decide(path: &std::path::Path, key: &str, decision: Decision) -> Result<(), BoxError> {
    let suggestion = pending(path)
        .await?
        .into_iter()
        .find(|s| s.key == key)
        .ok_or_else(|| format!("no pending suggestion with key `{key}` (see `risks suggest`)"))?;
    let project = Project::open(path)?;
    let store = project.store().await?;
    let risk = (decision == Decision::Accepted).then(|| {
        let mut risk = suggestion.risk.clone();
        risk.origin = Some(suggestion.key.clone());
        risk
    });
    let stored = register::decide(&store, key, decision, risk).await?;
    store.close().await;
    match stored {
        Some(risk) => println!("Accepted {key} as {}", risk.id),
        None => println!("Dismissed {key}"),
    }
    Ok(())
}
