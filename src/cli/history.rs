//! `migration-studio history`: the list, or `--compare a b`.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use migration_studio::project::Project;
use migration_studio::rehearsal::compare::{Comparison, Headline};
use migration_studio::workspace::history;

use super::BoxError;

/// Arguments of `history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Project folder.
    #[arg(default_value = ".")]
    project: PathBuf,
    /// Compare two runs (ids, or `latest`): per step, the measured seconds of both and the
    /// change, then the headline figures.
    #[arg(long, num_args = 2, value_names = ["A", "B"])]
    compare: Option<Vec<String>>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs `history`.
pub fn run(args: &HistoryArgs) -> Result<(), BoxError> {
    let Some(pair) = &args.compare else {
        return super::rehearse::history(&args.project, args.json);
    };
    let project = Project::open(&args.project)?;
    let comparison = history::compare(&project, &pair[0], &pair[1])?;
    let mut out = crate::cli::term::stdout();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &comparison)?;
        writeln!(out)?;
    } else {
        out.write_all(render(&comparison).as_bytes())?;
    }
    Ok(())
}

fn secs(s: Option<f64>) -> String {
    s.map_or_else(|| "-".into(), |s| format!("{s:.2}"))
}

fn verdict(h: &Headline) -> String {
    format!("{:?}", h.verdict).to_lowercase()
}

/// The comparison as two text tables: steps, then headline figures.
fn render(c: &Comparison) -> String {
    use std::fmt::Write as _;
    let (a, b) = (&c.a, &c.b);
    let mut out = String::new();
    let width = c
        .steps
        .iter()
        .map(|s| s.name.chars().count())
        .chain([26])
        .max()
        .unwrap_or(26);
    let _ = writeln!(out, "A = {}, B = {}\n", a.id, b.id);
    let _ = writeln!(
        out,
        "{:<width$} {:>10} {:>10} {:>10} {:>8}",
        "step", "A s", "B s", "change s", "change"
    );
    for s in &c.steps {
        let _ = writeln!(
            out,
            "{:<width$} {:>10} {:>10} {:>10} {:>8}",
            s.name,
            secs(s.a_seconds),
            secs(s.b_seconds),
            s.change_seconds
                .map_or_else(|| "-".into(), |d| format!("{d:+.2}")),
            s.change_ratio
                .map_or_else(|| "-".into(), |r| format!("{:+.0}%", r * 100.0)),
        );
    }
    let rollback = |h: &Headline| {
        format!(
            "{:.2} of {:.0}{}",
            h.rollback_seconds,
            h.rto_seconds,
            if h.rollback_within_rto { "" } else { " (!)" }
        )
    };
    let ch = &c.change;
    let rows: [(&str, String, String, String); 6] = [
        (
            "verdict",
            verdict(a),
            verdict(b),
            if ch.verdict_changed {
                "changed"
            } else {
                "same"
            }
            .into(),
        ),
        (
            "source rows",
            a.source_rows.to_string(),
            b.source_rows.to_string(),
            format!("{:+}", ch.source_rows),
        ),
        (
            "mismatched rows",
            a.mismatched_rows.to_string(),
            b.mismatched_rows.to_string(),
            format!("{:+}", ch.mismatched_rows),
        ),
        (
            "write downtime s",
            format!("{:.2}", a.write_downtime_seconds),
            format!("{:.2}", b.write_downtime_seconds),
            format!("{:+.2}", ch.write_downtime_seconds),
        ),
        (
            "rollback s of RTO s",
            rollback(a),
            rollback(b),
            format!("{:+.2}", ch.rollback_seconds),
        ),
        (
            "total s",
            format!("{:.2}", a.total_seconds),
            format!("{:.2}", b.total_seconds),
            format!("{:+.2}", ch.total_seconds),
        ),
    ];
    let _ = writeln!(
        out,
        "\n{:<width$} {:>16} {:>16} {:>10}",
        "figure", "A", "B", "change"
    );
    for (name, x, y, d) in rows {
        let _ = writeln!(out, "{name:<width$} {x:>16} {y:>16} {d:>10}");
    }
    for h in [a, b] {
        if let Some(why) = &h.failed_because {
            let _ = writeln!(out, "{} failed: {why}", h.id);
        }
    }
    out
}
