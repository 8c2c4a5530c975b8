//! The rollback drill: the steps done are undone in reverse order by their rollback actions,
//! and the time until the application writes the source again is measured against the RTO.
//!
//! The way back for a switched cutover is the runbook's: the application stops writing the
//! target, what it wrote there is replayed into the source from the reverse changelog, the
//! target is compared against the source (G006: nothing the target received may be missing),
//! and writes resume on the source. Steps whose rollback only concerns the target (its tables,
//! rows, keys) are undone by dropping it, which the run's teardown does.

use std::time::Instant;

use super::capture;
use super::execute::compare;
use super::gates::GateResult;
use super::interpret::Run;
use super::report::{StepOutcome, StepRow};
use super::setup::drain;
use super::{Clock, RehearsalError};
use crate::plan::{Step, StepAction};

/// Undoes `done` (the steps executed, in plan order) from the last one back.
pub(super) async fn drill(
    run: &mut Run<'_>,
    clock: &mut Clock,
    done: &[&Step],
) -> Result<(), RehearsalError> {
    let t0 = clock.now();
    clock.begin("rollback drill", Some(run.report.rto_seconds));
    for step in done.iter().rev() {
        let Some(rollback) = step.rollback.as_ref() else {
            continue;
        };
        // Read-only steps and decisions leave nothing to undo.
        if matches!(
            step.action,
            StepAction::GoNoGo
                | StepAction::Validate
                | StepAction::FinalValidation
                | StepAction::Verify
                | StepAction::CatchUp
                | StepAction::FinalCatchUp
                | StepAction::UpgradeStatements
        ) {
            continue;
        }
        let started = clock.now();
        let (outcome, detail) = undo(run, clock, step).await?;
        if run.service_restored_at.is_none() && run.source_workload.is_some() {
            run.service_restored_at = Some(clock.now());
        }
        let name = format!("{} undo", step.id);
        clock.record(&name, started, Some(rollback.minutes * 60.0), None);
        run.report.rollback.push(StepRow {
            step_id: step.id.clone(),
            title: rollback.action.clone(),
            phase: step.phase,
            action: step.action,
            outcome,
            expected_seconds: rollback.minutes * 60.0,
            measured_seconds: Some(clock.now() - started),
            waited_seconds: None,
            rows: None,
            source_writes: 0,
            target_writes: 0,
            detail,
        });
    }
    // The application is back on the source when the drill restored its writes; a runbook
    // that never stopped them (dual write) was back at once.
    let restored = run.service_restored_at.unwrap_or(t0);
    run.report.rollback_seconds = (restored - t0).max(0.0);
    clock.record(
        "rollback drill",
        t0,
        Some(run.report.rto_seconds),
        Some(run.target_writes()),
    );
    run.report.gates.push(GateResult::at_most(
        "rollback time vs RTO",
        run.report.rollback_seconds,
        run.report.rto_seconds,
        " s",
    ));
    Ok(())
}

async fn undo(
    run: &mut Run<'_>,
    clock: &mut Clock,
    step: &Step,
) -> Result<(StepOutcome, String), RehearsalError> {
    Ok(match step.action {
        StepAction::StartReverseCapture => {
            // Keep-warm stops after the application's last write on the target is applied.
            stop_target_writes(run).await;
            let replayed = replay_reverse(run, clock).await?;
            (
                StepOutcome::Undone,
                format!(
                    "reverse capture stopped after {replayed} changes replayed into the source"
                ),
            )
        }
        StepAction::SwitchWrites if run.reverse_on => {
            stop_target_writes(run).await;
            let replayed = replay_reverse(run, clock).await?;
            capture::remove(&run.target, &run.reverse_routes).await?;
            run.reverse_on = false;
            let after = compare(run, true).await?;
            let missing: u64 = after
                .tables
                .iter()
                .map(|t| t.differences.total() + u64::from(t.error.is_some()))
                .sum();
            // Rows only in the source that the target refused are the planted rejects, not
            // writes the rollback lost.
            run.report.rollback_mismatched_rows = missing.saturating_sub(run.kept);
            run.report.gates.push(GateResult::at_most(
                "writes made on the target missing from the source after rollback",
                run.report.rollback_mismatched_rows as f64,
                0.0,
                "",
            ));
            // The keys the target generated came back explicitly: the source's own sequences
            // must pass them before its application inserts again.
            let tables = run.bplan.source_tables();
            let sequences = crate::backfill::sequences::set_past_copied_keys(&run.source, &tables)
                .await
                .map_err(crate::backfill::BackfillError::from)?;
            run.start_source_writes(None);
            (
                StepOutcome::Undone,
                format!(
                    "applications pointed back at the source: {replayed} changes replayed, {} target rows missing from the source, {} key sequences set past the replayed keys, writes resumed on the source",
                    run.report.rollback_mismatched_rows,
                    sequences.len()
                ),
            )
        }
        StepAction::SwitchWrites | StepAction::FreezeWrites => {
            if run.source_workload.is_none() {
                run.start_source_writes(None);
            }
            (
                StepOutcome::Undone,
                "writes resumed on the source".to_owned(),
            )
        }
        StepAction::StartDualWrite => {
            if let Some(mirror) = run.stop_source_writes().await {
                run.absorb(&mirror);
            }
            // Every write went to the source first: the target holds nothing it lacks.
            let after = compare(run, true).await?;
            run.report.rollback_mismatched_rows = after
                .tables
                .iter()
                .map(|t| t.differences.total() + u64::from(t.error.is_some()))
                .sum::<u64>()
                .saturating_sub(run.kept);
            run.report.gates.push(GateResult::at_most(
                "writes made on the target missing from the source after rollback",
                run.report.rollback_mismatched_rows as f64,
                0.0,
                "",
            ));
            run.start_source_writes(None);
            if run.capture_on {
                capture::remove(&run.source, &run.forward).await?;
                run.capture_on = false;
            }
            (
                StepOutcome::Undone,
                "dual write off: the application writes the source only".to_owned(),
            )
        }
        StepAction::SwitchReads => {
            run.reads_on_target = false;
            (
                StepOutcome::Undone,
                "reads served by the source again".to_owned(),
            )
        }
        StepAction::StartCapture | StepAction::StartReplication => {
            if let Some(standby) = run.standby.take() {
                run.standby_failures += standby.failures();
                if let Ok(applier) = standby.stop().await {
                    run.absorb(&applier);
                }
            }
            if run.capture_on {
                capture::remove(&run.source, &run.forward).await?;
                run.capture_on = false;
            }
            (
                StepOutcome::Undone,
                "change capture removed from the source".to_owned(),
            )
        }
        StepAction::PrepareTarget
        | StepAction::Backfill
        | StepAction::CreateConstraints
        | StepAction::CreateViewsAndTriggers => (
            StepOutcome::UndoneByTeardown,
            "the target's scratch database is dropped with the run".to_owned(),
        ),
        StepAction::Announce => (
            StepOutcome::Recorded,
            "no machine action in a rehearsal: recorded".to_owned(),
        ),
        _ => (
            StepOutcome::Undone,
            step.rollback
                .as_ref()
                .map_or_else(String::new, |r| r.action.clone()),
        ),
    })
}

async fn stop_target_writes(run: &mut Run<'_>) {
    if let Some(w) = run.target_workload.take() {
        run.target_memory = w.stop().await;
    }
}

/// Replays what the target captured into the source until nothing is pending. Returns the
/// changes replayed.
async fn replay_reverse(run: &mut Run<'_>, clock: &mut Clock) -> Result<i64, RehearsalError> {
    let mut applier = match run.keep_warm.take() {
        Some(standby) => {
            run.standby_failures += standby.failures();
            standby.stop().await.map_err(RehearsalError::Drill)?
        }
        None => match run.reverse.take() {
            Some(a) => a,
            None => super::execute::reverse_applier(run),
        },
    };
    let before = Instant::now();
    let start = applier.applied;
    let drained = drain(
        &mut applier,
        clock,
        &mut run.report.lag,
        "rollback",
        run.options,
        0.0,
        None,
    )
    .await;
    run.absorb(&applier);
    applier.refused = 0;
    applier.converted.clear();
    let replayed = applier.applied - start;
    run.reverse = Some(applier);
    drained?;
    tracing::debug!(
        seconds = before.elapsed().as_secs_f64(),
        replayed,
        "reverse changes replayed"
    );
    Ok(replayed)
}
