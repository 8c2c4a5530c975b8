//! Go/no-go gates: abort criteria evaluated from measured figures, never from estimates. Each
//! gate has a stable code from [`crate::codes::GATES`] (`G001 mismatched rows`…).

use serde::{Deserialize, Serialize};

pub use crate::project::settings::Gates;

/// One gate's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateResult {
    /// Stable code of the gate ([`crate::codes::GATES`]), e.g. `G001`. Empty in reports
    /// written before gates had codes.
    #[serde(default)]
    pub code: String,
    /// Gate label, e.g. `mismatched rows` or `time of step `backfill``.
    pub gate: String,
    /// The limit, in the unit of `measured`.
    pub limit: f64,
    /// What was measured.
    pub measured: f64,
    /// Whether it passed.
    pub passed: bool,
    /// Why it failed (or what it checked), starting with the code and label.
    pub reason: String,
}

impl GateResult {
    /// `measured <= limit`, with a reason naming both. `gate` is a registered gate's name,
    /// or starts with it (`time of step `backfill``); its code comes from the registry.
    pub fn at_most(gate: &str, measured: f64, limit: f64, unit: &str) -> Self {
        let passed = measured <= limit;
        let code = crate::codes::gate_for_label(gate).map_or("", |g| g.code);
        debug_assert!(!code.is_empty(), "gate `{gate}` is not in codes::GATES");
        Self {
            code: code.to_owned(),
            gate: gate.to_owned(),
            limit,
            measured,
            passed,
            reason: format!(
                "{code} {gate}: measured {measured:.3}{unit}, limit {limit:.3}{unit}{}",
                if passed { "" } else { ": over the limit" }
            )
            .trim_start()
            .to_owned(),
        }
    }

    /// The same, with what the measure is made of said after a failed gate's reason
    /// (`…: over the limit (workload errors on the source 1)`), so a failure can be followed
    /// up from the report alone.
    pub fn because(mut self, parts: &str) -> Self {
        if !self.passed && !parts.is_empty() {
            self.reason = format!("{} ({parts})", self.reason);
        }
        self
    }
}
