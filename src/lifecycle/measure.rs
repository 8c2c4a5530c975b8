//! Where a tick's windows come from.
//!
//! - [`from_databases`]: row counts and checksums of each job's table on the source (the old
//!   side) and a rehearsal target (the new side), through [`crate::validate`] (read-only on
//!   both), and each job's SQL assertions run on both sides (the same rows, as
//!   [`crate::validate::invariants`] compares them). Databases give no landing latency here:
//!   that criterion is "not measured" ([`crate::codes::lifecycle::NOT_MEASURED`]) unless a
//!   job's `criteria` leaves it out.
//! - [`from_file`]: a staged source for what the databases do not give yet, a JSON file of
//!   windows per tick: `{"ticks": [{"<job>": {<Window>}, …}, …]}` (fields of [`Window`]).

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use super::window::Window;
use super::LifecycleError;
use crate::db::{self, Access, Database};
use crate::project::settings::Assertion;
use crate::validate::{self, invariants, Invariant, Options, Silent, StrategyChoice};

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
/// whether the contents are equal (checksums, bisected where the engines allow), and each
/// job's SQL `assertions` (by job; run on both sides, see [`Assertion`]), read-only on both
/// sides. A table that could not be compared gets counts but no checksum verdict.
///
/// # Errors
/// [`LifecycleError::Validate`] when a side cannot be opened or read.
pub async fn from_databases(
    source_url: &str,
    target_url: &str,
    jobs: &[String],
    assertions: &HashMap<String, Vec<Assertion>>,
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
    let asserted: Vec<(&String, &Vec<Assertion>)> = jobs
        .iter()
        .filter_map(|j| Some((j, assertions.get(j).filter(|a| !a.is_empty())?)))
        .collect();
    if !asserted.is_empty() {
        let connect = |url| db::connect(url, Access::ReadOnly, 1);
        let (old, new) = tokio::try_join!(connect(source_url), connect(target_url))
            .map_err(|e| LifecycleError::Validate(e.into()))?;
        for (job, list) in asserted {
            let mut failed = Vec::new();
            for assertion in list {
                failed.extend(check_assertion(&old, &new, assertion).await);
            }
            out.entry(job.clone()).or_default().failed_assertions = Some(failed);
        }
        old.close().await;
        new.close().await;
    }
    Ok(out)
}

/// Runs `assertion` on both sides: `None` when it holds, else `name: why`.
async fn check_assertion(old: &Database, new: &Database, assertion: &Assertion) -> Option<String> {
    let as_invariant = Invariant {
        name: assertion.name.clone(),
        source_sql: assertion.sql.clone(),
        target_sql: assertion.new_side_sql().to_owned(),
    };
    let report = invariants::check(old, new, &as_invariant, 1).await;
    if let Some(error) = report.error {
        return Some(format!("`{}` could not run: {error}", assertion.name));
    }
    (!report.equal).then(|| {
        let first = report
            .first
            .first()
            .map(|d| format!(", first difference old | new: {d}"))
            .unwrap_or_default();
        format!(
            "`{}` old {} rows, new {} rows{first}",
            assertion.name, report.source_rows, report.target_rows
        )
    })
}
