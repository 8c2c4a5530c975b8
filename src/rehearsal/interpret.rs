//! The rehearsal interprets the plan: every runbook step of the [`Plan`] is executed in order
//! by the executor of its [`StepAction`] ([`super::execute`]), up to the point of no return;
//! there the rollback drill undoes the steps done, in reverse order, by their rollback actions
//! ([`super::undo`]), timed against the RTO. A go/no-go checkpoint evaluates the gates
//! measured so far; a no-go stops the run there and rolls back what was done.
//!
//! The report has one row per runbook step id ([`StepRow`]): expected against measured, rows,
//! the workload's writes while it ran, and its outcome. Steps with no machine action on a
//! laptop (announcements, the source's retirement) are recorded, not dropped; steps at and
//! after the point of no return are listed as such.
//!
//! Every resource a step starts (workloads, a standby, appliers) is held by [`Run`], so an
//! error or a cancellation stops them all ([`Run::abort`]) before the environment is torn down.
//! Progress is saved after each step ([`super::state`]): a run killed during the backfill
//! resumes from the backfill's checkpoints, one killed during the catch-up from the last
//! applied change (apply is idempotent, so at-least-once is enough).

use super::capture::{Applier, Route};
use super::report::{RehearsalReport, StepOutcome, StepRow};
use super::routes::routes;
use super::setup::{self, count_rows, save, source_catalog};
use super::standby::Standby;
use super::state::{RunState, Stage};
use super::workload::{self, Scope, Workload, WorkloadMemory, WorkloadSettings};
use super::{Clock, Environment, RehearsalError, RehearsalOptions};
use crate::backfill::BackfillPlan;
use crate::db::{self, Access, Database};
use crate::import::live::import_live;
use crate::import::Engine;
use crate::inventory::Inventory;
use crate::plan::{MigrationShape, Phase, Plan, Step, StepAction};
use crate::project::Project;

/// What an executor reports of a step it ran.
pub(super) struct Outcome {
    pub outcome: StepOutcome,
    pub rows: Option<u64>,
    pub detail: String,
    /// Seconds spent waiting for the rehearsal's own workload ([`StepRow::waited_seconds`]).
    pub waited_seconds: Option<f64>,
}

impl Outcome {
    pub fn done(detail: impl Into<String>) -> Self {
        Self {
            outcome: StepOutcome::Done,
            rows: None,
            detail: detail.into(),
            waited_seconds: None,
        }
    }

    pub fn rows(mut self, rows: u64) -> Self {
        self.rows = Some(rows);
        self
    }
}

/// One rehearsal in progress: its databases, the plan it executes, and everything its steps
/// started.
pub(super) struct Run<'a> {
    pub project: &'a Project,
    pub options: &'a RehearsalOptions,
    pub env: &'a Environment,
    pub plan: &'a Plan,
    pub shape: MigrationShape,
    pub source: Database,
    pub target: Database,
    pub source_inventory: Inventory,
    pub bplan: BackfillPlan,
    /// The project's mapping spec, read against the scratch source's catalog: the backfill,
    /// the capture and every validation go through it (a move across engines only).
    pub spec: Option<crate::mapping::MappingSpec>,
    /// Same engine with the target's schema from the project's scripts (an upgrade).
    pub same_engine: bool,
    pub target_schemas: Vec<String>,
    /// Tables the workload leaves alone (bare names).
    pub avoid: Vec<String>,
    pub forward: Vec<Route>,
    pub reverse_routes: Vec<Route>,
    pub report: RehearsalReport,
    /// The application writing the source (or both sides, as a dual writer).
    pub source_workload: Option<Workload>,
    /// The application writing the target after the cutover.
    pub target_workload: Option<Workload>,
    pub source_memory: WorkloadMemory,
    pub target_memory: WorkloadMemory,
    /// Writes of the workload's earlier runs, when one runs (its memory is inside it).
    pub source_base: u64,
    pub target_base: u64,
    /// Source → target apply, when it is not inside a standby or the dual writer.
    pub applier: Option<Applier>,
    /// Blue-green's replication (source → target), running in the background.
    pub standby: Option<Standby>,
    /// Target → source apply (reverse capture), when it is not inside `keep_warm`.
    pub reverse: Option<Applier>,
    /// Keep-warm: the reverse capture applied in the background.
    pub keep_warm: Option<Standby>,
    pub capture_on: bool,
    pub reverse_on: bool,
    /// Rehearsal clock when writes stopped on the source.
    pub frozen_at: Option<f64>,
    /// Whether the applications read from the target (dual write).
    pub reads_on_target: bool,
    pub caught_up: bool,
    pub lag_at_freeze: f64,
    /// Planted rejects the target refused and the backfill kept.
    pub kept: u64,
    /// Mismatches found by the last validation made with writes quiet (frozen, or the dual
    /// writer paused), not yet judged by a checkpoint.
    pub quiet_mismatches: Option<u64>,
    /// Constraint violations found by that validation (generated keys counted only once
    /// writes are frozen), with the violated constraints named (`table constraint (N rows)`),
    /// not yet judged by a checkpoint.
    pub quiet_violations: Option<(u64, Vec<String>)>,
    /// Rehearsal clock when the rollback drill had writes back on the source.
    pub service_restored_at: Option<f64>,
    pub standby_failures: u64,
    /// Whether a checkpoint judged the lag at the freeze.
    pub lag_judged: bool,
    /// Rows of `report.runbook` whose budgets a checkpoint judged.
    pub budgets_judged: usize,
    /// The full validation made with writes running, pinned to the changelog position applied
    /// when it started: the final validation then compares only what changed since.
    pub pinned: Option<Pinned>,
}

/// A full validation pinned to a changelog position (see [`crate::validate::changed`]).
pub(super) struct Pinned {
    /// The changelog position the applier had applied when the validation started.
    pub position: i64,
    /// What it found (every difference listed: the gate tells them apart by key).
    pub report: crate::validate::Report,
}

impl Run<'_> {
    /// Writes the workload made on the source so far (all its runs).
    pub fn source_writes(&self) -> u64 {
        match &self.source_workload {
            // Its memory (with the counts of earlier runs) is inside the running workload.
            Some(w) => self.source_base + w.writes(),
            None => self.source_memory.stats().writes(),
        }
    }

    /// Writes the workload made on the target so far.
    pub fn target_writes(&self) -> u64 {
        match &self.target_workload {
            Some(w) => self.target_base + w.writes(),
            None => self.target_memory.stats().writes(),
        }
    }

    /// The workload's settings for `side` (`0` the source, `1` the target).
    pub fn workload_settings(&self, offset: u64) -> WorkloadSettings {
        WorkloadSettings {
            rate: self.options.workload_rate,
            // A resumed run writes new rows, not the first attempt's again.
            seed: self
                .options
                .seed
                .wrapping_add(offset)
                .wrapping_add(1000 * self.report.interruptions.len() as u64),
        }
    }

    /// Starts the application's writes on the source (as a dual writer with `mirror`).
    pub fn start_source_writes(&mut self, mirror: Option<Applier>) {
        let settings = self.workload_settings(0);
        self.source_base = self.source_memory.stats().writes();
        let memory = std::mem::take(&mut self.source_memory);
        let db = self.source.clone();
        // A table with tables merged into it is written with them; they are only updated on
        // their own (a row inserted into one alone would have no partner).
        let groups = self.bplan.merge_groups();
        let scope = Scope {
            avoid: &self.avoid,
            companions: &groups,
        };
        self.source_workload = Some(match mirror {
            Some(mirror) => {
                Workload::start_dual(db, &self.source_inventory, scope, settings, memory, mirror)
            }
            None => Workload::start(db, &self.source_inventory, scope, settings, memory),
        });
    }

    /// Stops the application's writes on the source; returns the dual writer's second-side
    /// writer when it was one.
    pub async fn stop_source_writes(&mut self) -> Option<Applier> {
        let workload = self.source_workload.take()?;
        let (memory, mirror) = workload.stop_dual().await;
        self.source_memory = memory;
        mirror
    }

    /// A source → target applier from the changelog's start (or `applied`).
    pub fn forward_applier(&self, applied: i64) -> Applier {
        Applier {
            from: self.source.clone(),
            to: self.target.clone(),
            routes: self.forward.clone(),
            applied,
            run_id: self.report.id.clone(),
            policy: self.project.manifest().data,
            refused: 0,
            converted: Default::default(),
            skipped: Default::default(),
        }
    }

    /// Counts what an applier refused and converted into the report.
    pub fn absorb(&mut self, applier: &Applier) {
        self.report.capture_rejected += applier.refused;
        for (table, converted) in &applier.converted {
            crate::data::rules::merge(
                self.report.converted.entry(table.clone()).or_default(),
                converted,
            );
        }
    }

    /// Stops everything the steps started (workloads, standbys), keeping their counts: what
    /// an error or a cancellation does before the environment is torn down.
    pub async fn abort(&mut self) {
        if let Some(w) = self.target_workload.take() {
            self.target_memory = w.stop().await;
        }
        let _ = self.stop_source_writes().await;
        for standby in [self.standby.take(), self.keep_warm.take()]
            .into_iter()
            .flatten()
        {
            let _ = standby.stop().await;
        }
    }
}

/// Where the rehearsal stops and drills the rollback: the first step that cannot be undone
/// (the steps' count when every step can). A point of no return the plan puts earlier, because
/// returning from there is estimated over the RTO, is rehearsed through: the drill measures
/// the real rollback time against the RTO (gate G004).
fn ponr_index(plan: &Plan) -> usize {
    plan.steps
        .iter()
        .position(|s| s.rollback.is_none())
        .unwrap_or(plan.steps.len())
}

/// Seconds the plan expects for `step` in this rehearsal: its expected minutes, scaled by the
/// sample's fraction for the steps whose time grows with rows.
pub(super) fn budget_seconds(step: &Step, scale: Option<f64>) -> f64 {
    let per_row = matches!(
        step.action,
        StepAction::Backfill
            | StepAction::CreateConstraints
            | StepAction::Validate
            | StepAction::CatchUp
    );
    let fraction = if per_row { scale.unwrap_or(1.0) } else { 1.0 };
    step.expected_minutes * 60.0 * fraction
}

fn row_of(step: &Step, outcome: StepOutcome, expected: f64, detail: String) -> StepRow {
    StepRow {
        step_id: step.id.clone(),
        title: step.title.clone(),
        phase: step.phase,
        action: step.action,
        outcome,
        expected_seconds: expected,
        measured_seconds: None,
        waited_seconds: None,
        rows: None,
        source_writes: 0,
        target_writes: 0,
        detail,
    }
}

/// Sets up the run on `env` and executes `plan` from where `state` says the run is.
pub(super) async fn run_plan(
    project: &Project,
    options: &RehearsalOptions,
    env: &Environment,
    plan: Option<&Plan>,
    clock: &mut Clock,
    state: &mut RunState,
) -> Result<RehearsalReport, RehearsalError> {
    let manifest = project.manifest();
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
    if manifest.gates.version_mismatch == crate::project::settings::VersionMismatch::Fail {
        report.gates.push(
            super::gates::GateResult::at_most(
                "server versions other than the manifest's",
                report.version_mismatches.len() as f64,
                0.0,
                "",
            )
            .because(&report.version_mismatches.join("; ")),
        );
    }
    report.lag = std::mem::take(&mut state.lag);
    report.interruptions.clone_from(&state.interruptions);
    let fresh = state.stage == Stage::Provisioned;

    let t = clock.now();
    if fresh {
        clock.begin("load source", None);
        state.schema_from_copy =
            setup::load_source(project, env, (&source, &target), &id, options.scale).await?;
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
    let facts = crate::upgrade::catalog::read(&source, &target).await?;
    report.upgrade_findings = crate::upgrade::check(&facts);
    let facts =
        crate::upgrade::catalog::count_rows(&source, facts, &report.upgrade_findings).await?;
    report.upgrade_steps = crate::upgrade::steps(
        &facts,
        &report.upgrade_findings,
        manifest.throughput.index_rows_per_second,
    );
    for f in &report.upgrade_findings {
        tracing::info!(code = %f.code, objects = ?f.objects, "{}", f.message);
    }
    let built;
    let plan = match plan {
        Some(plan) => plan,
        None => {
            let mut settings = manifest.plan_settings();
            settings.shape = options.shape.unwrap_or(settings.shape);
            built = Plan::build(
                &crate::graph::DependencyGraph::from_inventory(&source_inventory),
                &settings,
            );
            &built
        }
    };
    report.shape = plan.settings.shape.to_string();
    report.point_of_no_return = plan
        .point_of_no_return
        .as_ref()
        .and_then(|p| plan.step(&p.step_id))
        .map(|s| format!("{} {}", s.id, s.title));

    // The target's tables come from the scripts for an upgrade, else from the source catalog.
    let same_engine = source.engine == target.engine && !state.schema_from_copy;
    let (spec, bplan) =
        setup::spec_and_plan(project, &source_inventory, (&source, &target), same_engine)?;
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
    // PostgreSQL replays with triggers off (session_replication_role); MySQL cannot, so there
    // the workload keeps off tables whose triggers would rewrite a replayed row.
    let mut avoid = if source.engine == Engine::Mysql || target.engine == Engine::Mysql {
        workload::triggered_tables(&source_inventory)
    } else {
        Vec::new()
    };
    // Planted rows stay as planted: a workload write would make them acceptable again.
    avoid.extend(state.planted.iter().map(|p| p.table.clone()));
    let target_schemas = bplan.target_schemas();
    let forward = routes(&bplan, false);
    let reverse_routes = routes(&bplan, true);
    let mut run = Run {
        project,
        options,
        env,
        plan,
        shape: plan.settings.shape,
        source,
        target,
        source_inventory,
        bplan,
        spec,
        same_engine,
        target_schemas,
        avoid,
        forward,
        reverse_routes,
        report,
        source_workload: None,
        target_workload: None,
        source_memory: WorkloadMemory::default(),
        target_memory: WorkloadMemory::default(),
        source_base: 0,
        target_base: 0,
        applier: None,
        standby: None,
        reverse: None,
        keep_warm: None,
        capture_on: false,
        reverse_on: false,
        frozen_at: None,
        reads_on_target: false,
        caught_up: false,
        lag_at_freeze: 0.0,
        kept: 0,
        quiet_mismatches: None,
        quiet_violations: None,
        service_restored_at: None,
        standby_failures: 0,
        lag_judged: false,
        budgets_judged: 0,
        pinned: None,
    };
    let result = interpret(&mut run, clock, state, fresh).await;
    run.abort().await;
    run.source.close().await;
    run.target.close().await;
    result?;
    Ok(run.report)
}

/// Brings back what the steps done before an interruption had started: the capture's
/// applier, the application's writes, the target's catalog.
async fn restore(run: &mut Run<'_>, state: &RunState) -> Result<(), RehearsalError> {
    let done = |action: StepAction| {
        run.plan
            .steps
            .iter()
            .any(|s| s.action == action && state.done.contains(&s.id))
    };
    if done(StepAction::PrepareTarget) {
        let catalog =
            import_live(run.target.engine, &run.env.target_url, &run.target_schemas).await?;
        run.bplan.adopt_target_catalog(&catalog);
    }
    let capture = done(StepAction::StartCapture)
        || done(StepAction::StartReplication)
        || done(StepAction::StartDualWrite);
    run.capture_on = capture;
    let frozen = done(StepAction::FreezeWrites);
    if done(StepAction::StartDualWrite) {
        let mirror = run.forward_applier(state.applied);
        run.start_source_writes(Some(mirror));
    } else {
        if capture {
            run.applier = Some(run.forward_applier(state.applied));
        }
        if !frozen {
            run.start_source_writes(None);
        }
        if done(StepAction::CatchUp) {
            // The catch-up had started the continuous apply; it goes on from the last
            // position saved (apply is idempotent).
            if let Some(applier) = run.applier.take() {
                run.standby = Some(Standby::follow(applier, run.options.apply_batch_rows));
            }
            run.caught_up = true;
        }
    }
    Ok(())
}

async fn interpret(
    run: &mut Run<'_>,
    clock: &mut Clock,
    state: &mut RunState,
    fresh: bool,
) -> Result<(), RehearsalError> {
    if fresh {
        // The application writes the source from the start: an offline runbook's first
        // steps announce and freeze them.
        run.start_source_writes(None);
    } else {
        restore(run, state).await?;
    }
    let ponr = ponr_index(run.plan);
    let mut stopped: Option<usize> = None;
    let mut i = 0;
    while i < run.plan.steps.len() {
        let step = &run.plan.steps[i];
        let expected = budget_seconds(step, run.options.scale);
        if i >= ponr {
            run.report.runbook.push(row_of(
                step,
                StepOutcome::PastPointOfNoReturn,
                expected,
                "cannot be undone: not rehearsed (the rollback drill runs before it)".into(),
            ));
            i += 1;
            continue;
        }
        if stopped.is_some() {
            run.report.runbook.push(row_of(
                step,
                StepOutcome::NotReached,
                expected,
                "not reached: the run stopped at a no-go".into(),
            ));
            i += 1;
            continue;
        }
        if state.done.contains(&step.id) {
            let measured = clock
                .steps
                .iter()
                .find(|t| t.step_id.as_deref() == Some(&step.id));
            let mut row = row_of(
                step,
                StepOutcome::Done,
                expected,
                "done before the interruption".into(),
            );
            row.measured_seconds = measured.map(|t| t.end_seconds - t.start_seconds);
            row.rows = measured.and_then(|t| t.rows);
            run.report.runbook.push(row);
            i += 1;
            continue;
        }
        // Consecutive backfill steps run as one backfill (its own concurrency), each table
        // measured on its own.
        if step.action == StepAction::Backfill {
            let end = run.plan.steps[i..ponr]
                .iter()
                .position(|s| s.action != StepAction::Backfill)
                .map_or(ponr, |n| i + n);
            let batch: Vec<&Step> = run.plan.steps[i..end]
                .iter()
                .filter(|s| !state.done.contains(&s.id))
                .collect();
            super::execute::backfill(run, clock, state, &batch).await?;
            for s in &batch {
                state.done.push(s.id.clone());
            }
            save(run.project, state, clock, &run.report.lag)?;
            i = end;
            continue;
        }
        let started = clock.now();
        let (source_before, target_before) = (run.source_writes(), run.target_writes());
        clock.begin_step(&step.id, &step.title, Some(expected));
        let outcome = if step.action.has_machine_action() {
            super::execute::step(run, clock, state, step).await?
        } else {
            Outcome {
                outcome: StepOutcome::Recorded,
                rows: None,
                detail: "no machine action in a rehearsal: recorded".into(),
                waited_seconds: None,
            }
        };
        clock.record_step(&step.id, &step.title, started, Some(expected), outcome.rows);
        let mut row = row_of(step, outcome.outcome, expected, outcome.detail);
        row.measured_seconds = Some(clock.now() - started);
        row.rows = outcome.rows;
        row.waited_seconds = outcome.waited_seconds;
        row.source_writes = run.source_writes() - source_before;
        row.target_writes = run.target_writes() - target_before;
        run.report.runbook.push(row);
        state.done.push(step.id.clone());
        if let Some(a) = run.applier.as_ref() {
            state.applied = a.floor();
        }
        save(run.project, state, clock, &run.report.lag)?;
        if outcome.outcome == StepOutcome::NoGo {
            stopped = Some(i);
        }
        i += 1;
    }
    // The rollback drill: from the last step before the point of no return (or the no-go).
    let last = stopped.unwrap_or_else(|| ponr.min(run.plan.steps.len()));
    let done: Vec<&Step> = run.plan.steps[..last.min(run.plan.steps.len())]
        .iter()
        .chain(stopped.map(|s| &run.plan.steps[s]))
        .filter(|s| state.done.contains(&s.id))
        .collect();
    super::undo::drill(run, clock, &done).await?;
    let source_memory = run.stop_source_writes().await;
    if let Some(mirror) = source_memory {
        run.absorb(&mirror);
    }
    run.report.workload_source = run.source_memory.stats();
    run.report.workload_target = run.target_memory.stats();
    super::execute::final_gates(run);
    Ok(())
}

/// The phase of the step that takes the workload's writes into account (for the lag samples).
pub(super) fn lag_phase(step: &Step) -> &'static str {
    match (step.phase, step.action) {
        (_, StepAction::FinalCatchUp) => "final catch-up",
        (Phase::CatchUp, _) => "catch-up",
        _ => "apply",
    }
}
