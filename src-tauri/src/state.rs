//! What the shell keeps between commands: opened workspaces, running tasks, the secret store and
//! the app's configuration folder.

use std::collections::HashMap;
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
            tasks: Mutex::new(HashMap::new()),
            secrets,
            config_dir,
        }
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

/// The key of a project folder: its canonical path.
///
/// # Errors
/// [`ErrorCode::NotAProject`] when the folder does not exist.
pub fn project_key(path: &str) -> Result<PathBuf, AppError> {
    Path::new(path).canonicalize().map_err(|e| {
        AppError::new(ErrorCode::NotAProject, format!("{path}: {e}"))
            .hint("Choose an existing project folder.")
    })
}
