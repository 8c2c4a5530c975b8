//! The executor of each [`StepAction`]: what a rehearsal does for a runbook step, on the
//! scratch databases, with the application's writes simulated by the workload.
//!
//! The same action behaves as the shape's runbook says: `Validate` compares with writes
//! running in a CDC or blue-green runbook (differences there are changes in flight, judged
//! after the freeze), with writes frozen in an offline one, and as drift detection in a
//! dual-write one (the simulated dual writer paused while both sides are compared).

use std::time::{Duration, Instant};

use super::capture::{self, Applier};
use super::gates::GateResult;
use super::interpret::{lag_phase, Outcome, Run};
use super::report::{StepOutcome, StepRow};
use super::setup::{drain, exec_all, save};
use super::standby::Standby;
use super::state::{RunState, Stage};
use super::workload::Workload;
use super::{Clock, RehearsalError};
use crate::backfill::{self, BackfillOptions, RunLog};
use crate::import::live::import_live;
use crate::plan::{MigrationShape, Step, StepAction};
use crate::validate;

/// Differences a pinned full validation lists per kind and table: past it, the gate cannot
/// tell a difference in flight from a standing one, and counts it as standing.
const PINNED_SHOW: usize = 100_000;

/// Runs `step` (any action but [`StepAction::Backfill`], which runs by batches).
pub(super) async fn step(
    run: &mut Run<'_>,
    clock: &mut Clock,
    state: &mut RunState,
    step: &Step,
) -> Result<Outcome, RehearsalError> {
    match step.action {
        StepAction::PrepareTarget => prepare_target(run).await,
        StepAction::StartCapture | StepAction::StartReplication => start_capture(run).await,
        StepAction::StartDualWrite => start_dual_write(run).await,
        StepAction::Backfill => {
            backfill(run, clock, state, &[step]).await?;
            Ok(Outcome::done("copied"))
        }
        StepAction::CreateConstraints => constraints(run).await,
        StepAction::CreateViewsAndTriggers => Ok(Outcome {
            outcome: StepOutcome::Recorded,
            rows: None,
            detail: "not executed: the rehearsal's target has the tables, keys and indexes; views and triggers are the project's DDL, not translated across engines".into(),
            waited_seconds: None,
        }),
        StepAction::CatchUp => catch_up(run, clock, state, step).await,
        StepAction::Validate => validate_step(run).await,
        StepAction::GoNoGo => Ok(go_no_go(run)),
        StepAction::FreezeWrites => freeze(run, clock, state).await,
        StepAction::FinalCatchUp => final_catch_up(run, clock, step).await,
        StepAction::FinalValidation => final_validation(run).await,
        StepAction::SwitchWrites => switch_writes(run, clock).await,
        StepAction::ResumeWrites => {
            let memory = std::mem::take(&mut run.target_memory);
            start_target_writes(run, memory).await?;
            Ok(Outcome::done("writes resumed on the target"))
        }
        StepAction::SwitchReads => {
            run.reads_on_target = true;
            let rows = super::setup::count_rows(&run.target, &target_catalog(run).await?).await?;
            Ok(Outcome::done(format!(
                "reads served by the target: every table answered ({rows} rows)"
            ))
            .rows(rows))
        }
        StepAction::StopSourceWrites => {
            if let Some(mirror) = run.stop_source_writes().await {
                run.absorb(&mirror);
            }
            let memory = std::mem::take(&mut run.target_memory);
            start_target_writes(run, memory).await?;
            Ok(Outcome::done(
                "the application writes the target only; the source no longer receives writes",
            ))
        }
        StepAction::StartReverseCapture => keep_warm(run).await,
        StepAction::Verify => verify(run).await,
        // The rehearsal's target builds its indexes under its own collations (a logical copy):
        // the statements are for a move that keeps index files (pg_upgrade, a physical standby).
        StepAction::UpgradeStatements => Ok(Outcome {
            outcome: StepOutcome::Recorded,
            rows: None,
            detail: "not executed: the rehearsal's copy built the target's indexes under the target's collations; the statements are for a move that keeps the index files (pg_upgrade, a physical standby)".into(),
            waited_seconds: None,
        }),
        StepAction::Announce | StepAction::Decommission => Ok(Outcome {
            outcome: StepOutcome::Recorded,
            rows: None,
            detail: "no machine action in a rehearsal: recorded".into(),
            waited_seconds: None,
        }),
    }
}

async fn target_catalog(run: &Run<'_>) -> Result<crate::inventory::Inventory, RehearsalError> {
    Ok(import_live(run.target.engine, &run.env.target_url, &run.target_schemas).await?)
}

async fn prepare_target(run: &mut Run<'_>) -> Result<Outcome, RehearsalError> {
    let created = if run.same_engine {
        0
    } else {
        let statements = run.bplan.create_tables_sql();
        exec_all(&run.target, &statements).await?;
        run.bplan.tables.len()
    };
    let catalog = target_catalog(run).await?;
    run.bplan.adopt_target_catalog(&catalog);
    Ok(Outcome::done(if run.same_engine {
        "the target's schema came from the project's scripts (an upgrade keeps its DDL)".into()
    } else {
        format!("{created} tables created on the target")
    }))
}

async fn start_capture(run: &mut Run<'_>) -> Result<Outcome, RehearsalError> {
    capture::install(&run.source, &run.forward).await?;
    run.capture_on = true;
    run.applier = Some(run.forward_applier(0));
    Ok(Outcome::done(format!(
        "change capture on {} tables of the source",
        run.forward.len()
    )))
}

async fn start_dual_write(run: &mut Run<'_>) -> Result<Outcome, RehearsalError> {
    // The dual writer's second write goes through the changelog, so a write the target
    // refused or missed is written again by the next pass rather than lost.
    capture::install(&run.source, &run.forward).await?;
    run.capture_on = true;
    let _ = run.stop_source_writes().await;
    let mirror = run.forward_applier(0);
    run.start_source_writes(Some(mirror));
    Ok(Outcome::done(format!(
        "the simulated application writes {} tables on both sides",
        run.forward.len()
    )))
}

/// Runs the backfill steps of `batch` as one backfill, each table measured on its own.
pub(super) async fn backfill(
    run: &mut Run<'_>,
    clock: &mut Clock,
    state: &mut RunState,
    batch: &[&Step],
) -> Result<(), RehearsalError> {
    if batch.is_empty() {
        return Ok(());
    }
    let first_batch = !run
        .plan
        .steps
        .iter()
        .any(|s| s.action == StepAction::Backfill && state.done.contains(&s.id));
    state.stage = Stage::Backfill;
    state.stage_started_seconds = clock.now();
    save(run.project, state, clock, &run.report.lag)?;
    // Each step's table in the backfill plan; the tables no step of the plan names are
    // copied with the first batch, so the rehearsal never leaves a table behind.
    let step_of =
        |label: &str, name: &str| batch.iter().position(|s| artifact_names(s, label, name));
    let named_anywhere = |label: &str, name: &str| {
        run.plan
            .steps
            .iter()
            .any(|s| s.action == StepAction::Backfill && artifact_names(s, label, name))
    };
    let mut sub = run.bplan.clone();
    sub.tables.retain(|t| {
        step_of(&t.label, &t.source.name.name).is_some()
            || (first_batch && !named_anywhere(&t.label, &t.source.name.name))
    });
    let started = clock.now();
    let (source_before, target_before) = (run.source_writes(), run.target_writes());
    for s in batch {
        clock.begin_step(
            &s.id,
            &s.title,
            Some(super::interpret::budget_seconds(s, run.options.scale)),
        );
    }
    let log = RunLog::open(
        &super::state::run_dir(run.project.root(), &run.report.id).join("backfill.log.jsonl"),
    )?;
    let options = BackfillOptions {
        run_id: run.report.id.clone(),
        max_rows_per_second: run.options.backfill_rows_per_second,
        conversion: run.project.manifest().data,
        ..BackfillOptions::default()
    };
    let no_drills = super::drills::Drills {
        plant_rejects: run.options.drills.plant_rejects,
        ..Default::default()
    };
    let report = super::drills::backfill_with_drills(
        run.env,
        &run.source,
        &run.target,
        &sub,
        &options,
        &log,
        if first_batch {
            &run.options.drills
        } else {
            &no_drills
        },
        &mut run.report.drills,
        clock.events.clone(),
    )
    .await?;
    run.report.rejected_rows += report.rejected();
    // Planted rows the target refused and the backfill kept are expected, not errors.
    let planted = run.report.drills.iter().map(|d| d.planted).sum::<u64>();
    run.kept = run.report.rejected_rows.min(planted);
    for t in report.tables.iter().filter(|t| !t.converted.is_empty()) {
        crate::data::rules::merge(
            run.report.converted.entry(t.source.clone()).or_default(),
            &t.converted,
        );
    }
    let writes = (
        run.source_writes() - source_before,
        run.target_writes() - target_before,
    );
    for (n, s) in batch.iter().enumerate() {
        let tables: Vec<&backfill::TableReport> = report
            .tables
            .iter()
            .filter(|t| {
                let name = t.source.rsplit('.').next().unwrap_or(&t.source);
                step_of(&t.source, name) == Some(n)
            })
            .collect();
        let rows: u64 = tables.iter().map(|t| t.rows).sum();
        let seconds: f64 = tables.iter().map(|t| t.seconds).sum();
        let expected = super::interpret::budget_seconds(s, run.options.scale);
        clock.record_measured(
            &s.id,
            &s.title,
            started,
            seconds,
            Some(expected),
            Some(rows),
        );
        run.report.runbook.push(StepRow {
            step_id: s.id.clone(),
            title: s.title.clone(),
            phase: s.phase,
            action: s.action,
            // A table the backfill plan leaves out (the spec drops it, or merges it into
            // another, whose step copies its rows) is this step's outcome, said why.
            outcome: if tables.is_empty() && skipped_reason(run, s).is_none() {
                StepOutcome::Failed
            } else {
                StepOutcome::Done
            },
            expected_seconds: expected,
            measured_seconds: Some(seconds),
            waited_seconds: None,
            rows: Some(rows),
            // The batch's writes, on its first row: its tables were copied together.
            source_writes: if n == 0 { writes.0 } else { 0 },
            target_writes: if n == 0 { writes.1 } else { 0 },
            detail: if tables.is_empty() {
                skipped_reason(run, s)
                    .unwrap_or_else(|| "no table of the rehearsal's source is this step's".into())
            } else {
                format!(
                    "{rows} rows copied ({} refused and kept) with the {} backfill steps of its run",
                    tables.iter().map(|t| t.rejected).sum::<u64>(),
                    batch.len()
                )
            },
        });
    }
    if let Some(workload) = run.source_workload.as_ref() {
        workload.resync().await;
    }
    // The capture's apply starts over from the first change captured: everything written
    // during the copy is applied as current rows (idempotent), so no change is lost to a
    // chunk copied before it.
    if let Some(applier) = run.applier.as_mut() {
        applier.applied = 0;
    }
    state.applied = 0;
    state.stage = Stage::CatchUp;
    state.stage_started_seconds = clock.now();
    Ok(())
}

/// Why the backfill plan leaves out backfill step `s`'s table, when it does.
fn skipped_reason(run: &Run<'_>, s: &Step) -> Option<String> {
    run.bplan
        .skipped
        .iter()
        .find(|t| {
            let name = t.table.rsplit('.').next().unwrap_or(&t.table);
            artifact_names(s, &t.table, name)
        })
        .map(|t| t.reason.clone())
}

/// Whether backfill step `s` is for the table labelled `label` (bare name `name`).
fn artifact_names(s: &Step, label: &str, name: &str) -> bool {
    let Some(artifact) = s.artifact.as_deref() else {
        return false;
    };
    let id = artifact.strip_prefix("table:").unwrap_or(artifact);
    id == label || id.rsplit('.').next() == Some(name)
}

async fn constraints(run: &mut Run<'_>) -> Result<Outcome, RehearsalError> {
    if run.same_engine {
        let sequences = set_sequences(run).await?;
        return Ok(Outcome::done(format!(
            "the target's keys and indexes came with its schema (an upgrade keeps its DDL){sequences}"
        )));
    }
    backfill::post_copy::apply(&run.target, &run.bplan.post_copy)
        .await
        .map_err(backfill::BackfillError::from)?;
    let sequences = set_sequences(run).await?;
    Ok(Outcome::done(format!(
        "{} foreign keys and indexes created on the target{sequences}",
        run.bplan.post_copy.len()
    )))
}

/// Sets the target's key sequences past the keys written so far (the copy and the applied
/// changes write keys explicitly; a PostgreSQL sequence does not follow them), so that the
/// validation after it finds them right and the application's first insert on the target
/// draws no key that exists. Returns the clause for the step's detail (`; N key sequences
/// set past the copied keys`, or empty).
async fn set_sequences(run: &Run<'_>) -> Result<String, RehearsalError> {
    let sequences =
        backfill::sequences::set_past_copied_keys(&run.target, &run.bplan.target_tables())
            .await
            .map_err(backfill::BackfillError::from)?;
    Ok(match sequences.len() {
        0 => String::new(),
        n => format!("; {n} key sequences set past the copied keys"),
    })
}

/// Lag of the source's changelog behind `applied`, the standby's position when one runs.
async fn pending(run: &Run<'_>) -> Result<(i64, f64), RehearsalError> {
    let applied = match (&run.standby, &run.applier) {
        (Some(standby), _) => standby.applied(),
        (None, Some(applier)) => applier.applied,
        (None, None) => return Ok((0, 0.0)),
    };
    Ok(capture::lag(&run.source, applied).await?)
}

async fn catch_up(
    run: &mut Run<'_>,
    clock: &mut Clock,
    state: &mut RunState,
    step: &Step,
) -> Result<Outcome, RehearsalError> {
    state.stage = Stage::CatchUp;
    state.stage_started_seconds = clock.now();
    let deadline = Instant::now() + Duration::from_secs_f64(run.options.catch_up_timeout_seconds);
    let start = run.applier.as_ref().map_or(0, |a| a.applied);
    // From here the capture is applied continuously, as a CDC pipeline or a replica does,
    // until the final catch-up drains it with writes frozen.
    if run.standby.is_none() {
        let applier = match run.applier.take() {
            Some(a) => a,
            None => run.forward_applier(state.applied),
        };
        run.standby = Some(Standby::follow(applier, run.options.apply_batch_rows));
    }
    // The workload writes until catch-up has real work: at least `min_source_writes`. Time
    // spent caught up, only waiting for those writes, is the rehearsal's, not the migration's.
    let mut waited = Duration::ZERO;
    let mut waiting_since: Option<Instant> = None;
    loop {
        let enough = run.source_writes() >= run.options.min_source_writes;
        let (pending, age) = pending(run).await?;
        run.report.lag.push(super::report::LagSample {
            at_seconds: clock.now(),
            phase: lag_phase(step).to_owned(),
            pending: pending as u64,
            age_seconds: age,
        });
        clock.emit(super::RehearsalEvent::Lag {
            phase: lag_phase(step).to_owned(),
            pending: pending as u64,
            age_seconds: age,
        });
        let caught_up = pending == 0 || (age < 1.0 && pending < 50);
        run.caught_up = caught_up;
        if caught_up && !enough {
            waiting_since.get_or_insert_with(Instant::now);
        } else if let Some(since) = waiting_since.take() {
            waited += since.elapsed();
        }
        if (caught_up && enough) || Instant::now() > deadline {
            waited += waiting_since.map_or(Duration::ZERO, |since| since.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut applied = state.applied;
    if let Some(standby) = run.standby.as_ref() {
        applied = standby.applied();
        // A resumed run starts again where nothing below is missing.
        state.applied = standby.floor();
    }
    let mut outcome = Outcome::done(format!(
        "{} captured changes applied; {} source writes so far",
        applied - start,
        run.source_writes()
    ))
    .rows((applied - start).max(0) as u64);
    outcome.waited_seconds = (!waited.is_zero()).then_some(waited.as_secs_f64());
    Ok(outcome)
}

/// Validation tables: the copied ones (the changelog and the markers exist on one side).
fn tables(run: &Run<'_>, reverse: bool) -> Vec<String> {
    run.bplan
        .tables
        .iter()
        .map(|t| {
            if reverse {
                t.mapping.target.to_string()
            } else {
                t.label.clone()
            }
        })
        .collect()
}

/// Validation settings of a rehearsal comparison (`reverse`: target against source,
/// constraints off), through the project's stated conversion rules and mapping spec.
fn compare_options(run: &Run<'_>, reverse: bool) -> validate::Options {
    validate::Options {
        tables: tables(run, reverse),
        constraints: !reverse,
        policy: run.project.manifest().data,
        mapping: run.spec.clone(),
        ..validate::Options::default()
    }
}

/// Compares source and target (`reverse`: target against source, constraints off). Through a
/// mapping spec, which maps the source onto the target and not back, the rows of both sides
/// are compared source against target all the same: a difference counts once either way.
pub(super) async fn compare(
    run: &Run<'_>,
    reverse: bool,
) -> Result<validate::Report, RehearsalError> {
    let sides_reversed = reverse && run.spec.is_none();
    let options = validate::Options {
        constraints: !reverse,
        computed: !reverse,
        ..compare_options(run, sides_reversed)
    };
    compare_with(run, sides_reversed, options).await
}

async fn compare_with(
    run: &Run<'_>,
    reverse: bool,
    options: validate::Options,
) -> Result<validate::Report, RehearsalError> {
    let (from, to) = if reverse {
        (&run.env.target_url, &run.env.source_url)
    } else {
        (&run.env.source_url, &run.env.target_url)
    };
    Ok(validate::validate_urls(
        from,
        to,
        &options,
        if reverse {
            &[]
        } else {
            &run.project.manifest().invariants
        },
        None,
        &validate::Silent,
    )
    .await?)
}

fn differences(report: &validate::Report) -> u64 {
    report
        .tables
        .iter()
        .map(|t| t.differences.total() + u64::from(t.error.is_some()))
        .sum()
}

/// A validation with writes quiet: its mismatches go to the next checkpoint's G001.
async fn quiet_validation(run: &mut Run<'_>) -> Result<(u64, String), RehearsalError> {
    let validation = compare(run, false).await?;
    Ok(judge_quiet(run, &validation, "compared with writes quiet"))
}

/// Records what a validation made with writes quiet found (rows lost, duplicated, the
/// mismatches the next checkpoint's G001 judges) and says it in a sentence: `how` the tables
/// were compared, then which rows differ.
fn judge_quiet(run: &mut Run<'_>, validation: &validate::Report, how: &str) -> (u64, String) {
    let mismatched = differences(validation);
    run.report.mismatched_rows = mismatched;
    run.report.validation_verdict = format!("{:?}", validation.verdict);
    // Planted rows the target refused and the backfill kept are expected to be missing.
    let planted = run.report.drills.iter().map(|d| d.planted).sum::<u64>();
    run.kept = run.report.rejected_rows.min(planted);
    let missing: u64 = validation
        .tables
        .iter()
        .map(|t| t.differences.missing.count)
        .sum();
    run.report.rows_lost = missing.saturating_sub(run.kept);
    run.report.duplicate_rows = validation
        .tables
        .iter()
        .map(|t| t.differences.extra.count)
        .sum();
    run.quiet_mismatches = Some(mismatched.saturating_sub(run.kept));
    // A generated key is the cutover's concern: before the freeze a dual writer or the applier
    // writes keys past the sequence, which is set again at the freeze.
    let frozen = run.frozen_at.is_some();
    let judged: Vec<(&str, &validate::report::ConstraintCheck)> = validation
        .tables
        .iter()
        .flat_map(|t| {
            t.constraints
                .iter()
                .map(move |c| (t.target_table.as_str(), c))
        })
        .filter(|(_, c)| frozen || c.kind != validate::report::ConstraintKind::GeneratedKey)
        .collect();
    let violating: Vec<String> = judged
        .iter()
        .filter(|(_, c)| c.violations > 0)
        .map(|(table, c)| format!("{table} {} ({} rows)", c.name, c.violations))
        .collect();
    run.quiet_violations = Some((
        judged.iter().map(|(_, c)| c.violations).sum(),
        violating.clone(),
    ));
    // Which rows, so a failed gate can be followed up from the report alone.
    let examples: Vec<String> = validation
        .tables
        .iter()
        .filter(|t| t.differences.total() > 0 || t.error.is_some())
        .map(|t| {
            let d = &t.differences;
            format!(
                "{}: missing {:?}, extra {:?}, changed {:?}{}",
                t.source_table,
                d.missing.first,
                d.extra.first,
                d.changed
                    .first
                    .iter()
                    .map(|c| (&c.key, &c.columns))
                    .collect::<Vec<_>>(),
                t.error
                    .as_ref()
                    .map(|e| format!(", error {e}"))
                    .unwrap_or_default()
            )
        })
        .take(5)
        .collect();
    // Which rows differ, then why each table failed (its coded failure lines).
    let said: Vec<String> = examples
        .into_iter()
        .chain(
            violating
                .into_iter()
                .take(5)
                .map(|v| format!("constraint violated: {v}")),
        )
        .chain(
            validation
                .tables
                .iter()
                .flat_map(|t| t.failures.iter().cloned())
                .take(5),
        )
        .collect();
    (
        mismatched,
        format!(
            "{} tables {how}: {mismatched} rows differ ({} expected: planted rejects kept){}",
            validation.tables.len(),
            run.kept,
            if said.is_empty() {
                String::new()
            } else {
                format!("; {}", said.join("; "))
            }
        ),
    )
}

/// The final validation, writes frozen and caught up. After a pinned full validation
/// ([`validate_step`] with writes running) it is incremental: the rows whose keys the source's
/// changelog names since the pinned position, exact counts and the sampled re-check
/// ([`validate::changed`]), judged together with the pinned run. Otherwise (no capture, or a
/// resumed run whose pin was lost) every table is compared again.
async fn final_validation(run: &mut Run<'_>) -> Result<Outcome, RehearsalError> {
    if run.options.drills.target_drift {
        let drifted =
            super::drills::plant_drift(&run.target, &run.bplan, &run.source_inventory).await?;
        run.report.drills.push(super::drills::DrillResult {
            name: "target-drift".into(),
            detail: match drifted {
                Some(d) => format!(
                    "{}.{} of the row with key ({}) changed on the target, behind the capture's back",
                    d.table, d.column, d.key
                ),
                None => "no copied table with a key has a text column to change: nothing planted".into(),
            },
            resume_seconds: None,
            sessions_dropped: 0,
            retries: 0,
            planted: 0,
        });
    }
    if run.options.drills.sequence_drift {
        let drifted = super::drills::plant_sequence_drift(&run.target, &run.bplan).await?;
        run.report.drills.push(super::drills::DrillResult {
            name: "sequence-drift".into(),
            detail: match drifted {
                Some((sequence, column)) => format!(
                    "{sequence} (behind {column}) set back to 1 on the target, behind the migration's back"
                ),
                None => "the target keeps no key sequence of a non-empty table: nothing planted".into(),
            },
            resume_seconds: None,
            sessions_dropped: 0,
            retries: 0,
            planted: 0,
        });
    }
    let Some(pinned) = run.pinned.take() else {
        let (mismatched, detail) = quiet_validation(run).await?;
        return Ok(Outcome::done(detail).rows(mismatched));
    };
    let upto = capture::position(&run.source).await?;
    let changed = capture::changed_keys(&run.source, &run.forward, pinned.position, upto).await?;
    let keys: usize = changed.values().map(Vec::len).sum();
    let incremental = validate::changed::validate_changed_urls(
        &run.env.source_url,
        &run.env.target_url,
        &changed,
        &compare_options(run, false),
        &validate::changed::Settings::default(),
        &run.project.manifest().invariants,
        &validate::Silent,
    )
    .await?;
    let gate = incremental.gate(&pinned.report);
    let (mismatched, detail) = judge_quiet(
        run,
        &gate,
        &format!(
            "checked incrementally: {keys} keys changed since position {} (to {upto}) compared, exact counts, a sampled re-check, with the pinned full validation",
            pinned.position
        ),
    );
    Ok(Outcome::done(detail).rows(mismatched))
}

async fn validate_step(run: &mut Run<'_>) -> Result<Outcome, RehearsalError> {
    let writes_running = run.source_workload.is_some();
    if !writes_running {
        let (mismatched, detail) = quiet_validation(run).await?;
        return Ok(Outcome::done(detail).rows(mismatched));
    }
    if run.shape == MigrationShape::DualWrite {
        // Drift detection compares both sides at rest: the simulated application pauses,
        // its last write reaches both sides, the tables are compared, and it goes on.
        let paused = Instant::now();
        let mirror = run.stop_source_writes().await;
        let result = quiet_validation(run).await;
        run.start_source_writes(mirror);
        let (mismatched, detail) = result?;
        return Ok(Outcome::done(format!(
            "drift detection: {detail}; the simulated dual writer paused {:.2} s for it",
            paused.elapsed().as_secs_f64()
        ))
        .rows(mismatched));
    }
    // Pinned to what was applied when it starts: every row written after that is named by the
    // changelog, so the final validation need only compare those again.
    let position = match (&run.standby, &run.applier) {
        (Some(standby), _) => Some(standby.floor()),
        (None, Some(applier)) => Some(applier.floor()),
        (None, None) => None,
    };
    let options = validate::Options {
        // The gate tells a pinned difference apart by its key: list every one, and compare
        // every row (the merge) rather than a sample whose misses name no key.
        strategy: validate::StrategyChoice::Merge,
        sample_rows: 0,
        show: PINNED_SHOW,
        ..compare_options(run, false)
    };
    let validation = compare_with(run, false, options).await?;
    let differing = differences(&validation);
    let pinned = match position {
        Some(position) if run.capture_on => {
            run.pinned = Some(super::interpret::Pinned {
                position,
                report: validation.clone(),
            });
            format!("; pinned to changelog position {position}")
        }
        _ => String::new(),
    };
    Ok(Outcome::done(format!(
        "{} tables compared with writes running: {differing} rows differed (changes in flight; the final validation, writes frozen, is the one judged){pinned}",
        validation.tables.len()
    ))
    .rows(differing))
}

/// Evaluates the gates measured since the last checkpoint.
fn go_no_go(run: &mut Run<'_>) -> Outcome {
    let gates = gates_now(run);
    let failed: Vec<String> = gates
        .iter()
        .filter(|g| !g.passed)
        .map(|g| g.reason.clone())
        .collect();
    let judged: Vec<String> = gates.iter().map(|g| g.code.clone()).collect();
    run.report.gates.extend(gates);
    if failed.is_empty() {
        Outcome {
            outcome: StepOutcome::Go,
            rows: None,
            detail: format!("go: {} gates passed ({})", judged.len(), judged.join(", ")),
            waited_seconds: None,
        }
    } else {
        Outcome {
            outcome: StepOutcome::NoGo,
            rows: None,
            detail: format!("no-go: {}", failed.join("; ")),
            waited_seconds: None,
        }
    }
}

/// The gates that have something new to judge: mismatches of the last quiet validation,
/// the lag at the freeze, errors so far, and the budgets of the steps measured since.
fn gates_now(run: &mut Run<'_>) -> Vec<GateResult> {
    let g = &run.project.manifest().gates;
    let mut gates = Vec::new();
    if let Some(mismatched) = run.quiet_mismatches.take() {
        gates.push(GateResult::at_most(
            "mismatched rows",
            mismatched as f64,
            g.max_mismatched_rows as f64,
            "",
        ));
    }
    if let Some((violations, violating)) = run.quiet_violations.take() {
        gates.push(
            GateResult::at_most(
                "constraint violations on the target",
                violations as f64,
                0.0,
                "",
            )
            .because(&violating.join("; ")),
        );
    }
    if run.frozen_at.is_some() && run.capture_on && !run.lag_judged {
        run.lag_judged = true;
        gates.push(GateResult::at_most(
            "lag at freeze",
            if run.caught_up {
                run.lag_at_freeze
            } else {
                f64::INFINITY
            },
            g.max_lag_seconds,
            " s",
        ));
    }
    let parts = [
        (
            "rows the backfill rejected",
            run.report.rejected_rows.saturating_sub(run.kept),
        ),
        ("changes the catch-up refused", run.report.capture_rejected),
        (
            "workload errors on the source",
            run.source_memory.stats().errors,
        ),
        (
            "workload errors on the target",
            run.target_memory.stats().errors,
        ),
        ("standby apply passes failed", run.standby_failures),
    ];
    let errors: u64 = parts.iter().map(|(_, n)| n).sum();
    let first_errors = [&run.source_memory, &run.target_memory]
        .into_iter()
        .filter_map(|m| m.first_error())
        .map(|e| format!("first: {e}"));
    let because = parts
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(what, n)| format!("{what} {n}"))
        .chain(first_errors)
        .collect::<Vec<_>>()
        .join(", ");
    gates.push(
        GateResult::at_most("errors", errors as f64, g.max_errors as f64, "").because(&because),
    );
    for row in run.report.runbook[run.budgets_judged..].iter() {
        if let (Some(measured), true) = (row.measured_seconds, row.expected_seconds > 0.0) {
            gates.push(GateResult::at_most(
                &format!("time of step `{} {}`", row.step_id, row.title),
                measured,
                row.expected_seconds * g.step_budget_factor,
                " s",
            ));
        }
    }
    run.budgets_judged = run.report.runbook.len();
    gates
}

async fn freeze(
    run: &mut Run<'_>,
    clock: &mut Clock,
    state: &mut RunState,
) -> Result<Outcome, RehearsalError> {
    let before = run.source_writes();
    // Downtime starts when the freeze is asked for: stopping the writers is part of it.
    run.frozen_at = Some(clock.now());
    if let Some(mirror) = run.stop_source_writes().await {
        run.absorb(&mirror);
    }
    state.stage = Stage::Frozen;
    let (pending, age) = pending(run).await?;
    run.lag_at_freeze = age;
    Ok(Outcome::done(format!(
        "writes stopped on the source after {before} writes; {pending} captured changes pending, the oldest {age:.2} s old"
    ))
    .rows(pending.max(0) as u64))
}

async fn final_catch_up(
    run: &mut Run<'_>,
    clock: &mut Clock,
    step: &Step,
) -> Result<Outcome, RehearsalError> {
    let (pending_at_start, _) = pending(run).await?;
    if let Some(standby) = run.standby.take() {
        // The standby stops; the drain below, writes stopped, applies what is left.
        run.standby_failures += standby.failures();
        let applier = standby.stop().await.map_err(RehearsalError::Drill)?;
        run.applier = Some(applier);
    }
    if let Some(mut applier) = run.applier.take() {
        let drained = drain(
            &mut applier,
            clock,
            &mut run.report.lag,
            lag_phase(step),
            run.options,
            0.0,
            None,
        )
        .await;
        run.absorb(&applier);
        applier.refused = 0;
        applier.converted.clear();
        run.applier = Some(applier);
        drained?;
    }
    let sequences = set_sequences(run).await?;
    Ok(Outcome::done(format!(
        "{pending_at_start} captured changes applied; lag 0{sequences}"
    ))
    .rows(pending_at_start.max(0) as u64))
}

async fn start_target_writes(
    run: &mut Run<'_>,
    memory: super::workload::WorkloadMemory,
) -> Result<(), RehearsalError> {
    let catalog = target_catalog(run).await?;
    run.target_base = memory.stats().writes();
    // The tables the source side leaves alone, under their target names too (a spec renames
    // or splits tables): a write replayed into one would fire the same application triggers.
    let mut avoid = run.avoid.clone();
    avoid.extend(run.bplan.target_names_of(&run.avoid));
    // A split's main table is written with the other tables of its split, which are only
    // updated on their own.
    let groups = run.bplan.split_groups();
    run.target_workload = Some(Workload::start(
        run.target.clone(),
        &catalog,
        super::workload::Scope {
            avoid: &avoid,
            companions: &groups,
        },
        run.workload_settings(1),
        memory,
    ));
    Ok(())
}

async fn switch_writes(run: &mut Run<'_>, clock: &mut Clock) -> Result<Outcome, RehearsalError> {
    // Again: a dual writer kept writing keys on the target since the last time.
    let sequences = set_sequences(run).await?;
    if run.shape == MigrationShape::Offline {
        if let Some(frozen) = run.frozen_at {
            run.report.write_downtime_seconds = clock.now() - frozen;
        }
        return Ok(Outcome::done(format!(
            "applications pointed at the target; writes resume there at the next step, past the point of no return{sequences}"
        )));
    }
    // Writes on the target are captured from the first one, for the way back.
    capture::install(&run.target, &run.reverse_routes).await?;
    run.reverse_on = true;
    let memory = std::mem::take(&mut run.target_memory);
    start_target_writes(run, memory).await?;
    if let Some(frozen) = run.frozen_at {
        run.report.write_downtime_seconds = clock.now() - frozen;
    }
    Ok(Outcome::done(format!(
        "the application writes the target (reverse capture on {} tables); write downtime {:.3} s{sequences}",
        run.reverse_routes.len(),
        run.report.write_downtime_seconds
    )))
}

/// A target → source applier from the start of the target's changelog.
pub(super) fn reverse_applier(run: &Run<'_>) -> Applier {
    Applier {
        from: run.target.clone(),
        to: run.source.clone(),
        routes: run.reverse_routes.clone(),
        applied: 0,
        run_id: run.report.id.clone(),
        policy: run.project.manifest().data,
        refused: 0,
        converted: Default::default(),
        skipped: Default::default(),
    }
}

async fn keep_warm(run: &mut Run<'_>) -> Result<Outcome, RehearsalError> {
    if !run.reverse_on {
        capture::install(&run.target, &run.reverse_routes).await?;
        run.reverse_on = true;
    }
    let applier = run.reverse.take().unwrap_or_else(|| reverse_applier(run));
    run.keep_warm = Some(Standby::follow(applier, run.options.apply_batch_rows));
    Ok(Outcome::done(
        "the target's writes are applied to the source in the background (keep-warm)",
    ))
}

async fn verify(run: &mut Run<'_>) -> Result<Outcome, RehearsalError> {
    tokio::time::sleep(Duration::from_secs_f64(run.options.post_cutover_seconds)).await;
    let catalog = target_catalog(run).await?;
    let rows = super::setup::count_rows(&run.target, &catalog).await?;
    Ok(Outcome::done(format!(
        "the application ran {:.1} s against the target; every table readable ({rows} rows)",
        run.options.post_cutover_seconds
    ))
    .rows(rows))
}

/// The gates judged at the end: whatever no checkpoint judged, the drills', the write
/// downtime against the window, the rollback against the RTO; then the verdict.
pub(super) fn final_gates(run: &mut Run<'_>) {
    if run.frozen_at.is_some() {
        run.report.downtime_split = downtime_split(&run.report.runbook);
    }
    let gates = gates_now(run);
    run.report.gates.extend(gates);
    if run.options.drills.any() {
        run.report.gates.push(GateResult::at_most(
            "rows lost",
            run.report.rows_lost as f64,
            0.0,
            "",
        ));
        run.report.gates.push(GateResult::at_most(
            "duplicate rows",
            run.report.duplicate_rows as f64,
            0.0,
            "",
        ));
    }
    let planted = run.report.drills.iter().map(|d| d.planted).sum::<u64>();
    if planted > 0 {
        run.report.gates.push(GateResult::at_most(
            "planted rows not kept as rejects",
            planted.saturating_sub(run.kept) as f64,
            0.0,
            "",
        ));
    }
    if run.frozen_at.is_some() && run.report.write_downtime_seconds > 0.0 {
        run.report.gates.push(GateResult::at_most(
            "write downtime",
            run.report.write_downtime_seconds,
            run.report.maintenance_window_seconds,
            " s",
        ));
    }
    run.report.decide();
}

/// Where the write downtime went, from the measured runbook rows of the actions between the
/// freeze and writes resuming on the target.
fn downtime_split(rows: &[StepRow]) -> super::report::DowntimeSplit {
    let seconds = |actions: &[StepAction]| -> f64 {
        rows.iter()
            .filter(|r| actions.contains(&r.action))
            .filter_map(|r| r.measured_seconds)
            .sum()
    };
    super::report::DowntimeSplit {
        freeze_seconds: seconds(&[StepAction::FreezeWrites]),
        final_catch_up_seconds: seconds(&[StepAction::FinalCatchUp]),
        final_validation_seconds: seconds(&[StepAction::FinalValidation]),
        cutover_seconds: seconds(&[StepAction::SwitchWrites]),
    }
}
