//! Validate: prove the target holds the source's rows (counts, checksums bisected to the
//! differing keys or a row-by-row merge, a seeded sample, target constraints, the manifest's
//! invariants and any extra ones), read-only on both sides, resumable: the tables finished are
//! kept in the project's run state, keyed by what is compared (never by a password), so an
//! interrupted run goes on where it stopped. Cancel stops it at once; it writes nothing to
//! either database, so nothing needs removing.

use std::path::Path;

use super::Cancel;
use crate::import::live::redact_url;
use crate::project::{Manifest, ProjectError};
use crate::validate::{self, Invariant, Options, Progress, Report, RunState, ValidateError};

/// What to compare.
#[derive(Debug, Clone)]
pub struct ValidateRequest {
    /// Source URL, password included (opened read-only).
    pub source_url: String,
    /// Target URL, password included (opened read-only).
    pub target_url: String,
    /// Strategy, tables, batch sizes, sample, constraints. Its conversion `policy` is replaced
    /// by the manifest's `[data]`.
    pub options: Options,
    /// Invariants to check besides the manifest's.
    pub invariants: Vec<Invariant>,
    /// Forget tables finished by an earlier interrupted run and validate them again.
    pub restart: bool,
}

/// Why a validation could not run.
#[derive(Debug, thiserror::Error)]
pub enum ValidateRunError {
    /// The manifest could not be read.
    #[error(transparent)]
    Project(#[from] ProjectError),
    /// A side could not be opened, read or compared, or the run state not kept.
    #[error(transparent)]
    Validate(#[from] ValidateError),
}

/// An invariant written `NAME=SQL`, run on both sides.
///
/// # Errors
/// [`ValidateError::BadInvariant`] when the name or the SQL is missing.
pub fn parse_invariant(text: &str) -> Result<Invariant, ValidateError> {
    let (name, sql) = text
        .split_once('=')
        .filter(|(n, s)| !n.trim().is_empty() && !s.trim().is_empty())
        .ok_or_else(|| ValidateError::BadInvariant(text.to_owned()))?;
    Ok(Invariant {
        name: name.trim().to_owned(),
        source_sql: sql.to_owned(),
        target_sql: sql.to_owned(),
    })
}

/// Validates as `request` asks for the project in `root` (its manifest's invariants and
/// `[data]` rules; its run state). Returns `None` when cancelled (the tables finished so far
/// are kept: the same request goes on from there).
///
/// # Errors
/// [`ValidateRunError::Project`] for the manifest; [`ValidateRunError::Validate`] when a side
/// cannot be opened, read or compared, or the run state cannot be kept.
pub async fn run(
    root: &Path,
    request: &ValidateRequest,
    cancel: &Cancel,
    progress: &dyn Progress,
) -> Result<Option<Report>, ValidateRunError> {
    let manifest = Manifest::load(root)?;
    let invariants: Vec<Invariant> = manifest
        .invariants
        .iter()
        .chain(&request.invariants)
        .cloned()
        .collect();
    // The project's spec, when the manifest names one: the backfill copied through it.
    let options = Options {
        policy: manifest.data,
        mapping_file: request
            .options
            .mapping_file
            .clone()
            .or_else(|| manifest.mapping.as_ref().map(|file| root.join(file))),
        ..request.options.clone()
    };
    let strategy =
        validate::resolve_strategy(options.strategy, &request.source_url, &request.target_url);
    // The run is identified by what it compares, never by the password in a URL.
    let identity = format!(
        "{}\n{}\n{strategy}\n{}",
        redact_url(&request.source_url),
        redact_url(&request.target_url),
        options.tables.join(",")
    );
    let mut state = RunState::load(RunState::path_for(root, &identity), request.restart)?;
    let report = tokio::select! {
        r = validate::validate_urls(
            &request.source_url,
            &request.target_url,
            &options,
            &invariants,
            Some(&mut state),
            progress,
        ) => r?,
        () = cancel.cancelled() => return Ok(None),
    };
    // Every table was validated: a later run starts afresh.
    state.clear()?;
    Ok(Some(report))
}
