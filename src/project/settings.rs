//! Settings the manifest carries for other stages: the rehearsal's go/no-go limits (`[gates]`)
//! and validation's invariants (`[[invariants]]`). They live here, not in the modules that use
//! them, so the manifest (read by every stage, the planning core included) depends on no stage's
//! internals; [`crate::rehearsal::gates`] and [`crate::validate`] re-export them.

use serde::{Deserialize, Serialize};

/// Limits a rehearsal must stay within (`[gates]` in the manifest).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Gates {
    /// Rows that may differ after the final catch-up (missing + extra + changed).
    pub max_mismatched_rows: u64,
    /// Capture lag, in seconds, allowed when writes are frozen for the cutover.
    pub max_lag_seconds: f64,
    /// Errors allowed: rows the target refused plus workload writes that failed.
    pub max_errors: u64,
    /// A step may take this many times its expected duration.
    pub step_budget_factor: f64,
}

impl Default for Gates {
    fn default() -> Self {
        Self {
            max_mismatched_rows: 0,
            max_lag_seconds: 30.0,
            max_errors: 0,
            step_budget_factor: 10.0,
        }
    }
}

/// A validation invariant (`[[invariants]]`): a query per side whose result sets must be equal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Invariant {
    /// Name for the report.
    pub name: String,
    /// Query run on the source.
    pub source_sql: String,
    /// Query run on the target.
    pub target_sql: String,
}
