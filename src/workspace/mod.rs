//! A project as an interactive front end (the desktop app) works with it: opened once, its
//! inventory, dependency graph, migration order and plan computed once and kept, questions
//! (blast radius, exports) answered from them, and people's runbook edits applied to the plan.
//!
//! The CLI computes the same values per command; a [`Workspace`] keeps them between calls so a
//! window does not re-plan for every click. Everything here is a composition of the engine's
//! own functions: the front end adds no planning logic of its own.

pub mod edits;
pub mod risks;
pub mod trial;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::export::{runbook_markdown, write_runbook_csv, ExportError};
use crate::graph::{BlastRadius, DependencyGraph, GraphJson, Rollup};
use crate::import::Engine;
use crate::inventory::Inventory;
use crate::plan::Plan;
use crate::project::{ImportReport, LiveUrls, Manifest, Project, ProjectError};
use crate::risk::heatmap::HeatMap;
use crate::risk::Risk;
pub use edits::{step_key, StepEdit};
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
}

/// A live database to import as an input of the project, named as the desktop app names its
/// connections. Its URL is given separately (it holds a password).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveSource {
    /// The input's label in the manifest (the desktop uses the connection's name).
    pub label: String,
    /// Engine.
    pub engine: Engine,
    /// PostgreSQL schemas or MySQL databases to read; empty: see
    /// [`crate::import::live::import_live`].
    pub schemas: Vec<String>,
}

/// Runbook export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunbookFormat {
    /// RFC 4180 CSV with the columns of [`crate::export::RUNBOOK_CSV_COLUMNS`].
    Csv,
    /// Markdown document.
    Markdown,
}

/// What a workspace computes from its inventory, risks and edits.
struct Derived {
    graph: DependencyGraph,
    generated: Plan,
    plan: Plan,
    ignored_orderings: Vec<(String, String)>,
}

impl Derived {
    fn of(project: &Project, inventory: &Inventory, risks: &[Risk], edits: &[StepEdit]) -> Self {
        // Ordering constraints from the risk register feed the plan, as in the CLI.
        let mut graph = DependencyGraph::from_inventory(inventory);
        let ignored_orderings = crate::risk::apply_ordering(&mut graph, risks);
        let generated = Plan::build(&graph, &project.manifest().plan_settings());
        let plan = edits::apply(&generated, edits);
        Self {
            graph,
            generated,
            plan,
            ignored_orderings,
        }
    }
}

/// An opened project with its derived values.
#[derive(Debug, Clone)]
pub struct Workspace {
    project: Project,
    inventory: Inventory,
    graph: DependencyGraph,
    /// The plan as generated, before edits.
    generated: Plan,
    /// The plan with edits applied.
    plan: Plan,
    edits: Vec<StepEdit>,
    risks: Vec<Risk>,
    /// Ordering constraints naming an artifact not in the graph, as `(risk id, constraint)`.
    ignored_orderings: Vec<(String, String)>,
}

impl Workspace {
    /// Opens the project in `root`, importing its inputs when the store has no current import.
    ///
    /// # Errors
    /// [`ProjectError`] of opening, importing or reading the store.
    pub async fn open(root: &Path) -> Result<Self, WorkspaceError> {
        let project = Project::open(root)?;
        let inventory = project.inventory().await?;
        Self::assemble(project, inventory).await
    }

    /// Re-imports every input (all-or-nothing) and rebuilds the workspace.
    ///
    /// # Errors
    /// Any input or store error; the stored inventory is then unchanged.
    pub async fn import(root: &Path) -> Result<(Self, ImportReport), WorkspaceError> {
        Self::import_with(root, &LiveUrls::default()).await
    }

    /// [`Self::import`], live inputs taking their URL from `urls` when it has one.
    ///
    /// # Errors
    /// Any input or store error; the stored inventory is then unchanged.
    pub async fn import_with(
        root: &Path,
        urls: &LiveUrls,
    ) -> Result<(Self, ImportReport), WorkspaceError> {
        let project = Project::open(root)?;
        let (inventory, report) = project.import_with(urls).await?;
        Ok((Self::assemble(project, inventory).await?, report))
    }

    /// Makes the live database `source` an input of the project and imports every input,
    /// `source` read from `url` and other live inputs from `others` (else their variables).
    /// The input is appended to the manifest ([`Manifest::with_live_input`]) only once the
    /// import is stored; an input with that label already there is imported as it is.
    /// All-or-nothing: when the import fails, neither the store nor the manifest changes.
    ///
    /// # Errors
    /// [`WorkspaceError::InvalidEdit`] (field `name`) when the manifest has an input of that
    /// label reading another engine or other schemas; any input or store error.
    pub async fn import_live(
        root: &Path,
        source: &LiveSource,
        url: &str,
        others: &LiveUrls,
    ) -> Result<(Self, ImportReport), WorkspaceError> {
        let project = Project::open(root)?;
        let default_engine = project.manifest().source.engine;
        let conflict = project.manifest().inputs.iter().any(|input| {
            matches!(input, crate::project::Input::Live { live, engine, schemas, .. }
                if live == &source.label
                    && (engine.unwrap_or(default_engine) != source.engine
                        || schemas != &source.schemas))
        });
        if conflict {
            return Err(WorkspaceError::InvalidEdit {
                field: "name",
                message: format!(
                    "the manifest already has a live input `{}` reading another engine or other schemas; import under another name, or edit migration-studio.toml",
                    source.label
                ),
            });
        }
        let mut urls = others.clone();
        urls.insert(&source.label, url.to_owned());
        match Manifest::with_live_input(root, &source.label, source.engine, &source.schemas)? {
            None => Self::import_with(root, &urls).await,
            Some(text) => {
                let (project, inventory, report) =
                    project.import_with_manifest(&text, &urls).await?;
                Ok((Self::assemble(project, inventory).await?, report))
            }
        }
    }

    async fn assemble(project: Project, inventory: Inventory) -> Result<Self, WorkspaceError> {
        let store = project.store().await?;
        let stored = async {
            Ok::<_, ProjectError>((
                crate::risk::register::load(&store).await?,
                edits::load(&store).await?,
            ))
        }
        .await;
        store.close().await;
        let (risks, edits) = stored?;
        let derived = Derived::of(&project, &inventory, &risks, &edits);
        Ok(Self {
            project,
            inventory,
            graph: derived.graph,
            generated: derived.generated,
            plan: derived.plan,
            edits,
            risks,
            ignored_orderings: derived.ignored_orderings,
        })
    }

    /// Builds the graph and the plans again (after the risks' ordering constraints changed).
    fn replan(&mut self) {
        let derived = Derived::of(&self.project, &self.inventory, &self.risks, &self.edits);
        self.graph = derived.graph;
        self.generated = derived.generated;
        self.plan = derived.plan;
        self.ignored_orderings = derived.ignored_orderings;
    }

    /// The project.
    pub fn project(&self) -> &Project {
        &self.project
    }

    /// The imported inventory.
    pub fn inventory(&self) -> &Inventory {
        &self.inventory
    }

    /// The dependency graph.
    pub fn graph(&self) -> &DependencyGraph {
        &self.graph
    }

    /// The plan, with people's edits applied.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The stored edits, sorted by step key.
    pub fn edits(&self) -> &[StepEdit] {
        &self.edits
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
        let roots = ids
            .iter()
            .map(|id| {
                self.graph
                    .find(id)
                    .ok_or_else(|| WorkspaceError::UnknownArtifact(id.clone()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(self.graph.blast_radius(&roots))
    }

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

    /// The runbook in `format`, edits included.
    ///
    /// # Errors
    /// [`WorkspaceError::Export`].
    pub fn runbook(&self, format: RunbookFormat) -> Result<Vec<u8>, WorkspaceError> {
        Ok(match format {
            RunbookFormat::Csv => {
                let mut bytes = Vec::new();
                write_runbook_csv(&self.plan, &mut bytes)?;
                bytes
            }
            RunbookFormat::Markdown => {
                runbook_markdown(&self.plan, &self.project.manifest().name).into_bytes()
            }
        })
    }

    /// Writes the runbook in `format` to `path`; returns the number of bytes written.
    ///
    /// # Errors
    /// [`WorkspaceError::Export`], [`WorkspaceError::Write`].
    pub fn write_runbook(&self, format: RunbookFormat, path: &Path) -> Result<u64, WorkspaceError> {
        let bytes = self.runbook(format)?;
        std::fs::write(path, &bytes).map_err(|source| WorkspaceError::Write {
            path: path.to_owned(),
            source,
        })?;
        Ok(bytes.len() as u64)
    }
}
