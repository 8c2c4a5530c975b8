//! Errors of schema import. Each names where the problem is (file and line, or connection) and
//! what was expected; an import that returns one has changed nothing.

use std::path::PathBuf;

/// Why an import failed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A file could not be read.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A script is larger than the import reads.
    #[error("{path}: {bytes} bytes exceeds the {limit}-byte limit for a script; split it, or import the schema alone")]
    ScriptTooLarge {
        /// The file.
        path: PathBuf,
        /// Its size in bytes (at least).
        bytes: u64,
        /// The limit in bytes.
        limit: u64,
    },
    /// A file is not UTF-8 text.
    #[error("{path}: not UTF-8 text (byte {offset})")]
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// Offset of the first invalid byte.
        offset: usize,
    },
    /// A statement that shapes the schema (CREATE TABLE, ALTER TABLE … ADD CONSTRAINT) does not
    /// parse; skipping it would silently drop tables or keys. The message says what to do.
    #[error(
        "{file}:{line}: cannot parse {statement}: {expected}, near `{near}`. Fix or remove the statement, or import with `migration-studio import --skip-unparsed` to import the rest and list what was skipped"
    )]
    Parse {
        /// The file, as named in the manifest.
        file: String,
        /// 1-based line of the error (or of the statement start when the parser gave none).
        line: usize,
        /// The statement's leading words, e.g. `CREATE TABLE actor`.
        statement: String,
        /// What the parser expected, in its words.
        expected: String,
        /// The text of the failing line around the failure, at most 60 characters.
        near: String,
    },
    /// A statement is larger than the import accepts.
    #[error("{file}:{line}: {what} is longer than the {limit}-byte limit{hint}")]
    StatementTooLarge {
        /// The file.
        file: String,
        /// 1-based line where the statement starts.
        line: usize,
        /// What kind of statement, e.g. `statement` or `CREATE FUNCTION f`.
        what: String,
        /// The limit in bytes.
        limit: usize,
        /// How to get under it, with a leading separator, or empty.
        hint: &'static str,
    },
    /// A comment, string, quoted identifier or dollar quote is never closed: read to the end
    /// of the file it would swallow every statement after it.
    #[error("{file}:{line}: {what} is never closed (it would swallow every statement after it)")]
    Unterminated {
        /// The file.
        file: String,
        /// 1-based line where it opens.
        line: usize,
        /// What is open, e.g. `block comment /*`.
        what: String,
    },
    /// A live database could not be read.
    #[error("{connection}: {context}: {source}")]
    Live {
        /// Connection name or redacted URL (never a password).
        connection: String,
        /// What was being read, e.g. `reading foreign keys`.
        context: &'static str,
        /// The driver error.
        #[source]
        source: sqlx::Error,
    },
}
