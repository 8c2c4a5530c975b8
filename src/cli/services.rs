//! `migration-studio services …`: the service-level inventory views, blast radius, CSV export.

use crate::cli::term::outln;
use std::io::Write;
use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};

use migration_studio::graph::Group;
use migration_studio::workspace::Workspace;

use super::{emit, open_workspace, BoxError};

/// Service inventory commands.
#[derive(Debug, Subcommand)]
pub(super) enum ServicesCommand {
    /// Artifacts grouped by owner, system, kind or wave, sizes summed; missing owners and sizes.
    List {
        /// Project folder.
        #[arg(default_value = ".")]
        project: PathBuf,
        /// Grouping.
        #[arg(long, value_enum, default_value = "owner")]
        by: GroupBy,
        /// Print every view as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Everything that transitively depends on the given artifacts, per kind and owner.
    BlastRadius {
        /// Project folder.
        project: PathBuf,
        /// Artifact ids, e.g. `datastore:carts-db` or `table:sakila.film`.
        #[arg(required = true)]
        artifacts: Vec<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Export the service inventory as CSV (the columns the CSV import reads).
    Export {
        /// Project folder.
        #[arg(default_value = ".")]
        project: PathBuf,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(super) enum GroupBy {
    Owner,
    System,
    Kind,
    Wave,
}

fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Runs one `services` command.
pub(super) async fn run(command: ServicesCommand) -> Result<(), BoxError> {
    match command {
        ServicesCommand::List { project, by, json } => {
            let rollup = open_workspace(&project).await?.rollup();
            if json {
                println!("{}", serde_json::to_string_pretty(&rollup)?);
                return Ok(());
            }
            let (title, groups): (&str, &[Group]) = match by {
                GroupBy::Owner => ("owner", &rollup.by_owner),
                GroupBy::System => ("system", &rollup.by_system),
                GroupBy::Kind => ("kind", &rollup.by_kind),
                GroupBy::Wave => ("wave", &rollup.by_wave),
            };
            let mut out = crate::cli::term::stdout();
            writeln!(
                out,
                "{:<32} {:>9} {:>12} {:>12} {:>9}",
                title, "artifacts", "rows", "size", "no size"
            )?;
            for g in groups {
                writeln!(
                    out,
                    "{:<32} {:>9} {:>12} {:>12} {:>9}",
                    g.key,
                    g.artifacts,
                    g.rows,
                    human_bytes(g.bytes),
                    g.missing_sizes
                )?;
            }
            writeln!(out, "\nNo owner ({}):", rollup.no_owner.len())?;
            for id in &rollup.no_owner {
                writeln!(out, "  {id}")?;
            }
            writeln!(out, "No size estimate ({}):", rollup.no_size.len())?;
            for id in &rollup.no_size {
                writeln!(out, "  {id}")?;
            }
            Ok(())
        }
        ServicesCommand::BlastRadius {
            project,
            artifacts,
            json,
        } => {
            let radius = open_workspace(&project).await?.blast_radius(&artifacts)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&radius)?);
                return Ok(());
            }
            outln!(
                "Blast radius of {}: {} artifacts",
                radius.roots.join(", "),
                radius.affected.len()
            );
            let kinds: Vec<String> = radius
                .by_kind
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect();
            let owners: Vec<String> = radius
                .by_owner
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect();
            outln!("  by kind: {}", kinds.join(", "));
            outln!("  by owner: {}", owners.join(", "));
            for id in &radius.affected {
                outln!("  {id}");
            }
            Ok(())
        }
        ServicesCommand::Export { project, output } => {
            let bytes = Workspace::open(&project).await?.services_csv()?;
            emit(output.as_deref(), &bytes)
        }
    }
}
