//! App-level commands: version and secret store, task cancellation.

use serde::Serialize;
use specta::Type;
use tauri::State;

use crate::error::AppError;
use crate::secrets::SecretBackend;
use crate::state::AppState;

/// About the app.
#[derive(Debug, Clone, Serialize, Type)]
pub struct AppInfo {
    /// App version.
    pub version: String,
    /// Where connection passwords are kept.
    pub secrets: SecretBackend,
    /// Why they are kept in memory only (forgotten when the app quits), when they are.
    pub secrets_note: Option<String>,
}

/// Version and secret store.
#[tauri::command]
#[specta::specta]
pub async fn app_info(state: State<'_, AppState>) -> Result<AppInfo, AppError> {
    Ok(AppInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        secrets: state.secrets.backend().into(),
        secrets_note: state.secrets.why_memory().map(str::to_owned),
    })
}

/// Asks the running task `task` to stop; returns whether it was running. The task ends with an
/// error of code `cancelled` (a backfill stops after its current chunk and can be resumed).
#[tauri::command]
#[specta::specta]
pub async fn cancel_task(state: State<'_, AppState>, task: String) -> Result<bool, AppError> {
    Ok(state.cancel_task(&task))
}
