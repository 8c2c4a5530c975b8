//! Errors of project operations. Each names the file (and line, where there is one) or the
//! store, and a failed operation leaves the project as it was.

use std::path::PathBuf;

use crate::import::ImportError;

/// Why a project operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The folder has no manifest.
    #[error("{0}: not a Migration Studio project (no migration-studio.toml); create one with `migration-studio init`")]
    NotAProject(PathBuf),
    /// `init` found a manifest already there.
    #[error("{0} already exists; a project is initialised once")]
    AlreadyExists(PathBuf),
    /// The manifest is not valid.
    #[error("{}{}: {message}", file.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Manifest {
        /// The manifest file.
        file: PathBuf,
        /// 1-based line, when known.
        line: Option<usize>,
        /// What is wrong and what was expected.
        message: String,
    },
    /// An input path leaves the project folder.
    #[error("{}{}: input path {} refused: {reason}", file.display(), line.map(|l| format!(":{l}")).unwrap_or_default(), path.display())]
    PathEscapes {
        /// The manifest file.
        file: PathBuf,
        /// 1-based line, when known.
        line: Option<usize>,
        /// The offending path.
        path: PathBuf,
        /// Why it was refused.
        reason: String,
    },
    /// A live input's URL variable is not set.
    #[error("live input `{input}`: environment variable {variable} is not set (it holds the connection URL; credentials never go in the manifest)")]
    MissingUrl {
        /// The input's label.
        input: String,
        /// The variable name.
        variable: String,
    },
    /// An input could not be imported; nothing was stored.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// A service inventory input could not be imported; nothing was stored.
    #[error(transparent)]
    Services(#[from] crate::import::services::ServiceImportError),
    /// The project store failed.
    #[error("project store {path}: {source}")]
    Store {
        /// The SQLite file.
        path: PathBuf,
        /// The driver error.
        #[source]
        source: sqlx::Error,
    },
    /// The project store's schema could not be migrated.
    #[error("project store {path}: {source}")]
    StoreMigration {
        /// The SQLite file.
        path: PathBuf,
        /// The migration error.
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    /// Stored state could not be decoded (written by a newer version?).
    #[error("project store {path}: stored inventory is unreadable: {source}")]
    Corrupt {
        /// The SQLite file.
        path: PathBuf,
        /// The decoding error.
        #[source]
        source: serde_json::Error,
    },
}
