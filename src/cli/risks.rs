//! `migration-studio risks …`: the risk register (list, add, edit, delete, import, export,
//! suggestions). Every command is a call to the [`Workspace`] the desktop app edits the register
//! through, so both clean, validate, store and re-plan the same way.

use crate::cli::term::outln;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};

use migration_studio::risk::register::Decision;
use migration_studio::risk::{
    blast_radius, unknown_artifacts, Category, OrderingConstraint, Risk, Status,
};
use migration_studio::workspace::risks::RiskFormat as ExportFormat;

use super::{emit, BoxError};

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
    /// Edit a risk: the fields given replace its own, the others stay.
    Edit(EditArgs),
    /// Delete a risk; a suggestion it was accepted from is pending again.
    Delete {
        /// Project folder.
        project: PathBuf,
        /// Risk id, e.g. `R-003`.
        id: String,
    },
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

#[derive(Debug, Args)]
pub(super) struct EditArgs {
    /// Project folder.
    project: PathBuf,
    /// Risk id, e.g. `R-003`.
    id: String,
    /// What could happen.
    #[arg(long)]
    title: Option<String>,
    /// data loss, downtime, compatibility, performance, security or other.
    #[arg(long)]
    category: Option<Category>,
    /// Severity, 1–5.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=5))]
    severity: Option<u8>,
    /// Likelihood, 1–5.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=5))]
    likelihood: Option<u8>,
    /// How it is mitigated (empty: none).
    #[arg(long)]
    mitigation: Option<String>,
    /// Who owns it (empty: nobody).
    #[arg(long)]
    owner: Option<String>,
    /// open, mitigating, accepted or retired.
    #[arg(long)]
    status: Option<Status>,
    /// Linked artifact id (repeatable): replaces the linked artifacts.
    #[arg(long = "artifact")]
    artifacts: Vec<String>,
    /// Unlink every artifact.
    #[arg(long, conflicts_with = "artifacts")]
    no_artifacts: bool,
    /// Runbook step id or validation check that retires it (empty: none).
    #[arg(long)]
    retired_by: Option<String>,
    /// Ordering constraint `X before Y` (repeatable): replaces its constraints.
    #[arg(long = "order")]
    ordering: Vec<String>,
    /// Remove every ordering constraint.
    #[arg(long, conflicts_with = "ordering")]
    no_order: bool,
}

/// Runs one `risks` command.
pub(super) async fn run(command: RisksCommand) -> Result<(), BoxError> {
    match command {
        RisksCommand::List { project, json } => list(&project, json).await,
        RisksCommand::Add(args) => add(args).await,
        RisksCommand::Edit(args) => edit(args).await,
        RisksCommand::Delete { project, id } => {
            open(&project).await?.delete_risk(&id).await?;
            outln!("Deleted {id}");
            Ok(())
        }
        RisksCommand::Import { project, file } => {
            let stored = open(&project).await?.import_risks_csv(&file).await?.stored;
            outln!("Imported {} risks from {}", stored.len(), file.display());
            Ok(())
        }
        RisksCommand::Export {
            project,
            format,
            output,
        } => {
            let format = match format {
                RiskFormat::Csv => ExportFormat::Csv,
                RiskFormat::Md => ExportFormat::Markdown,
            };
            emit(
                output.as_deref(),
                &open(&project).await?.risks_export(format)?,
            )
        }
        RisksCommand::Suggest { project, json } => {
            let pending = open(&project).await?.pending_suggestions().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&pending)?);
            } else if pending.is_empty() {
                outln!("No pending suggestions.");
            } else {
                for s in &pending {
                    outln!(
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
                outln!(
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

use super::open_workspace as open;

async fn list(path: &Path, json: bool) -> Result<(), BoxError> {
    let ws = open(path).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(ws.risks())?);
        return Ok(());
    }
    outln!(
        "{:<7} {:>5} {:<13} {:<11} {:>6}  {:<18} title",
        "id",
        "score",
        "category",
        "status",
        "blast",
        "flags"
    );
    for risk in ws.risks() {
        outln!(
            "{:<7} {:>5} {:<13} {:<11} {:>6}  {:<18} {}",
            risk.id,
            risk.score(),
            risk.category.to_string(),
            risk.status.to_string(),
            blast_radius(risk, ws.graph()).affected.len(),
            risk.flags().join(","),
            risk.title
        );
        let unknown = unknown_artifacts(risk, ws.graph());
        if !unknown.is_empty() {
            outln!("        not in the graph: {}", unknown.join(", "));
        }
    }
    outln!("\n{}", ws.heat_map().to_text());
    Ok(())
}

fn orderings(text: &[String]) -> Result<Vec<OrderingConstraint>, BoxError> {
    Ok(text
        .iter()
        .map(|o| o.parse())
        .collect::<Result<_, String>>()?)
}

async fn add(args: AddArgs) -> Result<(), BoxError> {
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
    risk.retired_by = args.retired_by;
    risk.ordering = orderings(&args.ordering)?;
    let stored = open(&args.project).await?.save_risk(risk).await?;
    outln!("Added {}", stored.id);
    Ok(())
}

async fn edit(args: EditArgs) -> Result<(), BoxError> {
    let mut ws = open(&args.project).await?;
    let mut risk = ws
        .risks()
        .iter()
        .find(|r| r.id == args.id)
        .cloned()
        .ok_or_else(|| format!("no risk `{}` in the register (see `risks list`)", args.id))?;
    if let Some(title) = args.title {
        risk.title = title;
    }
    if let Some(category) = args.category {
        risk.category = category;
    }
    if let Some(severity) = args.severity {
        risk.severity = severity;
    }
    if let Some(likelihood) = args.likelihood {
        risk.likelihood = likelihood;
    }
    if let Some(status) = args.status {
        risk.status = status;
    }
    // Empty text clears a field: the workspace stores blank text as none.
    if args.mitigation.is_some() {
        risk.mitigation = args.mitigation;
    }
    if args.owner.is_some() {
        risk.owner = args.owner;
    }
    if args.retired_by.is_some() {
        risk.retired_by = args.retired_by;
    }
    if args.no_artifacts || !args.artifacts.is_empty() {
        risk.artifacts = args.artifacts;
    }
    if args.no_order || !args.ordering.is_empty() {
        risk.ordering = orderings(&args.ordering)?;
    }
    let stored = ws.save_risk(risk).await?;
    outln!("Edited {}", stored.id);
    Ok(())
}

async fn decide(path: &Path, key: &str, decision: Decision) -> Result<(), BoxError> {
    let stored = open(path).await?.decide_suggestion(key, decision).await?;
    match stored {
        Some(risk) => outln!("Accepted {key} as {}", risk.id),
        None => outln!("Dismissed {key}"),
    }
    Ok(())
}
