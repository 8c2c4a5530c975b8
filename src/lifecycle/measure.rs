//! Where a tick's windows come from.
//!
//! - [`from_databases`]: row counts and checksums of each job's table on the source (the old
//!   side) and a rehearsal target (the new side), through [`crate::validate`] (read-only on
//!   both). Databases give no landing latency or resource figures here yet: those criteria
//!   are "not measured" ([`crate::codes::lifecycle::NOT_MEASURED`]) unless a job's
//!   `criteria` leaves them out.
//! - [`from_file`]: a staged source for what the databases do not give yet, a JSON file of
//!   windows per tick: `{"ticks": [{"<job>": {<Window>}, …}, …]}` (fields of [`Window`]).

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use super::window::Window;
use super::LifecycleError;
use crate::validate::{self, Options, Silent, StrategyChoice};

/// The windows of a measurement file, one map per tick (job id → window).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeasurementFile {
    /// One entry per tick, in order.
    pub ticks: Vec<HashMap<String, Window>>,
}

/// Reads a measurement file.
///
/// # Errors
/// [`LifecycleError::Measurements`] naming the file (and line) when it cannot be read or is
/// not a measurement file.
pub fn from_file(path: &Path) -> Result<MeasurementFile, LifecycleError> {
    let bad = |line: Option<usize>, message: String| LifecycleError::Measurements {
        file: path.to_owned(),
        line,
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(None, e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| bad(Some(e.line()), e.to_string()))
}

/// One window per job of `jobs` (source-side table names), measured now: row counts and
/// whether the contents are equal (checksums, bisected where the engines allow), read-only
/// on both sides. A table that could not be compared gets counts but no checksum verdict.
///
/// # Errors
/// [`LifecycleError::Validate`] when a side cannot be opened or read.
pub async fn from_databases(
    source_url: &str,
    target_url: &str,
    jobs: &[String],
) -> Result<HashMap<String, Window>, LifecycleError> {
    let options = Options {
        strategy: StrategyChoice::Auto,
        tables: jobs.to_vec(),
        // Counts and checksums only: the sample and the constraints are validate's business.
        sample_rows: 0,
        constraints: false,
        ..Options::default()
    };
    let report = validate::validate_urls(source_url, target_url, &options, &[], None, &Silent)
        .await
        .map_err(LifecycleError::Validate)?;
    let mut out = HashMap::new();
    for table in report.tables {
        let Some(job) = jobs.iter().find(|j| {
            j.eq_ignore_ascii_case(&table.source_table)
                || table.source_table.ends_with(&format!(".{j}"))
        }) else {
            continue;
        };
        let compared = table.error.is_none();
        out.insert(
            job.clone(),
            Window {
                old_rows: Some(table.source_rows),
                new_rows: Some(table.target_rows),
                checksum_match: compared.then(|| table.differences.total() == 0),
                ..Window::default()
            },
        );
    }
    Ok(out)
}
