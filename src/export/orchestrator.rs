//! What the Argo Workflows and Apache Airflow exports share: the plan's fingerprint, and each
//! step as an orchestrator task (run a command, fail as a placeholder, or wait for a person), with
//! its retries, time budget and undo.
//!
//! A task's work follows from its step:
//!
//! | step | work |
//! |---|---|
//! | a go/no-go checkpoint, a communication, the point of no return | a person decides or does it and approves ([`Work::Approval`]) |
//! | a backfill of a table ([`StepAction::Backfill`]) | `migration-studio backfill <project> --tables <table>` |
//! | a validation ([`StepAction::Validate`], [`StepAction::FinalValidation`]) | `migration-studio validate <project>` |
//! | any other action | a placeholder that prints `manual-step: …` naming the step and exits 2 ([`Work::Placeholder`]): the team puts its own command there before running |
//!
//! Commands find the database URLs in `MIGRATION_STUDIO_SOURCE_URL` and
//! `MIGRATION_STUDIO_TARGET_URL` (the CLI's own variables), which the orchestrator fills from its
//! secret store; an export never holds a URL. The undo of a reversible step before the point of
//! no return waits for a person ([`Work::Approval`]): the engine has no command that undoes a step.

use std::fmt::Write as _;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::ExportError;
use crate::plan::{Plan, Step, StepAction, StepKind};
use crate::project::Manifest;

/// The program an exported command runs.
pub const PROGRAM: &str = "migration-studio";

/// The environment variables holding the database URLs the commands read.
pub const URL_VARIABLES: [&str; 2] = ["MIGRATION_STUDIO_SOURCE_URL", "MIGRATION_STUDIO_TARGET_URL"];

/// Code printed first by a placeholder task (`manual-step: step S002 …`), which then exits 2
/// (registered in [`crate::codes::ORCHESTRATOR_TASKS`]).
pub const MANUAL_STEP: &str = crate::codes::ORCHESTRATOR_TASKS[0].code;

/// The exit code of a placeholder task: bad input, as the CLI's own exit codes say (retrying
/// as is fails again).
pub const PLACEHOLDER_EXIT: u8 = 2;

/// The exit code of the CLI that is worth a retry: a database or provider unavailable.
pub const RETRY_EXIT: u8 = 3;

/// Retries of a task that runs a command (`backfill` resumes from its checkpoints, `validate`
/// only reads), on exit code [`RETRY_EXIT`] only.
const COMMAND_RETRIES: u32 = 2;

/// The shortest time budget of a task, in seconds, whatever its estimate.
const MIN_TIMEOUT_SECONDS: u64 = 60;

/// What the exports take from the project besides the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct OrchestratorContext {
    /// The project's name (the manifest's `name`).
    pub project: String,
    /// A step may take this many times its expected duration (`[gates] step_budget_factor`):
    /// the task's timeout.
    pub step_budget_factor: f64,
}

impl OrchestratorContext {
    /// The context of the project with this manifest.
    pub fn of(manifest: &Manifest) -> Self {
        Self {
            project: manifest.name.clone(),
            step_budget_factor: manifest.gates.step_budget_factor,
        }
    }
}

/// One argument of a command: text, or the project folder, which each engine names its own way
/// (an Argo workflow parameter, an environment variable of the Airflow worker).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// This text.
    Text(String),
    /// The project folder where the task runs.
    Project,
}

/// What a task does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Work {
    /// Runs this command (program first).
    Command(Vec<Arg>),
    /// Fails loudly: prints this message (starting with [`MANUAL_STEP`]) and exits
    /// [`PLACEHOLDER_EXIT`].
    Placeholder(String),
    /// Waits for a person to approve (a suspend in Argo, an approval task in Airflow).
    Approval,
}

/// A runbook step as an orchestrator task.
#[derive(Debug, Clone)]
pub struct Task<'a> {
    /// The step.
    pub step: &'a Step,
    /// What the task does.
    pub work: Work,
    /// Retries on [`RETRY_EXIT`].
    pub retries: u32,
    /// Time budget in seconds (expected minutes × the step budget factor); `None` for a person's
    /// approval.
    pub timeout_seconds: Option<u64>,
    /// Whether the step is the point of no return.
    pub ponr: bool,
    /// Whether the step comes before the point of no return (every step when there is none):
    /// a failure here rolls back.
    pub before_ponr: bool,
}

/// The undo of a completed reversible step before the point of no return.
#[derive(Debug, Clone)]
pub struct Undo<'a> {
    /// The step undone.
    pub step: &'a Step,
    /// What undoing it takes.
    pub action: &'a str,
    /// Its expected minutes.
    pub minutes: f64,
    /// Steps whose undo comes first: the undone steps that depend on this one.
    pub after: Vec<&'a str>,
}

/// The plan as orchestrator tasks, checked.
#[derive(Debug, Clone)]
pub struct Tasks<'a> {
    /// `sha256:<hex>` of the plan's JSON: the plan's id in the exports.
    pub fingerprint: String,
    /// Where the durations come from: `calibrated from rehearsal <run>` or `estimates`.
    pub calibration: String,
    /// The point of no return's step id.
    pub ponr: Option<&'a str>,
    /// One task per step, in runbook order.
    pub tasks: Vec<Task<'a>>,
    /// The undos, in runbook order (each runs after those in its `after`).
    pub undos: Vec<Undo<'a>>,
}

/// `sha256:<hex>` of `plan`'s JSON.
///
/// # Errors
/// [`ExportError::Json`] when the plan cannot be serialised.
pub fn fingerprint(plan: &Plan) -> Result<String, ExportError> {
    let json = serde_json::to_vec(plan)?;
    let digest = Sha256::digest(&json);
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for byte in digest {
        let _ = write!(out, "{byte:02x}");
    }
    Ok(out)
}

/// Whether `id` can name a task in both engines as it is (`S001`: a letter, then letters, digits,
/// `-` or `_`, at most 63 characters).
fn valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    id.len() <= 63
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The table a backfill step copies: its artifact id without the `table:` prefix.
fn backfill_table(step: &Step) -> Option<&str> {
    step.artifact.as_deref()?.strip_prefix("table:")
}

fn work_of(step: &Step, ponr: bool) -> Result<Work, ExportError> {
    if ponr || step.kind != StepKind::Action {
        return Ok(Work::Approval);
    }
    let command = |sub: &str, extra: &[&str]| {
        let mut argv = vec![
            Arg::Text(PROGRAM.to_owned()),
            Arg::Text(sub.to_owned()),
            Arg::Project,
        ];
        argv.extend(extra.iter().map(|e| Arg::Text((*e).to_owned())));
        Work::Command(argv)
    };
    Ok(match step.action {
        StepAction::Backfill => match backfill_table(step) {
            Some(table) => {
                // Argo expands `{{…}}` anywhere in a template; a table name holding it would
                // run another command than the plan's.
                if table.contains("{{") || table.contains("}}") {
                    return Err(ExportError::InvalidPlan(format!(
                        "step {}: table `{table}` holds `{{{{` or `}}}}`, which an orchestrator expands as a template; rename it or export CSV",
                        step.id
                    )));
                }
                command("backfill", &["--tables", table])
            }
            None => placeholder(step),
        },
        StepAction::Validate | StepAction::FinalValidation => command("validate", &[]),
        StepAction::Announce | StepAction::GoNoGo => Work::Approval,
        _ => placeholder(step),
    })
}

/// The command of a placeholder: a shell printing `message` on stderr and exiting
/// [`PLACEHOLDER_EXIT`] (the message is `$0`, so no quoting of it is needed).
pub fn placeholder_argv(message: &str) -> Vec<String> {
    vec![
        "sh".into(),
        "-c".into(),
        format!("printf '%s\\n' \"$0\" >&2; exit {PLACEHOLDER_EXIT}"),
        message.to_owned(),
    ]
}

fn placeholder(step: &Step) -> Work {
    Work::Placeholder(format!(
        "{MANUAL_STEP}: step {} ({}) has no migration-studio command: replace this placeholder with the team's command for \"{}\" before running",
        step.id, step.action, step.title
    ))
}

impl<'a> Tasks<'a> {
    /// The tasks of `plan` under `context`.
    ///
    /// # Errors
    /// [`ExportError::InvalidPlan`] when a step id cannot name a task, a step depends on a step
    /// that is not before it, or the budget factor is not a positive number.
    pub fn of(plan: &'a Plan, context: &OrchestratorContext) -> Result<Self, ExportError> {
        let factor = context.step_budget_factor;
        if !(factor.is_finite() && factor > 0.0) {
            return Err(ExportError::InvalidPlan(format!(
                "[gates] step_budget_factor is {factor}: a task's timeout needs a positive number"
            )));
        }
        let ponr = plan.point_of_no_return.as_ref().map(|p| p.step_id.as_str());
        let ponr_at = ponr.and_then(|id| plan.steps.iter().position(|s| s.id == id));
        if ponr.is_some() && ponr_at.is_none() {
            return Err(ExportError::InvalidPlan(format!(
                "the point of no return names step {}, which is not in the plan",
                ponr.unwrap_or_default()
            )));
        }
        let mut tasks = Vec::with_capacity(plan.steps.len());
        for (i, step) in plan.steps.iter().enumerate() {
            if !valid_id(&step.id) {
                return Err(ExportError::InvalidPlan(format!(
                    "step id `{}` cannot name a task (a letter, then letters, digits, `-` or `_`)",
                    step.id
                )));
            }
            for dep in &step.depends_on {
                if !plan.steps[..i].iter().any(|s| &s.id == dep) {
                    return Err(ExportError::InvalidPlan(format!(
                        "step {} depends on {dep}, which is not a step before it",
                        step.id
                    )));
                }
            }
            let is_ponr = ponr_at == Some(i);
            let work = work_of(step, is_ponr)?;
            let (retries, timeout_seconds) = match &work {
                Work::Approval => (0, None),
                Work::Placeholder(_) => (0, Some(budget(step.expected_minutes, factor))),
                Work::Command(_) => (COMMAND_RETRIES, Some(budget(step.expected_minutes, factor))),
            };
            tasks.push(Task {
                step,
                work,
                retries,
                timeout_seconds,
                ponr: is_ponr,
                before_ponr: ponr_at.is_none_or(|p| i < p),
            });
        }
        let undone: Vec<&Step> = tasks
            .iter()
            .filter(|t| t.before_ponr && t.step.rollback.is_some())
            .map(|t| t.step)
            .collect();
        let undos = undone
            .iter()
            .map(|&step| {
                let rollback = step.rollback.as_ref().expect("filtered on rollback");
                Undo {
                    step,
                    action: &rollback.action,
                    minutes: rollback.minutes,
                    after: undone
                        .iter()
                        .filter(|other| other.depends_on.contains(&step.id))
                        .map(|other| other.id.as_str())
                        .collect(),
                }
            })
            .collect();
        let calibration = match &plan.calibration {
            Some(c) => format!("calibrated from rehearsal {}", c.run_id),
            None => "estimates".to_owned(),
        };
        Ok(Self {
            fingerprint: fingerprint(plan)?,
            calibration,
            ponr,
            tasks,
            undos,
        })
    }
}

/// `minutes` × `factor` in whole seconds, at least [`MIN_TIMEOUT_SECONDS`].
fn budget(minutes: f64, factor: f64) -> u64 {
    let seconds = (minutes.max(0.0) * 60.0 * factor).ceil();
    if seconds.is_finite() && seconds < u64::MAX as f64 {
        (seconds as u64).max(MIN_TIMEOUT_SECONDS)
    } else {
        MIN_TIMEOUT_SECONDS
    }
}

/// A name usable as a DNS label and an Airflow DAG id from `text` (the project's name): lower
/// case letters, digits and `-`, at most `max` characters, never empty.
pub fn slug(text: &str, max: usize) -> String {
    let mut out = String::new();
    for c in text.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.truncate(max);
    let out = out.trim_end_matches('-');
    if out.is_empty() {
        "migration".to_owned()
    } else {
        out.to_owned()
    }
}

/// The step's fields both exports carry, for people reading a task.
#[derive(Debug, Clone, Serialize)]
pub struct StepFacts<'a> {
    /// Title.
    pub title: &'a str,
    /// Phase.
    pub phase: String,
    /// Kind.
    pub kind: String,
    /// What the step does (`backfill`, `switch-writes`…).
    pub action: String,
    /// Owner.
    pub owner: &'a str,
    /// Expected minutes.
    pub expected_minutes: f64,
    /// How the duration was obtained.
    pub estimate_basis: &'a str,
    /// Whether it can be undone.
    pub reversible: bool,
    /// How it is undone.
    pub rollback: Option<&'a str>,
    /// Minutes the undo takes.
    pub rollback_minutes: Option<f64>,
}

impl<'a> StepFacts<'a> {
    /// The facts of `step`.
    pub fn of(step: &'a Step) -> Self {
        Self {
            title: &step.title,
            phase: step.phase.to_string(),
            kind: step.kind.to_string(),
            action: step.action.to_string(),
            owner: &step.owner,
            expected_minutes: step.expected_minutes,
            estimate_basis: &step.estimate_basis,
            reversible: step.reversible(),
            rollback: step.rollback.as_ref().map(|r| r.action.as_str()),
            rollback_minutes: step.rollback.as_ref().map(|r| r.minutes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_labels() {
        assert_eq!(
            slug("sakila-mysql-to-postgres", 40),
            "sakila-mysql-to-postgres"
        );
        assert_eq!(slug("  Ünïcode & Co.  ", 40), "n-code-co");
        assert_eq!(slug("///", 40), "migration");
        assert_eq!(slug("abc-def", 4), "abc");
    }

    #[test]
    fn budgets_round_up_with_a_floor() {
        assert_eq!(budget(0.05, 10.0), 60);
        assert_eq!(budget(2.5, 10.0), 1500);
        assert_eq!(budget(f64::INFINITY, 10.0), 60);
    }

    #[test]
    fn ids_name_tasks() {
        assert!(valid_id("S001"));
        assert!(!valid_id("1S"));
        assert!(!valid_id("S 1"));
        assert!(!valid_id(""));
    }
}
