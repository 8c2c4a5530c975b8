//! Projects: recent list, open, create, import.
//!
//! A project is opened only in a folder dialog Rust opens ([`open_project`], [`create_project`])
//! or from the recent list ([`open_recent_project`]), which Rust fills only with such projects.
//! Opening gives the window the project's handle ([`ProjectView::handle`]); every other command
//! takes that handle and refuses anything else (see [`super::workspace`]).

use migration_studio::import::Engine;
use migration_studio::plan::MigrationShape;
use migration_studio::project::{Input, Manifest, Project};
use migration_studio::workspace::{Cancel, LiveSource, Workspace, WorkspaceError};
use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, State};

use super::send;
use crate::connections;
use crate::dialogs::{self, ChosenPath};
use crate::error::{AppError, ErrorCode};
use crate::json::{ImportView, ProjectView};
use crate::recent::{self, RecentProject};
use crate::state::{self, AppState};

/// Recently opened projects, most recent first.
#[tauri::command]
#[specta::specta]
pub async fn recent_projects(state: State<'_, AppState>) -> Result<Vec<RecentProject>, AppError> {
    Ok(recent::load(&state.config_dir))
}

/// Removes a project from the recent list (the folder is not touched).
#[tauri::command]
#[specta::specta]
pub async fn forget_recent_project(
    state: State<'_, AppState>,
    path: String,
) -> Result<Vec<RecentProject>, AppError> {
    Ok(recent::forget(&state.config_dir, &path))
}

/// Where a dialog starts: beside the most recent project (projects tend to sit together), else
/// in the home folder.
fn start_folder(app: &AppHandle, state: &AppState) -> Option<std::path::PathBuf> {
    recent::load(&state.config_dir)
        .into_iter()
        .find(|r| r.exists)
        .and_then(|r| {
            std::path::Path::new(&r.path)
                .parent()
                .map(ToOwned::to_owned)
        })
        .or_else(|| app.path().home_dir().ok())
}

/// Asks for a project folder (a folder dialog opened here, in Rust: the window sends no path),
/// opens the project there (importing its inputs when needed) and remembers it; `null` when
/// the person cancels.
#[tauri::command]
#[specta::specta]
pub async fn open_project(
    app: AppHandle,
    state: State<'_, AppState>,
) -> Result<Option<ProjectView>, AppError> {
    let start = start_folder(&app, &state);
    match dialogs::folder(&app, "Open a project folder", start.as_deref()).await? {
        Some(folder) => open_at(&state, &folder).await.map(Some),
        None => Ok(None),
    }
}

/// Opens a project of the recent list again, by its path as the list names it.
///
/// # Errors
/// `not_opened` when `path` is not in the list (the window cannot open a folder of its own
/// choosing); the errors of [`open_at`].
#[tauri::command]
#[specta::specta]
pub async fn open_recent_project(
    state: State<'_, AppState>,
    path: String,
) -> Result<ProjectView, AppError> {
    open_recent(&state, &path).await
}

/// [`open_recent_project`].
///
/// # Errors
/// `not_opened`, and the errors of [`open_at`].
pub async fn open_recent(state: &AppState, path: &str) -> Result<ProjectView, AppError> {
    let folder = recent::remembered(&state.config_dir, path).ok_or_else(|| {
        state::not_opened(path).hint(
            "Only projects of the recent list can be opened by name; choose any other folder with “Open a project…”.",
        )
    })?;
    open_at(state, &folder).await
}

/// Opens the project in `folder`, chosen in a dialog of [`dialogs`] or taken from the recent
/// list, gives it a handle for this session and remembers it.
///
/// # Errors
/// `not_a_project`, `invalid_manifest`, the errors of the inputs.
pub async fn open_at(state: &AppState, folder: &ChosenPath) -> Result<ProjectView, AppError> {
    let key = state::canonical(folder.path())?;
    let ws = Workspace::open(&key).await?;
    let handle = state.admit(&key);
    let view = ProjectView::of(&ws, &handle);
    state.workspaces.lock().await.insert(key, ws);
    crate::memory::release_freed();
    recent::touch(&state.config_dir, &view.root, &view.name);
    Ok(view)
}

/// Engine names the create form offers.
#[derive(Debug, Clone, Copy, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum EngineChoice {
    /// PostgreSQL.
    Postgres,
    /// MySQL or MariaDB.
    Mysql,
    /// SQLite.
    Sqlite,
}

impl From<EngineChoice> for Engine {
    fn from(e: EngineChoice) -> Self {
        match e {
            EngineChoice::Postgres => Engine::Postgres,
            EngineChoice::Mysql => Engine::Mysql,
            EngineChoice::Sqlite => Engine::Sqlite,
        }
    }
}

/// Shapes the create form offers.
#[derive(Debug, Clone, Copy, Deserialize, Type)]
#[serde(rename_all = "kebab-case")]
pub enum ShapeChoice {
    /// Write freeze, copy, validate, switch.
    Offline,
    /// Dual write and backfill.
    DualWrite,
    /// Change data capture.
    Cdc,
    /// Blue-green.
    BlueGreen,
}

impl From<ShapeChoice> for MigrationShape {
    fn from(s: ShapeChoice) -> Self {
        match s {
            ShapeChoice::Offline => MigrationShape::Offline,
            ShapeChoice::DualWrite => MigrationShape::DualWrite,
            ShapeChoice::Cdc => MigrationShape::Cdc,
            ShapeChoice::BlueGreen => MigrationShape::BlueGreen,
        }
    }
}

/// A new project. Its folder is not part of it: Rust asks for it in a folder dialog.
#[derive(Debug, Clone, Deserialize, Type)]
pub struct CreateProject {
    /// Name; the folder name when empty.
    pub name: String,
    /// Source engine.
    pub source: EngineChoice,
    /// Target engine.
    pub target: EngineChoice,
    /// Shape.
    pub shape: ShapeChoice,
    /// SQL scripts inside the folder, relative to it, in load order.
    pub inputs: Vec<String>,
}

/// Asks for the new project's folder (a folder dialog opened here, in Rust: the window sends no
/// path to write to), creates the project there and opens it; `null` when the person cancels.
#[tauri::command]
#[specta::specta]
pub async fn create_project(
    app: AppHandle,
    state: State<'_, AppState>,
    request: CreateProject,
) -> Result<Option<ProjectView>, AppError> {
    let start = start_folder(&app, &state);
    match dialogs::folder(
        &app,
        "Choose a folder for the new project",
        start.as_deref(),
    )
    .await?
    {
        Some(folder) => create_in(&state, request, &folder).await.map(Some),
        None => Ok(None),
    }
}

/// Creates a project with a manifest and an empty store in `folder` (created when missing),
/// chosen in a dialog of [`dialogs`], then opens it.
///
/// # Errors
/// `already_exists` when the folder holds a project; `invalid_manifest` when an input is not
/// inside the folder; I/O and store errors.
pub async fn create_in(
    state: &AppState,
    request: CreateProject,
    folder: &ChosenPath,
) -> Result<ProjectView, AppError> {
    let root = folder.path();
    let name = match request.name.trim() {
        "" => root.file_name().map_or_else(
            || "migration".to_owned(),
            |n| n.to_string_lossy().into_owned(),
        ),
        n => n.to_owned(),
    };
    let mut manifest = Manifest::new(
        &name,
        request.source.into(),
        request.target.into(),
        request.shape.into(),
    );
    manifest.inputs = request
        .inputs
        .iter()
        .map(|p| Input::Script {
            path: p.into(),
            engine: None,
        })
        .collect();
    Project::init(root, manifest).await?;
    open_at(state, folder).await
}

/// Progress of an import.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ImportEvent {
    /// Reading the inputs.
    Started {
        /// Number of inputs.
        inputs: u32,
    },
    /// Stored.
    Finished {
        /// What was imported.
        report: ImportView,
    },
}

/// Re-imports every input of the project `project` (a handle; all-or-nothing) as task `task`. Live inputs take their
/// URL from the saved connection of the same name (else from their variable).
#[tauri::command]
#[specta::specta]
pub async fn import_project(
    state: State<'_, AppState>,
    project: String,
    task: String,
    on_event: Channel<ImportEvent>,
) -> Result<ProjectView, AppError> {
    reimport(&state, &project, &task, &on_event).await
}

/// [`import_project`].
///
/// # Errors
/// `missing_connection` for a live input with neither a saved connection of its name nor its
/// variable; the errors of the inputs; `import_failed` when they hold nothing; `not_opened`
/// when `project` is not the handle of a project opened this session.
pub async fn reimport(
    state: &AppState,
    project: &str,
    task: &str,
    on_event: &Channel<ImportEvent>,
) -> Result<ProjectView, AppError> {
    let key = state.project_root(project)?;
    let manifest = Project::open(&key)?.manifest().clone();
    let urls = connections::live_urls(&state.config_dir, &state.secrets, &manifest);
    let view = run_import(
        state,
        project,
        &key,
        task,
        manifest.inputs.len() as u32,
        on_event,
        async { Workspace::import_with(&key, &urls).await },
    )
    .await?;
    if view.counts.tables == 0 && view.counts.services == 0 {
        return Err(AppError::new(
            ErrorCode::ImportFailed,
            "the inputs hold no table and no service",
        )
        .hint("Add SQL scripts with CREATE TABLE statements (or a service inventory) to migration-studio.toml."));
    }
    Ok(view)
}

/// A live database to import as an input of the project.
#[derive(Debug, Clone, Deserialize, Type)]
pub struct LiveImportRequest {
    /// Saved connection (its password is in the keychain); its name becomes the input's label
    /// in the manifest, which names no URL and no password.
    pub connection: String,
    /// PostgreSQL schemas or MySQL databases to read; empty: every non-system PostgreSQL schema,
    /// or the MySQL database the connection names.
    pub schemas: Vec<String>,
}

/// Imports the live database of a saved connection into the project `project` (a handle) as task `task`: the
/// connection becomes a live input of the manifest (by name; its URL stays in Rust) and every
/// input is imported, all-or-nothing. The window then reloads the inventory.
#[tauri::command]
#[specta::specta]
pub async fn import_live(
    state: State<'_, AppState>,
    project: String,
    task: String,
    request: LiveImportRequest,
    on_event: Channel<ImportEvent>,
) -> Result<ProjectView, AppError> {
    import_live_database(&state, &project, &task, request, &on_event).await
}

/// [`import_live`].
///
/// # Errors
/// `not_found` (no such connection), `missing_connection` (its password is not available),
/// `import_failed` or `database` (the message names the redacted URL), `invalid_input` (field
/// `name`), `cancelled`, `busy`; `not_opened` when `project` is not the handle of a project
/// opened this session (its manifest is not touched).
pub async fn import_live_database(
    state: &AppState,
    project: &str,
    task: &str,
    request: LiveImportRequest,
    on_event: &Channel<ImportEvent>,
) -> Result<ProjectView, AppError> {
    let key = state.project_root(project)?;
    let info = connections::find(&state.config_dir, &state.secrets, &request.connection)?;
    let url = connections::url(&state.config_dir, &state.secrets, &request.connection)?;
    let manifest = Project::open(&key)?.manifest().clone();
    let others = connections::live_urls(&state.config_dir, &state.secrets, &manifest);
    let source = LiveSource {
        label: info.name,
        engine: info.engine.into(),
        schemas: request
            .schemas
            .iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
    };
    let known = manifest
        .inputs
        .iter()
        .any(|i| matches!(i, Input::Live { live, .. } if *live == source.label));
    let inputs = manifest.inputs.len() as u32 + u32::from(!known);
    run_import(state, project, &key, task, inputs, on_event, async {
        Workspace::import_live(&key, &source, &url, &others).await
    })
    .await
}

/// Runs `import` as task `task` (cancel drops it: its transaction rolls back and the store and
/// manifest stay as they were), then keeps the workspace it made.
async fn run_import(
    state: &AppState,
    handle: &str,
    key: &std::path::Path,
    task: &str,
    inputs: u32,
    on_event: &Channel<ImportEvent>,
    import: impl std::future::Future<
        Output = Result<(Workspace, migration_studio::project::ImportReport), WorkspaceError>,
    >,
) -> Result<ProjectView, AppError> {
    let cancel = Cancel::new();
    let _task = state.start_task(task, {
        let cancel = cancel.clone();
        Box::new(move || cancel.cancel())
    })?;
    send(on_event, ImportEvent::Started { inputs });
    let (ws, report) = tokio::select! {
        result = import => result?,
        () = cancel.cancelled() => return Err(AppError::cancelled()),
    };
    send(
        on_event,
        ImportEvent::Finished {
            report: (&report).into(),
        },
    );
    let view = ProjectView::of(&ws, handle);
    state.workspaces.lock().await.insert(key.to_owned(), ws);
    crate::memory::release_freed();
    Ok(view)
}
