//! One measured window of a job: what the old and the new side produced and spent, and the
//! verdict of each promotion criterion on it.

use serde::{Deserialize, Serialize};

use super::policy::JobPolicy;
use crate::codes::lifecycle as code;
use crate::project::settings::Criterion;

/// What one side of a job spent in one window (from the databases' own statistics, see
/// [`super::measure`], or a measurement file). A figure left out is not measured: the
/// resource criterion compares the figures both sides have.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    /// Rows read from the job's table in the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows_read: Option<u64>,
    /// Rows inserted, updated or deleted in the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows_written: Option<u64>,
    /// Bytes written in the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes_written: Option<u64>,
    /// The table's storage at the window's end, bytes (data and indexes): a level, not a delta.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_bytes: Option<u64>,
    /// CPU time, milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_ms: Option<f64>,
}

impl Resources {
    /// The figures, named, in report order.
    fn figures(&self) -> [(&'static str, Option<f64>); 5] {
        let n = |v: Option<u64>| v.map(|v| v as f64);
        [
            ("rows read", n(self.rows_read)),
            ("rows written", n(self.rows_written)),
            ("bytes written", n(self.bytes_written)),
            ("storage bytes", n(self.storage_bytes)),
            ("CPU ms", self.cpu_ms),
        ]
    }
}

/// The measurements of one job in one window. `old` is the pipeline being replaced, `new` its
/// replacement; which one writes production depends on the phase, the comparison does not.
/// A value left out is "not measured": a criterion that needs it does not hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// Rows in the old side's output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_rows: Option<u64>,
    /// Rows in the new side's output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_rows: Option<u64>,
    /// Whether the two outputs' checksums are equal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum_match: Option<bool>,
    /// Seconds from the source change to its landing on the old side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_latency_seconds: Option<f64>,
    /// Seconds from the source change to its landing on the new side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_latency_seconds: Option<f64>,
    /// What the old side spent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_resources: Option<Resources>,
    /// What the new side spent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_resources: Option<Resources>,
    /// The job's SQL assertions that failed in this window, each as `name: why` (results
    /// differ, or a side could not run it); empty when every one held, `None` when they were
    /// not evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_assertions: Option<Vec<String>>,
}

/// Why a criterion does not hold in a window: a stable code and the values behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    /// The criterion.
    pub criterion: Criterion,
    /// Stable code (`L001`…, see [`crate::codes::LIFECYCLE_FINDINGS`]).
    pub code: &'static str,
    /// The values, in words, e.g. `rows old 100, new 99`.
    pub detail: String,
}

impl Failure {
    /// `L001 data_quality: rows old 100, new 99`.
    pub fn line(&self) -> String {
        format!("{} {}: {}", self.code, self.criterion.name(), self.detail)
    }
}

/// `new` is no worse than `old` within `tolerance` (a fraction of `old`).
fn within(old: f64, new: f64, tolerance: f64) -> bool {
    new <= old * (1.0 + tolerance) + f64::EPSILON
}

impl Window {
    /// The failures of the criteria `policy` checks; empty when every one holds.
    pub fn failures(&self, policy: &JobPolicy) -> Vec<Failure> {
        let mut out = Vec::new();
        let mut fail = |criterion, code, detail: String| {
            out.push(Failure {
                criterion,
                code,
                detail,
            })
        };
        for &criterion in &policy.criteria {
            match criterion {
                Criterion::DataQuality => match (self.old_rows, self.new_rows, self.checksum_match)
                {
                    (Some(old), Some(new), _) if old != new => fail(
                        criterion,
                        code::ROW_COUNT,
                        format!("rows old {old}, new {new}"),
                    ),
                    (Some(_), Some(_), Some(true)) => {}
                    (Some(rows), Some(_), Some(false)) => fail(
                        criterion,
                        code::CHECKSUM,
                        format!("checksums differ over {rows} rows"),
                    ),
                    _ => fail(
                        criterion,
                        code::NOT_MEASURED,
                        "row counts or checksum not measured".into(),
                    ),
                },
                Criterion::Latency => match (self.old_latency_seconds, self.new_latency_seconds) {
                    (Some(old), Some(new)) if within(old, new, policy.latency_tolerance) => {}
                    (Some(old), Some(new)) => fail(
                        criterion,
                        code::LATENCY,
                        format!(
                            "new lands in {new} s, old in {old} s (tolerance {} %)",
                            policy.latency_tolerance * 100.0
                        ),
                    ),
                    _ => fail(
                        criterion,
                        code::NOT_MEASURED,
                        "landing latency not measured".into(),
                    ),
                },
                Criterion::Resources => {
                    let t = policy.resource_tolerance;
                    let (old, new) = (
                        self.old_resources.unwrap_or_default(),
                        self.new_resources.unwrap_or_default(),
                    );
                    let compared: Vec<(&str, f64, f64)> = old
                        .figures()
                        .into_iter()
                        .zip(new.figures())
                        .filter_map(|((what, o), (_, n))| Some((what, o?, n?)))
                        .collect();
                    let worse: Vec<String> = compared
                        .iter()
                        .filter(|(_, o, n)| !within(*o, *n, t))
                        .map(|(what, o, n)| format!("{what} old {o}, new {n}"))
                        .collect();
                    if compared.is_empty() {
                        fail(
                            criterion,
                            code::NOT_MEASURED,
                            "resources not measured".into(),
                        );
                    } else if !worse.is_empty() {
                        fail(
                            criterion,
                            code::RESOURCES,
                            format!("{} (tolerance {} %)", worse.join(", "), t * 100.0),
                        );
                    }
                }
                Criterion::Assertions => match &self.failed_assertions {
                    Some(failed) if failed.is_empty() => {}
                    Some(failed) => fail(criterion, code::ASSERTION, failed.join("; ")),
                    None => fail(
                        criterion,
                        code::NOT_MEASURED,
                        "SQL assertions not evaluated".into(),
                    ),
                },
            }
        }
        out
    }
}
