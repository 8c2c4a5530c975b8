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

mod render;
mod runbook;
mod schedule;
pub mod settings;
pub mod step;

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::graph::{DependencyGraph, MigrationOrder};
pub use schedule::Schedule;
pub use settings::{MigrationShape, PlanSettings, Throughput};
pub use step::{Phase, Rollback, Step, StepKind};

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
}

impl Plan {
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
        let mut steps = runbook::generate(graph, &order, settings);
        let mut ponr = find_ponr(&steps, settings.rto_minutes);
        for _ in 0..steps.len() {
            let Some(p) = ponr.as_ref().map(|p| p.0) else {
                break;
            };
            if !move_reversible_before(&mut steps, p) {
                break;
            }
            let next = find_ponr(&steps, settings.rto_minutes);
            if next.as_ref().map(|n| n.0) == Some(p) {
                ponr = next;
                break;
            }
            ponr = next;
        }
        renumber(&mut steps);
        let point_of_no_return = ponr.map(|(i, reason, before)| PointOfNoReturn {
            step_id: steps[i].id.clone(),
            reason,
            rollback_minutes_before: before,
        });
        let schedule = Schedule::of(&steps);
        Self {
            settings: settings.clone(),
            order,
            steps,
            point_of_no_return,
            schedule,
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

/// `(index, reason, rollback minutes before it)` of the PONR.
fn find_ponr(steps: &[Step], rto_minutes: f64) -> Option<(usize, String, f64)> {
    let mut cost = 0.0;
    for (i, step) in steps.iter().enumerate() {
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

/// Moves every reversible step after `ponr` that does not depend on it before it. Returns
/// whether anything moved.
fn move_reversible_before(steps: &mut Vec<Step>, ponr: usize) -> bool {
    let mut after_ponr: HashSet<String> = HashSet::new();
    let mut moved_ids: HashSet<String> = HashSet::new();
    after_ponr.insert(steps[ponr].id.clone());
    let mut moved = Vec::new();
    let mut stay = Vec::new();
    for step in steps.drain(ponr + 1..) {
        let blocked = step
            .depends_on
            .iter()
            .any(|d| after_ponr.contains(d) && !moved_ids.contains(d));
        if step.reversible() && !blocked {
            moved_ids.insert(step.id.clone());
            moved.push(step);
        } else {
            after_ponr.insert(step.id.clone());
            stay.push(step);
        }
    }
    let any = !moved.is_empty();
    let ponr_step = steps.pop().expect("ponr index is in range");
    steps.extend(moved);
    steps.push(ponr_step);
    steps.extend(stay);
    any
}

fn renumber(steps: &mut [Step]) {
    let width = steps.len().to_string().len().max(3);
    let map: HashMap<String, String> = steps
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.clone(), format!("S{:0width$}", i + 1)))
        .collect();
    for step in steps.iter_mut() {
        step.id = map[&step.id].clone();
        for dep in &mut step.depends_on {
            *dep = map[dep.as_str()].clone();
        }
    }
}
