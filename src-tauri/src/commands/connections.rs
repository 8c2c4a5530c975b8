//! Named database connections; passwords go to the secret store and never come back. An SQLite
//! connection's file is one the person chose in a dialog Rust opened ([`choose_sqlite_file`]):
//! a path typed or sent by the window is refused.

use std::path::Path;

use tauri::{AppHandle, Manager, State};

use crate::connections::{self, ConnectionEngine, ConnectionForm, ConnectionInfo};
use crate::dialogs;
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
    save(&state, form)
}

/// [`save_connection`]: an SQLite connection's file must be one chosen in
/// [`choose_sqlite_file`] this session, or the file the connection of that name already has.
///
/// # Errors
/// `invalid_input` (field `database`) for any other SQLite file; those of
/// [`connections::save`].
pub fn save(state: &AppState, form: ConnectionForm) -> Result<ConnectionInfo, AppError> {
    if form.engine == ConnectionEngine::Sqlite {
        let file = form.database.trim();
        let kept = connections::list(&state.config_dir, &state.secrets)
            .into_iter()
            .any(|c| {
                c.name == form.name.trim()
                    && c.engine == ConnectionEngine::Sqlite
                    && c.database == file
            });
        if !file.is_empty() && !kept && !state.sqlite_file_chosen(Path::new(file)) {
            return Err(AppError::invalid(
                "database",
                format!("database: {file} was not chosen in the app's file dialog"),
            )
            .hint("Use “Choose file…” to pick the SQLite file: the app opens only files chosen there."));
        }
    }
    connections::save(&state.config_dir, &state.secrets, form)
}

/// Deletes a connection and its password.
#[tauri::command]
#[specta::specta]
pub async fn delete_connection(state: State<'_, AppState>, name: String) -> Result<(), AppError> {
    connections::delete(&state.config_dir, &state.secrets, &name)
}

/// Tests a saved connection: connects read-only with a short timeout and says the server's
/// engine and version.
#[tauri::command]
#[specta::specta]
pub async fn test_connection(
    state: State<'_, AppState>,
    name: String,
) -> Result<connections::ServerInfo, AppError> {
    connections::test(&state.config_dir, &state.secrets, &name).await
}

/// Asks which SQLite file a connection uses (an open dialog opened here, in Rust) and returns
/// its path for the connection form; `null` when the person cancels. Only a file chosen here
/// (this session) can be saved as an SQLite connection.
#[tauri::command]
#[specta::specta]
pub async fn choose_sqlite_file(
    app: AppHandle,
    state: State<'_, AppState>,
) -> Result<Option<String>, AppError> {
    let start = app.path().home_dir().ok();
    let Some(chosen) = dialogs::open_any(&app, "Choose the SQLite file", start.as_deref()).await?
    else {
        return Ok(None);
    };
    Ok(Some(admit_sqlite_file(&state, &chosen)))
}

/// Remembers `chosen` as an SQLite file the person picked, returning the path the form sends
/// back.
pub fn admit_sqlite_file(state: &AppState, chosen: &dialogs::ChosenPath) -> String {
    let path = chosen.path().display().to_string();
    state.admit_sqlite_file(Path::new(&path));
    path
}
