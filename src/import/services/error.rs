//! Errors of service inventory import. Each names the file (as written in the manifest or
//! relative to the input folder), the 1-based line and, for tabular input, the field; an import
//! that returns one has changed nothing.

/// Why a service inventory input could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum ServiceImportError {
    /// A file or folder could not be read.
    #[error("{file}: cannot read: {source}")]
    Read {
        /// The file or folder.
        file: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// An input path is neither a regular file nor a folder (a FIFO, a device…).
    #[error("{file}: {what}, not a regular file or folder; only regular files inside the project are read")]
    NotAFile {
        /// The path, as written in the manifest.
        file: String,
        /// What it is, e.g. `a FIFO`.
        what: &'static str,
    },
    /// A file is not UTF-8 text.
    #[error("{file}: not UTF-8 text (byte {offset})")]
    NotUtf8 {
        /// The file.
        file: String,
        /// Offset of the first invalid byte.
        offset: usize,
    },
    /// A file is larger than the import accepts.
    #[error("{file}: {bytes} bytes exceeds the {limit}-byte limit for service inventory files")]
    TooLarge {
        /// The file.
        file: String,
        /// Its size in bytes.
        bytes: u64,
        /// The limit in bytes.
        limit: u64,
    },
    /// The YAML does not parse.
    #[error("{file}:{line}: YAML syntax error: {message}")]
    YamlSyntax {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// The parser's message.
        message: String,
    },
    /// Sequences and mappings nest deeper than the limit.
    #[error("{file}:{line}: YAML nests deeper than {limit} levels; refused")]
    YamlTooDeep {
        /// The file.
        file: String,
        /// 1-based line of the collection that crossed the limit.
        line: usize,
        /// The depth limit.
        limit: usize,
    },
    /// Anchors and aliases would copy more than the limits allow (a "billion laughs" bomb).
    #[error("{file}:{line}: YAML aliases expand past {nodes} nodes or {bytes} bytes; refused (alias bomb?)")]
    YamlAliasLimit {
        /// The file.
        file: String,
        /// 1-based line of the alias (or anchor) that crossed the limit.
        line: usize,
        /// Node limit.
        nodes: usize,
        /// Scalar byte limit.
        bytes: usize,
    },
    /// An alias names an anchor that is not defined before it.
    #[error("{file}:{line}: YAML alias refers to an undefined anchor")]
    YamlUnknownAlias {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
    },
    /// The file's format could not be recognised from its name or content.
    #[error("{file}: not a recognised service inventory (expected CSV, docker-compose, Kubernetes manifests or a Backstage catalog): {reason}")]
    UnknownFormat {
        /// The file.
        file: String,
        /// What was found instead.
        reason: String,
    },
    /// A value is missing or wrong.
    #[error("{file}:{line}: field `{field}`: {message}")]
    Invalid {
        /// The file.
        file: String,
        /// 1-based line (CSV: the record's line, header = line 1).
        line: usize,
        /// The field or column.
        field: String,
        /// What is wrong and what was expected.
        message: String,
    },
    /// The CSV is not well-formed RFC 4180.
    #[error("{file}:{line}: malformed CSV: {message}")]
    Csv {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// The reader's message.
        message: String,
    },
}
