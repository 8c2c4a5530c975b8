//! The Argo Workflows and Apache Airflow exports, loaded by each engine's own Python library:
//! for every sample project and every migration shape, Airflow's `DagBag` imports the DAG file
//! with no import error and its tasks and upstream sets are the runbook's steps and depends-on;
//! hera (the Argo Workflows SDK) parses the manifest into the Argo API's `Workflow` model, and
//! its DAG tasks and dependencies are the runbook's. The Python checks are
//! `tests/orchestrators/check_*.py`.
//!
//! They run with the Python of `MIGRATION_STUDIO_ORCHESTRATOR_PYTHON`, a venv made by
//! `tests/orchestrators/venv.sh` (`.ci/run` makes it and sets the variable, with
//! `MIGRATION_STUDIO_REQUIRE_ORCHESTRATORS=1`, so there these tests cannot pass by skipping).
//! Elsewhere, without the variable, they say how to make the venv and skip, as the docker
//! provider's tests do without a daemon. The golden files of the Sakila sample and the
//! determinism and secrecy checks need no Python.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::sample;
use migration_studio::codes::{classify, ErrorClass};
use migration_studio::export::orchestrator::{fingerprint, Tasks, Work};
use migration_studio::export::{airflow_dag, argo_workflow, OrchestratorContext};
use migration_studio::graph::DependencyGraph;
use migration_studio::plan::{Calibrated, MigrationShape, Plan};
use migration_studio::project::Project;
use serde_json::json;

const SAMPLES: [&str; 4] = [
    "sakila-mysql-to-postgres",
    "chinook-sqlite-to-postgres",
    "pagila-postgres-upgrade",
    "sock-shop-services",
];

const SHAPES: [MigrationShape; 4] = [
    MigrationShape::Cdc,
    MigrationShape::Offline,
    MigrationShape::DualWrite,
    MigrationShape::BlueGreen,
];

/// The venv's python, or `None` (after saying why) when the variable is unset and not required.
fn python_or_skip() -> Option<PathBuf> {
    match std::env::var_os("MIGRATION_STUDIO_ORCHESTRATOR_PYTHON") {
        Some(path) => {
            let path = PathBuf::from(path);
            assert!(
                path.is_file(),
                "MIGRATION_STUDIO_ORCHESTRATOR_PYTHON is {} , which is not a file; make the venv with tests/orchestrators/venv.sh DIR",
                path.display()
            );
            Some(path)
        }
        None if std::env::var_os("MIGRATION_STUDIO_REQUIRE_ORCHESTRATORS").is_some() => panic!(
            "MIGRATION_STUDIO_REQUIRE_ORCHESTRATORS is set but MIGRATION_STUDIO_ORCHESTRATOR_PYTHON is not: \
             export MIGRATION_STUDIO_ORCHESTRATOR_PYTHON=$(tests/orchestrators/venv.sh DIR)"
        ),
        None => {
            eprintln!(
                "skipped: MIGRATION_STUDIO_ORCHESTRATOR_PYTHON is not set (export \
                 MIGRATION_STUDIO_ORCHESTRATOR_PYTHON=$(tests/orchestrators/venv.sh DIR) to run the \
                 Airflow and Argo checks)"
            );
            None
        }
    }
}

/// The plans of `name` in every shape, with the project's context.
async fn plans(
    name: &str,
) -> (
    tempfile::TempDir,
    OrchestratorContext,
    Vec<(MigrationShape, Plan)>,
) {
    let (dir, root) = sample(name);
    let project = Project::open(&root).unwrap();
    let inventory = project.inventory().await.unwrap();
    let graph = DependencyGraph::from_inventory(&inventory);
    let context = OrchestratorContext::of(project.manifest());
    let plans = SHAPES
        .iter()
        .map(|&shape| {
            let mut settings = project.manifest().plan_settings();
            settings.shape = shape;
            (shape, Plan::build(&graph, &settings))
        })
        .collect();
    (dir, context, plans)
}

/// What the Python checks compare an export with: the runbook's steps, the steps before the
/// point of no return and the undo order.
fn case(name: &str, file: &Path, plan: &Plan, context: &OrchestratorContext) -> serde_json::Value {
    let tasks = Tasks::of(plan, context).unwrap();
    json!({
        "name": name,
        "file": file,
        "ponr": tasks.ponr,
        "steps": tasks.tasks.iter().map(|t| json!({
            "id": t.step.id,
            "depends_on": t.step.depends_on,
            "placeholder": matches!(t.work, Work::Placeholder(_)),
            "approval": matches!(t.work, Work::Approval),
        })).collect::<Vec<_>>(),
        "rollback_trigger": tasks.tasks.iter().filter(|t| t.before_ponr || t.ponr).map(|t| &t.step.id).collect::<Vec<_>>(),
        "undos": tasks.undos.iter().map(|u| json!({"step": u.step.id, "after": u.after})).collect::<Vec<_>>(),
    })
}

fn run_check(python: &Path, script: &str, cases: &Path, home: &Path) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/orchestrators")
        .join(script);
    let output = Command::new(python)
        .arg(&script)
        .arg(cases)
        // Airflow keeps its configuration and logs in AIRFLOW_HOME: a temporary one.
        .env("AIRFLOW_HOME", home)
        .env("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
        .env("AIRFLOW__CORE__DAGS_FOLDER", home.join("dags"))
        .output()
        .expect("the venv's python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{} failed:\n{stdout}\n{}",
        script.display(),
        stderr
            .lines()
            .rev()
            .take(40)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n")
    );
    eprintln!("{stdout}");
}

#[tokio::test]
async fn every_sample_and_shape_loads_in_airflow_and_argo_with_the_runbooks_tasks() {
    let Some(python) = python_or_skip() else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let (mut argo_cases, mut airflow_cases) = (Vec::new(), Vec::new());
    for name in SAMPLES {
        let (_dir, context, plans) = plans(name).await;
        for (shape, plan) in &plans {
            let case_name = format!("{name}-{shape}");
            let folder = work.path().join(&case_name);
            std::fs::create_dir(&folder).unwrap();
            let yaml = folder.join("workflow.yaml");
            std::fs::write(&yaml, argo_workflow(plan, &context).unwrap()).unwrap();
            argo_cases.push(case(&case_name, &yaml, plan, &context));
            let dag = folder.join("cutover_dag.py");
            std::fs::write(&dag, airflow_dag(plan, &context).unwrap()).unwrap();
            airflow_cases.push(case(&case_name, &dag, plan, &context));
        }
    }
    assert_eq!(argo_cases.len(), SAMPLES.len() * SHAPES.len());
    let home = work.path().join("airflow-home");
    std::fs::create_dir_all(home.join("dags")).unwrap();
    for (script, cases) in [
        ("check_argo.py", &argo_cases),
        ("check_airflow.py", &airflow_cases),
    ] {
        let path = work.path().join(format!("{script}.json"));
        std::fs::write(&path, serde_json::to_vec_pretty(cases).unwrap()).unwrap();
        run_check(&python, script, &path, &home);
    }
}

#[tokio::test]
async fn exports_are_deterministic_carry_the_plan_and_hold_no_secret() {
    // URLs in the environment must not leak into an export.
    for name in SAMPLES {
        let (_dir, context, plans) = plans(name).await;
        for (shape, plan) in &plans {
            let print = fingerprint(plan).unwrap();
            for (format, export) in [
                (
                    "argo",
                    argo_workflow as fn(&Plan, &OrchestratorContext) -> _,
                ),
                ("airflow", airflow_dag),
            ] {
                let bytes = export(plan, &context).unwrap();
                assert_eq!(
                    bytes,
                    export(plan, &context).unwrap(),
                    "{name} {shape} {format}: same bytes"
                );
                let text = String::from_utf8(bytes).unwrap();
                assert!(
                    text.contains(&print),
                    "{name} {shape} {format}: the plan's fingerprint"
                );
                assert!(
                    text.contains("estimates"),
                    "{name} {shape} {format}: the calibration"
                );
                assert!(!text.contains("://"), "{name} {shape} {format}: no URL");
                assert!(
                    !text.to_lowercase().contains("password"),
                    "{name} {shape} {format}"
                );
                assert!(
                    text.contains("MIGRATION_STUDIO_TARGET_URL"),
                    "{name} {shape} {format}: URLs by variable"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_calibrated_plan_says_which_rehearsal_and_changes_the_fingerprint() {
    let (_dir, context, plans) = plans("chinook-sqlite-to-postgres").await;
    let plan = &plans[0].1;
    let mut calibrated = plan.clone();
    calibrated.calibration = Some(Calibrated {
        run_id: "20261201-rh-7".into(),
        rehearsal_rows: 10,
        plan_rows: 20,
        duration_steps: vec![],
        rollback_steps: vec![],
        unused: vec![],
        fitted: vec![],
    });
    assert_ne!(
        fingerprint(plan).unwrap(),
        fingerprint(&calibrated).unwrap()
    );
    for bytes in [
        argo_workflow(&calibrated, &context).unwrap(),
        airflow_dag(&calibrated, &context).unwrap(),
    ] {
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.contains("calibrated from rehearsal 20261201-rh-7"));
        assert!(text.contains(&fingerprint(&calibrated).unwrap()));
    }
}

#[tokio::test]
async fn plans_an_orchestrator_cannot_carry_are_refused_by_name() {
    let (_dir, mut context, plans) = plans("sakila-mysql-to-postgres").await;
    let plan = &plans[0].1;
    let backfill = plan
        .steps
        .iter()
        .position(|s| s.phase == migration_studio::plan::Phase::Backfill)
        .unwrap();
    let mut templated = plan.clone();
    templated.steps[backfill].artifact = Some("table:sakila.{{workflow.name}}".into());
    let mut dangling = plan.clone();
    dangling.steps[1].depends_on.push("S999".into());
    let mut renamed = plan.clone();
    renamed.steps[0].id = "1 first".into();
    let id = &plan.steps[backfill].id;
    for (bad, message) in [
        (
            &templated,
            format!("step {id}: table `sakila.{{{{workflow.name}}}}`"),
        ),
        (&dangling, "step S002 depends on S999".to_owned()),
        (&renamed, "step id `1 first` cannot name a task".to_owned()),
    ] {
        for export in [argo_workflow, airflow_dag] {
            let error = export(bad, &context).unwrap_err();
            // Bad input: exit code 2, `invalid_input` in the desktop app.
            assert_eq!(classify(&error), ErrorClass::BadInput);
            let error = error.to_string();
            assert!(error.contains(&message), "{error}");
        }
    }
    context.step_budget_factor = 0.0;
    let error = argo_workflow(plan, &context).unwrap_err().to_string();
    assert!(error.contains("step_budget_factor is 0"), "{error}");
}

#[test]
fn sakila_exports_match_the_golden_files_through_the_cli() {
    let (_dir, root) = sample("sakila-mysql-to-postgres");
    for (format, snapshot) in [("argo", "argo_sakila"), ("airflow", "airflow_sakila")] {
        let output = Command::new(env!("CARGO_BIN_EXE_migration-studio"))
            .args([
                "runbook",
                "export",
                root.to_str().unwrap(),
                "--format",
                format,
            ])
            .output()
            .expect("the CLI runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        insta::assert_snapshot!(snapshot, String::from_utf8(output.stdout).unwrap());
    }
}
