//! What the shell keeps between commands: the projects this session opened and their
//! workspaces, the SQLite files chosen in its dialogs, running tasks, the secret store and the
//! app's configuration folder.
//!
//! The window names a project only by the handle it was given when the person opened or created
//! it through a dialog Rust opened (or from the recent list, which holds only such projects):
//! [`AppState::project_root`] refuses anything else, so a page that went wrong cannot make the
//! app open, write to or import into a folder the person never opened.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use migration_studio::workspace::Workspace;

use crate::error::{AppError, ErrorCode};
use crate::secrets::SecretStore;

/// How a running task is stopped.
pub type Cancel = Box<dyn Fn() + Send + Sync>;

/// State shared by all commands.
pub struct AppState {
    /// Opened workspaces by canonical project folder.
    pub workspaces: tokio::sync::Mutex<HashMap<PathBuf, Workspace>>,
    /// Projects opened this session: canonical folder by handle.
    projects: Mutex<HashMap<String, PathBuf>>,
    /// SQLite files chosen in the app's dialog this session.
    sqlite_files: Mutex<HashSet<PathBuf>>,
    tasks: Mutex<HashMap<String, Cancel>>,
    /// Where connection secrets go.
    pub secrets: SecretStore,
    /// The app's configuration folder (recent projects, connection names).
    pub config_dir: PathBuf,
}

impl AppState {
    /// State with the given configuration folder and secret store.
    pub fn new(config_dir: PathBuf, secrets: SecretStore) -> Self {
        Self {
            workspaces: tokio::sync::Mutex::new(HashMap::new()),
            projects: Mutex::new(HashMap::new()),
            sqlite_files: Mutex::new(HashSet::new()),
            tasks: Mutex::new(HashMap::new()),
            secrets,
            config_dir,
        }
    }

    /// The handle of the project in `root` (a canonical folder the person chose in a dialog Rust
    /// opened, or took from the recent list), made on first use: the same folder keeps its
    /// handle for the session.
    pub(crate) fn admit(&self, root: &Path) -> String {
        let mut projects = self.projects.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((handle, _)) = projects.iter().find(|(_, r)| r.as_path() == root) {
            return handle.clone();
        }
        let handle = format!("project-{}", projects.len() + 1);
        projects.insert(handle.clone(), root.to_owned());
        handle
    }

    /// The folder of the project opened this session under `handle`.
    ///
    /// # Errors
    /// [`ErrorCode::NotOpened`] for anything else, a folder's path included: the app acts only
    /// on projects the person opened or created through its dialogs.
    pub fn project_root(&self, handle: &str) -> Result<PathBuf, AppError> {
        self.projects
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(handle)
            .cloned()
            .ok_or_else(|| not_opened(handle))
    }

    /// Remembers an SQLite file the person chose in the app's dialog.
    pub(crate) fn admit_sqlite_file(&self, path: &Path) {
        self.sqlite_files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(path.to_owned());
    }

    /// Whether `path` is an SQLite file chosen in the app's dialog this session.
    pub fn sqlite_file_chosen(&self, path: &Path) -> bool {
        self.sqlite_files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(path)
    }

    /// Registers a running task under `id`; the guard unregisters it when dropped.
    ///
    /// # Errors
    /// [`ErrorCode::Busy`] when a task with this id is running.
    pub fn start_task(&self, id: &str, cancel: Cancel) -> Result<TaskGuard<'_>, AppError> {
        let mut tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        if tasks.contains_key(id) {
            return Err(AppError::new(
                ErrorCode::Busy,
                format!("task {id} is already running"),
            ));
        }
        tasks.insert(id.to_owned(), cancel);
        Ok(TaskGuard {
            state: self,
            id: id.to_owned(),
        })
    }

    /// Asks the task `id` to stop; returns whether it was running.
    pub fn cancel_task(&self, id: &str) -> bool {
        let tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        match tasks.get(id) {
            Some(cancel) => {
                cancel();
                true
            }
            None => false,
        }
    }
}

/// Unregisters a task when dropped.
pub struct TaskGuard<'a> {
    state: &'a AppState,
    id: String,
}

impl Drop for TaskGuard<'_> {
    fn drop(&mut self) {
        self.state
            .tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.id);
    }
}

/// The refusal of a project the window names but this session did not open.
pub fn not_opened(named: &str) -> AppError {
    AppError::new(
        ErrorCode::NotOpened,
        format!("`{named}` is not a project opened in this window"),
    )
    .hint("Open the project with “Open a project…” (the app's folder dialog) or from the recent list; the app works only on projects opened there.")
}

/// The canonical path of a folder chosen in a dialog (or taken from the recent list).
///
/// # Errors
/// [`ErrorCode::NotAProject`] when the folder does not exist.
pub(crate) fn canonical(path: &Path) -> Result<PathBuf, AppError> {
    path.canonicalize().map_err(|e| {
        AppError::new(ErrorCode::NotAProject, format!("{}: {e}", path.display()))
            .hint("Choose an existing project folder.")
    })
}
