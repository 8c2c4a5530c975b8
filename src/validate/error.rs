//! Why a validation could not run or could not finish a table.

use crate::db::DbError;
use crate::import::ImportError;

/// A validation error.
#[derive(Debug, thiserror::Error)]
pub enum ValidateError {
    /// A database could not be opened or queried.
    #[error(transparent)]
    Db(#[from] DbError),
    /// A side's schema could not be read.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// The mapping spec to compare through was refused (file, line, field, code).
    #[error(transparent)]
    Mapping(Box<crate::mapping::MappingError>),
    /// A side returned keys out of the order the comparison relies on: both engines must order
    /// the key the same way (text keys under different collations do not).
    #[error("{table}: the {side} returned key {key} out of order after {previous}; the two engines order this key differently (text collations?): compare this table with the checksum strategy on a numeric key, or align the collations")]
    KeyOrder {
        /// Table.
        table: String,
        /// `source` or `target`.
        side: &'static str,
        /// The key that came too late.
        key: String,
        /// The key before it.
        previous: String,
    },
    /// A segment query returned something that is not a count and a sum.
    #[error("{table}: unexpected checksum value {value:?} from the {side}")]
    BadChecksum {
        /// Table.
        table: String,
        /// `source` or `target`.
        side: &'static str,
        /// The value.
        value: String,
    },
    /// The run-state file could not be read or written.
    #[error("{path}: {source}")]
    State {
        /// File.
        path: std::path::PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// A reader task failed to finish (panicked or was cancelled).
    #[error("{table}: a reader task stopped: {message}")]
    Task {
        /// Table.
        table: String,
        /// What the runtime said.
        message: String,
    },
    /// An `--invariant` argument is not `name=SQL`.
    #[error("invariant {0:?} is not NAME=SQL")]
    BadInvariant(String),
}
