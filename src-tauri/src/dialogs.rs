//! Native open, save and folder dialogs, opened from Rust. Every file or folder the app writes
//! or reads for the window (projects opened or created, runbook and register exports, register
//! imports, SQLite connection files) is one a person picked in one of these: the commands that
//! write or read files take no path from the webview, and the window's capability grants none
//! of the dialog plugin's own commands, so a page that went wrong cannot make the app write to
//! `/etc/…`, climb out with `../` or open a project folder the person never chose.

use std::path::{Path, PathBuf};

use tauri::{AppHandle, Manager};
use tauri_plugin_dialog::DialogExt;

use crate::error::{AppError, ErrorCode};

/// A path a person chose in a native dialog opened by [`save`], [`open`] or [`folder`]. Only this module
/// makes one (and unit tests), so a function that takes it cannot be handed a path that came
/// from the webview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChosenPath(PathBuf);

impl ChosenPath {
    /// The path.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// A project folder from the recent list, which holds only projects opened or created
    /// through these dialogs (see [`crate::recent`]).
    pub(crate) fn remembered(path: impl Into<PathBuf>) -> Self {
        Self(path.into())
    }

    /// A path as if chosen in a dialog, for the shell's unit tests.
    #[cfg(test)]
    pub(crate) fn chosen_in_test(path: impl Into<PathBuf>) -> Self {
        Self(path.into())
    }
}

/// The kind of file a dialog offers.
#[derive(Debug, Clone, Copy)]
pub struct FileKind {
    /// Filter label, e.g. `CSV`.
    pub label: &'static str,
    /// Extension without the dot.
    pub extension: &'static str,
}

/// RFC 4180 CSV.
pub const CSV: FileKind = FileKind {
    label: "CSV",
    extension: "csv",
};

/// Markdown.
pub const MARKDOWN: FileKind = FileKind {
    label: "Markdown",
    extension: "md",
};

/// JSON (a lifecycle measurements file).
pub const JSON: FileKind = FileKind {
    label: "JSON",
    extension: "json",
};

/// An Argo Workflows manifest.
pub const ARGO_YAML: FileKind = FileKind {
    label: "Argo Workflows YAML",
    extension: "yaml",
};

/// An Apache Airflow DAG file.
pub const AIRFLOW_DAG: FileKind = FileKind {
    label: "Airflow DAG (Python)",
    extension: "py",
};

/// A file name for `stem` (a project name): path separators and control characters replaced,
/// so the suggestion in the dialog is a name, never a path.
pub fn file_name(stem: &str, suffix: &str, kind: FileKind) -> String {
    let stem: String = stem
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() {
                '-'
            } else {
                c
            }
        })
        .collect();
    let stem = stem.trim_matches(|c: char| c == '.' || c.is_whitespace());
    let stem = if stem.is_empty() { "migration" } else { stem };
    format!("{stem}{suffix}.{}", kind.extension)
}

/// `path` with the kind's extension added when the person typed a name without one.
pub fn with_extension(path: PathBuf, kind: FileKind) -> PathBuf {
    if path.extension().is_some() {
        path
    } else {
        path.with_extension(kind.extension)
    }
}

fn dialog(
    app: &AppHandle,
    title: &str,
    kind: FileKind,
    directory: Option<&Path>,
) -> tauri_plugin_dialog::FileDialogBuilder<tauri::Wry> {
    let mut builder = app
        .dialog()
        .file()
        .set_title(title)
        .add_filter(kind.label, &[kind.extension]);
    if let Some(window) = app.get_webview_window("main") {
        builder = builder.set_parent(&window);
    }
    if let Some(dir) = directory.filter(|d| d.is_dir()) {
        builder = builder.set_directory(dir);
    }
    builder
}

async fn chosen(
    rx: tokio::sync::oneshot::Receiver<Option<tauri_plugin_dialog::FilePath>>,
) -> Result<Option<ChosenPath>, AppError> {
    // A dialog closed without a choice, or dropped, is no choice.
    let Ok(Some(picked)) = rx.await else {
        return Ok(None);
    };
    picked
        .into_path()
        .map(|p| Some(ChosenPath(p)))
        .map_err(|e| {
            AppError::new(
                ErrorCode::Io,
                format!("the dialog returned no local path: {e}"),
            )
            .hint("Choose a file on this computer.")
        })
}

/// Asks where to save a file of `kind`, suggesting `name` in `directory`; `None` when the
/// person cancels.
///
/// # Errors
/// [`ErrorCode::Io`] when the choice is not a local path.
pub async fn save(
    app: &AppHandle,
    title: &str,
    name: &str,
    kind: FileKind,
    directory: Option<&Path>,
) -> Result<Option<ChosenPath>, AppError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    dialog(app, title, kind, directory)
        .set_file_name(name)
        .save_file(move |path| {
            if tx.send(path).is_err() {
                tracing::debug!("save dialog answered after its command ended");
            }
        });
    Ok(chosen(rx)
        .await?
        .map(|ChosenPath(p)| ChosenPath(with_extension(p, kind))))
}

/// Asks which file of `kind` to open, starting in `directory`; `None` when the person cancels.
///
/// # Errors
/// [`ErrorCode::Io`] when the choice is not a local path.
pub async fn open(
    app: &AppHandle,
    title: &str,
    kind: FileKind,
    directory: Option<&Path>,
) -> Result<Option<ChosenPath>, AppError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    dialog(app, title, kind, directory).pick_file(move |path| {
        if tx.send(path).is_err() {
            tracing::debug!("open dialog answered after its command ended");
        }
    });
    chosen(rx).await
}

/// Asks which file to open, of any kind (an SQLite database has no fixed extension), starting
/// in `directory`; `None` when the person cancels.
///
/// # Errors
/// [`ErrorCode::Io`] when the choice is not a local path.
pub async fn open_any(
    app: &AppHandle,
    title: &str,
    directory: Option<&Path>,
) -> Result<Option<ChosenPath>, AppError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let mut builder = app.dialog().file().set_title(title);
    if let Some(window) = app.get_webview_window("main") {
        builder = builder.set_parent(&window);
    }
    if let Some(dir) = directory.filter(|d| d.is_dir()) {
        builder = builder.set_directory(dir);
    }
    builder.pick_file(move |path| {
        if tx.send(path).is_err() {
            tracing::debug!("open dialog answered after its command ended");
        }
    });
    chosen(rx).await
}

/// Asks for a folder, starting in `directory` (the person may make a new one in the dialog);
/// `None` when the person cancels.
///
/// # Errors
/// [`ErrorCode::Io`] when the choice is not a local path.
pub async fn folder(
    app: &AppHandle,
    title: &str,
    directory: Option<&Path>,
) -> Result<Option<ChosenPath>, AppError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let mut builder = app.dialog().file().set_title(title);
    if let Some(window) = app.get_webview_window("main") {
        builder = builder.set_parent(&window);
    }
    // Without a folder to start in, GTK's chooser opens on "Recent", where no folder is
    // current and its Open button stays disabled.
    if let Some(dir) = directory.filter(|d| d.is_dir()) {
        builder = builder.set_directory(dir);
    }
    builder.pick_folder(move |path| {
        if tx.send(path).is_err() {
            tracing::debug!("folder dialog answered after its command ended");
        }
    });
    chosen(rx).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggested_names_are_names_never_paths() {
        assert_eq!(file_name("sakila", "-runbook", CSV), "sakila-runbook.csv");
        assert_eq!(
            file_name("../../etc/passwd", "-risks", MARKDOWN),
            "-..-etc-passwd-risks.md"
        );
        assert_eq!(file_name(" .. ", "-runbook", CSV), "migration-runbook.csv");
        assert_eq!(
            with_extension(PathBuf::from("/tmp/a"), CSV),
            PathBuf::from("/tmp/a.csv")
        );
        assert_eq!(
            with_extension(PathBuf::from("/tmp/a.txt"), CSV),
            PathBuf::from("/tmp/a.txt")
        );
    }
}
