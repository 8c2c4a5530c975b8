//! Why a mapping spec was refused. Every refusal names the file, the 1-based line (when the
//! TOML parser or the entry's position gives one), the field in the spec's own dotted form
//! (`tables."sakila.film".columns.title.type`) and what was expected, under a stable code
//! ([`crate::codes::SPEC_ERRORS`]). A refused spec changes nothing: no file is written.

use std::path::PathBuf;

use crate::project::ProjectError;

/// The TOML does not parse, or a field has the wrong shape or is unknown.
pub const SYNTAX: &str = "mapping-syntax";
/// A `[tables."…"]` key names no table of the inventory.
pub const UNKNOWN_TABLE: &str = "mapping-unknown-table";
/// A `columns.<name>` key names no column of its source table.
pub const UNKNOWN_COLUMN: &str = "mapping-unknown-column";
/// A `type` is not a type of the target engine that the engine maps, or holds characters no
/// type name has.
pub const UNKNOWN_TYPE: &str = "mapping-unknown-type";
/// A rule lacks its `reason` or `author`, or a drop its reason.
pub const MISSING_FIELD: &str = "mapping-missing-field";
/// A `derive` expression does not parse or type-check (or a `merge`/`split` cannot be
/// compiled for the source engine): the message gives the character it failed at.
pub const EXPRESSION: &str = "mapping-expression";
/// A rule contradicts the schema: a primary key column dropped, two columns or tables given
/// the same target name, a bad identifier.
pub const CONFLICT: &str = "mapping-conflict";
/// An `[[accept]]` names a finding code that is not registered.
pub const UNKNOWN_FINDING: &str = "mapping-unknown-finding";

/// Why a mapping operation failed.
#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    /// The spec is not valid; nothing was changed.
    #[error("{}{}: [{code}] {field}: {message}", file.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Spec {
        /// Stable code, one of the constants of this module.
        code: &'static str,
        /// The spec file.
        file: PathBuf,
        /// 1-based line, when known.
        line: Option<usize>,
        /// The field at fault, in TOML dotted form.
        field: String,
        /// What is wrong and what was expected.
        message: String,
    },
    /// `mapping init` found a spec there already.
    #[error("{0} already exists; pass --force to overwrite it")]
    Exists(PathBuf),
    /// The project has no spec (the command needs one: write it with `mapping init`).
    #[error("project {0} has no mapping spec (the manifest's `mapping` field); write one with `migration-studio mapping init`")]
    NoSpec(PathBuf),
    /// `mapping accept` named a finding the review does not report.
    #[error("the review has no finding {code} about `{entry}` (run `migration-studio mapping review` for the list)")]
    NotAFinding {
        /// Code given.
        code: String,
        /// Entry given.
        entry: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The project (manifest, store, import) failed.
    #[error(transparent)]
    Project(#[from] ProjectError),
    /// The source database of the data pass could not be reached or refused a query.
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    /// The source's catalog could not be read for the data pass.
    #[error(transparent)]
    Import(#[from] crate::import::ImportError),
}

impl MappingError {
    /// The stable code of a spec refusal (`None` for the other variants).
    pub fn code(&self) -> Option<&'static str> {
        match self {
            Self::Spec { code, .. } => Some(code),
            _ => None,
        }
    }
}
