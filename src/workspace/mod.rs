//! The application layer: the use cases the CLI and the desktop app both call, one file each.
//! A CLI subcommand or a Tauri command is one call here plus the mapping of its result (to
//! text, JSON and an exit code; to the desktop's error), so the two faces cannot drift apart.
//!
//! | use case | file | entry points |
//! |---|---|---|
//! | open, import | [`open`] | [`Workspace::open`], [`Workspace::import`], [`Workspace::import_project`], [`Workspace::import_live`] |
//! | plan | [`plan`] | [`plan::project_plan`], [`plan::planned`], [`Workspace::edit_step`], [`Workspace::calibrate`] |
//! | export | [`export`] | [`export::runbook`], [`Workspace::runbook`], [`Workspace::risks_export`] |
//! | backfill (and the desktop's trial copy) | [`backfill`] | [`backfill::run`], [`backfill::dry_run`], [`backfill::history`] |
//! | validate | [`validate`] | [`validate::run`] |
//! | mapping spec: init, show, DDL and diff, review, accept | [`mapping`] | [`mapping::init::init`], [`mapping::show::show`], [`mapping::diff::diff`], [`mapping::review::review`], [`mapping::accept::accept`] |
//! | rehearse, resume, cancel | [`rehearse`] | [`rehearse::run`] |
//! | lifecycle: status, approve, run | [`lifecycle`] | [`lifecycle::status::status`], [`lifecycle::approve::approve`], [`lifecycle::run::run`] |
//! | history | [`history`] | [`history::compare`], [`history::rehearsals`] |
//! | calibrate (and the stored choice every face plans with) | [`calibrate`] | [`calibrate::from_run`], [`Workspace::calibrate`], [`calibrate::Calibrate`] |
//! | risks | [`risks`] | [`Workspace::save_risk`], [`Workspace::decide_suggestion`]… |
//! | upgrade checks (plan and mapping review of an upgrade) | [`upgrade`] | [`upgrade::checks`] |
//! | artifact detail (the inventory's drill-down) | [`detail`] | [`Workspace::artifact_detail`] |
//! | services | [`services`] | [`Workspace::rollup`], [`services::blast_radius`], [`Workspace::services_csv`] |
//!
//! What every use case shares lives here too: cancellation ([`cancel::Cancel`]), where URLs and
//! passwords come from ([`secrets`], [`connections`]), and the clean-up of what a cancelled run
//! made ([`backfill::OnCancel`]). Each long use case reports progress as its own event enum,
//! sent on an optional unbounded channel (a closed receiver only means nobody watches).
//!
//! A [`Workspace`] is an opened project with its derived values (inventory, graph, plan) kept
//! between calls, so a window does not re-plan for every click; the CLI, which runs one command
//! per process, calls the same functions on a fresh project. Everything here is a composition
//! of the engine's own functions: no face adds planning logic of its own.

pub mod backfill;
pub mod calibrate;
pub mod cancel;
pub mod connections;
pub mod detail;
pub mod edits;
pub mod export;
pub mod history;
pub mod lifecycle;
pub mod mapping;
pub mod open;
pub mod plan;
pub mod rehearse;
pub mod risks;
pub mod secrets;
pub mod services;
pub mod upgrade;
pub mod validate;

use std::path::PathBuf;
use std::sync::Arc;

use crate::export::ExportError;
use crate::graph::{BlastRadius, DependencyGraph, GraphJson, Rollup};
use crate::inventory::Inventory;
use crate::plan::{Calibration, Plan};
use crate::project::{Project, ProjectError};
use crate::rehearsal::runs::RunError;
use crate::risk::heatmap::HeatMap;
use crate::risk::Risk;
pub use cancel::Cancel;
pub use edits::{step_key, StepEdit};
pub use export::RunbookFormat;
pub use open::LiveSource;
pub use risks::{RiskFormat, RiskImport};

/// Why a workspace operation failed.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    /// Opening, importing or storing failed.
    #[error(transparent)]
    Project(#[from] ProjectError),
    /// No artifact has this id in the graph.
    #[error("no artifact `{0}` in this project's graph")]
    UnknownArtifact(String),
    /// No runbook step has this key.
    #[error("no runbook step `{0}` in this plan (the plan may have changed since it was shown)")]
    UnknownStep(String),
    /// An edit was refused.
    #[error("{field}: {message}")]
    InvalidEdit {
        /// The edited field.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// An export could not be produced.
    #[error(transparent)]
    Export(#[from] ExportError),
    /// An export could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The destination.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// No risk has this id in the register.
    #[error("no risk `{0}` in the register (it may have been deleted since it was shown)")]
    UnknownRisk(String),
    /// No pending suggestion has this key.
    #[error("no pending suggestion `{0}` (it may have been decided, or the plan changed)")]
    UnknownSuggestion(String),
    /// A file to import could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A risk CSV was refused (nothing was stored).
    #[error(transparent)]
    RiskCsv(#[from] crate::risk::table::RiskCsvError),
    /// The rehearsal asked for (to calibrate or compare) cannot be read.
    #[error(transparent)]
    Run(#[from] RunError),
    /// The rehearsals named cannot calibrate a plan (none named).
    #[error("calibration: {0}")]
    Calibration(String),
}

/// An opened project with its derived values.
#[derive(Debug, Clone)]
pub struct Workspace {
    project: Project,
    /// Shared so a screen that reads it beside the plan (the mapping view) needs no copy and no
    /// second read of the store.
    inventory: Arc<Inventory>,
    graph: DependencyGraph,
    /// The plan as generated (calibrated when asked), before edits.
    generated: Plan,
    /// The plan with edits applied: what every face shows, exports and rehearses.
    plan: Plan,
    edits: Vec<StepEdit>,
    risks: Vec<Risk>,
    /// The rehearsal measurements the plan is calibrated with: the project's stored choice
    /// ([`Workspace::calibrate`]).
    calibration: Option<Calibration>,
    /// What a person should know about the calibration ([`Workspace::calibration_notes`]).
    calibration_notes: Vec<String>,
    /// Ordering constraints naming an artifact not in the graph, as `(risk id, constraint)`.
    ignored_orderings: Vec<(String, String)>,
}

impl Workspace {
    /// The project.
    pub fn project(&self) -> &Project {
        &self.project
    }

    /// The imported inventory.
    pub fn inventory(&self) -> &Inventory {
        &self.inventory
    }

    /// The imported inventory, shared: for work done without holding the workspace (the
    /// mapping view's data pass queries the source meanwhile).
    pub fn shared_inventory(&self) -> Arc<Inventory> {
        Arc::clone(&self.inventory)
    }

    /// The dependency graph, risk orderings applied.
    pub fn graph(&self) -> &DependencyGraph {
        &self.graph
    }

    /// The plan: generated, risk orderings honoured, calibrated when asked, people's edits
    /// applied. The same value [`plan::project_plan`] gives the CLI and the rehearsal.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The stored edits, sorted by step key.
    pub fn edits(&self) -> &[StepEdit] {
        &self.edits
    }

    /// What a person should know about the plan's calibration: a rehearsal that failed a gate,
    /// a step that could not be fitted, a stored choice whose rehearsal cannot be read any more
    /// (the plan then shows the estimates).
    pub fn calibration_notes(&self) -> &[String] {
        &self.calibration_notes
    }

    /// The risk register, by id.
    pub fn risks(&self) -> &[Risk] {
        &self.risks
    }

    /// Ordering constraints of the register that name an artifact not in the graph (ignored by
    /// the plan), as `(risk id, constraint)`.
    pub fn ignored_orderings(&self) -> &[(String, String)] {
        &self.ignored_orderings
    }

    /// The severity × likelihood heat map of the register.
    pub fn heat_map(&self) -> HeatMap {
        HeatMap::of(&self.risks)
    }

    /// The graph as nodes (with wave), edges (deferred ones marked), waves and cycles.
    pub fn graph_json(&self) -> GraphJson {
        GraphJson::new(&self.graph, &self.plan.order)
    }

    /// Artifacts grouped by owner, system, kind and wave.
    pub fn rollup(&self) -> Rollup {
        self.graph.rollup(&self.plan.order)
    }

    /// Everything that transitively depends on the artifacts `ids`.
    ///
    /// # Errors
    /// [`WorkspaceError::UnknownArtifact`] for an id not in the graph.
    pub fn blast_radius(&self, ids: &[String]) -> Result<BlastRadius, WorkspaceError> {
        services::blast_radius(&self.graph, ids)
    }
}
