//! The application layer as both faces use it: a step edit or a risk ordering saved through the
//! desktop's [`Workspace`] shows in the CLI's `plan` and `runbook export` (the real binary), and
//! a cancelled backfill use case leaves nothing in its target: no table, no marker, no
//! bookkeeping, no held lock.

mod common;

use std::path::Path;

use common::{cli_ok, mariadb, psql, sample, ScratchMaria, ScratchPg};
use migration_studio::backfill::BackfillEvent;
use migration_studio::db::{self, Access, RunLock};
use migration_studio::import::Engine;
use migration_studio::plan::MigrationShape;
use migration_studio::project::{Manifest, Project};
use migration_studio::risk::{Category, Risk};
use migration_studio::workspace::backfill::{self, BackfillProgress, BackfillRequest, OnCancel};
use migration_studio::workspace::{plan, step_key, Cancel, StepEdit, Workspace};

fn critical_path(plan_text: &str) -> String {
    plan_text
        .lines()
        .find(|l| l.starts_with("Critical path:"))
        .expect("the plan prints its critical path")
        .to_owned()
}

#[tokio::test]
async fn a_step_edit_saved_through_the_workspace_reaches_the_cli_plan_and_csv() {
    let (_dir, root) = sample("sakila-mysql-to-postgres");
    let project = root.to_str().unwrap();
    let before_text = cli_ok(&["plan", project]);
    let csv_path = root.join("runbook.csv");
    let csv = csv_path.to_str().unwrap();

    let mut ws = Workspace::open(&root).await.unwrap();
    let step = ws
        .plan()
        .steps
        .iter()
        .find(|s| s.artifact.as_deref() == Some("table:sakila.rental"))
        .expect("a backfill step of rental")
        .clone();
    ws.edit_step(StepEdit {
        step_key: step_key(&step),
        owner: Some("Team Rentals".into()),
        expected_minutes: Some(999.0),
        notes: Some("check the trigger first".into()),
    })
    .await
    .unwrap();

    // The CLI's runbook CSV carries the edit on that step's row.
    cli_ok(&["runbook", "export", project, "--format", "csv", "-o", csv]);
    let mut reader = csv::Reader::from_path(&csv_path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let row = reader
        .records()
        .map(Result::unwrap)
        .find(|r| r[col("title")] == step.title)
        .expect("the edited step's row");
    assert_eq!(&row[col("owner")], "Team Rentals");
    assert_eq!(row[col("expected_minutes")].parse::<f64>().unwrap(), 999.0);
    let md = cli_ok(&["runbook", "export", project, "--format", "md"]);
    assert!(md.contains("Team Rentals"), "{md}");

    // The plan's text: the schedule follows the edited duration.
    let after_text = cli_ok(&["plan", project]);
    assert_ne!(critical_path(&before_text), critical_path(&after_text));
    let minutes: f64 = critical_path(&after_text)
        .trim_start_matches("Critical path: ")
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(minutes >= 999.0, "{after_text}");
    // Its JSON has the step as edited, and so does the plan the rehearsal gets.
    let json: serde_json::Value =
        serde_json::from_str(&cli_ok(&["plan", project, "--json"])).unwrap();
    let edited = json["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["title"] == step.title.as_str())
        .unwrap();
    assert_eq!(edited["owner"], "Team Rentals");
    let for_rehearsal = plan::project_plan(&Project::open(&root).unwrap(), false)
        .await
        .unwrap();
    assert_eq!(&for_rehearsal, ws.plan());
    // Calibration needs a rehearsal: asked for without one, it says so.
    let err = plan::project_plan(&Project::open(&root).unwrap(), true)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no rehearsals"), "{err}");
}

#[tokio::test]
async fn a_risk_ordering_saved_through_the_workspace_shows_in_the_cli_plan() {
    let (_dir, root) = sample("sakila-mysql-to-postgres");
    let project = root.to_str().unwrap();
    let wave_1 = |text: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with("wave 1:"))
            .unwrap()
            .to_owned()
    };
    assert!(wave_1(&cli_ok(&["plan", project])).contains("sakila.actor"));
    let mut ws = Workspace::open(&root).await.unwrap();
    let mut risk = Risk::new("", "Actors need the film texts", Category::Other, 2, 2);
    risk.ordering = vec!["table:sakila.film_text before table:sakila.actor"
        .parse()
        .unwrap()];
    ws.save_risk(risk).await.unwrap();
    let text = cli_ok(&["plan", project]);
    assert!(!wave_1(&text).contains("sakila.actor"), "{text}");
    assert!(wave_1(&text).contains("sakila.film_text"), "{text}");
    // The CSV's backfill of film_text comes before actor's.
    let csv = cli_ok(&["runbook", "export", project]);
    let at = |table: &str| csv.find(&format!("table:sakila.{table}")).unwrap();
    assert!(at("film_text") < at("actor"), "{csv}");
}

fn pg_public_tables(db: &str) -> String {
    psql(
        db,
        &[
            "-At",
            "-c",
            "SELECT coalesce(string_agg(tablename, ',' ORDER BY tablename), '') FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
        ],
        None,
    )
    .trim()
    .to_owned()
}

fn project_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    Manifest::new(
        "app-layer-test",
        Engine::Mysql,
        Engine::Postgres,
        MigrationShape::Cdc,
    )
    .create(dir.path())
    .unwrap();
    dir
}

/// A MariaDB source of two linked tables, 60,000 rows in all: enough chunks to cancel between.
fn source(label: &str) -> ScratchMaria {
    let source = ScratchMaria::new(label);
    mariadb(
        &source.name,
        &[
            "-e",
            "CREATE TABLE parent (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL); \
             INSERT INTO parent SELECT seq, CONCAT('p', seq) FROM seq_1_to_20000; \
             CREATE TABLE child (id INT PRIMARY KEY, parent_id INT NOT NULL, v INT, \
               KEY child_parent (parent_id), FOREIGN KEY (parent_id) REFERENCES parent (id)); \
             INSERT INTO child SELECT seq, 1 + seq % 20000, seq FROM seq_1_to_40000",
        ],
        None,
    );
    source
}

async fn cancel_mid_copy(project: &Path, request: &BackfillRequest) -> backfill::BackfillRun {
    let cancel = Cancel::new();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let watcher = {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            let mut chunks = 0;
            while let Some(event) = rx.recv().await {
                if let BackfillProgress::Copy(BackfillEvent::Chunk { .. }) = event {
                    chunks += 1;
                    if chunks == 2 {
                        cancel.cancel();
                    }
                }
            }
            chunks
        })
    };
    let project = Project::open(project).unwrap();
    let run = backfill::run(&project, None, request, &cancel, Some(tx))
        .await
        .unwrap();
    let chunks = watcher.await.unwrap();
    assert!(chunks >= 2, "the copy was cancelled mid-way");
    run
}

#[tokio::test]
async fn a_cancelled_backfill_leaves_nothing_in_its_target() {
    let source = source("app_cancel_src");
    let target = ScratchPg::new("app_cancel_tgt");
    let project = project_dir();
    let mut request = BackfillRequest::new(source.url(), target.url());
    request.create_tables = true;
    request.post_copy = true;
    request.validate = true;
    request.mark_target = Some("scratch target of a test".into());
    request.on_cancel = OnCancel::Remove;
    request.options.run_id = "cancel-me".into();
    request.options.initial_chunk_rows = 1_000;
    request.options.min_chunk_rows = 1_000;
    request.options.max_chunk_rows = 1_000;
    request.options.parallel_tables = 1;
    request.options.max_rows_per_second = Some(20_000.0);

    let run = cancel_mid_copy(project.path(), &request).await;
    assert_eq!(run.outcome, "cancelled");
    assert!(run.backfill.rows() < 60_000, "{:?}", run.backfill);
    assert!(run.validation.is_none());
    assert!(run.left_behind.is_empty(), "{:?}", run.left_behind);
    assert!(
        run.removed
            .iter()
            .any(|r| r.contains("_migration_studio_rehearsal_target")),
        "{:?}",
        run.removed
    );
    // Nothing left: no copied table, no checkpoint or reject table, no marker.
    assert_eq!(pg_public_tables(&target.name), "");
    // No held lock: another writer of the same run gets it at once.
    let db = db::connect(&target.url(), Access::ReadWrite, 1)
        .await
        .unwrap();
    let lock = RunLock::acquire(&db, "cancel-me").await.unwrap();
    lock.release().await;
    db.close().await;
    let advisory = psql(
        "postgres",
        &[
            "-At",
            "-c",
            &format!(
                "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database \
                 WHERE l.locktype = 'advisory' AND d.datname = '{}'",
                target.name
            ),
        ],
        None,
    );
    assert_eq!(advisory.trim(), "0");
    // Its record says so, in the project's run folder.
    let history = backfill::history(&Project::open(project.path()).unwrap()).unwrap();
    assert_eq!(history[0].run_id, "cancel-me");
    assert!(history[0].cancelled());
}

#[tokio::test]
async fn a_cancelled_backfill_keeps_what_was_there_before_and_resumes_when_asked() {
    let source = source("app_keep_src");
    let target = ScratchPg::new("app_keep_tgt");
    // A target marked before, with a table of its own that must survive the clean-up.
    psql(
        &target.name,
        &["-c", "CREATE TABLE keep_me (id int PRIMARY KEY)"],
        None,
    );
    let db = db::connect(&target.url(), Access::ReadWrite, 1)
        .await
        .unwrap();
    db::guard::mark_rehearsal_target(&db, "marked before")
        .await
        .unwrap();
    db.close().await;
    let project = project_dir();
    let mut request = BackfillRequest::new(source.url(), target.url());
    request.create_tables = true;
    request.on_cancel = OnCancel::Remove;
    request.options.run_id = "keep".into();
    request.options.initial_chunk_rows = 1_000;
    request.options.min_chunk_rows = 1_000;
    request.options.max_chunk_rows = 1_000;
    request.options.parallel_tables = 1;
    request.options.max_rows_per_second = Some(20_000.0);
    let run = cancel_mid_copy(project.path(), &request).await;
    assert!(run.cancelled() && run.left_behind.is_empty(), "{run:?}");
    assert_eq!(
        pg_public_tables(&target.name),
        "_migration_studio_rehearsal_target,keep_me"
    );

    // Kept for resuming (the CLI's choice): the same run id goes on and completes.
    request.on_cancel = OnCancel::KeepForResume;
    let run = cancel_mid_copy(project.path(), &request).await;
    assert!(run.cancelled());
    let copied = run.backfill.rows();
    assert!(copied > 0);
    request.options.max_rows_per_second = None;
    let done = backfill::run(
        &Project::open(project.path()).unwrap(),
        None,
        &request,
        &Cancel::new(),
        None,
    )
    .await
    .unwrap();
    assert_eq!(done.outcome, "copied");
    let rows = psql(
        &target.name,
        &[
            "-At",
            "-c",
            "SELECT (SELECT count(*) FROM parent) + (SELECT count(*) FROM child)",
        ],
        None,
    );
    assert_eq!(rows.trim(), "60000");
}

#[tokio::test]
async fn a_cancelled_validation_returns_no_report_and_writes_nothing() {
    use migration_studio::validate::{Options, Progress};
    use migration_studio::workspace::validate::{self, ValidateRequest};
    struct Quiet;
    impl Progress for Quiet {}
    let source = source("app_val_src");
    let target = ScratchPg::new("app_val_tgt");
    let project = project_dir();
    let request = ValidateRequest {
        source_url: source.url(),
        target_url: target.url(),
        options: Options::default(),
        invariants: vec![validate::parse_invariant("parents=SELECT count(*) FROM parent").unwrap()],
        restart: false,
    };
    let cancel = Cancel::new();
    cancel.cancel();
    let report = validate::run(project.path(), &request, &cancel, &Quiet)
        .await
        .unwrap();
    assert!(report.is_none());
    // Read-only on both sides: the target is as it was.
    assert_eq!(pg_public_tables(&target.name), "");
    assert!(validate::parse_invariant("no sql=").is_err());
}

#[tokio::test]
async fn the_desktops_trial_copy_is_the_backfill_use_case_run_to_the_end() {
    let source = source("app_trial_src");
    let target = ScratchPg::new("app_trial_tgt");
    let (_dir, root) = sample("sakila-mysql-to-postgres");
    let project = Project::open(&root).unwrap();
    let plan = plan::project_plan(&project, false).await.unwrap();
    let mut request = BackfillRequest::new(source.url(), target.url());
    request.create_tables = true;
    request.post_copy = true;
    request.validate = true;
    request.mark_target = Some("scratch target of a test".into());
    request.on_cancel = OnCancel::Remove;
    request.options.run_id = "trial".into();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let events = tokio::spawn(async move {
        let mut steps = Vec::new();
        while let Some(event) = rx.recv().await {
            if let BackfillProgress::StepFinished { step, .. } = event {
                steps.push(step);
            }
        }
        steps
    });
    let run = backfill::run(&project, Some(&plan), &request, &Cancel::new(), Some(tx))
        .await
        .unwrap();
    assert_eq!(run.outcome, "passed", "{:?}", run.validation);
    assert_eq!(run.backfill.rows(), 60_000);
    assert_eq!(
        events.await.unwrap(),
        ["create tables", "backfill", "indexes and FKs", "validate"]
    );
    // Its progress curve: from 0 rows at the copy's start to every row at its end, in order,
    // inside the copy step (what the desktop's trial report charts).
    let backfill_step = run.steps.iter().find(|s| s.name == "backfill").unwrap();
    let curve = &run.progress;
    assert!(curve.len() >= 2, "{curve:?}");
    assert_eq!(curve[0].rows, 0);
    assert_eq!(curve.last().unwrap().rows, 60_000);
    assert!(curve
        .windows(2)
        .all(|w| w[0].at_seconds <= w[1].at_seconds && w[0].rows <= w[1].rows));
    let copy_end = backfill_step.start + backfill_step.seconds;
    assert!(curve[0].at_seconds >= backfill_step.start - 1e-9);
    assert!(
        curve.last().unwrap().at_seconds <= copy_end + 1e-6,
        "{curve:?}"
    );
    let kept: backfill::BackfillRun = serde_json::from_slice(
        &std::fs::read(root.join(".migration-studio/runs/trial/backfill-run.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(&kept.progress, curve);
    // The steps are timed against the plan's phases; the record is in the run folder.
    assert!(backfill_step.expected.is_some());
    assert!(root
        .join(".migration-studio/runs/trial/backfill-run.json")
        .is_file());
    assert!(root
        .join(".migration-studio/runs/trial/backfill-report.json")
        .is_file());
    // The foreign key the post-copy step made is in the target.
    let fks = psql(
        &target.name,
        &[
            "-At",
            "-c",
            "SELECT count(*) FROM pg_constraint WHERE contype = 'f'",
        ],
        None,
    );
    assert_eq!(fks.trim(), "1");
    // Nothing was removed: the run was not cancelled.
    assert!(run.removed.is_empty());
}

/// The rehearsal rehearses the plan the team edited: a step's duration edited through the
/// workspace is that step's budget in the next rehearsal (its row and its G007 gate).
#[tokio::test]
async fn a_step_edit_is_the_rehearsals_budget_for_that_step() {
    use migration_studio::plan::StepAction;
    use migration_studio::rehearsal::{self, ProviderChoice, RehearsalOptions};
    use migration_studio::workspace::rehearse::{self, Rehearsed};
    let (_dir, root) = sample("sakila-mysql-to-postgres");
    let mut ws = Workspace::open(&root).await.unwrap();
    let step = ws
        .plan()
        .steps
        .iter()
        .find(|s| s.action == StepAction::CreateConstraints)
        .unwrap()
        .clone();
    ws.edit_step(StepEdit {
        step_key: step_key(&step),
        owner: None,
        expected_minutes: Some(0.75),
        notes: None,
    })
    .await
    .unwrap();
    let project = Project::open(&root).unwrap();
    let options = RehearsalOptions {
        provider: ProviderChoice::Local,
        run_id: Some(rehearsal::new_run_id()),
        post_cutover_seconds: 0.5,
        ..RehearsalOptions::default()
    };
    let (provider, _) = rehearsal::choose_provider(&project, &options)
        .await
        .unwrap();
    let Rehearsed::Finished(report) =
        rehearse::run(&project, &options, false, &provider, &Cancel::new(), None)
            .await
            .unwrap()
    else {
        panic!("not cancelled")
    };
    let row = report
        .runbook
        .iter()
        .find(|r| r.step_id == step.id)
        .unwrap();
    assert_eq!(row.action, StepAction::CreateConstraints);
    assert_eq!(row.expected_seconds, 45.0, "{row:?}");
    let gate = report
        .gates
        .iter()
        .find(|g| g.gate.starts_with(&format!("time of step `{}", step.id)))
        .unwrap();
    let factor = project.manifest().gates.step_budget_factor;
    assert_eq!(gate.limit, 45.0 * factor);
    common::no_scratch_databases(&report.id);
}
