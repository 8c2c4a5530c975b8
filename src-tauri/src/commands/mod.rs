//! The commands the webview may call, one module per screen family. Each is one call into the
//! engine (through [`migration_studio::workspace::Workspace`]) plus error conversion; long work
//! runs as a task that streams typed progress over a [`tauri::ipc::Channel`] and stops when
//! [`app::cancel_task`] is called with its id.

pub mod app;
pub mod connections;
pub mod plan;
pub mod projects;
pub mod rehearsal;
pub mod risks;

use std::path::PathBuf;

use migration_studio::workspace::Workspace;
use tauri::ipc::Channel;
use tauri::State;

use crate::error::AppError;
use crate::state::{project_key, AppState};

/// Runs `f` on the opened workspace of `project`, opening it first when needed.
pub(crate) async fn with_workspace<R>(
    state: &State<'_, AppState>,
    project: &str,
    f: impl FnOnce(&mut Workspace) -> R,
) -> Result<R, AppError> {
    let key: PathBuf = project_key(project)?;
    let mut open = state.workspaces.lock().await;
    if !open.contains_key(&key) {
        let ws = Workspace::open(&key).await?;
        open.insert(key.clone(), ws);
    }
    let ws = open.get_mut(&key).expect("inserted above");
    Ok(f(ws))
}

/// Sends a progress event; a closed webview is logged, not an error of the task.
pub(crate) fn send<T: serde::Serialize + Clone + tauri::ipc::IpcResponse>(
    channel: &Channel<T>,
    event: T,
) {
    if let Err(e) = channel.send(event) {
        tracing::debug!("progress not delivered: {e}");
    }
}
