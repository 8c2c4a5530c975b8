//! Fault drills during a real rehearsal (MariaDB → PostgreSQL, local provider): the backfill is
//! dropped mid-chunk and resumed, the target's sessions are terminated mid-batch, and rows the
//! target refuses are planted. Rows lost 0, duplicates 0, the planted rows kept as rejects. A
//! row changed on the target behind the capture's back is found before the cutover.

mod common;

use common::{psql, sample};
use migration_studio::project::Project;
use migration_studio::rehearsal::drills::Drills;
use migration_studio::rehearsal::{self, RehearsalError, RehearsalOptions, Verdict};

fn options(source: &str) -> RehearsalOptions {
    RehearsalOptions {
        source_server: source.into(),
        target_server: "postgres://postgres@127.0.0.1:5432".into(),
        workload_rate: 40.0,
        run_id: Some(rehearsal::new_run_id()),
        ..RehearsalOptions::default()
    }
}

#[tokio::test]
async fn every_drill_at_once_loses_nothing_and_keeps_the_planted_rejects() {
    let (_dir, root) = sample("sakila-mysql-to-postgres");
    let project = Project::open(&root).unwrap();
    let options = RehearsalOptions {
        drills: Drills {
            kill_backfill: true,
            drop_connection: true,
            plant_rejects: 4,
            ..Drills::default()
        },
        keep: true,
        ..options("mysql://root@127.0.0.1:3306")
    };
    let report = rehearsal::rehearse(&project, &options).await.unwrap();
    let id = report.id.replace('-', "_");
    let rejects = psql(
        &format!("ms_rh_{id}_tgt"),
        &[
            "-At",
            "-c",
            "SELECT table_name || ' ' || reason FROM _migration_studio_reject ORDER BY row_key",
        ],
        None,
    );
    let (provider, _) = rehearsal::choose_provider(&project, &options)
        .await
        .unwrap();
    rehearsal::drop_scratch(&report.id, &provider).await;

    assert_eq!(report.verdict, Verdict::Pass, "{:?}", report.failed_because);
    assert_eq!(report.rows_lost, 0, "rows lost");
    assert_eq!(report.duplicate_rows, 0, "duplicate rows");
    assert_eq!(
        report.rejected_rows, 4,
        "exactly the planted rows are rejected"
    );
    let lines: Vec<&str> = rejects.lines().collect();
    assert_eq!(lines.len(), 4, "{rejects}");
    assert!(
        lines.iter().all(|l| l.contains("0x00")),
        "each reject says why: {rejects}"
    );
    let drill = |name: &str| report.drills.iter().find(|d| d.name == name).unwrap();
    assert_eq!(drill("plant-rejects").planted, 4);
    assert!(drill("kill-backfill").resume_seconds.is_some());
    assert!(drill("drop-connection").sessions_dropped >= 1);
    assert_eq!(report.rollback_mismatched_rows, 0);
    let md = rehearsal::report::markdown(&report);
    assert!(md.contains("Rows lost: 0; duplicate rows: 0; rejected rows kept: 4;"));
}

#[tokio::test]
async fn planting_rejects_in_a_postgresql_source_is_refused_with_the_reason() {
    let (_dir, root) = sample("pagila-postgres-upgrade");
    let project = Project::open(&root).unwrap();
    let options = RehearsalOptions {
        drills: Drills {
            plant_rejects: 3,
            ..Drills::default()
        },
        // Pagila is an upgrade, 15 -> 17; the machine's servers are one version.
        same_version: true,
        ..options("postgres://postgres@127.0.0.1:5432")
    };
    let err = rehearsal::rehearse(&project, &options).await.unwrap_err();
    assert!(matches!(err, RehearsalError::Drill(_)), "{err}");
    assert!(err.to_string().contains("MySQL or MariaDB source"), "{err}");
}

#[tokio::test]
async fn a_row_changed_on_the_target_behind_the_capture_is_found_by_the_final_validation() {
    let (_dir, root) = sample("sakila-mysql-to-postgres");
    let project = Project::open(&root).unwrap();
    let options = RehearsalOptions {
        drills: Drills {
            target_drift: true,
            ..Drills::default()
        },
        ..options("mysql://root@127.0.0.1:3306")
    };
    let report = rehearsal::rehearse(&project, &options).await.unwrap();
    let (provider, _) = rehearsal::choose_provider(&project, &options)
        .await
        .unwrap();
    rehearsal::drop_scratch(&report.id, &provider).await;

    use migration_studio::plan::StepAction as A;
    use migration_studio::rehearsal::StepOutcome as O;
    let drill = report
        .drills
        .iter()
        .find(|d| d.name == "target-drift")
        .unwrap();
    // One of Sakila's smallest tables (`staff`, 2 rows, by the catalog's estimate).
    assert!(
        drill
            .detail
            .contains("of the row with key (1) changed on the target"),
        "{drill:?}"
    );
    // No changelog entry names the row and the counts are equal: the incremental final
    // validation's re-check (the table is small, so compared whole) finds it.
    let last = report
        .runbook
        .iter()
        .find(|r| r.action == A::FinalValidation)
        .unwrap();
    assert!(last.detail.contains("checked incrementally"), "{last:?}");
    assert!(last.detail.contains("V003"), "{last:?}");
    assert_eq!(last.rows, Some(1), "{last:?}");
    assert_eq!(report.verdict, Verdict::Fail);
    assert!(
        report
            .failed_because
            .as_deref()
            .unwrap_or_default()
            .starts_with("G001"),
        "{:?}",
        report.failed_because
    );
    let after: Vec<_> = report
        .runbook
        .iter()
        .skip_while(|r| r.action != A::FinalValidation)
        .skip(1)
        .collect();
    assert_eq!(
        after.first().map(|r| (r.action, r.outcome)),
        Some((A::GoNoGo, O::NoGo))
    );
    assert!(
        report
            .runbook
            .iter()
            .all(|r| r.action != A::SwitchWrites || r.outcome == O::NotReached),
        "writes never switched to a drifted target"
    );
}

/// A key sequence set back on the target before the final validation leaves every row equal,
/// but the application's first insert after the cutover would draw a key that exists: the
/// final validation's constraint check names it and G012 says no-go, so writes never switch.
#[tokio::test]
async fn a_key_sequence_set_back_on_the_target_stops_the_cutover_with_g012() {
    let (_dir, root) = sample("sakila-mysql-to-postgres");
    let project = Project::open(&root).unwrap();
    let options = RehearsalOptions {
        drills: Drills {
            sequence_drift: true,
            ..Drills::default()
        },
        ..options("mysql://root@127.0.0.1:3306")
    };
    let report = rehearsal::rehearse(&project, &options).await.unwrap();
    let (provider, _) = rehearsal::choose_provider(&project, &options)
        .await
        .unwrap();
    rehearsal::drop_scratch(&report.id, &provider).await;

    use migration_studio::plan::StepAction as A;
    use migration_studio::rehearsal::StepOutcome as O;
    let drill = report
        .drills
        .iter()
        .find(|d| d.name == "sequence-drift")
        .unwrap();
    // Sakila's first table with a generated key, in the plan's order.
    assert!(
        drill.detail.contains("set back to 1 on the target"),
        "{drill:?}"
    );
    assert_eq!(report.rows_lost, 0);
    assert_eq!(report.verdict, Verdict::Fail);
    let because = report.failed_because.as_deref().unwrap_or_default();
    assert!(because.starts_with("G012"), "{because}");
    // The failure names the table whose generated key would collide.
    let behind = drill.detail.split("(behind ").nth(1).unwrap();
    let table = behind.split('.').nth(1).unwrap().trim_matches('"');
    assert!(
        because.contains(&format!("{table} ")),
        "{because} / {drill:?}"
    );
    let go = report
        .runbook
        .iter()
        .skip_while(|r| r.action != A::FinalValidation)
        .find(|r| r.action == A::GoNoGo)
        .unwrap();
    assert_eq!(go.outcome, O::NoGo, "{go:?}");
    assert!(
        report
            .runbook
            .iter()
            .all(|r| r.action != A::SwitchWrites || r.outcome == O::NotReached),
        "writes never switched to a target whose next insert collides"
    );
}
