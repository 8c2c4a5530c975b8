//! Every migration shape rehearsed for real on Sakila (MariaDB → PostgreSQL) with the
//! application's writes running: each runs its own runbook, step by step, and its report
//! shows that shape's write downtime and rollback against the window and the RTO.

mod common;

use common::sample;
use migration_studio::plan::{MigrationShape, StepAction as A};
use migration_studio::project::Project;
use migration_studio::rehearsal::{
    self, RehearsalOptions, RehearsalReport, StepOutcome as O, Verdict,
};

async fn rehearse(shape: MigrationShape) -> RehearsalReport {
    let (_dir, root) = sample("sakila-mysql-to-postgres");
    let project = Project::open(&root).unwrap();
    let report = rehearsal::rehearse(
        &project,
        &RehearsalOptions {
            shape: Some(shape),
            post_cutover_seconds: 1.0,
            ..RehearsalOptions::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(report.verdict, Verdict::Pass, "{:?}", report.failed_because);
    assert_eq!(report.shape, shape.to_string());
    assert_eq!(report.mismatched_rows, 0);
    assert_eq!(report.rollback_mismatched_rows, 0);
    assert!(report
        .gates
        .iter()
        .any(|g| g.code == "G004" && g.passed && g.limit == report.rto_seconds));
    // The report's rows are the runbook's steps, by id, in order.
    for (n, row) in report.runbook.iter().enumerate() {
        assert_eq!(row.step_id, format!("S{:03}", n + 1));
    }
    common::no_scratch_databases(&report.id);
    report
}

fn outcome(report: &RehearsalReport, action: A) -> Vec<O> {
    report
        .runbook
        .iter()
        .filter(|r| r.action == action)
        .map(|r| r.outcome)
        .collect()
}

fn undone(report: &RehearsalReport, action: A) -> bool {
    report
        .rollback
        .iter()
        .any(|r| r.action == action && r.outcome == O::Undone)
}

#[tokio::test]
async fn offline_freezes_writes_for_the_whole_copy() {
    let report = rehearse(MigrationShape::Offline).await;
    assert_eq!(outcome(&report, A::FreezeWrites), [O::Done]);
    assert_eq!(outcome(&report, A::StartCapture), []);
    // Writes stop before the copy: the downtime is at least the whole copy.
    let copy: f64 = report
        .runbook
        .iter()
        .filter(|r| r.action == A::Backfill)
        .filter_map(|r| r.measured_seconds)
        .sum();
    assert!(copy > 0.0 && report.write_downtime_seconds >= copy);
    assert!(report
        .runbook
        .iter()
        .filter(|r| r.action == A::Backfill)
        .all(|r| r.source_writes == 0));
    assert!(report.gates.iter().any(|g| g.code == "G005" && g.passed));
    // Resuming writes on the target cannot be undone: the drill runs before it.
    assert_eq!(outcome(&report, A::ResumeWrites), [O::PastPointOfNoReturn]);
    assert!(undone(&report, A::FreezeWrites));
}

#[tokio::test]
async fn dual_write_writes_both_sides_and_detects_drift() {
    let report = rehearse(MigrationShape::DualWrite).await;
    assert_eq!(outcome(&report, A::StartDualWrite), [O::Done]);
    assert_eq!(outcome(&report, A::SwitchReads), [O::Done]);
    let drift = report
        .runbook
        .iter()
        .find(|r| r.action == A::Validate)
        .unwrap();
    assert!(drift.detail.starts_with("drift detection"), "{drift:?}");
    assert_eq!(drift.rows, Some(0), "no drift");
    // The application never stops writing: no freeze, no write downtime.
    assert_eq!(report.write_downtime_seconds, 0.0);
    assert!(report.workload_source.writes() > 0);
    assert!(report
        .runbook
        .iter()
        .filter(|r| r.action == A::Backfill)
        .any(|r| r.source_writes > 0));
    assert_eq!(
        outcome(&report, A::StopSourceWrites),
        [O::PastPointOfNoReturn]
    );
    assert!(undone(&report, A::SwitchReads) && undone(&report, A::StartDualWrite));
    assert!(report.gates.iter().any(|g| g.code == "G006" && g.passed));
}

#[tokio::test]
async fn blue_green_keeps_a_standby_in_sync_and_switches_back() {
    let report = rehearse(MigrationShape::BlueGreen).await;
    assert_eq!(outcome(&report, A::StartReplication), [O::Done]);
    assert_eq!(outcome(&report, A::SwitchWrites), [O::Done]);
    assert_eq!(outcome(&report, A::StartReverseCapture), [O::Done]);
    assert!(report.workload_source.writes() >= 200);
    assert!(report.workload_target.writes() > 0);
    assert!(report.write_downtime_seconds > 0.0);
    assert!(report.rollback_seconds > 0.0);
    assert!(undone(&report, A::SwitchWrites));
    assert!(report.gates.iter().any(|g| g.code == "G002" && g.passed));
    assert!(report.gates.iter().any(|g| g.code == "G006" && g.passed));
}

/// `--shape` overrides the manifest's shape on the command line, and the JSON report's rows
/// are the runbook's step ids.
#[test]
fn the_cli_rehearses_the_shape_it_is_given() {
    let (_dir, root) = sample("sakila-mysql-to-postgres");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_migration-studio"))
        .env_remove("DOCKER_HOST")
        .arg("rehearse")
        .arg(&root)
        .args(["--provider", "local", "--json", "--shape", "offline"])
        .args(["--workload-rate", "50", "--post-cutover-seconds", "0.5"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: RehearsalReport = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report.shape, "offline");
    assert_eq!(report.runbook[0].step_id, "S001");
    assert!(report.runbook.iter().any(|r| r.action == A::FreezeWrites));
    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_migration-studio"))
        .args(["rehearse", "--shape", "sideways"])
        .arg(&root)
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2), "a bad shape is bad input");
}
