//! Open and import: a project folder becomes a [`Workspace`], its inputs (scripts, service
//! inventories, live databases) read into the store all-or-nothing.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::plan::Derived;
use super::{calibrate, edits, Workspace, WorkspaceError};
use crate::import::Engine;
use crate::inventory::Inventory;
use crate::project::{ImportReport, LiveUrls, Manifest, Project, ProjectError};

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

    pub(super) async fn assemble(
        project: Project,
        inventory: Inventory,
    ) -> Result<Self, WorkspaceError> {
        let Stored {
            risks,
            edits,
            calibration,
        } = stored(&project).await?;
        let (found, mut calibration_notes) = match &calibration {
            Some(runs) => calibrate::from_choice(&project, runs),
            None => (None, Vec::new()),
        };
        calibration_notes.extend(found.iter().flat_map(|c| c.notes.iter().cloned()));
        let calibration = found.map(|c| c.calibration);
        let derived = Derived::of(&project, &inventory, &risks, &edits, calibration.as_ref());
        Ok(Self {
            project,
            inventory: std::sync::Arc::new(inventory),
            graph: derived.graph,
            generated: derived.generated,
            plan: derived.plan,
            edits,
            risks,
            calibration,
            calibration_notes,
            ignored_orderings: derived.ignored_orderings,
        })
    }
}

impl Workspace {
    /// [`Workspace::import_with`] of an already opened `project` (the CLI's
    /// `import --skip-unparsed` sets [`Project::with_skip_unparsed`] first).
    ///
    /// # Errors
    /// Any input or store error; the stored inventory is then unchanged.
    pub async fn import_project(
        project: Project,
        urls: &LiveUrls,
    ) -> Result<(Self, ImportReport), WorkspaceError> {
        let (inventory, report) = project.import_with(urls).await?;
        Ok((Self::assemble(project, inventory).await?, report))
    }
}

/// What people stored beside the inventory: the risk register, the step edits and the choice
/// of calibration ([`calibrate::load_choice`]).
pub(super) struct Stored {
    pub(super) risks: Vec<crate::risk::Risk>,
    pub(super) edits: Vec<super::StepEdit>,
    /// Run ids the plan is calibrated from, separated by commas; `None`: the estimates.
    pub(super) calibration: Option<String>,
}

/// What people stored in the project of `project` (read in one visit to the store).
pub(super) async fn stored(project: &Project) -> Result<Stored, ProjectError> {
    let store = project.store().await?;
    let stored = async {
        Ok::<_, ProjectError>(Stored {
            risks: crate::risk::register::load(&store).await?,
            edits: edits::load(&store).await?,
            calibration: calibrate::load_choice(&store).await?,
        })
    }
    .await;
    store.close().await;
    stored
}
