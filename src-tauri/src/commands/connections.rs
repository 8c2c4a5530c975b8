//! Named database connections; passwords go to the secret store and never come back.

use tauri::State;

use crate::connections::{self, ConnectionForm, ConnectionInfo};
use crate::error::AppError;
use crate::state::AppState;

/// Stored connections (no passwords).
#[tauri::command]
#[specta::specta]
pub async fn connections(state: State<'_, AppState>) -> Result<Vec<ConnectionInfo>, AppError> {
    Ok(connections::list(&state.config_dir, &state.secrets))
}

/// Saves a connection; its password goes to the keychain (or the memory store).
#[tauri::command]
#[specta::specta]
pub async fn save_connection(
    state: State<'_, AppState>,
    form: ConnectionForm,
) -> Result<ConnectionInfo, AppError> {
    connections::save(&state.config_dir, &state.secrets, form)
}

/// Deletes a connection and its password.
#[tauri::command]
#[specta::specta]
pub async fn delete_connection(state: State<'_, AppState>, name: String) -> Result<(), AppError> {
    connections::delete(&state.config_dir, &state.secrets, &name)
}
