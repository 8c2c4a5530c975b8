//! Go/no-go gates: abort criteria evaluated from measured figures, never from estimates.

use serde::{Deserialize, Serialize};

pub use crate::project::settings::Gates;

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
