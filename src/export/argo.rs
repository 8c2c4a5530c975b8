//! The runbook as an Argo Workflows `Workflow` manifest (YAML, `argoproj.io/v1alpha1`; the
//! fields are those of the Argo Workflows API reference, `io.argoproj.workflow.v1alpha1`).
//!
//! - The entrypoint `cutover` is a DAG with one task per step, named by the step's id (`S001`),
//!   whose `dependencies` are the step's depends-on.
//! - Each step has its own template, annotated with its title, phase, kind, owner, expected
//!   minutes, estimate basis, reversibility and rollback. A command step is a container running
//!   `{{workflow.parameters.image}}` with the URLs from the Kubernetes secret named by the
//!   parameter `url-secret` (keys `source-url`, `target-url`), a `retryStrategy` that retries
//!   only exit code 3 (unavailable), and `activeDeadlineSeconds` of expected minutes × the
//!   project's `step_budget_factor`. A placeholder step fails with exit code 2 and a
//!   `manual-step:` message naming the step. A checkpoint, a communication and the point of no
//!   return are `suspend` templates: a person resumes them (a no-go is `argo stop`, which runs
//!   the exit handler).
//! - Every step exports `completed-<id>` (`yes` once done) as a global output parameter. The
//!   `onExit` handler `rollback` is a DAG of one suspend per reversible step before the point of
//!   no return, in reverse order, each run only when the workflow did not succeed, its step
//!   completed and the point of no return did not: a person undoes the step and resumes.
//!   A suspend step's `completed` is supplied when it is resumed (the Argo UI's resume form, or
//!   `argo node set --output-parameter completed=yes` then `argo resume`).
//! - The workflow's annotations carry the project, the plan's fingerprint (`sha256:` of its
//!   JSON) and where its durations come from. No URL or password is ever written.
//!
//! Free text (titles, owners, rollback actions) has any `{{` written `{ {`: Argo expands
//! `{{…}}` anywhere in a template.

use std::collections::BTreeMap;

use serde::Serialize;

use super::orchestrator::{
    placeholder_argv, slug, Arg, OrchestratorContext, StepFacts, Tasks, Work, RETRY_EXIT,
    URL_VARIABLES,
};
use super::ExportError;
use crate::plan::Plan;

/// The annotation and label prefix of the export.
const PREFIX: &str = "migration-studio.io/";

/// Where a container step writes `yes` when its command succeeded.
const COMPLETED_FILE: &str = "/tmp/migration-studio-completed";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Workflow {
    api_version: &'static str,
    kind: &'static str,
    metadata: ObjectMeta,
    spec: WorkflowSpec,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ObjectMeta {
    generate_name: String,
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WorkflowSpec {
    entrypoint: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    on_exit: Option<&'static str>,
    arguments: Arguments,
    templates: Vec<Template>,
}

#[derive(Serialize)]
struct Arguments {
    parameters: Vec<Parameter>,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct Parameter {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    default: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(rename = "enum", skip_serializing_if = "Option::is_none")]
    choices: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    global_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value_from: Option<ValueFrom>,
}

/// Where an output parameter's value comes from: a file of the container (`default` when it is
/// missing), or `supplied` when a suspend node is resumed.
#[derive(Serialize, Default)]
struct ValueFrom {
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    default: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    supplied: Option<BTreeMap<String, String>>,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct Template {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<TemplateMeta>,
    #[serde(skip_serializing_if = "Option::is_none")]
    inputs: Option<Io>,
    #[serde(skip_serializing_if = "Option::is_none")]
    outputs: Option<Io>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dag: Option<Dag>,
    #[serde(skip_serializing_if = "Option::is_none")]
    suspend: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    container: Option<Container>,
    #[serde(skip_serializing_if = "Option::is_none")]
    active_deadline_seconds: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_strategy: Option<RetryStrategy>,
}

#[derive(Serialize)]
struct TemplateMeta {
    annotations: BTreeMap<String, String>,
}

#[derive(Serialize)]
struct Io {
    parameters: Vec<Parameter>,
}

#[derive(Serialize)]
struct Dag {
    tasks: Vec<DagTask>,
}

#[derive(Serialize)]
struct DagTask {
    name: String,
    template: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    dependencies: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    when: Option<String>,
}

#[derive(Serialize)]
struct Container {
    image: &'static str,
    command: Vec<String>,
    args: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    env: Vec<EnvVar>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EnvVar {
    name: &'static str,
    value_from: EnvSource,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EnvSource {
    secret_key_ref: SecretKeyRef,
}

#[derive(Serialize)]
struct SecretKeyRef {
    name: &'static str,
    key: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RetryStrategy {
    limit: u32,
    retry_policy: &'static str,
    expression: String,
}

/// `text` with `{{` and `}}` broken up, so Argo does not expand it.
fn literal(text: &str) -> String {
    text.replace("{{", "{ {").replace("}}", "} }")
}

fn template_name(id: &str) -> String {
    id.to_ascii_lowercase()
}

fn completed(id: &str) -> String {
    format!("completed-{id}")
}

fn step_annotations(facts: &StepFacts<'_>, id: &str, ponr: bool) -> BTreeMap<String, String> {
    let mut a = BTreeMap::new();
    let mut put = |key: &str, value: String| {
        a.insert(format!("{PREFIX}{key}"), value);
    };
    put("step", id.to_owned());
    put("title", literal(facts.title));
    put("phase", facts.phase.clone());
    put("kind", facts.kind.clone());
    put("action", facts.action.clone());
    put("owner", literal(facts.owner));
    put("expected-minutes", facts.expected_minutes.to_string());
    put("estimate-basis", literal(facts.estimate_basis));
    put(
        "reversible",
        if facts.reversible { "yes" } else { "no" }.to_owned(),
    );
    if let (Some(action), Some(minutes)) = (facts.rollback, facts.rollback_minutes) {
        put("rollback", literal(action));
        put("rollback-minutes", minutes.to_string());
    }
    if ponr {
        put("point-of-no-return", "yes".to_owned());
    }
    a
}

/// A suspend a person resumes, supplying `completed=yes`.
fn suspend(
    name: String,
    annotations: BTreeMap<String, String>,
    global: Option<String>,
) -> Template {
    let (inputs, outputs) = match global {
        Some(global) => (
            Some(Io {
                parameters: vec![Parameter {
                    name: "completed".into(),
                    default: Some("yes".into()),
                    choices: Some(vec!["yes".into()]),
                    description: Some(
                        "Resume once the step is done (or `argo stop` the workflow for a no-go)"
                            .into(),
                    ),
                    ..Parameter::default()
                }],
            }),
            Some(Io {
                parameters: vec![Parameter {
                    name: "completed".into(),
                    global_name: Some(global),
                    value_from: Some(ValueFrom {
                        supplied: Some(BTreeMap::new()),
                        ..ValueFrom::default()
                    }),
                    ..Parameter::default()
                }],
            }),
        ),
        None => (None, None),
    };
    Template {
        name,
        metadata: Some(TemplateMeta { annotations }),
        inputs,
        outputs,
        suspend: Some(BTreeMap::new()),
        ..Template::default()
    }
}

/// The container's args: the command, with the project folder as the workflow parameter
/// `project-dir`; for a placeholder, a shell printing its message and exiting 2 (the team puts
/// its command in their place).
fn container_args(work: &Work) -> Vec<String> {
    match work {
        Work::Command(argv) => argv
            .iter()
            .map(|a| match a {
                Arg::Text(t) => t.clone(),
                Arg::Project => "{{workflow.parameters.project-dir}}".to_owned(),
            })
            .collect(),
        Work::Placeholder(message) => placeholder_argv(&literal(message)),
        Work::Approval => Vec::new(),
    }
}

fn url_env() -> Vec<EnvVar> {
    URL_VARIABLES
        .iter()
        .zip(["source-url", "target-url"])
        .map(|(&name, key)| EnvVar {
            name,
            value_from: EnvSource {
                secret_key_ref: SecretKeyRef {
                    name: "{{workflow.parameters.url-secret}}",
                    key,
                },
            },
        })
        .collect()
}

/// `plan`'s runbook as an Argo Workflows `Workflow` manifest (YAML), the same bytes for the
/// same plan and context.
///
/// # Errors
/// [`ExportError::InvalidPlan`] when the plan cannot be carried (see
/// [`super::orchestrator::Tasks::of`]), [`ExportError::Yaml`] or [`ExportError::Json`] on a
/// serialisation failure.
pub fn argo_workflow(plan: &Plan, context: &OrchestratorContext) -> Result<Vec<u8>, ExportError> {
    let tasks = Tasks::of(plan, context)?;
    let name = slug(&context.project, 40);
    let mut templates = Vec::with_capacity(tasks.tasks.len() + tasks.undos.len() + 2);
    templates.push(Template {
        name: "cutover".into(),
        dag: Some(Dag {
            tasks: tasks
                .tasks
                .iter()
                .map(|t| DagTask {
                    name: t.step.id.clone(),
                    template: template_name(&t.step.id),
                    dependencies: t.step.depends_on.clone(),
                    when: None,
                })
                .collect(),
        }),
        ..Template::default()
    });
    for task in &tasks.tasks {
        let id = &task.step.id;
        let annotations = step_annotations(&StepFacts::of(task.step), id, task.ponr);
        let template = match &task.work {
            Work::Approval => suspend(template_name(id), annotations, Some(completed(id))),
            Work::Command(_) | Work::Placeholder(_) => {
                let args = container_args(&task.work);
                Template {
                    name: template_name(id),
                    metadata: Some(TemplateMeta { annotations }),
                    outputs: Some(Io {
                        parameters: vec![Parameter {
                            name: "completed".into(),
                            global_name: Some(completed(id)),
                            value_from: Some(ValueFrom {
                                path: Some(COMPLETED_FILE.into()),
                                default: Some("no".into()),
                                ..ValueFrom::default()
                            }),
                            ..Parameter::default()
                        }],
                    }),
                    container: Some(Container {
                        image: "{{workflow.parameters.image}}",
                        // The args run as given ("$@"); `completed` is written only when they
                        // exit 0, and their exit code is the container's.
                        command: vec![
                            "sh".into(),
                            "-c".into(),
                            format!("\"$@\" && printf yes > {COMPLETED_FILE}"),
                            id.clone(),
                        ],
                        args,
                        env: url_env(),
                    }),
                    active_deadline_seconds: task.timeout_seconds,
                    retry_strategy: (task.retries > 0).then(|| RetryStrategy {
                        limit: task.retries,
                        retry_policy: "OnFailure",
                        expression: format!("asInt(lastRetry.exitCode) == {RETRY_EXIT}"),
                    }),
                    ..Template::default()
                }
            }
        };
        templates.push(template);
    }
    let on_exit = if tasks.undos.is_empty() {
        None
    } else {
        let ponr_clause = tasks
            .ponr
            .map(|p| {
                format!(
                    " && '{{{{workflow.outputs.parameters.{}}}}}' != 'yes'",
                    completed(p)
                )
            })
            .unwrap_or_default();
        templates.push(Template {
            name: "rollback".into(),
            dag: Some(Dag {
                tasks: tasks
                    .undos
                    .iter()
                    .map(|u| DagTask {
                        name: format!("undo-{}", u.step.id),
                        template: format!("undo-{}", template_name(&u.step.id)),
                        dependencies: u.after.iter().map(|a| format!("undo-{a}")).collect(),
                        when: Some(format!(
                            "'{{{{workflow.status}}}}' != 'Succeeded' && '{{{{workflow.outputs.parameters.{}}}}}' == 'yes'{ponr_clause}",
                            completed(&u.step.id)
                        )),
                    })
                    .collect(),
            }),
            ..Template::default()
        });
        for undo in &tasks.undos {
            let mut annotations = BTreeMap::new();
            annotations.insert(format!("{PREFIX}undoes"), undo.step.id.clone());
            annotations.insert(format!("{PREFIX}title"), literal(undo.action));
            annotations.insert(
                format!("{PREFIX}expected-minutes"),
                undo.minutes.to_string(),
            );
            templates.push(suspend(
                format!("undo-{}", template_name(&undo.step.id)),
                annotations,
                None,
            ));
        }
        Some("rollback")
    };

    let mut labels = BTreeMap::new();
    labels.insert(
        "app.kubernetes.io/managed-by".to_owned(),
        "migration-studio".to_owned(),
    );
    labels.insert(format!("{PREFIX}project"), name.clone());
    let mut annotations = BTreeMap::new();
    annotations.insert(
        "workflows.argoproj.io/description".to_owned(),
        literal(&format!(
            "Cutover runbook of {} ({} shape), exported by migration-studio: one task per step; suspended steps wait for a person.",
            context.project, plan.settings.shape
        )),
    );
    annotations.insert(format!("{PREFIX}project"), literal(&context.project));
    annotations.insert(
        format!("{PREFIX}plan-fingerprint"),
        tasks.fingerprint.clone(),
    );
    annotations.insert(format!("{PREFIX}calibration"), literal(&tasks.calibration));
    annotations.insert(format!("{PREFIX}shape"), plan.settings.shape.to_string());
    if let Some(p) = tasks.ponr {
        annotations.insert(format!("{PREFIX}point-of-no-return"), p.to_owned());
    }
    let parameter = |name: &str, value: String, description: &str| Parameter {
        name: name.into(),
        value: Some(value),
        description: Some(description.into()),
        ..Parameter::default()
    };
    let workflow = Workflow {
        api_version: "argoproj.io/v1alpha1",
        kind: "Workflow",
        metadata: ObjectMeta {
            generate_name: format!("{name}-cutover-"),
            labels,
            annotations,
        },
        spec: WorkflowSpec {
            entrypoint: "cutover",
            on_exit,
            arguments: Arguments {
                parameters: vec![
                    parameter(
                        "image",
                        concat!("migration-studio:", env!("CARGO_PKG_VERSION")).to_owned(),
                        "An image with the migration-studio binary and sh",
                    ),
                    parameter(
                        "project-dir",
                        "/project".to_owned(),
                        "The project folder inside the image (or a mounted volume)",
                    ),
                    parameter(
                        "url-secret",
                        format!("{name}-database-urls"),
                        "The Kubernetes secret whose keys source-url and target-url hold the database URLs",
                    ),
                ],
            },
            templates,
        },
    };
    Ok(super::yaml::to_yaml(&workflow)?.into_bytes())
}
