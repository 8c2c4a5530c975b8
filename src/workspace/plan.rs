//! Plan: the one [`Plan`] every face shows, exports and rehearses. It is the plan generated
//! from the inventory's graph with the risk register's ordering constraints applied
//! ([`crate::risk::apply_ordering`]), calibrated from the rehearsals the project's stored choice
//! names (or others, asked for once: [`Calibrate`]), carrying an upgrade's checks and the steps
//! they call for ([`super::upgrade::checks`]), with the team's stored step edits applied
//! last ([`super::edits`]): an owner or a duration a person typed wins over an estimate and
//! over a measurement.
//!
//! `migration-studio plan`, `runbook export`, the desktop's runbook and the rehearsal all get
//! their plan from [`project_plan`] / [`planned`] or an opened [`Workspace`], which build it the
//! same way (one private `Derived::of`).

use super::calibrate::{self, Calibrate, RunCalibration};
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
        let upgrade = super::upgrade::checks(project, inventory);
        let generated = Plan::build_with(&graph, &settings, calibration, upgrade.as_ref());
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
    /// The rehearsals that calibrated it, asked for or stored.
    pub calibrated_from: Option<RunCalibration>,
    /// Whether that calibration is the project's stored choice ([`Calibrate::Stored`]).
    pub stored_calibration: bool,
    /// What a person should know about the calibration: [`RunCalibration::notes`], or a stored
    /// choice set aside because its rehearsal cannot be read any more.
    pub notes: Vec<String>,
}

/// The plan of `project`: generated from its stored inventory (imported first when the inputs
/// changed), the risk register's orderings honoured, calibrated as `calibrate` says (by default
/// the project's stored choice), the stored step edits applied. Reads the store and the run
/// folder; writes nothing but an import.
///
/// # Errors
/// [`WorkspaceError::Project`] (manifest, inputs, store); with [`Calibrate::From`],
/// [`WorkspaceError::Run`] when the rehearsal asked for cannot be read.
pub async fn planned(
    project: &Project,
    calibrate: Calibrate<'_>,
) -> Result<Planned, WorkspaceError> {
    planned_as(project, None, calibrate).await
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
    calibrate: Calibrate<'_>,
) -> Result<Planned, WorkspaceError> {
    // Asked-for runs are read first: a wrong id fails before any import.
    let asked = match calibrate {
        Calibrate::From(runs) => Some(calibrate::from_run(project, runs)?),
        Calibrate::Stored | Calibrate::Estimates => None,
    };
    let inventory = project.inventory().await?;
    let stored = open::stored(project).await?;
    let (calibrated_from, mut notes, stored_calibration) = match (calibrate, &stored.calibration) {
        (Calibrate::Stored, Some(runs)) => {
            let (found, notes) = calibrate::from_choice(project, runs);
            let applied = found.is_some();
            (found, notes, applied)
        }
        _ => (asked, Vec::new(), false),
    };
    notes.extend(calibrated_from.iter().flat_map(|c| c.notes.iter().cloned()));
    let derived = Derived::shaped(
        project,
        shape,
        &inventory,
        &stored.risks,
        &stored.edits,
        calibrated_from.as_ref().map(|c| &c.calibration),
    );
    Ok(Planned {
        plan: derived.plan,
        graph: derived.graph,
        ignored_orderings: derived.ignored_orderings,
        calibrated_from,
        stored_calibration,
        notes,
    })
}

/// The plan a rehearsal of `project` runs: [`planned`] with the estimates (a stored calibration
/// is not its budget: see [`super::rehearse::run`]), or calibrated from the project's latest
/// rehearsal when `calibrate` is true. Step ids (`S001`…) are those the CLI prints and the
/// runbook CSV lists; each step's `expected_minutes` is its budget.
///
/// # Errors
/// As [`planned`]; with `calibrate`, [`WorkspaceError::Run`] (`NoRuns`) when the project has
/// no rehearsal yet.
pub async fn project_plan(project: &Project, calibrate: bool) -> Result<Plan, WorkspaceError> {
    let how = if calibrate {
        Calibrate::From(calibrate::LATEST)
    } else {
        Calibrate::Estimates
    };
    Ok(planned(project, how).await?.plan)
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
    /// separated by commas), or goes back to the estimates (`None`); edits stay applied on top.
    /// The choice is stored in the project (the run ids resolved), so the CLI's `plan` and
    /// `runbook export` plan the same way (a rehearsal keeps the estimates as its budgets).
    /// Returns what a person should know ([`RunCalibration::notes`]).
    ///
    /// # Errors
    /// [`WorkspaceError::Run`], [`WorkspaceError::Calibration`], store errors; the plan and
    /// the stored choice are then unchanged.
    pub async fn calibrate(&mut self, run: Option<&str>) -> Result<Vec<String>, WorkspaceError> {
        let found = run
            .map(|run| calibrate::from_run(&self.project, run))
            .transpose()?;
        let runs = found.as_ref().map(|c| c.run_ids.join(","));
        let store = self.project.store().await?;
        let saved = calibrate::save_choice(&store, runs.as_deref()).await;
        store.close().await;
        saved?;
        let notes = found.as_ref().map(|c| c.notes.clone()).unwrap_or_default();
        self.calibration_notes.clone_from(&notes);
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
