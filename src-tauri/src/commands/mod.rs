//! The commands the webview may call, one module per screen family. Each is one call into the
//! engine (through [`migration_studio::workspace::Workspace`]) plus error conversion; long work
//! runs as a task that streams typed progress over a [`tauri::ipc::Channel`] and stops when
//! [`app::cancel_task`] is called with its id.
//!
//! A command names its project by the handle [`projects::open_project`],
//! [`projects::open_recent_project`] or [`projects::create_project`] gave the window, never by
//! a path: [`workspace`] refuses any other value with `not_opened` before touching a file.

pub mod app;
pub mod connections;
pub mod lifecycle;
pub mod mapping;
pub mod plan;
pub mod projects;
pub mod rehearsal;
pub mod risks;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::PathBuf;

use migration_studio::workspace::Workspace;
use tauri::ipc::Channel;

use crate::error::AppError;
use crate::state::AppState;

/// The opened workspace of a project, held (no other command uses any workspace meanwhile,
/// so two edits cannot interleave).
pub struct Opened<'a> {
    open: tokio::sync::MutexGuard<'a, HashMap<PathBuf, Workspace>>,
    key: PathBuf,
}

impl std::ops::Deref for Opened<'_> {
    type Target = Workspace;

    fn deref(&self) -> &Workspace {
        &self.open[&self.key]
    }
}

impl std::ops::DerefMut for Opened<'_> {
    fn deref_mut(&mut self) -> &mut Workspace {
        self.open.get_mut(&self.key).expect("opened before")
    }
}

/// The workspace of the project opened under the handle `project`, opened again when needed.
///
/// # Errors
/// [`crate::error::ErrorCode::NotOpened`] when `project` is not the handle of a project this
/// session opened (nothing is read or written then), and the errors of opening it.
pub async fn workspace<'a>(state: &'a AppState, project: &str) -> Result<Opened<'a>, AppError> {
    let key: PathBuf = state.project_root(project)?;
    let mut open = state.workspaces.lock().await;
    if !open.contains_key(&key) {
        let ws = Workspace::open(&key).await?;
        open.insert(key.clone(), ws);
        crate::memory::release_freed();
    }
    Ok(Opened { open, key })
}

/// Runs `f` on the workspace of the project opened under the handle `project`.
pub(crate) async fn with_workspace<R>(
    state: &AppState,
    project: &str,
    f: impl FnOnce(&mut Workspace) -> R,
) -> Result<R, AppError> {
    let mut ws = workspace(state, project).await?;
    Ok(f(&mut ws))
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
