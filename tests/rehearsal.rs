//! Full rehearsals on the local provider: the machine's MariaDB and PostgreSQL, scratch
//! databases created and dropped by the run, a live workload on both sides of the cutover.

mod common;

use common::mariadb;
use migration_studio::project::Project;
use migration_studio::rehearsal::{self, RehearsalError, RehearsalOptions, Verdict};

use common::sample;
use std::path::PathBuf;

fn options(source_engine: &str) -> RehearsalOptions {
    RehearsalOptions {
        source_server: if source_engine == "mysql" {
            "mysql://root@127.0.0.1:3306".into()
        } else {
            "postgres://postgres@127.0.0.1:5432".into()
        },
        target_server: "postgres://postgres@127.0.0.1:5432".into(),
        workload_rate: 40.0,
        post_cutover_seconds: 2.0,
        ..RehearsalOptions::default()
    }
}

/// No scratch database of run `id` is left on either server.
/// [`options`] with the source sampled to about `fraction` of its rows (`--scale`).
fn sampled(source_engine: &str, fraction: f64) -> RehearsalOptions {
    RehearsalOptions {
        scale: Some(fraction),
        ..options(source_engine)
    }
}

fn nothing_left(id: &str) {
    common::no_scratch_databases(id);
}

/// Why a rehearsal did not end as a test expected: its first failed gate and the detail of
/// every step that handled rows or said no-go (the validations name the rows that differ),
/// so an intermittent failure can be followed up from the test's output alone.
fn why(report: &rehearsal::RehearsalReport) -> String {
    let steps: Vec<String> = report
        .runbook
        .iter()
        .filter(|r| r.rows.is_some_and(|n| n > 0) || r.outcome == rehearsal::StepOutcome::NoGo)
        .map(|r| format!("{} {}", r.step_id, r.detail))
        .collect();
    format!("{:?}: {steps:#?}", report.failed_because)
}

#[tokio::test]
async fn sakila_mariadb_to_postgres_passes_with_writes_on_both_sides() {
    let (_dir, root) = sample("sakila-mysql-to-postgres");
    let project = Project::open(&root).unwrap();
    let report = rehearsal::rehearse(&project, &options("mysql"))
        .await
        .unwrap();
    // On a failure, the validations' rows say which rows differed.
    let validations: Vec<&str> = report
        .runbook
        .iter()
        .filter(|r| r.rows.is_some_and(|n| n > 0) || r.outcome == rehearsal::StepOutcome::NoGo)
        .map(|r| r.detail.as_str())
        .collect();
    assert_eq!(
        report.verdict,
        Verdict::Pass,
        "{:?}: {validations:#?}",
        report.failed_because
    );
    assert_eq!(report.source_rows, 47_273);
    assert_eq!(report.mismatched_rows, 0, "mismatched rows after catch-up");
    assert!(
        report.workload_source.writes() > 0,
        "the workload wrote during the backfill"
    );
    assert!(
        report.workload_target.writes() > 0,
        "the workload wrote after the cutover"
    );
    assert_eq!(
        report.rollback_mismatched_rows, 0,
        "every post-cutover write is in the source after the rollback drill"
    );
    assert!(report.rollback_seconds > 0.0 && report.rollback_seconds <= report.rto_seconds);
    assert!(report.lag.iter().any(|l| l.phase == "rollback"));
    for step in ["load source", "rollback drill"] {
        assert!(
            report.steps.iter().any(|s| s.name == step),
            "step {step} measured"
        );
    }
    // One row per runbook step, by id, in the plan's order; the machine actions ran.
    let ids: Vec<&str> = report.runbook.iter().map(|r| r.step_id.as_str()).collect();
    let expected: Vec<String> = (1..=ids.len()).map(|n| format!("S{n:03}")).collect();
    assert_eq!(ids, expected);
    use migration_studio::plan::StepAction as A;
    use migration_studio::rehearsal::StepOutcome as O;
    for action in [
        A::PrepareTarget,
        A::StartCapture,
        A::Backfill,
        A::CatchUp,
        A::Validate,
        A::FreezeWrites,
        A::FinalCatchUp,
        A::FinalValidation,
        A::SwitchWrites,
        A::StartReverseCapture,
        A::Verify,
    ] {
        assert!(
            report
                .runbook
                .iter()
                .filter(|r| r.action == action)
                .all(|r| r.outcome == O::Done && r.measured_seconds.is_some()),
            "{action} ran: {:#?}",
            report.runbook
        );
    }
    assert!(report
        .runbook
        .iter()
        .filter(|r| r.action == A::GoNoGo)
        .all(|r| r.outcome == O::Go));
    // The application's inserts after the cutover leave the key to the target, as they did on
    // the source: the target's identity sequences must stand past every copied key.
    assert!(
        report.workload_target.inserts > 0 && report.workload_target.errors == 0,
        "{:?}",
        report.workload_target
    );
    let switch = report
        .runbook
        .iter()
        .find(|r| r.action == A::SwitchWrites)
        .unwrap();
    assert!(
        switch
            .detail
            .contains("13 key sequences set past the copied keys"),
        "{switch:?}"
    );
    assert!(report
        .runbook
        .iter()
        .filter(|r| r.action == A::Announce)
        .all(|r| r.outcome == O::Recorded));
    assert_eq!(
        report.runbook.last().map(|r| r.outcome),
        Some(O::PastPointOfNoReturn),
        "decommission is not rehearsed"
    );
    assert!(
        report.workload_source.writes() >= 200,
        "catch-up had real work: {:?}",
        report.workload_source
    );
    let catch_up = report
        .runbook
        .iter()
        .find(|r| r.action == A::CatchUp)
        .unwrap();
    assert!(catch_up.rows.unwrap_or(0) > 0, "{catch_up:?}");
    // The pre-freeze validation is pinned to a changelog position; the final one checks what
    // changed since, and the write downtime says where it went.
    let validate = report
        .runbook
        .iter()
        .find(|r| r.action == A::Validate)
        .unwrap();
    assert!(
        validate.detail.contains("pinned to changelog position"),
        "{validate:?}"
    );
    let last = report
        .runbook
        .iter()
        .find(|r| r.action == A::FinalValidation)
        .unwrap();
    assert!(last.detail.contains("checked incrementally"), "{last:?}");
    // The sequences are set once the last change is applied, so the final validation finds
    // every generated key right: its verdict is the rehearsal's, with no violation left over
    // from the pinned run (which ran before they were set).
    let final_catch_up = report
        .runbook
        .iter()
        .find(|r| r.action == A::FinalCatchUp)
        .unwrap();
    assert!(
        final_catch_up
            .detail
            .contains("13 key sequences set past the copied keys"),
        "{final_catch_up:?}"
    );
    assert_eq!(report.validation_verdict, "Equal", "{validations:#?}");
    let split = report.downtime_split;
    assert!(
        split.is_measured() && split.final_validation_seconds > 0.0,
        "{split:?}"
    );
    let parts = split.freeze_seconds
        + split.final_catch_up_seconds
        + split.final_validation_seconds
        + split.cutover_seconds;
    assert!(
        parts <= report.write_downtime_seconds + 0.01,
        "{split:?} vs {}",
        report.write_downtime_seconds
    );
    let dir = rehearsal::history_dir(&root).join(&report.id);
    for file in ["report.json", "report.md", "report.html"] {
        assert!(dir.join(file).is_file(), "{file} written");
    }
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    // The charts are drawn in the page by the app's chart script, from the report's data.
    assert!(
        html.contains("<div id=\"gantt\"></div>")
            && html.contains("<div id=\"lag\"></div>")
            && html.contains("id=\"report-data\"")
            && html.contains("Migration Studio report charts"),
        "Gantt and lag charts"
    );
    assert_eq!(rehearsal::history(&root).len(), 1);
    nothing_left(&report.id);
}

#[tokio::test]
async fn pagila_postgres_upgrade_passes_on_one_local_version_when_told_and_says_so() {
    let (_dir, root) = sample("pagila-postgres-upgrade");
    let project = Project::open(&root).unwrap();
    let options = RehearsalOptions {
        same_version: true,
        ..options("postgres")
    };
    let report = rehearsal::rehearse(&project, &options).await.unwrap();
    assert_eq!(report.verdict, Verdict::Pass, "{}", why(&report));
    assert_eq!(report.source_rows, 49_636);
    assert_eq!(report.mismatched_rows, 0);
    assert_eq!(report.rollback_mismatched_rows, 0);
    assert!(report.workload_target.writes() > 0);
    // Pagila's keys draw from sequences its defaults name without owning them (older pg_dump
    // output): they are found and set past the copied keys, and payment's partitions, which
    // share one, set it past the largest of them.
    let switch = report
        .runbook
        .iter()
        .find(|r| r.action == migration_studio::plan::StepAction::SwitchWrites)
        .unwrap();
    assert!(
        switch
            .detail
            .contains("13 key sequences set past the copied keys"),
        "{switch:?}"
    );
    // The manifest says 15 -> 17: a rehearsal on other servers says so, never silently.
    let (source_version, target_version) = &report.server_versions;
    assert!(!source_version.is_empty() && !target_version.is_empty());
    let ran_17 = migration_studio::db::version_matches("17", target_version);
    assert_eq!(
        report
            .version_mismatches
            .iter()
            .any(|m| m.contains("target is postgres 17")),
        !ran_17,
        "{:?} on {target_version}",
        report.version_mismatches
    );
    if !ran_17 {
        let md = rehearsal::report::markdown(&report);
        assert!(md.contains("**Version mismatch:**"), "{md}");
    }
    nothing_left(&report.id);
}

#[tokio::test]
async fn an_upgrade_on_local_servers_of_one_version_is_refused_with_the_way_out() {
    let (_dir, root) = sample("pagila-postgres-upgrade");
    let project = Project::open(&root).unwrap();
    let options = RehearsalOptions {
        run_id: Some(rehearsal::new_run_id()),
        ..options("postgres")
    };
    match rehearsal::rehearse(&project, &options).await {
        Err(err) => {
            let text = err.to_string();
            for needle in ["15 → 17", "--provider docker", "--same-version"] {
                assert!(text.contains(needle), "{needle} in: {text}");
            }
            assert_eq!(
                migration_studio::codes::classify(&err),
                migration_studio::codes::ErrorClass::BadInput
            );
        }
        // A machine whose local server is PostgreSQL 17 rehearses the upgrade for real.
        Ok(report) => assert!(report.version_mismatches.is_empty()),
    }
    nothing_left(options.run_id.as_deref().unwrap());
}

#[tokio::test]
async fn a_version_mismatch_fails_the_rehearsal_when_the_manifest_says_so() {
    let (_dir, root) = sample("sakila-mysql-to-postgres");
    let manifest = root.join("migration-studio.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replace(
            "[target]\nengine = \"postgres\"\nversion = \"17\"",
            "[target]\nengine = \"postgres\"\nversion = \"9.6\"",
        ) + "\n[gates]\nversion_mismatch = \"fail\"\n",
    )
    .unwrap();
    let project = Project::open(&root).unwrap();
    let report = rehearsal::rehearse(&project, &options("mysql"))
        .await
        .unwrap();
    assert_eq!(report.verdict, Verdict::Fail);
    let failed = report.failed_because.clone().unwrap();
    assert!(failed.starts_with("G011 "), "{failed}");
    assert!(failed.contains("target is postgres 9.6"), "{failed}");
    nothing_left(&report.id);
}

#[tokio::test]
async fn an_impossible_rto_fails_on_the_rollback_gate() {
    let (_dir, root) = sample("sakila-mysql-to-postgres");
    let manifest = root.join("migration-studio.toml");
    let text = std::fs::read_to_string(&manifest)
        .unwrap()
        .replace("rto_minutes = 30", "rto_minutes = 0.0001");
    std::fs::write(&manifest, text).unwrap();
    let project = Project::open(&root).unwrap();
    let report = rehearsal::rehearse(&project, &options("mysql"))
        .await
        .unwrap();
    assert_eq!(report.verdict, Verdict::Fail, "{}", why(&report));
    let failed = report.failed_because.clone().unwrap();
    assert!(
        failed.starts_with("G004 rollback time vs RTO"),
        "{}",
        why(&report)
    );
    let gate = report.gates.iter().find(|g| !g.passed).unwrap();
    assert_eq!(gate.code, "G004");
    nothing_left(&report.id);
}

#[tokio::test]
async fn a_second_rehearsal_of_the_same_project_is_refused() {
    let (_dir, root) = sample("sakila-mysql-to-postgres");
    let project = Project::open(&root).unwrap();
    let first = {
        let project = project.clone();
        std::thread::spawn(move || {
            tokio::runtime::Runtime::new()
                .unwrap()
                .block_on(rehearsal::rehearse(&project, &options("mysql")))
        })
    };
    // The first holds the lock once it has saved its state (the lock comes first); a fixed
    // pause was too short on a loaded machine.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while migration_studio::rehearsal::state::RunState::unfinished(&root).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the first never started"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let second = rehearsal::rehearse(&project, &options("mysql")).await;
    assert!(matches!(second, Err(RehearsalError::Busy(_))), "{second:?}");
    let first = first.join().unwrap().unwrap();
    assert_eq!(first.verdict, Verdict::Pass, "{}", why(&first));
    nothing_left(&first.id);
}

#[tokio::test]
async fn a_sampled_source_rehearses_with_every_foreign_key_whole() {
    let (_dir, root) = sample("sakila-mysql-to-postgres");
    let project = Project::open(&root).unwrap();
    let report = rehearsal::rehearse(&project, &sampled("mysql", 0.1))
        .await
        .unwrap();
    // The target's foreign keys are created after the copy: a sample with an orphan would
    // fail there, and validation checks the constraints hold.
    assert_eq!(report.verdict, Verdict::Pass, "{}", why(&report));
    assert!(
        report.source_rows > 1_000 && report.source_rows < 47_273 / 2,
        "about a tenth of the facts, the parents they need: {} rows",
        report.source_rows
    );
    assert_eq!(report.mismatched_rows, 0);
    // The saved report names the project's tables, never the scratch database they ran in.
    let saved = rehearsal::history_dir(&root).join(&report.id);
    for file in ["report.json", "report.md", "report.html"] {
        let text = std::fs::read_to_string(saved.join(file)).unwrap();
        assert!(!text.contains("ms_rh_"), "{file} names a scratch database");
    }
    nothing_left(&report.id);
}

#[tokio::test]
async fn chinook_sqlite_source_rehearses_from_a_file_in_the_run_folder() {
    let (_dir, root) = sample("chinook-sqlite-to-postgres");
    let project = Project::open(&root).unwrap();
    let report = rehearsal::rehearse(
        &project,
        &RehearsalOptions {
            source_server: "sqlite:".into(),
            ..options("postgres")
        },
    )
    .await
    .unwrap();
    assert_eq!(report.verdict, Verdict::Pass, "{}", why(&report));
    assert_eq!(report.source_rows, 15_607);
    assert_eq!(report.mismatched_rows, 0);
    // An offline runbook: writes frozen first, so the write downtime covers the whole copy.
    assert_eq!(report.shape, "offline");
    let copy: f64 = report
        .runbook
        .iter()
        .filter(|r| r.action == migration_studio::plan::StepAction::Backfill)
        .filter_map(|r| r.measured_seconds)
        .sum();
    assert!(
        report.write_downtime_seconds >= copy && copy > 0.0,
        "downtime {} s, copy {copy} s",
        report.write_downtime_seconds
    );
    assert_eq!(report.rollback_mismatched_rows, 0);
    // The SQLite side lived in the run folder and is gone with the run.
    let runs = root.join(".migration-studio").join("runs");
    let left: Vec<_> = std::fs::read_dir(&runs)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".sqlite"))
        .collect();
    assert!(left.is_empty(), "SQLite files left: {left:?}");
    nothing_left(&report.id);
}

/// A project whose source is the live Sakila database `live`, its URL in the environment
/// variable `var` (never in the project).
fn live_sakila_project(dir: &std::path::Path, live: &common::ScratchMaria, var: &str) -> PathBuf {
    let root = dir.join("live-project");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(
        root.join("migration-studio.toml"),
        format!(
            "name = \"sakila-live\"\nshape = \"cdc\"\nrto_minutes = 30\nmaintenance_window_minutes = 60\n\n\
             [source]\nengine = \"mysql\"\n\n[target]\nengine = \"postgres\"\n\n\
             [[inputs]]\nlive = \"production\"\nurl_env = \"{var}\"\nschemas = [\"{}\"]\n",
            live.name
        ),
    )
    .unwrap();
    std::env::set_var(var, live.url());
    root
}

/// `--scale` on a live source reads only the sample and the rows it references: the copy's
/// cost follows the sample, and every foreign key still holds (the copy's and the target's
/// foreign keys are created after the rows, validation passes).
#[tokio::test]
async fn a_sampled_live_source_copies_only_its_sample_and_what_it_references() {
    let live = common::ScratchMaria::new("live_sampled");
    common::load_sakila_mariadb(&live.name);
    let dir = tempfile::tempdir().unwrap();
    let root = live_sakila_project(dir.path(), &live, "MS_TEST_LIVE_SAMPLED_URL");
    let project = Project::open(&root).unwrap();
    let report = rehearsal::rehearse(&project, &sampled("mysql", 0.1))
        .await
        .unwrap();
    assert_eq!(report.verdict, Verdict::Pass, "{}", why(&report));
    assert!(
        report.source_rows > 1_000 && report.source_rows < 47_273 / 3,
        "about a tenth of the facts and the parents they need: {} rows",
        report.source_rows
    );
    // What the copy read from the live database is the sample and the rows it references,
    // nothing read only to be deleted.
    let log = std::fs::read_to_string(
        root.join(".migration-studio/runs")
            .join(&report.id)
            .join("copy.log.jsonl"),
    )
    .unwrap();
    let read = |step: &str| -> u64 {
        log.lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|r| r["step"] == step)
            .map(|r| r["rows"].as_u64().unwrap())
            .sum()
    };
    assert_eq!(
        read("chunk_begin") + read("references_copied"),
        report.source_rows,
        "rows read from the live source"
    );
    assert_eq!(report.mismatched_rows, 0);
    nothing_left(&report.id);
}

#[tokio::test]
async fn a_live_source_is_copied_read_only_and_rehearsed() {
    let live = common::ScratchMaria::new("live_src");
    common::load_sakila_mariadb(&live.name);
    let checksum = |db: &str| {
        mariadb(
            db,
            &["-e", "CHECKSUM TABLE rental, payment, customer EXTENDED"],
            None,
        )
    };
    let before = checksum(&live.name);
    let dir = tempfile::tempdir().unwrap();
    let root = live_sakila_project(dir.path(), &live, "MS_TEST_LIVE_SAKILA_URL");
    let project = Project::open(&root).unwrap();
    let report = rehearsal::rehearse(&project, &options("mysql"))
        .await
        .unwrap();
    assert_eq!(report.verdict, Verdict::Pass, "{}", why(&report));
    assert_eq!(report.source_rows, 47_273, "every live row copied");
    assert_eq!(report.mismatched_rows, 0);
    assert_eq!(report.rollback_mismatched_rows, 0);
    // The live database was only read.
    assert_eq!(checksum(&live.name), before);
    let ours = mariadb(
        "mysql",
        &[
            "-e",
            &format!(
                "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{}' AND TABLE_NAME LIKE '\\_migration\\_studio%'",
                live.name
            ),
        ],
        None,
    );
    assert_eq!(ours.trim(), "0", "nothing of ours in the live database");
    nothing_left(&report.id);
}

const SALES_SCHEMA: &str = "CREATE SCHEMA sales;\n\
    CREATE TABLE public.customer (id integer PRIMARY KEY, name text NOT NULL);\n\
    CREATE TABLE sales.orders (id integer PRIMARY KEY, customer_id integer NOT NULL REFERENCES public.customer (id), amount numeric(10,2));\n\
    INSERT INTO public.customer SELECT g, 'c' || g FROM generate_series(1, 50) g;\n\
    INSERT INTO sales.orders SELECT g, 1 + g % 50, g * 1.5 FROM generate_series(1, 400) g;\n";

fn sales_manifest(input: &str) -> String {
    format!(
        "name = \"sales\"\nshape = \"cdc\"\nrto_minutes = 30\nmaintenance_window_minutes = 60\n\n\
         [source]\nengine = \"postgres\"\n\n[target]\nengine = \"postgres\"\n\n{input}"
    )
}

/// A PostgreSQL source whose tables live in a schema other than `public`, from a script and
/// from a live database: every schema is created on both sides and every row is rehearsed.
#[tokio::test]
async fn postgres_schemas_other_than_public_are_rehearsed_from_scripts_and_live() {
    let dir = tempfile::tempdir().unwrap();
    let scripted = dir.path().join("scripted");
    std::fs::create_dir_all(&scripted).unwrap();
    std::fs::write(scripted.join("schema.sql"), SALES_SCHEMA).unwrap();
    std::fs::write(
        scripted.join("migration-studio.toml"),
        sales_manifest("[[inputs]]\npath = \"schema.sql\"\n"),
    )
    .unwrap();

    let live = common::ScratchPg::new("live_sales");
    common::psql(&live.name, &["-q"], Some(SALES_SCHEMA));
    let live_root = dir.path().join("live");
    std::fs::create_dir_all(&live_root).unwrap();
    std::fs::write(
        live_root.join("migration-studio.toml"),
        sales_manifest(
            "[[inputs]]\nlive = \"production\"\nurl_env = \"MS_TEST_LIVE_SALES_URL\"\nschemas = [\"public\", \"sales\"]\n",
        ),
    )
    .unwrap();
    std::env::set_var("MS_TEST_LIVE_SALES_URL", live.url());

    for root in [&scripted, &live_root] {
        let project = Project::open(root).unwrap();
        project
            .import()
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", root.display()));
        let report = rehearsal::rehearse(&project, &options("postgres"))
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", root.display()));
        assert_eq!(
            report.verdict,
            Verdict::Pass,
            "{}: {:?}",
            root.display(),
            report.failed_because
        );
        assert_eq!(report.source_rows, 450, "{}", root.display());
        assert_eq!(report.mismatched_rows, 0);
        nothing_left(&report.id);
    }
    // Sampled to 2 %, the live copy reads orders 1–19 and customers 1–19, then fetches
    // customer 20, which order 19 references.
    let report = rehearsal::rehearse(
        &Project::open(&live_root).unwrap(),
        &sampled("postgres", 0.02),
    )
    .await
    .unwrap();
    assert_eq!(report.verdict, Verdict::Pass, "{}", why(&report));
    assert_eq!(report.source_rows, 19 + 20);
    nothing_left(&report.id);
}

/// Edge values written while the rehearsal runs: a zero date arrives by its counted rule, a
/// time PostgreSQL cannot store is refused and kept — during the backfill or the catch-up,
/// whichever meets it — and the rehearsal ends with a report whose mismatch gate names the row
/// instead of dying.
#[tokio::test]
async fn edge_values_written_during_the_rehearsal_are_converted_or_refused_with_a_report() {
    use migration_studio::rehearsal::state::{RunState, Stage};
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("edge");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(
        root.join("schema.sql"),
        "CREATE TABLE ev (id INT AUTO_INCREMENT PRIMARY KEY, d DATE NULL, t TIME NULL, pad VARCHAR(100) NOT NULL);\n\
         INSERT INTO ev (d, t, pad) SELECT '2024-01-01', '12:00:00', REPEAT('x', 100) FROM seq_1_to_3000;\n",
    )
    .unwrap();
    std::fs::write(
        root.join("migration-studio.toml"),
        "name = \"edge\"\nshape = \"cdc\"\nrto_minutes = 30\nmaintenance_window_minutes = 60\n\n\
         [source]\nengine = \"mysql\"\n\n[target]\nengine = \"postgres\"\n\n[[inputs]]\npath = \"schema.sql\"\n",
    )
    .unwrap();
    let project = Project::open(&root).unwrap();
    project.import().await.unwrap();
    let options = RehearsalOptions {
        backfill_rows_per_second: Some(600.0),
        provider: migration_studio::rehearsal::ProviderChoice::Local,
        ..options("mysql")
    };
    let writer = {
        let root = root.clone();
        std::thread::spawn(move || {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
            loop {
                if let Some(state) = RunState::unfinished(&root).pop() {
                    if state.stage == Stage::Backfill {
                        let source = format!("ms_rh_{}_src", state.id.replace('-', "_"));
                        mariadb(
                            &source,
                            &["-e", "SET SESSION sql_mode = ''; \
                                     INSERT INTO ev (id, d, t, pad) VALUES (90001, '0000-00-00', '01:00:00', 'zero date'), \
                                     (90002, '2024-01-02', '838:59:59', 'too long a time')"],
                            None,
                        );
                        return;
                    }
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "the backfill never started"
                );
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        })
    };
    let report = rehearsal::rehearse(&project, &options)
        .await
        .expect("a refused value ends in a report, not an error");
    writer.join().unwrap();
    assert_eq!(report.verdict, Verdict::Fail);
    // The refused row is an error at the first go/no-go (G003), or a mismatch at the final
    // one (G001) when the catch-up met it: either way the runbook stops at a no-go.
    let why = report.failed_because.as_deref().unwrap_or_default();
    assert!(why.starts_with("G003") || why.starts_with("G001"), "{why}");
    let no_go = report
        .runbook
        .iter()
        .find(|r| r.outcome == migration_studio::rehearsal::StepOutcome::NoGo)
        .expect("a no-go step");
    assert!(no_go.detail.contains(&why[..4]), "{no_go:?}");
    assert!(report
        .runbook
        .iter()
        .skip_while(|r| r.step_id != no_go.step_id)
        .skip(1)
        .all(|r| matches!(
            r.outcome,
            migration_studio::rehearsal::StepOutcome::NotReached
                | migration_studio::rehearsal::StepOutcome::PastPointOfNoReturn
        )));
    assert!(report.rejected_rows + report.capture_rejected >= 1);
    let zero_dates: u64 = report
        .converted
        .values()
        .flatten()
        .filter(|c| c.column == "d" && c.rule == migration_studio::data::Rule::ZeroDateToNull)
        .map(|c| c.count)
        .sum();
    assert!(zero_dates >= 1, "{:?}", report.converted);
    nothing_left(&report.id);
}
