//! Calibration: the durations a rehearsal measured replace the runbook's estimates, scaled to
//! the plan's sizes.
//!
//! A rehearsal runs on a scratch copy holding [`Calibration::rehearsal_rows`] rows; the plan is
//! made from the inventory's size estimates, which may be larger (production). Each measured
//! rehearsal step carries over by one of two rules:
//!
//! - **rows**: the step's time grows with the rows it handles. The measured rate (rows the
//!   rehearsal step handled ÷ its seconds) is applied to the plan step's rows: a table's rows
//!   for a backfill step, all tables' rows otherwise. Minutes = plan rows ÷ rate ÷ 60, i.e.
//!   measured seconds × (plan rows ÷ rehearsal rows).
//! - **fixed**: the step costs the same at any size (it depends on the schema, not the data);
//!   the measured seconds are used as they are.
//!
//! [`STEP_MAPPINGS`] is the one table from rehearsal step names to runbook steps. Runbook steps
//! that no rehearsal step measures (announcements, go/no-go decisions, verification,
//! decommission) keep their estimates. Calibration happens before the point of no return and
//! the schedule are computed ([`super::Plan::build_calibrated`]), so both follow the measured
//! figures.
//!
//! The input is [`Calibration`], plain measured step durations: the rehearsal produces it from
//! its report (`RehearsalReport::measured_steps`), so planning depends on no rehearsal type and
//! the rehearsal depends on planning, not the other way round.

use serde::{Deserialize, Serialize};

use super::settings::MigrationShape;
use super::step::{Phase, Step, StepKind};
use crate::graph::{ArtifactKind, DependencyGraph};

/// How a measured duration carries over to a plan of another size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scaling {
    /// Proportional to rows: the measured rows per second applied to the plan step's rows.
    Rows,
    /// Fixed cost: the measured seconds as they are.
    Fixed,
}

/// Which figure of the runbook step a measurement replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Replaces {
    /// The step's expected duration.
    Duration,
    /// The minutes of the step's rollback (they decide the point of no return).
    Rollback,
}

/// Which of the action steps of a phase (in template order) a measurement applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Which {
    /// Every action step of the phase (the per-table backfill steps).
    Every,
    /// The first action step of the phase.
    First,
    /// The second action step of the phase (the final catch-up or the final validation after
    /// the freeze).
    Second,
}

/// One row of [`STEP_MAPPINGS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepMapping {
    /// Name of the rehearsal step, as it measured and named it.
    pub rehearsal_step: &'static str,
    /// Phase of the runbook steps it measures.
    pub phase: Phase,
    /// Which action steps of that phase.
    pub which: Which,
    /// How the measurement carries over.
    pub scaling: Scaling,
    /// What it replaces.
    pub replaces: Replaces,
    /// Shapes whose runbook step is what the rehearsal does (a rehearsal always runs the CDC
    /// flow: triggers, backfill, catch-up, freeze, cutover, reverse replay).
    pub shapes: &'static [MigrationShape],
}

const ALL: &[MigrationShape] = &[
    MigrationShape::Offline,
    MigrationShape::DualWrite,
    MigrationShape::Cdc,
    MigrationShape::BlueGreen,
];
const CDC: &[MigrationShape] = &[MigrationShape::Cdc, MigrationShape::BlueGreen];
const SWITCH: &[MigrationShape] = &[
    MigrationShape::Offline,
    MigrationShape::Cdc,
    MigrationShape::BlueGreen,
];

/// Name of the freeze measurement; the rehearsal derives it from its write downtime when it has
/// no step of that name.
pub const FREEZE_STEP: &str = "freeze";

/// Rehearsal steps → runbook steps, the one table calibration follows.
///
/// | rehearsal step | runbook step (action steps of the phase) | scaling | replaces | shapes |
/// |---|---|---|---|---|
/// | `start change capture` | capture | fixed | duration | cdc, blue-green |
/// | `prepare target` | prepare | fixed | duration | all |
/// | `backfill` | every backfill step (one per table) | rows | duration | all |
/// | `catch-up` | first catch-up | rows | duration | cdc, blue-green |
/// | `final catch-up` | second catch-up (after the freeze) | fixed | duration | cdc, blue-green |
/// | `create deferred constraints and indexes` | first constraints step | rows | duration | all |
/// | `validation` | first validation (the full one) | rows | duration | all |
/// | `final validation` | second validation (after the freeze) | rows | duration | cdc, blue-green |
/// | `verify` | first verification after the switch | fixed | duration | all |
/// | `freeze` | freeze | fixed | duration | offline, cdc, blue-green |
/// | `cutover` | first cutover step | fixed | duration | offline, cdc, blue-green |
/// | `rollback drill` | first cutover step | fixed | rollback minutes | cdc, blue-green |
///
/// The catch-up scales with rows because its backlog is what the workload wrote during the
/// backfill, which lasts in proportion to the rows (at the rehearsal's write rate); the final
/// catch-up drains what is left under the lag threshold at the freeze, whatever the size. The
/// rollback drill replays the writes made on the target after the cutover; their number in
/// production is unknown, so its seconds are taken as they are. `provision scratch databases`
/// and `load source` set the rehearsal up and match no runbook step.
pub const STEP_MAPPINGS: &[StepMapping] = &[
    StepMapping {
        rehearsal_step: "start change capture",
        phase: Phase::Capture,
        which: Which::First,
        scaling: Scaling::Fixed,
        replaces: Replaces::Duration,
        shapes: CDC,
    },
    StepMapping {
        rehearsal_step: "prepare target",
        phase: Phase::Prepare,
        which: Which::First,
        scaling: Scaling::Fixed,
        replaces: Replaces::Duration,
        shapes: ALL,
    },
    StepMapping {
        rehearsal_step: "backfill",
        phase: Phase::Backfill,
        which: Which::Every,
        scaling: Scaling::Rows,
        replaces: Replaces::Duration,
        shapes: ALL,
    },
    StepMapping {
        rehearsal_step: "catch-up",
        phase: Phase::CatchUp,
        which: Which::First,
        scaling: Scaling::Rows,
        replaces: Replaces::Duration,
        shapes: CDC,
    },
    StepMapping {
        rehearsal_step: "final catch-up",
        phase: Phase::CatchUp,
        which: Which::Second,
        scaling: Scaling::Fixed,
        replaces: Replaces::Duration,
        shapes: CDC,
    },
    StepMapping {
        rehearsal_step: "create deferred constraints and indexes",
        phase: Phase::Constraints,
        which: Which::First,
        scaling: Scaling::Rows,
        replaces: Replaces::Duration,
        shapes: ALL,
    },
    StepMapping {
        rehearsal_step: "validation",
        phase: Phase::Validation,
        which: Which::First,
        scaling: Scaling::Rows,
        replaces: Replaces::Duration,
        shapes: ALL,
    },
    StepMapping {
        rehearsal_step: "final validation",
        phase: Phase::Validation,
        which: Which::Second,
        scaling: Scaling::Rows,
        replaces: Replaces::Duration,
        shapes: CDC,
    },
    StepMapping {
        rehearsal_step: "verify",
        phase: Phase::Verify,
        which: Which::First,
        scaling: Scaling::Fixed,
        replaces: Replaces::Duration,
        shapes: ALL,
    },
    StepMapping {
        rehearsal_step: FREEZE_STEP,
        phase: Phase::Freeze,
        which: Which::First,
        scaling: Scaling::Fixed,
        replaces: Replaces::Duration,
        shapes: SWITCH,
    },
    StepMapping {
        rehearsal_step: "cutover",
        phase: Phase::Cutover,
        which: Which::First,
        scaling: Scaling::Fixed,
        replaces: Replaces::Duration,
        shapes: SWITCH,
    },
    StepMapping {
        rehearsal_step: "rollback drill",
        phase: Phase::Cutover,
        which: Which::First,
        scaling: Scaling::Fixed,
        replaces: Replaces::Rollback,
        shapes: CDC,
    },
];

/// One measured rehearsal step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    /// Rehearsal step name (see [`STEP_MAPPINGS`]).
    pub step: String,
    /// Measured seconds.
    pub seconds: f64,
    /// Rows the step handled; `None` means all the rehearsal's rows
    /// ([`Calibration::rehearsal_rows`]) for a row-proportional step.
    pub rows: Option<u64>,
    /// How the figure was obtained when it is not a recorded step (the freeze).
    pub derived: Option<String>,
}

/// Measured step durations of one rehearsal, the input of [`super::Plan::build_calibrated`]: a
/// neutral value the rehearsal produces, so planning reads measurements without knowing reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Run id of the rehearsal.
    pub run_id: String,
    /// Rows in the rehearsal's source after loading.
    pub rehearsal_rows: u64,
    /// Measured steps, in the rehearsal's order.
    pub measurements: Vec<Measurement>,
    /// Fixed and per-row costs fitted from rehearsals at several sizes
    /// ([`super::fit::fit_runs`]); a fitted step is planned from its line, not from this run's
    /// one point.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fits: Vec<super::fit::StepFit>,
}

impl Calibration {
    fn measurement(&self, step: &str) -> Option<&Measurement> {
        self.measurements.iter().find(|m| m.step == step)
    }

    fn fit(&self, step: &str) -> Option<&super::fit::StepFit> {
        self.fits.iter().find(|f| f.step == step)
    }
}

/// What calibration changed in a plan, recorded on [`super::Plan::calibration`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibrated {
    /// Run id of the rehearsal the figures come from.
    pub run_id: String,
    /// Rows of the rehearsal's source.
    pub rehearsal_rows: u64,
    /// Rows of the plan's tables (their size estimates).
    pub plan_rows: u64,
    /// Ids of the steps whose expected duration is the measured one.
    pub duration_steps: Vec<String>,
    /// Ids of the steps whose rollback minutes are the measured ones.
    pub rollback_steps: Vec<String>,
    /// Rehearsal steps of [`STEP_MAPPINGS`] that calibrated nothing, with why.
    pub unused: Vec<String>,
    /// Steps planned from a fitted line (rehearsals at several sizes): name, fixed and
    /// per-row cost, points, and how well the line fits them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fitted: Vec<String>,
}

/// Marks left by [`apply`] on the steps, by provisional id.
pub(super) struct Marks {
    pub duration: Vec<bool>,
    pub rollback: Vec<bool>,
    pub unused: Vec<String>,
    pub fitted: Vec<String>,
    pub plan_rows: u64,
}

/// Minutes rounded to 4 decimals (6 ms): calibrated steps of a small rehearsal last seconds.
fn round4(minutes: f64) -> f64 {
    (minutes * 10_000.0).round() / 10_000.0
}

/// Replaces the durations of `steps` (template order) by the measured ones, per
/// [`STEP_MAPPINGS`], and says which steps it changed.
pub(super) fn apply(
    calibration: &Calibration,
    shape: MigrationShape,
    steps: &mut [Step],
    graph: &DependencyGraph,
) -> Marks {
    let plan_rows: u64 = graph
        .artifacts()
        .filter(|(_, a)| a.kind == ArtifactKind::Table)
        .map(|(_, a)| a.rows.unwrap_or(0))
        .sum();
    let mut marks = Marks {
        duration: vec![false; steps.len()],
        rollback: vec![false; steps.len()],
        unused: Vec::new(),
        fitted: Vec::new(),
        plan_rows,
    };
    let run = &calibration.run_id;
    for mapping in STEP_MAPPINGS {
        let name = mapping.rehearsal_step;
        let Some(measured) = calibration.measurement(name) else {
            marks
                .unused
                .push(format!("{name}: not measured by this rehearsal"));
            continue;
        };
        if !mapping.shapes.contains(&shape) {
            marks.unused.push(format!(
                "{name}: the {shape} runbook has no step the rehearsal's {name} stands for"
            ));
            continue;
        }
        let actions: Vec<usize> = steps
            .iter()
            .enumerate()
            .filter(|(_, s)| s.phase == mapping.phase && s.kind == StepKind::Action)
            .map(|(i, _)| i)
            .collect();
        let chosen: Vec<usize> = match mapping.which {
            Which::Every => actions,
            Which::First => actions.first().copied().into_iter().collect(),
            Which::Second => actions.get(1).copied().into_iter().collect(),
        };
        if chosen.is_empty() {
            marks
                .unused
                .push(format!("{name}: no {} step in the runbook", mapping.phase));
            continue;
        }
        let seconds = measured.seconds;
        let rehearsal_rows = measured.rows.unwrap_or(calibration.rehearsal_rows);
        if let Some(fit) = calibration.fit(name) {
            let share = chosen.len() as f64;
            let mut used = false;
            for &i in &chosen {
                let step = &mut steps[i];
                let rows = match &step.artifact {
                    Some(id) => graph.find(id).and_then(|n| graph.artifact(n).rows),
                    None => Some(plan_rows),
                };
                let Some(rows) = rows else { continue };
                // The fixed cost of a run of several steps (the backfill's) is shared.
                let seconds = fit.fixed_seconds / share + fit.seconds_per_row * rows as f64;
                let how = format!(
                    "{name} fitted as {:.3} s + {:.3} µs/row over {} runs, {rows} rows",
                    fit.fixed_seconds,
                    fit.seconds_per_row * 1e6,
                    fit.points.len()
                );
                let minutes = round4(seconds / 60.0);
                match mapping.replaces {
                    Replaces::Duration => {
                        step.expected_minutes = minutes;
                        step.estimate_basis = format!("calibrated from rehearsals {run}: {how}");
                        marks.duration[i] = true;
                    }
                    Replaces::Rollback => {
                        let Some(rollback) = step.rollback.as_mut() else {
                            continue;
                        };
                        rollback.minutes = minutes;
                        step.estimate_basis.push_str(&format!(
                            "; rollback calibrated from rehearsals {run}: {how}"
                        ));
                        marks.rollback[i] = true;
                    }
                }
                used = true;
            }
            if used {
                marks.fitted.push(format!(
                    "{name}: {:.3} s + {:.3} µs/row from {} runs (worst error on them {:.0} %)",
                    fit.fixed_seconds,
                    fit.seconds_per_row * 1e6,
                    fit.points.len(),
                    fit.worst_relative_error * 100.0
                ));
                continue;
            }
        }
        if mapping.scaling == Scaling::Rows && (rehearsal_rows == 0 || seconds <= 0.0) {
            marks.unused.push(format!(
                "{name}: {rehearsal_rows} rows in {seconds:.3} s give no rate"
            ));
            continue;
        }
        let mut used = false;
        for i in chosen {
            let step = &mut steps[i];
            let (minutes, how) = match mapping.scaling {
                Scaling::Fixed => (
                    seconds / 60.0,
                    match &measured.derived {
                        Some(derived) => format!("{name} {seconds:.3} s ({derived})"),
                        None => format!("{name} {seconds:.3} s"),
                    },
                ),
                Scaling::Rows => {
                    let rows = match &step.artifact {
                        Some(id) => graph.find(id).and_then(|n| graph.artifact(n).rows),
                        None => Some(plan_rows),
                    };
                    // A table of unknown size keeps its estimate.
                    let Some(rows) = rows else { continue };
                    let rate = rehearsal_rows as f64 / seconds;
                    let how = if measured.rows.is_some() {
                        format!(
                            "{rows} rows at {rate:.0} rows/s ({name}: {rehearsal_rows} rows in {seconds:.3} s)"
                        )
                    } else {
                        format!(
                            "{name} {seconds:.3} s × {rows} rows planned ÷ {rehearsal_rows} rehearsed"
                        )
                    };
                    (rows as f64 / rate / 60.0, how)
                }
            };
            let minutes = round4(minutes);
            match mapping.replaces {
                Replaces::Duration => {
                    step.expected_minutes = minutes;
                    step.estimate_basis = format!("calibrated from rehearsal {run}: {how}");
                    marks.duration[i] = true;
                }
                Replaces::Rollback => {
                    let Some(rollback) = step.rollback.as_mut() else {
                        continue;
                    };
                    rollback.minutes = minutes;
                    step.estimate_basis.push_str(&format!(
                        "; rollback calibrated from rehearsal {run}: {how}"
                    ));
                    marks.rollback[i] = true;
                }
            }
            used = true;
        }
        if !used {
            marks.unused.push(format!(
                "{name}: the runbook's {} steps have no size or rollback to calibrate",
                mapping.phase
            ));
        }
    }
    marks
}
