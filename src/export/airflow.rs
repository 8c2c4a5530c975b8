//! The runbook as an Apache Airflow DAG file (Python, for Airflow 3.1 or newer: the `airflow.sdk`
//! DAG authoring API and the standard provider's operators, `ApprovalOperator` among them).
//!
//! The file holds the plan as data (`PLAN`, `STEPS`, `UNDOS`: Python literals written from
//! JSON) followed by the same code in every export (`airflow_dag.py` beside this module), which
//! builds two DAGs from them:
//!
//! - `<project>-cutover`: one task per step, its `task_id` the step's id (`S001`) and its
//!   upstream tasks the step's depends-on. A command step is a `PythonOperator` running the
//!   command with `execution_timeout` of expected minutes × the project's `step_budget_factor`
//!   and `retries` on exit code 3 (unavailable) only; a placeholder step's command prints a
//!   `manual-step:` message naming the step and exits 2. A checkpoint, a communication and the
//!   point of no return are `ApprovalOperator` tasks: a person approves; a rejection fails the
//!   task. One more task, `rollback_on_failure` (not a step), triggers the rollback DAG when a
//!   step before the point of no return fails or the point of no return is rejected.
//! - `<project>-rollback`: one approval per reversible step before the point of no return, in
//!   reverse order, each skipped unless its step succeeded in the failed cutover run and the
//!   point of no return did not.
//!
//! The worker finds the project folder in `MIGRATION_STUDIO_PROJECT` and the database URLs in
//! `MIGRATION_STUDIO_SOURCE_URL` / `MIGRATION_STUDIO_TARGET_URL`, filled from the deployment's
//! secrets backend: the file never holds a URL. Titles and other text are data, never Jinja
//! templates. The file's `PLAN` carries the plan's fingerprint (`sha256:` of its JSON) and where
//! its durations come from.

use serde::Serialize;
use serde_yaml_ng::Value;

use super::orchestrator::{
    placeholder_argv, slug, Arg, OrchestratorContext, StepFacts, Tasks, Work, PLACEHOLDER_EXIT,
    RETRY_EXIT, URL_VARIABLES,
};
use super::ExportError;
use crate::plan::Plan;

/// The code after the data: the same in every export.
const CODE: &str = include_str!("airflow_dag.py");

#[derive(Serialize)]
struct PlanData<'a> {
    project: &'a str,
    dag_id: String,
    rollback_dag_id: String,
    description: String,
    doc: String,
    owner: &'static str,
    shape: String,
    plan_fingerprint: &'a str,
    calibration: &'a str,
    point_of_no_return: Option<&'a str>,
    url_variables: [&'static str; 2],
    retry_exit: u8,
    generator: &'static str,
}

#[derive(Serialize)]
struct StepData<'a> {
    id: &'a str,
    depends_on: &'a [String],
    /// The command, `None` standing for the project folder; `None` for an approval.
    argv: Option<Vec<Option<String>>>,
    retries: u32,
    timeout_seconds: Option<u64>,
    before_ponr: bool,
    point_of_no_return: bool,
    facts: StepFacts<'a>,
}

#[derive(Serialize)]
struct UndoData<'a> {
    step: &'a str,
    action: &'a str,
    minutes: f64,
    after: &'a [&'a str],
}

/// `value` as a Python literal, indented by `indent` levels of four spaces.
fn python(value: &Value, indent: usize, out: &mut String) {
    let pad = |n: usize| "    ".repeat(n);
    match value {
        Value::Null => out.push_str("None"),
        Value::Bool(true) => out.push_str("True"),
        Value::Bool(false) => out.push_str("False"),
        Value::Number(n) => out.push_str(&n.to_string()),
        // A JSON string literal is a Python one: `\"`, `\\`, `\n`, `\u00XX`…
        Value::String(s) => out.push_str(&serde_json::Value::String(s.clone()).to_string()),
        Value::Tagged(tagged) => python(&tagged.value, indent, out),
        Value::Sequence(items) if items.is_empty() => out.push_str("[]"),
        Value::Sequence(items) if items.iter().all(|i| !i.is_sequence() && !i.is_mapping()) => {
            let mut line = String::from("[");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    line.push_str(", ");
                }
                python(item, 0, &mut line);
            }
            line.push(']');
            out.push_str(&line);
        }
        Value::Sequence(items) => {
            out.push_str("[\n");
            for item in items {
                out.push_str(&pad(indent + 1));
                python(item, indent + 1, out);
                out.push_str(",\n");
            }
            out.push_str(&pad(indent));
            out.push(']');
        }
        Value::Mapping(map) if map.is_empty() => out.push_str("{}"),
        Value::Mapping(map) => {
            out.push_str("{\n");
            for (key, item) in map {
                out.push_str(&pad(indent + 1));
                python(key, 0, out);
                out.push_str(": ");
                python(item, indent + 1, out);
                out.push_str(",\n");
            }
            out.push_str(&pad(indent));
            out.push('}');
        }
    }
}

fn assign(name: &str, value: &impl Serialize, out: &mut String) -> Result<(), ExportError> {
    out.push_str(name);
    out.push_str(" = ");
    python(&serde_yaml_ng::to_value(value)?, 0, out);
    out.push_str("\n\n");
    Ok(())
}

/// `plan`'s runbook as an Airflow DAG file (Python source), the same bytes for the same plan and
/// context.
///
/// # Errors
/// [`ExportError::InvalidPlan`] when the plan cannot be carried (see
/// [`super::orchestrator::Tasks::of`]), [`ExportError::Json`] or [`ExportError::Yaml`] on a
/// serialisation failure.
pub fn airflow_dag(plan: &Plan, context: &OrchestratorContext) -> Result<Vec<u8>, ExportError> {
    let tasks = Tasks::of(plan, context)?;
    let name = slug(&context.project, 200);
    let plan_data = PlanData {
        project: &context.project,
        dag_id: format!("{name}-cutover"),
        rollback_dag_id: format!("{name}-rollback"),
        description: format!("Cutover runbook of {}", context.project),
        doc: format!(
            "Cutover runbook of **{}** ({} shape), exported by migration-studio from the plan `{}` ({}). \
             Approval tasks wait for a person; a step before the point of no return that fails triggers \
             `{name}-rollback`. Set `MIGRATION_STUDIO_PROJECT` (the project folder) and `{}` / `{}` \
             (from the secrets backend) on the workers.",
            context.project,
            plan.settings.shape,
            tasks.fingerprint,
            tasks.calibration,
            URL_VARIABLES[0],
            URL_VARIABLES[1]
        ),
        owner: "migration-studio",
        shape: plan.settings.shape.to_string(),
        plan_fingerprint: &tasks.fingerprint,
        calibration: &tasks.calibration,
        point_of_no_return: tasks.ponr,
        url_variables: URL_VARIABLES,
        retry_exit: RETRY_EXIT,
        generator: concat!("migration-studio ", env!("CARGO_PKG_VERSION")),
    };
    let steps: Vec<StepData<'_>> = tasks
        .tasks
        .iter()
        .map(|t| StepData {
            id: &t.step.id,
            depends_on: &t.step.depends_on,
            argv: match &t.work {
                Work::Approval => None,
                Work::Command(argv) => Some(
                    argv.iter()
                        .map(|a| match a {
                            Arg::Text(text) => Some(text.clone()),
                            Arg::Project => None,
                        })
                        .collect(),
                ),
                Work::Placeholder(message) => {
                    Some(placeholder_argv(message).into_iter().map(Some).collect())
                }
            },
            retries: t.retries,
            timeout_seconds: t.timeout_seconds,
            before_ponr: t.before_ponr,
            point_of_no_return: t.ponr,
            facts: StepFacts::of(t.step),
        })
        .collect();
    let undos: Vec<UndoData<'_>> = tasks
        .undos
        .iter()
        .map(|u| UndoData {
            step: &u.step.id,
            action: u.action,
            minutes: u.minutes,
            after: &u.after,
        })
        .collect();

    let mut out = String::new();
    out.push_str(&format!(
        "# Generated by migration-studio {} from the plan {}: export again rather than edit, except\n\
         # the argv of placeholder steps (they print `manual-step: …` and exit {PLACEHOLDER_EXIT}), which the team\n\
         # replaces with its commands. No database URL is written here: the workers read them from\n\
         # {} and {}.\n",
        env!("CARGO_PKG_VERSION"),
        tasks.fingerprint,
        URL_VARIABLES[0],
        URL_VARIABLES[1]
    ));
    out.push_str(
        "\"\"\"Cutover runbook exported by migration-studio as two Apache Airflow DAGs: the cutover,\n\
         one task per runbook step, and its rollback before the point of no return.\"\"\"\n\n",
    );
    assign("PLAN", &plan_data, &mut out)?;
    assign("STEPS", &steps, &mut out)?;
    assign("UNDOS", &undos, &mut out)?;
    out.push_str(CODE.trim_start_matches('\n'));
    Ok(out.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_literals() {
        let mut out = String::new();
        let value: Value = serde_yaml_ng::from_str(
            "{a: [1, 2.5, null, true, false], b: \"quote \\\" backslash \\\\ newline \\n tab \\t bell \\a {{ x }}\", c: [{d: []}], e: {}}",
        )
        .unwrap();
        python(&value, 0, &mut out);
        assert_eq!(
            out,
            "{\n    \"a\": [1, 2.5, None, True, False],\n    \"b\": \"quote \\\" backslash \\\\ newline \\n tab \\t bell \\u0007 {{ x }}\",\n    \"c\": [\n        {\n            \"d\": [],\n        },\n    ],\n    \"e\": {},\n}"
        );
    }
}
