//! The migration plan: migration order, runbook, point of no return, critical path.
//!
//! A [`Plan`] is a value: the CLI prints it, exports render it, a rehearsal executes it. Building
//! one is a pure function of the dependency graph and [`PlanSettings`].
//!
//! **Point of no return (PONR).** Walking the runbook in order and adding up the rollback
//! minutes of every step done so far, the PONR is the first step that cannot be undone, or after
//! which that sum exceeds the RTO. Every reversible step after it that does not depend on it
//! (directly or transitively) is moved before it, so the team does everything it still can
//! undo before crossing; the PONR is then computed again until it no longer moves.

pub mod calibrate;
pub mod fit;
mod render;
mod runbook;
mod schedule;
pub mod settings;
pub mod step;

use serde::{Deserialize, Serialize};

use crate::graph::{DependencyGraph, MigrationOrder};
use crate::upgrade::UpgradeChecks;
pub use calibrate::{Calibrated, Calibration};
use runbook::Runbook;
pub use schedule::Schedule;
pub use settings::{MigrationShape, PlanSettings, Throughput};
pub use step::{Phase, Rollback, Step, StepAction, StepKind};

/// The point of no return.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointOfNoReturn {
    /// Id of the PONR step.
    pub step_id: String,
    /// Why it is the PONR.
    pub reason: String,
    /// Rollback minutes accumulated by the steps before it.
    pub rollback_minutes_before: f64,
}

/// A complete plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Settings the plan was made with.
    pub settings: PlanSettings,
    /// Waves and cycles.
    pub order: MigrationOrder,
    /// Runbook steps in execution order, ids `S001`….
    pub steps: Vec<Step>,
    /// The point of no return, if any step is one.
    pub point_of_no_return: Option<PointOfNoReturn>,
    /// Earliest start/finish of each step and the critical path.
    pub schedule: Schedule,
    /// The rehearsal whose measured durations replaced estimates, when the plan is calibrated
    /// ([`Plan::build_calibrated`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration: Option<Calibrated>,
    /// For an upgrade (one engine, two versions), the findings of its checks and where they
    /// come from; the runbook holds the steps they call for ([`Step::finding`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade: Option<UpgradeChecks>,
}

impl Plan {
    /// Expected seconds of every step of `phase` together, when they add up to more than 0.
    pub fn phase_seconds(&self, phase: Phase) -> Option<f64> {
        let minutes: f64 = self
            .steps
            .iter()
            .filter(|s| s.phase == phase)
            .map(|s| s.expected_minutes)
            .sum();
        (minutes > 0.0).then_some(minutes * 60.0)
    }

    /// Plans `graph` under `settings`.
    pub fn build(graph: &DependencyGraph, settings: &PlanSettings) -> Self {
        let order = graph.order();
        Self::with_order(graph, order, settings)
    }

    /// Plans with an already computed order (saves recomputing it for large graphs).
    pub fn with_order(
        graph: &DependencyGraph,
        order: MigrationOrder,
        settings: &PlanSettings,
    ) -> Self {
        Self::assemble(graph, order, settings, None, None)
    }

    /// Plans `graph` under `settings` with the durations measured by a rehearsal in place of
    /// the estimates they stand for (see [`calibrate`] for the mapping and the scaling to the
    /// plan's rows). The point of no return, the step order and the schedule are computed from
    /// the calibrated figures; [`Plan::calibration`] says which steps were calibrated.
    pub fn build_calibrated(
        graph: &DependencyGraph,
        settings: &PlanSettings,
        calibration: &Calibration,
    ) -> Self {
        Self::assemble(graph, graph.order(), settings, Some(calibration), None)
    }

    /// Plans `graph` under `settings`, calibrated when `calibration` is given (as
    /// [`Plan::build_calibrated`]), carrying an upgrade's checks when `upgrade` is given: its
    /// findings in [`Plan::upgrade`], and the runbook steps they call for on the target after
    /// the copy's constraints and indexes, before the catch-up and the cutover (phase
    /// constraints, action [`StepAction::UpgradeStatements`], with their finding's code).
    pub fn build_with(
        graph: &DependencyGraph,
        settings: &PlanSettings,
        calibration: Option<&Calibration>,
        upgrade: Option<&UpgradeChecks>,
    ) -> Self {
        Self::assemble(graph, graph.order(), settings, calibration, upgrade)
    }

    fn assemble(
        graph: &DependencyGraph,
        order: MigrationOrder,
        settings: &PlanSettings,
        calibration: Option<&Calibration>,
        upgrade: Option<&UpgradeChecks>,
    ) -> Self {
        let upgrade_steps = upgrade.map_or(&[][..], |u| u.steps.as_slice());
        let mut runbook = runbook::generate(graph, &order, settings, upgrade_steps);
        let marks = calibration.map(|c| {
            (
                calibrate::apply(c, settings.shape, &mut runbook.steps, graph),
                c,
            )
        });
        // Execution order, as provisional ids (indices into `runbook.steps`).
        let mut sequence: Vec<usize> = (0..runbook.steps.len()).collect();
        let mut ponr = find_ponr(&runbook.steps, &sequence, settings.rto_minutes);
        for _ in 0..sequence.len() {
            let Some(p) = ponr.as_ref().map(|p| p.0) else {
                break;
            };
            if !move_reversible_before(&runbook, &mut sequence, p) {
                break;
            }
            let next = find_ponr(&runbook.steps, &sequence, settings.rto_minutes);
            if next.as_ref().map(|n| n.0) == Some(p) {
                ponr = next;
                break;
            }
            ponr = next;
        }
        let (steps, depends_on) = renumber(runbook, &sequence);
        let calibration = marks.map(|(marks, c)| {
            let ids = |marked: &[bool]| -> Vec<String> {
                (0..steps.len())
                    .filter(|&i| marked[sequence[i]])
                    .map(|i| steps[i].id.clone())
                    .collect()
            };
            Calibrated {
                run_id: c.run_id.clone(),
                rehearsal_rows: c.rehearsal_rows,
                plan_rows: marks.plan_rows,
                duration_steps: ids(&marks.duration),
                rollback_steps: ids(&marks.rollback),
                unused: marks.unused,
                fitted: marks.fitted,
            }
        });
        let point_of_no_return = ponr.map(|(i, reason, before)| PointOfNoReturn {
            step_id: steps[i].id.clone(),
            reason,
            rollback_minutes_before: before,
        });
        let schedule = Schedule::by_index(&steps, &depends_on);
        Self {
            settings: settings.clone(),
            order,
            steps,
            point_of_no_return,
            schedule,
            calibration,
            upgrade: upgrade.cloned(),
        }
    }

    /// The step with this id.
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }

    /// Estimated write downtime in minutes: from the start of the first write freeze (or
    /// cutover, when the shape has no freeze) to the end of the last cutover step, on the
    /// schedule. Zero when the shape needs no downtime.
    pub fn downtime_minutes(&self) -> f64 {
        let first_freeze = self.steps.iter().position(|s| s.phase == Phase::Freeze);
        let last_cutover = self.steps.iter().rposition(|s| s.phase == Phase::Cutover);
        match (first_freeze, last_cutover) {
            (Some(f), Some(c)) if f <= c => self.schedule.finish[c] - self.schedule.start[f],
            _ => 0.0,
        }
    }

    /// Human-readable summary (the `plan` command's output).
    pub fn render_text(&self, title: &str, graph: &DependencyGraph) -> String {
        render::text(self, title, graph)
    }
}

/// `(position, reason, rollback minutes before it)` of the PONR, walking `steps` in the order
/// of `sequence`.
fn find_ponr(steps: &[Step], sequence: &[usize], rto_minutes: f64) -> Option<(usize, String, f64)> {
    let mut cost = 0.0;
    for (i, step) in sequence.iter().map(|&id| &steps[id]).enumerate() {
        match &step.rollback {
            None => {
                return Some((i, "this step cannot be undone".into(), cost));
            }
            Some(rollback) if cost + rollback.minutes > rto_minutes => {
                return Some((
                    i,
                    format!(
                        "returning to the source after it takes {} min, more than the RTO of {} min",
                        cost + rollback.minutes,
                        rto_minutes
                    ),
                    cost,
                ));
            }
            Some(rollback) => cost += rollback.minutes,
        }
    }
    None
}

/// Moves every reversible step after position `ponr` of `sequence` that does not depend on it
/// before it. Returns whether anything moved.
fn move_reversible_before(runbook: &Runbook, sequence: &mut Vec<usize>, ponr: usize) -> bool {
    // Steps that stay after the PONR (the PONR included), by provisional id.
    let mut after_ponr = vec![false; runbook.steps.len()];
    after_ponr[sequence[ponr]] = true;
    let mut moved = Vec::new();
    let mut stay = Vec::new();
    for id in sequence.drain(ponr + 1..) {
        let blocked = runbook.depends_on[id].iter().any(|&d| after_ponr[d]);
        if runbook.steps[id].reversible() && !blocked {
            moved.push(id);
        } else {
            after_ponr[id] = true;
            stay.push(id);
        }
    }
    let any = !moved.is_empty();
    let ponr_step = sequence.pop().expect("ponr index is in range");
    sequence.extend(moved);
    sequence.push(ponr_step);
    sequence.extend(stay);
    any
}

/// Puts the steps in the order of `sequence` and gives them their ids `S001`…. Returns the steps
/// and, for each, the positions of the steps it depends on.
fn renumber(runbook: Runbook, sequence: &[usize]) -> (Vec<Step>, Vec<Vec<usize>>) {
    let Runbook {
        steps,
        mut depends_on,
    } = runbook;
    let width = steps.len().to_string().len().max(3);
    let ids: Vec<String> = (1..=steps.len()).map(|n| format!("S{n:0width$}")).collect();
    let mut position = vec![0; steps.len()];
    for (i, &id) in sequence.iter().enumerate() {
        position[id] = i;
    }
    let mut drafts: Vec<Option<Step>> = steps.into_iter().map(Some).collect();
    let mut ordered = Vec::with_capacity(sequence.len());
    let mut ordered_deps = Vec::with_capacity(sequence.len());
    for (i, &id) in sequence.iter().enumerate() {
        let mut step = drafts[id]
            .take()
            .expect("each step is in the sequence once");
        let mut deps = std::mem::take(&mut depends_on[id]);
        for d in &mut deps {
            *d = position[*d];
        }
        step.id = ids[i].clone();
        step.depends_on = deps.iter().map(|&d| ids[d].clone()).collect();
        ordered.push(step);
        ordered_deps.push(deps);
    }
    (ordered, ordered_deps)
}

#[cfg(test)]
mod layering {
    use std::path::Path;

    /// Every `.rs` file under `dir`, recursively, with its text.
    fn sources(dir: &Path) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).expect("readable source folder") {
            let path = entry.expect("a folder entry").path();
            if path.is_dir() {
                out.extend(sources(&path));
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("readable source");
                out.push((path.display().to_string(), text));
            }
        }
        out
    }

    /// The planning core is a leaf: a rehearsal and the desktop-facing layer use plans, never
    /// the reverse, so neither can leak into what a plan is.
    #[test]
    fn the_planning_core_imports_neither_the_rehearsal_nor_the_workspace() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/plan");
        let files = sources(&dir);
        assert!(files.len() >= 5, "found {} plan sources", files.len());
        for (path, text) in files {
            // Spelt in pieces so this test's own text does not match.
            for module in ["rehearsal", "workspace"] {
                for prefix in ["crate", "super::super", "migration_studio"] {
                    let forbidden = format!("{prefix}::{module}");
                    assert!(!text.contains(&forbidden), "{path} names {forbidden}");
                }
            }
        }
    }
}
