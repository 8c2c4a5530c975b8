//! The one error type every command returns: a stable [`ErrorCode`] the UI branches on, the
//! engine's message (which names the file, line or database at fault, passwords redacted), and
//! what to do about it. Never a stack trace, never a raw `String`.

use migration_studio::db::DbError;
use migration_studio::export::ExportError;
use migration_studio::project::ProjectError;
use migration_studio::rehearsal::runs::RunError;
use migration_studio::workspace::backfill::BackfillRunError;
use migration_studio::workspace::connections::ConnectionError;
use migration_studio::workspace::secrets::{SecretBackend, SecretError};
use migration_studio::workspace::WorkspaceError;
use serde::Serialize;

/// What kind of failure it was; the UI picks its wording and its next action from this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The folder holds no `migration-studio.toml`.
    NotAProject,
    /// The window named a project this session did not open (through the app's dialog or the
    /// recent list): nothing was read or written.
    NotOpened,
    /// A project already exists there.
    AlreadyExists,
    /// The manifest is not valid.
    InvalidManifest,
    /// An input could not be imported (the message names file and line).
    ImportFailed,
    /// A live input's URL is not available.
    MissingConnection,
    /// The project store could not be read or written.
    Store,
    /// No artifact or step with that id (the view is out of date).
    NotFound,
    /// An argument was refused; `field` names the form field to fix.
    InvalidInput,
    /// A CSV file was refused (the message names its line and column); nothing was stored.
    InvalidCsv,
    /// A file could not be read or written.
    Io,
    /// A database could not be reached or a query failed.
    Database,
    /// The target is not a rehearsal target: nothing was written.
    NotARehearsalTarget,
    /// The rehearsal environment (Docker) could not be used.
    Provider,
    /// The keychain refused to store or read a secret.
    Secret,
    /// The task was cancelled.
    Cancelled,
    /// Another task with that id is running.
    Busy,
    /// The work ran and its answer is no (a verdict or gate), the engine's `failed` class.
    Failed,
    /// A service other than a database (the keychain, a provider) could not be reached or
    /// refused: the engine's `unavailable` class when no more specific code applies.
    Unavailable,
    /// Something the app did not expect; the message says what.
    Internal,
}

/// A command's failure, as the UI receives it.
#[derive(Debug, Clone, Serialize, specta::Type, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    /// Stable code.
    pub code: ErrorCode,
    /// What happened, naming the file, line, field or database concerned.
    pub message: String,
    /// What to do about it, when the app knows.
    pub hint: Option<String>,
    /// The form field at fault (`title`, `severity`, `host`…), for [`ErrorCode::InvalidInput`].
    pub field: Option<String>,
}

impl AppError {
    /// An error with no hint.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            hint: None,
            field: None,
        }
    }

    /// An [`ErrorCode::InvalidInput`] about the form field `field`.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: Some(field.to_owned()),
            ..Self::new(ErrorCode::InvalidInput, message)
        }
    }

    /// Adds what to do about it.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The task was cancelled.
    pub fn cancelled() -> Self {
        Self::new(ErrorCode::Cancelled, "cancelled")
    }

    /// An engine error without a more specific mapping, coded by its class
    /// ([`migration_studio::codes::classify`], the same classes as the CLI's exit codes): a
    /// database error found down its sources keeps its own codes ([`From<DbError>`]), anything
    /// else is coded by class, so no failure is reported as `database` unless a database
    /// failed.
    pub fn classified(e: &(dyn std::error::Error + 'static)) -> Self {
        use migration_studio::codes::ErrorClass;
        let mut next = Some(e);
        while let Some(cause) = next {
            if let Some(db) = cause.downcast_ref::<DbError>() {
                return Self::of_db(db, e.to_string());
            }
            next = cause.source();
        }
        let message = e.to_string();
        match migration_studio::codes::classify(e) {
            ErrorClass::BadInput => Self::new(ErrorCode::InvalidInput, message),
            ErrorClass::Unavailable => Self::new(ErrorCode::Unavailable, message),
            ErrorClass::Interrupted => Self::new(ErrorCode::Cancelled, message),
            ErrorClass::Failed => Self::new(ErrorCode::Failed, message),
            ErrorClass::Internal => Self::new(ErrorCode::Internal, message),
        }
    }
}

impl From<ProjectError> for AppError {
    fn from(e: ProjectError) -> Self {
        let message = e.to_string();
        match e {
            // The engine's message says how to create one with the CLI; the window has its own way.
            ProjectError::NotAProject(path) => Self::new(
                ErrorCode::NotAProject,
                format!(
                    "{}: not a Migration Studio project (no migration-studio.toml)",
                    path.display()
                ),
            )
            .hint("Choose a folder that holds migration-studio.toml, or create a project there on the Projects screen."),
            ProjectError::AlreadyExists(_) => Self::new(ErrorCode::AlreadyExists, message)
                .hint("Open it instead, or choose an empty folder."),
            ProjectError::Manifest { .. } | ProjectError::PathEscapes { .. } => {
                Self::new(ErrorCode::InvalidManifest, message)
                    .hint("Fix migration-studio.toml at the line shown, then open the project again.")
            }
            ProjectError::MissingUrl { ref input, .. } => {
                let hint = format!(
                    "Save a connection named `{input}` (Inventory → Import from a live database; its password stays in the app), or set the variable before starting the app; the URL never goes in the project."
                );
                Self::new(ErrorCode::MissingConnection, message).hint(hint)
            }
            ProjectError::Import(migration_studio::import::ImportError::Live { .. }) => {
                Self::new(ErrorCode::Database, message).hint(
                    "Check that the server is running and the connection's host, port, user, password and database (save the connection again to change them); nothing was imported.",
                )
            }
            ProjectError::Import(_) | ProjectError::Services(_) => {
                Self::new(ErrorCode::ImportFailed, message)
                    .hint("Fix the input at the file and line shown and import again; the stored inventory is unchanged.")
            }
            ProjectError::Io { .. } => Self::new(ErrorCode::Io, message),
            ProjectError::Store { .. }
            | ProjectError::StoreMigration { .. }
            | ProjectError::Corrupt { .. } => Self::new(ErrorCode::Store, message).hint(
                "The project's migration-studio.db could not be used; close other programs using it, or delete it to re-import.",
            ),
            // ProjectError is not exhaustive over time: keep the message.
            #[allow(unreachable_patterns)]
            _ => Self::new(ErrorCode::Internal, message),
        }
    }
}

impl From<WorkspaceError> for AppError {
    fn from(e: WorkspaceError) -> Self {
        let message = e.to_string();
        match e {
            WorkspaceError::Project(p) => p.into(),
            WorkspaceError::UnknownArtifact(_) | WorkspaceError::UnknownStep(_) => {
                Self::new(ErrorCode::NotFound, message).hint("Reload the view: the plan changed.")
            }
            WorkspaceError::UnknownRisk(_) | WorkspaceError::UnknownSuggestion(_) => {
                Self::new(ErrorCode::NotFound, message)
                    .hint("The register was reloaded: look for it again.")
            }
            WorkspaceError::InvalidEdit { field, .. } => Self::invalid(field, message),
            WorkspaceError::RiskCsv(_) => Self::new(ErrorCode::InvalidCsv, message).hint(
                "Fix the cell at the line and column shown (columns as in an exported register) and import again; the register is unchanged.",
            ),
            WorkspaceError::Read { .. } => {
                Self::new(ErrorCode::Io, message).hint("Choose a file you can read.")
            }
            WorkspaceError::Export(ExportError::InvalidPlan(_)) => {
                Self::new(ErrorCode::InvalidInput, message).hint(
                    "An orchestrator cannot carry the step named: edit it, or export CSV or Markdown.",
                )
            }
            WorkspaceError::Export(ExportError::Json(_) | ExportError::Yaml(_)) => {
                Self::new(ErrorCode::Internal, message)
            }
            WorkspaceError::Export(_) | WorkspaceError::Write { .. } => {
                Self::new(ErrorCode::Io, message).hint("Choose another place to save the file.")
            }
            // The engine's message tells a terminal user which command to run; the window
            // says where to click instead.
            WorkspaceError::Run(RunError::NoRuns { .. }) => Self::new(
                ErrorCode::NotFound,
                "this project has no rehearsal yet".to_owned(),
            )
            .hint("Run a full rehearsal on the Rehearsal screen first."),
            WorkspaceError::Run(_) | WorkspaceError::Calibration(_) => {
                Self::new(ErrorCode::NotFound, message)
                    .hint("Choose a rehearsal of the history, or run one first.")
            }
        }
    }
}

impl AppError {
    /// The codes of a database error, with `message` (the error's own, or that of an error
    /// wrapping it).
    fn of_db(e: &DbError, message: String) -> Self {
        match e {
            DbError::NotARehearsalTarget { .. } => {
                Self::new(ErrorCode::NotARehearsalTarget, message).hint(
                    "Migration Studio writes only to databases it marked as rehearsal targets; use a scratch database.",
                )
            }
            DbError::TargetIsSource { .. } | DbError::CaptureSource { .. } => {
                Self::new(ErrorCode::NotARehearsalTarget, message).hint(
                    "The target reaches the source database; choose a scratch database as the target.",
                )
            }
            DbError::RunLocked { .. } => Self::new(ErrorCode::Busy, message)
                .hint("Wait for the other run to finish, or stop it, then try again."),
            DbError::Scheme { .. } => Self::new(ErrorCode::InvalidInput, message)
                .hint("Check the connection's engine: the URL's scheme is not one Migration Studio reads."),
            DbError::Connect { .. } | DbError::ConnectTimeout { .. } | DbError::Query { .. } => {
                Self::new(ErrorCode::Database, message).hint(
                    "Check that the server is running and the connection's host, port, user and database.",
                )
            }
        }
    }
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        let message = e.to_string();
        Self::of_db(&e, message)
    }
}

impl From<SecretError> for AppError {
    fn from(e: SecretError) -> Self {
        Self::new(ErrorCode::Secret, e.to_string())
            .hint("Unlock the keychain, or start the app with MIGRATION_STUDIO_SECRETS=memory.")
    }
}

impl From<ConnectionError> for AppError {
    fn from(e: ConnectionError) -> Self {
        let message = e.to_string();
        match e {
            ConnectionError::Invalid { field, .. } => Self::invalid(field, message),
            ConnectionError::NotFound(_) => {
                Self::new(ErrorCode::NotFound, message).hint("Add it in the connection form.")
            }
            ConnectionError::PasswordUnavailable { backend, .. } => {
                Self::new(ErrorCode::MissingConnection, message).hint(match backend {
                    SecretBackend::Memory => "Enter the password again in the connection form (same name): without an OS keychain it is kept only until the app quits.",
                    SecretBackend::Keychain => "Enter the password again in the connection form (same name): the keychain has none for it.",
                })
            }
            ConnectionError::VariableUnset(_) => Self::new(ErrorCode::MissingConnection, message)
                .hint("Save a connection for it, or set the variable before starting the app."),
            ConnectionError::Secret(e) => e.into(),
            ConnectionError::Io { .. } => Self::new(ErrorCode::Io, message),
        }
    }
}

impl From<BackfillRunError> for AppError {
    fn from(e: BackfillRunError) -> Self {
        match e {
            BackfillRunError::Db(db) => db.into(),
            BackfillRunError::Import(i) => ProjectError::Import(i).into(),
            BackfillRunError::Io { .. } => Self::new(ErrorCode::Io, e.to_string()),
            other => Self::classified(&other),
        }
    }
}
