//! Go/no-go gates: abort criteria evaluated from measured figures, never from estimates.

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

/// One gate's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateResult {
    /// Gate name, e.g. `mismatched rows`.
    pub gate: String,
    /// The limit, in the unit of `measured`.
    pub limit: f64,
    /// What was measured.
    pub measured: f64,
    /// Whether it passed.
    pub passed: bool,
    /// Why it failed (or what it checked).
    pub reason: String,
}

impl GateResult {
    /// `measured <= limit`, with a reason naming both.
    pub fn at_most(gate: &str, measured: f64, limit: f64, unit: &str) -> Self {
        let passed = measured <= limit;
        Self {
            gate: gate.to_owned(),
            limit,
            measured,
            passed,
            reason: format!(
                "{gate}: measured {measured:.3}{unit}, limit {limit:.3}{unit}{}",
                if passed { "" } else { ": over the limit" }
            ),
        }
    }
}
