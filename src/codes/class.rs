//! Error classes: what kind of failure an engine error is, so a caller can act on it without
//! reading the message. The CLI turns a class into its exit code, the desktop app into the
//! code of its error. Every engine error type is classified here, with exhaustive matches: a
//! new variant does not compile until someone decides its class.

use std::error::Error;

use crate::backfill::post_copy::PostCopyError;
use crate::backfill::run_files::InvalidRunId;
use crate::backfill::write::WriteError;
use crate::backfill::BackfillError;
use crate::data::copy_out::CopyOutError;
use crate::data::SpecError;
use crate::db::DbError;
use crate::export::ExportError;
use crate::import::services::ServiceImportError;
use crate::import::ImportError;
use crate::lifecycle::LifecycleError;
use crate::mapping::MappingError;
use crate::project::ProjectError;
use crate::rehearsal::load::LoadError;
use crate::rehearsal::provider::images::ImageBuildError;
use crate::rehearsal::runs::RunError;
use crate::rehearsal::{ProviderError, RehearsalError};
use crate::risk::table::RiskCsvError;
use crate::validate::pair::PairError;
use crate::validate::ValidateError;
use crate::workspace::backfill::BackfillRunError;
use crate::workspace::connections::ConnectionError;
use crate::workspace::secrets::SecretError;
use crate::workspace::validate::ValidateRunError;
use crate::workspace::WorkspaceError;

/// What kind of failure it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// The work ran and its answer is no: a rehearsal gate failed, a validation verdict is not
    /// `equal`. Nothing is wrong with the inputs or the machines.
    Failed,
    /// What was given is wrong: the command line, the project (manifest, store, DDL, CSV, YAML
    /// inputs), a run id, a path that cannot be read or written, or a target the guards refuse
    /// (not a rehearsal target, the source itself). Fix it; retrying as is fails again.
    BadInput,
    /// A database, the Docker daemon or an image could not be reached, refused the connection
    /// or a query, or is busy with another run. The inputs may be fine; fix the environment
    /// or retry.
    Unavailable,
    /// Stopped by a signal (Ctrl-C, SIGTERM, SIGHUP) after cleaning up.
    Interrupted,
    /// Anything else: a failure the engine did not expect (the message says what).
    Internal,
}

impl ErrorClass {
    /// Every class, in exit-code order.
    pub const ALL: [ErrorClass; 5] = [
        ErrorClass::Failed,
        ErrorClass::BadInput,
        ErrorClass::Unavailable,
        ErrorClass::Internal,
        ErrorClass::Interrupted,
    ];

    /// The CLI's exit code for this class. 130 is the shells' code for a process ended by
    /// SIGINT, which is what a caller waiting on an interrupted run expects.
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorClass::Failed => 1,
            ErrorClass::BadInput => 2,
            ErrorClass::Unavailable => 3,
            ErrorClass::Internal => 4,
            ErrorClass::Interrupted => 130,
        }
    }

    /// Short name, e.g. `bad input`.
    pub fn name(self) -> &'static str {
        match self {
            ErrorClass::Failed => "failed",
            ErrorClass::BadInput => "bad input",
            ErrorClass::Unavailable => "unavailable",
            ErrorClass::Internal => "internal",
            ErrorClass::Interrupted => "interrupted",
        }
    }

    /// When a command ends in this class.
    pub fn meaning(self) -> &'static str {
        match self {
            ErrorClass::Failed => "a rehearsal gate failed (`rehearse`), the validation verdict is not `equal` (`validate`): the work ran and its answer is no",
            ErrorClass::BadInput => "usage (an unknown flag or value, reported by the argument parser), the manifest, a DDL/CSV/YAML input, the project store, an unknown or invalid run id, a path that cannot be read or written, or a target the guards refuse (not marked as a rehearsal target, the source itself, a change-capture source); retrying as is fails again",
            ErrorClass::Unavailable => "a database or the rehearsal provider could not be reached or refused: connection refused, no answer within the connect timeout, authentication or a query refused, no Docker daemon, image or container, a run held by another process; fix the environment or retry",
            ErrorClass::Internal => "an unexpected failure the engine has no class for; the message says what",
            ErrorClass::Interrupted => "stopped by SIGINT, SIGTERM or SIGHUP after removing what the run created",
        }
    }
}

/// An error that knows its [`ErrorClass`].
pub trait Classify {
    /// The class of this error.
    fn class(&self) -> ErrorClass;
}

/// The work ran and its answer is no (a gate failed, a verdict is not `equal`): the
/// [`ErrorClass::Failed`] error a caller returns after showing the report.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct NotPassed(pub String);

/// The run was stopped by a signal and cleaned up ([`ErrorClass::Interrupted`]).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{what} interrupted by {signal}{}", if .cleanup.is_empty() { String::new() } else { format!("; {}", .cleanup) })]
pub struct Interrupted {
    /// What was running, e.g. `rehearsal`.
    pub what: String,
    /// The signal's name.
    pub signal: String,
    /// What was cleaned up, when anything was.
    pub cleanup: String,
}

impl Classify for NotPassed {
    fn class(&self) -> ErrorClass {
        ErrorClass::Failed
    }
}

impl Classify for Interrupted {
    fn class(&self) -> ErrorClass {
        ErrorClass::Interrupted
    }
}

/// A driver error: its URL or options are bad input, anything else is the server or the
/// network not answering or refusing.
fn sqlx_class(e: &sqlx::Error) -> ErrorClass {
    match e {
        sqlx::Error::Configuration(_) => ErrorClass::BadInput,
        _ => ErrorClass::Unavailable,
    }
}

impl Classify for DbError {
    fn class(&self) -> ErrorClass {
        match self {
            DbError::Scheme { .. } => ErrorClass::BadInput,
            DbError::Connect { source, .. } => sqlx_class(source),
            DbError::ConnectTimeout { .. } | DbError::Query { .. } => ErrorClass::Unavailable,
            // The guards refuse what the user pointed at: another database is the fix.
            DbError::NotARehearsalTarget { .. }
            | DbError::TargetIsSource { .. }
            | DbError::CaptureSource { .. } => ErrorClass::BadInput,
            // Another process holds the run: it goes away with that process.
            DbError::RunLocked { .. } => ErrorClass::Unavailable,
        }
    }
}

impl Classify for ImportError {
    fn class(&self) -> ErrorClass {
        match self {
            ImportError::Read { .. }
            | ImportError::NotUtf8 { .. }
            | ImportError::Parse { .. }
            | ImportError::StatementTooLarge { .. }
            | ImportError::ScriptTooLarge { .. }
            | ImportError::Unterminated { .. } => ErrorClass::BadInput,
            ImportError::Live { source, .. } => sqlx_class(source),
        }
    }
}

impl Classify for ServiceImportError {
    fn class(&self) -> ErrorClass {
        ErrorClass::BadInput
    }
}

impl Classify for ProjectError {
    fn class(&self) -> ErrorClass {
        match self {
            ProjectError::Import(e) => e.class(),
            ProjectError::Services(e) => e.class(),
            ProjectError::Io { .. }
            | ProjectError::NotAProject(_)
            | ProjectError::AlreadyExists(_)
            | ProjectError::Manifest { .. }
            | ProjectError::PathEscapes { .. }
            | ProjectError::MissingUrl { .. }
            | ProjectError::Store { .. }
            | ProjectError::StoreMigration { .. }
            | ProjectError::Corrupt { .. } => ErrorClass::BadInput,
        }
    }
}

impl Classify for InvalidRunId {
    fn class(&self) -> ErrorClass {
        ErrorClass::BadInput
    }
}

impl Classify for WriteError {
    fn class(&self) -> ErrorClass {
        match self {
            WriteError::Db(e) => e.class(),
            // The target refused rows: the database said no.
            WriteError::RowsNeeded(_) | WriteError::Refused { .. } => ErrorClass::Unavailable,
        }
    }
}

impl Classify for PostCopyError {
    fn class(&self) -> ErrorClass {
        match self {
            PostCopyError::Db(e) => e.class(),
            PostCopyError::Conflict { .. } => ErrorClass::BadInput,
        }
    }
}

impl Classify for BackfillError {
    fn class(&self) -> ErrorClass {
        match self {
            BackfillError::Db(e) => e.class(),
            BackfillError::Write(e) => e.class(),
            BackfillError::PostCopy(e) => e.class(),
            BackfillError::RunId(e) => e.class(),
            BackfillError::Log { .. } => ErrorClass::BadInput,
        }
    }
}

impl Classify for SpecError {
    fn class(&self) -> ErrorClass {
        ErrorClass::BadInput
    }
}

impl Classify for CopyOutError {
    fn class(&self) -> ErrorClass {
        // The server's COPY stream is malformed or cut: the database side failed.
        ErrorClass::Unavailable
    }
}

impl Classify for PairError {
    fn class(&self) -> ErrorClass {
        ErrorClass::BadInput
    }
}

impl Classify for ValidateError {
    fn class(&self) -> ErrorClass {
        match self {
            ValidateError::Db(e) => e.class(),
            ValidateError::Import(e) => e.class(),
            ValidateError::Mapping(e) => e.class(),
            // The engines order the key differently: choose another strategy.
            ValidateError::KeyOrder { .. }
            | ValidateError::State { .. }
            | ValidateError::BadInvariant(_) => ErrorClass::BadInput,
            ValidateError::BadChecksum { .. } | ValidateError::Task { .. } => {
                ErrorClass::Unavailable
            }
        }
    }
}

impl Classify for ProviderError {
    fn class(&self) -> ErrorClass {
        match self {
            ProviderError::Db(e) => e.class(),
            ProviderError::NoDaemon { .. }
            | ProviderError::Docker { .. }
            | ProviderError::NoImage { .. }
            | ProviderError::NotReady { .. } => ErrorClass::Unavailable,
            // The run asked for cannot be resumed: a run id that names nothing usable.
            ProviderError::Gone { .. } => ErrorClass::BadInput,
            // The manifest asks for what these servers cannot give; the command must change.
            ProviderError::SameVersion { .. } => ErrorClass::BadInput,
        }
    }
}

impl Classify for LoadError {
    fn class(&self) -> ErrorClass {
        // The database refused a statement of the project's script: the script is at fault.
        ErrorClass::BadInput
    }
}

impl Classify for RehearsalError {
    fn class(&self) -> ErrorClass {
        match self {
            RehearsalError::Project(e) => e.class(),
            RehearsalError::Db(e) => e.class(),
            RehearsalError::Provider(e) => e.class(),
            RehearsalError::Import(e) => e.class(),
            RehearsalError::Load(e) => e.class(),
            RehearsalError::Backfill(e) => e.class(),
            RehearsalError::Validate(e) => e.class(),
            RehearsalError::Mapping(e) => e.class(),
            RehearsalError::LiveUrlMissing { .. }
            | RehearsalError::Drill(_)
            | RehearsalError::NotResumable(_)
            | RehearsalError::Io { .. } => ErrorClass::BadInput,
            RehearsalError::Busy(_) => ErrorClass::Unavailable,
        }
    }
}

impl Classify for ImageBuildError {
    fn class(&self) -> ErrorClass {
        match self {
            ImageBuildError::ToolMissing { .. } | ImageBuildError::Failed { .. } => {
                ErrorClass::Unavailable
            }
            ImageBuildError::Io { .. } | ImageBuildError::Unknown { .. } => ErrorClass::BadInput,
        }
    }
}

impl Classify for RunError {
    fn class(&self) -> ErrorClass {
        ErrorClass::BadInput
    }
}

impl Classify for RiskCsvError {
    fn class(&self) -> ErrorClass {
        ErrorClass::BadInput
    }
}

impl Classify for ExportError {
    fn class(&self) -> ErrorClass {
        match self {
            ExportError::Write(_) | ExportError::Csv(_) | ExportError::InvalidPlan(_) => {
                ErrorClass::BadInput
            }
            // A plan that serde cannot serialise is a bug, not the person's input.
            ExportError::Json(_) | ExportError::Yaml(_) => ErrorClass::Internal,
        }
    }
}

impl Classify for WorkspaceError {
    fn class(&self) -> ErrorClass {
        match self {
            WorkspaceError::Project(e) => e.class(),
            WorkspaceError::Export(e) => e.class(),
            WorkspaceError::RiskCsv(e) => e.class(),
            WorkspaceError::Run(e) => e.class(),
            WorkspaceError::UnknownArtifact(_)
            | WorkspaceError::UnknownStep(_)
            | WorkspaceError::InvalidEdit { .. }
            | WorkspaceError::Write { .. }
            | WorkspaceError::UnknownRisk(_)
            | WorkspaceError::UnknownSuggestion(_)
            | WorkspaceError::Calibration(_)
            | WorkspaceError::Read { .. } => ErrorClass::BadInput,
        }
    }
}

impl Classify for BackfillRunError {
    fn class(&self) -> ErrorClass {
        match self {
            BackfillRunError::Db(e) => e.class(),
            BackfillRunError::Import(e) => e.class(),
            BackfillRunError::Backfill(e) => e.class(),
            BackfillRunError::Validate(e) => e.class(),
            BackfillRunError::Mapping(e) => e.class(),
            BackfillRunError::Io { .. } => ErrorClass::BadInput,
        }
    }
}

impl Classify for SecretError {
    fn class(&self) -> ErrorClass {
        // The keychain is a service of the machine that refused or did not answer.
        ErrorClass::Unavailable
    }
}

impl Classify for ConnectionError {
    fn class(&self) -> ErrorClass {
        match self {
            ConnectionError::Secret(e) => e.class(),
            ConnectionError::Invalid { .. }
            | ConnectionError::NotFound(_)
            | ConnectionError::PasswordUnavailable { .. }
            | ConnectionError::VariableUnset(_)
            | ConnectionError::Io { .. } => ErrorClass::BadInput,
        }
    }
}

impl Classify for ValidateRunError {
    fn class(&self) -> ErrorClass {
        match self {
            ValidateRunError::Project(e) => e.class(),
            ValidateRunError::Validate(e) => e.class(),
        }
    }
}

impl Classify for crate::workspace::rehearse::RehearseError {
    fn class(&self) -> ErrorClass {
        match self {
            Self::Plan(e) => e.class(),
            Self::Rehearsal(e) => e.class(),
        }
    }
}

impl Classify for MappingError {
    fn class(&self) -> ErrorClass {
        match self {
            MappingError::Project(e) => e.class(),
            MappingError::Db(e) => e.class(),
            MappingError::Import(e) => e.class(),
            MappingError::Spec { .. }
            | MappingError::Exists(_)
            | MappingError::NoSpec(_)
            | MappingError::NotAFinding { .. }
            | MappingError::Io { .. } => ErrorClass::BadInput,
        }
    }
}

impl Classify for LifecycleError {
    fn class(&self) -> ErrorClass {
        match self {
            LifecycleError::Project(e) => e.class(),
            LifecycleError::Validate(e) => e.class(),
            LifecycleError::Busy { .. } => ErrorClass::Unavailable,
            // The scratch servers: unreachable or refusing, as a rehearsal's provider.
            LifecycleError::Rehearsal(_) => ErrorClass::Unavailable,
            LifecycleError::UnknownJob(_)
            | LifecycleError::NoInventory(_)
            | LifecycleError::UnknownJobSettings { .. }
            | LifecycleError::NothingToApprove { .. }
            | LifecycleError::NoApprover(_)
            | LifecycleError::Measurements { .. }
            | LifecycleError::NoMeasurements => ErrorClass::BadInput,
        }
    }
}

/// The class of `error` when it is one of the engine's error types.
fn own_class(error: &(dyn Error + 'static)) -> Option<ErrorClass> {
    macro_rules! try_types {
        ($($t:ty),* $(,)?) => {
            $(if let Some(e) = error.downcast_ref::<$t>() {
                return Some(e.class());
            })*
        };
    }
    try_types!(
        NotPassed,
        Interrupted,
        DbError,
        ImportError,
        ServiceImportError,
        ProjectError,
        MappingError,
        LifecycleError,
        InvalidRunId,
        WriteError,
        PostCopyError,
        BackfillError,
        SpecError,
        CopyOutError,
        PairError,
        ValidateError,
        ProviderError,
        LoadError,
        RehearsalError,
        ImageBuildError,
        RunError,
        RiskCsvError,
        ExportError,
        WorkspaceError,
        BackfillRunError,
        ValidateRunError,
        crate::workspace::rehearse::RehearseError,
        ConnectionError,
        SecretError,
    );
    if let Some(e) = error.downcast_ref::<sqlx::Error>() {
        return Some(sqlx_class(e));
    }
    None
}

/// The class of any error: the first engine error met walking from `error` down its sources,
/// else [`ErrorClass::Internal`]. A caller holding a boxed error (`Box<dyn Error>`) passes
/// `&*boxed`.
pub fn classify(error: &(dyn Error + 'static)) -> ErrorClass {
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(class) = own_class(e) {
            return class;
        }
        next = e.source();
    }
    ErrorClass::Internal
}
