//! Plan: the one [`Plan`] every face shows, exports and rehearses. It is the plan generated
//! from the inventory's graph with the risk register's ordering constraints applied
//! ([`crate::risk::apply_ordering`]), calibrated from a rehearsal when asked
//! ([`super::calibrate`]), with the team's stored step edits applied last ([`super::edits`]):
//! an owner or a duration a person typed wins over an estimate and over a measurement.
//!
//! `migration-studio plan`, `runbook export`, the desktop's runbook and the rehearsal all get
//! their plan from [`project_plan`] / [`planned`] or an opened [`Workspace`], which build it the
//! same way (one private `Derived::of`).

use super::calibrate::{self, RunCalibration};
use super::{edits, open, step_key, StepEdit, Workspace, WorkspaceError};
use crate::graph::DependencyGraph;
use crate::inventory::Inventory;
use crate::plan::{Calibration, MigrationShape, Plan};
use crate::project::Project;
use crate::risk::Risk;

/// What is computed from an inventory, the risks, the edits and a calibration.
#[derive(Debug, Clone)]
pub(super) struct Derived {
    pub(super) graph: DependencyGraph,
    /// Before edits.
    pub(super) generated: Plan,
    /// Edits applied.
    pub(super) plan: Plan,
    pub(super) ignored_orderings: Vec<(String, String)>,
}

impl Derived {
    /// The graph (risk orderings applied), the generated plan (calibrated when `calibration`
    /// is given) and that plan with `edits` applied.
    pub(super) fn of(
        project: &Project,
        inventory: &Inventory,
        risks: &[Risk],
        edits: &[StepEdit],
        calibration: Option<&Calibration>,
    ) -> Self {
        Self::shaped(project, None, inventory, risks, edits, calibration)
    }

    /// [`Derived::of`] with the runbook of `shape` instead of the manifest's.
    fn shaped(
        project: &Project,
        shape: Option<MigrationShape>,
        inventory: &Inventory,
        risks: &[Risk],
        edits: &[StepEdit],
        calibration: Option<&Calibration>,
    ) -> Self {
        let mut graph = DependencyGraph::from_inventory(inventory);
        let ignored_orderings = crate::risk::apply_ordering(&mut graph, risks);
        let mut settings = project.manifest().plan_settings();
        settings.shape = shape.unwrap_or(settings.shape);
        let generated = match calibration {
            Some(c) => Plan::build_calibrated(&graph, &settings, c),
            None => Plan::build(&graph, &settings),
        };
        let plan = edits::apply(&generated, edits);
        Self {
            graph,
            generated,
            plan,
            ignored_orderings,
        }
    }
}

/// A project's plan with what the faces print beside it.
#[derive(Debug, Clone)]
pub struct Planned {
    /// The plan (orderings, calibration and edits applied).
    pub plan: Plan,
    /// The graph it was planned from (risk orderings applied), for the text rendering.
    pub graph: DependencyGraph,
    /// Ordering constraints naming an artifact not in the graph, as `(risk id, constraint)`:
    /// the plan ignores them, the faces warn.
    pub ignored_orderings: Vec<(String, String)>,
    /// The rehearsal that calibrated it, when one was asked for.
    pub calibrated_from: Option<RunCalibration>,
}

/// The plan of `project`: generated from its stored inventory (imported first when the inputs
/// changed), the risk register's orderings honoured, calibrated from rehearsal
/// `calibrate_from` (a run id, [`calibrate::LATEST`], or several ids separated by commas,
/// fitted) when given, the stored step edits
/// applied. Reads the store and the run folder; writes nothing but an import.
///
/// # Errors
/// [`WorkspaceError::Project`] (manifest, inputs, store); [`WorkspaceError::Run`] when the
/// rehearsal asked for cannot be read.
pub async fn planned(
    project: &Project,
    calibrate_from: Option<&str>,
) -> Result<Planned, WorkspaceError> {
    planned_as(project, None, calibrate_from).await
}

/// [`planned`] with the runbook of `shape` in place of the manifest's (the rehearsal's
/// `--shape`); `None` keeps the manifest's. Step edits apply to the steps of that runbook they
/// name (by phase and title).
///
/// # Errors
/// As [`planned`].
pub async fn planned_as(
    project: &Project,
    shape: Option<MigrationShape>,
    calibrate_from: Option<&str>,
) -> Result<Planned, WorkspaceError> {
    let calibrated_from = calibrate_from
        .map(|run| calibrate::from_run(project, run))
        .transpose()?;
    let inventory = project.inventory().await?;
    let (risks, edits) = open::stored(project).await?;
    let derived = Derived::shaped(
        project,
        shape,
        &inventory,
        &risks,
        &edits,
        calibrated_from.as_ref().map(|c| &c.calibration),
    );
    Ok(Planned {
        plan: derived.plan,
        graph: derived.graph,
        ignored_orderings: derived.ignored_orderings,
        calibrated_from,
    })
}

/// The plan a rehearsal of `project` runs: [`planned`] without calibration, or calibrated from
/// the project's latest rehearsal when `calibrate` is true. Step ids (`S001`…) are those the
/// CLI prints and the runbook CSV lists; each step's `expected_minutes` is its budget.
///
/// # Errors
/// As [`planned`]; with `calibrate`, [`WorkspaceError::Run`] (`NoRuns`) when the project has
/// no rehearsal yet.
pub async fn project_plan(project: &Project, calibrate: bool) -> Result<Plan, WorkspaceError> {
    let run = calibrate.then_some(calibrate::LATEST);
    Ok(planned(project, run).await?.plan)
}

impl Workspace {
    /// Stores `edit` (replacing any earlier edit of the same step; an edit that changes nothing
    /// removes it) and applies every edit to the plan again.
    ///
    /// # Errors
    /// [`WorkspaceError::UnknownStep`], [`WorkspaceError::InvalidEdit`], store errors.
    pub async fn edit_step(&mut self, edit: StepEdit) -> Result<(), WorkspaceError> {
        if !self
            .generated
            .steps
            .iter()
            .any(|s| step_key(s) == edit.step_key)
        {
            return Err(WorkspaceError::UnknownStep(edit.step_key));
        }
        let edit = edit.validated()?;
        let store = self.project.store().await?;
        let saved = edits::save(&store, &edit).await;
        store.close().await;
        saved?;
        self.edits.retain(|e| e.step_key != edit.step_key);
        if !edit.is_empty() {
            self.edits.push(edit);
            self.edits.sort_by(|a, b| a.step_key.cmp(&b.step_key));
        }
        self.plan = edits::apply(&self.generated, &self.edits);
        Ok(())
    }

    /// Calibrates the plan from rehearsal `run` (an id, [`calibrate::LATEST`], or several ids
    /// separated by commas), or drops the calibration (`None`); edits stay applied on top.
    /// Returns what a person should know ([`RunCalibration::notes`]).
    ///
    /// # Errors
    /// [`WorkspaceError::Run`], [`WorkspaceError::Calibration`]; the plan is then unchanged.
    pub fn calibrate(&mut self, run: Option<&str>) -> Result<Vec<String>, WorkspaceError> {
        let found = run
            .map(|run| calibrate::from_run(&self.project, run))
            .transpose()?;
        let notes = found.as_ref().map(|c| c.notes.clone()).unwrap_or_default();
        self.calibration = found.map(|c| c.calibration);
        self.replan();
        Ok(notes)
    }

    /// Builds the graph and the plans again (after the risks' ordering constraints or the
    /// calibration changed).
    pub(super) fn replan(&mut self) {
        let derived = Derived::of(
            &self.project,
            &self.inventory,
            &self.risks,
            &self.edits,
            self.calibration.as_ref(),
        );
        self.graph = derived.graph;
        self.generated = derived.generated;
        self.plan = derived.plan;
        self.ignored_orderings = derived.ignored_orderings;
    }
}
