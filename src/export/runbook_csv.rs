//! The runbook as CSV (RFC 4180: comma-separated, CRLF line ends, fields quoted when they hold a
//! comma, quote or line break; header row first). The columns are fixed and documented in
//! [`RUNBOOK_CSV_COLUMNS`]; rows are the steps in execution order. Every cell goes through
//! [`neutralize`]: titles come from imported names and notes from people, and neither may
//! become a spreadsheet formula.

use std::io::Write;

use super::csv_safe::neutralize;
use crate::plan::Plan;

/// The runbook CSV columns, in order:
///
/// | column | meaning |
/// |---|---|
/// | `step_id` | `S001`…, execution order |
/// | `phase` | prepare, capture, backfill, constraints, catch-up, validation, go/no-go, freeze, cutover, verify, keep-warm, decommission |
/// | `kind` | action, checkpoint or communication |
/// | `title` | what to do |
/// | `owner` | role responsible |
/// | `expected_minutes` | expected duration in minutes |
/// | `estimate_basis` | how the duration was obtained (`estimate: …`, `calibrated from rehearsal <run id>: …` or `edited: …`) |
/// | `depends_on` | ids of steps that must finish first, separated by spaces |
/// | `reversible` | `yes` or `no` |
/// | `rollback_action` | how to undo the step (empty when irreversible) |
/// | `rollback_minutes` | minutes the undo takes (empty when irreversible) |
/// | `point_of_no_return` | `yes` on the PONR step |
/// | `critical_path` | `yes` when on the critical path |
/// | `earliest_start_minutes` | earliest start from the beginning of the runbook |
/// | `wave` | wave number of the table (backfill steps) |
/// | `artifact` | artifact id (backfill steps) |
/// | `notes` | the team's notes on the step (typed in the desktop app's runbook), line breaks kept |
pub const RUNBOOK_CSV_COLUMNS: [&str; 17] = [
    "step_id",
    "phase",
    "kind",
    "title",
    "owner",
    "expected_minutes",
    "estimate_basis",
    "depends_on",
    "reversible",
    "rollback_action",
    "rollback_minutes",
    "point_of_no_return",
    "critical_path",
    "earliest_start_minutes",
    "wave",
    "artifact",
    "notes",
];

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Writing failed.
    #[error("cannot write the export: {0}")]
    Write(#[from] std::io::Error),
    /// The CSV writer failed.
    #[error("cannot write CSV: {0}")]
    Csv(#[from] csv::Error),
    /// The plan cannot be carried into the format as it is (an orchestrator export).
    #[error("cannot export this plan: {0}")]
    InvalidPlan(String),
    /// The plan could not be serialised as JSON (for its fingerprint or a DAG file's data).
    #[error("cannot serialise the plan: {0}")]
    Json(#[from] serde_json::Error),
    /// The YAML writer failed.
    #[error("cannot write YAML: {0}")]
    Yaml(#[from] serde_yaml_ng::Error),
}

fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// Writes `plan`'s runbook as CSV to `out`.
///
/// # Errors
/// [`ExportError`] when `out` fails.
pub fn write_runbook_csv(plan: &Plan, out: impl Write) -> Result<(), ExportError> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    writer.write_record(RUNBOOK_CSV_COLUMNS)?;
    let ponr = plan.point_of_no_return.as_ref().map(|p| p.step_id.as_str());
    let critical: std::collections::HashSet<&str> = plan
        .schedule
        .critical_path
        .iter()
        .map(String::as_str)
        .collect();
    for (i, step) in plan.steps.iter().enumerate() {
        let record = [
            step.id.clone(),
            step.phase.to_string(),
            step.kind.to_string(),
            step.title.clone(),
            step.owner.clone(),
            step.expected_minutes.to_string(),
            step.estimate_basis.clone(),
            step.depends_on.join(" "),
            yes(step.reversible()).to_owned(),
            step.rollback
                .as_ref()
                .map(|r| r.action.clone())
                .unwrap_or_default(),
            step.rollback
                .as_ref()
                .map(|r| r.minutes.to_string())
                .unwrap_or_default(),
            yes(ponr == Some(step.id.as_str())).to_owned(),
            yes(critical.contains(step.id.as_str())).to_owned(),
            format!("{:.2}", plan.schedule.start[i]),
            step.wave.map(|w| w.to_string()).unwrap_or_default(),
            step.artifact.clone().unwrap_or_default(),
            step.notes.clone().unwrap_or_default(),
        ];
        writer.write_record(record.iter().map(|c| neutralize(c).into_owned()))?;
    }
    writer.flush()?;
    Ok(())
}
