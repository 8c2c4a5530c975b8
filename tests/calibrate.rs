//! Calibrating the runbook from a stored rehearsal (asked for once, or stored as the project's
//! choice that every face plans with), and comparing two rehearsals.
//!
//! The stored report `tests/fixtures/rehearsals/1795316916-5cf700/report.json` was written by a
//! real rehearsal of the Sakila sample (`migration-studio rehearse` on a copy of
//! `sample-projects/sakila-mysql-to-postgres`, MariaDB → PostgreSQL on this machine).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::sample;
use migration_studio::graph::DependencyGraph;
use migration_studio::plan::{Phase, Plan, PlanSettings, Schedule, StepKind};
use migration_studio::project::Project;
use migration_studio::rehearsal::compare::{compare, Comparison};
use migration_studio::rehearsal::runs::{self, ReadFailure, RunError};
use migration_studio::rehearsal::{history_dir, RehearsalReport, Verdict};
use migration_studio::workspace::{plan as app_plan, step_key, StepEdit, Workspace};

const RUN: &str = "1795316916-5cf700";
const SAKILA: &str = "sakila-mysql-to-postgres";
/// The production inventory in these tests holds this many times the sample's rows.
const PRODUCTION_FACTOR: u64 = 100;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rehearsals")
}

/// Puts the stored report of run `id` into the history of the project at `root`.
fn store_fixture(root: &Path, id: &str) {
    let dir = history_dir(root).join(id);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        fixture().join(id).join("report.json"),
        dir.join("report.json"),
    )
    .unwrap();
}

/// Writes `report` into the history of the project at `root`, as a rehearsal does.
fn store_report(root: &Path, report: &RehearsalReport) {
    let dir = history_dir(root).join(&report.id);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("report.json"),
        serde_json::to_string_pretty(report).unwrap(),
    )
    .unwrap();
}

fn measured(report: &RehearsalReport, name: &str) -> (f64, Option<u64>) {
    let s = report
        .steps
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("the rehearsal measured {name}"));
    (s.end_seconds - s.start_seconds, s.rows)
}

fn cli(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_migration-studio"))
        .args(args)
        .output()
        .expect("the CLI runs")
}

/// The Sakila sample with its inventory scaled to "production" sizes, and the stored run.
async fn production_sakila() -> (tempfile::TempDir, PathBuf, DependencyGraph, PlanSettings) {
    let (dir, root) = sample(SAKILA);
    store_fixture(&root, RUN);
    let project = Project::open(&root).unwrap();
    let mut inventory = project.inventory().await.unwrap();
    for table in &mut inventory.tables {
        table.rows = table.rows.map(|r| r * PRODUCTION_FACTOR);
    }
    let graph = DependencyGraph::from_inventory(&inventory);
    (dir, root, graph, project.manifest().plan_settings())
}

/// The point of no return walked from scratch over `plan`'s steps: the first irreversible
/// step, or the first after which the rollback minutes so far exceed the RTO.
fn ponr_of(plan: &Plan) -> (String, f64) {
    let mut cost = 0.0;
    for step in &plan.steps {
        match &step.rollback {
            Some(r) if cost + r.minutes <= plan.settings.rto_minutes => cost += r.minutes,
            _ => return (step.id.clone(), cost),
        }
    }
    panic!("every step is reversible within the RTO");
}

#[tokio::test]
async fn backfill_runs_at_the_rehearsed_rate_on_the_plans_rows() {
    let (_dir, root, graph, settings) = production_sakila().await;
    let report = runs::load(&root, "latest", SAKILA).unwrap();
    assert_eq!(report.id, RUN);
    let estimated = Plan::build(&graph, &settings);
    let plan = Plan::build_calibrated(&graph, &settings, &report.measured_steps());

    // Backfill: the rehearsal's rows per second applied to each table's production rows.
    let (seconds, rows) = measured(&report, "backfill");
    let rate = rows.unwrap() as f64 / seconds;
    let backfills: Vec<_> = plan
        .steps
        .iter()
        .filter(|s| s.phase == Phase::Backfill)
        .collect();
    assert_eq!(backfills.len(), 16);
    let mut planned_rows = 0;
    for step in &backfills {
        let table = graph.artifact(graph.find(step.artifact.as_deref().unwrap()).unwrap());
        let table_rows = table.rows.unwrap();
        planned_rows += table_rows;
        let expected = table_rows as f64 / rate / 60.0;
        assert!(
            (step.expected_minutes - expected).abs() <= 0.00005,
            "{}: {} min, {table_rows} rows at {rate:.0} rows/s is {expected} min",
            step.title,
            step.expected_minutes
        );
        assert!(
            step.estimate_basis.starts_with(&format!(
                "calibrated from rehearsal {RUN}: {table_rows} rows at"
            )),
            "{}",
            step.estimate_basis
        );
    }
    // 100 × the sample's rows take about 100 × the rehearsal's backfill time.
    let total: f64 = backfills.iter().map(|s| s.expected_minutes).sum();
    let scaled = seconds * planned_rows as f64 / rows.unwrap() as f64 / 60.0;
    assert!((total - scaled).abs() < 0.001, "{total} vs {scaled}");
    assert!(
        total > 90.0 * seconds / 60.0,
        "{total} min for 100× the rows"
    );

    // Fixed-cost steps keep the measured seconds whatever the size.
    let cutover = plan
        .steps
        .iter()
        .find(|s| s.phase == Phase::Cutover)
        .unwrap();
    let (cutover_seconds, _) = measured(&report, "cutover");
    assert!((cutover.expected_minutes - cutover_seconds / 60.0).abs() <= 0.00005);
    let (drill_seconds, _) = measured(&report, "rollback drill");
    let rollback = cutover.rollback.as_ref().unwrap();
    assert!((rollback.minutes - drill_seconds / 60.0).abs() <= 0.00005);
    // Validation scales with all the rows.
    let validation = plan
        .steps
        .iter()
        .find(|s| s.phase == Phase::Validation)
        .unwrap();
    let (v_seconds, v_rows) = measured(&report, "validation");
    let expected = planned_rows as f64 * v_seconds / v_rows.unwrap() as f64 / 60.0;
    assert!((validation.expected_minutes - expected).abs() <= 0.00005);
    // What no rehearsal step measures keeps its estimate.
    for step in plan
        .steps
        .iter()
        .filter(|s| s.kind != StepKind::Action || s.phase == Phase::Verify)
    {
        assert!(step.estimate_basis.starts_with("estimate:"), "{step:?}");
    }

    // The schedule is that of the calibrated durations, and it changed.
    assert_eq!(plan.schedule, Schedule::of(&plan.steps));
    assert_ne!(
        plan.schedule.total_minutes,
        estimated.schedule.total_minutes
    );
    let c = plan.calibration.as_ref().unwrap();
    assert_eq!(c.run_id, RUN);
    assert_eq!(c.plan_rows, planned_rows);
    assert_eq!(c.rehearsal_rows, report.source_rows);
    assert_eq!(c.rollback_steps, vec![cutover.id.clone()]);
    assert!(c.duration_steps.contains(&cutover.id));
    assert!(estimated.calibration.is_none());

    // The point of no return follows the calibrated rollback times.
    let p = plan.point_of_no_return.as_ref().unwrap();
    let (id, before) = ponr_of(&plan);
    assert_eq!(p.step_id, id);
    assert!((p.rollback_minutes_before - before).abs() < 1e-9);
}

#[tokio::test]
async fn a_measured_rollback_moves_the_point_of_no_return() {
    let (_dir, root, graph, mut settings) = production_sakila().await;
    // Estimated, the way back after the cutover (1 + 1 + 10 min) exceeds a 10 min RTO; the
    // rehearsal's rollback drill took seconds.
    settings.rto_minutes = 10.0;
    let report = runs::load(&root, RUN, SAKILA).unwrap();
    let estimated = Plan::build(&graph, &settings);
    let plan = Plan::build_calibrated(&graph, &settings, &report.measured_steps());
    let ponr_step = |plan: &Plan| {
        let id = &plan.point_of_no_return.as_ref().unwrap().step_id;
        plan.step(id).unwrap().clone()
    };
    assert_eq!(ponr_step(&estimated).phase, Phase::Cutover);
    assert_eq!(ponr_step(&plan).phase, Phase::Decommission);
    assert_eq!(
        plan.point_of_no_return.as_ref().unwrap().step_id,
        ponr_of(&plan).0
    );
    assert_eq!(plan.schedule, Schedule::of(&plan.steps));
}

#[tokio::test]
async fn the_runbook_says_which_durations_are_calibrated_and_from_which_run() {
    let (_dir, root) = sample(SAKILA);
    store_fixture(&root, RUN);
    let root_s = root.to_str().unwrap();
    let csv_path = root.join("runbook.csv");
    let out = cli(&[
        "plan",
        root_s,
        "--calibrate-from",
        "latest",
        "--runbook-csv",
        csv_path.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("calibrated from rehearsal {RUN}")),
        "{text}"
    );
    assert!(text.contains("calibrated durations: "), "{text}");
    assert!(text.contains("backfill 16 steps"), "{text}");

    let mut reader = csv::Reader::from_path(&csv_path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (phase, basis) = (col("phase"), col("estimate_basis"));
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let calibrated =
        |r: &csv::StringRecord| r[basis].starts_with(&format!("calibrated from rehearsal {RUN}: "));
    assert!(rows
        .iter()
        .filter(|r| &r[phase] == "backfill")
        .all(calibrated));
    assert!(rows
        .iter()
        .filter(|r| &r[phase] == "go/no-go" || &r[phase] == "decommission")
        .all(|r| r[basis].starts_with("estimate:")));
    let cutover = rows.iter().find(|r| &r[phase] == "cutover").unwrap();
    assert!(
        cutover[basis].contains(&format!("rollback calibrated from rehearsal {RUN}")),
        "{:?}",
        &cutover[basis]
    );

    // The same plan through the engine: JSON output carries the calibration.
    let out = cli(&["plan", root_s, "--calibrate-from", RUN, "--json"]);
    assert!(out.status.success());
    let plan: Plan = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan.calibration.unwrap().run_id, RUN);
}

#[test]
fn an_unknown_run_id_lists_the_runs_that_exist() {
    let (_dir, root) = sample(SAKILA);
    match runs::load(&root, "latest", SAKILA) {
        Err(RunError::NoRuns { .. }) => {}
        other => panic!("expected NoRuns, got {other:?}"),
    }
    store_fixture(&root, RUN);
    let mut second = runs::load(&root, RUN, SAKILA).unwrap();
    second.id = "1795400000-000100".into();
    store_report(&root, &second);

    let err = runs::load(&root, "1795000000-dead00", SAKILA).unwrap_err();
    match &err {
        RunError::UnknownRun { id, existing, .. } => {
            assert_eq!(id, "1795000000-dead00");
            assert_eq!(existing, &[RUN.to_owned(), "1795400000-000100".to_owned()]);
        }
        other => panic!("expected UnknownRun, got {other:?}"),
    }
    let message = err.to_string();
    assert!(
        message.contains(RUN) && message.contains("1795400000-000100"),
        "{message}"
    );
    assert_eq!(
        runs::load(&root, "latest", SAKILA).unwrap().id,
        "1795400000-000100"
    );
    // A path is not a run id.
    assert!(matches!(
        runs::load(&root, "../rehearsals/1795316916-5cf700", SAKILA),
        Err(RunError::UnknownRun { .. })
    ));

    // The CLI fails with the same list.
    let out = cli(&[
        "plan",
        root.to_str().unwrap(),
        "--calibrate-from",
        "1795000000-dead00",
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(RUN) && stderr.contains("1795400000-000100"),
        "{stderr}"
    );
}

#[test]
fn an_unreadable_report_names_its_file_and_the_reason() {
    let (_dir, root) = sample(SAKILA);
    store_fixture(&root, RUN);
    let path = history_dir(&root).join(RUN).join("report.json");
    std::fs::write(&path, "{\"id\": \"1795316916-5cf700\", \"steps\": [").unwrap();
    let err = runs::load(&root, RUN, SAKILA).unwrap_err();
    match &err {
        RunError::Unreadable {
            path: p,
            source: ReadFailure::Json(_),
        } => assert_eq!(p, &path),
        other => panic!("expected Unreadable, got {other:?}"),
    }
    let message = err.to_string();
    assert!(
        message.contains(&path.display().to_string()) && message.contains("line 1"),
        "{message}"
    );
}

#[test]
fn a_report_of_another_project_is_refused() {
    let (_dir, root) = sample("chinook-sqlite-to-postgres");
    store_fixture(&root, RUN);
    let err = runs::load(&root, RUN, "chinook-sqlite-to-postgres").unwrap_err();
    match &err {
        RunError::OtherProject {
            found, expected, ..
        } => {
            assert_eq!(found, SAKILA);
            assert_eq!(expected, "chinook-sqlite-to-postgres");
        }
        other => panic!("expected OtherProject, got {other:?}"),
    }
    let out = cli(&["plan", root.to_str().unwrap(), "--calibrate-from", RUN]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is of project `sakila-mysql-to-postgres`")
    );
}

/// A second run made from the stored one: its backfill took 1 s longer and it stopped at a
/// gate before the cutover.
fn slower_failed_run(a: &RehearsalReport) -> RehearsalReport {
    let mut b = a.clone();
    b.id = "1795400000-000100".into();
    b.started_at_unix = 1_795_400_000;
    let at = b.steps.iter().position(|s| s.name == "backfill").unwrap();
    for (i, s) in b.steps.iter_mut().enumerate().skip(at) {
        if i > at {
            s.start_seconds += 1.0;
        }
        s.end_seconds += 1.0;
    }
    b.steps
        .retain(|s| s.name != "cutover" && s.name != "rollback drill");
    b.verdict = Verdict::Fail;
    b.failed_because = Some("lag at freeze: measured 45.000 s, limit 30.000 s".into());
    b.mismatched_rows = 3;
    b.write_downtime_seconds = 0.0;
    b.rollback_seconds = 0.0;
    b.total_seconds = a.total_seconds - 9.0;
    b
}

#[test]
fn compare_shows_both_runs_step_by_step() {
    let (_dir, root) = sample(SAKILA);
    store_fixture(&root, RUN);
    let a = runs::load(&root, RUN, SAKILA).unwrap();
    let b = slower_failed_run(&a);
    store_report(&root, &b);

    let c = compare(&a, &runs::load(&root, "latest", SAKILA).unwrap());
    assert_eq!(
        c.steps.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        a.steps.iter().map(|s| s.name.as_str()).collect::<Vec<_>>()
    );
    let backfill = c.steps.iter().find(|s| s.name == "backfill").unwrap();
    let (a_backfill, _) = measured(&a, "backfill");
    assert!((backfill.a_seconds.unwrap() - a_backfill).abs() < 1e-9);
    assert!((backfill.b_seconds.unwrap() - (a_backfill + 1.0)).abs() < 1e-9);
    assert!((backfill.change_seconds.unwrap() - 1.0).abs() < 1e-9);
    assert!((backfill.change_ratio.unwrap() - 1.0 / a_backfill).abs() < 1e-9);
    let validation = c.steps.iter().find(|s| s.name == "validation").unwrap();
    assert!(validation.change_seconds.unwrap().abs() < 1e-9);
    let cutover = c.steps.iter().find(|s| s.name == "cutover").unwrap();
    assert!(cutover.a_seconds.is_some() && cutover.b_seconds.is_none());
    assert_eq!(cutover.change_seconds, None);
    assert_eq!((c.a.verdict, c.b.verdict), (Verdict::Pass, Verdict::Fail));
    assert!(c.change.verdict_changed);
    assert_eq!(c.change.mismatched_rows, 3);
    assert!(c.a.rollback_within_rto);
    assert!((c.change.total_seconds + 9.0).abs() < 1e-9);

    // The CLI: a table with both runs' seconds, and JSON that is the engine's comparison.
    let root_s = root.to_str().unwrap();
    let out = cli(&["history", root_s, "--compare", RUN, "latest"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("backfill "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains(&format!("{a_backfill:.2}"))
            && line.contains(&format!("{:.2}", a_backfill + 1.0))
            && line.contains("+1.00"),
        "{line}"
    );
    for figure in [
        "verdict",
        "source rows",
        "mismatched rows",
        "write downtime s",
        "rollback s of RTO s",
        "total s",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(figure)),
            "{figure}: {text}"
        );
    }
    assert!(
        text.contains("1795400000-000100 failed: lag at freeze"),
        "{text}"
    );
    let out = cli(&["history", root_s, "--compare", RUN, "latest", "--json"]);
    assert!(out.status.success());
    let json: Comparison = serde_json::from_slice(&out.stdout).unwrap();
    // serde_json parses floats to within an ulp, not exactly: compare with a tolerance.
    let close = |x: Option<f64>, y: Option<f64>| match (x, y) {
        (Some(x), Some(y)) => (x - y).abs() < 1e-9,
        (x, y) => x.is_none() && y.is_none(),
    };
    assert_eq!((&json.a.id, &json.b.id), (&c.a.id, &c.b.id));
    assert_eq!(json.change.mismatched_rows, 3);
    assert_eq!(json.steps.len(), c.steps.len());
    for (j, s) in json.steps.iter().zip(&c.steps) {
        assert_eq!(j.name, s.name);
        assert!(close(j.a_seconds, s.a_seconds) && close(j.b_seconds, s.b_seconds));
        assert!(close(j.change_seconds, s.change_seconds), "{j:?} vs {s:?}");
    }

    // Without --compare, history still lists the runs.
    let out = cli(&["history", root_s]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(RUN) && text.contains("1795400000-000100"),
        "{text}"
    );
}

/// Two rehearsals at different sizes fit a fixed and a per-row cost per step: the validation
/// measured 6.432 s over 47,273 rows and 2.0 s over 4,727 rows costs about 1.5 s whatever the
/// size plus about 0.10 ms a row, and the plan's validation at 100 times the rows follows the
/// line, not the larger run's rate alone.
#[tokio::test]
async fn rehearsals_at_two_sizes_fit_a_fixed_and_a_per_row_cost() {
    let (_dir, root, graph, settings) = production_sakila().await;
    let full = runs::load(&root, RUN, SAKILA).unwrap();
    let mut tenth = full.clone();
    tenth.id = "1795316000-5cf700".into();
    tenth.source_rows = full.source_rows / 10;
    for step in &mut tenth.steps {
        let seconds = if step.name == "validation" {
            2.0
        } else {
            (step.end_seconds - step.start_seconds) / 2.0
        };
        step.end_seconds = step.start_seconds + seconds;
        step.rows = step.rows.map(|r| r / 10);
    }
    store_report(&root, &tenth);
    let (calibration, _) =
        migration_studio::plan::fit::fit_runs(&[tenth.measured_steps(), full.measured_steps()])
            .unwrap();
    let fit = calibration
        .fits
        .iter()
        .find(|f| f.step == "validation")
        .unwrap();
    let (full_seconds, _) = measured(&full, "validation");
    let per_row = (full_seconds - 2.0) / (full.source_rows - tenth.source_rows) as f64;
    assert!((fit.seconds_per_row - per_row).abs() < 1e-12, "{fit:?}");
    assert!((fit.fixed_seconds - (2.0 - per_row * tenth.source_rows as f64)).abs() < 1e-9);
    let plan = Plan::build_calibrated(&graph, &settings, &calibration);
    let plan_rows: u64 = graph
        .artifacts()
        .filter_map(|(_, a)| {
            (a.kind == migration_studio::graph::ArtifactKind::Table).then_some(a.rows.unwrap_or(0))
        })
        .sum();
    let validation = plan
        .steps
        .iter()
        .find(|s| s.action == migration_studio::plan::StepAction::Validate)
        .unwrap();
    let expected = (fit.fixed_seconds + fit.seconds_per_row * plan_rows as f64) / 60.0;
    assert!(
        (validation.expected_minutes - expected).abs() < 0.0001,
        "{} vs {expected}: {}",
        validation.expected_minutes,
        validation.estimate_basis
    );
    assert!(
        validation.estimate_basis.contains("fitted"),
        "{}",
        validation.estimate_basis
    );
    let calibrated = plan.calibration.as_ref().unwrap();
    assert!(calibrated
        .fitted
        .iter()
        .any(|f| f.starts_with("validation:")));

    // The CLI takes the runs comma-separated.
    let out = cli(&[
        "plan",
        root.to_str().unwrap(),
        "--json",
        "--calibrate-from",
        &format!("{},{RUN}", tenth.id),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown: Plan = serde_json::from_slice(&out.stdout).unwrap();
    assert!(shown
        .calibration
        .unwrap()
        .fitted
        .iter()
        .any(|f| f.starts_with("validation:")));
}

/// The CLI's `plan --json`: the plan, as printed and parsed, and the standard error.
fn plan_json(args: &[&str]) -> (String, Plan, String) {
    let out = cli(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8(out.stdout.clone()).unwrap(),
        serde_json::from_slice(&out.stdout).unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Asserts that a plan printed as JSON by the CLI is `plan`, text for text (parsing the JSON
/// back may round a float's last bit), showing the first difference.
fn assert_printed(printed: &str, plan: &Plan) {
    let expected = serde_json::to_string_pretty(plan).unwrap();
    let printed = printed.trim_end();
    if let Some((i, (x, y))) = printed
        .lines()
        .zip(expected.lines())
        .enumerate()
        .find(|(_, (x, y))| x != y)
    {
        panic!("the plans differ at line {i}: {x} vs {y}");
    }
    assert_eq!(printed, expected);
}

fn backfill_of<'a>(plan: &'a Plan, table: &str) -> &'a migration_studio::plan::Step {
    plan.steps
        .iter()
        .find(|s| s.artifact.as_deref() == Some(table))
        .unwrap_or_else(|| panic!("a backfill step of {table}"))
}

#[tokio::test]
async fn a_calibration_chosen_in_the_workspace_is_the_plan_of_every_face_until_undone() {
    let (_dir, root) = sample(SAKILA);
    store_fixture(&root, RUN);
    let r = root.to_str().unwrap();
    let mut ws = Workspace::open(&root).await.unwrap();
    let estimated = ws.plan().clone();
    assert!(estimated.calibration.is_none());
    let rental = backfill_of(&estimated, "table:sakila.rental").clone();
    let payment = backfill_of(&estimated, "table:sakila.payment").clone();

    // A note on one step, a typed duration on another, before calibrating.
    ws.edit_step(StepEdit {
        step_key: step_key(&rental),
        owner: None,
        expected_minutes: None,
        notes: Some("watch the trigger".into()),
    })
    .await
    .unwrap();
    ws.edit_step(StepEdit {
        step_key: step_key(&payment),
        owner: None,
        expected_minutes: Some(7.0),
        notes: None,
    })
    .await
    .unwrap();

    // `latest` is stored resolved: the choice names the run.
    let notes = ws.calibrate(Some("latest")).await.unwrap();
    assert!(notes.is_empty(), "{notes:?}");
    let calibrated = ws.plan().clone();
    let c = calibrated.calibration.as_ref().unwrap();
    assert_eq!(c.run_id, RUN);
    let rental_now = backfill_of(&calibrated, "table:sakila.rental");
    assert_ne!(rental_now.expected_minutes, rental.expected_minutes);
    assert!(rental_now
        .estimate_basis
        .starts_with(&format!("calibrated from rehearsal {RUN}")));
    assert!(
        c.duration_steps.contains(&rental_now.id),
        "a note keeps the measured duration"
    );
    assert_eq!(rental_now.notes.as_deref(), Some("watch the trigger"));
    // A typed duration wins, and the step no longer counts as calibrated.
    let payment_now = backfill_of(&calibrated, "table:sakila.payment");
    assert_eq!(payment_now.expected_minutes, 7.0);
    assert!(!c.duration_steps.contains(&payment_now.id));

    // The CLI (its own process) and the reopened workspace: the same plan.
    let (printed, _, stderr) = plan_json(&["plan", r, "--json"]);
    assert_printed(&printed, &calibrated);
    assert!(
        stderr.contains(&format!(
            "calibrated from rehearsal {RUN}, as chosen for this project"
        )),
        "{stderr}"
    );
    assert_eq!(Workspace::open(&root).await.unwrap().plan(), &calibrated);

    let csv_path = root.join("runbook.csv");
    let out = cli(&["runbook", "export", r, "-o", csv_path.to_str().unwrap()]);
    assert!(out.status.success());
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    assert!(csv.contains(&format!("calibrated from rehearsal {RUN}: ")));
    // `--estimates` plans without it, once; the choice stays.
    let (printed_once, once, _) = plan_json(&["plan", r, "--json", "--estimates"]);
    assert!(once.calibration.is_none());
    // A rehearsal's budgets are the estimates (edits applied), whatever the stored choice.
    let project = Project::open(&root).unwrap();
    assert_printed(
        &printed_once,
        &app_plan::project_plan(&project, false).await.unwrap(),
    );
    assert_eq!(
        backfill_of(&once, "table:sakila.rental").expected_minutes,
        rental.expected_minutes
    );
    assert_printed(&plan_json(&["plan", r, "--json"]).0, &calibrated);

    // Back to the estimates, for every face.
    assert!(ws.calibrate(None).await.unwrap().is_empty());
    let back = ws.plan().clone();
    assert!(back.calibration.is_none());
    assert_eq!(
        backfill_of(&back, "table:sakila.rental").expected_minutes,
        rental.expected_minutes
    );
    assert_eq!(
        backfill_of(&back, "table:sakila.payment").expected_minutes,
        7.0
    );
    let (printed, _, stderr) = plan_json(&["plan", r, "--json"]);
    assert_printed(&printed, &back);
    assert!(!stderr.contains("calibrated"), "{stderr}");
    assert_eq!(Workspace::open(&root).await.unwrap().plan(), &back);

    // An unknown run is refused and changes nothing.
    assert!(ws.calibrate(Some("no-such-run")).await.is_err());
    assert_eq!(Workspace::open(&root).await.unwrap().plan(), &back);
}

#[tokio::test]
async fn a_stored_calibration_whose_rehearsal_is_gone_leaves_the_estimates_and_says_why() {
    let (_dir, root) = sample(SAKILA);
    store_fixture(&root, RUN);
    let mut ws = Workspace::open(&root).await.unwrap();
    let estimated = ws.plan().clone();
    ws.calibrate(Some(RUN)).await.unwrap();
    std::fs::remove_dir_all(history_dir(&root).join(RUN)).unwrap();

    let ws = Workspace::open(&root).await.unwrap();
    assert_eq!(ws.plan(), &estimated);
    assert!(
        ws.calibration_notes()
            .iter()
            .any(|n| n.contains(RUN) && n.contains("cannot be read any more")),
        "{:?}",
        ws.calibration_notes()
    );
    let (printed, _, stderr) = plan_json(&["plan", root.to_str().unwrap(), "--json"]);
    assert_printed(&printed, &estimated);
    assert!(stderr.contains("cannot be read any more"), "{stderr}");
}
