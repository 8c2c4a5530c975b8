//! Runbook templates per migration shape.
//!
//! Each template is a sequence of steps; the backfill is expanded to one step per table, wave
//! by wave, each depending on the backfills of the tables it references (deferred FKs aside).
//! Durations are estimates from size and the stated [`Throughput`]; each step says how its
//! figure was obtained.

use std::collections::HashSet;

use super::settings::{MigrationShape, PlanSettings, Throughput};
use super::step::{Phase, Rollback, Step, StepAction, StepKind};
use crate::graph::{ArtifactKind, DependencyGraph, DependencyKind, MigrationOrder};
use crate::upgrade::PlannedStep;

const LEAD: &str = "Migration lead";
const DBA: &str = "DBA";
const APP: &str = "Application owner";

/// Builds steps in template order. A step is referred to by its index in `steps` (its
/// provisional id); [`super::Plan`] orders the steps and gives them their `S…` ids at the end.
struct Builder {
    steps: Vec<Step>,
    /// Provisional ids of the steps each step depends on (`Step::depends_on` stays empty).
    depends_on: Vec<Vec<usize>>,
}

/// The steps of a runbook in template order, with `depends_on` by provisional id (index).
pub(super) struct Runbook {
    /// Steps with an empty `id` and `depends_on`.
    pub steps: Vec<Step>,
    /// For each step, the indices of the steps it depends on.
    pub depends_on: Vec<Vec<usize>>,
}

/// A step under construction.
struct Draft<'a> {
    action: StepAction,
    phase: Phase,
    kind: StepKind,
    owner: &'a str,
    title: String,
    minutes: f64,
    basis: String,
    rollback: Option<(&'a str, f64)>,
}

impl<'a> Draft<'a> {
    fn new(
        action: StepAction,
        phase: Phase,
        kind: StepKind,
        owner: &'a str,
        title: impl Into<String>,
    ) -> Self {
        Self {
            action,
            phase,
            kind,
            owner,
            title: title.into(),
            minutes: 5.0,
            basis: "estimate: fixed allowance".into(),
            rollback: None,
        }
    }

    fn minutes(mut self, minutes: f64, basis: impl Into<String>) -> Self {
        self.minutes = minutes;
        self.basis = basis.into();
        self
    }

    fn rollback(mut self, action: &'a str, minutes: f64) -> Self {
        self.rollback = Some((action, minutes));
        self
    }
}

impl Builder {
    fn push(&mut self, draft: Draft<'_>, depends_on: Vec<usize>) -> usize {
        let id = self.steps.len();
        self.steps.push(Step {
            id: String::new(),
            phase: draft.phase,
            title: draft.title,
            owner: draft.owner.to_owned(),
            expected_minutes: round2(draft.minutes),
            estimate_basis: draft.basis,
            depends_on: Vec::new(),
            kind: draft.kind,
            action: draft.action,
            rollback: draft.rollback.map(|(action, minutes)| Rollback {
                action: action.to_owned(),
                minutes,
            }),
            artifact: None,
            wave: None,
            notes: None,
            finding: None,
            statements: Vec::new(),
        });
        self.depends_on.push(depends_on);
        id
    }

    /// Pushes `draft` depending on the previous step only.
    fn then(&mut self, draft: Draft<'_>) -> usize {
        let deps = self.steps.len().checked_sub(1).into_iter().collect();
        self.push(draft, deps)
    }
}

/// Sort key that orders provisional ids like their text `#n` did (`#10` before `#9`): the
/// decimal digits left-aligned, then the number of digits.
fn text_order(id: usize) -> (u64, u32) {
    let id = id as u64;
    let digits = id.checked_ilog10().unwrap_or(0) + 1;
    (id * 10u64.pow(19 - digits), digits)
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Minutes to copy `rows`/`bytes` at `throughput`, with the basis text.
fn copy_estimate(rows: Option<u64>, bytes: Option<u64>, throughput: &Throughput) -> (f64, String) {
    match (rows, bytes) {
        (None, None) => (1.0, "estimate: size unknown, 1 min assumed".into()),
        (rows, bytes) => {
            let by_rows = rows.unwrap_or(0) as f64 / throughput.backfill_rows_per_second;
            let by_bytes = bytes.unwrap_or(0) as f64 / throughput.backfill_bytes_per_second;
            let minutes = (by_rows.max(by_bytes) / 60.0).max(0.05);
            (
                minutes,
                format!(
                    "estimate: {} rows at {} rows/s",
                    rows.unwrap_or(0),
                    throughput.backfill_rows_per_second
                ),
            )
        }
    }
}

struct Sizes {
    tables: usize,
    total_rows: u64,
    deferred_fks: usize,
    views_and_triggers: usize,
}

fn sizes(graph: &DependencyGraph, order: &MigrationOrder) -> Sizes {
    let mut s = Sizes {
        tables: 0,
        total_rows: 0,
        deferred_fks: order.deferred().count(),
        views_and_triggers: 0,
    };
    for (_, a) in graph.artifacts() {
        match a.kind {
            ArtifactKind::Table => {
                s.tables += 1;
                s.total_rows += a.rows.unwrap_or(0);
            }
            ArtifactKind::View | ArtifactKind::Trigger => s.views_and_triggers += 1,
            // Service-level artifacts are switched by their owners; they add no backfill.
            ArtifactKind::Service(_) => {}
        }
    }
    s
}

/// One backfill step per table, in wave order. Returns the ids of all backfill steps.
fn backfill(
    b: &mut Builder,
    graph: &DependencyGraph,
    order: &MigrationOrder,
    throughput: &Throughput,
    after: &[usize],
) -> Vec<usize> {
    let node_count = graph.artifact_count();
    // Deferred FKs by artifact index; `defers_from` keeps the set lookup off the common path.
    let mut deferred: HashSet<(usize, usize)> = HashSet::new();
    let mut defers_from = vec![false; node_count];
    for d in order.deferred() {
        if let (Some(from), Some(to)) = (graph.find(&d.from), graph.find(&d.to)) {
            deferred.insert((from.index(), to.index()));
            defers_from[from.index()] = true;
        }
    }
    let is_table: Vec<bool> = graph
        .artifacts()
        .map(|(_, a)| a.kind == ArtifactKind::Table)
        .collect();
    // Tables each table references, by artifact index.
    let mut table_deps: Vec<Vec<usize>> = vec![Vec::new(); node_count];
    for (from, to, dep) in graph.dependencies() {
        let (from, to) = (from.index(), to.index());
        let structural = matches!(
            dep.kind,
            DependencyKind::ForeignKey | DependencyKind::PartitionOf
        );
        if structural
            && is_table[from]
            && is_table[to]
            && from != to
            && !(dep.kind == DependencyKind::ForeignKey
                && defers_from[from]
                && deferred.contains(&(from, to)))
        {
            table_deps[from].push(to);
        }
    }
    // Backfill step of each table, by artifact index.
    let mut step_of: Vec<Option<usize>> = vec![None; node_count];
    let mut ids = Vec::new();
    for wave in &order.waves {
        for id in &wave.artifacts {
            let Some(node) = graph.find(id) else { continue };
            let artifact = graph.artifact(node);
            if artifact.kind != ArtifactKind::Table {
                continue;
            }
            let (minutes, basis) = copy_estimate(artifact.rows, artifact.bytes, throughput);
            let mut parent_steps: Vec<usize> = table_deps[node.index()]
                .iter()
                .filter_map(|&p| step_of[p])
                .collect();
            parent_steps.sort_unstable_by_key(|&s| text_order(s));
            parent_steps.dedup();
            let mut deps = Vec::with_capacity(after.len() + parent_steps.len());
            deps.extend_from_slice(after);
            deps.extend(parent_steps);
            let owner = artifact.owner.as_deref().unwrap_or(DBA);
            let step = b.push(
                Draft::new(
                    StepAction::Backfill,
                    Phase::Backfill,
                    StepKind::Action,
                    owner,
                    format!("Backfill {} (wave {})", artifact.name, wave.number),
                )
                .minutes(minutes, basis)
                .rollback("Truncate the target table (the source is untouched)", 0.0),
                deps,
            );
            let last = b.steps.last_mut().expect("just pushed");
            last.artifact = Some(id.clone());
            last.wave = Some(wave.number);
            step_of[node.index()] = Some(step);
            ids.push(step);
        }
    }
    ids
}

/// Steps after the backfill that every shape shares: deferred constraints, views and triggers.
fn constraints(
    b: &mut Builder,
    s: &Sizes,
    t: &Throughput,
    backfills: &[usize],
    prev: usize,
) -> usize {
    let mut deps = backfills.to_vec();
    if deps.is_empty() {
        deps.push(prev);
    }
    let minutes = (s.total_rows as f64 / t.index_rows_per_second / 60.0).max(1.0);
    let mut last = b.push(
        Draft::new(
            StepAction::CreateConstraints,
            Phase::Constraints,
            StepKind::Action,
            DBA,
            format!(
                "Create {} deferred foreign keys and the secondary indexes on the target; set the key sequences past the copied keys",
                s.deferred_fks
            ),
        )
        .minutes(
            minutes,
            format!(
                "estimate: {} rows indexed at {} rows/s",
                s.total_rows, t.index_rows_per_second
            ),
        )
        .rollback("Drop the constraints and indexes on the target", 0.0),
        deps,
    );
    if s.views_and_triggers > 0 {
        last = b.then(
            Draft::new(
                StepAction::CreateViewsAndTriggers,
                Phase::Constraints,
                StepKind::Action,
                DBA,
                format!(
                    "Create {} views and triggers on the target",
                    s.views_and_triggers
                ),
            )
            .minutes(2.0, "estimate: fixed allowance")
            .rollback("Drop the views and triggers on the target", 0.0),
        );
    }
    last
}

fn validation(b: &mut Builder, s: &Sizes, t: &Throughput, title: &str) -> usize {
    let minutes = (s.total_rows as f64 / t.validation_rows_per_second / 60.0).max(1.0);
    b.then(
        Draft::new(
            StepAction::Validate,
            Phase::Validation,
            StepKind::Action,
            DBA,
            title,
        )
        .minutes(
            minutes,
            format!(
                "estimate: {} rows at {} rows/s",
                s.total_rows, t.validation_rows_per_second
            ),
        )
        .rollback("Nothing to undo (read-only)", 0.0),
    )
}

fn go_no_go(b: &mut Builder, title: &str) -> usize {
    b.then(
        Draft::new(
            StepAction::GoNoGo,
            Phase::GoNoGo,
            StepKind::Checkpoint,
            LEAD,
            title,
        )
        .minutes(5.0, "estimate: fixed allowance")
        .rollback("No-go: stop here and roll back the steps done so far", 0.0),
    )
}

fn announce<'a>(phase: Phase, title: &str) -> Draft<'a> {
    Draft::new(
        StepAction::Announce,
        phase,
        StepKind::Communication,
        LEAD,
        title,
    )
    .minutes(5.0, "estimate: fixed allowance")
    .rollback("Announce that the migration is called off", 0.0)
}

/// The steps an upgrade's findings call for, after `prev` (the last constraints step): on the
/// target, once its indexes exist, before the catch-up. Returns the last step.
fn upgrade_steps(b: &mut Builder, steps: &[PlannedStep], mut prev: usize) -> usize {
    for planned in steps {
        let s = &planned.step;
        let from = planned
            .rehearsal
            .as_deref()
            .map_or_else(String::new, |run| format!(" (read in rehearsal {run})"));
        prev = b.push(
            Draft::new(
                StepAction::UpgradeStatements,
                Phase::Constraints,
                StepKind::Action,
                DBA,
                // The run stays out of the title: a step edit names its step by title, and must
                // survive the next rehearsal of the pair.
                format!("{}: {}", s.code, s.title),
            )
            .minutes(
                s.expected_seconds / 60.0,
                format!("{}{from}", s.estimate_basis),
            )
            .rollback(
                "Nothing to undo: the rebuilt indexes hold the same rows",
                0.0,
            ),
            vec![prev],
        );
        let last = b.steps.last_mut().expect("just pushed");
        last.finding = Some(s.code.clone());
        last.statements.clone_from(&s.sql);
    }
    prev
}

/// Steps for `settings.shape`, with provisional ids, in template order; `upgrade` steps (an
/// upgrade's findings' remedies) follow the constraints.
pub(super) fn generate(
    graph: &DependencyGraph,
    order: &MigrationOrder,
    settings: &PlanSettings,
    upgrade: &[PlannedStep],
) -> Runbook {
    let t = &settings.throughput;
    let s = sizes(graph, order);
    let mut b = Builder {
        steps: Vec::new(),
        depends_on: Vec::new(),
    };
    let prepare_minutes = 1.0 + 0.02 * s.tables as f64;
    let prepare = |title: String| {
        Draft::new(
            StepAction::PrepareTarget,
            Phase::Prepare,
            StepKind::Action,
            DBA,
            title,
        )
        .minutes(prepare_minutes, "estimate: 1 min + 1.2 s per table")
        .rollback("Drop the target schemas (the source is untouched)", 0.0)
    };
    let prepare_title = format!(
        "Prepare the target: create schemas and {} tables without deferred FKs and secondary indexes",
        s.tables
    );
    match settings.shape {
        MigrationShape::Cdc | MigrationShape::BlueGreen => {
            let blue_green = settings.shape == MigrationShape::BlueGreen;
            b.then(announce(
                Phase::Prepare,
                "Announce the migration schedule to application owners",
            ));
            b.then(prepare(prepare_title));
            let capture = b.then(
                Draft::new(
                    if blue_green { StepAction::StartReplication } else { StepAction::StartCapture },
                    Phase::Capture,
                    StepKind::Action,
                    DBA,
                    if blue_green {
                        format!("Start replication source → target for {} tables; the target stays read-only", s.tables)
                    } else {
                        format!("Start change capture on the source: changelog triggers on {} tables", s.tables)
                    },
                )
                .minutes(2.0 + 0.05 * s.tables as f64, "estimate: 2 min + 3 s per table")
                .rollback("Remove the change capture from the source", 1.0),
            );
            let backfills = backfill(&mut b, graph, order, t, &[capture]);
            let built = constraints(&mut b, &s, t, &backfills, capture);
            upgrade_steps(&mut b, upgrade, built);
            b.then(
                Draft::new(
                    StepAction::CatchUp,
                    Phase::CatchUp,
                    StepKind::Action,
                    DBA,
                    "Catch up: apply captured changes until lag is under 5 s",
                )
                .minutes(5.0, "estimate: assumed; measure it in a rehearsal")
                .rollback("Nothing to undo on the source", 0.0),
            );
            validation(
                &mut b,
                &s,
                t,
                "Validate: row counts, segment checksums, sampled rows, target constraints",
            );
            go_no_go(&mut b, "Go/no-go 1: zero mismatches, lag under threshold, rehearsed downtime within the window");
            b.then(announce(
                Phase::Freeze,
                "Announce the write freeze to application owners",
            ));
            b.then(
                Draft::new(
                    StepAction::FreezeWrites,
                    Phase::Freeze,
                    StepKind::Action,
                    APP,
                    "Freeze writes on the source (maintenance mode)",
                )
                .minutes(2.0, "estimate: fixed allowance")
                .rollback("Lift the write freeze on the source", 1.0),
            );
            b.then(
                Draft::new(
                    StepAction::FinalCatchUp,
                    Phase::CatchUp,
                    StepKind::Action,
                    DBA,
                    "Final catch-up: apply the remaining changes until lag is 0, then set the key sequences past the applied keys",
                )
                .minutes(2.0, "estimate: assumed; measure it in a rehearsal")
                .rollback("Nothing to undo on the source", 0.0),
            );
            b.then(
                Draft::new(StepAction::FinalValidation, Phase::Validation, StepKind::Action, DBA, "Final validation: row counts and checksums of segments changed since the last validation")
                    .minutes(2.0, "estimate: changed segments only")
                    .rollback("Nothing to undo (read-only)", 0.0),
            );
            go_no_go(
                &mut b,
                "Go/no-go 2 (final): zero mismatches, zero lag, within the maintenance window",
            );
            b.then(
                Draft::new(
                    StepAction::SwitchWrites,
                    Phase::Cutover,
                    StepKind::Action,
                    APP,
                    if blue_green { "Swap: make the target writable and route traffic to it" } else { "Cutover: point applications at the target and lift the freeze" },
                )
                .minutes(5.0, "estimate: fixed allowance")
                .rollback("Point applications back at the source and replay the writes made on the target (reverse changelog)", 10.0),
            );
            let reverse = b.then(
                Draft::new(StepAction::StartReverseCapture, Phase::KeepWarm, StepKind::Action, DBA, "Keep the source warm: reverse change capture target → source for the fallback period")
                    .minutes(2.0, "estimate: set-up only; it then runs in the background")
                    .rollback("Stop the reverse change capture", 0.0),
            );
            b.then(
                Draft::new(
                    StepAction::Verify,
                    Phase::Verify,
                    StepKind::Action,
                    APP,
                    "Post-cutover verification: smoke tests, error rates, row counts",
                )
                .minutes(15.0, "estimate: fixed allowance")
                .rollback("Nothing to undo (read-only)", 0.0),
            );
            let done = b.then(announce(
                Phase::Verify,
                "Announce completion; the source stays warm until decommission",
            ));
            b.push(
                Draft::new(
                    StepAction::Decommission,
                    Phase::Decommission,
                    StepKind::Action,
                    DBA,
                    "Stop reverse capture and decommission the source",
                )
                .minutes(30.0, "estimate: fixed allowance"),
                vec![reverse, done],
            );
        }
        MigrationShape::Offline => {
            b.then(announce(
                Phase::Prepare,
                "Announce the downtime to application owners and users",
            ));
            b.then(
                Draft::new(
                    StepAction::FreezeWrites,
                    Phase::Freeze,
                    StepKind::Action,
                    APP,
                    "Freeze writes on the source (start of downtime)",
                )
                .minutes(2.0, "estimate: fixed allowance")
                .rollback("Lift the write freeze on the source", 1.0),
            );
            let prep = b.then(prepare(prepare_title));
            let backfills = backfill(&mut b, graph, order, t, &[prep]);
            let built = constraints(&mut b, &s, t, &backfills, prep);
            upgrade_steps(&mut b, upgrade, built);
            validation(
                &mut b,
                &s,
                t,
                "Validate: row counts, segment checksums, sampled rows, target constraints",
            );
            go_no_go(
                &mut b,
                "Go/no-go: zero mismatches, copy finished within the maintenance window",
            );
            b.then(
                Draft::new(
                    StepAction::SwitchWrites,
                    Phase::Cutover,
                    StepKind::Action,
                    APP,
                    "Cutover: point applications at the target",
                )
                .minutes(5.0, "estimate: fixed allowance")
                .rollback("Point applications back at the source", 5.0),
            );
            b.then(
                Draft::new(StepAction::ResumeWrites, Phase::Cutover, StepKind::Action, APP, "Resume writes on the target (end of downtime); the source no longer receives them")
                    .minutes(2.0, "estimate: fixed allowance"),
            );
            b.then(
                Draft::new(
                    StepAction::Verify,
                    Phase::Verify,
                    StepKind::Action,
                    APP,
                    "Post-cutover verification: smoke tests, error rates, row counts",
                )
                .minutes(15.0, "estimate: fixed allowance")
                .rollback("Nothing to undo (read-only)", 0.0),
            );
            b.then(
                Draft::new(
                    StepAction::Decommission,
                    Phase::Decommission,
                    StepKind::Action,
                    DBA,
                    "Decommission the source",
                )
                .minutes(30.0, "estimate: fixed allowance"),
            );
        }
        MigrationShape::DualWrite => {
            b.then(announce(
                Phase::Prepare,
                "Announce the migration schedule to application owners",
            ));
            b.then(prepare(prepare_title));
            let dual = b.then(
                Draft::new(
                    StepAction::StartDualWrite,
                    Phase::Capture,
                    StepKind::Action,
                    APP,
                    "Deploy dual write: the application writes to the source and the target",
                )
                .minutes(30.0, "estimate: one application deployment")
                .rollback(
                    "Disable dual write (deploy with writes to the source only)",
                    15.0,
                ),
            );
            let backfills = backfill(&mut b, graph, order, t, &[dual]);
            let built = constraints(&mut b, &s, t, &backfills, dual);
            upgrade_steps(&mut b, upgrade, built);
            validation(&mut b, &s, t, "Validate and watch drift: counts, segment checksums, sampled rows; mismatches must stay 0");
            go_no_go(&mut b, "Go/no-go 1: zero drift over the observation period");
            b.then(
                Draft::new(
                    StepAction::SwitchReads,
                    Phase::Cutover,
                    StepKind::Action,
                    APP,
                    "Switch reads to the target",
                )
                .minutes(15.0, "estimate: one configuration change")
                .rollback("Switch reads back to the source", 15.0),
            );
            b.then(
                Draft::new(
                    StepAction::Verify,
                    Phase::Verify,
                    StepKind::Action,
                    APP,
                    "Post-switch verification: smoke tests, error rates, latency",
                )
                .minutes(15.0, "estimate: fixed allowance")
                .rollback("Nothing to undo (read-only)", 0.0),
            );
            go_no_go(
                &mut b,
                "Go/no-go 2 (final): reads healthy on the target, zero drift",
            );
            b.then(
                Draft::new(
                    StepAction::StopSourceWrites,
                    Phase::Cutover,
                    StepKind::Action,
                    APP,
                    "Stop writing to the source (single write to the target)",
                )
                .minutes(30.0, "estimate: one application deployment"),
            );
            b.then(announce(Phase::Verify, "Announce completion"));
            b.then(
                Draft::new(
                    StepAction::Decommission,
                    Phase::Decommission,
                    StepKind::Action,
                    DBA,
                    "Decommission the source",
                )
                .minutes(30.0, "estimate: fixed allowance"),
            );
        }
    }
    Runbook {
        steps: b.steps,
        depends_on: b.depends_on,
    }
}
