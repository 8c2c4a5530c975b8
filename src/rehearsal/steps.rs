//! The steps of one rehearsal, in order, on an environment a provider made.
//!
//! Progress is saved at each resumable point ([`super::state`]): a run killed during the
//! backfill resumes from the backfill's checkpoints, one killed during the catch-up from the
//! last applied change (apply is idempotent, so at-least-once is enough).

use std::time::{Duration, Instant};

use super::capture::{self, Applier, Route};
use super::gates::GateResult;
use super::report::{LagSample, RehearsalReport};
use super::state::{RunState, Stage};
use super::workload::{self, Workload, WorkloadMemory, WorkloadSettings};
use super::{Clock, Environment, RehearsalError, RehearsalOptions};
use crate::backfill::{self, BackfillOptions, BackfillPlan, RunLog};
use crate::db::{self, Access, Database, DbError};
use crate::graph::DependencyGraph;
use crate::import::live::import_live;
use crate::import::Engine;
use crate::inventory::Inventory;
use crate::plan::{Phase, Plan};
use crate::project::{Input, Project};
use crate::validate;

async fn exec_all(db: &Database, statements: &[String]) -> Result<(), DbError> {
    for sql in statements {
        let first_line = sql.lines().next().unwrap_or(sql);
        db.execute_script(sql, &format!("running `{first_line}`"))
            .await?;
    }
    Ok(())
}

async fn count_rows(
    db: &Database,
    inventory: &crate::inventory::Inventory,
) -> Result<u64, DbError> {
    let mut total = 0u64;
    for table in inventory
        .tables
        .iter()
        .filter(|t| !t.name.name.starts_with("_migration_studio"))
    {
        if table
            .partitioning
            .as_ref()
            .is_some_and(|p| !p.partitions.is_empty())
        {
            continue;
        }
        let n = db.count_rows(&table.name).await?;
        total += n;
    }
    Ok(total)
}

/// Capture routes of the planned tables that have a key: a change to a row of a table without
/// one cannot name the row it changed, so such tables are copied whole and left to the final
/// validation's multiset comparison, which finds any change made to them after their copy.
fn routes(plan: &BackfillPlan, reverse: bool) -> Vec<Route> {
    plan.tables
        .iter()
        .filter(|t| !t.source.is_keyless())
        .map(|t| {
            if reverse {
                Route {
                    from: t.target.clone(),
                    to_table: t.mapping.source.clone(),
                    to_columns: t
                        .source
                        .columns
                        .iter()
                        .map(|c| (c.name.clone(), c.declared.clone(), c.logical.clone()))
                        .collect(),
                    to_key: t.source.key_columns(),
                }
            } else {
                Route {
                    from: t.source.clone(),
                    to_table: t.mapping.target.clone(),
                    to_columns: t
                        .target
                        .columns
                        .iter()
                        .map(|c| (c.name.clone(), c.declared.clone(), c.logical.clone()))
                        .collect(),
                    to_key: t.target.key_columns(),
                }
            }
        })
        .collect()
}

/// Applies until nothing is pending, sampling lag. Returns whether it drained in time. With
/// `progress`, the applied position is saved after each batch (for `--resume`).
async fn drain(
    applier: &mut Applier,
    clock: &Clock,
    lag: &mut Vec<LagSample>,
    phase: &str,
    options: &RehearsalOptions,
    threshold: f64,
    mut progress: Option<(&Project, &mut RunState)>,
) -> Result<bool, RehearsalError> {
    let deadline = Instant::now() + Duration::from_secs_f64(options.catch_up_timeout_seconds);
    loop {
        let (pending, age) = capture::lag(&applier.from, applier.applied).await?;
        tracing::debug!(phase, pending, age, "capture lag");
        lag.push(LagSample {
            at_seconds: clock.now(),
            phase: phase.to_owned(),
            pending: pending as u64,
            age_seconds: age,
        });
        clock.emit(super::RehearsalEvent::Lag {
            phase: phase.to_owned(),
            pending: pending as u64,
            age_seconds: age,
        });
        if pending == 0 || (threshold > 0.0 && age < threshold && pending < 50) {
            return Ok(true);
        }
        if Instant::now() > deadline {
            return Ok(false);
        }
        applier.apply(options.apply_batch_rows).await?;
        if let Some((project, state)) = progress.as_mut() {
            state.applied = applier.applied;
            save(project, state, clock, lag)?;
        }
    }
}

/// Saves `state` with the clock and lag as they are now.
fn save(
    project: &Project,
    state: &mut RunState,
    clock: &Clock,
    lag: &[LagSample],
) -> Result<(), RehearsalError> {
    state.elapsed_seconds = clock.now();
    state.steps.clone_from(&clock.steps);
    state.lag = lag.to_vec();
    state
        .save(project.root())
        .map_err(|(path, source)| RehearsalError::Io { path, source })
}

/// Loads the source (and, for an upgrade, the target's schema) from the project's scripts, or
/// copies the live databases its live inputs name. Returns whether the schema came from a live
/// copy (then the target's tables are made from the copy's catalog, as across engines).
async fn load_source(
    project: &Project,
    env: &Environment,
    source: &Database,
    target: &Database,
    run_id: &str,
) -> Result<bool, RehearsalError> {
    let mut copied = false;
    for input in &project.manifest().inputs {
        match input {
            Input::Script { path, engine } => {
                if engine.is_some_and(|e| e != source.engine) {
                    continue;
                }
                let text =
                    std::fs::read_to_string(project.root().join(path)).map_err(|source| {
                        RehearsalError::Io {
                            path: path.clone(),
                            source,
                        }
                    })?;
                let file = path.to_string_lossy();
                super::load::load_script(
                    source,
                    &env.source_name,
                    &file,
                    &text,
                    super::load::Part::All,
                )
                .await?;
                if source.engine == target.engine {
                    // An upgrade keeps its schema: the target gets the same DDL (types,
                    // domains, triggers, keys), without the data.
                    super::load::load_script(
                        target,
                        &env.target_name,
                        &file,
                        &text,
                        super::load::Part::SchemaOnly,
                    )
                    .await?;
                }
            }
            Input::Live {
                live,
                engine,
                url_env,
                schemas,
            } => {
                if engine.is_some_and(|e| e != source.engine) {
                    continue;
                }
                let url = std::env::var(url_env).map_err(|_| RehearsalError::LiveUrlMissing {
                    input: live.clone(),
                    variable: url_env.clone(),
                })?;
                copy_live(project, env, source, &url, schemas, run_id).await?;
                copied = true;
            }
            Input::Services { .. } => {}
        }
    }
    Ok(copied)
}

/// Copies a live database into the scratch source with the backfill engine: tables from its
/// catalog, rows in keyset chunks over a read-only session, then keys and indexes. Views,
/// triggers and routines are not copied.
async fn copy_live(
    project: &Project,
    env: &Environment,
    source: &Database,
    url: &str,
    schemas: &[String],
    run_id: &str,
) -> Result<(), RehearsalError> {
    let live = db::connect(url, Access::ReadOnly, 4).await?;
    let inventory = import_live(source.engine, url, schemas).await?;
    // MySQL tables land in the scratch database; PostgreSQL keeps their schemas inside it.
    let schema = (source.engine == Engine::Mysql).then_some(env.source_name.as_str());
    let plan = BackfillPlan::new(&inventory, source.engine, source.engine, schema, &[]);
    exec_all(source, &plan.create_tables_sql()).await?;
    crate::db::guard::mark_rehearsal_target(source, "scratch source: a copy of a live database")
        .await?;
    let log = RunLog::open(&super::state::run_dir(project.root(), run_id).join("copy.log.jsonl"))?;
    let copied = backfill::run(
        &live,
        source,
        &plan,
        &BackfillOptions {
            run_id: format!("{run_id}-source-copy"),
            ..BackfillOptions::default()
        },
        &backfill::Control::default(),
        None,
        &log,
    )
    .await;
    live.close().await;
    copied?;
    for object in &plan.post_copy {
        match backfill::post_copy::apply(source, std::slice::from_ref(object)).await {
            // A secondary index only speeds reads up; one the catalog cannot describe exactly
            // (MySQL FULLTEXT, prefix lengths) is left out of the copy, said in the log.
            Err(e) if !object.is_foreign_key() => {
                tracing::warn!(error = %e, "an index of the live source is not in its copy");
            }
            other => {
                other.map_err(backfill::BackfillError::from)?;
            }
        }
    }
    Ok(())
}

/// The source's catalog without what the rehearsal itself added (changelog, capture triggers),
/// so a resumed run plans exactly what the first attempt planned.
async fn source_catalog(env: &Environment, source: &Database) -> Result<Inventory, RehearsalError> {
    // A PostgreSQL scratch source holds the project's schemas and nothing else: read them all
    // (`sales`, not only `public`). A MySQL one is its one database.
    let schemas: Vec<String> = match source.engine {
        Engine::Postgres => Vec::new(),
        _ => source.default_schema.iter().cloned().collect(),
    };
    let mut inventory = import_live(source.engine, &env.source_url, &schemas).await?;
    inventory
        .tables
        .retain(|t| !t.name.name.starts_with("_migration_studio"));
    inventory
        .triggers
        .retain(|t| !t.name.name.starts_with(capture::TRIGGER_PREFIX));
    Ok(inventory)
}

/// Runs the rehearsal's steps from where `state` says the run is.
pub(super) async fn run_in(
    project: &Project,
    options: &RehearsalOptions,
    env: &Environment,
    clock: &mut Clock,
    state: &mut RunState,
) -> Result<RehearsalReport, RehearsalError> {
    let manifest = project.manifest();
    let gates_cfg = &manifest.gates;
    let id = state.id.clone();
    let source = db::connect(&env.source_url, Access::ReadWrite, 4).await?;
    let target = db::connect(&env.target_url, Access::ReadWrite, 4).await?;
    let mut report = RehearsalReport::new(
        &id,
        &manifest.name,
        env.provider,
        manifest.rto_minutes * 60.0,
        manifest.maintenance_window_minutes * 60.0,
    );
    report.server_versions = (
        db::server_version(&source).await?,
        db::server_version(&target).await?,
    );
    for (side, endpoint, reported) in [
        ("source", &manifest.source, &report.server_versions.0),
        ("target", &manifest.target, &report.server_versions.1),
    ] {
        if let Some(wanted) = endpoint
            .version
            .as_deref()
            .filter(|w| !db::version_matches(w, reported))
        {
            let mismatch = format!(
                "the manifest's {side} is {} {wanted}, the rehearsal ran against {reported}",
                endpoint.engine
            );
            tracing::warn!("{mismatch}");
            report.version_mismatches.push(mismatch);
        }
    }
    report.lag = std::mem::take(&mut state.lag);
    report.interruptions.clone_from(&state.interruptions);
    let fresh = state.stage == Stage::Provisioned;

    let t = clock.now();
    if fresh {
        clock.begin("load source", None);
        state.schema_from_copy = load_source(project, env, &source, &target, &id).await?;
    }
    let source_inventory = source_catalog(env, &source).await?;
    if let Some(fraction) = options.scale.filter(|_| fresh) {
        let deleted = super::sample::shrink(&env.source_url, &source_inventory, fraction).await?;
        tracing::info!(fraction, deleted, "source sampled");
    }
    if fresh {
        state.source_rows = count_rows(&source, &source_inventory).await?;
        clock.record("load source", t, None, Some(state.source_rows));
    }
    report.source_rows = state.source_rows;

    // The planned runbook gives the expected durations and the point of no return.
    let graph = DependencyGraph::from_inventory(&source_inventory);
    let plan = Plan::build(&graph, &manifest.plan_settings());
    report.point_of_no_return = plan
        .point_of_no_return
        .as_ref()
        .and_then(|p| plan.step(&p.step_id))
        .map(|s| format!("{} {}", s.id, s.title));

    // The target's tables come from the scripts for an upgrade, else from the source catalog.
    let same_engine = source.engine == target.engine && !state.schema_from_copy;
    let mut bplan = BackfillPlan::new(
        &source_inventory,
        source.engine,
        target.engine,
        // A MySQL schema is a database: keeping the source's would write into the source.
        target
            .default_schema
            .as_deref()
            .filter(|_| !same_engine || target.engine == Engine::Mysql),
        &[],
    );
    let forward = routes(&bplan, false);
    if fresh && options.drills.plant_rejects > 0 {
        let planted = super::drills::plant_rejects(
            &source,
            target.engine,
            &source_inventory,
            options.drills.plant_rejects,
        )
        .await?;
        report.drills.push(super::drills::DrillResult {
            name: "plant-rejects".into(),
            detail: format!(
                "{} rows of {} given a NUL byte, which PostgreSQL refuses",
                planted.rows, planted.table
            ),
            resume_seconds: None,
            sessions_dropped: 0,
            retries: 0,
            planted: planted.rows,
        });
        state.planted = Some(planted);
    }
    if fresh {
        let t = clock.now();
        clock.begin("start change capture", plan.phase_seconds(Phase::Capture));
        capture::install(&source, &forward).await?;
        clock.record(
            "start change capture",
            t,
            plan.phase_seconds(Phase::Capture),
            None,
        );
    }

    // PostgreSQL replays with triggers off (session_replication_role); MySQL cannot, so there
    // the workload keeps off tables whose triggers would rewrite a replayed row.
    let mut avoid = if source.engine == Engine::Mysql || target.engine == Engine::Mysql {
        workload::triggered_tables(&source_inventory)
    } else {
        Vec::new()
    };
    // Planted rows stay as planted: a workload write would make them acceptable again.
    avoid.extend(state.planted.iter().map(|p| p.table.clone()));
    let workload = Workload::start(
        source.clone(),
        &source_inventory,
        &avoid,
        WorkloadSettings {
            rate: options.workload_rate,
            // A resumed run writes new rows, not the first attempt's again.
            seed: options
                .seed
                .wrapping_add(1000 * state.interruptions.len() as u64),
        },
        WorkloadMemory::default(),
    );

    let t = clock.now();
    if fresh {
        clock.begin("prepare target", plan.phase_seconds(Phase::Prepare));
    }
    if fresh && !same_engine {
        exec_all(&target, &bplan.create_tables_sql()).await?;
    }
    let target_schemas = bplan.target_schemas();
    bplan
        .adopt_target_catalog(&import_live(target.engine, &env.target_url, &target_schemas).await?);
    if fresh {
        clock.record(
            "prepare target",
            t,
            plan.phase_seconds(Phase::Prepare),
            None,
        );
        state.stage = Stage::Backfill;
        state.stage_started_seconds = clock.now();
        save(project, state, clock, &report.lag)?;
    }

    if state.stage == Stage::Backfill {
        clock.begin("backfill", plan.phase_seconds(Phase::Backfill));
        let log =
            RunLog::open(&super::state::run_dir(project.root(), &id).join("backfill.log.jsonl"))?;
        let bf_options = BackfillOptions {
            run_id: id.clone(),
            max_rows_per_second: options.backfill_rows_per_second,
            conversion: project.manifest().data,
            ..BackfillOptions::default()
        };
        let bf = super::drills::backfill_with_drills(
            env,
            &source,
            &target,
            &bplan,
            &bf_options,
            &log,
            &options.drills,
            &mut report.drills,
            clock.events.clone(),
        )
        .await?;
        report.rejected_rows = bf.rejected();
        report.converted = bf
            .tables
            .iter()
            .filter(|t| !t.converted.is_empty())
            .map(|t| (t.source.clone(), t.converted.clone()))
            .collect();
        clock.record(
            "backfill",
            state.stage_started_seconds,
            plan.phase_seconds(Phase::Backfill),
            Some(bf.rows()),
        );
        state.stage = Stage::CatchUp;
        state.stage_started_seconds = clock.now();
        state.applied = 0;
        save(project, state, clock, &report.lag)?;
    } else {
        report.rejected_rows = backfill::checkpoint::reject_count(&target, &id).await?;
    }

    // Catch up while the workload keeps writing.
    let mut applier = Applier {
        from: source.clone(),
        to: target.clone(),
        routes: forward,
        applied: state.applied,
        run_id: id.clone(),
        policy: project.manifest().data,
        refused: 0,
        converted: Default::default(),
    };
    clock.begin("catch-up", plan.phase_seconds(Phase::CatchUp));
    let caught_up = drain(
        &mut applier,
        clock,
        &mut report.lag,
        "catch-up",
        options,
        1.0,
        Some((project, &mut *state)),
    )
    .await?;
    clock.record(
        "catch-up",
        state.stage_started_seconds,
        plan.phase_seconds(Phase::CatchUp),
        None,
    );

    // Freeze writes, then the final catch-up and validation.
    let freeze_at = clock.now();
    clock.begin(crate::plan::calibrate::FREEZE_STEP, None);
    let memory = workload.stop().await;
    clock.record(crate::plan::calibrate::FREEZE_STEP, freeze_at, None, None);
    state.stage = Stage::Frozen;
    state.applied = applier.applied;
    save(project, state, clock, &report.lag)?;
    let (pending_at_freeze, lag_at_freeze) = capture::lag(&source, applier.applied).await?;
    let t = clock.now();
    clock.begin("final catch-up", None);
    drain(
        &mut applier,
        clock,
        &mut report.lag,
        "final catch-up",
        options,
        0.0,
        None,
    )
    .await?;
    clock.record("final catch-up", t, None, Some(pending_at_freeze as u64));
    report.capture_rejected += applier.refused;
    for (table, converted) in &applier.converted {
        crate::data::rules::merge(
            report.converted.entry(table.clone()).or_default(),
            converted,
        );
    }

    let t = clock.now();
    clock.begin(
        "create deferred constraints and indexes",
        plan.phase_seconds(Phase::Constraints),
    );
    if !same_engine {
        backfill::post_copy::apply(&target, &bplan.post_copy)
            .await
            .map_err(backfill::BackfillError::from)?;
    }
    clock.record(
        "create deferred constraints and indexes",
        t,
        plan.phase_seconds(Phase::Constraints),
        None,
    );

    let t = clock.now();
    clock.begin("validation", plan.phase_seconds(Phase::Validation));
    // Validate the copied tables only: the changelog and the markers exist on one side.
    let source_tables: Vec<String> = bplan.tables.iter().map(|t| t.label.clone()).collect();
    let target_tables: Vec<String> = bplan
        .tables
        .iter()
        .map(|t| t.mapping.target.to_string())
        .collect();
    let validation = validate::validate_urls(
        &env.source_url,
        &env.target_url,
        &validate::Options {
            tables: source_tables,
            ..validate::Options::default()
        },
        &manifest.invariants,
        None,
        &validate::Silent,
    )
    .await?;
    report.mismatched_rows = validation
        .tables
        .iter()
        .map(|t| t.differences.total() + u64::from(t.error.is_some()))
        .sum();
    report.validation_verdict = format!("{:?}", validation.verdict);
    // Planted rows the target refused and the backfill kept are expected to be missing.
    let planted = state.planted.as_ref().map_or(0, |p| p.rows);
    let kept = report.rejected_rows.min(planted);
    let missing: u64 = validation
        .tables
        .iter()
        .map(|t| t.differences.missing.count)
        .sum();
    report.rows_lost = missing.saturating_sub(kept);
    report.duplicate_rows = validation
        .tables
        .iter()
        .map(|t| t.differences.extra.count)
        .sum();
    clock.record(
        "validation",
        t,
        plan.phase_seconds(Phase::Validation),
        Some(report.source_rows),
    );

    report.workload_source = memory.stats();
    let errors = report.rejected_rows - kept + memory.stats().errors;
    let mut gate_results = vec![
        GateResult::at_most(
            "mismatched rows",
            report.mismatched_rows.saturating_sub(kept) as f64,
            gates_cfg.max_mismatched_rows as f64,
            "",
        ),
        GateResult::at_most(
            "lag at freeze",
            if caught_up {
                lag_at_freeze
            } else {
                f64::INFINITY
            },
            gates_cfg.max_lag_seconds,
            " s",
        ),
        GateResult::at_most("errors", errors as f64, gates_cfg.max_errors as f64, ""),
    ];
    for step in &clock.steps {
        if let Some(expected) = step.expected_seconds {
            let measured = step.end_seconds - step.start_seconds;
            gate_results.push(GateResult::at_most(
                &format!("time of step `{}`", step.name),
                measured,
                expected * gates_cfg.step_budget_factor,
                " s",
            ));
        }
    }
    if options.drills.any() {
        gate_results.push(GateResult::at_most(
            "rows lost",
            report.rows_lost as f64,
            0.0,
            "",
        ));
        gate_results.push(GateResult::at_most(
            "duplicate rows",
            report.duplicate_rows as f64,
            0.0,
            "",
        ));
    }
    if planted > 0 {
        gate_results.push(GateResult::at_most(
            "planted rows not kept as rejects",
            (planted - kept) as f64,
            0.0,
            "",
        ));
    }
    report.gates = gate_results;
    if report.gates.iter().any(|g| !g.passed) {
        report.decide();
        return Ok(report);
    }

    // Cutover: writes resume on the target, captured for the way back.
    let reverse = routes(&bplan, true);
    let t = clock.now();
    clock.begin("cutover", plan.phase_seconds(Phase::Cutover));
    capture::install(&target, &reverse).await?;
    let target_inventory = import_live(target.engine, &env.target_url, &target_schemas).await?;
    let target_workload = Workload::start(
        target.clone(),
        &target_inventory,
        &avoid,
        WorkloadSettings {
            rate: options.workload_rate,
            seed: options.seed.wrapping_add(1),
        },
        WorkloadMemory::default(),
    );
    report.write_downtime_seconds = clock.now() - freeze_at;
    clock.record("cutover", t, plan.phase_seconds(Phase::Cutover), None);
    report.gates.push(GateResult::at_most(
        "write downtime",
        report.write_downtime_seconds,
        report.maintenance_window_seconds,
        " s",
    ));

    tokio::time::sleep(Duration::from_secs_f64(options.post_cutover_seconds)).await;
    let target_memory = target_workload.stop().await;
    report.workload_target = target_memory.stats();

    // Rollback drill: return to the source by replaying the target's changes into it.
    let t = clock.now();
    clock.begin("rollback drill", Some(report.rto_seconds));
    let mut back = Applier {
        from: target.clone(),
        to: source.clone(),
        routes: reverse,
        applied: 0,
        run_id: id.clone(),
        policy: project.manifest().data,
        refused: 0,
        converted: Default::default(),
    };
    drain(
        &mut back,
        clock,
        &mut report.lag,
        "rollback",
        options,
        0.0,
        None,
    )
    .await?;
    report.capture_rejected += back.refused;
    let after = validate::validate_urls(
        &env.target_url,
        &env.source_url,
        &validate::Options {
            constraints: false,
            tables: target_tables,
            ..validate::Options::default()
        },
        &[],
        None,
        &validate::Silent,
    )
    .await?;
    report.rollback_seconds = clock.now() - t;
    // Rows only in the source (`extra` seen from the target) that the target refused are
    // the planted rejects, not writes the rollback lost.
    report.rollback_mismatched_rows = after
        .tables
        .iter()
        .map(|t| t.differences.total() + u64::from(t.error.is_some()))
        .sum::<u64>()
        .saturating_sub(kept);
    clock.record(
        "rollback drill",
        t,
        Some(report.rto_seconds),
        Some(report.workload_target.writes()),
    );
    report.gates.push(GateResult::at_most(
        "writes made on the target missing from the source after rollback",
        report.rollback_mismatched_rows as f64,
        0.0,
        "",
    ));
    report.gates.push(GateResult::at_most(
        "rollback time vs RTO",
        report.rollback_seconds,
        report.rto_seconds,
        " s",
    ));
    report.decide();
    source.close().await;
    target.close().await;
    Ok(report)
}
