//! `migration-studio mapping …`: the mapping spec's commands, each one call of
//! [`migration_studio::workspace::mapping`] and the printing of its result.

use crate::cli::term::{errln, out, outln};
use std::io::Write;
use std::path::PathBuf;

use clap::Subcommand;

use migration_studio::codes::NotPassed;
use migration_studio::project::Project;
use migration_studio::workspace::mapping::{accept, diff, init, review, show};

use super::{term, BoxError};

/// Mapping spec commands.
#[derive(Debug, Subcommand)]
pub(super) enum MappingCommand {
    /// Write a starting spec (mapping.toml) from the inventory and the default mapping, each
    /// rule with its reason and source; the manifest is pointed at it.
    Init {
        /// Project folder.
        #[arg(default_value = ".")]
        project: PathBuf,
        /// Overwrite an existing spec.
        #[arg(long)]
        force: bool,
    },
    /// The spec as a table: source column and type → target column and type, rule, reason.
    Show {
        /// Project folder.
        #[arg(default_value = ".")]
        project: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The target DDL the spec makes (the backfill's prepare-target and after-the-copy steps).
    Ddl {
        /// Project folder.
        #[arg(default_value = ".")]
        project: PathBuf,
    },
    /// What a spec edit changes in the target DDL: the DDL of `--from` (another spec file,
    /// e.g. `git show HEAD:mapping.toml > old.toml`; default: the default mapping) against the
    /// project's spec.
    Diff {
        /// Project folder.
        #[arg(default_value = ".")]
        project: PathBuf,
        /// The spec before the edit.
        #[arg(long)]
        from: Option<PathBuf>,
        /// Print JSON (both DDL texts and the diff).
        #[arg(long)]
        json: bool,
    },
    /// Static review of the spec: narrowing casts, time zone loss, NOT NULL without default,
    /// FKs to dropped tables, ENUM without CHECK; for an upgrade, the upgrade's findings (U…) as
    /// the plan carries them. Exit 1 when an error is not accepted.
    Review {
        /// Project folder.
        #[arg(default_value = ".")]
        project: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Also count, on this live source (read-only), the rows each finding hits, with up
        /// to 5 example keys. Prefer the environment variable: a URL on the command line is
        /// visible to other users of the machine.
        #[arg(long, env = "MIGRATION_STUDIO_SOURCE_URL", hide_env_values = true)]
        source_url: Option<String>,
        /// With --source-url: read only the first N rows of each table by key.
        #[arg(long, value_name = "N", requires = "source_url")]
        sample: Option<u64>,
    },
    /// Accept a review finding with a reason (stored in the spec as `[[accept]]`).
    Accept {
        /// Project folder.
        project: PathBuf,
        /// Finding code, e.g. M001.
        code: String,
        /// The finding's entry as `mapping review` prints it, e.g. `sakila.film.title`.
        entry: String,
        /// Why it is acceptable.
        #[arg(long)]
        reason: String,
        /// Who accepts it.
        #[arg(long)]
        author: String,
    },
}

/// Runs one `mapping` command.
pub(super) async fn run(command: MappingCommand) -> Result<(), BoxError> {
    match command {
        MappingCommand::Init { project, force } => {
            let project = Project::open(&project)?;
            let done = init::init(&project, force).await?;
            outln!(
                "Wrote {} ({} tables, {} columns, each rule the default with its reason){}",
                done.path.display(),
                done.tables,
                done.columns,
                if done.manifest_updated {
                    "; the manifest's `mapping` now points at it"
                } else {
                    ""
                }
            );
        }
        MappingCommand::Show { project, json } => {
            let rows = show::show(&Project::open(&project)?).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
                return Ok(());
            }
            let mut out = term::stdout();
            writeln!(
                out,
                "{:<28} {:<20} {:<24} {:<24} {:<28} {:<16} reason (author)",
                "source table", "column", "source type", "target", "target type", "rule"
            )?;
            for r in rows {
                let target = if r.target_column.is_empty() {
                    "-".to_owned()
                } else {
                    format!("{}.{}", r.target_table, r.target_column)
                };
                writeln!(
                    out,
                    "{:<28} {:<20} {:<24} {:<24} {:<28} {:<16} {} ({})",
                    r.source_table,
                    r.source_column,
                    r.source_type,
                    target,
                    r.target_type,
                    r.rule,
                    r.reason,
                    r.author
                )?;
            }
        }
        MappingCommand::Ddl { project } => {
            out!("{}", diff::ddl(&Project::open(&project)?).await?);
        }
        MappingCommand::Diff {
            project,
            from,
            json,
        } => {
            let d = diff::diff(&Project::open(&project)?, from.as_deref()).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&d)?);
            } else if d.diff.is_empty() {
                outln!(
                    "No DDL change between {} and {}",
                    d.before_from,
                    d.after_from
                );
            } else {
                outln!("--- {}\n+++ {}", d.before_from, d.after_from);
                out!("{}", d.diff);
            }
        }
        MappingCommand::Review {
            project,
            json,
            source_url,
            sample,
        } => {
            let project = Project::open(&project)?;
            let r = match source_url {
                Some(url) => review::review_with_data(&project, &url, sample).await?,
                None => review::review(&project).await?,
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                for f in &r.findings {
                    let at = f.line.map(|l| format!(":{l}")).unwrap_or_default();
                    outln!(
                        "{} {:<7} {} ({}{at}){}\n    {}\n    fix: {}",
                        f.code,
                        f.severity,
                        f.entry,
                        r.spec,
                        f.accepted.as_ref().map_or_else(String::new, |a| format!(
                            " accepted by {}: {}",
                            a.author, a.reason
                        )),
                        f.message,
                        f.fix
                    );
                    if !f.consumers.is_empty() {
                        outln!("    used by: {}", f.consumers.join(", "));
                    }
                    if let Some(d) = &f.data {
                        outln!(
                            "    data: {} rows {}{}",
                            d.rows,
                            d.condition,
                            if d.examples.is_empty() {
                                String::new()
                            } else {
                                format!(", e.g. {}", d.examples.join("; "))
                            }
                        );
                    }
                }
                if let Some(u) = &r.upgrade {
                    outln!("Upgrade {}:", u.pair_label());
                    for f in &u.findings {
                        outln!(
                            "{} {:<7} {}{}\n    {}\n    fix: {}",
                            f.finding.code,
                            f.finding.severity_word(),
                            f.finding.objects.join(", "),
                            f.rehearsal
                                .as_ref()
                                .map_or_else(String::new, |run| format!(" (rehearsal {run})")),
                            f.finding.message,
                            f.finding.suggestion
                        );
                    }
                }
                if let Some(scope) = &r.data_scope {
                    outln!("Data pass read {scope} of the source.");
                }
                outln!(
                    "{} findings, {} errors not accepted",
                    r.findings.len(),
                    r.blocking
                );
            }
            if r.blocking > 0 {
                return Err(Box::new(NotPassed(format!(
                    "mapping review: {} errors not accepted",
                    r.blocking
                ))));
            }
        }
        MappingCommand::Accept {
            project,
            code,
            entry,
            reason,
            author,
        } => {
            let a =
                accept::accept(&Project::open(&project)?, &code, &entry, &reason, &author).await?;
            errln!(
                "Accepted {} on {} ({}): {}",
                a.code,
                a.entry,
                a.author,
                a.reason
            );
        }
    }
    Ok(())
}
