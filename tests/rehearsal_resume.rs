//! `rehearse --resume` after the rehearsal process was killed with SIGKILL, during the backfill
//! and during the catch-up: the run goes on from its saved progress and ends with no row lost
//! and none duplicated (validation: 0 missing, 0 extra, 0 changed), then cleans up.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::sample;
use migration_studio::rehearsal::state::{RunState, Stage};
use migration_studio::rehearsal::{RehearsalReport, Verdict};

fn cli() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_migration-studio"));
    // The machine's own servers: the test kills the process, so what it made must be findable.
    c.env_remove("DOCKER_HOST");
    c
}

/// Starts a rehearsal slow enough to be killed where the test wants: a paced backfill and a
/// steady workload whose changes pile up for the catch-up to apply in small batches.
fn start(root: &Path) -> Child {
    cli()
        .arg("rehearse")
        .arg(root)
        .args(["--provider", "local", "--json", "--rate", "150"])
        .args([
            "--backfill-rows-per-second",
            "2500",
            "--apply-batch-rows",
            "20",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Waits until the run's saved state satisfies `ready`, then kills the process with SIGKILL.
fn kill_when(mut child: Child, root: &Path, ready: impl Fn(&RunState) -> bool) -> RunState {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        if let Some(state) = RunState::unfinished(root).pop() {
            if ready(&state) {
                child.kill().unwrap(); // SIGKILL: no cleanup of any kind runs
                child.wait().unwrap();
                return RunState::unfinished(root).pop().unwrap();
            }
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the rehearsal ended ({status}) before the point the test kills it at");
        }
        assert!(Instant::now() < deadline, "never reached the kill point");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn resume(root: &Path) -> RehearsalReport {
    let out = cli()
        .arg("rehearse")
        .arg(root)
        .args(["--resume", "--json", "--rate", "150"])
        .output()
        .unwrap();
    // A failed run still prints its report: its steps say which rows differed and why.
    let steps: String = serde_json::from_slice::<RehearsalReport>(&out.stdout)
        .map(|r| {
            r.runbook
                .iter()
                .map(|s| format!("\n  {}: {}", s.title, s.detail))
                .collect()
        })
        .unwrap_or_default();
    assert!(
        out.status.success(),
        "resume failed: {}{steps}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn backfill_log(root: &Path, id: &str) -> PathBuf {
    migration_studio::rehearsal::state::run_dir(root, id).join("backfill.log.jsonl")
}

fn chunks_committed(root: &Path, id: &str) -> usize {
    std::fs::read_to_string(backfill_log(root, id))
        .map(|t| t.lines().filter(|l| l.contains("\"chunk_commit\"")).count())
        .unwrap_or(0)
}

/// Nothing of run `id` is left: no scratch database on either server, no saved state.
fn nothing_left(root: &Path, id: &str) {
    common::no_scratch_databases(id);
    assert!(RunState::unfinished(root).is_empty(), "saved state left");
}

fn assert_nothing_lost(report: &RehearsalReport, stage: &str) {
    assert_eq!(report.verdict, Verdict::Pass, "{:?}", report.failed_because);
    assert_eq!(report.source_rows, 47_273);
    assert_eq!(
        report.mismatched_rows, 0,
        "rows lost, duplicated or different after the resume"
    );
    assert_eq!(report.rollback_mismatched_rows, 0);
    assert_eq!(report.interruptions.len(), 1);
    assert_eq!(report.interruptions[0].stage, stage);
    assert!(report.steps.iter().any(|s| s.name.starts_with("resume")));
}

#[test]
fn killed_during_backfill_resumes_from_checkpoints_without_loss() {
    let (_dir, root) = sample("sakila-mysql-to-postgres");
    let child = start(&root);
    let killed = kill_when(child, &root, |s| {
        s.stage == Stage::Backfill && chunks_committed(&root, &s.id) >= 3
    });
    assert_eq!(killed.stage, Stage::Backfill);
    let before = chunks_committed(&root, &killed.id);
    let report = resume(&root);
    assert_eq!(report.id, killed.id);
    assert_nothing_lost(&report, "backfill");
    // The resumed backfill went on from its checkpoints rather than starting over.
    assert!(chunks_committed(&root, &killed.id) > before);
    nothing_left(&root, &killed.id);
}

#[test]
fn killed_during_catch_up_resumes_from_the_last_applied_change_without_loss() {
    let (_dir, root) = sample("sakila-mysql-to-postgres");
    let child = start(&root);
    let killed = kill_when(child, &root, |s| s.stage == Stage::CatchUp && s.applied > 0);
    assert_eq!(killed.stage, Stage::CatchUp);
    let report = resume(&root);
    assert_eq!(report.id, killed.id);
    assert_nothing_lost(&report, "catch-up");
    nothing_left(&root, &killed.id);
}

/// Through a mapping spec (actor renamed, a column renamed, one derived, one merged): killed
/// during the catch-up, the resumed run applies the captured changes through the same rules
/// and validates clean through them, rollback included. (The first run made `performer` on
/// the target before it was killed: a resume that lost the spec would apply `actor`'s changes
/// by the default mapping and fail.)
#[test]
fn killed_during_catch_up_through_a_mapping_spec_resumes_without_loss() {
    let (_dir, root) = sample("sakila-mysql-to-postgres");
    common::with_actor_spec(&root);
    let child = start(&root);
    let killed = kill_when(child, &root, |s| s.stage == Stage::CatchUp && s.applied > 0);
    let report = resume(&root);
    assert_eq!(report.id, killed.id);
    assert_nothing_lost(&report, "catch-up");
    nothing_left(&root, &killed.id);
}

#[test]
fn resume_without_an_unfinished_run_says_so() {
    let (_dir, root) = sample("sakila-mysql-to-postgres");
    let out = cli()
        .arg("rehearse")
        .arg(&root)
        .args(["--resume", "--provider", "local"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no unfinished rehearsal"), "{err}");
}

/// SIGTERM (a CI timeout, a service manager) and SIGHUP (the terminal closed) stop a rehearsal
/// as Ctrl-C does: its scratch databases are dropped and it is no longer offered for resume.
#[test]
fn sigterm_and_sighup_clean_up_and_leave_nothing_to_resume() {
    for signal in ["-TERM", "-HUP"] {
        let (_dir, root) = sample("sakila-mysql-to-postgres");
        let mut child = start(&root);
        let deadline = Instant::now() + Duration::from_secs(180);
        let state = loop {
            if let Some(state) = RunState::unfinished(&root).pop() {
                if state.stage == Stage::Backfill && chunks_committed(&root, &state.id) >= 1 {
                    break state;
                }
            }
            assert!(
                child.try_wait().unwrap().is_none(),
                "ended before the signal"
            );
            assert!(Instant::now() < deadline, "never reached the backfill");
            std::thread::sleep(Duration::from_millis(20));
        };
        let sent = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let status = child.wait().unwrap();
        assert!(
            !status.success(),
            "{signal}: an interrupted rehearsal is not a success"
        );
        nothing_left(&root, &state.id);
        let out = cli()
            .arg("rehearse")
            .arg(&root)
            .args(["--resume", "--provider", "local"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("no unfinished rehearsal"), "{signal}: {err}");
    }
}
