//! Projects: recent list, open, create, import.

use std::path::PathBuf;
use std::sync::Arc;

use migration_studio::import::Engine;
use migration_studio::plan::MigrationShape;
use migration_studio::project::{Input, Manifest, Project};
use migration_studio::workspace::Workspace;
use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::ipc::Channel;
use tauri::State;

use super::send;
use crate::error::{AppError, ErrorCode};
use crate::json::{ImportView, ProjectView};
use crate::recent::{self, RecentProject};
use crate::state::{project_key, AppState};

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

/// Opens the project in `path` (importing its inputs when needed) and remembers it.
#[tauri::command]
#[specta::specta]
pub async fn open_project(
    state: State<'_, AppState>,
    path: String,
) -> Result<ProjectView, AppError> {
    let key = project_key(&path)?;
    let ws = Workspace::open(&key).await?;
    let view = ProjectView::of(&ws);
    state.workspaces.lock().await.insert(key, ws);
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

/// A new project.
#[derive(Debug, Clone, Deserialize, Type)]
pub struct CreateProject {
    /// Folder to create it in (created when missing).
    pub path: String,
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

/// Creates a project folder with a manifest and an empty store, then opens it.
#[tauri::command]
#[specta::specta]
pub async fn create_project(
    state: State<'_, AppState>,
    request: CreateProject,
) -> Result<ProjectView, AppError> {
    let root = PathBuf::from(&request.path);
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
    Project::init(&root, manifest).await?;
    open_project(state, request.path).await
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

/// Re-imports every input of `project` (all-or-nothing) as task `task`.
#[tauri::command]
#[specta::specta]
pub async fn import_project(
    state: State<'_, AppState>,
    project: String,
    task: String,
    on_event: Channel<ImportEvent>,
) -> Result<ProjectView, AppError> {
    let key = project_key(&project)?;
    let stop = Arc::new(tokio::sync::Notify::new());
    let _task = state.start_task(&task, {
        let stop = stop.clone();
        Box::new(move || stop.notify_one())
    })?;
    let inputs = Project::open(&key)?.manifest().inputs.len() as u32;
    send(&on_event, ImportEvent::Started { inputs });
    // Dropping the import mid-way rolls its transaction back: the store stays as it was.
    let (ws, report) = tokio::select! {
        result = Workspace::import(&key) => result?,
        () = stop.notified() => return Err(AppError::cancelled()),
    };
    send(
        &on_event,
        ImportEvent::Finished {
            report: (&report).into(),
        },
    );
    let view = ProjectView::of(&ws);
    state.workspaces.lock().await.insert(key, ws);
    if view.counts.tables == 0 && view.counts.services == 0 {
        return Err(AppError::new(
            ErrorCode::ImportFailed,
            "the inputs hold no table and no service",
        )
        .hint("Add SQL scripts with CREATE TABLE statements (or a service inventory) to migration-studio.toml."));
    }
    Ok(view)
}
